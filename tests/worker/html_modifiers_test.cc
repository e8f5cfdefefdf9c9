// HTML Link Parser and HTML Parameter Mask (issue 10): links and forms found in a page, the
// matching of a sampler's patterns, and the rewritten fields.
#include "worker/html_modifiers.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

constexpr const char* kPage = "http://127.0.0.1:8080/html/links.html";

Argument Arg(std::string name, std::string value) {
  Argument a;
  a.name = Value::Of(std::move(name));
  a.value = Value::Of(std::move(value));
  return a;
}

HttpFields Pattern(std::string path, std::vector<Argument> args = {}, std::string domain = "") {
  HttpFields f;
  f.path = Value::Of(std::move(path));
  f.domain = Value::Of(std::move(domain));
  f.arguments = std::move(args);
  return f;
}

std::string Names(const std::vector<Argument>& args) {
  std::string out;
  for (const Argument& a : args) out += a.name.text + "=" + a.value.text + (a.always_encode ? "(e)" : "") + ";";
  return out;
}

TEST(FindHtmlLinksTest, AnchorsResolvedWithTheirQueryAsWritten) {
  std::vector<HtmlLink> links = FindHtmlLinks(
      "junk <html><body><a href=\"/echo/item?id=2&amp;cat=a+b\">x</a><a href=\"next?p\">y</a>"
      "<a href=\"javascript:go()\">j</a><a name=\"x\">n</a><a href=\"https://other.test/z\">o</a></body></html>",
      kPage);
  ASSERT_EQ(links.size(), 3u);
  EXPECT_FALSE(links[0].form);
  EXPECT_EQ(links[0].protocol, "http");
  EXPECT_EQ(links[0].host, "127.0.0.1");
  EXPECT_EQ(links[0].path, "/echo/item");
  EXPECT_EQ(Names(links[0].arguments), "id=2;cat=a+b;");
  EXPECT_EQ(links[1].path, "/html/next");
  EXPECT_EQ(links[1].arguments.size(), 1u);
  EXPECT_EQ(links[1].arguments[0].name.text, "p");
  EXPECT_FALSE(links[1].arguments[0].use_equals);
  EXPECT_EQ(links[2].protocol, "https");
  EXPECT_EQ(links[2].host, "other.test");
}

TEST(FindHtmlLinksTest, BaseHrefAppliesToAnchors) {
  std::vector<HtmlLink> links =
      FindHtmlLinks("<html><head><base href=\"/deep/dir/\"></head><body><a href=\"p\">x</a></body></html>", kPage);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].path, "/deep/dir/p");
}

TEST(FindHtmlLinksTest, FormFieldsInputsTextareaEveryOption) {
  std::vector<HtmlLink> links = FindHtmlLinks(
      "<html><body><form action=\"/echo/form\" method=\"post\">"
      "<input type=\"hidden\" name=\"token\" value=\"T%41+1\"><input type=\"submit\" value=\"Go\">"
      "<select name=\"color\"><option value=\"red\">Red</option><option>blue</option></select>"
      "<textarea name=\"note\">hi there</textarea><textarea name=\"empty\"></textarea></form>"
      "<input name=\"after\" value=\"1\"><form><input name=\"lost\" value=\"2\"></form></body></html>",
      kPage);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_TRUE(links[0].form);
  EXPECT_EQ(links[0].path, "/echo/form");
  // URL-decoded; a field after </form> still belongs to the form (JMeter's recurseForm); a
  // form without an action ends it.
  EXPECT_EQ(Names(links[0].arguments), "token=TA 1(e);=Go;color=red;color=;note=hi there(e);empty=;after=1;");
}

TEST(FindHtmlLinksTest, FramesComeLast) {
  std::vector<HtmlLink> links =
      FindHtmlLinks("<html><frameset><frame src=\"/f1\"><frame name=\"nosrc\"></frameset></html>", kPage);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].path, "/f1");
}

TEST(AnchorMatchesTest, PathEqualsOrMatchesWithLeadingSlashes) {
  HtmlLink link = FindHtmlLinks("<a href=\"/echo/other?x=9\">o</a>", kPage).at(0);
  EXPECT_TRUE(AnchorMatches(link, Pattern("/echo/other")));
  EXPECT_TRUE(AnchorMatches(link, Pattern("echo/o.*")));
  EXPECT_FALSE(AnchorMatches(link, Pattern("/echo/item")));
  EXPECT_FALSE(AnchorMatches(link, Pattern("/echo/oth")));  // a full match, not a prefix
}

