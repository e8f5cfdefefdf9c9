// The worker's allowed_targets in the engine (issue 14): a plan naming a refused host is
// refused before any request; a host known only at run time, or reached by a redirect, fails
// as a sample without a connection. Run on the fast path and again on libcurl's
// (BARRAGE_HTTP_CLIENT=curl, a second ctest).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/fixture/fixture_server.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/target_policy.h"

namespace barrage {
namespace {

using engine_test::El;
using engine_test::Group;
using engine_test::PlanXml;
using engine_test::Str;

std::string Http(const std::string& name, const std::string& domain, const std::string& port, const std::string& path,
                 bool follow_redirects = false) {
  return El("HTTPSamplerProxy", name,
            Str("HTTPSampler.domain", domain) + Str("HTTPSampler.port", port) + Str("HTTPSampler.path", path) +
                "<boolProp name=\"HTTPSampler.follow_redirects\">" + (follow_redirects ? "true" : "false") +
                "</boolProp>");
}

// The 1-based line of `needle`'s first occurrence in `text`.
int LineOf(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

class TargetPolicyRunTest : public engine_test::EngineRunFixture {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    port_ = std::to_string(server_->port());
  }

  void Allow(const std::vector<std::string>& patterns) {
    Result<TargetPolicy> p = TargetPolicy::Parse(patterns, "allowed_targets");
    ASSERT_TRUE(p.ok()) << p.status().message();
    policy_ = std::move(p).value();
    allowed_targets_ = &policy_;
  }

  // Prepare()'s verdict on `body` with the policy (the engine never runs).
  Status Prepare(const std::string& body, const std::vector<std::pair<std::string, std::string>>& properties = {}) {
    Result<HashTree> tree = ParseJmx(PlanXml(body), "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    for (const auto& [k, v] : properties) run_.properties.Set(k, v);
    EngineOptions options;
    options.event_loops = 1;
    options.allowed_targets = allowed_targets_;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    return engine.Prepare();
  }

  std::unique_ptr<fixture::FixtureServer> server_;
  std::string port_;
  TargetPolicy policy_;
};

TEST_F(TargetPolicyRunTest, APlanNamingARefusedHostIsRefusedBeforeAnyRequest) {
  Allow({"127.0.0.2", "*.staging.example.com:443"});
  const std::string body = Group("tg", 1, 1, Http("home", "127.0.0.1", port_, "/hello.txt"));
  Status st = Prepare(body);
  EXPECT_EQ(st.message(), "HTTP Request 'home' (line " + std::to_string(LineOf(PlanXml(body), "<HTTPSamplerProxy")) +
                              "): host 127.0.0.1:" + port_ +
                              " is not in this worker's allowed_targets (127.0.0.2, *.staging.example.com:443)");
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(TargetPolicyRunTest, HostsFromPropertiesAndVariablesAreCheckedBeforeTheRunToo) {
  Allow({"127.0.0.2"});
  // The host from a property, through a User Defined Variable.
  const std::string udv = El("Arguments", "vars",
                             "<collectionProp name=\"Arguments.arguments\"><elementProp name=\"host\" "
                             "elementType=\"Argument\">" +
                                 Str("Argument.name", "host") + Str("Argument.value", "${__P(target,127.0.0.2)}") +
                                 Str("Argument.metadata", "=") + "</elementProp></collectionProp>");
  const std::string body = udv + Group("tg", 1, 1, Http("by-var", "${host}", port_, "/hello.txt"));
  Status st = Prepare(body, {{"target", "127.0.0.1"}});
  EXPECT_EQ(st.message(), "HTTP Request 'by-var' (line " + std::to_string(LineOf(PlanXml(body), "<HTTPSamplerProxy")) +
                              "): host 127.0.0.1:" + port_ + " is not in this worker's allowed_targets (127.0.0.2)");
  // A full URL in the path counts, with the default port of its scheme.
  Allow({"*.staging.example.com:443", "api.example.com:8443"});
  const std::string full = Group("tg", 1, 1, Http("full", "", "", "https://api.example.com/x"));
  EXPECT_EQ(Prepare(full).message(), "HTTP Request 'full' (line " +
                                         std::to_string(LineOf(PlanXml(full), "<HTTPSamplerProxy")) +
                                         "): host api.example.com:443 is not in this worker's allowed_targets "
                                         "(*.staging.example.com:443, api.example.com:8443)");
  EXPECT_TRUE(Prepare(Group("tg", 1, 1, Http("full", "", "", "https://api.example.com:8443/x"))).ok());
}

// A name that no name pattern allows, while address patterns exist, is resolved before the
// run: one that does not resolve here is left to its connection (which fails by itself).
TEST_F(TargetPolicyRunTest, AnUnresolvableNameIsLeftToItsConnection) {
  Allow({"127.0.0.2"});
  EXPECT_TRUE(Prepare(Group("tg", 1, 1, Http("nowhere", "no-such-host.invalid", port_, "/x"))).ok());
  std::vector<Sample> samples = Run(Group("tg", 1, 1, Http("nowhere", "no-such-host.invalid", port_, "/x")), 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.UnknownHostException");
}

TEST_F(TargetPolicyRunTest, AllowedHostsRunByNameAddressAndResolvedAddress) {
  // 127.0.0.1 by its address or range; "localhost" by the address it resolves to.
  for (const std::string& allowed : {"127.0.0.1:" + port_, std::string("127.0.0.0/8")}) {
    Allow({allowed});
    const uint64_t before = server_->requests();
    const size_t earlier = sink_.samples().size();  // the fixture's sink keeps every run's
    std::vector<Sample> all = Run(
        Group("tg", 1, 1,
              Http("by-address", "127.0.0.1", port_, "/hello.txt") + Http("by-name", "localhost", port_, "/hello.txt")),
        1);
    ASSERT_EQ(all.size(), earlier + 2) << allowed;
    EXPECT_EQ(all[earlier].response_code, "200") << allowed << all[earlier].response_message;
    EXPECT_EQ(all[earlier + 1].response_code, "200") << allowed << all[earlier + 1].response_message;
    EXPECT_EQ(server_->requests(), before + 2) << allowed;
  }
  // "localhost" by its name: its address alone is not allowed.
  Allow({"localhost"});
  const std::string by_address = Group("tg", 1, 1, Http("by-address", "127.0.0.1", port_, "/hello.txt"));
  EXPECT_EQ(Prepare(by_address).message(),
            "HTTP Request 'by-address' (line " + std::to_string(LineOf(PlanXml(by_address), "<HTTPSamplerProxy")) +
                "): host 127.0.0.1:" + port_ + " is not in this worker's allowed_targets (localhost)");
  const size_t earlier = sink_.samples().size();
  std::vector<Sample> all = Run(Group("tg", 1, 1, Http("by-name", "localhost", port_, "/hello.txt")), 1);
  ASSERT_EQ(all.size(), earlier + 1);
  EXPECT_EQ(all[earlier].response_code, "200") << all[earlier].response_message;
}

TEST_F(TargetPolicyRunTest, AHostKnownOnlyAtRunTimeFailsAsASampleWithoutAConnection) {
  Allow({"127.0.0.1:" + port_});
  // Thread 1 asks 127.0.0.1 (allowed), thread 2 127.0.0.2 (refused: no connection is tried,
  // else it would be refused by the kernel, nothing listens there).
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Http("r", "127.0.0.${__threadNum}", port_, "/hello.txt")), 1);
  ASSERT_EQ(samples.size(), 2u);
  for (const Sample& s : samples) {
    if (s.thread_name == "tg 1-1") {
      EXPECT_EQ(s.response_code, "200");
    } else {
      EXPECT_FALSE(s.success);
      EXPECT_EQ(s.response_code, "Non HTTP response code: java.security.AccessControlException");
      EXPECT_EQ(s.response_message, "Non HTTP response message: barrage-worker allowed_targets: 127.0.0.2:" + port_ +
                                        " is not allowed (allowed: 127.0.0.1:" + port_ + ")");
    }
  }
  EXPECT_EQ(server_->requests(), 1u);
}

TEST_F(TargetPolicyRunTest, ARedirectToARefusedHostFailsTheSample) {
  Allow({"127.0.0.1:" + port_});
  const std::string to = "http://127.0.0.2:" + port_ + "/hello.txt";
  std::vector<Sample> samples =
      Run(Group("tg", 1, 1, Http("r", "127.0.0.1", port_, "/redirect-to?url=" + to, /*follow_redirects=*/true)), 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.security.AccessControlException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: barrage-worker allowed_targets: 127.0.0.2:" +
                                             port_ + " is not allowed (allowed: 127.0.0.1:" + port_ + ")");
  EXPECT_EQ(server_->requests(), 1u);
}

}  // namespace
}  // namespace barrage
