// Delivers webhooks (service/webhooks.h): one thread of its own and a bounded queue. Each
// delivery is a POST of the payload with
//   Content-Type: application/json
//   User-Agent: barrage/VERSION
//   X-Barrage-Event: run.finished
//   X-Barrage-Delivery: <UUID, the same on every attempt of one delivery>
//   X-Barrage-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>
// through libcurl's easy interface (no redirects followed: a 3xx is a failure; the
// environment's http_proxy/https_proxy/no_proxy apply). A 2xx response delivers it; anything
// else (another status, no connection, the timeout) is retried after base × 2^(n-1) (n = the
// attempt that failed; 1 s, 2 s, 4 s, 8 s, 16 s by default) times a jitter factor, up to
// max_attempts in all. Every attempt is a row of WebhookStore::RecordAttempt; a delivery that
// never got its request (queue full, abandoned at Stop) is a row with attempt 0 and an error
// saying why, so nothing is lost silently.
//
// Deliveries are sent one at a time in the order they fall due. Time comes from the injected
// Clock and waiting between attempts from the injected sleep, so tests run the whole backoff
// without waiting.
//
// Threads: every public method may be called from any thread. The store must outlive the
// dispatcher.
#ifndef BARRAGE_SERVICE_WEBHOOK_DISPATCHER_H_
#define BARRAGE_SERVICE_WEBHOOK_DISPATCHER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "service/webhooks.h"

namespace barrage {

struct WebhookDispatcherOptions {
  int max_attempts = 6;                               // attempts per delivery, the first included
  std::chrono::milliseconds first_backoff{1000};      // the wait after the first failure; doubles
  std::chrono::milliseconds max_backoff{300'000};     // no wait is longer (before the jitter)
  double jitter = 0.2;                                // each wait × (1 - jitter + 2 × jitter × random())
  std::chrono::milliseconds request_timeout{10'000};  // the whole request (CURLOPT_TIMEOUT_MS)
  size_t queue_capacity = 1000;                       // deliveries waiting or being retried
  // Stop() lets the request in flight finish for this long, then aborts it.
  std::chrono::milliseconds stop_timeout{5'000};
  const Clock* clock = nullptr;  // nullptr: SystemClock()
  // Waits this long before the next due attempt. Default: a real wait that Enqueue() and
  // Stop() cut short. Tests advance a FakeClock instead.
  std::function<void(std::chrono::microseconds)> sleep;
  // Uniform in [0, 1), for the jitter. Default: a Mersenne Twister seeded from random_device.
  std::function<double()> random;
  std::string user_agent;  // "": "barrage/" + ServiceVersion()
};

// What happened to the deliveries so far (counts of deliveries, not of attempts).
struct WebhookDispatcherStats {
  int64_t delivered = 0;
  int64_t failed = 0;        // every attempt failed
  int64_t dropped = 0;       // the queue was full
  int64_t abandoned = 0;     // still pending at Stop(), or the webhook was deleted meanwhile
  int64_t store_errors = 0;  // RecordAttempt failures (the attempt is then not in the log)
};

class WebhookDispatcher {
 public:
  // Starts the thread. `store` must outlive the dispatcher.
  WebhookDispatcher(WebhookStore* store, WebhookDispatcherOptions options);
  ~WebhookDispatcher();  // Stop()
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // What the service calls when a run reaches its final status: one delivery of
  // WebhookBody(run) to each enabled webhook of run.project that subscribes to run.finished.
  // Returns how many were queued; an error only when the store cannot list the webhooks.
  Result<int> RunCompleted(const RunCompletion& run);

  // Queues one delivery of `body` to `hook`, first attempt now. False when the queue is full
  // or the dispatcher is stopped: then the delivery is logged as attempt 0 with the reason.
  bool Enqueue(const Webhook& hook, int64_t run_id, std::string_view event, std::string body);

  // One attempt of `body` to `hook` now, on the caller's thread and beside the queue, with
  // no retry (the API's test delivery): logged as attempt 1 of a new delivery and returned
  // (with id 0; the log's row has the store's id). Takes up to options.request_timeout.
  DeliveryAttempt SendOnce(const Webhook& hook, int64_t run_id, std::string_view event, std::string body);

  // Waits until nothing is queued or in flight (true), or `timeout` passes (false).
  bool WaitUntilIdle(std::chrono::milliseconds timeout);

  // Ends the thread: the attempt in flight gets up to options.stop_timeout to finish, then is
  // aborted; deliveries still pending are logged as abandoned (attempt 0). Idempotent; later
  // Enqueue() calls are refused (and logged).
  void Stop();

  WebhookDispatcherStats stats() const;

 private:
  struct Job {
    Webhook hook;
    int64_t run_id = 0;
    std::string event;
    std::string body;
    std::string signature;
    std::string delivery;
    int attempts = 0;       // attempts made so far
    int64_t due_us = 0;     // monotonic, per the clock
    uint64_t sequence = 0;  // FIFO among equal due times
  };
  struct Outcome {
    int http_status = 0;
    std::string error;
    bool delivered = false;
  };

  void Run();
  Outcome Post(const Job& job);
  std::chrono::microseconds Backoff(int failed_attempt);
  // Logs a row with attempt 0 for a delivery that gets no (further) request.
  void LogUnsent(const Job& job, const std::string& why);
  void Record(const DeliveryAttempt& row, bool* webhook_gone);

  WebhookStore* const store_;
  WebhookDispatcherOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the thread: a job queued, or Stop()
  std::condition_variable idle_;  // WaitUntilIdle, Stop: the queue drained, an attempt ended
  std::vector<Job> queue_;
  uint64_t next_sequence_ = 0;
  bool in_flight_ = false;
  bool stopping_ = false;
  bool exited_ = false;
  WebhookDispatcherStats stats_;
  std::atomic<bool> abort_{false};  // read by libcurl's progress callback
  std::thread thread_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_WEBHOOK_DISPATCHER_H_
