#include "service/api_auth.h"

#include <utility>

namespace barrage {

ApiResponse FromReply(const ApiReply& reply) {
  ApiResponse r;
  r.status = reply.status;
  r.body = reply.body;
  if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
  for (const auto& [k, v] : reply.headers) r.headers.emplace(k, v);
  return r;
}

std::optional<ApiResponse> IdentifyRequest(const ApiAuth& auth, const ApiRequest& req,
                                           std::optional<Principal>* principal) {
  RequestAuth result = AuthenticateRequest(*auth.tokens, *auth.limiter, req.remote_addr, req.Header("authorization"),
                                           auth.clock->WallMicros() / 1000);
  if (result.reply) return FromReply(*result.reply);
  *principal = std::move(result.principal);
  return std::nullopt;
}

std::optional<ApiResponse> RefuseUnlessAllowed(const ApiAuth& auth, const ApiRequest& req, std::string_view project,
                                               Action action, std::optional<Principal>* principal) {
  std::optional<Principal> who;
  if (std::optional<ApiResponse> refused = IdentifyRequest(auth, req, &who)) return refused;
  AccessDecision decision = Authorize(who, project, action);
  if (!decision.allowed()) return FromReply(RefusalReply(decision));
  *principal = std::move(who);
  return std::nullopt;
}

}  // namespace barrage
