// JSR223, BeanShell and BSF elements as the plan compiler reads them
// (common/plan_compiler_scripts.cc).
#include <gtest/gtest.h>

#include <string>

#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileUnder;
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

std::string Errors(const CompiledPlan& c) {
  std::string out;
  for (const Problem& p : c.plan.problems) {
    if (p.severity == Problem::Severity::kError) out += p.message + "\n";
  }
  return out;
}

const Sampler& HttpSamplerOf(const CompiledPlan& c) {
  const Node& tg = *c.plan.thread_groups().at(0);
  return tg.children.back()->As<Sampler>();
}

TEST(PlanCompilerScriptsTest, Jsr223PreProcessorReadsItsProperties) {
  CompiledPlan c = CompileWith(El("JSR223PreProcessor", "sign",
                                  S("cacheKey", "true") + S("filename", "") + S("parameters", "a ${b}") +
                                      S("script", "vars.put('x', '${y}')") + S("scriptLanguage", "Groovy")));
  EXPECT_EQ(Errors(c), "");
  const Sampler& s = HttpSamplerOf(c);
  ASSERT_EQ(s.scope.pre_processors.size(), 1u);
  const Node& pre = *s.scope.pre_processors[0];
  EXPECT_EQ(pre.kind, ElementKind::kScriptPreProcessor);
  const ScriptSource& src = pre.As<ScriptElement>().source;
  EXPECT_EQ(src.testclass, "JSR223PreProcessor");
  EXPECT_FALSE(src.beanshell);
  EXPECT_EQ(src.language, "groovy");
  EXPECT_EQ(src.language_as_written, "Groovy");
  EXPECT_EQ(src.script.text, "vars.put('x', '${y}')");
  EXPECT_TRUE(src.script.dynamic());
  EXPECT_EQ(src.parameters.text, "a ${b}");
  EXPECT_TRUE(src.cached);
  EXPECT_TRUE(c.plan.runnable());
}

TEST(PlanCompilerScriptsTest, EmptyLanguageIsGroovyAndAnEmptyCacheKeyIsUncached) {
  CompiledPlan c = CompileWith(El("JSR223PostProcessor", "p", S("script", "1") + S("cacheKey", "")));
  const ScriptSource& src = HttpSamplerOf(c).scope.post_processors.at(0)->As<ScriptElement>().source;
  EXPECT_EQ(src.language, "groovy");
  EXPECT_FALSE(src.cached);
  CompiledPlan off = CompileWith(El("JSR223PostProcessor", "p", S("script", "1") + S("cacheKey", "false")));
  EXPECT_FALSE(HttpSamplerOf(off).scope.post_processors.at(0)->As<ScriptElement>().source.cached);
}

TEST(PlanCompilerScriptsTest, EveryRoleHasItsKind) {
  CompiledPlan c =
      CompileWith(El("BeanShellTimer", "t", S("script", "return 5;")) + El("JSR223Assertion", "a", S("script", "1")) +
                  El("BSFPostProcessor", "b", S("script", "1") + S("scriptLanguage", "javascript")));
  EXPECT_EQ(Errors(c), "");
  const Sampler& s = HttpSamplerOf(c);
  ASSERT_EQ(s.scope.timers.size(), 1u);
  EXPECT_EQ(s.scope.timers[0]->kind, ElementKind::kScriptTimer);
  ASSERT_EQ(s.scope.assertions.size(), 1u);
  EXPECT_EQ(s.scope.assertions[0]->kind, ElementKind::kScriptAssertion);
  ASSERT_EQ(s.scope.post_processors.size(), 1u);
  EXPECT_EQ(s.scope.post_processors[0]->As<ScriptElement>().source.language, "javascript");
}

TEST(PlanCompilerScriptsTest, BeanShellSamplerAndAssertionUseTheirOwnPropertyNames) {
  CompiledPlan c =
      CompileUnder(El("BeanShellSampler", "bsh",
                      S("BeanShellSampler.query", "return 1;") + S("BeanShellSampler.filename", "") +
                          S("BeanShellSampler.parameters", "p q") + B("BeanShellSampler.resetInterpreter", true)) +
                   El("BeanShellAssertion", "check",
                      S("BeanShellAssertion.query", "Failure = false;") + S("BeanShellAssertion.parameters", "x")));
  EXPECT_EQ(Errors(c), "");
  const Node& tg = *c.plan.thread_groups().at(0);
  const ScriptSource& sampler = tg.children.at(0)->As<ScriptSampler>().source;
  EXPECT_TRUE(sampler.beanshell);
  EXPECT_EQ(sampler.language, "beanshell");
  EXPECT_EQ(sampler.script.text, "return 1;");
  EXPECT_EQ(sampler.parameters.text, "p q");
  EXPECT_TRUE(sampler.reset_interpreter);
  const Node* assertion = nullptr;
  for (const auto& e : tg.elements) {
    if (e->kind == ElementKind::kScriptAssertion) assertion = e.get();
  }
  ASSERT_NE(assertion, nullptr);
  EXPECT_EQ(assertion->As<ScriptElement>().source.script.text, "Failure = false;");
  EXPECT_EQ(assertion->As<ScriptElement>().source.parameters.text, "x");
}

