// JSON Extractor and JSON Path Assertion: the variables and outcomes JMeter 5.6's
// JSONPostProcessor and JSONPathAssertion produce (cases from JMeter's own
// TestJSONPostProcessor / TestJSONPathAssertion where they exist; values checked against
// Jayway JsonPath 2.10.0 and json-smart 2.6.0 on Java 17).
#include "worker/json_processors.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <utility>

namespace barrage {
namespace {

std::unique_ptr<JsonExtractor> Extractor(std::string names, std::string paths, std::string match_numbers,
                                         std::string defaults = "NONE", bool concat = false) {
  auto e = std::make_unique<JsonExtractor>(ElementKind::kJsonExtractor);
  e->name = "JSON Extractor";
  e->reference_names = Value::Of(std::move(names));
  e->json_path_exprs = Value::Of(std::move(paths));
  e->match_numbers = Value::Of(std::move(match_numbers));
  e->default_values = Value::Of(std::move(defaults));
  e->compute_concat = concat;
  return e;
}

std::unique_ptr<JsonPathAssertion> Assertion(std::string path, std::string expected = "", bool validation = false,
                                             bool is_regex = true) {
  auto a = std::make_unique<JsonPathAssertion>(ElementKind::kJsonPathAssertion);
  a->name = "JSON Assertion";
  a->json_path = Value::Of(std::move(path));
  a->expected_value = Value::Of(std::move(expected));
  a->json_validation = validation;
  a->is_regex = is_regex;
  return a;
}

SampleResult Body(std::string body) {
  SampleResult r;
  r.body = std::move(body);
  r.sample.response_code = "200";
  return r;
}

class JsonProcessorsTest : public ::testing::Test {
 protected:
  JsonProcessorsTest() { ctx_.run = &run_; }

  std::string Var(const std::string& name) {
    const std::string* v = ctx_.vars.Get(name);
    return v != nullptr ? *v : "<unset>";
  }
  void Run(const JsonExtractor& e, const SampleResult& r) { RunJsonExtractor(e, r, ctx_); }
  void Run(const JsonExtractor& e, std::string body) { RunJsonExtractor(e, Body(std::move(body)), ctx_); }
  AssertionResult Check(const JsonPathAssertion& a, std::string body) {
    return RunJsonPathAssertion(a, Body(std::move(body)), ctx_);
  }

