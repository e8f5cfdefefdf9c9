#include "common/plan_compiler.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "common/jmx_parser.h"

namespace barrage {
namespace {

std::string PlanXml(const std::string& body, const std::string& plan_props = "") {
  return "<jmeterTestPlan version=\"1.2\" properties=\"5.0\" jmeter=\"5.6.3\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"Plan\">" +
         plan_props +
         "</TestPlan>\n"
         "<hashTree>\n" +
         body + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

CompiledPlan Compile(const std::string& xml) {
  Result<HashTree> tree = ParseJmx(xml, "p.jmx");
  EXPECT_TRUE(tree.ok()) << tree.status().message();
  return CompilePlan(std::move(tree).value());
}

std::string Tg(const std::string& name, const std::string& children, const std::string& props = "",
               const std::string& cls = "ThreadGroup") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls + ">\n<hashTree>\n" +
         children + "</hashTree>\n";
}

std::string El(const std::string& cls, const std::string& name, const std::string& props = "",
               const std::string& children = "", const std::string& attrs = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\"" + attrs + ">" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}

std::string Http(const std::string& name, const std::string& path, const std::string& children = "") {
  return El("HTTPSamplerProxy", name, "<stringProp name=\"HTTPSampler.path\">" + path + "</stringProp>", children);
}

std::vector<std::string> Names(const std::vector<const Node*>& nodes) {
  std::vector<std::string> out;
  for (const Node* n : nodes) out.push_back(n->name);
  return out;
}

const Node& Child(const Node& n, size_t i) { return *n.children.at(i); }

TEST(PlanCompilerTest, ThreadGroupLiteralsAndJMeter56Defaults) {
  CompiledPlan c =
      Compile(PlanXml(Tg("tg", "",
                         "<intProp name=\"ThreadGroup.num_threads\">5</intProp>"
                         "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
                         "<stringProp name=\"LoopController.loops\">-1</stringProp></elementProp>"
                         "<boolProp name=\"ThreadGroup.scheduler\">true</boolProp>"
                         "<stringProp name=\"ThreadGroup.duration\">${__P(duration,60)}</stringProp>")));
  ASSERT_EQ(c.plan.thread_groups().size(), 1u);
  const ThreadGroup& tg = *c.plan.thread_groups()[0];
  EXPECT_EQ(tg.num_threads.text, "5");
  EXPECT_EQ(tg.ramp_time.text, "1");  // omitted: JMeter's default
  EXPECT_EQ(tg.loops.text, "-1");
  EXPECT_TRUE(tg.scheduler);
  EXPECT_TRUE(tg.duration.dynamic());
  EXPECT_EQ(tg.on_sample_error, ThreadGroup::OnSampleError::kContinue);
  EXPECT_TRUE(tg.same_user_on_next_iteration);
  EXPECT_EQ(tg.group_number, 1);
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_EQ(c.functions, std::vector<std::string>{"__P"});
}

TEST(PlanCompilerTest, SetupAndTeardownGroupsAreNumberedInPlanOrder) {
  CompiledPlan c =
      Compile(PlanXml(Tg("s", "", "", "SetupThreadGroup") + Tg("m", "") + Tg("t", "", "", "PostThreadGroup")));
  auto groups = c.plan.thread_groups();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0]->kind, ElementKind::kSetupThreadGroup);
  EXPECT_EQ(groups[1]->kind, ElementKind::kThreadGroup);
  EXPECT_EQ(groups[2]->kind, ElementKind::kPostThreadGroup);
  EXPECT_EQ(groups[2]->group_number, 1);
}

TEST(PlanCompilerTest, ThreadGroupsNumberedWithinTheirPhase) {
  CompiledPlan c = Compile(PlanXml(Tg("main", "") + Tg("post", "", "", "PostThreadGroup") +
                                   Tg("setup", "", "", "SetupThreadGroup") + Tg("main2", "")));
  auto groups = c.plan.thread_groups();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0]->group_number, 1);  // main
  EXPECT_EQ(groups[1]->group_number, 1);  // post
  EXPECT_EQ(groups[2]->group_number, 1);  // setup
  EXPECT_EQ(groups[3]->group_number, 2);  // main2
}

