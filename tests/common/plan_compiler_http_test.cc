// Compiling the HTTP Authorization, Cache and DNS Cache Managers (plan_compiler_http.cc).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileUnder;

std::string S(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}

std::string Row(const std::string& url, const std::string& mechanism, const std::string& extra = "") {
  return "<elementProp name=\"\" elementType=\"Authorization\">" + S("Authorization.url", url) +
         S("Authorization.username", "u") + S("Authorization.password", "${pw}") +
         (mechanism.empty() ? "" : S("Authorization.mechanism", mechanism)) + extra + "</elementProp>";
}

std::string AuthXml(const std::string& rows) {
  return "<AuthManager testclass=\"AuthManager\" testname=\"auth\"><collectionProp name=\"AuthManager.auth_list\">" +
         rows + "</collectionProp></AuthManager>\n<hashTree/>\n";
}

const Node& Element(const CompiledPlan& c) { return *c.plan.thread_groups()[0]->elements.at(0); }

std::vector<std::string> Messages(const CompiledPlan& c) {
  std::vector<std::string> out;
  for (const Problem& p : c.plan.problems) out.push_back(std::string(SeverityName(p.severity)) + ": " + p.message);
  return out;
}

TEST(PlanCompilerHttpTest, AuthManagerRows) {
  CompiledPlan c = CompileUnder(AuthXml(Row("http://h/", "BASIC") + Row("", "DIGEST") + Row("x", "")));
  EXPECT_TRUE(c.plan.runnable());
  const auto& auth = Element(c).As<AuthManager>();
  ASSERT_EQ(auth.entries.size(), 3u);
  EXPECT_EQ(auth.entries[0].url.text, "http://h/");
  EXPECT_EQ(auth.entries[0].mechanism, Authorization::Mechanism::kBasic);
  EXPECT_EQ(auth.entries[1].mechanism, Authorization::Mechanism::kDigest);
  EXPECT_EQ(auth.entries[2].mechanism, Authorization::Mechanism::kBasicDigest);  // JMeter 2.13's default
  EXPECT_EQ(auth.entries[0].username.text, "u");
  EXPECT_TRUE(auth.entries[0].password.dynamic());
  EXPECT_TRUE(c.plan.problems.empty());
}

TEST(PlanCompilerHttpTest, KerberosRowIsRefusedNamingTheRow) {
  CompiledPlan c = CompileUnder(AuthXml(Row("http://a/", "BASIC") + Row("http://k/", "KERBEROS")));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Messages(c), std::vector<std::string>{"error: AuthManager 'auth', row 2 (URL 'http://k/'): mechanism "
                                                  "KERBEROS is not supported (Basic and Digest are)"});
}

TEST(PlanCompilerHttpTest, NtlmDomainAndRealmAreWarnings) {
  CompiledPlan c = CompileUnder(AuthXml(Row("", "BASIC", S("Authorization.domain", "CORP"))));
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_EQ(Messages(c), std::vector<std::string>{"warning: AuthManager 'auth', row 1 (URL ''): domain 'CORP' is only "
                                                  "used for NTLM, which Barrage does not support; the row answers "
                                                  "Basic and Digest"});
}

TEST(PlanCompilerHttpTest, CacheManagerProperties) {
  CompiledPlan c = CompileUnder(
      "<CacheManager testclass=\"CacheManager\" testname=\"cache\"><boolProp "
      "name=\"clearEachIteration\">true</boolProp>"
      "<boolProp name=\"useExpires\">true</boolProp><intProp "
      "name=\"maxSize\">7</intProp></CacheManager>\n<hashTree/>\n");
  EXPECT_TRUE(c.plan.runnable());
  const auto& cache = Element(c).As<CacheManager>();
  EXPECT_TRUE(cache.clear_each_iteration);
  EXPECT_TRUE(cache.use_expires);
  EXPECT_EQ(cache.max_size, 7);
}

TEST(PlanCompilerHttpTest, CacheManagerDefaultsAndBadSize) {
  CompiledPlan ok = CompileUnder("<CacheManager testclass=\"CacheManager\" testname=\"cache\"/>\n<hashTree/>\n");
  EXPECT_EQ(Element(ok).As<CacheManager>().max_size, 5000);
  EXPECT_FALSE(Element(ok).As<CacheManager>().use_expires);
  CompiledPlan bad = CompileUnder(
      "<CacheManager testclass=\"CacheManager\" testname=\"cache\"><intProp name=\"maxSize\">0</intProp>"
      "</CacheManager>\n<hashTree/>\n");
  EXPECT_EQ(Messages(bad),
            std::vector<std::string>{"error: CacheManager 'cache': maxSize '0' is not a whole number from 1"});
}

