#include "worker/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <sys/epoll.h>

#include <mutex>

#include "common/clock.h"

namespace barrage {

void DnsResolver::Watch::OnSocketEvent(uint32_t events) {
  bool readable = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
  bool writable = (events & EPOLLOUT) != 0;
  resolver->Process(readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
}

std::unique_ptr<DnsResolver> DnsResolver::Create(EventLoop* loop, const std::vector<std::string>& servers,
                                                 std::string* error) {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  std::unique_ptr<DnsResolver> r(new DnsResolver(loop));
  ares_options options{};
  options.sock_state_cb = &DnsResolver::OnSocketState;
  options.sock_state_cb_data = r.get();
  char lookups[] = "b";  // DNS only: no /etc/hosts
  options.lookups = lookups;
  options.timeout = 2000;  // ms per try, as dnsjava's default order of magnitude
  options.tries = 2;
  // JMeter's ExtendedResolver balances the servers round robin: ARES_OPT_ROTATE.
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
             ARES_OPT_ROTATE;
  options.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  int rc = ares_init_options(&r->channel_, &options, mask);
  if (rc != ARES_SUCCESS) {
    *error = std::string("c-ares: ") + ares_strerror(rc);
    return nullptr;
  }
  if (!r->SetServers(servers, error)) return nullptr;
  return r;
}

std::unique_ptr<DnsResolver> DnsResolver::CreateSystem(EventLoop* loop, const std::string& lookups,
                                                       const std::vector<std::string>& servers, std::string* error) {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  std::unique_ptr<DnsResolver> r(new DnsResolver(loop));
  ares_options options{};
  options.sock_state_cb = &DnsResolver::OnSocketState;
  options.sock_state_cb_data = r.get();
  std::string lookups_z = lookups;
  options.lookups = lookups_z.data();
  options.timeout = 5000;  // glibc's resolver: 5 s per try, 2 tries (RES_TIMEOUT, RES_DFLRETRY)
  options.tries = 2;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int rc = ares_init_options(&r->channel_, &options, mask);
  if (rc != ARES_SUCCESS) {
    *error = std::string("c-ares: ") + ares_strerror(rc);
    return nullptr;
  }
  if (!servers.empty() && !r->SetServers(servers, error)) return nullptr;
  return r;
}

bool DnsResolver::SetServers(const std::vector<std::string>& servers, std::string* error) {
  std::string csv;
  for (const std::string& s : servers) {
    if (!csv.empty()) csv += ',';
    csv += s;
  }
  int rc = ares_set_servers_ports_csv(channel_, csv.c_str());
  if (rc != ARES_SUCCESS) {
    *error = "DNS servers '" + csv + "': " + ares_strerror(rc);
    return false;
  }
  return true;
}

DnsResolver::~DnsResolver() {
  if (channel_ != nullptr) ares_destroy(channel_);  // pending queries end with ARES_EDESTRUCTION
  for (auto& [fd, w] : watches_) loop_->RemoveSocket(fd);
}

void DnsResolver::Resolve(const std::string& host, DnsWaiter* waiter, uint64_t token) {
  ++pending_;
  // An A query for `host` as written, also when it is an address: dnsjava's Lookup (JMeter's
  // custom resolver) asks the servers for "127.0.0.1" as a name; ares_gethostbyname would
  // answer an address itself.
  ares_query(
      channel_, host.c_str(), C_IN, T_A,
      [](void* arg, int status, int, unsigned char* answer, int length) {
        std::unique_ptr<Query> q = Ended(arg);
        if (!q || status == ARES_EDESTRUCTION) return;
        ares_addrttl records[32];
        int count = static_cast<int>(sizeof records / sizeof records[0]);
        if (status == ARES_SUCCESS) status = ares_parse_a_reply(answer, length, nullptr, records, &count);
        if (status != ARES_SUCCESS || count == 0) {
          q->waiter->OnResolved(q->token, false, ares_strerror(status == ARES_SUCCESS ? ARES_ENODATA : status));
          return;
        }
        std::string addresses;
        char text[INET_ADDRSTRLEN];
        for (int i = 0; i < count; ++i) {
          if (inet_ntop(AF_INET, &records[i].ipaddr, text, sizeof text) == nullptr) continue;
          if (!addresses.empty()) addresses += ',';
          addresses += text;
        }
        q->waiter->OnResolved(q->token, true, addresses);
      },
      *queries_.insert(new Query{this, waiter, token}).first);
  ArmTimer();
}

void DnsResolver::ResolveAddresses(const std::string& host, DnsWaiter* waiter, uint64_t token) {
  ++pending_;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(
      channel_, host.c_str(), nullptr, &hints,
      [](void* arg, int status, int, ares_addrinfo* result) {
        std::unique_ptr<Query> q = Ended(arg);
        if (!q || status == ARES_EDESTRUCTION) {
          if (result) ares_freeaddrinfo(result);
          return;
        }
        std::string addresses;
        if (status == ARES_SUCCESS && result != nullptr) {
          char text[INET6_ADDRSTRLEN];
          for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
            const void* a = nullptr;
            if (n->ai_family == AF_INET) a = &reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr;
            if (n->ai_family == AF_INET6) a = &reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_addr;
            if (a == nullptr || inet_ntop(n->ai_family, a, text, sizeof text) == nullptr) continue;
            if (!addresses.empty()) addresses += ',';
            addresses += text;
          }
        }
        if (result) ares_freeaddrinfo(result);
        if (addresses.empty()) {
          q->waiter->OnResolved(q->token, false, ares_strerror(status == ARES_SUCCESS ? ARES_ENODATA : status));
          return;
        }
        q->waiter->OnResolved(q->token, true, addresses);
      },
      *queries_.insert(new Query{this, waiter, token}).first);
  ArmTimer();
}

std::unique_ptr<DnsResolver::Query> DnsResolver::Ended(void* arg) {
  std::unique_ptr<Query> q(static_cast<Query*>(arg));
  --q->resolver->pending_;
  q->resolver->queries_.erase(q.get());
  if (q->waiter == nullptr) return nullptr;
  return q;
}

void DnsResolver::Cancel(const DnsWaiter* waiter) {
  for (Query* q : queries_) {
    if (q->waiter == waiter) q->waiter = nullptr;
  }
}

void DnsResolver::OnSocketState(void* data, int fd, int readable, int writable) {
  auto* r = static_cast<DnsResolver*>(data);
  // A Watch is kept for the resolver's life (the loop may still hold an event for it in the
  // batch it is dispatching); an event for a socket c-ares closed is ignored by c-ares.
  std::unique_ptr<Watch>& w = r->watches_[fd];
  if (w) r->loop_->RemoveSocket(fd);
  if (!readable && !writable) return;
  if (!w) w = std::make_unique<Watch>(r, fd);
  r->loop_->AddSocket(fd, (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u), w.get());
}

void DnsResolver::Process(int read_fd, int write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  ArmTimer();
}

void DnsResolver::ArmTimer() {
  if (pending_ == 0) return;
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) return;
  loop_->AddTimer(MonotonicMicros() + tv.tv_sec * 1000000 + tv.tv_usec, this, ++timer_token_);
}

void DnsResolver::OnTimer(int64_t, uint64_t token) {
  if (token != timer_token_) return;
  Process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

}  // namespace barrage
