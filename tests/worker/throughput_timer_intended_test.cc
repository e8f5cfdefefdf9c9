// The Constant Throughput Timer's intended start (TimerDelayMs's intended_ms, issue 12 item 2):
// the slot its schedule meant the sampler to start at, on an injected clock (now_ms).

#include <gtest/gtest.h>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/timers.h"

namespace barrage {
namespace {

class ThroughputTimerIntendedTest : public ::testing::Test {
 protected:
  ThroughputTimerIntendedTest() : timer_(ElementKind::kConstantThroughputTimer) {
    ctx_.run = &run_;
    timer_.throughput_per_minute = Value::Of("600");  // 100 ms a sample
  }
  // Delay and intended start of a call at `now_ms`.
  std::pair<int64_t, int64_t> Call(int64_t now_ms, int calc_mode = 0) {
    timer_.calc_mode = calc_mode;
    int64_t intended = -1;
    const int64_t delay = TimerDelayMs(timer_, ctx_, state_, schedule_, now_ms, {1, 1}, nullptr, 0, &intended);
    return {delay, intended};
  }

  RunContext run_;
  ThreadContext ctx_;
  ConstantThroughputTimer timer_;
  TimerState state_;
  ThroughputSchedule schedule_;
};

TEST_F(ThroughputTimerIntendedTest, FirstCallIsOnTime) {
  EXPECT_EQ(Call(1'000'000), (std::pair<int64_t, int64_t>{0, 1'000'000}));
}

TEST_F(ThroughputTimerIntendedTest, OnScheduleTheIntendedStartIsTheSlotAfterTheDelay) {
  Call(1'000'000);
  EXPECT_EQ(Call(1'000'030), (std::pair<int64_t, int64_t>{70, 1'000'100}));
  EXPECT_EQ(Call(1'000'150), (std::pair<int64_t, int64_t>{50, 1'000'200}));
}

// A sample that stalled 1 s: the next call is 900 ms behind its slot and runs at once; JMeter's
// timer then restarts its schedule from now, so the call after is on time again.
TEST_F(ThroughputTimerIntendedTest, BehindScheduleTheIntendedStartIsTheMissedSlot) {
  Call(1'000'000);
  EXPECT_EQ(Call(1'001'000), (std::pair<int64_t, int64_t>{0, 1'000'100}));
  EXPECT_EQ(Call(1'001'010), (std::pair<int64_t, int64_t>{90, 1'001'100}));
}

TEST_F(ThroughputTimerIntendedTest, SharedScheduleGivesItsSlotToo) {
  EXPECT_EQ(Call(2'000'000, 3), (std::pair<int64_t, int64_t>{0, 2'000'000}));
  EXPECT_EQ(Call(2'000'040, 3), (std::pair<int64_t, int64_t>{60, 2'000'100}));
  EXPECT_EQ(Call(2'000'500, 3), (std::pair<int64_t, int64_t>{0, 2'000'200}));
}

TEST_F(ThroughputTimerIntendedTest, OtherTimersLeaveItAlone) {
  Timer constant(ElementKind::kConstantTimer);
  constant.delay_ms = Value::Of("25");
  int64_t intended = -1;
  EXPECT_EQ(TimerDelayMs(constant, ctx_, state_, schedule_, 5'000, {1, 1}, nullptr, 0, &intended), 25);
  EXPECT_EQ(intended, -1);
}

}  // namespace
}  // namespace barrage
