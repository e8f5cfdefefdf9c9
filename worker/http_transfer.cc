#include "worker/http_transfer.h"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/clock.h"
#include "worker/client_keystore.h"
#include "worker/target_check.h"

namespace barrage {

namespace {

bool FastPathByDefault() {
  static const bool enabled = [] {
    const char* v = std::getenv("BARRAGE_HTTP_CLIENT");
    return !(v && std::strcmp(v, "curl") == 0);
  }();
  return enabled;
}

// "host:port" of an absolute URL, the port defaulted from the scheme (for exception messages).
std::string HostPort(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string host_port = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (host_port.find(':') == std::string::npos || (host_port[0] == '[' && host_port.back() == ']')) {
    host_port += url.compare(0, 5, "https") == 0 ? ":443" : ":80";
  }
  return host_port;
}

// The host name libcurl's cookie engine sees for a fast-path target: the URL's (the Host
// header's without the port; an IPv6 address without brackets), lower case.
std::string CookieHost(const Http1Target& t) {
  std::string_view h = t.host_header;
  if (!h.empty() && h[0] == '[') {
    h = h.substr(1, h.find(']') - 1);
  } else if (size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  std::string host(h);
  for (char& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return host;
}

// libcurl 7.88's secure context for cookies: https, or a local host.
bool CookieSecure(const Http1Target& t) { return t.tls || IsCookieLocalhost(CookieHost(t)); }

}  // namespace

ConnectToRoutes::ConnectToRoutes(std::vector<ConnectToRule> rules) : rules_(std::move(rules)) {
  for (const ConnectToRule& r : rules_) curl_list_ = curl_slist_append(curl_list_, FormatConnectToRule(r).c_str());
}

ConnectToRoutes::~ConnectToRoutes() { curl_slist_free_all(curl_list_); }

HttpTransfer::HttpTransfer() : fast_path_enabled_(FastPathByDefault()) {}

CURL* HttpTransfer::Easy() {
  if (easy_) return easy_;
  // Made at the first need: a user whose requests all take the fast path never holds one
  // (~5 KiB each, which mattered at 100,000 users per worker).
  easy_ = curl_easy_init();
  if (!easy_) throw std::runtime_error("curl_easy_init failed");
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &HttpTransfer::OnHeader);
  curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &HttpTransfer::OnBody);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
  // JMeter does not verify certificates.
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(easy_, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy_, CURLOPT_MAXCONNECTS, 4L);
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  // Each handle owns a receive buffer (16 KiB by default): 8 KiB halves a virtual user's
  // footprint, which matters at 10,000 users, and still reads a typical response at once.
  curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, 8192L);
  if (connect_to_) curl_easy_setopt(easy_, CURLOPT_CONNECT_TO, connect_to_->curl_list());
  if (cookies_enabled_) curl_easy_setopt(easy_, CURLOPT_COOKIEFILE, "");
  return easy_;
}

HttpTransfer::~HttpTransfer() {
  if (resolving_) host_cache_->Cancel(&host_done_);
  if (resolve_) curl_slist_free_all(resolve_);
  if (mime_) curl_mime_free(mime_);
  if (headers_) curl_slist_free_all(headers_);
  if (easy_) curl_easy_cleanup(easy_);
}

void HttpTransfer::set_connect_to(const ConnectToRoutes* routes) {
  connect_to_ = routes;
  if (easy_) curl_easy_setopt(easy_, CURLOPT_CONNECT_TO, routes ? routes->curl_list() : nullptr);
}

