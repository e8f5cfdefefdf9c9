#include "service/access.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace barrage {
namespace {

Principal Token(TokenRole role) { return Principal{7, "ci", "shop", role}; }

// The roles table of docs/service-auth.md: for each action, viewer / tester / admin.
struct Row {
  Action action;
  bool viewer, tester, admin;
};
constexpr Row kTable[] = {
    {Action::kReadRuns, true, true, true},          {Action::kReadReports, true, true, true},
    {Action::kReadSchedules, true, true, true},     {Action::kReadWorkers, true, true, true},
    {Action::kReadPlans, false, true, true},        {Action::kUploadPlan, false, true, true},
    {Action::kStartRun, false, true, true},         {Action::kStopRun, false, true, true},
    {Action::kManageSchedules, false, false, true}, {Action::kManageWebhooks, false, false, true},
    {Action::kManageTokens, false, false, true},    {Action::kReadAudit, false, false, true},
};

TEST(AccessTest, TheTableCoversEveryAction) {
  ASSERT_EQ(std::size(kTable), std::size(kAllActions));
  for (size_t i = 0; i < std::size(kTable); ++i) EXPECT_EQ(kTable[i].action, kAllActions[i]) << i;
}

TEST(AccessTest, EveryRoleTimesActionInItsOwnProject) {
  for (const Row& row : kTable) {
    for (auto [role, allowed] : {std::pair{TokenRole::kViewer, row.viewer}, std::pair{TokenRole::kTester, row.tester},
                                 std::pair{TokenRole::kAdmin, row.admin}}) {
      AccessDecision d = Authorize(Token(role), "shop", row.action);
      EXPECT_EQ(d.allowed(), allowed) << TokenRoleName(role) << " " << ActionDescription(row.action);
      EXPECT_EQ(d.http_status, allowed ? 200 : 403) << TokenRoleName(role) << " " << ActionDescription(row.action);
      EXPECT_EQ(d.error.empty(), allowed);
    }
  }
}

TEST(AccessTest, EveryRoleTimesActionInAnotherProject) {
  for (const Row& row : kTable) {
    for (auto [role, allowed_here] :
         {std::pair{TokenRole::kViewer, row.viewer}, std::pair{TokenRole::kTester, row.tester},
          std::pair{TokenRole::kAdmin, row.admin}}) {
      AccessDecision d = Authorize(Token(role), "billing", row.action);
      // Only the shared worker pool is readable from another project's token.
      const bool allowed = row.action == Action::kReadWorkers && allowed_here;
      EXPECT_EQ(d.http_status, allowed ? 200 : 403) << TokenRoleName(role) << " " << ActionDescription(row.action);
      EXPECT_EQ(d.error, allowed ? "" : "token 'ci' belongs to project 'shop', not 'billing'");
    }
  }
}

TEST(AccessTest, NoValidTokenIs401ForEveryAction) {
  for (Action a : kAllActions) {
    AccessDecision d = Authorize(std::nullopt, "shop", a);
    EXPECT_EQ(d.http_status, 401) << ActionDescription(a);
    EXPECT_EQ(d.ErrorBody(),
              "{\"error\":\"authentication required: send a valid token as 'Authorization: Bearer <token>'\"}");
  }
}

TEST(AccessTest, A403SaysWhichRoleTheActionNeeds) {
  EXPECT_EQ(Authorize(Token(TokenRole::kViewer), "shop", Action::kStartRun).error,
            "token 'ci' has role viewer; to start runs a token needs role tester or admin");
  EXPECT_EQ(Authorize(Token(TokenRole::kTester), "shop", Action::kManageWebhooks).error,
            "token 'ci' has role tester; to manage webhooks a token needs role admin");
  EXPECT_EQ(Authorize(Token(TokenRole::kViewer), "shop", Action::kUploadPlan).ErrorBody(),
            "{\"error\":\"token 'ci' has role viewer; to upload plans a token needs role tester or admin\"}");
}

TEST(AccessTest, TheMinimumRoleOfEachAction) {
  std::map<TokenRole, int> count;
  for (Action a : kAllActions) ++count[MinimumRole(a)];
  EXPECT_EQ(count[TokenRole::kViewer], 4);
  EXPECT_EQ(count[TokenRole::kTester], 4);
  EXPECT_EQ(count[TokenRole::kAdmin], 4);
  EXPECT_FALSE(IsProjectScoped(Action::kReadWorkers));
  EXPECT_TRUE(IsProjectScoped(Action::kReadRuns));
}

}  // namespace
}  // namespace barrage