TEST(PlanCompilerTest, DisabledElementsAreRemovedWithTheirSubtree) {
  CompiledPlan c =
      Compile(PlanXml(Tg("tg", El("GenericController", "off", "", Http("hidden", "/h") + El("JSR223Sampler", "script"),
                                  " enabled=\"false\"") +
                                   Http("shown", "/s"))));
  const Node& tg = *c.plan.thread_groups()[0];
  ASSERT_EQ(tg.children.size(), 1u);
  EXPECT_EQ(Child(tg, 0).name, "shown");
  EXPECT_TRUE(c.plan.unsupported.empty());  // the disabled JSR223 sampler does not count
  for (const ListedElement& l : c.listing) EXPECT_NE(l.source->testname, "hidden");
}

TEST(PlanCompilerTest, UnsupportedElementsListedWithClassNameAndLine) {
  CompiledPlan c =
      Compile(PlanXml(Tg("tg", El("JDBCSampler", "query") + El("kg.apc.jmeter.samplers.UDPSampler", "udp") +
                                   El("org.apache.jmeter.protocol.tcp.config.TCPConfig", "cache"))));
  ASSERT_EQ(c.plan.unsupported.size(), 3u);
  EXPECT_EQ(c.plan.unsupported[0].testclass, "JDBCSampler");
  EXPECT_EQ(c.plan.unsupported[0].name, "query");
  EXPECT_EQ(c.plan.unsupported[0].line, 7);
  EXPECT_EQ(c.plan.unsupported[1].testclass, "kg.apc.jmeter.samplers.UDPSampler");
  EXPECT_EQ(c.plan.unsupported[2].testclass, "TCPConfig");  // core class, fully qualified
  EXPECT_FALSE(c.plan.runnable());
}

TEST(PlanCompilerTest, ListenersAndWorkBenchAreIgnored) {
  std::string xml =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"P\"/><hashTree>\n" +
      Tg("tg", Http("a", "/a") + El("ResultCollector", "View Results Tree") +
                   El("kg.apc.jmeter.vizualizers.CorrectedResultCollector", "graph")) +
      El("Summariser", "sum") +
      "</hashTree>\n"
      "<WorkBench testclass=\"WorkBench\" testname=\"WB\"/><hashTree>\n" +
      El("JSR223Sampler", "in workbench") + "</hashTree>\n</hashTree></jmeterTestPlan>";
  CompiledPlan c = Compile(xml);
  EXPECT_TRUE(c.plan.unsupported.empty());
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_EQ(c.plan.thread_groups()[0]->children.size(), 1u);
}

TEST(PlanCompilerTest, ScopingFollowsJMeterOrder) {
  // Plan level: defaults D0, assertion A0; group: header H1, timer T1, assertion A1;
  // controller: defaults D2, extractor X2, assertion A2; sampler: assertion A3, timer T3.
  CompiledPlan c =
      Compile(PlanXml(El("ConfigTestElement", "D0") + El("ResponseAssertion", "A0") +
                      Tg("tg", El("HeaderManager", "H1") + El("ConstantTimer", "T1") + El("ResponseAssertion", "A1") +
                                   El("GenericController", "ctl", "",
                                      El("ConfigTestElement", "D2") + El("RegexExtractor", "X2") +
                                          Http("s", "/s", El("ResponseAssertion", "A3") + El("ConstantTimer", "T3")) +
                                          El("ResponseAssertion", "A2")))));
  const Node& ctl = Child(*c.plan.thread_groups()[0], 0);
  ASSERT_EQ(ctl.children.size(), 1u);
  const Sampler& s = ctl.children[0]->As<Sampler>();
  EXPECT_EQ(Names(s.scope.configs), (std::vector<std::string>{"D2", "H1", "D0"}));
  EXPECT_EQ(Names(s.scope.timers), (std::vector<std::string>{"T3", "T1"}));
  EXPECT_EQ(Names(s.scope.assertions), (std::vector<std::string>{"A0", "A1", "A2", "A3"}));
  EXPECT_EQ(Names(s.scope.post_processors), (std::vector<std::string>{"X2"}));
  EXPECT_EQ(Names(s.scope.controllers), (std::vector<std::string>{"ctl"}));
}

