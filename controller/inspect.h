// `barrage inspect`: what a plan contains and whether Barrage can run it.
//
// BuildInspectReport turns a compiled plan into a JSON document (the `--json` output; its
// keys are a stable interface for CI scripts); its thread groups, samplers and data files
// are rendered from PlanMetadata (controller/plan_metadata.h), the description the results
// store keeps. RenderInspectText prints the same facts for people. Pure functions of their
// input (but the one-argument BuildInspectReport, which looks at this machine's Java).
#ifndef BARRAGE_CONTROLLER_INSPECT_H_
#define BARRAGE_CONTROLLER_INSPECT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "common/plan_compiler.h"
#include "worker/script_host.h"

namespace barrage {

// Keys: file, test_plan, thread_groups, samplers, data_files, scripts, variables, functions,
// unsupported, problems, runnable, runnable_here (see README "barrage inspect").
// `scripts` says per script element whether `runtime` (what this machine's script host has)
// runs its language, and whether its file exists relative to the plan; `runnable_here` is
// `runnable` and every script element's language runs.
nlohmann::json BuildInspectReport(const CompiledPlan& compiled, const ScriptRuntime& runtime);
// The same with this machine's FindScriptRuntime(), looked up only when the plan has scripts.
nlohmann::json BuildInspectReport(const CompiledPlan& compiled);

std::string RenderInspectText(const nlohmann::json& report);

// The `--json` text: indented, and never failing on names that are not valid UTF-8 (old
// plans in Latin-1 without a declaration): such bytes become U+FFFD.
std::string RenderInspectJson(const nlohmann::json& report);

// `barrage inspect PLAN [--json]`: prints the report; returns the exit code (0 runnable,
// 2 not runnable or unreadable).
int RunInspect(const std::string& plan_path, bool json);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_INSPECT_H_
