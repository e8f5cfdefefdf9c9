#include "service/webhooks.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/sample.h"
#include "controller/results_store.h"
#include "controller/store_schema.h"
#include "tests/controller/temp_dir.h"
#include "tests/service/store_backends.h"

namespace barrage {
namespace {

using nlohmann::json;

// --- WebhookFromJson ---

Status FromJsonError(const std::string& text) {
  Result<Webhook> hook = WebhookFromJson(json::parse(text), "shop");
  return hook.ok() ? Status::Ok() : hook.status();
}

TEST(WebhookFromJsonTest, ReadsEveryField) {
  Result<Webhook> hook = WebhookFromJson(json::parse(R"({"name": "slack", "url": "https://hooks.example.com/T1/B2",
      "secret": "0123456789abcdef", "events": ["run.finished"], "enabled": false})"),
                                         "shop");
  ASSERT_TRUE(hook.ok()) << hook.status().message();
  EXPECT_EQ(hook->id, 0);
  EXPECT_EQ(hook->project, "shop");
  EXPECT_EQ(hook->name, "slack");
  EXPECT_EQ(hook->url, "https://hooks.example.com/T1/B2");
  EXPECT_EQ(hook->secret, "0123456789abcdef");
  EXPECT_EQ(hook->events, std::vector<std::string>{"run.finished"});
  EXPECT_FALSE(hook->enabled);
}

TEST(WebhookFromJsonTest, DefaultsAreRunFinishedEnabledAndAGeneratedSecret) {
  Result<Webhook> a = WebhookFromJson(json::parse(R"({"name": "ci", "url": "http://127.0.0.1:9000/hook"})"), "shop");
  Result<Webhook> b = WebhookFromJson(json::parse(R"({"name": "ci", "url": "http://127.0.0.1:9000/hook"})"), "shop");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->events, std::vector<std::string>{"run.finished"});
  EXPECT_TRUE(a->enabled);
  // 32 random bytes as lowercase hex, a new one each time.
  EXPECT_TRUE(std::regex_match(a->secret, std::regex("[0-9a-f]{64}"))) << a->secret;
  EXPECT_NE(a->secret, b->secret);
}

TEST(WebhookFromJsonTest, EveryErrorNamesItsField) {
  const std::string url = R"("url": "https://h.example/x")";
  EXPECT_EQ(FromJsonError(R"(["x"])").message(), "body: must be a JSON object");
  EXPECT_EQ(FromJsonError("{" + url + "}").message(), "name: required");
  EXPECT_EQ(FromJsonError(R"({"name": "", )" + url + "}").message(), "name: must not be empty");
  EXPECT_EQ(FromJsonError(R"({"name": 7, )" + url + "}").message(), "name: must be a string");
  EXPECT_EQ(FromJsonError(R"({"name": "a"})").message(), "url: required");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "url": "ftp://h.example/x"})").message(),
            "url: must be an http:// or https:// URL with a host, got 'ftp://h.example/x'");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "url": "http://"})").message(),
            "url: must be an http:// or https:// URL with a host, got 'http://'");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "url": "hooks.example.com/x"})").message(),
            "url: must be an http:// or https:// URL with a host, got 'hooks.example.com/x'");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "secret": "short", )" + url + "}").message(),
            "secret: must be at least 16 bytes, got 5");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "secret": null, )" + url + "}").message(), "secret: must be a string");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "events": [], )" + url + "}").message(),
            "events: must be a non-empty array of event names (known: run.finished)");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "events": ["run.started"], )" + url + "}").message(),
            "events: unknown event \"run.started\" (known: run.finished)");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "enabled": "yes", )" + url + "}").message(),
            "enabled: must be true or false");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "uri": "x", )" + url + "}").message(),
            "uri: unknown field (known: name, url, secret, events, enabled)");
  EXPECT_EQ(FromJsonError(R"({"name": "a", "url": "https://h.example/)" + std::string(2048, 'x') + "\"}").message(),
            "url: at most 2048 bytes, got 2066");
}

// --- JSON out ---

Webhook SampleHook() {
  Webhook h;
  h.id = 7;
  h.project = "shop";
  h.name = "slack";
  h.url = "https://hooks.example.com/T1/B2";
  h.secret = "0123456789abcdef-secret";
  h.created_by = "ci-admin";
  h.created_at_ms = 1'767'225'600'123;  // 2026-01-01T00:00:00.123Z
  return h;
}

