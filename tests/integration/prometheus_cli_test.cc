// `barrage run --metrics-listen` (issue 15 item 2) scraped by a REAL Prometheus (Debian's
// `prometheus`, started by the test on 127.0.0.1 with its own temporary TSDB and stopped by
// PID): a bounded run against the in-process fixture target, then PromQL over what Prometheus
// stored equals the run's own counts exactly. Also the flag's errors (exit 2 / 1).
//
// Without the prometheus binary the test skips, except under CI=true where it fails.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fixture/fixture_server.h"
#include "tests/integration/jmx_xml.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::El;
using test::ProcessResult;
using test::RunProcess;
using test::Str;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

// `users` x `loops` x (GET /hello.txt "hello", GET /missing "missing": 404) on 127.0.0.1:port.
std::string Plan(int port, int users, int loops) {
  auto http = [&](const std::string& name, const std::string& path) {
    return El("HTTPSamplerProxy", name,
              Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)) +
                  Str("HTTPSampler.path", path) + Str("HTTPSampler.method", "GET"));
  };
  const std::string group =
      El("ThreadGroup", "users",
         Str("ThreadGroup.num_threads", std::to_string(users)) + Str("ThreadGroup.ramp_time", "0") +
             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
             Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
         http("hello", "/hello.txt") + http("missing", "/missing"));
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Scraped\"/>\n"
         "<hashTree>\n" +
         group + "</hashTree></hashTree></jmeterTestPlan>\n";
}

// A port of 127.0.0.1 free a moment ago (the kernel's pick for port 0).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

int64_t CountSamples(const fs::path& db) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM sample", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

class PrometheusCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("barrage-prom-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Result<std::unique_ptr<fixture::FixtureServer>> started = fixture::FixtureServer::Start({});
    ASSERT_TRUE(started.ok()) << started.status().message();
    fixture_ = std::move(*started);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> fixture_;
};

// The value of an instant PromQL query returning one sample, or -1 (no sample yet, error).
double Query(httplib::Client& prom, const std::string& promql) {
  httplib::Result r = prom.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!r || r->status != 200) return -1;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || j["status"] != "success" || j["data"]["result"].size() != 1) return -1;
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

// Polls `promql` until it returns `expected` or `deadline` passes; the last value seen.
double QueryUntil(httplib::Client& prom, const std::string& promql, double expected,
                  steady_clock::time_point deadline) {
  double v = Query(prom, promql);
  while (v != expected && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(200));
    v = Query(prom, promql);
  }
  return v;
}

