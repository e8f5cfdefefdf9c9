#include "controller/metrics_registry.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace barrage {
namespace {

// A counter, a gauge, a stateset and a histogram with two series.
void Fill(MetricsRegistry& r) {
  const MetricFamily* requests = r.AddCounter("demo_requests", "Requests \"served\".\nBy path.", {"path"});
  const MetricFamily* users = r.AddGauge("demo_users", "Users.", {});
  const MetricFamily* state = r.AddStateSet("demo_state", "State.", {"demo_state"});
  const MetricFamily* latency = r.AddHistogram("demo_latency_seconds", "Latency.", {"path"}, {0.5, 1}, "seconds");
  MetricsRegistry::Update u(r);
  u.Add(requests, {"/b"}, 2);
  u.Add(requests, {"/a"}, 3);
  u.Add(requests, {"/a"}, 1);
  u.Set(users, {}, 7);
  u.Set(state, {"on"}, 1);
  u.Set(state, {"off"}, 0);
  u.Observe(latency, {"/a"}, {1, 2, 1}, 4.25);
}

TEST(MetricsRegistryTest, OpenMetricsTextIsExact) {
  MetricsRegistry r;
  Fill(r);
  EXPECT_EQ(r.Render(MetricsFormat::kOpenMetrics),
            "# HELP demo_requests Requests \\\"served\\\".\\nBy path.\n"
            "# TYPE demo_requests counter\n"
            "demo_requests_total{path=\"/a\"} 4\n"
            "demo_requests_total{path=\"/b\"} 2\n"
            "# HELP demo_users Users.\n"
            "# TYPE demo_users gauge\n"
            "demo_users 7\n"
            "# HELP demo_state State.\n"
            "# TYPE demo_state stateset\n"
            "demo_state{demo_state=\"off\"} 0\n"
            "demo_state{demo_state=\"on\"} 1\n"
            "# HELP demo_latency_seconds Latency.\n"
            "# TYPE demo_latency_seconds histogram\n"
            "# UNIT demo_latency_seconds seconds\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"0.5\"} 1\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"1.0\"} 3\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
            "demo_latency_seconds_count{path=\"/a\"} 4\n"
            "demo_latency_seconds_sum{path=\"/a\"} 4.25\n"
            "# EOF\n");
}

TEST(MetricsRegistryTest, PrometheusTextIsExact) {
  MetricsRegistry r;
  Fill(r);
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus),
            "# HELP demo_requests_total Requests \"served\".\\nBy path.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{path=\"/a\"} 4\n"
            "demo_requests_total{path=\"/b\"} 2\n"
            "# HELP demo_users Users.\n"
            "# TYPE demo_users gauge\n"
            "demo_users 7\n"
            "# HELP demo_state State.\n"
            "# TYPE demo_state gauge\n"
            "demo_state{demo_state=\"off\"} 0\n"
            "demo_state{demo_state=\"on\"} 1\n"
            "# HELP demo_latency_seconds Latency.\n"
            "# TYPE demo_latency_seconds histogram\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"0.5\"} 1\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"1\"} 3\n"
            "demo_latency_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
            "demo_latency_seconds_count{path=\"/a\"} 4\n"
            "demo_latency_seconds_sum{path=\"/a\"} 4.25\n");
}

TEST(MetricsRegistryTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  MetricsRegistry r;
  const MetricFamily* f = r.AddGauge("g", "G.", {"label"});
  {
    MetricsRegistry::Update u(r);
    u.Set(f, {"C:\\tmp \"x\"\ny"}, 1);
  }
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus),
            "# HELP g G.\n# TYPE g gauge\ng{label=\"C:\\\\tmp \\\"x\\\"\\ny\"} 1\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeAcrossObservations) {
  MetricsRegistry r;
  const std::vector<double> bounds = {0.001, 0.01, 0.1};
  const MetricFamily* h = r.AddHistogram("h_seconds", "H.", {}, bounds, "seconds");
  {
    MetricsRegistry::Update u(r);
    std::vector<uint64_t> counts(bounds.size() + 1, 0);
    for (double v : {0.0005, 0.001, 0.002, 0.05, 0.1, 7.0}) ++counts[HistogramBucket(bounds, v)];
    u.Observe(h, {}, counts, 7.5);
    u.Observe(h, {}, {0, 1, 0, 0}, 0.25);
  }
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.001\"} 2\n"
            "h_seconds_bucket{le=\"0.01\"} 4\n"
            "h_seconds_bucket{le=\"0.1\"} 6\n"
            "h_seconds_bucket{le=\"+Inf\"} 7\n"
            "h_seconds_count 7\n"
            "h_seconds_sum 7.75\n");
}

