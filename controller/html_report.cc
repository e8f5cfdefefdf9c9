#include "controller/html_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/java_time_format.h"
#include "common/latency_histogram.h"
#include "common/utf8.h"
#include "controller/decimal_format.h"

namespace barrage {

// Generated from controller/html_report_assets/ at build time.
extern const char kHtmlReportCss[];
extern const char kHtmlReportJs[];

namespace {

constexpr size_t kErrorTypesCharted = 20;
constexpr int64_t kMaxFilledSeconds = 7 * 86400;
constexpr int64_t kMaxDistributionBins = 50;

// Values and counts of a histogram, ascending: the compact form kept per second.
using Counts = std::vector<std::pair<int64_t, uint64_t>>;

void MergeInto(const LatencyHistogram& h, Counts* counts) {
  Counts merged;
  merged.reserve(counts->size() + 16);
  size_t i = 0;
  h.ForEach([&](int64_t value, uint64_t count) {
    while (i < counts->size() && (*counts)[i].first < value) merged.push_back((*counts)[i++]);
    if (i < counts->size() && (*counts)[i].first == value) {
      merged.emplace_back(value, (*counts)[i++].second + count);
    } else {
      merged.emplace_back(value, count);
    }
  });
  merged.insert(merged.end(), counts->begin() + static_cast<std::ptrdiff_t>(i), counts->end());
  *counts = std::move(merged);
}

struct SecondFacts {
  Counts elapsed;
  uint64_t errors = 0;
  std::map<int32_t, int32_t> threads_by_worker;  // largest allThreads per worker
};

// Bin width 1, 2, 5, 10, 20, 50, ... ms: the smallest giving at most kMaxDistributionBins.
int64_t BinWidth(int64_t min, int64_t max) {
  int64_t width = 1;
  for (int step = 0;; ++step) {
    if (max / width - min / width + 1 <= kMaxDistributionBins) return width;
    width = width / (step % 3 == 1 ? 2 : 1) * (step % 3 == 1 ? 5 : 2);
  }
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t n = Utf8SequenceLength(lead);
    bool ok = lead < 0x80 || (n > 1 && i + n <= text.size());
    uint32_t cp = n == 1 ? lead : lead & (0x7F >> n);
    for (size_t k = 1; ok && k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kSmallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && n > 1 && (cp < kSmallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      AppendUtf8(0xFFFD, &out);
      ++i;
    }
  }
  return out;
}

// Data for the page's script: JSON with '<', '>' and '&' escaped so that no text can end
// the <script> element or be read as markup.
std::string ScriptJson(const nlohmann::json& j) {
  const std::string raw = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string LocalTime(int64_t epoch_ms) {
  static const Result<DateTimePattern> pattern = DateTimePattern::Compile("yyyy-MM-dd HH:mm:ss.SSS XXX");
  if (!pattern.ok()) return std::to_string(epoch_ms);
  return pattern->Format(LocalZonedTime(epoch_ms));
}

std::string Duration(int64_t ms) {
  char buf[64];
  const int64_t h = ms / 3'600'000, m = ms / 60'000 % 60;
  const double s = static_cast<double>(ms % 60'000) / 1000.0;
  if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%lld h %lld min %.3f s", static_cast<long long>(h), static_cast<long long>(m), s);
  } else if (m > 0) {
    std::snprintf(buf, sizeof(buf), "%lld min %.3f s", static_cast<long long>(m), s);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3f s", s);
  }
  return buf;
}

std::string PercentText(float pct) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(pct));
  return buf;
}

std::string Percent(double fraction) { return FormatDecimal(fraction, {.fraction_digits = 2, .percent = true}); }
std::string Fixed(double v, int digits) { return FormatDecimal(v, {.fraction_digits = digits}); }
std::string Ratio(uint64_t part, uint64_t whole) {
  return whole == 0 ? "0.00%" : Percent(static_cast<double>(part) / static_cast<double>(whole));
}

// Streams the page; `Cell`s are escaped unless built with Raw.
class Page {
 public:
  explicit Page(std::ostream& out) : out_(out) {}
  Page& operator<<(std::string_view raw) {
    out_ << raw;
    return *this;
  }
  Page& Text(std::string_view text) {
    out_ << HtmlEscape(text);
    return *this;
  }
  void Fact(std::string_view name, std::string_view value, std::string_view raw_value = {}) {
    out_ << "<div><dt>" << HtmlEscape(name) << "</dt><dd>";
    if (raw_value.empty()) {
      out_ << HtmlEscape(value);
    } else {
      out_ << raw_value;
    }
    out_ << "</dd></div>\n";
  }
  void Row(const std::vector<std::string>& cells, size_t text_columns, std::string_view tr_class = {},
           std::string_view last_class = {}) {
    out_ << (tr_class.empty() ? "<tr>" : "<tr class=\"" + std::string(tr_class) + "\">");
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string_view cls = i < text_columns ? "text" : "";
      if (i + 1 == cells.size() && !last_class.empty()) cls = last_class;
      out_ << (cls.empty() ? "<td>" : "<td class=\"" + std::string(cls) + "\">") << HtmlEscape(cells[i]) << "</td>";
    }
    out_ << "</tr>\n";
  }
  void Head(const std::vector<std::string>& names, size_t text_columns) {
    out_ << "<thead><tr>";
    for (size_t i = 0; i < names.size(); ++i) {
      out_ << (i < text_columns ? "<th class=\"text\">" : "<th>") << HtmlEscape(names[i]) << "</th>";
    }
    out_ << "</tr></thead>\n";
  }
  void Chart(std::string_view id, std::string_view caption) {
    out_ << "<figure><figcaption>" << HtmlEscape(caption) << "</figcaption><canvas id=\"" << id
         << "\" width=\"960\" height=\"320\"></canvas></figure>\n";
  }

