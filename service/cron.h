// Cron expressions and time zones for `barrage serve`'s schedules (issue 13).
//
// The language is crontab(5)'s five fields, as Vixie cron and cronie parse them:
//   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12, JAN-DEC)  day-of-week (0-7, SUN-SAT)
// Each field is a comma-separated list of `*`, `N`, `N-M`, each optionally `/step` after `*`
// or a range (`*/15`, `1-30/5`); names (three letters, case-insensitive) work in the month and
// day-of-week fields, also as range ends (`MON-FRI`); day-of-week 0 and 7 are both Sunday.
// When both day fields are restricted (neither starts with `*`), a day matches when EITHER
// matches (`0 0 1,15 * MON`: the 1st, the 15th and every Monday); otherwise both must.
// Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *", @weekly = "0 0 * * 0",
// @daily = @midnight = "0 0 * * *", @hourly = "0 * * * *". (@reboot has no meaning here.)
//
// Time zones are IANA names ("Europe/Berlin") read from the system's tz database through
// libcctz. A schedule's times are local civil times in its zone; NextFireMs() says which
// instant a match is, with cronie's rule for daylight-saving changes (see NextFireMs).
//
// Thread-safety: the types are values; every function is safe to call from any thread.
#ifndef BARRAGE_SERVICE_CRON_H_
#define BARRAGE_SERVICE_CRON_H_

#include <cctz/time_zone.h>

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

struct CronExpression {
  std::string text;               // as written (trimmed)
  std::bitset<60> minutes;        // 0-59
  std::bitset<24> hours;          // 0-23
  std::bitset<32> days_of_month;  // 1-31 (bit 0 unused)
  std::bitset<13> months;         // 1-12 (bit 0 unused)
  std::bitset<7> days_of_week;    // 0-6, Sunday = 0 (7 is folded into 0)
  // The field started with `*` (cronie's DOM_STAR / DOW_STAR): then the day fields are
  // ANDed instead of ORed.
  bool day_of_month_star = false;
  bool day_of_week_star = false;
  // The minute or the hour field started with `*` (cronie's MIN_STAR | HR_STAR): a job
  // that runs at least hourly, which cronie schedules "normally" across DST changes.
  bool wildcard = false;
};

// Parses a five-field expression or a macro. Errors are InvalidArgument naming the field
// and the text, e.g. `cron: hour: 24 is out of range 0-23 in "0 24 * * *"`. An expression
// that can never match (`0 0 30 2 *`) is an error too.
Result<CronExpression> ParseCron(std::string_view text);

// An IANA time zone. Cheap to copy.
class TimeZone {
 public:
  const std::string& name() const { return name_; }
  const cctz::time_zone& zone() const { return zone_; }

 private:
  friend Result<TimeZone> LoadTimeZone(std::string_view iana_name);
  std::string name_;
  cctz::time_zone zone_;
};

// Loads `iana_name` from the tz database ("UTC" always works, even without one).
// InvalidArgument `unknown time zone "Mars/Base"` for a name the database does not have,
// and for names that are not zone names (empty, "localtime", absolute or ".." paths).
Result<TimeZone> LoadTimeZone(std::string_view iana_name);

// The first instant (epoch ms, whole minutes) strictly after `after_ms` at which `cron`
// fires in `zone`, or nullopt when there is none within 400 years (a whole Gregorian
// cycle: a match that does not come within it never comes).
//
// Daylight-saving changes follow cronie (cron(8), "Daylight Saving Time and other time
// changes"; src/cron.c find_jobs: doNonWild / doWild, MIN_STAR | HR_STAR):
// - a fixed-time expression (neither minute nor hour starts with `*`): a local time skipped
//   by a spring-forward change fires once at the instant of the change (two skipped matches
//   are one fire); a local time repeated by a fall-back change fires once, at its first
//   occurrence;
// - an expression whose minute or hour starts with `*` (runs at least hourly) is scheduled
//   normally: skipped local times do not fire, repeated ones fire at both occurrences.
std::optional<int64_t> NextFireMs(const CronExpression& cron, const TimeZone& zone, int64_t after_ms);

// "2026-03-29T01:00:00.000Z".
std::string FormatUtcIso8601(int64_t epoch_ms);
// "2026-03-29T03:00:00+02:00", the local time in `zone` with its offset.
std::string FormatLocalIso8601(int64_t epoch_ms, const TimeZone& zone);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_CRON_H_
