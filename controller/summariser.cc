#include "controller/summariser.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "controller/decimal_format.h"

namespace barrage {
namespace {

constexpr int64_t kIntervalWindowS = 5;  // Summariser.INTERVAL_WINDOW

// JOrphanUtils.rightAlign: pad on the left to `width`, never truncate.
std::string RightAlign(std::string s, size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

// JOrphanUtils.formatDuration: HH:mm:ss (hours may exceed two digits).
std::string Duration(int64_t seconds) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds % 3600 / 60), static_cast<long long>(seconds % 60));
  return buf;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

void Summariser::Running::Add(const Running& other) {
  count += other.count;
  errors += other.errors;
  sum_ms += other.sum_ms;
  min_ms = std::min(min_ms, other.min_ms);
  max_ms = std::max(max_ms, other.max_ms);
}

Summariser::Summariser(int64_t test_start_ms, int64_t interval_s, std::string name)
    : name_(std::move(name)), interval_s_(std::max<int64_t>(1, interval_s)) {
  delta_.start_ms = test_start_ms;
  total_.start_ms = test_start_ms;
}

void Summariser::Add(const Sample& s) {
  const int64_t ms = s.elapsed_us > 0 ? s.elapsed_us / 1000 : 0;
  std::lock_guard lock(mu_);
  ++delta_.count;
  if (!s.success) ++delta_.errors;
  delta_.sum_ms += ms;
  delta_.min_ms = std::min(delta_.min_ms, ms);
  delta_.max_ms = std::max(delta_.max_ms, ms);
}

void Summariser::Add(const std::vector<Sample>& samples) {
  Running batch;
  for (const Sample& s : samples) {
    const int64_t ms = s.elapsed_us > 0 ? s.elapsed_us / 1000 : 0;
    ++batch.count;
    if (!s.success) ++batch.errors;
    batch.sum_ms += ms;
    batch.min_ms = std::min(batch.min_ms, ms);
    batch.max_ms = std::max(batch.max_ms, ms);
  }
  std::lock_guard lock(mu_);
  delta_.Add(batch);
}

bool Summariser::ReportDue(int64_t now_ms) const {
  const int64_t now_s = FloorDiv(now_ms, 1000);
  std::lock_guard lock(mu_);
  return now_s > last_report_s_ + kIntervalWindowS && now_s % interval_s_ <= kIntervalWindowS;
}

std::vector<std::string> Summariser::EndInterval(int64_t now_ms, ThreadCounts threads) {
  Running delta;
  Running total;
  {
    std::lock_guard lock(mu_);
    if (delta_.count == 0) return {};
    delta = delta_;
    total_.Add(delta_);
    total = total_;
    delta_ = Running{};
    delta_.start_ms = now_ms;
    last_report_s_ = FloorDiv(now_ms, 1000);
  }
  std::vector<std::string> lines = {Format(delta, now_ms, '+', &threads)};
  if (total.count != delta.count) lines.push_back(Format(total, now_ms, '=', nullptr));
  return lines;
}

std::vector<std::string> Summariser::Finish(int64_t now_ms, ThreadCounts threads) {
  std::lock_guard lock(mu_);
  std::vector<std::string> lines;
  if (delta_.count > 0 && total_.count > 0) lines.push_back(Format(delta_, now_ms, '+', &threads));
  total_.Add(delta_);
  delta_ = Running{};
  delta_.start_ms = now_ms;
  lines.push_back(Format(total_, now_ms, '=', nullptr));
  return lines;
}

std::string Summariser::Format(const Running& r, int64_t end_ms, char type, const ThreadCounts* threads) const {
  // SummariserRunningSample: no samples means no elapsed time and a zero rate.
  const int64_t elapsed = r.count ? end_ms - r.start_ms : 0;
  std::string out = name_;
  out += ' ';
  out += type;
  out += ' ';
  out += RightAlign(std::to_string(r.count), 6);
  out += " in ";
  out += Duration((elapsed + 500) / 1000);
  out += " = ";
  if (elapsed > 0) {
    const double rate = static_cast<double>(r.count) / static_cast<double>(elapsed) * 1000.0;
    out += RightAlign(FormatDecimal(rate, {.fraction_digits = 1}), 6);
  } else {
    out += "******";
  }
  out += "/s Avg: ";
  out += RightAlign(std::to_string(r.count ? r.sum_ms / r.count : 0), 5);
  out += " Min: ";
  out += RightAlign(std::to_string(r.min_ms), 5);
  out += " Max: ";
  out += RightAlign(std::to_string(r.max_ms), 5);
  out += " Err: ";
  out += RightAlign(std::to_string(r.errors), 5);
  out += " (";
  const double error_fraction = r.count ? static_cast<double>(r.errors) / static_cast<double>(r.count) : 0.0;
  out += FormatDecimal(error_fraction, {.fraction_digits = 2, .percent = true});
  out += ')';
  if (threads) {
    out += " Active: " + std::to_string(threads->active);
    out += " Started: " + std::to_string(threads->started);
    out += " Finished: " + std::to_string(threads->finished);
    // Not JMeter's: arrivals dynamic thread groups dropped (issue 12), only when some were.
    if (threads->late_arrivals > 0) out += " Late: " + std::to_string(threads->late_arrivals);
  }
  return out;
}

}  // namespace barrage
