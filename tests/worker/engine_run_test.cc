// The engine end to end: compiled plans run against the fixture server on loopback, with
// the recorded samples checked field by field.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/fixture/fixture_server.h"
#include "worker/engine.h"

namespace barrage {
namespace {

class CollectSink : public SampleSink {
 public:
  void OnSamples(std::vector<Sample>& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (Sample& s : batch) samples_.push_back(std::move(s));
  }
  std::vector<Sample> samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }

 private:
  std::mutex mu_;
  std::vector<Sample> samples_;
};

// --- plan building --------------------------------------------------------------------

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
std::string Bool(const std::string& name, bool v) {
  return "<boolProp name=\"" + name + "\">" + (v ? "true" : "false") + "</boolProp>";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
std::string Group(const std::string& name, int threads, int loops, const std::string& children,
                  const std::string& extra = "", double ramp = 0) {
  return El("ThreadGroup", name,
            Str("ThreadGroup.num_threads", std::to_string(threads)) +
                Str("ThreadGroup.ramp_time", std::to_string(static_cast<int>(ramp))) +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>" + extra,
            children);
}
std::string Http(const std::string& name, const std::string& path, const std::string& children = "",
                 const std::string& extra = "") {
  return El("HTTPSamplerProxy", name, Str("HTTPSampler.path", path) + extra, children);
}
std::string Defaults(int port) {
  return El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)));
}
std::string PlanXml(const std::string& body) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n"
         "<hashTree>\n" + body + "</hashTree></hashTree></jmeterTestPlan>\n";
}

class EngineRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  // Runs `body` (children of the Test Plan) and returns the samples in recording order.
  std::vector<Sample> Run(const std::string& body, int loops = 2, int64_t max_ms = 20000) {
    Result<HashTree> tree = ParseJmx(PlanXml(Defaults(server_->port()) + body), "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable())
        << (compiled_->plan.problems.empty() ? "unsupported" : compiled_->plan.problems[0].message);
    run_.test_plan_file = "t.jmx";
    EngineOptions options;
    options.event_loops = loops;
    options.max_duration_ms = max_ms;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    Status prepared = engine.Prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.message();
    Status ran = engine.Run();
    EXPECT_TRUE(ran.ok()) << ran.message();
    return sink_.samples();
  }

  // One thread's labels in recording order.
  static std::vector<std::string> LabelsOf(const std::vector<Sample>& samples, const std::string& thread) {
    std::vector<std::string> out;
    for (const Sample& s : samples) {
      if (s.thread_name == thread) out.push_back(s.label);
    }
    return out;
  }

  std::unique_ptr<fixture::FixtureServer> server_;
  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
  CollectSink sink_;
};

TEST_F(EngineRunTest, ThreadsLoopsAndSampleFields) {
  std::vector<Sample> samples = Run(Group("tg", 3, 2, Http("hello", "/hello.txt") + Http("missing", "/status/404")));
  ASSERT_EQ(samples.size(), 12u);
  EXPECT_EQ(server_->requests(), 12u);
  for (const Sample& s : samples) {
    if (s.label == "hello") {
      EXPECT_TRUE(s.success);
      EXPECT_EQ(s.response_code, "200");
      EXPECT_EQ(s.response_message, "OK");
      EXPECT_EQ(s.data_type, "text");
      EXPECT_GT(s.bytes, 100);  // headers + the 100-byte body
      EXPECT_EQ(s.url, server_->base_url() + "/hello.txt");
    } else {
      EXPECT_EQ(s.label, "missing");
      EXPECT_FALSE(s.success);
      EXPECT_EQ(s.response_code, "404");
      EXPECT_EQ(s.response_message, "Not Found");
      EXPECT_EQ(s.failure_message, "");
    }
    EXPECT_GE(s.elapsed_us, s.latency_us);
    EXPECT_GT(s.sent_bytes, 0);
    EXPECT_GT(s.timestamp_ms, 0);
  }
  for (const char* t : {"tg 1-1", "tg 1-2", "tg 1-3"}) {
    EXPECT_EQ(LabelsOf(samples, t), (std::vector<std::string>{"hello", "missing", "hello", "missing"})) << t;
  }
}

TEST_F(EngineRunTest, ConnectionIsReusedAfterTheFirstRequest) {
  std::vector<Sample> samples = Run(Group("tg", 1, 3, Http("a", "/hello.txt")));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(server_->connections(), 1u);
  EXPECT_GT(samples[0].connect_us, 0);
  EXPECT_EQ(samples[1].connect_us, 0);
  EXPECT_EQ(samples[2].connect_us, 0);
}

