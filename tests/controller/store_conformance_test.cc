// The results store's semantics, the same cases on both backends: a SQLite file and a
// PostgreSQL database on a real server (tests/integration/postgres_fixture.h). Whatever code
// above the store sees must not depend on which one it has.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/digest.h"
#include "common/host.h"
#include "controller/pg_util.h"
#include "controller/results_store.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/postgres_fixture.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

Sample MakeSample(const std::string& label, int64_t ts_ms, int64_t elapsed_ms, bool ok, const std::string& thread) {
  Sample s;
  s.label = label;
  s.timestamp_ms = ts_ms;
  s.elapsed_us = elapsed_ms * 1000;
  s.latency_us = elapsed_ms * 500;
  s.connect_us = 250;
  s.bytes = 1000;
  s.sent_bytes = 120;
  s.grp_threads = 2;
  s.all_threads = 3;
  s.success = ok;
  s.response_code = ok ? "200" : "500";
  s.response_message = ok ? "OK" : "Internal Server Error";
  s.failure_message = ok ? "" : "Test failed: code";
  s.thread_name = thread;
  s.data_type = "text";
  s.url = "http://127.0.0.1/" + label;
  return s;
}

ExecutionInfo Info(const std::string& plan_path, const std::string& jmx) {
  ExecutionInfo info;
  info.plan_path = plan_path;
  info.plan_name = "Plan";
  info.started_at_ms = 1'700'000'000'000;
  info.plan_jmx = jmx;
  return info;
}

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void SetUpTestSuite() { server_ = test::PostgresServer::Start(&why_).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      db_ = dir_.File("results.db");
      return;
    }
    POSTGRES_FIXTURE_REQUIRE(server_, why_);
    const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("t_") + t->name();
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    db_ = server_->CreateDatabase(name.substr(0, 60));
    ASSERT_FALSE(db_.empty());
  }

  ResultsStore Open(ResultsStore::Options options = {}) {
    Result<ResultsStore> s = ResultsStore::Open(db_, options);
    if (!s.ok()) throw std::runtime_error(s.status().message());
    return std::move(s).value();
  }

  // Runs one SQL statement on the database directly (what a dead controller left behind).
  void RawSql(const std::string& sql) {
    if (GetParam() == Backend::kSqlite) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
      char* err = nullptr;
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
      sqlite3_free(err);
      sqlite3_close(db);
    } else {
      Result<PgConnection> c = PgConnection::Connect(db_, db_, false);
      ASSERT_TRUE(c.ok()) << c.status().message();
      EXPECT_TRUE(c->Exec(sql).ok());
    }
  }

  static test::PostgresServer* server_;
  static std::string why_;
  TempDir dir_;
  std::string db_;
};

test::PostgresServer* StoreConformanceTest::server_ = nullptr;
std::string StoreConformanceTest::why_;

