#include "service/schedules.h"

#include <filesystem>
#include <mutex>
#include <utility>

#include "controller/results_store.h"
#include "controller/sql_connection.h"
#include "service/cron.h"

namespace barrage {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxNameLength = 100;
// Missed slots are counted up to this many (69 days of `* * * * *`); beyond, the count says
// "at least" and the fire is labelled with the slot the count stopped at.
constexpr int kMaxCountedMisses = 100'000;

Status Invalid(const std::string& msg) { return Status::InvalidArgument(msg); }

Status CheckName(const json& v) {
  if (!v.is_string()) return Invalid("name: must be a string");
  const std::string& name = v.get_ref<const std::string&>();
  if (name.empty()) return Invalid("name: required");
  if (name.size() > kMaxNameLength) return Invalid("name: longer than " + std::to_string(kMaxNameLength) + " bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Invalid("name: must not contain control characters");
  }
  return Status::Ok();
}

Status CheckCron(const json& v) {
  if (!v.is_string()) return Invalid("cron: must be a string");
  auto c = ParseCron(v.get_ref<const std::string&>());
  return c.ok() ? Status::Ok() : c.status();  // "cron: ..." already
}

Status CheckTimeZone(const json& v) {
  if (!v.is_string()) return Invalid("time_zone: must be a string (an IANA name such as \"Europe/Berlin\")");
  auto z = LoadTimeZone(v.get_ref<const std::string&>());
  return z.ok() ? Status::Ok() : Invalid("time_zone: " + z.status().message());
}

Status CheckRun(const json& v) {
  if (!v.is_object()) return Invalid("run: must be a JSON object (the body of POST /runs)");
  auto plan = v.find("plan");
  if (plan == v.end() || !plan->is_string() || plan->get_ref<const std::string&>().empty()) {
    return Invalid("run.plan: required (the name of an uploaded plan)");
  }
  return Status::Ok();
}

Status CheckEnabled(const json& v) { return v.is_boolean() ? Status::Ok() : Invalid("enabled: must be true or false"); }

// Every field the body has is known and valid; `required` ones are present.
Status CheckBody(const json& body, bool required) {
  if (!body.is_object()) return Invalid("body: must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    Status st = k == "name"        ? CheckName(*it)
                : k == "cron"      ? CheckCron(*it)
                : k == "time_zone" ? CheckTimeZone(*it)
                : k == "run"       ? CheckRun(*it)
                : k == "enabled"   ? CheckEnabled(*it)
                                   : Invalid(k + ": unknown field (name, cron, time_zone, run, enabled)");
    if (!st.ok()) return st;
  }
  if (required) {
    for (const char* k : {"name", "cron", "time_zone", "run"}) {
      if (!body.contains(k)) return Invalid(std::string(k) + ": required");
    }
  }
  return Status::Ok();
}

json OptionalTime(const std::optional<int64_t>& ms) { return ms ? json(FormatUtcIso8601(*ms)) : json(nullptr); }
json Optional(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

// The next fire after `after_ms`, for a schedule whose fields were checked.
Result<std::optional<int64_t>> NextFire(const std::string& cron, const std::string& time_zone, int64_t after_ms) {
  auto c = ParseCron(cron);
  if (!c.ok()) return c.status();
  auto z = LoadTimeZone(time_zone);
  if (!z.ok()) return Invalid("time_zone: " + z.status().message());
  return NextFireMs(*c, *z, after_ms);
}

}  // namespace

Result<Schedule> ScheduleFromJson(const json& body, const std::string& project) {
  if (Status st = CheckBody(body, /*required=*/true); !st.ok()) return st;
  Schedule s;
  s.project = project;
  s.name = body["name"].get<std::string>();
  s.cron = body["cron"].get<std::string>();
  s.time_zone = body["time_zone"].get<std::string>();
  s.run = body["run"];
  s.enabled = body.value("enabled", true);
  return s;
}

Result<ScheduleUpdate> ScheduleUpdateFromJson(const json& body) {
  if (Status st = CheckBody(body, /*required=*/false); !st.ok()) return st;
  ScheduleUpdate u;
  if (body.contains("name")) u.name = body["name"].get<std::string>();
  if (body.contains("cron")) u.cron = body["cron"].get<std::string>();
  if (body.contains("time_zone")) u.time_zone = body["time_zone"].get<std::string>();
  if (body.contains("run")) u.run = body["run"];
  if (body.contains("enabled")) u.enabled = body["enabled"].get<bool>();
  return u;
}

json ScheduleToJson(const Schedule& s) {
  json next_local = nullptr;
  if (s.next_fire_ms) {
    if (auto z = LoadTimeZone(s.time_zone); z.ok()) next_local = FormatLocalIso8601(*s.next_fire_ms, *z);
  }
  return json{{"id", s.id},
              {"project", s.project},
              {"name", s.name},
              {"cron", s.cron},
              {"time_zone", s.time_zone},
              {"run", s.run},
              {"enabled", s.enabled},
              {"created_by", s.created_by},
              {"created_at", FormatUtcIso8601(s.created_at_ms)},
              {"created_at_ms", s.created_at_ms},
              {"next_fire", OptionalTime(s.next_fire_ms)},
              {"next_fire_ms", Optional(s.next_fire_ms)},
              {"next_fire_local", next_local},
              {"last_fire", OptionalTime(s.last_fire_ms)},
              {"last_fire_ms", Optional(s.last_fire_ms)},
              {"last_run_id", Optional(s.last_run_id)}};
}

json ScheduleEventToJson(const ScheduleEvent& e) {
  return json{{"id", e.id},     {"at", FormatUtcIso8601(e.at_ms)}, {"at_ms", e.at_ms},
              {"what", e.what}, {"run_id", Optional(e.run_id)},    {"details", e.details}};
}

// ---------------------------------------------------------------------------------------
// ScheduleStore

struct ScheduleStore::Impl {
  std::unique_ptr<SqlConnection> db;
  std::mutex mu;  // guards db

