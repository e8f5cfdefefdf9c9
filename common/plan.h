// The compiled plan: typed nodes for the elements Barrage runs, with JMeter's scoping
// resolved. Built by CompilePlan (plan_compiler.h) from a HashTree; read-only afterwards
// and safe to share between event-loop threads.
//
// Shape: Plan::root is the TestPlan node. Every node that can hold runnable children
// (TestPlan, thread groups, controllers) lists them in `children` (controllers and
// samplers, in plan order). Scoped elements (config elements, timers, pre/post-processors,
// assertions) are owned by the node they are declared under (`elements`), and each Sampler
// has a resolved Scope listing the ones that apply to it, in JMeter's order. A
// ModuleController's target is compiled again at the module's position (as JMeter replaces
// the module by a copy of its target), so the copy gets the scope of its new place.
//
// Values that hold `${...}` stay templates (Value) and are evaluated per virtual user at
// run time; literal numbers are checked at compile time and reported as problems.
#ifndef BARRAGE_COMMON_PLAN_H_
#define BARRAGE_COMMON_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/hash_tree.h"
#include "common/jtl_columns.h"
#include "common/template.h"

namespace barrage {

// A property value as written in the plan: a literal or a `${...}` template, parsed once
// at compile time (Value::Of) so virtual users only evaluate it.
struct Value {
  std::string text;
  std::shared_ptr<const Template> parsed;  // set when `text` holds a reference

  static Value Of(std::string text);
  bool dynamic() const { return text.find("${") != std::string::npos; }
  bool empty() const { return text.empty(); }
};

enum class ElementKind {
  kTestPlan,
  // Thread groups.
  kThreadGroup,
  kSetupThreadGroup,
  kPostThreadGroup,
  // Samplers.
  kHttpSampler,
  kDebugSampler,
  kTestAction,
  // Controllers. kSimpleController covers GenericController, RecordingController and
  // TestFragmentController (same run-time behaviour).
  kSimpleController,
  kLoopController,
  kIfController,
  kWhileController,
  kTransactionController,
  kOnceOnlyController,
  kForeachController,
  kThroughputController,
  kRandomController,
  kInterleaveController,
  kRuntimeController,
  kModuleController,
  // Config elements.
  kConfigElement,
  kHeaderManager,
  kCookieManager,
  kCsvDataSet,
  kArguments,
  kCounter,
  kRandomVariable,
  // Timers.
  kConstantTimer,
  kUniformRandomTimer,
  kGaussianRandomTimer,
  kConstantThroughputTimer,
  // Pre-processors.
  kUserParameters,
  // Post-processors.
  kRegexExtractor,
  kJsonExtractor,
  kBoundaryExtractor,
  // Assertions.
  kResponseAssertion,
  kDurationAssertion,
  kSizeAssertion,
  kJsonPathAssertion,
  // ---- Controllers and Result Status Action Handler (issue 10) ----
  kSwitchController,
  kRandomOrderController,
  kCriticalSectionController,
  kResultAction,  // post-processor
  // ---- HTTP configuration (issue 10) ----
  kAuthManager,
  kCacheManager,
  kDnsCacheManager,
  kUrlRewritingModifier,
  // ---- XML and HTML (issue 10) ----
  kXPathExtractor,
  kXPath2Extractor,
  kXPathAssertion,
  kHtmlExtractor,
  kMd5HexAssertion,
  kXmlAssertion,
  kXmlSchemaAssertion,
  kHtmlAssertion,
  // ---- jmeter-plugins (issue 10) ----
  kJsonPluginExtractor,
  kJsonPluginAssertion,
  kDummySampler,
  // ---- bzm Parallel Controller (issue 10) ----
  kParallelSampler,
  // ---- Inter-user waits: Fifo Put/Pop, Synchronizing Timer (issue 10) ----
  kFifoPut,    // post-processor
  kFifoPop,    // pre-processor
  kSyncTimer,  // timer
  // ---- TLS client certificates (issue 10) ----
  kKeystoreConfig,
  // ---- HTML modifiers and Compare Assertion (issue 10) ----
  kAnchorModifier,  // pre-processor
  kParamModifier,   // pre-processor
  kCompareAssertion,
  // ---- Random CSV Data Set (issue 10): a CsvDataSet node (see its random_* fields) ----
  kRandomCsvDataSet,
  // ---- Scripts: JSR223, BeanShell and BSF elements (issue 11) ----
  kScriptSampler,
  kScriptPreProcessor,
  kScriptPostProcessor,
  kScriptAssertion,
  kScriptTimer,
  kScriptListener,  // JSR223/BeanShell/BSF Listener: a script run on every sample in its scope
  // ---- Dynamic thread groups (issue 12): a DynamicThreadGroup node, run in the regular phase ----
  kConcurrencyThreadGroup,       // bzm - Concurrency Thread Group
  kArrivalsThreadGroup,          // bzm - Arrivals Thread Group
  kFreeFormArrivalsThreadGroup,  // bzm - Free-Form Arrivals Thread Group
  kOpenModelThreadGroup,         // JMeter 5.5's Open Model Thread Group
  // ---- Static thread-group models (issue 12): ModelThreadGroup nodes, regular phase ----
  kUltimateThreadGroup,
  kSteppingThreadGroup,
  // ---- Timers with a rate (issue 12): Poisson Random Timer (a Timer node), Precise
  // Throughput Timer ----
  kPoissonRandomTimer,
  kPreciseThroughputTimer,
  kThroughputShapingTimer,  // jmeter-plugins kg.apc.jmeter.timers.VariableThroughputTimer
};

enum class Category {
  kTestPlan,
  kThreadGroup,
  kSampler,
  kController,
  kConfig,
  kTimer,
  kPreProcessor,
  kPostProcessor,
  kAssertion,
  kListener,  // script listeners (the other listeners are not compiled: ignored or result files)
};

Category CategoryOf(ElementKind kind);
// Short stable name used in `inspect` output ("http", "thread_group", "loop", ...).
const char* KindName(ElementKind kind);

struct Node {
  ElementKind kind;
  std::string name;  // testname
  int line = 0;
  const TestElement* source = nullptr;  // the element in Plan::tree it was compiled from
  const Node* parent = nullptr;
  std::vector<std::unique_ptr<Node>> elements;  // scoped elements declared under this node
  std::vector<std::unique_ptr<Node>> children;  // runnable children (controllers, samplers)

