// Script elements end to end in the engine (issue 11): a script is an asynchronous step of its
// user, so other users of the same event loop go on while it runs, and a run's stop ends
// scripts that would never end. Dummy Samplers make the other samples (no network).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/engine.h"
#include "worker/script_host.h"

namespace barrage {
namespace {

using engine_test::Dummy;
using engine_test::El;
using engine_test::Group;
using engine_test::Of;
using engine_test::Str;

std::string Jsr223(const std::string& kind, const std::string& name, const std::string& script) {
  return El("JSR223" + kind, name, Str("scriptLanguage", "groovy") + Str("cacheKey", "true") + Str("script", script));
}

class ScriptRunTest : public engine_test::EngineRunFixture {};

TEST_F(ScriptRunTest, AnEndlessScriptNeitherWedgesItsLoopNorOutlivesTheRunsStop) {
  // One event loop: the endless script's user and the dummy user share it.
  std::vector<Sample> samples =
      Run(Group("script", 1, 1, Jsr223("Sampler", "endless", "long i = 0; while (true) { i++ }")) +
              Group("other", 1, 20, Dummy("tick", "", "", 10)),
          /*loops=*/1, /*max_ms=*/1500, /*graceful_ms=*/300);
  // The other user made all its samples while the script ran.
  EXPECT_EQ(Of(samples, "tick").size(), 20u);
  // The run's stop (max duration, then the graceful timeout) stopped the script's thread: its
  // sample is an error with what the script ended with.
  std::vector<const Sample*> endless = Of(samples, "endless");
  ASSERT_EQ(endless.size(), 1u);
  EXPECT_FALSE(endless[0]->success);
  EXPECT_EQ(endless[0]->response_code, "500");
  EXPECT_EQ(endless[0]->response_message, "java.lang.ThreadDeath");
  EXPECT_LT(ran_ms_, 30000);  // bounded: not the script's (endless) time
}

// A script's sampler that says where it ran: "barrage-script" (a host thread) or
// "barrage-loop" (its event loop's own thread, once the script is quick).
const char kWhere[] = "SampleResult.setResponseMessage(Thread.currentThread().getName())";

TEST_F(ScriptRunTest, AQuickScriptMovesFromTheHostThreadsToItsLoopsThread) {
  std::vector<Sample> samples = Run(Group("users", 1, 300, Jsr223("Sampler", "where", kWhere)), /*loops=*/1,
                                    /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> where = Of(samples, "where");
  ASSERT_EQ(where.size(), 300u);
  // A new script runs on the host's threads until QuickCallPolicy::kFirstStreak calls in a
  // row were quick; then on the loop (a slow call, e.g. a pause of this machine, sends it back).
  EXPECT_EQ(where[0]->response_message, "barrage-script");
  const auto on_loop =
      std::find_if(where.begin(), where.end(), [](const Sample* s) { return s->response_message == "barrage-loop"; });
  ASSERT_NE(on_loop, where.end());
  EXPECT_GE(on_loop - where.begin(), QuickCallPolicy::kFirstStreak);
  for (const Sample* s : where) EXPECT_TRUE(s->success) << s->response_message;
}

// Once quick, the script blocks once on the loop's thread (2 s, or forever): the engine gives
// the loop to a new thread, and the other user of the loop keeps sampling meanwhile.
std::string BlocksOnceOnTheLoop(const std::string& block) {
  return "def name = Thread.currentThread().getName()\n"
         "if (name == 'barrage-loop' && props.get('blocked') == null) {\n"
         "  props.put('blocked', 'yes')\n"
         "  SampleResult.setResponseMessage('blocked on ' + name)\n  " +
         block +
         "\n} else {\n"
         "  SampleResult.setResponseMessage(name)\n"
         "}";
}

int64_t LongestGapMs(const std::vector<const Sample*>& samples) {
  int64_t gap = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    gap = std::max(gap, samples[i]->timestamp_ms - samples[i - 1]->timestamp_ms);
  }
  return gap;
}

TEST_F(ScriptRunTest, AQuickScriptThatBlocksGivesItsLoopToAnotherThread) {
  std::vector<Sample> samples =
      Run(Group("script", 1, 300, Jsr223("Sampler", "blocks once", BlocksOnceOnTheLoop("Thread.sleep(2000)"))) +
              Group("other", 1, 300, Dummy("tick", "", "", 5)),
          /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> script = Of(samples, "blocks once");
  ASSERT_EQ(script.size(), 300u);
  std::vector<const Sample*> blocked;
  for (const Sample* s : script) {
    if (s->response_message.rfind("blocked", 0) == 0) blocked.push_back(s);
  }
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0]->response_message, "blocked on barrage-loop");
  EXPECT_GE(blocked[0]->elapsed_us, 2000000);
  EXPECT_TRUE(blocked[0]->success);
  // The ticks went on through the 2 s: no gap near it (kQuickCallTakeoverUs, then a new thread).
  std::vector<const Sample*> ticks = Of(samples, "tick");
  ASSERT_EQ(ticks.size(), 300u);
  EXPECT_LT(LongestGapMs(ticks), 500) << "the loop was held by the blocked script";
}

TEST_F(ScriptRunTest, AQuickScriptThatNeverEndsIsStoppedAtTheRunsStopOnTheThreadItHeld) {
  std::vector<Sample> samples =
      Run(Group("script", 1, 300, Jsr223("Sampler", "endless once", BlocksOnceOnTheLoop("while (true) { }"))) +
              Group("other", 1, 100, Dummy("tick", "", "", 5)),
          /*loops=*/1, /*max_ms=*/1500, /*graceful_ms=*/300);
  std::vector<const Sample*> script = Of(samples, "endless once");
  ASSERT_FALSE(script.empty());
  EXPECT_EQ(script.back()->response_code, "500");
  EXPECT_EQ(script.back()->response_message, "java.lang.ThreadDeath");
  std::vector<const Sample*> ticks = Of(samples, "tick");
  EXPECT_EQ(ticks.size(), 100u);
  EXPECT_LT(LongestGapMs(ticks), 500) << "the loop was held by the endless script";
  EXPECT_LT(ran_ms_, 30000);
}

TEST_F(ScriptRunTest, AScriptFunctionSeesTheUsersIteration) {
  std::vector<Sample> samples = Run(Group("users", 1, 3, Dummy("it", "${__groovy(vars.getIteration())}")),
                                    /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> it = Of(samples, "it");
  ASSERT_EQ(it.size(), 3u);
  for (size_t i = 0; i < it.size(); ++i) EXPECT_EQ(it[i]->response_message, std::to_string(i + 1));
}

TEST_F(ScriptRunTest, AScriptFunctionsPrevIsTheUsersPreviousSample) {
  std::vector<Sample> samples =
      Run(Group("users", 1, 2,
                Dummy("first", "one") +
                    Dummy("second", "${__groovy(prev.getSampleLabel() + '/' + prev.getResponseMessage())}")),
          /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> second = Of(samples, "second");
  ASSERT_EQ(second.size(), 2u);
  for (const Sample* s : second) EXPECT_EQ(s->response_message, "first/one");
}

TEST_F(ScriptRunTest, ScriptsOfUsersOnOneLoopRunAtTheSameTime) {
  // Each user's pre-processor waits until all four users' scripts run at once: on one loop
  // that only happens when a running script does not hold the loop.
  const std::string meet =
      "def latch = System.getProperties().computeIfAbsent('barrage.script_run_test.latch', "
      "{ new java.util.concurrent.CountDownLatch(4) })\n"
      "latch.countDown()\n"
      "vars.put('met', String.valueOf(latch.await(20, java.util.concurrent.TimeUnit.SECONDS)))";
  std::vector<Sample> samples =
      Run(Group("users", 4, 1, Dummy("after", "met=${met}", Jsr223("PreProcessor", "meet", meet))), /*loops=*/1,
          /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> after = Of(samples, "after");
  ASSERT_EQ(after.size(), 4u);
  for (const Sample* s : after) EXPECT_EQ(s->response_message, "met=true") << s->thread_name;
}

TEST_F(ScriptRunTest, ASleepingScriptIsInterruptedAtTheRunsStop) {
  std::vector<Sample> samples = Run(Group("users", 2, 1,
                                          Dummy("after", "slept=${slept}",
                                                Jsr223("PreProcessor", "sleep",
                                                       "vars.put('slept', 'no'); Thread.sleep(600000); "
                                                       "vars.put('slept', 'yes')"))),
                                    /*loops=*/1, /*max_ms=*/500, /*graceful_ms=*/200);
  // JMeter's stop: the users end; a pre-processor's exception is logged, no sample follows
  // from a stopped user.
  for (const Sample& s : samples) EXPECT_NE(s.response_message, "slept=yes");
  EXPECT_LT(ran_ms_, 30000);
}

TEST_F(ScriptRunTest, APostProcessorScriptSeesItsSampleWhileOtherUsersSample) {
  std::vector<Sample> samples =
      Run(Group("users", 3, 5,
                Dummy("first", "m-${__threadNum}",
                      Jsr223("PostProcessor", "copy",
                             "vars.put('seen', prev.getResponseMessage() + '/' + prev.getSampleLabel())"),
                      1) +
                    Dummy("second", "${seen}")),
          /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> second = Of(samples, "second");
  ASSERT_EQ(second.size(), 15u);
  for (const Sample* s : second) {
    const std::string n = s->thread_name.substr(s->thread_name.rfind('-') + 1);
    EXPECT_EQ(s->response_message, "m-" + n + "/first") << s->thread_name;
  }
}

TEST_F(ScriptRunTest, APreProcessorsPrevIsTheUsersPreviousSample) {
  std::vector<Sample> samples =
      Run(Group("users", 1, 2,
                Dummy("first", "one") +
                    Dummy("second", "${before}",
                          Jsr223("PreProcessor", "look back",
                                 "vars.put('before', prev.getSampleLabel() + '/' + prev.getResponseMessage())"))),
          /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> second = Of(samples, "second");
  ASSERT_EQ(second.size(), 2u);
  for (const Sample* s : second) EXPECT_EQ(s->response_message, "first/one");
}

TEST_F(ScriptRunTest, AnAssertionWhoseScriptDoesNotCompileIsAnAssertionError) {
  std::vector<Sample> samples =
      Run(Group("users", 1, 2, Dummy("checked", "ok", Jsr223("Assertion", "broken", "def x = "))), /*loops=*/1,
          /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> checked = Of(samples, "checked");
  ASSERT_EQ(checked.size(), 2u);
  for (const Sample* s : checked) {
    EXPECT_FALSE(s->success);
    EXPECT_EQ(s->failure_message.rfind(
                  "javax.script.ScriptException: org.codehaus.groovy.control.MultipleCompilationErrorsException: "
                  "startup failed:",
                  0),
              0u)
        << s->failure_message;
  }
}

TEST_F(ScriptRunTest, AScriptFileIsReadRelativeToThePlanAndAMissingOneIsTheElementsError) {
  const std::string dir = ::testing::TempDir() + "script_run_test_files";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/show.groovy") << "vars.put('from', 'file ' + Label + ' ' + FileName + ' ' + args[0])";
  run_.base_dir = dir;
  const std::string from_file = El("JSR223PreProcessor", "reads file",
                                   Str("scriptLanguage", "groovy") + Str("filename", "show.groovy") +
                                       Str("parameters", "p1") + Str("script", "vars.put('from', 'inline')"));
  const std::string missing =
      El("JSR223Sampler", "missing", Str("scriptLanguage", "groovy") + Str("filename", "nope.groovy"));
  std::vector<Sample> samples = Run(Group("users", 1, 1, Dummy("after", "${from}", from_file) + missing),
                                    /*loops=*/1, /*max_ms=*/60000, /*graceful_ms=*/1000);
  std::vector<const Sample*> after = Of(samples, "after");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]->response_message, "file reads file show.groovy p1");
  std::vector<const Sample*> m = Of(samples, "missing");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->response_code, "500");
  EXPECT_EQ(
      m[0]->response_message,
      "javax.script.ScriptException: Script file 'nope.groovy' does not exist or is unreadable for element:missing");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace barrage
