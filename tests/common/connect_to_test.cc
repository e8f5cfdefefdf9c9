#include "common/connect_to.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

ConnectToRule Parse(std::string_view text) {
  Result<ConnectToRule> r = ParseConnectToRule(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : ConnectToRule{};
}

TEST(ConnectToTest, ParsesAllFourFields) {
  EXPECT_EQ(Parse("Example.COM:80:127.0.0.1:8080"), (ConnectToRule{"example.com", 80, "127.0.0.1", 8080}));
}

TEST(ConnectToTest, EmptyFieldsMeanAnyOrKeep) {
  EXPECT_EQ(Parse("::127.0.0.1:9000"), (ConnectToRule{"", 0, "127.0.0.1", 9000}));
  EXPECT_EQ(Parse("a.test:443::"), (ConnectToRule{"a.test", 443, "", 0}));
}

TEST(ConnectToTest, IPv6AddressesAreBracketed) {
  EXPECT_EQ(Parse("[2001:DB8::1]:80:[::1]:8080"), (ConnectToRule{"2001:db8::1", 80, "::1", 8080}));
  EXPECT_EQ(FormatConnectToRule(Parse("[2001:db8::1]:80:[::1]:8080")), "[2001:db8::1]:80:[::1]:8080");
}

TEST(ConnectToTest, FormatsAsCurlTakesIt) {
  EXPECT_EQ(FormatConnectToRule(Parse("::127.0.0.1:9000")), "::127.0.0.1:9000");
  EXPECT_EQ(FormatConnectToRule(Parse("h:81::")), "h:81::");
}

TEST(ConnectToTest, ErrorsNameTheRule) {
  EXPECT_EQ(ParseConnectToRule("a:80:b").status().message(),
            "--connect-to 'a:80:b': expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT");
  EXPECT_EQ(ParseConnectToRule("a:80:b:99999").status().message(),
            "--connect-to 'a:80:b:99999': port '99999' is not a number from 1 to 65535");
  EXPECT_EQ(ParseConnectToRule("a:http:b:80").status().message(),
            "--connect-to 'a:http:b:80': port 'http' is not a number from 1 to 65535");
  EXPECT_EQ(ParseConnectToRule("[::1:80:b:80").status().message(),
            "--connect-to '[::1:80:b:80': an IPv6 address lacks its closing ']'");
  EXPECT_EQ(ParseConnectToRule("a:80:::1:80").status().message(),
            "--connect-to 'a:80:::1:80': expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT (an IPv6 address goes in "
            "brackets)");
  EXPECT_EQ(ParseConnectToRule("a:0:b:80").status().message(),
            "--connect-to 'a:0:b:80': port '0' is not a number from 1 to 65535");
}

TEST(ConnectToTest, ParseRulesStopsAtTheFirstBadOne) {
  Result<std::vector<ConnectToRule>> r = ParseConnectToRules({"a:80:b:81", "bad", "c:1:d:2"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--connect-to 'bad': expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT");
}

TEST(ConnectToTest, FirstMatchingRuleWins) {
  std::vector<ConnectToRule> rules = {Parse("a.test:80:10.0.0.1:81"), Parse("a.test::10.0.0.2:82"),
                                      Parse("::10.0.0.3:83")};
  EXPECT_EQ(MatchConnectTo(rules, "A.Test", 80), &rules[0]);
  EXPECT_EQ(MatchConnectTo(rules, "a.test", 443), &rules[1]);
  EXPECT_EQ(MatchConnectTo(rules, "b.test", 80), &rules[2]);
  EXPECT_EQ(MatchConnectTo({rules[0]}, "b.test", 80), nullptr);
  EXPECT_EQ(MatchConnectTo({rules[0]}, "a.test.", 80), nullptr);
}

TEST(ConnectToTest, MatchesIPv6HostsWithOrWithoutBrackets) {
  std::vector<ConnectToRule> rules = {Parse("[::1]:80:127.0.0.1:81")};
  EXPECT_EQ(MatchConnectTo(rules, "[::1]", 80), &rules[0]);
  EXPECT_EQ(MatchConnectTo(rules, "::1", 80), &rules[0]);
}

TEST(ConnectToTest, CoveredOnlyWhenTheRuleChangesTheHost) {
  std::vector<ConnectToRule> rules = {Parse("a.test:80::8080"), Parse("b.test::127.0.0.1:")};
  EXPECT_FALSE(CoveredByConnectTo(rules, "a.test", 80));  // still resolves a.test
  EXPECT_TRUE(CoveredByConnectTo(rules, "b.test", 443));
  EXPECT_FALSE(CoveredByConnectTo(rules, "c.test", 80));
}

}  // namespace
}  // namespace barrage
