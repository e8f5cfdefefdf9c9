// One event-loop thread's machinery: epoll, a timer heap, and a libcurl multi handle driven
// by curl_multi_socket_action (the ephiperfifo pattern).
//
// Ownership and threading: an EventLoop is created and run by one thread; every method
// except Wake() must be called from that thread. Transfers and timers are identified by
// the caller's pointers; the loop never owns them.
#ifndef BARRAGE_WORKER_EVENT_LOOP_H_
#define BARRAGE_WORKER_EVENT_LOOP_H_

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace barrage {

// Monotonic clock in microseconds (steady; for durations and scheduling).
int64_t MonotonicMicros();
// Wall clock in milliseconds since the Unix epoch (for JTL timeStamps).
int64_t WallMillis();
// Wall clock in microseconds since the Unix epoch.
int64_t WallMicros();

// Receives completed transfers: the easy handle and curl's result code.
class TransferHandler {
 public:
  virtual ~TransferHandler() = default;
  virtual void OnTransferDone(CURL* easy, CURLcode result) = 0;
};

// Receives timer expirations.
class TimerHandler {
 public:
  virtual ~TimerHandler() = default;
  virtual void OnTimer(int64_t now_us, uint64_t token) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts a transfer; `handler` is called once when it completes (or is cancelled).
  // The easy handle's CURLOPT_PRIVATE is set to `handler`.
  void StartTransfer(CURL* easy, TransferHandler* handler);
  // Removes a running transfer; its handler is called with `result` (e.g. a timeout).
  void CancelTransfer(CURL* easy, CURLcode result);

  // Calls handler->OnTimer(now, token) at `at_us` (MonotonicMicros clock) or soon after.
  // Timers cannot be cancelled: handlers ignore stale tokens.
  void AddTimer(int64_t at_us, TimerHandler* handler, uint64_t token);

  // Runs until `stop` is set and no work is pending, or until Quit(). `idle` is called
  // after each batch of events (used to flush per-loop buffers).
  void Run(const std::function<bool()>& should_exit, const std::function<void()>& after_events);
  // Thread-safe: wakes the loop from epoll_wait (e.g. after setting a stop flag).
  void Wake();

  size_t running_transfers() const { return running_; }
  size_t pending_timers() const { return timers_.size(); }

 private:
  struct Timer {
    int64_t at_us;
    uint64_t seq;
    TimerHandler* handler;
    uint64_t token;
    bool operator>(const Timer& o) const { return at_us != o.at_us ? at_us > o.at_us : seq > o.seq; }
  };

  static int OnCurlSocket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* userp);
  void CheckCompleted();
  void RunDueTimers(int64_t now_us);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  int64_t curl_deadline_us_ = -1;  // -1: no curl timeout pending
  std::vector<Timer> timers_;      // min-heap on (at_us, seq)
  uint64_t timer_seq_ = 0;
  size_t running_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_EVENT_LOOP_H_