 private:
  std::ostream& out_;
};

nlohmann::json ChartData(const HtmlReportInput& in) {
  nlohmann::json pct_t = nlohmann::json::array(), p50 = nlohmann::json::array(), p90 = nlohmann::json::array(),
                 p95 = nlohmann::json::array(), p99 = nlohmann::json::array();
  nlohmann::json all_t = nlohmann::json::array(), samples = nlohmann::json::array(), errors = nlohmann::json::array();
  nlohmann::json threads_t = nlohmann::json::array(), threads = nlohmann::json::array();
  for (const HtmlReportInput::Second& s : in.seconds) {
    all_t.push_back(s.second);
    samples.push_back(s.samples);
    errors.push_back(s.errors);
    if (s.samples == 0) continue;
    pct_t.push_back(s.second);
    p50.push_back(s.p50);
    p90.push_back(s.p90);
    p95.push_back(s.p95);
    p99.push_back(s.p99);
    threads_t.push_back(s.second);
    threads.push_back(s.active_threads);
  }
  nlohmann::json error_types = nlohmann::json::array();
  for (size_t i = 0; i < in.errors_by_type.size() && i < kErrorTypesCharted; ++i) {
    error_types.push_back({{"type", in.errors_by_type[i].type}, {"count", in.errors_by_type[i].count}});
  }
  nlohmann::json from = nlohmann::json::array(), counts = nlohmann::json::array();
  for (const HtmlReportInput::Bin& b : in.distribution) {
    from.push_back(b.from_ms);
    counts.push_back(b.count);
  }
  nlohmann::json workers = nlohmann::json::array();
  for (const HtmlReportInput::Worker& w : in.workers) {
    workers.push_back({{"name", w.name.empty() ? "worker " + std::to_string(w.worker_id) : w.name},
                       {"samples", w.samples},
                       {"errors", w.errors}});
  }
  return {
      {"percentiles", {{"t", pct_t}, {"p50", p50}, {"p90", p90}, {"p95", p95}, {"p99", p99}}},
      {"throughput", {{"t", all_t}, {"samples", samples}, {"errors", errors}}},
      {"threads", {{"t", threads_t}, {"v", threads}}},
      {"errors", error_types},
      {"distribution", {{"from", from}, {"width", in.distribution_width_ms}, {"count", counts}}},
      {"workers", workers},
  };
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Result<HtmlReportInput> BuildHtmlReportInput(const ResultsStore& store, int64_t execution_id,
                                             const AggregateReport::Lines& lines) {
  Result<ExecutionRecord> execution = store.GetExecution(execution_id);
  if (!execution.ok()) return execution.status();
  Result<std::vector<std::string>> labels = store.Labels(execution_id);
  if (!labels.ok()) return labels.status();
  Result<std::vector<ThresholdRecord>> thresholds = store.ThresholdResults(execution_id);
  if (!thresholds.ok()) return thresholds.status();
  Result<std::vector<ExecutionWorkerRecord>> worker_records = store.ExecutionWorkers(execution_id);
  if (!worker_records.ok()) return worker_records.status();

  HtmlReportInput in;
  const ExecutionRecord& e = *execution;
  in.run_id = e.id;
  in.project = e.project;
  in.plan_name = e.plan_name;
  in.plan_path = e.plan_path;
  in.definition_version = e.definition_version;
  in.status = std::string(ExecutionStatusName(e.status));
  in.started_at_ms = e.started_at_ms;
  in.ended_at_ms = e.ended_at_ms;
  in.triggered_by = e.triggered_by;
  in.infra_json = e.infra_json;
  in.lines = lines;
  in.thresholds = std::move(thresholds).value();
  in.verdict = e.verdict;
  if (in.verdict.empty() && !in.thresholds.empty()) {
    const bool all =
        std::all_of(in.thresholds.begin(), in.thresholds.end(), [](const ThresholdRecord& t) { return t.passed; });
    in.verdict = all ? "passed" : "failed";
  }

  std::vector<AggregateStats> by_label(labels->size());
  std::vector<bool> label_seen(labels->size(), false);
  std::map<int32_t, AggregateStats> by_worker;
  std::map<int64_t, SecondFacts> seconds;
  Status bad_label;
  Status st = store.ForEachBucket(execution_id, [&](const MetricBucket& b) {
    if (b.label_id < 0 || static_cast<size_t>(b.label_id) >= by_label.size()) {
      if (bad_label.ok()) {
        bad_label = Status::Internal("run " + std::to_string(execution_id) + ": metric bucket with unknown label id " +
                                     std::to_string(b.label_id));
      }
      return;
    }
    by_label[static_cast<size_t>(b.label_id)].Merge(b.stats);
    label_seen[static_cast<size_t>(b.label_id)] = true;
    by_worker[b.worker_id].Merge(b.stats);
    SecondFacts& s = seconds[b.second];
    MergeInto(b.stats.elapsed_ms, &s.elapsed);
    s.errors += b.stats.errors;
    int32_t& threads = s.threads_by_worker[b.worker_id];
    threads = std::max(threads, b.max_all_threads);
  });
  if (!st.ok()) return st;
  if (!bad_label.ok()) return bad_label;

  AggregateReport report(lines);
  for (size_t i = 0; i < by_label.size(); ++i) {
    if (label_seen[i]) report.Add((*labels)[i], by_label[i]);
  }
  in.aggregate = report.Rows();
  if (report.HasCorrected()) in.corrected = report.CorrectedRows();
  const LatencyHistogram& all = report.total().elapsed_ms;
  in.samples = all.count();
  in.errors = report.total().errors;

  // Per second.
  LatencyHistogram h;
  auto add_second = [&](int64_t second, const SecondFacts* facts) {
    HtmlReportInput::Second s;
    s.second = second;
    if (facts) {
      h.Clear();
      for (const auto& [value, count] : facts->elapsed) h.Add(value, count);
      s.samples = h.count();
      s.errors = facts->errors;
      s.p50 = h.Percentile(0.50);
      s.p90 = h.Percentile(0.90);
      s.p95 = h.Percentile(0.95);
      s.p99 = h.Percentile(0.99);
      for (const auto& [worker, threads] : facts->threads_by_worker) s.active_threads += threads;
    }
    in.seconds.push_back(s);
  };
  if (!seconds.empty()) {
    const int64_t first = seconds.begin()->first, last = seconds.rbegin()->first;
    if (last - first <= kMaxFilledSeconds) {
      auto it = seconds.begin();
      for (int64_t t = first; t <= last; ++t) {
        const bool has = it != seconds.end() && it->first == t;
        add_second(t, has ? &it->second : nullptr);
        if (has) ++it;
      }
    } else {
      for (const auto& [t, facts] : seconds) add_second(t, &facts);
    }
  }

  // Errors by type.
  std::map<std::string, uint64_t> types;
  st = store.ForEachErrorBucket(execution_id, [&](const ErrorBucket& b) { types[b.type] += b.count; });
  if (!st.ok()) return st;
  for (auto& [type, count] : types) in.errors_by_type.push_back({type, count});
  std::stable_sort(
      in.errors_by_type.begin(), in.errors_by_type.end(),
      [](const HtmlReportInput::ErrorType& a, const HtmlReportInput::ErrorType& b) { return a.count > b.count; });

  // Distribution.
  if (all.count() > 0) {
    const int64_t width = BinWidth(all.min(), all.max());
    in.distribution_width_ms = width;
    const int64_t first_bin = all.min() / width;
    in.distribution.resize(static_cast<size_t>(all.max() / width - first_bin + 1));
    for (size_t i = 0; i < in.distribution.size(); ++i) {
      in.distribution[i].from_ms = (first_bin + static_cast<int64_t>(i)) * width;
    }
    all.ForEach([&](int64_t value, uint64_t count) {
      in.distribution[static_cast<size_t>(value / width - first_bin)].count += count;
    });
  }

  // Workers: every worker with samples or a record.
  std::map<int32_t, const ExecutionWorkerRecord*> records;
  for (const ExecutionWorkerRecord& w : *worker_records) records[w.worker_id] = &w;
  for (const auto& [id, record] : records) by_worker.try_emplace(id);
  for (const auto& [id, stats] : by_worker) {
    HtmlReportInput::Worker w;
    w.worker_id = id;
    auto rec = records.find(id);
    if (rec != records.end()) {
      w.name = rec->second->name;
      w.host = rec->second->host;
      w.state = rec->second->state;
      w.samples_lost = rec->second->samples_lost;
    } else if (id == 0) {
      w.name = "local";
    }
    const AggregateRow row = report.MakeRow(w.name, stats);
    w.samples = row.count;
    w.errors = stats.errors;
    w.average_ms = row.average;
    w.p95_ms = stats.elapsed_ms.Percentile(0.95);
    w.max_ms = row.max;
    w.throughput = row.count > 0 ? row.throughput : 0;
    in.workers.push_back(std::move(w));
  }
  return in;
}

Status RenderHtmlReport(const HtmlReportInput& in, std::ostream& out) {
  Page page(out);
  const std::string title = "Run " + std::to_string(in.run_id) + (in.plan_name.empty() ? "" : ": " + in.plan_name);
  page << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  page.Text("Barrage report - " + title) << "</title>\n<style>\n" << kHtmlReportCss << "</style>\n</head>\n<body>\n";

  // Summary.
  page << "<header>\n<h1>";
  page.Text(title) << " <span class=\"badge ";
  page.Text(in.status) << "\">";
  page.Text(in.status) << "</span></h1>\n<p class=\"subtitle\">";
  page.Text(in.plan_path.empty() ? "no plan file" : in.plan_path) << "</p>\n</header>\n";
  page << "<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"facts\">\n";
  page.Fact("Plan", in.plan_name.empty() ? "-" : in.plan_name);
  page.Fact("Run", std::to_string(in.run_id) + (in.project.empty() ? "" : " (project " + in.project + ")"));
  page.Fact("Status", in.status);
  page.Fact("Thresholds", "",
            in.verdict.empty()
                ? "none"
                : "<span class=\"badge " + HtmlEscape(in.verdict) + "\">" + HtmlEscape(in.verdict) + "</span> (" +
                      std::to_string(std::count_if(in.thresholds.begin(), in.thresholds.end(),
                                                   [](const ThresholdRecord& t) { return t.passed; })) +
                      " of " + std::to_string(in.thresholds.size()) + " passed)");
  page.Fact("Started", LocalTime(in.started_at_ms));
  page.Fact("Ended", in.ended_at_ms ? LocalTime(*in.ended_at_ms) : "-");
  page.Fact("Duration", in.ended_at_ms ? Duration(*in.ended_at_ms - in.started_at_ms) : "-");
  page.Fact("Samples", std::to_string(in.samples));
  page.Fact("Errors", std::to_string(in.errors) + " (" + Ratio(in.errors, in.samples) + ")");
  if (!in.aggregate.empty() && in.samples > 0) {
    page.Fact("Throughput", Fixed(in.aggregate.back().throughput, 2) + " /s");
  }
  if (in.definition_version > 0) page.Fact("Plan version", std::to_string(in.definition_version));
  if (!in.triggered_by.empty()) page.Fact("Triggered by", in.triggered_by);
  if (!in.infra_json.empty()) page.Fact("Infrastructure", in.infra_json);
  page << "</dl>\n</section>\n";

  // Thresholds.
  if (!in.thresholds.empty()) {
    page << "<section id=\"thresholds\">\n<h2>Thresholds</h2>\n<table>\n";
    page.Head({"Threshold", "Observed", "Target", "Result"}, 1);
    page << "<tbody>\n";
    for (const ThresholdRecord& t : in.thresholds) {
      page.Row({t.expression, Fixed(t.observed, 3), t.op + " " + Fixed(t.target, 3), t.passed ? "passed" : "FAILED"}, 1,
               {}, t.passed ? "pass" : "fail");
    }
    page << "</tbody>\n</table>\n</section>\n";
  }

  // Aggregate Report.
  page << "<section id=\"aggregate\">\n<h2>Aggregate Report</h2>\n<div class=\"scroll\"><table>\n";
  page.Head({"Label", "# Samples", "Average", "Median", PercentText(in.lines.pct1) + "% Line",
             PercentText(in.lines.pct2) + "% Line", PercentText(in.lines.pct3) + "% Line", "Min", "Max", "Error %",
             "Throughput", "Received KB/sec", "Sent KB/sec"},
            1);
  page << "<tbody>\n";
  for (size_t i = 0; i < in.aggregate.size(); ++i) {
    const AggregateRow& r = in.aggregate[i];
    page.Row({r.label, std::to_string(r.count), std::to_string(r.average), std::to_string(r.median),
              std::to_string(r.line1), std::to_string(r.line2), std::to_string(r.line3), std::to_string(r.min),
              std::to_string(r.max), Percent(r.error_fraction), Fixed(r.throughput, 2) + "/s",
              Fixed(r.received_kb_per_s, 2), Fixed(r.sent_kb_per_s, 2)},
             1, i + 1 == in.aggregate.size() ? "total" : "");
  }
  page << "</tbody>\n</table></div>\n</section>\n";

  if (!in.corrected.empty()) {
    page << "<section id=\"corrected\">\n<h2>Latency from the intended start (corrected for coordinated "
            "omission)</h2>\n<div class=\"scroll\"><table>\n";
    page.Head({"Label", "# Samples", "Late", "Average", PercentText(in.lines.pct1) + "% Line",
               PercentText(in.lines.pct2) + "% Line", PercentText(in.lines.pct3) + "% Line", "Max"},
              1);
    page << "<tbody>\n";
    for (size_t i = 0; i < in.corrected.size(); ++i) {
      const CorrectedRow& r = in.corrected[i];
      page.Row({r.label, std::to_string(r.count), std::to_string(r.late), std::to_string(r.average),
                std::to_string(r.line1), std::to_string(r.line2), std::to_string(r.line3), std::to_string(r.max)},
               1, i + 1 == in.corrected.size() ? "total" : "");
    }
    page << "</tbody>\n</table></div>\n</section>\n";
  }

  // Charts.
  page << "<section id=\"charts\">\n<h2>Over time</h2>\n<div class=\"charts\">\n";
  page.Chart("chart-percentiles", "Response time percentiles per second (ms)");
  page.Chart("chart-throughput", "Throughput (samples and errors per second)");
  page.Chart("chart-threads", "Active threads");
  page.Chart("chart-distribution", "Response time distribution");
  page << "</div>\n</section>\n";

  // Errors.
  page << "<section id=\"errors\">\n<h2>Errors by type</h2>\n";
  if (in.errors_by_type.empty()) {
    page << "<p class=\"empty\">No errors.</p>\n";
  } else {
    page << "<div class=\"charts\">\n";
    page.Chart("chart-errors", in.errors_by_type.size() > kErrorTypesCharted
                                   ? "Errors by type (the " + std::to_string(kErrorTypesCharted) + " most frequent)"
                                   : "Errors by type");
    page << "</div>\n<div class=\"scroll\"><table>\n";
    page.Head({"Type of error", "Number of errors", "% in errors", "% in all samples"}, 1);
    page << "<tbody>\n";
    for (const HtmlReportInput::ErrorType& t : in.errors_by_type) {
      page.Row({t.type, std::to_string(t.count), Ratio(t.count, in.errors), Ratio(t.count, in.samples)}, 1);
    }
    page << "</tbody>\n</table></div>\n";
  }
  page << "</section>\n";

  // Workers.
  page << "<section id=\"workers\">\n<h2>Workers</h2>\n<div class=\"charts\">\n";
  page.Chart("chart-workers", "Samples and errors per worker");
  page << "</div>\n<div class=\"scroll\"><table>\n";
  page.Head({"Worker", "Name", "Host", "State", "Samples", "Errors", "Error %", "Average", "95% Line", "Max",
             "Throughput", "Lost samples"},
            4);
  page << "<tbody>\n";
  for (const HtmlReportInput::Worker& w : in.workers) {
    page.Row({std::to_string(w.worker_id), w.name, w.host, w.state, std::to_string(w.samples), std::to_string(w.errors),
              Ratio(w.errors, w.samples), std::to_string(w.average_ms), std::to_string(w.p95_ms),
              std::to_string(w.max_ms), Fixed(w.throughput, 2) + "/s", std::to_string(w.samples_lost)},
             4);
  }
  page << "</tbody>\n</table></div>\n</section>\n";

  page << "<footer>Generated by Barrage. Times are local (" << HtmlEscape(LocalTime(in.started_at_ms).substr(24))
       << ").</footer>\n";
  page << "<script type=\"application/json\" id=\"report-data\">" << ScriptJson(ChartData(in)) << "</script>\n";
  page << "<script>\n" << kHtmlReportJs << "</script>\n</body>\n</html>\n";
  out.flush();
  if (!out) return Status::IoError("writing the HTML report failed");
  return Status::Ok();
}

}  // namespace barrage