TEST(PlanCompilerTest, ModuleControllerCompilesTargetWithItsNewScope) {
  CompiledPlan c = Compile(
      PlanXml(El("TestFragmentController", "frag", "", El("GenericController", "mod", "", Http("m", "/m"))) +
              Tg("tg", El("ConstantTimer", "T") +
                           El("ModuleController", "use",
                              "<collectionProp name=\"ModuleController.node_path\">"
                              "<stringProp name=\"1\">Test Plan</stringProp><stringProp name=\"2\">Plan</stringProp>"
                              "<stringProp name=\"3\">frag</stringProp><stringProp name=\"4\">mod</stringProp>"
                              "</collectionProp>"))));
  EXPECT_TRUE(c.plan.runnable()) << (c.plan.problems.empty() ? "" : c.plan.problems[0].message);
  const Node& module = Child(*c.plan.thread_groups()[0], 0);
  ASSERT_EQ(module.kind, ElementKind::kModuleController);
  ASSERT_EQ(module.children.size(), 1u);
  const Node& target = Child(module, 0);
  EXPECT_EQ(target.name, "mod");
  const Sampler& m = target.children.at(0)->As<Sampler>();
  EXPECT_EQ(Names(m.scope.timers), (std::vector<std::string>{"T"}));
  EXPECT_EQ(Names(m.scope.controllers), (std::vector<std::string>{"mod", "use"}));
  // The fragment is kept for tools but is not a thread group's child.
  ASSERT_EQ(c.plan.fragments.size(), 1u);
  EXPECT_TRUE(c.plan.fragments[0]->children[0]->children[0]->As<Sampler>().scope.timers.empty());
}

TEST(PlanCompilerTest, ModuleControllerErrors) {
  auto path = [](const std::string& last) {
    return "<collectionProp name=\"ModuleController.node_path\"><stringProp name=\"1\">Test Plan</stringProp>"
           "<stringProp name=\"2\">Plan</stringProp><stringProp name=\"3\">tg</stringProp>"
           "<stringProp name=\"4\">" +
           last + "</stringProp></collectionProp>";
  };
  CompiledPlan missing = Compile(PlanXml(Tg("tg", El("ModuleController", "m", path("nope")))));
  ASSERT_EQ(missing.plan.problems.size(), 1u);
  EXPECT_EQ(missing.plan.problems[0].message, "Module Controller 'm': target not found: Test Plan > Plan > tg > nope");
  EXPECT_EQ(missing.plan.problems[0].line, 7);
  EXPECT_FALSE(missing.plan.runnable());

  CompiledPlan none = Compile(PlanXml(Tg("tg", El("ModuleController", "m"))));
  ASSERT_EQ(none.plan.problems.size(), 1u);
  EXPECT_EQ(none.plan.problems[0].severity, Problem::Severity::kWarning);
  EXPECT_EQ(none.plan.problems[0].message, "Module Controller 'm' has no target selected and does nothing");

  CompiledPlan loop =
      Compile(PlanXml(Tg("tg", El("GenericController", "c", "", El("ModuleController", "m", path("c"))))));
  ASSERT_EQ(loop.plan.problems.size(), 1u);
  EXPECT_EQ(loop.plan.problems[0].message, "Module Controller 'm' includes itself through Test Plan > Plan > tg > c");
}

TEST(PlanCompilerTest, ModuleNamedLikeItsTargetResolvesToTheController) {
  // Seen in real plans: the module carries its target's name, so the path matches both.
  CompiledPlan c = Compile(PlanXml(Tg(
      "tg", El("GenericController", "reset", "", Http("r", "/r")) +
                El("ModuleController", "reset",
                   "<collectionProp name=\"ModuleController.node_path\"><stringProp name=\"1\">Test Plan</stringProp>"
                   "<stringProp name=\"2\">Plan</stringProp><stringProp name=\"3\">tg</stringProp>"
                   "<stringProp name=\"4\">reset</stringProp></collectionProp>"))));
  EXPECT_TRUE(c.plan.problems.empty()) << c.plan.problems[0].message;
  const Node& module = Child(*c.plan.thread_groups()[0], 1);
  ASSERT_EQ(module.children.size(), 1u);
  EXPECT_EQ(Child(module, 0).kind, ElementKind::kSimpleController);
  EXPECT_EQ(Child(Child(module, 0), 0).name, "r");
}

