#include "controller/results_store.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "controller/loaded_plan.h"
#include "tests/common/sample_expect.h"
#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using std::chrono::milliseconds;

Sample Make(int i) {
  Sample s;
  s.timestamp_ms = 1795705931000 + i;
  s.elapsed_us = 73'123 + i;
  s.latency_us = 72'001 + i;
  s.connect_us = 1'234;
  s.idle_us = 5;
  s.schedule_lag_us = i % 5 == 0 ? 120'000 + i : 0;
  s.bytes = 331 + i;
  s.sent_bytes = 118;
  s.grp_threads = 3;
  s.all_threads = 5;
  s.success = i % 3 != 0;
  s.label = i % 2 ? "hello" : "data.json";
  s.response_code = i % 3 ? "200" : "Non HTTP response code: java.net.ConnectException";
  s.response_message = i % 3 ? "OK" : "Connection refused, \"port\" 80\nsecond line";
  s.thread_name = "tg 1-" + std::to_string(i % 4 + 1);
  s.data_type = i % 3 ? "text" : "";
  s.failure_message = i % 3 ? "" : "Test failed: text expected to contain /perf-anchor/ — ünïcode";
  s.url = "http://127.0.0.1:8080/" + s.label;
  return s;
}

// Runs SQL against the file directly, as another program (or a later Barrage) would.
void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

using test::RawScalar;

ExecutionInfo Info() { return {.plan_path = "/plans/shop.jmx", .plan_name = "Shop", .started_at_ms = 1795705930953}; }

class ResultsStoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return dir_.File("results.db"); }
  TempDir dir_;
};

TEST_F(ResultsStoreTest, OpenCreatesVersionedSchemaInWalMode) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(RawScalar(DbPath(), "SELECT version FROM schema_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(RawScalar(DbPath(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                      "WHERE type = 'table' ORDER BY name)"),
            "api_token,audit_log,definition_assertion,definition_data_file,definition_file,definition_sampler,"
            "definition_thread_group,error_bucket,execution,execution_worker,label,metric_bucket,project,"
            "sample_outcome,sample_row,sample_text,schedule,schedule_event,schema_version,test_definition,threshold,"
            "threshold_result,webhook,webhook_delivery");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(name) FROM sqlite_schema WHERE type = 'view'"), "sample");
  Result<std::vector<ExecutionRecord>> all = store->ListExecutions();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(store->Close().ok());
}

TEST_F(ResultsStoreTest, ANewStoreHas16KiBPagesAnExistingOneKeepsItsOwn) {
  {
    Result<ResultsStore> store = ResultsStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_TRUE(store->Close().ok());
  }
  EXPECT_EQ(RawScalar(DbPath(), "PRAGMA page_size"), "16384");
  // A file made with 4 KiB pages (an older Barrage's, or an empty one someone created).
  const std::string old_path = dir_.File("old.db");
  RawScalar(old_path, "PRAGMA page_size=4096");
  RawScalar(old_path, "CREATE TABLE t(x)");
  RawScalar(old_path, "DROP TABLE t");
  ASSERT_EQ(RawScalar(old_path, "PRAGMA page_size"), "4096");
  Result<ResultsStore> store = ResultsStore::Open(old_path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_TRUE(store->Close().ok());
  EXPECT_EQ(RawScalar(old_path, "PRAGMA page_size"), "4096");
  EXPECT_EQ(RawScalar(old_path, "PRAGMA journal_mode"), "wal");
}

TEST_F(ResultsStoreTest, StoresAndReadsBackExactRowsInAppendOrder) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok()) << id.status().message();
  std::vector<Sample> written;
  for (int i = 0; i < 100; ++i) written.push_back(Make(i));  // 3 full 32-row inserts + 4 single rows
  ASSERT_TRUE(store->Append(std::vector<Sample>(written.begin(), written.begin() + 37)).ok());
  ASSERT_TRUE(store->Append(std::vector<Sample>(written.begin() + 37, written.end())).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kFailed, 1795705932328).ok());

  std::vector<Sample> read;
  ASSERT_TRUE(store->ForEachSample(*id, [&](const Sample& s) { read.push_back(s); }).ok());
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    ExpectSameJtlFields(read[i], written[i]);
    EXPECT_EQ(read[i].schedule_lag_us, written[i].schedule_lag_us);
  }
  Result<ExecutionRecord> e = store->GetExecution(*id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->plan_path, "/plans/shop.jmx");
  EXPECT_EQ(e->plan_name, "Shop");
  EXPECT_EQ(e->started_at_ms, 1795705930953);
  EXPECT_EQ(e->ended_at_ms, 1795705932328);
  EXPECT_EQ(e->status, ExecutionStatus::kFailed);
  EXPECT_EQ(store->samples_appended(), 100u);
  EXPECT_EQ(store->samples_committed(), 100u);
  ASSERT_TRUE(store->Close().ok());
}

TEST_F(ResultsStoreTest, LabelsAreInternedOncePerExecution) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok());
  std::vector<Sample> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Make(i));
  ASSERT_TRUE(store->Append(std::move(batch)).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  Result<std::vector<std::string>> labels = store->Labels(*id);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(*labels, (std::vector<std::string>{"data.json", "hello"}));
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM label"), "2");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(DISTINCT label_id) FROM sample"), "2");
}

TEST_F(ResultsStoreTest, ManyThreadsAppendingLoseNothing) {
  // A small queue so producers hit the backpressure, and small transactions.
  ResultsStore::Options options{
      .max_queued_samples = 2'000, .commit_every_samples = 5'000, .commit_interval = milliseconds(20)};
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), options);
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok());
  constexpr int kThreads = 8, kBatches = 100, kBatchSize = 250;
  std::vector<std::thread> producers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Sample> batch;
        for (int i = 0; i < kBatchSize; ++i) {
          Sample s = Make(i);
          s.thread_name = "producer " + std::to_string(t);
          s.timestamp_ms = b * kBatchSize + i;  // unique per producer
          batch.push_back(std::move(s));
        }
        if (!store->Append(std::move(batch)).ok()) ++failures;
      }
    });
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 2).ok());

  constexpr int64_t kTotal = int64_t{kThreads} * kBatches * kBatchSize;
  Result<int64_t> count = store->CountSamples(*id);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kTotal);
  std::set<std::pair<std::string, int64_t>> seen;
  std::vector<int64_t> last_per_producer(kThreads, -1);
  bool in_order = true;
  ASSERT_TRUE(store
                  ->ForEachSample(*id,
                                  [&](const Sample& s) {
                                    seen.emplace(s.thread_name, s.timestamp_ms);
                                    const int t = std::stoi(s.thread_name.substr(9));
                                    in_order &= s.timestamp_ms > last_per_producer[t];
                                    last_per_producer[t] = s.timestamp_ms;
                                  })
                  .ok());
  EXPECT_EQ(static_cast<int64_t>(seen.size()), kTotal);  // every sample exactly once
  EXPECT_TRUE(in_order);                                 // each producer's samples keep their order
  EXPECT_TRUE(store->CheckIntegrity().ok());
  EXPECT_EQ(store->samples_committed(), static_cast<uint64_t>(kTotal));
  ASSERT_TRUE(store->Close().ok());
}

