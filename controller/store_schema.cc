#include "controller/store_schema.h"

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "controller/sqlite_util.h"

namespace barrage {
namespace {

constexpr int32_t kApplicationId = 0x42415252;  // "BARR" in the file header

// Version 1: the engine issue's minimal store.
constexpr const char* kMigrationTo1 = R"sql(
CREATE TABLE execution(
  id          INTEGER PRIMARY KEY,
  plan_path   TEXT NOT NULL,
  plan_name   TEXT NOT NULL,
  started_at  INTEGER NOT NULL,  -- epoch ms
  ended_at    INTEGER,           -- epoch ms; NULL while running or when the end is unknown
  status      TEXT NOT NULL
    CHECK (status IN ('running', 'passed', 'failed', 'aborted', 'errored', 'partial')));
CREATE TABLE label(
  execution_id INTEGER NOT NULL REFERENCES execution(id),
  id           INTEGER NOT NULL,
  name         TEXT NOT NULL,
  PRIMARY KEY (execution_id, id),
  UNIQUE (execution_id, name)) WITHOUT ROWID;
-- One row per sample. id = execution_id * 2^40 + sequence in the order the controller
-- received them, so an execution's samples are one id range. Durations in microseconds,
-- ts_ms epoch ms at sample start: the JTL columns, normalised.
CREATE TABLE sample(
  id              INTEGER PRIMARY KEY,
  execution_id    INTEGER NOT NULL REFERENCES execution(id),
  label_id        INTEGER NOT NULL,
  thread          TEXT NOT NULL,
  ts_ms           INTEGER NOT NULL,
  elapsed_us      INTEGER NOT NULL,
  latency_us      INTEGER NOT NULL,
  connect_us      INTEGER NOT NULL,
  idle_us         INTEGER NOT NULL,
  code            TEXT NOT NULL,
  message         TEXT NOT NULL,
  success         INTEGER NOT NULL,
  failure_message TEXT NOT NULL,
  bytes           INTEGER NOT NULL,
  sent_bytes      INTEGER NOT NULL,
  grp_threads     INTEGER NOT NULL,
  all_threads     INTEGER NOT NULL,
  url             TEXT NOT NULL,
  data_type       TEXT NOT NULL);
CREATE TABLE schema_version(version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
)sql";

// Version 2: projects, test definitions and their metadata, the execution's facts, workers,
// rollups, thresholds and the audit log (issue 4). Columns added to existing tables have
// defaults that describe what a version-1 file held: the default project, a local run.
constexpr const char* kMigrationTo2 = R"sql(
CREATE TABLE project(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL);
INSERT INTO project(id, name, created_at) VALUES (1, 'default', :now);
-- One row per distinct .jmx content per project. name = the plan file's name; version
-- numbers the contents seen under that name.
CREATE TABLE test_definition(
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES project(id),
  name       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  sha256     TEXT NOT NULL,  -- lowercase hex of jmx
  jmx        BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, sha256),
  UNIQUE (project_id, name, version));
-- Numbers as the plan writes them: an integer, an expression's text, NULL when unset.
CREATE TABLE definition_thread_group(
  definition_id INTEGER NOT NULL REFERENCES test_definition(id),
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL,
  threads, ramp_time, loops, duration,
  PRIMARY KEY (definition_id, position)) WITHOUT ROWID;
CREATE TABLE definition_sampler(
  definition_id INTEGER NOT NULL REFERENCES test_definition(id),
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL,
  method        TEXT,  -- HTTP samplers only
  url           TEXT,  -- URL template after HTTP Request Defaults
  PRIMARY KEY (definition_id, position)) WITHOUT ROWID;
CREATE TABLE definition_assertion(
  definition_id INTEGER NOT NULL REFERENCES test_definition(id),
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  PRIMARY KEY (definition_id, position)) WITHOUT ROWID;
CREATE TABLE definition_data_file(
  definition_id  INTEGER NOT NULL REFERENCES test_definition(id),
  position       INTEGER NOT NULL,
  path           TEXT NOT NULL,  -- as written in the plan
  variable_names TEXT NOT NULL,
  PRIMARY KEY (definition_id, position)) WITHOUT ROWID;
ALTER TABLE execution ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;  -- project(id)
ALTER TABLE execution ADD COLUMN definition_id INTEGER;                  -- test_definition(id)
ALTER TABLE execution ADD COLUMN properties TEXT NOT NULL DEFAULT '{}';  -- JSON object
ALTER TABLE execution ADD COLUMN infra TEXT NOT NULL DEFAULT '{"mode":"local"}';
ALTER TABLE execution ADD COLUMN triggered_by TEXT NOT NULL DEFAULT '';  -- OS user
-- Committed samples, updated in each ingest transaction.
ALTER TABLE execution ADD COLUMN sample_count INTEGER NOT NULL DEFAULT 0;
-- The controller process of a running execution, to tell a live run from an orphan.
ALTER TABLE execution ADD COLUMN controller_host TEXT;
ALTER TABLE execution ADD COLUMN controller_pid INTEGER;
ALTER TABLE execution ADD COLUMN controller_start INTEGER;  -- /proc/PID/stat starttime
UPDATE execution SET sample_count =
  (SELECT count(*) FROM sample WHERE sample.id BETWEEN execution.id * 1099511627776
                                                   AND (execution.id + 1) * 1099511627776 - 1);
CREATE INDEX execution_by_project ON execution(project_id, id);
ALTER TABLE sample ADD COLUMN worker_id INTEGER NOT NULL DEFAULT 0;  -- 0 = local run
CREATE TABLE execution_worker(
  execution_id      INTEGER NOT NULL REFERENCES execution(id),
  worker_id         INTEGER NOT NULL,
  name              TEXT NOT NULL,
  host              TEXT NOT NULL,
  joined_at         INTEGER NOT NULL,  -- epoch ms
  left_at           INTEGER,
  state             TEXT NOT NULL,     -- finished, lost, rejected
  samples_received  INTEGER NOT NULL,
  batches_received  INTEGER NOT NULL,
  samples_lost      INTEGER NOT NULL,
  duplicate_batches INTEGER NOT NULL,
  clock_offset_us   INTEGER NOT NULL,  -- worker clock minus controller clock
  PRIMARY KEY (execution_id, worker_id)) WITHOUT ROWID;
-- Rollups per (second of sample start, label, worker), written with the samples in the
-- same transaction. Partial and additive: one key may have several rows. histogram is
-- LatencyHistogram::Serialize() of the elapsed ms; the other columns are its summary and
-- the AggregateStats facts.
CREATE TABLE metric_bucket(
  id              INTEGER PRIMARY KEY,
  execution_id    INTEGER NOT NULL REFERENCES execution(id),
  second          INTEGER NOT NULL,  -- ts_ms / 1000
  label_id        INTEGER NOT NULL,  -- label(id)
  worker_id       INTEGER NOT NULL,
  count           INTEGER NOT NULL,
  errors          INTEGER NOT NULL,
  elapsed_sum_ms  INTEGER NOT NULL,
  elapsed_min_ms  INTEGER NOT NULL,
  elapsed_max_ms  INTEGER NOT NULL,
  bytes           INTEGER NOT NULL,
  sent_bytes      INTEGER NOT NULL,
  first_start_ms  INTEGER NOT NULL,
  last_end_ms     INTEGER NOT NULL,
  latency_sum_ms  INTEGER NOT NULL,
  connect_sum_ms  INTEGER NOT NULL,
  max_all_threads INTEGER NOT NULL,
  max_grp_threads INTEGER NOT NULL,
  histogram       BLOB NOT NULL);
CREATE INDEX metric_bucket_by_execution ON metric_bucket(execution_id);
CREATE TABLE error_bucket(
  id           INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL REFERENCES execution(id),
  second       INTEGER NOT NULL,
  label_id     INTEGER NOT NULL,
  worker_id    INTEGER NOT NULL,
  type         TEXT NOT NULL,  -- failure message, else "code/message"
  count        INTEGER NOT NULL);
CREATE INDEX error_bucket_by_execution ON error_bucket(execution_id);
CREATE TABLE threshold(
  id           INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL REFERENCES execution(id),
  position     INTEGER NOT NULL,
  expression   TEXT NOT NULL,
  label        TEXT NOT NULL,  -- '' = all samples
  metric       TEXT NOT NULL,
  op           TEXT NOT NULL,
  target       REAL NOT NULL,
  UNIQUE (execution_id, position));
CREATE TABLE threshold_result(
  threshold_id INTEGER PRIMARY KEY REFERENCES threshold(id),
  observed     REAL NOT NULL,
  passed       INTEGER NOT NULL,
  evaluated_at INTEGER NOT NULL);
CREATE TABLE audit_log(
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,  -- epoch ms
  who          TEXT NOT NULL,     -- OS user
  what         TEXT NOT NULL,     -- started, stopped, evaluated, imported, deleted, exported
  project_id   INTEGER,
  execution_id INTEGER,
  details      TEXT NOT NULL);
CREATE INDEX audit_log_by_execution ON audit_log(execution_id);
UPDATE schema_version SET version = 2;
)sql";

