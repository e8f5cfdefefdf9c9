// Driving one HttpTransfer request to completion on a test's own event loop, for the tests
// that compare the fast path with libcurl (http1_connection_test, tls_fast_path_test).
#ifndef BARRAGE_TESTS_WORKER_TRANSFER_TEST_UTIL_H_
#define BARRAGE_TESTS_WORKER_TRANSFER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"
#include "worker/event_loop.h"
#include "worker/http_request.h"
#include "worker/http_transfer.h"
#include "worker/sample_result.h"

namespace barrage::transfer_test {

inline const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

// Records the transfer's completion.
class Done : public TransferHandler {
 public:
  void OnTransferDone(CURL*, CURLcode code) override {
    done = true;
    result = code;
  }
  bool done = false;
  CURLcode result = CURLE_OK;
};

// Runs one request to completion on `loop` (bounded: 10 s) and returns what the sampler records.
inline SampleResult RunTransfer(EventLoop& loop, HttpTransfer& t, const HttpRequest& r) {
  Done done;
  t.Start(r, true, &loop, &done);
  int64_t deadline = MonotonicMicros() + 10'000'000;
  loop.Run([&] { return done.done || MonotonicMicros() > deadline; }, nullptr);
  EXPECT_TRUE(done.done);
  SampleResult result;
  t.Finish(done.result, &result);
  return result;
}

// A GET of `url` without redirects.
inline HttpRequest GetRequest(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  r.follow_redirects = false;
  return r;
}

}  // namespace barrage::transfer_test

#endif  // BARRAGE_TESTS_WORKER_TRANSFER_TEST_UTIL_H_
