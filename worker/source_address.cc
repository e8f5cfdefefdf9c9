#include "worker/source_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

#include "worker/target_policy.h"

namespace barrage {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> ResolveSourceAddress(std::string_view ip_source, int type) {
  std::string source(Trim(ip_source));
  if (source.empty()) return std::string();
  if (type < 1 || type > 3) {  // HOSTNAME (and JMeter's default for other values)
    std::string host = source;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    in6_addr v6;
    in_addr v4;
    char buf[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return std::string(inet_ntop(AF_INET, &v4, buf, sizeof buf));
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return std::string(inet_ntop(AF_INET6, &v6, buf, sizeof buf));
    if (host == "localhost") return std::string("127.0.0.1");
    return Status::InvalidArgument(source + ": a source host name is not resolved by Barrage (give an address or " +
                                   "an interface)");
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return Status::InvalidArgument("Cannot find interface " + source);
  bool found = false;
  std::string v4, v6;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_name == nullptr || source != i->ifa_name) continue;
    found = true;
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET && v4.empty()) v4 = AddressText(i->ifa_addr);
    if (i->ifa_addr->sa_family == AF_INET6 && v6.empty()) v6 = AddressText(i->ifa_addr);
  }
  freeifaddrs(list);
  if (!found) return Status::InvalidArgument("Cannot find interface " + source);
  const char* kind = type == 2 ? "Inet4Address" : type == 3 ? "Inet6Address" : "InetAddress";
  std::string chosen = type == 2 ? v4 : type == 3 ? v6 : (!v4.empty() ? v4 : v6);
  if (chosen.empty()) return Status::InvalidArgument("Interface " + source + " does not have address of type " + kind);
  return chosen;
}

}  // namespace barrage
