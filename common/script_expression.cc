// EvaluateScriptExpression: the one-line JEXL/Groovy/JavaScript expressions plans put in If and While
// controllers and script functions. One pass: a lazy lexer over the text and a
// recursive-descent parser that evaluates as it parses (with evaluation switched off on the
// side &&, || and ?: skip), so the only allocations are for strings a step produces.
//
// Numbers follow each language: JavaScript's are doubles; Groovy's integer literals are
// integers and its decimal literals BigDecimals (unscaled value and scale, as Java keeps
// them, so 1.50 prints "1.50" and 1.5 * 2 prints "3.0"); JEXL's are longs and doubles.
// Exact values are 128-bit; a result beyond that is Unsupported rather than wrong.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "common/functions.h"
#include "common/java_lang.h"
#include "common/script_internal.h"
#include "common/utf8.h"

namespace barrage {
namespace script_internal {

const char* KindName(Operand::Kind k) {
  switch (k) {
    case Operand::Kind::kNull: return "null";
    case Operand::Kind::kBool: return "a boolean";
    case Operand::Kind::kNumber: return "a number";
    case Operand::Kind::kString: return "a string";
  }
  return "";
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
    if (!a.AsNumber(&x) || !b.AsNumber(&y)) return false;
    std::optional<int> c = CompareNumbers(x, y);
    return c && *c == 0;
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
  return CompareNumbers(x, y);
}

const char* OpName(Tok op) {
  switch (op) {
    case Tok::kPlus: return "'+'";
    case Tok::kMinus: return "'-'";
    case Tok::kStar: return "'*'";
    case Tok::kSlash: return "'/'";
    default: return "'%'";
  }
}

constexpr MethodSpec kMethods[] = {
    {"equals", 1, 1},   {"equalsIgnoreCase", 1, 1}, {"toLowerCase", 0, 0}, {"toUpperCase", 0, 0},
    {"trim", 0, 0},     {"length", 0, 0},           {"size", 0, 0},        {"isEmpty", 0, 0},
    {"contains", 1, 1}, {"includes", 1, 1},         {"startsWith", 1, 1},  {"endsWith", 1, 1},
    {"indexOf", 1, 1},  {"substring", 1, 2},        {"replace", 2, 2},     {"toInteger", 0, 0},
};

const MethodSpec* FindMethod(std::string_view name) {
  for (const MethodSpec& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// ---- the parser

Result<std::string> ScriptParser::Run() {
  if (!Advance()) return status_;
  if (tok_.type == Tok::kEnd) {
    Unsupported("empty expression", tok_.pos);
    return status_;
  }
  Operand value;
  if (!ParseTernary(true, &value)) return status_;
  if (tok_.type == Tok::kSemicolon && !Advance()) return status_;
  if (tok_.type != Tok::kEnd) {
    Unsupported(Describe(tok_), tok_.pos);
    return status_;
  }
  return value.ToResult(dialect_);
}

// ---- errors

// Both record the error and return false, so parsing stops.
bool ScriptParser::Unsupported(const std::string& what, size_t pos) {
  status_ = Status::Unsupported("unsupported " + Quoted() + what + Column(pos));
  return false;
}

bool ScriptParser::Failed(const std::string& what, size_t pos) {
  status_ = Status::InvalidArgument(Quoted() + what + Column(pos));
  return false;
}

std::string ScriptParser::Describe(const Token& t) const {
  switch (t.type) {
    case Tok::kEnd: return "unexpected end";
    case Tok::kString: return "unexpected string \"" + std::string(t.text) + "\"";
    case Tok::kIdent: return "unknown name '" + std::string(t.text) + "'";
    default: return "unexpected '" + std::string(t.text) + "'";
  }
}

// ---- lexer

bool ScriptParser::IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool ScriptParser::Advance() {
  while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
    ++pos_;
  }
  tok_ = Token();
  tok_.pos = pos_;
  if (pos_ >= s_.size()) return true;
  char c = s_[pos_];
  auto next_is = [&](char next) { return pos_ + 1 < s_.size() && s_[pos_ + 1] == next; };
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
      return Unsupported("malformed number '" + std::string(s_.substr(pos_, p + 1 - pos_)) + "'", pos_);
    }
    return emit(Tok::kNumber, p - pos_);
  }
  if (IsIdentStart(c)) {
    size_t p = pos_;
    while (p < s_.size() && (IsIdentStart(s_[p]) || IsDigit(s_[p]))) ++p;
    return emit(Tok::kIdent, p - pos_);
  }
  if (c == '$' && next_is('{')) {
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
      if (next_is('=')) {
        bool strict = pos_ + 2 < s_.size() && s_[pos_ + 2] == '=';
        return emit(strict ? Tok::kStrictEq : Tok::kEq, strict ? 3 : 2);
      }
      break;
    case '!':
      if (next_is('=')) {
        bool strict = pos_ + 2 < s_.size() && s_[pos_ + 2] == '=';
        return emit(strict ? Tok::kStrictNe : Tok::kNe, strict ? 3 : 2);
      }
      return emit(Tok::kNot, 1);
    case '<': return next_is('=') ? emit(Tok::kLe, 2) : emit(Tok::kLt, 1);
    case '>': return next_is('=') ? emit(Tok::kGe, 2) : emit(Tok::kGt, 1);
    case '&':
      if (next_is('&')) return emit(Tok::kAnd, 2);
      break;
    case '|':
      if (next_is('|')) return emit(Tok::kOr, 2);
      break;
    // Not ++, +=, **, //, ?., ?? and the like: those are named whole below.
    case '+':
      if (!next_is('+') && !next_is('=')) return emit(Tok::kPlus, 1);
      break;
    case '*':
      if (!next_is('*') && !next_is('=')) return emit(Tok::kStar, 1);
      break;
    case '/':
      if (!next_is('/') && !next_is('*') && !next_is('=')) return emit(Tok::kSlash, 1);
      break;
    case '%':
      if (!next_is('=')) return emit(Tok::kPercent, 1);
      break;
    case '?':
      if (!next_is('.') && !next_is('?') && !next_is(':')) return emit(Tok::kQuestion, 1);
      break;
    case ':':
      if (!next_is(':')) return emit(Tok::kColon, 1);
      break;
  }
  // Operators outside the grammar: name them as written.
  constexpr std::string_view kOperatorChars = "=!<>&|+*/%^~?:.";
  size_t p = pos_ + std::min(Utf8SequenceLength(static_cast<unsigned char>(c)), s_.size() - pos_);
  if (kOperatorChars.find(c) != std::string_view::npos) {
    while (p < s_.size() && kOperatorChars.find(s_[p]) != std::string_view::npos) ++p;
  }
  return Unsupported("unexpected '" + std::string(s_.substr(pos_, p - pos_)) + "'", pos_);
}

std::string ScriptParser::Spelled(const Token& t) {
  switch (t.type) {
    case Tok::kEnd: return "the end";
    case Tok::kString: return "\"" + std::string(t.text) + "\"";
    default: return "'" + std::string(t.text) + "'";
  }
}

bool ScriptParser::Expect(Tok type, const char* what) {
  if (tok_.type != type) {
    return Unsupported("expected " + std::string(what) + " instead of " + Spelled(tok_), tok_.pos);
  }
  return Advance();
}

// ---- grammar (lowest precedence first)

bool ScriptParser::ParseTernary(bool eval, Operand* out) {
  if (!ParseOr(eval, out)) return false;
  if (tok_.type != Tok::kQuestion) return true;
  if (!Advance()) return false;
  bool condition = eval && out->Truthy(dialect_);
  Operand when_true, when_false;
  if (!ParseTernary(eval && condition, &when_true)) return false;
  if (!Expect(Tok::kColon, "':'")) return false;
  if (!ParseTernary(eval && !condition, &when_false)) return false;
  if (eval) *out = condition ? std::move(when_true) : std::move(when_false);
  return true;
}

// JavaScript's && and || give the deciding operand; Groovy's and JEXL's a boolean.
bool ScriptParser::ParseOr(bool eval, Operand* out) {
  if (!ParseAnd(eval, out)) return false;
  while (tok_.type == Tok::kOr) {
    if (!Advance()) return false;
    bool left = eval && out->Truthy(dialect_);
    Operand right;
    if (!ParseAnd(eval && !left, &right)) return false;
    if (!eval) continue;
    if (!js()) {
      *out = Operand::Bool(left || right.Truthy(dialect_));
    } else if (!left) {
      *out = std::move(right);
    }
  }
  return true;
}

bool ScriptParser::ParseAnd(bool eval, Operand* out) {
  if (!ParseEquality(eval, out)) return false;
  while (tok_.type == Tok::kAnd) {
    if (!Advance()) return false;
    bool left = eval && out->Truthy(dialect_);
    Operand right;
    if (!ParseEquality(eval && left, &right)) return false;
    if (!eval) continue;
    if (!js()) {
      *out = Operand::Bool(left && right.Truthy(dialect_));
    } else if (left) {
      *out = std::move(right);
    }
  }
  return true;
}

bool ScriptParser::ParseEquality(bool eval, Operand* out) {
  if (!ParseRelational(eval, out)) return false;
  while (tok_.type == Tok::kEq || tok_.type == Tok::kNe || tok_.type == Tok::kStrictEq || tok_.type == Tok::kStrictNe) {
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

bool ScriptParser::ParseRelational(bool eval, Operand* out) {
  if (!ParseAdditive(eval, out)) return false;
  while (tok_.type == Tok::kLt || tok_.type == Tok::kGt || tok_.type == Tok::kLe || tok_.type == Tok::kGe) {
    Tok op = tok_.type;
    if (!Advance()) return false;
    Operand right;
    if (!ParseAdditive(eval, &right)) return false;
    if (!eval) continue;
    std::optional<int> c = Compare(*out, right);
    bool r = c && ((op == Tok::kLt && *c < 0) || (op == Tok::kGt && *c > 0) || (op == Tok::kLe && *c <= 0) ||
                   (op == Tok::kGe && *c >= 0));
    *out = Operand::Bool(r);
  }
  return true;
}

bool ScriptParser::ParseAdditive(bool eval, Operand* out) {
  if (!ParseMultiplicative(eval, out)) return false;
  while (tok_.type == Tok::kPlus || tok_.type == Tok::kMinus) {
    Token op = tok_;
    if (!Advance()) return false;
    Operand right;
    if (!ParseMultiplicative(eval, &right)) return false;
    if (eval && !Arithmetic(op, out, right)) return false;
  }
  return true;
}

bool ScriptParser::ParseMultiplicative(bool eval, Operand* out) {
  if (!ParseUnary(eval, out)) return false;
  while (tok_.type == Tok::kStar || tok_.type == Tok::kSlash || tok_.type == Tok::kPercent) {
    Token op = tok_;
    if (!Advance()) return false;
    Operand right;
    if (!ParseUnary(eval, &right)) return false;
    if (eval && !Arithmetic(op, out, right)) return false;
  }
  return true;
}

bool ScriptParser::ParseUnary(bool eval, Operand* out) {
  if (tok_.type == Tok::kNot) {
    if (!Advance()) return false;
    if (!ParseUnary(eval, out)) return false;
    if (eval) *out = Operand::Bool(!out->Truthy(dialect_));
    return true;
  }
  if (tok_.type == Tok::kMinus || tok_.type == Tok::kPlus) {
    Token op = tok_;
    if (!Advance()) return false;
    if (!ParseUnary(eval, out)) return false;
    if (!eval) return true;
    Number n;
    if (js() && out->kind() != Operand::Kind::kNumber) {
      n = Number::Double(out->JsNumber());
    } else if (!out->AsNumber(&n)) {
      return Failed("'" + std::string(op.text) + "' needs a number", op.pos);
    }
    if (op.type == Tok::kMinus) {
      if (n.exact()) {
        n.unscaled = -n.unscaled;
      } else {
        n.d = -n.d;
      }
    }
    *out = Operand::Num(n);
    return true;
  }
  return ParsePostfix(eval, out);
}

// ---- primaries

bool ScriptParser::ParsePrimary(bool eval, Operand* out) {
  Token t = tok_;
  switch (t.type) {
    case Tok::kString:
      if (!Advance()) return false;
      *out = t.escaped ? Operand::OwnedString(Unescape(t.text)) : Operand::String(t.text);
      return true;
    case Tok::kNumber: {
      if (!Advance()) return false;
      Number n;
      if (!ParseLiteral(t.text, &n)) {
        return Unsupported("number '" + std::string(t.text) + "' beyond 128-bit precision", t.pos);
      }
      *out = Operand::Num(n);
      return true;
    }
    case Tok::kLParen:
      if (!Advance()) return false;
      if (!ParseTernary(eval, out)) return false;
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
      if (t.text == "parseInt" || t.text == "parseFloat" || t.text == "Number" || t.text == "String" ||
          t.text == "Integer") {
        return ParseFunction(eval, out);
      }
      return Unsupported(Describe(t), t.pos);
    default: return Unsupported(Describe(t), t.pos);
  }
}

// A number literal in the dialect's type: JavaScript's double (integers kept exact for
// comparisons), Groovy's Integer/BigDecimal, JEXL's Long/Double.
bool ScriptParser::ParseLiteral(std::string_view text, Number* n) {
  size_t exponent_at = text.find_first_of("eE");
  size_t point = text.find('.');
  if (exponent_at == std::string_view::npos && point == std::string_view::npos) {
    Int128 v = 0;
    for (char c : text) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) {
        if (!js()) return false;
        *n = Number::Double(ParseDouble(text));
        return true;
      }
    }
    *n = Number::Integer(v);
    return true;
  }
  if (dialect_ != ScriptDialect::kGroovy) {
    *n = Number::Double(ParseDouble(text));
    return true;
  }
  std::string_view mantissa = text.substr(0, exponent_at);
  int exponent = 0;
  if (exponent_at != std::string_view::npos) {
    std::string_view e = text.substr(exponent_at + 1);
    if (!e.empty() && e[0] == '+') e = e.substr(1);
    auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), exponent);
    if (ec != std::errc() || exponent > 1000 || exponent < -1000) return false;
  }
  Int128 v = 0;
  int fraction = 0;
  bool after_point = false;
  for (char c : mantissa) {
    if (c == '.') {
      after_point = true;
      continue;
    }
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) return false;
    if (after_point) ++fraction;
  }
  *n = Number::Decimal(v, fraction - exponent);
  return true;
}

