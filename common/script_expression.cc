// EvaluateScript: the one-line JEXL/Groovy/JavaScript expressions plans put in If and While
// controllers. One pass: a lazy lexer over the text and a recursive-descent parser that
// evaluates as it parses (with evaluation switched off on the side && and || skip), so the
// only allocations are for escaped string literals and property values.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/functions.h"
#include "common/utf8.h"

namespace barrage {
namespace {

enum class Tok {
  kEnd,
  kString,
  kNumber,
  kIdent,
  kDot,
  kLParen,
  kRParen,
  kComma,
  kEq,
  kNe,
  kStrictEq,
  kStrictNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr,
  kNot,
  kMinus,
  kSemicolon,
};

struct Token {
  Tok type = Tok::kEnd;
  std::string_view text;  // string literal: the content between the quotes, still escaped
  size_t pos = 0;
  bool escaped = false;  // string literal with backslash escapes
};

struct Number {
  bool integral = false;
  int64_t i = 0;
  double d = 0;
};

// Parses a whole decimal number ("12", "-3", "1.5", "2e3"); false when `s` is not one.
bool ParseNumber(std::string_view s, Number* n) {
  if (s.empty()) return false;
  size_t start = s[0] == '+' ? 1 : 0;
  if (start == s.size()) return false;
  const char* first = s.data() + start;
  const char* last = s.data() + s.size();
  bool plain_integer = true;
  for (const char* p = first; p < last; ++p) {
    if (!(*p >= '0' && *p <= '9') && !(p == first && *p == '-')) plain_integer = false;
  }
  if (plain_integer) {
    auto [end, ec] = std::from_chars(first, last, n->i);
    if (ec == std::errc() && end == last) {
      n->integral = true;
      n->d = static_cast<double>(n->i);
      return true;
    }
  }
  // from_chars also takes "inf"/"nan": only accept digits, '.', exponent and a sign.
  for (const char* p = first; p < last; ++p) {
    char c = *p;
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
      return false;
    }
  }
  auto [end, ec] = std::from_chars(first, last, n->d);
  if (ec != std::errc() || end != last) return false;
  n->integral = false;
  return true;
}

class Operand {
 public:
  enum class Kind { kNull, kBool, kNumber, kString };

  static Operand Null() { return Operand(); }
  static Operand Bool(bool b) {
    Operand o;
    o.kind_ = Kind::kBool;
    o.bool_ = b;
    return o;
  }
  static Operand NumberOf(std::string_view text, const Number& n) {
    Operand o;
    o.kind_ = Kind::kNumber;
    o.view_ = text;
    o.number_ = n;
    return o;
  }
  static Operand String(std::string_view view) {
    Operand o;
    o.kind_ = Kind::kString;
    o.view_ = view;
    return o;
  }
  static Operand OwnedString(std::string s) {
    Operand o;
    o.kind_ = Kind::kString;
    o.owned_ = std::move(s);
    o.uses_owned_ = true;
    return o;
  }

  Kind kind() const { return kind_; }
  bool boolean() const { return bool_; }
  const Number& number() const { return number_; }
  // The text of a string or of a number as written.
  std::string_view text() const { return uses_owned_ ? std::string_view(owned_) : view_; }

  // A number, or a string that is one ("5" < 10).
  bool AsNumber(Number* n) const {
    if (kind_ == Kind::kNumber) {
      *n = number_;
      return true;
    }
    return kind_ == Kind::kString && ParseNumber(text(), n);
  }

  // JEXL's truth: false, null, 0, "" and "false" are false.
  bool Truthy() const {
    switch (kind_) {
      case Kind::kNull: return false;
      case Kind::kBool: return bool_;
      case Kind::kNumber: return number_.d != 0;
      case Kind::kString: return !text().empty() && text() != "false";
    }
    return false;
  }

  Operand Negated() const {
    Operand o;
    o.kind_ = Kind::kNumber;
    o.number_.integral = number_.integral && number_.i != INT64_MIN;
    o.number_.i = o.number_.integral ? -number_.i : 0;
    o.number_.d = -number_.d;
    std::string_view t = text();
    o.owned_ = (!t.empty() && t[0] == '-') ? std::string(t.substr(1)) : "-" + std::string(t);
    o.uses_owned_ = true;
    return o;
  }

