// The engine end to end: compiled plans run against the fixture server on loopback, with
// the recorded samples checked field by field.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/java_time_format.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/fixture/fixture_server.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/cookie_settings.h"
#include "worker/engine.h"

namespace barrage {
namespace {

using engine_test::Bool;
using engine_test::CollectSink;
using engine_test::El;
using engine_test::PlanXml;
using engine_test::Str;

// --- plan building --------------------------------------------------------------------

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

class EngineRunTest : public engine_test::EngineRunFixture {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  // Runs `body` (children of the Test Plan, after HTTP defaults pointing at the fixture) and
  // returns the samples in recording order.
  std::vector<Sample> Run(const std::string& body, int loops = 2, int64_t max_ms = 20000) {
    return EngineRunFixture::Run(Defaults(server_->port()) + body, loops, max_ms, stop_timeout_ms_);
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
  int64_t stop_timeout_ms_ = kDefaultGracefulStopTimeoutMs;
};

TEST_F(EngineRunTest, TheRunEndsWithoutWaitingForTheNextFlushAndHandsOverEverySample) {
  flush_interval_ms_ = 3'600'000;  // an hour: Run() returned only after it before
  std::vector<Sample> samples = Run(Group("tg", 2, 3, Http("hello", "/hello.txt")));
  EXPECT_EQ(samples.size(), 6u);
}

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
  std::string refused =
      El("HTTPSamplerProxy", "down",
         Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "1") + Str("HTTPSampler.path", "/"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, refused));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.ConnectException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Connection refused");
}

TEST_F(EngineRunTest, NestedControllersFollowJMeterOrder) {
  std::string loop =
      El("LoopController", "loop", Str("LoopController.loops", "2") + Bool("LoopController.continue_forever", true),
         Http("in-loop", "/hello.txt"));
  std::string once = El("OnceOnlyController", "once", "", Http("once", "/hello.txt"));
  std::string if_false =
      El("IfController", "never",
         Str("IfController.condition", "${__jexl3(1 == 2)}") + Bool("IfController.useExpression", true),
         Http("skipped", "/hello.txt"));
  std::string if_true =
      El("IfController", "always", Str("IfController.condition", "true") + Bool("IfController.useExpression", true),
         Http("taken", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 2, once + loop + if_false + if_true + Http("last", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"once", "in-loop", "in-loop", "taken", "last",
                                                                   "in-loop", "in-loop", "taken", "last"}));
}

TEST_F(EngineRunTest, TransactionControllerRecordsItsSampleAfterTheChildren) {
  std::string tx = El("TransactionController", "tx", "", Http("a", "/hello.txt") + Http("b", "/status/500"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, tx));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].label, "a");
  EXPECT_EQ(samples[1].label, "b");
  EXPECT_EQ(samples[2].label, "tx");
  EXPECT_EQ(samples[2].response_message, "Number of samples in transaction : 2, number of failing samples : 1");
  EXPECT_TRUE(samples[2].transaction);
  EXPECT_FALSE(samples[0].transaction);
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
  std::vector<Sample> samples = Run(Group("tg", 1, 3, Http("bad", "/status/500") + Http("skipped", "/hello.txt"),
                                          Str("ThreadGroup.on_sample_error", "startnextloop")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"bad", "bad", "bad"}));
}

TEST_F(EngineRunTest, HeaderManagersMergeInnerFirst) {
  std::string outer =
      El("HeaderManager", "outer",
         "<collectionProp name=\"HeaderManager.headers\">"
         "<elementProp name=\"\" elementType=\"Header\">" +
             Str("Header.name", "X-A") + Str("Header.value", "outer") +
             "</elementProp><elementProp name=\"\" elementType=\"Header\">" + Str("Header.name", "X-B") +
             Str("Header.value", "outer") + "</elementProp></collectionProp>");
  std::string inner =
      El("HeaderManager", "inner",
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

// One event loop reuses its request and result buffers for every sample: nothing of one
// sample (headers sent, headers received) may show in the next, whichever user sent it.
TEST_F(EngineRunTest, ReusedBuffersCarryNothingIntoTheNextSample) {
  auto header_manager = [](const std::string& name, const std::string& value) {
    return El("HeaderManager", "headers",
              "<collectionProp name=\"HeaderManager.headers\"><elementProp name=\"\" elementType=\"Header\">" +
                  Str("Header.name", name) + Str("Header.value", value) + "</elementProp></collectionProp>");
  };
  auto assertion = [](const std::string& field, int type, const std::string& text) {
    return El("ResponseAssertion", "check",
              "<collectionProp name=\"Asserion.test_strings\">" + Str("1", text) + "</collectionProp>" +
                  Str("Assertion.test_field", field) + "<intProp name=\"Assertion.test_type\">" + std::to_string(type) +
                  "</intProp>");
  };
  constexpr int kContains = 16 | 2, kNotContains = 16 | 4;
  std::string body =
      Http("with", "/echo",
           header_manager("X-Only-First", "yes") + assertion("Assertion.response_data", kContains, "x-only-first")) +
      Http("without", "/echo",
           assertion("Assertion.response_data", kNotContains, "x-only-first") +
               assertion("Assertion.response_headers", kContains, "application/json")) +
      Http("text", "/hello.txt", assertion("Assertion.response_headers", kNotContains, "application/json"));
  // Two users on one loop, three iterations each: every sample follows another one's.
  std::vector<Sample> samples =
      Run(Group("tg", 2, 1, El("LoopController", "three", Str("LoopController.loops", "3"), body)),
          /*loops=*/1);
  ASSERT_EQ(samples.size(), 18u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

TEST_F(EngineRunTest, ExtractedVariableIsUsedByTheNextRequest) {
  std::string extract =
      El("RegexExtractor", "price",
         Str("RegexExtractor.useHeaders", "false") + Str("RegexExtractor.refname", "price") +
             Str("RegexExtractor.regex", "\"price\":([0-9.]+)") + Str("RegexExtractor.template", "$1$") +
             Str("RegexExtractor.default", "NONE") + Str("RegexExtractor.match_number", "1"));
  // "URL Sampled" is Assertion.sample_label in JMeter's files.
  std::string url_check = El("ResponseAssertion", "url",
                             "<collectionProp name=\"Asserion.test_strings\">" + Str("1", "p=2.24") +
                                 "</collectionProp>" + Str("Assertion.test_field", "Assertion.sample_label") +
                                 "<intProp name=\"Assertion.test_type\">16</intProp>");
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Http("item", "/item?id=1", extract) + Http("echo", "/echo?p=${price}", url_check)));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[1].url, server_->base_url() + "/echo?p=2.24");
  EXPECT_TRUE(samples[1].success) << samples[1].failure_message;
}

TEST_F(EngineRunTest, CookieManagerKeepsCookiesPerUser) {
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", false));
  std::string check =
      El("ResponseAssertion", "has-cookie",
         "<collectionProp name=\"Asserion.test_strings\">" + Str("1", "\"session\":\"${__threadNum}\"") +
             "</collectionProp>" + Str("Assertion.test_field", "Assertion.response_data") +
             "<intProp name=\"Assertion.test_type\">16</intProp>");
  std::vector<Sample> samples = Run(
      cookies + Group("tg", 2, 1, Http("set", "/cookies/set?session=${__threadNum}") + Http("get", "/cookies", check)));
  ASSERT_EQ(samples.size(), 4u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

// Each request of a scheduled group has two deadlines (its response timeout, the group's end
// plus the stop timeout); they must not leave a timer queued per request (a run of millions
// of requests grew the loop's timer heap without bound).
TEST_F(EngineRunTest, RequestDeadlinesQueueAtMostTwoTimersPerUser) {
  stop_timeout_ms_ = 5000;
  std::vector<Sample> samples =
      Run(Group("tg", 2, -1, Http("a", "/hello.txt", "", Str("HTTPSampler.response_timeout", "10000")),
                Bool("ThreadGroup.scheduler", true) + Str("ThreadGroup.duration", "1")),
          /*loops=*/1);
  ASSERT_GE(samples.size(), 100u);  // many requests per user, each with both deadlines
  // Start timers fired; per user at most the watchdog pending and one it replaced.
  EXPECT_LE(pending_timers_, 4u);
}

TEST_F(EngineRunTest, SchedulerDurationEndsAnEndlessGroup) {
  std::string timer = El("ConstantTimer", "think", Str("ConstantTimer.delay", "50"));
  std::vector<Sample> samples = Run(Group("tg", 2, -1, Http("a", "/hello.txt", timer),
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
      Run(El("PostThreadGroup", "down",
             Str("ThreadGroup.num_threads", "1") +
                 "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                 Str("LoopController.loops", "1") + "</elementProp>",
             Http("teardown", "/hello.txt")) +
          Group("main", 1, 1, Http("main", "/hello.txt")) +
          El("SetupThreadGroup", "up",
             Str("ThreadGroup.num_threads", "1") +
                 "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                 Str("LoopController.loops", "1") + "</elementProp>",
             Http("setup", "/hello.txt")));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].label, "setup");
  EXPECT_EQ(samples[0].thread_name, "up 1-1");
  EXPECT_EQ(samples[1].label, "main");
  EXPECT_EQ(samples[1].thread_name, "main 1-1");
  EXPECT_EQ(samples[2].label, "teardown");
  EXPECT_EQ(samples[2].thread_name, "down 1-1");
}

std::string Contains(const std::string& name, const std::string& field, const std::string& text) {
  return El("ResponseAssertion", name,
            "<collectionProp name=\"Asserion.test_strings\">" + Str("1", text) + "</collectionProp>" +
                Str("Assertion.test_field", field) + "<intProp name=\"Assertion.test_type\">16</intProp>");
}

TEST_F(EngineRunTest, ForEachWalksExtractedValues) {
  std::string extract = El("RegexExtractor", "skus",
                           Str("RegexExtractor.refname", "sku") + Str("RegexExtractor.regex", "\"sku\": \"(x[0-9])\"") +
                               Str("RegexExtractor.template", "$1$") + Str("RegexExtractor.match_number", "-1"));
  std::string each = El("ForeachController", "each",
                        Str("ForeachController.inputVal", "sku") + Str("ForeachController.returnVal", "one") +
                            Bool("ForeachController.useSeparator", true),
                        Http("get ${one}", "/echo?sku=${one}"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, Http("data", "/data.json", extract) + each));
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[1].url, server_->base_url() + "/echo?sku=x1");
  EXPECT_EQ(samples[2].url, server_->base_url() + "/echo?sku=x2");
  EXPECT_EQ(samples[3].url, server_->base_url() + "/echo?sku=x3");
}

TEST_F(EngineRunTest, WhileLoopsUntilTheConditionIsFalse) {
  std::string counter = El("CounterConfig", "n",
                           Str("CounterConfig.start", "1") + Str("CounterConfig.incr", "1") +
                               Str("CounterConfig.name", "n") + Bool("CounterConfig.per_user", true));
  std::string body = El("GenericController", "body", "", counter + Http("req ${n}", "/echo?n=${n}"));
  std::string loop = El("WhileController", "while", Str("WhileController.condition", "${__jexl3(${n} &lt; 3)}"), body);
  std::string init =
      El("UserParameters", "init",
         "<collectionProp name=\"UserParameters.names\">" + Str("1", "n") +
             "</collectionProp>"
             "<collectionProp name=\"UserParameters.thread_values\"><collectionProp name=\"t\">" +
             Str("1", "0") + "</collectionProp></collectionProp>" + Bool("UserParameters.per_iteration", true));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, init + loop));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].url, server_->base_url() + "/echo?n=1");
  EXPECT_EQ(samples[2].url, server_->base_url() + "/echo?n=3");
}