void HttpTransfer::EnableCookies(bool jar) {
  cookies_enabled_ = true;
  use_jar_ = jar;
  if (!jar) curl_easy_setopt(Easy(), CURLOPT_COOKIEFILE, "");  // libcurl's engine: no fast path
}
void HttpTransfer::ClearCookies() {
  if (use_jar_) {
    jar_.Clear();
    curl_has_jar_ = false;
    return;
  }
  curl_easy_setopt(Easy(), CURLOPT_COOKIELIST, "ALL");
}
void HttpTransfer::AddCookie(const std::string& line) {
  if (use_jar_) {
    jar_.AddLine(line, WallMillis() / 1000);
    curl_has_jar_ = false;
    return;
  }
  curl_easy_setopt(Easy(), CURLOPT_COOKIELIST, line.c_str());
}
void HttpTransfer::SetFastCookies() {
  if (!use_jar_) return;
  fast_.set_cookie_header(
      jar_.HeaderFor(CookieHost(target_), target_.target, CookieSecure(target_), WallMillis() / 1000));
}
void HttpTransfer::PushJarToCurl() {
  if (curl_has_jar_) return;
  curl_easy_setopt(easy_, CURLOPT_COOKIELIST, "ALL");
  for (const std::string& line : jar_.NetscapeLines()) curl_easy_setopt(easy_, CURLOPT_COOKIELIST, line.c_str());
  curl_has_jar_ = true;
}
void HttpTransfer::PullJarFromCurl() {
  jar_.SyncFromListing(CurlCookieListing(), WallMillis() / 1000);
  curl_has_jar_ = true;
}
std::vector<std::string> HttpTransfer::CurlCookieListing() const {
  std::vector<std::string> lines;
  struct curl_slist* cookies = nullptr;
  if (!easy_ || curl_easy_getinfo(easy_, CURLINFO_COOKIELIST, &cookies) != CURLE_OK) return lines;
  for (struct curl_slist* l = cookies; l; l = l->next) lines.emplace_back(l->data);
  curl_slist_free_all(cookies);
  return lines;
}
void HttpTransfer::OnCurlSetCookie(std::string_view set_cookie) {
  std::vector<std::string> listing = CurlCookieListing();
  int64_t now_s = WallMillis() / 1000;
  if (use_jar_) {
    jar_.SyncFromListing(listing, now_s);
    curl_has_jar_ = true;
  }
  if (!record_stored_) return;
  std::string name, value;
  if (SetCookieNameValue(set_cookie, &name, &value)) {
    // What libcurl stored shows in its listing: a line that was not there before the header.
    bool changed = false, same_again = false, stored = false;
    for (const std::string& line : listing) {
      bool was = std::find(curl_listing_.begin(), curl_listing_.end(), line) != curl_listing_.end();
      changed |= !was;
      CookieJar probe;
      if (!probe.AddLine(line, now_s) || probe.cookies().empty()) continue;
      const JarCookie& c = probe.cookies().front();
      if (c.name != name || c.value != value || (c.expires != 0 && c.expires < now_s)) continue;
      if (!was) stored = true;
      same_again = true;
    }
    if (stored || (!changed && listing.size() == curl_listing_.size() && same_again)) stored_.emplace_back(name, value);
  }
  curl_listing_ = std::move(listing);
}
std::vector<std::string> HttpTransfer::CookieLines() const {
  if (use_jar_) return jar_.NetscapeLines();
  std::vector<std::string> lines;
  struct curl_slist* cookies = nullptr;
  if (!easy_ || curl_easy_getinfo(easy_, CURLINFO_COOKIELIST, &cookies) != CURLE_OK) return lines;
  for (struct curl_slist* c = cookies; c; c = c->next) lines.emplace_back(c->data);
  curl_slist_free_all(cookies);
  return lines;
}
void HttpTransfer::MergeCookiesFrom(const HttpTransfer& other) {
  if (use_jar_) {
    int64_t now_s = WallMillis() / 1000;
    for (const std::string& line : other.jar_.NetscapeLines()) jar_.AddLine(line, now_s);
    curl_has_jar_ = false;
    return;
  }
  struct curl_slist* cookies = nullptr;
  if (!other.easy_) return;  // it never had a cookie
  if (curl_easy_getinfo(other.easy_, CURLINFO_COOKIELIST, &cookies) != CURLE_OK) return;
  for (struct curl_slist* c = cookies; c; c = c->next) curl_easy_setopt(Easy(), CURLOPT_COOKIELIST, c->data);
  curl_slist_free_all(cookies);
}

size_t HttpTransfer::OnHeader(char* data, size_t size, size_t n, void* p) {
  auto* self = static_cast<HttpTransfer*>(p);
  size_t len = size * n;
  std::string_view line(data, len);
  // A new status line (after a redirect or 100-continue) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) self->response_headers_.clear();
  self->response_headers_.append(line);
  // libcurl has just stored (or deleted) the line's cookie: the jar follows it now, while the
  // creation order is still known (libcurl's listing has its hash order; a redirect chain
  // libcurl follows may set several).
  if ((self->use_jar_ || self->record_stored_) && self->cookies_enabled_ && len > 11 &&
      strncasecmp(data, "Set-Cookie:", 11) == 0) {
    std::string_view value = line.substr(11);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
    self->OnCurlSetCookie(value);
  }
  self->last_activity_us_ = MonotonicMicros();
  return len;
}

size_t HttpTransfer::OnBody(char* data, size_t size, size_t n, void* p) {
  auto* self = static_cast<HttpTransfer*>(p);
  size_t len = size * n;
  self->body_bytes_ += static_cast<int64_t>(len);
  if (self->keep_body_) self->body_.append(data, len);
  self->last_activity_us_ = MonotonicMicros();
  return len;
}

