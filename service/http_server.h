// The HTTP(S) server of `barrage serve`: cpp-httplib on a thread pool, every request
// converted into an ApiRequest for the ApiRouter (service/api.h) and its ApiResponse back.
//
// Limits: a request body above `max_body_bytes` is refused with 413 before the router sees
// it; a slow client is dropped after the read timeout. Errors that never reach the router
// (413, 400 for a malformed request) also get the {"error": ...} body.
//
// Thread-safety: Start() and Stop() from one thread; requests run on the pool's threads.
#ifndef BARRAGE_SERVICE_HTTP_SERVER_H_
#define BARRAGE_SERVICE_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "service/api.h"

namespace barrage {

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an address, IPv6 without brackets
  int port = 8470;                 // 0: any free port (port() tells which)
  std::string tls_cert_file{};     // PEM; both set: HTTPS
  std::string tls_key_file{};
  size_t max_body_bytes = 64u << 20;
  int threads = 16;  // concurrent requests, event streams included
};

class HttpServer {
 public:
  // Binds the address (errors name it: in use, not an address, bad certificate); serves
  // nothing until Start().
  static Result<std::unique_ptr<HttpServer>> Bind(const HttpServerOptions& options, const ApiRouter* router);
  ~HttpServer();

  int port() const;
  bool tls() const;
  // Serves on a thread of its own until Stop(); returns once the server accepts.
  void Start();
  // Stops accepting, ends open connections, joins the threads. Event streams see their
  // write fail and return.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_HTTP_SERVER_H_
