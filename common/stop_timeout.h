// How long a graceful stop may take, the same for a local run (the engine) and a cluster
// run (the coordinator's Stop(graceful) -> Stop(now)): users finish the sample they are
// in; requests still in flight this long after the stop began are aborted and recorded as
// error samples. `barrage run --stop-timeout S` overrides it. JMeter's own wait for threads
// to stop (jmeterengine.threadstop.wait) is 5 s too.
#ifndef BARRAGE_COMMON_STOP_TIMEOUT_H_
#define BARRAGE_COMMON_STOP_TIMEOUT_H_

#include <cstdint>

namespace barrage {

inline constexpr int64_t kDefaultGracefulStopTimeoutMs = 5'000;

}  // namespace barrage

#endif  // BARRAGE_COMMON_STOP_TIMEOUT_H_
