// Builds the ExecutionInfo a run records (results_store.h): the plan's bytes for its test
// definition, the run's properties as JSON, the infrastructure, the OS user. Shared by the
// local and the cluster run so both record the same facts.
#ifndef BARRAGE_CONTROLLER_EXECUTION_INFO_H_
#define BARRAGE_CONTROLLER_EXECUTION_INFO_H_

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "controller/results_store.h"

namespace barrage {

// The properties as one JSON object, keys sorted ({"a":"1","b":"x"}).
std::string PropertiesJson(const std::map<std::string, std::string>& properties);

// Reads the plan file's bytes into plan_jmx (IoError naming the file when it cannot);
// triggered_by = CurrentOsUser().
Result<ExecutionInfo> MakeExecutionInfo(const std::string& plan_path, const std::string& plan_name,
                                        int64_t started_at_ms, const std::string& project,
                                        const std::map<std::string, std::string>& properties,
                                        std::string infra_json);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_EXECUTION_INFO_H_
