// The HTTP managers at run time (issue 10): HTTP Authorization Manager, HTTP Cache Manager
// and DNS Cache Manager, applied to a request after BuildHttpRequest and, for the cache, to
// the response. JMeter's semantics (AuthManager, CacheManager, DNSCacheManager and
// HTTPHC4Impl):
//
// - Which manager: several of one kind in a sampler's scope, the last one JMeter adds wins
//   (the outermost, the last in plan order on one level): ManagersInScope.
// - Authorization: the first row whose URL is a prefix of the request URL (also tried with
//   the default port added, or removed when given, and without the query) applies. BASIC
//   rows send "Authorization: Basic base64(user:password)" preemptively, as JMeter 5's
//   httpclient4.auth.preemptive (default true) does, unless the request already has an
//   Authorization header; DIGEST rows answer the server's Digest challenge, BASIC_DIGEST
//   rows (JMeter 2.13) its Basic or Digest challenge (libcurl does it within one sample,
//   as HttpClient does). Row values are evaluated for the user.
// - Cache: per user and manager, at most max_size entries (least recently used evicted),
//   keyed by URL. A GET response with a 2xx code stores Last-Modified and ETag and, with
//   "use Cache-Control/Expires", an expiry: Cache-Control no-store stores nothing;
//   no-cache none; max-age=N now+N s (over Expires); else Expires (unparseable = expired);
//   else with Last-Modified and Date now + 10 % of (Date - Last-Modified); else a year. A
//   GET whose entry has not expired is not sent and records no sample (JMeter's
//   cache_manager.cached_resource_mode=RETURN_NO_SAMPLE); otherwise the entry's
//   If-Modified-Since / If-None-Match are set and a 304 is recorded as received.
// - DNS with custom servers: a host outside the static table is looked up on the listed
//   servers (asynchronously, worker/dns_resolver.h), an address too (dnsjava asks for
//   "127.0.0.1" as a name), and the answer kept per user as JMeter's per-thread cache does,
//   keyed by the host as written ("SHOP.test" is asked apart from "shop.test"); "clear each
//   iteration" forgets it; the request connects to it. An unknown name fails the sample
//   with java.net.UnknownHostException "Failed to resolve host name: <host>".
// - DNS: the static host table maps a name (case-insensitive) to literal addresses, for
//   the request's host; other names go to the system resolver. With a DNS Cache Manager in
//   scope a user's resolutions are kept for the whole run (JMeter caches them per thread),
//   and "clear each iteration" forgets them at each thread-group iteration.
//
// Per-user state (HttpManagerState) belongs to one virtual user; not thread-safe.
#ifndef BARRAGE_WORKER_HTTP_MANAGERS_H_
#define BARRAGE_WORKER_HTTP_MANAGERS_H_

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/http_request.h"
#include "worker/sample_result.h"

namespace barrage {

struct HttpManagers {
  const AuthManager* auth = nullptr;
  const CacheManager* cache = nullptr;
  const DnsCacheManager* dns = nullptr;
  bool any() const { return auth || cache || dns; }
};
HttpManagers ManagersInScope(const Sampler& sampler);

// The index of the first row whose (evaluated) URL prefix matches `url`, as
// AuthManager.getAuthForURL; nullopt when none does or `url` is not http(s).
std::optional<size_t> MatchAuthorization(const std::vector<std::string>& row_urls, std::string_view url);

// One user's cache of one Cache Manager.
class HttpCache {
 public:
  struct Entry {
    std::string last_modified;  // "" = none
    std::string etag;
    bool has_last_modified = false;
    bool has_etag = false;
    std::optional<int64_t> expires_ms;  // wall clock; none = always revalidate
  };
  explicit HttpCache(int max_size) : max_size_(max_size) {}

  // Whether `url` has an entry that has not expired at `now_ms` (counts as a use).
  bool IsFresh(const std::string& url, int64_t now_ms);
  // Sets If-Modified-Since / If-None-Match from the entry of request->url, if any.
  void AddConditionalHeaders(HttpRequest* request);
  // Stores what a response says (see the file comment); `response_headers` as received.
  void Save(std::string_view method, const std::string& url, std::string_view response_code,
            std::string_view response_headers, bool use_expires, int64_t now_ms);
  const Entry* Find(const std::string& url) const;
  size_t size() const { return index_.size(); }

 private:
  using List = std::list<std::pair<std::string, Entry>>;
  Entry* Use(const std::string& url);
  int max_size_;
  List entries_;  // most recently used first
  std::unordered_map<std::string, List::iterator> index_;
};

// Everything the managers keep for one user.
class HttpManagerState {
 public:
  // Before the request is sent: authorization, conditional headers, static DNS entries.
  // Returns false when the cache holds a fresh copy: the request must not be sent and no
  // sample is recorded.
  bool BeforeRequest(const HttpManagers& managers, ThreadContext& ctx, HttpRequest* request, int64_t now_ms);
  // After the response: stores cache details.
  void AfterResponse(const HttpManagers& managers, const SampleResult& result, int64_t now_ms);
  // At each thread-group iteration: forgets the caches and DNS resolutions of managers
  // with "clear each iteration" (JMeter's TestIterationListener).
  void OnThreadGroupIteration();

  // DNS Cache Manager with custom servers (worker/dns_resolver.h): the request's host when
  // it has to be looked up first (not in the static table, not resolved by this user yet
  // under that spelling; an address is looked up too); BeforeRequest then sends it to the
  // address SaveResolution kept.
  std::optional<std::string> HostToResolve(const HttpManagers& managers, const HttpRequest& request) const;
  void SaveResolution(const DnsCacheManager* manager, const std::string& host, std::string addresses);

 private:
  std::unordered_map<const CacheManager*, HttpCache> caches_;
  std::vector<const DnsCacheManager*> dns_seen_;
  // Custom servers' answers, per manager: host as written -> "a,b".
  std::unordered_map<const DnsCacheManager*, std::unordered_map<std::string, std::string>> resolved_;
  bool dns_flush_ = false;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP_MANAGERS_H_
