// Think-time timers: the delay before a sampler, summed over the timers in its scope, as
// JMeter computes it (JMeterThread.delay / each Timer.delay()).
#ifndef BARRAGE_WORKER_TIMERS_H_
#define BARRAGE_WORKER_TIMERS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/config_elements.h"  // JavaRandom

namespace barrage {

// PoissonRandomTimer.randomPoisson: a Poisson-distributed count with mean `lambda`, drawn
// with `uniform` (doubles in [0, 1)): Knuth's product method up to 30, the rejection method
// JMeter uses above (log n! from lgamma up to 254, Stirling's series beyond, as JMeter).
int64_t PoissonRandom(int64_t lambda, const std::function<double()>& uniform);

// ConstantPoissonProcessGenerator (JMeter 5, Precise Throughput Timer): event times in
// seconds after the test start. Each `duration` seconds get ceil(rate * duration) events
// (rate = throughput per second / batch size), uniform in that window and sorted; a batch
// repeats each event batch_size times; a rate change starts a new window at once.
class PoissonEventGenerator {
 public:
  // seed 0: an unseeded generator (JMeter's new Random()).
  explicit PoissonEventGenerator(int64_t seed);
  // The next event's time; nullopt when the rate gives no event (JMeter's buffer underflow).
  std::optional<double> Next(double throughput_per_s, int64_t duration_s, int64_t batch_size);

 private:
  void Generate(double throughput_per_s, int64_t duration_s, int64_t batch_size);
  JavaRandom rnd_;
  std::vector<double> events_;
  size_t next_ = 0;
  int64_t batch_index_ = 0;
  double last_throughput_ = 0;
  double window_end_ = 0;
};

// One `load_profile` row of a Throughput Shaping Timer.
struct ShapingRow {
  double start_rps = 0;
  double end_rps = 0;
  int64_t duration_s = 0;
};

// VariableThroughputTimer.getRPSForSecond: the rate `elapsed_s` seconds into the profile,
// linear within a row, a row's last second included in it (so the profile runs one second
// past the rows' total); -1 past the end.
double ShapingRate(const std::vector<ShapingRow>& rows, double elapsed_s);

// One Throughput Shaping Timer's run-wide schedule (the plugin's single NoThreadClone
// instance). The plugin lets the n-th sample of each wall-clock second (epoch-aligned,
// counted from the second of the first call) go once n * 1000 / rps ms of that second have
// passed, the rate taken for the second when it begins; threads over the budget wait for a
// later one. Here each call reserves the next such slot, so the users' samples follow the
// profile without waking to re-check. Each second it begins, it publishes the plugin's
// properties <name>_rps, _cntSent (the last second's), _cntDelayed (users waiting for a
// slot) and _totalDuration, which __tstFeedback reads. Thread-safe.
class ShapingSchedule {
 public:
  struct Slot {
    int64_t at_ms = 0;           // the slot (WallMillis clock), >= the call's now
    bool profile_ended = false;  // past the last row: the user stops (the plugin stops its group)
  };
  // `share`: this engine's part of the rate (cluster share); `props`: where the properties
  // go (null: none).
  ShapingSchedule(std::vector<ShapingRow> rows, double share, std::string name, Properties* props);
  Slot Reserve(int64_t now_ms);

 private:
  void BeginSecond(int64_t second_ms);
  std::mutex mu_;
  const std::vector<ShapingRow> rows_;
  const double share_;
  const std::string name_;
  Properties* const props_;
  int64_t total_duration_s_ = 0;
  int64_t start_ms_ = -1;          // the profile's second 0
  int64_t second_ms_ = INT64_MIN;  // the second whose slots are being given out
  double rps_ = 0;                 // its rate
  int64_t sent_ = 0;               // slots given in it
  bool ended_ = false;
  std::deque<int64_t> pending_;  // slots given and not yet reached
};

// Run-wide state of the shared Constant Throughput Timer modes (3 and 4) and of the
// Precise Throughput Timers (one event generator per thread group). Thread-safe.
class ThroughputSchedule {
 public:
  // Next slot for `key` (a timer node, or a timer node + thread group) at least
  // `interval_ms` after the previous one and not before `now_ms`; returns the delay. When
  // `intended_ms` is given it receives the slot the schedule meant (previous + interval:
  // before `now_ms` when behind; `now_ms` for the key's first slot).
  int64_t NextDelay(const void* key, int64_t now_ms, int64_t interval_ms, int64_t* intended_ms = nullptr);
  // The next Precise Throughput Timer event of `group_key`'s generator (created with the
  // first caller's seed: JMeter keeps one per thread group), in seconds after test_start_ms.
  std::optional<double> NextPreciseEvent(const void* group_key, int64_t seed, double throughput_per_s,
                                         int64_t duration_s, int64_t batch_size);
  // The schedule of a Throughput Shaping Timer, made at its first use (rows evaluated in
  // `ctx`); null with an error in `error` when a row's value is not a number.
  ShapingSchedule* Shaping(const ThroughputShapingTimer& timer, ThreadContext& ctx, std::string* error);
  // This engine's share of the shaping timers' rates (cluster `--workers`: 1 / count).
  void set_rate_share(double share) { rate_share_ = share; }
  // When the test started (WallMillis), set by the engine before any user runs.
  void set_test_start_ms(int64_t ms) { test_start_ms_ = ms; }
  int64_t test_start_ms() const { return test_start_ms_; }

 private:
  std::mutex mu_;
  std::unordered_map<const void*, int64_t> last_scheduled_ms_;
  std::unordered_map<const void*, std::unique_ptr<PoissonEventGenerator>> precise_;
  std::unordered_map<const Node*, std::unique_ptr<ShapingSchedule>> shaping_;
  double rate_share_ = 1.0;
  int64_t test_start_ms_ = 0;
};

// Per virtual user timer state (Constant Throughput Timer's previous target time).
struct TimerState {
  std::unordered_map<const Node*, int64_t> previous_target_ms;
  // Set by a timer that scheduled the sample (a throughput timer's slot): the slot's
  // intended start (WallMicros clock) for VirtualUser::NoteIntendedStart; -1: none.
  int64_t intended_wall_us = -1;
};

struct ActiveThreadCounts {
  int group_active = 0;
  int all_active = 0;
};

// Delay in ms that one timer adds before a sampler. `thread_end_ms`: the user's scheduled
// end (WallMillis, 0: none); a Precise Throughput Timer whose slot falls after it stops the
// user (ctx.stop_thread), as JMeter's throws JMeterStopThreadException. A Constant Throughput
// Timer also sets `*intended_ms` (when given) to the wall-clock ms its schedule meant the
// sampler to start at: now_ms + the delay when on schedule, the missed target (< now_ms) when
// behind (JMeter's timer then restarts its schedule from now_ms), now_ms for its first call.
// The rate timers (Precise Throughput, Throughput Shaping) set state.intended_wall_us instead.
// The VirtualUser turns both into NoteIntendedStart (coordinated omission).
int64_t TimerDelayMs(const Node& timer, ThreadContext& ctx, TimerState& state, ThroughputSchedule& schedule,
                     int64_t now_ms, ActiveThreadCounts counts, const void* group_key, int64_t thread_end_ms = 0,
                     int64_t* intended_ms = nullptr);

}  // namespace barrage

#endif  // BARRAGE_WORKER_TIMERS_H_
