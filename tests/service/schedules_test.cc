#include "service/schedules.h"

#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "service/cron.h"
#include "tests/controller/temp_dir.h"
#include "tests/service/store_backends.h"

namespace barrage {
namespace {

using json = nlohmann::json;

int64_t Utc(const std::string& iso) {
  cctz::time_point<cctz::seconds> tp;
  EXPECT_TRUE(cctz::parse("%Y-%m-%dT%H:%M:%SZ", iso, cctz::utc_time_zone(), &tp)) << iso;
  return tp.time_since_epoch().count() * 1000;
}

json Body() {
  return json{{"name", "nightly"},
              {"cron", "0 2 * * *"},
              {"time_zone", "Europe/Berlin"},
              {"run", {{"plan", "shop.jmx"}, {"duration", 3600}}}};
}

std::string FromJsonError(const json& body) {
  auto s = ScheduleFromJson(body, "shop");
  return s.ok() ? "ok" : s.status().message();
}

TEST(ScheduleJsonTest, ABodyBecomesASchedule) {
  auto s = ScheduleFromJson(Body(), "shop");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->project, "shop");
  EXPECT_EQ(s->name, "nightly");
  EXPECT_EQ(s->cron, "0 2 * * *");
  EXPECT_EQ(s->time_zone, "Europe/Berlin");
  EXPECT_EQ(s->run, (json{{"plan", "shop.jmx"}, {"duration", 3600}}));
  EXPECT_TRUE(s->enabled);
  json off = Body();
  off["enabled"] = false;
  EXPECT_FALSE(ScheduleFromJson(off, "shop")->enabled);
}

TEST(ScheduleJsonTest, EveryErrorNamesTheField) {
  auto with = [](const char* key, json value) {
    json b = Body();
    b[key] = std::move(value);
    return b;
  };
  auto without = [](const char* key) {
    json b = Body();
    b.erase(key);
    return b;
  };
  EXPECT_EQ(FromJsonError(json::array()), "body: must be a JSON object");
  EXPECT_EQ(FromJsonError(without("name")), "name: required");
  EXPECT_EQ(FromJsonError(with("name", "")), "name: required");
  EXPECT_EQ(FromJsonError(with("name", 5)), "name: must be a string");
  EXPECT_EQ(FromJsonError(with("name", std::string(101, 'a'))), "name: longer than 100 bytes");
  EXPECT_EQ(FromJsonError(with("name", "a\nb")), "name: must not contain control characters");
  EXPECT_EQ(FromJsonError(without("cron")), "cron: required");
  EXPECT_EQ(FromJsonError(with("cron", "0 24 * * *")), "cron: hour: 24 is out of range 0-23 in \"0 24 * * *\"");
  EXPECT_EQ(FromJsonError(with("cron", 5)), "cron: must be a string");
  EXPECT_EQ(FromJsonError(without("time_zone")), "time_zone: required");
  EXPECT_EQ(FromJsonError(with("time_zone", "Mars/Base")), "time_zone: unknown time zone \"Mars/Base\"");
  EXPECT_EQ(FromJsonError(without("run")), "run: required");
  EXPECT_EQ(FromJsonError(with("run", "shop.jmx")), "run: must be a JSON object (the body of POST /runs)");
  EXPECT_EQ(FromJsonError(with("run", json{{"workers", 2}})), "run.plan: required (the name of an uploaded plan)");
  EXPECT_EQ(FromJsonError(with("run", json{{"plan", 1}})), "run.plan: required (the name of an uploaded plan)");
  EXPECT_EQ(FromJsonError(with("enabled", "yes")), "enabled: must be true or false");
  EXPECT_EQ(FromJsonError(with("timezone", "UTC")), "timezone: unknown field (name, cron, time_zone, run, enabled)");
}

TEST(ScheduleJsonTest, AnUpdateTakesAnySubset) {
  auto u = ScheduleUpdateFromJson(json{{"enabled", false}});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->enabled, false);
  EXPECT_FALSE(u->cron || u->name || u->time_zone || u->run);
  auto bad = ScheduleUpdateFromJson(json{{"time_zone", "Mars/Base"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "time_zone: unknown time zone \"Mars/Base\"");
}

TEST(ScheduleJsonTest, ToJsonHasIsoTimesEpochMsAndTheLocalNextFire) {
  Schedule s;
  s.id = 3;
  s.project = "shop";
  s.name = "nightly";
  s.cron = "30 2 * * *";
  s.time_zone = "Europe/Berlin";
  s.run = json{{"plan", "shop.jmx"}};
  s.created_by = "ci-admin";
  s.created_at_ms = Utc("2026-03-20T10:00:00Z");
  s.next_fire_ms = Utc("2026-03-29T01:00:00Z");  // the skipped 02:30 fires at the change
  s.last_fire_ms = Utc("2026-03-28T01:30:00Z");
  s.last_run_id = 17;
  EXPECT_EQ(ScheduleToJson(s), json::parse(R"({
    "id": 3, "project": "shop", "name": "nightly", "cron": "30 2 * * *", "time_zone": "Europe/Berlin",
    "run": {"plan": "shop.jmx"}, "enabled": true, "created_by": "ci-admin",
    "created_at": "2026-03-20T10:00:00.000Z", "created_at_ms": 1774000800000,
    "next_fire": "2026-03-29T01:00:00.000Z", "next_fire_ms": 1774746000000,
    "next_fire_local": "2026-03-29T03:00:00+02:00",
    "last_fire": "2026-03-28T01:30:00.000Z", "last_fire_ms": 1774661400000, "last_run_id": 17})"));
  s.next_fire_ms.reset();
  s.last_fire_ms.reset();
  s.last_run_id.reset();
  json j = ScheduleToJson(s);
  EXPECT_TRUE(j["next_fire"].is_null());
  EXPECT_TRUE(j["next_fire_ms"].is_null());
  EXPECT_TRUE(j["next_fire_local"].is_null());
  EXPECT_TRUE(j["last_fire"].is_null());
  EXPECT_TRUE(j["last_run_id"].is_null());
}

// Every TEST_P runs on a SQLite file and on a PostgreSQL database (store_backends.h).
class ScheduleStoreTest : public test::StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (!Ready()) return;
    path_ = Db();
    auto results = ResultsStore::Open(path_);  // creates the schema
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_TRUE(results->Close().ok());
    auto store = ScheduleStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_.emplace(std::move(*store));
  }

