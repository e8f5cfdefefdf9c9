// barrage: the controller executable. All logic lives in barrage_cli and below.
#include <exception>
#include <iostream>

#include "cli/cli.h"
#include "common/exit_codes.h"

int main(int argc, char** argv) {
  try {
    return barrage::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "barrage: fatal: " << e.what() << "\n";
    return barrage::kExitRuntimeFailure;
  }
}
