// java.text.DecimalFormat for whole numbers, as JMeter's Counter, Random Variable and
// __StringFromFile's file sequences use it.
#ifndef BARRAGE_COMMON_JAVA_DECIMAL_FORMAT_H_
#define BARRAGE_COMMON_JAVA_DECIMAL_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

// java.text.DecimalFormat for integral values, with the symbols of an en_US locale
// ('.' decimal, ',' grouping, '-' minus, '%', '‰', '¤' as "$" and "¤¤" as "USD", 'E').
// Supports everything a pattern can say: prefixes and suffixes with quoting, minimum
// integer digits, grouping (the last group size), fixed fraction digits, the
// always-shown decimal point, percent and per-mille multipliers, negative subpatterns and
// scientific notation (with engineering repeats and HALF_EVEN rounding).
class JavaDecimalFormat {
 public:
  // As `new DecimalFormat(pattern)`: InvalidArgument with Java's message when Java throws.
  static Result<JavaDecimalFormat> Parse(std::string_view pattern);
  std::string Format(int64_t value) const;

 private:
  std::string pos_prefix_, pos_suffix_, neg_prefix_, neg_suffix_;
  int min_int_ = 1;
  int max_int_ = 1 << 30;  // only bounded in scientific patterns
  int min_frac_ = 0;
  int max_frac_ = 0;
  int grouping_size_ = 0;  // 0 = no grouping
  int multiplier_ = 1;
  bool decimal_always_ = false;
  bool exponential_ = false;
  int min_exp_digits_ = 0;
};

// CounterConfig/RandomVariableConfig.formatNumber: the value through the pattern, or in
// plain decimal when the pattern is empty or invalid.
std::string FormatJavaLong(int64_t value, std::string_view pattern);

}  // namespace barrage

#endif  // BARRAGE_COMMON_JAVA_DECIMAL_FORMAT_H_