  Schedule Make(const std::string& project, const std::string& name, const std::string& cron = "0 2 * * *",
                const std::string& zone = "Europe/Berlin") {
    json b = Body();
    b["name"] = name;
    b["cron"] = cron;
    b["time_zone"] = zone;
    Schedule s = *ScheduleFromJson(b, project);
    s.created_by = "ci-admin";
    return s;
  }

  Schedule Create(const std::string& project, const std::string& name, int64_t now_ms,
                  const std::string& cron = "0 2 * * *") {
    auto s = store_->Create(Make(project, name, cron), now_ms);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : Schedule{};
  }

  std::string path_;
  std::optional<ScheduleStore> store_;
};

TEST_P(ScheduleStoreTest, OpenNeedsAnExistingStore) {
  if (Postgres()) {
    const std::string empty = OtherDb("empty");
    auto s = ScheduleStore::Open(empty);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().message(), empty + ": not a Barrage results store (an empty database)");
    return;
  }
  auto s = ScheduleStore::Open(dir_.File("none.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), dir_.File("none.db") + ": not a Barrage results store (no such file)");
}

TEST_P(ScheduleStoreTest, WorksBesideAnOpenResultsStore) {
  // The service keeps its ResultsStore (and its writer thread) open on the same file.
  auto results = ResultsStore::Open(path_);
  ASSERT_TRUE(results.ok()) << results.status().message();
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  ASSERT_TRUE(store_->MarkFired(s.id, Utc("2026-01-10T01:00:00Z"), 7, Utc("2026-01-11T01:00:00Z")).ok());
  EXPECT_EQ(store_->Get("shop", s.id)->last_run_id, 7);
  EXPECT_TRUE(results->Close().ok());
}

TEST_P(ScheduleStoreTest, CreateStoresItWithItsNextFire) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  EXPECT_EQ(s.id, 1);
  EXPECT_EQ(s.created_at_ms, Utc("2026-01-10T00:00:00Z"));
  EXPECT_EQ(s.next_fire_ms, Utc("2026-01-10T01:00:00Z"));  // 02:00 CET
  auto got = store_->Get("shop", s.id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(ScheduleToJson(*got), ScheduleToJson(s));
  EXPECT_EQ(got->created_by, "ci-admin");
  EXPECT_EQ(got->run, (json{{"plan", "shop.jmx"}, {"duration", 3600}}));
}

TEST_P(ScheduleStoreTest, ADisabledScheduleHasNoNextFire) {
  Schedule s = Make("shop", "nightly");
  s.enabled = false;
  auto created = store_->Create(s, Utc("2026-01-10T00:00:00Z"));
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->next_fire_ms.has_value());
}