  std::string ToResult() const {
    switch (kind_) {
      case Kind::kNull: return "";
      case Kind::kBool: return bool_ ? "true" : "false";
      default: return std::string(text());
    }
  }

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  Number number_;
  std::string_view view_;
  std::string owned_;
  bool uses_owned_ = false;
};

int CompareNumbers(const Number& a, const Number& b) {
  if (a.integral && b.integral) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
}

// ==: numbers numerically (a number against a numeric string too), strings by content,
// null only equals null, a boolean against a string by its name ("true").
bool Equal(const Operand& a, const Operand& b) {
  using K = Operand::Kind;
  if (a.kind() == K::kNull || b.kind() == K::kNull) return a.kind() == b.kind();
  if (a.kind() == K::kBool || b.kind() == K::kBool) {
    if (a.kind() == K::kBool && b.kind() == K::kBool) return a.boolean() == b.boolean();
    const Operand& boolean = a.kind() == K::kBool ? a : b;
    const Operand& other = a.kind() == K::kBool ? b : a;
    return other.kind() == K::kString && other.text() == (boolean.boolean() ? "true" : "false");
  }
  if (a.kind() == K::kNumber || b.kind() == K::kNumber) {
    Number x, y;
    if (a.AsNumber(&x) && b.AsNumber(&y)) {
      if (!x.integral || !y.integral) return x.d == y.d;
      return x.i == y.i;
    }
    return false;
  }
  return a.text() == b.text();
}

// < > <= >=: numerically when both are numbers (or one is and the other a numeric
// string), by content when both are strings; anything else compares false.
std::optional<int> Compare(const Operand& a, const Operand& b) {
  using K = Operand::Kind;
  if (a.kind() == K::kNull || b.kind() == K::kNull) return std::nullopt;
  if (a.kind() == K::kBool || b.kind() == K::kBool) return std::nullopt;
  if (a.kind() == K::kString && b.kind() == K::kString) {
    int c = a.text().compare(b.text());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  Number x, y;
  if (!a.AsNumber(&x) || !b.AsNumber(&y)) return std::nullopt;
  if (std::isnan(x.d) || std::isnan(y.d)) return std::nullopt;
  return CompareNumbers(x, y);
}

class ScriptParser {
 public:
  ScriptParser(std::string_view expression, ThreadContext& ctx) : s_(expression), ctx_(ctx) {}

  Result<std::string> Run() {
    if (!Advance()) return status_;
    if (tok_.type == Tok::kEnd) {
      Unsupported("empty expression", tok_.pos);
      return status_;
    }
    Operand value;
    if (!ParseOr(true, &value)) return status_;
    if (tok_.type == Tok::kSemicolon && !Advance()) return status_;
    if (tok_.type != Tok::kEnd) {
      Unsupported(Describe(tok_), tok_.pos);
      return status_;
    }
    return value.ToResult();
  }

 private:
  // ---- errors

  std::string Quoted() const { return "script expression \"" + std::string(s_) + "\": "; }
  static std::string Column(size_t pos) { return " at column " + std::to_string(pos + 1); }

  // Both record the error and return false, so parsing stops.
  bool Unsupported(const std::string& what, size_t pos) {
    status_ = Status::Unsupported("unsupported " + Quoted() + what + Column(pos));
    return false;
  }
  bool Failed(const std::string& what, size_t pos) {
    status_ = Status::InvalidArgument(Quoted() + what + Column(pos));
    return false;
  }

  std::string Describe(const Token& t) const {
    switch (t.type) {
      case Tok::kEnd: return "unexpected end";
      case Tok::kString: return "unexpected string \"" + std::string(t.text) + "\"";
      case Tok::kIdent: return "unknown name '" + std::string(t.text) + "'";
      default: return "unexpected '" + std::string(t.text) + "'";
    }
  }

  // ---- lexer

  static bool IsIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  bool Advance() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
    tok_ = Token();
    tok_.pos = pos_;
    if (pos_ >= s_.size()) return true;
    char c = s_[pos_];
    auto two = [&](char next) { return pos_ + 1 < s_.size() && s_[pos_ + 1] == next; };
    auto emit = [&](Tok type, size_t len) {
      tok_.type = type;
      tok_.text = s_.substr(pos_, len);
      pos_ += len;
      return true;
    };
    if (c == '"' || c == '\'') {
      size_t p = pos_ + 1;
      bool escaped = false;
      while (p < s_.size() && s_[p] != c) {
        if (s_[p] == '\\') {
          escaped = true;
          ++p;
        }
        ++p;
      }
      if (p >= s_.size()) return Unsupported("unterminated string", pos_);
      tok_.type = Tok::kString;
      tok_.text = s_.substr(pos_ + 1, p - pos_ - 1);
      tok_.escaped = escaped;
      pos_ = p + 1;
      return true;
    }
    if (IsDigit(c)) {
      size_t p = pos_;
      while (p < s_.size() && IsDigit(s_[p])) ++p;
      if (p + 1 < s_.size() && s_[p] == '.' && IsDigit(s_[p + 1])) {
        ++p;
        while (p < s_.size() && IsDigit(s_[p])) ++p;
      }
      if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
        size_t q = p + 1;
        if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
        if (q < s_.size() && IsDigit(s_[q])) {
          p = q;
          while (p < s_.size() && IsDigit(s_[p])) ++p;
        }
      }
      if (p < s_.size() && (IsIdentStart(s_[p]) || IsDigit(s_[p]))) {
        return Unsupported("malformed number '" + std::string(s_.substr(pos_, p + 1 - pos_)) + "'",
                           pos_);
      }
      return emit(Tok::kNumber, p - pos_);
    }
    if (IsIdentStart(c)) {
      size_t p = pos_;
      while (p < s_.size() && (IsIdentStart(s_[p]) || IsDigit(s_[p]))) ++p;
      return emit(Tok::kIdent, p - pos_);
    }
    if (c == '$' && two('{')) {
      size_t close = s_.find('}', pos_);
      std::string ref(s_.substr(pos_, close == std::string_view::npos ? 2 : close + 1 - pos_));
      return Failed("variable reference " + ref + " is not set", pos_);
    }
    switch (c) {
      case '.': return emit(Tok::kDot, 1);
      case '(': return emit(Tok::kLParen, 1);
      case ')': return emit(Tok::kRParen, 1);
      case ',': return emit(Tok::kComma, 1);
      case ';': return emit(Tok::kSemicolon, 1);
      case '-': return emit(Tok::kMinus, 1);
      case '=':
        if (two('=')) {
          bool strict = pos_ + 2 < s_.size() && s_[pos_ + 2] == '=';
          return emit(strict ? Tok::kStrictEq : Tok::kEq, strict ? 3 : 2);
        }
        break;
      case '!':
        if (two('=')) {
          bool strict = pos_ + 2 < s_.size() && s_[pos_ + 2] == '=';
          return emit(strict ? Tok::kStrictNe : Tok::kNe, strict ? 3 : 2);
        }
        return emit(Tok::kNot, 1);
      case '<': return two('=') ? emit(Tok::kLe, 2) : emit(Tok::kLt, 1);
      case '>': return two('=') ? emit(Tok::kGe, 2) : emit(Tok::kGt, 1);
      case '&':
        if (two('&')) return emit(Tok::kAnd, 2);
        break;
      case '|':
        if (two('|')) return emit(Tok::kOr, 2);
        break;
    }
    // Operators outside the grammar: name them as written.
    constexpr std::string_view kOperatorChars = "=!<>&|+*/%^~?:";
    size_t p = pos_ + std::min(Utf8SequenceLength(static_cast<unsigned char>(c)), s_.size() - pos_);
    if (kOperatorChars.find(c) != std::string_view::npos) {
      while (p < s_.size() && kOperatorChars.find(s_[p]) != std::string_view::npos) ++p;
    }
    return Unsupported("unexpected '" + std::string(s_.substr(pos_, p - pos_)) + "'", pos_);
  }

