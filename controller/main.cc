// barrage: the controller executable. All logic lives in barrage_controller.
#include <exception>
#include <iostream>

#include "common/exit_codes.h"
#include "controller/cli.h"

int main(int argc, char** argv) {
  try {
    return barrage::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "barrage: fatal: " << e.what() << "\n";
    return barrage::kExitRuntimeFailure;
  }
}
