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
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/clock.h"

namespace barrage {

// Receives completed transfers: the easy handle and curl's result code.
class TransferHandler {
 public:
  virtual ~TransferHandler() = default;
  virtual void OnTransferDone(CURL* easy, CURLcode result) = 0;
};

// Receives readiness events of a socket registered with EventLoop::AddSocket.
class SocketHandler {
 public:
  virtual ~SocketHandler() = default;
  // `events`: the EPOLL* bits epoll reported.
  virtual void OnSocketEvent(uint32_t events) = 0;
};

// Receives timer expirations.
class TimerHandler {
 public:
  virtual ~TimerHandler() = default;
  virtual void OnTimer(int64_t now_us, uint64_t token) = 0;
};

class EventLoop {
 public:
  // Throws std::runtime_error ("event loop setup failed: <call>: <reason>") when epoll, the
  // wake eventfd or the curl multi handle cannot be set up; nothing is leaked then.
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
  // Timers cannot be cancelled one by one: handlers ignore stale tokens.
  void AddTimer(int64_t at_us, TimerHandler* handler, uint64_t token);
  // Removes every queued timer whose handler `gone` names (handlers about to be destroyed:
  // the loop never calls them again); returns how many. O(pending timers): callers batch.
  // Not from inside a timer handler.
  size_t DropTimers(const std::function<bool(const TimerHandler*)>& gone);

  // Registers `fd` (non-blocking, owned by the caller) for `events` (EPOLL* bits, e.g.
  // EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) until it is closed or RemoveSocket is called.
  // Returns false (errno set) when epoll refuses it.
  bool AddSocket(int fd, uint32_t events, SocketHandler* handler);
  void RemoveSocket(int fd);

  // Receive buffer shared by everything on this loop (a response parser consumes what it
  // reads before the next read, so no per-connection buffer is needed).
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }

  // curl's connection sockets are opened and closed through these (CURLOPT_OPENSOCKETFUNCTION
  // and CURLOPT_CLOSESOCKETFUNCTION with the loop as data): the loop keeps such a socket
  // registered in epoll while its connection idles between transfers, so it must see the
  // close. Sockets curl opens otherwise are registered and removed as curl asks.
  static curl_socket_t OnCurlOpenSocket(void* loop, curlsocktype purpose, curl_sockaddr* address);
  static int OnCurlCloseSocket(void* loop, curl_socket_t s);

  // Runs the loop until `should_exit()` returns true. It is asked before every wait, and a
  // wait lasts at most 100 ms (less when a timer or curl's timeout is due sooner), so a flag
  // set by another thread is seen within 100 ms, and at once after Wake(). Each round
  // dispatches ready sockets, curl's due timeout, completed transfers and due timers, then
  // calls `after_events` (may be empty; used to flush per-loop buffers). Run() does not
  // wait for pending transfers or timers: they are still pending when it returns, for the
  // caller to cancel or drop. A handler's exception propagates out of Run().
  void Run(const std::function<bool()>& should_exit, const std::function<void()>& after_events);
  // Thread-safe: wakes the loop from epoll_wait (e.g. after setting its exit flag).
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

  void Release();  // frees the multi handle and closes the descriptors
  static int OnCurlSocket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* userp);
  void CheckCompleted();
  void RunDueTimers(int64_t now_us);
  void OnCurlSocketEvent(curl_socket_t s, uint32_t events);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  CURLM* multi_ = nullptr;
  int64_t curl_deadline_us_ = -1;  // -1: no curl timeout pending
  std::vector<Timer> timers_;      // min-heap on (at_us, seq)
  uint64_t timer_seq_ = 0;
  size_t running_ = 0;
  // Per curl socket (indexed by fd): the epoll events it is registered with (0: not in
  // epoll) and whether curl currently wants events for it. Idle keep-alive sockets stay
  // registered, so reusing them costs no epoll_ctl.
  struct CurlSocket {
    uint32_t registered = 0;
    bool wanted = false;
    bool tracked = false;  // opened and closed through the callbacks above
  };
  CurlSocket& CurlSlot(curl_socket_t s);
  std::vector<CurlSocket> curl_sockets_;
  std::vector<char> read_buffer_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_EVENT_LOOP_H_
