// `barrage inspect` as a user runs it: the real binary on hostile and real-world input.
// Every case asserts the exit code and the exact one-line error ("barrage: PATH:LINE: ...").

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kTimeout{60};
constexpr std::chrono::seconds kCorpusTimeout{10};

// A small plan Barrage can run; NAME is replaced by the TestPlan's name.
constexpr std::string_view kRunnablePlan = R"(<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="5.0">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="NAME" enabled="true"/>
    <hashTree>
      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="Users" enabled="true">
        <stringProp name="ThreadGroup.num_threads">1</stringProp>
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController">
          <stringProp name="LoopController.loops">1</stringProp>
        </elementProp>
      </ThreadGroup>
      <hashTree>
        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="Home" enabled="true">
          <stringProp name="HTTPSampler.domain">127.0.0.1</stringProp>
          <stringProp name="HTTPSampler.path">/</stringProp>
        </HTTPSamplerProxy>
        <hashTree/>
      </hashTree>
    </hashTree>
  </hashTree>
</jmeterTestPlan>
)";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// 1 + the number of newlines before `pos`: the line tinyxml2 counts for that offset.
int LineAt(std::string_view text, size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

class InspectCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-inspect-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Writes `content` to a file in the test's directory and returns its path.
  std::string Write(const std::string& name, std::string_view content) {
    fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(out.good()) << path;
    return path.string();
  }

  static ProcessResult Inspect(const std::string& plan, std::chrono::milliseconds timeout = kTimeout) {
    return RunProcess({BARRAGE_BINARY, "inspect", plan}, timeout);
  }

  fs::path dir_;
};

TEST_F(InspectCliTest, EmptyFileIsAnErrorOnLineOne) {
  std::string plan = Write("empty.jmx", "");
  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ":1: empty file\n");
}

TEST_F(InspectCliTest, BinaryGarbageIsRejectedAtTheLineOfItsFirstNulByte) {
  std::mt19937 random(20240601);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xff);
  for (size_t i = 1000; i < garbage.size(); i += 1000) garbage[i] = '\0';
  std::string plan = Write("garbage.jmx", garbage);

  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  int line = LineAt(garbage, garbage.find('\0'));
  EXPECT_EQ(r.err, "barrage: " + plan + ":" + std::to_string(line) + ": invalid XML: NUL byte (binary data?)\n");
}

TEST_F(InspectCliTest, TruncatedPlanIsRejectedAtTheLineOfTheCutElement) {
  fs::path source = fs::path(BARRAGE_SHARED_DIR) / "jmx-corpus" / "apache__jmeter__SimpleTestPlan.jmx";
  if (!fs::exists(source)) GTEST_SKIP() << source << " is missing (shared folder not present)";
  std::string whole = ReadFile(source);
  // Cut inside the attribute value of the first <stringProp> in the second half.
  constexpr std::string_view kOpen = "<stringProp name=\"";
  size_t element = whole.find(kOpen, whole.size() / 2);
  ASSERT_NE(element, std::string::npos);
  std::string truncated = whole.substr(0, element + kOpen.size() + 3);
  std::string plan = Write("truncated.jmx", truncated);

  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ":" + std::to_string(LineAt(whole, element)) +
                       ": invalid XML: XML_ERROR_PARSING_ATTRIBUTE: XMLElement name=stringProp\n");
}

TEST_F(InspectCliTest, NonJMeterRootIsRejectedAtTheRootLine) {
  std::string plan =
      Write("pom.jmx", "<?xml version=\"1.0\"?>\n<project>\n  <modelVersion>4.0.0</modelVersion>\n</project>\n");
  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "barrage: " + plan + ":2: not a JMeter test plan: root element is <project>, expected <jmeterTestPlan>\n");
}

TEST_F(InspectCliTest, UnterminatedAttributeIsRejectedAtItsElementLine) {
  std::string plan = Write("unterminated.jmx",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n"
                           "  <hashTree>\n"
                           "    <TestPlan testclass=\"TestPlan\" testname=\"unterminated>\n"
                           "    </TestPlan>\n"
                           "    <hashTree/>\n"
                           "  </hashTree>\n"
                           "</jmeterTestPlan>\n");
  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ":4: invalid XML: XML_ERROR_PARSING_ATTRIBUTE: XMLElement name=TestPlan\n");
}