TEST_P(ScheduleStoreTest, NamesAreUniquePerProject) {
  Create("shop", "nightly", 0);
  auto again = store_->Create(Make("shop", "nightly"), 0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "name: a schedule named \"nightly\" already exists in project \"shop\"");
  Schedule other = Create("billing", "nightly", 0);
  EXPECT_EQ(other.id, 2);
}

TEST_P(ScheduleStoreTest, AProjectSeesOnlyItsOwnSchedules) {
  Create("shop", "a", 0);
  Create("billing", "b", 0);
  Create("shop", "c", 0);
  auto shop = store_->List("shop");
  ASSERT_TRUE(shop.ok());
  ASSERT_EQ(shop->size(), 2u);
  EXPECT_EQ((*shop)[0].name, "a");
  EXPECT_EQ((*shop)[1].name, "c");
  EXPECT_EQ((*shop)[1].project, "shop");
  auto other = store_->Get("billing", 1);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(other.status().message(), "schedule 1 not found in project \"billing\"");
  EXPECT_EQ(store_->Delete("billing", 1).message(), "schedule 1 not found in project \"billing\"");
  EXPECT_TRUE(store_->List("nobody")->empty());
}

TEST_P(ScheduleStoreTest, DisablingClearsTheNextFireAndEnablingRestartsFromNow) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  ScheduleUpdate off;
  off.enabled = false;
  auto disabled = store_->Update("shop", s.id, off, Utc("2026-01-10T00:30:00Z"));
  ASSERT_TRUE(disabled.ok()) << disabled.status().message();
  EXPECT_FALSE(disabled->enabled);
  EXPECT_FALSE(disabled->next_fire_ms.has_value());
  // Re-enabled days later: the slots that passed while disabled are not due.
  ScheduleUpdate on;
  on.enabled = true;
  auto enabled = store_->Update("shop", s.id, on, Utc("2026-01-15T12:00:00Z"));
  ASSERT_TRUE(enabled.ok());
  EXPECT_EQ(enabled->next_fire_ms, Utc("2026-01-16T01:00:00Z"));
  EXPECT_EQ(store_->Get("shop", s.id)->next_fire_ms, Utc("2026-01-16T01:00:00Z"));
}

TEST_P(ScheduleStoreTest, ChangingTheCronOrZoneRecomputesTheNextFire) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  ScheduleUpdate u;
  u.cron = "0 2 * * *";
  u.time_zone = "America/New_York";  // 02:00 EST = 07:00 UTC
  u.run = json{{"plan", "other.jmx"}};
  auto changed = store_->Update("shop", s.id, u, Utc("2026-01-10T00:00:00Z"));
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(changed->next_fire_ms, Utc("2026-01-10T07:00:00Z"));
  EXPECT_EQ(store_->Get("shop", s.id)->run, (json{{"plan", "other.jmx"}}));
  // Only the run changes: the next fire stays.
  ScheduleUpdate run_only;
  run_only.run = json{{"plan", "third.jmx"}};
  EXPECT_EQ(store_->Update("shop", s.id, run_only, Utc("2026-01-10T06:00:00Z"))->next_fire_ms,
            Utc("2026-01-10T07:00:00Z"));
}

