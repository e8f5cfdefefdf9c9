// `barrage report`, `barrage compare` and thresholds on `barrage run`, as a user runs them:
// the real binary on stores filled by `barrage import` from JMeter's own JTLs
// (shared/jmeter-reference) or by `barrage run` against a FixtureServer in this process on
// 127.0.0.1. Each case asserts the exit code (0 / 99 / 2) and the exact output.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;

// Generous: each command here takes well under a second; the limit only bounds a hang.
constexpr std::chrono::seconds kTimeout{30};

const std::string kRef = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference/";

constexpr std::string_view kReferenceCsv =
    "Label,# Samples,Average,Median,90% Line,95% Line,99% Line,Min,Max,Error %,Throughput,"
    "Received KB/sec,Sent KB/sec\n"
    "hello,100,5,2,8,11,73,0,76,0.000%,148.80952,48.10,0.00\n"
    "data.json,100,3,3,7,10,20,0,25,0.000%,172.11704,212.29,0.00\n"
    "missing,100,3,3,9,12,13,0,16,100.000%,173.01038,49.67,0.00\n"
    "missing-expected,100,2,2,6,8,10,0,10,0.000%,174.52007,50.11,0.00\n"
    "hello-bad-assert,100,4,3,9,11,16,0,20,100.000%,176.67845,57.11,0.00\n"
    "TOTAL,500,3,3,8,10,20,0,76,40.000%,741.83976,364.11,0.00\n";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
