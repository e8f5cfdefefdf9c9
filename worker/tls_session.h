// The fast path's TLS client (OpenSSL 3): a non-blocking TLS layer over a connected socket
// that Http1Connection drives from its event-loop callbacks. Each call does what it can
// without blocking and says what it waits for (TlsIo::kWantRead / kWantWrite): the socket
// stays registered edge-triggered for both directions, so whichever edge comes next makes
// the connection call again.
//
// What goes on the wire is what Barrage's libcurl path (libcurl 7.88 on OpenSSL 3) sends for
// HttpTransfer's options, so a server sees the same client either way:
// - protocols and ciphers: OpenSSL's defaults (its openssl.cnf), as libcurl keeps them when no
//   CURLOPT_SSLVERSION / CURLOPT_SSL_CIPHER_LIST is set (Barrage sets neither: it does not
//   read JMeter's https.default.protocol, https.socket.protocols or https.cipherSuites);
//   libcurl's option bits (SSL_OP_ALL except the empty-fragment workaround, no compression)
//   and TLS 1.3 post-handshake authentication offered;
// - SNI: the URL's host, none for an IP literal (libcurl, and JMeter's HC4 sampler);
// - ALPN "http/1.1" (CURL_HTTP_VERSION_1_1);
// - no certificate verification (JMeter trusts all certificates);
// - session resumption from TlsSessionCache: a user's new connection to a target resumes the
//   session its previous one got, as libcurl's per-handle session cache does. libcurl keeps
//   its cache through https.use.cached.ssl.context=false iterations, and so does this.
// Client certificates (the Keystore Configuration) are not handled here: such requests stay
// on libcurl (FastPathSupports).
//
// Errors carry the text libcurl writes for the same failure (its CURLOPT_ERRORBUFFER), so
// MapCurlError words the sample the same on both paths.
//
// Threading: a TlsStream belongs to one connection on one event loop; the shared SSL_CTX is
// created once and is thread-safe.
#ifndef BARRAGE_WORKER_TLS_SESSION_H_
#define BARRAGE_WORKER_TLS_SESSION_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace barrage {

// A user's TLS sessions, by target (the last session per target; at most kMaxEntries
// targets, the least recently stored dropped first, like libcurl's cache of 5). Owns them.
class TlsSessionCache {
 public:
  static constexpr size_t kMaxEntries = 5;
  TlsSessionCache() = default;
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  SSL_SESSION* Find(std::string_view key) const;           // borrowed; null when none
  void Store(std::string_view key, SSL_SESSION* session);  // takes ownership
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string key;
    SSL_SESSION* session;
  };
  std::vector<Entry> entries_;  // oldest first
};

enum class TlsIo {
  kDone,       // the call did its work (handshake finished, bytes moved)
  kWantRead,   // call again when the socket is readable
  kWantWrite,  // call again when the socket is writable
  kClosed,     // the peer ended the TLS stream (close_notify, or a clean TCP end)
  kError,      // failed: see error() / socket_errno()
};

class TlsStream {
 public:
  TlsStream() = default;
  ~TlsStream();  // frees the SSL object (the socket is the caller's)
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Starts a client session over the connected socket `fd`. `sni`: the server name to send
  // ("" = none). `cache` / `cache_key`: where the session resumed from lives and where new
  // sessions go (the cache must outlive the stream). `peer` ("host:port", as libcurl names
  // it in errors). False when OpenSSL cannot set up (error() says why).
  bool Begin(int fd, const std::string& sni, TlsSessionCache* cache, std::string cache_key, std::string peer);
  // Drives the handshake. kError: error() is libcurl's text for the failed handshake.
  TlsIo Handshake();
  bool resumed() const;  // after the handshake: the session was resumed
  // Reads decrypted bytes. Returns the count (> 0) with kDone, or 0 with another TlsIo.
  size_t Read(char* buf, size_t size, TlsIo* io);
  // Writes; returns the bytes taken (> 0) with kDone, or 0 with another TlsIo.
  size_t Write(const char* buf, size_t size, TlsIo* io);
  // Ends the TLS stream as libcurl does (a close_notify sent, none awaited) and frees it;
  // the socket stays open (the caller closes it). No-op when not active.
  void Reset();
  bool active() const { return ssl_ != nullptr; }
  const std::string& error() const { return error_; }
  int socket_errno() const { return socket_errno_; }  // errno of a failed socket call, or 0
  int fd() const { return fd_; }
  void NoteSocketError(bool sending, int error);  // from the socket BIO

 private:
  friend int TlsNewSessionCallback(SSL* ssl, SSL_SESSION* session);
  TlsIo Fail(int ret, bool handshake);

  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool failed_send_ = false;
  TlsSessionCache* cache_ = nullptr;
  std::string cache_key_;
  std::string peer_;
  std::string error_;
  int socket_errno_ = 0;
};

// "OpenSSL/3.0.x": the library as libcurl names it in error texts.
const std::string& OpenSslVersionText();

}  // namespace barrage

#endif  // BARRAGE_WORKER_TLS_SESSION_H_
