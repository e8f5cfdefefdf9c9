// Regular Expression Extractor and Boundary Extractor: the variables they leave, as
// JMeter's RegexExtractor/BoundaryExtractor set them (regex cases checked on JMeter 2.13).
#include "worker/extractors.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "worker/processors.h"

namespace barrage {
namespace {

std::unique_ptr<RegexExtractor> Regex(std::string ref, std::string regex, std::string tmpl, std::string match_number,
                                      std::string default_value = "") {
  auto e = std::make_unique<RegexExtractor>(ElementKind::kRegexExtractor);
  e->name = "Regular Expression Extractor";
  e->reference_name = Value::Of(std::move(ref));
  e->regex = Value::Of(std::move(regex));
  e->template_ = Value::Of(std::move(tmpl));
  e->match_number = Value::Of(std::move(match_number));
  e->default_value = Value::Of(std::move(default_value));
  return e;
}

std::unique_ptr<BoundaryExtractor> Boundary(std::string ref, std::string left, std::string right,
                                            std::string match_number, std::string default_value = "") {
  auto e = std::make_unique<BoundaryExtractor>(ElementKind::kBoundaryExtractor);
  e->name = "Boundary Extractor";
  e->reference_name = Value::Of(std::move(ref));
  e->left_boundary = Value::Of(std::move(left));
  e->right_boundary = Value::Of(std::move(right));
  e->match_number = Value::Of(std::move(match_number));
  e->default_value = Value::Of(std::move(default_value));
  return e;
}

SampleResult Body(std::string body) {
  SampleResult r;
  r.body = std::move(body);
  r.sample.response_code = "200";
  r.sample.response_message = "OK";
  return r;
}

SampleResult Http() {
  SampleResult r;
  r.method = "GET";
  r.sample.url = "http://127.0.0.1:8080/items?id=42";
  r.sample.response_code = "302";
  r.sample.response_message = "Found";
  r.response_headers = "HTTP/1.1 302 Found\r\nLocation: /next?t=abc\r\nX-Id: 7\r\n\r\n";
  r.request_headers = "Host: 127.0.0.1:8080\nCookie: sid=s1\nX-Req: r9";
  r.body = "<a href=\"/x?a=1&amp;b=2\">go</a>";
  return r;
}

class ExtractorsTest : public ::testing::Test {
 protected:
  ExtractorsTest() { ctx_.run = &run_; }
  std::string Var(const std::string& name) {
    const std::string* v = ctx_.vars.Get(name);
    return v != nullptr ? *v : "<unset>";
  }
  bool Has(const std::string& name) { return ctx_.vars.Get(name) != nullptr; }
  void Run(const RegexExtractor& e, const SampleResult& r) { RunRegexExtractor(e, r, ctx_); }
  void Run(const BoundaryExtractor& e, const SampleResult& r) { RunBoundaryExtractor(e, r, ctx_); }