TEST_F(InspectCliTest, FiftyMegabyteAttributeValueIsInspected) {
  const std::string name(50u << 20, 'A');
  std::string text(kRunnablePlan);
  text.replace(text.find("NAME"), 4, name);
  std::string plan = Write("huge-attribute.jmx", text);

  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  const std::string header = "Plan: " + name + "  (" + plan + ")\n";
  ASSERT_GE(r.out.size(), header.size());
  EXPECT_TRUE(r.out.compare(0, header.size(), header) == 0) << "output starts " << r.out.substr(0, 80);
}

TEST_F(InspectCliTest, HundredThousandDeepHashTreesStopAtTheXmlDepthLimit) {
  constexpr int kDepth = 100000;
  std::string text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\">\n";
  for (int i = 0; i < kDepth; ++i) text += "<hashTree>\n";
  for (int i = 0; i < kDepth; ++i) text += "</hashTree>\n";
  text += "</jmeterTestPlan>\n";
  std::string plan = Write("deep.jmx", text);

  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  // tinyxml2 refuses the 100th level (TINYXML2_MAX_ELEMENT_DEPTH, the document counting as
  // the first): <jmeterTestPlan> on line 2 is the 2nd, so the <hashTree> on line 100.
  EXPECT_EQ(r.err,
            "barrage: " + plan + ":100: invalid XML: XML_ELEMENT_DEPTH_EXCEEDED: Element nesting is too deep.\n");
}

TEST_F(InspectCliTest, MissingFileIsNamedInTheError) {
  std::string plan = (dir_ / "no-such-plan.jmx").string();
  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + plan + ": no such file\n");
}

TEST_F(InspectCliTest, DirectoryAsPlanIsRejectedNamingIt) {
  std::string plan = dir_.string();
  ProcessResult r = Inspect(plan);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("barrage: " + plan + ":", 0), 0u) << r.err;
}

TEST_F(InspectCliTest, InspectWithoutPlanPrintsUsage) {
  ProcessResult r = RunProcess({BARRAGE_BINARY, "inspect"}, kTimeout);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "PLAN is required\nRun with --help for more information.\n");
}

// Every real-world plan in the shared corpus: exit 0 exactly when runnable, the --json
// report parses and has the keys CI scripts use, and each run takes under 10 s.
TEST_F(InspectCliTest, EveryCorpusPlanIsInspectedWithinTenSeconds) {
  fs::path corpus = fs::path(BARRAGE_SHARED_DIR) / "jmx-corpus";
  if (!fs::is_directory(corpus)) GTEST_SKIP() << corpus << " is missing (shared folder not present)";
  std::vector<fs::path> plans;
  for (const fs::directory_entry& entry : fs::directory_iterator(corpus)) {
    if (entry.path().extension() == ".jmx") plans.push_back(entry.path());
  }
  std::sort(plans.begin(), plans.end());
  ASSERT_FALSE(plans.empty()) << "no .jmx in " << corpus;

  for (const fs::path& path : plans) {
    SCOPED_TRACE(path.string());
    ProcessResult json_run = RunProcess({BARRAGE_BINARY, "inspect", path.string(), "--json"}, kCorpusTimeout);
    ASSERT_FALSE(json_run.timed_out) << "--json took over " << kCorpusTimeout.count() << " s";
    ASSERT_TRUE(json_run.exit_code == 0 || json_run.exit_code == 2)
        << "exit " << json_run.exit_code << " signal " << json_run.term_signal << "\n"
        << json_run.err;
    nlohmann::json report = nlohmann::json::parse(json_run.out, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(report.is_discarded()) << "not JSON: " << json_run.out.substr(0, 200);
    ASSERT_TRUE(report.is_object());
    for (const char* key : {"thread_groups", "samplers", "data_files", "unsupported", "problems", "runnable"}) {
      EXPECT_TRUE(report.contains(key)) << "missing key " << key;
    }
    ASSERT_TRUE(report["runnable"].is_boolean());
    EXPECT_EQ(json_run.exit_code, report["runnable"].get<bool>() ? 0 : 2);

    ProcessResult text_run = RunProcess({BARRAGE_BINARY, "inspect", path.string()}, kCorpusTimeout);
    ASSERT_FALSE(text_run.timed_out) << "text inspect took over " << kCorpusTimeout.count() << " s";
    EXPECT_EQ(text_run.exit_code, json_run.exit_code) << text_run.err;
    EXPECT_NE(text_run.out.find("Verdict: "), std::string::npos);
  }
}

}  // namespace
}  // namespace barrage
