// A virtual user's own HTTP/1.1 keep-alive connection: the engine's fast path for http://
// and https:// requests (to a literal IP address, or a name HttpTransfer resolved through
// worker/host_cache.h), bypassing libcurl (whose per-request overhead, ~9 µs of user time
// plus two poll() liveness checks, halved the engine's throughput). https runs over
// worker/tls_session.h (the transport is the only difference: Write/Read below); Connect then
// includes the TLS handshake, as JMeter's connect time does. gzip/deflate bodies are decoded
// as they arrive (worker/content_decoder.h); a source address (HTTPSampler.ipSource) is bound
// before connecting.
//
// Like JMeter's HttpClient 4 sampler, each virtual user has its own connection: a user's first
// request (and the first after the server closed the connection) connects, so its Connect is
// > 0; later ones reuse it (Connect 0). The socket stays registered in the loop's epoll
// (edge-triggered, in and out) for its whole life, so a request costs one send() and
// usually one recv(). Sample fields match what HttpTransfer's libcurl path records for the
// same exchange (tests/worker/http1_connection_test.cc checks both paths side by side).
//
// Idle connections: a close by the server while the connection idles is seen through epoll
// and the next request connects anew; a close racing with a request on a reused connection
// (no response byte received, or a reset) is retried once on a fresh connection. Both are
// what the libcurl path does (libcurl itself, and HttpTransfer's retry of a reset that
// libcurl does not retry), so the two paths agree. JMeter 2.13's HC4 sampler differs: it turns
// HttpClient's stale-connection check off (http.connection.stalecheck=false) and retries
// nothing (httpclient4.retrycount=0); it drops a pooled connection only when the server's
// "Keep-Alive: timeout=N" has expired (or httpclient4.idletimeout), and otherwise records
// NoHttpResponseException ("<host:port> failed to respond") or a SocketException for a
// request sent on a connection the server had closed.
//
// Failures end the request with the CURLcode libcurl would report (CURLE_COULDNT_CONNECT,
// CURLE_OPERATION_TIMEDOUT for the connect timeout, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
// CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY for a malformed response,
// CURLE_SSL_CONNECT_ERROR with libcurl's text for a failed TLS handshake),
// so one mapping (MapCurlError) names the Java exception for both paths.
//
// Threading: owned by one virtual user on one event loop; not thread-safe. Completion is
// reported through TransferHandler::OnTransferDone(nullptr, code), never from inside Start.
#ifndef BARRAGE_WORKER_HTTP1_CONNECTION_H_
#define BARRAGE_WORKER_HTTP1_CONNECTION_H_

#include <curl/curl.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/connect_to.h"

#include "worker/event_loop.h"
#include "worker/host_cache.h"
#include "worker/http1_parser.h"
#include "worker/http_request.h"
#include "worker/tls_session.h"

namespace barrage {

// Where a fast-path request goes, parsed from its URL.
struct Http1Target {
  sockaddr_storage address{};
  socklen_t address_len = 0;  // 0: `host_name` is to be resolved (HostCache) first
  // A resolved name's further addresses, tried in order when connecting to the one before
  // fails, as libcurl does (null or empty: none). Their port is `address`'s.
  AddressList more;
  size_t more_from = 0;     // the first of `more` not yet tried
  std::string host_name;    // a name to connect to (the URL's, or a --connect-to rule's)
  uint16_t port = 0;        // the port to connect to
  std::string host_header;  // the Host header's value, e.g. "127.0.0.1:8080"
  std::string_view target;  // the request target, e.g. "/path?query" (a view into the URL)
  // https: TLS (worker/tls_session.h) with this server name ("" for an IP literal), and
  // "host:port" as libcurl names the peer in TLS errors.
  bool tls = false;
  std::string sni;
  std::string tls_peer;
};

// True when `url` is "http[s]://<host>[:port]/..." in the form libcurl would send unchanged
// (no fragment, no user info, no dot segments, no explicit default port): then the fast path
// sends exactly what libcurl would. Fills `out`. The host is an IPv4 or [IPv6] literal
// (`address` set) or a lower-case DNS name (letters, digits, '-', '.'; not all-numeric, which
// libcurl reads as an address) that the caller resolves: `host_name` and `port` set,
// address_len 0. With `connect_to` rules (common/connect_to.h), the address (or name) is the
// matching rule's instead; the Host header stays the URL's.
bool ParseFastPathUrl(std::string_view url, Http1Target* out, const std::vector<ConnectToRule>* connect_to = nullptr);

// True when the request needs nothing the fast path lacks (multipart, content codings other
// than gzip and deflate, headers libcurl treats specially such as Host or Content-Length, redirects of methods
// other than GET and HEAD, whose method libcurl may change on the way).
// The URL is checked separately (ParseFastPathUrl); cookies and DNS entries (`resolve`) are
// the caller's business.
bool FastPathSupports(const HttpRequest& request);

class Http1Connection final : public SocketHandler, public TimerHandler {
 public:
  Http1Connection() = default;
  ~Http1Connection() override;  // closes the socket
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // Sends `request` to `target` (reusing the idle connection when it goes to the same
  // place), timing from `start_us` (MonotonicMicros). The response body goes to `body`
  // (nullptr: counted only). `handler` is called once, later, when the response is complete
  // or the request failed. Requires !in_flight().
  void Start(const HttpRequest& request, const Http1Target& target, std::string* body, EventLoop* loop,
             TransferHandler* handler, int64_t start_us);
  // Ends a request that could not be sent (its host name did not resolve: `code`
  // CURLE_COULDNT_RESOLVE_HOST) as Start ends a failed one: `handler` is called later with
  // `code`, no time but the end is set, and an idle connection stays open.
  void Fail(CURLcode code, std::string message, EventLoop* loop, TransferHandler* handler, int64_t start_us);
  // Ends the request in flight now (response timeout, stop now): the connection is closed
  // and `handler` is called with `code`. No-op when nothing is in flight.
  void Cancel(CURLcode code);
  // Closes an idle connection (the virtual user ended). No-op while a request is in flight.
  void Close();

