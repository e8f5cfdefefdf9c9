// The per-(second, label, worker) rollups of the samples written in one transaction of the
// results store's writer (MetricBucket / ErrorBucket in results_store.h), flushed to
// metric_bucket and error_bucket right before COMMIT. Internal to controller/; one writer
// thread uses it.
#ifndef BARRAGE_CONTROLLER_METRIC_BUCKET_BUILDER_H_
#define BARRAGE_CONTROLLER_METRIC_BUCKET_BUILDER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "controller/aggregate_report.h"
#include "controller/results_store.h"

namespace barrage {

// AggregateStats plus the columns only the buckets keep.
struct BucketAcc {
  AggregateStats stats;
  int64_t latency_sum_ms = 0;
  int64_t connect_sum_ms = 0;
  int32_t max_all_threads = 0;
  int32_t max_grp_threads = 0;
};

struct BucketKey {
  int64_t execution, second, label;
  int32_t worker;
  bool operator==(const BucketKey&) const = default;
  auto tie() const { return std::tie(execution, second, label, worker); }
};

struct BucketKeyHash {
  size_t operator()(const BucketKey& k) const {
    uint64_t h = static_cast<uint64_t>(k.execution) * 0x9E3779B97F4A7C15ull;
    h ^= static_cast<uint64_t>(k.second) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= static_cast<uint64_t>(k.label) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= static_cast<uint64_t>(k.worker) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
};

inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

class BucketBuilder {
 public:
  void Add(int64_t execution, int64_t label, int32_t worker, const Sample& s) {
    const BucketKey key{execution, FloorDiv(s.timestamp_ms, 1000), label, worker};
    if (!last_ || !(last_key_ == key)) {
      last_ = &buckets_[key];
      last_key_ = key;
    }
    BucketAcc& b = *last_;
    b.stats.Add(s);
    b.latency_sum_ms += s.latency_us > 0 ? s.latency_us / 1000 : 0;
    b.connect_sum_ms += s.connect_us > 0 ? s.connect_us / 1000 : 0;
    b.max_all_threads = std::max(b.max_all_threads, s.all_threads);
    b.max_grp_threads = std::max(b.max_grp_threads, s.grp_threads);
    if (!s.success) ++errors_[{key, ErrorType(s)}];
    ++samples_[execution];
  }

  bool empty() const { return buckets_.empty(); }
  void Clear() {
    buckets_.clear();
    errors_.clear();
    samples_.clear();
    last_ = nullptr;
  }

  // In key order, so rows are written deterministically.
  std::vector<std::pair<BucketKey, const BucketAcc*>> Buckets() const {
    std::vector<std::pair<BucketKey, const BucketAcc*>> v;
    v.reserve(buckets_.size());
    for (const auto& [k, b] : buckets_) v.emplace_back(k, &b);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first.tie() < b.first.tie(); });
    return v;
  }
  struct ErrorKey {
    BucketKey bucket;
    std::string type;
    bool operator<(const ErrorKey& o) const {
      return std::tie(bucket.execution, bucket.second, bucket.label, bucket.worker, type) <
             std::tie(o.bucket.execution, o.bucket.second, o.bucket.label, o.bucket.worker, o.type);
    }
  };
  const std::map<ErrorKey, uint64_t>& errors() const { return errors_; }
  const std::map<int64_t, uint64_t>& samples() const { return samples_; }

 private:
  std::unordered_map<BucketKey, BucketAcc, BucketKeyHash> buckets_;
  std::map<ErrorKey, uint64_t> errors_;
  std::map<int64_t, uint64_t> samples_;  // execution -> samples in this transaction
  BucketKey last_key_{};
  BucketAcc* last_ = nullptr;  // node pointers stay valid across rehashing
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_METRIC_BUCKET_BUILDER_H_
