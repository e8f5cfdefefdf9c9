#include "worker/http1_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"

namespace barrage {
namespace {

bool HeaderNamed(std::string_view header, std::string_view name) {
  return header.size() > name.size() && header[name.size()] == ':' &&
         strncasecmp(header.data(), name.data(), name.size()) == 0;
}

// libcurl sends a custom header only when something other than white space follows its colon.
bool HasValue(std::string_view header) {
  size_t colon = header.find(':');
  if (colon == std::string_view::npos) return false;
  for (size_t i = colon + 1; i < header.size(); ++i) {
    char c = header[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f') return true;
  }
  return false;
}

bool IsDotSegmentPath(std::string_view path) {
  size_t end = path.find('?');
  std::string_view p = path.substr(0, end);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '/' || i + 1 >= p.size() || p[i + 1] != '.') continue;
    size_t after = i + 2;
    if (after < p.size() && p[after] == '.') ++after;
    if (after == p.size() || p[after] == '/') return true;
  }
  return false;
}

// A DNS name libcurl sends as written and resolves as given: lower-case letters, digits, '-'
// and '.', labels not empty, the last one not all digits (libcurl reads "127.1" or "1.2.3"
// as an address, "0x7f.1" too: a digit first in the last label is left to libcurl).
bool IsPlainHostName(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') return false;
  char prev = '.';
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  size_t last = host.rfind('.');
  char first_of_last = host[last == std::string_view::npos ? 0 : last + 1];
  return !(first_of_last >= '0' && first_of_last <= '9');
}

}  // namespace

bool ParseFastPathUrl(std::string_view url, Http1Target* out, const std::vector<ConnectToRule>* connect_to) {
  bool tls = url.compare(0, 8, "https://") == 0;
  if (!tls && url.compare(0, 7, "http://") != 0) return false;
  std::string_view rest = url.substr(tls ? 8 : 7);
  const int default_port = tls ? 443 : 80;
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash);
  if (path.find('#') != std::string_view::npos || IsDotSegmentPath(path)) return false;
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;

  std::string_view host, port;
  bool v6 = authority[0] == '[';
  if (v6) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    std::string_view tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return false;
      port = tail.substr(1);
      if (port.empty()) return false;
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return false;
    }
  }
  int port_number = default_port;
  if (!port.empty()) {
    if (port.size() > 5) return false;
    port_number = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      port_number = port_number * 10 + (c - '0');
    }
    if (port_number < 1 || port_number > 65535 || port_number == default_port || port[0] == '0') {
      return false;
    }
  }
  std::string host_z(host);
  if (tls) {
    // SNI names the URL's host, never an IP literal (libcurl; JMeter's HC4 sampler too).
    in6_addr literal;
    bool is_literal = v6 || inet_pton(AF_INET, host_z.c_str(), &literal) == 1;
    out->sni = is_literal ? std::string() : host_z;
    out->tls_peer = host_z + ":" + std::to_string(port_number);
  } else {
    out->sni.clear();
    out->tls_peer.clear();
  }
  out->tls = tls;
  if (connect_to != nullptr) {
    if (const ConnectToRule* rule = MatchConnectTo(*connect_to, host, port_number)) {
      if (!rule->connect_host.empty()) {
        host_z = rule->connect_host;
        v6 = host_z.find(':') != std::string::npos;
      }
      if (rule->connect_port != 0) port_number = rule->connect_port;
    }
  }
  out->address = {};
  out->address_len = 0;
  out->more.reset();
  out->more_from = 0;
  out->host_name.clear();
  out->port = static_cast<uint16_t>(port_number);
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&out->address);
    if (inet_pton(AF_INET6, host_z.c_str(), &a->sin6_addr) != 1) return false;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port_number));
    out->address_len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&out->address);
    if (inet_pton(AF_INET, host_z.c_str(), &a->sin_addr) == 1) {
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(port_number));
      out->address_len = sizeof(sockaddr_in);
    } else if (IsPlainHostName(host_z)) {
      out->host_name = std::move(host_z);
    } else {
      return false;
    }
  }
  out->host_header.assign(authority);
  out->target = path;
  return true;
}

bool FastPathSupports(const HttpRequest& r) {
  if (r.multipart) return false;
  // Only codings ContentDecoder decodes: a server honouring the request sends nothing else.
  if (!r.accept_encoding.empty() && !AcceptsOnlyGzipOrDeflate(r.accept_encoding)) return false;
  if (r.http_auth != 0) return false;          // libcurl answers challenges
  if (r.client_cert != nullptr) return false;  // a keystore's client certificate: libcurl presents it
  if (r.follow_redirects && ((r.method != "GET" && r.method != "HEAD") || r.has_body)) return false;
  for (const std::string& h : r.headers) {
    for (std::string_view special : {"Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect", "TE"}) {
      if (HeaderNamed(h, special)) return false;
    }
  }
  return true;
}