TEST_P(ScheduleStoreTest, RenamingOntoAnotherScheduleIsRefused) {
  Create("shop", "a", 0);
  Schedule b = Create("shop", "b", 0);
  ScheduleUpdate u;
  u.name = "a";
  auto r = store_->Update("shop", b.id, u, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "name: a schedule named \"a\" already exists in project \"shop\"");
  EXPECT_EQ(store_->Get("shop", b.id)->name, "b");
}

TEST_P(ScheduleStoreTest, DeleteRemovesTheScheduleAndItsLog) {
  Schedule s = Create("shop", "nightly", 0);
  ASSERT_TRUE(store_->MarkFired(s.id, 10, 5, 20).ok());
  ASSERT_TRUE(store_->Delete("shop", s.id).ok());
  EXPECT_EQ(store_->Get("shop", s.id).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store_->List("shop")->empty());
  // The name is free again; the old log does not come back with it.
  Schedule again = Create("shop", "nightly", 0);
  EXPECT_TRUE(store_->Events("shop", again.id, 10)->empty());
}

TEST_P(ScheduleStoreTest, DueListsEnabledSchedulesAtOrPastTheirNextFireEarliestFirst) {
  const int64_t t0 = Utc("2026-01-10T00:00:00Z");
  Create("shop", "daily-2am", t0, "0 2 * * *");     // 01:00Z
  Create("billing", "daily-1am", t0, "0 1 * * *");  // 00:00Z is t0 itself: the 11th
  Create("shop", "every-30", t0, "*/30 * * * *");   // 00:30Z
  Schedule off = Create("shop", "off", t0, "*/5 * * * *");
  ScheduleUpdate disable;
  disable.enabled = false;
  ASSERT_TRUE(store_->Update("shop", off.id, disable, t0).ok());
  auto due = store_->Due(Utc("2026-01-10T01:00:00Z"));
  ASSERT_TRUE(due.ok()) << due.status().message();
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].name, "every-30");
  EXPECT_EQ((*due)[1].name, "daily-2am");
  EXPECT_TRUE(store_->Due(Utc("2026-01-10T00:29:59Z"))->empty());
}

// The Scheduler on an injected clock: every time is a number passed to Tick.
class SchedulerTest : public ScheduleStoreTest {
 protected:
  Scheduler MakeScheduler() {
    Scheduler::Callbacks c;
    c.start_run = [this](const Schedule& s) -> Result<int64_t> {
      started_.push_back(s.name + " " + s.run.dump());
      if (!start_error_.empty()) return Status::InvalidArgument(start_error_);
      return next_run_id_++;
    };
    c.run_active = [this](int64_t id) { return active_.count(id) > 0; };
    c.audit = [this](const std::string& project, const std::string& line) { audit_.push_back(project + ": " + line); };
    return Scheduler(&*store_, c);
  }

  std::vector<std::string> EventLines(int64_t id) {
    std::vector<std::string> out;
    Result<std::vector<ScheduleEvent>> events = store_->Events("shop", id, 100);
    if (!events.ok()) return {events.status().message()};
    const std::vector<ScheduleEvent>& list = *events;
    for (const ScheduleEvent& e : list) {
      out.push_back(FormatUtcIso8601(e.at_ms) + " " + e.what + (e.run_id ? " run " + std::to_string(*e.run_id) : "") +
                    ": " + e.details);
    }
    return out;
  }

  std::vector<std::string> started_;
  std::vector<std::string> audit_;
  std::set<int64_t> active_;
  std::string start_error_;
  int64_t next_run_id_ = 41;
};

