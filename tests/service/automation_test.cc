#include "service/automation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/execution_info.h"
#include "controller/results_store.h"
#include "service/automation_api.h"
#include "service/service_api.h"
#include "service/tokens.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"
#include "tests/service/webhook_receiver.h"

namespace barrage {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr int64_t kHourMs = 3'600'000;

// The run manager's side: records every submit_run and answers run ids 41, 42, ...; a run is
// active while the test says so.
class FakeRuns {
 public:
  struct Submitted {
    std::string project;
    json body;
    std::string triggered_by;
  };

  RunHooks Hooks() {
    RunHooks hooks;
    hooks.submit_run = [this](const std::string& project, const json& body,
                              const std::string& triggered_by) -> Result<int64_t> {
      std::lock_guard lock(mu_);
      submitted_.push_back({project, body, triggered_by});
      return next_id_++;
    };
    hooks.run_active = [this](int64_t id) {
      std::lock_guard lock(mu_);
      return active_.count(id) > 0;
    };
    return hooks;
  }
  std::vector<Submitted> submitted() {
    std::lock_guard lock(mu_);
    return submitted_;
  }
  void SetActive(int64_t id) {
    std::lock_guard lock(mu_);
    active_.insert(id);
  }

 private:
  std::mutex mu_;
  std::vector<Submitted> submitted_;
  std::set<int64_t> active_;
  int64_t next_id_ = 41;
};

// The lines ServiceAutomation logs, with a wait for one that contains a text.
class LogLines {
 public:
  std::function<void(const std::string&)> Sink() {
    return [this](const std::string& line) {
      {
        std::lock_guard lock(mu_);
        lines_.push_back(line);
      }
      cv_.notify_all();
    };
  }
  // Waits (bounded) until `n` lines contain `text`.
  bool WaitFor(const std::string& text, size_t n = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] {
      size_t found = 0;
      for (const std::string& l : lines_) found += l.find(text) != std::string::npos ? 1 : 0;
      return found >= n;
    });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

class ServiceAutomationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    Result<ResultsStore> store = ResultsStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE(store->Close().ok());
  }
  void Start(std::chrono::milliseconds tick = 10ms) {
    ServiceAutomation::Options options;
    options.tick_interval = tick;
    Result<std::unique_ptr<ServiceAutomation>> a =
        ServiceAutomation::Open(db_, "http://127.0.0.1:8470", runs_.Hooks(), log_.Sink(), clock_, options);
    ASSERT_TRUE(a.ok()) << a.status().message();
    automation_ = std::move(a).value();
  }
  // A nightly schedule of `project` at 02:00 UTC (the fake clock starts at 2026-01-01T00:00Z).
  int64_t Nightly(const std::string& project = "shop") {
    Schedule s;
    s.project = project;
    s.name = "nightly";
    s.cron = "0 2 * * *";
    s.time_zone = "UTC";
    s.run = json{{"plan", "shop.jmx"}, {"workers", 2}};
    s.created_by = "root";
    Result<Schedule> created = automation_->schedules().Create(s, clock_.WallMillis());
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.ok() ? created->id : 0;
  }

  TempDir dir_;
  std::string db_;
  FakeClock clock_;
  FakeRuns runs_;
  LogLines log_;
  std::unique_ptr<ServiceAutomation> automation_;
};

TEST_F(ServiceAutomationTest, AScheduleFiresOnTheClockWithItsProjectAndRunBody) {
  Start();
  const int64_t id = Nightly();
  clock_.Advance(std::chrono::milliseconds(2 * kHourMs));
  ASSERT_TRUE(log_.WaitFor("fired")) << "no fire";
  const std::vector<FakeRuns::Submitted> submitted = runs_.submitted();
  ASSERT_EQ(submitted.size(), 1u);
  EXPECT_EQ(submitted[0].project, "shop");
  EXPECT_EQ(submitted[0].body, json::parse(R"({"plan": "shop.jmx", "workers": 2})"));
  EXPECT_EQ(submitted[0].triggered_by, "schedule:nightly");
  EXPECT_EQ(log_.lines(), std::vector<std::string>{"shop: schedule \"nightly\" (id 1): fired for "
                                                   "2026-01-01T02:00:00+00:00 (UTC): run 41"});

  Result<std::vector<ScheduleEvent>> events = automation_->schedules().Events("shop", id, 10);
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].what, "fired");
  EXPECT_EQ((*events)[0].run_id, 41);
  // The project's audit log has the line, written as the service's OS user.
  Result<TokenStore> tokens = TokenStore::Open(db_, /*must_exist=*/true, clock_);
  ASSERT_TRUE(tokens.ok());
  Result<std::vector<AuditRecord>> audit = tokens->ProjectAuditLog("shop", 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].who, CurrentOsUser());
  EXPECT_EQ((*audit)[0].what, "schedule");
  EXPECT_EQ((*audit)[0].details, "schedule \"nightly\" (id 1): fired for 2026-01-01T02:00:00+00:00 (UTC): run 41");
}

