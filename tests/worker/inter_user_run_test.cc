// Users that wait for other users, end to end in the engine (issue 10): jp@gc Fifo Put/Pop
// and the Synchronizing Timer; and users that share an event loop. Dummy Samplers make the samples (no network): their
// response message shows the variables, their timestamps when each user went on.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/engine.h"

namespace barrage {
namespace {

using engine_test::Dummy;
using engine_test::El;
using engine_test::Group;
using engine_test::Of;
using engine_test::Str;

std::string Put(const std::string& queue, const std::string& value) {
  return El("kg.apc.jmeter.modifiers.FifoPutPostProcessor", "put", Str("FifoName", queue) + Str("Value", value));
}
std::string Pop(const std::string& queue, const std::string& variable, const std::string& timeout) {
  return El("kg.apc.jmeter.modifiers.FifoPopPreProcessor", "pop",
            Str("FifoName", queue) + Str("Variable", variable) + Str("Timeout", timeout));
}
std::string Sync(int group_size, int64_t timeout_ms) {
  return El("SyncTimer", "sync",
            "<intProp name=\"groupSize\">" + std::to_string(group_size) + "</intProp><longProp name=\"timeoutInMs\">" +
                std::to_string(timeout_ms) + "</longProp>");
}

class InterUserRunTest : public engine_test::EngineRunFixture {};

// ---- Fifo Put/Pop ----

TEST_F(InterUserRunTest, FifoPassesValuesFromOneThreadGroupToAnother) {
  // One event loop: the consumer waits for each value while the producer, on the same loop,
  // makes it (a wait that blocked the loop would never end).
  std::string producer = Group("producer", 1, 3, Dummy("make", "", Put("Q", "v${__counter(TRUE,)}"), 100));
  std::string consumer = Group("consumer", 1, 3, Dummy("use", "${got}", Pop("Q", "got", "")));
  std::vector<Sample> samples = Run(consumer + producer, /*loops=*/1);
  std::vector<const Sample*> used = Of(samples, "use");
  ASSERT_EQ(used.size(), 3u);
  EXPECT_EQ(used[0]->response_message, "v1");
  EXPECT_EQ(used[1]->response_message, "v2");
  EXPECT_EQ(used[2]->response_message, "v3");
  // Each value exists only after its producer's 100 ms sample.
  EXPECT_GE(used[2]->timestamp_ms - started_ms_, 300);
}

TEST_F(InterUserRunTest, FifoValuesCrossEventLoopsInOrderToWaitingUsers) {
  // Four consumers wait on two loops; the producer puts 1..4 once they all wait.
  std::string producer = Group("producer", 1, 4, Dummy("make", "", Put("Q", "${__counter(TRUE,)}"), 50));
  std::string consumer = Group("consumer", 4, 1, Dummy("use", "${got}", Pop("Q", "got", "")));
  std::vector<Sample> samples = Run(consumer + producer, /*loops=*/2);
  std::vector<const Sample*> used = Of(samples, "use");
  ASSERT_EQ(used.size(), 4u);
  std::vector<std::string> got;
  for (const Sample* s : used) got.push_back(s->response_message);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST_F(InterUserRunTest, FifoPopTimesOutAndUnsetsTheVariable) {
  // The variable had a value; the timed-out pop unsets it (the plugin stores null), so
  // ${got} stays as written.
  std::string udv =
      El("Arguments", "udv",
         "<collectionProp name=\"Arguments.arguments\"><elementProp name=\"got\" elementType=\"Argument\">" +
             Str("Argument.name", "got") + Str("Argument.value", "old") + "</elementProp></collectionProp>");
  std::vector<Sample> samples = Run(udv + Group("tg", 1, 1, Dummy("use", "${got}", Pop("Q", "got", "1"))), 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_message, "${got}");
  EXPECT_GE(samples[0].timestamp_ms - started_ms_, 1000);
  EXPECT_LT(samples[0].timestamp_ms - started_ms_, 3000);
}

TEST_F(InterUserRunTest, FifoPopWithZeroTimeoutDoesNotWait) {
  std::vector<Sample> samples = Run(Group("tg", 1, 1, Dummy("use", "${got}", Pop("Q", "got", "0"))), 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].response_message, "${got}");
  EXPECT_LT(samples[0].timestamp_ms - started_ms_, 1000);
}

TEST_F(InterUserRunTest, FifoPopTakesAValueAlreadyThereAtOnce) {
  std::string setup = El("SetupThreadGroup", "setup",
                         Str("ThreadGroup.num_threads", "1") +
                             "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                             Str("LoopController.loops", "2") + "</elementProp>",
                         Dummy("make", "", Put("Q", "${__counter(TRUE,)}")));
  std::vector<Sample> samples = Run(setup + Group("tg", 1, 3, Dummy("use", "${got}", Pop("Q", "got", "0"))), 1);
  std::vector<const Sample*> used = Of(samples, "use");
  ASSERT_EQ(used.size(), 3u);
  EXPECT_EQ(used[0]->response_message, "1");
  EXPECT_EQ(used[1]->response_message, "2");
  EXPECT_EQ(used[2]->response_message, "${got}");  // the queue is empty by then
}

TEST_F(InterUserRunTest, AFifoPopTimeoutThatIsNoNumberStopsTheUser) {
  // The plugin's Long.parseLong throws, which ends the JMeter thread.
  std::string udv =
      El("Arguments", "udv",
         "<collectionProp name=\"Arguments.arguments\"><elementProp name=\"t\" elementType=\"Argument\">" +
             Str("Argument.name", "t") + Str("Argument.value", "soon") + "</elementProp></collectionProp>");
  std::vector<Sample> samples =
      Run(udv + Group("tg", 1, 2, Dummy("before", "") + Dummy("use", "${got}", Pop("Q", "got", "${t}"))), 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].label, "before");
}

TEST_F(InterUserRunTest, FifoFunctionsUseTheSameQueues) {
  // __fifoPut in one group, a Fifo Pop in the other; __fifoSize and __fifoGet look.
  std::string producer = Group("producer", 1, 1, Dummy("make", "${__fifoPut(Q,first)}${__fifoPut(Q,second)}", "", 50));
  std::string consumer =
      Group("consumer", 1, 1, Dummy("use", "${got} ${__fifoSize(Q)} ${__fifoGet(Q)}", Pop("Q", "got", "")));
  std::vector<Sample> samples = Run(consumer + producer, 1);
  std::vector<const Sample*> made = Of(samples, "make");
  std::vector<const Sample*> used = Of(samples, "use");
  ASSERT_EQ(made.size(), 1u);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(made[0]->response_message, "firstsecond");
  EXPECT_EQ(used[0]->response_message, "first 1 second");
}

TEST_F(InterUserRunTest, AUserWaitingForEverStopsWithTheRun) {
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Dummy("use", "${got}", Pop("Q", "got", ""))), 2,
                                    /*max_ms=*/300);
  EXPECT_TRUE(samples.empty());
  EXPECT_LT(ran_ms_, 3000);
}