  RunContext run_;
  ThreadContext ctx_;
};

const char kIds[] = "id=1;id=22;id=333; k=v";

// ---------------------------------------------------------------------------------------
// Regular Expression Extractor: templates and groups.

TEST_F(ExtractorsTest, RegexFirstMatchSetsTheTemplateAndGroups) {
  Run(*Regex("id", "id=(\\d+)", "$1$", "1"), Body(kIds));
  EXPECT_EQ(Var("id"), "1");
  EXPECT_EQ(Var("id_g"), "1");
  EXPECT_EQ(Var("id_g0"), "id=1");
  EXPECT_EQ(Var("id_g1"), "1");
  EXPECT_FALSE(Has("id_matchNr"));
}

TEST_F(ExtractorsTest, RegexTemplateMixesTextAndGroups) {
  Run(*Regex("kv", "(\\w+)=(\\w+)", "$2$ of $1$ [$0$]", "4"), Body(kIds));
  EXPECT_EQ(Var("kv"), "v of k [k=v]");
}

TEST_F(ExtractorsTest, RegexMissingOrNonParticipatingGroupIsTheTextNull) {
  // JMeter 2.13: "1-null-null"; the group that did not take part is not set.
  Run(*Regex("a", "id=(\\d+)(x)?", "$1$-$2$-$3$", "1"), Body(kIds));
  EXPECT_EQ(Var("a"), "1-null-null");
  EXPECT_EQ(Var("a_g"), "2");
  EXPECT_FALSE(Has("a_g2"));
}

TEST_F(ExtractorsTest, RegexTemplateOddDollarsStayLiteral) {
  Run(*Regex("f", "id=(\\d+)", "$1$$$1$", "2"), Body(kIds));
  EXPECT_EQ(Var("f"), "22$22");
  Run(*Regex("h", "id=(\\d+)", "$1", "1"), Body(kIds));
  EXPECT_EQ(Var("h"), "$1");
}

TEST_F(ExtractorsTest, RegexEmptyTemplateGivesEmptyValue) {
  Run(*Regex("g", "id=(\\d+)", "", "1"), Body(kIds));
  EXPECT_EQ(Var("g"), "");
  EXPECT_EQ(Var("g_g1"), "1");
}

TEST_F(ExtractorsTest, RegexFewerGroupsThanBeforeRemovesTheStaleOnes) {
  Run(*Regex("x", "(i)(d)=(\\d+)", "$3$", "1"), Body(kIds));
  EXPECT_EQ(Var("x_g3"), "1");
  Run(*Regex("x", "id=(\\d+)", "$1$", "1"), Body(kIds));
  EXPECT_EQ(Var("x_g"), "1");
  EXPECT_FALSE(Has("x_g2"));
  EXPECT_FALSE(Has("x_g3"));
}

// ---------------------------------------------------------------------------------------
// Regular Expression Extractor: match numbers and defaults.

TEST_F(ExtractorsTest, RegexNthMatch) {
  Run(*Regex("id", "id=(\\d+)", "$1$", "3"), Body(kIds));
  EXPECT_EQ(Var("id"), "333");
  EXPECT_EQ(Var("id_g0"), "id=333");
}

TEST_F(ExtractorsTest, RegexMatchNumberIsEvaluatedAndTrimmed) {
  ctx_.vars.Put("n", " 2 ");
  Run(*Regex("id", "id=(\\d+)", "$1$", "${n}"), Body(kIds));
  EXPECT_EQ(Var("id"), "22");
}

TEST_F(ExtractorsTest, RegexMatchNumberBeyondTheMatchesGivesTheDefaultAndNoGroups) {
  Run(*Regex("id", "id=(\\d+)", "$1$", "1"), Body(kIds));
  Run(*Regex("id", "id=(\\d+)", "$1$", "7", "DEF"), Body(kIds));
  EXPECT_EQ(Var("id"), "DEF");
  EXPECT_FALSE(Has("id_g"));
  EXPECT_FALSE(Has("id_g0"));
  EXPECT_FALSE(Has("id_g1"));
}

TEST_F(ExtractorsTest, RegexRandomMatchPicksAmongAllMatches) {
  std::set<std::string> seen;
  for (int seed = 0; seed < 50; ++seed) {
    ctx_.rng.seed(static_cast<uint64_t>(seed));
    Run(*Regex("id", "id=(\\d+)", "$1$", "0"), Body(kIds));
    seen.insert(Var("id"));
    EXPECT_EQ(Var("id_g0"), "id=" + Var("id"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"1", "22", "333"}));
}

TEST_F(ExtractorsTest, RegexEmptyOrInvalidMatchNumberMeansRandom) {
  for (const char* number : {"", "abc"}) {
    Run(*Regex("id", "id=(\\d+)", "$1$", number), Body(kIds));
    EXPECT_TRUE(Var("id") == "1" || Var("id") == "22" || Var("id") == "333") << number;
  }
}

TEST_F(ExtractorsTest, RegexNoMatchSetsTheDefault) {
  ctx_.vars.Put("id", "old");
  Run(*Regex("id", "nomatch(\\d+)", "$1$", "1", "NOT_FOUND"), Body(kIds));
  EXPECT_EQ(Var("id"), "NOT_FOUND");
}

TEST_F(ExtractorsTest, RegexNoMatchWithoutDefaultKeepsThePreviousValue) {
  ctx_.vars.Put("id", "old");
  Run(*Regex("id", "nomatch(\\d+)", "$1$", "1"), Body(kIds));
  EXPECT_EQ(Var("id"), "old");
}

TEST_F(ExtractorsTest, RegexEmptyDefaultValueClearsTheVariable) {
  ctx_.vars.Put("id", "old");
  auto e = Regex("id", "nomatch(\\d+)", "$1$", "1");
  e->default_empty_value = true;
  Run(*e, Body(kIds));
  EXPECT_EQ(Var("id"), "");
}

TEST_F(ExtractorsTest, RegexInvalidPatternSetsOnlyTheDefault) {
  ctx_.vars.Put("c_matchNr", "2");
  ctx_.vars.Put("c_1", "stale");
  Run(*Regex("c", "(", "$1$", "-1", "DEF"), Body(kIds));
  EXPECT_EQ(Var("c"), "DEF");
  EXPECT_EQ(Var("c_matchNr"), "2");
  EXPECT_EQ(Var("c_1"), "stale");
}

TEST_F(ExtractorsTest, RegexAllMatchesSetsNumberedVariables) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body(kIds));
  EXPECT_EQ(Var("b_matchNr"), "3");
  EXPECT_EQ(Var("b_1"), "1");
  EXPECT_EQ(Var("b_2"), "22");
  EXPECT_EQ(Var("b_3"), "333");
  EXPECT_EQ(Var("b_3_g"), "1");
  EXPECT_EQ(Var("b_3_g0"), "id=333");
  EXPECT_EQ(Var("b_3_g1"), "333");
  EXPECT_FALSE(Has("b"));
  EXPECT_FALSE(Has("b_g"));
}

