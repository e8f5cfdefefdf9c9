#include "controller/sqlite_store.h"

#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/digest.h"
#include "common/host.h"
#include "common/input_file.h"
#include "controller/metric_bucket_builder.h"
#include "controller/sqlite_util.h"
#include "controller/store_schema.h"
#include "controller/wal_checkpointer.h"

namespace barrage {
namespace {

static_assert(ResultsStore::kSchemaVersion == kStoreSchemaVersion, "one schema version (store_schema.h)");

constexpr int kRowsPerInsert = 32;  // rows per multi-row INSERT statement
constexpr int kSampleColumns = 16;
// sample.id = execution id << kSampleSeqBits | sequence: an execution's samples are one
// contiguous range of the table's b-tree, found without a second index, and appends go to
// the end of the tree (SQLite's fast path). 2^40 samples per execution, 2^23 executions.
constexpr int kSampleSeqBits = 40;

int64_t FirstSampleId(int64_t execution) { return execution << kSampleSeqBits; }
int64_t LastSampleId(int64_t execution) { return FirstSampleId(execution + 1) - 1; }

// A sample row's interned parts (schema version 4), in the order of sample_row's columns
// thread_id, url_id, outcome_id.
enum SampleRef { kThread, kUrl, kOutcome, kSampleRefs };

constexpr const char* kSampleInsertHead =
    "INSERT INTO sample_row(id, label_id, ts_ms, elapsed_us, latency_us, connect_us, idle_us, bytes, sent_bytes, "
    "grp_threads, all_threads, worker_id, schedule_lag_us, thread_id, url_id, outcome_id) VALUES ";

constexpr const char* kSampleSelect =
    "SELECT label_id, ts_ms, elapsed_us, latency_us, connect_us, idle_us, bytes, sent_bytes, grp_threads, "
    "all_threads, schedule_lag_us, thread_id, url_id, outcome_id FROM sample_row WHERE id BETWEEN ? AND ? "
    "ORDER BY id";

// A sample's outcome as one dictionary key: success, then code, message, failure message and
// data type, each after its length.
void OutcomeKey(const Sample& x, std::string* key) {
  key->clear();
  key->push_back(x.success ? '1' : '0');
  for (const std::string* f : {&x.response_code, &x.response_message, &x.failure_message, &x.data_type}) {
    const auto n = static_cast<uint32_t>(f->size());
    key->append(reinterpret_cast<const char*>(&n), sizeof n);
    key->append(*f);
  }
}

constexpr const char* kBucketInsert =
    "INSERT INTO metric_bucket(execution_id, second, label_id, worker_id, count, errors, elapsed_sum_ms, "
    "elapsed_min_ms, elapsed_max_ms, bytes, sent_bytes, first_start_ms, last_end_ms, latency_sum_ms, "
    "connect_sum_ms, max_all_threads, max_grp_threads, histogram, late, corrected_histogram) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

constexpr const char* kErrorBucketInsert =
    "INSERT INTO error_bucket(execution_id, second, label_id, worker_id, type, count) VALUES (?,?,?,?,?,?)";

// verdict: '' without thresholds, 'failed' when one failed, else 'passed'.
constexpr const char* kExecutionSelect =
    "SELECT e.id, e.plan_path, e.plan_name, e.started_at, e.ended_at, e.status, p.name, e.definition_id, "
    "d.version, d.sha256, e.sample_count, "
    "(SELECT CASE WHEN count(*) = 0 THEN '' WHEN min(r.passed) = 1 THEN 'passed' ELSE 'failed' END "
    " FROM threshold t JOIN threshold_result r ON r.threshold_id = t.id WHERE t.execution_id = e.id), "
    "e.properties, e.infra, e.triggered_by, e.dropped_iterations, d.name "
    "FROM execution e JOIN project p ON p.id = e.project_id LEFT JOIN test_definition d ON d.id = e.definition_id";

// A plan's number as written: an integer, the expression's text, or NULL when unset.
void BindPlanValue(sqlite3_stmt* s, int i, const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty()) {
    sqlite3_bind_null(s, i);
  } else if (ec == std::errc() && end == text.data() + text.size()) {
    sqlite3_bind_int64(s, i, v);
  } else {
    BindText(s, i, text);
  }
}

ExecutionRecord ReadExecution(sqlite3_stmt* s) {
  ExecutionRecord r;
  r.id = sqlite3_column_int64(s, 0);
  r.plan_path = ColumnText(s, 1);
  r.plan_name = ColumnText(s, 2);
  r.started_at_ms = sqlite3_column_int64(s, 3);
  r.ended_at_ms = ColumnOptional(s, 4);
  r.status = ParseExecutionStatus(ColumnText(s, 5)).value_or(ExecutionStatus::kErrored);
  r.project = ColumnText(s, 6);
  r.definition_id = ColumnOptional(s, 7);
  r.definition_version = sqlite3_column_int64(s, 8);
  r.plan_sha256 = ColumnText(s, 9);
  r.samples = static_cast<uint64_t>(sqlite3_column_int64(s, 10));
  r.verdict = ColumnText(s, 11);
  r.properties_json = ColumnText(s, 12);
  r.infra_json = ColumnText(s, 13);
  r.triggered_by = ColumnText(s, 14);
  r.dropped_iterations = sqlite3_column_int64(s, 15);
  r.definition_name = ColumnText(s, 16);
  return r;
}

}  // namespace

class SqliteStore final : public StoreBackend {
 public:
  SqliteStore(std::string path, ResultsStore::Options options)
      : path_(std::move(path)), options_(std::move(options)), user_(CurrentOsUser()), host_(HostName("localhost")) {}

  ~SqliteStore() override {
    (void)Close();
    (void)CloseWriteConnection();  // when Open() failed before the writer started
    sqlite3_close(read_db_);
  }