// A thread group with a scheduler: it ends `duration_s` after its start.
std::string ScheduledGroup(const std::string& name, int threads, int duration_s, const std::string& children) {
  return El("ThreadGroup", name,
            Str("ThreadGroup.num_threads", std::to_string(threads)) +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", "-1") +
                "</elementProp><boolProp name=\"ThreadGroup.scheduler\">true</boolProp>" +
                Str("ThreadGroup.duration", std::to_string(duration_s)),
            children);
}

TEST_F(InterUserRunTest, AFifoWaitEndsAtItsThreadGroupsScheduledEnd) {
  std::vector<Sample> samples =
      Run(ScheduledGroup("tg", 2, 1, Dummy("use", "${got}", Pop("Q", "got", ""))), 2, /*max_ms=*/20000);
  EXPECT_TRUE(samples.empty());
  EXPECT_GE(ran_ms_, 1000);
  EXPECT_LT(ran_ms_, 3000);
}

// ---- Synchronizing Timer ----

TEST_F(InterUserRunTest, SyncTimerReleasesTheGroupTogether) {
  // Three users start 0, 333 and 666 ms apart (ramp-up 1 s): all sample once the last is
  // there, twice.
  std::vector<Sample> samples = Run(Group("tg", 3, 2, Dummy("met", "", Sync(0, 0)), /*ramp_s=*/1), 2);
  std::vector<const Sample*> met = Of(samples, "met");
  ASSERT_EQ(met.size(), 6u);
  std::vector<int64_t> at;
  for (const Sample* s : met) at.push_back(s->timestamp_ms - started_ms_);
  std::sort(at.begin(), at.end());
  EXPECT_GE(at[0], 666);
  EXPECT_LE(at[2] - at[0], 50);  // the first meeting
  EXPECT_LE(at[5] - at[3], 50);  // the second
}