  RunContext run_;
  ThreadContext ctx_;
};

// ---------------------------------------------------------------------------------------
// JSON Extractor: values.

TEST_F(JsonProcessorsTest, ExtractsTheValueAPathFinds) {
  Run(*Extractor("result", "$.a", "1"), R"({"a": 23, "b": "parent_only"})");
  EXPECT_EQ(Var("result"), "23");
  EXPECT_EQ(Var("result_matchNr"), "1");
}

TEST_F(JsonProcessorsTest, StringsAreStoredWithoutQuotes) {
  Run(*Extractor("v", "$.s", "1"), R"({"s":"a \"b\" /c"})");
  EXPECT_EQ(Var("v"), "a \"b\" /c");
}

TEST_F(JsonProcessorsTest, NumbersAndBooleansAreStoredAsJavaPrintsThem) {
  Run(*Extractor("p;o;f;b;t", "$.p;$.o;$.f;$.b;$.t", "1;1;1;1;1", ";;;;"),
      R"({"p":9.99,"o":1.0,"f":1e20,"b":12345678901234567890123,"t":true})");
  EXPECT_EQ(Var("p"), "9.99");
  EXPECT_EQ(Var("o"), "1.0");
  EXPECT_EQ(Var("f"), "1.0E20");
  EXPECT_EQ(Var("b"), "12345678901234567890123");
  EXPECT_EQ(Var("t"), "true");
}

TEST_F(JsonProcessorsTest, ObjectsAndArraysAreStoredAsCompactJson) {
  // JMeter's Bug 59609.
  Run(*Extractor("varName", "$.context", "0"), R"({"context":{"a":"one","b":"two"}})");
  EXPECT_EQ(Var("varName"), R"({"a":"one","b":"two"})");
  EXPECT_EQ(Var("varName_matchNr"), "<unset>");
  Run(*Extractor("arr", "$.a", "1"), R"({"a":[1,"x/y",{"k":null}]})");
  EXPECT_EQ(Var("arr"), R"([1,"x\/y",{"k":null}])");
}

TEST_F(JsonProcessorsTest, ObjectKeysComeInJavaHashMapOrder) {
  Run(*Extractor("user", "$.user", "1"), R"({"user":{"userId":7,"id":1,"title":"t","completed":false}})");
  EXPECT_EQ(Var("user"), R"({"id":1,"completed":false,"title":"t","userId":7})");
}

// ---------------------------------------------------------------------------------------
// JSON Extractor: match numbers.

TEST_F(JsonProcessorsTest, MatchNumberMinusOneSetsNumberedVariables) {
  // JMeter's testExtractSimpleArrayElements.
  Run(*Extractor("varName", "$[*]", "-1", "NONE", true), "[1,2,3]");
  EXPECT_EQ(Var("varName_1"), "1");
  EXPECT_EQ(Var("varName_2"), "2");
  EXPECT_EQ(Var("varName_3"), "3");
  EXPECT_EQ(Var("varName_matchNr"), "3");
  EXPECT_EQ(Var("varName_ALL"), "1,2,3");
  EXPECT_EQ(Var("varName"), "<unset>");
}

TEST_F(JsonProcessorsTest, ConcatenationJoinsValuesAsStored) {
  // JMeter's testExtractComplexElements.
  Run(*Extractor("varName", "$[*]", "-1", "NONE", true), R"([{"a":[1,{"d":2},3]},["b",{"h":23}],3])");
  EXPECT_EQ(Var("varName_ALL"), R"({"a":[1,{"d":2},3]},["b",{"h":23}],3)");
  EXPECT_EQ(Var("varName_1"), R"({"a":[1,{"d":2},3]})");
  EXPECT_EQ(Var("varName_2"), R"(["b",{"h":23}])");
  EXPECT_EQ(Var("varName_3"), "3");
}

TEST_F(JsonProcessorsTest, WithoutConcatenationNoAllVariable) {
  Run(*Extractor("v", "$[*]", "-1"), "[1,2]");
  EXPECT_EQ(Var("v_ALL"), "<unset>");
}

TEST_F(JsonProcessorsTest, MatchNumberMinusOneWithOneValueSetsNameOne) {
  // JMeter's testProcessAllElementsOneMatch.
  Run(*Extractor("varname", "$[*]", "-1", "NONE", true), R"(["one"])");
  EXPECT_EQ(Var("varname"), "<unset>");
  EXPECT_EQ(Var("varname_1"), "one");
  EXPECT_EQ(Var("varname_matchNr"), "1");
  EXPECT_EQ(Var("varname_ALL"), "one");
}

TEST_F(JsonProcessorsTest, MatchNumberZeroPicksARandomValue) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    Run(*Extractor("varname", "$[*]", "0"), R"(["one","two"])");
    seen.insert(Var("varname"));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"one", "two"}));
  EXPECT_EQ(Var("varname_matchNr"), "<unset>");
  EXPECT_EQ(Var("varname_1"), "<unset>");
}

TEST_F(JsonProcessorsTest, MatchNumberPicksTheNthValue) {
  Run(*Extractor("v", "$[*]", "2"), R"(["one","two","three"])");
  EXPECT_EQ(Var("v"), "two");
  EXPECT_EQ(Var("v_matchNr"), "3");
}

TEST_F(JsonProcessorsTest, MatchNumberPastTheValuesGivesTheDefault) {
  Run(*Extractor("v", "$[*]", "5"), R"(["one","two"])");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "2");
}

TEST_F(JsonProcessorsTest, AnyMatchNumberTakesASingleValue) {
  Run(*Extractor("v", "$.a", "3"), R"({"a":"only"})");
  EXPECT_EQ(Var("v"), "only");
  EXPECT_EQ(Var("v_matchNr"), "1");
}

