#include "common/java_time_format.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>

namespace barrage {
namespace {

constexpr const char* kMonthNames[12] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
// Monday first, as java.time.DayOfWeek.
constexpr const char* kDayNames[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kQuarterNames[4] = {"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

int64_t DaysFromCivil(int64_t y, int m, int d) {
  using namespace std::chrono;
  return sys_days(
             year_month_day(year(static_cast<int>(y)), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))))
      .time_since_epoch()
      .count();
}

Civil CivilFromDays(int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days(std::chrono::days(days))};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday).
int IsoDayOfWeek(int64_t epoch_day) { return static_cast<int>(((epoch_day + 3) % 7 + 7) % 7); }
// 0 = Sunday .. 6 = Saturday: the US week, which Locale.US's WeekFields use.
int UsDayOfWeek(int64_t epoch_day) { return (IsoDayOfWeek(epoch_day) + 1) % 7; }

void AppendPadded(int64_t value, int width, std::string* out) {
  char buf[24];
  bool negative = value < 0;
  uint64_t v = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (negative) out->push_back('-');
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

// "+HH:MM" / "+HHMM" / "+HH" (with seconds when not zero), as java.time offset printers.
void AppendOffset(int32_t offset, bool colon, bool minutes_always, bool seconds_allowed, std::string* out) {
  out->push_back(offset < 0 ? '-' : '+');
  int32_t a = offset < 0 ? -offset : offset;
  int h = a / 3600, m = a / 60 % 60, s = a % 60;
  AppendPadded(h, 2, out);
  if (minutes_always || m != 0 || (seconds_allowed && s != 0)) {
    if (colon) out->push_back(':');
    AppendPadded(m, 2, out);
  }
  if (seconds_allowed && s != 0) {
    if (colon) out->push_back(':');
    AppendPadded(s, 2, out);
  }
}

// "GMT", "GMT+1", "GMT+5:30", or with `full` "GMT+01:00" (localized offset, 'O' and 'ZZZZ').
void AppendGmtOffset(int32_t offset, bool full, std::string* out) {
  out->append("GMT");
  if (offset == 0) return;
  out->push_back(offset < 0 ? '-' : '+');
  int32_t a = offset < 0 ? -offset : offset;
  int h = a / 3600, m = a / 60 % 60, s = a % 60;
  if (full) {
    AppendPadded(h, 2, out);
    out->push_back(':');
    AppendPadded(m, 2, out);
  } else {
    AppendPadded(h, 1, out);
    if (m != 0 || s != 0) {
      out->push_back(':');
      AppendPadded(m, 2, out);
    }
  }
  if (s != 0) {
    out->push_back(':');
    AppendPadded(s, 2, out);
  }
}

void AppendText(const char* full, int count, std::string* out) {
  if (count == 4) {
    out->append(full);
  } else if (count == 5) {
    out->push_back(full[0]);
  } else {
    out->append(full, 3);
  }
}

// The week-based year and week of it, with Locale.US rules (weeks start on Sunday, week 1
// is the one holding January 1st).
void UsWeekOfYear(int64_t epoch_day, int64_t* week_year, int* week) {
  int64_t week_start = epoch_day - UsDayOfWeek(epoch_day);
  int64_t y = CivilFromDays(week_start + 6).year;
  int64_t jan1 = DaysFromCivil(y, 1, 1);
  int64_t week1_start = jan1 - UsDayOfWeek(jan1);
  *week_year = y;
  *week = static_cast<int>((week_start - week1_start) / 7 + 1);
}

// How many times a pattern letter may repeat; 0 for letters DateTimeFormatter does not know.
int MaxLetters(char c) {
  static constexpr std::pair<std::string_view, int> kRules[] = {
      {"WFa", 1}, {"dwhKkHms", 2}, {"D", 3}, {"zO", 4}, {"GMLQqEecZXx", 5}, {"S", 9}, {"uyYAnNg", 19},
  };
  for (const auto& [letters, max] : kRules) {
    if (letters.find(c) != std::string_view::npos) return max;
  }
  return 0;
}

bool IsNumericItem(const DateTimePattern::Item& item) {
  switch (item.letter) {
    case 'y':
    case 'u':
    case 'd':
    case 'H':
    case 'm':
    case 's':
    case 'S':
    case 'h':
    case 'K':
    case 'k': return true;
    case 'M':
    case 'L': return item.count <= 2;
    default: return false;
  }
}

// Fixed width of a numeric item when parsing, 0 when it is variable.
int FixedWidth(const DateTimePattern::Item& item) {
  if (item.letter == 'S') return item.count;
  if (item.letter == 'y' || item.letter == 'u') return item.count == 2 ? 2 : 0;
  return item.count >= 2 ? item.count : 0;
}

bool MatchPrefix(std::string_view text, size_t pos, std::string_view word) {
  return text.size() - pos >= word.size() && text.compare(pos, word.size(), word) == 0;
}

// Matches one of the names (full, or their first three letters) at `pos`.
int MatchName(std::string_view text, size_t* pos, const char* const* names, int n, int count) {
  for (int i = 0; i < n; ++i) {
    std::string_view name = names[i];
    if (count != 4) name = name.substr(0, 3);
    if (MatchPrefix(text, *pos, name)) {
      *pos += name.size();
      return i;
    }
  }
  return -1;
}

// Parses an offset at `pos` in the style of the item; sets *offset.
bool ParseOffset(const DateTimePattern::Item& item, std::string_view text, size_t* pos, int32_t* offset) {
  size_t p = *pos;
  char l = item.letter;
  int c = item.count;
  bool gmt_prefix = l == 'O' || (l == 'Z' && c == 4);
  if (gmt_prefix) {
    if (!MatchPrefix(text, p, "GMT")) return false;
    p += 3;
    if (p >= text.size() || (text[p] != '+' && text[p] != '-')) {
      *offset = 0;
      *pos = p;
      return true;
    }
  } else if ((l == 'X' || (l == 'Z' && c == 5)) && p < text.size() && text[p] == 'Z') {
    *offset = 0;
    *pos = p + 1;
    return true;
  }
  if (p >= text.size() || (text[p] != '+' && text[p] != '-')) return false;
  int sign = text[p] == '-' ? -1 : 1;
  ++p;
  auto digits = [&](int n, int* v) {
    if (text.size() - p < static_cast<size_t>(n)) return false;
    *v = 0;
    for (int i = 0; i < n; ++i) {
      char ch = text[p + i];
      if (ch < '0' || ch > '9') return false;
      *v = *v * 10 + (ch - '0');
    }
    p += n;
    return true;
  };
  int h = 0, m = 0;
  bool colon = (l == 'X' || l == 'x') ? (c == 3 || c == 5) : (l == 'Z' ? c >= 4 : true);
  if (l == 'O' && c == 1) {
    // "GMT+1", "GMT+5:30": one or two hour digits.
    if (!digits(1, &h)) return false;
    int h2;
    if (p < text.size() && text[p] >= '0' && text[p] <= '9' && digits(1, &h2)) h = h * 10 + h2;
    if (p < text.size() && text[p] == ':') {
      ++p;
      if (!digits(2, &m)) return false;
    }
  } else {
    if (!digits(2, &h)) return false;
    bool minutes_optional = (l == 'X' || l == 'x') && c == 1;
    if (colon) {
      if (p < text.size() && text[p] == ':') {
        ++p;
        if (!digits(2, &m)) return false;
      } else if (!minutes_optional) {
        return false;
      }
    } else if (!digits(2, &m) && !minutes_optional) {
      return false;
    }
  }
  if (h > 18 || m > 59) return false;
  *offset = sign * (h * 3600 + m * 60);
  *pos = p;
  return true;
}

}  // namespace

ZonedTime LocalZonedTime(int64_t epoch_millis) {
  ZonedTime t;
  t.epoch_seconds = FloorDiv(epoch_millis, 1000);
  t.nanos = static_cast<int32_t>((epoch_millis - t.epoch_seconds * 1000) * 1000000);
  time_t secs = static_cast<time_t>(t.epoch_seconds);
  struct tm tm {};
  if (localtime_r(&secs, &tm) != nullptr) {
    t.offset_seconds = static_cast<int32_t>(tm.tm_gmtoff);
    t.zone_abbreviation = tm.tm_zone;  // static storage owned by the C library
  } else {
    t.zone_abbreviation = "UTC";
  }
  return t;
}

ZonedTime FixedOffsetTime(int64_t epoch_millis, int32_t offset_seconds) {
  ZonedTime t;
  t.epoch_seconds = FloorDiv(epoch_millis, 1000);
  t.nanos = static_cast<int32_t>((epoch_millis - t.epoch_seconds * 1000) * 1000000);
  t.offset_seconds = offset_seconds;
  return t;
}

int64_t YearOf(const ZonedTime& t) { return CivilFromDays(FloorDiv(t.epoch_seconds + t.offset_seconds, 86400)).year; }

Result<DateTimePattern> DateTimePattern::Compile(std::string_view pattern) {
  DateTimePattern p;
  auto add_literal = [&](std::string_view s) {
    if (!p.items_.empty() && p.items_.back().letter == 0) {
      p.items_.back().text.append(s);
    } else {
      p.items_.push_back({0, 0, std::string(s)});
    }
  };
  int optional_depth = 0;
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      size_t j = i;
      while (j < pattern.size() && pattern[j] == c) ++j;
      int count = static_cast<int>(j - i);
      i = j;
      std::string letter(1, c);
      if (std::string_view("VvBp").find(c) != std::string_view::npos) {
        return Status::Unsupported("pattern letter '" + letter + "' is not supported");
      }
      int max = MaxLetters(c);
      if (max == 0) return Status::InvalidArgument("Unknown pattern letter: " + letter);
      // DateTimeFormatterBuilder's own messages for these.
      if (c == 'c' && count == 2) return Status::InvalidArgument("Invalid pattern \"cc\"");
      if (c == 'O' && count != 1 && count != 4) {
        return Status::InvalidArgument("Pattern letter count must be 1 or 4: O");
      }
      if (max == 19 && count > 19) {
        return Status::InvalidArgument("The minimum width must be from 1 to 19 inclusive but was " +
                                       std::to_string(count));
      }
      if (c == 'S' && count > 9) {
        return Status::InvalidArgument("Minimum width must be from 0 to 9 inclusive but was " + std::to_string(count));
      }
      if (count > max) return Status::InvalidArgument("Too many pattern letters: " + letter);
      p.items_.push_back({c, count, {}});
      continue;
    }
    if (c == '\'') {
      size_t j = i + 1;
      std::string text;
      bool closed = false;
      while (j < pattern.size()) {
        if (pattern[j] == '\'') {
          if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
            text.push_back('\'');
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        text.push_back(pattern[j++]);
      }
      if (!closed) {
        return Status::InvalidArgument("Pattern ends with an incomplete string literal: " + std::string(pattern));
      }
      // '' alone is a quote.
      add_literal(j == i + 1 ? std::string_view("'") : std::string_view(text));
      i = j + 1;
      continue;
    }
    if (c == '[') {
      ++optional_depth;
      ++i;
      continue;
    }
    if (c == ']') {
      if (optional_depth == 0) {
        return Status::InvalidArgument("Pattern invalid as it contains ] without previous [");
      }
      --optional_depth;
      ++i;
      continue;
    }
    if (c == '#' || c == '{' || c == '}') {
      return Status::InvalidArgument(std::string("Pattern includes reserved character: '") + c + "'");
    }
    add_literal(pattern.substr(i, 1));
    ++i;
  }
  return p;
}