TEST_F(ResultsStoreTest, BatchLargerThanTheQueueIsAccepted) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.max_queued_samples = 10});
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok());
  for (int round = 0; round < 3; ++round) {
    std::vector<Sample> batch(1000, Make(1));
    ASSERT_TRUE(store->Append(std::move(batch)).ok());
  }
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 3).ok());
  EXPECT_EQ(*store->CountSamples(*id), 3000);
}

TEST_F(ResultsStoreTest, CommitsAfterTheIntervalWithoutAFlush) {
  Result<ResultsStore> store =
      ResultsStore::Open(DbPath(), {.commit_every_samples = 1'000'000, .commit_interval = milliseconds(50)});
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store->Append({Make(1), Make(2), Make(3)}).ok());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int64_t visible = 0;
  while (visible < 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(10));
    visible = store->CountSamples(*id).value();
  }
  EXPECT_EQ(visible, 3);
  EXPECT_EQ(store->samples_committed(), 3u);
}

TEST_F(ResultsStoreTest, CommitsEveryNSamples) {
  Result<ResultsStore> store =
      ResultsStore::Open(DbPath(), {.commit_every_samples = 100, .commit_interval = std::chrono::hours(1)});
  ASSERT_TRUE(store.ok());
  Result<int64_t> id = store->BeginExecution(Info());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store->Append(std::vector<Sample>(250, Make(1))).ok());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (store->samples_committed() < 250 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  // One 250-sample batch reaches the 100-row limit once: committed whole, no timer needed.
  EXPECT_EQ(store->samples_committed(), 250u);
  EXPECT_EQ(store->CountSamples(*id).value(), 250);
}

TEST_F(ResultsStoreTest, AppendWithoutARunningExecutionFails) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Status st = store->Append({Make(1)});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(DbPath()), std::string::npos) << st.message();
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  EXPECT_FALSE(store->Append({Make(1)}).ok());
}

TEST_F(ResultsStoreTest, SecondExecutionWhileOneRunsFails) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  EXPECT_FALSE(store->BeginExecution(Info()).ok());
}

TEST_F(ResultsStoreTest, ExecutionsKeepTheirOwnSamplesAndLabels) {
  int64_t first = 0, second = 0;
  {
    Result<ResultsStore> store = ResultsStore::Open(DbPath());
    ASSERT_TRUE(store.ok());
    first = store->BeginExecution(Info()).value();
    ASSERT_TRUE(store->Append({Make(1), Make(2)}).ok());
    ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 10).ok());
    ASSERT_TRUE(store->Close().ok());
  }
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  second = store->BeginExecution(Info()).value();
  ASSERT_TRUE(store->Append({Make(2), Make(2), Make(2)}).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPartial, 20).ok());
  EXPECT_NE(first, second);
  EXPECT_EQ(store->CountSamples(first).value(), 2);
  EXPECT_EQ(store->CountSamples(second).value(), 3);
  EXPECT_EQ(store->Labels(first).value(), (std::vector<std::string>{"hello", "data.json"}));
  EXPECT_EQ(store->Labels(second).value(), (std::vector<std::string>{"data.json"}));
  Result<std::vector<ExecutionRecord>> all = store->ListExecutions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].status, ExecutionStatus::kPassed);
  EXPECT_EQ((*all)[1].status, ExecutionStatus::kPartial);
}

TEST_F(ResultsStoreTest, CloseDrainsAndMarksARunningExecutionAborted) {
  int64_t id = 0;
  {
    Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.commit_interval = std::chrono::hours(1)});
    ASSERT_TRUE(store.ok());
    id = store->BeginExecution(Info()).value();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Append(std::vector<Sample>(100, Make(i))).ok());
    ASSERT_TRUE(store->Close().ok());
    EXPECT_TRUE(store->Close().ok());  // idempotent
    EXPECT_FALSE(store->Append({Make(1)}).ok());
  }
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->CountSamples(id).value(), 2000);
  Result<ExecutionRecord> e = store->GetExecution(id);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, ExecutionStatus::kAborted);
  EXPECT_TRUE(e->ended_at_ms.has_value());
}

TEST_F(ResultsStoreTest, InterruptedExecutionsAreMarkedAborted) {
  ASSERT_TRUE(ResultsStore::Open(DbPath()).ok());
  // What a controller that died mid-run leaves behind.
  RawSql(DbPath(), "INSERT INTO execution(plan_path, plan_name, started_at, status) VALUES ('p', 'n', 1, 'running')");
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Result<int> marked = store->MarkInterruptedExecutions();
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  Result<ExecutionRecord> e = store->GetExecution(1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, ExecutionStatus::kAborted);
  EXPECT_FALSE(e->ended_at_ms.has_value());
}

TEST_F(ResultsStoreTest, MissingExecutionIsNotFound) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Result<ExecutionRecord> e = store->GetExecution(42);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kNotFound);
}

// CI failure: three `barrage run`s created one new store at once and one was refused as
// "a SQLite database with other tables": it read application_id before another opener's
// schema commit and the table count after it. Openers racing on a new file all succeed.
TEST_F(ResultsStoreTest, ManyOpenersCreatingOneNewStoreAtOnceAllSucceed) {
  constexpr int kRounds = 40, kOpeners = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = dir_.File("race-" + std::to_string(round) + ".db");
    std::vector<std::string> errors(kOpeners);
    std::atomic<int> ready = 0;
    std::vector<std::thread> openers;
    for (int i = 0; i < kOpeners; ++i) {
      openers.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < kOpeners) {
        }
        Result<ResultsStore> store = ResultsStore::Open(path);
        if (!store.ok()) errors[i] = store.status().message();
      });
    }
    for (auto& t : openers) t.join();
    for (int i = 0; i < kOpeners; ++i) EXPECT_EQ(errors[i], "") << "round " << round << ", opener " << i;
  }
}

TEST_F(ResultsStoreTest, NonDatabaseFileIsRejectedNamingIt) {
  WriteWholeFile(DbPath(), std::string(4096, 'x'));
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(DbPath()), std::string::npos) << store.status().message();
}

TEST_F(ResultsStoreTest, ForeignSqliteDatabaseIsRejected) {
  RawSql(DbPath(), "CREATE TABLE customers(id INTEGER)");
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), DbPath() + ": not a Barrage results store (a SQLite database with other tables)");
}

