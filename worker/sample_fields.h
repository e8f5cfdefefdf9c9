// The sample as JMeter's assertions and extractors read it: the samples a scope covers, the
// header and request-data texts in JMeter's form, and JMeter's size accounting. Shared by
// assertions.cc, extractors.cc and json_processors.cc; pure functions of the SampleResult.
#ifndef BARRAGE_WORKER_SAMPLE_FIELDS_H_
#define BARRAGE_WORKER_SAMPLE_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

// The samples an extractor reads for `scope` (AbstractScopedTestElement.getSampleList):
// `result` for parent and all; for children and all, its sub-samples, then theirs, down to
// 5 levels, in JMeter's order. kVariable yields nothing (the variable is read instead).
void CollectScopedSamples(const SampleResult& result, SampleScope scope, std::vector<const SampleResult*>* out);

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

#endif  // BARRAGE_WORKER_SAMPLE_FIELDS_H_
