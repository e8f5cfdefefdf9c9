// Crash safety of the results store (issue 4, item 2): `barrage run` is killed with
// SIGKILL while it ingests samples from the fixture server; the file must be intact,
// every committed sample readable with its rollups, and the next `barrage` start must mark
// the orphaned `running` execution `aborted` with an audit_log entry.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;

// Bounds a hang only: a healthy run of this test takes a few seconds.
constexpr seconds kTimeout{30};

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}

// 4 users looping forever over a page, a small file and a 500 (so there are errors).
std::string EndlessPlan(int port) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"Crash\"/>\n<hashTree>\n" +
         El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port))) +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", "4") + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", "-1") + "</elementProp>\n",
            El("HTTPSamplerProxy", "Home", Str("HTTPSampler.path", "/")) +
                El("HTTPSamplerProxy", "Hello", Str("HTTPSampler.path", "/hello.txt")) +
                El("HTTPSamplerProxy", "Broken", Str("HTTPSampler.path", "/status/500"))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

// One value of a query against the file, read as another program would (-1 on error).
int64_t Scalar(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

std::string Text(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string v;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0)) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return v;
}

class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-crash-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    db_ = (dir_ / "results.db").string();
    plan_ = (dir_ / "crash.jmx").string();
    std::ofstream(plan_) << EndlessPlan(server_->port());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::string db_, plan_;
};

TEST_F(StoreCrashTest, KillMidIngestKeepsCommittedSamplesAndNextStartAbortsTheRun) {
  ChildProcess run({BARRAGE_BINARY, "run", plan_, "--db", db_, "--quiet", "--duration", "25"});
  ASSERT_TRUE(run.running());
  // Wait until three ingest transactions have been seen committed (the writer commits
  // every 200 ms), so the kill lands mid-ingest with earlier transactions on disk.
  int64_t seen = 0;
  int commits = 0;
  const auto deadline = steady_clock::now() + kTimeout;
  while (commits < 3 && steady_clock::now() < deadline && run.Pump(milliseconds(50))) {
    const int64_t now = Scalar(db_, "SELECT coalesce(sum(sample_count), 0) FROM execution");
    if (now > seen) {
      seen = now;
      ++commits;
    }
  }
  ASSERT_EQ(commits, 3) << run.err();
  ASSERT_TRUE(run.Signal(SIGKILL));
  ProcessResult killed = run.Wait(kTimeout);
  ASSERT_EQ(killed.term_signal, SIGKILL);

  // The file as the crash left it (its WAL included), before any barrage opens it again.
  EXPECT_EQ(Text(db_, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Text(db_, "SELECT status FROM execution WHERE id = 1"), "running");
  const int64_t stored = Scalar(db_, "SELECT count(*) FROM sample");
  EXPECT_GE(stored, seen);  // nothing that was committed is lost
  EXPECT_EQ(Scalar(db_, "SELECT sample_count FROM execution WHERE id = 1"), stored);
  EXPECT_EQ(Scalar(db_, "SELECT sum(count) FROM metric_bucket WHERE execution_id = 1"), stored);
  EXPECT_EQ(Scalar(db_, "SELECT sum(errors) FROM metric_bucket WHERE execution_id = 1"),
            Scalar(db_, "SELECT count(*) FROM sample WHERE success = 0"));
  EXPECT_EQ(Scalar(db_, "SELECT sum(count) FROM error_bucket WHERE execution_id = 1"),
            Scalar(db_, "SELECT count(*) FROM sample WHERE success = 0"));
  // No hole: the committed samples are one contiguous id range from the first.
  EXPECT_EQ(Scalar(db_, "SELECT max(id) - min(id) + 1 FROM sample"), stored);
  EXPECT_EQ(Scalar(db_, "SELECT min(id) FROM sample"), int64_t{1} << 40);

  ProcessResult runs = RunProcess({BARRAGE_BINARY, "runs", "--db", db_, "--json"}, kTimeout);
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_EQ(runs.err, "barrage: marked 1 interrupted run(s) as aborted\n");
  EXPECT_NE(runs.out.find("\"status\": \"aborted\""), std::string::npos) << runs.out;

  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<ExecutionRecord> e = store->GetExecution(1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, ExecutionStatus::kAborted);
  EXPECT_FALSE(e->ended_at_ms.has_value());
  EXPECT_EQ(e->samples, static_cast<uint64_t>(stored));
  int64_t readable = 0, broken = 0;
  ASSERT_TRUE(store
                  ->ForEachSample(1,
                                  [&](const Sample& s) {
                                    ++readable;
                                    const bool known = s.label == "Home" || s.label == "Hello" || s.label == "Broken";
                                    if (!known || s.url.find("http://127.0.0.1:") != 0) ++broken;
                                  })
                  .ok());
  EXPECT_EQ(readable, stored);
  EXPECT_EQ(broken, 0);
  Result<std::vector<AuditRecord>> audit = store->AuditLog(1);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].what, "started");
  EXPECT_EQ((*audit)[1].what, "stopped");
  EXPECT_NE((*audit)[1].details.find("\"status\":\"aborted\""), std::string::npos) << (*audit)[1].details;
  EXPECT_EQ((*audit)[1].who, CurrentOsUser());
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

}  // namespace
}  // namespace barrage
