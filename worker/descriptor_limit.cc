#include "worker/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace barrage {

namespace {

bool HasKeepAliveSampler(const Node& node) {
  if (node.kind == ElementKind::kHttpSampler && static_cast<const HttpSampler&>(node).http.use_keepalive) return true;
  for (const auto& c : node.children) {
    if (HasKeepAliveSampler(*c)) return true;
  }
  return false;
}

}  // namespace

bool KeepsConnectionsOpen(const ThreadGroup& group) { return HasKeepAliveSampler(group); }

Status EnsureDescriptorLimit(int64_t connections, const std::string& who) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return Status::Ok();  // nothing to check against
  const int64_t needed = connections + kReservedDescriptors;
  auto as_count = [](rlim_t v) { return v == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(v); };
  if (as_count(limit.rlim_cur) >= needed) return Status::Ok();
  if (as_count(limit.rlim_max) >= needed) {
    rlimit raised = limit;
    raised.rlim_cur = static_cast<rlim_t>(needed);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return Status::Ok();
  }
  return Status::InvalidArgument(
      "not enough file descriptors: " + who + " keep up to " + std::to_string(connections) +
      " connections open, so this run needs " + std::to_string(needed) + " descriptors (" +
      std::to_string(kReservedDescriptors) + " for Barrage itself), but the limit is " +
      std::to_string(as_count(limit.rlim_cur)) + " (hard limit " + std::to_string(as_count(limit.rlim_max)) +
      "): raise it (`ulimit -n`, LimitNOFILE= in the systemd unit), spread the users over more workers, or "
      "turn keep-alive off in the HTTP samplers");
}

}  // namespace barrage
