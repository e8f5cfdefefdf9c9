// Dynamic thread groups (issue 12): the bzm plugins' Concurrency, Arrivals and Free-Form
// Arrivals Thread Groups (com.blazemeter.jmeter.threads.*) on the event loops.
//
// The schedules are pure functions of the time since the group started (and, for arrivals,
// of the number of arrivals so far), as the plugins' thread starters compute them:
//   PlannedConcurrency  ConcurrencyThreadStarter.getPlannedConcurrency
//   ArrivalsRate        ArrivalsThreadStarter.getCurrentRate
//   FreeFormRate        FreeFormArrivalsThreadStarter.getCurrentRate
//   ArrivalClock        ArrivalsThreadStarter.needMoreArrivals / tickRollingTime
//
// At run time the group has one driver per event loop (a LoopGroupDriver with one timer),
// never a thread per user:
// - Concurrency: each loop keeps its share (ThreadShare) of the planned concurrency, starting
//   users as needed; a user ends after Iterations iterations, when the group's schedule ended
//   (after its current iteration) or when the loop has more users than its share of
//   TargetLevel (the plugin's tooMuchConcurrency). TargetLevel is evaluated again every second
//   on the engine's thread (it may call __tstFeedback).
// - Arrivals / Free-Form: arrival k goes round-robin to worker k % workers, then loop; each
//   runs one iteration on an idle user of that loop's pool, or on a new user while the
//   group's busy users are under ConcurrencyLimit; otherwise the arrival is dropped, as the
//   plugin does, and counted (RunState::late_arrivals). The user's sample records how late it
//   started (VirtualUser::NoteIntendedStart). A user ends after Iterations arrivals.
// - Open Model (JMeter 5.5): the arrivals of common/open_model_schedule.h, dealt the same
//   way; each is a new user running one iteration, without limit; users stop at the
//   schedule's end (the group's scheduled end), and the group lasts till then.
// Users that ended are freed by their loop in batches while the run goes on
// (worker/user_reclaim.h): memory follows the users alive at once, not the arrivals.
#ifndef BARRAGE_WORKER_ARRIVAL_GROUPS_H_
#define BARRAGE_WORKER_ARRIVAL_GROUPS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/plan.h"
#include "worker/engine_internal.h"

namespace barrage {

// A ramp-hold shape after the plugin's unit factor: ramp_up_s and hold_s are whole seconds
// (getRampUpSeconds / getHoldSeconds round), `target` is users (Concurrency) or arrivals per
// second (Arrivals: TargetLevel / unit factor).
struct DynamicShape {
  double target = 0;
  int64_t ramp_up_s = 0;
  int64_t hold_s = 0;
  int64_t steps = 0;
};

// Users wanted `offset_s` seconds after the start; -1 once ramp-up + hold passed.
int64_t PlannedConcurrency(const DynamicShape& shape, double offset_s);
// Arrivals per second at `offset_s` after `scheduled` arrivals; -1 once ramp-up + hold passed.
// A linear ramp (no steps) gives 0 before the first arrival, as the plugin's formula does.
double ArrivalsRate(const DynamicShape& shape, double offset_s, int64_t scheduled);

// One Free-Form schedule row after the unit factor: the rate (per second) goes from `start`
// to `end` over `duration_s` seconds.
struct FreeFormRow {
  double start = 0;
  double end = 0;
  double duration_s = 0;
};
// The rate at `offset_s`; -1 past the last row. Rows start at the whole second the previous
// ones add up to (the plugin adds them up in an int).
double FreeFormRate(const std::vector<FreeFormRow>& rows, double offset_s);

// The arrival times a rate function gives, from the group's start: the plugin's rolling time.
// A zero rate moves it 200 ms on; a negative one ends the schedule.
class ArrivalClock {
 public:
  using RateFn = std::function<double(double offset_s, int64_t scheduled)>;
  explicit ArrivalClock(RateFn rate) : rate_(std::move(rate)) {}
  // The next arrival's offset from the start in ms; nullopt once the schedule ended.
  std::optional<double> Next();
  int64_t scheduled() const { return scheduled_; }

 private:
  RateFn rate_;
  double rolling_ms_ = 0;
  int64_t scheduled_ = 0;
  bool ended_ = false;
};

inline bool IsDynamicThreadGroup(ElementKind kind) {
  return kind == ElementKind::kConcurrencyThreadGroup || kind == ElementKind::kArrivalsThreadGroup ||
         kind == ElementKind::kFreeFormArrivalsThreadGroup || kind == ElementKind::kOpenModelThreadGroup;
}

// Where this engine stands in a cluster's share (EngineOptions share_index/share_count;
// count 0 or 1: alone).
struct ShareSlot {
  uint32_t index = 0;
  uint32_t count = 0;
};

// Before the run: a dynamic group's values evaluated with the run's first variables must be
// valid (an Open Model schedule must parse); the error names the element, line and property.
Status CheckDynamicGroup(const ThreadGroup& group, ThreadContext& ctx);

// Starts the dynamic group `g` (its group is a DynamicThreadGroup) now: evaluates its
// properties, sets g->dynamic and g->remaining, and hands one driver to every loop.
void StartDynamicGroup(RunState* rs, GroupRuntime* g, const std::vector<std::unique_ptr<LoopWorker>>& workers,
                       ShareSlot share, int64_t start_us, int64_t start_wall_ms);

}  // namespace barrage

#endif  // BARRAGE_WORKER_ARRIVAL_GROUPS_H_