TEST(WebhookToJsonTest, ShowsEverythingButTheSecret) {
  EXPECT_EQ(WebhookToJson(SampleHook()).dump(),
            R"({"id":7,"project":"shop","name":"slack","url":"https://hooks.example.com/T1/B2",)"
            R"("events":["run.finished"],"enabled":true,"created_by":"ci-admin",)"
            R"("created_at":"2026-01-01T00:00:00.123Z"})");
}

TEST(WebhookToJsonTest, TheCreationResponseAlsoCarriesTheSecret) {
  nlohmann::ordered_json j = WebhookCreatedJson(SampleHook());
  EXPECT_EQ(j["secret"], "0123456789abcdef-secret");
  j.erase("secret");
  EXPECT_EQ(j, WebhookToJson(SampleHook()));
}

// --- the payload ---

RunCompletion SampleRun() {
  RunCompletion r;
  r.run_id = 42;
  r.project = "shop";
  r.plan = "checkout.jmx";
  r.plan_version = 3;
  r.status = "passed";
  r.passed = true;
  r.thresholds = {{"p(95)<500", 120, true}, {"error_rate<0.01", 0.001, true}};
  r.totals = {12345, 12, 0.001, 205.75, 120, 180.5, 60};
  r.started_at_ms = 1'767'225'600'000;
  r.ended_at_ms = 1'767'225'660'000;
  r.report_url = "https://barrage.example.com/runs/42/report";
  return r;
}

TEST(WebhookBodyTest, FieldsInAFixedOrder) {
  EXPECT_EQ(WebhookBody(SampleRun()),
            R"({"event":"run.finished","run_id":42,"project":"shop","plan":"checkout.jmx","plan_version":3,)"
            R"("status":"passed","verdict":{"passed":true,"thresholds":[)"
            R"({"expression":"p(95)<500","observed":120.0,"passed":true},)"
            R"({"expression":"error_rate<0.01","observed":0.001,"passed":true}]},)"
            R"("totals":{"samples":12345,"errors":12,"error_rate":0.001,"throughput":205.75,"p95_ms":120.0,)"
            R"("p99_ms":180.5,"duration_s":60.0},"started_at":"2026-01-01T00:00:00.000Z",)"
            R"("ended_at":"2026-01-01T00:01:00.000Z","report_url":"https://barrage.example.com/runs/42/report",)"
            R"("text":"barrage run 42 (shop/checkout.jmx v3): passed, 12,345 samples, 0.1 % errors, p95 120 ms )"
            R"(<https://barrage.example.com/runs/42/report|report>"})");
}

TEST(WebhookBodyTest, AnObservedValueWithoutSamplesIsNull) {
  RunCompletion r = SampleRun();
  r.thresholds = {{"p(95)<500", std::numeric_limits<double>::quiet_NaN(), false},
                  {"avg<5", -std::numeric_limits<double>::infinity(), false}};
  const json j = json::parse(WebhookBody(r));
  EXPECT_EQ(j["verdict"]["thresholds"][0]["observed"], nullptr);
  EXPECT_EQ(j["verdict"]["thresholds"][1]["observed"], nullptr);
}

TEST(WebhookBodyTest, InvalidUtf8InANameIsReplacedNotThrown) {
  RunCompletion r = SampleRun();
  r.plan = "bad\xff.jmx";
  const json j = json::parse(WebhookBody(r));
  EXPECT_EQ(j["plan"], "bad\xEF\xBF\xBD.jmx");
}

TEST(WebhookBodyTest, DocsWebhooksMdShowsThisVeryPayload) {
  const std::string doc = ReadWholeFile(std::string(BARRAGE_TEST_DATA_DIR) + "/../../docs/webhooks.md");
  const size_t start = doc.find("\n{\"event\":\"run.finished\"");
  ASSERT_NE(start, std::string::npos);
  EXPECT_EQ(doc.substr(start + 1, doc.find('\n', start + 1) - start - 1), WebhookBody(SampleRun()));
}

TEST(WebhookTextTest, OneLineForSlack) {
  EXPECT_EQ(WebhookText(SampleRun()),
            "barrage run 42 (shop/checkout.jmx v3): passed, 12,345 samples, 0.1 % errors, p95 120 ms "
            "<https://barrage.example.com/runs/42/report|report>");
}

