#include "controller/results_store.h"

#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace barrage {
namespace {

constexpr int32_t kApplicationId = 0x42415252;  // "BARR" in the file header
constexpr int kRowsPerInsert = 32;               // rows per multi-row INSERT statement
constexpr int kSampleColumns = 19;
// sample.id = execution id << kSampleSeqBits | sequence: an execution's samples are one
// contiguous range of the table's b-tree, found without a second index, and appends go to
// the end of the tree (SQLite's fast path). 2^40 samples per execution, 2^23 executions.
constexpr int kSampleSeqBits = 40;

int64_t FirstSampleId(int64_t execution) { return execution << kSampleSeqBits; }
int64_t LastSampleId(int64_t execution) { return FirstSampleId(execution + 1) - 1; }

constexpr const char* kSchemaV1 = R"sql(
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
)sql";

constexpr const char* kSampleInsertHead =
    "INSERT INTO sample(id, execution_id, label_id, thread, ts_ms, elapsed_us, latency_us, "
    "connect_us, idle_us, code, message, success, failure_message, bytes, sent_bytes, "
    "grp_threads, all_threads, url, data_type) VALUES ";

constexpr const char* kSampleSelect =
    "SELECT label_id, thread, ts_ms, elapsed_us, latency_us, connect_us, idle_us, code, "
    "message, success, failure_message, bytes, sent_bytes, grp_threads, all_threads, url, "
    "data_type FROM sample WHERE id BETWEEN ? AND ? ORDER BY id";

constexpr const char* kExecutionSelect =
    "SELECT id, plan_path, plan_name, started_at, ended_at, status FROM execution";

// Owns a prepared statement.
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

Status DbError(sqlite3* db, const std::string& path, const std::string& what) {
  return Status::IoError(path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return Status::IoError(path + ": " + text);
  }
  return Status::Ok();
}

Status Prepare(sqlite3* db, const std::string& path, const std::string& sql, Stmt* stmt) {
  if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                         stmt->out(), nullptr) != SQLITE_OK) {
    return DbError(db, path, "prepare");
  }
  return Status::Ok();
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

void BindText(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// A connection used by one thread at a time (our own locking), so without SQLite's mutex.
// The reader opens read-write too (it never writes: query_only), because a read-only
// connection cannot open a WAL database whose -shm file is gone.
Result<sqlite3*> OpenConnection(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status error = DbError(db, path, "cannot open");
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10'000);
  if (!create) sqlite3_exec(db, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
  return db;
}

ExecutionRecord ReadExecution(sqlite3_stmt* s) {
  ExecutionRecord r;
  r.id = sqlite3_column_int64(s, 0);
  r.plan_path = ColumnText(s, 1);
  r.plan_name = ColumnText(s, 2);
  r.started_at_ms = sqlite3_column_int64(s, 3);
  if (sqlite3_column_type(s, 4) != SQLITE_NULL) r.ended_at_ms = sqlite3_column_int64(s, 4);
  r.status = ParseExecutionStatus(ColumnText(s, 5)).value_or(ExecutionStatus::kErrored);
  return r;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kRunning: return "running";
    case ExecutionStatus::kPassed: return "passed";
    case ExecutionStatus::kFailed: return "failed";
    case ExecutionStatus::kAborted: return "aborted";
    case ExecutionStatus::kErrored: return "errored";
    case ExecutionStatus::kPartial: return "partial";
  }
  return "errored";
}

std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  for (ExecutionStatus s : {ExecutionStatus::kRunning, ExecutionStatus::kPassed, ExecutionStatus::kFailed,
                            ExecutionStatus::kAborted, ExecutionStatus::kErrored, ExecutionStatus::kPartial}) {
    if (ExecutionStatusName(s) == name) return s;
  }
  return std::nullopt;
}

class ResultsStore::Impl {
 public:
  Impl(std::string path, Options options) : path_(std::move(path)), options_(options) {}

