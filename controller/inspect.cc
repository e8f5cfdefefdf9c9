#include "controller/inspect.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include "common/exit_codes.h"
#include "common/jmx_parser.h"
#include "controller/loaded_plan.h"
#include "controller/plan_metadata.h"
#include "worker/script_runtime.h"

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
  if (!g.model.empty()) {
    json model = json::object();
    for (const auto& [name, value] : g.model) {
      if (name == "rows") {
        model["rows"].push_back(ValueJson(value));
      } else {
        model[name] = ValueJson(value);
      }
    }
    tg["model"] = model;
  }
  if (g.planned) {
    json planned;
    planned["active_per_second"] = g.active_per_second;
    planned["error"] = g.planned_error.empty() ? json(nullptr) : json(g.planned_error);
    tg["planned"] = planned;
  }
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

// A script element: its language, its file and whether this machine's host runs it.
json ScriptJson(const PlanMetadata::ScriptInfo& x, const std::string& plan_path, const ScriptRuntime& runtime) {
  namespace fs = std::filesystem;
  json s;
  s["name"] = x.name;
  s["line"] = x.line;
  s["testclass"] = x.testclass;
  s["role"] = x.role;
  s["language_as_written"] = x.language_as_written;
  s["language"] = x.language.empty() ? json(nullptr) : json(x.language);
  s["source"] = x.filename.empty() ? "inline" : "file";
  s["filename"] = x.filename.empty() ? json(nullptr) : json(x.filename);
  json exists = nullptr;  // inline, or a file name with ${...} (known at run time only)
  if (!x.filename.empty() && x.filename.find("${") == std::string::npos) {
    fs::path file(x.filename);
    if (file.is_relative()) file = fs::path(plan_path).parent_path() / file;
    std::error_code ec;
    exists = fs::is_regular_file(file, ec);
  }
  s["file_exists"] = exists;
  json missing = json::array();
  if (!x.language.empty()) {
    for (const std::string& m : ScriptLanguageMissing(runtime, x.language)) missing.push_back(m);
  }
  s["runs_here"] = !x.language.empty() && missing.empty();
  s["missing"] = missing;
  return s;
}

}  // namespace

json BuildInspectReport(const CompiledPlan& compiled) {
  const PlanMetadata metadata = ExtractPlanMetadata(compiled);
  return BuildInspectReport(compiled, metadata.scripts.empty() ? ScriptRuntime() : FindScriptRuntime());
}

json BuildInspectReport(const CompiledPlan& compiled, const ScriptRuntime& runtime) {
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
  json scripts = json::array();
  bool scripts_run_here = true;
  for (const PlanMetadata::ScriptInfo& x : metadata.scripts) {
    scripts.push_back(ScriptJson(x, plan.tree.path, runtime));
    scripts_run_here = scripts_run_here && scripts.back()["runs_here"].get<bool>();
  }
  report["scripts"] = scripts;
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
  report["runnable_here"] = plan.runnable() && scripts_run_here;
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
    out << "  " << tg["name"].get<std::string>() << "  [" << tg["kind"].get<std::string>() << "]";
    if (tg.contains("model")) {  // a dynamic thread group (issue 12)
      for (const auto& [name, value] : tg["model"].items()) {
        if (value.is_array()) {
          for (const json& row : value) out << " " << name << "=" << Text(row);
        } else {
          out << " " << name << "=" << Text(value);
        }
      }
    } else {
      out << " threads=" << Text(tg["num_threads"]) << " ramp=" << Text(tg["ramp_time"])
          << " loops=" << Text(tg["loops"]);
    }
    if (tg["scheduler"].get<bool>()) {
      out << " duration=" << Text(tg["duration"]) << " delay=" << Text(tg["delay"]);
    }
    out << " on_error=" << Text(tg["on_sample_error"]) << "  (line " << tg["line"] << ")\n";
    if (tg.contains("planned")) {
      // The planned active users, where they change: "0s:0 5s:1 ..." (at most 40 changes).
      const json& p = tg["planned"];
      if (!p["error"].is_null()) {
        out << "    planned: " << p["error"].get<std::string>() << "\n";
      } else {
        const std::vector<int> curve = p["active_per_second"].get<std::vector<int>>();
        out << "    planned active users by second:";
        int shown = 0;
        for (size_t t = 0; t < curve.size(); ++t) {
          if (t > 0 && curve[t] == curve[t - 1]) continue;
          if (++shown > 40) {
            out << " ...";
            break;
          }
          out << " " << t << "s:" << curve[t];
        }
        out << "\n";
      }
    }
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

  if (!r["scripts"].empty()) {
    out << "\nScripts (" << r["scripts"].size() << "):\n";
    for (const json& x : r["scripts"]) {
      out << "  " << x["name"].get<std::string>() << "  [" << x["testclass"].get<std::string>() << "] "
          << (x["language"].is_null() ? "no interpreter for '" + x["language_as_written"].get<std::string>() + "'"
                                      : x["language"].get<std::string>());
      if (!x["language_as_written"].get<std::string>().empty() && x["language_as_written"] != x["language"]) {
        out << " (written " << x["language_as_written"].get<std::string>() << ")";
      }
      if (x["filename"].is_null()) {
        out << ", inline";
      } else {
        out << ", file " << x["filename"].get<std::string>();
        if (x["file_exists"] == false) out << " (not found beside the plan)";
      }
      out << "  (line " << x["line"] << ")";
      if (!x["language"].is_null()) {
        if (x["runs_here"].get<bool>()) {
          out << ": runs here";
        } else {
          out << ": not runnable here, install";
          std::string sep = " ";
          for (const json& m : x["missing"]) {
            out << sep << m.get<std::string>();
            sep = ", ";
          }
        }
      }
      out << "\n";
    }
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
  out << "\nVerdict: ";
  if (!r["runnable"].get<bool>()) {
    out << "NOT runnable (unsupported elements or errors above)\n";
  } else if (!r.value("runnable_here", true)) {
    out << "runnable, but NOT on this machine (script interpreters missing above)\n";
  } else {
    out << "runnable\n";
  }
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
