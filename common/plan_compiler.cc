#include "common/plan_compiler.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include "common/element_compiler.h"
#include "common/functions.h"
#include "common/template.h"

namespace barrage {

// ---------------------------------------------------------------------------------------
// Kinds and roles.

Category CategoryOf(ElementKind kind) {
  switch (kind) {
    case ElementKind::kTestPlan: return Category::kTestPlan;
    case ElementKind::kThreadGroup:
    case ElementKind::kSetupThreadGroup:
    case ElementKind::kPostThreadGroup:
    case ElementKind::kConcurrencyThreadGroup:
    case ElementKind::kArrivalsThreadGroup:
    case ElementKind::kFreeFormArrivalsThreadGroup:
    case ElementKind::kOpenModelThreadGroup:
    case ElementKind::kUltimateThreadGroup:
    case ElementKind::kSteppingThreadGroup: return Category::kThreadGroup;
    case ElementKind::kHttpSampler:
    case ElementKind::kDebugSampler:
    case ElementKind::kDummySampler:
    case ElementKind::kParallelSampler:
    case ElementKind::kTestAction: return Category::kSampler;
    case ElementKind::kSimpleController:
    case ElementKind::kLoopController:
    case ElementKind::kIfController:
    case ElementKind::kWhileController:
    case ElementKind::kTransactionController:
    case ElementKind::kOnceOnlyController:
    case ElementKind::kForeachController:
    case ElementKind::kThroughputController:
    case ElementKind::kRandomController:
    case ElementKind::kInterleaveController:
    case ElementKind::kRuntimeController:
    case ElementKind::kModuleController:
    case ElementKind::kSwitchController:
    case ElementKind::kRandomOrderController:
    case ElementKind::kCriticalSectionController: return Category::kController;
    case ElementKind::kConfigElement:
    case ElementKind::kHeaderManager:
    case ElementKind::kCookieManager:
    case ElementKind::kCsvDataSet:
    case ElementKind::kRandomCsvDataSet:
    case ElementKind::kArguments:
    case ElementKind::kCounter:
    case ElementKind::kRandomVariable:
    case ElementKind::kAuthManager:
    case ElementKind::kCacheManager:
    case ElementKind::kDnsCacheManager:
    case ElementKind::kKeystoreConfig: return Category::kConfig;
    case ElementKind::kConstantTimer:
    case ElementKind::kUniformRandomTimer:
    case ElementKind::kGaussianRandomTimer:
    case ElementKind::kConstantThroughputTimer:
    case ElementKind::kPoissonRandomTimer:
    case ElementKind::kPreciseThroughputTimer:
    case ElementKind::kThroughputShapingTimer: return Category::kTimer;
    case ElementKind::kUserParameters:
    case ElementKind::kUrlRewritingModifier: return Category::kPreProcessor;
    case ElementKind::kAnchorModifier:
    case ElementKind::kParamModifier: return Category::kPreProcessor;
    case ElementKind::kRegexExtractor:
    case ElementKind::kJsonExtractor:
    case ElementKind::kBoundaryExtractor:
    case ElementKind::kResultAction: return Category::kPostProcessor;
    case ElementKind::kXPathExtractor:
    case ElementKind::kXPath2Extractor:
    case ElementKind::kHtmlExtractor: return Category::kPostProcessor;
    case ElementKind::kJsonPluginExtractor: return Category::kPostProcessor;
    case ElementKind::kResponseAssertion:
    case ElementKind::kDurationAssertion:
    case ElementKind::kSizeAssertion:
    case ElementKind::kJsonPathAssertion:
    case ElementKind::kXPathAssertion:
    case ElementKind::kMd5HexAssertion:
    case ElementKind::kXmlAssertion:
    case ElementKind::kXmlSchemaAssertion:
    case ElementKind::kHtmlAssertion: return Category::kAssertion;
    case ElementKind::kJsonPluginAssertion: return Category::kAssertion;
    case ElementKind::kFifoPut: return Category::kPostProcessor;
    case ElementKind::kFifoPop: return Category::kPreProcessor;
    case ElementKind::kSyncTimer: return Category::kTimer;
    case ElementKind::kCompareAssertion: return Category::kAssertion;
    case ElementKind::kScriptSampler: return Category::kSampler;
    case ElementKind::kScriptPreProcessor: return Category::kPreProcessor;
    case ElementKind::kScriptPostProcessor: return Category::kPostProcessor;
    case ElementKind::kScriptAssertion: return Category::kAssertion;
    case ElementKind::kScriptTimer: return Category::kTimer;
    case ElementKind::kScriptListener: return Category::kListener;
  }
  return Category::kConfig;
}

namespace {

bool IsScriptKind(ElementKind kind) {
  switch (kind) {
    case ElementKind::kScriptSampler:
    case ElementKind::kScriptPreProcessor:
    case ElementKind::kScriptPostProcessor:
    case ElementKind::kScriptAssertion:
    case ElementKind::kScriptTimer:
    case ElementKind::kScriptListener: return true;
    default: return false;
  }
}

struct KindEntry {
  std::string_view testclass;
  ElementKind kind;
  const char* name;
};

// Every testclass Barrage runs, with its kind and the name `inspect` prints.
constexpr std::array<KindEntry, 102> kKinds = {{
    {"TestPlan", ElementKind::kTestPlan, "test_plan"},
    {"ThreadGroup", ElementKind::kThreadGroup, "thread_group"},
    {"SetupThreadGroup", ElementKind::kSetupThreadGroup, "setup_thread_group"},
    {"PostThreadGroup", ElementKind::kPostThreadGroup, "teardown_thread_group"},
    // bzm dynamic thread groups (issue 12).
    {"com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup", ElementKind::kConcurrencyThreadGroup,
     "bzm_concurrency_thread_group"},
    {"com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup", ElementKind::kArrivalsThreadGroup,
     "bzm_arrivals_thread_group"},
    {"com.blazemeter.jmeter.threads.arrivals.FreeFormArrivalsThreadGroup", ElementKind::kFreeFormArrivalsThreadGroup,
     "bzm_free_form_arrivals_thread_group"},
    {"OpenModelThreadGroup", ElementKind::kOpenModelThreadGroup, "open_model_thread_group"},
    {"kg.apc.jmeter.threads.UltimateThreadGroup", ElementKind::kUltimateThreadGroup, "ultimate_thread_group"},
    {"kg.apc.jmeter.threads.SteppingThreadGroup", ElementKind::kSteppingThreadGroup, "stepping_thread_group"},
    {"HTTPSamplerProxy", ElementKind::kHttpSampler, "http"},
    {"HTTPSampler", ElementKind::kHttpSampler, "http"},
    {"HTTPSampler2", ElementKind::kHttpSampler, "http"},
    {"com.blazemeter.jmeter.http2.sampler.HTTP2Request", ElementKind::kHttpSampler, "bzm_http2_request"},
    {"com.blazemeter.jmeter.http2.sampler.HTTP2Sampler", ElementKind::kHttpSampler, "bzm_http2_sampler"},
    {"DebugSampler", ElementKind::kDebugSampler, "debug"},
    {"TestAction", ElementKind::kTestAction, "flow_control_action"},
    {"GenericController", ElementKind::kSimpleController, "simple"},
    {"RecordingController", ElementKind::kSimpleController, "simple"},
    {"TestFragmentController", ElementKind::kSimpleController, "simple"},
    {"LoopController", ElementKind::kLoopController, "loop"},
    {"IfController", ElementKind::kIfController, "if"},
    {"WhileController", ElementKind::kWhileController, "while"},
    {"TransactionController", ElementKind::kTransactionController, "transaction"},
    {"OnceOnlyController", ElementKind::kOnceOnlyController, "once_only"},
    {"ForeachController", ElementKind::kForeachController, "foreach"},
    {"ThroughputController", ElementKind::kThroughputController, "throughput"},
    {"RandomController", ElementKind::kRandomController, "random"},
    {"InterleaveControl", ElementKind::kInterleaveController, "interleave"},
    {"RunTime", ElementKind::kRuntimeController, "runtime"},
    {"RuntimeController", ElementKind::kRuntimeController, "runtime"},
    {"ModuleController", ElementKind::kModuleController, "module"},
    {"ConfigTestElement", ElementKind::kConfigElement, "config"},
    {"HeaderManager", ElementKind::kHeaderManager, "header_manager"},
    {"CookieManager", ElementKind::kCookieManager, "cookie_manager"},
    {"CSVDataSet", ElementKind::kCsvDataSet, "csv_data_set"},
    {"com.blazemeter.jmeter.RandomCSVDataSetConfig", ElementKind::kRandomCsvDataSet, "random_csv_data_set"},
    {"Arguments", ElementKind::kArguments, "user_defined_variables"},
    {"CounterConfig", ElementKind::kCounter, "counter"},
    {"RandomVariableConfig", ElementKind::kRandomVariable, "random_variable"},
    {"ConstantTimer", ElementKind::kConstantTimer, "constant_timer"},
    {"UniformRandomTimer", ElementKind::kUniformRandomTimer, "uniform_random_timer"},
    {"GaussianRandomTimer", ElementKind::kGaussianRandomTimer, "gaussian_random_timer"},
    {"ConstantThroughputTimer", ElementKind::kConstantThroughputTimer, "constant_throughput_timer"},
    {"PoissonRandomTimer", ElementKind::kPoissonRandomTimer, "poisson_random_timer"},
    {"PreciseThroughputTimer", ElementKind::kPreciseThroughputTimer, "precise_throughput_timer"},
    {"kg.apc.jmeter.timers.VariableThroughputTimer", ElementKind::kThroughputShapingTimer, "throughput_shaping_timer"},
    {"UserParameters", ElementKind::kUserParameters, "user_parameters"},
    {"RegexExtractor", ElementKind::kRegexExtractor, "regex_extractor"},
    {"JSONPostProcessor", ElementKind::kJsonExtractor, "json_extractor"},
    {"BoundaryExtractor", ElementKind::kBoundaryExtractor, "boundary_extractor"},
    {"ResponseAssertion", ElementKind::kResponseAssertion, "response_assertion"},
    {"DurationAssertion", ElementKind::kDurationAssertion, "duration_assertion"},
    {"SizeAssertion", ElementKind::kSizeAssertion, "size_assertion"},
    {"JSONPathAssertion", ElementKind::kJsonPathAssertion, "json_path_assertion"},
    // Controllers and Result Status Action Handler (issue 10).
    {"SwitchController", ElementKind::kSwitchController, "switch"},
    {"RandomOrderController", ElementKind::kRandomOrderController, "random_order"},
    {"CriticalSectionController", ElementKind::kCriticalSectionController, "critical_section"},
    {"ResultAction", ElementKind::kResultAction, "result_action"},
    // Expanded before compiling (include_controller.h): a Simple Controller of the included elements.
    {"IncludeController", ElementKind::kSimpleController, "include"},
    // HTTP configuration (issue 10).
    {"AuthManager", ElementKind::kAuthManager, "auth_manager"},
    {"CacheManager", ElementKind::kCacheManager, "cache_manager"},
    {"DNSCacheManager", ElementKind::kDnsCacheManager, "dns_cache_manager"},
    {"URLRewritingModifier", ElementKind::kUrlRewritingModifier, "url_rewriting_modifier"},
    {"KeystoreConfig", ElementKind::kKeystoreConfig, "keystore_config"},
    // XML and HTML (issue 10).
    {"XPathExtractor", ElementKind::kXPathExtractor, "xpath_extractor"},
    {"XPath2Extractor", ElementKind::kXPath2Extractor, "xpath2_extractor"},
    {"XPathAssertion", ElementKind::kXPathAssertion, "xpath_assertion"},
    {"HtmlExtractor", ElementKind::kHtmlExtractor, "css_extractor"},
    {"CSSJQueryExtractor", ElementKind::kHtmlExtractor, "css_extractor"},
    {"MD5HexAssertion", ElementKind::kMd5HexAssertion, "md5hex_assertion"},
    {"XMLAssertion", ElementKind::kXmlAssertion, "xml_assertion"},
    {"XMLSchemaAssertion", ElementKind::kXmlSchemaAssertion, "xml_schema_assertion"},
    {"HTMLAssertion", ElementKind::kHtmlAssertion, "html_assertion"},
    // jmeter-plugins (issue 10).
    {"com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor", ElementKind::kJsonPluginExtractor,
     "jpgc_json_path_extractor"},
    {"com.atlantbh.jmeter.plugins.jsonutils.jsonpathassertion.JSONPathAssertion", ElementKind::kJsonPluginAssertion,
     "jpgc_json_path_assertion"},
    {"kg.apc.jmeter.samplers.DummySampler", ElementKind::kDummySampler, "jpgc_dummy_sampler"},
    // bzm Parallel Controller (issue 10).
    {"com.blazemeter.jmeter.controller.ParallelSampler", ElementKind::kParallelSampler, "bzm_parallel"},
    // Inter-user waits (issue 10).
    {"kg.apc.jmeter.modifiers.FifoPutPostProcessor", ElementKind::kFifoPut, "jpgc_fifo_put"},
    {"kg.apc.jmeter.modifiers.FifoPopPreProcessor", ElementKind::kFifoPop, "jpgc_fifo_pop"},
    {"SyncTimer", ElementKind::kSyncTimer, "sync_timer"},
    // HTML modifiers and Compare Assertion (issue 10).
    {"AnchorModifier", ElementKind::kAnchorModifier, "html_link_parser"},
    {"ParamModifier", ElementKind::kParamModifier, "html_parameter_mask"},
    {"CompareAssertion", ElementKind::kCompareAssertion, "compare_assertion"},
    // Scripts (issue 11).
    {"JSR223Sampler", ElementKind::kScriptSampler, "jsr223_sampler"},
    {"JSR223PreProcessor", ElementKind::kScriptPreProcessor, "jsr223_preprocessor"},
    {"JSR223PostProcessor", ElementKind::kScriptPostProcessor, "jsr223_postprocessor"},
    {"JSR223Assertion", ElementKind::kScriptAssertion, "jsr223_assertion"},
    {"JSR223Timer", ElementKind::kScriptTimer, "jsr223_timer"},
    {"BeanShellSampler", ElementKind::kScriptSampler, "beanshell_sampler"},
    {"BeanShellPreProcessor", ElementKind::kScriptPreProcessor, "beanshell_preprocessor"},
    {"BeanShellPostProcessor", ElementKind::kScriptPostProcessor, "beanshell_postprocessor"},
    {"BeanShellAssertion", ElementKind::kScriptAssertion, "beanshell_assertion"},
    {"BeanShellTimer", ElementKind::kScriptTimer, "beanshell_timer"},
    {"BSFSampler", ElementKind::kScriptSampler, "bsf_sampler"},
    {"BSFPreProcessor", ElementKind::kScriptPreProcessor, "bsf_preprocessor"},
    {"BSFPostProcessor", ElementKind::kScriptPostProcessor, "bsf_postprocessor"},
    {"BSFAssertion", ElementKind::kScriptAssertion, "bsf_assertion"},
    {"BSFTimer", ElementKind::kScriptTimer, "bsf_timer"},
    {"JSR223Listener", ElementKind::kScriptListener, "jsr223_listener"},
    {"BeanShellListener", ElementKind::kScriptListener, "beanshell_listener"},
    {"BSFListener", ElementKind::kScriptListener, "bsf_listener"},
}};

const KindEntry* FindKind(std::string_view testclass) {
  for (const KindEntry& e : kKinds) {
    if (e.testclass == testclass) return &e;
  }
  return nullptr;
}

// JMeter core and plugin elements Barrage does not run (so `inspect` lists samplers and
// thread groups completely), each with why and the nearest element Barrage runs instead
// ("" when there is none). Other plugin classes are recognised by name (ClassifyElement).
struct UnsupportedEntry {
  std::string_view testclass;
  Role role;
  const char* reason;
  const char* alternative;
};

constexpr UnsupportedEntry kKnownUnsupported[] = {
    {"AccessLogSampler", Role::kSampler, "replays web server access logs", "HTTP Request with a CSV Data Set of paths"},
    {"AjpSampler", Role::kSampler, "AJP protocol", "HTTP Request"},
    {"BoltSampler", Role::kSampler, "Neo4j Bolt protocol", ""},
    {"FTPSampler", Role::kSampler, "FTP protocol", ""},
    {"JDBCSampler", Role::kSampler, "JDBC database protocol", ""},
    {"JMSSampler", Role::kSampler, "JMS messaging", ""},
    {"JUnitSampler", Role::kSampler, "runs JUnit tests (Java code)", ""},
    {"JavaSampler", Role::kSampler, "runs Java code", ""},
    {"LDAPExtSampler", Role::kSampler, "LDAP protocol", ""},
    {"LDAPSampler", Role::kSampler, "LDAP protocol", ""},
    {"MailReaderSampler", Role::kSampler, "mail protocol (POP3/IMAP)", ""},
    {"PublisherSampler", Role::kSampler, "JMS messaging", ""},
    {"SmtpSampler", Role::kSampler, "mail protocol (SMTP)", ""},
    {"SoapSampler", Role::kSampler, "SOAP/XML-RPC sampler (deprecated in JMeter)", "HTTP Request with a raw POST body"},
    {"SubscriberSampler", Role::kSampler, "JMS messaging", ""},
    {"SystemSampler", Role::kSampler, "runs operating system commands", ""},
    {"TCPSampler", Role::kSampler, "raw TCP protocol", ""},
    {"WebServiceSampler", Role::kSampler, "SOAP sampler (removed from JMeter)", "HTTP Request with a raw POST body"},
    {"JDBCDataSource", Role::kConfig, "JDBC database connection", ""},
    {"JavaConfig", Role::kConfig, "configures the Java Request sampler", ""},
    {"SimpleConfig", Role::kConfig, "generic configuration of Java elements", ""},
    {"TCPConfig", Role::kConfig, "configures the TCP sampler", ""},
    {"FtpConfig", Role::kConfig, "configures the FTP sampler", ""},
    {"JDBCPreProcessor", Role::kPreProcessor, "JDBC database query", ""},
    {"RegExUserParameters", Role::kPreProcessor, "not implemented yet", "User Parameters"},
    {"SampleTimeout", Role::kPreProcessor, "not implemented yet", "the HTTP Request's response timeout"},
    {"UserParameterModifier", Role::kPreProcessor, "reads users from an XML file (deprecated in JMeter)",
     "User Parameters or a CSV Data Set"},
    {"JDBCPostProcessor", Role::kPostProcessor, "JDBC database query", ""},
    {"JMESPathExtractor", Role::kPostProcessor, "not implemented yet", "JSON Extractor (JSONPath)"},
    {"SMIMEAssertion", Role::kAssertion, "mail (S/MIME) assertion", ""},
    {"XPath2Assertion", Role::kAssertion, "not implemented yet", "Response Assertion"},
    {"MailerModel", Role::kListener, "sends mail during the run", ""},
    {"kg.apc.jmeter.reporters.AutoStop", Role::kListener, "stops the test on response-time or error criteria",
     "barrage run --threshold with --abort-on-fail"},
    {"com.googlecode.jmeter.plugins.webdriver.sampler.WebDriverSampler", Role::kSampler,
     "drives a real browser (WebDriver)", ""},
};

// Listeners and non-test elements that never change the load: JMeter itself does not run
// the GUI-only ones headless, and Barrage records and reports results itself.
struct IgnoredEntry {
  std::string_view testclass;
  Role role;
  const char* reason;
};

constexpr char kRecordedByBarrage[] = "listener: results are recorded by barrage";

constexpr IgnoredEntry kIgnored[] = {
    {"ResultCollector", Role::kListener, kRecordedByBarrage},
    {"Summariser", Role::kListener, "listener: barrage prints its own summary lines"},
    {"BackendListener", Role::kListener,
     "listener: the InfluxDB and Graphite clients send from the controller; other clients are ignored"},
    {"ResultSaver", Role::kListener, "listener: responses are not saved to files"},
    {"MailerResultCollector", Role::kListener, "listener: no mail is sent"},
    {"DebugPostProcessor", Role::kPostProcessor, "debug: its sub-sample only feeds GUI listeners"},
    {"kg.apc.jmeter.reporters.FlexibleFileWriter", Role::kListener, "listener: its file is not written"},
    {"kg.apc.jmeter.reporters.LoadosophiaUploader", Role::kListener, "listener: results are not uploaded"},
    {"kg.apc.jmeter.reporters.ConsoleStatusLogger", Role::kListener, "listener: barrage prints its own progress"},
    {"kg.apc.jmeter.listener.GraphsGeneratorListener", Role::kListener,
     "listener: graphs come from barrage report --html"},
    {"com.github.johrstrom.listener.PrometheusListener", Role::kListener,
     "listener: results are recorded by barrage, not exported to Prometheus"},
    {"WorkBench", Role::kNonTest, "GUI only: the WorkBench is not part of the test"},
    {"ProxyControl", Role::kNonTest, "GUI only: the HTTP(S) Test Script Recorder"},
    {"HttpMirrorControl", Role::kNonTest, "GUI only: the HTTP Mirror Server"},
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view LastSegment(std::string_view cls) {
  size_t dot = cls.rfind('.');
  return dot == std::string_view::npos ? cls : cls.substr(dot + 1);
}

// Names a plugin's role from its class names, the way JMeter's own classes are named.
Role GuessRole(std::string_view testclass, std::string_view guiclass) {
  std::string_view cls = LastSegment(testclass);
  std::string_view gui = LastSegment(guiclass);
  if (EndsWith(cls, "ThreadGroup")) return Role::kThreadGroup;
  if (EndsWith(cls, "Collector") || EndsWith(cls, "Listener") || EndsWith(cls, "Visualizer")) {
    return Role::kListener;
  }
  if (EndsWith(cls, "Sampler") || EndsWith(gui, "SamplerGui") || EndsWith(gui, "SamplerGUI")) {
    return Role::kSampler;
  }
  if (EndsWith(cls, "Controller") || EndsWith(cls, "Control")) return Role::kController;
  if (EndsWith(cls, "Timer")) return Role::kTimer;
  if (EndsWith(cls, "Assertion")) return Role::kAssertion;
  if (EndsWith(cls, "PreProcessor") || EndsWith(cls, "Modifier")) return Role::kPreProcessor;
  if (EndsWith(cls, "PostProcessor") || EndsWith(cls, "Extractor")) return Role::kPostProcessor;
  if (EndsWith(cls, "Config") || EndsWith(cls, "Manager") || EndsWith(cls, "DataSet") || EndsWith(cls, "DataSource")) {
    return Role::kConfig;
  }
  return Role::kUnknown;
}

Role RoleOf(ElementKind kind) {
  switch (CategoryOf(kind)) {
    case Category::kTestPlan: return Role::kTestPlan;
    case Category::kThreadGroup: return Role::kThreadGroup;
    case Category::kSampler: return Role::kSampler;
    case Category::kController: return Role::kController;
    case Category::kConfig: return Role::kConfig;
    case Category::kTimer: return Role::kTimer;
    case Category::kPreProcessor: return Role::kPreProcessor;
    case Category::kPostProcessor: return Role::kPostProcessor;
    case Category::kAssertion: return Role::kAssertion;
    case Category::kListener: return Role::kListener;
  }
  return Role::kUnknown;
}

}  // namespace

ElementKind ThreadGroupPhase(ElementKind kind) {
  switch (kind) {
    case ElementKind::kSetupThreadGroup:
    case ElementKind::kPostThreadGroup: return kind;
    default: return ElementKind::kThreadGroup;
  }
}

const char* KindName(ElementKind kind) {
  for (const KindEntry& e : kKinds) {
    if (e.kind == kind) return e.name;
  }
  return "unknown";
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kTestPlan: return "test_plan";
    case Role::kThreadGroup: return "thread_group";
    case Role::kSampler: return "sampler";
    case Role::kController: return "controller";
    case Role::kConfig: return "config";
    case Role::kTimer: return "timer";
    case Role::kPreProcessor: return "pre_processor";
    case Role::kPostProcessor: return "post_processor";
    case Role::kAssertion: return "assertion";
    case Role::kListener: return "listener";
    case Role::kNonTest: return "non_test";
    case Role::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* SeverityName(Problem::Severity severity) {
  switch (severity) {
    case Problem::Severity::kError: return "error";
    case Problem::Severity::kWarning: return "warning";
    case Problem::Severity::kInfo: return "info";
  }
  return "error";
}

ElementClass ClassifyElement(const TestElement& element) {
  ElementClass out;
  std::string_view cls = element.testclass;
  // Core classes may be written fully qualified instead of by their saveservice alias.
  if (cls.rfind("org.apache.jmeter.", 0) == 0) cls = LastSegment(cls);
  out.testclass = std::string(cls);
  if (const KindEntry* k = FindKind(cls)) {
    out.role = RoleOf(k->kind);
    out.supported = true;
    out.kind = k->kind;
    return out;
  }
  for (const IgnoredEntry& e : kIgnored) {
    if (e.testclass == cls) {
      out.role = e.role;
      out.supported = true;
      out.ignored = true;
      out.reason = e.reason;
      return out;
    }
  }
  for (const UnsupportedEntry& e : kKnownUnsupported) {
    if (e.testclass == cls) {
      out.role = e.role;
      out.reason = e.reason;
      out.alternative = e.alternative;
      return out;
    }
  }
  out.role = GuessRole(cls, element.guiclass);
  // Plugin listeners that only draw or write results (kg.apc ...ResultCollector and the
  // *Collector monitors) are ignored like JMeter's own; script listeners are not.
  if (out.role == Role::kListener && EndsWith(cls, "Collector")) {
    out.supported = true;
    out.ignored = true;
    out.reason = kRecordedByBarrage;
  } else {
    out.reason = out.role == Role::kUnknown ? "unknown element (a plugin barrage does not know)"
                                            : "plugin element barrage does not implement";
  }
  return out;
}

std::vector<ElementTableRow> ElementTable() {
  std::vector<ElementTableRow> out;
  for (const KindEntry& e : kKinds) {
    out.push_back({std::string(e.testclass), RoleOf(e.kind), ElementTableRow::Status::kSupported, e.name, ""});
  }
  for (const IgnoredEntry& e : kIgnored) {
    out.push_back({std::string(e.testclass), e.role, ElementTableRow::Status::kIgnored, e.reason, ""});
  }
  for (const UnsupportedEntry& e : kKnownUnsupported) {
    out.push_back({std::string(e.testclass), e.role, ElementTableRow::Status::kUnsupported, e.reason, e.alternative});
  }
  return out;
}

Value Value::Of(std::string text) {
  Value v;
  // Also kept when the parse is literal: escapes (\${x}) make it differ from the text.
  if (text.find("${") != std::string::npos) v.parsed = std::make_shared<Template>(ParseTemplate(text));
  v.text = std::move(text);
  return v;
}

bool Plan::has_errors() const {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == Problem::Severity::kError; });
}

std::vector<const ThreadGroup*> Plan::thread_groups() const {
  std::vector<const ThreadGroup*> out;
  if (!root) return out;
  for (const auto& child : root->children) {
    if (child->category() == Category::kThreadGroup) out.push_back(&child->As<ThreadGroup>());
  }
  return out;
}

namespace {

template <typename NodeT, typename CsvT>
void AppendCsvDataSets(NodeT& node, std::vector<CsvT*>* out) {
  for (const auto& e : node.elements) {
    if (e->kind == ElementKind::kCsvDataSet || e->kind == ElementKind::kRandomCsvDataSet)
      out->push_back(static_cast<CsvT*>(e.get()));
  }
  for (const auto& c : node.children) AppendCsvDataSets<NodeT>(*c, out);
}

}  // namespace

std::vector<const CsvDataSet*> CsvDataSetsUnder(const Node& node) {
  std::vector<const CsvDataSet*> out;
  AppendCsvDataSets(node, &out);
  return out;
}

std::vector<CsvDataSet*> CsvDataSetsUnder(Node& node) {
  std::vector<CsvDataSet*> out;
  AppendCsvDataSets(node, &out);
  return out;
}

// ---------------------------------------------------------------------------------------
// Helpers every element compiler uses (element_compiler.h).

Value V(const TestElement& e, std::string_view name, std::string_view def) { return Value::Of(e.GetString(name, def)); }

Value V(const Property& p, std::string_view name, std::string_view def) { return Value::Of(p.GetString(name, def)); }

// The elementProp members of a collectionProp (skipping anything else).
std::vector<const Property*> ElementItems(const Property* collection) {
  std::vector<const Property*> out;
  if (!collection) return out;
  for (const Property& item : collection->items) {
    if (item.type == PropertyType::kElement) out.push_back(&item);
  }
  return out;
}

std::vector<Argument> ReadArguments(const Property* arguments_element) {
  std::vector<Argument> out;
  if (!arguments_element) return out;
  for (const Property* a : ElementItems(arguments_element->Find("Arguments.arguments"))) {
    Argument arg;
    arg.name = V(*a, "Argument.name", a->name);
    arg.value = V(*a, "Argument.value");
    arg.metadata = a->GetString("Argument.metadata", "=");
    arg.always_encode = a->GetBool("HTTPArgument.always_encode", false);
    arg.use_equals = a->GetBool("HTTPArgument.use_equals", true);
    arg.content_type = a->GetString("HTTPArgument.content_type");
    out.push_back(std::move(arg));
  }
  return out;
}

SampleScope ReadScope(const TestElement& e, const char* key) {
  std::string s = e.GetString(key, "parent");
  if (s == "children") return SampleScope::kChildren;
  if (s == "all") return SampleScope::kAll;
  if (s == "variable") return SampleScope::kVariable;
  return SampleScope::kParent;
}

std::string DescribeElement(const TestElement& e) { return ClassifyElement(e).testclass + " '" + e.testname + "'"; }

void CheckWholeNumber(const Value& v, const TestElement& e, std::string_view prop, bool allow_empty, CompileLog& log) {
  if (v.dynamic()) return;
  if (v.text.empty() && allow_empty) return;
  if (!ParseInt64(v.text)) {
    log.Error(DescribeElement(e) + ": " + std::string(prop) + " '" + v.text + "' is not a whole number", e.line);
  }
}

void ReadOnSampleError(const TestElement& e, ThreadGroup* n, CompileLog& log) {
  std::string on_error = e.GetString("ThreadGroup.on_sample_error", "continue");
  if (on_error == "continue" || on_error.empty()) {
    n->on_sample_error = ThreadGroup::OnSampleError::kContinue;
  } else if (on_error == "startnextloop") {
    n->on_sample_error = ThreadGroup::OnSampleError::kStartNextLoop;
  } else if (on_error == "stopthread") {
    n->on_sample_error = ThreadGroup::OnSampleError::kStopThread;
  } else if (on_error == "stoptest") {
    n->on_sample_error = ThreadGroup::OnSampleError::kStopTest;
  } else if (on_error == "stoptestnow") {
    n->on_sample_error = ThreadGroup::OnSampleError::kStopTestNow;
  } else {
    log.Error(DescribeElement(e) + ": unknown ThreadGroup.on_sample_error '" + on_error + "'", e.line);
  }
}

void ReadThreadGroupBasics(const TestElement& e, ThreadGroup* n, CompileLog& log) {
  const Property* loop = e.Find("ThreadGroup.main_controller");
  n->loops = Value::Of(loop ? loop->GetString("LoopController.loops", "1") : "1");
  n->same_user_on_next_iteration = e.GetBool("ThreadGroup.same_user_on_next_iteration", true);
  ReadOnSampleError(e, n, log);
  CheckWholeNumber(n->loops, e, "LoopController.loops", false, log);
}

// ---------------------------------------------------------------------------------------
// The compiler.

namespace {

HttpFields ReadHttpFields(const TestElement& e) {
  HttpFields h;
  h.protocol = V(e, "HTTPSampler.protocol");
  h.domain = V(e, "HTTPSampler.domain");
  h.port = V(e, "HTTPSampler.port");
  h.path = V(e, "HTTPSampler.path");
  h.method = V(e, "HTTPSampler.method");
  h.content_encoding = V(e, "HTTPSampler.contentEncoding");
  h.connect_timeout = V(e, "HTTPSampler.connect_timeout");
  h.response_timeout = V(e, "HTTPSampler.response_timeout");
  h.ip_source = V(e, "HTTPSampler.ipSource");
  h.ip_source_type = static_cast<int>(e.GetInt("HTTPSampler.ipSourceType", 0).value_or(0));
  h.arguments = ReadArguments(e.Find("HTTPsampler.Arguments"));
  if (const Property* files = e.Find("HTTPsampler.Files")) {
    for (const Property* f : ElementItems(files->Find("HTTPFileArgs.files"))) {
      h.files.push_back({V(*f, "File.path", f->name), V(*f, "File.paramname"), V(*f, "File.mimetype")});
    }
  }
  h.post_body_raw = e.GetBool("HTTPSampler.postBodyRaw", false);
  h.has_follow_redirects = e.Find("HTTPSampler.follow_redirects") != nullptr;
  h.follow_redirects = e.GetBool("HTTPSampler.follow_redirects", true);
  h.auto_redirects = e.GetBool("HTTPSampler.auto_redirects", false);
  h.use_keepalive = e.GetBool("HTTPSampler.use_keepalive", true);
  h.do_multipart_post = e.GetBool("HTTPSampler.DO_MULTIPART_POST", false);
  h.browser_compatible_multipart = e.GetBool("HTTPSampler.BROWSER_COMPATIBLE_MULTIPART", false);
  h.image_parser = e.GetBool("HTTPSampler.image_parser", false);
  h.embedded_url_re = V(e, "HTTPSampler.embedded_url_re");
  h.implementation = e.GetString("HTTPSampler.implementation");
  return h;
}

// CSV Data Set share modes, by resource key and by the display names older JMeter GUIs
// wrote in their locale.
CsvDataSet::ShareMode ReadShareMode(std::string_view text, bool* known) {
  struct Entry {
    std::string_view text;
    CsvDataSet::ShareMode mode;
  };
  static constexpr Entry kModes[] = {
      {"shareMode.all", CsvDataSet::ShareMode::kAll},
      {"shareMode.group", CsvDataSet::ShareMode::kGroup},
      {"shareMode.thread", CsvDataSet::ShareMode::kThread},
      {"All threads", CsvDataSet::ShareMode::kAll},
      {"Current thread group", CsvDataSet::ShareMode::kGroup},
      {"Current thread", CsvDataSet::ShareMode::kThread},
      {"Alle Threads", CsvDataSet::ShareMode::kAll},
      {"Aktuelle Thread-Gruppe", CsvDataSet::ShareMode::kGroup},
      {"Aktueller Thread", CsvDataSet::ShareMode::kThread},
      {"Toutes les unités", CsvDataSet::ShareMode::kAll},
      {"Groupe d'unités courant", CsvDataSet::ShareMode::kGroup},
      {"Unité courante", CsvDataSet::ShareMode::kThread},
  };
  std::string_view t = TrimAscii(text);
  *known = true;
  if (t.empty()) return CsvDataSet::ShareMode::kAll;
  for (const Entry& e : kModes) {
    if (e.text == t) return e.mode;
  }
  // JMeter treats any other text as a sharing key of its own: every thread that uses the
  // same file with that key shares it, which is "all threads".
  *known = false;
  return CsvDataSet::ShareMode::kAll;
}

std::string CanonicalShareMode(CsvDataSet::ShareMode mode) {
  switch (mode) {
    case CsvDataSet::ShareMode::kAll: return "shareMode.all";
    case CsvDataSet::ShareMode::kGroup: return "shareMode.group";
    case CsvDataSet::ShareMode::kThread: return "shareMode.thread";
  }
  return "shareMode.all";
}

class Compiler final : public CompileLog {
 public:
  explicit Compiler(CompiledPlan* out) : out_(out), plan_(out->plan) {}

