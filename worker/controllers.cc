#include "worker/controllers.h"

#include <strings.h>

#include <algorithm>
#include <limits>
#include <random>

#include "common/functions.h"
#include "worker/more_controllers.h"

namespace barrage {

// ---------------------------------------------------------------------------------------
// GenericController (Simple Controller, Module Controller, Test Fragment, Recording).

const Sampler* ControllerRt::Next(VuServices& vu) { return NextGeneric(vu); }

const Sampler* ControllerRt::NextGeneric(VuServices& vu) {
  FireIterationStart(vu);
  if (done_) return nullptr;
  if (current_ >= items_.size()) {
    if (items_.empty()) {  // an empty controller is done for good
      done_ = true;
      return nullptr;
    }
    return NextIsNull(vu);
  }
  Item item = items_[current_];
  if (item.sampler) return NextIsASampler(item.sampler, vu);
  return NextIsAController(item.controller, vu);
}

const Sampler* ControllerRt::NextIsASampler(const Sampler* s, VuServices& vu) {
  ++current_;
  vu.OnSamplerChosen(this);
  return s;
}

const Sampler* ControllerRt::NextIsAController(ControllerRt* c, VuServices& vu) {
  const Sampler* s = c->Next(vu);
  if (!s) {
    CurrentReturnedNull(c);
    s = Next(vu);
  }
  return s;
}

const Sampler* ControllerRt::NextIsNull(VuServices&) {
  ReInitialize();
  return nullptr;
}

void ControllerRt::CurrentReturnedNull(ControllerRt* c) {
  if (c->IsDone()) {
    RemoveCurrent();
  } else {
    ++current_;
  }
}

void ControllerRt::RemoveCurrent() { items_.erase(items_.begin() + static_cast<long>(current_)); }

void ControllerRt::ReInitialize() {
  current_ = 0;
  ++iter_count_;
  first_ = true;
}

void ControllerRt::TriggerEndOfLoop(VuServices&) { ReInitialize(); }

void ControllerRt::FireIterationStart(VuServices& vu) {
  if (!first_) return;
  first_ = false;
  vu.OnIterationStart(node_);
  // JMeter adds iteration listeners at the front of its list, so later ones hear first.
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->controller && it->controller->listens_to_parent_iterations()) {
      it->controller->OnParentIterationStart(vu);
    }
  }
}

// ---------------------------------------------------------------------------------------
// LoopController.

namespace {

int64_t EvalInt(const Value& v, VuServices& vu, int64_t def) {
  if (!v.dynamic()) return ParseInt64(v.text).value_or(def);
  return ParseInt64(Evaluate(v, vu.context())).value_or(def);
}

}  // namespace

bool LoopRt::EndOfLoop(VuServices& vu) {
  int64_t loops = EvalInt(loops_, vu, 1);
  return break_loop_ || (loops > -1 && loop_count_ >= loops + extra_loops_);
}

const Sampler* LoopRt::Next(VuServices& vu) {
  if (EndOfLoop(vu)) {
    if (!continue_forever_) done_ = true;
    break_loop_ = false;
    return nullptr;
  }
  return NextGeneric(vu);
}

const Sampler* LoopRt::NextIsNull(VuServices& vu) {
  ReInitialize();
  if (EndOfLoop(vu)) {
    if (!continue_forever_) {
      done_ = true;
    } else {
      loop_count_ = 0;
    }
    return nullptr;
  }
  return Next(vu);
}

void LoopRt::ReInitialize() {
  first_ = true;
  current_ = 0;
  ++loop_count_;
}

void LoopRt::TriggerEndOfLoop(VuServices&) {
  ReInitialize();
  loop_count_ = 0;
}

void LoopRt::StartNextLoop(VuServices&) { ReInitialize(); }

void LoopRt::BreakLoop() {
  break_loop_ = true;
  first_ = true;
  current_ = 0;
  loop_count_ = 0;
}

namespace {

// ---------------------------------------------------------------------------------------
// IfController: the condition is checked when a pass starts (or before every child with
// "evaluate for all children").

class IfRt : public ControllerRt {
 public:
  explicit IfRt(const IfController& n) : ControllerRt(n), if_(n) {}
  const Sampler* Next(VuServices& vu) override {
    bool result = true;
    if (if_.evaluate_all || first_) result = vu.EvaluateCondition(if_.condition, !if_.use_expression);
    if (result) return NextGeneric(vu);
    return NextIsNull(vu);  // false: skip this pass
  }
  bool IsDone() const override { return false; }

