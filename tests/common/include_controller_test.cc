// Include Controllers expanded on the parsed tree, then compiled.
#include "common/include_controller.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

std::string Http(const std::string& name) {
  return "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"" + name +
         "\"><stringProp name=\"HTTPSampler.path\">/" + name + "</stringProp></HTTPSamplerProxy><hashTree/>\n";
}
std::string Include(const std::string& name, const std::string& path, bool enabled = true) {
  return "<IncludeController testclass=\"IncludeController\" testname=\"" + name + "\" enabled=\"" +
         (enabled ? "true" : "false") + "\"><stringProp name=\"IncludeController.includepath\">" + path +
         "</stringProp></IncludeController><hashTree/>\n";
}
std::string Fragment(const std::string& children) {
  return "<TestFragmentController testclass=\"TestFragmentController\" testname=\"frag\" enabled=\"false\"/>\n"
         "<hashTree>" +
         children + "</hashTree>\n";
}
std::string Plan(const std::string& body) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n<hashTree>\n" +
         body + "</hashTree></hashTree></jmeterTestPlan>\n";
}
std::string Group(const std::string& children) {
  return "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"><stringProp name=\"ThreadGroup.num_threads\">1"
         "</stringProp><elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
         "<stringProp name=\"LoopController.loops\">1</stringProp></elementProp></ThreadGroup>\n<hashTree>" +
         children + "</hashTree>\n";
}

class IncludeControllerTest : public ::testing::Test {
 protected:
  // Expands and compiles `main`; the files the reader knows are `files_`.
  CompiledPlan Load(const std::string& main) {
    Result<HashTree> tree = ParseJmx(main, "main.jmx");
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    expansion_ = ExpandIncludeControllers(*tree, [this](const std::string& path) {
      reads_.push_back(path);
      auto it = files_.find(path);
      if (it == files_.end()) return Result<std::string>(Status::NotFound(path + ": no such file"));
      return Result<std::string>(it->second);
    });
    return CompilePlan(std::move(tree).value());
  }
  static std::vector<std::string> SamplerNames(const Node& n) {
    std::vector<std::string> out;
    for (const auto& c : n.children) {
      if (c->category() == Category::kSampler) out.push_back(c->name);
      for (const std::string& s : SamplerNames(*c)) out.push_back(s);
    }
    return out;
  }

  std::map<std::string, std::string> files_;
  std::vector<std::string> reads_;
  IncludeExpansion expansion_;
};

TEST_F(IncludeControllerTest, IncludesTheChildrenOfTheTestFragment) {
  files_["inc.jmx"] = Plan(Fragment(Http("i1") + Http("i2")) + Group(Http("not-included")));
  CompiledPlan c = Load(Plan(Group(Http("a") + Include("inc", "inc.jmx") + Http("b"))));
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_TRUE(expansion_.problems.empty());
  EXPECT_EQ(expansion_.files, std::vector<std::string>{"inc.jmx"});
  ASSERT_EQ(c.plan.thread_groups().size(), 1u);
  const Node& tg = *c.plan.thread_groups()[0];
  EXPECT_EQ(SamplerNames(tg), (std::vector<std::string>{"a", "i1", "i2", "b"}));
  EXPECT_EQ(tg.children[1]->kind, ElementKind::kSimpleController);
  EXPECT_EQ(tg.children[1]->name, "inc");
}

TEST_F(IncludeControllerTest, MissingFileIsAnErrorNamingIt) {
  CompiledPlan c = Load(Plan(Group(Include("inc", "missing.jmx"))));
  ASSERT_EQ(expansion_.problems.size(), 1u);
  EXPECT_EQ(expansion_.problems[0].severity, Problem::Severity::kError);
  EXPECT_EQ(expansion_.problems[0].message,
            "Include Controller 'inc': cannot read the included plan missing.jmx: missing.jmx: no such file");
}

TEST_F(IncludeControllerTest, FileWithoutTestFragmentIncludesNothing) {
  files_["plain.jmx"] = Plan(Group(Http("x")));
  CompiledPlan c = Load(Plan(Group(Include("inc", "plain.jmx") + Http("b"))));
  ASSERT_EQ(expansion_.problems.size(), 1u);
  EXPECT_EQ(expansion_.problems[0].severity, Problem::Severity::kWarning);
  EXPECT_EQ(SamplerNames(*c.plan.thread_groups()[0]), std::vector<std::string>{"b"});
}

TEST_F(IncludeControllerTest, NotAPlanIsAnError) {
  files_["bad.jmx"] = "not xml";
  Load(Plan(Group(Include("inc", "bad.jmx"))));
  ASSERT_EQ(expansion_.problems.size(), 1u);
  EXPECT_EQ(expansion_.problems[0].severity, Problem::Severity::kError);
  EXPECT_EQ(expansion_.problems[0].message.rfind("Include Controller 'inc': the included file is not a plan: ", 0), 0u);
}

TEST_F(IncludeControllerTest, EmptyPathAndDisabledControllersReadNothing) {
  CompiledPlan c = Load(Plan(Group(Include("empty", " ") + Include("off", "x.jmx", false) + Http("b"))));
  EXPECT_TRUE(reads_.empty());
  EXPECT_TRUE(expansion_.problems.empty());
  EXPECT_TRUE(c.plan.runnable());
}

TEST_F(IncludeControllerTest, IncludedFilesMayIncludeOthers) {
  files_["outer.jmx"] = Plan(Fragment(Http("o") + Include("deeper", "inner.jmx")));
  files_["inner.jmx"] = Plan(Fragment(Http("i")));
  CompiledPlan c = Load(Plan(Group(Include("inc", "outer.jmx"))));
  EXPECT_TRUE(expansion_.problems.empty());
  EXPECT_EQ(expansion_.files, (std::vector<std::string>{"outer.jmx", "inner.jmx"}));
  EXPECT_EQ(SamplerNames(*c.plan.thread_groups()[0]), (std::vector<std::string>{"o", "i"}));
}

TEST_F(IncludeControllerTest, AFileIncludingItselfIsAnError) {
  files_["loop.jmx"] = Plan(Fragment(Http("l") + Include("again", "loop.jmx")));
  Load(Plan(Group(Include("inc", "loop.jmx"))));
  ASSERT_EQ(expansion_.problems.size(), 1u);
  EXPECT_EQ(expansion_.problems[0].message,
            "Include Controller 'again': loop.jmx includes itself (directly or through other files)");
}

}  // namespace
}  // namespace barrage