  Status Open() override {
    if (options_.read_only) return OpenReadOnly();
    Result<sqlite3*> db = OpenConnection(path_, /*create=*/true);
    if (!db.ok()) return db.status();
    db_ = *db;
    // Every write transaction starts with BEGIN IMMEDIATE, so it takes the write lock
    // before reading anything and SQLite's busy handler can wait for another writer (a
    // deferred transaction that read first fails at once with "database is locked").
    sqlite3_busy_timeout(db_, static_cast<int>(options_.lock_timeout.count()));
    // Before the first write (journal_mode=WAL writes the header): another file is left as it is.
    if (Status st = CheckIsResultsStore(db_, path_, options_.must_exist); !st.ok()) return st;
    // WAL: readers run beside the writer. synchronous=NORMAL: fsync at checkpoints only;
    // a power loss can lose the last transactions but never corrupts the file.
    // A new, empty file is switched to WAL without syncing (there is nothing to lose yet):
    // the rollback journal's syncs of that first write cost tens of ms on a real disk, most
    // of a short run's start-up. It gets 16 KiB pages: sample rows are appended and read in
    // id ranges, and bigger pages take ~10 % less of the writer's CPU per sample (fewer
    // page writes and WAL frames) and a 10 % smaller file than 4 KiB (bench/RESULTS.md).
    const bool fresh = IsEmptyDatabase(db_);
    for (const char* pragma :
         {fresh ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=NORMAL", fresh ? "PRAGMA page_size=16384" : nullptr}) {
      if (pragma == nullptr) continue;
      if (Status st = Exec(db_, path_, pragma); !st.ok()) return st;
    }
    if (Status st = SetWalMode(db_, path_, options_.lock_timeout); !st.ok()) return st;
    for (const char* pragma : {"PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-8192", "PRAGMA temp_store=MEMORY"}) {
      if (Status st = Exec(db_, path_, pragma); !st.ok()) return st;
    }
    if (Status st = Exec(db_, path_, "BEGIN IMMEDIATE"); !st.ok()) return st;
    Status st = CreateOrMigrate();
    if (Status end = Exec(db_, path_, st.ok() ? "COMMIT" : "ROLLBACK"); st.ok()) st = end;
    if (!st.ok()) return st;
    Result<std::unique_ptr<WalCheckpointer>> checkpointer = WalCheckpointer::Start(db_, path_);
    if (!checkpointer.ok()) return checkpointer.status();
    checkpointer_ = std::move(checkpointer).value();
    writer_ = std::thread([this] { Run(); });
    // Whatever command opens the store, an orphan of a dead controller is found at once.
    Result<int> marked = MarkOrphans();
    if (!marked.ok()) return marked.status();
    marked_at_open_ = *marked;
    return Status::Ok();
  }

  // Options::read_only: the read connection only, on a store of this schema version.
  Status OpenReadOnly() {
    Result<sqlite3*> db = OpenConnection(path_, /*create=*/false);
    if (!db.ok()) return db.status();
    read_db_ = *db;
    if (Status st = CheckIsResultsStore(read_db_, path_, /*must_be_store=*/true); !st.ok()) return st;
    int64_t version = 0;
    Status st = Query(read_db_, "SELECT max(version) FROM schema_version", nullptr,
                      [&](sqlite3_stmt* q) { version = sqlite3_column_int64(q, 0); });
    if (!st.ok()) return st;
    if (version != ResultsStore::kSchemaVersion) {
      return Status::Unsupported(path_ + ": results store has schema version " + std::to_string(version) +
                                 "; a read-only handle reads version " + std::to_string(ResultsStore::kSchemaVersion) +
                                 " only (open it writable once to migrate it)");
    }
    return Status::Ok();
  }

  Status ReadOnlyError() const { return Status::InvalidArgument(path_ + ": results store is open read-only"); }

  Result<int64_t> BeginExecution(const ExecutionInfo& info) override {
    if (options_.read_only) return ReadOnlyError();
    {
      std::lock_guard lock(mu_);
      if (current_execution_ != 0) {
        return Status::InvalidArgument(path_ + ": execution " + std::to_string(current_execution_) +
                                       " is still running");
      }
    }
    if (info.project.empty()) return Status::InvalidArgument(path_ + ": the project name is empty");
    // Hashing happens here, not on the writer thread that ingest waits for.
    Definition def;
    if (!info.plan_jmx.empty()) {
      def.sha256 = Sha256Hex(info.plan_jmx);
      def.name = std::filesystem::path(info.plan_path).filename().string();
      if (def.name.empty()) def.name = info.plan_name;
      def.metadata = info.plan_metadata;
    }
    const std::optional<int64_t> start = ProcessStartTime(getpid());
    int64_t id = 0;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<int64_t> project = ProjectId(info.project);
        if (!project.ok()) return project.status();
        if (info.queued_id != 0) return StartQueued(info, start, &id);
        std::optional<int64_t> definition;
        int64_t version = 0;
        if (!info.plan_jmx.empty()) {
          if (Status s = StoreDefinition(*project, info.plan_jmx, def, &definition, &version); !s.ok()) return s;
        }
        if (Status s = InsertExecution(info, *project, definition, "running", start, &id); !s.ok()) return s;
        nlohmann::json details = {{"plan", info.plan_path}, {"project", info.project}};
        if (definition) details["definition_version"] = version;
        return InsertAudit("started", id, Dump(details));
      });
    });
    if (!st.ok()) return st;
    std::lock_guard lock(mu_);
    current_execution_ = id;
    return id;
  }

  // A new execution row with `status`, this process as its controller. Writer thread,
  // inside a transaction.
  Status InsertExecution(const ExecutionInfo& info, int64_t project, std::optional<int64_t> definition,
                         std::string_view status, const std::optional<int64_t>& start, int64_t* id) {
    Status s = Query(
        db_,
        "INSERT INTO execution(plan_path, plan_name, started_at, status, project_id, definition_id, properties, "
        "infra, triggered_by, controller_host, controller_pid, controller_start) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [&](sqlite3_stmt* q) {
          BindText(q, 1, info.plan_path);
          BindText(q, 2, info.plan_name);
          sqlite3_bind_int64(q, 3, info.started_at_ms);
          BindText(q, 4, status);
          sqlite3_bind_int64(q, 5, project);
          if (definition) sqlite3_bind_int64(q, 6, *definition);
          BindText(q, 7, info.properties_json);
          BindText(q, 8, info.infra_json);
          BindText(q, 9, info.triggered_by.empty() ? user_ : info.triggered_by);
          BindText(q, 10, host_);
          sqlite3_bind_int64(q, 11, getpid());
          if (start) sqlite3_bind_int64(q, 12, *start);
        },
        nullptr);
    if (!s.ok()) return s;
    *id = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  }

  // BeginExecution of a queued execution: the row becomes `running` with this run's facts;
  // its project, definition and triggered_by stay. Writer thread, inside a transaction.
  Status StartQueued(const ExecutionInfo& info, const std::optional<int64_t>& start, int64_t* id) {
    Status s = Query(
        db_,
        "UPDATE execution SET status = 'running', plan_path = ?, plan_name = ?, started_at = ?, properties = ?, "
        "infra = ?, controller_host = ?, controller_pid = ?, controller_start = ? WHERE id = ? AND status = 'queued'",
        [&](sqlite3_stmt* q) {
          BindText(q, 1, info.plan_path);
          BindText(q, 2, info.plan_name);
          sqlite3_bind_int64(q, 3, info.started_at_ms);
          BindText(q, 4, info.properties_json);
          BindText(q, 5, info.infra_json);
          BindText(q, 6, host_);
          sqlite3_bind_int64(q, 7, getpid());
          if (start) sqlite3_bind_int64(q, 8, *start);
          sqlite3_bind_int64(q, 9, info.queued_id);
        },
        nullptr);
    if (!s.ok()) return s;
    if (sqlite3_changes(db_) == 0) {
      return Status::InvalidArgument(path_ + ": run " + std::to_string(info.queued_id) + " is not queued");
    }
    *id = info.queued_id;
    return InsertAudit("started", *id, Dump({{"plan", info.plan_path}, {"project", info.project}}));
  }

  Result<int64_t> QueueExecution(const ExecutionInfo& info, int64_t definition_id) override {
    if (info.project.empty()) return Status::InvalidArgument(path_ + ": the project name is empty");
    const std::optional<int64_t> start = ProcessStartTime(getpid());
    int64_t id = 0;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<int64_t> project = ProjectId(info.project);
        if (!project.ok()) return project.status();
        bool found = false;
        Status s = Query(
            db_, "SELECT 1 FROM test_definition WHERE id = ? AND project_id = ?",
            [&](sqlite3_stmt* q) {
              sqlite3_bind_int64(q, 1, definition_id);
              sqlite3_bind_int64(q, 2, *project);
            },
            [&](sqlite3_stmt*) { found = true; });
        if (!s.ok()) return s;
        if (!found) {
          return Status::NotFound(path_ + ": no definition " + std::to_string(definition_id) + " in project '" +
                                  info.project + "'");
        }
        return InsertExecution(info, *project, definition_id, "queued", start, &id);
      });
    });
    if (!st.ok()) return st;
    return id;
  }

  Status EndQueuedExecution(int64_t execution_id, ExecutionStatus status, int64_t ended_at_ms,
                            std::string_view reason) override {
    return RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Status s = Query(
            db_, "UPDATE execution SET status = ?, ended_at = ? WHERE id = ? AND status = 'queued'",
            [&](sqlite3_stmt* q) {
              BindText(q, 1, ExecutionStatusName(status));
              sqlite3_bind_int64(q, 2, ended_at_ms);
              sqlite3_bind_int64(q, 3, execution_id);
            },
            nullptr);
        if (!s.ok()) return s;
        if (sqlite3_changes(db_) == 0) {
          return Status::InvalidArgument(path_ + ": run " + std::to_string(execution_id) + " is not queued");
        }
        return InsertAudit("stopped", execution_id,
                           Dump({{"status", ExecutionStatusName(status)}, {"reason", std::string(reason)}}));
      });
    });
  }

  Result<DefinitionRecord> PutDefinition(const std::string& name, const std::string& sha256, const std::string& jmx,
                                         const std::optional<PlanMetadata>& metadata,
                                         const std::vector<DefinitionFile>& files) override {
    Definition def{sha256, name, metadata};
    DefinitionRecord out;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<int64_t> project = ProjectId(options_.project);
        if (!project.ok()) return project.status();
        std::optional<int64_t> before;
        Status s = Query(
            db_, "SELECT id FROM test_definition WHERE project_id = ? AND sha256 = ?",
            [&](sqlite3_stmt* q) {
              sqlite3_bind_int64(q, 1, *project);
              BindText(q, 2, sha256);
            },
            [&](sqlite3_stmt* q) { before = sqlite3_column_int64(q, 0); });
        if (!s.ok()) return s;
        std::optional<int64_t> id;
        if (s = StoreDefinition(*project, jmx, def, &id, &out.version); !s.ok()) return s;
        out.id = *id;
        out.created = !before.has_value();
        if (!out.created) return Status::Ok();
        for (const DefinitionFile& f : files) {
          s = Query(
              db_, "INSERT INTO definition_file(definition_id, name, sha256, size) VALUES (?, ?, ?, ?)",
              [&](sqlite3_stmt* q) {
                sqlite3_bind_int64(q, 1, out.id);
                BindText(q, 2, f.name);
                BindText(q, 3, f.sha256);
                sqlite3_bind_int64(q, 4, f.size);
              },
              nullptr);
          if (!s.ok()) return s;
        }
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    Result<DefinitionRecord> stored = ReadDefinition(out.id);
    if (!stored.ok()) return stored.status();
    stored->created = out.created;
    return stored;
  }

  // One definition with its files, through the read connection.
  Result<DefinitionRecord> ReadDefinition(int64_t id) {
    std::optional<DefinitionRecord> found;
    Status st = WithReader([&](sqlite3* db) {
      Status s = Query(
          db, "SELECT id, name, version, sha256, created_at FROM test_definition WHERE id = ?",
          [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, id); },
          [&](sqlite3_stmt* q) {
            found = DefinitionRecord{sqlite3_column_int64(q, 0),
                                     ColumnText(q, 1),
                                     sqlite3_column_int64(q, 2),
                                     ColumnText(q, 3),
                                     sqlite3_column_int64(q, 4),
                                     {},
                                     false};
          });
      if (!s.ok() || !found) return s;
      return Query(
          db, "SELECT name, sha256, size FROM definition_file WHERE definition_id = ? ORDER BY name",
          [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, id); },
          [&](sqlite3_stmt* q) {
            found->files.push_back({ColumnText(q, 0), ColumnText(q, 1), sqlite3_column_int64(q, 2)});
          });
    });
    if (!st.ok()) return st;
    if (!found) return Status::NotFound(path_ + ": no definition " + std::to_string(id));
    return *found;
  }

  Status Append(std::vector<Sample>&& samples, int32_t worker_id) override {
    if (options_.read_only) return ReadOnlyError();
    std::vector<Item> spent;  // destroyed after the lock is released, on this thread
    std::unique_lock lock(mu_);
    spent.swap(spent_);
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(path_ + ": results store is closed");
    if (current_execution_ == 0) return Status::InvalidArgument(path_ + ": no execution is running");
    if (samples.empty()) return Status::Ok();
    const int64_t execution = current_execution_;
    space_cv_.wait(lock, [&] { return queued_samples_ < options_.max_queued_samples || !writer_error_.ok() || stop_; });
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(path_ + ": results store is closed");
    queued_samples_ += samples.size();
    appended_ += samples.size();
    queue_.push_back(Item{execution, worker_id, std::move(samples), nullptr, nullptr});
    work_cv_.notify_one();
    return Status::Ok();
  }

  Status Flush() override {
    Status st = RunCommand([] { return Status::Ok(); });
    std::lock_guard lock(mu_);
    return writer_error_.ok() ? st : writer_error_;
  }

  Status Finish(ExecutionStatus status, std::optional<int64_t> ended_at_ms) override {
    if (options_.read_only) return ReadOnlyError();
    int64_t id;
    {
      std::lock_guard lock(mu_);
      if (current_execution_ == 0) return Status::InvalidArgument(path_ + ": no execution is running");
      id = current_execution_;
      current_execution_ = 0;
    }
    Status st = RunCommand([&]() -> Status {
      // Samples that could not be stored make the results incomplete, whatever the run says.
      const std::string_view name = ExecutionStatusName(WriterError().ok() ? status : ExecutionStatus::kErrored);
      return Transaction([&]() -> Status {
        Status s = Query(
            db_, "UPDATE execution SET status = ?, ended_at = ? WHERE id = ?",
            [&](sqlite3_stmt* q) {
              BindText(q, 1, name);
              if (ended_at_ms) sqlite3_bind_int64(q, 2, *ended_at_ms);
              sqlite3_bind_int64(q, 3, id);
            },
            nullptr);
        if (!s.ok()) return s;
        int64_t samples = 0;
        s = Query(
            db_, "SELECT sample_count FROM execution WHERE id = ?",
            [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, id); },
            [&](sqlite3_stmt* q) { samples = sqlite3_column_int64(q, 0); });
        if (!s.ok()) return s;
        return InsertAudit("stopped", id, Dump({{"status", name}, {"samples", samples}}));
      });
    });
    std::lock_guard lock(mu_);
    return writer_error_.ok() ? st : writer_error_;
  }

  Status Close() override {
    bool running;
    {
      std::lock_guard lock(mu_);
      if (!writer_.joinable()) return writer_error_;
      running = current_execution_ != 0;
    }
    Status finish = running ? Finish(ExecutionStatus::kAborted, WallMillis()) : Status::Ok();
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

  Result<int> MarkInterruptedExecutions() override {
    Result<int> marked = MarkOrphans();
    if (!marked.ok()) return marked;
    return *marked + marked_at_open_.exchange(0);
  }

  Result<int> MarkOrphans() {
    int changed = 0;
    Status st = RunCommand([&]() -> Status {
      int64_t own = 0;
      {
        std::lock_guard lock(mu_);
        own = current_execution_;
      }
      struct Running {
        int64_t id;
        std::optional<std::string> host;
        std::optional<int64_t> pid, start;
      };
      std::vector<Running> running;
      Status s = Query(
          db_,
          "SELECT id, controller_host, controller_pid, controller_start FROM execution WHERE status IN ('running', "
          "'queued') "
          "AND id <> ?",
          [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, own); },
          [&](sqlite3_stmt* q) {
            Running r{sqlite3_column_int64(q, 0), std::nullopt, ColumnOptional(q, 2), ColumnOptional(q, 3)};
            if (sqlite3_column_type(q, 1) != SQLITE_NULL) r.host = ColumnText(q, 1);
            running.push_back(std::move(r));
          });
      if (!s.ok()) return s;
      return Transaction([&]() -> Status {
        for (const Running& r : running) {
          std::string reason;
          if (!r.pid) {
            reason = "no controller recorded";
          } else if (r.host && *r.host != host_) {
            continue;  // another host's controller: cannot tell whether it still runs
          } else if (std::optional<int64_t> start = ProcessStartTime(*r.pid);
                     start && (!r.start || *start == *r.start)) {
            continue;  // its controller is alive
          } else {
            reason = "controller pid " + std::to_string(*r.pid) + " on " + host_ + " is gone";
          }
          Status u = Query(
              db_, "UPDATE execution SET status = 'aborted' WHERE id = ? AND status IN ('running', 'queued')",
              [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, r.id); }, nullptr);
          if (!u.ok()) return u;
          if (sqlite3_changes(db_) == 0) continue;
          ++changed;
          if (Status a = InsertAudit("stopped", r.id, Dump({{"status", "aborted"}, {"reason", reason}})); !a.ok()) {
            return a;
          }
        }
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    return changed;
  }

  Status SetExecutionStatus(int64_t execution_id, ExecutionStatus status) override {
    return RunCommand([&]() -> Status {
      Status s = Query(
          db_, "UPDATE execution SET status = ? WHERE id = ?",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, ExecutionStatusName(status));
            sqlite3_bind_int64(q, 2, execution_id);
          },
          nullptr);
      if (!s.ok()) return s;
      if (sqlite3_changes(db_) == 0) return NoExecution(execution_id);
      return Status::Ok();
    });
  }

  Status SetExecutionDroppedIterations(int64_t execution_id, int64_t dropped) override {
    return RunCommand([&]() -> Status {
      Status s = Query(
          db_, "UPDATE execution SET dropped_iterations = ? WHERE id = ?",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, dropped);
            sqlite3_bind_int64(q, 2, execution_id);
          },
          nullptr);
      if (!s.ok()) return s;
      if (sqlite3_changes(db_) == 0) return NoExecution(execution_id);
      return Status::Ok();
    });
  }

  Status SetExecutionInfra(int64_t execution_id, const std::string& infra_json) override {
    return RunCommand([&]() -> Status {
      Status s = Query(
          db_, "UPDATE execution SET infra = ? WHERE id = ?",
          [&](sqlite3_stmt* q) {
            BindText(q, 1, infra_json);
            sqlite3_bind_int64(q, 2, execution_id);
          },
          nullptr);
      if (!s.ok()) return s;
      if (sqlite3_changes(db_) == 0) return NoExecution(execution_id);
      return Status::Ok();
    });
  }

  Status RecordThresholdResults(int64_t execution_id, const std::vector<ThresholdRecord>& results) override {
    return RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        if (Status s = CheckExecution(execution_id); !s.ok()) return s;
        auto bind_id = [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution_id); };
        Status s = Query(db_,
                         "DELETE FROM threshold_result WHERE threshold_id IN "
                         "(SELECT id FROM threshold WHERE execution_id = ?)",
                         bind_id, nullptr);
        if (s.ok()) s = Query(db_, "DELETE FROM threshold WHERE execution_id = ?", bind_id, nullptr);
        if (!s.ok()) return s;
        const int64_t now = WallMillis();
        int failed = 0;
        for (size_t i = 0; i < results.size(); ++i) {
          const ThresholdRecord& r = results[i];
          s = Query(
              db_,
              "INSERT INTO threshold(execution_id, position, expression, label, metric, op, target) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              [&](sqlite3_stmt* q) {
                sqlite3_bind_int64(q, 1, execution_id);
                sqlite3_bind_int64(q, 2, static_cast<int64_t>(i));
                BindText(q, 3, r.expression);
                BindText(q, 4, r.label);
                BindText(q, 5, r.metric);
                BindText(q, 6, r.op);
                sqlite3_bind_double(q, 7, r.target);
              },
              nullptr);
          if (!s.ok()) return s;
          const int64_t threshold_id = sqlite3_last_insert_rowid(db_);
          s = Query(
              db_, "INSERT INTO threshold_result(threshold_id, observed, passed, evaluated_at) VALUES (?, ?, ?, ?)",
              [&](sqlite3_stmt* q) {
                sqlite3_bind_int64(q, 1, threshold_id);
                sqlite3_bind_double(q, 2, r.observed);
                sqlite3_bind_int(q, 3, r.passed ? 1 : 0);
                sqlite3_bind_int64(q, 4, now);
              },
              nullptr);
          if (!s.ok()) return s;
          failed += r.passed ? 0 : 1;
        }
        return InsertAudit("evaluated", execution_id, Dump({{"thresholds", results.size()}, {"failed", failed}}));
      });
    });
  }

  Status UpsertExecutionWorker(int64_t execution_id, const ExecutionWorkerRecord& w) override {
    return RunCommand([&]() -> Status {
      if (Status s = CheckExecution(execution_id); !s.ok()) return s;
      return Query(
          db_,
          "INSERT OR REPLACE INTO execution_worker(execution_id, worker_id, name, host, joined_at, left_at, state, "
          "samples_received, batches_received, samples_lost, duplicate_batches, clock_offset_us) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, execution_id);
            sqlite3_bind_int(q, 2, w.worker_id);
            BindText(q, 3, w.name);
            BindText(q, 4, w.host);
            sqlite3_bind_int64(q, 5, w.joined_at_ms);
            if (w.left_at_ms) sqlite3_bind_int64(q, 6, *w.left_at_ms);
            BindText(q, 7, w.state);
            BindU64(q, 8, w.samples_received);
            BindU64(q, 9, w.batches_received);
            BindU64(q, 10, w.samples_lost);
            BindU64(q, 11, w.duplicate_batches);
            sqlite3_bind_int64(q, 12, w.clock_offset_us);
          },
          nullptr);
    });
  }

  Result<int64_t> DeleteExecution(int64_t execution_id) override {
    int64_t samples = 0;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        std::optional<std::string> status;
        Status s = Query(
            db_, "SELECT status, sample_count FROM execution WHERE id = ?",
            [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution_id); },
            [&](sqlite3_stmt* q) {
              status = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
              samples = sqlite3_column_int64(q, 1);
            });
        if (!s.ok()) return s;
        if (!status) return NoExecution(execution_id);
        if (*status == "running" || *status == "queued") {
          return Status::InvalidArgument(path_ + ": run " + std::to_string(execution_id) + " is still " +
                                         (*status == "queued" ? "queued" : "running"));
        }
        auto bind_id = [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution_id); };
        // Children first; the audit log keeps its entries (they say who deleted what).
        for (const char* sql : {
                 "DELETE FROM threshold_result WHERE threshold_id IN (SELECT id FROM threshold WHERE execution_id = ?)",
                 "DELETE FROM threshold WHERE execution_id = ?",
                 "DELETE FROM metric_bucket WHERE execution_id = ?",
                 "DELETE FROM error_bucket WHERE execution_id = ?",
                 "DELETE FROM execution_worker WHERE execution_id = ?",
                 "DELETE FROM label WHERE execution_id = ?",
                 "DELETE FROM execution WHERE id = ?",
             }) {
          if (s = Query(db_, sql, bind_id, nullptr); !s.ok()) return s;
        }
        s = Query(
            db_, "DELETE FROM sample_row WHERE id BETWEEN ? AND ?",
            [&](sqlite3_stmt* q) {
              sqlite3_bind_int64(q, 1, FirstSampleId(execution_id));
              sqlite3_bind_int64(q, 2, LastSampleId(execution_id));
            },
            nullptr);
        if (s.ok()) s = Query(db_, "DELETE FROM sample_text WHERE execution_id = ?", bind_id, nullptr);
        if (s.ok()) s = Query(db_, "DELETE FROM sample_outcome WHERE execution_id = ?", bind_id, nullptr);
        if (!s.ok()) return s;
        return InsertAudit("deleted", execution_id, "status " + *status + ", " + std::to_string(samples) + " samples");
      });
    });
    if (!st.ok()) return st;
    return samples;
  }

  Status Audit(std::string_view what, int64_t execution_id, std::string_view details) override {
    return RunCommand([&]() -> Status {
      return InsertAudit(what, execution_id == 0 ? std::nullopt : std::optional<int64_t>(execution_id), details);
    });
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

  // Runs one statement: bind, then row() for each result row. Any thread, any connection.
  Status Query(sqlite3* db, const std::string& sql, const std::function<void(sqlite3_stmt*)>& bind,
               const std::function<void(sqlite3_stmt*)>& row) {
    return QueryRows(db, path_, sql, bind, row);
  }

  Status NoExecution(int64_t id) const { return Status::NotFound(path_ + ": no execution " + std::to_string(id)); }

  const std::string& path() const override { return path_; }
  const std::string& project() const { return options_.project; }

  Result<ExecutionRecord> GetExecution(int64_t id) override;
  Result<std::vector<ExecutionRecord>> ListExecutions() override;
  Result<int64_t> ResolveRun(std::string_view ref) override;
  Result<int64_t> CountSamples(int64_t execution_id) override;
  Result<uint64_t> CountErrors(int64_t execution_id) override;
  Result<std::vector<std::string>> Labels(int64_t execution_id) override;
  Status ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) override;
  Status ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) override;
  Status ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) override;
  Result<std::vector<ThresholdRecord>> ThresholdResults(int64_t execution_id) override;
  Result<std::vector<ExecutionWorkerRecord>> ExecutionWorkers(int64_t execution_id) override;
  Result<std::vector<DefinitionRecord>> ListDefinitions() override;
  Result<DefinitionRecord> GetDefinition(std::string_view name, std::optional<int64_t> version) override;
  Result<std::string> DefinitionJmx(int64_t definition_id) override;
  Result<std::vector<AuditRecord>> AuditLog(int64_t execution_id) override;
  Status CheckIntegrity() override;

  uint64_t appended() const override {
    std::lock_guard lock(mu_);
    return appended_;
  }
  uint64_t committed() const override {
    std::lock_guard lock(mu_);
    return committed_;
  }
  Status error() const override {
    std::lock_guard lock(mu_);
    return writer_error_;
  }

 private:
  struct Item {
    int64_t execution_id = 0;
    int32_t worker_id = 0;
    std::vector<Sample> samples;
    std::function<Status()> command;  // runs on the writer thread, after a commit
    std::promise<Status>* done = nullptr;
  };

  struct Definition {
    std::string sha256;
    std::string name;
    std::optional<PlanMetadata> metadata;
  };

  static std::string Dump(const nlohmann::json& j) { return DumpAuditJson(j); }

  Status CloseWriteConnection() {
    if (!db_) return Status::Ok();
    checkpointer_.reset();  // before the connection whose WAL hook it is
    insert_many_ = Stmt();
    insert_one_ = Stmt();
    insert_label_ = Stmt();
    insert_text_ = Stmt();
    insert_outcome_ = Stmt();
    begin_ = Stmt();
    commit_ = Stmt();
    insert_bucket_ = Stmt();
    insert_error_ = Stmt();
    add_samples_ = Stmt();
    Status st;
    if (sqlite3_close(db_) != SQLITE_OK) {
      st = DbError(db_, path_, "close");
      sqlite3_close_v2(db_);  // finishes closing once the last statement is gone
    }
    db_ = nullptr;
    return st;
  }

  // Inside Open()'s transaction: schema, statements, and the rollups of executions stored
  // by a version-1 file (which had none).
  Status CreateOrMigrate() {
    Result<int> from = CreateOrMigrateSchema(db_, path_, WallMillis());
    if (!from.ok()) return from.status();
    std::string many = kSampleInsertHead;
    for (int r = 0; r < kRowsPerInsert; ++r) {
      many += r ? ",(" : "(";
      for (int c = 0; c < kSampleColumns; ++c) many += c ? ",?" : "?";
      many += ')';
    }
    std::string one = std::string(kSampleInsertHead) + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    for (auto [sql, stmt] :
         {std::pair{many, &insert_many_}, std::pair{one, &insert_one_},
          std::pair{std::string("INSERT INTO label(execution_id, id, name) VALUES (?,?,?)"), &insert_label_},
          std::pair{std::string("INSERT INTO sample_text(execution_id, id, value) VALUES (?,?,?)"), &insert_text_},
          std::pair{std::string("INSERT INTO sample_outcome(execution_id, id, success, code, message, "
                                "failure_message, data_type) VALUES (?,?,?,?,?,?,?)"),
                    &insert_outcome_},
          std::pair{std::string("BEGIN IMMEDIATE"), &begin_}, std::pair{std::string("COMMIT"), &commit_},
          std::pair{std::string(kBucketInsert), &insert_bucket_},
          std::pair{std::string(kErrorBucketInsert), &insert_error_},
          std::pair{std::string("UPDATE execution SET sample_count = sample_count + ? WHERE id = ?"), &add_samples_}}) {
      if (Status st = Prepare(db_, path_, sql, stmt); !st.ok()) return st;
    }
    if (*from == 1) return BackfillBuckets();
    return Status::Ok();
  }

  Status BackfillBuckets() {
    std::vector<int64_t> executions;
    Status st = Query(db_, "SELECT id FROM execution ORDER BY id", nullptr,
                      [&](sqlite3_stmt* q) { executions.push_back(sqlite3_column_int64(q, 0)); });
    for (int64_t e : executions) {
      if (!st.ok()) break;
      BucketBuilder builder;
      Sample x;
      st = Query(
          db_,
          "SELECT label_id, ts_ms, elapsed_us, latency_us, connect_us, success, code, message, failure_message, "
          "bytes, sent_bytes, grp_threads, all_threads FROM sample WHERE id BETWEEN ? AND ? ORDER BY id",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, FirstSampleId(e));
            sqlite3_bind_int64(q, 2, LastSampleId(e));
          },
          [&](sqlite3_stmt* q) {
            x.timestamp_ms = sqlite3_column_int64(q, 1);
            x.elapsed_us = sqlite3_column_int64(q, 2);
            x.latency_us = sqlite3_column_int64(q, 3);
            x.connect_us = sqlite3_column_int64(q, 4);
            x.success = sqlite3_column_int(q, 5) != 0;
            x.response_code = ColumnText(q, 6);
            x.response_message = ColumnText(q, 7);
            x.failure_message = ColumnText(q, 8);
            x.bytes = sqlite3_column_int64(q, 9);
            x.sent_bytes = sqlite3_column_int64(q, 10);
            x.grp_threads = sqlite3_column_int(q, 11);
            x.all_threads = sqlite3_column_int(q, 12);
            builder.Add(e, sqlite3_column_int64(q, 0), 0, x);
          });
      if (st.ok()) st = WriteBuckets(builder, /*count_samples=*/false);
    }
    return st;
  }

  // The rows of `builder` (and, with count_samples, execution.sample_count), on the
  // writer's connection inside its transaction.
  Status WriteBuckets(const BucketBuilder& builder, bool count_samples) {
    sqlite3_stmt* b = insert_bucket_.get();
    for (const auto& [key, acc] : builder.Buckets()) {
      const AggregateStats& st = acc->stats;
      const std::string histogram = st.elapsed_ms.Serialize();
      sqlite3_bind_int64(b, 1, key.execution);
      sqlite3_bind_int64(b, 2, key.second);
      sqlite3_bind_int64(b, 3, key.label);
      sqlite3_bind_int(b, 4, key.worker);
      BindU64(b, 5, st.elapsed_ms.count());
      BindU64(b, 6, st.errors);
      sqlite3_bind_int64(b, 7, st.elapsed_ms.sum());
      sqlite3_bind_int64(b, 8, st.elapsed_ms.min());
      sqlite3_bind_int64(b, 9, st.elapsed_ms.max());
      sqlite3_bind_int64(b, 10, st.bytes);
      sqlite3_bind_int64(b, 11, st.sent_bytes);
      sqlite3_bind_int64(b, 12, st.first_start_ms);
      sqlite3_bind_int64(b, 13, st.last_end_ms);
      sqlite3_bind_int64(b, 14, acc->latency_sum_ms);
      sqlite3_bind_int64(b, 15, acc->connect_sum_ms);
      sqlite3_bind_int(b, 16, acc->max_all_threads);
      sqlite3_bind_int(b, 17, acc->max_grp_threads);
      sqlite3_bind_blob(b, 18, histogram.data(), static_cast<int>(histogram.size()), SQLITE_STATIC);
      const std::string corrected = st.late ? st.corrected_ms.Serialize() : std::string();
      BindU64(b, 19, st.late);
      if (st.late) {
        sqlite3_bind_blob(b, 20, corrected.data(), static_cast<int>(corrected.size()), SQLITE_STATIC);
      } else {
        sqlite3_bind_null(b, 20);
      }
      const int rc = sqlite3_step(b);
      sqlite3_reset(b);
      if (rc != SQLITE_DONE) return DbError(db_, path_, "insert metric bucket");
    }
    sqlite3_stmt* e = insert_error_.get();
    for (const auto& [key, count] : builder.errors()) {
      sqlite3_bind_int64(e, 1, key.bucket.execution);
      sqlite3_bind_int64(e, 2, key.bucket.second);
      sqlite3_bind_int64(e, 3, key.bucket.label);
      sqlite3_bind_int(e, 4, key.bucket.worker);
      BindText(e, 5, key.type);
      BindU64(e, 6, count);
      const int rc = sqlite3_step(e);
      sqlite3_reset(e);
      if (rc != SQLITE_DONE) return DbError(db_, path_, "insert error bucket");
    }
    if (!count_samples) return Status::Ok();
    sqlite3_stmt* c = add_samples_.get();
    for (const auto& [execution, n] : builder.samples()) {
      BindU64(c, 1, n);
      sqlite3_bind_int64(c, 2, execution);
      const int rc = sqlite3_step(c);
      sqlite3_reset(c);
      if (rc != SQLITE_DONE) return DbError(db_, path_, "count samples");
    }
    return Status::Ok();
  }

  // Runs body inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails). Writer thread.
  Status Transaction(const std::function<Status()>& body) { return ImmediateTransaction(db_, path_, body); }

  Status CheckExecution(int64_t id) {
    bool found = false;
    Status s = Query(
        db_, "SELECT 1 FROM execution WHERE id = ?", [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, id); },
        [&](sqlite3_stmt*) { found = true; });
    if (!s.ok()) return s;
    return found ? Status::Ok() : NoExecution(id);
  }

  // The project's id, created on first use. Writer thread.
  Result<int64_t> ProjectId(const std::string& name) {
    auto bind = [&](sqlite3_stmt* q) { BindText(q, 1, name); };
    Status s = Query(
        db_, "INSERT INTO project(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
        [&](sqlite3_stmt* q) {
          BindText(q, 1, name);
          sqlite3_bind_int64(q, 2, WallMillis());
        },
        nullptr);
    int64_t id = 0;
    if (s.ok()) {
      s = Query(db_, "SELECT id FROM project WHERE name = ?", bind,
                [&](sqlite3_stmt* q) { id = sqlite3_column_int64(q, 0); });
    }
    if (!s.ok()) return s;
    return id;
  }

  // Finds the project's definition with these bytes or stores it as the next version of
  // its name, with its metadata. Writer thread, inside a transaction.
  Status StoreDefinition(int64_t project, const std::string& jmx, const Definition& def, std::optional<int64_t>* id,
                         int64_t* version) {
    Status s = Query(
        db_, "SELECT id, version FROM test_definition WHERE project_id = ? AND sha256 = ?",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, project);
          BindText(q, 2, def.sha256);
        },
        [&](sqlite3_stmt* q) {
          *id = sqlite3_column_int64(q, 0);
          *version = sqlite3_column_int64(q, 1);
        });
    if (!s.ok() || id->has_value()) return s;
    s = Query(
        db_, "SELECT coalesce(max(version), 0) + 1 FROM test_definition WHERE project_id = ? AND name = ?",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, project);
          BindText(q, 2, def.name);
        },
        [&](sqlite3_stmt* q) { *version = sqlite3_column_int64(q, 0); });
    if (!s.ok()) return s;
    s = Query(
        db_,
        "INSERT INTO test_definition(project_id, name, version, sha256, jmx, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, project);
          BindText(q, 2, def.name);
          sqlite3_bind_int64(q, 3, *version);
          BindText(q, 4, def.sha256);
          sqlite3_bind_blob(q, 5, jmx.data(), static_cast<int>(jmx.size()), SQLITE_STATIC);
          sqlite3_bind_int64(q, 6, WallMillis());
        },
        nullptr);
    if (!s.ok()) return s;
    *id = sqlite3_last_insert_rowid(db_);
    if (!def.metadata) return Status::Ok();
    const PlanMetadata& m = *def.metadata;
    const int64_t d = **id;
    for (size_t i = 0; i < m.thread_groups.size() && s.ok(); ++i) {
      const auto& t = m.thread_groups[i];
      // Bound SQLITE_STATIC: the texts live until the statement has run.
      const std::string threads = PlanValueText(t.threads), ramp_time = PlanValueText(t.ramp_time),
                        loops = PlanValueText(t.loops), duration = PlanValueText(t.duration);
      s = Query(
          db_,
          "INSERT INTO definition_thread_group(definition_id, position, name, kind, threads, ramp_time, loops, "
          "duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, d);
            sqlite3_bind_int64(q, 2, static_cast<int64_t>(i));
            BindText(q, 3, t.name);
            BindText(q, 4, t.kind);
            BindPlanValue(q, 5, threads);
            BindPlanValue(q, 6, ramp_time);
            BindPlanValue(q, 7, loops);
            BindPlanValue(q, 8, duration);
          },
          nullptr);
    }
    for (size_t i = 0; i < m.samplers.size() && s.ok(); ++i) {
      const auto& x = m.samplers[i];
      s = Query(
          db_,
          "INSERT INTO definition_sampler(definition_id, position, name, kind, method, url) VALUES (?, ?, ?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, d);
            sqlite3_bind_int64(q, 2, static_cast<int64_t>(i));
            BindText(q, 3, x.name);
            BindText(q, 4, x.kind);
            BindOptionalText(q, 5, x.method);
            BindOptionalText(q, 6, x.url);
          },
          nullptr);
    }
    for (size_t i = 0; i < m.assertions.size() && s.ok(); ++i) {
      s = Query(
          db_, "INSERT INTO definition_assertion(definition_id, position, name, type) VALUES (?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, d);
            sqlite3_bind_int64(q, 2, static_cast<int64_t>(i));
            BindText(q, 3, m.assertions[i].name);
            BindText(q, 4, m.assertions[i].type);
          },
          nullptr);
    }
    for (size_t i = 0; i < m.data_files.size() && s.ok(); ++i) {
      s = Query(
          db_, "INSERT INTO definition_data_file(definition_id, position, path, variable_names) VALUES (?, ?, ?, ?)",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, d);
            sqlite3_bind_int64(q, 2, static_cast<int64_t>(i));
            BindText(q, 3, m.data_files[i].path);
            BindText(q, 4, m.data_files[i].variable_names);
          },
          nullptr);
    }
    return s;
  }

  // One audit_log row in the execution's project (the store's project without one).
  Status InsertAudit(std::string_view what, std::optional<int64_t> execution, std::string_view details) {
    return Query(
        db_,
        "INSERT INTO audit_log(at, who, what, project_id, execution_id, details) VALUES (?1, ?2, ?3, "
        "coalesce((SELECT project_id FROM execution WHERE id = ?4), (SELECT id FROM project WHERE name = ?5)), "
        "?4, ?6)",
        [&](sqlite3_stmt* q) {
          sqlite3_bind_int64(q, 1, WallMillis());
          BindText(q, 2, user_);
          BindText(q, 3, what);
          if (execution) sqlite3_bind_int64(q, 4, *execution);
          BindText(q, 5, options_.project);
          BindText(q, 6, details);
        },
        nullptr);
  }

  // Queues `command` behind everything appended so far and waits for its result.
  Status RunCommand(std::function<Status()> command) {
    std::promise<Status> done;
    std::future<Status> result = done.get_future();
    if (options_.read_only) return ReadOnlyError();
    {
      std::lock_guard lock(mu_);
      if (stop_ || !writer_.joinable()) return Status::InvalidArgument(path_ + ": results store is closed");
      queue_.push_back(Item{0, 0, {}, std::move(command), &done});
    }
    work_cv_.notify_one();
    return result.get();
  }

  // Gathers appended batches for up to commit_interval or commit_every_samples, then
  // writes them in one short transaction: the file's write lock, which every other
  // process writing this file waits for, is held only while writing, never while waiting
  // for samples.
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      if (queue_.empty()) {
        if (stop_) break;
        if (!pending_.empty()) {
          if (!work_cv_.wait_until(lock, deadline_, [&] { return !queue_.empty() || stop_; })) {
            lock.unlock();
            (void)WritePending();  // a failure stays in writer_error_
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
      if (item.command) {
        // Write what came before; run the command even after a failure (best effort, e.g.
        // Finish recording `errored`); the caller sees the writer's error either way.
        Status written = WritePending();
        Status done = item.command();
        item.done->set_value(written.ok() ? done : written);
      } else {
        const auto now = std::chrono::steady_clock::now();
        if (pending_.empty()) deadline_ = now + options_.commit_interval;
        pending_samples_ += item.samples.size();
        pending_.push_back(std::move(item));
        // Written at once when Append() would otherwise wait for room they hold.
        const size_t limit = std::min(options_.commit_every_samples, options_.max_queued_samples);
        if (pending_samples_ >= limit || now >= deadline_) (void)WritePending();  // a failure stays in writer_error_
      }
      lock.lock();
    }
    lock.unlock();
    (void)WritePending();  // a failure stays in writer_error_ (Close reports it)
  }

  // Writes the gathered batches in one BEGIN IMMEDIATE ... COMMIT (SQLite's busy handler
  // waits up to lock_timeout for another writer's lock). After a failure they are dropped:
  // the writer has stopped. Frees their room in the queue either way.
  Status WritePending() {
    if (pending_.empty()) return WriterError();
    if (WriterError().ok() && Begin()) {
      in_transaction_ = true;
      for (const Item& item : pending_) {
        Write(item);
        if (!in_transaction_) break;  // Fail() rolled back
      }
      (void)Commit();  // a failure stays in writer_error_, returned below
    }
    std::lock_guard lock(mu_);
    // The next Append() frees the written samples (their strings), on its thread: the writer
    // thread is the one ingest waits for. Nothing appended afterwards: freed with the store.
    if (spent_.empty()) {
      spent_.swap(pending_);
    } else {
      std::move(pending_.begin(), pending_.end(), std::back_inserter(spent_));
    }
    pending_.clear();
    queued_samples_ -= pending_samples_;
    pending_samples_ = 0;
    space_cv_.notify_all();
    return writer_error_;
  }

  void Fail(Status st) {
    if (in_transaction_) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      in_transaction_ = false;
    }
    rows_in_transaction_ = 0;
    buckets_.Clear();
    std::lock_guard lock(mu_);
    if (writer_error_.ok()) writer_error_ = std::move(st);
    space_cv_.notify_all();
  }

  // BEGIN IMMEDIATE on the writer's connection; Fail()s with a message that says how long
  // it waited when another connection kept the write lock.
  bool Begin() {
    const int rc = sqlite3_step(begin_.get());
    sqlite3_reset(begin_.get());
    if (rc == SQLITE_DONE) return true;
    if ((rc & 0xff) == SQLITE_BUSY) {
      Fail(Status::IoError(path_ +
                           ": begin transaction: database is locked: another connection kept the write lock "
                           "for more than " +
                           std::to_string(options_.lock_timeout.count()) + " ms"));
    } else {
      Fail(DbError(db_, path_, "begin transaction"));
    }
    return false;
  }

  bool Step(sqlite3_stmt* s, const char* what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return true;
    Fail(DbError(db_, path_, what));
    return false;
  }

  // Writes the transaction's rollups, then commits them with its samples.
  Status Commit() {
    if (!in_transaction_) return WriterError();
    if (Status st = WriteBuckets(buckets_, /*count_samples=*/true); !st.ok()) {
      Fail(std::move(st));
      return WriterError();
    }
    buckets_.Clear();
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
    current_ = ExecutionState{};
    current_.execution = execution;
    current_.next_sample_id = FirstSampleId(execution);
    Status st = Query(
        db_, "SELECT id, name FROM label WHERE execution_id = ?",
        [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution); },
        [&](sqlite3_stmt* q) { current_.labels[ColumnText(q, 1)] = sqlite3_column_int64(q, 0); });
    if (st.ok()) {
      st = Query(
          db_, "SELECT max(id) FROM sample_row WHERE id BETWEEN ? AND ?",
          [&](sqlite3_stmt* q) {
            sqlite3_bind_int64(q, 1, FirstSampleId(execution));
            sqlite3_bind_int64(q, 2, LastSampleId(execution));
          },
          [&](sqlite3_stmt* q) {
            if (sqlite3_column_type(q, 0) != SQLITE_NULL) current_.next_sample_id = sqlite3_column_int64(q, 0) + 1;
          });
    }
    // Texts and outcomes stored before are not cached: a value seen again gets a new id.
    if (st.ok()) {
      st = Query(
          db_, "SELECT max(id) FROM sample_text WHERE execution_id = ?",
          [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution); },
          [&](sqlite3_stmt* q) { current_.texts.last_id = sqlite3_column_int64(q, 0); });
    }
    if (st.ok()) {
      st = Query(
          db_, "SELECT max(id) FROM sample_outcome WHERE execution_id = ?",
          [&](sqlite3_stmt* q) { sqlite3_bind_int64(q, 1, execution); },
          [&](sqlite3_stmt* q) { current_.outcomes.last_id = sqlite3_column_int64(q, 0); });
    }
    if (!st.ok()) {
      current_ = ExecutionState{};
      Fail(std::move(st));
      return false;
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

  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
  };
  // sample_text or sample_outcome of one execution: key -> id, at most Options::max_cached_texts.
  struct Dictionary {
    std::unordered_map<std::string, int64_t, TextHash, std::equal_to<>> ids;
    int64_t last_id = 0;  // the highest id of the execution
  };
  struct LastValue {
    std::string_view key;  // a key of the Dictionary
    int64_t id = 0;        // 0: none
  };
  struct ExecutionState {
    int64_t execution = 0;
    int64_t next_sample_id = 0;
    std::unordered_map<std::string, int64_t> labels;  // name -> label.id
    Dictionary texts;                                 // thread names and URLs
    Dictionary outcomes;                              // OutcomeKey()s
    LastValue last[kSampleRefs];
  };

  // The id of `key` in `dict`, stored on first sight (or again after the dictionary was
  // emptied) by insert(id); 0 on failure. `last` is the column's last value: consecutive
  // samples mostly repeat an outcome, and often a URL.
  template <typename Insert>
  int64_t Intern(Dictionary& dict, LastValue& last, std::string_view key, Insert&& insert) {
    if (last.id != 0 && last.key == key) return last.id;
    auto it = dict.ids.find(key);
    if (it == dict.ids.end()) {
      if (dict.ids.size() >= options_.max_cached_texts) {
        dict.ids.clear();
        for (LastValue& l : current_.last) l = LastValue{};
      }
      const int64_t id = ++dict.last_id;
      if (!insert(id)) return 0;
      it = dict.ids.emplace(key, id).first;
    }
    last.key = it->first;
    last.id = it->second;
    return last.id;
  }

  int64_t TextId(SampleRef column, const std::string& value) {
    return Intern(current_.texts, current_.last[column], value, [&](int64_t id) {
      sqlite3_stmt* s = insert_text_.get();
      sqlite3_bind_int64(s, 1, current_.execution);
      sqlite3_bind_int64(s, 2, id);
      BindText(s, 3, value);
      return Step(s, "insert sample text");
    });
  }

  int64_t OutcomeId(const Sample& x) {
    OutcomeKey(x, &outcome_key_);
    return Intern(current_.outcomes, current_.last[kOutcome], outcome_key_, [&](int64_t id) {
      sqlite3_stmt* s = insert_outcome_.get();
      sqlite3_bind_int64(s, 1, current_.execution);
      sqlite3_bind_int64(s, 2, id);
      sqlite3_bind_int(s, 3, x.success ? 1 : 0);
      BindText(s, 4, x.response_code);
      BindText(s, 5, x.response_message);
      BindText(s, 6, x.failure_message);
      BindText(s, 7, x.data_type);
      return Step(s, "insert sample outcome");
    });
  }

  // Binds one sample at parameter offset `base` (0-based); refs = its kSampleRefs ids.
  static void BindSample(sqlite3_stmt* s, int base, int64_t id, int64_t label, int32_t worker, const int64_t* refs,
                         const Sample& x) {
    sqlite3_bind_int64(s, base + 1, id);
    sqlite3_bind_int64(s, base + 2, label);
    sqlite3_bind_int64(s, base + 3, x.timestamp_ms);
    sqlite3_bind_int64(s, base + 4, x.elapsed_us);
    sqlite3_bind_int64(s, base + 5, x.latency_us);
    sqlite3_bind_int64(s, base + 6, x.connect_us);
    sqlite3_bind_int64(s, base + 7, x.idle_us);
    sqlite3_bind_int64(s, base + 8, x.bytes);
    sqlite3_bind_int64(s, base + 9, x.sent_bytes);
    sqlite3_bind_int(s, base + 10, x.grp_threads);
    sqlite3_bind_int(s, base + 11, x.all_threads);
    sqlite3_bind_int(s, base + 12, worker);
    sqlite3_bind_int64(s, base + 13, x.schedule_lag_us);
    for (int r = 0; r < kSampleRefs; ++r) sqlite3_bind_int64(s, base + 14 + r, refs[r]);
  }

  // One batch, inside WritePending()'s transaction.
  void Write(const Item& item) {
    if (!UseExecution(item.execution_id)) return;
    const std::vector<Sample>& samples = item.samples;
    if (current_.next_sample_id + static_cast<int64_t>(samples.size()) > LastSampleId(item.execution_id) + 1) {
      Fail(Status::Internal(path_ + ": execution " + std::to_string(item.execution_id) + " is full"));
      return;
    }
    label_ids_.resize(samples.size());
    refs_.resize(samples.size() * kSampleRefs);
    for (size_t i = 0; i < samples.size(); ++i) {
      const Sample& x = samples[i];
      label_ids_[i] = LabelId(x.label);
      if (label_ids_[i] == 0) return;
      int64_t* r = &refs_[i * kSampleRefs];
      r[kThread] = TextId(kThread, x.thread_name);
      r[kUrl] = TextId(kUrl, x.url);
      r[kOutcome] = OutcomeId(x);
      if (!in_transaction_) return;  // an insert failed: Fail() rolled back
    }
    const int32_t worker = item.worker_id;
    size_t i = 0;
    for (; i + kRowsPerInsert <= samples.size(); i += kRowsPerInsert) {
      sqlite3_stmt* s = insert_many_.get();
      for (int r = 0; r < kRowsPerInsert; ++r) {
        BindSample(s, r * kSampleColumns, current_.next_sample_id++, label_ids_[i + r], worker,
                   &refs_[(i + r) * kSampleRefs], samples[i + r]);
      }
      if (!Step(s, "insert samples")) return;
    }
    for (; i < samples.size(); ++i) {
      BindSample(insert_one_.get(), 0, current_.next_sample_id++, label_ids_[i], worker, &refs_[i * kSampleRefs],
                 samples[i]);
      if (!Step(insert_one_.get(), "insert sample")) return;
    }
    for (size_t k = 0; k < samples.size(); ++k) buckets_.Add(item.execution_id, label_ids_[k], worker, samples[k]);
    rows_in_transaction_ += samples.size();
  }

  const std::string path_;
  const ResultsStore::Options options_;
  const std::string user_;  // the OS user, for audit_log
  const std::string host_;
  std::atomic<int> marked_at_open_{0};  // orphans Open() marked, for MarkInterruptedExecutions
  sqlite3* db_ = nullptr;               // the writer's connection: used by the writer thread once started
  Stmt insert_many_, insert_one_, insert_label_, insert_text_, insert_outcome_, begin_, commit_, insert_bucket_,
      insert_error_, add_samples_;
  std::thread writer_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // the writer connection's WAL checkpoints

  // Writer-thread state.
  bool in_transaction_ = false;
  std::vector<Item> pending_;  // gathered batches, written together by WritePending()
  size_t pending_samples_ = 0;
  std::chrono::steady_clock::time_point deadline_;  // when pending_ is written at the latest
  uint64_t rows_in_transaction_ = 0;
  ExecutionState current_;
  std::vector<int64_t> label_ids_;
  std::vector<int64_t> refs_;  // kSampleRefs per sample of the batch being written
  std::string outcome_key_;
  BucketBuilder buckets_;  // rollups of the open transaction

  mutable std::mutex mu_;  // guards the queue and everything below
  std::condition_variable work_cv_;
  std::condition_variable space_cv_;
  std::deque<Item> queue_;
  std::vector<Item> spent_;  // written batches, for the next Append() to free
  size_t queued_samples_ = 0;
  bool stop_ = false;
  int64_t current_execution_ = 0;
  Status writer_error_;
  uint64_t appended_ = 0;
  uint64_t committed_ = 0;

  std::mutex read_mu_;
  sqlite3* read_db_ = nullptr;
};

