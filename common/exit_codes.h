// Process exit codes, shared by `barrage` and `barrage-worker` (DESIGN §8):
// 0 passed, 1 runtime failure, 2 usage or plan error, 99 a threshold failed (`barrage` only).
// A header of constants only: the controller's commands, `barrage-worker` (worker/daemon.h
// names its own in these terms) and the test fixture server include it for their exit codes.
#ifndef BARRAGE_COMMON_EXIT_CODES_H_
#define BARRAGE_COMMON_EXIT_CODES_H_

namespace barrage {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitThresholdFailed = 99;

}  // namespace barrage

#endif  // BARRAGE_COMMON_EXIT_CODES_H_
