// The report's data path: a store filled with JMeter's own JTLs (shared/jmeter-reference)
// gives, from the metric_bucket rollups alone, the Aggregate Report JMeter computed; and the
// JSON and JUnit renderings carry the exact figures.
#include "controller/report_command.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "controller/jtl_reader.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

const std::string kRef = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference/";
// The reference JTLs live in the team's shared/ folder beside the checkout.
#define SKIP_WITHOUT_REFERENCE() \
  if (!std::ifstream(kRef + "reference.jtl")) GTEST_SKIP() << "shared reference not found: " << kRef

ExecutionInfo Info(const std::string& plan) {
  ExecutionInfo info;
  info.plan_path = plan;
  info.plan_name = "T";
  info.started_at_ms = 1795705930000;
  info.triggered_by = "ci";
  return info;
}

// A store at `path` holding one execution with `samples`, finished as passed.
int64_t StoreRun(ResultsStore* store, std::vector<Sample> samples, ExecutionStatus status = ExecutionStatus::kPassed,
                 int64_t ended_at_ms = 1795705932500) {
  Result<int64_t> id = store->BeginExecution(Info("plan.jmx"));
  EXPECT_TRUE(id.ok()) << id.status().message();
  // Several batches, so one (second, label) key may get several partial bucket rows.
  const size_t half = samples.size() / 2;
  std::vector<Sample> first(samples.begin(), samples.begin() + static_cast<long>(half));
  std::vector<Sample> second(samples.begin() + static_cast<long>(half), samples.end());
  EXPECT_TRUE(store->Append(std::move(first)).ok());
  EXPECT_TRUE(store->Flush().ok());
  EXPECT_TRUE(store->Append(std::move(second)).ok());
  EXPECT_TRUE(store->Finish(status, ended_at_ms).ok());
  return id.ok() ? *id : 0;
}

std::string CsvFromStore(const std::string& jtl, AggregateCsvFlavor flavor) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  EXPECT_TRUE(store.ok()) << store.status().message();
  Result<std::vector<Sample>> samples = ReadJtlFile(kRef + jtl);
  EXPECT_TRUE(samples.ok()) << samples.status().message();
  const int64_t id = StoreRun(&*store, std::move(samples).value());
  Result<AggregateReport> report = LoadAggregateReport(*store, id);
  EXPECT_TRUE(report.ok()) << report.status().message();
  return AggregateReportCsv(report->Rows(), flavor);
}

// --- the rollups reproduce JMeter's own Aggregate Report -----------------------------------

TEST(ReportFromStoreTest, ReferenceJtlGivesJMetersAggregateReport) {
  SKIP_WITHOUT_REFERENCE();
  EXPECT_EQ(CsvFromStore("reference.jtl", AggregateCsvFlavor::kJMeter213),
            ReadWholeFile(kRef + "aggregate-report.csv"));
}

TEST(ReportFromStoreTest, ReferenceWithHeaderJtlGivesJMetersAggregateReport) {
  SKIP_WITHOUT_REFERENCE();
  EXPECT_EQ(CsvFromStore("reference-with-header.jtl", AggregateCsvFlavor::kJMeter213),
            ReadWholeFile(kRef + "aggregate-report-with-header.csv"));
}

TEST(ReportFromStoreTest, PercentileEdgesGiveJMetersAggregateReport) {
  SKIP_WITHOUT_REFERENCE();
  EXPECT_EQ(CsvFromStore("percentile-edges.jtl", AggregateCsvFlavor::kJMeter213),
            ReadWholeFile(kRef + "percentile-edges.aggregate-report.csv"));
}

// JMeter 5's Save Table Data: same figures, JMeter 5's formats (Error % "#0.000%", Throughput
// "#.00000", KB/sec "#0.00") and its two KB/sec columns; 2.13's JTL has no sentBytes.
TEST(ReportFromStoreTest, ReferenceJtlAsJMeter5Csv) {
  SKIP_WITHOUT_REFERENCE();
  EXPECT_EQ(CsvFromStore("reference.jtl", AggregateCsvFlavor::kJMeter5),
            "Label,# Samples,Average,Median,90% Line,95% Line,99% Line,Min,Max,Error %,Throughput,"
            "Received KB/sec,Sent KB/sec\n"
            "hello,100,5,2,8,11,73,0,76,0.000%,148.80952,48.10,0.00\n"
            "data.json,100,3,3,7,10,20,0,25,0.000%,172.11704,212.29,0.00\n"
            "missing,100,3,3,9,12,13,0,16,100.000%,173.01038,49.67,0.00\n"
            "missing-expected,100,2,2,6,8,10,0,10,0.000%,174.52007,50.11,0.00\n"
            "hello-bad-assert,100,4,3,9,11,16,0,20,100.000%,176.67845,57.11,0.00\n"
            "TOTAL,500,3,3,8,10,20,0,76,40.000%,741.83976,364.11,0.00\n");
}

