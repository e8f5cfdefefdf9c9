#include "controller/results_store.h"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>

#include "controller/postgres_store.h"
#include "controller/sqlite_store.h"
#include "controller/store_backend.h"

namespace barrage {

std::string_view ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kRunning: return "running";
    case ExecutionStatus::kPassed: return "passed";
    case ExecutionStatus::kFailed: return "failed";
    case ExecutionStatus::kAborted: return "aborted";
    case ExecutionStatus::kErrored: return "errored";
    case ExecutionStatus::kPartial: return "partial";
    case ExecutionStatus::kQueued: return "queued";
  }
  return "errored";
}

std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name) {
  for (ExecutionStatus s :
       {ExecutionStatus::kRunning, ExecutionStatus::kPassed, ExecutionStatus::kFailed, ExecutionStatus::kAborted,
        ExecutionStatus::kErrored, ExecutionStatus::kPartial, ExecutionStatus::kQueued}) {
    if (ExecutionStatusName(s) == name) return s;
  }
  return std::nullopt;
}

std::string ErrorType(const Sample& s) {
  return s.failure_message.empty() ? s.response_code + "/" + s.response_message : s.failure_message;
}

std::string CurrentOsUser() {
  const uid_t uid = geteuid();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_name) return found->pw_name;
  return std::to_string(uid);
}

bool IsPostgresUrl(std::string_view db) { return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0; }

std::optional<int64_t> ProcessStartTime(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 2));  // from field 3 (state)
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (ec == std::errc()) return v;
    }
  }
  return std::nullopt;
}

std::string DumpAuditJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<int64_t> ParseRunRef(std::string_view ref) {
  if (ref == "last" || ref == "last-passed") return int64_t{0};
  int64_t id = 0;
  auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
  if (ref.empty() || ec != std::errc() || end != ref.data() + ref.size() || id <= 0) {
    return Status::InvalidArgument("run '" + std::string(ref) + "': expected a run id, 'last' or 'last-passed'");
  }
  return id;
}

Status RunNotFound(const std::string& path, const std::string& project, std::string_view ref) {
  const std::string in_project = " in project '" + project + "'";
  if (ref == "last") return Status::NotFound(path + ": no runs" + in_project);
  if (ref == "last-passed") return Status::NotFound(path + ": no passed run" + in_project);
  return Status::NotFound(path + ": no run " + std::string(ref) + in_project);
}

ResultsStore::ResultsStore(std::unique_ptr<StoreBackend> impl) : impl_(std::move(impl)) {}
ResultsStore::ResultsStore(ResultsStore&&) noexcept = default;
ResultsStore& ResultsStore::operator=(ResultsStore&&) noexcept = default;
ResultsStore::~ResultsStore() = default;

Result<ResultsStore> ResultsStore::Open(const std::string& path, Options options) {
  const std::string name = IsPostgresUrl(path) ? RedactPostgresUrl(path) : path;
  if (options.project.empty()) return Status::InvalidArgument(name + ": the project name is empty");
  Result<std::unique_ptr<StoreBackend>> backend =
      IsPostgresUrl(path) ? OpenPostgresStore(path, std::move(options)) : OpenSqliteStore(path, std::move(options));
  if (!backend.ok()) return backend.status();
  return ResultsStore(std::move(backend).value());
}