TEST(PlanCompilerTest, DisabledTestFragmentIsStillAModuleTarget) {
  CompiledPlan c = Compile(PlanXml(
      El("TestFragmentController", "frag", "", Http("m", "/m") + El("JDBCSampler", "query"), " enabled=\"false\"") +
      Tg("tg", El("ModuleController", "use",
                  "<collectionProp name=\"ModuleController.node_path\">"
                  "<stringProp name=\"1\">Test Plan</stringProp><stringProp name=\"2\">Plan</stringProp>"
                  "<stringProp name=\"3\">frag</stringProp></collectionProp>"))));
  const Node& module = Child(*c.plan.thread_groups()[0], 0);
  ASSERT_EQ(module.children.size(), 1u);
  EXPECT_EQ(Child(module, 0).children.at(0)->name, "m");
  // What the disabled fragment holds runs, so its unsupported element is reported.
  ASSERT_EQ(c.plan.unsupported.size(), 1u);
  EXPECT_EQ(c.plan.unsupported[0].name, "query");
}

TEST(PlanCompilerTest, ModuleExpansionIsBounded) {
  // 22 controllers, each with two modules targeting the next: 2^22 copies unbounded.
  std::string frags;
  auto path = [](int i) {
    return "<collectionProp name=\"ModuleController.node_path\"><stringProp name=\"1\">Test Plan</stringProp>"
           "<stringProp name=\"2\">Plan</stringProp><stringProp name=\"3\">f" +
           std::to_string(i) + "</stringProp></collectionProp>";
  };
  for (int i = 0; i < 22; ++i) {
    std::string body = i == 21 ? Http("leaf", "/")
                               : El("ModuleController", "a", path(i + 1)) + El("ModuleController", "b", path(i + 1));
    frags += El("TestFragmentController", "f" + std::to_string(i), "", body);
  }
  CompiledPlan c = Compile(PlanXml(frags + Tg("tg", El("ModuleController", "root", path(0)))));
  EXPECT_FALSE(c.plan.runnable());
  bool reported = false;
  for (const Problem& p : c.plan.problems) {
    reported |= p.message == "the plan expands to more than 200000 elements through Module Controllers";
  }
  EXPECT_TRUE(reported);
}

TEST(PlanCompilerTest, HttpSamplerFieldsAndArguments) {
  CompiledPlan c =
      Compile(PlanXml(Tg("tg", El("HTTPSamplerProxy", "post",
                                  "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\">"
                                  "<collectionProp name=\"Arguments.arguments\">"
                                  "<elementProp name=\"\" elementType=\"HTTPArgument\">"
                                  "<boolProp name=\"HTTPArgument.always_encode\">false</boolProp>"
                                  "<stringProp name=\"Argument.value\">{\"a\":&#xd;\n1}</stringProp>"
                                  "<stringProp name=\"Argument.metadata\">=</stringProp></elementProp>"
                                  "</collectionProp></elementProp>"
                                  "<stringProp name=\"HTTPSampler.domain\">127.0.0.1</stringProp>"
                                  "<stringProp name=\"HTTPSampler.port\">8080</stringProp>"
                                  "<stringProp name=\"HTTPSampler.method\">POST</stringProp>"
                                  "<boolProp name=\"HTTPSampler.postBodyRaw\">true</boolProp>"
                                  "<stringProp name=\"HTTPSampler.follow_redirects\">false</stringProp>"))));
  const HttpSampler& s = c.plan.thread_groups()[0]->children.at(0)->As<HttpSampler>();
  EXPECT_EQ(s.http.domain.text, "127.0.0.1");
  EXPECT_EQ(s.http.port.text, "8080");
  EXPECT_EQ(s.http.method.text, "POST");
  EXPECT_TRUE(s.http.post_body_raw);
  EXPECT_FALSE(s.http.follow_redirects);  // boolean stored as stringProp
  ASSERT_EQ(s.http.arguments.size(), 1u);
  EXPECT_EQ(s.http.arguments[0].value.text, "{\"a\":\r\n1}");
}

