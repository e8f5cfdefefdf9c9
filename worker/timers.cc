#include "worker/timers.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <spdlog/spdlog.h>

#include "common/java_lang.h"

namespace barrage {

namespace {

// log(n!) as PoissonRandomTimer.logFactorial: its table (log n! to 15 digits) up to 254,
// Stirling's series above.
double LogFactorial(int64_t n) {
  if (n > 254) {
    const double x = static_cast<double>(n) + 1.0;
    return (x - 0.5) * std::log(x) - x + 0.5 * std::log(2 * M_PI) + 1.0 / (12.0 * x);
  }
  return std::lgamma(static_cast<double>(n) + 1.0);
}

}  // namespace

int64_t PoissonRandom(int64_t lambda, const std::function<double()>& uniform) {
  if (lambda <= 30) {
    const double limit = std::exp(-static_cast<double>(lambda));
    int64_t k = 0;
    double p = 1;
    do {
      ++k;
      p *= uniform();
    } while (p > limit);
    return k - 1;
  }
  // John D. Cook's rejection method (PoissonRandomTimer.poissonRandomNumberSup30).
  const double l = static_cast<double>(lambda);
  const double c = 0.767 - 3.36 / l;
  const double beta = M_PI / std::sqrt(3.0 * l);
  const double alpha = beta * l;
  const double k = std::log(c) - l - std::log(beta);
  while (true) {
    const double u = uniform();
    const double x = (alpha - std::log((1.0 - u) / u)) / beta;
    const int64_t n = static_cast<int64_t>(std::floor(x + 0.5));
    if (n < 0) continue;
    const double v = uniform();
    const double y = alpha - beta * x;
    const double lhs = y + std::log(v / std::pow(1.0 + std::exp(y), 2));
    const double rhs = k + static_cast<double>(n) * std::log(l) - LogFactorial(n);
    if (lhs <= rhs) return n;
  }
}

PoissonEventGenerator::PoissonEventGenerator(int64_t seed)
    : rnd_(seed != 0 ? seed : static_cast<int64_t>(std::random_device{}()) << 32 ^ std::random_device{}()) {}

void PoissonEventGenerator::Generate(double throughput_per_s, int64_t duration_s, int64_t batch_size) {
  last_throughput_ = throughput_per_s;
  double rate = throughput_per_s;
  if (batch_size > 1) rate /= static_cast<double>(batch_size);
  batch_index_ = 0;
  const int64_t samples = static_cast<int64_t>(std::ceil(rate * static_cast<double>(duration_s)));
  events_.clear();
  next_ = 0;
  for (int64_t i = 0; i < samples; ++i) {
    events_.push_back(window_end_ + rnd_.NextDouble() * static_cast<double>(duration_s));
  }
  std::sort(events_.begin(), events_.end());
  window_end_ += static_cast<double>(duration_s);
}

std::optional<double> PoissonEventGenerator::Next(double throughput_per_s, int64_t duration_s, int64_t batch_size) {
  // ConstantPoissonProcessGenerator.next: a new window when this one is used up (between
  // batches) or when the rate changed by 1e-5 or more.
  constexpr double kPrecision = 0.00001;
  if ((batch_index_ == 0 && next_ == events_.size()) || std::abs(throughput_per_s - last_throughput_) >= kPrecision) {
    Generate(throughput_per_s, duration_s, batch_size);
  }
  if (batch_size <= 1) {
    if (next_ == events_.size()) return std::nullopt;
    return events_[next_++];
  }
  ++batch_index_;
  if (batch_index_ == 1) {  // the batch's first item takes the next event
    if (next_ == events_.size()) {
      batch_index_ = 0;
      return std::nullopt;
    }
    return events_[next_++];
  }
  if (batch_index_ == batch_size) batch_index_ = 0;
  return events_[next_ - 1];  // the others repeat it
}

double ShapingRate(const std::vector<ShapingRow>& rows, double elapsed_s) {
  double sec = elapsed_s;
  for (const ShapingRow& r : rows) {
    const double duration = static_cast<double>(r.duration_s);
    if (sec - duration <= 0) return r.start_rps + sec * (r.end_rps - r.start_rps) / duration;
    sec -= duration;
  }
  return -1;
}

ShapingSchedule::ShapingSchedule(std::vector<ShapingRow> rows, double share, std::string name, Properties* props)
    : rows_(std::move(rows)), share_(share), name_(std::move(name)), props_(props) {
  for (const ShapingRow& r : rows_) total_duration_s_ += r.duration_s;
}

void ShapingSchedule::BeginSecond(int64_t second_ms) {
  // VariableThroughputTimer.checkNextSecond.
  if (start_ms_ < 0) start_ms_ = second_ms;
  double rate = ShapingRate(rows_, static_cast<double>(second_ms - start_ms_) / 1000.0);
  if (rate < 0) {
    ended_ = true;
  } else {
    rps_ = rate * share_;
  }
  if (props_) {
    props_->Set(name_ + "_totalDuration", std::to_string(total_duration_s_));
    props_->Set(name_ + "_cntDelayed", std::to_string(pending_.size()));
    props_->Set(name_ + "_cntSent", std::to_string(sent_));
    props_->Set(name_ + "_rps", JavaDoubleToString(ended_ ? (rps_ > 0 ? rps_ : 1) : rps_));
  }
  second_ms_ = second_ms;
  sent_ = 0;
}

ShapingSchedule::Slot ShapingSchedule::Reserve(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!pending_.empty() && pending_.front() <= now_ms) pending_.pop_front();
  const int64_t now_second = now_ms - (now_ms % 1000 + 1000) % 1000;
  if (second_ms_ < now_second) BeginSecond(now_second);
  while (!ended_) {
    // The n-th sample of the second may go n * 1000 / rps ms into it (the plugin compares
    // whole ms, so its slot is the next whole ms); the first always may, even at rate 0.
    const double offset = sent_ == 0 ? 0.0 : static_cast<double>(sent_) * 1000.0 / rps_;
    if (offset < 1000.0) {
      const int64_t at = std::max(now_ms, second_ms_ + static_cast<int64_t>(std::ceil(offset)));
      ++sent_;
      if (at > now_ms) pending_.push_back(at);
      return {at, false};
    }
    BeginSecond(second_ms_ + 1000);  // this second's budget is spent: the next one's
  }
  return {now_ms, true};
}

