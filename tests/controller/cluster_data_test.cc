// Data files of a cluster run: found through the compiled plan, resolved against the plan's
// folder, and split into disjoint row shares.

#include "controller/cluster_data.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "controller/loaded_plan.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using Shares = std::vector<std::string>;

TEST(SplitCsvRowsTest, ContiguousSharesDifferByAtMostOneRow) {
  EXPECT_EQ(SplitCsvRows("1\n2\n3\n4\n5\n", 3, false, false), (Shares{"1\n2\n", "3\n4\n", "5\n"}));
}

TEST(SplitCsvRowsTest, HeaderLineStartsEveryShare) {
  EXPECT_EQ(SplitCsvRows("user,pass\na,1\nb,2\n", 2, true, false), (Shares{"user,pass\na,1\n", "user,pass\nb,2\n"}));
}

TEST(SplitCsvRowsTest, MoreWorkersThanRowsLeavesSomeSharesEmpty) {
  EXPECT_EQ(SplitCsvRows("h\nx\n", 3, true, false), (Shares{"h\nx\n", "h\n", "h\n"}));
}

TEST(SplitCsvRowsTest, ALastRowWithoutLineBreakGetsOne) {
  EXPECT_EQ(SplitCsvRows("1\n2\n3", 2, false, false), (Shares{"1\n2\n", "3\n"}));
}

TEST(SplitCsvRowsTest, CrLfRowsStayWhole) {
  EXPECT_EQ(SplitCsvRows("1\r\n2\r\n", 2, false, false), (Shares{"1\r\n", "2\r\n"}));
}

TEST(SplitCsvRowsTest, QuotedLineBreaksStayInsideTheirRowWithQuotedData) {
  EXPECT_EQ(SplitCsvRows("\"a\nb\",1\nc,2\n", 2, false, true), (Shares{"\"a\nb\",1\n", "c,2\n"}));
  EXPECT_EQ(SplitCsvRows("\"a\nb\",1\nc,2\n", 3, false, false), (Shares{"\"a\n", "b\",1\n", "c,2\n"}));
}

std::string PlanWithCsv(const std::string& filename, const std::string& names, bool ignore_first_line) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n"
         "<CSVDataSet testclass=\"CSVDataSet\" testname=\"users\" enabled=\"true\">\n"
         "<stringProp name=\"filename\">" +
         filename +
         "</stringProp>\n"
         "<stringProp name=\"variableNames\">" +
         names +
         "</stringProp>\n"
         "<boolProp name=\"ignoreFirstLine\">" +
         (ignore_first_line ? "true" : "false") +
         "</boolProp>\n"
         "</CSVDataSet>\n<hashTree/>\n"
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

CompiledPlan Compile(const std::string& path) {
  Result<HashTree> tree = ParseJmxFile(path);
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return CompilePlan(std::move(tree).value());
}

TEST(CollectDataFilesTest, ResolvesRelativeNamesAgainstThePlansFolder) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithCsv("users.csv", "", false));
  WriteWholeFile(dir.File("users.csv"), "name\nann\n");
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::vector<std::string> skipped;
  std::string base = std::filesystem::path(dir.File("plan.jmx")).parent_path().string();
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, base, {}, &skipped);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].plan_path, "users.csv");
  EXPECT_EQ((*files)[0].local_path, dir.File("users.csv"));
  EXPECT_EQ((*files)[0].content, "name\nann\n");
  EXPECT_FALSE((*files)[0].split);
  EXPECT_TRUE((*files)[0].keep_header);  // names come from the header line
}

TEST(CollectDataFilesTest, NamedVariablesMeanNoHeaderUnlessTheFirstLineIsIgnored) {
  TempDir dir;
  WriteWholeFile(dir.File("a.jmx"), PlanWithCsv("u.csv", "name", false));
  WriteWholeFile(dir.File("b.jmx"), PlanWithCsv("u.csv", "name", true));
  WriteWholeFile(dir.File("u.csv"), "x\n");
  std::string base = std::filesystem::path(dir.File("a.jmx")).parent_path().string();
  CompiledPlan a = Compile(dir.File("a.jmx"));
  CompiledPlan b = Compile(dir.File("b.jmx"));
  Result<std::vector<ClusterDataFile>> fa = CollectDataFiles(a.plan, base, {"u.csv"}, nullptr);
  Result<std::vector<ClusterDataFile>> fb = CollectDataFiles(b.plan, base, {"u.csv"}, nullptr);
  ASSERT_TRUE(fa.ok() && fb.ok());
  EXPECT_TRUE((*fa)[0].split);
  EXPECT_FALSE((*fa)[0].keep_header);
  EXPECT_TRUE((*fb)[0].keep_header);
}

