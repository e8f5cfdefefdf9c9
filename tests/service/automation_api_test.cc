#include "service/automation_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "service/service_api.h"
#include "service/tokens.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"
#include "tests/service/webhook_receiver.h"

namespace barrage {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kNightly =
    R"({"name": "nightly", "cron": "0 2 * * *", "time_zone": "UTC", "run": {"plan": "shop.jmx", "workers": 2}})";
// ScheduleToJson of kNightly created by token "root" at the fake clock's start.
constexpr const char* kNightlyJson = R"({"id": 1, "project": "shop", "name": "nightly", "cron": "0 2 * * *",
    "time_zone": "UTC", "run": {"plan": "shop.jmx", "workers": 2}, "enabled": true, "created_by": "root",
    "created_at": "2026-01-01T00:00:00.000Z", "created_at_ms": 1767225600000,
    "next_fire": "2026-01-01T02:00:00.000Z", "next_fire_ms": 1767232800000,
    "next_fire_local": "2026-01-01T02:00:00+00:00",
    "last_fire": null, "last_fire_ms": null, "last_run_id": null})";

// The service's router over a store with tokens of project "shop" (root: admin, ci: tester,
// dash: viewer) and one admin of "billing", and a ServiceAutomation that never fires (the
// fake clock stands still).
class AutomationApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    ASSERT_TRUE(ResultsStore::Open(db_).ok());
    Result<TokenStore> tokens = TokenStore::Open(db_, /*must_exist=*/true, clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status().message();
    tokens_.emplace(std::move(tokens).value());
    limiter_.emplace(AuthLimiter::Options{}, clock_);
    Result<std::unique_ptr<ServiceAutomation>> a =
        ServiceAutomation::Open(db_, "http://127.0.0.1:8470", RunHooks{}, nullptr, clock_);
    ASSERT_TRUE(a.ok()) << a.status().message();
    automation_ = std::move(a).value();
    automation_context_.auth = {&*tokens_, &*limiter_, &clock_};
    automation_context_.automation = automation_.get();
    context_.public_url = "http://127.0.0.1:8470";
    context_.auth = automation_context_.auth;
    context_.automation = &automation_context_;
    router_.emplace(BuildServiceApi(&context_));
    admin_ = Token("shop", "root", TokenRole::kAdmin);
    tester_ = Token("shop", "ci", TokenRole::kTester);
    viewer_ = Token("shop", "dash", TokenRole::kViewer);
    other_admin_ = Token("billing", "boss", TokenRole::kAdmin);
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
    const size_t q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) {
      const std::string query = path.substr(q + 1);
      const size_t eq = query.find('=');
      r.query.emplace(query.substr(0, eq), query.substr(eq + 1));
    }
    r.body = body;
    r.remote_addr = "10.0.0.9";
    if (!token.empty()) r.headers.emplace("authorization", "Bearer " + token);
    return router_->Handle(r);
  }
  static std::string Error(const ApiResponse& r) { return json::parse(r.body).value("error", ""); }
  std::vector<std::string> AuditWhats() {
    std::vector<std::string> out;
    Result<std::vector<AuditRecord>> log = tokens_->ProjectAuditLog("shop", 100);
    EXPECT_TRUE(log.ok()) << log.status().message();
    if (!log.ok()) return out;
    for (const AuditRecord& a : *log) {
      if (a.token_name == "root") out.push_back(a.what + " " + a.details);
    }
    return out;
  }

  TempDir dir_;
  std::string db_;
  FakeClock clock_;
  std::optional<TokenStore> tokens_;
  std::optional<AuthLimiter> limiter_;
  std::unique_ptr<ServiceAutomation> automation_;
  AutomationApiContext automation_context_;
  ServiceApiContext context_;
  std::optional<ApiRouter> router_;
  std::string admin_, tester_, viewer_, other_admin_;
};

const std::string kSchedules = "/api/v1/projects/shop/schedules";
const std::string kWebhooks = "/api/v1/projects/shop/webhooks";

TEST_F(AutomationApiTest, AnAdminCreatesAScheduleAndAViewerReadsIt) {
  ApiResponse created = Call("POST", kSchedules, admin_, kNightly);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body), json::parse(kNightlyJson));
  ApiResponse list = Call("GET", kSchedules, viewer_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::parse(list.body), json::array({json::parse(kNightlyJson)}));
  ApiResponse one = Call("GET", kSchedules + "/1", viewer_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(json::parse(one.body), json::parse(kNightlyJson));
  EXPECT_EQ(AuditWhats(), std::vector<std::string>{"schedule_created {\"id\":1,\"name\":\"nightly\"}"});
}