  static std::string Spelled(const Token& t) {
    switch (t.type) {
      case Tok::kEnd: return "the end";
      case Tok::kString: return "\"" + std::string(t.text) + "\"";
      default: return "'" + std::string(t.text) + "'";
    }
  }

  bool Expect(Tok type, const char* what) {
    if (tok_.type != type) {
      return Unsupported("expected " + std::string(what) + " instead of " + Spelled(tok_),
                         tok_.pos);
    }
    return Advance();
  }

  // ---- grammar (lowest precedence first)

  bool ParseOr(bool eval, Operand* out) {
    if (!ParseAnd(eval, out)) return false;
    while (tok_.type == Tok::kOr) {
      if (!Advance()) return false;
      bool left = eval && out->Truthy();
      Operand right;
      if (!ParseAnd(eval && !left, &right)) return false;
      if (eval) *out = Operand::Bool(left || right.Truthy());
    }
    return true;
  }

  bool ParseAnd(bool eval, Operand* out) {
    if (!ParseEquality(eval, out)) return false;
    while (tok_.type == Tok::kAnd) {
      if (!Advance()) return false;
      bool left = eval && out->Truthy();
      Operand right;
      if (!ParseEquality(eval && left, &right)) return false;
      if (eval) *out = Operand::Bool(left && right.Truthy());
    }
    return true;
  }