TEST_F(ExtractorsTest, RegexAllMatchesPutsTheDefaultInTheBareName) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1", "DEF"), Body(kIds));
  EXPECT_EQ(Var("b"), "DEF");
}

TEST_F(ExtractorsTest, RegexAllMatchesRemovesAnEarlierSingleMatchsGroups) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "1"), Body(kIds));
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body(kIds));
  EXPECT_FALSE(Has("b_g"));
  EXPECT_FALSE(Has("b_g0"));
  EXPECT_FALSE(Has("b_g1"));
  EXPECT_EQ(Var("b"), "1");  // the bare name itself is left alone
}

TEST_F(ExtractorsTest, RegexAllMatchesRemovesStaleNumberedVariables) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body(kIds));
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body("id=9"));
  EXPECT_EQ(Var("b_matchNr"), "1");
  EXPECT_EQ(Var("b_1"), "9");
  for (const char* gone : {"b_2", "b_2_g", "b_2_g0", "b_2_g1", "b_3", "b_3_g1"}) {
    EXPECT_FALSE(Has(gone)) << gone;
  }
}

TEST_F(ExtractorsTest, RegexAllMatchesWithNoMatchSetsZero) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body(kIds));
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body("nothing"));
  EXPECT_EQ(Var("b_matchNr"), "0");
  EXPECT_FALSE(Has("b_1"));
  EXPECT_FALSE(Has("b_1_g1"));
}

TEST_F(ExtractorsTest, RegexSingleMatchAfterAllMatchesRemovesTheList) {
  Run(*Regex("b", "id=(\\d+)", "$1$", "-1"), Body(kIds));
  Run(*Regex("b", "id=(\\d+)", "$1$", "1"), Body(kIds));
  EXPECT_EQ(Var("b"), "1");
  EXPECT_FALSE(Has("b_matchNr"));
  EXPECT_FALSE(Has("b_1"));
  EXPECT_FALSE(Has("b_3_g0"));
}

