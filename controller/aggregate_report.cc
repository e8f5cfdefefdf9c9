#include "controller/aggregate_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "controller/decimal_format.h"
#include "controller/jtl_writer.h"

namespace barrage {
namespace {

// "90" for 90.0f, "99.9" for 99.9f: the label JMeter builds from the property text.
std::string PercentText(float pct) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(pct));
  return buf;
}

std::vector<std::string> Headers(AggregateCsvFlavor flavor, const AggregateReport::Lines& lines) {
  std::vector<std::string> h = {"Label",
                                "# Samples",
                                "Average",
                                "Median",
                                PercentText(lines.pct1) + "% Line",
                                PercentText(lines.pct2) + "% Line",
                                PercentText(lines.pct3) + "% Line",
                                "Min",
                                "Max",
                                "Error %",
                                "Throughput"};
  if (flavor == AggregateCsvFlavor::kJMeter213) {
    h.push_back("KB/sec");
  } else {
    h.push_back("Received KB/sec");
    h.push_back("Sent KB/sec");
  }
  return h;
}

std::vector<std::string> IntegerCells(const AggregateRow& r) {
  return {r.label,
          std::to_string(r.count),
          std::to_string(r.average),
          std::to_string(r.median),
          std::to_string(r.line1),
          std::to_string(r.line2),
          std::to_string(r.line3),
          std::to_string(r.min),
          std::to_string(r.max)};
}

void AppendCsvLine(const std::vector<std::string>& cells, std::string* out) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out->push_back(',');
    // saveCSVStats quotes on ',' and '"' only (not CR/LF, unlike the JTL writer).
    if (cells[i].find_first_of(",\"") == std::string::npos) {
      out->append(cells[i]);
    } else {
      AppendCsvField(cells[i], ',', out);
    }
  }
  out->push_back('\n');
}

// JMeter's RateRenderer("#.0").
std::string RateText(double rate) {
  if (rate == std::numeric_limits<double>::max()) return "#N/A";
  const char* unit = "sec";
  if (rate < 1.0) {
    rate *= 60.0;
    unit = "min";
  }
  if (rate < 1.0) {
    rate *= 60.0;
    unit = "hour";
  }
  return FormatDecimal(rate, {.fraction_digits = 1, .integer_zero = false}) + "/" + unit;
}

// Cells aligned with spaces: the first column left, the others right; the first row is the header.
std::string AlignedTable(const std::vector<std::vector<std::string>>& table);

// Display width of UTF-8 text, counting code points (labels may hold non-ASCII).
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

void AggregateStats::Add(const Sample& s) {
  const int64_t ms = s.elapsed_us > 0 ? s.elapsed_us / 1000 : 0;
  const int64_t lag_ms = s.schedule_lag_us > 0 ? s.schedule_lag_us / 1000 : 0;
  if (lag_ms > 0) {
    if (late++ == 0) corrected_ms = elapsed_ms;  // the samples before were on time
  }
  if (late > 0) corrected_ms.Add(ms + lag_ms);
  elapsed_ms.Add(ms);
  if (!s.success) ++errors;
  bytes += s.bytes;
  sent_bytes += s.sent_bytes;
  first_start_ms = std::min(first_start_ms, s.timestamp_ms);
  last_end_ms = std::max(last_end_ms, s.timestamp_ms + ms);
}

void AggregateStats::Merge(const AggregateStats& other) {
  if (other.late > 0 && late == 0) corrected_ms = elapsed_ms;
  if (late > 0 || other.late > 0) corrected_ms.Merge(other.Corrected());
  late += other.late;
  elapsed_ms.Merge(other.elapsed_ms);
  errors += other.errors;
  bytes += other.bytes;
  sent_bytes += other.sent_bytes;
  first_start_ms = std::min(first_start_ms, other.first_start_ms);
  last_end_ms = std::max(last_end_ms, other.last_end_ms);
}

void AggregateReport::Add(const Sample& s) {
  auto [it, inserted] = by_label_.try_emplace(s.label);
  if (inserted) order_.push_back(s.label);
  it->second.Add(s);
  total_.Add(s);
}

void AggregateReport::Add(const std::vector<Sample>& samples) {
  for (const Sample& s : samples) Add(s);
}

void AggregateReport::Add(const std::string& label, const AggregateStats& stats) {
  auto [it, inserted] = by_label_.try_emplace(label);
  if (inserted) order_.push_back(label);
  it->second.Merge(stats);
  total_.Merge(stats);
}

const AggregateStats* AggregateReport::Find(const std::string& label) const {
  auto it = by_label_.find(label);
  return it == by_label_.end() ? nullptr : &it->second;
}

std::vector<AggregateRow> AggregateReport::Rows() const {
  std::vector<AggregateRow> rows;
  rows.reserve(order_.size() + 1);
  for (const std::string& label : order_) rows.push_back(MakeRow(label, by_label_.at(label)));
  rows.push_back(MakeRow("TOTAL", total_));
  return rows;
}

