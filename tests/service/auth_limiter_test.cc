#include "service/auth_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/common/fake_clock.h"

namespace barrage {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AuthLimiterTest, TheTenthFailureWithinAMinuteBlocksUntilTheFirstIsAMinuteOld) {
  FakeClock clock;
  AuthLimiter limiter({}, clock);  // defaults: 10 per 60 s
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), std::nullopt) << i;
    limiter.RecordFailure("10.0.0.1");
    clock.Advance(seconds(1));
  }
  // t = 9 s: nine failures (at 0..8 s); the tenth attempt is still allowed.
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), std::nullopt);
  limiter.RecordFailure("10.0.0.1");                     // the tenth, at 9 s
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 51);  // the first (0 s) leaves the window at 60 s
  clock.Advance(milliseconds(50'500));                   // t = 59.5 s
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 1);   // 0.5 s, rounded up
  clock.Advance(milliseconds(500));                      // t = 60 s
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), std::nullopt);
  limiter.RecordFailure("10.0.0.1");  // at 60 s: the oldest now is the one at 1 s
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 1);
  clock.Advance(seconds(1));
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), std::nullopt);
}

TEST(AuthLimiterTest, FailuresOlderThanTheWindowDoNotCount) {
  FakeClock clock;
  AuthLimiter limiter({.max_failures = 3, .window = seconds(10)}, clock);
  limiter.RecordFailure("a");
  limiter.RecordFailure("a");
  clock.Advance(seconds(10));
  limiter.RecordFailure("a");  // the first two are 10 s old: outside the window
  EXPECT_EQ(limiter.RetryAfterSeconds("a"), std::nullopt);
  limiter.RecordFailure("a");
  limiter.RecordFailure("a");  // three within 10 s
  EXPECT_EQ(limiter.RetryAfterSeconds("a"), 10);
}

TEST(AuthLimiterTest, AddressesAreCountedApart) {
  FakeClock clock;
  AuthLimiter limiter({.max_failures = 2, .window = seconds(60)}, clock);
  limiter.RecordFailure("10.0.0.1");
  limiter.RecordFailure("10.0.0.1");
  limiter.RecordFailure("10.0.0.2");
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.1"), 60);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.0.0.2"), std::nullopt);
  EXPECT_EQ(limiter.RetryAfterSeconds("::1"), std::nullopt);
}

TEST(AuthLimiterTest, MemoryIsBoundedTheLeastRecentlyFailingAddressGoesFirst) {
  FakeClock clock;
  AuthLimiter limiter({.max_failures = 1, .window = seconds(60), .max_addresses = 3}, clock);
  for (const char* a : {"a", "b", "c"}) {
    limiter.RecordFailure(a);
    clock.Advance(seconds(1));
  }
  limiter.RecordFailure("a");  // a is now the most recent
  limiter.RecordFailure("d");  // full: b (least recent) is forgotten
  EXPECT_EQ(limiter.tracked_addresses(), 3u);
  EXPECT_EQ(limiter.RetryAfterSeconds("b"), std::nullopt);
  EXPECT_EQ(limiter.RetryAfterSeconds("a"), 60);
  EXPECT_EQ(limiter.RetryAfterSeconds("c"), 59);
  EXPECT_EQ(limiter.RetryAfterSeconds("d"), 60);
}

TEST(AuthLimiterTest, AddressesQuietForAWindowAreSweptAway) {
  FakeClock clock;
  AuthLimiter limiter({.max_failures = 5, .window = seconds(60)}, clock);
  for (int i = 0; i < 1000; ++i)
    limiter.RecordFailure("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  EXPECT_EQ(limiter.tracked_addresses(), 1000u);
  clock.Advance(seconds(60));
  limiter.RecordFailure("10.9.9.9");
  EXPECT_EQ(limiter.tracked_addresses(), 1u);
}

TEST(AuthLimiterTest, ThePerAddressLogHoldsAtMostMaxFailures) {
  FakeClock clock;
  AuthLimiter limiter({.max_failures = 3, .window = seconds(60)}, clock);
  for (int i = 0; i < 100; ++i) {
    limiter.RecordFailure("a");
    clock.Advance(seconds(1));
  }
  // Failures at 97, 98, 99 s remain; now 100 s: free when the one at 97 s is 60 s old.
  EXPECT_EQ(limiter.RetryAfterSeconds("a"), 57);
}

TEST(AuthLimiterTest, The429Body) {
  EXPECT_EQ(AuthLimiter::TooManyBody(42),
            "{\"error\":\"too many failed authentications from this address; retry in 42 s\"}");
}

}  // namespace
}  // namespace barrage
