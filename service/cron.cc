#include "service/cron.h"

#include <cctz/civil_time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <vector>

namespace barrage {
namespace {

struct Field {
  const char* name;
  int low;
  int high;
  const char* const* names;  // three-letter names of low, low+1, ...; nullptr when none
  size_t name_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
// As cronie's DowNames: Sunday is 0 (a name never means 7).
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<Field, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, std::size(kMonthNames)},
    {"day-of-week", 0, 7, kDayNames, std::size(kDayNames)},
}};

struct Macro {
  const char* name;
  const char* expansion;
};
constexpr Macro kMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class FieldParser {
 public:
  FieldParser(const Field& field, const std::string& expression) : field_(field), expression_(expression) {}

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("cron: " + std::string(field_.name) + ": " + what + " in \"" + expression_ + "\"");
  }

  // A number or (in fields that have them) a name, range-checked.
  Result<int> Value(std::string_view token) const {
    if (token.empty()) return Error("a value is missing");
    if (std::isdigit(static_cast<unsigned char>(token[0]))) {
      if (!AllDigits(token)) return Error("\"" + std::string(token) + "\" is not a number");
      if (token.size() > 4) return Error(std::string(token) + " is out of range " + Range());
      const int v = std::stoi(std::string(token));
      if (v < field_.low || v > field_.high) return Error(std::string(token) + " is out of range " + Range());
      return v;
    }
    if (field_.names) {
      const std::string lower = Lower(token);
      for (size_t i = 0; i < field_.name_count; ++i) {
        if (lower == field_.names[i]) return field_.low + static_cast<int>(i);
      }
      return Error("\"" + std::string(token) + "\" is not a number or a " + std::string(field_.name) + " name (" +
                   NameList() + ")");
    }
    return Error("\"" + std::string(token) + "\" is not a number");
  }

  // One list item: `*`, `N`, `N-M`, `*/S`, `N-M/S`.
  Status Item(std::string_view item, std::vector<bool>* set) const {
    if (item.empty()) return Error("empty list item");
    std::string_view range = item, step_text;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      step_text = item.substr(slash + 1);
      has_step = true;
    }
    int first = field_.low, last = field_.high, step = 1;
    if (range == "*") {
      // every value
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      auto a = Value(range.substr(0, dash));
      if (!a.ok()) return a.status();
      auto b = Value(range.substr(dash + 1));
      if (!b.ok()) return b.status();
      if (*a > *b) return Error("range " + std::string(range) + " is backwards");
      first = *a;
      last = *b;
    } else {
      // cronie (entry.c get_range): a step needs `*` or a range before it.
      if (has_step) return Error(std::string(item) + ": a step needs * or a range before the /");
      auto v = Value(range);
      if (!v.ok()) return v.status();
      first = last = *v;
    }
    if (has_step) {
      if (step_text.empty() || step_text.size() > 4 || !AllDigits(step_text)) {
        return Error(std::string(item) + ": the step \"" + std::string(step_text) + "\" is not a number");
      }
      step = std::stoi(std::string(step_text));
      if (step == 0) return Error(std::string(item) + ": the step must be at least 1");
    }
    for (int v = first; v <= last; v += step) (*set)[static_cast<size_t>(v - field_.low)] = true;
    return Status::Ok();
  }

  Result<std::vector<bool>> List(std::string_view text) const {
    std::vector<bool> set(static_cast<size_t>(field_.high - field_.low + 1), false);
    size_t start = 0;
    while (true) {
      const size_t comma = text.find(',', start);
      std::string_view item =
          text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (Status st = Item(item, &set); !st.ok()) return st;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return set;
  }

 private:
  std::string Range() const { return std::to_string(field_.low) + "-" + std::to_string(field_.high); }
  std::string NameList() const {
    std::string out;
    for (size_t i = 0; i < field_.name_count; ++i) {
      if (i) out += ", ";
      std::string n = field_.names[i];
      for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out += n;
    }
    return out;
  }

  const Field& field_;
  const std::string& expression_;
};

int DaysInMonth(int month) {  // the most a month ever has (February: 29)
  static constexpr int kDays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month];
}

