// Clocks: the one place Barrage reads the time.
//
// Two clocks, both as integer counts since their epoch:
// - monotonic (CLOCK_MONOTONIC, the clock std::chrono::steady_clock reads on Linux): for
//   durations, deadlines and scheduling; never jumps, its epoch is arbitrary (boot).
// - wall (CLOCK_REALTIME, std::chrono::system_clock): for timestamps others read (a
//   sample's JTL timeStamp, a run's start and end, the results store); may jump.
//
// The free functions read the system's clocks. They are inline because the engine's event
// loops read the monotonic clock per event (worker/event_loop.h); that is their only
// definition. Code whose behaviour depends on time passing (flush intervals, timeouts)
// takes a `const Clock&` (or pointer) chosen once at start-up, leveldb's Env style:
// SystemClock() in the binaries, a fake in tests (tests/common/fake_clock.h), so such tests
// advance time instead of sleeping.
//
// std::chrono::steady_clock appears elsewhere only where a standard wait needs its time
// points (condition_variable::wait_until in the results store's writer).
//
// Threads: every function here, and SystemClock(), may be called from any thread.
#ifndef BARRAGE_COMMON_CLOCK_H_
#define BARRAGE_COMMON_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace barrage {

// Monotonic clock in microseconds.
inline int64_t MonotonicMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Wall clock in milliseconds since the Unix epoch (JTL timeStamps, run start and end).
inline int64_t WallMillis() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Wall clock in microseconds since the Unix epoch.
inline int64_t WallMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// CPU time used by the whole process (all threads), in nanoseconds.
inline int64_t ProcessCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The clock seam: the two clocks above behind an interface a test can replace.
class Clock {
 public:
  virtual ~Clock() = default;
  // As barrage::MonotonicMicros().
  virtual int64_t MonotonicMicros() const = 0;
  // As barrage::WallMicros().
  virtual int64_t WallMicros() const = 0;
  // As barrage::WallMillis(): WallMicros() truncated to milliseconds.
  int64_t WallMillis() const { return WallMicros() / 1000; }
};

// The system's clocks (the free functions above). A process-wide object that lives until
// exit.
const Clock& SystemClock();

}  // namespace barrage

#endif  // BARRAGE_COMMON_CLOCK_H_
