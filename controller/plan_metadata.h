// What the results store keeps about a test definition besides its .jmx bytes: the thread
// groups, samplers, assertions and data files, as the plan writes them (the same facts
// `barrage inspect` shows). Pure functions; SQLite stays in results_store.cc.
#ifndef BARRAGE_CONTROLLER_PLAN_METADATA_H_
#define BARRAGE_CONTROLLER_PLAN_METADATA_H_

#include <string>
#include <vector>

namespace barrage {

struct CompiledPlan;

struct PlanMetadata {
  // Numbers as the plan writes them: a literal ("10"), an expression ("${__P(users,5)}")
  // or "" when the plan leaves the field unset.
  struct ThreadGroupInfo {
    std::string name, kind, threads, ramp_time, loops, duration;
  };
  struct SamplerInfo {
    std::string name, kind;
    std::string method, url;  // HTTP samplers (url: template after defaults); "" otherwise
  };
  struct AssertionInfo {
    std::string name, type;   // type: the testclass without its package (ResponseAssertion)
  };
  struct DataFileInfo {
    std::string path, variable_names;  // as written in the CSV Data Set
  };
  std::vector<ThreadGroupInfo> thread_groups;  // plan order, each element once
  std::vector<SamplerInfo> samplers;
  std::vector<AssertionInfo> assertions;
  std::vector<DataFileInfo> data_files;
};

// Built once per run from the plan the run compiled (controller/loaded_plan.h) and handed to
// the store in ExecutionInfo: the store never parses a plan.
PlanMetadata ExtractPlanMetadata(const CompiledPlan& compiled);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_PLAN_METADATA_H_
