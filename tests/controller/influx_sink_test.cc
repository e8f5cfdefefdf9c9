// The InfluxDB Backend Listener's lines (controller/influx_sink.h) and the bounded sender
// (controller/live_sender.h). Expected percentile orders and number formats were checked
// against OpenJDK 17 (HashMap<String, Float>, Float.toString, Double.toString).
#include "controller/influx_sink.h"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "controller/live_sender.h"

namespace barrage {
namespace {

constexpr int64_t kBase = 1700000000000;  // ms, a whole second

Sample MakeSample(std::string label, int64_t ts, int64_t elapsed_ms, bool success, std::string code = "200",
                  std::string message = "OK") {
  Sample s;
  s.label = std::move(label);
  s.timestamp_ms = ts;
  s.elapsed_us = elapsed_ms * 1000;
  s.success = success;
  s.response_code = std::move(code);
  s.response_message = std::move(message);
  s.sent_bytes = 100;
  s.bytes = success ? 1000 : 500;
  return s;
}

InfluxOptions Options() {
  InfluxOptions o;
  o.url = "http://127.0.0.1:1/write?db=jmeter";
  o.application = "shop app";
  o.percentiles = "90;95;99";
  o.test_title = "Shop";
  return o;
}

TEST(InfluxFormat, TagValuesAreTrimmedAndEscapedAsJMeterDoes) {
  EXPECT_EQ(InfluxTagValue("  a,b=c d  "), "a\\,b\\=c\\ d");
  EXPECT_EQ(InfluxTagValue("line\nbreak"), "line\\nbreak");
  EXPECT_EQ(InfluxTagValue("back\\slash"), "back\\slash");  // JMeter leaves backslashes alone
  EXPECT_EQ(InfluxFieldText(" say \"hi\" "), "say \\\"hi\\\"");
}

TEST(InfluxFormat, PercentileFieldsInJavaHashMapOrder) {
  auto names = [](std::string_view p) {
    std::vector<std::string> out;
    for (const auto& [name, value] : InfluxPercentileFields(p)) out.push_back(name);
    return out;
  };
  EXPECT_EQ(names("90;95;99"), (std::vector<std::string>{"95.0", "99.0", "90.0"}));
  EXPECT_EQ(names("99;95;90"), (std::vector<std::string>{"99.0", "95.0", "90.0"}));
  EXPECT_EQ(names("99.9;50"), (std::vector<std::string>{"99.9", "50.0"}));
  EXPECT_EQ(names("50;75;90;95;99;99.9"), (std::vector<std::string>{"99.0", "99.9", "50.0", "95.0", "75.0", "90.0"}));
  EXPECT_EQ(names("1;2;3;4;5;6;7;8;9;10;11;12;13"),
            (std::vector<std::string>{"11.0", "12.0", "13.0", "1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0",
                                      "9.0", "10.0"}));
  EXPECT_EQ(names(" 90 ; x ;; 95"), (std::vector<std::string>{"95.0", "90.0"}));
  EXPECT_TRUE(names("").empty());
  EXPECT_EQ(JavaFloatToString(99.9f), "99.9");
  EXPECT_EQ(JavaFloatToString(90.0f), "90.0");
  EXPECT_EQ(JavaFloatToString(0.5f), "0.5");
}

TEST(InfluxFormat, LegacyPercentileAsCommonsMath) {
  EXPECT_EQ(LegacyPercentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_EQ(LegacyPercentile({10, 20, 30}, 90), 30.0);  // pos 3.6 >= n
  EXPECT_EQ(LegacyPercentile({10, 20}, 10), 10.0);      // pos 0.3 < 1
  EXPECT_EQ(LegacyPercentile({7}, 99), 7.0);
  EXPECT_TRUE(std::isnan(LegacyPercentile({}, 90)));
}

TEST(InfluxMetricsTest, OneIntervalsLinesAsJMeterWritesThem) {
  InfluxMetrics m(Options());
  Sample a = MakeSample("GET home", kBase + 100, 10, true);
  Sample b = MakeSample("GET home", kBase + 200, 20, true);
  Sample c = MakeSample("GET home", kBase + 300, 30, false, "500", "Internal Server Error");
  for (const Sample* s : {&a, &b, &c}) m.Add(*s, 5);
  // Not yet: the interval ends at +1000 and is written 1 s later.
  EXPECT_TRUE(m.Flush(kBase + 1999, false, 7, 2).empty());
  std::vector<std::string> lines = m.Flush(kBase + 2000, false, 7, 2);
  const std::string ts = " 1700000000000000000";
  std::vector<std::string> expected = {
      "jmeter,application=shop\\ app,transaction=GET\\ home,statut=all count=3,avg=20.0,min=10.0,max=30.0,hit=3,"
      "sb=300,rb=2500,pct95.0=30.0,pct99.0=30.0,pct90.0=30.0" +
          ts,
      "jmeter,application=shop\\ app,transaction=GET\\ home,statut=ok count=2,avg=15.0,min=10.0,max=20.0,hit=3,"
      "sb=300,rb=2500,pct95.0=20.0,pct99.0=20.0,pct90.0=20.0" +
          ts,
      "jmeter,application=shop\\ app,transaction=GET\\ home,statut=ko count=1,avg=30.0,min=30.0,max=30.0,hit=3,"
      "sb=300,rb=2500,pct95.0=30.0,pct99.0=30.0,pct90.0=30.0" +
          ts,
      "jmeter,application=shop\\ app,transaction=GET\\ home,responseCode=500,responseMessage=Internal\\ Server\\ Error "
      "count=1" +
          ts,
      "jmeter,application=shop\\ app,transaction=all,statut=all count=3,countError=1,avg=15.0,min=10.0,max=20.0,"
      "hit=3,sb=300,rb=2500,pct95.0=30.0,pct99.0=30.0,pct90.0=30.0" +
          ts,
      "jmeter,application=shop\\ app,transaction=internal minAT=5,maxAT=5,meanAT=5,startedT=7,endedT=2" + ts,
  };
  EXPECT_EQ(lines, expected);
  // Written once.
  EXPECT_TRUE(m.Flush(kBase + 5000, false, 7, 2).empty());
}

TEST(InfluxMetricsTest, SamplesCountInTheSecondOfTheirStart) {
  InfluxMetrics m(Options());
  m.Add(MakeSample("x", kBase + 999, 5, true), 1);
  m.Add(MakeSample("x", kBase + 1000, 5, true), 1);
  m.Add(MakeSample("x", kBase + 1001, 5, true), 1);
  std::vector<std::string> counts;
  const std::string prefix = "jmeter,application=shop\\ app,transaction=x,statut=all count=";
  for (const std::string& l : m.Flush(kBase + 10000, false, 1, 0)) {
    if (l.rfind(prefix, 0) == 0) counts.push_back(l.substr(prefix.size(), 1) + l.substr(l.rfind(' ')));
  }
  EXPECT_EQ(counts, (std::vector<std::string>{"1 1700000000000000000", "2 1700000001000000000"}));
}

TEST(InfluxMetricsTest, JMetersSendIntervalAndTimedWindows) {
  InfluxOptions o = Options();
  o.percentiles = "";
  o.send_interval_ms = 5000;  // -J backend_influxdb.send_interval=5
  o.timed_window = true;      // -J backend_metrics_window_mode=timed: avg/min/max of the interval only
  InfluxMetrics m(o);
  m.Add(MakeSample("x", kBase + 100, 100, true), 1);
  m.Add(MakeSample("x", kBase + 4900, 300, true), 1);
  m.Add(MakeSample("x", kBase + 5000, 10, true), 1);
  EXPECT_TRUE(m.Flush(kBase + 5999, false, 1, 0).empty());
  std::vector<std::string> lines = m.Flush(kBase + 20000, false, 1, 0);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "jmeter,application=shop\\ app,transaction=x,statut=all count=2,avg=200.0,min=100.0,max=300.0,hit=2,"
            "sb=200,rb=2000 1700000000000000000");
  bool second = false;
  for (const std::string& l : lines) {
    second |= l ==
              "jmeter,application=shop\\ app,transaction=x,statut=all count=1,avg=10.0,min=10.0,max=10.0,hit=1,"
              "sb=100,rb=1000 1700000005000000000";
  }
  EXPECT_TRUE(second);
}

TEST(InfluxMetricsTest, ALateSampleRewritesItsIntervalsPoints) {
  InfluxMetrics m(Options());
  m.Add(MakeSample("x", kBase + 10, 5, true), 1);
  ASSERT_FALSE(m.Flush(kBase + 2000, false, 1, 0).empty());
  m.Add(MakeSample("x", kBase + 20, 3000, true), 1);  // started in the same second, ended 3 s later
  std::vector<std::string> lines = m.Flush(kBase + 3000, false, 1, 0);
  bool rewritten = false;
  for (const std::string& l : lines) {
    if (l.find("transaction=all,statut=all count=2,countError=0,") != std::string::npos &&
        l.find(" 1700000000000000000") != std::string::npos) {
      rewritten = true;
    }
    EXPECT_EQ(l.find("transaction=internal"), std::string::npos) << l;  // once per interval
  }
  EXPECT_TRUE(rewritten);
  EXPECT_EQ(m.late_samples(), 0u);
}

TEST(InfluxMetricsTest, SummaryOnlyWritesTheWholeRunOnly) {
  InfluxOptions o = Options();
  o.summary_only = true;
  o.percentiles = "";
  InfluxMetrics m(o);
  m.Add(MakeSample("GET home", kBase, 10, true), 1);
  std::vector<std::string> lines = m.Flush(kBase + 2000, false, 1, 0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "jmeter,application=shop\\ app,transaction=all,statut=all count=1,countError=0,avg=10.0,min=10.0,max=10.0,"
            "hit=1,sb=100,rb=1000 1700000000000000000");
  EXPECT_EQ(lines[1],
            "jmeter,application=shop\\ app,transaction=internal minAT=1,maxAT=1,meanAT=1,startedT=1,endedT=0 "
            "1700000000000000000");
}

TEST(InfluxMetricsTest, SamplersRegexFindsLabels) {
  InfluxOptions o = Options();
  o.samplers_regex = "^GET";
  o.percentiles = "50";
  InfluxMetrics m(o);
  m.Add(MakeSample("GET a", kBase, 10, true), 1);
  m.Add(MakeSample("POST b", kBase, 10, true), 1);
  m.Add(MakeSample("xGET c", kBase, 10, true), 1);
  std::string all;
  for (const std::string& l : m.Flush(kBase + 2000, false, 1, 0)) all += l + "\n";
  EXPECT_NE(all.find("transaction=GET\\ a,statut=all"), std::string::npos);
  EXPECT_EQ(all.find("transaction=POST\\ b"), std::string::npos);
  EXPECT_EQ(all.find("transaction=xGET\\ c"), std::string::npos);
  EXPECT_NE(all.find("transaction=all,statut=all count=3,"), std::string::npos);
}

TEST(InfluxMetricsTest, AssertionFailuresUserTagsAndEscapedLabels) {
  InfluxOptions o = Options();
  o.percentiles = "";
  o.user_tags = {{"env", "pre prod"}};
  InfluxMetrics m(o);
  Sample s = MakeSample("a,b=c d", kBase, 10, false, "200", "OK");
  s.failure_message = "Test failed: text expected to contain /Welcome/";
  m.Add(s, 1);
  Sample e = MakeSample("a,b=c d", kBase, 10, false, "", "");
  m.Add(e, 1);
  std::vector<std::string> lines = m.Flush(kBase + 2000, false, 1, 0);
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  EXPECT_NE(all.find("jmeter,application=shop\\ app,transaction=a\\,b\\=c\\ d,statut=ko,env=pre\\ prod count=2,"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("transaction=a\\,b\\=c\\ d,responseCode=Assertion\\ failed,responseMessage=Test\\ failed:\\ "
                     "text\\ expected\\ to\\ contain\\ /Welcome/,env=pre\\ prod count=1 "),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("responseCode=0,responseMessage=None,env=pre\\ prod count=1 "), std::string::npos) << all;
  EXPECT_EQ(all.find("statut=ok"), std::string::npos);  // a status without samples is not written
}

TEST(InfluxMetricsTest, EventLines) {
  InfluxOptions o = Options();
  o.test_title = "My \"test\"";
  o.event_tags = "release 1.2";
  InfluxMetrics m(o);
  EXPECT_EQ(m.EventLine(true, kBase),
            "events,application=shop\\ app,title=ApacheJMeter,tags=release\\ 1.2 text=\"My \\\"test\\\" started\" "
            "1700000000000000000");
  o.event_tags = "";
  InfluxMetrics n(o);
  EXPECT_EQ(n.EventLine(false, kBase + 1),
            "events,application=shop\\ app,title=ApacheJMeter text=\"My \\\"test\\\" ended\" 1700000000001000000");
}

TEST(InfluxOptionsTest, ArgumentsAndProperties) {
  Result<InfluxOptions> o = InfluxOptionsFromArguments({{"influxdbUrl", "http://localhost:8086/write?db=jmeter"},
                                                        {"application", "app"},
                                                        {"summaryOnly", "TRUE"},
                                                        {"TAG_env", " prod "},
                                                        {"TAG_blank", " "}});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->application, "app");
  EXPECT_TRUE(o->summary_only);
  EXPECT_EQ(o->measurement, "jmeter");
  EXPECT_EQ(o->test_title, "Test");
  EXPECT_EQ(o->user_tags, (std::vector<std::pair<std::string, std::string>>{{"env", "prod"}}));
  EXPECT_FALSE(InfluxOptionsFromArguments({{"influxdbUrl", "localhost:8086"}}).ok());
  Result<InfluxOptions> udp = InfluxOptionsFromArguments(
      {{"influxdbMetricsSender", "org.apache.jmeter.visualizers.backend.influxdb.UdpMetricsSender"},
       {"influxdbUrl", "http://localhost:8086/write?db=jmeter"}});
  ASSERT_FALSE(udp.ok());
  EXPECT_NE(udp.status().message().find("UdpMetricsSender is not supported"), std::string::npos);
  EXPECT_TRUE(CheckInfluxUrl("https://user:pw@influx.example:8086/write?db=x").ok());
  EXPECT_FALSE(CheckInfluxUrl("ftp://x/write").ok());
  EXPECT_FALSE(CheckInfluxUrl("http://").ok());

  Properties p;
  p.Set("backend_influxdb.send_interval", "5");
  p.Set("backend_metrics_window_mode", "timed");
  InfluxOptions opts;
  ASSERT_TRUE(ApplyInfluxProperties(p, &opts).ok());
  EXPECT_EQ(opts.send_interval_ms, 5000);
  EXPECT_TRUE(opts.timed_window);
  p.Set("backend_influxdb.send_interval", "0");
  Status bad = ApplyInfluxProperties(p, &opts);
  EXPECT_EQ(bad.message(), "property backend_influxdb.send_interval=0: expected a positive whole number");
}

// A transport the test holds: each call waits until released, then returns `result`.
struct HeldTransport {
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  int released = 0;
  std::vector<std::string> bodies;
  Status result = Status::Ok();
  LiveSender::Transport Get() {
    return [this](const std::string& body, int64_t) {
      std::unique_lock<std::mutex> lock(mu);
      int me = ++entered;
      bodies.push_back(body);
      cv.notify_all();
      cv.wait(lock, [&] { return released >= me; });
      return result;
    };
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered >= n; }));
  }
  void ReleaseAll() {
    std::lock_guard<std::mutex> lock(mu);
    released = 1 << 30;
    cv.notify_all();
  }
};