  static constexpr const char* kSelect =
      "SELECT s.id, p.name, s.name, s.cron, s.time_zone, s.run, s.enabled, s.created_by, s.created_at,"
      " s.next_fire_at, s.last_fire_at, s.last_run_id FROM schedule s JOIN project p ON p.id = s.project_id ";

  static Schedule Row(const SqlRow& q) {
    Schedule s;
    s.id = q.Int(0);
    s.project = q.Text(1);
    s.name = q.Text(2);
    s.cron = q.Text(3);
    s.time_zone = q.Text(4);
    s.run = json::parse(q.Text(5), nullptr, /*allow_exceptions=*/false);
    s.enabled = q.Bool(6);
    s.created_by = q.Text(7);
    s.created_at_ms = q.Int(8);
    s.next_fire_ms = q.OptionalInt(9);
    s.last_fire_ms = q.OptionalInt(10);
    s.last_run_id = q.OptionalInt(11);
    return s;
  }

  Status Exec(const std::string& sql, const SqlParams& params) {
    Result<int64_t> n = db->Exec(sql, params);
    return n.ok() ? Status::Ok() : n.status();
  }

  Result<std::vector<Schedule>> Select(const std::string& where, const SqlParams& params) {
    std::vector<Schedule> out;
    Status st = db->Query(std::string(kSelect) + where, params, [&](const SqlRow& q) { out.push_back(Row(q)); });
    if (!st.ok()) return st;
    return out;
  }

  Result<Schedule> GetLocked(const std::string& project, int64_t id) {
    auto rows = Select("WHERE s.id = $1 AND p.name = $2", SqlParams().Int(id).Text(project));
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return Status::NotFound("schedule " + std::to_string(id) + " not found in project \"" + project + "\"");
    }
    return std::move(rows->front());
  }

  Result<int64_t> ProjectId(const std::string& name, int64_t now_ms) {
    Status st = Exec("INSERT INTO project(name, created_at) VALUES ($1, $2) ON CONFLICT(name) DO NOTHING",
                     SqlParams().Text(name).Int(now_ms));
    int64_t id = 0;
    if (st.ok()) {
      st = db->Query("SELECT id FROM project WHERE name = $1", SqlParams().Text(name),
                     [&](const SqlRow& q) { id = q.Int(0); });
    }
    if (!st.ok()) return st;
    return id;
  }