  explicit Node(ElementKind k) : kind(k) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Category category() const { return CategoryOf(kind); }
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }
};

// ---------------------------------------------------------------------------------------
// Shared pieces.

// One name/value pair of an Arguments list (UDV, HTTP parameters).
struct Argument {
  Value name;
  Value value;
  std::string metadata = "=";  // "=" normally
  bool always_encode = false;  // HTTPArgument.always_encode
  bool use_equals = true;      // HTTPArgument.use_equals
  std::string content_type;    // HTTPArgument.content_type (multipart)
};

struct FileArgument {
  Value path;
  Value param_name;
  Value mime_type;
};

// The HTTP request fields shared by HTTP samplers and HTTP Request Defaults
// (ConfigTestElement). Empty means "not set here" (defaults fill it in at run time).
struct HttpFields {
  Value protocol, domain, port, path, method, content_encoding;
  Value connect_timeout, response_timeout;
  // HTTPSampler.ipSource / ipSourceType: the local address to connect from (worker/source_address.h);
  // type 0 host, 1 interface, 2 its IPv4 address, 3 its IPv6 address.
  Value ip_source;
  int ip_source_type = 0;
  std::vector<Argument> arguments;
  std::vector<FileArgument> files;
  bool post_body_raw = false;         // arguments[0].value is the raw body
  bool has_follow_redirects = false;  // whether the flags below were written
  bool follow_redirects = true;
  bool auto_redirects = false;
  bool use_keepalive = true;
  bool do_multipart_post = false;
  bool browser_compatible_multipart = false;
  bool image_parser = false;  // "retrieve all embedded resources"
  Value embedded_url_re;
  std::string implementation;  // HttpClient4, Java, ... (informational)
};

// ---------------------------------------------------------------------------------------
// Resolved scope of one sampler (JMeter's TestCompiler.saveSamplerConfigs order).
struct Scope {
  std::vector<const Node*> configs;          // innermost first: inner values win merges
  std::vector<const Node*> pre_processors;   // outermost first, plan order within a level
  std::vector<const Node*> timers;           // innermost first (all apply, delays add up)
  std::vector<const Node*> post_processors;  // outermost first
  std::vector<const Node*> assertions;       // outermost first
  std::vector<const Node*> listeners;        // script listeners, outermost first
  std::vector<const Node*> controllers;      // enclosing controllers, innermost first
};

struct Sampler : Node {
  using Node::Node;
  Scope scope;
  Value label;  // the name as a template: a ${...} in it is evaluated at each sample
};

struct HttpSampler : Sampler {
  using Sampler::Sampler;
  HttpFields http;
  std::string testclass;  // HTTPSamplerProxy, HTTPSampler, HTTPSampler2, or a plugin's class
  // The BlazeMeter HTTP/2 plugin's samplers (plan_compiler_http2.cc) ask for HTTP/2 and record
  // its responses as the plugin does (worker/http2_mode.h); kNone for JMeter's HTTP Request.
  enum class Http2Plugin { kNone, kHttp2Request, kHttp2Sampler };
  Http2Plugin http2_plugin = Http2Plugin::kNone;
  bool http2_cleartext = true;  // http:// as h2c with prior knowledge (HTTP2Sampler.http1_upgrade off)
};