void DateTimePattern::Format(const ZonedTime& t, std::string* out) const {
  int64_t local = t.epoch_seconds + t.offset_seconds;
  int64_t epoch_day = FloorDiv(local, 86400);
  int64_t second_of_day = local - epoch_day * 86400;
  Civil civil = CivilFromDays(epoch_day);
  int hour = static_cast<int>(second_of_day / 3600);
  int minute = static_cast<int>(second_of_day / 60 % 60);
  int second = static_cast<int>(second_of_day % 60);
  for (const Item& item : items_) {
    int n = item.count;
    switch (item.letter) {
      case 0: out->append(item.text); break;
      case 'G':
        if (n == 4) {
          out->append(civil.year > 0 ? "Anno Domini" : "Before Christ");
        } else if (n == 5) {
          out->push_back(civil.year > 0 ? 'A' : 'B');
        } else {
          out->append(civil.year > 0 ? "AD" : "BC");
        }
        break;
      case 'y':
      case 'u':
      case 'Y': {
        int64_t y = civil.year;
        if (item.letter == 'y' && y <= 0) y = 1 - y;  // year of era
        if (item.letter == 'Y') {
          int week;
          UsWeekOfYear(epoch_day, &y, &week);
        }
        if (n == 2) {
          AppendPadded(((y % 100) + 100) % 100, 2, out);
        } else {
          AppendPadded(y, n, out);
        }
        break;
      }
      case 'D': AppendPadded(epoch_day - DaysFromCivil(civil.year, 1, 1) + 1, n, out); break;
      case 'M':
      case 'L':
        if (n <= 2) {
          AppendPadded(civil.month, n, out);
        } else {
          AppendText(kMonthNames[civil.month - 1], n, out);
        }
        break;
      case 'd': AppendPadded(civil.day, n, out); break;
      case 'Q':
      case 'q': {
        int q = (civil.month - 1) / 3 + 1;
        if (n <= 2 || n == 5) {
          AppendPadded(q, n == 5 ? 1 : n, out);
        } else if (n == 3) {
          out->push_back('Q');
          AppendPadded(q, 1, out);
        } else {
          out->append(kQuarterNames[q - 1]);
        }
        break;
      }
      case 'w': {
        int64_t y;
        int week;
        UsWeekOfYear(epoch_day, &y, &week);
        AppendPadded(week, n, out);
        break;
      }
      case 'W': {
        int64_t first = DaysFromCivil(civil.year, civil.month, 1);
        AppendPadded((civil.day - 1 + UsDayOfWeek(first)) / 7 + 1, n, out);
        break;
      }
      case 'E': AppendText(kDayNames[IsoDayOfWeek(epoch_day)], n, out); break;
      case 'e':
      case 'c':
        if (n <= 2) {
          AppendPadded(UsDayOfWeek(epoch_day) + 1, n, out);
        } else {
          AppendText(kDayNames[IsoDayOfWeek(epoch_day)], n, out);
        }
        break;
      case 'F':  // Java 17 maps 'F' to ALIGNED_DAY_OF_WEEK_IN_MONTH
        AppendPadded((civil.day - 1) % 7 + 1, n, out);
        break;
      case 'g': AppendPadded(epoch_day + 40587, n, out); break;
      case 'a': out->append(hour < 12 ? "AM" : "PM"); break;
      case 'h': AppendPadded(hour % 12 == 0 ? 12 : hour % 12, n, out); break;
      case 'K': AppendPadded(hour % 12, n, out); break;
      case 'k': AppendPadded(hour == 0 ? 24 : hour, n, out); break;
      case 'H': AppendPadded(hour, n, out); break;
      case 'm': AppendPadded(minute, n, out); break;
      case 's': AppendPadded(second, n, out); break;
      case 'S': {
        char digits[10];
        int32_t v = t.nanos;
        for (int i = 8; i >= 0; --i) {
          digits[i] = static_cast<char>('0' + v % 10);
          v /= 10;
        }
        out->append(digits, static_cast<size_t>(n));
        break;
      }
      case 'A': AppendPadded(second_of_day * 1000 + t.nanos / 1000000, n, out); break;
      case 'n': AppendPadded(t.nanos, n, out); break;
      case 'N': AppendPadded(second_of_day * 1000000000 + t.nanos, n, out); break;
      case 'z':
        if (t.zone_abbreviation != nullptr) {
          out->append(t.zone_abbreviation);
        } else if (t.offset_seconds == 0) {
          out->push_back('Z');
        } else {
          AppendOffset(t.offset_seconds, true, true, true, out);
        }
        break;
      case 'Z':
        if (n <= 3) {
          AppendOffset(t.offset_seconds, false, true, false, out);
        } else if (n == 4) {
          AppendGmtOffset(t.offset_seconds, true, out);
        } else if (t.offset_seconds == 0) {
          out->push_back('Z');
        } else {
          AppendOffset(t.offset_seconds, true, true, true, out);
        }
        break;
      case 'X':
      case 'x':
        if (item.letter == 'X' && t.offset_seconds == 0) {
          out->push_back('Z');
        } else {
          bool colon = n == 3 || n == 5;
          AppendOffset(t.offset_seconds, colon, n != 1, n >= 4, out);
        }
        break;
      case 'O': AppendGmtOffset(t.offset_seconds, n == 4, out); break;
    }
  }
}

