#include "service/service_api.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/clock.h"
#include "controller/results_store.h"
#include "service/service_info.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

ApiRequest Get(std::string path) {
  ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(ServiceApiTest, HealthAnswersOkWithTheVersion) {
  ServiceApiContext context{"http://127.0.0.1:8470"};
  ApiRouter api = BuildServiceApi(&context);
  ApiResponse r = api.Handle(Get("/api/v1/health"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\",\"version\":\"" + std::string(ServiceVersion()) + "\"}\n");
}

TEST(ServiceApiTest, TheOpenApiDocumentNamesThisServerAndVersion) {
  ServiceApiContext context{"https://bastion.example:8470"};
  ApiRouter api = BuildServiceApi(&context);
  ApiResponse r = api.Handle(Get("/api/v1/openapi.json"));
  ASSERT_EQ(r.status, 200);
  nlohmann::json doc = nlohmann::json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["info"]["version"], std::string(ServiceVersion()));
  EXPECT_EQ(doc["servers"], nlohmann::json::parse(R"([{"url":"https://bastion.example:8470"}])"));
}

// The document and the implementation describe the same API: every route is a documented
// path and method, and every documented operation is a route.
TEST(ServiceApiTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  ServiceApiContext context{"http://127.0.0.1:8470"};
  RunApiContext runs;  // every optional part present: their routes are registered
  context.runs = &runs;
  RunViewContext run_views;
  context.run_views = &run_views;
  ApiRouter api = BuildServiceApi(&context);
  std::set<std::string> routes;
  for (const std::string& r : api.Routes()) {
    if (r.find(" /api/v1/") != std::string::npos) routes.insert(r);  // the web UI's routes are not the API's
  }
  std::set<std::string> documented;
  nlohmann::json doc = nlohmann::json::parse(OpenApiDocument());
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters") continue;  // shared by the path's operations
      std::string upper;
      for (char c : method) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      documented.insert(upper + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << upper << " " << path;
    }
  }
  EXPECT_EQ(routes, documented);
}

// A service on a store with tokens, a fake clock and a pool of two workers.
class AuthenticatedApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    ASSERT_TRUE(ResultsStore::Open(db_).ok());
    Result<TokenStore> tokens = TokenStore::Open(db_, /*must_exist=*/true, clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status().message();
    tokens_.emplace(std::move(tokens).value());
    limiter_.emplace(AuthLimiter::Options{}, clock_);
    context_.public_url = "http://127.0.0.1:8470";
    context_.auth.tokens = &*tokens_;
    context_.auth.limiter = &*limiter_;
    context_.auth.clock = &clock_;
    context_.workers = [] {
      PooledWorker a;
      a.name = "lg-01";
      a.host = "lg-01.local";
      a.cores = 8;
      a.version = "0.1.0";
      a.state = PoolState::kBusy;
      a.run = 7;
      a.joined_at_ms = 1000;
      a.state_since_ms = 2000;
      PooledWorker b = a;
      b.name = "lg-02";
      b.state = PoolState::kIdle;
      return std::vector<PooledWorker>{a, b};
    };
    context_.run_project = [](int64_t run) -> std::optional<std::string> {
      return run == 7 ? std::optional<std::string>("shop") : std::nullopt;
    };
    router_.emplace(BuildServiceApi(&context_));
  }
  std::string Token(const std::string& project, const std::string& name, TokenRole role) {
    Result<NewToken> t = tokens_->Create(project, name, role, "alice");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? t->token : "";
  }
  ApiResponse Call(const std::string& method, const std::string& path, const std::string& token,
                   const std::string& body = "") {
    ApiRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.remote_addr = "10.0.0.9";
    if (!token.empty()) r.headers.emplace("authorization", "Bearer " + token);
    return router_->Handle(r);
  }

  TempDir dir_;
  std::string db_;
  FakeClock clock_;
  std::optional<TokenStore> tokens_;
  std::optional<AuthLimiter> limiter_;
  ServiceApiContext context_;
  std::optional<ApiRouter> router_;
};

// Any project's token sees the pool; a busy worker's run id only a token of that run's project.
TEST_F(AuthenticatedApiTest, WorkersNeedAValidTokenOfAnyProjectAndShowARunOnlyToItsProject) {
  const std::string viewer = Token("shop", "ci", TokenRole::kViewer);
  ApiResponse r = Call("GET", "/api/v1/workers", viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(R"([
      {"name": "lg-01", "host": "lg-01.local", "cores": 8, "version": "0.1.0", "state": "busy", "run": 7,
       "joined_at_ms": 1000, "state_since_ms": 2000},
      {"name": "lg-02", "host": "lg-01.local", "cores": 8, "version": "0.1.0", "state": "idle", "run": null,
       "joined_at_ms": 1000, "state_since_ms": 2000}])"));
  ApiResponse other = Call("GET", "/api/v1/workers", Token("billing", "ci", TokenRole::kViewer));
  ASSERT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(nlohmann::json::parse(other.body)[0]["run"], nullptr);
  ApiResponse none = Call("GET", "/api/v1/workers", "");
  EXPECT_EQ(none.status, 401);
  ASSERT_EQ(none.headers.count("WWW-Authenticate"), 1u);
  EXPECT_EQ(none.headers.find("WWW-Authenticate")->second, "Bearer realm=\"barrage\"");
  EXPECT_EQ(Call("GET", "/api/v1/workers", "brg_" + std::string(43, 'x')).status, 401);
}

TEST_F(AuthenticatedApiTest, RepeatedBadTokensFromOneAddressAre429) {
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Call("GET", "/api/v1/workers", "brg_bad").status, 401);
  ApiResponse r = Call("GET", "/api/v1/workers", Token("shop", "ci", TokenRole::kViewer));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.count("Retry-After"), 1u);
}

TEST_F(AuthenticatedApiTest, AnAdminManagesTheTokensOfItsProjectOnly) {
  const std::string admin = Token("shop", "root", TokenRole::kAdmin);
  const std::string tester = Token("shop", "ci", TokenRole::kTester);
  ApiResponse created = Call("POST", "/api/v1/projects/shop/tokens", admin, R"({"name": "nightly", "role": "viewer"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = nlohmann::json::parse(created.body)["token"];
  EXPECT_EQ(Call("GET", "/api/v1/workers", secret).status, 200);  // the new token works
  ApiResponse list = Call("GET", "/api/v1/projects/shop/tokens", admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(nlohmann::json::parse(list.body).size(), 3u);
  EXPECT_EQ(list.body.find("brg_"), std::string::npos);  // never a secret
  EXPECT_EQ(Call("GET", "/api/v1/projects/shop/tokens", tester).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/projects/other/tokens", admin).status, 403);
  EXPECT_EQ(Call("DELETE", "/api/v1/projects/shop/tokens/nightly", admin).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/workers", secret).status, 401);  // revoked
  ApiResponse audit = Call("GET", "/api/v1/projects/shop/audit", admin);
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find("token_revoked"), std::string::npos) << audit.body;
}

}  // namespace
}  // namespace barrage
