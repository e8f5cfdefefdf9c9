#include "worker/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/hash_tree.h"
#include "common/java_time_format.h"
#include "common/wire.h"
#include "worker/arrival_groups.h"
#include "worker/descriptor_limit.h"
#include "worker/engine_internal.h"
#include "worker/target_check.h"
#include "worker/user_reclaim.h"
#include "worker/virtual_user.h"

namespace barrage {

struct Engine::State {
  const Plan& plan;
  RunContext* run;
  EngineOptions options;
  SampleSink* sink;
  RunState rs;
  std::vector<std::unique_ptr<GroupRuntime>> groups;
  std::vector<std::unique_ptr<LoopWorker>> workers;
  std::thread collector;
  std::atomic<bool> collector_exit{false};
  std::mutex collector_mu;  // with collector_wake: the collector's wait ends at once at exit
  std::condition_variable collector_wake;
  size_t next_worker = 0;
  int64_t graceful_since_us = 0;  // Run's thread: when the current graceful stop began
  std::atomic<bool> graceful_stop_timed_out{false};

  State(const Plan& p, RunContext* r, EngineOptions o, SampleSink* s) : plan(p), run(r), options(o), sink(s) {}

  void Collect();
  // Ends the collector's wait: it flushes what is left and returns (a run's end does not wait
  // for the next flush interval).
  void StopCollector() {
    {
      std::lock_guard<std::mutex> lock(collector_mu);
      collector_exit = true;
    }
    collector_wake.notify_all();
  }
  void LoopMain(LoopWorker* w);
  // The loop's thread: runs the quick scripts queued before this call, for at most
  // kQuickScriptsBudgetUs (the rest after the next poll). False when the loop was taken from
  // this thread during a call: the thread must leave the loop at once.
  bool RunQuickScripts(LoopWorker* w);
  // The engine's thread: gives each loop whose quick call outlasted kQuickCallTakeoverUs to a
  // new thread.
  void TakeOverStuckLoops(int64_t now_us);
  void StartGroup(GroupRuntime* g, int64_t phase_start_us, int64_t phase_start_wall_ms);
  void WaitForGroups(const std::vector<GroupRuntime*>& groups, int64_t deadline_us);
  void BoundGracefulStop(int64_t now_us);
  void FlushAll();
};

namespace {

// Every User Defined Variables element of the plan, in plan order (JMeter evaluates them
// all once when the test starts, wherever they are placed).
void CollectArguments(const Node& node, std::vector<const ArgumentsNode*>* out) {
  for (const auto& e : node.elements) {
    if (e->kind == ElementKind::kArguments) out->push_back(&e->As<ArgumentsNode>());
  }
  for (const auto& c : node.children) CollectArguments(*c, out);
}

bool HasElement(const Node& node, ElementKind kind) {
  for (const auto& e : node.elements) {
    if (e->kind == kind) return true;
  }
  for (const auto& c : node.children) {
    if (HasElement(*c, kind)) return true;
  }
  return false;
}

// JMeter's predefined properties START.MS, START.YMD, START.HMS (JMeter.start, local time)
// and TESTSTART.MS (StandardJMeterEngine.run), with which every user's variables also start
// (JMeterVariables.preloadVariables).
void SetStartProperties(int64_t now_ms, RunContext* run, Variables* vars) {
  const ZonedTime local = LocalZonedTime(now_ms);
  const std::pair<const char*, std::string> values[] = {
      {"START.MS", std::to_string(now_ms)},
      {"START.YMD", DateTimePattern::Compile("yyyyMMdd").value().Format(local)},
      {"START.HMS", DateTimePattern::Compile("HHmmss").value().Format(local)},
      {"TESTSTART.MS", std::to_string(now_ms)},
  };
  for (const auto& [name, value] : values) {
    run->properties.Set(name, value);
    vars->Put(name, value);
  }
}

int64_t EvalInt(const Value& v, ThreadContext& ctx, int64_t def) { return ParseInt64(Evaluate(v, ctx)).value_or(def); }

// EngineOptions::max_vus against the users the plan's groups start at once, phase by phase
// (dynamic groups are held under it while they run instead).
Status CheckMaxVus(const std::vector<std::unique_ptr<GroupRuntime>>& groups, int64_t max_vus, bool serialize) {
  for (ElementKind phase : {ElementKind::kSetupThreadGroup, ElementKind::kThreadGroup, ElementKind::kPostThreadGroup}) {
    int64_t users = 0;
    std::string which;
    for (const auto& g : groups) {
      if (ThreadGroupPhase(g->group->kind) != phase || IsDynamicThreadGroup(g->group->kind) || g->num_threads == 0) {
        continue;
      }
      users = serialize ? std::max<int64_t>(users, g->num_threads) : users + g->num_threads;
      which += (which.empty() ? "" : ", ") + ("'" + g->group->name + "': " + std::to_string(g->num_threads));
    }
    if (users > max_vus) {
      return Status::InvalidArgument("the plan starts " + std::to_string(users) +
                                     " virtual users at once on this worker (" + which + "), more than its max_vus " +
                                     std::to_string(max_vus));
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t RampUpOffsetMs(int index, int64_t ramp_ms, int threads) {
  if (threads <= 0) return 0;
  float per_thread = static_cast<float>(ramp_ms) / static_cast<float>(threads);
  return static_cast<int64_t>(static_cast<float>(index) * per_thread);
}

Engine::Engine(const Plan& plan, RunContext* run, EngineOptions options, SampleSink* sink)
    : state_(std::make_unique<State>(plan, run, options, sink)) {
  state_->rs.plan = &plan;
  state_->rs.run = run;
  if (run != nullptr) run->fifos = &state_->rs.fifos;  // __fifoPut, __fifoSize, __fifoGet
  state_->rs.graceful_stop_timeout_ms = options.graceful_stop_timeout_ms;
}

Engine::~Engine() {
  State& s = *state_;
  for (auto& w : s.workers) {
    w->exit = true;
    w->loop.Wake();
    if (w->thread.joinable()) w->thread.join();
  }
  s.StopCollector();
  if (s.collector.joinable()) s.collector.join();
  if (s.rs.run != nullptr && s.rs.run->fifos == &s.rs.fifos) s.rs.run->fifos = nullptr;
  if (s.rs.run != nullptr && s.rs.script_functions && s.rs.run->scripts == s.rs.script_functions.get()) {
    s.rs.run->scripts = nullptr;
  }
  if (s.rs.script_functions && !s.rs.scripts) s.rs.script_functions->host()->SetProperties(nullptr);
}

Status Engine::Prepare() {
  State& s = *state_;
  if (!s.plan.root) return Status::InvalidArgument("the plan has no Test Plan");
  ThreadContext boot;
  boot.run = s.run;
  boot.thread_name = "main";
  SetStartProperties(WallMillis(), s.run, &boot.vars);
  // Script elements and functions (issue 11): the JVM starts now, before any value is
  // evaluated (a User Defined Variable may call __BeanShell), and only for a plan that needs it.
  ScriptHostOptions script_options;
  if (std::optional<std::string> heap = s.run->properties.Get("barrage.script.max_heap_mb")) {
    std::optional<int64_t> mb = ParseInt64(*heap);
    if (!mb || *mb < 16 || *mb > 1 << 20) {
      return Status::InvalidArgument("property barrage.script.max_heap_mb: '" + *heap +
                                     "' is not a heap size in MiB (16 or more)");
    }
    script_options.max_heap_mb = static_cast<int>(*mb);
  }
  Result<std::unique_ptr<ScriptRegistry>> scripts = ScriptRegistry::ForRun(s.plan, *s.run, boot, script_options);
  if (!scripts.ok()) return scripts.status();
  s.rs.scripts = std::move(scripts).value();
  // Script functions beyond the one-line evaluator (and JavaScript conditions) run on the same
  // host: started for them alone only when the plan has some.
  if (s.rs.scripts || s.plan.script_functions) {
    ScriptHost* host = nullptr;
    if (s.rs.scripts) {
      host = s.rs.scripts->host();
    } else {
      // They run through Rhino, which must run here (BARRAGE_JAVA_HOME=none: it does not).
      std::string needs;
      for (const std::string& m : ScriptLanguageMissing(FindScriptRuntime(), "javascript")) {
        needs += (needs.empty() ? "" : ", ") + m;
      }
      if (!needs.empty()) {
        return Status::Unsupported("the plan has script functions the one-line evaluator cannot run: they need " +
                                   needs);
      }
      Result<ScriptHost*> started = ScriptHost::Get(script_options);
      if (!started.ok()) {
        return Status::Unsupported("the plan has script functions the one-line evaluator cannot run: " +
                                   started.status().message());
      }
      host = *started;
      host->SetProperties(&s.run->properties);
    }
    Result<std::unique_ptr<ScriptFunctionRunner>> functions = ScriptFunctionRunner::Create(host);
    if (functions.ok()) {
      s.rs.script_functions = std::move(functions).value();
      s.run->scripts = s.rs.script_functions.get();
    } else if (s.plan.script_functions) {
      return functions.status();
    }
  }

  {
    std::vector<std::pair<std::string, std::string>> values;
    for (const Argument& a : s.plan.root->user_defined_variables) {
      values.emplace_back(Evaluate(a.name, boot), Evaluate(a.value, boot));
    }
    for (auto& [name, value] : values) boot.vars.Put(name, std::move(value));
  }
  std::vector<const ArgumentsNode*> udvs;
  for (const auto& e : s.plan.root->elements) {
    if (e->kind == ElementKind::kArguments) udvs.push_back(&e->As<ArgumentsNode>());
  }
  for (const auto& c : s.plan.root->children) CollectArguments(*c, &udvs);
  // An element's values are evaluated before any of its variables exists, so a value cannot
  // refer to a variable of the same element (JMeter's PreCompiler; its manual says so).
  for (const ArgumentsNode* udv : udvs) {
    std::vector<std::pair<std::string, std::string>> values;
    for (const Argument& a : udv->arguments) values.emplace_back(Evaluate(a.name, boot), Evaluate(a.value, boot));
    for (auto& [name, value] : values) boot.vars.Put(name, std::move(value));
  }
  s.rs.initial_vars = boot.vars;
  s.rs.allowed_targets = s.options.allowed_targets;
  if (s.options.allowed_targets != nullptr) {
    if (Status st = CheckPlanTargets(s.plan, *s.options.allowed_targets, boot, s.run->connect_to); !st.ok()) {
      return st;
    }
  }
  s.rs.any_url_rewriting = HasElement(*s.plan.root, ElementKind::kUrlRewritingModifier);
  s.rs.any_link_parser = HasElement(*s.plan.root, ElementKind::kAnchorModifier);
  if (!s.run->connect_to.empty()) s.rs.connect_to = std::make_unique<ConnectToRoutes>(s.run->connect_to);
  Result<Http2Mode> http2 = Http2ModeFromProperties(s.run->properties);
  if (!http2.ok()) return http2.status();
  s.rs.http2 = *http2;
  Result<CookieSettings> cookie_settings = CookieSettingsFromProperties(s.run->properties);
  if (!cookie_settings.ok()) return cookie_settings.status();
  s.rs.cookie_settings = std::move(cookie_settings).value();

  // Data files are read and checked before anything starts.
  s.rs.csv = std::make_unique<CsvRegistry>(*s.run);
  s.rs.counters = std::make_unique<CounterRegistry>(s.plan);
  s.rs.randoms = std::make_unique<RandomVariableRegistry>(s.plan);
  for (const CsvDataSet* csv : CsvDataSetsUnder(std::as_const(*s.plan.root))) {
    Status prepared = s.rs.csv->Prepare(*csv, boot);
    if (!prepared.ok()) return prepared;
  }

  // The keystore of client certificates is read before anything starts too.
  Result<std::unique_ptr<ClientKeystore>> keystore = ClientKeystore::ForRun(s.plan, boot);
  if (!keystore.ok()) return keystore.status();
  s.rs.keystore = std::move(keystore).value();

  bool plan_cookie_manager = std::any_of(s.plan.root->elements.begin(), s.plan.root->elements.end(),
                                         [](const auto& e) { return e->kind == ElementKind::kCookieManager; });
  // A cluster worker runs its share of the Throughput Shaping Timers' rates, as of the threads.
  if (s.options.share_count > 0) s.rs.throughput.set_rate_share(1.0 / s.options.share_count);
  for (const ThreadGroup* tg : s.plan.thread_groups()) {
    auto g = std::make_unique<GroupRuntime>();
    g->group = tg;
    g->cookies = HasElement(*tg, ElementKind::kCookieManager) || plan_cookie_manager;
    g->index = static_cast<int>(s.groups.size()) + 1;
    if (Status checked = CheckDynamicGroup(*tg, boot); !checked.ok()) return checked;
    if (tg->kind == ElementKind::kUltimateThreadGroup || tg->kind == ElementKind::kSteppingThreadGroup) {
      Result<std::vector<ThreadWindow>> windows = PlannedWindows(static_cast<const ModelThreadGroup&>(*tg), boot);
      if (!windows.ok()) return windows.status();
      g->windows = ShareWindows(std::move(windows).value(), s.options.share_index, s.options.share_count);
      g->num_threads = static_cast<int>(g->windows.size());
      s.groups.push_back(std::move(g));
      continue;
    }
    int64_t n = EvalInt(tg->num_threads, boot, -1);
    if (n < 0) {
      return Status::InvalidArgument("Thread Group '" + tg->name + "' (line " + std::to_string(tg->line) +
                                     "): number of threads '" + Evaluate(tg->num_threads, boot) +
                                     "' is not a whole number >= 0");
    }
    g->num_threads = static_cast<int>(n);
    if (s.options.share_count > 0) {
      g->num_threads = ThreadShare(g->num_threads, s.options.share_index, s.options.share_count);
    }
    g->ramp_ms = std::max<int64_t>(0, EvalInt(tg->ramp_time, boot, 0)) * 1000;
    if (tg->scheduler) {
      g->delay_ms = std::max<int64_t>(0, EvalInt(tg->delay, boot, 0)) * 1000;
      g->duration_ms = std::max<int64_t>(0, EvalInt(tg->duration, boot, 0)) * 1000;
    }
    s.groups.push_back(std::move(g));
  }
  // Users keeping connections open need a descriptor each, for the whole run: checked (and
  // the soft limit raised) now rather than failing requests mid-run.
  int64_t connections = 0;
  std::string groups_keeping;
  for (const auto& g : s.groups) {
    if (g->num_threads == 0 || !KeepsConnectionsOpen(*g->group)) continue;
    connections += g->num_threads;
    groups_keeping +=
        (groups_keeping.empty() ? "" : ", ") + ("'" + g->group->name + "': " + std::to_string(g->num_threads));
  }
  if (connections > 0) {
    Status st = EnsureDescriptorLimit(connections, std::to_string(connections) + " users (" + groups_keeping + ")");
    if (!st.ok()) return st;
  }

  if (s.options.max_vus > 0) {
    if (Status st = CheckMaxVus(s.groups, s.options.max_vus, s.plan.root->serialize_thread_groups); !st.ok()) {
      return st;
    }
  }
  s.rs.max_vus = s.options.max_vus;

  int loops = s.options.event_loops > 0 ? s.options.event_loops
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (s.options.max_rps > 0) {
    s.rs.request_interval_us = std::max<int64_t>(1, std::llround(1e6 * loops / s.options.max_rps));
  }
  for (int i = 0; i < loops; ++i) {
    s.workers.push_back(std::make_unique<LoopWorker>());
    s.workers.back()->index = i;
  }
  return Status::Ok();
}

// Quick scripts run at most this long in one pass of a loop before it polls again.
constexpr int64_t kQuickScriptsBudgetUs = 1000;

bool Engine::State::RunQuickScripts(LoopWorker* w) {
  if (w->quick_next == w->quick_scripts.size()) return true;
  ScriptHost* host = rs.scripts->host();
  const int64_t until = MonotonicMicros() + kQuickScriptsBudgetUs;
  const size_t end = w->quick_scripts.size();  // calls queued by the users resumed here wait a pass
  while (w->quick_next < end) {
    VirtualUser* u = w->quick_scripts[w->quick_next++];
    ScriptCall* c = u->script_call();
    const uint64_t mine = (static_cast<uint64_t>(MonotonicMicros()) << 1) | 1;
    w->quick_call.store(mine, std::memory_order_release);
    host->CallNow(c);
    uint64_t expected = mine;
    if (!w->quick_call.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
      u->OnScriptDone(c);  // the loop runs on another thread now: the user goes back to it
      return false;
    }
    u->ResumeAfterWait();
    if (MonotonicMicros() >= until) break;
  }
  if (w->quick_next == w->quick_scripts.size()) {
    w->quick_scripts.clear();
    w->quick_next = 0;
  } else {
    w->loop.Wake();  // the next poll must not wait
  }
  return true;
}

void Engine::State::TakeOverStuckLoops(int64_t now_us) {
  for (auto& w : workers) {
    for (auto t = w->takeovers.begin(); t != w->takeovers.end();) {  // threads that left their loop
      if (!t->ended.load(std::memory_order_acquire)) {
        ++t;
        continue;
      }
      t->thread.join();
      t = w->takeovers.erase(t);
    }
    uint64_t v = w->quick_call.load(std::memory_order_acquire);
    if ((v & 1) == 0 || now_us - static_cast<int64_t>(v >> 1) < kQuickCallTakeoverUs) continue;
    if (!w->quick_call.compare_exchange_strong(v, 0, std::memory_order_acq_rel)) continue;
    spdlog::debug("a quick script outlasted {} ms on an event loop: the loop goes on on a new thread",
                  kQuickCallTakeoverUs / 1000);
    LoopWorker* wp = w.get();
    LoopWorker::Takeover& t = w->takeovers.emplace_back();
    t.thread = std::thread([this, wp, &t] {
      LoopMain(wp);
      t.ended.store(true, std::memory_order_release);
    });
  }
}

void Engine::State::LoopMain(LoopWorker* w) {
  bool lost = false;  // the loop was given to another thread (TakeOverStuckLoops)
  auto after_events = [this, w, &lost] {
    std::vector<PendingUser> incoming;
    std::vector<std::unique_ptr<LoopGroupDriver>> drivers;
    if (w->has_pending.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(w->mu);
      incoming.swap(w->pending);
      drivers.swap(w->pending_drivers);
      w->has_pending.store(false, std::memory_order_release);
    }
    for (auto& d : drivers) {  // dynamic thread groups (arrival_groups.h)
      w->drivers.push_back(std::move(d));
      w->drivers.back()->Start();
    }
    for (PendingUser& p : incoming) {
      VirtualUser* u = p.user.get();
      w->users.push_back(std::move(p.user));
      w->NoteUsers();
      u->Start(p.start_at_us, p.end_wall_ms);
    }
    if (w->has_granted.load(std::memory_order_acquire)) {
      std::vector<VirtualUser*> granted;
      {
        std::lock_guard<std::mutex> lock(w->mu);
        granted.swap(w->granted);
        w->has_granted.store(false, std::memory_order_release);
      }
      for (VirtualUser* u : granted) u->ResumeAfterWait();
    }
    int epoch = rs.stop_epoch.load(std::memory_order_acquire);
    if (epoch != w->applied_stop_epoch && rs.stopping()) {
      w->applied_stop_epoch = epoch;
      bool now = rs.stop_now.load(std::memory_order_relaxed);
      for (auto& u : w->users) u->Interrupt(now);
      for (auto& d : w->drivers) d->OnStop();
    }
    if (rs.scripts && !RunQuickScripts(w)) {
      lost = true;
      return;
    }
    // Static groups' finished users stay allocated until the loop ends (the timer heap may
    // still hold stale entries pointing at them); dynamic groups' are freed in batches.
    ReclaimEndedUsers(w);
    w->Publish();
  };
  w->loop.Run([w, &lost] { return lost || w->exit.load(std::memory_order_acquire); }, after_events);
  if (lost) return;  // the loop and its users are the new thread's
  w->Publish();
  w->ended.clear();
  w->users.clear();
}

void Engine::State::FlushAll() {
  std::vector<std::vector<Sample>> parts;
  std::vector<std::vector<int64_t>> ends;
  size_t total = 0;
  for (auto& w : workers) {
    std::vector<Sample> part;
    std::vector<int64_t> part_ends;
    {
      std::lock_guard<std::mutex> lock(w->mu);
      part.swap(w->buffer);
      part_ends.swap(w->buffer_end_us);
    }
    total += part.size();
    if (!part.empty()) {
      parts.push_back(std::move(part));
      ends.push_back(std::move(part_ends));
    }
  }
  if (total == 0 || !sink) return;
  if (parts.size() == 1) {
    sink->OnSamples(parts[0]);
    return;
  }
  // Each loop's samples are in recording order: merge the loops by recording time without
  // ever reordering one loop's (so every thread's samples keep their order).
  std::vector<size_t> next(parts.size(), 0);
  std::vector<Sample> batch;
  batch.reserve(total);
  while (batch.size() < total) {
    size_t best = parts.size();
    for (size_t i = 0; i < parts.size(); ++i) {
      if (next[i] == parts[i].size()) continue;
      if (best == parts.size() || ends[i][next[i]] < ends[best][next[best]]) best = i;
    }
    batch.push_back(std::move(parts[best][next[best]++]));
  }
  sink->OnSamples(batch);
}

void Engine::State::Collect() {
  int64_t last_tick = MonotonicMicros();
  while (!collector_exit.load(std::memory_order_acquire)) {
    {
      std::unique_lock<std::mutex> lock(collector_mu);
      collector_wake.wait_for(lock, std::chrono::milliseconds(options.flush_interval_ms),
                              [this] { return collector_exit.load(std::memory_order_acquire); });
    }
    FlushAll();
    int64_t now = MonotonicMicros();
    if (now - last_tick >= 1000000 && sink) {
      last_tick = now;
      sink->OnTick(rs.all_active.load(), rs.started.load(), rs.finished.load());
    }
  }
  FlushAll();
}

void Engine::State::StartGroup(GroupRuntime* g, int64_t phase_start_us, int64_t phase_start_wall_ms) {
  g->start_wall_ms = phase_start_wall_ms;
  g->end_wall_ms = g->duration_ms > 0 ? phase_start_wall_ms + g->delay_ms + g->duration_ms : 0;
  if (IsDynamicThreadGroup(g->group->kind)) {
    StartDynamicGroup(&rs, g, workers, {options.share_index, options.share_count}, phase_start_us, phase_start_wall_ms);
    return;
  }
  g->remaining = g->num_threads;
  std::vector<std::vector<PendingUser>> per_worker(workers.size());
  for (int i = 0; i < g->num_threads; ++i) {
    size_t wi = next_worker++ % workers.size();
    auto user = std::make_unique<VirtualUser>(&rs, g, workers[wi].get(), i + 1);
    if (!g->windows.empty()) {  // each user its own start and end (Ultimate, Stepping)
      const ThreadWindow& w = g->windows[i];
      per_worker[wi].push_back({std::move(user), phase_start_us + w.start_ms * 1000, phase_start_wall_ms + w.end_ms});
      continue;
    }
    int64_t at = phase_start_us + (g->delay_ms + RampUpOffsetMs(i, g->ramp_ms, g->num_threads)) * 1000;
    per_worker[wi].push_back({std::move(user), at});
  }
  for (size_t wi = 0; wi < workers.size(); ++wi) {
    if (per_worker[wi].empty()) continue;
    {
      std::lock_guard<std::mutex> lock(workers[wi]->mu);
      for (PendingUser& p : per_worker[wi]) workers[wi]->pending.push_back(std::move(p));
      workers[wi]->has_pending.store(true, std::memory_order_release);
    }
    workers[wi]->loop.Wake();
  }
}

constexpr int kScriptStopGraceMs = 200;

void Engine::State::WaitForGroups(const std::vector<GroupRuntime*>& gs, int64_t deadline_us) {
  while (true) {
    bool all_done = std::all_of(gs.begin(), gs.end(), [](GroupRuntime* g) { return g->remaining.load() <= 0; });
    if (all_done) return;
    int64_t now = MonotonicMicros();
    for (GroupRuntime* g : gs) {
      if (g->dynamic) g->dynamic->EngineTick(now);
    }
    if (deadline_us > 0 && now >= deadline_us && !rs.stop_graceful.load()) {
      rs.RequestStop(false);
      for (auto& w : workers) w->loop.Wake();
    }
    BoundGracefulStop(now);
    // A stop now ends running scripts too (interrupted, then stopped): an endless script
    // never holds the run.
    if (rs.scripts && rs.stop_now.load()) rs.scripts->host()->StopRunningCalls(kScriptStopGraceMs);
    if (rs.scripts) TakeOverStuckLoops(MonotonicMicros());
    // Wakes at once when a group's last user finishes; the 5 ms bound serves the checks above
    // (the run's deadline, the graceful stop's bound, stuck quick scripts).
    std::unique_lock<std::mutex> lock(rs.group_end_mu);
    rs.group_end.wait_for(lock, std::chrono::milliseconds(5), [&gs] {
      return std::all_of(gs.begin(), gs.end(), [](GroupRuntime* g) { return g->remaining.load() <= 0; });
    });
  }
}

void Engine::State::BoundGracefulStop(int64_t now_us) {
  if (!rs.stop_graceful.load() || rs.stop_now.load()) {
    graceful_since_us = 0;
    return;
  }
  if (graceful_since_us == 0) graceful_since_us = now_us;
  if (options.graceful_stop_timeout_ms < 0 || now_us - graceful_since_us < options.graceful_stop_timeout_ms * 1000) {
    return;
  }
  graceful_stop_timed_out = true;
  rs.RequestStop(true);
  for (auto& w : workers) w->loop.Wake();
}

Status Engine::Run() {
  State& s = *state_;
  if (s.workers.empty()) return Status::Internal("Engine::Run called before Prepare");
  for (auto& w : s.workers) {
    LoopWorker* wp = w.get();
    w->thread = std::thread([&s, wp] { s.LoopMain(wp); });
  }
  s.collector = std::thread([&s] { s.Collect(); });
  s.rs.throughput.set_test_start_ms(WallMillis());  // the Precise Throughput Timers' origin (testStarted)
  // Stopped before it ran: nothing starts, tearDown groups included (JMeter's engine, told
  // to stop before its run, starts no group either).
  const bool stopped_before_start = s.rs.stopping();

  int64_t deadline = s.options.max_duration_ms > 0 ? MonotonicMicros() + s.options.max_duration_ms * 1000 : 0;
  auto phase = [&](ElementKind kind, bool serialize) {
    std::vector<GroupRuntime*> started;
    for (auto& g : s.groups) {
      if (ThreadGroupPhase(g->group->kind) != kind) continue;
      if (s.rs.stopping()) break;
      s.StartGroup(g.get(), MonotonicMicros(), WallMillis());
      started.push_back(g.get());
      if (serialize) {
        s.WaitForGroups({g.get()}, deadline);
      }
    }
    s.WaitForGroups(started, deadline);
  };
  bool serialize = s.plan.root->serialize_thread_groups;
  if (!stopped_before_start) phase(ElementKind::kSetupThreadGroup, serialize);
  bool stopped_by_user = s.rs.stopping();
  if (!stopped_by_user) phase(ElementKind::kThreadGroup, serialize);
  bool run_teardown =
      !stopped_before_start && !s.rs.stop_now.load() && (!s.rs.stopping() || s.plan.root->teardown_on_shutdown);
  if (run_teardown) {
    // tearDown groups run even after a graceful stop (JMeter's "Run tearDown Thread Groups
    // after shutdown of main threads"); the stop flag must not stop them at once.
    bool was_graceful = s.rs.stop_graceful.exchange(false);
    phase(ElementKind::kPostThreadGroup, serialize);
    if (was_graceful) s.rs.stop_graceful = true;
  }

  for (auto& w : s.workers) {
    w->exit = true;
    w->loop.Wake();
  }
  for (auto& w : s.workers) {
    if (w->thread.joinable()) w->thread.join();
    for (LoopWorker::Takeover& t : w->takeovers) t.thread.join();
  }
  s.StopCollector();
  if (s.collector.joinable()) s.collector.join();
  return Status::Ok();
}

void Engine::Stop(bool now) {
  State& s = *state_;
  s.rs.RequestStop(now);
  for (auto& w : s.workers) w->loop.Wake();
}

bool Engine::stopping() const { return state_->rs.stopping(); }

ScriptHost* Engine::script_host() const { return state_->rs.scripts ? state_->rs.scripts->host() : nullptr; }

EngineCounters Engine::counters() const {
  const RunState& rs = state_->rs;
  int64_t samples = 0, errors = 0;
  for (const auto& w : state_->workers) {
    samples += w->samples.load(std::memory_order_relaxed);
    errors += w->errors.load(std::memory_order_relaxed);
  }
  EngineCounters c{samples,           errors,
                   rs.started.load(), rs.finished.load(),
                   rs.aborted.load(), state_->graceful_stop_timed_out.load()};
  c.late_arrivals = rs.late_arrivals.load(std::memory_order_relaxed);
  for (const auto& w : state_->workers) {
    c.peak_user_objects += w->peak_users.load(std::memory_order_relaxed);
    c.freed_users += w->freed_users.load(std::memory_order_relaxed);
  }
  return c;
}

int Engine::active_threads() const { return state_->rs.all_active.load(); }

size_t Engine::pending_timers() const {
  size_t n = 0;
  for (const auto& w : state_->workers) n += w->loop.pending_timers();
  return n;
}

}  // namespace barrage
