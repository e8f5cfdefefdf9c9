// The HTTP managers' pure parts: which authorization row applies, the cache's entries,
// expiry and eviction, and what they change on a request.
#include "worker/http_managers.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // wall clock of the tests, ms

TEST(MatchAuthorizationTest, FirstPrefixWins) {
  std::vector<std::string> rows = {"http://h:8080/admin", "http://h:8080/", "http://h:8080/admin/x"};
  EXPECT_EQ(MatchAuthorization(rows, "http://h:8080/admin/x?y=1"), 0u);
  EXPECT_EQ(MatchAuthorization(rows, "http://h:8080/public"), 1u);
  EXPECT_EQ(MatchAuthorization(rows, "http://other:8080/admin"), std::nullopt);
}

TEST(MatchAuthorizationTest, EmptyUrlMatchesEverything) {
  EXPECT_EQ(MatchAuthorization({""}, "https://a.example/x"), 0u);
}

TEST(MatchAuthorizationTest, DefaultPortAddedOrRemoved) {
  // JMeter also tries the URL with the default port added, or removed when given.
  EXPECT_EQ(MatchAuthorization({"http://h:80/a"}, "http://h/a/b"), 0u);
  EXPECT_EQ(MatchAuthorization({"https://h/a"}, "https://h:443/a/b"), 0u);
  EXPECT_EQ(MatchAuthorization({"http://h:81/a"}, "http://h/a/b"), std::nullopt);
}

TEST(MatchAuthorizationTest, OnlyHttpAndHttps) { EXPECT_EQ(MatchAuthorization({""}, "ftp://h/a"), std::nullopt); }

std::string Headers(const std::string& lines) { return "HTTP/1.1 200 OK\r\n" + lines; }

TEST(HttpCacheTest, StoresLastModifiedAndEtagOfGet2xx) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200", Headers("Last-Modified: X\r\nETag: \"e1\"\r\n"), false, kNow);
  const HttpCache::Entry* e = cache.Find("http://h/a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->last_modified, "X");
  EXPECT_EQ(e->etag, "\"e1\"");
  EXPECT_FALSE(e->expires_ms.has_value());
  EXPECT_FALSE(cache.IsFresh("http://h/a", kNow));
}

TEST(HttpCacheTest, IgnoresOtherMethodsAndCodes) {
  HttpCache cache(10);
  cache.Save("POST", "http://h/a", "200", Headers("ETag: a\r\n"), false, kNow);
  cache.Save("GET", "http://h/b", "304", Headers("ETag: a\r\n"), false, kNow);
  cache.Save("GET", "http://h/c", "Non HTTP response code: java.net.ConnectException", "", false, kNow);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(HttpCacheTest, ConditionalHeadersReplaceThePlans) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200", Headers("Last-Modified: LM\r\nETag: E\r\n"), false, kNow);
  HttpRequest r;
  r.url = "http://h/a";
  r.headers = {"if-none-match: old", "X: 1"};
  cache.AddConditionalHeaders(&r);
  EXPECT_EQ(r.headers, (std::vector<std::string>{"X: 1", "If-Modified-Since: LM", "If-None-Match: E"}));
}

TEST(HttpCacheTest, MaxAgeWinsOverExpires) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200",
             Headers("Cache-Control: public, max-age=30\r\nExpires: Thu, 01 Jan 2015 00:00:00 GMT\r\n"), true, kNow);
  EXPECT_EQ(cache.Find("http://h/a")->expires_ms, kNow + 30000);
  EXPECT_TRUE(cache.IsFresh("http://h/a", kNow + 29999));
  EXPECT_FALSE(cache.IsFresh("http://h/a", kNow + 30000));
}

TEST(HttpCacheTest, ExpiresHeaderWhenNoCacheControl) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200", Headers("Expires: Thu, 01 Jan 2099 00:00:00 GMT\r\n"), true, kNow);
  EXPECT_EQ(cache.Find("http://h/a")->expires_ms, 4070908800000);
  cache.Save("GET", "http://h/b", "200", Headers("Expires: not a date\r\n"), true, kNow);
  EXPECT_EQ(cache.Find("http://h/b")->expires_ms, 0);  // invalid dates are expired
}

