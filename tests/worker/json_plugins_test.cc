// jp@gc JSONPath Extractor and JSONPath Assertion (issue 10): the variables and outcomes
// of jmeter-plugins' JSONPathExtractor.process and JSONPathAssertion.getResult.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "worker/json_processors.h"

namespace barrage {
namespace {

std::unique_ptr<JsonPluginExtractor> Extractor(std::string var, std::string path, std::string def = "NOTFOUND") {
  auto e = std::make_unique<JsonPluginExtractor>(ElementKind::kJsonPluginExtractor);
  e->name = "jp@gc - JSON Path Extractor";
  e->var = Value::Of(std::move(var));
  e->json_path = Value::Of(std::move(path));
  e->default_value = Value::Of(std::move(def));
  return e;
}

std::unique_ptr<JsonPathAssertion> Assertion(std::string path, std::string expected, bool validation,
                                             bool is_regex = true) {
  auto a = std::make_unique<JsonPathAssertion>(ElementKind::kJsonPluginAssertion);
  a->name = "jp@gc - JSON Path Assertion";
  a->json_path = Value::Of(std::move(path));
  a->expected_value = Value::Of(std::move(expected));
  a->json_validation = validation;
  a->is_regex = is_regex;
  a->plugin = true;
  return a;
}

SampleResult Body(std::string body) {
  SampleResult r;
  r.body = std::move(body);
  return r;
}

class JsonPluginsTest : public ::testing::Test {
 protected:
  JsonPluginsTest() { ctx_.run = &run_; }
  std::string Var(const std::string& name) {
    const std::string* v = ctx_.vars.Get(name);
    return v != nullptr ? *v : "<unset>";
  }
  void Run(const JsonPluginExtractor& e, std::string body) { RunJsonPluginExtractor(e, Body(std::move(body)), ctx_); }
  AssertionResult Check(const JsonPathAssertion& a, std::string body) {
    return RunJsonPathAssertion(a, Body(std::move(body)), ctx_);
  }
  RunContext run_;
  ThreadContext ctx_;
};

const char kStore[] =
    R"({"store":{"book":[{"title":"A","price":8.95},{"title":"B","price":12}],"name":"shop","open":true,)"
    R"("rating":4.0,"none":null}})";

TEST_F(JsonPluginsTest, ExtractorScalarValuesAsTheirText) {
  Run(*Extractor("v", "$.store.name"), kStore);
  EXPECT_EQ(Var("v"), "shop");
  EXPECT_EQ(Var("v_matchNr"), "<unset>");  // a single value sets no count
  Run(*Extractor("v", "$.store.open"), kStore);
  EXPECT_EQ(Var("v"), "true");
  Run(*Extractor("v", "$.store.rating"), kStore);
  EXPECT_EQ(Var("v"), "4.0");  // DecimalFormat("#.#"), at least one decimal
  Run(*Extractor("v", "$.store.book[1].price"), kStore);
  EXPECT_EQ(Var("v"), "12");
  Run(*Extractor("v", "$.store.none"), kStore);
  EXPECT_EQ(Var("v"), "null");
  Run(*Extractor("v", "$.store.book[0]"), kStore);
  EXPECT_EQ(Var("v"), R"({"title":"A","price":8.95})");  // new JSONObject(map): HashMap order
}

TEST_F(JsonPluginsTest, ExtractorIndefinitePathSetsTheArrayCountAndNumberedValues) {
  for (const char* k : {"t_1", "t_2", "t_3", "t_4", "t_6"}) ctx_.vars.Put(k, "stale");
  Run(*Extractor("t", "$..title"), kStore);
  EXPECT_EQ(Var("t"), R"(["A","B"])");
  EXPECT_EQ(Var("t_matchNr"), "2");
  EXPECT_EQ(Var("t_1"), "A");
  EXPECT_EQ(Var("t_2"), "B");
  EXPECT_EQ(Var("t_3"), "<unset>");
  EXPECT_EQ(Var("t_4"), "<unset>");
  EXPECT_EQ(Var("t_6"), "stale");  // the plugin removes t_1, t_2... up to the first gap
}

TEST_F(JsonPluginsTest, ExtractorArrayTheDefinitePathDesignatesIsSplitToo) {
  Run(*Extractor("b", "$.store.book"), kStore);
  EXPECT_EQ(Var("b"), R"([{"title":"A","price":8.95},{"title":"B","price":12}])");
  EXPECT_EQ(Var("b_matchNr"), "2");
  EXPECT_EQ(Var("b_2"), R"({"title":"B","price":12})");
}

TEST_F(JsonPluginsTest, ExtractorNothingFoundGivesDefaultCountZeroAndClearsNumbered) {
  ctx_.vars.Put("t_1", "old");
  Run(*Extractor("t", "$..missing"), kStore);  // an empty array
  EXPECT_EQ(Var("t"), "NOTFOUND");
  EXPECT_EQ(Var("t_matchNr"), "0");
  EXPECT_EQ(Var("t_1"), "<unset>");
  Run(*Extractor("u", "$.store.missing"), kStore);  // PathNotFoundException
  EXPECT_EQ(Var("u"), "NOTFOUND");
  Run(*Extractor("w", "$.store.."), kStore);  // invalid path
  EXPECT_EQ(Var("w"), "NOTFOUND");
  Run(*Extractor("x", "$.a"), "");  // empty body
  EXPECT_EQ(Var("x"), "NOTFOUND");
}

TEST_F(JsonPluginsTest, ExtractorReadsAVariableWhenTheSubjectIsVar) {
  auto e = Extractor("id", "$.id");
  e->from_variable = true;
  e->src_variable = Value::Of("doc");
  ctx_.vars.Put("doc", R"({"id":42})");
  Run(*e, R"({"id":1})");
  EXPECT_EQ(Var("id"), "42");
  e->src_variable = Value::Of("absent");
  Run(*e, R"({"id":1})");
  EXPECT_EQ(Var("id"), "NOTFOUND");
}

TEST_F(JsonPluginsTest, AssertionWithoutValueCheckPassesOnAnIndefiniteEmptyResult) {
  AssertionResult r = Check(*Assertion("$..missing", "", false), kStore);
  EXPECT_FALSE(r.failure) << r.message;  // the core JSON Path Assertion fails here
  r = Check(*Assertion("$.store.missing", "", false), kStore);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "No results for path: $['store']['missing']");
}

TEST_F(JsonPluginsTest, AssertionMessagesDoNotNameThePath) {
  AssertionResult r = Check(*Assertion("$.store.name", "sh.p", true), kStore);
  EXPECT_FALSE(r.failure) << r.message;
  r = Check(*Assertion("$.store.name", "x.*", true), kStore);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Value expected to match regexp 'x.*', but it did not match: 'shop'");
  r = Check(*Assertion("$.store.name", "shopping", true, false), kStore);
  EXPECT_EQ(r.message, "Value expected to be 'shopping', but found 'shop'");
  auto null_check = Assertion("$.store.name", "", true);
  null_check->expect_null = true;
  r = Check(*null_check, kStore);
  EXPECT_EQ(r.message, "Value expected to be null, but found 'shop'");
}

TEST_F(JsonPluginsTest, AssertionEqualityComparesTextAndDoublesAsJavaPrintsThem) {
  EXPECT_FALSE(Check(*Assertion("$.store.book[1].price", "12", true, false), kStore).failure);
  EXPECT_FALSE(Check(*Assertion("$.store.rating", "4", true, false), kStore).failure);  // "4.0" == valueOf(4.0)
  EXPECT_FALSE(Check(*Assertion("$..title", "B", true, false), kStore).failure);        // any element
  AssertionResult r = Check(*Assertion("$.store.rating", "four", true, false), kStore);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "For input string: \"four\"");
}

TEST_F(JsonPluginsTest, AssertionInvertedMessages) {
  auto a = Assertion("$.store.name", "shop", true);
  a->invert = true;
  AssertionResult r = Check(*a, kStore);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Failed that JSONPath $.store.name not matches shop");
  r = Check(*Assertion("$.store.name", "shop", true), "");
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Response was null");
}

}  // namespace
}  // namespace barrage