TEST_P(SchedulerTest, FiresOnceAtItsSlotAndRecordsTheRun) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T00:59:59Z")).ok());
  EXPECT_TRUE(started_.empty());
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:00:00Z") + 400).ok());
  EXPECT_EQ(started_, (std::vector<std::string>{R"(nightly {"duration":3600,"plan":"shop.jmx"})"}));
  EXPECT_EQ(audit_,
            (std::vector<std::string>{
                "shop: schedule \"nightly\" (id 1): fired for 2026-01-10T02:00:00+01:00 (Europe/Berlin): run 41"}));
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:00:01Z") + 400).ok());
  EXPECT_EQ(started_.size(), 1u);
  Schedule after = *store_->Get("shop", s.id);
  EXPECT_EQ(after.last_fire_ms, Utc("2026-01-10T01:00:00Z") + 400);
  EXPECT_EQ(after.last_run_id, 41);
  EXPECT_EQ(after.next_fire_ms, Utc("2026-01-11T01:00:00Z"));
  EXPECT_EQ(EventLines(s.id),
            (std::vector<std::string>{
                "2026-01-10T01:00:00.400Z fired run 41: fired for 2026-01-10T02:00:00+01:00 (Europe/Berlin): run 41"}));
}

TEST_P(SchedulerTest, SkipsASlotWhileThePreviousRunIsStillActive) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:00:00Z")).ok());
  active_.insert(41);  // a 25-hour soak test
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-11T01:00:00Z")).ok());
  EXPECT_EQ(started_.size(), 1u);
  EXPECT_EQ(audit_.back(),
            "shop: schedule \"nightly\" (id 1): skipped the fire of 2026-01-11T02:00:00+01:00 (Europe/Berlin): run 41 "
            "of its previous fire is still queued or running");
  Schedule after = *store_->Get("shop", s.id);
  EXPECT_EQ(after.last_run_id, 41);
  EXPECT_EQ(after.next_fire_ms, Utc("2026-01-12T01:00:00Z"));
  active_.clear();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-12T01:00:00Z")).ok());
  EXPECT_EQ(started_.size(), 2u);
  EXPECT_EQ(store_->Get("shop", s.id)->last_run_id, 42);
  std::vector<std::string> events = EventLines(s.id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(
      events[1],
      "2026-01-11T01:00:00.000Z skipped: skipped the fire of 2026-01-11T02:00:00+01:00 (Europe/Berlin): run 41 of "
      "its previous fire is still queued or running");
}

TEST_P(SchedulerTest, AfterDowntimeMissedSlotsAreReportedAndItFiresOnce) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  // The service was down from before the first slot until the 13th at noon: the slots of the
  // 10th, 11th and 12th are missed, the 13th's fires now, once.
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-13T12:00:00Z")).ok());
  EXPECT_EQ(started_.size(), 1u);
  EXPECT_EQ(audit_,
            (std::vector<std::string>{
                "shop: schedule \"nightly\" (id 1): 3 fires missed while the service was down, from "
                "2026-01-10T02:00:00+01:00 to 2026-01-12T02:00:00+01:00; not run",
                "shop: schedule \"nightly\" (id 1): fired for 2026-01-13T02:00:00+01:00 (Europe/Berlin), 39600 s late: "
                "run 41"}));
  EXPECT_EQ(store_->Get("shop", s.id)->next_fire_ms, Utc("2026-01-14T01:00:00Z"));
  EXPECT_EQ(EventLines(s.id),
            (std::vector<std::string>{
                "2026-01-13T12:00:00.000Z fired run 41: fired for 2026-01-13T02:00:00+01:00 (Europe/Berlin), 39600 s "
                "late: run 41",
                "2026-01-13T12:00:00.000Z missed: 3 fires missed while the service was down, from "
                "2026-01-10T02:00:00+01:00 to 2026-01-12T02:00:00+01:00; not run"}));
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-13T12:00:01Z")).ok());
  EXPECT_EQ(started_.size(), 1u);
}

