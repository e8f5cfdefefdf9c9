// `barrage run --connect-to`: a plan naming a host that does not exist (example.invalid, a
// name no resolver answers) runs against the fixture server in this process; the fixture
// sees the plan's Host header. Both HTTP paths: port 80 in the URL goes through libcurl
// (CURLOPT_CONNECT_TO), the default port through the engine's own HTTP/1.1 path.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/sample.h"
#include "controller/jtl_reader.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kTimeout{20};

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
// 2 threads x 3 loops of one GET http://<domain>[:port]/hello.txt ("" = no port).
std::string PlanXml(const std::string& port, const std::string& domain = "example.invalid") {
  std::string sampler = El("HTTPSamplerProxy", "Hello",
                           Str("HTTPSampler.domain", domain) + Str("HTTPSampler.port", port) +
                               Str("HTTPSampler.path", "/hello.txt") + Str("HTTPSampler.method", "GET"));
  std::string group = El("ThreadGroup", "Users",
                         Str("ThreadGroup.num_threads", "2") + Str("ThreadGroup.ramp_time", "0") +
                             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                             Str("LoopController.loops", "3") + "</elementProp>\n",
                         sampler);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         group + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

class ConnectToCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-connect-to-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string WritePlan(const std::string& port, const std::string& domain = "example.invalid") {
    fs::path path = dir_ / "plan.jmx";
    std::ofstream(path) << PlanXml(port, domain);
    return path.string();
  }

  ProcessResult Run(const std::string& plan, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        BARRAGE_BINARY, "run", plan, "--quiet", "-l", (dir_ / "out.jtl").string(), "--db", (dir_ / "r.db").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProcess(args, kTimeout);
  }

  void ExpectSixSamplesOf(const std::string& url) {
    Result<std::vector<Sample>> rows = ReadJtlFile((dir_ / "out.jtl").string());
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    ASSERT_EQ(rows->size(), 6u);
    for (const Sample& s : *rows) {
      EXPECT_EQ(s.label, "Hello");
      EXPECT_EQ(s.response_code, "200");
      EXPECT_TRUE(s.success);
      EXPECT_EQ(s.url, url);
    }
    EXPECT_EQ(server_->requests("/hello.txt"), 6u);
    EXPECT_EQ(server_->stats().hosts, (std::map<std::string, uint64_t>{{"example.invalid", 6}}));
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
};

TEST_F(ConnectToCliTest, ExplicitPort80GoesThroughLibcurlToTheFixture) {
  std::string plan = WritePlan("80");
  ProcessResult r = Run(plan, {"--connect-to", "example.invalid:80:127.0.0.1:" + std::to_string(server_->port())});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ExpectSixSamplesOf("http://example.invalid/hello.txt");
}

TEST_F(ConnectToCliTest, AnyHostRuleSendsTheDefaultPortToTheFixture) {
  std::string plan = WritePlan("");
  ProcessResult r = Run(plan, {"--connect-to", "::127.0.0.1:" + std::to_string(server_->port())});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ExpectSixSamplesOf("http://example.invalid/hello.txt");
}

// (A plan on 127.0.0.1: an unmatched rule must not send anything off loopback.)
TEST_F(ConnectToCliTest, ARuleForAnotherHostOrPortLeavesTheRequestAlone) {
  std::string port = std::to_string(server_->port());
  std::string plan = WritePlan(port, "127.0.0.1");
  // Port 9 on loopback refuses connections: a request the rules took would fail.
  ProcessResult r =
      Run(plan, {"--connect-to", "127.0.0.1:1:127.0.0.1:9", "--connect-to", "example.invalid::127.0.0.1:9"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Result<std::vector<Sample>> rows = ReadJtlFile((dir_ / "out.jtl").string());
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 6u);
  for (const Sample& s : *rows) EXPECT_EQ(s.response_code, "200");
  EXPECT_EQ(server_->stats().hosts, (std::map<std::string, uint64_t>{{"127.0.0.1:" + port, 6}}));
}

TEST_F(ConnectToCliTest, BadRuleIsAUsageErrorNamingIt) {
  std::string plan = WritePlan("");
  ProcessResult r = Run(plan, {"--connect-to", "example.invalid:80:127.0.0.1"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage: --connect-to 'example.invalid:80:127.0.0.1': expected "
            "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT\n");
  EXPECT_FALSE(fs::exists(dir_ / "out.jtl"));
  EXPECT_EQ(server_->requests(), 0u);
}

}  // namespace
}  // namespace barrage
