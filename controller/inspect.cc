#include "controller/inspect.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "common/exit_codes.h"
#include "common/jmx_parser.h"
#include "controller/loaded_plan.h"
#include "controller/plan_metadata.h"

namespace barrage {
namespace {

using nlohmann::json;

json ValueJson(const PlanValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return *i;
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const std::string* t = std::get_if<std::string>(&v)) return *t;
  return nullptr;
}

json ThreadGroupJson(const PlanMetadata::ThreadGroupInfo& g) {
  json tg;
  tg["name"] = g.name;
  tg["line"] = g.line;
  tg["supported"] = g.supported;
  tg["kind"] = g.kind;
  tg["num_threads"] = ValueJson(g.threads);
  tg["ramp_time"] = ValueJson(g.ramp_time);
  tg["loops"] = ValueJson(g.loops);
  tg["scheduler"] = g.scheduler;
  tg["duration"] = ValueJson(g.duration);
  tg["delay"] = ValueJson(g.delay);
  tg["on_sample_error"] = g.on_sample_error;
  return tg;
}

json SamplerJson(const PlanMetadata::SamplerInfo& x) {
  json s;
  s["name"] = x.name;
  s["line"] = x.line;
  s["supported"] = x.supported;
  s["testclass"] = x.testclass;
  s["kind"] = x.kind;
  s["method"] = x.method.empty() ? json(nullptr) : json(x.method);
  s["url"] = x.url.empty() ? json(nullptr) : json(x.url);
  return s;
}

}  // namespace

json BuildInspectReport(const CompiledPlan& compiled) {
  const Plan& plan = compiled.plan;
  // The elements, as the results store keeps them: one description of a plan.
  const PlanMetadata metadata = ExtractPlanMetadata(compiled);

  json report;
  report["file"] = plan.tree.path;
  json test_plan;
  if (plan.root) {
    test_plan["name"] = plan.root->name;
    test_plan["serialize_thread_groups"] = plan.root->serialize_thread_groups;
    test_plan["teardown_on_shutdown"] = plan.root->teardown_on_shutdown;
    json udv = json::object();
    for (const Argument& a : plan.root->user_defined_variables) udv[a.name.text] = a.value.text;
    test_plan["user_defined_variables"] = udv;
  }
  report["test_plan"] = test_plan;

  json thread_groups = json::array();
  for (const PlanMetadata::ThreadGroupInfo& g : metadata.thread_groups) thread_groups.push_back(ThreadGroupJson(g));
  report["thread_groups"] = thread_groups;
  json samplers = json::array();
  for (const PlanMetadata::SamplerInfo& x : metadata.samplers) samplers.push_back(SamplerJson(x));
  report["samplers"] = samplers;

  json data_files = json::array();
  for (const PlanMetadata::DataFileInfo& d : metadata.data_files) {
    data_files.push_back({{"filename", d.path},
                          {"variable_names", d.variable_names},
                          {"delimiter", d.delimiter},
                          {"share_mode", d.share_mode},
                          {"line", d.line}});
  }
  report["data_files"] = data_files;
  report["variables"] = compiled.variables;
  report["functions"] = compiled.functions;

  json ignored = json::array();
  for (const ListedElement& item : compiled.listing) {
    if (!item.cls.ignored) continue;
    std::string reason = item.cls.reason;
    std::string file(TrimAscii(item.source->GetString("filename")));
    if (item.cls.testclass == "ResultCollector" && !file.empty()) reason = "listener: barrage writes its file " + file;
    ignored.push_back({{"testclass", item.cls.testclass},
                       {"name", item.source->testname},
                       {"line", item.source->line},
                       {"role", RoleName(item.cls.role)},
                       {"reason", reason}});
  }
  report["ignored"] = ignored;
  json unsupported = json::array();
  for (const UnsupportedElement& u : plan.unsupported) {
    unsupported.push_back({{"testclass", u.testclass},
                           {"name", u.name},
                           {"line", u.line},
                           {"reason", u.reason},
                           {"alternative", u.alternative.empty() ? json(nullptr) : json(u.alternative)}});
  }
  report["unsupported"] = unsupported;
  json problems = json::array();
  for (const Problem& p : plan.problems) {
    problems.push_back({{"severity", SeverityName(p.severity)}, {"message", p.message}, {"line", p.line}});
  }
  report["problems"] = problems;
  report["runnable"] = plan.runnable();
  return report;
}

