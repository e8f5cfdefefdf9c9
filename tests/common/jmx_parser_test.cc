#include "common/jmx_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace barrage {
namespace {

constexpr char kMinimal[] =
    "<jmeterTestPlan version=\"1.2\" properties=\"5.0\" jmeter=\"5.6.3\">\n"
    "  <hashTree>\n"
    "    <TestPlan guiclass=\"TestPlanGui\" testclass=\"TestPlan\" testname=\"Plan\"/>\n"
    "    <hashTree/>\n"
    "  </hashTree>\n"
    "</jmeterTestPlan>\n";

HashTree MustParse(const std::string& xml) {
  Result<HashTree> r = ParseJmx(xml, "t.jmx");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : HashTree{};
}

// Wraps `body` as the children of a TestPlan.
std::string Plan(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\" jmeter=\"5.6.3\">\n"
         "<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"P\"/>\n"
         "<hashTree>\n" +
         body + "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

TEST(JmxParserTest, MinimalPlanWithoutDeclaration) {
  HashTree t = MustParse(kMinimal);
  ASSERT_EQ(t.roots.size(), 1u);
  EXPECT_EQ(t.roots[0].testclass, "TestPlan");
  EXPECT_EQ(t.roots[0].guiclass, "TestPlanGui");
  EXPECT_EQ(t.roots[0].testname, "Plan");
  EXPECT_EQ(t.roots[0].line, 3);
  EXPECT_TRUE(t.roots[0].enabled);  // no enabled attribute means enabled
  EXPECT_EQ(t.path, "t.jmx");
  ASSERT_EQ(t.root_attributes.size(), 3u);
  EXPECT_EQ(t.root_attributes[2].first, "jmeter");
  EXPECT_EQ(t.root_attributes[2].second, "5.6.3");
}

TEST(JmxParserTest, Utf8BomAndSingleQuotedDeclaration) {
  std::string xml = "\xEF\xBB\xBF<?xml version='1.0' encoding='UTF-8'?>\n" + std::string(kMinimal);
  HashTree t = MustParse(xml);
  ASSERT_EQ(t.roots.size(), 1u);
  EXPECT_EQ(t.roots[0].line, 4);  // the BOM does not shift line numbers
}

TEST(JmxParserTest, InvalidCharacterReferenceIsKept) {
  HashTree t =
      MustParse(Plan("<Arguments testclass=\"Arguments\" testname=\"A\">\n"
                     "  <stringProp name=\"v\">&#x14;x&#1;</stringProp>\n"
                     "</Arguments>\n<hashTree/>\n"));
  const TestElement& a = t.roots[0].children.at(0);
  EXPECT_EQ(a.GetString("v"), std::string("\x14x\x01"));
}

TEST(JmxParserTest, CarriageReturnReferenceIsPreservedInRawBody) {
  HashTree t =
      MustParse(Plan("<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"s\">\n"
                     "  <stringProp name=\"body\">{&#xd;\n  \"a\": 1&#xd;\n}</stringProp>\n"
                     "</HTTPSamplerProxy>\n<hashTree/>\n"));
  EXPECT_EQ(t.roots[0].children.at(0).GetString("body"), "{\r\n  \"a\": 1\r\n}");
}

TEST(JmxParserTest, LiteralCrLfIsNormalisedAsXmlRequires) {
  HashTree t =
      MustParse(Plan("<Arguments testclass=\"Arguments\" testname=\"A\">"
                     "<stringProp name=\"v\">a\r\nb</stringProp></Arguments>\r\n<hashTree/>\r\n"));
  EXPECT_EQ(t.roots[0].children.at(0).GetString("v"), "a\nb");
}

TEST(JmxParserTest, WorkBenchBesideTestPlan) {
  HashTree t = MustParse(
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"P\"/><hashTree/>\n"
      "<WorkBench testclass=\"WorkBench\" testname=\"W\"/><hashTree>\n"
      "  <ProxyControl testclass=\"ProxyControl\" testname=\"rec\"/><hashTree/>\n"
      "</hashTree>\n"
      "</hashTree></jmeterTestPlan>");
  ASSERT_EQ(t.roots.size(), 2u);
  EXPECT_EQ(t.roots[1].testclass, "WorkBench");
  ASSERT_EQ(t.roots[1].children.size(), 1u);
  EXPECT_EQ(t.roots[1].children[0].testname, "rec");
  EXPECT_EQ(t.test_plan(), &t.roots[0]);
}

TEST(JmxParserTest, FullyQualifiedPluginTagWithoutTestclass) {
  HashTree t = MustParse(
      Plan("<kg.apc.jmeter.threads.UltimateThreadGroup guiclass=\"kg.apc.jmeter.threads.UltimateThreadGroupGui\" "
           "testclass=\"kg.apc.jmeter.threads.UltimateThreadGroup\" testname=\"U\" enabled=\"true\"/>\n<hashTree/>\n"
           "<com.example.NoTestclass testname=\"N\"/>\n<hashTree/>\n"));
  const auto& kids = t.roots[0].children;
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].tag, "kg.apc.jmeter.threads.UltimateThreadGroup");
  EXPECT_EQ(kids[0].testclass, "kg.apc.jmeter.threads.UltimateThreadGroup");
  EXPECT_EQ(kids[1].testclass, "com.example.NoTestclass");  // the tag stands in
}