// Version 3 (issue 12):
// - arrivals the run's dynamic thread groups dropped at their ConcurrencyLimit (k6's
//   dropped_iterations); 0 for earlier runs;
// - coordinated omission: a sample's lag behind the start its schedule intended
//   (Sample::schedule_lag_us; 0 without a schedule, as every older sample), and per bucket how
//   many samples were late (lag of 1 ms or more) and the histogram of the corrected latencies
//   (elapsed ms + lag ms, LatencyHistogram::Serialize()), NULL when no sample of the bucket was
//   late: then they are `histogram`.
constexpr const char* kMigrationTo3 = R"sql(
ALTER TABLE execution ADD COLUMN dropped_iterations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sample ADD COLUMN schedule_lag_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metric_bucket ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metric_bucket ADD COLUMN corrected_histogram BLOB;
UPDATE schema_version SET version = 3;
)sql";

// Version 4 (issue 13): `barrage serve`'s schedules (service/schedules.h). A schedule starts
// a run of its project when its cron expression matches in its time zone; `run` is the JSON
// body a client would POST to /api/v1/projects/{project}/runs. next_fire_at is NULL while it
// is disabled or never fires again. last_run_id is the id the service's run queue returned.
// schedule_event logs every fire, skip (previous run still active, start failed) and the
// fires missed while the service was down.
constexpr const char* kMigrationTo4 = R"sql(
CREATE TABLE schedule(
  id           INTEGER PRIMARY KEY,
  project_id   INTEGER NOT NULL REFERENCES project(id),
  name         TEXT NOT NULL,
  cron         TEXT NOT NULL,
  time_zone    TEXT NOT NULL,  -- IANA name
  run          TEXT NOT NULL,  -- JSON object
  enabled      INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,  -- epoch ms, as the other times
  next_fire_at INTEGER,
  last_fire_at INTEGER,
  last_run_id  INTEGER,
  UNIQUE (project_id, name));
