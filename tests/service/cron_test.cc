#include "service/cron.h"

#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace barrage {
namespace {

// "2026-03-29T01:00:00Z" as epoch ms.
int64_t Utc(const std::string& iso) {
  cctz::time_point<cctz::seconds> tp;
  EXPECT_TRUE(cctz::parse("%Y-%m-%dT%H:%M:%SZ", iso, cctz::utc_time_zone(), &tp)) << iso;
  return tp.time_since_epoch().count() * 1000;
}

CronExpression Cron(const std::string& text) {
  auto c = ParseCron(text);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : CronExpression{};
}

TimeZone Zone(const std::string& name) {
  auto z = LoadTimeZone(name);
  EXPECT_TRUE(z.ok()) << z.status().message();
  return *z;
}

// The next fire after `after` as an ISO string, "none" when there is none.
std::string Next(const std::string& cron, const std::string& zone, const std::string& after) {
  auto next = NextFireMs(Cron(cron), Zone(zone), Utc(after));
  return next ? FormatUtcIso8601(*next) : "none";
}

std::string ParseError(const std::string& text) {
  auto c = ParseCron(text);
  return c.ok() ? "parsed" : c.status().message();
}

template <size_t N>
std::string Bits(const std::bitset<N>& b) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (b[i]) out += (out.empty() ? "" : ",") + std::to_string(i);
  }
  return out;
}

TEST(ParseCronTest, StarsListsRangesAndSteps) {
  CronExpression c = Cron("*/15 0,12 1-30/5 * *");
  EXPECT_EQ(Bits(c.minutes), "0,15,30,45");
  EXPECT_EQ(Bits(c.hours), "0,12");
  EXPECT_EQ(Bits(c.days_of_month), "1,6,11,16,21,26");
  EXPECT_EQ(Bits(c.months), "1,2,3,4,5,6,7,8,9,10,11,12");
  EXPECT_EQ(Bits(c.days_of_week), "0,1,2,3,4,5,6");
  EXPECT_TRUE(c.wildcard);
  EXPECT_FALSE(c.day_of_month_star);
  EXPECT_TRUE(c.day_of_week_star);
}

TEST(ParseCronTest, MonthAndDayNamesAreCaseInsensitiveAlsoInRanges) {
  CronExpression c = Cron("0 6 * jan,Mar-MAY mon-fri");
  EXPECT_EQ(Bits(c.months), "1,3,4,5");
  EXPECT_EQ(Bits(c.days_of_week), "1,2,3,4,5");
  EXPECT_FALSE(c.wildcard);
}

TEST(ParseCronTest, DayOfWeekSevenIsSunday) {
  EXPECT_EQ(Bits(Cron("0 0 * * 7").days_of_week), "0");
  EXPECT_EQ(Bits(Cron("0 0 * * 5-7").days_of_week), "0,5,6");
  EXPECT_EQ(Bits(Cron("0 0 * * SUN").days_of_week), "0");
}

TEST(ParseCronTest, MacrosExpandAsVixieCron) {
  struct Case {
    const char* macro;
    const char* minutes;
    const char* hours;
    const char* doms;
    const char* months;
    const char* dows;
  };
  const std::string all_doms = Bits(Cron("* * * * *").days_of_month);
  const std::string all_months = "1,2,3,4,5,6,7,8,9,10,11,12", all_dows = "0,1,2,3,4,5,6";
  for (const char* m : {"@yearly", "@annually"}) {
    CronExpression c = Cron(m);
    EXPECT_EQ(Bits(c.minutes) + " " + Bits(c.hours) + " " + Bits(c.days_of_month) + " " + Bits(c.months), "0 0 1 1")
        << m;
  }
  CronExpression monthly = Cron("@monthly");
  EXPECT_EQ(Bits(monthly.days_of_month), "1");
  EXPECT_EQ(Bits(monthly.months), all_months);
  CronExpression weekly = Cron("@WEEKLY");
  EXPECT_EQ(Bits(weekly.days_of_month), all_doms);
  EXPECT_EQ(Bits(weekly.days_of_week), "0");
  for (const char* m : {"@daily", "@midnight"}) {
    CronExpression c = Cron(m);
    EXPECT_EQ(Bits(c.minutes) + " " + Bits(c.hours), "0 0") << m;
    EXPECT_EQ(Bits(c.days_of_week), all_dows) << m;
  }
  CronExpression hourly = Cron("@hourly");
  EXPECT_EQ(Bits(hourly.minutes), "0");
  EXPECT_EQ(hourly.hours.count(), 24u);
  EXPECT_TRUE(hourly.wildcard);
  EXPECT_EQ(Cron("  @daily ").text, "@daily");
}

