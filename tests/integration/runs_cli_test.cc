// `barrage runs` as a user runs it: the real binary on a store the test fills through the
// ResultsStore API (fixed times, so the output is exact), and on one `barrage run` made.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kTimeout{20};

const char kPlanV1[] =
    "<jmeterTestPlan version=\"1.2\"><hashTree><TestPlan testclass=\"TestPlan\" testname=\"Shop\"/><hashTree>"
    "</hashTree></hashTree></jmeterTestPlan>\n";
const char kPlanV2[] =
    "<jmeterTestPlan version=\"1.2\"><hashTree><TestPlan testclass=\"TestPlan\" testname=\"Shop v2\"/><hashTree>"
    "</hashTree></hashTree></jmeterTestPlan>\n";

class RunsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-runs-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
    // `runs` prints start times in local time: make the child's local time UTC.
    setenv("TZ", "UTC", 1);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Four runs in "default" and one in "other", with fixed times.
  void FillStore() {
    Result<ResultsStore> store = ResultsStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto run = [&](const std::string& project, const std::string& jmx, int64_t start, int64_t end,
                   ExecutionStatus status, int samples) {
      ExecutionInfo info;
      info.plan_path = "/plans/shop.jmx";
      info.plan_name = "Shop";
      info.started_at_ms = start;
      info.project = project;
      info.plan_jmx = jmx;
      info.triggered_by = "ci";
      Result<int64_t> id = store->BeginExecution(info);
      EXPECT_TRUE(id.ok()) << id.status().message();
      Sample s;
      s.label = "home";
      s.timestamp_ms = start;
      EXPECT_TRUE(store->Append(std::vector<Sample>(samples, s)).ok());
      EXPECT_TRUE(store->Finish(status, end).ok());
      return *id;
    };
    const int64_t a = run("default", kPlanV1, 1795705930953, 1795705996000, ExecutionStatus::kPassed, 3);
    ASSERT_TRUE(store->RecordThresholdResults(a, {{"p(95)<500", "", "p(95)", "<", 500, 12, true}}).ok());
    const int64_t b = run("default", kPlanV2, 1795705999000, 1795705999950, ExecutionStatus::kFailed, 1200);
    ASSERT_TRUE(store->RecordThresholdResults(b, {{"p(95)<500", "", "p(95)", "<", 500, 612, false}}).ok());
    run("other", kPlanV1, 1795706000000, 1795706001000, ExecutionStatus::kPassed, 1);
    run("default", kPlanV1, 1795706100000, 1795709823000, ExecutionStatus::kErrored, 0);
    run("default", "", 1795706200000, 1795706210000, ExecutionStatus::kPassed, 10);  // no plan bytes
    ASSERT_TRUE(store->Close().ok());
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(RunsCliTest, ListsTheProjectsRunsNewestFirst) {
  FillStore();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "ID  STATUS   PLAN      VERSION  STARTED              DURATION  SAMPLES  VERDICT\n"
            " 5  passed   shop.jmx  -        2026-11-26 15:16:40  10.0s          10  -\n"
            " 4  errored  shop.jmx  v1       2026-11-26 15:15:00  1h02m03s        0  -\n"
            " 2  failed   shop.jmx  v2       2026-11-26 15:13:19  0.9s         1200  failed\n"
            " 1  passed   shop.jmx  v1       2026-11-26 15:12:10  1m05s           3  passed\n");
}

TEST_F(RunsCliTest, DeleteRemovesTheRunAndEverythingOfItAndAuditsIt) {
  FillStore();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "delete", "2", "--db", db_}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "barrage: deleted run 2 (1200 samples)\n");
  EXPECT_EQ(r.err, "");

  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<std::vector<ExecutionRecord>> runs = store->ListExecutions();
  ASSERT_TRUE(runs.ok());
  std::vector<int64_t> ids;
  for (const ExecutionRecord& e : *runs) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 4, 5}));  // run 3 is in project "other"
  int buckets = 0;
  EXPECT_TRUE(store->ForEachBucket(2, [&](const MetricBucket&) { ++buckets; }).ok());
  EXPECT_EQ(buckets, 0);
  int samples = 0;
  EXPECT_TRUE(store->ForEachSample(2, [&](const Sample&) { ++samples; }).ok());
  EXPECT_EQ(samples, 0);
  Result<std::vector<ThresholdRecord>> thresholds = store->ThresholdResults(2);
  EXPECT_TRUE(!thresholds.ok() || thresholds->empty());
  // The other runs keep theirs.
  Result<int64_t> first = store->CountSamples(1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 3);
  Result<std::vector<AuditRecord>> audit = store->AuditLog(2);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->back().what, "deleted");
  EXPECT_EQ(audit->back().details, "status failed, 1200 samples");
  EXPECT_TRUE(store->CheckIntegrity().ok());
  EXPECT_TRUE(store->Close().ok());

  ProcessResult again = RunProcess({BARRAGE_BINARY, "delete", "2", "--db", db_}, kTimeout);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, "barrage: " + db_ + ": no run 2 in project 'default'\n");
}

