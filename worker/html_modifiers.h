// HTML Link Parser (AnchorModifier) and HTML Parameter Mask (ParamModifier) at run time: two
// pre-processors that rewrite the HTTP request about to be sent, as JMeter 2.13 does.
//
// Both work on the sampler's fields as JMeter's sampler holds them when its pre-processors
// run: HTTP Request Defaults already merged in and every `${...}` evaluated
// (ResolvedHttpFields). The request is then built from the rewritten fields.
//
// HTML Link Parser (AnchorModifier, HtmlParsingUtils): the previous sample of the user must
// be an HTTP sample (else nothing changes). Its body is parsed as HTML (libxml2's HTML
// parser, standing in for JTidy) from its first '<'. Candidates, in this order:
// - every <a href> (not "javascript:..."), a GET: resolved against the page URL and the first
//   <base href>; its parameters are the query's name=value pairs as written;
// - every <form action> (one without an action is skipped), a POST: its parameters are the
//   <input name value>, <textarea name>text, and for each <option> of a <select name> the
//   pair select name / option value (every option), URL-decoded. Once a form has started,
//   fields up to the next form belong to it, even after </form> (JMeter's recurseForm);
// - every <frame src>, a GET like a link.
// A candidate matches the sampler when (isAnchorMatched): its protocol equals the sampler's
// (default "http") or fully matches it as a Perl5 regex; the sampler's domain is empty or
// equals or fully matches the candidate's host; the path equals or fully matches
// "[/]*" + the sampler's path; and for each sampler parameter the candidate's decoded query
// "n1=v1&n2=v2" contains "name=" or a match of the name as a regex. One match is taken at
// random (ctx.rng); the sampler gets its protocol, host and path (not its port), and:
// - a link or frame: its parameters replace all of the sampler's;
// - a form: each sampler parameter in turn takes the name and value of one form field whose
//   name and value equal or fully match the parameter's (at random among them); a field is
//   used once. Parameters matching no field are left as they are.
// No match leaves the request as the sampler wrote it. An invalid regex matches nothing.
//
// HTML Parameter Mask (ParamModifier): the first sampler parameter named `field_name` whose
// value is "*" gets prefix + counter + suffix; the counter (per user and element) then grows
// by `increment` and starts again at `lower_bound` once above `upper_bound`. It starts at 0,
// not at the lower bound: JMeter resets the mask of the test plan, while each thread runs a
// clone whose counter starts at 0.
//
// Differences: the tree is libxml2's, not JTidy's (a badly broken page may yield other
// links); relative URLs resolve as RFC 3986 says (libcurl), where java.net.URL differs in
// rare cases ("?q" alone); URL Re-writing Modifiers apply after these two whatever their
// order in the plan.
#ifndef BARRAGE_WORKER_HTML_MODIFIERS_H_
#define BARRAGE_WORKER_HTML_MODIFIERS_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"

namespace barrage {

// A link, form or frame of a page, as JMeter's HtmlParsingUtils makes it.
struct HtmlLink {
  bool form = false;  // a POST: only the sampler's parameters are rewritten
  std::string protocol, host, path;
  std::vector<Argument> arguments;  // literal values
};

// The candidates in `html` (anchors, forms, frames in that order), resolved against
// `page_url`; links whose URL cannot be resolved are left out.
std::vector<HtmlLink> FindHtmlLinks(std::string_view html, std::string_view page_url);

// isAnchorMatched: whether `link` matches the (resolved) sampler fields `pattern`.
bool AnchorMatches(const HtmlLink& link, const HttpFields& pattern);

// The HTML Link Parser on `fields` with the previous HTTP sample's body and URL. Returns
// whether a link was chosen (and `fields` rewritten).
bool ApplyLinkParser(std::string_view html, std::string_view page_url, UserRng& rng, HttpFields* fields);

// The sampler's fields with the HTTP Request Defaults in its scope merged in and every value
// evaluated for the user (literal Values, evaluated once); `evaluate` false: the merged
// Values as written (scripts change only the fields they set; the rest is evaluated when
// the request is built).
HttpFields ResolvedHttpFields(const HttpSampler& sampler, ThreadContext& ctx, bool evaluate = true);

// The HTML Parameter Mask on `fields`, with this user's counter `*value` (0 at first).
// Returns whether a parameter was rewritten (the counter then advanced).
bool ApplyParamMask(const ParamModifier& m, ThreadContext& ctx, int64_t* value, HttpFields* fields);

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTML_MODIFIERS_H_
