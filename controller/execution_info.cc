#include "controller/execution_info.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

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
  std::ifstream in(plan_path, std::ios::binary);
  std::ostringstream bytes;
  if (!in || !(bytes << in.rdbuf())) return Status::IoError(plan_path + ": cannot read the plan");
  ExecutionInfo info;
  info.plan_path = plan_path;
  info.plan_name = plan_name;
  info.started_at_ms = started_at_ms;
  info.project = project;
  info.plan_jmx = std::move(bytes).str();
  info.properties_json = PropertiesJson(properties);
  info.infra_json = std::move(infra_json);
  info.triggered_by = CurrentOsUser();
  return info;
}

}  // namespace barrage