TEST_P(StoreConformanceTest, ExecutionsAreNumberedFromOneAndRecordWhatRanWithTheirDefinition) {
  ResultsStore store = Open();
  Result<int64_t> first = store.BeginExecution(Info("/plans/a.jmx", "<jmx a/>"));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first, 1);
  ASSERT_TRUE(store
                  .Append({MakeSample("login", 1'700'000'000'100, 10, true, "T 1-1"),
                           MakeSample("login", 1'700'000'000'200, 30, false, "T 1-2")})
                  .ok());
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 1'700'000'001'000).ok());
  Result<int64_t> second = store.BeginExecution(Info("/plans/a.jmx", "<jmx a/>"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2);
  ASSERT_TRUE(store.Finish(ExecutionStatus::kFailed, 1'700'000'002'000).ok());

  Result<ExecutionRecord> e = store.GetExecution(1);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->plan_path, "/plans/a.jmx");
  EXPECT_EQ(e->plan_name, "Plan");
  EXPECT_EQ(e->started_at_ms, 1'700'000'000'000);
  EXPECT_EQ(e->ended_at_ms, 1'700'000'001'000);
  EXPECT_EQ(e->status, ExecutionStatus::kPassed);
  EXPECT_EQ(e->project, "default");
  EXPECT_EQ(e->definition_version, 1);
  EXPECT_EQ(e->definition_name, "a.jmx");
  EXPECT_EQ(e->plan_sha256, Sha256Hex("<jmx a/>"));
  EXPECT_EQ(e->samples, 2u);
  EXPECT_EQ(e->verdict, "");
  EXPECT_EQ(e->properties_json, "{}");
  EXPECT_EQ(e->infra_json, R"({"mode":"local"})");
  EXPECT_EQ(e->triggered_by, CurrentOsUser());
  Result<ExecutionRecord> e2 = store.GetExecution(2);
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ(e2->definition_id, e->definition_id);  // same bytes: same definition
  EXPECT_EQ(e2->samples, 0u);
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, SamplesComeBackInAppendOrderWithEveryField) {
  ResultsStore store = Open({.commit_every_samples = 3});
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  std::vector<Sample> in;
  for (int i = 0; i < 10; ++i) {
    Sample s = MakeSample(i % 3 == 0 ? "b" : "a", 1'700'000'000'000 + 1000 * (9 - i), i + 1, i % 4 != 0,
                          "T 1-" + std::to_string(i));
    s.idle_us = i;
    s.schedule_lag_us = 7 * i;
    in.push_back(s);
  }
  in[3].response_message = "tab\there, newline\nthere, backslash \\ and \xc3\xa9";
  in[5].url = "http://x/?q=a\\nb";
  ASSERT_TRUE(store.Append(std::vector<Sample>(in.begin(), in.begin() + 4), 0).ok());
  ASSERT_TRUE(store.Append(std::vector<Sample>(in.begin() + 4, in.end()), 2).ok());
  ASSERT_TRUE(store.Flush().ok());
  EXPECT_EQ(store.samples_committed(), 10u);
  std::vector<Sample> out;
  ASSERT_TRUE(store.ForEachSample(1, [&](const Sample& s) { out.push_back(s); }).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(out[i].label, in[i].label);
    EXPECT_EQ(out[i].timestamp_ms, in[i].timestamp_ms);
    EXPECT_EQ(out[i].elapsed_us, in[i].elapsed_us);
    EXPECT_EQ(out[i].latency_us, in[i].latency_us);
    EXPECT_EQ(out[i].connect_us, in[i].connect_us);
    EXPECT_EQ(out[i].idle_us, in[i].idle_us);
    EXPECT_EQ(out[i].schedule_lag_us, in[i].schedule_lag_us);
    EXPECT_EQ(out[i].bytes, in[i].bytes);
    EXPECT_EQ(out[i].sent_bytes, in[i].sent_bytes);
    EXPECT_EQ(out[i].grp_threads, in[i].grp_threads);
    EXPECT_EQ(out[i].all_threads, in[i].all_threads);
    EXPECT_EQ(out[i].success, in[i].success);
    EXPECT_EQ(out[i].response_code, in[i].response_code);
    EXPECT_EQ(out[i].response_message, in[i].response_message);
    EXPECT_EQ(out[i].failure_message, in[i].failure_message);
    EXPECT_EQ(out[i].thread_name, in[i].thread_name);
    EXPECT_EQ(out[i].data_type, in[i].data_type);
    EXPECT_EQ(out[i].url, in[i].url);
  }
  Result<std::vector<std::string>> labels = store.Labels(1);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(*labels, (std::vector<std::string>{"b", "a"}));  // first-stored order
  EXPECT_EQ(*store.CountSamples(1), 10);
  EXPECT_EQ(*store.CountErrors(1), 3u);  // i = 0, 4, 8
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, RollupsCountEverySampleByLabelWorkerAndErrorType) {
  ResultsStore store = Open();
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  ASSERT_TRUE(store
                  .Append({MakeSample("a", 1'700'000'000'100, 10, true, "t"),
                           MakeSample("a", 1'700'000'000'900, 20, false, "t"),
                           MakeSample("b", 1'700'000'001'100, 40, false, "t")},
                          3)
                  .ok());
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 1'700'000'002'000).ok());
  std::map<std::tuple<int64_t, int64_t, int32_t>, std::pair<uint64_t, uint64_t>> buckets;  // count, errors
  int64_t max_ms = 0;
  ASSERT_TRUE(store
                  .ForEachBucket(1,
                                 [&](const MetricBucket& b) {
                                   auto& v = buckets[{b.second, b.label_id, b.worker_id}];
                                   v.first += b.stats.elapsed_ms.count();
                                   v.second += b.stats.errors;
                                   max_ms = std::max<int64_t>(max_ms, b.stats.elapsed_ms.max());
                                 })
                  .ok());
  EXPECT_EQ(buckets, (std::map<std::tuple<int64_t, int64_t, int32_t>, std::pair<uint64_t, uint64_t>>{
                         {{1'700'000'000, 0, 3}, {2, 1}}, {{1'700'000'001, 1, 3}, {1, 1}}}));
  EXPECT_EQ(max_ms, 40);
  std::vector<std::string> errors;
  ASSERT_TRUE(store
                  .ForEachErrorBucket(1,
                                      [&](const ErrorBucket& b) {
                                        errors.push_back(std::to_string(b.label_id) + " " + b.type + " " +
                                                         std::to_string(b.count));
                                      })
                  .ok());
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{"0 Test failed: code 1", "1 Test failed: code 1"}));
  EXPECT_TRUE(store.CheckIntegrity().ok());
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, DefinitionsAreKeptOncePerContentAndVersionedByName) {
  ResultsStore store = Open();
  for (const char* jmx : {"<v1/>", "<v2/>", "<v1/>"}) {
    ASSERT_TRUE(store.BeginExecution(Info("/x/plan.jmx", jmx)).ok());
    ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 1).ok());
  }
  EXPECT_EQ(store.GetExecution(1)->definition_version, 1);
  EXPECT_EQ(store.GetExecution(2)->definition_version, 2);
  EXPECT_EQ(store.GetExecution(3)->definition_version, 1);
  Result<DefinitionRecord> put =
      store.PutDefinition("plan.jmx", "upload-sha", "<v3/>", std::nullopt, {{"data.csv", "abc", 12}});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_TRUE(put->created);
  EXPECT_EQ(put->version, 3);
  ASSERT_EQ(put->files.size(), 1u);
  EXPECT_EQ(put->files[0].name, "data.csv");
  EXPECT_EQ(put->files[0].size, 12);
  Result<DefinitionRecord> again = store.PutDefinition("plan.jmx", "upload-sha", "<v3/>", std::nullopt, {});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, put->id);
  Result<std::vector<DefinitionRecord>> all = store.ListDefinitions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].version, 3);
  EXPECT_EQ(*store.DefinitionJmx((*all)[1].id), "<v2/>");
  EXPECT_EQ(store.GetDefinition("plan.jmx", std::nullopt)->version, 3);
  EXPECT_EQ(store.GetDefinition("plan.jmx", 7).status().message(), "plan 'plan.jmx' has no version 7");
  EXPECT_EQ(store.GetDefinition("other.jmx", std::nullopt).status().message(),
            "plan 'other.jmx' not found in project 'default'");
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, ThresholdsWorkersAndTheAuditLogAreKept) {
  ResultsStore store = Open();
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 5).ok());
  ASSERT_TRUE(store
                  .RecordThresholdResults(1, {{"p(95)<500", "", "p(95)", "<", 500, 120.5, true},
                                              {"login: avg<10", "login", "avg", "<", 10, 11.25, false}})
                  .ok());
  Result<std::vector<ThresholdRecord>> t = store.ThresholdResults(1);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[1].expression, "login: avg<10");
  EXPECT_EQ((*t)[1].observed, 11.25);
  EXPECT_FALSE((*t)[1].passed);
  EXPECT_EQ(store.GetExecution(1)->verdict, "failed");
  ExecutionWorkerRecord w{1, "w1", "host1", 100, std::nullopt, "lost", 5, 2, 1, 0, -30};
  ASSERT_TRUE(store.UpsertExecutionWorker(1, w).ok());
  w.state = "finished";
  w.left_at_ms = 200;
  ASSERT_TRUE(store.UpsertExecutionWorker(1, w).ok());
  Result<std::vector<ExecutionWorkerRecord>> workers = store.ExecutionWorkers(1);
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].state, "finished");
  EXPECT_EQ((*workers)[0].left_at_ms, 200);
  EXPECT_EQ((*workers)[0].clock_offset_us, -30);
  EXPECT_EQ(store.UpsertExecutionWorker(9, w).message(), store.path() + ": no execution 9");
  ASSERT_TRUE(store.Audit("exported", 1, "to x.jtl").ok());
  Result<std::vector<AuditRecord>> log = store.AuditLog(1);
  ASSERT_TRUE(log.ok());
  std::vector<std::string> what;
  for (const AuditRecord& a : *log) what.push_back(a.what);
  EXPECT_EQ(what, (std::vector<std::string>{"started", "stopped", "evaluated", "exported"}));
  EXPECT_EQ(log->back().details, "to x.jtl");
  EXPECT_EQ((*log)[2].details, R"({"failed":1,"thresholds":2})");
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, RunsResolveByIdLastAndLastPassedWithinTheProject) {
  ResultsStore store = Open();
  for (ExecutionStatus s : {ExecutionStatus::kPassed, ExecutionStatus::kFailed}) {
    ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
    ASSERT_TRUE(store.Finish(s, 1).ok());
  }
  EXPECT_EQ(*store.ResolveRun("last"), 2);
  EXPECT_EQ(*store.ResolveRun("last-passed"), 1);
  EXPECT_EQ(*store.ResolveRun("1"), 1);
  EXPECT_EQ(store.ResolveRun("3").status().message(), store.path() + ": no run 3 in project 'default'");
  EXPECT_EQ(store.ResolveRun("x").status().message(), "run 'x': expected a run id, 'last' or 'last-passed'");
  EXPECT_TRUE(store.Close().ok());
  ResultsStore other = Open({.project = "other"});
  EXPECT_EQ(other.ResolveRun("last").status().message(), other.path() + ": no runs in project 'other'");
  EXPECT_EQ(other.ListExecutions()->size(), 0u);
  EXPECT_TRUE(other.Close().ok());
}