TEST_F(ExtractorsTest, RegexEmptyMatchesFollowOro) {
  // JMeter 2.13 on "a1b22c": "", "1", "22", "" (no empty match where a match ended).
  Run(*Regex("w", "\\d*", "[$0$]", "-1"), Body("a1b22c"));
  EXPECT_EQ(Var("w_matchNr"), "4");
  EXPECT_EQ(Var("w_1"), "[]");
  EXPECT_EQ(Var("w_2"), "[1]");
  EXPECT_EQ(Var("w_3"), "[22]");
  EXPECT_EQ(Var("w_4"), "[]");
}

TEST_F(ExtractorsTest, RegexEmptyMatchAtEveryPosition) {
  Run(*Regex("q", "x*", "[$0$]", "-1"), Body("a1b22c"));
  EXPECT_EQ(Var("q_matchNr"), "7");
  EXPECT_EQ(Var("q_7"), "[]");
  EXPECT_EQ(Var("q_7_g"), "0");
  EXPECT_EQ(Var("q_7_g0"), "");
}

TEST_F(ExtractorsTest, RegexIsEvaluatedPerVirtualUser) {
  ctx_.vars.Put("key", "k");
  Run(*Regex("v", "${key}=(\\w)", "$1$", "1"), Body(kIds));
  EXPECT_EQ(Var("v"), "v");
}

TEST_F(ExtractorsTest, RegexDotDoesNotMatchANewline) {
  Run(*Regex("t", "<t>(.*)</t>", "$1$", "1", "NONE"), Body("<t>a\nb</t>"));
  EXPECT_EQ(Var("t"), "NONE");
  Run(*Regex("t", "(?s)<t>(.*)</t>", "$1$", "1"), Body("<t>a\nb</t>"));
  EXPECT_EQ(Var("t"), "a\nb");
}

// ---------------------------------------------------------------------------------------
// Regular Expression Extractor: fields.

std::unique_ptr<RegexExtractor> On(std::string field, std::string regex) {
  auto e = Regex("v", std::move(regex), "$1$", "1", "NONE");
  e->use_field = std::move(field);
  return e;
}

TEST_F(ExtractorsTest, RegexBodyIsTheDefaultField) {
  Run(*On("false", "href=\"([^\"]+)\""), Http());
  EXPECT_EQ(Var("v"), "/x?a=1&amp;b=2");
}

TEST_F(ExtractorsTest, RegexUnescapedBody) {
  Run(*On("unescaped", "href=\"([^\"]+)\""), Http());
  EXPECT_EQ(Var("v"), "/x?a=1&b=2");
}

TEST_F(ExtractorsTest, RegexBodyAsDocumentReadsTheBody) {
  Run(*On("as_document", ">(\\w+)<"), Http());
  EXPECT_EQ(Var("v"), "go");
}

TEST_F(ExtractorsTest, RegexResponseHeadersHaveNoCarriageReturn) {
  Run(*On("true", "Location: (.*)"), Http());
  EXPECT_EQ(Var("v"), "/next?t=abc");
}

TEST_F(ExtractorsTest, RegexFieldNamesIgnoreCase) {
  Run(*On("TRUE", "X-Id: (\\d+)"), Http());
  EXPECT_EQ(Var("v"), "7");
}

TEST_F(ExtractorsTest, RegexRequestHeadersWithoutCookie) {
  Run(*On("request_headers", "X-Req: (\\w+)"), Http());
  EXPECT_EQ(Var("v"), "r9");
  Run(*On("request_headers", "sid=(\\w+)"), Http());
  EXPECT_EQ(Var("v"), "NONE");
}

