// The PostgreSQL results store end to end: the real `barrage` and `barrage-worker` binaries
// with --db postgresql://... on a real server (postgres_fixture.h). Reports, exports, run
// lists and comparisons of a PostgreSQL store are byte for byte those of a SQLite store
// holding the same samples; a local run and a 3-worker cluster run are recorded; a server
// killed mid-run ends the run with exit 1 and keeps every committed batch whole.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "controller/pg_util.h"
#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/jmx_xml.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::ChildProcess;
using test::El;
using test::ProcessResult;
using test::Str;

constexpr milliseconds kTimeout{60'000};
const std::string kJtl = std::string(BARRAGE_TEST_DATA_DIR) + "/jmeter213/all-columns.jtl";

// A Test Plan whose Thread Group runs `threads` x `loops` GETs of `path` on 127.0.0.1:port
// (loops -1: until --duration).
std::string Plan(int port, int threads, int loops, const std::string& path) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
            El("HTTPSamplerProxy", "Get",
               Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)) +
                   Str("HTTPSampler.path", path))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class PostgresCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    pg_ = test::PostgresServer::Start(&why);
    POSTGRES_FIXTURE_REQUIRE(pg_, why);
    std::string pattern = (fs::temp_directory_path() / "barrage-pgcli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    sqlite_ = (dir_ / "results.db").string();
    url_ = pg_->CreateDatabase("results");
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    workers_.clear();
    controller_.reset();
    if (server_) server_->Stop();
    pg_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  ProcessResult Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    return test::RunProcess(args, kTimeout);
  }

  // Runs `barrage ARGS... --db DB`; expects exit 0 and returns stdout.
  std::string Ok(std::vector<std::string> args, const std::string& db) {
    args.insert(args.end(), {"--db", db});
    ProcessResult r = Barrage(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " on " << db << ": " << r.out << r.err;
    return r.out;
  }

  std::string Write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  void StartFixture() {
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  // Every report format of run `run` in both stores: byte for byte the same.
  void ExpectSameReports(const std::string& run) {
    for (const char* format : {"text", "csv", "json", "junit"}) {
      SCOPED_TRACE(format);
      EXPECT_EQ(Ok({"report", run, "--format", format}, url_), Ok({"report", run, "--format", format}, sqlite_));
    }
    const std::string html_pg = (dir_ / ("pg-" + run + ".html")).string();
    const std::string html_sqlite = (dir_ / ("sqlite-" + run + ".html")).string();
    Ok({"report", run, "--format", "html", "-o", html_pg}, url_);
    Ok({"report", run, "--format", "html", "-o", html_sqlite}, sqlite_);
    const std::string html = ReadFile(html_pg);
    EXPECT_GT(html.size(), 1000u);
    EXPECT_TRUE(html == ReadFile(html_sqlite)) << "the HTML reports differ";
  }

  std::unique_ptr<test::PostgresServer> pg_;
  fs::path dir_;
  std::string sqlite_;
  std::string url_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::unique_ptr<ChildProcess> controller_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(PostgresCliTest, AnImportedJtlGivesByteIdenticalReportsExportsRunsAndComparisons) {
  for (const std::string& db : {sqlite_, url_}) {
    EXPECT_EQ(Ok({"import", kJtl}, db), "1\n");
    EXPECT_EQ(Ok({"import", kJtl}, db), "2\n");
  }
  ExpectSameReports("1");
  const std::string jtl_pg = (dir_ / "pg.jtl").string(), jtl_sqlite = (dir_ / "sqlite.jtl").string();
  Ok({"export", "1", "-o", jtl_pg}, url_);
  Ok({"export", "1", "-o", jtl_sqlite}, sqlite_);
  const std::string exported = ReadFile(jtl_pg);
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 199);  // header + 198 samples
  EXPECT_TRUE(exported == ReadFile(jtl_sqlite)) << "the exported JTLs differ";
  EXPECT_EQ(Ok({"compare", "1", "2"}, url_), Ok({"compare", "1", "2"}, sqlite_));
  EXPECT_EQ(Ok({"compare", "1", "2", "--format", "json"}, url_),
            Ok({"compare", "1", "2", "--format", "json"}, sqlite_));
  EXPECT_EQ(Ok({"runs", "--json"}, url_), Ok({"runs", "--json"}, sqlite_));
  EXPECT_EQ(Ok({"delete", "2"}, url_), Ok({"delete", "2"}, sqlite_));
  const std::string runs = Ok({"runs"}, url_);
  EXPECT_EQ(runs, Ok({"runs"}, sqlite_));
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 2) << runs;  // header + run 1
  ProcessResult gone = Barrage({"report", "2", "--db", url_});
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_EQ(gone.exit_code, Barrage({"report", "2", "--db", sqlite_}).exit_code);
  EXPECT_EQ(gone.err, "barrage: " + url_ + ": no run 2 in project 'default'\n");
}

