// The XML and HTML elements as the plan compiler reads them (common/plan_compiler_xml.cc).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileWith;

std::string El(const std::string& cls, const std::string& name, const std::string& props) {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls + "><hashTree/>\n";
}

std::string S(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
std::string B(const std::string& name, bool value) {
  return "<boolProp name=\"" + name + "\">" + (value ? "true" : "false") + "</boolProp>";
}

const Sampler& OnlySampler(const CompiledPlan& c) {
  return c.plan.thread_groups().at(0)->children.at(0)->As<Sampler>();
}

std::string Errors(const CompiledPlan& c) {
  std::string out;
  for (const Problem& p : c.plan.problems) {
    if (p.severity == Problem::Severity::kError) out += p.message + "\n";
  }
  return out;
}

TEST(PlanCompilerXmlTest, XPathExtractorProperties) {
  CompiledPlan c = CompileWith(El("XPathExtractor", "x",
                                  S("XPathExtractor.default", "D") + S("XPathExtractor.refname", "r") +
                                      S("XPathExtractor.xpathQuery", "//a") + B("XPathExtractor.tolerant", true) +
                                      B("XPathExtractor.namespace", true) + B("XPathExtractor.fragment", true) +
                                      S("XPathExtractor.matchNumber", "2") + S("Sample.scope", "variable") +
                                      S("Scope.variable", "in")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& x = OnlySampler(c).scope.post_processors.at(0)->As<XPathExtractor>();
  EXPECT_EQ(x.kind, ElementKind::kXPathExtractor);
  EXPECT_EQ(x.reference_name.text, "r");
  EXPECT_EQ(x.xpath.text, "//a");
  EXPECT_EQ(x.default_value.text, "D");
  EXPECT_EQ(x.match_number.text, "2");
  EXPECT_TRUE(x.parsing.tolerant);
  EXPECT_TRUE(x.parsing.namespaces);
  EXPECT_TRUE(x.fragment);
  EXPECT_EQ(x.scope, SampleScope::kVariable);
  EXPECT_EQ(x.scope_variable.text, "in");
}

TEST(PlanCompilerXmlTest, XPathExtractorMatchNumberDefaultsToAll) {
  CompiledPlan c = CompileWith(El("XPathExtractor", "x", S("XPathExtractor.xpathQuery", "//a")));
  EXPECT_EQ(OnlySampler(c).scope.post_processors.at(0)->As<XPathExtractor>().match_number.text, "-1");
}

TEST(PlanCompilerXmlTest, XPath2ExtractorWithXPath1ExpressionRuns) {
  CompiledPlan c = CompileWith(El("XPath2Extractor", "x2",
                                  S("XPathExtractor2.refname", "r") + S("XPathExtractor2.xpathQuery", "//q:a/@id") +
                                      S("XPathExtractor2.namespaces", "q=urn:q\nz=urn:z")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& x = OnlySampler(c).scope.post_processors.at(0)->As<XPathExtractor>();
  EXPECT_EQ(x.kind, ElementKind::kXPath2Extractor);
  EXPECT_TRUE(x.parsing.namespaces);
  ASSERT_EQ(x.namespaces.size(), 2u);
  EXPECT_EQ(x.namespaces[1].first, "z");
  EXPECT_EQ(x.namespaces[1].second, "urn:z");
}

TEST(PlanCompilerXmlTest, XPath2ExtractorWithXPath2ExpressionIsRefused) {
  CompiledPlan c = CompileWith(
      El("XPath2Extractor", "x2",
         S("XPathExtractor2.refname", "r") + S("XPathExtractor2.xpathQuery", "for $b in //book return $b/title")));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Errors(c),
            "XPath2Extractor 'x2': the expression 'for $b in //book return $b/title' is XPath 2.0 or later; "
            "Barrage runs XPath 1.0 expressions only\n");
}

TEST(PlanCompilerXmlTest, XPath2ExtractorWithoutExpressionIsNotRefused) {  // JMeter only logs at run time
  CompiledPlan c = CompileWith(El("XPath2Extractor", "x2", S("XPathExtractor2.refname", "r")));
  EXPECT_TRUE(c.plan.runnable()) << Errors(c);
}

TEST(PlanCompilerXmlTest, CssExtractorWithUnsupportedSelectorIsRefused) {
  CompiledPlan c = CompileWith(El("HtmlExtractor", "css", S("HtmlExtractor.expr", "a:visited")));
  EXPECT_EQ(Errors(c),
            "HtmlExtractor 'css': Could not parse CSS selector 'a:visited' at position 10: unsupported pseudo-class "
            "':visited'\n");
}

TEST(PlanCompilerXmlTest, CssExtractorWithEmptySelectorRunsWithAWarning) {  // as JMeter 2.13 does
  CompiledPlan c = CompileWith(El("HtmlExtractor", "css", S("HtmlExtractor.expr", " ")));
  EXPECT_TRUE(c.plan.runnable()) << Errors(c);
  ASSERT_EQ(c.plan.problems.size(), 1u);
  EXPECT_EQ(c.plan.problems[0].message,
            "HtmlExtractor 'css': the CSS selector is empty: every extraction fails and the variable gets the default "
            "value (as in JMeter)");
}

TEST(PlanCompilerXmlTest, XPathAssertionProperties) {
  CompiledPlan c = CompileWith(
      El("XPathAssertion", "a",
         B("XPath.negate", true) + S("XPath.xpath", "/r") + B("XPath.whitespace", true) + B("XPath.validate", true)));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& a = OnlySampler(c).scope.assertions.at(0)->As<XPathAssertion>();
  EXPECT_TRUE(a.negate);
  EXPECT_EQ(a.xpath.text, "/r");
  EXPECT_TRUE(a.parsing.whitespace);
  EXPECT_TRUE(a.parsing.validate);
  EXPECT_FALSE(a.parsing.tolerant);
}

}  // namespace
}  // namespace barrage