TEST(WebhookTextTest, FailedThresholdsAreCountedAndNoUrlMeansNoLink) {
  RunCompletion r = SampleRun();
  r.status = "failed";
  r.passed = false;
  r.thresholds[0].passed = false;
  r.report_url.clear();
  r.totals.samples = 1'234'567;
  r.totals.errors = 24'691;
  r.totals.error_rate = 0.02;
  r.totals.p95_ms = 612.5;
  EXPECT_EQ(WebhookText(r),
            "barrage run 42 (shop/checkout.jmx v3): failed, 1,234,567 samples, 2.0 % errors, 1 of 2 thresholds failed, "
            "p95 613 ms");
}

TEST(WebhookTextTest, ErrorShares) {
  RunCompletion r = SampleRun();
  r.report_url.clear();
  r.totals = {999, 0, 0, 1, 7, 9, 1};
  EXPECT_EQ(WebhookText(r), "barrage run 42 (shop/checkout.jmx v3): passed, 999 samples, 0 % errors, p95 7 ms");
  r.totals.errors = 1;
  r.totals.error_rate = 1.0 / 4000;
  EXPECT_EQ(WebhookText(r), "barrage run 42 (shop/checkout.jmx v3): passed, 999 samples, < 0.1 % errors, p95 7 ms");
}

TEST(WebhookTextTest, SlacksReservedCharactersAreEscapedInNames) {
  RunCompletion r = SampleRun();
  r.project = "R&D";
  r.plan = "<script>.jmx";
  r.report_url.clear();
  EXPECT_EQ(WebhookText(r),
            "barrage run 42 (R&amp;D/&lt;script&gt;.jmx v3): passed, 12,345 samples, 0.1 % errors, p95 120 ms");
}

// --- the signature ---