TEST_F(ExtractorsTest, RegexUrl) {
  Run(*On("URL", "id=(\\d+)"), Http());
  EXPECT_EQ(Var("v"), "42");
}

TEST_F(ExtractorsTest, RegexResponseCode) {
  Run(*On("code", "(3\\d\\d)"), Http());
  EXPECT_EQ(Var("v"), "302");
}

TEST_F(ExtractorsTest, RegexResponseMessage) {
  Run(*On("message", "(F\\w+)"), Http());
  EXPECT_EQ(Var("v"), "Found");
}

TEST_F(ExtractorsTest, RegexUnknownFieldReadsTheBody) {
  Run(*On("something", ">(\\w+)<"), Http());
  EXPECT_EQ(Var("v"), "go");
}

// ---------------------------------------------------------------------------------------
// Regular Expression Extractor: scopes.

SampleResult Parent() {
  SampleResult r = Body("id=0");
  r.sub_results.push_back(Body("id=1 id=2"));
  r.sub_results.push_back(Body("id=3"));
  return r;
}

TEST_F(ExtractorsTest, RegexParentScopeReadsOnlyTheMainSample) {
  Run(*Regex("v", "id=(\\d)", "$1$", "-1"), Parent());
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_EQ(Var("v_1"), "0");
}

TEST_F(ExtractorsTest, RegexChildrenScopeReadsOnlySubSamples) {
  auto e = Regex("v", "id=(\\d)", "$1$", "-1");
  e->scope = SampleScope::kChildren;
  Run(*e, Parent());
  EXPECT_EQ(Var("v_matchNr"), "3");
  EXPECT_EQ(Var("v_1"), "1");
  EXPECT_EQ(Var("v_3"), "3");
}

TEST_F(ExtractorsTest, RegexAllScopeReadsTheMainSampleFirst) {
  auto e = Regex("v", "id=(\\d)", "$1$", "-1");
  e->scope = SampleScope::kAll;
  Run(*e, Parent());
  EXPECT_EQ(Var("v_matchNr"), "4");
  EXPECT_EQ(Var("v_1"), "0");
  EXPECT_EQ(Var("v_4"), "3");
}

TEST_F(ExtractorsTest, RegexMatchNumberCountsAcrossSamples) {
  auto e = Regex("v", "id=(\\d)", "$1$", "3");
  e->scope = SampleScope::kAll;
  Run(*e, Parent());
  EXPECT_EQ(Var("v"), "2");
}

TEST_F(ExtractorsTest, RegexVariableScopeReadsTheVariable) {
  auto e = Regex("v", "id=(\\d)", "$1$", "1");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("src");
  ctx_.vars.Put("src", "id=5");
  Run(*e, Parent());
  EXPECT_EQ(Var("v"), "5");
}

TEST_F(ExtractorsTest, RegexVariableScopeCanOverwriteItsSource) {
  auto e = Regex("src", "id=(\\d)", "$1$", "1");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("src");
  ctx_.vars.Put("src", "id=5");
  Run(*e, Parent());
  EXPECT_EQ(Var("src"), "5");
  EXPECT_EQ(Var("src_g0"), "id=5");
}

TEST_F(ExtractorsTest, RegexVariableScopeWithAnUnsetVariableFindsNothing) {
  auto e = Regex("v", "id=(\\d)", "$1$", "-1");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("unset");
  Run(*e, Parent());
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(ExtractorsTest, RegexRunsThroughTheDispatcher) {
  RunPostProcessor(*Regex("id", "id=(\\d+)", "$1$", "2"), Body(kIds), ctx_);
  EXPECT_EQ(Var("id"), "22");
}

TEST_F(ExtractorsTest, RegexSharedNodeOnSeveralThreads) {
  // One plan node, one compiled pattern per thread, one context per virtual user.
  auto e = Regex("id", "id=(\\d+)", "$1$", "-1");
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RunContext run;
      ThreadContext ctx;
      ctx.run = &run;
      for (int i = 0; i < 200; ++i) RunRegexExtractor(*e, Body(kIds), ctx);
      results[static_cast<size_t>(t)] = *ctx.vars.Get("id_3");
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& r : results) EXPECT_EQ(r, "333");
}

