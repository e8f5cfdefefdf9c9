// The results store: projects, test definitions, executions, their samples and the rollups
// reports read, in one SQLite file (DESIGN §6; tables listed in controller/store_schema.h)
// or in a PostgreSQL database named by a postgresql:// (or postgres://) URL
// (controller/postgres_store.h: same tables and semantics, samples in a partition per
// execution, written with COPY). ResultsStore::Open picks the backend from the path; what
// follows describes the SQLite one, postgres_store.h how PostgreSQL differs.
//
// Projects: every handle works in one project (Options::project, default "default"):
// ResolveRun and ListExecutions see that project's executions only. Test definitions: the
// .jmx bytes of an execution (ExecutionInfo::plan_jmx) are kept once per project, keyed by
// their SHA-256; a definition's name is the plan file's name, and a changed file under the
// same name gets the next version number. A new definition's thread groups, samplers,
// assertions and data files come from ExecutionInfo::plan_metadata, built by the caller from
// the plan it compiled: the store never parses a plan.
//
// Writes go through one writer thread that owns the write connection: Append() hands a
// batch to a bounded in-memory queue and returns; the writer gathers batches for up to
// `commit_interval` or `commit_every_samples` rows, whichever comes first, then inserts
// them with prepared multi-row statements in one short transaction, in WAL mode with
// synchronous=NORMAL: a crash of the process loses at most the samples not yet committed;
// a power loss may also lose transactions committed since the last WAL checkpoint, but
// never corrupts the file. Labels are interned per execution (table label). A sample's id is
// execution_id * 2^40 + its sequence number, so an execution's samples form one id range:
// read in append order without a second index, which would cost a fifth of the ingest rate.
//
// Backpressure, never loss: when `max_queued_samples` are waiting, Append() blocks until
// the writer has caught up. A sample is never dropped silently: if SQLite fails (disk
// full, I/O error) the writer stops, error() returns that error at once, naming the file,
// and Append(), Flush(), Finish() and Close() return it.
//
// Several writers on one file: SQLite lets one connection write at a time. Every write
// transaction begins IMMEDIATE (it takes the write lock first, so SQLite's busy handler
// can wait for it) and the writer holds the lock only while it writes a gathered batch,
// so writers of other handles (other `barrage run`s on the same --db, or `report` marking
// a run) wait for each other, up to `lock_timeout`; a lock held longer is a writer error
// as above. One handle records one running execution at a time: a process running
// several at once opens one handle per run (one writer connection each).
//
// Reads use a second connection (WAL lets it run beside the writer) and see committed
// data: call Flush() or Finish() first to read what was just appended.
//
// Thread-safety: every method may be called from any thread. Append() is meant to be
// called from many threads at once; the other methods are for the run's owner.
#ifndef BARRAGE_CONTROLLER_RESULTS_STORE_H_
#define BARRAGE_CONTROLLER_RESULTS_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "controller/aggregate_report.h"
#include "controller/plan_metadata.h"

namespace barrage {

// DESIGN §6 execution statuses, stored as these words.
// kQueued: accepted by `barrage serve` and waiting for workers (ResultsStore::QueueExecution).
enum class ExecutionStatus { kRunning, kPassed, kFailed, kAborted, kErrored, kPartial, kQueued };
std::string_view ExecutionStatusName(ExecutionStatus status);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);

struct ExecutionInfo {
  std::string plan_path{};
  std::string plan_name{};          // the TestPlan's name
  int64_t started_at_ms = 0;        // epoch ms
  std::string project = "default";  // created on first use
  // The .jmx bytes; "" = no definition (e.g. a JTL imported without its plan).
  std::string plan_jmx{};
  // The thread groups, samplers, assertions and data files of plan_jmx, kept with a new
  // definition; built by the caller from the plan it compiled (controller/loaded_plan.h):
  // the store does not parse plans. Unset = none (a plan that did not parse).
  std::optional<PlanMetadata> plan_metadata{};
  std::string properties_json = "{}";              // -J/-q properties as a JSON object
  std::string infra_json = R"({"mode":"local"})";  // or {"mode":"cluster","workers":N,...}
  std::string triggered_by{};                      // "" = the OS user running this process (CurrentOsUser())
  // `barrage serve`: the queued execution (QueueExecution) this run begins. BeginExecution
  // then turns that row `running` and keeps its project, definition and triggered_by.
  int64_t queued_id = 0;
};

// A data file uploaded with a plan version (`barrage serve`, service/plan_store.h).
struct DefinitionFile {
  std::string name;    // as the plan names it, next to the plan
  std::string sha256;  // lowercase hex of its bytes
  int64_t size = 0;
};

