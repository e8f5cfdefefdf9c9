// Issue 12: the jmeter-plugins Ultimate and Stepping Thread Groups (kg.apc.jmeter.threads,
// casutg plugin) as ModelThreadGroup nodes. Their schedules are computed at run start
// (worker/thread_schedules.h), after `${...}` is evaluated.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/element_compiler.h"

namespace barrage {

namespace {

constexpr const char* kUltimateColumns[5] = {"start threads count", "initial delay", "startup time", "hold load for",
                                             "shutdown time"};

// The text of a row's cell. JMeter saves a value repeated in a collection as an XStream
// reference relative to the cell (reference="../../collectionProp/stringProp[3]": up to
// the row, then the collection, then its first collectionProp's third stringProp); it is
// followed within `data`. nullopt when it leads nowhere.
std::optional<std::string> CellText(const Property& data, const Property& row, const Property& cell) {
  std::string_view path = cell.Attribute("reference");
  if (path.empty()) return cell.value;
  std::vector<const Property*> stack = {&data, &row, &cell};
  for (int hops = 0; hops < 8 && !path.empty(); ++hops) {  // a reference to a reference at most a few times
    while (!path.empty()) {
      size_t slash = path.find('/');
      std::string_view step = path.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
      if (step == "..") {
        stack.pop_back();
        if (stack.empty()) return std::nullopt;  // above the collection
        continue;
      }
      size_t index = 1;
      if (size_t bracket = step.find('['); bracket != std::string_view::npos) {
        std::optional<int64_t> i = ParseInt64(step.substr(bracket + 1, step.size() - bracket - 2));
        if (!i || *i < 1) return std::nullopt;
        index = static_cast<size_t>(*i);
        step = step.substr(0, bracket);
      }
      const Property* found = nullptr;
      for (const Property& child : stack.back()->items) {
        if (PropertyTypeName(child.type) == step && --index == 0) {
          found = &child;
          break;
        }
      }
      if (!found) return std::nullopt;
      stack.push_back(found);
    }
    path = stack.back()->Attribute("reference");
    if (path.empty()) return stack.back()->value;
    // A reference to a reference: follow it from where it is (its ancestors stay on the stack).
  }
  return std::nullopt;
}

// A literal must be a whole number >= 0; a template is checked when it is evaluated.
void CheckCount(const Value& v, const std::string& where, int line, CompileLog& log) {
  if (v.dynamic()) return;
  std::optional<int64_t> n = ParseInt64(v.text);
  if (!n || *n < 0) log.Error(where + " '" + v.text + "' is not a whole number >= 0", line);
}

std::unique_ptr<Node> MakeUltimate(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<ModelThreadGroup>(ElementKind::kUltimateThreadGroup);
  ReadThreadGroupBasics(e, n.get(), log);
  // UltimateThreadGroup.getData: `ultimatethreadgroupdata`, or the `threads_schedule`
  // collection some tools wrote instead (the plugin copies it over).
  const Property* data = e.Find("ultimatethreadgroupdata");
  if (!data) data = e.Find("threads_schedule");
  if (!data || data->type != PropertyType::kCollection) {
    log.Error(DescribeElement(e) + ": no ultimatethreadgroupdata rows", e.line);
    return n;
  }
  int row_number = 0;
  for (const Property& row : data->items) {
    ++row_number;
    const int line = row.line > 0 ? row.line : e.line;
    const std::string where = DescribeElement(e) + ": row " + std::to_string(row_number);
    if (row.type != PropertyType::kCollection || row.items.size() != 5) {
      log.Error(where + " has " + std::to_string(row.items.size()) +
                    " columns; expected 5 (start threads count, initial delay s, startup time s, hold load for s, "
                    "shutdown time s)",
                line);
      continue;
    }
    ModelThreadGroup::Row r;
    r.line = line;
    for (int c = 0; c < 5; ++c) {
      std::optional<std::string> text = CellText(*data, row, row.items[c]);
      if (!text) {
        log.Error(where + ", column " + std::to_string(c + 1) + ": unresolved reference '" +
                      std::string(row.items[c].Attribute("reference")) + "'",
                  line);
      }
      r.columns[c] = Value::Of(text.value_or(""));
      if (text)
        CheckCount(r.columns[c], where + ", column " + std::to_string(c + 1) + " (" + kUltimateColumns[c] + ")", line,
                   log);
    }
    n->rows.push_back(std::move(r));
  }
  return n;
}

std::unique_ptr<Node> MakeStepping(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<ModelThreadGroup>(ElementKind::kSteppingThreadGroup);
  ReadThreadGroupBasics(e, n.get(), log);
  // getPropertyAsInt: an absent property is 0.
  struct Field {
    Value ModelThreadGroup::*member;
    const char* property;
  };
  static constexpr Field kFields[] = {
      {&ModelThreadGroup::num_threads, "ThreadGroup.num_threads"},
      {&ModelThreadGroup::initial_delay, "Threads initial delay"},
      {&ModelThreadGroup::start_users_count, "Start users count"},
      {&ModelThreadGroup::start_users_count_burst, "Start users count burst"},
      {&ModelThreadGroup::start_users_period, "Start users period"},
      {&ModelThreadGroup::stop_users_count, "Stop users count"},
      {&ModelThreadGroup::stop_users_period, "Stop users period"},
      {&ModelThreadGroup::flight_time, "flighttime"},
      {&ModelThreadGroup::ramp_up, "rampUp"},
  };
  for (const Field& f : kFields) {
    Value v = V(e, f.property, "0");
    if (v.text.empty()) v = Value::Of("0");
    CheckCount(v, DescribeElement(e) + ": " + f.property, e.line, log);
    (*n).*(f.member) = std::move(v);
  }
  return n;
}

// VariableThroughputTimer's `load_profile` rows: start RPS, end RPS, duration s.
std::unique_ptr<Node> MakeShapingTimer(const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<ThroughputShapingTimer>(ElementKind::kThroughputShapingTimer);
  const Property* data = e.Find("load_profile");
  if (!data || data->type != PropertyType::kCollection) {
    log.Error(DescribeElement(e) + ": no load_profile rows", e.line);
    return n;
  }
  static constexpr const char* kColumns[3] = {"start RPS", "end RPS", "duration"};
  int row_number = 0;
  for (const Property& row : data->items) {
    ++row_number;
    const int line = row.line > 0 ? row.line : e.line;
    const std::string where = DescribeElement(e) + ": row " + std::to_string(row_number);
    if (row.type != PropertyType::kCollection || row.items.size() != 3) {
      log.Error(
          where + " has " + std::to_string(row.items.size()) + " columns; expected 3 (start RPS, end RPS, duration s)",
          line);
      continue;
    }
    std::string texts[3];
    bool resolved[3] = {true, true, true};
    for (int c = 0; c < 3; ++c) {
      std::optional<std::string> text = CellText(*data, row, row.items[c]);
      if (!text) {
        log.Error(where + ", column " + std::to_string(c + 1) + ": unresolved reference '" +
                      std::string(row.items[c].Attribute("reference")) + "'",
                  line);
      }
      texts[c] = text.value_or("");
      resolved[c] = text.has_value();
    }
    ThroughputShapingTimer::Row r{Value::Of(texts[0]), Value::Of(texts[1]), Value::Of(texts[2]), line};
    const Value* columns[3] = {&r.start_rps, &r.end_rps, &r.duration_s};
    for (int c = 0; c < 3; ++c) {
      const Value& v = *columns[c];
      if (v.dynamic() || !resolved[c]) continue;
      const std::string at = where + ", column " + std::to_string(c + 1) + " (" + kColumns[c] + ") '" + v.text + "'";
      if (c < 2) {
        std::optional<double> d = ParseDouble(v.text);
        if (!d || *d < 0) log.Error(at + " is not a number >= 0", line);
      } else {
        std::optional<int64_t> i = ParseInt64(v.text);
        if (!i || *i < 0) log.Error(at + " is not a whole number of seconds >= 0", line);
      }
    }
    n->rows.push_back(std::move(r));
  }
  return n;
}

}  // namespace

std::unique_ptr<Node> MakeModelTimer(ElementKind kind, const TestElement& e, CompileLog& log) {
  if (kind == ElementKind::kThroughputShapingTimer) return MakeShapingTimer(e, log);
  auto n = std::make_unique<PreciseThroughputTimer>(ElementKind::kPreciseThroughputTimer);
  // PreciseThroughputTimerBeanInfo's defaults.
  n->throughput = V(e, "throughput", "100");
  n->throughput_period = V(e, "throughputPeriod", "3600");
  n->duration = V(e, "duration", "3600");
  n->batch_size = V(e, "batchSize", "1");
  n->random_seed = V(e, "randomSeed", "0");
  const std::string what = DescribeElement(e) + ": ";
  if (!n->throughput.dynamic()) {
    std::optional<double> t = ParseDouble(n->throughput.text);
    if (!t || *t < 0) log.Error(what + "throughput '" + n->throughput.text + "' is not a number >= 0", e.line);
  }
  for (const Value* v : {&n->throughput_period, &n->duration, &n->batch_size}) {
    if (v->dynamic()) continue;
    std::optional<int64_t> i = ParseInt64(v->text);
    if (!i || *i <= 0) {
      const char* name = v == &n->throughput_period ? "throughputPeriod" : v == &n->duration ? "duration" : "batchSize";
      log.Error(what + name + " '" + v->text + "' is not a whole number > 0", e.line);
    }
  }
  CheckWholeNumber(n->random_seed, e, "randomSeed", false, log);
  return n;
}

std::unique_ptr<Node> MakeModelThreadGroup(ElementKind kind, const TestElement& e, CompileLog& log) {
  if (kind == ElementKind::kUltimateThreadGroup) return MakeUltimate(e, log);
  return MakeStepping(e, log);
}

}  // namespace barrage