TEST_F(EngineRunTest, InterleaveTakesOneChildPerPass) {
  std::string inter = El("InterleaveControl", "inter", "<intProp name=\"InterleaveControl.style\">1</intProp>",
                         Http("a", "/hello.txt") + Http("b", "/hello.txt") + Http("c", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 4, inter + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"),
            (std::vector<std::string>{"a", "after", "b", "after", "c", "after", "a", "after"}));
}

TEST_F(EngineRunTest, RandomControllerRunsExactlyOneChildPerPass) {
  std::string random =
      El("RandomController", "rnd", "", Http("a", "/hello.txt") + Http("b", "/hello.txt") + Http("c", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 10, random + Http("after", "/hello.txt")));
  std::vector<std::string> labels = LabelsOf(samples, "tg 1-1");
  ASSERT_EQ(labels.size(), 20u);
  for (size_t i = 0; i < labels.size(); i += 2) {
    EXPECT_TRUE(labels[i] == "a" || labels[i] == "b" || labels[i] == "c") << labels[i];
    EXPECT_EQ(labels[i + 1], "after");
  }
}

TEST_F(EngineRunTest, ThroughputControllerTotalExecutionsPerUser) {
  std::string tc =
      El("ThroughputController", "twice",
         "<intProp name=\"ThroughputController.style\">0</intProp>" + Bool("ThroughputController.perThread", true) +
             "<intProp name=\"ThroughputController.maxThroughput\">2</intProp>",
         Http("limited", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 5, tc + Http("always", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"),
            (std::vector<std::string>{"limited", "always", "limited", "always", "always", "always", "always"}));
}

TEST_F(EngineRunTest, ThroughputControllerPercentFollowsJMetersRounding) {
  std::string tc =
      El("ThroughputController", "half",
         "<intProp name=\"ThroughputController.style\">1</intProp>" + Bool("ThroughputController.perThread", true) +
             "<FloatProperty><name>ThroughputController.percentThroughput</name><value>50.0</value></FloatProperty>",
         Http("half", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 4, tc + Http("always", "/hello.txt")));
  // Runs when (100 * executions + 50) / iterations < 50: iterations 2 and 4.
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"),
            (std::vector<std::string>{"always", "half", "always", "always", "half", "always"}));
}

TEST_F(EngineRunTest, FlowControlGoToNextLoopSkipsTheRestOfTheIteration) {
  std::string next_loop = El("TestAction", "next", "<intProp name=\"ActionProcessor.action\">3</intProp>");
  std::string on_second = El(
      "IfController", "on-2nd",
      Str("IfController.condition", "${__jexl3(${__counter(TRUE,)} == 2)}") + Bool("IfController.useExpression", true),
      next_loop);
  std::vector<Sample> samples = Run(Group("tg", 1, 3, Http("a", "/hello.txt") + on_second + Http("b", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"a", "b", "a", "a", "b"}));
}

TEST_F(EngineRunTest, FlowControlStopThreadEndsTheUser) {
  std::string stop = El("TestAction", "stop", "<intProp name=\"ActionProcessor.action\">0</intProp>");
  std::vector<Sample> samples = Run(Group("tg", 2, 3, Http("a", "/hello.txt") + stop + Http("b", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(LabelsOf(samples, "tg 1-2"), (std::vector<std::string>{"a"}));
}

TEST_F(EngineRunTest, ConstantTimerPacesEachSample) {
  std::string timer = El("ConstantTimer", "t", Str("ConstantTimer.delay", "100"));
  std::vector<Sample> samples = Run(Group("tg", 1, 3, Http("a", "/hello.txt", timer)));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_GE(samples[1].timestamp_ms - samples[0].timestamp_ms, 100);
  EXPECT_GE(samples[2].timestamp_ms - samples[1].timestamp_ms, 100);
}

TEST_F(EngineRunTest, UserDefinedVariablesAndPropertiesReachRequests) {
  run_.properties.Set("env", "staging");
  std::string udv =
      El("Arguments", "vars",
         "<collectionProp name=\"Arguments.arguments\"><elementProp name=\"who\" elementType=\"Argument\">" +
             Str("Argument.name", "who") + Str("Argument.value", "${__P(env,dev)}-user") +
             "</elementProp></collectionProp>");
  std::vector<Sample> samples = Run(udv + Group("tg", 1, 1, Http("a", "/echo?who=${who}&n=${__threadNum}")));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].url, server_->base_url() + "/echo?who=staging-user&n=1");
}

TEST_F(EngineRunTest, CsvDataSetFeedsEachIteration) {
  std::string dir = ::testing::TempDir() + "engine_csv";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/users.csv");
    f << "user,pass\nalice,a1\nbob,b2\n";
  }
  run_.base_dir = dir;
  std::string csv = El("CSVDataSet", "users",
                       Str("filename", "users.csv") + Str("delimiter", ",") + Bool("recycle", false) +
                           Bool("stopThread", true) + Str("shareMode", "shareMode.all"));
  std::vector<Sample> samples = Run(Group("tg", 1, 5, csv + Http("login", "/echo?u=${user}&p=${pass}")));
  ASSERT_EQ(samples.size(), 2u);  // the third iteration hits end of file and stops the user
  EXPECT_EQ(samples[0].url, server_->base_url() + "/echo?u=alice&p=a1");
  EXPECT_EQ(samples[1].url, server_->base_url() + "/echo?u=bob&p=b2");
  std::filesystem::remove_all(dir);
}

TEST_F(EngineRunTest, PostFormAndRawBodies) {
  std::string form = El("HTTPSamplerProxy", "form",
                        Str("HTTPSampler.path", "/echo") + Str("HTTPSampler.method", "POST") +
                            "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp "
                            "name=\"Arguments.arguments\">"
                            "<elementProp name=\"q\" elementType=\"HTTPArgument\">" +
                            Bool("HTTPArgument.always_encode", true) + Str("Argument.name", "q") +
                            Str("Argument.value", "a b&c") + "</elementProp></collectionProp></elementProp>",
                        Contains("form-ok", "Assertion.response_data", "\"form\":{\"q\":\"a b&amp;c\"}"));
  std::string raw =
      El("HTTPSamplerProxy", "raw",
         Str("HTTPSampler.path", "/echo") + Str("HTTPSampler.method", "PUT") + Bool("HTTPSampler.postBodyRaw", true) +
             "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp "
             "name=\"Arguments.arguments\">"
             "<elementProp name=\"\" elementType=\"HTTPArgument\">" +
             Str("Argument.value", "{&quot;k&quot;:1}") + "</elementProp></collectionProp></elementProp>",
         Contains("raw-ok", "Assertion.response_data", "\"body\":\"{\\\"k\\\":1}\"") +
             Contains("method", "Assertion.response_data", "\"method\":\"PUT\""));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, form + raw));
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
  EXPECT_TRUE(samples[1].success) << samples[1].failure_message;
}

