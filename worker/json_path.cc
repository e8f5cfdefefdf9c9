#include "common/java_lang.h"
#include "common/utf8.h"
#include "worker/json_path.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <locale.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>

namespace barrage {

// =======================================================================================
// JsonValue

JsonValue JsonValue::Boolean(bool b) { JsonValue v; v.v_ = b; return v; }
JsonValue JsonValue::Integer(int64_t i) { JsonValue v; v.v_ = i; return v; }
JsonValue JsonValue::Double(double d) { JsonValue v; v.v_ = d; return v; }
JsonValue JsonValue::BigInteger(std::string digits) {
  JsonValue v; v.v_ = BigIntegerText{std::move(digits)}; return v;
}
JsonValue JsonValue::BigDecimal(std::string text) {
  JsonValue v; v.v_ = BigDecimalText{std::move(text)}; return v;
}
JsonValue JsonValue::String(std::string s) { JsonValue v; v.v_ = std::move(s); return v; }
JsonValue JsonValue::MakeArray(Array elements) { JsonValue v; v.v_ = std::move(elements); return v; }
JsonValue JsonValue::MakeObject(Object members) {
  JsonValue v; v.v_ = ObjectBox{std::move(members)}; return v;
}

bool JsonValue::is_number() const {
  Type t = type();
  return t == Type::kInteger || t == Type::kBigInteger || t == Type::kDouble ||
         t == Type::kBigDecimal;
}

const std::string& JsonValue::text() const {
  switch (type()) {
    case Type::kBigInteger: return std::get<BigIntegerText>(v_).text;
    case Type::kBigDecimal: return std::get<BigDecimalText>(v_).text;
    default: return std::get<std::string>(v_);
  }
}

namespace json_path_internal {

// strtod in the "C" locale, whatever the process locale is.
double StrToDouble(const std::string& s) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return strtod_l(s.c_str(), nullptr, c_locale);
}

}  // namespace json_path_internal

using namespace json_path_internal;  // NOLINT: this file's own internals

double JsonValue::number() const {
  switch (type()) {
    case Type::kInteger: return static_cast<double>(integer());
    case Type::kDouble: return std::get<double>(v_);
    case Type::kBigInteger:
    case Type::kBigDecimal: return StrToDouble(text());
    default: return 0;
  }
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const Member& m : members()) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

void JsonValue::Put(std::string key, JsonValue value) {
  Object& object = members();
  for (Member& m : object) {
    if (m.first == key) {
      m.second = std::move(value);
      return;
    }
  }
  object.emplace_back(std::move(key), std::move(value));
}

namespace json_path_internal {

using Type = JsonValue::Type;

const JsonValue kNullValue;

// =======================================================================================
// Text helpers: UTF-8 / UTF-16, as Java sees strings.

// Decodes the code point at s[*i] and advances; a malformed byte decodes as itself
// (returned negated so callers can copy it through unchanged).
int32_t NextCodePoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(*i);
  if (b0 < 0x80) { ++*i; return b0; }
  int len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || len > 4 || *i + static_cast<size_t>(len) > s.size()) { ++*i; return -b0; }
  int32_t cp = len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char b = byte(*i + static_cast<size_t>(k));
    if ((b & 0xC0) != 0x80) { ++*i; return -b0; }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += static_cast<size_t>(len);
  return cp;
}

// Number of UTF-16 code units of s[0, n) (String.length() / positions in Java).
int64_t Utf16Length(std::string_view s, size_t n) {
  n = std::min(n, s.size());
  int64_t units = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte
    units += b >= 0xF0 ? 2 : 1;
  }
  return units;
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

// Builds UTF-8 from UTF-16 code units (escapes such as \uD83D\uDE00), pairing surrogates;
// a lone surrogate becomes U+FFFD.
class Utf16Builder {
 public:
  explicit Utf16Builder(std::string* out) : out_(out) {}
  ~Utf16Builder() { Flush(); }
  void Unit(uint32_t u) {
    if (u >= 0xD800 && u <= 0xDBFF) {
      Flush();
      high_ = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      if (high_ != 0) {
        AppendUtf8(static_cast<uint32_t>(0x10000 + ((high_ - 0xD800) << 10) + (u - 0xDC00)), out_);
        high_ = 0;
      } else {
        AppendUtf8(0xFFFD, out_);
      }
    } else {
      Flush();
      AppendUtf8(static_cast<uint32_t>(u), out_);
    }
  }
  void Byte(char c) { Flush(); out_->push_back(c); }
  void Flush() {
    if (high_ != 0) AppendUtf8(0xFFFD, out_);
    high_ = 0;
  }

 private:
  std::string* out_;
  uint32_t high_ = 0;
};

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

// java.math.BigDecimal: sign, unscaled digits (no leading zeros, "0" for zero) and scale.
struct BigDec {
  bool negative = false;
  std::string digits = "0";
  int64_t scale = 0;
};

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

// =======================================================================================
// json-smart's parser (JSONParserString in MODE_PERMISSIVE with the ordered mapper).
//
// A line-by-line port: json-smart's leniency is subtle (what ends an unquoted string, when
// a number turns into text, which control characters are dropped), and JMeter's behaviour
// on odd bodies depends on it. Positions in messages are converted to UTF-16 units.

class SmartParser {
 public:
  explicit SmartParser(std::string_view in) : in_(in), len_(static_cast<int64_t>(in.size())) {}

  Result<JsonValue> Parse() {
    pos_ = -1;
    Read();
    JsonValue out;
    if (!ReadFirst(&out)) return Status::ParseError(error_);
    return out;
  }

 private:
  static constexpr int kEOI = 0x1A;
  static constexpr int kMaxStop = 126;
  static constexpr int kMaxDepth = 400;
  enum ErrorType { kChar, kToken, kEOF, kUnicode, kDepth };
  using StopTable = std::array<bool, kMaxStop>;

  static StopTable MakeStop(std::string_view chars) {
    StopTable t{};
    for (char c : chars) t[static_cast<unsigned char>(c)] = true;
    t[kEOI] = true;
    return t;
  }
  static const StopTable& StopKey() { static const StopTable t = MakeStop(":"); return t; }
  static const StopTable& StopValue() { static const StopTable t = MakeStop(",}"); return t; }
  static const StopTable& StopArray() { static const StopTable t = MakeStop(",]"); return t; }
  static const StopTable& StopX() { static const StopTable t = MakeStop(""); return t; }

  void Read() {
    if (++pos_ >= len_) c_ = kEOI;
    else c_ = static_cast<unsigned char>(in_[static_cast<size_t>(pos_)]);
  }
  bool IsStop(const StopTable& stop) const { return c_ == kEOI || (c_ < kMaxStop && stop[c_]); }

  // The character at a position as Java would print it.
  std::string CharAt(int64_t pos) const {
    if (pos < 0 || pos >= len_) return std::string(1, static_cast<char>(kEOI));
    size_t i = static_cast<size_t>(pos);
    int32_t cp = NextCodePoint(in_, &i);
    if (cp < 0) return std::string(1, in_[static_cast<size_t>(pos)]);
    std::string s;
    AppendUtf8(cp, &s);
    return s;
  }

  int64_t JavaPos(int64_t pos) const {
    if (pos <= 0) return pos;
    if (pos > len_) return Utf16Length(in_, in_.size()) + (pos - len_);
    return Utf16Length(in_, static_cast<size_t>(pos));
  }

  bool Fail(int64_t pos, ErrorType type, const std::string& unexpected) {
    std::string p = std::to_string(JavaPos(pos));
    std::string m = "net.minidev.json.parser.ParseException: ";
    switch (type) {
      case kChar: m += "Unexpected character (" + unexpected + ") at position " + p + "."; break;
      case kToken: m += "Unexpected token " + unexpected + " at position " + p + "."; break;
      case kEOF: m += "Unexpected End Of File position " + p + ": " + unexpected; break;
      case kUnicode:
        m += "Unexpected unicode escape sequence " + unexpected + " at position " + p + ".";
        break;
      case kDepth:
        m += "Malicious payload, having non natural depths, parsing stoped on " + unexpected +
             " at position " + p + ".";
        break;
    }
    error_ = std::move(m);
    return false;
  }

  void SkipSpace() {
    while (!(c_ > ' ' || c_ == kEOI)) Read();
  }
  void SkipDigits() {
    while (c_ >= '0' && c_ <= '9') Read();
  }
  void SkipNQString(const StopTable& stop) {
    while (!IsStop(stop)) Read();
  }
  void ExtractStringTrim(int64_t start, int64_t stop) {
    stop = std::min(stop, len_);
    auto at = [&](int64_t k) { return static_cast<unsigned char>(in_[static_cast<size_t>(k)]); };
    while (start < stop - 1 && JavaIsWhitespace(static_cast<char>(at(start)))) ++start;
    while (stop - 1 > start && JavaIsWhitespace(static_cast<char>(at(stop - 1)))) --stop;
    xs_.assign(in_.substr(static_cast<size_t>(start), static_cast<size_t>(std::max<int64_t>(0, stop - start))));
  }
  void ReadNQString(const StopTable& stop) {
    int64_t start = pos_;
    SkipNQString(stop);
    ExtractStringTrim(start, pos_);
  }

  bool ReadNoEnd() {
    if (++pos_ >= len_) {
      c_ = kEOI;
      return Fail(pos_ - 1, kEOF, "EOF");
    }
    c_ = static_cast<unsigned char>(in_[static_cast<size_t>(pos_)]);
    return true;
  }

  bool ReadFirst(JsonValue* out) {
    for (;;) {
      switch (c_) {
        case ' ': case '\r': case '\n': case '\t':
          Read();
          continue;
        case ':': case '}': case ']':
          return Fail(pos_, kChar, CharAt(pos_));
        case '{':
          return ReadObject(out);
        case '[':
          return ReadArray(out);
        case '"': case '\'':
          if (!ReadString()) return false;
          *out = JsonValue::String(std::move(xs_));
          return true;
        case 'n': case 'f': case 't': case 'N':
          ReadNQString(StopX());
          *out = Keyword();
          return true;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        case '8': case '9': case '-':
          return ReadNumber(StopX(), out);
        default:
          ReadNQString(StopX());
          *out = JsonValue::String(std::move(xs_));
          return true;
      }
    }
  }

  // null, true, false and NaN as unquoted words; anything else is text.
  JsonValue Keyword() {
    if (xs_ == "null") return JsonValue();
    if (xs_ == "true") return JsonValue::Boolean(true);
    if (xs_ == "false") return JsonValue::Boolean(false);
    if (xs_ == "NaN") return JsonValue::Double(std::numeric_limits<double>::quiet_NaN());
    return JsonValue::String(std::move(xs_));
  }

  bool ReadMain(const StopTable& stop, JsonValue* out) {
    for (;;) {
      switch (c_) {
        case ' ': case '\r': case '\n': case '\t':
          Read();
          continue;
        case ':': case '}': case ']':
          return Fail(pos_, kChar, CharAt(pos_));
        case '{':
          return ReadObject(out);
        case '[':
          return ReadArray(out);
        case '"': case '\'':
          if (!ReadString()) return false;
          *out = JsonValue::String(std::move(xs_));
          return true;
        case 'n': case 'f': case 't': case 'N':
          ReadNQString(stop);
          *out = Keyword();
          return true;
        case kEOI:
          return Fail(pos_ - 1, kEOF, "EOF");
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        case '8': case '9': case '-':
          return ReadNumber(stop, out);
        default:
          ReadNQString(stop);
          *out = JsonValue::String(std::move(xs_));
          return true;
      }
    }
  }

  // Containers collect their values on a stack shared by the whole parse and take them in
  // one exactly sized allocation when they close.
  bool ReadArray(JsonValue* out) {
    if (++depth_ > kMaxDepth) return Fail(pos_, kDepth, CharAt(pos_));
    size_t first = element_stack_.size();
    auto close = [&]() {
      JsonValue::Array elements(std::make_move_iterator(element_stack_.begin() + static_cast<std::ptrdiff_t>(first)),
                                std::make_move_iterator(element_stack_.end()));
      element_stack_.resize(first);
      *out = JsonValue::MakeArray(std::move(elements));
    };
    Read();
    for (;;) {
      switch (c_) {
        case ' ': case '\r': case '\n': case '\t':
          Read();
          continue;
        case ']':
          --depth_;
          Read();
          close();
          return true;
        case ':': case '}':
          return Fail(pos_, kChar, CharAt(pos_));
        case ',':
          Read();
          continue;
        case kEOI:
          return Fail(pos_ - 1, kEOF, "EOF");
        default: {
          JsonValue v;
          if (!ReadMain(StopArray(), &v)) return false;
          element_stack_.push_back(std::move(v));
          continue;
        }
      }
    }
  }

  bool ReadObject(JsonValue* out) {
    if (++depth_ > kMaxDepth) return Fail(pos_, kDepth, CharAt(pos_));
    size_t first = member_stack_.size();
    // Map.put needs a lookup per key; large objects get an index.
    std::unordered_map<std::string, size_t> index;
    auto put = [&](std::string key, JsonValue value) {
      if (member_stack_.size() - first >= 16 && index.empty()) {
        for (size_t k = first; k < member_stack_.size(); ++k) index.emplace(member_stack_[k].first, k);
      }
      if (!index.empty()) {
        auto [it, inserted] = index.emplace(key, member_stack_.size());
        if (!inserted) {
          member_stack_[it->second].second = std::move(value);
          return;
        }
        member_stack_.emplace_back(std::move(key), std::move(value));
        return;
      }
      for (size_t k = first; k < member_stack_.size(); ++k) {
        if (member_stack_[k].first == key) {
          member_stack_[k].second = std::move(value);
          return;
        }
      }
      member_stack_.emplace_back(std::move(key), std::move(value));
    };
    auto close = [&]() {
      JsonValue::Object members(std::make_move_iterator(member_stack_.begin() + static_cast<std::ptrdiff_t>(first)),
                                std::make_move_iterator(member_stack_.end()));
      member_stack_.resize(first);
      *out = JsonValue::MakeObject(std::move(members));
    };
    for (;;) {
      Read();
      switch (c_) {
        case ' ': case '\r': case '\t': case '\n':
          continue;
        case ':': case ']': case '[': case '{':
          return Fail(pos_, kChar, CharAt(pos_));
        case '}':
          --depth_;
          Read();
          close();
          return true;
        case ',':
          continue;
        default: {
          if (c_ == '"' || c_ == '\'') {
            if (!ReadString()) return false;
          } else {
            ReadNQString(StopKey());
          }
          std::string key = std::move(xs_);
          SkipSpace();
          if (c_ != ':') {
            if (c_ == kEOI) return Fail(pos_ - 1, kEOF, "null");
            return Fail(pos_ - 1, kChar, CharAt(pos_));
          }
          if (!ReadNoEnd()) return false;
          JsonValue value;
          if (!ReadMain(StopValue(), &value)) return false;
          put(std::move(key), std::move(value));
          SkipSpace();
          if (c_ == '}') {
            --depth_;
            Read();
            close();
            return true;
          }
          if (c_ == kEOI) return Fail(pos_ - 1, kEOF, "null");
          if (c_ != ',') return Fail(pos_ - 1, kToken, CharAt(pos_));
        }
      }
    }
  }

