// JMeter's Aggregate Report (StatVisualizer / SamplingStatCalculator): one row per label,
// in the order labels were first seen, then TOTAL over all samples.
//
// Definitions (JMeter's, checked byte for byte against JMeter's own output in
// shared/jmeter-reference):
//   # Samples         number of samples
//   Average           (long) mean of elapsed ms: truncated, not rounded
//   Median, NN% Line  LatencyHistogram::Percentile (nearest rank, Math.round(N*p)); the NN%
//                     lines use p = NN/100 computed in Java float (AggregateReportFraction)
//   Min, Max          of elapsed ms
//   Error %           failed / N
//   Throughput        N / (max(start + elapsed) - min(start)) per second, per row: TOTAL is
//                     over all samples, not the sum of the rows; infinite when that span is 0
//   KB/sec            bytes / (span / 1000.0) / 1024, 0 when the span or the bytes are 0
// elapsed is our microseconds truncated to ms, as in the JTL.
//
// Not thread-safe: feed it from one thread (or merge per-thread reports first).
#ifndef BARRAGE_CONTROLLER_AGGREGATE_REPORT_H_
#define BARRAGE_CONTROLLER_AGGREGATE_REPORT_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/latency_histogram.h"
#include "common/sample.h"

namespace barrage {

struct AggregateRow {
  std::string label;
  uint64_t count = 0;
  int64_t average = 0;
  int64_t median = 0;
  int64_t line1 = 0;  // 90% Line by default
  int64_t line2 = 0;  // 95% Line
  int64_t line3 = 0;  // 99% Line
  int64_t min = 0;
  int64_t max = 0;
  double error_fraction = 0;     // 0..1
  double throughput = 0;         // samples per second
  double received_kb_per_s = 0;  // KB = 1024 bytes
  double sent_kb_per_s = 0;
};

// Per-label accumulator: the raw facts a row is computed from; mergeable.
//
// Coordinated omission: a sample's corrected latency is its elapsed ms + its schedule lag
// in ms (Sample::schedule_lag_us / 1000, both truncated as in the JTL, so a JTL round trip
// gives the same figures); a sample is late when that lag is 1 ms or more. corrected_ms is
// kept only once a late sample was added (until then it would equal elapsed_ms): a run
// without a schedule costs nothing and has no corrected figures.
struct AggregateStats {
  LatencyHistogram elapsed_ms;
  uint64_t errors = 0;
  int64_t bytes = 0;
  int64_t sent_bytes = 0;
  int64_t first_start_ms = INT64_MAX;
  int64_t last_end_ms = 0;
  uint64_t late = 0;              // samples with a schedule lag of 1 ms or more
  LatencyHistogram corrected_ms;  // of every sample, once late > 0; else empty

  void Add(const Sample& s);
  void Merge(const AggregateStats& other);
  // The corrected latencies: corrected_ms when a sample was late, else elapsed_ms.
  const LatencyHistogram& Corrected() const { return late ? corrected_ms : elapsed_ms; }
};

// The figures of AggregateStats::Corrected() a report shows next to JMeter's (only when
// AggregateStats::late > 0), with the report's percent lines.
struct CorrectedRow {
  std::string label;
  uint64_t count = 0;
  uint64_t late = 0;
  int64_t average = 0;  // (long) mean, as JMeter's Average
  int64_t line1 = 0;
  int64_t line2 = 0;
  int64_t line3 = 0;
  int64_t max = 0;
};

class AggregateReport {
 public:
  // The three percent lines (JMeter's aggregate_rpt_pct1..3 properties).
  struct Lines {
    float pct1 = 90, pct2 = 95, pct3 = 99;
  };

  AggregateReport() = default;
  explicit AggregateReport(Lines lines) : lines_(lines) {}

  void Add(const Sample& s);
  void Add(const std::vector<Sample>& samples);
  // Merges stats already accumulated for `label` (e.g. the store's per-second rollups) into
  // its row and TOTAL; a new label takes the next place in first-seen order.
  void Add(const std::string& label, const AggregateStats& stats);

  // Label rows in first-seen order, then TOTAL. With no samples: TOTAL alone, all zero.
  std::vector<AggregateRow> Rows() const;
  const Lines& lines() const { return lines_; }

  // The facts behind the rows: labels in first-seen order, one label's stats (nullptr when
  // never seen) and all samples'.
  const std::vector<std::string>& labels() const { return order_; }
  const AggregateStats* Find(const std::string& label) const;
  const AggregateStats& total() const { return total_; }

  // One row computed from `stats` with this report's lines.
  AggregateRow MakeRow(const std::string& label, const AggregateStats& stats) const;

  // Whether any sample was late (total().late > 0): only then do reports show corrected
  // figures, so the reports of runs without a schedule stay JMeter's.
  bool HasCorrected() const { return total_.late > 0; }
  // The corrected figures: label rows in first-seen order, then TOTAL.
  std::vector<CorrectedRow> CorrectedRows() const;
  CorrectedRow MakeCorrectedRow(const std::string& label, const AggregateStats& stats) const;

 private:
  Lines lines_;
  std::vector<std::string> order_;
  std::unordered_map<std::string, AggregateStats> by_label_;
  AggregateStats total_;
};

enum class AggregateCsvFlavor {
  // JMeter 5.x "Save Table Data": 13 columns (Received KB/sec, Sent KB/sec), Error %
  // "#0.000%", Throughput "#.00000", KB/sec "#0.00".
  kJMeter5,
  // JMeter 2.13 "Save Table Data": 12 columns (one KB/sec), Error % "#0.00%", Throughput
  // and KB/sec "#.0". The format of shared/jmeter-reference/*.aggregate-report.csv.
  kJMeter213,
};

// The table as JMeter's "Save Table Data" writes it (CSVSaveService.saveCSVStats: fields
// quoted only when they contain ',' or '"'; "\n" line ends).
std::string AggregateReportCsv(const std::vector<AggregateRow>& rows, AggregateCsvFlavor flavor,
                               bool with_header = true, const AggregateReport::Lines& lines = AggregateReport::Lines{});

// The corrected figures as a terminal table under the title "Latency from the intended
// start (corrected for coordinated omission), ms": Label, # Samples, Late, Average, the
// three NN% Lines, Max.
std::string CorrectedReportText(const std::vector<CorrectedRow>& rows,
                                const AggregateReport::Lines& lines = AggregateReport::Lines{});

// The table for a terminal, with the values JMeter's GUI shows: Error % "#0.00%",
// Throughput as "12.3/sec" (or "/min", "/hour" below 1/s, JMeter's RateRenderer),
// KB/sec "#0.00". Columns aligned with spaces; labels left, numbers right.
std::string AggregateReportText(const std::vector<AggregateRow>& rows,
                                const AggregateReport::Lines& lines = AggregateReport::Lines{});

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_AGGREGATE_REPORT_H_