TEST_F(EngineRunTest, RedirectsAreFollowedToTheFinalUrl) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Http("r", "/redirect/2", "", Bool("HTTPSampler.follow_redirects", true))));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_EQ(samples[0].url, server_->base_url() + "/redirect/0");
  EXPECT_EQ(server_->requests(), 3u);
}

TEST_F(EngineRunTest, ResponseTimeoutIsASocketTimeout) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Http("slow", "/delay/2000", "", Str("HTTPSampler.response_timeout", "200"))));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.SocketTimeoutException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Read timed out");
  EXPECT_GE(samples[0].elapsed_us, 200000);
  EXPECT_LT(samples[0].elapsed_us, 1500000);
}

TEST_F(EngineRunTest, DroppedConnectionIsNoHttpResponse) {
  std::vector<Sample> samples = Run(Group("tg", 1, 1, Http("drop", "/drop")));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: org.apache.http.NoHttpResponseException");
  EXPECT_EQ(samples[0].response_message,
            "Non HTTP response message: 127.0.0.1:" + std::to_string(server_->port()) + " failed to respond");
}

// The server closes each kept-alive connection as the next request arrives on it (a reset
// before any response byte): that request is sent once more on a new connection, on the
// engine's own HTTP path (127.0.0.1) and on libcurl's (localhost) alike, and succeeds.
TEST_F(EngineRunTest, ARequestOnAConnectionTheServerClosedIsRetriedOnANewConnection) {
  for (const std::string domain : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(domain);
    server_->ResetStats();
    const size_t before = sink_.samples().size();
    std::vector<Sample> samples =
        Run(Group("tg", 1, 30, Http("q", "/close-quietly", "", Str("HTTPSampler.domain", domain))));
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(before));
    ASSERT_EQ(samples.size(), 30u);
    for (size_t i = 0; i < samples.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(samples[i].response_code, "200");
      EXPECT_EQ(samples[i].response_message, "OK");
      EXPECT_TRUE(samples[i].success);
      EXPECT_GT(samples[i].connect_us, 0);  // every request ended on a new connection
      EXPECT_GE(samples[i].elapsed_us, samples[i].latency_us);
      EXPECT_GE(samples[i].latency_us, samples[i].connect_us);
    }
    EXPECT_EQ(server_->requests("/close-quietly"), 30u);  // the reset attempts were never read
    EXPECT_EQ(server_->connections(), 30u);
  }
}

// A thread group's scheduler duration bounds its requests like a graceful stop: one still in
// flight the stop timeout after the group's end is aborted and recorded as an error.
TEST_F(EngineRunTest, ScheduledGroupAbortsATricklingRequestTheStopTimeoutAfterItsEnd) {
  stop_timeout_ms_ = 500;
  std::string scheduler = Bool("ThreadGroup.scheduler", true) + Str("ThreadGroup.duration", "1");
  for (const std::string domain : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(domain);
    const size_t before = sink_.samples().size();
    const auto start = std::chrono::steady_clock::now();
    const int64_t start_wall_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::vector<Sample> samples =
        Run(Group("tg", 1, -1, Http("slow", "/trickle/headers", "", Str("HTTPSampler.domain", domain)), scheduler));
    const auto took = std::chrono::steady_clock::now() - start;
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(before));
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.SocketException");
    EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Socket closed");
    EXPECT_FALSE(samples[0].success);
    // Aborted 1 s (the group's duration) + 0.5 s after the group began, which was just
    // before the request started: the sample ends no earlier than that (its start time is
    // in whole ms, hence the 1 ms).
    EXPECT_GE(samples[0].timestamp_ms * 1000 + samples[0].elapsed_us, (start_wall_ms + 1'500) * 1000 - 1000);
    EXPECT_GT(samples[0].elapsed_us, 1'400'000);
    EXPECT_GE(took, std::chrono::milliseconds(1'500));
    EXPECT_LT(took, std::chrono::milliseconds(2'500));
  }
}

TEST_F(EngineRunTest, GzipBodyIsDecodedWhenThePlanAcceptsIt) {
  std::string headers =
      El("HeaderManager", "h",
         "<collectionProp name=\"HeaderManager.headers\"><elementProp name=\"\" elementType=\"Header\">" +
             Str("Header.name", "Accept-Encoding") + Str("Header.value", "gzip, deflate") +
             "</elementProp></collectionProp>");
  std::vector<Sample> samples = Run(
      Group("tg", 1, 1,
            headers + Http("gz", "/gzip", Contains("decoded", "Assertion.response_data", "perf-anchor gzip body"))));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
}

// HTTPSampler.ipSource from the plan: an address binds the connection (the request
// succeeds from 127.0.0.2); an unknown interface fails the sample before anything is sent,
// with JMeter 2.13's UnknownHostException text.
TEST_F(EngineRunTest, SourceAddressOfTheHttpRequest) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1,
                Http("from-ip", "/hello.txt", "", Str("HTTPSampler.ipSource", "127.0.0.2")) +
                    Http("from-if", "/hello.txt", "",
                         Str("HTTPSampler.ipSource", "no-such-if9") + Str("HTTPSampler.ipSourceType", "2"))),
          1);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].label, "from-ip");
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_EQ(samples[1].response_code, "Non HTTP response code: java.net.UnknownHostException");
  EXPECT_EQ(samples[1].response_message, "Non HTTP response message: Cannot find interface no-such-if9");
  EXPECT_EQ(samples[1].sent_bytes, 0);
}

TEST_F(EngineRunTest, DebugSamplerShowsVariables) {
  std::string udv =
      El("Arguments", "vars",
         "<collectionProp name=\"Arguments.arguments\"><elementProp name=\"k\" elementType=\"Argument\">" +
             Str("Argument.name", "k") + Str("Argument.value", "v") + "</elementProp></collectionProp>");
  std::vector<Sample> samples = Run(
      udv + Group("tg", 1, 1, El("DebugSampler", "dbg", "", Contains("has-k", "Assertion.response_data", "\nk=v\n"))));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].label, "dbg");
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
}

