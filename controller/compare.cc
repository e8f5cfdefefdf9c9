#include "controller/compare.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/exit_codes.h"
#include "controller/decimal_format.h"
#include "controller/report_command.h"
#include "controller/results_store.h"
#include "controller/runs_command.h"
#include "controller/thresholds.h"

namespace barrage {
namespace {

using json = nlohmann::ordered_json;

enum class Kind { kLatency, kErrorRate, kThroughput };

MetricDelta Delta(std::string metric, Kind kind, double baseline, double run, double tolerance) {
  MetricDelta d;
  d.metric = std::move(metric);
  d.baseline = baseline;
  d.run = run;
  d.change = run - baseline;
  d.relative = baseline != 0 ? d.change / baseline
                             : (d.change == 0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), d.change));
  switch (kind) {
    case Kind::kLatency: d.regression = run > baseline * (1 + tolerance); break;
    case Kind::kErrorRate: d.regression = run > baseline; break;
    case Kind::kThroughput: d.regression = run < baseline * (1 - tolerance); break;
  }
  return d;
}

std::vector<MetricDelta> CompareStats(const AggregateRow& b, const AggregateRow& r, double tolerance) {
  auto ms = [](int64_t v) { return static_cast<double>(v); };
  return {Delta("p50", Kind::kLatency, ms(b.median), ms(r.median), tolerance),
          Delta("p90", Kind::kLatency, ms(b.line1), ms(r.line1), tolerance),
          Delta("p95", Kind::kLatency, ms(b.line2), ms(r.line2), tolerance),
          Delta("p99", Kind::kLatency, ms(b.line3), ms(r.line3), tolerance),
          Delta("error_rate", Kind::kErrorRate, b.error_fraction, r.error_fraction, tolerance),
          Delta("throughput", Kind::kThroughput, b.throughput, r.throughput, tolerance)};
}

std::string Value(const MetricDelta& d, double v) {
  if (d.metric == "error_rate") return FormatDecimal(v, {.fraction_digits = 2, .percent = true});
  if (d.metric == "throughput") return FormatDecimal(v, {.fraction_digits = 1}) + "/s";
  return ShortestNumber(v) + " ms";
}

std::string Change(const MetricDelta& d) {
  if (d.metric == "error_rate") {
    // Percentage points: a relative change from 0 % says nothing.
    const double points = d.change * 100;
    return (points > 0 ? "+" : "") + FormatDecimal(points, {.fraction_digits = 2}) + " pp";
  }
  if (std::isinf(d.relative)) return d.relative > 0 ? "+inf%" : "-inf%";
  if (std::isnan(d.relative)) return "n/a";
  const double pct = d.relative * 100;
  return (pct > 0 ? "+" : "") + FormatDecimal(pct, {.fraction_digits = 1}) + "%";
}

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string TolText(double tolerance) { return ShortestNumber(tolerance * 100) + "%"; }

}  // namespace

Result<double> ParseTolerance(std::string_view text) {
  std::string_view number = text;
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(v) || v < 0) {
    return Status::InvalidArgument("--tolerance " + std::string(text) +
                                   ": expected a percentage of 0 or more, such as 10%");
  }
  return v / 100;
}

Comparison CompareReports(const AggregateReport& baseline, const AggregateReport& run, double tolerance) {
  Comparison c;
  c.tolerance = tolerance;
  // The corrected latencies (coordinated omission) when both runs had late samples.
  const bool corrected = baseline.HasCorrected() && run.HasCorrected();
  auto add = [&](const std::string& label, const AggregateStats* b, const AggregateStats* r, const std::string& name) {
    LabelComparison lc;
    lc.label = name;
    lc.in_baseline = b != nullptr;
    lc.in_run = r != nullptr;
    if (b && r) {
      lc.metrics = CompareStats(baseline.MakeRow(label, *b), run.MakeRow(label, *r), tolerance);
      if (corrected) {
        const CorrectedRow cb = baseline.MakeCorrectedRow(label, *b);
        const CorrectedRow cr = run.MakeCorrectedRow(label, *r);
        auto ms = [](int64_t v) { return static_cast<double>(v); };
        lc.metrics.push_back(Delta("p90_corrected", Kind::kLatency, ms(cb.line1), ms(cr.line1), tolerance));
        lc.metrics.push_back(Delta("p95_corrected", Kind::kLatency, ms(cb.line2), ms(cr.line2), tolerance));
        lc.metrics.push_back(Delta("p99_corrected", Kind::kLatency, ms(cb.line3), ms(cr.line3), tolerance));
      }
      for (const MetricDelta& d : lc.metrics) c.regressions += d.regression;
    }
    c.labels.push_back(std::move(lc));
  };
  std::set<std::string> seen;
  for (const std::string& label : run.labels()) {
    seen.insert(label);
    add(label, baseline.Find(label), run.Find(label), label);
  }
  for (const std::string& label : baseline.labels()) {
    if (!seen.count(label)) add(label, baseline.Find(label), nullptr, label);
  }
  const bool base_any = baseline.total().elapsed_ms.count() > 0;
  const bool run_any = run.total().elapsed_ms.count() > 0;
  add("TOTAL", base_any ? &baseline.total() : nullptr, run_any ? &run.total() : nullptr, "TOTAL");
  return c;
}

