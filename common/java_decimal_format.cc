#include "common/java_decimal_format.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <utility>

#include "common/java_lang.h"
#include "common/utf8.h"

namespace barrage {
namespace {

constexpr char32_t kPerMille = 0x2030;
constexpr char32_t kCurrency = 0x00A4;

// Code points of UTF-8 text; a byte that starts no valid sequence stands for itself.
std::u32string CodePoints(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      out += c;
      ++i;
      continue;
    }
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    out += cp;
    i += n;
  }
  return out;
}

bool IsPhaseOneChar(char32_t c) { return c == '#' || c == '0' || c == ',' || c == '.'; }

}  // namespace

Result<JavaDecimalFormat> JavaDecimalFormat::Parse(std::string_view pattern_text) {
  const std::u32string pattern = CodePoints(pattern_text);
  const std::string quoted = "\"" + std::string(pattern_text) + "\"";
  const size_t len = pattern.size();
  JavaDecimalFormat f;
  // Affixes are kept twice: as text, and in Java's internal pattern form, which decides
  // whether an explicit negative subpattern equals the positive one.
  std::string pos_prefix_form, pos_suffix_form, neg_prefix_form, neg_suffix_form;
  bool got_negative = false;

  size_t start = 0;
  for (int j = 1; j >= 0 && start < len; --j) {
    bool in_quote = false;
    std::string prefix, suffix, prefix_form, suffix_form;
    int decimal_pos = -1;
    int multiplier = 1;
    int left = 0, zero = 0, right = 0;
    int grouping_count = -1;
    bool exponential = false;
    int min_exp_digits = 0;
    int phase = 0;
    std::string* affix = &prefix;
    std::string* affix_form = &prefix_form;

    for (size_t pos = start; pos < len; ++pos) {
      const char32_t ch = pattern[pos];
      if (phase == 0 || phase == 2) {
        if (in_quote) {
          if (ch == '\'') {
            if (pos + 1 < len && pattern[pos + 1] == '\'') {
              ++pos;
              *affix += '\'';
              *affix_form += "''";
            } else {
              in_quote = false;
            }
            continue;
          }
        } else {
          if (IsPhaseOneChar(ch)) {
            phase = 1;
            --pos;  // read it again in phase 1
            continue;
          } else if (ch == kCurrency) {
            bool doubled = pos + 1 < len && pattern[pos + 1] == kCurrency;
            if (doubled) ++pos;
            *affix += doubled ? "USD" : "$";
            *affix_form += doubled ? "'\u00A4\u00A4" : "'\u00A4";
            continue;
          } else if (ch == '\'') {
            if (pos + 1 < len && pattern[pos + 1] == '\'') {
              ++pos;
              *affix += '\'';
              *affix_form += "''";
            } else {
              in_quote = true;
            }
            continue;
          } else if (ch == ';') {
            if (phase == 0 || j == 0) {
              return Status::InvalidArgument("Unquoted special character ';' in pattern " + quoted);
            }
            start = pos + 1;
            pos = len;
            continue;
          } else if (ch == '%' || ch == kPerMille) {
            if (multiplier != 1) {
              return Status::InvalidArgument("Too many percent/per mille characters in pattern " + quoted);
            }
            multiplier = ch == '%' ? 100 : 1000;
            *affix += ch == '%' ? "%" : "\u2030";
            *affix_form += ch == '%' ? "'%" : "'\u2030";
            continue;
          } else if (ch == '-') {
            *affix += '-';
            *affix_form += "'-";
            continue;
          }
        }
        AppendUtf8(static_cast<uint32_t>(ch), &*affix);
        AppendUtf8(static_cast<uint32_t>(ch), &*affix_form);
        continue;
      }

      // Phase 1: the number. A negative subpattern only contributes its affixes.
      if (j == 0) {
        while (pos < len) {
          char32_t c = pattern[pos];
          if (IsPhaseOneChar(c) || c == 'E') {
            ++pos;
          } else {
            --pos;
            phase = 2;
            affix = &suffix;
            affix_form = &suffix_form;
            break;
          }
        }
        continue;
      }
      if (ch == '#') {
        if (zero > 0) {
          ++right;
        } else {
          ++left;
        }
        if (grouping_count >= 0 && decimal_pos < 0) ++grouping_count;
      } else if (ch == '0') {
        if (right > 0) return Status::InvalidArgument("Unexpected '0' in pattern " + quoted);
        ++zero;
        if (grouping_count >= 0 && decimal_pos < 0) ++grouping_count;
      } else if (ch == ',') {
        grouping_count = 0;
      } else if (ch == '.') {
        if (decimal_pos >= 0) {
          return Status::InvalidArgument("Multiple decimal separators in pattern " + quoted);
        }
        decimal_pos = left + zero + right;
      } else if (ch == 'E') {
        if (exponential) {
          return Status::InvalidArgument("Multiple exponential symbols in pattern " + quoted);
        }
        exponential = true;
        min_exp_digits = 0;
        ++pos;
        while (pos < len && pattern[pos] == '0') {
          ++min_exp_digits;
          ++pos;
        }
        if (left + zero < 1 || min_exp_digits < 1) {
          return Status::InvalidArgument("Malformed exponential pattern " + quoted);
        }
        phase = 2;
        affix = &suffix;
        affix_form = &suffix_form;
        --pos;
      } else {
        phase = 2;
        affix = &suffix;
        affix_form = &suffix_form;
        --pos;
      }
    }

    // "##.###" means "#0.###" and ".###" means ".0##".
    if (zero == 0 && left > 0 && decimal_pos >= 0) {
      int n = decimal_pos == 0 ? 1 : decimal_pos;
      right = left - n;
      left = n - 1;
      zero = 1;
    }
    if ((decimal_pos < 0 && right > 0) || (decimal_pos >= 0 && (decimal_pos < left || decimal_pos > left + zero)) ||
        grouping_count == 0 || in_quote) {
      return Status::InvalidArgument("Malformed pattern " + quoted);
    }

    if (j == 1) {
      f.pos_prefix_ = prefix;
      f.pos_suffix_ = suffix;
      pos_prefix_form = prefix_form;
      pos_suffix_form = suffix_form;
      const int total = left + zero + right;
      const int effective_decimal = decimal_pos >= 0 ? decimal_pos : total;
      f.min_int_ = effective_decimal - left;
      f.max_int_ = exponential ? left + f.min_int_ : (1 << 30);
      f.max_frac_ = decimal_pos >= 0 ? total - decimal_pos : 0;
      f.min_frac_ = decimal_pos >= 0 ? left + zero - decimal_pos : 0;
      f.grouping_size_ = grouping_count > 0 ? grouping_count : 0;
      f.multiplier_ = multiplier;
      f.decimal_always_ = decimal_pos == 0 || decimal_pos == total;
      f.exponential_ = exponential;
      f.min_exp_digits_ = min_exp_digits;
    } else {
      f.neg_prefix_ = prefix;
      f.neg_suffix_ = suffix;
      neg_prefix_form = prefix_form;
      neg_suffix_form = suffix_form;
      got_negative = true;
    }
  }

  if (len == 0) f.min_int_ = 0;
  if (!got_negative || (neg_prefix_form == pos_prefix_form && neg_suffix_form == pos_suffix_form)) {
    f.neg_suffix_ = f.pos_suffix_;
    f.neg_prefix_ = "-" + f.pos_prefix_;
  }
  return f;
}

