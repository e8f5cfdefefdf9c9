// The token side of the HTTP API of `barrage serve`, ready for its router: who a request is
// (AuthenticateRequest, once per request, before the route's Authorize), and the handlers of
// an admin's token management under /api/v1/projects/{project}/tokens. Bodies are JSON; every
// refusal is {"error": "<what, naming the field>"}.
//
//   GET    /api/v1/projects/{p}/tokens         ListTokensViaApi    200 [token, ...]
//   POST   /api/v1/projects/{p}/tokens         CreateTokenViaApi   201 {"token": "brg_...", token...}
//          body {"name": "ci", "role": "viewer"|"tester"|"admin"}
//   DELETE /api/v1/projects/{p}/tokens/{name}  RevokeTokenViaApi   200 token (revoked)
//   GET    /api/v1/projects/{p}/audit?limit=n  ListAuditViaApi     200 [AuditRecordJson, ...]
// ("token" = TokenRecordJson: never a secret, except the one just created.)
//
// Threads: as TokenStore and AuthLimiter, any thread.
#ifndef BARRAGE_SERVICE_TOKEN_API_H_
#define BARRAGE_SERVICE_TOKEN_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/access.h"
#include "service/auth_limiter.h"
#include "service/tokens.h"

namespace barrage {

// An HTTP answer: status, JSON body and the headers it needs (WWW-Authenticate on 401,
// Retry-After on 429).
struct ApiReply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{};
};

// The token of an Authorization header value "Bearer <token>": the scheme is matched without
// regard to case (RFC 7235 §2.1), spaces around the token are skipped. nullopt for an empty
// header or another scheme (Basic, ...).
std::optional<std::string_view> BearerToken(std::string_view authorization);

struct RequestAuth {
  std::optional<Principal> principal;  // the token's, when it is valid
  // Set when the request must be answered with it at once, without routing: 429 (the
  // address is rate-limited, Retry-After set) or 500 (the store cannot be read).
  std::optional<ApiReply> reply;
};

// Per request: refuses an address that AuthLimiter blocks (429, whether or not it sends a
// token), then authenticates the bearer token (`authorization` = the header's value, "" when
// absent). A token that is presented and refused counts as a failed attempt of
// `client_address`; no token, or another scheme, does not. Without a principal and without a
// reply, the route's Authorize() answers 401.
RequestAuth AuthenticateRequest(TokenStore& tokens, AuthLimiter& limiter, std::string_view client_address,
                                std::string_view authorization, int64_t now_ms);

// The reply of a refused AccessDecision: its status and {"error": ...}, with
// WWW-Authenticate: Bearer realm="barrage" on a 401.
ApiReply RefusalReply(const AccessDecision& decision);

// The handlers: each checks Authorize(principal, project, kManageTokens) first. Creating and
// revoking are audit-logged with the admin token (who "token:NAME", token_id, token_name).
// Errors: 400 a body that is not a JSON object, a missing or bad "name" or "role"; 409 the
// name is taken by an active token of the project; 404 no active token of that name; 500 the
// store failed.
ApiReply CreateTokenViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                           std::string_view json_body);
ApiReply ListTokensViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project);
ApiReply RevokeTokenViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                           std::string_view name);

// The project's audit log, newest first (kReadAudit: admins). `limit` = the query's "limit"
// ("" = 100); 400 unless an integer from 1 to 10000.
ApiReply ListAuditViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                         std::string_view limit);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_TOKEN_API_H_
