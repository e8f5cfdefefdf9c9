#include "common/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace barrage {
namespace {

LatencyHistogram Of(std::initializer_list<int64_t> values) {
  LatencyHistogram h;
  for (int64_t v : values) h.Add(v);
  return h;
}

// JMeter's rule on a sorted copy, written out independently of the histogram.
int64_t NearestRank(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  if (p >= 1.0) return v.back();
  const double x = static_cast<double>(v.size()) * p;
  const int64_t target = static_cast<int64_t>(std::floor(x)) + (x - std::floor(x) >= 0.5 ? 1 : 0);
  return target <= 0 ? v.front() : v[static_cast<size_t>(target - 1)];
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.sum(), 0);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.Percentile(1.0), 0);
}

TEST(LatencyHistogramTest, CountsMinMaxSumAndMean) {
  LatencyHistogram h = Of({7, 8, 9, 100, 8});
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.min(), 7);
  EXPECT_EQ(h.max(), 100);
  EXPECT_EQ(h.sum(), 132);
  EXPECT_DOUBLE_EQ(h.Mean(), 26.4);
}

TEST(LatencyHistogramTest, NegativeValuesCountAsZero) {
  LatencyHistogram h = Of({-5, 3});
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.sum(), 3);
}

TEST(LatencyHistogramTest, MedianOfFiveIsTheThirdValue) {
  // round(5 * 0.5) = round(2.5) = 3 (half up)
  EXPECT_EQ(Of({1, 2, 3, 4, 5}).Percentile(0.5), 3);
}

TEST(LatencyHistogramTest, MedianOfTwoRoundsHalfUpToTheFirstValue) {
  // round(2 * 0.5) = 1: the first value, as JMeter's avg-trunc2 row (1, 2 -> median 1)
  EXPECT_EQ(Of({1, 2}).Percentile(0.5), 1);
}

TEST(LatencyHistogramTest, FloatNinetyPercentOfFiveIsTheFourthValue) {
  // 5 * 0.9f = 4.4999998...: round gives 4, not 5 (percentile-edges.jtl, label n5)
  EXPECT_EQ(Of({1, 2, 3, 4, 5}).Percentile(AggregateReportFraction(90)), 4);
  // With an exact 0.9, 4.5 rounds up to 5.
  EXPECT_EQ(Of({1, 2, 3, 4, 5}).Percentile(0.9), 5);
}

TEST(LatencyHistogramTest, FloatNinetyPercentOfFifteenIsTheThirteenthValue) {
  LatencyHistogram h;
  for (int v = 1; v <= 15; ++v) h.Add(v);
  EXPECT_EQ(h.Percentile(AggregateReportFraction(90)), 13);
}

TEST(LatencyHistogramTest, PercentOneOrMoreIsTheMax) {
  LatencyHistogram h = Of({1, 2, 70000});
  EXPECT_EQ(h.Percentile(1.0), 70000);
  EXPECT_EQ(h.Percentile(1.5), 70000);
}

TEST(LatencyHistogramTest, PercentZeroIsTheMin) {
  EXPECT_EQ(Of({4, 9}).Percentile(0.0), 4);
  EXPECT_EQ(Of({4, 9}).Percentile(0.1), 4);  // round(0.2) = 0
}

TEST(LatencyHistogramTest, RepeatedValuesCountTowardTheRank) {
  LatencyHistogram h;
  h.Add(10, 98);
  h.Add(500, 2);
  EXPECT_EQ(h.Percentile(0.98), 10);
  EXPECT_EQ(h.Percentile(0.99), 500);
}

TEST(LatencyHistogramTest, ValuesPastTheDenseRangeAreExact) {
  LatencyHistogram h = Of({65535, 65536, 1'000'000, 3'600'000});
  EXPECT_EQ(h.Percentile(0.25), 65535);
  EXPECT_EQ(h.Percentile(0.5), 65536);
  EXPECT_EQ(h.Percentile(0.75), 1'000'000);
  EXPECT_EQ(h.max(), 3'600'000);
  EXPECT_EQ(h.sum(), 65535 + 65536 + 1'000'000 + 3'600'000);
}

