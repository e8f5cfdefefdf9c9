// Test-only TLS material made at run time with OpenSSL (no key is committed): EC P-256
// keys, self-signed certificates, PKCS#12 keystores with several key entries, and a
// loopback HTTPS server that requires a client certificate and answers with its subject's
// CN as the status message ("HTTP/1.1 200 <cn>").
#ifndef BARRAGE_TESTS_WORKER_TLS_TEST_UTIL_H_
#define BARRAGE_TESTS_WORKER_TLS_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace barrage::tls_test {

struct Identity {
  std::string name;  // the PKCS#12 friendlyName (alias)
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

inline Identity MakeIdentity(const std::string& name, const std::string& cn) {
  Identity id;
  id.name = name;
  id.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  id.cert.reset(X509_new(), X509_free);
  X509* x = id.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Barrage test"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x, subject);
  X509_set_pubkey(x, id.key.get());
  X509_sign(x, id.key.get(), EVP_sha256());
  return id;
}

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A PKCS#12 keystore holding each identity as a key entry, in order (one MAC'd, unencrypted
// safe; the keys encrypted with AES-256 under `password`).
inline std::string Pkcs12(const std::vector<Identity>& ids, const std::string& password) {
  STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
  for (const Identity& id : ids) {
    unsigned char key_id[EVP_MAX_MD_SIZE];
    unsigned int key_id_len = 0;
    X509_digest(id.cert.get(), EVP_sha1(), key_id, &key_id_len);
    PKCS12_SAFEBAG* cert_bag = PKCS12_add_cert(&bags, id.cert.get());
    PKCS12_add_friendlyname(cert_bag, id.name.c_str(), -1);
    PKCS12_add_localkeyid(cert_bag, key_id, static_cast<int>(key_id_len));
    PKCS12_SAFEBAG* key_bag =
        PKCS12_add_key(&bags, id.key.get(), 0, PKCS12_DEFAULT_ITER, NID_aes_256_cbc, password.c_str());
    PKCS12_add_friendlyname(key_bag, id.name.c_str(), -1);
    PKCS12_add_localkeyid(key_bag, key_id, static_cast<int>(key_id_len));
  }
  STACK_OF(PKCS7)* safes = nullptr;
  PKCS12_add_safe(&safes, bags, -1, 0, nullptr);
  sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  PKCS12* p12 = PKCS12_add_safes(safes, 0);
  sk_PKCS7_pop_free(safes, PKCS7_free);
  PKCS12_set_mac(p12, password.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  i2d_PKCS12_bio(out, p12);
  PKCS12_free(p12);
  return BioText(out);
}

// The certificate and the (unencrypted) key of each identity, PEM.
inline std::string Pem(const std::vector<Identity>& ids) {
  BIO* out = BIO_new(BIO_s_mem());
  for (const Identity& id : ids) {
    PEM_write_bio_X509(out, id.cert.get());
    PEM_write_bio_PrivateKey(out, id.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  return BioText(out);
}

// HTTPS on 127.0.0.1 (an ephemeral port), one connection at a time, that refuses clients
// without a certificate (any certificate is accepted) and answers each request with
// "HTTP/1.1 200 <client CN>" and closes. Records the CN of every request.
class ClientCertServer {
 public:
  ClientCertServer() {
    Identity server = MakeIdentity("server", "127.0.0.1");
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, server.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, server.key.get());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, [](int, X509_STORE_CTX*) { return 1; });
    // Needed to resume sessions of verified clients (libcurl resumes them).
    static const unsigned char kSessionContext[] = "barrage-test";
    SSL_CTX_set_session_id_context(ctx_, kSessionContext, sizeof kSessionContext - 1);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 64);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ClientCertServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buf, sizeof buf);
          if (n <= 0) break;
          head.append(buf, static_cast<size_t>(n));
        }
        std::string cn = "none";
        if (X509* peer = SSL_get1_peer_certificate(ssl)) {
          char name[256] = {0};
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
          cn = name;
          X509_free(peer);
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          seen_.push_back(cn);
        }
        std::string response = "HTTP/1.1 200 " + cn + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        SSL_shutdown(ssl);
      }
      ERR_clear_error();
      SSL_free(ssl);
      close(c);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

}  // namespace barrage::tls_test

#endif  // BARRAGE_TESTS_WORKER_TLS_TEST_UTIL_H_
