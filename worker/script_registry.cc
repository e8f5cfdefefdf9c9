#include "worker/script_registry.h"

#include <spdlog/spdlog.h>

#include "common/input_file.h"
#include "worker/script_runtime.h"

namespace barrage {
namespace {

constexpr uint64_t kMaxScriptBytes = 16ull << 20;

bool IsScript(ElementKind k) {
  return k == ElementKind::kScriptSampler || k == ElementKind::kScriptPreProcessor ||
         k == ElementKind::kScriptPostProcessor || k == ElementKind::kScriptAssertion ||
         k == ElementKind::kScriptTimer || k == ElementKind::kScriptListener;
}

ScriptRole RoleOf(ElementKind k) {
  switch (k) {
    case ElementKind::kScriptSampler: return ScriptRole::kSampler;
    case ElementKind::kScriptPreProcessor: return ScriptRole::kPreProcessor;
    case ElementKind::kScriptPostProcessor: return ScriptRole::kPostProcessor;
    case ElementKind::kScriptAssertion: return ScriptRole::kAssertion;
    case ElementKind::kScriptListener: return ScriptRole::kListener;
    default: return ScriptRole::kTimer;
  }
}

const ScriptSource& SourceOf(const Node& n) {
  return n.kind == ElementKind::kScriptSampler ? n.As<ScriptSampler>().source : n.As<ScriptElement>().source;
}

void Collect(const Node& node, std::vector<const Node*>* out) {
  if (IsScript(node.kind)) out->push_back(&node);
  for (const auto& e : node.elements) Collect(*e, out);
  for (const auto& c : node.children) Collect(*c, out);
}

}  // namespace

bool HasScriptElement(const Node& node) {
  std::vector<const Node*> found;
  Collect(node, &found);
  return !found.empty();
}

Result<std::unique_ptr<ScriptRegistry>> ScriptRegistry::ForRun(const Plan& plan, RunContext& run, ThreadContext& boot,
                                                               const ScriptHostOptions& options) {
  std::vector<const Node*> scripts;
  if (plan.root) Collect(*plan.root, &scripts);
  if (scripts.empty()) return std::unique_ptr<ScriptRegistry>();
  auto refuse = [](const Node& n, const std::string& why) {
    return Status::Unsupported("the plan has script elements (" + SourceOf(n).testclass + " '" + n.name + "', line " +
                               std::to_string(n.line) + "): " + why);
  };
  // Every language the plan uses must run here (a cluster worker answers the start with this).
  const ScriptRuntime runtime = FindScriptRuntime();
  for (const Node* n : scripts) {
    const std::vector<std::string> missing = ScriptLanguageMissing(runtime, SourceOf(*n).language);
    if (missing.empty()) continue;
    std::string needs;
    for (const std::string& m : missing) needs += (needs.empty() ? "" : ", ") + m;
    return refuse(*n, SourceOf(*n).language + " scripts need " + needs);
  }
  Result<ScriptHost*> host = ScriptHost::Get(options);
  if (!host.ok()) return refuse(*scripts[0], host.status().message());
  (*host)->SetProperties(&run.properties);
  std::unique_ptr<ScriptRegistry> registry(new ScriptRegistry(*host, &run));
  for (const Node* n : scripts) {
    const ScriptRole role = RoleOf(n->kind);
    if (role == ScriptRole::kSampler || role == ScriptRole::kPreProcessor || role == ScriptRole::kTimer) {
      registry->reads_previous_sample_ = true;
    }
  }
  // Scripts whose text and file are fixed compile now, before the load starts (the first
  // Groovy compile takes a second); the others at their first use.
  for (const Node* n : scripts) {
    const ScriptSource& src = SourceOf(*n);
    if (src.script.dynamic() || src.filename.dynamic()) continue;
    std::string error;
    if (!registry->Get(*n, src, boot, &error) && !error.empty()) {
      spdlog::warn("{} '{}' (line {}): {}", src.testclass, n->name, n->line, error);
    }
  }
  return registry;
}

ScriptRegistry::~ScriptRegistry() {
  scripts_.clear();
  host_->SetProperties(nullptr);
}

ScriptRegistry::Entry ScriptRegistry::Compile(const Node& element, const ScriptSource& src, const std::string& filename,
                                              const std::string& text) {
  Entry e;
  std::string source = text;
  if (!filename.empty()) {
    // JSR223TestElement: the file when it names one, which must be readable.
    Result<std::string> content = ReadRegularFile(ResolvePath(*run_, filename), kMaxScriptBytes, "a script file");
    if (!content.ok()) {
      e.error = "javax.script.ScriptException: Script file '" + filename +
                "' does not exist or is unreadable for element:" + element.name;
      return e;
    }
    source = std::move(*content);
  } else if (text.empty() && !src.beanshell) {
    e.error = "javax.script.ScriptException: Both script file and script text are empty for element:" + element.name;
    return e;
  }
  Result<std::unique_ptr<CompiledScript>> compiled =
      host_->Compile(RoleOf(element.kind),
                     src.beanshell ? ScriptFlavour::kBeanShell
                     : src.bsf     ? ScriptFlavour::kBsf
                                   : ScriptFlavour::kJsr223,
                     src.language, element.name, filename, source, src.cached);
  if (compiled.ok()) {
    e.script = std::move(*compiled);
  } else {
    e.error = compiled.status().message();
  }
  return e;
}

const CompiledScript* ScriptRegistry::Get(const Node& element, const ScriptSource& src, ThreadContext& ctx,
                                          std::string* error) {
  std::string filename = Evaluate(src.filename, ctx);
  std::string text = filename.empty() ? Evaluate(src.script, ctx) : std::string();
  auto key = std::make_tuple(&element, filename, text);
  {
    std::lock_guard lock(mu_);
    if (auto it = scripts_.find(key); it != scripts_.end()) {
      *error = it->second.error;
      return it->second.script.get();
    }
  }
  // Compiled outside the lock (a Groovy compile takes milliseconds); a race compiles twice
  // and keeps the first.
  Entry e = Compile(element, src, filename, text);
  std::lock_guard lock(mu_);
  auto [it, inserted] = scripts_.emplace(std::move(key), std::move(e));
  *error = it->second.error;
  return it->second.script.get();
}

}  // namespace barrage
