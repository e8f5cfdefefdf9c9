// HTTPS on the fast path (Http1Connection over worker/tls_session.h) side by side with
// libcurl against a loopback TLS server: the same ClientHello (ciphers, extensions, SNI,
// ALPN), the same decrypted request bytes, the same Sample fields, session resumption on a
// user's new connections, and the same sample texts for TLS failures.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/worker/tls_test_util.h"
#include "tests/worker/transfer_test_util.h"
#include "worker/client_keystore.h"
#include "worker/event_loop.h"
#include "worker/http1_connection.h"
#include "worker/http_transfer.h"

namespace barrage {
namespace {

// What the server does with a connection.
enum class Mode {
  kHttp,          // TLS, then each request read takes the next reply (keep-alive)
  kPlainReply,    // answers the ClientHello with plain-text HTTP (not TLS), then closes
  kReset,         // reads the ClientHello, then resets the connection
  kClose,         // reads the ClientHello, then closes the connection
  kSilent,        // reads the ClientHello and never answers
  kResetMidBody,  // TLS, reads the request, sends part of a response, then resets
  kEofNoReply,    // TLS, reads the request, closes the TCP connection (no close_notify)
  kEofMidBody,    // TLS, reads the request, sends part of a response, closes (no close_notify)
};

// What one TLS connection showed of the client.
struct Hello {
  std::string ciphers;          // the ClientHello's cipher suite list (wire bytes)
  std::vector<int> extensions;  // extension types present
  std::string sni;              // "" = none sent
  std::string alpn;             // the ALPN list offered (wire form)
  bool resumed = false;
};

// HTTPS on 127.0.0.1 (an ephemeral port), one connection at a time, with a self-signed
// certificate. Stopped and joined by the destructor; every wait is bounded.
class TlsServer {
 public:
  TlsServer(Mode mode, std::vector<std::string> replies, bool close_after_each = false)
      : mode_(mode), replies_(std::move(replies)), close_after_each_(close_after_each) {
    tls_test::Identity id = tls_test::MakeIdentity("server", "127.0.0.1");
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, id.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, id.key.get());
    SSL_CTX_set_client_hello_cb(ctx_, &TlsServer::OnHello, this);
    SSL_CTX_set_alpn_select_cb(ctx_, &TlsServer::OnAlpn, this);
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<Hello> hellos() {
    std::lock_guard<std::mutex> lock(mu_);
    return hellos_;
  }

 private:
  static int OnHello(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsServer*>(arg);
    Hello h;
    const unsigned char* data = nullptr;
    size_t n = SSL_client_hello_get0_ciphers(ssl, &data);
    h.ciphers.assign(reinterpret_cast<const char*>(data), n);
    int* types = nullptr;
    size_t count = 0;
    if (SSL_client_hello_get1_extensions_present(ssl, &types, &count) == 1) {
      h.extensions.assign(types, types + count);
      OPENSSL_free(types);
    }
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &n) == 1 && n > 5) {
      h.sni.assign(reinterpret_cast<const char*>(data) + 5, n - 5);  // list length, type, name length
    }
    std::lock_guard<std::mutex> lock(self->mu_);
    self->hellos_.push_back(h);
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  static int OnAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                    unsigned int in_len, void* arg) {
    auto* self = static_cast<TlsServer*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      if (!self->hellos_.empty()) self->hellos_.back().alpn.assign(reinterpret_cast<const char*>(in), in_len);
    }
    *out = in + 1;
    *out_len = in[0];
    return SSL_TLSEXT_ERR_OK;
  }
  bool WaitReadable(int fd) {
    for (int i = 0; i < 100 && !stop_; ++i) {  // at most 10 s
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) return true;
    }
    return false;
  }
  static void Reset(int fd) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  void Serve() {
    size_t next = 0;
    while (!stop_) {
      if (!WaitReadable(listen_fd_)) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      bool tls = mode_ == Mode::kHttp || mode_ == Mode::kResetMidBody || mode_ == Mode::kEofNoReply ||
                 mode_ == Mode::kEofMidBody;
      if (!tls) {
        char buf[4096];
        if (WaitReadable(fd)) {
          ssize_t r = read(fd, buf, sizeof buf);  // the ClientHello
          (void)r;
        }
        if (mode_ == Mode::kPlainReply) {
          static const char kPlain[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
          ssize_t w = write(fd, kPlain, sizeof kPlain - 1);
          (void)w;
        } else if (mode_ == Mode::kReset) {
          Reset(fd);
        } else if (mode_ == Mode::kSilent) {
          while (!stop_) {  // kSilent: until the client gives up
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 50) > 0) {
              ssize_t r = read(fd, buf, sizeof buf);
              if (r <= 0) break;
            }
          }
        }
        close(fd);
        continue;
      }
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!hellos_.empty()) hellos_.back().resumed = SSL_session_reused(ssl) == 1;
        }
        std::string in;
        bool open = true;
        while (open && !stop_) {
          size_t head_end;
          while ((head_end = in.find("\r\n\r\n")) == std::string::npos && open) open = ReadMore(ssl, &in);
          if (!open) break;
          size_t length = 0;
          if (size_t cl = in.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
            length = std::stoul(in.substr(cl + 16));
          }
          while (in.size() < head_end + 4 + length && open) open = ReadMore(ssl, &in);
          if (!open) break;
          {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back(in.substr(0, head_end + 4 + length));
          }
          in.erase(0, head_end + 4 + length);
          if (mode_ != Mode::kHttp) {
            static const char kPart[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial";
            if (mode_ != Mode::kEofNoReply) SSL_write(ssl, kPart, sizeof kPart - 1);
            if (mode_ == Mode::kResetMidBody) Reset(fd);
            break;
          }
          if (next >= replies_.size()) break;
          const std::string& reply = replies_[next++];
          SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
          if (close_after_each_) {
            SSL_shutdown(ssl);
            break;
          }
        }
      }
      ERR_clear_error();
      SSL_free(ssl);
      close(fd);
    }
  }
  bool ReadMore(SSL* ssl, std::string* in) {
    // Bounded, and ends at once when the server stops (libcurl keeps its connection open).
    if (SSL_pending(ssl) == 0 && !WaitReadable(SSL_get_fd(ssl))) return false;
    char buf[16384];
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return false;
    in->append(buf, static_cast<size_t>(n));
    return true;
  }

  Mode mode_;
  std::vector<std::string> replies_;
  bool close_after_each_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<Hello> hellos_;
  std::thread thread_;
};

