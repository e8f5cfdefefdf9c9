// A `barrage serve` for integration tests: a temporary folder with the results store, the
// in-process fixture target, the service started on loopback with its API port and the
// workers' endpoint read back from its first lines, barrage-workers for its pool, tokens made with `barrage token
// create`, and an HTTP client on the API. The processes and the folder go at the end of the test (by PID:
// test::ChildProcess).
#ifndef BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_
#define BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage::test {

class ServeFixture : public ::testing::Test {
 protected:
  static constexpr std::chrono::seconds kTimeout{30};

  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrage-serve-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
    Result<std::unique_ptr<fixture::FixtureServer>> target = fixture::FixtureServer::Start({});
    ASSERT_TRUE(target.ok()) << target.status().message();
    target_ = std::move(target).value();
  }

  void TearDown() override {
    workers_.clear();
    serve_.reset();
    target_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // `barrage serve` on 127.0.0.1, any free port, with `extra` arguments (e.g. --config);
  // workers dial `bind`; `insecure` false for a configuration with CurveZMQ keys. url_ is its
  // base ("http://127.0.0.1:N", or https://). client_ speaks plain HTTP only (null for an
  // HTTPS service).
  void StartService(const std::vector<std::string>& extra = {}, const std::string& bind = "tcp://127.0.0.1:*",
                    bool insecure = true) {
    std::vector<std::string> args = {BARRAGE_BINARY, "serve", "--db",           db_,  "--listen", "127.0.0.1:0",
                                     "--bind",       bind,    "--heartbeat-ms", "200"};
    if (insecure) args.push_back("--insecure");
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<ChildProcess>(args);
    const std::regex listening(
        R"(serving the API on (https?)://127\.0\.0\.1:([0-9]+)/api/v1 (.|\n)*workers dial (tcp://[^ \n]+))");
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::smatch m;
    while (!std::regex_search(serve_->out(), m, listening)) {
      ASSERT_TRUE(serve_->running() && std::chrono::steady_clock::now() < deadline) << serve_->out() << serve_->err();
      serve_->Pump(std::chrono::milliseconds(50));
    }
    port_ = std::stoi(m[2].str());
    url_ = m[1].str() + "://127.0.0.1:" + std::to_string(port_);
    endpoint_ = m[4].str();
    if (m[1].str() == "http") {
      client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
      client_->set_read_timeout(kTimeout);
    }
  }

  // Writes `content` into the test's folder; the file's path.
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << content;
    return path;
  }

  // A new token's secret (`barrage token create` on the service's store).
  std::string Token(const std::string& project, const std::string& role, const std::string& name) {
    ProcessResult t = RunProcess(
        {BARRAGE_BINARY, "token", "create", "--project", project, "--role", role, "--name", name, "--db", db_},
        kTimeout);
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return t.out.substr(0, t.out.find('\n'));
  }

  // A barrage-worker dialing the service's pool as `name`, on plain TCP or with `config` (a
  // worker.toml's path, for its keys); stopped (by PID) with the test.
  void StartWorker(const std::string& name, const std::string& config = "") {
    std::vector<std::string> argv = {BARRAGE_WORKER_BINARY,
                                     "--controller",
                                     endpoint_,
                                     "--name",
                                     name,
                                     "--work-dir",
                                     (dir_ / ("work-" + name)).string(),
                                     "--threads",
                                     "1",
                                     "--heartbeat-ms",
                                     "200",
                                     "--controller-timeout",
                                     "2"};
    if (config.empty()) {
      argv.push_back("--insecure");
    } else {
      argv.insert(argv.end(), {"--config", config});
    }
    workers_.push_back(std::make_unique<ChildProcess>(argv));
  }

  // Waits until the pool lists `count` idle workers (GET /api/v1/workers; plain HTTP only).
  bool WaitForIdle(const std::string& token, size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      httplib::Result r = client_->Get("/api/v1/workers", Auth(token));
      if (r && r->status == 200) {
        size_t idle = 0;
        for (const auto& w : nlohmann::json::parse(r->body)) idle += w["state"] == "idle" ? 1 : 0;
        if (idle == count) return true;
      }
      serve_->Pump(std::chrono::milliseconds(50));
      for (auto& w : workers_) w->Pump(std::chrono::milliseconds(0));
    }
    return false;
  }

  static httplib::Headers Auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  // Stops the service (SIGTERM) and expects its clean exit.
  void StopService() {
    ASSERT_TRUE(serve_->Signal(SIGTERM));
    ProcessResult stopped = serve_->Wait(kTimeout);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  }

  std::filesystem::path dir_;
  std::string db_;
  std::unique_ptr<fixture::FixtureServer> target_;
  std::unique_ptr<ChildProcess> serve_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
  std::string url_;
  std::string endpoint_;  // where workers dial the service
};

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_
