// What JMeter's Backend Listener clients (InfluxDB, Graphite) compute, shared by
// controller/influx_sink.h and controller/graphite_sink.h: commons-math's sliding window
// statistics (DescriptiveStatistics), its default percentile estimation, and the Java
// formats and orders their output depends on (Float.toString, DecimalFormat("0.##"),
// HashMap iteration order).
//
// Threads: plain values and functions, no shared state.
#ifndef BARRAGE_CONTROLLER_BACKEND_METRICS_H_
#define BARRAGE_CONTROLLER_BACKEND_METRICS_H_

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

// commons-math's Percentile with its default (legacy) estimation on `values` (any order);
// NaN for none.
double LegacyPercentile(std::vector<double> values, double p);

// A window of values as DescriptiveStatistics with a window size (0 = unbounded): a new
// value pushes the oldest out of a full window. Mean is commons-math's (the sum's mean
// corrected by the deviations' mean); Mean, Min, Max and Percentile are NaN when empty.
struct StatsWindow {
  std::deque<double> values;
  size_t cap = 0;
  void Add(double x);
  void Clear() { values.clear(); }
  double Mean() const;
  double Min() const;
  double Max() const;
  double Percentile(double p) const;
};

// Float.toString as Java prints a float (90 -> "90.0", 99.9f -> "99.9").
std::string JavaFloatToString(float f);
// DecimalFormat("0.##").format(d) for d >= 0 (HALF_EVEN on Double.toString's digits).
std::string FormatUpToTwoDecimals(double d);
// The order in which a java.util.HashMap<String, ?> created with `initial_capacity` iterates
// over `keys` (distinct, in insertion order): indexes into `keys`.
std::vector<size_t> JavaHashMapOrder(const std::vector<std::string>& keys, size_t initial_capacity);

// A backend listener's percentiles argument ("90;95;99", split on ';' as String.split):
// each entry that Float.valueOf reads, in order, as (DecimalFormat("0.##") text, value);
// `parts` is the number of split entries (JMeter sizes its HashMap with it).
struct PercentileArg {
  std::string formatted;
  float value;
};
std::vector<PercentileArg> ParsePercentiles(std::string_view percentiles, size_t* parts);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_BACKEND_METRICS_H_
