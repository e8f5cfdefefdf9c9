#include "controller/jtl_import.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <iostream>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "common/input_file.h"
#include "common/output_file.h"
#include "controller/jtl_reader.h"
#include "controller/loaded_plan.h"

namespace barrage {
namespace {

constexpr size_t kBatchSamples = 10'000;

int64_t EndMs(const Sample& s) { return s.timestamp_ms + (s.elapsed_us > 0 ? s.elapsed_us / 1000 : 0); }

// The plan of an import, loaded as a run loads it (read once, compiled once).
Result<LoadedPlan> LoadImportPlan(const std::string& path) {
  Result<LoadedPlan> plan = LoadPlan(path);
  if (!plan.ok()) return plan.status();
  if (!plan->compiled.plan.root) return Status::ParseError(path + ": no TestPlan element");
  return plan;
}

bool IsInputError(const Status& st) {
  return st.code() == Status::Code::kParseError || st.code() == Status::Code::kInvalidArgument ||
         st.code() == Status::Code::kNotFound;
}

}  // namespace

Result<ImportSummary> ImportJtl(ResultsStore& store, const ImportOptions& options, const LoadedPlan* plan) {
  const JtlReadOptions read_options{options.timestamp_format};
  ExecutionInfo info;
  info.project = options.project;
  if (!options.plan_path.empty()) {
    // The same path as a run's: the metadata from the compiled plan.
    std::optional<Result<LoadedPlan>> loaded;
    if (!plan) {
      loaded.emplace(LoadImportPlan(options.plan_path));
      if (!loaded->ok()) return loaded->status();
      plan = &**loaded;
    }
    info.plan_path = options.plan_path;
    info.plan_name = plan->name();
    info.plan_jmx = plan->bytes;
    info.plan_metadata = plan->metadata;
  } else {
    info.plan_name = std::filesystem::path(options.jtl_path).filename().string();
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(options.jtl_path, ec);
  info.infra_json = nlohmann::json{{"mode", "imported"}, {"jtl", ec ? options.jtl_path : absolute.string()}}.dump();

  // Pass 1: every row valid, and the run's span.
  ImportSummary summary;
  int64_t first_start = INT64_MAX;
  int64_t last_end = INT64_MIN;
  Status st = ReadJtl(options.jtl_path, read_options, [&](Sample&& s, int64_t) {
    ++summary.samples;
    first_start = std::min(first_start, s.timestamp_ms);
    last_end = std::max(last_end, EndMs(s));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (summary.samples == 0) return Status::InvalidArgument(options.jtl_path + ": no samples to import");
  summary.started_at_ms = first_start;
  summary.ended_at_ms = last_end;
  info.started_at_ms = first_start;

  // Pass 2: store them.
  Result<int64_t> id = store.BeginExecution(info);
  if (!id.ok()) return id.status();
  summary.execution_id = *id;
  uint64_t stored = 0;
  std::vector<Sample> batch;
  batch.reserve(kBatchSamples);
  st = ReadJtl(options.jtl_path, read_options, [&](Sample&& s, int64_t) {
    batch.push_back(std::move(s));
    ++stored;
    if (batch.size() < kBatchSamples) return Status::Ok();
    Status appended = store.Append(std::move(batch), 0);
    batch.clear();
    batch.reserve(kBatchSamples);
    return appended;
  });
  if (st.ok() && !batch.empty()) st = store.Append(std::move(batch), 0);
  if (st.ok() && stored != summary.samples) {
    st = Status::IoError(options.jtl_path + " changed while it was imported (" + std::to_string(summary.samples) +
                         " rows, then " + std::to_string(stored) + ")");
  }
  Status finished = store.Finish(st.ok() ? ExecutionStatus::kPassed : ExecutionStatus::kErrored, last_end);
  if (!st.ok()) return st;
  if (!finished.ok()) return finished;
  st = store.Audit("imported", *id, options.jtl_path + " (" + std::to_string(summary.samples) + " samples)");
  if (!st.ok()) return st;
  return summary;
}

int RunImport(const ImportOptions& options) {
  // The inputs are checked before the store is opened: a bad one leaves no store behind.
  if (Result<UniqueFile> jtl = OpenRegularFile(options.jtl_path, kNoSizeLimit, "a JTL"); !jtl.ok()) {
    std::cerr << "barrage: " << jtl.status().message() << "\n";
    return kExitUsage;
  }
  std::optional<Result<LoadedPlan>> plan;
  if (!options.plan_path.empty()) {
    plan.emplace(LoadImportPlan(options.plan_path));
    if (!plan->ok()) {
      std::cerr << "barrage: " << plan->status().message() << "\n";
      return kExitUsage;
    }
  }
  if (Status s = RefuseOverwrite(options.db_path, "the results store",
                                 {{options.jtl_path, "the JTL being imported"}, {options.plan_path, "the plan"}});
      !s.ok()) {
    std::cerr << "barrage: " << s.message() << "\n";
    return kExitUsage;
  }
  ResultsStore::Options store_options;
  store_options.project = options.project;
  // A file reads faster than SQLite writes: a queue of a few of the writer's transactions
  // keeps memory flat whatever the file's size (1M rows: ~100 MB instead of ~200 MB).
  store_options.max_queued_samples = 200'000;
  Result<ResultsStore> store = ResultsStore::Open(options.db_path, store_options);
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  if (Result<int> marked = store->MarkInterruptedExecutions(); marked.ok() && *marked > 0) {
    std::cerr << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
  }
  Result<ImportSummary> imported = ImportJtl(*store, options, plan ? &**plan : nullptr);
  Status closed = store->Close();
  if (!imported.ok()) {
    std::cerr << "barrage: " << imported.status().message() << "\n";
    return IsInputError(imported.status()) ? kExitUsage : kExitRuntimeFailure;
  }
  if (!closed.ok()) {
    std::cerr << "barrage: " << closed.message() << "\n";
    return kExitRuntimeFailure;
  }
  std::cerr << "barrage: imported " << imported->samples << " samples from " << options.jtl_path << " as run "
            << imported->execution_id << "\n";
  std::cout << imported->execution_id << "\n";
  return kExitOk;
}

}  // namespace barrage
