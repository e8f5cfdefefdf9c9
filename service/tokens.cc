#include "service/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/digest.h"
#include "controller/results_store.h"
#include "controller/sqlite_util.h"

namespace barrage {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kSecretBytes = 32;

constexpr const char* kTokenSelect =
    "SELECT t.id, p.name, t.name, t.role, t.created_at, t.created_by, t.revoked_at, t.last_used_at "
    "FROM api_token t JOIN project p ON p.id = t.project_id";

TokenRecord ReadToken(sqlite3_stmt* s) {
  TokenRecord r;
  r.id = sqlite3_column_int64(s, 0);
  r.project = ColumnText(s, 1);
  r.name = ColumnText(s, 2);
  r.role = ParseTokenRole(ColumnText(s, 3)).value_or(TokenRole::kViewer);  // the CHECK constraint allows no other word
  r.created_at_ms = sqlite3_column_int64(s, 4);
  r.created_by = ColumnText(s, 5);
  r.revoked_at_ms = ColumnOptional(s, 6);
  r.last_used_at_ms = ColumnOptional(s, 7);
  return r;
}

// RFC 4648 §5 without padding, from common/digest.h's standard alphabet.
std::string Base64Url(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

}  // namespace

Status CheckTokenName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("name: a token needs a name");
  if (name.size() > kMaxNameLength) {
    return Status::InvalidArgument("name: '" + std::string(name) + "' is longer than 64 characters");
  }
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("name: '" + std::string(name) +
                                     "' may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

std::string_view TokenRoleName(TokenRole role) {
  switch (role) {
    case TokenRole::kViewer: return "viewer";
    case TokenRole::kTester: return "tester";
    case TokenRole::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<TokenRole> ParseTokenRole(std::string_view name) {
  for (TokenRole r : {TokenRole::kViewer, TokenRole::kTester, TokenRole::kAdmin}) {
    if (TokenRoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string TokenActor(const Principal& principal) { return "token:" + principal.name; }

nlohmann::ordered_json TokenRecordJson(const TokenRecord& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["project"] = r.project;
  j["name"] = r.name;
  j["role"] = TokenRoleName(r.role);
  j["created_at_ms"] = r.created_at_ms;
  j["created_by"] = r.created_by;
  j["revoked_at_ms"] = r.revoked_at_ms ? nlohmann::ordered_json(*r.revoked_at_ms) : nullptr;
  j["last_used_at_ms"] = r.last_used_at_ms ? nlohmann::ordered_json(*r.last_used_at_ms) : nullptr;
  j["active"] = !r.revoked_at_ms.has_value();
  return j;
}

nlohmann::ordered_json AuditRecordJson(const AuditRecord& r) {
  nlohmann::ordered_json j;
  j["at_ms"] = r.at_ms;
  j["who"] = r.who;
  j["what"] = r.what;
  j["run"] = r.execution_id ? nlohmann::ordered_json(*r.execution_id) : nullptr;
  j["details"] = r.details;
  j["token_id"] = r.token_id ? nlohmann::ordered_json(*r.token_id) : nullptr;
  j["token_name"] = r.token_id ? nlohmann::ordered_json(r.token_name) : nullptr;
  return j;
}

class TokenStore::Impl {
 public:
  Impl(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {}
  ~Impl() {
    lookup_ = Stmt();  // finalized first: sqlite3_close refuses a connection with statements
    sqlite3_close(db_);
  }

  Status Open() {
    Result<sqlite3*> db = OpenConnection(path_, /*create=*/false);
    if (!db.ok()) return db.status();
    db_ = *db;
    // OpenConnection without `create` is query_only; this connection writes tokens.
    if (Status st = Exec(db_, path_, "PRAGMA query_only=0"); !st.ok()) return st;
    // Authenticate runs once per API request: its lookup is prepared once (preparing the
    // join on every call cost 3.5 times as much, bench/RESULTS.md).
    return Prepare(db_, path_,
                   "SELECT t.id, t.name, p.name, t.role, t.token_sha256, t.revoked_at, t.last_used_at "
                   "FROM api_token t JOIN project p ON p.id = t.project_id WHERE t.token_sha256 = ?",
                   &lookup_);
  }

  Result<NewToken> Create(std::string_view project, std::string_view name, TokenRole role, std::string_view created_by,
                          const std::optional<Principal>& actor) {
    if (project.empty()) return Status::InvalidArgument("project: the project name is empty");
    if (Status st = CheckTokenName(name); !st.ok()) return st;
    unsigned char secret[kSecretBytes];
    if (RAND_bytes(secret, sizeof secret) != 1) return Status::Internal("RAND_bytes failed: no token created");
    NewToken out;
    out.token = std::string(kTokenPrefix) + Base64Url(std::string_view(reinterpret_cast<char*>(secret), sizeof secret));
    OPENSSL_cleanse(secret, sizeof secret);
    const std::string hash = Sha256Hex(out.token);
    const int64_t now = clock_.WallMillis();

    std::lock_guard lock(mu_);
    bool taken = false;
    Status st = ImmediateTransaction(db_, path_, [&]() -> Status {
      // The project is created on first use, as a run's is (ResultsStore::BeginExecution).
      Status s = QueryRows(
          db_, path_, "INSERT INTO project(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, project);
            sqlite3_bind_int64(q, 2, now);
          },
          nullptr);
      if (!s.ok()) return s;
      s = QueryRows(
          db_, path_,
          "SELECT 1 FROM api_token t JOIN project p ON p.id = t.project_id "
          "WHERE p.name = ? AND t.name = ? AND t.revoked_at IS NULL",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, project);
            BindText(q, 2, name);
          },
          [&](sqlite3_stmt*) { taken = true; });
      if (!s.ok()) return s;
      if (taken) return Status::InvalidArgument("name taken");  // rolled back; the message is built below
      s = QueryRows(
          db_, path_,
          "INSERT INTO api_token(project_id, name, role, token_sha256, created_at, created_by) "
          "VALUES ((SELECT id FROM project WHERE name = ?), ?, ?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, project);
            BindText(q, 2, name);
            BindText(q, 3, TokenRoleName(role));
            BindText(q, 4, hash);
            sqlite3_bind_int64(q, 5, now);
            BindText(q, 6, created_by);
          },
          nullptr);
      if (!s.ok()) return s;
      out.record.id = sqlite3_last_insert_rowid(db_);
      nlohmann::ordered_json details = {{"name", name}, {"role", TokenRoleName(role)}, {"token_id", out.record.id}};
      return InsertAudit(project, created_by, actor, "token_created", details.dump(), 0, now);
    });
    if (taken) {
      return Status::InvalidArgument("name: project '" + std::string(project) + "' already has an active token '" +
                                     std::string(name) + "' (revoke it first, or choose another name)");
    }
    if (!st.ok()) return st;
    out.record.project = project;
    out.record.name = name;
    out.record.role = role;
    out.record.created_at_ms = now;
    out.record.created_by = created_by;
    return out;
  }

  Result<std::vector<TokenRecord>> List(std::string_view project) {
    std::vector<TokenRecord> out;
    std::lock_guard lock(mu_);
    Status st = QueryRows(
        db_, path_, std::string(kTokenSelect) + (project.empty() ? "" : " WHERE p.name = ?") + " ORDER BY p.name, t.id",
        [&](sqlite3_stmt* q) {
          if (!project.empty()) BindText(q, 1, project);
        },
        [&](sqlite3_stmt* q) { out.push_back(ReadToken(q)); });
    if (!st.ok()) return st;
    return out;
  }

  Result<TokenRecord> Revoke(std::string_view project, std::string_view name, std::string_view revoked_by,
                             const std::optional<Principal>& actor) {
    const int64_t now = clock_.WallMillis();
    std::optional<TokenRecord> found;
    std::lock_guard lock(mu_);
    Status st = ImmediateTransaction(db_, path_, [&]() -> Status {
      Status s = QueryRows(
          db_, path_, std::string(kTokenSelect) + " WHERE p.name = ? AND t.name = ? AND t.revoked_at IS NULL",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, project);
            BindText(q, 2, name);
          },
          [&](sqlite3_stmt* q) { found = ReadToken(q); });
      if (!s.ok()) return s;
      if (!found) return Status::NotFound("no such token");  // rolled back; the message is built below
      s = QueryRows(
          db_, path_, "UPDATE api_token SET revoked_at = ? WHERE id = ?",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, now);
            sqlite3_bind_int64(q, 2, found->id);
          },
          nullptr);
      if (!s.ok()) return s;
      nlohmann::ordered_json details = {{"name", name}, {"role", TokenRoleName(found->role)}, {"token_id", found->id}};
      return InsertAudit(project, revoked_by, actor, "token_revoked", details.dump(), 0, now);
    });
    if (st.ok()) {
      found->revoked_at_ms = now;
      return *found;
    }
    if (!found) {
      return Status::NotFound("no active token '" + std::string(name) + "' in project '" + std::string(project) + "'");
    }
    return st;
  }