TEST_F(RunsCliTest, ProjectSelectsItsRuns) {
  FillStore();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_, "--project", "other"}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  STATUS  PLAN      VERSION  STARTED              DURATION  SAMPLES  VERDICT\n"
            " 3  passed  shop.jmx  v1       2026-11-26 15:13:20  1.0s            1  -\n");
  r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_, "--project", "nobody"}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no runs in project 'nobody'\n");
}

TEST_F(RunsCliTest, JsonListsEveryField) {
  FillStore();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_, "--project", "other", "--json"}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "[\n"
            "  {\n"
            "    \"id\": 3,\n"
            "    \"status\": \"passed\",\n"
            "    \"plan\": \"shop.jmx\",\n"
            "    \"plan_path\": \"/plans/shop.jmx\",\n"
            "    \"plan_name\": \"Shop\",\n"
            "    \"project\": \"other\",\n"
            "    \"definition_version\": 1,\n"
            "    \"sha256\": \"3ea0f5767477dbe1b3ba04961df16eb83cb311bce839866bdd3b898a2155ddf3\",\n"
            "    \"started_at_ms\": 1795706000000,\n"
            "    \"ended_at_ms\": 1795706001000,\n"
            "    \"duration_ms\": 1000,\n"
            "    \"samples\": 1,\n"
            "    \"verdict\": null,\n"
            "    \"triggered_by\": \"ci\"\n"
            "  }\n"
            "]\n");
}

// Commands that only read a store never create one (regression: report, compare and export
// left an empty database behind a mistyped --db).
TEST_F(RunsCliTest, MissingStoreIsAnErrorAndNotCreated) {
  const std::vector<std::vector<std::string>> commands = {
      {BARRAGE_BINARY, "runs", "--db", db_},
      {BARRAGE_BINARY, "report", "last", "--db", db_},
      {BARRAGE_BINARY, "compare", "1", "2", "--db", db_},
      {BARRAGE_BINARY, "export", "last", "-o", (dir_ / "out.jtl").string(), "--db", db_},
  };
  for (const std::vector<std::string>& command : commands) {
    SCOPED_TRACE(command[1]);
    ProcessResult r = RunProcess(command, kTimeout);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "barrage: " + db_ + ": no results store (run a plan first, or pass --db)\n");
    EXPECT_FALSE(fs::exists(db_));
  }
}

TEST_F(RunsCliTest, ARunIsListedWithItsProjectAndDefinition) {
  const std::string plan = (dir_ / "debug.jmx").string();
  std::ofstream(plan)
      << "<jmeterTestPlan version=\"1.2\"><hashTree><TestPlan testclass=\"TestPlan\" testname=\"Shop\"/>"
         "<hashTree><ThreadGroup testclass=\"ThreadGroup\" testname=\"Users\"/><hashTree>"
         "<DebugSampler testclass=\"DebugSampler\" testname=\"dbg\"/><hashTree/>"
         "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
  ProcessResult run =
      RunProcess({BARRAGE_BINARY, "run", plan, "--db", db_, "--quiet", "--project", "team-a"}, kTimeout);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ProcessResult r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_, "--project", "team-a", "--json"}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"plan\": \"debug.jmx\",\n    \"plan_path\": \"" + plan +
                       "\",\n    \"plan_name\": \"Shop\",\n"
                       "    \"project\": \"team-a\",\n    \"definition_version\": 1,\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"samples\": 1,\n    \"verdict\": null,\n"), std::string::npos) << r.out;
  r = RunProcess({BARRAGE_BINARY, "runs", "--db", db_}, kTimeout);
  EXPECT_EQ(r.out, "no runs in project 'default'\n");
}

}  // namespace
}  // namespace barrage
