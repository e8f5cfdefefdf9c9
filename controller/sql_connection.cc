#include "controller/sql_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "controller/pg_util.h"
#include "controller/postgres_schema.h"
#include "controller/results_store.h"
#include "controller/sqlite_util.h"
#include "controller/store_schema.h"

namespace barrage {
namespace {

// pg_advisory_xact_lock key of Begin() ("BARRSERV").
constexpr int64_t kWriteLock = 0x4241525253455256;

// ---------------------------------------------------------------------------------------
// SQLite

class SqliteRow : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  bool IsNull(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const override { return ColumnText(s_, col); }
  bool Bool(int col) const override { return sqlite3_column_int64(s_, col) != 0; }

 private:
  sqlite3_stmt* s_;
};

// PostgreSQL's "C" collation: byte order, which is SQLite's BINARY.
int CompareBytes(void*, int a_size, const void* a, int b_size, const void* b) {
  const int n = std::memcmp(a, b, static_cast<size_t>(std::min(a_size, b_size)));
  return n != 0 ? n : a_size - b_size;
}

class SqliteConnection : public SqlConnection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    statements_.clear();  // finalized first: sqlite3_close refuses a connection with statements
    sqlite3_close(db_);
  }

  Status Init() {
    // OpenConnection without `create` is query_only; these tables are written.
    if (Status st = barrage::Exec(db_, path_, "PRAGMA query_only=0"); !st.ok()) return st;
    if (sqlite3_create_collation(db_, "C", SQLITE_UTF8, nullptr, CompareBytes) != SQLITE_OK) {
      return DbError(db_, path_, "collation C");
    }
    return Status::Ok();
  }

  Result<int> SchemaVersion() override {
    if (Status st = CheckIsResultsStore(db_, path_, /*must_be_store=*/true); !st.ok()) return st;
    int64_t version = 0;
    Status st =
        Query("SELECT max(version) FROM schema_version", SqlParams(), [&](const SqlRow& row) { version = row.Int(0); });
    if (!st.ok()) return st;
    return static_cast<int>(version);
  }

  Status Query(const std::string& sql, const SqlParams& params, const RowFn& row) override {
    return Run(sql, params, row);
  }

  Result<int64_t> Exec(const std::string& sql, const SqlParams& params) override {
    if (Status st = Run(sql, params, nullptr); !st.ok()) return st;
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Status Begin() override { return barrage::Exec(db_, path_, "BEGIN IMMEDIATE"); }
  Status Commit() override { return barrage::Exec(db_, path_, "COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
  const std::string& name() const override { return path_; }

 private:
  Status Run(const std::string& sql, const SqlParams& params, const RowFn& row) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      Stmt s;
      if (Status st = Prepare(db_, path_, sql, &s); !st.ok()) return st;
      it = statements_.emplace(sql, std::move(s)).first;
    }
    sqlite3_stmt* q = it->second.get();
    // Reset on every way out: a statement left stepping would hold its read transaction.
    struct Reset {
      sqlite3_stmt* q;
      ~Reset() {
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
      }
    } reset{q};
    const std::vector<SqlParams::Value>& values = params.values();
    if (sqlite3_bind_parameter_count(q) != static_cast<int>(values.size())) {
      return Status::Internal(path_ + ": statement has " + std::to_string(sqlite3_bind_parameter_count(q)) +
                              " parameters, " + std::to_string(values.size()) + " given: " + sql);
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string placeholder = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(q, placeholder.c_str());
      if (index == 0) return Status::Internal(path_ + ": statement has no " + placeholder + ": " + sql);
      const SqlParams::Value& v = values[i];
      switch (v.kind) {
        case SqlParams::Kind::kNull: sqlite3_bind_null(q, index); break;
        case SqlParams::Kind::kInt:
        case SqlParams::Kind::kBool: sqlite3_bind_int64(q, index, v.number); break;
        case SqlParams::Kind::kText: BindText(q, index, v.text); break;
      }
    }
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
      if (row) row(SqliteRow(q));
    }
    if (rc != SQLITE_DONE) return DbError(db_, path_, "query");
    return Status::Ok();
  }

