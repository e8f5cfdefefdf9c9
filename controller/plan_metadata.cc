#include "controller/plan_metadata.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/plan_compiler.h"
#include "controller/inspect.h"

namespace barrage {
namespace {

// inspect's values are numbers, expression strings or null.
std::string Text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

PlanMetadata ExtractPlanMetadata(const CompiledPlan& compiled) {
  // One description of a plan: inspect's report, so `inspect` and the store agree.
  const nlohmann::json report = BuildInspectReport(compiled);
  PlanMetadata m;
  for (const nlohmann::json& tg : report["thread_groups"]) {
    m.thread_groups.push_back({Text(tg["name"]), Text(tg["kind"]), Text(tg["num_threads"]), Text(tg["ramp_time"]),
                               Text(tg["loops"]), Text(tg["duration"])});
  }
  for (const nlohmann::json& s : report["samplers"]) {
    m.samplers.push_back({Text(s["name"]), Text(s["kind"]), Text(s["method"]), Text(s["url"])});
  }
  for (const ListedElement& item : compiled.listing) {
    if (item.cls.role == Role::kAssertion) m.assertions.push_back({item.source->testname, item.cls.testclass});
  }
  for (const DataFile& d : compiled.plan.data_files) m.data_files.push_back({d.filename, d.variable_names});
  return m;
}

}  // namespace barrage
