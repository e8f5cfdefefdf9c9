// The Graphite Backend Listener's lines (controller/graphite_sink.h): JMeter's metric paths,
// values and order for given samples, summaryOnly and samplersList, the pickle sender
// refused, and the end line.
#include "controller/graphite_sink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace barrage {
namespace {

constexpr int64_t kBase = 1700000000000;  // ms, a whole second

Sample MakeSample(std::string label, int64_t ts, int64_t elapsed_ms, bool success) {
  Sample s;
  s.label = std::move(label);
  s.timestamp_ms = ts;
  s.elapsed_us = elapsed_ms * 1000;
  s.success = success;
  s.sent_bytes = 100;
  s.bytes = 1000;
  return s;
}

TEST(GraphiteMetricsTest, ALabelAndTheRunAsJMeterNamesThem) {
  GraphiteOptions o;
  o.host = "127.0.0.1";
  o.summary_only = false;
  o.samplers_list = "GET home.page;other";
  o.percentiles = "90;99.9";
  GraphiteMetrics m(o);
  m.Add(MakeSample("GET home.page", kBase + 10, 10, true), 2);
  m.Add(MakeSample("GET home.page", kBase + 20, 30, false), 2);
  m.Add(MakeSample("not listed", kBase + 30, 50, true), 2);
  EXPECT_TRUE(m.Flush(kBase + 1999, false, 2, 0).empty());
  std::vector<std::string> lines = m.Flush(kBase + 2000, false, 2, 0);
  const std::string t = " 1700000000";
  std::vector<std::string> expected = {
      "jmeter.GET-home_page.ok.count 1" + t,
      "jmeter.GET-home_page.ko.count 1" + t,
      "jmeter.GET-home_page.a.count 2" + t,
      "jmeter.GET-home_page.h.count 2" + t,
      "jmeter.GET-home_page.sb.bytes 200" + t,
      "jmeter.GET-home_page.rb.bytes 2000" + t,
      "jmeter.GET-home_page.ok.min 10.0" + t,
      "jmeter.GET-home_page.ok.max 10.0" + t,
      "jmeter.GET-home_page.ok.avg 10.0" + t,
      "jmeter.GET-home_page.ok.pct99_9 10.0" + t,
      "jmeter.GET-home_page.ok.pct90 10.0" + t,
      "jmeter.GET-home_page.ko.min 30.0" + t,
      "jmeter.GET-home_page.ko.max 30.0" + t,
      "jmeter.GET-home_page.ko.avg 30.0" + t,
      "jmeter.GET-home_page.ko.pct99_9 30.0" + t,
      "jmeter.GET-home_page.ko.pct90 30.0" + t,
      "jmeter.GET-home_page.a.min 10.0" + t,
      "jmeter.GET-home_page.a.max 30.0" + t,
      "jmeter.GET-home_page.a.avg 20.0" + t,
      "jmeter.GET-home_page.a.pct99_9 30.0" + t,
      "jmeter.GET-home_page.a.pct90 30.0" + t,
      "jmeter.all.ok.count 2" + t,
      "jmeter.all.ko.count 1" + t,
      "jmeter.all.a.count 3" + t,
      "jmeter.all.h.count 3" + t,
      "jmeter.all.sb.bytes 300" + t,
      "jmeter.all.rb.bytes 3000" + t,
      "jmeter.all.ok.min 10.0" + t,
      "jmeter.all.ok.max 50.0" + t,
      "jmeter.all.ok.avg 30.0" + t,
      "jmeter.all.ok.pct99_9 50.0" + t,
      "jmeter.all.ok.pct90 50.0" + t,
      "jmeter.all.ko.min 30.0" + t,
      "jmeter.all.ko.max 30.0" + t,
      "jmeter.all.ko.avg 30.0" + t,
      "jmeter.all.ko.pct99_9 30.0" + t,
      "jmeter.all.ko.pct90 30.0" + t,
      "jmeter.all.a.min 10.0" + t,
      "jmeter.all.a.max 50.0" + t,
      "jmeter.all.a.avg 30.0" + t,
      "jmeter.all.a.pct99_9 50.0" + t,
      "jmeter.all.a.pct90 50.0" + t,
      "jmeter.test.minAT 2" + t,
      "jmeter.test.maxAT 2" + t,
      "jmeter.test.meanAT 2" + t,
      "jmeter.test.startedT 2" + t,
      "jmeter.test.endedT 0" + t,
  };
  EXPECT_EQ(lines, expected);
}

// Real JMeter 2.13's output (tests/data/jmeter213/graphite.txt): every metric name it wrote
// for the same plan is written, in the same order within each context. JMeter 5.x's later
// additions (avg, h.count, sb/rb bytes) are Barrage's extra names.
TEST(GraphiteMetricsTest, NamesAndOrderAsRealJMeter213Writes) {
  std::ifstream in(std::string(BARRAGE_TEST_DATA_DIR) + "/jmeter213/graphite.txt");
  ASSERT_TRUE(in.good());
  std::vector<std::string> golden;
  for (std::string line; std::getline(in, line);) {
    std::string name = line.substr(0, line.find(' '));
    if (std::find(golden.begin(), golden.end(), name) == golden.end()) golden.push_back(name);
  }
  ASSERT_EQ(golden.size(), 42u);
  GraphiteOptions o;
  o.host = "127.0.0.1";
  o.summary_only = false;
  o.samplers_list = "GET home.page;Other label";
  o.percentiles = "90;99.9";
  GraphiteMetrics m(o);
  m.Add(MakeSample("GET home.page", kBase, 10, true), 2);
  m.Add(MakeSample("Other label", kBase, 20, false), 2);
  std::vector<std::string> ours;
  for (const std::string& l : m.Flush(kBase + 5000, false, 2, 0)) ours.push_back(l.substr(0, l.find(' ')));
  auto context_of = [](const std::string& name) { return name.substr(0, name.find('.', 7)); };
  std::map<std::string, std::vector<std::string>> golden_by_context, ours_by_context;
  for (const std::string& n : golden) golden_by_context[context_of(n)].push_back(n);
  for (const std::string& n : ours) {
    if (std::find(golden.begin(), golden.end(), n) != golden.end()) ours_by_context[context_of(n)].push_back(n);
  }
  EXPECT_EQ(ours_by_context, golden_by_context);
  std::vector<std::string> extra;
  for (const std::string& n : ours) {
    if (std::find(golden.begin(), golden.end(), n) == golden.end()) extra.push_back(n.substr(n.find('.', 7) + 1));
  }
  std::sort(extra.begin(), extra.end());
  extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
  EXPECT_EQ(extra, (std::vector<std::string>{"a.avg", "h.count", "ko.avg", "ok.avg", "rb.bytes", "sb.bytes"}));
}

TEST(GraphiteMetricsTest, SummaryOnlyByDefaultAndRegexLists) {
  Result<GraphiteOptions> o = GraphiteOptionsFromArguments({{"graphiteHost", "localhost"}});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(o->summary_only);
  EXPECT_EQ(o->port, 2003);
  EXPECT_EQ(o->prefix, "jmeter.");
  GraphiteMetrics m(*o);
  m.Add(MakeSample("a", kBase, 1, true), 1);
  for (const std::string& l : m.Flush(kBase + 5000, false, 1, 0))
    EXPECT_EQ(l.find("jmeter.a."), std::string::npos) << l;

  GraphiteOptions r;
  r.host = "h";
  r.summary_only = false;
  r.use_regexp = true;
  r.samplers_list = "GET.*";
  GraphiteMetrics n(r);
  n.Add(MakeSample("GET x", kBase, 1, true), 1);
  n.Add(MakeSample("xGET", kBase, 1, true), 1);  // matches() is the whole label
  std::string all;
  for (const std::string& l : n.Flush(kBase + 5000, false, 1, 0)) all += l + "\n";
  EXPECT_NE(all.find("jmeter.GET-x.a.count 1 "), std::string::npos) << all;
  EXPECT_EQ(all.find("jmeter.xGET."), std::string::npos) << all;
}

TEST(GraphiteOptionsTest, PickleAndBadArgumentsAreRefused) {
  Result<GraphiteOptions> pickle = GraphiteOptionsFromArguments(
      {{"graphiteMetricsSender", "org.apache.jmeter.visualizers.backend.graphite.PickleGraphiteMetricsSender"},
       {"graphiteHost", "localhost"}});
  ASSERT_FALSE(pickle.ok());
  EXPECT_NE(pickle.status().message().find("(the pickle protocol) is not supported"), std::string::npos);
  EXPECT_FALSE(GraphiteOptionsFromArguments({{"graphiteHost", ""}}).ok());
  EXPECT_FALSE(GraphiteOptionsFromArguments({{"graphiteHost", "h"}, {"graphitePort", "70000"}}).ok());
  EXPECT_EQ(GraphiteSanitize("a b\\c.d"), "a-b-c_d");
}

TEST(GraphiteSinkTest, SendsAndPrintsItsEndLine) {
  std::mutex mu;
  std::string sent;
  std::ostringstream err;
  GraphiteOptions o;
  o.host = "127.0.0.1";
  {
    GraphiteSink sink(o, err, [&](const std::string& body, int64_t) {
      std::lock_guard<std::mutex> lock(mu);
      sent += body;
      return Status::Ok();
    });
    sink.OnRunStart(LiveRunInfo{});
    sink.OnSamples({MakeSample("a", kBase, 5, true)}, 0);
    sink.OnRunEnd(kBase + 100, ExecutionStatus::kPassed);
  }
  // all: 6 counts + ok (3) + a (3), test: 5
  EXPECT_EQ(err.str(), "barrage: graphite 127.0.0.1:2003: 17 metrics sent, 0 dropped\n");
  EXPECT_NE(sent.find("jmeter.all.a.count 1 1700000000\n"), std::string::npos) << sent;
}

}  // namespace
}  // namespace barrage
