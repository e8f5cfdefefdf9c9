// The run API of `barrage serve` end to end (issue 13): the real service on loopback, tokens
// made with `barrage token create`, a plan and its data file uploaded over HTTP, runs started
// and stopped through the API, locally (a `barrage run` child) and on real workers of the
// pool, against the in-process fixture target.

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
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/jmx_xml.h"
#include "tests/integration/process_util.h"
#include "tests/integration/serve_fixture.h"
#include "tests/service/webhook_receiver.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;

using test::El;
using test::Str;

// 2 users x ${__P(loops,5)} loops of GET /echo?u=${user} on 127.0.0.1:${__P(port)}, users from users.csv.
std::string Plan() {
  const std::string csv =
      El("CSVDataSet", "users",
         Str("filename", "users.csv") + Str("variableNames", "user") + Str("delimiter", ",") + Str("recycle", "true") +
             Str("stopThread", "false") + Str("shareMode", "shareMode.all"));
  const std::string http = El("HTTPSamplerProxy", "echo",
                              Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "${__P(port)}") +
                                  Str("HTTPSampler.path", "/echo?u=${user}") + Str("HTTPSampler.method", "GET"));
  const std::string group = El("ThreadGroup", "users",
                               Str("ThreadGroup.num_threads", "2") + Str("ThreadGroup.ramp_time", "0") +
                                   "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                                   Str("LoopController.loops", "${__P(loops,5)}") + "</elementProp>",
                               csv + http);
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Echo\"/>\n"
         "<hashTree>\n" +
         group + "</hashTree></hashTree></jmeterTestPlan>\n";
}

constexpr char kUsers[] = "alice\nbob\ncarol\n";

class RunApiCliTest : public test::ServeFixture {
 protected:
  // `config`: a controller.toml's text ("" = none); without a [security] table in it, the
  // workers' side is plain TCP (--insecure).
  void StartService(const std::string& bind = "tcp://127.0.0.1:*", const std::string& config = "") {
    std::vector<std::string> extra;
    if (!config.empty()) extra = {"--config", Write("controller.toml", config)};
    ServeFixture::StartService(extra, bind, config.find("[security]") == std::string::npos);
  }

  httplib::Result Upload(const std::string& token) {
    httplib::MultipartFormDataItems items = {{"plan", Plan(), "echo.jmx", "application/xml"},
                                             {"data", kUsers, "users.csv", "text/csv"}};
    return client_->Post("/api/v1/projects/shop/plans", Auth(token), items);
  }

  httplib::Result Post(const std::string& path, const std::string& token, const nlohmann::json& body) {
    return client_->Post(path, Auth(token), body.dump(), "application/json");
  }

  // The run's status in the store, read as another process would.
  std::string StatusOf(int64_t id) const {
    sqlite3* db = nullptr;
    std::string status;
    if (sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT status FROM execution WHERE id = ?", -1, &q, nullptr) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_step(q) == SQLITE_ROW) status = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return status;
  }

  // The run's committed samples in the store (execution.sample_count), -1 when unreadable.
  int64_t SamplesOf(int64_t id) const {
    sqlite3* db = nullptr;
    int64_t count = -1;
    if (sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* q = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT sample_count FROM execution WHERE id = ?", -1, &q, nullptr) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_step(q) == SQLITE_ROW) count = sqlite3_column_int64(q, 0);
      }
      sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return count;
  }

  // Waits (pumping the processes' output) until run `id` has ended; its status.
  std::string WaitForEnd(int64_t id) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    std::string status = StatusOf(id);
    while ((status == "queued" || status == "running" || status.empty()) &&
           std::chrono::steady_clock::now() < deadline) {
      serve_->Pump(std::chrono::milliseconds(50));
      for (auto& w : workers_) w->Pump(std::chrono::milliseconds(0));
      status = StatusOf(id);
    }
    return status;
  }

  std::unique_ptr<ResultsStore> Store() const {
    Result<ResultsStore> store = ResultsStore::Open(db_, {.project = "shop", .must_exist = true});
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::make_unique<ResultsStore>(std::move(store).value()) : nullptr;
  }
};