TEST(ReportFromStoreTest, RowsFromRollupsEqualRowsFromSamples) {
  SKIP_WITHOUT_REFERENCE();
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  Result<std::vector<Sample>> samples = ReadJtlFile(kRef + "reference-with-header.jtl");
  ASSERT_TRUE(samples.ok());
  AggregateReport direct;
  direct.Add(*samples);
  const int64_t id = StoreRun(&*store, std::move(samples).value());
  Result<AggregateReport> report = LoadAggregateReport(*store, id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(AggregateReportText(report->Rows()), AggregateReportText(direct.Rows()));
}

TEST(ReportFromStoreTest, EmptyRunHasTotalOnly) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  const int64_t id = StoreRun(&*store, {});
  Result<AggregateReport> report = LoadAggregateReport(*store, id);
  ASSERT_TRUE(report.ok());
  std::vector<AggregateRow> rows = report->Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].label, "TOTAL");
  EXPECT_EQ(rows[0].count, 0u);
}

// --- microseconds from the raw samples ------------------------------------------------------

Sample S(const std::string& label, int64_t start_ms, int64_t elapsed_us, bool ok = true, int64_t bytes = 0) {
  Sample s;
  s.label = label;
  s.timestamp_ms = start_ms;
  s.elapsed_us = elapsed_us;
  s.success = ok;
  s.bytes = bytes;
  s.sent_bytes = bytes / 2;
  return s;
}

TEST(MicrosecondRowsTest, TimeColumnsInMicrosecondsOtherColumnsAsInMs) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  const int64_t id =
      StoreRun(&*store, {S("a", 1000, 1500), S("a", 1001, 2999), S("b", 1002, 10), S("a", 1003, 7001, false)});
  Result<std::vector<AggregateRow>> rows = MicrosecondRows(*store, id);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 3u);
  const AggregateRow& a = (*rows)[0];
  EXPECT_EQ(a.label, "a");
  EXPECT_EQ(a.count, 3u);
  EXPECT_EQ(a.average, 3833);  // (1500 + 2999 + 7001) / 3 = 3833.33, truncated
  EXPECT_EQ(a.median, 2999);   // round(1.5) = 2nd
  EXPECT_EQ(a.line1, 7001);    // round(2.7) = 3rd
  EXPECT_EQ(a.min, 1500);
  EXPECT_EQ(a.max, 7001);
  // Throughput stays on JMeter's ms span: 1000 .. 1003 + 7 ms.
  EXPECT_EQ(a.throughput, 3.0 / 10 * 1000);
  const AggregateRow& total = (*rows)[2];
  EXPECT_EQ(total.label, "TOTAL");
  EXPECT_EQ(total.min, 10);
  EXPECT_EQ(total.max, 7001);
  EXPECT_EQ(total.median, 1500);  // 10 1500 2999 7001: round(2.0) = 2nd
}

// --- JSON and JUnit -----------------------------------------------------------------------

TEST(ReportJsonTest, CarriesRowsThresholdsAndExecutionFacts) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  const int64_t id =
      StoreRun(&*store, {S("a", 1795705931000, 10'000, true, 2048), S("a", 1795705931100, 30'000, false, 2048),
                         S("b", 1795705931200, 20'000, true, 1024)});
  ASSERT_TRUE(store->SetExecutionDroppedIterations(id, 17).ok());  // arrivals dropped (issue 12)
  Result<AggregateReport> report = LoadAggregateReport(*store, id);
  ASSERT_TRUE(report.ok());
  Result<ExecutionRecord> e = store->GetExecution(id);
  ASSERT_TRUE(e.ok());
  std::vector<ThresholdRecord> th = {{"a: p(95)<20", "a", "p(95)", "<", 20, 30, false},
                                     {"error_rate<0.5", "", "error_rate", "<", 0.5, 1.0 / 3, true}};
  nlohmann::json j = nlohmann::json::parse(ReportJson(*e, report->Rows(), *report, false, th));
  EXPECT_EQ(j["run"]["id"], id);
  EXPECT_EQ(j["run"]["project"], "default");
  EXPECT_EQ(j["run"]["plan"], "plan.jmx");
  EXPECT_EQ(j["run"]["plan_name"], "T");
  EXPECT_EQ(j["run"]["status"], "passed");
  EXPECT_EQ(j["run"]["started_at_ms"], 1795705930000);
  EXPECT_EQ(j["run"]["ended_at_ms"], 1795705932500);
  EXPECT_EQ(j["run"]["duration_ms"], 2500);
  EXPECT_EQ(j["run"]["samples"], 3);
  EXPECT_EQ(j["run"]["triggered_by"], "ci");
  EXPECT_EQ(j["run"]["dropped_iterations"], 17);
  EXPECT_EQ(j["run"]["infra"], nlohmann::json({{"mode", "local"}}));
  EXPECT_EQ(j["unit"], "ms");
  ASSERT_EQ(j["labels"].size(), 2u);
  // a: 10 and 30 ms from ...31000 to ...31130: 2 / 130 ms; 4096 bytes; 2048 sent.
  EXPECT_EQ(j["labels"][0], nlohmann::json({{"label", "a"},
                                            {"samples", 2},
                                            {"errors", 1},
                                            {"average", 20},
                                            {"median", 10},
                                            {"p90", 30},
                                            {"p95", 30},
                                            {"p99", 30},
                                            {"min", 10},
                                            {"max", 30},
                                            {"error_rate", 0.5},
                                            {"throughput", 2.0 / 130 * 1000},
                                            {"received_kb_per_sec", 4096 / (130 / 1000.0) / 1024},
                                            {"sent_kb_per_sec", 2048 / (130 / 1000.0) / 1024}}));
  EXPECT_EQ(j["labels"][1]["label"], "b");
  EXPECT_EQ(j["total"]["label"], "TOTAL");
  EXPECT_EQ(j["total"]["samples"], 3);
  EXPECT_EQ(j["total"]["errors"], 1);
  EXPECT_EQ(j["total"]["median"], 20);
  EXPECT_EQ(j["total"]["throughput"], 3.0 / 220 * 1000);
  const char* expected_thresholds = R"json([
    {"expression": "a: p(95)<20", "label": "a", "metric": "p(95)", "op": "<", "target": 20.0,
     "observed": 30.0, "passed": false},
    {"expression": "error_rate<0.5", "label": null, "metric": "error_rate", "op": "<", "target": 0.5,
     "observed": 0.3333333333333333, "passed": true}])json";
  EXPECT_EQ(j["thresholds"], nlohmann::json::parse(expected_thresholds));
  EXPECT_EQ(j["verdict"], "failed");
}