TEST(JmxParserTest, DoublePropAndObjPropNamedByChildElement) {
  HashTree t =
      MustParse(Plan("<ConstantThroughputTimer testclass=\"ConstantThroughputTimer\" testname=\"T\">\n"
                     "  <intProp name=\"calcMode\">2</intProp>\n"
                     "  <doubleProp>\n    <value>60.5</value>\n    <savedValue>0.0</savedValue>\n"
                     "    <name>throughput</name>\n  </doubleProp>\n"
                     "</ConstantThroughputTimer>\n<hashTree/>\n"
                     "<ResultCollector testclass=\"ResultCollector\" testname=\"R\">\n"
                     "  <objProp>\n    <name>saveConfig</name>\n"
                     "    <value class=\"SampleSaveConfiguration\">\n      <time>true</time>\n"
                     "      <latency>false</latency>\n    </value>\n  </objProp>\n"
                     "</ResultCollector>\n<hashTree/>\n"));
  const TestElement& timer = t.roots[0].children.at(0);
  const Property* tp = timer.Find("throughput");
  ASSERT_NE(tp, nullptr);
  EXPECT_EQ(tp->type, PropertyType::kDouble);
  EXPECT_EQ(tp->value, "60.5");
  EXPECT_EQ(tp->saved_value, "0.0");
  EXPECT_EQ(timer.Find("calcMode")->type, PropertyType::kInt);

  const Property* save = t.roots[0].children.at(1).Find("saveConfig");
  ASSERT_NE(save, nullptr);
  EXPECT_EQ(save->type, PropertyType::kObject);
  EXPECT_EQ(save->element_type, "SampleSaveConfiguration");
  ASSERT_EQ(save->items.size(), 2u);
  EXPECT_EQ(save->items[0].name, "time");
  EXPECT_EQ(save->items[0].value, "true");
  EXPECT_EQ(save->items[1].name, "latency");
  EXPECT_EQ(save->items[1].value, "false");
}

TEST(JmxParserTest, FloatPropertyTagOfThroughputController) {
  HashTree t =
      MustParse(Plan("<ThroughputController testclass=\"ThroughputController\" testname=\"TC\">\n"
                     "  <FloatProperty>\n    <name>ThroughputController.percentThroughput</name>\n"
                     "    <value>25.0</value>\n    <savedValue>0.0</savedValue>\n  </FloatProperty>\n"
                     "</ThroughputController>\n<hashTree/>\n"));
  const Property* p = t.roots[0].children.at(0).Find("ThroughputController.percentThroughput");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type, PropertyType::kFloat);
  EXPECT_EQ(p->value, "25.0");
}