CREATE INDEX schedule_by_next_fire ON schedule(next_fire_at) WHERE enabled;
CREATE TABLE schedule_event(
  id          INTEGER PRIMARY KEY,
  schedule_id INTEGER NOT NULL REFERENCES schedule(id),
  at          INTEGER NOT NULL,
  what        TEXT NOT NULL,  -- fired, skipped, missed
  run_id      INTEGER,
  details     TEXT NOT NULL);
CREATE INDEX schedule_event_by_schedule ON schedule_event(schedule_id, id);
UPDATE schema_version SET version = 4;
)sql";

// Version 5 (issue 13, `barrage serve`): API tokens and who used them.
// - api_token: one row per bearer token; only the SHA-256 of the token is kept (lowercase hex
//   of the whole token text, "brg_..."), never the token. A name is unique per project among
//   the tokens not revoked, so a revoked name can be reused for its replacement. created_by:
//   the OS user for `barrage token create`, "token:NAME" for an admin token using the API.
//   last_used_at is written at most once a minute per token (service/tokens.h).
// - audit_log: the token (id and name at the time) that made an API request; NULL for the
//   command line, whose `who` is the OS user.
constexpr const char* kMigrationTo5 = R"sql(
CREATE TABLE api_token(
  id           INTEGER PRIMARY KEY,
  project_id   INTEGER NOT NULL REFERENCES project(id),
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'tester', 'admin')),
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,  -- epoch ms
  created_by   TEXT NOT NULL,
  revoked_at   INTEGER,           -- epoch ms; NULL while the token works
  last_used_at INTEGER);          -- epoch ms; NULL until first used
CREATE UNIQUE INDEX api_token_active_name ON api_token(project_id, name) WHERE revoked_at IS NULL;
ALTER TABLE audit_log ADD COLUMN token_id INTEGER;  -- api_token(id)
ALTER TABLE audit_log ADD COLUMN token_name TEXT;
UPDATE schema_version SET version = 5;
)sql";

