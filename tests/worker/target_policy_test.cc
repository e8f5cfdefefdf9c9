#include "worker/target_policy.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>
#include <vector>

namespace barrage {
namespace {

TargetPolicy Policy(const std::vector<std::string>& patterns) {
  Result<TargetPolicy> p = TargetPolicy::Parse(patterns, "worker.toml: allowed_targets");
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? std::move(p).value() : TargetPolicy();
}

std::string Error(const std::vector<std::string>& patterns) {
  Result<TargetPolicy> p = TargetPolicy::Parse(patterns, "worker.toml:12: key allowed_targets");
  return p.ok() ? "(parsed)" : std::string(p.status().message());
}

sockaddr_in V4(const char* text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  EXPECT_EQ(inet_pton(AF_INET, text, &a.sin_addr), 1) << text;
  return a;
}

sockaddr_in6 V6(const char* text) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, text, &a.sin6_addr), 1) << text;
  return a;
}

bool AllowsAddress(const TargetPolicy& p, const char* v4, int port) {
  sockaddr_in a = V4(v4);
  return p.AllowsAddress(reinterpret_cast<const sockaddr*>(&a), port);
}

TEST(TargetPolicyTest, NoListAllowsEverything) {
  TargetPolicy p = Policy({});
  EXPECT_FALSE(p.restricted());
  EXPECT_TRUE(p.AllowsHost("anything.example", 80));
  EXPECT_TRUE(AllowsAddress(p, "203.0.113.9", 443));
}

TEST(TargetPolicyTest, NamesMatchWithoutCaseOrTrailingDotAndOnTheirPorts) {
  TargetPolicy p = Policy({"API.example.com", "shop.example.com:8080", "dev.example.com:8000-8099"});
  EXPECT_TRUE(p.restricted());
  EXPECT_TRUE(p.AllowsHost("api.example.com", 80));
  EXPECT_TRUE(p.AllowsHost("api.EXAMPLE.com.", 443));
  EXPECT_FALSE(p.AllowsHost("www.api.example.com", 80));
  EXPECT_FALSE(p.AllowsHost("example.com", 80));
  EXPECT_TRUE(p.AllowsHost("shop.example.com", 8080));
  EXPECT_FALSE(p.AllowsHost("shop.example.com", 80));
  EXPECT_TRUE(p.AllowsHost("dev.example.com", 8000));
  EXPECT_TRUE(p.AllowsHost("dev.example.com", 8099));
  EXPECT_FALSE(p.AllowsHost("dev.example.com", 8100));
  EXPECT_FALSE(p.has_address_patterns());
  EXPECT_EQ(p.Describe(), "API.example.com, shop.example.com:8080, dev.example.com:8000-8099");
}

TEST(TargetPolicyTest, AWildcardMatchesSubdomainsOnly) {
  TargetPolicy p = Policy({"*.staging.example.com:443"});
  EXPECT_TRUE(p.AllowsHost("api.staging.example.com", 443));
  EXPECT_TRUE(p.AllowsHost("a.b.staging.example.com", 443));
  EXPECT_FALSE(p.AllowsHost("staging.example.com", 443));
  EXPECT_FALSE(p.AllowsHost("evilstaging.example.com", 443));
  EXPECT_FALSE(p.AllowsHost("api.staging.example.com", 80));
}

TEST(TargetPolicyTest, AStarAllowsAnyHostOnItsPort) {
  TargetPolicy p = Policy({"*:443"});
  EXPECT_TRUE(p.AllowsHost("anything.example", 443));
  EXPECT_TRUE(p.AllowsHost("10.1.2.3", 443));
  EXPECT_FALSE(p.AllowsHost("anything.example", 80));
  EXPECT_TRUE(AllowsAddress(p, "10.1.2.3", 443));
}