TEST(ParseCronTest, ErrorsNameTheFieldAndTheText) {
  EXPECT_EQ(ParseError("0 24 * * *"), "cron: hour: 24 is out of range 0-23 in \"0 24 * * *\"");
  EXPECT_EQ(ParseError("60 * * * *"), "cron: minute: 60 is out of range 0-59 in \"60 * * * *\"");
  EXPECT_EQ(ParseError("0 0 0 * *"), "cron: day-of-month: 0 is out of range 1-31 in \"0 0 0 * *\"");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "cron: month: 13 is out of range 1-12 in \"0 0 * 13 *\"");
  EXPECT_EQ(ParseError("0 0 * * 8"), "cron: day-of-week: 8 is out of range 0-7 in \"0 0 * * 8\"");
  EXPECT_EQ(ParseError("0 0 * FOO *"),
            "cron: month: \"FOO\" is not a number or a month name (JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, "
            "OCT, NOV, DEC) in \"0 0 * FOO *\"");
  EXPECT_EQ(ParseError("0 0 * * MON-"), "cron: day-of-week: a value is missing in \"0 0 * * MON-\"");
  EXPECT_EQ(ParseError("x * * * *"), "cron: minute: \"x\" is not a number in \"x * * * *\"");
  EXPECT_EQ(ParseError("1x * * * *"), "cron: minute: \"1x\" is not a number in \"1x * * * *\"");
  EXPECT_EQ(ParseError("30-10 * * * *"), "cron: minute: range 30-10 is backwards in \"30-10 * * * *\"");
  EXPECT_EQ(ParseError("*/0 * * * *"), "cron: minute: */0: the step must be at least 1 in \"*/0 * * * *\"");
  EXPECT_EQ(ParseError("5/10 * * * *"),
            "cron: minute: 5/10: a step needs * or a range before the / in \"5/10 * * * *\"");
  EXPECT_EQ(ParseError("*/x * * * *"), "cron: minute: */x: the step \"x\" is not a number in \"*/x * * * *\"");
  EXPECT_EQ(ParseError("1,,2 * * * *"), "cron: minute: empty list item in \"1,,2 * * * *\"");
  EXPECT_EQ(ParseError("0 0 * *"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4 in \"0 0 * *\"");
  EXPECT_EQ(ParseError("0 0 * * * /bin/true"),
            "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 6 in \"0 0 * * * /bin/true\"");
  EXPECT_EQ(ParseError("  "), "cron: the expression is empty");
  EXPECT_EQ(ParseError("@fortnightly"),
            "cron: unknown macro \"@fortnightly\" (@yearly, @annually, @monthly, @weekly, @daily, @midnight, "
            "@hourly)");
  EXPECT_EQ(ParseError("@reboot"),
            "cron: unknown macro \"@reboot\" (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
  EXPECT_EQ(ParseError("0 0 30 2 *"), "cron: day-of-month: 30 never occurs in month 2 in \"0 0 30 2 *\"");
  EXPECT_EQ(ParseError("0 0 31 apr,jun *"),
            "cron: day-of-month: 31 never occurs in month apr,jun in \"0 0 31 apr,jun *\"");
  // Under the OR rule a Monday of February comes even though February 30 never does.
  EXPECT_EQ(ParseError("0 0 30 2 mon"), "parsed");
}

TEST(LoadTimeZoneTest, KnowsIanaNamesAndUtc) {
  EXPECT_EQ(Zone("UTC").name(), "UTC");
  EXPECT_EQ(Zone("Europe/Berlin").name(), "Europe/Berlin");
  EXPECT_EQ(Zone("America/New_York").name(), "America/New_York");
}

TEST(LoadTimeZoneTest, AnUnknownNameIsAnErrorNamingIt) {
  for (const char* name : {"Mars/Base", "", "localtime", "/etc/localtime", "../zoneinfo/UTC", "Europe/", "Europe"}) {
    auto z = LoadTimeZone(name);
    ASSERT_FALSE(z.ok()) << name;
    EXPECT_EQ(z.status().message(), "unknown time zone \"" + std::string(name) + "\"");
  }
}

TEST(FormatTest, UtcAndLocalIso8601) {
  EXPECT_EQ(FormatUtcIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcIso8601(Utc("2026-03-29T01:00:00Z") + 5), "2026-03-29T01:00:00.005Z");
  EXPECT_EQ(FormatLocalIso8601(Utc("2026-03-29T01:00:00Z"), Zone("Europe/Berlin")), "2026-03-29T03:00:00+02:00");
  EXPECT_EQ(FormatLocalIso8601(Utc("2026-03-29T00:59:00Z"), Zone("Europe/Berlin")), "2026-03-29T01:59:00+01:00");
}

TEST(NextFireTest, IsStrictlyAfterTheGivenInstant) {
  EXPECT_EQ(Next("*/15 * * * *", "UTC", "2026-01-01T00:07:30Z"), "2026-01-01T00:15:00.000Z");
  EXPECT_EQ(Next("*/15 * * * *", "UTC", "2026-01-01T00:15:00Z"), "2026-01-01T00:30:00.000Z");
  EXPECT_EQ(Next("*/15 * * * *", "UTC", "2026-01-01T23:45:00Z"), "2026-01-02T00:00:00.000Z");
  EXPECT_EQ(NextFireMs(Cron("*/15 * * * *"), Zone("UTC"), Utc("2026-01-01T00:15:00Z") - 1),
            Utc("2026-01-01T00:15:00Z"));
  EXPECT_EQ(Next("@yearly", "UTC", "2026-06-01T00:00:00Z"), "2027-01-01T00:00:00.000Z");
}

TEST(NextFireTest, TheScheduleIsLocalTimeInItsZone) {
  // 02:00 in Berlin in winter (CET, UTC+1) and in New York in summer (EDT, UTC-4).
  EXPECT_EQ(Next("0 2 * * *", "Europe/Berlin", "2026-01-10T12:00:00Z"), "2026-01-11T01:00:00.000Z");
  EXPECT_EQ(Next("0 2 * * *", "America/New_York", "2026-07-10T12:00:00Z"), "2026-07-11T06:00:00.000Z");
}

TEST(NextFireTest, February29) {
  EXPECT_EQ(Next("0 12 29 2 *", "UTC", "2026-01-01T00:00:00Z"), "2028-02-29T12:00:00.000Z");
  EXPECT_EQ(Next("0 12 29 2 *", "UTC", "2028-02-29T12:00:00Z"), "2032-02-29T12:00:00.000Z");
  // 2100 is not a leap year.
  EXPECT_EQ(Next("0 12 29 2 *", "UTC", "2096-03-01T00:00:00Z"), "2104-02-29T12:00:00.000Z");
}

TEST(NextFireTest, BothDayFieldsRestrictedMeansEither) {
  // The 13th or any Friday. February 2026: Friday 6th, Friday 13th, Friday 20th.
  EXPECT_EQ(Next("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z"), "2026-02-06T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * 5", "UTC", "2026-02-06T00:00:00Z"), "2026-02-13T00:00:00.000Z");
  // April 2026: Friday 10th, Monday 13th, Friday 17th.
  EXPECT_EQ(Next("0 0 13 * fri", "UTC", "2026-04-10T00:00:00Z"), "2026-04-13T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * fri", "UTC", "2026-04-13T00:00:00Z"), "2026-04-17T00:00:00.000Z");
}

