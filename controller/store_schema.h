// The results store's schema (DESIGN §6) and its migrations. Used by results_store.cc only.
//
// Tables (schema version 8):
//   schema_version(version)                 one row: the version of the file
//   project(id, name, created_at)           "default" is id 1
//   test_definition(id, project_id, name, version, sha256, jmx, created_at)
//       one row per distinct .jmx content per project; name = plan file name, version
//       counts the contents seen under that name (1, 2, ...)
//   definition_thread_group / definition_sampler / definition_assertion /
//   definition_data_file(definition_id, position, ...)   metadata extracted from the plan
//   definition_file(definition_id, name, sha256, size)   data files uploaded with a version
//   execution(id, plan_path, plan_name, started_at, ended_at, status, project_id,
//       definition_id, properties, infra, triggered_by, sample_count, controller_host,
//       controller_pid, controller_start, dropped_iterations)   status queued (barrage
//       serve's queue), running, passed, failed, aborted, errored, partial
//   execution_worker(execution_id, worker_id, ...)      one row per cluster worker
//   label(execution_id, id, name)           interned labels, id 1.. in first-stored order
//   sample_row(id, label_id, ts_ms, elapsed_us, ..., schedule_lag_us, thread_id, url_id, outcome_id)
//       one row per sample; id = execution id << 40 | sequence
//   sample_text(execution_id, id, value)    interned thread names and URLs
//   sample_outcome(execution_id, id, success, code, message, failure_message, data_type)
//   sample (a view)(id, execution_id, label_id, thread, ts_ms, elapsed_us, ..., worker_id,
//       schedule_lag_us)                    sample_row with its texts: version 3's table
//   metric_bucket(execution_id, second, label_id, worker_id, count, ..., histogram,
//       corrected_histogram)
//   error_bucket(execution_id, second, label_id, worker_id, type, count)
//   threshold(id, execution_id, position, expression, label, metric, op, target)
//   threshold_result(threshold_id, observed, passed, evaluated_at)
//   audit_log(id, at, who, what, project_id, execution_id, details, token_id, token_name)
//   schedule(id, project_id, name, cron, time_zone, run, enabled, created_by, created_at,
//       next_fire_at, last_fire_at, last_run_id)       barrage serve's schedules, names unique per project
//   schedule_event(id, schedule_id, at, what, run_id, details)   their fires, skips and misses
//   api_token(id, project_id, name, role, token_sha256, created_at, created_by, revoked_at,
//       last_used_at)                     bearer tokens of `barrage serve` (service/tokens.h)
//   webhook(id, project_id, name, url, secret, events, enabled, created_by, created_at)
//   webhook_delivery(id, webhook_id, execution_id, delivery, attempt, at, http_status, error,
//       duration_ms, delivered)             one row per delivery attempt (service/webhooks.h)
//
// A new file runs every migration in order (v0 -> v1 -> ... -> v8), so a migrated file and a new
// one have the same schema.
#ifndef BARRAGE_CONTROLLER_STORE_SCHEMA_H_
#define BARRAGE_CONTROLLER_STORE_SCHEMA_H_

#include <cstdint>
#include <string>

#include "common/status.h"

struct sqlite3;

namespace barrage {

inline constexpr int kStoreSchemaVersion = 8;

// Creates the schema in an empty database, migrates an older Barrage store to
// kStoreSchemaVersion, or checks a current one; run it inside the caller's IMMEDIATE
// transaction. Returns the version the file had (0 = it was empty). Errors:
// InvalidArgument for a SQLite file of another application, Unsupported for a store
// written by a newer Barrage, IoError for SQLite failures; each names `path`.
// `to_version` below kStoreSchemaVersion stops there: for tests that need a file as an older
// Barrage left it.
Result<int> CreateOrMigrateSchema(sqlite3* db, const std::string& path, int64_t now_ms,
                                  int to_version = kStoreSchemaVersion);

// Reads (never writes) what `db` holds, before anything is written to it: OK for a
// Barrage store, and for an empty database unless `must_be_store` (the commands that read
// runs). Otherwise NotFound "PATH: not a Barrage results store (an empty file | not an
// SQLite database | a SQLite database with other tables)".
Status CheckIsResultsStore(sqlite3* db, const std::string& path, bool must_be_store);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_STORE_SCHEMA_H_
