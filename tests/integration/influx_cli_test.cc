// Live metrics to a REAL InfluxDB (issue 15): the test starts Debian's `influxd` (1.6) on
// 127.0.0.1 with its own config, data and ports in a temporary folder, runs the real
// `barrage` (a local run with a Backend Listener in the plan, a 3-worker cluster run with
// --influx) against the fixture server in this process, and reads the points back through
// InfluxDB's /query API: the per-second count/countError of every label equal the run's own
// (its JTL, its store), the events annotations are there, a cluster run's points are
// written once. InfluxDB killed mid-run: the run passes with every sample stored and reports
// the dropped points.
//
// Without /usr/bin/influxd the cases are skipped, except under CI=true where that is a
// failure (scripts/setup.sh installs the package).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/jmx_xml.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::El;
using test::ProcessResult;
using test::Str;

constexpr char kInfluxd[] = "/usr/bin/influxd";
constexpr milliseconds kRunLimit{60'000};  // bounds a hang; healthy cases take seconds

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Per (label, second start ms): samples and errors.
using PerSecond = std::map<std::pair<std::string, int64_t>, std::pair<int64_t, int64_t>>;

void Count(PerSecond* out, const std::string& label, int64_t ts, bool success) {
  auto& c = (*out)[{label, ts - ts % 1000}];
  ++c.first;
  if (!success) ++c.second;
  auto& all = (*out)[{"all", ts - ts % 1000}];
  ++all.first;
  if (!success) ++all.second;
}

// The JTL's rows (JMeter's default columns: timeStamp, elapsed, label, ..., success at 7).
PerSecond FromJtl(const fs::path& path, int64_t* rows) {
  PerSecond out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  *rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) f.push_back(field);
    if (f.size() < 8) continue;
    Count(&out, f[2], std::stoll(f[0]), f[7] == "true");
    ++*rows;
  }
  return out;
}

// A throw-away influxd: config, meta, data and WAL in `dir`, HTTP and RPC on ephemeral
// loopback ports (read back from its log), no reporting. Killed by PID at the end.
class Influxd {
 public:
  explicit Influxd(const fs::path& dir) : dir_(dir) {}

