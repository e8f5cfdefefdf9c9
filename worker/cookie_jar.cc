#include "worker/cookie_jar.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libpsl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>

namespace barrage {

namespace {

// lib/cookie.h of libcurl 7.88.
constexpr size_t kMaxName = 4096;
constexpr size_t kMaxCookieLine = 5000;
constexpr int kMaxSetCookieAmount = 50;
constexpr int kMaxCookieSendAmount = 150;
constexpr size_t kMaxCookieHeaderLen = 8190;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool StartsNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool IsIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Control characters (but tab) are invalid in a name or value (libcurl's invalid_octets).
bool InvalidOctets(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

// RFC 6265 5.1.3, as libcurl's tailmatch: `domain` is `host` or a suffix after a dot.
bool TailMatch(std::string_view domain, std::string_view host) {
  if (host.size() < domain.size()) return false;
  if (!EqualNoCase(domain, host.substr(host.size() - domain.size()))) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

// RFC 6265 5.1.4 as libcurl's pathmatch (the query cut off, case-sensitive).
bool PathMatch(std::string_view cookie_path, std::string_view uri) {
  if (cookie_path.size() == 1) return true;  // "/"
  std::string_view path = uri.substr(0, uri.find('?'));
  if (path.empty() || path[0] != '/') path = "/";
  if (path.size() < cookie_path.size()) return false;
  if (path.compare(0, cookie_path.size(), cookie_path) != 0) return false;
  return path.size() == cookie_path.size() || path[cookie_path.size()] == '/';
}

// libcurl's sanitize_cookie_path: quotes dropped; not starting with '/': "/"; a trailing
// '/' dropped.
std::string SanitizePath(std::string_view p) {
  if (!p.empty() && p.front() == '"') p.remove_prefix(1);
  if (!p.empty() && p.back() == '"') p.remove_suffix(1);
  if (p.empty() || p[0] != '/') return "/";
  if (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

// libcurl's Curl_psl_use: the system's list (psl_latest), else the built-in one; loaded once
// per process (libcurl reloads it daily; a run does not outlive a list update's relevance).
const psl_ctx_t* PublicSuffixList() {
  static const psl_ctx_t* psl = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest ? latest : psl_builtin();
  }();
  return psl;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsCookieLocalhost(const std::string& host) {
  return EqualNoCase(host, "localhost") || host == "127.0.0.1" || host == "::1";
}

bool CookieJar::AddFromHeader(std::string_view line, const std::string& host, std::string_view path,
                              bool secure_context, int64_t now_s, StoredCookie* stored, bool* unexpired) {
  if (line.size() >= kMaxCookieLine) return false;
  JarCookie co;
  bool have_name = false, have_path = false, have_domain = false, have_maxage = false, have_expires = false;
  std::string maxage, expires;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t end = line.find(';', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view part = line.substr(pos, end - pos);
    pos = end + 1;
    part = Trim(part);
    size_t eq = part.find('=');
    std::string_view name = Trim(part.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : Trim(part.substr(eq + 1));
    if (name.empty()) continue;  // "=value" or an empty part: skipped (libcurl's nlen == 0)
    if (!have_name) {
      // The first named pair is the cookie, whatever its name ("Path=/" too); a word without
      // '=' there makes the line bad.
      if (eq == std::string_view::npos) return false;
      if (name.size() >= kMaxName - 1 || value.size() >= kMaxName - 1 || name.size() + value.size() > kMaxName) {
        return false;
      }
      if (InvalidOctets(name) || InvalidOctets(value)) return false;
      co.name.assign(name);
      co.value.assign(value);
      have_name = true;
      continue;
    }
    if (value.empty()) {
      if (EqualNoCase(name, "secure")) {
        if (!secure_context) return false;  // a secure cookie from an insecure origin
        co.secure = true;
      } else if (EqualNoCase(name, "httponly")) {
        co.httponly = true;
      }
      continue;
    }
    if (EqualNoCase(name, "path")) {
      co.path.assign(value);
      co.spath = SanitizePath(value);
      have_path = true;
    } else if (EqualNoCase(name, "domain")) {
      if (value[0] == '.') value.remove_prefix(1);
      if (value.empty()) continue;
      bool is_ip = IsIp(host.empty() ? std::string(value) : host);  // libcurl: the value's when no host
      if (host.empty() || (is_ip && value == host) ||
          (!is_ip && value.find('.') != std::string_view::npos && TailMatch(value, host)) ||
          (!is_ip && EqualNoCase(value, host))) {
        co.domain.assign(value);
        co.tailmatch = !is_ip;
        have_domain = true;
      } else {
        return false;  // a domain the host is not in
      }
    } else if (EqualNoCase(name, "max-age")) {
      maxage.assign(value);
      have_maxage = true;
    } else if (EqualNoCase(name, "expires")) {
      expires.assign(value);
      have_expires = true;
    }
  }
  if (!have_name) return false;
  if (have_maxage) {
    const char* p = maxage.c_str();
    if (*p == '"') ++p;
    char* end = nullptr;
    errno = 0;
    bool digits = *p >= '0' && *p <= '9';
    long long v = digits ? std::strtoll(p, &end, 10) : 0;
    if (!digits) {
      co.expires = 1;  // invalid: expired
    } else if (errno == ERANGE || v > std::numeric_limits<int64_t>::max() - now_s) {
      co.expires = std::numeric_limits<int64_t>::max();
    } else {
      co.expires = v == 0 ? 1 : now_s + v;
    }
  } else if (have_expires) {
    time_t t = curl_getdate(expires.c_str(), nullptr);
    co.expires = t == 0 ? 1 : (t < 0 ? 0 : static_cast<int64_t>(t));
  }
  if (!have_domain) {
    if (host.empty()) return false;  // a Set-Cookie line without a host: libcurl 7.88 keeps none
    co.domain = host;                // host-only
  }
  if (!have_path && !path.empty()) {
    std::string_view p = path.substr(0, path.find('?'));
    size_t slash = p.rfind('/');
    if (slash != std::string_view::npos) {
      co.path.assign(p.substr(0, slash + 1));
      co.spath = SanitizePath(co.path);
    }
  }
  if (co.path.empty()) co.spath.clear();
  // libcurl with libpsl: a cookie from a host for a public suffix (Domain=co.uk) is dropped.
  if (!host.empty() && !IsIp(co.domain) && host.size() < 256 && co.domain.size() < 256) {
    const psl_ctx_t* psl = PublicSuffixList();
    if (psl && !psl_is_cookie_domain_acceptable(psl, Lower(host).c_str(), Lower(co.domain).c_str())) return false;
  }
  // RFC 6265bis cookie prefixes.
  if (co.name.compare(0, 9, "__Secure-") == 0 && !co.secure) return false;
  if (co.name.compare(0, 7, "__Host-") == 0 && (!co.secure || co.tailmatch || co.path != "/")) return false;
  if (stored) *stored = {co.name, co.value};
  if (unexpired) *unexpired = co.expires == 0 || co.expires >= now_s;
  return Store(std::move(co), !host.empty(), now_s);
}

bool CookieJar::AddLine(std::string_view line, int64_t now_s) {
  if (StartsNoCase(line, "Set-Cookie:")) return AddFromHeader(line.substr(11), "", "", true, now_s);
  JarCookie co;
  if (line.compare(0, 10, "#HttpOnly_") == 0) {
    co.httponly = true;
    line.remove_prefix(10);
  }
  if (line.empty() || line[0] == '#') return false;
  std::vector<std::string_view> f;
  for (size_t pos = 0;;) {
    size_t tab = line.find('\t', pos);
    f.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
    if (tab == std::string_view::npos) break;
    pos = tab + 1;
  }
  if (f.size() == 6) f.push_back("");  // no value
  if (f.size() != 7) return false;
  std::string_view domain = f[0];
  if (!domain.empty() && domain[0] == '.') domain.remove_prefix(1);
  co.domain.assign(domain);
  co.tailmatch = f[1] == "TRUE";
  co.path.assign(f[2]);
  co.spath = SanitizePath(f[2]);
  co.secure = f[3] == "TRUE";
  co.expires = std::strtoll(std::string(f[4]).c_str(), nullptr, 10);
  co.name.assign(f[5]);
  co.value.assign(f[6]);
  return Store(std::move(co), false, now_s);
}

bool CookieJar::Store(JarCookie co, bool from_http, int64_t now_s) {
  RemoveExpired(now_s);
  for (JarCookie& old : cookies_) {
    if (!EqualNoCase(old.name, co.name)) continue;
    // A non-secure cookie may not overlay a secure one from http (libcurl's strict secure).
    if (from_http && old.secure && !co.secure && EqualNoCase(old.domain, co.domain) &&
        co.spath.compare(0, old.spath.size(), old.spath) == 0) {
      return false;
    }
    if (!EqualNoCase(old.domain, co.domain) || old.tailmatch != co.tailmatch) continue;
    if (!EqualNoCase(old.spath, co.spath)) continue;
    co.created = old.created;  // replacing keeps the creation order
    old = std::move(co);
    return true;
  }
  co.created = ++next_created_;
  cookies_.push_back(std::move(co));
  return true;
}

void CookieJar::RemoveExpired(int64_t now_s) {
  cookies_.erase(std::remove_if(cookies_.begin(), cookies_.end(),
                                [now_s](const JarCookie& c) { return c.expires != 0 && c.expires < now_s; }),
                 cookies_.end());
}

bool SetCookieNameValue(std::string_view line, std::string* name, std::string* value) {
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t end = line.find(';', pos);
    if (end == std::string_view::npos) end = line.size();
    std::string_view part = Trim(line.substr(pos, end - pos));
    pos = end + 1;
    size_t eq = part.find('=');
    std::string_view n = Trim(part.substr(0, eq));
    if (n.empty()) continue;
    if (eq == std::string_view::npos) return false;
    name->assign(n);
    value->assign(Trim(part.substr(eq + 1)));
    return true;
  }
  return false;
}

void CookieJar::AddFromResponse(std::string_view headers, const std::string& host, std::string_view path,
                                bool secure_context, int64_t now_s, std::vector<StoredCookie>* stored) {
  int taken = 0;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!StartsNoCase(line, "Set-Cookie:")) continue;
    if (taken++ >= kMaxSetCookieAmount) break;
    StoredCookie c;
    bool unexpired = false;
    if (AddFromHeader(line.substr(11), host, path, secure_context, now_s, stored ? &c : nullptr, &unexpired) &&
        stored && unexpired) {
      stored->push_back(std::move(c));
    }
  }
}

std::string CookieJar::HeaderFor(const std::string& host, std::string_view path, bool secure_context, int64_t now_s) {
  RemoveExpired(now_s);
  bool is_ip = IsIp(host);
  std::vector<const JarCookie*> match;
  for (const JarCookie& c : cookies_) {
    if (c.secure && !secure_context) continue;
    bool domain_ok = c.domain.empty() || (c.tailmatch && !is_ip && TailMatch(c.domain, host)) ||
                     ((!c.tailmatch || is_ip) && EqualNoCase(host, c.domain));
    if (!domain_ok) continue;
    if (!c.spath.empty() && !PathMatch(c.spath, path)) continue;
    match.push_back(&c);
  }
  // libcurl's cookie_sort: path, domain and name length, longest first, then the newest first.
  std::sort(match.begin(), match.end(), [](const JarCookie* a, const JarCookie* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    if (a->domain.size() != b->domain.size()) return a->domain.size() > b->domain.size();
    if (a->name.size() != b->name.size()) return a->name.size() > b->name.size();
    return a->created > b->created;  // the newest first
  });
  std::string out;
  int count = 0;
  for (const JarCookie* c : match) {
    if (count >= kMaxCookieSendAmount) break;
    size_t add = c->name.size() + 1 + c->value.size() + (out.empty() ? 0 : 2);
    if (out.size() + add + 8 > kMaxCookieHeaderLen) break;  // "Cookie: " counts
    if (!out.empty()) out += "; ";
    out.append(c->name).append("=").append(c->value);
    ++count;
  }
  return out;
}

void CookieJar::SyncFromListing(const std::vector<std::string>& lines, int64_t now_s) {
  std::vector<JarCookie> listed;
  listed.reserve(lines.size());
  for (const std::string& line : lines) {
    CookieJar probe;
    if (!probe.AddLine(line, now_s) || probe.cookies_.empty()) continue;
    JarCookie& c = probe.cookies_.front();
    if (c.expires != 0 && c.expires < now_s) continue;  // deleted (libcurl drops it at its next add)
    listed.push_back(std::move(c));
  }
  std::vector<bool> taken(listed.size(), false);
  std::vector<JarCookie> out;
  out.reserve(listed.size());
  for (const JarCookie& old : cookies_) {
    for (size_t i = 0; i < listed.size(); ++i) {
      const JarCookie& c = listed[i];
      // libcurl compares the paths only when both cookies have one.
      if (taken[i] || !EqualNoCase(old.name, c.name) || !EqualNoCase(old.domain, c.domain) ||
          old.tailmatch != c.tailmatch || (!old.spath.empty() && !EqualNoCase(old.spath, c.spath))) {
        continue;
      }
      taken[i] = true;
      out.push_back(std::move(listed[i]));
      out.back().created = old.created;
      break;
    }
  }
  for (size_t i = 0; i < listed.size(); ++i) {
    if (taken[i]) continue;
    out.push_back(std::move(listed[i]));
    out.back().created = ++next_created_;
  }
  cookies_ = std::move(out);
}

std::vector<std::string> CookieJar::NetscapeLines() const {
  std::vector<std::string> lines;
  for (const JarCookie& c : cookies_) {
    std::string l = c.httponly ? "#HttpOnly_" : "";
    if (c.tailmatch) l += '.';
    l += c.domain.empty() ? "unknown" : c.domain;
    l += c.tailmatch ? "\tTRUE\t" : "\tFALSE\t";
    l += c.path.empty() ? "/" : c.path;
    l += c.secure ? "\tTRUE\t" : "\tFALSE\t";
    l += std::to_string(c.expires) + "\t" + c.name + "\t" + c.value;
    lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace barrage
