// The script host against the real interpreters (Groovy, BeanShell, Rhino on OpenJDK 17).
#include "worker/script_host.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace barrage {
namespace {

class Waiter : public ScriptCallback {
 public:
  void OnScriptDone(ScriptCall*) override {
    std::lock_guard lock(mu_);
    ++done_;
    cv_.notify_all();
  }
  // Waits for `n` calls in all (bounded: a lost callback fails the test, not hangs it).
  bool WaitFor(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return done_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
};

class ScriptHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ScriptHost*> host = ScriptHost::Get();
    ASSERT_TRUE(host.ok()) << host.status().message();
    host_ = *host;
    host_->SetProperties(&props_);
    Result<std::unique_ptr<ScriptUser>> user = host_->NewUser(&vars_, 0, "Users 1-1", "Users", 1);
    ASSERT_TRUE(user.ok()) << user.status().message();
    user_ = std::move(*user);
  }
  void TearDown() override {
    if (host_) host_->SetProperties(nullptr);
  }

  std::unique_ptr<CompiledScript> Compile(ScriptRole role, const std::string& source,
                                          const std::string& language = "groovy",
                                          ScriptFlavour flavour = ScriptFlavour::kJsr223) {
    Result<std::unique_ptr<CompiledScript>> s =
        host_->Compile(role, flavour, language, "script under test", "", source);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  ScriptCall Call(const CompiledScript* script, SampleResult* prev = nullptr, SampleResult* current = nullptr) {
    ScriptCall c;
    c.script = script;
    c.user = user_.get();
    c.prev = prev;
    c.current = current;
    c.sampler_name = "HTTP Request";
    c.parameters = "a b  c";
    host_->CallNow(&c);
    return c;
  }

  ScriptHost* host_ = nullptr;
  Properties props_;
  Variables vars_;
  std::unique_ptr<ScriptUser> user_;
};

std::string Var(const Variables& v, const std::string& name) {
  const std::string* s = v.Get(name);
  return s ? *s : "<unset>";
}

TEST(QuickCallPolicyTest, QuickAfterAStreakOfShortCallsAndEachDemotionDoublesTheStreak) {
  QuickCallPolicy p;
  auto shorts = [&](int n) {
    for (int i = 0; i < n; ++i) p.Record(QuickCallPolicy::kQuickUs - 1);
  };
  shorts(QuickCallPolicy::kFirstStreak - 1);
  EXPECT_FALSE(p.quick());
  p.Record(QuickCallPolicy::kQuickUs);  // a slow call before it was quick (warm-up): no penalty
  shorts(QuickCallPolicy::kFirstStreak - 1);
  EXPECT_FALSE(p.quick());
  shorts(1);
  EXPECT_TRUE(p.quick());
  p.Record(kQuickCallTakeoverUs);  // it blocked while quick: twice the streak next time
  EXPECT_FALSE(p.quick());
  shorts(2 * QuickCallPolicy::kFirstStreak - 1);
  EXPECT_FALSE(p.quick());
  shorts(1);
  EXPECT_TRUE(p.quick());
  for (int demotions = 0; demotions < 20; ++demotions) {  // the streak needed stops growing
    p.Record(QuickCallPolicy::kQuickUs);
    shorts(QuickCallPolicy::kMaxStreak);
  }
  EXPECT_TRUE(p.quick());
}

TEST_F(ScriptHostTest, GroovyPostProcessorParsesPrevAndPutsVariables) {
  auto s = Compile(ScriptRole::kPostProcessor,
                   "def j = new groovy.json.JsonSlurper().parseText(prev.getResponseDataAsString())\n"
                   "vars.put('id', String.valueOf(j.id)); vars.put('name', j.name)");
  SampleResult prev;
  prev.body = R"({"id":42,"name":"barrage"})";
  ScriptCall c = Call(s.get(), &prev);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "id"), "42");
  EXPECT_EQ(Var(vars_, "name"), "barrage");
}