  void Start() {
    fs::create_directories(dir_);
    const fs::path config = dir_ / "influxdb.conf";
    std::ofstream(config) << "reporting-disabled = true\n"
                             "bind-address = \"127.0.0.1:0\"\n"
                             "[meta]\n  dir = \""
                          << (dir_ / "meta").string()
                          << "\"\n"
                             "[data]\n  dir = \""
                          << (dir_ / "data").string() << "\"\n  wal-dir = \"" << (dir_ / "wal").string()
                          << "\"\n  query-log-enabled = false\n"
                             "[http]\n  bind-address = \"127.0.0.1:0\"\n  log-enabled = false\n"
                             "[monitor]\n  store-enabled = false\n"
                             "[continuous_queries]\n  enabled = false\n";
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{kInfluxd, "run", "-config", config.string()});
    ASSERT_TRUE(process_->running());
    static const std::regex kListening("Listening on HTTP[^\\n]*addr=127\\.0\\.0\\.1:([0-9]+)");
    std::smatch m;
    const steady_clock::time_point deadline = steady_clock::now() + std::chrono::seconds(30);
    while (!std::regex_search(process_->err(), m, kListening) && !std::regex_search(process_->out(), m, kListening)) {
      ASSERT_TRUE(process_->Pump(milliseconds(50))) << "influxd exited:\n" << process_->err();
      ASSERT_LT(steady_clock::now(), deadline) << "influxd did not listen:\n" << process_->err();
    }
    port_ = std::stoi(m[1]);
    // The HTTP listener is up before the meta store may answer: retry the first query.
    nlohmann::json created;
    for (int i = 0; i < 100; ++i) {
      created = Query("CREATE DATABASE jmeter", "");
      if (!created.is_null() && !created.contains("error")) break;
      std::this_thread::sleep_for(milliseconds(50));  // polling, bounded by the loop
    }
    ASSERT_FALSE(created.is_null());
  }

  void Kill() {
    if (process_ && process_->running()) {
      process_->Signal(SIGKILL);
      process_->Wait(milliseconds(5000));
    }
  }

  // The parsed answer of /query (null when none came).
  nlohmann::json Query(const std::string& q, const std::string& db) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2);
    client.set_read_timeout(10);
    httplib::Params params{{"q", q}, {"epoch", "ms"}};
    if (!db.empty()) params.emplace("db", db);
    auto res = client.Post("/query", params);
    if (!res) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  // SELECT's rows: the values arrays of the first series (none when empty).
  std::vector<nlohmann::json> Rows(const std::string& q) {
    nlohmann::json r = Query(q, "jmeter");
    std::vector<nlohmann::json> rows;
    if (r.is_null() || !r.contains("results")) {
      ADD_FAILURE() << q << ": " << r.dump();
      return rows;
    }
    for (const auto& result : r["results"]) {
      if (result.contains("error")) ADD_FAILURE() << q << ": " << result.dump();
      if (!result.contains("series")) continue;
      for (const auto& series : result["series"]) {
        for (const auto& v : series["values"]) rows.push_back(v);
      }
    }
    return rows;
  }

  // The measurement's count/countError per (transaction, second) for statut=all.
  PerSecond Points(const std::string& application) {
    PerSecond out;
    for (const auto& row : Rows("SELECT \"count\", \"countError\", \"transaction\" FROM \"jmeter\" WHERE "
                                "\"statut\" = 'all' AND \"application\" = '" +
                                application + "'")) {
      const std::string transaction = row[3].get<std::string>();
      auto& c = out[{transaction, row[0].get<int64_t>()}];
      c.first = row[1].get<int64_t>();
      if (transaction == "all") c.second = row[2].get<int64_t>();
    }
    return out;
  }

  pid_t pid() const { return process_ ? process_->pid() : -1; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/write?db=jmeter"; }
  std::string log() const { return process_ ? process_->err() : ""; }

 private:
  fs::path dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// Per-label errors of the JTL keep only "all"'s countError: the test compares count for
// every label and countError for the whole run (per-label error counts are the ko points).
PerSecond ComparableJtl(PerSecond jtl) {
  for (auto& [key, c] : jtl) {
    if (key.first != "all") c.second = 0;
  }
  return jtl;
}

class InfluxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kInfluxd)) {
      if (InCi()) FAIL() << kInfluxd << " is missing: install Debian's influxdb (scripts/setup.sh)";
      GTEST_SKIP() << kInfluxd << " is missing (Debian package influxdb)";
    }
    std::string pattern = (fs::temp_directory_path() / "barrage-influx-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    influx_ = std::make_unique<Influxd>(dir_ / "influxdb");
    influx_->Start();
  }
  void TearDown() override {
    workers_.clear();
    controller_.reset();
    if (influx_) influx_->Kill();
    if (server_) server_->Stop();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  std::string Write(const std::string& name, const std::string& content) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  static std::string Arg(const std::string& name, const std::string& value) {
    return "<elementProp name=\"" + name + "\" elementType=\"Argument\">\n" + Str("Argument.name", name) +
           Str("Argument.value", value) + Str("Argument.metadata", "=") + "</elementProp>\n";
  }
  static std::string BackendListener(const std::string& classname, const std::string& args) {
    return "<BackendListener guiclass=\"BackendListenerGui\" testclass=\"BackendListener\" testname=\"Live\" "
           "enabled=\"true\">\n<elementProp name=\"arguments\" elementType=\"Arguments\" testclass=\"Arguments\" "
           "enabled=\"true\">\n<collectionProp name=\"Arguments.arguments\">\n" +
           args + "</collectionProp>\n</elementProp>\n" + Str("classname", classname) +
           "</BackendListener>\n<hashTree/>\n";
  }
  // Test Plan "Shop": `threads` x `loops` x (Home: /delay/`delay_ms`, Missing: a 404), and
  // `extra` beside the thread group.
  std::string PlanXml(int threads, int loops, int delay_ms, const std::string& extra) {
    const std::string port = std::to_string(server_->port());
    auto http = [&](const std::string& name, const std::string& path) {
      return El("HTTPSamplerProxy", name,
                Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", port) + Str("HTTPSampler.path", path));
    };
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n"
           "<hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Shop\" enabled=\"true\"/>\n<hashTree>\n" +
           El("ThreadGroup", "Users",
              Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                  "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                  Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
              http("Home", "/delay/" + std::to_string(delay_ms)) + http("Missing", "/status/404")) +
           extra + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
  }

  bool PumpUntil(const std::function<bool()>& condition, milliseconds limit) {
    const steady_clock::time_point deadline = steady_clock::now() + limit;
    while (!condition()) {
      if (steady_clock::now() >= deadline) return false;
      if (controller_) controller_->Pump(milliseconds(20));
      for (auto& w : workers_) w->Pump(milliseconds(0));
    }
    return true;
  }

  static int64_t Sum(const PerSecond& p, const std::string& label) {
    int64_t n = 0;
    for (const auto& [key, c] : p) n += key.first == label ? c.first : 0;
    return n;
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::unique_ptr<Influxd> influx_;
  std::unique_ptr<ChildProcess> controller_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(InfluxCliTest, ABackendListenerInThePlanWritesTheRunsPerSecondFigures) {
  const std::string listener = BackendListener(
      "org.apache.jmeter.visualizers.backend.influxdb.InfluxdbBackendListenerClient",
      Arg("influxdbMetricsSender", "org.apache.jmeter.visualizers.backend.influxdb.HttpMetricsSender") +
          Arg("influxdbUrl", "${__P(influxUrl,http://127.0.0.1:9/write?db=none)}") + Arg("application", "shop") +
          Arg("measurement", "jmeter") + Arg("summaryOnly", "false") + Arg("samplersRegex", ".*") +
          Arg("percentiles", "90;95;99") + Arg("testTitle", "Shop test") + Arg("eventTags", ""));
  // 4 users x 12 loops x (100 ms + a 404): about 1.3 s of load over two or three seconds.
  const std::string plan = Write("plan.jmx", PlanXml(4, 12, 100, listener));
  const fs::path jtl = dir_ / "run.jtl";
  ProcessResult r = test::RunProcess({BARRAGE_BINARY, "run", plan, "-J", "influxUrl=" + influx_->url(), "-l",
                                      jtl.string(), "--db", (dir_ / "results.db").string(), "--quiet"},
                                     kRunLimit);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  const std::regex end_line("barrage: influxdb " + std::regex_replace(influx_->url(), std::regex("[?.]"), "\\$&") +
                            ": ([0-9]+) points sent, 0 dropped\n");
  ASSERT_TRUE(std::regex_search(r.err, m, end_line)) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;

  int64_t rows = 0;
  PerSecond expected = ComparableJtl(FromJtl(jtl, &rows));
  ASSERT_EQ(rows, 96);
  EXPECT_GE(expected.size(), 4u);  // two labels and the run's, over more than one second
  EXPECT_EQ(influx_->Points("shop"), expected);
  EXPECT_EQ(Sum(influx_->Points("shop"), "all"), 96);
  // The ko points of the 404s, and their error points.
  std::vector<nlohmann::json> ko =
      influx_->Rows("SELECT SUM(\"count\") FROM \"jmeter\" WHERE \"statut\" = 'ko' AND \"transaction\" = 'Missing'");
  ASSERT_EQ(ko.size(), 1u);
  EXPECT_EQ(ko[0][1].get<int64_t>(), 48);
  std::vector<nlohmann::json> errors = influx_->Rows(
      "SELECT SUM(\"count\") FROM \"jmeter\" WHERE \"responseCode\" = '404' AND \"responseMessage\" = 'Not Found'");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0][1].get<int64_t>(), 48);
  // One internal point per second, users as the tick saw them.
  EXPECT_FALSE(influx_->Rows("SELECT \"maxAT\" FROM \"jmeter\" WHERE \"transaction\" = 'internal'").empty());
  // The annotations, JMeter's: text "<testTitle> started|ended", title ApacheJMeter.
  std::vector<nlohmann::json> events = influx_->Rows("SELECT \"text\", \"title\", \"application\" FROM \"events\"");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0][1], "Shop test started");
  EXPECT_EQ(events[1][1], "Shop test ended");
  EXPECT_EQ(events[0][2], "ApacheJMeter");
  EXPECT_EQ(events[0][3], "shop");
  // Every point the end line counts is in InfluxDB.
  std::vector<nlohmann::json> all_points = influx_->Rows("SELECT COUNT(\"count\") FROM \"jmeter\"");
  std::vector<nlohmann::json> internal_points = influx_->Rows("SELECT COUNT(\"maxAT\") FROM \"jmeter\"");
  ASSERT_EQ(all_points.size(), 1u);
  ASSERT_EQ(internal_points.size(), 1u);
  EXPECT_EQ(std::stoll(m[1]),
            all_points[0][1].get<int64_t>() + internal_points[0][1].get<int64_t>() + 2);  // + the 2 events
}

