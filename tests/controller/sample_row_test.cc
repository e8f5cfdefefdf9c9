// Schema version 4 (issue 12 item 7): the smaller sample row. Texts are interned per
// execution (sample_text, sample_outcome), sample_row holds ids, and the `sample` view gives
// SQL the version-3 table's columns and values; a version-3 file is migrated in place.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "controller/results_store.h"
#include "controller/store_schema.h"
#include "tests/common/sample_expect.h"
#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using test::RawScalar;

// Every column of the `sample` table / view, quoted (so that 1 and '1' differ), one row a
// line, in id order: what `sqlite3 results.db 'select * from sample'` shows, types included.
constexpr const char* kDumpSample =
    "SELECT group_concat(line, char(10)) FROM (SELECT quote(id) || '|' || quote(execution_id) || '|' || "
    "quote(label_id) || '|' || quote(thread) || '|' || quote(ts_ms) || '|' || quote(elapsed_us) || '|' || "
    "quote(latency_us) || '|' || quote(connect_us) || '|' || quote(idle_us) || '|' || quote(code) || '|' || "
    "quote(message) || '|' || quote(success) || '|' || quote(failure_message) || '|' || quote(bytes) || '|' || "
    "quote(sent_bytes) || '|' || quote(grp_threads) || '|' || quote(all_threads) || '|' || quote(url) || '|' || "
    "quote(data_type) || '|' || quote(worker_id) || '|' || quote(schedule_lag_us) AS line FROM sample ORDER BY id)";

Sample Make(int i) {
  Sample s;
  s.timestamp_ms = 1795705931000 + i;
  s.elapsed_us = 73'123 + i;
  s.latency_us = 72'001 + i;
  s.connect_us = i % 2 ? 0 : 1'234;
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

std::vector<Sample> ReadAll(const ResultsStore& store, int64_t execution) {
  std::vector<Sample> read;
  Status st = store.ForEachSample(execution, [&](const Sample& s) { read.push_back(s); });
  EXPECT_TRUE(st.ok()) << st.message();
  return read;
}

class SampleRowTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return dir_.File("results.db"); }
  TempDir dir_;
};

TEST_F(SampleRowTest, TextsAndOutcomesAreStoredOncePerExecution) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<Sample> in;
  for (int i = 0; i < 12; ++i) in.push_back(Make(i));
  ASSERT_TRUE(store->BeginExecution({.plan_path = "/p/a.jmx", .plan_name = "A"}).ok());
  ASSERT_TRUE(store->Append(std::vector<Sample>(in)).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  ASSERT_TRUE(store->BeginExecution({.plan_path = "/p/a.jmx", .plan_name = "A"}).ok());
  ASSERT_TRUE(store->Append({in[0], in[1]}).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 2).ok());

  // Execution 1: four threads and two URLs; two outcomes (every third sample failed).
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(id || '=' || value, ' ') FROM sample_text WHERE execution_id = 1"),
            "1=tg 1-1 2=http://127.0.0.1:8080/data.json 3=tg 1-2 4=http://127.0.0.1:8080/hello 5=tg 1-3 6=tg 1-4");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(id || ':' || success || ':' || code || ':' || data_type, ' ') "
                      "FROM sample_outcome WHERE execution_id = 1"),
            "1:0:Non HTTP response code: java.net.ConnectException: 2:1:200:text");
  // Execution 2 has its own dictionaries, from id 1.
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(id || '=' || value, ' ') FROM sample_text WHERE execution_id = 2"),
            "1=tg 1-1 2=http://127.0.0.1:8080/data.json 3=tg 1-2 4=http://127.0.0.1:8080/hello");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sample_outcome WHERE execution_id = 2"), "2");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT group_concat(thread_id || '/' || url_id || '/' || outcome_id, ' ') FROM "
                      "(SELECT * FROM sample_row WHERE id >> 40 = 1 ORDER BY id LIMIT 4)"),
            "1/2/1 3/4/2 5/2/2 6/4/1");

  // The view shows what was appended, in version 3's columns.
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT execution_id || '|' || label_id || '|' || thread || '|' || code || '|' || message || '|' "
                      "|| success || '|' || failure_message || '|' || url || '|' || data_type || '|' || worker_id || "
                      "'|' || schedule_lag_us FROM sample WHERE id = (1 << 40) + 3"),
            "1|2|tg 1-4|Non HTTP response code: java.net.ConnectException|Connection refused, \"port\" 80\nsecond "
            "line|0|Test failed: text expected to contain /perf-anchor/ — ünïcode|http://127.0.0.1:8080/hello||0|0");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sample WHERE success = 0"), "5");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sample WHERE execution_id = 2"), "2");

  const std::vector<Sample> read = ReadAll(*store, 1);
  ASSERT_EQ(read.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameJtlFields(read[i], in[i]);
    EXPECT_EQ(read[i].schedule_lag_us, in[i].schedule_lag_us);
  }
  EXPECT_TRUE(store->Close().ok());
}