std::string JavaDecimalFormat::Format(int64_t value) const {
  bool negative = value < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  if (magnitude == 0) negative = false;
  // The digits of |value| * multiplier ("" for zero): multiplying by 100 or 1000 appends
  // zeros, which cannot overflow.
  std::string digits = magnitude == 0 ? "" : std::to_string(magnitude);
  if (!digits.empty()) digits.append(multiplier_ == 100 ? 2 : multiplier_ == 1000 ? 3 : 0, '0');
  std::string out = negative ? neg_prefix_ : pos_prefix_;

  if (!exponential_) {
    const int n = static_cast<int>(digits.size());
    const int count = std::max(min_int_, n);
    const size_t before = out.size();
    for (int i = count - 1; i >= 0; --i) {
      out += i < n ? digits[static_cast<size_t>(n - 1 - i)] : '0';
      if (grouping_size_ > 0 && i > 0 && i % grouping_size_ == 0) out += ',';
    }
    const bool fraction = min_frac_ > 0;
    if (!fraction && out.size() == before) out += '0';
    if (decimal_always_ || fraction) out += '.';
    out.append(static_cast<size_t>(min_frac_), '0');
  } else {
    // DigitList: significant digits without trailing zeros, rounded HALF_EVEN to
    // max_int + max_frac digits; decimal_at = digits before the decimal point.
    int decimal_at = static_cast<int>(digits.size());
    const int max_digits = max_int_ + max_frac_;
    if (max_digits > 0 && static_cast<int>(digits.size()) > max_digits) {
      const auto m = static_cast<size_t>(max_digits);
      bool up = false;
      if (digits[m] > '5') {
        up = true;
      } else if (digits[m] == '5') {
        up = digits.find_first_not_of('0', m + 1) != std::string::npos || (m > 0 && (digits[m - 1] - '0') % 2 != 0);
      }
      digits.resize(m);
      if (up) {
        size_t i = m;
        while (i > 0 && digits[i - 1] == '9') {
          digits[i - 1] = '0';
          --i;
        }
        if (i == 0) {
          digits = "1";
          ++decimal_at;
        } else {
          ++digits[i - 1];
        }
      }
    }
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    const bool is_zero = digits.empty();
    if (is_zero) decimal_at = 0;

    int exponent = decimal_at;
    int min_int = min_int_;
    const int repeat = max_int_;
    if (repeat > 1 && repeat > min_int_) {
      exponent = exponent >= 1 ? ((exponent - 1) / repeat) * repeat : ((exponent - repeat) / repeat) * repeat;
      min_int = 1;
    } else {
      exponent -= min_int;
    }
    int minimum_digits = min_int_ + min_frac_;
    const int integer_digits = is_zero ? min_int : decimal_at - exponent;
    minimum_digits = std::max(minimum_digits, integer_digits);
    const int total = std::max(static_cast<int>(digits.size()), minimum_digits);
    for (int i = 0; i < total; ++i) {
      if (i == integer_digits) out += '.';
      out += i < static_cast<int>(digits.size()) ? digits[static_cast<size_t>(i)] : '0';
    }
    if (decimal_always_ && total == integer_digits) out += '.';
    out += 'E';
    if (is_zero) exponent = 0;
    if (exponent < 0) {
      out += '-';
      exponent = -exponent;
    }
    std::string exp_digits = exponent == 0 ? "" : std::to_string(exponent);
    if (static_cast<int>(exp_digits.size()) < min_exp_digits_) {
      out.append(static_cast<size_t>(min_exp_digits_) - exp_digits.size(), '0');
    }
    out += exp_digits;
  }
  out += negative ? neg_suffix_ : pos_suffix_;
  return out;
}

std::string FormatJavaLong(int64_t value, std::string_view pattern) {
  if (!pattern.empty()) {
    Result<JavaDecimalFormat> f = JavaDecimalFormat::Parse(pattern);
    if (f.ok()) return f->Format(value);
  }
  return std::to_string(value);
}

}  // namespace barrage