  // InvalidArgument when another schedule of the project (not `id`) has the name: checked
  // inside the write transaction, so the UNIQUE(project_id, name) constraint never fires.
  Status CheckNameFree(int64_t project_id, const std::string& name, int64_t id, const std::string& project) {
    bool taken = false;
    Status st = db->Query("SELECT 1 FROM schedule WHERE project_id = $1 AND name = $2 AND id <> $3",
                          SqlParams().Int(project_id).Text(name).Int(id), [&](const SqlRow&) { taken = true; });
    if (!st.ok()) return st;
    if (taken) return Invalid("name: a schedule named \"" + name + "\" already exists in project \"" + project + "\"");
    return Status::Ok();
  }

  Status AddEvent(int64_t id, int64_t at_ms, const char* what, std::optional<int64_t> run_id,
                  const std::string& details) {
    return Exec("INSERT INTO schedule_event(schedule_id, at, what, run_id, details) VALUES ($1, $2, $3, $4, $5)",
                SqlParams().Int(id).Int(at_ms).Text(what).OptionalInt(run_id).Text(details));
  }

  Status SetNext(int64_t id, std::optional<int64_t> next_fire_ms) {
    return Exec("UPDATE schedule SET next_fire_at = $1 WHERE id = $2", SqlParams().OptionalInt(next_fire_ms).Int(id));
  }
};

ScheduleStore::ScheduleStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScheduleStore::ScheduleStore(ScheduleStore&&) noexcept = default;
ScheduleStore& ScheduleStore::operator=(ScheduleStore&&) noexcept = default;
ScheduleStore::~ScheduleStore() = default;

Result<ScheduleStore> ScheduleStore::Open(const std::string& path) {
  std::error_code ec;
  if (!IsPostgresUrl(path) && !std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": not a Barrage results store (no such file)");
  }
  auto db = SqlConnection::Open(path);
  if (!db.ok()) return db.status();
  if (Result<int> version = (*db)->SchemaVersion(); !version.ok()) return version.status();
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db).value();
  return ScheduleStore(std::move(impl));
}

Result<Schedule> ScheduleStore::Create(Schedule schedule, int64_t now_ms) {
  std::optional<int64_t> next;
  {
    auto n = NextFire(schedule.cron, schedule.time_zone, now_ms);
    if (!n.ok()) return n.status();
    if (schedule.enabled) next = *n;
  }
  schedule.created_at_ms = now_ms;
  schedule.next_fire_ms = next;
  schedule.last_fire_ms.reset();
  schedule.last_run_id.reset();
  std::lock_guard lock(impl_->mu);
  Status st = impl_->db->Transaction([&]() -> Status {
    auto project = impl_->ProjectId(schedule.project, now_ms);
    if (!project.ok()) return project.status();
    if (Status s = impl_->CheckNameFree(*project, schedule.name, 0, schedule.project); !s.ok()) return s;
    return impl_->db->Query(
        "INSERT INTO schedule(project_id, name, cron, time_zone, run, enabled, created_by, created_at, next_fire_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        SqlParams()
            .Int(*project)
            .Text(schedule.name)
            .Text(schedule.cron)
            .Text(schedule.time_zone)
            .Text(schedule.run.dump())
            .Bool(schedule.enabled)
            .Text(schedule.created_by)
            .Int(now_ms)
            .OptionalInt(next),
        [&](const SqlRow& q) { schedule.id = q.Int(0); });
  });
  if (!st.ok()) return st;
  return schedule;
}

Result<std::vector<Schedule>> ScheduleStore::List(const std::string& project) {
  std::lock_guard lock(impl_->mu);
  return impl_->Select("WHERE p.name = $1 ORDER BY s.id", SqlParams().Text(project));
}

Result<Schedule> ScheduleStore::Get(const std::string& project, int64_t id) {
  std::lock_guard lock(impl_->mu);
  return impl_->GetLocked(project, id);
}