TEST_F(ScriptHostTest, BindingsAreJMetersNames) {
  auto s = Compile(ScriptRole::kPreProcessor,
                   "vars.put('out', [Label, FileName, Parameters, args.length, ctx.getThreadNum(),\n"
                   "  ctx.getThread().getThreadName(), sampler.getName(), ctx.getThreadGroup().getName(),\n"
                   "  ctx.getVariables().is(vars), props.is(ctx.getProperties())].join('|'))");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "out"), "script under test||a b  c|3|0|Users 1-1|HTTP Request|Users|true|true");
}

TEST_F(ScriptHostTest, SamplerDefaultsAndReturnValueBecomeTheResponse) {
  auto s = Compile(ScriptRole::kSampler, "return 'hello ' + vars.get('who')");
  vars_.Put("who", "world");
  SampleResult current;
  current.sample.label = "JSR223 Sampler";
  ScriptCall c = Call(s.get(), nullptr, &current);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(current.body, "hello world");
  EXPECT_EQ(current.sample.response_code, "200");
  EXPECT_EQ(current.sample.response_message, "OK");
  EXPECT_TRUE(current.sample.success);
  EXPECT_EQ(current.sample.data_type, "text");
  EXPECT_EQ(current.sample.label, "JSR223 Sampler");
  EXPECT_GE(c.elapsed_us, 0);
}

TEST_F(ScriptHostTest, SamplerSetsItsOwnResult) {
  auto s = Compile(ScriptRole::kSampler,
                   "SampleResult.setResponseCode('201'); SampleResult.setResponseMessage('Made');\n"
                   "SampleResult.setResponseData('{\"a\":1}', 'UTF-8'); SampleResult.setSuccessful(false);\n"
                   "return 'ignored: data was set'");
  SampleResult current;
  ScriptCall c = Call(s.get(), nullptr, &current);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(current.body, R"({"a":1})");
  EXPECT_EQ(current.sample.response_code, "201");
  EXPECT_EQ(current.sample.response_message, "Made");
  EXPECT_FALSE(current.sample.success);
}

TEST_F(ScriptHostTest, SamplerThatThrowsIsA500WithTheException) {
  auto s = Compile(ScriptRole::kSampler, "throw new IllegalStateException('boom')");
  SampleResult current;
  ScriptCall c = Call(s.get(), nullptr, &current);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "javax.script.ScriptException: java.lang.IllegalStateException: boom");
  EXPECT_EQ(current.sample.response_code, "500");
  EXPECT_EQ(current.sample.response_message, c.error);
  EXPECT_FALSE(current.sample.success);
}

TEST_F(ScriptHostTest, PostProcessorChangesToPrevAreWrittenBack) {
  auto s =
      Compile(ScriptRole::kPostProcessor,
              "if (prev.getResponseCode() == '404') { prev.setSuccessful(true); prev.setResponseMessage('fine') }");
  SampleResult prev;
  prev.sample.response_code = "404";
  prev.sample.success = false;
  prev.body = "not found";
  ScriptCall c = Call(s.get(), &prev);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_TRUE(prev.sample.success);
  EXPECT_EQ(prev.sample.response_message, "fine");
  EXPECT_EQ(prev.body, "not found");
}

TEST_F(ScriptHostTest, PrevShowsItsSubResults) {
  auto s = Compile(ScriptRole::kPostProcessor,
                   "vars.put('subs', prev.getSubResults().collect { it.getSampleLabel() + '=' + it.getResponseCode() + "
                   "'/' + it.getSubResults().length }.join(','))");
  SampleResult prev;
  prev.sample.label = "tx";
  prev.sub_results.resize(2);
  prev.sub_results[0].sample.label = "login";
  prev.sub_results[0].sample.response_code = "302";
  prev.sub_results[0].sub_results.resize(1);
  prev.sub_results[1].sample.label = "home";
  prev.sub_results[1].sample.response_code = "200";
  ScriptCall c = Call(s.get(), &prev);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "subs"), "login=302/1,home=200/0");
}