TEST_F(JsonProcessorsTest, EmptyMatchNumbersMeanZero) {
  Run(*Extractor("v", "$.a", ""), R"({"a":"x"})");
  EXPECT_EQ(Var("v"), "x");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

// ---------------------------------------------------------------------------------------
// JSON Extractor: nothing found.

TEST_F(JsonProcessorsTest, NothingFoundGivesTheDefaultAndCountZero) {
  Run(*Extractor("v", "$.missing", "1"), R"({"a":1})");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(JsonProcessorsTest, NothingFoundForAllWithConcatenationGivesEmptyAll) {
  Run(*Extractor("v", "$..missing", "-1", "NONE", true), R"({"a":1})");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "0");
  EXPECT_EQ(Var("v_ALL"), "");
}

TEST_F(JsonProcessorsTest, NullValueGivesTheDefault) {
  // JMeter's testEmptyOrNullResult cases.
  Run(*Extractor("varName", "$.context", "0"), R"({"context": null})");
  EXPECT_EQ(Var("varName"), "NONE");
  EXPECT_EQ(Var("varName_matchNr"), "<unset>");
  Run(*Extractor("varName", "$[*].context", "1"), R"([{"context": null}, {"context": ""}])");
  EXPECT_EQ(Var("varName"), "NONE");
  EXPECT_EQ(Var("varName_matchNr"), "2");
  Run(*Extractor("varName", "$[*].context", "2"), R"([{"context": null}, {"context": ""}])");
  EXPECT_EQ(Var("varName"), "");
}

TEST_F(JsonProcessorsTest, EmptyBodyGivesTheDefaultOnly) {
  Run(*Extractor("varName", "$.context", "0"), "");
  EXPECT_EQ(Var("varName"), "NONE");
  EXPECT_EQ(Var("varName_matchNr"), "<unset>");
}

TEST_F(JsonProcessorsTest, InvalidJsonGivesTheDefaultOnly) {
  ctx_.vars.Put("v_matchNr", "4");
  Run(*Extractor("v", "$.a", "1"), R"({"a":)");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(JsonProcessorsTest, TextBodyParsesAsAStringWhereNothingIsFound) {
  Run(*Extractor("v", "$.a", "1"), "<html><body>Service Unavailable</body></html>");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "0");
}

TEST_F(JsonProcessorsTest, FunctionPathGivesTheDefaultOnly) {
  Run(*Extractor("v", "$.a.length()", "1"), R"({"a":[1,2]})");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(JsonProcessorsTest, InvalidPathGivesTheDefaultOnly) {
  Run(*Extractor("v", "$.a b", "1"), R"({"a":1})");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

TEST_F(JsonProcessorsTest, FilterOnAScalarGivesTheDefaultOnly) {
  Run(*Extractor("v", "$.a[?(@.x)]", "1"), R"({"a":1})");
  EXPECT_EQ(Var("v"), "NONE");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");
}

// ---------------------------------------------------------------------------------------
// JSON Extractor: several names, leftovers, bad configurations.

TEST_F(JsonProcessorsTest, SeveralNamesPathsAndDefaults) {
  Run(*Extractor("a;b;c", "$.x;$.y[*];$.z", "1;-1;1", "da;db;dc"), R"({"x":"X","y":[1,2]})");
  EXPECT_EQ(Var("a"), "X");
  EXPECT_EQ(Var("b_1"), "1");
  EXPECT_EQ(Var("b_2"), "2");
  EXPECT_EQ(Var("b_matchNr"), "2");
  EXPECT_EQ(Var("c"), "dc");
  EXPECT_EQ(Var("c_matchNr"), "0");
}

TEST_F(JsonProcessorsTest, DefinitePathToAnArrayIsOneValue) {
  Run(*Extractor("b", "$.y", "-1"), R"({"y":[1,2]})");
  EXPECT_EQ(Var("b_1"), "[1,2]");
  EXPECT_EQ(Var("b_matchNr"), "1");
}

TEST_F(JsonProcessorsTest, MissingMatchNumbersAreZero) {
  Run(*Extractor("a;b", "$.x;$.y", "1", "da;db"), R"({"x":"X","y":"Y"})");
  EXPECT_EQ(Var("a_matchNr"), "1");
  EXPECT_EQ(Var("b"), "Y");
  EXPECT_EQ(Var("b_matchNr"), "<unset>");
}

TEST_F(JsonProcessorsTest, TrailingEmptyDefaultsCount) {
  // JMeter's testProcessDefaultsWithAllEmptyStrings (fixed after 5.6.3).
  Run(*Extractor("var1;var2;var3", "$.key1;$.key2;$.key3", "1", ";;"), "{}");
  EXPECT_EQ(Var("var1"), "");
  EXPECT_EQ(Var("var2"), "");
  EXPECT_EQ(Var("var3"), "");
}

TEST_F(JsonProcessorsTest, NamesAndPathsAreTrimmedDefaultsAreNot) {
  Run(*Extractor(" a ", " $.missing ", "1", " d "), R"({"x":1})");
  EXPECT_EQ(Var("a"), " d ");
}

TEST_F(JsonProcessorsTest, ListsOfDifferentLengthsChangeNothing) {
  ctx_.vars.Put("a", "old");
  Run(*Extractor("a;b", "$.x", "1", "d;d"), R"({"x":1})");
  EXPECT_EQ(Var("a"), "old");
  EXPECT_EQ(Var("b"), "<unset>");
}

TEST_F(JsonProcessorsTest, BadMatchNumbersChangeNothing) {
  Run(*Extractor("a", "$.x", "one"), R"({"x":1})");
  EXPECT_EQ(Var("a"), "<unset>");
  Run(*Extractor("a", "$.x", "1;2"), R"({"x":1})");  // more numbers than defaults
  EXPECT_EQ(Var("a"), "<unset>");
}

TEST_F(JsonProcessorsTest, LeftoversOfALongerListAreRemoved) {
  Run(*Extractor("v", "$[*]", "-1", "NONE", true), "[1,2,3]");
  Run(*Extractor("v", "$[*]", "1", "NONE", true), "[7]");
  EXPECT_EQ(Var("v"), "7");
  EXPECT_EQ(Var("v_1"), "<unset>");
  EXPECT_EQ(Var("v_3"), "<unset>");
  EXPECT_EQ(Var("v_matchNr"), "1");
  EXPECT_EQ(Var("v_ALL"), "1,2,3");  // JMeter leaves _ALL alone
}

TEST_F(JsonProcessorsTest, PropertiesAreEvaluated) {
  ctx_.vars.Put("key", "b");
  Run(*Extractor("v_${key}", "$.${key}", "1"), R"({"a":1,"b":2})");
  EXPECT_EQ(Var("v_b"), "2");
}

// ---------------------------------------------------------------------------------------
// JSON Extractor: scope.

class JsonExtractorScopeTest : public JsonProcessorsTest {
 protected:
  // JMeter's testAssertionWithScope: a parent and one sub-sample.
  void RunScoped(SampleScope scope, const std::string& path, const std::string& match) {
    SampleResult parent = Body(R"({"a": 23, "b": "parent_only"})");
    parent.sub_results.push_back(Body(R"({"a": 42, "c": "child_only"})"));
    auto e = Extractor("result", path, match);
    e->scope = scope;
    Run(*e, parent);
  }
};

TEST_F(JsonExtractorScopeTest, AllReadsParentThenChildren) {
  RunScoped(SampleScope::kAll, "$.a", "1");
  EXPECT_EQ(Var("result"), "23");
  EXPECT_EQ(Var("result_matchNr"), "2");
  RunScoped(SampleScope::kAll, "$.a", "2");
  EXPECT_EQ(Var("result"), "42");
  RunScoped(SampleScope::kAll, "$.c", "0");
  EXPECT_EQ(Var("result"), "child_only");
}

TEST_F(JsonExtractorScopeTest, ParentReadsOnlyTheParent) {
  RunScoped(SampleScope::kParent, "$.a", "1");
  EXPECT_EQ(Var("result"), "23");
  EXPECT_EQ(Var("result_matchNr"), "1");
  RunScoped(SampleScope::kParent, "$.c", "0");
  EXPECT_EQ(Var("result"), "NONE");
  EXPECT_EQ(Var("result_matchNr"), "0");
}

TEST_F(JsonExtractorScopeTest, ChildrenReadsOnlySubSamples) {
  RunScoped(SampleScope::kChildren, "$.a", "1");
  EXPECT_EQ(Var("result"), "42");
  EXPECT_EQ(Var("result_matchNr"), "1");
  RunScoped(SampleScope::kChildren, "$.b", "0");
  EXPECT_EQ(Var("result"), "NONE");
}

TEST_F(JsonExtractorScopeTest, BlankBodiesAreSkipped) {
  SampleResult parent = Body("  \n");
  parent.sub_results.push_back(Body(R"({"a": 42})"));
  auto e = Extractor("result", "$.a", "1");
  e->scope = SampleScope::kAll;
  Run(*e, parent);
  EXPECT_EQ(Var("result"), "42");
  EXPECT_EQ(Var("result_matchNr"), "1");
}

TEST_F(JsonExtractorScopeTest, VariableScopeReadsTheVariable) {
  ctx_.vars.Put("contentvar", R"(["one", "two"])");
  auto e = Extractor("varname", "$[*]", "-1", "NONE", true);
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("contentvar");
  Run(*e, Body(R"(["ignored"])"));
  EXPECT_EQ(Var("varname_1"), "one");
  EXPECT_EQ(Var("varname_2"), "two");
  EXPECT_EQ(Var("varname_matchNr"), "2");
}

TEST_F(JsonExtractorScopeTest, UnsetOrEmptyVariableGivesTheDefaultOnly) {
  // JMeter's testCaseEmptyVarBug62860 and testPR235CaseEmptyResponse.
  auto e = Extractor("varname", "$[*]", "0");
  e->scope = SampleScope::kVariable;
  e->scope_variable = Value::Of("contentvar");
  Run(*e, Body("{}"));
  EXPECT_EQ(Var("varname"), "NONE");
  EXPECT_EQ(Var("varname_matchNr"), "<unset>");
  ctx_.vars.Put("varname_matchNr", "2");
  ctx_.vars.Put("varname_1", "one");
  ctx_.vars.Put("contentvar", "");
  Run(*e, Body("{}"));
  EXPECT_EQ(Var("varname"), "NONE");
  EXPECT_EQ(Var("varname_matchNr"), "<unset>");
  EXPECT_EQ(Var("varname_1"), "<unset>");
}

// ---------------------------------------------------------------------------------------
// JSON Path Assertion.

TEST_F(JsonProcessorsTest, AssertionPassesWhenThePathFindsSomething) {
  AssertionResult r = Check(*Assertion("$.a"), R"({"a":"x"})");
  EXPECT_FALSE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.name, "JSON Assertion");
  EXPECT_EQ(r.message, "");
}

TEST_F(JsonProcessorsTest, AssertionOnAMissingDefinitePathFails) {
  AssertionResult r = Check(*Assertion("$.b"), R"({"a":"x"})");
  EXPECT_TRUE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "No results for path: $['b']");
}

TEST_F(JsonProcessorsTest, AssertionOnAnIndefinitePathFindingNothingFails) {
  AssertionResult r = Check(*Assertion("$..b", "zz"), R"({"a":"x"})");
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message,
            "JSONPath '$..b' is indefinite and the extracted Value is an empty Array. Please use an "
            "assertion value, to be sure to get a correct result. Expected value was 'zz'");
}

