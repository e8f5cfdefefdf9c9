// Fifo Put/Pop and the Synchronizing Timer as the plan compiler reads them
// (common/plan_compiler_sync.cc).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/common/compile_plan.h"

namespace barrage {
namespace {

using compile_test::CompileWith;

std::string El(const std::string& cls, const std::string& name, const std::string& props) {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls + "><hashTree/>\n";
}
std::string S(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}

const Sampler& OnlySampler(const CompiledPlan& c) {
  return c.plan.thread_groups().at(0)->children.at(0)->As<Sampler>();
}

std::string Errors(const CompiledPlan& c) {
  std::string out;
  for (const Problem& p : c.plan.problems) {
    if (p.severity == Problem::Severity::kError) out += p.message + "\n";
  }
  return out;
}

constexpr char kPut[] = "kg.apc.jmeter.modifiers.FifoPutPostProcessor";
constexpr char kPop[] = "kg.apc.jmeter.modifiers.FifoPopPreProcessor";

TEST(PlanCompilerSyncTest, FifoPutIsAPostProcessor) {
  CompiledPlan c = CompileWith(El(kPut, "put", S("FifoName", "JWT") + S("Value", "${token}")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& put = OnlySampler(c).scope.post_processors.at(0)->As<FifoPut>();
  EXPECT_EQ(put.kind, ElementKind::kFifoPut);
  EXPECT_EQ(put.queue.text, "JWT");
  EXPECT_EQ(put.value.text, "${token}");
  EXPECT_STREQ(KindName(ElementKind::kFifoPut), "jpgc_fifo_put");
}

TEST(PlanCompilerSyncTest, FifoPopIsAPreProcessor) {
  CompiledPlan c = CompileWith(El(kPop, "pop", S("FifoName", "JWT") + S("Variable", "jwt") + S("Timeout", "5")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& pop = OnlySampler(c).scope.pre_processors.at(0)->As<FifoPop>();
  EXPECT_EQ(pop.kind, ElementKind::kFifoPop);
  EXPECT_EQ(pop.queue.text, "JWT");
  EXPECT_EQ(pop.variable.text, "jwt");
  EXPECT_EQ(pop.timeout.text, "5");
}

TEST(PlanCompilerSyncTest, FifoPopEmptyTimeoutWaitsForEver) {
  CompiledPlan c = CompileWith(El(kPop, "pop", S("FifoName", "Q") + S("Variable", "v") + S("Timeout", "")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  EXPECT_EQ(OnlySampler(c).scope.pre_processors.at(0)->As<FifoPop>().timeout.text, "");
}

TEST(PlanCompilerSyncTest, FifoPopWithoutTimeoutTakesThePluginsProperty) {
  CompiledPlan c = CompileWith(El(kPop, "pop", S("FifoName", "Q") + S("Variable", "v")));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  EXPECT_EQ(OnlySampler(c).scope.pre_processors.at(0)->As<FifoPop>().timeout.text,
            "${__P(kg.apc.jmeter.functions.FifoTimeout,)}");
}

TEST(PlanCompilerSyncTest, FifoPopTimeoutMustBeWholeSeconds) {
  CompiledPlan c = CompileWith(El(kPop, "pop", S("FifoName", "Q") + S("Variable", "v") + S("Timeout", "1.5")));
  EXPECT_EQ(Errors(c), "kg.apc.jmeter.modifiers.FifoPopPreProcessor 'pop': Timeout '1.5' is not a whole number\n");
}

TEST(PlanCompilerSyncTest, SyncTimerProperties) {
  CompiledPlan c = CompileWith(
      El("SyncTimer", "sync", "<intProp name=\"groupSize\">4</intProp><longProp name=\"timeoutInMs\">250</longProp>"));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& t = OnlySampler(c).scope.timers.at(0)->As<SyncTimer>();
  EXPECT_EQ(t.kind, ElementKind::kSyncTimer);
  EXPECT_EQ(t.group_size, 4);
  EXPECT_EQ(t.timeout_ms, 250);
}

TEST(PlanCompilerSyncTest, SyncTimerDefaultsToTheThreadGroupWithoutTimeout) {
  CompiledPlan c = CompileWith(El("SyncTimer", "sync", ""));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& t = OnlySampler(c).scope.timers.at(0)->As<SyncTimer>();
  EXPECT_EQ(t.group_size, 0);
  EXPECT_EQ(t.timeout_ms, 0);
}

TEST(PlanCompilerSyncTest, SyncTimerRejectsNegativeValues) {
  CompiledPlan c = CompileWith(
      El("SyncTimer", "sync", "<intProp name=\"groupSize\">-1</intProp><longProp name=\"timeoutInMs\">-5</longProp>"));
  EXPECT_EQ(Errors(c),
            "SyncTimer 'sync': groupSize -1 is negative\n"
            "SyncTimer 'sync': timeoutInMs -5 is negative\n");
}

TEST(PlanCompilerSyncTest, SyncTimerRejectsText) {
  CompiledPlan c = CompileWith(El("SyncTimer", "sync", S("groupSize", "all")));
  EXPECT_EQ(Errors(c), "SyncTimer 'sync': groupSize 'all' is not a whole number\n");
}

}  // namespace
}  // namespace barrage
