// One virtual user's HTTP client: its own HTTP/1.1 keep-alive connection for plain http://
// requests to a literal IP address, or to a host name when the loop's HostCache is set
// (worker/http1_connection.h, the fast path), and a libcurl easy handle allocated once and
// reused for everything else (multipart, brotli/zstd, special headers; cookies unless they are in
// the user's CookieJar, EnableCookies). Both record the same Sample fields. Runs on the event loop that owns the
// virtual user; not thread-safe.
//
// Host names on the fast path: resolved by the loop's HostCache (worker/host_cache.h) before
// connecting. A request under a DNS Cache Manager (an entry in HttpRequest::resolve, or its
// per-user cache, which is libcurl's handle's) stays on the libcurl path. A name that does
// not resolve fails the sample as libcurl's path does (java.net.UnknownHostException).
//
// The environment variable BARRAGE_HTTP_CLIENT=curl (read once per process) sends every
// request through libcurl, e.g. to compare the two paths.
//
// A request sent on a reused keep-alive connection that fails before any response byte
// (a send error, a reset, an end of stream: the server closed the idle connection as the
// request came) is sent once more on a new connection, on both paths alike; the sample's
// times then count from the first attempt (see Http1Connection for the fast path's).
#ifndef BARRAGE_WORKER_HTTP_TRANSFER_H_
#define BARRAGE_WORKER_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/connect_to.h"
#include "worker/cookie_jar.h"
#include "worker/event_loop.h"
#include "worker/http1_connection.h"
#include "worker/http2_mode.h"
#include "worker/http_request.h"
#include "worker/sample_result.h"
#include "worker/target_policy.h"

namespace barrage {

// The run's --connect-to rules (common/connect_to.h) and the same rules as libcurl takes them
// (CURLOPT_CONNECT_TO). Built once per run; every user's HttpTransfer reads it. Immutable,
// so thread-safe.
class ConnectToRoutes {
 public:
  explicit ConnectToRoutes(std::vector<ConnectToRule> rules);
  ~ConnectToRoutes();
  ConnectToRoutes(const ConnectToRoutes&) = delete;
  ConnectToRoutes& operator=(const ConnectToRoutes&) = delete;

  const std::vector<ConnectToRule>& rules() const { return rules_; }
  curl_slist* curl_list() const { return curl_list_; }

 private:
  std::vector<ConnectToRule> rules_;
  curl_slist* curl_list_ = nullptr;
};

class HttpTransfer {
 public:
  HttpTransfer();
  ~HttpTransfer();
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;

  // Cookie engine on for this user (a Cookie Manager is in the plan). `jar`: the cookies live
  // in a CookieJar (worker/cookie_jar.h, libcurl's rules) that the fast path uses; a request
  // on the libcurl path gets the jar's cookies copied into libcurl's engine first and the
  // jar takes libcurl's back after it (property barrage.cookies.fastpath). Without `jar`,
  // libcurl's engine keeps them and every request takes the libcurl path.
  void EnableCookies(bool jar = false);
  // Forgets every cookie (Cookie Manager "clear each iteration").
  void ClearCookies();
  // Adds a cookie the plan defines ("Set-Cookie:" line syntax understood by curl).
  void AddCookie(const std::string& netscape_or_set_cookie_line);
  // Adds every cookie `other` holds, replacing those of the same name, domain and path
  // (a Parallel Controller branch and its user share cookies this way).
  void MergeCookiesFrom(const HttpTransfer& other);
  // The user's cookies as Netscape cookie-file lines (CURLINFO_COOKIELIST's format), in the
  // jar's creation order or libcurl's listing order.
  std::vector<std::string> CookieLines() const;
  // Records the cookies each request's responses make the user store (JMeter's
  // CookieManager.save.cookies, COOKIE_ variables): stored_cookies() after the request.
  void set_record_stored_cookies(bool on) { record_stored_ = on; }
  // The cookies the last request's Set-Cookie headers stored unexpired (every hop of a
  // redirect chain; empty values too), in header order; the jar's or libcurl's engine's
  // decision. On libcurl's path: a cookie its listing shows new or changed after the header,
  // or unchanged with the header's name and value (set again as it was).
  const std::vector<StoredCookie>& stored_cookies() const { return stored_; }

