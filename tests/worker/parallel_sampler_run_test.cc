// The bzm Parallel Controller end to end: compiled plans run by the engine against the
// fixture server (ctest also runs this with BARRAGE_HTTP_CLIENT=curl, so both HTTP paths
// are covered). Branches run concurrently within one user on its event loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/fixture/fixture_server.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/engine.h"

namespace barrage {
namespace {

using engine_test::Bool;
using engine_test::CollectSink;
using engine_test::El;
using engine_test::Int;
using engine_test::Str;

std::string Group(int loops, const std::string& children, const std::string& on_error = "continue") {
  return El("ThreadGroup", "tg",
            Str("ThreadGroup.num_threads", "1") + Str("ThreadGroup.ramp_time", "0") +
                Str("ThreadGroup.on_sample_error", on_error) +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
            children);
}
std::string Http(const std::string& name, const std::string& path, const std::string& children = "") {
  return El("HTTPSamplerProxy", name, Str("HTTPSampler.path", path), children);
}
std::string Simple(const std::string& name, const std::string& children) {
  return El("GenericController", name, "", children);
}
// A Dummy Sampler answering `code` (successful), optionally after `wait_ms` on the loop.
std::string Dummy(const std::string& name, const std::string& code, int wait_ms = 0, const std::string& children = "") {
  return El("kg.apc.jmeter.samplers.DummySampler", name,
            Bool("SUCCESFULL", true) + Bool("WAITING", wait_ms > 0) + Str("RESPONSE_CODE", code) +
                Str("RESPONSE_TIME", std::to_string(wait_ms)),
            children);
}
const char kParallelClass[] = "com.blazemeter.jmeter.controller.ParallelSampler";
std::string Parallel(const std::string& name, bool parent, const std::string& children, int limit = 0,
                     const std::string& elements = "") {
  std::string props = Bool("PARENT_SAMPLE", parent);
  if (limit > 0) props += Bool("LIMIT_MAX_THREAD_NUMBER", true) + Int("MAX_THREAD_NUMBER", limit);
  return El(kParallelClass, name, props, elements + children);
}
std::string UserParameter(const std::string& var, const std::string& value) {
  return El("UserParameters", "up",
            "<collectionProp name=\"UserParameters.names\">" + Str("n", var) +
                "</collectionProp><collectionProp name=\"UserParameters.thread_values\">"
                "<collectionProp name=\"t\">" +
                Str("v", value) + "</collectionProp></collectionProp>" + Bool("UserParameters.per_iteration", false));
}
std::string Contains(const std::string& text) {
  return El("ResponseAssertion", "contains",
            "<collectionProp name=\"Asserion.test_strings\">" + Str("s", text) + "</collectionProp>" +
                Str("Assertion.test_field", "Assertion.response_data") + Int("Assertion.test_type", 16));
}

std::vector<std::string> Labels(const std::vector<Sample>& samples) {
  std::vector<std::string> out;
  for (const Sample& s : samples) out.push_back(s.label);
  return out;
}

class ParallelSamplerRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  std::vector<Sample> Run(const std::string& body, const std::string& plan_elements = "") {
    std::string defaults =
        El("ConfigTestElement", "defaults",
           Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(server_->port())));
    std::string xml =
        "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n"
        "<hashTree>\n" +
        defaults + plan_elements + body + "</hashTree></hashTree></jmeterTestPlan>\n";
    Result<HashTree> tree = ParseJmx(xml, "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable())
        << (compiled_->plan.problems.empty() ? "unsupported" : compiled_->plan.problems[0].message);
    EngineOptions options;
    options.event_loops = 1;
    options.max_duration_ms = 20000;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    EXPECT_TRUE(engine.Prepare().ok());
    int64_t start = MonotonicMicros();
    EXPECT_TRUE(engine.Run().ok());
    run_us_ = MonotonicMicros() - start;
    return sink_.samples();
  }

