// The worker's max_vus and max_rps in the engine (issue 14; EngineOptions): a plan starting
// more users at once than max_vus is refused before it runs; HTTP requests never start closer
// together than max_rps allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tests/fixture/fixture_server.h"
#include "tests/worker/engine_test_plan.h"

namespace barrage {
namespace {

using engine_test::Dummy;
using engine_test::El;
using engine_test::Group;
using engine_test::PlanXml;
using engine_test::Str;

class WorkerCapsRunTest : public engine_test::EngineRunFixture {
 protected:
  Status Prepare(const std::string& body, bool serialize = false) {
    std::string xml = PlanXml(body);
    if (serialize) {
      xml.replace(xml.find("<TestPlan testclass=\"TestPlan\" testname=\"T\"/>"),
                  std::string("<TestPlan testclass=\"TestPlan\" testname=\"T\"/>").size(),
                  "<TestPlan testclass=\"TestPlan\" testname=\"T\"><boolProp "
                  "name=\"TestPlan.serialize_threadgroups\">true</boolProp></TestPlan>");
    }
    Result<HashTree> tree = ParseJmx(xml, "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EngineOptions options;
    options.event_loops = 1;
    options.max_vus = max_vus_;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    return engine.Prepare();
  }
};

TEST_F(WorkerCapsRunTest, MaxVusRefusesAPlanStartingMoreUsersAtOnce) {
  max_vus_ = 4;
  const std::string two_groups = Group("a", 3, 1, Dummy("d", "x")) + Group("b", 2, 1, Dummy("d", "x"));
  EXPECT_EQ(Prepare(two_groups).message(),
            "the plan starts 5 virtual users at once on this worker ('a': 3, 'b': 2), more than its max_vus 4");
  // One group after the other: at most 3 at once.
  EXPECT_TRUE(Prepare(two_groups, /*serialize=*/true).ok());
  // Each phase on its own: a setUp group of 4 and a main group of 4.
  const std::string phases = El("SetupThreadGroup", "setup",
                                Str("ThreadGroup.num_threads", "4") + Str("ThreadGroup.ramp_time", "0") +
                                    "<elementProp name=\"ThreadGroup.main_controller\" "
                                    "elementType=\"LoopController\">" +
                                    Str("LoopController.loops", "1") + "</elementProp>",
                                Dummy("d", "x")) +
                             Group("main", 4, 1, Dummy("d", "x"));
  EXPECT_TRUE(Prepare(phases).ok());
  max_vus_ = 3;
  EXPECT_EQ(Prepare(phases).message(),
            "the plan starts 4 virtual users at once on this worker ('setup': 4), more than its max_vus 3");
}

TEST_F(WorkerCapsRunTest, MaxRpsSpacesTheRequestsOfEveryThreadGroup) {
  auto server = fixture::FixtureServer::Start({});
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string http =
      El("HTTPSamplerProxy", "r",
         Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string((*server)->port())) +
             Str("HTTPSampler.path", "/hello.txt"));
  max_rps_ = 20;  // one loop: a request every 50 ms at most
  std::vector<Sample> samples = Run(Group("a", 2, 4, http) + Group("b", 1, 4, http), 1);
  ASSERT_EQ(samples.size(), 12u);
  std::vector<int64_t> starts;
  for (const Sample& s : samples) {
    EXPECT_EQ(s.response_code, "200");
    starts.push_back(s.timestamp_ms);
  }
  std::sort(starts.begin(), starts.end());
  // Slots are 50 ms apart on the monotonic clock; the wall-clock stamps (ms) may round 1 ms
  // either way.
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_GE(starts[i] - starts[i - 1], 49) << i;
  EXPECT_GE(starts.back() - starts.front(), 11 * 50 - 1);
  EXPECT_EQ((*server)->requests("/hello.txt"), 12u);
}

}  // namespace
}  // namespace barrage