TEST_F(ScriptHostTest, AssertionResultCarriesFailureAndMessage) {
  auto s = Compile(ScriptRole::kAssertion,
                   "if (SampleResult.getResponseDataAsString().contains('error')) {\n"
                   "  AssertionResult.setFailure(true); AssertionResult.setFailureMessage('body says error: ' + "
                   "prev.getSampleLabel()) }");
  SampleResult prev;
  prev.sample.label = "Login";
  prev.body = "an error happened";
  ScriptCall c;
  c.script = s.get();
  c.user = user_.get();
  c.prev = &prev;
  c.assertion.name = "JSR223 Assertion";
  host_->CallNow(&c);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_TRUE(c.assertion.failure);
  EXPECT_FALSE(c.assertion.error);
  EXPECT_EQ(c.assertion.message, "body says error: Login");
}

TEST_F(ScriptHostTest, PutObjectValuesStayObjectsAcrossScriptsOfOneUser) {
  auto put = Compile(ScriptRole::kPreProcessor, "vars.putObject('list', [1, 2, 3]); vars.putObject('s', 'text')");
  auto read = Compile(ScriptRole::kPostProcessor, "vars.put('n', String.valueOf(vars.getObject('list').sum()))");
  EXPECT_TRUE(Call(put.get()).ok);
  ScriptCall c = Call(read.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "n"), "6");
  EXPECT_EQ(Var(vars_, "list"), "<unset>");  // an object is no string variable
  EXPECT_EQ(Var(vars_, "s"), "text");        // a string put as an object is one
}

TEST_F(ScriptHostTest, VarsIteratesRemovesAndKeepsUnicode) {
  vars_.Put("b", "2");
  vars_.Put("a", "h\xC3\xA9llo \xF0\x9F\x98\x80");
  auto s = Compile(ScriptRole::kPreProcessor,
                   "def names = []; vars.getIterator().each { names << it.key }\n"
                   "vars.put('names', names.join(',')); vars.put('upper', vars.get('a').toUpperCase());\n"
                   "vars.put('len', String.valueOf(vars.get('a').length())); vars.remove('b')");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "names"), "a,b");
  EXPECT_EQ(Var(vars_, "upper"), "H\xC3\x89LLO \xF0\x9F\x98\x80");
  EXPECT_EQ(Var(vars_, "len"), "8");  // UTF-16 units: the emoji is two
  EXPECT_EQ(Var(vars_, "b"), "<unset>");
}

TEST_F(ScriptHostTest, PropsAreTheRunsProperties) {
  props_.Set("base", "http://localhost");
  auto s = Compile(ScriptRole::kPreProcessor,
                   "props.put('token', 'abc'); vars.put('base', props.getProperty('base'));\n"
                   "vars.put('dflt', props.getProperty('none', 'd')); props.remove('base');\n"
                   "vars.put('u', org.apache.jmeter.util.JMeterUtils.getPropDefault('token', ''))");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(props_.Get("token"), "abc");
  EXPECT_EQ(props_.Get("base"), std::nullopt);
  EXPECT_EQ(Var(vars_, "base"), "http://localhost");
  EXPECT_EQ(Var(vars_, "dflt"), "d");
  EXPECT_EQ(Var(vars_, "u"), "abc");
}

