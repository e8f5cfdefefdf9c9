// The HTML report rendered by a real browser (headless Chromium, Debian's `chromium`,
// installed by scripts/setup.sh): every chart's script must have run and drawn the number
// of points the data holds. Skips when Chromium is not installed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "controller/html_report.h"
#include "controller/jtl_reader.h"
#include "controller/results_store.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kBrowserTimeout{60'000};

std::string FindChromium() {
  if (const char* env = std::getenv("BARRAGE_CHROMIUM"); env && *env) return env;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

#define REQUIRE_CHROMIUM(var)                                                                         \
  const std::string var = FindChromium();                                                             \
  if (var.empty()) {                                                                                  \
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs Debian's `chromium`); the " \
                    "HTML report was not rendered";                                                   \
  }

std::vector<std::string> BrowserArgs(const std::string& chromium, const TempDir& dir) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-extensions",
          "--no-first-run",
          "--user-data-dir=" + dir.File("profile")};
}

// The DOM after the page's scripts ran.
std::string DumpDom(const std::string& chromium, const TempDir& dir, const std::string& html_path) {
  std::vector<std::string> args = BrowserArgs(chromium, dir);
  args.push_back("--dump-dom");
  args.push_back("file://" + html_path);
  test::ProcessResult r = test::RunProcess(args, kBrowserTimeout);
  EXPECT_FALSE(r.timed_out) << "chromium did not finish within " << kBrowserTimeout.count() << " ms";
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// canvas id -> its data-drawn attribute ("" when absent), and any data-error.
struct Drawn {
  std::map<std::string, std::string> points;
  std::map<std::string, std::string> errors;
};

Drawn ChartsIn(const std::string& dom) {
  Drawn d;
  const std::regex canvas(R"(<canvas ([^>]*)>)");
  const std::regex id(R"re(\bid="([^"]*)")re");
  const std::regex drawn(R"re(\bdata-drawn="([^"]*)")re");
  const std::regex error(R"re(\bdata-error="([^"]*)")re");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), canvas); it != std::sregex_iterator(); ++it) {
    const std::string attrs = (*it)[1];
    std::smatch m;
    if (!std::regex_search(attrs, m, id)) continue;
    const std::string name = m[1];
    d.points[name] = std::regex_search(attrs, m, drawn) ? std::string(m[1]) : "";
    if (std::regex_search(attrs, m, error)) d.errors[name] = m[1];
  }
  return d;
}

std::string WriteReport(const TempDir& dir, const HtmlReportInput& in) {
  const std::string path = dir.File("report.html");
  std::ofstream out(path, std::ios::binary);
  Status st = RenderHtmlReport(in, out);
  EXPECT_TRUE(st.ok()) << st.message();
  return path;
}

// 12 seconds with samples in 10 of them (two gaps), 25 error types, 3 workers.
HtmlReportInput HandMadeInput() {
  HtmlReportInput in;
  in.run_id = 42;
  in.plan_name = "checkout <flow> & \"friends\"";
  in.status = "failed";
  in.verdict = "failed";
  in.started_at_ms = 1795705931000;
  in.ended_at_ms = 1795705943000;
  for (int64_t t = 0; t < 12; ++t) {
    HtmlReportInput::Second s;
    s.second = 1795705931 + t;
    if (t != 3 && t != 7) {
      s.samples = static_cast<uint64_t>(100 + t);
      s.errors = static_cast<uint64_t>(t % 3);
      s.p50 = 10 + t;
      s.p90 = 20 + t;
      s.p95 = 30 + t;
      s.p99 = 40 + t;
      s.active_threads = t < 5 ? 2 * t : 10;
    }
    in.samples += s.samples;
    in.errors += s.errors;
    in.seconds.push_back(s);
  }
  for (int i = 0; i < 25; ++i) in.errors_by_type.push_back({"type <" + std::to_string(i) + ">", 30u - i});
  for (int64_t b = 0; b < 17; ++b) in.distribution.push_back({b * 5, static_cast<uint64_t>(b * (17 - b))});
  in.distribution_width_ms = 5;
  in.workers = {{1, "w-1", "10.0.0.1", "finished", 500, 3, 12, 40, 51, 99.5, 0},
                {2, "w-<2>", "10.0.0.2", "lost", 400, 7, 13, 41, 52, 80.25, 12},
                {3, "w-3", "10.0.0.3", "finished", 303, 2, 14, 42, 53, 60.0, 0}};
  AggregateRow row;
  row.label = "</canvas><canvas id=\"evil\">";
  row.count = in.samples;
  AggregateRow total = row;
  total.label = "TOTAL";
  in.aggregate = {row, total};
  in.thresholds = {{"p(95)<30", "", "p(95)", "<", 30, 41, false}};
  return in;
}

TEST(HtmlReportRenderTest, ChromiumDrawsEveryChartWithTheExpectedPoints) {
  REQUIRE_CHROMIUM(chromium);
  TempDir dir;
  const std::string html = WriteReport(dir, HandMadeInput());
  const std::string dom = DumpDom(chromium, dir, html);
  ASSERT_NE(dom.find("data-charts-drawn=\"6\""), std::string::npos) << dom.substr(0, 2000);
  Drawn d = ChartsIn(dom);
  EXPECT_TRUE(d.errors.empty()) << d.errors.begin()->first << ": " << d.errors.begin()->second;
  EXPECT_EQ(d.points.count("evil"), 0u) << "a label injected a canvas";
  EXPECT_EQ(d.points["chart-percentiles"], "10 points");  // seconds with samples
  EXPECT_EQ(d.points["chart-throughput"], "12 points");   // every second
  EXPECT_EQ(d.points["chart-threads"], "10 points");
  EXPECT_EQ(d.points["chart-errors"], "20 points");  // the 20 most frequent of 25
  EXPECT_EQ(d.points["chart-distribution"], "17 points");
  EXPECT_EQ(d.points["chart-workers"], "3 points");
  EXPECT_EQ(d.points.size(), 6u);
}

TEST(HtmlReportRenderTest, ReportOfAnImportedJMeterRunIsDrawnFromTheStore) {
  REQUIRE_CHROMIUM(chromium);
  const std::string jtl = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference/reference-with-header.jtl";
  if (!std::ifstream(jtl)) GTEST_SKIP() << "shared reference not found: " << jtl;
  Result<std::vector<Sample>> samples = ReadJtlFile(jtl);
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  // What the charts must show, computed here from the raw rows.
  std::set<int64_t> seconds;
  std::set<std::string> error_types;
  int64_t min_ms = INT64_MAX, max_ms = 0;
  for (const Sample& s : *samples) {
    seconds.insert(s.timestamp_ms / 1000);
    if (!s.success) {
      error_types.insert(s.failure_message.empty() ? s.response_code + "/" + s.response_message : s.failure_message);
    }
    min_ms = std::min(min_ms, s.elapsed_us / 1000);
    max_ms = std::max(max_ms, s.elapsed_us / 1000);
  }

  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<int64_t> id = store->BeginExecution({jtl, "reference", samples->front().timestamp_ms});
  ASSERT_TRUE(id.ok()) << id.status().message();
  ASSERT_TRUE(store->Append(std::vector<Sample>(*samples), 0).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, samples->back().timestamp_ms).ok());
  Result<HtmlReportInput> in = BuildHtmlReportInput(*store, *id);
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_TRUE(store->Close().ok());
  ASSERT_EQ(in->samples, samples->size());

  const std::string dom = DumpDom(chromium, dir, WriteReport(dir, *in));
  Drawn d = ChartsIn(dom);
  EXPECT_TRUE(d.errors.empty()) << d.errors.begin()->first << ": " << d.errors.begin()->second;
  const std::string n_seconds = std::to_string(seconds.size()) + " points";
  const std::string span = std::to_string(*seconds.rbegin() - *seconds.begin() + 1) + " points";
  EXPECT_EQ(d.points["chart-percentiles"], n_seconds);
  EXPECT_EQ(d.points["chart-threads"], n_seconds);
  EXPECT_EQ(d.points["chart-throughput"], span);
  EXPECT_EQ(d.points["chart-errors"], std::to_string(error_types.size()) + " points");
  EXPECT_EQ(d.points["chart-distribution"],
            std::to_string(max_ms / in->distribution_width_ms - min_ms / in->distribution_width_ms + 1) + " points");
  EXPECT_EQ(d.points["chart-workers"], "1 points");
}

TEST(HtmlReportRenderTest, RunWithoutSamplesDrawsEmptyCharts) {
  REQUIRE_CHROMIUM(chromium);
  TempDir dir;
  HtmlReportInput in;
  in.run_id = 3;
  in.status = "aborted";
  AggregateRow total;
  total.label = "TOTAL";
  in.aggregate = {total};
  const std::string dom = DumpDom(chromium, dir, WriteReport(dir, in));
  ASSERT_NE(dom.find("data-charts-drawn=\"5\""), std::string::npos) << dom.substr(0, 2000);
  Drawn d = ChartsIn(dom);
  EXPECT_TRUE(d.errors.empty()) << d.errors.begin()->first << ": " << d.errors.begin()->second;
  EXPECT_EQ(d.points.count("chart-errors"), 0u) << "no errors: a table line instead of a chart";
  for (const char* id :
       {"chart-percentiles", "chart-throughput", "chart-threads", "chart-distribution", "chart-workers"}) {
    EXPECT_EQ(d.points[id], "0 points") << id;
  }
}

TEST(HtmlReportRenderTest, ScreenshotIsAPicture) {
  REQUIRE_CHROMIUM(chromium);
  TempDir dir;
  const std::string html = WriteReport(dir, HandMadeInput());
  const std::string png = dir.File("report.png");
  std::vector<std::string> args = BrowserArgs(chromium, dir);
  args.push_back("--window-size=1280,3000");
  args.push_back("--screenshot=" + png);
  args.push_back("file://" + html);
  test::ProcessResult r = test::RunProcess(args, kBrowserTimeout);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bytes = ReadWholeFile(png);
  ASSERT_GT(bytes.size(), 20'000u) << "a blank page compresses to a few KB";
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
}

}  // namespace
}  // namespace barrage
