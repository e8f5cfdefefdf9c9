#include "service/token_api.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace barrage {
namespace {

ApiReply Error(int status, const std::string& message) { return {status, nlohmann::json{{"error", message}}.dump()}; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || !IEquals(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  const char after = authorization[kScheme.size()];
  if (after != ' ' && after != '\t') return std::nullopt;
  std::string_view token = Trim(authorization.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

RequestAuth AuthenticateRequest(TokenStore& tokens, AuthLimiter& limiter, std::string_view client_address,
                                std::string_view authorization, int64_t now_ms) {
  RequestAuth out;
  if (std::optional<int64_t> wait = limiter.RetryAfterSeconds(client_address)) {
    out.reply = ApiReply{429, AuthLimiter::TooManyBody(*wait), {{"Retry-After", std::to_string(*wait)}}};
    return out;
  }
  std::optional<std::string_view> bearer = BearerToken(authorization);
  if (!bearer) return out;
  Result<std::optional<Principal>> principal = tokens.Authenticate(*bearer, now_ms);
  if (!principal.ok()) {
    out.reply = Error(500, "the token store cannot be read: " + principal.status().message());
    return out;
  }
  if (!*principal) {
    limiter.RecordFailure(client_address);
    return out;
  }
  out.principal = std::move(*principal);
  return out;
}

ApiReply RefusalReply(const AccessDecision& decision) {
  ApiReply reply{decision.http_status, decision.ErrorBody()};
  if (decision.http_status == 401) reply.headers.emplace_back("WWW-Authenticate", std::string(kWwwAuthenticate));
  return reply;
}

ApiReply CreateTokenViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                           std::string_view json_body) {
  if (AccessDecision d = Authorize(principal, project, Action::kManageTokens); !d.allowed()) return RefusalReply(d);
  nlohmann::json body = nlohmann::json::parse(json_body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return Error(400, "body: expected a JSON object {\"name\": ..., \"role\": ...}");
  if (!body.contains("name") || !body["name"].is_string()) return Error(400, "name: a string is required");
  if (!body.contains("role") || !body["role"].is_string()) {
    return Error(400, "role: one of \"viewer\", \"tester\", \"admin\" is required");
  }
  const std::string name = body["name"].get<std::string>();
  std::optional<TokenRole> role = ParseTokenRole(body["role"].get<std::string>());
  if (!role) return Error(400, "role: '" + body["role"].get<std::string>() + "' is not viewer, tester or admin");
  if (Status st = CheckTokenName(name); !st.ok()) return Error(400, st.message());
  Result<NewToken> created = tokens.Create(project, name, *role, TokenActor(*principal), principal);
  if (!created.ok()) {
    // The name was checked above: an invalid argument now is a name in use.
    return Error(created.status().code() == Status::Code::kInvalidArgument ? 409 : 500, created.status().message());
  }
  nlohmann::ordered_json reply = {{"token", created->token}};
  reply.update(TokenRecordJson(created->record));
  return {201, reply.dump()};
}

ApiReply ListTokensViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project) {
  if (AccessDecision d = Authorize(principal, project, Action::kManageTokens); !d.allowed()) return RefusalReply(d);
  Result<std::vector<TokenRecord>> list = tokens.List(project);
  if (!list.ok()) return Error(500, list.status().message());
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const TokenRecord& r : *list) all.push_back(TokenRecordJson(r));
  return {200, all.dump()};
}

ApiReply RevokeTokenViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                           std::string_view name) {
  if (AccessDecision d = Authorize(principal, project, Action::kManageTokens); !d.allowed()) return RefusalReply(d);
  Result<TokenRecord> revoked = tokens.Revoke(project, name, TokenActor(*principal), principal);
  if (!revoked.ok()) {
    return Error(revoked.status().code() == Status::Code::kNotFound ? 404 : 500, revoked.status().message());
  }
  return {200, TokenRecordJson(*revoked).dump()};
}

ApiReply ListAuditViaApi(TokenStore& tokens, const std::optional<Principal>& principal, std::string_view project,
                         std::string_view limit) {
  if (AccessDecision d = Authorize(principal, project, Action::kReadAudit); !d.allowed()) return RefusalReply(d);
  int n = 100;
  if (!limit.empty()) {
    const auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (ec != std::errc() || end != limit.data() + limit.size() || n < 1 || n > 10000) {
      return Error(400, "limit: '" + std::string(limit) + "' is not an integer from 1 to 10000");
    }
  }
  Result<std::vector<AuditRecord>> log = tokens.ProjectAuditLog(project, n);
  if (!log.ok()) return Error(500, log.status().message());
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const AuditRecord& r : *log) all.push_back(AuditRecordJson(r));
  return {200, all.dump()};
}

}  // namespace barrage