std::string Dns(const std::string& servers, const std::string& hosts, bool custom) {
  return "<DNSCacheManager testclass=\"DNSCacheManager\" testname=\"dns\"><collectionProp "
         "name=\"DNSCacheManager.servers\">" +
         servers + "</collectionProp><collectionProp name=\"DNSCacheManager.hosts\">" + hosts +
         "</collectionProp><boolProp name=\"DNSCacheManager.clearEachIteration\">true</boolProp>"
         "<boolProp name=\"DNSCacheManager.isCustomResolver\">" +
         (custom ? "true" : "false") + "</boolProp></DNSCacheManager>\n<hashTree/>\n";
}

std::string Host(const std::string& name, const std::string& address) {
  return "<elementProp name=\"" + name + "\" elementType=\"StaticHost\">" + S("StaticHost.Name", name) +
         S("StaticHost.Address", address) + "</elementProp>";
}

TEST(PlanCompilerHttpTest, DnsCacheManagerStaticHosts) {
  CompiledPlan c = CompileUnder(Dns("", Host("shop.test", "127.0.0.1, ::1"), true));
  EXPECT_TRUE(c.plan.runnable()) << Messages(c).at(0);
  const auto& dns = Element(c).As<DnsCacheManager>();
  EXPECT_TRUE(dns.clear_each_iteration);
  EXPECT_TRUE(dns.custom_resolver);
  ASSERT_EQ(dns.hosts.size(), 1u);
  EXPECT_EQ(dns.hosts[0].name, "shop.test");
  EXPECT_EQ(dns.hosts[0].addresses, "127.0.0.1, ::1");
}

TEST(PlanCompilerHttpTest, DnsCustomServersAreAddressesWithOrWithoutPort) {
  CompiledPlan c =
      CompileUnder(Dns("<stringProp name=\"1\">8.8.8.8</stringProp><stringProp name=\"2\">127.0.0.1:5353"
                       "</stringProp><stringProp name=\"3\">[::1]:53</stringProp>",
                       "", true));
  EXPECT_TRUE(c.plan.runnable()) << Messages(c).at(0);
  EXPECT_EQ(Element(c).As<DnsCacheManager>().servers,
            (std::vector<std::string>{"8.8.8.8", "127.0.0.1:5353", "[::1]:53"}));
}

TEST(PlanCompilerHttpTest, DnsNamedServersAndNamedAddressesAreRefused) {
  CompiledPlan c =
      CompileUnder(Dns("<stringProp name=\"1\">ns1.example.com</stringProp>", Host("a.test", "b.test"), true));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Messages(c),
            (std::vector<std::string>{"error: DNSCacheManager 'dns': static host 'a.test': address 'b.test' is not a "
                                      "literal IPv4 or IPv6 address (host names there are not supported)",
                                      "error: DNSCacheManager 'dns': DNS server 'ns1.example.com' is not an IP "
                                      "address (optionally with :port); Barrage asks servers by address"}));
  // The same servers with the system resolver chosen are not used.
  EXPECT_TRUE(CompileUnder(Dns("<stringProp name=\"1\">ns1.example.com</stringProp>", "", false)).plan.runnable());
}

TEST(PlanCompilerHttpTest, UrlRewritingModifier) {
  CompiledPlan c = CompileUnder(
      "<URLRewritingModifier testclass=\"URLRewritingModifier\" testname=\"rw\">" + S("argument_name", "jsessionid") +
      "<boolProp name=\"path_extension\">true</boolProp><boolProp name=\"path_extension_no_equals\">true</boolProp>"
      "<boolProp name=\"path_extension_no_questionmark\">true</boolProp><boolProp name=\"cache_value\">true</boolProp>"
      "<boolProp name=\"encode\">true</boolProp></URLRewritingModifier>\n<hashTree/>\n");
  EXPECT_TRUE(c.plan.runnable());
  const auto& m = Element(c).As<UrlRewritingModifier>();
  EXPECT_EQ(m.argument_name.text, "jsessionid");
  EXPECT_TRUE(m.path_extension && m.path_extension_no_equals && m.path_extension_no_questionmark && m.cache_value &&
              m.encode);
  EXPECT_EQ(m.category(), Category::kPreProcessor);
}

// Login Config Element is a ConfigTestElement (LoginConfigGui) with
// ConfigTestElement.username/password, which JMeter's HTTP samplers never read.
TEST(PlanCompilerHttpTest, LoginConfigIsAConfigElementAndRuns) {
  CompiledPlan c = CompileUnder(
      "<ConfigTestElement guiclass=\"LoginConfigGui\" testclass=\"ConfigTestElement\" testname=\"login\">" +
      S("ConfigTestElement.username", "u") + S("ConfigTestElement.password", "p") +
      "</ConfigTestElement>\n<hashTree/>\n");
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_TRUE(c.plan.problems.empty());
  EXPECT_EQ(Element(c).kind, ElementKind::kConfigElement);
}

}  // namespace
}  // namespace barrage