// --- reads (the read connection) ---

Result<ExecutionRecord> SqliteStore::GetExecution(int64_t id) {
  std::optional<ExecutionRecord> found;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, std::string(kExecutionSelect) + " WHERE e.id = ?", [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, id); },
        [&](sqlite3_stmt* s) { found = ReadExecution(s); });
  });
  if (!st.ok()) return st;
  if (!found) return NoExecution(id);
  return *found;
}

Result<std::vector<ExecutionRecord>> SqliteStore::ListExecutions() {
  std::vector<ExecutionRecord> all;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, std::string(kExecutionSelect) + " WHERE p.name = ? ORDER BY e.id",
        [&](sqlite3_stmt* s) { BindText(s, 1, project()); }, [&](sqlite3_stmt* s) { all.push_back(ReadExecution(s)); });
  });
  if (!st.ok()) return st;
  return all;
}

Result<int64_t> SqliteStore::ResolveRun(std::string_view ref) {
  Result<int64_t> parsed = ParseRunRef(ref);
  if (!parsed.ok()) return parsed.status();
  const int64_t id = *parsed;
  std::string sql = "SELECT max(e.id) FROM execution e JOIN project p ON p.id = e.project_id WHERE p.name = ?";
  if (ref == "last-passed") sql += " AND e.status = 'passed'";
  if (id) sql += " AND e.id = ?";
  std::optional<int64_t> found;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, sql,
        [&](sqlite3_stmt* s) {
          BindText(s, 1, project());
          if (id) sqlite3_bind_int64(s, 2, id);
        },
        [&](sqlite3_stmt* s) { found = ColumnOptional(s, 0); });
  });
  if (!st.ok()) return st;
  if (found) return *found;
  return RunNotFound(path(), project(), ref);
}

