// HTTP configuration elements (issue 10): HTTP Authorization Manager, HTTP Cache Manager,
// DNS Cache Manager, HTTP URL Re-writing Modifier. Reads their properties as JMeter saves them (2.13 and 5.x).
#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "common/element_compiler.h"

namespace barrage {

namespace {

bool IsLiteralAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

std::unique_ptr<Node> MakeAuthManager(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<AuthManager>(ElementKind::kAuthManager);
  int row = 0;
  for (const Property* a : ElementItems(e.Find("AuthManager.auth_list"))) {
    ++row;
    Authorization auth;
    auth.url = V(*a, "Authorization.url");
    auth.username = V(*a, "Authorization.username");
    auth.password = V(*a, "Authorization.password");
    auth.domain = V(*a, "Authorization.domain");
    auth.realm = V(*a, "Authorization.realm");
    std::string where = DescribeElement(e) + ", row " + std::to_string(row) + " (URL '" + auth.url.text + "')";
    // JMeter 2.13 writes BASIC_DIGEST; 5.x BASIC, DIGEST or KERBEROS; absent = BASIC_DIGEST.
    std::string mechanism = std::string(TrimAscii(a->GetString("Authorization.mechanism", "BASIC_DIGEST")));
    if (mechanism == "BASIC_DIGEST" || mechanism.empty()) {
      auth.mechanism = Authorization::Mechanism::kBasicDigest;
    } else if (mechanism == "BASIC") {
      auth.mechanism = Authorization::Mechanism::kBasic;
    } else if (mechanism == "DIGEST") {
      auth.mechanism = Authorization::Mechanism::kDigest;
    } else if (mechanism == "KERBEROS") {
      auth.mechanism = Authorization::Mechanism::kKerberos;
      log.Error(where + ": mechanism KERBEROS is not supported (Basic and Digest are)", a->line);
    } else {
      log.Error(where + ": unknown mechanism '" + mechanism + "' (BASIC, DIGEST, BASIC_DIGEST or KERBEROS)", a->line);
    }
    if (!auth.domain.empty()) {
      log.Warning(where + ": domain '" + auth.domain.text +
                      "' is only used for NTLM, which Barrage does not support; the row answers Basic and Digest",
                  a->line);
    }
    if (!auth.realm.empty()) {
      log.Warning(where + ": realm '" + auth.realm.text + "' is not checked; the credentials are sent for any realm",
                  a->line);
    }
    n->entries.push_back(std::move(auth));
  }
  if (e.GetBool("AuthManager.controlledByThreadGroup", false)) {
    log.Warning(DescribeElement(e) + ": controlledByThreadGroup (Kerberos) has no effect", e.line);
  }
  return n;
}

std::unique_ptr<Node> MakeCacheManager(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<CacheManager>(ElementKind::kCacheManager);
  n->clear_each_iteration = e.GetBool("clearEachIteration", false);
  n->use_expires = e.GetBool("useExpires", false);
  std::string max = std::string(TrimAscii(e.GetString("maxSize", "5000")));
  std::optional<int64_t> size = ParseInt64(max.empty() ? "5000" : max);
  if (!size || *size < 1 || *size > 1000000000) {
    log.Error(DescribeElement(e) + ": maxSize '" + max + "' is not a whole number from 1", e.line);
  } else {
    n->max_size = static_cast<int>(*size);
  }
  return n;
}

std::unique_ptr<Node> MakeDnsCacheManager(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<DnsCacheManager>(ElementKind::kDnsCacheManager);
  n->clear_each_iteration = e.GetBool("DNSCacheManager.clearEachIteration", false);
  n->custom_resolver = e.GetBool("DNSCacheManager.isCustomResolver", false);
  if (const Property* servers = e.Find("DNSCacheManager.servers")) {
    for (const Property& s : servers->items) {
      std::string server(TrimAscii(s.value));
      if (!server.empty()) n->servers.push_back(std::move(server));
    }
  }
  for (const Property* h : ElementItems(e.Find("DNSCacheManager.hosts"))) {
    DnsStaticHost host;
    host.name = std::string(TrimAscii(h->GetString("StaticHost.Name", h->name)));
    host.addresses = h->GetString("StaticHost.Address");
    std::string list;
    for (size_t pos = 0; pos <= host.addresses.size();) {
      size_t comma = host.addresses.find(',', pos);
      if (comma == std::string::npos) comma = host.addresses.size();
      std::string address(TrimAscii(std::string_view(host.addresses).substr(pos, comma - pos)));
      if (!IsLiteralAddress(address)) {
        log.Error(DescribeElement(e) + ": static host '" + host.name + "': address '" + address +
                      "' is not a literal IPv4 or IPv6 address (host names there are not supported)",
                  h->line);
      }
      pos = comma + 1;
    }
    if (host.name.empty()) log.Error(DescribeElement(e) + ": a static host has no name", h->line);
    n->hosts.push_back(std::move(host));
  }
  if (n->custom_resolver) {
    // Looked up with c-ares (worker/dns_resolver.h): a server is an address, with a port or not.
    for (const std::string& server : n->servers) {
      std::string host = server;
      if (host.size() > 2 && host.front() == '[' && host.find(']') != std::string::npos) {
        host = host.substr(1, host.find(']') - 1);
      } else if (std::count(host.begin(), host.end(), ':') == 1) {
        host = host.substr(0, host.find(':'));
      }
      if (!IsLiteralAddress(host)) {
        log.Error(DescribeElement(e) + ": DNS server '" + server +
                      "' is not an IP address (optionally with :port); Barrage asks servers by address",
                  e.line);
      }
    }
    if (n->servers.empty()) {
      log.Warning(DescribeElement(e) + ": custom resolver without DNS servers: the system resolver is used", e.line);
    }
  }
  return n;
}

std::unique_ptr<Node> MakeUrlRewritingModifier(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<UrlRewritingModifier>(ElementKind::kUrlRewritingModifier);
  n->argument_name = V(e, "argument_name");
  n->path_extension = e.GetBool("path_extension", false);
  n->path_extension_no_equals = e.GetBool("path_extension_no_equals", false);
  n->path_extension_no_questionmark = e.GetBool("path_extension_no_questionmark", false);
  n->cache_value = e.GetBool("cache_value", true);  // JMeter: shouldCache() defaults to true
  n->encode = e.GetBool("encode", false);
  if (n->argument_name.empty()) log.Warning(DescribeElement(e) + ": no session argument name", e.line);
  return n;
}

}  // namespace

std::unique_ptr<Node> MakeHttpConfigElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kAuthManager: return MakeAuthManager(e, log);
    case ElementKind::kCacheManager: return MakeCacheManager(e, log);
    case ElementKind::kDnsCacheManager: return MakeDnsCacheManager(e, log);
    case ElementKind::kUrlRewritingModifier: return MakeUrlRewritingModifier(e, log);
    default: return nullptr;
  }
}

}  // namespace barrage