TEST_F(ServiceAutomationTest, AFireWhileThePreviousRunIsActiveIsSkipped) {
  Start();
  const int64_t id = Nightly();
  clock_.Advance(std::chrono::milliseconds(2 * kHourMs));
  ASSERT_TRUE(log_.WaitFor("fired"));
  runs_.SetActive(41);
  clock_.Advance(std::chrono::milliseconds(24 * kHourMs));
  ASSERT_TRUE(log_.WaitFor("skipped"));
  EXPECT_EQ(runs_.submitted().size(), 1u);
  Result<std::vector<ScheduleEvent>> events = automation_->schedules().Events("shop", id, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].what, "skipped");
  EXPECT_EQ((*events)[0].details,
            "skipped the fire of 2026-01-02T02:00:00+00:00 (UTC): run 41 of its previous fire is still queued or "
            "running");
  EXPECT_EQ((*events)[1].what, "fired");
}

TEST_F(ServiceAutomationTest, AtStartTheSlotsMissedWhileDownAreReportedAndTheLatestFires) {
  Start();
  Nightly();
  automation_.reset();  // the service stops for three days
  clock_.Advance(std::chrono::milliseconds(73 * kHourMs));
  Start(/*tick=*/1h);  // only the first tick, at once, can fire
  ASSERT_TRUE(log_.WaitFor("fired"));
  EXPECT_EQ(log_.lines(),
            (std::vector<std::string>{
                "shop: schedule \"nightly\" (id 1): 2 fires missed while the service was down, from "
                "2026-01-01T02:00:00+00:00 to 2026-01-02T02:00:00+00:00; not run",
                "shop: schedule \"nightly\" (id 1): fired for 2026-01-03T02:00:00+00:00 (UTC), 82800 s late: run 41"}));
}

TEST_F(ServiceAutomationTest, ARunThatCannotStartIsLoggedAsSkipped) {
  RunHooks none;  // as `barrage serve` before runs are wired
  none.submit_run = [](const std::string&, const json&, const std::string&) -> Result<int64_t> {
    return Status::Unsupported("runs are not wired yet");
  };
  ServiceAutomation::Options options;
  options.tick_interval = 10ms;
  Result<std::unique_ptr<ServiceAutomation>> a =
      ServiceAutomation::Open(db_, "http://127.0.0.1:8470", none, log_.Sink(), clock_, options);
  ASSERT_TRUE(a.ok());
  automation_ = std::move(a).value();
  Nightly();
  clock_.Advance(std::chrono::milliseconds(2 * kHourMs));
  ASSERT_TRUE(log_.WaitFor("skipped"));
  EXPECT_EQ(log_.lines(), std::vector<std::string>{"shop: schedule \"nightly\" (id 1): skipped the fire of "
                                                   "2026-01-01T02:00:00+00:00 (UTC): the run did not start: runs "
                                                   "are not wired yet"});
}

TEST_F(ServiceAutomationTest, StopDoesNotWaitForTheNextTick) {
  Start(/*tick=*/1h);
  const auto start = std::chrono::steady_clock::now();
  automation_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ServiceAutomationTest, OpenNeedsAnExistingStore) {
  Result<std::unique_ptr<ServiceAutomation>> a =
      ServiceAutomation::Open(dir_.File("missing.db"), "", runs_.Hooks(), log_.Sink(), clock_);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find(dir_.File("missing.db")), std::string::npos) << a.status().message();
}