// JMeterThread.initRun puts last_sample_ok=true before the first sample (golden:
// tests/jmeter_compat login_and_debug); each sample then sets it.
TEST_F(EngineRunTest, LastSampleOkIsTrueBeforeTheFirstSample) {
  auto has = [](const std::string& text) { return Contains("has", "Assertion.response_data", text); };
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1,
                El("DebugSampler", "first", "", has("\nJMeterThread.last_sample_ok=true\n")) +
                    El("DebugSampler", "fails", "", has("no such text")) +
                    El("DebugSampler", "after failure", "", has("\nJMeterThread.last_sample_ok=false\n"))));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
  EXPECT_FALSE(samples[1].success);
  EXPECT_TRUE(samples[2].success) << samples[2].failure_message;
}

TEST_F(EngineRunTest, DebugSamplerBodyEndsEachSectionWithAnEmptyLineAsJMeter) {
  run_.properties.Set("p", "1");
  std::vector<Sample> samples = Run(
      Group("tg", 1, 1,
            El("DebugSampler", "dbg", Bool("displayJMeterVariables", false) + Bool("displayJMeterProperties", true))));
  ASSERT_EQ(samples.size(), 1u);
  // Sorted by name: the four start-time properties (fixed widths: 13-digit ms, yyyyMMdd,
  // HHmmss), then p.
  const std::string body =
      "JMeterProperties:\nSTART.HMS=hhmmss\nSTART.MS=1234567890123\nSTART.YMD=yyyyMMdd\n"
      "TESTSTART.MS=1234567890123\np=1\n\n";
  EXPECT_EQ(samples[0].bytes, static_cast<int64_t>(body.size()));
}

// A sampler's name is a property like any other: JMeter evaluates a ${...} in it when the
// sampler runs, so each sample's label carries the values of that moment.
TEST_F(EngineRunTest, SamplerNamesWithVariablesAreEvaluatedAtEachSample) {
  std::vector<Sample> samples =
      Run(Group("tg", 2, 2, El("DebugSampler", "user ${__threadNum} pass ${__counter(TRUE,)}", "")));
  std::multiset<std::string> labels;
  for (const Sample& s : samples) labels.insert(s.label);
  EXPECT_EQ(labels, (std::multiset<std::string>{"user 1 pass 1", "user 1 pass 2", "user 2 pass 1", "user 2 pass 2"}));
}

// JMeter.start sets START.MS/YMD/HMS, the engine TESTSTART.MS; every user's variables start
// with them (JMeterVariables.preloadVariables).
TEST_F(EngineRunTest, StartTimesArePropertiesAndVariablesAsInJMeter) {
  const int64_t before = WallMillis();
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1,
                El("DebugSampler", "${START.MS} ${__P(TESTSTART.MS)} ${START.YMD}${START.HMS} ${__P(START.YMD)}", "")));
  const int64_t after = WallMillis();
  ASSERT_EQ(samples.size(), 1u);
  const std::string& label = samples[0].label;
  ASSERT_EQ(label.size(), 13u + 1 + 13 + 1 + 14 + 1 + 8) << label;
  const int64_t start_ms = std::stoll(label.substr(0, 13));
  EXPECT_GE(start_ms, before);
  EXPECT_LE(start_ms, after);
  EXPECT_EQ(label.substr(14, 13), label.substr(0, 13));
  const ZonedTime local = LocalZonedTime(start_ms);
  EXPECT_EQ(label.substr(28), DateTimePattern::Compile("yyyyMMddHHmmss").value().Format(local) + " " +
                                  DateTimePattern::Compile("yyyyMMdd").value().Format(local));
}

// __StringFromFile with a file sequence: after the last file the function throws
// JMeterStopThreadException, which JMeter 2.13's HTTP sampler records as a failed sample
// without a label (the name threw), and the thread goes on.
TEST_F(EngineRunTest, StringFromFileSequenceEndIsAFailedSampleInAnHttpSampler) {
  std::string dir = ::testing::TempDir() + "engine_string_from_file";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/part1.txt") << "a\nb\n";
  std::ofstream(dir + "/part2.txt") << "c\n";
  run_.base_dir = dir;
  std::vector<Sample> samples = Run(Group("tg", 1, 5, Http("${__StringFromFile(part#'.txt',line,1,2)}", "/echo")));
  ASSERT_EQ(samples.size(), 5u);
  std::vector<std::string> labels;
  for (const Sample& s : samples) labels.push_back(s.label + "/" + s.response_code);
  EXPECT_EQ(labels,
            (std::vector<std::string>{"a/200", "b/200", "c/200",
                                      "/Non HTTP response code: org.apache.jorphan.util.JMeterStopThreadException",
                                      "/Non HTTP response code: org.apache.jorphan.util.JMeterStopThreadException"}));
  EXPECT_EQ(samples[3].response_message, "Non HTTP response message: End of sequence");
  EXPECT_FALSE(samples[4].success);
}

TEST_F(EngineRunTest, MultipartPostSendsFieldsAndFiles) {
  std::string dir = ::testing::TempDir() + "engine_upload";
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/report.txt");
    f << "uploaded-content";
  }
  run_.base_dir = dir;
  std::string upload = El(
      "HTTPSamplerProxy", "upload",
      Str("HTTPSampler.path", "/echo") + Str("HTTPSampler.method", "POST") +
          Bool("HTTPSampler.DO_MULTIPART_POST", true) +
          "<elementProp name=\"HTTPsampler.Files\" elementType=\"HTTPFileArgs\"><collectionProp "
          "name=\"HTTPFileArgs.files\">"
          "<elementProp name=\"report.txt\" elementType=\"HTTPFileArg\">" +
          Str("File.path", "report.txt") + Str("File.paramname", "doc") + Str("File.mimetype", "text/plain") +
          "</elementProp></collectionProp></elementProp>"
          "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp "
          "name=\"Arguments.arguments\">"
          "<elementProp name=\"title\" elementType=\"HTTPArgument\">" +
          Str("Argument.name", "title") + Str("Argument.value", "Q3") + "</elementProp></collectionProp></elementProp>",
      Contains("file", "Assertion.response_data", "uploaded-content") +
          Contains("field", "Assertion.response_data", "Q3") +
          Contains("type", "Assertion.response_data", "multipart/form-data; boundary="));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, upload));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(samples[0].success) << samples[0].failure_message;
  std::filesystem::remove_all(dir);
}

TEST(RampUpTest, OffsetsFollowJMetersFloatFormula) {
  EXPECT_EQ(RampUpOffsetMs(0, 1000, 7), 0);
  EXPECT_EQ(RampUpOffsetMs(1, 1000, 7), 142);
  EXPECT_EQ(RampUpOffsetMs(2, 1000, 7), 285);
  EXPECT_EQ(RampUpOffsetMs(9999, 1000, 10000), 999);  // spread over the ramp, not all at 0
  EXPECT_EQ(RampUpOffsetMs(3, 0, 5), 0);
  EXPECT_EQ(RampUpOffsetMs(1, 1000, 0), 0);
}

// --- helper Q: HTTPS, shared Throughput Controllers, request charsets -------------------

std::string Https(const std::string& name, const std::string& path) {
  return Http(name, path, "", Str("HTTPSampler.protocol", "https"));
}

TEST_F(EngineRunTest, HttpsSampleHasTheSameFieldsAsHttpAndReusesItsConnection) {
  std::vector<Sample> samples = Run(
      Group("tg", 1, 1, Http("plain", "/hello.txt") + Https("tls", "/hello.txt") + Https("tls again", "/hello.txt")));
  ASSERT_EQ(samples.size(), 3u);
  const Sample& plain = samples[0];
  for (const Sample* s : {&samples[1], &samples[2]}) {
    EXPECT_TRUE(s->success) << s->response_code;
    EXPECT_EQ(s->response_code, "200");
    EXPECT_EQ(s->response_message, "OK");
    EXPECT_EQ(s->url, server_->https_base_url() + "/hello.txt");
    // TLS is below HTTP: the same request and response bytes as over plain HTTP.
    EXPECT_EQ(s->bytes, plain.bytes);
    EXPECT_EQ(s->sent_bytes, plain.sent_bytes);
    EXPECT_GE(s->elapsed_us, s->latency_us);
  }
  EXPECT_GT(samples[1].connect_us, 0);  // TCP connect + TLS handshake
  EXPECT_EQ(samples[2].connect_us, 0);  // kept alive
  EXPECT_EQ(server_->requests("/hello.txt"), 3u);
  EXPECT_EQ(server_->connections(), 2u);  // one plain, one TLS
}