Http1Connection::~Http1Connection() { CloseSocket(); }

void Http1Connection::CloseSocket() {
  tls_.Reset();
  if (fd_ >= 0) close(fd_);  // also leaves epoll
  fd_ = -1;
  state_ = State::kClosed;
}

void Http1Connection::Close() {
  if (!in_flight_) CloseSocket();
}

void Http1Connection::BuildRequest(const HttpRequest& r, const Http1Target& t) {
  // What libcurl sends for HttpTransfer's options: request line, Host, the custom headers in
  // order (blank ones left out), then Content-Length and its default Content-Type for a body.
  out_.clear();
  out_.append(r.method).append(" ").append(t.target).append(" HTTP/1.1\r\nHost: ").append(t.host_header).append("\r\n");
  if (!cookie_header_.empty()) out_.append("Cookie: ").append(cookie_header_).append("\r\n");
  bool has_content_type = false;
  for (const std::string& h : r.headers) {
    if (HeaderNamed(h, "Content-Type")) has_content_type = true;
    if (HasValue(h)) out_.append(h).append("\r\n");
  }
  bool content_type_entry = has_content_type;
  if (!has_content_type && (r.has_body || r.method == "POST")) {
    content_type_entry = true;  // HttpTransfer's "Content-Type:" entry (blank when none is chosen)
    if (!r.content_type.empty()) out_.append("Content-Type: ").append(r.content_type).append("\r\n");
  }
  if (!r.keep_alive) out_.append("Connection: close\r\n");
  bool body = !head_ && (r.has_body || r.method == "POST" || r.method == "PUT" || r.method == "PATCH");
  if (body) {
    out_.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
    if (!content_type_entry) out_.append("Content-Type: application/x-www-form-urlencoded\r\n");
  }
  out_.append("\r\n");
  if (body) out_.append(r.body);
}

void Http1Connection::Start(const HttpRequest& r, const Http1Target& t, std::string* body, EventLoop* loop,
                            TransferHandler* handler, int64_t start_us) {
  loop_ = loop;
  handler_ = handler;
  in_flight_ = true;
  deferred_ = false;
  ++token_;
  head_ = r.method == "HEAD";
  keep_alive_ = r.keep_alive;
  body_ = body;
  decode_ = !r.accept_encoding.empty();  // libcurl decodes only with CURLOPT_ACCEPT_ENCODING set
  parser_.Reset(head_, body_, decode_ ? &decoder_ : nullptr);
  BuildRequest(r, t);
  sent_ = 0;
  start_us_ = start_us;
  connected_us_ = first_byte_us_ = end_us_ = 0;
  last_activity_us_ = start_us;
  request_bytes_ = 0;
  connect_timeout_us_ = r.connect_timeout_ms * 1000;
  retried_ = false;
  code_ = CURLE_OK;
  error_.clear();

  in_start_ = true;
  // A request without a source address may reuse a bound connection, as libcurl's
  // ConnectionExists allows (it compares the interface only when the request names one).
  if (fd_ >= 0 && state_ == State::kIdle && host_header_ == t.host_header && tls_wanted_ == t.tls &&
      (r.source_address.empty() || source_ == r.source_address)) {
    reused_ = true;
    state_ = State::kSending;
    Send();
  } else {
    CloseSocket();
    reused_ = false;
    address_ = t.address;
    address_len_ = t.address_len;
    more_ = t.more;
    more_next_ = t.more_from;
    host_header_ = t.host_header;
    tls_wanted_ = t.tls;
    sni_ = t.sni;
    tls_peer_ = t.tls_peer;
    source_ = r.source_address;
    Connect();
  }
  in_start_ = false;
}

void Http1Connection::Connect() {
  fd_ = socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    ConnectFailed(errno);
    return;
  }
  if (!source_.empty()) {
    // HTTPSampler.ipSource (worker/source_address.h): bound before connecting, as libcurl's
    // CURLOPT_INTERFACE does; a failure is libcurl's CURLE_INTERFACE_FAILED.
    AddressList local = ParseAddressList(source_, 0);
    if (!local || bind(fd_, reinterpret_cast<const sockaddr*>(&local->front()), AddressLength(local->front())) != 0) {
      Complete(CURLE_INTERFACE_FAILED, local ? std::strerror(errno) : "bad source address");
      return;
    }
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!loop_->AddSocket(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this)) {
    ConnectFailed(errno);
    return;
  }
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address_), address_len_) == 0) {
    Connected();
    return;
  }
  if (errno != EINPROGRESS) {
    ConnectFailed(errno);
    return;
  }
  bool first_try = state_ != State::kConnecting;
  state_ = State::kConnecting;
  if (connect_timeout_us_ > 0 && first_try) loop_->AddTimer(start_us_ + connect_timeout_us_, this, token_);
}