TEST_F(EngineRunTest, ConnectionRefusedIsAJavaConnectException) {
  std::string refused = El("HTTPSamplerProxy", "down",
                           Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "1") +
                               Str("HTTPSampler.path", "/"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, refused));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.ConnectException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Connection refused");
}

TEST_F(EngineRunTest, NestedControllersFollowJMeterOrder) {
  std::string loop = El("LoopController", "loop",
                        Str("LoopController.loops", "2") + Bool("LoopController.continue_forever", true),
                        Http("in-loop", "/hello.txt"));
  std::string once = El("OnceOnlyController", "once", "", Http("once", "/hello.txt"));
  std::string if_false = El("IfController", "never",
                            Str("IfController.condition", "${__jexl3(1 == 2)}") + Bool("IfController.useExpression", true),
                            Http("skipped", "/hello.txt"));
  std::string if_true = El("IfController", "always",
                           Str("IfController.condition", "true") + Bool("IfController.useExpression", true),
                           Http("taken", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 2, once + loop + if_false + if_true + Http("last", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"),
            (std::vector<std::string>{"once", "in-loop", "in-loop", "taken", "last",
                                      "in-loop", "in-loop", "taken", "last"}));
}

TEST_F(EngineRunTest, TransactionControllerRecordsItsSampleAfterTheChildren) {
  std::string tx = El("TransactionController", "tx", "",
                      Http("a", "/hello.txt") + Http("b", "/status/500"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, tx));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].label, "a");
  EXPECT_EQ(samples[1].label, "b");
  EXPECT_EQ(samples[2].label, "tx");
  EXPECT_EQ(samples[2].response_message, "Number of samples in transaction : 2, number of failing samples : 1");
  EXPECT_FALSE(samples[2].success);
  EXPECT_EQ(samples[2].bytes, samples[0].bytes + samples[1].bytes);
  EXPECT_EQ(samples[2].thread_name, "tg 1-1");
}

TEST_F(EngineRunTest, ParentTransactionRecordsOnlyTheParent) {
  std::string tx = El("TransactionController", "tx", Bool("TransactionController.parent", true),
                      Http("a", "/hello.txt") + Http("b", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, tx));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].label, "tx");
  EXPECT_TRUE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_EQ(samples[0].response_message, "Number of samples in transaction : 2, number of failing samples : 0");
}

TEST_F(EngineRunTest, StopThreadOnSampleError) {
  std::vector<Sample> samples =
      Run(Group("tg", 2, 5, Http("ok", "/hello.txt") + Http("bad", "/status/503") + Http("never", "/hello.txt"),
                Str("ThreadGroup.on_sample_error", "stopthread")));
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"ok", "bad"}));
  EXPECT_EQ(LabelsOf(samples, "tg 1-2"), (std::vector<std::string>{"ok", "bad"}));
}

TEST_F(EngineRunTest, StartNextLoopOnSampleError) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 3, Http("bad", "/status/500") + Http("skipped", "/hello.txt"),
                Str("ThreadGroup.on_sample_error", "startnextloop")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"bad", "bad", "bad"}));
}