  void Run() {
    const TestElement* tp = plan_.tree.test_plan();
    if (!tp) {
      Error("no TestPlan element", 0);
      return;
    }
    if (!tp->enabled) Warning("the TestPlan is disabled; JMeter runs it anyway", tp->line);
    List(*tp);
    CompileTestPlan(*tp);
    NumberThreadGroups();
    plan_.result_files = ReadResultFiles(*tp, plan_.thread_groups(), *this);
    plan_.backend_listeners = ReadBackendListeners(*tp, plan_.thread_groups(), *this);
    ResolveScopes(plan_.root.get());
    for (auto& f : plan_.fragments) ResolveScopes(f.get());
    if (plan_.thread_groups().empty()) {
      Error("the plan has no enabled thread group Barrage can run, so it would send no request", tp->line);
    }
    AddFunctionFiles();
    for (const auto& [fn, line] : functions_) {
      if (!IsScriptFunction(fn) && !IsSupportedFunction(fn)) {
        Warning("function " + fn + " is not supported and stays unevaluated", line);
      }
    }
  }

  void Error(std::string msg, int line) override {
    plan_.problems.push_back({Problem::Severity::kError, std::move(msg), line});
  }
  void Warning(std::string msg, int line) override {
    plan_.problems.push_back({Problem::Severity::kWarning, std::move(msg), line});
  }

