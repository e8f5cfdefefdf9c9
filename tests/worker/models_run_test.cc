// Ultimate and Stepping Thread Groups in the engine: each user starts and stops at its own
// time (worker/thread_schedules.h), with Dummy Samplers so no traffic is needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "tests/worker/engine_test_plan.h"
#include "worker/timers.h"

namespace barrage::engine_test {
namespace {

std::string Row(int threads, int delay, int startup, int hold, int shutdown) {
  std::string out = "<collectionProp name=\"r\">";
  for (int v : {threads, delay, startup, hold, shutdown}) out += Str("x", std::to_string(v));
  return out + "</collectionProp>";
}

std::string Ultimate(const std::string& rows, const std::string& children) {
  return El("kg.apc.jmeter.threads.UltimateThreadGroup", "UTG",
            "<collectionProp name=\"ultimatethreadgroupdata\">" + rows +
                "</collectionProp><elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", "-1") + "</elementProp>",
            children);
}

class ModelsRunTest : public EngineRunFixture {};

// Two users hold for 1 s from the start, a third for 1 s from 1 s on; each samples a 350 ms
// Dummy Sampler until its end: 3 samples each (the fourth would start 50 ms after its end;
// no expected sample starts near an end, where timer lateness would decide).
TEST_F(ModelsRunTest, UltimateUsersStartAndStopAtTheirOwnTimes) {
  std::vector<Sample> samples = Run(Ultimate(Row(2, 0, 0, 1, 0) + Row(1, 1, 0, 1, 0), Dummy("d", "ok", "", 350)), 2);
  std::map<std::string, std::vector<int64_t>> starts;
  for (const Sample& s : samples) starts[s.thread_name].push_back(s.timestamp_ms);
  ASSERT_EQ(starts.size(), 3u);
  for (const auto& [thread, ts] : starts) EXPECT_EQ(ts.size(), 3u) << thread;
  EXPECT_EQ(counters_.started_threads, 3);
  EXPECT_EQ(counters_.finished_threads, 3);
  // The third user (row 2) starts at 1 s: after the first two users' last samples began.
  const int64_t first = std::min(starts["UTG 1-1"].front(), starts["UTG 1-2"].front());
  EXPECT_GE(starts["UTG 1-3"].front() - first, 1000 - 5);  // wall vs monotonic clock phase
  EXPECT_GT(starts["UTG 1-3"].front(), std::max(starts["UTG 1-1"].back(), starts["UTG 1-2"].back()));
  EXPECT_LT(ran_ms_, 5000);
}

// A timer longer than the user's remaining time is cut at its end (JMeterThread's scheduler
// delay): the user stops without another sample.
TEST_F(ModelsRunTest, TimerIsCutAtTheUsersEnd) {
  std::vector<Sample> samples = Run(
      Ultimate(Row(1, 0, 0, 1, 0), El("ConstantTimer", "wait", Str("ConstantTimer.delay", "600")) + Dummy("d", "ok")),
      1);
  EXPECT_EQ(samples.size(), 1u);  // at 600 ms; the next would wait until 1200
  EXPECT_LT(ran_ms_, 1500);
}

// Cluster share: worker 1 of 2 runs the group's windows 1, 3, ... (ThreadShare's count).
TEST_F(ModelsRunTest, ShareSplitsTheWindowsAcrossWorkers) {
  share_index_ = 1;
  share_count_ = 2;
  std::vector<Sample> samples = Run(Ultimate(Row(3, 0, 0, 1, 0), Dummy("d", "ok", "", 600)), 1);
  EXPECT_EQ(counters_.started_threads, 1);
  EXPECT_EQ(samples.size(), 2u);
}

TEST_F(ModelsRunTest, SteppingGroupRunsItsSchedule) {
  // 2 threads, 1 per step of 1 s, flight 1 s: thread 0 from 0, thread 1 from 1 s; both end
  // at the descent, 0 + 1 * 1000 + 0 * 1 + 1000 = 2000. 700 ms samples: 0, 700, 1400 and
  // 1000, 1700.
  std::string group = El("kg.apc.jmeter.threads.SteppingThreadGroup", "STG",
                         Str("ThreadGroup.num_threads", "2") + Str("Start users count", "1") +
                             Str("Start users period", "1") + Str("flighttime", "1") +
                             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                             Str("LoopController.loops", "-1") + "</elementProp>",
                         Dummy("d", "ok", "", 700));
  std::vector<Sample> samples = Run(group, 1);
  std::map<std::string, int> per_thread;
  for (const Sample& s : samples) ++per_thread[s.thread_name];
  EXPECT_EQ(per_thread, (std::map<std::string, int>{{"STG 1-1", 3}, {"STG 1-2", 2}}));
  EXPECT_EQ(counters_.started_threads, 2);
}

// A Precise Throughput Timer of 10 per second (seed 7): the user's 5 samples start at the
// generator's first 5 events after the test's start.
TEST_F(ModelsRunTest, PreciseThroughputTimerStartsSamplesAtItsEvents) {
  std::string timer = El("PreciseThroughputTimer", "ptt",
                         Str("throughput", "36000") + Str("throughputPeriod", "3600") + Str("duration", "1") +
                             Str("batchSize", "1") + Str("randomSeed", "7"));
  std::vector<Sample> samples = Run(Group("G", 1, 5, timer + Dummy("d", "ok")), 1);
  ASSERT_EQ(samples.size(), 5u);
  PoissonEventGenerator events(7);
  for (const Sample& s : samples) {
    const int64_t event_ms = static_cast<int64_t>(*events.Next(10, 1, 1) * 1000);
    EXPECT_GE(s.timestamp_ms - started_ms_, event_ms - 2);
    EXPECT_LE(s.timestamp_ms - started_ms_, event_ms + 300);
    EXPECT_LT(s.schedule_lag_us, 300000);  // recorded from the event's intended start
  }
}

// A Throughput Shaping Timer from 50 to 100 rps over 1 s: the plugin's rate for second 0 is
// 50 and for second 1 (the row's last second) 100, then the profile ends: 150 samples
// whatever the phase of the first second, then every user stops.
TEST_F(ModelsRunTest, ShapingTimerFollowsTheProfileThenStopsTheUsers) {
  std::string timer = El("kg.apc.jmeter.timers.VariableThroughputTimer", "tst",
                         "<collectionProp name=\"load_profile\"><collectionProp name=\"r\">" + Str("a", "50") +
                             Str("b", "100") + Str("c", "1") + "</collectionProp></collectionProp>");
  std::vector<Sample> samples = Run(Group("G", 3, -1, timer + Dummy("d", "ok")), 2);
  EXPECT_EQ(samples.size(), 150u);
  EXPECT_EQ(counters_.finished_threads, 3);
  EXPECT_EQ(run_.properties.Get("tst_totalDuration"), "1");
  EXPECT_LT(ran_ms_, 4000);
}

}  // namespace
}  // namespace barrage::engine_test