TEST_F(ResultsStoreTest, ForeignSqliteDatabaseIsLeftByteForByte) {
  RawSql(DbPath(), "CREATE TABLE customers(id INTEGER)");
  const std::string before = ReadWholeFile(DbPath());
  ASSERT_FALSE(ResultsStore::Open(DbPath()).ok());
  EXPECT_EQ(ReadWholeFile(DbPath()), before);  // not switched to WAL
  EXPECT_FALSE(std::filesystem::exists(DbPath() + "-wal"));
}

TEST_F(ResultsStoreTest, EmptyFileIsNotAStoreForReadersAndStaysEmpty) {
  WriteWholeFile(DbPath(), "");
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.must_exist = true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store.status().message(), DbPath() + ": not a Barrage results store (an empty file)");
  EXPECT_EQ(std::filesystem::file_size(DbPath()), 0u);
}

TEST_F(ResultsStoreTest, NonDatabaseFileIsNotAStoreForReaders) {
  WriteWholeFile(DbPath(), std::string(4096, 'x'));
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.must_exist = true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), DbPath() + ": not a Barrage results store (not an SQLite database)");
  EXPECT_EQ(ReadWholeFile(DbPath()), std::string(4096, 'x'));
}

TEST_F(ResultsStoreTest, EmptyFileBecomesAStoreForWriters) {
  WriteWholeFile(DbPath(), "");
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_TRUE(store->Close().ok());
  EXPECT_TRUE(ResultsStore::Open(DbPath(), {.must_exist = true}).ok());
}

TEST_F(ResultsStoreTest, DirectoryAndDeviceAreNotStores) {
  Result<ResultsStore> dir = ResultsStore::Open(dir_.File(""));
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().message(), dir_.File("") + ": not a regular file (a directory)");
  Result<ResultsStore> dev = ResultsStore::Open("/dev/zero");
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.status().message(), "/dev/zero: not a regular file (a character device)");
}

TEST_F(ResultsStoreTest, NewerSchemaIsRejected) {
  ASSERT_TRUE(ResultsStore::Open(DbPath()).ok());
  RawSql(DbPath(), "UPDATE schema_version SET version = 99");
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos);
}

TEST_F(ResultsStoreTest, UnwritableLocationNamesTheFile) {
  const std::string path = dir_.File("no-such-dir/results.db");
  Result<ResultsStore> store = ResultsStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

TEST_F(ResultsStoreTest, WriteFailureIsReportedNotSwallowed) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.commit_every_samples = 1'000});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  // Files of this process may not grow past 256 KiB from here on: the WAL hits the limit.
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 256 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Status append;
  for (int i = 0; i < 100 && append.ok(); ++i) append = store->Append(std::vector<Sample>(1'000, Make(i)));
  Status finish = store->Finish(ExecutionStatus::kPassed, 5);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(finish.ok());
  EXPECT_NE(finish.message().find(DbPath()), std::string::npos) << finish.message();
  EXPECT_FALSE(store->Append({Make(1)}).ok());
  EXPECT_LT(store->samples_committed(), store->samples_appended());
  EXPECT_FALSE(store->Close().ok());
}

// --- schema version 2: migrations, projects, definitions, rollups, thresholds, workers ---

// A results store as schema version 1 (the engine issue's barrage) wrote it, with one
// finished execution of three samples: two labels, one failure, two seconds.
void WriteVersionOneStore(const std::string& path) {
  RawSql(path, R"sql(
PRAGMA application_id = 1111577170;
CREATE TABLE execution(id INTEGER PRIMARY KEY, plan_path TEXT NOT NULL, plan_name TEXT NOT NULL,
  started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL
  CHECK (status IN ('running', 'passed', 'failed', 'aborted', 'errored', 'partial')));
CREATE TABLE label(execution_id INTEGER NOT NULL REFERENCES execution(id), id INTEGER NOT NULL,
  name TEXT NOT NULL, PRIMARY KEY (execution_id, id), UNIQUE (execution_id, name)) WITHOUT ROWID;
CREATE TABLE sample(id INTEGER PRIMARY KEY, execution_id INTEGER NOT NULL REFERENCES execution(id),
  label_id INTEGER NOT NULL, thread TEXT NOT NULL, ts_ms INTEGER NOT NULL, elapsed_us INTEGER NOT NULL,
  latency_us INTEGER NOT NULL, connect_us INTEGER NOT NULL, idle_us INTEGER NOT NULL, code TEXT NOT NULL,
  message TEXT NOT NULL, success INTEGER NOT NULL, failure_message TEXT NOT NULL, bytes INTEGER NOT NULL,
  sent_bytes INTEGER NOT NULL, grp_threads INTEGER NOT NULL, all_threads INTEGER NOT NULL, url TEXT NOT NULL,
  data_type TEXT NOT NULL);
CREATE TABLE schema_version(version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
INSERT INTO execution VALUES (3, '/plans/old.jmx', 'Old', 1795705930000, 1795705933000, 'passed');
INSERT INTO label VALUES (3, 1, 'home'), (3, 2, 'login');
INSERT INTO sample VALUES
  (3298534883328, 3, 1, 'tg 1-1', 1795705931200, 12999, 5000, 1000, 0, '200', 'OK', 1, '', 100, 10, 1, 1, 'u', 'text'),
  (3298534883329, 3, 2, 'tg 1-1', 1795705931900, 250000, 249000, 0, 0, '500', 'Server Error', 0, '', 50, 20, 1, 2, 'u', 'text'),
  (3298534883330, 3, 1, 'tg 1-2', 1795705932100, 7000, 6999, 0, 0, '200', 'OK', 1, '', 300, 30, 2, 2, 'u', 'text');
)sql");
}

TEST_F(ResultsStoreTest, VersionOneFileIsMigratedInPlace) {
  WriteVersionOneStore(DbPath());
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(version) FROM schema_version"),
            std::to_string(ResultsStore::kSchemaVersion));
  Result<ExecutionRecord> e = store->GetExecution(3);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->plan_name, "Old");
  EXPECT_EQ(e->status, ExecutionStatus::kPassed);
  EXPECT_EQ(e->dropped_iterations, 0);
  EXPECT_EQ(e->project, "default");
  EXPECT_EQ(e->samples, 3u);
  EXPECT_FALSE(e->definition_id.has_value());
  EXPECT_EQ(e->definition_version, 0);
  EXPECT_EQ(e->verdict, "");
  EXPECT_EQ(e->infra_json, R"({"mode":"local"})");
  EXPECT_EQ(e->properties_json, "{}");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(worker_id) FROM sample"), "0,0,0");
  // Version 3: older samples had no schedule.
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(schedule_lag_us) FROM sample"), "0,0,0");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM metric_bucket WHERE late = 0 AND corrected_histogram IS NULL"),
            "3");
  std::vector<Sample> read;
  ASSERT_TRUE(store->ForEachSample(3, [&](const Sample& s) { read.push_back(s); }).ok());
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[1].label, "login");
  EXPECT_EQ(read[1].response_message, "Server Error");
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST_F(ResultsStoreTest, MigrationWritesTheRollupsOfOldExecutions) {
  WriteVersionOneStore(DbPath());
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<std::string> rows;
  ASSERT_TRUE(store
                  ->ForEachBucket(3,
                                  [&](const MetricBucket& b) {
                                    rows.push_back(
                                        std::to_string(b.second) + " " + std::to_string(b.label_id) + " " +
                                        std::to_string(b.stats.elapsed_ms.count()) + " " +
                                        std::to_string(b.stats.elapsed_ms.sum()) + " " +
                                        std::to_string(b.stats.errors) + " " + std::to_string(b.stats.bytes) + " " +
                                        std::to_string(b.latency_sum_ms) + " " + std::to_string(b.max_all_threads));
                                  })
                  .ok());
  EXPECT_EQ(rows, (std::vector<std::string>{"1795705931 0 1 12 0 100 5 1", "1795705931 1 1 250 1 50 249 2",
                                            "1795705932 0 1 7 0 300 6 2"}));
  std::vector<std::string> errors;
  ASSERT_TRUE(store
                  ->ForEachErrorBucket(3,
                                       [&](const ErrorBucket& b) {
                                         errors.push_back(std::to_string(b.second) + " " + std::to_string(b.label_id) +
                                                          " " + b.type + " " + std::to_string(b.count));
                                       })
                  .ok());
  EXPECT_EQ(errors, (std::vector<std::string>{"1795705931 1 500/Server Error 1"}));
}