// parseInt(x), parseFloat(x), Number(x), String(x), Integer.parseInt(x).
bool ScriptParser::ParseFunction(bool eval, Operand* out) {
  Token name = tok_;
  bool java_parse_int = name.text == "Integer";
  if (!Advance()) return false;
  if (java_parse_int) {
    if (!Expect(Tok::kDot, "'.'")) return false;
    if (tok_.type != Tok::kIdent || tok_.text != "parseInt") {
      return Unsupported(tok_.type == Tok::kIdent ? "method 'Integer." + std::string(tok_.text) + "'" : Describe(tok_),
                         tok_.pos);
    }
    name = tok_;
    if (!Advance()) return false;
  }
  std::array<Operand, 2> args;
  int count = 0;
  if (!ParseArguments(eval, name, &args, &count)) return false;
  if (count != 1) {
    return Unsupported("'" + std::string(name.text) + "' with " + std::to_string(count) + " arguments", name.pos);
  }
  if (!eval) return true;
  const Operand& arg = args[0];
  if (java_parse_int) {
    if (!arg.is_string()) return Failed("Integer.parseInt needs a string", name.pos);
    return JavaParseInt(name, arg.text(), out);
  }
  if (name.text == "String") {
    std::string s;
    arg.AppendTo(ScriptDialect::kJavaScript, &s);
    *out = Operand::OwnedString(std::move(s));
    return true;
  }
  if (name.text == "Number") {
    *out = Operand::Num(Number::Double(arg.JsNumber()));
    return true;
  }
  std::string storage;
  arg.AppendTo(ScriptDialect::kJavaScript, &storage);
  double v = name.text == "parseInt" ? JsParseInt(storage) : JsParseFloat(storage);
  *out = Operand::Num(Number::Double(v));
  return true;
}

