// Metrics for scrapers (issue 15 item 2): a registry of metric families (counters, gauges,
// statesets, histograms), each with fixed label names and a series per set of label values,
// rendered as the Prometheus text format 0.0.4 or OpenMetrics 1.0 text.
//
// Formats (RenderMetrics):
//   kOpenMetrics  "# HELP", "# TYPE", "# UNIT" per family, counters' samples `NAME_total`
//                 (the family is named without it), histograms `_bucket{le=".."}` cumulative
//                 up to le="+Inf", then `_count` and `_sum`, statesets as `stateset`, and
//                 "# EOF" last. Content type application/openmetrics-text; version=1.0.0.
//   kPrometheus   the 0.0.4 text: "# HELP" and "# TYPE" named as the samples are (a counter's
//                 `NAME_total`), no UNIT, a stateset typed `gauge`, no "# EOF".
// A scraper gets OpenMetrics when its Accept header names application/openmetrics-text
// (NegotiateMetricsFormat), else the 0.0.4 text.
// Families come out in the order they were added, series in the order of their label values
// (byte-wise), so the text is the same for the same data. Label values are escaped (\\, \",
// \n); HELP text too (OpenMetrics: \\, \", \n; 0.0.4: \\, \n). Values: integers as integers,
// other numbers in the shortest form that reads back exactly, +Inf, -Inf, NaN. `le` values in
// OpenMetrics have a fraction ("1.0"), in 0.0.4 not ("1"), as the Go and Python clients write them.
//
// Threads: every method is thread-safe. One mutex guards the registry: writers take it once
// per Update (a sink aggregates a batch of samples first and applies the sums in one Update,
// so there is one lock per batch, not per sample); RenderMetrics takes it while it renders.
// Names are the program's own (checked by the tests, not at run time); label values may be
// anything.
#ifndef BARRAGE_CONTROLLER_METRICS_REGISTRY_H_
#define BARRAGE_CONTROLLER_METRICS_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

enum class MetricType { kCounter, kGauge, kStateSet, kHistogram };
enum class MetricsFormat { kPrometheus, kOpenMetrics };

// One family: its description and its series. Owned by the registry; the pointer stays valid
// as long as the registry.
struct MetricFamily {
  MetricType type = MetricType::kGauge;
  std::string name{};  // without _total; ends with _<unit> when there is a unit
  std::string help{};
  std::string unit{};  // "" = none; OpenMetrics' UNIT ("seconds")
  std::vector<std::string> label_names{};
  std::vector<double> bounds{};  // a histogram's upper bounds, ascending, without +Inf

  struct Series {
    double value = 0;                       // counter, gauge, stateset
    std::vector<uint64_t> bucket_counts{};  // histogram: per bucket (not cumulative), +Inf last
    double sum = 0;                         // histogram
  };
  std::map<std::vector<std::string>, Series> series{};  // by label values
};

// A render keeps only the series whose label `label` has `value`; families without that
// label keep all theirs. An empty `label`: every series.
struct MetricsFilter {
  std::string label{};
  std::string value{};
};

class MetricsRegistry {
 public:
  using LabelValues = std::vector<std::string>;  // in the family's label_names order

  // Adding a family that exists (same name) returns the existing one: several sinks feeding
  // one registry (one per run of `barrage serve`) share the families.
  const MetricFamily* AddCounter(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                                 const std::string& unit = "");
  const MetricFamily* AddGauge(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                               const std::string& unit = "");
  // An OpenMetrics stateset: one label among `label_names` is named as the family and holds the
  // state; a series per state, 1 for the current one, 0 for the others.
  const MetricFamily* AddStateSet(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names);
  // `bounds`: upper bounds, ascending (+Inf is implied).
  const MetricFamily* AddHistogram(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names, std::vector<double> bounds,
                                   const std::string& unit = "");

  // Changes made under the registry's lock, held from construction to destruction: a
  // renderer sees all of them or none. `labels` must have one value per label name.
  class Update {
   public:
    explicit Update(MetricsRegistry& registry) : lock_(registry.mu_) {}
    // A counter or gauge series grows by `delta` (created at 0).
    void Add(const MetricFamily* family, const LabelValues& labels, double delta);
    // A gauge or stateset series, or a counter whose total is kept elsewhere, is set.
    void Set(const MetricFamily* family, const LabelValues& labels, double value);
    // A histogram series takes counts per bucket (bounds.size() + 1 of them, not cumulative,
    // the last above every bound) and the sum of the values they count.
    void Observe(const MetricFamily* family, const LabelValues& labels, const std::vector<uint64_t>& bucket_counts,
                 double sum);
    // Drops every series whose label `label_index` has `value` (a run's series once it is gone).
    void RemoveWhere(const MetricFamily* family, size_t label_index, const std::string& value);
    // Drops every series of `family` (before setting a fresh set, e.g. the pool's workers).
    void Clear(const MetricFamily* family);

   private:
    MetricFamily::Series& At(const MetricFamily* family, const LabelValues& labels);
    std::lock_guard<std::mutex> lock_;
  };

  // Only the series that `filter` keeps.
  std::string Render(MetricsFormat format, const MetricsFilter& filter = MetricsFilter()) const;

 private:
  const MetricFamily* Add(MetricFamily family);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

// The format a scraper asks for: kOpenMetrics when `accept` names application/openmetrics-text.
MetricsFormat NegotiateMetricsFormat(std::string_view accept);
// The Content-Type of a response in `format`.
const char* MetricsContentType(MetricsFormat format);

// The bucket of `value` among `bounds` (ascending upper bounds, inclusive): the first bound
// >= value, or bounds.size() (+Inf).
size_t HistogramBucket(const std::vector<double>& bounds, double value);

// A label value or HELP text escaped for the exposition (see the file comment).
std::string EscapeLabelValue(std::string_view value);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_METRICS_REGISTRY_H_
