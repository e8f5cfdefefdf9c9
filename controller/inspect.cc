#include "controller/inspect.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "common/exit_codes.h"
#include "common/jmx_parser.h"

namespace barrage {
namespace {

using nlohmann::json;

// A number where the plan holds a literal number, the text where it holds an expression,
// null where it holds nothing.
json NumberOrExpression(const std::string& text) {
  std::string_view t = TrimAscii(text);
  if (t.empty()) return nullptr;
  if (auto i = ParseInt64(t)) return *i;
  if (auto d = ParseDouble(t)) return *d;
  return std::string(text);
}

// Value of the first source in `sampler` then its scoped config elements (innermost
// first) that sets the field: how JMeter merges HTTP Request Defaults.
template <typename Getter>
std::string Merged(const HttpSampler& sampler, Getter get) {
  std::string v = get(sampler.http).text;
  if (!v.empty()) return v;
  for (const Node* c : sampler.scope.configs) {
    if (c->kind != ElementKind::kConfigElement) continue;
    std::string d = get(c->As<ConfigElement>().http).text;
    if (!d.empty()) return d;
  }
  return {};
}

bool SendsArgumentsInQuery(const std::string& method) {
  return method != "POST" && method != "PUT" && method != "PATCH";
}

const char* OnSampleErrorName(ThreadGroup::OnSampleError e) {
  switch (e) {
    case ThreadGroup::OnSampleError::kContinue: return "continue";
    case ThreadGroup::OnSampleError::kStartNextLoop: return "startnextloop";
    case ThreadGroup::OnSampleError::kStopThread: return "stopthread";
    case ThreadGroup::OnSampleError::kStopTest: return "stoptest";
    case ThreadGroup::OnSampleError::kStopTestNow: return "stoptestnow";
  }
  return "continue";
}

// First compiled node for each source element (a Module Controller may compile an element
// several times; the listing shows it once).
void IndexNodes(const Node* node, std::map<const TestElement*, const Node*>* index) {
  if (!node) return;
  index->emplace(node->source, node);
  for (const auto& c : node->children) IndexNodes(c.get(), index);
  for (const auto& e : node->elements) IndexNodes(e.get(), index);
}

json ThreadGroupJson(const ListedElement& item, const Node* node) {
  const TestElement& e = *item.source;
  json tg;
  tg["name"] = e.testname;
  tg["line"] = e.line;
  tg["supported"] = item.cls.supported;
  if (node) {
    const ThreadGroup& g = node->As<ThreadGroup>();
    tg["kind"] = KindName(g.kind);
    tg["num_threads"] = NumberOrExpression(g.num_threads.text);
    tg["ramp_time"] = NumberOrExpression(g.ramp_time.text);
    tg["loops"] = NumberOrExpression(g.loops.text);
    tg["scheduler"] = g.scheduler;
    tg["duration"] = NumberOrExpression(g.duration.text);
    tg["delay"] = NumberOrExpression(g.delay.text);
    tg["on_sample_error"] = OnSampleErrorName(g.on_sample_error);
  } else {
    tg["kind"] = item.cls.testclass;
    tg["num_threads"] = NumberOrExpression(e.GetString("ThreadGroup.num_threads"));
    tg["ramp_time"] = NumberOrExpression(e.GetString("ThreadGroup.ramp_time"));
    const Property* loop = e.Find("ThreadGroup.main_controller");
    tg["loops"] = NumberOrExpression(loop ? loop->GetString("LoopController.loops") : "");
    tg["scheduler"] = e.GetBool("ThreadGroup.scheduler", false);
    tg["duration"] = NumberOrExpression(e.GetString("ThreadGroup.duration"));
    tg["delay"] = NumberOrExpression(e.GetString("ThreadGroup.delay"));
    tg["on_sample_error"] = e.GetString("ThreadGroup.on_sample_error", "continue");
  }
  return tg;
}

json SamplerJson(const ListedElement& item, const Node* node) {
  const TestElement& e = *item.source;
  json s;
  s["name"] = e.testname;
  s["line"] = e.line;
  s["supported"] = item.cls.supported;
  s["testclass"] = item.cls.testclass;
  s["method"] = nullptr;
  s["url"] = nullptr;
  if (node) {
    s["kind"] = KindName(node->kind);
    if (node->kind == ElementKind::kHttpSampler) {
      const HttpSampler& h = node->As<HttpSampler>();
      s["method"] = HttpMethod(h);
      s["url"] = HttpUrlTemplate(h);
    }
  } else {
    s["kind"] = item.cls.supported ? KindName(item.cls.kind) : item.cls.testclass;
  }
  return s;
}

}  // namespace

std::string HttpMethod(const HttpSampler& sampler) {
  std::string m = Merged(sampler, [](const HttpFields& f) { return f.method; });
  return m.empty() ? "GET" : m;
}

std::string HttpUrlTemplate(const HttpSampler& sampler) {
  std::string path = Merged(sampler, [](const HttpFields& f) { return f.path; });
  std::string url;
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0) {
    url = path;  // JMeter uses a full URL in the path field as is
  } else {
    std::string protocol = Merged(sampler, [](const HttpFields& f) { return f.protocol; });
    std::string domain = Merged(sampler, [](const HttpFields& f) { return f.domain; });
    std::string port = Merged(sampler, [](const HttpFields& f) { return f.port; });
    url = (protocol.empty() ? "http" : protocol) + "://" + domain;
    if (!port.empty()) url += ":" + port;
    if (!path.empty() && path[0] != '/') url += "/";
    url += path;
  }
  const HttpFields& f = sampler.http;
  if (!f.post_body_raw && !f.arguments.empty() && SendsArgumentsInQuery(HttpMethod(sampler))) {
    std::string query;
    for (const Argument& a : f.arguments) {
      if (a.name.empty() && a.value.empty()) continue;
      query += query.empty() ? "" : "&";
      query += a.name.text;
      if (a.use_equals || !a.value.empty()) query += "=" + a.value.text;
    }
    if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + query;
  }
  return url;
}