TEST_F(RunApiCliTest, APlanUploadedWithItsDataRunsLocallyAndPassesOrFailsByItsThresholds) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  const std::string viewer = Token("shop", "viewer", "dash");
  const std::string stranger = Token("web", "tester", "web-ci");
  const std::string admin = Token("shop", "admin", "ops");
  WebhookReceiver receiver;
  httplib::Result hook =
      Post("/api/v1/projects/shop/webhooks", admin,
           {{"name", "team"}, {"url", receiver.Url()}, {"secret", "a-team-secret-of-32-bytes-length"}});
  ASSERT_TRUE(hook);
  ASSERT_EQ(hook->status, 201) << hook->body;

  httplib::Result up = Upload(tester);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  nlohmann::json version = nlohmann::json::parse(up->body);
  EXPECT_EQ(version["name"], "echo.jmx");
  EXPECT_EQ(version["version"], 1);
  EXPECT_EQ(version["created"], true);
  EXPECT_EQ(version["files"],
            nlohmann::json::parse(R"([{"name":"users.csv","size":16,"sha256":")" + Sha256Hex(kUsers) + "\"}]"));
  // The same plan and data again: the same version.
  httplib::Result again = Upload(tester);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(nlohmann::json::parse(again->body)["version"], 1);
  EXPECT_EQ(nlohmann::json::parse(again->body)["created"], false);
  httplib::Result viewer_upload = Upload(viewer);
  ASSERT_TRUE(viewer_upload);
  EXPECT_EQ(viewer_upload->status, 403);

  const nlohmann::json body = {{"plan", "echo.jmx"},
                               {"properties", {{"port", target_->port()}}},
                               {"thresholds", {"p(95)<60000", "error_rate<0.01"}}};
  httplib::Result no_token = client_->Post("/api/v1/projects/shop/runs", body.dump(), "application/json");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
  httplib::Result as_viewer = Post("/api/v1/projects/shop/runs", viewer, body);
  ASSERT_TRUE(as_viewer);
  EXPECT_EQ(as_viewer->status, 403);
  EXPECT_EQ(as_viewer->body,
            "{\"error\":\"token 'dash' has role viewer; to start runs a token needs role tester or admin\"}\n");
  httplib::Result elsewhere = Post("/api/v1/projects/shop/runs", stranger, body);
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 403);
  EXPECT_EQ(elsewhere->body, "{\"error\":\"token 'web-ci' belongs to project 'web', not 'shop'\"}\n");
  httplib::Result unknown = Post("/api/v1/projects/shop/runs", tester, {{"plan", "nope.jmx"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body, "{\"error\":\"plan 'nope.jmx' not found in project 'shop'\"}\n");
  httplib::Result bad = Post("/api/v1/projects/shop/runs", tester, {{"plan", "echo.jmx"}, {"users", 3}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  httplib::Result started = Post("/api/v1/projects/shop/runs", tester, body);
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  nlohmann::json ticket = nlohmann::json::parse(started->body);
  EXPECT_EQ(ticket["id"], 1);
  EXPECT_EQ(ticket["status"], "running");
  EXPECT_TRUE(ticket["queue_position"].is_null());
  EXPECT_EQ(WaitForEnd(1), "passed") << serve_->out() << serve_->err();
  EXPECT_EQ(target_->requests("/echo"), 10u);

  std::unique_ptr<ResultsStore> store = Store();
  ASSERT_TRUE(store);
  Result<ExecutionRecord> run = store->GetExecution(1);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->samples, 10u);
  EXPECT_EQ(run->project, "shop");
  EXPECT_EQ(run->triggered_by, "token:ci");
  EXPECT_EQ(run->definition_version, 1);
  EXPECT_EQ(run->verdict, "passed");
  // The data file reached the run: every user of users.csv was sent.
  std::set<std::string> urls;
  ASSERT_TRUE(store->ForEachSample(1, [&](const Sample& s) { urls.insert(s.url); }).ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(target_->port()) + "/echo?u=";
  EXPECT_EQ(urls, (std::set<std::string>{base + "alice", base + "bob", base + "carol"}));

  // The verdict route says what `barrage report` says.
  httplib::Result verdict = client_->Get("/api/v1/runs/1/verdict", Auth(viewer));
  ASSERT_TRUE(verdict);
  ASSERT_EQ(verdict->status, 200) << verdict->body;
  nlohmann::json v = nlohmann::json::parse(verdict->body);
  EXPECT_EQ(v["passed"], true);
  EXPECT_EQ(v["status"], "passed");
  ProcessResult report =
      RunProcess({BARRAGE_BINARY, "report", "1", "--db", db_, "--project", "shop", "--format", "json"}, kTimeout);
  ASSERT_EQ(report.exit_code, 0) << report.err;
  nlohmann::json reported = nlohmann::json::parse(report.out);
  ASSERT_EQ(v["thresholds"].size(), 2u);
  ASSERT_EQ(reported["thresholds"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(v["thresholds"][i]["expression"], reported["thresholds"][i]["expression"]);
    EXPECT_EQ(v["thresholds"][i]["passed"], reported["thresholds"][i]["passed"]);
    EXPECT_EQ(v["thresholds"][i]["observed"], reported["thresholds"][i]["observed"]);
  }
  EXPECT_EQ(reported["verdict"], "passed");
  // The project's webhook got the finished run, signed with its secret.
  ASSERT_TRUE(receiver.WaitFor(1, kTimeout)) << serve_->out();
  const WebhookReceiver::Request delivered = receiver.requests()[0];
  EXPECT_EQ(delivered.Header("X-Barrage-Signature"),
            ExpectedSignature(delivered.body, "a-team-secret-of-32-bytes-length"));
  nlohmann::json payload = nlohmann::json::parse(delivered.body);
  EXPECT_EQ(payload["event"], "run.finished");
  EXPECT_EQ(payload["run_id"], 1) << delivered.body;
  EXPECT_EQ(payload["project"], "shop");
  EXPECT_EQ(payload["plan"], "echo.jmx");
  EXPECT_EQ(payload["status"], "passed");
  EXPECT_EQ(payload["verdict"]["passed"], true);
  EXPECT_EQ(payload["totals"]["samples"], 10);

  // A threshold no run meets: the run ends `failed`.
  nlohmann::json strict = body;
  strict["thresholds"] = {"max<0"};
  httplib::Result second = Post("/api/v1/projects/shop/runs", tester, strict);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 201) << second->body;
  EXPECT_EQ(nlohmann::json::parse(second->body)["id"], 2);
  EXPECT_EQ(WaitForEnd(2), "failed") << serve_->out() << serve_->err();
  ASSERT_TRUE(receiver.WaitFor(2, kTimeout)) << serve_->out();
  EXPECT_EQ(nlohmann::json::parse(receiver.requests()[1].body)["status"], "failed");

  ASSERT_TRUE(serve_->Signal(SIGTERM));
  EXPECT_EQ(serve_->Wait(kTimeout).exit_code, 0);
}

// The pool over CurveZMQ: the service's key pair, two allowed workers and one stranger whose
// key is not in allowed_workers (never admitted).
TEST_F(RunApiCliTest, AClusterRunTakesIdleWorkersAndABusyPoolQueuesOrRefuses) {
  const std::string controller_key = test::Keygen({BARRAGE_BINARY, "keygen", "-o", (dir_ / "controller.key").string()});
  for (const std::string name : {"lg-01", "lg-02", "stranger"}) {
    test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", (dir_ / (name + ".key")).string()});
    Write(name + ".toml", "[security]\nsecret_key_file = \"" + (dir_ / (name + ".key")).string() +
                              "\"\ncontroller_public_key = \"" + controller_key + "\"\n");
  }
  StartService("tcp://127.0.0.1:*",
               "[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\"lg-01.key\", \"lg-02.key\"]\n");
  const std::string tester = Token("shop", "tester", "ci");
  StartWorker("stranger", (dir_ / "stranger.toml").string());
  StartWorker("lg-01", (dir_ / "lg-01.toml").string());
  StartWorker("lg-02", (dir_ / "lg-02.toml").string());
  ASSERT_TRUE(WaitForIdle(tester, 2)) << serve_->out();
  {
    httplib::Result pool = client_->Get("/api/v1/workers", Auth(tester));
    ASSERT_TRUE(pool);
    std::set<std::string> names;
    for (const auto& w : nlohmann::json::parse(pool->body)) names.insert(w["name"].get<std::string>());
    EXPECT_EQ(names, (std::set<std::string>{"lg-01", "lg-02"})) << pool->body;
  }
  const auto refused_deadline = std::chrono::steady_clock::now() + kTimeout;
  while (serve_->out().find("is not in the allowlist") == std::string::npos &&
         std::chrono::steady_clock::now() < refused_deadline) {
    serve_->Pump(std::chrono::milliseconds(50));
  }
  EXPECT_NE(serve_->out().find("is not in the allowlist"), std::string::npos) << serve_->out();
  httplib::Result up = Upload(tester);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;

  // More workers than the pool has idle, without waiting: refused, nothing recorded.
  const nlohmann::json on_three = {{"plan", "echo.jmx"},
                                   {"properties", {{"port", std::to_string(target_->port())}}},
                                   {"workers", 3},
                                   {"queue", false}};
  httplib::Result refused = Post("/api/v1/projects/shop/runs", tester, on_three);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409);
  EXPECT_EQ(refused->body, "{\"error\":\"workers: 3 requested, 2 idle (\\\"queue\\\": false)\"}\n");

  nlohmann::json on_two = on_three;
  on_two["workers"] = 2;
  on_two.erase("queue");
  httplib::Result started = Post("/api/v1/projects/shop/runs", tester, on_two);
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  EXPECT_EQ(nlohmann::json::parse(started->body)["id"], 1);
  EXPECT_EQ(WaitForEnd(1), "passed") << serve_->out();
  EXPECT_EQ(target_->requests("/echo"), 20u);  // each worker runs the plan's 10 (per-worker share)
  std::unique_ptr<ResultsStore> store = Store();
  ASSERT_TRUE(store);
  Result<ExecutionRecord> run = store->GetExecution(1);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->samples, 20u);
  Result<std::vector<ExecutionWorkerRecord>> workers = store->ExecutionWorkers(1);
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[0].samples_received + (*workers)[1].samples_received, 20u);
  ASSERT_TRUE(WaitForIdle(tester, 2)) << serve_->out();

  // Three workers wanted, two there: it waits in the queue until stopped.
  nlohmann::json queued_body = on_three;
  queued_body["queue"] = true;
  httplib::Result queued = Post("/api/v1/projects/shop/runs", tester, queued_body);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 201) << queued->body;
  EXPECT_EQ(nlohmann::json::parse(queued->body),
            nlohmann::json::parse(R"({"id":2,"status":"queued","queue_position":1})"));
  EXPECT_EQ(StatusOf(2), "queued");
  httplib::Result waiting = client_->Get("/api/v1/runs/2", Auth(tester));
  ASSERT_TRUE(waiting);
  EXPECT_EQ(nlohmann::json::parse(waiting->body)["status"], "queued") << waiting->body;
  EXPECT_EQ(nlohmann::json::parse(waiting->body)["queue_position"], 1) << waiting->body;
  httplib::Result stop = Post("/api/v1/runs/2/stop", tester, nlohmann::json::object());
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 202) << stop->body;
  EXPECT_EQ(StatusOf(2), "aborted");
  httplib::Result gone = Post("/api/v1/runs/2/stop", tester, nlohmann::json::object());
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(gone->body, "{\"error\":\"run 2 is not queued or running\"}\n");

  ASSERT_TRUE(serve_->Signal(SIGTERM));
  EXPECT_EQ(serve_->Wait(kTimeout).exit_code, 0);
}

