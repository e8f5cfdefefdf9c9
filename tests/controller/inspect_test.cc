#include "controller/inspect.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "common/jmx_parser.h"

namespace barrage {
namespace {

using nlohmann::json;

json Inspect(const std::string& body) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/><hashTree>\n" +
      body + "</hashTree></hashTree></jmeterTestPlan>\n";
  Result<HashTree> tree = ParseJmx(xml, "p.jmx");
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return BuildInspectReport(CompilePlan(std::move(tree).value()));
}

const char kDefaults[] =
    "<ConfigTestElement testclass=\"ConfigTestElement\" testname=\"defaults\">"
    "<stringProp name=\"HTTPSampler.domain\">127.0.0.1</stringProp>"
    "<stringProp name=\"HTTPSampler.port\">8080</stringProp>"
    "<stringProp name=\"HTTPSampler.protocol\">https</stringProp></ConfigTestElement><hashTree/>\n";

TEST(InspectTest, ThreadGroupNumbersAndExpressions) {
  json r = Inspect(
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"users\">"
      "<stringProp name=\"ThreadGroup.num_threads\">${__P(users,10)}</stringProp>"
      "<stringProp name=\"ThreadGroup.ramp_time\">30</stringProp>"
      "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
      "<intProp name=\"LoopController.loops\">-1</intProp></elementProp>"
      "<boolProp name=\"ThreadGroup.scheduler\">true</boolProp>"
      "<stringProp name=\"ThreadGroup.duration\">300</stringProp>"
      "<stringProp name=\"ThreadGroup.delay\"></stringProp>"
      "</ThreadGroup><hashTree/>\n");
  ASSERT_EQ(r["thread_groups"].size(), 1u);
  const json& tg = r["thread_groups"][0];
  EXPECT_EQ(tg["name"], "users");
  EXPECT_EQ(tg["kind"], "thread_group");
  EXPECT_EQ(tg["num_threads"], "${__P(users,10)}");
  EXPECT_EQ(tg["ramp_time"], 30);
  EXPECT_EQ(tg["loops"], -1);
  EXPECT_EQ(tg["duration"], 300);
  EXPECT_TRUE(tg["delay"].is_null());
  EXPECT_EQ(r["functions"], json::array({"__P"}));
  EXPECT_EQ(r["runnable"], true);
}

TEST(InspectTest, DynamicThreadGroupsShowTheirModel) {
  json r = Inspect(
      "<com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup "
      "testclass=\"com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup\" testname=\"arrivals\">"
      "<stringProp name=\"TargetLevel\">20</stringProp><stringProp name=\"RampUp\">1.5</stringProp>"
      "<stringProp name=\"Steps\"></stringProp><stringProp name=\"Hold\">${__P(hold,60)}</stringProp>"
      "<stringProp name=\"ConcurrencyLimit\">4</stringProp><stringProp name=\"Unit\">M</stringProp>"
      "</com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup><hashTree/>\n"
      "<OpenModelThreadGroup testclass=\"OpenModelThreadGroup\" testname=\"open\">"
      "<stringProp name=\"OpenModelThreadGroup.schedule\">rate(1/s) random_arrivals(1 min)</stringProp>"
      "</OpenModelThreadGroup><hashTree/>\n");
  ASSERT_EQ(r["thread_groups"].size(), 2u);
  const json& a = r["thread_groups"][0];
  EXPECT_EQ(a["kind"], "bzm_arrivals_thread_group");
  EXPECT_EQ(a["supported"], true);
  json arrivals_model = {
      {"target_level", 20},    {"ramp_up", 1.5},         {"steps", nullptr}, {"hold", "${__P(hold,60)}"},
      {"iterations", nullptr}, {"concurrency_limit", 4}, {"unit", "M"}};
  EXPECT_EQ(a["model"], arrivals_model);
  const json& o = r["thread_groups"][1];
  EXPECT_EQ(o["kind"], "open_model_thread_group");
  json open_model = {{"schedule", "rate(1/s) random_arrivals(1 min)"}, {"random_seed", 0}};
  EXPECT_EQ(o["model"], open_model);
  std::string text = RenderInspectText(r);
  EXPECT_NE(text.find("  arrivals  [bzm_arrivals_thread_group] concurrency_limit=4 hold=${__P(hold,60)} "
                      "iterations=- ramp_up=1.5 steps=- target_level=20 unit=M on_error=continue  (line "),
            std::string::npos)
      << text;
}

// Ultimate Thread Group (issue 12): the planned users and the curve where it changes.
TEST(InspectTest, UltimateThreadGroupPlannedCurve) {
  json r = Inspect(
      "<kg.apc.jmeter.threads.UltimateThreadGroup testclass=\"kg.apc.jmeter.threads.UltimateThreadGroup\" "
      "testname=\"utg\"><collectionProp name=\"ultimatethreadgroupdata\"><collectionProp name=\"1\">"
      "<stringProp name=\"a\">3</stringProp><stringProp name=\"b\">1</stringProp>"
      "<stringProp name=\"c\">3</stringProp><stringProp name=\"d\">2</stringProp>"
      "<stringProp name=\"e\">3</stringProp></collectionProp></collectionProp>"
      "</kg.apc.jmeter.threads.UltimateThreadGroup><hashTree/>\n");
  ASSERT_EQ(r["thread_groups"].size(), 1u);
  const json& tg = r["thread_groups"][0];
  EXPECT_EQ(tg["kind"], "ultimate_thread_group");
  EXPECT_EQ(tg["num_threads"], 3);
  EXPECT_TRUE(tg["ramp_time"].is_null());
  EXPECT_EQ(tg["planned"]["active_per_second"], json::array({0, 0, 1, 2, 3, 3, 3, 2, 1, 0}));
  EXPECT_NE(RenderInspectText(r).find("    planned active users by second: 0s:0 2s:1 3s:2 4s:3 7s:2 8s:1 9s:0\n"),
            std::string::npos)
      << RenderInspectText(r);
}

TEST(InspectTest, SamplerUrlTemplatesMergeDefaultsInScope) {
  json r = Inspect(
      std::string(kDefaults) +
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"get\">"
      "<stringProp name=\"HTTPSampler.path\">/items/${id}</stringProp>"
      "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp "
      "name=\"Arguments.arguments\">"
      "<elementProp name=\"q\" elementType=\"HTTPArgument\"><stringProp name=\"Argument.name\">q</stringProp>"
      "<stringProp name=\"Argument.value\">a b</stringProp></elementProp></collectionProp></elementProp>"
      "</HTTPSamplerProxy><hashTree/>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"post\">"
      "<stringProp name=\"HTTPSampler.domain\">example.test</stringProp>"
      "<stringProp name=\"HTTPSampler.method\">POST</stringProp>"
      "<stringProp name=\"HTTPSampler.path\">login</stringProp></HTTPSamplerProxy><hashTree/>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"full\">"
      "<stringProp name=\"HTTPSampler.path\">http://127.0.0.2:9000/x</stringProp></HTTPSamplerProxy><hashTree/>\n"
      "<DebugSampler testclass=\"DebugSampler\" testname=\"dbg\"/><hashTree/>\n"
      "</hashTree>\n");
  ASSERT_EQ(r["samplers"].size(), 4u);
  EXPECT_EQ(r["samplers"][0]["method"], "GET");
  EXPECT_EQ(r["samplers"][0]["url"], "https://127.0.0.1:8080/items/${id}?q=a b");
  EXPECT_EQ(r["samplers"][0]["kind"], "http");
  EXPECT_EQ(r["samplers"][1]["method"], "POST");
  EXPECT_EQ(r["samplers"][1]["url"], "https://example.test:8080/login");
  EXPECT_EQ(r["samplers"][2]["url"], "http://127.0.0.2:9000/x");
  EXPECT_EQ(r["samplers"][3]["kind"], "debug");
  EXPECT_TRUE(r["samplers"][3]["method"].is_null());
}

TEST(InspectTest, ModuleTargetsListedOnce) {
  const std::string path =
      "<collectionProp name=\"ModuleController.node_path\"><stringProp name=\"1\">Test Plan</stringProp>"
      "<stringProp name=\"2\">Plan</stringProp><stringProp name=\"3\">frag</stringProp></collectionProp>";
  json r = Inspect(
      "<TestFragmentController testclass=\"TestFragmentController\" testname=\"frag\"/><hashTree>\n"
      "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"shared\"/><hashTree/></hashTree>\n"
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<ModuleController testclass=\"ModuleController\" testname=\"m1\">" +
      path +
      "</ModuleController><hashTree/>\n"
      "<ModuleController testclass=\"ModuleController\" testname=\"m2\">" +
      path +
      "</ModuleController><hashTree/>\n"
      "</hashTree>\n");
  ASSERT_EQ(r["samplers"].size(), 1u);
  EXPECT_EQ(r["samplers"][0]["name"], "shared");
  EXPECT_EQ(r["runnable"], true);
}

TEST(InspectTest, UnsupportedProblemsAndDataFiles) {
  json r = Inspect(
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<CSVDataSet testclass=\"CSVDataSet\" testname=\"users\">"
      "<stringProp name=\"filename\">users.csv</stringProp>"
      "<stringProp name=\"variableNames\">user,pass</stringProp>"
      "<stringProp name=\"shareMode\">All threads</stringProp></CSVDataSet><hashTree/>\n"
      "<JDBCSampler testclass=\"JDBCSampler\" testname=\"db\"/><hashTree/>\n"
      "</hashTree>\n");
  ASSERT_EQ(r["data_files"].size(), 1u);
  EXPECT_EQ(r["data_files"][0]["filename"], "users.csv");
  EXPECT_EQ(r["data_files"][0]["variable_names"], "user,pass");
  EXPECT_EQ(r["data_files"][0]["delimiter"], ",");
  EXPECT_EQ(r["data_files"][0]["share_mode"], "shareMode.all");
  ASSERT_EQ(r["unsupported"].size(), 1u);
  EXPECT_EQ(r["unsupported"][0], (json{{"testclass", "JDBCSampler"},
                                       {"name", "db"},
                                       {"line", 5},
                                       {"reason", "JDBC database protocol"},
                                       {"alternative", nullptr}}));
  ASSERT_EQ(r["samplers"].size(), 1u);
  EXPECT_EQ(r["samplers"][0]["kind"], "JDBCSampler");
  EXPECT_EQ(r["samplers"][0]["supported"], false);
  EXPECT_EQ(r["runnable"], false);
  std::string text = RenderInspectText(r);
  EXPECT_NE(text.find("line 5: JDBCSampler 'db': JDBC database protocol\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Verdict: NOT runnable"), std::string::npos) << text;
}

TEST(InspectTest, UnsupportedElementsNameTheNearestAlternative) {
  json r = Inspect(
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<RegExUserParameters testclass=\"RegExUserParameters\" testname=\"rx\"/><hashTree/>\n"
      "</hashTree>\n");
  ASSERT_EQ(r["unsupported"].size(), 1u);
  EXPECT_EQ(r["unsupported"][0]["reason"], "not implemented yet");
  EXPECT_EQ(r["unsupported"][0]["alternative"], "User Parameters");
  std::string text = RenderInspectText(r);
  EXPECT_NE(text.find("  line 4: RegExUserParameters 'rx': not implemented yet; instead: User Parameters\n"),
            std::string::npos)
      << text;
}

TEST(InspectTest, ListenersDebugAndGuiOnlyElementsAreListedAsIgnored) {
  json r = Inspect(
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
      "<ResultCollector guiclass=\"ViewResultsFullVisualizer\" testclass=\"ResultCollector\" "
      "testname=\"tree\"/><hashTree/>\n"
      "<DebugPostProcessor testclass=\"DebugPostProcessor\" testname=\"dbg\"/><hashTree/>\n"
      "<kg.apc.jmeter.vizualizers.CorrectedResultCollector testclass=\"kg.apc.jmeter.vizualizers."
      "CorrectedResultCollector\" testname=\"graph\"/><hashTree/>\n"
      "</hashTree>\n"
      "<HttpMirrorControl testclass=\"HttpMirrorControl\" testname=\"mirror\"/><hashTree/>\n");
  EXPECT_TRUE(r["unsupported"].empty());
  ASSERT_EQ(r["ignored"].size(), 4u);
  EXPECT_EQ(r["ignored"][0], (json{{"testclass", "ResultCollector"},
                                   {"name", "tree"},
                                   {"line", 4},
                                   {"role", "listener"},
                                   {"reason", "listener: results are recorded by barrage"}}));
  EXPECT_EQ(r["ignored"][1]["reason"], "debug: its sub-sample only feeds GUI listeners");
  EXPECT_EQ(r["ignored"][1]["role"], "post_processor");
  EXPECT_EQ(r["ignored"][2]["reason"], "listener: results are recorded by barrage");
  EXPECT_EQ(r["ignored"][3]["reason"], "GUI only: the HTTP Mirror Server");
  EXPECT_EQ(r["ignored"][3]["role"], "non_test");
  std::string text = RenderInspectText(r);
  EXPECT_NE(text.find("Ignored elements (4):\n  line 4: ResultCollector 'tree': listener: results are recorded by "
                      "barrage\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Verdict: runnable"), std::string::npos) << text;
}

// A plan with a script element of each language, inline and in files, inspected on a machine
// whose host has Java, Groovy and BeanShell but not Rhino.
class InspectScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrage-inspect-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "check.bsh") << "Failure = false;";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  json InspectScripts(const ScriptRuntime& runtime) {
    std::string xml =
        "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
        "<TestPlan testclass=\"TestPlan\" testname=\"Plan\"/><hashTree>\n"
        "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree>\n"
        "<JSR223Sampler testclass=\"JSR223Sampler\" testname=\"sign\">"
        "<stringProp name=\"scriptLanguage\">groovy</stringProp>"
        "<stringProp name=\"script\">vars.put('a', '1')</stringProp></JSR223Sampler><hashTree>\n"
        "<BeanShellAssertion testclass=\"BeanShellAssertion\" testname=\"check\">"
        "<stringProp name=\"BeanShellAssertion.filename\">check.bsh</stringProp></BeanShellAssertion><hashTree/>\n"
        "<JSR223PostProcessor testclass=\"JSR223PostProcessor\" testname=\"parse\">"
        "<stringProp name=\"scriptLanguage\">ecmascript</stringProp>"
        "<stringProp name=\"filename\">lib/parse.js</stringProp></JSR223PostProcessor><hashTree/>\n"
        "<JSR223Timer testclass=\"JSR223Timer\" testname=\"wait\">"
        "<stringProp name=\"filename\">${dir}/t.groovy</stringProp></JSR223Timer><hashTree/>\n"
        "</hashTree></hashTree></hashTree></hashTree></jmeterTestPlan>\n";
    Result<HashTree> tree = ParseJmx(xml, (dir_ / "p.jmx").string());
    EXPECT_TRUE(tree.ok()) << tree.status().message();
    return BuildInspectReport(CompilePlan(std::move(tree).value()), runtime);
  }
  std::filesystem::path dir_;
};