// One thread, `loops` loops (-1 = forever) of GET `path` labelled "Hello" on 127.0.0.1:port.
std::string Plan(int port, int loops, const std::string& path) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port))) +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", "1") + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
            El("HTTPSamplerProxy", "Hello", Str("HTTPSampler.path", path))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-report-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
    // Most tests import the reference JTLs from the team's shared/ folder beside the checkout.
    if (!fs::exists(kRef + "reference.jtl")) GTEST_SKIP() << "shared reference not found: " << kRef;
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  ProcessResult Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    return RunProcess(args, kTimeout);
  }
  // `barrage import JTL` into the test's store; returns the printed run id.
  std::string Import(const std::string& jtl) {
    ProcessResult r = Barrage({"import", kRef + jtl, "--db", db_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    return id;
  }
  std::string WritePlan(int loops, const std::string& path) {
    if (!server_) {
      Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
      EXPECT_TRUE(server.ok()) << server.status().message();
      if (server.ok()) server_ = std::move(server).value();
    }
    const fs::path plan = dir_ / "plan.jmx";
    std::ofstream(plan) << Plan(server_ ? server_->port() : 1, loops, path);
    return plan.string();
  }
  ExecutionRecord Execution(int64_t id) {
    Result<ResultsStore> store = ResultsStore::Open(db_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return {};
    Result<ExecutionRecord> e = store->GetExecution(id);
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? *e : ExecutionRecord{};
  }
  std::vector<ThresholdRecord> Stored(int64_t id) {
    Result<ResultsStore> store = ResultsStore::Open(db_);
    if (!store.ok()) return {};
    Result<std::vector<ThresholdRecord>> t = store->ThresholdResults(id);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? *t : std::vector<ThresholdRecord>{};
  }

  fs::path dir_;
  std::string db_;
  std::unique_ptr<fixture::FixtureServer> server_;
};

// --- report ----------------------------------------------------------------------------

TEST_F(ReportCliTest, CsvOfAnImportedJMeterJtlHasJMetersFigures) {
  ASSERT_EQ(Import("reference.jtl"), "1");
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kReferenceCsv);
  EXPECT_EQ(r.err, "");
}

TEST_F(ReportCliTest, OutputFileHoldsTheReport) {
  Import("reference.jtl");
  const std::string out = (dir_ / "agg.csv").string();
  ProcessResult r = Barrage({"report", "last", "--db", db_, "--format", "csv", "-o", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(out), kReferenceCsv);
}

TEST_F(ReportCliTest, TextIsTheAggregateReportTable) {
  Import("percentile-edges.jtl");
  ProcessResult r = Barrage({"report", "last", "--db", db_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Label       # Samples  Average  Median  90% Line  95% Line  99% Line  Min  Max  Error %  Throughput  "
            "Received KB/sec  Sent KB/sec\n"
            "n5                  5        3       3         4         5         5    1    5    0.00%   111.1/sec"
            "            35.92         0.00\n"
            "n15                15        8       8        13        14        15    1   15    0.00%    96.8/sec"
            "            31.28         0.00\n"
            "n50                50       25      25        45        47        50    1   50    0.00%    92.6/sec"
            "            29.93         0.00\n"
            "avg-trunc           5       26       8         9       100       100    7  100    0.00%    35.7/sec"
            "            11.54         0.00\n"
            "avg-trunc2          2        1       1         2         2         2    1    2    0.00%   166.7/sec"
            "            53.87         0.00\n"
            "zero-ms             3        0       0         0         0         0    0    0  100.00%   150.0/sec"
            "            43.07         0.00\n"
            "TOTAL              80       19      13        43        47        50    0  100    3.75%    95.2/sec"
            "            30.66         0.00\n");
}

TEST_F(ReportCliTest, PassingThresholdsExitZeroAndAreStored) {
  Import("reference.jtl");
  ProcessResult r = Barrage(
      {"report", "1", "--db", db_, "--format", "csv", "--threshold", "p(95)<11", "--threshold", "hello: p(99)<=73"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kReferenceCsv);
  std::vector<ThresholdRecord> stored = Stored(1);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].expression, "p(95)<11");
  EXPECT_EQ(stored[0].observed, 10);
  EXPECT_TRUE(stored[0].passed);
  EXPECT_EQ(stored[1].label, "hello");
  EXPECT_EQ(stored[1].observed, 73);
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kPassed);
  EXPECT_EQ(Execution(1).verdict, "passed");
}

TEST_F(ReportCliTest, FailedThresholdExits99WithOneLinePerFailureAndFailsTheRun) {
  Import("reference.jtl");
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "json", "--threshold", "p(95)<10", "--threshold",
                             "error_rate<0.5", "--threshold", "hello: p(99)<50"});
  EXPECT_EQ(r.exit_code, 99) << r.err;
  EXPECT_EQ(r.err,
            "barrage: threshold 'p(95)<10' failed: p(95) of all samples is 10 ms\n"
            "barrage: threshold 'hello: p(99)<50' failed: p(99) of 'hello' is 73 ms\n");
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "failed");
  EXPECT_EQ(j["run"]["status"], "failed");
  ASSERT_EQ(j["thresholds"].size(), 3u);
  EXPECT_EQ(j["thresholds"][1]["passed"], true);
  EXPECT_EQ(j["thresholds"][1]["observed"], 0.4);
  EXPECT_EQ(j["total"]["p95"], 10);
  EXPECT_EQ(j["labels"].size(), 5u);
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kFailed);

  // Without thresholds the report shows the stored ones, with the same verdict.
  ProcessResult junit = Barrage({"report", "1", "--db", db_, "--format", "junit"});
  EXPECT_EQ(junit.exit_code, 99);
  EXPECT_NE(junit.out.find("<testsuites name=\"barrage\" tests=\"3\" failures=\"2\" errors=\"0\""), std::string::npos)
      << junit.out;
  EXPECT_NE(junit.out.find("<testcase name=\"error_rate&lt;0.5\" classname=\"barrage.thresholds\" time=\"0\"/>"),
            std::string::npos);
  EXPECT_NE(junit.out.find("<failure type=\"threshold\" message=\"threshold &apos;hello: p(99)&lt;50&apos; failed: "
                           "p(99) of &apos;hello&apos; is 73 ms\">p(99) observed 73 ms, expected &lt; 50</failure>"),
            std::string::npos);

  // Passing thresholds re-evaluated later make the run passed again.
  ProcessResult again = Barrage({"report", "1", "--db", db_, "--format", "csv", "--threshold", "max<100"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kPassed);
}

