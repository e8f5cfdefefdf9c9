// EvaluateScript: the one-line JEXL/Groovy/JavaScript expressions plans put in If and While
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
#include "common/utf8.h"

namespace barrage {
namespace {

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

// ---- numbers

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

void AppendInt128(Int128 v, std::string* out) {
  char buf[48];
  char* p = buf + sizeof(buf);
  bool negative = v < 0;
  do {
    int digit = static_cast<int>(v % 10);
    *--p = static_cast<char>('0' + (negative ? -digit : digit));
    v /= 10;
  } while (v != 0);
  if (negative) *--p = '-';
  out->append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

double Number::AsDouble() const {
  if (type == Type::kDouble) return d;
  if (type == Type::kInteger || scale == 0) return static_cast<double>(unscaled);
  std::string text;
  AppendInt128(unscaled, &text);
  text += 'e';
  text += std::to_string(-scale);
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

Int128 Magnitude(Int128 v) { return v < 0 ? -v : v; }

// Decimal digits of |v| (1 for 0).
int Precision(Int128 v) {
  v = Magnitude(v);
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// v × 10^n; false on overflow.
bool ScaleUp(Int128 v, int n, Int128* out) {
  if (n < 0 || n > 38) return false;
  for (int i = 0; i < n; ++i) {
    if (__builtin_mul_overflow(v, 10, &v)) return false;
  }
  *out = v;
  return true;
}

constexpr Int128 Pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// a and b brought to the larger of their scales; false on overflow.
bool Align(const Number& a, const Number& b, Int128* x, Int128* y, int* scale) {
  int sa = a.type == Number::Type::kDecimal ? a.scale : 0;
  int sb = b.type == Number::Type::kDecimal ? b.scale : 0;
  *scale = std::max(sa, sb);
  return ScaleUp(a.unscaled, *scale - sa, x) && ScaleUp(b.unscaled, *scale - sb, y);
}

// nullopt when either is NaN.
std::optional<int> CompareNumbers(const Number& a, const Number& b) {
  Int128 x, y;
  int scale;
  if (a.exact() && b.exact() && Align(a, b, &x, &y, &scale)) return x < y ? -1 : x > y ? 1 : 0;
  double p = a.AsDouble(), q = b.AsDouble();
  if (std::isnan(p) || std::isnan(q)) return std::nullopt;
  return p < q ? -1 : p > q ? 1 : 0;
}

// A numeric string as comparisons read it ("12", "-3", "1.5", "2e3"); false when `s` is not one.
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
    int64_t i = 0;
    auto [end, ec] = std::from_chars(first, last, i);
    if (ec == std::errc() && end == last) {
      *n = Number::Integer(i);
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
  double d = 0;
  auto [end, ec] = std::from_chars(first, last, d);
  if (ec != std::errc() || end != last) return false;
  *n = Number::Double(d);
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The shortest digits that read back as |v| (v finite, non-zero): v = 0.digits × 10^n.
struct ShortestDigits {
  char digits[24];
  int k = 0;  // number of digits
  int n = 0;  // position of the decimal point
};

ShortestDigits Shortest(double v) {
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  ShortestDigits s;
  const char* p = buf;
  for (; p < end && *p != 'e'; ++p) {
    if (IsDigit(*p)) s.digits[s.k++] = *p;
  }
  int exponent = 0;
  if (p < end) std::from_chars(p + (p[1] == '+' ? 2 : 1), end, exponent);
  while (s.k > 1 && s.digits[s.k - 1] == '0') --s.k;
  s.n = exponent + 1;
  return s;
}

// JavaScript's Number.prototype.toString().
void AppendJsNumber(double v, std::string* out) {
  if (std::isnan(v) || std::isinf(v) || v == 0) {
    out->append(std::isnan(v) ? "NaN" : v == 0 ? "0" : v < 0 ? "-Infinity" : "Infinity");
    return;
  }
  ShortestDigits s = Shortest(v);
  std::string_view digits(s.digits, static_cast<size_t>(s.k));
  if (v < 0) out->push_back('-');
  if (s.k <= s.n && s.n <= 21) {
    out->append(digits);
    out->append(static_cast<size_t>(s.n - s.k), '0');
  } else if (0 < s.n && s.n <= 21) {
    out->append(digits.substr(0, static_cast<size_t>(s.n)));
    out->push_back('.');
    out->append(digits.substr(static_cast<size_t>(s.n)));
  } else if (-6 < s.n && s.n <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-s.n), '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (s.k > 1) {
      out->push_back('.');
      out->append(digits.substr(1));
    }
    out->push_back('e');
    out->push_back(s.n - 1 >= 0 ? '+' : '-');
    out->append(std::to_string(std::abs(s.n - 1)));
  }
}

// Java's BigDecimal.toString().
void AppendBigDecimal(Int128 unscaled, int scale, std::string* out) {
  std::string digits;
  AppendInt128(Magnitude(unscaled), &digits);
  if (unscaled < 0) out->push_back('-');
  int len = static_cast<int>(digits.size());
  int adjusted = len - 1 - scale;
  if (scale >= 0 && adjusted >= -6) {
    if (scale == 0) {
      out->append(digits);
    } else if (len > scale) {
      out->append(digits, 0, static_cast<size_t>(len - scale));
      out->push_back('.');
      out->append(digits, static_cast<size_t>(len - scale));
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(scale - len), '0');
      out->append(digits);
    }
    return;
  }
  out->push_back(digits[0]);
  if (len > 1) {
    out->push_back('.');
    out->append(digits, 1);
  }
  out->push_back('E');
  if (adjusted > 0) out->push_back('+');
  out->append(std::to_string(adjusted));
}

void AppendNumber(const Number& n, ScriptDialect dialect, std::string* out) {
  if (dialect == ScriptDialect::kJavaScript) {
    constexpr Int128 kMaxSafe = Int128(1) << 53;
    if (n.type == Number::Type::kInteger && Magnitude(n.unscaled) <= kMaxSafe) {
      AppendInt128(n.unscaled, out);
    } else {
      AppendJsNumber(n.AsDouble(), out);
    }
    return;
  }
  switch (n.type) {
    case Number::Type::kInteger: AppendInt128(n.unscaled, out); break;
    case Number::Type::kDecimal: AppendBigDecimal(n.unscaled, n.scale, out); break;
    case Number::Type::kDouble: AppendJavaDouble(n.d, out); break;
  }
}

// ---- JavaScript conversions

// Length of the JavaScript white space or line terminator starting at s[i] (0 if none).
size_t JsSpaceAt(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  auto is = [&](std::string_view seq) { return s.substr(i, seq.size()) == seq; };
  if (is("\xC2\xA0")) return 2;
  if (is("\xEF\xBB\xBF") || is("\xE1\x9A\x80") || is("\xE2\x80\xA8") || is("\xE2\x80\xA9") ||
      is("\xE2\x80\xAF") || is("\xE2\x81\x9F") || is("\xE3\x80\x80")) {
    return 3;
  }
  if (is("\xE2\x80") && i + 2 < s.size() && static_cast<unsigned char>(s[i + 2]) >= 0x80 &&
      static_cast<unsigned char>(s[i + 2]) <= 0x8A) {
    return 3;  // U+2000..U+200A
  }
  return 0;
}

std::string_view JsTrim(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = JsSpaceAt(s, b);
    if (n == 0) break;
    b += n;
  }
  size_t e = s.size();
  while (e > b) {
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    if (JsSpaceAt(s, start) != e - start) break;
    e = start;
  }
  return s.substr(b, e - b);
}

double ParseDouble(std::string_view s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The longest prefix of `s` that is a StrUnsignedDecimalLiteral without "Infinity" (0 if none).
size_t DecimalPrefix(std::string_view s) {
  size_t p = 0, digits = 0;
  while (p < s.size() && IsDigit(s[p])) ++p, ++digits;
  if (p < s.size() && s[p] == '.') {
    size_t q = p + 1;
    while (q < s.size() && IsDigit(s[q])) ++q, ++digits;
    if (digits > 0) p = q;
  }
  if (digits == 0) return 0;
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    size_t q = p + 1;
    if (q < s.size() && (s[q] == '+' || s[q] == '-')) ++q;
    if (q < s.size() && IsDigit(s[q])) {
      while (q < s.size() && IsDigit(s[q])) ++q;
      p = q;
    }
  }
  return p;
}

// A string's value as a number: JavaScript's ToNumber.
double JsStringToNumber(std::string_view s) {
  s = JsTrim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    int radix = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8
                : (s[1] == 'b' || s[1] == 'B') ? 2 : 0;
    if (radix != 0) {
      double v = 0;
      for (char c : s.substr(2)) {
        int digit = JavaHexDigit(c);
        if (digit < 0 || digit >= radix) return NAN;
        v = v * radix + digit;
      }
      return v;
    }
  }
  bool negative = s[0] == '-';
  std::string_view body = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (body == "Infinity") return negative ? -INFINITY : INFINITY;
  if (body.empty() || DecimalPrefix(body) != body.size()) return NAN;
  double v = ParseDouble(body);
  return negative ? -v : v;
}

double JsParseFloat(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = JsSpaceAt(s, b);
    if (n == 0) break;
    b += n;
  }
  s = s.substr(b);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s = s.substr(1);
  if (s.substr(0, 8) == "Infinity") return negative ? -INFINITY : INFINITY;
  size_t len = DecimalPrefix(s);
  if (len == 0) return NAN;
  double v = ParseDouble(s.substr(0, len));
  return negative ? -v : v;
}

