#include "controller/thresholds.h"

#include <toml++/toml.h>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "common/toml_file.h"

namespace barrage {
namespace {

constexpr std::string_view kMetricList = "p(N), med, avg, min, max, error_rate or throughput";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

void SkipSpaces(std::string_view text, size_t* pos) {
  while (*pos < text.size() && IsSpace(text[*pos])) ++(*pos);
}

Status Bad(std::string_view expression, const std::string& what) {
  return Status::InvalidArgument("threshold '" + std::string(expression) + "': " + what);
}

// A finite decimal number at text[*pos], as from_chars reads it (no leading '+', no
// "inf"/"nan", no hex). Advances *pos past it.
bool ReadNumber(std::string_view text, size_t* pos, double* value) {
  const char* begin = text.data() + *pos;
  const char* end = text.data() + text.size();
  if (begin == end || !(std::isdigit(static_cast<unsigned char>(*begin)) || *begin == '-' || *begin == '.')) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(begin, end, *value, std::chars_format::general);
  if (ec != std::errc() || !std::isfinite(*value)) return false;
  *pos += static_cast<size_t>(ptr - begin);
  return true;
}

std::string Snippet(std::string_view text, size_t pos) {
  return pos >= text.size() ? std::string("the end") : "'" + std::string(text.substr(pos)) + "'";
}

// The word "corrected" at text[*pos] (after spaces), inside `where` (for messages): sets
// t->corrected and advances *pos past it.
Status ReadCorrected(std::string_view whole, std::string_view text, size_t* pos, const std::string& where,
                     Threshold* t) {
  SkipSpaces(text, pos);
  const size_t begin = *pos;
  while (*pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[*pos])) || text[*pos] == '_')) ++(*pos);
  const std::string_view word = text.substr(begin, *pos - begin);
  if (word != "corrected") {
    return Bad(whole, "expected 'corrected' in " + where + ", found " +
                          (word.empty() ? Snippet(text, begin) : "'" + std::string(word) + "'") +
                          " (as in p(99,corrected)<500 or max(corrected)<2000)");
  }
  t->corrected = true;
  return Status::Ok();
}

