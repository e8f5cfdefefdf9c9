// Rate limiting of failed authentications per client address (issue 13 item 3), against
// guessing tokens through the API of `barrage serve`.
//
// Rule: a sliding window per address. When an address has made `max_failures` failed
// attempts within the last `window`, its further requests get 429 with Retry-After until the
// oldest of those failures is `window` old; then one attempt is allowed, and so on. So an
// address gets at most max_failures guesses per window, at any moment (no burst of 2N across
// a fixed window's edge). Defaults: 10 failures per 60 s.
//
// What counts as a failure is the caller's call: a request that presents a token which
// Authenticate() refuses. A request with no token guesses nothing and does not count; nor
// does one refused while blocked (it was never checked), nor a store error. A success does not
// reset the count: an attacker holding one valid token must not be able to interleave it to
// keep guessing.
//
// Memory is bounded: per address at most max_failures timestamps, and at most
// `max_addresses` addresses; the address whose latest failure is the oldest is forgotten
// first (LRU), and addresses whose latest failure is older than the window are swept as
// failures come in. Forgetting an address can only make the limiter more lenient to it.
//
// Time: the injected clock's monotonic clock (tests move a FakeClock; no sleeps).
// Threads: every method may be called from any thread (one mutex).
#ifndef BARRAGE_SERVICE_AUTH_LIMITER_H_
#define BARRAGE_SERVICE_AUTH_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace barrage {

class AuthLimiter {
 public:
  struct Options {
    int max_failures = 10;            // [server] auth_failures_per_window
    std::chrono::seconds window{60};  // [server] auth_window_s
    size_t max_addresses = 100'000;   // addresses remembered at once
  };

  // `clock` must outlive the limiter. Options with max_failures < 1, a window under 1 s or
  // max_addresses 0 are clamped to 1, 1 s and 1.
  AuthLimiter(Options options, const Clock& clock);

  // Seconds the client at `address` must wait (the Retry-After value, rounded up, at least
  // 1), or nullopt when it may try now. Call before authenticating.
  std::optional<int64_t> RetryAfterSeconds(std::string_view address);

  // Records one failed authentication of `address`, now.
  void RecordFailure(std::string_view address);

  // How many addresses it remembers now (for tests and the service's metrics).
  size_t tracked_addresses() const;

  // The 429 response body: {"error":"too many failed authentications from this address; retry
  // in N s"}.
  static std::string TooManyBody(int64_t retry_after_seconds);

 private:
  struct Entry {
    std::deque<int64_t> failures;          // monotonic µs, oldest first, at most max_failures
    std::list<std::string>::iterator lru;  // position in lru_
  };

  void SweepLocked(int64_t now_us);

  const Options options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // addresses, least recently failed first
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_AUTH_LIMITER_H_