TEST_F(SampleRowTest, AFullDictionaryStartsAgainAndEveryValueReadsBack) {
  // At most 3 values per dictionary: the fourth distinct URL empties it, and a value seen
  // before gets a new id.
  Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.max_cached_texts = 3});
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE(store->BeginExecution({.plan_path = "/p/a.jmx", .plan_name = "A"}).ok());
  std::vector<Sample> in;
  for (int i = 0; i < 8; ++i) {
    Sample s = Make(1);  // one thread, one outcome
    s.url = "/u" + std::to_string(i < 6 ? i : i - 6);
    in.push_back(s);
  }
  ASSERT_TRUE(store->Append(std::vector<Sample>(in)).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  // tg 1-2 (1), /u0 (2), /u1 (3); full: /u2 (4), tg 1-2 (5), /u3 (6); full: /u4 (7), tg 1-2 (8),
  // /u5 (9); full: /u0 (10), tg 1-2 (11), /u1 (12).
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(value, ' ') FROM sample_text ORDER BY id"),
            "tg 1-2 /u0 /u1 /u2 tg 1-2 /u3 /u4 tg 1-2 /u5 /u0 tg 1-2 /u1");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(url, ' ') FROM sample"), "/u0 /u1 /u2 /u3 /u4 /u5 /u0 /u1");
  const std::vector<Sample> read = ReadAll(*store, 1);
  ASSERT_EQ(read.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSameJtlFields(read[i], in[i]);
  EXPECT_TRUE(store->Close().ok());
}

TEST_F(SampleRowTest, DeletingARunDeletesItsTextsAndOutcomes) {
  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE(store->BeginExecution({.plan_path = "/p/a.jmx", .plan_name = "A"}).ok());
    ASSERT_TRUE(store->Append({Make(0), Make(1)}).ok());
    ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  }
  Result<int64_t> deleted = store->DeleteExecution(1);
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT (SELECT group_concat(DISTINCT execution_id) FROM sample_text) || ' ' || "
                      "(SELECT group_concat(DISTINCT execution_id) FROM sample_outcome) || ' ' || "
                      "(SELECT group_concat(DISTINCT execution_id) FROM sample)"),
            "2 2 2");
  EXPECT_EQ(ReadAll(*store, 2).size(), 2u);
  EXPECT_TRUE(store->Close().ok());
}

// A version-3 file as Barrage 3 wrote it: its schema (the version-1..3 migrations), two
// executions, samples inserted with version 3's writer statement.
void WriteVersionThreeStore(const std::string& path, const std::vector<Sample>& samples) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Result<int> from = CreateOrMigrateSchema(db, path, 1795705930000, /*to_version=*/3);
  ASSERT_TRUE(from.ok()) << from.status().message();
  const char* setup = R"sql(
INSERT INTO execution(id, plan_path, plan_name, started_at, ended_at, status, sample_count)
  VALUES (1, '/p/a.jmx', 'A', 1795705930000, 1795705940000, 'passed', 0),
         (2, '/p/a.jmx', 'A', 1795705950000, 1795705960000, 'failed', 0);