 private:
  const IfController& if_;
};

// ---------------------------------------------------------------------------------------
// WhileController.

class WhileRt : public ControllerRt {
 public:
  explicit WhileRt(const WhileController& n) : ControllerRt(n), while_(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (first_ && EndOfLoop(vu, false)) {
      break_loop_ = false;
      return nullptr;
    }
    return NextGeneric(vu);
  }
  void BreakLoop() override {
    break_loop_ = true;
    first_ = true;
    current_ = 0;
  }
  bool is_iterating() const override { return true; }
  void StartNextLoop(VuServices&) override { ReInitialize(); }

 protected:
  const Sampler* NextIsNull(VuServices& vu) override {
    ReInitialize();
    if (EndOfLoop(vu, true)) {
      break_loop_ = false;
      return nullptr;
    }
    return Next(vu);
  }

 private:
  bool EndOfLoop(VuServices& vu, bool loop_end) {
    if (break_loop_) return true;
    std::string cond = std::string(TrimAscii(Evaluate(while_.condition, vu.context())));
    bool last = cond.size() == 4 && strncasecmp(cond.c_str(), "LAST", 4) == 0;
    if ((loop_end && cond.empty()) || last) return !vu.last_sample_ok();
    return cond.size() == 5 && strncasecmp(cond.c_str(), "false", 5) == 0;
  }

  const WhileController& while_;
  bool break_loop_ = false;
};

// ---------------------------------------------------------------------------------------
// OnceOnlyController: runs its children once per pass of the enclosing Loop Controller's
// loop (JMeter's OnceOnlyController.iterationStart re-initialises it when a Loop
// Controller - the thread group's own included - starts its first iteration), so at the
// thread group's level it runs once per user; again on each thread-group iteration when the
// group does not keep the same user.

class OnceOnlyRt : public ControllerRt {
 public:
  explicit OnceOnlyRt(const Node& n, bool reset_each_iteration)
      : ControllerRt(n), reset_each_iteration_(reset_each_iteration) {}
  const Sampler* Next(VuServices& vu) override {
    if (iter_count_ > 0) return nullptr;
    return NextGeneric(vu);
  }
  bool IsDone() const override { return false; }
  bool listens_to_parent_iterations() const override { return true; }
  void OnParentIterationStart(VuServices&) override {
    if (parent_ && parent_->node().kind == ElementKind::kLoopController &&
        static_cast<LoopRt*>(parent_)->loop_count() == 0) {
      Reset();
    }
  }
  void OnThreadGroupIteration() override {
    if (reset_each_iteration_) Reset();
  }

 private:
  void Reset() {
    iter_count_ = 0;
    current_ = 0;
    first_ = true;
  }

  bool reset_each_iteration_;
};

// ---------------------------------------------------------------------------------------
// ForeachController.

class ForeachRt : public ControllerRt {
 public:
  explicit ForeachRt(const ForeachController& n) : ControllerRt(n), fe_(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (first_) {
      if (break_loop_ || !SetOutput(vu)) {
        break_loop_ = false;
        loop_count_ = 0;
        return nullptr;
      }
    }
    return NextGeneric(vu);
  }
  void BreakLoop() override {
    break_loop_ = true;
    first_ = true;
    current_ = 0;
  }
  bool is_iterating() const override { return true; }
  void StartNextLoop(VuServices&) override {
    ReInitialize();
    ++loop_count_;
  }
  void TriggerEndOfLoop(VuServices&) override {
    ReInitialize();
    loop_count_ = 0;
  }

 protected:
  const Sampler* NextIsNull(VuServices& vu) override {
    ReInitialize();
    ++loop_count_;
    return Next(vu);
  }

 private:
  bool SetOutput(VuServices& vu) {
    ThreadContext& ctx = vu.context();
    int64_t start = ParseInt64(Evaluate(fe_.start_index, ctx)).value_or(0);
    std::string end_text = Evaluate(fe_.end_index, ctx);
    int64_t index = start + loop_count_ + 1;
    if (auto end = ParseInt64(end_text); end && index > *end) return false;
    std::string name = Evaluate(fe_.input_prefix, ctx) + (fe_.use_separator ? "_" : "") + std::to_string(index);
    const std::string* value = ctx.vars.Get(name);
    if (!value) return false;
    ctx.vars.Put(Evaluate(fe_.output_variable, ctx), *value);
    return true;
  }

