// The engine's entry points for assertions and post-processors: a dispatcher over the
// kinds (assertions.h, extractors.h, json_processors.h). What those share (the samples a
// scope covers, the sample fields as JMeter's elements read them) is worker/sample_fields.h;
// nothing includes this header back.
//
// Order and scope follow JMeterThread: post-processors run first (RunPostProcessor, each
// reading the samples of its "Apply to" scope), then assertions (RunAssertion). Threading:
// everything runs on the virtual user's event-loop thread; plan nodes are shared and only
// read.
#ifndef BARRAGE_WORKER_PROCESSORS_H_
#define BARRAGE_WORKER_PROCESSORS_H_

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

}  // namespace barrage

#endif  // BARRAGE_WORKER_PROCESSORS_H_