TEST(LiveSenderTest, AStuckDestinationDropsTheOldestAndCountsThem) {
  HeldTransport t;
  LiveSender sender(t.Get(), {.capacity = 3, .batch_max = 10});
  sender.Send({"a"});
  t.WaitEntered(1);  // "a" is being sent, and stays in the queue until it is
  sender.Send({"b", "c", "d", "e"});
  LiveSender::Counters c = sender.counters();
  EXPECT_EQ(c.dropped, 2u);  // a and b
  EXPECT_EQ(c.sent, 0u);
  t.ReleaseAll();
  sender.Close(10000);
  c = sender.counters();
  EXPECT_EQ(c.sent, 3u);  // c, d, e (a was dropped while in flight: not counted sent)
  EXPECT_EQ(c.dropped, 2u);
  ASSERT_EQ(t.bodies.size(), 2u);
  EXPECT_EQ(t.bodies[0], "a\n");
  EXPECT_EQ(t.bodies[1], "c\nd\ne\n");
}

TEST(LiveSenderTest, ADeadDestinationIsRetriedThenDroppedAtClose) {
  std::mutex mu;
  int calls = 0;
  LiveSender sender(
      [&](const std::string&, int64_t) {
        std::lock_guard<std::mutex> lock(mu);
        ++calls;
        return Status::IoError("Couldn't connect to server");
      },
      {.capacity = 100, .batch_max = 10, .backoff_initial_ms = 1, .backoff_max_ms = 4});
  sender.Send({"a", "b"});
  sender.Close(200);
  LiveSender::Counters c = sender.counters();
  EXPECT_EQ(c.sent, 0u);
  EXPECT_EQ(c.dropped, 2u);
  EXPECT_FALSE(c.answered);
  EXPECT_EQ(c.last_error, "Couldn't connect to server");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(calls, 2);  // retried
}

