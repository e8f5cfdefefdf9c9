// The load engine: runs a compiled plan with N event-loop threads, each owning a libcurl
// multi handle and the virtual users assigned to it (no thread per virtual user).
//
// Lifecycle: construct, Prepare() (loads data files, evaluates User Defined Variables;
// errors name the file/element), Run() (blocks until the test ends: setUp groups, then
// the regular groups, then tearDown groups, as JMeter's StandardJMeterEngine), then read
// the counters. Stop() may be called from any thread, also before Run() (then nothing
// starts). Samples reach the SampleSink in batches from one collector thread; none is
// dropped, not even the sample of a request a stop aborted.
#ifndef BARRAGE_WORKER_ENGINE_H_
#define BARRAGE_WORKER_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/sample.h"
#include "common/status.h"
#include "common/stop_timeout.h"

namespace barrage {

class TargetPolicy;  // worker/target_policy.h

// Receives recorded samples; called from the engine's collector thread only.
class ScriptHost;  // worker/script_host.h

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void OnSamples(std::vector<Sample>& batch) = 0;
  // Called about once a second with the engine's thread counts (for live summaries).
  virtual void OnTick(int active_threads, int started_threads, int finished_threads) {
    (void)active_threads;
    (void)started_threads;
    (void)finished_threads;
  }
};

struct EngineOptions {
  int event_loops = 0;          // 0: one per core
  int64_t max_duration_ms = 0;  // 0: none; else stop gracefully after this long
  // How long a graceful stop (Stop(false), max_duration_ms, a plan's "stop test") waits for
  // the samples in flight before the engine stops now, aborting them (Stop(true)). Requests
  // of a thread group with a scheduler duration are aborted this long after its end too.
  // 0: abort them at once; negative: wait as long as they take.
  int64_t graceful_stop_timeout_ms = kDefaultGracefulStopTimeoutMs;
  int64_t flush_interval_ms = 100;
  // Cluster `--share total`: this engine runs its share (ThreadShare in common/wire.h) of
  // every thread group's threads as worker `share_index` of `share_count`; 0: all threads.
  uint32_t share_index = 0;
  uint32_t share_count = 0;
  // The worker's allowed_targets (worker/target_policy.h); nullptr or an empty list: any
  // target. Prepare() refuses a plan that names a host outside it (worker/target_check.h);
  // hosts known only at run time are checked when their connection opens. Must outlive the
  // engine.
  const TargetPolicy* allowed_targets = nullptr;
  // The worker's caps (worker.toml; 0: none). max_vus: Prepare() refuses a plan whose thread
  // groups start more users at once on this engine (each phase: setUp, main, tearDown), and
  // every dynamic group's concurrency is held under it (arrivals beyond count as late).
  // max_rps: HTTP requests per second of this engine, a ceiling across every thread group
  // (each event loop an equal share; a request waits for its slot).
  int64_t max_vus = 0;
  double max_rps = 0;
};

struct EngineCounters {
  int64_t samples = 0;
  int64_t errors = 0;
  int started_threads = 0;
  int finished_threads = 0;
  int64_t aborted = 0;                   // requests in flight a stop aborted (among `errors`)
  bool graceful_stop_timed_out = false;  // graceful_stop_timeout_ms passed: stopped now
  // Arrivals a dynamic thread group dropped at its ConcurrencyLimit (k6's dropped_iterations).
  int64_t late_arrivals = 0;
  // Virtual-user objects: the most the event loops held at once (each loop's peak, added
  // up), and the dynamic thread groups' ended users freed before the run's end
  // (worker/user_reclaim.h).
  int64_t peak_user_objects = 0;
  int64_t freed_users = 0;
};

// When thread `index` (0-based) of a group starts, after the group (JMeter 2.13's formula:
// (int)(index * ((float)ramp_ms / threads))).
int64_t RampUpOffsetMs(int index, int64_t ramp_ms, int threads);

class Engine {
 public:
  Engine(const Plan& plan, RunContext* run, EngineOptions options, SampleSink* sink);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Status Prepare();
  // Runs the test to its end. Returns an error only for failures of the engine itself.
  Status Run();
  // Graceful: users finish their current sample and stop (bounded by
  // graceful_stop_timeout_ms). Now: requests in flight are aborted and each is recorded as
  // an error sample, as JMeter records an HTTP request its stop interrupted ("Non HTTP
  // response code: java.net.SocketException", "Non HTTP response message: Socket closed");
  // users stop at once.
  void Stop(bool now);
  bool stopping() const;

  EngineCounters counters() const;
  int active_threads() const;
  // The script host the plan's script elements run on (issue 11), from Prepare() on; null
  // when the plan has none (then no JVM was started for it).
  ScriptHost* script_host() const;
  // Timers still queued in the event loops. Call after Run() returned: then they are the
  // ones that never fired (tests check a user's timers do not pile up with its requests).
  size_t pending_timers() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_ENGINE_H_
