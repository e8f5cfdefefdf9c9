#include "worker/host_cache.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/clock.h"

namespace barrage {

namespace {

bool IsLocalhost(std::string_view host) {
  constexpr std::string_view kName = "localhost";
  constexpr std::string_view kSuffix = ".localhost";
  return host == kName || (host.size() > kSuffix.size() && host.substr(host.size() - kSuffix.size()) == kSuffix);
}

}  // namespace

socklen_t AddressLength(const sockaddr_storage& address) {
  return address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

AddressList ParseAddressList(std::string_view csv, uint16_t port) {
  auto list = std::make_shared<std::vector<sockaddr_storage>>();
  while (!csv.empty()) {
    size_t comma = csv.find(',');
    std::string one(csv.substr(0, comma));
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
    if (!one.empty() && one.front() == '[' && one.back() == ']') one = one.substr(1, one.size() - 2);
    sockaddr_storage a{};
    if (one.find(':') != std::string::npos) {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
      if (inet_pton(AF_INET6, one.c_str(), &v6->sin6_addr) != 1) return nullptr;
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
    } else {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
      if (inet_pton(AF_INET, one.c_str(), &v4->sin_addr) != 1) return nullptr;
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
    }
    list->push_back(a);
  }
  if (list->empty()) return nullptr;
  return list;
}

bool HostCache::Lookup(const std::string& host, int64_t now_us, HostWaiter* waiter, uint64_t token, AddressList* out) {
  if (IsLocalhost(host)) {
    // libcurl 7.88's own answer for localhost (hostip.c get_localhost): IPv4, then IPv6.
    if (!localhost_) localhost_ = ParseAddressList("127.0.0.1,::1", 0);
    *out = localhost_;
    return true;
  }
  Entry& e = entries_[host];
  if (e.pending) {
    e.waiters.emplace_back(waiter, token);
    return false;
  }
  if (e.expires_us > now_us) {
    *out = e.addresses;
    return true;
  }
  if (!resolver_) {
    std::string error;
    resolver_ = DnsResolver::CreateSystem(loop_, lookups_, servers_, &error);
    if (!resolver_) {
      *out = nullptr;  // no resolver: the name does not resolve (not cached)
      return true;
    }
  }
  e.pending = true;
  e.query = ++next_query_;
  e.expires_us = now_us;  // an answer inside ResolveAddresses counts from now
  queries_[e.query] = host;
  ++lookups_started_;
  answering_ = e.query;
  resolver_->ResolveAddresses(host, this, e.query);
  answering_ = 0;
  Entry& after = entries_[host];
  if (!after.pending) {  // answered at once (/etc/hosts)
    *out = after.addresses;
    return true;
  }
  after.waiters.emplace_back(waiter, token);
  return false;
}

void HostCache::Cancel(HostWaiter* waiter) {
  for (auto& [host, e] : entries_) {
    if (!e.pending) continue;
    auto& w = e.waiters;
    for (size_t i = 0; i < w.size();) {
      if (w[i].first == waiter) {
        w.erase(w.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
}

void HostCache::OnResolved(uint64_t token, bool ok, const std::string& result) {
  auto q = queries_.find(token);
  if (q == queries_.end()) return;
  std::string host = std::move(q->second);
  queries_.erase(q);
  Entry& e = entries_[host];
  bool at_once = token == answering_;
  int64_t now = at_once ? e.expires_us : MonotonicMicros();
  e.pending = false;
  e.addresses = ok ? ParseAddressList(result, 0) : nullptr;
  e.expires_us = now + (e.addresses ? kPositiveTtlUs : kNegativeTtlUs);
  if (at_once) return;  // Lookup answers its caller
  std::vector<std::pair<HostWaiter*, uint64_t>> waiters;
  waiters.swap(e.waiters);
  AddressList addresses = e.addresses;
  for (auto& [w, t] : waiters) w->OnHostResolved(t, addresses);
}

}  // namespace barrage