TEST_F(EngineRunTest, HttpsAcceptsASelfSignedCertificateForAnyHostName) {
  // The fixture's certificate is self-signed and names localhost/127.0.0.1 only; JMeter
  // neither checks the chain nor the host name.
  auto other = fixture::FixtureServer::Start({.bind_address = "127.0.0.2"});
  ASSERT_TRUE(other.ok()) << other.status().message();
  std::string url = "https://127.0.0.2:" + std::to_string((*other)->port()) + "/hello.txt";
  std::vector<Sample> samples = Run(Group("tg", 1, 1, Http("full url", url)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "200") << samples[0].response_message;
  EXPECT_EQ(samples[0].url, url);
  EXPECT_EQ((*other)->requests("/hello.txt"), 1u);
}

TEST_F(EngineRunTest, HttpRequestDefaultsProtocolHttpsIsMerged) {
  std::string https_defaults = El("ConfigTestElement", "tls defaults", Str("HTTPSampler.protocol", "https"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, https_defaults + Http("merged", "/echo")));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_EQ(samples[0].url, server_->https_base_url() + "/echo");
}

TEST_F(EngineRunTest, HttpsToAClosedPortIsAJavaConnectException) {
  std::string refused = El("HTTPSamplerProxy", "down",
                           Str("HTTPSampler.protocol", "https") + Str("HTTPSampler.domain", "127.0.0.1") +
                               Str("HTTPSampler.port", "1") + Str("HTTPSampler.path", "/"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, refused));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.ConnectException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Connection refused");
  EXPECT_EQ(samples[0].url, "https://127.0.0.1:1/");
}

std::string SharedThroughput(const std::string& name, bool by_percent, const std::string& limit,
                             const std::string& children) {
  std::string limit_prop = by_percent ? "<FloatProperty><name>ThroughputController.percentThroughput</name><value>" +
                                            limit + "</value></FloatProperty>"
                                      : "<intProp name=\"ThroughputController.maxThroughput\">" + limit + "</intProp>";
  return El("ThroughputController", name,
            "<intProp name=\"ThroughputController.style\">" + std::string(by_percent ? "1" : "0") + "</intProp>" +
                Bool("ThroughputController.perThread", false) + limit_prop,
            children);
}

std::string Debug(const std::string& name) { return El("DebugSampler", name, Bool("displayJMeterVariables", false)); }

int64_t CountLabel(const std::vector<Sample>& samples, const std::string& label) {
  return std::count_if(samples.begin(), samples.end(), [&](const Sample& s) { return s.label == label; });
}

TEST_F(EngineRunTest, SharedThroughputTotalCountsAcrossAllUsers) {
  // 3 users x 4 iterations; per user it would run 3 x 4 times.
  std::vector<Sample> samples = Run(Group(
      "tg", 3, 4, SharedThroughput("five", false, "5", Http("limited", "/hello.txt")) + Http("always", "/hello.txt")));
  EXPECT_EQ(CountLabel(samples, "limited"), 5);
  EXPECT_EQ(CountLabel(samples, "always"), 12);
  EXPECT_EQ(server_->requests("/hello.txt"), 17u);
}

TEST_F(EngineRunTest, SharedThroughputPercentCountsIterationsOfAllUsers) {
  // 4 users x 5 iterations = 20 shared iterations at 25 %: JMeter's rule
  // (100 * executions + 50) / (iteration + 1) < 25 runs iterations 2, 6, 10, 14 and 18.
  std::vector<Sample> samples = Run(
      Group("tg", 4, 5,
            SharedThroughput("quarter", true, "25.0", Http("limited", "/hello.txt")) + Http("always", "/hello.txt")));
  EXPECT_EQ(CountLabel(samples, "limited"), 5);
  EXPECT_EQ(CountLabel(samples, "always"), 20);
}

TEST_F(EngineRunTest, SharedThroughputCountsAreExactWithManyUsersOnSeveralEventLoops) {
  // 20 users x 100 iterations on 4 event-loop threads, Debug Samplers only, so the users
  // race for the counters: exactly 700 total executions, and 30 % of 2,000 iterations = 600.
  std::string body = SharedThroughput("total", false, "700", Debug("by total")) +
                     SharedThroughput("percent", true, "30.0", Debug("by percent")) + Debug("always");
  std::vector<Sample> samples = Run(Group("tg", 20, 100, body), /*loops=*/4);
  EXPECT_EQ(CountLabel(samples, "always"), 2000);
  EXPECT_EQ(CountLabel(samples, "by total"), 700);
  EXPECT_EQ(CountLabel(samples, "by percent"), 600);
}

TEST_F(EngineRunTest, SharedThroughputCountersAreSeparatePerController) {
  std::string body = SharedThroughput("a", false, "2", Http("a", "/hello.txt")) +
                     SharedThroughput("b", false, "3", Http("b", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 2, 5, body));
  EXPECT_EQ(CountLabel(samples, "a"), 2);
  EXPECT_EQ(CountLabel(samples, "b"), 3);
}

// A request to the fixture's /raw-echo whose answer must equal `expected` (JMeter's Equals
// assertion: the failure message shows what was sent otherwise).
std::string RawEcho(const std::string& name, const std::string& method, const std::string& charset,
                    const std::string& arguments, const std::string& expected, const std::string& extra = "") {
  return El("HTTPSamplerProxy", name,
            Str("HTTPSampler.path", "/raw-echo") + Str("HTTPSampler.method", method) +
                Str("HTTPSampler.contentEncoding", charset) + extra +
                "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp "
                "name=\"Arguments.arguments\">" +
                arguments + "</collectionProp></elementProp>",
            El("ResponseAssertion", "sent",
               "<collectionProp name=\"Asserion.test_strings\">" + Str("1", expected) + "</collectionProp>" +
                   Str("Assertion.test_field", "Assertion.response_data") +
                   "<intProp name=\"Assertion.test_type\">8</intProp>"));
}

std::string Param(const std::string& name, const std::string& value, bool encode) {
  return "<elementProp name=\"" + name + "\" elementType=\"HTTPArgument\">" +
         Bool("HTTPArgument.always_encode", encode) + Str("Argument.name", name) + Str("Argument.value", value) +
         "</elementProp>";
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Echoed(const std::string& line, const std::string& content_type = "", const std::string& body_hex = "") {
  return line + "&#10;content-type: " + content_type + "&#10;body-hex: " + body_hex + "&#10;";
}

TEST_F(EngineRunTest, QueryValuesAreEncodedInTheRequestCharsetAndNamesInUtf8) {
  std::vector<Sample> samples = Run(Group(
      "tg", 1, 1,
      RawEcho("default", "GET", "", Param("q", "caf\xC3\xA9 \xE2\x9C\x93", true),
              Echoed("GET /raw-echo?q=caf%C3%A9+%E2%9C%93")) +
          RawEcho("latin1", "GET", "ISO-8859-1", Param("\xC3\xBC", "caf\xC3\xA9 \xE2\x9C\x93", true),
                  Echoed("GET /raw-echo?%C3%BC=caf%E9+%3F")) +
          RawEcho("cp1252", "GET", "windows-1252", Param("q", "\xE2\x82\xAC", true), Echoed("GET /raw-echo?q=%80"))));
  ASSERT_EQ(samples.size(), 3u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
  EXPECT_EQ(samples[1].url, server_->base_url() + "/raw-echo?%C3%BC=caf%E9+%3F");
}

TEST_F(EngineRunTest, PostFormDecodesPlainValuesThenEncodesInTheRequestCharset) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1,
                RawEcho("utf-8", "POST", "", Param("a b", "x+y%41 z", false) + Param("e", "\xC3\xA9", true),
                        Echoed("POST /raw-echo", "application/x-www-form-urlencoded", Hex("a+b=x+yA+z&e=%C3%A9"))) +
                    RawEcho("latin1", "POST", "ISO-8859-1", Param("q", "%E9", false) + Param("e", "\xC3\xA9", true),
                            Echoed("POST /raw-echo", "application/x-www-form-urlencoded", Hex("q=%E9&e=%E9")))));
  ASSERT_EQ(samples.size(), 2u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

TEST_F(EngineRunTest, RawBodiesUseTheRequestCharsetOrIso88591) {
  std::string raw = Bool("HTTPSampler.postBodyRaw", true);
  std::string body = Param("", "caf\xC3\xA9 \xE2\x9C\x93", false);
  std::vector<Sample> samples = Run(Group(
      "tg", 1, 1,
      RawEcho("post default", "POST", "", body,
              Echoed("POST /raw-echo", "application/x-www-form-urlencoded", Hex("caf\xE9 ?")), raw) +
          RawEcho("post utf-8", "POST", "UTF-8", body,
                  Echoed("POST /raw-echo", "application/x-www-form-urlencoded", Hex("caf\xC3\xA9 \xE2\x9C\x93")), raw) +
          RawEcho("put default", "PUT", "", body,
                  Echoed("PUT /raw-echo", "text/plain; charset=ISO-8859-1", Hex("caf\xE9 ?")), raw) +
          RawEcho("put utf-8", "PUT", "utf-8", body,
                  Echoed("PUT /raw-echo", "text/plain; charset=UTF-8", Hex("caf\xC3\xA9 \xE2\x9C\x93")), raw)));
  ASSERT_EQ(samples.size(), 4u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

TEST_F(EngineRunTest, ParametersOfOtherMethodsAsJMeter213SendsThem) {
  std::vector<Sample> samples = Run(
      Group("tg", 1, 1,
            RawEcho("put named", "PUT", "", Param("a", "1", true), Echoed("PUT /raw-echo")) +
                RawEcho("delete named", "DELETE", "", Param("a", "1", true), Echoed("DELETE /raw-echo?a=1")) +
                RawEcho("delete none", "DELETE", "", "", Echoed("DELETE /raw-echo", "text/plain; charset=ISO-8859-1")) +
                RawEcho("options named", "OPTIONS", "", Param("a", "1", true), Echoed("OPTIONS /raw-echo")) +
                RawEcho("post none", "POST", "", "", Echoed("POST /raw-echo", "application/x-www-form-urlencoded"))));
  ASSERT_EQ(samples.size(), 5u);
  for (const Sample& s : samples) EXPECT_TRUE(s.success) << s.label << ": " << s.failure_message;
}

TEST_F(EngineRunTest, UnknownRequestCharsetFailsThePostWithItsUrl) {
  std::vector<Sample> samples = Run(Group("tg", 1, 1, RawEcho("bogus", "POST", "bogus", Param("q", "x", true), "")));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.nio.charset.UnsupportedCharsetException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: bogus");
  EXPECT_EQ(samples[0].url, server_->base_url() + "/raw-echo");
  EXPECT_EQ(server_->requests("/raw-echo"), 0u);
}

// ---- Transaction Controller time and Cookie Manager scope (issue 10 item 7) ----

// Two samplers, each under a `delay_ms` Constant Timer, in a parent-mode transaction.
std::string TimedParentTransaction(const std::string& include_timers_prop, int delay_ms) {
  std::string timer = El("ConstantTimer", "t", Str("ConstantTimer.delay", std::to_string(delay_ms)));
  return El("TransactionController", "tx", Bool("TransactionController.parent", true) + include_timers_prop,
            Http("a", "/hello.txt", timer) + Http("b", "/hello.txt", timer));
}

TEST_F(EngineRunTest, ParentTransactionSpansTimersWhenThePropertyIsAbsent) {
  std::vector<Sample> samples = Run(Group("tg", 1, 1, TimedParentTransaction("", 200)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].label, "tx");
  EXPECT_GE(samples[0].elapsed_us, 400000);  // both 200 ms timers
  EXPECT_LT(samples[0].elapsed_us, 2000000);
  EXPECT_EQ(samples[0].idle_us, 0);
}

TEST_F(EngineRunTest, ParentTransactionWithoutTimersCountsOnlyTheChildren) {
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, TimedParentTransaction(Bool("TransactionController.includeTimers", false), 200)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_LT(samples[0].elapsed_us, 200000);  // two local requests, no timer
  EXPECT_GE(samples[0].elapsed_us + samples[0].idle_us, 400000);
}

TEST_F(EngineRunTest, ParentTransactionIsCheckedByTheAssertionsInItsScope) {
  std::string at_most_300 = El("DurationAssertion", "d", Str("DurationAssertion.duration", "300"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, at_most_300 + TimedParentTransaction("", 200)));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].success);
  EXPECT_EQ(samples[0].response_code, "200");
  EXPECT_EQ(samples[0].failure_message.rfind("The operation lasted too long: It took ", 0), 0u)
      << samples[0].failure_message;
}

TEST_F(EngineRunTest, NonParentTransactionIsNotAsserted) {
  std::string at_most_300 = El("DurationAssertion", "d", Str("DurationAssertion.duration", "300"));
  std::string timer = El("ConstantTimer", "t", Str("ConstantTimer.delay", "200"));
  std::string tx =
      El("TransactionController", "tx", "", Http("a", "/hello.txt", timer) + Http("b", "/hello.txt", timer));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, at_most_300 + tx));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[2].label, "tx");
  EXPECT_GE(samples[2].elapsed_us, 400000);
  EXPECT_TRUE(samples[2].success) << samples[2].failure_message;
}

