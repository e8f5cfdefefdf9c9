#include "worker/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace barrage {

int TlsNewSessionCallback(SSL* ssl, SSL_SESSION* session) {
  auto* stream = static_cast<TlsStream*>(SSL_get_app_data(ssl));
  if (stream == nullptr || stream->cache_ == nullptr) return 0;
  stream->cache_->Store(stream->cache_key_, session);
  return 1;  // the cache owns the reference now
}

namespace {

// One context for all fast-path connections, set up as libcurl 7.88's ossl_connect_step1
// sets up its per-connection context for HttpTransfer's options (see the header).
SSL_CTX* ClientContext() {
  static SSL_CTX* const ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    if (c == nullptr) throw std::runtime_error("TLS client context setup failed (SSL_CTX_new)");
    uint64_t options = SSL_OP_ALL | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;
    options &= ~static_cast<uint64_t>(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS);
    SSL_CTX_set_options(c, options);
    static const unsigned char kAlpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(c, kAlpn, sizeof kAlpn - 1);
    SSL_CTX_set_post_handshake_auth(c, 1);
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    // Not on the wire: a read takes whatever the socket holds (fewer recv calls per
    // response), and an idle connection gives its record buffers back (10,000 paced users
    // over TLS: 449 instead of 561 MiB peak RSS, bench/RESULTS.md).
    SSL_CTX_set_read_ahead(c, 1);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(c, &TlsNewSessionCallback);
    return c;
  }();
  return ctx;
}

// The socket under a TlsStream: send(MSG_NOSIGNAL) and recv, as libcurl's own BIO does (a
// close_notify written to a connection the server has closed must not raise SIGPIPE). The
// stream learns which call failed: libcurl's text names it.
int BioWrite(BIO* bio, const char* data, int size) {
  auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n = send(stream->fd(), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      BIO_set_retry_write(bio);
    } else {
      stream->NoteSocketError(/*sending=*/true, errno);
    }
  }
  return static_cast<int>(n);
}

int BioRead(BIO* bio, char* buf, int size) {
  auto* stream = static_cast<TlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  ssize_t n = recv(stream->fd(), buf, static_cast<size_t>(size), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      BIO_set_retry_read(bio);
    } else {
      stream->NoteSocketError(/*sending=*/false, errno);
    }
  }
  return static_cast<int>(n);
}

long BioCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "barrage socket");
    if (m == nullptr) throw std::runtime_error("TLS client setup failed (BIO_meth_new)");
    BIO_meth_set_write(m, &BioWrite);
    BIO_meth_set_read(m, &BioRead);
    BIO_meth_set_ctrl(m, &BioCtrl);
    return m;
  }();
  return method;
}

const char* SslErrorName(int code) {
  switch (code) {
    case SSL_ERROR_NONE: return "SSL_ERROR_NONE";
    case SSL_ERROR_SSL: return "SSL_ERROR_SSL";
    case SSL_ERROR_WANT_READ: return "SSL_ERROR_WANT_READ";
    case SSL_ERROR_WANT_WRITE: return "SSL_ERROR_WANT_WRITE";
    case SSL_ERROR_WANT_X509_LOOKUP: return "SSL_ERROR_WANT_X509_LOOKUP";
    case SSL_ERROR_SYSCALL: return "SSL_ERROR_SYSCALL";
    case SSL_ERROR_ZERO_RETURN: return "SSL_ERROR_ZERO_RETURN";
    case SSL_ERROR_WANT_CONNECT: return "SSL_ERROR_WANT_CONNECT";
    case SSL_ERROR_WANT_ACCEPT: return "SSL_ERROR_WANT_ACCEPT";
    default: return "SSL_ERROR unknown";
  }
}

// libcurl's ossl_strerror: "OpenSSL/<version>: error:<code>:<lib>::<reason>".
std::string OpenSslErrorText(unsigned long code) {
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return OpenSslVersionText() + ": " + buf;
}

}  // namespace

const std::string& OpenSslVersionText() {
  static const std::string text = std::string("OpenSSL/") + OpenSSL_version(OPENSSL_VERSION_STRING);
  return text;
}

TlsSessionCache::~TlsSessionCache() {
  for (Entry& e : entries_) SSL_SESSION_free(e.session);
}

SSL_SESSION* TlsSessionCache::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.session;
  }
  return nullptr;
}

void TlsSessionCache::Store(std::string_view key, SSL_SESSION* session) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].key != key) continue;
    SSL_SESSION_free(entries_[i].session);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  if (entries_.size() >= kMaxEntries) {
    SSL_SESSION_free(entries_.front().session);
    entries_.erase(entries_.begin());
  }
  entries_.push_back(Entry{std::string(key), session});
}

