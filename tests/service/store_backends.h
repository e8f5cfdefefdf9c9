// The service stores' tests on both results-store backends: a test suite derived from
// StoreBackendTest runs each TEST_P on a SQLite file and on a fresh database of a real
// PostgreSQL server (tests/integration/postgres_fixture.h, postgresql-15; one server per test
// suite). Db() is the store's path or URL; Scalar() reads one value from it directly.
//
// Without the server's binaries the PostgreSQL half fails under CI=true and is skipped
// otherwise (POSTGRES_FIXTURE_REQUIRE). A derived SetUp() calls StoreBackendTest::SetUp()
// first and returns when it skipped or failed (Ready()).
#ifndef BARRAGE_TESTS_SERVICE_STORE_BACKENDS_H_
#define BARRAGE_TESTS_SERVICE_STORE_BACKENDS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "controller/sql_connection.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/postgres_fixture.h"

namespace barrage::test {

enum class StoreKind { kSqlite, kPostgres };

inline std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

class StoreBackendTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  static void SetUpTestSuite() { server_ = PostgresServer::Start(&why_).release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == StoreKind::kSqlite) {
      db_ = dir_.File("results.db");
      return;
    }
    POSTGRES_FIXTURE_REQUIRE(server_, why_);
    static int databases = 0;
    db_ = server_->CreateDatabase("service_" + std::to_string(++databases));
    ASSERT_FALSE(db_.empty());
  }

  // False when SetUp() skipped the test or failed.
  bool Ready() const { return !IsSkipped() && !HasFatalFailure(); }
  bool Postgres() const { return GetParam() == StoreKind::kPostgres; }
  const std::string& Db() const { return db_; }
  // Another store of the same backend ("" after ADD_FAILURE).
  std::string OtherDb(const std::string& name) {
    if (!Postgres()) return dir_.File(name + ".db");
    static int others = 0;
    return server_->CreateDatabase("other_" + std::to_string(++others));
  }

  // The first column of the first row of `sql` as text ("NULL" for NULL), "" when there is
  // no row; ADD_FAILURE on an error.
  std::string Scalar(const std::string& sql) const {
    Result<std::unique_ptr<SqlConnection>> db = SqlConnection::Open(db_);
    if (!db.ok()) {
      ADD_FAILURE() << db.status().message();
      return "";
    }
    std::string out;
    bool first = true;
    Status st = (*db)->Query(sql, SqlParams(), [&](const SqlRow& row) {
      if (first) out = row.IsNull(0) ? "NULL" : row.Text(0);
      first = false;
    });
    if (!st.ok()) ADD_FAILURE() << st.message();
    return out;
  }

  static inline PostgresServer* server_ = nullptr;
  static inline std::string why_;
  TempDir dir_;
  std::string db_;
};

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_SERVICE_STORE_BACKENDS_H_
