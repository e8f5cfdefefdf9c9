#include "service/schedules.h"

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <utility>

#include "controller/sqlite_util.h"
#include "controller/store_schema.h"
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
  std::string path;
  sqlite3* db = nullptr;
  std::mutex mu;  // guards db

  ~Impl() { sqlite3_close(db); }

  // Runs one statement: `bind` binds its parameters, `row` sees each result row.
  Status Query(const char* sql, const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row, const char* what) {
    Stmt s;
    if (sqlite3_prepare_v2(db, sql, -1, s.out(), nullptr) != SQLITE_OK) return DbError(db, path, what);
    if (bind) bind(s.get());
    while (true) {
      const int rc = sqlite3_step(s.get());
      if (rc == SQLITE_ROW) {
        if (row) row(s.get());
        continue;
      }
      if (rc == SQLITE_DONE) return Status::Ok();
      return DbError(db, path, what);
    }
  }

  // Runs `body` in an IMMEDIATE transaction, committed when it returns OK.
  Status Transaction(const std::function<Status()>& body) {
    if (Status st = Exec(db, path, "BEGIN IMMEDIATE"); !st.ok()) return st;
    Status st = body();
    if (st.ok()) st = Exec(db, path, "COMMIT");
    if (!st.ok()) (void)Exec(db, path, "ROLLBACK");  // the body's error is the one to report
    return st;
  }

  static constexpr const char* kSelect =
      "SELECT s.id, p.name, s.name, s.cron, s.time_zone, s.run, s.enabled, s.created_by, s.created_at,"
      " s.next_fire_at, s.last_fire_at, s.last_run_id FROM schedule s JOIN project p ON p.id = s.project_id ";

  static Schedule Row(sqlite3_stmt* q) {
    Schedule s;
    s.id = sqlite3_column_int64(q, 0);
    s.project = ColumnText(q, 1);
    s.name = ColumnText(q, 2);
    s.cron = ColumnText(q, 3);
    s.time_zone = ColumnText(q, 4);
    s.run = json::parse(ColumnText(q, 5), nullptr, /*allow_exceptions=*/false);
    s.enabled = sqlite3_column_int64(q, 6) != 0;
    s.created_by = ColumnText(q, 7);
    s.created_at_ms = sqlite3_column_int64(q, 8);
    s.next_fire_ms = ColumnOptional(q, 9);
    s.last_fire_ms = ColumnOptional(q, 10);
    s.last_run_id = ColumnOptional(q, 11);
    return s;
  }

  Result<std::vector<Schedule>> Select(const std::string& where, const std::function<void(sqlite3_stmt*)>& bind) {
    std::vector<Schedule> out;
    const std::string sql = std::string(kSelect) + where;
    Status st = Query(
        sql.c_str(), bind, [&](sqlite3_stmt* q) { out.push_back(Row(q)); }, "read schedules");
    if (!st.ok()) return st;
    return out;
  }

  Result<Schedule> GetLocked(const std::string& project, int64_t id) {
    auto rows = Select("WHERE s.id = ?1 AND p.name = ?2", [&](sqlite3_stmt* q) {
      sqlite3_bind_int64(q, 1, id);
      BindText(q, 2, project);
    });
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return Status::NotFound("schedule " + std::to_string(id) + " not found in project \"" + project + "\"");
    }
    return std::move(rows->front());
  }

  Result<int64_t> ProjectId(const std::string& name, int64_t now_ms) {
    Status st = Query(
        "INSERT INTO project(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
        [&](sqlite3_stmt* q) {
          BindText(q, 1, name);
          sqlite3_bind_int64(q, 2, now_ms);
        },
        nullptr, "create project");
    int64_t id = 0;
    if (st.ok()) {
      st = Query(
          "SELECT id FROM project WHERE name = ?", [&](sqlite3_stmt* q) { BindText(q, 1, name); },
          [&](sqlite3_stmt* q) { id = sqlite3_column_int64(q, 0); }, "read project");
    }
    if (!st.ok()) return st;
    return id;
  }

  // A UNIQUE(project_id, name) violation as the API's error; other errors unchanged.
  Status NameTaken(Status st, const std::string& name, const std::string& project) {
    if (!st.ok() && sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
      return Invalid("name: a schedule named \"" + name + "\" already exists in project \"" + project + "\"");
    }
    return st;
  }

  Status AddEvent(int64_t id, int64_t at_ms, const char* what, std::optional<int64_t> run_id,
                  const std::string& details) {
    return Query(
        "INSERT INTO schedule_event(schedule_id, at, what, run_id, details) VALUES (?, ?, ?, ?, ?)",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, id);
          sqlite3_bind_int64(q, 2, at_ms);
          sqlite3_bind_text(q, 3, what, -1, SQLITE_STATIC);
          if (run_id) sqlite3_bind_int64(q, 4, *run_id);
          BindText(q, 5, details);
        },
        nullptr, "log schedule event");
  }

  Status SetNext(int64_t id, std::optional<int64_t> next_fire_ms) {
    return Query(
        "UPDATE schedule SET next_fire_at = ? WHERE id = ?",
        [&](sqlite3_stmt* q) {
          if (next_fire_ms) sqlite3_bind_int64(q, 1, *next_fire_ms);
          sqlite3_bind_int64(q, 2, id);
        },
        nullptr, "update schedule");
  }
};

ScheduleStore::ScheduleStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScheduleStore::ScheduleStore(ScheduleStore&&) noexcept = default;
ScheduleStore& ScheduleStore::operator=(ScheduleStore&&) noexcept = default;
ScheduleStore::~ScheduleStore() = default;

