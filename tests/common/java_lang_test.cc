// Every expected value below is what OpenJDK 17.0.15 prints for the same call (checked with a
// small Java program: System.out.println(Double.toString(1e23)) and so on).
#include "common/java_lang.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace barrage {
namespace {

TEST(JavaTrimTest, DropsEverythingUpToSpaceAtBothEnds) {
  EXPECT_EQ(JavaTrim(std::string_view(" \t x \0", 6)), "x");
  EXPECT_EQ(JavaTrim("\r\n\x1f a b \x01"), "a b");
  EXPECT_EQ(JavaTrim("   "), "");
  EXPECT_EQ(JavaTrim(""), "");
}

TEST(JavaTrimTest, KeepsNonAsciiAndDelete) {
  EXPECT_EQ(JavaTrim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // U+00A0 is > U+0020
  EXPECT_EQ(JavaTrim("\x7f x \x7f"), "\x7f x \x7f");
}

TEST(JavaIsWhitespaceTest, MatchesCharacterIsWhitespaceOverAscii) {
  std::string whitespace;
  for (int c = 0; c < 128; ++c) {
    if (JavaIsWhitespace(static_cast<char>(c))) whitespace += std::to_string(c) + " ";
  }
  EXPECT_EQ(whitespace, "9 10 11 12 13 28 29 30 31 32 ");
  EXPECT_FALSE(JavaIsWhitespace('\xC2'));
  EXPECT_FALSE(JavaIsWhitespace('\0'));
}

TEST(JavaIsBlankTest, TrueOnlyWhenEveryCharacterIsWhitespace) {
  EXPECT_TRUE(JavaIsBlank(""));
  EXPECT_TRUE(JavaIsBlank(" \t\n\x1c"));
  EXPECT_FALSE(JavaIsBlank(" x "));
  EXPECT_FALSE(JavaIsBlank(std::string_view("\0", 1)));
}

TEST(JavaSplitTest, DropsTrailingEmptyPartsLikeStringSplit) {
  EXPECT_EQ(JavaSplit("a:b::", ':'), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(JavaSplit("", ':'), (std::vector<std::string>{""}));
  EXPECT_EQ(JavaSplit(":", ':'), (std::vector<std::string>{}));
  EXPECT_EQ(JavaSplit(":a", ':'), (std::vector<std::string>{"", "a"}));
}

TEST(JavaSplitTest, KeepsTrailingEmptyPartsWithNegativeLimit) {
  EXPECT_EQ(JavaSplit("a::", ':', true), (std::vector<std::string>{"a", "", ""}));
  EXPECT_EQ(JavaSplit("", ';', true), (std::vector<std::string>{""}));
}

TEST(JavaParseLongTest, AcceptsOptionalSignAndDecimalDigits) {
  EXPECT_EQ(JavaParseLong("0"), 0);
  EXPECT_EQ(JavaParseLong("+0"), 0);
  EXPECT_EQ(JavaParseLong("-0"), 0);
  EXPECT_EQ(JavaParseLong("+42"), 42);
  EXPECT_EQ(JavaParseLong("-42"), -42);
  EXPECT_EQ(JavaParseLong("007"), 7);
}

TEST(JavaParseLongTest, RangeIsExactlyALong) {
  EXPECT_EQ(JavaParseLong("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(JavaParseLong("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(JavaParseLong("9223372036854775808"), std::nullopt);
  EXPECT_EQ(JavaParseLong("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(JavaParseLong("99999999999999999999999"), std::nullopt);
}

TEST(JavaParseLongTest, RejectsWhatJavaThrowsNumberFormatExceptionFor) {
  for (const char* text : {"", "+", "-", "+-5", "-+5", " 5", "5 ", "0x10", "1_000", "1.0", "1e3", "\xD9\xA1"}) {
    EXPECT_EQ(JavaParseLong(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(JavaParseIntTest, RangeIsExactlyAnInt) {
  EXPECT_EQ(JavaParseInt("2147483647"), 2147483647);
  EXPECT_EQ(JavaParseInt("-2147483648"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(JavaParseInt("2147483648"), std::nullopt);
  EXPECT_EQ(JavaParseInt("-2147483649"), std::nullopt);
  EXPECT_EQ(JavaParseInt("+7"), 7);
  EXPECT_EQ(JavaParseInt("+-7"), std::nullopt);
  EXPECT_EQ(JavaParseInt(""), std::nullopt);
}

TEST(PropertyAsLongTest, TrimsAndFallsBackToZero) {
  EXPECT_EQ(PropertyAsLong(" \t12\n"), 12);
  EXPECT_EQ(PropertyAsLong(""), 0);
  EXPECT_EQ(PropertyAsLong("twelve"), 0);
  EXPECT_EQ(PropertyAsInt(" -3 "), -3);
  EXPECT_EQ(PropertyAsInt("2147483648"), 0);
}

TEST(JavaStringLengthTest, CountsUtf16CodeUnits) {
  EXPECT_EQ(JavaStringLength(""), 0u);
  EXPECT_EQ(JavaStringLength("abc"), 3u);
  EXPECT_EQ(JavaStringLength("caf\xC3\xA9"), 4u);        // "café".length() == 4
  EXPECT_EQ(JavaStringLength("\xE2\x82\xAC"), 1u);       // "€": one unit
  EXPECT_EQ(JavaStringLength("\xF0\x9F\x98\x80!"), 3u);  // an emoji is a surrogate pair
  EXPECT_EQ(JavaStringLength("a\x80"
                             "b"),
            2u);                             // a stray continuation byte: nothing
  EXPECT_EQ(JavaStringLength("a\xC3"), 2u);  // a truncated sequence: one
}

TEST(JavaHexDigitTest, MatchesCharacterDigitInBase16) {
  EXPECT_EQ(JavaHexDigit('0'), 0);
  EXPECT_EQ(JavaHexDigit('9'), 9);
  EXPECT_EQ(JavaHexDigit('a'), 10);
  EXPECT_EQ(JavaHexDigit('F'), 15);
  for (char c : std::string("gZG/:@`\x80")) EXPECT_EQ(JavaHexDigit(c), -1) << c;
}

TEST(JavaForHexDigitTest, LowerCaseUnlessAskedForUpper) {
  std::string lower, upper;
  for (unsigned n = 0; n < 16; ++n) {
    lower += JavaForHexDigit(n);
    upper += JavaForHexDigit(n, /*upper=*/true);
  }
  EXPECT_EQ(lower, "0123456789abcdef");
  EXPECT_EQ(upper, "0123456789ABCDEF");
}

TEST(JavaDoubleToStringTest, SpecialValues) {
  EXPECT_EQ(JavaDoubleToString(std::nan("")), "NaN");
  EXPECT_EQ(JavaDoubleToString(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(JavaDoubleToString(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(JavaDoubleToString(0.0), "0.0");
  EXPECT_EQ(JavaDoubleToString(-0.0), "-0.0");
}

TEST(JavaDoubleToStringTest, PlainNotationFromOneThousandthBelowTenMillion) {
  EXPECT_EQ(JavaDoubleToString(100.0), "100.0");
  EXPECT_EQ(JavaDoubleToString(1.5), "1.5");
  EXPECT_EQ(JavaDoubleToString(-2.5), "-2.5");
  EXPECT_EQ(JavaDoubleToString(1e-3), "0.001");
  EXPECT_EQ(JavaDoubleToString(2e-3), "0.002");
  EXPECT_EQ(JavaDoubleToString(9999999.0), "9999999.0");
  EXPECT_EQ(JavaDoubleToString(9999999.999), "9999999.999");
  EXPECT_EQ(JavaDoubleToString(123.456), "123.456");
}

TEST(JavaDoubleToStringTest, ComputerizedScientificNotationOutside) {
  EXPECT_EQ(JavaDoubleToString(1e7), "1.0E7");
  EXPECT_EQ(JavaDoubleToString(1e-4), "1.0E-4");
  EXPECT_EQ(JavaDoubleToString(0.0009999), "9.999E-4");
  EXPECT_EQ(JavaDoubleToString(123456789.0), "1.23456789E8");
  EXPECT_EQ(JavaDoubleToString(3.0e10), "3.0E10");
  EXPECT_EQ(JavaDoubleToString(1e16), "1.0E16");
  EXPECT_EQ(JavaDoubleToString(1e21), "1.0E21");
  EXPECT_EQ(JavaDoubleToString(std::numeric_limits<double>::max()), "1.7976931348623157E308");
  EXPECT_EQ(JavaDoubleToString(std::numeric_limits<double>::min()), "2.2250738585072014E-308");
  EXPECT_EQ(JavaDoubleToString(std::numeric_limits<double>::denorm_min()), "4.9E-324");
  EXPECT_EQ(JavaDoubleToString(1.0e-322), "1.0E-322");
}

TEST(JavaDoubleToStringTest, ShortestDigitsThatReadBack) {
  EXPECT_EQ(JavaDoubleToString(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(JavaDoubleToString(0.3), "0.3");
  EXPECT_EQ(JavaDoubleToString(2.0 / 3), "0.6666666666666666");
  EXPECT_EQ(JavaDoubleToString(1.1), "1.1");
  EXPECT_EQ(JavaDoubleToString(9007199254740993.0), "9.007199254740992E15");
}

// Where Java 17 differs from Java 19+ (JDK-4511638): Barrage prints what 17 prints.
TEST(JavaDoubleToStringTest, Java17DigitsWhereNewerJavaPrintsFewer) {
  EXPECT_EQ(JavaDoubleToString(1e23), "9.999999999999999E22");                    // 19+: 1.0E23
  EXPECT_EQ(JavaDoubleToString(2e23), "1.9999999999999998E23");                   // 19+: 2.0E23
  EXPECT_EQ(JavaDoubleToString(8.41e21), "8.409999999999999E21");                 // 19+: 8.41E21
  EXPECT_EQ(JavaDoubleToString(4.7346897073356128e16), "4.7346897073356128E16");  // exact digits
}

TEST(JavaDoubleToStringTest, AppendAddsToTheEnd) {
  std::string out = "x=";
  AppendJavaDouble(0.5, &out);
  EXPECT_EQ(out, "x=0.5");
}

TEST(JavaDoubleDigitsTest, DigitsAndExponentWithoutSign) {
  std::string digits;
  int exponent = 0;
  JavaDoubleDigits(-1234.5, &digits, &exponent);
  EXPECT_EQ(digits, "12345");
  EXPECT_EQ(exponent, 3);
  JavaDoubleDigits(1e-4, &digits, &exponent);
  EXPECT_EQ(digits, "1");
  EXPECT_EQ(exponent, -4);
}

}  // namespace
}  // namespace barrage