TEST_F(ResultsStoreTest, NewerSchemaIsRefusedWithAClearMessage) {
  ASSERT_TRUE(ResultsStore::Open(DbPath()).ok());
  const std::string newer = std::to_string(ResultsStore::kSchemaVersion + 1);
  RawSql(DbPath(), "UPDATE schema_version SET version = " + newer);
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), DbPath() + ": results store has schema version " + newer +
                                          ", newer than this barrage understands (" +
                                          std::to_string(ResultsStore::kSchemaVersion) + "); use a newer barrage");
}

std::string Jmx(const std::string& threads) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"Shop\"/><hashTree>\n"
         "<ThreadGroup testclass=\"ThreadGroup\" testname=\"buyers\">"
         "<stringProp name=\"ThreadGroup.num_threads\">" +
         threads +
         "</stringProp>"
         "<stringProp name=\"ThreadGroup.ramp_time\">30</stringProp>"
         "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
         "<intProp name=\"LoopController.loops\">-1</intProp></elementProp>"
         "<boolProp name=\"ThreadGroup.scheduler\">true</boolProp>"
         "<stringProp name=\"ThreadGroup.duration\">300</stringProp>"
         "</ThreadGroup><hashTree>\n"
         "<CSVDataSet testclass=\"CSVDataSet\" testname=\"users\">"
         "<stringProp name=\"filename\">data/users-${env}.csv</stringProp>"
         "<stringProp name=\"variableNames\">user,password</stringProp></CSVDataSet><hashTree/>\n"
         "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"login\">"
         "<stringProp name=\"HTTPSampler.domain\">127.0.0.1</stringProp>"
         "<stringProp name=\"HTTPSampler.port\">8080</stringProp>"
         "<stringProp name=\"HTTPSampler.method\">POST</stringProp>"
         "<stringProp name=\"HTTPSampler.path\">/login</stringProp></HTTPSamplerProxy><hashTree>\n"
         "<ResponseAssertion testclass=\"ResponseAssertion\" testname=\"is 200\"/><hashTree/>\n"
         "<DurationAssertion testclass=\"DurationAssertion\" testname=\"fast\"/><hashTree/>\n"
         "</hashTree>\n"
         "<DebugSampler testclass=\"DebugSampler\" testname=\"dbg\"/><hashTree/>\n"
         "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
}

ExecutionInfo InfoWith(const std::string& path, const std::string& jmx, const std::string& project = "default") {
  ExecutionInfo info = Info();
  info.plan_path = path;
  info.plan_jmx = jmx;
  // As a run does: the metadata of the plan it loaded (none when the plan does not parse).
  if (Result<LoadedPlan> plan = LoadPlan(path, [&](const std::string&) { return Result<std::string>(jmx); });
      plan.ok()) {
    info.plan_metadata = plan->metadata;
  }
  info.project = project;
  return info;
}

// Runs one empty execution and returns its record.
ExecutionRecord RunOnce(ResultsStore& store, const ExecutionInfo& info) {
  Result<int64_t> id = store.BeginExecution(info);
  EXPECT_TRUE(id.ok()) << id.status().message();
  EXPECT_TRUE(store.Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  return store.GetExecution(*id).value();
}

TEST_F(ResultsStoreTest, SameBytesAreOneDefinitionVersion) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  ExecutionRecord a = RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("10")));
  ExecutionRecord b = RunOnce(*store, InfoWith("/other/dir/shop.jmx", Jmx("10")));
  EXPECT_EQ(a.definition_version, 1);
  EXPECT_EQ(b.definition_version, 1);
  EXPECT_EQ(a.definition_id, b.definition_id);
  EXPECT_EQ(a.plan_sha256.size(), 64u);
  EXPECT_EQ(a.plan_sha256, b.plan_sha256);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM test_definition"), "1");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT name || ' v' || version FROM test_definition"), "shop.jmx v1");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT jmx FROM test_definition"), Jmx("10"));
}

TEST_F(ResultsStoreTest, ChangedBytesAreTheNextVersion) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("10")));
  ExecutionRecord v2 = RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("20")));
  ExecutionRecord back = RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("10")));
  ExecutionRecord other = RunOnce(*store, InfoWith("/plans/cart.jmx", Jmx("30")));
  EXPECT_EQ(v2.definition_version, 2);
  EXPECT_EQ(back.definition_version, 1);   // the first content again
  EXPECT_EQ(other.definition_version, 1);  // another plan name counts on its own
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(name || ' v' || version, ', ') FROM "
                      "(SELECT * FROM test_definition ORDER BY id)"),
            "shop.jmx v1, shop.jmx v2, cart.jmx v1");
}

TEST_F(ResultsStoreTest, DefinitionsAreVersionedPerProject) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("10")));
  RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("20")));
  ExecutionRecord in_b = RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("20"), "team-b"));
  EXPECT_EQ(in_b.project, "team-b");
  EXPECT_EQ(in_b.definition_version, 1);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(name, ',') FROM (SELECT name FROM project ORDER BY id)"),
            "default,team-b");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM test_definition"), "3");
}