  const ForeachController& fe_;
  int64_t loop_count_ = 0;
  bool break_loop_ = false;
};

// ---------------------------------------------------------------------------------------
// ThroughputController: per user (its own counts), or shared by every user of the run
// (SharedThroughputCounters), as JMeter's ThroughputController.iterationStart().

// JMeter's decide(): the limit is an int (total) or a float (percent).
bool DecideThroughput(ThroughputController::Style style, int64_t executions, int64_t iteration, double limit) {
  if (style == ThroughputController::Style::kTotalExecutions) return static_cast<double>(executions) < limit;
  return (100.0 * static_cast<double>(executions) + 50.0) / static_cast<double>(iteration + 1) < limit;
}

}  // namespace

bool SharedThroughputCounters::StartIteration(const ThroughputController* controller, double limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Counts& c = counts_[controller];
  ++c.iteration;
  bool run = DecideThroughput(controller->style, c.executions, c.iteration, limit);
  if (run) ++c.executions;
  return run;
}

namespace {

class ThroughputRt : public ControllerRt {
 public:
  ThroughputRt(const ThroughputController& n, SharedThroughputCounters* shared)
      : ControllerRt(n), tp_(n), shared_(n.per_thread ? nullptr : shared) {}
  bool listens_to_parent_iterations() const override { return true; }
  void OnParentIterationStart(VuServices& vu) override {
    double limit = Limit(vu);
    if (shared_) {
      run_this_time_ = shared_->StartIteration(&tp_, limit);
      return;
    }
    ++iteration_;
    run_this_time_ = DecideThroughput(tp_.style, executions_, iteration_, limit);
    if (run_this_time_) ++executions_;
  }
  const Sampler* Next(VuServices& vu) override {
    if (!run_this_time_) return nullptr;
    return NextGeneric(vu);
  }
  // JMeter's isDone() also ends a "total executions" controller whose count is reached
  // while its pass is over (current >= size); its parent only asks after a pass was
  // re-initialised (current 0), so that case never decides anything and is left out.
  bool IsDone() const override { return items_.empty(); }

 private:
  // getMaxThroughputAsInt() (1 when not an integer) or getPercentThroughputAsFloat() (100
  // when not a number), evaluated for this user.
  double Limit(VuServices& vu) {
    ThreadContext& ctx = vu.context();
    if (tp_.style == ThroughputController::Style::kTotalExecutions) {
      auto max = ParseInt64(Evaluate(tp_.max_throughput, ctx));
      bool is_int = max && *max >= std::numeric_limits<int32_t>::min() && *max <= std::numeric_limits<int32_t>::max();
      return static_cast<double>(is_int ? *max : 1);
    }
    auto percent = ParseDouble(Evaluate(tp_.percent_throughput, ctx));
    return static_cast<double>(static_cast<float>(percent.value_or(100.0)));
  }

  const ThroughputController& tp_;
  SharedThroughputCounters* shared_;  // nullptr: per user
  int64_t executions_ = 0;
  int64_t iteration_ = -1;
  bool run_this_time_ = false;
};

// ---------------------------------------------------------------------------------------
// InterleaveControl and RandomController: one child per pass.

class InterleaveRt : public ControllerRt {
 public:
  InterleaveRt(const Node& n, bool random, bool use_sub_controllers)
      : ControllerRt(n), random_(random), use_sub_controllers_(use_sub_controllers) {}
  const Sampler* Next(VuServices& vu) override {
    FireIterationStart(vu);
    if (items_.empty()) {
      done_ = true;
      return nullptr;
    }
    if (pass_over_) {  // the child of this pass has run: the pass ends here
      pass_over_ = false;
      EndPass();
      return nullptr;
    }
    for (size_t tries = 0; tries <= items_.size(); ++tries) {
      if (!chosen_) {
        if (random_) {
          std::uniform_int_distribution<size_t> pick(0, items_.size() - 1);
          cursor_ = pick(vu.context().rng);
        } else if (cursor_ >= items_.size()) {
          cursor_ = 0;
        }
        chosen_ = true;
      }
      Item item = items_[cursor_];
      if (item.sampler) {
        Advance();
        pass_over_ = true;
        return item.sampler;
      }
      if (const Sampler* s = item.controller->Next(vu)) {
        if (use_sub_controllers_) {
          in_sub_ = true;  // the whole block of the sub-controller is this pass
        } else {
          Advance();
          pass_over_ = true;
        }
        return s;
      }
      // The sub-controller has nothing more in this pass.
      if (item.controller->IsDone()) {
        items_.erase(items_.begin() + static_cast<long>(cursor_));
        chosen_ = false;
        if (items_.empty()) {
          done_ = true;
          return nullptr;
        }
      } else {
        Advance();
      }
      if (in_sub_) {
        in_sub_ = false;
        EndPass();
        return nullptr;
      }
    }
    EndPass();
    return nullptr;
  }