namespace {

std::string Text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string RenderInspectText(const json& r) {
  std::ostringstream out;
  out << "Plan: " << Text(r["test_plan"].value("name", json())) << "  (" << r["file"].get<std::string>() << ")\n";

  out << "\nThread groups (" << r["thread_groups"].size() << "):\n";
  for (const json& tg : r["thread_groups"]) {
    out << "  " << tg["name"].get<std::string>() << "  [" << tg["kind"].get<std::string>()
        << "] threads=" << Text(tg["num_threads"]) << " ramp=" << Text(tg["ramp_time"])
        << " loops=" << Text(tg["loops"]);
    if (tg["scheduler"].get<bool>()) {
      out << " duration=" << Text(tg["duration"]) << " delay=" << Text(tg["delay"]);
    }
    out << " on_error=" << Text(tg["on_sample_error"]) << "  (line " << tg["line"] << ")\n";
  }

  out << "\nSamplers (" << r["samplers"].size() << "):\n";
  for (const json& s : r["samplers"]) {
    out << "  " << s["name"].get<std::string>() << "  [" << s["kind"].get<std::string>() << "]";
    if (!s["method"].is_null()) out << " " << Text(s["method"]) << " " << Text(s["url"]);
    out << "  (line " << s["line"] << ")\n";
  }

  out << "\nData files (" << r["data_files"].size() << "):\n";
  for (const json& d : r["data_files"]) {
    out << "  " << d["filename"].get<std::string>() << "  variables=" << Text(d["variable_names"])
        << " delimiter=" << Text(d["delimiter"]) << " share=" << Text(d["share_mode"]) << "\n";
  }

  auto list = [&out](const char* title, const json& names) {
    out << "\n" << title << " (" << names.size() << "):";
    for (const json& n : names) out << " " << n.get<std::string>();
    out << "\n";
  };
  list("Variables used", r["variables"]);
  list("Functions used", r["functions"]);

  out << "\nIgnored elements (" << r["ignored"].size() << "):\n";
  for (const json& i : r["ignored"]) {
    out << "  line " << i["line"] << ": " << i["testclass"].get<std::string>() << " '" << i["name"].get<std::string>()
        << "': " << i["reason"].get<std::string>() << "\n";
  }
  out << "\nUnsupported elements (" << r["unsupported"].size() << "):\n";
  for (const json& u : r["unsupported"]) {
    out << "  line " << u["line"] << ": " << u["testclass"].get<std::string>() << " '" << u["name"].get<std::string>()
        << "': " << u["reason"].get<std::string>();
    if (!u["alternative"].is_null()) out << "; instead: " << u["alternative"].get<std::string>();
    out << "\n";
  }
  out << "\nProblems (" << r["problems"].size() << "):\n";
  for (const json& p : r["problems"]) {
    out << "  " << p["severity"].get<std::string>();
    if (p["line"].get<int>() > 0) out << " (line " << p["line"] << ")";
    out << ": " << p["message"].get<std::string>() << "\n";
  }
  out << "\nVerdict: "
      << (r["runnable"].get<bool>() ? "runnable" : "NOT runnable (unsupported elements or errors above)") << "\n";
  return out.str();
}

std::string RenderInspectJson(const json& report) { return report.dump(2, ' ', false, json::error_handler_t::replace); }

int RunInspect(const std::string& plan_path, bool as_json) {
  Result<LoadedPlan> loaded = LoadPlan(plan_path);  // with its Include Controllers' files
  if (!loaded.ok()) {
    std::cerr << "barrage: " << loaded.status().message() << "\n";
    return kExitUsage;
  }
  const CompiledPlan& compiled = loaded->compiled;
  json report = BuildInspectReport(compiled);
  if (as_json) {
    std::cout << RenderInspectJson(report) << "\n";
  } else {
    std::cout << RenderInspectText(report);
  }
  return compiled.plan.runnable() ? kExitOk : kExitUsage;
}

}  // namespace barrage