TEST_F(InfluxCliTest, AClusterRunIsWrittenOnceByTheControllerWithInfluxFlag) {
  // No Backend Listener in the plan: --influx alone (application and title = the plan's name).
  const std::string plan = Write("plan.jmx", PlanXml(2, 5, 20, ""));
  const std::string db = (dir_ / "results.db").string();
  controller_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{BARRAGE_BINARY, "run", plan, "--bind", "tcp://127.0.0.1:*", "--insecure", "--db", db,
                               "--workers", "3", "--heartbeat-ms", "200", "--influx", influx_->url()});
  std::smatch m;
  static const std::regex kEndpoint(" on (tcp://[0-9.]+:[0-9]+)");
  ASSERT_TRUE(PumpUntil([&] { return std::regex_search(controller_->out(), m, kEndpoint); }, milliseconds(10'000)))
      << controller_->out() << controller_->err();
  const std::string endpoint = m[1];
  for (const char* name : {"w1", "w2", "w3"}) {
    workers_.push_back(std::make_unique<ChildProcess>(std::vector<std::string>{
        BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", name, "--work-dir",
        (dir_ / (std::string("work-") + name)).string(), "--threads", "1", "--heartbeat-ms", "200", "--insecure"}));
  }
  PumpUntil([&] { return !controller_->running(); }, kRunLimit);
  ProcessResult r = controller_->Wait(milliseconds(1000));
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 passed: 60 samples from 3 worker(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(" points sent, 0 dropped\n"), std::string::npos) << r.err;

  // The store's samples per second and label, against the points.
  PerSecond expected;
  Result<ResultsStore> store = ResultsStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Status read = store->ForEachSample(1, [&](const Sample& s) { Count(&expected, s.label, s.timestamp_ms, s.success); });
  ASSERT_TRUE(read.ok()) << read.message();
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(Sum(expected, "all"), 60);
  PerSecond points = influx_->Points("Shop");
  EXPECT_EQ(points, ComparableJtl(expected));
  EXPECT_EQ(Sum(points, "all"), 60);  // written once, not once per worker
  std::vector<nlohmann::json> events = influx_->Rows("SELECT \"text\" FROM \"events\"");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0][1], "Shop started");
  EXPECT_EQ(events[1][1], "Shop ended");
}