TEST_F(PrometheusCliTest, PrometheusScrapesTheRunAndPromQlCountsEverySample) {
  if (!fs::exists(kPrometheus)) {
    const char* ci = getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << kPrometheus << " is missing: install Debian's prometheus package (scripts/setup.sh does)";
    }
    GTEST_SKIP() << kPrometheus << " is missing (apt-get install prometheus)";
  }
  constexpr int kUsers = 3, kLoops = 40;  // 240 samples, 120 of them 404
  const fs::path plan = Write("scraped.jmx", Plan(fixture_->port(), kUsers, kLoops));
  const fs::path db = dir_ / "runs.db";
  ChildProcess run({BARRAGE_BINARY, "run", plan.string(), "--db", db.string(), "--quiet", "--metrics-listen",
                    "127.0.0.1:0", "--metrics-linger", "60"});
  ASSERT_TRUE(run.running());
  // The endpoint's address, as the run prints it.
  const std::string marker = "barrage: metrics at http://127.0.0.1:";
  const auto deadline = steady_clock::now() + seconds(30);
  while (run.out().find(marker) == std::string::npos || run.out().find("/metrics\n") == std::string::npos) {
    ASSERT_TRUE(run.Pump(milliseconds(100))) << run.err();
    ASSERT_LT(steady_clock::now(), deadline) << run.out();
  }
  const size_t at = run.out().find(marker) + marker.size();
  const int metrics_port = std::stoi(run.out().substr(at, run.out().find('/', at) - at));

  const int prom_port = FreePort();
  ASSERT_GT(prom_port, 0);
  const fs::path config = Write("prometheus.yml",
                                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                "scrape_configs:\n  - job_name: barrage\n    scrape_interval: 1s\n"
                                "    scrape_timeout: 1s\n    static_configs:\n      - targets: ['127.0.0.1:" +
                                    std::to_string(metrics_port) + "']\n");
  ChildProcess prometheus({kPrometheus, "--config.file=" + config.string(),
                           "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});
  ASSERT_TRUE(prometheus.running());

  // The run ends once Prometheus has scraped it after its end (--metrics-linger bounds that).
  ProcessResult ran = run.Wait(seconds(90));
  ASSERT_FALSE(ran.timed_out) << ran.out << ran.err;
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("barrage: metrics: waiting up to 60 s for a last scrape of http://127.0.0.1:" +
                         std::to_string(metrics_port) + "/metrics\n"),
            std::string::npos)
      << ran.out;
  const int64_t samples = CountSamples(db);
  ASSERT_EQ(samples, kUsers * kLoops * 2);
  EXPECT_EQ(fixture_->requests(), static_cast<uint64_t>(samples));

  httplib::Client prom("127.0.0.1", prom_port);
  prom.set_read_timeout(5, 0);
  // The target is gone after the run: Prometheus marks its series stale, so the queries read
  // the highest value each series had in the last 10 minutes.
  const auto query_deadline = steady_clock::now() + seconds(30);
  EXPECT_EQ(
      QueryUntil(prom, "sum(max_over_time(barrage_requests_total[10m]))", static_cast<double>(samples), query_deadline),
      static_cast<double>(samples));
  EXPECT_EQ(QueryUntil(prom, "sum(max_over_time(barrage_elapsed_seconds_count[10m]))", static_cast<double>(samples),
                       query_deadline),
            static_cast<double>(samples));
  EXPECT_EQ(QueryUntil(prom, "sum(max_over_time(barrage_errors_total{label=\"missing\",code=\"404\"}[10m]))",
                       kUsers * kLoops, query_deadline),
            kUsers * kLoops);
  EXPECT_EQ(QueryUntil(prom, "sum(max_over_time(barrage_samples_recorded_total[10m]))", static_cast<double>(samples),
                       query_deadline),
            static_cast<double>(samples));
  EXPECT_EQ(QueryUntil(prom, "max_over_time(barrage_run_state{barrage_run_state=\"passed\"}[10m])", 1, query_deadline),
            1);

  ASSERT_TRUE(prometheus.Signal(SIGTERM));
  ProcessResult stopped = prometheus.Wait(seconds(20));
  EXPECT_FALSE(stopped.timed_out);
}

TEST_F(PrometheusCliTest, AnAddressThatIsNotAddressPortExitsTwoNamingTheFlag) {
  const fs::path plan = Write("p.jmx", Plan(fixture_->port(), 1, 1));
  ProcessResult r = RunProcess(
      {BARRAGE_BINARY, "run", plan.string(), "--db", (dir_ / "runs.db").string(), "--metrics-listen", "localhost"},
      seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: --metrics-listen: listen \"localhost\": no port (expected ADDRESS:PORT, e.g. "
            "127.0.0.1:8470)\n");
  EXPECT_EQ(fixture_->requests(), 0u);
}

TEST_F(PrometheusCliTest, APortInUseExitsOneNamingTheFlagBeforeAnyRequest) {
  const fs::path plan = Write("p.jmx", Plan(fixture_->port(), 1, 1));
  const std::string taken = "127.0.0.1:" + std::to_string(fixture_->port());
  ProcessResult r =
      RunProcess({BARRAGE_BINARY, "run", plan.string(), "--db", (dir_ / "runs.db").string(), "--metrics-listen", taken},
                 seconds(30));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "barrage: --metrics-listen: cannot listen on " + taken +
                       " (the port is in use, or the address is not one of this machine's)\n");
  EXPECT_EQ(fixture_->requests(), 0u);
}

TEST_F(PrometheusCliTest, WithoutAScraperTheRunEndsAfterTheLinger) {
  const fs::path plan = Write("p.jmx", Plan(fixture_->port(), 1, 2));
  const auto start = steady_clock::now();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "run", plan.string(), "--db", (dir_ / "runs.db").string(), "--quiet",
                                "--metrics-listen", "[::1]:0", "--metrics-linger", "1"},
                               seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("barrage: metrics at http://[::1]:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("barrage: metrics: waiting up to 1 s for a last scrape of http://[::1]:"), std::string::npos)
      << r.out;
  EXPECT_GE(steady_clock::now() - start, seconds(1));
  EXPECT_EQ(fixture_->requests(), 4u);
}