TEST(JmxParserTest, EveryPropertyTypeWithSourceLines) {
  HashTree t =
      MustParse(Plan("<HTTPSamplerProxy guiclass=\"HttpTestSampleGui\" testclass=\"HTTPSamplerProxy\" testname=\"s\" "
                     "enabled=\"true\">\n"
                     "  <elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\" "
                     "guiclass=\"HTTPArgumentsPanel\" testclass=\"Arguments\" enabled=\"true\">\n"
                     "    <collectionProp name=\"Arguments.arguments\">\n"
                     "      <elementProp name=\"q\" elementType=\"HTTPArgument\">\n"
                     "        <boolProp name=\"HTTPArgument.always_encode\">true</boolProp>\n"
                     "        <stringProp name=\"Argument.value\">x y</stringProp>\n"
                     "      </elementProp>\n"
                     "    </collectionProp>\n"
                     "  </elementProp>\n"
                     "  <longProp name=\"HTTPSampler.connect_timeout\">1000</longProp>\n"
                     "  <floatProp name=\"f\">1.5</floatProp>\n"
                     "  <mapProp name=\"m\"><stringProp name=\"k\">v</stringProp></mapProp>\n"
                     "</HTTPSamplerProxy>\n<hashTree/>\n"));
  const TestElement& s = t.roots[0].children.at(0);
  ASSERT_EQ(s.properties.size(), 4u);
  const Property& args = s.properties[0];
  EXPECT_EQ(args.type, PropertyType::kElement);
  EXPECT_EQ(args.element_type, "Arguments");
  EXPECT_EQ(args.Attribute("guiclass"), "HTTPArgumentsPanel");
  EXPECT_EQ(args.line, 7);
  const Property* list = args.Find("Arguments.arguments");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->type, PropertyType::kCollection);
  ASSERT_EQ(list->items.size(), 1u);
  const Property& q = list->items[0];
  EXPECT_EQ(q.name, "q");
  EXPECT_EQ(q.element_type, "HTTPArgument");
  EXPECT_TRUE(q.GetBool("HTTPArgument.always_encode", false));
  EXPECT_EQ(q.GetString("Argument.value"), "x y");
  EXPECT_EQ(s.properties[1].type, PropertyType::kLong);
  EXPECT_EQ(s.GetInt("HTTPSampler.connect_timeout", 0), 1000);
  EXPECT_EQ(s.properties[2].type, PropertyType::kFloat);
  EXPECT_EQ(s.properties[3].type, PropertyType::kMap);
  EXPECT_EQ(s.properties[3].GetString("k"), "v");
}

TEST(JmxParserTest, DisabledElementKeepsItsSubtreeButIsMarked) {
  HashTree t = MustParse(
      Plan("<GenericController testclass=\"GenericController\" testname=\"off\" enabled=\"false\"/>\n"
           "<hashTree>\n  <DebugSampler testclass=\"DebugSampler\" testname=\"d\"/>\n  <hashTree/>\n</hashTree>\n"
           "<GenericController testclass=\"GenericController\" testname=\"on\" enabled=\"true\"/>\n<hashTree/>\n"));
  const auto& kids = t.roots[0].children;
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_FALSE(kids[0].enabled);
  EXPECT_EQ(kids[0].children.size(), 1u);  // the tree is lossless; the compiler drops it
  EXPECT_TRUE(kids[1].enabled);
}

TEST(JmxParserTest, ElementWithoutFollowingHashTreeHasNoChildren) {
  HashTree t =
      MustParse(Plan("<DebugSampler testclass=\"DebugSampler\" testname=\"a\"/>\n"
                     "<DebugSampler testclass=\"DebugSampler\" testname=\"b\"/>\n<hashTree/>\n"));
  ASSERT_EQ(t.roots[0].children.size(), 2u);
  EXPECT_EQ(t.roots[0].children[1].testname, "b");
}

