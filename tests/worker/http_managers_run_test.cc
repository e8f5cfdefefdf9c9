// The HTTP Authorization, Cache and DNS Cache Managers end to end: compiled plans run by the
// engine against the fixture server (ctest also runs this with BARRAGE_HTTP_CLIENT=curl, so
// both HTTP paths are covered).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/fixture/dns_responder.h"
#include "tests/fixture/fixture_server.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/engine.h"

namespace barrage {
namespace {

using engine_test::Bool;
using engine_test::CollectSink;
using engine_test::El;
using engine_test::Str;

std::string Group(int loops, const std::string& children) {
  return El("ThreadGroup", "tg",
            Str("ThreadGroup.num_threads", "1") + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
            children);
}
std::string Http(const std::string& name, const std::string& path, const std::string& domain = "",
                 const std::string& children = "") {
  return El("HTTPSamplerProxy", name,
            Str("HTTPSampler.path", path) + (domain.empty() ? "" : Str("HTTPSampler.domain", domain)), children);
}
std::string AuthRow(const std::string& url, const std::string& user, const std::string& pass,
                    const std::string& mechanism) {
  return "<elementProp name=\"\" elementType=\"Authorization\">" + Str("Authorization.url", url) +
         Str("Authorization.username", user) + Str("Authorization.password", pass) + Str("Authorization.domain", "") +
         Str("Authorization.realm", "") + Str("Authorization.mechanism", mechanism) + "</elementProp>";
}
std::string Auth(const std::string& rows) {
  return El("AuthManager", "auth", "<collectionProp name=\"AuthManager.auth_list\">" + rows + "</collectionProp>");
}
std::string Cache(bool clear, bool use_expires) {
  return El("CacheManager", "cache", Bool("clearEachIteration", clear) + Bool("useExpires", use_expires));
}

// A DNS server on 127.0.0.1 (UDP, an ephemeral port) answering A queries from `table`
// (name -> IPv4 address; "" = no answer at all), NXDOMAIN otherwise; counts the A queries
// per name.
class TinyDns {
 public:
  explicit TinyDns(const std::map<std::string, std::string>& table) {
    fixture::DnsResponderOptions options;
    for (const auto& [name, address] : table) {
      if (address.empty()) {
        options.names.push_back({name, {}, /*silent=*/true});
      } else {
        options.names.push_back({name, {address}});
      }
    }
    auto responder = fixture::DnsResponder::Start(options);
    EXPECT_TRUE(responder.ok()) << responder.status().message();
    if (responder.ok()) responder_ = std::move(responder).value();
  }
  std::string server() const { return responder_ ? responder_->server() : ""; }
  std::map<std::string, int> queries() const {
    return responder_ ? responder_->queries() : std::map<std::string, int>{};
  }

 private:
  std::unique_ptr<fixture::DnsResponder> responder_;
};

std::string CustomDns(const std::string& server, bool clear_each_iteration, const std::string& hosts = "") {
  return El("DNSCacheManager", "dns",
            "<collectionProp name=\"DNSCacheManager.servers\"><stringProp name=\"1\">" + server +
                "</stringProp></collectionProp><collectionProp name=\"DNSCacheManager.hosts\">" + hosts +
                "</collectionProp>" + Bool("DNSCacheManager.clearEachIteration", clear_each_iteration) +
                Bool("DNSCacheManager.isCustomResolver", true));
}

struct Outcome {
  std::string label, code;
  bool operator==(const Outcome& o) const { return label == o.label && code == o.code; }
};
std::ostream& operator<<(std::ostream& os, const Outcome& o) { return os << o.label << " " << o.code; }

class HttpManagersRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }

