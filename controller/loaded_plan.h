// A plan as one run uses it: the file's bytes, read once, and the plan parsed and compiled
// from those bytes, once. Everything a run needs from the plan file comes from here: the
// engine runs `compiled.plan`, a cluster run ships `bytes` to its workers, the results store
// keeps `bytes` as the test definition with `metadata` (built from the compiled plan). No
// other code of a run opens the plan file again.
#ifndef BARRAGE_CONTROLLER_LOADED_PLAN_H_
#define BARRAGE_CONTROLLER_LOADED_PLAN_H_

#include <functional>
#include <string>
#include <vector>

#include "common/plan_compiler.h"
#include "common/status.h"
#include "controller/plan_metadata.h"

namespace barrage {

struct LoadedPlan {
  std::string path;       // as given on the command line
  std::string file_name;  // the last component of `path` (shop.jmx)
  std::string base_dir;   // the plan's folder ("." when `path` has none): data files are found there
  std::string bytes;      // the file's contents
  CompiledPlan compiled;  // from `bytes`; nodes point into compiled.plan.tree (move-safe)
  PlanMetadata metadata;  // ExtractPlanMetadata(compiled)
  // The TestPlan's name ("" when the file has no TestPlan element).
  std::string name() const { return compiled.plan.root ? compiled.plan.root->name : ""; }
};

// Reads a plan file's bytes. The seam through which a run opens its plan (tests count it).
using PlanFileReader = std::function<Result<std::string>(const std::string& path)>;

// ReadRegularFile(path, kMaxPlanBytes, "a plan"): IoError/NotFound naming the file.
Result<std::string> ReadPlanFile(const std::string& path);

// Reads `path` once through `read`, parses and compiles it; Include Controllers' files are
// read through `read` too (relative paths against the plan's folder), a missing one is an
// error of the plan naming the file. The file's error, or a
// ParseError naming the file and line when it is not a .jmx. A plan that compiles with
// problems is returned: the caller decides whether it can run (Plan::has_errors()).
Result<LoadedPlan> LoadPlan(const std::string& path, const PlanFileReader& read = ReadPlanFile);

// Why a compiled plan cannot run as it is, one line each, "PATH:LINE: unsupported:
// TESTCLASS 'NAME'" then "PATH:LINE: SEVERITY: MESSAGE" (warnings and errors; infos left out).
std::vector<std::string> PlanProblemLines(const CompiledPlan& compiled, const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_LOADED_PLAN_H_