  ~Impl() {
    (void)Close();
    (void)CloseWriteConnection();  // when Open() failed before the writer started
    sqlite3_close(read_db_);
  }

  Status Open() {
    Result<sqlite3*> db = OpenConnection(path_, /*create=*/true);
    if (!db.ok()) return db.status();
    db_ = *db;
    // WAL: readers run beside the writer. synchronous=NORMAL: fsync at checkpoints only;
    // a power loss can lose the last transactions but never corrupts the file.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                               "PRAGMA cache_size=-8192", "PRAGMA temp_store=MEMORY"}) {
      if (Status st = Exec(db_, path_, pragma); !st.ok()) return st;
    }
    if (Status st = CreateOrCheckSchema(); !st.ok()) return st;
    std::string many = kSampleInsertHead;
    for (int r = 0; r < kRowsPerInsert; ++r) {
      many += r ? ",(" : "(";
      for (int c = 0; c < kSampleColumns; ++c) many += c ? ",?" : "?";
      many += ')';
    }
    std::string one = std::string(kSampleInsertHead) + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    for (auto [sql, stmt] : {std::pair{many, &insert_many_}, std::pair{one, &insert_one_},
                             std::pair{std::string("INSERT INTO label(execution_id, id, name) VALUES (?,?,?)"),
                                       &insert_label_},
                             std::pair{std::string("BEGIN"), &begin_},
                             std::pair{std::string("COMMIT"), &commit_}}) {
      if (Status st = Prepare(db_, path_, sql, stmt); !st.ok()) return st;
    }
    writer_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  Result<int64_t> BeginExecution(const ExecutionInfo& info) {
    {
      std::lock_guard lock(mu_);
      if (current_execution_ != 0) {
        return Status::InvalidArgument(path_ + ": execution " + std::to_string(current_execution_) +
                                       " is still running");
      }
    }
    int64_t id = 0;
    Status st = RunCommand([&]() -> Status {
      Stmt s;
      if (Status p = Prepare(db_, path_,
                             "INSERT INTO execution(plan_path, plan_name, started_at, status) "
                             "VALUES (?, ?, ?, 'running')",
                             &s);
          !p.ok()) {
        return p;
      }
      BindText(s.get(), 1, info.plan_path);
      BindText(s.get(), 2, info.plan_name);
      sqlite3_bind_int64(s.get(), 3, info.started_at_ms);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db_, path_, "insert execution");
      id = sqlite3_last_insert_rowid(db_);
      return Status::Ok();
    });
    if (!st.ok()) return st;
    std::lock_guard lock(mu_);
    current_execution_ = id;
    return id;
  }

  Status Append(std::vector<Sample>&& samples) {
    std::unique_lock lock(mu_);
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(path_ + ": results store is closed");
    if (current_execution_ == 0) return Status::InvalidArgument(path_ + ": no execution is running");
    if (samples.empty()) return Status::Ok();
    const int64_t execution = current_execution_;
    space_cv_.wait(lock, [&] {
      return queued_samples_ < options_.max_queued_samples || !writer_error_.ok() || stop_;
    });
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(path_ + ": results store is closed");
    queued_samples_ += samples.size();
    appended_ += samples.size();
    queue_.push_back(Item{execution, std::move(samples), nullptr, nullptr});
    work_cv_.notify_one();
    return Status::Ok();
  }

  Status Flush() {
    Status st = RunCommand([] { return Status::Ok(); });
    std::lock_guard lock(mu_);
    return writer_error_.ok() ? st : writer_error_;
  }

  Status Finish(ExecutionStatus status, std::optional<int64_t> ended_at_ms) {
    int64_t id;
    {
      std::lock_guard lock(mu_);
      if (current_execution_ == 0) return Status::InvalidArgument(path_ + ": no execution is running");
      id = current_execution_;
      current_execution_ = 0;
    }
    Status st = RunCommand([&]() -> Status {
      Stmt s;
      if (Status p = Prepare(db_, path_, "UPDATE execution SET status = ?, ended_at = ? WHERE id = ?", &s);
          !p.ok()) {
        return p;
      }
      // Samples that could not be stored make the results incomplete, whatever the run says.
      const std::string_view name = ExecutionStatusName(WriterError().ok() ? status : ExecutionStatus::kErrored);
      sqlite3_bind_text(s.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
      if (ended_at_ms) {
        sqlite3_bind_int64(s.get(), 2, *ended_at_ms);
      } else {
        sqlite3_bind_null(s.get(), 2);
      }
      sqlite3_bind_int64(s.get(), 3, id);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db_, path_, "update execution");
      return Status::Ok();
    });
    std::lock_guard lock(mu_);
    return writer_error_.ok() ? st : writer_error_;
  }

  Status Close() {
    bool running;
    {
      std::lock_guard lock(mu_);
      if (!writer_.joinable()) return writer_error_;
      running = current_execution_ != 0;
    }
    Status finish = running ? Finish(ExecutionStatus::kAborted, NowMs()) : Status::Ok();
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    space_cv_.notify_all();
    writer_.join();
    Status close_status = CloseWriteConnection();
    std::lock_guard lock(mu_);
    if (!writer_error_.ok()) return writer_error_;
    return finish.ok() ? close_status : finish;
  }

  Result<int> MarkInterruptedExecutions() {
    int changed = 0;
    Status st = RunCommand([&]() -> Status {
      std::string sql = "UPDATE execution SET status = 'aborted' WHERE status = 'running'";
      {
        std::lock_guard lock(mu_);
        if (current_execution_ != 0) sql += " AND id <> " + std::to_string(current_execution_);
      }
      if (Status e = Exec(db_, path_, sql.c_str()); !e.ok()) return e;
      changed = sqlite3_changes(db_);
      return Status::Ok();
    });
    if (!st.ok()) return st;
    return changed;
  }

  // --- reads ---

  template <typename Fn>
  Status WithReader(Fn&& fn) {
    std::lock_guard lock(read_mu_);
    if (!read_db_) {
      Result<sqlite3*> db = OpenConnection(path_, /*create=*/false);
      if (!db.ok()) return db.status();
      read_db_ = *db;
    }
    return fn(read_db_);
  }

  Status Query(sqlite3* db, const std::string& sql, const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row) {
    Stmt s;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, s.out(), nullptr) != SQLITE_OK) {
      return DbError(db, path_, "query");
    }
    if (bind) bind(s.get());
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) row(s.get());
    if (rc != SQLITE_DONE) return DbError(db, path_, "query");
    return Status::Ok();
  }

  const std::string& path() const { return path_; }
  uint64_t appended() const {
    std::lock_guard lock(mu_);
    return appended_;
  }
  uint64_t committed() const {
    std::lock_guard lock(mu_);
    return committed_;
  }

 private:
  struct Item {
    int64_t execution_id = 0;
    std::vector<Sample> samples;
    std::function<Status()> command;  // runs on the writer thread, after a commit
    std::promise<Status>* done = nullptr;
  };

  Status CloseWriteConnection() {
    if (!db_) return Status::Ok();
    insert_many_ = Stmt();
    insert_one_ = Stmt();
    insert_label_ = Stmt();
    begin_ = Stmt();
    commit_ = Stmt();
    Status st;
    if (sqlite3_close(db_) != SQLITE_OK) {
      st = DbError(db_, path_, "close");
      sqlite3_close_v2(db_);  // finishes closing once the last statement is gone
    }
    db_ = nullptr;
    return st;
  }

  Status CreateOrCheckSchema() {
    if (Status st = Exec(db_, path_, "BEGIN IMMEDIATE"); !st.ok()) return st;
    Status st = CreateOrCheckSchemaLocked();
    if (Status end = Exec(db_, path_, st.ok() ? "COMMIT" : "ROLLBACK"); st.ok()) st = end;
    return st;
  }

  Status CreateOrCheckSchemaLocked() {
    int64_t application_id = 0, tables = 0, version = -1;
    auto scalar = [&](const char* sql, int64_t* out) -> Status {
      Stmt s;
      if (sqlite3_prepare_v2(db_, sql, -1, s.out(), nullptr) != SQLITE_OK) return DbError(db_, path_, "read schema");
      const int rc = sqlite3_step(s.get());
      if (rc == SQLITE_ROW) *out = sqlite3_column_int64(s.get(), 0);
      else if (rc != SQLITE_DONE) return DbError(db_, path_, "read schema");
      return Status::Ok();
    };
    if (Status st = scalar("PRAGMA application_id", &application_id); !st.ok()) return st;
    if (Status st = scalar("SELECT count(*) FROM sqlite_schema", &tables); !st.ok()) return st;
    if (tables == 0) {
      if (Status st = Exec(db_, path_, kSchemaV1); !st.ok()) return st;
      const std::string stamp = "CREATE TABLE schema_version(version INTEGER NOT NULL);"
                                "INSERT INTO schema_version VALUES (" + std::to_string(kSchemaVersion) + ");"
                                "PRAGMA application_id=" + std::to_string(kApplicationId) + ";";
      return Exec(db_, path_, stamp.c_str());
    }
    if (application_id != kApplicationId) {
      return Status::InvalidArgument(path_ + ": not a Barrage results store (a SQLite database with other tables)");
    }
    if (Status st = scalar("SELECT max(version) FROM schema_version", &version); !st.ok()) return st;
    if (version > kSchemaVersion) {
      return Status::Unsupported(path_ + ": results store has schema version " + std::to_string(version) +
                                 ", newer than this barrage understands (" + std::to_string(kSchemaVersion) + ")");
    }
    // Migrations from older versions go here, one step per version.
    return Status::Ok();
  }

  // Queues `command` behind everything appended so far and waits for its result.
  Status RunCommand(std::function<Status()> command) {
    std::promise<Status> done;
    std::future<Status> result = done.get_future();
    {
      std::lock_guard lock(mu_);
      if (stop_ || !writer_.joinable()) return Status::InvalidArgument(path_ + ": results store is closed");
      queue_.push_back(Item{0, {}, std::move(command), &done});
    }
    work_cv_.notify_one();
    return result.get();
  }

  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      if (queue_.empty()) {
        if (stop_) break;
        if (in_transaction_) {
          if (!work_cv_.wait_until(lock, deadline_, [&] { return !queue_.empty() || stop_; })) {
            lock.unlock();
            Commit();
            lock.lock();
          }
        } else {
          work_cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
        }
        continue;
      }
      Item item = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      const size_t n = item.samples.size();
      if (item.command) {
        // Commit what came before; run the command even after a failure (best effort, e.g.
        // Finish recording `errored`); the caller sees the writer's error either way.
        Status committed = Commit();
        Status done = item.command();
        item.done->set_value(committed.ok() ? done : committed);
      } else {
        Write(item);
        if (in_transaction_ && std::chrono::steady_clock::now() >= deadline_) Commit();
      }
      lock.lock();
      queued_samples_ -= n;
      space_cv_.notify_all();
    }
    lock.unlock();
    Commit();
  }

  void Fail(Status st) {
    if (in_transaction_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      in_transaction_ = false;
    }
    rows_in_transaction_ = 0;
    std::lock_guard lock(mu_);
    if (writer_error_.ok()) writer_error_ = std::move(st);
    space_cv_.notify_all();
  }

  bool Step(sqlite3_stmt* s, const char* what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return true;
    Fail(DbError(db_, path_, what));
    return false;
  }

  Status Commit() {
    if (!in_transaction_) return WriterError();
    if (!Step(commit_.get(), "commit")) return WriterError();  // Fail() rolled back
    in_transaction_ = false;
    std::lock_guard lock(mu_);
    committed_ += rows_in_transaction_;
    rows_in_transaction_ = 0;
    return writer_error_;
  }

  Status WriterError() {
    std::lock_guard lock(mu_);
    return writer_error_;
  }

  // Loads the writer's per-execution state (label ids, next sample id) when samples of
  // another execution arrive; a new execution starts empty.
  bool UseExecution(int64_t execution) {
    if (execution == current_.execution) return true;
    current_ = ExecutionState{.execution = execution, .next_sample_id = FirstSampleId(execution), .labels = {}};
    Stmt s;
    if (sqlite3_prepare_v2(db_, "SELECT id, name FROM label WHERE execution_id = ?", -1, s.out(), nullptr) !=
        SQLITE_OK) {
      Fail(DbError(db_, path_, "read labels"));
      return false;
    }
    sqlite3_bind_int64(s.get(), 1, execution);
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      current_.labels[ColumnText(s.get(), 1)] = sqlite3_column_int64(s.get(), 0);
    }
    Stmt last;
    if (sqlite3_prepare_v2(db_, "SELECT max(id) FROM sample WHERE id BETWEEN ? AND ?", -1, last.out(), nullptr) !=
        SQLITE_OK) {
      Fail(DbError(db_, path_, "read samples"));
      return false;
    }
    sqlite3_bind_int64(last.get(), 1, FirstSampleId(execution));
    sqlite3_bind_int64(last.get(), 2, LastSampleId(execution));
    if (sqlite3_step(last.get()) == SQLITE_ROW && sqlite3_column_type(last.get(), 0) != SQLITE_NULL) {
      current_.next_sample_id = sqlite3_column_int64(last.get(), 0) + 1;
    }
    return true;
  }

  // The label's id in the current execution, stored on first sight; 0 on failure.
  int64_t LabelId(const std::string& name) {
    auto it = current_.labels.find(name);
    if (it != current_.labels.end()) return it->second;
    const int64_t id = static_cast<int64_t>(current_.labels.size()) + 1;
    sqlite3_stmt* s = insert_label_.get();
    sqlite3_bind_int64(s, 1, current_.execution);
    sqlite3_bind_int64(s, 2, id);
    BindText(s, 3, name);
    if (!Step(s, "insert label")) return 0;
    current_.labels.emplace(name, id);
    return id;
  }

  // Binds one sample at parameter offset `base` (0-based).
  static void BindSample(sqlite3_stmt* s, int base, int64_t id, int64_t execution, int64_t label,
                         const Sample& x) {
    sqlite3_bind_int64(s, base + 1, id);
    sqlite3_bind_int64(s, base + 2, execution);
    sqlite3_bind_int64(s, base + 3, label);
    BindText(s, base + 4, x.thread_name);
    sqlite3_bind_int64(s, base + 5, x.timestamp_ms);
    sqlite3_bind_int64(s, base + 6, x.elapsed_us);
    sqlite3_bind_int64(s, base + 7, x.latency_us);
    sqlite3_bind_int64(s, base + 8, x.connect_us);
    sqlite3_bind_int64(s, base + 9, x.idle_us);
    BindText(s, base + 10, x.response_code);
    BindText(s, base + 11, x.response_message);
    sqlite3_bind_int(s, base + 12, x.success ? 1 : 0);
    BindText(s, base + 13, x.failure_message);
    sqlite3_bind_int64(s, base + 14, x.bytes);
    sqlite3_bind_int64(s, base + 15, x.sent_bytes);
    sqlite3_bind_int(s, base + 16, x.grp_threads);
    sqlite3_bind_int(s, base + 17, x.all_threads);
    BindText(s, base + 18, x.url);
    BindText(s, base + 19, x.data_type);
  }

  void Write(const Item& item) {
    if (!WriterError().ok()) return;
    if (!in_transaction_) {
      if (!Step(begin_.get(), "begin transaction")) return;
      in_transaction_ = true;
      deadline_ = std::chrono::steady_clock::now() + options_.commit_interval;
    }
    if (!UseExecution(item.execution_id)) return;
    const std::vector<Sample>& samples = item.samples;
    if (current_.next_sample_id + static_cast<int64_t>(samples.size()) > LastSampleId(item.execution_id) + 1) {
      Fail(Status::Internal(path_ + ": execution " + std::to_string(item.execution_id) + " is full"));
      return;
    }
    label_ids_.resize(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      label_ids_[i] = LabelId(samples[i].label);
      if (label_ids_[i] == 0) return;
    }
    size_t i = 0;
    for (; i + kRowsPerInsert <= samples.size(); i += kRowsPerInsert) {
      sqlite3_stmt* s = insert_many_.get();
      for (int r = 0; r < kRowsPerInsert; ++r) {
        BindSample(s, r * kSampleColumns, current_.next_sample_id++, item.execution_id, label_ids_[i + r],
                   samples[i + r]);
      }
      if (!Step(s, "insert samples")) return;
    }
    for (; i < samples.size(); ++i) {
      BindSample(insert_one_.get(), 0, current_.next_sample_id++, item.execution_id, label_ids_[i], samples[i]);
      if (!Step(insert_one_.get(), "insert sample")) return;
    }
    rows_in_transaction_ += samples.size();
    if (rows_in_transaction_ >= options_.commit_every_samples) Commit();
  }

  const std::string path_;
  const Options options_;
  sqlite3* db_ = nullptr;  // the writer's connection: used by the writer thread once started
  Stmt insert_many_, insert_one_, insert_label_, begin_, commit_;
  std::thread writer_;

  // Writer-thread state.
  bool in_transaction_ = false;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t rows_in_transaction_ = 0;
  struct ExecutionState {
    int64_t execution = 0;
    int64_t next_sample_id = 0;
    std::unordered_map<std::string, int64_t> labels;  // name -> label.id
  };
  ExecutionState current_;
  std::vector<int64_t> label_ids_;

  mutable std::mutex mu_;  // guards the queue and everything below
  std::condition_variable work_cv_;
  std::condition_variable space_cv_;
  std::deque<Item> queue_;
  size_t queued_samples_ = 0;
  bool stop_ = false;
  int64_t current_execution_ = 0;
  Status writer_error_;
  uint64_t appended_ = 0;
  uint64_t committed_ = 0;

  std::mutex read_mu_;
  sqlite3* read_db_ = nullptr;
};