  std::vector<Outcome> Run(const std::string& body) {
    std::string defaults =
        El("ConfigTestElement", "defaults", Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", Port()));
    std::string xml =
        "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n"
        "<hashTree>\n" +
        defaults + body + "</hashTree></hashTree></jmeterTestPlan>\n";
    Result<HashTree> tree = ParseJmx(xml, "t.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    compiled_ = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
    EXPECT_TRUE(compiled_->plan.runnable())
        << (compiled_->plan.problems.empty() ? "unsupported" : compiled_->plan.problems[0].message);
    EngineOptions options;
    options.event_loops = 1;
    options.max_duration_ms = max_duration_ms_;
    Engine engine(compiled_->plan, &run_, options, &sink_);
    EXPECT_TRUE(engine.Prepare().ok());
    EXPECT_TRUE(engine.Run().ok());
    std::vector<Outcome> out;
    for (const Sample& s : sink_.samples()) out.push_back({s.label, s.response_code});
    return out;
  }
  std::string Port() const { return std::to_string(server_->port()); }
  std::string Base() const { return "http://127.0.0.1:" + Port(); }

  std::unique_ptr<fixture::FixtureServer> server_;
  std::unique_ptr<CompiledPlan> compiled_;
  RunContext run_;
  CollectSink sink_;
  int64_t max_duration_ms_ = 20000;
};

TEST_F(HttpManagersRunTest, BasicCredentialsOfTheFirstMatchingRowAreSentPreemptively) {
  std::string rows = AuthRow(Base() + "/basic-auth/bob", "bob", "x", "BASIC") + AuthRow("", "ann", "pw", "BASIC");
  std::vector<Outcome> samples =
      Run(Group(1, Auth(rows) + Http("ann", "/basic-auth/ann/pw") + Http("bob", "/basic-auth/bob/x") +
                       Http("bob-wrong", "/basic-auth/bob/y")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"ann", "200"}, {"bob", "200"}, {"bob-wrong", "401"}}));
  EXPECT_EQ(server_->requests("/basic-auth/ann/pw"), 1u);  // no challenge round trip
}

TEST_F(HttpManagersRunTest, NoMatchingRowSendsNoCredentials) {
  std::vector<Outcome> samples =
      Run(Group(1, Auth(AuthRow("http://elsewhere/", "ann", "pw", "BASIC")) + Http("ann", "/basic-auth/ann/pw")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"ann", "401"}}));
}

TEST_F(HttpManagersRunTest, DigestAnswersTheChallengeWithinOneSample) {
  std::vector<Outcome> samples =
      Run(Group(1, Auth(AuthRow("", "ann", "pw", "DIGEST")) + Http("ok", "/digest-auth/ann/pw") +
                       Http("bad", "/digest-auth/ann/x")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"ok", "200"}, {"bad", "401"}}));
  EXPECT_EQ(server_->requests("/digest-auth/ann/pw"), 2u);  // challenge, then the answer
}

TEST_F(HttpManagersRunTest, BasicDigestRowAnswersABasicChallenge) {
  std::vector<Outcome> samples =
      Run(Group(1, Auth(AuthRow("", "ann", "pw", "BASIC_DIGEST")) + Http("ann", "/basic-auth/ann/pw")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"ann", "200"}}));
  EXPECT_EQ(server_->requests("/basic-auth/ann/pw"), 2u);
}

TEST_F(HttpManagersRunTest, CacheSendsConditionalRequestsAndRecords304) {
  std::vector<Outcome> samples = Run(Group(2, Cache(false, false) + Http("c1", "/cache") + Http("c2", "/cache")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"c1", "200"}, {"c2", "304"}, {"c1", "304"}, {"c2", "304"}}));
}

TEST_F(HttpManagersRunTest, CacheClearedEachIteration) {
  std::vector<Outcome> samples = Run(Group(2, Cache(true, false) + Http("c1", "/cache") + Http("c2", "/cache")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"c1", "200"}, {"c2", "304"}, {"c1", "200"}, {"c2", "304"}}));
}

TEST_F(HttpManagersRunTest, WithoutCacheManagerNothingIsConditional) {
  std::vector<Outcome> samples = Run(Group(1, Http("c1", "/cache") + Http("c2", "/cache")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"c1", "200"}, {"c2", "200"}}));
}

TEST_F(HttpManagersRunTest, FreshEntriesAreNeitherRequestedNorRecorded) {
  std::vector<Outcome> samples =
      Run(Group(1, Cache(false, true) + Http("a", "/cache/600") + Http("b", "/cache/600") + Http("c", "/hello.txt")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"a", "200"}, {"c", "200"}}));
  EXPECT_EQ(server_->requests("/cache/600"), 1u);
}

