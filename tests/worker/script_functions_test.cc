// Script functions on the real JVM (worker/script_functions.h): __javaScript, __groovy and
// __BeanShell beyond the one-line evaluator, and the evaluator's results equal to the
// interpreters' for what it runs.
#include "worker/script_functions.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/template.h"

namespace barrage {
namespace {

class ScriptFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ScriptHost*> host = ScriptHost::Get();
    ASSERT_TRUE(host.ok()) << host.status().message();
    host_ = *host;
    host_->SetProperties(&run_.properties);
    Result<std::unique_ptr<ScriptFunctionRunner>> runner = ScriptFunctionRunner::Create(host_);
    ASSERT_TRUE(runner.ok()) << runner.status().message();
    runner_ = std::move(*runner);
    run_.scripts = runner_.get();
    ctx_ = NewUser(1);
  }
  void TearDown() override {
    users_.clear();
    if (host_) host_->SetProperties(nullptr);
  }

  ThreadContext* NewUser(int n) {
    auto ctx = std::make_unique<ThreadContext>();
    ctx->run = &run_;
    ctx->thread_num = n;
    ctx->group_name = "Users";
    ctx->thread_name = "Users 1-" + std::to_string(n);
    users_.push_back(std::move(ctx));
    return users_.back().get();
  }

  std::string Eval(const std::string& text, ThreadContext* ctx = nullptr) {
    return Evaluate(ParseTemplate(text), ctx ? *ctx : *ctx_);
  }
  std::string Var(const std::string& name) {
    const std::string* v = ctx_->vars.Get(name);
    return v ? *v : "<unset>";
  }

  ScriptHost* host_ = nullptr;
  RunContext run_;
  std::unique_ptr<ScriptFunctionRunner> runner_;
  std::vector<std::unique_ptr<ThreadContext>> users_;
  ThreadContext* ctx_ = nullptr;
};

TEST_F(ScriptFunctionsTest, JavaScriptRunsStatementsWithVarsAndStoresTheResult) {
  ctx_->vars.Put("name", "bob");
  EXPECT_EQ(Eval("${__javaScript(var a = 2; var b = vars.get('name'); b + (a * 21),out)}"), "bob42");
  EXPECT_EQ(Var("out"), "bob42");
  EXPECT_EQ(Eval("${__javaScript(vars.put('k'\\, 'v'); threadName)}"), "Users 1-1");
  EXPECT_EQ(Var("k"), "v");
  // A statement's value is undefined, which Rhino prints as such.
  EXPECT_EQ(Eval("${__javaScript(var x = 1;)}"), "undefined");
  // Each call has a fresh scope, as JMeter's evaluateString in a new standard scope.
  EXPECT_EQ(Eval("${__javaScript(typeof x)}"), "undefined");
}

TEST_F(ScriptFunctionsTest, JavaScriptErrorsGiveEmptyAndLeaveTheVariable) {
  EXPECT_EQ(Eval("[${__javaScript(var a = ; a,r)}]"), "[]");
  EXPECT_EQ(Eval("[${__javaScript(undefinedName.foo(),r)}]"), "[]");
  EXPECT_EQ(Var("r"), "<unset>");
}

TEST_F(ScriptFunctionsTest, GroovyRunsScriptsWithBindings) {
  EXPECT_EQ(Eval("${__groovy(def s = 0; (1..4).each { s += it }; s,total)}"), "10");
  EXPECT_EQ(Var("total"), "10");
  EXPECT_EQ(Eval("${__groovy(props.put('p'\\, 'q'); props.get('p'))}"), "q");
  EXPECT_EQ(run_.properties.Get("p"), "q");
  EXPECT_EQ(Eval("${__groovy(ctx.getThreadNum() + ':' + threadName)}"), "0:Users 1-1");
  EXPECT_EQ(Eval("[${__groovy(vars.put('g'\\, 'h'); null)}]"), "[]");  // null gives ""
  EXPECT_EQ(Var("g"), "h");
}

TEST_F(ScriptFunctionsTest, VarsGetIterationIsTheUsersIteration) {
  ctx_->iteration = 3;
  EXPECT_EQ(Eval("${__groovy(vars.getIteration())}"), "3");
  EXPECT_EQ(Eval("${__javaScript(vars.getIteration())}"), "3");
}

TEST_F(ScriptFunctionsTest, GroovyErrorsGiveEmptyAndLeaveTheVariable) {
  EXPECT_EQ(Eval("[${__groovy(throw new RuntimeException('boom'),r)}]"), "[]");
  EXPECT_EQ(Eval("[${__groovy(def x = ; x,r)}]"), "[]");  // does not compile
  EXPECT_EQ(Var("r"), "<unset>");
}