  bool ReadString() {
    char sep = static_cast<char>(c_);
    size_t close = in_.find(sep, static_cast<size_t>(pos_ + 1));
    if (close == std::string_view::npos) return Fail(len_, kEOF, "null");
    std::string_view body = in_.substr(static_cast<size_t>(pos_ + 1), close - static_cast<size_t>(pos_ + 1));
    if (body.find('\\') == std::string_view::npos) {
      xs_.assign(body);
      pos_ = static_cast<int64_t>(close);
      Read();
      return true;
    }
    return ReadString2();
  }

  bool ReadString2() {
    int sep = c_;
    std::string out;
    Utf16Builder sb(&out);
    for (;;) {
      Read();
      switch (c_) {
        case kEOI:
          return Fail(pos_ - 1, kEOF, "null");
        case '"': case '\'':
          if (sep == c_) {
            Read();
            sb.Flush();
            xs_ = std::move(out);
            return true;
          }
          sb.Byte(static_cast<char>(c_));
          break;
        case '\\':
          Read();
          switch (c_) {
            case 't': sb.Byte('\t'); break;
            case 'n': sb.Byte('\n'); break;
            case 'r': sb.Byte('\r'); break;
            case 'f': sb.Byte('\f'); break;
            case 'b': sb.Byte('\b'); break;
            case '\\': sb.Byte('\\'); break;
            case '/': sb.Byte('/'); break;
            case '\'': sb.Byte('\''); break;
            case '"': sb.Byte('"'); break;
            case 'u': case 'x': {
              uint32_t unit = 0;
              if (!ReadUnicode(c_ == 'u' ? 4 : 2, &unit)) return false;
              sb.Unit(unit);
              break;
            }
            default:
              break;
          }
          break;
        case 127:
          continue;  // IGNORE_CONTROL_CHAR drops DEL
        default:
          if (c_ < 32) continue;  // and the other control characters
          sb.Byte(static_cast<char>(c_));
      }
    }
  }

  bool ReadUnicode(int total, uint32_t* value) {
    *value = 0;
    for (int i = 0; i < total; ++i) {
      *value *= 16;
      Read();
      const int digit = JavaHexDigit(static_cast<char>(c_));
      if (digit >= 0) *value += static_cast<uint32_t>(digit);
      else if (c_ == kEOI) return Fail(pos_, kEOF, "EOF");
      else return Fail(pos_, kUnicode, CharAt(pos_));
    }
    return true;
  }

  // After a number's characters: anything but a stop character turns the whole token into
  // an unquoted string ("12 apples").
  bool NumberIsText(const StopTable& stop) const {
    return c_ < kMaxStop && !stop[c_] && c_ != kEOI;
  }

  bool ReadNumber(const StopTable& stop, JsonValue* out) {
    int64_t start = pos_;
    Read();
    SkipDigits();
    if (c_ != '.' && c_ != 'E' && c_ != 'e') {
      SkipSpace();
      if (NumberIsText(stop)) return NumberAsText(start, stop, out);
      ExtractStringTrim(start, pos_);
      ParseInteger(out);
      return true;
    }
    if (c_ == '.') {
      Read();
      SkipDigits();
    }
    if (c_ != 'E' && c_ != 'e') {
      SkipSpace();
      if (NumberIsText(stop)) return NumberAsText(start, stop, out);
      ExtractStringTrim(start, pos_);
      return ExtractFloat(out);
    }
    Read();
    if (c_ == '+' || c_ == '-' || (c_ >= '0' && c_ <= '9')) {
      Read();
      SkipDigits();
      SkipSpace();
      if (NumberIsText(stop)) return NumberAsText(start, stop, out);
      ExtractStringTrim(start, pos_);
      return ExtractFloat(out);
    }
    return NumberAsText(start, stop, out);
  }

  bool NumberAsText(int64_t start, const StopTable& stop, JsonValue* out) {
    SkipNQString(stop);
    ExtractStringTrim(start, pos_);
    *out = JsonValue::String(std::move(xs_));
    return true;
  }

  // JSONParserBase.parseNumber with USE_INTEGER_STORAGE.
  void ParseInteger(JsonValue* out) const {
    const std::string& s = xs_;
    size_t p = 0, l = s.size(), max = 19;
    bool neg = false;
    if (s[0] == '-') {
      ++p;
      ++max;
      neg = true;
    }
    bool must_check;
    if (l < max) {
      max = l;
      must_check = false;
    } else if (l > max) {
      *out = BigIntegerOf(s);
      return;
    } else {
      max = l - 1;
      must_check = true;
    }
    int64_t r = 0;
    while (p < max) r = r * 10 + ('0' - s[p++]);
    if (must_check) {
      bool big;
      if (r > -922337203685477580LL) big = false;
      else if (r < -922337203685477580LL) big = true;
      else big = neg ? s[p] > '8' : s[p] > '7';
      if (big) {
        *out = BigIntegerOf(s);
        return;
      }
      r = r * 10 + ('0' - s[p]);
    }
    if (!neg) r = -r;
    *out = JsonValue::Integer(r);
  }

  static JsonValue BigIntegerOf(const std::string& s) {
    bool neg = s[0] == '-';
    size_t first = s.find_first_not_of('0', neg ? 1 : 0);
    if (first == std::string::npos) return JsonValue::BigInteger("0");
    return JsonValue::BigInteger((neg ? "-" : "") + s.substr(first));
  }

  // JSONParserBase.extractFloat with USE_HI_PRECISION_FLOAT and BIG_DIGIT_UNRESTRICTED:
  // up to 18 characters a double, longer a BigDecimal.
  bool ExtractFloat(JsonValue* out) {
    if (xs_.size() > 18) {
      std::optional<BigDec> decimal = ParseBigDecimal(xs_);
      if (!decimal) return Fail(pos_, kToken, xs_);
      *out = JsonValue::BigDecimal(BigDecimalString(*decimal));
      return true;
    }
    // Double.parseDouble accepts what reaches here when it has a digit before the exponent.
    size_t mantissa_end = xs_.find_first_of("eE");
    std::string_view mantissa = std::string_view(xs_).substr(0, mantissa_end);
    bool has_digit = mantissa.find_first_of("0123456789") != std::string_view::npos;
    bool has_exponent_digit = mantissa_end == std::string::npos ||
                              xs_.find_first_of("0123456789", mantissa_end) != std::string::npos;
    if (!has_digit || !has_exponent_digit) return Fail(pos_, kToken, xs_);
    *out = JsonValue::Double(StrToDouble(xs_));
    return true;
  }

  std::string_view in_;
  int64_t len_;
  int64_t pos_ = -1;
  int c_ = 0;
  int depth_ = 0;
  std::string xs_;
  std::string error_;
  std::vector<JsonValue> element_stack_;
  std::vector<JsonValue::Member> member_stack_;
};

}  // namespace json_path_internal

Result<JsonValue> ParseJson(std::string_view text) { return SmartParser(text).Parse(); }

// =======================================================================================
// Writing values as json-smart and Java do.

namespace json_path_internal {

// json-smart's JSONStyle.NO_COMPRESS string escaping (Escape4Web): also `/`, and
// U+007F-U+009F and U+2000-U+20FF as \uXXXX.
void EscapeJsonSmart(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int32_t cp = NextCodePoint(s, &i);
    switch (cp) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      case '/': *out += "\\/"; continue;
      default: break;
    }
    if ((cp >= 0 && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2000 && cp <= 0x20FF)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(cp));
      *out += buf;
    } else {
      out->append(s.substr(start, i - start));
    }
  }
}

// The order in which a java.util.HashMap built from `members` (new JSONObject(map) /
// new HashMap(map), Java 17) iterates its keys.
std::vector<size_t> JavaHashMapOrder(const JsonValue::Object& members) {
  size_t n = members.size();
  std::vector<size_t> order(n);
  if (n == 0) return order;
  float ft = static_cast<float>(n) / 0.75f + 1.0f;
  int64_t t = ft < static_cast<float>(1 << 30) ? static_cast<int64_t>(ft) : (1 << 30);
  uint32_t capacity = 1;
  while (capacity < t) capacity <<= 1;
  std::vector<uint32_t> bucket(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t h = static_cast<uint32_t>(JavaHashCode(members[i].first));
    bucket[i] = (h ^ (h >> 16)) & (capacity - 1);
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bucket[a] < bucket[b]; });
  return order;
}

void WriteJsonSmart(const JsonValue& v, bool hash_order, std::string* out);

void WriteMembers(const JsonValue::Object& members, bool hash_order, std::string* out) {
  out->push_back('{');
  auto write = [&](const JsonValue::Member& m, bool first) {
    if (!first) out->push_back(',');
    out->push_back('"');
    EscapeJsonSmart(m.first, out);
    *out += "\":";
    WriteJsonSmart(m.second, false, out);
  };
  if (hash_order) {
    bool first = true;
    for (size_t i : JavaHashMapOrder(members)) {
      write(members[i], first);
      first = false;
    }
  } else {
    for (size_t i = 0; i < members.size(); ++i) write(members[i], i == 0);
  }
  out->push_back('}');
}

void WriteElements(std::span<const JsonValue* const> elements, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out->push_back(',');
    WriteJsonSmart(*elements[i], false, out);
  }
  out->push_back(']');
}

// json-smart's toJSONString; `hash_order`: the value is an object copied into a HashMap.
void WriteJsonSmart(const JsonValue& v, bool hash_order, std::string* out) {
  switch (v.type()) {
    case Type::kNull: *out += "null"; return;
    case Type::kBoolean: *out += v.boolean() ? "true" : "false"; return;
    case Type::kInteger: *out += std::to_string(v.integer()); return;
    case Type::kBigInteger:
    case Type::kBigDecimal: *out += v.text(); return;
    case Type::kDouble:
      *out += std::isinf(v.number()) ? "null" : JavaDoubleToString(v.number());
      return;
    case Type::kString:
      out->push_back('"');
      EscapeJsonSmart(v.text(), out);
      out->push_back('"');
      return;
    case Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.elements().size(); ++i) {
        if (i > 0) out->push_back(',');
        WriteJsonSmart(v.elements()[i], false, out);
      }
      out->push_back(']');
      return;
    case Type::kObject: WriteMembers(v.members(), hash_order, out); return;
  }
}

void WriteJavaString(const JsonValue& v, std::string* out) {
  switch (v.type()) {
    case Type::kString: *out += v.text(); return;
    case Type::kDouble: *out += JavaDoubleToString(v.number()); return;
    case Type::kArray: WriteJsonSmart(v, false, out); return;
    case Type::kObject:  // AbstractMap.toString
      out->push_back('{');
      for (size_t i = 0; i < v.members().size(); ++i) {
        if (i > 0) *out += ", ";
        *out += v.members()[i].first;
        out->push_back('=');
        WriteJavaString(v.members()[i].second, out);
      }
      out->push_back('}');
      return;
    default: WriteJsonSmart(v, false, out); return;
  }
}

}  // namespace json_path_internal

std::string JavaString(const JsonValue& value) {
  std::string out;
  WriteJavaString(value, &out);
  return out;
}

std::optional<std::string> ExtractorString(const JsonValue& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_object()) {
    std::string out;
    WriteJsonSmart(value, true, &out);
    return out;
  }
  return JavaString(value);
}

std::string AssertionString(const JsonValue& value) {
  if (value.type() == Type::kDouble) return DecimalFormatString(value.number());
  if (value.is_null()) return "null";
  return *ExtractorString(value);
}

std::string AssertionString(std::span<const JsonValue* const> values) {
  std::string out;
  WriteElements(values, &out);
  return out;
}

bool JavaEquals(const JsonValue& a, const JsonValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull: return true;
    case Type::kBoolean: return a.boolean() == b.boolean();
    case Type::kInteger: return a.integer() == b.integer();
    case Type::kBigInteger:
    case Type::kBigDecimal:
    case Type::kString: return a.text() == b.text();
    case Type::kDouble: {  // Double.equals compares bits
      double x = a.number(), y = b.number();
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case Type::kArray: {
      if (a.elements().size() != b.elements().size()) return false;
      for (size_t i = 0; i < a.elements().size(); ++i) {
        if (!JavaEquals(a.elements()[i], b.elements()[i])) return false;
      }
      return true;
    }
    case Type::kObject: {
      if (a.members().size() != b.members().size()) return false;
      for (const JsonValue::Member& m : a.members()) {
        const JsonValue* other = b.Find(m.first);
        if (other == nullptr || !JavaEquals(m.second, *other)) return false;
      }
      return true;
    }
  }
  return false;
}


// =======================================================================================
// Compiled paths: Jayway's path tokens, filters and functions.

namespace json_path_internal {

// Jayway's exceptions, as far as callers tell them apart.
enum class ErrKind {
  kNone,
  kPathNotFound,      // PathNotFoundException
  kInvalidPath,       // InvalidPathException (other than PathNotFoundException)
  kJsonPath,          // other JsonPathException (functions, InvalidJsonException)
  kIndexOutOfBounds,  // java.lang.IndexOutOfBoundsException
  kOther,             // any other Java exception; message is its toString()
};

struct PathError {
  ErrKind kind = ErrKind::kNone;
  std::string message;
  explicit operator bool() const { return kind != ErrKind::kNone; }
};

// java.util.regex as filters use it (`=~ /re/flags`, whole-value match), on PCRE2.
class FilterRegex {
 public:
  FilterRegex() = default;
  FilterRegex(const FilterRegex&) = delete;
  FilterRegex& operator=(const FilterRegex&) = delete;
  ~FilterRegex() { pcre2_code_free(code_); }

