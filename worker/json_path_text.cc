#include "worker/json_path_internal.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// =======================================================================================
// Text helpers: UTF-8 / UTF-16, as Java sees strings.

// Decodes the code point at s[*i] and advances; a malformed byte decodes as itself
// (returned negated so callers can copy it through unchanged).
int32_t NextCodePoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(*i);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  int len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || len > 4 || *i + static_cast<size_t>(len) > s.size()) {
    ++*i;
    return -b0;
  }
  int32_t cp = len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char b = byte(*i + static_cast<size_t>(k));
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return -b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

// java.lang.String.hashCode().
int32_t JavaHashCode(std::string_view s) {
  uint32_t h = 0;
  size_t i = 0;
  while (i < s.size()) {
    int32_t cp = NextCodePoint(s, &i);
    if (cp < 0) cp = 0xFFFD;
    if (cp >= 0x10000) {
      uint32_t v = static_cast<uint32_t>(cp - 0x10000);
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + static_cast<uint32_t>(cp);
    }
  }
  return static_cast<int32_t>(h);
}

// =======================================================================================
// Java number formatting.

// new DecimalFormat("#.#") with 1 to 340 fraction digits (JSONPathAssertion), English
// symbols: plain notation, no grouping.
std::string DecimalFormatString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "\xE2\x88\x9E" : "-\xE2\x88\x9E";
  std::string out = std::signbit(d) ? "-" : "";
  if (d == 0) return out + "0.0";
  std::string digits;
  int exponent = 0;
  JavaDoubleDigits(d, &digits, &exponent);
  if (exponent >= 0) {
    size_t int_len = static_cast<size_t>(exponent) + 1;
    std::string int_part = digits.substr(0, std::min(int_len, digits.size()));
    while (int_part.size() < int_len) int_part.push_back('0');
    std::string frac = digits.size() > int_len ? digits.substr(int_len) : "0";
    out += int_part + "." + frac;
  } else {
    out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  }
  return out;
}

// new BigDecimal(String); nullopt on NumberFormatException.
std::optional<BigDec> ParseBigDecimal(std::string_view s) {
  BigDec out;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) out.negative = s[i++] == '-';
  std::string digits;
  int64_t fraction = 0;
  bool dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      if (dot) ++fraction;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return std::nullopt;
  int64_t exponent = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i >= s.size()) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      if (exponent < 1000000000) exponent = exponent * 10 + (s[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  size_t first = digits.find_first_not_of('0');
  out.digits = first == std::string::npos ? "0" : digits.substr(first);
  if (out.digits == "0") out.negative = false;
  out.scale = fraction - exponent;
  return out;
}

// BigDecimal.toString().
std::string BigDecimalString(const BigDec& b) {
  std::string out = b.negative ? "-" : "";
  const std::string& coeff = b.digits;
  int64_t len = static_cast<int64_t>(coeff.size());
  int64_t adjusted = -b.scale + (len - 1);
  if (b.scale == 0) return out + coeff;
  if (b.scale > 0 && adjusted >= -6) {
    if (len > b.scale) {
      size_t point = static_cast<size_t>(len - b.scale);
      return out + coeff.substr(0, point) + "." + coeff.substr(point);
    }
    return out + "0." + std::string(static_cast<size_t>(b.scale - len), '0') + coeff;
  }
  out += coeff.substr(0, 1);
  if (len > 1) out += "." + coeff.substr(1);
  if (adjusted != 0) {
    out += "E";
    if (adjusted > 0) out += "+";
    out += std::to_string(adjusted);
  }
  return out;
}

// BigDecimal.compareTo.
int CompareBigDec(const BigDec& a, const BigDec& b) {
  bool a_zero = a.digits == "0", b_zero = b.digits == "0";
  int sa = a_zero ? 0 : (a.negative ? -1 : 1);
  int sb = b_zero ? 0 : (b.negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // Position of the most significant digit.
  int64_t ma = static_cast<int64_t>(a.digits.size()) - a.scale;
  int64_t mb = static_cast<int64_t>(b.digits.size()) - b.scale;
  int magnitude = 0;
  if (ma != mb) {
    magnitude = ma < mb ? -1 : 1;
  } else {
    size_t n = std::max(a.digits.size(), b.digits.size());
    for (size_t i = 0; i < n && magnitude == 0; ++i) {
      char ca = i < a.digits.size() ? a.digits[i] : '0';
      char cb = i < b.digits.size() ? b.digits[i] : '0';
      if (ca != cb) magnitude = ca < cb ? -1 : 1;
    }
  }
  return sa > 0 ? magnitude : -magnitude;
}

// BigDecimal.intValue(): the integer part, low 32 bits.
int32_t BigDecIntValue(const BigDec& b) {
  int64_t int_digits = static_cast<int64_t>(b.digits.size()) - b.scale;
  uint32_t v = 0;
  for (int64_t i = 0; i < int_digits; ++i) {
    char c = i < static_cast<int64_t>(b.digits.size()) ? b.digits[static_cast<size_t>(i)] : '0';
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (b.negative) v = 0 - v;
  return static_cast<int32_t>(v);
}

bool IsIntRange(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

// The Java class json-smart gives a value, as Jayway's messages name it.
const char* JavaClassName(const JsonValue* v) {
  if (v == nullptr) return "null";
  switch (v->type()) {
    case Type::kNull: return "null";
    case Type::kBoolean: return "java.lang.Boolean";
    case Type::kInteger: return IsIntRange(v->integer()) ? "java.lang.Integer" : "java.lang.Long";
    case Type::kBigInteger: return "java.math.BigInteger";
    case Type::kDouble: return "java.lang.Double";
    case Type::kBigDecimal: return "java.math.BigDecimal";
    case Type::kString: return "java.lang.String";
    case Type::kArray: return "net.minidev.json.JSONArray";
    case Type::kObject: return "java.util.LinkedHashMap";
  }
  return "null";
}

}  // namespace json_path_internal
}  // namespace barrage
