// `barrage serve` as an operator starts it (issue 13): the real binary on a loopback port
// the system chooses, reached over HTTP, stopped by SIGTERM (by PID).

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "controller/results_store.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kTimeout{20};

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-serve-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  // Pumps the child's output until it prints where it serves; returns the port (0: never).
  static int WaitForPort(ChildProcess& serve) {
    const std::regex listening(R"(serving the API on http://127\.0\.0\.1:([0-9]+)/api/v1 )");
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::smatch m;
    while (!std::regex_search(serve.out(), m, listening)) {
      if (!serve.running() || std::chrono::steady_clock::now() > deadline) return 0;
      serve.Pump(std::chrono::milliseconds(100));
    }
    return std::stoi(m[1].str());
  }

  // `barrage serve` on loopback: the API on a free port, the workers' socket too (plain TCP).
  std::vector<std::string> Serve(const std::string& db, const std::string& listen = "127.0.0.1:0") const {
    return {BARRAGE_BINARY, "serve", "--db", db, "--listen", listen, "--bind", "tcp://127.0.0.1:*", "--insecure"};
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ServeCliTest, ServesTheApiUntilSigterm) {
  ChildProcess serve(Serve(db_));
  ASSERT_TRUE(serve.running());
  const int port = WaitForPort(serve);
  ASSERT_GT(port, 0) << serve.out() << serve.err();
  serve.Pump(std::chrono::milliseconds(100));
  EXPECT_TRUE(std::regex_match(serve.out(), std::regex("barrage: serving the API on http://127\\.0\\.0\\.1:" +
                                                       std::to_string(port) + "/api/v1 \\(barrage 0\\.1\\.0, store " +
                                                       std::regex_replace(db_, std::regex("[.]"), "\\.") +
                                                       "\\)\nbarrage: workers dial tcp://127\\.0\\.0\\.1:[0-9]+ "
                                                       "\\(insecure: plain TCP\\)\n")))
      << serve.out();

  httplib::Client client("127.0.0.1", port);
  httplib::Result health = client.Get("/api/v1/health");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"status\":\"ok\",\"version\":\"0.1.0\"}\n");
  httplib::Result doc = client.Get("/api/v1/openapi.json");
  ASSERT_TRUE(doc);
  // public_url not configured: the listen address with the port the system chose for port 0.
  EXPECT_EQ(nlohmann::json::parse(doc->body)["servers"][0]["url"], "http://127.0.0.1:" + std::to_string(port));

  ASSERT_TRUE(serve.Signal(SIGTERM));
  ProcessResult r = serve.Wait(kTimeout);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1), "barrage: stopping\n");
  // The store was created (schema and all) before the API answered.
  Result<ResultsStore> store = ResultsStore::Open(db_, {.must_exist = true});
  EXPECT_TRUE(store.ok()) << store.status().message();
}

// A worker dials the service and joins its pool; a token made with `barrage token create`
// lists it through the API.
TEST_F(ServeCliTest, AWorkerThatDialsInIsListedToATokenHolder) {
  ChildProcess serve(Serve(db_));
  const int port = WaitForPort(serve);
  ASSERT_GT(port, 0) << serve.out() << serve.err();
  serve.Pump(std::chrono::milliseconds(100));
  std::smatch m;
  const std::string out = serve.out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("workers dial (tcp://127\\.0\\.0\\.1:[0-9]+)"))) << out;
  const std::string endpoint = m[1];
  ProcessResult token = RunProcess(
      {BARRAGE_BINARY, "token", "create", "--project", "shop", "--role", "viewer", "--name", "ci", "--db", db_},
      kTimeout);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string secret = token.out.substr(0, token.out.find('\n'));

  httplib::Client client("127.0.0.1", port);
  httplib::Result none = client.Get("/api/v1/workers");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  const httplib::Headers auth = {{"Authorization", "Bearer " + secret}};
  httplib::Result empty = client.Get("/api/v1/workers", auth);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "[]\n");

  ChildProcess worker({BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", "lg-01", "--insecure", "--work-dir",
                       (dir_ / "work").string(), "--heartbeat-ms", "200"});
  ASSERT_TRUE(worker.running());
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  nlohmann::json listed;
  while (std::chrono::steady_clock::now() < deadline) {
    httplib::Result r = client.Get("/api/v1/workers", auth);
    ASSERT_TRUE(r);
    listed = nlohmann::json::parse(r->body);
    if (listed.size() == 1) break;
    worker.Pump(std::chrono::milliseconds(50));
    serve.Pump(std::chrono::milliseconds(0));
  }
  ASSERT_EQ(listed.size(), 1u) << serve.out() << worker.err();
  EXPECT_EQ(listed[0]["name"], "lg-01");
  EXPECT_EQ(listed[0]["state"], "idle");
  ASSERT_TRUE(worker.Signal(SIGTERM));
  EXPECT_EQ(worker.Wait(kTimeout).exit_code, 0);
  ASSERT_TRUE(serve.Signal(SIGTERM));
  EXPECT_EQ(serve.Wait(kTimeout).exit_code, 0);
}

