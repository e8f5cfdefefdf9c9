// The small libpq toolkit the PostgreSQL results store is written with: a connection that
// owns its PGconn, parameterised statements (text parameters, text results), COPY FROM
// STDIN, and errors that name the database by its URL without the password. Internal to
// controller/.
//
// Threads: a PgConnection is used by one thread at a time (the caller's own locking), as
// libpq requires. Errors: IoError "URL: WHAT: <server's message>"; a lost connection makes
// every later call fail the same way (ok() turns false), never hang past the server's
// TCP keepalive.
#ifndef BARRAGE_CONTROLLER_PG_UTIL_H_
#define BARRAGE_CONTROLLER_PG_UTIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace barrage {

// `url` with the password of its user-info part and any password= parameter replaced by
// "***": postgresql://u:***@host/db. What every message names the database by.
std::string RedactPostgresUrl(std::string_view url);

// Statement parameters, all sent as text (bytea as its \x hex form).
class PgParams {
 public:
  PgParams& Int(int64_t v);
  PgParams& Text(std::string_view v);
  PgParams& Bytes(std::string_view v);  // bytea
  PgParams& Null();
  PgParams& OptionalInt(const std::optional<int64_t>& v) { return v ? Int(*v) : Null(); }
  PgParams& OptionalText(const std::string& v) { return v.empty() ? Null() : Text(v); }  // NULL when empty
  size_t size() const { return values_.size(); }
  // The values as libpq takes them; valid until the next change.
  const char* const* values() const;

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  mutable std::vector<const char*> pointers_;
};

// A statement's result rows: text values, NULL as nullopt.
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(pg_result* r);
  PgRows(PgRows&& o) noexcept;
  PgRows& operator=(PgRows&& o) noexcept;
  ~PgRows();
  int size() const;
  bool IsNull(int row, int col) const;
  std::string_view Text(int row, int col) const;  // "" for NULL
  int64_t Int(int row, int col) const;            // 0 for NULL or not a number
  std::optional<int64_t> OptionalInt(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const;          // 't'
  std::string Bytes(int row, int col) const;  // a bytea's bytes (from its \x hex form)
  int64_t affected() const;                   // rows an INSERT/UPDATE/DELETE changed

 private:
  pg_result* r_ = nullptr;
};

class PgConnection {
 public:
  // Connects to `url` (postgresql:// or postgres://), naming it `name` (RedactPostgresUrl)
  // in errors; `read_only` sets default_transaction_read_only.
  static Result<PgConnection> Connect(const std::string& url, const std::string& name, bool read_only);

  PgConnection() = default;
  PgConnection(PgConnection&& o) noexcept;
  PgConnection& operator=(PgConnection&& o) noexcept;
  ~PgConnection();

  // Runs one statement ($1, $2, ... bound from params).
  Result<PgRows> Query(const std::string& sql, const PgParams& params = PgParams());
  // A statement without rows; `what` names it in the error.
  Status Exec(const std::string& sql, const PgParams& params = PgParams());
  // Runs several statements separated by ';' (no parameters), as one simple query.
  Status ExecScript(const std::string& sql);
  // Runs `copy_sql` (COPY ... FROM STDIN) and sends `data` (COPY text format) to it.
  Status CopyIn(const std::string& copy_sql, std::string_view data);
  // Runs `sql` (a SELECT) through a cursor in a read-only transaction, calling row(rows, i)
  // for each row, `batch` rows fetched at a time: a big result never sits in memory whole.
  Status ForEachRow(const std::string& sql, const PgParams& params, int batch,
                    const std::function<void(const PgRows&, int)>& row);
  // False once the connection is lost.
  bool ok() const;
  const std::string& name() const { return name_; }
  // IoError "NAME: what: <connection's message>".
  Status Error(std::string_view what) const;

 private:
  pg_conn* conn_ = nullptr;
  std::string name_;
};

// Appends `v` to a COPY text-format row, escaped (backslash, tab, newline, carriage return);
// NUL bytes, which PostgreSQL text cannot hold, are dropped.
void AppendCopyText(std::string* out, std::string_view v);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_PG_UTIL_H_