TEST_F(EngineRunTest, HeaderManagersMergeInnerFirst) {
  std::string outer = El("HeaderManager", "outer",
                         "<collectionProp name=\"HeaderManager.headers\">"
                         "<elementProp name=\"\" elementType=\"Header\">" + Str("Header.name", "X-A") + Str("Header.value", "outer") +
                         "</elementProp><elementProp name=\"\" elementType=\"Header\">" + Str("Header.name", "X-B") +
                         Str("Header.value", "outer") + "</elementProp></collectionProp>");
  std::string inner = El("HeaderManager", "inner",
                         "<collectionProp name=\"HeaderManager.headers\"><elementProp name=\"\" elementType=\"Header\">" +
                             Str("Header.name", "X-A") + Str("Header.value", "inner") + "</elementProp></collectionProp>");
  std::string check = El("ResponseAssertion", "headers",
                         "<collectionProp name=\"Asserion.test_strings\">" + Str("1", "\"x-a\":\"inner\"") +
                             Str("2", "\"x-b\":\"outer\"") + "</collectionProp>" +
                             Str("Assertion.test_field", "Assertion.response_data") +
                             "<intProp name=\"Assertion.test_type\">16</intProp>");
  std::vector<Sample> samples = Run(outer + Group("tg", 1, 1, Http("echo", "/echo", inner + check)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
}

TEST_F(EngineRunTest, ExtractedVariableIsUsedByTheNextRequest) {
  std::string extract = El("RegexExtractor", "price",
                           Str("RegexExtractor.useHeaders", "false") + Str("RegexExtractor.refname", "price") +
                               Str("RegexExtractor.regex", "\"price\":([0-9.]+)") + Str("RegexExtractor.template", "$1$") +
                               Str("RegexExtractor.default", "NONE") + Str("RegexExtractor.match_number", "1"));
  // "URL Sampled" is Assertion.sample_label in JMeter's files.
  std::string url_check = El("ResponseAssertion", "url",
                             "<collectionProp name=\"Asserion.test_strings\">" + Str("1", "p=2.24") + "</collectionProp>" +
                                 Str("Assertion.test_field", "Assertion.sample_label") +
                                 "<intProp name=\"Assertion.test_type\">16</intProp>");
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Http("item", "/item?id=1", extract) + Http("echo", "/echo?p=${price}", url_check)));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[1].url, server_->base_url() + "/echo?p=2.24");
  EXPECT_TRUE(samples[1].success) << samples[1].failure_message;
}

TEST_F(EngineRunTest, CookieManagerKeepsCookiesPerUser) {
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", false));
  std::string check = El("ResponseAssertion", "has-cookie",
                         "<collectionProp name=\"Asserion.test_strings\">" + Str("1", "\"session\":\"${__threadNum}\"") +
                             "</collectionProp>" + Str("Assertion.test_field", "Assertion.response_data") +
                             "<intProp name=\"Assertion.test_type\">16</intProp>");
  std::vector<Sample> samples =
      Run(cookies + Group("tg", 2, 1, Http("set", "/cookies/set?session=${__threadNum}") + Http("get", "/cookies", check)));
  ASSERT_EQ(samples.size(), 4u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

TEST_F(EngineRunTest, SchedulerDurationEndsAnEndlessGroup) {
  std::string timer = El("ConstantTimer", "think", Str("ConstantTimer.delay", "50"));
  std::vector<Sample> samples =
      Run(Group("tg", 2, -1, Http("a", "/hello.txt", timer),
                Bool("ThreadGroup.scheduler", true) + Str("ThreadGroup.duration", "1")));
  // Two users pacing at 50 ms for 1 s: about 40 samples, never more than the pacing allows.
  EXPECT_GE(samples.size(), 20u);
  EXPECT_LE(samples.size(), 42u);
  int64_t first = samples.front().timestamp_ms, last = 0;
  for (const Sample& s : samples) {
    first = std::min(first, s.timestamp_ms);
    last = std::max(last, s.timestamp_ms);
  }
  EXPECT_LT(last - first, 1100);
}

TEST_F(EngineRunTest, RampUpSpreadsThreadStarts) {
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Http("a", "/hello.txt"), "", 1));
  ASSERT_EQ(samples.size(), 2u);
  std::map<std::string, int64_t> start;
  for (const Sample& s : samples) start[s.thread_name] = s.timestamp_ms;
  // Thread 2 starts round(1000 / 2) = 500 ms after thread 1.
  EXPECT_GE(start["tg 1-2"] - start["tg 1-1"], 480);
}

TEST_F(EngineRunTest, SetupAndTeardownGroupsRunBeforeAndAfter) {
  std::vector<Sample> samples =
      Run(El("PostThreadGroup", "down", Str("ThreadGroup.num_threads", "1") +
                 "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                 Str("LoopController.loops", "1") + "</elementProp>", Http("teardown", "/hello.txt")) +
          Group("main", 1, 1, Http("main", "/hello.txt")) +
          El("SetupThreadGroup", "up", Str("ThreadGroup.num_threads", "1") +
                 "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                 Str("LoopController.loops", "1") + "</elementProp>", Http("setup", "/hello.txt")));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].label, "setup");
  EXPECT_EQ(samples[0].thread_name, "up 1-1");
  EXPECT_EQ(samples[1].label, "main");
  EXPECT_EQ(samples[1].thread_name, "main 2-1");
  EXPECT_EQ(samples[2].label, "teardown");
  EXPECT_EQ(samples[2].thread_name, "down 3-1");
}

}  // namespace
}  // namespace barrage