  Result<std::optional<Principal>> Authenticate(std::string_view bearer, int64_t now_ms) {
    // The format is public: refusing a malformed token early tells nothing about a real one.
    if (bearer.size() != kTokenLength || bearer.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
      return std::optional<Principal>();
    }
    const std::string hash = Sha256Hex(bearer);
    std::lock_guard lock(mu_);
    std::optional<Principal> principal;
    std::string stored;
    bool revoked = false;
    std::optional<int64_t> last_used;
    sqlite3_stmt* q = lookup_.get();
    sqlite3_reset(q);
    BindText(q, 1, hash);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
      principal = Principal{sqlite3_column_int64(q, 0), ColumnText(q, 1), ColumnText(q, 2),
                            ParseTokenRole(ColumnText(q, 3)).value_or(TokenRole::kViewer)};
      stored = ColumnText(q, 4);
      revoked = sqlite3_column_type(q, 5) != SQLITE_NULL;
      last_used = ColumnOptional(q, 6);
      rc = sqlite3_step(q);  // token_sha256 is UNIQUE: SQLITE_DONE
    }
    if (rc != SQLITE_DONE) {
      Status error = DbError(db_, path_, "authenticate");
      sqlite3_reset(q);
      return error;
    }
    sqlite3_reset(q);  // ends the read transaction before any write below
    // The index found the row by the hash; the constant-time comparison makes the decision
    // independent of how SQLite compared the strings.
    if (!principal || stored.size() != hash.size() || CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0 ||
        revoked) {
      return std::optional<Principal>();
    }
    if (!last_used || now_ms - *last_used >= kLastUsedResolutionMs) {
      Status st = QueryRows(
          db_, path_, "UPDATE api_token SET last_used_at = ? WHERE id = ?",
          [&](sqlite3_stmt* u) {
            sqlite3_bind_int64(u, 1, now_ms);
            sqlite3_bind_int64(u, 2, principal->token_id);
          },
          nullptr);
      if (!st.ok()) return st;
    }
    return principal;
  }

  Status AuditTokenAction(std::string_view project, const Principal& principal, std::string_view what,
                          std::string_view details, int64_t execution_id) {
    std::lock_guard lock(mu_);
    return InsertAudit(project, TokenActor(principal), principal, what, details, execution_id, clock_.WallMillis());
  }

  Result<std::vector<AuditRecord>> ProjectAuditLog(std::string_view project, int limit) {
    std::vector<AuditRecord> out;
    std::lock_guard lock(mu_);
    Status st = QueryRows(
        db_, path_,
        "SELECT a.at, a.who, a.what, a.execution_id, a.details, a.token_id, a.token_name FROM audit_log a "
        "JOIN project p ON p.id = a.project_id WHERE p.name = ? ORDER BY a.id DESC LIMIT ?",
        [&](sqlite3_stmt* q) {
          BindText(q, 1, project);
          sqlite3_bind_int(q, 2, limit);
        },
        [&](sqlite3_stmt* q) {
          out.push_back({sqlite3_column_int64(q, 0), ColumnText(q, 1), ColumnText(q, 2), ColumnOptional(q, 3),
                         ColumnText(q, 4), ColumnOptional(q, 5), ColumnText(q, 6)});
        });
    if (!st.ok()) return st;
    return out;
  }

  const std::string& path() const { return path_; }

 private:
  // One audit_log row in `project` (NULL project_id when it does not exist).
  Status InsertAudit(std::string_view project, std::string_view who, const std::optional<Principal>& actor,
                     std::string_view what, std::string_view details, int64_t execution_id, int64_t now) {
    return QueryRows(
        db_, path_,
        "INSERT INTO audit_log(at, who, what, project_id, execution_id, details, token_id, token_name) "
        "VALUES (?, ?, ?, (SELECT id FROM project WHERE name = ?), ?, ?, ?, ?)",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, now);
          BindText(q, 2, who);
          BindText(q, 3, what);
          BindText(q, 4, project);
          if (execution_id != 0) sqlite3_bind_int64(q, 5, execution_id);
          BindText(q, 6, details);
          if (actor) {
            sqlite3_bind_int64(q, 7, actor->token_id);
            BindText(q, 8, actor->name);
          }
        },
        nullptr);
  }

  const std::string path_;
  const Clock& clock_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  Stmt lookup_;  // Authenticate's lookup by hash
};

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::TokenStore(TokenStore&&) noexcept = default;
TokenStore& TokenStore::operator=(TokenStore&&) noexcept = default;
TokenStore::~TokenStore() = default;