AggregateRow AggregateReport::MakeRow(const std::string& label, const AggregateStats& st) const {
  AggregateRow r;
  r.label = label;
  const LatencyHistogram& h = st.elapsed_ms;
  r.count = h.count();
  if (r.count == 0) return r;
  r.average = static_cast<int64_t>(h.Mean());
  r.median = h.Percentile(0.5);
  r.line1 = h.Percentile(AggregateReportFraction(lines_.pct1));
  r.line2 = h.Percentile(AggregateReportFraction(lines_.pct2));
  r.line3 = h.Percentile(AggregateReportFraction(lines_.pct3));
  r.min = h.min();
  r.max = h.max();
  r.error_fraction = static_cast<double>(st.errors) / static_cast<double>(r.count);
  const int64_t span_ms = st.last_end_ms - st.first_start_ms;
  // As SamplingStatCalculator: count / span * 1000 (infinite for a zero span), and bytes
  // per second only when both the span and the bytes are positive.
  r.throughput = static_cast<double>(r.count) / static_cast<double>(span_ms) * 1000.0;
  auto per_second = [span_ms](int64_t value) {
    if (span_ms <= 0 || value <= 0) return 0.0;
    return static_cast<double>(value) / (static_cast<double>(span_ms) / 1000);
  };
  r.received_kb_per_s = per_second(st.bytes) / 1024;
  r.sent_kb_per_s = per_second(st.sent_bytes) / 1024;
  return r;
}

std::vector<CorrectedRow> AggregateReport::CorrectedRows() const {
  std::vector<CorrectedRow> rows;
  rows.reserve(order_.size() + 1);
  for (const std::string& label : order_) rows.push_back(MakeCorrectedRow(label, by_label_.at(label)));
  rows.push_back(MakeCorrectedRow("TOTAL", total_));
  return rows;
}

CorrectedRow AggregateReport::MakeCorrectedRow(const std::string& label, const AggregateStats& st) const {
  CorrectedRow r;
  r.label = label;
  const LatencyHistogram& h = st.Corrected();
  r.count = h.count();
  r.late = st.late;
  if (r.count == 0) return r;
  r.average = static_cast<int64_t>(h.Mean());
  r.line1 = h.Percentile(AggregateReportFraction(lines_.pct1));
  r.line2 = h.Percentile(AggregateReportFraction(lines_.pct2));
  r.line3 = h.Percentile(AggregateReportFraction(lines_.pct3));
  r.max = h.max();
  return r;
}

std::string AggregateReportCsv(const std::vector<AggregateRow>& rows, AggregateCsvFlavor flavor, bool with_header,
                               const AggregateReport::Lines& lines) {
  std::string out;
  if (with_header) AppendCsvLine(Headers(flavor, lines), &out);
  const bool old = flavor == AggregateCsvFlavor::kJMeter213;
  const DecimalPattern error{.fraction_digits = old ? 2 : 3, .integer_zero = true, .percent = true};
  const DecimalPattern rate{.fraction_digits = old ? 1 : 5, .integer_zero = false};
  const DecimalPattern kb{.fraction_digits = old ? 1 : 2, .integer_zero = !old};
  for (const AggregateRow& r : rows) {
    std::vector<std::string> cells = IntegerCells(r);
    cells.push_back(FormatDecimal(r.error_fraction, error));
    cells.push_back(FormatDecimal(r.throughput, rate));
    cells.push_back(FormatDecimal(r.received_kb_per_s, kb));
    if (!old) cells.push_back(FormatDecimal(r.sent_kb_per_s, kb));
    AppendCsvLine(cells, &out);
  }
  return out;
}

std::string AggregateReportText(const std::vector<AggregateRow>& rows, const AggregateReport::Lines& lines) {
  std::vector<std::vector<std::string>> table;
  table.push_back(Headers(AggregateCsvFlavor::kJMeter5, lines));
  for (const AggregateRow& r : rows) {
    std::vector<std::string> cells = IntegerCells(r);
    cells.push_back(FormatDecimal(r.error_fraction, {.fraction_digits = 2, .percent = true}));
    cells.push_back(RateText(r.throughput));
    cells.push_back(FormatDecimal(r.received_kb_per_s, {.fraction_digits = 2}));
    cells.push_back(FormatDecimal(r.sent_kb_per_s, {.fraction_digits = 2}));
    table.push_back(std::move(cells));
  }
  return AlignedTable(table);
}

std::string CorrectedReportText(const std::vector<CorrectedRow>& rows, const AggregateReport::Lines& lines) {
  std::vector<std::vector<std::string>> table;
  table.push_back({"Label", "# Samples", "Late", "Average", PercentText(lines.pct1) + "% Line",
                   PercentText(lines.pct2) + "% Line", PercentText(lines.pct3) + "% Line", "Max"});
  for (const CorrectedRow& r : rows) {
    table.push_back({r.label, std::to_string(r.count), std::to_string(r.late), std::to_string(r.average),
                     std::to_string(r.line1), std::to_string(r.line2), std::to_string(r.line3), std::to_string(r.max)});
  }
  return "Latency from the intended start (corrected for coordinated omission), ms\n" + AlignedTable(table);
}

namespace {

std::string AlignedTable(const std::vector<std::vector<std::string>>& table) {
  std::vector<size_t> widths(table[0].size(), 0);
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::string out;
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = widths[i] - Width(row[i]);
      if (i == 0) {
        out += row[i];
        out.append(pad, ' ');
      } else {
        out.append(2 + pad, ' ');
        out += row[i];
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out.push_back('\n');
  }
  return out;
}

}  // namespace

}  // namespace barrage
