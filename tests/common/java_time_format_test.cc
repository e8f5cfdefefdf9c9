// Expected values were produced with Java 17's DateTimeFormatter (Locale.US) and
// Duration.parse on the same inputs.
#include "common/java_time_format.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

// 2024-12-29T15:04:05.006007 in Paris (CET, +01:00), a Sunday.
ZonedTime Paris() {
  ZonedTime t = FixedOffsetTime(1735481045000, 3600);
  t.nanos = 6007000;
  t.zone_abbreviation = "CET";
  return t;
}

// 2024-01-02T03:04:05Z at the fixed offset Z, a Tuesday.
ZonedTime Utc() { return FixedOffsetTime(1704164645000, 0); }

// An instant at +05:30 (fixed offset, no zone name).
ZonedTime India() { return FixedOffsetTime(1735481045000, 19800); }

std::string Fmt(std::string_view pattern, const ZonedTime& t) {
  Result<DateTimePattern> p = DateTimePattern::Compile(pattern);
  if (!p.ok()) return "ERR " + p.status().message();
  return p->Format(t);
}

TEST(DateTimePatternTest, YearLetters) {
  EXPECT_EQ(Fmt("y", Paris()), "2024");
  EXPECT_EQ(Fmt("yy", Paris()), "24");
  EXPECT_EQ(Fmt("yyy", Paris()), "2024");
  EXPECT_EQ(Fmt("yyyy", Paris()), "2024");
  EXPECT_EQ(Fmt("yyyyy", Paris()), "02024");
  EXPECT_EQ(Fmt("uuuu", Paris()), "2024");
  EXPECT_EQ(Fmt("G GGGG GGGGG", Paris()), "AD Anno Domini A");
}

TEST(DateTimePatternTest, WeekBasedYearAndWeeksFollowUsWeeks) {
  // Sunday 2024-12-29 starts the week holding 2025-01-01: week 1 of 2025.
  EXPECT_EQ(Fmt("Y YY YYYY w ww W", Paris()), "2025 25 2025 1 01 5");
  EXPECT_EQ(Fmt("Y w W", Utc()), "2024 1 1");
}

TEST(DateTimePatternTest, MonthLetters) {
  EXPECT_EQ(Fmt("M MM MMM MMMM MMMMM", Paris()), "12 12 Dec December D");
  EXPECT_EQ(Fmt("L LLL LLLL", Utc()), "1 Jan January");
}

TEST(DateTimePatternTest, DayLetters) {
  EXPECT_EQ(Fmt("d dd D DD DDD", Utc()), "2 02 2 02 002");
  EXPECT_EQ(Fmt("D", Paris()), "364");
  EXPECT_EQ(Fmt("F g", Paris()), "1 60673");
}

TEST(DateTimePatternTest, DayOfWeekLetters) {
  EXPECT_EQ(Fmt("E EE EEE EEEE EEEEE", Paris()), "Sun Sun Sun Sunday S");
  EXPECT_EQ(Fmt("e ee eee eeee c ccc", Utc()), "3 03 Tue Tuesday 3 Tue");
}

TEST(DateTimePatternTest, QuarterLetters) {
  EXPECT_EQ(Fmt("Q QQ QQQ QQQQ QQQQQ", Paris()), "4 04 Q4 4th quarter 4");
  EXPECT_EQ(Fmt("qqq", Utc()), "Q1");
}

TEST(DateTimePatternTest, HourLetters) {
  EXPECT_EQ(Fmt("a h hh K KK k kk H HH", Paris()), "PM 3 03 3 03 15 15 15 15");
  EXPECT_EQ(Fmt("a h K k H", Utc()), "AM 3 3 3 3");
  ZonedTime midnight = FixedOffsetTime(1704067200000, 0);  // 2024-01-01T00:00Z
  EXPECT_EQ(Fmt("h K k H", midnight), "12 0 24 0");
}

