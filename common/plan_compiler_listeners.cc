// Issue 10: listeners with a file (ResultCollector.filename), see element_compiler.h.
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

void Walk(const TestElement& e, const std::string& prefix, int depth, const std::vector<const ThreadGroup*>& groups,
          CompileLog& log, std::vector<ResultFileListener>* out) {
  for (const TestElement& c : e.children) {
    if (!c.enabled) continue;
    ElementClass cls = ClassifyElement(c);
    if (cls.role == Role::kNonTest) continue;
    if (cls.testclass == "ResultCollector" && !TrimAscii(c.GetString("filename")).empty()) {
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
    Walk(c, child_prefix, depth + 1, groups, log, out);
  }
}

}  // namespace

std::vector<ResultFileListener> ReadResultFiles(const TestElement& test_plan,
                                                const std::vector<const ThreadGroup*>& groups, CompileLog& log) {
  std::vector<ResultFileListener> out;
  Walk(test_plan, "", 0, groups, log, &out);
  return out;
}

}  // namespace barrage
