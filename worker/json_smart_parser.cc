#include "worker/json_path_internal.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

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
    if (!ReadMain(StopX(), &out, /*top=*/true)) return Status::ParseError(error_);
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
  static const StopTable& StopKey() {
    static const StopTable t = MakeStop(":");
    return t;
  }
  static const StopTable& StopValue() {
    static const StopTable t = MakeStop(",}");
    return t;
  }
  static const StopTable& StopArray() {
    static const StopTable t = MakeStop(",]");
    return t;
  }
  static const StopTable& StopX() {
    static const StopTable t = MakeStop("");
    return t;
  }

  void Read() {
    if (++pos_ >= len_)
      c_ = kEOI;
    else
      c_ = static_cast<unsigned char>(in_[static_cast<size_t>(pos_)]);
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
    if (pos > len_) return static_cast<int64_t>(JavaStringLength(in_)) + (pos - len_);
    return static_cast<int64_t>(JavaStringLength(in_.substr(0, static_cast<size_t>(pos))));
  }

  bool Fail(int64_t pos, ErrorType type, const std::string& unexpected) {
    std::string p = std::to_string(JavaPos(pos));
    std::string m = "net.minidev.json.parser.ParseException: ";
    switch (type) {
      case kChar: m += "Unexpected character (" + unexpected + ") at position " + p + "."; break;
      case kToken: m += "Unexpected token " + unexpected + " at position " + p + "."; break;
      case kEOF: m += "Unexpected End Of File position " + p + ": " + unexpected; break;
      case kUnicode: m += "Unexpected unicode escape sequence " + unexpected + " at position " + p + "."; break;
      case kDepth:
        m +=
            "Malicious payload, having non natural depths, parsing stoped on " + unexpected + " at position " + p + ".";
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

  // null, true, false and NaN as unquoted words; anything else is text.
  JsonValue Keyword() {
    if (xs_ == "null") return JsonValue();
    if (xs_ == "true") return JsonValue::Boolean(true);
    if (xs_ == "false") return JsonValue::Boolean(false);
    if (xs_ == "NaN") return JsonValue::Double(std::numeric_limits<double>::quiet_NaN());
    return JsonValue::String(std::move(xs_));
  }

  // One value up to a character of `stop`. json-smart's readFirst (the whole body, `top`)
  // differs from its readMain only at the end of input, which is an empty string there and
  // an error inside a container.
  bool ReadMain(const StopTable& stop, JsonValue* out, bool top = false) {
    for (;;) {
      switch (c_) {
        case ' ':
        case '\r':
        case '\n':
        case '\t': Read(); continue;
        case ':':
        case '}':
        case ']': return Fail(pos_, kChar, CharAt(pos_));
        case '{': return ReadObject(out);
        case '[': return ReadArray(out);
        case '"':
        case '\'':
          if (!ReadString()) return false;
          *out = JsonValue::String(std::move(xs_));
          return true;
        case 'n':
        case 'f':
        case 't':
        case 'N':
          ReadNQString(stop);
          *out = Keyword();
          return true;
        case kEOI:
          if (!top) return Fail(pos_ - 1, kEOF, "EOF");
          ReadNQString(stop);
          *out = JsonValue::String(std::move(xs_));
          return true;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
        case '-': return ReadNumber(stop, out);
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
        case ' ':
        case '\r':
        case '\n':
        case '\t': Read(); continue;
        case ']':
          --depth_;
          Read();
          close();
          return true;
        case ':':
        case '}': return Fail(pos_, kChar, CharAt(pos_));
        case ',': Read(); continue;
        case kEOI: return Fail(pos_ - 1, kEOF, "EOF");
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
        case ' ':
        case '\r':
        case '\t':
        case '\n': continue;
        case ':':
        case ']':
        case '[':
        case '{': return Fail(pos_, kChar, CharAt(pos_));
        case '}':
          --depth_;
          Read();
          close();
          return true;
        case ',': continue;
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
        case kEOI: return Fail(pos_ - 1, kEOF, "null");
        case '"':
        case '\'':
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
            case 'u':
            case 'x': {
              uint32_t unit = 0;
              if (!ReadUnicode(c_ == 'u' ? 4 : 2, &unit)) return false;
              sb.Unit(unit);
              break;
            }
            default: break;
          }
          break;
        case 127: continue;  // IGNORE_CONTROL_CHAR drops DEL
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
      if (digit >= 0)
        *value += static_cast<uint32_t>(digit);
      else if (c_ == kEOI)
        return Fail(pos_, kEOF, "EOF");
      else
        return Fail(pos_, kUnicode, CharAt(pos_));
    }
    return true;
  }

  // After a number's characters: anything but a stop character turns the whole token into
  // an unquoted string ("12 apples").
  bool NumberIsText(const StopTable& stop) const { return c_ < kMaxStop && !stop[c_] && c_ != kEOI; }

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
      if (r > -922337203685477580LL)
        big = false;
      else if (r < -922337203685477580LL)
        big = true;
      else
        big = neg ? s[p] > '8' : s[p] > '7';
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
    bool has_exponent_digit =
        mantissa_end == std::string::npos || xs_.find_first_of("0123456789", mantissa_end) != std::string::npos;
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

using namespace json_path_internal;  // NOLINT: JSONPath's own internals

Result<JsonValue> ParseJson(std::string_view text) { return SmartParser(text).Parse(); }

}  // namespace barrage
