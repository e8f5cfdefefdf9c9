// controller/sql_connection.h, the connection the service's stores are written on, on both
// backends (store_backends.h): one statement text, the same answers.
#include "controller/sql_connection.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "controller/store_schema.h"
#include "tests/service/store_backends.h"

namespace barrage {
namespace {

class SqlConnectionTest : public test::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (!Ready()) return;
    Result<ResultsStore> results = ResultsStore::Open(Db());  // creates the schema
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_TRUE(results->Close().ok());
    Result<std::unique_ptr<SqlConnection>> db = SqlConnection::Open(Db());
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_conn_ = std::move(db).value();
  }

  // Project `name` made with created_at `at`; its id.
  int64_t AddProject(const std::string& name, int64_t at) {
    int64_t id = 0;
    Status st = db_conn_->Query("INSERT INTO project(created_at, name) VALUES ($2, $1) RETURNING id",
                                SqlParams().Text(name).Int(at), [&](const SqlRow& row) { id = row.Int(0); });
    EXPECT_TRUE(st.ok()) << st.message();
    return id;
  }

  std::vector<std::string> Names(const std::string& sql) {
    std::vector<std::string> out;
    Status st = db_conn_->Query(sql, SqlParams(), [&](const SqlRow& row) { out.push_back(row.Text(0)); });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }

  std::unique_ptr<SqlConnection> db_conn_;
};

TEST_P(SqlConnectionTest, TheStoreIsAtTheCurrentSchemaVersion) {
  Result<int> version = db_conn_->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().message();
  EXPECT_EQ(*version, kStoreSchemaVersion);
  EXPECT_EQ(db_conn_->name(), Db());
}

TEST_P(SqlConnectionTest, PlaceholdersBindByNumberAndReturningGivesTheNewId) {
  EXPECT_EQ(AddProject("shop", 1000), 2);  // "default" is 1
  EXPECT_EQ(AddProject("billing", 2000), 3);
  std::vector<std::string> rows;
  Status st =
      db_conn_->Query("SELECT name, created_at FROM project WHERE id > $1 ORDER BY id", SqlParams().Int(1),
                      [&](const SqlRow& row) { rows.push_back(row.Text(0) + " " + std::to_string(row.Int(1))); });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(rows, (std::vector<std::string>{"shop 1000", "billing 2000"}));
}

TEST_P(SqlConnectionTest, BooleansNullsAndChangedRowCounts) {
  const int64_t project = AddProject("shop", 1);
  const std::string insert =
      "INSERT INTO schedule(project_id, name, cron, time_zone, run, enabled, created_by, created_at, next_fire_at)"
      " VALUES ($1, $2, '* * * * *', 'UTC', '{}', $3, 'ci', 0, $4)";
  ASSERT_TRUE(db_conn_->Exec(insert, SqlParams().Int(project).Text("on").Bool(true).Int(60'000)).ok());
  ASSERT_TRUE(db_conn_->Exec(insert, SqlParams().Int(project).Text("off").Bool(false).Null()).ok());
  EXPECT_EQ(Names("SELECT name FROM schedule WHERE enabled ORDER BY id"), (std::vector<std::string>{"on"}));
  std::vector<std::string> rows;
  Status st = db_conn_->Query("SELECT name, enabled, next_fire_at FROM schedule ORDER BY id", SqlParams(),
                              [&](const SqlRow& row) {
                                rows.push_back(row.Text(0) + " " + (row.Bool(1) ? "true" : "false") + " " +
                                               (row.OptionalInt(2) ? std::to_string(*row.OptionalInt(2)) : "null"));
                              });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(rows, (std::vector<std::string>{"on true 60000", "off false null"}));
  Result<int64_t> changed = db_conn_->Exec("UPDATE schedule SET enabled = $1", SqlParams().Bool(true));
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, 2);
  Result<int64_t> none = db_conn_->Exec("DELETE FROM schedule WHERE id = $1", SqlParams().Int(99));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST_P(SqlConnectionTest, CollateCOrdersByBytesOnBoth) {
  for (const char* name : {"b", "B", "a", "_x"}) AddProject(name, 1);
  EXPECT_EQ(Names("SELECT name FROM project WHERE id > 1 ORDER BY name COLLATE \"C\""),
            (std::vector<std::string>{"B", "_x", "a", "b"}));
}

TEST_P(SqlConnectionTest, ATransactionWhoseBodyFailsLeavesNothing) {
  Status st = db_conn_->Transaction([&]() -> Status {
    AddProject("shop", 1);
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(st.message(), "changed my mind");
  EXPECT_EQ(Scalar("SELECT count(*) FROM project WHERE name = 'shop'"), "0");
  ASSERT_TRUE(db_conn_
                  ->Transaction([&]() -> Status {
                    AddProject("shop", 1);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM project WHERE name = 'shop'"), "1");
}

TEST_P(SqlConnectionTest, AParameterTheStatementDoesNotTakeIsAnError) {
  Result<int64_t> n = db_conn_->Exec("DELETE FROM project WHERE id = $1", SqlParams().Int(5).Int(6));
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find(Db()), std::string::npos) << n.status().message();
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlConnectionTest,
                         ::testing::Values(test::StoreKind::kSqlite, test::StoreKind::kPostgres), test::StoreKindName);

TEST(SqlConnectionOpenTest, AMissingSqliteFileIsAnErrorAndIsNotCreated) {
  TempDir dir;
  Result<std::unique_ptr<SqlConnection>> db = SqlConnection::Open(dir.File("none.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().message().rfind(dir.File("none.db") + ": cannot open", 0), 0u) << db.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir.File("none.db")));
}

}  // namespace
}  // namespace barrage
