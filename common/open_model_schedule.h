// JMeter 5.5's Open Model Thread Group schedule (org.apache.jmeter.threads.openmodel):
// the schedule language and the arrival times it gives.
//
//   rate(N/unit)          the arrival rate from here on (also `N per unit`; rate(0) needs no unit)
//   random_arrivals(T)    arrivals during T, as a Poisson process between the rates around it
//   even_arrivals(T)      arrivals during T, evenly spaced (the rate may ramp)
//   pause(T)              no arrivals during T, then the rate before it again
// Time units: ms, s / sec..., m / min..., h / hour..., d / day...; a duration may add up several
// (`1 min 30 sec`); a zero duration needs no unit. Comments: /* ... */ on one line, // to the
// end of the line. A schedule that is a whole number N means N arrivals in the first second
// (then an hour of rate 0 for them to finish), as JMeter's undocumented "validation mode".
//
// Parse errors are JMeter's messages (TokenizerException / ParserException): "<what> at
// position <p>: '<up to 20 characters from p>' in '<schedule>'". `${...}` is evaluated by
// the caller before parsing.
#ifndef BARRAGE_COMMON_OPEN_MODEL_SCHEDULE_H_
#define BARRAGE_COMMON_OPEN_MODEL_SCHEDULE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

struct OpenModelStep {
  enum class Kind { kRate, kEvenArrivals, kRandomArrivals };
  Kind kind = Kind::kRate;
  double value = 0;  // kRate: arrivals per second; arrivals: duration in seconds

  bool operator==(const OpenModelStep& o) const { return kind == o.kind && value == o.value; }
};

struct OpenModelSchedule {
  std::vector<OpenModelStep> steps;
  double TotalDurationS() const;  // the arrivals steps' durations added up
};

Result<OpenModelSchedule> ParseOpenModelSchedule(std::string_view text);

// JMeter's ThreadScheduleProcessGenerator: each arrivals step runs from the rate before it
// to the rate right after it (or the same rate); EvenArrivalsRamp puts floor(mean rate x
// duration) arrivals at the times the linear ramp's integral reaches 0, 1, 2...;
// PoissonArrivalsRamp draws them (`next_double`: java.util.Random.nextDouble of the group's
// generator) and sorts them within the step.
class OpenModelArrivals {
 public:
  OpenModelArrivals(OpenModelSchedule schedule, std::function<double()> next_double);
  // The next arrival in seconds from the group's start; nullopt at the schedule's end.
  std::optional<double> Next();

 private:
  bool FindNextArrivalStep();
  void Prepare();

  OpenModelSchedule schedule_;
  std::function<double()> next_double_;
  int pos_ = -1;
  double offset_ = 0;
  double last_duration_ = 0;
  double begin_rate_ = 0;
  double end_rate_ = 0;
  const OpenModelStep* step_ = nullptr;
  // The current step's events: even (computed as they go) or random (drawn and sorted).
  int64_t n_ = 0;
  int64_t num_events_ = 0;
  double acceleration_ = 0;
  double mean_rate_ = 0;
  std::vector<double> random_;
  size_t random_next_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_OPEN_MODEL_SCHEDULE_H_