// A local run asked to stop ends `aborted`; a local run waits while another runs (one at a
// time); a service stopped with a run running and one queued ends both `aborted`: nothing is
// left `queued` or `running` in the store.
TEST_F(RunApiCliTest, StoppedRunsAndAStoppedServiceLeaveNothingQueuedOrRunning) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  ASSERT_EQ(Upload(tester)->status, 201);
  // Every user loops until the run is stopped (or its 60 s are over).
  const nlohmann::json forever = {{"plan", "echo.jmx"},
                                  {"properties", {{"port", std::to_string(target_->port())}, {"loops", "-1"}}},
                                  {"duration", 60}};
  auto wait_for_requests = [&] {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    const uint64_t before = target_->requests("/echo");
    while (target_->requests("/echo") < before + 20 && std::chrono::steady_clock::now() < deadline) {
      serve_->Pump(std::chrono::milliseconds(20));
    }
    return target_->requests("/echo") >= before + 20;
  };
  httplib::Result first = Post("/api/v1/projects/shop/runs", tester, forever);
  ASSERT_EQ(first->status, 201) << first->body;
  ASSERT_TRUE(wait_for_requests()) << serve_->out();
  EXPECT_EQ(StatusOf(1), "running");
  httplib::Result stop = Post("/api/v1/runs/1/stop", tester, nlohmann::json::object());
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 202) << stop->body;
  EXPECT_EQ(WaitForEnd(1), "aborted") << serve_->out();

  httplib::Result second = Post("/api/v1/projects/shop/runs", tester, forever);
  ASSERT_EQ(second->status, 201) << second->body;
  // Running, or queued for the moment the service takes to see the first run's process end.
  const std::string second_status = nlohmann::json::parse(second->body)["status"];
  EXPECT_TRUE(second_status == "running" || second_status == "queued") << second->body;
  ASSERT_TRUE(wait_for_requests()) << serve_->out();
  httplib::Result third = Post("/api/v1/projects/shop/runs", tester, forever);
  ASSERT_EQ(third->status, 201) << third->body;
  EXPECT_EQ(nlohmann::json::parse(third->body),
            nlohmann::json::parse(R"({"id":3,"status":"queued","queue_position":1})"));

  ASSERT_TRUE(serve_->Signal(SIGTERM));
  ProcessResult stopped = serve_->Wait(kTimeout);
  EXPECT_FALSE(stopped.timed_out);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(StatusOf(2), "aborted");
  EXPECT_EQ(StatusOf(3), "aborted");
}