TEST(PlanCompilerTest, CsvDataSetsUnderListsEveryCsvDataSetInPlanOrder) {
  auto csv = [](const std::string& name) {
    return El("CSVDataSet", name, "<stringProp name=\"filename\">" + name + ".csv</stringProp>");
  };
  // A node's own elements come before its children's, whatever the order in the file.
  CompiledPlan c =
      Compile(PlanXml(csv("plan") +
                      Tg("tg1", Http("h1", "/a", csv("under-sampler")) +
                                    El("LoopController", "loop", "", csv("in-loop") + Http("h2", "/b")) + csv("tg1")) +
                      Tg("tg2", csv("tg2"))));
  ASSERT_TRUE(c.plan.root);
  std::vector<std::string> names;
  for (const CsvDataSet* d : CsvDataSetsUnder(std::as_const(*c.plan.root))) names.push_back(d->name);
  EXPECT_EQ(names, (std::vector<std::string>{"plan", "tg1", "under-sampler", "in-loop", "tg2"}));

  // The mutable overload finds the same elements, for the plan's owner to rewrite.
  std::vector<CsvDataSet*> mutable_sets = CsvDataSetsUnder(*c.plan.root);
  ASSERT_EQ(mutable_sets.size(), 5u);
  mutable_sets[4]->filename = Value::Of("local.csv");
  EXPECT_EQ(CsvDataSetsUnder(std::as_const(*c.plan.root))[4]->filename.text, "local.csv");

  const Node& tg2 = *c.plan.thread_groups()[1];
  ASSERT_EQ(CsvDataSetsUnder(tg2).size(), 1u);
  EXPECT_EQ(CsvDataSetsUnder(tg2)[0]->name, "tg2");
}

TEST(PlanCompilerTest, LiteralFilesOfFileFunctionsAreDataFiles) {
  CompiledPlan c = Compile(PlanXml(Tg(
      "tg",
      Http("a", "/x?c=${__CSVRead(fn.csv,0)}${__CSVRead(*alias,0)}&s=${__StringFromFile( lines.txt )}") +
          Http("b", "/y?f=${__FileToString(${dir}/body.txt)}&g=${__FileToString(body.json)}&c=${__CSVRead(fn.csv,1)}") +
          El("CSVDataSet", "csv", "<stringProp name=\"filename\">body.json</stringProp>"))));
  ASSERT_EQ(c.plan.data_files.size(), 3u);
  EXPECT_EQ(c.plan.data_files[0].filename, "body.json");  // the CSV Data Set's entry
  EXPECT_EQ(c.plan.data_files[0].function, "");
  EXPECT_EQ(c.plan.data_files[1].filename, "fn.csv");
  EXPECT_EQ(c.plan.data_files[1].function, "__CSVRead");
  EXPECT_EQ(c.plan.data_files[2].filename, "lines.txt");
  EXPECT_EQ(c.plan.data_files[2].function, "__StringFromFile");
}

// A __StringFromFile file sequence names its files through a DecimalFormat pattern: with
// literal start and end numbers they are the data files; without an end, none can be known.
TEST(PlanCompilerTest, StringFromFileSequencesListEachFileOfTheSequence) {
  CompiledPlan c = Compile(PlanXml(
      Tg("tg", Http("a", "/x?s=${__StringFromFile(part#'.txt',v,2,4)}&t=${__StringFromFile(open#'.txt',v,1,)}"))));
  std::string names;
  for (const DataFile& d : c.plan.data_files) names += d.filename + "(" + d.function + ") ";
  EXPECT_EQ(names, "part2.txt(__StringFromFile) part3.txt(__StringFromFile) part4.txt(__StringFromFile) ");
}