TEST(HttpCacheTest, NoStoreStoresNothingAndNoCacheRevalidates) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200", Headers("Cache-Control: no-store\r\nETag: E\r\n"), true, kNow);
  EXPECT_EQ(cache.Find("http://h/a"), nullptr);
  cache.Save("GET", "http://h/b", "200", Headers("Cache-Control: no-cache, max-age=60\r\nETag: E\r\n"), true, kNow);
  ASSERT_NE(cache.Find("http://h/b"), nullptr);
  EXPECT_FALSE(cache.Find("http://h/b")->expires_ms.has_value());
}

TEST(HttpCacheTest, HeuristicExpiryFromDateAndLastModified) {
  HttpCache cache(10);
  // Date - Last-Modified = 10 days: fresh for a tenth of it, 1 day.
  cache.Save("GET", "http://h/a", "200",
             Headers("Cache-Control: public\r\nDate: Sun, 11 Jan 2015 00:00:00 GMT\r\n"
                     "Last-Modified: Thu, 01 Jan 2015 00:00:00 GMT\r\n"),
             true, kNow);
  EXPECT_EQ(cache.Find("http://h/a")->expires_ms, kNow + 86400000);
  // Neither max-age nor Expires nor the two dates: a year.
  cache.Save("GET", "http://h/b", "200", Headers("Cache-Control: public\r\n"), true, kNow);
  EXPECT_EQ(cache.Find("http://h/b")->expires_ms, kNow + 365LL * 86400000);
}

TEST(HttpCacheTest, WithoutUseExpiresNothingIsFresh) {
  HttpCache cache(10);
  cache.Save("GET", "http://h/a", "200", Headers("Cache-Control: max-age=60\r\n"), false, kNow);
  EXPECT_FALSE(cache.IsFresh("http://h/a", kNow));
}

TEST(HttpCacheTest, EvictsTheLeastRecentlyUsed) {
  HttpCache cache(2);
  cache.Save("GET", "http://h/1", "200", Headers("ETag: 1\r\n"), false, kNow);
  cache.Save("GET", "http://h/2", "200", Headers("ETag: 2\r\n"), false, kNow);
  EXPECT_FALSE(cache.IsFresh("http://h/1", kNow));  // a use: /2 is now the oldest
  cache.Save("GET", "http://h/3", "200", Headers("ETag: 3\r\n"), false, kNow);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find("http://h/1"), nullptr);
  EXPECT_EQ(cache.Find("http://h/2"), nullptr);
  EXPECT_NE(cache.Find("http://h/3"), nullptr);
}

// --- HttpManagerState on requests -----------------------------------------------------

struct Managers {
  AuthManager auth{ElementKind::kAuthManager};
  CacheManager cache{ElementKind::kCacheManager};
  DnsCacheManager dns{ElementKind::kDnsCacheManager};
};

Authorization Row(const std::string& url, Authorization::Mechanism m) {
  Authorization a;
  a.url = Value::Of(url);
  a.username = Value::Of("${user}");
  a.password = Value::Of("pw");
  a.mechanism = m;
  return a;
}

class HttpManagerStateTest : public ::testing::Test {
 protected:
  HttpManagerStateTest() {
    ctx_.run = &run_;
    ctx_.vars.Put("user", "ann");
    request_.method = "GET";
    request_.url = "http://127.0.0.1:8080/x";
  }
  RunContext run_;
  ThreadContext ctx_;
  Managers m_;
  HttpRequest request_;
  HttpManagerState state_;
};

TEST_F(HttpManagerStateTest, BasicRowAddsThePreemptiveHeader) {
  m_.auth.entries.push_back(Row("http://127.0.0.1:8080/", Authorization::Mechanism::kBasic));
  HttpManagers managers;
  managers.auth = &m_.auth;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.headers, std::vector<std::string>{"Authorization: Basic YW5uOnB3"});
  EXPECT_EQ(request_.http_auth, 0);
}

TEST_F(HttpManagerStateTest, PlansOwnAuthorizationHeaderWins) {
  m_.auth.entries.push_back(Row("", Authorization::Mechanism::kBasic));
  request_.headers = {"authorization: Bearer t"};
  HttpManagers managers;
  managers.auth = &m_.auth;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.headers, std::vector<std::string>{"authorization: Bearer t"});
}

