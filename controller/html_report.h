// The HTML report of one execution (`barrage report RUN --format html`): one self-contained
// file that needs no network access to view: inline CSS, the data as inline JSON, and a
// small inline script (controller/html_report_assets/, embedded at build time) that draws
// the charts on <canvas>.
//
// Contents: summary (plan, run id, status, start/end, duration, samples, errors,
// thresholds verdict), thresholds, the Aggregate Report table (label rows then TOTAL),
// charts of response-time percentiles per second (p50/p90/p95/p99 from the exact
// per-second histograms), throughput per second (samples/s and errors/s), active threads
// per second (sum over workers of the largest allThreads each reported in that second),
// errors by type (table + bar chart of the 20 most frequent types), the response-time
// distribution (histogram of elapsed ms), and the per-worker breakdown (table + chart).
//
// Every text from the plan or the samples (labels, messages, names) is HTML-escaped in the
// tables and JSON-escaped (with '<', '>' and '&' as \u escapes) in the data script; invalid
// UTF-8 is replaced, never passed through.
//
// Each chart canvas gets data-drawn="N points" once its script has drawn it, where N is the
// number of x positions: percentiles and active threads, the seconds that have samples;
// throughput, every second from the first sample's to the last's; errors, the types
// charted; distribution, the bins; workers, the workers. A chart without data says so and
// gets "0 points"; a run without errors has no errors chart. <body> gets data-charts-drawn
// with the number of charts drawn.
//
// Thread-safety: free functions without shared state.
#ifndef BARRAGE_CONTROLLER_HTML_REPORT_H_
#define BARRAGE_CONTROLLER_HTML_REPORT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/aggregate_report.h"
#include "controller/results_store.h"

namespace barrage {

struct HtmlReportInput {
  // --- the execution ---
  int64_t run_id = 0;
  std::string project;
  std::string plan_name;
  std::string plan_path;
  int64_t definition_version = 0;  // 0 = no stored definition
  std::string status;              // ExecutionStatusName
  std::string verdict;             // thresholds: "passed", "failed", "" when none
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
  std::string triggered_by;
  std::string infra_json;
  uint64_t samples = 0;
  uint64_t errors = 0;

  // --- the Aggregate Report: label rows in first-seen order, then TOTAL ---
  AggregateReport::Lines lines;
  std::vector<AggregateRow> aggregate;
  // The latency from the intended start (coordinated omission), in the same order; empty
  // (and the section left out) when no sample was late (AggregateReport::HasCorrected).
  std::vector<CorrectedRow> corrected;

  // --- per second ---
  struct Second {
    int64_t second = 0;  // epoch seconds (sample start)
    uint64_t samples = 0;
    uint64_t errors = 0;
    int64_t p50 = 0, p90 = 0, p95 = 0, p99 = 0;  // elapsed ms; 0 when samples == 0
    int64_t active_threads = 0;                  // 0 when samples == 0
  };
  // Ascending; every second from the first sample's to the last's (seconds without samples
  // have samples == 0), or only the seconds with samples when that range exceeds 7 days.
  std::vector<Second> seconds;

  struct ErrorType {
    std::string type;  // ErrorBucket::type
    uint64_t count = 0;
  };
  std::vector<ErrorType> errors_by_type;  // most frequent first, then by type

  struct Bin {
    int64_t from_ms = 0;  // [from_ms, from_ms + width)
    uint64_t count = 0;
  };
  int64_t distribution_width_ms = 1;
  std::vector<Bin> distribution;  // consecutive bins from the fastest sample's to the slowest's

  struct Worker {
    int32_t worker_id = 0;
    std::string name;  // ExecutionWorkerRecord::name, "local" for worker 0 without a record
    std::string host;
    std::string state;  // "" without a record
    uint64_t samples = 0;
    uint64_t errors = 0;
    int64_t average_ms = 0;  // truncated, as the Aggregate Report
    int64_t p95_ms = 0;
    int64_t max_ms = 0;
    double throughput = 0;  // samples per second over that worker's span
    uint64_t samples_lost = 0;
  };
  std::vector<Worker> workers;  // by worker_id

  std::vector<ThresholdRecord> thresholds;
};

// The input for one execution, from the store's rollups (ForEachBucket, ForEachErrorBucket,
// Labels, ThresholdResults, ExecutionWorkers): never rescans the samples. Memory grows with
// labels x workers and with the run's seconds, not with the samples.
Result<HtmlReportInput> BuildHtmlReportInput(const ResultsStore& store, int64_t execution_id,
                                             const AggregateReport::Lines& lines = {});

// Writes the page. Fails only when `out` fails (the error says so).
Status RenderHtmlReport(const HtmlReportInput& in, std::ostream& out);

// `text` with & < > " ' as character references and invalid UTF-8 as U+FFFD.
std::string HtmlEscape(std::string_view text);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_HTML_REPORT_H_