std::optional<ParsedDateTime> DateTimePattern::Parse(std::string_view text, int64_t default_year,
                                                     int32_t default_offset_seconds) const {
  // Parsed fields; -1 = not given.
  int64_t year = -1;
  bool year_is_proleptic = false;  // 'u' rather than 'y'
  int month = -1, day = -1, hour_of_day = -1, clock_hour = -1, minute = -1, second = -1;
  char clock_letter = 0;
  int ampm = -1, day_of_week = -1;
  int64_t nanos = -1;
  bool has_offset = false;
  int32_t offset = 0;
  const char* zone_name = nullptr;

  size_t pos = 0;
  for (size_t idx = 0; idx < items_.size(); ++idx) {
    const Item& item = items_[idx];
    if (item.letter == 0) {
      if (!MatchPrefix(text, pos, item.text)) return std::nullopt;
      pos += item.text.size();
      continue;
    }
    if (IsNumericItem(item)) {
      size_t available = 0;
      while (pos + available < text.size() && text[pos + available] >= '0' && text[pos + available] <= '9') {
        ++available;
      }
      size_t min_width, max_width;
      int fixed = FixedWidth(item);
      if (fixed > 0) {
        min_width = max_width = static_cast<size_t>(fixed);
      } else {
        bool year_item = item.letter == 'y' || item.letter == 'u';
        min_width = year_item ? static_cast<size_t>(item.count) : 1;
        max_width = 19;
        // Adjacent value parsing: leave the digits the following fixed-width fields need.
        size_t reserved = 0;
        for (size_t k = idx + 1; k < items_.size() && IsNumericItem(items_[k]); ++k) {
          int w = FixedWidth(items_[k]);
          if (w == 0) break;
          reserved += static_cast<size_t>(w);
        }
        if (available < reserved) return std::nullopt;
        max_width = std::min(max_width, available - reserved);
      }
      if (available < min_width) return std::nullopt;
      size_t take = std::min(available, max_width);
      int64_t v = 0;
      for (size_t k = 0; k < take; ++k) v = v * 10 + (text[pos + k] - '0');
      pos += take;
      switch (item.letter) {
        case 'y':
        case 'u':
          year = item.count == 2 ? 2000 + v : v;
          year_is_proleptic = item.letter == 'u';
          break;
        case 'M':
        case 'L':
          if (v < 1 || v > 12) return std::nullopt;
          month = static_cast<int>(v);
          break;
        case 'd':
          if (v < 1 || v > 31) return std::nullopt;
          day = static_cast<int>(v);
          break;
        case 'H':
          if (v > 24) return std::nullopt;  // 24:00 is the next midnight (SMART resolver)
          hour_of_day = static_cast<int>(v);
          break;
        case 'h':
        case 'K':
        case 'k':
          if ((item.letter == 'h' && (v < 1 || v > 12)) || (item.letter == 'K' && v > 11) ||
              (item.letter == 'k' && (v < 1 || v > 24))) {
            return std::nullopt;
          }
          clock_hour = static_cast<int>(v);
          clock_letter = item.letter;
          break;
        case 'm':
          if (v > 59) return std::nullopt;
          minute = static_cast<int>(v);
          break;
        case 's':
          if (v > 59) return std::nullopt;
          second = static_cast<int>(v);
          break;
        case 'S':
          nanos = v;
          for (int k = item.count; k < 9; ++k) nanos *= 10;
          break;
      }
      continue;
    }
    switch (item.letter) {
      case 'M':
      case 'L': {
        if (item.count == 5) return std::nullopt;
        int m = MatchName(text, &pos, kMonthNames, 12, item.count);
        if (m < 0) return std::nullopt;
        month = m + 1;
        break;
      }
      case 'E': {
        if (item.count == 5) return std::nullopt;
        int d = MatchName(text, &pos, kDayNames, 7, item.count);
        if (d < 0) return std::nullopt;
        day_of_week = d;
        break;
      }
      case 'a':
        if (MatchPrefix(text, pos, "AM")) {
          ampm = 0;
        } else if (MatchPrefix(text, pos, "PM")) {
          ampm = 1;
        } else {
          return std::nullopt;
        }
        pos += 2;
        break;
      case 'G':
        if (item.count == 4 && MatchPrefix(text, pos, "Anno Domini")) {
          pos += 11;
        } else if (item.count < 4 && MatchPrefix(text, pos, "AD")) {
          pos += 2;
        } else {
          return std::nullopt;
        }
        break;
      case 'Z':
      case 'X':
      case 'x':
      case 'O':
        if (!ParseOffset(item, text, &pos, &offset)) return std::nullopt;
        has_offset = true;
        break;
      case 'z': {
        // Only the zones without rules; the instant still uses the default offset, the
        // zone only shows in the output (as java.time resolves it with a default offset).
        static constexpr const char* kFixedZones[] = {"UTC", "GMT", "UT", "Z"};
        bool found = false;
        for (const char* z : kFixedZones) {
          if (MatchPrefix(text, pos, z)) {
            pos += std::strlen(z);
            zone_name = z;
            found = true;
            break;
          }
        }
        if (!found) return std::nullopt;
        break;
      }
      default: return std::nullopt;  // not parseable here (D, w, Q, ...)
    }
  }
  if (pos != text.size()) return std::nullopt;

  // Resolve like DateTimeFormatter with JMeter's parseDefaulting fields: a parsed field
  // that contradicts a defaulted one is a conflict (the parse fails).
  if (year < 0) {
    year = default_year;
  } else if (year_is_proleptic && year != default_year) {
    return std::nullopt;
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day > DaysInMonth(year, month)) day = DaysInMonth(year, month);
  int hour = hour_of_day < 0 ? 0 : hour_of_day;
  if (clock_hour >= 0 || ampm >= 0) {
    // HOUR_OF_DAY is defaulted to 0 when only clock or am/pm fields were parsed; any other
    // resolved hour conflicts with it.
    int resolved = 0;
    if (clock_hour >= 0) {
      int h = clock_letter == 'k' ? clock_hour % 24 : clock_hour % 12;
      resolved = (clock_letter == 'k' || ampm < 0) ? h : h + 12 * ampm;
    } else {
      resolved = 12 * ampm;
    }
    if (hour_of_day < 0 && resolved != 0) return std::nullopt;
    if (hour_of_day >= 0 && resolved != hour_of_day) return std::nullopt;
  }
  if (nanos > 0) return std::nullopt;  // conflicts with the defaulted MILLI_OF_SECOND 0
  int64_t epoch_day = DaysFromCivil(year, month, day);
  if (hour == 24) {
    if (minute > 0 || second > 0) return std::nullopt;
    hour = 0;
    ++epoch_day;
  }
  if (day_of_week >= 0 && day_of_week != IsoDayOfWeek(epoch_day)) return std::nullopt;
  int64_t local_seconds = epoch_day * 86400 + hour * 3600 + (minute < 0 ? 0 : minute) * 60 + (second < 0 ? 0 : second);
  ParsedDateTime result;
  int32_t instant_offset = has_offset ? offset : default_offset_seconds;
  result.epoch_millis = (local_seconds - instant_offset) * 1000;
  result.offset_seconds = zone_name != nullptr ? 0 : instant_offset;
  result.zone_abbreviation = zone_name;
  return result;
}