TEST_F(EngineRunTest, CookieManagerOfOneGroupDoesNotServeAnother) {
  std::string login = Http("set", "/cookies/set?session=s") + Http("home", "/home");
  std::string setup = El("SetupThreadGroup", "up",
                         Str("ThreadGroup.num_threads", "1") +
                             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                             Str("LoopController.loops", "1") + "</elementProp>",
                         login);
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", false));
  std::vector<Sample> samples = Run(setup + Group("with", 1, 1, cookies + login) + Group("without", 1, 1, login));
  ASSERT_EQ(samples.size(), 6u);
  std::map<std::string, std::string> home_code;
  for (const Sample& s : samples) {
    if (s.label == "home") home_code[s.thread_name] = s.response_code;
  }
  EXPECT_EQ(home_code,
            (std::map<std::string, std::string>{{"up 1-1", "401"}, {"with 1-1", "200"}, {"without 2-1", "401"}}));
}

TEST_F(EngineRunTest, CookieManagerUnderTheTestPlanServesEveryGroup) {
  std::string login = Http("set", "/cookies/set?session=s") + Http("home", "/home");
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", false));
  std::vector<Sample> samples = Run(cookies + Group("one", 1, 1, login) + Group("two", 1, 1, login));
  ASSERT_EQ(samples.size(), 4u);
  for (const Sample& s : samples) EXPECT_EQ(s.response_code, "200") << s.thread_name << " " << s.label;
}

// barrage.cookies.fastpath=true (the default): the users' cookies live in the fast path's jar
// (worker/cookie_jar.h); the same plan behaves as on libcurl's engine (=false).
class CookieStoreRunTest : public EngineRunTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CookieStoreRunTest, KeepsCookiesPerUserAndClearsThem) {
  if (GetParam()[0] != '\0') run_.properties.Set("barrage.cookies.fastpath", GetParam());
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", true));
  // The first iteration logs in; the second finds its cookies cleared.
  std::string login = El(
      "IfController", "first",
      Str("IfController.condition", "${__jexl3(${__counter(TRUE,)} == 1)}") + Bool("IfController.useExpression", true),
      Http("set", "/cookies/set?session=${__threadNum}"));
  std::vector<Sample> samples = Run(cookies + Group("tg", 2, 2, login + Http("home", "/home")));
  std::map<std::string, std::vector<std::string>> home;
  for (const Sample& s : samples) {
    if (s.label == "home") home[s.thread_name].push_back(s.response_code);
  }
  EXPECT_EQ(home,
            (std::map<std::string, std::vector<std::string>>{{"tg 1-1", {"200", "401"}}, {"tg 1-2", {"200", "401"}}}));
}

INSTANTIATE_TEST_SUITE_P(JarByDefaultOrLibcurl, CookieStoreRunTest, ::testing::Values("", "true", "false"));