TEST_F(AutomationApiTest, OnlyAnAdminOfTheProjectWritesSchedules) {
  ASSERT_EQ(Call("POST", kSchedules, admin_, kNightly).status, 201);
  ApiResponse r = Call("POST", kSchedules, tester_, kNightly);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Error(r), "token 'ci' has role tester; to manage schedules a token needs role admin");
  EXPECT_EQ(Call("PATCH", kSchedules + "/1", viewer_, R"({"enabled": false})").status, 403);
  EXPECT_EQ(Call("DELETE", kSchedules + "/1", tester_).status, 403);
  r = Call("DELETE", kSchedules + "/1", other_admin_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Error(r), "token 'boss' belongs to project 'billing', not 'shop'");
  EXPECT_EQ(Call("GET", kSchedules, other_admin_).status, 403);
  r = Call("GET", kSchedules, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.count("WWW-Authenticate"), 1u);
  EXPECT_EQ(Call("GET", kSchedules + "/1/events", "").status, 401);
  EXPECT_EQ(Call("GET", kSchedules + "/1/events", tester_).status, 200);
}

TEST_F(AutomationApiTest, ScheduleErrorsNameTheField) {
  auto post = [&](const std::string& body) { return Call("POST", kSchedules, admin_, body); };
  ApiResponse r = post(R"({"name": "n", "cron": "0 24 * * *", "time_zone": "UTC", "run": {"plan": "a.jmx"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "cron: hour: 24 is out of range 0-23 in \"0 24 * * *\"");
  r = post(R"({"name": "n", "cron": "@daily", "time_zone": "UTC", "run": {"plan": "a.jmx", "workers": -1}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "run.workers: expected a number of workers (0: a local run)");
  r = post(R"({"name": "n", "cron": "@daily", "time_zone": "UTC", "run": {"plan": "a.jmx", "speed": 2}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r),
            "run.speed: unknown field (a run takes plan, version, properties, workers, worker_names, share, "
            "duration, thresholds, queue)");
  r = post(R"({"name": "n", "cron": "@daily", "time_zone": "Mars/Base", "run": {"plan": "a.jmx"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "time_zone: unknown time zone \"Mars/Base\"");
  r = post("[1]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "the body must be a JSON object");
  ASSERT_EQ(post(kNightly).status, 201);
  r = post(kNightly);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Error(r), "name: a schedule named \"nightly\" already exists in project \"shop\"");
  r = Call("PATCH", kSchedules + "/1", admin_, R"({"run": {"plan": "a.jmx", "share": "half"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r).rfind("run.share: ", 0), 0u) << Error(r);
  r = Call("GET", kSchedules + "/x1", viewer_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "id: 'x1' is not a positive integer");
  r = Call("GET", kSchedules + "/7", viewer_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Error(r), "schedule 7 not found in project \"shop\"");
  r = Call("GET", kSchedules + "/1/events?limit=0", viewer_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "limit: '0' is not an integer from 1 to 1000");
}

TEST_F(AutomationApiTest, ChangesAndDeletesAreAuditLoggedWithTheTokensName) {
  ASSERT_EQ(Call("POST", kSchedules, admin_, kNightly).status, 201);
  ApiResponse r = Call("PATCH", kSchedules + "/1", admin_, R"({"enabled": false})");
  ASSERT_EQ(r.status, 200) << r.body;
  json expected = json::parse(kNightlyJson);
  expected["enabled"] = false;
  expected["next_fire"] = nullptr;
  expected["next_fire_ms"] = nullptr;
  expected["next_fire_local"] = nullptr;
  EXPECT_EQ(json::parse(r.body), expected);
  r = Call("DELETE", kSchedules + "/1", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), expected);
  EXPECT_EQ(Call("GET", kSchedules + "/1", admin_).status, 404);
  EXPECT_EQ(Call("DELETE", kSchedules + "/1", admin_).status, 404);
  EXPECT_EQ(AuditWhats(), (std::vector<std::string>{"schedule_deleted {\"id\":1,\"name\":\"nightly\"}",
                                                    "schedule_updated {\"id\":1,\"name\":\"nightly\"}",
                                                    "schedule_created {\"id\":1,\"name\":\"nightly\"}"}));
}

TEST_F(AutomationApiTest, TheEventsRouteListsTheLogNewestFirstMissesIncluded) {
  ASSERT_EQ(Call("POST", kSchedules, admin_, kNightly).status, 201);
  ScheduleStore& store = automation_->schedules();
  ASSERT_TRUE(store.MarkMissed(1, 1'767'240'000'000, "2 fires missed while the service was down").ok());
  ASSERT_TRUE(store.MarkFired(1, 1'767'240'060'000, 41, std::nullopt, "fired: run 41").ok());
  ApiResponse r = Call("GET", kSchedules + "/1/events?limit=5", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"([
      {"id": 2, "at": "2026-01-01T04:01:00.000Z", "at_ms": 1767240060000, "what": "fired", "run_id": 41,
       "details": "fired: run 41"},
      {"id": 1, "at": "2026-01-01T04:00:00.000Z", "at_ms": 1767240000000, "what": "missed", "run_id": null,
       "details": "2 fires missed while the service was down"}])"));
  r = Call("GET", kSchedules + "/1/events?limit=1", viewer_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).size(), 1u);
}

