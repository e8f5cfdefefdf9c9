// Compare Assertion at run time, as JMeter 2.13's CompareAssertion: it compares the responses
// it judges with each other, within one iteration of its controller (the nearest controller
// or thread group enclosing it; a new iteration forgets the earlier responses), per user.
//
// Each response is added to the list; from the second one on, the list is checked again:
// - content (compareContent): each body, after every "string to skip" (a Perl5 regex whose
//   every match is replaced by the substitute, taken literally), must equal the previous one,
//   else "Responses differ in content";
// - time (compareTime >= 0): each pair of consecutive responses may differ in elapsed time
//   by at most compareTime ms, else "Responses differ in response time by more than <n> ms"
//   (this message wins when both fail).
// Once two responses differed, every later response of the iteration fails as well.
// Threading: the state belongs to one virtual user.
#ifndef BARRAGE_WORKER_COMPARE_ASSERTION_H_
#define BARRAGE_WORKER_COMPARE_ASSERTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

// What one user's Compare Assertion remembers of the responses of the current iteration.
struct CompareState {
  int64_t count = 0;
  bool content_differs = false;
  std::string last_content;  // filtered
  bool time_differs = false;
  int64_t last_time_ms = 0;
};

AssertionResult RunCompareAssertion(const CompareAssertion& a, const SampleResult& result, ThreadContext& ctx,
                                    CompareState* state);

// Every match of the Perl5 regex `pattern` in `text` replaced by `replacement` (literal);
// `text` unchanged when the pattern is invalid.
std::string SubstituteAll(std::string_view text, std::string_view pattern, std::string_view replacement);

// The controller whose iterations reset the assertion's state (JMeter's TestCompiler
// registers it as an iteration listener of the nearest enclosing controller): its parent,
// or its sampler's parent; the thread group for one under the Test Plan (null then).
const Node* CompareIterationOwner(const Node& assertion);

}  // namespace barrage

#endif  // BARRAGE_WORKER_COMPARE_ASSERTION_H_
