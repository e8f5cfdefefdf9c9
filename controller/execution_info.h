// Builds the ExecutionInfo a run records (results_store.h): the loaded plan's bytes and
// metadata for its test definition (the file is not read again), the run's properties as JSON, the infrastructure, the
// OS user. Shared by the local and the cluster run so both record the same facts.
#ifndef BARRAGE_CONTROLLER_EXECUTION_INFO_H_
#define BARRAGE_CONTROLLER_EXECUTION_INFO_H_

#include <cstdint>
#include <map>
#include <string>

#include "controller/loaded_plan.h"
#include "controller/results_store.h"
#include "worker/script_runtime.h"

namespace barrage {

// The properties as one JSON object, keys sorted ({"a":"1","b":"x"}); the values of names
// ending in "Password"/"password" (javax.net.ssl.keyStorePassword) are replaced by "******".
std::string PropertiesJson(const std::map<std::string, std::string>& properties);

// `infra_json` (an object) with the script host that ran (issue 11): a local run's under
// "script_host", a cluster's per worker under "script_hosts" ({"w1": {...}}); each one
// ScriptHostFactsJson (worker/script_runtime.h).
std::string WithScriptHostInfo(const std::string& infra_json, const ScriptHostFacts& facts);
std::string WithWorkerScriptHosts(const std::string& infra_json,
                                  const std::map<std::string, std::string>& facts_json_by_worker);

// plan_path, plan_name, plan_jmx and plan_metadata from `plan`; triggered_by = CurrentOsUser().
ExecutionInfo MakeExecutionInfo(const LoadedPlan& plan, int64_t started_at_ms, const std::string& project,
                                const std::map<std::string, std::string>& properties, std::string infra_json);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_EXECUTION_INFO_H_
