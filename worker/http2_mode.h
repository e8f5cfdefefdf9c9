// HTTP/2 (issue 12 item 4): which HTTP version a request asks libcurl (+ nghttp2) for, and how
// a sample records a response that came over HTTP/2.
//
// HTTP Request samplers speak HTTP/1.1 unless the run's JMeter properties (-J, -q files,
// user.properties-like files the run reads) say otherwise; they are read once per run:
//   barrage.http2=true       https:// requests offer h2 in the TLS handshake (ALPN) and use it
//                            when the server picks it, HTTP/1.1 when it does not; http://
//                            requests stay HTTP/1.1 (no Upgrade: h2c dance).
//   barrage.http2.h2c=true   with barrage.http2=true, http:// requests speak h2 at once (prior
//                            knowledge, RFC 9113 section 3.3): only for servers known to accept it.
// The BlazeMeter HTTP/2 Sampler elements (HTTP2Request, HTTP2Sampler) always ask for HTTP/2:
// h2 over TLS, and h2c with prior knowledge for http:// as the plugin's Jetty client does
// without TLS.
//
// A request that asks for HTTP/2 never takes the HTTP/1.1 fast path. libcurl multiplexes its
// streams: every user of one event loop shares the loop's connections (libcurl's connection
// pool is the loop's multi handle), so N users sending to one origin open one connection per
// loop, not one per user as JMeter's threads do (docs/architecture.md, "HTTP/2").
//
// Pure functions; thread-safe.
#ifndef BARRAGE_WORKER_HTTP2_MODE_H_
#define BARRAGE_WORKER_HTTP2_MODE_H_

#include <string_view>

#include "common/status.h"
#include "common/variables.h"

namespace barrage {

struct SampleResult;

enum class Http2Mode {
  kOff,              // HTTP/1.1
  kTls,              // h2 over TLS (ALPN, falls back to HTTP/1.1); http:// stays HTTP/1.1
  kTlsAndCleartext,  // the same, and h2c with prior knowledge for http://
};

// The run's mode from barrage.http2 and barrage.http2.h2c ("true"/"false", any case,
// surrounding blanks ignored; absent = false). Any other value is an InvalidArgument error
// naming the property. barrage.http2.h2c=true without barrage.http2=true is an error too.
Result<Http2Mode> Http2ModeFromProperties(const Properties& properties);

// The stronger of two modes (a plugin element's and the run's).
inline Http2Mode StrongerHttp2Mode(Http2Mode a, Http2Mode b) { return a > b ? a : b; }

// The CURLOPT_HTTP_VERSION value for a request to `url` in `mode`.
long CurlHttpVersion(Http2Mode mode, std::string_view url);

// libcurl before 8.0.0 fails a request sent on a reused h2c prior-knowledge connection ("Error
// in the HTTP2 framing layer": curl issue 10634, fixed by curl PR 10643 in 8.0.0; Debian 12 has
// 7.88.1). With such a libcurl each of those requests gets a connection of its own (no
// multiplexing for h2c; h2 over TLS is not affected). Reads curl_version_info once.
bool CurlReusesPriorKnowledgeConnections();

// Whether a request in `mode` to `url` may be sent over HTTP/2 (and so must not take the
// HTTP/1.1 fast path).
bool MayUseHttp2(Http2Mode mode, std::string_view url);

// How a sample records a response received over HTTP/2 (libcurl shows its status line as
// "HTTP/2 200 " with no reason phrase; HTTP/2 has none).
enum class Http2Record {
  // HTTP Request samplers and the plugin's HTTP2Sampler (2.x, Jetty HttpClient;
  // HTTP2JettyClient.setResultContentResponse): the message is Jetty's reason phrase for the
  // code (HttpStatus.getMessage: "OK", "Not Found", the code itself when unknown); the headers
  // start "HTTP/2.0 200 OK".
  kReasonPhrase,
  // The plugin's HTTP2Request (1.x, Jetty HTTP2Client; HTTP2StreamHandler.onHeaders): the
  // message is the whole status line "HTTP/2.0 200 OK"; the header size counts the header
  // fields without the status line; nothing counts as sent (the plugin never sets sentBytes).
  kStatusLineMessage,
};

// Jetty's HttpStatus.getMessage(code) (Jetty 10/11, the table the plugin's client uses).
std::string_view JettyReasonPhrase(long code);

// Rewrites `result` (already filled by HttpTransfer::Finish from libcurl's answer) for a
// response that came over HTTP/2: status line, response message, bytes and sent bytes as `how`
// says. The header size libcurl counted includes its own status line ("HTTP/2 200 \r\n"),
// which is the first line of result->response_headers on entry.
void RecordHttp2Response(Http2Record how, long code, SampleResult* result);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP2_MODE_H_
