// Crash safety of the results store (issue 4, item 2): `barrage run` is killed with
// SIGKILL while it ingests samples from the fixture server; the file must be intact,
// every committed sample readable with its rollups, and the next `barrage` start must mark
// the orphaned `running` execution `aborted` with an audit_log entry.
//
// The run's records under failure (issue 16, items 6 and 7): a full store or a full JTL
// (on a small tmpfs: root only, skipped otherwise) stops the run with exit 1 while the
// other record keeps every sample; the JTL is on disk a second after its rows were made
// (kill -9); three runs on one store at once each store all their samples.

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
#include <regex>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"
#include "tests/integration/record_checks.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::JtlRows;
using test::ProcessResult;
using test::RunProcess;
using test::SmallTmpfs;

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

// `threads` users, each `loops` times over one GET of `path`.
std::string LoopPlan(int port, int threads, int loops, const std::string& path) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"Loop\"/>\n<hashTree>\n" +
         El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port))) +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
            El("HTTPSamplerProxy", "Get", Str("HTTPSampler.path", path))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

// The sample count of `barrage run`'s last line ("barrage: run N STATUS: M samples, ..."),
// -1 when there is none.
int64_t FinalSampleCount(const std::string& out, const std::string& status) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("barrage: run [0-9]+ " + status + ": ([0-9]+) samples"))) return -1;
  return std::stoll(m[1].str());
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

