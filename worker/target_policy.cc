#include "worker/target_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace barrage {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::optional<int> ParsePortNumber(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 65535) return std::nullopt;
  return n;
}

// The address literal as 16 bytes (IPv4 mapped into IPv6), or nullopt.
std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool IsIpv4Mapped(const std::array<uint8_t, 16>& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

bool ValidHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
  }
  return name.front() != '.' && name.find("..") == std::string_view::npos;
}

}  // namespace

std::string TargetText(std::string_view host, int port) {
  std::string h(host);
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

std::string AddressText(const sockaddr* address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, buf, sizeof buf);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

Result<TargetPolicy::Pattern> TargetPolicy::ParseOne(std::string_view text) {
  Pattern p;
  p.text = std::string(text);
  std::string_view host = text;
  std::string_view port;
  // The port: after the closing bracket of an IPv6 form, else after the only colon (a bare
  // IPv6 address or range has several colons and no port).
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("an unclosed '['");
    std::string_view after = host.substr(close + 1);
    std::string_view inside = host.substr(1, close - 1);
    // "[fd00::]/8" or "[fd00::]/8:443": the prefix follows the bracket.
    std::string_view prefix_part;
    if (!after.empty() && after.front() == '/') {
      size_t colon = after.find(':');
      prefix_part = after.substr(0, colon);
      after = colon == std::string_view::npos ? std::string_view() : after.substr(colon);
    }
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("expected ':PORT' after ']'");
      port = after.substr(1);
      if (port.empty()) return Status::InvalidArgument("an empty port");
    }
    host = std::string_view(text.data(), close + 1);
    if (!prefix_part.empty()) {
      std::optional<std::array<uint8_t, 16>> address = ParseAddress(inside);
      if (!address) return Status::InvalidArgument("'" + std::string(inside) + "' is not an IPv6 address");
      std::optional<int> bits;
      std::string_view digits = prefix_part.substr(1);
      if (!digits.empty() && digits.size() <= 3 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        bits = std::stoi(std::string(digits));
      }
      if (!bits || *bits > 128) return Status::InvalidArgument("the prefix length must be 0 to 128");
      p.kind = Pattern::Kind::kAddress;
      p.bytes = *address;
      p.prefix = *bits;
      host = {};
    }
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    size_t colon = host.find(':');
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (port.empty()) return Status::InvalidArgument("an empty port");
  }
  if (!port.empty()) {
    size_t dash = port.find('-');
    std::optional<int> lo = ParsePortNumber(port.substr(0, dash));
    std::optional<int> hi = dash == std::string_view::npos ? lo : ParsePortNumber(port.substr(dash + 1));
    if (!lo || !hi) return Status::InvalidArgument("the port must be 1 to 65535 or a range like 8000-8099");
    if (*hi < *lo) return Status::InvalidArgument("the port range ends before it starts");
    p.port_lo = *lo;
    p.port_hi = *hi;
  }
  if (p.kind == Pattern::Kind::kAddress) return p;
  if (host.empty()) return Status::InvalidArgument("no host");
  if (host == "*") {
    p.kind = Pattern::Kind::kAny;
    return p;
  }
  if (size_t slash = host.find('/'); slash != std::string_view::npos) {
    std::optional<std::array<uint8_t, 16>> address = ParseAddress(host.substr(0, slash));
    if (!address) {
      return Status::InvalidArgument("'" + std::string(host.substr(0, slash)) + "' is not an IP address");
    }
    const bool v4 = IsIpv4Mapped(*address);
    std::string_view digits = host.substr(slash + 1);
    std::optional<int> bits;
    if (!digits.empty() && digits.size() <= 3 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bits = std::stoi(std::string(digits));
    }
    if (!bits || *bits > (v4 ? 32 : 128)) {
      return Status::InvalidArgument(std::string("the prefix length must be 0 to ") + (v4 ? "32" : "128"));
    }
    p.kind = Pattern::Kind::kAddress;
    p.bytes = *address;
    p.prefix = v4 ? 96 + *bits : *bits;
    return p;
  }
  if (std::optional<std::array<uint8_t, 16>> address = ParseAddress(host)) {
    p.kind = Pattern::Kind::kAddress;
    p.bytes = *address;
    p.prefix = 128;
    return p;
  }
  if (host.front() == '[') return Status::InvalidArgument("'" + std::string(host) + "' is not an IPv6 address");
  if (host.substr(0, 2) == "*.") {
    std::string suffix = Lower(host.substr(1));
    if (!ValidHostName(suffix.substr(1))) {
      return Status::InvalidArgument("'" + std::string(host) + "' is not a host name pattern");
    }
    p.kind = Pattern::Kind::kSuffix;
    p.name = std::move(suffix);
    return p;
  }
  std::string name = Lower(host);
  if (!ValidHostName(name)) {
    return Status::InvalidArgument("'" + std::string(host) +
                                   "' is not a host name, an address, a CIDR range or a *.domain pattern");
  }
  p.kind = Pattern::Kind::kName;
  p.name = std::move(name);
  return p;
}

Result<TargetPolicy> TargetPolicy::Parse(const std::vector<std::string>& patterns, const std::string& where) {
  TargetPolicy policy;
  for (size_t i = 0; i < patterns.size(); ++i) {
    Result<Pattern> p = ParseOne(patterns[i]);
    if (!p.ok()) {
      return Status::InvalidArgument(where + "[" + std::to_string(i + 1) + "] \"" + patterns[i] +
                                     "\": " + std::string(p.status().message()));
    }
    policy.patterns_.push_back(std::move(p).value());
  }
  return policy;
}

std::string TargetPolicy::Describe() const {
  std::string out;
  for (const Pattern& p : patterns_) {
    if (!out.empty()) out += ", ";
    out += p.text;
  }
  return out;
}

bool TargetPolicy::has_address_patterns() const {
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [](const Pattern& p) { return p.kind == Pattern::Kind::kAddress; });
}

bool TargetPolicy::MatchesAddress(const std::array<uint8_t, 16>& bytes, int port) const {
  for (const Pattern& p : patterns_) {
    if (port < p.port_lo || port > p.port_hi) continue;
    if (p.kind == Pattern::Kind::kAny) return true;
    if (p.kind == Pattern::Kind::kAddress && PrefixMatches(bytes, p.bytes, p.prefix)) return true;
  }
  return false;
}

bool TargetPolicy::AllowsHost(std::string_view host, int port) const {
  if (patterns_.empty()) return true;
  if (std::optional<std::array<uint8_t, 16>> address = ParseAddress(host)) return MatchesAddress(*address, port);
  const std::string name = Lower(host);
  for (const Pattern& p : patterns_) {
    if (port < p.port_lo || port > p.port_hi) continue;
    switch (p.kind) {
      case Pattern::Kind::kAny: return true;
      case Pattern::Kind::kName:
        if (name == p.name) return true;
        break;
      case Pattern::Kind::kSuffix:
        if (name.size() > p.name.size() && name.compare(name.size() - p.name.size(), p.name.size(), p.name) == 0) {
          return true;
        }
        break;
      case Pattern::Kind::kAddress: break;
    }
  }
  return false;
}

bool TargetPolicy::AllowsAddress(const sockaddr* address, int port) const {
  if (patterns_.empty()) return true;
  std::array<uint8_t, 16> bytes{};
  if (address->sa_family == AF_INET) {
    bytes[10] = bytes[11] = 0xff;
    std::memcpy(bytes.data() + 12, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
  } else if (address->sa_family == AF_INET6) {
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  } else {
    return false;
  }
  return MatchesAddress(bytes, port);
}

}  // namespace barrage
