// Bearer tokens of `barrage serve` (issue 13 item 3): created by `barrage token create` or by
// an admin token through the API, kept in the results store's api_token table
// (controller/store_schema.h; controller/postgres_schema.h on PostgreSQL, through
// controller/sql_connection.h), presented as `Authorization: Bearer <token>`.
//
// Format: "brg_" + 43 characters, the unpadded base64url (RFC 4648 §5) of 32 bytes from
// OpenSSL's RAND_bytes (256 bits of entropy). The token is shown once, when created; the store
// keeps only SHA-256(token) as 64 lowercase hex digits, so a copy of the store lets nobody
// authenticate.
//
// Authentication is constant time in the secret. Authenticate() hashes the presented token,
// looks the hash up in a unique index and compares the stored hash with CRYPTO_memcmp. The
// lookup's time depends only on the hash of what the client sent, never on a stored token's
// characters: to learn anything from it an attacker would need tokens whose SHA-256 share a
// prefix with a stored hash, i.e. preimages of SHA-256, and even a full stored hash would not
// give a token that hashes to it. A wrong token therefore costs the same whatever prefix of a
// real token it shares (unlike a lookup by the token itself or a memcmp of it). What a client
// can tell apart is only what the format makes public: a token of the wrong length or prefix
// is refused before it is hashed.
//
// Names: 1 to 64 characters from [A-Za-z0-9._-], unique per project among the tokens not
// revoked (a revoked name can be given to its replacement: see docs/service-auth.md, rotating a
// token). A project is created on first use, as runs create theirs.
//
// Thread-safety: every method of TokenStore may be called from any thread (one mutex around
// its own connection; requests of the HTTP server's threads are served one at a time, each a
// few index lookups; the lookup by hash is one parameterised statement, prepared once on SQLite).
#ifndef BARRAGE_SERVICE_TOKENS_H_
#define BARRAGE_SERVICE_TOKENS_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "controller/results_store.h"

namespace barrage {

// What a token may do in its project (service/access.h has the table).
enum class TokenRole { kViewer, kTester, kAdmin };
std::string_view TokenRoleName(TokenRole role);  // "viewer", "tester", "admin"
std::optional<TokenRole> ParseTokenRole(std::string_view name);

// An authenticated token: the identity a request acts as.
struct Principal {
  int64_t token_id = 0;
  std::string name;
  std::string project;
  TokenRole role = TokenRole::kViewer;
};

// One api_token row; never the secret.
struct TokenRecord {
  int64_t id = 0;
  std::string project;
  std::string name;
  TokenRole role = TokenRole::kViewer;
  int64_t created_at_ms = 0;
  std::string created_by;  // OS user, or "token:NAME" for an admin token through the API
  std::optional<int64_t> revoked_at_ms;
  std::optional<int64_t> last_used_at_ms;  // to the minute (kLastUsedResolutionMs)
};

// A token just created: its row and the secret, to be shown once.
struct NewToken {
  TokenRecord record;
  std::string token;  // "brg_..."
};

inline constexpr std::string_view kTokenPrefix = "brg_";
inline constexpr size_t kTokenLength = 47;  // prefix + 43 base64url characters
// last_used_at is rewritten only when it is at least this old, so that authenticating is a
// read: a write per request would queue the HTTP API behind the results store's writer.
inline constexpr int64_t kLastUsedResolutionMs = 60'000;

// Ok for a valid token name (see Names above), else InvalidArgument "name: ...".
Status CheckTokenName(std::string_view name);

// created_by / audit `who` of a request made with `principal`: "token:NAME".
std::string TokenActor(const Principal& principal);

class TokenStore {
 public:
  // Opens the results store at `path`, a SQLite file or a postgresql:// URL (creating it and
  // its schema, or migrating an older one, exactly as ResultsStore::Open does) and a
  // connection of its own to it. With `must_exist` a missing store is NotFound "PATH: no
  // results store ..." (listing tokens never creates a store). `clock` gives created_at and
  // revoked_at; it must outlive the store.
  static Result<TokenStore> Open(const std::string& path, bool must_exist, const Clock& clock = SystemClock());

  TokenStore(TokenStore&&) noexcept;
  TokenStore& operator=(TokenStore&&) noexcept;
  ~TokenStore();

  // Creates a token in `project` (created when missing), with an audit_log 'token_created'
  // entry by `created_by` ({"name","role"} in details). `actor` is the admin token when the
  // API creates it (its id and name go to the audit row), else nullopt (the command line:
  // created_by is the OS user). InvalidArgument naming the field for an empty project, a bad
  // name, or a name an active token of the project already has; IoError for the database.
  Result<NewToken> Create(std::string_view project, std::string_view name, TokenRole role, std::string_view created_by,
                          const std::optional<Principal>& actor = std::nullopt);

  // The tokens of `project` ("" = every project), revoked ones too, by project then id.
  Result<std::vector<TokenRecord>> List(std::string_view project) const;

  // Revokes the active token `name` of `project` (revoked_at = now), with an audit_log
  // 'token_revoked' entry by `revoked_by` (and `actor`, as for Create). NotFound "no active
  // token 'NAME' in project 'P'" otherwise. Returns the revoked row.
  Result<TokenRecord> Revoke(std::string_view project, std::string_view name, std::string_view revoked_by,
                             const std::optional<Principal>& actor = std::nullopt);

  // The principal of `bearer` (the token without "Bearer "), or nullopt for a token of the
  // wrong format, an unknown one or a revoked one: the API answers 401 to all three alike.
  // Updates last_used_at when it is older than kLastUsedResolutionMs. An error only when the
  // store cannot be read (the API answers 500, and does not count it as a failed attempt).
  Result<std::optional<Principal>> Authenticate(std::string_view bearer, int64_t now_ms);

  // Appends to audit_log what a token did through the API (the lead's handler calls it once
  // per mutating request): who "token:NAME", token_id and token_name of `principal`, `what`
  // (e.g. "run_started", "plan_uploaded"), the project, the run (0 = none) and details.
  Status AuditTokenAction(std::string_view project, const Principal& principal, std::string_view what,
                          std::string_view details, int64_t execution_id = 0);

  // The project's audit_log rows, newest first, at most `limit` (the API's audit log,
  // kReadAudit): who, what, run, details and the token of each.
  Result<std::vector<AuditRecord>> ProjectAuditLog(std::string_view project, int limit) const;

  const std::string& path() const;

 private:
  class Impl;
  explicit TokenStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The JSON object of a token for `barrage token list --format json` and the API, keys in
// this order: id, project, name, role, created_at_ms, created_by, revoked_at_ms (null while
// active), last_used_at_ms (null until used), active. Never the secret.
nlohmann::ordered_json TokenRecordJson(const TokenRecord& record);

// An audit_log row as JSON: at_ms, who, what, run (null), details, token_id (null), token_name
// (null for the command line).
nlohmann::ordered_json AuditRecordJson(const AuditRecord& record);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_TOKENS_H_
