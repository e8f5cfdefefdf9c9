// Ultimate and Stepping Thread Group schedules (worker/thread_schedules.h): each thread's
// start and end as the plugins compute them, and the active-user curve they give.
#include "worker/thread_schedules.h"

#include <gtest/gtest.h>

#include <vector>

namespace barrage {
namespace {

using W = ThreadWindow;

TEST(UltimateScheduleTest, RowThreadsCountDownSoTheFirstStartsAndStopsLast) {
  // 3 threads, delay 1 s, startup 3 s, hold 2 s, shutdown 3 s: ascent 1000, descent 6000.
  std::vector<W> w = UltimateSchedule({{3, 1, 3, 2, 3}});
  EXPECT_EQ(w, (std::vector<W>{{4000, 9000}, {3000, 8000}, {2000, 7000}}));
  EXPECT_EQ(ActiveCurve(w, 1000), (std::vector<int>{0, 0, 1, 2, 3, 3, 3, 2, 1, 0}));
}

TEST(UltimateScheduleTest, FloorsTheShareOfStartupAndShutdown) {
  // floor(1000 * 1 * k / 3): 1000, 666, 333; shutdown 2 s: floor(2000 * k / 3).
  EXPECT_EQ(UltimateSchedule({{3, 0, 1, 0, 2}}), (std::vector<W>{{1000, 3000}, {666, 2333}, {333, 1666}}));
}

TEST(UltimateScheduleTest, TaurusUtg04) {
  // Blazemeter__taurus__threadgroups.jmx, UTG.04: 6 threads, 0, 30, 60, 10.
  std::vector<W> w = UltimateSchedule({{6, 0, 30, 60, 10}});
  EXPECT_EQ(w, (std::vector<W>{
                   {30000, 100000}, {25000, 98333}, {20000, 96666}, {15000, 95000}, {10000, 93333}, {5000, 91666}}));
  std::vector<int> curve = ActiveCurve(w, 5000);  // every 5 s up to 100 s
  EXPECT_EQ(curve, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 3, 0}));
}

TEST(UltimateScheduleTest, ThroughputShapingExampleRow) {
  // undera__jmeter-plugins__ThroughputShapingExample.jmx: 100 threads, 0, 0, 70, 5.
  std::vector<W> w = UltimateSchedule({{100, 0, 0, 70, 5}});
  ASSERT_EQ(w.size(), 100u);
  EXPECT_EQ(w.front(), (W{0, 75000}));
  EXPECT_EQ(w[50], (W{0, 72500}));  // k = 50: 70000 + floor(5000 * 50 / 100)
  EXPECT_EQ(w.back(), (W{0, 70050}));
  EXPECT_EQ(ActiveAt(w, 0), 100);
  EXPECT_EQ(ActiveAt(w, 70049), 100);
  EXPECT_EQ(ActiveAt(w, 70050), 99);
  EXPECT_EQ(ActiveAt(w, 72500), 50);  // k = 1..50 ended
  EXPECT_EQ(ActiveAt(w, 74999), 1);
  EXPECT_EQ(ActiveAt(w, 75000), 0);
}

TEST(UltimateScheduleTest, RowsFollowEachOtherAndEmptyRowsAddNothing) {
  std::vector<W> w = UltimateSchedule({{2, 0, 0, 5, 0}, {0, 9, 9, 9, 9}, {1, 2, 0, 1, 0}});
  EXPECT_EQ(w, (std::vector<W>{{0, 5000}, {0, 5000}, {2000, 3000}}));
  EXPECT_EQ(ActiveCurve(w, 1000), (std::vector<int>{2, 2, 3, 2, 2, 0}));
}

