// What the plan compiler (plan_compiler.cc) shares with the files that compile one area's
// elements (controllers, HTTP configuration, XML, plugins...). Internal to common/.
//
// An area adds its ElementKinds to plan.h, its testclasses to kKinds in plan_compiler.cc,
// and in Compiler::Make one `case` per kind that calls its own
//   std::unique_ptr<Node> Make<Area>Element(ElementKind kind, const TestElement& e, CompileLog& log);
// declared below and defined in its own plan_compiler_<area>.cc. Such a function reads the
// element's properties into its node, reports what is wrong through `log` (with the
// element's line) and never fails: a node with defaults is returned even after an error.
#ifndef BARRAGE_COMMON_ELEMENT_COMPILER_H_
#define BARRAGE_COMMON_ELEMENT_COMPILER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash_tree.h"
#include "common/plan.h"

namespace barrage {

// Where an element compiler reports problems: an error makes the plan unrunnable, a
// warning is shown by `inspect` and at run start.
class CompileLog {
 public:
  virtual void Error(std::string message, int line) = 0;
  virtual void Warning(std::string message, int line) = 0;

 protected:
  ~CompileLog() = default;
};

// The property `name` of an element (or of an elementProp) as a plan value, `def` when absent.
Value V(const TestElement& e, std::string_view name, std::string_view def = "");
Value V(const Property& p, std::string_view name, std::string_view def = "");
// The elementProp members of a collectionProp (skipping anything else); none for null.
std::vector<const Property*> ElementItems(const Property* collection);
// An Arguments elementProp (HTTP parameters, User Defined Variables).
std::vector<Argument> ReadArguments(const Property* arguments_element);
// "Apply to": extractors store it as Sample.scope, assertions as Assertion.scope.
SampleScope ReadScope(const TestElement& e, const char* key = "Sample.scope");
// "<testclass> '<testname>'", how messages name an element.
std::string DescribeElement(const TestElement& e);
// Reports an error when `v` is literal and not a whole number (empty allowed if asked).
void CheckWholeNumber(const Value& v, const TestElement& e, std::string_view prop, bool allow_empty, CompileLog& log);

// What every thread group reads alike (plan_compiler.cc): its main controller's loops,
// "same user on each iteration" and the action after a sampler error.
void ReadThreadGroupBasics(const TestElement& e, ThreadGroup* group, CompileLog& log);
// The action after a sampler error alone (ThreadGroup.on_sample_error), for the groups whose
// main loop is their own (the dynamic thread groups).
void ReadOnSampleError(const TestElement& e, ThreadGroup* group, CompileLog& log);
// Issue 12, static thread-group models (plan_compiler_models.cc): Ultimate and Stepping
// Thread Groups (ModelThreadGroup).
std::unique_ptr<Node> MakeModelThreadGroup(ElementKind kind, const TestElement& e, CompileLog& log);
// Issue 12, timers with a rate (plan_compiler_models.cc): Precise Throughput Timer,
// Throughput Shaping Timer.
std::unique_ptr<Node> MakeModelTimer(ElementKind kind, const TestElement& e, CompileLog& log);

// Switch, Random Order and Critical Section Controllers, Result Status Action Handler
// (plan_compiler_controllers.cc).
std::unique_ptr<Node> MakeControllerElement(ElementKind kind, const TestElement& e, CompileLog& log);
// HTTP configuration (plan_compiler_http.cc): AuthManager, CacheManager, DNSCacheManager,
// URLRewritingModifier.
std::unique_ptr<Node> MakeHttpConfigElement(ElementKind kind, const TestElement& e, CompileLog& log);
// Issue 12, the BlazeMeter HTTP/2 plugin's samplers (plan_compiler_http2.cc): for an HTTP
// sampler node of testclass ...http2.sampler.HTTP2Request or HTTP2Sampler, reads what the
// plugin adds (HTTP2Request's own property names) into `n`; other testclasses are left alone.
void ReadBzmHttp2Sampler(const TestElement& e, HttpSampler* n, CompileLog& log);
// TLS client certificates (plan_compiler_tls.cc): KeystoreConfig.
std::unique_ptr<Node> MakeTlsElement(ElementKind kind, const TestElement& e, CompileLog& log);
// XML and HTML elements (plan_compiler_xml.cc).
std::unique_ptr<Node> MakeXmlElement(ElementKind kind, const TestElement& e, CompileLog& log);
// Issue 10, jmeter-plugins elements (plan_compiler_plugins.cc).
std::unique_ptr<Node> MakePluginElement(ElementKind kind, const TestElement& e, CompileLog& log);
// JMeter's JSON Assertion and the jp@gc JSONPath Assertion save the same properties
// (JSON_PATH, EXPECTED_VALUE, JSONVALIDATION, EXPECT_NULL, INVERT, ISREGEX).
std::unique_ptr<JsonPathAssertion> ReadJsonPathAssertion(ElementKind kind, const TestElement& e);
// Issue 10, the bzm Parallel Controller (plan_compiler_parallel.cc).
std::unique_ptr<Node> MakeParallelElement(ElementKind kind, const TestElement& e, CompileLog& log);
// Issue 10, inter-user waits (plan_compiler_sync.cc): Fifo Put/Pop, Synchronizing Timer.
std::unique_ptr<Node> MakeSyncElement(ElementKind kind, const TestElement& e, CompileLog& log);
// Issue 10, HTML Link Parser, HTML Parameter Mask and Compare Assertion
// (plan_compiler_html.cc).
std::unique_ptr<Node> MakeHtmlModifierElement(ElementKind kind, const TestElement& e, CompileLog& log);

// Issue 10, Random CSV Data Set (plan_compiler_data.cc).
std::unique_ptr<Node> MakeDataElement(ElementKind kind, const TestElement& e, CompileLog& log);

// Issue 12, bzm Concurrency, Arrivals and Free-Form Arrivals Thread Groups
// (plan_compiler_arrivals.cc); the caller reads ThreadGroup.on_sample_error.
std::unique_ptr<DynamicThreadGroup> MakeArrivalsElement(ElementKind kind, const TestElement& e, CompileLog& log);

// Issue 11, JSR223 / BeanShell / BSF elements (plan_compiler_scripts.cc).
std::unique_ptr<Node> MakeScriptElement(ElementKind kind, const TestElement& e, CompileLog& log);

// Issue 10, listeners with a file (plan_compiler_listeners.cc): every enabled
// ResultCollector with a filename under `test_plan`, scoped to its thread group (found in
// `groups` by source element). Disabled elements and WorkBench contents are skipped.
std::vector<ResultFileListener> ReadResultFiles(const TestElement& test_plan,
                                                const std::vector<const ThreadGroup*>& groups, CompileLog& log);
// Issue 15, Backend Listeners (plan_compiler_listeners.cc): every enabled BackendListener
// with JMeter's InfluxDB or Graphite client, scoped the same way; another client is a
// warning and is left out.
std::vector<BackendListenerSpec> ReadBackendListeners(const TestElement& test_plan,
                                                      const std::vector<const ThreadGroup*>& groups, CompileLog& log);

}  // namespace barrage

#endif  // BARRAGE_COMMON_ELEMENT_COMPILER_H_
