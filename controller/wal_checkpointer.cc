#include "controller/wal_checkpointer.h"

#include <sqlite3.h>

#include <utility>

#include "controller/sqlite_util.h"

namespace barrage {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(sqlite3* writer, const std::string& path,
                                                                int wal_pages) {
  Result<sqlite3*> own = OpenConnection(path, /*create=*/false);
  if (!own.ok()) return own.status();
  // query_only off (a checkpoint writes the database file); the read opens the WAL, without
  // which a checkpoint on this connection does nothing.
  if (sqlite3_exec(*own, "PRAGMA query_only=0; SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    Status st = DbError(*own, path, "open the checkpoint connection");
    sqlite3_close(*own);
    return st;
  }
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(writer, *own, wal_pages));
  c->thread_ = std::thread([p = c.get()] { p->Run(); });
  sqlite3_wal_hook(writer, &WalCheckpointer::Hook, c.get());
  return c;
}

WalCheckpointer::WalCheckpointer(sqlite3* writer, sqlite3* own, int wal_pages)
    : writer_(writer), own_(own), wal_pages_(wal_pages) {}

WalCheckpointer::~WalCheckpointer() { Stop(); }

void WalCheckpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_wal_autocheckpoint(writer_, wal_pages_);  // SQLite's own hook again
  sqlite3_close_v2(own_);
  own_ = nullptr;
}

uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

// On the writer's thread, after each commit, with the WAL's frame count.
int WalCheckpointer::Hook(void* self, sqlite3* db, const char* schema, int pages) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (pages < c->wal_pages_) return SQLITE_OK;
  if (pages >= 8 * c->wal_pages_) {
    // The thread fell behind: bound the WAL here. Errors are ignored, as SQLite's default
    // hook ignores them (the next commit tries again).
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  {
    std::lock_guard lock(c->mu_);
    c->wanted_ = true;
  }
  c->cv_.notify_one();
  return SQLITE_OK;
}

bool WalCheckpointer::WaitForCheckpoints(uint64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return done_cv_.wait_for(lock, timeout, [&] { return checkpoints_ >= n; });
}

void WalCheckpointer::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++checkpoints_;
    done_cv_.notify_all();
  }
}

}  // namespace barrage