TEST(SteppingScheduleTest, StepsThenHoldThenStopsInGroups) {
  // 6 threads, delay 1, 2 every 2 s (burst 0: 2), rampUp 2, flight 5, stop 3 every 4 s:
  // step length 4000, 2 steps after the burst, descent 1000 + 8000 + 1000 * 2 + 5000.
  SteppingSettings s;
  s.threads = 6;
  s.initial_delay_s = 1;
  s.start_users_count = 2;
  s.start_users_period_s = 2;
  s.ramp_up_s = 2;
  s.flight_time_s = 5;
  s.stop_users_count = 3;
  s.stop_users_period_s = 4;
  std::vector<W> w = SteppingSchedule(s);
  EXPECT_EQ(
      w, (std::vector<W>{{1000, 16000}, {2000, 16000}, {5000, 16000}, {6000, 20000}, {9000, 20000}, {10000, 20000}}));
  EXPECT_EQ(ActiveCurve(w, 1000), (std::vector<int>{0, 1, 2, 2, 2, 3, 4, 4, 4, 5, 6, 6, 6, 6, 6, 6, 3, 3, 3, 3, 0}));
}

TEST(SteppingScheduleTest, BurstStartsFirstOverItsOwnRampUp) {
  SteppingSettings s;
  s.threads = 5;
  s.start_users_count = 2;
  s.start_users_count_burst = 3;
  s.start_users_period_s = 1;
  s.ramp_up_s = 3;
  s.flight_time_s = 2;
  // Burst of 3 over 3 s (1000 apart); one step of 2 at 4000 (1500 apart); descent
  // 4000 + (3000 / 2) * 2 + 2000; stop count 0: all stop together.
  EXPECT_EQ(SteppingSchedule(s), (std::vector<W>{{0, 9000}, {1000, 9000}, {2000, 9000}, {4000, 9000}, {5500, 9000}}));
}

TEST(SteppingScheduleTest, TaurusStg03FewerThreadsThanOneStep) {
  // Blazemeter__taurus__threadgroups.jmx, STG.03: 4 threads, 10 per 30 s step, rampUp 5,
  // flight 60, stop 5 every 1 s. The burst is the step count (10), more than the 4 threads:
  // one step, and the last step's count is (4 - 10) % 10 = -6 (Java's remainder), so the
  // descent is 35000 + 500 * -6 + 60000.
  SteppingSettings s;
  s.threads = 4;
  s.start_users_count = 10;
  s.start_users_period_s = 30;
  s.stop_users_count = 5;
  s.stop_users_period_s = 1;
  s.flight_time_s = 60;
  s.ramp_up_s = 5;
  EXPECT_EQ(SteppingSchedule(s), (std::vector<W>{{0, 92000}, {500, 92000}, {1000, 92000}, {1500, 92000}}));
}

TEST(SteppingScheduleTest, TurbineBurstGroup) {
  // cgrotz__turbine.go__loadtest.jmx, second group: 10 threads, delay 2, 30 per 5 s step,
  // burst 10, rampUp 5, flight 60, stop 5 every 1 s. All 10 in the burst (500 apart); no
  // step after it: descent 2000 + (5000 / 30) * 30 + 60000 = 66980.
  SteppingSettings s;
  s.threads = 10;
  s.initial_delay_s = 2;
  s.start_users_count = 30;
  s.start_users_count_burst = 10;
  s.start_users_period_s = 5;
  s.stop_users_count = 5;
  s.stop_users_period_s = 1;
  s.flight_time_s = 60;
  s.ramp_up_s = 5;
  std::vector<W> w = SteppingSchedule(s);
  ASSERT_EQ(w.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(w[i], (W{2000 + 500 * i, i < 5 ? 66980 : 67980})) << i;
  }
}

TEST(SteppingScheduleTest, NoThreadsNoWindows) {
  EXPECT_TRUE(SteppingSchedule(SteppingSettings{}).empty());
  EXPECT_TRUE(ActiveCurve({}, 1000).empty());
}

TEST(ShareWindowsTest, WorkersTakeEveryCountthWindowAsThreadShareCounts) {
  std::vector<W> all = UltimateSchedule({{5, 0, 5, 1, 0}});  // starts 5000, 4000, ..., 1000
  EXPECT_EQ(ShareWindows(all, 0, 2), (std::vector<W>{{5000, 6000}, {3000, 6000}, {1000, 6000}}));
  EXPECT_EQ(ShareWindows(all, 1, 2), (std::vector<W>{{4000, 6000}, {2000, 6000}}));
  EXPECT_EQ(ShareWindows(all, 0, 0), all);
  EXPECT_TRUE(ShareWindows(all, 5, 6).empty());
}

}  // namespace
}  // namespace barrage