TEST_F(ReportCliTest, ThresholdsFileIsEvaluated) {
  Import("reference.jtl");
  const std::string file = (dir_ / "t.toml").string();
  std::ofstream(file) << "[[threshold]]\nlabel = \"missing\"\nexpr = \"error_rate<1\"\n";
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--thresholds", file});
  EXPECT_EQ(r.exit_code, 99);
  EXPECT_NE(r.out.find("threshold 'missing: error_rate<1' failed: error_rate of 'missing' is 1\n"), std::string::npos)
      << r.out;
}

TEST_F(ReportCliTest, ThresholdOnAnUnknownLabelFailsAndIsStoredAsNoSamples) {
  Import("reference.jtl");
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "csv", "--threshold", "nope: avg<1"});
  EXPECT_EQ(r.exit_code, 99) << r.err;
  EXPECT_EQ(r.err, "barrage: threshold 'nope: avg<1' failed: no samples labelled 'nope'\n");
  // Shown again from the store.
  ProcessResult again = Barrage({"report", "1", "--db", db_, "--format", "json"});
  EXPECT_EQ(again.exit_code, 99);
  nlohmann::json j = nlohmann::json::parse(again.out);
  EXPECT_TRUE(j["thresholds"][0]["observed"].is_null());
  EXPECT_EQ(again.err, "barrage: threshold 'nope: avg<1' failed: no samples labelled 'nope'\n");
}

TEST_F(ReportCliTest, BadThresholdIsAUsageErrorNamingIt) {
  Import("reference.jtl");
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--threshold", "p95<5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: threshold 'p95<5': unknown metric 'p95' (write percentiles as p(95))\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Stored(1).empty());
}