 private:
  static std::string Describe(const TestElement& e) { return DescribeElement(e); }

  // ---- Listing: every enabled element under the TestPlan, once, in document order. ----

  void ScanValues(const std::vector<Property>& props) {
    for (const Property& p : props) {
      if (p.value.find("${") != std::string::npos) {
        std::set<std::string> vars, fns;
        Template t = ParseTemplate(p.value);
        // JMeter refuses a plan that calls a function with the wrong number of arguments.
        if (Status s = CheckFunctionCalls(t); !s.ok()) Error(s.message(), p.line);
        CheckScriptCalls(t, p.line);
        CollectReferences(t, &vars, &fns);
        for (const std::string& v : vars) variables_.emplace(v, p.line);
        for (const std::string& f : fns) functions_.emplace(f, p.line);
        CollectFunctionFiles(t, &function_files_);
        function_file_lines_.resize(function_files_.size(), p.line);
      }
      ScanValues(p.items);
    }
  }

  // Script functions: __javaScript and __groovy run with the one-line evaluator when their
  // text is within its grammar (functions.h EvaluateScriptExpression), else on the script
  // host, as __BeanShell always does (the plan then needs the JVM: Plan::script_functions);
  // so do __jexl2 and __jexl3. __jexl (JEXL 1, gone since JMeter 3.0) and __jython have no
  // interpreter.
  void CheckScriptCalls(const Template& t, int line) {
    for (const TemplatePart& part : t.parts) {
      if (part.kind != TemplatePart::Kind::kFunction) continue;
      for (const Template& arg : part.args) CheckScriptCalls(arg, line);
      if (!IsScriptFunction(part.text)) continue;
      if (!part.args.empty()) NoteReadsPrevious(Evaluate(part.args[0], CheckContext()));
      if (part.text == "__BeanShell") {
        plan_.script_functions = true;
        continue;
      }
      bool evaluable =
          part.text == "__jexl2" || part.text == "__jexl3" || part.text == "__groovy" || part.text == "__javaScript";
      if (!evaluable) {
        Error("script function " + part.text + " is not supported (Barrage has no interpreter for it)", line);
        continue;
      }
      if (part.args.empty()) continue;
      CheckScript(Evaluate(part.args[0], CheckContext()));
    }
  }

