#include "controller/decimal_format.h"

#include <cmath>
#include <cstdio>

namespace barrage {

std::string FormatDecimal(double value, DecimalPattern pattern) {
  if (std::isnan(value)) return "NaN";
  if (pattern.percent) value *= 100.0;
  std::string out;
  if (std::isinf(value)) {
    out = value < 0 ? "-\xE2\x88\x9E" : "\xE2\x88\x9E";
  } else {
    // glibc's printf rounds the exact binary value to nearest, ties to even: Java's
    // HALF_EVEN since JDK 8.
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", pattern.fraction_digits, value);
    out = buf;
    if (!pattern.integer_zero) {
      const size_t zero = out[0] == '-' ? 1 : 0;
      if (out.compare(zero, 2, "0.") == 0) out.erase(zero, 1);
    }
  }
  if (pattern.percent) out.push_back('%');
  return out;
}

}  // namespace barrage