Result<ScheduleStore> ScheduleStore::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": not a Barrage results store (no such file)");
  }
  auto db = OpenConnection(path, /*create=*/true);
  if (!db.ok()) return db.status();
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->db = *db;
  if (Status st = CheckIsResultsStore(impl->db, path, /*must_be_store=*/true); !st.ok()) return st;
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
  Status st = impl_->Transaction([&]() -> Status {
    auto project = impl_->ProjectId(schedule.project, now_ms);
    if (!project.ok()) return project.status();
    const std::string run = schedule.run.dump();
    Status s = impl_->Query(
        "INSERT INTO schedule(project_id, name, cron, time_zone, run, enabled, created_by, created_at, next_fire_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, *project);
          BindText(q, 2, schedule.name);
          BindText(q, 3, schedule.cron);
          BindText(q, 4, schedule.time_zone);
          BindText(q, 5, run);
          sqlite3_bind_int(q, 6, schedule.enabled ? 1 : 0);
          BindText(q, 7, schedule.created_by);
          sqlite3_bind_int64(q, 8, now_ms);
          if (next) sqlite3_bind_int64(q, 9, *next);
        },
        nullptr, "create schedule");
    if (!s.ok()) return impl_->NameTaken(s, schedule.name, schedule.project);
    schedule.id = sqlite3_last_insert_rowid(impl_->db);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return schedule;
}

Result<std::vector<Schedule>> ScheduleStore::List(const std::string& project) {
  std::lock_guard lock(impl_->mu);
  return impl_->Select("WHERE p.name = ?1 ORDER BY s.id", [&](sqlite3_stmt* q) { BindText(q, 1, project); });
}

Result<Schedule> ScheduleStore::Get(const std::string& project, int64_t id) {
  std::lock_guard lock(impl_->mu);
  return impl_->GetLocked(project, id);
}

Result<Schedule> ScheduleStore::Update(const std::string& project, int64_t id, const ScheduleUpdate& update,
                                       int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Schedule s;
  Status st = impl_->Transaction([&]() -> Status {
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
    const std::string run = s.run.dump();
    Status q = impl_->Query(
        "UPDATE schedule SET name = ?, cron = ?, time_zone = ?, run = ?, enabled = ?, next_fire_at = ? WHERE id = ?",
        [&](sqlite3_stmt* stmt) {
          BindText(stmt, 1, s.name);
          BindText(stmt, 2, s.cron);
          BindText(stmt, 3, s.time_zone);
          BindText(stmt, 4, run);
          sqlite3_bind_int(stmt, 5, s.enabled ? 1 : 0);
          if (s.next_fire_ms) sqlite3_bind_int64(stmt, 6, *s.next_fire_ms);
          sqlite3_bind_int64(stmt, 7, id);
        },
        nullptr, "update schedule");
    return impl_->NameTaken(q, s.name, project);
  });
  if (!st.ok()) return st;
  return s;
}

Status ScheduleStore::Delete(const std::string& project, int64_t id) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transaction([&]() -> Status {
    if (auto current = impl_->GetLocked(project, id); !current.ok()) return current.status();
    auto bind = [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, id); };
    Status st = impl_->Query("DELETE FROM schedule_event WHERE schedule_id = ?", bind, nullptr, "delete schedule");
    if (st.ok()) st = impl_->Query("DELETE FROM schedule WHERE id = ?", bind, nullptr, "delete schedule");
    return st;
  });
}

Result<std::vector<ScheduleEvent>> ScheduleStore::Events(const std::string& project, int64_t id, int limit) {
  std::lock_guard lock(impl_->mu);
  if (auto current = impl_->GetLocked(project, id); !current.ok()) return current.status();
  std::vector<ScheduleEvent> out;
  Status st = impl_->Query(
      "SELECT id, schedule_id, at, what, run_id, details FROM schedule_event WHERE schedule_id = ?"
      " ORDER BY id DESC LIMIT ?",
      [&](sqlite3_stmt* q) {
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_int(q, 2, limit);
      },
      [&](sqlite3_stmt* q) {
        ScheduleEvent e;
        e.id = sqlite3_column_int64(q, 0);
        e.schedule_id = sqlite3_column_int64(q, 1);
        e.at_ms = sqlite3_column_int64(q, 2);
        e.what = ColumnText(q, 3);
        e.run_id = ColumnOptional(q, 4);
        e.details = ColumnText(q, 5);
        out.push_back(std::move(e));
      },
      "read schedule events");
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<Schedule>> ScheduleStore::Due(int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  return impl_->Select("WHERE s.enabled AND s.next_fire_at <= ?1 ORDER BY s.next_fire_at, s.id",
                       [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, now_ms); });
}

Status ScheduleStore::MarkFired(int64_t id, int64_t fired_at_ms, int64_t run_id, std::optional<int64_t> next_fire_ms,
                                const std::string& details) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transaction([&]() -> Status {
    Status st = impl_->Query(
        "UPDATE schedule SET last_fire_at = ?, last_run_id = ? WHERE id = ?",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, fired_at_ms);
          sqlite3_bind_int64(q, 2, run_id);
          sqlite3_bind_int64(q, 3, id);
        },
        nullptr, "update schedule");
    if (st.ok()) st = impl_->SetNext(id, next_fire_ms);
    if (st.ok()) st = impl_->AddEvent(id, fired_at_ms, "fired", run_id, details);
    return st;
  });
}

Status ScheduleStore::MarkSkipped(int64_t id, int64_t at_ms, const std::string& why,
                                  std::optional<int64_t> next_fire_ms) {
  std::lock_guard lock(impl_->mu);
  return impl_->Transaction([&]() -> Status {
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