INSERT INTO label VALUES (1, 1, 'data.json'), (1, 2, 'hello'), (2, 1, 'hello'), (2, 2, 'data.json');
)sql";
  ASSERT_EQ(sqlite3_exec(db, setup, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO sample(id, execution_id, label_id, thread, ts_ms, elapsed_us, latency_us, "
                               "connect_us, idle_us, code, message, success, failure_message, bytes, sent_bytes, "
                               "grp_threads, all_threads, url, data_type, worker_id, schedule_lag_us) VALUES "
                               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &s, nullptr),
            SQLITE_OK);
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& x = samples[i];
    const int64_t execution = i < samples.size() / 2 ? 1 : 2;
    const int64_t seq = execution == 1 ? static_cast<int64_t>(i) : static_cast<int64_t>(i - samples.size() / 2);
    const int64_t label = (x.label == "data.json") == (execution == 1) ? 1 : 2;
    sqlite3_bind_int64(s, 1, (execution << 40) + seq);
    sqlite3_bind_int64(s, 2, execution);
    sqlite3_bind_int64(s, 3, label);
    sqlite3_bind_text(s, 4, x.thread_name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, x.timestamp_ms);
    sqlite3_bind_int64(s, 6, x.elapsed_us);
    sqlite3_bind_int64(s, 7, x.latency_us);
    sqlite3_bind_int64(s, 8, x.connect_us);
    sqlite3_bind_int64(s, 9, x.idle_us);
    sqlite3_bind_text(s, 10, x.response_code.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, x.response_message.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 12, x.success ? 1 : 0);
    sqlite3_bind_text(s, 13, x.failure_message.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 14, x.bytes);
    sqlite3_bind_int64(s, 15, x.sent_bytes);
    sqlite3_bind_int(s, 16, x.grp_threads);
    sqlite3_bind_int(s, 17, x.all_threads);
    sqlite3_bind_text(s, 18, x.url.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 19, x.data_type.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 20, execution == 1 ? 0 : 7);
    sqlite3_bind_int64(s, 21, x.schedule_lag_us);
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE execution SET sample_count = (SELECT count(*) FROM sample WHERE execution_id = "
                         "execution.id); COMMIT",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST_F(SampleRowTest, VersionThreeFileIsMigratedAndReadsTheSame) {
  std::vector<Sample> in;
  for (int i = 0; i < 40; ++i) in.push_back(Make(i));
  in[7].url = "";  // empty texts are values too
  in[8].thread_name = "";
  WriteVersionThreeStore(DbPath(), in);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(RawScalar(DbPath(), "SELECT version FROM schema_version"), "3");
  const std::string before = RawScalar(DbPath(), kDumpSample);
  ASSERT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sample"), "40");

  Result<ResultsStore> store = ResultsStore::Open(DbPath());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(RawScalar(DbPath(), "SELECT version FROM schema_version"), std::to_string(ResultsStore::kSchemaVersion));
  EXPECT_EQ(RawScalar(DbPath(), kDumpSample), before);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT type FROM sqlite_schema WHERE name = 'sample'"), "view");
  EXPECT_EQ(RawScalar(DbPath(),
                      "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name LIKE 'sample%' AND "
                      "name NOT LIKE 'sqlite_autoindex%'"),
            "0");
  // Ids numbered per execution from 1, values in sorted order.
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(id || '=' || value, ' ') FROM sample_text WHERE execution_id = 1"),
            "1= 2=http://127.0.0.1:8080/data.json 3=http://127.0.0.1:8080/hello 4=tg 1-1 5=tg 1-2 6=tg 1-3 "
            "7=tg 1-4");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(id || ':' || success, ' ') FROM sample_outcome"),
            "1:1 2:0 1:1 2:0");
  Result<ExecutionRecord> e = store->GetExecution(2);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->samples, 20u);

  for (int64_t execution : {1, 2}) {
    const std::vector<Sample> read = ReadAll(*store, execution);
    ASSERT_EQ(read.size(), 20u);
    for (size_t i = 0; i < read.size(); ++i) {
      SCOPED_TRACE(std::to_string(execution) + "/" + std::to_string(i));
      ExpectSameJtlFields(read[i], in[(execution - 1) * 20 + i]);
      EXPECT_EQ(read[i].schedule_lag_us, in[(execution - 1) * 20 + i].schedule_lag_us);
    }
  }
  // A new run after the migration continues the ids and dictionaries.
  ASSERT_TRUE(store->BeginExecution({.plan_path = "/p/a.jmx", .plan_name = "A"}).ok());
  ASSERT_TRUE(store->Append({Make(3)}).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 1).ok());
  EXPECT_EQ(RawScalar(DbPath(), "SELECT group_concat(id - (3 << 40)) FROM sample WHERE execution_id = 3"), "0");
  EXPECT_EQ(ReadAll(*store, 3).size(), 1u);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  EXPECT_TRUE(store->Close().ok());
}

}  // namespace
}  // namespace barrage