struct DebugSampler : Sampler {
  using Sampler::Sampler;
  bool jmeter_properties = false;
  bool jmeter_variables = true;
  bool system_properties = false;
};

// Flow Control Action (TestAction).
struct TestAction : Sampler {
  using Sampler::Sampler;
  enum class Action {
    kStopThread = 0,
    kPause = 1,
    kStopTestNow = 2,
    kRestartNextLoop = 3,
    kStartNextIterationOfCurrentLoop = 5,
    kBreakCurrentLoop = 6
  };
  enum class Target { kThread = 0, kAllThreads = 1 };
  Action action = Action::kPause;
  Target target = Target::kThread;
  Value duration_ms;
};

// ---------------------------------------------------------------------------------------
// Plan, thread groups, controllers.

struct TestPlanNode : Node {
  using Node::Node;
  std::vector<Argument> user_defined_variables;
  bool serialize_thread_groups = false;
  bool teardown_on_shutdown = true;
  bool functional_mode = false;
};

struct ThreadGroup : Node {
  using Node::Node;
  enum class OnSampleError { kContinue, kStartNextLoop, kStopThread, kStopTest, kStopTestNow };
  Value num_threads;
  Value ramp_time;
  Value loops;  // "-1" = forever
  bool scheduler = false;
  Value duration;  // seconds, used when scheduler
  Value delay;     // seconds, used when scheduler
  bool same_user_on_next_iteration = true;
  bool delayed_start = false;
  OnSampleError on_sample_error = OnSampleError::kContinue;
  int group_number = 0;  // 1-based within its phase (setUp, regular, tearDown), as JMeter
};

// The bzm plugins' Concurrency, Arrivals and Free-Form Arrivals Thread Groups
// (com.blazemeter.jmeter.threads.*) and JMeter 5.5's Open Model Thread Group (`open_schedule`,
// `random_seed`; common/open_model_schedule.h): users are created and reused while the run goes
// (worker/arrival_groups.h). `loops` is "1": each user's iteration ends at the thread
// group, where the group's schedule decides what it does next. Durations are in `unit`s.
struct DynamicThreadGroup : ThreadGroup {
  using ThreadGroup::ThreadGroup;
  struct Row {  // Free-Form schedule: the rate goes from `start` to `end` over `duration`
    Value start, end, duration;
  };
  Value target_level;       // TargetLevel: users (Concurrency) or arrivals per unit
  Value ramp_up;            // RampUp
  Value steps;              // Steps; empty: 0 (a linear ramp)
  Value hold;               // Hold
  Value iterations;         // Iterations: per user; empty: no limit
  Value concurrency_limit;  // ConcurrencyLimit (arrivals); empty: no limit
  bool minutes = false;     // Unit M; otherwise seconds
  std::vector<Row> schedule;
  Value open_schedule;  // OpenModelThreadGroup.schedule
  Value random_seed;    // OpenModelThreadGroup.random_seed; 0: a new schedule every run
};

// The phase a thread group runs in: kSetupThreadGroup, kThreadGroup (every regular group,
// plugin models included) or kPostThreadGroup.
ElementKind ThreadGroupPhase(ElementKind kind);

// jmeter-plugins Ultimate and Stepping Thread Groups (issue 12): a ThreadGroup (its main
// loop, on-sample-error action) whose threads each get their own start and end
// (worker/thread_schedules.h); num_threads is Stepping's thread count, ramp_time and the
// scheduler fields are unused. Values are `${...}`-able and evaluated once at run start.
struct ModelThreadGroup : ThreadGroup {
  using ThreadGroup::ThreadGroup;
  // Ultimate: `ultimatethreadgroupdata` rows (start threads count, initial delay s,
  // startup time s, hold load for s, shutdown time s).
  struct Row {
    Value columns[5];
    int line = 0;
  };
  std::vector<Row> rows;
  // Stepping: its properties ("Threads initial delay", "Start users count", ...).
  Value initial_delay, start_users_count, start_users_count_burst, start_users_period;
  Value stop_users_count, stop_users_period, flight_time, ramp_up;
};

struct LoopController : Node {
  using Node::Node;
  Value loops;  // "-1" = forever
  bool continue_forever = false;
};

struct IfController : Node {
  using Node::Node;
  Value condition;
  bool use_expression = false;  // interpret condition as an expression result ("true")
  bool evaluate_all = false;
};

struct WhileController : Node {
  using Node::Node;
  Value condition;  // "" = until a sampler fails, "LAST" = until the last one fails
};