// ---------------------------------------------------------------------------------------
// Boundary Extractor.

const char kLinks[] = "<a>1</a><a>22</a><a>333</a>";

TEST_F(ExtractorsTest, BoundaryFirstMatch) {
  Run(*Boundary("v", "<a>", "</a>", "1"), Body(kLinks));
  EXPECT_EQ(Var("v"), "1");
  EXPECT_FALSE(Has("v_g"));
}

TEST_F(ExtractorsTest, BoundaryNthMatch) {
  Run(*Boundary("v", "<a>", "</a>", "3"), Body(kLinks));
  EXPECT_EQ(Var("v"), "333");
}

TEST_F(ExtractorsTest, BoundaryNthBeyondTheMatchesGivesTheDefault) {
  Run(*Boundary("v", "<a>", "</a>", "4", "DEF"), Body(kLinks));
  EXPECT_EQ(Var("v"), "DEF");
}

TEST_F(ExtractorsTest, BoundaryRandomMatch) {
  std::set<std::string> seen;
  for (int seed = 0; seed < 50; ++seed) {
    ctx_.rng.seed(static_cast<uint64_t>(seed));
    Run(*Boundary("v", "<a>", "</a>", "0"), Body(kLinks));
    seen.insert(Var("v"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"1", "22", "333"}));
}

TEST_F(ExtractorsTest, BoundaryAllMatches) {
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body(kLinks));
  EXPECT_EQ(Var("v_matchNr"), "3");
  EXPECT_EQ(Var("v_1"), "1");
  EXPECT_EQ(Var("v_2"), "22");
  EXPECT_EQ(Var("v_3"), "333");
  EXPECT_FALSE(Has("v"));
}

TEST_F(ExtractorsTest, BoundaryAllMatchesRemovesStaleOnes) {
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body(kLinks));
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body("<a>x</a>"));
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_EQ(Var("v_1"), "x");
  EXPECT_FALSE(Has("v_2"));
  EXPECT_FALSE(Has("v_3"));
}

TEST_F(ExtractorsTest, BoundarySingleMatchAfterAllMatchesRemovesTheList) {
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body(kLinks));
  Run(*Boundary("v", "<a>", "</a>", "2"), Body(kLinks));
  EXPECT_EQ(Var("v"), "22");
  EXPECT_FALSE(Has("v_matchNr"));
  EXPECT_FALSE(Has("v_1"));
}

TEST_F(ExtractorsTest, BoundaryAllMatchesWithNoneSetsZero) {
  Run(*Boundary("v", "<b>", "</b>", "-1"), Body(kLinks));
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(ExtractorsTest, BoundaryMatchesMayOverlap) {
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body("<a>1<a>2</a>"));
  EXPECT_EQ(Var("v_matchNr"), "2");
  EXPECT_EQ(Var("v_1"), "1<a>2");
  EXPECT_EQ(Var("v_2"), "2");
}

TEST_F(ExtractorsTest, BoundaryMissingRightBoundaryStopsTheSearch) {
  Run(*Boundary("v", "<a>", "</a>", "-1"), Body("<a>1</a><a>2"));
  EXPECT_EQ(Var("v_matchNr"), "1");
}

TEST_F(ExtractorsTest, BoundaryEmptyLeftTakesTextUpToTheRight) {
  Run(*Boundary("v", "", ";", "1"), Body("abc;def;"));
  EXPECT_EQ(Var("v"), "abc");
}

TEST_F(ExtractorsTest, BoundaryEmptyRightTakesTextAfterTheLeft) {
  Run(*Boundary("v", "=", "", "1"), Body("k=v=w"));
  EXPECT_EQ(Var("v"), "v=w");
}

