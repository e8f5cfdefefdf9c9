// Host names on the HTTP/1.1 fast path (issue 12): one cache of resolved names per event
// loop, resolved asynchronously on the loop with c-ares (worker/dns_resolver.h, the system's
// configuration with /etc/hosts first: lookups "fb").
//
// Caching follows JMeter's default resolution (HC4's SystemDefaultDnsResolver, i.e. the JVM's
// InetAddress cache): an answer is kept 30 s (networkaddress.cache.ttl's default without a
// security manager), a failure 10 s (networkaddress.cache.negative.ttl). The JVM's cache is
// per process; this one is per event loop (no lock on the request path), so each loop asks
// once. Lookups of one name in flight at the same time are asked once.
//
// "localhost" and names ending in ".localhost" are not asked: they are 127.0.0.1 then ::1,
// as libcurl 7.88 (the libcurl path) answers them itself; addresses are tried in that order
// when connecting fails (Http1Connection).
//
// Loop thread only; not thread-safe.
#ifndef BARRAGE_WORKER_HOST_CACHE_H_
#define BARRAGE_WORKER_HOST_CACHE_H_

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "worker/dns_resolver.h"
#include "worker/event_loop.h"

namespace barrage {

// A name's addresses in the order they are tried (port 0; the caller sets it).
using AddressList = std::shared_ptr<const std::vector<sockaddr_storage>>;

// Parses "a,b" (IPv4 and IPv6 literals) into addresses with `port`; null when one is not an
// address or there is none.
AddressList ParseAddressList(std::string_view csv, uint16_t port);
socklen_t AddressLength(const sockaddr_storage& address);

class HostWaiter {
 public:
  // `addresses` null: the name did not resolve.
  virtual void OnHostResolved(uint64_t token, const AddressList& addresses) = 0;

 protected:
  ~HostWaiter() = default;
};

class HostCache final : private DnsWaiter {
 public:
  static constexpr int64_t kPositiveTtlUs = 30'000'000;
  static constexpr int64_t kNegativeTtlUs = 10'000'000;

  // `lookups` and `servers` as DnsResolver::CreateSystem's (tests: "f", /etc/hosts only, or
  // "b" with a loopback DNS server).
  explicit HostCache(EventLoop* loop, std::string lookups = "fb", std::vector<std::string> servers = {})
      : loop_(loop), lookups_(std::move(lookups)), servers_(std::move(servers)) {}
  HostCache(const HostCache&) = delete;
  HostCache& operator=(const HostCache&) = delete;

  // Answers `host` (lower case, as in the URL) at `now_us` (MonotonicMicros): true when the
  // answer is known now (`*out` set; null = did not resolve), else false and
  // waiter->OnHostResolved(token, ...) is called later, unless Cancel(waiter) comes first.
  bool Lookup(const std::string& host, int64_t now_us, HostWaiter* waiter, uint64_t token, AddressList* out);
  // Forgets `waiter`'s pending lookups.
  void Cancel(HostWaiter* waiter);
  // Lookups asked of c-ares so far (tests).
  int lookups_started() const { return lookups_started_; }

 private:
  struct Entry {
    AddressList addresses;  // null: failed
    int64_t expires_us = 0;
    bool pending = false;
    uint64_t query = 0;  // the DnsResolver token of the pending lookup
    std::vector<std::pair<HostWaiter*, uint64_t>> waiters;
  };
  void OnResolved(uint64_t token, bool ok, const std::string& result) override;

  EventLoop* loop_;
  std::string lookups_;
  std::vector<std::string> servers_;
  AddressList localhost_;  // per cache: loops never share a reference count
  std::unique_ptr<DnsResolver> resolver_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<uint64_t, std::string> queries_;  // pending lookup token -> host
  uint64_t next_query_ = 0;
  uint64_t answering_ = 0;  // the query whose answer may come inside Lookup
  int lookups_started_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_HOST_CACHE_H_
