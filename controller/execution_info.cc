#include "controller/execution_info.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/input_file.h"

namespace barrage {

std::string PropertiesJson(const std::map<std::string, std::string>& properties) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [k, v] : properties) object[k] = v;
  // Property files may be Latin-1: invalid UTF-8 bytes become U+FFFD instead of throwing.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ExecutionInfo> MakeExecutionInfo(const std::string& plan_path, const std::string& plan_name,
                                        int64_t started_at_ms, const std::string& project,
                                        const std::map<std::string, std::string>& properties,
                                        std::string infra_json) {
  Result<std::string> bytes = ReadRegularFile(plan_path, kMaxPlanBytes, "a plan");
  if (!bytes.ok()) return bytes.status();
  ExecutionInfo info;
  info.plan_path = plan_path;
  info.plan_name = plan_name;
  info.started_at_ms = started_at_ms;
  info.project = project;
  info.plan_jmx = std::move(bytes).value();
  info.properties_json = PropertiesJson(properties);
  info.infra_json = std::move(infra_json);
  info.triggered_by = CurrentOsUser();
  return info;
}

}  // namespace barrage
