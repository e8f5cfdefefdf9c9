// The results store's parts for `barrage serve` (issue 13, schema 8): plan versions put
// without a run (with their data files), queued executions that a run later begins, a queued
// run ended without starting, and the migration that widened execution.status.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "common/digest.h"
#include "controller/results_store.h"
#include "controller/store_schema.h"
#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using test::RawScalar;

constexpr char kJmx[] = "<jmeterTestPlan version=\"1.2\"><hashTree/></jmeterTestPlan>\n";

class StoreQueueTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return dir_.File("results.db"); }
  ResultsStore Open(const std::string& project = "shop") {
    Result<ResultsStore> store = ResultsStore::Open(DbPath(), {.project = project});
    EXPECT_TRUE(store.ok()) << store.status().message();
    return std::move(store).value();
  }
  TempDir dir_;
};

TEST_F(StoreQueueTest, PutDefinitionNumbersVersionsByContentAndKeepsTheFiles) {
  ResultsStore store = Open();
  const std::vector<DefinitionFile> files = {{"users.csv", Sha256Hex("a\n"), 2}, {"data/ids.csv", Sha256Hex("1\n"), 2}};
  Result<DefinitionRecord> first = store.PutDefinition("shop.jmx", "content-1", kJmx, std::nullopt, files);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->sha256, "content-1");
  ASSERT_EQ(first->files.size(), 2u);  // by name
  EXPECT_EQ(first->files[0].name, "data/ids.csv");
  EXPECT_EQ(first->files[1].name, "users.csv");
  EXPECT_EQ(first->files[1].sha256, Sha256Hex("a\n"));

  Result<DefinitionRecord> same = store.PutDefinition("shop.jmx", "content-1", kJmx, std::nullopt, {});
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->created);
  EXPECT_EQ(same->id, first->id);
  EXPECT_EQ(same->files.size(), 2u);  // the version's files stay as they were
  Result<DefinitionRecord> second = store.PutDefinition("shop.jmx", "content-2", kJmx, std::nullopt, {});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);

  Result<DefinitionRecord> newest = store.GetDefinition("shop.jmx", std::nullopt);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->version, 2);
  Result<DefinitionRecord> v1 = store.GetDefinition("shop.jmx", 1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->id, first->id);
  EXPECT_EQ(store.GetDefinition("shop.jmx", 3).status().message(), "plan 'shop.jmx' has no version 3");
  EXPECT_EQ(store.GetDefinition("nope.jmx", std::nullopt).status().message(),
            "plan 'nope.jmx' not found in project 'shop'");
  Result<std::string> jmx = store.DefinitionJmx(first->id);
  ASSERT_TRUE(jmx.ok());
  EXPECT_EQ(*jmx, kJmx);
  Result<std::vector<DefinitionRecord>> all = store.ListDefinitions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].version, 1);
  EXPECT_EQ((*all)[1].version, 2);
  // Another project sees none of them.
  ResultsStore other = Open("web");
  EXPECT_EQ(other.ListDefinitions()->size(), 0u);
}

TEST_F(StoreQueueTest, AQueuedExecutionIsBegunByItsRunAndKeepsItsIdProjectAndDefinition) {
  ResultsStore service = Open();
  Result<DefinitionRecord> def = service.PutDefinition("shop.jmx", "c", kJmx, std::nullopt, {});
  ASSERT_TRUE(def.ok());
  ExecutionInfo queued;
  queued.plan_path = "shop.jmx";
  queued.project = "shop";
  queued.started_at_ms = 1'000;
  queued.triggered_by = "token:ci";
  Result<int64_t> id = service.QueueExecution(queued, def->id);
  ASSERT_TRUE(id.ok()) << id.status().message();
  Result<ExecutionRecord> waiting = service.GetExecution(*id);
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->status, ExecutionStatus::kQueued);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT status FROM execution"), "queued");
  EXPECT_EQ(service.DeleteExecution(*id).status().message(),
            DbPath() + ": run " + std::to_string(*id) + " is still queued");

  // The run (another handle, as a `barrage run --queued-run` process has) begins it.
  ResultsStore runner = Open("shop");
  ExecutionInfo run;
  run.plan_path = "/data/runs/1/shop.jmx";
  run.plan_name = "Shop";
  run.project = "shop";
  run.started_at_ms = 2'000;
  run.plan_jmx = "<other bytes/>";  // the queued row's definition stays
  run.queued_id = *id;
  Result<int64_t> begun = runner.BeginExecution(run);
  ASSERT_TRUE(begun.ok()) << begun.status().message();
  EXPECT_EQ(*begun, *id);
  ASSERT_TRUE(runner.Finish(ExecutionStatus::kPassed, 3'000).ok());
  Result<ExecutionRecord> done = service.GetExecution(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, ExecutionStatus::kPassed);
  EXPECT_EQ(done->started_at_ms, 2'000);
  EXPECT_EQ(done->plan_name, "Shop");
  EXPECT_EQ(done->definition_id, def->id);
  EXPECT_EQ(done->definition_version, 1);
  EXPECT_EQ(done->triggered_by, "token:ci");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM test_definition"), "1");

  // A second begin of the same id: it is not queued any more.
  run.queued_id = *id;
  Result<int64_t> again = runner.BeginExecution(run);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), DbPath() + ": run " + std::to_string(*id) + " is not queued");
}