TEST_F(ResultsStoreTest, DefinitionMetadataIsExtractedFromThePlan) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  RunOnce(*store, InfoWith("/plans/shop.jmx", Jmx("${__P(users,5)}")));
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT name || '|' || kind || '|' || threads || '|' || typeof(threads) || '|' || "
                      "ramp_time || '|' || typeof(ramp_time) || '|' || loops || '|' || duration "
                      "FROM definition_thread_group"),
            "buyers|thread_group|${__P(users,5)}|text|30|integer|-1|300");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(name || '|' || kind || '|' || coalesce(method, 'NULL') || '|' || "
                      "coalesce(url, 'NULL'), ', ') FROM (SELECT * FROM definition_sampler ORDER BY position)"),
            "login|http|POST|http://127.0.0.1:8080/login, dbg|debug|NULL|NULL");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(name || '|' || type, ', ') FROM "
                      "(SELECT * FROM definition_assertion ORDER BY position)"),
            "is 200|ResponseAssertion, fast|DurationAssertion");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT path || '|' || variable_names FROM definition_data_file"),
            "data/users-${env}.csv|user,password");
}

TEST_F(ResultsStoreTest, UnparsablePlanIsKeptWithoutMetadata) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  ExecutionRecord e = RunOnce(*store, InfoWith("/plans/broken.jmx", "<jmeterTestPlan><unclosed"));
  EXPECT_EQ(e.definition_version, 1);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT jmx FROM test_definition"), "<jmeterTestPlan><unclosed");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT (SELECT count(*) FROM definition_thread_group) + "
                      "(SELECT count(*) FROM definition_sampler)"),
            "0");
}

TEST_F(ResultsStoreTest, ExecutionFactsRoundTrip) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  ExecutionInfo info = InfoWith("/plans/shop.jmx", Jmx("10"));
  info.properties_json = R"({"env":"staging","users":"50"})";
  info.infra_json = R"({"mode":"cluster","workers":2,"share":"per-worker"})";
  info.triggered_by = "ci-bot";
  ExecutionRecord e = RunOnce(*store, info);
  EXPECT_EQ(e.properties_json, info.properties_json);
  EXPECT_EQ(e.infra_json, info.infra_json);
  EXPECT_EQ(e.triggered_by, "ci-bot");
  // Arrivals dynamic thread groups dropped (issue 12): 0 until the run's end sets them.
  EXPECT_EQ(e.dropped_iterations, 0);
  ASSERT_TRUE(store->SetExecutionDroppedIterations(e.id, 5).ok());
  EXPECT_EQ(store->GetExecution(e.id)->dropped_iterations, 5);
  EXPECT_FALSE(store->SetExecutionDroppedIterations(e.id + 100, 1).ok());
  ExecutionRecord defaulted = RunOnce(*store, Info());
  EXPECT_EQ(defaulted.triggered_by, CurrentOsUser());
  EXPECT_FALSE(defaulted.definition_id.has_value());
}

TEST_F(ResultsStoreTest, CurrentOsUserIsTheEffectiveUsersName) {
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(CurrentOsUser(), pw->pw_name);
}

// Samples over three seconds, two labels, two workers, with failures of both error kinds.
std::vector<Sample> Spread(int n, int offset) {
  std::vector<Sample> v;
  for (int i = 0; i < n; ++i) {
    Sample s = Make(i + offset);
    s.timestamp_ms = 1795705931000 + (i * 37) % 3000 - 500;  // 1795705930.5 .. 1795705933.5
    s.elapsed_us = 1000 * ((i * 7919) % 400) + 999;
    s.latency_us = s.elapsed_us / 2;
    s.connect_us = i % 5 ? 0 : 2500;
    s.all_threads = i % 17;
    s.grp_threads = i % 13;
    s.schedule_lag_us = i % 11 == 0 ? 1000 * (i % 900) + 999 : 0;  // late, from 0 ms (on time) to 899 ms
    v.push_back(s);
  }
  return v;
}

using BucketKeyT = std::tuple<int64_t, int64_t, int32_t>;

struct Expected {
  AggregateStats stats;
  int64_t latency = 0, connect = 0;
  int32_t all = 0, grp = 0;
};

TEST_F(ResultsStoreTest, BucketsEqualARecomputationFromTheRawSamples) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.commit_every_samples = 300});
  ASSERT_TRUE(store.ok());
  const int64_t id = store->BeginExecution(Info()).value();
  const std::vector<Sample> local = Spread(1000, 0), remote = Spread(700, 1);
  for (size_t i = 0; i < local.size(); i += 100) {  // commits every 300 samples split the keys' rows
    ASSERT_TRUE(store->Append(std::vector<Sample>(local.begin() + i, local.begin() + i + 100)).ok());
  }
  ASSERT_TRUE(store->Append(std::vector<Sample>(remote), 7).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705940000).ok());

  const std::vector<std::string> labels = store->Labels(id).value();
  std::map<BucketKeyT, Expected> want;
  auto expect = [&](const std::vector<Sample>& samples, int32_t worker) {
    for (const Sample& s : samples) {
      const int64_t label = std::find(labels.begin(), labels.end(), s.label) - labels.begin();
      Expected& e = want[{s.timestamp_ms / 1000, label, worker}];
      e.stats.Add(s);
      e.latency += s.latency_us / 1000;
      e.connect += s.connect_us / 1000;
      e.all = std::max(e.all, s.all_threads);
      e.grp = std::max(e.grp, s.grp_threads);
    }
  };
  expect(local, 0);
  expect(remote, 7);

  std::map<BucketKeyT, Expected> got;
  int rows = 0;
  ASSERT_TRUE(store
                  ->ForEachBucket(id,
                                  [&](const MetricBucket& b) {
                                    ++rows;
                                    Expected& e = got[{b.second, b.label_id, b.worker_id}];
                                    e.stats.Merge(b.stats);
                                    e.latency += b.latency_sum_ms;
                                    e.connect += b.connect_sum_ms;
                                    e.all = std::max(e.all, b.max_all_threads);
                                    e.grp = std::max(e.grp, b.max_grp_threads);
                                  })
                  .ok());
  EXPECT_GT(rows, static_cast<int>(want.size()));  // partial rows, merged above
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(want.size(), 16u);  // 4 seconds x 2 labels x 2 workers
  for (const auto& [key, w] : want) {
    SCOPED_TRACE(std::to_string(std::get<0>(key)) + " " + std::to_string(std::get<1>(key)) + " " +
                 std::to_string(std::get<2>(key)));
    const Expected& g = got[key];
    EXPECT_TRUE(g.stats.elapsed_ms == w.stats.elapsed_ms);
    EXPECT_EQ(g.stats.late, w.stats.late);
    EXPECT_TRUE(g.stats.Corrected() == w.stats.Corrected());
    EXPECT_EQ(g.stats.errors, w.stats.errors);
    EXPECT_EQ(g.stats.bytes, w.stats.bytes);
    EXPECT_EQ(g.stats.sent_bytes, w.stats.sent_bytes);
    EXPECT_EQ(g.stats.first_start_ms, w.stats.first_start_ms);
    EXPECT_EQ(g.stats.last_end_ms, w.stats.last_end_ms);
    EXPECT_EQ(g.latency, w.latency);
    EXPECT_EQ(g.connect, w.connect);
    EXPECT_EQ(g.all, w.all);
    EXPECT_EQ(g.grp, w.grp);
  }
  EXPECT_EQ(RawScalar(DbPath(), "SELECT sum(count) FROM metric_bucket"), "1700");
  // Late: i % 11 == 0 but i = 0 (lag 0 ms): 90 of the 1000, 63 of the 700.
  EXPECT_EQ(RawScalar(DbPath(), "SELECT sum(late) FROM metric_bucket"), "153");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM metric_bucket WHERE (late = 0) != (corrected_histogram IS NULL)"),
            "0");
  EXPECT_EQ(store->GetExecution(id)->samples, 1700u);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sample WHERE worker_id = 7"), "700");
}

