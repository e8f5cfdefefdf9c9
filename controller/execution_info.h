// Builds the ExecutionInfo a run records (results_store.h): the loaded plan's bytes and
// metadata for its test definition (the file is not read again), the run's properties as JSON, the infrastructure, the
// OS user. Shared by the local and the cluster run so both record the same facts.
#ifndef BARRAGE_CONTROLLER_EXECUTION_INFO_H_
#define BARRAGE_CONTROLLER_EXECUTION_INFO_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "controller/loaded_plan.h"
#include "controller/results_store.h"

namespace barrage {

// The properties as one JSON object, keys sorted ({"a":"1","b":"x"}); the values of names
// ending in "Password"/"password" (javax.net.ssl.keyStorePassword) are replaced by "******".
std::string PropertiesJson(const std::map<std::string, std::string>& properties);

// What the run's script host was (issue 11), for the infrastructure info: its Java and Groovy
// versions (ScriptHost::version()), its heap cap and the heap in use at the run's end, and the
// barrage.script.max_heap_mb property as set (absent: the default cap).
struct ScriptHostFacts {
  std::string version;
  int64_t heap_max_bytes = 0;
  int64_t heap_used_bytes = 0;
  std::optional<std::string> max_heap_mb_property;
};
// `infra_json` (an object) with a "script_host" key: {"version": "OpenJDK 17.0.x; Groovy 2.4.21",
// "heap_max_bytes": N, "heap_used_bytes": N, "max_heap_mb": "256" or null}.
std::string WithScriptHostInfo(const std::string& infra_json, const ScriptHostFacts& facts);

// plan_path, plan_name, plan_jmx and plan_metadata from `plan`; triggered_by = CurrentOsUser().
ExecutionInfo MakeExecutionInfo(const LoadedPlan& plan, int64_t started_at_ms, const std::string& project,
                                const std::map<std::string, std::string>& properties, std::string infra_json);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_EXECUTION_INFO_H_