TEST_F(HttpManagerStateTest, DigestRowsAnswerTheChallenge) {
  m_.auth.entries.push_back(Row("http://elsewhere/", Authorization::Mechanism::kBasic));
  m_.auth.entries.push_back(Row("", Authorization::Mechanism::kDigest));
  HttpManagers managers;
  managers.auth = &m_.auth;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_TRUE(request_.headers.empty());
  EXPECT_EQ(request_.http_auth, static_cast<long>(CURLAUTH_DIGEST));
  EXPECT_EQ(request_.auth_user, "ann");
  EXPECT_EQ(request_.auth_password, "pw");
}

TEST_F(HttpManagerStateTest, BasicDigestRowsAnswerEitherChallenge) {
  m_.auth.entries.push_back(Row("", Authorization::Mechanism::kBasicDigest));
  HttpManagers managers;
  managers.auth = &m_.auth;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.http_auth, static_cast<long>(CURLAUTH_BASIC | CURLAUTH_DIGEST));
}

TEST_F(HttpManagerStateTest, FreshEntryIsNotRequestedUntilClearedEachIteration) {
  m_.cache.use_expires = true;
  m_.cache.clear_each_iteration = true;
  HttpManagers managers;
  managers.cache = &m_.cache;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  SampleResult result;
  result.method = "GET";
  result.sample.url = request_.url;
  result.sample.response_code = "200";
  result.response_headers = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\n\r\n";
  state_.AfterResponse(managers, result, kNow);
  EXPECT_FALSE(state_.BeforeRequest(managers, ctx_, &request_, kNow + 1000));
  state_.OnThreadGroupIteration();
  EXPECT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow + 1000));
}

TEST_F(HttpManagerStateTest, StaticHostBecomesAResolveEntry) {
  m_.dns.hosts.push_back({"Shop.Test", "127.0.0.1, ::1"});
  HttpManagers managers;
  managers.dns = &m_.dns;
  request_.url = "http://shop.test/cart";
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.resolve, "shop.test:80:127.0.0.1,[::1]");
  EXPECT_EQ(request_.dns_cache_timeout_s, -1);
  request_.url = "https://other.test:8443/";
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.resolve, "");
}

TEST_F(HttpManagerStateTest, DnsClearEachIterationResolvesAgainOnce) {
  m_.dns.clear_each_iteration = true;
  HttpManagers managers;
  managers.dns = &m_.dns;
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  state_.OnThreadGroupIteration();
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.dns_cache_timeout_s, 0);
  ASSERT_TRUE(state_.BeforeRequest(managers, ctx_, &request_, kNow));
  EXPECT_EQ(request_.dns_cache_timeout_s, -1);
}

// ---- DNS Cache Manager with custom servers: what a user looks up (JMeter 2.13's
// DNSCacheManager.resolve: a per-thread map keyed by the host string, every host asked) ----

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

TEST(HttpManagerStateDnsTest, TheCacheIsKeyedByTheHostAsWritten) {
  DnsCacheManager dns(ElementKind::kDnsCacheManager);
  dns.custom_resolver = true;
  dns.servers = {"127.0.0.153"};
  HttpManagers m;
  m.dns = &dns;
  HttpManagerState state;
  EXPECT_EQ(state.HostToResolve(m, Get("http://shop.test:8080/a")), "shop.test");
  state.SaveResolution(&dns, "shop.test", "127.0.0.1");
  EXPECT_EQ(state.HostToResolve(m, Get("http://shop.test:8080/b")), std::nullopt);
  EXPECT_EQ(state.HostToResolve(m, Get("http://SHOP.test:8080/a")), "SHOP.test");
}

TEST(HttpManagerStateDnsTest, AnAddressIsLookedUpLikeAName) {
  DnsCacheManager dns(ElementKind::kDnsCacheManager);
  dns.custom_resolver = true;
  dns.servers = {"127.0.0.153"};
  HttpManagers m;
  m.dns = &dns;
  HttpManagerState state;
  EXPECT_EQ(state.HostToResolve(m, Get("http://127.0.0.1:8080/a")), "127.0.0.1");
}

}  // namespace
}  // namespace barrage
