// XPath Extractor, XPath2 Extractor and XPath Assertion: the variables and outcomes
// JMeter's XPathExtractor / XPathAssertion (XPathUtil, 2.13; match number as JMeter 3+)
// produce.
#include "worker/xml_processors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

constexpr char kBooks[] = R"(<?xml version="1.0"?>)"
                          R"(<store><book id="b1" lang="en"><title>Dune</title><price>9.5</price></book>)"
                          R"(<book id="b2"><title>Emma</title><price>4</price></book>)"
                          R"(<empty/><mixed><i>x</i>tail</mixed><!--note--></store>)";

std::unique_ptr<XPathExtractor> Extractor(std::string xpath, std::string match_number = "-1",
                                          ElementKind kind = ElementKind::kXPathExtractor) {
  auto e = std::make_unique<XPathExtractor>(kind);
  e->name = "XPath Extractor";
  e->reference_name = Value::Of("v");
  e->xpath = Value::Of(std::move(xpath));
  e->default_value = Value::Of("DEF");
  e->match_number = Value::Of(std::move(match_number));
  if (kind == ElementKind::kXPath2Extractor) e->parsing.namespaces = true;
  return e;
}

std::unique_ptr<XPathAssertion> Assertion(std::string xpath, bool negate = false) {
  auto a = std::make_unique<XPathAssertion>(ElementKind::kXPathAssertion);
  a->name = "XPath Assertion";
  a->xpath = Value::Of(std::move(xpath));
  a->negate = negate;
  return a;
}

SampleResult Body(std::string body) {
  SampleResult r;
  r.body = std::move(body);
  r.sample.response_code = "200";
  return r;
}

class XmlProcessorsTest : public ::testing::Test {
 protected:
  XmlProcessorsTest() { ctx_.run = &run_; }

  std::string Var(const std::string& name) {
    const std::string* v = ctx_.vars.Get(name);
    return v != nullptr ? *v : "<unset>";
  }
  void Run(const XPathExtractor& e, std::string body) { RunXPathExtractor(e, Body(std::move(body)), ctx_); }
  AssertionResult Check(const XPathAssertion& a, std::string body) {
    return RunXPathAssertion(a, Body(std::move(body)), ctx_);
  }

  RunContext run_;
  ThreadContext ctx_;
};

// ---------------------------------------------------------------------------------------
// XPath Extractor.

TEST_F(XmlProcessorsTest, ElementGivesItsFirstChildText) {
  Run(*Extractor("//title"), kBooks);
  EXPECT_EQ(Var("v"), "Dune");
  EXPECT_EQ(Var("v_1"), "Dune");
  EXPECT_EQ(Var("v_2"), "Emma");
  EXPECT_EQ(Var("v_matchNr"), "2");
  EXPECT_EQ(Var("v_3"), "<unset>");
}

TEST_F(XmlProcessorsTest, AttributeGivesItsValue) {
  Run(*Extractor("/store/book/@id"), kBooks);
  EXPECT_EQ(Var("v"), "b1");
  EXPECT_EQ(Var("v_2"), "b2");
}