  // The Cookie header's value the next requests send after Host, where libcurl puts its
  // cookie engine's ("" = none; HttpTransfer's CookieJar sets it before each Start).
  void set_cookie_header(std::string value) { cookie_header_ = std::move(value); }

  bool in_flight() const { return in_flight_; }
  EventLoop* loop() const { return loop_; }
  // After completion: MonotonicMicros of the events, 0 when they did not happen.
  int64_t start_us() const { return start_us_; }
  // 0 on a reused connection; after the TLS handshake on https (JMeter's connect time
  // includes it), the TCP connect's when the handshake failed (as libcurl's CONNECT_TIME).
  int64_t connected_us() const { return connected_us_; }
  bool tls_resumed() const { return tls_.resumed(); }  // the last TLS handshake resumed a session
  int64_t first_byte_us() const { return first_byte_us_; }
  int64_t end_us() const { return end_us_; }
  int64_t last_activity_us() const { return last_activity_us_; }
  int64_t request_bytes() const { return request_bytes_; }  // request line + headers + body
  const std::string& error() const { return error_; }       // detail of a failure
  Http1ResponseParser& response() { return parser_; }

  // SocketHandler / TimerHandler
  void OnSocketEvent(uint32_t events) override;
  void OnTimer(int64_t now_us, uint64_t token) override;

 private:
  enum class State { kClosed, kConnecting, kHandshaking, kSending, kReceiving, kIdle };

  void BuildRequest(const HttpRequest& r, const Http1Target& t);
  void Connect();
  // Connecting failed with `err`: the next address, if any, else the request fails.
  void ConnectFailed(int err);
  void Connected();
  void Handshake();
  // The transport, plain or TLS: like send()/recv() on the socket (bytes; 0 = end of
  // stream; -1 with errno, EAGAIN when the loop's next edge is awaited).
  ssize_t Write(const char* data, size_t size);
  ssize_t Read(char* buf, size_t size);
  void Send();
  void Receive(bool peer_closed);
  void RetryOrFail(CURLcode code, std::string message);
  void Complete(CURLcode code, std::string message = {});
  void CloseSocket();

  int fd_ = -1;
  State state_ = State::kClosed;
  EventLoop* loop_ = nullptr;
  TransferHandler* handler_ = nullptr;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  AddressList more_;  // addresses to try when connecting fails, from more_next_ on
  size_t more_next_ = 0;
  std::string host_header_;       // where the open connection goes
  bool tls_wanted_ = false;       // ... and whether over TLS
  std::string source_;            // the local address it is bound to ("" = any: HttpRequest::source_address)
  TlsStream tls_;                 // active on a TLS connection
  TlsSessionCache tls_sessions_;  // the user's sessions by target, resumed by new connections
  std::string sni_, tls_peer_;
  std::string out_;  // the request's bytes, reused
  std::string cookie_header_;
  size_t sent_ = 0;
  Http1ResponseParser parser_;
  ContentDecoder decoder_;  // gzip/deflate bodies (worker/content_decoder.h)
  bool decode_ = false;     // the request accepted an encoding: decode the response
  std::string* body_ = nullptr;
  bool head_ = false;
  bool keep_alive_ = true;  // the request allows reuse
  bool in_flight_ = false;
  bool in_start_ = false;  // completions inside Start are delivered by a timer
  bool deferred_ = false;  // a completion waits for that timer
  bool reused_ = false;
  bool retried_ = false;
  CURLcode code_ = CURLE_OK;
  int64_t connect_timeout_us_ = 0;
  uint64_t token_ = 0;  // current timer token; older timers are ignored
  int64_t start_us_ = 0;
  int64_t connected_us_ = 0;
  int64_t first_byte_us_ = 0;
  int64_t end_us_ = 0;
  int64_t last_activity_us_ = 0;
  int64_t request_bytes_ = 0;
  std::string error_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP1_CONNECTION_H_
