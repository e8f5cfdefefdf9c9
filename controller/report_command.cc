#include "controller/report_command.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "common/exit_codes.h"
#include "common/output_file.h"
#include "controller/html_report.h"
#include "controller/runs_command.h"
#include "controller/thresholds.h"

namespace barrage {
namespace {

using json = nlohmann::ordered_json;

std::string PercentKey(float pct) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", static_cast<double>(pct));
  return buf;
}

json RowJson(const AggregateRow& r, uint64_t errors, const AggregateReport::Lines& lines) {
  json j = json::object();
  j["label"] = r.label;
  j["samples"] = r.count;
  j["errors"] = errors;
  j["average"] = r.average;
  j["median"] = r.median;
  j[PercentKey(lines.pct1)] = r.line1;
  j[PercentKey(lines.pct2)] = r.line2;
  j[PercentKey(lines.pct3)] = r.line3;
  j["min"] = r.min;
  j["max"] = r.max;
  j["error_rate"] = r.error_fraction;
  j["throughput"] = std::isfinite(r.throughput) ? json(r.throughput) : json(nullptr);
  j["received_kb_per_sec"] = r.received_kb_per_s;
  j["sent_kb_per_sec"] = r.sent_kb_per_s;
  return j;
}

// The corrected figures (coordinated omission) of one row, in ms.
json CorrectedJson(const CorrectedRow& c, const AggregateReport::Lines& lines) {
  json j = json::object();
  j["late_samples"] = c.late;
  j["average"] = c.average;
  j[PercentKey(lines.pct1)] = c.line1;
  j[PercentKey(lines.pct2)] = c.line2;
  j[PercentKey(lines.pct3)] = c.line3;
  j["max"] = c.max;
  return j;
}

json ParsedOrText(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(text) : j;
}

// "2026-11-26T18:00:00" (UTC), as JUnit's timestamp attribute wants it.
std::string IsoUtc(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

// XML 1.0 attribute/text content: the five entities escaped, control characters XML cannot
// carry replaced by U+FFFD.
std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string DurationSeconds(const ExecutionRecord& e) {
  if (!e.ended_at_ms) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(*e.ended_at_ms - e.started_at_ms) / 1000.0);
  return buf;
}

Status WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return std::cout ? Status::Ok() : Status::IoError("cannot write the report to stdout");
  }
  Result<AtomicFileWriter> out = AtomicFileWriter::Create(path);
  if (!out.ok()) return out.status();
  if (Status s = out->Write(text); !s.ok()) return s;
  return out->Commit();
}

}  // namespace

Result<AggregateReport> LoadAggregateReport(const ResultsStore& store, int64_t execution_id) {
  Result<std::vector<std::string>> labels = store.Labels(execution_id);
  if (!labels.ok()) return labels.status();
  std::vector<AggregateStats> per_label(labels->size());
  int64_t bad_label = -1;
  Status s = store.ForEachBucket(execution_id, [&](const MetricBucket& b) {
    if (b.label_id < 0 || static_cast<size_t>(b.label_id) >= per_label.size()) {
      bad_label = b.label_id;
      return;
    }
    per_label[static_cast<size_t>(b.label_id)].Merge(b.stats);
  });
  if (!s.ok()) return s;
  if (bad_label >= 0) {
    return Status::Internal("run " + std::to_string(execution_id) + ": a metric bucket names label id " +
                            std::to_string(bad_label) + ", which the run does not have");
  }
  AggregateReport report;
  for (size_t i = 0; i < per_label.size(); ++i) {
    if (per_label[i].elapsed_ms.count() > 0) report.Add((*labels)[i], per_label[i]);
  }
  return report;
}

Result<std::vector<AggregateRow>> MicrosecondRows(const ResultsStore& store, int64_t execution_id) {
  AggregateReport report;
  std::unordered_map<std::string, LatencyHistogram> micros;
  LatencyHistogram total;
  Status s = store.ForEachSample(execution_id, [&](const Sample& sample) {
    report.Add(sample);
    const int64_t us = sample.elapsed_us > 0 ? sample.elapsed_us : 0;
    micros[sample.label].Add(us);
    total.Add(us);
  });
  if (!s.ok()) return s;
  std::vector<AggregateRow> rows = report.Rows();
  const AggregateReport::Lines& lines = report.lines();
  for (AggregateRow& r : rows) {
    const LatencyHistogram& h = &r == &rows.back() ? total : micros[r.label];
    if (h.count() == 0) continue;
    r.average = static_cast<int64_t>(h.Mean());
    r.median = h.Percentile(0.5);
    r.line1 = h.Percentile(AggregateReportFraction(lines.pct1));
    r.line2 = h.Percentile(AggregateReportFraction(lines.pct2));
    r.line3 = h.Percentile(AggregateReportFraction(lines.pct3));
    r.min = h.min();
    r.max = h.max();
  }
  return rows;
}

