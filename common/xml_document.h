// XML documents and XPath 1.0 for the XPath Extractor, the XPath Assertion and __XPath, on
// Debian's libxml2 (JMeter uses Xerces + Xalan, and JTidy for "Use Tidy").
//
// Parsing (JMeter's XPathUtil.makeDocument):
// - strict (tolerant = false): a well-formed XML document or an error (JMeter's
//   SAXException). Entities are not loaded from the network, external DTDs are not
//   fetched; `validate` validates against the document's internal DTD (libxml2's
//   XML_PARSE_DTDVALID), `whitespace` drops element-content whitespace (JMeter's
//   setIgnoringElementContentWhitespace, which only acts with a DTD).
// - tolerant ("Use Tidy"): libxml2's recovering XML parser, and its HTML parser when that
//   finds no element at all. This stands in for JTidy in XML mode: a broken document gives a
//   tree (not always JTidy's), never an error unless nothing parses.
// - namespaces = false (JMeter's default, a DOM that is not namespace aware): every element
//   and attribute loses its namespace and a prefixed one is named by its qualified name, so
//   `//item` finds `<item xmlns="u">` but neither `//item` nor `//p:item` finds `<p:item>`
//   (as JMeter 2.13 on Xalan); namespaces = true keeps them. Either way the prefixes declared on the document
//   element can be used in expressions (Xalan's PrefixResolverDefault on the document
//   element), plus any given in `extra_namespaces`.
//
// XPath results follow Xalan's XObject: a node set, a boolean, a number (printed as
// XPath's string() prints it: "3", "1.5", "NaN") or a string.
//
// Threading: an XmlDocument belongs to one thread at a time; libxml2 is initialised once
// (XmlInit, called by Parse).
#ifndef BARRAGE_COMMON_XML_DOCUMENT_H_
#define BARRAGE_COMMON_XML_DOCUMENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

struct _xmlDoc;
struct _xmlNode;

namespace barrage {

struct XmlParseOptions {
  bool tolerant = false;    // "Use Tidy"
  bool namespaces = false;  // "Use Namespaces"
  bool validate = false;    // "Validate XML"
  bool whitespace = false;  // "Ignore Whitespace"
};

// What an XPath expression evaluated to.
struct XPathValue {
  enum class Type { kNodeSet, kBoolean, kNumber, kString };
  Type type = Type::kNodeSet;
  std::vector<_xmlNode*> nodes;  // kNodeSet, in document order; owned by the document
  bool boolean = false;
  std::string text;  // kNumber and kString: the value as XPath's string() prints it
};

class XmlDocument {
 public:
  // Parses `text`. The error's message is the parser's first error ("Premature end of
  // file." for empty input).
  static Result<std::unique_ptr<XmlDocument>> Parse(std::string_view text, const XmlParseOptions& options);

  // Parses `text` as HTML with libxml2's HTML parser (recovering; never fails for text that
  // has any content). Stands in for JSoup's HTML parser in the CSS Selector Extractor.
  static std::unique_ptr<XmlDocument> ParseHtml(std::string_view text);

  ~XmlDocument();
  XmlDocument(const XmlDocument&) = delete;
  XmlDocument& operator=(const XmlDocument&) = delete;

  bool has_root() const;
  // The document node (its children are the root element and any DTD, comment, PI).
  const _xmlNode* document_node() const;

  // Evaluates `xpath` against the document (the context node is the document). Errors carry
  // libxml2's message ("Invalid expression", "Undefined namespace prefix", ...).
  Result<XPathValue> Evaluate(std::string_view xpath,
                              const std::vector<std::pair<std::string, std::string>>& extra_namespaces = {}) const;

  // The value JMeter's XPath Extractor takes from a matched node (XPathUtil): an element's
  // first child's DOM nodeValue (nullopt when it has no child or that child is an element),
  // an attribute's value, a text, CDATA, comment or processing instruction's text; nullopt
  // for the document node.
  static std::optional<std::string> ExtractorValue(const _xmlNode* node);
  // The node serialised as XML without a declaration (the extractor's "fragment" mode).
  static std::string Serialize(const _xmlNode* node);
  // The string-value of a node (XPath string()).
  static std::string StringValue(const _xmlNode* node);

 private:
  explicit XmlDocument(_xmlDoc* doc) : doc_(doc) {}
  _xmlDoc* doc_;
};

// Initialises libxml2 once per process (safe to call from any thread, any number of times).
void XmlInit();

}  // namespace barrage

#endif  // BARRAGE_COMMON_XML_DOCUMENT_H_
