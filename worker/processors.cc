#include "worker/processors.h"

#include <cstdint>
#include <optional>

#include "worker/assertions.h"
#include "worker/extractors.h"
#include "worker/json_processors.h"
#include "worker/xml_processors.h"

namespace barrage {

namespace {

AssertionResult JudgeOne(const Node& assertion, SampleResult& result, ThreadContext& ctx) {
  switch (assertion.kind) {
    case ElementKind::kResponseAssertion: return RunResponseAssertion(assertion.As<ResponseAssertion>(), result, ctx);
    case ElementKind::kDurationAssertion: return RunDurationAssertion(assertion.As<DurationAssertion>(), result, ctx);
    case ElementKind::kSizeAssertion: return RunSizeAssertion(assertion.As<SizeAssertion>(), result, ctx);
    case ElementKind::kJsonPathAssertion:
    case ElementKind::kJsonPluginAssertion: return RunJsonPathAssertion(assertion.As<JsonPathAssertion>(), result, ctx);
    case ElementKind::kXPathAssertion: return RunXPathAssertion(assertion.As<XPathAssertion>(), result, ctx);
    case ElementKind::kMd5HexAssertion: return RunMd5HexAssertion(assertion.As<Md5HexAssertion>(), result, ctx);
    case ElementKind::kXmlAssertion: return RunXmlAssertion(assertion, result);
    case ElementKind::kHtmlAssertion: return RunHtmlAssertion(assertion.As<HtmlAssertion>(), result);
    case ElementKind::kXmlSchemaAssertion:
      return RunXmlSchemaAssertion(assertion.As<XmlSchemaAssertion>(), result, ctx);
    default: {
      AssertionResult passed;
      passed.name = assertion.name;
      return passed;
    }
  }
}

AssertionResult ProcessAssertion(const Node& assertion, SampleResult& result, ThreadContext& ctx) {
  AssertionResult outcome = JudgeOne(assertion, result, ctx);
  RecordAssertionResult(outcome, result);
  return outcome;
}

// JMeterThread.recurseAssertionChecks: returns the "sub-samples failed" result when it
// was added to `parent`.
std::optional<AssertionResult> CheckSubSamples(const Node& assertion, SampleResult& parent, ThreadContext& ctx,
                                               int level) {
  if (level < 0) return std::nullopt;
  bool child_failed = false;
  for (SampleResult& child : parent.sub_results) {
    ProcessAssertion(assertion, child, ctx);
    CheckSubSamples(assertion, child, ctx, level - 1);
    if (!child.sample.success) child_failed = true;
  }
  if (!child_failed || !parent.sample.success) return std::nullopt;
  AssertionResult failed;
  failed.name = assertion.name;
  failed.failure = true;
  failed.message = "One or more sub-samples failed";
  RecordAssertionResult(failed, parent);
  return failed;
}

SampleScope AssertionScope(const Node& assertion) {
  switch (assertion.kind) {
    case ElementKind::kResponseAssertion: return assertion.As<ResponseAssertion>().scope;
    case ElementKind::kDurationAssertion: return assertion.As<DurationAssertion>().scope;
    case ElementKind::kSizeAssertion: return assertion.As<SizeAssertion>().scope;
    case ElementKind::kXPathAssertion: return assertion.As<XPathAssertion>().scope;
    default: return SampleScope::kParent;  // JSON Path Assertion is not scoped
  }
}

}  // namespace

void RecordAssertionResult(const AssertionResult& outcome, SampleResult& result) {
  if (outcome.failure || outcome.error) result.sample.success = false;
  if (result.sample.failure_message.empty() && !outcome.message.empty()) {
    result.sample.failure_message = outcome.message;
  }
}

AssertionResult RunAssertion(const Node& assertion, SampleResult& result, ThreadContext& ctx) {
  SampleScope scope = AssertionScope(assertion);
  std::optional<AssertionResult> own;
  if (scope != SampleScope::kChildren) own = ProcessAssertion(assertion, result, ctx);
  std::optional<AssertionResult> children;
  if (scope == SampleScope::kChildren || scope == SampleScope::kAll) {
    children = CheckSubSamples(assertion, result, ctx, 3);
  }
  if (children) return *children;
  if (own) return *own;
  AssertionResult passed;
  passed.name = assertion.name;
  return passed;
}

void RunPostProcessor(const Node& post, const SampleResult& result, ThreadContext& ctx) {
  switch (post.kind) {
    case ElementKind::kRegexExtractor: RunRegexExtractor(post.As<RegexExtractor>(), result, ctx); break;
    case ElementKind::kBoundaryExtractor: RunBoundaryExtractor(post.As<BoundaryExtractor>(), result, ctx); break;
    case ElementKind::kJsonExtractor: RunJsonExtractor(post.As<JsonExtractor>(), result, ctx); break;
    case ElementKind::kXPathExtractor:
    case ElementKind::kXPath2Extractor: RunXPathExtractor(post.As<XPathExtractor>(), result, ctx); break;
    case ElementKind::kHtmlExtractor: RunHtmlExtractor(post.As<HtmlExtractor>(), result, ctx); break;
    case ElementKind::kJsonPluginExtractor: RunJsonPluginExtractor(post.As<JsonPluginExtractor>(), result, ctx); break;
    default: break;
  }
}

}  // namespace barrage
