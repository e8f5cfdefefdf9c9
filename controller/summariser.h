// JMeter's summariser: the `summary +` / `summary =` lines `jmeter -n` prints while a test
// runs (org.apache.jmeter.reporters.Summariser, JMeter 5.x format), e.g.
//
//   summary +    500 in 00:00:01 =  444.4/s Avg:     2 Min:     0 Max:    37 Err:   200 (40.00%) Active: 0 Started: 5
//   Finished: 5 summary =   1500 in 00:00:07 =  214.9/s Avg:     3 Min:     0 Max:    76 Err:   600 (40.00%)
//
// `+` covers the samples since the previous report (its time runs from that report to now),
// `=` everything since the test started. As in JMeter, a `+` line is only printed when
// samples arrived since the last report, `=` only when it differs from that `+` (not after
// the first report), elapsed seconds are rounded, the rate is "#0.0" (or `******` when no
// time passed), Avg is truncated, and a test without samples ends with JMeter's
// "Min: 9223372036854775807 Max: -9223372036854775808".
//
// Times are elapsed ms truncated from our µs. The clock is the caller's: every method that
// needs "now" takes it, so tests and the run loop decide. Deviation: JMeter leaves out
// Transaction Controller parent samples by default; a Sample carries no such mark, so the
// engine must not hand those to the summariser if it wants JMeter's counts.
//
// Thread-safe: Add() may be called from several threads while another reports.
#ifndef BARRAGE_CONTROLLER_SUMMARISER_H_
#define BARRAGE_CONTROLLER_SUMMARISER_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/sample.h"

namespace barrage {

// JMeterContextService.ThreadCounts: threads running now, started and finished so far.
struct ThreadCounts {
  int64_t active = 0;
  int64_t started = 0;
  int64_t finished = 0;
  // Barrage's: arrivals dynamic thread groups dropped at their ConcurrencyLimit so far; the
  // `+` line ends with " Late: N" when N > 0.
  int64_t late_arrivals = 0;
};

class Summariser {
 public:
  // `test_start_ms`: epoch ms when the test started (the `=` line counts from there).
  // `interval_s`: JMeter's summariser.interval, used by ReportDue().
  explicit Summariser(int64_t test_start_ms, int64_t interval_s = 30, std::string name = "summary");

  void Add(const Sample& sample);
  void Add(const std::vector<Sample>& samples);

  // JMeter's reporting rule: a report is due when more than 5 s passed since the last one
  // and now (in whole seconds) is within 5 s after a multiple of the interval, so reports
  // line up on wall-clock boundaries across runs.
  bool ReportDue(int64_t now_ms) const;

  // Ends the interval at `now_ms`: the `+` line (with the thread counts) and, after the
  // first report, the `=` line. Empty, and the interval goes on, when no sample arrived.
  std::vector<std::string> EndInterval(int64_t now_ms, ThreadCounts threads);

  // At test end: the last `+` line (when it has samples and an earlier report was printed)
  // and the final `=` line.
  std::vector<std::string> Finish(int64_t now_ms, ThreadCounts threads);

 private:
  struct Running {  // SummariserRunningSample
    int64_t count = 0;
    int64_t errors = 0;
    int64_t sum_ms = 0;
    int64_t min_ms = INT64_MAX;
    int64_t max_ms = INT64_MIN;
    int64_t start_ms = 0;

    void Add(const Running& other);
  };

  std::string Format(const Running& r, int64_t end_ms, char type, const ThreadCounts* threads) const;

  const std::string name_;
  const int64_t interval_s_;
  mutable std::mutex mu_;
  Running delta_;
  Running total_;
  int64_t last_report_s_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_SUMMARISER_H_
