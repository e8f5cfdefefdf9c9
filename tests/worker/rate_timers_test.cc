// Poisson Random Timer and Precise Throughput Timer (worker/timers.h): exact delays from
// injected or seeded random numbers (seeded expectations from java.util.Random itself).
#include <gtest/gtest.h>

#include <vector>

#include "common/functions.h"
#include "worker/timers.h"

namespace barrage {
namespace {

// Returns `values` in turn; counts the draws.
struct Draws {
  std::vector<double> values;
  size_t used = 0;
  double operator()() { return values.at(used++); }
};

TEST(JavaRandomTest, SeededSequenceIsJavasOwn) {
  JavaRandom r(42);  // new java.util.Random(42).nextDouble() x3
  EXPECT_EQ(r.NextDouble(), 0.7275636800328681);
  EXPECT_EQ(r.NextDouble(), 0.6832234717598454);
  EXPECT_EQ(r.NextDouble(), 0.30871945533265976);
}

TEST(PoissonRandomTest, ProductMethodUpToThirty) {
  Draws d{{0.5, 0.5, 0.5}};  // p = 0.5, 0.25, 0.125 <= e^-2 = 0.135: k = 3, returns 2
  EXPECT_EQ(PoissonRandom(2, std::ref(d)), 2);
  EXPECT_EQ(d.used, 3u);
  Draws zero{{0.3}};  // e^0 = 1: the first draw ends it
  EXPECT_EQ(PoissonRandom(0, std::ref(zero)), 0);
}

TEST(PoissonRandomTest, RejectionMethodAboveThirty) {
  // lambda 100: u = 0.5 gives x = 100, n = 100, y = 0; v = 0.9: lhs = log(0.9 / 4) = -1.50 >
  // rhs = k + 100 log 100 - log 100! = -1.83, rejected; v = 0.5: lhs = log(0.125) = -2.08,
  // accepted.
  Draws d{{0.5, 0.9, 0.5, 0.5}};
  EXPECT_EQ(PoissonRandom(100, std::ref(d)), 100);
  EXPECT_EQ(d.used, 4u);
}

TEST(PoissonRandomTimerTest, DelayIsAbsoluteOfPoissonPlusOffset) {
  Timer t(ElementKind::kPoissonRandomTimer);
  t.range_ms = Value::Of("0.4");  // round(0.4) = 0: the Poisson part is 0
  t.delay_ms = Value::Of("300");
  ThreadContext ctx;
  TimerState state;
  ThroughputSchedule schedule;
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 0, {}, nullptr), 300);
  t.delay_ms = Value::Of("-500");
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 0, {}, nullptr), 500);  // Math.abs
  EXPECT_EQ(state.intended_wall_us, -1);                                  // no schedule
}

// new Random(7): 6 doubles * 3 s sorted, then 6 more + 3 s (ConstantPoissonProcessGenerator,
// 2 per second over 3 s windows).
const std::vector<double> kSeed7Window1 = {1.044929109093771,  1.0557443329389207, 2.124531473330392,
                                           2.1920971261801263, 2.2475088094008995, 2.691831428226314};
const std::vector<double> kSeed7Window2 = {3.2496591517338644, 3.362208154171525, 4.92484514933899,
                                           5.354279491695783,  5.549739302541818, 5.786244218467557};

TEST(PoissonEventGeneratorTest, SeededWindowsAreJavasEvents) {
  PoissonEventGenerator g(7);
  for (double e : kSeed7Window1) EXPECT_EQ(g.Next(2.0, 3, 1), e);
  for (double e : kSeed7Window2) EXPECT_EQ(g.Next(2.0, 3, 1), e);
}

TEST(PoissonEventGeneratorTest, BatchesRepeatEachEvent) {
  PoissonEventGenerator g(7);  // 4 per second in pairs: 2 events per second, each twice
  for (double e : kSeed7Window1) {
    EXPECT_EQ(g.Next(4.0, 3, 2), e);
    EXPECT_EQ(g.Next(4.0, 3, 2), e);
  }
  EXPECT_EQ(g.Next(4.0, 3, 2), kSeed7Window2[0]);
}

