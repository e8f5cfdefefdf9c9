#include "controller/summariser.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace barrage {
namespace {

constexpr int64_t kStart = 1795705930953;  // the reference run's start, ms

Sample Timed(int64_t elapsed_ms, bool ok = true) {
  Sample s;
  s.elapsed_us = elapsed_ms * 1000 + 999;  // sub-ms parts are truncated
  s.success = ok;
  return s;
}

// 500 samples as in the reference run: 200 failures, times 0..37 ms averaging 2.
std::vector<Sample> ReferenceBatch() {
  std::vector<Sample> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(Timed(i == 0 ? 37 : (i % 2 ? 0 : 4), /*ok=*/i % 5 >= 2));
  return batch;
}

TEST(SummariserTest, FirstIntervalPrintsOnlyThePlusLine) {
  Summariser s(kStart);
  s.Add(ReferenceBatch());
  std::vector<std::string> lines = s.EndInterval(kStart + 1125, {.active = 0, .started = 5, .finished = 5});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "summary +    500 in 00:00:01 =  444.4/s Avg:     2 Min:     0 Max:    37 Err:   200 (40.00%) "
            "Active: 0 Started: 5 Finished: 5");
}

TEST(SummariserTest, LateArrivalsEndThePlusLineWhenThereAreSome) {
  Summariser s(kStart);
  s.Add(ReferenceBatch());
  std::vector<std::string> lines =
      s.EndInterval(kStart + 1125, {.active = 2, .started = 5, .finished = 3, .late_arrivals = 7});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "summary +    500 in 00:00:01 =  444.4/s Avg:     2 Min:     0 Max:    37 Err:   200 (40.00%) "
            "Active: 2 Started: 5 Finished: 3 Late: 7");
}

