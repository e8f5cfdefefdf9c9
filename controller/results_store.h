// The results store: executions and their samples in one SQLite file (DESIGN §6, minimal
// first version: execution, label, sample, schema_version).
//
// Writes go through one writer thread that owns the write connection: Append() hands a
// batch to a bounded in-memory queue and returns; the writer inserts with prepared
// multi-row statements inside large transactions (committed every `commit_every_samples`
// rows or `commit_interval` after the transaction began, whichever comes first), in WAL
// mode with synchronous=NORMAL: a crash of the process loses at most the uncommitted
// transaction; a power loss may also lose transactions committed since the last WAL
// checkpoint, but never corrupts the file. Labels are interned per execution (table label). A sample's id is
// execution_id * 2^40 + its sequence number, so an execution's samples form one id range:
// read in append order without a second index, which would cost a fifth of the ingest rate.
//
// Backpressure, never loss: when `max_queued_samples` are waiting, Append() blocks until
// the writer has caught up. A sample is never dropped silently: if SQLite fails (disk
// full, I/O error) the writer stops, and Append(), Flush(), Finish() and Close() return
// that error, naming the file.
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

namespace barrage {

// DESIGN §6 execution statuses, stored as these words.
enum class ExecutionStatus { kRunning, kPassed, kFailed, kAborted, kErrored, kPartial };
std::string_view ExecutionStatusName(ExecutionStatus status);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);

struct ExecutionInfo {
  std::string plan_path;
  std::string plan_name;     // the TestPlan's name
  int64_t started_at_ms = 0;  // epoch ms
};

struct ExecutionRecord {
  int64_t id = 0;
  std::string plan_path;
  std::string plan_name;
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
  ExecutionStatus status = ExecutionStatus::kRunning;
};

class ResultsStore {
 public:
  struct Options {
    size_t max_queued_samples = 1 << 20;  // Append() blocks beyond this
    size_t commit_every_samples = 50'000;
    std::chrono::milliseconds commit_interval{200};
  };

  // The schema version this build writes (table schema_version).
  static constexpr int kSchemaVersion = 1;

  // Opens or creates the database at `path`, creating or checking the schema. Fails for a
  // file that is not a SQLite database or was written by a newer schema.
  static Result<ResultsStore> Open(const std::string& path, Options options);
  static Result<ResultsStore> Open(const std::string& path) { return Open(path, Options{}); }

  ResultsStore(ResultsStore&&) noexcept;
  ResultsStore& operator=(ResultsStore&&) noexcept;
  ~ResultsStore();  // Close(); an error at that point is lost, so call Close() to see it

  // Records a new execution with status `running`; later Append() calls belong to it.
  // Fails while another execution of this store is still running.
  Result<int64_t> BeginExecution(const ExecutionInfo& info);

  // Queues samples of the running execution for writing. Blocks only while the queue is
  // full. Fails when no execution is running or the writer has failed.
  Status Append(std::vector<Sample>&& samples);

  // Returns once everything appended before the call is committed.
  Status Flush();

  // Writes everything appended so far, then sets the running execution's status and end
  // time. If any sample could not be stored, the execution is recorded as `errored`
  // whatever `status` says, and the writer's error is returned.
  Status Finish(ExecutionStatus status, int64_t ended_at_ms);

  // Drains the queue and stops the writer. An execution still running (no Finish) is
  // marked `aborted`. Idempotent.
  Status Close();

  // Marks executions left `running` by a controller that died as `aborted` (ended_at stays
  // empty); returns how many. Call at start-up, before BeginExecution.
  Result<int> MarkInterruptedExecutions();

  // --- reads (committed data) ---
  Result<ExecutionRecord> GetExecution(int64_t id) const;
  Result<std::vector<ExecutionRecord>> ListExecutions() const;
  Result<int64_t> CountSamples(int64_t execution_id) const;
  // Calls fn for every sample of the execution in the order they were appended.
  Status ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) const;
  // The execution's labels in the order they were first stored.
  Result<std::vector<std::string>> Labels(int64_t execution_id) const;
  // SQLite's integrity_check; Ok when it reports "ok".
  Status CheckIntegrity() const;

  const std::string& path() const;
  // Samples accepted by Append() and samples committed to the file, so far.
  uint64_t samples_appended() const;
  uint64_t samples_committed() const;

 private:
  class Impl;
  explicit ResultsStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RESULTS_STORE_H_