using transfer_test::Done;
using transfer_test::kOk;

class TlsFastPathTest : public ::testing::Test {
 protected:
  // Runs one request to completion (bounded: 10 s) and returns what the sampler records.
  SampleResult Run(HttpTransfer& t, const HttpRequest& r) { return transfer_test::RunTransfer(loop_, t, r); }
  static HttpRequest Get(const std::string& url) { return transfer_test::GetRequest(url); }
  static std::string WithoutPort(std::string text, int port) {
    std::string p = std::to_string(port);
    for (size_t at; (at = text.find(p)) != std::string::npos;) text.replace(at, p.size(), "PORT");
    return text;
  }

  EventLoop loop_;
};

TEST_F(TlsFastPathTest, SendsWhatLibcurlSendsAndRecordsTheSameFields) {
  std::vector<HttpRequest> requests;
  requests.push_back(Get("/a?x=1"));
  HttpRequest head = Get("/head");
  head.method = "HEAD";
  requests.push_back(head);
  HttpRequest form = Get("/form");
  form.method = "POST";
  form.body = "q=a+b";
  form.has_body = true;
  form.content_type = "application/x-www-form-urlencoded";
  form.headers = {"X-One: 1", "User-Agent: barrage-test"};
  requests.push_back(form);
  HttpRequest big = Get("/big");
  big.method = "PUT";
  big.has_body = true;
  big.body = std::string(50'000, 'b');
  requests.push_back(big);
  const std::string large_reply =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" +
      std::string(100'000, 'z');

  for (const HttpRequest& base : requests) {
    std::vector<std::string> wire[2];
    size_t wire_size[2] = {0, 0};
    std::vector<Hello> hellos[2];
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      TlsServer server(Mode::kHttp, {base.url == "/big" ? large_reply : kOk});
      HttpRequest r = base;
      r.url = server.url(base.url);
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1) << base.url;
      for (const std::string& w : server.requests()) {
        wire_size[fast] = w.size();
        wire[fast].push_back(WithoutPort(w, server.port()));
      }
      hellos[fast] = server.hellos();
      results[fast].sample.url = WithoutPort(results[fast].sample.url, server.port());
    }
    ASSERT_EQ(wire[0].size(), 1u) << base.url;
    ASSERT_EQ(wire[1].size(), 1u) << base.url;
    EXPECT_EQ(wire[1][0], wire[0][0]) << base.method << " " << base.url;
    ASSERT_EQ(hellos[0].size(), 1u);
    ASSERT_EQ(hellos[1].size(), 1u);
    EXPECT_EQ(hellos[1][0].ciphers, hellos[0][0].ciphers);
    EXPECT_EQ(hellos[1][0].extensions, hellos[0][0].extensions);
    EXPECT_EQ(hellos[1][0].sni, "");  // an IP literal: no SNI
    EXPECT_EQ(hellos[0][0].sni, "");
    EXPECT_EQ(hellos[1][0].alpn, std::string("\x08http/1.1"));
    EXPECT_EQ(hellos[0][0].alpn, std::string("\x08http/1.1"));
    const Sample& c = results[0].sample;
    const Sample& f = results[1].sample;
    EXPECT_EQ(f.response_code, "200") << base.url;
    EXPECT_EQ(f.response_code, c.response_code) << base.url;
    EXPECT_EQ(f.response_message, c.response_message) << base.url;
    EXPECT_EQ(f.success, c.success) << base.url;
    EXPECT_EQ(f.bytes, c.bytes) << base.url;
    EXPECT_EQ(f.sent_bytes, static_cast<int64_t>(wire_size[1])) << base.url;
    EXPECT_EQ(f.sent_bytes, c.sent_bytes) << base.url;
    EXPECT_EQ(f.url, "https://127.0.0.1:PORT" + base.url);
    EXPECT_EQ(f.url, c.url) << base.url;
    EXPECT_EQ(f.data_type, c.data_type) << base.url;
    EXPECT_EQ(results[1].response_headers, results[0].response_headers) << base.url;
    EXPECT_EQ(results[1].body, results[0].body) << base.url;
    EXPECT_GT(f.connect_us, 0) << base.url;
    EXPECT_GE(f.latency_us, f.connect_us) << base.url;
    EXPECT_GE(f.elapsed_us, f.latency_us) << base.url;
  }
}

