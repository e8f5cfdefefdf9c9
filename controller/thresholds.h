// Thresholds (k6-like pass/fail criteria): `p(95)<500`, `login: p(99)<800`,
// `error_rate<0.01`, `throughput>=200`, evaluated on an Aggregate Report's data.
//
// Expression:  [LABEL ": "] METRIC OP VALUE
//   LABEL   everything before the LAST ": " (colon + space) of the expression, kept exactly
//           (no trimming): a label may itself hold spaces, colons and ": " ("GET: /a:
//           p(95)<5" is label "GET: /a"). Without ": " the threshold is over all samples
//           (the TOTAL row). A ':' not followed by a space is an error, not a label.
//   METRIC  p(N) with 0 < N <= 100 (a decimal number), med, avg, min, max, error_rate,
//           throughput. Spaces are allowed around METRIC, OP and VALUE and inside p( N ).
//           The latency metrics also come corrected for coordinated omission:
//           p(N,corrected), med(corrected), avg(corrected), min(corrected), max(corrected)
//           judge elapsed + the sample's schedule lag (AggregateStats::Corrected(): the
//           latency from the start a schedule intended, as wrk2 measures it). A run without
//           a schedule has lag 0 everywhere: the corrected figures equal the plain ones.
//   OP      <  <=  >  >=  ==  !=
//   VALUE   a finite decimal number (exponent allowed), no unit.
// Units and definitions (one percentile rule everywhere, DESIGN §7):
//   p(N)        ms; LatencyHistogram::Percentile(AggregateReportFraction(N)): N is read as a
//               Java float and divided by 100 in float, exactly as the Aggregate Report's
//               "N% Line", so p(90)/p(95)/p(99) always equal its 90/95/99% Lines and p(50)
//               its Median.
//   med         ms; Percentile(0.5), the report's Median (= p(50)).
//   avg         ms; the exact mean of the elapsed ms (NOT truncated like the report's
//               Average, so `avg<=200` fails for a mean of 200.4).
//   min, max    ms; the report's Min and Max.
//   error_rate  failed / samples, a fraction (0.01 = 1 %), the report's Error %.
//   throughput  samples per second over (last end - first start), the report's Throughput
//               (infinite when that span is 0).
// A threshold with no samples to judge (an unknown label, an empty run) fails.
//
// TOML file (--thresholds FILE, config/thresholds.example.toml): an array of tables
//   [[threshold]]
//   expr = "p(99)<800"   # required: an expression as above
//   label = "login"      # optional; then `expr` must not carry a label of its own
// Other keys are errors (a typo must not silently drop a threshold).
//
// Errors are one line naming the expression (and the file:line for a file) and what is
// wrong. Pure functions; thread-safe.
#ifndef BARRAGE_CONTROLLER_THRESHOLDS_H_
#define BARRAGE_CONTROLLER_THRESHOLDS_H_

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "controller/aggregate_report.h"
#include "controller/results_store.h"

namespace barrage {

enum class ThresholdMetric { kPercentile, kMedian, kAverage, kMin, kMax, kErrorRate, kThroughput };
enum class ThresholdOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Threshold {
  std::string expression;  // as written; for a file entry with `label`: "LABEL: EXPR"
  std::string label;       // "" = all samples
  ThresholdMetric metric = ThresholdMetric::kPercentile;
  float percent = 0;        // N of p(N)
  bool corrected = false;   // p(N,corrected), avg(corrected), ...: AggregateStats::Corrected()
  std::string metric_name;  // "p(95)", "p(99.9)", "med", "avg", "p(99,corrected)", "max(corrected)",
                            // ... (N printed with %g)
  ThresholdOp op = ThresholdOp::kLess;
  double target = 0;
};

std::string_view ThresholdOpText(ThresholdOp op);

// One expression, e.g. from --threshold. The error reads "threshold 'EXPR': WHAT".
Result<Threshold> ParseThreshold(std::string_view expression);

// A TOML thresholds file. The error reads "FILE:LINE: ..." (or "FILE: ..." when the
// problem has no line, e.g. an unreadable file).
Result<std::vector<Threshold>> LoadThresholdsFile(const std::string& path);

// The file's thresholds (if `file` is not empty) followed by `expressions`, in order.
Result<std::vector<Threshold>> CollectThresholds(const std::vector<std::string>& expressions, const std::string& file);

struct ThresholdResult {
  Threshold threshold;
  bool has_samples = false;  // false: observed is NaN and the threshold failed
  double observed = 0;
  bool passed = false;
};

// Evaluates every threshold on the report's data (its label stats and total).
std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const AggregateReport& report);