std::optional<int64_t> ParseJavaDuration(std::string_view text) {
  size_t p = 0;
  auto upper = [&](size_t i) {
    char c = text[i];
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  };
  bool negative = false;
  if (p < text.size() && (text[p] == '-' || text[p] == '+')) negative = text[p++] == '-';
  if (p >= text.size() || upper(p) != 'P') return std::nullopt;
  ++p;
  // A signed number: returns false when none is there.
  auto number = [&](int64_t* v, size_t* digits) {
    size_t q = p;
    bool neg = false;
    if (q < text.size() && (text[q] == '-' || text[q] == '+')) neg = text[q++] == '-';
    size_t start = q;
    int64_t n = 0;
    while (q < text.size() && text[q] >= '0' && text[q] <= '9') {
      if (n > (INT64_MAX - 9) / 10) return false;
      n = n * 10 + (text[q++] - '0');
    }
    if (q == start) return false;
    *v = neg ? -n : n;
    *digits = q - start;
    p = q;
    return true;
  };
  int64_t total = 0;
  // total += v * unit, false on overflow.
  auto add = [&](int64_t v, int64_t unit) {
    int64_t product;
    return !__builtin_mul_overflow(v, unit, &product) && !__builtin_add_overflow(total, product, &total);
  };
  constexpr int64_t kSecond = 1000000000;
  bool any = false;
  size_t save = p;
  int64_t v;
  size_t digits;
  if (number(&v, &digits) && p < text.size() && upper(p) == 'D') {
    if (!add(v, 86400 * kSecond)) return std::nullopt;
    ++p;
    any = true;
  } else {
    p = save;
  }
  if (p < text.size() && upper(p) == 'T') {
    ++p;
    bool any_time = false;
    for (char unit : {'H', 'M'}) {
      save = p;
      if (number(&v, &digits) && p < text.size() && upper(p) == unit) {
        if (!add(v, (unit == 'H' ? 3600 : 60) * kSecond)) return std::nullopt;
        ++p;
        any_time = true;
      } else {
        p = save;
      }
    }
    save = p;
    bool seconds_negative = p < text.size() && text[p] == '-';
    if (number(&v, &digits)) {
      int64_t fraction = 0;
      if (p < text.size() && (text[p] == '.' || text[p] == ',')) {
        ++p;
        size_t start = p;
        while (p < text.size() && text[p] >= '0' && text[p] <= '9') ++p;
        size_t n = p - start;
        if (n > 9) return std::nullopt;
        for (size_t i = 0; i < 9; ++i) {
          fraction = fraction * 10 + (i < n ? text[start + i] - '0' : 0);
        }
      }
      if (p >= text.size() || upper(p) != 'S') return std::nullopt;
      ++p;
      if (!add(v, kSecond) || !add(seconds_negative ? -fraction : fraction, 1)) {
        return std::nullopt;
      }
      any_time = true;
    } else {
      p = save;
    }
    if (!any_time) return std::nullopt;
    any = true;
  }
  if (!any || p != text.size()) return std::nullopt;
  if (negative) {
    if (total == INT64_MIN) return std::nullopt;
    total = -total;
  }
  return total;
}

}  // namespace barrage