TEST_F(ResultsStoreTest, ErrorBucketsCountFailuresByType) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  const int64_t id = store->BeginExecution(Info()).value();
  Sample assertion = Make(1), refused = Make(2), server = Make(3), ok = Make(4);
  assertion.success = refused.success = server.success = false;
  ok.success = true;
  for (Sample* s : {&assertion, &refused, &server, &ok}) {
    s->timestamp_ms = 1795705931500;
    s->label = "login";
  }
  assertion.failure_message = "Test failed: text expected to contain /welcome/";
  refused.failure_message = "";
  refused.response_code = "Non HTTP response code: java.net.ConnectException";
  refused.response_message = "Non HTTP response message: Connection refused";
  server.failure_message = "";
  server.response_code = "503";
  server.response_message = "Service Unavailable";
  ASSERT_TRUE(store->Append({assertion, refused, server, server, ok, assertion}).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  std::vector<std::string> got;
  ASSERT_TRUE(store
                  ->ForEachErrorBucket(id,
                                       [&](const ErrorBucket& b) {
                                         got.push_back(std::to_string(b.second) + "|" + std::to_string(b.label_id) +
                                                       "|" + std::to_string(b.worker_id) + "|" + b.type + "|" +
                                                       std::to_string(b.count));
                                       })
                  .ok());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "1795705931|0|0|503/Service Unavailable|2",
                     "1795705931|0|0|Non HTTP response code: java.net.ConnectException/Non HTTP response message: "
                     "Connection refused|1",
                     "1795705931|0|0|Test failed: text expected to contain /welcome/|2"}));
}

TEST_F(ResultsStoreTest, ThresholdResultsRoundTripAndSetTheVerdict) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  const int64_t id = RunOnce(*store, Info()).id;
  EXPECT_EQ(store->GetExecution(id)->verdict, "");
  const std::vector<ThresholdRecord> first = {
      {"p(95)<500", "", "p(95)", "<", 500, 431, true},
      {"login: p(99)<800", "login", "p(99)", "<", 800, 912.5, false},
  };
  ASSERT_TRUE(store->RecordThresholdResults(id, first).ok());
  Result<std::vector<ThresholdRecord>> back = store->ThresholdResults(id);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].expression, "login: p(99)<800");
  EXPECT_EQ((*back)[1].label, "login");
  EXPECT_EQ((*back)[1].metric, "p(99)");
  EXPECT_EQ((*back)[1].op, "<");
  EXPECT_EQ((*back)[1].target, 800);
  EXPECT_EQ((*back)[1].observed, 912.5);
  EXPECT_FALSE((*back)[1].passed);
  EXPECT_TRUE((*back)[0].passed);
  EXPECT_EQ(store->GetExecution(id)->verdict, "failed");

  ASSERT_TRUE(store->RecordThresholdResults(id, {{"error_rate<0.01", "", "error_rate", "<", 0.01, 0, true}}).ok());
  back = store->ThresholdResults(id);
  ASSERT_EQ(back->size(), 1u);  // replaced, not added
  EXPECT_EQ((*back)[0].expression, "error_rate<0.01");
  EXPECT_EQ(store->GetExecution(id)->verdict, "passed");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM threshold_result"), "1");
  Result<std::vector<AuditRecord>> audit = store->AuditLog(id);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 4u);
  EXPECT_EQ((*audit)[2].what, "evaluated");
  EXPECT_EQ((*audit)[2].details, R"({"failed":1,"thresholds":2})");
  EXPECT_EQ((*audit)[3].details, R"({"failed":0,"thresholds":1})");
}

TEST_F(ResultsStoreTest, ThresholdsOfAMissingExecutionAreRefused) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  Status st = store->RecordThresholdResults(9, {});
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_EQ(st.message(), DbPath() + ": no execution 9");
}

TEST_F(ResultsStoreTest, ExecutionWorkersRoundTripAndUpsert) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  const int64_t id = store->BeginExecution(Info()).value();
  ExecutionWorkerRecord w1{.worker_id = 1,
                           .name = "lg-1",
                           .host = "10.0.0.5",
                           .joined_at_ms = 1795705930100,
                           .left_at_ms = std::nullopt,
                           .state = "finished",
                           .samples_received = 0,
                           .batches_received = 0,
                           .samples_lost = 0,
                           .duplicate_batches = 0,
                           .clock_offset_us = -1500};
  ExecutionWorkerRecord w2 = w1;
  w2.worker_id = 2;
  w2.name = "lg-2";
  w2.state = "lost";
  w2.left_at_ms = 1795705939000;
  w2.samples_lost = 12;
  ASSERT_TRUE(store->UpsertExecutionWorker(id, w2).ok());
  ASSERT_TRUE(store->UpsertExecutionWorker(id, w1).ok());
  w1.samples_received = 123456;
  w1.batches_received = 130;
  w1.duplicate_batches = 3;
  w1.left_at_ms = 1795705940000;
  ASSERT_TRUE(store->UpsertExecutionWorker(id, w1).ok());
  Result<std::vector<ExecutionWorkerRecord>> got = store->ExecutionWorkers(id);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  const ExecutionWorkerRecord& a = (*got)[0];
  EXPECT_EQ(a.worker_id, 1);
  EXPECT_EQ(a.name, "lg-1");
  EXPECT_EQ(a.host, "10.0.0.5");
  EXPECT_EQ(a.joined_at_ms, 1795705930100);
  EXPECT_EQ(a.left_at_ms, 1795705940000);
  EXPECT_EQ(a.state, "finished");
  EXPECT_EQ(a.samples_received, 123456u);
  EXPECT_EQ(a.batches_received, 130u);
  EXPECT_EQ(a.duplicate_batches, 3u);
  EXPECT_EQ(a.samples_lost, 0u);
  EXPECT_EQ(a.clock_offset_us, -1500);
  EXPECT_EQ((*got)[1].state, "lost");
  EXPECT_EQ((*got)[1].samples_lost, 12u);
  EXPECT_EQ((*got)[1].left_at_ms, 1795705939000);
}

