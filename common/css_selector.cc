#include "common/css_selector.h"

#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>
#include <set>
#include <utility>

namespace barrage {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

const char* Name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

bool IsElement(const xmlNode* n) { return n != nullptr && n->type == XML_ELEMENT_NODE; }

const xmlNode* ParentElement(const xmlNode* e) { return IsElement(e->parent) ? e->parent : nullptr; }

const xmlNode* PreviousElement(const xmlNode* e) {
  for (const xmlNode* n = e->prev; n != nullptr; n = n->prev) {
    if (IsElement(n)) return n;
  }
  return nullptr;
}

// 0-based index among the parent's element children, and their count.
std::pair<int, int> SiblingIndex(const xmlNode* e) {
  int index = 0, count = 0;
  const xmlNode* first = e->parent != nullptr ? e->parent->children : e;
  for (const xmlNode* n = first; n != nullptr; n = n->next) {
    if (!IsElement(n)) continue;
    if (n == e) index = count;
    ++count;
  }
  return {index, count};
}

bool IsBlockTag(std::string_view tag) {
  static const std::set<std::string_view> kBlock = {
      "html",   "head",       "body",     "frameset", "script",  "noscript",   "style",  "meta",
      "link",   "title",      "frame",    "noframes", "section", "nav",        "aside",  "hgroup",
      "header", "footer",     "p",        "h1",       "h2",      "h3",         "h4",     "h5",
      "h6",     "ul",         "ol",       "pre",      "div",     "blockquote", "hr",     "address",
      "figure", "figcaption", "form",     "fieldset", "ins",     "del",        "dl",     "dt",
      "dd",     "li",         "table",    "caption",  "thead",   "tfoot",      "tbody",  "colgroup",
      "col",    "tr",         "th",       "td",       "video",   "audio",      "canvas", "details",
      "menu",   "plaintext",  "template", "article",  "main",    "svg",        "math",   "center"};
  return kBlock.count(tag) > 0;
}

void AccumulateText(const xmlNode* e, std::string* out) {
  for (const xmlNode* n = e->children; n != nullptr; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      std::string_view parent = Name(e);
      if (parent == "script" || parent == "style") continue;  // JSoup's DataNodes
      const char* text = reinterpret_cast<const char*>(n->content);
      for (const char* p = text; p != nullptr && *p != '\0'; ++p) {
        if (IsSpace(*p)) {
          if (!out->empty() && out->back() != ' ') out->push_back(' ');
        } else {
          out->push_back(*p);
        }
      }
    } else if (IsElement(n)) {
      std::string_view tag = Name(n);
      if (!out->empty() && (IsBlockTag(tag) || tag == "br") && out->back() != ' ') out->push_back(' ');
      AccumulateText(n, out);
    }
  }
}

const xmlAttr* FindAttr(const xmlNode* e, std::string_view name) {
  for (const xmlAttr* a = e->properties; a != nullptr; a = a->next) {
    const char* n = reinterpret_cast<const char*>(a->name);
    if (std::strlen(n) == name.size() && strncasecmp(n, name.data(), name.size()) == 0) return a;
  }
  return nullptr;
}