Result<int64_t> SqliteStore::CountSamples(int64_t execution_id) {
  int64_t n = 0;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, "SELECT count(*) FROM sample_row WHERE id BETWEEN ? AND ?",
        [&](sqlite3_stmt* s) {
          sqlite3_bind_int64(s, 1, FirstSampleId(execution_id));
          sqlite3_bind_int64(s, 2, LastSampleId(execution_id));
        },
        [&](sqlite3_stmt* s) { n = sqlite3_column_int64(s, 0); });
  });
  if (!st.ok()) return st;
  return n;
}

Result<uint64_t> SqliteStore::CountErrors(int64_t execution_id) {
  int64_t n = 0;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, "SELECT coalesce(sum(errors), 0) FROM metric_bucket WHERE execution_id = ?",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) { n = sqlite3_column_int64(s, 0); });
  });
  if (!st.ok()) return st;
  return static_cast<uint64_t>(n);
}

Result<std::vector<std::string>> SqliteStore::Labels(int64_t execution_id) {
  std::vector<std::string> names;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, "SELECT name FROM label WHERE execution_id = ? ORDER BY id",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) { names.push_back(ColumnText(s, 0)); });
  });
  if (!st.ok()) return st;
  return names;
}

Status SqliteStore::ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) {
  Result<std::vector<std::string>> labels = Labels(execution_id);
  if (!labels.ok()) return labels.status();
  return WithReader([&](sqlite3* db) {
    // The execution's sample_text values and sample_outcome rows by id ([0] unused). A row's
    // texts and outcome are committed with it or before it, so an id not read yet (a running
    // execution) is found by reading the ones added since.
    struct Outcome {
      bool success = true;
      std::string code, message, failure, data_type;
    };
    std::vector<std::string> texts(1);
    std::vector<Outcome> outcomes(1);
    auto load = [&] {
      Status st = Query(
          db, "SELECT id, value FROM sample_text WHERE execution_id = ? AND id >= ? ORDER BY id",
          [&](sqlite3_stmt* s) {
            sqlite3_bind_int64(s, 1, execution_id);
            sqlite3_bind_int64(s, 2, static_cast<int64_t>(texts.size()));
          },
          [&](sqlite3_stmt* s) {
            const auto id = static_cast<size_t>(sqlite3_column_int64(s, 0));
            if (id >= texts.size()) texts.resize(id + 1);
            texts[id] = ColumnText(s, 1);
          });
      if (!st.ok()) return st;
      return Query(
          db,
          "SELECT id, success, code, message, failure_message, data_type FROM sample_outcome "
          "WHERE execution_id = ? AND id >= ? ORDER BY id",
          [&](sqlite3_stmt* s) {
            sqlite3_bind_int64(s, 1, execution_id);
            sqlite3_bind_int64(s, 2, static_cast<int64_t>(outcomes.size()));
          },
          [&](sqlite3_stmt* s) {
            const auto id = static_cast<size_t>(sqlite3_column_int64(s, 0));
            if (id >= outcomes.size()) outcomes.resize(id + 1);
            outcomes[id] = Outcome{.success = sqlite3_column_int(s, 1) != 0,
                                   .code = ColumnText(s, 2),
                                   .message = ColumnText(s, 3),
                                   .failure = ColumnText(s, 4),
                                   .data_type = ColumnText(s, 5)};
          });
    };
    if (Status st = load(); !st.ok()) return st;
    Status bad;
    // The entry `id` of `table` (texts or outcomes), or nullptr after setting `bad`.
    auto find = [&](auto& table, int64_t id, const char* what) -> decltype(&table[0]) {
      if (id >= 1 && static_cast<size_t>(id) < table.size()) return &table[static_cast<size_t>(id)];
      if (bad.ok()) {
        bad = Status::Internal(path() + ": execution " + std::to_string(execution_id) + ": " + what + " " +
                               std::to_string(id) + " is missing");
      }
      return nullptr;
    };
    Sample x;
    Status st = Query(
        db, kSampleSelect,
        [&](sqlite3_stmt* s) {
          sqlite3_bind_int64(s, 1, FirstSampleId(execution_id));
          sqlite3_bind_int64(s, 2, LastSampleId(execution_id));
        },
        [&](sqlite3_stmt* s) {
          if (!bad.ok()) return;
          const int64_t label = sqlite3_column_int64(s, 0);
          x.label = label >= 1 && static_cast<size_t>(label) <= labels->size() ? (*labels)[label - 1] : "";
          x.timestamp_ms = sqlite3_column_int64(s, 1);
          x.elapsed_us = sqlite3_column_int64(s, 2);
          x.latency_us = sqlite3_column_int64(s, 3);
          x.connect_us = sqlite3_column_int64(s, 4);
          x.idle_us = sqlite3_column_int64(s, 5);
          x.bytes = sqlite3_column_int64(s, 6);
          x.sent_bytes = sqlite3_column_int64(s, 7);
          x.grp_threads = sqlite3_column_int(s, 8);
          x.all_threads = sqlite3_column_int(s, 9);
          x.schedule_lag_us = sqlite3_column_int64(s, 10);
          const int64_t thread_id = sqlite3_column_int64(s, 11 + kThread);
          const int64_t url_id = sqlite3_column_int64(s, 11 + kUrl);
          const int64_t outcome_id = sqlite3_column_int64(s, 11 + kOutcome);
          if (static_cast<size_t>(std::max(thread_id, url_id)) >= texts.size() ||
              static_cast<size_t>(outcome_id) >= outcomes.size()) {
            if (bad = load(); !bad.ok()) return;
          }
          const std::string* thread = find(texts, thread_id, "sample_text");
          const std::string* url = find(texts, url_id, "sample_text");
          const Outcome* outcome = find(outcomes, outcome_id, "sample_outcome");
          if (!thread || !url || !outcome) return;
          x.thread_name = *thread;
          x.url = *url;
          x.success = outcome->success;
          x.response_code = outcome->code;
          x.response_message = outcome->message;
          x.failure_message = outcome->failure;
          x.data_type = outcome->data_type;
          fn(x);
        });
    return st.ok() ? bad : st;
  });
}