  // A script that may read the previous sample (JMeter binds prev, SampleResult or
  // sampleResult to it, and ctx.getPreviousResult() returns it) needs the users' copy of it.
  void NoteReadsPrevious(const std::string& script) {
    for (std::string_view name : {"prev", "SampleResult", "sampleResult", "getPreviousResult"}) {
      if (script.find(name) != std::string::npos) plan_.script_functions_read_previous = true;
    }
  }

  // Marks the plan as needing the script host when `expression` is beyond the one-line
  // evaluator's grammar.
  void CheckScript(const std::string& expression) {
    // Variables are unknown before the run: check the grammar with a number in their place.
    std::string text;
    for (size_t i = 0; i < expression.size();) {
      size_t ref = expression.find("${", i);
      size_t end = ref == std::string::npos ? std::string::npos : expression.find('}', ref);
      if (end == std::string::npos) {
        text.append(expression, i, std::string::npos);
        break;
      }
      text.append(expression, i, ref - i);
      text += "0";
      i = end + 1;
    }
    Result<std::string> r = EvaluateScriptExpression(text, CheckContext());
    if (r.ok() || r.status().code() != Status::Code::kUnsupported) return;
    plan_.script_functions = true;  // the script host runs it
  }

  // Variables are unknown before the run: they stay as `${name}` in the checked text.
  ThreadContext& CheckContext() {
    if (!check_ctx_) {
      check_run_ = std::make_unique<RunContext>();
      check_ctx_ = std::make_unique<ThreadContext>();
      check_ctx_->run = check_run_.get();
    }
    return *check_ctx_;
  }

