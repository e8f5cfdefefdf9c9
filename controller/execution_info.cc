#include "controller/execution_info.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace barrage {

std::string PropertiesJson(const std::map<std::string, std::string>& properties) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [k, v] : properties) {
    // A keystore password (javax.net.ssl.keyStorePassword...) is not recorded.
    bool secret =
        k.size() >= 8 && (k.compare(k.size() - 8, 8, "Password") == 0 || k.compare(k.size() - 8, 8, "password") == 0);
    object[k] = secret ? std::string("******") : v;
  }
  // Property files may be Latin-1: invalid UTF-8 bytes become U+FFFD instead of throwing.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

nlohmann::json InfraObject(const std::string& infra_json) {
  nlohmann::json infra = nlohmann::json::parse(infra_json, nullptr, /*allow_exceptions=*/false);
  return infra.is_object() ? infra : nlohmann::json::object();
}

}  // namespace

std::string WithScriptHostInfo(const std::string& infra_json, const ScriptHostFacts& facts) {
  nlohmann::json infra = InfraObject(infra_json);
  infra["script_host"] = nlohmann::json::parse(ScriptHostFactsJson(facts));
  return infra.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WithWorkerScriptHosts(const std::string& infra_json,
                                  const std::map<std::string, std::string>& facts_json_by_worker) {
  nlohmann::json infra = InfraObject(infra_json);
  nlohmann::json hosts = nlohmann::json::object();
  for (const auto& [worker, facts] : facts_json_by_worker) {
    // A worker's text is kept as it came when it is not JSON (never dropped, never fatal).
    nlohmann::json parsed = nlohmann::json::parse(facts, nullptr, /*allow_exceptions=*/false);
    hosts[worker] = parsed.is_discarded() ? nlohmann::json(facts) : parsed;
  }
  infra["script_hosts"] = hosts;
  return infra.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ExecutionInfo MakeExecutionInfo(const LoadedPlan& plan, int64_t started_at_ms, const std::string& project,
                                const std::map<std::string, std::string>& properties, std::string infra_json) {
  ExecutionInfo info;
  info.plan_path = plan.path;
  info.plan_name = plan.name();
  info.started_at_ms = started_at_ms;
  info.project = project;
  info.plan_jmx = plan.bytes;
  info.plan_metadata = plan.metadata;
  info.properties_json = PropertiesJson(properties);
  info.infra_json = std::move(infra_json);
  info.triggered_by = CurrentOsUser();
  return info;
}

}  // namespace barrage