double JsParseInt(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = JsSpaceAt(s, b);
    if (n == 0) break;
    b += n;
  }
  s = s.substr(b);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s = s.substr(1);
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s = s.substr(2);
  }
  double v = 0;
  size_t n = 0;
  for (; n < s.size(); ++n) {
    char c = s[n];
    int digit = JavaHexDigit(c);
    if (digit < 0 || digit >= radix) break;
    v = v * radix + digit;
  }
  if (n == 0) return NAN;
  if (radix == 10 && n > 15) v = ParseDouble(s.substr(0, n));  // exact rounding of long runs
  return negative ? -v : v;
}

// ---- text: UTF-16 positions (what length, indexOf and substring count) and case

size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

// The byte offset of UTF-16 index `index` (<= length); nullopt inside a surrogate pair.
std::optional<size_t> ByteOffset(std::string_view s, size_t index) {
  size_t units = 0, i = 0;
  while (units < index && i < s.size()) {
    size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
    units += len == 4 ? 2 : 1;
    i += len;
  }
  if (units > index) return std::nullopt;
  return i;
}

uint32_t DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = std::min(Utf8SequenceLength(c), s.size() - i);
  *len = n;
  if (n == 1) return c;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Code points without case: Latin-1 signs, right-to-left and Indic scripts, punctuation and
