// The jp@gc Inter-Thread Communication queues (FifoMap): named FIFO queues of strings
// shared by every virtual user of an engine. In a cluster each worker has its own, as each
// JMeter JVM has its own in distributed mode. Unbounded (the plugin's FifoCapacity property
// is not read).
//
// Nothing blocks: a Pop on an empty queue queues the user, and a later Put hands its value
// straight to the first user waiting (OnFifoValue); waiting users are served in the order
// they asked. The user's own timeout (a timer on its loop) ends its wait with Cancel.
//
// Thread-safe: users on every event loop call it. OnFifoValue is called from the thread
// that put the value (any loop), with the table's mutex held: it must not call back into
// the table (it only hands the user to its loop).
#ifndef BARRAGE_WORKER_FIFO_QUEUES_H_
#define BARRAGE_WORKER_FIFO_QUEUES_H_

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/functions.h"

namespace barrage {

class FifoWaiter {
 public:
  // The value this waiter's Pop waited for (after Pop returned nullopt). Any thread; must
  // not call the FifoQueues back.
  virtual void OnFifoValue(std::string value) = 0;

 protected:
  ~FifoWaiter() = default;
};

// Also what the __fifoPut, __fifoSize and __fifoGet functions use (RunContext::fifos).
class FifoQueues final : public FifoAccess {
 public:
  // Appends `value` to `queue`, or hands it to the first user waiting there.
  void Put(const std::string& queue, std::string value) override;
  // The first value of `queue`, taken off it. Empty queue: nullopt, and with `who` set the
  // caller waits in line for OnFifoValue (without `who` it does not: TryPop).
  std::optional<std::string> Pop(const std::string& queue, FifoWaiter* who);
  std::optional<std::string> TryPop(const std::string& queue) { return Pop(queue, nullptr); }
  // `who` stops waiting (its timeout, or it stops). True when it was still waiting; false
  // when a value was handed to it already (OnFifoValue was called or is being called).
  bool Cancel(FifoWaiter* who);
  // Values in `queue` (__fifoSize); users waiting do not count.
  size_t size(const std::string& queue) override;
  // The first value, left in the queue (__fifoGet).
  std::optional<std::string> Front(const std::string& queue) override;
  // Users waiting on `queue`; for tests.
  size_t waiting(const std::string& queue);

 private:
  struct Queue {
    std::deque<std::string> values;
    std::deque<FifoWaiter*> waiting;  // only while `values` is empty
  };

  std::mutex mu_;
  std::unordered_map<std::string, Queue> queues_;  // guarded by mu_
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_FIFO_QUEUES_H_