TEST(JmxParserTest, MalformedXmlNamesFileAndLine) {
  Result<HashTree> r = ParseJmx("<jmeterTestPlan>\n<hashTree>\n<TestPlan testname=\"x></hashTree>", "bad.jmx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kParseError);
  EXPECT_EQ(r.status().message().rfind("bad.jmx:3: invalid XML: XML_ERROR_PARSING_ATTRIBUTE", 0), 0u)
      << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

TEST(JmxParserTest, ErrorMessageIsOneLineEvenWhenTheDocumentQuoteHasNewlines) {
  Result<HashTree> r = ParseJmx("<jmeterTestPlan>\n<hashTree>\n<a b='1\n2\n3\n", "m.jmx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().rfind("m.jmx:3: invalid XML: XML_ERROR_PARSING_ATTRIBUTE", 0), 0u)
      << r.status().message();
}

TEST(JmxParserTest, MismatchedElementNamesTheOpenElementAndItsLine) {
  Result<HashTree> r = ParseJmx("<jmeterTestPlan>\n<hashTree>\n</jmeterTestPlan>", "d.jmx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "d.jmx:2: invalid XML: XML_ERROR_MISMATCHED_ELEMENT: XMLElement name=hashTree");
}

TEST(JmxParserTest, RejectsEmptyAndBinaryAndForeignXml) {
  EXPECT_EQ(ParseJmx("", "e.jmx").status().message(), "e.jmx:1: empty file");
  EXPECT_EQ(ParseJmx(std::string("ab\ncd\0ef", 8), "b.jmx").status().message(),
            "b.jmx:2: invalid XML: NUL byte (binary data?)");
  EXPECT_EQ(ParseJmx("<?xml version=\"1.0\"?>\n<project/>", "pom.xml").status().message(),
            "pom.xml:2: not a JMeter test plan: root element is <project>, expected <jmeterTestPlan>");
  EXPECT_EQ(ParseJmx("<jmeterTestPlan/>", "n.jmx").status().message(),
            "n.jmx:1: not a JMeter test plan: <jmeterTestPlan> has no <hashTree>");
  EXPECT_EQ(ParseJmx("<jmeterTestPlan><hashTree/></jmeterTestPlan>", "n.jmx").status().message(),
            "n.jmx:1: not a JMeter test plan: no TestPlan element under the root hashTree");
}

TEST(JmxParserTest, Latin1DeclaredFilesAreReadAsLatin1) {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<jmeterTestPlan><hashTree>"
      "<TestPlan testclass=\"TestPlan\" testname=\"caf\xE9\"/><hashTree/></hashTree></jmeterTestPlan>";
  HashTree t = MustParse(xml);
  EXPECT_EQ(t.roots.at(0).testname, "caf\xC3\xA9");
}

TEST(JmxParserTest, DirectoryIsNotARegularFile) {
  Result<HashTree> r = ParseJmxFile("/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/tmp: not a regular file (a directory)");
}

TEST(JmxParserTest, DevZeroIsRefusedWithoutReadingIt) {
  Result<HashTree> r = ParseJmxFile("/dev/zero");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/dev/zero: not a regular file (a character device)");
}

TEST(JmxParserTest, MissingFileIsNotFoundNamingIt) {
  Result<HashTree> r = ParseJmxFile("/nonexistent/plan.jmx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/plan.jmx: no such file");
}

TEST(JmxParserTest, ParsesEveryCorpusFile) {
  // The shared corpus holds real files with all the quirks above; each must parse.
  const std::string dir = std::string(BARRAGE_SHARED_DIR) + "/jmx-corpus/";
  for (const char* name : {"Blazemeter__taurus__int_threads.jmx", "Blazemeter__taurus__binary-literals.jmx",
                           "apache__jmeter__GenTest210.expected.jmx", "kubernauts__jmeter-kubernetes__cloudssky.jmx"}) {
    Result<HashTree> r = ParseJmxFile(dir + name);
    if (!r.ok() && r.status().code() == Status::Code::kIoError) GTEST_SKIP() << "no shared corpus at " << dir;
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_NE(r->test_plan(), nullptr) << name;
  }
}

}  // namespace
}  // namespace barrage
