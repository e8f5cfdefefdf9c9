#include "controller/live_sender.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace barrage {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

LiveSender::LiveSender(Transport transport, LiveSenderOptions options)
    : transport_(std::move(transport)), options_(options) {
  options_.capacity = std::max<size_t>(options_.capacity, 1);
  options_.batch_max = std::max<size_t>(options_.batch_max, 1);
  thread_ = std::thread([this] { Loop(); });
}

LiveSender::~LiveSender() { Close(0); }

void LiveSender::Send(std::vector<std::string> lines) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_) return;
  for (std::string& line : lines) {
    if (queue_.size() >= options_.capacity) {
      queue_.pop_front();
      ++counters_.dropped;
    }
    queue_.push_back({next_seq_++, std::move(line)});
  }
  cv_.notify_all();
}

void LiveSender::Close(int64_t wait_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) {
      // Already closing (or closed): only the join below is left to the first caller.
      if (!thread_.joinable()) return;
    }
    closing_ = true;
    close_deadline_ms_ = SteadyMs() + std::max<int64_t>(wait_ms, 0);
    cv_.notify_all();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

LiveSender::Counters LiveSender::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void LiveSender::Loop() {
  int64_t backoff = options_.backoff_initial_ms;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (queue_.empty()) break;  // closing, nothing left
    int64_t timeout_ms = 0;     // the transport's own limit
    if (closing_) {
      timeout_ms = close_deadline_ms_ - SteadyMs();
      if (timeout_ms <= 0) break;
    }
    const size_t n = std::min(queue_.size(), options_.batch_max);
    const uint64_t last_seq = queue_[n - 1].seq;
    std::string body;
    for (size_t i = 0; i < n; ++i) {
      body += queue_[i].text;
      body += '\n';
    }
    lock.unlock();
    Status s = transport_(body, timeout_ms);
    lock.lock();
    if (s.ok() || s.code() == Status::Code::kInvalidArgument) {
      uint64_t taken = 0;
      while (!queue_.empty() && queue_.front().seq <= last_seq) {
        queue_.pop_front();
        ++taken;
      }
      counters_.answered = true;
      if (s.ok()) {
        counters_.sent += taken;
        ++counters_.batches;
      } else {
        counters_.dropped += taken;
        ++counters_.failures;
        counters_.last_error = s.message();
      }
      backoff = options_.backoff_initial_ms;
      continue;
    }
    ++counters_.failures;
    counters_.last_error = s.message();
    // Wait out the backoff; Close shortens it to its deadline.
    const int64_t retry_at = SteadyMs() + backoff;
    backoff = std::min(backoff * 2, options_.backoff_max_ms);
    while (true) {
      int64_t until = closing_ ? std::min(retry_at, close_deadline_ms_) : retry_at;
      int64_t left = until - SteadyMs();
      if (left <= 0) break;
      const bool was_closing = closing_;
      cv_.wait_for(lock, std::chrono::milliseconds(left), [&] { return closing_ != was_closing; });
    }
  }
  counters_.dropped += queue_.size();
  queue_.clear();
}

}  // namespace barrage
