// JSON Extractor (JMeter's JSONPostProcessor) and JSON Path Assertion (JSONPathAssertion),
// on worker/json_path.h.
//
// RunJsonExtractor, for each `;`-separated reference name / JSONPath / default value (the
// three lists must have the same length, names and paths lose surrounding blanks, defaults
// are taken as written, a trailing empty default counts) and match number (missing ones
// are 0; a list longer than the defaults or a non-number stops the extractor, as the Java
// exception does):
// - reads the body of each sample its scope covers (parent, sub-samples, all; blank bodies
//   skipped) or the scope variable's value;
// - removes `name_matchNr` and `name_1`, `name_2`, ... left by an earlier run;
// - no body at all: `name` = default;
// - no value found (or path not found): `name` = default, `name_matchNr` = 0, and with
//   match number < 0 and "compute concatenation" `name_ALL` = "";
// - one value: `name` (match number >= 0, whatever it is) or `name_1` (< 0) = the value;
//   `name_ALL` = the same with concatenation;
// - several values: match number n > 0 the n-th (the default past the end), 0 a random one
//   (ctx.rng), < 0 all of them as `name_1`.. `name_N` (and `name_ALL` joined by ",");
//   `name` itself is left as it was;
// - `name_matchNr` = the number of values, unless the match number is 0;
// - values print as ExtractorString (json_path.h): strings bare, numbers as Java prints
//   them, objects and arrays as json-smart's compact JSON; a JSON null gives the default;
// - a path that does not compile, a document that does not parse (json-smart is lenient:
//   plain text parses as a string, where a path then finds nothing), a function path
//   (Jayway refuses functions in the extractor's list mode) or an empty variable: `name` =
//   default and nothing else. JMeter logs "Error processing JSON content in <name>,
//   message: <Jayway's message>" there; the engine has no log yet, so nothing is logged.
//
// RunJsonPathAssertion judges the sample's own body (the JSON Path Assertion has no scope):
// - empty body: failure "Response was null";
// - without "additionally assert value": passes when the path finds something; an
//   indefinite path that finds nothing fails with "JSONPath '<path>' is indefinite and the
//   extracted Value is an empty Array. Please use an assertion value, to be sure to get a
//   correct result. Expected value was '<expected>'"; a definite path that finds nothing
//   fails with Jayway's "No results for path: $['x']";
// - with it: the value (or any element of a list or array, or the whole list) must match
//   the expected value as a whole-string Perl5 regex (ORO, worker/regex.h) on
//   AssertionString, or equal it parsed as JSON (JavaEquals) when "match as regular
//   expression" is off; "expect null" accepts a null. Failures: "Value in json path
//   '<path>' expected to match regexp '<expected>', but it did not match: '<value>'",
//   "... expected to be '<expected>', but found '<value>'", "... expected to be null, but
//   found '<value>'";
// - invalid JSON, an invalid path or an invalid regex: failure with Jayway's / ORO's
//   message (never an error, as in JMeter);
// - "invert": passes exactly when the above fails, else fails with "Failed that JSONPath
//   <path> not matches <expected>" / "... not matches null" / "Failed that JSONPath not
//   exists: <path>".
//
// jp@gc JSONPath Extractor (RunJsonPluginExtractor, the plugin's JSONPathExtractor.process):
// reads the sample's body, or with SUBJECT "VAR" the variable VARIABLE; JsonPath.read
// without list mode. A value that is not an array: `var` = its text (objectToString, as
// AssertionString: strings bare, doubles by DecimalFormat, objects and arrays as JSON,
// null as "null"), nothing else changes. An array (an indefinite path's results, or an
// array the path designates) with n > 0 elements: `var` = the array as JSON,
// `var_matchNr` = n, earlier `var_1`, `var_2`... removed, `var_1`..`var_n` = the elements.
// Anything else (no text, a missing variable, invalid JSON or path, nothing found, an empty
// array): `var` = DEFAULT, `var_matchNr` = 0 and `var_1`... removed.
//
// The jp@gc JSONPath Assertion (JsonPathAssertion::plugin) runs as RunJsonPathAssertion
// with the plugin's differences: no "indefinite and empty" failure without a value check,
// messages without the path ("Value expected to be 'x', but found 'y'"), and without regex
// the value's text compared with the expected text (a double with Double.toString of the
// expected value parsed, failing with NumberFormatException's "For input string: ..."
// when it is not a number).
//
// Threading: both run on the virtual user's event-loop thread; the plan node is shared and
// only read. Compiled paths (json_path.h) and the last four parsed documents are cached per
// thread, the documents keyed by their text, so a response read by several JSON
// processors is parsed once (each thread keeps those four bodies and trees alive until
// they are replaced).
#ifndef BARRAGE_WORKER_JSON_PROCESSORS_H_
#define BARRAGE_WORKER_JSON_PROCESSORS_H_

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

void RunJsonExtractor(const JsonExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

void RunJsonPluginExtractor(const JsonPluginExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

AssertionResult RunJsonPathAssertion(const JsonPathAssertion& assertion, const SampleResult& result,
                                     ThreadContext& ctx);

}  // namespace barrage

#endif  // BARRAGE_WORKER_JSON_PROCESSORS_H_