ResultsStore::ResultsStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;
ResultsStore::~ResultsStore() = default;

Result<ResultsStore> ResultsStore::Open(const std::string& path, Options options) {
  auto impl = std::make_unique<Impl>(path, options);
  if (Status st = impl->Open(); !st.ok()) return st;
  return ResultsStore(std::move(impl));
}

Result<int64_t> ResultsStore::BeginExecution(const ExecutionInfo& info) { return impl_->BeginExecution(info); }
Status ResultsStore::Append(std::vector<Sample>&& samples) { return impl_->Append(std::move(samples)); }
Status ResultsStore::Flush() { return impl_->Flush(); }
Status ResultsStore::Finish(ExecutionStatus status, int64_t ended_at_ms) {
  return impl_->Finish(status, ended_at_ms);
}
Status ResultsStore::Close() { return impl_ ? impl_->Close() : Status::Ok(); }
Result<int> ResultsStore::MarkInterruptedExecutions() { return impl_->MarkInterruptedExecutions(); }
const std::string& ResultsStore::path() const { return impl_->path(); }
uint64_t ResultsStore::samples_appended() const { return impl_->appended(); }
uint64_t ResultsStore::samples_committed() const { return impl_->committed(); }

Result<ExecutionRecord> ResultsStore::GetExecution(int64_t id) const {
  std::optional<ExecutionRecord> found;
  Status st = impl_->WithReader([&](sqlite3* db) {
    return impl_->Query(
        db, std::string(kExecutionSelect) + " WHERE id = ?",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, id); },
        [&](sqlite3_stmt* s) { found = ReadExecution(s); });
  });
  if (!st.ok()) return st;
  if (!found) return Status::NotFound(impl_->path() + ": no execution " + std::to_string(id));
  return *found;
}

