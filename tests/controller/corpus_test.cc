// Inspects real plans from the shared corpus and compares with counts made by hand
// (tests/data/corpus_expected.tsv, explained per file in corpus_expected.md).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "controller/inspect.h"

namespace barrage {
namespace {

struct Expected {
  std::string file;
  size_t thread_groups, samplers, unsupported, data_files;
  std::string unsupported_classes;  // comma-separated, document order, "-" for none
};

std::vector<Expected> LoadExpected() {
  std::ifstream in(std::string(BARRAGE_TEST_DATA_DIR) + "/corpus_expected.tsv");
  std::vector<Expected> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Expected e;
    std::string tg, s, u, d;
    std::getline(fields, e.file, '\t');
    std::getline(fields, tg, '\t');
    std::getline(fields, s, '\t');
    std::getline(fields, u, '\t');
    std::getline(fields, d, '\t');
    std::getline(fields, e.unsupported_classes, '\t');
    e.thread_groups = std::stoul(tg);
    e.samplers = std::stoul(s);
    e.unsupported = std::stoul(u);
    e.data_files = std::stoul(d);
    rows.push_back(e);
  }
  return rows;
}

class CorpusTest : public ::testing::TestWithParam<Expected> {};

TEST_P(CorpusTest, MatchesHandCount) {
  const Expected& want = GetParam();
  const std::string path = std::string(BARRAGE_SHARED_DIR) + "/jmx-corpus/" + want.file;
  if (!std::ifstream(path)) GTEST_SKIP() << "shared corpus not found: " << path;
  Result<HashTree> tree = ParseJmxFile(path);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  nlohmann::json r = BuildInspectReport(CompilePlan(std::move(tree).value()));
  EXPECT_EQ(r["thread_groups"].size(), want.thread_groups);
  EXPECT_EQ(r["samplers"].size(), want.samplers);
  EXPECT_EQ(r["unsupported"].size(), want.unsupported);
  EXPECT_EQ(r["data_files"].size(), want.data_files);
  std::string classes;
  for (const auto& u : r["unsupported"]) {
    classes += (classes.empty() ? "" : ",") + u["testclass"].get<std::string>();
  }
  EXPECT_EQ(classes.empty() ? "-" : classes, want.unsupported_classes);
  // A plan with unsupported elements is never runnable.
  if (want.unsupported > 0) {
    EXPECT_FALSE(r["runnable"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(HandCounted, CorpusTest, ::testing::ValuesIn(LoadExpected()),
                         [](const ::testing::TestParamInfo<Expected>& param) {
                           std::string name;
                           for (char c : param.param.file)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(CorpusExpectationsTest, AtLeastTenFilesAreHandCounted) { EXPECT_GE(LoadExpected().size(), 10u); }

}  // namespace
}  // namespace barrage