  // nullptr with `*error` set when the pattern does not compile.
  static std::shared_ptr<const FilterRegex> Compile(const std::string& pattern,
                                                    std::string_view flags, std::string* error) {
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    bool unix_lines = false;
    for (char f : flags) {
      switch (f) {
        case 'i': options |= PCRE2_CASELESS; break;
        case 'm': options |= PCRE2_MULTILINE; break;
        case 's': options |= PCRE2_DOTALL; break;
        case 'x': options |= PCRE2_EXTENDED; break;
        case 'U': options |= PCRE2_UCP; break;
        case 'd': unix_lines = true; break;
        default: break;  // 'u': PCRE2 folds case by Unicode rules in UTF mode anyway
      }
    }
    pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
    // Java's line terminators unless UNIX_LINES.
    pcre2_set_newline(cc, unix_lines ? PCRE2_NEWLINE_LF : PCRE2_NEWLINE_ANY);
    int code = 0;
    PCRE2_SIZE offset = 0;
    auto re = std::make_shared<FilterRegex>();
    re->code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                              &code, &offset, cc);
    pcre2_compile_context_free(cc);
    if (re->code_ == nullptr) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(code, buf, sizeof(buf));
      *error = reinterpret_cast<char*>(buf);
      return nullptr;
    }
    return re;
  }

  // Matcher.matches(): the whole subject.
  bool Matches(std::string_view subject) const {
    struct MatchData {
      pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
      ~MatchData() { pcre2_match_data_free(data); }
    };
    thread_local MatchData md;
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                         PCRE2_ANCHORED | PCRE2_ENDANCHORED, md.data, nullptr);
    return rc >= 0;
  }

 private:
  pcre2_code* code_ = nullptr;
};

enum class RelOp {
  kGte, kLte, kEq, kTsEq, kNe, kTsNe, kLt, kGt, kRegex, kNin, kIn, kContains, kAll, kSize,
  kExists, kType, kMatches, kEmpty, kSubsetOf, kAnyOf, kNoneOf,
};

std::optional<RelOp> RelOpFromString(std::string_view s) {
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, RelOp> kOps[] = {
      {">=", RelOp::kGte}, {"<=", RelOp::kLte}, {"==", RelOp::kEq}, {"===", RelOp::kTsEq},
      {"!=", RelOp::kNe}, {"!==", RelOp::kTsNe}, {"<", RelOp::kLt}, {">", RelOp::kGt},
      {"=~", RelOp::kRegex}, {"NIN", RelOp::kNin}, {"IN", RelOp::kIn},
      {"CONTAINS", RelOp::kContains}, {"ALL", RelOp::kAll}, {"SIZE", RelOp::kSize},
      {"EXISTS", RelOp::kExists}, {"TYPE", RelOp::kType}, {"MATCHES", RelOp::kMatches},
      {"EMPTY", RelOp::kEmpty}, {"SUBSETOF", RelOp::kSubsetOf}, {"ANYOF", RelOp::kAnyOf},
      {"NONEOF", RelOp::kNoneOf},
  };
  for (const auto& [text, op] : kOps) {
    if (upper == text) return op;
  }
  return std::nullopt;
}

struct FilterExpr;

// A value node of a filter as compiled (Jayway's ValueNode before evaluation).
struct ValueSpec {
  enum class Kind { kPath, kString, kNumber, kBoolean, kNull, kJson, kPattern };
  Kind kind = Kind::kNull;
  std::shared_ptr<const CompiledPath> path;  // kPath
  bool exists_check = false;
  bool should_exist = true;
  std::string str;                            // kString (unescaped)
  BigDec number;                              // kNumber
  bool boolean = false;                       // kBoolean
  std::string json_text;                      // kJson, as written
  std::shared_ptr<const JsonValue> json;      // kJson, parsed (null when it did not parse)
  std::string json_error;
  std::shared_ptr<const FilterRegex> regex;   // kPattern
};

struct FilterExpr {
  enum class Kind { kAnd, kOr, kNot, kRelational };
  Kind kind = Kind::kRelational;
  std::vector<std::shared_ptr<const FilterExpr>> operands;  // kAnd, kOr, kNot
  ValueSpec left, right;                                    // kRelational
  RelOp op = RelOp::kEq;
};

struct FunctionParam {
  enum class Kind { kPath, kJson };
  Kind kind = Kind::kPath;
  std::shared_ptr<const CompiledPath> path;                // kPath
  std::shared_ptr<const CompiledPath> path_with_wildcard;  // kPath: what length() reads
  std::string json;                                        // kJson, as written
};

struct Token {
  enum class Kind { kRoot, kProperty, kIndex, kSlice, kWildcard, kScan, kPredicate, kFunction };
  enum class Slice { kFrom, kTo, kBetween };
  Kind kind = Kind::kRoot;
  char root = '$';
  std::vector<std::string> properties;
  char delimiter = '\'';
  std::vector<int32_t> indexes;
  Slice slice = Slice::kFrom;
  std::optional<int32_t> from, to;
  std::shared_ptr<const FilterExpr> filter;
  std::string function;
  std::vector<FunctionParam> params;
  bool function_has_args = false;  // as written (fixes its fragment)
  // Derived by CompiledPath::Finish().
  bool leaf = false;
  bool token_definite = true;
  bool upstream_definite = true;
  std::string fragment;
};

}  // namespace json_path_internal

class CompiledPath {
 public:
  std::vector<json_path_internal::Token> tokens;  // tokens[0] is the root ($ or @)
  bool root_path = true;                          // starts with `$`
  bool definite = true;
  bool function_path = false;
  std::string tail_prev_fragment;
  std::string text;

  void Finish() {
    using json_path_internal::Token;
    bool upstream = true;
    definite = true;
    for (size_t i = 0; i < tokens.size(); ++i) {
      Token& t = tokens[i];
      t.leaf = i + 1 == tokens.size();
      t.upstream_definite = upstream;
      switch (t.kind) {
        case Token::Kind::kRoot:
          t.token_definite = true;
          t.fragment = std::string(1, t.root);
          break;
        case Token::Kind::kProperty: {
          t.token_definite = t.properties.size() == 1 || t.leaf;
          t.fragment = "[";
          for (size_t k = 0; k < t.properties.size(); ++k) {
            if (k > 0) t.fragment += ",";
            t.fragment += t.delimiter + t.properties[k] + t.delimiter;
          }
          t.fragment += "]";
          break;
        }
        case Token::Kind::kIndex: {
          t.token_definite = t.indexes.size() == 1;
          t.fragment = "[";
          for (size_t k = 0; k < t.indexes.size(); ++k) {
            if (k > 0) t.fragment += ",";
            t.fragment += std::to_string(t.indexes[k]);
          }
          t.fragment += "]";
          break;
        }
        case Token::Kind::kSlice:
          t.token_definite = false;
          t.fragment = "[" + (t.from ? std::to_string(*t.from) : "") + ":" +
                       (t.to ? std::to_string(*t.to) : "") + "]";
          break;
        case Token::Kind::kWildcard:
          t.token_definite = false;
          t.fragment = "[*]";
          break;
        case Token::Kind::kScan:
          t.token_definite = false;
          t.fragment = "..";
          break;
        case Token::Kind::kPredicate:
          t.token_definite = false;
          t.fragment = "[?]";
          break;
        case Token::Kind::kFunction:
          t.token_definite = true;
          t.fragment = "." + t.function + (t.function_has_args ? "(...)" : "()");
          break;
      }
      upstream = upstream && t.token_definite;
      definite = definite && t.token_definite;
    }
    function_path = tokens.back().kind == Token::Kind::kFunction;
    tail_prev_fragment = tokens.size() >= 2 ? tokens[tokens.size() - 2].fragment : "";
    text = FragmentsFrom(0);
  }

  // PathToken.toString() of token i: its fragment and those after it.
  std::string FragmentsFrom(size_t i) const {
    std::string s;
    for (; i < tokens.size(); ++i) s += tokens[i].fragment;
    return s;
  }
};

namespace json_path_internal {

// ---------------------------------------------------------------------------------------
// Compiling (PathCompiler, FilterCompiler, CharacterIndex).

// Errors while compiling: the first one wins, as the Java exception would have ended
// compilation there.
struct CompileState {
  PathError err;
  bool failed() const { return static_cast<bool>(err); }
  bool Fail(std::string message) {
    if (!err) err = {ErrKind::kInvalidPath, std::move(message)};
    return false;
  }
  bool Other(std::string message) {
    if (!err) err = {ErrKind::kOther, std::move(message)};
    return false;
  }
};

// Utils.unescape (string literals and bracket properties).
bool JaywayUnescape(std::string_view s, std::string* out, CompileState* st) {
  out->clear();
  Utf16Builder w(out);
  bool had_slash = false, in_unicode = false;
  std::string unicode;
  for (char ch : s) {
    if (in_unicode) {
      unicode.push_back(ch);
      if (unicode.size() == 4) {
        int32_t value = 0;
        auto [ptr, ec] = std::from_chars(unicode.data() + (unicode[0] == '+' ? 1 : 0),
                                         unicode.data() + unicode.size(), value, 16);
        if (ec != std::errc() || ptr != unicode.data() + unicode.size()) {
          return st->Other("com.jayway.jsonpath.JsonPathException: Unable to parse unicode value: " +
                           unicode);
        }
        w.Unit(static_cast<uint32_t>(value) & 0xFFFF);
        unicode.clear();
        in_unicode = false;
        had_slash = false;
      }
      continue;
    }
    if (had_slash) {
      had_slash = false;
      switch (ch) {
        case '\\': w.Byte('\\'); break;
        case '\'': w.Byte('\''); break;
        case '"': w.Byte('"'); break;
        case 'r': w.Byte('\r'); break;
        case 'f': w.Byte('\f'); break;
        case 't': w.Byte('\t'); break;
        case 'n': w.Byte('\n'); break;
        case 'b': w.Byte('\b'); break;
        case 'u': in_unicode = true; break;
        default: w.Byte(ch); break;
      }
      continue;
    }
    if (ch == '\\') {
      had_slash = true;
      continue;
    }
    w.Byte(ch);
  }
  if (had_slash) w.Byte('\\');
  w.Flush();
  return true;
}

class CharIndex {
 public:
  CharIndex(std::string s, CompileState* st)
      : s_(std::move(s)), end_(static_cast<int>(s_.size()) - 1), st_(st) {}

  const std::string& str() const { return s_; }
  int length() const { return end_ + 1; }
  int position() const { return pos_; }
  void setPosition(int p) { pos_ = p; }
  void incrementPosition(int n) { pos_ += n; }
  void decrementEndPosition(int n) { end_ -= n; }

  // String.charAt: indexes the whole string, beyond the logical end too.
  char charAt(int i) const {
    if (i < 0 || i >= static_cast<int>(s_.size())) {
      st_->Other("java.lang.StringIndexOutOfBoundsException: String index out of range: " +
                 std::to_string(i));
      return '\0';
    }
    return s_[static_cast<size_t>(i)];
  }
  char currentChar() const { return charAt(pos_); }
  bool currentCharIs(char c) const { return charAt(pos_) == c; }
  bool lastCharIs(char c) const { return charAt(end_) == c; }
  bool nextCharIs(char c) const { return inBounds(pos_ + 1) && charAt(pos_ + 1) == c; }
  bool inBounds(int i) const { return i >= 0 && i <= end_; }
  bool inBounds() const { return inBounds(pos_); }
  bool isOutOfBounds(int i) const { return !inBounds(i); }
  bool currentIsTail() const { return pos_ >= end_; }
  bool hasMoreCharacters() const { return inBounds(pos_ + 1); }

  std::string subSequence(int begin, int end) const {
    if (begin < 0 || end > static_cast<int>(s_.size()) || begin > end) {
      st_->Other("java.lang.StringIndexOutOfBoundsException: begin " + std::to_string(begin) +
                 ", end " + std::to_string(end) + ", length " + std::to_string(s_.size()));
      return "";
    }
    return s_.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
  }

  int indexOfMatchingCloseChar(int start, char open, char close, bool skip_strings,
                               bool skip_regex) const {
    if (charAt(start) != open) {
      st_->Fail(std::string("Expected ") + open + " but found " + charAt(start));
      return -1;
    }
    int opened = 1;
    int r = start + 1;
    while (inBounds(r) && !st_->failed()) {
      if (skip_strings) {
        char quote = charAt(r);
        if (quote == '\'' || quote == '"') {
          r = nextIndexOfUnescaped(r, quote);
          if (r == -1) {
            st_->Fail(std::string("Could not find matching close quote for ") + quote +
                      " when parsing : " + s_);
            return -1;
          }
          ++r;
        }
      }
      if (skip_regex && charAt(r) == '/') {
        r = nextIndexOfUnescaped(r, '/');
        if (r == -1) {
          st_->Fail("Could not find matching close for / when parsing regex in : " + s_);
          return -1;
        }
        ++r;
      }
      if (charAt(r) == open) ++opened;
      if (charAt(r) == close) {
        if (--opened == 0) return r;
      }
      ++r;
    }
    return -1;
  }
  int indexOfClosingBracket(int start, bool skip_strings, bool skip_regex) const {
    return indexOfMatchingCloseChar(start, '(', ')', skip_strings, skip_regex);
  }
  int indexOfNextSignificantChar(char c) const { return indexOfNextSignificantChar(pos_, c); }
  int indexOfNextSignificantChar(int start, char c) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return charAt(r) == c ? r : -1;
  }
  int nextIndexOf(int start, char c) const {
    for (int r = start; !isOutOfBounds(r); ++r) {
      if (charAt(r) == c) return r;
    }
    return -1;
  }
  int nextIndexOfUnescaped(char c) const { return nextIndexOfUnescaped(pos_, c); }
  int nextIndexOfUnescaped(int start, char c) const {
    bool in_escape = false;
    for (int r = start + 1; !isOutOfBounds(r); ++r) {
      if (in_escape) {
        in_escape = false;
      } else if (charAt(r) == '\\') {
        in_escape = true;
      } else if (charAt(r) == c) {
        return r;
      }
    }
    return -1;
  }
  bool nextSignificantCharIs(int start, char c) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return !isOutOfBounds(r) && charAt(r) == c;
  }
  bool nextSignificantCharIs(char c) const { return nextSignificantCharIs(pos_, c); }
  char nextSignificantChar() const { return nextSignificantChar(pos_); }
  char nextSignificantChar(int start) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return isOutOfBounds(r) ? ' ' : charAt(r);
  }
  bool readSignificantChar(char c) {
    if (skipBlanks().currentChar() != c) {
      return st_->Fail(std::string("Expected character: ") + c);
    }
    incrementPosition(1);
    return true;
  }
  bool hasSignificantSubSequence(std::string_view s) {
    skipBlanks();
    int n = static_cast<int>(s.size());
    if (!inBounds(pos_ + n - 1)) return false;
    if (subSequence(pos_, pos_ + n) != s) return false;
    incrementPosition(n);
    return true;
  }
  char previousSignificantChar() const {
    int r = pos_ - 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') --r;
    return isOutOfBounds(r) ? ' ' : charAt(r);
  }
  int indexOfPreviousSignificantChar() const {
    int r = pos_ - 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') --r;
    return isOutOfBounds(r) ? -1 : r;
  }
  bool isNumberCharacter(int i) const {
    char c = charAt(i);
    return (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'E' || c == 'e';
  }
  CharIndex& skipBlanks() {
    while (inBounds() && pos_ < end_ && currentChar() == ' ') incrementPosition(1);
    return *this;
  }
  void trim() {
    skipBlanks();
    while (inBounds() && pos_ < end_ && lastCharIs(' ')) decrementEndPosition(1);
  }

 private:
  std::string s_;
  int pos_ = 0;
  int end_;
  CompileState* st_;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }


std::shared_ptr<CompiledPath> CompileRaw(std::string text, PathError* err);
std::shared_ptr<CompiledPath> CompileStatic(std::string_view text, PathError* err);

class FilterCompiler {
 public:
  FilterCompiler(std::string criteria, CompileState* st) : f_(std::move(criteria), st), st_(st) {}

  std::shared_ptr<const FilterExpr> Compile() {
    const std::string whole = f_.str();
    f_.trim();
    if (!f_.currentCharIs('[') || !f_.lastCharIs(']')) {
      st_->Fail("Filter must start with '[' and end with ']'. " + whole);
      return nullptr;
    }
    f_.incrementPosition(1);
    f_.decrementEndPosition(1);
    f_.trim();
    if (!f_.currentCharIs('?')) {
      st_->Fail("Filter must start with '[?' and end with ']'. " + whole);
      return nullptr;
    }
    f_.incrementPosition(1);
    f_.trim();
    if (!f_.currentCharIs('(') || !f_.lastCharIs(')')) {
      st_->Fail("Filter must start with '[?(' and end with ')]'. " + whole);
      return nullptr;
    }
    if (st_->failed()) return nullptr;
    std::shared_ptr<const FilterExpr> result = ReadLogicalOr();
    if (!st_->failed()) {
      f_.skipBlanks();
      if (f_.inBounds()) {
        st_->Fail("Expected end of filter expression instead of: " +
                  f_.subSequence(f_.position(), f_.length()));
      }
    }
    if (st_->err.kind == ErrKind::kOther) {
      // FilterCompiler.compile's catch-all; reading the current character may fail again.
      int pos = f_.position();
      if (pos >= 0 && pos < static_cast<int>(whole.size())) {
        st_->err = {ErrKind::kInvalidPath, "Failed to parse filter: " + whole +
                                               ", error on position: " + std::to_string(pos) +
                                               ", char: " + whole[static_cast<size_t>(pos)]};
      } else {
        st_->err = {ErrKind::kOther,
                    "java.lang.StringIndexOutOfBoundsException: String index out of range: " +
                        std::to_string(pos)};
      }
    }
    return st_->failed() ? nullptr : result;
  }

 private:
  static bool IsRelationalOperatorChar(char c) {
    return c == '<' || c == '>' || c == '=' || c == '~' || c == '!';
  }

  std::shared_ptr<const FilterExpr> ReadLogicalOr() {
    return ReadLogicalChain(FilterExpr::Kind::kOr, "||", &FilterCompiler::ReadLogicalAnd);
  }

  std::shared_ptr<const FilterExpr> ReadLogicalAnd() {
    return ReadLogicalChain(FilterExpr::Kind::kAnd, "&&", &FilterCompiler::ReadLogicalAndOperand);
  }

  // operand (op operand)*: a single operand stands for itself, more become one `kind` node.
  std::shared_ptr<const FilterExpr> ReadLogicalChain(
      FilterExpr::Kind kind, const char* op,
      std::shared_ptr<const FilterExpr> (FilterCompiler::*read_operand)()) {
    std::vector<std::shared_ptr<const FilterExpr>> ops;
    ops.push_back((this->*read_operand)());
    while (!st_->failed()) {
      int savepoint = f_.position();
      if (f_.hasSignificantSubSequence(op)) {
        ops.push_back((this->*read_operand)());
      } else {
        f_.setPosition(savepoint);
        break;
      }
    }
    if (st_->failed()) return nullptr;
    if (ops.size() == 1) return ops[0];
    auto e = std::make_shared<FilterExpr>();
    e->kind = kind;
    e->operands = std::move(ops);
    return e;
  }

  std::shared_ptr<const FilterExpr> ReadLogicalAndOperand() {
    int savepoint = f_.skipBlanks().position();
    if (f_.skipBlanks().currentCharIs('!')) {
      f_.readSignificantChar('!');
      char c = f_.skipBlanks().currentChar();
      if (st_->failed()) return nullptr;
      if (c == '$' || c == '@') {
        f_.setPosition(savepoint);
      } else {
        std::shared_ptr<const FilterExpr> op = ReadLogicalAndOperand();
        if (st_->failed()) return nullptr;
        auto e = std::make_shared<FilterExpr>();
        e->kind = FilterExpr::Kind::kNot;
        e->operands.push_back(std::move(op));
        return e;
      }
    }
    if (f_.skipBlanks().currentCharIs('(')) {
      f_.readSignificantChar('(');
      std::shared_ptr<const FilterExpr> op = ReadLogicalOr();
      if (st_->failed()) return nullptr;
      f_.readSignificantChar(')');
      return st_->failed() ? nullptr : op;
    }
    if (st_->failed()) return nullptr;
    return ReadExpression();
  }

  std::shared_ptr<const FilterExpr> ReadExpression() {
    auto e = std::make_shared<FilterExpr>();
    if (!ReadValueNode(&e->left)) return nullptr;
    int savepoint = f_.position();
    std::optional<RelOp> op = ReadRelationalOperator();
    if (op && ReadValueNode(&e->right)) {
      e->op = *op;
      return e;
    }
    if (st_->err.kind != ErrKind::kInvalidPath) return nullptr;
    st_->err = {};
    f_.setPosition(savepoint);
    if (e->left.kind != ValueSpec::Kind::kPath) {
      st_->Fail("Expected path node");
      return nullptr;
    }
    e->left.exists_check = true;
    e->right = ValueSpec();
    e->right.kind = ValueSpec::Kind::kBoolean;
    e->right.boolean = e->left.should_exist;
    e->op = RelOp::kExists;
    return e;
  }

  std::optional<RelOp> ReadRelationalOperator() {
    int begin = f_.skipBlanks().position();
    if (IsRelationalOperatorChar(f_.currentChar())) {
      while (f_.inBounds() && IsRelationalOperatorChar(f_.currentChar())) f_.incrementPosition(1);
    } else {
      while (f_.inBounds() && f_.currentChar() != ' ' && !st_->failed()) f_.incrementPosition(1);
    }
    std::string text = f_.subSequence(begin, f_.position());
    if (st_->failed()) return std::nullopt;
    std::optional<RelOp> op = RelOpFromString(text);
    if (!op) st_->Fail("Filter operator " + text + " is not supported!");
    return op;
  }

  bool ReadValueNode(ValueSpec* out) {
    char c = f_.skipBlanks().currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '$':
      case '@':
        return ReadPath(out);
      case '!': {
        f_.incrementPosition(1);
        char next = f_.skipBlanks().currentChar();
        if (st_->failed()) return false;
        if (next == '$' || next == '@') return ReadPath(out);
        return st_->Fail("Unexpected character: !");
      }
      default:
        return ReadLiteral(out);
    }
  }

  bool ReadLiteral(ValueSpec* out) {
    char c = f_.skipBlanks().currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '\'': return ReadStringLiteral('\'', out);
      case '"': return ReadStringLiteral('"', out);
      case 't': case 'f': return ReadBooleanLiteral(out);
      case 'n': return ReadNullLiteral(out);
      case '{': case '[': return ReadJsonLiteral(out);
      case '/': return ReadPattern(out);
      default: return ReadNumberLiteral(out);
    }
  }

  bool ReadNullLiteral(ValueSpec* out) {
    if (f_.currentChar() == 'n' && f_.inBounds(f_.position() + 3) &&
        f_.subSequence(f_.position(), f_.position() + 4) == "null") {
      f_.incrementPosition(4);
      out->kind = ValueSpec::Kind::kNull;
      return true;
    }
    return st_->Fail("Expected <null> value");
  }

  bool ReadJsonLiteral(ValueSpec* out) {
    int begin = f_.position();
    char open = f_.currentChar();
    char close = open == '[' ? ']' : '}';
    int closing = f_.indexOfMatchingCloseChar(f_.position(), open, close, true, false);
    if (st_->failed()) return false;
    if (closing == -1) return st_->Fail("String not closed. Expected ' in " + f_.str());
    f_.setPosition(closing + 1);
    out->kind = ValueSpec::Kind::kJson;
    out->json_text = f_.subSequence(begin, f_.position());
    Result<JsonValue> parsed = ParseJson(out->json_text);
    if (parsed.ok()) {
      out->json = std::make_shared<const JsonValue>(std::move(parsed).value());
    } else {
      out->json_error = parsed.status().message();  // IllegalArgumentException(ParseException)
    }
    return !st_->failed();
  }

  bool ReadPattern(ValueSpec* out) {
    int begin = f_.position();
    int closing = f_.nextIndexOfUnescaped('/');
    if (closing == -1) return st_->Fail("Pattern not closed. Expected / in " + f_.str());
    if (f_.inBounds(closing + 1)) {
      int end_flags = closing + 1;
      while (f_.inBounds(end_flags) &&
             std::string_view("dixmsuU").find(f_.charAt(end_flags)) != std::string_view::npos) {
        ++end_flags;
      }
      closing = end_flags - 1;
    }
    f_.setPosition(closing + 1);
    std::string literal = f_.subSequence(begin, f_.position());
    if (st_->failed()) return false;
    size_t first = literal.find('/'), last = literal.rfind('/');
    std::string pattern = literal.substr(first + 1, last - first - 1);
    std::string flags = literal.substr(last + 1);
    std::string error;
    out->kind = ValueSpec::Kind::kPattern;
    out->regex = FilterRegex::Compile(pattern, flags, &error);
    if (out->regex == nullptr) {
      return st_->Other("java.util.regex.PatternSyntaxException: " + error);
    }
    return true;
  }

  bool ReadStringLiteral(char end_char, ValueSpec* out) {
    int begin = f_.position();
    int closing = f_.nextIndexOfUnescaped(end_char);
    if (closing == -1) {
      return st_->Fail(std::string("String literal does not have matching quotes. Expected ") +
                       end_char + " in " + f_.str());
    }
    f_.setPosition(closing + 1);
    std::string literal = f_.subSequence(begin, f_.position());
    out->kind = ValueSpec::Kind::kString;
    if (literal.size() > 1) {
      literal = literal.substr(1, literal.size() - 2);  // both ends are end_char
      return JaywayUnescape(literal, &out->str, st_);
    }
    out->str = literal;
    return !st_->failed();
  }

  bool ReadNumberLiteral(ValueSpec* out) {
    int begin = f_.position();
    while (f_.inBounds() && f_.isNumberCharacter(f_.position())) f_.incrementPosition(1);
    std::string literal = f_.subSequence(begin, f_.position());
    if (st_->failed()) return false;
    std::optional<BigDec> number = ParseBigDecimal(literal);
    if (!number) return st_->Other("java.lang.NumberFormatException");
    out->kind = ValueSpec::Kind::kNumber;
    out->number = *number;
    return true;
  }

  bool ReadBooleanLiteral(ValueSpec* out) {
    int begin = f_.position();
    int end = f_.currentChar() == 't' ? f_.position() + 3 : f_.position() + 4;
    if (!f_.inBounds(end)) return st_->Fail("Expected boolean literal");
    std::string text = f_.subSequence(begin, end + 1);
    if (text != "true" && text != "false") return st_->Fail("Expected boolean literal");
    f_.incrementPosition(static_cast<int>(text.size()));
    out->kind = ValueSpec::Kind::kBoolean;
    out->boolean = text == "true";
    return true;
  }

  bool ReadPath(ValueSpec* out) {
    char previous = f_.previousSignificantChar();
    int begin = f_.position();
    f_.incrementPosition(1);
    while (f_.inBounds() && !st_->failed()) {
      if (f_.currentChar() == '[') {
        int closing = f_.indexOfMatchingCloseChar(f_.position(), '[', ']', true, false);
        if (st_->failed()) return false;
        if (closing == -1) return st_->Fail("Square brackets does not match in filter " + f_.str());
        f_.setPosition(closing + 1);
      }
      char c = f_.currentChar();
      bool closing_function = c == ')' && CurrentCharIsClosingFunctionBracket(begin);
      bool closing_logical = c == ')' && !closing_function;
      if (!f_.inBounds() || IsRelationalOperatorChar(c) || c == ' ' || closing_logical) break;
      f_.incrementPosition(1);
    }
    if (st_->failed()) return false;
    std::string text = f_.subSequence(begin, f_.position());
    PathError err;
    out->kind = ValueSpec::Kind::kPath;
    out->path = CompileStatic(text, &err);
    out->should_exist = previous != '!';
    if (err) {
      st_->err = err;
      return false;
    }
    return true;
  }

  bool CurrentCharIsClosingFunctionBracket(int lower_bound) const {
    if (f_.currentChar() != ')') return false;
    int idx = f_.indexOfPreviousSignificantChar();
    if (idx == -1 || f_.charAt(idx) != '(') return false;
    --idx;
    while (f_.inBounds(idx) && idx > lower_bound) {
      if (f_.charAt(idx) == '.') return true;
      --idx;
    }
    return false;
  }

  CharIndex f_;
  CompileState* st_;
};

class PathCompiler {
 public:
  PathCompiler(CharIndex path, CompileState* st) : path_(std::move(path)), st_(st) {}

  std::shared_ptr<CompiledPath> Compile() {
    auto compiled = std::make_shared<CompiledPath>();
    tokens_ = &compiled->tokens;
    ReadContextToken();
    if (st_->failed()) return nullptr;
    compiled->root_path = tokens_->front().root == '$';
    compiled->Finish();
    return InvertScannerFunction(std::move(compiled));
  }

 private:
  static bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool IsPathContext(char c) { return c == '$' || c == '@'; }

  bool Fail(std::string message) { return st_->Fail(std::move(message)); }
  bool Tail() { return path_.currentIsTail() || ReadNextToken(); }

