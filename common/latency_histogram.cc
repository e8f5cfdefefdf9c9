#include "common/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace barrage {

void LatencyHistogram::Add(int64_t ms, uint64_t count) {
  if (count == 0) return;
  if (ms < 0) ms = 0;
  if (ms < kDenseLimit) {
    const size_t index = static_cast<size_t>(ms);
    if (index >= dense_.size()) {
      // Grow to the next power of two (at least 64 entries) so a histogram of fast samples
      // stays a few hundred bytes while a slow one reaches the full 512 KiB.
      dense_.resize(std::max<size_t>(64, std::bit_ceil(index + 1)), 0);
    }
    dense_[index] += count;
  } else {
    overflow_[ms] += count;
  }
  if (count_ == 0) {
    min_ = max_ = ms;
  } else {
    min_ = std::min(min_, ms);
    max_ = std::max(max_, ms);
  }
  count_ += count;
  sum_ += ms * static_cast<int64_t>(count);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (other.dense_.size() > dense_.size()) dense_.resize(other.dense_.size(), 0);
  for (size_t v = 0; v < other.dense_.size(); ++v) dense_[v] += other.dense_[v];
  for (const auto& [v, c] : other.overflow_) overflow_[v] += c;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::Clear() { *this = LatencyHistogram(); }

double LatencyHistogram::Mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

int64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 1.0) return max_;
  const int64_t target = JavaRound(static_cast<double>(count_) * p);
  if (target <= 0) return min_;
  uint64_t seen = 0;
  for (size_t v = 0; v < dense_.size(); ++v) {
    seen += dense_[v];
    if (seen >= static_cast<uint64_t>(target)) return static_cast<int64_t>(v);
  }
  for (const auto& [v, c] : overflow_) {
    seen += c;
    if (seen >= static_cast<uint64_t>(target)) return v;
  }
  return max_;
}

bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) {
  if (a.count_ != b.count_ || a.sum_ != b.sum_ || a.min() != b.min() || a.max() != b.max() ||
      a.overflow_ != b.overflow_) {
    return false;
  }
  const size_t n = std::max(a.dense_.size(), b.dense_.size());
  for (size_t v = 0; v < n; ++v) {
    const uint64_t ca = v < a.dense_.size() ? a.dense_[v] : 0;
    const uint64_t cb = v < b.dense_.size() ? b.dense_[v] : 0;
    if (ca != cb) return false;
  }
  return true;
}

namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads one varint at *pos; false when the bytes end inside it or it exceeds 64 bits.
bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in[(*pos)++]);
    if (shift == 63 && byte > 1) return false;
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

}  // namespace

std::string LatencyHistogram::Serialize() const {
  std::string out;
  int64_t previous = 0;
  ForEach([&](int64_t value, uint64_t count) {
    PutVarint(static_cast<uint64_t>(value - previous), &out);
    PutVarint(count, &out);
    previous = value;
  });
  return out;
}

Result<LatencyHistogram> LatencyHistogram::Deserialize(std::string_view bytes) {
  LatencyHistogram h;
  uint64_t value = 0;
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    uint64_t delta = 0, count = 0;
    if (!GetVarint(bytes, &pos, &delta) || !GetVarint(bytes, &pos, &count)) {
      return Status::ParseError("histogram: truncated or overlong varint at byte " + std::to_string(pos));
    }
    if (count == 0) return Status::ParseError("histogram: zero count at byte " + std::to_string(pos));
    if ((!first && delta == 0) || delta > static_cast<uint64_t>(INT64_MAX) - value) {
      return Status::ParseError("histogram: values not ascending at byte " + std::to_string(pos));
    }
    value += delta;
    first = false;
    h.Add(static_cast<int64_t>(value), count);
  }
  return h;
}

int64_t JavaRound(double x) {
  const double floor = std::floor(x);
  return static_cast<int64_t>(x - floor >= 0.5 ? floor + 1 : floor);
}

double AggregateReportFraction(float percent) { return static_cast<double>(percent / 100.0f); }

}  // namespace barrage
