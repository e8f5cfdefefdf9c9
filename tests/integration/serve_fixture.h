// A `barrage serve` for integration tests: a temporary folder with the results store, the
// in-process fixture target, the service started on loopback (local runs, no workers) with
// its API port read back from its first line, tokens made with `barrage token create`, and
// an HTTP client on the API. The service and the folder go at the end of the test (the
// service by its PID: test::ChildProcess).
#ifndef BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_
#define BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

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
    serve_.reset();
    target_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // `barrage serve` on 127.0.0.1, any free port, with `extra` arguments (e.g. --config);
  // url_ is its base ("http://127.0.0.1:N", or https://). client_ speaks plain HTTP only
  // (null for an HTTPS service).
  void StartService(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {BARRAGE_BINARY,      "serve",     "--db", db_, "--listen", "127.0.0.1:0", "--bind",
                                     "tcp://127.0.0.1:*", "--insecure"};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<ChildProcess>(args);
    const std::regex listening(R"(serving the API on (https?)://127\.0\.0\.1:([0-9]+)/api/v1)");
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::smatch m;
    while (!std::regex_search(serve_->out(), m, listening)) {
      ASSERT_TRUE(serve_->running() && std::chrono::steady_clock::now() < deadline) << serve_->out() << serve_->err();
      serve_->Pump(std::chrono::milliseconds(50));
    }
    port_ = std::stoi(m[2].str());
    url_ = m[1].str() + "://127.0.0.1:" + std::to_string(port_);
    if (m[1].str() == "http") {
      client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
      client_->set_read_timeout(kTimeout);
    }
  }

  // A new token's secret (`barrage token create` on the service's store).
  std::string Token(const std::string& project, const std::string& role, const std::string& name) {
    ProcessResult t = RunProcess(
        {BARRAGE_BINARY, "token", "create", "--project", project, "--role", role, "--name", name, "--db", db_},
        kTimeout);
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return t.out.substr(0, t.out.find('\n'));
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
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
  std::string url_;
};

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_INTEGRATION_SERVE_FIXTURE_H_