  // `$..x.fn()` becomes `$.fn($..x)` (CompiledPath.invertScannerFunctionRelationship).
  static std::shared_ptr<CompiledPath> InvertScannerFunction(std::shared_ptr<CompiledPath> p) {
    if (!p->function_path || p->tokens.size() < 2 || p->tokens[1].kind != Token::Kind::kScan) {
      return p;
    }
    size_t f = 1;
    while (p->tokens[f].kind != Token::Kind::kFunction) ++f;
    auto param_path = std::make_shared<CompiledPath>();
    param_path->tokens.assign(p->tokens.begin(), p->tokens.begin() + static_cast<std::ptrdiff_t>(f));
    param_path->root_path = true;
    param_path->Finish();
    auto inverted = std::make_shared<CompiledPath>();
    inverted->root_path = p->root_path;
    Token root;
    root.kind = Token::Kind::kRoot;
    root.root = '$';
    inverted->tokens.push_back(root);
    inverted->tokens.insert(inverted->tokens.end(),
                            p->tokens.begin() + static_cast<std::ptrdiff_t>(f), p->tokens.end());
    FunctionParam param;
    param.kind = FunctionParam::Kind::kPath;
    param.path = param_path;
    param.path_with_wildcard = WithWildcard(*param_path);
    inverted->tokens[1].params = {param};
    inverted->Finish();
    return inverted;
  }

 public:
  // The path length() evaluates for a path argument: the argument with `[*]` appended.
  static std::shared_ptr<const CompiledPath> WithWildcard(const CompiledPath& p) {
    auto w = std::make_shared<CompiledPath>(p);
    if (w->tokens.size() > 1) {
      Token wildcard;
      wildcard.kind = Token::Kind::kWildcard;
      w->tokens.push_back(wildcard);
    }
    w->Finish();
    // Jayway links the wildcard in without moving the root's tail pointer.
    w->tail_prev_fragment = p.tail_prev_fragment;
    return w;
  }

 private:
  void ReadContextToken() {
    while (path_.inBounds() && IsWhitespace(path_.currentChar())) path_.incrementPosition(1);
    if (!IsPathContext(path_.currentChar())) {
      Fail("Path must start with '$' or '@'");
      return;
    }
    Token root;
    root.kind = Token::Kind::kRoot;
    root.root = path_.currentChar();
    tokens_->push_back(root);
    if (path_.currentIsTail()) return;
    path_.incrementPosition(1);
    if (path_.currentChar() != '.' && path_.currentChar() != '[') {
      Fail("Illegal character at position " + std::to_string(path_.position()) +
           " expected '.' or '['");
      return;
    }
    ReadNextToken();
  }

  bool ReadNextToken() {
    if (st_->failed()) return false;
    char c = path_.currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '[':
        if (ReadBracketPropertyToken() || st_->failed()) return !st_->failed();
        if (ReadArrayToken() || st_->failed()) return !st_->failed();
        if (ReadWildCardToken() || st_->failed()) return !st_->failed();
        if (ReadFilterToken() || st_->failed()) return !st_->failed();
        if (ReadPlaceholderToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()) + ". Expected ?, ', 0-9, * ");
      case '.':
        if (ReadDotToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
      case '*':
        if (ReadWildCardToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
      default:
        if (ReadPropertyOrFunctionToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
    }
  }

  bool ReadDotToken() {
    if (path_.currentCharIs('.') && path_.nextCharIs('.')) {
      Token scan;
      scan.kind = Token::Kind::kScan;
      tokens_->push_back(scan);
      path_.incrementPosition(2);
    } else if (!path_.hasMoreCharacters()) {
      return Fail("Path must not end with a '.");
    } else {
      path_.incrementPosition(1);
    }
    if (path_.currentCharIs('.')) {
      return Fail("Character '.' on position " + std::to_string(path_.position()) +
                  " is not valid.");
    }
    return ReadNextToken();
  }

  bool ReadPropertyOrFunctionToken() {
    if (path_.currentCharIs('[') || path_.currentCharIs('*') || path_.currentCharIs('.') ||
        path_.currentCharIs(' ')) {
      return false;
    }
    int start = path_.position();
    int read = start;
    int end = 0;
    bool is_function = false;
    while (path_.inBounds(read)) {
      char c = path_.charAt(read);
      if (c == ' ') {
        return Fail("Use bracket notion ['my prop'] if your property contains blank characters. "
                    "position: " + std::to_string(path_.position()));
      }
      if (c == '.' || c == '[') {
        end = read;
        break;
      }
      if (c == '(') {
        is_function = true;
        end = read;
        break;
      }
      ++read;
    }
    if (end == 0) end = path_.length();
    std::vector<FunctionParam> params;
    if (is_function) {
      int count = 1;
      for (int i = read + 1; i < path_.length(); ++i) {
        if (path_.charAt(i) == ')') --count;
        else if (path_.charAt(i) == '(') ++count;
        if (count == 0) break;
      }
      if (count != 0) {
        return Fail("Arguments to function: '" + path_.subSequence(start, end) +
                    "' are not closed properly.");
      }
      if (path_.inBounds(read + 1)) {
        if (path_.charAt(read + 1) != ')') {
          path_.setPosition(end + 1);
          if (!ParseFunctionParameters(path_.subSequence(start, end), &params)) return false;
        } else {
          path_.setPosition(read + 1);
        }
      } else {
        path_.setPosition(read);
      }
    } else {
      path_.setPosition(end);
    }
    std::string property = path_.subSequence(start, end);
    if (st_->failed()) return false;
    Token t;
    if (is_function) {
      t.kind = Token::Kind::kFunction;
      t.function = property;
      t.function_has_args = !params.empty();
      t.params = std::move(params);
    } else {
      t.kind = Token::Kind::kProperty;
      t.properties = {property};
      t.delimiter = '\'';
    }
    tokens_->push_back(std::move(t));
    return Tail();
  }

  bool ParseFunctionParameters(const std::string& function_name, std::vector<FunctionParam>* out) {
    enum class ParamType { kNone, kJson, kPath };
    ParamType type = ParamType::kNone;
    int group_paren = 1, group_bracket = 0, group_brace = 0, group_quote = 0;
    bool end_of_stream = false;
    char prior = 0;
    std::string parameter;
    while (path_.inBounds() && !end_of_stream && !st_->failed()) {
      char c = path_.currentChar();
      path_.incrementPosition(1);
      if (type == ParamType::kNone) {
        if (IsWhitespace(c)) continue;
        if (c == '{' || IsDigit(c) || c == '"' || c == '-') type = ParamType::kJson;
        else if (IsPathContext(c)) type = ParamType::kPath;
      }
      bool close_or_comma = false;
      switch (c) {
        case '"':
          if (prior != '\\' && group_quote > 0) --group_quote;
          else ++group_quote;
          break;
        case '(': ++group_paren; break;
        case '{': ++group_brace; break;
        case '[': ++group_bracket; break;
        case '}':
          if (group_brace == 0) {
            return Fail("Unexpected close brace '}' at character position: " +
                        std::to_string(path_.position()));
          }
          --group_brace;
          break;
        case ']':
          if (group_bracket == 0) {
            return Fail("Unexpected close bracket ']' at character position: " +
                        std::to_string(path_.position()));
          }
          --group_bracket;
          break;
        case ')':
          --group_paren;
          if (group_paren < 0 || prior == '(') parameter.push_back(c);
          close_or_comma = true;
          break;
        case ',':
          close_or_comma = true;
          break;
        default:
          break;
      }
      if (close_or_comma && group_quote == 0 && group_brace == 0 && group_bracket == 0 &&
          ((group_paren == 0 && c == ')') || group_paren == 1)) {
        end_of_stream = group_paren == 0;
        if (type != ParamType::kNone) {
          FunctionParam param;
          if (type == ParamType::kJson) {
            param.kind = FunctionParam::Kind::kJson;
            param.json = parameter;
          } else {
            PathError err;
            param.kind = FunctionParam::Kind::kPath;
            param.path = CompileRaw(parameter, &err);
            if (err) {
              st_->err = err;
              return false;
            }
            param.path_with_wildcard = WithWildcard(*param.path);
          }
          out->push_back(std::move(param));
          parameter.clear();
          type = ParamType::kNone;
        }
      }
      if (type != ParamType::kNone &&
          !(c == ',' && group_brace == 0 && group_bracket == 0 && group_paren == 1)) {
        parameter.push_back(c);
      }
      prior = c;
    }
    if (st_->failed()) return false;
    if (group_brace != 0 || group_paren != 0 || group_bracket != 0) {
      return Fail("Arguments to function: '" + function_name + "' are not closed properly.");
    }
    return true;
  }

  bool ReadPlaceholderToken() {
    if (!path_.currentCharIs('[')) return false;
    int question = path_.indexOfNextSignificantChar('?');
    if (question == -1) return false;
    char next = path_.nextSignificantChar(question);
    if (next != ']' && next != ',') return false;
    int begin = path_.position() + 1;
    int end = path_.nextIndexOf(begin, ']');
    if (end == -1) return false;
    // `[?]` placeholders take predicates given through Jayway's API; a plan has none.
    return Fail("Not enough predicates supplied for filter [" + path_.subSequence(begin, end) +
                "] at position " + std::to_string(path_.position()));
  }

  bool ReadFilterToken() {
    if (!path_.currentCharIs('[') && !path_.nextSignificantCharIs('?')) return false;
    int open_statement = path_.position();
    int question = path_.indexOfNextSignificantChar('?');
    if (question == -1) return false;
    int open_bracket = path_.indexOfNextSignificantChar(question, '(');
    if (open_bracket == -1) return false;
    int close_bracket = path_.indexOfClosingBracket(open_bracket, true, true);
    if (close_bracket == -1) return false;
    if (!path_.nextSignificantCharIs(close_bracket, ']')) return false;
    int close_statement = path_.indexOfNextSignificantChar(close_bracket, ']');
    std::string criteria = path_.subSequence(open_statement, close_statement + 1);
    if (st_->failed()) return false;
    std::shared_ptr<const FilterExpr> filter = FilterCompiler(criteria, st_).Compile();
    if (st_->failed()) return false;
    Token t;
    t.kind = Token::Kind::kPredicate;
    t.filter = std::move(filter);
    tokens_->push_back(std::move(t));
    path_.setPosition(close_statement + 1);
    return Tail();
  }

  bool ReadWildCardToken() {
    bool in_bracket = path_.currentCharIs('[');
    if (in_bracket && !path_.nextSignificantCharIs('*')) return false;
    if (!path_.currentCharIs('*') && path_.isOutOfBounds(path_.position() + 1)) return false;
    if (in_bracket) {
      int wildcard = path_.indexOfNextSignificantChar('*');
      if (!path_.nextSignificantCharIs(wildcard, ']')) {
        return Fail("Expected wildcard token to end with ']' on position " +
                    std::to_string(wildcard + 1));
      }
      path_.setPosition(path_.indexOfNextSignificantChar(wildcard, ']') + 1);
    } else {
      path_.incrementPosition(1);
    }
    Token t;
    t.kind = Token::Kind::kWildcard;
    tokens_->push_back(t);
    return Tail();
  }

  bool ReadArrayToken() {
    if (!path_.currentCharIs('[')) return false;
    char next = path_.nextSignificantChar();
    if (!IsDigit(next) && next != '-' && next != ':') return false;
    int begin = path_.position() + 1;
    int end = path_.nextIndexOf(begin, ']');
    if (end == -1) return false;
    std::string expression(JavaTrim(path_.subSequence(begin, end)));
    if (st_->failed() || expression == "*") return false;
    for (char c : expression) {
      if (!IsDigit(c) && c != ',' && c != '-' && c != ':' && c != ' ') return false;
    }
    Token t;
    if (expression.find(':') != std::string::npos) {
      if (!ParseSlice(expression, &t)) return false;
    } else if (!ParseIndexes(expression, &t)) {
      return false;
    }
    tokens_->push_back(std::move(t));
    path_.setPosition(end + 1);
    return Tail();
  }

  // ArraySliceOperation.parse: `from:to`; a third part (a step) is ignored.
  bool ParseSlice(const std::string& op, Token* t) {
    for (char c : op) {
      if (!IsDigit(c) && c != '-' && c != ':') return Fail("Failed to parse SliceOperation: " + op);
    }
    std::vector<std::string> parts = JavaSplit(op, ':');
    auto read = [&](size_t i, std::optional<int32_t>* v) {
      if (parts.size() <= i || parts[i].empty()) return true;
      *v = JavaParseInt(parts[i]);
      if (!*v) {
        return st_->Other("java.lang.NumberFormatException: For input string: \"" + parts[i] + "\"");
      }
      return true;
    };
    if (!read(0, &t->from) || !read(1, &t->to)) return false;
    t->kind = Token::Kind::kSlice;
    if (t->from && !t->to) t->slice = Token::Slice::kFrom;
    else if (t->from) t->slice = Token::Slice::kBetween;
    else if (t->to) t->slice = Token::Slice::kTo;
    else return Fail("Failed to parse SliceOperation: " + op);
    return true;
  }

  // ArrayIndexOperation.parse: `i`, `i,j,...`.
  bool ParseIndexes(const std::string& op, Token* t) {
    for (char c : op) {
      if (!IsDigit(c) && c != ',' && c != ' ' && c != '-') {
        return Fail("Failed to parse ArrayIndexOperation: " + op);
      }
    }
    // Split on "\s*,\s*", keeping empty parts.
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t comma = op.find(',', start);
      std::string part = op.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t b = part.find_first_not_of(' ');
      size_t e = part.find_last_not_of(' ');
      bool first = parts.empty(), last = comma == std::string::npos;
      // Only the spaces next to a comma belong to the separator.
      if (!first) part = b == std::string::npos ? "" : part.substr(b);
      if (!last) {
        e = part.find_last_not_of(' ');
        part = e == std::string::npos ? "" : part.substr(0, e + 1);
      }
      parts.push_back(part);
      if (last) break;
      start = comma + 1;
    }
    t->kind = Token::Kind::kIndex;
    for (const std::string& p : parts) {
      std::optional<int32_t> v = JavaParseInt(p);
      if (!v) return Fail("Failed to parse token in ArrayIndexOperation: " + p);
      t->indexes.push_back(*v);
    }
    return true;
  }

  bool ReadBracketPropertyToken() {
    if (!path_.currentCharIs('[')) return false;
    char delimiter = path_.nextSignificantChar();
    if (delimiter != '\'' && delimiter != '"') return false;
    std::vector<std::string> properties;
    int start = path_.position() + 1;
    int read = start;
    int end = 0;
    bool in_property = false, in_escape = false, last_was_comma = false;
    while (path_.inBounds(read) && !st_->failed()) {
      char c = path_.charAt(read);
      if (in_escape) {
        in_escape = false;
      } else if (c == '\\') {
        in_escape = true;
      } else if (c == ']' && !in_property) {
        if (last_was_comma) return Fail("Found empty property at index " + std::to_string(read));
        break;
      } else if (c == delimiter) {
        if (in_property) {
          char next = path_.nextSignificantChar(read);
          if (next != ']' && next != ',') {
            return Fail("Property must be separated by comma or Property must be terminated "
                        "close square bracket at index " + std::to_string(read));
          }
          end = read;
          std::string property;
          if (!JaywayUnescape(path_.subSequence(start, end), &property, st_)) return false;
          properties.push_back(std::move(property));
          in_property = false;
        } else {
          start = read + 1;
          in_property = true;
          last_was_comma = false;
        }
      } else if (c == ',' && !in_property) {
        if (last_was_comma) return Fail("Found empty property at index " + std::to_string(read));
        last_was_comma = true;
      }
      ++read;
    }
    if (st_->failed()) return false;
    if (in_property) {
      return Fail(std::string("Property has not been closed - missing closing ") + delimiter);
    }
    int end_bracket = path_.indexOfNextSignificantChar(end, ']');
    if (st_->failed()) return false;
    if (end_bracket == -1) return Fail("Property has not been closed - missing closing ]");
    path_.setPosition(end_bracket + 1);
    if (properties.empty()) return Fail("Empty properties");
    Token t;
    t.kind = Token::Kind::kProperty;
    t.properties = std::move(properties);
    t.delimiter = delimiter;
    tokens_->push_back(std::move(t));
    return Tail();
  }

