#include "controller/compare.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace barrage {
namespace {

Sample S(const std::string& label, int64_t start_ms, int64_t elapsed_ms, bool ok = true) {
  Sample s;
  s.label = label;
  s.timestamp_ms = start_ms;
  s.elapsed_us = elapsed_ms * 1000;
  s.success = ok;
  return s;
}

// `n` samples of `label`, one every 100 ms from 0, each `elapsed_ms` long; the first
// `failures` failed.
void AddSeries(AggregateReport* r, const std::string& label, int n, int64_t elapsed_ms, int failures = 0) {
  for (int i = 0; i < n; ++i) r->Add(S(label, i * 100, elapsed_ms, i >= failures));
}

const MetricDelta& Metric(const LabelComparison& lc, const std::string& name) {
  for (const MetricDelta& d : lc.metrics) {
    if (d.metric == name) return d;
  }
  static MetricDelta none;
  ADD_FAILURE() << "no metric " << name;
  return none;
}

TEST(ParseToleranceTest, AcceptsPercentWithOrWithoutSign) {
  EXPECT_EQ(*ParseTolerance("10%"), 0.1);
  EXPECT_EQ(*ParseTolerance("10"), 0.1);
  EXPECT_EQ(*ParseTolerance("2.5%"), 0.025);
  EXPECT_EQ(*ParseTolerance("0%"), 0.0);
}

TEST(ParseToleranceTest, RejectsNegativeAndNonNumbers) {
  for (const char* bad : {"-1%", "abc", "", "%", "10%%", "1e999", "10 %"}) {
    Result<double> t = ParseTolerance(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().message(),
              std::string("--tolerance ") + bad + ": expected a percentage of 0 or more, such as 10%");
  }
}

TEST(CompareTest, LatencyUpByMoreThanTheToleranceIsARegression) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 111);
  Comparison c = CompareReports(base, run, 0.10);
  ASSERT_EQ(c.labels.size(), 2u);  // a, TOTAL
  const MetricDelta& p95 = Metric(c.labels[0], "p95");
  EXPECT_EQ(p95.baseline, 100);
  EXPECT_EQ(p95.run, 111);
  EXPECT_EQ(p95.change, 11);
  EXPECT_EQ(p95.relative, 0.11);
  EXPECT_TRUE(p95.regression);
  for (const char* m : {"p50", "p90", "p99"}) EXPECT_TRUE(Metric(c.labels[0], m).regression) << m;
}

TEST(CompareTest, LatencyUpByExactlyTheToleranceIsNot) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 110);
  Comparison c = CompareReports(base, run, 0.10);
  EXPECT_FALSE(Metric(c.labels[0], "p99").regression);
}

TEST(CompareTest, LatencyDownIsNeverARegression) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 50);
  Comparison c = CompareReports(base, run, 0.10);
  EXPECT_EQ(c.regressions, 0);
  EXPECT_EQ(Metric(c.labels[0], "p50").relative, -0.5);
}

TEST(CompareTest, LatencyFromZeroBaselineIsAnInfiniteIncrease) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 0);
  AddSeries(&run, "a", 10, 1);
  Comparison c = CompareReports(base, run, 0.10);
  const MetricDelta& p50 = Metric(c.labels[0], "p50");
  EXPECT_TRUE(std::isinf(p50.relative));
  EXPECT_TRUE(p50.regression);
}

TEST(CompareTest, ThroughputDownByMoreThanTheToleranceIsARegression) {
  // 10 samples over 1000 ms (10/s) against 10 samples over 1200 ms (8.33/s, -16.7 %).
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  for (int i = 0; i < 10; ++i) run.Add(S("a", i * 100, i == 9 ? 300 : 100));
  Comparison c = CompareReports(base, run, 0.10);
  const MetricDelta& t = Metric(c.labels[0], "throughput");
  EXPECT_EQ(t.baseline, 10.0);
  EXPECT_EQ(t.run, 10.0 / 1200 * 1000);
  EXPECT_TRUE(t.regression);
  // The 99% line moved from 100 to 300 too; p50..p95 did not.
  EXPECT_FALSE(Metric(c.labels[0], "p95").regression);
  EXPECT_TRUE(Metric(c.labels[0], "p99").regression);
  EXPECT_EQ(c.regressions, 4);  // p99 and throughput, for a and TOTAL
}

TEST(CompareTest, AnyErrorRateIncreaseIsARegression) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 100, 1);
  Comparison c = CompareReports(base, run, 0.50);
  const MetricDelta& e = Metric(c.labels[0], "error_rate");
  EXPECT_EQ(e.baseline, 0);
  EXPECT_EQ(e.run, 0.1);
  EXPECT_TRUE(e.regression);
  EXPECT_EQ(c.regressions, 2);  // a and TOTAL
}