// JMeter 2.13 keeps one interpreter per occurrence of __BeanShell in the plan, shared by all
// threads (tests/jmeter_compat script_functions_full).
TEST_F(ScriptFunctionsTest, BeanShellKeepsOneInterpreterPerOccurrence) {
  Template count = ParseTemplate("${__BeanShell(if (cnt == void) cnt = 0; cnt++; threadName + \"=\" + cnt,c)}");
  Template other = ParseTemplate("${__BeanShell(cnt == void ? \"none\" : \"seen\")}");
  ThreadContext* second = NewUser(2);
  EXPECT_EQ(Evaluate(count, *ctx_), "Users 1-1=1");
  EXPECT_EQ(Var("c"), "Users 1-1=1");
  EXPECT_EQ(Evaluate(count, *second), "Users 1-2=2");  // another user, the same interpreter
  EXPECT_EQ(Evaluate(count, *ctx_), "Users 1-1=3");
  EXPECT_EQ(Evaluate(other, *ctx_), "none");  // another occurrence has its own
  EXPECT_EQ(Eval("${__BeanShell(vars.put(\"b\"\\, \"t\" + ctx.getThreadNum()); vars.get(\"b\"))}", second), "t1");
  EXPECT_EQ(Eval("${__BeanShell(int i = 5; i * 2,twice)}"), "10");
  EXPECT_EQ(Var("twice"), "10");
}

TEST_F(ScriptFunctionsTest, BeanShellErrorsGiveEmptyAndLeaveTheVariable) {
  EXPECT_EQ(Eval("[${__BeanShell(throw new Exception(\"boom\");,r)}]"), "[]");
  EXPECT_EQ(Eval("[${__BeanShell(int = ;,r)}]"), "[]");
  EXPECT_EQ(Var("r"), "<unset>");
}

TEST_F(ScriptFunctionsTest, JexlRunsScriptsWithJMetersContext) {
  ctx_->vars.Put("n", "4");
  EXPECT_EQ(Eval("${__jexl2(x = vars.get('n'); y = x + 1; threadName + ':' + y,j2)}"), "Users 1-1:5");
  EXPECT_EQ(Var("j2"), "Users 1-1:5");
  EXPECT_EQ(Eval("${__jexl3(var s = 0; for (var i : [1\\, 2\\, 3]) { s = s + i; } s,j3)}"), "6");
  EXPECT_EQ(Var("j3"), "6");
  EXPECT_EQ(Eval("${__jexl3(vars.put('k'\\, 'v'); ctx.getThreadNum())}"), "0");
  EXPECT_EQ(Var("k"), "v");
}

TEST_F(ScriptFunctionsTest, JexlErrorsAsJMetersEngines) {
  // JEXL 2 (not silent): the error is thrown, "" and the variable is left.
  EXPECT_EQ(Eval("[${__jexl2(nosuch.call(),r2)}]"), "[]");
  EXPECT_EQ(Var("r2"), "<unset>");
  // JEXL 3 is silent: a failing evaluation is null, "" is returned and stored.
  EXPECT_EQ(Eval("[${__jexl3(x = 1; x.nosuch(),r3)}]"), "[]");
  EXPECT_EQ(Var("r3"), "");
}

TEST_F(ScriptFunctionsTest, ConditionsBeyondTheGrammarRunOnRhino) {
  Result<std::string> r = EvaluateScript("var a = 3; a > 2", *ctx_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "true");
}

TEST_F(ScriptFunctionsTest, WithoutTheHostScriptFunctionsStayAsWritten) {
  run_.scripts = nullptr;
  EXPECT_EQ(Eval("${__BeanShell(1+1)}"), "${__BeanShell(1+1)}");
  EXPECT_EQ(Eval("${__groovy(def a = 1; a)}"), "${__groovy(def a = 1; a)}");
  EXPECT_EQ(Eval("${__groovy(1 + 1)}"), "2");  // the one-line evaluator needs no host
}

