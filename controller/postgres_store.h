// The results store in a PostgreSQL database: the backend behind ResultsStore for a --db
// that is a postgresql:// or postgres:// URL (libpq's URI form, e.g.
// postgresql://user:password@127.0.0.1:5432/barrage?sslmode=disable). The database must
// exist; Open() creates the schema in it (controller/postgres_schema.h) unless must_exist.
//
// Same contract as results_store.h states for SQLite, with these differences:
// - Connections: the writer thread owns one connection, reads use a second one (a
//   read-only handle opens only that one, default_transaction_read_only).
// - Ingest: each gathered batch is one transaction: new labels, the samples by COPY into
//   the execution's partition (sample_e<ID>), the metric_bucket/error_bucket rollups and
//   execution.sample_count. A crash of either side never leaves rollups without samples.
// - Several controllers on one database: ids come from identity columns; new definition
//   versions are numbered under a transaction-level advisory lock per project; each handle
//   writes only its own execution's rows, so no update is lost. lock_timeout is the
//   server's lock_timeout for the writer's statements.
// - Connection loss (the server stopped or killed): the statement fails, the writer stops,
//   error() returns IoError "URL: <libpq's message>"; every committed batch stays.
// - Texts: the database's encoding applies: a UTF8 database rejects sample texts that are
//   not valid UTF-8 (the writer fails as above); create it with ENCODING 'SQL_ASCII' to
//   store any bytes. NUL bytes in texts are dropped.
// - CheckIntegrity(): every execution's sample_count equals its partition's rows and the
//   count of its metric buckets.
// - The URL's password never appears in a message or in path().
// Internal to controller/.
#ifndef BARRAGE_CONTROLLER_POSTGRES_STORE_H_
#define BARRAGE_CONTROLLER_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "controller/pg_util.h"
#include "controller/store_backend.h"

namespace barrage {

Result<std::unique_ptr<StoreBackend>> OpenPostgresStore(const std::string& url, ResultsStore::Options options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_POSTGRES_STORE_H_
