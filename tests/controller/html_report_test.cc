#include "controller/html_report.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(HtmlEscapeTest, EscapesMarkupCharactersAndQuotes) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(HtmlEscapeTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(HtmlEscape("ünï €"), "ünï €");
  EXPECT_EQ(HtmlEscape("a\xFF"
                       "b\xC3"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

HtmlReportInput SmallInput() {
  HtmlReportInput in;
  in.run_id = 7;
  in.plan_name = "<b>plan</b>";
  in.status = "passed";
  in.started_at_ms = 1795705931000;
  in.ended_at_ms = 1795705933500;
  in.samples = 3;
  in.errors = 1;
  AggregateRow row;
  row.label = "</script><script>alert(1)</script>";
  row.count = 3;
  AggregateRow total = row;
  total.label = "TOTAL";
  in.aggregate = {row, total};
  in.seconds = {
      {1795705931, 2, 0, 5, 9, 9, 9, 2}, {1795705932, 0, 0, 0, 0, 0, 0, 0}, {1795705933, 1, 1, 7, 7, 7, 7, 1}};
  in.errors_by_type = {{"</script><img src=x onerror=alert(2)>", 1}};
  in.distribution = {{5, 1}, {6, 0}, {7, 1}, {8, 0}, {9, 1}};
  in.workers = {{0, "local", "", "", 3, 1, 7, 9, 9, 1.2, 0}};
  return in;
}

std::string Render(const HtmlReportInput& in) {
  std::ostringstream out;
  Status st = RenderHtmlReport(in, out);
  EXPECT_TRUE(st.ok()) << st.message();
  return out.str();
}

TEST(HtmlReportTest, LabelsCannotInjectMarkupOrEndTheDataScript) {
  const std::string html = Render(SmallInput());
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script\\u003e\\u003cimg src=x onerror=alert(2)\\u003e"), std::string::npos);
  EXPECT_NE(html.find("<title>Barrage report - Run 7: &lt;b&gt;plan&lt;/b&gt;</title>"), std::string::npos);
  // Exactly the two script elements of the page: the data and the drawing code.
  size_t scripts = 0;
  for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 2u);
}

TEST(HtmlReportTest, NeedsNothingFromTheNetwork) {
  const std::string html = Render(SmallInput());
  for (const char* fetch : {"src=\"", "<link", "@import", "url(", "http://", "https://"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
}

TEST(HtmlReportTest, HasACanvasForEveryChart) {
  const std::string html = Render(SmallInput());
  for (const char* id : {"chart-percentiles", "chart-throughput", "chart-threads", "chart-errors", "chart-distribution",
                         "chart-workers"}) {
    EXPECT_NE(html.find(std::string("<canvas id=\"") + id + "\""), std::string::npos) << id;
  }
}

TEST(HtmlReportTest, ChartDataHasPercentilePointsOnlyForSecondsWithSamples) {
  const std::string html = Render(SmallInput());
  EXPECT_NE(html.find(R"("percentiles":{"p50":[5,7],"p90":[9,7],"p95":[9,7],"p99":[9,7],"t":[1795705931,1795705933]})"),
            std::string::npos);
  EXPECT_NE(html.find(R"("throughput":{"errors":[0,0,1],"samples":[2,0,1],"t":[1795705931,1795705932,1795705933]})"),
            std::string::npos);
}

TEST(HtmlReportTest, SummaryShowsDurationAndErrorShare) {
  const std::string html = Render(SmallInput());
  EXPECT_NE(html.find("<dt>Duration</dt><dd>2.500 s</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>Errors</dt><dd>1 (33.33%)</dd>"), std::string::npos);
}

TEST(HtmlReportTest, CorrectedSectionOnlyWithLateSamples) {
  EXPECT_EQ(Render(SmallInput()).find("id=\"corrected\""), std::string::npos);
  HtmlReportInput in = SmallInput();
  CorrectedRow row{
      .label = "paced", .count = 3, .late = 1, .average = 340, .line1 = 975, .line2 = 975, .line3 = 975, .max = 975};
  CorrectedRow total = row;
  total.label = "TOTAL";
  in.corrected = {row, total};
  const std::string html = Render(in);
  EXPECT_NE(html.find("<section id=\"corrected\">\n<h2>Latency from the intended start (corrected for coordinated "
                      "omission)</h2>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td class=\"text\">paced</td><td>3</td><td>1</td><td>340</td><td>975</td><td>975</td>"
                      "<td>975</td><td>975</td></tr>"),
            std::string::npos)
      << html;
}

TEST(HtmlReportTest, FailedWriteIsAnError) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EXPECT_FALSE(RenderHtmlReport(SmallInput(), out).ok());
}

Sample At(int64_t ms, int64_t elapsed_ms, const std::string& label, int32_t all_threads) {
  Sample s;
  s.timestamp_ms = ms;
  s.elapsed_us = elapsed_ms * 1000 + 999;  // sub-millisecond parts are truncated, as in the JTL
  s.label = label;
  s.all_threads = all_threads;
  s.grp_threads = all_threads;
  s.response_code = "200";
  s.response_message = "OK";
  return s;
}

TEST(HtmlReportInputTest, IsBuiltFromTheStoresPerSecondRollups) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<int64_t> id = store->BeginExecution({"plan.jmx", "Plan", 1'000'000});
  ASSERT_TRUE(id.ok()) << id.status().message();
  // Second 1000: worker 0 has 10, 20, 30, 40 ms (allThreads up to 3); worker 1 has a failed
  // 100 ms sample (allThreads 4). Second 1001: nothing. Second 1002: worker 0, a failed 50 ms.
  std::vector<Sample> w0 = {At(1'000'000, 10, "a", 2), At(1'000'100, 20, "a", 3), At(1'000'200, 30, "a", 3),
                            At(1'000'999, 40, "a", 1), At(1'002'000, 50, "a", 1)};
  w0[4].success = false;
  w0[4].failure_message = "boom";
  std::vector<Sample> w1 = {At(1'000'500, 100, "b", 4)};
  w1[0].success = false;
  w1[0].response_code = "503";
  w1[0].response_message = "Service Unavailable";
  ASSERT_TRUE(store->Append(std::move(w0), 0).ok());
  ASSERT_TRUE(store->Append(std::move(w1), 1).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1'002'050).ok());

  Result<HtmlReportInput> in = BuildHtmlReportInput(*store, *id);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->samples, 6u);
  EXPECT_EQ(in->errors, 2u);
  EXPECT_EQ(in->status, "passed");

  ASSERT_EQ(in->seconds.size(), 3u);
  const HtmlReportInput::Second& s0 = in->seconds[0];
  EXPECT_EQ(s0.second, 1000);
  EXPECT_EQ(s0.samples, 5u);
  EXPECT_EQ(s0.errors, 1u);
  EXPECT_EQ(s0.p50, 30);   // 3rd of 5 (round(2.5) = 3)
  EXPECT_EQ(s0.p90, 100);  // 5th (round(4.5) = 5)
  EXPECT_EQ(s0.p95, 100);
  EXPECT_EQ(s0.p99, 100);
  EXPECT_EQ(s0.active_threads, 7);  // worker 0's largest (3) + worker 1's (4)
  EXPECT_EQ(in->seconds[1].second, 1001);
  EXPECT_EQ(in->seconds[1].samples, 0u);
  const HtmlReportInput::Second& s2 = in->seconds[2];
  EXPECT_EQ(s2.second, 1002);
  EXPECT_EQ(s2.samples, 1u);
  EXPECT_EQ(s2.errors, 1u);
  EXPECT_EQ(s2.p50, 50);
  EXPECT_EQ(s2.p99, 50);
  EXPECT_EQ(s2.active_threads, 1);

  ASSERT_EQ(in->errors_by_type.size(), 2u);
  EXPECT_EQ(in->errors_by_type[0].type, "503/Service Unavailable");
  EXPECT_EQ(in->errors_by_type[0].count, 1u);
  EXPECT_EQ(in->errors_by_type[1].type, "boom");

  // 10..100 ms: width 1 would need 91 bins, width 2 needs 46.
  EXPECT_EQ(in->distribution_width_ms, 2);
  ASSERT_EQ(in->distribution.size(), 46u);
  EXPECT_EQ(in->distribution.front().from_ms, 10);
  EXPECT_EQ(in->distribution.front().count, 1u);
  EXPECT_EQ(in->distribution.back().from_ms, 100);
  EXPECT_EQ(in->distribution.back().count, 1u);
  uint64_t binned = 0;
  for (const HtmlReportInput::Bin& b : in->distribution) binned += b.count;
  EXPECT_EQ(binned, 6u);

  ASSERT_EQ(in->aggregate.size(), 3u);
  EXPECT_EQ(in->aggregate[0].label, "a");
  EXPECT_EQ(in->aggregate[0].count, 5u);
  EXPECT_EQ(in->aggregate[1].label, "b");
  EXPECT_EQ(in->aggregate[2].label, "TOTAL");
  EXPECT_EQ(in->aggregate[2].count, 6u);
  EXPECT_EQ(in->aggregate[2].max, 100);

  ASSERT_EQ(in->workers.size(), 2u);
  EXPECT_EQ(in->workers[0].worker_id, 0);
  EXPECT_EQ(in->workers[0].name, "local");
  EXPECT_EQ(in->workers[0].samples, 5u);
  EXPECT_EQ(in->workers[0].errors, 1u);
  EXPECT_EQ(in->workers[0].average_ms, 30);  // (10+20+30+40+50)/5
  EXPECT_EQ(in->workers[0].max_ms, 50);
  EXPECT_EQ(in->workers[1].worker_id, 1);
  EXPECT_EQ(in->workers[1].samples, 1u);
  EXPECT_EQ(in->workers[1].errors, 1u);
  ASSERT_TRUE(store->Close().ok());
}

}  // namespace
}  // namespace barrage
