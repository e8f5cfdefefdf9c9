#include "worker/target_check.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

#include <curl/curl.h>

#include "worker/http_request.h"

namespace barrage {
namespace {

// The value when it is known before the run; nullopt when it depends on the run.
std::optional<std::string> Known(const Value* v, ThreadContext& boot) {
  if (v == nullptr) return std::string();
  if (!v->dynamic() || !v->parsed) return v->text;
  std::set<std::string> variables;
  std::set<std::string> functions;
  CollectReferences(*v->parsed, &variables, &functions);
  for (const std::string& f : functions) {
    if (f != "__P" && f != "__property") return std::nullopt;
  }
  for (const std::string& name : variables) {
    if (boot.vars.Get(name) == nullptr) return std::nullopt;
  }
  return Evaluate(*v, boot);
}

// The sampler's target when known before the run.
std::optional<UrlTarget> StaticTarget(const HttpSampler& s, ThreadContext& boot) {
  std::optional<std::string> path =
      Known(MergedField(s, [](const HttpFields& f) -> const Value& { return f.path; }), boot);
  if (!path) return std::nullopt;
  std::string lower = path->substr(0, 8);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0) return UrlHostAndPort(path->c_str());
  std::optional<std::string> domain =
      Known(MergedField(s, [](const HttpFields& f) -> const Value& { return f.domain; }), boot);
  std::optional<std::string> protocol =
      Known(MergedField(s, [](const HttpFields& f) -> const Value& { return f.protocol; }), boot);
  std::optional<std::string> port =
      Known(MergedField(s, [](const HttpFields& f) -> const Value& { return f.port; }), boot);
  if (!domain || !protocol || !port) return std::nullopt;
  std::string scheme(TrimAscii(*protocol));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme.empty()) scheme = "http";
  std::string host(TrimAscii(*domain));
  if (host.empty()) return std::nullopt;  // the request fails by itself ("Host may not be blank")
  std::string port_text(TrimAscii(*port));
  int number = 0;
  if (!port_text.empty()) {
    char* end = nullptr;
    long n = std::strtol(port_text.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || n < 0 || n > 65535) return std::nullopt;  // fails by itself
    number = static_cast<int>(n);
  }
  if (number == 0) number = scheme == "https" ? 443 : 80;
  return UrlTarget{host, number};
}

void CollectHttpSamplers(const Node& node, std::vector<const HttpSampler*>* out) {
  if (node.kind == ElementKind::kHttpSampler) out->push_back(&node.As<HttpSampler>());
  for (const auto& child : node.children) CollectHttpSamplers(*child, out);
}

// Whether `host` resolves to an address `policy` allows at `port` (true when it does not
// resolve: the request fails by itself then).
bool ResolvesToAllowed(const TargetPolicy& policy, const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return true;
  bool allowed = false;
  for (addrinfo* a = found; a != nullptr && !allowed; a = a->ai_next) {
    allowed = policy.AllowsAddress(a->ai_addr, port);
  }
  freeaddrinfo(found);
  return allowed;
}

}  // namespace

std::optional<UrlTarget> UrlHostAndPort(const char* url) {
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<UrlTarget> out;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    out = UrlTarget{host, std::atoi(port)};
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

Status CheckPlanTargets(const Plan& plan, const TargetPolicy& policy, ThreadContext& boot,
                        const std::vector<ConnectToRule>& connect_to) {
  if (!policy.restricted() || !plan.root) return Status::Ok();
  std::vector<const HttpSampler*> samplers;
  CollectHttpSamplers(*plan.root, &samplers);
  std::set<std::pair<std::string, int>> resolved_ok;
  for (const HttpSampler* s : samplers) {
    std::optional<UrlTarget> t = StaticTarget(*s, boot);
    if (!t) continue;
    if (const ConnectToRule* rule = MatchConnectTo(connect_to, t->host, t->port)) {
      if (!rule->connect_host.empty()) t->host = rule->connect_host;
      if (rule->connect_port != 0) t->port = rule->connect_port;
    }
    if (policy.AllowsHost(t->host, t->port)) continue;
    if (policy.has_address_patterns()) {
      if (resolved_ok.count({t->host, t->port}) != 0) continue;
      if (ResolvesToAllowed(policy, t->host, t->port)) {
        resolved_ok.insert({t->host, t->port});
        continue;
      }
    }
    return Status::InvalidArgument("HTTP Request '" + s->name + "' (line " + std::to_string(s->line) + "): host " +
                                   TargetText(t->host, t->port) + " is not in this worker's allowed_targets (" +
                                   policy.Describe() + ")");
  }
  return Status::Ok();
}

}  // namespace barrage
