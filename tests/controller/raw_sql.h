// Reads a store file the way a user's `sqlite3` shell would, bypassing ResultsStore: for
// tests that check what is on disk.
#ifndef BARRAGE_TESTS_CONTROLLER_RAW_SQL_H_
#define BARRAGE_TESTS_CONTROLLER_RAW_SQL_H_

#include <sqlite3.h>

#include <string>

namespace barrage::test {

// The first column of the first row of `sql` as text ("NULL" for NULL), "" when the file
// cannot be opened or the query returns no row.
inline std::string RawScalar(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out = t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_CONTROLLER_RAW_SQL_H_
