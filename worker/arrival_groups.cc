#include "worker/arrival_groups.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/open_model_schedule.h"
#include "common/wire.h"
#include "worker/config_elements.h"
#include "worker/virtual_user.h"

namespace barrage {

namespace {

// Java's Math.round(double).
int64_t JavaRound(double x) { return static_cast<int64_t>(std::floor(x + 0.5)); }

// Java's (int) narrowing of a double: toward zero, saturating, NaN 0.
int JavaToInt(double x) {
  if (std::isnan(x)) return 0;
  if (x >= static_cast<double>(std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
  if (x <= static_cast<double>(std::numeric_limits<int>::min())) return std::numeric_limits<int>::min();
  return static_cast<int>(x);
}

}  // namespace

// ConcurrencyThreadStarter.getPlannedConcurrency (dynamic_tg.shift_rampup_start 0).
int64_t PlannedConcurrency(const DynamicShape& shape, double offset_s) {
  if (offset_s < 0) offset_s = 0;
  if (offset_s >= static_cast<double>(shape.ramp_up_s + shape.hold_s)) return -1;
  const double ramp = static_cast<double>(shape.ramp_up_s);
  if (shape.ramp_up_s == 0 || offset_s > ramp) return JavaRound(shape.target);
  if (shape.steps > 0) {
    double step_size = shape.target / static_cast<double>(shape.steps);
    double step_len = ramp / static_cast<double>(shape.steps);
    return JavaRound(step_size * (std::floor(offset_s / step_len) + 1));
  }
  return JavaRound(shape.target / ramp * offset_s);
}

// ArrivalsThreadStarter.getCurrentRate ("ported from Taurus PBench").
double ArrivalsRate(const DynamicShape& shape, double offset_s, int64_t scheduled) {
  if (offset_s >= static_cast<double>(shape.ramp_up_s + shape.hold_s)) return -1;
  const double ramp = static_cast<double>(shape.ramp_up_s);
  if (shape.ramp_up_s == 0 || offset_s > ramp) return shape.target;
  if (shape.steps > 0) {
    double step_size = shape.target / static_cast<double>(shape.steps);
    double step_len = ramp / static_cast<double>(shape.steps);
    return step_size * (std::floor(offset_s / step_len) + 1);
  }
  double slope = shape.target / ramp;
  return slope * std::sqrt(2.0 * static_cast<double>(scheduled) / slope);
}

// FreeFormArrivalsThreadStarter.getCurrentRate: the rows' offsets add up in an int.
double FreeFormRate(const std::vector<FreeFormRow>& rows, double offset_s) {
  int offset = 0;
  for (const FreeFormRow& r : rows) {
    double progress = (offset_s - offset) / r.duration_s;
    offset = JavaToInt(offset + r.duration_s);
    if (offset_s <= offset) return r.start + progress * (r.end - r.start);
  }
  return -1;
}

std::optional<double> ArrivalClock::Next() {
  // The plugin moves its rolling time 200 ms on while the rate is zero; a schedule that never
  // ends that way is cut after ten years.
  constexpr double kLimitMs = 10.0 * 366 * 86400 * 1000;
  while (!ended_) {
    double rate = rate_(rolling_ms_ / 1000.0, scheduled_);
    if (rate < 0 || rolling_ms_ > kLimitMs) {
      ended_ = true;
      break;
    }
    if (rate == 0 || std::isnan(rate)) {  // NaN: a Free-Form row lasting 0 s
      rolling_ms_ += 200;
      continue;
    }
    double at = rolling_ms_;
    rolling_ms_ += 1000.0 / rate;
    ++scheduled_;
    return at;
  }
  return std::nullopt;
}

namespace {

constexpr int64_t kConcurrencyTickUs = 100 * 1000;  // a loop checks its planned share this often
constexpr int kMaxArrivalsPerTimer = 1000;          // then the loop serves its users again

int Share(int64_t total, uint32_t index, uint32_t count) {
  int n = static_cast<int>(std::clamp<int64_t>(total, 0, std::numeric_limits<int>::max()));
  return count > 1 ? ThreadShare(n, index, count) : n;
}

// The group's state every loop's driver shares.
struct Shared final : DynamicGroup {
  RunState* rs = nullptr;
  GroupRuntime* g = nullptr;
  const DynamicThreadGroup* tg = nullptr;
  ShareSlot share;
  uint32_t loops = 1;
  int64_t start_us = 0;
  int64_t start_wall_us = 0;
  double unit = 1;  // the plugin's unit factor: 60 for minutes
  DynamicShape shape;
  std::atomic<double> target{0};  // Concurrency: TargetLevel as last evaluated
  std::vector<FreeFormRow> rows;
  int64_t iterations = 0;         // per user; 0: no limit
  int64_t concurrency_limit = 0;  // this engine's share; 0: none
  std::atomic<int64_t> busy{0};   // arrivals: users running an iteration, on every loop
  std::atomic<int> next_thread{0};
  ThreadContext ctx;  // the engine's thread: evaluates the properties
  int64_t last_eval_us = 0;
  bool warned = false;

  std::string Where(const char* prop) const {
    return KindName(tg->kind) + std::string(" '") + tg->name + "' (line " + std::to_string(tg->line) + "): property " +
           prop;
  }
  // A whole number (the plugin's Long.parseLong / getPropertyAsInt); `def` when empty or not
  // a number (which is logged).
  int64_t EvalInt(const Value& v, const char* prop, int64_t def) {
    std::string text = Evaluate(v, ctx);
    if (text.empty()) return def;
    std::optional<int64_t> n = ParseInt64(text);
    if (!n) {
      if (!warned) spdlog::error("{} '{}' is not a whole number: {} is used", Where(prop), text, def);
      warned = true;
      return def;
    }
    return *n;
  }
  double EvalDouble(const Value& v, const char* prop, double def) {
    std::string text = Evaluate(v, ctx);
    if (text.empty()) return def;
    std::optional<double> d = ParseDouble(text);
    if (!d) {
      if (!warned) spdlog::error("{} '{}' is not a number: {} is used", Where(prop), text, def);
      warned = true;
      return def;
    }
    return *d;
  }

  void EngineTick(int64_t now_us) override {
    // TargetLevel again every second (it may be ${__tstFeedback(...)}).
    if (tg->kind != ElementKind::kConcurrencyThreadGroup || !tg->target_level.dynamic()) return;
    if (now_us - last_eval_us < 1000000) return;
    last_eval_us = now_us;
    target.store(static_cast<double>(EvalInt(tg->target_level, "TargetLevel", 0)), std::memory_order_relaxed);
  }
};

// One loop's driver: its users, its timer.
class Driver : public LoopGroupDriver, public TimerHandler {
 public:
  Driver(Shared* shared, LoopWorker* worker) : sh_(shared), w_(worker) {}

  void OnStop() override { End(); }

 protected:
  void Arm(int64_t at_us) { w_->loop.AddTimer(at_us, this, ++token_); }
  bool IterationsDone(const VirtualUser* u) const {
    return sh_->iterations > 0 && u->iterations_done() >= sh_->iterations;
  }
  // A new user of the group on this loop, starting now.
  VirtualUser* NewUser() {
    int num = sh_->next_thread.fetch_add(1, std::memory_order_relaxed) + 1;
    auto user = std::make_unique<VirtualUser>(sh_->rs, sh_->g, w_, num);
    VirtualUser* u = user.get();
    u->set_driver(this);
    sh_->g->remaining.fetch_add(1, std::memory_order_acq_rel);
    w_->users.push_back(std::move(user));
    w_->NoteUsers();
    u->Start(MonotonicMicros());
    return u;
  }
  // No more users from this driver (once); the group ends when its users did too.
  void End() {
    if (ended_) return;
    ended_ = true;
    ++token_;
    std::vector<VirtualUser*> idle;
    idle.swap(idle_);
    for (VirtualUser* u : idle) {
      if (!u->finished()) u->Interrupt(false);
    }
    sh_->g->remaining.fetch_sub(1, std::memory_order_acq_rel);
  }

  Shared* sh_;
  LoopWorker* w_;
  bool ended_ = false;
  uint64_t token_ = 0;
  std::vector<VirtualUser*> idle_;  // parked users (arrivals)
};

// ConcurrencyThreadStarter.supplyActiveThreads, per loop.
class ConcurrencyDriver final : public Driver {
 public:
  using Driver::Driver;

  void Start() override { Tick(MonotonicMicros()); }
  void OnTimer(int64_t now_us, uint64_t token) override {
    if (token != token_ || ended_) return;
    Tick(now_us);
  }
  AfterIteration OnIterationEnd(VirtualUser* u) override {
    // VirtualUserController.nextIsNull: the starter is done, the user's iterations are, or
    // the group has more users than TargetLevel (tooMuchConcurrency).
    if (ended_ || sh_->rs->stopping() || IterationsDone(u)) return AfterIteration::kFinish;
    if (busy_ > LoopShare(JavaRound(sh_->target.load(std::memory_order_relaxed)))) return AfterIteration::kFinish;
    return AfterIteration::kContinue;
  }
  void OnUserFinished(VirtualUser*, bool) override {
    --busy_;
    if (!ended_) Arm(MonotonicMicros());  // a new user replaces it at once
  }

 private:
  int LoopShare(int64_t total) const {
    return Share(Share(total, sh_->share.index, sh_->share.count), static_cast<uint32_t>(w_->index), sh_->loops);
  }
  void Tick(int64_t now_us) {
    if (sh_->rs->stopping()) {
      End();
      return;
    }
    DynamicShape shape = sh_->shape;
    shape.target = sh_->target.load(std::memory_order_relaxed);
    int64_t planned = PlannedConcurrency(shape, static_cast<double>(now_us - sh_->start_us) / 1e6);
    if (planned < 0) {
      End();
      return;
    }
    int want = LoopShare(planned);
    // The worker's max_vus: this loop's share of it.
    if (sh_->rs->max_vus > 0) {
      want = std::min(want, Share(sh_->rs->max_vus, static_cast<uint32_t>(w_->index), sh_->loops));
    }
    while (busy_ < want) {
      ++busy_;
      NewUser();
    }
    Arm(now_us + kConcurrencyTickUs);
  }

  int busy_ = 0;  // users of this loop not finished
};

// ArrivalsThreadStarter.supplyActiveThreads (and OpenModelThreadGroup's ThreadsStarter), per
// loop: this loop's arrivals of the schedule.
class ArrivalsDriver final : public Driver {
 public:
  // `source`: the schedule's arrival offsets (ms from the start), in order. `fresh_users`:
  // every arrival is a new user running one iteration, without limit (the Open Model Thread
  // Group). `end_us`: the driver ends then, not before (0: when the arrivals did).
  ArrivalsDriver(Shared* shared, LoopWorker* worker, std::function<std::optional<double>()> source, uint64_t stride,
                 uint64_t slot, bool fresh_users, int64_t end_us)
      : Driver(shared, worker),
        source_(std::move(source)),
        stride_(stride),
        slot_(slot),
        fresh_users_(fresh_users),
        end_us_(end_us) {}

  void Start() override {
    Advance();
    ArmNext(MonotonicMicros());
  }
  void OnTimer(int64_t now_us, uint64_t token) override {
    if (token != token_ || ended_) return;
    if (sh_->rs->stopping()) {
      End();
      return;
    }
    for (int n = 0; next_ms_ && At(*next_ms_) <= now_us && n < kMaxArrivalsPerTimer; ++n) {
      Arrive(*next_ms_);
      if (ended_) return;
      Advance();
    }
    ArmNext(now_us);
  }
  AfterIteration OnIterationEnd(VirtualUser* u) override {
    if (fresh_users_ || ended_ || sh_->rs->stopping() || IterationsDone(u)) return AfterIteration::kFinish;
    sh_->busy.fetch_sub(1, std::memory_order_acq_rel);
    idle_.push_back(u);
    return AfterIteration::kPark;
  }
  void OnUserFinished(VirtualUser* u, bool parked) override {
    if (parked) {
      idle_.erase(std::remove(idle_.begin(), idle_.end(), u), idle_.end());
    } else {
      sh_->busy.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

 private:
  int64_t At(double offset_ms) const { return sh_->start_us + static_cast<int64_t>(std::llround(offset_ms * 1000)); }
  void Advance() {
    while ((next_ms_ = source_())) {
      if (index_++ % stride_ == slot_) return;
    }
  }
  void ArmNext(int64_t now_us) {
    if (next_ms_) {
      Arm(At(*next_ms_));
    } else if (end_us_ > now_us) {
      Arm(end_us_);  // the schedule ends with a pause: the group lasts till its end
    } else {
      End();
    }
  }
  // One arrival: an idle user runs an iteration, else a new one while the group is under
  // its ConcurrencyLimit; else the arrival is dropped (the plugin logs "Not creating thread
  // because of concurrency limit" and goes on with the next one) and counted.
  void Arrive(double offset_ms) {
    const int64_t intended = sh_->start_wall_us + static_cast<int64_t>(std::llround(offset_ms * 1000));
    // A slot under the limit, taken atomically (other loops take theirs meanwhile).
    int64_t busy = sh_->busy.load(std::memory_order_acquire);
    do {
      if (sh_->concurrency_limit > 0 && busy >= sh_->concurrency_limit) {
        sh_->rs->late_arrivals.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    } while (!sh_->busy.compare_exchange_weak(busy, busy + 1, std::memory_order_acq_rel));
    if (fresh_users_) {
      NewUser()->NoteIntendedStart(intended);
      return;
    }
    if (!idle_.empty()) {
      VirtualUser* u = idle_.back();
      idle_.pop_back();
      u->ResumeForArrival(intended);
      return;
    }
    VirtualUser* u = NewUser();
    u->NoteIntendedStart(intended);
  }

  std::function<std::optional<double>()> source_;
  uint64_t stride_;
  uint64_t slot_;
  bool fresh_users_;
  int64_t end_us_;
  uint64_t index_ = 0;  // of the next arrival from source_
  std::optional<double> next_ms_;
};

}  // namespace

Status CheckDynamicGroup(const ThreadGroup& group, ThreadContext& ctx) {
  if (group.kind != ElementKind::kOpenModelThreadGroup) return Status::Ok();
  const auto& tg = static_cast<const DynamicThreadGroup&>(group);
  if (!tg.open_schedule.dynamic()) return Status::Ok();  // checked by the compiler
  Result<OpenModelSchedule> parsed = ParseOpenModelSchedule(Evaluate(tg.open_schedule, ctx));
  if (parsed.ok()) return Status::Ok();
  return Status::InvalidArgument("OpenModelThreadGroup '" + tg.name + "' (line " + std::to_string(tg.line) +
                                 "): property OpenModelThreadGroup.schedule: " + parsed.status().message());
}

void StartDynamicGroup(RunState* rs, GroupRuntime* g, const std::vector<std::unique_ptr<LoopWorker>>& workers,
                       ShareSlot share, int64_t start_us, int64_t start_wall_ms) {
  const auto& tg = static_cast<const DynamicThreadGroup&>(*g->group);
  auto sh = std::make_unique<Shared>();
  sh->rs = rs;
  sh->g = g;
  sh->tg = &tg;
  sh->share = share;
  sh->loops = static_cast<uint32_t>(workers.size());
  sh->start_us = start_us;
  sh->start_wall_us = start_wall_ms * 1000;
  sh->ctx.run = rs->run;
  sh->ctx.vars = rs->initial_vars;
  sh->ctx.thread_name = tg.name + "-ThreadStarter";
  sh->ctx.group_name = tg.name;
  sh->unit = tg.minutes ? 60.0 : 1.0;
  sh->shape.ramp_up_s = JavaRound(sh->EvalDouble(tg.ramp_up, "RampUp", 0) * sh->unit);
  sh->shape.hold_s = JavaRound(sh->EvalDouble(tg.hold, "Hold", 0) * sh->unit);
  sh->shape.steps = sh->EvalInt(tg.steps, "Steps", 0);
  double level = static_cast<double>(sh->EvalInt(tg.target_level, "TargetLevel", 1));
  sh->iterations = std::max<int64_t>(0, sh->EvalInt(tg.iterations, "Iterations", 0));
  int64_t limit = sh->EvalInt(tg.concurrency_limit, "ConcurrencyLimit", 0);
  if (limit > 0) sh->concurrency_limit = std::max(1, Share(limit, share.index, share.count));
  // The worker's max_vus (EngineOptions) caps every dynamic group's concurrency on this engine.
  if (rs->max_vus > 0 && (sh->concurrency_limit == 0 || sh->concurrency_limit > rs->max_vus)) {
    sh->concurrency_limit = rs->max_vus;
  }
  for (const DynamicThreadGroup::Row& r : tg.schedule) {
    sh->rows.push_back({sh->EvalDouble(r.start, "Schedule", 0) / sh->unit,
                        sh->EvalDouble(r.end, "Schedule", 0) / sh->unit,
                        sh->EvalDouble(r.duration, "Schedule", 0) * sh->unit});
  }
  sh->last_eval_us = start_us;
  if (tg.kind == ElementKind::kConcurrencyThreadGroup) {
    sh->shape.target = level;  // users (getTargetLevelAsDouble, not factored)
    sh->target.store(level);
  } else {
    sh->shape.target = level / sh->unit;  // arrivals per second (getTargetLevelFactored)
  }

  const uint64_t workers_in_share = std::max<uint32_t>(1, share.count);
  const uint64_t stride = workers_in_share * workers.size();
  g->remaining = static_cast<int>(workers.size());  // each driver until it ends
  Shared* shared = sh.get();
  g->dynamic = std::move(sh);
  // The Open Model Thread Group: its schedule (evaluated and parsed now, as JMeter does at
  // the group's start) and its generator's seed, the same on every loop.
  std::optional<OpenModelSchedule> open;
  int64_t seed = 0;
  int64_t end_us = 0;
  if (tg.kind == ElementKind::kOpenModelThreadGroup) {
    Result<OpenModelSchedule> parsed = ParseOpenModelSchedule(Evaluate(tg.open_schedule, shared->ctx));
    if (parsed.ok()) {
      open = std::move(parsed).value();
    } else {
      spdlog::error("{}: {}", shared->Where("OpenModelThreadGroup.schedule"), parsed.status().message());
      open = OpenModelSchedule{};  // no arrivals
    }
    seed = shared->EvalInt(tg.random_seed, "OpenModelThreadGroup.random_seed", 0);
    if (seed == 0) seed = static_cast<int64_t>(std::random_device{}()) << 32 | std::random_device{}();
    // Users end at the schedule's end (JMeterThread.endTime), the group then too.
    const int64_t total_ms = JavaRound(open->TotalDurationS() * 1000);
    g->end_wall_ms = start_wall_ms + total_ms;
    end_us = start_us + total_ms * 1000;
  }
  for (const auto& w : workers) {
    std::unique_ptr<LoopGroupDriver> d;
    const uint64_t slot = static_cast<uint64_t>(w->index) * workers_in_share + (share.count > 1 ? share.index : 0);
    if (tg.kind == ElementKind::kConcurrencyThreadGroup) {
      d = std::make_unique<ConcurrencyDriver>(shared, w.get());
    } else if (open) {
      // ThreadsStarter: testStartTime + (t * 1000).roundToLong() ms.
      auto gen = std::make_shared<std::pair<JavaRandom, std::unique_ptr<OpenModelArrivals>>>(JavaRandom(seed), nullptr);
      gen->second = std::make_unique<OpenModelArrivals>(*open, [r = gen.get()] { return r->first.NextDouble(); });
      auto source = [gen]() -> std::optional<double> {
        std::optional<double> t = gen->second->Next();
        if (!t) return std::nullopt;
        return static_cast<double>(JavaRound(*t * 1000));
      };
      d = std::make_unique<ArrivalsDriver>(shared, w.get(), std::move(source), stride, slot, true, end_us);
    } else {
      auto clock = std::make_shared<ArrivalClock>(
          tg.kind == ElementKind::kArrivalsThreadGroup
              ? ArrivalClock([s = shared->shape](double t, int64_t n) { return ArrivalsRate(s, t, n); })
              : ArrivalClock([rows = shared->rows](double t, int64_t) { return FreeFormRate(rows, t); }));
      d = std::make_unique<ArrivalsDriver>(
          shared, w.get(), [clock] { return clock->Next(); }, stride, slot, false, 0);
    }
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->pending_drivers.push_back(std::move(d));
      w->has_pending.store(true, std::memory_order_release);
    }
    w->loop.Wake();
  }
}

}  // namespace barrage