TEST_F(JsonProcessorsTest, AssertionOnADefinitePathToAnEmptyArrayPasses) {
  EXPECT_FALSE(Check(*Assertion("$.a"), R"({"a":[]})").failure);
  EXPECT_TRUE(Check(*Assertion("$.a[*]"), R"({"a":[]})").failure);
}

TEST_F(JsonProcessorsTest, AssertionOnAnEmptyBodyFails) {
  AssertionResult r = Check(*Assertion("$.a"), "");
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Response was null");
  auto inverted = Assertion("$.a");
  inverted->invert = true;
  EXPECT_EQ(Check(*inverted, "").message, "Response was null");
}

TEST_F(JsonProcessorsTest, AssertionRegexMatchesTheWholeValue) {
  EXPECT_FALSE(Check(*Assertion("$.a", "x.*", true), R"({"a":"xyz"})").failure);
  AssertionResult r = Check(*Assertion("$.a", "y", true), R"({"a":"xyz"})");
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Value in json path '$.a' expected to match regexp 'y', but it did not match: 'xyz'");
}

TEST_F(JsonProcessorsTest, AssertionRegexSeesDoublesThroughDecimalFormat) {
  EXPECT_FALSE(Check(*Assertion("$.a", "5.0", true), R"({"a":5.0})").failure);
  EXPECT_EQ(Check(*Assertion("$.a", "x", true), R"({"a":1e20})").message,
            "Value in json path '$.a' expected to match regexp 'x', but it did not match: "
            "'100000000000000000000.0'");
}