  bool ParseEquality(bool eval, Operand* out) {
    if (!ParseRelational(eval, out)) return false;
    while (tok_.type == Tok::kEq || tok_.type == Tok::kNe || tok_.type == Tok::kStrictEq ||
           tok_.type == Tok::kStrictNe) {
      bool negate = tok_.type == Tok::kNe || tok_.type == Tok::kStrictNe;
      // JavaScript's === and !==: no conversion between strings, numbers and booleans.
      bool strict = tok_.type == Tok::kStrictEq || tok_.type == Tok::kStrictNe;
      if (!Advance()) return false;
      Operand right;
      if (!ParseRelational(eval, &right)) return false;
      if (!eval) continue;
      bool equal = (!strict || out->kind() == right.kind()) && Equal(*out, right);
      *out = Operand::Bool(equal != negate);
    }
    return true;
  }

  bool ParseRelational(bool eval, Operand* out) {
    if (!ParseUnary(eval, out)) return false;
    while (tok_.type == Tok::kLt || tok_.type == Tok::kGt || tok_.type == Tok::kLe ||
           tok_.type == Tok::kGe) {
      Tok op = tok_.type;
      if (!Advance()) return false;
      Operand right;
      if (!ParseUnary(eval, &right)) return false;
      if (!eval) continue;
      std::optional<int> c = Compare(*out, right);
      bool r = c && ((op == Tok::kLt && *c < 0) || (op == Tok::kGt && *c > 0) ||
                     (op == Tok::kLe && *c <= 0) || (op == Tok::kGe && *c >= 0));
      *out = Operand::Bool(r);
    }
    return true;
  }

  bool ParseUnary(bool eval, Operand* out) {
    if (tok_.type == Tok::kNot) {
      if (!Advance()) return false;
      if (!ParseUnary(eval, out)) return false;
      if (eval) *out = Operand::Bool(!out->Truthy());
      return true;
    }
    if (tok_.type == Tok::kMinus) {
      size_t at = tok_.pos;
      if (!Advance()) return false;
      if (!ParseUnary(eval, out)) return false;
      if (!eval) return true;
      Number n;
      if (!out->AsNumber(&n)) return Failed("'-' needs a number", at);
      *out = Operand::NumberOf(out->text(), n).Negated();
      return true;
    }
    return ParsePostfix(eval, out);
  }

