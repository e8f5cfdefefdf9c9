// One SQL connection to a results store on either backend, for the code that keeps tables of
// its own in the store (barrage serve's tokens, schedules and webhooks: service/tokens.h,
// service/schedules.h, service/webhooks.h). The store's owner (ResultsStore::Open) creates and
// migrates the schema; this only runs statements on it, written once for both engines:
//   - placeholders $1, $2, ... on both (SQLite binds them as the named parameters "$1", ...);
//     every parameter must appear in the statement, as PostgreSQL requires;
//   - ids of new rows by INSERT ... RETURNING id (SQLite 3.35+), never last_insert_rowid;
//   - booleans are INTEGER 0/1 in SQLite, boolean in PostgreSQL: bind them with Bool(), read
//     them with SqlRow::Bool(); `WHERE flag` works on both;
//   - ORDER BY text COLLATE "C" orders by bytes on both (the SQLite connection has a "C"
//     collation that is its BINARY).
//
// Open(path_or_url): a SQLite file (controller/sqlite_util.h; it must exist: nothing is
// created) or a PostgreSQL database named by a postgresql:// or postgres:// URL
// (controller/pg_util.h). SQLite statements are prepared once per SQL text and kept for the
// connection's life; PostgreSQL ones are sent with their parameters (PQexecParams).
//
// Threads: one thread at a time (the caller's own mutex), as both libraries require.
// Errors: IoError naming the file, or the URL without its password, and the engine's message.
#ifndef BARRAGE_CONTROLLER_SQL_CONNECTION_H_
#define BARRAGE_CONTROLLER_SQL_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

// A statement's parameters, $1 first.
class SqlParams {
 public:
  enum class Kind { kNull, kInt, kText, kBool };
  struct Value {
    Kind kind = Kind::kNull;
    int64_t number = 0;  // kInt; kBool as 0/1
    std::string text;    // kText
  };

  SqlParams& Int(int64_t v);
  SqlParams& Text(std::string_view v);
  SqlParams& Bool(bool v);
  SqlParams& Null();
  SqlParams& OptionalInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

// One result row, valid during the row callback only. Columns count from 0.
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;       // 0 for NULL
  virtual std::string Text(int col) const = 0;  // "" for NULL
  virtual bool Bool(int col) const = 0;         // false for NULL
  std::optional<int64_t> OptionalInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }
};

class SqlConnection {
 public:
  using RowFn = std::function<void(const SqlRow&)>;

  // Connects to the store at `path_or_url` (see the file comment); the file or the database
  // must exist. Says nothing yet about what it holds: see SchemaVersion().
  static Result<std::unique_ptr<SqlConnection>> Open(const std::string& path_or_url);

  virtual ~SqlConnection() = default;

  // The schema version of the Barrage results store it holds. Errors name the store:
  // NotFound "NAME: not a Barrage results store (an empty file | an empty database | ...)".
  virtual Result<int> SchemaVersion() = 0;

  // Runs one statement, calling row() for each result row (row may be empty).
  virtual Status Query(const std::string& sql, const SqlParams& params, const RowFn& row) = 0;
  // Runs one statement without rows; returns how many rows it inserted, updated or deleted.
  virtual Result<int64_t> Exec(const std::string& sql, const SqlParams& params = SqlParams()) = 0;

  // A write transaction, serialised with every other Begin() on the same store, so that a
  // check and the write it allows cannot interleave with another writer's (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: BEGIN and a transaction-level advisory lock).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;  // errors ignored: the body's error is the one to report
  // Begin(), body(), then Commit(), or Rollback() when body() (or Commit) fails.
  Status Transaction(const std::function<Status()>& body);

  // The store's name in messages: the path, or the URL without its password.
  virtual const std::string& name() const = 0;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_SQL_CONNECTION_H_
