#include "controller/sqlite_util.h"

#include <thread>

#include "common/clock.h"

namespace barrage {

Status DbError(sqlite3* db, const std::string& path, const std::string& what) {
  return Status::IoError(path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return Status::IoError(path + ": " + text);
  }
  return Status::Ok();
}

Status SetWalMode(sqlite3* db, const std::string& path, std::chrono::milliseconds timeout) {
  const int64_t deadline_us = MonotonicMicros() + timeout.count() * 1000;
  while (true) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Status::Ok();
    if ((rc & 0xff) != SQLITE_BUSY || MonotonicMicros() >= deadline_us) {
      return DbError(db, path, "set journal_mode=WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool IsEmptyDatabase(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &s, nullptr) != SQLITE_OK) return false;
  const bool empty = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0;
  sqlite3_finalize(s);
  return empty;
}

Status QueryRows(sqlite3* db, const std::string& path, const std::string& sql,
                 const std::function<void(sqlite3_stmt*)>& bind, const std::function<void(sqlite3_stmt*)>& row) {
  Stmt s;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, s.out(), nullptr) != SQLITE_OK) return DbError(db, path, "query");
  if (bind) bind(s.get());
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    if (row) row(s.get());
  }
  if (rc != SQLITE_DONE) return DbError(db, path, "query");
  return Status::Ok();
}

Status ImmediateTransaction(sqlite3* db, const std::string& path, const std::function<Status()>& body) {
  if (Status st = Exec(db, path, "BEGIN IMMEDIATE"); !st.ok()) return st;
  Status st = body();
  if (!st.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return Exec(db, path, "COMMIT");
}

Status Prepare(sqlite3* db, const std::string& path, const std::string& sql, Stmt* stmt) {
  if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT, stmt->out(),
                         nullptr) != SQLITE_OK) {
    return DbError(db, path, "prepare");
  }
  return Status::Ok();
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

std::optional<int64_t> ColumnOptional(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

void BindText(sqlite3_stmt* s, int i, std::string_view text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void BindU64(sqlite3_stmt* s, int i, uint64_t v) { sqlite3_bind_int64(s, i, static_cast<int64_t>(v)); }

void BindOptionalText(sqlite3_stmt* s, int i, const std::string& text) {
  if (text.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    BindText(s, i, text);
  }
}

Result<sqlite3*> OpenConnection(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status error = DbError(db, path, "cannot open");
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10'000);
  if (!create) sqlite3_exec(db, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
  return db;
}

}  // namespace barrage