Status SqliteStore::ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) {
  Status bad;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        "SELECT second, label_id, worker_id, count, errors, bytes, sent_bytes, first_start_ms, last_end_ms, "
        "latency_sum_ms, connect_sum_ms, max_all_threads, max_grp_threads, histogram, id, corrected_histogram, late "
        "FROM metric_bucket WHERE execution_id = ? ORDER BY id",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) {
          if (!bad.ok()) return;
          const auto* blob = static_cast<const char*>(sqlite3_column_blob(s, 13));
          Result<LatencyHistogram> h = LatencyHistogram::Deserialize(
              std::string_view(blob ? blob : "", static_cast<size_t>(sqlite3_column_bytes(s, 13))));
          if (!h.ok() || h->count() != static_cast<uint64_t>(sqlite3_column_int64(s, 3))) {
            bad = Status::Internal(path() + ": metric_bucket row " + std::to_string(sqlite3_column_int64(s, 14)) +
                                   ": " + (h.ok() ? "histogram does not match count" : h.status().message()));
            return;
          }
          MetricBucket b;
          b.second = sqlite3_column_int64(s, 0);
          b.label_id = sqlite3_column_int64(s, 1) - 1;  // label.id counts from 1
          b.worker_id = sqlite3_column_int(s, 2);
          b.stats.elapsed_ms = std::move(h).value();
          if (sqlite3_column_type(s, 15) != SQLITE_NULL) {
            const auto* cblob = static_cast<const char*>(sqlite3_column_blob(s, 15));
            Result<LatencyHistogram> c = LatencyHistogram::Deserialize(
                std::string_view(cblob ? cblob : "", static_cast<size_t>(sqlite3_column_bytes(s, 15))));
            if (!c.ok() || c->count() != b.stats.elapsed_ms.count()) {
              bad =
                  Status::Internal(path() + ": metric_bucket row " + std::to_string(sqlite3_column_int64(s, 14)) +
                                   ": corrected_histogram " + (c.ok() ? "does not match count" : c.status().message()));
              return;
            }
            b.stats.corrected_ms = std::move(c).value();
            b.stats.late = static_cast<uint64_t>(sqlite3_column_int64(s, 16));
          }
          b.stats.errors = static_cast<uint64_t>(sqlite3_column_int64(s, 4));
          b.stats.bytes = sqlite3_column_int64(s, 5);
          b.stats.sent_bytes = sqlite3_column_int64(s, 6);
          b.stats.first_start_ms = sqlite3_column_int64(s, 7);
          b.stats.last_end_ms = sqlite3_column_int64(s, 8);
          b.latency_sum_ms = sqlite3_column_int64(s, 9);
          b.connect_sum_ms = sqlite3_column_int64(s, 10);
          b.max_all_threads = sqlite3_column_int(s, 11);
          b.max_grp_threads = sqlite3_column_int(s, 12);
          fn(b);
        });
  });
  return st.ok() ? bad : st;
}