ShapingSchedule* ThroughputSchedule::Shaping(const ThroughputShapingTimer& timer, ThreadContext& ctx,
                                             std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<ShapingSchedule>& s = shaping_[&timer];
  if (s) return s.get();
  std::vector<ShapingRow> rows;
  for (size_t i = 0; i < timer.rows.size(); ++i) {
    const ThroughputShapingTimer::Row& r = timer.rows[i];
    const std::string texts[3] = {Evaluate(r.start_rps, ctx), Evaluate(r.end_rps, ctx), Evaluate(r.duration_s, ctx)};
    std::optional<double> from = ParseDouble(texts[0]), to = ParseDouble(texts[1]);
    std::optional<int64_t> duration = ParseInt64(texts[2]);
    if (!from || !to || !duration || *from < 0 || *to < 0 || *duration < 0) {
      *error = "Throughput Shaping Timer '" + timer.name + "' (line " + std::to_string(r.line) + "): row " +
               std::to_string(i + 1) + " ('" + texts[0] + "', '" + texts[1] + "', '" + texts[2] +
               "') is not start RPS, end RPS >= 0 and whole seconds >= 0";
      shaping_.erase(&timer);
      return nullptr;
    }
    rows.push_back({*from, *to, *duration});
  }
  s = std::make_unique<ShapingSchedule>(std::move(rows), rate_share_, timer.name,
                                        ctx.run ? &ctx.run->properties : nullptr);
  return s.get();
}

