#include "controller/plan_metadata.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/plan_compiler.h"
#include "worker/thread_schedules.h"

namespace barrage {
namespace {

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

PlanMetadata::ThreadGroupInfo ThreadGroupInfoOf(const ListedElement& item, const Node* node) {
  const TestElement& e = *item.source;
  PlanMetadata::ThreadGroupInfo tg;
  tg.name = e.testname;
  tg.line = e.line;
  tg.supported = item.cls.supported;
  if (node) {
    const ThreadGroup& g = node->As<ThreadGroup>();
    tg.kind = KindName(g.kind);
    tg.threads = ParsePlanValue(g.num_threads.text);
    tg.ramp_time = ParsePlanValue(g.ramp_time.text);
    tg.loops = ParsePlanValue(g.loops.text);
    tg.scheduler = g.scheduler;
    tg.duration = ParsePlanValue(g.duration.text);
    tg.delay = ParsePlanValue(g.delay.text);
    tg.on_sample_error = OnSampleErrorName(g.on_sample_error);
    if (g.kind == ElementKind::kConcurrencyThreadGroup || g.kind == ElementKind::kArrivalsThreadGroup ||
        g.kind == ElementKind::kFreeFormArrivalsThreadGroup) {  // the bzm groups (issue 12)
      const auto& d = static_cast<const DynamicThreadGroup&>(g);
      if (g.kind != ElementKind::kFreeFormArrivalsThreadGroup) {
        tg.model.emplace_back("target_level", ParsePlanValue(d.target_level.text));
        tg.model.emplace_back("ramp_up", ParsePlanValue(d.ramp_up.text));
        tg.model.emplace_back("steps", ParsePlanValue(d.steps.text));
        tg.model.emplace_back("hold", ParsePlanValue(d.hold.text));
      }
      tg.model.emplace_back("iterations", ParsePlanValue(d.iterations.text));
      if (g.kind != ElementKind::kConcurrencyThreadGroup) {
        tg.model.emplace_back("concurrency_limit", ParsePlanValue(d.concurrency_limit.text));
      }
      tg.model.emplace_back("unit", std::string(d.minutes ? "M" : "S"));
      for (const DynamicThreadGroup::Row& r : d.schedule) {
        tg.model.emplace_back("rows", r.start.text + "," + r.end.text + "," + r.duration.text);
      }
    } else if (g.kind == ElementKind::kOpenModelThreadGroup) {
      const auto& d = static_cast<const DynamicThreadGroup&>(g);
      tg.model.emplace_back("schedule", d.open_schedule.text);
      tg.model.emplace_back("random_seed", ParsePlanValue(d.random_seed.text));
    } else if (g.kind == ElementKind::kUltimateThreadGroup || g.kind == ElementKind::kSteppingThreadGroup) {
      tg.planned = true;
      tg.ramp_time = std::monostate{};
      RunContext run;
      ThreadContext ctx;
      ctx.run = &run;
      Result<std::vector<ThreadWindow>> windows = PlannedWindows(static_cast<const ModelThreadGroup&>(g), ctx);
      if (windows.ok()) {
        tg.threads = static_cast<int64_t>(windows->size());
        tg.active_per_second = ActiveCurve(*windows, 1000);
      } else {
        tg.planned_error = windows.status().message();
      }
    }
  } else {
    tg.kind = item.cls.testclass;
    tg.threads = ParsePlanValue(e.GetString("ThreadGroup.num_threads"));
    tg.ramp_time = ParsePlanValue(e.GetString("ThreadGroup.ramp_time"));
    const Property* loop = e.Find("ThreadGroup.main_controller");
    tg.loops = ParsePlanValue(loop ? loop->GetString("LoopController.loops") : "");
    tg.scheduler = e.GetBool("ThreadGroup.scheduler", false);
    tg.duration = ParsePlanValue(e.GetString("ThreadGroup.duration"));
    tg.delay = ParsePlanValue(e.GetString("ThreadGroup.delay"));
    tg.on_sample_error = e.GetString("ThreadGroup.on_sample_error", "continue");
  }
  return tg;
}

PlanMetadata::SamplerInfo SamplerInfoOf(const ListedElement& item, const Node* node) {
  const TestElement& e = *item.source;
  PlanMetadata::SamplerInfo s;
  s.name = e.testname;
  s.line = e.line;
  s.supported = item.cls.supported;
  s.testclass = item.cls.testclass;
  if (node) {
    s.kind = KindName(node->kind);
    if (node->kind == ElementKind::kHttpSampler) {
      const HttpSampler& h = node->As<HttpSampler>();
      s.method = HttpMethod(h);
      s.url = HttpUrlTemplate(h);
    }
  } else {
    s.kind = item.cls.supported ? KindName(item.cls.kind) : item.cls.testclass;
  }
  return s;
}

const char* ScriptRoleName(ElementKind kind) {
  switch (kind) {
    case ElementKind::kScriptSampler: return "sampler";
    case ElementKind::kScriptPreProcessor: return "preprocessor";
    case ElementKind::kScriptPostProcessor: return "postprocessor";
    case ElementKind::kScriptAssertion: return "assertion";
    case ElementKind::kScriptTimer: return "timer";
    default: return nullptr;
  }
}

PlanMetadata::ScriptInfo ScriptInfoOf(const Node& node) {
  const ScriptSource& src =
      node.kind == ElementKind::kScriptSampler ? node.As<ScriptSampler>().source : node.As<ScriptElement>().source;
  return {node.name,         src.testclass, ScriptRoleName(node.kind), src.language_as_written, src.language,
          src.filename.text, node.line};
}

}  // namespace

PlanValue ParsePlanValue(std::string_view text) {
  std::string_view t = TrimAscii(text);
  if (t.empty()) return std::monostate{};
  if (auto i = ParseInt64(t)) return *i;
  if (auto d = ParseDouble(t)) return *d;
  return std::string(text);
}

std::string PlanValueText(const PlanValue& value) {
  if (std::holds_alternative<std::monostate>(value)) return "";
  if (const std::string* text = std::get_if<std::string>(&value)) return *text;
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  return nlohmann::json(std::get<double>(value)).dump();  // as JSON prints it (NaN: null)
}

PlanMetadata ExtractPlanMetadata(const CompiledPlan& compiled) {
  const Plan& plan = compiled.plan;
  std::map<const TestElement*, const Node*> nodes;
  IndexNodes(plan.root.get(), &nodes);
  for (const auto& f : plan.fragments) IndexNodes(f.get(), &nodes);
  auto node_of = [&](const TestElement* e) -> const Node* {
    auto it = nodes.find(e);
    return it == nodes.end() ? nullptr : it->second;
  };
  PlanMetadata m;
  for (const ListedElement& item : compiled.listing) {
    if (item.cls.role == Role::kThreadGroup) {
      const Node* n = node_of(item.source);
      m.thread_groups.push_back(ThreadGroupInfoOf(item, n && n->category() == Category::kThreadGroup ? n : nullptr));
    } else if (item.cls.role == Role::kSampler) {
      m.samplers.push_back(SamplerInfoOf(item, item.cls.supported ? node_of(item.source) : nullptr));
    } else if (item.cls.role == Role::kAssertion) {
      m.assertions.push_back({item.source->testname, item.cls.testclass});
    }
  }
  for (const DataFile& d : plan.data_files) {
    m.data_files.push_back({d.filename, d.variable_names, d.delimiter, d.share_mode, d.line});
  }
  for (const ListedElement& item : compiled.listing) {
    const Node* n = node_of(item.source);
    if (n && ScriptRoleName(n->kind)) m.scripts.push_back(ScriptInfoOf(*n));
  }
  return m;
}

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

}  // namespace barrage