  std::unique_ptr<fixture::FixtureServer> server_;
  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
  CollectSink sink_;
  int64_t run_us_ = 0;
};

TEST_F(ParallelSamplerRunTest, ParentSampleSpansTheConcurrentBranches) {
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", true, Http("a", "/delay/200") + Http("b", "/delay/200") + Http("c", "/delay/200"))));
  ASSERT_EQ(samples.size(), 1u);
  const Sample& p = samples[0];
  EXPECT_EQ(p.label, "par");
  EXPECT_EQ(p.response_code, "200");
  EXPECT_EQ(p.response_message, "OK");
  EXPECT_TRUE(p.success);
  EXPECT_EQ(p.thread_name, "tg 1-1");
  // Three 200 ms requests at once: about 200 ms, not 600.
  EXPECT_GE(p.elapsed_us, 200000);
  EXPECT_LT(p.elapsed_us, 400000);
  EXPECT_GT(p.bytes, 0);
}

TEST_F(ParallelSamplerRunTest, ParentSampleAddsUpTheBranchesBytes) {
  std::vector<Sample> samples =
      Run(Group(1, Http("a", "/bytes/100") + Http("b", "/bytes/300") +
                       Parallel("par", true, Http("a2", "/bytes/100") + Http("b2", "/bytes/300"))));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"a", "b", "par"}));
  EXPECT_EQ(samples[2].bytes, samples[0].bytes + samples[1].bytes);
  EXPECT_EQ(samples[2].sent_bytes, samples[0].sent_bytes + samples[1].sent_bytes);
  EXPECT_EQ(samples[2].latency_us, 0);
}

TEST_F(ParallelSamplerRunTest, WithoutParentSampleEachBranchSampleIsRecorded) {
  std::vector<Sample> samples = Run(
      Group(1, Parallel("par", false, Http("a", "/delay/200") + Http("b", "/delay/200") + Http("c", "/delay/200"))));
  ASSERT_EQ(samples.size(), 3u);
  std::vector<std::string> names;
  for (const Sample& s : samples) {
    names.push_back(s.thread_name);
    EXPECT_EQ(s.response_code, "200");
    EXPECT_GE(s.elapsed_us, 200000);
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"tg 1-1 - par - a", "tg 1-1 - par - b", "tg 1-1 - par - c"}));
  EXPECT_LT(run_us_, 590000);  // concurrent: under the 600 ms of three in a row
}

TEST_F(ParallelSamplerRunTest, MaxThreadNumberBoundsTheBranchesRunningAtOnce) {
  std::vector<Sample> samples = Run(
      Group(1, Parallel("par", true, Http("a", "/delay/150") + Http("b", "/delay/150") + Http("c", "/delay/150"), 2)));
  ASSERT_EQ(samples.size(), 1u);
  // Two at once, then the third: two rounds of 150 ms.
  EXPECT_GE(samples[0].elapsed_us, 300000);
  EXPECT_LT(samples[0].elapsed_us, 450000);
}

TEST_F(ParallelSamplerRunTest, ALimitOfOneRunsTheBranchesInPlanOrder) {
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", false, Dummy("a", "200", 30) + Dummy("b", "200", 10) + Dummy("c", "200", 20), 1)));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ParallelSamplerRunTest, AControllerChildIsOneBranchRunningItsSamplersInTurn) {
  std::vector<Sample> samples = Run(Group(
      1, Parallel("par", false,
                  Simple("slow", Http("s1", "/delay/150") + Http("s2", "/delay/150")) + Http("fast", "/delay/50"))));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"fast", "s1", "s2"}));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[1].thread_name, "tg 1-1 - par - slow");
  EXPECT_EQ(samples[2].thread_name, "tg 1-1 - par - slow");
}

TEST_F(ParallelSamplerRunTest, AFailedBranchSampleFailsTheParentSample) {
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", true, Http("ok", "/status/200") + Http("bad", "/status/500"))));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "200");  // the plugin keeps its own code
}

TEST_F(ParallelSamplerRunTest, BranchesShareTheUsersVariables) {
  // A branch reads `v` the user set; another sets `w`, which the user reads afterwards.
  std::vector<Sample> samples = Run(
      Group(1, Dummy("first", "200", 0, UserParameter("v", "201")) +
                   Parallel("par", false, Dummy("read", "${v}") + Dummy("set", "200", 0, UserParameter("w", "202"))) +
                   Dummy("after", "${w}")));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"first", "read", "set", "after"}));
  EXPECT_EQ(samples[1].response_code, "201");
  EXPECT_EQ(samples[3].response_code, "202");
}