// One test definition (a plan version) of a project.
struct DefinitionRecord {
  int64_t id = 0;
  std::string name;  // the plan file's name
  int64_t version = 0;
  std::string sha256;  // the content's identity: the .jmx's SHA-256, or an upload's (plan_store.h)
  int64_t created_at_ms = 0;
  std::vector<DefinitionFile> files;  // uploaded data files, by name
  bool created = false;               // PutDefinition: a new version (else it existed)
};

struct ExecutionRecord {
  int64_t id = 0;
  std::string plan_path;
  std::string plan_name;
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::string project;
  std::optional<int64_t> definition_id;  // none without plan bytes
  int64_t definition_version = 0;        // 0 without a definition
  std::string plan_sha256;               // lowercase hex; "" without a definition
  uint64_t samples = 0;                  // committed samples
  std::string verdict;                   // "passed"/"failed" by thresholds, "" when none
  std::string properties_json;
  std::string infra_json;
  std::string triggered_by;
  int64_t dropped_iterations = 0;  // arrivals dynamic thread groups dropped (issue 12)
  std::string definition_name;     // the test definition's name (its first plan file's); "" without one
};

// Per (second, label, worker) rollups written by the writer thread during ingest, in the
// same transaction as the samples (a crash never leaves buckets without their samples or
// the reverse). Rows are PARTIAL and ADDITIVE: several rows may exist for one key (late
// samples); readers merge them. second = timestamp_ms / 1000 (sample start, floor),
// label_id indexes Labels(execution) (0..n-1 in first-stored order).
struct MetricBucket {
  int64_t second = 0;
  int64_t label_id = 0;
  int32_t worker_id = 0;
  AggregateStats stats;         // exact elapsed-ms histogram, errors, bytes, sent_bytes,
                                // first_start_ms, last_end_ms
  int64_t latency_sum_ms = 0;   // of latency_us / 1000 per sample (as the JTL)
  int64_t connect_sum_ms = 0;   // of connect_us / 1000 per sample
  int32_t max_all_threads = 0;  // largest allThreads seen in that second from that worker
  int32_t max_grp_threads = 0;
};

// Failed samples counted by type per (second, label, worker), additive like the buckets.
// type = failure_message when not empty, else response_code + "/" + response_message.
struct ErrorBucket {
  int64_t second = 0;
  int64_t label_id = 0;
  int32_t worker_id = 0;
  std::string type;
  uint64_t count = 0;
};

// The error type of a failed sample as ErrorBucket::type defines it.
std::string ErrorType(const Sample& s);

// One evaluated threshold (tables threshold + threshold_result).
struct ThresholdRecord {
  std::string expression;  // as the user wrote it, e.g. "login: p(99)<800"
  std::string label;       // "" = all samples (TOTAL)
  std::string metric;      // p(95), avg, min, max, med, error_rate, throughput
  std::string op;          // <, <=, >, >=, ==, !=
  double target = 0;
  double observed = 0;
  bool passed = false;
};

// One worker of a cluster execution (table execution_worker).
struct ExecutionWorkerRecord {
  int32_t worker_id = 0;
  std::string name;
  std::string host;
  int64_t joined_at_ms = 0;
  std::optional<int64_t> left_at_ms;
  std::string state;  // "finished", "lost", "rejected"
  uint64_t samples_received = 0;
  uint64_t batches_received = 0;
  uint64_t samples_lost = 0;       // samples the worker reported it could not deliver
  uint64_t duplicate_batches = 0;  // resent batches the controller had already stored
  int64_t clock_offset_us = 0;     // worker clock minus controller clock
};

// One audit_log row.
struct AuditRecord {
  int64_t at_ms = 0;
  std::string who;
  std::string what;  // started|stopped|evaluated|imported|deleted|exported
  std::optional<int64_t> execution_id;
  std::string details;
  // The API token that made the request (`barrage serve`, service/tokens.h): its id and its
  // name at the time; unset for the command line, whose `who` is the OS user.
  std::optional<int64_t> token_id{};
  std::string token_name{};
};

class StoreBackend;  // controller/store_backend.h

// True for a --db naming a PostgreSQL database: postgresql://... or postgres://...
bool IsPostgresUrl(std::string_view db);

// The name of the OS user running this process (getpwuid(geteuid())), else the uid.
std::string CurrentOsUser();

