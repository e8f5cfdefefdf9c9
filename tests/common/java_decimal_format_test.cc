// java.text.DecimalFormat for whole numbers. Expected strings were produced by Java 17
// (en_US) with the same patterns and values.
#include "common/java_decimal_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace barrage {
namespace {

struct FormatCase {
  const char* pattern;
  int64_t value;
  const char* expected;
};

TEST(JavaDecimalFormatTest, FormatsLikeJava) {
  const FormatCase cases[] = {
      {"000", 5, "005"},
      {"000", -5, "-005"},
      {"000", 12345, "12345"},
      {"#,##0", 0, "0"},
      {"#,##0", 1234567, "1,234,567"},
      {"#,##0", -1234567, "-1,234,567"},
      {"#,##0", INT64_MIN, "-9,223,372,036,854,775,808"},
      {"0,000", 5, "0,005"},
      {"#,####", 1234567, "123,4567"},
      {"#,##,###", 1234567, "1,234,567"},  // the last group size counts
      {"#", 0, "0"},
      {"#.##", 7, "7"},
      {"000.00", 10, "010.00"},
      {"#.", 5, "5."},
      {".00", 0, ".00"},
      {".00", 5, "5.00"},
      {"0.0#", 5, "5.0"},
      {"'#'0", 5, "#5"},
      {"# o''clock", 5, "5 o'clock"},
      {"''0''", 3, "'3'"},
      {"'id-'0000", 7, "id-0007"},
      {"'id-'0000", -5, "-id-0005"},
      {"00 'x'", 5, "05 x"},
      {"0%", 5, "500%"},
      {"0%", INT64_MAX, "922337203685477580700%"},
      {"0\u2030", 5, "5000\u2030"},
      {"0'%'", 3, "3%"},
      {"#,##0;(#,##0)", -1234567, "(1,234,567)"},
      {"#,##0;(#,##0)", 5, "5"},
      {"0.0;(0.0)", -5, "(5.0)"},
      {"0;0", -5, "-5"},      // same as positive: minus sign prepended
      {"'-'0;-0", -5, "-5"},  // differs in pattern form: the explicit one is used
      {"#,##0.###;#,##0.###-", -1234, "1,234-"},
      {"0;", -5, "-5"},
      {"-0", 5, "-5"},
      {"-0", -5, "--5"},
      {"0-", 5, "5-"},
      {"a0b0", 5, "a05b"},  // a digit after the suffix starts the number again
      {"E0", 5, "E5"},
      {"x#.#y", 3, "x3y"},
      {"\u00a40", 5, "$5"},
      {"0.0\u00a4\u00a4", 5, "5.0USD"},
      {"0.###E0", 0, "0E0"},
      {"0.###E0", 12345, "1.234E4"},
      {"0.###E0", 1234567, "1.235E6"},
      {"0.###E0", 999999, "1E6"},
      {"0.#E0", 1250, "1.2E3"},  // HALF_EVEN
      {"0.#E0", 1350, "1.4E3"},
      {"0.#E0", 1251, "1.3E3"},
      {"0.#E0", 95, "9.5E1"},
      {"00.###E0", 5, "50E-1"},
      {"00.###E0", 1234567, "12.346E5"},
      {"##0.#####E0", 12345, "12.345E3"},  // engineering notation
      {"##0.#####E0", 1234567, "1.234567E6"},
      {"##0.##E0", 123456, "123.46E3"},
      {"0E00", 5, "5E00"},
      {"0.00E00", -123, "-1.23E02"},
      {"#E0", 0, "E0"},
      {"#E0", 5, ".5E1"},
  };
  for (const FormatCase& c : cases) {
    Result<JavaDecimalFormat> f = JavaDecimalFormat::Parse(c.pattern);
    ASSERT_TRUE(f.ok()) << c.pattern << ": " << f.status().message();
    EXPECT_EQ(f->Format(c.value), c.expected) << c.pattern << " " << c.value;
  }
}

TEST(JavaDecimalFormatTest, RejectsWhatJavaRejects) {
  const std::pair<const char*, const char*> cases[] = {
      {"0#", "Malformed pattern \"0#\""},
      {"0.#0", "Unexpected '0' in pattern \"0.#0\""},
      {"#,", "Malformed pattern \"#,\""},
      {"0..0", "Multiple decimal separators in pattern \"0..0\""},
      {";0", "Unquoted special character ';' in pattern \";0\""},
      {"0;0;0", "Unquoted special character ';' in pattern \"0;0;0\""},
      {"'abc", "Malformed pattern \"'abc\""},
      {"0E", "Malformed exponential pattern \"0E\""},
      {"0%%", "Too many percent/per mille characters in pattern \"0%%\""},
  };
  for (const auto& [pattern, message] : cases) {
    Result<JavaDecimalFormat> f = JavaDecimalFormat::Parse(pattern);
    ASSERT_FALSE(f.ok()) << pattern;
    EXPECT_EQ(f.status().message(), message);
  }
}

TEST(JavaDecimalFormatTest, FormatJavaLongFallsBackToPlainDecimal) {
  EXPECT_EQ(FormatJavaLong(42, ""), "42");
  EXPECT_EQ(FormatJavaLong(42, "0#"), "42");
  EXPECT_EQ(FormatJavaLong(-42, "0000"), "-0042");
}

}  // namespace
}  // namespace barrage