  void List(const TestElement& e) {
    ElementClass cls = ClassifyElement(e);
    out_->listing.push_back({cls, &e});
    if (cls.role == Role::kNonTest) return;  // WorkBench, recorder: their contents are not part of the test
    if (!cls.supported) plan_.unsupported.push_back({cls.testclass, e.testname, e.line, cls.reason, cls.alternative});
    if (!cls.ignored) ScanValues(e.properties);
    for (const TestElement& c : e.children) {
      if (c.enabled) List(c);
    }
  }

  // ---- Compilation. ----

  void CompileTestPlan(const TestElement& tp) {
    auto root = std::make_unique<TestPlanNode>(ElementKind::kTestPlan);
    Fill(root.get(), tp, nullptr);
    root->user_defined_variables = ReadArguments(tp.Find("TestPlan.user_defined_variables"));
    root->serialize_thread_groups = tp.GetBool("TestPlan.serialize_threadgroups", false);
    root->teardown_on_shutdown = tp.GetBool("TestPlan.tearDown_on_shutdown", true);
    root->functional_mode = tp.GetBool("TestPlan.functional_mode", false);
    for (const TestElement& c : tp.children) {
      if (!c.enabled) continue;
      ElementClass cls = ClassifyElement(c);
      if (cls.role == Role::kThreadGroup && cls.supported) {
        CompileChild(c, root.get());
      } else if (cls.testclass == "TestFragmentController") {
        auto fragment = std::make_unique<Node>(ElementKind::kSimpleController);
        Fill(fragment.get(), c, root.get());
        CompileChildren(c, fragment.get());
        plan_.fragments.push_back(std::move(fragment));
      } else if (cls.role == Role::kSampler || cls.role == Role::kController) {
        Warning(Describe(c) + " is outside any thread group, so it never runs", c.line);
      } else {
        CompileChild(c, root.get());
      }
    }
    plan_.root = std::move(root);
  }

  // JMeter numbers thread groups as it starts them (StandardJMeterEngine.run resets its
  // groupCount for each phase): setUp groups 1..n, regular groups 1..m, tearDown 1..k.
  void NumberThreadGroups() {
    for (ElementKind kind :
         {ElementKind::kSetupThreadGroup, ElementKind::kThreadGroup, ElementKind::kPostThreadGroup}) {
      int number = 0;
      for (auto& child : plan_.root->children) {
        if (child->category() == Category::kThreadGroup && ThreadGroupPhase(child->kind) == kind) {
          static_cast<ThreadGroup*>(child.get())->group_number = ++number;
        }
      }
    }
  }

  static void Fill(Node* n, const TestElement& e, const Node* parent) {
    n->name = e.testname;
    n->line = e.line;
    n->source = &e;
    n->parent = parent;
    if (n->category() == Category::kSampler) static_cast<Sampler*>(n)->label = Value::Of(e.testname);
  }

  void CompileChildren(const TestElement& e, Node* parent) {
    for (const TestElement& c : e.children) {
      if (c.enabled) CompileChild(c, parent);
    }
  }

  // Compiles `e` and attaches it to `parent` (as a runnable child or a scoped element).
  void CompileChild(const TestElement& e, Node* parent) {
    ElementClass cls = ClassifyElement(e);
    if (!cls.supported || cls.ignored) return;
    std::unique_ptr<Node> node = Make(cls.kind, e);
    if (!node) return;
    ++compiled_nodes_;
    Fill(node.get(), e, parent);
    Category cat = node->category();
    if (cat == Category::kThreadGroup) {
      if (parent->kind != ElementKind::kTestPlan) {
        Error(Describe(e) + " must be a direct child of the Test Plan", e.line);
        return;
      }
    }
    if (cat == Category::kSampler && parent->kind == ElementKind::kTestPlan) return;
    if (node->kind == ElementKind::kScriptSampler) AddScriptFile(node->As<ScriptSampler>().source, e.line);
    if (cat == Category::kSampler || cat == Category::kController || cat == Category::kThreadGroup) {
      // The Parallel Controller is a sampler that runs its children (ParallelSampler.addTestElement).
      if (parent->category() == Category::kSampler && parent->kind != ElementKind::kParallelSampler) {
        Warning(Describe(e) + " is under a sampler; JMeter never runs it there", e.line);
        return;
      }
      if (node->kind == ElementKind::kModuleController) {
        ExpandModule(static_cast<ModuleController*>(node.get()), e);
      } else {
        CompileChildren(e, node.get());
      }
      parent->children.push_back(std::move(node));
    } else {
      if (node->kind == ElementKind::kCsvDataSet || node->kind == ElementKind::kRandomCsvDataSet) {
        if (listed_csv_.insert(&e).second) AddDataFile(node->As<CsvDataSet>());
      }
      if (node->category() != Category::kSampler && IsScriptKind(node->kind)) {
        AddScriptFile(node->As<ScriptElement>().source, e.line);
      }
      parent->elements.push_back(std::move(node));
    }
  }

