// Schedules for `barrage serve` (issue 13): a project's cron-style schedules that start runs
// (nightly soak tests), their JSON form for the API, their store and the Scheduler that fires
// them. docs/schedules.md is the user's description.
//
// - Schedule / ScheduleFromJson / ScheduleToJson: the model and the API's JSON. Every error
//   names the field ("time_zone: unknown time zone \"Mars/Base\"").
// - ScheduleStore: the tables `schedule` and `schedule_event` of the results store (migration
//   4 in controller/store_schema.cc; controller/postgres_schema.h on PostgreSQL), on a
//   connection of its own (controller/sql_connection.h). Thread-safe (one mutex).
// - Scheduler: no thread of its own; the service calls Tick(now_ms) about every second with
//   its clock's time. Policies: a schedule fires once per due slot; if its previous run is
//   still queued or running the slot is skipped (logged); after the service was down, a
//   schedule whose slots passed fires once, at start, for the latest slot, and the slots
//   before it are logged as missed, never run.
#ifndef BARRAGE_SERVICE_SCHEDULES_H_
#define BARRAGE_SERVICE_SCHEDULES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace barrage {

struct Schedule {
  int64_t id = 0;
  std::string project;
  std::string name;
  std::string cron;       // as ParseCron accepts it
  std::string time_zone;  // IANA name, as LoadTimeZone accepts it
  nlohmann::json run;     // the body of POST /api/v1/projects/{project}/runs
  bool enabled = true;
  std::string created_by;  // the token's name (or OS user) that created it
  int64_t created_at_ms = 0;
  std::optional<int64_t> next_fire_ms;  // nullopt while disabled, or when it never fires again
  std::optional<int64_t> last_fire_ms;
  std::optional<int64_t> last_run_id;
};

// One line of a schedule's log.
struct ScheduleEvent {
  int64_t id = 0;
  int64_t schedule_id = 0;
  int64_t at_ms = 0;
  std::string what;  // "fired", "skipped", "missed"
  std::optional<int64_t> run_id;
  std::string details;
};

// The body of POST /api/v1/projects/{project}/schedules:
//   {"name": "nightly", "cron": "0 2 * * *", "time_zone": "Europe/Berlin",
//    "run": {"plan": "shop.jmx", ...}, "enabled": true}
// name, cron, time_zone and run are required, enabled defaults to true; `run` is checked only
// for being an object with a string "plan" (the run request parser checks the rest when it
// fires). Unknown fields are errors. InvalidArgument "FIELD: what is wrong".
Result<Schedule> ScheduleFromJson(const nlohmann::json& body, const std::string& project);

// A change (PATCH /api/v1/projects/{project}/schedules/{id}): any of name, cron, time_zone,
// run, enabled; checked as in ScheduleFromJson.
struct ScheduleUpdate {
  std::optional<std::string> name, cron, time_zone;
  std::optional<nlohmann::json> run;
  std::optional<bool> enabled;
};
Result<ScheduleUpdate> ScheduleUpdateFromJson(const nlohmann::json& body);

// {"id", "project", "name", "cron", "time_zone", "run", "enabled", "created_by",
//  "created_at", "created_at_ms", "next_fire", "next_fire_ms", "next_fire_local",
//  "last_fire", "last_fire_ms", "last_run_id"}: times as ISO-8601 UTC strings
// ("2026-03-29T01:00:00.000Z") and epoch ms, null when unset; next_fire_local is the next
// fire in the schedule's zone with its offset ("2026-03-29T03:00:00+02:00").
nlohmann::json ScheduleToJson(const Schedule& schedule);
// {"id", "at", "at_ms", "what", "run_id", "details"}
nlohmann::json ScheduleEventToJson(const ScheduleEvent& event);

class ScheduleStore {
 public:
  // Opens the results store at `path` (a SQLite file or a postgresql:// URL), which must exist
  // with its schema (ResultsStore::Open creates and migrates it): NotFound naming it otherwise.
  static Result<ScheduleStore> Open(const std::string& path);

  ScheduleStore(ScheduleStore&&) noexcept;
  ScheduleStore& operator=(ScheduleStore&&) noexcept;
  ~ScheduleStore();

  // Stores a new schedule in schedule.project (created on first use) with created_at_ms =
  // now_ms and its next fire after now_ms (none while disabled); returns it with its id.
  // InvalidArgument "name: a schedule named \"N\" already exists in project \"P\"", and the
  // cron / time_zone errors of ScheduleFromJson.
  Result<Schedule> Create(Schedule schedule, int64_t now_ms);
  // The project's schedules in id order.
  Result<std::vector<Schedule>> List(const std::string& project);
  // NotFound "schedule N not found in project \"P\"" also when it belongs to another project.
  Result<Schedule> Get(const std::string& project, int64_t id);
  // Applies `update`. The next fire is recomputed from now_ms when cron, time_zone or enabled
  // change: re-enabling never fires the slots that passed while disabled.
  Result<Schedule> Update(const std::string& project, int64_t id, const ScheduleUpdate& update, int64_t now_ms);
  // Deletes the schedule and its log.
  Status Delete(const std::string& project, int64_t id);
  // The log of one schedule, newest first, at most `limit` lines.
  Result<std::vector<ScheduleEvent>> Events(const std::string& project, int64_t id, int limit);

  // Enabled schedules of every project whose next fire is at or before now_ms, earliest first.
  Result<std::vector<Schedule>> Due(int64_t now_ms);
  // Records a fire (event "fired", with `details`) and the next fire.
  Status MarkFired(int64_t id, int64_t fired_at_ms, int64_t run_id, std::optional<int64_t> next_fire_ms,
                   const std::string& details = "");
  // Records a skip (event "skipped", details = why) and the next fire.
  Status MarkSkipped(int64_t id, int64_t at_ms, const std::string& why, std::optional<int64_t> next_fire_ms);
  // Records fires missed while the service was down (event "missed", details = what).
  Status MarkMissed(int64_t id, int64_t at_ms, const std::string& what);

 private:
  struct Impl;
  explicit ScheduleStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Scheduler {
 public:
  struct Callbacks {
    // Starts a run from schedule.run in schedule.project; returns its id (queued or running).
    std::function<Result<int64_t>(const Schedule&)> start_run;
    // True while that run is queued or running.
    std::function<bool(int64_t run_id)> run_active;
    // One audit line per fire, skip and miss.
    std::function<void(const std::string& project, const std::string& line)> audit;
  };

  // `store` must outlive the Scheduler.
  Scheduler(ScheduleStore* store, Callbacks callbacks);

  // Fires every due enabled schedule once (see the file comment); call about every second.
  // Returns the first store error; a schedule whose start_run fails is skipped, not retried
  // before its next slot.
  Status Tick(int64_t now_ms);

 private:
  ScheduleStore* store_;
  Callbacks callbacks_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SCHEDULES_H_