Status SqliteStore::ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) {
  return WithReader([&](sqlite3* db) {
    ErrorBucket b;
    return Query(
        db, "SELECT second, label_id, worker_id, type, count FROM error_bucket WHERE execution_id = ? ORDER BY id",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) {
          b.second = sqlite3_column_int64(s, 0);
          b.label_id = sqlite3_column_int64(s, 1) - 1;
          b.worker_id = sqlite3_column_int(s, 2);
          b.type = ColumnText(s, 3);
          b.count = static_cast<uint64_t>(sqlite3_column_int64(s, 4));
          fn(b);
        });
  });
}

Result<std::vector<ThresholdRecord>> SqliteStore::ThresholdResults(int64_t execution_id) {
  std::vector<ThresholdRecord> out;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        "SELECT t.expression, t.label, t.metric, t.op, t.target, r.observed, r.passed FROM threshold t "
        "JOIN threshold_result r ON r.threshold_id = t.id WHERE t.execution_id = ? ORDER BY t.position",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) {
          out.push_back({ColumnText(s, 0), ColumnText(s, 1), ColumnText(s, 2), ColumnText(s, 3),
                         sqlite3_column_double(s, 4), sqlite3_column_double(s, 5), sqlite3_column_int(s, 6) != 0});
        });
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<ExecutionWorkerRecord>> SqliteStore::ExecutionWorkers(int64_t execution_id) {
  std::vector<ExecutionWorkerRecord> out;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        "SELECT worker_id, name, host, joined_at, left_at, state, samples_received, batches_received, samples_lost, "
        "duplicate_batches, clock_offset_us FROM execution_worker WHERE execution_id = ? ORDER BY worker_id",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, execution_id); },
        [&](sqlite3_stmt* s) {
          ExecutionWorkerRecord w;
          w.worker_id = sqlite3_column_int(s, 0);
          w.name = ColumnText(s, 1);
          w.host = ColumnText(s, 2);
          w.joined_at_ms = sqlite3_column_int64(s, 3);
          w.left_at_ms = ColumnOptional(s, 4);
          w.state = ColumnText(s, 5);
          w.samples_received = static_cast<uint64_t>(sqlite3_column_int64(s, 6));
          w.batches_received = static_cast<uint64_t>(sqlite3_column_int64(s, 7));
          w.samples_lost = static_cast<uint64_t>(sqlite3_column_int64(s, 8));
          w.duplicate_batches = static_cast<uint64_t>(sqlite3_column_int64(s, 9));
          w.clock_offset_us = sqlite3_column_int64(s, 10);
          out.push_back(std::move(w));
        });
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<DefinitionRecord>> SqliteStore::ListDefinitions() {
  std::vector<int64_t> ids;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        "SELECT d.id FROM test_definition d JOIN project p ON p.id = d.project_id WHERE p.name = ? "
        "ORDER BY d.name, d.version",
        [&](sqlite3_stmt* s) { BindText(s, 1, project()); },
        [&](sqlite3_stmt* s) { ids.push_back(sqlite3_column_int64(s, 0)); });
  });
  if (!st.ok()) return st;
  std::vector<DefinitionRecord> out;
  for (int64_t id : ids) {
    Result<DefinitionRecord> d = ReadDefinition(id);
    if (!d.ok()) return d.status();
    out.push_back(std::move(*d));
  }
  return out;
}

