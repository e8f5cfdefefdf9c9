#include "worker/script_functions.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

namespace barrage {
namespace {

// The user's JVM side for its script functions (ThreadContext::script_user).
class FunctionUser final : public ScriptUserSlot {
 public:
  explicit FunctionUser(std::unique_ptr<ScriptUser> u) : user(std::move(u)) {}
  std::unique_ptr<ScriptUser> user;
};

}  // namespace

Result<ScriptUser*> ScriptUserOf(ScriptHost* host, ThreadContext& ctx, int group_threads) {
  if (auto* slot = dynamic_cast<FunctionUser*>(ctx.script_user.get())) return slot->user.get();
  // JMeter's thread number is 0-based.
  Result<std::unique_ptr<ScriptUser>> user =
      host->NewUser(&ctx.vars, ctx.thread_num - 1, ctx.thread_name, ctx.group_name, group_threads);
  if (!user.ok()) return user.status();
  auto slot = std::make_unique<FunctionUser>(std::move(*user));
  ScriptUser* u = slot->user.get();
  ctx.script_user = std::move(slot);
  return u;
}

ScriptFunctionRunner::ScriptFunctionRunner(ScriptHost* host) : host_(host) {
  static std::atomic<int64_t> runs{0};
  key_ = "fn" + std::to_string(++runs) + ":";
}

Result<std::unique_ptr<ScriptFunctionRunner>> ScriptFunctionRunner::Create(ScriptHost* host) {
  std::unique_ptr<ScriptFunctionRunner> r(new ScriptFunctionRunner(host));
  // The function's script is the driver's Parameters: a direct eval runs it in the call's
  // fresh scope, as JMeter's evaluateString in a new scope; String() prints any value as
  // Rhino's Context.toString does ("undefined", "null").
  Result<std::unique_ptr<CompiledScript>> js = host->Compile(
      ScriptRole::kFunction, ScriptFlavour::kJsr223, "javascript", "__javaScript", "", "String(eval(Parameters))");
  if (!js.ok()) return Status::Unsupported("script functions need javascript: " + js.status().message());
  r->javascript_ = std::move(*js);
  return r;
}

ScriptFunctionRunner::~ScriptFunctionRunner() {
  {
    std::lock_guard lock(mu_);
    if (beanshell_.empty()) return;
  }
  // FunctionBeanShell keeps the interpreters on the JVM, which outlives the run.
  Result<std::unique_ptr<CompiledScript>> forget =
      host_->Compile(ScriptRole::kFunction, ScriptFlavour::kJsr223, "javascript", "forget", "",
                     "Packages.barrage.script.FunctionBeanShell.forget(Parameters)");
  Variables vars;
  Result<std::unique_ptr<ScriptUser>> user = host_->NewUser(&vars, 0, "", "", 0);
  if (!forget.ok() || !user.ok()) return;
  ScriptCall c;
  c.script = forget->get();
  c.user = user->get();
  c.parameters = key_;
  host_->CallNow(&c);
  if (!c.ok) spdlog::warn("script functions: cannot drop the run's BeanShell interpreters: {}", c.error);
}

ScriptFunctionRunner::Compiled ScriptFunctionRunner::Jexl(int version) {
  std::lock_guard lock(mu_);
  Compiled& c = jexl_[version == 2 ? 0 : 1];
  if (c.script || !c.error.empty()) return c;
  Result<std::unique_ptr<CompiledScript>> compiled = host_->Compile(
      ScriptRole::kFunction, ScriptFlavour::kJsr223, "javascript", "__jexl" + std::to_string(version), "",
      "Packages.barrage.script.FunctionJexl.eval(" + std::to_string(version) +
          ", Parameters, ctx, vars, props, log, threadName, sampler, prev)");
  if (compiled.ok()) {
    c.script = std::move(*compiled);
  } else {
    c.error = compiled.status().message();
  }
  return c;
}

ScriptFunctionRunner::Compiled ScriptFunctionRunner::BeanShell(const void* occurrence) {
  std::lock_guard lock(mu_);
  if (auto it = beanshell_.find(occurrence); it != beanshell_.end()) return it->second;
  // The driver's Label (its name) is the occurrence's interpreter key.
  char name[32];
  std::snprintf(name, sizeof name, "%p", occurrence);
  Compiled c;
  Result<std::unique_ptr<CompiledScript>> compiled = host_->Compile(
      ScriptRole::kFunction, ScriptFlavour::kJsr223, "javascript", key_ + name, "",
      "Packages.barrage.script.FunctionBeanShell.eval(Label, Parameters, ctx, vars, props, log, threadName, sampler, "
      "prev)");
  if (compiled.ok()) {
    c.script = std::move(*compiled);
  } else {
    c.error = compiled.status().message();
  }
  return beanshell_.emplace(occurrence, std::move(c)).first->second;
}

ScriptFunctionRunner::Compiled ScriptFunctionRunner::Groovy(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (auto it = groovy_.find(text); it != groovy_.end()) return it->second;
  }
  // Compiled outside the lock (a Groovy compile takes milliseconds); a race compiles twice.
  Compiled c;
  Result<std::unique_ptr<CompiledScript>> compiled =
      host_->Compile(ScriptRole::kFunction, ScriptFlavour::kJsr223, "groovy", "__groovy", "", text);
  if (compiled.ok()) {
    c.script = std::move(*compiled);
  } else {
    c.error = compiled.status().message();
  }
  std::lock_guard lock(mu_);
  if (groovy_.size() >= kMaxCompiledTexts) groovy_.clear();  // callers hold their shared_ptr
  return groovy_.emplace(text, std::move(c)).first->second;
}

Result<std::string> ScriptFunctionRunner::Run(std::string_view function, const std::string& script, ThreadContext& ctx,
                                              const void* occurrence) {
  ScriptCall c;
  Compiled compiled;  // keeps a Groovy script or BeanShell driver alive during its call
  if (function == "__javaScript") {
    c.script = javascript_.get();
    c.parameters = script;
  } else if (function == "__BeanShell") {
    compiled = BeanShell(occurrence);
    if (!compiled.script) return Status::Unsupported("__BeanShell: " + compiled.error);
    c.script = compiled.script.get();
    c.parameters = script;
  } else if (function == "__jexl2" || function == "__jexl3") {
    compiled = Jexl(function == "__jexl2" ? 2 : 3);
    if (!compiled.script) return Status::Unsupported(std::string(function) + ": " + compiled.error);
    c.script = compiled.script.get();
    c.parameters = script;
  } else if (function == "__groovy") {
    compiled = Groovy(script);
    if (!compiled.script) {
      spdlog::warn("Error running Groovy script: {}", compiled.error);
      return Status::InvalidArgument(compiled.error);
    }
    c.script = compiled.script.get();
  } else {
    return Status::Unsupported(std::string(function) + ": the script host has no interpreter for it");
  }
  Result<ScriptUser*> user = ScriptUserOf(host_, ctx, 0);
  if (!user.ok()) return Status::Unsupported(std::string(function) + ": " + user.status().message());
  c.user = *user;
  if (ctx.sampler_name != nullptr) c.sampler_name = *ctx.sampler_name;
  c.iteration = ctx.iteration;
  // A function's prev is read, never written back (the host reads back only other roles').
  c.prev = const_cast<SampleResult*>(ctx.previous_result);
  host_->CallNow(&c);
  if (!c.ok) {
    spdlog::warn("Error running {} script: {}", function.substr(2), c.error);
    return Status::InvalidArgument(c.error);
  }
  return c.value.value_or("");
}

}  // namespace barrage