TEST(PoissonEventGeneratorTest, NoEventAtRateZero) {
  PoissonEventGenerator g(7);
  EXPECT_EQ(g.Next(0.0, 3, 1), std::nullopt);
}

TEST(PreciseThroughputTimerTest, DelaysToTheGroupsEventsAndStopsPastTheThreadsEnd) {
  PreciseThroughputTimer t(ElementKind::kPreciseThroughputTimer);
  t.throughput = Value::Of("7200");  // per 3600 s: 2 per second
  t.throughput_period = Value::Of("3600");
  t.duration = Value::Of("3");
  t.batch_size = Value::Of("1");
  t.random_seed = Value::Of("7");
  ThreadContext ctx;
  TimerState state;
  ThroughputSchedule schedule;
  schedule.set_test_start_ms(1000000);
  int group = 0;
  // (long)(1.0449... * 1000 + start - now).
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 1000000, {}, &group), 1044);
  EXPECT_EQ(state.intended_wall_us, 1000000000 + 1044929);
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 1001044, {}, &group), 11);
  EXPECT_FALSE(ctx.stop_thread);
  // The next slot, 2124 ms, is after the thread's end at 1002000: the thread stops.
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 1001100, {}, &group, 1002000), 0);
  EXPECT_TRUE(ctx.stop_thread);
  // Another thread group has its own generator.
  int other = 0;
  ThreadContext ctx2;
  EXPECT_EQ(TimerDelayMs(t, ctx2, state, schedule, 1000000, {}, &other), 1044);
}

TEST(ShapingRateTest, LinearInRowsWithEachRowsLastSecondIncluded) {
  const std::vector<ShapingRow> rows = {{10, 10, 2}, {20, 0, 2}};
  EXPECT_EQ(ShapingRate(rows, 0), 10);
  EXPECT_EQ(ShapingRate(rows, 2), 10);  // 2 - 2 <= 0: still the first row
  EXPECT_EQ(ShapingRate(rows, 3), 10);  // 20 + 1 * (0 - 20) / 2
  EXPECT_EQ(ShapingRate(rows, 4), 0);
  EXPECT_EQ(ShapingRate(rows, 5), -1);  // past the profile
  EXPECT_EQ(ShapingRate({{50, 100, 1}}, 0.5), 75);
}

TEST(ShapingScheduleTest, SlotsFollowTheSecondsBudgetThenTheProfileEnds) {
  Properties props;
  ShapingSchedule s({{3, 3, 1}, {1, 1, 1}}, 1.0, "tst", &props);
  using Slot = ShapingSchedule::Slot;
  auto at = [](int64_t ms) { return Slot{ms, false}; };
  auto eq = [](const Slot& a, const Slot& b) { return a.at_ms == b.at_ms && a.profile_ended == b.profile_ended; };
  // Second 10000 (the profile's second 0) at 3 rps: slots at 0, 334 and 667 ms; called at
  // 500 ms, the first two are due at once.
  EXPECT_TRUE(eq(s.Reserve(10000500), at(10000500)));
  EXPECT_EQ(props.Get("tst_rps"), "3.0");
  EXPECT_EQ(props.Get("tst_totalDuration"), "2");
  EXPECT_TRUE(eq(s.Reserve(10000500), at(10000500)));
  EXPECT_TRUE(eq(s.Reserve(10000500), at(10000667)));
  // Its budget spent: the next second (still the first row: 3 rps).
  EXPECT_TRUE(eq(s.Reserve(10000500), at(10001000)));
  EXPECT_EQ(props.Get("tst_cntSent"), "3");
  EXPECT_EQ(props.Get("tst_cntDelayed"), "1");  // the user waiting for 10000667
  EXPECT_TRUE(eq(s.Reserve(10001000), at(10001334)));
  EXPECT_TRUE(eq(s.Reserve(10001000), at(10001667)));
  // Second 2 of the profile: the second row, 1 rps.
  EXPECT_TRUE(eq(s.Reserve(10001000), at(10002000)));
  EXPECT_EQ(props.Get("tst_rps"), "1.0");
  EXPECT_EQ(props.Get("tst_cntDelayed"), "2");                   // 10001334 and 10001667
  EXPECT_TRUE(eq(s.Reserve(10002000), (Slot{10002000, true})));  // second 3: past the end
  EXPECT_TRUE(eq(s.Reserve(10009000), (Slot{10009000, true})));
}

