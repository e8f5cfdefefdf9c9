#include "common/clock.h"

namespace barrage {
namespace {

class SystemClockImpl final : public Clock {
 public:
  int64_t MonotonicMicros() const override { return barrage::MonotonicMicros(); }
  int64_t WallMicros() const override { return barrage::WallMicros(); }
};

}  // namespace

const Clock& SystemClock() {
  static const SystemClockImpl clock;
  return clock;
}

}  // namespace barrage
