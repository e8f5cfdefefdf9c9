#include "service/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>
#include <utility>

namespace barrage {
namespace {

constexpr int kListenBacklog = 1024;  // the kernel caps it at net.core.somaxconn

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

ApiRequest ToApiRequest(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) r.headers.emplace(Lower(k), v);
  r.remote_addr = req.remote_addr;
  if (req.is_multipart_form_data()) {
    for (const auto& [field, part] : req.files) r.files.push_back({field, part.filename, part.content});
  } else {
    r.body = req.body;
  }
  return r;
}

void ToHttpResponse(ApiResponse&& api, httplib::Response& res) {
  res.status = api.status;
  for (const auto& [k, v] : api.headers) res.set_header(k, v);
  if (api.stream) {
    ApiStream stream = std::move(api.stream);
    res.set_chunked_content_provider(api.content_type, [stream](size_t, httplib::DataSink& sink) {
      stream([&sink](std::string_view piece) { return sink.is_writable() && sink.write(piece.data(), piece.size()); });
      sink.done();
      return true;
    });
    return;
  }
  res.set_content(std::move(api.body), api.content_type);
}

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<httplib::Server> server;
  const ApiRouter* router = nullptr;
  int port = 0;
  bool tls = false;
  std::thread thread;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Bind(const HttpServerOptions& options, const ApiRouter* router) {
  auto impl = std::make_unique<Impl>();
  impl->router = router;
  const std::string where = (options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host) +
                            ":" + std::to_string(options.port);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("server: tls_cert_file and tls_key_file go together (one is missing)");
  }
  if (!options.tls_cert_file.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("server: cannot use tls_cert_file " + options.tls_cert_file +
                                     " with tls_key_file " + options.tls_key_file +
                                     " (unreadable, not PEM, or the key does not match)");
    }
    impl->server = std::move(ssl);
    impl->tls = true;
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *impl->server;
  const int threads = std::max(2, options.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(options.max_body_bytes);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second service
  // would bind the same port without an error and take half of the connections.
  socket_t listening = INVALID_SOCKET;
  s.set_socket_options([&listening](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listening = sock;  // only the listening socket comes through here
  });
  s.set_read_timeout(30, 0);
  s.set_keep_alive_timeout(5);
  auto handle = [r = router](const httplib::Request& req, httplib::Response& res) {
    ToHttpResponse(r->Handle(ToApiRequest(req)), res);
  };
  s.Get(".*", handle).Post(".*", handle).Put(".*", handle).Patch(".*", handle).Delete(".*", handle);
  // What httplib answers itself (413, 400, 404 for a method it has no handler for) gets
  // the API's error body too.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string what = res.status == 413   ? "the request body is larger than the server's limit"
                       : res.status == 400 ? "malformed request"
                                           : "cannot " + req.method + " " + req.path;
    res.set_content(ApiResponse::Error(res.status, what).body, "application/json");
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what += ": " + std::string(e.what());
    } catch (...) {
    }
    res.status = 500;
    res.set_content(ApiResponse::Error(500, what).body, "application/json");
  });
  if (options.port == 0) {
    impl->port = s.bind_to_any_port(options.host);
    if (impl->port < 0) return Status::IoError("server: cannot listen on " + where);
  } else {
    if (!s.bind_to_port(options.host, options.port)) {
      return Status::IoError("server: cannot listen on " + where + " (in use, or not an address of this host)");
    }
    impl->port = options.port;
  }
  // Debian's cpp-httplib listens with a backlog of 5 (compiled in): 200 clients connecting
  // at once overflowed it and waited a SYN retransmit (1 s) each (bench/RESULTS.md,
  // api_poll_bench). listen() again sets the backlog of the bound socket.
  if (listening != INVALID_SOCKET) ::listen(listening, kListenBacklog);
  s.set_socket_options([](socket_t) {});  // `listening` goes out of scope
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

bool HttpServer::tls() const { return impl_->tls; }

void HttpServer::Start() {
  httplib::Server* s = impl_->server.get();
  impl_->thread = std::thread([s] { s->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop has marked itself running, so a
  // Stop() right after Start() would leave the loop serving and the join waiting forever.
  // (The socket is bound and listening already: clients that connect meanwhile queue.)
  while (!s->is_running()) std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->server) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace barrage
