// The gate every authenticated route of `barrage serve` passes (issue 13): the request's
// bearer token (service/token_api.h AuthenticateRequest: rate limit, then the token) and
// its action in the project (service/access.h Authorize). Route files share it so that no
// route authenticates differently.
//
// Threads: as TokenStore and AuthLimiter, any thread.
#ifndef BARRAGE_SERVICE_API_AUTH_H_
#define BARRAGE_SERVICE_API_AUTH_H_

#include <optional>
#include <string_view>

#include "common/clock.h"
#include "service/access.h"
#include "service/api.h"
#include "service/auth_limiter.h"
#include "service/token_api.h"
#include "service/tokens.h"

namespace barrage {

struct ApiAuth {
  TokenStore* tokens = nullptr;
  AuthLimiter* limiter = nullptr;
  const Clock* clock = nullptr;
};

// An ApiReply as the router's response (a JSON body ends with a newline).
ApiResponse FromReply(const ApiReply& reply);

// Who sent the request: nullopt with *principal set (or left empty for no token: the
// route's Authorize answers 401), or the response to send at once (429, 500).
std::optional<ApiResponse> IdentifyRequest(const ApiAuth& auth, const ApiRequest& req,
                                           std::optional<Principal>* principal);

// Whether the request may do `action` in `project`: nullopt with *principal set when it may,
// else the refusal to send (401, 403, 429, 500).
std::optional<ApiResponse> RefuseUnlessAllowed(const ApiAuth& auth, const ApiRequest& req, std::string_view project,
                                               Action action, std::optional<Principal>* principal);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_API_AUTH_H_