// Issue 16 item 6: the store filled its disk mid-run; the load ran on and the JTL stopped
// at the store's first error.
TEST_F(StoreCrashTest, FullStoreStopsTheRunWithExit1WhileTheJtlKeepsEverySample) {
  // Room for the empty store (~640 KiB: a 16 KiB page per table and index) and its WAL,
  // not for the run's samples.
  SmallTmpfs small(dir_ / "small", "2m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const std::string db = (dir_ / "small" / "results.db").string();
  const std::string jtl = (dir_ / "results.jtl").string();
  // ~25 MB of samples: the store fills long before (20,000 took 0.5 s on the fast path,
  // which could end the run before the writer hit the full disk).
  constexpr int kMaxSamples = 4 * 50000;
  std::ofstream(plan_) << LoopPlan(server_->port(), 4, 50000, "/hello.txt");

  ProcessResult run = RunProcess({BARRAGE_BINARY, "run", plan_, "--db", db, "-l", jtl, "--quiet"}, kTimeout);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const std::string named = "barrage: the results store " + db + " failed (" + db + ": ";
  EXPECT_NE(run.err.find(named), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("database or disk is full): stopping the run; every sample goes on to the JTL " + jtl + "\n"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;  // said once
  const int64_t samples = FinalSampleCount(run.out, "errored");
  ASSERT_GT(samples, 0) << run.out;
  EXPECT_LT(samples, kMaxSamples);   // the run stopped instead of running on
  EXPECT_EQ(JtlRows(jtl), samples);  // every sample the engine made
  EXPECT_EQ(static_cast<int64_t>(server_->requests()), samples);

  // The file as the run left it, copied off the full filesystem: never `passed`. If the
  // store could record `errored` it did; if not, the next open marks the run `aborted`.
  const std::string copy = (dir_ / "copy.db").string();
  fs::copy_file(db, copy);
  if (fs::exists(db + "-wal")) fs::copy_file(db + "-wal", copy + "-wal");
  EXPECT_LT(Scalar(copy, "SELECT count(*) FROM sample"), samples);
  const std::string status = Text(copy, "SELECT status FROM execution WHERE id = 1");
  if (status == "running") {
    Result<ResultsStore> store = ResultsStore::Open(copy);
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kAborted);
  } else {
    EXPECT_EQ(status, "errored");
  }
}

// Without a JTL nothing else records the samples: the run stops at once, exit 1.
TEST_F(StoreCrashTest, FullStoreWithoutAJtlStopsTheRunAtOnceWithExit1) {
  // Room for the empty store (~640 KiB: a 16 KiB page per table and index) and its WAL,
  // not for the run's samples.
  SmallTmpfs small(dir_ / "small", "2m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const std::string db = (dir_ / "small" / "results.db").string();
  std::ofstream(plan_) << LoopPlan(server_->port(), 4, 50000, "/hello.txt");

  ProcessResult run = RunProcess({BARRAGE_BINARY, "run", plan_, "--db", db, "--quiet"}, kTimeout);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("barrage: the results store " + db + " failed (" + db + ": "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("database or disk is full): stopping the run now: nothing records its samples any more\n"),
            std::string::npos)
      << run.err;
  const int64_t samples = FinalSampleCount(run.out, "errored");
  ASSERT_GT(samples, 0) << run.out;
  EXPECT_LT(samples, 4 * 50000);
}

// The reverse: the JTL fills its disk; the store keeps every sample.
TEST_F(StoreCrashTest, FullJtlStopsTheRunWithExit1WhileTheStoreKeepsEverySample) {
  SmallTmpfs small(dir_ / "small", "64k");
  if (!small.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const std::string jtl = (dir_ / "small" / "results.jtl").string();
  constexpr int kMaxSamples = 4 * 50000;  // ~30 MB of JTL rows
  std::ofstream(plan_) << LoopPlan(server_->port(), 4, 50000, "/hello.txt");

  ProcessResult run = RunProcess({BARRAGE_BINARY, "run", plan_, "--db", db_, "-l", jtl, "--quiet"}, kTimeout);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("barrage: the JTL failed (write to " + jtl +
                         " failed: No space left on device): stopping the run; every sample goes on to the results "
                         "store " +
                         db_ + "\n"),
            std::string::npos)
      << run.err;
  const int64_t samples = FinalSampleCount(run.out, "errored");
  ASSERT_GT(samples, 0) << run.out;
  EXPECT_LT(samples, kMaxSamples);
  EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM sample"), samples);
  EXPECT_EQ(Scalar(db_, "SELECT sample_count FROM execution WHERE id = 1"), samples);
  EXPECT_EQ(Text(db_, "SELECT status FROM execution WHERE id = 1"), "errored");
}

// The JTL was not flushed during the run: after kill -9 it was empty while the store held
// thousands of rows. Every row made a second or more before the kill is on disk.
TEST_F(StoreCrashTest, JtlHoldsEveryRowMadeASecondBeforeKill9) {
  const std::string jtl = (dir_ / "results.jtl").string();
  // ~200 samples/s, so the rows stay far below the JTL's 1 MB buffer.
  std::ofstream(plan_) << LoopPlan(server_->port(), 4, 100'000, "/delay/20");
  ChildProcess run({BARRAGE_BINARY, "run", plan_, "--db", db_, "-l", jtl, "--quiet", "--duration", "25"});
  ASSERT_TRUE(run.running());
  const auto started = steady_clock::now();
  // At least 2 s into the run, with samples committed to the store: those were all made
  // before now, so the JTL must have them 1.5 s later.
  int64_t stored = 0;
  const auto deadline = started + kTimeout;
  while ((stored <= 0 || steady_clock::now() - started < seconds(2)) && steady_clock::now() < deadline &&
         run.Pump(milliseconds(50))) {
    stored = Scalar(db_, "SELECT coalesce(sum(sample_count), 0) FROM execution");
  }
  ASSERT_GT(stored, 0) << run.err();
  const auto kill_at = steady_clock::now() + milliseconds(1500);
  while (steady_clock::now() < kill_at && run.Pump(milliseconds(50))) {
  }
  ASSERT_TRUE(run.Signal(SIGKILL));
  ProcessResult killed = run.Wait(kTimeout);
  ASSERT_EQ(killed.term_signal, SIGKILL);
  EXPECT_GE(JtlRows(jtl), stored);
}

// Issue 16 item 7: runs 2 and 3 on one store drove their load and stored nothing
// ("database is locked"). Each run stores exactly its own samples; `runs` works meanwhile.
TEST_F(StoreCrashTest, ThreeConcurrentRunsOnOneStoreEachStoreAllTheirSamples) {
  // 300 samples of 30 ms each over 3 users: about 3 s per run, so the runs overlap.
  std::ofstream(plan_) << LoopPlan(server_->port(), 3, 100, "/delay/30");
  std::vector<std::unique_ptr<ChildProcess>> runs;
  for (int i = 0; i < 3; ++i) {
    runs.push_back(
        std::make_unique<ChildProcess>(std::vector<std::string>{BARRAGE_BINARY, "run", plan_, "--db", db_, "--quiet"}));
    ASSERT_TRUE(runs.back()->running());
  }
  // `runs` while they write: wait until all three are recorded, then list them.
  const auto deadline = steady_clock::now() + kTimeout;
  while (Scalar(db_, "SELECT count(*) FROM execution WHERE status = 'running'") < 3 && steady_clock::now() < deadline) {
    for (auto& r : runs) r->Pump(milliseconds(10));
  }
  ProcessResult listed = RunProcess({BARRAGE_BINARY, "runs", "--db", db_}, kTimeout);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.err, "");
  for (const char* row : {"\n 1  running", "\n 2  running", "\n 3  running"}) {
    EXPECT_NE(listed.out.find(row), std::string::npos) << listed.out;
  }

  for (auto& r : runs) {
    ProcessResult done = r->Wait(kTimeout);
    EXPECT_EQ(done.exit_code, 0) << done.err;
    EXPECT_EQ(done.err, "");
    EXPECT_EQ(FinalSampleCount(done.out, "passed"), 300) << done.out;
  }
  for (int id = 1; id <= 3; ++id) {
    const std::string where = " WHERE execution_id = " + std::to_string(id);
    EXPECT_EQ(Text(db_, "SELECT status FROM execution WHERE id = " + std::to_string(id)), "passed");
    EXPECT_EQ(Scalar(db_, "SELECT sample_count FROM execution WHERE id = " + std::to_string(id)), 300);
    EXPECT_EQ(Scalar(db_, "SELECT count(*) FROM sample" + where), 300);
    EXPECT_EQ(Scalar(db_, "SELECT sum(count) FROM metric_bucket" + where), 300);
  }
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

// Two handles of one store in one process (as `barrage serve` keeps one per project) while
// another process opens and closes it: opening the second handle once checked the file with
// open()+close(), which dropped every POSIX lock of the process on it; the other process,
// closing last as it thought, then deleted the WAL under the first handle, and what that
// handle committed afterwards went to a deleted file (never seen by anyone else).
TEST_F(StoreCrashTest, ASecondHandleInOneProcessKeepsTheWalOfTheFirst) {
  Result<ResultsStore> first = ResultsStore::Open(db_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  Result<ResultsStore> second = ResultsStore::Open(db_, {.project = "other"});
  ASSERT_TRUE(second.ok()) << second.status().message();
  ProcessResult other = RunProcess({BARRAGE_BINARY, "runs", "--db", db_}, kTimeout);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  ExecutionInfo info;
  info.plan_path = "after.jmx";
  info.started_at_ms = 1'700'000'000'000;
  Result<int64_t> id = first->BeginExecution(info);
  ASSERT_TRUE(id.ok()) << id.status().message();
  ASSERT_TRUE(first->Finish(ExecutionStatus::kPassed, info.started_at_ms + 1).ok());
  // Another process sees the commit.
  ProcessResult listed = RunProcess({BARRAGE_BINARY, "runs", "--db", db_}, kTimeout);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("after.jmx"), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace barrage
