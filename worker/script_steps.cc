// VirtualUser's script steps (issue 11): a JSR223 / BeanShell element's script runs on the
// script host while the user waits in kScripting, as for I/O; the loop serves other users.
#include <strings.h>

#include <spdlog/spdlog.h>

#include "common/hash_tree.h"
#include "worker/http_request.h"
#include "worker/processors.h"
#include "worker/script_functions.h"
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
  c.current = step == ScriptStep::kSampler ? &us.result : nullptr;
  c.prev = completing ? completing : (us.has_previous ? &us.previous : nullptr);
  std::string error;
  c.script = registry ? registry->Get(element, SourceOf(element), ctx_, &error) : nullptr;
  ScriptUser* user = nullptr;
  if (c.script) {
    // The user's one JVM side, shared with its script functions (vars.putObject values).
    Result<ScriptUser*> made = ScriptUserOf(registry->host(), ctx_, group_->num_threads);
    if (made.ok()) {
      user = *made;
    } else {
      c.script = nullptr;
      error = made.status().message();
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
  c.http_sampler = nullptr;
  if (step == ScriptStep::kPreProcessor && current_ && current_->kind == ElementKind::kHttpSampler) {
    PrepareHttpSamplerView();
    c.http_sampler = &us.view;
  }
  c.user = user;
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
  if (c.script->quick()) {
    worker_->quick_scripts.push_back(this);  // the loop runs it after this poll
  } else {
    registry->host()->Submit(&c);
  }
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
      if (c.http_sampler) ApplyHttpSamplerView();
      [[fallthrough]];
    case ScriptStep::kPostProcessor:
    case ScriptStep::kListener:
      // JSR223/BeanShell pre-, post-processors and listeners log the error; the sample goes on.
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

namespace {

// JMeter's sampler.getHeaderManager(): the innermost Header Manager in scope; null: none.
const Node* InnermostHeaderManager(const Sampler& s) {
  for (const Node* c : s.scope.configs) {
    if (c->kind == ElementKind::kHeaderManager) return c;
  }
  return nullptr;
}

}  // namespace

void VirtualUser::PrepareHttpSamplerView() {
  UserScripts& us = *script_;
  if (!us.http) us.http = ResolvedCopy(current_->As<HttpSampler>(), /*evaluate=*/false);
  const HttpFields& f = us.http->http;
  HttpSamplerView& v = us.view;
  v.protocol = Evaluate(f.protocol, ctx_);
  v.domain = Evaluate(f.domain, ctx_);
  v.port = Evaluate(f.port, ctx_);
  v.path = Evaluate(f.path, ctx_);
  v.method = Evaluate(f.method, ctx_);
  v.arguments.clear();
  for (const Argument& a : f.arguments) v.arguments.emplace_back(Evaluate(a.name, ctx_), Evaluate(a.value, ctx_));
  // The headers this request would send (the scope's Header Managers merged, with the
  // user's script edits).
  v.has_header_manager = InnermostHeaderManager(*current_) != nullptr;
  v.headers.clear();
  HttpRequest built;
  if (BuildHttpRequest(*us.http, ctx_, &built, nullptr).ok()) ApplyScriptHeaders(*current_, &built);
  for (const std::string& line : built.headers) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t value = colon + 1;
    while (value < line.size() && line[value] == ' ') ++value;
    v.headers.emplace_back(line.substr(0, colon), line.substr(value));
  }
  v.added_headers.clear();
  v.removed_headers.clear();
  us.view_sent = v;
}

void VirtualUser::ApplyHttpSamplerView() {
  UserScripts& us = *script_;
  const HttpSamplerView& v = us.view;
  HttpFields& f = us.http->http;
  // Only what the script changed becomes a literal: the rest stays the plan's template,
  // evaluated when the request is built (after the later pre-processors), as JMeter's.
  const HttpSamplerView& sent = us.view_sent;
  auto take = [&](Value& field, const std::string& before, const std::string& now) {
    if (before != now) field = Value::Of(now);
  };
  take(f.protocol, sent.protocol, v.protocol);
  take(f.domain, sent.domain, v.domain);
  take(f.port, sent.port, v.port);
  take(f.path, sent.path, v.path);
  take(f.method, sent.method, v.method);
  std::vector<Argument> args;
  args.reserve(v.arguments.size());
  for (size_t i = 0; i < v.arguments.size(); ++i) {
    // An argument the script kept keeps its flags (encoding, metadata); a new one JMeter's defaults.
    const bool kept = i < f.arguments.size() && i < sent.arguments.size();
    Argument a = kept ? f.arguments[i] : Argument{};
    if (!kept || sent.arguments[i].first != v.arguments[i].first) a.name = Value::Of(v.arguments[i].first);
    if (!kept || sent.arguments[i].second != v.arguments[i].second) a.value = Value::Of(v.arguments[i].second);
    args.push_back(std::move(a));
  }
  f.arguments = std::move(args);
  const Node* manager = InnermostHeaderManager(*current_);
  if (manager == nullptr || (v.removed_headers.empty() && v.added_headers.empty())) return;
  UserScripts::HeaderEdits& edits = us.header_edits[manager];
  for (const std::string& name : v.removed_headers) {
    std::erase_if(edits.added, [&](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; });
    edits.removed.push_back(name);
  }
  for (const auto& h : v.added_headers) edits.added.push_back(h);
}

void VirtualUser::ApplyScriptHeaders(const Sampler& sampler, HttpRequest* req) {
  UserScripts& us = *script_;
  if (us.header_edits.empty()) return;
  for (const Node* c : sampler.scope.configs) {
    auto it = us.header_edits.find(c);
    if (it == us.header_edits.end()) continue;
    for (const std::string& name : it->second.removed) {
      std::erase_if(req->headers, [&](const std::string& line) {
        return line.size() > name.size() && line[name.size()] == ':' &&
               strncasecmp(line.c_str(), name.c_str(), name.size()) == 0;
      });
    }
    for (const auto& [name, value] : it->second.added) req->headers.push_back(name + ": " + value);
  }
}

void VirtualUser::ContinueAfterScript() {
  ApplyScriptOutcome();
  switch (script_->step) {
    case ScriptStep::kPreProcessor:
    case ScriptStep::kTimer: break;
    case ScriptStep::kSampler: CompleteScriptSample(); break;
    case ScriptStep::kPostProcessor:
    case ScriptStep::kAssertion:
    case ScriptStep::kListener: CompleteSample(); break;
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