TEST_F(AutomationApiTest, WebhooksAreForAdminsOnlyAndNeverShowTheSecretAgain) {
  const std::string body =
      R"({"name": "slack", "url": "https://hooks.example/T0/B0/X", "secret": "0123456789abcdef0123"})";
  ApiResponse r = Call("POST", kWebhooks, tester_, body);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Error(r), "token 'ci' has role tester; to manage webhooks a token needs role admin");
  EXPECT_EQ(Call("GET", kWebhooks, viewer_).status, 403);
  EXPECT_EQ(Call("GET", kWebhooks, "").status, 401);
  EXPECT_EQ(Call("GET", kWebhooks, other_admin_).status, 403);
  r = Call("POST", kWebhooks, admin_, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body,
            R"({"id":1,"project":"shop","name":"slack","url":"https://hooks.example/T0/B0/X",)"
            R"("events":["run.finished"],"enabled":true,"created_by":"root","created_at":"2026-01-01T00:00:00.000Z",)"
            R"("secret":"0123456789abcdef0123"})"
            "\n");
  const std::string shown =
      R"({"id":1,"project":"shop","name":"slack","url":"https://hooks.example/T0/B0/X",)"
      R"("events":["run.finished"],"enabled":true,"created_by":"root","created_at":"2026-01-01T00:00:00.000Z"})";
  r = Call("GET", kWebhooks, admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[" + shown + "]\n");
  r = Call("GET", kWebhooks + "/1", admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, shown + "\n");
  EXPECT_EQ(Call("GET", kWebhooks + "/1", viewer_).status, 403);
  EXPECT_EQ(Call("GET", kWebhooks + "/1/deliveries", tester_).status, 403);
  EXPECT_EQ(Call("POST", kWebhooks + "/1/test", tester_).status, 403);
  r = Call("DELETE", kWebhooks + "/1", admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, shown + "\n");
  EXPECT_EQ(Call("GET", kWebhooks + "/1", admin_).status, 404);
  EXPECT_EQ(AuditWhats(), (std::vector<std::string>{"webhook_deleted {\"id\":1,\"name\":\"slack\"}",
                                                    "webhook_created {\"id\":1,\"name\":\"slack\"}"}));
}

TEST_F(AutomationApiTest, WebhookErrorsNameTheField) {
  ApiResponse r = Call("POST", kWebhooks, admin_, R"({"name": "a", "url": "ftp://x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "url: must be an http:// or https:// URL with a host, got 'ftp://x'");
  r = Call("POST", kWebhooks, admin_, R"({"name": "a", "url": "https://h.example/", "secret": "short"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "secret: must be at least 16 bytes, got 5");
  ASSERT_EQ(Call("POST", kWebhooks, admin_, R"({"name": "a", "url": "https://h.example/"})").status, 201);
  r = Call("POST", kWebhooks, admin_, R"({"name": "a", "url": "https://h.example/"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Error(r).rfind("name: ", 0), 0u) << Error(r);
  r = Call("GET", kWebhooks + "/9", admin_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Error(r), "webhook 9 not found in project shop");
  r = Call("GET", kWebhooks + "/1/deliveries?limit=1001", admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "limit: '1001' is not an integer from 1 to 1000");
  r = Call("POST", kWebhooks + "/0/test", admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "id: '0' is not a positive integer");
}

TEST_F(AutomationApiTest, ATestDeliverySendsASignedPingNowAndReturnsTheAttempt) {
  WebhookReceiver receiver;
  const std::string secret = "0123456789abcdef-ping";
  ApiResponse r = Call("POST", kWebhooks, admin_,
                       json{{"name", "ci"}, {"url", receiver.Url()}, {"secret", secret}, {"enabled", false}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  r = Call("POST", kWebhooks + "/1/test", admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::vector<WebhookReceiver::Request> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);  // sent before the answer, even though the webhook is disabled
  EXPECT_EQ(got[0].body,
            R"({"event":"ping","project":"shop","webhook_id":1,"webhook":"ci","sent_at":"2026-01-01T00:00:00.000Z",)"
            R"("text":"barrage: test delivery to webhook ci of project shop"})");
  EXPECT_EQ(got[0].Header("X-Barrage-Event"), "ping");
  EXPECT_EQ(got[0].Header("X-Barrage-Signature"), ExpectedSignature(got[0].body, secret));
  const std::string attempt = R"({"id":1,"webhook_id":1,"run_id":0,"delivery":")" +
                              got[0].Header("X-Barrage-Delivery") +
                              R"(","attempt":1,"at":"2026-01-01T00:00:00.000Z","http_status":200,"error":"",)"
                              R"("duration_ms":0,"delivered":true})";
  EXPECT_EQ(r.body, attempt + "\n");
  r = Call("GET", kWebhooks + "/1/deliveries", admin_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[" + attempt + "]\n");
}

TEST(AutomationApiWithoutAutomationTest, TheRoutesExistAndAnswer503) {
  ServiceApiContext context{"http://127.0.0.1:8470"};
  ApiRouter router = BuildServiceApi(&context);
  ApiRequest req;
  req.method = "GET";
  req.path = "/api/v1/projects/shop/schedules";
  ApiResponse r = router.Handle(req);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "{\"error\":\"schedules and webhooks are not enabled here\"}\n");
}

}  // namespace
}  // namespace barrage