Result<Schedule> ScheduleStore::Update(const std::string& project, int64_t id, const ScheduleUpdate& update,
                                       int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Schedule s;
  Status st = impl_->db->Transaction([&]() -> Status {
    auto current = impl_->GetLocked(project, id);
    if (!current.ok()) return current.status();
    s = std::move(*current);
    const bool reschedule = (update.cron && *update.cron != s.cron) ||
                            (update.time_zone && *update.time_zone != s.time_zone) ||
                            (update.enabled && *update.enabled != s.enabled);
    if (update.name) s.name = *update.name;
    if (update.cron) s.cron = *update.cron;
    if (update.time_zone) s.time_zone = *update.time_zone;
    if (update.run) s.run = *update.run;
    if (update.enabled) s.enabled = *update.enabled;
    if (reschedule) {
      auto n = NextFire(s.cron, s.time_zone, now_ms);
      if (!n.ok()) return n.status();
      s.next_fire_ms = s.enabled ? *n : std::nullopt;
    }
    if (update.name) {
      int64_t project_id = 0;
      Status q = impl_->db->Query("SELECT project_id FROM schedule WHERE id = $1", SqlParams().Int(id),
                                  [&](const SqlRow& row) { project_id = row.Int(0); });
      if (!q.ok()) return q;
      if (Status free = impl_->CheckNameFree(project_id, s.name, id, project); !free.ok()) return free;
    }
    return impl_->Exec(
        "UPDATE schedule SET name = $1, cron = $2, time_zone = $3, run = $4, enabled = $5, next_fire_at = $6"
        " WHERE id = $7",
        SqlParams()
            .Text(s.name)
            .Text(s.cron)
            .Text(s.time_zone)
            .Text(s.run.dump())
            .Bool(s.enabled)
            .OptionalInt(s.next_fire_ms)
            .Int(id));
  });
  if (!st.ok()) return st;
  return s;
}

Status ScheduleStore::Delete(const std::string& project, int64_t id) {
  std::lock_guard lock(impl_->mu);
  return impl_->db->Transaction([&]() -> Status {
    if (auto current = impl_->GetLocked(project, id); !current.ok()) return current.status();
    Status st = impl_->Exec("DELETE FROM schedule_event WHERE schedule_id = $1", SqlParams().Int(id));
    if (st.ok()) st = impl_->Exec("DELETE FROM schedule WHERE id = $1", SqlParams().Int(id));
    return st;
  });
}

