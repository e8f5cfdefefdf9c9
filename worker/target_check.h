// Before a run, every host the plan's HTTP samplers name that is known then, checked against
// the worker's allowed_targets (worker/target_policy.h; issue 14). Known then: a literal, or a
// template of properties (__P, __property) and variables the run sets before any user starts
// (Test Plan and User Defined Variables, in `boot`). The sampler's own protocol, host, port
// and path, else its HTTP Request Defaults', as a request would take them (a full URL in the
// path wins); --connect-to rules applied. A name that no name pattern allows while the list
// has address patterns is resolved (getaddrinfo): refused only when it resolves and none of
// its addresses is allowed. Everything else (a host from a CSV file, a redirect, an embedded
// resource) is checked when its connection opens (HttpTransfer::set_target_policy).
//
// Thread-safety: reads the plan; `boot` is the caller's.
#ifndef BARRAGE_WORKER_TARGET_CHECK_H_
#define BARRAGE_WORKER_TARGET_CHECK_H_

#include <optional>
#include <string>
#include <vector>

#include "common/connect_to.h"
#include "common/functions.h"
#include "common/plan.h"
#include "common/status.h"
#include "worker/target_policy.h"

namespace barrage {

struct UrlTarget {
  std::string host;  // as libcurl parses it (an IPv6 address in brackets)
  int port = 0;      // the URL's, else its scheme's default
};
// The host and port of an absolute URL (libcurl's parser: as the request goes out); nullopt
// when it does not parse.
std::optional<UrlTarget> UrlHostAndPort(const char* url);

// Ok, or InvalidArgument naming the first refused sampler, its line and host:
//   "HTTP Request 'login' (line 42): host evil.example:443 is not in this worker's
//    allowed_targets (127.0.0.2, *.staging.example.com)"
Status CheckPlanTargets(const Plan& plan, const TargetPolicy& policy, ThreadContext& boot,
                        const std::vector<ConnectToRule>& connect_to);

}  // namespace barrage

#endif  // BARRAGE_WORKER_TARGET_CHECK_H_