void Http1Connection::ConnectFailed(int err) {
  if (more_ && more_next_ < more_->size()) {
    // The next of the name's addresses, as libcurl tries them; the connect timeout still
    // counts from the request's start.
    bool connecting = state_ == State::kConnecting;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    in_port_t port = reinterpret_cast<const sockaddr_in*>(&address_)->sin_port;  // same offset in sockaddr_in6
    address_ = (*more_)[more_next_++];
    reinterpret_cast<sockaddr_in*>(&address_)->sin_port = port;
    address_len_ = AddressLength(address_);
    if (connecting) state_ = State::kConnecting;
    Connect();
    return;
  }
  Complete(CURLE_COULDNT_CONNECT, std::strerror(err));
}

void Http1Connection::Connected() {
  connected_us_ = MonotonicMicros();
  if (tls_wanted_) {
    // The session cache key: the URL's host and port, and where the socket went.
    std::string key = host_header_;
    key.append(reinterpret_cast<const char*>(&address_), address_len_);
    if (!tls_.Begin(fd_, sni_, &tls_sessions_, std::move(key), tls_peer_)) {
      Complete(CURLE_SSL_CONNECT_ERROR, tls_.error());
      return;
    }
    state_ = State::kHandshaking;
    Handshake();
    return;
  }
  state_ = State::kSending;
  Send();
}

void Http1Connection::Handshake() {
  switch (tls_.Handshake()) {
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite: return;  // the next edge calls again; the connect timer runs on
    case TlsIo::kDone:
      connected_us_ = MonotonicMicros();
      state_ = State::kSending;
      Send();
      return;
    case TlsIo::kClosed:
    case TlsIo::kError:
      connected_us_ = 0;  // libcurl's connect time is 0 when the TLS handshake failed
      Complete(CURLE_SSL_CONNECT_ERROR, tls_.error());
      return;
  }
}

ssize_t Http1Connection::Write(const char* data, size_t size) {
  if (!tls_.active()) return send(fd_, data, size, MSG_NOSIGNAL);
  TlsIo io;
  size_t n = tls_.Write(data, size, &io);
  if (io == TlsIo::kDone) return static_cast<ssize_t>(n);
  errno =
      io == TlsIo::kWantRead || io == TlsIo::kWantWrite ? EAGAIN : (tls_.socket_errno() ? tls_.socket_errno() : EIO);
  return -1;
}

ssize_t Http1Connection::Read(char* buf, size_t size) {
  if (!tls_.active()) return recv(fd_, buf, size, 0);
  TlsIo io;
  size_t n = tls_.Read(buf, size, &io);
  if (io == TlsIo::kDone) return static_cast<ssize_t>(n);
  if (io == TlsIo::kClosed) return 0;
  errno =
      io == TlsIo::kWantRead || io == TlsIo::kWantWrite ? EAGAIN : (tls_.socket_errno() ? tls_.socket_errno() : EIO);
  return -1;
}

void Http1Connection::Send() {
  while (sent_ < out_.size()) {
    ssize_t n = Write(out_.data() + sent_, out_.size() - sent_);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)) return;  // wait for EPOLLOUT
    RetryOrFail(CURLE_SEND_ERROR, n < 0 ? std::strerror(errno) : "send failed");
    return;
  }
  request_bytes_ = static_cast<int64_t>(out_.size());
  state_ = State::kReceiving;
}