TEST_F(XmlProcessorsTest, ElementStartingWithAnElementHasNoValue) {
  Run(*Extractor("//mixed"), kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_1"), "<unset>");
  EXPECT_EQ(Var("v_matchNr"), "1");
}

TEST_F(XmlProcessorsTest, EmptyElementHasNoValue) {
  Run(*Extractor("//empty"), kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "1");
}

TEST_F(XmlProcessorsTest, TextAndCommentNodesGiveTheirText) {
  Run(*Extractor("//mixed/text() | //comment()"), kBooks);
  EXPECT_EQ(Var("v_1"), "tail");
  EXPECT_EQ(Var("v_2"), "note");
}

TEST_F(XmlProcessorsTest, NumberResultPrintsAsXPathString) {
  Run(*Extractor("count(//book)"), kBooks);
  EXPECT_EQ(Var("v"), "2");
  EXPECT_EQ(Var("v_matchNr"), "1");
  Run(*Extractor("sum(//price)"), kBooks);
  EXPECT_EQ(Var("v"), "13.5");
}

TEST_F(XmlProcessorsTest, BooleanAndStringResults) {
  Run(*Extractor("count(//book) = 2"), kBooks);
  EXPECT_EQ(Var("v"), "true");
  Run(*Extractor("concat(//title, '-', //book[2]/@id)"), kBooks);
  EXPECT_EQ(Var("v"), "Dune-b2");
}

TEST_F(XmlProcessorsTest, NoMatchGivesDefaultAndZeroCount) {
  Run(*Extractor("//nothing"), kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(XmlProcessorsTest, FragmentGivesTheElementAsXml) {
  auto e = Extractor("//book[2]");
  e->fragment = true;
  Run(*e, kBooks);
  EXPECT_EQ(Var("v"), R"(<book id="b2"><title>Emma</title><price>4</price></book>)");
}

TEST_F(XmlProcessorsTest, MatchNumberPicksOneMatch) {
  Run(*Extractor("//title", "2"), kBooks);
  EXPECT_EQ(Var("v"), "Emma");
  EXPECT_EQ(Var("v_1"), "Emma");
  EXPECT_EQ(Var("v_matchNr"), "1");
}

TEST_F(XmlProcessorsTest, MatchNumberPastTheEndGivesDefault) {
  Run(*Extractor("//title", "5"), kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(XmlProcessorsTest, MatchNumberZeroPicksOneAtRandom) {
  Run(*Extractor("//title", "0"), kBooks);
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_TRUE(Var("v") == "Dune" || Var("v") == "Emma") << Var("v");
}

TEST_F(XmlProcessorsTest, EarlierIndexedVariablesAreRemoved) {
  Run(*Extractor("//book/@id | //title"), kBooks);
  EXPECT_EQ(Var("v_matchNr"), "4");
  Run(*Extractor("//title[1]"), kBooks);
  EXPECT_EQ(Var("v_matchNr"), "2");
  EXPECT_EQ(Var("v_3"), "<unset>");
  EXPECT_EQ(Var("v_4"), "<unset>");
}

TEST_F(XmlProcessorsTest, UnparsableDocumentLeavesDefaultWithoutCount) {
  ctx_.vars.Put("v_matchNr", "3");
  Run(*Extractor("//title"), "<a><b></a>");
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(XmlProcessorsTest, EmptyBodyDoesNotParse) {
  Run(*Extractor("//title"), "");
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(XmlProcessorsTest, BadExpressionLeavesDefaultWithoutCount) {
  Run(*Extractor("//title["), kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

// JMeter 2.13 (a DOM that is not namespace aware): unprefixed names match whatever the
// default namespace; a prefixed element is named "p:y" and matches neither y nor p:y.
TEST_F(XmlProcessorsTest, WithoutNamespacesDefaultNamespaceIsIgnored) {
  Run(*Extractor("//x"), R"(<r xmlns="urn:a"><x>1</x></r>)");
  EXPECT_EQ(Var("v"), "1");
}

TEST_F(XmlProcessorsTest, WithoutNamespacesPrefixedNamesMatchNothing) {
  const char* doc = R"(<r xmlns:p="urn:p"><p:y>2</p:y></r>)";
  Run(*Extractor("//y"), doc);
  EXPECT_EQ(Var("v_matchNr"), "0");
  Run(*Extractor("//p:y"), doc);
  EXPECT_EQ(Var("v_matchNr"), "0");
  Run(*Extractor("name(/r/*)"), doc);
  EXPECT_EQ(Var("v"), "p:y");
}

TEST_F(XmlProcessorsTest, UndeclaredPrefixIsNotAnError) {  // XML 1.0 well-formed, as for Xerces
  Run(*Extractor("/r/x"), R"(<r><q:y/><x>1</x></r>)");
  EXPECT_EQ(Var("v"), "1");
}

TEST_F(XmlProcessorsTest, WithNamespacesPrefixesOfTheRootResolve) {
  const char* doc = R"(<r xmlns:p="urn:p"><x>1</x><p:y>2</p:y></r>)";
  auto e = Extractor("//p:y");
  e->parsing.namespaces = true;
  Run(*e, doc);
  EXPECT_EQ(Var("v"), "2");
}

TEST_F(XmlProcessorsTest, WithNamespacesDefaultNamespaceMustBeNamed) {
  auto e = Extractor("//x");
  e->parsing.namespaces = true;
  Run(*e, R"(<r xmlns="urn:a"><x>1</x></r>)");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(XmlProcessorsTest, TolerantParsingReadsBrokenMarkup) {
  auto e = Extractor("//p");
  e->parsing.tolerant = true;
  Run(*e, "<html><body><p>one</p><p>two</body></html>");
  EXPECT_EQ(Var("v_1"), "one");
  EXPECT_EQ(Var("v_2"), "two");
}

TEST_F(XmlProcessorsTest, ScopeVariableIsRead) {
  auto e = Extractor("/a/@k");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("input");
  ctx_.vars.Put("input", R"(<a k="from-var"/>)");
  Run(*e, kBooks);
  EXPECT_EQ(Var("v"), "from-var");
}

TEST_F(XmlProcessorsTest, EmptyScopeVariableGivesNoMatch) {
  auto e = Extractor("/a");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("input");
  ctx_.vars.Put("input", "");
  Run(*e, kBooks);
  EXPECT_EQ(Var("v"), "DEF");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(XmlProcessorsTest, XPath2ExtractorTakesTheWholeStringValue) {
  Run(*Extractor("//mixed", "-1", ElementKind::kXPath2Extractor), kBooks);
  EXPECT_EQ(Var("v"), "xtail");
}

TEST_F(XmlProcessorsTest, XPath2ExtractorUsesItsNamespaceList) {
  auto e = Extractor("//q:y", "-1", ElementKind::kXPath2Extractor);
  e->namespaces = {{"q", "urn:p"}};
  Run(*e, R"(<r xmlns:p="urn:p"><p:y>2</p:y></r>)");
  EXPECT_EQ(Var("v"), "2");
}

// ---------------------------------------------------------------------------------------
// XPath Assertion.

TEST_F(XmlProcessorsTest, AssertionPassesWhenNodesMatch) {
  AssertionResult r = Check(*Assertion("//book[@id='b2']"), kBooks);
  EXPECT_FALSE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "");
}

TEST_F(XmlProcessorsTest, AssertionFailsWhenNoNodeMatches) {
  AssertionResult r = Check(*Assertion("//book[@id='b3']"), kBooks);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "No Nodes Matched //book[@id='b3']");
}

TEST_F(XmlProcessorsTest, NegatedAssertionFailsWhenNodesMatch) {
  AssertionResult r = Check(*Assertion("//book", true), kBooks);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Specified XPath was found... Turn off negate if this is not desired");
}

TEST_F(XmlProcessorsTest, NegatedAssertionPassesWithItsMessageWhenNothingMatches) {
  AssertionResult r = Check(*Assertion("//nothing", true), kBooks);
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.message, "No Nodes Matched //nothing");
}

TEST_F(XmlProcessorsTest, BooleanAssertion) {
  EXPECT_FALSE(Check(*Assertion("count(//book) = 2"), kBooks).failure);
  AssertionResult r = Check(*Assertion("count(//book) = 3"), kBooks);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "No Nodes Matched count(//book) = 3");
  EXPECT_FALSE(Check(*Assertion("count(//book) = 2", true), kBooks).failure);  // JMeter ignores negate here
}

TEST_F(XmlProcessorsTest, NumberAssertionIsNotUnderstood) {
  AssertionResult r = Check(*Assertion("count(//book)"), kBooks);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Cannot understand: count(//book)");
}

TEST_F(XmlProcessorsTest, AssertionOnEmptyResponse) {
  AssertionResult r = Check(*Assertion("/"), "");
  EXPECT_TRUE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "Response was null");
}

TEST_F(XmlProcessorsTest, AssertionOnUnparsableResponseIsAnError) {
  AssertionResult r = Check(*Assertion("/"), "not xml");
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.message, "SAXException: Start tag expected, '<' not found");
}

TEST_F(XmlProcessorsTest, AssertionWithBadExpressionIsAnError) {
  AssertionResult r = Check(*Assertion("//book["), kBooks);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.message.rfind("TransformerException: ", 0), 0u) << r.message;
  EXPECT_NE(r.message.find(" for://book["), std::string::npos) << r.message;
}

// ---------------------------------------------------------------------------------------
// MD5Hex, XML and XML Schema Assertions.

TEST_F(XmlProcessorsTest, Md5HexMatchesIgnoringCase) {
  Md5HexAssertion a(ElementKind::kMd5HexAssertion);
  a.md5_hex = Value::Of("5D41402ABC4B2A76B9719D911017C592");  // md5("hello")
  EXPECT_FALSE(RunMd5HexAssertion(a, Body("hello"), ctx_).failure);
}

TEST_F(XmlProcessorsTest, Md5HexMismatchMessage) {
  Md5HexAssertion a(ElementKind::kMd5HexAssertion);
  a.md5_hex = Value::Of("abc");
  AssertionResult r = RunMd5HexAssertion(a, Body("hello"), ctx_);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Error asserting MD5 sum : got 5d41402abc4b2a76b9719d911017c592 but should have been abc");
}

TEST_F(XmlProcessorsTest, Md5HexEmptyBodyAndEmptyExpectation) {
  Md5HexAssertion a(ElementKind::kMd5HexAssertion);
  a.md5_hex = Value::Of("abc");
  EXPECT_EQ(RunMd5HexAssertion(a, Body(""), ctx_).message, "Response was null");
  a.md5_hex = Value::Of("");
  EXPECT_EQ(RunMd5HexAssertion(a, Body("x"), ctx_).message, "MD5Hex to test against is empty");
}

TEST_F(XmlProcessorsTest, XmlAssertion) {
  Node a(ElementKind::kXmlAssertion);
  EXPECT_FALSE(RunXmlAssertion(a, Body(kBooks)).failure);
  AssertionResult bad = RunXmlAssertion(a, Body("<a><b></a>"));
  EXPECT_TRUE(bad.failure);
  EXPECT_EQ(bad.message, "Opening and ending tag mismatch: b line 1 and a");
  EXPECT_EQ(RunXmlAssertion(a, Body("")).message, "Response was null");
}

class XmlSchemaTest : public XmlProcessorsTest {
 protected:
  XmlSchemaTest() {
    // A directory of its own: ctest runs these cases in parallel processes, and a shared
    // books.xsd was truncated by one case while another read it.
    dir_ = temp_.File("");
    dir_.pop_back();
    std::ofstream(dir_ + "/books.xsd") << R"(<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">)"
                                          R"(<xs:element name="book"><xs:complexType><xs:sequence>)"
                                          R"(<xs:element name="title" type="xs:string"/>)"
                                          R"(</xs:sequence></xs:complexType></xs:element></xs:schema>)";
    run_.base_dir = dir_;
    a_.xsd_filename = Value::Of("books.xsd");
  }
  TempDir temp_;
  std::string dir_;
  XmlSchemaAssertion a_{ElementKind::kXmlSchemaAssertion};
};

TEST_F(XmlSchemaTest, ValidDocumentPasses) {
  AssertionResult r = RunXmlSchemaAssertion(a_, Body("<book><title>x</title></book>"), ctx_);
  EXPECT_FALSE(r.failure || r.error) << r.message;
}

TEST_F(XmlSchemaTest, InvalidDocumentFailsWithTheValidatorsMessage) {
  AssertionResult r = RunXmlSchemaAssertion(a_, Body("<book><price>1</price></book>"), ctx_);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "error: Element 'price': This element is not expected. Expected is ( title ).");
}

TEST_F(XmlSchemaTest, MissingSchemaIsAnErrorNamingTheFile) {
  a_.xsd_filename = Value::Of("nope.xsd");
  AssertionResult r = RunXmlSchemaAssertion(a_, Body("<book/>"), ctx_);
  EXPECT_TRUE(r.error);
  std::string path = dir_ + (dir_.back() == '/' ? "" : "/") + "nope.xsd";
  EXPECT_EQ(r.message, path + ": Failed to locate the main schema resource at '" + path + "'.");
}

TEST_F(XmlSchemaTest, FileNameIsRequired) {
  a_.xsd_filename = Value::Of("");
  EXPECT_EQ(RunXmlSchemaAssertion(a_, Body("<book/>"), ctx_).message, "FileName is required");
}

TEST_F(XmlProcessorsTest, HtmlAssertionPassesCleanHtml) {
  HtmlAssertion a(ElementKind::kHtmlAssertion);
  AssertionResult r =
      RunHtmlAssertion(a, Body("<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>"));
  EXPECT_FALSE(r.failure) << r.message;
}

TEST_F(XmlProcessorsTest, HtmlAssertionCountsParserErrorsAgainstTheThreshold) {
  HtmlAssertion a(ElementKind::kHtmlAssertion);
  const char* page = "<html><body><p>x</b></nope></body></html>";  // two unexpected end tags
  AssertionResult r = RunHtmlAssertion(a, Body(page));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Tidy Parser errors:   2 (allowed 0) Tidy Parser warnings: 0 (allowed 0)");
  a.error_threshold = 2;
  EXPECT_FALSE(RunHtmlAssertion(a, Body(page)).failure);
}

TEST_F(XmlProcessorsTest, HtmlAssertionOnEmptyResponse) {
  HtmlAssertion a(ElementKind::kHtmlAssertion);
  EXPECT_EQ(RunHtmlAssertion(a, Body("")).message, "Response was null");
}

}  // namespace
}  // namespace barrage
