// The engine's entry points for assertions and post-processors, and what they share: the
// samples a scope covers and the sample fields as JMeter's elements read them.
//
// Order and scope follow JMeterThread: post-processors run first (RunPostProcessor, each
// reading the samples of its "Apply to" scope), then assertions (RunAssertion). Threading:
// everything runs on the virtual user's event-loop thread; plan nodes are shared and only
// read.
#ifndef BARRAGE_WORKER_PROCESSORS_H_
#define BARRAGE_WORKER_PROCESSORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

// Runs one assertion the way JMeterThread.checkAssertions does and records its outcome on
// the sample(s) it judged: `success = success && !(failure || error)`, and the first
// non-empty message becomes the sample's failure_message.
// - scope parent (and "JMeter Variable"): judges `result`;
// - scope children: judges each sub-sample, down to 4 levels; when one of them fails while
//   their parent is still successful, the parent fails with "One or more sub-samples
//   failed" (under the assertion's name);
// - scope all: both, the main sample first.
// Returns the outcome for `result` itself: its own result, or the "sub-samples failed"
// one when only that failed. Recording it again on `result` changes nothing.
// Unknown kinds return a passing result.
AssertionResult RunAssertion(const Node& assertion, SampleResult& result, ThreadContext& ctx);

// Runs one post-processor (Regular Expression, Boundary or JSON Extractor) on the sample
// it follows; the extractor's scope picks the samples it reads. Other kinds are ignored.
void RunPostProcessor(const Node& post, const SampleResult& result, ThreadContext& ctx);

// Records an assertion outcome on a sample, as JMeterThread.processAssertion does.
void RecordAssertionResult(const AssertionResult& outcome, SampleResult& result);

// ---------------------------------------------------------------------------------------
// Shared by assertions and extractors.

// The samples an extractor reads for `scope` (AbstractScopedTestElement.getSampleList):
// `result` for parent and all; for children and all, its sub-samples, then theirs, down to
// 5 levels, in JMeter's order. kVariable yields nothing (the variable is read instead).
void CollectScopedSamples(const SampleResult& result, SampleScope scope,
                          std::vector<const SampleResult*>* out);

// Response headers as JMeter holds them: the status line and each header followed by "\n"
// (no "\r", no blank line). Returns a view of `result` or of `*scratch`.
std::string_view JMeterResponseHeaders(const SampleResult& result, std::string* scratch);
// Request headers as JMeter holds them: "Name: value\n" per header, without Cookie.
std::string_view JMeterRequestHeaders(const SampleResult& result, std::string* scratch);
// JMeter's "request data" (HTTPSampleResult.getSamplerData): "GET <url>\n\nGET data:\n\n\n
// [no cookies]\n"; cookies come from the Cookie request header. "" for non-HTTP samples.
std::string JMeterSamplerData(const SampleResult& result);

// Sizes as JMeter's HTTP sampler records them: headers as sent on the wire (CRLF, blank
// line included), body as received (compressed size), network = headers + body.
int64_t HeadersSize(const SampleResult& result);
int64_t BodySize(const SampleResult& result);
int64_t NetworkSize(const SampleResult& result);

}  // namespace barrage

#endif  // BARRAGE_WORKER_PROCESSORS_H_