TEST_F(InfluxCliTest, InfluxKilledMidRunTheRunGoesOnAndReportsTheDroppedPoints) {
  // 2 users x 40 loops x (100 ms + a 404): about 4 s of load.
  const std::string plan = Write("plan.jmx", PlanXml(2, 40, 100, ""));
  const std::string db = (dir_ / "results.db").string();
  controller_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{BARRAGE_BINARY, "run", plan, "--db", db, "--influx", influx_->url(), "--quiet"});
  // Once points have arrived, InfluxDB dies (SIGKILL by PID).
  ASSERT_TRUE(PumpUntil(
      [&] {
        std::vector<nlohmann::json> n = influx_->Rows("SELECT COUNT(\"count\") FROM \"jmeter\"");
        return !n.empty() && n[0][1].get<int64_t>() > 0;
      },
      milliseconds(20'000)))
      << controller_->err();
  ASSERT_TRUE(controller_->running()) << "the run ended before InfluxDB could be killed";
  influx_->Kill();
  PumpUntil([&] { return !controller_->running(); }, kRunLimit);
  ProcessResult r = controller_->Wait(milliseconds(1000));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 passed: 160 samples"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.err, m, std::regex("barrage: influxdb [^ ]+: ([0-9]+) points sent, ([0-9]+) dropped\n")))
      << r.err;
  EXPECT_GT(std::stoll(m[1]), 0) << r.err;
  EXPECT_GT(std::stoll(m[2]), 0) << r.err;
  EXPECT_NE(r.err.find("barrage: warning: influxdb " + influx_->url() + ": " + std::string(m[2]) + " point(s) dropped"),
            std::string::npos)
      << r.err;
  Result<ResultsStore> store = ResultsStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<int64_t> n = store->CountSamples(1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 160);
  ASSERT_TRUE(store->Close().ok());
}

// Bad input stops the run before anything starts (exit 2), naming the flag or the listener;
// no InfluxDB needed.
TEST(InfluxCliUsageTest, MalformedUrlsAndInfluxWithServerAreRefused) {
  std::string pattern = (fs::temp_directory_path() / "barrage-influx-usage-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  auto plan_with = [&](const std::string& listener) {
    const fs::path path = dir / "plan.jmx";
    std::ofstream(path) << "<?xml version=\"1.0\"?>\n<jmeterTestPlan version=\"1.2\">\n<hashTree>\n"
                           "<TestPlan testclass=\"TestPlan\" testname=\"P\" enabled=\"true\"/>\n<hashTree>\n" +
                               El("ThreadGroup", "Users",
                                  Str("ThreadGroup.num_threads", "1") +
                                      "<elementProp name=\"ThreadGroup.main_controller\" "
                                      "elementType=\"LoopController\">" +
                                      Str("LoopController.loops", "1") + "</elementProp>\n",
                                  El("HTTPSamplerProxy", "s",
                                     Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "9"))) +
                               listener + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
    return path.string();
  };
  const std::string db = (dir / "r.db").string();
  ProcessResult r =
      test::RunProcess({BARRAGE_BINARY, "run", plan_with(""), "--db", db, "--influx", "localhost:8086"}, kRunLimit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: --influx: 'localhost:8086' is not an InfluxDB write URL (http://HOST:PORT/write?db=NAME, or "
            "https://)\n");
  r = test::RunProcess({BARRAGE_BINARY, "run", plan_with(""), "--server", "http://127.0.0.1:9", "--influx",
                        "http://127.0.0.1:8086/write?db=jmeter"},
                       kRunLimit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: --influx cannot be used with --server\n");
  const std::string listener =
      "<BackendListener testclass=\"BackendListener\" testname=\"Live\" enabled=\"true\"><elementProp "
      "name=\"arguments\" elementType=\"Arguments\"><collectionProp name=\"Arguments.arguments\"><elementProp "
      "name=\"influxdbUrl\" elementType=\"Argument\">" +
      Str("Argument.name", "influxdbUrl") + Str("Argument.value", "${__P(influxUrl,)}") +
      "</elementProp></collectionProp></elementProp>" +
      Str("classname", "org.apache.jmeter.visualizers.backend.influxdb.InfluxdbBackendListenerClient") +
      "</BackendListener><hashTree/>\n";
  const std::string plan = plan_with(listener);
  r = test::RunProcess({BARRAGE_BINARY, "run", plan, "--db", db}, kRunLimit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(plan + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": BackendListener 'Live': influxdbUrl '' is not an InfluxDB write URL"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(db));  // nothing recorded
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

// A loopback TCP listener that keeps what it receives (Graphite's plaintext protocol).
class LineCatcher {
 public:
  LineCatcher() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "listen: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~LineCatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  void Loop() {
    std::vector<pollfd> fds = {{fd_, POLLIN, 0}};
    while (!stop_) {
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) fds.push_back({c, POLLIN, 0});
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[65536];
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          std::lock_guard<std::mutex> lock(mu_);
          text_.append(buf, static_cast<size_t>(n));
        } else {
          ::close(fds[i].fd);
          fds[i].fd = -1;  // poll ignores it
        }
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd >= 0) ::close(fds[i].fd);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string text_;
};

// The Graphite client in a plan: its metrics reach a plaintext listener, the whole run's
// a.count per second summing to the run's samples (no influxd needed).
TEST_F(InfluxCliTest, AGraphiteBackendListenerSendsJMetersMetricPaths) {
  LineCatcher graphite;
  const std::string listener = BackendListener(
      "org.apache.jmeter.visualizers.backend.graphite.GraphiteBackendListenerClient",
      Arg("graphiteMetricsSender", "org.apache.jmeter.visualizers.backend.graphite.TextGraphiteMetricsSender") +
          Arg("graphiteHost", "127.0.0.1") + Arg("graphitePort", std::to_string(graphite.port())) +
          Arg("rootMetricsPrefix", "shop.") + Arg("summaryOnly", "false") + Arg("samplersList", "Home;Missing") +
          Arg("percentiles", "90;99"));
  const std::string plan = Write("plan.jmx", PlanXml(2, 10, 50, listener));
  ProcessResult r =
      test::RunProcess({BARRAGE_BINARY, "run", plan, "--db", (dir_ / "results.db").string(), "--quiet"}, kRunLimit);
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.err, m, std::regex("barrage: graphite 127\\.0\\.0\\.1:[0-9]+: ([0-9]+) metrics sent, 0 dropped\n")))
      << r.err;
  const int64_t sent = std::stoll(m[1]);
  ASSERT_TRUE(PumpUntil(
      [&] {
        const std::string t = graphite.text();
        return std::count(t.begin(), t.end(), '\n') >= sent;
      },
      milliseconds(5000)));
  const std::string text = graphite.text();
  int64_t all = 0, home = 0, missing_ko = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string name, value;
    int64_t ts = 0;
    f >> name >> value >> ts;
    EXPECT_GT(ts, 1'000'000'000) << line;
    if (name == "shop.all.a.count") all += std::stoll(value);
    if (name == "shop.Home.a.count") home += std::stoll(value);
    if (name == "shop.Missing.ko.count") missing_ko += std::stoll(value);
  }
  EXPECT_EQ(all, 40) << text;
  EXPECT_EQ(home, 20);
  EXPECT_EQ(missing_ko, 20);
  EXPECT_NE(text.find("shop.Home.ok.pct90 "), std::string::npos);
  EXPECT_NE(text.find("shop.test.maxAT "), std::string::npos);
}

}  // namespace
}  // namespace barrage
