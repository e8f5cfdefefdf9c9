#include "worker/thread_schedules.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace barrage {

// kg.apc.jmeter.threads.UltimateThreadGroup.scheduleThread (jmeter-plugins casutg): the
// same expressions, with its double arithmetic and floors.
std::vector<ThreadWindow> UltimateSchedule(const std::vector<UltimateRow>& rows) {
  std::vector<ThreadWindow> out;
  for (const UltimateRow& r : rows) {
    if (r.threads <= 0) continue;  // the plugin moves on to the next row
    const int64_t ascent = 1000 * r.initial_delay_s;
    const int64_t descent = ascent + 1000 * r.startup_s + 1000 * r.hold_s;
    for (int64_t k = r.threads; k >= 1; --k) {
      const double share = static_cast<double>(k) / static_cast<double>(r.threads);
      ThreadWindow w;
      w.start_ms = ascent + static_cast<int64_t>(std::floor(static_cast<double>(1000 * r.startup_s) * share));
      w.end_ms = descent + static_cast<int64_t>(std::floor(static_cast<double>(1000 * r.shutdown_s) * share));
      out.push_back(w);
    }
  }
  return out;
}

// kg.apc.jmeter.threads.SteppingThreadGroup.scheduleThread (jmeter-plugins casutg): Java's
// long division and its remainder's sign are C++'s.
std::vector<ThreadWindow> SteppingSchedule(const SteppingSettings& s) {
  std::vector<ThreadWindow> out;
  const int64_t n = s.threads;
  if (n <= 0) return out;
  const int64_t in_count = s.start_users_count == 0 ? n : s.start_users_count;
  const int64_t out_count = s.stop_users_count == 0 ? n : s.stop_users_count;
  if (in_count <= 0 || out_count <= 0) return out;  // the compiler rejects negative counts
  int64_t burst = std::min(s.start_users_count_burst, n);
  if (burst <= 0) burst = in_count;
  const int64_t ascent = 1000 * s.initial_delay_s;
  const int64_t in_period = 1000 * s.start_users_period_s;
  const int64_t ramp = 1000 * s.ramp_up_s;
  const int64_t step_duration = in_period + ramp;
  const int64_t steps =
      n < burst ? 1 : static_cast<int64_t>(std::ceil(static_cast<double>(n - burst) / static_cast<double>(in_count)));
  int64_t last_step_users = (n - burst) % in_count;
  if (last_step_users == 0) last_step_users = in_count;
  const int64_t descent = ascent + steps * step_duration + (ramp / in_count) * last_step_users + 1000 * s.flight_time_s;
  for (int64_t i = 0; i < n; ++i) {
    const bool in_burst = i < burst;
    const int64_t bucket = in_burst ? 0 : 1 + (i - burst) / in_count;
    const int64_t bucket_threads = in_burst ? burst : in_count;
    const int64_t position = in_burst ? i : (i - burst) % in_count;
    ThreadWindow w;
    w.start_ms = ascent + bucket * step_duration + position * (ramp / bucket_threads);
    w.end_ms = descent + 1000 * s.stop_users_period_s *
                             static_cast<int64_t>(std::floor(static_cast<double>(i) / static_cast<double>(out_count)));
    out.push_back(w);
  }
  return out;
}

std::vector<ThreadWindow> ShareWindows(std::vector<ThreadWindow> windows, uint32_t index, uint32_t count) {
  if (count == 0) return windows;
  std::vector<ThreadWindow> out;
  for (size_t i = index; i < windows.size(); i += count) out.push_back(windows[i]);
  return out;
}

int ActiveAt(const std::vector<ThreadWindow>& windows, int64_t t_ms) {
  return static_cast<int>(std::count_if(
      windows.begin(), windows.end(), [t_ms](const ThreadWindow& w) { return w.start_ms <= t_ms && t_ms < w.end_ms; }));
}

std::vector<int> ActiveCurve(const std::vector<ThreadWindow>& windows, int64_t step_ms) {
  std::vector<int> out;
  if (windows.empty() || step_ms <= 0) return out;
  int64_t last = 0;
  for (const ThreadWindow& w : windows) last = std::max(last, w.end_ms);
  for (int64_t t = 0;; t += step_ms) {
    out.push_back(ActiveAt(windows, t));
    if (t >= last) break;
  }
  return out;
}

namespace {

constexpr const char* kUltimateColumns[5] = {"start threads count", "initial delay", "startup time", "hold load for",
                                             "shutdown time"};

Status NotACount(const ModelThreadGroup& g, int line, const std::string& what, const std::string& text) {
  const char* kind = g.kind == ElementKind::kUltimateThreadGroup ? "Ultimate Thread Group" : "Stepping Thread Group";
  return Status::InvalidArgument(std::string(kind) + " '" + g.name + "' (line " + std::to_string(line) + "): " + what +
                                 " '" + text + "' is not a whole number >= 0");
}

}  // namespace

Result<std::vector<ThreadWindow>> PlannedWindows(const ModelThreadGroup& g, ThreadContext& ctx) {
  auto count = [&](const Value& v, int line, const std::string& what, int64_t* out) -> Status {
    std::string text = Evaluate(v, ctx);
    std::optional<int64_t> n = ParseInt64(text);
    if (!n || *n < 0) return NotACount(g, line, what, text);
    *out = *n;
    return Status::Ok();
  };
  if (g.kind == ElementKind::kUltimateThreadGroup) {
    std::vector<UltimateRow> rows;
    for (size_t i = 0; i < g.rows.size(); ++i) {
      const ModelThreadGroup::Row& r = g.rows[i];
      int64_t v[5] = {};
      for (int c = 0; c < 5; ++c) {
        Status st = count(
            r.columns[c], r.line,
            "row " + std::to_string(i + 1) + ", column " + std::to_string(c + 1) + " (" + kUltimateColumns[c] + ")",
            &v[c]);
        if (!st.ok()) return st;
      }
      rows.push_back({v[0], v[1], v[2], v[3], v[4]});
    }
    return UltimateSchedule(rows);
  }
  SteppingSettings s;
  const std::pair<const Value*, std::pair<const char*, int64_t*>> fields[] = {
      {&g.num_threads, {"ThreadGroup.num_threads", &s.threads}},
      {&g.initial_delay, {"Threads initial delay", &s.initial_delay_s}},
      {&g.start_users_count, {"Start users count", &s.start_users_count}},
      {&g.start_users_count_burst, {"Start users count burst", &s.start_users_count_burst}},
      {&g.start_users_period, {"Start users period", &s.start_users_period_s}},
      {&g.stop_users_count, {"Stop users count", &s.stop_users_count}},
      {&g.stop_users_period, {"Stop users period", &s.stop_users_period_s}},
      {&g.flight_time, {"flighttime", &s.flight_time_s}},
      {&g.ramp_up, {"rampUp", &s.ramp_up_s}},
  };
  for (const auto& [value, field] : fields) {
    Status st = count(*value, g.line, field.first, field.second);
    if (!st.ok()) return st;
  }
  return SteppingSchedule(s);
}

}  // namespace barrage