TEST_F(InterUserRunTest, SyncTimerUnderTheTestPlanIsSharedByItsThreadGroups) {
  // One user in each group, a group size of 2: they meet only if both count at one barrier
  // (else each waits alone until the run's 5 s end).
  std::string plan = Sync(2, 0) + Group("a", 1, 1, Dummy("a", "")) + Group("b", 1, 1, Dummy("b", ""));
  std::vector<Sample> samples = Run(plan, 2, /*max_ms=*/5000);
  EXPECT_EQ(Of(samples, "a").size(), 1u);
  EXPECT_EQ(Of(samples, "b").size(), 1u);
  EXPECT_LT(ran_ms_, 2000);
}

TEST_F(InterUserRunTest, SyncTimerTimeoutReleasesTheUsersWaiting) {
  // Group size 3, two users: the first one's 300 ms timeout releases both.
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Dummy("met", "", Sync(3, 300))), 2);
  std::vector<const Sample*> met = Of(samples, "met");
  ASSERT_EQ(met.size(), 2u);
  for (const Sample* s : met) {
    EXPECT_GE(s->timestamp_ms - started_ms_, 300);
    EXPECT_LT(s->timestamp_ms - started_ms_, 1500);
  }
}

TEST_F(InterUserRunTest, OtherTimersAddTheirDelayAfterTheMeeting) {
  // Users start 0 and 500 ms apart (ramp-up 1 s), meet at 500 ms, then think 200 ms.
  std::string timers = Sync(0, 0) + El("ConstantTimer", "think", Str("ConstantTimer.delay", "200"));
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Dummy("met", "", timers), /*ramp_s=*/1), 2);
  std::vector<const Sample*> met = Of(samples, "met");
  ASSERT_EQ(met.size(), 2u);
  for (const Sample* s : met) {
    EXPECT_GE(s->timestamp_ms - started_ms_, 700);
    EXPECT_LT(s->timestamp_ms - started_ms_, 1500);
  }
}

TEST_F(InterUserRunTest, ASyncTimerWaitEndsAtItsThreadGroupsScheduledEnd) {
  // Group size 3, two users, no timeout: the group's end releases them, and they stop.
  std::vector<Sample> samples = Run(ScheduledGroup("tg", 2, 1, Dummy("met", "", Sync(3, 0))), 2, /*max_ms=*/20000);
  EXPECT_TRUE(samples.empty());
  EXPECT_GE(ran_ms_, 1000);
  EXPECT_LT(ran_ms_, 3000);
}

TEST_F(InterUserRunTest, UsersWaitingAtASyncTimerStopWithTheRun) {
  std::vector<Sample> samples = Run(Group("tg", 2, 1, Dummy("met", "", Sync(3, 0))), 2, /*max_ms=*/300);
  EXPECT_TRUE(samples.empty());
  EXPECT_LT(ran_ms_, 3000);
}

// ---- users sharing an event loop ----

TEST_F(InterUserRunTest, AUserWhoseSamplersNeverWaitLetsTheOtherUsersOfItsLoopSample) {
  // One loop: "busy" samples 100,000 times without ever waiting, "ticking" 20 times 1 ms apart.
  std::vector<Sample> samples =
      Run(Group("busy", 1, 100000, Dummy("busy", "")) + Group("ticking", 1, 20, Dummy("tick", "", "", 1)), 1);
  std::vector<const Sample*> busy = Of(samples, "busy");
  std::vector<const Sample*> ticks = Of(samples, "tick");
  ASSERT_EQ(busy.size(), 100000u);
  ASSERT_EQ(ticks.size(), 20u);
  // The ticks were not held until the busy user had finished.
  EXPECT_LT(ticks.back()->timestamp_ms, busy.back()->timestamp_ms);
}

}  // namespace
}  // namespace barrage