TEST_F(ResultsStoreTest, ResolveRunFindsLastLastPassedAndIdsInTheProject) {
  {
    Result<ResultsStore> store = ResultsStore::Open(DbPath());
    ASSERT_TRUE(store.ok());
    for (ExecutionStatus s : {ExecutionStatus::kPassed, ExecutionStatus::kFailed}) {
      store->BeginExecution(Info()).value();
      ASSERT_TRUE(store->Finish(s, 1795705940000).ok());
    }
    ExecutionInfo other = Info();
    other.project = "other";
    store->BeginExecution(other).value();  // id 3
    ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  }
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->ResolveRun("last").value(), 2);
  EXPECT_EQ(store->ResolveRun("last-passed").value(), 1);
  EXPECT_EQ(store->ResolveRun("2").value(), 2);
  EXPECT_EQ(store->ResolveRun("3").status().message(), DbPath() + ": no run 3 in project 'default'");
  EXPECT_EQ(store->ResolveRun("abc").status().message(), "run 'abc': expected a run id, 'last' or 'last-passed'");
  EXPECT_EQ(store->ResolveRun("").status().code(), Status::Code::kInvalidArgument);
  Result<ResultsStore> other = ResultsStore::Open(DbPath(), {.project = "other"});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->ResolveRun("last").value(), 3);
  EXPECT_EQ(other->ListExecutions()->size(), 1u);
  Result<ResultsStore> empty = ResultsStore::Open(DbPath(), {.project = "nobody"});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ResolveRun("last").status().message(), DbPath() + ": no runs in project 'nobody'");
  EXPECT_EQ(empty->ResolveRun("last-passed").status().message(), DbPath() + ": no passed run in project 'nobody'");
}

TEST_F(ResultsStoreTest, SetExecutionStatusUpdatesAFinishedRun) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  const int64_t id = RunOnce(*store, Info()).id;
  ASSERT_TRUE(store->SetExecutionStatus(id, ExecutionStatus::kFailed).ok());
  EXPECT_EQ(store->GetExecution(id)->status, ExecutionStatus::kFailed);
  EXPECT_EQ(store->SetExecutionStatus(42, ExecutionStatus::kFailed).code(), Status::Code::kNotFound);
}

TEST_F(ResultsStoreTest, StartAndStopAreAudited) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  const int64_t id = store->BeginExecution(InfoWith("/plans/shop.jmx", Jmx("10"))).value();
  ASSERT_TRUE(store->Append({Make(1), Make(2)}).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  ASSERT_TRUE(store->Audit("exported", id, R"({"file":"out.jtl"})").ok());
  Result<std::vector<AuditRecord>> audit = store->AuditLog(id);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].what, "started");
  EXPECT_EQ((*audit)[0].details, R"({"definition_version":1,"plan":"/plans/shop.jmx","project":"default"})");
  EXPECT_EQ((*audit)[1].what, "stopped");
  EXPECT_EQ((*audit)[1].details, R"({"samples":2,"status":"passed"})");
  EXPECT_EQ((*audit)[2].what, "exported");
  for (const AuditRecord& r : *audit) {
    EXPECT_EQ(r.who, CurrentOsUser());
    EXPECT_EQ(r.execution_id, id);
    EXPECT_GT(r.at_ms, 0);
  }
  EXPECT_EQ(RawScalar(DbPath(), "SELECT DISTINCT project_id FROM audit_log"), "1");
}

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

std::string Hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

TEST_F(ResultsStoreTest, OrphanOfADeadControllerIsAbortedAndAudited) {
  ASSERT_TRUE(ResultsStore::Open(DbPath()).ok());
  RawSql(DbPath(),
         "INSERT INTO execution(plan_path, plan_name, started_at, status, controller_host, controller_pid) "
         "VALUES ('p', 'n', 1, 'running', '" +
             Hostname() + "', " + std::to_string(DeadPid()) + ")");
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->MarkInterruptedExecutions().value(), 1);
  EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kAborted);
  Result<std::vector<AuditRecord>> audit = store->AuditLog(1);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].what, "stopped");
  EXPECT_EQ((*audit)[0].details.rfind(R"({"reason":"controller pid )", 0), 0u) << (*audit)[0].details;
  EXPECT_NE((*audit)[0].details.find(R"("status":"aborted")"), std::string::npos);
  EXPECT_EQ(store->MarkInterruptedExecutions().value(), 0);
}

TEST_F(ResultsStoreTest, OpeningTheStoreAbortsAnOrphanWhateverTheCommand) {
  ASSERT_TRUE(ResultsStore::Open(DbPath()).ok());
  RawSql(DbPath(),
         "INSERT INTO execution(plan_path, plan_name, started_at, status, controller_host, controller_pid) "
         "VALUES ('p', 'n', 1, 'running', '" +
             Hostname() + "', " + std::to_string(DeadPid()) + ")");
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.project = "another"});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kAborted);
}

TEST_F(ResultsStoreTest, RunOfALiveControllerIsNotAborted) {
  Result<ResultsStore> running = ResultsStore::Open(DbPath());
  ASSERT_TRUE(running.ok());
  const int64_t id = running->BeginExecution(Info()).value();
  // Another command (another handle, as `barrage runs` would open) while the run goes on.
  Result<ResultsStore> other = ResultsStore::Open(DbPath());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->MarkInterruptedExecutions().value(), 0);
  EXPECT_EQ(other->GetExecution(id)->status, ExecutionStatus::kRunning);
  RawSql(DbPath(),
         "INSERT INTO execution(plan_path, plan_name, started_at, status, controller_host, controller_pid) "
         "VALUES ('p', 'n', 1, 'running', 'elsewhere.example', 1)");
  EXPECT_EQ(other->MarkInterruptedExecutions().value(), 0);  // another host's run: cannot tell
  ASSERT_TRUE(running->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
}

TEST_F(ResultsStoreTest, EmptyProjectNameIsRefused) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.project = ""});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), DbPath() + ": the project name is empty");
}

TEST(ExecutionStatusTest, NamesRoundTrip) {
  for (ExecutionStatus s : {ExecutionStatus::kRunning, ExecutionStatus::kPassed, ExecutionStatus::kFailed,
                            ExecutionStatus::kAborted, ExecutionStatus::kErrored, ExecutionStatus::kPartial}) {
    EXPECT_EQ(ParseExecutionStatus(ExecutionStatusName(s)), s);
  }
  EXPECT_EQ(ExecutionStatusName(ExecutionStatus::kPartial), "partial");
  EXPECT_FALSE(ParseExecutionStatus("done").has_value());
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

// Another connection (another `barrage run` on the same file) holding the write lock, as
// SQLite's BEGIN IMMEDIATE takes it; released by Release() or at scope end.
class WriteLockHolder {
 public:
  explicit WriteLockHolder(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }
  ~WriteLockHolder() {
    Release();
    sqlite3_close(db_);
  }
  void Release() {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<Sample> Batch(int n) {
  std::vector<Sample> batch;
  for (int i = 0; i < n; ++i) batch.push_back(Make(i));
  return batch;
}

// Issue 16 item 7: a second writer failed at once with "database is locked" (its deferred
// transaction read before it wrote, so SQLite's busy handler could not wait).
TEST_F(ResultsStoreTest, WriterWaitsWhileAnotherConnectionHoldsTheWriteLock) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.commit_interval = milliseconds(10)});
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  WriteLockHolder other(DbPath());
  ASSERT_TRUE(store->Append(Batch(1000)).ok());
  // The other writer's transaction lasts 300 ms: the store's writer tries meanwhile.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(store->error().ok()) << store->error().message();
  EXPECT_EQ(store->samples_committed(), 0u);
  other.Release();
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->samples_committed(), 1000u);
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705999000).ok());
  EXPECT_EQ(*store->CountSamples(1), 1000);
  EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kPassed);
}

