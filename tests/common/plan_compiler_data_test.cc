// Compiling the Random CSV Data Set (com.blazemeter.jmeter.RandomCSVDataSetConfig,
// plan_compiler_data.cc) into the CsvDataSet node worker/csv_data.h reads.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileUnder;

std::string RandomCsv(const std::string& props) {
  return "<com.blazemeter.jmeter.RandomCSVDataSetConfig guiclass=\"com.blazemeter.jmeter.RandomCSVDataSetConfigGui\" "
         "testclass=\"com.blazemeter.jmeter.RandomCSVDataSetConfig\" testname=\"users\">" +
         props + "</com.blazemeter.jmeter.RandomCSVDataSetConfig>\n<hashTree/>\n";
}

std::string S(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
std::string B(const std::string& name, bool value) {
  return "<boolProp name=\"" + name + "\">" + (value ? "true" : "false") + "</boolProp>";
}

TEST(PlanCompilerDataTest, RandomCsvDataSetPropertiesBecomeACsvDataSetNode) {
  CompiledPlan c =
      CompileUnder(RandomCsv(S("filename", "users.csv") + S("fileEncoding", "ISO-8859-1") + S("delimiter", "\\t") +
                             S("variableNames", "id,name") + B("randomOrder", true) + B("ignoreFirstLine", true) +
                             B("rewindOnTheEndOfList", false) + B("independentListPerThread", true)));
  ASSERT_TRUE(c.plan.unsupported.empty());
  ASSERT_FALSE(c.plan.has_errors());
  const Node& e = *c.plan.thread_groups()[0]->elements.at(0);
  ASSERT_EQ(e.kind, ElementKind::kRandomCsvDataSet);
  const CsvDataSet& n = e.As<CsvDataSet>();
  EXPECT_EQ(n.filename.text, "users.csv");
  EXPECT_EQ(n.file_encoding, "ISO-8859-1");
  EXPECT_EQ(n.delimiter, "\t");
  EXPECT_EQ(n.variable_names.text, "id,name");
  EXPECT_TRUE(n.random_order);
  EXPECT_TRUE(n.ignore_first_line);
  EXPECT_TRUE(n.quoted_data);
  EXPECT_FALSE(n.recycle);
  EXPECT_TRUE(n.stop_thread);
  EXPECT_EQ(n.share_mode, CsvDataSet::ShareMode::kThread);
  // Listed as a data file: cluster mode ships it like a CSV Data Set's.
  ASSERT_EQ(c.plan.data_files.size(), 1u);
  EXPECT_EQ(c.plan.data_files[0].filename, "users.csv");
  EXPECT_EQ(c.plan.data_files[0].share_mode, "shareMode.thread");
}

TEST(PlanCompilerDataTest, RandomCsvDataSetDefaults) {
  CompiledPlan c = CompileUnder(RandomCsv(S("filename", "u.csv") + S("delimiter", "")));
  const CsvDataSet& n = c.plan.thread_groups()[0]->elements.at(0)->As<CsvDataSet>();
  EXPECT_EQ(n.delimiter, ",");
  EXPECT_EQ(n.file_encoding, "UTF-8");
  EXPECT_FALSE(n.random_order);
  EXPECT_TRUE(n.stop_thread);
  EXPECT_EQ(n.share_mode, CsvDataSet::ShareMode::kAll);
}

TEST(PlanCompilerDataTest, RandomCsvDataSetWithoutFilenameIsAnError) {
  CompiledPlan c = CompileUnder(RandomCsv(S("filename", "")));
  ASSERT_TRUE(c.plan.has_errors());
  bool named = false;
  for (const Problem& p : c.plan.problems) {
    named |= p.message == "com.blazemeter.jmeter.RandomCSVDataSetConfig 'users': no filename";
  }
  EXPECT_TRUE(named);
}

// JMeter 2.13 runs such a plan (checked): each iteration reads the end of file.
TEST(PlanCompilerDataTest, CsvDataSetWithoutFilenameRunsWithAWarning) {
  CompiledPlan c = CompileUnder("<CSVDataSet testclass=\"CSVDataSet\" testname=\"csv\">" + S("filename", "") +
                                S("variableNames", "a") + "</CSVDataSet>\n<hashTree/>\n");
  EXPECT_TRUE(c.plan.runnable());
  ASSERT_EQ(c.plan.problems.size(), 1u);
  EXPECT_EQ(c.plan.problems[0].message,
            "CSVDataSet 'csv': no filename: every iteration reads the end of file (as in JMeter)");
}

}  // namespace
}  // namespace barrage
