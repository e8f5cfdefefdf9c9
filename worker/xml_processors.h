// XPath Extractor, XPath2 Extractor and XPath Assertion, on common/xml_document.h (libxml2).
//
// RunXPathExtractor (JMeter's XPathExtractor; match number as JMeter 3+, whose default -1
// is JMeter 2.13's only behaviour):
// - `name` = the default first; `name_matchNr` is removed (the earlier count is kept to
//   clear old `name_N`);
// - reads each sample its scope covers (parent, sub-samples, all) or the scope variable's
//   value (an unset variable reads nothing, an empty one gives no match);
// - each match gives a value: an element its first child's text (nothing when it has no
//   child or starts with an element), or with "fragment" the element as XML; an attribute
//   its value; a text, comment or PI node its text; a number, boolean or string result its
//   XPath string. XPath2 Extractor: an element's whole string-value (Saxon's
//   getStringValue), namespaces always on, its "prefix=uri" list registered;
// - match number -1: every match; 0: one at random (ctx.rng); n > 0: the n-th only (per
//   sample);
// - `name_matchNr` = the number of values kept; `name` = the first one, `name_1`..`name_N`
//   each of them (a match without value leaves its variable as it was); `name_N+1` and any
//   left by an earlier, larger run are removed;
// - a document that does not parse or an expression that does not compile: `name` =
//   default, no `name_matchNr`. (JMeter adds a failing assertion result to the sample there
//   without failing it; post-processors here cannot change the sample, so that result is
//   not recorded.)
//
// RunHtmlExtractor (JMeter's CSS Selector Extractor, HtmlExtractor with JSoup; JODD runs the
// same way), on common/css_selector.h over libxml2's HTML parse (JSoup parses HTML5; the
// trees differ for broken markup, e.g. implied <tbody>):
// - `name` = the default first, only when it is not empty or "use empty default value" is on;
// - each sample its scope covers (stopping once n matches are found for match number n > 0)
//   or the scope variable (unset or empty: no match); each element the selector selects, in
//   document order, gives its JSoup text() (attribute empty) or its attribute's value ("" if
//   absent);
// - match number n > 0: `name` = the n-th (left as it was past the end); 0 (also empty or
//   not a number): one at random; < 0: `name_1`..`name_N` and `name_matchNr` = N;
// - `name_matchNr` from an earlier run is removed and `name_N` beyond the kept ones with it;
// - a selector that does not parse leaves the default (JMeter logs JSoup's error).
//
// RunXPathAssertion (XPathAssertion + XPathUtil.computeAssertionResult), on the sample's
// body or the scope variable's value:
// - empty: failure "Response was null";
// - does not parse: error "SAXException: <parser message>" (libxml2's words, not Xerces');
// - expression error: error "TransformerException: <libxml2 message> for:<xpath>";
// - node set: empty fails with "No Nodes Matched <xpath>"; non-empty passes; "negate"
//   swaps the outcome, a negated match failing with "Specified XPath was found... Turn off
//   negate if this is not desired" and a
//   negated empty set passing with the message "No Nodes Matched <xpath>" (JMeter keeps it);
// - boolean: false as an empty set (negate applies), true always passes;
// - number or string: failure "Cannot understand: <xpath>".
//
// Threading: both run on the virtual user's event-loop thread; the plan node is only read.
#ifndef BARRAGE_WORKER_XML_PROCESSORS_H_
#define BARRAGE_WORKER_XML_PROCESSORS_H_

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

void RunXPathExtractor(const XPathExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

void RunHtmlExtractor(const HtmlExtractor& extractor, const SampleResult& result, ThreadContext& ctx);

AssertionResult RunXPathAssertion(const XPathAssertion& assertion, const SampleResult& result, ThreadContext& ctx);

// MD5Hex Assertion: empty body: failure "Response was null"; empty expected sum: failure
// "MD5Hex to test against is empty"; else the body's MD5 (lower-case hex) must equal the
// expected one ignoring case: "Error asserting MD5 sum : got <md5> but should have been
// <expected>".
AssertionResult RunMd5HexAssertion(const Md5HexAssertion& assertion, const SampleResult& result, ThreadContext& ctx);

// XML Assertion: empty body: failure "Response was null"; a body that is not well-formed
// XML: failure with the parser's message (libxml2's words, where JMeter prints Xerces').
AssertionResult RunXmlAssertion(const Node& assertion, const SampleResult& result);

// HTML Assertion: empty body: failure "Response was null"; else the body is parsed with
// libxml2's HTML parser, whose errors and warnings stand in for JTidy's (the counts differ
// from Tidy's for the same page: Tidy also reports style issues libxml2 accepts). More
// errors than allowed, or (unless "errors only") more warnings than allowed: failure "Tidy
// Parser errors:   <e> (allowed <E>) Tidy Parser warnings: <w> (allowed <W>)". The doctype
// and format options do not change the count; the report file is not written.
AssertionResult RunHtmlAssertion(const HtmlAssertion& assertion, const SampleResult& result);

// XML Schema Assertion: empty body: failure "Response was null"; no file name: failure
// "FileName is required"; an XSD that cannot be read or parsed: error "<file>: <reason>";
// a body that is not well-formed: failure "fatal: <message>"; a document the schema
// rejects: failure "error: <libxml2's first validation message>". Schemas are parsed once
// per thread and file.
AssertionResult RunXmlSchemaAssertion(const XmlSchemaAssertion& assertion, const SampleResult& result,
                                      ThreadContext& ctx);

}  // namespace barrage

#endif  // BARRAGE_WORKER_XML_PROCESSORS_H_
