// HostCache: the fast path's name resolution (worker/host_cache.h): libcurl's own answer for
// localhost, /etc/hosts, a DNS server on loopback, the JVM's cache times, lookups in flight
// asked once, and cancelled waiters.
#include "worker/host_cache.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "tests/fixture/dns_responder.h"
#include "worker/event_loop.h"

namespace barrage {
namespace {

std::string Text(const AddressList& list) {
  if (!list) return "null";
  std::string out;
  char buf[INET6_ADDRSTRLEN];
  for (const sockaddr_storage& a : *list) {
    if (!out.empty()) out += ',';
    const void* p = a.ss_family == AF_INET6
                        ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr)
                        : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&a)->sin_addr);
    out += inet_ntop(a.ss_family, p, buf, sizeof buf);
  }
  return out;
}

struct Waiter final : HostWaiter {
  void OnHostResolved(uint64_t token, const AddressList& addresses) override {
    answers.push_back(std::to_string(token) + "=" + Text(addresses));
  }
  std::vector<std::string> answers;
};

// A name /etc/hosts maps to 127.0.0.1 other than localhost ("" when there is none).
std::string EtcHostsName() {
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string address, name;
    if (!(words >> address) || address != "127.0.0.1") continue;
    while (words >> name) {
      if (name != "localhost" && name.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos) return name;
    }
  }
  return "";
}

TEST(AddressListTest, ParsesLiteralsWithThePort) {
  AddressList list = ParseAddressList("127.0.0.2,[::1],10.0.0.1", 8080);
  EXPECT_EQ(Text(list), "127.0.0.2,::1,10.0.0.1");
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&(*list)[0])->sin_port), 8080);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&(*list)[1])->sin6_port), 8080);
  EXPECT_EQ(AddressLength((*list)[1]), sizeof(sockaddr_in6));
  EXPECT_EQ(ParseAddressList("127.0.0.1,shop.test", 80), nullptr);
  EXPECT_EQ(ParseAddressList("", 80), nullptr);
}

TEST(HostCacheTest, LocalhostIsLibcurlsOwnAnswerWithoutALookup) {
  EventLoop loop;
  HostCache cache(&loop, "f");
  Waiter w;
  AddressList out;
  ASSERT_TRUE(cache.Lookup("localhost", 0, &w, 1, &out));
  EXPECT_EQ(Text(out), "127.0.0.1,::1");
  ASSERT_TRUE(cache.Lookup("api.localhost", 0, &w, 2, &out));
  EXPECT_EQ(Text(out), "127.0.0.1,::1");
  EXPECT_EQ(cache.lookups_started(), 0);
}

// The JVM's negative cache: a failure is kept 10 s, then asked again.
TEST(HostCacheTest, AnUnknownNameIsKeptTenSeconds) {
  EventLoop loop;
  HostCache cache(&loop, "f");  // /etc/hosts only: answered at once
  Waiter w;
  AddressList out = ParseAddressList("127.0.0.1", 0);
  ASSERT_TRUE(cache.Lookup("nonexistent.invalid", 1'000, &w, 1, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(cache.lookups_started(), 1);
  ASSERT_TRUE(cache.Lookup("nonexistent.invalid", 1'000 + HostCache::kNegativeTtlUs - 1, &w, 2, &out));
  EXPECT_EQ(cache.lookups_started(), 1);
  ASSERT_TRUE(cache.Lookup("nonexistent.invalid", 1'000 + HostCache::kNegativeTtlUs, &w, 3, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(cache.lookups_started(), 2);
  EXPECT_TRUE(w.answers.empty());
}

// /etc/hosts is read (lookups "fb" in production) and an answer is kept 30 s.
TEST(HostCacheTest, EtcHostsNamesAreAnsweredAtOnceAndKeptThirtySeconds) {
  std::string name = EtcHostsName();
  if (name.empty()) GTEST_SKIP() << "no name for 127.0.0.1 in /etc/hosts";
  EventLoop loop;
  HostCache cache(&loop, "f");
  Waiter w;
  AddressList out;
  ASSERT_TRUE(cache.Lookup(name, 5'000, &w, 1, &out));
  EXPECT_EQ(Text(out).rfind("127.0.0.1", 0), 0u) << Text(out);
  ASSERT_TRUE(cache.Lookup(name, 5'000 + HostCache::kPositiveTtlUs - 1, &w, 2, &out));
  EXPECT_EQ(cache.lookups_started(), 1);
  ASSERT_TRUE(cache.Lookup(name, 5'000 + HostCache::kPositiveTtlUs, &w, 3, &out));
  EXPECT_EQ(cache.lookups_started(), 2);
  EXPECT_TRUE(w.answers.empty());
}

// Asynchronous lookups on the loop: waiters of a name in flight share one query; a
// cancelled waiter hears nothing; the answer serves later lookups from the cache.
TEST(HostCacheTest, LookupsInFlightAreAskedOnceAndCancelledWaitersHearNothing) {
  auto started = fixture::DnsResponder::Start({"127.0.0.1", 0, {{"shop.test", {"127.0.0.7"}}, {"gone.test", {}}}});
  ASSERT_TRUE(started.ok()) << started.status().message();
  std::unique_ptr<fixture::DnsResponder> dns = std::move(started).value();
  EventLoop loop;
  HostCache cache(&loop, "b", {dns->server()});
  Waiter a, b, c;
  AddressList out;
  int64_t now = MonotonicMicros();
  EXPECT_FALSE(cache.Lookup("shop.test", now, &a, 1, &out));
  EXPECT_FALSE(cache.Lookup("shop.test", now, &b, 2, &out));
  EXPECT_FALSE(cache.Lookup("shop.test", now, &c, 3, &out));
  EXPECT_FALSE(cache.Lookup("gone.test", now, &a, 4, &out));
  cache.Cancel(&b);
  int64_t deadline = MonotonicMicros() + 10'000'000;
  loop.Run([&] { return a.answers.size() == 2 || MonotonicMicros() > deadline; }, nullptr);
  std::sort(a.answers.begin(), a.answers.end());
  EXPECT_EQ(a.answers, (std::vector<std::string>{"1=127.0.0.7", "4=null"}));
  EXPECT_TRUE(b.answers.empty());
  EXPECT_EQ(c.answers, (std::vector<std::string>{"3=127.0.0.7"}));
  EXPECT_EQ(cache.lookups_started(), 2);
  EXPECT_EQ(dns->queries(), (std::map<std::string, int>{{"gone.test", 1}, {"shop.test", 1}}));
  ASSERT_TRUE(cache.Lookup("shop.test", MonotonicMicros(), &b, 5, &out));
  EXPECT_EQ(Text(out), "127.0.0.7");
  EXPECT_EQ(cache.lookups_started(), 2);
}

}  // namespace
}  // namespace barrage