 private:
  void Advance() {
    chosen_ = false;
    if (!random_) ++cursor_;
  }
  void EndPass() {
    first_ = true;
    ++iter_count_;
  }

  bool random_;
  bool use_sub_controllers_;
  size_t cursor_ = 0;
  bool chosen_ = false;
  bool pass_over_ = false;
  bool in_sub_ = false;
};

// ---------------------------------------------------------------------------------------
// RuntimeController: repeats its children until its time is up.

class RuntimeRt : public ControllerRt {
 public:
  explicit RuntimeRt(const RuntimeController& n) : ControllerRt(n), rt_(n) {}
  const Sampler* Next(VuServices& vu) override {
    if (start_ms_ == 0) start_ms_ = vu.now_ms();
    if (EndOfLoop(vu)) {
      ReInitialize();
      start_ms_ = 0;
      return nullptr;
    }
    return NextGeneric(vu);
  }

 protected:
  const Sampler* NextIsNull(VuServices& vu) override {
    ReInitialize();
    if (EndOfLoop(vu)) {
      start_ms_ = 0;
      return nullptr;
    }
    return Next(vu);
  }

 private:
  bool EndOfLoop(VuServices& vu) {
    int64_t seconds = ParseInt64(Evaluate(rt_.seconds, vu.context())).value_or(0);
    return vu.now_ms() - start_ms_ >= seconds * 1000;
  }

