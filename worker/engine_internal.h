// Internals shared by the engine, its event-loop workers and virtual users. Not part of the
// engine's public interface (engine.h).
#ifndef BARRAGE_WORKER_ENGINE_INTERNAL_H_
#define BARRAGE_WORKER_ENGINE_INTERNAL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/sample.h"
#include "worker/client_keystore.h"
#include "worker/config_elements.h"
#include "worker/controllers.h"
#include "worker/cookie_settings.h"
#include "worker/csv_data.h"
#include "worker/dns_resolver.h"
#include "worker/event_loop.h"
#include "worker/fifo_queues.h"
#include "worker/host_cache.h"
#include "worker/http_request.h"
#include "worker/http_transfer.h"
#include "worker/named_locks.h"
#include "worker/sample_result.h"
#include "worker/script_functions.h"
#include "worker/script_registry.h"
#include "worker/script_runtime.h"
#include "worker/sync_barrier.h"
#include "worker/target_policy.h"
#include "worker/thread_schedules.h"
#include "worker/timers.h"

namespace barrage {

class VirtualUser;

// A dynamic thread group's part on one event loop (worker/arrival_groups.h): it creates,
// reuses and ends the group's users of that loop. Loop thread only.
class LoopGroupDriver {
 public:
  // What a user does when its iteration of the thread group ended.
  enum class AfterIteration { kContinue, kPark, kFinish };
  virtual ~LoopGroupDriver() = default;
  virtual void Start() = 0;   // handed over to its loop
  virtual void OnStop() = 0;  // a stop request: no more users
  virtual AfterIteration OnIterationEnd(VirtualUser* user) = 0;
  // The user finished (from VirtualUser::Finish); `parked`: it waited in the idle pool.
  virtual void OnUserFinished(VirtualUser* user, bool parked) = 0;
};

// A dynamic thread group's shared part; EngineTick runs on the engine's thread while the
// group runs (about every 5 ms).
class DynamicGroup {
 public:
  virtual ~DynamicGroup() = default;
  virtual void EngineTick(int64_t now_us) = 0;
};

// Run-wide state every virtual user reads; everything mutable here is atomic or locked.
struct RunState {
  const Plan* plan = nullptr;
  RunContext* run = nullptr;
  std::atomic<bool> stop_graceful{false};
  std::atomic<bool> stop_now{false};
  std::atomic<int> all_active{0};
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<int64_t> aborted{0};        // requests in flight a stop-now aborted
  std::atomic<int64_t> late_arrivals{0};  // arrivals dropped at a ConcurrencyLimit (issue 12)
  int64_t graceful_stop_timeout_ms = -1;  // EngineOptions'; also bounds scheduled groups' ends
  // The worker's caps (EngineOptions max_vus, max_rps; 0: none): every dynamic group's
  // concurrency, and the interval between two HTTP requests of one event loop (each loop
  // takes an equal share of max_rps).
  int64_t max_vus = 0;
  int64_t request_interval_us = 0;
  ThroughputSchedule throughput;
  Variables initial_vars;                     // User Defined Variables, evaluated once at start
  bool any_url_rewriting = false;             // users keep their previous response body
  bool any_link_parser = false;               // the same for HTML Link Parsers (issue 10)
  std::unique_ptr<CsvRegistry> csv;           // CSV Data Sets
  std::unique_ptr<CounterRegistry> counters;  // Counters
  std::unique_ptr<RandomVariableRegistry> randoms;
  SharedThroughputCounters throughput_controllers;  // Throughput Controllers not per user
  NamedLocks locks;                                 // Critical Section Controllers
  FifoQueues fifos;                                 // jp@gc Fifo Put/Pop (issue 10)
  SyncBarriers barriers;                            // Synchronizing Timers (issue 10)
  std::unique_ptr<ClientKeystore> keystore;         // javax.net.ssl.keyStore; null = none
  std::unique_ptr<ConnectToRoutes> connect_to;      // --connect-to; nullptr: none
  const TargetPolicy* allowed_targets = nullptr;    // the worker's (EngineOptions); nullptr: any
  Http2Mode http2 = Http2Mode::kOff;                // barrage.http2 properties (worker/http2_mode.h)
  // barrage.cookies.fastpath (default true: users with cookies keep them in a CookieJar,
  // worker/cookie_jar.h, and may take the HTTP/1.1 fast path) and JMeter's CookieManager.*
  // properties (COOKIE_ variables).
  CookieSettings cookie_settings;
  std::unique_ptr<ScriptRegistry> scripts;  // script elements (issue 11); null: none, no JVM
  // Script functions on the script host (RunContext::scripts); null: none.
  std::unique_ptr<ScriptFunctionRunner> script_functions;

  std::atomic<int> stop_epoch{0};  // bumped by every stop request; loops apply each once

  // The engine's thread waits on this for groups to end; a loop thread notifies it when a
  // group's last user finishes (so a run's end never waits for a polling period).
  std::mutex group_end_mu;
  std::condition_variable group_end;
  void NotifyGroupEnded() {
    std::lock_guard<std::mutex> lock(group_end_mu);
    group_end.notify_all();
  }