Result<int64_t> ResultsStore::BeginExecution(const ExecutionInfo& info) { return impl_->BeginExecution(info); }
Result<int64_t> ResultsStore::QueueExecution(const ExecutionInfo& info, int64_t definition_id) {
  return impl_->QueueExecution(info, definition_id);
}
Status ResultsStore::EndQueuedExecution(int64_t execution_id, ExecutionStatus status, int64_t ended_at_ms,
                                        std::string_view reason) {
  return impl_->EndQueuedExecution(execution_id, status, ended_at_ms, reason);
}
Result<DefinitionRecord> ResultsStore::PutDefinition(const std::string& name, const std::string& sha256,
                                                     const std::string& jmx,
                                                     const std::optional<PlanMetadata>& metadata,
                                                     const std::vector<DefinitionFile>& files) {
  return impl_->PutDefinition(name, sha256, jmx, metadata, files);
}
Status ResultsStore::Append(std::vector<Sample>&& samples) { return impl_->Append(std::move(samples), 0); }
Status ResultsStore::Append(std::vector<Sample>&& samples, int32_t worker_id) {
  return impl_->Append(std::move(samples), worker_id);
}
Status ResultsStore::Flush() { return impl_->Flush(); }
Status ResultsStore::Finish(ExecutionStatus status, int64_t ended_at_ms) { return impl_->Finish(status, ended_at_ms); }
Status ResultsStore::Close() { return impl_ ? impl_->Close() : Status::Ok(); }
Result<int> ResultsStore::MarkInterruptedExecutions() { return impl_->MarkInterruptedExecutions(); }
Status ResultsStore::SetExecutionStatus(int64_t execution_id, ExecutionStatus status) {
  return impl_->SetExecutionStatus(execution_id, status);
}
Status ResultsStore::SetExecutionInfra(int64_t execution_id, const std::string& infra_json) {
  return impl_->SetExecutionInfra(execution_id, infra_json);
}
Status ResultsStore::SetExecutionDroppedIterations(int64_t execution_id, int64_t dropped) {
  return impl_->SetExecutionDroppedIterations(execution_id, dropped);
}
Result<int64_t> ResultsStore::DeleteExecution(int64_t execution_id) { return impl_->DeleteExecution(execution_id); }
Status ResultsStore::RecordThresholdResults(int64_t execution_id, const std::vector<ThresholdRecord>& results) {
  return impl_->RecordThresholdResults(execution_id, results);
}
Status ResultsStore::UpsertExecutionWorker(int64_t execution_id, const ExecutionWorkerRecord& w) {
  return impl_->UpsertExecutionWorker(execution_id, w);
}
Status ResultsStore::Audit(std::string_view what, int64_t execution_id, std::string_view details) {
  return impl_->Audit(what, execution_id, details);
}

Result<ExecutionRecord> ResultsStore::GetExecution(int64_t id) const { return impl_->GetExecution(id); }
Result<std::vector<ExecutionRecord>> ResultsStore::ListExecutions() const { return impl_->ListExecutions(); }
Result<int64_t> ResultsStore::ResolveRun(std::string_view ref) const { return impl_->ResolveRun(ref); }
Result<int64_t> ResultsStore::CountSamples(int64_t execution_id) const { return impl_->CountSamples(execution_id); }
Result<uint64_t> ResultsStore::CountErrors(int64_t execution_id) const { return impl_->CountErrors(execution_id); }
Status ResultsStore::ForEachSample(int64_t execution_id, const std::function<void(const Sample&)>& fn) const {
  return impl_->ForEachSample(execution_id, fn);
}
Result<std::vector<std::string>> ResultsStore::Labels(int64_t execution_id) const {
  return impl_->Labels(execution_id);
}
Status ResultsStore::ForEachBucket(int64_t execution_id, const std::function<void(const MetricBucket&)>& fn) const {
  return impl_->ForEachBucket(execution_id, fn);
}
Status ResultsStore::ForEachErrorBucket(int64_t execution_id, const std::function<void(const ErrorBucket&)>& fn) const {
  return impl_->ForEachErrorBucket(execution_id, fn);
}
Result<std::vector<ThresholdRecord>> ResultsStore::ThresholdResults(int64_t execution_id) const {
  return impl_->ThresholdResults(execution_id);
}
Result<std::vector<ExecutionWorkerRecord>> ResultsStore::ExecutionWorkers(int64_t execution_id) const {
  return impl_->ExecutionWorkers(execution_id);
}
Result<std::vector<DefinitionRecord>> ResultsStore::ListDefinitions() const { return impl_->ListDefinitions(); }
Result<DefinitionRecord> ResultsStore::GetDefinition(std::string_view name, std::optional<int64_t> version) const {
  return impl_->GetDefinition(name, version);
}
Result<std::string> ResultsStore::DefinitionJmx(int64_t definition_id) const {
  return impl_->DefinitionJmx(definition_id);
}
Result<std::vector<AuditRecord>> ResultsStore::AuditLog(int64_t execution_id) const {
  return impl_->AuditLog(execution_id);
}
Status ResultsStore::CheckIntegrity() const { return impl_->CheckIntegrity(); }

const std::string& ResultsStore::path() const { return impl_->path(); }
uint64_t ResultsStore::samples_appended() const { return impl_->appended(); }
uint64_t ResultsStore::samples_committed() const { return impl_->committed(); }
Status ResultsStore::error() const { return impl_->error(); }

}  // namespace barrage