  CharIndex path_;
  CompileState* st_;
  std::vector<Token>* tokens_ = nullptr;
};

// A Java exception caught by PathCompiler.compile is rethrown as InvalidPathException
// carrying its toString().
void WrapAsInvalidPath(PathError* err) {
  if (err->kind == ErrKind::kOther) err->kind = ErrKind::kInvalidPath;
}

// new PathCompiler(path).compile(): function arguments.
std::shared_ptr<CompiledPath> CompileRaw(std::string text, PathError* err) {
  CompileState st;
  std::shared_ptr<CompiledPath> p = PathCompiler(CharIndex(std::move(text), &st), &st).Compile();
  *err = st.err;
  return st.failed() ? nullptr : p;
}

// PathCompiler.compile(String): trims, prefixes "$." when the path starts with neither `$`
// nor `@`, refuses a trailing dot.
std::shared_ptr<CompiledPath> CompileStatic(std::string_view text, PathError* err) {
  CompileState st;
  std::shared_ptr<CompiledPath> p;
  CharIndex ci{std::string(text), &st};
  ci.trim();
  char first = ci.charAt(0);
  if (!st.failed()) {
    if (first != '$' && first != '@') {
      ci = CharIndex("$." + std::string(text), &st);
      ci.trim();
    }
    if (ci.lastCharIs('.')) {
      st.Fail("Path must not end with a '.' or '..'");
    } else if (!st.failed()) {
      p = PathCompiler(std::move(ci), &st).Compile();
    }
  }
  *err = st.err;
  WrapAsInvalidPath(err);
  return *err ? nullptr : p;
}

// ---------------------------------------------------------------------------------------
// Evaluation.

// The path so far (Jayway's currentPath), rendered only when a message needs it.
struct Trace {
  enum class Kind { kText, kProperty, kIndex };
  const Trace* parent = nullptr;
  Kind kind = Kind::kText;
  std::string_view text;
  int64_t index = 0;
};

std::string Render(const Trace* t) {
  if (t == nullptr) return "";
  std::string s = Render(t->parent);
  switch (t->kind) {
    case Trace::Kind::kText: s += t->text; break;
    case Trace::Kind::kProperty: s += "['" + std::string(t->text) + "']"; break;
    case Trace::Kind::kIndex: s += "[" + std::to_string(t->index) + "]"; break;
  }
  return s;
}

// EvaluationContext.getValue(): the one value of a definite path, or all that an indefinite
// path found.
struct PathValue {
  bool definite = false;
  std::vector<const JsonValue*> values;
};

// A filter value after evaluation (Jayway's ValueNode subclasses).
struct FilterValue {
  enum class Kind {
    kString, kNumber, kBoolean, kNull, kJson, kPattern, kUndefined, kValueList, kUnevaluatedPath,
  };
  Kind kind = Kind::kUndefined;
  std::string str;
  BigDec number;
  bool boolean = false;
  // kJson: `json` is the parsed value; `literal` marks a node written in the filter (Jayway
  // keeps its text, which makes its equals() compare texts).
  const JsonValue* json = nullptr;
  const std::string* literal = nullptr;
  const std::string* json_error = nullptr;
  std::shared_ptr<const JsonValue> holder;
  const FilterRegex* regex = nullptr;
  std::vector<FilterValue> list;
};

// Java's ValueNode.equals (left.equals(right)).
bool NodeEquals(const FilterValue& a, const FilterValue& b) {
  using K = FilterValue::Kind;
  switch (a.kind) {
    case K::kString:
      if (b.kind == K::kString) return a.str == b.str;
      if (b.kind == K::kNumber) return a.str == BigDecimalString(b.number);
      return false;
    case K::kNumber:
      if (b.kind == K::kNumber) return CompareBigDec(a.number, b.number) == 0;
      if (b.kind == K::kString) {
        std::optional<BigDec> n = ParseBigDecimal(b.str);
        return n && CompareBigDec(a.number, *n) == 0;
      }
      return false;
    case K::kBoolean: return b.kind == K::kBoolean && a.boolean == b.boolean;
    case K::kNull: return b.kind == K::kNull;
    case K::kJson:
      if (b.kind != K::kJson) return false;
      if (a.literal != nullptr || b.literal != nullptr) {
        return a.literal != nullptr && b.literal != nullptr && *a.literal == *b.literal;
      }
      return a.json != nullptr && b.json != nullptr && JavaEquals(*a.json, *b.json);
    case K::kValueList:
      if (b.kind != K::kValueList || a.list.size() != b.list.size()) return false;
      for (size_t i = 0; i < a.list.size(); ++i) {
        if (!NodeEquals(a.list[i], b.list[i])) return false;
      }
      return true;
    case K::kPattern:
    case K::kUndefined:
    case K::kUnevaluatedPath:
      return &a == &b;
  }
  return false;
}

int32_t NumberIntValue(const JsonValue& v) {
  switch (v.type()) {
    case Type::kInteger: return static_cast<int32_t>(static_cast<uint32_t>(v.integer()));
    case Type::kDouble: {
      double d = v.number();
      if (std::isnan(d)) return 0;
      if (d >= 2147483647.0) return std::numeric_limits<int32_t>::max();
      if (d <= -2147483648.0) return std::numeric_limits<int32_t>::min();
      return static_cast<int32_t>(d);
    }
    default: {
      std::optional<BigDec> b = ParseBigDecimal(v.text());
      return b ? BigDecIntValue(*b) : 0;
    }
  }
}

class Evaluator {
 public:
  Evaluator(const CompiledPath& path, const JsonValue* root, bool require_properties,
            std::deque<JsonValue>* owned)
      : path_(path), root_(root), require_(require_properties), owned_(owned),
        upstream_(path.tokens.size(), -1) {}

  // Evaluates the path on `model`; false when a Java exception would have been thrown.
  bool Run(const JsonValue* model) {
    if (root_->is_null()) return Fail(ErrKind::kOther, "root can not be null");
    Trace none;
    return Eval(0, none, model);
  }

  // getValue() after Run().
  bool GetValue(PathValue* out) { return GetValue(path_.definite, out); }
  // `definite`: what Jayway's memoized isDefinite() answers (see length()).
  bool GetValue(bool definite, PathValue* out) {
    out->definite = definite;
    if (definite) {
      if (results_.empty()) return Fail(ErrKind::kPathNotFound, "No results for path: " + path_.text);
      out->values = {results_.back()};
    } else {
      out->values = results_;
    }
    return true;
  }

  const std::vector<const JsonValue*>& results() const { return results_; }
  PathError& err() { return err_; }

 private:
  bool Fail(ErrKind kind, std::string message) {
    err_ = {kind, std::move(message)};
    return false;
  }
  void Add(const JsonValue* v) { results_.push_back(v); }
  const JsonValue* Own(JsonValue v) {
    owned_->push_back(std::move(v));
    return &owned_->back();
  }

  bool Eval(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    switch (t.kind) {
      case Token::Kind::kRoot: {
        if (t.leaf) {
          Add(model);
          return true;
        }
        Trace root{nullptr, Trace::Kind::kText, t.fragment, 0};
        return Eval(i + 1, root, model);
      }
      case Token::Kind::kProperty: return EvalProperty(i, cur, model);
      case Token::Kind::kIndex: {
        bool skip = false;
        if (!CheckArrayModel(i, cur, model, &skip)) return false;
        if (skip) return true;
        for (int32_t index : t.indexes) {
          if (!HandleArrayIndex(i, index, cur, *model)) return false;
        }
        return true;
      }
      case Token::Kind::kSlice: return EvalSlice(i, cur, model);
      case Token::Kind::kWildcard: return EvalWildcard(i, cur, model);
      case Token::Kind::kScan: return Walk(i + 1, cur, model);
      case Token::Kind::kPredicate: return EvalPredicate(i, cur, model);
      case Token::Kind::kFunction: return EvalFunction(i, cur, model);
    }
    return true;
  }

  bool EvalProperty(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    if (!model->is_object()) {
      if (!t.upstream_definite) return true;
      return Fail(ErrKind::kPathNotFound,
                  "Expected to find an object with property " + t.fragment + " in path " +
                      Render(&cur) + " but found '" + JavaClassName(model) +
                      "'. This is not a json object according to the JsonProvider: "
                      "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.");
    }
    if (t.properties.size() == 1) {
      const JsonValue* v = model->Find(t.properties[0]);
      return HandleProperty(i, cur, t.properties[0], v);
    }
    if (t.leaf) return MergeProperties(i, cur, *model);
    for (const std::string& property : t.properties) {
      if (!HandleProperty(i, cur, property, model->Find(property))) return false;
    }
    return true;
  }

  // PathToken.handleObjectProperty for one property; `v` is nullptr when it is absent.
  bool HandleProperty(size_t i, const Trace& cur, std::string_view property, const JsonValue* v) {
    const Token& t = path_.tokens[i];
    Trace eval{&cur, Trace::Kind::kProperty, property, 0};
    if (v == nullptr) {
      if (t.leaf) {
        if (!require_) return true;
        return Fail(ErrKind::kPathNotFound, "No results for path: " + Render(&eval));
      }
      if (!(t.upstream_definite && t.token_definite) && !require_) return true;
      return Fail(ErrKind::kPathNotFound, "Missing property in path " + Render(&eval));
    }
    if (t.leaf) {
      // Jayway's workaround for `$..[n].x`: a leaf reached through a scanned array keeps
      // only the index the path names.
      int upstream = upstream_[i];
      if (upstream == -1 || path_.tail_prev_fragment == "[" + std::to_string(upstream) + "]") {
        Add(v);
      }
      return true;
    }
    return Eval(i + 1, eval, v);
  }

  bool MergeProperties(size_t i, const Trace& cur, const JsonValue& model) {
    const Token& t = path_.tokens[i];
    JsonValue merged = JsonValue::MakeObject();
    for (const std::string& property : t.properties) {
      const JsonValue* v = model.Find(property);
      if (v != nullptr) {
        merged.Put(property, *v);
      } else if (require_) {
        std::string names;
        for (size_t k = 0; k < t.properties.size(); ++k) {
          names += (k > 0 ? ", '" : "'") + t.properties[k] + "'";
        }
        return Fail(ErrKind::kPathNotFound, "Missing property in path " + Render(&cur) + "[" + names + "]");
      }
    }
    Add(Own(std::move(merged)));
    return true;
  }

  bool HandleArrayIndex(size_t i, int64_t index, const Trace& cur, const JsonValue& model) {
    const Token& t = path_.tokens[i];
    Trace eval{&cur, Trace::Kind::kIndex, {}, index};
    int64_t length = static_cast<int64_t>(model.elements().size());
    int64_t effective = index < 0 ? length + index : index;
    if (effective < 0 || effective >= length) return true;  // IndexOutOfBounds: skipped
    const JsonValue* v = &model.elements()[static_cast<size_t>(effective)];
    if (t.leaf) {
      Add(v);
      return true;
    }
    if (Eval(i + 1, eval, v)) return true;
    if (err_.kind == ErrKind::kIndexOutOfBounds) {  // Jayway's catch covers the rest too
      err_ = {};
      return true;
    }
    return false;
  }

  bool CheckArrayModel(size_t i, const Trace& cur, const JsonValue* model, bool* skip) {
    const Token& t = path_.tokens[i];
    *skip = false;
    if (model->is_null()) {
      if (!t.upstream_definite) {
        *skip = true;
        return true;
      }
      return Fail(ErrKind::kPathNotFound, "The path " + Render(&cur) + " is null");
    }
    if (!model->is_array()) {
      if (!t.upstream_definite) {
        *skip = true;
        return true;
      }
      return Fail(ErrKind::kPathNotFound, "Filter: " + path_.FragmentsFrom(i) +
                                              " can only be applied to arrays. Current context is: " +
                                              JavaString(*model));
    }
    return true;
  }

  bool EvalSlice(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    bool skip = false;
    if (!CheckArrayModel(i, cur, model, &skip)) return false;
    if (skip) return true;
    int64_t length = static_cast<int64_t>(model->elements().size());
    int64_t from = 0, to = 0;
    switch (t.slice) {
      case Token::Slice::kFrom:
        from = *t.from < 0 ? length + *t.from : *t.from;
        from = std::max<int64_t>(0, from);
        if (length == 0 || from >= length) return true;
        to = length;
        break;
      case Token::Slice::kBetween:
        from = *t.from;
        to = std::min<int64_t>(length, *t.to);
        if (from >= to || length == 0) return true;
        break;
      case Token::Slice::kTo:
        if (length == 0) return true;
        to = *t.to < 0 ? length + *t.to : *t.to;
        to = std::min(length, to);
        break;
    }
    for (int64_t k = from; k < to; ++k) {
      if (!HandleArrayIndex(i, k, cur, *model)) return false;
    }
    return true;
  }

  bool EvalWildcard(size_t i, const Trace& cur, const JsonValue* model) {
    if (model->is_object()) {
      for (const JsonValue::Member& m : model->members()) {
        if (!HandleProperty(i, cur, m.first, &m.second)) return false;
      }
    } else if (model->is_array()) {
      for (size_t k = 0; k < model->elements().size(); ++k) {
        if (HandleArrayIndex(i, static_cast<int64_t>(k), cur, *model)) continue;
        if (err_.kind == ErrKind::kPathNotFound && !require_) {
          err_ = {};
          continue;
        }
        return false;
      }
    }
    return true;
  }