// Version 6 (issue 12 item 7): a smaller sample row, for ingest speed. A sample's texts are
// interned per execution: its thread name and URL in sample_text, its outcome (success, code,
// message, failure_message, data_type: a few distinct tuples per run) in sample_outcome; the
// row, sample_row, holds their ids, and its execution is derived from its id (id >> 40)
// rather than stored. `sample` becomes a view with the old columns in the old order, so SQL
// written against version 3 reads the same rows. Ids count from 1 per execution; a value may
// have more than one id (the writer's dictionaries are bounded), never the reverse.
// The view's CROSS JOIN keeps sample_row the outer loop whatever the statistics say (a
// filter on an outcome column must not scan sample_row once per outcome).
// sample_row's columns have no NOT NULL: only the store's writer fills them, always all of
// them, and each constraint costs the writer an instruction per column and row.
constexpr const char* kMigrationTo6 = R"sql(
CREATE TABLE sample_text(
  execution_id INTEGER NOT NULL,
  id           INTEGER NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (execution_id, id)) WITHOUT ROWID;
CREATE TABLE sample_outcome(
  execution_id    INTEGER NOT NULL,
  id              INTEGER NOT NULL,
  success         INTEGER NOT NULL,
  code            TEXT NOT NULL,
  message         TEXT NOT NULL,
  failure_message TEXT NOT NULL,
  data_type       TEXT NOT NULL,
  PRIMARY KEY (execution_id, id)) WITHOUT ROWID;
CREATE TABLE sample_row(
  id              INTEGER PRIMARY KEY,  -- execution id << 40 | sequence, as sample.id
  label_id        INTEGER,              -- label(id)
  ts_ms           INTEGER,
  elapsed_us      INTEGER,
  latency_us      INTEGER,
  connect_us      INTEGER,
  idle_us         INTEGER,
  bytes           INTEGER,
  sent_bytes      INTEGER,
  grp_threads     INTEGER,
  all_threads     INTEGER,
  worker_id       INTEGER,
  schedule_lag_us INTEGER,
  thread_id       INTEGER,              -- sample_text(id) of this execution
  url_id          INTEGER,              -- sample_text(id)
  outcome_id      INTEGER);             -- sample_outcome(id)
INSERT INTO sample_text(execution_id, id, value)
  SELECT e, row_number() OVER (PARTITION BY e ORDER BY v), v FROM (
    SELECT execution_id AS e, thread AS v FROM sample UNION SELECT execution_id, url FROM sample);
INSERT INTO sample_outcome(execution_id, id, success, code, message, failure_message, data_type)
  SELECT execution_id, row_number() OVER (PARTITION BY execution_id ORDER BY success DESC, code, message,
                                          failure_message, data_type),
         success, code, message, failure_message, data_type
  FROM (SELECT DISTINCT execution_id, success, code, message, failure_message, data_type FROM sample);
CREATE INDEX sample_text_by_value ON sample_text(execution_id, value);
CREATE INDEX sample_outcome_by_value ON sample_outcome(execution_id, success, code, message, failure_message, data_type);
INSERT INTO sample_row SELECT s.id, s.label_id, s.ts_ms, s.elapsed_us, s.latency_us, s.connect_us, s.idle_us,
  s.bytes, s.sent_bytes, s.grp_threads, s.all_threads, s.worker_id, s.schedule_lag_us,
  (SELECT id FROM sample_text WHERE execution_id = s.execution_id AND value = s.thread),
  (SELECT id FROM sample_text WHERE execution_id = s.execution_id AND value = s.url),
  (SELECT id FROM sample_outcome o WHERE o.execution_id = s.execution_id AND o.success = s.success
     AND o.code = s.code AND o.message = s.message AND o.failure_message = s.failure_message
     AND o.data_type = s.data_type)
  FROM sample s ORDER BY s.id;
DROP INDEX sample_text_by_value;
DROP INDEX sample_outcome_by_value;
DROP TABLE sample;
CREATE VIEW sample AS SELECT
  r.id, r.id >> 40 AS execution_id, r.label_id,
  (SELECT value FROM sample_text WHERE execution_id = r.id >> 40 AND id = r.thread_id) AS thread,
  r.ts_ms, r.elapsed_us, r.latency_us, r.connect_us, r.idle_us,
  o.code, o.message, o.success, o.failure_message,
  r.bytes, r.sent_bytes, r.grp_threads, r.all_threads,
  (SELECT value FROM sample_text WHERE execution_id = r.id >> 40 AND id = r.url_id) AS url,
  o.data_type, r.worker_id, r.schedule_lag_us
  FROM sample_row r CROSS JOIN sample_outcome o ON o.execution_id = r.id >> 40 AND o.id = r.outcome_id;
