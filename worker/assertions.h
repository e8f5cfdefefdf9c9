// Response, Duration and Size Assertions: JMeter's Assertion.getResult(sample) for one
// sample, with JMeter's exact failure messages.
//
// Each function judges the one sample it is given; the scope (main sample, sub-samples,
// all) is applied by RunAssertion (worker/processors.h), as JMeterThread does it. A
// "JMeter Variable" scope makes the Response and Size Assertions read that variable instead
// of the sample. Values (`${...}`) are evaluated per call with the virtual user's context.
//
// Threading: called on the virtual user's event-loop thread; the plan node is shared and
// only read. Regular expressions come from the thread's cache (worker/regex.h).
#ifndef BARRAGE_WORKER_ASSERTIONS_H_
#define BARRAGE_WORKER_ASSERTIONS_H_

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

// Response Assertion. With "Ignore Status" (assume_success) it first marks `result`
// successful, as JMeter does (so a 404 can be asserted). Failure messages:
//   "Test failed: text expected to contain /pattern/" (field: text, document, code,
//   message, headers, request headers, request data, URL, variable(name); verb: to contain,
//   not to contain, to match, not to match, to equal, not to equal, and "something using"
//   when OR is set); EQUALS appends JMeter's "****** received / ****** comparison" diff;
//   with OR every failed pattern's text, each followed by a tab. An empty field fails with
//   "Response was null" (passes under NOT). An invalid regex is an error with
//   "Bad test configuration org.apache.oro.text.MalformedCachePatternException: Invalid
//   expression: <pattern>\n<reason>". A non-empty custom message replaces the text.
AssertionResult RunResponseAssertion(const ResponseAssertion& assertion, SampleResult& result, ThreadContext& ctx);

// Duration Assertion: fails when the sample took longer than the allowed ms (0, empty or
// not a number: never fails). "The operation lasted too long: It took 1,234 milliseconds,
// but should not have lasted longer than 1,000 milliseconds." (numbers grouped as Java's
// MessageFormat does in an English locale).
AssertionResult RunDurationAssertion(const DurationAssertion& assertion, const SampleResult& result,
                                     ThreadContext& ctx);

// Size Assertion over the full response (headers + body, the default), the headers, the
// body, the response code or message (their length), or a variable's numeric value.
// "The result was the wrong size: It was 1,500 bytes, but should have been equal to 1,000
// bytes." An allowed size that is not a number is an error named
// "Assertion failed! See log file." with Java's NumberFormatException text.
AssertionResult RunSizeAssertion(const SizeAssertion& assertion, const SampleResult& result, ThreadContext& ctx);

}  // namespace barrage

#endif  // BARRAGE_WORKER_ASSERTIONS_H_