TEST(NextFireTest, ADayFieldStartingWithStarMeansBoth) {
  // `*/5` in day-of-week is Sunday and Friday, but it starts with `*`: the 13th when it is one.
  EXPECT_EQ(Next("0 0 13 * */5", "UTC", "2026-03-01T00:00:00Z"), "2026-03-13T00:00:00.000Z");  // Friday
  EXPECT_EQ(Next("0 0 13 * */5", "UTC", "2026-03-13T00:00:00Z"), "2026-09-13T00:00:00.000Z");  // Sunday
  // Only the day of week restricted: every Monday.
  EXPECT_EQ(Next("0 0 * * 1", "UTC", "2026-04-10T00:00:00Z"), "2026-04-13T00:00:00.000Z");
}

// In UTC (no changes) the next fire is the first minute after `after` whose fields match: a
// minute-by-minute scan over gmtime_r's fields agrees for 20 chained fires of each expression.
TEST(NextFireTest, AgreesWithAMinuteByMinuteScanInUtc) {
  auto matches = [](const CronExpression& c, int64_t minute) {
    const std::time_t t = static_cast<std::time_t>(minute * 60);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const bool dom = c.days_of_month[static_cast<size_t>(tm.tm_mday)];
    const bool dow = c.days_of_week[static_cast<size_t>(tm.tm_wday)];
    const bool day = (c.day_of_month_star || c.day_of_week_star) ? (dom && dow) : (dom || dow);
    return c.minutes[static_cast<size_t>(tm.tm_min)] && c.hours[static_cast<size_t>(tm.tm_hour)] &&
           c.months[static_cast<size_t>(tm.tm_mon + 1)] && day;
  };
  const TimeZone utc = Zone("UTC");
  for (const char* text : {"* * * * *", "*/7 * * * *", "0 9-17/2 * * mon-fri", "15 3 1,15 * sun", "0 0 13 * 5",
                           "59 23 31 * *", "0 12 * feb,aug */3", "@weekly", "5-10/2 1 * jan-mar 0"}) {
    const CronExpression c = Cron(text);
    int64_t after = Utc("2026-12-30T22:17:30Z");
    for (int i = 0; i < 20; ++i) {
      int64_t minute = after / 60000 + 1;
      while (!matches(c, minute)) ++minute;  // every expression here matches within a year
      const std::optional<int64_t> next = NextFireMs(c, utc, after);
      ASSERT_EQ(next, minute * 60000) << text << " after " << FormatUtcIso8601(after);
      after = *next;
    }
  }
}

// Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:00-02:59 does not exist.
TEST(NextFireTest, BerlinSpringForwardFiresASkippedFixedTimeOnceAtTheChange) {
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z"), "2026-03-30T00:30:00.000Z");
  // Two skipped times are one fire.
  EXPECT_EQ(Next("0,30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(Next("0,30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z"), "2026-03-30T00:00:00.000Z");
  // 03:00 itself exists (CEST) and fires once.
  EXPECT_EQ(Next("0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"), "2026-03-29T01:00:00.000Z");
}

TEST(NextFireTest, BerlinSpringForwardSchedulesAWildcardExpressionNormally) {
  // `30 *` runs hourly: 01:30 CET, then 03:30 CEST (an hour later); 02:30 does not fire.
  EXPECT_EQ(Next("30 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z"), "2026-03-29T01:30:00.000Z");
  EXPECT_EQ(Next("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z"), "2026-03-29T01:00:00.000Z");
}

// Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:00-02:59 happens twice.
TEST(NextFireTest, BerlinFallBackFiresARepeatedFixedTimeOnceTheFirstTime) {
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00.000Z");
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"), "2026-10-26T01:30:00.000Z");
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-25T01:00:00Z"), "2026-10-26T01:30:00.000Z");
}

TEST(NextFireTest, BerlinFallBackFiresAWildcardExpressionAtBothOccurrences) {
  EXPECT_EQ(Next("30 * * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"), "2026-10-25T01:30:00.000Z");
  EXPECT_EQ(Next("30 * * * *", "Europe/Berlin", "2026-10-25T01:30:00Z"), "2026-10-25T02:30:00.000Z");
}

// New York, 8 March 2026: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
TEST(NextFireTest, NewYorkSpringForward) {
  EXPECT_EQ(Next("0 2 * * *", "America/New_York", "2026-03-07T12:00:00Z"), "2026-03-08T07:00:00.000Z");
  EXPECT_EQ(Next("0 2 * * *", "America/New_York", "2026-03-08T07:00:00Z"), "2026-03-09T06:00:00.000Z");
  EXPECT_EQ(Next("15 2 * * sun", "America/New_York", "2026-03-02T00:00:00Z"), "2026-03-08T07:00:00.000Z");
}

// New York, 1 November 2026: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:00-01:59 happens twice.
TEST(NextFireTest, NewYorkFallBack) {
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z"), "2026-11-01T05:30:00.000Z");
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z"), "2026-11-02T06:30:00.000Z");
  EXPECT_EQ(Next("30 * * * *", "America/New_York", "2026-11-01T05:30:00Z"), "2026-11-01T06:30:00.000Z");
  // From inside the first 01:xx hour, a wildcard expression's next is in the second one.
  EXPECT_EQ(Next("*/15 * * * *", "America/New_York", "2026-11-01T05:50:00Z"), "2026-11-01T06:00:00.000Z");
}

}  // namespace
}  // namespace barrage
