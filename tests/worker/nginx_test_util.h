// Test-only: a real nginx (/usr/sbin/nginx, or $BARRAGE_TEST_NGINX) on 127.0.0.1 with its own
// temporary prefix, configuration, pid and logs, started in the foreground (daemon off) and
// stopped by its PID when the object goes (SIGTERM, then SIGKILL after 5 s), also when a test
// fails. A self-signed certificate for 127.0.0.1 is made with OpenSSL (tls_test_util.h).
// The access log writes one line per request: "<connection serial> <server protocol> <status>
// <request uri>" ($connection $server_protocol $status $request_uri).
#ifndef BARRAGE_TESTS_WORKER_NGINX_TEST_UTIL_H_
#define BARRAGE_TESTS_WORKER_NGINX_TEST_UTIL_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/worker/tls_test_util.h"

extern char** environ;

namespace barrage::nginx_test {

inline std::string NginxBinary() {
  const char* env = std::getenv("BARRAGE_TEST_NGINX");
  return env && *env ? env : "/usr/sbin/nginx";
}

inline bool NginxAvailable() { return access(NginxBinary().c_str(), X_OK) == 0; }

// A port nothing listens on now (bound, read back, released: nginx binds it next).
inline int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

class LocalNginx {
 public:
  // `locations`: the body of each server block (location blocks). Serves h2 over TLS on
  // tls_port(), h2c (prior knowledge only) on h2c_port() and HTTP/1.1 on http_port().
  explicit LocalNginx(const std::string& locations) {
    char tmpl[] = "/tmp/barrage-nginx-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/logs");
    std::filesystem::create_directories(dir_ + "/tmp");
    tls_test::Identity id = tls_test::MakeIdentity("server", "127.0.0.1");
    std::ofstream(dir_ + "/server.pem") << tls_test::Pem({id});
    tls_port_ = FreeLoopbackPort();
    h2c_port_ = FreeLoopbackPort();
    http_port_ = FreeLoopbackPort();
    std::ostringstream conf;
    conf << "worker_processes 1;\ndaemon off;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_
         << "/logs/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n"
         << "  log_format conn '$connection $server_protocol $status $request_uri';\n"
         << "  access_log " << dir_ << "/logs/access.log conn;\n"
         << "  default_type text/plain;\n  server_tokens off;\n  keepalive_requests 100000;\n"
         << "  client_body_temp_path " << dir_ << "/tmp/body;\n  proxy_temp_path " << dir_ << "/tmp/proxy;\n"
         << "  fastcgi_temp_path " << dir_ << "/tmp/fastcgi;\n  uwsgi_temp_path " << dir_ << "/tmp/uwsgi;\n"
         << "  scgi_temp_path " << dir_ << "/tmp/scgi;\n"
         << "  server {\n    listen 127.0.0.1:" << tls_port_ << " ssl http2;\n"
         << "    ssl_certificate " << dir_ << "/server.pem;\n    ssl_certificate_key " << dir_ << "/server.pem;\n"
         << locations << "\n  }\n"
         << "  server {\n    listen 127.0.0.1:" << h2c_port_ << " http2;\n"
         << locations << "\n  }\n"
         << "  server {\n    listen 127.0.0.1:" << http_port_ << ";\n"
         << locations << "\n  }\n}\n";
    std::ofstream(dir_ + "/nginx.conf") << conf.str();
    std::string binary = NginxBinary();
    std::string prefix = dir_ + "/";
    std::string conf_path = dir_ + "/nginx.conf";
    std::vector<char*> argv = {binary.data(),           const_cast<char*>("-p"), prefix.data(),
                               const_cast<char*>("-c"), conf_path.data(),        nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string out = dir_ + "/logs/stdout.log";
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    // Ready when every port accepts (bounded: 10 s), or failed when nginx exits first.
    for (int i = 0; i < 1000 && pid_ > 0; ++i) {
      if (Accepts(tls_port_) && Accepts(h2c_port_) && Accepts(http_port_)) {
        ready_ = true;
        break;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ~LocalNginx() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      bool exited = false;
      for (int i = 0; i < 500 && !exited; ++i) {
        exited = waitpid(pid_, &status, WNOHANG) == pid_;
        if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!exited) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  LocalNginx(const LocalNginx&) = delete;
  LocalNginx& operator=(const LocalNginx&) = delete;

  bool ready() const { return ready_; }
  int tls_port() const { return tls_port_; }
  int h2c_port() const { return h2c_port_; }
  int http_port() const { return http_port_; }
  // What went wrong at start (nginx's own output and error log).
  std::string StartupOutput() const { return Read(dir_ + "/logs/stdout.log") + Read(dir_ + "/logs/error.log"); }

  // The access log's lines, split into words, once it holds `lines` of them (nginx writes a
  // line as a request ends, which may come just after the client has read the response);
  // what it holds after 5 s otherwise.
  std::vector<std::vector<std::string>> AccessLog(size_t lines) const {
    std::vector<std::vector<std::string>> out = ReadAccessLog();
    for (int i = 0; i < 500 && out.size() < lines; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      out = ReadAccessLog();
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> ReadAccessLog() const {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(Read(dir_ + "/logs/access.log"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::vector<std::string> w;
      for (std::string word; words >> word;) w.push_back(word);
      if (!w.empty()) out.push_back(std::move(w));
    }
    return out;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  pid_t pid_ = -1;
  int tls_port_ = 0, h2c_port_ = 0, http_port_ = 0;
  bool ready_ = false;
};

}  // namespace barrage::nginx_test

#endif  // BARRAGE_TESTS_WORKER_NGINX_TEST_UTIL_H_
