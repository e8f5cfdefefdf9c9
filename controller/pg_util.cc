#include "controller/pg_util.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace barrage {
namespace {

std::string Trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

std::string RedactPostgresUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&') continue;
    const size_t value = p + 9;
    const size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

PgParams& PgParams::Int(int64_t v) {
  values_.push_back(std::to_string(v));
  null_.push_back(false);
  return *this;
}

PgParams& PgParams::Text(std::string_view v) {
  values_.emplace_back(v);
  null_.push_back(false);
  return *this;
}

PgParams& PgParams::Bytes(std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "\\x";
  hex.reserve(2 + 2 * v.size());
  for (unsigned char c : v) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  values_.push_back(std::move(hex));
  null_.push_back(false);
  return *this;
}

PgParams& PgParams::Null() {
  values_.emplace_back();
  null_.push_back(true);
  return *this;
}

const char* const* PgParams::values() const {
  pointers_.clear();
  for (size_t i = 0; i < values_.size(); ++i) pointers_.push_back(null_[i] ? nullptr : values_[i].c_str());
  return pointers_.data();
}

PgRows::PgRows(pg_result* r) : r_(r) {}
PgRows::PgRows(PgRows&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
PgRows& PgRows::operator=(PgRows&& o) noexcept {
  std::swap(r_, o.r_);
  return *this;
}
PgRows::~PgRows() { PQclear(r_); }
int PgRows::size() const { return r_ ? PQntuples(r_) : 0; }
bool PgRows::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::string_view PgRows::Text(int row, int col) const {
  return std::string_view(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}
int64_t PgRows::Int(int row, int col) const {
  const std::string_view t = Text(row, col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}
std::optional<int64_t> PgRows::OptionalInt(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int(row, col);
}
double PgRows::Double(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }
bool PgRows::Bool(int row, int col) const { return Text(row, col) == "t"; }
std::string PgRows::Bytes(int row, int col) const {
  const std::string_view t = Text(row, col);
  std::string out;
  if (t.size() < 2 || t[0] != '\\' || t[1] != 'x') return out;
  out.reserve((t.size() - 2) / 2);
  for (size_t i = 2; i + 1 < t.size(); i += 2) {
    out.push_back(static_cast<char>(HexValue(t[i]) << 4 | HexValue(t[i + 1])));
  }
  return out;
}
int64_t PgRows::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

Result<PgConnection> PgConnection::Connect(const std::string& url, const std::string& name, bool read_only) {
  PgConnection c;
  c.name_ = name;
  c.conn_ = PQconnectdb(url.c_str());
  if (c.conn_ == nullptr) return Status::IoError(name + ": connect: out of memory");
  if (PQstatus(c.conn_) != CONNECTION_OK) return c.Error("connect");
  // Our own messages name the database; the server's notices would only clutter stderr.
  PQsetNoticeProcessor(
      c.conn_, [](void*, const char*) {}, nullptr);
  std::string settings = "SET client_min_messages = warning; SET client_encoding = 'UTF8'";
  if (read_only) settings += "; SET default_transaction_read_only = on";
  if (Status st = c.ExecScript(settings); !st.ok()) return st;
  return c;
}

PgConnection::PgConnection(PgConnection&& o) noexcept
    : conn_(std::exchange(o.conn_, nullptr)), name_(std::move(o.name_)) {}
PgConnection& PgConnection::operator=(PgConnection&& o) noexcept {
  std::swap(conn_, o.conn_);
  std::swap(name_, o.name_);
  return *this;
}
PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

Status PgConnection::Error(std::string_view what) const {
  return Status::IoError(name_ + ": " + std::string(what) + ": " +
                         (conn_ ? Trimmed(PQerrorMessage(conn_)) : std::string("not connected")));
}

Result<PgRows> PgConnection::Query(const std::string& sql, const PgParams& params) {
  if (conn_ == nullptr) return Status::IoError(name_ + ": not connected");
  PGresult* r =
      PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, params.values(), nullptr, nullptr, 0);
  PgRows rows(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const std::string message = r ? Trimmed(PQresultErrorMessage(r)) : Trimmed(PQerrorMessage(conn_));
    return Status::IoError(name_ + ": " + (message.empty() ? std::string("query failed") : message));
  }
  return rows;
}

Status PgConnection::Exec(const std::string& sql, const PgParams& params) {
  Result<PgRows> rows = Query(sql, params);
  return rows.ok() ? Status::Ok() : rows.status();
}

Status PgConnection::ExecScript(const std::string& sql) {
  if (conn_ == nullptr) return Status::IoError(name_ + ": not connected");
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  const std::string message = r ? Trimmed(PQresultErrorMessage(r)) : Trimmed(PQerrorMessage(conn_));
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return Status::IoError(name_ + ": " + (message.empty() ? std::string("query failed") : message));
  }
  return Status::Ok();
}

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data) {
  if (conn_ == nullptr) return Status::IoError(name_ + ": not connected");
  PGresult* r = PQexec(conn_, copy_sql.c_str());
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  PQclear(r);
  if (st != PGRES_COPY_IN) return Error("copy samples");
  constexpr size_t kChunk = 1 << 20;
  bool sent = true;
  for (size_t i = 0; i < data.size() && sent; i += kChunk) {
    const size_t n = std::min(kChunk, data.size() - i);
    sent = PQputCopyData(conn_, data.data() + i, static_cast<int>(n)) == 1;
  }
  if (PQputCopyEnd(conn_, sent ? nullptr : "barrage: sending failed") != 1) sent = false;
  Status result;
  while (PGresult* end = PQgetResult(conn_)) {
    if (PQresultStatus(end) != PGRES_COMMAND_OK && result.ok()) {
      result = Status::IoError(name_ + ": copy samples: " + Trimmed(PQresultErrorMessage(end)));
    }
    PQclear(end);
  }
  if (result.ok() && !sent) return Error("copy samples");
  return result;
}

Status PgConnection::ForEachRow(const std::string& sql, const PgParams& params, int batch,
                                const std::function<void(const PgRows&, int)>& row) {
  if (Status st = Exec("BEGIN READ ONLY"); !st.ok()) return st;
  Status st = Exec("DECLARE barrage_rows NO SCROLL CURSOR FOR " + sql, params);
  const std::string fetch = "FETCH " + std::to_string(batch) + " FROM barrage_rows";
  while (st.ok()) {
    Result<PgRows> rows = Query(fetch);
    if (!rows.ok()) {
      st = rows.status();
      break;
    }
    for (int i = 0; i < rows->size(); ++i) row(*rows, i);
    if (rows->size() < batch) break;
  }
  Status end = Exec(st.ok() ? "COMMIT" : "ROLLBACK");
  return st.ok() ? end : st;
}

void AppendCopyText(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\0': break;
      default: out->push_back(c);
    }
  }
}

}  // namespace barrage
