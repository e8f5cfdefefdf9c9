// A Clock for tests: time moves only when the test moves it. Both clocks advance together
// with Advance(); SetWallMicros() makes the wall clock jump alone (as an NTP step does).
// Safe to read from other threads while the test advances it.
#ifndef BARRAGE_TESTS_COMMON_FAKE_CLOCK_H_
#define BARRAGE_TESTS_COMMON_FAKE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace barrage {

class FakeClock final : public Clock {
 public:
  // Starts at monotonic 0 and at wall 2026-01-01T00:00:00Z unless told otherwise.
  explicit FakeClock(int64_t monotonic_us = 0, int64_t wall_us = 1'767'225'600'000'000)
      : monotonic_us_(monotonic_us), wall_us_(wall_us) {}

  int64_t MonotonicMicros() const override { return monotonic_us_.load(); }
  int64_t WallMicros() const override { return wall_us_.load(); }

  void Advance(std::chrono::microseconds by) {
    monotonic_us_ += by.count();
    wall_us_ += by.count();
  }
  void SetWallMicros(int64_t wall_us) { wall_us_ = wall_us; }

 private:
  std::atomic<int64_t> monotonic_us_;
  std::atomic<int64_t> wall_us_;
};

}  // namespace barrage

#endif  // BARRAGE_TESTS_COMMON_FAKE_CLOCK_H_