Result<TokenStore> TokenStore::Open(const std::string& path, bool must_exist, const Clock& clock) {
  // The results store owns the schema and its migrations (and WAL mode): open it once so
  // that the file is current, then work on a connection of our own.
  {
    Result<ResultsStore> store = ResultsStore::Open(path, {.must_exist = must_exist});
    if (!store.ok()) return store.status();
    if (Status st = store->Close(); !st.ok()) return st;
  }
  auto impl = std::make_unique<Impl>(path, clock);
  if (Status st = impl->Open(); !st.ok()) return st;
  return TokenStore(std::move(impl));
}

Result<NewToken> TokenStore::Create(std::string_view project, std::string_view name, TokenRole role,
                                    std::string_view created_by, const std::optional<Principal>& actor) {
  return impl_->Create(project, name, role, created_by, actor);
}
Result<std::vector<TokenRecord>> TokenStore::List(std::string_view project) const { return impl_->List(project); }
Result<TokenRecord> TokenStore::Revoke(std::string_view project, std::string_view name, std::string_view revoked_by,
                                       const std::optional<Principal>& actor) {
  return impl_->Revoke(project, name, revoked_by, actor);
}
Result<std::optional<Principal>> TokenStore::Authenticate(std::string_view bearer, int64_t now_ms) {
  return impl_->Authenticate(bearer, now_ms);
}
Status TokenStore::AuditTokenAction(std::string_view project, const Principal& principal, std::string_view what,
                                    std::string_view details, int64_t execution_id) {
  return impl_->AuditTokenAction(project, principal, what, details, execution_id);
}
Result<std::vector<AuditRecord>> TokenStore::ProjectAuditLog(std::string_view project, int limit) const {
  return impl_->ProjectAuditLog(project, limit);
}
const std::string& TokenStore::path() const { return impl_->path(); }

}  // namespace barrage