UPDATE schema_version SET version = 6;
)sql";

// Version 7 (issue 13, webhooks): the webhooks of each project and the log of their delivery
// attempts (service/webhooks.h). A webhook's events are a JSON array of event names. A
// delivery row is one attempt (attempt 1..); attempt 0 records a delivery that made no
// request (dropped from a full queue, abandoned at shutdown): `error` says why.
constexpr const char* kMigrationTo7 = R"sql(
CREATE TABLE webhook(
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES project(id),
  name       TEXT NOT NULL,
  url        TEXT NOT NULL,
  secret     TEXT NOT NULL,
  events     TEXT NOT NULL,     -- JSON array, e.g. ["run.finished"]
  enabled    INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,  -- epoch ms
  UNIQUE (project_id, name));
CREATE TABLE webhook_delivery(
  id           INTEGER PRIMARY KEY,
  webhook_id   INTEGER NOT NULL REFERENCES webhook(id),
  execution_id INTEGER NOT NULL,  -- execution(id): the run the payload describes
  delivery     TEXT NOT NULL,     -- the X-Barrage-Delivery id, the same on every attempt
  attempt      INTEGER NOT NULL,  -- 1..; 0 = no request was made
  at           INTEGER NOT NULL,  -- epoch ms
  http_status  INTEGER NOT NULL,  -- 0 = no response
  error        TEXT NOT NULL,     -- '' when delivered
  duration_ms  INTEGER NOT NULL,
  delivered    INTEGER NOT NULL);
CREATE INDEX webhook_delivery_by_webhook ON webhook_delivery(webhook_id, id);
UPDATE schema_version SET version = 7;
)sql";

// Version 8 (issue 13, `barrage serve`): a run the service accepted but has not started yet
// is an execution with status 'queued' (its id is the run's id from the start); SQLite
// cannot change a CHECK constraint, so the table is rebuilt with the same columns and rows
// (the other tables name it by id: nothing else moves). The data files uploaded with a
// plan version (POST /api/v1/projects/{p}/plans) are listed per definition; their bytes
// live in the service's data_dir under their SHA-256. An uploaded version's sha256 covers
// the .jmx and these files (service/plan_store.h), a command-line run's only the .jmx.
constexpr const char* kMigrationTo8 = R"sql(
CREATE TABLE execution_v8(
  id                 INTEGER PRIMARY KEY,
  plan_path          TEXT NOT NULL,
  plan_name          TEXT NOT NULL,
  started_at         INTEGER NOT NULL,  -- epoch ms; when queued: the time it was queued
  ended_at           INTEGER,           -- epoch ms; NULL while queued or running, or when unknown
  status             TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'passed', 'failed', 'aborted', 'errored', 'partial')),
  project_id         INTEGER NOT NULL DEFAULT 1,  -- project(id)
  definition_id      INTEGER,                     -- test_definition(id)
  properties         TEXT NOT NULL DEFAULT '{}',  -- JSON object
  infra              TEXT NOT NULL DEFAULT '{"mode":"local"}',
  triggered_by       TEXT NOT NULL DEFAULT '',    -- OS user, or token:NAME
  sample_count       INTEGER NOT NULL DEFAULT 0,
  controller_host    TEXT,
  controller_pid     INTEGER,
  controller_start   INTEGER,                     -- /proc/PID/stat starttime
  dropped_iterations INTEGER NOT NULL DEFAULT 0);
INSERT INTO execution_v8(id, plan_path, plan_name, started_at, ended_at, status, project_id, definition_id,
  properties, infra, triggered_by, sample_count, controller_host, controller_pid, controller_start,
  dropped_iterations)
SELECT id, plan_path, plan_name, started_at, ended_at, status, project_id, definition_id, properties, infra,
  triggered_by, sample_count, controller_host, controller_pid, controller_start, dropped_iterations