bool AnyFailed(const std::vector<ThresholdResult>& results);

// One line without a trailing newline, e.g.
//   threshold 'login: p(99)<800' failed: p(99) of 'login' is 912 ms
//   threshold 'error_rate<0.01' passed: error_rate of all samples is 0.004
//   threshold 'x: avg<5' failed: no samples labelled 'x'
// Values print in the shortest form that reads back exactly.
std::string DescribeThresholdResult(const ThresholdResult& result);
// The same line for a stored result.
std::string DescribeThresholdRecord(const ThresholdRecord& record);
// Whether a stored result failed for lack of samples (observed -infinity, or NaN).
bool ThresholdHadNoSamples(const ThresholdRecord& record);

// The unit of a metric's value as those lines print it: " ms", "/s" or "" (error_rate).
std::string_view ThresholdUnit(std::string_view metric_name);

// The shortest decimal text that reads back as `value` ("912", "0.004", "nan", "inf").
std::string ShortestNumber(double value);

// For ResultsStore::RecordThresholdResults. Without samples, observed is -infinity: no
// metric can be negative, and the store's observed column cannot hold NaN (it is NOT NULL).
ThresholdRecord ToThresholdRecord(const ThresholdResult& result);

// --abort-on-fail: checks the thresholds on the data so far once per interval. Trips once:
// the first check with a failed threshold returns the failed results; later checks return
// nothing. A threshold without samples yet does not trip it (they may still come). Not thread-safe (one thread, e.g.
// the engine's collector).
class ThresholdWatch {
 public:
  ThresholdWatch(std::vector<Threshold> thresholds, int64_t interval_ms)
      : thresholds_(std::move(thresholds)), interval_ms_(interval_ms) {}

  // The first call starts the clock; later calls evaluate once `interval_ms` has passed
  // since the previous evaluation (or the start).
  std::vector<ThresholdResult> Check(const AggregateReport& data, int64_t now_ms);

  bool tripped() const { return !tripped_.empty(); }
  // All results of the evaluation that tripped (empty before).
  const std::vector<ThresholdResult>& tripped_results() const { return tripped_; }

 private:
  std::vector<Threshold> thresholds_;
  int64_t interval_ms_;
  int64_t next_ms_ = -1;
  std::vector<ThresholdResult> tripped_;
};

// A run's final results: `final_results` (same thresholds, same order), except that a
// threshold that failed when the watch tripped and passes at the end stays failed, with the
// value observed when it tripped (the run was stopped because of it).
// A result that failed only for lack of samples when it tripped does not count.
std::vector<ThresholdResult> WithTripped(std::vector<ThresholdResult> final_results,
                                         const std::vector<ThresholdResult>& tripped);

// The end of a run (local or cluster): the thresholds on all its samples, WithTripped()
// when --abort-on-fail tripped (`tripped` null or empty otherwise). Empty without thresholds.
std::vector<ThresholdResult> FinalThresholdResults(const std::vector<Threshold>& thresholds,
                                                   const AggregateReport& data,
                                                   const std::vector<ThresholdResult>* tripped);

// Stores a run's results in `store` (nothing to do when `results` is empty).
Status StoreThresholdResults(ResultsStore& store, int64_t execution_id, const std::vector<ThresholdResult>& results);

// One line per threshold, `barrage: ...`: passed ones on stdout, failed ones on stderr.
void PrintThresholdResults(const std::vector<ThresholdResult>& results, std::ostream& out = std::cout,
                           std::ostream& err = std::cerr);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_THRESHOLDS_H_
