// Builds the HTTP request an HTTP sampler sends, the way JMeter 2.13's HTTPSamplerBase and
// HTTPHC4Impl do: HTTP Request Defaults (ConfigTestElement) in scope fill fields the sampler
// leaves empty (innermost first) and add their parameters; Header Managers merge with inner
// ones winning per header name; `${...}` values are evaluated for the virtual user.
//
// Parameters and the request charset (HTTPSampler.contentEncoding, "" = none):
// - GET and DELETE: parameters go to the query; "encoded" values are URL-encoded in the
//   charset (UTF-8 when none), names always in UTF-8. HEAD, OPTIONS and TRACE send none.
// - POST, named parameters: application/x-www-form-urlencoded body; names and values not
//   marked "encoded" are URL-decoded first (java.net.URLDecoder), then all are encoded in the
//   charset (UTF-8 when none). Content-Type "application/x-www-form-urlencoded", no charset.
// - POST with a raw body (or no named parameter): the values concatenated ("encoded" ones
//   URL-encoded in the charset, else UTF-8), the text sent in the charset, ISO-8859-1 when
//   none (HttpClient's StringEntity default); same Content-Type.
// - PUT, PATCH, DELETE with a raw body (or no named parameter): the same in the charset
//   (ISO-8859-1 when none), Content-Type "text/plain; charset=<Java name>". With named
//   parameters they send an empty body and no Content-Type (and PUT/PATCH no parameters).
// Characters the charset cannot represent become '?', as in Java. An unknown charset fails
// the sample as JMeter does (java.io.UnsupportedEncodingException or
// java.nio.charset.UnsupportedCharsetException), except in a query, where the value of an
// encoded parameter is left out.
//
// Pure function of the sampler and the virtual user's variables; thread-compatible.
#ifndef BARRAGE_WORKER_HTTP_REQUEST_H_
#define BARRAGE_WORKER_HTTP_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/status.h"
#include "worker/http2_mode.h"

namespace barrage {

struct ClientCertificate;

// One part of a multipart/form-data body.
struct MultipartPart {
  std::string name;
  std::string value;         // form field value (when file_path is empty)
  std::string file_path;     // file to upload, resolved against the plan's folder
  std::string content_type;  // of a file part ("" lets the client choose)
};

struct HttpRequest {
  std::string method;                // upper case, "GET" by default
  std::string url;                   // absolute, query included for GET-like methods
  std::vector<std::string> headers;  // "Name: value", in merge order
  std::string body;
  bool has_body = false;
  std::string content_type;  // of the body ("" = none set)
  bool multipart = false;    // send `parts` as multipart/form-data instead of body
  std::vector<MultipartPart> parts;
  bool follow_redirects = true;  // JMeter "Follow Redirects" or "Redirect Automatically"
  bool keep_alive = true;
  int64_t connect_timeout_ms = 0;   // 0 = none
  int64_t response_timeout_ms = 0;  // 0 = none (idle time between received bytes)
  std::string accept_encoding;      // the plan's Accept-Encoding header, if any
  std::string source_address;       // HTTPSampler.ipSource as a literal address ("" = none)
  // Set by the HTTP managers (http_managers.h); any of them routes the request to libcurl.
  long http_auth = 0;  // CURLAUTH_* bits to answer a challenge with (0 = none)
  std::string auth_user, auth_password;
  std::string resolve;            // a CURLOPT_RESOLVE entry "host:port:addr[,addr]" ("" = none)
  long dns_cache_timeout_s = 60;  // CURLOPT_DNS_CACHE_TIMEOUT (-1 = for the run, 0 = resolve again)
  // The user's TLS client certificate (worker/client_keystore.h), owned by the run; null = none.
  const ClientCertificate* client_cert = nullptr;
  // HTTP/2 the sampler itself asks for (a BlazeMeter HTTP/2 element; the run's barrage.http2
  // applies on top, see HttpTransfer) and how an HTTP/2 response is recorded.
  Http2Mode http2 = Http2Mode::kOff;
  Http2Record http2_record = Http2Record::kReasonPhrase;
};

// The value a sampler's request takes for an HttpFields field: its own when set, else that of
// the innermost HTTP Request Defaults in scope that sets it; nullptr when none does.
// (BuildHttpRequest evaluates it; worker/target_check.h reads it before the run.)
template <typename Field>
const Value* MergedField(const HttpSampler& s, Field field) {
  if (!field(s.http).empty()) return &field(s.http);
  for (const Node* c : s.scope.configs) {
    if (c->kind != ElementKind::kConfigElement) continue;
    const Value& v = field(c->As<ConfigElement>().http);
    if (!v.empty()) return &v;
  }
  return nullptr;
}

// Fails (InvalidArgument) when the URL cannot be formed (no host, bad port); the message is
// the Java exception text JMeter would report.
Result<HttpRequest> BuildHttpRequest(const HttpSampler& sampler, ThreadContext& ctx);
// The same; when the request fails after its URL was formed (a body in an unknown charset,
// a bad escape), `failed_url` (may be null) receives that URL, which JMeter records.
Result<HttpRequest> BuildHttpRequest(const HttpSampler& sampler, ThreadContext& ctx, std::string* failed_url);
// The same into `out`, which keeps its buffers from an earlier request (the engine reuses one
// HttpRequest per event loop, so a request costs no allocation once the buffers have grown).
// On error `out` is partly filled and must not be sent.
Status BuildHttpRequest(const HttpSampler& sampler, ThreadContext& ctx, HttpRequest* out, std::string* failed_url);

// java.net.URLEncoder.encode(s, "UTF-8"): unreserved [A-Za-z0-9.*_-], space as '+'.
// Encodes the bytes of `s` as they are (UTF-8 text, or text already in another charset).
std::string UrlEncode(std::string_view s);

// Java's String.getBytes(charset) for UTF-8 `text` (iconv): characters the charset cannot
// represent become '?'. nullopt when the charset is unknown. Thread-safe.
std::optional<std::string> EncodeText(std::string_view text, std::string_view charset);

// new String(bytes, charset) as UTF-8: malformed input becomes U+FFFD. nullopt when the
// charset is unknown. Thread-safe.
std::optional<std::string> DecodeText(std::string_view bytes, std::string_view charset);

// Java's canonical name of a charset (Charset.name()): "utf8" -> "UTF-8", "latin1" ->
// "ISO-8859-1", ...; other names as given.
std::string JavaCharsetName(std::string_view charset);

// java.net.URLDecoder.decode(s, charset), UTF-8 in and out: '+' is a space, runs of %XX are
// bytes in `charset`. Errors (InvalidArgument, "exception|message" as JMeter reports them):
// java.lang.IllegalArgumentException for a bad escape, java.io.UnsupportedEncodingException
// for an unknown charset.
Result<std::string> JavaUrlDecode(std::string_view s, std::string_view charset);

// Percent-encodes characters a URL may not contain raw (space, controls, non-ASCII, and
// " < > \ ^ ` { | }), as JMeter's ConversionUtils.sanitizeUrl does for HttpClient.
std::string SanitizeUrl(std::string_view url);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP_REQUEST_H_