TEST(ShapingScheduleTest, ClusterShareScalesTheRate) {
  ShapingSchedule s({{4, 4, 5}}, 0.5, "tst", nullptr);  // 2 rps on this worker
  EXPECT_EQ(s.Reserve(3000).at_ms, 3000);
  EXPECT_EQ(s.Reserve(3000).at_ms, 3500);
  EXPECT_EQ(s.Reserve(3000).at_ms, 4000);
}

TEST(ShapingTimerTest, DelayToTheSlotAndRecordsItAsIntendedStart) {
  ThroughputShapingTimer t(ElementKind::kThroughputShapingTimer);
  t.name = "tst";
  t.rows.push_back({Value::Of("${rate}"), Value::Of("2"), Value::Of("1"), 9});
  RunContext run;
  ThreadContext ctx;
  ctx.run = &run;
  ctx.vars.Put("rate", "2");
  TimerState state;
  ThroughputSchedule schedule;
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 7000, {}, nullptr), 0);
  EXPECT_EQ(state.intended_wall_us, 7000000);
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 7100, {}, nullptr), 400);
  EXPECT_EQ(state.intended_wall_us, 7500000);
  EXPECT_EQ(run.properties.Get("tst_rps"), "2.0");
  EXPECT_FALSE(ctx.stop_thread);
  // Seconds 7 and 8 are the profile; at 9 s the user stops.
  EXPECT_EQ(TimerDelayMs(t, ctx, state, schedule, 9000, {}, nullptr), 0);
  EXPECT_TRUE(ctx.stop_thread);

  ThroughputShapingTimer bad(ElementKind::kThroughputShapingTimer);
  bad.name = "bad";
  bad.rows.push_back({Value::Of("${nope}"), Value::Of("2"), Value::Of("1"), 9});
  ThreadContext other;
  other.run = &run;
  EXPECT_EQ(TimerDelayMs(bad, other, state, schedule, 7000, {}, nullptr), 0);
  EXPECT_TRUE(other.stop_thread);
}

TEST(TstFeedbackTest, ConcurrencyFollowsTheTimersSecond) {
  RunContext run;
  ThreadContext ctx;
  ctx.run = &run;
  // The timer's last second: 10 rps wanted, 5 sent, nobody waiting: more users.
  run.properties.Set("tst_rps", "10.0");
  run.properties.Set("tst_cntSent", "5");
  run.properties.Set("tst_cntDelayed", "0");
  EXPECT_EQ(EvaluateText("${__tstFeedback(tst,4,100)}", ctx), "6");  // ceil(4 * (2 - 5 / 10))
  EXPECT_EQ(run.properties.Get("tst_concurrency"), "6");
  EXPECT_EQ(run.properties.Get("tst_rps"), "0");
  EXPECT_EQ(EvaluateText("${__tstFeedback(tst,4,100)}", ctx), "6");  // no new second: unchanged
  // Users waiting for slots: more than ceil(6 * 0.1) of them: 6 * (1 - 0.1).
  run.properties.Set("tst_rps", "10.0");
  run.properties.Set("tst_cntDelayed", "5");
  EXPECT_EQ(EvaluateText("${__tstFeedback(tst,4,100)}", ctx), "5");
  // An absolute spare count: 5 - (5 - 2), at least the spare.
  run.properties.Set("tst_rps", "10.0");
  EXPECT_EQ(EvaluateText("${__tstFeedback(tst,4,100,2)}", ctx), "2");
  // Capped at the maximum.
  run.properties.Set("tst_rps", "10.0");
  run.properties.Set("tst_cntDelayed", "0");
  run.properties.Set("tst_cntSent", "0");
  EXPECT_EQ(EvaluateText("${__tstFeedback(tst,4,3)}", ctx), "3");  // ceil(2 * 2) = 4 > 3
}

}  // namespace
}  // namespace barrage
