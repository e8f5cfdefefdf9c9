#include "controller/backend_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common/java_lang.h"

namespace barrage {
namespace {

double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

int32_t JavaStringHash(std::string_view s) {
  uint32_t h = 0;
  for (unsigned char c : s) h = 31 * h + c;
  return static_cast<int32_t>(h);
}

std::string StripTrailingZeros(std::string digits) {
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return digits;
}

}  // namespace

void StatsWindow::Add(double x) {
  if (cap > 0 && values.size() >= cap) values.pop_front();
  values.push_back(x);
}

double StatsWindow::Mean() const {
  if (values.empty()) return Nan();
  double sum = 0;
  for (double x : values) sum += x;
  const double n = static_cast<double>(values.size());
  const double xbar = sum / n;
  double correction = 0;
  for (double x : values) correction += x - xbar;
  return xbar + correction / n;
}

double StatsWindow::Min() const { return values.empty() ? Nan() : *std::min_element(values.begin(), values.end()); }
double StatsWindow::Max() const { return values.empty() ? Nan() : *std::max_element(values.begin(), values.end()); }
double StatsWindow::Percentile(double p) const {
  return LegacyPercentile(std::vector<double>(values.begin(), values.end()), p);
}

double LegacyPercentile(std::vector<double> values, double p) {
  const size_t n = values.size();
  if (n == 0) return Nan();
  if (n == 1) return values[0];
  std::sort(values.begin(), values.end());
  const double q = p / 100.0;
  const double pos = q == 0 ? 0 : q == 1 ? static_cast<double>(n) : q * static_cast<double>(n + 1);
  const double fpos = std::floor(pos);
  const auto int_pos = static_cast<size_t>(fpos);
  const double dif = pos - fpos;
  if (pos < 1) return values[0];
  if (pos >= static_cast<double>(n)) return values[n - 1];
  const double lower = values[int_pos - 1];
  const double upper = values[int_pos];
  return lower + dif * (upper - lower);
}

std::string JavaFloatToString(float f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  // The shortest digits that read back as the same float.
  char buf[64];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) break;
  }
  std::string text(buf);
  const bool negative = text[0] == '-';
  if (negative) text.erase(0, 1);
  const size_t e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits += text[i];
  }
  digits = StripTrailingZeros(digits);
  std::string out = negative ? "-" : "";
  const double magnitude = std::fabs(static_cast<double>(f));
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      std::string int_part = digits.substr(0, std::min<size_t>(digits.size(), static_cast<size_t>(exponent) + 1));
      int_part.append(static_cast<size_t>(exponent) + 1 - int_part.size(), '0');
      std::string frac = digits.size() > static_cast<size_t>(exponent) + 1 ? digits.substr(exponent + 1) : "0";
      return out + int_part + "." + frac;
    }
    return out + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  }
  return out + digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" +
         std::to_string(exponent);
}

std::string FormatUpToTwoDecimals(double d) {
  if (d == 0) return "0";
  std::string digits;
  int exponent = 0;
  JavaDoubleDigits(d, &digits, &exponent);
  const int int_digits = exponent + 1;  // d = 0.DIGITS x 10^int_digits
  const int keep = int_digits + 2;
  std::vector<int> kept;
  for (int i = 0; i < std::max(keep, 0); ++i) kept.push_back(i < static_cast<int>(digits.size()) ? digits[i] - '0' : 0);
  bool up = false;
  if (keep < static_cast<int>(digits.size())) {
    const int next = keep >= 0 ? digits[keep] - '0' : 0;
    bool rest = false;
    for (size_t i = static_cast<size_t>(std::max(keep, 0)) + (keep >= 0 ? 1 : 0); i < digits.size(); ++i) {
      if (digits[i] != '0') rest = true;
    }
    if (keep < 0) {
      up = false;
    } else if (next > 5 || (next == 5 && rest)) {
      up = true;
    } else if (next == 5) {
      up = !kept.empty() && kept.back() % 2 == 1;
    }
  }
  int shift = 0;  // a carry out of the first digit
  if (up) {
    int i = static_cast<int>(kept.size()) - 1;
    while (i >= 0 && kept[i] == 9) kept[i--] = 0;
    if (i >= 0) {
      ++kept[i];
    } else {
      kept.insert(kept.begin(), 1);
      shift = 1;
    }
  }
  const int ints = int_digits + shift;
  std::string int_part, frac_part;
  for (int i = 0; i < static_cast<int>(kept.size()); ++i) {
    if (i < ints) {
      int_part += static_cast<char>('0' + kept[i]);
    } else {
      frac_part += static_cast<char>('0' + kept[i]);
    }
  }
  if (ints <= 0) {
    // Leading fraction zeros the digits do not hold.
    frac_part = std::string(static_cast<size_t>(-ints), '0') + frac_part;
    frac_part.resize(std::min<size_t>(frac_part.size(), 2));
  }
  if (int_part.empty()) int_part = "0";
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.pop_back();
  return frac_part.empty() ? int_part : int_part + "." + frac_part;
}

std::vector<size_t> JavaHashMapOrder(const std::vector<std::string>& keys, size_t initial_capacity) {
  // new HashMap<>(n): a table of tableSizeFor(n) buckets, doubled when more than 3/4 full;
  // a bucket keeps insertion order (a resize splits buckets keeping it).
  size_t capacity = 1;
  while (capacity < initial_capacity) capacity <<= 1;
  for (size_t size = 1; size <= keys.size(); ++size) {
    if (static_cast<double>(size) > 0.75 * static_cast<double>(capacity)) capacity <<= 1;
  }
  std::vector<uint32_t> hashes;
  for (const std::string& k : keys) {
    auto h = static_cast<uint32_t>(JavaStringHash(k));
    hashes.push_back(h ^ (h >> 16));
  }
  std::vector<size_t> out;
  for (size_t bucket = 0; bucket < capacity; ++bucket) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if ((hashes[i] & (capacity - 1)) == bucket) out.push_back(i);
    }
  }
  return out;
}

std::vector<PercentileArg> ParsePercentiles(std::string_view percentiles, size_t* parts) {
  std::vector<std::string> split = JavaSplit(percentiles, ';');
  *parts = split.size();
  std::vector<PercentileArg> out;
  for (const std::string& part : split) {
    std::string text(JavaTrim(part));
    if (text.empty()) continue;
    char* end = nullptr;
    float value = std::strtof(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || std::isnan(value)) continue;
    std::string formatted = FormatUpToTwoDecimals(static_cast<double>(value));
    auto same = std::find_if(out.begin(), out.end(), [&](const PercentileArg& a) { return a.formatted == formatted; });
    if (same != out.end()) {
      same->value = value;  // HashMap.put: the new value, the first place
    } else {
      out.push_back({formatted, value});
    }
  }
  return out;
}

}  // namespace barrage