TEST(CompareTest, LabelsInOneRunOnlyAreListedNotFlagged) {
  AggregateReport base, run;
  AddSeries(&base, "gone", 10, 100);
  AddSeries(&base, "kept", 10, 100);
  AddSeries(&run, "new", 10, 100);
  AddSeries(&run, "kept", 10, 100);
  Comparison c = CompareReports(base, run, 0.10);
  ASSERT_EQ(c.labels.size(), 4u);
  EXPECT_EQ(c.labels[0].label, "new");
  EXPECT_FALSE(c.labels[0].in_baseline);
  EXPECT_TRUE(c.labels[0].metrics.empty());
  EXPECT_EQ(c.labels[1].label, "kept");
  EXPECT_EQ(c.labels[1].metrics.size(), 6u);
  EXPECT_EQ(c.labels[2].label, "gone");
  EXPECT_FALSE(c.labels[2].in_run);
  EXPECT_EQ(c.labels[3].label, "TOTAL");
  EXPECT_EQ(c.regressions, 0);
}

TEST(CompareTest, TextShowsEveryMetricAndFlagsRegressions) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 111, 1);
  AddSeries(&base, "b", 1, 5);
  Comparison c = CompareReports(base, run, 0.10);
  c.baseline_id = 3;
  c.run_id = 4;
  EXPECT_EQ(ComparisonText(c),
            "run 4 against baseline run 3 (tolerance 10%)\n"
            "Label  Metric      Baseline     Run     Change\n"
            "a      p50           100 ms  111 ms     +11.0%  REGRESSION\n"
            "a      p90           100 ms  111 ms     +11.0%  REGRESSION\n"
            "a      p95           100 ms  111 ms     +11.0%  REGRESSION\n"
            "a      p99           100 ms  111 ms     +11.0%  REGRESSION\n"
            "a      error_rate     0.00%  10.00%  +10.00 pp  REGRESSION\n"
            "a      throughput    10.0/s   9.9/s      -1.1%\n"
            "TOTAL  p50           100 ms  111 ms     +11.0%  REGRESSION\n"
            "TOTAL  p90           100 ms  111 ms     +11.0%  REGRESSION\n"
            "TOTAL  p95           100 ms  111 ms     +11.0%  REGRESSION\n"
            "TOTAL  p99           100 ms  111 ms     +11.0%  REGRESSION\n"
            "TOTAL  error_rate     0.00%  10.00%  +10.00 pp  REGRESSION\n"
            "TOTAL  throughput    11.0/s   9.9/s     -10.1%  REGRESSION\n"
            "b: only in baseline run 3\n"
            "11 regressions\n");
}

TEST(CompareTest, JsonCarriesDeltasPerLabel) {
  AggregateReport base, run;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 111);
  Comparison c = CompareReports(base, run, 0.10);
  c.baseline_id = 1;
  c.run_id = 2;
  nlohmann::json j = nlohmann::json::parse(ComparisonJson(c));
  EXPECT_EQ(j["baseline"], 1);
  EXPECT_EQ(j["run"], 2);
  EXPECT_EQ(j["tolerance"], 0.1);
  EXPECT_EQ(j["regressions"], 8);
  ASSERT_EQ(j["labels"].size(), 2u);
  const nlohmann::json& a = j["labels"][0];
  EXPECT_EQ(a["label"], "a");
  EXPECT_EQ(a["in_baseline"], true);
  EXPECT_EQ(a["in_run"], true);
  EXPECT_EQ(a["metrics"]["p50"],
            nlohmann::json(
                {{"baseline", 100.0}, {"run", 111.0}, {"change", 11.0}, {"relative", 0.11}, {"regression", true}}));
  EXPECT_EQ(a["metrics"]["error_rate"]["regression"], false);
  EXPECT_EQ(j["labels"][1]["label"], "TOTAL");
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

// Coordinated omission: the corrected lines are compared only when both runs had late samples.
TEST(CompareTest, CorrectedLinesWhenBothRunsHadLateSamples) {
  AggregateReport base, run, plain;
  AddSeries(&base, "a", 10, 100);
  AddSeries(&run, "a", 10, 100);
  AddSeries(&plain, "a", 10, 100);
  Sample late_base = S("a", 1000, 100);
  late_base.schedule_lag_us = 100'000;  // corrected 200
  base.Add(late_base);
  Sample late_run = S("a", 1000, 100);
  late_run.schedule_lag_us = 900'000;  // corrected 1000
  run.Add(late_run);
  plain.Add(S("a", 1000, 100));

  Comparison c = CompareReports(base, run, 0.10);
  const MetricDelta& p99 = Metric(c.labels[0], "p99");
  EXPECT_EQ(p99.baseline, 100);  // JMeter's figures are the same
  EXPECT_FALSE(p99.regression);
  const MetricDelta& p99c = Metric(c.labels[0], "p99_corrected");
  EXPECT_EQ(p99c.baseline, 200);
  EXPECT_EQ(p99c.run, 1000);
  EXPECT_TRUE(p99c.regression);
  EXPECT_EQ(Metric(c.labels[1], "p90_corrected").run, 100);       // TOTAL: 10 of 11 at 100 ms
  EXPECT_FALSE(Metric(c.labels[0], "p95_corrected").regression);  // round(11 * 0.95f) = 10th: 100 both
  EXPECT_EQ(c.regressions, 2);                                    // p99_corrected of a and TOTAL
  EXPECT_EQ(c.labels[0].metrics.size(), 9u);

  Comparison without = CompareReports(plain, run, 0.10);
  EXPECT_EQ(without.labels[0].metrics.size(), 6u);  // the baseline had no late sample
  EXPECT_EQ(without.regressions, 0);
}

}  // namespace
}  // namespace barrage
