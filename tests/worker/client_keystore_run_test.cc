// Client certificates end to end: compiled plans run by the engine against a loopback
// HTTPS server that requires a client certificate and answers with its CN as the status
// message, so each sample shows which key its user presented.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/worker/engine_test_plan.h"
#include "tests/worker/tls_test_util.h"
#include "worker/engine.h"

namespace barrage {
namespace {

using engine_test::CollectSink;
using engine_test::Str;
using tls_test::MakeIdentity;

class ClientKeystoreRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/barrage-keystore-run-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/users.p12", std::ios::binary) << tls_test::Pkcs12(
        {MakeIdentity("alice", "user-a"), MakeIdentity("bob", "user-b"), MakeIdentity("carol", "user-c")}, "pw");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void UseKeystore() {
    run_.properties.Set("javax.net.ssl.keyStore", dir_ + "/users.p12");
    run_.properties.Set("javax.net.ssl.keyStorePassword", "pw");
  }

  // Runs a plan of one thread group (`users` users, `loops` iterations, no ramp-up) whose
  // children are `children`, beside `plan_elements` under the Test Plan. Returns
  // "<thread name> <response code> <message>" per sample, in order.
  std::vector<std::string> Run(int users, int loops, const std::string& plan_elements, const std::string& children) {
    std::string group = "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\">" +
                        Str("ThreadGroup.num_threads", std::to_string(users)) + Str("ThreadGroup.ramp_time", "0") +
                        "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                        Str("LoopController.loops", std::to_string(loops)) +
                        "</elementProp></ThreadGroup>\n<hashTree>\n" + children + "</hashTree>\n";
    std::string xml =
        "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n" +
        plan_elements + group + "</hashTree></hashTree></jmeterTestPlan>\n";
    Result<HashTree> tree = ParseJmx(xml, "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable())
        << (compiled_->plan.problems.empty() ? "unsupported" : compiled_->plan.problems[0].message);
    EngineOptions options;
    options.event_loops = 1;
    options.max_duration_ms = 20000;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    Status prepared = engine.Prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.message();
    if (!prepared.ok()) return {};
    EXPECT_TRUE(engine.Run().ok());
    std::vector<std::string> out;
    for (const Sample& s : sink_.samples()) {
      out.push_back(s.thread_name + " " + s.response_code + " " + s.response_message);
    }
    return out;
  }
  std::string Https() const {
    return "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"get\">" + Str("HTTPSampler.protocol", "https") +
           Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(server_.port())) +
           Str("HTTPSampler.path", "/") + "</HTTPSamplerProxy>\n<hashTree/>\n";
  }
  static std::string Keystore(const std::string& start, const std::string& end, const std::string& alias_var) {
    return "<KeystoreConfig guiclass=\"TestBeanGUI\" testclass=\"KeystoreConfig\" testname=\"Keystore\">" +
           Str("clientCertAliasVarName", alias_var) + Str("endIndex", end) + Str("preload", "true") +
           Str("startIndex", start) + "</KeystoreConfig>\n<hashTree/>\n";
  }

  std::string dir_;
  tls_test::ClientCertServer server_;
  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
  CollectSink sink_;
};

TEST_F(ClientKeystoreRunTest, EachUserPresentsTheNextKeyOfTheRangeAndKeepsIt) {
  UseKeystore();
  std::vector<std::string> samples = Run(3, 2, Keystore("0", "2", ""), Https());
  std::map<std::string, std::vector<std::string>> by_user;
  for (const std::string& s : samples) by_user[s.substr(0, s.find(' ', 3))].push_back(s.substr(s.find(' ', 3) + 1));
  EXPECT_EQ(by_user, (std::map<std::string, std::vector<std::string>>{{"tg 1-1", {"200 user-a", "200 user-a"}},
                                                                      {"tg 1-2", {"200 user-b", "200 user-b"}},
                                                                      {"tg 1-3", {"200 user-c", "200 user-c"}}}));
}

TEST_F(ClientKeystoreRunTest, UncachedSslContextTakesTheNextKeyEachIteration) {
  UseKeystore();
  run_.properties.Set("https.use.cached.ssl.context", "false");
  std::vector<std::string> samples = Run(1, 4, Keystore("1", "2", ""), Https());
  EXPECT_EQ(samples, (std::vector<std::string>{"tg 1-1 200 user-b", "tg 1-1 200 user-c", "tg 1-1 200 user-b",
                                               "tg 1-1 200 user-c"}));
}

TEST_F(ClientKeystoreRunTest, AliasVariableChoosesEachUsersKey) {
  UseKeystore();
  std::string user_parameters =
      "<UserParameters testclass=\"UserParameters\" testname=\"who\">"
      "<collectionProp name=\"UserParameters.names\"><stringProp name=\"1\">cert</stringProp></collectionProp>"
      "<collectionProp name=\"UserParameters.thread_values\">"
      "<collectionProp name=\"1\"><stringProp name=\"1\">carol</stringProp></collectionProp>"
      "<collectionProp name=\"2\"><stringProp name=\"2\">alice</stringProp></collectionProp>"
      "<collectionProp name=\"3\"><stringProp name=\"3\">dave</stringProp></collectionProp>"
      "</collectionProp><boolProp name=\"UserParameters.per_iteration\">false</boolProp></UserParameters>\n"
      "<hashTree/>\n";
  std::vector<std::string> samples = Run(3, 1, Keystore("0", "2", "cert"), user_parameters + Https());
  std::sort(samples.begin(), samples.end());
  EXPECT_EQ(samples,
            (std::vector<std::string>{"tg 1-1 200 user-c", "tg 1-2 200 user-a",
                                      "tg 1-3 Non HTTP response code: javax.net.ssl.SSLException Non HTTP response "
                                      "message: No PrivateKey found for alias:'dave'"}));
  std::vector<std::string> seen = server_.seen();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"user-a", "user-c"}));  // the third user never connected
}

TEST_F(ClientKeystoreRunTest, WithoutKeystoreTheServerRefusesTheHandshake) {
  std::vector<std::string> samples = Run(1, 1, Keystore("0", "2", ""), Https());
  ASSERT_EQ(samples.size(), 1u);
  // TLS 1.3: the refusal reaches the client as an alert or a reset, after its handshake.
  EXPECT_EQ(samples[0].rfind("tg 1-1 Non HTTP response code: ", 0), 0u) << samples[0];
  EXPECT_TRUE(server_.seen().empty());
}

}  // namespace
}  // namespace barrage
