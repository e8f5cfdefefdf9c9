// The HTTP API of `barrage serve` as plain values (issue 13): a request in, a response out,
// with no socket in between, so every route is tested without a server (the HTTP server in
// service/http_server.h only converts to and from these).
//
// Routes are "METHOD /api/v1/pattern" with {name} segments ("/runs/{id}"); a path that
// matches a route under another method answers 405 with Allow, no route at all 404. Every
// error is a 4xx/5xx whose body is {"error": "<what, naming the field>"}.
//
// Thread-safety: an ApiRouter is built once, then Handle() may run on many threads at once;
// the handlers decide what they share.
#ifndef BARRAGE_SERVICE_API_H_
#define BARRAGE_SERVICE_API_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace barrage {

// One uploaded part of a multipart/form-data body.
struct ApiFile {
  std::string field;     // the form field ("plan", "data")
  std::string filename;  // as the client named it ("" for a plain field)
  std::string content;
};

struct ApiRequest {
  std::string method;  // "GET", "POST"...
  std::string path;    // without the query, percent-decoded
  std::multimap<std::string, std::string> query;
  std::multimap<std::string, std::string> headers;  // names lowercase
  std::string body;
  std::vector<ApiFile> files;  // multipart/form-data parts (body is then empty)
  std::string remote_addr;     // the client's address, for rate limits and the audit log
  // Filled by the router: the {name} segments of the matched route.
  std::map<std::string, std::string> params;

  // The header's first value, or "" (name in lowercase).
  std::string Header(std::string_view name) const;
  // The query parameter's first value, or nullopt.
  std::optional<std::string> Query(std::string_view name) const;
};

// A response body that is produced piece by piece (Server-Sent Events). `write` sends one
// piece and returns false once the client is gone; the producer returns when it is done.
using ApiStream = std::function<void(const std::function<bool(std::string_view)>& write)>;

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::multimap<std::string, std::string> headers;
  ApiStream stream;  // when set, the body is streamed (body is ignored)

  // 200 (or `status`) with the JSON document.
  static ApiResponse Json(const nlohmann::json& doc, int status = 200);
  // `status` with {"error": message}.
  static ApiResponse Error(int status, std::string_view message);
};

using ApiHandler = std::function<ApiResponse(const ApiRequest&)>;

class ApiRouter {
 public:
  // `pattern`: "/api/v1/runs/{id}"; segments in braces match one non-empty segment.
  void Add(std::string method, std::string pattern, ApiHandler handler);
  ApiResponse Handle(ApiRequest request) const;
  // Every route as "METHOD pattern", in the order added (for the OpenAPI check).
  std::vector<std::string> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    ApiHandler handler;
  };
  std::vector<Route> routes_;
};

// The request's JSON body as an object; an error response (400, naming what is wrong) when it
// is not one.
std::optional<nlohmann::json> ParseJsonBody(const ApiRequest& request, ApiResponse* error);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_API_H_
