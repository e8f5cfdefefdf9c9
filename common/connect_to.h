// `--connect-to HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT` (curl's option, same syntax and
// meaning): a request whose URL names HOST:PORT connects to CONNECT-TO-HOST:CONNECT-TO-PORT
// instead. The URL, the Host header, cookies and TLS SNI stay the URL's; only the address
// the socket connects to changes. An empty HOST or PORT matches any; an empty
// CONNECT-TO-HOST or CONNECT-TO-PORT keeps the URL's. IPv6 addresses are written in
// brackets ("[::1]"). Of several rules the first that matches applies, as in curl.
//
// Thread-safe: rules are plain values, parsed once by the controller (or the worker from
// the LoadPlan message) and only read while the test runs.
#ifndef BARRAGE_COMMON_CONNECT_TO_H_
#define BARRAGE_COMMON_CONNECT_TO_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

struct ConnectToRule {
  std::string host;          // lower case, without brackets; "" = any host
  int port = 0;              // 0 = any port
  std::string connect_host;  // without brackets; "" = the URL's host
  int connect_port = 0;      // 0 = the URL's port

  bool operator==(const ConnectToRule&) const = default;
};

// Parses one rule. Errors name the rule: a wrong number of fields, a port that is not a
// number in 1..65535, an unclosed '['.
Result<ConnectToRule> ParseConnectToRule(std::string_view rule);
// Parses every rule, stopping at the first bad one.
Result<std::vector<ConnectToRule>> ParseConnectToRules(const std::vector<std::string>& rules);

// The rule as curl's CURLOPT_CONNECT_TO takes it ("host:port:connect-host:connect-port",
// IPv6 addresses bracketed); also how rules travel to cluster workers.
std::string FormatConnectToRule(const ConnectToRule& rule);

// Where a request to `host`:`port` (`host` as in the URL: any case, IPv6 with or without
// brackets) connects: the first matching rule's address, or nullptr when none matches.
const ConnectToRule* MatchConnectTo(const std::vector<ConnectToRule>& rules, std::string_view host, int port);

// True when some rule sends `host`:`port` elsewhere, i.e. a connection to that address is
// never made (the host name is never resolved).
bool CoveredByConnectTo(const std::vector<ConnectToRule>& rules, std::string_view host, int port);

}  // namespace barrage

#endif  // BARRAGE_COMMON_CONNECT_TO_H_