Result<std::vector<ExecutionRecord>> ResultsStore::ListExecutions() const {
  std::vector<ExecutionRecord> all;
  Status st = impl_->WithReader([&](sqlite3* db) {
    return impl_->Query(db, std::string(kExecutionSelect) + " ORDER BY id", nullptr,
                        [&](sqlite3_stmt* s) { all.push_back(ReadExecution(s)); });
  });
  if (!st.ok()) return st;
  return all;
}

Result<int64_t> ResultsStore::CountSamples(int64_t execution_id) const {
  int64_t n = 0;
  Status st = impl_->WithReader([&](sqlite3* db) {
    return impl_->Query(
        db, "SELECT count(*) FROM sample WHERE id BETWEEN ? AND ?",
        [&](sqlite3_stmt* s) {
          sqlite3_bind_int64(s, 1, FirstSampleId(execution_id));
          sqlite3_bind_int64(s, 2, LastSampleId(execution_id));
        },
        [&](sqlite3_stmt* s) { n = sqlite3_column_int64(s, 0); });
  });
  if (!st.ok()) return st;
  return n;
}

Result<std::vector<std::string>> ResultsStore::Labels(int64_t execution_id) const {
  std::vector<std::string> names;
  Status st = impl_->WithReader([&](sqlite3* db) {
    return impl_->Query(
        db, "SELECT name FROM label WHERE execution_id = ? ORDER BY id",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) { names.push_back(ColumnText(s, 0)); });
  });
  if (!st.ok()) return st;
  return names;
}