TEST(LatencyHistogramTest, MatchesNearestRankOnRandomData) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(3.0, 1.5);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 20'000; ++i) {
    const int64_t v = static_cast<int64_t>(dist(rng));
    values.push_back(v);
    h.Add(v);
  }
  for (double p : {0.0, 0.001, 0.25, 0.5, AggregateReportFraction(90), AggregateReportFraction(95),
                   AggregateReportFraction(99), 0.999, 1.0}) {
    EXPECT_EQ(h.Percentile(p), NearestRank(values, p)) << "p=" << p;
  }
}

TEST(LatencyHistogramTest, MergeEqualsAddingEverythingToOne) {
  LatencyHistogram a = Of({1, 5, 70000});
  LatencyHistogram b = Of({0, 300, 100000, 5});
  LatencyHistogram all = Of({1, 5, 70000, 0, 300, 100000, 5});
  a.Merge(b);
  EXPECT_EQ(a, all);
  EXPECT_EQ(a.count(), 7u);
  EXPECT_EQ(a.min(), 0);
  EXPECT_EQ(a.max(), 100000);
}

TEST(LatencyHistogramTest, MergeIntoEmptyCopiesMinAndMax) {
  LatencyHistogram a;
  a.Merge(Of({40, 50}));
  EXPECT_EQ(a.min(), 40);
  EXPECT_EQ(a.max(), 50);
}

TEST(LatencyHistogramTest, ForEachVisitsValuesAscending) {
  LatencyHistogram h = Of({70000, 3, 3, 0});
  std::vector<std::pair<int64_t, uint64_t>> seen;
  h.ForEach([&](int64_t v, uint64_t c) { seen.emplace_back(v, c); });
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, uint64_t>>{{0, 1}, {3, 2}, {70000, 1}}));
}

TEST(LatencyHistogramTest, ClearEmptiesIt) {
  LatencyHistogram h = Of({1, 2});
  h.Clear();
  EXPECT_EQ(h, LatencyHistogram());
}

TEST(LatencyHistogramTest, JavaRoundIsHalfUp) {
  EXPECT_EQ(JavaRound(2.5), 3);
  EXPECT_EQ(JavaRound(2.4999999), 2);
  EXPECT_EQ(JavaRound(0.49999999999999994), 0);  // Java 7+ Math.round
  EXPECT_EQ(JavaRound(4.0), 4);
}

TEST(LatencyHistogramTest, SerializesAsVarintDeltaCountPairs) {
  LatencyHistogram h;
  h.Add(3, 2);
  h.Add(200);
  h.Add(70'000);  // past the dense range
  EXPECT_EQ(h.Serialize(), std::string("\x03\x02\xc5\x01\x01\xa8\xa1\x04\x01", 9));
}

TEST(LatencyHistogramTest, EmptySerializesToNothing) {
  EXPECT_EQ(LatencyHistogram().Serialize(), "");
  Result<LatencyHistogram> back = LatencyHistogram::Deserialize("");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->count(), 0u);
}

TEST(LatencyHistogramTest, DeserializeRestoresEveryValueCountAndStatistic) {
  LatencyHistogram h;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5'000; ++i) h.Add(static_cast<int64_t>(rng() % 200'000));
  h.Add(0, 3);
  h.Add(int64_t{1} << 40);
  Result<LatencyHistogram> back = LatencyHistogram::Deserialize(h.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == h);
  EXPECT_EQ(back->count(), 5'004u);
  EXPECT_EQ(back->min(), 0);
  EXPECT_EQ(back->max(), int64_t{1} << 40);
  EXPECT_EQ(back->sum(), h.sum());
  EXPECT_EQ(back->Percentile(0.99), h.Percentile(0.99));
}

TEST(LatencyHistogramTest, DeserializeRejectsATruncatedVarint) {
  Result<LatencyHistogram> h = LatencyHistogram::Deserialize(std::string("\x03\x02\xc5", 3));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kParseError);
  EXPECT_EQ(h.status().message(), "histogram: truncated or overlong varint at byte 3");
}

TEST(LatencyHistogramTest, DeserializeRejectsAZeroCount) {
  Result<LatencyHistogram> h = LatencyHistogram::Deserialize(std::string("\x05\x00", 2));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "histogram: zero count at byte 2");
}

TEST(LatencyHistogramTest, DeserializeRejectsARepeatedValue) {
  Result<LatencyHistogram> h = LatencyHistogram::Deserialize(std::string("\x05\x01\x00\x01", 4));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "histogram: values not ascending at byte 4");
}

}  // namespace
}  // namespace barrage