  // Starts `request` on `loop` (fast path or libcurl); `handler` gets the completion, never
  // from inside Start (its `easy` argument is nullptr for the fast path). `keep_body` false
  // counts body bytes without storing them.
  void Start(const HttpRequest& request, bool keep_body, EventLoop* loop, TransferHandler* handler);
  // Ends the request in flight: `handler` gets `code` (CURLE_OPERATION_TIMEDOUT for a
  // response timeout, CURLE_ABORTED_BY_CALLBACK for a stop; see MapCurlError).
  void Cancel(EventLoop* loop, CURLcode code);
  // Closes the user's own idle connection (the user ended), as JMeter closes a thread's
  // connections when it ends.
  void CloseConnection() { fast_.Close(); }
  // The handler of the timers the fast path's connection queues (its connect timeout, its
  // deferred completion), which may outlive the request.
  const TimerHandler* timer_handler() const { return &fast_; }
  // Connects as `routes` say on both paths (nullptr: to the URL's address). `routes` must
  // outlive the transfer.
  void set_connect_to(const ConnectToRoutes* routes);
  // The worker's allowed_targets (worker/target_policy.h; nullptr or an empty list: any
  // target). Checked on both paths when a connection opens (the host and address it goes
  // to, after --connect-to): a refused request fails as a sample
  // (java.security.AccessControlException, the host and port named) without connecting.
  // `policy` must outlive the transfer.
  void set_target_policy(const TargetPolicy* policy) {
    policy_ = policy != nullptr && policy->restricted() ? policy : nullptr;
  }
  // Resolves host names for the fast path (null: names go to libcurl). `hosts` belongs to the
  // transfer's event loop and must outlive the transfer.
  void set_host_cache(HostCache* hosts) { host_cache_ = hosts; }
  // The run's HTTP/2 opt-in (barrage.http2, worker/http2_mode.h), applied on top of what each
  // request asks for. Requests that may use HTTP/2 go through libcurl.
  void set_http2_default(Http2Mode mode) { http2_default_ = mode; }
  // Routes every request through libcurl (tests compare the paths).
  void set_fast_path_enabled(bool enabled) { fast_path_enabled_ = enabled; }
  // Whether the last request started took the fast path.
  bool used_fast_path() const { return fast_active_; }

  // After completion: fills the result's JTL fields (timings relative to the transfer
  // start, codes, sizes, URL) and hands headers and body over to it; header buffers are
  // swapped, so `result`'s emptied ones (SampleResult::Reset) serve the next request.
  // Transport failures become JMeter's "Non HTTP response code: <java exception>" samples.
  void Finish(CURLcode code, SampleResult* result);

  CURL* easy() const { return easy_; }  // nullptr until the first request libcurl makes
  int64_t start_wall_ms() const { return start_wall_ms_; }
  int64_t start_mono_us() const { return start_mono_us_; }
  // Monotonic time of the last byte received (for response-timeout checks).
  int64_t last_activity_us() const {
    if (resolving_) return start_mono_us_;
    return fast_active_ ? fast_.last_activity_us() : last_activity_us_;
  }
  bool timed_out_reading() const { return timed_out_reading_; }
  void set_timed_out_reading() { timed_out_reading_ = true; }

 private:
  static size_t OnHeader(char* data, size_t size, size_t n, void* self);
  static size_t OnBody(char* data, size_t size, size_t n, void* self);

  static constexpr int kMaxRedirects = 20;  // JMeter's httpsampler.max_redirects

  // Receives the fast path's completions, to follow redirects before the user hears.
  class FastDone final : public TransferHandler {
   public:
    explicit FastDone(HttpTransfer* t) : t_(t) {}
    void OnTransferDone(CURL*, CURLcode code) override { t_->OnFastDone(code); }

   private:
    HttpTransfer* t_;
  };

  // Receives libcurl's completions, to retry a request that died on a stale connection.
  class CurlDone final : public TransferHandler {
   public:
    explicit CurlDone(HttpTransfer* t) : t_(t) {}
    void OnTransferDone(CURL*, CURLcode code) override { t_->OnCurlDone(code); }

   private:
    HttpTransfer* t_;
  };

  // Receives the HostCache's answers for a fast-path request waiting on its host name.
  class HostDone final : public HostWaiter {
   public:
    explicit HostDone(HttpTransfer* t) : t_(t) {}
    void OnHostResolved(uint64_t token, const AddressList& addresses) override { t_->OnHostResolved(token, addresses); }

   private:
    HttpTransfer* t_;
  };

  void StartCurl(const HttpRequest& request, EventLoop* loop, TransferHandler* handler, int redirects_done);
  // Whether target_ (just parsed) can go on the fast path with `request`'s DNS settings; takes
  // a static DNS entry's addresses into target_.
  bool FastTargetUsable(const HttpRequest& request);
  // Resolves target_'s name if it has one, then starts the fast path (or fails the request).
  void StartFast(const HttpRequest& request, EventLoop* loop, int64_t start_us);
  // Takes `addresses` into target_; false when there are none.
  bool UseAddresses(const AddressList& addresses);
  void OnHostResolved(uint64_t token, const AddressList& addresses);
  // The HTTP managers' options (http_managers.h): challenge credentials, DNS entries.
  void SetManagerOptions(const HttpRequest& request);
  void OnFastDone(CURLcode code);
  void OnCurlDone(CURLcode code);
  void FinishFast(CURLcode code, SampleResult* result);
  // `response_headers`: the header block received (the fast path's parser's or libcurl's).
  void FinishSample(CURLcode code, SampleResult* result, std::string* response_headers, int64_t total_us,
                    int64_t first_byte_us, int64_t connect_us, int64_t header_bytes, int64_t request_bytes, long status,
                    const char* curl_message);

