// What a plan contains, as the plan writes it: its thread groups, samplers, assertions, data
// files and script elements. One description for every reader: the results store keeps it with a test
// definition and `barrage inspect` renders its JSON and text from it (controller/inspect.h),
// so the two always agree. Built once per run from the compiled plan (controller/loaded_plan.h).
// Pure functions; SQLite stays in results_store.cc, JSON in inspect.cc.
#ifndef BARRAGE_CONTROLLER_PLAN_METADATA_H_
#define BARRAGE_CONTROLLER_PLAN_METADATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace barrage {

struct CompiledPlan;
struct HttpSampler;

// A count or duration field as the plan writes it: unset (monostate), a literal integer or
// real number (the text trimmed and parsed), or an expression kept as written
// ("${__P(users,5)}").
using PlanValue = std::variant<std::monostate, int64_t, double, std::string>;
PlanValue ParsePlanValue(std::string_view text);
// The value as text: "" when unset, the number as JSON prints it ("10", "1.5"), the
// expression as written.
std::string PlanValueText(const PlanValue& value);

struct PlanMetadata {
  struct ThreadGroupInfo {
    std::string name;
    std::string kind;  // KindName() of a supported group, the testclass otherwise
    PlanValue threads, ramp_time, loops, duration, delay;
    bool scheduler = false;
    // A dynamic thread group's properties (issue 12): target_level, ramp_up, steps, hold,
    // iterations, concurrency_limit, unit, rows (Free-Form: "start,end,duration", one entry
    // per row); or an Open Model's schedule and random_seed. Empty for other groups.
    std::vector<std::pair<std::string, PlanValue>> model;
    std::string on_sample_error;  // continue, startnextloop, stopthread, stoptest, stoptestnow
    int line = 0;
    bool supported = false;
    // Ultimate and Stepping Thread Groups (issue 12): the planned schedule, evaluated with
    // the plan's properties only; `planned_error` when a value cannot be evaluated so.
    bool planned = false;
    std::vector<int> active_per_second;  // users running at 0 s, 1 s, ... up to the last end
    std::string planned_error;
  };
  struct SamplerInfo {
    std::string name, kind;
    std::string method, url;  // HTTP samplers (url: template after defaults); "" otherwise
    std::string testclass;
    int line = 0;
    bool supported = false;
  };
  struct AssertionInfo {
    std::string name, type;  // type: the testclass without its package (ResponseAssertion)
  };
  struct DataFileInfo {
    std::string path, variable_names, delimiter, share_mode;  // as written in the CSV Data Set
    int line = 0;
  };
  // A JSR223, BeanShell or BSF element (issue 11), whatever its role.
  struct ScriptInfo {
    std::string name, testclass;
    std::string role;                 // sampler, preprocessor, postprocessor, assertion, timer
    std::string language_as_written;  // scriptLanguage ("" when unset); "beanshell" for BeanShell
    std::string language;             // the host's: groovy, javascript, beanshell; "" when none
    std::string filename;             // the script file as written; "" for an inline script
    int line = 0;
  };
  std::vector<ThreadGroupInfo> thread_groups;  // plan order, each element once
  std::vector<SamplerInfo> samplers;
  std::vector<AssertionInfo> assertions;
  std::vector<DataFileInfo> data_files;
  std::vector<ScriptInfo> scripts;  // plan order, each element once
};

PlanMetadata ExtractPlanMetadata(const CompiledPlan& compiled);

// The URL an HTTP sampler requests, as a template: protocol://host[:port]/path[?query],
// with values missing on the sampler taken from the HTTP Request Defaults in its scope.
std::string HttpUrlTemplate(const HttpSampler& sampler);
// The sampler's method after defaults ("GET" when nothing sets it).
std::string HttpMethod(const HttpSampler& sampler);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_PLAN_METADATA_H_
