// Issue 15: Backend Listeners compiled into Plan::backend_listeners
// (common/plan_compiler_listeners.cc): JMeter's InfluxDB and Graphite clients with their
// arguments as written (evaluated at run start), QUEUE_SIZE, thread-group scope; any other
// client a warning.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
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

std::string Backend(const std::string& name, const std::string& classname, const std::string& args,
                    const std::string& extra = "") {
  return "<BackendListener guiclass=\"BackendListenerGui\" testclass=\"BackendListener\" testname=\"" + name +
         "\"><elementProp name=\"arguments\" elementType=\"Arguments\"><collectionProp "
         "name=\"Arguments.arguments\">" +
         args + "</collectionProp></elementProp><stringProp name=\"classname\">" + classname + "</stringProp>" + extra +
         "</BackendListener><hashTree/>\n";
}

std::string Arg(const std::string& name, const std::string& value) {
  return "<elementProp name=\"" + name + "\" elementType=\"Argument\"><stringProp name=\"Argument.name\">" + name +
         "</stringProp><stringProp name=\"Argument.value\">" + value + "</stringProp></elementProp>";
}

const char kGroup[] =
    "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
    "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\"><stringProp "
    "name=\"HTTPSampler.path\">/</stringProp></HTTPSamplerProxy><hashTree/>\n";

TEST(BackendListenersTest, InfluxAndGraphiteClientsWithTheirArgumentsAndScope) {
  CompiledPlan c = Compile(
      std::string(kGroup) +
      Backend("graphite", "org.apache.jmeter.visualizers.backend.graphite.GraphiteBackendListenerClient",
              Arg("graphiteHost", "g.example")) +
      "</hashTree>\n" +
      Backend("influx", "org.apache.jmeter.visualizers.backend.influxdb.InfluxdbBackendListenerClient",
              Arg("influxdbUrl", "${__P(influx,http://localhost:8086/write?db=jmeter)}") + Arg("application", "shop"),
              "<stringProp name=\"QUEUE_SIZE\">100</stringProp>"));
  ASSERT_EQ(c.plan.backend_listeners.size(), 2u);
  const BackendListenerSpec& g = c.plan.backend_listeners[0];
  EXPECT_EQ(g.name, "graphite");
  EXPECT_EQ(g.client, BackendListenerSpec::Client::kGraphite);
  EXPECT_EQ(g.thread_prefix, "tg 1-");
  EXPECT_EQ(g.queue_size, 5000);
  const BackendListenerSpec& i = c.plan.backend_listeners[1];
  EXPECT_EQ(i.client, BackendListenerSpec::Client::kInfluxdb);
  EXPECT_EQ(i.thread_prefix, "");
  EXPECT_EQ(i.queue_size, 100);
  ASSERT_EQ(i.arguments.size(), 2u);
  EXPECT_EQ(i.arguments[0].name, "influxdbUrl");
  EXPECT_EQ(i.arguments[0].value.text, "${__P(influx,http://localhost:8086/write?db=jmeter)}");
  EXPECT_EQ(i.arguments[1].value.text, "shop");
  EXPECT_TRUE(c.plan.runnable());
}

TEST(BackendListenersTest, AnotherClientIsAWarningAndLeftOut) {
  CompiledPlan c = Compile(std::string(kGroup) + "</hashTree>\n" +
                           Backend("azure", "io.github.adrianmo.jmeter.backendlistener.azure.AzureBackendClient", ""));
  EXPECT_TRUE(c.plan.backend_listeners.empty());
  bool warned = false;
  for (const Problem& p : c.plan.problems) {
    if (p.message ==
        "BackendListener 'azure': its client io.github.adrianmo.jmeter.backendlistener.azure.AzureBackendClient is not "
        "supported (barrage sends to InfluxDB and Graphite only): ignored, the results are recorded by barrage") {
      warned = p.severity == Problem::Severity::kWarning;
    }
  }
  EXPECT_TRUE(warned);
  EXPECT_TRUE(c.plan.runnable());
}

TEST(BackendListenersTest, TheCorpusPlanWithJMetersInfluxListener) {
  const std::string path = std::string(BARRAGE_SHARED_DIR) + "/jmx-corpus/kubernauts__jmeter-kubernetes__cloudssky.jmx";
  std::ifstream in(path, std::ios::binary);
  if (!in) GTEST_SKIP() << path << " is absent";
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Result<HashTree> tree = ParseJmx(xml, path);
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  CompiledPlan c = CompilePlan(std::move(tree).value());
  ASSERT_EQ(c.plan.backend_listeners.size(), 1u);
  std::vector<std::string> names;
  for (const auto& a : c.plan.backend_listeners[0].arguments) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"influxdbMetricsSender", "influxdbUrl", "application", "measurement",
                                             "summaryOnly", "samplersRegex", "percentiles", "testTitle", "eventTags"}));
  EXPECT_EQ(c.plan.backend_listeners[0].arguments[1].value.text, "http://jmeter-influxdb:8086/write?db=jmeter");
}

}  // namespace
}  // namespace barrage