// METRIC OP VALUE (no label). `whole` is the full expression, for messages.
Status ParseCondition(std::string_view whole, std::string_view text, Threshold* t) {
  size_t pos = 0;
  SkipSpaces(text, &pos);
  const size_t name_begin = pos;
  while (pos < text.size() &&
         (std::islower(static_cast<unsigned char>(text[pos])) || text[pos] == '_' ||
          std::isupper(static_cast<unsigned char>(text[pos])) || std::isdigit(static_cast<unsigned char>(text[pos])))) {
    ++pos;
  }
  const std::string_view name = text.substr(name_begin, pos - name_begin);
  if (name.empty()) {
    return Bad(whole, "expected a metric (" + std::string(kMetricList) + ") at " + Snippet(text, name_begin));
  }
  if (name == "p") {
    SkipSpaces(text, &pos);
    if (pos >= text.size() || text[pos] != '(') return Bad(whole, "expected '(' after 'p', as in p(95)");
    ++pos;
    SkipSpaces(text, &pos);
    const size_t number_begin = pos;
    double percent = 0;
    if (!ReadNumber(text, &pos, &percent)) {
      return Bad(whole, "expected a percentile number in p(...), as in p(95)");
    }
    if (!(percent > 0 && percent <= 100)) {
      return Bad(whole, "percentile " + std::string(text.substr(number_begin, pos - number_begin)) +
                            " is out of range (0, 100]");
    }
    const size_t number_end = pos;
    SkipSpaces(text, &pos);
    if (pos < text.size() && text[pos] == ',') {
      ++pos;
      if (Status st =
              ReadCorrected(whole, text, &pos,
                            "p(" + std::string(text.substr(number_begin, number_end - number_begin)) + ", ...)", t);
          !st.ok())
        return st;
      SkipSpaces(text, &pos);
    }
    if (pos >= text.size() || text[pos] != ')')
      return Bad(whole, "expected ')' to close p(" + std::string(text.substr(number_begin, number_end - number_begin)));
    ++pos;
    // As JMeter reads aggregate_rpt_pct: Float.parseFloat of the text.
    float f = 0;
    std::from_chars(text.data() + number_begin, text.data() + text.size(), f, std::chars_format::general);
    t->metric = ThresholdMetric::kPercentile;
    t->percent = f;
    char buf[48];
    std::snprintf(buf, sizeof buf, t->corrected ? "p(%g,corrected)" : "p(%g)", static_cast<double>(f));
    t->metric_name = buf;
  } else {
    static const std::pair<std::string_view, ThresholdMetric> kNames[] = {{"med", ThresholdMetric::kMedian},
                                                                          {"avg", ThresholdMetric::kAverage},
                                                                          {"min", ThresholdMetric::kMin},
                                                                          {"max", ThresholdMetric::kMax},
                                                                          {"error_rate", ThresholdMetric::kErrorRate},
                                                                          {"throughput", ThresholdMetric::kThroughput}};
    bool found = false;
    for (const auto& [n, m] : kNames) {
      if (n == name) {
        t->metric = m;
        t->metric_name = std::string(n);
        found = true;
      }
    }
    if (!found) {
      std::string what = "unknown metric '" + std::string(name) + "' (expected " + std::string(kMetricList) + ")";
      if (name.size() > 1 && name[0] == 'p' && std::isdigit(static_cast<unsigned char>(name[1]))) {
        what =
            "unknown metric '" + std::string(name) + "' (write percentiles as p(" + std::string(name.substr(1)) + "))";
      }
      if (pos < text.size() && text[pos] == ':') {
        what = "a label is separated by ': ' (colon and space), as in 'login: p(95)<500'";
      }
      return Bad(whole, what);
    }
    size_t after_name = pos;
    SkipSpaces(text, &after_name);
    if (after_name < text.size() && text[after_name] == '(') {
      if (t->metric == ThresholdMetric::kErrorRate || t->metric == ThresholdMetric::kThroughput) {
        return Bad(whole, "'(corrected)' applies to the latency metrics (p(N,corrected), med, avg, min, max), not " +
                              t->metric_name);
      }
      pos = after_name + 1;
      if (Status st = ReadCorrected(whole, text, &pos, t->metric_name + "(...)", t); !st.ok()) return st;
      SkipSpaces(text, &pos);
      if (pos >= text.size() || text[pos] != ')') {
        return Bad(whole, "expected ')' to close " + t->metric_name + "(corrected");
      }
      ++pos;
      t->metric_name += "(corrected)";
    }
  }
  SkipSpaces(text, &pos);
  static const std::pair<std::string_view, ThresholdOp> kOps[] = {
      {"<=", ThresholdOp::kLessEqual}, {">=", ThresholdOp::kGreaterEqual}, {"==", ThresholdOp::kEqual},
      {"!=", ThresholdOp::kNotEqual},  {"<", ThresholdOp::kLess},          {">", ThresholdOp::kGreater}};
  bool found_op = false;
  for (const auto& [text_op, op] : kOps) {
    if (text.substr(pos, text_op.size()) == text_op) {
      t->op = op;
      pos += text_op.size();
      found_op = true;
      break;
    }
  }
  if (!found_op) {
    if (pos < text.size() && text[pos] == ':') {
      return Bad(whole, "a label is separated by ': ' (colon and space), as in 'login: p(95)<500'");
    }
    return Bad(whole,
               "expected an operator (<, <=, >, >=, ==, !=) after " + t->metric_name + ", found " + Snippet(text, pos));
  }
  SkipSpaces(text, &pos);
  const size_t value_begin = pos;
  if (!ReadNumber(text, &pos, &t->target)) {
    return Bad(whole, "expected a number after '" + std::string(ThresholdOpText(t->op)) + "', found " +
                          Snippet(text, value_begin));
  }
  const size_t value_end = pos;
  SkipSpaces(text, &pos);
  if (pos < text.size()) {
    return Bad(whole, "unexpected '" + std::string(text.substr(pos)) + "' after the value " +
                          std::string(text.substr(value_begin, value_end - value_begin)) +
                          " (values are plain numbers; times are in ms)");
  }
  return Status::Ok();
}