TEST_P(StoreConformanceTest, DeleteRemovesTheRunAndItsSamplesButNotARunningOne) {
  ResultsStore store = Open();
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  ASSERT_TRUE(store.Append({MakeSample("a", 1, 1, true, "t"), MakeSample("a", 2, 1, false, "t")}).ok());
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 3).ok());
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  EXPECT_EQ(store.DeleteExecution(2).status().message(), store.path() + ": run 2 is still running");
  Result<int64_t> deleted = store.DeleteExecution(1);
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(store.GetExecution(1).status().message(), store.path() + ": no execution 1");
  EXPECT_EQ(*store.CountSamples(1), 0);
  EXPECT_EQ(store.AuditLog(1)->back().details, "status passed, 2 samples");
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 4).ok());
  Result<ResultsStore> again = ResultsStore::Open(db_);
  ASSERT_TRUE(again.ok());
  Result<int64_t> third = again->BeginExecution(Info("p.jmx", ""));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 3);
  EXPECT_TRUE(again->Close().ok());
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, ARunLeftRunningByADeadControllerIsMarkedAbortedOnOpen) {
  {
    ResultsStore store = Open();
    ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
    ASSERT_TRUE(store.Close().ok());
  }
  // The execution now looks like the run of a controller that died (no such pid).
  RawSql("UPDATE execution SET status = 'running', controller_pid = 2147483000, controller_start = 1");
  ResultsStore store = Open();
  Result<int> marked = store.MarkInterruptedExecutions();
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(store.GetExecution(1)->status, ExecutionStatus::kAborted);
  EXPECT_EQ(store.AuditLog(1)->back().details,
            R"({"reason":"controller pid 2147483000 on )" + HostName("localhost") + R"( is gone","status":"aborted"})");
  EXPECT_TRUE(store.Close().ok());
}