TEST(SummariserTest, LaterIntervalsAlsoPrintTheRunningTotal) {
  Summariser s(kStart);
  s.Add(Timed(10));
  ASSERT_EQ(s.EndInterval(kStart + 30'000, {.active = 2, .started = 2}).size(), 1u);
  s.Add(Timed(20, false));
  s.Add(Timed(40));
  std::vector<std::string> lines = s.EndInterval(kStart + 60'000, {.active = 2, .started = 2});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "summary +      2 in 00:00:30 =    0.1/s Avg:    30 Min:    20 Max:    40 Err:     1 (50.00%) "
            "Active: 2 Started: 2 Finished: 0");
  EXPECT_EQ(lines[1], "summary =      3 in 00:01:00 =    0.1/s Avg:    23 Min:    10 Max:    40 Err:     1 (33.33%)");
}

TEST(SummariserTest, IntervalWithoutSamplesPrintsNothingAndKeepsGoing) {
  Summariser s(kStart);
  EXPECT_TRUE(s.EndInterval(kStart + 5'000, {}).empty());
  s.Add(Timed(1));
  // The `+` interval still runs from the test start: nothing was reported at 5 s.
  std::vector<std::string> lines = s.EndInterval(kStart + 10'000, {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].substr(0, 40), "summary +      1 in 00:00:10 =    0.1/s ");
}

TEST(SummariserTest, ElapsedSecondsAreRounded) {
  Summariser s(kStart);
  s.Add(Timed(1));
  EXPECT_EQ(s.EndInterval(kStart + 1'499, {})[0].substr(0, 28), "summary +      1 in 00:00:01");
  s.Add(Timed(1));
  EXPECT_EQ(s.EndInterval(kStart + 1'499 + 1'500, {})[0].substr(0, 28), "summary +      1 in 00:00:02");
}

TEST(SummariserTest, ZeroElapsedPrintsStarsForTheRate) {
  Summariser s(kStart);
  s.Add(Timed(3));
  EXPECT_EQ(s.EndInterval(kStart, {})[0],
            "summary +      1 in 00:00:00 = ******/s Avg:     3 Min:     3 Max:     3 Err:     0 (0.00%) "
            "Active: 0 Started: 0 Finished: 0");
}

TEST(SummariserTest, FinishAfterNoReportPrintsOnlyTheTotal) {
  Summariser s(kStart);
  s.Add(ReferenceBatch());
  std::vector<std::string> lines = s.Finish(kStart + 1'168, {.active = 0, .started = 5, .finished = 5});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "summary =    500 in 00:00:01 =  428.1/s Avg:     2 Min:     0 Max:    37 Err:   200 (40.00%)");
}

TEST(SummariserTest, FinishAfterReportsPrintsLastDeltaAndTotal) {
  Summariser s(kStart);
  s.Add(Timed(5));
  s.EndInterval(kStart + 30'000, {});
  s.Add(Timed(7));
  std::vector<std::string> lines = s.Finish(kStart + 32'000, {.active = 0, .started = 1, .finished = 1});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "summary +      1 in 00:00:02 =    0.5/s Avg:     7 Min:     7 Max:     7 Err:     0 (0.00%) "
            "Active: 0 Started: 1 Finished: 1");
  EXPECT_EQ(lines[1], "summary =      2 in 00:00:32 =    0.1/s Avg:     6 Min:     5 Max:     7 Err:     0 (0.00%)");
}

TEST(SummariserTest, FinishWithEmptyLastIntervalPrintsOnlyTheTotal) {
  Summariser s(kStart);
  s.Add(Timed(5));
  s.EndInterval(kStart + 30'000, {});
  EXPECT_EQ(s.Finish(kStart + 31'000, {}).size(), 1u);
}

TEST(SummariserTest, TestWithoutSamplesEndsWithJMetersExtremes) {
  Summariser s(kStart);
  std::vector<std::string> lines = s.Finish(kStart + 2'000, {});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "summary =      0 in 00:00:00 = ******/s Avg:     0 Min: 9223372036854775807 "
            "Max: -9223372036854775808 Err:     0 (0.00%)");
}

TEST(SummariserTest, WideNumbersAreNotTruncated) {
  Summariser s(kStart, 30, "big");
  const Sample slow = Timed(123'456);
  for (int i = 0; i < 1'234'567; ++i) s.Add(slow);
  EXPECT_EQ(s.EndInterval(kStart + 3'600'000 * 100LL, {})[0],
            "big + 1234567 in 100:00:00 =    3.4/s Avg: 123456 Min: 123456 Max: 123456 Err:     0 (0.00%) "
            "Active: 0 Started: 0 Finished: 0");
}

TEST(SummariserTest, ReportIsDueJustAfterWallClockMultiplesOfTheInterval) {
  // JMeter: now > last + 5 s and now % interval <= 5 s (whole seconds).
  Summariser s(0, 30);
  EXPECT_FALSE(s.ReportDue(5'999));   // 5 s: not more than 5 s since "last" (0)
  EXPECT_FALSE(s.ReportDue(29'000));  // 29 % 30 = 29
  EXPECT_TRUE(s.ReportDue(30'000));
  EXPECT_TRUE(s.ReportDue(35'999));
  EXPECT_FALSE(s.ReportDue(36'000));  // 36 % 30 = 6
  s.Add(Timed(1));
  s.EndInterval(30'500, {});
  EXPECT_FALSE(s.ReportDue(35'999));  // within 5 s of the last report
  EXPECT_TRUE(s.ReportDue(60'000));
}

TEST(SummariserTest, ConcurrentAddsAreAllCounted) {
  Summariser s(kStart);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&s] {
      for (int i = 0; i < 10'000; ++i) {
        if (i % 2) {
          s.Add(Timed(1));
        } else {
          s.Add(std::vector<Sample>{Timed(1, false)});
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(s.Finish(kStart + 10'000, {})[0],
            "summary =  80000 in 00:00:10 = 8000.0/s Avg:     1 Min:     1 Max:     1 Err: 40000 (50.00%)");
}

}  // namespace
}  // namespace barrage
