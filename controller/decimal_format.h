// Numbers printed the way java.text.DecimalFormat prints them for the simple patterns
// JMeter's reports use ("#0.0", "#.0", "#0.00", "#.00000", "#0.00%", "#0.000%"): a fixed
// number of fraction digits, HALF_EVEN rounding of the double's exact binary value, no
// grouping, '.' as the decimal point (JMeter's output in an English locale).
#ifndef BARRAGE_CONTROLLER_DECIMAL_FORMAT_H_
#define BARRAGE_CONTROLLER_DECIMAL_FORMAT_H_

#include <string>

namespace barrage {

struct DecimalPattern {
  int fraction_digits = 1;
  bool integer_zero = true;  // "#0.0" prints 0.5 as "0.5"; "#.0" prints ".5"
  bool percent = false;      // "%" patterns multiply by 100 (in double, as Java does)
};

// Infinity prints as "∞" (UTF-8) and NaN as "NaN", as DecimalFormat does.
std::string FormatDecimal(double value, DecimalPattern pattern);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_DECIMAL_FORMAT_H_