struct TransactionController : Node {
  using Node::Node;
  bool generate_parent_sample = false;
  bool include_timers = true;  // JMeter's default when the property is absent
  // Parent mode: the assertions in the controller's scope check its sample, outermost first.
  std::vector<const Node*> assertions;
  // The script listeners in the controller's scope hear its sample (either mode; not when it
  // is part of an enclosing parent sample), outermost first.
  std::vector<const Node*> listeners;
};

struct ForeachController : Node {
  using Node::Node;
  Value input_prefix;
  Value output_variable;
  Value start_index;  // exclusive, "" = 0
  Value end_index;    // inclusive, "" = until the first missing variable
  bool use_separator = true;
};

struct ThroughputController : Node {
  using Node::Node;
  enum class Style { kTotalExecutions = 0, kPercentExecutions = 1 };
  Style style = Style::kTotalExecutions;
  bool per_thread = true;
  Value max_throughput;      // total executions
  Value percent_throughput;  // percent executions
};

struct InterleaveController : Node {
  using Node::Node;
  int style = 1;  // 0 = interleave into sub-controllers, 1 = ignore sub-controller blocks
  bool across_threads = false;
};

struct RuntimeController : Node {
  using Node::Node;
  Value seconds;
};

struct ModuleController : Node {
  using Node::Node;
  std::vector<std::string> node_path;  // test names from the TestPlan down to the target
  const TestElement* target = nullptr;
};

// ---------------------------------------------------------------------------------------
// Config elements.

// ConfigTestElement: HTTP Request Defaults and other property bags merged into samplers.
struct ConfigElement : Node {
  using Node::Node;
  HttpFields http;
};

struct Header {
  Value name;
  Value value;
};

struct HeaderManager : Node {
  using Node::Node;
  std::vector<Header> headers;
};

struct Cookie {
  std::string name;
  Value value, domain, path;
  bool secure = false;
  int64_t expires = 0;
};

struct CookieManager : Node {
  using Node::Node;
  bool clear_each_iteration = false;
  bool controlled_by_thread_group = false;
  std::string policy;
  std::vector<Cookie> cookies;
};

struct CsvDataSet : Node {
  using Node::Node;
  enum class ShareMode { kAll, kGroup, kThread };
  Value filename;  // relative paths resolve against the plan's folder
  std::string file_encoding;
  Value variable_names;         // "" = use the file's first line as names
  std::string delimiter = ",";  // "\t" written as the two characters \t in the plan
  bool ignore_first_line = false;
  bool quoted_data = false;
  bool recycle = true;
  bool stop_thread = false;
  ShareMode share_mode = ShareMode::kAll;
  std::string share_mode_text;  // as written (may be a localized display value)
  // ---- Random CSV Data Set (issue 10) ----
  // kind == kRandomCsvDataSet (com.blazemeter.jmeter.RandomCSVDataSetConfig): records are
  // always read quote-aware; the element has its own list (never shared with another
  // element); share_mode is kThread for independentListPerThread, else kAll; recycle is
  // rewindOnTheEndOfList and stop_thread its negation.
  bool random_order = false;  // each record once per round, in random order
};

struct ArgumentsNode : Node {  // User Defined Variables
  using Node::Node;
  std::vector<Argument> arguments;
};

struct Counter : Node {
  using Node::Node;
  Value start, end, increment, variable, format;
  bool per_user = false;
  bool reset_on_thread_group_iteration = false;
};

struct RandomVariable : Node {
  using Node::Node;
  Value variable, output_format, minimum, maximum, seed;
  bool per_thread = false;
};

// ---------------------------------------------------------------------------------------
// Timers.

struct Timer : Node {
  using Node::Node;
  Value delay_ms;  // ConstantTimer.delay (constant part / offset)
  Value range_ms;  // RandomTimer.range (uniform range / gaussian deviation)
};

// JMeter 4+'s Precise Throughput Timer (timers.poissonarrivals.PreciseThroughputTimer):
// `throughput` samples per `throughput_period` seconds for each thread group, as Poisson
// arrivals drawn `duration` seconds at a time. exactLimit and allowedThroughputSurplus are
// ignored, as JMeter 5.3+ ignores them; so is batchThreadDelay (JMeter 5's generator does
// not use it).
struct PreciseThroughputTimer : Node {
  using Node::Node;
  Value throughput;         // "throughput", default 100
  Value throughput_period;  // "throughputPeriod", seconds, default 3600
  Value duration;           // "duration", seconds, default 3600
  Value batch_size;         // "batchSize", default 1
  Value random_seed;        // "randomSeed", 0: not seeded
};