std::string ReportJson(const ExecutionRecord& e, const std::vector<AggregateRow>& rows, const AggregateReport& report,
                       bool microseconds, const std::vector<ThresholdRecord>& thresholds) {
  json run = json::object();
  run["id"] = e.id;
  run["project"] = e.project;
  run["plan"] = e.plan_path;
  run["plan_name"] = e.plan_name;
  run["definition_version"] = e.definition_version;
  run["plan_sha256"] = e.plan_sha256;
  run["status"] = std::string(ExecutionStatusName(e.status));
  run["started_at_ms"] = e.started_at_ms;
  run["ended_at_ms"] = e.ended_at_ms ? json(*e.ended_at_ms) : json(nullptr);
  run["duration_ms"] = e.ended_at_ms ? json(*e.ended_at_ms - e.started_at_ms) : json(nullptr);
  run["samples"] = e.samples;
  run["triggered_by"] = e.triggered_by;
  run["dropped_iterations"] = e.dropped_iterations;  // arrivals dropped (issue 12)
  run["infra"] = ParsedOrText(e.infra_json);
  run["properties"] = ParsedOrText(e.properties_json);

  json out = json::object();
  out["run"] = std::move(run);
  out["unit"] = microseconds ? "us" : "ms";
  // Only a run with late samples has corrected figures ("corrected", always in ms): the JSON
  // of other runs is unchanged.
  const bool corrected = report.HasCorrected();
  json labels = json::array();
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    const AggregateStats* st = report.Find(rows[i].label);
    labels.push_back(RowJson(rows[i], st ? st->errors : 0, report.lines()));
    if (corrected && st) {
      labels.back()["corrected"] = CorrectedJson(report.MakeCorrectedRow(rows[i].label, *st), report.lines());
    }
  }
  out["labels"] = std::move(labels);
  if (!rows.empty()) {
    out["total"] = RowJson(rows.back(), report.total().errors, report.lines());
    if (corrected)
      out["total"]["corrected"] = CorrectedJson(report.MakeCorrectedRow("TOTAL", report.total()), report.lines());
  }
  json th = json::array();
  bool failed = false;
  for (const ThresholdRecord& t : thresholds) {
    json j = json::object();
    j["expression"] = t.expression;
    j["label"] = t.label.empty() ? json(nullptr) : json(t.label);
    j["metric"] = t.metric;
    j["op"] = t.op;
    j["target"] = t.target;
    j["observed"] = std::isfinite(t.observed) ? json(t.observed) : json(nullptr);
    j["passed"] = t.passed;
    failed |= !t.passed;
    th.push_back(std::move(j));
  }
  out["thresholds"] = std::move(th);
  out["verdict"] = thresholds.empty() ? json(nullptr) : json(failed ? "failed" : "passed");
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string ReportJunit(const ExecutionRecord& e, const std::vector<ThresholdRecord>& thresholds) {
  size_t failures = 0;
  for (const ThresholdRecord& t : thresholds) failures += !t.passed;
  const std::string counts =
      " tests=\"" + std::to_string(thresholds.size()) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\"";
  const std::string time = DurationSeconds(e);
  std::string suite_name = "barrage run " + std::to_string(e.id);
  if (!e.plan_name.empty()) suite_name += ": " + e.plan_name;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<testsuites name=\"barrage\"" + counts + " time=\"" + time + "\">\n";
  x += "  <testsuite name=\"" + XmlEscape(suite_name) + "\"" + counts + " skipped=\"0\" time=\"" + time +
       "\" timestamp=\"" + IsoUtc(e.started_at_ms) + "\">\n";
  for (const ThresholdRecord& t : thresholds) {
    x += "    <testcase name=\"" + XmlEscape(t.expression) + "\" classname=\"barrage.thresholds\" time=\"0\"";
    if (t.passed) {
      x += "/>\n";
      continue;
    }
    const std::string body = ThresholdHadNoSamples(t) ? "no samples to evaluate " + t.metric + " on"
                                                      : t.metric + " observed " + ShortestNumber(t.observed) +
                                                            std::string(ThresholdUnit(t.metric)) + ", expected " +
                                                            t.op + " " + ShortestNumber(t.target);
    x += ">\n      <failure type=\"threshold\" message=\"" + XmlEscape(DescribeThresholdRecord(t)) + "\">" +
         XmlEscape(body) + "</failure>\n    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

Result<std::string> FormatReport(const ResultsStore& store, const ExecutionRecord& execution,
                                 const AggregateReport& report, const std::vector<ThresholdRecord>& records,
                                 std::string_view format, bool microseconds) {
  std::vector<AggregateRow> rows;
  if (microseconds && (format == "text" || format == "csv" || format == "json")) {
    Result<std::vector<AggregateRow>> us = MicrosecondRows(store, execution.id);
    if (!us.ok()) return us.status();
    rows = std::move(us).value();
  } else {
    rows = report.Rows();
  }
  std::string text;
  if (format == "text") {
    text = AggregateReportText(rows, report.lines());
    if (microseconds) text += "(times in microseconds)\n";
    if (report.HasCorrected()) text += "\n" + CorrectedReportText(report.CorrectedRows(), report.lines());
    for (const ThresholdRecord& r : records) text += DescribeThresholdRecord(r) + "\n";
  } else if (format == "csv") {
    text = AggregateReportCsv(rows, AggregateCsvFlavor::kJMeter5, true, report.lines());
  } else if (format == "json") {
    text = ReportJson(execution, rows, report, microseconds, records);
  } else if (format == "junit") {
    text = ReportJunit(execution, records);
  } else if (format == "html") {
    Result<HtmlReportInput> in = BuildHtmlReportInput(store, execution.id, report.lines());
    if (!in.ok()) return in.status();
    std::ostringstream page;
    if (Status s = RenderHtmlReport(*in, page); !s.ok()) return s;
    text = std::move(page).str();
  } else {
    return Status::InvalidArgument("format '" + std::string(format) + "': expected text, csv, json, junit or html");
  }
  return text;
}

int RunReport(const ReportOptions& o) {
  static const char* kFormats[] = {"text", "csv", "json", "junit", "html"};
  bool known = false;
  for (const char* f : kFormats) known |= o.format == f;
  if (!known) {
    std::cerr << "barrage: unknown report format '" << o.format << "' (expected text, csv, json, junit or html)\n";
    return kExitUsage;
  }
  if (o.microseconds && (o.format == "html" || o.format == "junit")) {
    std::cerr << "barrage: --us applies to the text, csv and json formats\n";
    return kExitUsage;
  }
  if (!o.output_path.empty() && o.output_path != "-") {
    std::vector<ProtectedFile> inputs = ResultsStoreFiles(o.db_path);
    inputs.push_back({o.thresholds_file, "the thresholds file"});
    if (Status s = RefuseOverwrite(o.output_path, "the report", inputs); !s.ok()) {
      std::cerr << "barrage: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  Result<std::vector<Threshold>> thresholds = CollectThresholds(o.thresholds, o.thresholds_file);
  if (!thresholds.ok()) {
    std::cerr << "barrage: " << thresholds.status().message() << "\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  std::optional<ResultsStore> opened = OpenStoreForReading(o.db_path, o.project, &exit_code);
  if (!opened) return exit_code;
  ResultsStore& store = *opened;
  std::optional<int64_t> id = ResolveRunOrSay(store, o.run, &exit_code);
  if (!id) return exit_code;
  if (!o.output_path.empty() && o.output_path != "-") {
    Result<ExecutionRecord> execution = store.GetExecution(*id);
    Status refused =
        execution.ok() ? RefuseOverwrite(o.output_path, "the report", RunSourceFiles(*execution)) : execution.status();
    if (!refused.ok()) {
      std::cerr << "barrage: " << refused.message() << "\n";
      return execution.ok() ? kExitUsage : kExitRuntimeFailure;
    }
  }
  auto fail = [](const Status& s) {
    std::cerr << "barrage: " << s.message() << "\n";
    return kExitRuntimeFailure;
  };
  Result<AggregateReport> report = LoadAggregateReport(store, *id);
  if (!report.ok()) return fail(report.status());

  std::vector<ThresholdRecord> records;
  if (!thresholds->empty()) {
    for (const ThresholdResult& r : EvaluateThresholds(*thresholds, *report)) records.push_back(ToThresholdRecord(r));
    if (Status s = store.RecordThresholdResults(*id, records); !s.ok()) return fail(s);
  } else {
    Result<std::vector<ThresholdRecord>> stored = store.ThresholdResults(*id);
    if (!stored.ok()) return fail(stored.status());
    records = std::move(stored).value();
  }
  bool failed = false;
  for (const ThresholdRecord& r : records) failed |= !r.passed;
  Result<ExecutionRecord> execution = store.GetExecution(*id);
  if (!execution.ok()) return fail(execution.status());
  if (!thresholds->empty() &&
      (execution->status == ExecutionStatus::kPassed || execution->status == ExecutionStatus::kFailed)) {
    const ExecutionStatus status = failed ? ExecutionStatus::kFailed : ExecutionStatus::kPassed;
    if (status != execution->status) {
      if (Status s = store.SetExecutionStatus(*id, status); !s.ok()) return fail(s);
      execution->status = status;
    }
    execution->verdict = failed ? "failed" : "passed";
  }

  if (execution->status != ExecutionStatus::kRunning && execution->samples != report->total().elapsed_ms.count()) {
    std::cerr << "barrage: warning: run " << *id << " has " << execution->samples << " samples but its rollups "
              << report->total().elapsed_ms.count() << "\n";
  }
  Result<std::string> text = FormatReport(store, *execution, *report, records, o.format, o.microseconds);
  if (!text.ok()) return fail(text.status());
  if (Status s = WriteOutput(o.output_path, *text); !s.ok()) return fail(s);
  if (Status s = store.Close(); !s.ok()) return fail(s);
  if (o.format != "text" || !o.output_path.empty()) {
    for (const ThresholdRecord& r : records) {
      if (!r.passed) std::cerr << "barrage: " << DescribeThresholdRecord(r) << "\n";
    }
  }
  return failed ? kExitThresholdFailed : kExitOk;
}

}  // namespace barrage