TEST_F(ParallelSamplerRunTest, TimersInScopeDelayEachBranchSampler) {
  std::string timer = El("ConstantTimer", "t", Str("ConstantTimer.delay", "100"));
  std::vector<Sample> samples = Run(Group(1, Parallel("par", true, Dummy("a", "200") + Dummy("b", "200"), 0, timer)));
  ASSERT_EQ(samples.size(), 1u);
  // The timer delays the parallel sampler itself (before its start), then each branch's
  // sampler: concurrently, so the parent sample lasts one delay.
  EXPECT_GE(samples[0].elapsed_us, 100000);
  EXPECT_LT(samples[0].elapsed_us, 190000);
  EXPECT_GE(run_us_, 200000);
}

TEST_F(ParallelSamplerRunTest, AssertionsInTheControllersScopeCheckTheParentSample) {
  // A Duration Assertion under the controller applies to the branches' samplers and to
  // the parent sample: one at a time, each 60 ms branch passes, the parent fails.
  std::string duration = El("DurationAssertion", "d", Str("DurationAssertion.duration", "100"));
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", true, Dummy("a", "200", 60) + Dummy("b", "200", 60), 1, duration)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].failure_message.rfind("The operation lasted too long: It took ", 0), 0u)
      << samples[0].failure_message;
}

TEST_F(ParallelSamplerRunTest, CookiesAreSharedBetweenTheUserAndItsBranches) {
  std::string cookies = El("CookieManager", "cm", Bool("CookieManager.clearEachIteration", false));
  std::vector<Sample> samples =
      Run(Group(1, cookies + Http("user", "/cookies/set?u=1") +
                       Parallel("par", false,
                                Simple("s", Http("branch", "/cookies", Contains("\"u\":\"1\"")) +
                                                Http("branch-set", "/cookies/set?b=2"))) +
                       Http("after", "/cookies", Contains("\"b\":\"2\""))));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"user", "branch", "branch-set", "after"}));
  EXPECT_TRUE(samples[1].success) << samples[1].failure_message;
  EXPECT_TRUE(samples[3].success) << samples[3].failure_message;
}

TEST_F(ParallelSamplerRunTest, CookiesACookieManagerUnderTheControllerDefinesAreSent) {
  std::string cookies = El("CookieManager", "cm",
                           "<collectionProp name=\"CookieManager.cookies\"><elementProp name=\"c\" "
                           "elementType=\"Cookie\" testname=\"c\">" +
                               Str("Cookie.value", "3") + Str("Cookie.domain", "127.0.0.1") + Str("Cookie.path", "/") +
                               "</elementProp></collectionProp>");
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", false, Http("branch", "/cookies", Contains("\"c\":\"3\"")), 0, cookies)));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"branch"}));
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
}

TEST_F(ParallelSamplerRunTest, TheUserRunsItsNextIterationAfterTheParallelSample) {
  std::vector<Sample> samples =
      Run(Group(2, Parallel("par", true, Dummy("a", "200") + Dummy("b", "200")) + Dummy("after", "200")));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"par", "after", "par", "after"}));
}

TEST_F(ParallelSamplerRunTest, StartNextThreadLoopInABranchEndsTheBranchAndTheIteration) {
  // "Start next thread loop" on error: the failing branch ends, the other completes, the
  // user skips the rest of its iteration.
  std::vector<Sample> samples = Run(Group(
      2,
      Parallel("par", false,
               Simple("s", Http("bad", "/status/500") + Http("skipped", "/status/200")) + Dummy("other", "200", 50)) +
          Dummy("after", "200"),
      "startnextloop"));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"bad", "other", "bad", "other"}));
}

TEST_F(ParallelSamplerRunTest, AModuleControllerRunsAParallelControllerTarget) {
  std::string path = "<collectionProp name=\"ModuleController.node_path\">" + Str("1", "T") + Str("2", "T") +
                     Str("3", "tg") + Str("4", "par") + "</collectionProp>";
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", true, Dummy("a", "200") + Dummy("b", "200")) + El("ModuleController", "m", path)));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"par", "par"}));
}

