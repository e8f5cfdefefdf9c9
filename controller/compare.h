// `barrage compare BASELINE RUN`: per-label deltas between two executions' Aggregate Reports
// (from the store's rollups): p50, p90, p95, p99 (ms; the report's Median and % Lines, one
// percentile rule), error rate and throughput, with regressions flagged:
//   p50..p99    regression when run > baseline * (1 + tolerance)  (latency up by more than
//               the tolerance; from a 0 ms baseline any increase is one)
//   throughput  regression when run < baseline * (1 - tolerance)
//   error_rate  regression when run > baseline (any increase)
//   p90_corrected..p99_corrected  only when both runs had late samples (AggregateReport::
//               HasCorrected): the same lines of the latency from the intended start
//               (coordinated omission), judged as p50..p99
// Labels are matched by name: the run's labels in its order, then labels only the baseline
// has, then TOTAL. A label present in one execution only is listed, never a regression.
//
// Exit code: 0 no regression, 99 at least one, 2 usage (bad tolerance, unknown run), 1 store
// failure. Pure functions except RunCompare; thread-safe.
#ifndef BARRAGE_CONTROLLER_COMPARE_H_
#define BARRAGE_CONTROLLER_COMPARE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "controller/aggregate_report.h"

namespace barrage {

struct CompareOptions {
  std::string baseline;                // BASELINE or --baseline: an id, "last", "last-passed"
  std::string run = "last";            // RUN
  std::string tolerance = "10%";       // --tolerance
  std::string db_path = "barrage.db";  // --db
  std::string project = "default";     // --project
  std::string format = "text";         // text, json
};

int RunCompare(const CompareOptions& options);

// "10%", "10" (also percent) or "2.5%": the fraction (0.1, 0.1, 0.025). Negative, non-numeric
// or non-finite values are errors naming the text.
Result<double> ParseTolerance(std::string_view text);

struct MetricDelta {
  std::string metric;  // p50, p90, p95, p99, error_rate, throughput, p90_corrected, p95_corrected, p99_corrected
  double baseline = 0;
  double run = 0;
  double change = 0;    // run - baseline
  double relative = 0;  // change / baseline (inf or NaN from a 0 baseline)
  bool regression = false;
};

struct LabelComparison {
  std::string label;  // "TOTAL" for the last one
  bool in_baseline = false;
  bool in_run = false;
  std::vector<MetricDelta> metrics;  // empty unless the label is in both
};

struct Comparison {
  int64_t baseline_id = 0;
  int64_t run_id = 0;
  double tolerance = 0;
  std::vector<LabelComparison> labels;
  int regressions = 0;
};

Comparison CompareReports(const AggregateReport& baseline, const AggregateReport& run, double tolerance);

// Aligned table: Label, Metric, Baseline, Run, Change, and "REGRESSION" where flagged;
// then one line for labels only in one execution and a closing verdict line.
std::string ComparisonText(const Comparison& comparison);
// {"baseline": id, "run": id, "tolerance": f, "labels": [{"label", "in_baseline", "in_run",
//  "metrics": {"p50": {"baseline", "run", "change", "relative", "regression"}, ...}}],
//  "regressions": n}; non-finite numbers are null.
std::string ComparisonJson(const Comparison& comparison);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_COMPARE_H_
