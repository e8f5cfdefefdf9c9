// VirtualUser's script steps (issue 11): a JSR223 / BeanShell element's script runs on the
// script host while the user waits in kScripting, as for I/O; the loop serves other users.
#include <spdlog/spdlog.h>

#include "common/hash_tree.h"
#include "worker/processors.h"
#include "worker/script_registry.h"
#include "worker/virtual_user.h"

namespace barrage {
namespace {

const ScriptSource& SourceOf(const Node& n) {
  return n.kind == ElementKind::kScriptSampler ? n.As<ScriptSampler>().source : n.As<ScriptElement>().source;
}

}  // namespace

bool VirtualUser::RunScript(const Node& element, ScriptStep step, SampleResult* completing, bool inline_call) {
  ScriptRegistry* registry = run_->scripts.get();
  if (!script_) script_ = std::make_unique<UserScripts>();
  UserScripts& us = *script_;
  ScriptCall& c = us.call;
  c.ok = true;
  c.error.clear();
  c.value.reset();
  c.assertion = AssertionResult{};
  c.assertion.name = element.name;
  c.restart_next_loop = false;
  c.elapsed_us = -1;
  us.step = step;
  us.element = &element;
  std::string error;
  c.script = registry ? registry->Get(element, SourceOf(element), ctx_, &error) : nullptr;
  if (c.script && !us.user) {
    Result<std::unique_ptr<ScriptUser>> user = registry->host()->NewUser(
        &ctx_.vars, ctx_.thread_num - 1, ctx_.thread_name, group_->group->name, group_->num_threads);
    if (user.ok()) {
      us.user = std::move(*user);
    } else {
      c.script = nullptr;
      error = user.status().message();
    }
  }
  if (c.script == nullptr) {  // nothing to run: the element's error, at once
    c.ok = false;
    c.error = error.empty() ? "the script host is not running" : error;
    if (step == ScriptStep::kSampler) {
      us.result.sample.success = false;
      us.result.sample.response_code = "500";
      us.result.sample.response_message = c.error;
    }
    ApplyScriptOutcome();
    return true;
  }
  c.user = us.user.get();
  c.current = step == ScriptStep::kSampler ? &us.result : nullptr;
  c.prev = completing ? completing : (us.has_previous ? &us.previous : nullptr);
  // `sampler.getName()`: the name as it reads now (a ${...} in it evaluated).
  c.sampler_name = !current_                ? std::string()
                   : current_->label.parsed ? Evaluate(current_->label, ctx_)
                                            : current_->name;
  c.parameters = Evaluate(SourceOf(element).parameters, ctx_);
  c.iteration = main_ ? main_->iteration() : 0;
  c.callback = this;
  // A Parallel Controller's branches share their parent's variables with the branches on
  // this loop, and a transaction's own assertions run inside its end: their scripts run
  // here, on the loop; the others' while the user waits.
  if (branch_ || inline_call) {
    registry->host()->CallNow(&c);
    ApplyScriptOutcome();
    return true;
  }
  if (completing == &worker_->result) {
    // The loop's buffer serves the next user while this one waits: the user takes it.
    std::swap(us.result, worker_->result);
    us.result_in_use = true;
    c.prev = &us.result;
  }
  state_ = State::kScripting;
  registry->host()->Submit(&c);
  return false;
}

void VirtualUser::OnScriptDone(ScriptCall*) { HandBackToLoop(); }

void VirtualUser::ApplyScriptOutcome() {
  UserScripts& us = *script_;
  const ScriptCall& c = us.call;
  const ScriptSource& src = SourceOf(*us.element);
  if (c.restart_next_loop) us.restart_next_loop = true;
  switch (us.step) {
    case ScriptStep::kPreProcessor:
    case ScriptStep::kPostProcessor:
      // JSR223/BeanShell pre- and post-processors log the error; the sample goes on.
      if (!c.ok)
        spdlog::error("{}: Problem in {} script {}: {}", ctx_.thread_name, src.testclass, us.element->name, c.error);
      break;
    case ScriptStep::kTimer: {
      // JSR223Timer: the value as a long (Long.parseLong); none or anything else delays 0.
      if (!c.ok) {
        spdlog::error("{}: Problem in {} script {}: {}", ctx_.thread_name, src.testclass, us.element->name, c.error);
        break;
      }
      std::optional<int64_t> delay = c.value ? ParseInt64(*c.value) : std::nullopt;
      if (!delay) {
        spdlog::warn("{}: {} '{}': script returned '{}', not a delay in milliseconds", ctx_.thread_name, src.testclass,
                     us.element->name, c.value.value_or("null"));
      } else {
        timer_delay_ms_ += std::max<int64_t>(0, *delay);
      }
      break;
    }
    case ScriptStep::kAssertion: {
      AssertionResult a = c.assertion;
      if (!c.ok) {  // JSR223Assertion / BeanShellAssertion: an error with the exception
        a.error = true;
        a.message = c.error;
      }
      RecordAssertionResult(a, *c.prev);
      break;
    }
    case ScriptStep::kSampler:
      if (!c.ok)
        spdlog::error("{}: Problem in {} script {}: {}", ctx_.thread_name, src.testclass, us.element->name, c.error);
      break;
  }
}

void VirtualUser::ContinueAfterScript() {
  ApplyScriptOutcome();
  switch (script_->step) {
    case ScriptStep::kPreProcessor:
    case ScriptStep::kTimer: break;
    case ScriptStep::kSampler: CompleteScriptSample(); break;
    case ScriptStep::kPostProcessor:
    case ScriptStep::kAssertion: CompleteSample(); break;
  }
  Step();
}

void VirtualUser::StartScriptSample() {
  if (!script_) script_ = std::make_unique<UserScripts>();
  SampleResult& r = script_->result;
  r.Reset();
  script_->result_in_use = true;
  r.sample.label = *label_;
  r.sample.thread_name = thread_name();
  r.sample.timestamp_ms = WallMillis();
  if (RunScript(*current_, ScriptStep::kSampler, nullptr)) CompleteScriptSample();
}

void VirtualUser::CompleteScriptSample() {
  SampleResult& r = script_->result;
  r.sample.elapsed_us = std::max<int64_t>(0, script_->call.elapsed_us);
  r.sample.bytes = static_cast<int64_t>(r.body.size());
  if (r.sample.label != *label_) {  // SampleResult.setSampleLabel in the script
    evaluated_label_ = r.sample.label;
    label_ = &evaluated_label_;
  }
  CompleteSample();
}

}  // namespace barrage