  bool stopping() const {
    return stop_graceful.load(std::memory_order_relaxed) || stop_now.load(std::memory_order_relaxed);
  }
  void RequestStop(bool now) {
    (now ? stop_now : stop_graceful).store(true);
    stop_epoch.fetch_add(1);
  }
};

// One thread group during the run.
struct GroupRuntime {
  const ThreadGroup* group = nullptr;
  int index = 0;  // unique per run (group_number repeats across phases)
  // A Cookie Manager is in the scope of the group's samplers (in the group's tree or under
  // the Test Plan): its users keep and send cookies; others handle none (JMeter's scoping).
  bool cookies = false;
  std::atomic<int> active{0};
  std::atomic<int> remaining{0};  // users created and not yet finished
  int num_threads = 0;
  int64_t ramp_ms = 0;
  int64_t delay_ms = 0;
  int64_t duration_ms = 0;                // 0: no scheduler end
  int64_t start_wall_ms = 0;              // when the group's phase started
  int64_t end_wall_ms = 0;                // 0: none
  std::unique_ptr<DynamicGroup> dynamic;  // a dynamic thread group's schedule (arrival_groups.h)
  // Ultimate and Stepping Thread Groups (issue 12): this engine's users' own start and end,
  // after the group's start (num_threads of them); empty for other groups.
  std::vector<ThreadWindow> windows;
};

struct PendingUser {
  std::unique_ptr<VirtualUser> user;
  int64_t start_at_us = 0;
  int64_t end_wall_ms = 0;  // the user's own scheduled end (ThreadWindow); 0: its group's
};

// One event-loop thread with the virtual users it owns and its sample buffer. Samples are
// collected without a lock in `local` and handed to the collector once per loop pass
// (Publish); the counters have one writer, the loop thread, so counting takes no locked
// instruction and no cache line moves between loops.
struct LoopWorker {
  EventLoop loop;
  int64_t next_request_us = 0;  // RunState::request_interval_us: this loop's next free slot
  std::mutex mu;
  std::vector<PendingUser> pending;      // guarded by mu: handed over by the engine
  std::atomic<bool> has_pending{false};  // set with `pending`, so the loop skips the lock
  std::vector<VirtualUser*> granted;     // guarded by mu: users whose wait on others ended
                                         // (a lock, a Fifo value, a barrier)
  std::atomic<bool> has_granted{false};  // set with `granted`
  std::vector<Sample> buffer;            // guarded by mu: drained by the collector
  std::vector<int64_t> buffer_end_us;    // guarded by mu: when each buffered sample was
                                         // recorded (wall µs), to merge loops in order
  // Host names the fast path resolved on this loop (declared before `users`, which point at
  // it, so destroyed after them). Loop thread only.
  HostCache hosts{&loop};
  std::vector<std::unique_ptr<VirtualUser>> users;  // the loop thread's own
  // Dynamic thread groups' users that finished, still in `users` until ReclaimEndedUsers
  // (worker/user_reclaim.h) frees them. Loop thread only.
  std::vector<VirtualUser*> ended;
  int index = 0;  // 0-based, among the run's loops
  // Dynamic thread groups' drivers: handed over by the engine (guarded by mu, with
  // has_pending), then the loop thread's own.
  std::vector<std::unique_ptr<LoopGroupDriver>> pending_drivers;
  std::vector<std::unique_ptr<LoopGroupDriver>> drivers;
  // DNS Cache Managers with custom servers: one resolver each on this loop (declared after
  // `users`, so destroyed before them). Loop thread only.
  std::unordered_map<const DnsCacheManager*, std::unique_ptr<DnsResolver>> resolvers;
  std::atomic<bool> exit{false};
  int applied_stop_epoch = 0;  // loop thread only
  std::thread thread;
  HttpRequest request;  // loop thread only: the request being built and
  SampleResult result;  // the result being completed (buffers reused)

  // Quick scripts (CompiledScript::quick) whose users wait in kScripting: the loop's thread
  // runs them after each poll (Engine::State::RunQuickScripts), from quick_next on. Loop
  // thread only.
  std::vector<VirtualUser*> quick_scripts;
  size_t quick_next = 0;
  // The quick call running on the loop's thread: (its MonotonicMicros start << 1) | 1, or 0.
  // "Loop thread" is whichever thread runs the loop now: the engine takes the loop from a
  // thread whose quick call outlasts kQuickCallTakeoverUs by swapping this to 0 and starting
  // a new thread on the loop (takeovers); the old thread, finding its value gone when the
  // call returns, hands the user back to the loop and leaves it. That swap orders everything
  // the old thread did before the call before everything the new one does.
  std::atomic<uint64_t> quick_call{0};
  // The threads the engine started on this loop, each flagging its end so that the engine
  // joins it then (or at the run's end). The engine's thread only.
  struct Takeover {
    std::thread thread;
    std::atomic<bool> ended{false};
  };
  std::list<Takeover> takeovers;

  // Written by the loop thread only, read by the engine (Engine::counters).
  alignas(64) std::atomic<int64_t> samples{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> peak_users{0};   // the most `users` held at once
  std::atomic<int64_t> freed_users{0};  // ended users freed before the run's end

  // Loop thread only: after adding to `users`.
  void NoteUsers() {
    const auto n = static_cast<int64_t>(users.size());
    if (n > peak_users.load(std::memory_order_relaxed)) peak_users.store(n, std::memory_order_relaxed);
  }

  // Loop thread only.
  void Emit(Sample&& s, int64_t recorded_wall_us) {
    Count(samples);
    if (!s.success) Count(errors);
    local_.push_back(std::move(s));
    local_end_us_.push_back(recorded_wall_us);
  }
  // Loop thread only: hands what Emit collected to the collector.
  void Publish() {
    if (local_.empty()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      buffer.insert(buffer.end(), std::make_move_iterator(local_.begin()), std::make_move_iterator(local_.end()));
      buffer_end_us.insert(buffer_end_us.end(), local_end_us_.begin(), local_end_us_.end());
    }
    local_.clear();
    local_end_us_.clear();
  }

 private:
  static void Count(std::atomic<int64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  std::vector<Sample> local_;
  std::vector<int64_t> local_end_us_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_ENGINE_INTERNAL_H_