TEST(PlanCompilerTest, CsvDataSetShareModesIncludingLocalizedDisplayValues) {
  auto csv = [](const std::string& name, const std::string& mode) {
    return El("CSVDataSet", name,
              "<stringProp name=\"filename\">data.csv</stringProp>"
              "<stringProp name=\"delimiter\">\\t</stringProp>"
              "<stringProp name=\"shareMode\">" +
                  mode + "</stringProp>");
  };
  CompiledPlan c = Compile(PlanXml(Tg(
      "tg", csv("a", "All threads") + csv("b", "shareMode.group") + csv("c", "Current thread") + csv("d", "mykey"))));
  const Node& tg = *c.plan.thread_groups()[0];
  ASSERT_EQ(tg.elements.size(), 4u);
  EXPECT_EQ(tg.elements[0]->As<CsvDataSet>().share_mode, CsvDataSet::ShareMode::kAll);
  EXPECT_EQ(tg.elements[0]->As<CsvDataSet>().delimiter, "\t");
  EXPECT_EQ(tg.elements[1]->As<CsvDataSet>().share_mode, CsvDataSet::ShareMode::kGroup);
  EXPECT_EQ(tg.elements[2]->As<CsvDataSet>().share_mode, CsvDataSet::ShareMode::kThread);
  EXPECT_EQ(tg.elements[3]->As<CsvDataSet>().share_mode, CsvDataSet::ShareMode::kAll);
  ASSERT_EQ(c.plan.data_files.size(), 4u);
  EXPECT_EQ(c.plan.data_files[0].share_mode, "shareMode.all");
  EXPECT_EQ(c.plan.data_files[0].delimiter, "\\t");
  EXPECT_EQ(c.plan.data_files[2].share_mode, "shareMode.thread");
  ASSERT_EQ(c.plan.problems.size(), 1u);  // the custom key is worth a warning
  EXPECT_EQ(c.plan.problems[0].severity, Problem::Severity::kWarning);
}

TEST(PlanCompilerTest, BadLiteralNumbersAreErrorsWithLines) {
  CompiledPlan c = Compile(PlanXml(Tg("tg", "", "<stringProp name=\"ThreadGroup.num_threads\">ten</stringProp>")));
  ASSERT_EQ(c.plan.problems.size(), 1u);
  EXPECT_EQ(c.plan.problems[0].message, "ThreadGroup 'tg': ThreadGroup.num_threads 'ten' is not a whole number");
  EXPECT_EQ(c.plan.problems[0].line, 5);
  EXPECT_FALSE(c.plan.runnable());
}

TEST(PlanCompilerTest, PlanWithoutThreadGroupsIsNotRunnable) {
  CompiledPlan c = Compile(PlanXml(Http("orphan", "/")));
  EXPECT_FALSE(c.plan.runnable());
  ASSERT_EQ(c.plan.problems.size(), 2u);
  EXPECT_EQ(c.plan.problems[0].message, "HTTPSamplerProxy 'orphan' is outside any thread group, so it never runs");
}

TEST(PlanCompilerTest, ControllersAndTheirSettings) {
  CompiledPlan c = Compile(PlanXml(Tg(
      "tg",
      El("LoopController", "loop", "<intProp name=\"LoopController.loops\">3</intProp>") +
          El("IfController", "if",
             "<stringProp name=\"IfController.condition\">${ok}</stringProp>"
             "<boolProp name=\"IfController.useExpression\">true</boolProp>") +
          El("TransactionController", "tx", "<boolProp name=\"TransactionController.parent\">true</boolProp>") +
          El("ThroughputController", "tp",
             "<intProp name=\"ThroughputController.style\">1</intProp>"
             "<FloatProperty><name>ThroughputController.percentThroughput</name><value>25.0</value></FloatProperty>") +
          El("RunTime", "rt", "<stringProp name=\"RunTime.seconds\">5</stringProp>"))));
  const Node& tg = *c.plan.thread_groups()[0];
  ASSERT_EQ(tg.children.size(), 5u);
  EXPECT_EQ(Child(tg, 0).As<LoopController>().loops.text, "3");
  EXPECT_TRUE(Child(tg, 1).As<IfController>().use_expression);
  EXPECT_EQ(Child(tg, 1).As<IfController>().condition.text, "${ok}");
  EXPECT_TRUE(Child(tg, 2).As<TransactionController>().generate_parent_sample);
  EXPECT_EQ(Child(tg, 3).As<ThroughputController>().style, ThroughputController::Style::kPercentExecutions);
  EXPECT_EQ(Child(tg, 3).As<ThroughputController>().percent_throughput.text, "25.0");
  EXPECT_EQ(Child(tg, 4).kind, ElementKind::kRuntimeController);
  EXPECT_STREQ(KindName(Child(tg, 4).kind), "runtime");
}