  void AddDataFile(const CsvDataSet& csv) {
    plan_.data_files.push_back({csv.filename.text, csv.variable_names.text, csv.source->GetString("delimiter", ","),
                                CanonicalShareMode(csv.share_mode), csv.line, ""});
  }

  // A script element's file is shipped to cluster workers like a data file (once).
  void AddScriptFile(const ScriptSource& src, int line) {
    if (src.filename.empty()) return;
    bool listed = std::any_of(plan_.data_files.begin(), plan_.data_files.end(),
                              [&](const DataFile& d) { return d.filename == src.filename.text; });
    if (!listed) plan_.data_files.push_back({src.filename.text, "", "", "", line, src.testclass});
  }

  // The files functions read (__CSVRead...), after the CSV Data Sets: shipped to cluster
  // workers like them. A file a CSV Data Set reads too is listed once, as the data set's.
  void AddFunctionFiles() {
    for (size_t i = 0; i < function_files_.size(); ++i) {
      FunctionFile& f = function_files_[i];
      bool listed = std::any_of(plan_.data_files.begin(), plan_.data_files.end(),
                                [&](const DataFile& d) { return d.filename == f.file; });
      if (!listed) plan_.data_files.push_back({std::move(f.file), "", "", "", function_file_lines_[i], f.function});
    }
  }

  // JMeter's ModuleController.traverse: path[0] is the GUI tree's root, path[1] the Test
  // Plan; then names downwards among enabled elements. The last match wins; a Module
  // Controller is never a target (real plans name a module after the controller it runs).
  const TestElement* FindModuleTarget(const std::vector<std::string>& path) {
    const TestElement* found = nullptr;
    std::function<void(const std::vector<TestElement>&, size_t)> walk = [&](const std::vector<TestElement>& level,
                                                                            size_t depth) {
      if (depth >= path.size()) return;
      for (const TestElement& c : level) {
        // Test Fragments are saved disabled (JMeter's default) yet stay module targets.
        bool usable = c.enabled || ClassifyElement(c).testclass == "TestFragmentController";
        if (!usable || c.testname != path[depth]) continue;
        if (depth + 1 == path.size() && ClassifyElement(c).testclass != "ModuleController") {
          found = &c;
        }
        walk(c.children, depth + 1);
      }
    };
    walk(plan_.tree.roots, 1);
    return found;
  }

  void ExpandModule(ModuleController* module, const TestElement& e) {
    std::string joined;
    for (const std::string& p : module->node_path) joined += (joined.empty() ? "" : " > ") + p;
    if (module->node_path.size() < 2) {
      Warning("Module Controller '" + e.testname + "' has no target selected and does nothing", e.line);
      return;
    }
    const TestElement* target = FindModuleTarget(module->node_path);
    if (!target) {
      Error("Module Controller '" + e.testname + "': target not found: " + joined, e.line);
      return;
    }
    ElementClass cls = ClassifyElement(*target);
    // JMeter accepts any Controller; the Parallel Controller is one (a sampler that runs children).
    bool runs_children = cls.role == Role::kController || cls.kind == ElementKind::kParallelSampler;
    if (!runs_children || !cls.supported) {
      Error("Module Controller '" + e.testname + "': target " + Describe(*target) + " is not a controller Barrage runs",
            e.line);
      return;
    }
    if (std::find(module_stack_.begin(), module_stack_.end(), target) != module_stack_.end() ||
        IsAncestorOrSelf(*target, e)) {
      Error("Module Controller '" + e.testname + "' includes itself through " + joined, e.line);
      return;
    }
    if (module_stack_.size() >= kMaxModuleDepth) {
      Error("Module Controller '" + e.testname + "': modules nested more than " + std::to_string(kMaxModuleDepth) +
                " deep",
            e.line);
      return;
    }
    if (compiled_nodes_ > kMaxCompiledNodes) {
      if (!budget_reported_) {
        Error("the plan expands to more than " + std::to_string(kMaxCompiledNodes) +
                  " elements through Module Controllers",
              e.line);
        budget_reported_ = true;
      }
      return;
    }
    // A disabled Test Fragment only runs through modules: list what it holds once.
    for (const TestElement* f = FragmentOf(*target); f && !f->enabled && listed_fragments_.insert(f).second;) {
      List(*f);
      break;
    }
    module->target = target;
    module_stack_.push_back(target);
    CompileChild(*target, module);
    module_stack_.pop_back();
  }

  // The Test Fragment under the Test Plan that holds `element` (or is it), or nullptr.
  const TestElement* FragmentOf(const TestElement& element) const {
    const TestElement* tp = plan_.tree.test_plan();
    if (!tp) return nullptr;
    for (const TestElement& c : tp->children) {
      if (ClassifyElement(c).testclass == "TestFragmentController" && IsAncestorOrSelf(c, element)) return &c;
    }
    return nullptr;
  }

  // Whether `element` lies inside `ancestor`'s subtree (or is it).
  static bool IsAncestorOrSelf(const TestElement& ancestor, const TestElement& element) {
    if (&ancestor == &element) return true;
    for (const TestElement& c : ancestor.children) {
      if (IsAncestorOrSelf(c, element)) return true;
    }
    return false;
  }

  // A literal that must be an integer (or a template, checked at run time).
  void CheckInteger(const Value& v, const TestElement& e, std::string_view prop, bool allow_empty) {
    CheckWholeNumber(v, e, prop, allow_empty, *this);
  }

