#include "service/run_request.h"

#include <gtest/gtest.h>

#include <string>

#include "controller/thresholds.h"

namespace barrage {
namespace {

Result<RunRequest> Parse(const std::string& json) { return RunRequestFromJson(nlohmann::json::parse(json)); }
std::string Error(const std::string& json) { return Parse(json).status().message(); }

TEST(RunRequestTest, OnlyThePlanIsRequiredAndTheDefaultsAreALocalRun) {
  Result<RunRequest> r = Parse(R"({"plan": "shop.jmx"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->plan, "shop.jmx");
  EXPECT_EQ(r->version, std::nullopt);
  EXPECT_TRUE(r->properties.empty());
  EXPECT_EQ(r->workers, 0);
  EXPECT_FALSE(r->cluster());
  EXPECT_EQ(r->share, "per-worker");
  EXPECT_EQ(r->duration_s, 0);
  EXPECT_TRUE(r->queue);
}

TEST(RunRequestTest, EveryFieldIsRead) {
  Result<RunRequest> r = Parse(R"({"plan": "shop.jmx", "version": 3, "properties": {"users": "50", "rampup": 10,
      "debug": true}, "worker_names": ["lg-01", "lg-02"], "share": "total", "duration": 600,
      "thresholds": ["p(95)<500", "error_rate<0.01"], "queue": false})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, 3);
  // JSON objects come sorted by name.
  EXPECT_EQ(r->properties,
            (std::vector<std::pair<std::string, std::string>>{{"debug", "true"}, {"rampup", "10"}, {"users", "50"}}));
  EXPECT_EQ(r->worker_names, (std::vector<std::string>{"lg-01", "lg-02"}));
  EXPECT_TRUE(r->cluster());
  EXPECT_EQ(r->share, "total");
  EXPECT_EQ(r->duration_s, 600);
  EXPECT_EQ(r->thresholds, (std::vector<std::string>{"p(95)<500", "error_rate<0.01"}));
  EXPECT_FALSE(r->queue);
  EXPECT_EQ(RunRequestToJson(*r), nlohmann::json::parse(R"({"plan": "shop.jmx", "version": 3, "properties":
      {"users": "50", "rampup": "10", "debug": "true"}, "workers": 0, "worker_names": ["lg-01", "lg-02"],
      "share": "total", "duration": 600, "thresholds": ["p(95)<500", "error_rate<0.01"], "queue": false})"));
}

TEST(RunRequestTest, ErrorsNameTheField) {
  EXPECT_EQ(Error(R"({})"), "plan: required: the name of an uploaded plan");
  EXPECT_EQ(Error(R"({"plan": 3})"), "plan: required: the name of an uploaded plan");
  EXPECT_EQ(Error(R"({"plan": "a", "users": 5})"),
            "users: unknown field (a run takes plan, version, properties, workers, worker_names, share, duration, "
            "thresholds, queue)");
  EXPECT_EQ(Error(R"({"plan": "a", "version": 0})"), "version: expected a version number (1, 2, ...)");
  EXPECT_EQ(Error(R"({"plan": "a", "properties": ["x"]})"), "properties: expected an object of name: value");
  EXPECT_EQ(Error(R"({"plan": "a", "properties": {"x": [1]}})"),
            "properties.x: expected a string, a number or a boolean");
  EXPECT_EQ(Error(R"({"plan": "a", "workers": -1})"), "workers: expected a number of workers (0: a local run)");
  EXPECT_EQ(Error(R"({"plan": "a", "workers": 2, "worker_names": ["x"]})"),
            "workers: give workers or worker_names, not both");
  EXPECT_EQ(Error(R"({"plan": "a", "worker_names": ["x", "x"]})"), "worker_names: 'x' is named twice");
  EXPECT_EQ(Error(R"({"plan": "a", "share": "half"})"), "share: expected \"per-worker\" or \"total\"");
  EXPECT_EQ(Error(R"({"plan": "a", "duration": "10m"})"), "duration: expected seconds (0: the plan decides)");
  EXPECT_EQ(Error(R"({"plan": "a", "thresholds": "p(95)<500"})"),
            "thresholds: expected a list of expressions such as \"p(95)<500\"");
  EXPECT_EQ(Error(R"({"plan": "a", "queue": "yes"})"), "queue: expected true or false");
  EXPECT_EQ(RunRequestFromJson(nlohmann::json::array()).status().message(), "the run request must be a JSON object");
}

TEST(RunRequestTest, ABadThresholdIsRefusedWithTheThresholdsError) {
  Result<RunRequest> r = Parse(R"({"plan": "a", "thresholds": ["p(95)<500", "p(95)<<1"]})");
  ASSERT_FALSE(r.ok());
  Result<Threshold> direct = ParseThreshold("p(95)<<1");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(r.status().message(), "thresholds[1]: " + direct.status().message());
}

}  // namespace
}  // namespace barrage