TEST(LiveSenderTest, RefusedLinesAreDroppedNotRetried) {
  int calls = 0;
  LiveSender sender(
      [&](const std::string&, int64_t) {
        ++calls;
        return Status::InvalidArgument("HTTP 400: unable to parse");
      },
      {});
  sender.Send({"bad line"});
  sender.Close(5000);
  LiveSender::Counters c = sender.counters();
  EXPECT_EQ(c.dropped, 1u);
  EXPECT_TRUE(c.answered);
  EXPECT_EQ(calls, 1);
}

TEST(InfluxSinkTest, SendsAndPrintsItsEndLine) {
  std::mutex mu;
  std::string posted;
  std::ostringstream err;
  {
    InfluxSink sink(Options(), err, [&](const std::string& body, int64_t) {
      std::lock_guard<std::mutex> lock(mu);
      posted += body;
      return Status::Ok();
    });
    LiveRunInfo run;
    run.plan_name = "Shop";
    run.started_at_ms = kBase;
    sink.OnRunStart(run);
    LiveTick tick;
    tick.now_ms = kBase + 500;
    tick.threads = {3, 3, 0, 0};
    sink.OnTick(tick);
    sink.OnSamples({MakeSample("GET home", kBase + 5, 10, true)}, 0);
    sink.OnRunEnd(kBase + 900, ExecutionStatus::kPassed);
  }
  // start event, 2 status lines (all, ok), the run's, internal, end event
  EXPECT_EQ(err.str(), "barrage: influxdb http://127.0.0.1:1/write?db=jmeter: 6 points sent, 0 dropped\n");
  EXPECT_EQ(
      posted.rfind("events,application=shop\\ app,title=ApacheJMeter text=\"Shop started\" 1700000000000000000\n", 0),
      0u);
  EXPECT_NE(posted.find("minAT=3,maxAT=3,meanAT=3,startedT=3,endedT=0"), std::string::npos);
  EXPECT_NE(posted.find("text=\"Shop ended\" 1700000000900000000\n"), std::string::npos);
}

TEST(InfluxSinkTest, ADeadInfluxIsReportedNotFatal) {
  std::ostringstream err;
  InfluxOptions o = Options();
  {
    InfluxSink sink(o, err, [](const std::string&, int64_t) { return Status::IoError("Connection refused"); });
    LiveRunInfo run;
    run.started_at_ms = kBase;
    sink.OnRunStart(run);
    sink.OnRunEnd(kBase + 10, ExecutionStatus::kPassed);
  }
  EXPECT_EQ(err.str(),
            "barrage: influxdb http://127.0.0.1:1/write?db=jmeter: 0 points sent, 2 dropped\n"
            "barrage: warning: influxdb http://127.0.0.1:1/write?db=jmeter never answered (Connection refused)\n");
}

}  // namespace
}  // namespace barrage