TEST(AnchorMatchesTest, ProtocolDefaultsToHttpAndDomainMatchesWhenSet) {
  HtmlLink link = FindHtmlLinks("<a href=\"/p\">o</a>", kPage).at(0);
  HttpFields f = Pattern("/p");
  f.protocol = Value::Of("https");
  EXPECT_FALSE(AnchorMatches(link, f));
  f.protocol = Value::Of("http.?");
  EXPECT_TRUE(AnchorMatches(link, f));
  EXPECT_TRUE(AnchorMatches(link, Pattern("/p", {}, "127\\.0\\.0\\..*")));
  EXPECT_FALSE(AnchorMatches(link, Pattern("/p", {}, "localhost")));
}

TEST(AnchorMatchesTest, ParameterNamesInTheDecodedQueryOrAsRegex) {
  HtmlLink link = FindHtmlLinks("<a href=\"/p?id=2&amp;cat=a%20b\">o</a>", kPage).at(0);
  EXPECT_TRUE(AnchorMatches(link, Pattern("/p", {Arg("cat", "anything")})));
  EXPECT_TRUE(AnchorMatches(link, Pattern("/p", {Arg("c.t", "")})));
  EXPECT_TRUE(AnchorMatches(link, Pattern("/p", {Arg("cat=a b", "")})));
  EXPECT_FALSE(AnchorMatches(link, Pattern("/p", {Arg("id", ""), Arg("page", "")})));
  EXPECT_FALSE(AnchorMatches(link, Pattern("/p", {Arg("(", "")})));  // an invalid regex
}

TEST(ApplyLinkParserTest, LinkReplacesHostPathProtocolAndEveryParameter) {
  HttpFields f = Pattern("/echo/item", {Arg("cat", ".*")});
  f.port = Value::Of("9");
  UserRng rng(1);
  ASSERT_TRUE(ApplyLinkParser("<a href=\"/echo/item?id=1\">1</a><a href=\"/echo/item?id=2&amp;cat=a+b\">2</a>", kPage,
                              rng, &f));
  EXPECT_EQ(f.domain.text, "127.0.0.1");
  EXPECT_EQ(f.path.text, "/echo/item");
  EXPECT_EQ(f.protocol.text, "http");
  EXPECT_EQ(f.port.text, "9");  // JMeter keeps the sampler's port
  EXPECT_EQ(Names(f.arguments), "id=2;cat=a+b;");
}

TEST(ApplyLinkParserTest, FormFillsMatchingParametersOnce) {
  HttpFields f =
      Pattern("/echo/form", {Arg("token", ".*"), Arg("color", "r.*"), Arg("color", ".*"), Arg("user", "ann")});
  UserRng rng(1);
  ASSERT_TRUE(
      ApplyLinkParser("<form action=\"/echo/form\"><input name=\"token\" value=\"T0K\">"
                      "<input name=\"user\" value=\"bob\"><select name=\"color\"><option value=\"red\">"
                      "<option value=\"blue\"></select></form>",
                      kPage, rng, &f));
  // color r.* takes red, the second color the one left (blue); user "ann" is neither equal
  // to nor a pattern for "bob", so it stays.
  EXPECT_EQ(Names(f.arguments), "token=T0K;color=red;color=blue;user=ann;");
  // Every parameter name must be in the form's fields for the form to match at all.
  HttpFields other = Pattern("/echo/form", {Arg("token", ".*"), Arg("keep", "me")});
  EXPECT_FALSE(
      ApplyLinkParser("<form action=\"/echo/form\"><input name=\"token\" value=\"T0K\"></form>", kPage, rng, &other));
}

TEST(ApplyLinkParserTest, NoMatchLeavesTheFieldsAlone) {
  HttpFields f = Pattern("/nomatch.*", {Arg("a", "1")});
  UserRng rng(1);
  EXPECT_FALSE(ApplyLinkParser("<a href=\"/echo/item\">1</a>", kPage, rng, &f));
  EXPECT_EQ(f.path.text, "/nomatch.*");
  EXPECT_EQ(f.domain.text, "");
  EXPECT_EQ(Names(f.arguments), "a=1;");
}

