// `barrage run PLAN --server URL` end to end (issue 13): the real service on loopback (local
// runs), the real client uploading a plan with a data file in a subfolder, following the run
// and exiting with its code, against the in-process fixture target.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/jmx_xml.h"
#include "tests/integration/serve_fixture.h"
#include "tests/worker/tls_test_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;
using test::SpawnOptions;

using test::El;
using test::Str;

// 2 users x ${__P(loops,5)} loops of GET /echo?u=${user} on 127.0.0.1:${__P(port)}, users
// from data/users.csv (next to the plan).
std::string Plan() {
  const std::string csv =
      El("CSVDataSet", "users",
         Str("filename", "data/users.csv") + Str("variableNames", "user") + Str("delimiter", ",") +
             Str("recycle", "true") + Str("stopThread", "false") + Str("shareMode", "shareMode.all"));
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

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The count of the last "summary = N in ..." line; -1 without one.
int64_t LastSummaryTotal(const std::string& out) {
  int64_t total = -1;
  for (const std::string& line : Lines(out)) {
    if (line.rfind("summary = ", 0) != 0) continue;
    std::istringstream fields(line.substr(10));
    fields >> total;
  }
  return total;
}

class RemoteRunCliTest : public test::ServeFixture {
 protected:
  void SetUp() override {
    ServeFixture::SetUp();
    fs::create_directories(dir_ / "plans" / "data");
    std::ofstream(dir_ / "plans" / "echo.jmx") << Plan();
    std::ofstream(dir_ / "plans" / "data" / "users.csv") << "alice\nbob\ncarol\n";
    plan_ = (dir_ / "plans" / "echo.jmx").string();
  }

  // `barrage run` of the plan on the service with `extra` options; BARRAGE_TOKEN=token.
  std::vector<std::string> Args(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {BARRAGE_BINARY, "run", plan_,
                                     "--server",     url_,  "--project",
                                     "shop",         "-J",  "port=" + std::to_string(target_->port())};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  static SpawnOptions WithToken(const std::string& token) { return {.cwd = "", .env = {"BARRAGE_TOKEN=" + token}}; }

  nlohmann::json GetJson(const std::string& path, const std::string& token) {
    httplib::Result r = client_->Get(path, Auth(token));
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::string plan_;
};

TEST_F(RemoteRunCliTest, APassingRunPrintsItsSummaryLinesWritesItsJtlAndExits0) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  const std::string jtl = (dir_ / "results.jtl").string();
  ProcessResult r = RunProcess(Args({"--threshold", "p(95)<60000", "-l", jtl}), kTimeout, WithToken(tester));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("barrage: run 1 on " + url_ + " (running)\n"), std::string::npos) << r.err;
  // The report's address is the service's public_url: from --listen 127.0.0.1:0, the port
  // the system chose.
  EXPECT_NE(r.err.find("barrage: run 1 on " + url_ + " passed; report " + url_ + "/api/v1/runs/1/report?format=html\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("queued"), std::string::npos) << r.err;

  const nlohmann::json run = GetJson("/api/v1/runs/1", tester);
  EXPECT_EQ(run["status"], "passed");
  EXPECT_EQ(run["samples"], 10);
  EXPECT_EQ(target_->requests("/echo"), 10u);
  // The summary lines of the run's own `barrage run`, each once: the total is the run's.
  EXPECT_EQ(LastSummaryTotal(r.out), run["samples"].get<int64_t>()) << r.out;
  const std::vector<std::string> out = Lines(r.out);
  EXPECT_EQ(
      std::count_if(out.begin(), out.end(),
                    [](const std::string& l) { return l.rfind("barrage: threshold 'p(95)<60000' passed", 0) == 0; }),
      1)
      << r.out;
  EXPECT_EQ(std::count_if(out.begin(), out.end(),
                          [](const std::string& l) { return l.rfind("barrage: run 1 passed", 0) == 0; }),
            1)
      << r.out;

  // -l: the service's JTL of the run, byte for byte: a header and one line per sample.
  httplib::Result served = client_->Get("/api/v1/runs/1/jtl", Auth(tester));
  ASSERT_TRUE(served);
  ASSERT_EQ(served->status, 200);
  std::ifstream in(jtl, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, served->body);
  EXPECT_EQ(Lines(written).size(), 11u);

  // The data file went up under its path next to the plan.
  const nlohmann::json plans = GetJson("/api/v1/projects/shop/plans", tester);
  ASSERT_EQ(plans.size(), 1u) << plans;
  EXPECT_EQ(plans[0]["name"], "echo.jmx");
  ASSERT_EQ(plans[0]["files"].size(), 1u) << plans;
  EXPECT_EQ(plans[0]["files"][0]["name"], "data/users.csv");
  StopService();
}

TEST_F(RemoteRunCliTest, AFailedThresholdExits99) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  ProcessResult r = RunProcess(Args({"--threshold", "max<0"}), kTimeout, WithToken(tester));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 99) << r.out << r.err;
  EXPECT_EQ(GetJson("/api/v1/runs/1", tester)["status"], "failed");
  EXPECT_NE(r.out.find("threshold 'max<0' failed"), std::string::npos) << r.out;
  StopService();
}

TEST_F(RemoteRunCliTest, ARefusedOrMissingTokenExits1NamingTheStatus) {
  StartService();
  const std::string viewer = Token("shop", "viewer", "dash");
  ProcessResult refused = RunProcess(Args({}), kTimeout, WithToken(viewer));
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("barrage: token refused: token 'dash' has role viewer"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("(HTTP 403)\n"), std::string::npos) << refused.err;

  ProcessResult none = RunProcess(Args({}), kTimeout);
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_NE(none.err.find("barrage: token refused: "), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("(HTTP 401)\n"), std::string::npos) << none.err;
  EXPECT_EQ(target_->requests("/echo"), 0u);
  StopService();
}

TEST_F(RemoteRunCliTest, ALocalOnlyOptionWithServerIsAUsageError) {
  ProcessResult r = RunProcess(
      {BARRAGE_BINARY, "run", plan_, "--server", "http://127.0.0.1:1", "--db", (dir_ / "x.db").string()}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: --db cannot be used with --server\n");
  EXPECT_FALSE(fs::exists(dir_ / "x.db"));
}

TEST_F(RemoteRunCliTest, ADataFileOutsideThePlansFolderIsAUsageErrorNamingIt) {
  std::string plan = Plan();
  plan.replace(plan.find("data/users.csv"), 14, "../users.csv");
  std::ofstream(dir_ / "plans" / "outside.jmx") << plan;
  std::ofstream(dir_ / "users.csv") << "alice\n";
  const std::string path = (dir_ / "plans" / "outside.jmx").string();
  ProcessResult r = RunProcess({BARRAGE_BINARY, "run", path, "--server", "http://127.0.0.1:1"}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + path +
                       ": data file '../users.csv' is outside the plan's folder: the service puts a plan's data "
                       "files next to it, so name it by a path inside the plan's folder\n");
}

TEST_F(RemoteRunCliTest, WithWorkersTheRunTakesIdleWorkersOfThePool) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  StartWorker("lg-01");
  ASSERT_TRUE(WaitForIdle(tester, 1)) << serve_->out();
  ProcessResult r = RunProcess(Args({"--workers", "1", "--threshold", "error_rate<0.01"}), kTimeout, WithToken(tester));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json run = GetJson("/api/v1/runs/1", tester);
  EXPECT_EQ(run["status"], "passed");
  EXPECT_EQ(run["mode"], "cluster");
  EXPECT_EQ(run["workers"], 1);
  EXPECT_EQ(run["samples"], 10);
  EXPECT_EQ(LastSummaryTotal(r.out), 10) << r.out;
  EXPECT_EQ(target_->requests("/echo"), 10u);
  StopService();
}

// A service with a self-signed certificate: refused by libcurl (exit 1, nothing uploaded)
// until --server-ca names it.
TEST_F(RemoteRunCliTest, AnHttpsServiceIsTrustedThroughServerCa) {
  const std::string pem = (dir_ / "server.pem").string();
  std::ofstream(pem) << tls_test::Pem({tls_test::MakeIdentity("server", "127.0.0.1")});
  const std::string config = (dir_ / "controller.toml").string();
  std::ofstream(config) << "[server]\ntls_cert_file = \"" << pem << "\"\ntls_key_file = \"" << pem << "\"\n";
  StartService({"--config", config});
  ASSERT_EQ(url_.rfind("https://", 0), 0u) << url_;
  const std::string tester = Token("shop", "tester", "ci");

  ProcessResult untrusted = RunProcess(Args({}), kTimeout, WithToken(tester));
  EXPECT_EQ(untrusted.exit_code, 1) << untrusted.err;
  EXPECT_EQ(untrusted.err.rfind("barrage: uploading " + plan_ + ": " + url_ + ": ", 0), 0u) << untrusted.err;

  ProcessResult trusted = RunProcess(Args({"--server-ca", pem}), kTimeout, WithToken(tester));
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_EQ(LastSummaryTotal(trusted.out), 10) << trusted.out;
  EXPECT_EQ(target_->requests("/echo"), 10u);
  StopService();
}

TEST_F(RemoteRunCliTest, CtrlCStopsTheRunOnTheServiceAndTheExitCodeIsItsEnd) {
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  ChildProcess client(Args({"-J", "loops=-1", "--duration", "60"}), WithToken(tester));
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((client.err().find("barrage: run 1 on ") == std::string::npos || target_->requests("/echo") < 20) &&
         std::chrono::steady_clock::now() < deadline) {
    client.Pump(std::chrono::milliseconds(20));
    serve_->Pump(std::chrono::milliseconds(0));
  }
  ASSERT_GE(target_->requests("/echo"), 20u) << client.err() << serve_->out();
  ASSERT_TRUE(client.Signal(SIGINT));
  ProcessResult r = client.Wait(kTimeout);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_NE(r.err.find("barrage: stopping run 1 on the service (Ctrl-C again to stop waiting)\n"), std::string::npos)
      << r.err;
  const nlohmann::json run = GetJson("/api/v1/runs/1", tester);
  EXPECT_EQ(run["status"], "aborted") << run;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(LastSummaryTotal(r.out), run["samples"].get<int64_t>()) << r.out;
  StopService();
}

}  // namespace
}  // namespace barrage
