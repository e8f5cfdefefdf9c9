#include "controller/elements_command.h"

#include <gtest/gtest.h>

#include <string>

namespace barrage {
namespace {

TEST(ElementsCommandTest, MarkdownRowsComeFromTheClassificationTables) {
  std::string md = RenderElementTable(true);
  EXPECT_EQ(md.rfind("| testclass | status | role | kind or reason | instead |\n|---|---|---|---|---|\n"
                     "| `TestPlan` | supported | test_plan | test_plan |  |\n",
                     0),
            0u)
      << md;
  EXPECT_NE(md.find("| `kg.apc.jmeter.samplers.DummySampler` | supported | sampler | jpgc_dummy_sampler |  |\n"),
            std::string::npos);
  EXPECT_NE(md.find("| `DebugPostProcessor` | ignored | post_processor | debug: its sub-sample only feeds GUI "
                    "listeners |  |\n"),
            std::string::npos);
  EXPECT_NE(md.find("| `BeanShellSampler` | supported | sampler | beanshell_sampler |  |\n"), std::string::npos);
  EXPECT_NE(md.find("| `JSR223Listener` | supported | listener | jsr223_listener |  |\n"), std::string::npos);
}

TEST(ElementsCommandTest, TextRowsAreTabSeparated) {
  std::string text = RenderElementTable(false);
  EXPECT_NE(text.find("unsupported\tconfig\tJavaConfig\tconfigures the Java Request sampler\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ignored\tnon_test\tWorkBench\tGUI only: the WorkBench is not part of the test\n"),
            std::string::npos);
}

}  // namespace
}  // namespace barrage