// A cluster run's endpoint: the merged stream of its worker, each sample once, and the worker's
// series. The run waits for the last scrape, which the test makes itself.
TEST_F(PrometheusCliTest, AClusterRunExposesTheMergedCountsAndItsWorker) {
  constexpr int kUsers = 2, kLoops = 25;  // 100 samples on the one worker
  const fs::path plan = Write("scraped.jmx", Plan(fixture_->port(), kUsers, kLoops));
  const fs::path db = dir_ / "runs.db";
  ChildProcess run({BARRAGE_BINARY, "run", plan.string(), "--db", db.string(), "--quiet", "--workers", "1",
                    "--insecure", "--bind", "tcp://127.0.0.1:*", "--heartbeat-ms", "200", "--metrics-listen",
                    "127.0.0.1:0", "--metrics-linger", "60"});
  ASSERT_TRUE(run.running());
  const std::regex endpoint(" on (tcp://[0-9.]+:[0-9]+)");
  const std::regex metrics("barrage: metrics at http://127\\.0\\.0\\.1:([0-9]+)/metrics\n");
  std::smatch e, m;
  const auto deadline = steady_clock::now() + seconds(30);
  while (!std::regex_search(run.out(), e, endpoint) || !std::regex_search(run.out(), m, metrics)) {
    ASSERT_TRUE(run.Pump(milliseconds(100))) << run.out() << run.err();
    ASSERT_LT(steady_clock::now(), deadline) << run.out();
  }
  const std::string controller = e[1];
  const int metrics_port = std::stoi(m[1]);
  ChildProcess worker({BARRAGE_WORKER_BINARY, "--controller", controller, "--name", "w1", "--work-dir",
                       (dir_ / "work-w1").string(), "--threads", "1", "--heartbeat-ms", "200", "--insecure"});
  ASSERT_TRUE(worker.running());
  while (run.out().find("barrage: metrics: waiting up to 60 s for a last scrape") == std::string::npos) {
    ASSERT_TRUE(run.Pump(milliseconds(100))) << run.out() << run.err();
    worker.Pump(milliseconds(0));
    ASSERT_LT(steady_clock::now(), deadline + seconds(30)) << run.out();
  }
  httplib::Client scraper("127.0.0.1", metrics_port);
  httplib::Result r = scraper.Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  ProcessResult ran = run.Wait(seconds(30));
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  const int64_t samples = CountSamples(db);
  ASSERT_EQ(samples, kUsers * kLoops * 2);
  const std::string text = r->body;
  EXPECT_NE(text.find("barrage_requests_total{run=\"1\",project=\"default\",label=\"hello\"} " +
                      std::to_string(kUsers * kLoops) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("barrage_requests_total{run=\"1\",project=\"default\",label=\"missing\"} " +
                      std::to_string(kUsers * kLoops) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("barrage_samples_recorded_total{run=\"1\",project=\"default\"} " + std::to_string(samples) + "\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("barrage_run_state{run=\"1\",project=\"default\",barrage_run_state=\"passed\"} 1\n"),
            std::string::npos)
      << text;
  // The worker's phase, as of the last tick: one state of the set is 1.
  int states_set = 0;
  for (const char* phase : {"registered", "loading", "ready", "running", "finished", "lost", "rejected"}) {
    states_set += text.find("barrage_worker_state{run=\"1\",project=\"default\",worker=\"w1\",barrage_worker_state=\"" +
                            std::string(phase) + "\"} 1\n") != std::string::npos;
  }
  EXPECT_EQ(states_set, 1) << text;
  EXPECT_EQ(fixture_->requests(), static_cast<uint64_t>(samples));
}

TEST_F(PrometheusCliTest, CtrlCDuringTheLingerEndsTheWaitWithTheRunsExitCode) {
  const fs::path plan = Write("p.jmx", Plan(fixture_->port(), 1, 2));
  ChildProcess run({BARRAGE_BINARY, "run", plan.string(), "--db", (dir_ / "runs.db").string(), "--quiet",
                    "--metrics-listen", "127.0.0.1:0", "--metrics-linger", "120"});
  const auto deadline = steady_clock::now() + seconds(30);
  while (run.out().find("barrage: metrics: waiting up to 120 s for a last scrape") == std::string::npos) {
    ASSERT_TRUE(run.Pump(milliseconds(100))) << run.out() << run.err();
    ASSERT_LT(steady_clock::now(), deadline) << run.out();
  }
  const auto interrupted = steady_clock::now();
  ASSERT_TRUE(run.Signal(SIGINT));
  ProcessResult r = run.Wait(seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(steady_clock::now() - interrupted, seconds(10));
  EXPECT_EQ(fixture_->requests(), 4u);
}

}  // namespace
}  // namespace barrage
