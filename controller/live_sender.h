// A bounded, asynchronous sender of text lines for the live metrics sinks
// (controller/live_metrics.h): InfluxDB's line protocol over HTTP, Graphite's plaintext
// protocol over TCP. The sink hands lines to Send, which never blocks on the network; a
// thread of the sender's own takes them in batches and hands each batch to the transport.
//
// Queue: at most `capacity` lines wait. When a Send would go over, the OLDEST waiting lines
// are dropped (and counted): the newest metrics are the ones a live dashboard shows, and
// the end-of-test annotation comes last.
// Transport outcome: Ok = the batch's lines are sent; kInvalidArgument = the destination
// refused them for good (InfluxDB's 4xx): dropped, not retried; anything else (no
// connection, a timeout, a 5xx): the batch stays first in the queue and is tried again
// after a backoff that doubles from backoff_initial_ms to backoff_max_ms (reset by a
// success). Lines dropped while their batch was being tried count as dropped, not sent.
//
// Threads: Send, counters() and Close may be called from any thread; the transport runs
// only on the sender's thread (one call at a time). Close(wait_ms) stops taking lines,
// keeps sending what waits for at most wait_ms (the transport is told the time left), then
// counts what is left as dropped and joins the thread. The destructor closes with no wait.
#ifndef BARRAGE_CONTROLLER_LIVE_SENDER_H_
#define BARRAGE_CONTROLLER_LIVE_SENDER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace barrage {

struct LiveSenderOptions {
  size_t capacity = 5000;   // lines waiting at most
  size_t batch_max = 5000;  // lines per transport call at most
  int64_t backoff_initial_ms = 250;
  int64_t backoff_max_ms = 5000;
};

class LiveSender {
 public:
  // `body` is the batch's lines, each followed by '\n'; `timeout_ms` the time the call may
  // take (the transport's own limit, or less while closing).
  using Transport = std::function<Status(const std::string& body, int64_t timeout_ms)>;

  LiveSender(Transport transport, LiveSenderOptions options);
  LiveSender(const LiveSender&) = delete;
  LiveSender& operator=(const LiveSender&) = delete;
  ~LiveSender();

  // Queues the lines (dropping the oldest beyond capacity); ignored after Close.
  void Send(std::vector<std::string> lines);
  void Close(int64_t wait_ms);

  struct Counters {
    uint64_t sent = 0;       // lines the destination accepted
    uint64_t dropped = 0;    // lines dropped: queue full, refused, or left at Close
    uint64_t batches = 0;    // transport calls that succeeded
    uint64_t failures = 0;   // transport calls that failed (retried or refused)
    bool answered = false;   // one call got an answer (success or refusal)
    std::string last_error;  // the last failure's message, "" when none
  };
  Counters counters() const;

 private:
  struct Line {
    uint64_t seq;
    std::string text;
  };
  void Loop();

  Transport transport_;
  LiveSenderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Line> queue_;
  uint64_t next_seq_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  int64_t close_deadline_ms_ = 0;  // steady ms
  Counters counters_;
  std::thread thread_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_LIVE_SENDER_H_