double Observed(const Threshold& t, const AggregateStats& stats, const AggregateReport& report) {
  const LatencyHistogram& h = t.corrected ? stats.Corrected() : stats.elapsed_ms;
  switch (t.metric) {
    case ThresholdMetric::kPercentile: return static_cast<double>(h.Percentile(AggregateReportFraction(t.percent)));
    case ThresholdMetric::kMedian: return static_cast<double>(h.Percentile(0.5));
    case ThresholdMetric::kAverage: return h.Mean();
    case ThresholdMetric::kMin: return static_cast<double>(h.min());
    case ThresholdMetric::kMax: return static_cast<double>(h.max());
    case ThresholdMetric::kErrorRate: return report.MakeRow("", stats).error_fraction;
    case ThresholdMetric::kThroughput: return report.MakeRow("", stats).throughput;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

bool Compare(double observed, ThresholdOp op, double target) {
  switch (op) {
    case ThresholdOp::kLess: return observed < target;
    case ThresholdOp::kLessEqual: return observed <= target;
    case ThresholdOp::kGreater: return observed > target;
    case ThresholdOp::kGreaterEqual: return observed >= target;
    case ThresholdOp::kEqual: return observed == target;
    case ThresholdOp::kNotEqual: return observed != target;
  }
  return false;
}

}  // namespace

std::string_view ThresholdOpText(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::kLess: return "<";
    case ThresholdOp::kLessEqual: return "<=";
    case ThresholdOp::kGreater: return ">";
    case ThresholdOp::kGreaterEqual: return ">=";
    case ThresholdOp::kEqual: return "==";
    case ThresholdOp::kNotEqual: return "!=";
  }
  return "?";
}

Result<Threshold> ParseThreshold(std::string_view expression) {
  Threshold t;
  t.expression = std::string(expression);
  std::string_view condition = expression;
  const size_t sep = expression.rfind(": ");
  if (sep != std::string_view::npos) {
    t.label = std::string(expression.substr(0, sep));
    condition = expression.substr(sep + 2);
    if (t.label.empty()) return Bad(expression, "empty label before ': '");
  }
  if (Status s = ParseCondition(expression, condition, &t); !s.ok()) return s;
  return t;
}

Result<std::vector<Threshold>> LoadThresholdsFile(const std::string& path) {
  Result<toml::table> parsed = ParseTomlFile(path, "a thresholds file");
  if (!parsed.ok()) return parsed.status();
  const toml::table root = std::move(parsed).value();
  auto at = [&path](const toml::node& n) { return path + ":" + std::to_string(n.source().begin.line) + ": "; };
  std::vector<Threshold> out;
  for (const auto& [key, node] : root) {
    if (key.str() != "threshold") {
      return Status::InvalidArgument(at(node) + "unknown key '" + std::string(key.str()) +
                                     "' (thresholds are [[threshold]] tables)");
    }
  }
  const toml::node* list = root.get("threshold");
  if (list == nullptr) return out;
  const toml::array* array = list->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return Status::InvalidArgument(at(*list) + "'threshold' must be an array of tables ([[threshold]])");
  }
  for (const toml::node& entry : *array) {
    const toml::table& table = *entry.as_table();
    const toml::node* expr = table.get("expr");
    const toml::node* label = table.get("label");
    for (const auto& [key, node] : table) {
      if (key.str() != "expr" && key.str() != "label") {
        return Status::InvalidArgument(at(node) + "unknown key '" + std::string(key.str()) +
                                       "' in [[threshold]] (expected expr and optionally label)");
      }
    }
    if (expr == nullptr) return Status::InvalidArgument(at(entry) + "[[threshold]] without 'expr'");
    if (!expr->is_string()) return Status::InvalidArgument(at(*expr) + "'expr' must be a string");
    const std::string& text = **expr->as_string();
    std::string expression = text;
    if (label != nullptr) {
      if (!label->is_string()) return Status::InvalidArgument(at(*label) + "'label' must be a string");
      const std::string& name = **label->as_string();
      if (name.empty()) return Status::InvalidArgument(at(*label) + "'label' is empty (leave it out for all samples)");
      if (text.find(": ") != std::string::npos) {
        return Status::InvalidArgument(at(*expr) + "threshold '" + text +
                                       "': the label is given twice (in 'label' and before ': ')");
      }
      expression = name + ": " + text;
    }
    Result<Threshold> t = ParseThreshold(expression);
    if (!t.ok()) return Status::InvalidArgument(at(*expr) + t.status().message());
    out.push_back(std::move(t).value());
  }
  return out;
}

Result<std::vector<Threshold>> CollectThresholds(const std::vector<std::string>& expressions, const std::string& file) {
  std::vector<Threshold> out;
  if (!file.empty()) {
    Result<std::vector<Threshold>> loaded = LoadThresholdsFile(file);
    if (!loaded.ok()) return loaded.status();
    out = std::move(loaded).value();
  }
  for (const std::string& e : expressions) {
    Result<Threshold> t = ParseThreshold(e);
    if (!t.ok()) return t.status();
    out.push_back(std::move(t).value());
  }
  return out;
}

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const AggregateReport& report) {
  std::vector<ThresholdResult> results;
  results.reserve(thresholds.size());
  for (const Threshold& t : thresholds) {
    ThresholdResult r;
    r.threshold = t;
    const AggregateStats* stats = t.label.empty() ? &report.total() : report.Find(t.label);
    r.has_samples = stats != nullptr && stats->elapsed_ms.count() > 0;
    if (r.has_samples) {
      r.observed = Observed(t, *stats, report);
      r.passed = Compare(r.observed, t.op, t.target);
    } else {
      r.observed = std::numeric_limits<double>::quiet_NaN();
      r.passed = false;
    }
    results.push_back(std::move(r));
  }
  return results;
}

