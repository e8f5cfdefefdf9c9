#include "controller/results_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

void ExpectSameSample(const Sample& a, const Sample& b) {
  EXPECT_EQ(a.timestamp_ms, b.timestamp_ms);
  EXPECT_EQ(a.elapsed_us, b.elapsed_us);
  EXPECT_EQ(a.latency_us, b.latency_us);
  EXPECT_EQ(a.connect_us, b.connect_us);
  EXPECT_EQ(a.idle_us, b.idle_us);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.sent_bytes, b.sent_bytes);
  EXPECT_EQ(a.grp_threads, b.grp_threads);
  EXPECT_EQ(a.all_threads, b.all_threads);
  EXPECT_EQ(a.success, b.success);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.response_code, b.response_code);
  EXPECT_EQ(a.response_message, b.response_message);
  EXPECT_EQ(a.thread_name, b.thread_name);
  EXPECT_EQ(a.data_type, b.data_type);
  EXPECT_EQ(a.failure_message, b.failure_message);
  EXPECT_EQ(a.url, b.url);
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

std::string RawScalar(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out = t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

ExecutionInfo Info() { return {.plan_path = "/plans/shop.jmx", .plan_name = "Shop", .started_at_ms = 1795705930953}; }

class ResultsStoreTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return dir_.File("results.db"); }
  TempDir dir_;
};

TEST_F(ResultsStoreTest, OpenCreatesVersionedSchemaInWalMode) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(RawScalar(DbPath(), "SELECT version FROM schema_version"), "1");
  EXPECT_EQ(RawScalar(DbPath(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                      "WHERE type = 'table' ORDER BY name)"),
            "execution,label,sample,schema_version");
  Result<std::vector<ExecutionRecord>> all = store->ListExecutions();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(store->Close().ok());
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
    ExpectSameSample(read[i], written[i]);
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
  ResultsStore::Options options{.max_queued_samples = 2'000, .commit_every_samples = 5'000,
                                .commit_interval = milliseconds(20)};
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
  EXPECT_TRUE(in_order);  // each producer's samples keep their order
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
  RawSql(DbPath(),
         "INSERT INTO execution(plan_path, plan_name, started_at, status) VALUES ('p', 'n', 1, 'running')");
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
  EXPECT_EQ(store.status().message(),
            DbPath() + ": not a Barrage results store (a SQLite database with other tables)");
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