TEST_F(ScriptHostTest, CommonImportsOfRealPlansWork) {
  auto s = Compile(ScriptRole::kPreProcessor,
                   "import javax.crypto.Mac\nimport javax.crypto.spec.SecretKeySpec\n"
                   "import org.apache.commons.codec.binary.Base64\nimport org.apache.commons.codec.digest.DigestUtils\n"
                   "import groovy.json.JsonOutput\n"
                   "Mac mac = Mac.getInstance('HmacSHA256'); mac.init(new SecretKeySpec('key'.bytes, 'HmacSHA256'))\n"
                   "vars.put('hmac', Base64.encodeBase64String(mac.doFinal('data'.bytes)))\n"
                   "vars.put('md5', DigestUtils.md5Hex('abc'))\n"
                   "vars.put('json', JsonOutput.toJson([a: 1, b: [true, null]]))\n"
                   "vars.put('uuid', String.valueOf(UUID.randomUUID().toString().length()))");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "hmac"), "UDH+PZicbRU3oBP6bnOdojRj/a7DtwE32Cjjas4iG9A=");
  EXPECT_EQ(Var(vars_, "md5"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Var(vars_, "json"), R"({"a":1,"b":[true,null]})");
  EXPECT_EQ(Var(vars_, "uuid"), "36");
}

TEST_F(ScriptHostTest, BeanShellKeepsItsVariablesBetweenCallsOfOneUser) {
  auto s =
      Compile(ScriptRole::kPreProcessor, "if (count == void) count = 0; count++; vars.put(\"count\", \"\" + count);",
              "", ScriptFlavour::kBeanShell);
  EXPECT_TRUE(Call(s.get()).ok);
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "count"), "2");
}

TEST_F(ScriptHostTest, BeanShellAssertionUsesFailureAndFailureMessage) {
  auto s = Compile(ScriptRole::kAssertion,
                   "if (!ResponseCode.equals(\"200\")) { Failure = true; FailureMessage = \"code \" + ResponseCode; }",
                   "", ScriptFlavour::kBeanShell);
  SampleResult prev;
  prev.sample.response_code = "503";
  ScriptCall c;
  c.script = s.get();
  c.user = user_.get();
  c.prev = &prev;
  host_->CallNow(&c);
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_TRUE(c.assertion.failure);
  EXPECT_EQ(c.assertion.message, "code 503");
}

TEST_F(ScriptHostTest, BeanShellErrorIsWrappedAsJMeterDoes) {
  auto s = Compile(ScriptRole::kSampler, "undefinedMethod();", "", ScriptFlavour::kBeanShell);
  SampleResult current;
  ScriptCall c = Call(s.get(), nullptr, &current);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error.rfind("org.apache.jorphan.util.JMeterException: Error invoking bsh method: eval\t", 0), 0u)
      << c.error;
  EXPECT_NE(c.error.find("undefinedMethod"), std::string::npos) << c.error;
}

TEST_F(ScriptHostTest, JavaScriptRunsOnRhino) {
  auto s =
      Compile(ScriptRole::kPreProcessor, "vars.put('sum', String(1 + 2)); vars.put('t', typeof vars);", "javascript");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(Var(vars_, "sum"), "3");
  EXPECT_EQ(Var(vars_, "t"), "object");
}

TEST_F(ScriptHostTest, JexlRunsOnCommonsJexlsOwnEngines) {
  vars_.Put("n", "4");
  auto two = Compile(ScriptRole::kPreProcessor, "vars.put('j2', (vars.get('n') * 2 + 1).toString())", "jexl2");
  ScriptCall c2 = Call(two.get());
  EXPECT_TRUE(c2.ok) << c2.error;
  EXPECT_EQ(Var(vars_, "j2"), "9");
  auto three = Compile(ScriptRole::kPreProcessor, "vars.put('j3', Label + ':' + size(args))", "jexl3");
  ScriptCall c3 = Call(three.get());
  EXPECT_TRUE(c3.ok) << c3.error;
  EXPECT_EQ(Var(vars_, "j3"), "script under test:3");
}

TEST_F(ScriptHostTest, TimerReturnValueIsTheDelay) {
  auto s = Compile(ScriptRole::kTimer, "return 100 + 50");
  ScriptCall c = Call(s.get());
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.value, "150");
}