// CookieManager.save.cookies=true: each cookie a response stores puts COOKIE_<name> (JMeter's
// CookieManager.add); a deletion or an empty value leaves it as it was. The URLs show what
// the next samplers saw, on the jar (fast path), on libcurl's engine and (suite
// engine_run_test_libcurl) on the jar with every request through libcurl.
TEST_P(CookieStoreRunTest, SavesCookiesAsVariables) {
  if (GetParam()[0] != '\0') run_.properties.Set("barrage.cookies.fastpath", GetParam());
  run_.properties.Set("CookieManager.save.cookies", "true");
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", true));
  std::vector<Sample> samples =
      Run(cookies +
          Group("tg", 1, 1,
                Http("set", "/cookies/set?sess=abc&other=x") +
                    Http("seen", "/echo?s=${COOKIE_sess}&o=${COOKIE_other}") + Http("delete", "/cookies/delete?sess") +
                    Http("after-delete", "/echo?s=${COOKIE_sess}") + Http("empty", "/cookies/set?other=&sess=new") +
                    Http("after-empty", "/echo?s=${COOKIE_sess}&o=${COOKIE_other}")));
  std::vector<std::string> urls;
  for (const Sample& s : samples) urls.push_back(s.url.substr(s.url.find('/', 8)));
  EXPECT_EQ(urls, (std::vector<std::string>{"/cookies/set?sess=abc&other=x", "/echo?s=abc&o=x", "/cookies/delete?sess",
                                            "/echo?s=abc", "/cookies/set?other=&sess=new", "/echo?s=new&o=x"}));
}

TEST_F(EngineRunTest, CookieVariablesTakeThePrefixPropertyAndNeedSaveCookies) {
  run_.properties.Set("CookieManager.save.cookies", "1");
  run_.properties.Set("CookieManager.name.prefix", " C_ ");
  std::string cookies = El("CookieManager", "cookies", Bool("CookieManager.clearEachIteration", true));
  std::vector<Sample> samples = Run(
      cookies + Group("tg", 1, 1,
                      Http("set", "/cookies/set?sess=abc") + Http("seen", "/echo?p=${C_sess}&d=${__V(COOKIE_sess)}")));
  ASSERT_EQ(samples.size(), 2u);
  std::string url = samples[1].url.substr(samples[1].url.find('/', 8));
  EXPECT_EQ(url, "/echo?p=abc&d=COOKIE_sess");  // __V of a variable not set: its name
}

TEST(CookieJarPropertyTest, ABadValueStopsTheRunBeforeItStarts) {
  Result<HashTree> tree = ParseJmx(engine_test::PlanXml(Group("G", 1, 1, "")), "t.jmx");
  ASSERT_TRUE(tree.ok());
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  RunContext run;
  run.properties.Set("barrage.cookies.fastpath", "yes");
  engine_test::CollectSink sink;
  Engine engine(compiled.plan, &run, EngineOptions{}, &sink);
  Status prepared = engine.Prepare();
  EXPECT_EQ(prepared.message(), "property barrage.cookies.fastpath: 'yes' is not true or false");
}

TEST(CookieSettingsTest, DefaultsAndValuesAsJMeterReadsThem) {
  Properties none;
  Result<CookieSettings> d = CookieSettingsFromProperties(none);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->jar);  // the jar and the fast path by default
  EXPECT_FALSE(d->save_cookies);
  EXPECT_EQ(d->variable_prefix, "COOKIE_");
  EXPECT_TRUE(d->delete_null_cookies);

  Properties p;
  p.Set("barrage.cookies.fastpath", " False ");
  p.Set("CookieManager.save.cookies", " T ");
  p.Set("CookieManager.name.prefix", " C_ ");
  p.Set("CookieManager.delete_null_cookies", "0");
  Result<CookieSettings> s = CookieSettingsFromProperties(p);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->jar);
  EXPECT_TRUE(s->save_cookies);
  EXPECT_EQ(s->variable_prefix, "C_");
  EXPECT_FALSE(s->delete_null_cookies);

  // JMeterUtils.getPropDefault(name, boolean): true/t/false/f, else an int == 1, else the default.
  EXPECT_TRUE(JMeterBooleanProperty(std::string("1"), false));
  EXPECT_TRUE(JMeterBooleanProperty(std::string("+01"), false));
  EXPECT_FALSE(JMeterBooleanProperty(std::string("2"), true));
  EXPECT_FALSE(JMeterBooleanProperty(std::string("f"), true));
  EXPECT_TRUE(JMeterBooleanProperty(std::string("yes"), true));
  EXPECT_FALSE(JMeterBooleanProperty(std::string("yes"), false));
  EXPECT_FALSE(JMeterBooleanProperty(std::string("99999999999"), false));
  EXPECT_TRUE(JMeterBooleanProperty(std::nullopt, true));
}

// ---- Switch, Random Order, Critical Section, Result Status Action Handler (issue 10) ----

TEST_F(EngineRunTest, SwitchRunsTheSelectedChildOnly) {
  std::string block = El("GenericController", "c", "", Http("c1", "/hello.txt") + Http("c2", "/hello.txt"));
  std::string sw = El("SwitchController", "sw", Str("SwitchController.value", "${__threadNum}"),
                      Http("a", "/hello.txt") + Http("b", "/hello.txt") + block);
  std::vector<Sample> samples = Run(Group("tg", 2, 2, sw + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"b", "after", "b", "after"}));
  EXPECT_EQ(LabelsOf(samples, "tg 1-2"), (std::vector<std::string>{"c1", "c2", "after", "c1", "c2", "after"}));
}

TEST_F(EngineRunTest, SwitchWithoutMatchRunsNothing) {
  std::string sw = El("SwitchController", "sw", Str("SwitchController.value", "nope"),
                      Http("a", "/hello.txt") + Http("b", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 2, sw + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"after", "after"}));
}

TEST_F(EngineRunTest, RandomOrderRunsEachChildOncePerPass) {
  std::string ro = El("RandomOrderController", "ro", "",
                      Http("a", "/hello.txt") + Http("b", "/hello.txt") + Http("c", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 20, ro + Http("end", "/hello.txt")));
  std::vector<std::string> labels = LabelsOf(samples, "tg 1-1");
  ASSERT_EQ(labels.size(), 80u);
  std::set<std::string> orders;
  for (size_t pass = 0; pass < 20; ++pass) {
    std::vector<std::string> got(labels.begin() + static_cast<long>(pass * 4),
                                 labels.begin() + static_cast<long>(pass * 4 + 3));
    EXPECT_EQ(labels[pass * 4 + 3], "end");
    orders.insert(got[0] + got[1] + got[2]);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
  }
  EXPECT_GT(orders.size(), 1u);  // 20 passes in one order: (1/6)^19
}

TEST_F(EngineRunTest, CriticalSectionRunsOneUserAtATimeAcrossLoops) {
  std::string cs = El("CriticalSectionController", "cs", Str("CriticalSectionController.lockName", "L"),
                      Http("in-1", "/delay/30") + Http("in-2", "/delay/30"));
  std::vector<Sample> samples = Run(Group("tg", 4, 2, cs + Http("out", "/hello.txt")), /*loops=*/2);
  ASSERT_EQ(samples.size(), 24u);
  // Per user, the span from in-1's start to in-2's end; no two spans overlap.
  std::vector<std::pair<int64_t, int64_t>> spans;
  std::map<std::string, int64_t> start;
  for (const Sample& s : samples) {
    if (s.label == "in-1") start[s.thread_name] = s.timestamp_ms * 1000;
    if (s.label == "in-2") spans.emplace_back(start[s.thread_name], s.timestamp_ms * 1000 + s.elapsed_us);
  }
  ASSERT_EQ(spans.size(), 8u);
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) EXPECT_GE(spans[i].first + 1000, spans[i - 1].second) << i;
}

TEST_F(EngineRunTest, CriticalSectionIsReleasedWhenItsUserStops) {
  // "first" fails inside the section and stops (Result Status Action Handler) while holding
  // the lock; "second" asks for it later and must get it.
  std::string stop = El("ResultAction", "stop", "<intProp name=\"OnError.action\">1</intProp>");
  std::string first = El("CriticalSectionController", "cs1", Str("CriticalSectionController.lockName", "L"),
                         Http("bad", "/status/500", stop) + Http("never", "/hello.txt"));
  std::string second =
      El("CriticalSectionController", "cs2", Str("CriticalSectionController.lockName", "L"), Http("in", "/hello.txt"));
  std::vector<Sample> samples =
      Run(Group("first", 1, 1, first) + Group("second", 1, 1, Http("before", "/delay/50") + second));
  EXPECT_EQ(LabelsOf(samples, "first 1-1"), (std::vector<std::string>{"bad"}));
  EXPECT_EQ(LabelsOf(samples, "second 2-1"), (std::vector<std::string>{"before", "in"}));
}

