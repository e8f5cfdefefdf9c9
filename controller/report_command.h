// `barrage report RUN`: an execution's Aggregate Report from the results store, as text
// (the table `run` prints), CSV (JMeter 5's "Save Table Data"), a JSON summary, JUnit XML
// (one test case per threshold) or HTML; thresholds evaluated on it on request.
//
// Data: the store's metric_bucket rollups (exact ms histograms per label and second), merged
// per label in Labels() order with TOTAL over all, so a report never rescans the samples.
// The one exception is microseconds (--us): rollups keep whole ms, so the time columns are
// then computed from the raw samples (a full scan); every other column is the same.
//
// Thresholds: with --threshold/--thresholds the report evaluates them (ms, on the rollups),
// replaces the execution's stored results and, for a completed execution (passed/failed),
// sets its status to failed or passed. Without, it shows the results stored by `run` (or an
// earlier report). Exit code: 0, 99 when a shown threshold failed, 2 for usage errors (bad
// expression, unknown run), 1 for store or I/O failures.
#ifndef BARRAGE_CONTROLLER_REPORT_COMMAND_H_
#define BARRAGE_CONTROLLER_REPORT_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "controller/aggregate_report.h"
#include "controller/results_store.h"

namespace barrage {

struct ReportOptions {
  std::string run = "last";             // an id, "last" or "last-passed"
  std::string db_path = "barrage.db";   // --db
  std::string project = "default";      // --project
  std::string format = "text";          // text, csv, json, junit, html
  std::string output_path;              // -o; "" = stdout
  bool microseconds = false;            // --us (default --ms)
  std::vector<std::string> thresholds;  // --threshold (repeatable)
  std::string thresholds_file;          // --thresholds
};

int RunReport(const ReportOptions& options);

// The execution's Aggregate Report merged from its metric_bucket rollups. Fails for a bucket
// naming a label the execution does not have.
Result<AggregateReport> LoadAggregateReport(const ResultsStore& store, int64_t execution_id);

// The Aggregate Report rows with Average, Median, the % Lines, Min and Max in microseconds,
// from a scan of the raw samples (elapsed_us); the other columns as in ms.
Result<std::vector<AggregateRow>> MicrosecondRows(const ResultsStore& store, int64_t execution_id);

// The JSON summary: {"run": {...execution facts...}, "unit": "ms"|"us", "labels": [rows],
// "total": row, "thresholds": [...], "verdict": "passed"|"failed"|null}. A row is {label,
// samples, errors, average, median, p90, p95, p99 (named from the lines), min, max,
// error_rate (fraction), throughput (/s; null when infinite), received_kb_per_sec,
// sent_kb_per_sec}. `report` supplies the error counts.
std::string ReportJson(const ExecutionRecord& execution, const std::vector<AggregateRow>& rows,
                       const AggregateReport& report, bool microseconds,
                       const std::vector<ThresholdRecord>& thresholds);

// The report of `execution` in `format` (text, csv, json, junit, html): exactly the bytes
// `barrage report` writes, given `report` (LoadAggregateReport), the thresholds to show
// (`records`, e.g. the stored ThresholdResults) and, with `microseconds` (text, csv, json
// only), the time columns from a scan of the samples. InvalidArgument naming the format for
// any other; store errors as they come.
Result<std::string> FormatReport(const ResultsStore& store, const ExecutionRecord& execution,
                                 const AggregateReport& report, const std::vector<ThresholdRecord>& records,
                                 std::string_view format, bool microseconds = false);

// JUnit XML: one <testsuite> for the execution, one <testcase> per threshold (name = the
// expression, classname "barrage.thresholds"), a <failure> with the observed value for each
// failed one.
std::string ReportJunit(const ExecutionRecord& execution, const std::vector<ThresholdRecord>& thresholds);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_REPORT_COMMAND_H_
