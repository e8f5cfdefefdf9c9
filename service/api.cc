#include "service/api.h"

#include <utility>

namespace barrage {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The route's {name} values when `segments` match it.
std::optional<std::map<std::string, std::string>> Match(const std::vector<std::string>& route,
                                                        const std::vector<std::string>& segments) {
  if (route.size() != segments.size()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < route.size(); ++i) {
    if (IsParam(route[i])) {
      params[route[i].substr(1, route[i].size() - 2)] = segments[i];
    } else if (route[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

}  // namespace

std::string ApiRequest::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> ApiRequest::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

ApiResponse ApiResponse::Json(const nlohmann::json& doc, int status) {
  ApiResponse r;
  r.status = status;
  r.body = doc.dump();
  r.body.push_back('\n');
  return r;
}

ApiResponse ApiResponse::Error(int status, std::string_view message) {
  return Json(nlohmann::json{{"error", message}}, status);
}

void ApiRouter::Add(std::string method, std::string pattern, ApiHandler handler) {
  std::vector<std::string> segments = Split(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

ApiResponse ApiRouter::Handle(ApiRequest request) const {
  const std::vector<std::string> segments = Split(request.path);
  std::string allow;
  for (const Route& route : routes_) {
    std::optional<std::map<std::string, std::string>> params = Match(route.segments, segments);
    if (!params) continue;
    if (route.method != request.method) {
      if (allow.find(route.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + route.method;
      continue;
    }
    request.params = std::move(*params);
    return route.handler(request);
  }
  if (!allow.empty()) {
    ApiResponse r =
        ApiResponse::Error(405, request.method + " is not allowed on " + request.path + " (allowed: " + allow + ")");
    r.headers.emplace("Allow", allow);
    return r;
  }
  return ApiResponse::Error(404, "no such resource: " + request.path);
}

std::vector<std::string> ApiRouter::Routes() const {
  std::vector<std::string> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.push_back(route.method + " " + route.pattern);
  return out;
}

std::optional<nlohmann::json> ParseJsonBody(const ApiRequest& request, ApiResponse* error) {
  nlohmann::json doc = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    *error = ApiResponse::Error(400, "the body is not JSON");
    return std::nullopt;
  }
  if (!doc.is_object()) {
    *error = ApiResponse::Error(400, "the body must be a JSON object");
    return std::nullopt;
  }
  return doc;
}

}  // namespace barrage