Status ResultsStore::ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) const {
  Result<std::vector<std::string>> labels = Labels(execution_id);
  if (!labels.ok()) return labels.status();
  return impl_->WithReader([&](sqlite3* db) {
    Sample x;
    return impl_->Query(
        db, kSampleSelect,
        [&](sqlite3_stmt* s) {
          sqlite3_bind_int64(s, 1, FirstSampleId(execution_id));
          sqlite3_bind_int64(s, 2, LastSampleId(execution_id));
        },
        [&](sqlite3_stmt* s) {
          const int64_t label = sqlite3_column_int64(s, 0);
          x.label = label >= 1 && static_cast<size_t>(label) <= labels->size() ? (*labels)[label - 1] : "";
          x.thread_name = ColumnText(s, 1);
          x.timestamp_ms = sqlite3_column_int64(s, 2);
          x.elapsed_us = sqlite3_column_int64(s, 3);
          x.latency_us = sqlite3_column_int64(s, 4);
          x.connect_us = sqlite3_column_int64(s, 5);
          x.idle_us = sqlite3_column_int64(s, 6);
          x.response_code = ColumnText(s, 7);
          x.response_message = ColumnText(s, 8);
          x.success = sqlite3_column_int(s, 9) != 0;
          x.failure_message = ColumnText(s, 10);
          x.bytes = sqlite3_column_int64(s, 11);
          x.sent_bytes = sqlite3_column_int64(s, 12);
          x.grp_threads = sqlite3_column_int(s, 13);
          x.all_threads = sqlite3_column_int(s, 14);
          x.url = ColumnText(s, 15);
          x.data_type = ColumnText(s, 16);
          fn(x);
        });
  });
}

Status ResultsStore::CheckIntegrity() const {
  std::string report;
  Status st = impl_->WithReader([&](sqlite3* db) {
    return impl_->Query(db, "PRAGMA integrity_check", nullptr, [&](sqlite3_stmt* s) {
      if (!report.empty()) report += "; ";
      report += ColumnText(s, 0);
    });
  });
  if (!st.ok()) return st;
  if (report != "ok") return Status::Internal(impl_->path() + ": integrity check failed: " + report);
  return Status::Ok();
}

}  // namespace barrage