// A run of `project` with 10 samples, finished `passed`.
int64_t FinishedRun(const std::string& db, const std::string& project) {
  Result<ResultsStore> store = ResultsStore::Open(db);
  EXPECT_TRUE(store.ok());
  ExecutionInfo info;
  info.plan_path = "/plans/checkout.jmx";
  info.plan_name = "Checkout";
  info.project = project;
  info.plan_jmx = "<jmeterTestPlan/>";
  info.started_at_ms = 1'767'225'600'000;
  Result<int64_t> id = store->BeginExecution(info);
  EXPECT_TRUE(id.ok()) << id.status().message();
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) {
    Sample s;
    s.timestamp_ms = info.started_at_ms + i * 100;
    s.elapsed_us = (i + 1) * 10'000;
    s.label = "home";
    s.success = true;
    s.response_code = "200";
    samples.push_back(s);
  }
  EXPECT_TRUE(store->Append(std::move(samples)).ok());
  EXPECT_TRUE(store->Finish(ExecutionStatus::kPassed, info.started_at_ms + 1'000).ok());
  EXPECT_TRUE(store->Close().ok());
  return id.ok() ? *id : 0;
}

TEST_F(ServiceAutomationTest, AFinishedRunIsDeliveredSignedAndListedByTheDeliveriesRoute) {
  Start();
  WebhookReceiver receiver;
  const std::string secret = "0123456789abcdef-secret";
  Result<Webhook> hook = WebhookFromJson({{"name", "ci"}, {"url", receiver.Url()}, {"secret", secret}}, "shop");
  ASSERT_TRUE(hook.ok()) << hook.status().message();
  hook->created_by = "root";
  ASSERT_TRUE(automation_->webhooks().Create(*hook).ok());
  const int64_t run = FinishedRun(db_, "shop");

  automation_->OnRunFinished(run);
  ASSERT_TRUE(automation_->WaitUntilIdle(20s));
  const std::vector<WebhookReceiver::Request> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("X-Barrage-Event"), "run.finished");
  EXPECT_EQ(got[0].Header("X-Barrage-Signature"), ExpectedSignature(got[0].body, secret));
  const json body = json::parse(got[0].body);
  EXPECT_EQ(body["run_id"], run);
  EXPECT_EQ(body["project"], "shop");
  EXPECT_EQ(body["status"], "passed");
  EXPECT_EQ(body["report_url"], "http://127.0.0.1:8470/api/v1/runs/" + std::to_string(run) + "/report?format=html");

  // The deliveries route lists the attempt.
  Result<TokenStore> tokens = TokenStore::Open(db_, /*must_exist=*/true, clock_);
  ASSERT_TRUE(tokens.ok());
  Result<NewToken> admin = tokens->Create("shop", "root", TokenRole::kAdmin, "alice");
  ASSERT_TRUE(admin.ok());
  AuthLimiter limiter(AuthLimiter::Options{}, clock_);
  AutomationApiContext automation_context{{&*tokens, &limiter, &clock_}, automation_.get()};
  ServiceApiContext context{"http://127.0.0.1:8470"};
  context.automation = &automation_context;
  ApiRouter router = BuildServiceApi(&context);
  ApiRequest req;
  req.method = "GET";
  req.path = "/api/v1/projects/shop/webhooks/1/deliveries";
  req.headers.emplace("authorization", "Bearer " + admin->token);
  ApiResponse r = router.Handle(req);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"([{"id": 1, "webhook_id": 1, "run_id": )" + std::to_string(run) +
                                             R"(, "delivery": ")" + got[0].Header("X-Barrage-Delivery") +
                                             R"(", "attempt": 1, "at": "2026-01-01T00:00:00.000Z",
                                              "http_status": 200, "error": "", "duration_ms": 0,
                                              "delivered": true}])"));
}

TEST_F(ServiceAutomationTest, ARunWithoutWebhooksOrRecordIsNoDelivery) {
  Start();
  automation_->OnRunFinished(99);  // no such run: logged
  ASSERT_TRUE(automation_->WaitUntilIdle(20s));
  ASSERT_TRUE(log_.WaitFor("webhooks: run 99"));
  EXPECT_EQ(automation_->dispatcher().stats().delivered, 0);
}

}  // namespace
}  // namespace barrage