Result<std::vector<ScheduleEvent>> ScheduleStore::Events(const std::string& project, int64_t id, int limit) {
  std::lock_guard lock(impl_->mu);
  if (auto current = impl_->GetLocked(project, id); !current.ok()) return current.status();
  std::vector<ScheduleEvent> out;
  Status st = impl_->db->Query(
      "SELECT id, schedule_id, at, what, run_id, details FROM schedule_event WHERE schedule_id = $1"
      " ORDER BY id DESC LIMIT $2",
      SqlParams().Int(id).Int(limit), [&](const SqlRow& q) {
        ScheduleEvent e;
        e.id = q.Int(0);
        e.schedule_id = q.Int(1);
        e.at_ms = q.Int(2);
        e.what = q.Text(3);
        e.run_id = q.OptionalInt(4);
        e.details = q.Text(5);
        out.push_back(std::move(e));
      });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<Schedule>> ScheduleStore::Due(int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  return impl_->Select("WHERE s.enabled AND s.next_fire_at <= $1 ORDER BY s.next_fire_at, s.id",
                       SqlParams().Int(now_ms));
}

Status ScheduleStore::MarkFired(int64_t id, int64_t fired_at_ms, int64_t run_id, std::optional<int64_t> next_fire_ms,
                                const std::string& details) {
  std::lock_guard lock(impl_->mu);
  return impl_->db->Transaction([&]() -> Status {
    Status st = impl_->Exec("UPDATE schedule SET last_fire_at = $1, last_run_id = $2 WHERE id = $3",
                            SqlParams().Int(fired_at_ms).Int(run_id).Int(id));
    if (st.ok()) st = impl_->SetNext(id, next_fire_ms);
    if (st.ok()) st = impl_->AddEvent(id, fired_at_ms, "fired", run_id, details);
    return st;
  });
}

Status ScheduleStore::MarkSkipped(int64_t id, int64_t at_ms, const std::string& why,
                                  std::optional<int64_t> next_fire_ms) {
  std::lock_guard lock(impl_->mu);
  return impl_->db->Transaction([&]() -> Status {
    Status st = impl_->SetNext(id, next_fire_ms);
    if (st.ok()) st = impl_->AddEvent(id, at_ms, "skipped", std::nullopt, why);
    return st;
  });
}

Status ScheduleStore::MarkMissed(int64_t id, int64_t at_ms, const std::string& what) {
  std::lock_guard lock(impl_->mu);
  return impl_->AddEvent(id, at_ms, "missed", std::nullopt, what);
}

// ---------------------------------------------------------------------------------------
// Scheduler

Scheduler::Scheduler(ScheduleStore* store, Callbacks callbacks) : store_(store), callbacks_(std::move(callbacks)) {}

Status Scheduler::Tick(int64_t now_ms) {
  auto due = store_->Due(now_ms);
  if (!due.ok()) return due.status();
  for (const Schedule& s : *due) {
    const std::string who = "schedule \"" + s.name + "\" (id " + std::to_string(s.id) + ")";
    auto audit = [&](const std::string& line) {
      if (callbacks_.audit) callbacks_.audit(s.project, who + ": " + line);
    };
    auto cron = ParseCron(s.cron);
    auto zone = LoadTimeZone(s.time_zone);
    if (!cron.ok() || !zone.ok()) {
      // Checked when stored; a tz database without the zone any more lands here.
      const std::string why = (cron.ok() ? "time_zone: " + zone.status().message() : cron.status().message()) +
                              "; not firing until it is fixed";
      if (Status st = store_->MarkSkipped(s.id, now_ms, why, std::nullopt); !st.ok()) return st;
      audit("skipped: " + why);
      continue;
    }
    // The slots that came due since the last tick: normally one. More mean the service was
    // down (or not ticking) through them: those are reported, and only the latest fires.
    int64_t latest = *s.next_fire_ms;
    int missed = 0;
    const int64_t first_missed = latest;
    int64_t last_missed = latest;
    for (auto n = NextFireMs(*cron, *zone, latest); n && *n <= now_ms; n = NextFireMs(*cron, *zone, *n)) {
      last_missed = latest;
      latest = *n;
      if (++missed == kMaxCountedMisses) break;
    }
    const std::optional<int64_t> next = NextFireMs(*cron, *zone, now_ms);
    const std::string slot = FormatLocalIso8601(latest, *zone) + " (" + s.time_zone + ")";
    if (missed > 0) {
      const std::string what = (missed == kMaxCountedMisses ? "at least " : "") + std::to_string(missed) +
                               (missed == 1 ? " fire" : " fires") + " missed while the service was down, from " +
                               FormatLocalIso8601(first_missed, *zone) + " to " +
                               FormatLocalIso8601(last_missed, *zone) + "; not run";
      if (Status st = store_->MarkMissed(s.id, now_ms, what); !st.ok()) return st;
      audit(what);
    }
    std::string late;
    if (now_ms - latest >= 60'000) late = ", " + std::to_string((now_ms - latest) / 1000) + " s late";
    if (s.last_run_id && callbacks_.run_active && callbacks_.run_active(*s.last_run_id)) {
      const std::string why = "skipped the fire of " + slot + ": run " + std::to_string(*s.last_run_id) +
                              " of its previous fire is still queued or running";
      if (Status st = store_->MarkSkipped(s.id, now_ms, why, next); !st.ok()) return st;
      audit(why);
      continue;
    }
    Result<int64_t> run = callbacks_.start_run ? callbacks_.start_run(s) : Status::Internal("no start_run callback");
    if (!run.ok()) {
      const std::string why = "skipped the fire of " + slot + ": the run did not start: " + run.status().message();
      if (Status st = store_->MarkSkipped(s.id, now_ms, why, next); !st.ok()) return st;
      audit(why);
      continue;
    }
    const std::string details = "fired for " + slot + late + ": run " + std::to_string(*run);
    if (Status st = store_->MarkFired(s.id, now_ms, *run, next, details); !st.ok()) return st;
    audit(details);
  }
  return Status::Ok();
}

}  // namespace barrage