json BuildInspectReport(const CompiledPlan& compiled) {
  const Plan& plan = compiled.plan;
  std::map<const TestElement*, const Node*> nodes;
  IndexNodes(plan.root.get(), &nodes);
  for (const auto& f : plan.fragments) IndexNodes(f.get(), &nodes);
  auto node_of = [&](const TestElement* e) -> const Node* {
    auto it = nodes.find(e);
    return it == nodes.end() ? nullptr : it->second;
  };

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
  json samplers = json::array();
  for (const ListedElement& item : compiled.listing) {
    if (item.cls.role == Role::kThreadGroup) {
      const Node* n = node_of(item.source);
      thread_groups.push_back(ThreadGroupJson(item, n && n->category() == Category::kThreadGroup ? n : nullptr));
    } else if (item.cls.role == Role::kSampler) {
      samplers.push_back(SamplerJson(item, item.cls.supported ? node_of(item.source) : nullptr));
    }
  }
  report["thread_groups"] = thread_groups;
  report["samplers"] = samplers;

  json data_files = json::array();
  for (const DataFile& d : plan.data_files) {
    data_files.push_back({{"filename", d.filename},
                          {"variable_names", d.variable_names},
                          {"delimiter", d.delimiter},
                          {"share_mode", d.share_mode},
                          {"line", d.line}});
  }
  report["data_files"] = data_files;
  report["variables"] = compiled.variables;
  report["functions"] = compiled.functions;

  json unsupported = json::array();
  for (const UnsupportedElement& u : plan.unsupported) {
    unsupported.push_back({{"testclass", u.testclass}, {"name", u.name}, {"line", u.line}});
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

  out << "\nUnsupported elements (" << r["unsupported"].size() << "):\n";
  for (const json& u : r["unsupported"]) {
    out << "  line " << u["line"] << ": " << u["testclass"].get<std::string>() << " '"
        << u["name"].get<std::string>() << "'\n";
  }
  out << "\nProblems (" << r["problems"].size() << "):\n";
  for (const json& p : r["problems"]) {
    out << "  " << p["severity"].get<std::string>();
    if (p["line"].get<int>() > 0) out << " (line " << p["line"] << ")";
    out << ": " << p["message"].get<std::string>() << "\n";
  }
  out << "\nVerdict: "
      << (r["runnable"].get<bool>() ? "runnable"
                                    : "NOT runnable (unsupported elements or errors above)")
      << "\n";
  return out.str();
}

std::string RenderInspectJson(const json& report) {
  return report.dump(2, ' ', false, json::error_handler_t::replace);
}

int RunInspect(const std::string& plan_path, bool as_json) {
  Result<HashTree> tree = ParseJmxFile(plan_path);
  if (!tree.ok()) {
    std::cerr << "barrage: " << tree.status().message() << "\n";
    return kExitUsage;
  }
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  json report = BuildInspectReport(compiled);
  if (as_json) {
    std::cout << RenderInspectJson(report) << "\n";
  } else {
    std::cout << RenderInspectText(report);
  }
  return compiled.plan.runnable() ? kExitOk : kExitUsage;
}

}  // namespace barrage