  std::unique_ptr<Node> Make(ElementKind kind, const TestElement& e) {
    switch (kind) {
      case ElementKind::kTestPlan: return nullptr;
      case ElementKind::kThreadGroup:
      case ElementKind::kSetupThreadGroup:
      case ElementKind::kPostThreadGroup: return MakeThreadGroup(kind, e);
      case ElementKind::kConcurrencyThreadGroup:
      case ElementKind::kArrivalsThreadGroup:
      case ElementKind::kFreeFormArrivalsThreadGroup:
      case ElementKind::kOpenModelThreadGroup: {
        std::unique_ptr<DynamicThreadGroup> n = MakeArrivalsElement(kind, e, *this);
        ReadOnSampleError(e, n.get(), *this);
        return n;
      }
      case ElementKind::kUltimateThreadGroup:
      case ElementKind::kSteppingThreadGroup: return MakeModelThreadGroup(kind, e, *this);
      case ElementKind::kHttpSampler: {
        auto n = std::make_unique<HttpSampler>(kind);
        n->http = ReadHttpFields(e);
        n->testclass = ClassifyElement(e).testclass;
        ReadBzmHttp2Sampler(e, n.get(), *this);
        if (n->http.image_parser) {
          Warning(Describe(e) + ": embedded resources are not downloaded; the page request runs alone", e.line);
        }
        return n;
      }
      case ElementKind::kDebugSampler: {
        auto n = std::make_unique<DebugSampler>(kind);
        n->jmeter_properties = e.GetBool("displayJMeterProperties", false);
        n->jmeter_variables = e.GetBool("displayJMeterVariables", true);
        n->system_properties = e.GetBool("displaySystemProperties", false);
        return n;
      }
      case ElementKind::kTestAction: {
        auto n = std::make_unique<TestAction>(kind);
        auto action = e.GetInt("ActionProcessor.action", 1);
        auto target = e.GetInt("ActionProcessor.target", 0);
        if (!action || !target || *action < 0 || *action > 6 || *action == 4) {
          Error(Describe(e) + ": unknown action/target", e.line);
        } else {
          n->action = static_cast<TestAction::Action>(*action);
          n->target = static_cast<TestAction::Target>(*target);
        }
        n->duration_ms = V(e, "ActionProcessor.duration");
        return n;
      }
      case ElementKind::kSimpleController:
      case ElementKind::kOnceOnlyController:
      case ElementKind::kRandomController: return std::make_unique<Node>(kind);
      case ElementKind::kSwitchController:
      case ElementKind::kRandomOrderController:
      case ElementKind::kCriticalSectionController:
      case ElementKind::kResultAction: return MakeControllerElement(kind, e, *this);
      case ElementKind::kLoopController: {
        auto n = std::make_unique<LoopController>(kind);
        n->loops = V(e, "LoopController.loops", "1");
        n->continue_forever = e.GetBool("LoopController.continue_forever", false);
        CheckInteger(n->loops, e, "LoopController.loops", false);
        return n;
      }
      case ElementKind::kIfController: {
        auto n = std::make_unique<IfController>(kind);
        n->condition = V(e, "IfController.condition");
        n->use_expression = e.GetBool("IfController.useExpression", false);
        n->evaluate_all = e.GetBool("IfController.evaluateAll", false);
        // Without "interpret condition as variable expression" JMeter runs it as JavaScript.
        if (!n->use_expression) {
          CheckScript(Evaluate(n->condition, CheckContext()));
        }
        return n;
      }
      case ElementKind::kWhileController: {
        auto n = std::make_unique<WhileController>(kind);
        n->condition = V(e, "WhileController.condition");
        return n;
      }
      case ElementKind::kTransactionController: {
        auto n = std::make_unique<TransactionController>(kind);
        n->generate_parent_sample = e.GetBool("TransactionController.parent", false);
        // Absent (plans saved before JMeter 2.13's checkbox): JMeter includes timers.
        n->include_timers = e.GetBool("TransactionController.includeTimers", true);
        return n;
      }
      case ElementKind::kForeachController: {
        auto n = std::make_unique<ForeachController>(kind);
        n->input_prefix = V(e, "ForeachController.inputVal");
        n->output_variable = V(e, "ForeachController.returnVal");
        n->start_index = V(e, "ForeachController.startIndex");
        n->end_index = V(e, "ForeachController.endIndex");
        n->use_separator = e.GetBool("ForeachController.useSeparator", true);
        return n;
      }
      case ElementKind::kThroughputController: {
        auto n = std::make_unique<ThroughputController>(kind);
        auto style = e.GetInt("ThroughputController.style", 0);
        n->style = style && *style == 1 ? ThroughputController::Style::kPercentExecutions
                                        : ThroughputController::Style::kTotalExecutions;
        n->per_thread = e.GetBool("ThroughputController.perThread", true);
        n->max_throughput = V(e, "ThroughputController.maxThroughput", "1");
        n->percent_throughput = V(e, "ThroughputController.percentThroughput", "100");
        return n;
      }
      case ElementKind::kInterleaveController: {
        auto n = std::make_unique<InterleaveController>(kind);
        n->style = static_cast<int>(e.GetInt("InterleaveControl.style", 1).value_or(1));
        n->across_threads = e.GetBool("InterleaveControl.accrossThreads", false);
        return n;
      }
      case ElementKind::kRuntimeController: {
        auto n = std::make_unique<RuntimeController>(kind);
        n->seconds = V(e, "RunTime.seconds", "1");
        return n;
      }
      case ElementKind::kModuleController: {
        auto n = std::make_unique<ModuleController>(kind);
        if (const Property* path = e.Find("ModuleController.node_path")) {
          for (const Property& p : path->items) n->node_path.push_back(p.value);
        }
        return n;
      }
      case ElementKind::kConfigElement: {
        auto n = std::make_unique<ConfigElement>(kind);
        n->http = ReadHttpFields(e);
        return n;
      }
      case ElementKind::kHeaderManager: {
        auto n = std::make_unique<HeaderManager>(kind);
        for (const Property* h : ElementItems(e.Find("HeaderManager.headers"))) {
          n->headers.push_back({V(*h, "Header.name"), V(*h, "Header.value")});
        }
        return n;
      }
      case ElementKind::kCookieManager: {
        auto n = std::make_unique<CookieManager>(kind);
        n->clear_each_iteration = e.GetBool("CookieManager.clearEachIteration", false);
        n->controlled_by_thread_group = e.GetBool("CookieManager.controlledByThreadGroup", false);
        n->policy = e.GetString("CookieManager.policy", "standard");
        for (const Property* c : ElementItems(e.Find("CookieManager.cookies"))) {
          Cookie cookie;
          cookie.name = c->name;
          cookie.value = V(*c, "Cookie.value");
          cookie.domain = V(*c, "Cookie.domain");
          cookie.path = V(*c, "Cookie.path");
          cookie.secure = c->GetBool("Cookie.secure", false);
          cookie.expires = ParseInt64(c->GetString("Cookie.expires", "0")).value_or(0);
          n->cookies.push_back(std::move(cookie));
        }
        return n;
      }
      case ElementKind::kCsvDataSet: {
        auto n = std::make_unique<CsvDataSet>(kind);
        n->filename = V(e, "filename");
        n->file_encoding = e.GetString("fileEncoding");
        n->variable_names = V(e, "variableNames");
        std::string delim = e.GetString("delimiter", ",");
        n->delimiter = delim == "\\t" ? "\t" : delim;
        n->ignore_first_line = e.GetBool("ignoreFirstLine", false);
        n->quoted_data = e.GetBool("quotedData", false);
        n->recycle = e.GetBool("recycle", true);
        n->stop_thread = e.GetBool("stopThread", false);
        n->share_mode_text = e.GetString("shareMode", "shareMode.all");
        bool known = true;
        n->share_mode = ReadShareMode(n->share_mode_text, &known);
        if (!known) {
          Warning(Describe(e) + ": share mode '" + n->share_mode_text +
                      "' is a custom sharing key: threads using the same key share one reader",
                  e.line);
        }
        // JMeter runs such a plan: each read fails (FileNotFoundException on the plan's
        // folder), so the variables get the end-of-file value, or a data set reading its
        // names from the file stops the thread (worker/csv_data.h).
        if (n->filename.empty()) {
          Warning(Describe(e) + ": no filename: every iteration reads the end of file (as in JMeter)", e.line);
        }
        return n;
      }
      case ElementKind::kRandomCsvDataSet: return MakeDataElement(kind, e, *this);
      case ElementKind::kArguments: {
        auto n = std::make_unique<ArgumentsNode>(kind);
        for (const Property* a : ElementItems(e.Find("Arguments.arguments"))) {
          n->arguments.push_back({V(*a, "Argument.name", a->name), V(*a, "Argument.value"),
                                  a->GetString("Argument.metadata", "="), false, true, ""});
        }
        return n;
      }
      case ElementKind::kCounter: {
        auto n = std::make_unique<Counter>(kind);
        n->start = V(e, "CounterConfig.start");
        n->end = V(e, "CounterConfig.end");
        n->increment = V(e, "CounterConfig.incr");
        n->variable = V(e, "CounterConfig.name");
        n->format = V(e, "CounterConfig.format");
        n->per_user = e.GetBool("CounterConfig.per_user", false);
        n->reset_on_thread_group_iteration = e.GetBool("CounterConfig.reset_on_tg_iteration", false);
        return n;
      }
      case ElementKind::kRandomVariable: {
        auto n = std::make_unique<RandomVariable>(kind);
        n->variable = V(e, "variableName");
        n->output_format = V(e, "outputFormat");
        n->minimum = V(e, "minimumValue", "1");
        n->maximum = V(e, "maximumValue");
        n->seed = V(e, "randomSeed");
        n->per_thread = e.GetBool("perThread", false);
        return n;
      }
      case ElementKind::kConstantTimer:
      case ElementKind::kUniformRandomTimer:
      case ElementKind::kGaussianRandomTimer:
      case ElementKind::kPoissonRandomTimer: {
        auto n = std::make_unique<Timer>(kind);
        n->delay_ms = V(e, "ConstantTimer.delay", kind == ElementKind::kConstantTimer ? "300" : "0");
        n->range_ms = V(e, "RandomTimer.range", kind == ElementKind::kUniformRandomTimer ? "100.0" : "100");
        return n;
      }
      case ElementKind::kPreciseThroughputTimer:
      case ElementKind::kThroughputShapingTimer: return MakeModelTimer(kind, e, *this);
      case ElementKind::kConstantThroughputTimer: {
        auto n = std::make_unique<ConstantThroughputTimer>(kind);
        n->throughput_per_minute = V(e, "throughput", "0.0");
        n->calc_mode = static_cast<int>(e.GetInt("calcMode", 0).value_or(0));
        return n;
      }
      case ElementKind::kUserParameters: {
        auto n = std::make_unique<UserParameters>(kind);
        if (const Property* names = e.Find("UserParameters.names")) {
          for (const Property& p : names->items) n->names.push_back(p.value);
        }
        if (const Property* values = e.Find("UserParameters.thread_values")) {
          for (const Property& user : values->items) {
            std::vector<Value> row;
            for (const Property& p : user.items) row.push_back(Value::Of(p.value));
            n->thread_values.push_back(std::move(row));
          }
        }
        n->per_iteration = e.GetBool("UserParameters.per_iteration", false);
        return n;
      }
      case ElementKind::kRegexExtractor: {
        auto n = std::make_unique<RegexExtractor>(kind);
        n->use_field = e.GetString("RegexExtractor.useHeaders", "false");
        n->reference_name = V(e, "RegexExtractor.refname");
        n->regex = V(e, "RegexExtractor.regex");
        n->template_ = V(e, "RegexExtractor.template");
        n->default_value = V(e, "RegexExtractor.default");
        n->match_number = V(e, "RegexExtractor.match_number");
        n->default_empty_value = e.GetBool("RegexExtractor.default_empty_value", false);
        n->scope = ReadScope(e);
        n->scope_variable = V(e, "Scope.variable");
        return n;
      }
      case ElementKind::kJsonExtractor: {
        auto n = std::make_unique<JsonExtractor>(kind);
        n->reference_names = V(e, "JSONPostProcessor.referenceNames");
        n->json_path_exprs = V(e, "JSONPostProcessor.jsonPathExprs");
        n->match_numbers = V(e, "JSONPostProcessor.match_numbers");
        n->default_values = V(e, "JSONPostProcessor.defaultValues");
        n->compute_concat = e.GetBool("JSONPostProcessor.compute_concat", false);
        n->scope = ReadScope(e);
        n->scope_variable = V(e, "Scope.variable");
        return n;
      }
      case ElementKind::kBoundaryExtractor: {
        auto n = std::make_unique<BoundaryExtractor>(kind);
        n->use_field = e.GetString("BoundaryExtractor.useHeaders", "false");
        n->reference_name = V(e, "BoundaryExtractor.refname");
        n->left_boundary = V(e, "BoundaryExtractor.lboundary");
        n->right_boundary = V(e, "BoundaryExtractor.rboundary");
        n->default_value = V(e, "BoundaryExtractor.default");
        n->match_number = V(e, "BoundaryExtractor.match_number");
        n->default_empty_value = e.GetBool("BoundaryExtractor.default_empty_value", false);
        n->scope = ReadScope(e);
        n->scope_variable = V(e, "Scope.variable");
        return n;
      }
      case ElementKind::kResponseAssertion: {
        auto n = std::make_unique<ResponseAssertion>(kind);
        n->test_field = e.GetString("Assertion.test_field", "Assertion.response_data");
        n->test_type = static_cast<int>(
            e.GetInt("Assertion.test_type", ResponseAssertion::kContains).value_or(ResponseAssertion::kContains));
        // "Asserion" is JMeter's own spelling of the key.
        if (const Property* strings = e.Find("Asserion.test_strings")) {
          for (const Property& p : strings->items) n->test_strings.push_back(Value::Of(p.value));
        }
        n->assume_success = e.GetBool("Assertion.assume_success", false);
        n->custom_message = V(e, "Assertion.custom_message");
        n->scope = ReadScope(e, "Assertion.scope");
        n->scope_variable = V(e, "Scope.variable");
        return n;
      }
      case ElementKind::kDurationAssertion: {
        auto n = std::make_unique<DurationAssertion>(kind);
        n->duration_ms = V(e, "DurationAssertion.duration");
        n->scope = ReadScope(e, "Assertion.scope");
        return n;
      }
      case ElementKind::kSizeAssertion: {
        auto n = std::make_unique<SizeAssertion>(kind);
        n->size = V(e, "SizeAssertion.size");
        n->op = static_cast<int>(e.GetInt("SizeAssertion.operator", 3).value_or(3));
        n->test_field = e.GetString("Assertion.test_field", "SizeAssertion.response_network_size");
        n->scope = ReadScope(e, "Assertion.scope");
        n->scope_variable = V(e, "Scope.variable");
        return n;
      }
      case ElementKind::kAuthManager:
      case ElementKind::kCacheManager:
      case ElementKind::kDnsCacheManager:
      case ElementKind::kUrlRewritingModifier: return MakeHttpConfigElement(kind, e, *this);
      case ElementKind::kKeystoreConfig: return MakeTlsElement(kind, e, *this);
      case ElementKind::kJsonPluginExtractor:
      case ElementKind::kJsonPluginAssertion:
      case ElementKind::kDummySampler: return MakePluginElement(kind, e, *this);
      case ElementKind::kParallelSampler: return MakeParallelElement(kind, e, *this);
      case ElementKind::kFifoPut:
      case ElementKind::kFifoPop:
      case ElementKind::kSyncTimer: return MakeSyncElement(kind, e, *this);
      case ElementKind::kAnchorModifier:
      case ElementKind::kParamModifier:
      case ElementKind::kCompareAssertion: return MakeHtmlModifierElement(kind, e, *this);
      case ElementKind::kJsonPathAssertion: return ReadJsonPathAssertion(kind, e);
      case ElementKind::kScriptSampler:
      case ElementKind::kScriptPreProcessor:
      case ElementKind::kScriptPostProcessor:
      case ElementKind::kScriptAssertion:
      case ElementKind::kScriptTimer:
      case ElementKind::kScriptListener: return MakeScriptElement(kind, e, *this);
      case ElementKind::kXPathExtractor:
      case ElementKind::kXPath2Extractor:
      case ElementKind::kXPathAssertion:
      case ElementKind::kHtmlExtractor:
      case ElementKind::kMd5HexAssertion:
      case ElementKind::kXmlAssertion:
      case ElementKind::kXmlSchemaAssertion:
      case ElementKind::kHtmlAssertion: return MakeXmlElement(kind, e, *this);
    }
    return nullptr;
  }

