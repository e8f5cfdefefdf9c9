// CSS selectors as JSoup (JMeter's CSS Selector Extractor, default implementation) reads
// them, matched over a libxml2 HTML tree (common/xml_document.h parses it). In common/ so the
// plan compiler can check a selector; the engine matches with it.
//
// Supported, as in JSoup's Selector: `*`, `tag`, `#id`, `.class` (case-insensitive),
// `[attr]`, `[^attrPrefix]`, `[attr=v]`, `[attr!=v]`, `[attr^=v]`, `[attr$=v]`, `[attr*=v]`
// (names and values case-insensitive, values trimmed, quotes optional), `[attr~=regex]`
// (found anywhere in the value; std::regex ECMAScript standing in for java.util.regex), the combinators
// descendant (` `), child (`>`), adjacent (`+`) and general sibling (`~`), groups (`,`),
// and the pseudo-classes `:eq(n)`, `:lt(n)`, `:gt(n)` (0-based index among the element's
// siblings), `:first-child`, `:last-child`, `:only-child`, `:nth-child(an+b|odd|even)`,
// `:contains(text)` (case-insensitive, in the element's text) and `:has(selector)`.
// Anything else is an error naming the selector and the position.
//
// Select returns the matching elements under (and including) a root in document order,
// each once. Threading: a parsed selector is immutable and can be shared.
#ifndef BARRAGE_COMMON_CSS_SELECTOR_H_
#define BARRAGE_COMMON_CSS_SELECTOR_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct _xmlNode;

namespace barrage {

class CssSelector {
 public:
  static Result<CssSelector> Parse(std::string_view text);

  bool Matches(const _xmlNode* element) const;
  std::vector<const _xmlNode*> Select(const _xmlNode* root) const;

  struct Group;  // internal

 private:
  std::shared_ptr<const Group> group_;
};

// JSoup's Element.text(): the text of the element and its descendants, whitespace runs
// collapsed to one space, a space before a block element or <br> that follows text, trimmed.
std::string JsoupText(const _xmlNode* element);
// JSoup's Element.attr(name): the attribute's value (name case-insensitive), "" when absent.
std::string JsoupAttr(const _xmlNode* element, std::string_view name);

}  // namespace barrage

#endif  // BARRAGE_COMMON_CSS_SELECTOR_H_
