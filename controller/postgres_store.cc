#include "controller/postgres_store.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/clock.h"
#include "common/digest.h"
#include "common/host.h"
#include "controller/metric_bucket_builder.h"
#include "controller/postgres_schema.h"
#include "controller/store_schema.h"

namespace barrage {
namespace {

// pg_advisory_xact_lock(kDefinitionLock, project id): numbering a project's definitions.
constexpr int32_t kDefinitionLock = 0x42415252;
constexpr int kFetchRows = 20'000;  // rows per cursor FETCH of a big read

constexpr const char* kSampleColumns =
    "(execution_id, seq, label_id, thread, ts_ms, elapsed_us, latency_us, connect_us, idle_us, code, message, "
    "success, failure_message, bytes, sent_bytes, grp_threads, all_threads, url, data_type, worker_id, "
    "schedule_lag_us)";

constexpr const char* kExecutionSelect =
    "SELECT e.id, e.plan_path, e.plan_name, e.started_at, e.ended_at, e.status, p.name, e.definition_id, "
    "d.version, d.sha256, e.sample_count, "
    "(SELECT CASE WHEN count(*) = 0 THEN '' WHEN bool_and(r.passed) THEN 'passed' ELSE 'failed' END "
    " FROM threshold t JOIN threshold_result r ON r.threshold_id = t.id WHERE t.execution_id = e.id), "
    "e.properties, e.infra, e.triggered_by, e.dropped_iterations, d.name "
    "FROM execution e JOIN project p ON p.id = e.project_id LEFT JOIN test_definition d ON d.id = e.definition_id";

ExecutionRecord ReadExecution(const PgRows& r, int i) {
  ExecutionRecord e;
  e.id = r.Int(i, 0);
  e.plan_path = r.Text(i, 1);
  e.plan_name = r.Text(i, 2);
  e.started_at_ms = r.Int(i, 3);
  e.ended_at_ms = r.OptionalInt(i, 4);
  e.status = ParseExecutionStatus(r.Text(i, 5)).value_or(ExecutionStatus::kErrored);
  e.project = r.Text(i, 6);
  e.definition_id = r.OptionalInt(i, 7);
  e.definition_version = r.Int(i, 8);
  e.plan_sha256 = r.Text(i, 9);
  e.samples = static_cast<uint64_t>(r.Int(i, 10));
  e.verdict = r.Text(i, 11);
  e.properties_json = r.Text(i, 12);
  e.infra_json = r.Text(i, 13);
  e.triggered_by = r.Text(i, 14);
  e.dropped_iterations = r.Int(i, 15);
  e.definition_name = r.Text(i, 16);
  return e;
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

class PostgresStore final : public StoreBackend {
 public:
  PostgresStore(std::string url, ResultsStore::Options options)
      : url_(std::move(url)),
        name_(RedactPostgresUrl(url_)),
        options_(std::move(options)),
        user_(CurrentOsUser()),
        host_(HostName("localhost")) {}

  ~PostgresStore() override { (void)Close(); }

  Status Open() override {
    if (options_.read_only) {
      Result<PgConnection> db = PgConnection::Connect(url_, name_, /*read_only=*/true);
      if (!db.ok()) return db.status();
      rdb_ = std::move(db).value();
      Result<int> version = PostgresSchemaVersion(rdb_);
      if (!version.ok()) return version.status();
      if (*version != kStoreSchemaVersion) {
        return Status::Unsupported(name_ + ": results store has schema version " + std::to_string(*version) +
                                   "; a read-only handle reads version " + std::to_string(kStoreSchemaVersion) +
                                   " only (open it writable once to migrate it)");
      }
      return Status::Ok();
    }
    Result<PgConnection> db = PgConnection::Connect(url_, name_, /*read_only=*/false);
    if (!db.ok()) return db.status();
    wdb_ = std::move(db).value();
    Result<int> from = CreateOrMigratePostgresSchema(wdb_, WallMillis(), options_.must_exist);
    if (!from.ok()) return from.status();
    if (Status st = wdb_.Exec("SELECT set_config('lock_timeout', $1, false)",
                              PgParams().Text(std::to_string(options_.lock_timeout.count())));
        !st.ok()) {
      return st;
    }
    writer_ = std::thread([this] { Run(); });
    Result<int> marked = MarkOrphans();
    if (!marked.ok()) return marked.status();
    marked_at_open_ = *marked;
    return Status::Ok();
  }

  Status ReadOnlyError() const { return Status::InvalidArgument(name_ + ": results store is open read-only"); }

  Result<int64_t> BeginExecution(const ExecutionInfo& info) override {
    if (options_.read_only) return ReadOnlyError();
    {
      std::lock_guard lock(mu_);
      if (current_execution_ != 0) {
        return Status::InvalidArgument(name_ + ": execution " + std::to_string(current_execution_) +
                                       " is still running");
      }
    }
    if (info.project.empty()) return Status::InvalidArgument(name_ + ": the project name is empty");
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
        if (Status s = CreatePartition(id); !s.ok()) return s;
        nlohmann::json details = {{"plan", info.plan_path}, {"project", info.project}};
        if (definition) details["definition_version"] = version;
        return InsertAudit("started", id, DumpAuditJson(details));
      });
    });
    if (!st.ok()) return st;
    std::lock_guard lock(mu_);
    current_execution_ = id;
    return id;
  }

  Result<int64_t> QueueExecution(const ExecutionInfo& info, int64_t definition_id) override {
    if (info.project.empty()) return Status::InvalidArgument(name_ + ": the project name is empty");
    const std::optional<int64_t> start = ProcessStartTime(getpid());
    int64_t id = 0;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<int64_t> project = ProjectId(info.project);
        if (!project.ok()) return project.status();
        Result<PgRows> found = wdb_.Query("SELECT 1 FROM test_definition WHERE id = $1 AND project_id = $2",
                                          PgParams().Int(definition_id).Int(*project));
        if (!found.ok()) return found.status();
        if (found->size() == 0) {
          return Status::NotFound(name_ + ": no definition " + std::to_string(definition_id) + " in project '" +
                                  info.project + "'");
        }
        if (Status s = InsertExecution(info, *project, definition_id, "queued", start, &id); !s.ok()) return s;
        return CreatePartition(id);
      });
    });
    if (!st.ok()) return st;
    return id;
  }

  Status EndQueuedExecution(int64_t execution_id, ExecutionStatus status, int64_t ended_at_ms,
                            std::string_view reason) override {
    return RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<PgRows> r =
            wdb_.Query("UPDATE execution SET status = $1, ended_at = $2 WHERE id = $3 AND status = 'queued'",
                       PgParams().Text(ExecutionStatusName(status)).Int(ended_at_ms).Int(execution_id));
        if (!r.ok()) return r.status();
        if (r->affected() == 0) {
          return Status::InvalidArgument(name_ + ": run " + std::to_string(execution_id) + " is not queued");
        }
        return InsertAudit("stopped", execution_id,
                           DumpAuditJson({{"status", ExecutionStatusName(status)}, {"reason", std::string(reason)}}));
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
        std::optional<int64_t> id;
        if (Status s = StoreDefinition(*project, jmx, def, &id, &out.version, &out.created); !s.ok()) return s;
        out.id = *id;
        if (!out.created) return Status::Ok();
        for (const DefinitionFile& f : files) {
          Status s = wdb_.Exec("INSERT INTO definition_file(definition_id, name, sha256, size) VALUES ($1,$2,$3,$4)",
                               PgParams().Int(out.id).Text(f.name).Text(f.sha256).Int(f.size));
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

  Status Append(std::vector<Sample>&& samples, int32_t worker_id) override {
    if (options_.read_only) return ReadOnlyError();
    std::vector<Item> spent;  // destroyed after the lock is released, on this thread
    std::unique_lock lock(mu_);
    spent.swap(spent_);
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(name_ + ": results store is closed");
    if (current_execution_ == 0) return Status::InvalidArgument(name_ + ": no execution is running");
    if (samples.empty()) return Status::Ok();
    const int64_t execution = current_execution_;
    space_cv_.wait(lock, [&] { return queued_samples_ < options_.max_queued_samples || !writer_error_.ok() || stop_; });
    if (!writer_error_.ok()) return writer_error_;
    if (stop_) return Status::InvalidArgument(name_ + ": results store is closed");
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
      if (current_execution_ == 0) return Status::InvalidArgument(name_ + ": no execution is running");
      id = current_execution_;
      current_execution_ = 0;
    }
    Status st = RunCommand([&]() -> Status {
      const std::string_view name = ExecutionStatusName(WriterError().ok() ? status : ExecutionStatus::kErrored);
      return Transaction([&]() -> Status {
        Result<PgRows> r =
            wdb_.Query("UPDATE execution SET status = $1, ended_at = $2 WHERE id = $3 RETURNING sample_count",
                       PgParams().Text(name).OptionalInt(ended_at_ms).Int(id));
        if (!r.ok()) return r.status();
        const int64_t samples = r->size() ? r->Int(0, 0) : 0;
        return InsertAudit("stopped", id, DumpAuditJson({{"status", name}, {"samples", samples}}));
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
    wdb_ = PgConnection();
    std::lock_guard lock(mu_);
    if (!writer_error_.ok()) return writer_error_;
    return finish;
  }

  Result<int> MarkInterruptedExecutions() override {
    Result<int> marked = MarkOrphans();
    if (!marked.ok()) return marked;
    return *marked + marked_at_open_.exchange(0);
  }

  Status SetExecutionStatus(int64_t execution_id, ExecutionStatus status) override {
    return UpdateExecution("status = $1", PgParams().Text(ExecutionStatusName(status)), execution_id);
  }
  Status SetExecutionInfra(int64_t execution_id, const std::string& infra_json) override {
    return UpdateExecution("infra = $1", PgParams().Text(infra_json), execution_id);
  }
  Status SetExecutionDroppedIterations(int64_t execution_id, int64_t dropped) override {
    return UpdateExecution("dropped_iterations = $1", PgParams().Int(dropped), execution_id);
  }

  Result<int64_t> DeleteExecution(int64_t execution_id) override {
    int64_t samples = 0;
    Status st = RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        Result<PgRows> r = wdb_.Query("SELECT status, sample_count FROM execution WHERE id = $1 FOR UPDATE",
                                      PgParams().Int(execution_id));
        if (!r.ok()) return r.status();
        if (r->size() == 0) return NoExecution(execution_id);
        const std::string status(r->Text(0, 0));
        samples = r->Int(0, 1);
        if (status == "running" || status == "queued") {
          return Status::InvalidArgument(name_ + ": run " + std::to_string(execution_id) + " is still " + status);
        }
        for (const char* sql : {
                 "DELETE FROM threshold_result WHERE threshold_id IN (SELECT id FROM threshold WHERE execution_id = "
                 "$1)",
                 "DELETE FROM threshold WHERE execution_id = $1",
                 "DELETE FROM metric_bucket WHERE execution_id = $1",
                 "DELETE FROM error_bucket WHERE execution_id = $1",
                 "DELETE FROM execution_worker WHERE execution_id = $1",
                 "DELETE FROM label WHERE execution_id = $1",
                 "DELETE FROM execution WHERE id = $1",
             }) {
          if (Status s = wdb_.Exec(sql, PgParams().Int(execution_id)); !s.ok()) return s;
        }
        if (Status s = wdb_.Exec("DROP TABLE IF EXISTS " + SamplePartition(execution_id)); !s.ok()) return s;
        return InsertAudit("deleted", execution_id, "status " + status + ", " + std::to_string(samples) + " samples");
      });
    });
    if (!st.ok()) return st;
    return samples;
  }

  Status RecordThresholdResults(int64_t execution_id, const std::vector<ThresholdRecord>& results) override {
    return RunCommand([&]() -> Status {
      return Transaction([&]() -> Status {
        if (Status s = CheckExecution(execution_id); !s.ok()) return s;
        Status s = wdb_.Exec(
            "DELETE FROM threshold_result WHERE threshold_id IN (SELECT id FROM threshold WHERE execution_id = $1)",
            PgParams().Int(execution_id));
        if (s.ok()) s = wdb_.Exec("DELETE FROM threshold WHERE execution_id = $1", PgParams().Int(execution_id));
        if (!s.ok()) return s;
        const int64_t now = WallMillis();
        int failed = 0;
        for (size_t i = 0; i < results.size(); ++i) {
          const ThresholdRecord& r = results[i];
          Result<PgRows> t = wdb_.Query(
              "INSERT INTO threshold(execution_id, position, expression, label, metric, op, target) "
              "VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
              PgParams()
                  .Int(execution_id)
                  .Int(static_cast<int64_t>(i))
                  .Text(r.expression)
                  .Text(r.label)
                  .Text(r.metric)
                  .Text(r.op)
                  .Text(DoubleText(r.target)));
          if (!t.ok()) return t.status();
          s = wdb_.Exec(
              "INSERT INTO threshold_result(threshold_id, observed, passed, evaluated_at) VALUES ($1,$2,$3,$4)",
              PgParams().Int(t->Int(0, 0)).Text(DoubleText(r.observed)).Text(r.passed ? "t" : "f").Int(now));
          if (!s.ok()) return s;
          failed += r.passed ? 0 : 1;
        }
        return InsertAudit("evaluated", execution_id,
                           DumpAuditJson({{"thresholds", results.size()}, {"failed", failed}}));
      });
    });
  }

  Status UpsertExecutionWorker(int64_t execution_id, const ExecutionWorkerRecord& w) override {
    return RunCommand([&]() -> Status {
      if (Status s = CheckExecution(execution_id); !s.ok()) return s;
      return wdb_.Exec(
          "INSERT INTO execution_worker(execution_id, worker_id, name, host, joined_at, left_at, state, "
          "samples_received, batches_received, samples_lost, duplicate_batches, clock_offset_us) "
          "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (execution_id, worker_id) DO UPDATE SET "
          "name = EXCLUDED.name, host = EXCLUDED.host, joined_at = EXCLUDED.joined_at, left_at = EXCLUDED.left_at, "
          "state = EXCLUDED.state, samples_received = EXCLUDED.samples_received, "
          "batches_received = EXCLUDED.batches_received, samples_lost = EXCLUDED.samples_lost, "
          "duplicate_batches = EXCLUDED.duplicate_batches, clock_offset_us = EXCLUDED.clock_offset_us",
          PgParams()
              .Int(execution_id)
              .Int(w.worker_id)
              .Text(w.name)
              .Text(w.host)
              .Int(w.joined_at_ms)
              .OptionalInt(w.left_at_ms)
              .Text(w.state)
              .Int(static_cast<int64_t>(w.samples_received))
              .Int(static_cast<int64_t>(w.batches_received))
              .Int(static_cast<int64_t>(w.samples_lost))
              .Int(static_cast<int64_t>(w.duplicate_batches))
              .Int(w.clock_offset_us));
    });
  }

  Status Audit(std::string_view what, int64_t execution_id, std::string_view details) override {
    return RunCommand([&]() -> Status {
      return InsertAudit(what, execution_id == 0 ? std::nullopt : std::optional<int64_t>(execution_id), details);
    });
  }

  // --- reads ---

  Result<ExecutionRecord> GetExecution(int64_t id) override {
    std::optional<ExecutionRecord> found;
    Status st = Read(std::string(kExecutionSelect) + " WHERE e.id = $1", PgParams().Int(id),
                     [&](const PgRows& r, int i) { found = ReadExecution(r, i); });
    if (!st.ok()) return st;
    if (!found) return NoExecution(id);
    return *found;
  }

  Result<std::vector<ExecutionRecord>> ListExecutions() override {
    std::vector<ExecutionRecord> all;
    Status st =
        Read(std::string(kExecutionSelect) + " WHERE p.name = $1 ORDER BY e.id", PgParams().Text(options_.project),
             [&](const PgRows& r, int i) { all.push_back(ReadExecution(r, i)); });
    if (!st.ok()) return st;
    return all;
  }

  Result<int64_t> ResolveRun(std::string_view ref) override {
    Result<int64_t> parsed = ParseRunRef(ref);
    if (!parsed.ok()) return parsed.status();
    std::string sql = "SELECT max(e.id) FROM execution e JOIN project p ON p.id = e.project_id WHERE p.name = $1";
    if (ref == "last-passed") sql += " AND e.status = 'passed'";
    PgParams params;
    params.Text(options_.project);
    if (*parsed) {
      sql += " AND e.id = $2";
      params.Int(*parsed);
    }
    std::optional<int64_t> found;
    Status st = Read(sql, params, [&](const PgRows& r, int i) { found = r.OptionalInt(i, 0); });
    if (!st.ok()) return st;
    if (found) return *found;
    return RunNotFound(name_, options_.project, ref);
  }

  Result<int64_t> CountSamples(int64_t execution_id) override {
    int64_t n = 0;
    Status st = Read("SELECT count(*) FROM sample WHERE execution_id = $1", PgParams().Int(execution_id),
                     [&](const PgRows& r, int i) { n = r.Int(i, 0); });
    if (!st.ok()) return st;
    return n;
  }

  Result<uint64_t> CountErrors(int64_t execution_id) override {
    int64_t n = 0;
    Status st = Read("SELECT coalesce(sum(errors), 0) FROM metric_bucket WHERE execution_id = $1",
                     PgParams().Int(execution_id), [&](const PgRows& r, int i) { n = r.Int(i, 0); });
    if (!st.ok()) return st;
    return static_cast<uint64_t>(n);
  }

  Status ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) override {
    Result<std::vector<std::string>> labels = Labels(execution_id);
    if (!labels.ok()) return labels.status();
    Sample x;
    return ReadMany(
        "SELECT label_id, thread, ts_ms, elapsed_us, latency_us, connect_us, idle_us, code, message, success, "
        "failure_message, bytes, sent_bytes, grp_threads, all_threads, url, data_type, schedule_lag_us "
        "FROM sample WHERE execution_id = " +
            std::to_string(execution_id) + " ORDER BY seq",
        [&](const PgRows& r, int i) {
          const int64_t label = r.Int(i, 0);
          x.label = label >= 1 && static_cast<size_t>(label) <= labels->size() ? (*labels)[label - 1] : "";
          x.thread_name = r.Text(i, 1);
          x.timestamp_ms = r.Int(i, 2);
          x.elapsed_us = r.Int(i, 3);
          x.latency_us = r.Int(i, 4);
          x.connect_us = r.Int(i, 5);
          x.idle_us = r.Int(i, 6);
          x.response_code = r.Text(i, 7);
          x.response_message = r.Text(i, 8);
          x.success = r.Bool(i, 9);
          x.failure_message = r.Text(i, 10);
          x.bytes = r.Int(i, 11);
          x.sent_bytes = r.Int(i, 12);
          x.grp_threads = static_cast<int32_t>(r.Int(i, 13));
          x.all_threads = static_cast<int32_t>(r.Int(i, 14));
          x.url = r.Text(i, 15);
          x.data_type = r.Text(i, 16);
          x.schedule_lag_us = r.Int(i, 17);
          fn(x);
        });
  }

  Result<std::vector<std::string>> Labels(int64_t execution_id) override {
    std::vector<std::string> names;
    Status st = Read("SELECT name FROM label WHERE execution_id = $1 ORDER BY id", PgParams().Int(execution_id),
                     [&](const PgRows& r, int i) { names.emplace_back(r.Text(i, 0)); });
    if (!st.ok()) return st;
    return names;
  }

  Status ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) override {
    Status bad;
    Status st = ReadMany(
        "SELECT second, label_id, worker_id, count, errors, bytes, sent_bytes, first_start_ms, last_end_ms, "
        "latency_sum_ms, connect_sum_ms, max_all_threads, max_grp_threads, histogram, id, corrected_histogram, late "
        "FROM metric_bucket WHERE execution_id = " +
            std::to_string(execution_id) + " ORDER BY id",
        [&](const PgRows& r, int i) {
          if (!bad.ok()) return;
          const std::string row = std::to_string(r.Int(i, 14));
          Result<LatencyHistogram> h = LatencyHistogram::Deserialize(r.Bytes(i, 13));
          if (!h.ok() || h->count() != static_cast<uint64_t>(r.Int(i, 3))) {
            bad = Status::Internal(name_ + ": metric_bucket row " + row + ": " +
                                   (h.ok() ? "histogram does not match count" : h.status().message()));
            return;
          }
          MetricBucket b;
          b.second = r.Int(i, 0);
          b.label_id = r.Int(i, 1) - 1;  // label.id counts from 1
          b.worker_id = static_cast<int32_t>(r.Int(i, 2));
          b.stats.elapsed_ms = std::move(h).value();
          if (!r.IsNull(i, 15)) {
            Result<LatencyHistogram> c = LatencyHistogram::Deserialize(r.Bytes(i, 15));
            if (!c.ok() || c->count() != b.stats.elapsed_ms.count()) {
              bad = Status::Internal(name_ + ": metric_bucket row " + row + ": corrected_histogram " +
                                     (c.ok() ? "does not match count" : c.status().message()));
              return;
            }
            b.stats.corrected_ms = std::move(c).value();
            b.stats.late = static_cast<uint64_t>(r.Int(i, 16));
          }
          b.stats.errors = static_cast<uint64_t>(r.Int(i, 4));
          b.stats.bytes = r.Int(i, 5);
          b.stats.sent_bytes = r.Int(i, 6);
          b.stats.first_start_ms = r.Int(i, 7);
          b.stats.last_end_ms = r.Int(i, 8);
          b.latency_sum_ms = r.Int(i, 9);
          b.connect_sum_ms = r.Int(i, 10);
          b.max_all_threads = static_cast<int32_t>(r.Int(i, 11));
          b.max_grp_threads = static_cast<int32_t>(r.Int(i, 12));
          fn(b);
        });
    return st.ok() ? bad : st;
  }

  Status ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) override {
    ErrorBucket b;
    return ReadMany("SELECT second, label_id, worker_id, type, count FROM error_bucket WHERE execution_id = " +
                        std::to_string(execution_id) + " ORDER BY id",
                    [&](const PgRows& r, int i) {
                      b.second = r.Int(i, 0);
                      b.label_id = r.Int(i, 1) - 1;
                      b.worker_id = static_cast<int32_t>(r.Int(i, 2));
                      b.type = r.Text(i, 3);
                      b.count = static_cast<uint64_t>(r.Int(i, 4));
                      fn(b);
                    });
  }

  Result<std::vector<ThresholdRecord>> ThresholdResults(int64_t execution_id) override {
    std::vector<ThresholdRecord> out;
    Status st = Read(
        "SELECT t.expression, t.label, t.metric, t.op, t.target, r.observed, r.passed FROM threshold t "
        "JOIN threshold_result r ON r.threshold_id = t.id WHERE t.execution_id = $1 ORDER BY t.position",
        PgParams().Int(execution_id), [&](const PgRows& r, int i) {
          out.push_back({std::string(r.Text(i, 0)), std::string(r.Text(i, 1)), std::string(r.Text(i, 2)),
                         std::string(r.Text(i, 3)), r.Double(i, 4), r.Double(i, 5), r.Bool(i, 6)});
        });
    if (!st.ok()) return st;
    return out;
  }

  Result<std::vector<ExecutionWorkerRecord>> ExecutionWorkers(int64_t execution_id) override {
    std::vector<ExecutionWorkerRecord> out;
    Status st = Read(
        "SELECT worker_id, name, host, joined_at, left_at, state, samples_received, batches_received, samples_lost, "
        "duplicate_batches, clock_offset_us FROM execution_worker WHERE execution_id = $1 ORDER BY worker_id",
        PgParams().Int(execution_id), [&](const PgRows& r, int i) {
          ExecutionWorkerRecord w;
          w.worker_id = static_cast<int32_t>(r.Int(i, 0));
          w.name = r.Text(i, 1);
          w.host = r.Text(i, 2);
          w.joined_at_ms = r.Int(i, 3);
          w.left_at_ms = r.OptionalInt(i, 4);
          w.state = r.Text(i, 5);
          w.samples_received = static_cast<uint64_t>(r.Int(i, 6));
          w.batches_received = static_cast<uint64_t>(r.Int(i, 7));
          w.samples_lost = static_cast<uint64_t>(r.Int(i, 8));
          w.duplicate_batches = static_cast<uint64_t>(r.Int(i, 9));
          w.clock_offset_us = r.Int(i, 10);
          out.push_back(std::move(w));
        });
    if (!st.ok()) return st;
    return out;
  }

  Result<std::vector<DefinitionRecord>> ListDefinitions() override {
    std::vector<int64_t> ids;
    Status st = Read(
        "SELECT d.id FROM test_definition d JOIN project p ON p.id = d.project_id WHERE p.name = $1 "
        "ORDER BY d.name, d.version",
        PgParams().Text(options_.project), [&](const PgRows& r, int i) { ids.push_back(r.Int(i, 0)); });
    if (!st.ok()) return st;
    std::vector<DefinitionRecord> out;
    for (int64_t id : ids) {
      Result<DefinitionRecord> d = ReadDefinition(id);
      if (!d.ok()) return d.status();
      out.push_back(std::move(*d));
    }
    return out;
  }

  Result<DefinitionRecord> GetDefinition(std::string_view name, std::optional<int64_t> version) override {
    std::optional<int64_t> id;
    PgParams params;
    params.Text(options_.project).Text(name);
    if (version) params.Int(*version);
    Status st = Read(std::string("SELECT d.id FROM test_definition d JOIN project p ON p.id = d.project_id WHERE "
                                 "p.name = $1 AND d.name = $2") +
                         (version ? " AND d.version = $3" : " ORDER BY d.version DESC LIMIT 1"),
                     params, [&](const PgRows& r, int i) { id = r.Int(i, 0); });
    if (!st.ok()) return st;
    if (!id) {
      const std::string plan = "plan '" + std::string(name) + "'";
      if (version) {
        Result<DefinitionRecord> any = GetDefinition(name, std::nullopt);
        if (any.ok()) return Status::NotFound(plan + " has no version " + std::to_string(*version));
      }
      return Status::NotFound(plan + " not found in project '" + options_.project + "'");
    }
    return ReadDefinition(*id);
  }

  Result<std::string> DefinitionJmx(int64_t definition_id) override {
    std::optional<std::string> jmx;
    Status st = Read("SELECT jmx FROM test_definition WHERE id = $1", PgParams().Int(definition_id),
                     [&](const PgRows& r, int i) { jmx = r.Bytes(i, 0); });
    if (!st.ok()) return st;
    if (!jmx) return Status::NotFound(name_ + ": no definition " + std::to_string(definition_id));
    return *jmx;
  }

  Result<std::vector<AuditRecord>> AuditLog(int64_t execution_id) override {
    std::vector<AuditRecord> out;
    PgParams params;
    if (execution_id) params.Int(execution_id);
    Status st =
        Read(std::string("SELECT at, who, what, execution_id, details, token_id, coalesce(token_name, '') "
                         "FROM audit_log") +
                 (execution_id ? " WHERE execution_id = $1" : "") + " ORDER BY id",
             params, [&](const PgRows& r, int i) {
               out.push_back({r.Int(i, 0), std::string(r.Text(i, 1)), std::string(r.Text(i, 2)), r.OptionalInt(i, 3),
                              std::string(r.Text(i, 4)), r.OptionalInt(i, 5), std::string(r.Text(i, 6))});
             });
    if (!st.ok()) return st;
    return out;
  }

  Status CheckIntegrity() override {
    std::string report;
    Status st = Read(
        "SELECT e.id, e.sample_count, (SELECT count(*) FROM sample s WHERE s.execution_id = e.id), "
        "(SELECT coalesce(sum(count), 0) FROM metric_bucket b WHERE b.execution_id = e.id) FROM execution e "
        "ORDER BY e.id",
        PgParams(), [&](const PgRows& r, int i) {
          if (r.Int(i, 1) == r.Int(i, 2) && r.Int(i, 1) == r.Int(i, 3)) return;
          if (!report.empty()) report += "; ";
          report += "execution " + std::string(r.Text(i, 0)) + ": sample_count " + std::string(r.Text(i, 1)) + ", " +
                    std::string(r.Text(i, 2)) + " samples, " + std::string(r.Text(i, 3)) + " in buckets";
        });
    if (!st.ok()) return st;
    if (!report.empty()) return Status::Internal(name_ + ": integrity check failed: " + report);
    return Status::Ok();
  }

  const std::string& path() const override { return name_; }
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

  // The writer's state of the execution whose samples it is writing.
  struct ExecutionState {
    int64_t execution = 0;
    int64_t next_seq = 0;
    std::unordered_map<std::string, int64_t> labels;  // name -> label.id
  };

  static std::string DoubleText(double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, end);
  }

  Status NoExecution(int64_t id) const { return Status::NotFound(name_ + ": no execution " + std::to_string(id)); }

  // One read statement on the read connection (opened on first use).
  Status Read(const std::string& sql, const PgParams& params, const std::function<void(const PgRows&, int)>& row) {
    std::lock_guard lock(read_mu_);
    if (Status st = ConnectReader(); !st.ok()) return st;
    Result<PgRows> rows = rdb_.Query(sql, params);
    if (!rows.ok()) return rows.status();
    for (int i = 0; i < rows->size(); ++i) row(*rows, i);
    return Status::Ok();
  }

  // A read of many rows (samples, buckets), through a cursor.
  Status ReadMany(const std::string& sql, const std::function<void(const PgRows&, int)>& row) {
    std::lock_guard lock(read_mu_);
    if (Status st = ConnectReader(); !st.ok()) return st;
    return rdb_.ForEachRow(sql, PgParams(), kFetchRows, row);
  }

  Status ConnectReader() {
    if (rdb_.ok()) return Status::Ok();
    Result<PgConnection> db = PgConnection::Connect(url_, name_, /*read_only=*/true);
    if (!db.ok()) return db.status();
    rdb_ = std::move(db).value();
    return Status::Ok();
  }

  // One definition with its files, through the read connection.
  Result<DefinitionRecord> ReadDefinition(int64_t id) {
    std::optional<DefinitionRecord> found;
    Status st = Read(
        "SELECT id, name, version, sha256, created_at FROM test_definition WHERE id = $1", PgParams().Int(id),
        [&](const PgRows& r, int i) {
          found = DefinitionRecord{
              r.Int(i, 0), std::string(r.Text(i, 1)), r.Int(i, 2), std::string(r.Text(i, 3)), r.Int(i, 4), {}, false};
        });
    if (!st.ok()) return st;
    if (!found) return Status::NotFound(name_ + ": no definition " + std::to_string(id));
    st = Read("SELECT name, sha256, size FROM definition_file WHERE definition_id = $1 ORDER BY name",
              PgParams().Int(id), [&](const PgRows& r, int i) {
                found->files.push_back({std::string(r.Text(i, 0)), std::string(r.Text(i, 1)), r.Int(i, 2)});
              });
    if (!st.ok()) return st;
    return *found;
  }

  // --- writer thread ---

  // BEGIN, body(), COMMIT, or ROLLBACK when body() fails (its error is returned).
  Status Transaction(const std::function<Status()>& body) {
    if (Status st = wdb_.Exec("BEGIN"); !st.ok()) return st;
    Status st = body();
    if (!st.ok()) {
      (void)wdb_.Exec("ROLLBACK");
      return st;
    }
    return wdb_.Exec("COMMIT");
  }

  Status UpdateExecution(const std::string& set, const PgParams& params, int64_t execution_id) {
    return RunCommand([&]() -> Status {
      PgParams p = params;
      p.Int(execution_id);
      Result<PgRows> r =
          wdb_.Query("UPDATE execution SET " + set + " WHERE id = $" + std::to_string(params.size() + 1), p);
      if (!r.ok()) return r.status();
      if (r->affected() == 0) return NoExecution(execution_id);
      return Status::Ok();
    });
  }

  Status CheckExecution(int64_t id) {
    Result<PgRows> r = wdb_.Query("SELECT 1 FROM execution WHERE id = $1", PgParams().Int(id));
    if (!r.ok()) return r.status();
    return r->size() ? Status::Ok() : NoExecution(id);
  }

  Status CreatePartition(int64_t id) {
    return wdb_.Exec("CREATE TABLE " + SamplePartition(id) + " PARTITION OF sample FOR VALUES IN (" +
                     std::to_string(id) + ")");
  }

  Status InsertExecution(const ExecutionInfo& info, int64_t project, std::optional<int64_t> definition,
                         std::string_view status, const std::optional<int64_t>& start, int64_t* id) {
    Result<PgRows> r = wdb_.Query(
        "INSERT INTO execution(plan_path, plan_name, started_at, status, project_id, definition_id, properties, "
        "infra, triggered_by, controller_host, controller_pid, controller_start) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
        PgParams()
            .Text(info.plan_path)
            .Text(info.plan_name)
            .Int(info.started_at_ms)
            .Text(status)
            .Int(project)
            .OptionalInt(definition)
            .Text(info.properties_json)
            .Text(info.infra_json)
            .Text(info.triggered_by.empty() ? user_ : info.triggered_by)
            .Text(host_)
            .Int(getpid())
            .OptionalInt(start));
    if (!r.ok()) return r.status();
    *id = r->Int(0, 0);
    return Status::Ok();
  }

  Status StartQueued(const ExecutionInfo& info, const std::optional<int64_t>& start, int64_t* id) {
    Result<PgRows> r = wdb_.Query(
        "UPDATE execution SET status = 'running', plan_path = $1, plan_name = $2, started_at = $3, properties = $4, "
        "infra = $5, controller_host = $6, controller_pid = $7, controller_start = $8 "
        "WHERE id = $9 AND status = 'queued'",
        PgParams()
            .Text(info.plan_path)
            .Text(info.plan_name)
            .Int(info.started_at_ms)
            .Text(info.properties_json)
            .Text(info.infra_json)
            .Text(host_)
            .Int(getpid())
            .OptionalInt(start)
            .Int(info.queued_id));
    if (!r.ok()) return r.status();
    if (r->affected() == 0) {
      return Status::InvalidArgument(name_ + ": run " + std::to_string(info.queued_id) + " is not queued");
    }
    *id = info.queued_id;
    return InsertAudit("started", *id, DumpAuditJson({{"plan", info.plan_path}, {"project", info.project}}));
  }

  Result<int64_t> ProjectId(const std::string& name) {
    Status s = wdb_.Exec("INSERT INTO project(name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                         PgParams().Text(name).Int(WallMillis()));
    if (!s.ok()) return s;
    Result<PgRows> r = wdb_.Query("SELECT id FROM project WHERE name = $1", PgParams().Text(name));
    if (!r.ok()) return r.status();
    if (r->size() == 0) return Status::Internal(name_ + ": project '" + name + "' was not stored");
    return r->Int(0, 0);
  }

  // Finds the project's definition with this sha256 or stores it as the next version of its
  // name, under the project's advisory lock (concurrent controllers number versions in turn).
  Status StoreDefinition(int64_t project, const std::string& jmx, const Definition& def, std::optional<int64_t>* id,
                         int64_t* version, bool* created = nullptr) {
    if (Status s = wdb_.Exec("SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
                             PgParams().Int(kDefinitionLock).Int(project));
        !s.ok()) {
      return s;
    }
    Result<PgRows> r = wdb_.Query("SELECT id, version FROM test_definition WHERE project_id = $1 AND sha256 = $2",
                                  PgParams().Int(project).Text(def.sha256));
    if (!r.ok()) return r.status();
    if (r->size()) {
      *id = r->Int(0, 0);
      *version = r->Int(0, 1);
      if (created) *created = false;
      return Status::Ok();
    }
    if (created) *created = true;
    r = wdb_.Query(
        "INSERT INTO test_definition(project_id, name, version, sha256, jmx, created_at) VALUES ($1, $2, "
        "(SELECT coalesce(max(version), 0) + 1 FROM test_definition WHERE project_id = $1 AND name = $2), $3, $4, $5) "
        "RETURNING id, version",
        PgParams().Int(project).Text(def.name).Text(def.sha256).Bytes(jmx).Int(WallMillis()));
    if (!r.ok()) return r.status();
    *id = r->Int(0, 0);
    *version = r->Int(0, 1);
    if (!def.metadata) return Status::Ok();
    const PlanMetadata& m = *def.metadata;
    const int64_t d = **id;
    Status s;
    for (size_t i = 0; i < m.thread_groups.size() && s.ok(); ++i) {
      const auto& t = m.thread_groups[i];
      s = wdb_.Exec(
          "INSERT INTO definition_thread_group(definition_id, position, name, kind, threads, ramp_time, loops, "
          "duration) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
          PgParams()
              .Int(d)
              .Int(static_cast<int64_t>(i))
              .Text(t.name)
              .Text(t.kind)
              .OptionalText(PlanValueText(t.threads))
              .OptionalText(PlanValueText(t.ramp_time))
              .OptionalText(PlanValueText(t.loops))
              .OptionalText(PlanValueText(t.duration)));
    }
    for (size_t i = 0; i < m.samplers.size() && s.ok(); ++i) {
      const auto& x = m.samplers[i];
      s = wdb_.Exec(
          "INSERT INTO definition_sampler(definition_id, position, name, kind, method, url) VALUES ($1,$2,$3,$4,$5,$6)",
          PgParams()
              .Int(d)
              .Int(static_cast<int64_t>(i))
              .Text(x.name)
              .Text(x.kind)
              .OptionalText(x.method)
              .OptionalText(x.url));
    }
    for (size_t i = 0; i < m.assertions.size() && s.ok(); ++i) {
      s = wdb_.Exec(
          "INSERT INTO definition_assertion(definition_id, position, name, type) VALUES ($1,$2,$3,$4)",
          PgParams().Int(d).Int(static_cast<int64_t>(i)).Text(m.assertions[i].name).Text(m.assertions[i].type));
    }
    for (size_t i = 0; i < m.data_files.size() && s.ok(); ++i) {
      s = wdb_.Exec(
          "INSERT INTO definition_data_file(definition_id, position, path, variable_names) VALUES ($1,$2,$3,$4)",
          PgParams()
              .Int(d)
              .Int(static_cast<int64_t>(i))
              .Text(m.data_files[i].path)
              .Text(m.data_files[i].variable_names));
    }
    return s;
  }

  Status InsertAudit(std::string_view what, std::optional<int64_t> execution, std::string_view details) {
    return wdb_.Exec(
        "INSERT INTO audit_log(at, who, what, project_id, execution_id, details) VALUES ($1, $2, $3, "
        "coalesce((SELECT project_id FROM execution WHERE id = $4), (SELECT id FROM project WHERE name = $5)), "
        "$4, $6)",
        PgParams()
            .Int(WallMillis())
            .Text(user_)
            .Text(what)
            .OptionalInt(execution)
            .Text(options_.project)
            .Text(details));
  }

  Result<int> MarkOrphans() {
    int changed = 0;
    Status st = RunCommand([&]() -> Status {
      int64_t own = 0;
      {
        std::lock_guard lock(mu_);
        own = current_execution_;
      }
      Result<PgRows> running = wdb_.Query(
          "SELECT id, controller_host, controller_pid, controller_start FROM execution "
          "WHERE status IN ('running', 'queued') AND id <> $1 ORDER BY id",
          PgParams().Int(own));
      if (!running.ok()) return running.status();
      return Transaction([&]() -> Status {
        for (int i = 0; i < running->size(); ++i) {
          const int64_t id = running->Int(i, 0);
          const std::optional<int64_t> pid = running->OptionalInt(i, 2), start = running->OptionalInt(i, 3);
          std::string reason;
          if (!pid) {
            reason = "no controller recorded";
          } else if (!running->IsNull(i, 1) && running->Text(i, 1) != host_) {
            continue;  // another host's controller: cannot tell whether it still runs
          } else if (std::optional<int64_t> now = ProcessStartTime(*pid); now && (!start || *now == *start)) {
            continue;  // its controller is alive
          } else {
            reason = "controller pid " + std::to_string(*pid) + " on " + host_ + " is gone";
          }
          Result<PgRows> u =
              wdb_.Query("UPDATE execution SET status = 'aborted' WHERE id = $1 AND status IN ('running', 'queued')",
                         PgParams().Int(id));
          if (!u.ok()) return u.status();
          if (u->affected() == 0) continue;
          ++changed;
          Status a = InsertAudit("stopped", id, DumpAuditJson({{"status", "aborted"}, {"reason", reason}}));
          if (!a.ok()) return a;
        }
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    return changed;
  }

  Status RunCommand(std::function<Status()> command) {
    std::promise<Status> done;
    std::future<Status> result = done.get_future();
    if (options_.read_only) return ReadOnlyError();
    {
      std::lock_guard lock(mu_);
      if (stop_ || !writer_.joinable()) return Status::InvalidArgument(name_ + ": results store is closed");
      queue_.push_back(Item{0, 0, {}, std::move(command), &done});
    }
    work_cv_.notify_one();
    return result.get();
  }

  // The SQLite writer's loop (sqlite_store.cc): gather for commit_interval or
  // commit_every_samples, then one transaction.
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      if (queue_.empty()) {
        if (stop_) break;
        if (!pending_.empty()) {
          if (!work_cv_.wait_until(lock, deadline_, [&] { return !queue_.empty() || stop_; })) {
            lock.unlock();
            (void)WritePending();
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
        Status written = WritePending();
        Status done = item.command();
        item.done->set_value(written.ok() ? done : written);
      } else {
        const auto now = std::chrono::steady_clock::now();
        if (pending_.empty()) deadline_ = now + options_.commit_interval;
        pending_samples_ += item.samples.size();
        pending_.push_back(std::move(item));
        const size_t limit = std::min(options_.commit_every_samples, options_.max_queued_samples);
        if (pending_samples_ >= limit || now >= deadline_) (void)WritePending();
      }
      lock.lock();
    }
    lock.unlock();
    (void)WritePending();
  }

  // One transaction: labels, COPY of the samples into each execution's partition, rollups,
  // sample_count. After a failure the batches are dropped (the writer has stopped).
  Status WritePending() {
    if (pending_.empty()) return WriterError();
    if (WriterError().ok()) {
      Status st = wdb_.Exec("BEGIN");
      std::map<int64_t, std::string> copies;  // execution -> COPY text rows
      uint64_t rows = 0;
      for (size_t i = 0; i < pending_.size() && st.ok(); ++i) {
        st = Write(pending_[i], &copies[pending_[i].execution_id]);
        rows += pending_[i].samples.size();
      }
      for (auto it = copies.begin(); it != copies.end() && st.ok(); ++it) {
        if (it->second.empty()) continue;
        st = wdb_.CopyIn("COPY " + SamplePartition(it->first) + " " + kSampleColumns + " FROM STDIN", it->second);
      }
      if (st.ok()) st = WriteBuckets();
      if (st.ok()) st = wdb_.Exec("COMMIT");
      buckets_.Clear();
      if (st.ok()) {
        std::lock_guard lock(mu_);
        committed_ += rows;
      } else {
        if (wdb_.ok()) (void)wdb_.Exec("ROLLBACK");
        current_ = ExecutionState{};  // labels of the rolled-back transaction are gone
        std::lock_guard lock(mu_);
        if (writer_error_.ok()) writer_error_ = st;
      }
    }
    std::lock_guard lock(mu_);
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

  Status WriterError() {
    std::lock_guard lock(mu_);
    return writer_error_;
  }

  Status UseExecution(int64_t execution) {
    if (execution == current_.execution) return Status::Ok();
    current_ = ExecutionState{};
    Result<PgRows> labels = wdb_.Query("SELECT id, name FROM label WHERE execution_id = $1", PgParams().Int(execution));
    if (!labels.ok()) return labels.status();
    for (int i = 0; i < labels->size(); ++i) current_.labels[std::string(labels->Text(i, 1))] = labels->Int(i, 0);
    Result<PgRows> seq =
        wdb_.Query("SELECT coalesce(max(seq) + 1, 0) FROM sample WHERE execution_id = $1", PgParams().Int(execution));
    if (!seq.ok()) return seq.status();
    current_.next_seq = seq->Int(0, 0);
    current_.execution = execution;
    return Status::Ok();
  }

  Status Write(const Item& item, std::string* copy) {
    if (Status st = UseExecution(item.execution_id); !st.ok()) return st;
    const int32_t worker = item.worker_id;
    for (const Sample& x : item.samples) {
      int64_t label = 0;
      if (auto it = current_.labels.find(x.label); it != current_.labels.end()) {
        label = it->second;
      } else {
        label = static_cast<int64_t>(current_.labels.size()) + 1;
        Status st = wdb_.Exec("INSERT INTO label(execution_id, id, name) VALUES ($1, $2, $3)",
                              PgParams().Int(item.execution_id).Int(label).Text(x.label));
        if (!st.ok()) return st;
        current_.labels.emplace(x.label, label);
      }
      AppendInt(copy, item.execution_id);
      copy->push_back('\t');
      AppendInt(copy, current_.next_seq++);
      copy->push_back('\t');
      AppendInt(copy, label);
      copy->push_back('\t');
      AppendCopyText(copy, x.thread_name);
      for (int64_t v : {x.timestamp_ms, x.elapsed_us, x.latency_us, x.connect_us, x.idle_us}) {
        copy->push_back('\t');
        AppendInt(copy, v);
      }
      copy->push_back('\t');
      AppendCopyText(copy, x.response_code);
      copy->push_back('\t');
      AppendCopyText(copy, x.response_message);
      copy->append(x.success ? "\tt\t" : "\tf\t");
      AppendCopyText(copy, x.failure_message);
      for (int64_t v : {x.bytes, x.sent_bytes, int64_t{x.grp_threads}, int64_t{x.all_threads}}) {
        copy->push_back('\t');
        AppendInt(copy, v);
      }
      copy->push_back('\t');
      AppendCopyText(copy, x.url);
      copy->push_back('\t');
      AppendCopyText(copy, x.data_type);
      copy->push_back('\t');
      AppendInt(copy, worker);
      copy->push_back('\t');
      AppendInt(copy, x.schedule_lag_us);
      copy->push_back('\n');
      buckets_.Add(item.execution_id, label, worker, x);
    }
    return Status::Ok();
  }

  Status WriteBuckets() {
    for (const auto& [key, acc] : buckets_.Buckets()) {
      const AggregateStats& st = acc->stats;
      PgParams p;
      p.Int(key.execution)
          .Int(key.second)
          .Int(key.label)
          .Int(key.worker)
          .Int(static_cast<int64_t>(st.elapsed_ms.count()))
          .Int(static_cast<int64_t>(st.errors))
          .Int(st.elapsed_ms.sum())
          .Int(st.elapsed_ms.min())
          .Int(st.elapsed_ms.max())
          .Int(st.bytes)
          .Int(st.sent_bytes)
          .Int(st.first_start_ms)
          .Int(st.last_end_ms)
          .Int(acc->latency_sum_ms)
          .Int(acc->connect_sum_ms)
          .Int(acc->max_all_threads)
          .Int(acc->max_grp_threads)
          .Bytes(st.elapsed_ms.Serialize())
          .Int(static_cast<int64_t>(st.late));
      if (st.late) {
        p.Bytes(st.corrected_ms.Serialize());
      } else {
        p.Null();
      }
      Status s = wdb_.Exec(
          "INSERT INTO metric_bucket(execution_id, second, label_id, worker_id, count, errors, elapsed_sum_ms, "
          "elapsed_min_ms, elapsed_max_ms, bytes, sent_bytes, first_start_ms, last_end_ms, latency_sum_ms, "
          "connect_sum_ms, max_all_threads, max_grp_threads, histogram, late, corrected_histogram) "
          "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
          p);
      if (!s.ok()) return s;
    }
    for (const auto& [key, count] : buckets_.errors()) {
      Status s = wdb_.Exec(
          "INSERT INTO error_bucket(execution_id, second, label_id, worker_id, type, count) "
          "VALUES ($1,$2,$3,$4,$5,$6)",
          PgParams()
              .Int(key.bucket.execution)
              .Int(key.bucket.second)
              .Int(key.bucket.label)
              .Int(key.bucket.worker)
              .Text(key.type)
              .Int(static_cast<int64_t>(count)));
      if (!s.ok()) return s;
    }
    for (const auto& [execution, n] : buckets_.samples()) {
      Status s = wdb_.Exec("UPDATE execution SET sample_count = sample_count + $1 WHERE id = $2",
                           PgParams().Int(static_cast<int64_t>(n)).Int(execution));
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  const std::string url_;   // with its password: connections only
  const std::string name_;  // the URL without the password: messages
  const ResultsStore::Options options_;
  const std::string user_;
  const std::string host_;
  std::atomic<int> marked_at_open_{0};

  PgConnection wdb_;  // the writer's connection: the writer thread's once started
  std::thread writer_;

  // Writer-thread state.
  std::vector<Item> pending_;
  size_t pending_samples_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  ExecutionState current_;
  BucketBuilder buckets_;

  mutable std::mutex mu_;  // guards the queue and everything below
  std::condition_variable work_cv_;
  std::condition_variable space_cv_;
  std::deque<Item> queue_;
  std::vector<Item> spent_;
  size_t queued_samples_ = 0;
  bool stop_ = false;
  int64_t current_execution_ = 0;
  Status writer_error_;
  uint64_t appended_ = 0;
  uint64_t committed_ = 0;

  std::mutex read_mu_;
  PgConnection rdb_;
};

}  // namespace

Result<std::unique_ptr<StoreBackend>> OpenPostgresStore(const std::string& url, ResultsStore::Options options) {
  auto store = std::make_unique<PostgresStore>(url, std::move(options));
  if (Status st = store->Open(); !st.ok()) return st;
  return std::unique_ptr<StoreBackend>(std::move(store));
}

}  // namespace barrage