TlsStream::~TlsStream() { Reset(); }

void TlsStream::Reset() {
  if (ssl_ == nullptr) return;
  // libcurl's ossl_close: read a close_notify the server may have sent, send one (without
  // waiting for anything), then free. Freeing without a sent close_notify would also make
  // OpenSSL invalidate the session (ssl_clear_bad_session), so it could not be resumed.
  char buf[32];
  (void)SSL_read(ssl_, buf, static_cast<int>(sizeof buf));
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
  SSL_free(ssl_);
  ssl_ = nullptr;
}

bool TlsStream::Begin(int fd, const std::string& sni, TlsSessionCache* cache, std::string cache_key, std::string peer) {
  Reset();
  error_.clear();
  socket_errno_ = 0;
  cache_ = cache;
  cache_key_ = std::move(cache_key);
  peer_ = std::move(peer);
  ERR_clear_error();
  fd_ = fd;
  failed_send_ = false;
  ssl_ = SSL_new(ClientContext());
  BIO* bio = ssl_ != nullptr ? BIO_new(SocketBioMethod()) : nullptr;
  if (bio == nullptr || (!sni.empty() && SSL_set_tlsext_host_name(ssl_, sni.c_str()) != 1)) {
    error_ = OpenSslErrorText(ERR_get_error());
    if (bio != nullptr) BIO_free(bio);
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    return false;
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_app_data(ssl_, this);
  SSL_set_connect_state(ssl_);
  if (cache_ != nullptr) {
    if (SSL_SESSION* s = cache_->Find(cache_key_)) SSL_set_session(ssl_, s);
  }
  return true;
}

TlsIo TlsStream::Handshake() {
  ERR_clear_error();
  socket_errno_ = 0;
  int ret = SSL_connect(ssl_);
  if (ret == 1) return TlsIo::kDone;
  return Fail(ret, /*handshake=*/true);
}

bool TlsStream::resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

size_t TlsStream::Read(char* buf, size_t size, TlsIo* io) {
  ERR_clear_error();
  socket_errno_ = 0;
  size_t n = 0;
  int ret = SSL_read_ex(ssl_, buf, size, &n);
  if (ret == 1) {
    *io = TlsIo::kDone;
    return n;
  }
  *io = Fail(ret, /*handshake=*/false);
  return 0;
}

size_t TlsStream::Write(const char* buf, size_t size, TlsIo* io) {
  ERR_clear_error();
  socket_errno_ = 0;
  size_t n = 0;
  int ret = SSL_write_ex(ssl_, buf, size, &n);
  if (ret == 1) {
    *io = TlsIo::kDone;
    return n;
  }
  *io = Fail(ret, /*handshake=*/false);
  return 0;
}

void TlsStream::NoteSocketError(bool sending, int error) {
  socket_errno_ = error;
  failed_send_ = sending;
}

TlsIo TlsStream::Fail(int ret, bool handshake) {
  int code = SSL_get_error(ssl_, ret);
  if (code == SSL_ERROR_WANT_READ) return TlsIo::kWantRead;
  if (code == SSL_ERROR_WANT_WRITE) return TlsIo::kWantWrite;
  unsigned long detail = ERR_get_error();
  int saved_errno = code == SSL_ERROR_SYSCALL ? socket_errno_ : 0;
  if (!handshake) {
    if (code == SSL_ERROR_ZERO_RETURN) return TlsIo::kClosed;
    if (code == SSL_ERROR_SYSCALL && detail == 0 && saved_errno == 0) return TlsIo::kClosed;
    if (ERR_GET_LIB(detail) == ERR_LIB_SSL && ERR_GET_REASON(detail) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      return TlsIo::kClosed;  // a TCP end without close_notify: HTTP decides whether it was complete
    }
  }
  // libcurl's texts: ossl_connect_step2 for the handshake, ossl_recv/ossl_send afterwards.
  if (detail != 0) {
    error_ = OpenSslErrorText(detail);
  } else if (handshake && saved_errno != 0) {
    // libcurl's socket layer reports the failed call first, and its error buffer keeps the
    // first message.
    error_ = std::string(failed_send_ ? "Send failure: " : "Recv failure: ") + std::strerror(saved_errno);
  } else if (handshake) {
    error_ = std::string("OpenSSL SSL_connect: ") + SslErrorName(code) + " in connection to " + peer_ + " ";
  } else {
    error_ = saved_errno != 0 ? std::strerror(saved_errno) : SslErrorName(code);
  }
  return TlsIo::kError;
}

}  // namespace barrage
