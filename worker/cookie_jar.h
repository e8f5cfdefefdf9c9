// One virtual user's cookies for the HTTP/1.1 fast path, kept by the rules of the cookie
// engine of libcurl 7.88 (lib/cookie.c, Curl_cookie_add / Curl_cookie_getlist), which the
// libcurl path uses and which Barrage already matches against JMeter:
// - Set-Cookie: the first named pair is the cookie (blanks trimmed; pairs with an empty
//   name skipped, a first pair without '=' rejects the line); Domain (a leading dot
//   dropped; it must tail-match the host, an IP host only itself; absent: host-only), Path
//   (absent or not starting with '/': the request path up to its last '/'; a trailing '/'
//   is dropped for matching), Max-Age (over Expires; 0, negative or invalid: expired),
//   Expires (curl_getdate; unparsable: a session cookie), Secure (only from a secure
//   context: https, localhost, 127.0.0.1, ::1), HttpOnly; control characters in the name or
//   value, too long a name or value (4096), more than 50 cookies in one response and the
//   __Secure-/__Host- prefixes' rules reject a cookie.
// - A cookie of the same name (case-insensitive), domain and path replaces the stored one
//   and keeps its creation order; an expired one disappears (deletion). A "Set-Cookie:"
//   line added without a host (AddLine) needs a Domain: libcurl 7.88 stores none without.
// - Cookie header: the cookies whose domain and path match and that are unexpired (Secure
//   ones over a secure context only), sorted by path length, domain length and name length
//   (longest first), then the newest first; at most 150 and 8190 bytes.
// - libpsl's public suffix check on a received cookie's domain (libcurl's USE_LIBPSL, which
//   Debian's libcurl has): Domain=co.uk from www.example.co.uk is dropped.
// Not thread-safe; owned by one user's HttpTransfer.
#ifndef BARRAGE_WORKER_COOKIE_JAR_H_
#define BARRAGE_WORKER_COOKIE_JAR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace barrage {

// A cookie a response made the user store: its name and value (COOKIE_ variables).
using StoredCookie = std::pair<std::string, std::string>;

struct JarCookie {
  std::string name;
  std::string value;
  std::string domain;   // without a leading dot
  std::string path;     // as given (or the default path)
  std::string spath;    // sanitized for matching
  int64_t expires = 0;  // unix seconds; 0 = session
  bool tailmatch = false;
  bool secure = false;
  bool httponly = false;
  uint64_t created = 0;
};

class CookieJar {
 public:
  // A Set-Cookie header's value received from `host` (lower case, no port, IPv6 without
  // brackets) for `path` (the request target, query included). False when rejected.
  // `stored` / `unexpired` (when set) get the cookie's name and value and whether it is
  // unexpired (a deletion is stored expired).
  bool AddFromHeader(std::string_view set_cookie, const std::string& host, std::string_view path, bool secure_context,
                     int64_t now_s, StoredCookie* stored = nullptr, bool* unexpired = nullptr);
  // A line as CURLOPT_COOKIELIST takes it: "Set-Cookie: ..." (no host check) or a Netscape
  // cookie-file line. False when rejected.
  bool AddLine(std::string_view line, int64_t now_s);
  // Takes the Set-Cookie headers of one response header block (libcurl keeps at most 50).
  // `stored` (when set) gets each cookie stored unexpired, in header order.
  void AddFromResponse(std::string_view headers, const std::string& host, std::string_view path, bool secure_context,
                       int64_t now_s, std::vector<StoredCookie>* stored = nullptr);
  // The Cookie header's value for a request to `host` and `path`; "" when none.
  std::string HeaderFor(const std::string& host, std::string_view path, bool secure_context, int64_t now_s);
  void Clear() { cookies_.clear(); }
  // Netscape lines in creation order (CURLINFO_COOKIELIST's format).
  std::vector<std::string> NetscapeLines() const;
  // Makes the jar hold what `lines` (libcurl's CURLINFO_COOKIELIST, in its hash-table order)
  // hold, expired ones left out: a cookie the jar has (same name and domain case-insensitive,
  // same host-only flag and sanitized path, libcurl's replacing rule) keeps its creation
  // order with the listed fields; the others are created, in the listing's order. Called at
  // each Set-Cookie libcurl takes (it stores one before its header callback sees the line),
  // this keeps libcurl's creation order, which its listing loses.
  void SyncFromListing(const std::vector<std::string>& lines, int64_t now_s);
  const std::vector<JarCookie>& cookies() const { return cookies_; }

 private:
  bool Store(JarCookie c, bool from_http, int64_t now_s);
  void RemoveExpired(int64_t now_s);

  std::vector<JarCookie> cookies_;
  uint64_t next_created_ = 0;
};

// The cookie a Set-Cookie header's value names, by the jar's (libcurl's) rule: the first pair
// with a name, name and value trimmed; false when that pair has no '=' or there is none.
bool SetCookieNameValue(std::string_view set_cookie, std::string* name, std::string* value);

// Whether `host` makes a secure context for cookies as libcurl 7.88 sees one besides https.
bool IsCookieLocalhost(const std::string& host);

}  // namespace barrage

#endif  // BARRAGE_WORKER_COOKIE_JAR_H_
