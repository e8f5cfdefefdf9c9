// Issue 10: listeners with a file (common/plan_compiler_listeners.cc).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

CompiledPlan Compile(const std::string& body) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"P\"/><hashTree>\n" +
      body + "</hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "p.jmx");
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return CompilePlan(std::move(tree).value());
}

std::string Listener(const std::string& name, const std::string& file, const std::string& extra = "") {
  return "<ResultCollector guiclass=\"SimpleDataWriter\" testclass=\"ResultCollector\" testname=\"" + name +
         "\"><boolProp name=\"ResultCollector.error_logging\">false</boolProp>"
         "<stringProp name=\"filename\">" +
         file + "</stringProp>" + extra + "</ResultCollector><hashTree/>\n";
}

const char kSampler[] =
    "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"><stringProp "
    "name=\"HTTPSampler.path\">/</stringProp></HTTPSamplerProxy><hashTree/>\n";

// The header names of `columns`, comma-separated.
std::string Names(const std::vector<JtlColumn>& columns) {
  std::string out;
  for (JtlColumn c : columns) out += (out.empty() ? "" : ",") + std::string(JtlColumnInfoOf(c).name);
  return out;
}

std::string Group(const std::string& name, const std::string& children) {
  return "<ThreadGroup testclass=\"ThreadGroup\" testname=\"" + name + "\"/><hashTree>\n" + kSampler + children +
         "</hashTree>\n";
}

TEST(ResultFileListenersTest, PlanLevelListenerWithoutSaveConfigTakesJMeterDefaults) {
  CompiledPlan c = Compile(Group("tg", "") + Listener("all", "${__P(out,all.jtl)}"));
  ASSERT_EQ(c.plan.result_files.size(), 1u);
  const ResultFileListener& r = c.plan.result_files[0];
  EXPECT_EQ(r.name, "all");
  EXPECT_EQ(r.filename.text, "${__P(out,all.jtl)}");
  EXPECT_EQ(r.thread_prefix, "");
  EXPECT_FALSE(r.error_only);
  EXPECT_FALSE(r.success_only);
  EXPECT_TRUE(r.field_names);
  EXPECT_EQ(Names(r.columns),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
            "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect");
  EXPECT_TRUE(c.plan.runnable());
}

TEST(ResultFileListenersTest, SaveConfigSelectsColumnsInJMeterOrderAndAbsentFieldsAreOff) {
  const std::string config =
      "<objProp><name>saveConfig</name><value class=\"SampleSaveConfiguration\">"
      "<time>true</time><latency>true</latency><timestamp>true</timestamp><success>true</success>"
      "<label>true</label><code>false</code><threadName>true</threadName><xml>false</xml>"
      "<fieldNames>true</fieldNames><bytes>true</bytes><threadCounts>true</threadCounts>"
      "<sampleCount>true</sampleCount></value></objProp>"
      "<boolProp name=\"ResultCollector.success_only_logging\">true</boolProp>";
  CompiledPlan c = Compile(Group("tg", Listener("ok", "ok.csv", config)));
  ASSERT_EQ(c.plan.result_files.size(), 1u);
  const ResultFileListener& r = c.plan.result_files[0];
  EXPECT_EQ(Names(r.columns),
            "timeStamp,elapsed,label,threadName,success,bytes,grpThreads,allThreads,Latency,SampleCount,ErrorCount");
  EXPECT_TRUE(r.field_names);
  EXPECT_TRUE(r.success_only);
  EXPECT_EQ(r.thread_prefix, "tg 1-");
  EXPECT_TRUE(c.plan.problems.empty());
}

TEST(ResultFileListenersTest, XmlOutputAndHostnameAreReportedAsWarnings) {
  const std::string config =
      "<objProp><name>saveConfig</name><value class=\"SampleSaveConfiguration\">"
      "<time>true</time><xml>true</xml><hostname>true</hostname></value></objProp>";
  CompiledPlan c = Compile(Group("tg", Listener("x", "out.xml", config)));
  ASSERT_EQ(c.plan.problems.size(), 2u);
  EXPECT_EQ(c.plan.problems[0].message,
            "ResultCollector 'x': the saveConfig column(s) hostname are not written to out.xml");
  EXPECT_EQ(c.plan.problems[1].message,
            "ResultCollector 'x': out.xml is written as CSV; barrage does not write XML "
            "results");
  EXPECT_EQ(c.plan.problems[0].severity, Problem::Severity::kWarning);
  EXPECT_FALSE(c.plan.result_files[0].field_names);  // absent from the saveConfig: off
}

TEST(ResultFileListenersTest, ListenersWithoutFileDisabledOrInWorkBenchWriteNothing) {
  CompiledPlan c = Compile(Group("tg", Listener("no file", "")) +
                           "<ResultCollector testclass=\"ResultCollector\" testname=\"off\" enabled=\"false\">"
                           "<stringProp name=\"filename\">off.jtl</stringProp></ResultCollector><hashTree/>\n");
  EXPECT_TRUE(c.plan.result_files.empty());
}

TEST(ResultFileListenersTest, EachListenerIsScopedToItsOwnThreadGroup) {
  CompiledPlan c = Compile(Group("a", Listener("la", "a.jtl")) + Group("b", Listener("lb", "b.jtl")) +
                           "<SetupThreadGroup testclass=\"SetupThreadGroup\" testname=\"a\"/><hashTree>\n" + kSampler +
                           Listener("ls", "s.jtl") + "</hashTree>\n");
  ASSERT_EQ(c.plan.result_files.size(), 3u);
  EXPECT_EQ(c.plan.result_files[0].thread_prefix, "a 1-");
  EXPECT_EQ(c.plan.result_files[1].thread_prefix, "b 2-");
  EXPECT_EQ(c.plan.result_files[2].thread_prefix, "a 1-");  // setUp groups are numbered apart
}

TEST(ResultFileListenersTest, ListenerUnderASamplerRecordsItsThreadGroupWithAWarning) {
  CompiledPlan c = Compile(
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"/><hashTree>\n" +
      Listener("deep", "d.jtl") + "</hashTree>\n</hashTree>\n");
  ASSERT_EQ(c.plan.result_files.size(), 1u);
  EXPECT_EQ(c.plan.result_files[0].thread_prefix, "tg 1-");
  ASSERT_EQ(c.plan.problems.size(), 1u);
  EXPECT_EQ(c.plan.problems[0].message,
            "ResultCollector 'deep': records every sample of its thread group (barrage scopes listeners to a thread "
            "group, not to a controller or sampler)");
}

}  // namespace
}  // namespace barrage