bool DayMatches(const CronExpression& c, const cctz::civil_day& day) {
  const bool dom = c.days_of_month[static_cast<size_t>(day.day())];
  int wd = 0;  // Sunday = 0
  switch (cctz::get_weekday(day)) {
    case cctz::weekday::sunday: wd = 0; break;
    case cctz::weekday::monday: wd = 1; break;
    case cctz::weekday::tuesday: wd = 2; break;
    case cctz::weekday::wednesday: wd = 3; break;
    case cctz::weekday::thursday: wd = 4; break;
    case cctz::weekday::friday: wd = 5; break;
    case cctz::weekday::saturday: wd = 6; break;
  }
  const bool dow = c.days_of_week[static_cast<size_t>(wd)];
  // cronie (cron.c find_jobs): AND when either day field starts with `*`, else OR.
  return (c.day_of_month_star || c.day_of_week_star) ? (dom && dow) : (dom || dow);
}

int64_t Seconds(const cctz::time_point<cctz::seconds>& tp) { return tp.time_since_epoch().count(); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<CronExpression> ParseCron(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  const std::string expression(text);
  if (text.empty()) return Status::InvalidArgument("cron: the expression is empty");
  std::string_view body = text;
  if (text.front() == '@') {
    const std::string lower = Lower(text);
    const Macro* macro = nullptr;
    for (const Macro& m : kMacros) {
      if (lower == m.name) macro = &m;
    }
    if (!macro) {
      return Status::InvalidArgument("cron: unknown macro \"" + expression +
                                     "\" (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
    }
    body = macro->expansion;
  }
  std::vector<std::string_view> fields;
  for (size_t i = 0; i < body.size();) {
    while (i < body.size() && IsSpace(body[i])) ++i;
    size_t j = i;
    while (j < body.size() && !IsSpace(body[j])) ++j;
    if (j > i) fields.push_back(body.substr(i, j - i));
    i = j;
  }
  if (fields.size() != kFields.size()) {
    return Status::InvalidArgument("cron: expected 5 fields (minute hour day-of-month month day-of-week), got " +
                                   std::to_string(fields.size()) + " in \"" + expression + "\"");
  }
  CronExpression c;
  c.text = expression;
  std::array<std::vector<bool>, 5> sets;
  for (size_t f = 0; f < kFields.size(); ++f) {
    auto set = FieldParser(kFields[f], expression).List(fields[f]);
    if (!set.ok()) return set.status();
    sets[f] = std::move(*set);
  }
  for (size_t v = 0; v < 60; ++v) c.minutes[v] = sets[0][v];
  for (size_t v = 0; v < 24; ++v) c.hours[v] = sets[1][v];
  for (size_t v = 1; v <= 31; ++v) c.days_of_month[v] = sets[2][v - 1];
  for (size_t v = 1; v <= 12; ++v) c.months[v] = sets[3][v - 1];
  for (size_t v = 0; v < 7; ++v) c.days_of_week[v] = sets[4][v];
  if (sets[4][7]) c.days_of_week[0] = true;  // 7 is Sunday too
  c.wildcard = fields[0].front() == '*' || fields[1].front() == '*';
  c.day_of_month_star = fields[2].front() == '*';
  c.day_of_week_star = fields[4].front() == '*';

  // Under the AND rule the days of the month must occur in one of the months at all.
  if (c.day_of_month_star || c.day_of_week_star) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!c.months[static_cast<size_t>(m)]) continue;
      for (int d = 1; d <= DaysInMonth(m) && !possible; ++d) possible = c.days_of_month[static_cast<size_t>(d)];
    }
    if (!possible) {
      return Status::InvalidArgument("cron: day-of-month: " + std::string(fields[2]) + " never occurs in month " +
                                     std::string(fields[3]) + " in \"" + expression + "\"");
    }
  }
  return c;
}

Result<TimeZone> LoadTimeZone(std::string_view iana_name) {
  const std::string name(iana_name);
  auto unknown = [&] { return Status::InvalidArgument("unknown time zone \"" + name + "\""); };
  TimeZone tz;
  tz.name_ = name;
  if (name == "UTC") {
    tz.zone_ = cctz::utc_time_zone();
    return tz;
  }
  // Zone names only: no file paths (cctz would read any file) and not "localtime" (the
  // process's own TZ), which would make a schedule depend on the host.
  const bool name_like =
      !name.empty() && std::isalpha(static_cast<unsigned char>(name[0])) && name != "localtime" &&
      std::all_of(name.begin(), name.end(),
                  [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
                  }) &&
      name.find("//") == std::string::npos && name.back() != '/';
  if (!name_like || !cctz::load_time_zone(name, &tz.zone_)) return unknown();
  return tz;
}

