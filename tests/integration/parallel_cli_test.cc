// `barrage run` of a plan shaped like jmeter-bzm-plugins' ParallelController.jmx example (a
// bzm Parallel Controller holding two Simple Controllers, each an HTTP request with a
// Response Assertion), against the fixture server: the real binaries, the JTL they write.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/sample.h"
#include "controller/jtl_reader.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;
constexpr std::chrono::seconds kTimeout{20};

std::string Branch(const std::string& controller, const std::string& sampler, const std::string& path) {
  return "<GenericController guiclass=\"LogicControllerGui\" testclass=\"GenericController\" testname=\"" + controller +
         "\" enabled=\"true\"/>\n<hashTree>\n"
         "<HTTPSamplerProxy guiclass=\"HttpTestSampleGui\" testclass=\"HTTPSamplerProxy\" testname=\"" +
         sampler +
         "\" enabled=\"true\">\n"
         "<stringProp name=\"HTTPSampler.path\">" +
         path +
         "</stringProp><stringProp name=\"HTTPSampler.method\">GET</stringProp>\n"
         "</HTTPSamplerProxy>\n<hashTree/>\n"
         "<ResponseAssertion guiclass=\"AssertionGui\" testclass=\"ResponseAssertion\" testname=\"" +
         sampler +
         " Assertion\" enabled=\"true\">\n"
         "<collectionProp name=\"Asserion.test_strings\"><stringProp "
         "name=\"1\">delay_ms</stringProp></collectionProp>\n"
         "<stringProp name=\"Assertion.test_field\">Assertion.response_data</stringProp>\n"
         "<boolProp name=\"Assertion.assume_success\">false</boolProp><intProp "
         "name=\"Assertion.test_type\">2</intProp>\n"
         "</ResponseAssertion>\n<hashTree/>\n</hashTree>\n";
}

std::string Plan(const std::string& base, bool parent_sample) {
  return std::string(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\" "
             "properties=\"3.2\">\n<hashTree>\n"
             "<TestPlan guiclass=\"TestPlanGui\" testclass=\"TestPlan\" testname=\"Test Plan\" enabled=\"true\"/>\n"
             "<hashTree>\n"
             "<ThreadGroup guiclass=\"ThreadGroupGui\" testclass=\"ThreadGroup\" testname=\"Thread Group\" "
             "enabled=\"true\">\n"
             "<stringProp name=\"ThreadGroup.on_sample_error\">continue</stringProp>\n"
             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
             "<boolProp name=\"LoopController.continue_forever\">false</boolProp>"
             "<stringProp name=\"LoopController.loops\">2</stringProp></elementProp>\n"
             "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp>"
             "<stringProp name=\"ThreadGroup.ramp_time\">1</stringProp>\n"
             "</ThreadGroup>\n<hashTree>\n"
             "<com.blazemeter.jmeter.controller.ParallelSampler guiclass=\"com.blazemeter.jmeter.controller."
             "ParallelControllerGui\" testclass=\"com.blazemeter.jmeter.controller.ParallelSampler\" testname=\"bzm - "
             "Parallel Controller\" enabled=\"true\">\n"
             "<boolProp name=\"PARENT_SAMPLE\">") +
         (parent_sample ? "true" : "false") +
         "</boolProp>\n</com.blazemeter.jmeter.controller.ParallelSampler>\n<hashTree>\n" +
         Branch("Home Controller", "Home", base + "/delay/300") +
         Branch("Reserve Controller", "Reserve", base + "/delay/300") + "</hashTree>\n</hashTree>\n</hashTree>\n" +
         "</hashTree>\n</jmeterTestPlan>\n";
}

class ParallelCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-parallel-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Runs the plan; returns the JTL's samples.
  std::vector<Sample> Run(bool parent_sample) {
    fs::path plan = dir_ / "ParallelController.jmx";
    std::ofstream(plan) << Plan(server_->base_url(), parent_sample);
    fs::path jtl = dir_ / "out.jtl";
    ProcessResult r = RunProcess(
        {BARRAGE_BINARY, "run", plan.string(), "-l", jtl.string(), "--db", (dir_ / "results.db").string()}, kTimeout);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    Result<std::vector<Sample>> samples = ReadJtlFile(jtl.string());
    EXPECT_TRUE(samples.ok()) << samples.status().message();
    return samples.ok() ? std::move(samples).value() : std::vector<Sample>{};
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
};

TEST_F(ParallelCliTest, ParentSampleOfTwoConcurrentControllersPerIteration) {
  std::vector<Sample> rows = Run(/*parent_sample=*/true);
  ASSERT_EQ(rows.size(), 2u);
  for (const Sample& s : rows) {
    EXPECT_EQ(s.label, "bzm - Parallel Controller");
    EXPECT_EQ(s.thread_name, "Thread Group 1-1");
    EXPECT_EQ(s.response_code, "200");
    EXPECT_TRUE(s.success) << s.failure_message;
    // Two 300 ms requests at once: about 300 ms, not 600.
    EXPECT_GE(s.elapsed_us, 300000);
    EXPECT_LT(s.elapsed_us, 550000);
  }
  EXPECT_EQ(server_->requests("/delay/300"), 4u);
}

TEST_F(ParallelCliTest, WithoutParentSampleTheBranchSamplesAreRecordedUnderTheirThreadNames) {
  std::vector<Sample> rows = Run(/*parent_sample=*/false);
  ASSERT_EQ(rows.size(), 4u);
  std::vector<std::string> seen;
  for (const Sample& s : rows) {
    EXPECT_TRUE(s.success) << s.failure_message;
    seen.push_back(s.thread_name + " / " + s.label);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "Thread Group 1-1 - bzm - Parallel Controller - Home Controller / Home",
                      "Thread Group 1-1 - bzm - Parallel Controller - Home Controller / Home",
                      "Thread Group 1-1 - bzm - Parallel Controller - Reserve Controller / Reserve",
                      "Thread Group 1-1 - bzm - Parallel Controller - Reserve Controller / Reserve",
                  }));
}

}  // namespace
}  // namespace barrage