Result<DefinitionRecord> SqliteStore::GetDefinition(std::string_view name, std::optional<int64_t> version) {
  std::optional<int64_t> id;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        std::string("SELECT d.id FROM test_definition d JOIN project p ON p.id = d.project_id WHERE p.name = ? "
                    "AND d.name = ?") +
            (version ? " AND d.version = ?" : " ORDER BY d.version DESC LIMIT 1"),
        [&](sqlite3_stmt* s) {
          BindText(s, 1, project());
          BindText(s, 2, name);
          if (version) sqlite3_bind_int64(s, 3, *version);
        },
        [&](sqlite3_stmt* s) { id = sqlite3_column_int64(s, 0); });
  });
  if (!st.ok()) return st;
  if (!id) {
    const std::string plan = "plan '" + std::string(name) + "'";
    if (version) {
      Result<DefinitionRecord> any = GetDefinition(name, std::nullopt);
      if (any.ok()) return Status::NotFound(plan + " has no version " + std::to_string(*version));
    }
    return Status::NotFound(plan + " not found in project '" + project() + "'");
  }
  return ReadDefinition(*id);
}

Result<std::string> SqliteStore::DefinitionJmx(int64_t definition_id) {
  std::optional<std::string> jmx;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db, "SELECT jmx FROM test_definition WHERE id = ?",
        [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, definition_id); },
        [&](sqlite3_stmt* s) {
          const void* blob = sqlite3_column_blob(s, 0);
          jmx = std::string(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(s, 0)));
        });
  });
  if (!st.ok()) return st;
  if (!jmx) return Status::NotFound(path() + ": no definition " + std::to_string(definition_id));
  return *jmx;
}

