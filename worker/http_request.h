// Builds the HTTP request an HTTP sampler sends, the way JMeter's HTTPSamplerBase does:
// HTTP Request Defaults (ConfigTestElement) in scope fill fields the sampler leaves empty
// (innermost first) and add their parameters; Header Managers merge with inner ones
// winning per header name; `${...}` values are evaluated for the virtual user.
//
// Pure function of the sampler and the virtual user's variables; thread-compatible.
#ifndef BARRAGE_WORKER_HTTP_REQUEST_H_
#define BARRAGE_WORKER_HTTP_REQUEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

// One part of a multipart/form-data body.
struct MultipartPart {
  std::string name;
  std::string value;         // form field value (when file_path is empty)
  std::string file_path;     // file to upload, resolved against the plan's folder
  std::string content_type;  // of a file part ("" lets the client choose)
};

struct HttpRequest {
  std::string method;                   // upper case, "GET" by default
  std::string url;                      // absolute, query included for GET-like methods
  std::vector<std::string> headers;     // "Name: value", in merge order
  std::string body;
  bool has_body = false;
  std::string content_type;             // of the body ("" = none set)
  bool multipart = false;               // send `parts` as multipart/form-data instead of body
  std::vector<MultipartPart> parts;
  bool follow_redirects = true;         // JMeter "Follow Redirects" or "Redirect Automatically"
  bool keep_alive = true;
  int64_t connect_timeout_ms = 0;       // 0 = none
  int64_t response_timeout_ms = 0;      // 0 = none (idle time between received bytes)
  std::string accept_encoding;          // the plan's Accept-Encoding header, if any
};

// Fails (InvalidArgument) when the URL cannot be formed (no host, bad port); the message is
// the Java exception text JMeter would report.
Result<HttpRequest> BuildHttpRequest(const HttpSampler& sampler, ThreadContext& ctx);

// java.net.URLEncoder.encode(s, "UTF-8"): unreserved [A-Za-z0-9.*_-], space as '+'.
std::string UrlEncode(std::string_view s);

// Percent-encodes characters a URL may not contain raw (space, controls, non-ASCII, and
// " < > \ ^ ` { | }), as JMeter's ConversionUtils.sanitizeUrl does for HttpClient.
std::string SanitizeUrl(std::string_view url);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP_REQUEST_H_
