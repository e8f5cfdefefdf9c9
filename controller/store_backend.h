// The results store's backends: ResultsStore (controller/results_store.h) forwards every
// call to one StoreBackend, chosen by ResultsStore::Open from its path: a SQLite file
// (controller/sqlite_store.h) or a PostgreSQL database named by a postgresql:// or
// postgres:// URL (controller/postgres_store.h). Each backend implements the whole contract
// that results_store.h states (writer thread, bounded queue, one transaction per gathered
// batch, orphan marking, read-only handles); code above the store never sees which one it
// has. Internal to controller/.
#ifndef BARRAGE_CONTROLLER_STORE_BACKEND_H_
#define BARRAGE_CONTROLLER_STORE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/results_store.h"

namespace barrage {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // Connects, creates or migrates the schema, starts the writer (results_store.h: Open).
  virtual Status Open() = 0;

  virtual Result<int64_t> BeginExecution(const ExecutionInfo& info) = 0;
  virtual Result<int64_t> QueueExecution(const ExecutionInfo& info, int64_t definition_id) = 0;
  virtual Status EndQueuedExecution(int64_t execution_id, ExecutionStatus status, int64_t ended_at_ms,
                                    std::string_view reason) = 0;
  virtual Result<DefinitionRecord> PutDefinition(const std::string& name, const std::string& sha256,
                                                 const std::string& jmx, const std::optional<PlanMetadata>& metadata,
                                                 const std::vector<DefinitionFile>& files) = 0;
  virtual Status Append(std::vector<Sample>&& samples, int32_t worker_id) = 0;
  virtual Status Flush() = 0;
  virtual Status Finish(ExecutionStatus status, std::optional<int64_t> ended_at_ms) = 0;
  virtual Status Close() = 0;
  virtual Result<int> MarkInterruptedExecutions() = 0;
  virtual Status SetExecutionStatus(int64_t execution_id, ExecutionStatus status) = 0;
  virtual Status SetExecutionInfra(int64_t execution_id, const std::string& infra_json) = 0;
  virtual Status SetExecutionDroppedIterations(int64_t execution_id, int64_t dropped) = 0;
  virtual Result<int64_t> DeleteExecution(int64_t execution_id) = 0;
  virtual Status RecordThresholdResults(int64_t execution_id, const std::vector<ThresholdRecord>& results) = 0;
  virtual Status UpsertExecutionWorker(int64_t execution_id, const ExecutionWorkerRecord& w) = 0;
  virtual Status Audit(std::string_view what, int64_t execution_id, std::string_view details) = 0;

  virtual Result<ExecutionRecord> GetExecution(int64_t id) = 0;
  virtual Result<std::vector<ExecutionRecord>> ListExecutions() = 0;
  virtual Result<int64_t> ResolveRun(std::string_view ref) = 0;
  virtual Result<int64_t> CountSamples(int64_t execution_id) = 0;
  virtual Result<uint64_t> CountErrors(int64_t execution_id) = 0;
  virtual Status ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) = 0;
  virtual Result<std::vector<std::string>> Labels(int64_t execution_id) = 0;
  virtual Status ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) = 0;
  virtual Status ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) = 0;
  virtual Result<std::vector<ThresholdRecord>> ThresholdResults(int64_t execution_id) = 0;
  virtual Result<std::vector<ExecutionWorkerRecord>> ExecutionWorkers(int64_t execution_id) = 0;
  virtual Result<std::vector<DefinitionRecord>> ListDefinitions() = 0;
  virtual Result<DefinitionRecord> GetDefinition(std::string_view name, std::optional<int64_t> version) = 0;
  virtual Result<std::string> DefinitionJmx(int64_t definition_id) = 0;
  virtual Result<std::vector<AuditRecord>> AuditLog(int64_t execution_id) = 0;
  virtual Status CheckIntegrity() = 0;

  // What errors and messages call the store: the file's path, or the URL without its password.
  virtual const std::string& path() const = 0;
  virtual uint64_t appended() const = 0;
  virtual uint64_t committed() const = 0;
  virtual Status error() const = 0;
};

// --- helpers both backends share (results_store.cc) ---

// The process's start time in clock ticks after boot (/proc/PID/stat field 22): with the
// pid, it tells a live controller from a new process that reused its pid. nullopt when the
// process does not exist.
std::optional<int64_t> ProcessStartTime(int64_t pid);

// audit_log details: compact JSON, invalid UTF-8 replaced.
std::string DumpAuditJson(const nlohmann::json& j);

// "not a Barrage results store", "no run N in project P" ...: ResolveRun's errors for `ref`
// once the lookup found nothing, and its InvalidArgument for a malformed ref (nullopt id).
// ParseRunRef: 0 for "last"/"last-passed", the id otherwise.
Result<int64_t> ParseRunRef(std::string_view ref);
Status RunNotFound(const std::string& path, const std::string& project, std::string_view ref);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_STORE_BACKEND_H_