// The one-line evaluator and the interpreters agree on everything it runs.
TEST_F(ScriptFunctionsTest, OneLineEvaluatorGivesTheInterpretersResults) {
  ctx_->vars.Put("x", "y");
  ctx_->vars.Put("n", "5");
  run_.properties.Set("host", "example.org");
  struct Case {
    ScriptDialect dialect;
    const char* function;
    const char* expression;
  };
  const Case cases[] = {
      {ScriptDialect::kJavaScript, "__javaScript", "1 + 2"},
      {ScriptDialect::kJavaScript, "__javaScript", "7 / 2"},
      {ScriptDialect::kJavaScript, "__javaScript", "1e21"},
      {ScriptDialect::kJavaScript, "__javaScript", "0.1 + 0.2"},
      {ScriptDialect::kJavaScript, "__javaScript", "'a' + 1"},
      {ScriptDialect::kJavaScript, "__javaScript", "\"5\" * 2"},
      {ScriptDialect::kJavaScript, "__javaScript", "10 % 4"},
      {ScriptDialect::kJavaScript, "__javaScript", "vars.get('x') == 'y'"},
      {ScriptDialect::kJavaScript, "__javaScript", "vars.get('n') > 3 && vars.get('x') != 'z'"},
      {ScriptDialect::kJavaScript, "__javaScript", "'abc'.length"},
      {ScriptDialect::kJavaScript, "__javaScript", "'Hello'.toUpperCase()"},
      {ScriptDialect::kJavaScript, "__javaScript", "'hello'.substring(1, 3)"},
      {ScriptDialect::kJavaScript, "__javaScript", "'a-b-b'.replace('b', 'c')"},
      {ScriptDialect::kJavaScript, "__javaScript", "parseInt('42') + 1"},
      {ScriptDialect::kJavaScript, "__javaScript", "1 < 2 ? 'yes' : 'no'"},
      {ScriptDialect::kJavaScript, "__javaScript", "0 || 'z'"},
      {ScriptDialect::kJavaScript, "__javaScript", "!''"},
      {ScriptDialect::kJavaScript, "__javaScript", "props.get('host')"},
      {ScriptDialect::kJavaScript, "__javaScript", "props.getProperty('missing', 'dflt')"},
      {ScriptDialect::kJavaScript, "__javaScript", "null"},
      {ScriptDialect::kJavaScript, "__javaScript", "vars.get('unset')"},
      {ScriptDialect::kJavaScript, "__javaScript", "'x' + vars.get('unset')"},
      {ScriptDialect::kJavaScript, "__javaScript", "2 == '2'"},
      {ScriptDialect::kJavaScript, "__javaScript", "-7 % 3"},
      {ScriptDialect::kGroovy, "__groovy", "null"},
      {ScriptDialect::kGroovy, "__groovy", "vars.get('unset')"},
      {ScriptDialect::kGroovy, "__groovy", "-7 % 3"},
      {ScriptDialect::kGroovy, "__groovy", "1 + 2"},
      {ScriptDialect::kGroovy, "__groovy", "7 / 2"},
      {ScriptDialect::kGroovy, "__groovy", "4 / 2"},
      {ScriptDialect::kGroovy, "__groovy", "1 / 3"},
      {ScriptDialect::kGroovy, "__groovy", "1.5 * 2"},
      {ScriptDialect::kGroovy, "__groovy", "2e3"},
      {ScriptDialect::kGroovy, "__groovy", "'ab' * 2"},
      {ScriptDialect::kGroovy, "__groovy", "'a' + 1"},
      {ScriptDialect::kGroovy, "__groovy", "vars.get('x').equals('y')"},
      {ScriptDialect::kGroovy, "__groovy", "vars.get('x').length()"},
      {ScriptDialect::kGroovy, "__groovy", "Integer.parseInt(vars.get('n')) * 3"},
      {ScriptDialect::kGroovy, "__groovy", "'Hello'.toLowerCase().contains('ell')"},
      {ScriptDialect::kGroovy, "__groovy", "'a-b-b'.replace('b', 'c')"},
      {ScriptDialect::kGroovy, "__groovy", "vars.get('n') == '5' ? 'five' : 'other'"},
      {ScriptDialect::kGroovy, "__groovy", "props.get('host')"},
  };
  const char* jexl[] = {"1 + 2",
                        "7 / 2",
                        "1.5 * 2",
                        "'a' + 1",
                        "'5' + 2",
                        "vars.get('x') == 'y'",
                        "vars.get('n') > 3",
                        "'abc'.length()",
                        "'Hello'.toUpperCase()",
                        "!''",
                        "'false' ? 1 : 2",
                        "vars.get('unset')",
                        "props.get('host')",
                        "10 % 4"};
  std::vector<Case> all(std::begin(cases), std::end(cases));
  for (const char* e : jexl) {
    all.push_back({ScriptDialect::kJexl2, "__jexl2", e});
    all.push_back({ScriptDialect::kJexl, "__jexl3", e});
  }
  for (const Case& c : all) {
    Result<std::string> fast = EvaluateScriptExpression(c.expression, *ctx_, c.dialect);
    ASSERT_TRUE(fast.ok()) << c.expression << ": " << fast.status().message();
    Result<std::string> real = runner_->Run(c.function, c.expression, *ctx_, nullptr);
    ASSERT_TRUE(real.ok()) << c.expression << ": " << real.status().message();
    EXPECT_EQ(*fast, *real) << c.function << "(" << c.expression << ")";
  }
}

}  // namespace
}  // namespace barrage
