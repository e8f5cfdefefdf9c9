// Java date-time patterns and durations, as __time and __timeShift use them.
//
// JMeter 5.5+ formats with java.time.format.DateTimeFormatter (it used SimpleDateFormat
// before; most letters mean the same, see the user manual's note on __time). This module
// implements DateTimeFormatter's pattern letters with the English (US) locale:
//   G u y Y D M L d Q q w W E e c a h K k H m s S A n N z Z X x O, 'quoted text', '' and
//   the optional-section brackets [ ] (always printed when formatting).
// Compile rejects what DateTimeFormatter rejects for these letters (unknown letters, too
// many letters) and the letters not implemented (V v B g F p # { }), naming them.
//
// Thread-safe: a compiled pattern is immutable.
#ifndef BARRAGE_COMMON_JAVA_TIME_FORMAT_H_
#define BARRAGE_COMMON_JAVA_TIME_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace barrage {

// An instant as seen in one zone.
struct ZonedTime {
  int64_t epoch_seconds = 0;
  int32_t nanos = 0;           // 0..999,999,999
  int32_t offset_seconds = 0;  // local time = UTC + offset
  // Short zone name for 'z' ("CET", "UTC"); null for a fixed offset, which 'z' prints as
  // its offset id ("+01:00", "Z") the way java.time prints a ZoneOffset.
  const char* zone_abbreviation = nullptr;

  int64_t epoch_millis() const { return epoch_seconds * 1000 + nanos / 1000000; }
};

// The instant `epoch_millis` in the system's time zone (TZ, /etc/localtime).
ZonedTime LocalZonedTime(int64_t epoch_millis);
// The instant `epoch_millis` at a fixed UTC offset.
ZonedTime FixedOffsetTime(int64_t epoch_millis, int32_t offset_seconds);
// The calendar year of `t` in its zone.
int64_t YearOf(const ZonedTime& t);

// What Parse found. Fields the text does not give are defaulted the way JMeter's
// __timeShift builds its formatter (parseDefaulting): day and month 1, time 0, the current
// year, and the offset passed in.
struct ParsedDateTime {
  int64_t epoch_millis = 0;
  int32_t offset_seconds = 0;               // the offset to print with (the text's, or the default)
  const char* zone_abbreviation = nullptr;  // "UTC"/"GMT" when the text named the zone
};

class DateTimePattern {
 public:
  // Compiles a DateTimeFormatter pattern. The error names the offending letter.
  static Result<DateTimePattern> Compile(std::string_view pattern);

  // Appends `t` formatted with this pattern.
  void Format(const ZonedTime& t, std::string* out) const;
  std::string Format(const ZonedTime& t) const {
    std::string s;
    Format(t, &s);
    return s;
  }

  // Parses the whole of `text` (DateTimeFormatter's SMART resolver: a day past the end of
  // its month is clamped to the last day). nullopt when `text` does not match.
  std::optional<ParsedDateTime> Parse(std::string_view text, int64_t default_year,
                                      int32_t default_offset_seconds) const;

  struct Item {
    char letter = 0;  // 0 for literal text
    int count = 0;
    std::string text;  // the literal
  };

 private:
  std::vector<Item> items_;
};

// java.time.Duration.parse: `[-+]PnDTnHnMn.nS` (case-insensitive, each number may be
// signed, seconds may have up to 9 fraction digits). Returns nanoseconds, nullopt when
// the text is not a duration (e.g. "P1M": months are not a Duration).
std::optional<int64_t> ParseJavaDuration(std::string_view text);

}  // namespace barrage

#endif  // BARRAGE_COMMON_JAVA_TIME_FORMAT_H_