TEST_F(HttpManagersRunTest, StaticHostTableResolvesAMadeUpName) {
  std::string dns = El("DNSCacheManager", "dns",
                       "<collectionProp name=\"DNSCacheManager.servers\"/>"
                       "<collectionProp name=\"DNSCacheManager.hosts\"><elementProp name=\"barrage.test\" "
                       "elementType=\"StaticHost\">" +
                           Str("StaticHost.Name", "barrage.test") + Str("StaticHost.Address", "127.0.0.1") +
                           "</elementProp></collectionProp>" + Bool("DNSCacheManager.clearEachIteration", true) +
                           Bool("DNSCacheManager.isCustomResolver", true));
  std::vector<Outcome> samples = Run(Group(2, dns + Http("named", "/hello.txt", "barrage.test")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"named", "200"}, {"named", "200"}}));
}

TEST_F(HttpManagersRunTest, CustomServersResolveOncePerUserAndTheAnswerIsConnectedTo) {
  // shop.test answers 127.0.0.1 (the fixture); dead.test 127.0.0.9, where nothing listens.
  TinyDns dns({{"shop.test", "127.0.0.1"}, {"dead.test", "127.0.0.9"}});
  std::vector<Outcome> samples =
      Run(Group(3, CustomDns(dns.server(), false) + Http("shop", "/hello.txt", "shop.test") +
                       Http("shop-again", "/hello.txt", "SHOP.test") + Http("dead", "/hello.txt", "dead.test")));
  std::vector<Outcome> one = {
      {"shop", "200"}, {"shop-again", "200"}, {"dead", "Non HTTP response code: java.net.ConnectException"}};
  EXPECT_EQ(samples, (std::vector<Outcome>{one[0], one[1], one[2], one[0], one[1], one[2], one[0], one[1], one[2]}));
  EXPECT_EQ(server_->requests("/hello.txt"), 6u);
  // Cached for the user's whole run (one thread, so one query per host as written: shop.test
  // and SHOP.test are asked apart, as JMeter's map of host strings does).
  EXPECT_EQ(dns.queries(), (std::map<std::string, int>{{"dead.test", 1}, {"shop.test", 2}}));
}

TEST_F(HttpManagersRunTest, TheCustomServersCacheKeyIsTheHostAsWritten) {
  // shop.test answers 127.0.0.1 (the fixture), then 127.0.0.9 (nothing listens): SHOP.test
  // is not found under shop.test in the user's cache, so it is asked again and gets .9.
  fixture::DnsResponderOptions options;
  options.names = {{"shop.test", {"127.0.0.1", "127.0.0.9"}}};
  auto dns = fixture::DnsResponder::Start(options);
  ASSERT_TRUE(dns.ok()) << dns.status().message();
  std::vector<Outcome> samples =
      Run(Group(2, CustomDns((*dns)->server(), false) + Http("lower", "/close", "shop.test") +
                       Http("upper", "/close", "SHOP.test")));
  Outcome lower{"lower", "200"}, upper{"upper", "Non HTTP response code: java.net.ConnectException"};
  EXPECT_EQ(samples, (std::vector<Outcome>{lower, upper, lower, upper}));
  EXPECT_EQ((*dns)->queries(), (std::map<std::string, int>{{"shop.test", 2}}));
}

TEST_F(HttpManagersRunTest, AnAddressIsLookedUpOnTheCustomServersToo) {
  // dnsjava (JMeter's custom resolver) asks for "127.0.0.1" as a name; the server does not
  // know it.
  TinyDns dns(std::map<std::string, std::string>{});
  std::vector<Outcome> samples = Run(Group(1, CustomDns(dns.server(), false) + Http("ip", "/hello.txt")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"ip", "Non HTTP response code: java.net.UnknownHostException"}}));
  ASSERT_EQ(sink_.samples().size(), 1u);
  EXPECT_EQ(sink_.samples()[0].response_message, "Non HTTP response message: Failed to resolve host name: 127.0.0.1");
  EXPECT_EQ(dns.queries(), (std::map<std::string, int>{{"127.0.0.1", 1}}));
  EXPECT_EQ(server_->requests("/hello.txt"), 0u);
}