TEST_P(StoreConformanceTest, CloseWithoutFinishRecordsTheRunAborted) {
  ResultsStore store = Open();
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  ASSERT_TRUE(store.Append({MakeSample("a", 1, 1, true, "t")}).ok());
  EXPECT_TRUE(store.Close().ok());
  ResultsStore again = Open();
  EXPECT_EQ(again.GetExecution(1)->status, ExecutionStatus::kAborted);
  EXPECT_EQ(again.GetExecution(1)->samples, 1u);
  EXPECT_TRUE(again.Close().ok());
}

TEST_P(StoreConformanceTest, ReadOnlyHandlesReadButRefuseEveryWrite) {
  {
    ResultsStore store = Open();
    ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
    ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 1).ok());
    ASSERT_TRUE(store.Close().ok());
  }
  ResultsStore ro = Open({.read_only = true});
  EXPECT_EQ(ro.ListExecutions()->size(), 1u);
  EXPECT_EQ(ro.BeginExecution(Info("p.jmx", "")).status().message(), ro.path() + ": results store is open read-only");
  EXPECT_EQ(ro.SetExecutionStatus(1, ExecutionStatus::kFailed).message(),
            ro.path() + ": results store is open read-only");
  EXPECT_TRUE(ro.Close().ok());
}

TEST_P(StoreConformanceTest, CommandsThatReadRunsRefuseAnEmptyDatabase) {
  if (GetParam() == Backend::kSqlite) WriteWholeFile(db_, "");
  Result<ResultsStore> s = ResultsStore::Open(db_, {.must_exist = true});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            (GetParam() == Backend::kSqlite ? db_ + ": not a Barrage results store (an empty file)"
                                            : db_ + ": not a Barrage results store (an empty database)"));
}