TEST_F(InspectScriptsTest, EachScriptSaysItsLanguageItsFileAndWhetherItRunsHere) {
  ScriptRuntime runtime{"/usr/lib/jvm/java-17-openjdk-amd64",
                        {"groovy", "beanshell"},
                        {"/usr/share/java/js.jar (Debian package librhino-java)"}};
  json r = InspectScripts(runtime);
  ASSERT_EQ(r["scripts"].size(), 4u) << r.dump(2);
  EXPECT_EQ(r["scripts"][0], (json{{"name", "sign"},
                                   {"line", 4},
                                   {"testclass", "JSR223Sampler"},
                                   {"role", "sampler"},
                                   {"language_as_written", "groovy"},
                                   {"language", "groovy"},
                                   {"source", "inline"},
                                   {"filename", nullptr},
                                   {"file_exists", nullptr},
                                   {"runs_here", true},
                                   {"missing", json::array()}}));
  EXPECT_EQ(r["scripts"][1], (json{{"name", "check"},
                                   {"line", 5},
                                   {"testclass", "BeanShellAssertion"},
                                   {"role", "assertion"},
                                   {"language_as_written", "beanshell"},
                                   {"language", "beanshell"},
                                   {"source", "file"},
                                   {"filename", "check.bsh"},
                                   {"file_exists", true},
                                   {"runs_here", true},
                                   {"missing", json::array()}}));
  EXPECT_EQ(r["scripts"][2], (json{{"name", "parse"},
                                   {"line", 6},
                                   {"testclass", "JSR223PostProcessor"},
                                   {"role", "postprocessor"},
                                   {"language_as_written", "ecmascript"},
                                   {"language", "javascript"},
                                   {"source", "file"},
                                   {"filename", "lib/parse.js"},
                                   {"file_exists", false},
                                   {"runs_here", false},
                                   {"missing", {"/usr/share/java/js.jar (Debian package librhino-java)"}}}));
  // A file name with ${...} is known only at run time; no language written is JMeter's groovy.
  EXPECT_EQ(r["scripts"][3]["role"], "timer");
  EXPECT_EQ(r["scripts"][3]["language_as_written"], "");
  EXPECT_EQ(r["scripts"][3]["language"], "groovy");
  EXPECT_EQ(r["scripts"][3]["file_exists"], nullptr);
  EXPECT_EQ(r["runnable"], true);
  EXPECT_EQ(r["runnable_here"], false);
  std::string text = RenderInspectText(r);
  EXPECT_NE(text.find("\nScripts (4):\n"
                      "  sign  [JSR223Sampler] groovy, inline  (line 4): runs here\n"
                      "  check  [BeanShellAssertion] beanshell, file check.bsh  (line 5): runs here\n"
                      "  parse  [JSR223PostProcessor] javascript (written ecmascript), file lib/parse.js (not found "
                      "beside the plan)  (line 6): not runnable here, install /usr/share/java/js.jar (Debian package "
                      "librhino-java)\n"
                      "  wait  [JSR223Timer] groovy, file ${dir}/t.groovy  (line 7): runs here\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nVerdict: runnable, but NOT on this machine (script interpreters missing above)\n"),
            std::string::npos)
      << text;
}

