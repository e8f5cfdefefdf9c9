// The open-file limit a run needs, checked before it starts (issue 12 item 5): a run that
// would run out of descriptors mid-way fails at once with what to change instead.
//
// Every user of a thread group with an HTTP sampler that keeps connections alive holds its
// connection open between requests (JMeter's per-thread keep-alive), so such a group needs one
// descriptor per user; Barrage itself needs kReservedDescriptors more (store, logs, event
// loops, data files, a JVM's jars).
#ifndef BARRAGE_WORKER_DESCRIPTOR_LIMIT_H_
#define BARRAGE_WORKER_DESCRIPTOR_LIMIT_H_

#include <cstdint>
#include <string>

#include "common/plan.h"
#include "common/status.h"

namespace barrage {

inline constexpr int64_t kReservedDescriptors = 256;

// Whether `group` has an HTTP sampler (anywhere in its tree) with keep-alive on.
bool KeepsConnectionsOpen(const ThreadGroup& group);

// Makes sure this process may open `connections` + kReservedDescriptors descriptors: raises
// the soft RLIMIT_NOFILE up to the hard limit when needed; InvalidArgument naming both
// figures and the remedies when the hard limit is lower. `who` says whose connections they
// are ("12000 users of thread group 'Shop'").
Status EnsureDescriptorLimit(int64_t connections, const std::string& who);

}  // namespace barrage

#endif  // BARRAGE_WORKER_DESCRIPTOR_LIMIT_H_