// jmeter-plugins Throughput Shaping Timer (kg.apc.jmeter.timers.VariableThroughputTimer):
// one run-wide schedule of `load_profile` rows, linear from start to end rps in each.
// Values are `${...}`-able, evaluated once when the timer is first used.
struct ThroughputShapingTimer : Node {
  using Node::Node;
  struct Row {
    Value start_rps, end_rps, duration_s;
    int line = 0;
  };
  std::vector<Row> rows;
};

struct ConstantThroughputTimer : Node {
  using Node::Node;
  Value throughput_per_minute;
  int calc_mode = 0;  // 0 this thread, 1 all active threads, 2 in current group,
                      // 3 all threads shared, 4 current group shared
};

// ---------------------------------------------------------------------------------------
// Pre- and post-processors.

struct UserParameters : Node {
  using Node::Node;
  std::vector<std::string> names;
  std::vector<std::vector<Value>> thread_values;  // one list of values per user
  bool per_iteration = false;
};

// Where extractors and assertions look ("Apply to" + "Field to check").
enum class SampleScope { kParent, kChildren, kAll, kVariable };

struct RegexExtractor : Node {
  using Node::Node;
  std::string use_field =
      "false";  // false=body, true=headers, unescaped, as_document, URL, code, message, request_headers
  Value reference_name, regex, template_, default_value, match_number;
  bool default_empty_value = false;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

struct JsonExtractor : Node {  // JSONPostProcessor
  using Node::Node;
  Value reference_names, json_path_exprs, match_numbers, default_values;
  bool compute_concat = false;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

struct BoundaryExtractor : Node {
  using Node::Node;
  std::string use_field = "false";
  Value reference_name, left_boundary, right_boundary, default_value, match_number;
  bool default_empty_value = false;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

// ---------------------------------------------------------------------------------------
// Assertions.

struct ResponseAssertion : Node {
  using Node::Node;
  // Assertion.test_type bits, as JMeter stores them.
  static constexpr int kMatch = 1, kContains = 2, kNot = 4, kEquals = 8, kSubstring = 16, kOr = 32;
  std::string test_field = "Assertion.response_data";
  int test_type = kContains;
  std::vector<Value> test_strings;
  bool assume_success = false;
  Value custom_message;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

struct DurationAssertion : Node {
  using Node::Node;
  Value duration_ms;
  SampleScope scope = SampleScope::kParent;
};

struct SizeAssertion : Node {
  using Node::Node;
  Value size;
  int op = 3;  // 1 =, 2 !=, 3 >, 4 <, 5 >=, 6 <=
  std::string test_field = "SizeAssertion.response_network_size";
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

struct JsonPathAssertion : Node {
  using Node::Node;
  Value json_path, expected_value;
  bool json_validation = false;  // compare with expected_value
  bool expect_null = false;
  bool invert = false;
  bool is_regex = true;
  bool plugin = false;  // jp@gc JSONPathAssertion (issue 10): the plugin's messages and string equality
};

// ---------------------------------------------------------------------------------------
// ---- Controllers and Result Status Action Handler (issue 10) ----
// (An Include Controller compiles to a kSimpleController holding the included elements.)

struct SwitchController : Node {
  using Node::Node;
  Value value;  // SwitchController.value: a child's index or name
};

struct CriticalSectionController : Node {
  using Node::Node;
  Value lock_name;  // CriticalSectionController.lockName; empty: no lock
};

// Result Status Action Handler: what the user does after a failed sample in its scope.
struct ResultAction : Node {
  using Node::Node;
  enum class Action {  // OnError.action, as JMeter stores it
    kContinue = 0,
    kStopThread = 1,
    kStopTest = 2,
    kStopTestNow = 3,
    kStartNextThreadLoop = 4,
    kStartNextIterationOfCurrentLoop = 5,
    kBreakCurrentLoop = 6,
  };
  Action action = Action::kContinue;
};

// ---------------------------------------------------------------------------------------
// ---- HTTP configuration (issue 10) ----
// Several managers of one kind in a sampler's scope: the last one JMeter adds wins
// (HTTPSamplerBase.setAuthManager & co.), i.e. the last of that kind in Scope::configs.

// One row of an HTTP Authorization Manager (Authorization).
struct Authorization {
  // BASIC_DIGEST is JMeter 2.13's only non-Kerberos mechanism (answers Basic or Digest
  // challenges); 5.x writes BASIC (sent preemptively) or DIGEST.
  enum class Mechanism { kBasicDigest, kBasic, kDigest, kKerberos };
  Value url, username, password, domain, realm;
  Mechanism mechanism = Mechanism::kBasic;
};

struct AuthManager : Node {  // AuthManager
  using Node::Node;
  std::vector<Authorization> entries;  // the first whose URL prefixes the request URL applies
};

struct CacheManager : Node {  // CacheManager
  using Node::Node;
  bool clear_each_iteration = false;
  bool use_expires = false;  // fresh entries are not requested at all
  int max_size = 5000;       // entries per user, least recently used evicted
};

struct DnsStaticHost {
  std::string name;       // matched case-insensitively
  std::string addresses;  // comma-separated literal addresses
};

struct DnsCacheManager : Node {  // DNSCacheManager
  using Node::Node;
  bool clear_each_iteration = false;
  bool custom_resolver = false;
  std::vector<std::string> servers;
  std::vector<DnsStaticHost> hosts;
};

// HTTP URL Re-writing Modifier (a pre-processor): a session id from the previous response,
// added to the request as a parameter or a path extension (worker/url_rewriting.h).
struct UrlRewritingModifier : Node {
  using Node::Node;
  Value argument_name;
  bool path_extension = false;
  bool path_extension_no_equals = false;
  bool path_extension_no_questionmark = false;
  bool cache_value = true;  // keep the last id found when a response has none
  bool encode = false;      // URL-encode the value (parameter mode)
};

// ---------------------------------------------------------------------------------------
// ---- TLS client certificates (issue 10) ----

// Keystore Configuration (KeystoreConfig): which of the keystore's keys (the file named by
// the javax.net.ssl.keyStore property, worker/client_keystore.h) the users present. Its
// values are evaluated once at test start, as JMeter's TestBean does.
struct KeystoreConfig : Node {
  using Node::Node;
  Value preload;      // "true": load at test start (Barrage always does)
  Value start_index;  // first key entry used (0-based); "" = property https.keyStoreStartIndex or 0
  Value end_index;    // last key entry used; "" = property https.keyStoreEndIndex or 0
  Value alias_var;    // clientCertAliasVarName: a variable naming the alias ("" = round robin)
};

// ---------------------------------------------------------------------------------------
// ---- XML and HTML (issue 10) ----

// How an XML element parses the response (XPathUtil.makeDocument's flags).
struct XmlParsing {
  bool tolerant = false;       // "Use Tidy"
  bool namespaces = false;     // "Use Namespaces"
  bool validate = false;       // "Validate XML"
  bool whitespace = false;     // "Ignore Whitespace"
  bool quiet = true;           // Tidy's quiet / report errors / show warnings: logging only
  bool report_errors = false;  // (the engine has no log yet)
  bool show_warnings = false;
  bool download_dtds = false;  // never: external DTDs are not fetched
};

// XPath Extractor (XPathExtractor) and XPath2 Extractor (XPath2Extractor, JMeter 5, run
// only when its expression is XPath 1.0).
struct XPathExtractor : Node {
  using Node::Node;
  Value reference_name, xpath, default_value;
  Value match_number;  // "" = -1 (all); 0 random; n the n-th
  bool fragment = false;
  XmlParsing parsing;
  // XPath2 Extractor: "prefix=uri" per line, used with namespaces always on.
  std::vector<std::pair<std::string, std::string>> namespaces;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

// CSS Selector Extractor (HtmlExtractor; CSSJQueryExtractor as some plans name it).
struct HtmlExtractor : Node {
  using Node::Node;
  Value reference_name, expression, attribute, default_value, match_number;
  bool default_empty_value = false;
  std::string implementation;  // JSOUP (default) or JODD: both run as JSoup
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

struct Md5HexAssertion : Node {
  using Node::Node;
  Value md5_hex;  // MD5HexAssertion.size (JMeter's name for it)
};

// XML Assertion (XMLAssertion) has no properties: the kind is enough (a plain Node).

struct XmlSchemaAssertion : Node {
  using Node::Node;
  Value xsd_filename;  // relative names resolve against the plan's folder
};

// HTML Assertion (HTMLAssertion): JTidy's error and warning counts, here libxml2's HTML parser's.
struct HtmlAssertion : Node {
  using Node::Node;
  int64_t error_threshold = 0;
  int64_t warning_threshold = 0;
  std::string doctype = "omit";
  int format = 0;  // 0 HTML, 1 XHTML, 2 XML
  bool errors_only = false;
  Value filename;  // JMeter writes Tidy's report there; not written here
};

struct XPathAssertion : Node {
  using Node::Node;
  Value xpath;
  bool negate = false;
  XmlParsing parsing;
  SampleScope scope = SampleScope::kParent;
  Value scope_variable;
};

// ---------------------------------------------------------------------------------------
// What the compiler found, for `inspect` and for refusing a plan.

struct Problem {
  enum class Severity { kError, kWarning, kInfo };
  Severity severity;
  std::string message;
  int line = 0;
};
const char* SeverityName(Problem::Severity severity);

struct UnsupportedElement {
  std::string testclass;
  std::string name;
  int line = 0;
  std::string reason;
  std::string alternative;  // the nearest element Barrage runs, "" when there is none
};

struct DataFile {        // a CSV Data Set as the plan writes it, or a file a function reads
  std::string filename;  // as written (may be a template)
  std::string variable_names;
  std::string delimiter;
  std::string share_mode;  // "shareMode.all", "shareMode.group", "shareMode.thread" or as written
  int line = 0;
  std::string function;  // the function reading it ("__CSVRead"); empty for a CSV Data Set
};

// ---- jmeter-plugins elements (issue 10) ----
// jp@gc JSONPath Extractor (com.atlantbh...JSONPathExtractor), see worker/json_processors.h.
struct JsonPluginExtractor : Node {
  using Node::Node;
  Value var, json_path, default_value, src_variable;
  bool from_variable = false;  // SUBJECT "VAR": read the variable VARIABLE instead of the body
};

// jp@gc Dummy Sampler (kg.apc.jmeter.samplers.DummySampler): a sample made of its own
// fields. With `waiting` the user waits the response time on its event loop first.
struct DummySampler : Sampler {
  using Sampler::Sampler;
  bool successful = false;  // SUCCESFULL (sic); absent = false, as getPropertyAsBoolean
  bool waiting = false;     // WAITING: simulate the response time
  Value response_code, response_message, response_data, request_data, url;
  Value response_time, latency, connect;  // whole milliseconds; anything else is 0
};

// ---- bzm Parallel Controller (issue 10) ----
// com.blazemeter.jmeter.controller.ParallelSampler: a sampler whose runnable children (its
// `children`, each a sampler or a controller subtree) run as parallel branches of the
// user that reaches it (worker/parallel_sampler.h).
struct ParallelSampler : Sampler {
  using Sampler::Sampler;
  bool generate_parent = false;  // PARENT_SAMPLE: one sample holding the branches' samples
  int max_branches = 0;          // LIMIT_MAX_THREAD_NUMBER ? MAX_THREAD_NUMBER (default 6) : 0 (no limit)
};

// ---- Inter-user waits: Fifo Put/Pop, Synchronizing Timer (issue 10) ----
// Their queues and barriers are per engine (per worker in a cluster), as JMeter's are per
// JVM in distributed mode (worker/fifo_queues.h, worker/sync_barrier.h).

// jp@gc Inter-Thread Communication PostProcessor (kg.apc.jmeter.modifiers.FifoPutPostProcessor).
struct FifoPut : Node {
  using Node::Node;
  Value queue;  // FifoName
  Value value;  // Value
};

// jp@gc Inter-Thread Communication PreProcessor (kg.apc.jmeter.modifiers.FifoPopPreProcessor):
// waits for the queue's next value, at most `timeout` seconds.
struct FifoPop : Node {
  using Node::Node;
  Value queue;     // FifoName
  Value variable;  // Variable: gets the value; removed when the wait times out
  Value timeout;   // Timeout, whole seconds; empty (or absent) waits for ever, <= 0 not at all
};

// Synchronizing Timer (SyncTimer): users wait until `group_size` of them are there.
struct SyncTimer : Node {
  using Node::Node;
  int64_t group_size = 0;  // 0: the number of users of the thread group
  int64_t timeout_ms = 0;  // 0: wait for ever
};

// ---- HTML modifiers and Compare Assertion (issue 10) ----
// HTML Link Parser (AnchorModifier): no properties, the kind is enough (a plain Node). See
// worker/html_modifiers.h.

// HTML Parameter Mask (ParamModifier): its ParamMask, the counter's settings.
struct ParamModifier : Node {
  using Node::Node;
  Value field_name, prefix, suffix;
  Value lower_bound, upper_bound, increment;  // whole numbers; anything else is 0
};

// Compare Assertion (CompareAssertion, a TestBean): see worker/compare_assertion.h.
struct CompareAssertion : Node {
  using Node::Node;
  bool compare_content = true;  // compareContent
  int64_t compare_time = -1;    // compareTime, ms; < 0: times are not compared
  struct Skip {                 // stringsToSkip: a SubstitutionElement
    Value regex, substitute;
  };
  std::vector<Skip> strings_to_skip;
};

// ---- Listeners with a file (issue 10) ----
// A ResultCollector (Simple Data Writer, or any listener) with a `filename`: the run writes
// that JTL as JMeter's non-GUI mode does. The columns are JMeter's CSV column names in
// JMeter's order, those its saveConfig selects that barrage writes.
struct ResultFileListener {
  std::string name;
  int line = 0;
  Value filename;             // relative to the plan's folder; functions (${__P}) evaluated at run start
  bool error_only = false;    // ResultCollector.error_logging
  bool success_only = false;  // ResultCollector.success_only_logging
  // Whose samples it records: "" every thread group's, else the thread name prefix of its
  // thread group ("<group> <number>-").
  std::string thread_prefix;
  std::vector<JtlColumn> columns;  // saveConfig's, or JMeter 5.x's defaults
  bool field_names = true;         // the header row
};

// ---- Backend Listeners (issue 15) ----
// A BackendListener whose client Barrage implements: JMeter's InfluxDB and Graphite
// clients. The controller sends (controller/influx_sink.h, controller/graphite_sink.h); in a
// cluster run the workers ignore it. Other clients (Azure, ElasticSearch...) are noted and
// ignored at compile time and never reach this list.
struct BackendListenerSpec {
  enum class Client { kInfluxdb, kGraphite };
  std::string name;
  int line = 0;
  std::string classname;  // as written, fully qualified
  Client client = Client::kInfluxdb;
  struct Argument {
    std::string name;  // trimmed
    Value value;       // a JMeter expression (${__P(...)}), evaluated at run start
  };
  std::vector<Argument> arguments;  // the `arguments` collection, in plan order
  int64_t queue_size = 5000;        // QUEUE_SIZE (JMeter's default 5000)
  // Whose samples it gets: "" every thread group's, else the thread name prefix of its
  // thread group ("<group> <number>-"), as for ResultFileListener.
  std::string thread_prefix;
};

// ---- Scripts (issue 11) ----
// A JSR223, BeanShell or BSF element's script, run by the script host (worker/script_host.h).
struct ScriptSource {
  std::string testclass;            // JSR223PreProcessor, BeanShellSampler...
  bool beanshell = false;           // a BeanShell element (one interpreter per element and user)
  bool bsf = false;                 // a BSF element (BSF's error texts and sampler result)
  std::string language;             // the host's: "groovy", "javascript" or "beanshell"
  std::string language_as_written;  // scriptLanguage (JSR223, BSF); "beanshell" for BeanShell
  Value script;                     // inline; a ${...} in it is replaced before each run, as JMeter does
  Value parameters;                 // Parameters / args
  Value filename;                   // a script file (relative to the plan), read instead of `script`
  bool reset_interpreter = false;   // BeanShell: a new interpreter for each call
  bool cached = true;               // JSR223 cacheKey set: JMeter compiles once (the error text differs)
};
// JMeter's script language name as the host's ("groovy", "javascript", "beanshell"), "" when
// Barrage has no interpreter for it.
std::string ScriptLanguageOf(std::string_view jmeter_language);

struct ScriptSampler : Sampler {
  using Sampler::Sampler;
  ScriptSource source;
};
// Pre-/post-processor, assertion or timer: the kind says which.
struct ScriptElement : Node {
  using Node::Node;
  ScriptSource source;
};

struct Plan {
  HashTree tree;                       // the source; nodes point into it
  std::unique_ptr<TestPlanNode> root;  // null only when the file had no TestPlan
  // Test Fragments under the Test Plan: never run themselves, only through Module
  // Controllers (which compile their own copy); kept so tools can show their samplers.
  std::vector<std::unique_ptr<Node>> fragments;
  std::vector<UnsupportedElement> unsupported;  // enabled elements Barrage cannot run
  std::vector<Problem> problems;
  std::vector<DataFile> data_files;
  std::vector<std::string> included_files;             // Include Controllers' files, as written (set by the loader)
  std::vector<ResultFileListener> result_files;        // issue 10: listeners with a file
  std::vector<BackendListenerSpec> backend_listeners;  // issue 15: InfluxDB and Graphite clients
  // A script function (__BeanShell, or __javaScript/__groovy beyond the one-line evaluator's
  // grammar) or a JavaScript condition that needs the script host: the run starts the JVM.
  bool script_functions = false;
  // Such a function's script names the previous sample (prev, SampleResult, sampleResult,
  // getPreviousResult): the users keep a copy of their last sample for it.
  bool script_functions_read_previous = false;

  bool has_errors() const;
  // True when the plan can run: no unsupported elements and no errors.
  bool runnable() const { return unsupported.empty() && !has_errors(); }
  // Thread groups in plan order (setUp, regular and tearDown alike).
  std::vector<const ThreadGroup*> thread_groups() const;
};

// Every CSV Data Set Config in the tree under `node` (its own elements first, then each
// child's, depth first): plan order.
std::vector<const CsvDataSet*> CsvDataSetsUnder(const Node& node);
// The same for the plan's owner, who may rewrite them (the worker points a shipped file's
// name at its local copy).
std::vector<CsvDataSet*> CsvDataSetsUnder(Node& node);

}  // namespace barrage

#endif  // BARRAGE_COMMON_PLAN_H_