TEST_F(EngineRunTest, ResultActionStartsTheNextThreadLoop) {
  std::string next = El("ResultAction", "next", "<intProp name=\"OnError.action\">4</intProp>");
  std::string block =
      El("GenericController", "block", "", next + Http("bad", "/status/500") + Http("skipped", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 2, block + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"bad", "bad"}));
}

TEST_F(EngineRunTest, ResultActionOnlyActsOnFailures) {
  std::string stop = El("ResultAction", "stop", "<intProp name=\"OnError.action\">1</intProp>");
  std::vector<Sample> samples = Run(Group(
      "tg", 1, 2, Http("ok", "/hello.txt", stop) + Http("bad", "/status/404", stop) + Http("never", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"ok", "bad"}));
}

TEST_F(EngineRunTest, ResultActionBreaksTheCurrentLoop) {
  std::string brk = El("ResultAction", "break", "<intProp name=\"OnError.action\">6</intProp>");
  std::string loop = El("LoopController", "loop", Str("LoopController.loops", "3"),
                        Http("in", "/hello.txt") + Http("bad", "/status/500", brk) + Http("skipped", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, loop + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"in", "bad", "after"}));
}

TEST_F(EngineRunTest, ResultActionStartsTheNextIterationOfTheCurrentLoop) {
  std::string again = El("ResultAction", "again", "<intProp name=\"OnError.action\">5</intProp>");
  std::string loop = El("LoopController", "loop", Str("LoopController.loops", "2"),
                        Http("bad", "/status/500", again) + Http("skipped", "/hello.txt"));
  std::vector<Sample> samples = Run(Group("tg", 1, 1, loop + Http("after", "/hello.txt")));
  EXPECT_EQ(LabelsOf(samples, "tg 1-1"), (std::vector<std::string>{"bad", "bad", "after"}));
}

// ---- jmeter-plugins (issue 10) -------------------------------------------------------

std::string Dummy(const std::string& name, const std::string& props, const std::string& children = "") {
  return El("kg.apc.jmeter.samplers.DummySampler", name, props, children);
}

TEST_F(EngineRunTest, DummySamplerRecordsItsOwnFieldsWithoutWaiting) {
  std::string props = Bool("SUCCESFULL", true) + Str("RESPONSE_CODE", "201") + Str("RESPONSE_MESSAGE", "Created") +
                      Str("RESPONSE_DATA", "{&quot;id&quot;:${__threadNum}7}") + Str("RESPONSE_TIME", "250") +
                      Str("LATENCY", "40") + Str("CONNECT", "5") + Str("URL", "http://shop.example/items") +
                      Bool("WAITING", false);
  std::string extractor = El("com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor", "id",
                             Str("VAR", "id") + Str("JSONPATH", "$.id") + Str("DEFAULT", "none"));
  std::string assertion = El("com.atlantbh.jmeter.plugins.jsonutils.jsonpathassertion.JSONPathAssertion", "is 17",
                             Str("JSON_PATH", "$.id") + Str("EXPECTED_VALUE", "17") + Bool("JSONVALIDATION", true));
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Dummy("dummy", props, extractor + assertion) + Dummy("uses id", Str("URL", "${id}"))));
  ASSERT_EQ(samples.size(), 2u);
  const Sample& s = samples[0];
  EXPECT_EQ(s.label, "dummy");
  EXPECT_EQ(s.elapsed_us, 250'000);
  EXPECT_EQ(s.latency_us, 40'000);
  EXPECT_EQ(s.connect_us, 5'000);
  EXPECT_EQ(s.response_code, "201");
  EXPECT_EQ(s.response_message, "Created");
  EXPECT_EQ(s.data_type, "text");
  EXPECT_EQ(s.bytes, 9);  // {"id":17}
  EXPECT_EQ(s.url, "http://shop.example/items");
  EXPECT_TRUE(s.success) << s.failure_message;
  // Absent SUCCESFULL is false; "17" is not a URL java.net.URL parses; no times: 0.
  EXPECT_FALSE(samples[1].success);
  EXPECT_EQ(samples[1].url, "");
  EXPECT_EQ(samples[1].elapsed_us, 0);
  EXPECT_EQ(samples[1].response_code, "");
}

TEST_F(EngineRunTest, WaitingDummySamplersWaitOnTheEventLoopWithoutBlockingIt) {
  // Two users on one event loop: with a blocking wait the second would start after the
  // first ended; on the loop both wait at once.
  std::string props = Bool("SUCCESFULL", true) + Str("RESPONSE_TIME", "300") + Bool("WAITING", true);
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Dummy("wait", props)), /*loops=*/1);
  ASSERT_EQ(samples.size(), 2u);
  for (const Sample& s : samples) EXPECT_GE(s.elapsed_us, 300'000);
  const Sample& first = samples[0].timestamp_ms <= samples[1].timestamp_ms ? samples[0] : samples[1];
  const Sample& second = &first == &samples[0] ? samples[1] : samples[0];
  EXPECT_LT(second.timestamp_ms, first.timestamp_ms + first.elapsed_us / 1000);
}

// ---------------------------------------------------------------------------------------
// The descriptor limit (issue 12 item 5): checked, and raised, before any user starts.

class DescriptorLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved_), 0); }
  void TearDown() override { setrlimit(RLIMIT_NOFILE, &saved_); }

  // Prepares (never runs) `body` under the Test Plan.
  Status Prepare(const std::string& body) {
    Result<HashTree> tree = ParseJmx(engine_test::PlanXml(body), "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EngineOptions options;
    options.event_loops = 1;
    Engine engine(compiled_->plan, &run_, options, nullptr);
    return engine.Prepare();
  }
  static int64_t SoftLimit() {
    rlimit l{};
    getrlimit(RLIMIT_NOFILE, &l);
    return static_cast<int64_t>(l.rlim_cur);
  }
  void SetSoftLimit(rlim_t soft) {
    rlimit l = saved_;
    l.rlim_cur = soft;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &l), 0);
  }

  rlimit saved_{};
  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
};

TEST_F(DescriptorLimitTest, UsersKeepingConnectionsRaiseTheSoftLimitTheyNeed) {
  if (saved_.rlim_max != RLIM_INFINITY && saved_.rlim_max < 1000) GTEST_SKIP() << "hard limit below 1000";
  SetSoftLimit(300);
  // 500 + 200 users with keep-alive on: 700 connections + 256 for Barrage itself.
  Status st = Prepare(engine_test::Group("a", 500, 1, Http("h", "/hello.txt")) +
                      engine_test::Group("b", 200, 1, Http("h", "/hello.txt")));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(SoftLimit(), 956);
}

TEST_F(DescriptorLimitTest, UsersWithoutKeepAliveOrWithoutHttpNeedNoDescriptorEach) {
  SetSoftLimit(300);
  Status st = Prepare(
      engine_test::Group("close", 5000, 1, Http("h", "/hello.txt", "", Bool("HTTPSampler.use_keepalive", false))) +
      engine_test::Group("dummy", 5000, 1, engine_test::Dummy("d", "m")));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(SoftLimit(), 300);
}

TEST_F(DescriptorLimitTest, MoreUsersThanTheHardLimitAllowsFailBeforeTheRunWithTheRemedy) {
  if (saved_.rlim_max == RLIM_INFINITY || saved_.rlim_max > 10'000'000) GTEST_SKIP() << "no finite hard limit";
  const int64_t hard = static_cast<int64_t>(saved_.rlim_max);
  const int64_t users = hard;  // + 256 for Barrage: one group too many
  SetSoftLimit(300);
  Status st = Prepare(engine_test::Group("Shop", static_cast<int>(users), 1, Http("h", "/hello.txt")));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "not enough file descriptors: " + std::to_string(users) +
                              " users ('Shop': " + std::to_string(users) + ") keep up to " + std::to_string(users) +
                              " connections open, so this run needs " + std::to_string(users + 256) +
                              " descriptors (256 for Barrage itself), but the limit is 300 (hard limit " +
                              std::to_string(hard) +
                              "): raise it (`ulimit -n`, LimitNOFILE= in the systemd unit), spread the users over "
                              "more workers, or turn keep-alive off in the HTTP samplers");
  EXPECT_EQ(SoftLimit(), 300);
}

}  // namespace
}  // namespace barrage
