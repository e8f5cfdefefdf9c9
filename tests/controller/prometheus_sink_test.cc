#include "controller/prometheus_sink.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace barrage {
namespace {

Sample At(const std::string& label, int64_t elapsed_us, bool success = true, const std::string& code = "200") {
  Sample s;
  s.label = label;
  s.elapsed_us = elapsed_us;
  s.success = success;
  s.response_code = code;
  return s;
}

// The lines of `text` that start with `prefix` (a metric name and "{" or " ").
std::vector<std::string> Lines(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

class PrometheusSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_.OnRunStart({.execution_id = 7,
                      .plan_path = "/p/shop.jmx",
                      .plan_name = "Shop",
                      .project = "web",
                      .started_at_ms = 10'000});
  }
  std::string Text() const { return registry_.Render(MetricsFormat::kPrometheus); }
  MetricsRegistry registry_;
  PrometheusSink sink_{&registry_};
};

TEST_F(PrometheusSinkTest, CountsRequestsAndErrorsPerLabelAcrossBatches) {
  sink_.OnSamples({At("home", 800), At("cart", 3000, false, "500"), At("home", 1000)}, 0);
  sink_.OnSamples({At("cart", 70'000'000, false, "Non HTTP response code: java.net.SocketTimeoutException"),
                   At("cart", 2000, false, "500")},
                  2);
  const std::string text = Text();
  EXPECT_EQ(Lines(text, "barrage_requests_total{"),
            (std::vector<std::string>{"barrage_requests_total{run=\"7\",project=\"web\",label=\"cart\"} 3",
                                      "barrage_requests_total{run=\"7\",project=\"web\",label=\"home\"} 2"}));
  EXPECT_EQ(Lines(text, "barrage_errors_total{"),
            (std::vector<std::string>{
                "barrage_errors_total{run=\"7\",project=\"web\",label=\"cart\",code=\"500\"} 2",
                "barrage_errors_total{run=\"7\",project=\"web\",label=\"cart\",code=\"Non HTTP response code: "
                "java.net.SocketTimeoutException\"} 1"}));
  EXPECT_EQ(Lines(text, "barrage_samples_recorded_total{"),
            (std::vector<std::string>{"barrage_samples_recorded_total{run=\"7\",project=\"web\"} 5"}));
  EXPECT_EQ(Lines(text, "barrage_run_info{"),
            (std::vector<std::string>{"barrage_run_info{run=\"7\",project=\"web\",plan=\"Shop\"} 1"}));
}

TEST_F(PrometheusSinkTest, ElapsedHistogramUsesTheFixedBucketsCumulatively) {
  // 1 ms is in le="0.001"; 70 s only in +Inf.
  sink_.OnSamples({At("cart", 1000), At("cart", 3000), At("cart", 2'500'000), At("cart", 70'000'000)}, 0);
  const std::string p = "barrage_elapsed_seconds_bucket{run=\"7\",project=\"web\",label=\"cart\",le=";
  const std::string text = Text();
  EXPECT_EQ(Lines(text, "barrage_elapsed_seconds_bucket{"),
            (std::vector<std::string>{p + "\"0.001\"} 1", p + "\"0.0025\"} 1", p + "\"0.005\"} 2", p + "\"0.01\"} 2",
                                      p + "\"0.025\"} 2", p + "\"0.05\"} 2", p + "\"0.1\"} 2", p + "\"0.25\"} 2",
                                      p + "\"0.5\"} 2", p + "\"1\"} 2", p + "\"2.5\"} 3", p + "\"5\"} 3",
                                      p + "\"10\"} 3", p + "\"30\"} 3", p + "\"60\"} 3", p + "\"+Inf\"} 4"}));
  EXPECT_EQ(Lines(text, "barrage_elapsed_seconds_count{"),
            (std::vector<std::string>{"barrage_elapsed_seconds_count{run=\"7\",project=\"web\",label=\"cart\"} 4"}));
  const std::vector<std::string> sum = Lines(text, "barrage_elapsed_seconds_sum{");
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_NEAR(std::stod(sum[0].substr(sum[0].rfind(' ') + 1)), 72.504, 1e-9);
}

TEST_F(PrometheusSinkTest, TicksSetUsersLateArrivalsIngestRateAndWorkers) {
  sink_.OnSamples(std::vector<Sample>(300, At("home", 1000)), 1);
  LiveTick tick;
  tick.now_ms = 12'000;  // 2 s after the start: 300 samples = 150/s
  tick.threads = {.active = 5, .started = 6, .finished = 1, .late_arrivals = 2};
  tick.recorded = 300;
  tick.workers = {
      {.worker_id = 1,
       .name = "w1",
       .phase = "running",
       .active_users = 3,
       .samples_received = 200,
       .late_arrivals = 2},
      {.worker_id = 2, .name = "w2", .phase = "lost", .active_users = 0, .samples_received = 100, .late_arrivals = 0}};
  sink_.OnTick(tick);
  const std::string text = Text();
  EXPECT_EQ(Lines(text, "barrage_users_"),
            (std::vector<std::string>{"barrage_users_active{run=\"7\",project=\"web\"} 5",
                                      "barrage_users_started_total{run=\"7\",project=\"web\"} 6",
                                      "barrage_users_finished_total{run=\"7\",project=\"web\"} 1"}));
  EXPECT_EQ(Lines(text, "barrage_late_arrivals_total{"),
            (std::vector<std::string>{"barrage_late_arrivals_total{run=\"7\",project=\"web\"} 2"}));
  EXPECT_EQ(Lines(text, "barrage_ingest_rate{"),
            (std::vector<std::string>{"barrage_ingest_rate{run=\"7\",project=\"web\"} 150"}));
  EXPECT_EQ(Lines(text, "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\""),
            (std::vector<std::string>{
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"finished\"} 0",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"loading\"} 0",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"lost\"} 1",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"ready\"} 0",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"registered\"} 0",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"rejected\"} 0",
                "barrage_worker_state{run=\"7\",project=\"web\",worker=\"w2\",barrage_worker_state=\"running\"} 0"}));
  EXPECT_EQ(Lines(text, "barrage_worker_users_active{"),
            (std::vector<std::string>{"barrage_worker_users_active{run=\"7\",project=\"web\",worker=\"w1\"} 3",
                                      "barrage_worker_users_active{run=\"7\",project=\"web\",worker=\"w2\"} 0"}));
  EXPECT_EQ(
      Lines(text, "barrage_worker_samples_received_total{"),
      (std::vector<std::string>{"barrage_worker_samples_received_total{run=\"7\",project=\"web\",worker=\"w1\"} 200",
                                "barrage_worker_samples_received_total{run=\"7\",project=\"web\",worker=\"w2\"} 100"}));
  EXPECT_EQ(
      Lines(text, "barrage_worker_late_arrivals_total{run=\"7\",project=\"web\",worker=\"w1\"}"),
      (std::vector<std::string>{"barrage_worker_late_arrivals_total{run=\"7\",project=\"web\",worker=\"w1\"} 2"}));
}

TEST_F(PrometheusSinkTest, TheEndSetsTheStoredStatusAndNoActiveUsers) {
  LiveTick tick;
  tick.now_ms = 11'000;
  tick.threads.active = 4;
  sink_.OnTick(tick);
  EXPECT_FALSE(sink_.ended());
  sink_.OnRunEnd(20'000, ExecutionStatus::kFailed);
  EXPECT_TRUE(sink_.ended());
  const std::string text = Text();
  EXPECT_EQ(Lines(text, "barrage_run_state{"),
            (std::vector<std::string>{"barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"aborted\"} 0",
                                      "barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"errored\"} 0",
                                      "barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"failed\"} 1",
                                      "barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"partial\"} 0",
                                      "barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"passed\"} 0",
                                      "barrage_run_state{run=\"7\",project=\"web\",barrage_run_state=\"running\"} 0"}));
  EXPECT_EQ(Lines(text, "barrage_users_active{"),
            (std::vector<std::string>{"barrage_users_active{run=\"7\",project=\"web\"} 0"}));
}

TEST_F(PrometheusSinkTest, TwoRunsShareTheFamiliesAndRemoveOnlyTheirOwnSeries) {
  PrometheusSink other(&registry_);
  other.OnRunStart(
      {.execution_id = 8, .plan_path = "/p/api.jmx", .plan_name = "Api", .project = "api", .started_at_ms = 10'000});
  sink_.OnSamples({At("home", 1000)}, 0);
  other.OnSamples({At("home", 1000), At("home", 1000)}, 0);
  EXPECT_EQ(Lines(Text(), "barrage_requests_total{"),
            (std::vector<std::string>{"barrage_requests_total{run=\"7\",project=\"web\",label=\"home\"} 1",
                                      "barrage_requests_total{run=\"8\",project=\"api\",label=\"home\"} 2"}));
  sink_.RemoveSeries();
  const std::string text = Text();
  EXPECT_EQ(Lines(text, "barrage_requests_total{"),
            (std::vector<std::string>{"barrage_requests_total{run=\"8\",project=\"api\",label=\"home\"} 2"}));
  EXPECT_TRUE(Lines(text, "barrage_run_info{run=\"7\"").empty());
}

}  // namespace
}  // namespace barrage