TEST_F(ExtractorsTest, BoundaryBothEmptyTakesTheWholeInput) {
  Run(*Boundary("v", "", "", "-1"), Body("whole"));
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_EQ(Var("v_1"), "whole");
}

TEST_F(ExtractorsTest, BoundaryEmptyLeftWithoutTheRightFindsNothing) {
  Run(*Boundary("v", "", ";", "1", "DEF"), Body("abc"));
  EXPECT_EQ(Var("v"), "DEF");
}

TEST_F(ExtractorsTest, BoundaryBlankInputFindsNothing) {
  Run(*Boundary("v", "", "", "-1"), Body(" \t\r\n"));
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(ExtractorsTest, BoundaryBlankDefaultIsNotSet) {
  ctx_.vars.Put("v", "old");
  Run(*Boundary("v", "<b>", "</b>", "1", "  "), Body(kLinks));
  EXPECT_EQ(Var("v"), "old");
}

TEST_F(ExtractorsTest, BoundaryEmptyDefaultValueFlag) {
  ctx_.vars.Put("v", "old");
  auto e = Boundary("v", "<b>", "</b>", "1");
  e->default_empty_value = true;
  Run(*e, Body(kLinks));
  EXPECT_EQ(Var("v"), "");
}

TEST_F(ExtractorsTest, BoundaryEmptyReferenceNameDoesNothing) {
  Run(*Boundary("", "<a>", "</a>", "-1", "DEF"), Body(kLinks));
  EXPECT_FALSE(Has(""));
  EXPECT_FALSE(Has("_matchNr"));
}

TEST_F(ExtractorsTest, BoundaryBoundariesAreEvaluated) {
  ctx_.vars.Put("tag", "a");
  Run(*Boundary("v", "<${tag}>", "</${tag}>", "2"), Body(kLinks));
  EXPECT_EQ(Var("v"), "22");
}

TEST_F(ExtractorsTest, BoundaryResponseHeaders) {
  auto e = Boundary("v", "Location: ", "\n", "1");
  e->use_field = "true";
  Run(*e, Http());
  EXPECT_EQ(Var("v"), "/next?t=abc");
}

TEST_F(ExtractorsTest, BoundaryUnescapedBody) {
  auto e = Boundary("v", "a=1", "\"", "1");
  e->use_field = "unescaped";
  Run(*e, Http());
  EXPECT_EQ(Var("v"), "&b=2");
}

TEST_F(ExtractorsTest, BoundaryUrlCodeAndMessage) {
  auto url = Boundary("u", "id=", "", "1");
  url->use_field = "URL";
  auto code = Boundary("c", "", "2", "1");
  code->use_field = "code";
  auto message = Boundary("m", "F", "d", "1");
  message->use_field = "message";
  Run(*url, Http());
  Run(*code, Http());
  Run(*message, Http());
  EXPECT_EQ(Var("u"), "42");
  EXPECT_EQ(Var("c"), "30");
  EXPECT_EQ(Var("m"), "oun");
}

TEST_F(ExtractorsTest, BoundaryRequestHeaders) {
  auto e = Boundary("v", "X-Req: ", "\n", "1");
  e->use_field = "request_headers";
  Run(*e, Http());
  EXPECT_EQ(Var("v"), "r9");
}

SampleResult LinkParent() {
  SampleResult r = Body("<a>0</a>");
  r.sub_results.push_back(Body("<a>1</a><a>2</a>"));
  r.sub_results.push_back(Body("<a>3</a>"));
  return r;
}

TEST_F(ExtractorsTest, BoundaryChildrenScope) {
  auto e = Boundary("v", "<a>", "</a>", "-1");
  e->scope = SampleScope::kChildren;
  Run(*e, LinkParent());
  EXPECT_EQ(Var("v_matchNr"), "3");
  EXPECT_EQ(Var("v_1"), "1");
}

TEST_F(ExtractorsTest, BoundaryAllScopeCountsAcrossSamples) {
  auto e = Boundary("v", "<a>", "</a>", "3");
  e->scope = SampleScope::kAll;
  Run(*e, LinkParent());
  EXPECT_EQ(Var("v"), "2");
}

TEST_F(ExtractorsTest, BoundaryVariableScope) {
  auto e = Boundary("v", "<a>", "</a>", "2");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("src");
  ctx_.vars.Put("src", kLinks);
  Run(*e, LinkParent());
  EXPECT_EQ(Var("v"), "22");
}

TEST_F(ExtractorsTest, BoundaryVariableScopeWithAnEmptyBoundaryIgnoresTheMatchNumber) {
  // BoundaryExtractor.extract(String) returns the one match whatever the number asked.
  auto e = Boundary("v", "", ";", "2", "DEF");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("src");
  ctx_.vars.Put("src", "abc;def;");
  Run(*e, Body(""));
  EXPECT_EQ(Var("v"), "abc");
}

TEST_F(ExtractorsTest, BoundarySampleScopeWithAnEmptyBoundaryHonoursTheMatchNumber) {
  Run(*Boundary("v", "", ";", "2", "DEF"), Body("abc;def;"));
  EXPECT_EQ(Var("v"), "DEF");
}

TEST_F(ExtractorsTest, BoundaryVariableScopeWithAnUnsetVariable) {
  auto e = Boundary("v", "<a>", "</a>", "-1");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("unset");
  Run(*e, LinkParent());
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(ExtractorsTest, BoundaryRunsThroughTheDispatcher) {
  RunPostProcessor(*Boundary("v", "<a>", "</a>", "2"), Body(kLinks), ctx_);
  EXPECT_EQ(Var("v"), "22");
}

// ---------------------------------------------------------------------------------------
// HTML unescaping ("Body (unescaped)").

TEST(UnescapeHtmlTest, NamedReferences) {
  EXPECT_EQ(UnescapeHtml("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"), "a <b> & \"c\" 'd'");
  EXPECT_EQ(UnescapeHtml("&eacute;&euro;&hellip;&nbsp;"), "\xC3\xA9\xE2\x82\xAC\xE2\x80\xA6\xC2\xA0");
}

TEST(UnescapeHtmlTest, NumericReferences) {
  EXPECT_EQ(UnescapeHtml("&#65;&#x42;&#X43;&#0068;"), "ABCD");
  EXPECT_EQ(UnescapeHtml("&#128512;"), "\xF0\x9F\x98\x80");
}

TEST(UnescapeHtmlTest, NumericReferencesWithoutSemicolon) { EXPECT_EQ(UnescapeHtml("&#65x"), "Ax"); }

TEST(UnescapeHtmlTest, WindowsCodepointsAreFixedUp) {
  EXPECT_EQ(UnescapeHtml("&#150;&#x80;"), "\xE2\x80\x93\xE2\x82\xAC");
  EXPECT_EQ(UnescapeHtml("&#0;"), "\xEF\xBF\xBD");
}

TEST(UnescapeHtmlTest, LegacyReferencesWithoutSemicolon) {
  EXPECT_EQ(UnescapeHtml("a&amp b&copy"), "a& b\xC2\xA9");
  EXPECT_EQ(UnescapeHtml("&notit;"), "\xC2\xACit;");
}

TEST(UnescapeHtmlTest, UnknownOrIncompleteReferencesStay) {
  EXPECT_EQ(UnescapeHtml("&foo; & &#; &#x; &hellip &"), "&foo; & &#; &#x; &hellip &");
}

TEST(UnescapeHtmlTest, Html5AngleBrackets) { EXPECT_EQ(UnescapeHtml("&lang;&rang;"), "\xE2\x9F\xA8\xE2\x9F\xA9"); }

}  // namespace
}  // namespace barrage