// [server] max_local_runs = 2: two local runs at once, the third waits first in the queue.
TEST_F(RunApiCliTest, MaxLocalRunsRunsThatManyLocalRunsAtOnce) {
  StartService("tcp://127.0.0.1:*", "[server]\nmax_local_runs = 2\n");
  const std::string tester = Token("shop", "tester", "ci");
  ASSERT_EQ(Upload(tester)->status, 201);
  const nlohmann::json forever = {{"plan", "echo.jmx"},
                                  {"properties", {{"port", std::to_string(target_->port())}, {"loops", "-1"}}},
                                  {"duration", 60}};
  for (int id = 1; id <= 2; ++id) {
    httplib::Result r = Post("/api/v1/projects/shop/runs", tester, forever);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    EXPECT_EQ(nlohmann::json::parse(r->body)["status"], "running") << r->body;
  }
  httplib::Result third = Post("/api/v1/projects/shop/runs", tester, forever);
  ASSERT_TRUE(third);
  EXPECT_EQ(nlohmann::json::parse(third->body),
            nlohmann::json::parse(R"({"id":3,"status":"queued","queue_position":1})"));
  // Both children send load at once: each run commits samples while the other still runs.
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((SamplesOf(1) <= 0 || SamplesOf(2) <= 0) && std::chrono::steady_clock::now() < deadline) {
    serve_->Pump(std::chrono::milliseconds(50));
  }
  EXPECT_GT(SamplesOf(1), 0);
  EXPECT_GT(SamplesOf(2), 0);
  EXPECT_EQ(StatusOf(1), "running");
  EXPECT_EQ(StatusOf(2), "running");
  ASSERT_TRUE(serve_->Signal(SIGTERM));
  ProcessResult stopped = serve_->Wait(kTimeout);
  EXPECT_FALSE(stopped.timed_out);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(StatusOf(id), "aborted") << id;
}

