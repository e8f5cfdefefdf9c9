#include "service/token_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(BearerTokenTest, TheSchemeIsCaseInsensitiveAndSpacesAreSkipped) {
  EXPECT_EQ(BearerToken("Bearer brg_x"), "brg_x");
  EXPECT_EQ(BearerToken("bearer   brg_x  "), "brg_x");
  EXPECT_EQ(BearerToken("BEARER\tbrg_x"), "brg_x");
  EXPECT_EQ(BearerToken(""), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer   "), std::nullopt);
  EXPECT_EQ(BearerToken("Bearerbrg_x"), std::nullopt);
  EXPECT_EQ(BearerToken("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), std::nullopt);
}

class TokenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TokenStore> store = TokenStore::Open(dir_.File("results.db"), /*must_exist=*/false, clock_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_.emplace(std::move(store).value());
    Result<NewToken> admin = store_->Create("shop", "lead", TokenRole::kAdmin, "alice");
    ASSERT_TRUE(admin.ok());
    admin_token_ = admin->token;
    admin_ = Principal{admin->record.id, "lead", "shop", TokenRole::kAdmin};
  }
  RequestAuth Request(const std::string& address, const std::string& authorization) {
    return AuthenticateRequest(*store_, limiter_, address, authorization, clock_.WallMillis());
  }

  TempDir dir_;
  FakeClock clock_;
  AuthLimiter limiter_{{}, clock_};
  std::optional<TokenStore> store_;
  std::string admin_token_;
  Principal admin_;
};

TEST_F(TokenApiTest, AValidTokenGivesItsPrincipal) {
  RequestAuth auth = Request("10.0.0.1", "Bearer " + admin_token_);
  EXPECT_FALSE(auth.reply);
  ASSERT_TRUE(auth.principal);
  EXPECT_EQ(auth.principal->name, "lead");
  EXPECT_EQ(auth.principal->project, "shop");
  EXPECT_EQ(auth.principal->token_id, admin_.token_id);
}

TEST_F(TokenApiTest, NoTokenIsNoPrincipalAndIsNotCountedAsAFailure) {
  for (int i = 0; i < 20; ++i) {
    RequestAuth auth = Request("10.0.0.1", i % 2 ? "" : "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    EXPECT_FALSE(auth.principal);
    EXPECT_FALSE(auth.reply) << i;
  }
  EXPECT_EQ(limiter_.tracked_addresses(), 0u);
  ApiReply r = RefusalReply(Authorize(std::nullopt, "shop", Action::kReadRuns));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers, (Headers{{"WWW-Authenticate", "Bearer realm=\"barrage\""}}));
}

TEST_F(TokenApiTest, TenBadTokensBlockTheAddressEvenForAGoodOneUntilTheWindowPasses) {
  const std::string bad = "Bearer brg_" + std::string(43, 'x');
  for (int i = 0; i < 10; ++i) {
    RequestAuth auth = Request("10.0.0.1", bad);
    EXPECT_FALSE(auth.principal);
    EXPECT_FALSE(auth.reply) << i;  // 401 by the route's Authorize
    clock_.Advance(std::chrono::seconds(1));
  }
  RequestAuth blocked = Request("10.0.0.1", "Bearer " + admin_token_);  // t = 10 s
  EXPECT_FALSE(blocked.principal);
  ASSERT_TRUE(blocked.reply);
  EXPECT_EQ(blocked.reply->status, 429);
  EXPECT_EQ(blocked.reply->headers, (Headers{{"Retry-After", "50"}}));
  EXPECT_EQ(blocked.reply->body, "{\"error\":\"too many failed authentications from this address; retry in 50 s\"}");
  EXPECT_TRUE(Request("10.0.0.2", "Bearer " + admin_token_).principal);  // another address
  clock_.Advance(std::chrono::seconds(50));
  EXPECT_TRUE(Request("10.0.0.1", "Bearer " + admin_token_).principal);
}

TEST_F(TokenApiTest, AnAdminCreatesATokenOfItsProject) {
  ApiReply r = CreateTokenViaApi(*store_, admin_, "shop", R"({"name": "ci", "role": "tester"})");
  ASSERT_EQ(r.status, 201) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  const std::string token = j["token"];
  EXPECT_EQ(token.size(), kTokenLength);
  EXPECT_EQ(j["project"], "shop");
  EXPECT_EQ(j["name"], "ci");
  EXPECT_EQ(j["role"], "tester");
  EXPECT_EQ(j["created_by"], "token:lead");
  EXPECT_EQ(j["active"], true);
  RequestAuth auth = Request("10.0.0.1", "Bearer " + token);
  ASSERT_TRUE(auth.principal);
  EXPECT_EQ(auth.principal->role, TokenRole::kTester);
  EXPECT_EQ(auth.principal->project, "shop");
}

TEST_F(TokenApiTest, OnlyAnAdminOfTheProjectManagesItsTokens) {
  Result<NewToken> tester = store_->Create("shop", "ci", TokenRole::kTester, "alice");
  ASSERT_TRUE(tester.ok());
  const Principal ci{tester->record.id, "ci", "shop", TokenRole::kTester};
  const std::string body = R"({"name": "x", "role": "viewer"})";
  ApiReply as_tester = CreateTokenViaApi(*store_, ci, "shop", body);
  EXPECT_EQ(as_tester.status, 403);
  EXPECT_EQ(as_tester.body, "{\"error\":\"token 'ci' has role tester; to manage tokens a token needs role admin\"}");
  ApiReply other_project = ListTokensViaApi(*store_, admin_, "billing");
  EXPECT_EQ(other_project.status, 403);
  EXPECT_EQ(other_project.body, "{\"error\":\"token 'lead' belongs to project 'shop', not 'billing'\"}");
  EXPECT_EQ(RevokeTokenViaApi(*store_, std::nullopt, "shop", "ci").status, 401);
  EXPECT_EQ(RevokeTokenViaApi(*store_, ci, "shop", "lead").status, 403);
  Result<std::vector<TokenRecord>> all = store_->List("shop");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  for (const TokenRecord& r : *all) EXPECT_FALSE(r.revoked_at_ms) << r.name;
}

TEST_F(TokenApiTest, BadBodiesAre400NamingTheField) {
  struct Case {
    std::string body, error;
  };
  for (const Case& c : std::vector<Case>{
           {"", "body: expected a JSON object {\\\"name\\\": ..., \\\"role\\\": ...}"},
           {"[1]", "body: expected a JSON object {\\\"name\\\": ..., \\\"role\\\": ...}"},
           {R"({"role": "viewer"})", "name: a string is required"},
           {R"({"name": 5, "role": "viewer"})", "name: a string is required"},
           {R"({"name": "ci"})", "role: one of \\\"viewer\\\", \\\"tester\\\", \\\"admin\\\" is required"},
           {R"({"name": "ci", "role": "owner"})", "role: 'owner' is not viewer, tester or admin"},
           {R"({"name": "a b", "role": "viewer"})", "name: 'a b' may hold only letters, digits, '.', '_' and '-'"},
       }) {
    ApiReply r = CreateTokenViaApi(*store_, admin_, "shop", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(r.body, "{\"error\":\"" + c.error + "\"}") << c.body;
  }
}

TEST_F(TokenApiTest, ANameInUseIs409) {
  ApiReply r = CreateTokenViaApi(*store_, admin_, "shop", R"({"name": "lead", "role": "viewer"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body,
            "{\"error\":\"name: project 'shop' already has an active token 'lead' (revoke it first, or choose "
            "another name)\"}");
}

TEST_F(TokenApiTest, ListShowsTheProjectsTokensWithoutSecrets) {
  ASSERT_EQ(CreateTokenViaApi(*store_, admin_, "shop", R"({"name": "ci", "role": "tester"})").status, 201);
  ASSERT_TRUE(store_->Create("billing", "other", TokenRole::kAdmin, "alice").ok());
  ApiReply r = ListTokensViaApi(*store_, admin_, "shop");
  ASSERT_EQ(r.status, 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "lead");
  EXPECT_EQ(j[1]["name"], "ci");
  EXPECT_FALSE(j[1].contains("token"));
  EXPECT_EQ(r.body.find("brg_"), std::string::npos);
}

TEST_F(TokenApiTest, RevokeAnswersTheRevokedTokenThen404) {
  ApiReply created = CreateTokenViaApi(*store_, admin_, "shop", R"({"name": "ci", "role": "tester"})");
  ASSERT_EQ(created.status, 201);
  const std::string token = nlohmann::json::parse(created.body)["token"];
  clock_.Advance(std::chrono::seconds(3));
  ApiReply r = RevokeTokenViaApi(*store_, admin_, "shop", "ci");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["active"], false);
  EXPECT_EQ(j["revoked_at_ms"], clock_.WallMillis());
  EXPECT_FALSE(Request("10.0.0.1", "Bearer " + token).principal);
  ApiReply again = RevokeTokenViaApi(*store_, admin_, "shop", "ci");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(again.body, "{\"error\":\"no active token 'ci' in project 'shop'\"}");
}

TEST_F(TokenApiTest, TheAuditLogListsWhichTokenDidWhatNewestFirst) {
  ApiReply created = CreateTokenViaApi(*store_, admin_, "shop", R"({"name": "ci", "role": "tester"})");
  ASSERT_EQ(created.status, 201);
  const int64_t ci_id = nlohmann::json::parse(created.body)["id"];
  clock_.Advance(std::chrono::seconds(1));
  const Principal ci{ci_id, "ci", "shop", TokenRole::kTester};
  ASSERT_TRUE(store_->AuditTokenAction("shop", ci, "run_started", "{\"plan\":\"shop.jmx\"}", 0).ok());
  ASSERT_TRUE(store_->Create("billing", "other", TokenRole::kAdmin, "alice").ok());  // another project's row

  ApiReply r = ListAuditViaApi(*store_, admin_, "shop", "2");
  ASSERT_EQ(r.status, 200) << r.body;
  const int64_t now = clock_.WallMillis();
  const nlohmann::json expected = nlohmann::json::array({
      {{"at_ms", now},
       {"who", "token:ci"},
       {"what", "run_started"},
       {"run", nullptr},
       {"details", R"({"plan":"shop.jmx"})"},
       {"token_id", ci_id},
       {"token_name", "ci"}},
      {{"at_ms", now - 1000},
       {"who", "token:lead"},
       {"what", "token_created"},
       {"run", nullptr},
       {"details", R"({"name":"ci","role":"tester","token_id":)" + std::to_string(ci_id) + "}"},
       {"token_id", admin_.token_id},
       {"token_name", "lead"}},
  });
  EXPECT_EQ(nlohmann::json::parse(r.body), expected) << r.body;
  EXPECT_EQ(r.body.substr(0, 10), "[{\"at_ms\":");  // keys in the documented order
  ApiReply all = ListAuditViaApi(*store_, admin_, "shop", "");
  ASSERT_EQ(all.status, 200);
  nlohmann::json j = nlohmann::json::parse(all.body);
  ASSERT_EQ(j.size(), 3u);  // and the first: alice created "lead" from the command line
  EXPECT_EQ(j[2]["who"], "alice");
  EXPECT_EQ(j[2]["token_id"], nullptr);
  EXPECT_EQ(j[2]["token_name"], nullptr);

  for (const char* bad : {"0", "x", "10001", "5x"}) {
    ApiReply b = ListAuditViaApi(*store_, admin_, "shop", bad);
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_EQ(b.body, std::string("{\"error\":\"limit: '") + bad + "' is not an integer from 1 to 10000\"}");
  }
  EXPECT_EQ(ListAuditViaApi(*store_, ci, "shop", "").status, 403);
}

}  // namespace
}  // namespace barrage
