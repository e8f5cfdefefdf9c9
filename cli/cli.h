// The `barrage` command line: parses arguments and dispatches to the commands.
// Returns the process's exit code (common/exit_codes.h, DESIGN §8).
#ifndef BARRAGE_CLI_CLI_H_
#define BARRAGE_CLI_CLI_H_

namespace barrage {

int RunCli(int argc, char** argv);

}  // namespace barrage

#endif  // BARRAGE_CLI_CLI_H_
