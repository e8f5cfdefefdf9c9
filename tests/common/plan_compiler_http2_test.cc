// Compiling the BlazeMeter HTTP/2 plugin's samplers (plan_compiler_http2.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileUnder;

std::string S(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
std::string B(const std::string& name, bool value) {
  return "<boolProp name=\"" + name + "\">" + (value ? "true" : "false") + "</boolProp>";
}

constexpr char kHttp2Request[] = "com.blazemeter.jmeter.http2.sampler.HTTP2Request";
constexpr char kHttp2Sampler[] = "com.blazemeter.jmeter.http2.sampler.HTTP2Sampler";

std::string Element(const std::string& cls, const std::string& props) {
  return "<" + cls + " guiclass=\"x\" testclass=\"" + cls + "\" testname=\"h2\">" + props + "</" + cls +
         ">\n<hashTree/>\n";
}

const HttpSampler& First(const CompiledPlan& c) { return c.plan.thread_groups()[0]->children.at(0)->As<HttpSampler>(); }

std::vector<std::string> Messages(const CompiledPlan& c) {
  std::vector<std::string> out;
  for (const Problem& p : c.plan.problems) out.push_back(std::string(SeverityName(p.severity)) + ": " + p.message);
  return out;
}

TEST(PlanCompilerHttp2Test, Http2RequestReadsThePluginsPropertyNames) {
  CompiledPlan c = CompileUnder(Element(
      kHttp2Request, S("HTTP2Request.domain", "example.org") + S("HTTPSampler.port", "8443") +
                         S("HTTP2Request.protocol", "https") + S("HTTP2Request.path", "/a/${id}") +
                         S("HTTP2Sampler.method", "POST") + S("HTTP2Request.contentEncoding", "UTF-8") +
                         S("HTTP2Request.response_timeout", "5000") + B("HTTP2Request.postBodyRaw", true) +
                         B("HTTP2Request.sync_request", true) +
                         "<elementProp name=\"HTTP2Request.Arguments\" elementType=\"Arguments\"><collectionProp "
                         "name=\"Arguments.arguments\"><elementProp name=\"\" elementType=\"HTTPArgument\">" +
                         S("Argument.value", "{\"a\":1}") + "</elementProp></collectionProp></elementProp>"));
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_TRUE(c.plan.problems.empty()) << Messages(c)[0];
  const HttpSampler& s = First(c);
  EXPECT_EQ(s.http2_plugin, HttpSampler::Http2Plugin::kHttp2Request);
  EXPECT_EQ(s.http.domain.text, "example.org");
  EXPECT_EQ(s.http.port.text, "8443");
  EXPECT_EQ(s.http.protocol.text, "https");
  EXPECT_EQ(s.http.path.text, "/a/${id}");
  EXPECT_TRUE(s.http.path.dynamic());
  EXPECT_EQ(s.http.method.text, "POST");
  EXPECT_EQ(s.http.content_encoding.text, "UTF-8");
  EXPECT_EQ(s.http.response_timeout.text, "5000");
  EXPECT_TRUE(s.http.post_body_raw);
  ASSERT_EQ(s.http.arguments.size(), 1u);
  EXPECT_EQ(s.http.arguments[0].value.text, "{\"a\":1}");
  EXPECT_FALSE(s.http.follow_redirects);  // the plugin leaves redirects to do
  EXPECT_TRUE(s.http.has_follow_redirects);
}

TEST(PlanCompilerHttp2Test, Http2RequestDefaultsToHttpsAndATwentySecondTimeout) {
  CompiledPlan c =
      CompileUnder(Element(kHttp2Request, S("HTTP2Request.domain", "h") + B("HTTP2Request.sync_request", true)));
  EXPECT_TRUE(c.plan.problems.empty());
  EXPECT_EQ(First(c).http.protocol.text, "https");
  EXPECT_EQ(First(c).http.response_timeout.text, "20000");
}

TEST(PlanCompilerHttp2Test, Http2RequestAsyncModeAndRedirectsAreWarnings) {
  CompiledPlan c =
      CompileUnder(Element(kHttp2Request, S("HTTP2Request.domain", "h") + B("HTTP2Request.follow_redirects", true)));
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_EQ(Messages(c),
            (std::vector<std::string>{
                "warning: com.blazemeter.jmeter.http2.sampler.HTTP2Request 'h2': the plugin's HTTP2Request does not "
                "follow redirects (its stream handler leaves them to do); neither does Barrage: a 3xx response is the "
                "sample",
                "warning: com.blazemeter.jmeter.http2.sampler.HTTP2Request 'h2': asynchronous mode "
                "(HTTP2Request.sync_request false) runs synchronously: the user waits for each response; users of one "
                "event loop still share HTTP/2 connections"}));
}

TEST(PlanCompilerHttp2Test, Http2RequestTimeoutMustBeAWholeNumber) {
  CompiledPlan c = CompileUnder(
      Element(kHttp2Request, S("HTTP2Request.response_timeout", "soon") + B("HTTP2Request.sync_request", true)));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Messages(c), std::vector<std::string>{"error: com.blazemeter.jmeter.http2.sampler.HTTP2Request 'h2': "
                                                  "HTTP2Request.response_timeout 'soon' is not a whole number"});
}

TEST(PlanCompilerHttp2Test, Http2SamplerReadsTheHttpRequestsProperties) {
  CompiledPlan c = CompileUnder(Element(
      kHttp2Sampler, S("HTTPSampler.domain", "h") + S("HTTPSampler.path", "/p") + S("HTTPSampler.method", "GET")));
  EXPECT_TRUE(c.plan.runnable());
  const HttpSampler& s = First(c);
  EXPECT_EQ(s.http2_plugin, HttpSampler::Http2Plugin::kHttp2Sampler);
  EXPECT_TRUE(s.http2_cleartext);
  EXPECT_EQ(s.http.domain.text, "h");
  EXPECT_EQ(s.http.path.text, "/p");
}

TEST(PlanCompilerHttp2Test, Http2SamplerWithHttp1UpgradeLeavesPlainHttpOnHttp11) {
  CompiledPlan c =
      CompileUnder(Element(kHttp2Sampler, S("HTTPSampler.domain", "h") + B("HTTP2Sampler.http1_upgrade", true)));
  EXPECT_FALSE(First(c).http2_cleartext);
}

TEST(PlanCompilerHttp2Test, HttpRequestIsNotAPluginSampler) {
  CompiledPlan c = CompileUnder("");
  EXPECT_EQ(First(c).http2_plugin, HttpSampler::Http2Plugin::kNone);
}

}  // namespace
}  // namespace barrage
