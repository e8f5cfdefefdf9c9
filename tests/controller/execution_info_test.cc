#include "controller/execution_info.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "controller/loaded_plan.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(ExecutionInfoTest, PropertiesAreOneSortedJsonObject) {
  EXPECT_EQ(PropertiesJson({{"users", "50"}, {"env", "staging \"eu\""}}), R"({"env":"staging \"eu\"","users":"50"})");
  EXPECT_EQ(PropertiesJson({}), "{}");
}

TEST(ExecutionInfoTest, PasswordPropertiesAreNotRecorded) {
  EXPECT_EQ(
      PropertiesJson({{"javax.net.ssl.keyStorePassword", "s3cret"},
                      {"db.password", "pw"},
                      {"javax.net.ssl.keyStore", "users.p12"}}),
      R"({"db.password":"******","javax.net.ssl.keyStore":"users.p12","javax.net.ssl.keyStorePassword":"******"})");
}

TEST(ExecutionInfoTest, InvalidUtf8InAPropertyBecomesAReplacementCharacter) {
  EXPECT_EQ(PropertiesJson({{"city", "M\xfcnchen"}}), "{\"city\":\"M\xef\xbf\xbdnchen\"}");
}

TEST(ExecutionInfoTest, TheScriptHostJoinsTheInfrastructureInfo) {
  EXPECT_EQ(
      WithScriptHostInfo(R"({"mode":"local"})", {"Java 17.0.13; Groovy 2.4.21", 100663296, 5242880, std::string("96")}),
      R"({"mode":"local","script_host":{"heap_max_bytes":100663296,"heap_used_bytes":5242880,)"
      R"("max_heap_mb":"96","version":"Java 17.0.13; Groovy 2.4.21"}})");
  // Without the property the default cap ran; a cluster's info keeps its keys.
  EXPECT_EQ(WithScriptHostInfo(R"({"mode":"cluster","workers":2})", {"Java 17.0.13", 536870912, 1, std::nullopt}),
            R"({"mode":"cluster","script_host":{"heap_max_bytes":536870912,"heap_used_bytes":1,"max_heap_mb":null,)"
            R"("version":"Java 17.0.13"},"workers":2})");
}

TEST(ExecutionInfoTest, EachWorkersScriptHostJoinsAClustersInfrastructureInfo) {
  EXPECT_EQ(WithWorkerScriptHosts(R"({"mode":"cluster","workers":2})",
                                  {{"w1", R"({"version":"Java 17.0.13","heap_used_bytes":7})"}, {"w2", "not json"}}),
            R"({"mode":"cluster","script_hosts":{"w1":{"heap_used_bytes":7,"version":"Java 17.0.13"},)"
            R"("w2":"not json"},"workers":2})");
}

// The info carries what LoadPlan read and built: no second read of the file.
TEST(ExecutionInfoTest, CarriesTheLoadedPlanAndTheOsUser) {
  const std::string jmx =
      "<jmeterTestPlan><hashTree><TestPlan testclass=\"TestPlan\" testname=\"Shop\"/><hashTree>"
      "<DebugSampler testclass=\"DebugSampler\" testname=\"dbg\"/><hashTree/>"
      "</hashTree></hashTree></jmeterTestPlan>";
  Result<LoadedPlan> plan = LoadPlan("/nowhere/shop.jmx", [&](const std::string&) { return Result<std::string>(jmx); });
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ExecutionInfo info = MakeExecutionInfo(*plan, 1795705930953, "team-a", {{"a", "1"}}, R"({"mode":"local"})");
  EXPECT_EQ(info.plan_path, "/nowhere/shop.jmx");
  EXPECT_EQ(info.plan_name, "Shop");
  EXPECT_EQ(info.started_at_ms, 1795705930953);
  EXPECT_EQ(info.project, "team-a");
  EXPECT_EQ(info.plan_jmx, jmx);
  ASSERT_TRUE(info.plan_metadata.has_value());
  ASSERT_EQ(info.plan_metadata->samplers.size(), 1u);
  EXPECT_EQ(info.plan_metadata->samplers[0].name, "dbg");
  EXPECT_EQ(info.properties_json, R"({"a":"1"})");
  EXPECT_EQ(info.infra_json, R"({"mode":"local"})");
  EXPECT_EQ(info.triggered_by, CurrentOsUser());
}

TEST(LoadPlanTest, ReadsTheFileOnceWithItsBytesAndFolder) {
  TempDir dir;
  const std::string path = dir.File("shop.jmx");
  const std::string jmx =
      "<jmeterTestPlan><hashTree><TestPlan testclass=\"TestPlan\" testname=\"Shop\"/>"
      "<hashTree/></hashTree></jmeterTestPlan>";
  WriteWholeFile(path, jmx);
  int reads = 0;
  Result<LoadedPlan> plan = LoadPlan(path, [&](const std::string& p) {
    ++reads;
    return ReadPlanFile(p);
  });
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(plan->bytes, jmx);
  EXPECT_EQ(plan->file_name, "shop.jmx");
  EXPECT_EQ(plan->base_dir, std::filesystem::path(path).parent_path().string());
  EXPECT_EQ(plan->name(), "Shop");
  Result<LoadedPlan> bare = LoadPlan("shop.jmx", [&](const std::string&) { return Result<std::string>(jmx); });
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->base_dir, ".");
}

TEST(LoadPlanTest, UnreadablePlanNamesTheFile) {
  TempDir dir;
  Result<LoadedPlan> plan = LoadPlan(dir.File("gone.jmx"));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(), dir.File("gone.jmx") + ": no such file");
}

// The store keeps PlanValueText of what inspect shows as a JSON value.
TEST(PlanMetadataTest, PlanValuesAreUnsetNumbersOrExpressionsAsWritten) {
  EXPECT_EQ(ParsePlanValue(""), PlanValue(std::monostate{}));
  EXPECT_EQ(ParsePlanValue("  "), PlanValue(std::monostate{}));
  EXPECT_EQ(ParsePlanValue(" 10 "), PlanValue(int64_t{10}));
  EXPECT_EQ(ParsePlanValue("1.50"), PlanValue(1.5));
  EXPECT_EQ(ParsePlanValue("${__P(users,5)} "), PlanValue(std::string("${__P(users,5)} ")));
  EXPECT_EQ(PlanValueText(ParsePlanValue("")), "");
  EXPECT_EQ(PlanValueText(ParsePlanValue(" 10 ")), "10");
  EXPECT_EQ(PlanValueText(ParsePlanValue("1.50")), "1.5");
  EXPECT_EQ(PlanValueText(ParsePlanValue("nan")), "null");  // as inspect's JSON prints it
  EXPECT_EQ(PlanValueText(ParsePlanValue("${x}")), "${x}");
}

}  // namespace
}  // namespace barrage