TEST(MetricsRegistryTest, BucketBoundsAreInclusive) {
  const std::vector<double> bounds = {0.001, 0.0025, 1};
  EXPECT_EQ(HistogramBucket(bounds, 0), 0u);
  EXPECT_EQ(HistogramBucket(bounds, 1000 / 1e6), 0u);
  EXPECT_EQ(HistogramBucket(bounds, 1001 / 1e6), 1u);
  EXPECT_EQ(HistogramBucket(bounds, 2500 / 1e6), 1u);
  EXPECT_EQ(HistogramBucket(bounds, 1.0), 2u);
  EXPECT_EQ(HistogramBucket(bounds, 1.000001), 3u);
}

TEST(MetricsRegistryTest, AFilterKeepsTheMatchingSeriesAndFamiliesWithoutTheLabel) {
  MetricsRegistry r;
  const MetricFamily* c = r.AddCounter("c", "C.", {"project"});
  const MetricFamily* g = r.AddGauge("g", "G.", {"worker"});
  {
    MetricsRegistry::Update u(r);
    u.Add(c, {"a"}, 1);
    u.Add(c, {"b"}, 2);
    u.Set(g, {"w1"}, 3);
    u.Set(g, {"w2"}, 4);
    u.Clear(g);
    u.Set(g, {"w3"}, 5);
  }
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus, {.label = "project", .value = "b"}),
            "# HELP c_total C.\n# TYPE c_total counter\nc_total{project=\"b\"} 2\n"
            "# HELP g G.\n# TYPE g gauge\ng{worker=\"w3\"} 5\n");
}

TEST(MetricsRegistryTest, AddingAFamilyTwiceReturnsTheSameOne) {
  MetricsRegistry r;
  EXPECT_EQ(r.AddCounter("c", "C.", {"a"}), r.AddCounter("c", "C.", {"a"}));
}

TEST(MetricsRegistryTest, RemoveWhereDropsOnlyTheMatchingSeries) {
  MetricsRegistry r;
  const MetricFamily* c = r.AddCounter("c", "C.", {"run", "label"});
  {
    MetricsRegistry::Update u(r);
    u.Add(c, {"1", "x"}, 1);
    u.Add(c, {"2", "x"}, 2);
    u.Add(c, {"1", "y"}, 3);
    u.RemoveWhere(c, 0, "1");
  }
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus),
            "# HELP c_total C.\n# TYPE c_total counter\nc_total{run=\"2\",label=\"x\"} 2\n");
}

TEST(MetricsRegistryTest, FormatFollowsTheAcceptHeader) {
  EXPECT_EQ(NegotiateMetricsFormat("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                   "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            MetricsFormat::kOpenMetrics);
  EXPECT_EQ(NegotiateMetricsFormat("text/plain"), MetricsFormat::kPrometheus);
  EXPECT_EQ(NegotiateMetricsFormat(""), MetricsFormat::kPrometheus);
  EXPECT_STREQ(MetricsContentType(MetricsFormat::kOpenMetrics),
               "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_STREQ(MetricsContentType(MetricsFormat::kPrometheus), "text/plain; version=0.0.4; charset=utf-8");
}

TEST(MetricsRegistryTest, NonIntegralAndSpecialValues) {
  MetricsRegistry r;
  const MetricFamily* g = r.AddGauge("g", "G.", {"k"});
  {
    MetricsRegistry::Update u(r);
    u.Set(g, {"a"}, 0.1);
    u.Set(g, {"b"}, -2);
    u.Set(g, {"c"}, std::numeric_limits<double>::infinity());
    u.Set(g, {"d"}, 1e21);
  }
  EXPECT_EQ(r.Render(MetricsFormat::kPrometheus),
            "# HELP g G.\n# TYPE g gauge\ng{k=\"a\"} 0.1\ng{k=\"b\"} -2\ng{k=\"c\"} +Inf\ng{k=\"d\"} 1e+21\n");
}

}  // namespace
}  // namespace barrage
