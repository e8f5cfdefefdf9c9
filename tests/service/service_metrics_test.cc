#include "service/service_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "controller/prometheus_sink.h"

namespace barrage {
namespace {

PooledWorker Worker(const std::string& name, PoolState state) {
  PooledWorker w;
  w.name = name;
  w.state = state;
  return w;
}

TEST(ServiceMetricsTest, AScrapeHoldsTheProjectsRunCountsAndThePool) {
  ServiceMetrics metrics;
  const std::map<std::string, ProjectRunCounts> runs = {{"shop", {.queued = 2, .running = 1}},
                                                        {"blog", {.queued = 0, .running = 3}}};
  EXPECT_EQ(metrics.Scrape(MetricsFormat::kPrometheus, "shop",
                           {Worker("lg-02", PoolState::kBusy), Worker("lg-01", PoolState::kIdle)}, runs),
            "# HELP barrage_service_runs The project's runs queued and running on this service.\n"
            "# TYPE barrage_service_runs gauge\n"
            "barrage_service_runs{project=\"shop\",state=\"queued\"} 2\n"
            "barrage_service_runs{project=\"shop\",state=\"running\"} 1\n"
            "# HELP barrage_service_workers The pool's workers by state.\n"
            "# TYPE barrage_service_workers gauge\n"
            "barrage_service_workers{state=\"busy\"} 1\n"
            "barrage_service_workers{state=\"idle\"} 1\n"
            "barrage_service_workers{state=\"lost\"} 0\n"
            "# HELP barrage_service_worker_state A pooled worker's state.\n"
            "# TYPE barrage_service_worker_state gauge\n"
            "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"busy\"} 0\n"
            "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"idle\"} 1\n"
            "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"lost\"} 0\n"
            "barrage_service_worker_state{worker=\"lg-02\",barrage_service_worker_state=\"busy\"} 1\n"
            "barrage_service_worker_state{worker=\"lg-02\",barrage_service_worker_state=\"idle\"} 0\n"
            "barrage_service_worker_state{worker=\"lg-02\",barrage_service_worker_state=\"lost\"} 0\n");
}

TEST(ServiceMetricsTest, ATokenSeesOnlyItsProjectsRuns) {
  ServiceMetrics metrics;
  PrometheusSink shop(metrics.registry());
  PrometheusSink blog(metrics.registry());
  shop.OnRunStart({.execution_id = 1, .plan_path = "a.jmx", .plan_name = "A", .project = "shop", .started_at_ms = 0});
  blog.OnRunStart({.execution_id = 2, .plan_path = "b.jmx", .plan_name = "B", .project = "blog", .started_at_ms = 0});
  Sample s;
  s.label = "home";
  shop.OnSamples({s, s}, 0);
  blog.OnSamples({s}, 0);
  const std::string text = metrics.Scrape(MetricsFormat::kOpenMetrics, "blog", {}, {});
  EXPECT_NE(text.find("barrage_requests_total{run=\"2\",project=\"blog\",label=\"home\"} 1\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("project=\"shop\""), std::string::npos) << text;
  EXPECT_EQ(text.find("run=\"1\""), std::string::npos) << text;
  EXPECT_NE(text.find("barrage_service_runs{project=\"blog\",state=\"queued\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
}

}  // namespace
}  // namespace barrage
