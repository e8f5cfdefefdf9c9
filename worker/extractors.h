// Regular Expression Extractor and Boundary Extractor: JMeter's RegexExtractor.process()
// and BoundaryExtractor.process() on the virtual user's variables.
//
// Both read a field of the samples in their scope (body, body with HTML entities
// unescaped, body "as a document" (read as the body), response headers, request headers,
// URL, response code, response message) or a variable, and set, for reference name `ref`:
// - the default first, when it is non-empty (Boundary: not blank) or "use empty default
//   value" is ticked; a failed extraction leaves it (or the previous value) in place;
// - match number n > 0: `ref` = the n-th match; 0: a random match (ctx.rng);
// - match number < 0: `ref_1` .. `ref_N` and `ref_matchNr` = N; `ref` itself is left alone;
// - `ref_k` and `ref_matchNr` left from an earlier, longer list are removed.
// The Regular Expression Extractor also fills in its template ("$1$-$2$"; $0$ is the whole
// match; a group that did not take part or does not exist gives "null", as in JMeter) and
// sets the groups of each match: `ref_g0` .. `ref_gK` and `ref_g` = K (or `ref_n_gK` per
// match in the -1 case), removing stale ones. An invalid regex sets only the default.
//
// Threading: called on the virtual user's event-loop thread; the plan node is shared and
// only read. Patterns come from the thread's compiled-pattern cache (worker/regex.h).
#ifndef BARRAGE_WORKER_EXTRACTORS_H_
#define BARRAGE_WORKER_EXTRACTORS_H_

#include <string>
#include <string_view>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

void RunRegexExtractor(const RegexExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

void RunBoundaryExtractor(const BoundaryExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

// HTML character references replaced the way JMeter's "Body (unescaped)" does
// (unbescape's HtmlEscape.unescapeHtml): `&#65;`, `&#x41;` (the `;` optional, Windows-1252
// fix-ups for 128-159), and named references of HTML 4 plus `&apos;` (the legacy ones such
// as `&amp` also without `;`). Output is UTF-8.
std::string UnescapeHtml(std::string_view text);

}  // namespace barrage

#endif  // BARRAGE_WORKER_EXTRACTORS_H_