TEST(PlanCompilerTest, AssertionsReadTheirScopeFromAssertionScope) {
  CompiledPlan c = Compile(
      PlanXml(Tg("tg", Http("s", "/s",
                            El("ResponseAssertion", "ra",
                               "<stringProp name=\"Assertion.scope\">variable</stringProp>"
                               "<stringProp name=\"Scope.variable\">v</stringProp>") +
                                El("RegexExtractor", "rx", "<stringProp name=\"Sample.scope\">all</stringProp>")))));
  const Sampler& s = c.plan.thread_groups()[0]->children.at(0)->As<Sampler>();
  EXPECT_EQ(s.scope.assertions.at(0)->As<ResponseAssertion>().scope, SampleScope::kVariable);
  EXPECT_EQ(s.scope.assertions.at(0)->As<ResponseAssertion>().scope_variable.text, "v");
  EXPECT_EQ(s.scope.post_processors.at(0)->As<RegexExtractor>().scope, SampleScope::kAll);
}

TEST(PlanCompilerTest, WrongFunctionArgumentCountIsAnError) {
  CompiledPlan c = Compile(PlanXml(Tg("tg", Http("s", "/x?r=${__Random(5)}"))));
  ASSERT_EQ(c.plan.problems.size(), 1u);
  EXPECT_EQ(c.plan.problems[0].severity, Problem::Severity::kError);
  EXPECT_EQ(c.plan.problems[0].message,
            "__Random called with wrong number of parameters. Actual: 1. Expected: >= 2 and <= 3");
  EXPECT_EQ(c.plan.problems[0].line, 7);  // the sampler's line: its properties share it
}

TEST(PlanCompilerTest, ScriptFunctionsBeyondTheOneLineGrammarNeedTheScriptHost) {
  CompiledPlan ok = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__jexl3(\"${a}\" == \"b\" &amp;&amp; ${n} &lt; 3)}"))));
  EXPECT_TRUE(ok.plan.problems.empty()) << ok.plan.problems[0].message;
  EXPECT_FALSE(ok.plan.script_functions);  // the one-line evaluator runs it: no JVM
  CompiledPlan loop = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__groovy(for (i in 1..3) {})}"))));
  EXPECT_TRUE(loop.plan.problems.empty()) << loop.plan.problems[0].message;
  EXPECT_TRUE(loop.plan.script_functions);
  EXPECT_TRUE(loop.plan.runnable());
  CompiledPlan bsh = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__BeanShell(1+1)}"))));
  EXPECT_TRUE(bsh.plan.problems.empty()) << bsh.plan.problems[0].message;
  EXPECT_TRUE(bsh.plan.script_functions);
  EXPECT_TRUE(bsh.plan.runnable());
}

TEST(PlanCompilerTest, ScriptFunctionsWithoutAnInterpreterAreErrors) {
  CompiledPlan jexl = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__jexl2(x = 1; x + 1)}"))));
  EXPECT_TRUE(jexl.plan.problems.empty()) << jexl.plan.problems[0].message;
  EXPECT_TRUE(jexl.plan.script_functions);  // JEXL on the script host
  CompiledPlan jexl1 = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__jexl(1+1)}"))));
  ASSERT_EQ(jexl1.plan.problems.size(), 1u);
  EXPECT_EQ(jexl1.plan.problems[0].message,
            "script function __jexl is not supported (Barrage has no interpreter for it)");
  CompiledPlan jython = Compile(PlanXml(Tg("tg", Http("s", "/x?v=${__jython(1+1)}"))));
  ASSERT_EQ(jython.plan.problems.size(), 1u);
  EXPECT_EQ(jython.plan.problems[0].message,
            "script function __jython is not supported (Barrage has no interpreter for it)");
  EXPECT_FALSE(jython.plan.runnable());
}

