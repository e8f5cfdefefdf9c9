#include "controller/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace barrage {
namespace {

std::string EscapeHelp(std::string_view help, MetricsFormat format) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && format == MetricsFormat::kOpenMetrics) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

// OpenMetrics' canonical `le`: a float with a fraction ("1.0"); 0.0.4 as the value ("1").
std::string FormatBound(double bound, MetricsFormat format) {
  std::string s = FormatNumber(bound);
  if (format == MetricsFormat::kOpenMetrics && std::isfinite(bound) && s.find_first_of(".e") == std::string::npos) {
    s += ".0";
  }
  return s;
}

void AppendLabels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  std::string_view le = {}) {
  if (names.empty() && le.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, const std::string& name, std::string_view suffix,
                  const std::vector<std::string>& names, const std::vector<std::string>& values, double value,
                  std::string_view le = {}) {
  out += name;
  out += suffix;
  AppendLabels(out, names, values, le);
  out += ' ';
  out += FormatNumber(value);
  out += '\n';
}

const char* TypeName(MetricType type, MetricsFormat format) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kStateSet: return format == MetricsFormat::kOpenMetrics ? "stateset" : "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "unknown";
}

void RenderFamily(std::string& out, const MetricFamily& f, MetricsFormat format, const MetricsFilter& filter) {
  const bool om = format == MetricsFormat::kOpenMetrics;
  // 0.0.4 names a counter's metadata as its samples are.
  const std::string meta_name = !om && f.type == MetricType::kCounter ? f.name + "_total" : f.name;
  out += "# HELP " + meta_name + " " + EscapeHelp(f.help, format) + "\n";
  out += "# TYPE " + meta_name + " " + TypeName(f.type, format) + "\n";
  if (om && !f.unit.empty()) out += "# UNIT " + f.name + " " + f.unit + "\n";
  size_t filtered = f.label_names.size();
  if (!filter.label.empty()) {
    filtered = static_cast<size_t>(std::find(f.label_names.begin(), f.label_names.end(), filter.label) -
                                   f.label_names.begin());
  }
  for (const auto& [values, s] : f.series) {
    if (filtered < values.size() && values[filtered] != filter.value) continue;
    switch (f.type) {
      case MetricType::kCounter: AppendSample(out, f.name, "_total", f.label_names, values, s.value); break;
      case MetricType::kGauge:
      case MetricType::kStateSet: AppendSample(out, f.name, "", f.label_names, values, s.value); break;
      case MetricType::kHistogram: {
        uint64_t cumulative = 0;
        for (size_t b = 0; b < s.bucket_counts.size(); ++b) {
          cumulative += s.bucket_counts[b];
          const std::string le = b < f.bounds.size() ? FormatBound(f.bounds[b], format) : "+Inf";
          AppendSample(out, f.name, "_bucket", f.label_names, values, static_cast<double>(cumulative), le);
        }
        AppendSample(out, f.name, "_count", f.label_names, values, static_cast<double>(cumulative));
        AppendSample(out, f.name, "_sum", f.label_names, values, s.sum);
        break;
      }
    }
  }
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

size_t HistogramBucket(const std::vector<double>& bounds, double value) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
}

MetricsFormat NegotiateMetricsFormat(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos ? MetricsFormat::kOpenMetrics
                                                                               : MetricsFormat::kPrometheus;
}

const char* MetricsContentType(MetricsFormat format) {
  return format == MetricsFormat::kOpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                               : "text/plain; version=0.0.4; charset=utf-8";
}

const MetricFamily* MetricsRegistry::Add(MetricFamily family) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    if (f->name == family.name) return f.get();
  }
  families_.push_back(std::make_unique<MetricFamily>(std::move(family)));
  return families_.back().get();
}

const MetricFamily* MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names, const std::string& unit) {
  return Add({.type = MetricType::kCounter, .name = name, .help = help, .unit = unit, .label_names = label_names});
}

const MetricFamily* MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                              std::vector<std::string> label_names, const std::string& unit) {
  return Add({.type = MetricType::kGauge, .name = name, .help = help, .unit = unit, .label_names = label_names});
}

const MetricFamily* MetricsRegistry::AddStateSet(const std::string& name, const std::string& help,
                                                 std::vector<std::string> label_names) {
  return Add({.type = MetricType::kStateSet, .name = name, .help = help, .label_names = label_names});
}

const MetricFamily* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                  std::vector<std::string> label_names, std::vector<double> bounds,
                                                  const std::string& unit) {
  return Add({.type = MetricType::kHistogram,
              .name = name,
              .help = help,
              .unit = unit,
              .label_names = label_names,
              .bounds = std::move(bounds)});
}

MetricFamily::Series& MetricsRegistry::Update::At(const MetricFamily* family, const LabelValues& labels) {
  // The registry owns its families; an Update holds the lock that guards them.
  auto& series = const_cast<MetricFamily*>(family)->series;
  auto it = series.find(labels);
  if (it == series.end()) {
    it = series.emplace(labels, MetricFamily::Series{}).first;
    if (family->type == MetricType::kHistogram) it->second.bucket_counts.assign(family->bounds.size() + 1, 0);
  }
  return it->second;
}

void MetricsRegistry::Update::Add(const MetricFamily* family, const LabelValues& labels, double delta) {
  At(family, labels).value += delta;
}

void MetricsRegistry::Update::Set(const MetricFamily* family, const LabelValues& labels, double value) {
  At(family, labels).value = value;
}

void MetricsRegistry::Update::Observe(const MetricFamily* family, const LabelValues& labels,
                                      const std::vector<uint64_t>& bucket_counts, double sum) {
  MetricFamily::Series& s = At(family, labels);
  for (size_t i = 0; i < bucket_counts.size() && i < s.bucket_counts.size(); ++i)
    s.bucket_counts[i] += bucket_counts[i];
  s.sum += sum;
}

void MetricsRegistry::Update::RemoveWhere(const MetricFamily* family, size_t label_index, const std::string& value) {
  auto& series = const_cast<MetricFamily*>(family)->series;
  std::erase_if(
      series, [&](const auto& entry) { return label_index < entry.first.size() && entry.first[label_index] == value; });
}

void MetricsRegistry::Update::Clear(const MetricFamily* family) { const_cast<MetricFamily*>(family)->series.clear(); }

std::string MetricsRegistry::Render(MetricsFormat format, const MetricsFilter& filter) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) RenderFamily(out, *f, format, filter);
  if (format == MetricsFormat::kOpenMetrics) out += "# EOF\n";
  return out;
}

}  // namespace barrage
