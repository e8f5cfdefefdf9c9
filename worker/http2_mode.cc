#include "worker/http2_mode.h"

#include <curl/curl.h>
#include <strings.h>

#include <optional>
#include <string>

#include "common/hash_tree.h"
#include "worker/sample_result.h"

namespace barrage {

namespace {

bool IsHttps(std::string_view url) { return url.size() >= 8 && strncasecmp(url.data(), "https://", 8) == 0; }

// "true"/"false" in any case with blanks around; nullopt for anything else.
std::optional<bool> ParseFlag(std::string_view text) {
  text = TrimAscii(text);
  if (text.size() == 4 && strncasecmp(text.data(), "true", 4) == 0) return true;
  if (text.size() == 5 && strncasecmp(text.data(), "false", 5) == 0) return false;
  return std::nullopt;
}

}  // namespace

Result<Http2Mode> Http2ModeFromProperties(const Properties& properties) {
  bool flags[2] = {false, false};
  const char* names[2] = {"barrage.http2", "barrage.http2.h2c"};
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> value = properties.Get(names[i]);
    if (!value) continue;
    std::optional<bool> flag = ParseFlag(*value);
    if (!flag) {
      return Status::InvalidArgument(std::string("property ") + names[i] + ": '" + *value + "' is not true or false");
    }
    flags[i] = *flag;
  }
  if (flags[1] && !flags[0]) {
    return Status::InvalidArgument("property barrage.http2.h2c=true needs barrage.http2=true");
  }
  if (!flags[0]) return Http2Mode::kOff;
  return flags[1] ? Http2Mode::kTlsAndCleartext : Http2Mode::kTls;
}

long CurlHttpVersion(Http2Mode mode, std::string_view url) {
  switch (mode) {
    case Http2Mode::kOff: return CURL_HTTP_VERSION_1_1;
    case Http2Mode::kTls: return IsHttps(url) ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
    case Http2Mode::kTlsAndCleartext:
      return IsHttps(url) ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
  }
  return CURL_HTTP_VERSION_1_1;
}

bool CurlReusesPriorKnowledgeConnections() {
  static const bool reuses = curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
  return reuses;
}

bool MayUseHttp2(Http2Mode mode, std::string_view url) { return CurlHttpVersion(mode, url) != CURL_HTTP_VERSION_1_1; }

std::string_view JettyReasonPhrase(long code) {
  switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hint";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";  // Jetty's table maps 302 to FOUND, its last entry for the code
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";
    case 420: return "Enhance your Calm";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable for Legal Reason";
    case 500: return "Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return {};
  }
}

void RecordHttp2Response(Http2Record how, long code, SampleResult* result) {
  std::string& headers = result->response_headers;
  size_t eol = headers.find('\n');
  size_t old_line = eol == std::string::npos ? headers.size() : eol + 1;  // libcurl's "HTTP/2 200 \r\n"
  std::string reason(JettyReasonPhrase(code));
  if (reason.empty()) reason = std::to_string(code);  // HttpStatus.getMessage for unknown codes
  // Both plugin versions write the version as Jetty's HttpVersion.HTTP_2 prints it.
  std::string status_line = "HTTP/2.0 " + std::to_string(code) + " " + reason;
  headers.replace(0, old_line, status_line + "\r\n");
  Sample& s = result->sample;
  if (how == Http2Record::kStatusLineMessage) {
    s.response_message = status_line;
    s.bytes -= static_cast<int64_t>(old_line);
    s.sent_bytes = 0;
  } else {
    s.response_message = std::move(reason);
    s.bytes += static_cast<int64_t>(status_line.size() + 2) - static_cast<int64_t>(old_line);
  }
}

}  // namespace barrage