std::string AttrValue(const xmlAttr* a) {
  xmlChar* v = xmlNodeListGetString(a->doc, a->children, 1);
  std::string out = v != nullptr ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The parsed form.

struct CssCondition {
  enum class Kind {
    kTag,
    kId,
    kClass,
    kHasAttr,
    kAttrPrefix,
    kAttrEq,
    kAttrNe,
    kAttrStart,
    kAttrEnd,
    kAttrContains,
    kAttrRegex,
    kEq,
    kLt,
    kGt,
    kFirstChild,
    kLastChild,
    kOnlyChild,
    kNthChild,
    kContains,
    kHas
  };
  Kind kind;
  std::string name;                               // tag, id, class, attribute (lower case where JSoup compares so)
  std::string value;                              // attribute value (lower case), :contains text (lower case)
  int a = 0, b = 0;                               // :eq/:lt/:gt n in b; :nth-child an+b
  std::shared_ptr<const CssSelector::Group> sub;  // :has
  std::shared_ptr<const std::regex> regex;        // [attr~=regex]
};

struct CssComplex {
  std::vector<std::vector<CssCondition>> parts;  // compound selectors, left to right
  std::vector<char> combinators;                 // between parts[i] and parts[i + 1]
};

struct CssSelector::Group {
  std::vector<CssComplex> alternatives;
};

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<std::shared_ptr<const CssSelector::Group>> ParseAll() {
    auto group = ParseGroup();
    if (!error_.empty()) return Status::InvalidArgument(error_);
    SkipSpace();
    if (pos_ < s_.size()) return Status::InvalidArgument(Error("unexpected '" + std::string(1, s_[pos_]) + "'"));
    return group;
  }

 private:
  std::string Error(const std::string& what) {
    return "Could not parse CSS selector '" + std::string(s_) + "' at position " + std::to_string(pos_ + 1) + ": " +
           what;
  }
  void Fail(const std::string& what) {
    if (error_.empty()) error_ = Error(what);
  }
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  bool At(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  static bool IdentChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
  }
  std::string Ident() {
    size_t start = pos_;
    while (pos_ < s_.size() && IdentChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  std::shared_ptr<const CssSelector::Group> ParseGroup() {
    auto group = std::make_shared<CssSelector::Group>();
    while (error_.empty()) {
      group->alternatives.push_back(ParseComplex());
      SkipSpace();
      if (!At(',')) break;
      ++pos_;
    }
    return group;
  }

  CssComplex ParseComplex() {
    CssComplex c;
    SkipSpace();
    c.parts.push_back(ParseCompound());
    while (error_.empty()) {
      size_t before = pos_;
      SkipSpace();
      bool spaced = pos_ > before;
      if (At('>') || At('+') || At('~')) {
        c.combinators.push_back(s_[pos_++]);
        SkipSpace();
      } else if (spaced && pos_ < s_.size() && !At(',') && !At(')')) {
        c.combinators.push_back(' ');
      } else {
        pos_ = before;
        break;
      }
      c.parts.push_back(ParseCompound());
    }
    return c;
  }

  std::vector<CssCondition> ParseCompound() {
    std::vector<CssCondition> conditions;
    if (At('*')) {
      ++pos_;
      conditions.push_back({CssCondition::Kind::kTag, "*", "", 0, 0, nullptr, nullptr});
    } else if (pos_ < s_.size() && IdentChar(s_[pos_])) {
      conditions.push_back({CssCondition::Kind::kTag, Lower(Ident()), "", 0, 0, nullptr, nullptr});
    }
    while (error_.empty() && pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '#' || c == '.') {
        ++pos_;
        std::string name = Ident();
        if (name.empty()) Fail(std::string("a name must follow '") + c + "'");
        conditions.push_back({c == '#' ? CssCondition::Kind::kId : CssCondition::Kind::kClass,
                              c == '#' ? name : Lower(name), "", 0, 0, nullptr, nullptr});
      } else if (c == '[') {
        ++pos_;
        conditions.push_back(ParseAttribute());
      } else if (c == ':') {
        ++pos_;
        conditions.push_back(ParsePseudo());
      } else {
        break;
      }
    }
    if (conditions.empty())
      Fail(pos_ < s_.size() ? "unexpected '" + std::string(1, s_[pos_]) + "'" : "selector expected");
    return conditions;
  }

  CssCondition ParseAttribute() {
    SkipSpace();
    CssCondition cond{CssCondition::Kind::kHasAttr, "", "", 0, 0, nullptr, nullptr};
    if (At('^')) {
      ++pos_;
      cond.kind = CssCondition::Kind::kAttrPrefix;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && (IdentChar(s_[pos_]) || s_[pos_] == ':')) ++pos_;
    cond.name = Lower(s_.substr(start, pos_ - start));
    if (cond.name.empty()) Fail("attribute name expected");
    SkipSpace();
    if (At(']')) {
      ++pos_;
      return cond;
    }
    if (cond.kind == CssCondition::Kind::kAttrPrefix) Fail("']' expected");
    static const std::pair<std::string_view, CssCondition::Kind> kOps[] = {
        {"!=", CssCondition::Kind::kAttrNe},    {"^=", CssCondition::Kind::kAttrStart},
        {"$=", CssCondition::Kind::kAttrEnd},   {"*=", CssCondition::Kind::kAttrContains},
        {"~=", CssCondition::Kind::kAttrRegex}, {"=", CssCondition::Kind::kAttrEq}};
    bool found = false;
    for (const auto& [op, kind] : kOps) {
      if (s_.substr(pos_, op.size()) == op) {
        cond.kind = kind;
        pos_ += op.size();
        found = true;
        break;
      }
    }
    if (!found) {
      Fail("unsupported attribute operator");
      return cond;
    }
    SkipSpace();
    std::string value;
    if (At('"') || At('\'')) {
      char quote = s_[pos_++];
      size_t end = s_.find(quote, pos_);
      if (end == std::string_view::npos) {
        Fail("unterminated string");
        return cond;
      }
      value = s_.substr(pos_, end - pos_);
      pos_ = end + 1;
      SkipSpace();
    } else {
      size_t end = s_.find(']', pos_);
      if (end == std::string_view::npos) end = s_.size();
      value = s_.substr(pos_, end - pos_);
      pos_ = end;
    }
    if (!At(']')) {
      Fail("']' expected");
      return cond;
    }
    ++pos_;
    if (cond.kind == CssCondition::Kind::kAttrRegex) {
      try {
        cond.regex = std::make_shared<const std::regex>(Trim(value));
      } catch (const std::regex_error&) {
        Fail("bad regular expression '" + Trim(value) + "'");
      }
      return cond;
    }
    cond.value = Lower(Trim(value));
    return cond;
  }

  // The text between the parentheses (nested ones kept).
  std::string Argument() {
    if (!At('(')) {
      Fail("'(' expected");
      return "";
    }
    int depth = 0;
    size_t start = pos_ + 1;
    for (; pos_ < s_.size(); ++pos_) {
      if (s_[pos_] == '(') ++depth;
      if (s_[pos_] == ')' && --depth == 0) break;
    }
    if (pos_ >= s_.size()) {
      Fail("')' expected");
      return "";
    }
    std::string arg(s_.substr(start, pos_ - start));
    ++pos_;
    return Trim(arg);
  }

  int Number(const std::string& text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
      Fail("index must be a number: '" + text + "'");
      return 0;
    }
    return std::stoi(text);
  }

  CssCondition ParsePseudo() {
    std::string name = Lower(Ident());
    CssCondition cond{CssCondition::Kind::kFirstChild, "", "", 0, 0, nullptr, nullptr};
    if (name == "first-child") return cond;
    if (name == "last-child") return cond.kind = CssCondition::Kind::kLastChild, cond;
    if (name == "only-child") return cond.kind = CssCondition::Kind::kOnlyChild, cond;
    if (name == "eq" || name == "lt" || name == "gt") {
      cond.kind = name == "eq"   ? CssCondition::Kind::kEq
                  : name == "lt" ? CssCondition::Kind::kLt
                                 : CssCondition::Kind::kGt;
      cond.b = Number(Argument());
      return cond;
    }
    if (name == "nth-child") {
      cond.kind = CssCondition::Kind::kNthChild;
      ParseNth(Lower(Argument()), &cond);
      return cond;
    }
    if (name == "contains") {
      cond.kind = CssCondition::Kind::kContains;
      std::string arg = Argument();
      if (arg.size() >= 2 && (arg.front() == '"' || arg.front() == '\'') && arg.back() == arg.front()) {
        arg = arg.substr(1, arg.size() - 2);
      }
      cond.value = Lower(arg);
      return cond;
    }
    if (name == "has") {
      cond.kind = CssCondition::Kind::kHas;
      std::string arg = Argument();
      if (!error_.empty()) return cond;
      Parser inner(arg);
      auto sub = inner.ParseAll();
      if (!sub.ok()) {
        Fail(":has(" + arg + "): " + sub.status().message());
        return cond;
      }
      cond.sub = *sub;
      return cond;
    }
    Fail("unsupported pseudo-class ':" + name + "'");
    return cond;
  }

  void ParseNth(const std::string& arg, CssCondition* cond) {
    std::string t;
    for (char c : arg) {
      if (!IsSpace(c)) t.push_back(c);
    }
    if (t == "odd") t = "2n+1";
    if (t == "even") t = "2n";
    size_t n = t.find('n');
    if (n == std::string::npos) {
      cond->a = 0;
      cond->b = Number(t);
      return;
    }
    std::string a = t.substr(0, n), b = t.substr(n + 1);
    cond->a = a.empty() || a == "+" ? 1
              : a == "-"            ? -1
                                    : (a[0] == '-' ? -Number(a.substr(1)) : Number(a[0] == '+' ? a.substr(1) : a));
    if (b.empty()) {
      cond->b = 0;
    } else if (b[0] == '+' || b[0] == '-') {
      int v = Number(b.substr(1));
      cond->b = b[0] == '-' ? -v : v;
    } else {
      Fail("bad :nth-child argument '" + arg + "'");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

bool MatchesGroup(const CssSelector::Group& g, const xmlNode* e);

bool MatchesCondition(const CssCondition& c, const xmlNode* e) {
  switch (c.kind) {
    case CssCondition::Kind::kTag: return c.name == "*" || Lower(Name(e)) == c.name;
    case CssCondition::Kind::kId: {
      const xmlAttr* a = FindAttr(e, "id");
      return a != nullptr && AttrValue(a) == c.name;
    }
    case CssCondition::Kind::kClass: {
      const xmlAttr* a = FindAttr(e, "class");
      if (a == nullptr) return false;
      std::string classes = Lower(AttrValue(a));
      size_t i = 0;
      while (i < classes.size()) {
        while (i < classes.size() && IsSpace(classes[i])) ++i;
        size_t j = i;
        while (j < classes.size() && !IsSpace(classes[j])) ++j;
        if (j > i && classes.compare(i, j - i, c.name) == 0) return true;
        i = j;
      }
      return false;
    }
    case CssCondition::Kind::kHasAttr: return FindAttr(e, c.name) != nullptr;
    case CssCondition::Kind::kAttrPrefix:
      for (const xmlAttr* a = e->properties; a != nullptr; a = a->next) {
        if (Lower(reinterpret_cast<const char*>(a->name)).rfind(c.name, 0) == 0) return true;
      }
      return false;
    case CssCondition::Kind::kAttrEq:
    case CssCondition::Kind::kAttrNe:
    case CssCondition::Kind::kAttrStart:
    case CssCondition::Kind::kAttrEnd:
    case CssCondition::Kind::kAttrContains: {
      const xmlAttr* a = FindAttr(e, c.name);
      if (c.kind == CssCondition::Kind::kAttrNe) return a == nullptr || Lower(Trim(AttrValue(a))) != c.value;
      if (a == nullptr) return false;
      std::string v = Lower(AttrValue(a));
      if (c.kind == CssCondition::Kind::kAttrEq) return Trim(v) == c.value;
      if (c.kind == CssCondition::Kind::kAttrStart) return v.rfind(c.value, 0) == 0;
      if (c.kind == CssCondition::Kind::kAttrEnd) {
        return v.size() >= c.value.size() && v.compare(v.size() - c.value.size(), c.value.size(), c.value) == 0;
      }
      return v.find(c.value) != std::string::npos;
    }
    case CssCondition::Kind::kAttrRegex: {
      const xmlAttr* a = FindAttr(e, c.name);
      return a != nullptr && std::regex_search(AttrValue(a), *c.regex);
    }
    case CssCondition::Kind::kEq: return ParentElement(e) != nullptr && SiblingIndex(e).first == c.b;
    case CssCondition::Kind::kLt: return ParentElement(e) != nullptr && SiblingIndex(e).first < c.b;
    case CssCondition::Kind::kGt: return ParentElement(e) != nullptr && SiblingIndex(e).first > c.b;
    case CssCondition::Kind::kFirstChild: return ParentElement(e) != nullptr && SiblingIndex(e).first == 0;
    case CssCondition::Kind::kLastChild: {
      auto [index, count] = SiblingIndex(e);
      return ParentElement(e) != nullptr && index == count - 1;
    }
    case CssCondition::Kind::kOnlyChild: return ParentElement(e) != nullptr && SiblingIndex(e).second == 1;
    case CssCondition::Kind::kNthChild: {
      if (ParentElement(e) == nullptr) return false;
      int pos = SiblingIndex(e).first + 1;
      if (c.a == 0) return pos == c.b;
      return (pos - c.b) % c.a == 0 && (pos - c.b) / c.a >= 0;
    }
    case CssCondition::Kind::kContains: return Lower(JsoupText(e)).find(c.value) != std::string::npos;
    case CssCondition::Kind::kHas: {
      std::vector<const xmlNode*> stack;
      for (const xmlNode* n = e->children; n != nullptr; n = n->next) stack.push_back(n);
      while (!stack.empty()) {
        const xmlNode* n = stack.back();
        stack.pop_back();
        if (!IsElement(n)) continue;
        if (MatchesGroup(*c.sub, n)) return true;
        for (const xmlNode* k = n->children; k != nullptr; k = k->next) stack.push_back(k);
      }
      return false;
    }
  }
  return false;
}

bool MatchesCompound(const std::vector<CssCondition>& conditions, const xmlNode* e) {
  return std::all_of(conditions.begin(), conditions.end(),
                     [e](const CssCondition& c) { return MatchesCondition(c, e); });
}

bool MatchesFrom(const CssComplex& c, size_t k, const xmlNode* e) {
  if (!MatchesCompound(c.parts[k], e)) return false;
  if (k == 0) return true;
  switch (c.combinators[k - 1]) {
    case ' ':
      for (const xmlNode* p = ParentElement(e); p != nullptr; p = ParentElement(p)) {
        if (MatchesFrom(c, k - 1, p)) return true;
      }
      return false;
    case '>': {
      const xmlNode* p = ParentElement(e);
      return p != nullptr && MatchesFrom(c, k - 1, p);
    }
    case '+': {
      const xmlNode* p = PreviousElement(e);
      return p != nullptr && MatchesFrom(c, k - 1, p);
    }
    default:
      for (const xmlNode* p = PreviousElement(e); p != nullptr; p = PreviousElement(p)) {
        if (MatchesFrom(c, k - 1, p)) return true;
      }
      return false;
  }
}

bool MatchesGroup(const CssSelector::Group& g, const xmlNode* e) {
  for (const CssComplex& c : g.alternatives) {
    if (MatchesFrom(c, c.parts.size() - 1, e)) return true;
  }
  return false;
}

void Collect(const CssSelector::Group& g, const xmlNode* n, std::vector<const xmlNode*>* out) {
  for (; n != nullptr; n = n->next) {
    if (!IsElement(n)) continue;
    if (MatchesGroup(g, n)) out->push_back(n);
    Collect(g, n->children, out);
  }
}

}  // namespace

Result<CssSelector> CssSelector::Parse(std::string_view text) {
  if (Trim(text).empty()) return Status::InvalidArgument("CSS selector must not be empty");
  Parser parser(text);
  Result<std::shared_ptr<const Group>> group = parser.ParseAll();
  if (!group.ok()) return group.status();
  CssSelector selector;
  selector.group_ = *group;
  return selector;
}

bool CssSelector::Matches(const _xmlNode* element) const {
  return IsElement(element) && MatchesGroup(*group_, element);
}

std::vector<const _xmlNode*> CssSelector::Select(const _xmlNode* root) const {
  std::vector<const _xmlNode*> out;
  if (root == nullptr) return out;
  if (IsElement(root)) {
    if (MatchesGroup(*group_, root)) out.push_back(root);
    Collect(*group_, root->children, &out);
  } else {
    Collect(*group_, root->children, &out);
  }
  return out;
}

std::string JsoupText(const _xmlNode* element) {
  std::string out;
  AccumulateText(element, &out);
  return Trim(out);
}

std::string JsoupAttr(const _xmlNode* element, std::string_view name) {
  const xmlAttr* a = FindAttr(element, name);
  return a != nullptr ? AttrValue(a) : "";
}

}  // namespace barrage
