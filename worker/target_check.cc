#include "worker/target_check.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>

#include <curl/curl.h>

namespace barrage {
namespace {

// The value the sampler's request takes for a field: its own, else the innermost HTTP
// Request Defaults' that sets it (as worker/http_request.cc merges them).
template <typename Field>
const Value* Merged(const HttpSampler& s, Field field) {
  if (!field(s.http).empty()) return &field(s.http);
  for (const Node* c : s.scope.configs) {
    if (c->kind != ElementKind::kConfigElement) continue;
    const Value& v = field(c->As<ConfigElement>().http);
    if (!v.empty()) return &v;
  }
  return nullptr;
}

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

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

struct Target {
  std::string host;
  int port = 0;
};

// The host and port of a full URL (libcurl's parser, as the request would be parsed).
std::optional<Target> UrlTarget(const std::string& url) {
  CURLU* u = curl_url();
  if (u == nullptr) return std::nullopt;
  std::optional<Target> out;
  char* host = nullptr;
  char* port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    out = Target{host, std::atoi(port)};
  }
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return out;
}

// The sampler's target when known before the run.
std::optional<Target> StaticTarget(const HttpSampler& s, ThreadContext& boot) {
  std::optional<std::string> path = Known(Merged(s, [](const HttpFields& f) -> const Value& { return f.path; }), boot);
  if (!path) return std::nullopt;
  std::string lower = path->substr(0, 8);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0) return UrlTarget(*path);
  std::optional<std::string> domain =
      Known(Merged(s, [](const HttpFields& f) -> const Value& { return f.domain; }), boot);
  std::optional<std::string> protocol =
      Known(Merged(s, [](const HttpFields& f) -> const Value& { return f.protocol; }), boot);
  std::optional<std::string> port = Known(Merged(s, [](const HttpFields& f) -> const Value& { return f.port; }), boot);
  if (!domain || !protocol || !port) return std::nullopt;
  std::string scheme = Trim(*protocol);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme.empty()) scheme = "http";
  std::string host = Trim(*domain);
  if (host.empty()) return std::nullopt;  // the request fails by itself ("Host may not be blank")
  std::string port_text = Trim(*port);
  int number = 0;
  if (!port_text.empty()) {
    char* end = nullptr;
    long n = std::strtol(port_text.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || n < 0 || n > 65535) return std::nullopt;  // fails by itself
    number = static_cast<int>(n);
  }
  if (number == 0) number = scheme == "https" ? 443 : 80;
  return Target{host, number};
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

Status CheckPlanTargets(const Plan& plan, const TargetPolicy& policy, ThreadContext& boot,
                        const std::vector<ConnectToRule>& connect_to) {
  if (!policy.restricted() || !plan.root) return Status::Ok();
  std::vector<const HttpSampler*> samplers;
  CollectHttpSamplers(*plan.root, &samplers);
  std::set<std::pair<std::string, int>> resolved_ok;
  for (const HttpSampler* s : samplers) {
    std::optional<Target> t = StaticTarget(*s, boot);
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
