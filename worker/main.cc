// barrage-worker: the load-generator daemon. All logic lives in barrage_worker.
#include <exception>
#include <iostream>

#include "common/exit_codes.h"
#include "worker/worker_cli.h"

int main(int argc, char** argv) {
  try {
    return barrage::RunWorkerCli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "barrage-worker: fatal: " << e.what() << "\n";
    return barrage::kExitRuntimeFailure;
  }
}
