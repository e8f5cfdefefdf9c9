// Static thread-group models (issue 12): when each thread of a jmeter-plugins Ultimate or
// Stepping Thread Group starts and when it must stop, as offsets from the group's start.
// Pure functions of the group's (evaluated) settings: the engine schedules users with them
// (each user gets its own start and end) and `inspect` prints the planned curve.
#ifndef BARRAGE_WORKER_THREAD_SCHEDULES_H_
#define BARRAGE_WORKER_THREAD_SCHEDULES_H_

#include <cstdint>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

// One thread's window, in ms after the thread group started: it starts at start_ms and
// starts no new sample at or after end_ms (JMeterThread's scheduler end).
struct ThreadWindow {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool operator==(const ThreadWindow& o) const { return start_ms == o.start_ms && end_ms == o.end_ms; }
};

// One row of an Ultimate Thread Group's schedule (`ultimatethreadgroupdata`), in seconds.
struct UltimateRow {
  int64_t threads = 0;
  int64_t initial_delay_s = 0;
  int64_t startup_s = 0;
  int64_t hold_s = 0;
  int64_t shutdown_s = 0;
};

// The threads of all rows, in the order the plugin creates them (row by row). Within a row
// of N threads, UltimateThreadGroup.scheduleThread counts down k = N..1: thread k starts at
// delay + floor(startup * k / N) and ends at delay + startup + hold + floor(shutdown * k / N)
// (so the row's first thread starts and stops last).
std::vector<ThreadWindow> UltimateSchedule(const std::vector<UltimateRow>& rows);

// A Stepping Thread Group's settings (SteppingThreadGroup's properties), counts and seconds.
struct SteppingSettings {
  int64_t threads = 0;                  // ThreadGroup.num_threads
  int64_t initial_delay_s = 0;          // "Threads initial delay"
  int64_t start_users_count = 0;        // "Start users count" (0: all)
  int64_t start_users_count_burst = 0;  // "Start users count burst" (0: the start count)
  int64_t start_users_period_s = 0;     // "Start users period"
  int64_t stop_users_count = 0;         // "Stop users count" (0: all)
  int64_t stop_users_period_s = 0;      // "Stop users period"
  int64_t flight_time_s = 0;            // "flighttime" (hold)
  int64_t ramp_up_s = 0;                // "rampUp" (within each step)
};

// Thread i (0-based) as SteppingThreadGroup.scheduleThread computes it, Java integer
// arithmetic included: the burst starts first, then a step of `start_users_count` every
// period + rampUp, spread over rampUp; all hold until the descent point, then
// `stop_users_count` stop every stop period (lowest thread numbers first).
std::vector<ThreadWindow> SteppingSchedule(const SteppingSettings& s);

// Cluster share (`--workers N`): worker `index` of `count` runs windows index, index +
// count, ... (ThreadShare's count of them, as a classic group's threads split), so the
// workers' curves add up to the group's. count 0: all.
std::vector<ThreadWindow> ShareWindows(std::vector<ThreadWindow> windows, uint32_t index, uint32_t count);

// How many threads run at `t_ms` (start <= t < end).
int ActiveAt(const std::vector<ThreadWindow>& windows, int64_t t_ms);
// ActiveAt every `step_ms` from 0 up to the last end (inclusive of the first instant at
// which none runs); empty for no threads.
std::vector<int> ActiveCurve(const std::vector<ThreadWindow>& windows, int64_t step_ms);

// The windows of a compiled Ultimate or Stepping Thread Group, its `${...}` evaluated in
// `ctx`; an error names the element, its line, and the row and column or property whose
// value is not a whole number >= 0.
Result<std::vector<ThreadWindow>> PlannedWindows(const ModelThreadGroup& group, ThreadContext& ctx);

}  // namespace barrage

#endif  // BARRAGE_WORKER_THREAD_SCHEDULES_H_
