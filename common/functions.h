// Evaluation of `${...}` templates (template.h) with JMeter's variables and functions.
//
// Semantics follow JMeter: `${name}` gives the variable's value, or stays `${name}` as
// written when the variable is not set; functions are evaluated innermost first; an unknown
// function stays as written. Supported functions: __P, __property, __setProperty, __Random,
// __RandomString, __threadNum, __counter, __time, __timeShift, __UUID, __intSum, __longSum,
// __urlencode, __urldecode, __V, __evalVar, __split, __char, __StringFromFile,
// __FileToString, __machineName, __TestPlanName; script functions (__jexl2/__jexl3/
// __groovy/__javaScript) only for one-line comparisons (EvaluateScript below).
//
// Threading: a ThreadContext belongs to one virtual user (one event-loop thread); the
// RunContext it points to is shared by all and thread-safe.
#ifndef BARRAGE_COMMON_FUNCTIONS_H_
#define BARRAGE_COMMON_FUNCTIONS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/plan.h"
#include "common/status.h"
#include "common/template.h"
#include "common/variables.h"

namespace barrage {

// State shared by every virtual user of a run. Thread-safe.
class RunContext {
 public:
  Properties properties;
  std::string test_plan_file;   // the .jmx file name, as __TestPlanName returns it
  std::string base_dir;         // the plan's folder: relative file names resolve here
  std::string machine_name;     // host name (__machineName)

  // __counter(FALSE): one counter per function occurrence, shared by all users.
  int64_t NextGlobalCounter(const void* occurrence);
  // __StringFromFile: the next line of `path` (reopened at the end), nullopt when the file
  // cannot be read. One reader per file name, shared by all users.
  std::optional<std::string> NextLineOf(const std::string& path);
  // __FileToString: the whole file, cached; nullopt when unreadable.
  std::optional<std::string> FileContents(const std::string& path);

 private:
  std::mutex mu_;
  std::unordered_map<const void*, int64_t> global_counters_;
  struct LineReader;
  std::unordered_map<std::string, std::shared_ptr<LineReader>> readers_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> files_;
};

// One virtual user's evaluation context.
struct ThreadContext {
  RunContext* run = nullptr;
  Variables vars;
  int thread_num = 1;            // 1-based within its thread group (__threadNum)
  std::string thread_name;       // "<group> <g>-<n>"
  std::string group_name;
  std::mt19937_64 rng{std::random_device{}()};
  // __counter(TRUE): per user, per function occurrence.
  std::unordered_map<const void*, int64_t> user_counters;
};

// Evaluates a template.
std::string Evaluate(const Template& t, ThreadContext& ctx);
// Evaluates a plan value: its text when literal, else its parsed template.
std::string Evaluate(const Value& v, ThreadContext& ctx);
// Parses and evaluates text that was not parsed ahead (a variable's value for __V/__eval).
std::string EvaluateText(std::string_view text, ThreadContext& ctx);

// The one-line script expressions plans use in If/While controllers and __jexl3/__groovy:
// literals ("a", 'a', 12, 1.5, true, false, null), vars.get("x"), props.get("x"),
// comparisons == != < > <= >= (numeric when both sides are numbers, else string),
// && || ! and parentheses, and "x".equals("y"). Returns "true"/"false" (or the value of a
// lone operand); an expression outside this grammar is an Unsupported status naming it.
Result<std::string> EvaluateScript(std::string_view expression, ThreadContext& ctx);

// JMeter's If/While condition test: the evaluated text equals "true", ignoring case.
bool IsTrue(std::string_view evaluated);

}  // namespace barrage

#endif  // BARRAGE_COMMON_FUNCTIONS_H_
