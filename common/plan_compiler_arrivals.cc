// Issue 12: the bzm plugins' dynamic thread groups (com.blazemeter.jmeter.threads.*):
// Concurrency, Arrivals and Free-Form Arrivals Thread Groups, read into a DynamicThreadGroup.
// Property names and defaults follow AbstractDynamicThreadGroupModel / AbstractDynamicThreadGroup
// (TargetLevel "1", RampUp "", Steps "", Hold "1", Iterations "", Unit S|M), ArrivalsThreadGroup
// (ConcurrencyLimit) and FreeFormArrivalsThreadGroup (Schedule: rows of start, end, duration);
// JMeter 5.5's OpenModelThreadGroup (OpenModelThreadGroup.schedule, .random_seed).
#include <cstdlib>
#include <memory>
#include <string>

#include "common/element_compiler.h"
#include "common/open_model_schedule.h"

namespace barrage {

namespace {

// RampUp, Hold and the schedule's cells are doubles in the plugin (Double.parseDouble).
void CheckDecimal(const Value& v, const TestElement& e, std::string_view prop, CompileLog& log) {
  if (v.dynamic() || v.text.empty()) return;
  char* end = nullptr;
  std::strtod(v.text.c_str(), &end);
  if (end == v.text.c_str() || *end != '\0') {
    log.Error(DescribeElement(e) + ": " + std::string(prop) + " '" + v.text + "' is not a number", e.line);
  }
}

}  // namespace

std::unique_ptr<DynamicThreadGroup> MakeArrivalsElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<DynamicThreadGroup>(kind);
  n->loops = Value::Of("1");  // the group's schedule decides after each iteration
  n->num_threads = Value::Of("0");
  if (kind == ElementKind::kOpenModelThreadGroup) {
    n->open_schedule = V(e, "OpenModelThreadGroup.schedule");
    n->random_seed = V(e, "OpenModelThreadGroup.random_seed", "0");
    CheckWholeNumber(n->random_seed, e, "OpenModelThreadGroup.random_seed", true, log);
    if (!n->open_schedule.dynamic()) {
      Result<OpenModelSchedule> parsed = ParseOpenModelSchedule(n->open_schedule.text);
      if (!parsed.ok()) {
        log.Error(DescribeElement(e) + ": OpenModelThreadGroup.schedule: " + parsed.status().message(), e.line);
      }
    }
    return n;
  }
  n->target_level = V(e, "TargetLevel", "1");
  n->ramp_up = V(e, "RampUp");
  n->steps = V(e, "Steps");
  n->hold = V(e, "Hold", "1");
  n->iterations = V(e, "Iterations");
  std::string unit = e.GetString("Unit", "S");
  n->minutes = unit == "M";
  if (unit != "M" && unit != "S" && !unit.empty()) {
    log.Warning(DescribeElement(e) + ": Unit '" + unit + "' is neither M nor S: seconds are used, as the plugin does",
                e.line);
  }
  if (!e.GetString("LogFilename").empty()) {
    log.Warning(DescribeElement(e) + ": LogFilename is ignored (Barrage writes no arrivals log)", e.line);
  }
  if (kind != ElementKind::kFreeFormArrivalsThreadGroup) {
    CheckWholeNumber(n->target_level, e, "TargetLevel", false, log);
    CheckDecimal(n->ramp_up, e, "RampUp", log);
    CheckWholeNumber(n->steps, e, "Steps", true, log);
    CheckDecimal(n->hold, e, "Hold", log);
  }
  CheckWholeNumber(n->iterations, e, "Iterations", true, log);
  if (kind != ElementKind::kConcurrencyThreadGroup) {
    n->concurrency_limit = V(e, "ConcurrencyLimit");
    CheckWholeNumber(n->concurrency_limit, e, "ConcurrencyLimit", true, log);
  }
  if (kind == ElementKind::kFreeFormArrivalsThreadGroup) {
    const Property* schedule = e.Find("Schedule");
    if (schedule) {
      for (const Property& row : schedule->items) {
        if (row.items.size() != 3) {
          log.Error(DescribeElement(e) + ": Schedule row (line " + std::to_string(row.line) +
                        ") must have 3 cells (start, end, duration), has " + std::to_string(row.items.size()),
                    e.line);
          continue;
        }
        DynamicThreadGroup::Row r{Value::Of(row.items[0].value), Value::Of(row.items[1].value),
                                  Value::Of(row.items[2].value)};
        CheckDecimal(r.start, e, "Schedule start", log);
        CheckDecimal(r.end, e, "Schedule end", log);
        CheckDecimal(r.duration, e, "Schedule duration", log);
        n->schedule.push_back(std::move(r));
      }
    }
  }
  return n;
}

}  // namespace barrage