TEST(ReportJsonTest, InfiniteThroughputAndNoThresholdsAreNull) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  const int64_t id = StoreRun(&*store, {S("a", 1795705931000, 0)});
  Result<AggregateReport> report = LoadAggregateReport(*store, id);
  ASSERT_TRUE(report.ok());
  Result<ExecutionRecord> e = store->GetExecution(id);
  ASSERT_TRUE(e.ok());
  nlohmann::json j = nlohmann::json::parse(ReportJson(*e, report->Rows(), *report, true, {}));
  EXPECT_TRUE(j["labels"][0]["throughput"].is_null());
  EXPECT_EQ(j["unit"], "us");
  EXPECT_EQ(j["thresholds"], nlohmann::json::array());
  EXPECT_TRUE(j["verdict"].is_null());
}

TEST(ReportJunitTest, OneTestCasePerThresholdWithFailures) {
  ExecutionRecord e;
  e.id = 7;
  e.plan_name = "Shop <checkout>";
  e.started_at_ms = 1795705930000;  // 2026-11-26T15:12:10Z
  e.ended_at_ms = 1795705942345;
  std::vector<ThresholdRecord> th = {{"login: p(99)<800", "login", "p(99)", "<", 800, 912, false},
                                     {"error_rate<0.01", "", "error_rate", "<", 0.01, 0, true},
                                     {"x & y: avg<5", "x & y", "avg", "<", 5, std::nan(""), false}};
  EXPECT_EQ(ReportJunit(e, th),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"barrage\" tests=\"3\" failures=\"2\" errors=\"0\" time=\"12.345\">\n"
            "  <testsuite name=\"barrage run 7: Shop &lt;checkout&gt;\" tests=\"3\" failures=\"2\" errors=\"0\" "
            "skipped=\"0\" time=\"12.345\" timestamp=\"2026-11-26T15:12:10\">\n"
            "    <testcase name=\"login: p(99)&lt;800\" classname=\"barrage.thresholds\" time=\"0\">\n"
            "      <failure type=\"threshold\" message=\"threshold &apos;login: p(99)&lt;800&apos; failed: p(99) of "
            "&apos;login&apos; is 912 ms\">p(99) observed 912 ms, expected &lt; 800</failure>\n"
            "    </testcase>\n"
            "    <testcase name=\"error_rate&lt;0.01\" classname=\"barrage.thresholds\" time=\"0\"/>\n"
            "    <testcase name=\"x &amp; y: avg&lt;5\" classname=\"barrage.thresholds\" time=\"0\">\n"
            "      <failure type=\"threshold\" message=\"threshold &apos;x &amp; y: avg&lt;5&apos; failed: no samples "
            "labelled &apos;x &amp; y&apos;\">no samples to evaluate avg on</failure>\n"
            "    </testcase>\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

TEST(ReportJunitTest, NoThresholdsIsAnEmptySuite) {
  ExecutionRecord e;
  e.id = 1;
  e.started_at_ms = 0;
  EXPECT_EQ(ReportJunit(e, {}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"barrage\" tests=\"0\" failures=\"0\" errors=\"0\" time=\"0\">\n"
            "  <testsuite name=\"barrage run 1\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\" "
            "timestamp=\"1970-01-01T00:00:00\">\n"
            "  </testsuite>\n"
            "</testsuites>\n");
}

}  // namespace
}  // namespace barrage
