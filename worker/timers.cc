#include "worker/timers.h"

#include <cmath>
#include <random>

namespace barrage {

int64_t ThroughputSchedule::NextDelay(const void* key, int64_t now_ms, int64_t interval_ms, int64_t* intended_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& last = last_scheduled_ms_[key];
  int64_t next = last + interval_ms;
  if (intended_ms) *intended_ms = last == 0 ? now_ms : next;
  last = next > now_ms ? next : now_ms;
  int64_t delay = last - now_ms;
  return delay > 0 ? delay : 0;
}

namespace {

double EvalDouble(const Value& v, ThreadContext& ctx) { return ParseDouble(Evaluate(v, ctx)).value_or(0.0); }

}  // namespace

int64_t TimerDelayMs(const Node& timer, ThreadContext& ctx, TimerState& state, ThroughputSchedule& schedule,
                     int64_t now_ms, ActiveThreadCounts counts, const void* group_key, int64_t* intended_ms) {
  switch (timer.kind) {
    case ElementKind::kConstantTimer: return static_cast<int64_t>(EvalDouble(timer.As<Timer>().delay_ms, ctx));
    case ElementKind::kUniformRandomTimer: {
      const Timer& t = timer.As<Timer>();
      double range = EvalDouble(t.range_ms, ctx);
      double delay = EvalDouble(t.delay_ms, ctx);
      std::uniform_real_distribution<double> u(0.0, 1.0);
      return static_cast<int64_t>(std::abs(u(ctx.rng) * range) + delay);
    }
    case ElementKind::kGaussianRandomTimer: {
      const Timer& t = timer.As<Timer>();
      double range = EvalDouble(t.range_ms, ctx);
      double delay = EvalDouble(t.delay_ms, ctx);
      std::normal_distribution<double> g(0.0, 1.0);
      return static_cast<int64_t>(std::abs(g(ctx.rng) * range + delay));
    }
    case ElementKind::kConstantThroughputTimer: {
      const ConstantThroughputTimer& t = timer.As<ConstantThroughputTimer>();
      double per_minute = EvalDouble(t.throughput_per_minute, ctx);
      if (per_minute <= 0) return 0;
      double ms_per_request = 60000.0 / per_minute;
      if (t.calc_mode == 3) {
        return schedule.NextDelay(&timer, now_ms, std::llround(ms_per_request), intended_ms);
      }
      if (t.calc_mode == 4) {
        // One schedule per (timer, thread group): combine the two addresses into a key.
        const void* key = reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(&timer) ^
                                                        (reinterpret_cast<uintptr_t>(group_key) << 1));
        return schedule.NextDelay(key, now_ms, std::llround(ms_per_request), intended_ms);
      }
      int64_t interval = std::llround(ms_per_request);
      if (t.calc_mode == 1) interval = std::llround(counts.all_active * ms_per_request);
      if (t.calc_mode == 2) interval = std::llround(counts.group_active * ms_per_request);
      int64_t& previous = state.previous_target_ms[&timer];
      int64_t target = previous + interval;
      // The first call has no schedule yet (previous 0): the sampler is on time.
      if (intended_ms) *intended_ms = previous == 0 ? now_ms : target;
      if (now_ms > target) {  // behind schedule: run now and measure from here
        previous = now_ms;
        return 0;
      }
      previous = target;
      return target - now_ms;
    }
    default: return 0;
  }
}

}  // namespace barrage
