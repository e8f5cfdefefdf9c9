// One virtual user's HTTP connection: a libcurl easy handle allocated once and reused for
// every request (keep-alive, its own cookie jar), plus the buffers of the response in
// flight. Runs on the event loop that owns the virtual user; not thread-safe.
#ifndef BARRAGE_WORKER_HTTP_TRANSFER_H_
#define BARRAGE_WORKER_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <cstdint>
#include <string>

#include "worker/event_loop.h"
#include "worker/http_request.h"
#include "worker/sample_result.h"

namespace barrage {

class HttpTransfer {
 public:
  HttpTransfer();
  ~HttpTransfer();
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;

  // Cookie engine on/off for this user (on when a Cookie Manager is in the plan).
  void EnableCookies();
  // Forgets every cookie (Cookie Manager "clear each iteration").
  void ClearCookies();
  // Adds a cookie the plan defines ("Set-Cookie:" line syntax understood by curl).
  void AddCookie(const std::string& netscape_or_set_cookie_line);

  // Configures the handle for `request` and starts it on `loop`; `handler` gets the
  // completion. `keep_body` false counts body bytes without storing them.
  void Start(const HttpRequest& request, bool keep_body, EventLoop* loop, TransferHandler* handler);

  // After completion: fills the result's JTL fields (timings relative to the transfer
  // start, codes, sizes, URL) and moves headers/body into it. Transport failures become
  // JMeter's "Non HTTP response code: <java exception>" samples.
  void Finish(CURLcode code, SampleResult* result);

  CURL* easy() const { return easy_; }
  int64_t start_wall_ms() const { return start_wall_ms_; }
  int64_t start_mono_us() const { return start_mono_us_; }
  // Monotonic time of the last byte received (for response-timeout checks).
  int64_t last_activity_us() const { return last_activity_us_; }
  bool timed_out_reading() const { return timed_out_reading_; }
  void set_timed_out_reading() { timed_out_reading_ = true; }

 private:
  static size_t OnHeader(char* data, size_t size, size_t n, void* self);
  static size_t OnBody(char* data, size_t size, size_t n, void* self);

  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  curl_mime* mime_ = nullptr;     // multipart body of the request in flight
  std::string request_headers_;   // as JMeter shows them
  std::string method_;
  std::string response_headers_;
  std::string body_;
  int64_t body_bytes_ = 0;
  bool keep_body_ = false;
  bool timed_out_reading_ = false;
  int64_t start_wall_ms_ = 0;
  int64_t start_mono_us_ = 0;
  int64_t last_activity_us_ = 0;
  int64_t request_body_bytes_ = 0;
  std::string host_port_;         // for NoHttpResponseException messages
  char error_[CURL_ERROR_SIZE] = {};
};

// Maps a curl failure to the Java exception class and message JMeter would record.
struct JavaException {
  std::string exception;  // e.g. "java.net.ConnectException"
  std::string message;    // e.g. "Connection refused"
};
JavaException MapCurlError(CURLcode code, const std::string& host_port, bool connect_phase,
                           const char* curl_message);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP_TRANSFER_H_