// A lock held past lock_timeout stops the writer; error() says so without another call
// into the store, and the execution ends `errored`, never `passed`.
TEST_F(ResultsStoreTest, ALockHeldPastTheTimeoutFailsTheWriterAndErrorReportsItAtOnce) {
  Result<ResultsStore> store =
      ResultsStore::Open(DbPath(), {.commit_interval = milliseconds(10), .lock_timeout = milliseconds(100)});
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  WriteLockHolder other(DbPath());
  ASSERT_TRUE(store->Append(Batch(10)).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->error().ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const std::string expected = DbPath() +
                               ": begin transaction: database is locked: another connection kept the write lock "
                               "for more than 100 ms";
  EXPECT_EQ(store->error().message(), expected);
  EXPECT_EQ(store->Append(Batch(1)).message(), expected);
  other.Release();
  EXPECT_EQ(store->Finish(ExecutionStatus::kPassed, 1795705999000).message(), expected);
  EXPECT_EQ(store->GetExecution(1)->status, ExecutionStatus::kErrored);
  EXPECT_EQ(store->Close().message(), expected);
}

// Several runs in one process (the later platform service): one handle per run, each with
// its own writer; they share the file's write lock and store every sample.
TEST_F(ResultsStoreTest, TwoHandlesOnOneFileRecordTheirRunsAtTheSameTime) {
  ResultsStore::Options options{.commit_every_samples = 700, .commit_interval = milliseconds(5)};
  Result<ResultsStore> a = ResultsStore::Open(DbPath(), options);
  Result<ResultsStore> b = ResultsStore::Open(DbPath(), options);
  ASSERT_TRUE(a.ok() && b.ok());
  Result<int64_t> run_a = a->BeginExecution(Info());
  Result<int64_t> run_b = b->BeginExecution(Info());
  ASSERT_TRUE(run_a.ok() && run_b.ok()) << run_a.status().message() << run_b.status().message();
  auto load = [](ResultsStore* store) {
    for (int i = 0; i < 40; ++i) EXPECT_TRUE(store->Append(Batch(250)).ok());
    EXPECT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705999000).ok());
  };
  std::thread ta(load, &*a), tb(load, &*b);
  ta.join();
  tb.join();
  for (int64_t id : {*run_a, *run_b}) {
    EXPECT_EQ(*a->CountSamples(id), 10'000);
    EXPECT_EQ(a->GetExecution(id)->samples, 10'000u);
    EXPECT_EQ(a->GetExecution(id)->status, ExecutionStatus::kPassed);
  }
  EXPECT_TRUE(a->Close().ok());
  EXPECT_TRUE(b->Close().ok());
}

// --- Options::read_only (`barrage serve`'s readers) ---------------------------------------

TEST_F(ResultsStoreTest, AReadOnlyHandleReadsWhatAWriterCommittedAndRefusesWrites) {
  Result<ResultsStore> writer = ResultsStore::Open(DbPath());
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  ASSERT_TRUE(writer->BeginExecution(Info()).ok());
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) samples.push_back(Make(i));
  ASSERT_TRUE(writer->Append(std::move(samples)).ok());
  ASSERT_TRUE(writer->Flush().ok());

  Result<ResultsStore> reader = ResultsStore::Open(DbPath(), {.read_only = true});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  Result<ExecutionRecord> e = reader->GetExecution(1);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->status, ExecutionStatus::kRunning);  // the writer's run is left alone
  EXPECT_EQ(e->samples, 10u);
  Result<uint64_t> errors = reader->CountErrors(1);
  ASSERT_TRUE(errors.ok()) << errors.status().message();
  EXPECT_EQ(*errors, 4u);  // samples 0, 3, 6, 9
  EXPECT_EQ(*reader->CountErrors(2), 0u);

  const std::string refused = DbPath() + ": results store is open read-only";
  EXPECT_EQ(reader->Append({Make(10)}).message(), refused);
  EXPECT_EQ(reader->Flush().message(), refused);
  EXPECT_EQ(reader->Finish(ExecutionStatus::kPassed, 1).message(), refused);
  EXPECT_EQ(reader->SetExecutionStatus(1, ExecutionStatus::kFailed).message(), refused);
  EXPECT_EQ(reader->Audit("exported", 1, "x").message(), refused);
  EXPECT_EQ(reader->BeginExecution(Info()).status().message(), refused);
  EXPECT_EQ(reader->MarkInterruptedExecutions().status().message(), refused);
  EXPECT_TRUE(reader->Close().ok());

  ASSERT_TRUE(writer->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  EXPECT_EQ(reader->GetExecution(1)->status, ExecutionStatus::kPassed);  // reads go on after Close()
}

TEST_F(ResultsStoreTest, AReadOnlyHandleNeedsAStoreOfThisVersionAndMigratesNothing) {
  Result<ResultsStore> missing = ResultsStore::Open(DbPath(), {.read_only = true});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(DbPath()));
  WriteVersionOneStore(DbPath());
  Result<ResultsStore> old = ResultsStore::Open(DbPath(), {.read_only = true});
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(old.status().message(),
            DbPath() + ": results store has schema version 1; a read-only handle reads version " +
                std::to_string(ResultsStore::kSchemaVersion) + " only (open it writable once to migrate it)");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(version) FROM schema_version"), "1");
}

TEST_F(ResultsStoreTest, AnExecutionNamesItsDefinitionByItsFirstPlanFile) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  ExecutionInfo info = Info();
  info.plan_jmx = "<jmeterTestPlan/>";
  ASSERT_TRUE(store->BeginExecution(info).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705940000).ok());
  info.plan_path = "/elsewhere/renamed.jmx";  // the same bytes: the same definition
  ASSERT_TRUE(store->BeginExecution(info).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1795705950000).ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());  // no plan bytes: no definition
  EXPECT_EQ(store->GetExecution(1)->definition_name, "shop.jmx");
  EXPECT_EQ(store->GetExecution(2)->definition_name, "shop.jmx");
  EXPECT_EQ(store->GetExecution(3)->definition_name, "");
}

}  // namespace
}  // namespace barrage