FROM execution;
DROP TABLE execution;
ALTER TABLE execution_v8 RENAME TO execution;
CREATE INDEX execution_by_project ON execution(project_id, id);
CREATE TABLE definition_file(
  definition_id INTEGER NOT NULL REFERENCES test_definition(id),
  name          TEXT NOT NULL,  -- as uploaded: found next to the plan, as the plan names it
  sha256        TEXT NOT NULL,  -- lowercase hex; the bytes are data_dir/files/<sha256>
  size          INTEGER NOT NULL,
  PRIMARY KEY (definition_id, name)) WITHOUT ROWID;
UPDATE schema_version SET version = 8;
)sql";

// Runs a script; ":now" is bound in every statement that names it.
Status RunScript(sqlite3* db, const std::string& path, const char* sql, int64_t now_ms) {
  const char* rest = sql;
  while (rest && *rest) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, rest, -1, &s, &rest) != SQLITE_OK) return DbError(db, path, "migrate schema");
    if (!s) continue;  // trailing whitespace or comments
    if (int i = sqlite3_bind_parameter_index(s, ":now"); i > 0) sqlite3_bind_int64(s, i, now_ms);
    const int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return DbError(db, path, "migrate schema");
  }
  return Status::Ok();
}

Status Scalar(sqlite3* db, const std::string& path, const char* sql, int64_t* out) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) return DbError(db, path, "read schema");
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) *out = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(db, path, "read schema");
  return Status::Ok();
}

// The file's application_id and its number of schema objects, read by one statement and so
// in one read transaction: read apart, another opener's schema commit could fall between
// them (application_id still 0, tables no longer 0) and a new store look like another file.
Status ReadStamp(sqlite3* db, const std::string& path, int64_t* application_id, int64_t* tables) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT (SELECT application_id FROM pragma_application_id),"
                         " (SELECT count(*) FROM sqlite_schema)",
                         -1, &s, nullptr) != SQLITE_OK) {
    return DbError(db, path, "read schema");
  }
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *application_id = sqlite3_column_int64(s, 0);
    *tables = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) return DbError(db, path, "read schema");
  return Status::Ok();
}

}  // namespace

Status CheckIsResultsStore(sqlite3* db, const std::string& path, bool must_be_store) {
  auto not_a_store = [&](const char* why) {
    return Status::NotFound(path + ": not a Barrage results store (" + why + ")");
  };
  int64_t application_id = 0, tables = 0;
  if (Status st = ReadStamp(db, path, &application_id, &tables); !st.ok()) {
    if (sqlite3_errcode(db) == SQLITE_NOTADB) return not_a_store("not an SQLite database");
    return st;
  }
  if (tables == 0) return must_be_store ? not_a_store("an empty file") : Status::Ok();
  if (application_id != kApplicationId) return not_a_store("a SQLite database with other tables");
  return Status::Ok();
}

Result<int> CreateOrMigrateSchema(sqlite3* db, const std::string& path, int64_t now_ms, int to_version) {
  static constexpr const char* kMigrations[] = {kMigrationTo1, kMigrationTo2, kMigrationTo3, kMigrationTo4,
                                                kMigrationTo5, kMigrationTo6, kMigrationTo7, kMigrationTo8};
  static_assert(std::size(kMigrations) == kStoreSchemaVersion);
  int64_t application_id = 0, tables = 0, version = 0;
  if (Status st = ReadStamp(db, path, &application_id, &tables); !st.ok()) return st;
  if (tables != 0) {
    if (application_id != kApplicationId) {
      return Status::InvalidArgument(path + ": not a Barrage results store (a SQLite database with other tables)");
    }
    if (Status st = Scalar(db, path, "SELECT max(version) FROM schema_version", &version); !st.ok()) return st;
    if (version > kStoreSchemaVersion) {
      return Status::Unsupported(path + ": results store has schema version " + std::to_string(version) +
                                 ", newer than this barrage understands (" + std::to_string(kStoreSchemaVersion) +
                                 "); use a newer barrage");
    }
    if (version < 1) return Status::InvalidArgument(path + ": results store has no schema version");
  }
  const int from = static_cast<int>(version);
  for (int v = from; v < std::min(to_version, kStoreSchemaVersion); ++v) {
    if (Status st = RunScript(db, path, kMigrations[v], now_ms); !st.ok()) return st;
  }
  if (tables == 0) {
    const std::string stamp = "PRAGMA application_id=" + std::to_string(kApplicationId);
    if (sqlite3_exec(db, stamp.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return DbError(db, path, "stamp schema");
    }
  }
  return from;
}

}  // namespace barrage