TEST_F(StoreQueueTest, AQueuedRunStoppedBeforeItStartsEndsWithItsReason) {
  ResultsStore service = Open();
  Result<DefinitionRecord> def = service.PutDefinition("shop.jmx", "c", kJmx, std::nullopt, {});
  ASSERT_TRUE(def.ok());
  ExecutionInfo queued;
  queued.project = "shop";
  queued.started_at_ms = 1'000;
  Result<int64_t> id = service.QueueExecution(queued, def->id);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(service.EndQueuedExecution(*id, ExecutionStatus::kAborted, 5'000, "stopped by token:ci").ok());
  Result<ExecutionRecord> ended = service.GetExecution(*id);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->status, ExecutionStatus::kAborted);
  EXPECT_EQ(ended->ended_at_ms, 5'000);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT details FROM audit_log WHERE what = 'stopped'"),
            R"({"reason":"stopped by token:ci","status":"aborted"})");
  Status twice = service.EndQueuedExecution(*id, ExecutionStatus::kAborted, 6'000, "again");
  EXPECT_EQ(twice.message(), DbPath() + ": run " + std::to_string(*id) + " is not queued");
  // A definition of another project cannot be queued here.
  ResultsStore web = Open("web");
  queued.project = "web";
  Result<int64_t> foreign = web.QueueExecution(queued, def->id);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().message(), DbPath() + ": no definition " + std::to_string(def->id) + " in project 'web'");
}

TEST_F(StoreQueueTest, AQueuedRunOfAServiceThatIsGoneIsMarkedAborted) {
  {
    ResultsStore service = Open();
    Result<DefinitionRecord> def = service.PutDefinition("shop.jmx", "c", kJmx, std::nullopt, {});
    ASSERT_TRUE(def.ok());
    ExecutionInfo queued;
    queued.project = "shop";
    ASSERT_TRUE(service.QueueExecution(queued, def->id).ok());
    EXPECT_EQ(*service.MarkInterruptedExecutions(), 0);  // its service (this process) is alive
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE execution SET controller_pid = 2147483646", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ResultsStore next = Open();
  EXPECT_EQ(*next.MarkInterruptedExecutions(), 1);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT status FROM execution"), "aborted");
}

// Version 8 rebuilt the execution table to allow 'queued': every row and column of a version-7
// file stays as it was.
TEST_F(StoreQueueTest, VersionSevenExecutionsAreKeptByTheMigration) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_TRUE(CreateOrMigrateSchema(db, DbPath(), 1795705930000, /*to_version=*/7).ok());
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO execution(id, plan_path, plan_name, started_at, ended_at, status, project_id, "
                         "properties, infra, triggered_by, sample_count, controller_host, controller_pid, "
                         "controller_start, dropped_iterations) VALUES "
                         "(3, '/p/a.jmx', 'A', 10, 20, 'passed', 1, '{\"u\":\"5\"}', '{\"mode\":\"local\"}', 'ann', 7, "
                         "'h1', 42, 99, 2), (9, '/p/b.jmx', 'B', 30, NULL, 'aborted', 1, '{}', "
                         "'{\"mode\":\"cluster\"}', 'bob', 0, NULL, NULL, NULL, 0); COMMIT",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  const std::string dump =
      "SELECT group_concat(quote(id) || quote(plan_path) || quote(plan_name) || quote(started_at) "
      "|| quote(ended_at) || quote(status) || quote(project_id) || quote(definition_id) || "
      "quote(properties) || quote(infra) || quote(triggered_by) || quote(sample_count) || "
      "quote(controller_host) || quote(controller_pid) || quote(controller_start) || "
      "quote(dropped_iterations), '|') FROM execution";
  const std::string before = RawScalar(DbPath(), dump);
  ASSERT_FALSE(before.empty());
  ResultsStore store = Open("default");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT version FROM schema_version"), "8");
  EXPECT_EQ(RawScalar(DbPath(), dump), before);
  EXPECT_EQ(RawScalar(DbPath(), "SELECT sql LIKE '%''queued''%' FROM sqlite_schema WHERE name = 'execution'"), "1");
  EXPECT_EQ(RawScalar(DbPath(), "SELECT count(*) FROM sqlite_schema WHERE name = 'execution_by_project'"), "1");
  // New executions continue after the highest id.
  ExecutionInfo info;
  Result<int64_t> next = store.BeginExecution(info);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(*next, 10);
}

}  // namespace
}  // namespace barrage