  sqlite3* db_;
  const std::string path_;
  std::unordered_map<std::string, Stmt> statements_;  // by SQL text
};

// ---------------------------------------------------------------------------------------
// PostgreSQL

class PostgresRow : public SqlRow {
 public:
  PostgresRow(const PgRows& rows, int row) : rows_(rows), row_(row) {}
  bool IsNull(int col) const override { return rows_.IsNull(row_, col); }
  int64_t Int(int col) const override { return rows_.Int(row_, col); }
  std::string Text(int col) const override { return std::string(rows_.Text(row_, col)); }
  bool Bool(int col) const override { return rows_.Bool(row_, col); }

 private:
  const PgRows& rows_;
  int row_;
};

class PostgresConnection : public SqlConnection {
 public:
  explicit PostgresConnection(PgConnection db) : db_(std::move(db)) {}

  Result<int> SchemaVersion() override { return PostgresSchemaVersion(db_); }

  Status Query(const std::string& sql, const SqlParams& params, const RowFn& row) override {
    Result<PgRows> rows = db_.Query(sql, ToPg(params));
    if (!rows.ok()) return rows.status();
    if (row) {
      for (int i = 0; i < rows->size(); ++i) row(PostgresRow(*rows, i));
    }
    return Status::Ok();
  }

  Result<int64_t> Exec(const std::string& sql, const SqlParams& params) override {
    Result<PgRows> rows = db_.Query(sql, ToPg(params));
    if (!rows.ok()) return rows.status();
    return rows->affected();
  }

  Status Begin() override {
    if (Status st = db_.Exec("BEGIN"); !st.ok()) return st;
    if (Status st = db_.Exec("SELECT pg_advisory_xact_lock($1)", PgParams().Int(kWriteLock)); !st.ok()) {
      Rollback();
      return st;
    }
    return Status::Ok();
  }
  Status Commit() override { return db_.Exec("COMMIT"); }
  void Rollback() override { (void)db_.Exec("ROLLBACK"); }
  const std::string& name() const override { return db_.name(); }

 private:
  static PgParams ToPg(const SqlParams& params) {
    PgParams out;
    for (const SqlParams::Value& v : params.values()) {
      switch (v.kind) {
        case SqlParams::Kind::kNull: out.Null(); break;
        case SqlParams::Kind::kInt: out.Int(v.number); break;
        case SqlParams::Kind::kBool: out.Text(v.number != 0 ? "true" : "false"); break;
        case SqlParams::Kind::kText: out.Text(v.text); break;
      }
    }
    return out;
  }

  PgConnection db_;
};

}  // namespace

SqlParams& SqlParams::Int(int64_t v) {
  values_.push_back({Kind::kInt, v, {}});
  return *this;
}
SqlParams& SqlParams::Text(std::string_view v) {
  values_.push_back({Kind::kText, 0, std::string(v)});
  return *this;
}
SqlParams& SqlParams::Bool(bool v) {
  values_.push_back({Kind::kBool, v ? 1 : 0, {}});
  return *this;
}
SqlParams& SqlParams::Null() {
  values_.push_back({Kind::kNull, 0, {}});
  return *this;
}

Status SqlConnection::Transaction(const std::function<Status()>& body) {
  if (Status st = Begin(); !st.ok()) return st;
  Status st = body();
  if (st.ok()) st = Commit();
  if (!st.ok()) Rollback();
  return st;
}

Result<std::unique_ptr<SqlConnection>> SqlConnection::Open(const std::string& path_or_url) {
  if (IsPostgresUrl(path_or_url)) {
    Result<PgConnection> db = PgConnection::Connect(path_or_url, RedactPostgresUrl(path_or_url), /*read_only=*/false);
    if (!db.ok()) return db.status();
    return std::unique_ptr<SqlConnection>(new PostgresConnection(std::move(db).value()));
  }
  Result<sqlite3*> db = OpenConnection(path_or_url, /*create=*/false);
  if (!db.ok()) return db.status();
  auto connection = std::make_unique<SqliteConnection>(*db, path_or_url);
  if (Status st = connection->Init(); !st.ok()) return st;
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace barrage