// A user's connections: kept alive (Connect 0, one handshake), and after the server closed
// one, a new connection that resumes the session, on both paths.
TEST_F(TlsFastPathTest, KeepsConnectionsAliveAndResumesSessionsLikeLibcurl) {
  for (int fast = 0; fast < 2; ++fast) {
    TlsServer server(Mode::kHttp, {kOk, kOk, kOk});
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    SampleResult first = Run(t, Get(server.url("/1")));
    SampleResult second = Run(t, Get(server.url("/2")));
    EXPECT_EQ(t.used_fast_path(), fast == 1);
    EXPECT_EQ(first.sample.response_code, "200");
    EXPECT_EQ(second.sample.response_code, "200");
    EXPECT_GT(first.sample.connect_us, 0);
    EXPECT_EQ(second.sample.connect_us, 0) << fast;
    EXPECT_EQ(server.hellos().size(), 1u) << fast;
  }
  std::vector<bool> resumed[2];
  for (int fast = 0; fast < 2; ++fast) {
    TlsServer server(Mode::kHttp, {kOk, kOk, kOk}, /*close_after_each=*/true);
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    for (int i = 0; i < 3; ++i) {
      SampleResult r = Run(t, Get(server.url("/" + std::to_string(i))));
      EXPECT_EQ(r.sample.response_code, "200") << fast << " " << i;
      EXPECT_GT(r.sample.connect_us, 0) << fast << " " << i;
    }
    for (const Hello& h : server.hellos()) resumed[fast].push_back(h.resumed);
  }
  EXPECT_EQ(resumed[1], (std::vector<bool>{false, true, true}));
  EXPECT_EQ(resumed[1], resumed[0]);
}

// Failures: the same sample texts as libcurl's (MapCurlError over the same CURLcode and text).
TEST_F(TlsFastPathTest, FailuresGiveLibcurlsSampleTexts) {
  struct Case {
    Mode mode;
    std::string code;     // the exception in the response code
    std::string message;  // the response message ("PORT" for the server's port)
  };
  const std::string ssl = "javax.net.ssl.SSLException";
  for (const Case& k : std::vector<Case>{
           {Mode::kPlainReply, ssl, OpenSslVersionText() + ": error:0A00010B:SSL routines::wrong version number"},
           {Mode::kReset, ssl, "Recv failure: Connection reset by peer"},
           {Mode::kClose, ssl, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to 127.0.0.1:PORT "},
           // libcurl's connect timeout covers the handshake, and its connect time stays 0.
           {Mode::kSilent, "org.apache.http.conn.ConnectTimeoutException",
            "Connect to 127.0.0.1:PORT failed: connect timed out"},
           {Mode::kResetMidBody, "java.net.SocketException", "Connection reset"},
           {Mode::kEofNoReply, "org.apache.http.NoHttpResponseException", "127.0.0.1:PORT failed to respond"},
           {Mode::kEofMidBody, "java.net.SocketException", "Connection reset"}}) {
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      TlsServer server(k.mode, {});
      HttpRequest r = Get(server.url("/x"));
      // Only the silent server waits for the timeout: a loaded machine may take long to handshake.
      r.connect_timeout_ms = k.mode == Mode::kSilent ? 300 : 0;
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1);
      results[fast].sample.response_message = WithoutPort(results[fast].sample.response_message, server.port());
      results[fast].body = WithoutPort(results[fast].body, server.port());
    }
    const Sample& c = results[0].sample;
    const Sample& f = results[1].sample;
    int mode = static_cast<int>(k.mode);
    EXPECT_EQ(f.response_code, "Non HTTP response code: " + k.code) << mode;
    EXPECT_EQ(f.response_code, c.response_code) << mode;
    EXPECT_EQ(f.response_message, c.response_message) << mode;
    EXPECT_EQ(results[1].body, results[0].body) << mode;
    EXPECT_FALSE(f.success);
    EXPECT_EQ(f.connect_us > 0, c.connect_us > 0) << mode;
    EXPECT_EQ(f.response_message, "Non HTTP response message: " + k.message) << mode;
    EXPECT_EQ(results[1].body, k.code + ": " + k.message) << mode;
  }
}

