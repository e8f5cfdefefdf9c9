// A worker's allow-list of load targets (worker.toml `allowed_targets`, issue 14): the hosts
// its owner lets it send requests to. Checked twice: before a run, on every host the plan
// names that is known then (worker/target_check.h), and when a connection opens, on the
// host and the address it connects to (the fast path and libcurl's socket callback), so a
// host known only at run time (`${host}` from a CSV file, a redirect) cannot slip through.
//
// A pattern is one of, each with an optional port (":443") or port range (":8000-8099"):
//   api.example.com        that host name (any case; a trailing dot ignored)
//   *.example.com          any name ending in ".example.com" (not example.com itself)
//   *                      any host (with a port: only that port, e.g. "*:443")
//   127.0.0.2, [::1]       that address: as a literal in a URL, or as the address a name
//                          resolves to
//   10.0.0.0/8, [fd00::]/8 addresses in that CIDR range (IPv6 in brackets)
// A host is allowed when its name matches a name pattern, or when the address the
// connection goes to (a literal in the URL, else what the name resolved to) matches an
// address pattern, at the connection's port. With --connect-to, the host checked is the one
// connected to.
//
// An empty list is "no list": everything is allowed (an unset key). Thread-safe: a policy
// is immutable once parsed.
#ifndef BARRAGE_WORKER_TARGET_POLICY_H_
#define BARRAGE_WORKER_TARGET_POLICY_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

class TargetPolicy {
 public:
  // Everything allowed.
  TargetPolicy() = default;
  // Errors name the pattern: `where` + "[i] \"pattern\": what is wrong" (i from 1).
  static Result<TargetPolicy> Parse(const std::vector<std::string>& patterns, const std::string& where);

  bool restricted() const { return !patterns_.empty(); }
  // The patterns as written, comma-separated (for messages).
  std::string Describe() const;

  // Whether `host` (a name, or an address literal with or without brackets) at `port` is
  // allowed without knowing what it resolves to: a name pattern matches it, or it is an
  // address literal an address pattern matches.
  bool AllowsHost(std::string_view host, int port) const;
  // Whether a connection to `address` (AF_INET or AF_INET6; its own port is ignored) at
  // `port` is allowed by an address pattern.
  bool AllowsAddress(const sockaddr* address, int port) const;
  // Both: the host by name, else the address (nullptr: not known yet, not allowed).
  bool Allows(std::string_view host, const sockaddr* address, int port) const {
    return AllowsHost(host, port) || (address != nullptr && AllowsAddress(address, port));
  }
  // Whether some pattern is an address pattern (a name may then still be allowed by what
  // it resolves to).
  bool has_address_patterns() const;

 private:
  struct Pattern {
    enum class Kind { kAny, kName, kSuffix, kAddress } kind = Kind::kAny;
    std::string name;                  // kName: the host; kSuffix: ".example.com"
    std::array<uint8_t, 16> bytes{};   // kAddress: IPv4 in the IPv4-mapped IPv6 form
    int prefix = 128;                  // kAddress: bits that must match (of the 128)
    int port_lo = 0, port_hi = 65535;  // inclusive
    std::string text;                  // as written
  };
  static Result<Pattern> ParseOne(std::string_view text);
  bool MatchesAddress(const std::array<uint8_t, 16>& bytes, int port) const;

  std::vector<Pattern> patterns_;
};

// "host:port" as a message shows it (IPv6 in brackets).
std::string TargetText(std::string_view host, int port);
// An AF_INET or AF_INET6 address as text ("127.0.0.1", "::1"), without its port.
std::string AddressText(const sockaddr* address);

}  // namespace barrage

#endif  // BARRAGE_WORKER_TARGET_POLICY_H_