  bool ParsePostfix(bool eval, Operand* out) {
    if (!ParsePrimary(eval, out)) return false;
    while (tok_.type == Tok::kDot) {
      if (!Advance()) return false;
      Token method = tok_;
      if (method.type != Tok::kIdent || method.text != "equals") {
        return Unsupported(method.type == Tok::kIdent ? "method '" + std::string(method.text) + "'"
                                                      : Describe(method),
                           method.pos);
      }
      if (!Advance() || !Expect(Tok::kLParen, "'('")) return false;
      Operand arg;
      if (!ParseOr(eval, &arg)) return false;
      if (!Expect(Tok::kRParen, "')'")) return false;
      if (!eval) continue;
      if (out->kind() == Operand::Kind::kNull) {
        return Failed("equals called on null", method.pos);
      }
      // Java's equals: same type and same value.
      bool same = out->kind() == arg.kind() &&
                  (out->kind() == Operand::Kind::kBool ? out->boolean() == arg.boolean()
                                                       : out->text() == arg.text());
      *out = Operand::Bool(same);
    }
    return true;
  }

  bool ParsePrimary(bool eval, Operand* out) {
    Token t = tok_;
    switch (t.type) {
      case Tok::kString:
        if (!Advance()) return false;
        *out = t.escaped ? Operand::OwnedString(Unescape(t.text)) : Operand::String(t.text);
        return true;
      case Tok::kNumber: {
        if (!Advance()) return false;
        Number n;
        ParseNumber(t.text, &n);
        *out = Operand::NumberOf(t.text, n);
        return true;
      }
      case Tok::kLParen:
        if (!Advance()) return false;
        if (!ParseOr(eval, out)) return false;
        return Expect(Tok::kRParen, "')'");
      case Tok::kIdent:
        if (t.text == "true" || t.text == "false") {
          *out = Operand::Bool(t.text == "true");
          return Advance();
        }
        if (t.text == "null") {
          *out = Operand::Null();
          return Advance();
        }
        if (t.text == "vars" || t.text == "props") return ParseLookup(eval, out);
        return Unsupported(Describe(t), t.pos);
      default: return Unsupported(Describe(t), t.pos);
    }
  }

  // vars.get(name), props.get(name), props.getProperty(name[, default]).
  bool ParseLookup(bool eval, Operand* out) {
    bool props = tok_.text == "props";
    if (!Advance()) return false;
    if (!Expect(Tok::kDot, "'.'")) return false;
    Token method = tok_;
    bool get = method.type == Tok::kIdent && method.text == "get";
    bool get_property = props && method.type == Tok::kIdent && method.text == "getProperty";
    if (!get && !get_property) {
      return Unsupported(method.type == Tok::kIdent
                             ? "method '" + std::string(props ? "props." : "vars.") +
                                   std::string(method.text) + "'"
                             : Describe(method),
                         method.pos);
    }
    if (!Advance() || !Expect(Tok::kLParen, "'('")) return false;
    Operand name;
    if (!ParseOr(eval, &name)) return false;
    Operand fallback;
    bool has_fallback = false;
    if (get_property && tok_.type == Tok::kComma) {
      if (!Advance() || !ParseOr(eval, &fallback)) return false;
      has_fallback = true;
    }
    if (!Expect(Tok::kRParen, "')'")) return false;
    if (!eval) return true;
    std::string key = name.ToResult();
    if (props) {
      std::optional<std::string> v;
      if (ctx_.run != nullptr) v = ctx_.run->properties.Get(key);
      if (v) {
        *out = Operand::OwnedString(std::move(*v));
      } else {
        *out = has_fallback ? std::move(fallback) : Operand::Null();
      }
    } else {
      const std::string* v = ctx_.vars.Get(key);
      *out = v ? Operand::String(*v) : Operand::Null();
    }
    return true;
  }

  static std::string Unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\' || i + 1 >= s.size()) {
        out.push_back(s[i]);
        continue;
      }
      char e = s[++i];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        default: out.push_back(e); break;  // \" \' \\ and anything else: the character
      }
    }
    return out;
  }

  std::string_view s_;
  ThreadContext& ctx_;
  size_t pos_ = 0;
  Token tok_;
  Status status_;
};

}  // namespace

Result<std::string> EvaluateScript(std::string_view expression, ThreadContext& ctx) {
  return ScriptParser(expression, ctx).Run();
}

}  // namespace barrage