TEST_F(ServeCliTest, ARunLeftRunningByADeadControllerIsMarkedAbortedAtStart) {
  {
    Result<ResultsStore> store = ResultsStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ExecutionInfo info;
    info.plan_path = "/plans/shop.jmx";
    info.plan_name = "Shop";
    info.started_at_ms = 1'700'000'000'000;
    ASSERT_TRUE(store->BeginExecution(info).ok());
  }
  // Closing the store ended the run `aborted`; make it look as a killed controller leaves
  // it: still running, with a process id that is not alive.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "UPDATE execution SET status = 'running', ended_at = NULL, controller_pid = 2147483646",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ChildProcess serve(Serve(db_));
  ASSERT_GT(WaitForPort(serve), 0) << serve.out() << serve.err();
  ASSERT_TRUE(serve.Signal(SIGTERM));
  ProcessResult r = serve.Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "barrage: marked 1 interrupted run(s) aborted");
  Result<ResultsStore> store = ResultsStore::Open(db_, {.must_exist = true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<ExecutionRecord> run = store->GetExecution(1);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, ExecutionStatus::kAborted);
}

TEST_F(ServeCliTest, ABadConfigurationExitsWith2NamingTheKey) {
  const std::string config = (dir_ / "controller.toml").string();
  std::ofstream(config) << "[server]\nlisten = \"127.0.0.1:0\"\nport = 8470\n";
  ProcessResult r = RunProcess({BARRAGE_BINARY, "serve", "--config", config, "--db", db_}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + config +
                       ":3: key server.port: unknown key (server takes listen, tls_cert_file, tls_key_file, "
                       "public_url, data_dir, max_plan_bytes, max_upload_bytes, auth_failures_per_window, "
                       "auth_window_s, max_local_runs)\n");
}

TEST_F(ServeCliTest, WithoutWorkerKeysOrInsecureItExitsWith2) {
  ProcessResult r = RunProcess({BARRAGE_BINARY, "serve", "--db", db_, "--listen", "127.0.0.1:0"}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: (no --config given): key security.secret_key_file: cluster mode needs the controller's key pair "
            "(`barrage keygen -o controller.key`) or --insecure for plain TCP\n");
}

TEST_F(ServeCliTest, APortInUseExitsWith1NamingTheAddress) {
  ChildProcess first(Serve(db_));
  const int port = WaitForPort(first);
  ASSERT_GT(port, 0) << first.out() << first.err();
  ProcessResult r = RunProcess(Serve((dir_ / "b.db").string(), "127.0.0.1:" + std::to_string(port)), kTimeout);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "barrage: server: cannot listen on 127.0.0.1:" + std::to_string(port) +
                       " (in use, or not an address of this host)\n");
  ASSERT_TRUE(first.Signal(SIGTERM));
  EXPECT_EQ(first.Wait(kTimeout).exit_code, 0);
}

}  // namespace
}  // namespace barrage