TEST(SignatureHeaderTest, Rfc4231TestCase2) {
  // printf '%s' 'what do ya want for nothing?' | openssl dgst -sha256 -hmac 'Jefe'
  EXPECT_EQ(SignatureHeader("what do ya want for nothing?", "Jefe"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureHeaderTest, AgreesWithOpensslDgst) {
  // printf '%s' '{"event":"run.finished","run_id":42}' | openssl dgst -sha256 -hmac 'whsec-0123456789abcdef'
  EXPECT_EQ(SignatureHeader(R"({"event":"run.finished","run_id":42})", "whsec-0123456789abcdef"),
            "sha256=9d8ba675a6e35a63ac556cbaedd17e8405d8a9b4fb46c55a9a90824607bde5f9");
}

TEST(SignatureHeaderTest, TheExampleOfDocsWebhooksMd) {
  // head -c -1 body.txt | openssl dgst -sha256 -hmac 'example-secret-0123456789' -r
  // (body.txt: the example payload of docs/webhooks.md, WebhookBody(SampleRun()), one line)
  EXPECT_EQ(SignatureHeader(WebhookBody(SampleRun()), "example-secret-0123456789"),
            "sha256=52750899aa08fee4b7df78dd3ecbc22120a55a6decb802b23cebc1f0e4b90b29");
}

TEST(NewDeliveryIdTest, AUuidVersion4FreshEachTime) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewDeliveryId();
    EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

// --- the store ---

// Every TEST_P runs on a SQLite file and on a PostgreSQL database (store_backends.h).
class WebhookStoreTest : public test::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (!Ready()) return;
    Result<ResultsStore> results = ResultsStore::Open(DbPath());
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_TRUE(results->Close().ok());
    Result<std::unique_ptr<WebhookStore>> store = WebhookStore::Open(DbPath());
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  std::string DbPath() const { return Db(); }

  Webhook Hook(const std::string& project, const std::string& name) {
    Webhook h = SampleHook();
    h.id = 0;
    h.project = project;
    h.name = name;
    return h;
  }

  std::unique_ptr<WebhookStore> store_;
};

TEST_P(WebhookStoreTest, CreateListGetDelete) {
  Result<Webhook> a = store_->Create(Hook("shop", "slack"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  Result<Webhook> b = store_->Create(Hook("shop", "ci"));
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_TRUE(store_->Create(Hook("billing", "slack")).ok());  // names are per project
  EXPECT_EQ(a->id, 1);
  EXPECT_EQ(b->id, 2);

  Result<std::vector<Webhook>> list = store_->List("shop");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(WebhookCreatedJson((*list)[0]), WebhookCreatedJson(*a));  // every field, the secret too
  EXPECT_EQ((*list)[1].name, "ci");
  EXPECT_TRUE(store_->List("nobody")->empty());

  Result<Webhook> got = store_->Get("shop", 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "ci");
  EXPECT_EQ(store_->Get("billing", 2).status().message(), "webhook 2 not found in project billing");

  ASSERT_TRUE(store_->Delete("shop", 1).ok());
  EXPECT_EQ(store_->Get("shop", 1).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Delete("shop", 1).message(), "webhook 1 not found in project shop");
  EXPECT_EQ(store_->List("shop")->size(), 1u);
}

TEST_P(WebhookStoreTest, ANameIsUniqueInItsProject) {
  ASSERT_TRUE(store_->Create(Hook("shop", "slack")).ok());
  Result<Webhook> again = store_->Create(Hook("shop", "slack"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(again.status().message(), "name: project shop already has a webhook named 'slack'");
}

TEST_P(WebhookStoreTest, SubscribersAreTheEnabledOnesOfTheProject) {
  ASSERT_TRUE(store_->Create(Hook("shop", "a")).ok());
  Webhook off = Hook("shop", "off");
  off.enabled = false;
  ASSERT_TRUE(store_->Create(off).ok());
  ASSERT_TRUE(store_->Create(Hook("billing", "b")).ok());
  Result<std::vector<Webhook>> subs = store_->Subscribers("shop", kRunFinishedEvent);
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].name, "a");
  EXPECT_TRUE(store_->Subscribers("shop", "run.started")->empty());
}

DeliveryAttempt Attempt(int64_t webhook, int attempt, int status, bool delivered) {
  DeliveryAttempt a;
  a.webhook_id = webhook;
  a.run_id = 42;
  a.delivery = "d-1";
  a.attempt = attempt;
  a.at_ms = 1'767'225'600'000 + attempt * 1000;
  a.http_status = status;
  a.error = delivered ? "" : "HTTP " + std::to_string(status);
  a.duration_ms = 15;
  a.delivered = delivered;
  return a;
}

TEST_P(WebhookStoreTest, TheDeliveryLogNewestFirst) {
  ASSERT_TRUE(store_->Create(Hook("shop", "a")).ok());
  ASSERT_TRUE(store_->RecordAttempt(Attempt(1, 1, 500, false)).ok());
  ASSERT_TRUE(store_->RecordAttempt(Attempt(1, 2, 502, false)).ok());
  ASSERT_TRUE(store_->RecordAttempt(Attempt(1, 3, 200, true)).ok());
  Result<std::vector<DeliveryAttempt>> rows = store_->Deliveries("shop", 1, 2);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(DeliveryAttemptToJson((*rows)[0]).dump(),
            R"({"id":3,"webhook_id":1,"run_id":42,"delivery":"d-1","attempt":3,"at":"2026-01-01T00:00:03.000Z",)"
            R"("http_status":200,"error":"","duration_ms":15,"delivered":true})");
  EXPECT_EQ((*rows)[1].attempt, 2);
  EXPECT_EQ((*rows)[1].http_status, 502);
  EXPECT_EQ((*rows)[1].error, "HTTP 502");
  EXPECT_FALSE((*rows)[1].delivered);
  EXPECT_EQ(store_->Deliveries("billing", 1, 10).status().message(), "webhook 1 not found in project billing");
  EXPECT_EQ(store_->Deliveries("shop", 1, 0).status().message(), "limit: must be 1 to 1000, got 0");
  EXPECT_EQ(store_->Deliveries("shop", 1, 1001).status().message(), "limit: must be 1 to 1000, got 1001");
  EXPECT_EQ(store_->Deliveries("shop", 1, 1000)->size(), 3u);
}

TEST_P(WebhookStoreTest, DeletingAWebhookDeletesItsLogAndRefusesLaterAttempts) {
  ASSERT_TRUE(store_->Create(Hook("shop", "a")).ok());
  ASSERT_TRUE(store_->RecordAttempt(Attempt(1, 1, 500, false)).ok());
  ASSERT_TRUE(store_->Delete("shop", 1).ok());
  Status late = store_->RecordAttempt(Attempt(1, 2, 200, true));
  EXPECT_EQ(late.code(), Status::Code::kNotFound);
  EXPECT_EQ(late.message(), "webhook 1 not found");
  EXPECT_EQ(Scalar("SELECT count(*) FROM webhook_delivery"), "0");
}

TEST_P(WebhookStoreTest, WebhooksLiveBesideTheRunsOfTheSameProject) {
  ASSERT_TRUE(store_->Create(Hook("default", "a")).ok());  // the store's own first project
  store_.reset();
  // The results store opens the file with the webhook in it again.
  Result<ResultsStore> results = ResultsStore::Open(DbPath());
  ASSERT_TRUE(results.ok()) << results.status().message();
  ASSERT_TRUE(results->Close().ok());
  Result<std::unique_ptr<WebhookStore>> again = WebhookStore::Open(DbPath());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->List("default")->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookStoreTest,
                         ::testing::Values(test::StoreKind::kSqlite, test::StoreKind::kPostgres), test::StoreKindName);

TEST(LoadRunCompletionTest, AFinishedRunAsTheStoreHasIt) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("results.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  ExecutionInfo info;
  info.plan_path = "/plans/checkout.jmx";
  info.plan_name = "Checkout";
  info.project = "shop";
  info.plan_jmx = "<jmeterTestPlan/>";
  info.started_at_ms = 1'767'225'600'000;
  Result<int64_t> id = store->BeginExecution(info);
  ASSERT_TRUE(id.ok()) << id.status().message();
  // 100 samples of 10, 20, ..., 1000 ms, one every 100 ms; two fail.
  std::vector<Sample> samples;
  for (int i = 0; i < 100; ++i) {
    Sample s;
    s.timestamp_ms = info.started_at_ms + i * 100;
    s.elapsed_us = (i + 1) * 10'000;
    s.label = "home";
    s.success = i % 50 != 7;
    s.response_code = "200";
    samples.push_back(s);
  }
  ASSERT_TRUE(store->Append(std::move(samples)).ok());
  ASSERT_TRUE(store->Finish(ExecutionStatus::kFailed, info.started_at_ms + 12'500).ok());
  ASSERT_TRUE(store
                  ->RecordThresholdResults(*id, {{"p(95)<500", "", "p(95)", "<", 500, 950, false},
                                                 {"error_rate<0.05", "", "error_rate", "<", 0.05, 0.02, true}})
                  .ok());

  Result<RunCompletion> c = LoadRunCompletion(*store, *id, "https://b.example/runs/1/report");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(WebhookBody(*c),
            R"({"event":"run.finished","run_id":1,"project":"shop","plan":"checkout.jmx","plan_version":1,)"
            R"("status":"failed","verdict":{"passed":false,"thresholds":[)"
            R"({"expression":"p(95)<500","observed":950.0,"passed":false},)"
            R"({"expression":"error_rate<0.05","observed":0.02,"passed":true}]},)"
            R"("totals":{"samples":100,"errors":2,"error_rate":0.02,"throughput":9.174311926605505,"p95_ms":950.0,)"
            R"("p99_ms":990.0,"duration_s":12.5},"started_at":"2026-01-01T00:00:00.000Z",)"
            R"("ended_at":"2026-01-01T00:00:12.500Z","report_url":"https://b.example/runs/1/report",)"
            R"("text":"barrage run 1 (shop/checkout.jmx v1): failed, 100 samples, 2.0 % errors, )"
            R"(1 of 2 thresholds failed, p95 950 ms <https://b.example/runs/1/report|report>"})");
  EXPECT_EQ(LoadRunCompletion(*store, 99, "").status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(store->Close().ok());
}

TEST(WebhookStoreOpenTest, NeedsAnExistingResultsStoreAtTheCurrentVersion) {
  TempDir dir;
  EXPECT_EQ(WebhookStore::Open(dir.File("none.db")).status().message(),
            dir.File("none.db") + ": no results store (barrage serve creates it first)");
  WriteWholeFile(dir.File("empty.db"), "");
  EXPECT_EQ(WebhookStore::Open(dir.File("empty.db")).status().message(),
            dir.File("empty.db") + ": not a Barrage results store (an empty file)");
  ASSERT_TRUE(ResultsStore::Open(dir.File("old.db"))->Close().ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("old.db").c_str(), &db), SQLITE_OK);
  const std::string older = "UPDATE schema_version SET version = " + std::to_string(kStoreSchemaVersion - 1);
  ASSERT_EQ(sqlite3_exec(db, older.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(WebhookStore::Open(dir.File("old.db")).status().message(),
            dir.File("old.db") + ": results store has schema version " + std::to_string(kStoreSchemaVersion - 1) +
                ", webhooks need version " + std::to_string(kStoreSchemaVersion) +
                " (opening it as the results store first migrates it)");
}

}  // namespace
}  // namespace barrage
