// Think-time timers: the delay before a sampler, summed over the timers in its scope, as
// JMeter computes it (JMeterThread.delay / each Timer.delay()).
#ifndef BARRAGE_WORKER_TIMERS_H_
#define BARRAGE_WORKER_TIMERS_H_

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common/functions.h"
#include "common/plan.h"

namespace barrage {

// Run-wide state of the shared Constant Throughput Timer modes (3 and 4). Thread-safe.
class ThroughputSchedule {
 public:
  // Next slot for `key` (a timer node, or a timer node + thread group) at least
  // `interval_ms` after the previous one and not before `now_ms`; returns the delay. When
  // `intended_ms` is given it receives the slot the schedule meant (previous + interval:
  // before `now_ms` when behind; `now_ms` for the key's first slot).
  int64_t NextDelay(const void* key, int64_t now_ms, int64_t interval_ms, int64_t* intended_ms = nullptr);

 private:
  std::mutex mu_;
  std::unordered_map<const void*, int64_t> last_scheduled_ms_;
};

// Per virtual user timer state (Constant Throughput Timer's previous target time).
struct TimerState {
  std::unordered_map<const Node*, int64_t> previous_target_ms;
};

struct ActiveThreadCounts {
  int group_active = 0;
  int all_active = 0;
};

// Delay in ms that one timer adds before a sampler. A Constant Throughput Timer also sets
// `*intended_ms` (when given) to the wall-clock ms its schedule meant the sampler to start
// at: now_ms + the delay when on schedule, the missed target (< now_ms) when behind (JMeter's
// timer then restarts its schedule from now_ms), now_ms for its first call. Other timers
// leave it alone. The VirtualUser turns it into NoteIntendedStart (coordinated omission).
int64_t TimerDelayMs(const Node& timer, ThreadContext& ctx, TimerState& state, ThroughputSchedule& schedule,
                     int64_t now_ms, ActiveThreadCounts counts, const void* group_key, int64_t* intended_ms = nullptr);

}  // namespace barrage

#endif  // BARRAGE_WORKER_TIMERS_H_