// --connect-to sends a named host to the loopback server: SNI names the URL's host.
TEST_F(TlsFastPathTest, SniIsTheUrlsHostName) {
  for (int fast = 0; fast < 2; ++fast) {
    TlsServer server(Mode::kHttp, {kOk});  // its own server: libcurl keeps its connection open
    ConnectToRoutes routes({ConnectToRule{"example.invalid", 0, "127.0.0.1", server.port()}});
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    t.set_connect_to(&routes);
    SampleResult r = Run(t, Get("https://example.invalid/hello"));
    EXPECT_EQ(t.used_fast_path(), fast == 1);
    EXPECT_EQ(r.sample.response_code, "200");
    EXPECT_EQ(r.sample.url, "https://example.invalid/hello");
    std::vector<Hello> hellos = server.hellos();
    ASSERT_EQ(hellos.size(), 1u);
    EXPECT_EQ(hellos[0].sni, "example.invalid") << fast;
    EXPECT_EQ(server.requests(), std::vector<std::string>{"GET /hello HTTP/1.1\r\nHost: example.invalid\r\n\r\n"})
        << fast;
  }
}

TEST(TlsFastPathUrlTest, HttpsUrlsOnTheFastPath) {
  Http1Target t;
  ASSERT_TRUE(ParseFastPathUrl("https://127.0.0.1:8443/a?b", &t));
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.host_header, "127.0.0.1:8443");
  EXPECT_EQ(t.target, "/a?b");
  EXPECT_EQ(t.sni, "");
  EXPECT_EQ(t.tls_peer, "127.0.0.1:8443");
  ASSERT_TRUE(ParseFastPathUrl("https://[::1]/", &t));
  EXPECT_EQ(t.host_header, "[::1]");
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&t.address)->sin6_port), 443);
  EXPECT_EQ(t.sni, "");
  EXPECT_EQ(t.tls_peer, "::1:443");
  std::vector<ConnectToRule> rules = {ConnectToRule{"example.invalid", 0, "127.0.0.1", 8443}};
  ASSERT_TRUE(ParseFastPathUrl("https://example.invalid/x", &t, &rules));
  EXPECT_EQ(t.sni, "example.invalid");
  EXPECT_EQ(t.tls_peer, "example.invalid:443");
  ASSERT_TRUE(ParseFastPathUrl("http://127.0.0.1:8080/", &t));
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.sni, "");
  // libcurl leaves the default port out of the Host header: such URLs stay on libcurl.
  EXPECT_FALSE(ParseFastPathUrl("https://127.0.0.1:443/", &t));
  EXPECT_FALSE(ParseFastPathUrl("HTTPS://127.0.0.1/", &t));
}

TEST(TlsFastPathUrlTest, ClientCertificatesStayOnLibcurl) {
  ClientCertificate cert;
  HttpRequest r;
  r.method = "GET";
  r.follow_redirects = false;
  EXPECT_TRUE(FastPathSupports(r));
  r.client_cert = &cert;
  EXPECT_FALSE(FastPathSupports(r));
}

TEST(TlsSessionCacheTest, KeepsTheLastSessionOfTheFiveLatestTargets) {
  TlsSessionCache cache;
  std::vector<SSL_SESSION*> sessions;
  for (int i = 0; i < 7; ++i) {
    sessions.push_back(SSL_SESSION_new());
    cache.Store("t" + std::to_string(i % 6), sessions.back());  // t0..t5, then t0 again
  }
  EXPECT_EQ(cache.size(), 5u);
  EXPECT_EQ(cache.Find("t0"), sessions[6]);
  EXPECT_EQ(cache.Find("t1"), nullptr);  // the oldest, dropped for t5
  EXPECT_EQ(cache.Find("t2"), sessions[2]);
  EXPECT_EQ(cache.Find("t5"), sessions[5]);
  EXPECT_EQ(cache.Find("other"), nullptr);
}

}  // namespace
}  // namespace barrage