TEST_F(PostgresCliTest, ALocalRunIsRecordedAndReportsAsItsExportImportedIntoSqlite) {
  StartFixture();
  const std::string plan = Write("plan.jmx", Plan(server_->port(), 3, 10, "/hello.txt"));
  ProcessResult r = Barrage({"run", plan, "--db", url_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 passed: 30 samples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", store " + url_ + "\n"), std::string::npos) << r.out;
  Result<ResultsStore> store = ResultsStore::Open(url_, {.must_exist = true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kPassed);
  EXPECT_EQ(*store->CountSamples(1), 30);
  EXPECT_EQ(store->GetExecution(1)->definition_name, "plan.jmx");
  EXPECT_TRUE(store->CheckIntegrity().ok());
  ASSERT_TRUE(store->Close().ok());
  // The same samples through a JTL into SQLite: the same Aggregate Report.
  const std::string jtl = (dir_ / "run.jtl").string();
  Ok({"export", "1", "-o", jtl}, url_);
  EXPECT_EQ(Ok({"import", jtl}, sqlite_), "1\n");
  EXPECT_EQ(Ok({"report", "1", "--format", "csv"}, url_), Ok({"report", "1", "--format", "csv"}, sqlite_));
}

TEST_F(PostgresCliTest, AThreeWorkerClusterRunIsRecordedWithEveryWorkersSamples) {
  StartFixture();
  const std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 5, "/hello.txt"));
  controller_ = std::make_unique<ChildProcess>(std::vector<std::string>{BARRAGE_BINARY, "run", plan, "--bind",
                                                                        "tcp://127.0.0.1:*", "--insecure", "--db", url_,
                                                                        "--heartbeat-ms", "200", "--workers", "3"});
  std::smatch m;
  static const std::regex kEndpoint(" on (tcp://[0-9.]+:[0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::regex_search(controller_->out(), m, kEndpoint) && std::chrono::steady_clock::now() < deadline) {
    controller_->Pump(milliseconds(10));
  }
  ASSERT_TRUE(std::regex_search(controller_->out(), m, kEndpoint)) << controller_->out() << controller_->err();
  const std::string endpoint = m[1];
  for (const char* name : {"w1", "w2", "w3"}) {
    workers_.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", name, "--work-dir",
                                 (dir_ / name).string(), "--threads", "1", "--heartbeat-ms", "200", "--insecure"}));
  }
  const auto end = std::chrono::steady_clock::now() + kTimeout;
  while (controller_->running() && std::chrono::steady_clock::now() < end) {
    controller_->Pump(milliseconds(10));
    for (auto& w : workers_) w->Pump(milliseconds(0));
  }
  ProcessResult r = controller_->Wait(milliseconds(1000));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 passed: 30 samples from 3 worker(s)"), std::string::npos) << r.out;

  Result<ResultsStore> store = ResultsStore::Open(url_, {.must_exist = true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::map<std::string, int> by_worker;
  ASSERT_TRUE(store->ForEachSample(1, [&](const Sample& s) { ++by_worker[s.thread_name.substr(0, 2)]; }).ok());
  EXPECT_EQ(by_worker, (std::map<std::string, int>{{"w1", 10}, {"w2", 10}, {"w3", 10}}));
  Result<std::vector<ExecutionWorkerRecord>> workers = store->ExecutionWorkers(1);
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 3u);
  for (const ExecutionWorkerRecord& w : *workers) {
    EXPECT_EQ(w.state, "finished");
    EXPECT_EQ(w.samples_received, 10u);
  }
  EXPECT_TRUE(store->CheckIntegrity().ok());
  ASSERT_TRUE(store->Close().ok());
  const std::string jtl = (dir_ / "run.jtl").string();
  Ok({"export", "1", "-o", jtl}, url_);
  EXPECT_EQ(Ok({"import", jtl}, sqlite_), "1\n");
  EXPECT_EQ(Ok({"report", "1", "--format", "csv"}, url_), Ok({"report", "1", "--format", "csv"}, sqlite_));
}

TEST_F(PostgresCliTest, KillingTheServerMidRunExits1AndKeepsEveryCommittedBatchWhole) {
  StartFixture();
  const std::string plan = Write("plan.jmx", Plan(server_->port(), 4, -1, "/hello.txt"));
  controller_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{BARRAGE_BINARY, "run", plan, "--db", url_, "--duration", "60"});
  // Wait until batches are committed (read through a connection of our own).
  Result<PgConnection> probe = PgConnection::Connect(url_, url_, false);
  ASSERT_TRUE(probe.ok()) << probe.status().message();
  int64_t committed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (committed < 2000 && std::chrono::steady_clock::now() < deadline && controller_->running()) {
    controller_->Pump(milliseconds(50));
    Result<PgRows> n = probe->Query("SELECT coalesce(sum(sample_count), 0) FROM execution");
    if (n.ok()) committed = n->Int(0, 0);
  }
  ASSERT_GE(committed, 2000) << controller_->out() << controller_->err();
  *probe = PgConnection();
  pg_->Kill();
  ProcessResult r = controller_->Wait(kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("barrage: the results store " + url_ + " failed (" + url_ + ": "), std::string::npos) << r.err;

  std::string why;
  ASSERT_TRUE(pg_->Restart(&why)) << why;
  Result<ResultsStore> store = ResultsStore::Open(url_, {.must_exist = true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<ExecutionRecord> run = store->GetExecution(1);
  ASSERT_TRUE(run.ok());
  // The controller could not record its end on a dead server; its run is found orphaned.
  EXPECT_EQ(run->status, ExecutionStatus::kAborted);
  EXPECT_GE(run->samples, static_cast<uint64_t>(committed));
  // Every committed batch whole: sample_count = the partition's rows = the buckets' counts.
  EXPECT_TRUE(store->CheckIntegrity().ok()) << store->CheckIntegrity().message();
  EXPECT_EQ(*store->CountSamples(1), static_cast<int64_t>(run->samples));
  uint64_t in_buckets = 0;
  ASSERT_TRUE(store->ForEachBucket(1, [&](const MetricBucket& b) { in_buckets += b.stats.elapsed_ms.count(); }).ok());
  EXPECT_EQ(in_buckets, run->samples);
  ASSERT_TRUE(store->Close().ok());
  ProcessResult report = Barrage({"report", "1", "--db", url_});
  EXPECT_EQ(report.exit_code, 0) << report.err;
}

}  // namespace
}  // namespace barrage
