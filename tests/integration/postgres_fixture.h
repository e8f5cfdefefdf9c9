// A real PostgreSQL server for tests: initdb into a fresh temp dir, `postgres` on 127.0.0.1
// at a free port (its unix socket in the temp dir too), a database per test, stopped by PID
// on destruction (also when the test failed). Run as root (this machine, CI), initdb and
// postgres run as the `postgres` system user through setpriv (which execs: the PID we hold
// is the postmaster's), with the temp dir chowned to it.
//
// Missing binaries (/usr/lib/postgresql/15/bin, Debian's postgresql-15): Start() returns
// nullptr and says why in *why; POSTGRES_FIXTURE_REQUIRE() turns that into a test failure
// under CI=true, a skip naming the package otherwise.
//
// Not thread-safe: one test thread owns a PostgresServer.
#ifndef BARRAGE_TESTS_INTEGRATION_POSTGRES_FIXTURE_H_
#define BARRAGE_TESTS_INTEGRATION_POSTGRES_FIXTURE_H_

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/pg_util.h"
#include "tests/integration/process_util.h"

namespace barrage::test {

inline constexpr char kPostgresBin[] = "/usr/lib/postgresql/15/bin";

class PostgresServer {
 public:
  // A fresh cluster, running and accepting connections; nullptr and *why on failure.
  static std::unique_ptr<PostgresServer> Start(std::string* why) {
    const std::string bin = kPostgresBin;
    if (!std::filesystem::exists(bin + "/postgres") || !std::filesystem::exists(bin + "/initdb")) {
      *why = bin + "/postgres not found: install postgresql-15 (scripts/setup.sh)";
      return nullptr;
    }
    auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
    std::string pattern = (std::filesystem::temp_directory_path() / "barrage-pg-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      *why = "mkdtemp failed";
      return nullptr;
    }
    server->dir_ = pattern;
    std::filesystem::create_directory(server->dir_ + "/sock");
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      if (pw == nullptr) {
        *why = "no 'postgres' system user (install postgresql-15)";
        return nullptr;
      }
      server->as_user_ = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
      for (const std::string& p : {server->dir_, server->dir_ + "/sock"}) {
        if (chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          *why = "chown " + p + " failed";
          return nullptr;
        }
      }
    }
    std::vector<std::string> initdb = server->as_user_;
    initdb.insert(initdb.end(), {bin + "/initdb", "-D", server->data(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                 "--locale=C", "--no-sync"});
    ProcessResult r = RunProcess(initdb, std::chrono::seconds(120));
    if (r.exit_code != 0) {
      *why = "initdb failed: " + r.out + r.err;
      return nullptr;
    }
    server->port_ = FreePort();
    if (!server->Launch(why)) return nullptr;
    return server;
  }

  ~PostgresServer() {
    if (postmaster_ && postmaster_->running()) {
      postmaster_->Signal(SIGINT);  // fast shutdown
      if (postmaster_->Wait(std::chrono::seconds(20)).timed_out) KillChildren();
    }
    postmaster_.reset();  // SIGKILL by PID if still running
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  int port() const { return port_; }
  std::string data() const { return dir_ + "/data"; }

  // postgresql://postgres@127.0.0.1:PORT/NAME
  std::string Url(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  // Creates database `name` and returns its URL; "" after ADD_FAILURE.
  std::string CreateDatabase(const std::string& name) {
    Result<PgConnection> admin = PgConnection::Connect(Url("postgres"), Url("postgres"), false);
    if (!admin.ok()) {
      ADD_FAILURE() << admin.status().message();
      return "";
    }
    if (Status st = admin->Exec("CREATE DATABASE \"" + name + "\""); !st.ok()) {
      ADD_FAILURE() << st.message();
      return "";
    }
    return Url(name);
  }

  // Kills the server as a crash would: SIGKILL to the postmaster and each of its processes,
  // by PID, then waits until they are gone.
  void Kill() {
    if (!postmaster_) return;
    std::vector<pid_t> children = Children(postmaster_->pid());
    postmaster_->Signal(SIGKILL);
    for (pid_t c : children) ::kill(c, SIGKILL);
    postmaster_->Wait(std::chrono::seconds(10));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (pid_t c : children) {
      while (::kill(c, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // reaped by init: poll its exit
      }
    }
    postmaster_.reset();
  }

  // Starts the server again on the same data directory and port (crash recovery runs).
  bool Restart(std::string* why) { return Launch(why); }

 private:
  PostgresServer() = default;

  static int FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
  }

  static std::vector<pid_t> Children(pid_t parent) {
    std::vector<pid_t> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(e.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      const size_t paren = stat.rfind(')');
      if (paren == std::string::npos) continue;
      char state = 0;
      int ppid = 0;
      if (sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
        out.push_back(static_cast<pid_t>(std::stoi(name)));
      }
    }
    return out;
  }

  void KillChildren() {
    if (!postmaster_) return;
    for (pid_t c : Children(postmaster_->pid())) ::kill(c, SIGKILL);
  }

  bool Launch(std::string* why) {
    std::vector<std::string> argv = as_user_;
    argv.insert(argv.end(), {std::string(kPostgresBin) + "/postgres", "-D", data(), "-p", std::to_string(port_), "-k",
                             dir_ + "/sock", "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                             "shared_buffers=32MB", "-c", "max_connections=40", "-c", "logging_collector=off"});
    postmaster_ = std::make_unique<ChildProcess>(argv);
    const std::string ping = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (PQping(ping.c_str()) == PQPING_OK) return true;
      if (!postmaster_->Pump(std::chrono::milliseconds(50))) break;  // it exited
    }
    *why = "postgres did not accept connections on 127.0.0.1:" + std::to_string(port_) + ": " + postmaster_->err();
    return false;
  }

  std::string dir_;
  int port_ = 0;
  std::vector<std::string> as_user_;
  std::unique_ptr<ChildProcess> postmaster_;
};

}  // namespace barrage::test

// In a test or SetUp(): ends the test when `server` (a PostgresServer pointer) is null,
// `why` saying why: a failure under CI=true, a skip naming the missing package otherwise.
#define POSTGRES_FIXTURE_REQUIRE(server, why)                            \
  do {                                                                   \
    if (!(server)) {                                                     \
      const char* ci_ = std::getenv("CI");                               \
      if (ci_ != nullptr && std::string(ci_) == "true") FAIL() << (why); \
      GTEST_SKIP() << (why);                                             \
    }                                                                    \
  } while (0)

#endif  // BARRAGE_TESTS_INTEGRATION_POSTGRES_FIXTURE_H_