  const RuntimeController& rt_;
  int64_t start_ms_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// TransactionController.

void TransactionRt::Begin(VuServices& vu) {
  active_ = true;
  result_ = SampleResult();
  start_ms_ = vu.now_ms();
  prev_end_ms_ = start_ms_;
  last_child_end_ms_ = 0;
  children_elapsed_us_ = 0;
  pause_ms_ = 0;
  calls_ = 0;
  failing_ = 0;
  result_.sample.label = tc_.name;
  result_.sample.timestamp_ms = start_ms_;
  result_.sample.success = true;
  result_.sample.transaction = true;
}

void TransactionRt::OnChildSample(const SampleResult& child) {
  if (!active_) return;
  const Sample& c = child.sample;
  Sample& s = result_.sample;
  s.thread_name = c.thread_name;
  s.bytes += c.bytes;
  s.sent_bytes += c.sent_bytes;
  int64_t child_end_ms = c.timestamp_ms + c.elapsed_us / 1000;
  last_child_end_ms_ = std::max(last_child_end_ms_, child_end_ms);
  children_elapsed_us_ += c.elapsed_us;
  if (!tc_.include_timers) {
    pause_ms_ += child_end_ms - c.elapsed_us / 1000 - prev_end_ms_;
    prev_end_ms_ = child_end_ms;
  }
  if (!c.success) {
    // Parent mode keeps the first failing child's code (TransactionSampler).
    if (tc_.generate_parent_sample && s.success) s.response_code = c.response_code;
    s.success = false;
    ++failing_;
  }
  s.all_threads = c.all_threads;
  s.grp_threads = c.grp_threads;
  s.latency_us += c.latency_us;
  s.connect_us += c.connect_us;
  if (tc_.generate_parent_sample) result_.sub_results.push_back(child);
}

void TransactionRt::End(VuServices& vu, bool cut_short) {
  active_ = false;
  int64_t end_ms = vu.now_ms();
  Sample& s = result_.sample;
  if (tc_.generate_parent_sample) {
    // TransactionSampler: the sample starts when the controller starts and grows with each
    // child's end (SampleResult.addSubResult), so timers and pre-/post-processors between
    // the children count; without timers, the children's own times only, the rest is idle.
    if (tc_.include_timers) {
      s.idle_us = 0;
      s.elapsed_us = last_child_end_ms_ > start_ms_ ? (last_child_end_ms_ - start_ms_) * 1000 : 0;
    } else {
      s.elapsed_us = children_elapsed_us_;
      s.idle_us = std::max<int64_t>(0, (end_ms - start_ms_) * 1000 - children_elapsed_us_);
    }
  } else {
    // TransactionController.next2: from start to now, less the gaps between children
    // (timers, pre-/post-processors) unless timers are included.
    if (!tc_.include_timers) pause_ms_ += end_ms - prev_end_ms_;
    s.idle_us = pause_ms_ * 1000;
    s.elapsed_us = (end_ms - start_ms_ - pause_ms_) * 1000;
  }
  s.response_message = "Number of samples in transaction : " + std::to_string(calls_) +
                       ", number of failing samples : " + std::to_string(failing_);
  if (cut_short) {
    // Ended by a flow-control jump (triggerEndOfLoop): success is the last sample's, and
    // JMeter sets no response code.
    s.success = s.success && vu.last_sample_ok();
  } else if (s.success) {
    s.response_code = "200";
  }
  vu.OnTransactionDone(*this, std::move(result_));
}

const Sampler* TransactionRt::Next(VuServices& vu) {
  if (first_) Begin(vu);
  bool is_last = current_ == items_.size();
  const Sampler* s = NextGeneric(vu);
  if (!s && is_last) {
    if (active_) End(vu, false);
  } else if (s) {
    ++calls_;
  }
  return s;
}

void TransactionRt::TriggerEndOfLoop(VuServices& vu) {
  if (active_) End(vu, true);
  ReInitialize();
}

// ---------------------------------------------------------------------------------------
// Building a virtual user's tree.

namespace {

std::unique_ptr<ControllerRt> MakeController(const Node& n, bool same_user, SharedThroughputCounters* shared) {
  switch (n.kind) {
    case ElementKind::kLoopController: {
      const LoopController& l = n.As<LoopController>();
      return std::make_unique<LoopRt>(n, l.loops, l.continue_forever);
    }
    case ElementKind::kIfController: return std::make_unique<IfRt>(n.As<IfController>());
    case ElementKind::kWhileController: return std::make_unique<WhileRt>(n.As<WhileController>());
    case ElementKind::kTransactionController: return std::make_unique<TransactionRt>(n.As<TransactionController>());
    case ElementKind::kOnceOnlyController: return std::make_unique<OnceOnlyRt>(n, !same_user);
    case ElementKind::kForeachController: return std::make_unique<ForeachRt>(n.As<ForeachController>());
    case ElementKind::kThroughputController:
      return std::make_unique<ThroughputRt>(n.As<ThroughputController>(), shared);
    case ElementKind::kRandomController: return std::make_unique<InterleaveRt>(n, true, true);
    case ElementKind::kInterleaveController:
      return std::make_unique<InterleaveRt>(n, false, n.As<InterleaveController>().style != 0);
    case ElementKind::kRuntimeController: return std::make_unique<RuntimeRt>(n.As<RuntimeController>());
    default:
      if (auto more = MakeMoreController(n)) return more;  // switch, random order, critical section
      return std::make_unique<ControllerRt>(n);            // simple, module, fragment
  }
}

void AddChildren(const Node& node, ControllerRt* rt, bool same_user, SharedThroughputCounters* shared,
                 std::vector<std::unique_ptr<ControllerRt>>* out);

void AddChild(const Node& child, ControllerRt* rt, bool same_user, SharedThroughputCounters* shared,
              std::vector<std::unique_ptr<ControllerRt>>* out) {
  if (child.category() == Category::kSampler) {
    rt->items().push_back({static_cast<const Sampler*>(&child), nullptr});
    return;
  }
  std::unique_ptr<ControllerRt> c = MakeController(child, same_user, shared);
  c->set_parent(rt);
  AddChildren(child, c.get(), same_user, shared, out);
  rt->items().push_back({nullptr, c.get()});
  out->push_back(std::move(c));
}

void AddChildren(const Node& node, ControllerRt* rt, bool same_user, SharedThroughputCounters* shared,
                 std::vector<std::unique_ptr<ControllerRt>>* out) {
  for (const auto& child : node.children) AddChild(*child, rt, same_user, shared, out);
}

}  // namespace

LoopRt* BuildControllerTree(const ThreadGroup& group, SharedThroughputCounters* shared,
                            std::vector<std::unique_ptr<ControllerRt>>* out) {
  auto main = std::make_unique<LoopRt>(group, group.loops, /*continue_forever=*/false);
  LoopRt* root = main.get();
  out->push_back(std::move(main));
  AddChildren(group, root, group.same_user_on_next_iteration, shared, out);
  return root;
}

LoopRt* BuildBranchTree(const Node& parallel, const Node& child, SharedThroughputCounters* shared,
                        std::vector<std::unique_ptr<ControllerRt>>* out) {
  static const Value kOnce = Value::Of("1");
  auto wrapper = std::make_unique<LoopRt>(parallel, kOnce, /*continue_forever=*/false);
  LoopRt* root = wrapper.get();
  out->push_back(std::move(wrapper));
  AddChild(child, root, /*same_user=*/true, shared, out);
  return root;
}

}  // namespace barrage
