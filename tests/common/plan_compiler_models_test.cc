// Ultimate and Stepping Thread Groups compiled (common/plan_compiler_models.cc), and their
// `${...}` evaluated into windows at run start (PlannedWindows).
#include <gtest/gtest.h>

#include <string>

#include "tests/common/compile_plan.h"
#include "worker/thread_schedules.h"

namespace barrage {
namespace {

using compile_test::CompileXml;

std::string Plan(const std::string& group) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/>\n"
         "<hashTree>\n" +
         group +
         "<hashTree>\n<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/>\n<hashTree/>\n"
         "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
}

std::string Row(const std::string& a, const std::string& b, const std::string& c, const std::string& d,
                const std::string& e) {
  std::string out = "<collectionProp name=\"r\">";
  for (const std::string& v : {a, b, c, d, e}) out += "<stringProp name=\"x\">" + v + "</stringProp>";
  return out + "</collectionProp>\n";
}

std::string Ultimate(const std::string& rows) {
  return "<kg.apc.jmeter.threads.UltimateThreadGroup testclass=\"kg.apc.jmeter.threads.UltimateThreadGroup\" "
         "testname=\"UTG\">\n<collectionProp name=\"ultimatethreadgroupdata\">\n" +
         rows +
         "</collectionProp>\n<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
         "<intProp name=\"LoopController.loops\">-1</intProp></elementProp>\n"
         "<stringProp name=\"ThreadGroup.on_sample_error\">stoptest</stringProp>\n"
         "</kg.apc.jmeter.threads.UltimateThreadGroup>\n";
}

std::string Errors(const CompiledPlan& c) {
  std::string out;
  for (const Problem& p : c.plan.problems) {
    if (p.severity == Problem::Severity::kError) out += std::to_string(p.line) + ": " + p.message + "\n";
  }
  return out;
}

TEST(PlanCompilerModelsTest, UltimateRowsAndTheGroupsBasics) {
  CompiledPlan c = CompileXml(Plan(Ultimate(Row("3", "1", "3", "2", "3") + Row("${n}", "0", "0", "1", "0"))));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  std::vector<const ThreadGroup*> groups = c.plan.thread_groups();
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0]->kind, ElementKind::kUltimateThreadGroup);
  EXPECT_EQ(ThreadGroupPhase(groups[0]->kind), ElementKind::kThreadGroup);
  EXPECT_EQ(groups[0]->group_number, 1);
  EXPECT_EQ(groups[0]->loops.text, "-1");
  EXPECT_EQ(groups[0]->on_sample_error, ThreadGroup::OnSampleError::kStopTest);
  const auto& g = static_cast<const ModelThreadGroup&>(*groups[0]);
  ASSERT_EQ(g.rows.size(), 2u);
  EXPECT_EQ(g.rows[1].columns[0].text, "${n}");

  RunContext run;
  ThreadContext ctx;
  ctx.run = &run;
  ctx.vars.Put("n", "2");
  Result<std::vector<ThreadWindow>> w = PlannedWindows(g, ctx);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(*w, (std::vector<ThreadWindow>{{4000, 9000}, {3000, 8000}, {2000, 7000}, {0, 1000}, {0, 1000}}));

  ctx.vars.Put("n", "two");
  Result<std::vector<ThreadWindow>> bad = PlannedWindows(g, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "Ultimate Thread Group 'UTG' (line 7): row 2, column 1 (start threads count) 'two' is not a whole number "
            ">= 0");
}

TEST(PlanCompilerModelsTest, UltimateBadRowsNameTheRowAndColumn) {
  CompiledPlan c = CompileXml(Plan(Ultimate(Row("3", "1", "x", "2", "3") + "<collectionProp name=\"r\">"
                                                                           "<stringProp name=\"a\">1</stringProp>"
                                                                           "</collectionProp>\n")));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Errors(c),
            "6: kg.apc.jmeter.threads.UltimateThreadGroup 'UTG': row 1, column 3 (startup time) 'x' is not a whole "
            "number >= 0\n"
            "7: kg.apc.jmeter.threads.UltimateThreadGroup 'UTG': row 2 has 1 columns; expected 5 (start threads "
            "count, initial delay s, startup time s, hold load for s, shutdown time s)\n");
}