TEST_F(ParallelSamplerRunTest, ANestedParallelControllerIsOneBranchOfTheOuter) {
  std::vector<Sample> samples = Run(Group(
      1, Parallel("outer", true,
                  Parallel("inner", true, Dummy("a", "200", 100) + Dummy("b", "200", 100)) + Dummy("c", "200", 100))));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"outer"}));
  EXPECT_TRUE(samples[0].success);
  EXPECT_GE(samples[0].elapsed_us, 100000);
  EXPECT_LT(samples[0].elapsed_us, 190000);
}

TEST_F(ParallelSamplerRunTest, StopTestNowInABranchInterruptsTheOtherBranches) {
  // The waiting Dummy Sampler is interruptible: it is recorded, the parent sample too, and
  // the run ends long before the 5 s wait.
  std::string stop = El("TestAction", "stop", Int("ActionProcessor.action", 2) + Int("ActionProcessor.target", 0));
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", false, Dummy("long", "200", 5000) + stop) + Dummy("after", "200")));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"long"}));
  EXPECT_LT(run_us_, 2000000);
}

TEST_F(ParallelSamplerRunTest, AGracefulStopLetsTheRunningBranchesFinish) {
  // "Stop" of all threads: the branch waiting 300 ms completes, then the user stops.
  std::string stop = El("TestAction", "stop", Int("ActionProcessor.action", 0) + Int("ActionProcessor.target", 1));
  std::vector<Sample> samples =
      Run(Group(1, Parallel("par", true, Dummy("long", "200", 300) + stop) + Dummy("after", "200")));
  ASSERT_EQ(Labels(samples), (std::vector<std::string>{"par"}));
  EXPECT_GE(samples[0].elapsed_us, 300000);
}

TEST_F(ParallelSamplerRunTest, TheLastBranchSampleSetsTheUsersLastSampleOk) {
  // A While Controller with a blank condition loops while the last sample succeeded; a
  // failed branch sample ends it.
  std::vector<Sample> samples = Run(Group(1, El("WhileController", "while", Str("WhileController.condition", ""),
                                                Parallel("par", false, Http("bad", "/status/500")))));
  EXPECT_EQ(Labels(samples), (std::vector<std::string>{"bad"}));
}

TEST(ParallelSamplerCompileTest, ChildrenAreBranchesInTheScopeOfTheControllersElements) {
  std::string timer = El("ConstantTimer", "t", Str("ConstantTimer.delay", "5"));
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n" +
      Group(1, Parallel("par", true, Simple("s", Dummy("a", "200")) + Dummy("b", "200"), 3, timer)) +
      "</hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "t.jmx");
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  ASSERT_TRUE(compiled.plan.runnable());
  EXPECT_TRUE(compiled.plan.problems.empty()) << compiled.plan.problems[0].message;
  const Node& par = *compiled.plan.thread_groups().at(0)->children.at(0);
  ASSERT_EQ(par.kind, ElementKind::kParallelSampler);
  EXPECT_TRUE(par.As<ParallelSampler>().generate_parent);
  EXPECT_EQ(par.As<ParallelSampler>().max_branches, 3);
  ASSERT_EQ(par.children.size(), 2u);
  EXPECT_EQ(par.As<Sampler>().scope.timers.size(), 1u);  // the controller's own timer
  const Sampler& b = par.children[1]->As<Sampler>();
  ASSERT_EQ(b.scope.timers.size(), 1u);
  EXPECT_EQ(b.scope.timers[0]->name, "t");
}

TEST(ParallelSamplerCompileTest, MaxThreadNumberBelowOneIsAnError) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n" +
      Group(1, El(kParallelClass, "par",
                  Bool("PARENT_SAMPLE", true) + Bool("LIMIT_MAX_THREAD_NUMBER", true) + Int("MAX_THREAD_NUMBER", 0),
                  Dummy("a", "200"))) +
      "</hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "t.jmx");
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  EXPECT_FALSE(compiled.plan.runnable());
  ASSERT_FALSE(compiled.plan.problems.empty());
  EXPECT_EQ(compiled.plan.problems[0].message,
            "com.blazemeter.jmeter.controller.ParallelSampler 'par': MAX_THREAD_NUMBER must be a whole number of at "
            "least 1 (is '0')");
}

}  // namespace
}  // namespace barrage