TEST_F(JsonProcessorsTest, AssertionEqualityParsesTheExpectedValueAsJson) {
  EXPECT_FALSE(Check(*Assertion("$.a", R"("x")", true, false), R"({"a":"x"})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a", "x", true, false), R"({"a":"x"})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a", "5", true, false), R"({"a":5})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a", R"({"y":1,"x":"/"})", true, false), R"({"a":{"x":"/","y":1}})").failure);
  AssertionResult r = Check(*Assertion("$.a", "5.0", true, false), R"({"a":5})");
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Value in json path '$.a' expected to be '5.0', but found '5'");
}

TEST_F(JsonProcessorsTest, AssertionOnAnArrayMatchesAnElementOrTheWhole) {
  EXPECT_FALSE(Check(*Assertion("$.a", "2", true), R"({"a":[1,2]})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a", "\\[1,2\\]", true), R"({"a":[1,2]})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a", "[1,2]", true, false), R"({"a":[1,2]})").failure);
  EXPECT_FALSE(Check(*Assertion("$.a[*].b", "1", true), R"({"a":[{"b":1}]})").failure);
  EXPECT_EQ(Check(*Assertion("$.a", "3", true), R"({"a":[1,2]})").message,
            "Value in json path '$.a' expected to match regexp '3', but it did not match: '[1,2]'");
}