class ResultsStore {
 public:
  struct Options {
    size_t max_queued_samples = 1 << 20;  // Append() blocks beyond this
    size_t commit_every_samples = 50'000;
    std::chrono::milliseconds commit_interval{200};
    // How long a write waits while another connection holds the file's write lock.
    std::chrono::milliseconds lock_timeout{30'000};
    std::string project = "default";  // the project reads are scoped to
    // Fail instead of creating a missing file, or the schema in an empty one (the commands
    // that read runs): NotFound "PATH: not a Barrage results store (an empty file)".
    bool must_exist = false;
    // Each of the writer's per-execution dictionaries of sample texts (thread names and
    // URLs; outcomes) holds at most this many values, then starts again empty: a value seen
    // again gets a new id (sample_text, sample_outcome). Bounds the memory of runs whose URLs
    // or failure messages are all different.
    size_t max_cached_texts = 1 << 16;
    // A handle that only reads (`barrage serve`'s API, many at once beside the one that
    // records runs): Open() opens one read connection (query_only) and nothing else: no
    // writer thread, no WAL checkpointer, no schema creation or migration, no marking of
    // orphaned runs; opening costs one sqlite3_open. The file must exist and be a results
    // store (must_exist is implied) of this build's schema version (kSchemaVersion: open it
    // once writable to migrate it): else NotFound/Unsupported naming the file. Every write
    // (BeginExecution, Append, Flush, Finish, Set*, Record*, Upsert*, Audit, Delete*,
    // MarkInterruptedExecutions) returns InvalidArgument "PATH: results store is open
    // read-only"; Close() is a no-op. Reads see committed data as any reader's do, and never
    // take the write lock, so they do not wait for ingest nor make it wait.
    bool read_only = false;
  };

  // The schema version this build writes (table schema_version).
  static constexpr int kSchemaVersion = 8;

  // Opens or creates the database at `path` (a file, or a postgresql:// URL: see
  // controller/postgres_store.h), creating the schema or migrating an older one
  // in place (one transaction). Fails, without writing to it, for a path that is not a
  // regular file (a directory, FIFO, device), a file that is not a SQLite database, a
  // SQLite database of another application; fails for a store written by a newer schema.
  static Result<ResultsStore> Open(const std::string& path, Options options);
  static Result<ResultsStore> Open(const std::string& path) { return Open(path, Options{}); }

  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;
  ~ResultsStore();  // Close(); an error at that point is lost, so call Close() to see it

  // Records a new execution with status `running` in info.project (and its test
  // definition), plus an audit_log 'started' entry; later Append() calls belong to it.
  // Fails while another execution of this store is still running.
  Result<int64_t> BeginExecution(const ExecutionInfo& info);

  // `barrage serve`'s queue: records an execution with status `queued` in info.project for
  // its definition `definition_id`, started_at = info.started_at_ms (when it was queued),
  // this process as its controller (a queued run of a service that is gone is marked
  // `aborted` like a running one). BeginExecution with info.queued_id = its id starts it.
  Result<int64_t> QueueExecution(const ExecutionInfo& info, int64_t definition_id);
  // Ends a queued execution that never started (stopped while queued) with `status` and
  // an audit_log 'stopped' entry {"status", "reason"}. InvalidArgument when it is not queued.
  Status EndQueuedExecution(int64_t execution_id, ExecutionStatus status, int64_t ended_at_ms, std::string_view reason);

  // Stores plan `name` (the .jmx bytes, its metadata and data files) in the store's project
  // as the next version of that name, unless a definition with this `sha256` exists there:
  // then that one is returned (created = false). `sha256` identifies the content: the .jmx's
  // SHA-256 for a plan alone (as BeginExecution keys definitions), the upload's otherwise.
  Result<DefinitionRecord> PutDefinition(const std::string& name, const std::string& sha256, const std::string& jmx,
                                         const std::optional<PlanMetadata>& metadata,
                                         const std::vector<DefinitionFile>& files);

  // Queues samples of the running execution for writing. Blocks only while the queue is
  // full. Fails when no execution is running or the writer has failed. worker_id 0 = a
  // local run; Append(samples) == Append(samples, 0).
  Status Append(std::vector<Sample>&& samples);
  Status Append(std::vector<Sample>&& samples, int32_t worker_id);

  // Returns once everything appended before the call is committed.
  Status Flush();

  // Writes everything appended so far, then sets the running execution's status and end
  // time, with an audit_log 'stopped' entry. If any sample could not be stored, the
  // execution is recorded as `errored` whatever `status` says, and the writer's error is
  // returned.
  Status Finish(ExecutionStatus status, int64_t ended_at_ms);

  // Drains the queue and stops the writer. An execution still running (no Finish) is
  // marked `aborted`. Idempotent.
  Status Close();