  // ScanPathToken: whether the token after `..` applies at `model`.
  bool ScanMatches(size_t pt, const JsonValue* model, bool* matches) {
    const Token& t = path_.tokens[pt];
    switch (t.kind) {
      case Token::Kind::kProperty:
        *matches = model->is_object();
        if (*matches && t.token_definite) {
          for (const std::string& p : t.properties) {
            if (model->Find(p) == nullptr) *matches = false;
          }
        }
        return true;
      case Token::Kind::kIndex:
      case Token::Kind::kSlice:
        *matches = model->is_array();
        return true;
      case Token::Kind::kWildcard:
        *matches = true;
        return true;
      case Token::Kind::kPredicate:
        return Accept(t, model, matches);
      default:
        *matches = false;
        return true;
    }
  }

  bool Walk(size_t pt, const Trace& cur, const JsonValue* model) {
    if (pt >= path_.tokens.size()) {
      return Fail(ErrKind::kOther, "Current path token is a leaf");
    }
    bool matches = false;
    if (model->is_object()) {
      if (!ScanMatches(pt, model, &matches)) return false;
      if (matches && !Eval(pt, cur, model)) return false;
      for (const JsonValue::Member& m : model->members()) {
        Trace eval{&cur, Trace::Kind::kProperty, m.first, 0};
        if (!Walk(pt, eval, &m.second)) return false;
      }
    } else if (model->is_array()) {
      if (!ScanMatches(pt, model, &matches)) return false;
      const JsonValue::Array& elements = model->elements();
      if (matches) {
        if (path_.tokens[pt].leaf) {
          if (!Eval(pt, cur, model)) return false;
        } else {
          for (size_t k = 0; k < elements.size(); ++k) {
            Trace eval{&cur, Trace::Kind::kIndex, {}, static_cast<int64_t>(k)};
            upstream_[pt + 1] = static_cast<int>(k);
            if (!Eval(pt + 1, eval, &elements[k])) return false;
          }
        }
      }
      for (size_t k = 0; k < elements.size(); ++k) {
        Trace eval{&cur, Trace::Kind::kIndex, {}, static_cast<int64_t>(k)};
        if (!Walk(pt, eval, &elements[k])) return false;
      }
    }
    return true;
  }

  bool EvalPredicate(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    if (model->is_object()) {
      bool accepted = false;
      if (!Accept(t, model, &accepted)) return false;
      if (!accepted) return true;
      if (t.leaf) {
        Add(model);
        return true;
      }
      return Eval(i + 1, cur, model);
    }
    if (model->is_array()) {
      const JsonValue::Array& elements = model->elements();
      for (size_t k = 0; k < elements.size(); ++k) {
        bool accepted = false;
        if (!Accept(t, &elements[k], &accepted)) return false;
        if (accepted && !HandleArrayIndex(i, static_cast<int64_t>(k), cur, *model)) return false;
      }
      return true;
    }
    if (t.upstream_definite) {
      return Fail(ErrKind::kInvalidPath, "Filter: " + path_.FragmentsFrom(i) +
                                             " can not be applied to primitives. Current context is: " +
                                             JavaString(*model));
    }
    return true;
  }

  // PredicatePathToken.accept: an InvalidPathException while testing rejects the item.
  bool Accept(const Token& t, const JsonValue* item, bool* accepted) {
    bool ok = Apply(*t.filter, item, accepted);
    if (!ok && (err_.kind == ErrKind::kInvalidPath || err_.kind == ErrKind::kPathNotFound)) {
      err_ = {};
      *accepted = false;
      return true;
    }
    return ok;
  }

  bool Apply(const FilterExpr& e, const JsonValue* item, bool* out) {
    switch (e.kind) {
      case FilterExpr::Kind::kOr:
        for (const auto& op : e.operands) {
          if (!Apply(*op, item, out)) return false;
          if (*out) return true;
        }
        *out = false;
        return true;
      case FilterExpr::Kind::kAnd:
        for (const auto& op : e.operands) {
          if (!Apply(*op, item, out)) return false;
          if (!*out) return true;
        }
        *out = true;
        return true;
      case FilterExpr::Kind::kNot:
        if (!Apply(*e.operands[0], item, out)) return false;
        *out = !*out;
        return true;
      case FilterExpr::Kind::kRelational: {
        FilterValue left, right;
        if (!Resolve(e.left, item, &left) || !Resolve(e.right, item, &right)) return false;
        return Compare(e.op, left, right, out);
      }
    }
    return true;
  }

  // A compiled value node, with paths evaluated (PathNode.evaluate).
  bool Resolve(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
    switch (spec.kind) {
      case ValueSpec::Kind::kString:
        out->kind = FilterValue::Kind::kString;
        out->str = spec.str;
        return true;
      case ValueSpec::Kind::kNumber:
        out->kind = FilterValue::Kind::kNumber;
        out->number = spec.number;
        return true;
      case ValueSpec::Kind::kBoolean:
        out->kind = FilterValue::Kind::kBoolean;
        out->boolean = spec.boolean;
        return true;
      case ValueSpec::Kind::kNull:
        out->kind = FilterValue::Kind::kNull;
        return true;
      case ValueSpec::Kind::kJson:
        out->kind = FilterValue::Kind::kJson;
        out->json = spec.json.get();
        out->literal = &spec.json_text;
        out->json_error = spec.json ? nullptr : &spec.json_error;
        return true;
      case ValueSpec::Kind::kPattern:
        out->kind = FilterValue::Kind::kPattern;
        out->regex = spec.regex.get();
        return true;
      case ValueSpec::Kind::kPath:
        return ResolvePath(spec, item, out);
    }
    return true;
  }

  bool ResolvePath(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
    const CompiledPath& p = *spec.path;
    if (spec.exists_check) {
      // Evaluated on the item even for `$` paths, with REQUIRE_PROPERTIES.
      Evaluator sub(p, root_, true, owned_);
      PathValue pv;
      out->kind = FilterValue::Kind::kBoolean;
      if (sub.Run(item) && sub.GetValue(&pv)) {
        out->boolean = true;
        return true;
      }
      if (sub.err().kind == ErrKind::kPathNotFound) {
        out->boolean = false;
        return true;
      }
      err_ = std::move(sub.err());
      return false;
    }
    PathValue pv;
    auto cached = root_cache_.find(&p);
    if (p.root_path && cached != root_cache_.end()) {
      pv = cached->second;
    } else {
      Evaluator sub(p, root_, false, owned_);
      if (!sub.Run(p.root_path ? root_ : item) || !sub.GetValue(&pv)) {
        if (sub.err().kind == ErrKind::kPathNotFound) {
          out->kind = FilterValue::Kind::kUndefined;
          return true;
        }
        err_ = std::move(sub.err());
        return false;
      }
      if (p.root_path) root_cache_[&p] = pv;
    }
    if (!pv.definite) {
      JsonValue::Array copy;
      for (const JsonValue* v : pv.values) copy.push_back(*v);
      out->kind = FilterValue::Kind::kJson;
      out->holder = std::make_shared<const JsonValue>(JsonValue::MakeArray(std::move(copy)));
      out->json = out->holder.get();
      return true;
    }
    return ToNode(pv.values[0], out);
  }

  // PathNode.evaluate's conversion of a result.
  bool ToNode(const JsonValue* v, FilterValue* out) {
    switch (v->type()) {
      case Type::kNull: out->kind = FilterValue::Kind::kNull; return true;
      case Type::kBoolean:
        out->kind = FilterValue::Kind::kBoolean;
        out->boolean = v->boolean();
        return true;
      case Type::kString:
        out->kind = FilterValue::Kind::kString;
        out->str = v->text();
        return true;
      case Type::kArray:
      case Type::kObject:
        out->kind = FilterValue::Kind::kJson;
        out->json = v;
        return true;
      default: {
        std::string text = JavaString(*v);
        std::optional<BigDec> n = ParseBigDecimal(text);
        if (!n) {
          return Fail(ErrKind::kOther, "Character " +
                                           text.substr(0, 1) +
                                           " is neither a decimal digit number, decimal point, "
                                           "nor \"e\" notation exponential mark.");
        }
        out->kind = FilterValue::Kind::kNumber;
        out->number = *n;
        return true;
      }
    }
  }

  // ValueNode.toValueNode for an element of a JSON array used as a value list.
  bool ElementNode(const JsonValue& v, FilterValue* out) {
    switch (v.type()) {
      case Type::kArray:
      case Type::kObject:
        return Fail(ErrKind::kJsonPath, "Could not determine value type");
      case Type::kString: {
        std::string_view trimmed = JavaTrim(v.text());
        if (!trimmed.empty() && (trimmed[0] == '@' || trimmed[0] == '$')) {
          PathError ignored;
          if (CompileStatic(trimmed, &ignored) != nullptr) {
            out->kind = FilterValue::Kind::kUnevaluatedPath;
            return true;
          }
        }
        if (trimmed.size() > 1 && ((trimmed.front() == '[' && trimmed.back() == ']') ||
                                   (trimmed.front() == '{' && trimmed.back() == '}'))) {
          if (ParseJson(trimmed).ok()) {
            out->kind = FilterValue::Kind::kJson;
            out->literal = &v.text();
            return true;
          }
        }
        out->kind = FilterValue::Kind::kString;
        std::string s = v.text();
        if (Utf16Length(s, s.size()) > 1) {
          if ((s.front() == '\'' && s.back() == '\'') || (s.front() == '"' && s.back() == '"')) {
            s = s.substr(1, s.size() - 2);
          }
          CompileState st;
          if (!JaywayUnescape(s, &out->str, &st)) {
            return Fail(ErrKind::kJsonPath, st.err.message.substr(st.err.message.find(": ") + 2));
          }
        } else {
          out->str = s;
        }
        return true;
      }
      default:
        return ToNode(&v, out);
    }
  }

  // The parsed value of a JSON node (JsonNode.parse); literals that did not parse fail.
  bool Parsed(const FilterValue& n, const JsonValue** out) {
    if (n.json == nullptr) {
      return Fail(ErrKind::kOther, n.json_error != nullptr ? *n.json_error : "");
    }
    *out = n.json;
    return true;
  }

  // JsonNode.asValueListNode(ctx); `*is_list` false for UNDEFINED (not an array).
  bool AsValueList(const FilterValue& n, bool* is_list, std::vector<FilterValue>* out) {
    const JsonValue* v = nullptr;
    if (!Parsed(n, &v)) return false;
    *is_list = v->is_array();
    if (!*is_list) return true;
    out->resize(v->elements().size());
    for (size_t k = 0; k < v->elements().size(); ++k) {
      if (!ElementNode(v->elements()[k], &(*out)[k])) return false;
    }
    return true;
  }

  // The value list a side of in/subsetof/anyof/noneof stands for.
  bool SideList(const FilterValue& n, bool* defined, std::vector<FilterValue>* out) {
    if (n.kind == FilterValue::Kind::kJson) return AsValueList(n, defined, out);
    if (n.kind == FilterValue::Kind::kValueList) {
      *defined = true;
      *out = n.list;
      return true;
    }
    return Fail(ErrKind::kInvalidPath, "Expected value list node");
  }

  bool AsBoolean(const FilterValue& n, bool* out) {
    if (n.kind != FilterValue::Kind::kBoolean) return Fail(ErrKind::kInvalidPath, "Expected boolean node");
    *out = n.boolean;
    return true;
  }

  static std::string RegexInput(const FilterValue& n) {
    if (n.kind == FilterValue::Kind::kString) return n.str;
    if (n.kind == FilterValue::Kind::kNumber) return BigDecimalString(n.number);
    if (n.kind == FilterValue::Kind::kBoolean) return n.boolean ? "true" : "false";
    return "";
  }

  bool Compare(RelOp op, const FilterValue& l, const FilterValue& r, bool* out) {
    using K = FilterValue::Kind;
    switch (op) {
      case RelOp::kExists: {
        if (l.kind != K::kBoolean && r.kind != K::kBoolean) {
          return Fail(ErrKind::kJsonPath, "Failed to evaluate exists expression");
        }
        bool a = false, b = false;
        if (!AsBoolean(l, &a) || !AsBoolean(r, &b)) return false;
        *out = a == b;
        return true;
      }
      case RelOp::kEq:
      case RelOp::kNe: {
        bool equal = false;
        if (l.kind == K::kJson && r.kind == K::kJson) {
          const JsonValue* rv = nullptr;
          if (&l == &r) {
            equal = true;
          } else {
            if (!Parsed(r, &rv)) return false;
            equal = l.literal == nullptr && l.json != nullptr && JavaEquals(*l.json, *rv);
          }
        } else {
          equal = NodeEquals(l, r);
        }
        *out = op == RelOp::kEq ? equal : !equal;
        return true;
      }
      case RelOp::kTsEq:
      case RelOp::kTsNe: {
        bool equal = false;
        if (l.kind == r.kind && !Compare(RelOp::kEq, l, r, &equal)) return false;
        *out = op == RelOp::kTsEq ? equal : !equal;
        return true;
      }
      case RelOp::kLt:
      case RelOp::kLte:
      case RelOp::kGt:
      case RelOp::kGte: {
        int c = 0;
        if (l.kind == K::kNumber && r.kind == K::kNumber) {
          c = CompareBigDec(l.number, r.number);
        } else if (l.kind == K::kString && r.kind == K::kString) {
          c = l.str.compare(r.str);
        } else {
          *out = false;
          return true;
        }
        *out = op == RelOp::kLt ? c < 0 : op == RelOp::kLte ? c <= 0 : op == RelOp::kGt ? c > 0 : c >= 0;
        return true;
      }
      case RelOp::kRegex: {
        bool lp = l.kind == K::kPattern, rp = r.kind == K::kPattern;
        if (lp == rp) {
          *out = false;
          return true;
        }
        const FilterValue& pattern = lp ? l : r;
        const FilterValue& other = lp ? r : l;
        if (other.kind == K::kJson) {
          const JsonValue* v = nullptr;
          if (!Parsed(other, &v)) return false;
          if (v->is_array()) {
            bool is_list = false;
            std::vector<FilterValue> items;
            if (!AsValueList(other, &is_list, &items)) return false;
            *out = false;
            for (const FilterValue& item : items) {
              if (pattern.regex->Matches(RegexInput(item))) *out = true;
            }
            return true;
          }
        }
        *out = pattern.regex->Matches(RegexInput(other));
        return true;
      }
      case RelOp::kSize: {
        if (r.kind != K::kNumber) {
          *out = false;
          return true;
        }
        int64_t expected = BigDecIntValue(r.number);
        if (l.kind == K::kString) {
          *out = Utf16Length(l.str, l.str.size()) == expected;
        } else if (l.kind == K::kJson) {
          const JsonValue* v = nullptr;
          if (!Parsed(l, &v)) return false;
          *out = (v->is_array() ? static_cast<int64_t>(v->elements().size()) : -1) == expected;
        } else {
          *out = false;
        }
        return true;
      }
      case RelOp::kEmpty: {
        bool want = false;
        if (l.kind == K::kString) {
          if (!AsBoolean(r, &want)) return false;
          *out = l.str.empty() == want;
        } else if (l.kind == K::kJson) {
          const JsonValue* v = nullptr;
          if (!Parsed(l, &v)) return false;
          if (v->is_object()) {
            // Jayway casts the map to a Collection.
            return Fail(ErrKind::kOther,
                        l.literal != nullptr
                            ? "class net.minidev.json.JSONObject cannot be cast to class "
                              "java.util.Collection (net.minidev.json.JSONObject is in unnamed module "
                              "of loader 'app'; java.util.Collection is in module java.base of "
                              "loader 'bootstrap')"
                            : "class java.util.LinkedHashMap cannot be cast to class "
                              "java.util.Collection (java.util.LinkedHashMap and "
                              "java.util.Collection are in module java.base of loader 'bootstrap')");
          }
          bool empty = v->is_array()                  ? v->elements().empty()
                       : v->type() == Type::kString ? v->text().empty()
                                                    : true;
          if (!AsBoolean(r, &want)) return false;
          *out = empty == want;
        } else {
          *out = false;
        }
        return true;
      }
      case RelOp::kIn:
      case RelOp::kNin: {
        bool defined = false;
        std::vector<FilterValue> items;
        if (!SideList(r, &defined, &items)) return false;
        bool found = false;
        for (const FilterValue& item : items) {
          if (NodeEquals(l, item)) found = true;
        }
        *out = op == RelOp::kIn ? (defined && found) : !(defined && found);
        return true;
      }
      case RelOp::kContains: {
        if (l.kind == K::kString && r.kind == K::kString) {
          *out = l.str.find(r.str) != std::string::npos;
        } else if (l.kind == K::kJson) {
          bool is_list = false;
          std::vector<FilterValue> items;
          if (!AsValueList(l, &is_list, &items)) return false;
          *out = false;
          for (const FilterValue& item : items) {
            if (NodeEquals(r, item)) *out = true;
          }
        } else {
          *out = false;
        }
        return true;
      }
      case RelOp::kSubsetOf:
      case RelOp::kAnyOf:
      case RelOp::kNoneOf: {
        bool right_defined = false, left_defined = false;
        std::vector<FilterValue> right, left;
        if (!SideList(r, &right_defined, &right)) return false;
        if (!right_defined) {
          *out = false;
          return true;
        }
        if (!SideList(l, &left_defined, &left)) return false;
        if (!left_defined) {
          *out = false;
          return true;
        }
        if (op == RelOp::kSubsetOf) {
          *out = std::all_of(left.begin(), left.end(), [&](const FilterValue& a) {
            return std::any_of(right.begin(), right.end(), [&](const FilterValue& b) { return NodeEquals(a, b); });
          });
        } else {
          bool any = std::any_of(left.begin(), left.end(), [&](const FilterValue& a) {
            return std::any_of(right.begin(), right.end(), [&](const FilterValue& b) { return NodeEquals(a, b); });
          });
          *out = op == RelOp::kAnyOf ? any : !any;
        }
        return true;
      }
      case RelOp::kAll:
        return Fail(ErrKind::kInvalidPath, "Expected value list node");
      case RelOp::kType:
        return Fail(ErrKind::kInvalidPath, "Expected class node");
      case RelOp::kMatches:
        return Fail(ErrKind::kInvalidPath, "Expected predicate node");
    }
    return true;
  }

