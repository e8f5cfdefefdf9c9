// DNS Cache Manager with custom servers (issue 10): asynchronous A-record lookups against
// the manager's DNS servers with c-ares, on the user's event loop (its sockets and timeouts
// are the loop's; nothing blocks it). As JMeter's custom resolver (dnsjava, Type.A): only
// the listed servers are asked (no /etc/hosts, no search domains), for the host as written
// even when it is an address; a server is an address
// or "host:port" (an extension: dnsjava asks port 53), used in round robin as JMeter's
// ExtendedResolver with load balancing does. Results are cached per user by
// HttpManagerState, not here.
//
// The same machinery resolves host names for the HTTP/1.1 fast path (worker/host_cache.h):
// CreateSystem uses the system's configuration (/etc/resolv.conf, and /etc/hosts with lookups
// "fb") and ResolveAddresses asks for IPv4 and IPv6 addresses as getaddrinfo does.
//
// One DnsResolver per event loop and server list; loop thread only.
#ifndef BARRAGE_WORKER_DNS_RESOLVER_H_
#define BARRAGE_WORKER_DNS_RESOLVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "worker/event_loop.h"

struct ares_channeldata;

namespace barrage {

class DnsWaiter {
 public:
  // `ok`: `result` is the addresses ("a,b"); else the error (c-ares' text).
  virtual void OnResolved(uint64_t token, bool ok, const std::string& result) = 0;

 protected:
  ~DnsWaiter() = default;
};

class DnsResolver final : public TimerHandler {
 public:
  // Fails (nullptr, `error` set) when c-ares cannot be set up or a server is not an address.
  static std::unique_ptr<DnsResolver> Create(EventLoop* loop, const std::vector<std::string>& servers,
                                             std::string* error);
  // The system's resolver configuration; `lookups` as c-ares' ARES_OPT_LOOKUPS ("fb": /etc/hosts,
  // then DNS; "f": /etc/hosts only); `servers` ("" = /etc/resolv.conf's) as Create's.
  static std::unique_ptr<DnsResolver> CreateSystem(EventLoop* loop, const std::string& lookups,
                                                   const std::vector<std::string>& servers, std::string* error);
  ~DnsResolver() override;

  // Looks `host` up; `waiter->OnResolved(token, ...)` is called later on the loop thread.
  void Resolve(const std::string& host, DnsWaiter* waiter, uint64_t token);
  // Looks `host`'s IPv4 and IPv6 addresses up (ares_getaddrinfo, AF_UNSPEC, in its RFC 6724
  // order); the result is "a,b" as for Resolve. May answer before returning (/etc/hosts).
  void ResolveAddresses(const std::string& host, DnsWaiter* waiter, uint64_t token);
  // `waiter` is never called again for the lookups it asked for (it is going away); they
  // run to their end without it.
  void Cancel(const DnsWaiter* waiter);

  void OnTimer(int64_t now_us, uint64_t token) override;

 private:
  struct Watch final : SocketHandler {  // one of c-ares' sockets in the loop
    Watch(DnsResolver* r, int f) : resolver(r), fd(f) {}
    void OnSocketEvent(uint32_t events) override;
    DnsResolver* resolver;
    int fd;
  };
  struct Query {  // one lookup in flight; its waiter null once cancelled
    DnsResolver* resolver;
    DnsWaiter* waiter;
    uint64_t token;
  };
  explicit DnsResolver(EventLoop* loop) : loop_(loop) {}
  // The lookup `arg` (a Query) ended: forgets it; returns it, or nullptr when its waiter
  // cancelled it.
  static std::unique_ptr<Query> Ended(void* arg);
  static void OnSocketState(void* data, int fd, int readable, int writable);
  void Process(int read_fd, int write_fd);
  void ArmTimer();
  bool SetServers(const std::vector<std::string>& servers, std::string* error);

  EventLoop* loop_;
  ares_channeldata* channel_ = nullptr;
  std::unordered_map<int, std::unique_ptr<Watch>> watches_;
  uint64_t timer_token_ = 0;
  int pending_ = 0;
  std::unordered_set<Query*> queries_;  // in flight (owned by c-ares' callbacks)
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_DNS_RESOLVER_H_
