// What java.lang does to text and numbers, for the places where Barrage must give the same
// answer as JMeter: String.trim, String.split, Character.isWhitespace, Long.parseLong,
// Integer.parseInt, Character.digit / forDigit in base 16, Double.toString. The one home of
// each; tests/common/java_lang_test.cc pins every function to what Java prints.
//
// Java version: OpenJDK 17, the runtime JMeter 5.6 is commonly run on (and the one the
// tests/jmeter_compat golden files were recorded with). It matters for Double.toString only:
// Java 19 changed it to print the shortest decimal that reads back (JDK-4511638), where 17
// sometimes prints one digit more (1e23 is "9.999999999999999E22" in 17, "1.0E23" in 19) and
// prints integral values below 2^63 with their exact digits ("4.7346897073356128E16").
//
// Text is UTF-8, looked at byte by byte: every function here treats a byte >= 0x80 as an
// ordinary character (never a space, never a digit). Java also accepts non-ASCII decimal
// digits in parseLong ("\u0661" is 1); Barrage does not. All functions are pure and
// thread-safe.
#ifndef BARRAGE_COMMON_JAVA_LANG_H_
#define BARRAGE_COMMON_JAVA_LANG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

// String.trim(): drops every character <= U+0020 (controls, NUL included) at both ends.
std::string_view JavaTrim(std::string_view s);

// Character.isWhitespace for one byte: ' ', '\t'..'\r' and U+001C..U+001F.
bool JavaIsWhitespace(char c);
// True when every character of `s` is JavaIsWhitespace (so also for ""), as String.isBlank().
bool JavaIsBlank(std::string_view s);

// String.split(String.valueOf(sep)) for a `sep` that is not a regex metacharacter: trailing
// empty parts are dropped ("a::" gives [a], "" gives [""]), unless `keep_trailing`
// (split(sep, -1): "a::" gives [a, "", ""]).
std::vector<std::string> JavaSplit(std::string_view s, char sep, bool keep_trailing = false);

// Long.parseLong(s) / Integer.parseInt(s): an optional '+' or '-' and ASCII decimal digits,
// nothing else (no blanks, no "0x"); nullopt where Java throws NumberFormatException (empty,
// a sign alone, a stray character, out of range).
std::optional<int64_t> JavaParseLong(std::string_view s);
std::optional<int32_t> JavaParseInt(std::string_view s);

// JMeter's AbstractProperty.getLongValue / getIntValue: the trimmed text parsed as above,
// 0 when it is empty or not a number.
int64_t PropertyAsLong(std::string_view text);
int32_t PropertyAsInt(std::string_view text);

// String.length() of UTF-8 text: its UTF-16 code units (a 4-byte sequence is a surrogate
// pair, 2). Continuation bytes count nothing, so a stray one counts nothing and a truncated
// sequence counts 1, as the decoders of script and JSONPath values see them.
size_t JavaStringLength(std::string_view utf8);

// Character.digit(c, 16): 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 otherwise.
int JavaHexDigit(char c);
// Character.forDigit(nibble, 16) for nibble 0..15: '0'-'9', 'a'-'f' ('A'-'F' when `upper`,
// as URLEncoder and percent-encoding print them).
char JavaForHexDigit(unsigned nibble, bool upper = false);

// Double.toString(d) as OpenJDK 17 prints it: "NaN", "Infinity", "-0.0", "100.0", "0.001",
// "1.0E-4", "1.0E7", "0.30000000000000004".
std::string JavaDoubleToString(double d);
void AppendJavaDouble(double d, std::string* out);

// The decimal digits OpenJDK 17's Double.toString prints for a finite, non-zero `d`
// (FloatingDecimal's dtoa), sign left out: |d| = d1.d2d3... x 10^exponent, `digits` without
// trailing zeros (at least one digit). For formatters built on the same digits (DecimalFormat).
void JavaDoubleDigits(double d, std::string* digits, int* exponent);

}  // namespace barrage

#endif  // BARRAGE_COMMON_JAVA_LANG_H_