TEST(DateTimePatternTest, MinuteSecondAndFractionLetters) {
  EXPECT_EQ(Fmt("m mm s ss", Paris()), "4 04 5 05");
  EXPECT_EQ(Fmt("S SS SSS SSSS SSSSSSSSS", Paris()), "0 00 006 0060 006007000");
  EXPECT_EQ(Fmt("A n N", Paris()), "54245006 6007000 54245006007000");
}

TEST(DateTimePatternTest, ZoneNameLetter) {
  EXPECT_EQ(Fmt("z zzzz", Paris()), "CET CET");  // no long names: the short one
  EXPECT_EQ(Fmt("z", India()), "+05:30");
  EXPECT_EQ(Fmt("z", Utc()), "Z");
}

TEST(DateTimePatternTest, OffsetLetterZ) {
  EXPECT_EQ(Fmt("Z|ZZ|ZZZ|ZZZZ|ZZZZZ", Paris()), "+0100|+0100|+0100|GMT+01:00|+01:00");
  EXPECT_EQ(Fmt("Z|ZZZZ|ZZZZZ", Utc()), "+0000|GMT|Z");
}

TEST(DateTimePatternTest, OffsetLetterX) {
  EXPECT_EQ(Fmt("X|XX|XXX|XXXX|XXXXX", Paris()), "+01|+0100|+01:00|+0100|+01:00");
  EXPECT_EQ(Fmt("X|XX|XXX", India()), "+0530|+0530|+05:30");
  EXPECT_EQ(Fmt("X|XX|XXX", Utc()), "Z|Z|Z");
}

TEST(DateTimePatternTest, OffsetLetterX_lowercase) {
  EXPECT_EQ(Fmt("x|xx|xxx", Utc()), "+00|+0000|+00:00");
  EXPECT_EQ(Fmt("x|xxx", India()), "+0530|+05:30");
}

TEST(DateTimePatternTest, LocalizedOffsetLetterO) {
  EXPECT_EQ(Fmt("O|OOOO", Paris()), "GMT+1|GMT+01:00");
  EXPECT_EQ(Fmt("O|OOOO", India()), "GMT+5:30|GMT+05:30");
  EXPECT_EQ(Fmt("O", Utc()), "GMT");
}

