#include "controller/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(WalCheckpointerTest, CheckpointsOnItsOwnThreadOnceTheWalHasEnoughPages) {
  TempDir dir;
  const std::string path = dir.File("w.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t(b BLOB)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  Result<std::unique_ptr<WalCheckpointer>> c = WalCheckpointer::Start(db, path, /*wal_pages=*/8);
  ASSERT_TRUE(c.ok()) << c.status().message();
  // Nothing is checkpointed yet: the database file holds its first page only.
  EXPECT_EQ(std::filesystem::file_size(path), 4096u);
  // A commit that leaves fewer than 8 pages in the WAL: no checkpoint.
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO t VALUES (x'00')", nullptr, nullptr, nullptr), SQLITE_OK);
  // One that adds a 32 KiB blob (9 pages or more): the thread checkpoints, once.
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO t VALUES (zeroblob(32768))", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_TRUE((*c)->WaitForCheckpoints(1, std::chrono::seconds(30)));
  EXPECT_GE(std::filesystem::file_size(path), 9u * 4096);
  EXPECT_EQ(test::RawScalar(path, "SELECT count(*) FROM t"), "2");
  (*c)->Stop();
  EXPECT_EQ((*c)->checkpoints(), 1u);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

}  // namespace
}  // namespace barrage
