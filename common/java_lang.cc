#include "common/java_lang.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace barrage {

std::string_view JavaTrim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

bool JavaIsWhitespace(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

bool JavaIsBlank(std::string_view s) { return std::all_of(s.begin(), s.end(), JavaIsWhitespace); }

std::vector<std::string> JavaSplit(std::string_view s, char sep, bool keep_trailing) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.emplace_back(s.substr(start));
      break;
    }
    parts.emplace_back(s.substr(start, at - start));
    start = at + 1;
  }
  if (keep_trailing || s.empty()) return parts;  // "".split() is [""]
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

std::optional<int64_t> JavaParseLong(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(s[i] - '0');
    if (value > (limit - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return negative ? static_cast<int64_t>(~value + 1) : static_cast<int64_t>(value);
}

std::optional<int32_t> JavaParseInt(std::string_view s) {
  std::optional<int64_t> value = JavaParseLong(s);
  if (!value || *value < INT32_MIN || *value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*value);
}

int64_t PropertyAsLong(std::string_view text) { return JavaParseLong(JavaTrim(text)).value_or(0); }
int32_t PropertyAsInt(std::string_view text) { return JavaParseInt(JavaTrim(text)).value_or(0); }

size_t JavaStringLength(std::string_view utf8) {
  size_t units = 0;
  for (char ch : utf8) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

int JavaHexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char JavaForHexDigit(unsigned nibble, bool upper) {
  return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[nibble & 0xF];
}

// ---- Double.toString

namespace {

// Unsigned big integers, just what FloatingDecimal's digit loop needs.
class BigNat {
 public:
  explicit BigNat(uint64_t v = 0) {
    while (v != 0) {
      w_.push_back(static_cast<uint32_t>(v));
      v >>= 32;
    }
  }
  // v * 5^p5 * 2^p2
  static BigNat Pow52(uint64_t v, int p5, int p2) {
    BigNat n(v);
    for (int i = 0; i < p5; ++i) n.MulSmall(5);
    n.ShiftLeft(p2);
    return n;
  }
  void MulSmall(uint32_t k) {
    uint64_t carry = 0;
    for (uint32_t& x : w_) {
      uint64_t p = static_cast<uint64_t>(x) * k + carry;
      x = static_cast<uint32_t>(p);
      carry = p >> 32;
    }
    if (carry != 0) w_.push_back(static_cast<uint32_t>(carry));
  }
  void ShiftLeft(int n) {
    if (w_.empty() || n <= 0) return;
    w_.insert(w_.begin(), static_cast<size_t>(n / 32), 0u);
    int bits = n % 32;
    if (bits == 0) return;
    uint32_t carry = 0;
    for (uint32_t& x : w_) {
      uint32_t next = x >> (32 - bits);
      x = (x << bits) | carry;
      carry = next;
    }
    if (carry != 0) w_.push_back(carry);
  }
  static int Compare(const BigNat& a, const BigNat& b) {
    if (a.w_.size() != b.w_.size()) return a.w_.size() < b.w_.size() ? -1 : 1;
    for (size_t i = a.w_.size(); i-- > 0;) {
      if (a.w_[i] != b.w_[i]) return a.w_[i] < b.w_[i] ? -1 : 1;
    }
    return 0;
  }
  void Add(const BigNat& b) {
    uint64_t carry = 0;
    if (w_.size() < b.w_.size()) w_.resize(b.w_.size(), 0);
    for (size_t i = 0; i < w_.size(); ++i) {
      uint64_t s = static_cast<uint64_t>(w_[i]) + (i < b.w_.size() ? b.w_[i] : 0) + carry;
      w_[i] = static_cast<uint32_t>(s);
      carry = s >> 32;
    }
    if (carry != 0) w_.push_back(static_cast<uint32_t>(carry));
  }
  void Sub(const BigNat& b) {  // requires *this >= b
    int64_t borrow = 0;
    for (size_t i = 0; i < w_.size(); ++i) {
      int64_t d = static_cast<int64_t>(w_[i]) - (i < b.w_.size() ? b.w_[i] : 0) - borrow;
      borrow = d < 0 ? 1 : 0;
      w_[i] = static_cast<uint32_t>(d + (borrow << 32));
    }
    while (!w_.empty() && w_.back() == 0) w_.pop_back();
  }
  // FDBigInteger.quoRemIteration: returns this / s and leaves 10 * (this % s).
  int QuoRemIteration(const BigNat& s) {
    int q = 0;
    while (Compare(*this, s) >= 0) {
      Sub(s);
      ++q;
    }
    MulSmall(10);
    return q;
  }

 private:
  std::vector<uint32_t> w_;  // little-endian 32-bit words, no leading zero words
};

}  // namespace

// A port of Java 8-18's FloatingDecimal.BinaryToASCIIBuffer.dtoa. Mostly the shortest digits
// that read back as the same double, but not always: integral values below 2^63 print their
// exact digits (4.7346897073356128E16), and some values get one digit too many
// (9.999999999999999E22 for 1e23).
void JavaDoubleDigits(double d, std::string* digits, int* exponent) {
  static constexpr int kN5Bits[] = {0,  3,  5,  7,  10, 12, 14, 17, 19, 21, 24, 26, 28, 31,
                                    33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56, 59, 61};
  static constexpr int kInsignificant[] = {0,  0,  0,  0,  1,  1,  1,  2,  2,  2,  3,  3,  3,  3,  4,  4,
                                           4,  5,  5,  5,  6,  6,  6,  6,  7,  7,  7,  8,  8,  8,  9,  9,
                                           9,  9,  10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14,
                                           14, 14, 15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19};
  auto pow5 = [](int n) {
    uint64_t p = 1;
    for (int i = 0; i < n; ++i) p *= 5;
    return p;
  };
  uint64_t raw = 0;
  std::memcpy(&raw, &d, sizeof(raw));
  uint64_t fract = raw & ((1ULL << 52) - 1);
  int bin_exp = static_cast<int>((raw >> 52) & 0x7FF);
  int n_significant;
  if (bin_exp == 0) {  // subnormal
    int leading = __builtin_clzll(fract);
    int shift = leading - (63 - 52);
    fract <<= shift;
    bin_exp = 1 - shift;
    n_significant = 64 - leading;
  } else {
    fract |= 1ULL << 52;
    n_significant = 53;
  }
  bin_exp -= 1023;
  digits->clear();

  int tail_zeros = __builtin_ctzll(fract);
  int n_fract_bits = 53 - tail_zeros;
  int n_tiny_bits = std::max(0, n_fract_bits - bin_exp - 1);
  if (bin_exp <= 62 && bin_exp >= -21 && n_tiny_bits < 27 && n_fract_bits + kN5Bits[n_tiny_bits] < 64 &&
      n_tiny_bits == 0) {
    // An integer below 2^63: its exact digits, less the places a power of two cannot hold.
    int p2 = bin_exp - n_significant - 1;
    int insignificant = (bin_exp > n_significant && p2 > 1 && p2 < 64) ? kInsignificant[p2] : 0;
    uint64_t value = bin_exp >= 52 ? fract << (bin_exp - 52) : fract >> (52 - bin_exp);
    int dec_exp = 0;
    if (insignificant != 0) {
      uint64_t pow10 = pow5(insignificant) << insignificant;
      uint64_t residue = value % pow10;
      value /= pow10;
      dec_exp += insignificant;
      if (residue >= (pow10 >> 1)) ++value;
    }
    std::string s = std::to_string(value);
    *exponent = static_cast<int>(s.size()) - 1 + dec_exp;
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    *digits = s;
    return;
  }

  // estimateDecExp
  int dec_exp;
  {
    uint64_t d2_bits = (1023ULL << 52) | (fract & ((1ULL << 52) - 1));
    double d2 = 0;
    std::memcpy(&d2, &d2_bits, sizeof(d2));
    double est = (d2 - 1.5) * 0.289529654 + 0.176091259 + static_cast<double>(bin_exp) * 0.301029995663981;
    dec_exp = static_cast<int>(std::floor(est));
  }
  int b5 = std::max(0, -dec_exp);
  int b2 = b5 + n_tiny_bits + bin_exp;
  int s5 = std::max(0, dec_exp);
  int s2 = s5 + n_tiny_bits;
  int m5 = b5;
  int m2 = b2 - n_significant;
  fract >>= tail_zeros;
  b2 -= n_fract_bits - 1;
  int common2 = std::min(b2, s2);
  b2 -= common2;
  s2 -= common2;
  m2 -= common2;
  if (n_fract_bits == 1) m2 -= 1;
  if (m2 < 0) {
    b2 -= m2;
    s2 -= m2;
    m2 = 0;
  }
  bool low = false, high = false;
  int64_t low_digit_difference = 0;
  int b_bits = n_fract_bits + b2 + (b5 < 27 ? kN5Bits[b5] : b5 * 3);
  int ten_s_bits = s2 + 1 + ((s5 + 1) < 27 ? kN5Bits[s5 + 1] : (s5 + 1) * 3);
  // E-form output always gets a second digit.
  auto sci = [&]() { return dec_exp < -3 || dec_exp >= 8; };
  if (b_bits < 64 && ten_s_bits < 64) {
    // Java's int or long arithmetic, overflow included.
    bool ints = b_bits < 32 && ten_s_bits < 32;
    auto wrap = [&](uint64_t v) -> int64_t {
      return ints ? static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v))) : static_cast<int64_t>(v);
    };
    int64_t b = wrap((fract * pow5(b5)) << b2);
    int64_t s = wrap(pow5(s5) << s2);
    int64_t m = wrap(pow5(m5) << m2);
    int64_t tens = wrap(static_cast<uint64_t>(s) * 10);
    int q = static_cast<int>(b / s);
    b = wrap(static_cast<uint64_t>(b % s) * 10);
    m = wrap(static_cast<uint64_t>(m) * 10);
    low = b < m;
    high = wrap(static_cast<uint64_t>(b) + static_cast<uint64_t>(m)) > tens;
    if (q == 0 && !high)
      --dec_exp;
    else
      digits->push_back(static_cast<char>('0' + q));
    if (sci()) high = low = false;
    while (!low && !high) {
      q = static_cast<int>(b / s);
      b = wrap(static_cast<uint64_t>(b % s) * 10);
      m = wrap(static_cast<uint64_t>(m) * 10);
      if (m > 0) {
        low = b < m;
        high = wrap(static_cast<uint64_t>(b) + static_cast<uint64_t>(m)) > tens;
      } else {
        low = high = true;
      }
      digits->push_back(static_cast<char>('0' + q));
    }
    low_digit_difference = wrap((static_cast<uint64_t>(b) << 1) - static_cast<uint64_t>(tens));
  } else {
    BigNat s = BigNat::Pow52(1, s5, s2);
    BigNat b = BigNat::Pow52(fract, b5, b2);
    BigNat m = BigNat::Pow52(1, m5 + 1, m2 + 1);
    BigNat tens = BigNat::Pow52(1, s5 + 1, s2 + 1);
    auto test = [&]() {
      low = BigNat::Compare(b, m) < 0;
      BigNat sum = b;
      sum.Add(m);
      high = BigNat::Compare(tens, sum) <= 0;
    };
    int q = b.QuoRemIteration(s);
    test();
    if (q == 0 && !high)
      --dec_exp;
    else
      digits->push_back(static_cast<char>('0' + q));
    if (sci()) high = low = false;
    while (!low && !high) {
      q = b.QuoRemIteration(s);
      m.MulSmall(10);
      test();
      digits->push_back(static_cast<char>('0' + q));
    }
    if (high && low) {
      b.ShiftLeft(1);
      low_digit_difference = BigNat::Compare(b, tens);
    }
  }
  int dec_exponent = dec_exp + 1;
  bool round_up =
      high && (!low || low_digit_difference > 0 || (low_digit_difference == 0 && ((digits->back() - '0') & 1) != 0));
  if (round_up) {
    size_t i = digits->size() - 1;
    while ((*digits)[i] == '9' && i > 0) (*digits)[i--] = '0';
    if ((*digits)[i] == '9') {  // carry out: 10...0
      (*digits)[0] = '1';
      ++dec_exponent;
    } else {
      ++(*digits)[i];
    }
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *exponent = dec_exponent - 1;
}

void AppendJavaDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  if (d == 0) {
    out->append(std::signbit(d) ? "-0.0" : "0.0");
    return;
  }
  std::string digits;
  int exponent = 0;
  JavaDoubleDigits(d, &digits, &exponent);
  if (d < 0) out->push_back('-');
  const double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      const size_t int_len = static_cast<size_t>(exponent) + 1;
      out->append(digits, 0, std::min(int_len, digits.size()));
      if (digits.size() < int_len) out->append(int_len - digits.size(), '0');
      out->push_back('.');
      if (digits.size() > int_len) {
        out->append(digits, int_len);
      } else {
        out->push_back('0');
      }
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(-exponent - 1), '0');
      out->append(digits);
    }
  } else {
    out->push_back(digits[0]);
    out->push_back('.');
    if (digits.size() > 1) {
      out->append(digits, 1);
    } else {
      out->push_back('0');
    }
    out->push_back('E');
    out->append(std::to_string(exponent));
  }
}

std::string JavaDoubleToString(double d) {
  std::string out;
  AppendJavaDouble(d, &out);
  return out;
}

}  // namespace barrage