  // ---- functions ----

  // A function argument's value (PathLateBindingValue / JsonLateBindingValue).
  struct Argument {
    bool is_json = false;
    PathValue path_value;
    std::string json;
  };

  // Parameter.getValue(): a path argument's value (its list when indefinite) or the parsed
  // JSON argument.
  bool ArgumentValue(const Argument& a, const JsonValue** out) {
    if (a.is_json) {
      Result<JsonValue> parsed = ParseJson(a.json);
      if (!parsed.ok()) return Fail(ErrKind::kJsonPath, parsed.status().message());
      *out = Own(std::move(parsed).value());
    } else if (a.path_value.definite) {
      *out = a.path_value.values[0];
    } else {
      JsonValue::Array list;
      for (const JsonValue* v : a.path_value.values) list.push_back(*v);
      *out = Own(JsonValue::MakeArray(std::move(list)));
    }
    return true;
  }

  // Parameter.toList(Number.class, ...): the numbers of the arguments.
  bool ArgumentNumbers(const std::vector<Argument>& args, std::vector<const JsonValue*>* out) {
    auto consume = [&](const JsonValue* v) {
      if (v->is_array()) {
        for (const JsonValue& e : v->elements()) {
          if (e.is_number()) out->push_back(&e);
        }
      } else if (v->is_number()) {
        out->push_back(v);
      }
    };
    for (const Argument& a : args) {
      if (a.is_json) {
        Result<JsonValue> parsed = ParseJson(a.json);
        if (!parsed.ok()) return Fail(ErrKind::kJsonPath, parsed.status().message());
        consume(Own(std::move(parsed).value()));
      } else if (a.path_value.definite) {
        consume(a.path_value.values[0]);
      } else {
        for (const JsonValue* v : a.path_value.values) {
          if (v->is_number()) out->push_back(v);
        }
      }
    }
    return true;
  }

  bool EvalFunction(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    static const char* const kKnown[] = {"avg", "stddev", "sum", "min", "max", "length", "size",
                                         "first", "last", "index", "concat", "append", "keys"};
    if (std::find_if(std::begin(kKnown), std::end(kKnown),
                     [&](const char* k) { return t.function == k; }) == std::end(kKnown)) {
      return Fail(ErrKind::kInvalidPath, "Function with name: " + t.function + " does not exist.");
    }
    std::vector<Argument> args;
    for (const FunctionParam& p : t.params) {
      Argument a;
      if (p.kind == FunctionParam::Kind::kJson) {
        a.is_json = true;
        a.json = p.json;
      } else {
        Evaluator sub(*p.path, root_, false, owned_);
        if (!sub.Run(root_) || !sub.GetValue(&a.path_value)) {
          err_ = std::move(sub.err());
          return false;
        }
      }
      args.push_back(std::move(a));
    }
    const JsonValue* result = nullptr;
    if (!Invoke(t, model, args, &result)) return false;
    Add(result);
    if (t.leaf) return true;
    return Eval(i + 1, cur, result);
  }

  bool Invoke(const Token& t, const JsonValue* model, const std::vector<Argument>& args,
              const JsonValue** result) {
    const std::string& name = t.function;
    if (name == "length" || name == "size") {
      if (!t.params.empty()) {
        const FunctionParam& p0 = t.params[0];
        if (p0.kind != FunctionParam::Kind::kPath) {
          return Fail(ErrKind::kOther,
                      "Cannot invoke \"com.jayway.jsonpath.internal.Path.isFunctionPath()\" because the "
                      "return value of \"com.jayway.jsonpath.internal.function.Parameter.getPath()\" is null");
        }
        const CompiledPath& lp = p0.path->function_path ? *p0.path : *p0.path_with_wildcard;
        // Jayway appends `[*]` to the argument after having evaluated it once, so the path
        // keeps the definiteness it had without the wildcard: a definite argument yields
        // the last child, not the list of children.
        Evaluator sub(lp, model, false, owned_);
        PathValue inner;
        if (!sub.Run(model) || !sub.GetValue(p0.path->definite, &inner)) {
          err_ = std::move(sub.err());
          return false;
        }
        if (!inner.definite) {
          *result = Own(JsonValue::Integer(static_cast<int64_t>(inner.values.size())));
          return true;
        }
        if (inner.values[0]->is_array()) {
          *result = Own(JsonValue::Integer(static_cast<int64_t>(inner.values[0]->elements().size())));
          return true;
        }
      }
      if (model->is_array()) {
        *result = Own(JsonValue::Integer(static_cast<int64_t>(model->elements().size())));
      } else if (model->is_object()) {
        *result = Own(JsonValue::Integer(static_cast<int64_t>(model->members().size())));
      } else {
        *result = &kNullValue;
      }
      return true;
    }
    if (name == "keys") {
      // A java.util.Set: neither a list nor a map to Jayway, printed as "[a, b]".
      if (!model->is_object()) {
        *result = &kNullValue;
        return true;
      }
      std::string text = "[";
      for (size_t k = 0; k < model->members().size(); ++k) {
        text += (k > 0 ? ", " : "") + model->members()[k].first;
      }
      *result = Own(JsonValue::String(text + "]"));
      return true;
    }
    if (name == "concat") {
      std::string text;
      if (model->is_array()) {
        for (const JsonValue& e : model->elements()) {
          if (e.type() == Type::kString) text += e.text();
        }
      }
      // Parameter.toList(String.class, ...): strings as they are, other values' toString().
      auto consume = [&](const JsonValue* v) {
        if (!v->is_null()) text += JavaString(*v);
      };
      for (const Argument& a : args) {
        const JsonValue* v = nullptr;
        if (!ArgumentValue(a, &v)) return false;
        if (v->is_array()) {
          for (const JsonValue& e : v->elements()) consume(&e);
        } else {
          consume(v);
        }
      }
      *result = Own(JsonValue::String(std::move(text)));
      return true;
    }
    if (name == "append") {
      if (!model->is_array() || args.empty()) {
        *result = model;
        return true;
      }
      JsonValue appended = *model;
      for (const Argument& a : args) {
        const JsonValue* v = nullptr;
        if (!ArgumentValue(a, &v)) return false;
        appended.elements().push_back(*v);
      }
      *result = Own(std::move(appended));
      return true;
    }
    if (name == "first" || name == "last" || name == "index") {
      if (!model->is_array()) {
        return Fail(ErrKind::kJsonPath, "Aggregation function attempted to calculate value using empty array");
      }
      int64_t target = name == "first" ? 0 : -1;
      if (name == "index") {
        std::vector<const JsonValue*> numbers;
        if (!ArgumentNumbers(args, &numbers)) return false;
        if (numbers.empty()) {
          return Fail(ErrKind::kIndexOutOfBounds, "Index 0 out of bounds for length 0");
        }
        target = NumberIntValue(*numbers[0]);
      }
      int64_t size = static_cast<int64_t>(model->elements().size());
      if (target >= 0) {
        if (target >= size) {
          return Fail(ErrKind::kIndexOutOfBounds, "Index " +
                                                      std::to_string(target) + " out of bounds for length " +
                                                      std::to_string(size));
        }
        *result = &model->elements()[static_cast<size_t>(target)];
        return true;
      }
      int64_t real = size + target;
      if (real > 0) {
        *result = &model->elements()[static_cast<size_t>(real)];
        return true;
      }
      return Fail(ErrKind::kJsonPath, "Target index:" + std::to_string(target) +
                                          " larger than object count:" + std::to_string(size));
    }
    // avg, stddev, sum, min, max over Numbers (all arithmetic in double, as Jayway).
    std::vector<double> values;
    if (model->is_array()) {
      for (const JsonValue& e : model->elements()) {
        if (e.is_number()) values.push_back(e.number());
      }
    }
    std::vector<const JsonValue*> numbers;
    if (!ArgumentNumbers(args, &numbers)) return false;
    for (const JsonValue* n : numbers) values.push_back(n->number());
    if (values.empty()) {
      return Fail(ErrKind::kJsonPath, "Aggregation function attempted to calculate value using empty array");
    }
    double v = 0;
    if (name == "sum" || name == "avg") {
      for (double x : values) v += x;
      if (name == "avg") v /= static_cast<double>(values.size());
    } else if (name == "min") {
      v = std::numeric_limits<double>::max();
      for (double x : values) v = v > x ? x : v;
    } else if (name == "max") {
      v = std::numeric_limits<double>::denorm_min();  // Double.MIN_VALUE, as Jayway starts
      for (double x : values) v = v < x ? x : v;
    } else {  // stddev
      double sum = 0, sum_sq = 0, count = static_cast<double>(values.size());
      for (double x : values) {
        sum += x;
        sum_sq += x * x;
      }
      v = std::sqrt(sum_sq / count - sum * sum / count / count);
    }
    *result = Own(JsonValue::Double(v));
    return true;
  }

  const CompiledPath& path_;
  const JsonValue* root_;
  bool require_;
  std::deque<JsonValue>* owned_;
  std::vector<int> upstream_;
  std::vector<const JsonValue*> results_;
  std::unordered_map<const CompiledPath*, PathValue> root_cache_;
  PathError err_;
};

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

Status ToStatus(const PathError& e) {
  switch (e.kind) {
    case ErrKind::kPathNotFound: return Status::NotFound(e.message);
    case ErrKind::kInvalidPath: return Status::InvalidArgument(e.message);
    default: return Status::Internal(e.message);
  }
}

}  // namespace json_path_internal

// =======================================================================================
// JsonPath

JsonPath::JsonPath(std::unique_ptr<CompiledPath> path) : path_(std::move(path)) {}
JsonPath::~JsonPath() = default;

Result<std::shared_ptr<const JsonPath>> JsonPath::Compile(std::string_view expression) {
  if (expression.empty()) return Status::InvalidArgument("json can not be null or empty");
  PathError err;
  std::shared_ptr<CompiledPath> compiled = CompileStatic(expression, &err);
  if (err) return ToStatus(err);
  return std::shared_ptr<const JsonPath>(new JsonPath(std::make_unique<CompiledPath>(*compiled)));
}

bool JsonPath::definite() const { return path_->definite; }
bool JsonPath::function_path() const { return path_->function_path; }
std::string JsonPath::ToString() const { return path_->text; }

Result<JsonPathResult> JsonPath::Read(const JsonValue& document, bool always_return_list) const {
  if (path_->function_path && always_return_list) {
    return Status::Internal(
        "Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!");
  }
  JsonPathResult result;
  Evaluator ev(*path_, &document, false, &result.owned);
  PathValue value;
  if (!ev.Run(&document) || !ev.GetValue(&value)) return ToStatus(ev.err());
  result.definite = value.definite;
  result.values = std::move(value.values);
  return result;
}

Result<std::shared_ptr<const JsonPath>> CompileJsonPathCached(std::string_view expression) {
  struct Entry {
    std::shared_ptr<const JsonPath> path;
    Status status;
  };
  thread_local std::unordered_map<std::string, Entry, TransparentHash, std::equal_to<>> cache;
  auto it = cache.find(expression);
  if (it == cache.end()) {
    if (cache.size() >= kJsonPathCacheSize) cache.clear();
    Result<std::shared_ptr<const JsonPath>> compiled = JsonPath::Compile(expression);
    Entry e;
    if (compiled.ok()) e.path = std::move(compiled).value();
    else e.status = compiled.status();
    it = cache.emplace(std::string(expression), std::move(e)).first;
  }
  if (it->second.path == nullptr) return it->second.status;
  return it->second.path;
}

}  // namespace barrage
