#include "common/clock.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/common/fake_clock.h"

namespace barrage {
namespace {

int64_t ChronoWallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t ChronoSteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The free functions read the clocks std::chrono's system_clock and steady_clock read:
// each value lies between two chrono reads taken around it.
TEST(ClockTest, WallClockIsSystemClock) {
  const int64_t before = ChronoWallMicros();
  const int64_t micros = WallMicros();
  const int64_t millis = WallMillis();
  const int64_t after = ChronoWallMicros();
  EXPECT_LE(before, micros);
  EXPECT_LE(micros, after);
  EXPECT_LE(before / 1000, millis);
  EXPECT_LE(millis, after / 1000);
}

TEST(ClockTest, MonotonicClockIsSteadyClock) {
  const int64_t before = ChronoSteadyMicros();
  const int64_t first = MonotonicMicros();
  const int64_t second = MonotonicMicros();
  const int64_t after = ChronoSteadyMicros();
  EXPECT_LE(before, first);
  EXPECT_LE(first, second);
  EXPECT_LE(second, after);
}

TEST(ClockTest, ProcessCpuTimeGrowsWithWork) {
  const int64_t before = ProcessCpuNanos();
  volatile uint64_t sink = 0;
  for (uint64_t i = 0; i < 20'000'000; ++i) sink = sink + i;
  EXPECT_GT(ProcessCpuNanos(), before);
}

TEST(ClockTest, SystemClockReadsTheFreeFunctions) {
  const Clock& clock = SystemClock();
  EXPECT_EQ(&clock, &SystemClock());
  const int64_t wall_before = WallMicros();
  const int64_t mono_before = MonotonicMicros();
  const int64_t wall = clock.WallMicros();
  const int64_t wall_ms = clock.WallMillis();
  const int64_t mono = clock.MonotonicMicros();
  const int64_t wall_after = WallMicros();
  const int64_t mono_after = MonotonicMicros();
  EXPECT_LE(wall_before, wall);
  EXPECT_LE(wall, wall_after);
  EXPECT_LE(wall_before / 1000, wall_ms);
  EXPECT_LE(wall_ms, wall_after / 1000);
  EXPECT_LE(mono_before, mono);
  EXPECT_LE(mono, mono_after);
}

TEST(ClockTest, WallMillisTruncatesWallMicros) {
  FakeClock clock(/*monotonic_us=*/5, /*wall_us=*/1'700'000'000'123'999);
  EXPECT_EQ(clock.WallMillis(), 1'700'000'000'123);
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock;
  EXPECT_EQ(clock.MonotonicMicros(), 0);
  EXPECT_EQ(clock.WallMicros(), 1'767'225'600'000'000);  // 2026-01-01T00:00:00Z
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.MonotonicMicros(), 1'500'000);
  EXPECT_EQ(clock.WallMicros(), 1'767'225'601'500'000);
  clock.SetWallMicros(1'000'000);  // a wall-clock step back leaves the monotonic clock alone
  EXPECT_EQ(clock.WallMicros(), 1'000'000);
  EXPECT_EQ(clock.MonotonicMicros(), 1'500'000);
}

}  // namespace
}  // namespace barrage