  CURL* Easy();  // easy_, made and set up at the first need
  CURL* easy_ = nullptr;
  EventLoop* curl_loop_ = nullptr;  // the loop the socket callbacks point at
  Http1Connection fast_;
  Http1Target target_;
  bool fast_active_ = false;
  bool fast_path_enabled_ = true;
  bool cookies_enabled_ = false;
  bool use_jar_ = false;       // cookies_enabled_ with the jar (EnableCookies)
  CookieJar jar_;              // the user's cookies when use_jar_
  bool curl_has_jar_ = false;  // libcurl's engine holds what jar_ holds
  // With the jar: the Cookie header of the fast-path request to target_.
  void SetFastCookies();
  // Before / after a libcurl request with the jar (and at each Set-Cookie header libcurl
  // takes, which keeps libcurl's creation order: CookieJar::SyncFromListing): copies the jar
  // into libcurl's engine, and libcurl's cookies back into the jar.
  void PushJarToCurl();
  void PullJarFromCurl();
  // libcurl's engine's cookies (CURLINFO_COOKIELIST).
  std::vector<std::string> CurlCookieListing() const;
  // A Set-Cookie header libcurl has just taken (OnHeader): the jar follows (use_jar_), and
  // record_stored_ notes what it stored, against curl_listing_ (the listing before it).
  void OnCurlSetCookie(std::string_view set_cookie);
  bool record_stored_ = false;
  std::vector<StoredCookie> stored_;
  std::vector<std::string> curl_listing_;
  Http2Mode http2_default_ = Http2Mode::kOff;
  Http2Record http2_record_ = Http2Record::kReasonPhrase;  // of the request in flight
  const ConnectToRoutes* connect_to_ = nullptr;
  const TargetPolicy* policy_ = nullptr;
  // Why the request in flight was refused by policy_ ("" = it was not): the sample's message.
  std::string refused_;
  // Fast path: refuses target_ (set refused_, fails the request) unless policy_ allows its
  // host or address; drops the further addresses policy_ refuses. True when refused.
  bool RefuseFastTarget(EventLoop* loop, int64_t start_us);
  // libcurl's socket callback data: the loop's socket table, and this transfer for policy_.
  struct OpenSocketData {
    EventLoop* loop = nullptr;
    HttpTransfer* transfer = nullptr;
  };
  OpenSocketData open_socket_{};
  static curl_socket_t OnOpenSocket(void* data, curlsocktype purpose, curl_sockaddr* address);
  HostCache* host_cache_ = nullptr;
  HostDone host_done_{this};
  bool resolving_ = false;  // the fast path waits for target_'s name
  uint64_t resolve_token_ = 0;
  EventLoop* resolve_loop_ = nullptr;
  int64_t resolve_start_us_ = 0;
  std::string url_;  // of the request in flight (the current hop's)
  FastDone fast_done_{this};
  CurlDone curl_done_{this};
  TransferHandler* handler_ = nullptr;
  int64_t retry_offset_us_ = -1;  // libcurl path: when the retry began (from the start); -1: none
  bool follow_ = false;           // the fast-path request follows redirects
  HttpRequest hop_request_;       // the request redirects are followed with (or a request waiting on its name)
  int redirects_ = 0;             // followed on the fast path
  int64_t hops_latency_us_ = 0;   // sums over the hops before the current one
  int64_t hops_connect_us_ = 0;
  int64_t hops_header_bytes_ = 0;
  int64_t hops_request_bytes_ = 0;
  curl_slist* headers_ = nullptr;
  curl_slist* resolve_ = nullptr;                   // CURLOPT_RESOLVE list of the last request that changed it
  std::string resolve_entry_;                       // the static DNS entry in the handle's cache ("" = none)
  const ClientCertificate* client_cert_ = nullptr;  // the handle's CURLOPT_SSLCERT_BLOB/SSLKEY_BLOB
  curl_mime* mime_ = nullptr;                       // multipart body of the request in flight
  std::string request_headers_;                     // as JMeter shows them
  std::string method_;
  std::string response_headers_;
  std::string body_;
  int64_t body_bytes_ = 0;  // received (before content decoding), as JMeter counts them
  bool decoding_ = false;   // the request accepted an encoding (libcurl decodes the body)
  bool keep_body_ = false;
  bool timed_out_reading_ = false;
  int64_t start_wall_ms_ = 0;
  int64_t start_mono_us_ = 0;
  int64_t last_activity_us_ = 0;
  int64_t request_body_bytes_ = 0;
  char error_[CURL_ERROR_SIZE] = {};
};

// Maps a curl failure to the Java exception class and message JMeter would record.
struct JavaException {
  std::string exception;  // e.g. "java.net.ConnectException"
  std::string message;    // e.g. "Connection refused"
};
JavaException MapCurlError(CURLcode code, const std::string& host_port, bool connect_phase, const char* curl_message);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP_TRANSFER_H_
