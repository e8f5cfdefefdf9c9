#include "service/auth_limiter.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace barrage {
namespace {

AuthLimiter::Options Clamp(AuthLimiter::Options o) {
  o.max_failures = std::max(o.max_failures, 1);
  o.window = std::max(o.window, std::chrono::seconds(1));
  o.max_addresses = std::max<size_t>(o.max_addresses, 1);
  return o;
}

}  // namespace

AuthLimiter::AuthLimiter(Options options, const Clock& clock) : options_(Clamp(options)), clock_(clock) {}

std::optional<int64_t> AuthLimiter::RetryAfterSeconds(std::string_view address) {
  const int64_t now = clock_.MonotonicMicros();
  const int64_t window_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.window).count();
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end()) return std::nullopt;
  const std::deque<int64_t>& f = it->second.failures;
  if (static_cast<int>(f.size()) < options_.max_failures) return std::nullopt;
  const int64_t free_at = f.front() + window_us;
  if (free_at <= now) return std::nullopt;
  return (free_at - now + 999'999) / 1'000'000;
}

void AuthLimiter::RecordFailure(std::string_view address) {
  const int64_t now = clock_.MonotonicMicros();
  std::lock_guard lock(mu_);
  SweepLocked(now);
  std::string key(address);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_addresses) {
      entries_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.push_back(key);
    it = entries_.emplace(std::move(key), Entry{{}, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  std::deque<int64_t>& f = it->second.failures;
  f.push_back(now);
  while (static_cast<int>(f.size()) > options_.max_failures) f.pop_front();
}

void AuthLimiter::SweepLocked(int64_t now_us) {
  const int64_t window_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.window).count();
  // lru_ is ordered by latest failure: stop at the first address failing within the window.
  while (!lru_.empty()) {
    auto it = entries_.find(lru_.front());
    if (it->second.failures.back() + window_us > now_us) break;
    entries_.erase(it);
    lru_.pop_front();
  }
}

size_t AuthLimiter::tracked_addresses() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::string AuthLimiter::TooManyBody(int64_t retry_after_seconds) {
  return nlohmann::json{{"error", "too many failed authentications from this address; retry in " +
                                      std::to_string(retry_after_seconds) + " s"}}
      .dump();
}

}  // namespace barrage
