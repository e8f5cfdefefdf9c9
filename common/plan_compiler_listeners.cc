// Issue 10: listeners with a file (ResultCollector.filename), and issue 15: Backend
// Listeners, see element_compiler.h.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/element_compiler.h"
#include "common/jtl_columns.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

ResultFileListener ReadListener(const TestElement& e, CompileLog& log) {
  ResultFileListener r;
  r.name = e.testname;
  r.line = e.line;
  r.filename = V(e, "filename");
  r.error_only = e.GetBool("ResultCollector.error_logging", false);
  r.success_only = e.GetBool("ResultCollector.success_only_logging", false);
  const Property* config = e.Find("saveConfig");
  if (!config || config->items.empty()) {
    r.columns = DefaultJtlColumns();
    return r;
  }
  // A saved SampleSaveConfiguration: a field it does not name is false (XStream keeps
  // what the file says), as in JMeter.
  std::string left_out;
  for (const JtlColumnInfo& c : AllJtlColumns()) {
    if (!config->GetBool(c.save_field, false)) continue;
    if (c.written) {
      r.columns.push_back(c.column);
    } else {
      left_out += std::string(left_out.empty() ? "" : ", ") + std::string(c.save_field);
    }
  }
  r.field_names = config->GetBool("fieldNames", false);
  if (!left_out.empty()) {
    log.Warning(
        DescribeElement(e) + ": the saveConfig column(s) " + left_out + " are not written to " + r.filename.text,
        e.line);
  }
  if (config->GetBool("xml", false)) {
    log.Warning(DescribeElement(e) + ": " + r.filename.text + " is written as CSV; barrage does not write XML results",
                e.line);
  }
  if (r.columns.empty()) {
    log.Warning(DescribeElement(e) + ": its saveConfig selects no column barrage writes", e.line);
  }
  return r;
}

constexpr std::string_view kInfluxdbClient =
    "org.apache.jmeter.visualizers.backend.influxdb.InfluxdbBackendListenerClient";
constexpr std::string_view kGraphiteClient =
    "org.apache.jmeter.visualizers.backend.graphite.GraphiteBackendListenerClient";

// A Backend Listener with a client Barrage implements; nothing (a warning naming the
// client) for any other.
bool ReadBackendListener(const TestElement& e, CompileLog& log, BackendListenerSpec* out) {
  std::string classname(TrimAscii(e.GetString("classname")));
  if (classname == kInfluxdbClient) {
    out->client = BackendListenerSpec::Client::kInfluxdb;
  } else if (classname == kGraphiteClient) {
    out->client = BackendListenerSpec::Client::kGraphite;
  } else {
    log.Warning(DescribeElement(e) + ": its client " + (classname.empty() ? "(none)" : classname) +
                    " is not supported (barrage sends to InfluxDB and Graphite only): ignored, the results "
                    "are recorded by barrage",
                e.line);
    return false;
  }
  out->name = e.testname;
  out->line = e.line;
  out->classname = classname;
  if (const Property* args = e.Find("arguments")) {
    for (const Property* a : ElementItems(args->Find("Arguments.arguments"))) {
      Value name = V(*a, "Argument.name", a->name);
      out->arguments.push_back({std::string(TrimAscii(name.text)), V(*a, "Argument.value")});
    }
  }
  std::string queue(TrimAscii(e.GetString("QUEUE_SIZE")));
  if (!queue.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(queue.c_str(), &end, 10);
    if (end && *end == '\0' && n > 0) {
      out->queue_size = n;
    } else {
      log.Warning(DescribeElement(e) + ": QUEUE_SIZE " + queue + " is not a positive whole number: 5000 is used",
                  e.line);
    }
  }
  return true;
}

// Collects result files into `files` and Backend Listeners into `backends` (either null:
// not collected).
void Walk(const TestElement& e, const std::string& prefix, int depth, const std::vector<const ThreadGroup*>& groups,
          CompileLog& log, std::vector<ResultFileListener>* out, std::vector<BackendListenerSpec>* backends) {
  for (const TestElement& c : e.children) {
    if (!c.enabled) continue;
    ElementClass cls = ClassifyElement(c);
    if (cls.role == Role::kNonTest) continue;
    if (backends && cls.testclass == "BackendListener") {
      BackendListenerSpec b;
      if (ReadBackendListener(c, log, &b)) {
        b.thread_prefix = prefix;
        if (depth > 1) {
          log.Warning(DescribeElement(c) +
                          ": gets every sample of its thread group (barrage scopes listeners to a "
                          "thread group, not to a controller or sampler)",
                      c.line);
        }
        backends->push_back(std::move(b));
      }
    }
    if (out && cls.testclass == "ResultCollector" && !TrimAscii(c.GetString("filename")).empty()) {
      ResultFileListener r = ReadListener(c, log);
      r.thread_prefix = prefix;
      if (depth > 1) {
        log.Warning(DescribeElement(c) +
                        ": records every sample of its thread group (barrage scopes listeners to a "
                        "thread group, not to a controller or sampler)",
                    c.line);
      }
      out->push_back(std::move(r));
    }
    std::string child_prefix = prefix;
    if (depth == 0 && cls.role == Role::kThreadGroup) {
      for (const ThreadGroup* g : groups) {
        if (g->source == &c) child_prefix = g->name + " " + std::to_string(g->group_number) + "-";
      }
    }
    Walk(c, child_prefix, depth + 1, groups, log, out, backends);
  }
}

}  // namespace

std::vector<ResultFileListener> ReadResultFiles(const TestElement& test_plan,
                                                const std::vector<const ThreadGroup*>& groups, CompileLog& log) {
  std::vector<ResultFileListener> out;
  Walk(test_plan, "", 0, groups, log, &out, nullptr);
  return out;
}

std::vector<BackendListenerSpec> ReadBackendListeners(const TestElement& test_plan,
                                                      const std::vector<const ThreadGroup*>& groups, CompileLog& log) {
  std::vector<BackendListenerSpec> out;
  Walk(test_plan, "", 0, groups, log, nullptr, &out);
  return out;
}

}  // namespace barrage