  // Marks executions left `running` by a controller that died as `aborted` (ended_at stays
  // empty), each with an audit_log 'stopped' entry {"status":"aborted",...}. An execution
  // whose controller process (pid and start time, on this host) is still alive is left
  // alone; one started on another host too. Open() already does this, so any `barrage`
  // command that opens the store cleans up; this call checks again and returns how many
  // were marked, counting on its first call those Open() marked (for the command's
  // "marked N interrupted run(s)" message).
  Result<int> MarkInterruptedExecutions();

  // Updates the status of a finished execution (e.g. report re-evaluating thresholds).
  Status SetExecutionStatus(int64_t execution_id, ExecutionStatus status);
  // Replaces the execution's infrastructure info (facts known only at its end: the script
  // host's heap).
  Status SetExecutionInfra(int64_t execution_id, const std::string& infra_json);
  // Arrivals the run's dynamic thread groups dropped (issue 12; k6's dropped_iterations).
  Status SetExecutionDroppedIterations(int64_t execution_id, int64_t dropped);

  // Deletes a finished execution with its samples, labels, rollups, thresholds and workers
  // in one transaction, and writes an audit_log 'deleted' entry (the log keeps the run's
  // earlier entries). Returns how many samples it had. Fails for a running or queued execution.
  Result<int64_t> DeleteExecution(int64_t execution_id);

  // Replaces the execution's threshold results and writes an audit_log 'evaluated' entry.
  Status RecordThresholdResults(int64_t execution_id, const std::vector<ThresholdRecord>& results);

  // Inserts or replaces the worker's row of the execution.
  Status UpsertExecutionWorker(int64_t execution_id, const ExecutionWorkerRecord& w);

  // Appends to audit_log: now, CurrentOsUser(), what, the run (0 = none), details.
  Status Audit(std::string_view what, int64_t execution_id, std::string_view details);

  // --- reads (committed data) ---
  Result<ExecutionRecord> GetExecution(int64_t id) const;
  // The executions of the store's project, in id order.
  Result<std::vector<ExecutionRecord>> ListExecutions() const;
  // "last" (newest execution), "last-passed" (newest with status passed) or a numeric id,
  // within the store's project. NotFound / InvalidArgument naming the ref otherwise.
  Result<int64_t> ResolveRun(std::string_view ref) const;
  Result<int64_t> CountSamples(int64_t execution_id) const;
  // Failed samples of the execution: the sum of its metric_bucket errors (committed rows),
  // without decoding their histograms.
  Result<uint64_t> CountErrors(int64_t execution_id) const;
  // Calls fn for every sample of the execution in the order they were appended.
  Status ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) const;
  // The execution's labels in the order they were first stored.
  Result<std::vector<std::string>> Labels(int64_t execution_id) const;
  // Calls fn for every metric_bucket / error_bucket row of the execution (unmerged rows).
  Status ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) const;
  Status ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) const;
  // The thresholds last recorded for the execution, in recorded order.
  Result<std::vector<ThresholdRecord>> ThresholdResults(int64_t execution_id) const;
  // The execution's workers by worker_id.
  Result<std::vector<ExecutionWorkerRecord>> ExecutionWorkers(int64_t execution_id) const;
  // The store project's definitions, by name then version.
  Result<std::vector<DefinitionRecord>> ListDefinitions() const;
  // Version `version` (the newest when nullopt) of plan `name` in the store's project, with
  // its files. NotFound: "plan 'NAME' not found in project 'P'", "plan 'NAME' has no version N".
  Result<DefinitionRecord> GetDefinition(std::string_view name, std::optional<int64_t> version) const;
  // The .jmx bytes of a definition.
  Result<std::string> DefinitionJmx(int64_t definition_id) const;
  // audit_log rows of the execution (0 = all rows), oldest first.
  Result<std::vector<AuditRecord>> AuditLog(int64_t execution_id) const;
  // SQLite's integrity_check; Ok when it reports "ok".
  Status CheckIntegrity() const;

  // The file's path; for PostgreSQL the URL without its password.
  const std::string& path() const;
  // Samples accepted by Append() and samples committed to the file, so far.
  uint64_t samples_appended() const;
  uint64_t samples_committed() const;
  // The writer's error, Ok while every sample so far could be written. Never blocks: a run
  // polls it to stop as soon as the store fails, even when it appends nothing.
  Status error() const;

 private:
  explicit ResultsStore(std::unique_ptr<StoreBackend> impl);
  std::unique_ptr<StoreBackend> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RESULTS_STORE_H_
