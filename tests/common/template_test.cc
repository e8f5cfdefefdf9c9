#include "common/template.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace barrage {
namespace {

using Kind = TemplatePart::Kind;

TEST(TemplateTest, LiteralText) {
  Template t = ParseTemplate("plain text");
  EXPECT_TRUE(t.is_literal());
  ASSERT_EQ(t.parts.size(), 1u);
  EXPECT_EQ(t.parts[0].text, "plain text");
  EXPECT_TRUE(ParseTemplate("").is_literal());
}

TEST(TemplateTest, VariableReferences) {
  Template t = ParseTemplate("/users/${id}/x${n}");
  ASSERT_EQ(t.parts.size(), 4u);
  EXPECT_EQ(t.parts[0].text, "/users/");
  EXPECT_EQ(t.parts[1].kind, Kind::kVariable);
  EXPECT_EQ(t.parts[1].text, "id");
  EXPECT_EQ(t.parts[2].text, "/x");
  EXPECT_EQ(t.parts[3].text, "n");
  EXPECT_FALSE(t.is_literal());
}

TEST(TemplateTest, NestedFunctionCalls) {
  Template t = ParseTemplate("${__Random(1,${__P(max,10)},r)}");
  ASSERT_EQ(t.parts.size(), 1u);
  const TemplatePart& f = t.parts[0];
  EXPECT_EQ(f.kind, Kind::kFunction);
  EXPECT_EQ(f.text, "__Random");
  ASSERT_EQ(f.args.size(), 3u);
  EXPECT_EQ(f.args[0].parts[0].text, "1");
  const TemplatePart& inner = f.args[1].parts.at(0);
  EXPECT_EQ(inner.text, "__P");
  ASSERT_EQ(inner.args.size(), 2u);
  EXPECT_EQ(inner.args[1].parts[0].text, "10");
  EXPECT_EQ(f.args[2].parts[0].text, "r");
}

TEST(TemplateTest, FunctionWithoutArguments) {
  for (const char* s : {"${__threadNum}", "${__UUID()}"}) {
    Template t = ParseTemplate(s);
    ASSERT_EQ(t.parts.size(), 1u) << s;
    EXPECT_EQ(t.parts[0].kind, Kind::kFunction) << s;
    EXPECT_TRUE(t.parts[0].args.empty()) << s;
  }
}

TEST(TemplateTest, EscapedCommaAndBalancedParentheses) {
  Template t = ParseTemplate("${__jexl3(max(1\\,2) > 1,)}");
  ASSERT_EQ(t.parts.size(), 1u);
  ASSERT_EQ(t.parts[0].args.size(), 2u);
  EXPECT_EQ(t.parts[0].args[0].parts[0].text, "max(1,2) > 1");
  EXPECT_TRUE(t.parts[0].args[1].parts.empty());
}

TEST(TemplateTest, IncompleteReferencesStayLiteral) {
  Template t = ParseTemplate("cost: $5 ${unclosed and ${__f(x");
  std::string all;
  for (const auto& p : t.parts) {
    EXPECT_EQ(p.kind, Kind::kText);
    all += p.text;
  }
  EXPECT_EQ(all, "cost: $5 ${unclosed and ${__f(x");
}

TEST(TemplateTest, ManyNestedUnclosedCallsParseInLinearTime) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "${__a(";
  Template t = ParseTemplate(text);  // exponential before: 26 levels took seconds
  ASSERT_EQ(t.parts.size(), 1u);
  EXPECT_EQ(t.parts[0].text, text);
}

int Depth(const Template& t) {
  int deepest = 0;
  for (const TemplatePart& p : t.parts) {
    for (const Template& a : p.args) deepest = std::max(deepest, 1 + Depth(a));
    if (p.kind == Kind::kFunction) deepest = std::max(deepest, 1);
  }
  return deepest;
}

TEST(TemplateTest, CallsNestedBeyondTheLimitStayLiteral) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "${__a(";
  for (int i = 0; i < 20000; ++i) text += ")}";
  Template t = ParseTemplate(text);  // overflowed the stack before
  EXPECT_EQ(Depth(t), 64);           // deeper calls are kept as text inside the 64th
  EXPECT_EQ(Depth(ParseTemplate("${__a(${__b(x)})}")), 2);
}

TEST(TemplateTest, EscapedDollarIsLiteral) {
  Template t = ParseTemplate("\\${notvar}");
  ASSERT_TRUE(t.is_literal());
  EXPECT_EQ(t.parts[0].text, "${notvar}");
}

TEST(TemplateTest, CollectReferencesRecursively) {
  std::set<std::string> vars, fns;
  CollectReferences(ParseTemplate("${a}-${__V(b_${__counter(TRUE,)})}${a}"), &vars, &fns);
  EXPECT_EQ(vars, (std::set<std::string>{"a"}));
  EXPECT_EQ(fns, (std::set<std::string>{"__V", "__counter"}));
}

TEST(TemplateTest, FunctionCatalogue) {
  EXPECT_TRUE(IsSupportedFunction("__Random"));
  EXPECT_TRUE(IsSupportedFunction("__TestPlanName"));
  EXPECT_FALSE(IsSupportedFunction("__groovy"));
  EXPECT_TRUE(IsScriptFunction("__groovy"));
  EXPECT_TRUE(IsScriptFunction("__BeanShell"));
  EXPECT_FALSE(IsScriptFunction("__P"));
}

}  // namespace
}  // namespace barrage
