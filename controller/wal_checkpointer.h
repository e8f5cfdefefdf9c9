// Runs the WAL checkpoints of the results store's writer connection on a thread of its own,
// so that copying the WAL back into the database file (reads, writes and, with
// synchronous=NORMAL, its fsync) no longer stalls the single writer thread that ingest waits
// for. Internal to controller/ (results_store.cc).
//
// Start() replaces SQLite's auto-checkpoint hook on `writer`: after a commit leaves
// `wal_pages` or more frames in the WAL, the checkpointer thread runs a PASSIVE checkpoint on
// its own connection (it never waits for a lock and never blocks the writer or readers). If
// the WAL still reaches 8 x `wal_pages` frames (the checkpointer starved of CPU or kept
// behind by a reader), the writer checkpoints itself, as SQLite's default hook would, so the
// WAL stays bounded. Stop() (also the destructor) joins the thread and restores SQLite's
// default auto-checkpoint on `writer`; call it before closing `writer`.
#ifndef BARRAGE_CONTROLLER_WAL_CHECKPOINTER_H_
#define BARRAGE_CONTROLLER_WAL_CHECKPOINTER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

struct sqlite3;

namespace barrage {

class WalCheckpointer {
 public:
  static Result<std::unique_ptr<WalCheckpointer>> Start(sqlite3* writer, const std::string& path, int wal_pages = 1000);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  void Stop();

  // Checkpoints run on the thread so far (for tests and benchmarks).
  uint64_t checkpoints() const;
  // Waits until the thread has run `n` checkpoints; false after `timeout`.
  bool WaitForCheckpoints(uint64_t n, std::chrono::milliseconds timeout) const;

 private:
  WalCheckpointer(sqlite3* writer, sqlite3* own, int wal_pages);
  static int Hook(void* self, sqlite3* db, const char* schema, int pages);
  void Run();

  sqlite3* const writer_;
  sqlite3* own_;  // the checkpointer thread's connection
  const int wal_pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_;               // work for the thread
  mutable std::condition_variable done_cv_;  // a checkpoint done
  bool wanted_ = false;
  bool stop_ = false;
  uint64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_WAL_CHECKPOINTER_H_