// vars.get(name), props.get(name), props.getProperty(name[, default]).
bool ScriptParser::ParseLookup(bool eval, Operand* out) {
  bool props = tok_.text == "props";
  if (!Advance()) return false;
  if (!Expect(Tok::kDot, "'.'")) return false;
  Token method = tok_;
  bool get = method.type == Tok::kIdent && method.text == "get";
  bool get_property = props && method.type == Tok::kIdent && method.text == "getProperty";
  if (!get && !get_property) {
    return Unsupported(method.type == Tok::kIdent
                           ? "method '" + std::string(props ? "props." : "vars.") + std::string(method.text) + "'"
                           : Describe(method),
                       method.pos);
  }
  if (!Advance() || !Expect(Tok::kLParen, "'('")) return false;
  Operand name;
  if (!ParseTernary(eval, &name)) return false;
  Operand fallback;
  bool has_fallback = false;
  if (get_property && tok_.type == Tok::kComma) {
    if (!Advance() || !ParseTernary(eval, &fallback)) return false;
    has_fallback = true;
  }
  if (!Expect(Tok::kRParen, "')'")) return false;
  if (!eval) return true;
  std::string key = name.ToResult(dialect_);
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

std::string ScriptParser::Unescape(std::string_view s) {
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

}  // namespace script_internal

Result<std::string> EvaluateScriptExpression(std::string_view expression, ThreadContext& ctx, ScriptDialect dialect) {
  return script_internal::ScriptParser(expression, ctx, dialect).Run();
}

}  // namespace barrage