TEST(PlanCompilerScriptsTest, ALanguageWithoutInterpreterIsAnErrorNamingIt) {
  CompiledPlan c = CompileWith(El("JSR223Sampler", "py", S("script", "x = 1") + S("scriptLanguage", "jython")));
  EXPECT_EQ(Errors(c),
            "JSR223Sampler 'py': script language 'jython' has no interpreter in Barrage (groovy, javascript, "
            "beanshell/java, jexl2, jexl3)\n");
  EXPECT_FALSE(c.plan.runnable());
}

TEST(PlanCompilerScriptsTest, AScriptNamingAJMeterClassBarrageLacksIsAnError) {
  CompiledPlan c = CompileWith(El("JSR223PreProcessor", "mirror",
                                  S("script",
                                    "import org.apache.jmeter.protocol.http.control.HttpMirrorServer;\n"
                                    "new HttpMirrorServer(8081).start()")));
  EXPECT_EQ(Errors(c),
            "JSR223PreProcessor 'mirror': the script uses JMeter's class "
            "org.apache.jmeter.protocol.http.control.HttpMirrorServer, which Barrage's script API does not "
            "provide (see docs/scripting.md)\n");
  EXPECT_FALSE(c.plan.runnable());
}

TEST(PlanCompilerScriptsTest, JMeterClassesBarrageProvidesAndPackageImportsAreFine) {
  CompiledPlan c = CompileWith(El(
      "JSR223PreProcessor", "ok",
      S("script",
        "import org.apache.jmeter.samplers.SampleResult\nimport org.apache.jmeter.protocol.http.control.Header\n"
        "import org.apache.jmeter.threads.*\n"
        "org.apache.jmeter.util.JMeterUtils.getProperty('x'); sampler.getHeaderManager().add(new Header('a', 'b'))")));
  EXPECT_EQ(Errors(c), "");
  EXPECT_TRUE(c.plan.runnable());
}

TEST(PlanCompilerScriptsTest, AScriptFileIsADataFileOfThePlan) {
  CompiledPlan c = CompileWith(El("JSR223PostProcessor", "from file", S("filename", "scripts/parse.groovy")) +
                               El("JSR223PreProcessor", "again", S("filename", "scripts/parse.groovy")));
  EXPECT_EQ(Errors(c), "");
  ASSERT_EQ(c.plan.data_files.size(), 1u);
  EXPECT_EQ(c.plan.data_files[0].filename, "scripts/parse.groovy");
  EXPECT_EQ(c.plan.data_files[0].function, "JSR223PostProcessor");
}

TEST(PlanCompilerScriptsTest, ATransactionsListenersAreTheScriptListenersInItsScopeOutermostFirst) {
  const std::string tc =
      "<TransactionController testclass=\"TransactionController\" testname=\"tx\"/><hashTree>\n" +
      El("JSR223Listener", "inner", S("script", "1")) +
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"in tx\"/><hashTree/>\n</hashTree>\n";
  CompiledPlan c = CompileUnder(El("BeanShellListener", "outer", S("script", "1")) + tc);
  EXPECT_EQ(Errors(c), "");
  const Node& tg = *c.plan.thread_groups().at(0);
  const Node* tx = nullptr;
  for (const auto& child : tg.children) {
    if (child->kind == ElementKind::kTransactionController) tx = child.get();
  }
  ASSERT_NE(tx, nullptr);
  const std::vector<const Node*>& heard = tx->As<TransactionController>().listeners;
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[0]->name, "outer");
  EXPECT_EQ(heard[1]->name, "inner");
}

TEST(PlanCompilerScriptsTest, AScriptFunctionNamingThePreviousSampleMakesUsersKeepIt) {
  auto reads = [](const std::string& function) {
    return CompileUnder(El("HTTPSamplerProxy", "f", S("HTTPSampler.path", "/" + function)))
        .plan.script_functions_read_previous;
  };
  EXPECT_TRUE(reads("${__groovy(prev.getResponseCode())}"));
  EXPECT_TRUE(reads("${__BeanShell(SampleResult.getSampleLabel())}"));
  EXPECT_TRUE(reads("${__groovy(ctx.getPreviousResult().getTime())}"));
  EXPECT_FALSE(reads("${__groovy(vars.get('x').length())}"));
  EXPECT_FALSE(reads("${__javaScript(1 + 2)}"));
}

TEST(PlanCompilerScriptsTest, ScriptLanguageNames) {
  EXPECT_EQ(ScriptLanguageOf("groovy"), "groovy");
  EXPECT_EQ(ScriptLanguageOf("GROOVY"), "groovy");
  EXPECT_EQ(ScriptLanguageOf("java"), "beanshell");
  EXPECT_EQ(ScriptLanguageOf("bsh"), "beanshell");
  EXPECT_EQ(ScriptLanguageOf("beanshell"), "beanshell");
  EXPECT_EQ(ScriptLanguageOf("ecmascript"), "javascript");
  EXPECT_EQ(ScriptLanguageOf("nashorn"), "javascript");
  EXPECT_EQ(ScriptLanguageOf("Jexl2"), "jexl2");
  EXPECT_EQ(ScriptLanguageOf("jexl"), "jexl2");
  EXPECT_EQ(ScriptLanguageOf("jexl3"), "jexl3");
  EXPECT_EQ(ScriptLanguageOf("jython"), "");
  EXPECT_EQ(ScriptLanguageOf(""), "");
}

}  // namespace
}  // namespace barrage