TEST(DateTimePatternTest, QuotedTextAndOptionalSections) {
  EXPECT_EQ(Fmt("'lit''s'", Paris()), "lit's");
  EXPECT_EQ(Fmt("''", Paris()), "'");
  EXPECT_EQ(Fmt("[yyyy]", Paris()), "2024");
  EXPECT_EQ(Fmt("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Paris()), "2024-12-29T15:04:05.006+01:00");
  EXPECT_EQ(Fmt("dd/MM/yyyy - HH:mm", Paris()), "29/12/2024 - 15:04");
}

TEST(DateTimePatternTest, AdjacentNumericFields) {
  EXPECT_EQ(Fmt("yyyyMMddHHmmss", Paris()), "20241229150405");
  EXPECT_EQ(Fmt("y-M-d'T'H:m", Paris()), "2024-12-29T15:4");
}

TEST(DateTimePatternTest, RejectsWhatJavaRejects) {
  EXPECT_EQ(Fmt("ddd", Paris()), "ERR Too many pattern letters: d");
  EXPECT_EQ(Fmt("HHH", Paris()), "ERR Too many pattern letters: H");
  EXPECT_EQ(Fmt("aa", Paris()), "ERR Too many pattern letters: a");
  EXPECT_EQ(Fmt("MMMMMM", Paris()), "ERR Too many pattern letters: M");
  EXPECT_EQ(Fmt("b", Paris()), "ERR Unknown pattern letter: b");
  EXPECT_EQ(Fmt("ll", Paris()), "ERR Unknown pattern letter: l");
  EXPECT_EQ(Fmt("#", Paris()), "ERR Pattern includes reserved character: '#'");
  EXPECT_EQ(Fmt("'unclosed", Paris()), "ERR Pattern ends with an incomplete string literal: 'unclosed");
  EXPECT_EQ(Fmt("]", Paris()), "ERR Pattern invalid as it contains ] without previous [");
  EXPECT_EQ(Fmt("OO", Paris()), "ERR Pattern letter count must be 1 or 4: O");
  EXPECT_EQ(Fmt("SSSSSSSSSS", Paris()), "ERR Minimum width must be from 0 to 9 inclusive but was 10");
  EXPECT_EQ(Fmt("cc", Paris()), "ERR Invalid pattern \"cc\"");
}

TEST(DateTimePatternTest, UnimplementedLettersAreUnsupported) {
  Result<DateTimePattern> p = DateTimePattern::Compile("VV");
  EXPECT_EQ(p.status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(p.status().message(), "pattern letter 'V' is not supported");
}

TEST(DateTimePatternTest, LocalZonedTimeUsesTheSystemZone) {
  ZonedTime t = LocalZonedTime(1735481045006);
  EXPECT_EQ(t.epoch_seconds, 1735481045);
  EXPECT_EQ(t.nanos, 6000000);
  EXPECT_NE(t.zone_abbreviation, nullptr);
  EXPECT_EQ(t.epoch_millis(), 1735481045006);
}

TEST(DateTimePatternTest, NegativeMillisFloorToTheSecond) {
  ZonedTime t = FixedOffsetTime(-1, 0);
  EXPECT_EQ(t.epoch_seconds, -1);
  EXPECT_EQ(t.nanos, 999000000);
  EXPECT_EQ(Fmt("yyyy-MM-dd HH:mm:ss.SSS", t), "1969-12-31 23:59:59.999");
}

// ---------------------------------------------------------------------------------------
// Parse, as __timeShift uses it: defaults year 2026 and offset +01:00, then a shift.

std::string Shift(std::string_view pattern, std::string_view date, std::string_view duration) {
  Result<DateTimePattern> p = DateTimePattern::Compile(pattern);
  if (!p.ok()) return "ERR " + p.status().message();
  std::optional<ParsedDateTime> parsed = p->Parse(date, 2026, 3600);
  if (!parsed) return "ERR";
  std::optional<int64_t> nanos = ParseJavaDuration(duration);
  ZonedTime t = FixedOffsetTime(parsed->epoch_millis + *nanos / 1000000, parsed->offset_seconds);
  t.zone_abbreviation = parsed->zone_abbreviation;
  return p->Format(t);
}

TEST(DateTimeParseTest, DayMonthYear) {
  EXPECT_EQ(Shift("dd/MM/yyyy", "21/01/2018", "P2D"), "23/01/2018");
  EXPECT_EQ(Shift("d/M/yyyy", "1/1/2018", "P0D"), "1/1/2018");
  EXPECT_EQ(Shift("d/M/yyyy", "01/01/2018", "P0D"), "1/1/2018");
  EXPECT_EQ(Shift("y-M-d", "02018-1-21", "P1D"), "2018-1-22");
}

TEST(DateTimeParseTest, EpochMillisUseTheDefaultOffset) {
  Result<DateTimePattern> p = DateTimePattern::Compile("dd/MM/yyyy");
  std::optional<ParsedDateTime> parsed = p->Parse("21/01/2018", 2026, 3600);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->epoch_millis, 1516489200000);
  EXPECT_EQ(parsed->offset_seconds, 3600);
}

TEST(DateTimeParseTest, AdjacentFieldsWithoutSeparators) {
  EXPECT_EQ(Shift("yyyyMMdd", "20180121", "P2D"), "20180123");
  EXPECT_EQ(Shift("yyyyMMddHHmmss", "20180121235959", "PT1S"), "20180122000000");
}

TEST(DateTimeParseTest, TwoDigitYearIsIn2000s) {
  EXPECT_EQ(Shift("d/M/yy", "01/01/18", "P0D"), "1/1/18");
  EXPECT_EQ(Shift("dd/MM/yy", "21/01/99", "P1D"), "22/01/99");
}

TEST(DateTimeParseTest, MissingFieldsDefault) {
  EXPECT_EQ(Shift("HH:mm", "03:04", "PT1H"), "04:04");
  EXPECT_EQ(Shift("yyyy", "2018", "P1D"), "2018");
  EXPECT_EQ(Shift("MM/yyyy", "02/2018", "P1D"), "02/2018");
  EXPECT_EQ(Shift("'at' HH", "at 10", "PT1H"), "at 11");
}

TEST(DateTimeParseTest, DayPastMonthEndIsClamped) {
  EXPECT_EQ(Shift("dd/MM/yyyy", "31/02/2018", "P0D"), "28/02/2018");
  EXPECT_EQ(Shift("MM/dd/yyyy", "02/30/2020", "P1D"), "03/01/2020");
  EXPECT_EQ(Shift("dd/MM", "29/02", "P1D"), "01/03");  // default year 2026
}

TEST(DateTimeParseTest, MonthAndDayNames) {
  EXPECT_EQ(Shift("dd MMM yyyy", "21 Jan 2018", "P2D"), "23 Jan 2018");
  EXPECT_EQ(Shift("dd MMMM yyyy", "21 January 2018", "P2D"), "23 January 2018");
  EXPECT_EQ(Shift("ddMMMyyyy", "21Jan2018", "P1D"), "22Jan2018");
  EXPECT_EQ(Shift("EEE, dd MMM yyyy", "Sun, 21 Jan 2018", "P1D"), "Mon, 22 Jan 2018");
  EXPECT_EQ(Shift("EEEE dd MMM yyyy", "Sunday 21 Jan 2018", "P1D"), "Monday 22 Jan 2018");
}

TEST(DateTimeParseTest, OffsetsInTheTextAreKept) {
  EXPECT_EQ(Shift("yyyy-MM-dd'T'HH:mm:ssXXX", "2018-01-21T10:00:00Z", "PT1H"), "2018-01-21T11:00:00Z");
  EXPECT_EQ(Shift("yyyy-MM-dd'T'HH:mm:ssXXX", "2018-01-21T10:00:00+05:30", "PT1H"), "2018-01-21T11:00:00+05:30");
  EXPECT_EQ(Shift("yyyy-MM-dd HH:mm:ss Z", "2018-01-21 10:00:00 -0800", "PT1H"), "2018-01-21 11:00:00 -0800");
  EXPECT_EQ(Shift("dd MMM yyyy O", "21 Jan 2018 GMT+2", "P1D"), "22 Jan 2018 GMT+2");
  EXPECT_EQ(Shift("dd MMM yyyy X", "21 Jan 2018 +0230", "P1D"), "22 Jan 2018 +0230");
}

TEST(DateTimeParseTest, ZoneNameShowsButInstantUsesDefaultOffset) {
  // java.time resolves the instant with the defaulted offset (+01:00), then shows it in UTC.
  EXPECT_EQ(Shift("dd MMM yyyy z", "21 Jan 2018 UTC", "P1D"), "21 Jan 2018 UTC");
  EXPECT_EQ(Shift("EEE, dd MMM yyyy HH:mm:ss z", "Sun, 21 Jan 2018 10:00:00 GMT", "PT1H"),
            "Sun, 21 Jan 2018 10:00:00 GMT");
}

TEST(DateTimeParseTest, HourTwentyFourAndClockHourTwentyFour) {
  EXPECT_EQ(Shift("dd/MM/yyyy HH:mm", "21/01/2018 24:00", "P1D"), "23/01/2018 00:00");
  EXPECT_EQ(Shift("kk:mm", "24:00", "PT1H"), "01:00");
}

TEST(DateTimeParseTest, FieldsConflictingWithJMeterDefaultsFail) {
  // JMeter's formatter defaults HOUR_OF_DAY, MILLI_OF_SECOND and YEAR_OF_ERA; Java then
  // reports a conflict for these, and __timeShift falls back to now.
  EXPECT_EQ(Shift("hh:mm a", "03:04 PM", "PT1H"), "ERR");
  EXPECT_EQ(Shift("hh:mm a", "12:00 AM", "PT1H"), "01:00 AM");
  EXPECT_EQ(Shift("kk:mm", "01:00", "PT1H"), "ERR");
  EXPECT_EQ(Shift("a", "PM", "PT1H"), "ERR");
  EXPECT_EQ(Shift("yyyy-MM-dd HH:mm:ss.SSS", "2018-01-21 10:00:00.123", "PT0.5S"), "ERR");
  EXPECT_EQ(Shift("yyyy-MM-dd HH:mm:ss.SSS", "2018-01-21 10:00:00.000", "PT0.5S"), "2018-01-21 10:00:00.500");
  EXPECT_EQ(Shift("uuuu-MM-dd", "2018-01-21", "P1D"), "ERR");
  EXPECT_EQ(Shift("EEE, dd MMM yyyy", "Mon, 21 Jan 2018", "P1D"), "ERR");
}

TEST(DateTimeParseTest, TextThatDoesNotMatchFails) {
  EXPECT_EQ(Shift("dd MMM yyyy", "21 jan 2018", "P2D"), "ERR");  // case-sensitive
  EXPECT_EQ(Shift("dd/MM/yyyy", "32/01/2018", "P0D"), "ERR");
  EXPECT_EQ(Shift("dd/MM/yyyy", "1/1/2018", "P0D"), "ERR");
  EXPECT_EQ(Shift("dd/MM/yyyy", "21/01/2018 x", "P0D"), "ERR");
  EXPECT_EQ(Shift("dd/MM/yyyy", "21/01/18", "P1D"), "ERR");
  EXPECT_EQ(Shift("dd-MM-yyyy", "21/01/2018", "P1D"), "ERR");
  EXPECT_EQ(Shift("HH:mm:ss", "25:00:00", "P1D"), "ERR");
  EXPECT_EQ(Shift("ss", "75", "P1D"), "ERR");
}

// ---------------------------------------------------------------------------------------
// ParseJavaDuration

TEST(JavaDurationTest, DaysHoursMinutesSeconds) {
  EXPECT_EQ(ParseJavaDuration("P1DT2H3M4S"), 93784000000000);
  EXPECT_EQ(ParseJavaDuration("PT1H30M"), 5400000000000);
  EXPECT_EQ(ParseJavaDuration("p1d"), 86400000000000);
}

TEST(JavaDurationTest, SignsOnTheWholeAndOnEachPart) {
  EXPECT_EQ(ParseJavaDuration("-P1D"), -86400000000000);
  EXPECT_EQ(ParseJavaDuration("P-1D"), -86400000000000);
  EXPECT_EQ(ParseJavaDuration("+P1D"), 86400000000000);
  EXPECT_EQ(ParseJavaDuration("P+1D"), 86400000000000);
  EXPECT_EQ(ParseJavaDuration("P2DT-3H"), 162000000000000);
}

TEST(JavaDurationTest, FractionalSeconds) {
  EXPECT_EQ(ParseJavaDuration("PT20.345S"), 20345000000);
  EXPECT_EQ(ParseJavaDuration("PT-1.5S"), -1500000000);
  EXPECT_EQ(ParseJavaDuration("-PT1.5S"), -1500000000);
  EXPECT_EQ(ParseJavaDuration("PT1,5S"), 1500000000);
  EXPECT_EQ(ParseJavaDuration("PT1.S"), 1000000000);
}

TEST(JavaDurationTest, RejectsWhatJavaRejects) {
  for (const char* bad :
       {"P1DT", "PT", "P", "P1M", "P1W", "PT.5S", "PT1.1234567891S", "P1D2H", "", "1D", "PT1H ", " PT1H"}) {
    EXPECT_FALSE(ParseJavaDuration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace barrage