void HttpTransfer::Start(const HttpRequest& r, bool keep_body, EventLoop* loop, TransferHandler* handler) {
  response_headers_.clear();
  body_.clear();
  body_bytes_ = 0;
  keep_body_ = keep_body;
  timed_out_reading_ = false;
  error_[0] = '\0';
  refused_.clear();
  method_ = r.method;
  url_ = r.url;
  decoding_ = !r.accept_encoding.empty();

  request_headers_.clear();
  for (const std::string& h : r.headers) {
    if (!request_headers_.empty()) request_headers_ += '\n';
    request_headers_ += h;
  }

  stored_.clear();
  redirects_ = 0;
  hops_latency_us_ = hops_connect_us_ = hops_header_bytes_ = hops_request_bytes_ = 0;
  retry_offset_us_ = -1;
  start_wall_ms_ = WallMillis();
  start_mono_us_ = MonotonicMicros();
  last_activity_us_ = start_mono_us_;
  handler_ = handler;
  http2_record_ = r.http2_record;
  if (fast_path_enabled_ && (!cookies_enabled_ || use_jar_) &&
      !MayUseHttp2(StrongerHttp2Mode(r.http2, http2_default_), r.url) && FastPathSupports(r) &&
      ParseFastPathUrl(r.url, &target_, connect_to_ ? &connect_to_->rules() : nullptr) && FastTargetUsable(r)) {
    fast_active_ = true;
    if (r.follow_redirects) hop_request_ = r;  // to follow redirects from (GET or HEAD only)
    follow_ = r.follow_redirects;
    StartFast(r, loop, start_mono_us_);
    return;
  }
  StartCurl(r, loop, handler, 0);
}

bool HttpTransfer::FastTargetUsable(const HttpRequest& r) {
  // A DNS Cache Manager's entry (static table or custom servers, CURLOPT_RESOLVE) stays on
  // libcurl: a user of such a plan may alternate hosts whose addresses change between
  // iterations (jmeter_compat dns_servers), and JMeter's pool, like libcurl's, keeps a
  // kept-alive connection per host, where the fast path has one connection per user.
  if (!r.resolve.empty()) return false;
  if (target_.host_name.empty()) return true;  // a literal address
  if (host_cache_ == nullptr) return false;
  // A DNS Cache Manager in scope without an entry for the name (HttpManagerState sets
  // another timeout than libcurl's default, 60 s): its per-user cache is libcurl's handle's.
  return r.dns_cache_timeout_s == 60;
}

bool HttpTransfer::UseAddresses(const AddressList& addresses) {
  if (!addresses || addresses->empty()) return false;
  target_.address = addresses->front();
  target_.address_len = AddressLength(target_.address);
  reinterpret_cast<sockaddr_in*>(&target_.address)->sin_port = htons(target_.port);  // same offset in sockaddr_in6
  target_.more = addresses;
  target_.more_from = 1;
  return true;
}

void HttpTransfer::StartFast(const HttpRequest& r, EventLoop* loop, int64_t start_us) {
  if (target_.address_len == 0) {
    AddressList addresses;
    if (!host_cache_->Lookup(target_.host_name, start_us, &host_done_, ++resolve_token_, &addresses)) {
      // The loop's request buffer serves other users meanwhile: the request waits in a copy.
      if (&r != &hop_request_) hop_request_ = r;
      resolving_ = true;
      resolve_loop_ = loop;
      resolve_start_us_ = start_us;
      return;
    }
    if (!UseAddresses(addresses)) {
      fast_.Fail(CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: " + target_.host_name, loop, &fast_done_,
                 start_us);
      return;
    }
  }
  if (RefuseFastTarget(loop, start_us)) return;
  SetFastCookies();
  fast_.Start(r, target_, keep_body_ ? &body_ : nullptr, loop, &fast_done_, start_us);
}

bool HttpTransfer::RefuseFastTarget(EventLoop* loop, int64_t start_us) {
  if (policy_ == nullptr || (!target_.host_name.empty() && policy_->AllowsHost(target_.host_name, target_.port))) {
    return false;
  }
  const auto* first = reinterpret_cast<const sockaddr*>(&target_.address);
  const bool more = target_.more && target_.more->size() > target_.more_from;
  if (policy_->AllowsAddress(first, target_.port) && !more) return false;
  // Keep the addresses policy_ allows, in order.
  auto kept = std::make_shared<std::vector<sockaddr_storage>>();
  if (policy_->AllowsAddress(first, target_.port)) kept->push_back(target_.address);
  if (more) {
    for (size_t i = target_.more_from; i < target_.more->size(); ++i) {
      const sockaddr_storage& a = (*target_.more)[i];
      if (policy_->AllowsAddress(reinterpret_cast<const sockaddr*>(&a), target_.port)) kept->push_back(a);
    }
  }
  if (!kept->empty()) {
    const uint16_t port = target_.port;
    target_.address = kept->front();
    reinterpret_cast<sockaddr_in*>(&target_.address)->sin_port = htons(port);  // same offset in sockaddr_in6
    target_.address_len = AddressLength(target_.address);
    target_.more = std::move(kept);
    target_.more_from = 1;
    return false;
  }
  const std::string address = AddressText(first);
  refused_ = "barrage-worker allowed_targets: " +
             (target_.host_name.empty() ? TargetText(address, target_.port)
                                        : TargetText(target_.host_name, target_.port) + " (" + address + ")") +
             " is not allowed (allowed: " + policy_->Describe() + ")";
  fast_.Fail(CURLE_COULDNT_CONNECT, refused_, loop, &fast_done_, start_us);
  return true;
}