TEST_F(InspectScriptsTest, WithoutJavaNoScriptRunsAndEachNamesTheJavaPackage) {
  ScriptRuntime runtime{
      "", {"groovy", "beanshell", "javascript"}, {"a Java 17 runtime (Debian package openjdk-17-jre-headless)"}};
  json r = InspectScripts(runtime);
  ASSERT_EQ(r["scripts"].size(), 4u);
  for (const json& x : r["scripts"]) {
    EXPECT_EQ(x["runs_here"], false) << x;
    EXPECT_EQ(x["missing"], json::array({"a Java 17 runtime (Debian package openjdk-17-jre-headless)"})) << x;
  }
  EXPECT_EQ(r["runnable_here"], false);
}

TEST_F(InspectScriptsTest, EverythingInstalledIsRunnableHere) {
  json r = InspectScripts({"/usr/lib/jvm/java-17-openjdk-amd64", {"groovy", "beanshell", "javascript"}, {}});
  for (const json& x : r["scripts"]) EXPECT_EQ(x["runs_here"], true) << x;
  EXPECT_EQ(r["runnable_here"], true);
  EXPECT_NE(RenderInspectText(r).find("\nVerdict: runnable\n"), std::string::npos);
}

TEST(InspectTest, APlanWithoutScriptsHasNoScriptsSectionAndIsRunnableHere) {
  json r = Inspect("<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"/><hashTree/>\n");
  EXPECT_EQ(r["scripts"], json::array());
  EXPECT_EQ(r["runnable_here"], true);
  EXPECT_EQ(RenderInspectText(r).find("Scripts ("), std::string::npos);
}

TEST(InspectJsonTest, InvalidUtf8NamesAreReplacedNotFatal) {
  json r = Inspect("<ThreadGroup testclass=\"ThreadGroup\" testname=\"caf\xE9 \"/><hashTree/>\n");
  std::string text = RenderInspectJson(r);
  EXPECT_NE(text.find("\"name\": \"caf\xEF\xBF\xBD \""), std::string::npos) << text;
}

}  // namespace
}  // namespace barrage
