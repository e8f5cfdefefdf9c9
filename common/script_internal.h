// Internals of EvaluateScript (common/functions.h is the contract), shared by the files
// that implement it:
//   script_expression.cc  values, the lexer, the grammar and the primaries (EvaluateScript)
//   script_operators.cc   arithmetic and the string methods
//   script_numbers.cc     numbers as each language prints them, JavaScript's conversions,
//                         UTF-16 positions and case mapping
// Included only by those files.
#ifndef BARRAGE_COMMON_SCRIPT_INTERNAL_H_
#define BARRAGE_COMMON_SCRIPT_INTERNAL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/functions.h"
#include "common/status.h"

namespace barrage {
namespace script_internal {

__extension__ typedef __int128 Int128;

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
  kPlus,
  kStar,
  kSlash,
  kPercent,
  kQuestion,
  kColon,
  kSemicolon,
};

struct Token {
  Tok type = Tok::kEnd;
  std::string_view text;  // string literal: the content between the quotes, still escaped
  size_t pos = 0;
  bool escaped = false;  // string literal with backslash escapes
};

// ---- numbers (script_numbers.cc)

struct Number {
  enum class Type : uint8_t { kInteger, kDecimal, kDouble };
  Type type = Type::kInteger;
  Int128 unscaled = 0;  // kInteger: the value; kDecimal: value = unscaled × 10^-scale
  int scale = 0;
  double d = 0;  // kDouble
  // kInteger: Java's width, the smallest of int, long and BigInteger that holds the value
  // when it was made (Groovy's int and long arithmetic wraps at that width).
  int bits = 32;

