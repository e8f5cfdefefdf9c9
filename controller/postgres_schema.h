// The PostgreSQL results store's schema: the tables of controller/store_schema.h (schema
// version kStoreSchemaVersion, table schema_version) in PostgreSQL types, with these
// differences:
//   - ids are identity columns (execution ids 1, 2, ... per database, as in SQLite);
//   - sample(execution_id, seq, label_id, thread, ts_ms, ..., url, data_type, worker_id,
//     schedule_lag_us) is PARTITIONED BY LIST (execution_id), one partition sample_e<ID>
//     per execution (created by BeginExecution, dropped by DeleteExecution); seq is the
//     append order; texts are kept in the row (COPY makes interning unnecessary);
//   - histograms are bytea, booleans boolean, plan values text.
// Migrations are numbered as SQLite's: kPostgresMigrations[v] takes a database from version
// v to v + 1. PostgreSQL stores start at version 8 (all earlier steps are empty), so a new
// database runs them all and ends at kStoreSchemaVersion.
// barrage serve's tables (schedule, schedule_event, api_token, webhook, webhook_delivery) are
// SQLite's, with boolean flags; the service reaches them through controller/sql_connection.h.
// Internal to controller/.
#ifndef BARRAGE_CONTROLLER_POSTGRES_SCHEMA_H_
#define BARRAGE_CONTROLLER_POSTGRES_SCHEMA_H_

#include <cstdint>

#include "common/status.h"
#include "controller/pg_util.h"

namespace barrage {

// Creates the schema in a database without one, checks or migrates a Barrage one, inside a
// transaction that holds an advisory lock (two controllers creating it at once are fine).
// Returns the version the database had (0 = new). Errors, naming the database:
// NotFound "not a Barrage results store (an empty database)" when must_be_store and there
// is no schema; InvalidArgument "not a Barrage results store (a PostgreSQL database with
// other tables)"; Unsupported for a newer schema version; IoError for server failures.
Result<int> CreateOrMigratePostgresSchema(PgConnection& db, int64_t now_ms, bool must_be_store);

// The schema version of a Barrage database (reads only); the same errors.
Result<int> PostgresSchemaVersion(PgConnection& db);

// The name of the execution's sample partition: sample_e<ID>.
std::string SamplePartition(int64_t execution_id);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_POSTGRES_SCHEMA_H_