TEST_F(JsonProcessorsTest, AssertionEmptyArrayMatchesBrackets) {
  EXPECT_FALSE(Check(*Assertion("$.a", "[]", true), R"({"a":[]})").failure);
}

TEST_F(JsonProcessorsTest, AssertionExpectingNull) {
  auto a = Assertion("$.a", "", true);
  a->expect_null = true;
  EXPECT_FALSE(Check(*a, R"({"a":null})").failure);
  EXPECT_EQ(Check(*a, R"({"a":"x"})").message, "Value in json path '$.a' expected to be null, but found 'x'");
  EXPECT_EQ(Check(*a, R"({"a":{"y":1}})").message, "Value in json path '$.a' expected to be null, but found '{y=1}'");
  EXPECT_EQ(Check(*a, R"({"a":[1,2]})").message, "Value in json path '$.a' expected to be null, but found '[1,2]'");
}

TEST_F(JsonProcessorsTest, AssertionExpectingNullAcceptsANullElement) {
  auto a = Assertion("$[*]", "", true);
  a->expect_null = true;
  EXPECT_FALSE(Check(*a, "[1,null]").failure);
  EXPECT_TRUE(Check(*a, "[1,2]").failure);
}

TEST_F(JsonProcessorsTest, InvertedAssertionFailsWhenTheNormalOnePasses) {
  auto exists = Assertion("$.a");
  exists->invert = true;
  EXPECT_EQ(Check(*exists, R"({"a":"x"})").message, "Failed that JSONPath not exists: $.a");
  EXPECT_FALSE(Check(*exists, R"({"b":"x"})").failure);
  EXPECT_FALSE(Check(*exists, R"({"a":)").failure);  // even invalid JSON passes

  auto value = Assertion("$.a", "x", true);
  value->invert = true;
  EXPECT_EQ(Check(*value, R"({"a":"x"})").message, "Failed that JSONPath $.a not matches x");
  EXPECT_FALSE(Check(*value, R"({"a":"y"})").failure);

  auto null = Assertion("$.a", "", true);
  null->invert = true;
  null->expect_null = true;
  EXPECT_EQ(Check(*null, R"({"a":null})").message, "Failed that JSONPath $.a not matches null");
}

TEST_F(JsonProcessorsTest, AssertionOnInvalidJsonFailsWithTheParserMessage) {
  AssertionResult r = Check(*Assertion("$.a"), R"({"a":)");
  EXPECT_TRUE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "net.minidev.json.parser.ParseException: Unexpected End Of File position 4: EOF");
}

TEST_F(JsonProcessorsTest, AssertionOnANullDocumentFails) {
  EXPECT_EQ(Check(*Assertion("$.a"), "null").message, "json can not be null");
}

TEST_F(JsonProcessorsTest, AssertionWithAnInvalidPathFailsWithTheCompilerMessage) {
  EXPECT_EQ(Check(*Assertion("$.a b"), R"({"a":1})").message,
            "Use bracket notion ['my prop'] if your property contains blank characters. position: 2");
  EXPECT_EQ(Check(*Assertion(""), R"({"a":1})").message, "path can not be null or empty");
}

TEST_F(JsonProcessorsTest, AssertionWithAnInvalidRegexFails) {
  AssertionResult r = Check(*Assertion("$.a", "[x", true), R"({"a":"x"})");
  EXPECT_TRUE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message.rfind("Invalid expression: [x\n", 0), 0u) << r.message;
}

TEST_F(JsonProcessorsTest, AssertionWithFunctions) {
  EXPECT_FALSE(Check(*Assertion("$.a.length()", "3", true, false), R"({"a":[1,2,3]})").failure);
  EXPECT_EQ(Check(*Assertion("$.a.sum()", "6", true, false), R"({"a":[1,2,3]})").message,
            "Value in json path '$.a.sum()' expected to be '6', but found '6.0'");
  EXPECT_EQ(Check(*Assertion("$.a.avg()"), R"({"a":[]})").message,
            "Aggregation function attempted to calculate value using empty array");
}

TEST_F(JsonProcessorsTest, AssertionPropertiesAreEvaluated) {
  ctx_.vars.Put("field", "a");
  ctx_.vars.Put("want", "x");
  EXPECT_FALSE(Check(*Assertion("$.${field}", "${want}", true), R"({"a":"x"})").failure);
}

}  // namespace
}  // namespace barrage
