#include "service/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/digest.h"
#include "controller/results_store.h"
#include "controller/sql_connection.h"

namespace barrage {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kSecretBytes = 32;

constexpr const char* kTokenSelect =
    "SELECT t.id, p.name, t.name, t.role, t.created_at, t.created_by, t.revoked_at, t.last_used_at "
    "FROM api_token t JOIN project p ON p.id = t.project_id";

TokenRecord ReadToken(const SqlRow& row) {
  TokenRecord r;
  r.id = row.Int(0);
  r.project = row.Text(1);
  r.name = row.Text(2);
  r.role = ParseTokenRole(row.Text(3)).value_or(TokenRole::kViewer);  // the CHECK constraint allows no other word
  r.created_at_ms = row.Int(4);
  r.created_by = row.Text(5);
  r.revoked_at_ms = row.OptionalInt(6);
  r.last_used_at_ms = row.OptionalInt(7);
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
  Impl(std::unique_ptr<SqlConnection> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}

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
    Status st = db_->Transaction([&]() -> Status {
      // The project is created on first use, as a run's is (ResultsStore::BeginExecution).
      Result<int64_t> n =
          db_->Exec("INSERT INTO project(name, created_at) VALUES ($1, $2) ON CONFLICT(name) DO NOTHING",
                    SqlParams().Text(project).Int(now));
      if (!n.ok()) return n.status();
      Status s = db_->Query(
          "SELECT 1 FROM api_token t JOIN project p ON p.id = t.project_id "
          "WHERE p.name = $1 AND t.name = $2 AND t.revoked_at IS NULL",
          SqlParams().Text(project).Text(name), [&](const SqlRow&) { taken = true; });
      if (!s.ok()) return s;
      if (taken) return Status::InvalidArgument("name taken");  // rolled back; the message is built below
      s = db_->Query(
          "INSERT INTO api_token(project_id, name, role, token_sha256, created_at, created_by) "
          "VALUES ((SELECT id FROM project WHERE name = $1), $2, $3, $4, $5, $6) RETURNING id",
          SqlParams().Text(project).Text(name).Text(TokenRoleName(role)).Text(hash).Int(now).Text(created_by),
          [&](const SqlRow& row) { out.record.id = row.Int(0); });
      if (!s.ok()) return s;
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
    SqlParams params;
    if (!project.empty()) params.Text(project);
    Status st = db_->Query(std::string(kTokenSelect) + (project.empty() ? "" : " WHERE p.name = $1") +
                               " ORDER BY p.name COLLATE \"C\", t.id",
                           params, [&](const SqlRow& row) { out.push_back(ReadToken(row)); });
    if (!st.ok()) return st;
    return out;
  }

  Result<TokenRecord> Revoke(std::string_view project, std::string_view name, std::string_view revoked_by,
                             const std::optional<Principal>& actor) {
    const int64_t now = clock_.WallMillis();
    std::optional<TokenRecord> found;
    std::lock_guard lock(mu_);
    Status st = db_->Transaction([&]() -> Status {
      Status s = db_->Query(std::string(kTokenSelect) + " WHERE p.name = $1 AND t.name = $2 AND t.revoked_at IS NULL",
                            SqlParams().Text(project).Text(name), [&](const SqlRow& row) { found = ReadToken(row); });
      if (!s.ok()) return s;
      if (!found) return Status::NotFound("no such token");  // rolled back; the message is built below
      Result<int64_t> n =
          db_->Exec("UPDATE api_token SET revoked_at = $1 WHERE id = $2", SqlParams().Int(now).Int(found->id));
      if (!n.ok()) return n.status();
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
    // One parameterised statement (prepared once on SQLite: preparing the join on every call
    // cost 3.5 times as much, bench/RESULTS.md); token_sha256 is UNIQUE: one row at most.
    Status st = db_->Query(
        "SELECT t.id, t.name, p.name, t.role, t.token_sha256, t.revoked_at, t.last_used_at "
        "FROM api_token t JOIN project p ON p.id = t.project_id WHERE t.token_sha256 = $1",
        SqlParams().Text(hash), [&](const SqlRow& row) {
          principal =
              Principal{row.Int(0), row.Text(1), row.Text(2), ParseTokenRole(row.Text(3)).value_or(TokenRole::kViewer)};
          stored = row.Text(4);
          revoked = !row.IsNull(5);
          last_used = row.OptionalInt(6);
        });
    if (!st.ok()) return st;
    // The index found the row by the hash; the constant-time comparison makes the decision
    // independent of how the database compared the strings.
    if (!principal || stored.size() != hash.size() || CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0 ||
        revoked) {
      return std::optional<Principal>();
    }
    if (!last_used || now_ms - *last_used >= kLastUsedResolutionMs) {
      Result<int64_t> n = db_->Exec("UPDATE api_token SET last_used_at = $1 WHERE id = $2",
                                    SqlParams().Int(now_ms).Int(principal->token_id));
      if (!n.ok()) return n.status();
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
    Status st = db_->Query(
        "SELECT a.at, a.who, a.what, a.execution_id, a.details, a.token_id, a.token_name FROM audit_log a "
        "JOIN project p ON p.id = a.project_id WHERE p.name = $1 ORDER BY a.id DESC LIMIT $2",
        SqlParams().Text(project).Int(limit), [&](const SqlRow& row) {
          out.push_back(
              {row.Int(0), row.Text(1), row.Text(2), row.OptionalInt(3), row.Text(4), row.OptionalInt(5), row.Text(6)});
        });
    if (!st.ok()) return st;
    return out;
  }

  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }

 private:
  // One audit_log row in `project` (NULL project_id when it does not exist).
  Status InsertAudit(std::string_view project, std::string_view who, const std::optional<Principal>& actor,
                     std::string_view what, std::string_view details, int64_t execution_id, int64_t now) {
    SqlParams params;
    params.Int(now).Text(who).Text(what).Text(project);
    if (execution_id != 0) {
      params.Int(execution_id);
    } else {
      params.Null();
    }
    params.Text(details);
    if (actor) {
      params.Int(actor->token_id).Text(actor->name);
    } else {
      params.Null().Null();
    }
    Result<int64_t> n = db_->Exec(
        "INSERT INTO audit_log(at, who, what, project_id, execution_id, details, token_id, token_name) "
        "VALUES ($1, $2, $3, (SELECT id FROM project WHERE name = $4), $5, $6, $7, $8)",
        params);
    return n.ok() ? Status::Ok() : n.status();
  }

  std::unique_ptr<SqlConnection> db_;
  std::string path_;
  const Clock& clock_;
  std::mutex mu_;  // guards db_
};

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::TokenStore(TokenStore&&) noexcept = default;
TokenStore& TokenStore::operator=(TokenStore&&) noexcept = default;
TokenStore::~TokenStore() = default;

Result<TokenStore> TokenStore::Open(const std::string& path, bool must_exist, const Clock& clock) {
  // The results store owns the schema and its migrations (and SQLite's WAL mode): open it
  // once so that the store is current, then work on a connection of our own.
  {
    Result<ResultsStore> store = ResultsStore::Open(path, {.must_exist = must_exist});
    if (!store.ok()) return store.status();
    if (Status st = store->Close(); !st.ok()) return st;
  }
  Result<std::unique_ptr<SqlConnection>> db = SqlConnection::Open(path);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>(std::move(db).value(), clock);
  impl->set_path(path);
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