// The service killed (SIGKILL) mid-run: its worker stops the load on its own (controller
// timeout), the next start of the service marks the run `aborted`, the worker rejoins the
// pool, and the store is intact.
TEST_F(RunApiCliTest, AServiceKilledMidRunLeavesTheRunAbortedAndTheWorkerBackInThePool) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  StartWorker("lg-01");
  ASSERT_TRUE(WaitForIdle(tester, 1)) << serve_->out();
  ASSERT_EQ(Upload(tester)->status, 201);
  const nlohmann::json forever = {{"plan", "echo.jmx"},
                                  {"properties", {{"port", std::to_string(target_->port())}, {"loops", "-1"}}},
                                  {"workers", 1},
                                  {"duration", 60}};
  httplib::Result started = Post("/api/v1/projects/shop/runs", tester, forever);
  ASSERT_EQ(started->status, 201) << started->body;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  // Killed once samples are committed.
  while (SamplesOf(1) < 20 && std::chrono::steady_clock::now() < deadline) {
    serve_->Pump(std::chrono::milliseconds(20));
    workers_[0]->Pump(std::chrono::milliseconds(0));
  }
  const int64_t committed = SamplesOf(1);
  ASSERT_GE(committed, 20) << serve_->out() << workers_[0]->err();
  EXPECT_EQ(StatusOf(1), "running");
  const std::string endpoint = endpoint_;
  ASSERT_TRUE(serve_->Signal(SIGKILL));
  serve_->Wait(kTimeout);

  // The load stops soon after the worker's 2 s controller timeout.
  uint64_t last = target_->requests("/echo");
  auto last_change = std::chrono::steady_clock::now();
  const auto killed = last_change;
  while (std::chrono::steady_clock::now() - last_change < std::chrono::milliseconds(1'500) &&
         std::chrono::steady_clock::now() - killed < kTimeout) {
    workers_[0]->Pump(std::chrono::milliseconds(50));
    if (target_->requests("/echo") != last) {
      last = target_->requests("/echo");
      last_change = std::chrono::steady_clock::now();
    }
  }
  EXPECT_LT(last_change - killed, std::chrono::milliseconds(8'000));
  EXPECT_TRUE(workers_[0]->running());

  // The service again, on the same worker endpoint: the run is marked, the worker rejoins.
  StartService(endpoint);
  EXPECT_NE(serve_->out().find("barrage: marked 1 interrupted run(s) aborted"), std::string::npos) << serve_->out();
  EXPECT_EQ(StatusOf(1), "aborted");
  ASSERT_TRUE(WaitForIdle(tester, 1)) << serve_->out() << workers_[0]->err();
  std::unique_ptr<ResultsStore> store = Store();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->CheckIntegrity().ok());
  Result<ExecutionRecord> run = store->GetExecution(1);
  ASSERT_TRUE(run.ok());
  EXPECT_GE(static_cast<int64_t>(run->samples), committed);  // what was committed before the kill stays
  // And it runs the next run.
  nlohmann::json short_run = forever;
  short_run["properties"]["loops"] = "5";
  short_run.erase("duration");
  httplib::Result next = Post("/api/v1/projects/shop/runs", tester, short_run);
  ASSERT_EQ(next->status, 201) << next->body;
  EXPECT_EQ(WaitForEnd(2), "passed") << serve_->out();
  ASSERT_TRUE(serve_->Signal(SIGTERM));
  EXPECT_EQ(serve_->Wait(kTimeout).exit_code, 0);
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> MetricLines(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

// GET /api/v1/metrics (issue 15): a token is required; a project's token sees its own cluster
// runs' series while they run and after they end, the pool, and its run counts.
TEST_F(RunApiCliTest, MetricsNeedATokenAndShowTheProjectsClusterRunWhileItGoesAndAfter) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  const std::string viewer = Token("shop", "viewer", "dashboard");
  const std::string stranger = Token("blog", "admin", "blog-admin");
  StartWorker("lg-01");
  ASSERT_TRUE(WaitForIdle(viewer, 1)) << serve_->out();

  httplib::Result anonymous = client_->Get("/api/v1/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->body,
            "{\"error\":\"authentication required: send a valid token as 'Authorization: Bearer <token>'\"}\n");

  httplib::Result idle = client_->Get("/api/v1/metrics", Auth(viewer));
  ASSERT_TRUE(idle);
  ASSERT_EQ(idle->status, 200);
  EXPECT_EQ(idle->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(
      MetricLines(idle->body, "barrage_service_"),
      (std::vector<std::string>{
          "barrage_service_runs{project=\"shop\",state=\"queued\"} 0",
          "barrage_service_runs{project=\"shop\",state=\"running\"} 0", "barrage_service_workers{state=\"busy\"} 0",
          "barrage_service_workers{state=\"idle\"} 1", "barrage_service_workers{state=\"lost\"} 0",
          "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"busy\"} 0",
          "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"idle\"} 1",
          "barrage_service_worker_state{worker=\"lg-01\",barrage_service_worker_state=\"lost\"} 0"}));

  httplib::Result up = Upload(tester);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  // Endless until stopped: 2 users x a million loops.
  const nlohmann::json body = {{"plan", "echo.jmx"},
                               {"properties", {{"port", std::to_string(target_->port())}, {"loops", "1000000"}}},
                               {"workers", 1}};
  httplib::Result started = Post("/api/v1/projects/shop/runs", tester, body);
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;

  // While it goes: samples counted, the run and its worker running.
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    httplib::Result r = client_->Get("/api/v1/metrics", Auth(viewer));
    ASSERT_TRUE(r);
    text = r->body;
    if (!MetricLines(text, "barrage_requests_total{run=\"1\",project=\"shop\",label=\"echo\"}").empty() &&
        !MetricLines(text,
                     "barrage_worker_state{run=\"1\",project=\"shop\",worker=\"lg-01\",barrage_worker_state="
                     "\"running\"} 1")
             .empty()) {
      break;
    }
    serve_->Pump(std::chrono::milliseconds(100));
    for (auto& w : workers_) w->Pump(std::chrono::milliseconds(0));
  }
  EXPECT_EQ(MetricLines(text, "barrage_run_state{run=\"1\",project=\"shop\",barrage_run_state=\"running\"}"),
            (std::vector<std::string>{"barrage_run_state{run=\"1\",project=\"shop\",barrage_run_state=\"running\"} 1"}))
      << text;
  EXPECT_EQ(MetricLines(text, "barrage_service_runs{"),
            (std::vector<std::string>{"barrage_service_runs{project=\"shop\",state=\"queued\"} 0",
                                      "barrage_service_runs{project=\"shop\",state=\"running\"} 1"}));
  EXPECT_EQ(MetricLines(text, "barrage_service_workers{state=\"busy\"}"),
            (std::vector<std::string>{"barrage_service_workers{state=\"busy\"} 1"}));
  EXPECT_EQ(MetricLines(text,
                        "barrage_worker_state{run=\"1\",project=\"shop\",worker=\"lg-01\",barrage_worker_state="
                        "\"running\"}"),
            (std::vector<std::string>{"barrage_worker_state{run=\"1\",project=\"shop\",worker=\"lg-01\","
                                      "barrage_worker_state=\"running\"} 1"}))
      << text;

  // Another project's token sees the pool, not the run.
  httplib::Result theirs = client_->Get("/api/v1/metrics", Auth(stranger));
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->status, 200);
  EXPECT_EQ(theirs->body.find("run=\"1\""), std::string::npos) << theirs->body;
  EXPECT_NE(theirs->body.find("barrage_service_workers{state=\"busy\"} 1\n"), std::string::npos);

  httplib::Result stop = Post("/api/v1/runs/1/stop", tester, nlohmann::json::object());
  ASSERT_TRUE(stop);
  ASSERT_EQ(stop->status, 202) << stop->body;
  EXPECT_EQ(WaitForEnd(1), "aborted") << serve_->out();
  const int64_t samples = SamplesOf(1);
  ASSERT_GT(samples, 0);

  // After the end, in OpenMetrics: the final count, the stored status.
  httplib::Result after = client_->Get(
      "/api/v1/metrics", {{"Authorization", "Bearer " + viewer}, {"Accept", "application/openmetrics-text"}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->get_header_value("Content-Type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_EQ(MetricLines(after->body, "barrage_requests_total{"),
            (std::vector<std::string>{"barrage_requests_total{run=\"1\",project=\"shop\",label=\"echo\"} " +
                                      std::to_string(samples)}))
      << after->body;
  EXPECT_EQ(
      MetricLines(after->body, "barrage_run_state{run=\"1\",project=\"shop\",barrage_run_state=\"aborted\"}"),
      (std::vector<std::string>{"barrage_run_state{run=\"1\",project=\"shop\",barrage_run_state=\"aborted\"} 1"}));
  EXPECT_EQ(after->body.substr(after->body.size() - 6), "# EOF\n");
}

}  // namespace
}  // namespace barrage
