#include "common/script_internal.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/java_lang.h"
#include "common/utf8.h"

namespace barrage {
namespace script_internal {

// ---- numbers

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

// The shortest digits that read back as |v| (v finite, non-zero): v = 0.digits × 10^n.
struct ShortestDigits {
  char digits[24];
  int k = 0;  // number of digits
  int n = 0;  // position of the decimal point
};

ShortestDigits Shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
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
  if (is("\xEF\xBB\xBF") || is("\xE1\x9A\x80") || is("\xE2\x80\xA8") || is("\xE2\x80\xA9") || is("\xE2\x80\xAF") ||
      is("\xE2\x81\x9F") || is("\xE3\x80\x80")) {
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
    int radix = (s[1] == 'x' || s[1] == 'X')   ? 16
                : (s[1] == 'o' || s[1] == 'O') ? 8
                : (s[1] == 'b' || s[1] == 'B') ? 2
                                               : 0;
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
  return (cp >= 0x80 && cp <= 0xBF && cp != 0xB5) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x590 && cp <= 0xFFF) ||
         (cp >= 0x2000 && cp <= 0x215F) || (cp >= 0x2190 && cp <= 0x23FF) || (cp >= 0x2500 && cp <= 0x2BFF) ||
         (cp >= 0x3000 && cp <= 0xA63F) || (cp >= 0xAC00 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFAFF) ||
         (cp >= 0xFE00 && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFFFF) ||
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

}  // namespace script_internal
}  // namespace barrage