TEST_P(StoreConformanceTest, BackpressureNeverDropsASample) {
  ResultsStore store = Open({.max_queued_samples = 100, .commit_every_samples = 40});
  ASSERT_TRUE(store.BeginExecution(Info("p.jmx", "")).ok());
  for (int b = 0; b < 50; ++b) {
    std::vector<Sample> batch;
    for (int i = 0; i < 30; ++i) batch.push_back(MakeSample("l" + std::to_string(i % 5), b * 1000 + i, 1, true, "t"));
    ASSERT_TRUE(store.Append(std::move(batch)).ok());
  }
  ASSERT_TRUE(store.Finish(ExecutionStatus::kPassed, 1).ok());
  EXPECT_EQ(store.samples_appended(), 1500u);
  EXPECT_EQ(store.samples_committed(), 1500u);
  EXPECT_EQ(store.GetExecution(1)->samples, 1500u);
  EXPECT_EQ(*store.CountSamples(1), 1500);
  EXPECT_TRUE(store.CheckIntegrity().ok());
  EXPECT_EQ(store.Append({MakeSample("a", 1, 1, true, "t")}).message(), store.path() + ": no execution is running");
  EXPECT_TRUE(store.Close().ok());
}

// Two handles (two controllers) record at once: distinct ids, every sample of each stored
// under its own execution, one definition for the same bytes and consecutive versions for a
// changed plan of the same name.
TEST_P(StoreConformanceTest, TwoHandlesRecordingAtOnceLoseNothing) {
  { ResultsStore create = Open(); }  // the schema first: two SQLite openers of a new file race on WAL
  constexpr int kBatches = 40;
  std::vector<int64_t> ids(2);
  std::vector<std::string> errors(2);
  auto record = [&](int k) {
    Result<ResultsStore> s = ResultsStore::Open(db_, {.commit_every_samples = 100});
    if (!s.ok()) {
      errors[k] = s.status().message();
      return;
    }
    Result<int64_t> id = s->BeginExecution(Info("/p/plan.jmx", "<same/>"));
    if (!id.ok()) {
      errors[k] = id.status().message();
      return;
    }
    ids[k] = *id;
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Sample> batch;
      for (int i = 0; i < 50; ++i) batch.push_back(MakeSample(k == 0 ? "x" : "y", b * 100 + i, 1, true, "t"));
      if (Status st = s->Append(std::move(batch), k); !st.ok()) errors[k] = st.message();
    }
    if (Status st = s->Finish(ExecutionStatus::kPassed, 1); !st.ok()) errors[k] = st.message();
    if (Status st = s->Close(); !st.ok()) errors[k] = st.message();
  };
  std::thread a(record, 0), b(record, 1);
  a.join();
  b.join();
  EXPECT_EQ(errors, (std::vector<std::string>{"", ""}));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2}));
  ResultsStore store = Open();
  for (int64_t id : ids) {
    EXPECT_EQ(*store.CountSamples(id), kBatches * 50);
    EXPECT_EQ(store.Labels(id)->size(), 1u);
  }
  EXPECT_EQ(store.GetExecution(1)->definition_id, store.GetExecution(2)->definition_id);
  EXPECT_EQ(store.ListDefinitions()->size(), 1u);
  EXPECT_TRUE(store.CheckIntegrity().ok());

  // Changed bytes under one name from two handles at once: versions 2 and 3, no duplicate.
  std::thread c([&] {
    Result<ResultsStore> s = ResultsStore::Open(db_);
    if (s.ok()) (void)s->PutDefinition("plan.jmx", "sha-c", "<c/>", std::nullopt, {});
  });
  std::thread d([&] {
    Result<ResultsStore> s = ResultsStore::Open(db_);
    if (s.ok()) (void)s->PutDefinition("plan.jmx", "sha-d", "<d/>", std::nullopt, {});
  });
  c.join();
  d.join();
  std::vector<int64_t> versions;
  Result<std::vector<DefinitionRecord>> definitions = store.ListDefinitions();
  ASSERT_TRUE(definitions.ok());
  for (const DefinitionRecord& r : *definitions) versions.push_back(r.version);
  EXPECT_EQ(versions, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_TRUE(store.Close().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

// --- PostgreSQL only ---

TEST(PostgresStoreTest, MessagesNameTheDatabaseWithoutItsPassword) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://bob:s3cret@db.example:5432/results?sslmode=disable"),
            "postgresql://bob:***@db.example:5432/results?sslmode=disable");
  EXPECT_EQ(RedactPostgresUrl("postgres://h/db?user=bob&password=s3cret&x=1"),
            "postgres://h/db?user=bob&password=***&x=1");
  EXPECT_EQ(RedactPostgresUrl("postgresql://bob@h/db"), "postgresql://bob@h/db");
  // Nothing listens on port 1: the connection error names the URL, never the password.
  Result<ResultsStore> s = ResultsStore::Open("postgresql://bob:s3cret@127.0.0.1:1/results");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("postgresql://bob:***@127.0.0.1:1/results: connect: ", 0), 0u)
      << s.status().message();
  EXPECT_EQ(s.status().message().find("s3cret"), std::string::npos);
}

