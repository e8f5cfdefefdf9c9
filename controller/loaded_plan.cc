#include "controller/loaded_plan.h"

#include <filesystem>
#include <utility>

#include "common/include_controller.h"
#include "common/input_file.h"
#include "common/jmx_parser.h"

namespace barrage {

Result<std::string> ReadPlanFile(const std::string& path) { return ReadRegularFile(path, kMaxPlanBytes, "a plan"); }

Result<LoadedPlan> LoadPlan(const std::string& path, const PlanFileReader& read) {
  Result<std::string> bytes = read(path);
  if (!bytes.ok()) return bytes.status();
  Result<HashTree> tree = ParseJmx(*bytes, path);
  if (!tree.ok()) return tree.status();
  LoadedPlan loaded;
  loaded.path = path;
  std::filesystem::path fs_path(path);
  loaded.file_name = fs_path.filename().string();
  loaded.base_dir = fs_path.has_parent_path() ? fs_path.parent_path().string() : ".";
  loaded.bytes = std::move(bytes).value();
  // Include Controllers' files, read through the same seam, relative to the plan's folder.
  IncludeExpansion included = ExpandIncludeControllers(*tree, [&](const std::string& include_path) {
    std::filesystem::path p(include_path);
    return read(p.is_absolute() ? include_path : (std::filesystem::path(loaded.base_dir) / p).string());
  });
  loaded.compiled = CompilePlan(std::move(tree).value());
  Plan& plan = loaded.compiled.plan;
  plan.problems.insert(plan.problems.end(), included.problems.begin(), included.problems.end());
  plan.included_files = std::move(included.files);
  loaded.metadata = ExtractPlanMetadata(loaded.compiled);
  return Result<LoadedPlan>(std::move(loaded));
}

std::vector<std::string> PlanProblemLines(const CompiledPlan& compiled, const std::string& path) {
  std::vector<std::string> lines;
  for (const UnsupportedElement& u : compiled.plan.unsupported) {
    lines.push_back(path + ":" + std::to_string(u.line) + ": unsupported: " + u.testclass + " '" + u.name + "'");
  }
  for (const Problem& p : compiled.plan.problems) {
    if (p.severity == Problem::Severity::kInfo) continue;
    lines.push_back(path + ":" + std::to_string(p.line) + ": " + std::string(SeverityName(p.severity)) + ": " +
                    p.message);
  }
  return lines;
}

}  // namespace barrage
