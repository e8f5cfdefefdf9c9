// Who may do what through the API of `barrage serve` (issue 13 item 3): the roles of a token
// in its own project. Each role includes the one before it:
//
//   action              viewer  tester  admin   API (under /api/v1)
//   kReadRuns             yes     yes    yes    GET projects/{p}/runs, runs/{id}, /verdict, /events
//   kReadReports          yes     yes    yes    GET runs/{id}/report, /jtl, compare
//   kReadSchedules        yes     yes    yes    GET projects/{p}/schedules (and missed ones)
//   kReadWorkers          yes     yes    yes    GET workers (any project's token: see below)
//   kReadPlans             -      yes    yes    GET projects/{p}/plans (the .jmx may hold credentials)
//   kUploadPlan            -      yes    yes    POST projects/{p}/plans
//   kStartRun              -      yes    yes    POST projects/{p}/runs
//   kStopRun               -      yes    yes    POST runs/{id}/stop
//   kManageSchedules       -       -     yes    POST/PUT/DELETE projects/{p}/schedules...
//   kManageWebhooks        -       -     yes    webhooks and their deliveries (URLs are secrets:
//                                               a Slack URL is its own credential), read or write
//   kManageTokens          -       -     yes    GET/POST projects/{p}/tokens, DELETE .../{name}
//   kReadAudit             -       -     yes    GET projects/{p}/audit
//
// A token works only in its own project. The worker pool is shared by every project, and a
// tester must see whether enough workers are idle before asking for some, so any valid token
// may read it (kReadWorkers ignores `project`); the handler should not name another project's
// run for a busy worker (say "busy", not "busy in run 12").
//
// Decisions: no token, or an unknown or revoked one (Authenticate() gave nullopt) -> 401; a
// token of another project, or whose role lacks the action -> 403. A 401 does not say which
// of the three it was.
//
// Threads: pure functions.
#ifndef BARRAGE_SERVICE_ACCESS_H_
#define BARRAGE_SERVICE_ACCESS_H_

#include <optional>
#include <string>
#include <string_view>

#include "service/tokens.h"

namespace barrage {

enum class Action {
  kReadRuns,
  kReadReports,
  kReadSchedules,
  kReadWorkers,
  kReadPlans,
  kUploadPlan,
  kStartRun,
  kStopRun,
  kManageSchedules,
  kManageWebhooks,
  kManageTokens,
  kReadAudit,
};
inline constexpr Action kAllActions[] = {
    Action::kReadRuns,        Action::kReadReports,    Action::kReadSchedules, Action::kReadWorkers,
    Action::kReadPlans,       Action::kUploadPlan,     Action::kStartRun,      Action::kStopRun,
    Action::kManageSchedules, Action::kManageWebhooks, Action::kManageTokens,  Action::kReadAudit,
};

// The least role allowed to do `action`.
TokenRole MinimumRole(Action action);
// What the action is, for error messages: "read runs", "start runs", ...
std::string_view ActionDescription(Action action);
// False only for kReadWorkers (the pool is not a project's).
bool IsProjectScoped(Action action);

struct AccessDecision {
  int http_status = 200;  // 200 allowed, 401, 403
  std::string error;      // "" when allowed

  bool allowed() const { return http_status == 200; }
  // The response body of a refusal: {"error": "<error>"}.
  std::string ErrorBody() const;
};

// The decision for `principal` (nullopt: no valid token) doing `action` in `project`.
// Error texts:
//   401 "authentication required: send a valid token as 'Authorization: Bearer <token>'"
//   403 "token 'NAME' belongs to project 'A', not 'B'"
//   403 "token 'NAME' has role viewer; to start runs a token needs role tester or admin"
AccessDecision Authorize(const std::optional<Principal>& principal, std::string_view project, Action action);

// The WWW-Authenticate header a 401 carries (RFC 6750): `Bearer realm="barrage"`.
inline constexpr std::string_view kWwwAuthenticate = "Bearer realm=\"barrage\"";

}  // namespace barrage

#endif  // BARRAGE_SERVICE_ACCESS_H_