  std::unique_ptr<Node> MakeThreadGroup(ElementKind kind, const TestElement& e) {
    auto n = std::make_unique<ThreadGroup>(kind);
    n->num_threads = V(e, "ThreadGroup.num_threads", "1");
    n->ramp_time = V(e, "ThreadGroup.ramp_time", "1");
    ReadThreadGroupBasics(e, n.get(), *this);
    n->scheduler = e.GetBool("ThreadGroup.scheduler", false);
    n->duration = V(e, "ThreadGroup.duration");
    n->delay = V(e, "ThreadGroup.delay");
    n->delayed_start = e.GetBool("ThreadGroup.delayedStart", false);
    CheckInteger(n->num_threads, e, "ThreadGroup.num_threads", false);
    CheckInteger(n->ramp_time, e, "ThreadGroup.ramp_time", true);
    if (n->scheduler) {
      CheckInteger(n->duration, e, "ThreadGroup.duration", true);
      CheckInteger(n->delay, e, "ThreadGroup.delay", true);
    }
    if (!n->num_threads.dynamic()) {
      if (auto v = ParseInt64(n->num_threads.text); v && *v < 0) {
        Error(Describe(e) + ": ThreadGroup.num_threads must not be negative", e.line);
      }
    }
    return n;
  }

  // For each sampler, the scoped elements of itself and of every ancestor, in JMeter's
  // order (TestCompiler.saveSamplerConfigs): configs and timers innermost first; pre-,
  // post-processors and assertions outermost first, plan order within one level.
  void ResolveScopes(Node* node) {
    if (!node) return;
    for (auto& child : node->children) ResolveScopes(child.get());
    if (node->kind == ElementKind::kTransactionController) {
      // The parent sample is checked by the assertions in the controller's own scope
      // (TestCompiler.saveTransactionControllerConfigs), outermost first; its listeners hear it.
      auto* tc = static_cast<TransactionController*>(node);
      for (const Node* level = node; level; level = level->parent) {
        std::vector<const Node*> assertions, listeners;
        for (const auto& e : level->elements) {
          if (e->category() == Category::kAssertion) assertions.push_back(e.get());
          if (e->category() == Category::kListener) listeners.push_back(e.get());
        }
        tc->assertions.insert(tc->assertions.begin(), assertions.begin(), assertions.end());
        tc->listeners.insert(tc->listeners.begin(), listeners.begin(), listeners.end());
      }
    }
    if (node->category() != Category::kSampler) return;
    Scope& scope = static_cast<Sampler*>(node)->scope;
    for (const Node* level = node; level; level = level->parent) {
      std::vector<const Node*> pre, post, assertions, listeners;
      for (const auto& e : level->elements) {
        switch (e->category()) {
          case Category::kConfig: scope.configs.push_back(e.get()); break;
          case Category::kTimer: scope.timers.push_back(e.get()); break;
          case Category::kPreProcessor: pre.push_back(e.get()); break;
          case Category::kPostProcessor: post.push_back(e.get()); break;
          case Category::kAssertion: assertions.push_back(e.get()); break;
          case Category::kListener: listeners.push_back(e.get()); break;
          default: break;
        }
      }
      scope.pre_processors.insert(scope.pre_processors.begin(), pre.begin(), pre.end());
      scope.post_processors.insert(scope.post_processors.begin(), post.begin(), post.end());
      scope.assertions.insert(scope.assertions.begin(), assertions.begin(), assertions.end());
      scope.listeners.insert(scope.listeners.begin(), listeners.begin(), listeners.end());
      if (level != node && level->category() == Category::kController) {
        scope.controllers.push_back(level);
      }
    }
  }

  CompiledPlan* out_;
  Plan& plan_;
  std::vector<const TestElement*> module_stack_;
  std::unordered_set<const TestElement*> listed_csv_;
  std::vector<FunctionFile> function_files_;  // listed in document order, with their lines
  std::vector<int> function_file_lines_;
  // Bounds on Module Controller expansion (each module compiles its target again).
  static constexpr size_t kMaxModuleDepth = 32;
  static constexpr size_t kMaxCompiledNodes = 200000;
  size_t compiled_nodes_ = 0;
  bool budget_reported_ = false;
  std::unordered_set<const TestElement*> listed_fragments_;
  std::unique_ptr<RunContext> check_run_;
  std::unique_ptr<ThreadContext> check_ctx_;
  std::map<std::string, int> variables_;  // name -> first line using it
  std::map<std::string, int> functions_;

 public:
  const std::map<std::string, int>& variables() const { return variables_; }
  const std::map<std::string, int>& functions() const { return functions_; }
};

}  // namespace

CompiledPlan CompilePlan(HashTree tree) {
  CompiledPlan out;
  out.plan.tree = std::move(tree);
  Compiler compiler(&out);
  compiler.Run();
  for (const auto& [name, line] : compiler.variables()) out.variables.push_back(name);
  for (const auto& [name, line] : compiler.functions()) out.functions.push_back(name);
  return out;
}

}  // namespace barrage
