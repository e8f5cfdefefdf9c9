// `barrage runs [--db PATH] [--project NAME] [--json]`: the executions of a project,
// newest first: id, status, plan (its file name), definition version, start (local time),
// duration, samples and the thresholds' verdict ("-" when none were evaluated).
//
// Marks orphaned `running` executions `aborted` first (ResultsStore::
// MarkInterruptedExecutions), as every command that opens the store does.
#ifndef BARRAGE_CONTROLLER_RUNS_COMMAND_H_
#define BARRAGE_CONTROLLER_RUNS_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/output_file.h"
#include "controller/results_store.h"

namespace barrage {

struct RunsOptions {
  std::string db_path = "barrage.db";
  std::string project = "default";
  bool json = false;
};

// The store a command that reads runs works on: opened at `db_path` in `project`, never
// created, and never written to when it is not a Barrage store (an empty file, another
// file, another SQLite database: "not a Barrage results store", as for a missing one);
// runs left `running` by a dead controller are marked aborted (said on stderr).
// On failure prints `barrage: <reason>` and returns nullopt with *exit_code = 1.
std::optional<ResultsStore> OpenStoreForReading(const std::string& db_path, const std::string& project, int* exit_code);
// `ref` (an id, `last` or `last-passed`) in `store`; on failure prints `barrage: <reason>`
// and returns nullopt with *exit_code = 2.
std::optional<int64_t> ResolveRunOrSay(const ResultsStore& store, const std::string& ref, int* exit_code);

// The files a run was made from, as recorded: its plan (plan_path, resolved against the
// working directory when relative, as the run most likely was) and, for an imported run,
// the JTL it came from. report -o and export -o refuse to overwrite them.
std::vector<ProtectedFile> RunSourceFiles(const ExecutionRecord& run);

// `barrage delete RUN`: removes a run (id, `last` or `last-passed`) from the store.
// Returns the exit code (0 deleted, 1 store failure, 2 no such run or still running).
int RunDelete(const RunsOptions& options, const std::string& run);

// The table `barrage runs` prints for these executions (given in any order).
std::string RenderRunsText(std::vector<ExecutionRecord> runs);
// The JSON array `barrage runs --json` prints, newest first; keys: id, status, plan,
// plan_path, plan_name, project, definition_version (null without a definition), sha256,
// started_at_ms, ended_at_ms, duration_ms (null while unknown), samples, verdict (null
// without thresholds), triggered_by.
std::string RenderRunsJson(std::vector<ExecutionRecord> runs);

// Returns the exit code: 0, 1 when the store cannot be read (a missing file is not
// created), 2 for usage errors.
int RunRuns(const RunsOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUNS_COMMAND_H_
