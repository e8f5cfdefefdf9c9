// The `barrage` command line: parses arguments and dispatches to the commands.
// Exit codes (DESIGN §8): 0 passed, 1 runtime failure, 2 usage or plan error,
// 99 a threshold failed.
#ifndef BARRAGE_CONTROLLER_CLI_H_
#define BARRAGE_CONTROLLER_CLI_H_

namespace barrage {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitThresholdFailed = 99;

int RunCli(int argc, char** argv);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLI_H_
