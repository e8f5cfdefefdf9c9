#include "worker/http_managers.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/digest.h"

namespace barrage {

namespace {

bool HasHeader(const HttpRequest& r, std::string_view name) {
  for (const std::string& h : r.headers) {
    if (h.size() > name.size() && h[name.size()] == ':' && strncasecmp(h.data(), name.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

// request.setHeader: replaces every header of that name.
void SetHeader(HttpRequest* r, std::string_view name, const std::string& value) {
  auto& hs = r->headers;
  for (auto it = hs.begin(); it != hs.end();) {
    if (it->size() > name.size() && (*it)[name.size()] == ':' &&
        strncasecmp(it->data(), name.data(), name.size()) == 0) {
      it = hs.erase(it);
    } else {
      ++it;
    }
  }
  hs.push_back(std::string(name) + ": " + value);
}

// The last header `name` of a response header block; nullopt when absent.
std::optional<std::string> LastHeader(std::string_view headers, std::string_view name) {
  std::optional<std::string> found;
  while (!headers.empty()) {
    size_t eol = headers.find('\n');
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon != name.size() || strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    found = std::string(value);
  }
  return found;
}

// HttpClient's DateUtils.parseDate (RFC 1123, RFC 1036, asctime) in milliseconds.
std::optional<int64_t> ParseHttpDate(const std::string& text) {
  time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return static_cast<int64_t>(t) * 1000;
}

constexpr int64_t kOneYearMs = 365LL * 24 * 60 * 60 * 1000;

struct UrlParts {
  std::string scheme, host, port, path;  // path without the query
};

std::optional<UrlParts> SplitUrl(std::string_view url) {
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = std::string(url.substr(0, colon));
  for (char& c : p.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string_view authority = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  size_t port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos && authority.find(']', port_colon) == std::string_view::npos) {
    p.host = std::string(authority.substr(0, port_colon));
    p.port = std::string(authority.substr(port_colon + 1));
  } else {
    p.host = std::string(authority);
  }
  if (end != std::string_view::npos && url[end] == '/') {
    size_t q = url.find_first_of("?#", end);
    p.path = std::string(url.substr(end, q == std::string_view::npos ? std::string_view::npos : q - end));
  }
  return p;
}

}  // namespace

HttpManagers ManagersInScope(const Sampler& sampler) {
  HttpManagers m;
  // Scope::configs lists the innermost first; JMeter adds them in that order and the last
  // setXxxManager wins.
  for (const Node* c : sampler.scope.configs) {
    switch (c->kind) {
      case ElementKind::kAuthManager: m.auth = &c->As<AuthManager>(); break;
      case ElementKind::kCacheManager: m.cache = &c->As<CacheManager>(); break;
      case ElementKind::kDnsCacheManager: m.dns = &c->As<DnsCacheManager>(); break;
      default: break;
    }
  }
  return m;
}

std::optional<size_t> MatchAuthorization(const std::vector<std::string>& row_urls, std::string_view url) {
  std::optional<UrlParts> p = SplitUrl(url);
  if (!p || (p->scheme != "http" && p->scheme != "https")) return std::nullopt;
  std::string default_port = p->scheme == "http" ? "80" : "443";
  std::string other;  // JMeter's url2: the default port added, or a default port removed
  if (p->port.empty()) {
    other = p->scheme + "://" + p->host + ":" + default_port + p->path;
  } else if (p->port == default_port) {
    other = p->scheme + "://" + p->host + p->path;
  }
  for (size_t i = 0; i < row_urls.size(); ++i) {
    const std::string& prefix = row_urls[i];
    if (url.substr(0, prefix.size()) == prefix) return i;
    if (!other.empty() && other.compare(0, prefix.size(), prefix) == 0 && other.size() >= prefix.size()) return i;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// HttpCache

HttpCache::Entry* HttpCache::Use(const std::string& url) {
  auto it = index_.find(url);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);  // LRUMap.get moves it to the front
  return &it->second->second;
}

const HttpCache::Entry* HttpCache::Find(const std::string& url) const {
  auto it = index_.find(url);
  return it == index_.end() ? nullptr : &it->second->second;
}

bool HttpCache::IsFresh(const std::string& url, int64_t now_ms) {
  const Entry* e = Use(url);
  return e && e->expires_ms && *e->expires_ms > now_ms;
}

void HttpCache::AddConditionalHeaders(HttpRequest* request) {
  const Entry* e = Use(request->url);
  if (!e) return;
  if (e->has_last_modified) SetHeader(request, "If-Modified-Since", e->last_modified);
  if (e->has_etag) SetHeader(request, "If-None-Match", e->etag);
}

void HttpCache::Save(std::string_view method, const std::string& url, std::string_view code, std::string_view headers,
                     bool use_expires, int64_t now_ms) {
  // CacheManager.isCacheable: a cacheable method (cacheable_methods, "GET") and
  // "200" <= code <= "299" as strings.
  if (strcasecmp(std::string(method).c_str(), "GET") != 0) return;
  if (code.compare("200") < 0 || code.compare("299") > 0) return;
  std::optional<std::string> last_modified = LastHeader(headers, "Last-Modified");
  std::optional<std::string> expires = LastHeader(headers, "Expires");
  std::optional<std::string> etag = LastHeader(headers, "ETag");
  std::optional<std::string> cache_control = LastHeader(headers, "Cache-Control");
  std::optional<std::string> date = LastHeader(headers, "Date");
  Entry entry;
  if (use_expires) {
    if (cache_control && cache_control->find("no-store") != std::string::npos) return;
    if (expires) entry.expires_ms = ParseHttpDate(*expires).value_or(0);  // invalid = expired
    if (cache_control && cache_control->find("no-cache") == std::string::npos) {
      constexpr std::string_view kMaxAge = "max-age=";
      size_t pos = cache_control->find(kMaxAge);
      if (pos != std::string::npos) {
        std::string_view rest = std::string_view(*cache_control).substr(pos + kMaxAge.size());
        rest = rest.substr(0, rest.find_first_of(", "));
        // Java's Long.parseLong throws here, and the response is then not cached.
        std::optional<int64_t> seconds = ParseInt64(rest);
        if (!seconds) return;
        entry.expires_ms = now_ms + *seconds * 1000;
      } else if (!expires) {
        std::optional<int64_t> d, lm;
        if (last_modified && !last_modified->empty() && date && !date->empty()) {
          d = ParseHttpDate(*date);
          lm = ParseHttpDate(*last_modified);
        }
        if (d && lm) {
          entry.expires_ms = now_ms + static_cast<int64_t>(std::llround(static_cast<double>(*d - *lm) * 0.1));
        } else {
          entry.expires_ms = now_ms + kOneYearMs;
        }
      }
    }
  }
  entry.has_last_modified = last_modified.has_value();
  entry.last_modified = last_modified.value_or("");
  entry.has_etag = etag.has_value();
  entry.etag = etag.value_or("");
  if (Entry* old = Use(url)) {
    *old = std::move(entry);
    return;
  }
  entries_.emplace_front(url, std::move(entry));
  index_[url] = entries_.begin();
  if (static_cast<int>(index_.size()) > max_size_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

// ---------------------------------------------------------------------------------------
// HttpManagerState

bool HttpManagerState::BeforeRequest(const HttpManagers& m, ThreadContext& ctx, HttpRequest* request, int64_t now_ms) {
  request->http_auth = 0;
  request->resolve.clear();
  request->dns_cache_timeout_s = 60;  // libcurl's default
  if (m.cache) {
    HttpCache& cache = caches_.try_emplace(m.cache, m.cache->max_size).first->second;
    if (request->method == "GET" && cache.IsFresh(request->url, now_ms)) return false;
    cache.AddConditionalHeaders(request);
  }
  if (m.auth) {
    std::vector<std::string> urls;
    urls.reserve(m.auth->entries.size());
    for (const Authorization& a : m.auth->entries) urls.push_back(Evaluate(a.url, ctx));
    if (std::optional<size_t> row = MatchAuthorization(urls, request->url)) {
      const Authorization& a = m.auth->entries[*row];
      std::string user = Evaluate(a.username, ctx);
      std::string password = Evaluate(a.password, ctx);
      switch (a.mechanism) {
        case Authorization::Mechanism::kBasic:
          if (!HasHeader(*request, "Authorization")) {
            request->headers.push_back("Authorization: Basic " + Base64Encode(user + ":" + password));
          }
          break;
        case Authorization::Mechanism::kDigest:
        case Authorization::Mechanism::kBasicDigest:
          request->http_auth =
              a.mechanism == Authorization::Mechanism::kDigest ? CURLAUTH_DIGEST : CURLAUTH_BASIC | CURLAUTH_DIGEST;
          request->auth_user = std::move(user);
          request->auth_password = std::move(password);
          break;
        case Authorization::Mechanism::kKerberos: break;  // refused by the compiler
      }
    }
  }
  if (m.dns) {
    if (std::find(dns_seen_.begin(), dns_seen_.end(), m.dns) == dns_seen_.end()) dns_seen_.push_back(m.dns);
    request->dns_cache_timeout_s = dns_flush_ ? 0 : -1;  // kept for the run, or resolved again
    dns_flush_ = false;
    if (std::optional<UrlParts> p = SplitUrl(request->url); p && !m.dns->hosts.empty()) {
      for (const DnsStaticHost& h : m.dns->hosts) {
        if (strcasecmp(h.name.c_str(), p->host.c_str()) != 0) continue;
        std::string port = p->port.empty() ? (p->scheme == "https" ? "443" : "80") : p->port;
        std::string addresses;
        for (size_t pos = 0; pos <= h.addresses.size();) {
          size_t comma = h.addresses.find(',', pos);
          if (comma == std::string::npos) comma = h.addresses.size();
          std::string_view a = TrimAscii(std::string_view(h.addresses).substr(pos, comma - pos));
          if (!a.empty()) {
            if (!addresses.empty()) addresses += ',';
            if (a.find(':') != std::string_view::npos) {
              addresses += "[" + std::string(a) + "]";
            } else {
              addresses += a;
            }
          }
          pos = comma + 1;
        }
        request->resolve = p->host + ":" + port + ":" + addresses;
        break;
      }
    }
    if (request->resolve.empty() && m.dns->custom_resolver && !m.dns->servers.empty()) {
      if (std::optional<UrlParts> p = SplitUrl(request->url)) {
        auto cache = resolved_.find(m.dns);
        if (cache != resolved_.end()) {
          auto hit = cache->second.find(p->host);
          if (hit != cache->second.end()) {
            std::string port = p->port.empty() ? (p->scheme == "https" ? "443" : "80") : p->port;
            request->resolve = p->host + ":" + port + ":" + hit->second;
          }
        }
      }
    }
  }
  return true;
}

std::optional<std::string> HttpManagerState::HostToResolve(const HttpManagers& m, const HttpRequest& request) const {
  if (!m.dns || !m.dns->custom_resolver || m.dns->servers.empty()) return std::nullopt;
  std::optional<UrlParts> p = SplitUrl(request.url);
  if (!p || p->host.empty()) return std::nullopt;
  for (const DnsStaticHost& h : m.dns->hosts) {
    if (strcasecmp(h.name.c_str(), p->host.c_str()) == 0) return std::nullopt;
  }
  // JMeter's per-thread cache is keyed by the host as written (a map of strings), and an
  // address is looked up like a name.
  auto cache = resolved_.find(m.dns);
  if (cache != resolved_.end() && cache->second.count(p->host)) return std::nullopt;
  return p->host;
}

void HttpManagerState::SaveResolution(const DnsCacheManager* manager, const std::string& host, std::string addresses) {
  resolved_[manager][host] = std::move(addresses);
}

void HttpManagerState::AfterResponse(const HttpManagers& m, const SampleResult& result, int64_t now_ms) {
  if (!m.cache) return;
  HttpCache& cache = caches_.try_emplace(m.cache, m.cache->max_size).first->second;
  cache.Save(result.method, result.sample.url, result.sample.response_code, result.response_headers,
             m.cache->use_expires, now_ms);
}

void HttpManagerState::OnThreadGroupIteration() {
  for (auto it = caches_.begin(); it != caches_.end();) {
    if (it->first->clear_each_iteration) {
      it = caches_.erase(it);
    } else {
      ++it;
    }
  }
  for (const DnsCacheManager* d : dns_seen_) {
    if (d->clear_each_iteration) {
      dns_flush_ = true;
      resolved_.erase(d);
    }
  }
}

}  // namespace barrage
