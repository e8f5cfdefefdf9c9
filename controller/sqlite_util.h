// The small SQLite toolkit the results store is written with: an owning prepared
// statement, errors that name the file, exec/prepare/bind/column helpers and the
// connection settings both of the store's connections use. Internal to controller/.
#ifndef BARRAGE_CONTROLLER_SQLITE_UTIL_H_
#define BARRAGE_CONTROLLER_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace barrage {

// Owns a prepared statement.
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// IoError "PATH: WHAT: <sqlite's message>".
Status DbError(sqlite3* db, const std::string& path, const std::string& what);
// Runs `sql` (no rows); IoError "PATH: <message>" on failure.
Status Exec(sqlite3* db, const std::string& path, const char* sql);
// PRAGMA journal_mode=WAL. Switching a new file to WAL fails with SQLITE_BUSY at once,
// without the busy handler, while another process opens the same new file, so that is
// retried for up to `timeout`.
Status SetWalMode(sqlite3* db, const std::string& path, std::chrono::milliseconds timeout);
// True when the file has no page yet (just created); false on any error.
bool IsEmptyDatabase(sqlite3* db);
// Runs one statement on `db`: bind(), then row() for each result row (either may be empty).
// IoError "PATH: query: <message>" on failure.
Status QueryRows(sqlite3* db, const std::string& path, const std::string& sql,
                 const std::function<void(sqlite3_stmt*)>& bind, const std::function<void(sqlite3_stmt*)>& row);
// BEGIN IMMEDIATE (the write lock first, so the busy handler can wait for another writer),
// body(), then COMMIT, or ROLLBACK when body() fails (its error is returned).
Status ImmediateTransaction(sqlite3* db, const std::string& path, const std::function<Status()>& body);
// A persistent prepared statement.
Status Prepare(sqlite3* db, const std::string& path, const std::string& sql, Stmt* stmt);

std::string ColumnText(sqlite3_stmt* s, int i);
std::optional<int64_t> ColumnOptional(sqlite3_stmt* s, int i);  // nullopt for NULL
void BindText(sqlite3_stmt* s, int i, std::string_view text);   // SQLITE_STATIC: text outlives the step
void BindU64(sqlite3_stmt* s, int i, uint64_t v);
void BindOptionalText(sqlite3_stmt* s, int i, const std::string& text);  // NULL when empty

// A connection used by one thread at a time (the caller's own locking), so without
// SQLite's mutex; extended result codes, a 10 s busy timeout. Without `create` it is
// query_only. The reader opens read-write too (it never writes: query_only), because a
// read-only connection cannot open a WAL database whose -shm file is gone.
Result<sqlite3*> OpenConnection(const std::string& path, bool create);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_SQLITE_UTIL_H_