TEST(TargetPolicyTest, AddressesAndRangesMatchLiteralsAndResolvedAddresses) {
  TargetPolicy p = Policy({"127.0.0.2", "10.0.0.0/8:80", "[::1]:8080", "[fd00::]/8", "192.168.1.7/32"});
  EXPECT_TRUE(p.has_address_patterns());
  EXPECT_TRUE(p.AllowsHost("127.0.0.2", 1234));
  EXPECT_FALSE(p.AllowsHost("127.0.0.1", 1234));
  EXPECT_TRUE(p.AllowsHost("10.255.0.1", 80));
  EXPECT_FALSE(p.AllowsHost("10.255.0.1", 443));
  EXPECT_FALSE(p.AllowsHost("11.0.0.1", 80));
  EXPECT_TRUE(p.AllowsHost("[::1]", 8080));
  EXPECT_TRUE(p.AllowsHost("::1", 8080));
  EXPECT_FALSE(p.AllowsHost("::1", 80));
  EXPECT_TRUE(p.AllowsHost("fd12:3456::1", 443));
  EXPECT_FALSE(p.AllowsHost("fe80::1", 443));
  EXPECT_TRUE(p.AllowsHost("192.168.1.7", 80));
  EXPECT_FALSE(p.AllowsHost("192.168.1.8", 80));
  // A name is allowed by an address pattern only through the address it resolved to.
  EXPECT_FALSE(p.AllowsHost("localhost", 1234));
  sockaddr_in two = V4("127.0.0.2");
  sockaddr_in one = V4("127.0.0.1");
  EXPECT_TRUE(p.Allows("localhost", reinterpret_cast<const sockaddr*>(&two), 1234));
  EXPECT_FALSE(p.Allows("localhost", reinterpret_cast<const sockaddr*>(&one), 1234));
  EXPECT_FALSE(p.Allows("localhost", nullptr, 1234));
  sockaddr_in6 six = V6("::1");
  EXPECT_TRUE(p.AllowsAddress(reinterpret_cast<const sockaddr*>(&six), 8080));
  EXPECT_FALSE(p.AllowsAddress(reinterpret_cast<const sockaddr*>(&six), 8081));
  // An IPv4 range does not match the IPv4-mapped form's neighbours in IPv6.
  sockaddr_in6 mapped_other = V6("::ffff:11.0.0.1");
  EXPECT_FALSE(p.AllowsAddress(reinterpret_cast<const sockaddr*>(&mapped_other), 80));
}

TEST(TargetPolicyTest, ABadPatternNamesItsPlaceAndWhatIsWrong) {
  EXPECT_EQ(Error({"ok.example", "10.0.0.0/33"}),
            "worker.toml:12: key allowed_targets[2] \"10.0.0.0/33\": the prefix length must be 0 to 32");
  EXPECT_EQ(Error({"api.example.com:0"}),
            "worker.toml:12: key allowed_targets[1] \"api.example.com:0\": the port must be 1 to 65535 or a range "
            "like 8000-8099");
  EXPECT_EQ(Error({"api.example.com:90-80"}),
            "worker.toml:12: key allowed_targets[1] \"api.example.com:90-80\": the port range ends before it starts");
  EXPECT_EQ(Error({"[::1"}), "worker.toml:12: key allowed_targets[1] \"[::1\": an unclosed '['");
  EXPECT_EQ(Error({"http://api.example.com"}),
            "worker.toml:12: key allowed_targets[1] \"http://api.example.com\": the port must be 1 to 65535 or a "
            "range like 8000-8099");
  EXPECT_EQ(Error({"bad host"}),
            "worker.toml:12: key allowed_targets[1] \"bad host\": 'bad host' is not a host name, an address, a CIDR "
            "range or a *.domain pattern");
  EXPECT_EQ(Error({""}), "worker.toml:12: key allowed_targets[1] \"\": no host");
  EXPECT_EQ(Error({"[fd00::]/129"}),
            "worker.toml:12: key allowed_targets[1] \"[fd00::]/129\": the prefix length must be 0 to 128");
  EXPECT_EQ(Error({"example.com:"}), "worker.toml:12: key allowed_targets[1] \"example.com:\": an empty port");
}

TEST(TargetPolicyTest, TargetTextBracketsIpv6) {
  EXPECT_EQ(TargetText("api.example.com", 443), "api.example.com:443");
  EXPECT_EQ(TargetText("::1", 80), "[::1]:80");
  EXPECT_EQ(TargetText("[::1]", 80), "[::1]:80");
}

}  // namespace
}  // namespace barrage
