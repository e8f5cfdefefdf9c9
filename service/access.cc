#include "service/access.h"

#include <nlohmann/json.hpp>

namespace barrage {

TokenRole MinimumRole(Action action) {
  switch (action) {
    case Action::kReadRuns:
    case Action::kReadReports:
    case Action::kReadSchedules:
    case Action::kReadWorkers: return TokenRole::kViewer;
    case Action::kReadPlans:
    case Action::kUploadPlan:
    case Action::kStartRun:
    case Action::kStopRun: return TokenRole::kTester;
    case Action::kManageSchedules:
    case Action::kManageWebhooks:
    case Action::kManageTokens:
    case Action::kReadAudit: return TokenRole::kAdmin;
  }
  return TokenRole::kAdmin;
}

std::string_view ActionDescription(Action action) {
  switch (action) {
    case Action::kReadRuns: return "read runs";
    case Action::kReadReports: return "read reports";
    case Action::kReadSchedules: return "read schedules";
    case Action::kReadWorkers: return "read workers";
    case Action::kReadPlans: return "read plans";
    case Action::kUploadPlan: return "upload plans";
    case Action::kStartRun: return "start runs";
    case Action::kStopRun: return "stop runs";
    case Action::kManageSchedules: return "manage schedules";
    case Action::kManageWebhooks: return "manage webhooks";
    case Action::kManageTokens: return "manage tokens";
    case Action::kReadAudit: return "read the audit log";
  }
  return "?";
}

bool IsProjectScoped(Action action) { return action != Action::kReadWorkers; }

std::string AccessDecision::ErrorBody() const { return nlohmann::json{{"error", error}}.dump(); }

AccessDecision Authorize(const std::optional<Principal>& principal, std::string_view project, Action action) {
  if (!principal) return {401, "authentication required: send a valid token as 'Authorization: Bearer <token>'"};
  if (IsProjectScoped(action) && principal->project != project) {
    return {403, "token '" + principal->name + "' belongs to project '" + principal->project + "', not '" +
                     std::string(project) + "'"};
  }
  const TokenRole needed = MinimumRole(action);
  // Roles are ordered: each includes everything the ones before it may do.
  if (static_cast<int>(principal->role) < static_cast<int>(needed)) {
    std::string roles(TokenRoleName(needed));
    if (needed == TokenRole::kTester) roles += " or admin";
    return {403, "token '" + principal->name + "' has role " + std::string(TokenRoleName(principal->role)) + "; to " +
                     std::string(ActionDescription(action)) + " a token needs role " + roles};
  }
  return {200, ""};
}

}  // namespace barrage
