// An exact, mergeable histogram of sample times in whole milliseconds: the one histogram
// behind the Aggregate Report, the live summary, thresholds and the HTML report, so every
// place that prints "95% Line" or checks p(95) gets the same number.
//
// Values 0..kDenseLimit-1 ms are counted in a dense array (grown on demand, so a histogram
// of fast samples stays small); larger values go to an ordered map. Nothing is bucketed or
// approximated: Percentile() returns a value that was actually added.
//
// Not thread-safe: each thread fills its own histogram and the owner merges them.
#ifndef BARRAGE_COMMON_LATENCY_HISTOGRAM_H_
#define BARRAGE_COMMON_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

class LatencyHistogram {
 public:
  static constexpr int64_t kDenseLimit = 65536;  // ms; values at or above go to the overflow map

  // Counts `count` samples of `ms` milliseconds. Negative values count as 0 (JMeter shows
  // a negative time as 0 too).
  void Add(int64_t ms, uint64_t count = 1);
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  // Smallest / largest value added; 0 when empty.
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return count_ ? max_ : 0; }
  int64_t sum() const { return sum_; }
  // sum / count as a double (JMeter's mean); 0 when empty.
  double Mean() const;

  // JMeter's percent point (StatCalculator.getPercentPoint): with N samples, the smallest
  // value v such that #(x <= v) >= Math.round(N * p), Math.round being round-half-up.
  // p >= 1 gives max(); a target of 0 gives min(); an empty histogram gives 0.
  int64_t Percentile(double p) const;

  // Calls fn(value_ms, count) for every non-empty value, ascending.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (std::size_t v = 0; v < dense_.size(); ++v) {
      if (dense_[v]) fn(static_cast<int64_t>(v), dense_[v]);
    }
    for (const auto& [v, c] : overflow_) fn(v, c);
  }

  // A compact, portable encoding (the results store's metric_bucket.histogram): for each
  // non-empty value ascending, the LEB128 varints (value - previous value, count), the
  // first delta taken from 0. An empty histogram is "". Deserialize(Serialize(h)) == h;
  // it returns a ParseError for bytes that are not such an encoding (truncated varint,
  // zero count, a value past INT64_MAX).
  std::string Serialize() const;
  static Result<LatencyHistogram> Deserialize(std::string_view bytes);

  friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b);

 private:
  std::vector<uint64_t> dense_;           // dense_[ms] = count, size grows to a power of two
  std::map<int64_t, uint64_t> overflow_;  // ms >= kDenseLimit
  uint64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

// Java's Math.round(double) for the values a percentile target can take: floor(x + 1/2),
// computed without the x + 0.5 rounding error.
int64_t JavaRound(double x);

// The fraction the Aggregate Report uses for a "NN% Line": JMeter parses the percent
// (property aggregate_rpt_pct1..3) as a Java float and divides by 100 in float, so 90 gives
// 0.9f = 0.89999997615814..., and for N = 5 the 90% Line is the 4th value, not the 5th.
// The median uses an exact 0.5.
double AggregateReportFraction(float percent);

}  // namespace barrage

#endif  // BARRAGE_COMMON_LATENCY_HISTOGRAM_H_