TEST(PlanCompilerTest, IfConditionsWithoutExpressionModeAreJavaScript) {
  CompiledPlan ok = Compile(PlanXml(Tg(
      "tg", El("IfController", "if", "<stringProp name=\"IfController.condition\">\"${x}\" == \"a\"</stringProp>"))));
  EXPECT_TRUE(ok.plan.problems.empty()) << ok.plan.problems[0].message;
  EXPECT_FALSE(ok.plan.script_functions);
  CompiledPlan full =
      Compile(PlanXml(Tg("tg", El("IfController", "if",
                                  "<stringProp name=\"IfController.condition\">Math.random() &gt; 0.5</stringProp>"))));
  EXPECT_TRUE(full.plan.problems.empty()) << full.plan.problems[0].message;
  EXPECT_TRUE(full.plan.script_functions);  // Rhino on the script host runs it
}

TEST(PlanCompilerTest, ClassifiesPluginsByName) {
  TestElement e;
  e.testclass = "com.example.threads.FancyThreadGroup";
  EXPECT_EQ(ClassifyElement(e).role, Role::kThreadGroup);
  EXPECT_FALSE(ClassifyElement(e).supported);
  e.testclass = "kg.apc.jmeter.threads.UltimateThreadGroup";  // issue 12
  EXPECT_EQ(ClassifyElement(e).role, Role::kThreadGroup);
  EXPECT_TRUE(ClassifyElement(e).supported);
  e.testclass = "vn.zalopay.benchmark.GRPCSampler";
  EXPECT_EQ(ClassifyElement(e).role, Role::kSampler);
  e.testclass = "kg.apc.jmeter.perfmon.PerfMonCollector";
  EXPECT_EQ(ClassifyElement(e).role, Role::kListener);
  EXPECT_TRUE(ClassifyElement(e).supported);  // ignored, not unsupported
  EXPECT_TRUE(ClassifyElement(e).ignored);
  EXPECT_STREQ(ClassifyElement(e).reason, "listener: results are recorded by barrage");
  e.testclass = "BeanShellListener";  // runs its script (issue 11): a listener that is not ignored
  EXPECT_EQ(ClassifyElement(e).role, Role::kListener);
  EXPECT_TRUE(ClassifyElement(e).supported);
  EXPECT_FALSE(ClassifyElement(e).ignored);
  e.testclass = "MailerModel";
  EXPECT_FALSE(ClassifyElement(e).supported);
  EXPECT_FALSE(ClassifyElement(e).ignored);
  e.testclass = "com.example.FancyThing";
  EXPECT_EQ(ClassifyElement(e).role, Role::kUnknown);
  EXPECT_STREQ(ClassifyElement(e).reason, "unknown element (a plugin barrage does not know)");
}

TEST(PlanCompilerTest, DebugPostProcessorIsIgnoredNotCompiled) {
  CompiledPlan c = Compile(PlanXml(Tg("tg", Http("a", "/a", El("DebugPostProcessor", "dbg")))));
  EXPECT_TRUE(c.plan.runnable());
  EXPECT_TRUE(c.plan.thread_groups()[0]->children[0]->elements.empty());
}

TEST(PlanCompilerTest, ElementTableListsEveryClassificationOnce) {
  std::vector<ElementTableRow> rows = ElementTable();
  std::set<std::string> seen;
  for (const ElementTableRow& r : rows) {
    EXPECT_TRUE(seen.insert(r.testclass).second) << r.testclass << " is listed twice";
    EXPECT_FALSE(r.detail.empty()) << r.testclass;
    TestElement e;
    e.testclass = r.testclass;
    ElementClass cls = ClassifyElement(e);
    EXPECT_EQ(cls.supported, r.status != ElementTableRow::Status::kUnsupported) << r.testclass;
    EXPECT_EQ(cls.ignored, r.status == ElementTableRow::Status::kIgnored) << r.testclass;
    EXPECT_EQ(cls.role, r.role) << r.testclass;
  }
}

}  // namespace
}  // namespace barrage