TEST_F(ReportCliTest, UnknownRunIsAUsageError) {
  Import("reference.jtl");
  ProcessResult r = Barrage({"report", "7", "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + db_ + ": no run 7 in project 'default'\n");
}

TEST_F(ReportCliTest, MicrosecondsComeFromTheRawSamples) {
  Import("percentile-edges.jtl");
  ProcessResult r = Barrage({"report", "1", "--db", db_, "--format", "csv", "--us"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A JTL holds whole ms, so the µs figures are the ms ones x 1000 (Average of the µs).
  EXPECT_NE(r.out.find("\nn5,5,3000,3000,4000,5000,5000,1000,5000,0.000%,111.11111,35.92,0.00\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\navg-trunc,5,26200,8000,9000,100000,100000,7000,100000,"), std::string::npos) << r.out;
}

// --- compare ---------------------------------------------------------------------------

TEST_F(ReportCliTest, CompareFlagsARegressionWithExit99) {
  Import("reference.jtl");              // hello p99 73
  Import("reference-with-header.jtl");  // hello p99 88 (+20.5 %), everything else faster
  ProcessResult r = Barrage({"compare", "1", "2", "--db", db_, "--format", "json"});
  EXPECT_EQ(r.exit_code, 99) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["regressions"], 1);
  EXPECT_EQ(j["labels"][0]["label"], "hello");
  EXPECT_EQ(j["labels"][0]["metrics"]["p99"]["baseline"], 73.0);
  EXPECT_EQ(j["labels"][0]["metrics"]["p99"]["run"], 88.0);
  EXPECT_EQ(j["labels"][0]["metrics"]["p99"]["regression"], true);

  // With a 25 % tolerance the same change is no regression.
  ProcessResult tolerant = Barrage({"compare", "1", "2", "--db", db_, "--tolerance", "25%"});
  EXPECT_EQ(tolerant.exit_code, 0) << tolerant.err;
  EXPECT_EQ(tolerant.out.substr(tolerant.out.size() - 15), "no regressions\n");
}

TEST_F(ReportCliTest, CompareAgainstLastPassedSkipsTheRunItself) {
  Import("reference.jtl");
  Import("reference-with-header.jtl");
  // Run 1 failed its thresholds, run 2 passed: run 2 has no passed run before it.
  ASSERT_EQ(Barrage({"report", "1", "--db", db_, "--threshold", "max<0"}).exit_code, 99);
  ProcessResult r = Barrage({"compare", "--baseline", "last-passed", "--db", db_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: no passed run before run 2 to use as the baseline (last-passed)\n");
  // Run 3 (a copy of run 1) compares with run 2, the newest passed run before it.
  Import("reference.jtl");
  ProcessResult third = Barrage({"compare", "--baseline", "last-passed", "last", "--db", db_});
  EXPECT_EQ(third.out.rfind("run 3 against baseline run 2 (tolerance 10%)\n", 0), 0u) << third.out;
  EXPECT_EQ(third.exit_code, 99);  // run 1's figures are slower than run 2's
}

TEST_F(ReportCliTest, CompareRejectsABadTolerance) {
  Import("reference.jtl");
  ProcessResult r = Barrage({"compare", "1", "1", "--db", db_, "--tolerance", "ten"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: --tolerance ten: expected a percentage of 0 or more, such as 10%\n");
}

// --- thresholds on run -------------------------------------------------------------------

TEST_F(ReportCliTest, RunWithPassingThresholdsExitsZeroAndStoresThem) {
  const std::string plan = WritePlan(5, "/hello.txt");
  ProcessResult r = Barrage(
      {"run", plan, "--db", db_, "--quiet", "--threshold", "error_rate==0", "--threshold", "Hello: throughput>0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("barrage: threshold 'error_rate==0' passed: error_rate of all samples is 0\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("barrage: run 1 passed: 5 samples"), std::string::npos) << r.out;
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kPassed);
  ASSERT_EQ(Stored(1).size(), 2u);
  EXPECT_EQ(Stored(1)[1].expression, "Hello: throughput>0");
}

TEST_F(ReportCliTest, RunWithAFailedThresholdExits99AndIsFailed) {
  const std::string plan = WritePlan(5, "/hello.txt");
  ProcessResult r = Barrage({"run", plan, "--db", db_, "--quiet", "--threshold", "Hello: max<0"});
  EXPECT_EQ(r.exit_code, 99) << r.err;
  EXPECT_NE(r.err.find("barrage: threshold 'Hello: max<0' failed: max of 'Hello' is "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 failed: 5 samples"), std::string::npos) << r.out;
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kFailed);
  ASSERT_EQ(Stored(1).size(), 1u);
  EXPECT_FALSE(Stored(1)[0].passed);
}

TEST_F(ReportCliTest, RunRejectsABadThresholdBeforeStarting) {
  const std::string plan = WritePlan(5, "/hello.txt");
  ProcessResult r = Barrage({"run", plan, "--db", db_, "--threshold", "p(95)<500", "--threshold", "p(95) < 5 ms"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: threshold 'p(95) < 5 ms': unexpected 'ms' after the value 5 (values are plain numbers; times are "
            "in ms)\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(server_->requests(), 0u);
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(ReportCliTest, AbortOnFailStopsTheRunAtTheFirstFailedCheck) {
  // An endless plan (each request 20 ms) bounded at 20 s; max<0 fails at the first check.
  const std::string plan = WritePlan(-1, "/delay/20");
  const auto started = std::chrono::steady_clock::now();
  ProcessResult r = Barrage({"run", plan, "--db", db_, "--quiet", "--duration", "20", "--summary-interval", "1",
                             "--threshold", "max<0", "--abort-on-fail"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 99) << r.err;
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_NE(r.err.find("barrage: threshold 'max<0' failed: max of all samples is "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("barrage: stopping gracefully (--abort-on-fail)\n"), std::string::npos) << r.err;
  EXPECT_EQ(Execution(1).status, ExecutionStatus::kFailed);
}

}  // namespace
}  // namespace barrage