TEST(CollectDataFilesTest, AMissingFileNamesThePlanLineAndThePath) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithCsv("nope.csv", "", false));
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::string base = std::filesystem::path(dir.File("plan.jmx")).parent_path().string();
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, base, {}, nullptr);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().message(),
            dir.File("plan.jmx") + ":6: CSV Data Set file " + dir.File("nope.csv") + ": no such file");
}

std::string PlanWithPath(const std::string& path) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n"
         "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\" enabled=\"true\"/>\n<hashTree>\n"
         "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\" enabled=\"true\">\n"
         "<stringProp name=\"HTTPSampler.path\">" +
         path +
         "</stringProp>\n"
         "</HTTPSamplerProxy>\n<hashTree/>\n"
         "</hashTree>\n</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

TEST(CollectDataFilesTest, FilesThatFunctionsReadAreShipped) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithPath("/x?c=${__CSVRead(rows.csv,0)}&f=${__FileToString(body.txt)}"));
  WriteWholeFile(dir.File("rows.csv"), "a,b\n");
  WriteWholeFile(dir.File("body.txt"), "{}");
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::string base = std::filesystem::path(dir.File("plan.jmx")).parent_path().string();
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, base, {}, nullptr);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].plan_path, "rows.csv");
  EXPECT_EQ((*files)[0].content, "a,b\n");
  EXPECT_EQ((*files)[1].plan_path, "body.txt");
  EXPECT_EQ((*files)[1].content, "{}");
}

TEST(CollectDataFilesTest, AMissingFunctionFileNamesTheFunction) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithPath("/x?c=${__StringFromFile(gone.txt)}"));
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::string base = std::filesystem::path(dir.File("plan.jmx")).parent_path().string();
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, base, {}, nullptr);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().message(),
            dir.File("plan.jmx") + ":9: __StringFromFile file " + dir.File("gone.txt") + ": no such file");
}

TEST(CollectDataFilesTest, SplitDataMustNameAFileOfThePlan) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithCsv("users.csv", "", false));
  WriteWholeFile(dir.File("users.csv"), "name\n");
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::string base = std::filesystem::path(dir.File("plan.jmx")).parent_path().string();
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, base, {"other.csv"}, nullptr);
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().message(), "--split-data other.csv: the plan has no CSV Data Set reading this file");
}

TEST(CollectDataFilesTest, NamesComputedAtRunTimeAreListedNotShipped) {
  TempDir dir;
  WriteWholeFile(dir.File("plan.jmx"), PlanWithCsv("${__P(file,u.csv)}", "", false));
  CompiledPlan compiled = Compile(dir.File("plan.jmx"));
  std::vector<std::string> skipped;
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(compiled.plan, ".", {}, &skipped);
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
  EXPECT_EQ(skipped, (std::vector<std::string>{"${__P(file,u.csv)}"}));
}

TEST(CollectDataFilesTest, ShipsTheFilesOfIncludeControllers) {
  TempDir dir;
  std::string plan =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n"
      "<IncludeController testclass=\"IncludeController\" testname=\"inc\">"
      "<stringProp name=\"IncludeController.includepath\">part.jmx</stringProp></IncludeController><hashTree/>\n"
      "</hashTree></hashTree></jmeterTestPlan>\n";
  std::string part =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"P\"/>\n"
      "<hashTree/></hashTree></jmeterTestPlan>\n";
  WriteWholeFile(dir.File("plan.jmx"), plan);
  WriteWholeFile(dir.File("part.jmx"), part);
  Result<LoadedPlan> loaded = LoadPlan(dir.File("plan.jmx"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->compiled.plan.included_files, std::vector<std::string>{"part.jmx"});
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(loaded->compiled.plan, loaded->base_dir, {}, nullptr);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].plan_path, "part.jmx");
  EXPECT_EQ((*files)[0].content, part);
  EXPECT_FALSE((*files)[0].split);
}

}  // namespace
}  // namespace barrage