TEST_P(SchedulerTest, AnEveryFiveMinutesScheduleAfterAnHourDownFiresOnce) {
  Schedule s = Create("shop", "smoke", Utc("2026-01-10T00:00:00Z"), "*/5 * * * *");
  Scheduler scheduler = MakeScheduler();
  // Slots 00:05 ... 01:00 UTC passed: 11 missed, the 01:00 one fires 150 s late.
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:02:30Z")).ok());
  EXPECT_EQ(started_.size(), 1u);
  EXPECT_EQ(audit_, (std::vector<std::string>{
                        "shop: schedule \"smoke\" (id 1): 11 fires missed while the service was down, from "
                        "2026-01-10T01:05:00+01:00 to 2026-01-10T01:55:00+01:00; not run",
                        "shop: schedule \"smoke\" (id 1): fired for 2026-01-10T02:00:00+01:00 (Europe/Berlin), 150 s "
                        "late: run 41"}));
  EXPECT_EQ(store_->Get("shop", s.id)->next_fire_ms, Utc("2026-01-10T01:05:00Z"));
}

TEST_P(SchedulerTest, ALateSingleSlotFiresWithoutMisses) {
  Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:05:00Z")).ok());
  EXPECT_EQ(audit_, (std::vector<std::string>{"shop: schedule \"nightly\" (id 1): fired for 2026-01-10T02:00:00+01:00 "
                                              "(Europe/Berlin), 300 s late: run 41"}));
}

TEST_P(SchedulerTest, ARunThatDoesNotStartIsSkippedUntilTheNextSlot) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  start_error_ = "plan: no plan named \"shop.jmx\" in project \"shop\"";
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:00:00Z")).ok());
  EXPECT_EQ(audit_,
            (std::vector<std::string>{
                "shop: schedule \"nightly\" (id 1): skipped the fire of 2026-01-10T02:00:00+01:00 "
                "(Europe/Berlin): the run did not start: plan: no plan named \"shop.jmx\" in project \"shop\""}));
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-10T01:00:01Z")).ok());
  EXPECT_EQ(started_.size(), 1u);  // not retried every second
  Schedule after = *store_->Get("shop", s.id);
  EXPECT_FALSE(after.last_run_id.has_value());
  EXPECT_EQ(after.next_fire_ms, Utc("2026-01-11T01:00:00Z"));
}

TEST_P(SchedulerTest, ASkippedSpringForwardSlotFiresAtTheChange) {
  // 02:30 does not exist in Berlin on 29 March 2026: it fires at 03:00 CEST (01:00 UTC).
  Schedule s = Create("shop", "nightly", Utc("2026-03-28T12:00:00Z"), "30 2 * * *");
  EXPECT_EQ(s.next_fire_ms, Utc("2026-03-29T01:00:00Z"));
  Scheduler scheduler = MakeScheduler();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-03-29T01:00:00Z")).ok());
  EXPECT_EQ(audit_, (std::vector<std::string>{"shop: schedule \"nightly\" (id 1): fired for 2026-03-29T03:00:00+02:00 "
                                              "(Europe/Berlin): run 41"}));
  EXPECT_EQ(store_->Get("shop", s.id)->next_fire_ms, Utc("2026-03-30T00:30:00Z"));
}

TEST_P(SchedulerTest, DisabledSchedulesNeverFire) {
  Schedule s = Create("shop", "nightly", Utc("2026-01-10T00:00:00Z"));
  ScheduleUpdate off;
  off.enabled = false;
  ASSERT_TRUE(store_->Update("shop", s.id, off, Utc("2026-01-10T00:00:00Z")).ok());
  Scheduler scheduler = MakeScheduler();
  ASSERT_TRUE(scheduler.Tick(Utc("2026-01-20T00:00:00Z")).ok());
  EXPECT_TRUE(started_.empty());
  EXPECT_TRUE(audit_.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ScheduleStoreTest,
                         ::testing::Values(test::StoreKind::kSqlite, test::StoreKind::kPostgres), test::StoreKindName);
INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest,
                         ::testing::Values(test::StoreKind::kSqlite, test::StoreKind::kPostgres), test::StoreKindName);

}  // namespace
}  // namespace barrage