// symbols, CJK, Hangul, private use, emoji.
bool Caseless(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF && cp != 0xB5) || cp == 0xD7 || cp == 0xF7 ||
         (cp >= 0x590 && cp <= 0xFFF) || (cp >= 0x2000 && cp <= 0x215F) ||
         (cp >= 0x2190 && cp <= 0x23FF) || (cp >= 0x2500 && cp <= 0x2BFF) ||
         (cp >= 0x3000 && cp <= 0xA63F) || (cp >= 0xAC00 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFAFF) || (cp >= 0xFE00 && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFFFF) ||
         (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

// toLowerCase/toUpperCase for ASCII, Latin-1, basic Cyrillic and full-width Latin, where the
// mapping is one to one (ß upper-cases to "SS"); nullopt for other cased letters.
std::optional<std::string> ChangeCase(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (upper && c >= 'a' && c <= 'z') c = static_cast<unsigned char>(c - 32);
      if (!upper && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp = DecodeUtf8(s, i, &len);
    i += len;
    uint32_t mapped = cp;
    if (Caseless(cp)) {
      mapped = cp;
    } else if (cp >= 0xC0 && cp <= 0xDE) {
      if (!upper) mapped = cp + 0x20;
    } else if (cp >= 0xDF && cp <= 0xFF) {
      if (upper && cp == 0xDF) {
        out.append("SS");
        continue;
      }
      if (upper) mapped = cp == 0xFF ? 0x178 : cp - 0x20;
    } else if (cp == 0xB5) {
      if (upper) mapped = 0x39C;
    } else if (cp >= 0x400 && cp <= 0x42F) {
      if (!upper) mapped = cp < 0x410 ? cp + 0x50 : cp + 0x20;
    } else if (cp >= 0x430 && cp <= 0x45F) {
      if (upper) mapped = cp >= 0x450 ? cp - 0x50 : cp - 0x20;
    } else if (cp >= 0xFF21 && cp <= 0xFF3A) {
      if (!upper) mapped = cp + 0x20;
    } else if (cp >= 0xFF41 && cp <= 0xFF5A) {
      if (upper) mapped = cp - 0x20;
    } else {
      return std::nullopt;
    }
    AppendUtf8(mapped, &out);
  }
  return out;
}

// ---- values

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
      case Kind::kNumber:
        return number_.exact() ? number_.unscaled != 0 : number_.d != 0 && !std::isnan(number_.d);
      case Kind::kString:
        return !text().empty() && (dialect != ScriptDialect::kJexl || text() != "false");
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

  // The expression's result: null gives "".
  std::string ToResult(ScriptDialect dialect) const {
    if (kind_ == Kind::kString) return std::string(text());
    std::string out;
    if (kind_ != Kind::kNull) AppendTo(dialect, &out);
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

// The string methods, and how many arguments each takes.
struct MethodSpec {
  std::string_view name;
  int min_args;
  int max_args;
};
constexpr MethodSpec kMethods[] = {
    {"equals", 1, 1},      {"equalsIgnoreCase", 1, 1}, {"toLowerCase", 0, 0},
    {"toUpperCase", 0, 0}, {"trim", 0, 0},             {"length", 0, 0},
    {"size", 0, 0},        {"isEmpty", 0, 0},          {"contains", 1, 1},
    {"includes", 1, 1},    {"startsWith", 1, 1},       {"endsWith", 1, 1},
    {"indexOf", 1, 1},     {"substring", 1, 2},        {"replace", 2, 2},
    {"toInteger", 0, 0},
};

const MethodSpec* FindMethod(std::string_view name) {
  for (const MethodSpec& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

class ScriptParser {
 public:
  ScriptParser(std::string_view expression, ThreadContext& ctx, ScriptDialect dialect)
      : s_(expression), ctx_(ctx), dialect_(dialect) {}

  Result<std::string> Run() {
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

 private:
  bool js() const { return dialect_ == ScriptDialect::kJavaScript; }

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

  bool Advance() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
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

  bool ParseTernary(bool eval, Operand* out) {
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
  bool ParseOr(bool eval, Operand* out) {
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

  bool ParseAnd(bool eval, Operand* out) {
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
    if (!ParseAdditive(eval, out)) return false;
    while (tok_.type == Tok::kLt || tok_.type == Tok::kGt || tok_.type == Tok::kLe ||
           tok_.type == Tok::kGe) {
      Tok op = tok_.type;
      if (!Advance()) return false;
      Operand right;
      if (!ParseAdditive(eval, &right)) return false;
      if (!eval) continue;
      std::optional<int> c = Compare(*out, right);
      bool r = c && ((op == Tok::kLt && *c < 0) || (op == Tok::kGt && *c > 0) ||
                     (op == Tok::kLe && *c <= 0) || (op == Tok::kGe && *c >= 0));
      *out = Operand::Bool(r);
    }
    return true;
  }

  bool ParseAdditive(bool eval, Operand* out) {
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

  bool ParseMultiplicative(bool eval, Operand* out) {
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

  bool ParseUnary(bool eval, Operand* out) {
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

  // ---- arithmetic

  bool Arithmetic(const Token& op, Operand* a, const Operand& b) {
    using K = Operand::Kind;
    if (js()) {
      if (op.type == Tok::kPlus && (a->is_string() || b.is_string())) return Concat(a, b);
      double x = a->JsNumber(), y = b.JsNumber(), r = 0;
      switch (op.type) {
        case Tok::kPlus: r = x + y; break;
        case Tok::kMinus: r = x - y; break;
        case Tok::kStar: r = x * y; break;
        case Tok::kSlash: r = x / y; break;
        default: r = std::fmod(x, y); break;
      }
      *a = Operand::Num(Number::Double(r));
      return true;
    }
    bool groovy = dialect_ == ScriptDialect::kGroovy;
    if (op.type == Tok::kPlus) {
      // Groovy: String.plus, Number.plus(String) and null.plus(String); JEXL: either a string.
      if (groovy && (a->is_string() || (b.is_string() && a->kind() != K::kBool))) {
        return Concat(a, b);
      }
      if (!groovy && (a->is_string() || b.is_string())) {
        if (a->kind() == K::kNull || b.kind() == K::kNull) {
          return Failed(std::string(OpName(op.type)) + " on null", op.pos);
        }
        return Concat(a, b);
      }
    }
    if (groovy && op.type == Tok::kStar && a->is_string() && b.kind() == K::kNumber &&
        b.number().type == Number::Type::kInteger) {
      return Repeat(op, a, b.number().unscaled);
    }
    Number x, y;
    if (!ArithmeticOperand(op, *a, &x) || !ArithmeticOperand(op, b, &y)) return false;
    Number r;
    if (!NumericOp(op, x, y, &r)) return false;
    *a = Operand::Num(r);
    return true;
  }

  bool Concat(Operand* a, const Operand& b) {
    std::string s;
    a->AppendTo(dialect_, &s);
    b.AppendTo(dialect_, &s);
    *a = Operand::OwnedString(std::move(s));
    return true;
  }

  // Groovy's String.multiply.
  bool Repeat(const Token& op, Operand* a, Int128 times) {
    constexpr Int128 kMaxLength = 1 << 20;
    if (times < 0) return Failed("a string repeated a negative number of times", op.pos);
    if (times > kMaxLength || times * static_cast<Int128>(a->text().size()) > kMaxLength) {
      return Unsupported("a string repeated beyond 1 MiB", op.pos);
    }
    std::string s;
    for (Int128 i = 0; i < times; ++i) s.append(a->text());
    *a = Operand::OwnedString(std::move(s));
    return true;
  }

  // An operand of - * / % (and + without strings) in Groovy or JEXL.
  bool ArithmeticOperand(const Token& op, const Operand& o, Number* n) {
    switch (o.kind()) {
      case Operand::Kind::kNumber: *n = o.number(); return true;
      case Operand::Kind::kNull:
        return Failed(std::string(OpName(op.type)) + " on null", op.pos);
      case Operand::Kind::kBool:
        if (dialect_ == ScriptDialect::kJexl) {  // JEXL reads true as 1
          *n = Number::Integer(o.boolean() ? 1 : 0);
          return true;
        }
        break;
      case Operand::Kind::kString:
        if (dialect_ == ScriptDialect::kJexl) {  // JEXL coerces numeric strings
          std::string_view t = o.text();
          bool floating = t.find_first_of(".eE") != std::string_view::npos;
          if (ParseNumber(t, n)) {
            if (floating) *n = Number::Double(n->AsDouble());
            return true;
          }
          return Failed("'" + std::string(t) + "' is not a number", op.pos);
        }
        break;
    }
    return Unsupported(std::string(OpName(op.type)) + " on " + KindName(o.kind()), op.pos);
  }

  bool Overflow(const Token& op) {
    return Unsupported(std::string(OpName(op.type)) + " beyond 128-bit precision", op.pos);
  }

  bool NumericOp(const Token& op, const Number& x, const Number& y, Number* r) {
    using T = Number::Type;
    if (x.type == T::kDouble || y.type == T::kDouble) {
      double p = x.AsDouble(), q = y.AsDouble();
      switch (op.type) {
        case Tok::kPlus: *r = Number::Double(p + q); break;
        case Tok::kMinus: *r = Number::Double(p - q); break;
        case Tok::kStar: *r = Number::Double(p * q); break;
        case Tok::kSlash: *r = Number::Double(p / q); break;
        default: *r = Number::Double(std::fmod(p, q)); break;
      }
      return true;
    }
    bool decimal = x.type == T::kDecimal || y.type == T::kDecimal;
    // Groovy divides integers as BigDecimals; JEXL truncates.
    if (dialect_ == ScriptDialect::kGroovy && (decimal || op.type == Tok::kSlash)) {
      return DecimalOp(op, x, y, r);
    }
    Int128 p = x.unscaled, q = y.unscaled, v = 0;
    switch (op.type) {
      case Tok::kPlus:
        if (__builtin_add_overflow(p, q, &v)) return Overflow(op);
        break;
      case Tok::kMinus:
        if (__builtin_sub_overflow(p, q, &v)) return Overflow(op);
        break;
      case Tok::kStar:
        if (__builtin_mul_overflow(p, q, &v)) return Overflow(op);
        break;
      default:
        if (q == 0) return Failed("division by zero", op.pos);
        if (q == -1) {  // the one quotient that can overflow
          if (__builtin_sub_overflow(Int128(0), p, &v)) return Overflow(op);
          if (op.type == Tok::kPercent) v = 0;
        } else {
          v = op.type == Tok::kSlash ? p / q : p % q;
        }
        break;
    }
    *r = Number::Integer(v);
    if (dialect_ == ScriptDialect::kGroovy) {
      r->bits = std::max(x.bits, y.bits);
      if (r->bits == 32) r->unscaled = static_cast<int32_t>(v);
      if (r->bits == 64) r->unscaled = static_cast<int64_t>(v);
    }
    return true;
  }

  // Java's BigDecimal add, subtract, multiply; Groovy's division.
  bool DecimalOp(const Token& op, const Number& x, const Number& y, Number* r) {
    if (op.type == Tok::kPercent) return Unsupported("'%' on a decimal", op.pos);
    if (op.type == Tok::kSlash) return Divide(op, x, y, r);
    int sx = x.type == Number::Type::kDecimal ? x.scale : 0;
    int sy = y.type == Number::Type::kDecimal ? y.scale : 0;
    Int128 v;
    if (op.type == Tok::kStar) {
      if (__builtin_mul_overflow(x.unscaled, y.unscaled, &v)) return Overflow(op);
      *r = Number::Decimal(v, sx + sy);
      return true;
    }
    Int128 p, q;
    int scale;
    if (!Align(x, y, &p, &q, &scale)) return Overflow(op);
    bool overflow = op.type == Tok::kPlus ? __builtin_add_overflow(p, q, &v)
                                          : __builtin_sub_overflow(p, q, &v);
    if (overflow) return Overflow(op);
    *r = Number::Decimal(v, scale);
    return true;
  }

  // Groovy's BigDecimalMath.divideImpl: the exact quotient when it terminates, at the
  // smallest scale from (scale x - scale y) up that holds it; otherwise max(precisions) + 10
  // significant digits, rounded half up, then at most max(scale x, scale y, 10) decimals.
  bool Divide(const Token& op, const Number& x, const Number& y, Number* r) {
    int sx = x.type == Number::Type::kDecimal ? x.scale : 0;
    int sy = y.type == Number::Type::kDecimal ? y.scale : 0;
    if (y.unscaled == 0) return Failed("division by zero", op.pos);
    int preferred = sx - sy;
    if (x.unscaled == 0) {
      *r = Number::Decimal(0, preferred);
      return true;
    }
    bool negative = (x.unscaled < 0) != (y.unscaled < 0);
    Int128 n = Magnitude(x.unscaled), d = Magnitude(y.unscaled);
    Int128 a = n, b = d;
    while (b != 0) {
      Int128 t = a % b;
      a = b;
      b = t;
    }
    Int128 den = d / a;
    int twos = 0, fives = 0;
    while (den % 2 == 0) den /= 2, ++twos;
    while (den % 5 == 0) den /= 5, ++fives;
    if (den == 1) {
      int k = std::max(twos, fives);
      Int128 factor = Pow10(k) / (d / a), v;
      if (__builtin_mul_overflow(n / a, factor, &v)) return Overflow(op);
      *r = Number::Decimal(negative ? -v : v, preferred + k);
      return true;
    }
    int precision = std::max(Precision(n), Precision(d)) + 10;
    constexpr Int128 kMaxDivisor = Pow10(36);
    if (precision > 36 || d >= kMaxDivisor) return Overflow(op);
    // Long division up to precision + 1 significant digits, then round half up.
    Int128 v = n / d, rem = n % d;
    int significant = v == 0 ? 0 : Precision(v);
    int fraction = 0;
    while (significant < precision + 1) {
      rem *= 10;
      v = v * 10 + rem / d;
      rem %= d;
      ++fraction;
      if (v != 0) ++significant;
    }
    Int128 last = v % 10;
    v /= 10;
    --fraction;
    if (last >= 5) ++v;
    if (Precision(v) > precision) {
      v /= 10;  // 99…9 rounded up to 100…0: drop the extra zero
      --fraction;
    }
    int scale = fraction + sx - sy;
    while (scale > preferred && v % 10 == 0) {
      v /= 10;
      --scale;
    }
    int max_scale = std::max({sx, sy, 10});
    if (scale > max_scale) {
      Int128 divisor = Pow10(scale - max_scale);
      Int128 rest = v % divisor;
      v /= divisor;
      if (rest * 2 >= divisor) ++v;
      scale = max_scale;
    }
    *r = Number::Decimal(negative ? -v : v, scale);
    return true;
  }

  // ---- postfix: methods and the .length property

  bool ParsePostfix(bool eval, Operand* out) {
    if (!ParsePrimary(eval, out)) return false;
    while (tok_.type == Tok::kDot) {
      if (!Advance()) return false;
      Token method = tok_;
      const MethodSpec* spec = method.type == Tok::kIdent ? FindMethod(method.text) : nullptr;
      if (spec == nullptr) {
        return Unsupported(method.type == Tok::kIdent ? "method '" + std::string(method.text) + "'"
                                                      : Describe(method),
                           method.pos);
      }
      if (!Advance()) return false;
      std::array<Operand, 2> args;
      int count = 0;
      bool property = spec->name == "length" && tok_.type != Tok::kLParen;  // JavaScript
      if (!property && !ParseArguments(eval, method, &args, &count)) return false;
      if (count < spec->min_args || count > spec->max_args) {
        return Unsupported("method '" + std::string(spec->name) + "' with " +
                               std::to_string(count) + " arguments",
                           method.pos);
      }
      if (eval && !CallMethod(method, out, args, count)) return false;
    }
    return true;
  }

  // `(a, b)` after a method or function name: at most two arguments.
  bool ParseArguments(bool eval, const Token& name, std::array<Operand, 2>* args, int* count) {
    if (!Expect(Tok::kLParen, "'('")) return false;
    *count = 0;
    if (tok_.type != Tok::kRParen) {
      while (true) {
        if (*count == 2) {
          return Unsupported("'" + std::string(name.text) + "' with more than 2 arguments",
                             tok_.pos);
        }
        if (!ParseTernary(eval, &(*args)[static_cast<size_t>(*count)])) return false;
        ++*count;
        if (tok_.type != Tok::kComma) break;
        if (!Advance()) return false;
      }
    }
    return Expect(Tok::kRParen, "')'");
  }

  // A method argument's text: Java's methods take strings only (null is an error),
  // JavaScript's convert anything.
  bool StringArgument(const Token& method, const Operand& arg, std::string* storage,
                      std::string_view* text) {
    if (arg.is_string()) {
      *text = arg.text();
      return true;
    }
    if (!js()) {
      return Failed("'" + std::string(method.text) + "' needs a string, not " +
                        KindName(arg.kind()),
                    method.pos);
    }
    arg.AppendTo(dialect_, storage);
    *text = *storage;
    return true;
  }

  bool CallMethod(const Token& method, Operand* out, std::array<Operand, 2>& args, int count) {
    std::string_view name = method.text;
    if (out->kind() == Operand::Kind::kNull) {
      return Failed(std::string(name) + " called on null", method.pos);
    }
    if (name == "equals") {
      // Java's equals: same type and same value.
      const Operand& arg = args[0];
      bool same = out->kind() == arg.kind() &&
                  (out->kind() == Operand::Kind::kBool  ? out->boolean() == arg.boolean()
                   : out->kind() == Operand::Kind::kNumber ? Equal(*out, arg)
                                                        : out->text() == arg.text());
      *out = Operand::Bool(same);
      return true;
    }
    if (name == "toInteger" && out->kind() == Operand::Kind::kNumber) {
      Number n = out->number();
      if (n.type == Number::Type::kDouble) {
        if (!std::isfinite(n.d) || std::fabs(n.d) > 9.2e18) {
          return Failed("toInteger of a non-finite or huge number", method.pos);
        }
        n = Number::Integer(static_cast<int64_t>(n.d));
      } else if (n.type == Number::Type::kDecimal && n.scale >= 0) {
        n = Number::Integer(n.unscaled / Pow10(n.scale));
      } else if (n.type == Number::Type::kDecimal && !ScaleUp(n.unscaled, -n.scale, &n.unscaled)) {
        return Unsupported("toInteger beyond 128-bit precision", method.pos);
      }
      n.type = Number::Type::kInteger;
      *out = Operand::Num(n);
      return true;
    }
    if (!out->is_string()) {
      return Failed(std::string(name) + " called on " + KindName(out->kind()), method.pos);
    }
    std::string_view s = out->text();
    if (name == "length" || name == "size") {
      *out = Operand::Num(Number::Integer(static_cast<Int128>(Utf16Length(s))));
    } else if (name == "isEmpty") {
      *out = Operand::Bool(s.empty());
    } else if (name == "trim") {
      *out = Operand::OwnedString(std::string(js() ? JsTrim(s) : JavaTrim(s)));
    } else if (name == "toLowerCase" || name == "toUpperCase") {
      std::optional<std::string> changed = ChangeCase(s, name == "toUpperCase");
      if (!changed) {
        return Unsupported(std::string(name) + " of \"" + std::string(s) + "\"", method.pos);
      }
      *out = Operand::OwnedString(std::move(*changed));
    } else if (name == "toInteger") {
      return JavaParseInt(method, JavaTrim(s), out);
    } else if (name == "substring") {
      return Substring(method, out, args, count);
    } else if (name == "equalsIgnoreCase") {
      if (!args[0].is_string()) {
        *out = Operand::Bool(false);
        return true;
      }
      std::optional<std::string> x = ChangeCase(s, false), y = ChangeCase(args[0].text(), false);
      if (!x || !y) return Unsupported("equalsIgnoreCase of non-Latin letters", method.pos);
      *out = Operand::Bool(*x == *y);
    } else if (name == "replace") {
      return Replace(method, out, args);
    } else {
      std::string storage;
      std::string_view x;
      if (!StringArgument(method, args[0], &storage, &x)) return false;
      if (name == "contains" || name == "includes") {
        *out = Operand::Bool(s.find(x) != std::string_view::npos);
      } else if (name == "startsWith") {
        *out = Operand::Bool(s.substr(0, x.size()) == x);
      } else if (name == "endsWith") {
        *out = Operand::Bool(s.size() >= x.size() && s.substr(s.size() - x.size()) == x);
      } else {  // indexOf
        size_t at = s.find(x);
        Int128 index = at == std::string_view::npos
                           ? -1
                           : static_cast<Int128>(Utf16Length(s.substr(0, at)));
        *out = Operand::Num(Number::Integer(index));
      }
    }
    return true;
  }

  // JavaScript clamps and swaps the bounds; Java wants 0 <= begin <= end <= length.
  bool Substring(const Token& method, Operand* out, const std::array<Operand, 2>& args,
                 int count) {
    std::string_view s = out->text();
    double length = static_cast<double>(Utf16Length(s));
    double bounds[2] = {0, length};
    for (int i = 0; i < count; ++i) {
      const Operand& arg = args[static_cast<size_t>(i)];
      if (js()) {
        double v = arg.JsNumber();
        bounds[i] = std::isnan(v) ? 0 : std::clamp(std::trunc(v), 0.0, length);
      } else if (arg.kind() == Operand::Kind::kNumber &&
                 arg.number().type == Number::Type::kInteger) {
        bounds[i] = static_cast<double>(arg.number().unscaled);
      } else {
        return Failed("substring needs integer arguments", method.pos);
      }
    }
    if (js() && bounds[0] > bounds[1]) std::swap(bounds[0], bounds[1]);
    if (bounds[0] < 0 || bounds[1] > length || bounds[0] > bounds[1]) {
      return Failed("substring index out of range", method.pos);
    }
    std::optional<size_t> begin = ByteOffset(s, static_cast<size_t>(bounds[0]));
    std::optional<size_t> end = ByteOffset(s, static_cast<size_t>(bounds[1]));
    if (!begin || !end) return Unsupported("substring inside a surrogate pair", method.pos);
    *out = Operand::OwnedString(std::string(s.substr(*begin, *end - *begin)));
    return true;
  }

  // JavaScript replaces the first occurrence (with $$, $&, $` and $' in the replacement);
  // Java every occurrence, literally.
  bool Replace(const Token& method, Operand* out, const std::array<Operand, 2>& args) {
    std::string storage[2];
    std::string_view from, to;
    if (!StringArgument(method, args[0], &storage[0], &from) ||
        !StringArgument(method, args[1], &storage[1], &to)) {
      return false;
    }
    std::string_view s = out->text();
    std::string result;
    if (js()) {
      size_t at = s.find(from);
      if (at == std::string_view::npos) {
        *out = Operand::OwnedString(std::string(s));
        return true;
      }
      result.append(s.substr(0, at));
      for (size_t i = 0; i < to.size(); ++i) {
        char next = i + 1 < to.size() ? to[i + 1] : '\0';
        if (to[i] != '$' || (next != '$' && next != '&' && next != '`' && next != '\'')) {
          result.push_back(to[i]);
          continue;
        }
        ++i;
        if (next == '$') result.push_back('$');
        if (next == '&') result.append(from);
        if (next == '`') result.append(s.substr(0, at));
        if (next == '\'') result.append(s.substr(at + from.size()));
      }
      result.append(s.substr(at + from.size()));
    } else if (from.empty()) {
      // Java: the replacement before every character and at the end.
      for (size_t i = 0; i < s.size();) {
        size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
        result.append(to);
        result.append(s.substr(i, len));
        i += len;
      }
      result.append(to);
    } else {
      size_t start = 0;
      for (size_t at; (at = s.find(from, start)) != std::string_view::npos;
           start = at + from.size()) {
        result.append(s.substr(start, at - start));
        result.append(to);
      }
      result.append(s.substr(start));
    }
    *out = Operand::OwnedString(std::move(result));
    return true;
  }

  // Java's Integer.parseInt: an optional sign and decimal digits, within 32 bits.
  bool JavaParseInt(const Token& at, std::string_view s, Operand* out) {
    std::optional<int32_t> v = barrage::JavaParseInt(s);
    if (!v) return Failed("'" + std::string(s) + "' is not an integer", at.pos);
    *out = Operand::Num(Number::Integer(*v));
    return true;
  }

  // ---- primaries

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
        if (!ParseLiteral(t.text, &n)) {
          return Unsupported("number '" + std::string(t.text) + "' beyond 128-bit precision",
                             t.pos);
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
        if (t.text == "parseInt" || t.text == "parseFloat" || t.text == "Number" ||
            t.text == "String" || t.text == "Integer") {
          return ParseFunction(eval, out);
        }
        return Unsupported(Describe(t), t.pos);
      default: return Unsupported(Describe(t), t.pos);
    }
  }

  // A number literal in the dialect's type: JavaScript's double (integers kept exact for
  // comparisons), Groovy's Integer/BigDecimal, JEXL's Long/Double.
  bool ParseLiteral(std::string_view text, Number* n) {
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
  bool ParseFunction(bool eval, Operand* out) {
    Token name = tok_;
    bool java_parse_int = name.text == "Integer";
    if (!Advance()) return false;
    if (java_parse_int) {
      if (!Expect(Tok::kDot, "'.'")) return false;
      if (tok_.type != Tok::kIdent || tok_.text != "parseInt") {
        return Unsupported(tok_.type == Tok::kIdent
                               ? "method 'Integer." + std::string(tok_.text) + "'"
                               : Describe(tok_),
                           tok_.pos);
      }
      name = tok_;
      if (!Advance()) return false;
    }
    std::array<Operand, 2> args;
    int count = 0;
    if (!ParseArguments(eval, name, &args, &count)) return false;
    if (count != 1) {
      return Unsupported("'" + std::string(name.text) + "' with " + std::to_string(count) +
                             " arguments",
                         name.pos);
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
  ScriptDialect dialect_;
  size_t pos_ = 0;
  Token tok_;
  Status status_;
};

}  // namespace

Result<std::string> EvaluateScript(std::string_view expression, ThreadContext& ctx,
                                   ScriptDialect dialect) {
  return ScriptParser(expression, ctx, dialect).Run();
}

}  // namespace barrage