  static Number Integer(Int128 v) {
    Number n;
    n.unscaled = v;
    n.bits = v == static_cast<int32_t>(v) ? 32 : v == static_cast<int64_t>(v) ? 64 : 128;
    return n;
  }
  static Number Decimal(Int128 unscaled, int scale) {
    Number n;
    n.type = Type::kDecimal;
    n.unscaled = unscaled;
    n.scale = scale;
    return n;
  }
  static Number Double(double v) {
    Number n;
    n.type = Type::kDouble;
    n.d = v;
    return n;
  }
  bool exact() const { return type != Type::kDouble; }
  double AsDouble() const;
};

inline Int128 Magnitude(Int128 v) { return v < 0 ? -v : v; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr Int128 Pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

void AppendInt128(Int128 v, std::string* out);

// Decimal digits of |v| (1 for 0).
int Precision(Int128 v);

// v × 10^n; false on overflow.
bool ScaleUp(Int128 v, int n, Int128* out);

// a and b brought to the larger of their scales; false on overflow.
bool Align(const Number& a, const Number& b, Int128* x, Int128* y, int* scale);

// nullopt when either is NaN.
std::optional<int> CompareNumbers(const Number& a, const Number& b);

// A numeric string as comparisons read it ("12", "-3", "1.5", "2e3"); false when `s` is not one.
bool ParseNumber(std::string_view s, Number* n);

// Java's BigDecimal.toString().
void AppendBigDecimal(Int128 unscaled, int scale, std::string* out);

void AppendNumber(const Number& n, ScriptDialect dialect, std::string* out);

// Length of the JavaScript white space or line terminator starting at s[i] (0 if none).
size_t JsSpaceAt(std::string_view s, size_t i);

std::string_view JsTrim(std::string_view s);

double ParseDouble(std::string_view s);

// The longest prefix of `s` that is a StrUnsignedDecimalLiteral without "Infinity" (0 if none).
size_t DecimalPrefix(std::string_view s);

// A string's value as a number: JavaScript's ToNumber.
double JsStringToNumber(std::string_view s);

double JsParseFloat(std::string_view s);

double JsParseInt(std::string_view s);

// The byte offset of UTF-16 index `index` (<= length); nullopt inside a surrogate pair.
std::optional<size_t> ByteOffset(std::string_view s, size_t index);

uint32_t DecodeUtf8(std::string_view s, size_t i, size_t* len);

// Code points without case: Latin-1 signs, right-to-left and Indic scripts, punctuation and
// symbols, CJK, Hangul, private use, emoji.
bool Caseless(uint32_t cp);

// toLowerCase/toUpperCase for ASCII, Latin-1, basic Cyrillic and full-width Latin, where the
// mapping is one to one (ß upper-cases to "SS"); nullopt for other cased letters.
std::optional<std::string> ChangeCase(std::string_view s, bool upper);

// ---- values (script_expression.cc)

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
  static Operand Num(const Number& n) {
    Operand o;
    o.kind_ = Kind::kNumber;
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
  bool is_string() const { return kind_ == Kind::kString; }
  bool boolean() const { return bool_; }
  const Number& number() const { return number_; }
  std::string_view text() const { return uses_owned_ ? std::string_view(owned_) : view_; }

  // A number, or a string that is one ("5" < 10).
  bool AsNumber(Number* n) const {
    if (kind_ == Kind::kNumber) {
      *n = number_;
      return true;
    }
    return kind_ == Kind::kString && ParseNumber(text(), n);
  }

  // false, null, 0, NaN and "" are false; so is "false" in JEXL.
  bool Truthy(ScriptDialect dialect) const {
    switch (kind_) {
      case Kind::kNull: return false;
      case Kind::kBool: return bool_;
      case Kind::kNumber: return number_.exact() ? number_.unscaled != 0 : number_.d != 0 && !std::isnan(number_.d);
      case Kind::kString: return !text().empty() && (!IsJexl(dialect) || text() != "false");
    }
    return false;
  }

  // String conversion as concatenation does it: JavaScript's ToString, or Java's toString.
  void AppendTo(ScriptDialect dialect, std::string* out) const {
    switch (kind_) {
      case Kind::kNull: out->append("null"); break;
      case Kind::kBool: out->append(bool_ ? "true" : "false"); break;
      case Kind::kNumber: AppendNumber(number_, dialect, out); break;
      case Kind::kString: out->append(text()); break;
    }
  }

  // The expression's result. null gives "null" in JavaScript (Rhino's Context.toString, which
  // JMeter's __javaScript returns), "" in Groovy and JEXL (JMeter's functions return "" for a
  // null value).
  std::string ToResult(ScriptDialect dialect) const {
    if (kind_ == Kind::kString) return std::string(text());
    std::string out;
    if (kind_ != Kind::kNull || dialect == ScriptDialect::kJavaScript) AppendTo(dialect, &out);
    return out;
  }

  // JavaScript's ToNumber.
  double JsNumber() const {
    switch (kind_) {
      case Kind::kNull: return 0;
      case Kind::kBool: return bool_ ? 1 : 0;
      case Kind::kNumber: return number_.AsDouble();
      case Kind::kString: return JsStringToNumber(text());
    }
    return 0;
  }

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  Number number_;
  std::string_view view_;
  std::string owned_;
  bool uses_owned_ = false;
};

const char* KindName(Operand::Kind k);

// ==: numbers numerically (a number against a numeric string too), strings by content,
// null only equals null, a boolean against a string by its name ("true").
bool Equal(const Operand& a, const Operand& b);

// < > <= >=: numerically when both are numbers (or one is and the other a numeric
// string), by content when both are strings; anything else compares false.
std::optional<int> Compare(const Operand& a, const Operand& b);

const char* OpName(Tok op);

// The string methods, and how many arguments each takes.
struct MethodSpec {
  std::string_view name;
  int min_args;
  int max_args;
};
const MethodSpec* FindMethod(std::string_view name);

// ---- the parser: script_expression.cc, except arithmetic and postfix (script_operators.cc)

class ScriptParser {
 public:
  ScriptParser(std::string_view expression, ThreadContext& ctx, ScriptDialect dialect)
      : s_(expression), ctx_(ctx), dialect_(dialect) {}

  Result<std::string> Run();

 private:
  bool js() const { return dialect_ == ScriptDialect::kJavaScript; }

  // ---- errors

  std::string Quoted() const { return "script expression \"" + std::string(s_) + "\": "; }
  static std::string Column(size_t pos) { return " at column " + std::to_string(pos + 1); }

  bool Unsupported(const std::string& what, size_t pos);
  bool Failed(const std::string& what, size_t pos);
  std::string Describe(const Token& t) const;

  // ---- lexer

  static bool IsIdentStart(char c);
  bool Advance();
  static std::string Spelled(const Token& t);
  bool Expect(Tok type, const char* what);

  // ---- grammar (lowest precedence first)

  bool ParseTernary(bool eval, Operand* out);
  bool ParseOr(bool eval, Operand* out);
  bool ParseAnd(bool eval, Operand* out);
  bool ParseEquality(bool eval, Operand* out);
  bool ParseRelational(bool eval, Operand* out);
  bool ParseAdditive(bool eval, Operand* out);
  bool ParseMultiplicative(bool eval, Operand* out);
  bool ParseUnary(bool eval, Operand* out);

  // ---- arithmetic

  bool Arithmetic(const Token& op, Operand* a, const Operand& b);
  bool Concat(Operand* a, const Operand& b);
  bool Repeat(const Token& op, Operand* a, Int128 times);
  bool ArithmeticOperand(const Token& op, const Operand& o, Number* n);
  bool NumericText(const Operand& o, Number* n);
  bool Overflow(const Token& op);
  bool NumericOp(const Token& op, const Number& x, const Number& y, Number* r);
  bool DecimalOp(const Token& op, const Number& x, const Number& y, Number* r);
  bool Divide(const Token& op, const Number& x, const Number& y, Number* r);

  // ---- postfix: methods and the .length property

  bool ParsePostfix(bool eval, Operand* out);
  bool ParseArguments(bool eval, const Token& name, std::array<Operand, 2>* args, int* count);
  bool StringArgument(const Token& method, const Operand& arg, std::string* storage, std::string_view* text);
  bool CallMethod(const Token& method, Operand* out, std::array<Operand, 2>& args, int count);
  bool Substring(const Token& method, Operand* out, const std::array<Operand, 2>& args, int count);
  bool Replace(const Token& method, Operand* out, const std::array<Operand, 2>& args);
  bool JavaParseInt(const Token& at, std::string_view s, Operand* out);

  // ---- primaries

  bool ParsePrimary(bool eval, Operand* out);
  bool ParseLiteral(std::string_view text, Number* n);
  bool ParseFunction(bool eval, Operand* out);
  bool ParseLookup(bool eval, Operand* out);
  static std::string Unescape(std::string_view s);
  std::string_view s_;
  ThreadContext& ctx_;
  ScriptDialect dialect_;
  size_t pos_ = 0;
  Token tok_;
  Status status_;
};

}  // namespace script_internal
}  // namespace barrage

#endif  // BARRAGE_COMMON_SCRIPT_INTERNAL_H_
