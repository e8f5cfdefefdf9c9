#include "worker/fifo_queues.h"

#include <algorithm>
#include <utility>

namespace barrage {

// The waiter is told under mu_: a waiter that is being destroyed (and cancels its wait)
// waits for the call to end, so it is never told after it is gone.
void FifoQueues::Put(const std::string& queue, std::string value) {
  std::lock_guard<std::mutex> guard(mu_);
  Queue& q = queues_[queue];
  if (q.waiting.empty()) {
    q.values.push_back(std::move(value));
    return;
  }
  FifoWaiter* next = q.waiting.front();
  q.waiting.pop_front();
  next->OnFifoValue(std::move(value));
}

std::optional<std::string> FifoQueues::Pop(const std::string& queue, FifoWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  Queue& q = queues_[queue];
  if (!q.values.empty()) {
    std::string value = std::move(q.values.front());
    q.values.pop_front();
    return value;
  }
  if (who) q.waiting.push_back(who);
  return std::nullopt;
}

bool FifoQueues::Cancel(FifoWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  bool found = false;
  for (auto& [name, q] : queues_) {
    auto it = std::find(q.waiting.begin(), q.waiting.end(), who);
    if (it == q.waiting.end()) continue;
    q.waiting.erase(it);
    found = true;
  }
  return found;
}

size_t FifoQueues::size(const std::string& queue) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0 : it->second.values.size();
}

std::optional<std::string> FifoQueues::Front(const std::string& queue) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end() || it->second.values.empty()) return std::nullopt;
  return it->second.values.front();
}

size_t FifoQueues::waiting(const std::string& queue) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0 : it->second.waiting.size();
}

}  // namespace barrage