TEST(ApplyLinkParserTest, ChoosesAtRandomAmongMatches) {
  int seen1 = 0, seen2 = 0;
  UserRng rng(7);
  for (int i = 0; i < 200; ++i) {
    HttpFields f = Pattern("/p.*");
    ASSERT_TRUE(ApplyLinkParser("<a href=\"/p1\">1</a><a href=\"/p2\">2</a>", kPage, rng, &f));
    (f.path.text == "/p1" ? seen1 : seen2)++;
  }
  EXPECT_GT(seen1, 50);
  EXPECT_GT(seen2, 50);
}

const ParamModifier& Mask(std::string field, std::string lower, std::string upper, std::string increment) {
  static std::vector<std::unique_ptr<ParamModifier>> pool;
  auto m = std::make_unique<ParamModifier>(ElementKind::kParamModifier);
  m->field_name = Value::Of(std::move(field));
  m->prefix = Value::Of("id-");
  m->suffix = Value::Of("!");
  m->lower_bound = Value::Of(std::move(lower));
  m->upper_bound = Value::Of(std::move(upper));
  m->increment = Value::Of(std::move(increment));
  pool.push_back(std::move(m));
  return *pool.back();
}

TEST(ApplyParamMaskTest, CounterStartsAtZeroThenWrapsToTheLowerBound) {
  const ParamModifier& m = Mask("n", "5", "6", "1");
  ThreadContext ctx;
  int64_t value = 0;
  std::vector<std::string> seen;
  for (int i = 0; i < 9; ++i) {
    HttpFields f = Pattern("/", {Arg("n", "*")});
    ASSERT_TRUE(ApplyParamMask(m, ctx, &value, &f));
    seen.push_back(f.arguments[0].value.text);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"id-0!", "id-1!", "id-2!", "id-3!", "id-4!", "id-5!", "id-6!", "id-5!",
                                            "id-6!"}));
}

TEST(ApplyParamMaskTest, OnlyTheFirstStarParameterOfThatName) {
  const ParamModifier& m = Mask("n", "0", "10", "2");
  ThreadContext ctx;
  int64_t value = 4;
  HttpFields f = Pattern("/", {Arg("n", "x"), Arg("other", "*"), Arg("n", "*"), Arg("n", "*")});
  ASSERT_TRUE(ApplyParamMask(m, ctx, &value, &f));
  EXPECT_EQ(Names(f.arguments), "n=x;other=*;n=id-4!;n=*;");
  EXPECT_EQ(value, 6);
  HttpFields none = Pattern("/", {Arg("n", "x")});
  EXPECT_FALSE(ApplyParamMask(m, ctx, &value, &none));
  EXPECT_EQ(value, 6);
}

// The compiler: a ParamModifier's mask members; an HTML Link Parser is a pre-processor.
TEST(HtmlModifiersCompileTest, ParamMaskPropertiesAndLinkParser) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/><hashTree>\n"
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/><hashTree>\n"
      "<AnchorModifier testclass=\"AnchorModifier\" testname=\"links\"/><hashTree/>\n"
      "<ParamModifier testclass=\"ParamModifier\" testname=\"mask\">"
      "<elementProp name=\"ParamModifier.mask\" elementType=\"ParamMask\">"
      "<stringProp name=\"ParamModifier.field_name\">sid</stringProp>"
      "<stringProp name=\"ParamModifier.prefix\">p</stringProp>"
      "<longProp name=\"ParamModifier.lower_bound\">3</longProp>"
      "<longProp name=\"ParamModifier.upper_bound\">9</longProp>"
      "<longProp name=\"ParamModifier.increment\">2</longProp>"
      "<stringProp name=\"ParamModifier.suffix\">s</stringProp>"
      "</elementProp></ParamModifier><hashTree/>\n"
      "</hashTree></hashTree></hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "p.jmx");
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  CompiledPlan c = CompilePlan(std::move(tree).value());
  EXPECT_TRUE(c.plan.runnable());
  const Sampler& s = c.plan.thread_groups().at(0)->children.at(0)->As<Sampler>();
  ASSERT_EQ(s.scope.pre_processors.size(), 2u);
  EXPECT_EQ(s.scope.pre_processors[0]->kind, ElementKind::kAnchorModifier);
  const ParamModifier& m = s.scope.pre_processors[1]->As<ParamModifier>();
  EXPECT_EQ(m.field_name.text, "sid");
  EXPECT_EQ(m.prefix.text, "p");
  EXPECT_EQ(m.suffix.text, "s");
  EXPECT_EQ(m.lower_bound.text, "3");
  EXPECT_EQ(m.upper_bound.text, "9");
  EXPECT_EQ(m.increment.text, "2");
}

}  // namespace
}  // namespace barrage