TEST(PostgresStoreTest, ADatabaseOfAnotherApplicationIsRefused) {
  std::string why;
  std::unique_ptr<test::PostgresServer> server = test::PostgresServer::Start(&why);
  POSTGRES_FIXTURE_REQUIRE(server, why);
  const std::string url = server->CreateDatabase("other_app");
  {
    Result<PgConnection> c = PgConnection::Connect(url, url, false);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c->Exec("CREATE TABLE customers(id integer)").ok());
  }
  Result<ResultsStore> s = ResultsStore::Open(url);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), url + ": not a Barrage results store (a PostgreSQL database with other tables)");
}

// Two controllers opening a new database at once: one creates the schema (under the advisory
// lock), the other finds it; both record.
TEST(PostgresStoreTest, TwoHandlesCreatingTheSchemaAtOnceBothSucceed) {
  std::string why;
  std::unique_ptr<test::PostgresServer> server = test::PostgresServer::Start(&why);
  POSTGRES_FIXTURE_REQUIRE(server, why);
  const std::string url = server->CreateDatabase("fresh");
  std::vector<std::string> errors(4);
  std::vector<std::thread> openers;
  for (size_t k = 0; k < errors.size(); ++k) {
    openers.emplace_back([&, k] {
      Result<ResultsStore> s = ResultsStore::Open(url);
      if (!s.ok()) {
        errors[k] = s.status().message();
        return;
      }
      Result<int64_t> id = s->BeginExecution(Info("p.jmx", "<p/>"));
      if (!id.ok()) errors[k] = id.status().message();
      if (Status st = s->Close(); !st.ok()) errors[k] = st.message();
    });
  }
  for (std::thread& t : openers) t.join();
  EXPECT_EQ(errors, std::vector<std::string>(4));
  Result<ResultsStore> store = ResultsStore::Open(url);
  ASSERT_TRUE(store.ok());
  Result<std::vector<ExecutionRecord>> runs = store->ListExecutions();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 4u);
  for (const ExecutionRecord& r : *runs) EXPECT_EQ(r.definition_version, 1);
  EXPECT_EQ(store->ListDefinitions()->size(), 1u);
  EXPECT_TRUE(store->Close().ok());
}

TEST(PostgresStoreTest, EachExecutionHasItsOwnSamplePartitionDroppedWithIt) {
  std::string why;
  std::unique_ptr<test::PostgresServer> server = test::PostgresServer::Start(&why);
  POSTGRES_FIXTURE_REQUIRE(server, why);
  const std::string url = server->CreateDatabase("partitions");
  Result<ResultsStore> store = ResultsStore::Open(url);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(store->BeginExecution(Info("p.jmx", "")).ok());
    ASSERT_TRUE(store->Append({MakeSample("a", 1, 1, true, "t")}).ok());
    ASSERT_TRUE(store->Finish(ExecutionStatus::kPassed, 2).ok());
  }
  ASSERT_TRUE(store->DeleteExecution(1).ok());
  Result<PgConnection> c = PgConnection::Connect(url, url, false);
  ASSERT_TRUE(c.ok());
  Result<PgRows> parts = c->Query(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'sample'::regclass ORDER BY 1");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 1);
  EXPECT_EQ(parts->Text(0, 0), "sample_e2");
  Result<PgRows> version = c->Query("SELECT version FROM schema_version");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->Int(0, 0), ResultsStore::kSchemaVersion);
  EXPECT_TRUE(store->Close().ok());
}

}  // namespace
}  // namespace barrage
