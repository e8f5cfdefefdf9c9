#include "controller/execution_info.h"

#include <gtest/gtest.h>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(ExecutionInfoTest, PropertiesAreOneSortedJsonObject) {
  EXPECT_EQ(PropertiesJson({{"users", "50"}, {"env", "staging \"eu\""}}), R"({"env":"staging \"eu\"","users":"50"})");
  EXPECT_EQ(PropertiesJson({}), "{}");
}

TEST(ExecutionInfoTest, InvalidUtf8InAPropertyBecomesAReplacementCharacter) {
  EXPECT_EQ(PropertiesJson({{"city", "M\xfcnchen"}}), "{\"city\":\"M\xef\xbf\xbdnchen\"}");
}

TEST(ExecutionInfoTest, CarriesThePlanBytesAndTheOsUser) {
  TempDir dir;
  const std::string plan = dir.File("shop.jmx");
  WriteWholeFile(plan, std::string("<jmeterTestPlan>\0bytes</jmeterTestPlan>", 39));
  Result<ExecutionInfo> info =
      MakeExecutionInfo(plan, "Shop", 1795705930953, "team-a", {{"a", "1"}}, R"({"mode":"local"})");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->plan_path, plan);
  EXPECT_EQ(info->plan_name, "Shop");
  EXPECT_EQ(info->started_at_ms, 1795705930953);
  EXPECT_EQ(info->project, "team-a");
  EXPECT_EQ(info->plan_jmx, std::string("<jmeterTestPlan>\0bytes</jmeterTestPlan>", 39));
  EXPECT_EQ(info->properties_json, R"({"a":"1"})");
  EXPECT_EQ(info->infra_json, R"({"mode":"local"})");
  EXPECT_EQ(info->triggered_by, CurrentOsUser());
}

TEST(ExecutionInfoTest, UnreadablePlanNamesTheFile) {
  TempDir dir;
  Result<ExecutionInfo> info = MakeExecutionInfo(dir.File("gone.jmx"), "x", 0, "default", {}, "{}");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().message(), dir.File("gone.jmx") + ": no such file");
}

}  // namespace
}  // namespace barrage