TEST_F(HttpManagersRunTest, CustomServersAreAskedAgainEachIterationWhenCleared) {
  TinyDns dns(std::map<std::string, std::string>{{"shop.test", "127.0.0.1"}});
  std::vector<Outcome> samples = Run(Group(
      3, CustomDns(dns.server(), true) + Http("a", "/hello.txt", "shop.test") + Http("b", "/hello.txt", "shop.test")));
  EXPECT_EQ(samples.size(), 6u);
  EXPECT_EQ(dns.queries(), (std::map<std::string, int>{{"shop.test", 3}}));
}

TEST_F(HttpManagersRunTest, UnknownNameOnCustomServersIsAnUnknownHostSample) {
  TinyDns dns(std::map<std::string, std::string>{});
  std::vector<Outcome> samples =
      Run(Group(1, CustomDns(dns.server(), false) + Http("x", "/hello.txt", "nowhere.test")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"x", "Non HTTP response code: java.net.UnknownHostException"}}));
  ASSERT_EQ(sink_.samples().size(), 1u);
  EXPECT_EQ(sink_.samples()[0].response_message,
            "Non HTTP response message: Failed to resolve host name: nowhere.test");
  EXPECT_EQ(dns.queries(), (std::map<std::string, int>{{"nowhere.test", 1}}));
  EXPECT_EQ(server_->requests("/hello.txt"), 0u);
}

// A user waiting for DNS holds no thread: another group's user on the same (single) event
// loop goes on, and the stop ends the wait.
TEST_F(HttpManagersRunTest, AUserWaitingForDnsBlocksNoOneAndTheStopEndsTheWait) {
  TinyDns dns(std::map<std::string, std::string>{{"silent.test", ""}});
  max_duration_ms_ = 1000;
  std::vector<Outcome> samples =
      Run(Group(1, CustomDns(dns.server(), false) + Http("silent", "/hello.txt", "silent.test")) +
          Group(3, Http("other", "/hello.txt")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"other", "200"}, {"other", "200"}, {"other", "200"}}));
  EXPECT_EQ(dns.queries(), (std::map<std::string, int>{{"silent.test", 1}}));
}

TEST_F(HttpManagersRunTest, StaticHostsComeBeforeCustomServers) {
  TinyDns dns(std::map<std::string, std::string>{{"shop.test", "127.0.0.9"}});
  std::string hosts = "<elementProp name=\"shop.test\" elementType=\"StaticHost\">" +
                      Str("StaticHost.Name", "shop.test") + Str("StaticHost.Address", "127.0.0.1") + "</elementProp>";
  std::vector<Outcome> samples =
      Run(Group(1, CustomDns(dns.server(), false, hosts) + Http("s", "/hello.txt", "shop.test")));
  EXPECT_EQ(samples, (std::vector<Outcome>{{"s", "200"}}));
  EXPECT_TRUE(dns.queries().empty());
}

TEST_F(HttpManagersRunTest, UrlRewritingAddsTheSessionIdOfThePreviousResponse) {
  std::string modifier = El("URLRewritingModifier", "rewrite", Str("argument_name", "sid"));
  // The first request has no previous result and is left alone; the page after it finds no
  // id (and has none kept yet); "cache value" (the default) keeps AB12 for the last request,
  // whose previous response (/echo's JSON) has none.
  std::string body = "%3Ca%20href%3D%22%2Fnext%3Fsid%3DAB12%22%3E";
  Run(Group(1, modifier + Http("first", "/echo") + Http("page", "/status/200?body=" + body) + Http("with-id", "/echo") +
                   Http("kept-id", "/echo?x=1")));
  std::vector<std::string> urls;
  for (const Sample& s : sink_.samples()) urls.push_back(s.label + " " + s.url);
  EXPECT_EQ(urls, (std::vector<std::string>{
                      "first " + Base() + "/echo", "page " + Base() + "/status/200?body=" + body + "&sid=",
                      "with-id " + Base() + "/echo?sid=AB12", "kept-id " + Base() + "/echo?x=1&sid=AB12"}));
}

}  // namespace
}  // namespace barrage