std::optional<int64_t> NextFireMs(const CronExpression& cron, const TimeZone& zone, int64_t after_ms) {
  const cctz::time_zone& tz = zone.zone();
  const int64_t after_s = FloorDiv(after_ms, 1000);
  using Tp = cctz::time_point<cctz::seconds>;
  auto at = [](int64_t s) { return Tp(cctz::seconds(s)); };
  // Candidates are enumerated in civil time from the local time of `after_ms`, except when the
  // next change goes back (fall-back) to a local time we have already passed: those minutes
  // come again after `after_ms`, so the enumeration starts where the change goes back to.
  cctz::civil_second start = tz.lookup(at(after_s)).cs;
  if (cctz::time_zone::civil_transition tr; tz.next_transition(at(after_s), &tr) && tr.to < tr.from && tr.to < start) {
    start = tr.to;
  }
  std::optional<int64_t> best;  // seconds
  cctz::civil_day best_day;
  const cctz::civil_day end_day = cctz::civil_day(start) + 400 * 366;  // the Gregorian cycle
  for (cctz::civil_day day(start); day < end_day;) {
    if (!cron.months[static_cast<size_t>(day.month())]) {
      day = cctz::civil_day(cctz::civil_month(day) + 1);
      continue;
    }
    if (best && day > best_day + 2) break;
    if (DayMatches(cron, day)) {
      const bool first_day = day == cctz::civil_day(start);
      for (int h = first_day ? start.hour() : 0; h < 24; ++h) {
        if (!cron.hours[static_cast<size_t>(h)]) continue;
        for (int m = first_day && h == start.hour() ? start.minute() : 0; m < 60; ++m) {
          if (!cron.minutes[static_cast<size_t>(m)]) continue;
          const cctz::civil_second cs(day.year(), day.month(), day.day(), h, m, 0);
          if (cs < start) continue;
          const cctz::time_zone::civil_lookup l = tz.lookup(cs);
          const bool skipped = l.kind == cctz::time_zone::civil_lookup::SKIPPED;
          // Instants never go back as civil time goes forward (a skipped time's earliest is
          // the change itself), so nothing later can beat `best` once this one does not.
          const int64_t earliest = Seconds(skipped ? l.trans : l.pre);
          if (best && earliest > *best) return *best * 1000;
          int64_t candidates[2];
          size_t n = 0;
          switch (l.kind) {
            case cctz::time_zone::civil_lookup::UNIQUE: candidates[n++] = Seconds(l.pre); break;
            case cctz::time_zone::civil_lookup::SKIPPED:
              if (!cron.wildcard) candidates[n++] = Seconds(l.trans);
              break;
            case cctz::time_zone::civil_lookup::REPEATED:
              candidates[n++] = Seconds(l.pre);
              if (cron.wildcard) candidates[n++] = Seconds(l.post);
              break;
          }
          for (size_t i = 0; i < n; ++i) {
            if (candidates[i] * 1000 > after_ms && (!best || candidates[i] < *best)) {
              best = candidates[i];
              best_day = day;
            }
          }
        }
      }
    }
    ++day;
  }
  if (!best) return std::nullopt;
  return *best * 1000;
}

std::string FormatUtcIso8601(int64_t epoch_ms) {
  const cctz::time_point<std::chrono::milliseconds> tp{std::chrono::milliseconds(epoch_ms)};
  return cctz::format("%Y-%m-%dT%H:%M:%E3SZ", tp, cctz::utc_time_zone());
}

std::string FormatLocalIso8601(int64_t epoch_ms, const TimeZone& zone) {
  const cctz::time_point<std::chrono::milliseconds> tp{std::chrono::milliseconds(epoch_ms)};
  return cctz::format("%Y-%m-%dT%H:%M:%S%Ez", tp, zone.zone());
}

}  // namespace barrage