Result<std::vector<AuditRecord>> SqliteStore::AuditLog(int64_t execution_id) {
  std::vector<AuditRecord> out;
  Status st = WithReader([&](sqlite3* db) {
    return Query(
        db,
        std::string("SELECT at, who, what, execution_id, details, token_id, token_name FROM audit_log") +
            (execution_id ? " WHERE execution_id = ?" : "") + " ORDER BY id",
        [&](sqlite3_stmt* s) {
          if (execution_id) sqlite3_bind_int64(s, 1, execution_id);
        },
        [&](sqlite3_stmt* s) {
          out.push_back({sqlite3_column_int64(s, 0), ColumnText(s, 1), ColumnText(s, 2), ColumnOptional(s, 3),
                         ColumnText(s, 4), ColumnOptional(s, 5), ColumnText(s, 6)});
        });
  });
  if (!st.ok()) return st;
  return out;
}

Status SqliteStore::CheckIntegrity() {
  std::string report;
  Status st = WithReader([&](sqlite3* db) {
    return Query(db, "PRAGMA integrity_check", nullptr, [&](sqlite3_stmt* s) {
      if (!report.empty()) report += "; ";
      report += ColumnText(s, 0);
    });
  });
  if (!st.ok()) return st;
  if (report != "ok") return Status::Internal(path() + ": integrity check failed: " + report);
  return Status::Ok();
}

Result<std::unique_ptr<StoreBackend>> OpenSqliteStore(const std::string& path, ResultsStore::Options options) {
  if (std::error_code ec; !std::filesystem::exists(path, ec)) {
    if (options.must_exist || options.read_only) {
      return Status::NotFound(path + ": no results store (run a plan first, or pass --db)");
    }
  } else if (Status regular = CheckRegularFile(path); !regular.ok()) {
    return regular;  // a directory, FIFO or device: SQLite would block on it or write into it
  }
  auto store = std::make_unique<SqliteStore>(path, std::move(options));
  if (Status st = store->Open(); !st.ok()) return st;
  return std::unique_ptr<StoreBackend>(std::move(store));
}

}  // namespace barrage