TEST_F(ScriptHostTest, CompileErrorsAndUnknownLanguagesAreErrors) {
  Result<std::unique_ptr<CompiledScript>> bad =
      host_->Compile(ScriptRole::kSampler, ScriptFlavour::kJsr223, "groovy", "bad", "", "def x = ");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unexpected token"), std::string::npos) << bad.status().message();
  Result<std::unique_ptr<CompiledScript>> jython =
      host_->Compile(ScriptRole::kSampler, ScriptFlavour::kJsr223, "jython", "py", "", "x = 1");
  ASSERT_FALSE(jython.ok());
  EXPECT_EQ(jython.status().message(),
            "javax.script.ScriptException: Cannot find engine named: 'jython', ensure you set language field in "
            "JSR223 Test Element");
}

TEST_F(ScriptHostTest, ManyUsersCallConcurrentlyEachOnItsOwnVariables) {
  auto s =
      Compile(ScriptRole::kPreProcessor, "int n = (vars.get('n') ?: '0') as int; vars.put('n', String.valueOf(n + 1))");
  constexpr int kUsers = 40, kCallsEach = 25;
  std::vector<Variables> vars(kUsers);
  std::vector<std::unique_ptr<ScriptUser>> users;
  for (int u = 0; u < kUsers; ++u) {
    Result<std::unique_ptr<ScriptUser>> user =
        host_->NewUser(&vars[u], u, "Users 1-" + std::to_string(u + 1), "Users", kUsers);
    ASSERT_TRUE(user.ok());
    users.push_back(std::move(*user));
  }
  // Each user's calls run one after another (as a parked user's), users side by side.
  struct Chain : ScriptCallback {
    ScriptHost* host;
    ScriptCall call;
    int left;
    Waiter* waiter;
    void OnScriptDone(ScriptCall* c) override {
      if (--left > 0) {
        host->Submit(c);
      } else {
        waiter->OnScriptDone(c);
      }
    }
  };
  Waiter waiter;
  std::vector<Chain> chains(kUsers);
  for (int u = 0; u < kUsers; ++u) {
    chains[u].host = host_;
    chains[u].left = kCallsEach;
    chains[u].waiter = &waiter;
    chains[u].call.script = s.get();
    chains[u].call.user = users[u].get();
    chains[u].call.callback = &chains[u];
  }
  for (Chain& c : chains) host_->Submit(&c.call);
  ASSERT_TRUE(waiter.WaitFor(kUsers));
  for (int u = 0; u < kUsers; ++u) {
    EXPECT_TRUE(chains[u].call.ok) << chains[u].call.error;
    EXPECT_EQ(Var(vars[u], "n"), std::to_string(kCallsEach)) << "user " << u;
  }
}

TEST_F(ScriptHostTest, EndlessAndSleepingScriptsAreStoppedAtTheRunsStop) {
  auto endless = Compile(ScriptRole::kSampler, "props.put('a', 'running'); long i = 0; while (true) { i++ }");
  auto sleeping = Compile(ScriptRole::kPreProcessor, "props.put('b', 'running'); Thread.sleep(600000)");
  Waiter waiter;
  SampleResult current;
  ScriptCall a, b;
  a.script = endless.get();
  a.user = user_.get();
  a.current = &current;
  a.callback = &waiter;
  Variables other_vars;
  Result<std::unique_ptr<ScriptUser>> other = host_->NewUser(&other_vars, 1, "Users 1-2", "Users", 2);
  ASSERT_TRUE(other.ok());
  b.script = sleeping.get();
  b.user = other->get();
  b.callback = &waiter;
  host_->Submit(&a);
  host_->Submit(&b);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(props_.Get("a") && props_.Get("b")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(props_.Get("a") && props_.Get("b"));
  host_->StopRunningCalls(200);
  ASSERT_TRUE(waiter.WaitFor(2));
  EXPECT_FALSE(a.ok);
  EXPECT_FALSE(b.ok);
  EXPECT_NE(b.error.find("sleep interrupted"), std::string::npos) << b.error;
  EXPECT_EQ(current.sample.response_code, "500");
}

}  // namespace
}  // namespace barrage
