#include "common/host.h"

#include <unistd.h>

#include <algorithm>

namespace barrage {

std::string HostName(std::string_view fallback) {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return std::string(fallback);
  return buf;
}

Status ParseListenAddress(const std::string& listen, std::string* host, int* port) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("listen \"" + listen + "\": " + why +
                                   " (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no port");
  std::string h = listen.substr(0, colon);
  if (h.front() == '[' || h.find(':') != std::string::npos) {
    if (h.front() != '[' || h.back() != ']' || h.size() < 3) return bad("an IPv6 address goes in brackets");
    h = h.substr(1, h.size() - 2);
  }
  const std::string p = listen.substr(colon + 1);
  if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad("the port is not a number");
  int n = std::stoi(p);
  if (n > 65535) return bad("the port is above 65535");
  *host = h;
  *port = n;
  return Status::Ok();
}

}  // namespace barrage