TEST(PlanCompilerModelsTest, SteppingProperties) {
  const std::string group =
      "<kg.apc.jmeter.threads.SteppingThreadGroup testclass=\"kg.apc.jmeter.threads.SteppingThreadGroup\" "
      "testname=\"STG\">\n"
      "<stringProp name=\"ThreadGroup.num_threads\">6</stringProp>"
      "<stringProp name=\"Threads initial delay\">1</stringProp>"
      "<stringProp name=\"Start users count\">2</stringProp>"
      "<stringProp name=\"Start users count burst\"></stringProp>"
      "<stringProp name=\"Start users period\">2</stringProp>"
      "<stringProp name=\"Stop users count\">3</stringProp>"
      "<stringProp name=\"Stop users period\">4</stringProp>"
      "<stringProp name=\"flighttime\">${hold}</stringProp>"
      "<stringProp name=\"rampUp\">2</stringProp>\n"
      "</kg.apc.jmeter.threads.SteppingThreadGroup>\n";
  CompiledPlan c = CompileXml(Plan(group));
  ASSERT_TRUE(c.plan.runnable()) << Errors(c);
  const auto& g = static_cast<const ModelThreadGroup&>(*c.plan.thread_groups()[0]);
  EXPECT_EQ(g.kind, ElementKind::kSteppingThreadGroup);
  EXPECT_EQ(g.loops.text, "1");  // no main controller: JMeter's default
  RunContext run;
  ThreadContext ctx;
  ctx.run = &run;
  ctx.vars.Put("hold", "5");
  Result<std::vector<ThreadWindow>> w = PlannedWindows(g, ctx);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(*w, (std::vector<ThreadWindow>{
                    {1000, 16000}, {2000, 16000}, {5000, 16000}, {6000, 20000}, {9000, 20000}, {10000, 20000}}));

  CompiledPlan bad = CompileXml(
      Plan("<kg.apc.jmeter.threads.SteppingThreadGroup testclass=\"kg.apc.jmeter.threads.SteppingThreadGroup\" "
           "testname=\"STG\"><stringProp name=\"Stop users count\">-1</stringProp>"
           "</kg.apc.jmeter.threads.SteppingThreadGroup>\n"));
  EXPECT_EQ(Errors(bad),
            "4: kg.apc.jmeter.threads.SteppingThreadGroup 'STG': Stop users count '-1' is not a whole number >= 0\n");
}

// Blazemeter__taurus__duration.jmx writes repeated values as XStream references.
TEST(PlanCompilerModelsTest, ShapingTimerRowsWithReferences) {
  const std::string plan =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/>\n"
      "<hashTree>\n<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/>\n<hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/>\n<hashTree/>\n"
      "<kg.apc.jmeter.timers.VariableThroughputTimer testclass=\"kg.apc.jmeter.timers.VariableThroughputTimer\" "
      "testname=\"tst\">\n<collectionProp name=\"load_profile\">\n"
      "<collectionProp name=\"1\"><stringProp name=\"a\">10</stringProp><stringProp name=\"b\">10</stringProp>"
      "<stringProp name=\"c\">30</stringProp></collectionProp>\n"
      "<collectionProp name=\"2\"><stringProp reference=\"../../collectionProp/stringProp\"/>"
      "<stringProp name=\"b\">20</stringProp><stringProp reference=\"../../collectionProp/stringProp[3]\"/>"
      "</collectionProp>\n"
      "<collectionProp name=\"3\"><stringProp reference=\"../../collectionProp[2]/stringProp\"/>"
      "<stringProp reference=\"../stringProp\"/><stringProp reference=\"../../collectionProp[9]/stringProp\"/>"
      "</collectionProp>\n"
      "</collectionProp>\n</kg.apc.jmeter.timers.VariableThroughputTimer>\n<hashTree/>\n"
      "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
  CompiledPlan c = CompileXml(plan);
  EXPECT_EQ(Errors(c),
            "12: kg.apc.jmeter.timers.VariableThroughputTimer 'tst': row 3, column 3: unresolved reference "
            "'../../collectionProp[9]/stringProp'\n");
  const Node& tg = *c.plan.root->children[0];
  ASSERT_EQ(tg.elements.size(), 1u);
  const auto& t = tg.elements[0]->As<ThroughputShapingTimer>();
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[1].start_rps.text, "10");
  EXPECT_EQ(t.rows[1].end_rps.text, "20");
  EXPECT_EQ(t.rows[1].duration_s.text, "30");
  EXPECT_EQ(t.rows[2].start_rps.text, "10");  // a reference to a reference
  EXPECT_EQ(t.rows[2].end_rps.text, "10");
}

}  // namespace
}  // namespace barrage