void Http1Connection::Receive(bool peer_closed) {
  char* buf = loop_->read_buffer();
  size_t size = loop_->read_buffer_size();
  while (true) {
    ssize_t n = Read(buf, size);
    if (n > 0) {
      int64_t now = MonotonicMicros();
      if (first_byte_us_ == 0) first_byte_us_ = now;
      last_activity_us_ = now;
      size_t got = static_cast<size_t>(n);
      size_t used = parser_.Feed(buf, got);
      if (parser_.state() == Http1ResponseParser::State::kError) {
        Complete(parser_.decode_failed() ? CURLE_BAD_CONTENT_ENCODING : CURLE_WEIRD_SERVER_REPLY, parser_.error());
        return;
      }
      if (parser_.done()) {
        // Bytes after the response mean the connection is out of step: do not reuse it.
        if (used < got || !parser_.keep_alive() || !keep_alive_) CloseSocket();
        Complete(CURLE_OK);
        return;
      }
      // A short read drained the socket: edge-triggered epoll reports the next bytes. When
      // the peer's close was already reported with them, read on to the end of the stream.
      // TLS returns a record at a time: read on until it waits for the socket.
      if (got < size && !peer_closed && !tls_.active()) return;
      continue;
    }
    if (n == 0) {
      parser_.FeedEof();
      if (parser_.done()) {
        CloseSocket();
        Complete(CURLE_OK);
      } else if (!parser_.received_any()) {
        RetryOrFail(CURLE_GOT_NOTHING, "Empty reply from server");
      } else {
        Complete(CURLE_PARTIAL_FILE, parser_.error());
      }
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (parser_.received_any()) {
      Complete(CURLE_RECV_ERROR, std::strerror(errno));
    } else {
      RetryOrFail(CURLE_RECV_ERROR, std::strerror(errno));
    }
    return;
  }
}

void Http1Connection::RetryOrFail(CURLcode code, std::string message) {
  // A reused connection the server had already closed: once more on a new connection.
  if (reused_ && !retried_ && !parser_.received_any()) {
    retried_ = true;
    reused_ = false;
    CloseSocket();
    parser_.Reset(head_, body_, decode_ ? &decoder_ : nullptr);
    if (body_) body_->clear();
    sent_ = 0;
    first_byte_us_ = 0;
    Connect();
    return;
  }
  Complete(code, std::move(message));
}

void Http1Connection::Complete(CURLcode code, std::string message) {
  end_us_ = MonotonicMicros();
  if (code != CURLE_OK) CloseSocket();
  if (fd_ >= 0) state_ = State::kIdle;
  in_flight_ = false;
  code_ = code;
  error_ = std::move(message);
  ++token_;  // the connect timer, if any, is stale now
  if (in_start_) {
    deferred_ = true;  // never call back into the user from inside its own Start
    loop_->AddTimer(end_us_, this, token_);
    return;
  }
  handler_->OnTransferDone(nullptr, code);
}

void Http1Connection::Fail(CURLcode code, std::string message, EventLoop* loop, TransferHandler* handler,
                           int64_t start_us) {
  loop_ = loop;
  handler_ = handler;
  in_flight_ = false;
  parser_.Reset(false, nullptr);
  start_us_ = start_us;
  connected_us_ = first_byte_us_ = 0;
  end_us_ = MonotonicMicros();
  last_activity_us_ = end_us_;
  request_bytes_ = 0;
  code_ = code;
  error_ = std::move(message);
  deferred_ = true;
  loop_->AddTimer(end_us_, this, ++token_);
}

void Http1Connection::Cancel(CURLcode code) {
  if (!in_flight_ && !deferred_) return;
  CloseSocket();
  in_flight_ = false;
  deferred_ = false;
  ++token_;
  end_us_ = MonotonicMicros();
  code_ = code;
  handler_->OnTransferDone(nullptr, code);
}

void Http1Connection::OnTimer(int64_t, uint64_t token) {
  if (token != token_) return;
  if (deferred_) {
    deferred_ = false;
    handler_->OnTransferDone(nullptr, code_);
    return;
  }
  // libcurl's connect timeout covers the TLS handshake too.
  if (in_flight_ && state_ == State::kConnecting) Complete(CURLE_OPERATION_TIMEDOUT, "connect timed out");
  if (in_flight_ && state_ == State::kHandshaking) {
    connected_us_ = 0;  // as libcurl: a connect timeout, its connect time 0
    Complete(CURLE_OPERATION_TIMEDOUT, "SSL connection timeout");
  }
}

void Http1Connection::OnSocketEvent(uint32_t events) {
  switch (state_) {
    case State::kConnecting: {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) {
        ConnectFailed(err);
        return;
      }
      Connected();
      return;
    }
    case State::kHandshaking: Handshake(); return;
    case State::kSending:
      // TLS may wait for either direction.
      if (tls_.active() || (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) Send();
      if (state_ == State::kReceiving && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        Receive((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
      }
      return;
    case State::kReceiving:
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        Receive((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
      return;
    case State::kIdle: {
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        CloseSocket();  // the server closed the idle connection
        return;
      }
      if (!(events & EPOLLIN)) return;
      if (tls_.active()) {
        // TLS records other than data (a late session ticket) leave the connection usable.
        ssize_t n = Read(loop_->read_buffer(), loop_->read_buffer_size());
        if (n < 0 && errno == EAGAIN) return;
        CloseSocket();
        return;
      }
      // Usually a late edge for bytes already read; anything readable now (data or end of
      // stream) means the connection cannot carry another request.
      char probe;
      ssize_t n = recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      CloseSocket();
      return;
    }
    case State::kClosed: return;
  }
}

}  // namespace barrage
