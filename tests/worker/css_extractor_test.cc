// CSS Selector Extractor (JMeter's HtmlExtractor with JSoup) and the selector matcher
// (common/css_selector.h): selections and values as JSoup 1.x gives them.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/css_selector.h"
#include "common/xml_document.h"
#include "worker/xml_processors.h"

namespace barrage {
namespace {

constexpr char kPage[] =
    "<!DOCTYPE html><html><head><title>Shop</title></head><body>"
    "<div id=\"main\" class=\"box Wide\"><h1>Products <small>(3)</small></h1>"
    "<ul class=\"list\"><li class=\"item first\"><a href=\"/item?id=1\" data-sku=\"x1\">One</a></li>"
    "<li class=\"item\"><a href=\"/item?id=2\" data-sku=\"X2\">Two  \n <b>2</b></a></li>"
    "<li class=\"item last\"><a href=\"/echo?page=3\" data-sku=\"x3\">Three</a></li></ul>"
    "<p>para<br>after break</p><p>second</p></div></body></html>";

// The selected elements' JSoup text, joined by "|".
std::string Texts(const std::string& selector, const std::string& html = kPage) {
  Result<CssSelector> s = CssSelector::Parse(selector);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return "<error>";
  std::unique_ptr<XmlDocument> doc = XmlDocument::ParseHtml(html);
  std::string out;
  for (const auto* e : s->Select(doc->document_node())) out += (out.empty() ? "" : "|") + JsoupText(e);
  return out;
}

TEST(CssSelectorTest, TagIdAndClass) {
  EXPECT_EQ(Texts("title"), "Shop");
  EXPECT_EQ(Texts("#main h1"), "Products (3)");
  EXPECT_EQ(Texts("li.last"), "Three");
  EXPECT_EQ(Texts(".wide > h1 small"), "(3)");  // classes ignore case
}

TEST(CssSelectorTest, AttributeOperators) {
  EXPECT_EQ(Texts("a[data-sku]"), "One|Two 2|Three");
  EXPECT_EQ(Texts("a[data-sku=x2]"), "Two 2");  // values ignore case
  EXPECT_EQ(Texts("a[href^=/item]"), "One|Two 2");
  EXPECT_EQ(Texts("a[href$='=3']"), "Three");
  EXPECT_EQ(Texts("a[href*=\"id=\"]"), "One|Two 2");
  EXPECT_EQ(Texts("a[data-sku!=x1]"), "Two 2|Three");
  EXPECT_EQ(Texts("a[^data-]"), "One|Two 2|Three");
  EXPECT_EQ(Texts("a[href~='id=[12]$']"), "One|Two 2");  // regex found in the value
}

TEST(CssSelectorTest, Combinators) {
  EXPECT_EQ(Texts("ul > li > a"), "One|Two 2|Three");
  EXPECT_EQ(Texts("div > a"), "");
  EXPECT_EQ(Texts("li.first + li"), "Two 2");
  EXPECT_EQ(Texts("li.first ~ li"), "Two 2|Three");
  EXPECT_EQ(Texts("small, title"), "Shop|(3)");  // document order
}

TEST(CssSelectorTest, StructuralPseudoClasses) {
  EXPECT_EQ(Texts("li:eq(1)"), "Two 2");
  EXPECT_EQ(Texts("li:lt(1)"), "One");
  EXPECT_EQ(Texts("li:gt(0)"), "Two 2|Three");
  EXPECT_EQ(Texts("li:first-child"), "One");
  EXPECT_EQ(Texts("li:last-child"), "Three");
  EXPECT_EQ(Texts("li:nth-child(2)"), "Two 2");
  EXPECT_EQ(Texts("li:nth-child(odd)"), "One|Three");
  EXPECT_EQ(Texts("li:nth-child(2n)"), "Two 2");
  EXPECT_EQ(Texts("li:contains(THREE)"), "Three");
  EXPECT_EQ(Texts("li:has(b)"), "Two 2");
}

TEST(CssSelectorTest, TextPutsASpaceBeforeBlocksAndBreaks) { EXPECT_EQ(Texts("div p"), "para after break|second"); }

TEST(CssSelectorTest, UnsupportedSyntaxIsAnError) {
  Result<CssSelector> s = CssSelector::Parse("li:visited");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "Could not parse CSS selector 'li:visited' at position 11: unsupported pseudo-class ':visited'");
  EXPECT_FALSE(CssSelector::Parse("a[href~=(x]").ok());
  EXPECT_FALSE(CssSelector::Parse("").ok());
  EXPECT_FALSE(CssSelector::Parse("li:eq(x)").ok());
}

std::unique_ptr<HtmlExtractor> Extractor(std::string expr, std::string attribute, std::string match,
                                         std::string def = "DEF") {
  auto e = std::make_unique<HtmlExtractor>(ElementKind::kHtmlExtractor);
  e->name = "CSS Selector Extractor";
  e->reference_name = Value::Of("v");
  e->expression = Value::Of(std::move(expr));
  e->attribute = Value::Of(std::move(attribute));
  e->match_number = Value::Of(std::move(match));
  e->default_value = Value::Of(std::move(def));
  return e;
}

class CssExtractorTest : public ::testing::Test {
 protected:
  CssExtractorTest() { ctx_.run = &run_; }
  std::string Var(const std::string& name) {
    const std::string* v = ctx_.vars.Get(name);
    return v != nullptr ? *v : "<unset>";
  }
  void Run(const HtmlExtractor& e, std::string body = kPage) {
    SampleResult r;
    r.body = std::move(body);
    RunHtmlExtractor(e, r, ctx_);
  }
  RunContext run_;
  ThreadContext ctx_;
};

TEST_F(CssExtractorTest, MatchNumberPicksTheNth) {
  Run(*Extractor("a", "href", "2"));
  EXPECT_EQ(Var("v"), "/item?id=2");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(CssExtractorTest, EmptyAttributeGivesText) {
  Run(*Extractor("li a", "", "3"));
  EXPECT_EQ(Var("v"), "Three");
}

TEST_F(CssExtractorTest, MissingAttributeGivesEmptyValue) {
  Run(*Extractor("li a", "title", "1"));
  EXPECT_EQ(Var("v"), "");
}

TEST_F(CssExtractorTest, NegativeMatchNumberGivesAll) {
  Run(*Extractor("a", "data-sku", "-1"));
  EXPECT_EQ(Var("v_matchNr"), "3");
  EXPECT_EQ(Var("v_1"), "x1");
  EXPECT_EQ(Var("v_2"), "X2");
  EXPECT_EQ(Var("v_3"), "x3");
  EXPECT_EQ(Var("v"), "DEF");
  Run(*Extractor("li.first a", "data-sku", "-1"));
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_EQ(Var("v_2"), "<unset>");
  EXPECT_EQ(Var("v_3"), "<unset>");
}

TEST_F(CssExtractorTest, NoMatchKeepsDefault) {
  Run(*Extractor("table", "", "1"));
  EXPECT_EQ(Var("v"), "DEF");
}

// JMeter 2.13 (checked): the extraction fails with a warning; the default stays, and so do
// the variables of an earlier extraction.
TEST_F(CssExtractorTest, EmptySelectorKeepsDefaultAndEarlierMatches) {
  Run(*Extractor("a", "data-sku", "-1"));
  Run(*Extractor("", "", "-1"));
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "3");
  EXPECT_EQ(Var("v_1"), "x1");
}

TEST_F(CssExtractorTest, PastTheEndKeepsDefault) {
  Run(*Extractor("a", "href", "9"));
  EXPECT_EQ(Var("v"), "DEF");
}

TEST_F(CssExtractorTest, EmptyDefaultIsSetOnlyWhenAsked) {
  ctx_.vars.Put("v", "old");
  Run(*Extractor("table", "", "1", ""));
  EXPECT_EQ(Var("v"), "old");
  auto e = Extractor("table", "", "1", "");
  e->default_empty_value = true;
  Run(*e);
  EXPECT_EQ(Var("v"), "");
}

TEST_F(CssExtractorTest, EmptyMatchNumberIsRandom) {
  Run(*Extractor("li.item", "class", ""));
  EXPECT_TRUE(Var("v") == "item first" || Var("v") == "item" || Var("v") == "item last") << Var("v");
}

TEST_F(CssExtractorTest, ScopeVariable) {
  auto e = Extractor("b", "", "1");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("in");
  ctx_.vars.Put("in", "<p>x<b>bold</b></p>");
  Run(*e);
  EXPECT_EQ(Var("v"), "bold");
}

}  // namespace
}  // namespace barrage