curl_socket_t HttpTransfer::OnOpenSocket(void* data, curlsocktype purpose, curl_sockaddr* address) {
  auto* d = static_cast<OpenSocketData*>(data);
  HttpTransfer* t = d->transfer;
  if (t->policy_ != nullptr && purpose == CURLSOCKTYPE_IPCXN &&
      (address->addr.sa_family == AF_INET || address->addr.sa_family == AF_INET6)) {
    // The port connected to (same offset in sockaddr_in6), and the host this connection is
    // for: the current hop's URL (libcurl updates it when it follows a redirect itself), or
    // the --connect-to rule's host.
    const int port = ntohs(reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_port);
    std::string host;
    int url_port = port;
    char* effective = nullptr;
    if (curl_easy_getinfo(t->easy_, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != nullptr) {
      if (std::optional<UrlTarget> target = UrlHostAndPort(effective)) {
        host = std::move(target->host);
        url_port = target->port;
      }
    }
    if (t->connect_to_ != nullptr && !host.empty()) {
      if (const ConnectToRule* rule = MatchConnectTo(t->connect_to_->rules(), host, url_port)) {
        if (!rule->connect_host.empty()) host = rule->connect_host;
      }
    }
    if (!t->policy_->Allows(host, &address->addr, port)) {
      const std::string text = AddressText(&address->addr);
      t->refused_ =
          "barrage-worker allowed_targets: " +
          (host.empty() || host == text || host == "[" + text + "]" ? TargetText(text, port)
                                                                    : TargetText(host, port) + " (" + text + ")") +
          " is not allowed (allowed: " + t->policy_->Describe() + ")";
      return CURL_SOCKET_BAD;
    }
    t->refused_.clear();  // an earlier address of the name was refused, this one is not
  }
  return EventLoop::OnCurlOpenSocket(d->loop, purpose, address);
}

void HttpTransfer::OnHostResolved(uint64_t token, const AddressList& addresses) {
  if (!resolving_ || token != resolve_token_) return;
  resolving_ = false;
  if (!UseAddresses(addresses)) {
    fast_.Fail(CURLE_COULDNT_RESOLVE_HOST, "Could not resolve host: " + target_.host_name, resolve_loop_, &fast_done_,
               resolve_start_us_);
    return;
  }
  if (RefuseFastTarget(resolve_loop_, resolve_start_us_)) return;
  SetFastCookies();
  fast_.Start(hop_request_, target_, keep_body_ ? &body_ : nullptr, resolve_loop_, &fast_done_, resolve_start_us_);
}

void HttpTransfer::StartCurl(const HttpRequest& r, EventLoop* loop, TransferHandler* handler, int redirects_done) {
  fast_active_ = false;
  Easy();
  if (curl_loop_ != loop) {
    curl_loop_ = loop;
    open_socket_ = OpenSocketData{loop, this};
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &HttpTransfer::OnOpenSocket);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, &open_socket_);
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETFUNCTION, &EventLoop::OnCurlCloseSocket);
    curl_easy_setopt(easy_, CURLOPT_CLOSESOCKETDATA, loop);
  }
  curl_easy_setopt(easy_, CURLOPT_MAXREDIRS, static_cast<long>(kMaxRedirects - redirects_done));
  last_activity_us_ = MonotonicMicros();  // for the response timeout of a chain handed over

  if (use_jar_) PushJarToCurl();
  if (record_stored_ && cookies_enabled_) curl_listing_ = CurlCookieListing();
  curl_easy_setopt(easy_, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, r.keep_alive ? 0L : 1L);
  // HTTP/2 (worker/http2_mode.h): PIPEWAIT makes a request wait for a connection being set up
  // to the same origin, to multiplex on it, rather than open one more. An h2c request on a
  // libcurl that cannot reuse such connections gets a connection of its own.
  const long http_version = CurlHttpVersion(StrongerHttp2Mode(r.http2, http2_default_), r.url);
  const bool own_connection =
      http_version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE && !CurlReusesPriorKnowledgeConnections();
  curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, http_version);
  curl_easy_setopt(easy_, CURLOPT_PIPEWAIT, http_version == CURL_HTTP_VERSION_1_1 || own_connection ? 0L : 1L);
  if (own_connection) curl_easy_setopt(easy_, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, r.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout_ms));
  curl_easy_setopt(easy_, CURLOPT_ACCEPT_ENCODING, r.accept_encoding.empty() ? nullptr : r.accept_encoding.c_str());
  // HTTPSampler.ipSource: "host!" binds to the address without resolving or looking up an interface.
  curl_easy_setopt(easy_, CURLOPT_INTERFACE, r.source_address.empty() ? nullptr : ("host!" + r.source_address).c_str());
  SetManagerOptions(r);

  // Method and body.
  curl_easy_setopt(easy_, CURLOPT_NOBODY, 0L);
  curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_easy_setopt(easy_, CURLOPT_MIMEPOST, nullptr);
  if (mime_) {
    curl_mime_free(mime_);
    mime_ = nullptr;
  }
  curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
  if (r.multipart) {
    mime_ = curl_mime_init(easy_);
    for (const MultipartPart& p : r.parts) {
      curl_mimepart* part = curl_mime_addpart(mime_);
      curl_mime_name(part, p.name.c_str());
      if (p.file_path.empty()) {
        curl_mime_data(part, p.value.data(), p.value.size());
      } else {
        // A missing file fails the transfer (curl: "read function error"), like JMeter's
        // FileNotFoundException fails the sample.
        curl_mime_filedata(part, p.file_path.c_str());
        if (!p.content_type.empty()) curl_mime_type(part, p.content_type.c_str());
      }
    }
    curl_easy_setopt(easy_, CURLOPT_MIMEPOST, mime_);
    if (r.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  } else if (r.method == "HEAD") {
    curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
  } else if (r.has_body || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(easy_, CURLOPT_COPYPOSTFIELDS, r.body.c_str());
    if (r.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  } else if (r.method != "GET") {
    curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  request_body_bytes_ = static_cast<int64_t>(r.body.size());

  if (headers_) {
    curl_slist_free_all(headers_);
    headers_ = nullptr;
  }
  bool has_content_type = false;
  for (const std::string& h : r.headers) {
    headers_ = curl_slist_append(headers_, h.c_str());
    if (strncasecmp(h.c_str(), "Content-Type:", 13) == 0) has_content_type = true;
  }
  if (!has_content_type && !r.multipart) {
    // curl would add its own form content type; JMeter sends the one it chose or none.
    std::string ct = "Content-Type:" + (r.content_type.empty() ? std::string() : " " + r.content_type);
    if (r.has_body || r.method == "POST") headers_ = curl_slist_append(headers_, ct.c_str());
  }
  // curl adds "Accept: */*" and Expect: 100-continue; JMeter sends neither.
  headers_ = curl_slist_append(headers_, "Accept:");
  headers_ = curl_slist_append(headers_, "Expect:");
  if (!r.keep_alive) headers_ = curl_slist_append(headers_, "Connection: close");
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, own_connection ? 1L : 0L);
  handler_ = handler;
  loop->StartTransfer(easy_, &curl_done_);
}

void HttpTransfer::SetManagerOptions(const HttpRequest& r) {
  // Authorization Manager: credentials for a Digest (or Basic) challenge.
  curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, r.http_auth != 0 ? r.http_auth : static_cast<long>(CURLAUTH_BASIC));
  curl_easy_setopt(easy_, CURLOPT_USERNAME, r.http_auth != 0 ? r.auth_user.c_str() : nullptr);
  curl_easy_setopt(easy_, CURLOPT_PASSWORD, r.http_auth != 0 ? r.auth_password.c_str() : nullptr);
  // DNS Cache Manager: a static entry stays in the handle's DNS cache until removed, so the
  // previous one is removed when it changes.
  if (r.resolve != resolve_entry_) {
    if (resolve_) curl_slist_free_all(resolve_);
    resolve_ = nullptr;
    if (!resolve_entry_.empty()) {
      size_t second_colon = resolve_entry_.find(':', resolve_entry_.find(':') + 1);
      resolve_ = curl_slist_append(resolve_, ("-" + resolve_entry_.substr(0, second_colon)).c_str());
    }
    if (!r.resolve.empty()) resolve_ = curl_slist_append(resolve_, r.resolve.c_str());
    resolve_entry_ = r.resolve;
    curl_easy_setopt(easy_, CURLOPT_RESOLVE, resolve_);
  }
  curl_easy_setopt(easy_, CURLOPT_DNS_CACHE_TIMEOUT, r.dns_cache_timeout_s);
  // Keystore: the user's client certificate and key (the run keeps them alive). libcurl
  // reuses a connection only for the same certificate.
  if (r.client_cert != client_cert_) {
    client_cert_ = r.client_cert;
    if (client_cert_ != nullptr) {
      curl_blob cert{const_cast<char*>(client_cert_->chain_pem.data()), client_cert_->chain_pem.size(),
                     CURL_BLOB_NOCOPY};
      curl_blob key{const_cast<char*>(client_cert_->key_pem.data()), client_cert_->key_pem.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(easy_, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(easy_, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(easy_, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(easy_, CURLOPT_SSLKEYTYPE, "PEM");
    } else {
      curl_easy_setopt(easy_, CURLOPT_SSLCERT_BLOB, nullptr);
      curl_easy_setopt(easy_, CURLOPT_SSLKEY_BLOB, nullptr);
    }
  }
}

void HttpTransfer::OnCurlDone(CURLcode code) {
  // libcurl retries a dead reused connection only when it reads nothing from it; a reset
  // (or a failed send) ends the transfer. Retried here like the fast path does.
  if (retry_offset_us_ < 0 && (code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING)) {
    long new_connections = -1, header_bytes = -1;
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &new_connections);
    curl_easy_getinfo(easy_, CURLINFO_HEADER_SIZE, &header_bytes);
    if (new_connections == 0 && header_bytes == 0 && body_bytes_ == 0) {
      int64_t now = MonotonicMicros();
      retry_offset_us_ = now - start_mono_us_;
      last_activity_us_ = now;
      response_headers_.clear();
      error_[0] = '\0';
      curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, 1L);
      curl_loop_->StartTransfer(easy_, &curl_done_);
      return;
    }
  }
  if (use_jar_) PullJarFromCurl();
  handler_->OnTransferDone(easy_, code);
}

void HttpTransfer::OnFastDone(CURLcode code) {
  Http1ResponseParser& response = fast_.response();
  if (use_jar_ && code == CURLE_OK) {
    jar_.AddFromResponse(response.headers(), CookieHost(target_), target_.target, CookieSecure(target_),
                         WallMillis() / 1000, record_stored_ ? &stored_ : nullptr);
    curl_has_jar_ = false;
  }
  int status = response.status();
  if (code != CURLE_OK || !follow_ || status < 300 || status > 399) {
    handler_->OnTransferDone(nullptr, code);
    return;
  }
  // Following a redirect, as libcurl's FOLLOWLOCATION does: times to the first byte and of
  // connects add up over the hops, as do header and request bytes; the body, the headers,
  // the code and the URL are the last response's.
  std::string_view location;
  {
    std::string_view headers = response.headers();
    size_t pos = 0;
    while (pos < headers.size() && location.empty()) {  // the first Location, as libcurl
      size_t eol = headers.find('\n', pos);
      std::string_view line = headers.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
      if (line.size() > 9 && strncasecmp(line.data(), "Location:", 9) == 0) {
        location = line.substr(9);
        while (!location.empty() && (location.front() == ' ' || location.front() == '\t')) location.remove_prefix(1);
        while (!location.empty() && (location.back() == '\r' || location.back() == ' ' || location.back() == '\t')) {
          location.remove_suffix(1);
        }
      }
      if (eol == std::string_view::npos) break;
      pos = eol + 1;
    }
  }
  if (location.empty()) {
    handler_->OnTransferDone(nullptr, code);
    return;
  }
  if (redirects_ >= kMaxRedirects) {
    std::snprintf(error_, sizeof error_, "Maximum (%d) redirects followed", kMaxRedirects);
    handler_->OnTransferDone(nullptr, CURLE_TOO_MANY_REDIRECTS);
    return;
  }
  std::string next;
  {
    CURLU* u = curl_url();
    std::string loc(location);
    char* out = nullptr;
    if (curl_url_set(u, CURLUPART_URL, url_.c_str(), 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, loc.c_str(), CURLU_ALLOW_SPACE) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
      next = out;
    }
    curl_free(out);
    curl_url_cleanup(u);
  }
  if (next.empty()) {
    handler_->OnTransferDone(nullptr, code);  // libcurl would not follow it either
    return;
  }
  ++redirects_;
  auto hop = [&](int64_t t) { return t > 0 ? std::max<int64_t>(1, t - fast_.start_us()) : 0; };
  hops_latency_us_ += hop(fast_.first_byte_us());
  hops_connect_us_ += hop(fast_.connected_us());
  hops_header_bytes_ += response.header_bytes();
  hops_request_bytes_ += fast_.request_bytes();
  body_.clear();
  url_ = std::move(next);
  hop_request_.url = url_;
  if (ParseFastPathUrl(url_, &target_, connect_to_ ? &connect_to_->rules() : nullptr) &&
      FastTargetUsable(hop_request_)) {
    StartFast(hop_request_, fast_.loop(), MonotonicMicros());
    return;
  }
  // The rest of the chain leaves the fast path (HTTPS, a name libcurl resolves, ...): libcurl takes it.
  StartCurl(hop_request_, fast_.loop(), handler_, redirects_);
}

namespace {

std::string ReasonPhrase(const std::string& headers) {
  // "HTTP/1.1 200 OK\r\n" -> "OK"
  size_t eol = headers.find_first_of("\r\n");
  std::string_view status(headers.data(), eol == std::string::npos ? headers.size() : eol);
  size_t sp1 = status.find(' ');
  if (sp1 == std::string_view::npos) return {};
  size_t sp2 = status.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return {};
  return std::string(status.substr(sp2 + 1));
}

bool IsTextType(std::string_view ct) {
  if (ct.empty()) return true;  // JMeter: unknown content is treated as text
  auto starts = [&](const char* p) { return strncasecmp(ct.data(), p, std::strlen(p)) == 0; };
  if (starts("image/") || starts("audio/") || starts("video/")) return false;
  if (starts("application/octet-stream") || starts("application/zip") || starts("application/pdf")) return false;
  return true;
}

}  // namespace

JavaException MapCurlError(CURLcode code, const std::string& host_port, bool connect_phase, const char* curl_message) {
  switch (code) {
    case CURLE_COULDNT_CONNECT: return {"java.net.ConnectException", "Connection refused"};
    case CURLE_INTERFACE_FAILED:
      // The source address (HTTPSampler.ipSource) cannot be bound: JDK 17's socket bind().
      return {"java.net.BindException", "Cannot assign requested address"};
    case CURLE_COULDNT_RESOLVE_HOST: {
      std::string host = host_port.substr(0, host_port.rfind(':'));
      return {"java.net.UnknownHostException", host + ": Name or service not known"};
    }
    case CURLE_OPERATION_TIMEDOUT:
      if (connect_phase) {
        return {"org.apache.http.conn.ConnectTimeoutException",
                "Connect to " + host_port + " failed: connect timed out"};
      }
      return {"java.net.SocketTimeoutException", "Read timed out"};
    case CURLE_GOT_NOTHING: return {"org.apache.http.NoHttpResponseException", host_port + " failed to respond"};
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return {"java.net.SocketException", "Connection reset"};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return {"javax.net.ssl.SSLException", curl_message && *curl_message ? curl_message : "SSL error"};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {"java.net.MalformedURLException", curl_message && *curl_message ? curl_message : "malformed URL"};
    case CURLE_WEIRD_SERVER_REPLY:
      // HttpClient's ProtocolException, wrapped as JMeter 2.13's HC4 sampler reports it.
      return {"org.apache.http.client.ClientProtocolException",
              std::string("org.apache.http.ProtocolException: ") +
                  (curl_message && *curl_message ? curl_message
                                                 : "The server failed to respond with a valid HTTP response")};
    case CURLE_TOO_MANY_REDIRECTS: return {"java.io.IOException", "Maximum number of redirects exceeded"};
    case CURLE_ABORTED_BY_CALLBACK:
      // A request a stop aborted (HttpTransfer::Cancel). JMeter's stop interrupts the HC4
      // sampler, whose abort() closes the connection under the reading thread.
      return {"java.net.SocketException", "Socket closed"};
    default: return {"java.io.IOException", curl_message && *curl_message ? curl_message : curl_easy_strerror(code)};
  }
}

void HttpTransfer::Cancel(EventLoop* loop, CURLcode code) {
  if (resolving_) {
    // The lookup goes on for others; this request ends now, as a fast-path one does.
    host_cache_->Cancel(&host_done_);
    resolving_ = false;
    fast_.Fail(code, {}, loop, &fast_done_, resolve_start_us_);
    fast_.Cancel(code);
    return;
  }
  if (fast_active_) {
    fast_.Cancel(code);
  } else if (easy_) {
    loop->CancelTransfer(easy_, code);
  }
}

void HttpTransfer::Finish(CURLcode code, SampleResult* result) {
  if (fast_active_) {
    FinishFast(code, result);
    return;
  }
  curl_off_t total = 0, first_byte = 0, connect = 0, app_connect = 0;
  curl_easy_getinfo(easy_, CURLINFO_TOTAL_TIME_T, &total);
  curl_easy_getinfo(easy_, CURLINFO_STARTTRANSFER_TIME_T, &first_byte);
  curl_easy_getinfo(easy_, CURLINFO_CONNECT_TIME_T, &connect);
  curl_easy_getinfo(easy_, CURLINFO_APPCONNECT_TIME_T, &app_connect);
  if (code != CURLE_OK || total <= 0) total = MonotonicMicros() - start_mono_us_;
  long header_bytes = 0, request_bytes = 0, status = 0;
  curl_easy_getinfo(easy_, CURLINFO_HEADER_SIZE, &header_bytes);
  curl_easy_getinfo(easy_, CURLINFO_REQUEST_SIZE, &request_bytes);
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  if (decoding_) {
    // JMeter 2.13 counts the body as received (HC4's connection metrics), compressed;
    // libcurl hands the write callback the decoded bytes and counts the received ones.
    curl_off_t received = 0;
    if (curl_easy_getinfo(easy_, CURLINFO_SIZE_DOWNLOAD_T, &received) == CURLE_OK) body_bytes_ = received;
  }
  char* effective = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective);
  result->sample.url = effective ? effective : "";
  if (redirects_ > 0) total = MonotonicMicros() - start_mono_us_;  // the chain began on the fast path
  curl_off_t connected = app_connect > connect ? app_connect : connect;
  if (retry_offset_us_ >= 0) {  // times count from the first attempt
    if (code == CURLE_OK && redirects_ == 0) total += retry_offset_us_;
    if (first_byte > 0) first_byte += retry_offset_us_;
    if (connected > 0) connected += retry_offset_us_;
  }
  FinishSample(code, result, &response_headers_, total, hops_latency_us_ + first_byte, hops_connect_us_ + connected,
               hops_header_bytes_ + header_bytes, hops_request_bytes_ + request_bytes, status, error_);
  long version = 0;
  if (code == CURLE_OK && curl_easy_getinfo(easy_, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
      version == CURL_HTTP_VERSION_2_0) {
    RecordHttp2Response(http2_record_, status, result);
  }
}

void HttpTransfer::FinishFast(CURLcode code, SampleResult* result) {
  Http1Connection& c = fast_;
  auto hop = [&](int64_t t) { return t > 0 ? std::max<int64_t>(1, t - c.start_us()) : 0; };
  Http1ResponseParser& response = c.response();
  body_bytes_ = response.body_bytes();
  result->sample.url = url_;
  const char* message = code == CURLE_TOO_MANY_REDIRECTS ? error_ : c.error().c_str();
  // The parser's header block goes to the result, which gives back its emptied buffer: a
  // user keeps one header buffer, and a response's headers cost no allocation.
  FinishSample(code, result, &response.mutable_headers(), std::max<int64_t>(1, c.end_us() - start_mono_us_),
               hops_latency_us_ + hop(c.first_byte_us()), hops_connect_us_ + hop(c.connected_us()),
               hops_header_bytes_ + response.header_bytes(), hops_request_bytes_ + c.request_bytes(), response.status(),
               message);
}

void HttpTransfer::FinishSample(CURLcode code, SampleResult* result, std::string* response_headers, int64_t total_us,
                                int64_t first_byte_us, int64_t connect_us, int64_t header_bytes, int64_t request_bytes,
                                long status, const char* curl_message) {
  Sample& s = result->sample;
  s.timestamp_ms = start_wall_ms_;
  s.elapsed_us = total_us;
  s.latency_us = first_byte_us;
  s.connect_us = connect_us;
  s.bytes = header_bytes + body_bytes_;
  s.sent_bytes = request_bytes;
  result->method = method_;
  // Swapped, not moved: the transfer keeps the result's emptied buffer for its next request.
  result->request_headers.swap(request_headers_);

  if (code == CURLE_OK) {
    s.response_code = std::to_string(status);
    s.response_message = ReasonPhrase(*response_headers);
    s.success = status >= 200 && status <= 399;
    result->response_headers.swap(*response_headers);
    result->content_type.assign(result->ResponseHeader("Content-Type"));
    s.data_type = IsTextType(result->content_type) ? "text" : "bin";
    // Moved: a body buffer kept per user would cost each waiting user its largest response.
    result->body = std::move(body_);
    return;
  }
  bool connect_phase = connect_us == 0 && code == CURLE_OPERATION_TIMEDOUT && first_byte_us == 0 && !timed_out_reading_;
  if (timed_out_reading_) code = CURLE_OPERATION_TIMEDOUT;
  JavaException ex = refused_.empty() ? MapCurlError(code, HostPort(url_), connect_phase, curl_message)
                                      : JavaException{"java.security.AccessControlException", refused_};
  s.response_code = "Non HTTP response code: " + ex.exception;
  s.response_message = "Non HTTP response message: " + ex.message;
  s.success = false;
  s.data_type = "text";
  result->response_headers.clear();
  // JMeter puts the stack trace in the body; the exception line is what tools read.
  result->body = ex.exception + ": " + ex.message;
}

}  // namespace barrage
