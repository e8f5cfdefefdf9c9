// The results store in one SQLite file (DESIGN §6): the backend behind ResultsStore for a
// --db that is a path. Schema in controller/store_schema.h; the whole contract (WAL,
// one IMMEDIATE transaction per gathered batch, busy waits up to lock_timeout, samples
// interned as sample_row + sample_text + sample_outcome) is stated in results_store.h.
// Internal to controller/.
#ifndef BARRAGE_CONTROLLER_SQLITE_STORE_H_
#define BARRAGE_CONTROLLER_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "controller/store_backend.h"

namespace barrage {

// Opens or creates the store file at `path` (ResultsStore::Open's contract for a path).
Result<std::unique_ptr<StoreBackend>> OpenSqliteStore(const std::string& path, ResultsStore::Options options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_SQLITE_STORE_H_