std::optional<double> ThroughputSchedule::NextPreciseEvent(const void* group_key, int64_t seed, double throughput_per_s,
                                                           int64_t duration_s, int64_t batch_size) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<PoissonEventGenerator>& g = precise_[group_key];
  if (!g) g = std::make_unique<PoissonEventGenerator>(seed);
  return g->Next(throughput_per_s, duration_s, batch_size);
}

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
int64_t EvalLong(const Value& v, ThreadContext& ctx, int64_t def) { return ParseInt64(Evaluate(v, ctx)).value_or(def); }

}  // namespace

int64_t TimerDelayMs(const Node& timer, ThreadContext& ctx, TimerState& state, ThroughputSchedule& schedule,
                     int64_t now_ms, ActiveThreadCounts counts, const void* group_key, int64_t thread_end_ms,
                     int64_t* intended_ms) {
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
    case ElementKind::kPoissonRandomTimer: {
      // PoissonRandomTimer.delay: |poisson(round(range)) + the constant delay (a long)|.
      const Timer& t = timer.As<Timer>();
      const int64_t lambda = std::llround(EvalDouble(t.range_ms, ctx));
      const int64_t delay = static_cast<int64_t>(EvalDouble(t.delay_ms, ctx));
      std::uniform_real_distribution<double> u(0.0, 1.0);
      return std::abs(PoissonRandom(lambda, [&] { return u(ctx.rng); }) + delay);
    }
    case ElementKind::kPreciseThroughputTimer: {
      // PreciseThroughputTimer.delay: the group's next event, from the test's start.
      const PreciseThroughputTimer& t = timer.As<PreciseThroughputTimer>();
      const int64_t period = EvalLong(t.throughput_period, ctx, 0);
      const int64_t duration = EvalLong(t.duration, ctx, 0);
      std::optional<double> event =
          period > 0 && duration > 0
              ? schedule.NextPreciseEvent(group_key, EvalLong(t.random_seed, ctx, 0),
                                          EvalDouble(t.throughput, ctx) / static_cast<double>(period), duration,
                                          std::max<int64_t>(1, EvalLong(t.batch_size, ctx, 1)))
              : std::nullopt;
      if (!event) {
        // JMeter's generator underflows (no event at this rate): the thread ends on the error.
        spdlog::error("{}: Precise Throughput Timer '{}': no event at throughput {} per {} s over {} s; the user stops",
                      ctx.thread_name, timer.name, Evaluate(t.throughput, ctx), period, duration);
        ctx.stop_thread = true;
        return 0;
      }
      const int64_t start_ms = schedule.test_start_ms();
      state.intended_wall_us = static_cast<int64_t>(*event * 1e6) + start_ms * 1000;
      const int64_t delay = std::max<int64_t>(
          0, static_cast<int64_t>(*event * 1000 + static_cast<double>(start_ms) - static_cast<double>(now_ms)));
      if (thread_end_ms > 0 && now_ms + delay > thread_end_ms) {
        ctx.stop_thread = true;  // JMeterStopThreadException: the slot is after the thread's end
        state.intended_wall_us = -1;
        return 0;
      }
      return delay;
    }
    case ElementKind::kThroughputShapingTimer: {
      std::string error;
      ShapingSchedule* s = schedule.Shaping(timer.As<ThroughputShapingTimer>(), ctx, &error);
      if (!s) {
        spdlog::error("{}: {}; the user stops", ctx.thread_name, error);
        ctx.stop_thread = true;
        return 0;
      }
      ShapingSchedule::Slot slot = s->Reserve(now_ms);
      if (slot.profile_ended) {
        // VariableThroughputTimer.stopTest: past the profile the plugin stops the thread
        // group; here each user that reaches the timer stops.
        ctx.stop_thread = true;
        return 0;
      }
      state.intended_wall_us = slot.at_ms * 1000;
      return slot.at_ms - now_ms;
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
