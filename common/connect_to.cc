#include "common/connect_to.h"

#include <strings.h>

#include <cctype>

namespace barrage {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

// Takes a host field (bracketed IPv6 allowed) and the ':' after it off the front of `rest`.
bool TakeHost(std::string_view* rest, std::string* host, std::string* error) {
  size_t end = 0;
  if (!rest->empty() && rest->front() == '[') {
    end = rest->find(']');
    if (end == std::string_view::npos) {
      *error = "an IPv6 address lacks its closing ']'";
      return false;
    }
    *host = std::string(rest->substr(1, end - 1));
    ++end;
  } else {
    end = rest->find(':');
    if (end == std::string_view::npos) end = rest->size();
    *host = std::string(rest->substr(0, end));
  }
  if (end >= rest->size() || (*rest)[end] != ':') {
    *error = "expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT";
    return false;
  }
  rest->remove_prefix(end + 1);
  return true;
}

bool ParsePort(std::string_view text, int* port, std::string* error) {
  *port = 0;
  if (text.empty()) return true;
  if (text.size() > 5) {
    *error = "port '" + std::string(text) + "' is not a number from 1 to 65535";
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      *error = "port '" + std::string(text) + "' is not a number from 1 to 65535";
      return false;
    }
    *port = *port * 10 + (c - '0');
  }
  if (*port < 1 || *port > 65535) {
    *error = "port '" + std::string(text) + "' is not a number from 1 to 65535";
    return false;
  }
  return true;
}

std::string Bracketed(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

bool ParseRule(std::string_view text, ConnectToRule* rule, std::string* error) {
  std::string_view rest = text;
  std::string host;
  if (!TakeHost(&rest, &host, error)) return false;
  rule->host = Lower(host);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    *error = "expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT";
    return false;
  }
  if (!ParsePort(rest.substr(0, colon), &rule->port, error)) return false;
  rest.remove_prefix(colon + 1);
  if (!TakeHost(&rest, &rule->connect_host, error)) return false;
  if (rest.find(':') != std::string_view::npos) {
    *error = "expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT (an IPv6 address goes in brackets)";
    return false;
  }
  return ParsePort(rest, &rule->connect_port, error);
}

}  // namespace

Result<ConnectToRule> ParseConnectToRule(std::string_view text) {
  ConnectToRule rule;
  std::string error;
  if (!ParseRule(text, &rule, &error)) {
    return Status::InvalidArgument("--connect-to '" + std::string(text) + "': " + error);
  }
  return rule;
}

Result<std::vector<ConnectToRule>> ParseConnectToRules(const std::vector<std::string>& texts) {
  std::vector<ConnectToRule> rules;
  for (const std::string& t : texts) {
    Result<ConnectToRule> r = ParseConnectToRule(t);
    if (!r.ok()) return r.status();
    rules.push_back(std::move(r).value());
  }
  return rules;
}

std::string FormatConnectToRule(const ConnectToRule& r) {
  auto port = [](int p) { return p == 0 ? std::string() : std::to_string(p); };
  return Bracketed(r.host) + ":" + port(r.port) + ":" + Bracketed(r.connect_host) + ":" + port(r.connect_port);
}

const ConnectToRule* MatchConnectTo(const std::vector<ConnectToRule>& rules, std::string_view host, int port) {
  host = Unbracket(host);
  for (const ConnectToRule& r : rules) {
    if (!r.host.empty() &&
        (r.host.size() != host.size() || strncasecmp(r.host.data(), host.data(), host.size()) != 0)) {
      continue;
    }
    if (r.port != 0 && r.port != port) continue;
    return &r;
  }
  return nullptr;
}

bool CoveredByConnectTo(const std::vector<ConnectToRule>& rules, std::string_view host, int port) {
  const ConnectToRule* r = MatchConnectTo(rules, host, port);
  return r != nullptr && !r->connect_host.empty();
}

}  // namespace barrage