std::string ComparisonText(const Comparison& c) {
  std::vector<std::vector<std::string>> table = {{"Label", "Metric", "Baseline", "Run", "Change", ""}};
  std::vector<std::string> only;
  for (const LabelComparison& lc : c.labels) {
    if (lc.metrics.empty()) {
      if (lc.in_baseline != lc.in_run) {
        only.push_back(
            lc.label + ": only in " +
            (lc.in_run ? "run " + std::to_string(c.run_id) : "baseline run " + std::to_string(c.baseline_id)));
      }
      continue;
    }
    for (const MetricDelta& d : lc.metrics) {
      table.push_back(
          {lc.label, d.metric, Value(d, d.baseline), Value(d, d.run), Change(d), d.regression ? "REGRESSION" : ""});
    }
  }
  std::vector<size_t> widths(table[0].size(), 0);
  auto width = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
  };
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out = "run " + std::to_string(c.run_id) + " against baseline run " + std::to_string(c.baseline_id) +
                    " (tolerance " + TolText(c.tolerance) + ")\n";
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = widths[i] - width(row[i]);
      if (i < 2) {
        line += row[i];
        line.append(pad + 2, ' ');
      } else {
        line.append(pad, ' ');
        line += row[i];
        line += "  ";
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const std::string& o : only) out += o + "\n";
  out += c.regressions == 0 ? std::string("no regressions\n")
                            : std::to_string(c.regressions) + (c.regressions == 1 ? " regression\n" : " regressions\n");
  return out;
}

std::string ComparisonJson(const Comparison& c) {
  json out = json::object();
  out["baseline"] = c.baseline_id;
  out["run"] = c.run_id;
  out["tolerance"] = c.tolerance;
  json labels = json::array();
  for (const LabelComparison& lc : c.labels) {
    json l = json::object();
    l["label"] = lc.label;
    l["in_baseline"] = lc.in_baseline;
    l["in_run"] = lc.in_run;
    json metrics = json::object();
    for (const MetricDelta& d : lc.metrics) {
      metrics[d.metric] = {{"baseline", Number(d.baseline)},
                           {"run", Number(d.run)},
                           {"change", Number(d.change)},
                           {"relative", Number(d.relative)},
                           {"regression", d.regression}};
    }
    l["metrics"] = std::move(metrics);
    labels.push_back(std::move(l));
  }
  out["labels"] = std::move(labels);
  out["regressions"] = c.regressions;
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

int RunCompare(const CompareOptions& o) {
  if (o.format != "text" && o.format != "json") {
    std::cerr << "barrage: unknown compare format '" << o.format << "' (expected text or json)\n";
    return kExitUsage;
  }
  Result<double> tolerance = ParseTolerance(o.tolerance);
  if (!tolerance.ok()) {
    std::cerr << "barrage: " << tolerance.status().message() << "\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  std::optional<ResultsStore> opened = OpenStoreForReading(o.db_path, o.project, &exit_code);
  if (!opened) return exit_code;
  ResultsStore& store = *opened;
  std::optional<int64_t> run_id = ResolveRunOrSay(store, o.run, &exit_code);
  if (!run_id) return exit_code;
  // "last-passed" as a baseline means the newest passed run before RUN: a CI job comparing
  // its own (passed) run must not compare it with itself.
  int64_t baseline_id = 0;
  if (o.baseline == "last-passed") {
    Result<std::vector<ExecutionRecord>> all = store.ListExecutions();
    if (!all.ok()) {
      std::cerr << "barrage: " << all.status().message() << "\n";
      return kExitRuntimeFailure;
    }
    for (const ExecutionRecord& e : *all) {
      if (e.id < *run_id && e.status == ExecutionStatus::kPassed) baseline_id = std::max(baseline_id, e.id);
    }
    if (baseline_id == 0) {
      std::cerr << "barrage: no passed run before run " << *run_id << " to use as the baseline (last-passed)\n";
      return kExitUsage;
    }
  } else {
    Result<int64_t> b = store.ResolveRun(o.baseline);
    if (!b.ok()) {
      std::cerr << "barrage: " << b.status().message() << "\n";
      return kExitUsage;
    }
    baseline_id = *b;
  }
  Result<AggregateReport> base = LoadAggregateReport(store, baseline_id);
  Result<AggregateReport> run = base.ok() ? LoadAggregateReport(store, *run_id) : base.status();
  if (!run.ok()) {
    std::cerr << "barrage: " << run.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  Comparison c = CompareReports(*base, *run, *tolerance);
  c.baseline_id = baseline_id;
  c.run_id = *run_id;
  std::cout << (o.format == "json" ? ComparisonJson(c) : ComparisonText(c)) << std::flush;
  return c.regressions > 0 ? kExitThresholdFailed : kExitOk;
}

}  // namespace barrage