bool AnyFailed(const std::vector<ThresholdResult>& results) {
  for (const ThresholdResult& r : results) {
    if (!r.passed) return true;
  }
  return false;
}

std::string_view ThresholdUnit(std::string_view metric_name) {
  if (metric_name == "error_rate") return "";
  if (metric_name == "throughput") return "/s";
  return " ms";
}

std::string ShortestNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  return std::string(buf, ptr);
}

std::string DescribeThresholdRecord(const ThresholdRecord& r) {
  std::string line = "threshold '" + r.expression + "' " + (r.passed ? "passed" : "failed") + ": ";
  if (ThresholdHadNoSamples(r)) {
    return line + (r.label.empty() ? std::string("no samples") : "no samples labelled '" + r.label + "'");
  }
  return line + r.metric + " of " + (r.label.empty() ? std::string("all samples") : "'" + r.label + "'") + " is " +
         ShortestNumber(r.observed) + std::string(ThresholdUnit(r.metric));
}

bool ThresholdHadNoSamples(const ThresholdRecord& r) {
  return std::isnan(r.observed) || r.observed == -std::numeric_limits<double>::infinity();
}

std::string DescribeThresholdResult(const ThresholdResult& r) { return DescribeThresholdRecord(ToThresholdRecord(r)); }

ThresholdRecord ToThresholdRecord(const ThresholdResult& r) {
  ThresholdRecord rec;
  rec.expression = r.threshold.expression;
  rec.label = r.threshold.label;
  rec.metric = r.threshold.metric_name;
  rec.op = std::string(ThresholdOpText(r.threshold.op));
  rec.target = r.threshold.target;
  rec.observed = r.has_samples ? r.observed : -std::numeric_limits<double>::infinity();
  rec.passed = r.passed;
  return rec;
}

std::vector<ThresholdResult> ThresholdWatch::Check(const AggregateReport& data, int64_t now_ms) {
  if (tripped() || thresholds_.empty()) return {};
  if (next_ms_ < 0) {
    next_ms_ = now_ms + interval_ms_;
    return {};
  }
  if (now_ms < next_ms_) return {};
  next_ms_ = now_ms + interval_ms_;
  std::vector<ThresholdResult> results = EvaluateThresholds(thresholds_, data);
  // No samples yet (for a label) is not a failure during the run: they may still come.
  std::vector<ThresholdResult> failed;
  for (const ThresholdResult& r : results) {
    if (!r.passed && r.has_samples) failed.push_back(r);
  }
  if (!failed.empty()) tripped_ = std::move(results);
  return failed;
}

std::vector<ThresholdResult> WithTripped(std::vector<ThresholdResult> final_results,
                                         const std::vector<ThresholdResult>& tripped) {
  for (size_t i = 0; i < final_results.size() && i < tripped.size(); ++i) {
    if (final_results[i].passed && !tripped[i].passed && tripped[i].has_samples) final_results[i] = tripped[i];
  }
  return final_results;
}

std::vector<ThresholdResult> FinalThresholdResults(const std::vector<Threshold>& thresholds,
                                                   const AggregateReport& data,
                                                   const std::vector<ThresholdResult>* tripped) {
  if (thresholds.empty()) return {};
  std::vector<ThresholdResult> results = EvaluateThresholds(thresholds, data);
  if (tripped && !tripped->empty()) results = WithTripped(std::move(results), *tripped);
  return results;
}

Status StoreThresholdResults(ResultsStore& store, int64_t execution_id, const std::vector<ThresholdResult>& results) {
  if (results.empty()) return Status::Ok();
  std::vector<ThresholdRecord> records;
  records.reserve(results.size());
  for (const ThresholdResult& r : results) records.push_back(ToThresholdRecord(r));
  return store.RecordThresholdResults(execution_id, records);
}

void PrintThresholdResults(const std::vector<ThresholdResult>& results, std::ostream& out, std::ostream& err) {
  for (const ThresholdResult& r : results) {
    (r.passed ? out : err) << "barrage: " << DescribeThresholdResult(r) << "\n" << std::flush;
  }
}

}  // namespace barrage
