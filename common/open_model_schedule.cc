// Follows JMeter 5.5's scheduleTokenizer.kt, scheduleParser.kt, ThreadScheduleProcessGenerator.kt,
// EvenArrivalsRamp.kt and PoissonArrivalsRamp.kt (positions are byte offsets here, UTF-16
// indexes there: the same for ASCII schedules).
#include "common/open_model_schedule.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

namespace barrage {

namespace {

struct Token {
  enum class Type { kIdentifier, kNumber, kOpen, kClose, kDivide };
  Type type;
  std::string image;
  size_t pos;
};

// "<message> at position <p>: '<20 characters>' in '<input>'" (TokenizerException, ParserException).
std::string PositionMessage(std::string_view input, size_t pos, const std::string& message) {
  return message + " at position " + std::to_string(pos) + ": '" + std::string(input.substr(pos, 20)) + "' in '" +
         std::string(input) + "'";
}

bool IsJavaSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The WHITESPACE pattern at `pos`: spaces, a /* */ comment on one line (`.` stops at line
// ends), or // to the end of the line and its line ends. Returns the end, or pos.
size_t SkipWhitespace(std::string_view s, size_t pos) {
  if (IsJavaSpace(s[pos])) {
    while (pos < s.size() && IsJavaSpace(s[pos])) ++pos;
    return pos;
  }
  if (s.substr(pos, 2) == "/*") {
    for (size_t i = pos + 2; i < s.size(); ++i) {
      if (s[i] == '\n' || s[i] == '\r') return pos;
      if (s.substr(i, 2) == "*/") return i + 2;
    }
    return pos;
  }
  if (s.substr(pos, 2) == "//") {
    size_t i = pos + 2;
    while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    while (i < s.size() && (s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
  }
  return pos;
}

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t skipped = SkipWhitespace(s, pos);
    if (skipped != pos) {
      pos = skipped;
      continue;
    }
    char c = s[pos];
    if (c == '(' || c == ')' || c == '/') {
      out.push_back({c == '('   ? Token::Type::kOpen
                     : c == ')' ? Token::Type::kClose
                                : Token::Type::kDivide,
                     std::string(1, c), pos});
      ++pos;
      continue;
    }
    size_t end = pos;
    if (IsDigit(c) || (c == '.' && pos + 1 < s.size() && IsDigit(s[pos + 1]))) {
      // \d++(?:\.\d++)?|\.\d++
      while (end < s.size() && IsDigit(s[end])) ++end;
      if (end < s.size() && s[end] == '.' && end + 1 < s.size() && IsDigit(s[end + 1])) {
        ++end;
        while (end < s.size() && IsDigit(s[end])) ++end;
      }
      out.push_back({Token::Type::kNumber, std::string(s.substr(pos, end - pos)), pos});
    } else if (IsAlpha(c)) {
      while (end < s.size() && (IsAlpha(s[end]) || IsDigit(s[end]) || s[end] == '_')) ++end;
      out.push_back({Token::Type::kIdentifier, std::string(s.substr(pos, end - pos)), pos});
    } else {
      return Status::ParseError(PositionMessage(s, pos, "Unexpected input"));
    }
    pos = end;
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Kotlin's toString of a token, as the messages print it.
std::string TokenText(const Token* t) {
  if (!t) return "null";
  switch (t->type) {
    case Token::Type::kIdentifier: return "Identifier(" + t->image + ")";
    case Token::Type::kNumber: return "Number(" + t->image + ")";
    default: return t->image;
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {}

  Result<OpenModelSchedule> Parse() {
    OpenModelSchedule out;
    while (pos_ < tokens_.size() && error_.empty()) {
      if (IsIdentifier("pause")) {
        double d = ParseFunctionDuration();
        if (!error_.empty()) break;
        const OpenModelStep arrivals{OpenModelStep::Kind::kEvenArrivals, d};
        if (last_rate_ == 0) {
          out.steps.push_back(arrivals);
          out.steps.push_back({OpenModelStep::Kind::kRate, last_rate_});
        } else {
          const OpenModelStep zero{OpenModelStep::Kind::kRate, 0};
          out.steps.insert(out.steps.end(), {{OpenModelStep::Kind::kRate, last_rate_},
                                             zero,
                                             arrivals,
                                             zero,
                                             {OpenModelStep::Kind::kRate, last_rate_}});
        }
        continue;
      }
      if (IsIdentifier("rate")) {
        double rate = ParseRate();
        if (!error_.empty()) break;
        out.steps.push_back({OpenModelStep::Kind::kRate, rate});
        last_rate_ = rate;
        continue;
      }
      if (IsIdentifier("random_arrivals") || IsIdentifier("even_arrivals")) {
        bool random = IsIdentifier("random_arrivals");
        double d = ParseFunctionDuration();
        if (!error_.empty()) break;
        out.steps.push_back({random ? OpenModelStep::Kind::kRandomArrivals : OpenModelStep::Kind::kEvenArrivals, d});
        continue;
      }
      Fail("Unexpected input (expecting rate, random_arrivals, even_arrivals, or pause)");
    }
    if (!error_.empty()) return Status::ParseError(error_);
    return out;
  }

 private:
  const Token* token() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  bool IsIdentifier(std::string_view name) const {
    const Token* t = token();
    return t && t->type == Token::Type::kIdentifier && EqualsIgnoreCase(t->image, name);
  }
  bool Is(Token::Type type) const { return token() && token()->type == type; }
  void Fail(const std::string& message) {
    if (!error_.empty()) return;
    error_ = PositionMessage(text_, pos_ >= tokens_.size() ? 0 : tokens_[pos_].pos, message);
  }
  // consume(vararg expected): the token must be one of them.
  void Expect(Token::Type type, const char* shown) {
    if (!error_.empty()) return;
    if (!Is(type)) {
      Fail(std::string("Unexpected input. Expected ") + shown + " got " + TokenText(token()));
      return;
    }
    ++pos_;
  }
  // consume<T>(failMessage): JMeter moves past the token before it fails, so the error
  // names the position of the token after the unexpected one.
  const Token* Take(Token::Type type, const char* what) {
    if (!error_.empty()) return nullptr;
    const Token* t = Is(type) ? token() : nullptr;
    std::string got = TokenText(token());
    ++pos_;
    if (!t) Fail(std::string("Unexpected input. Expected ") + what + " got " + got);
    return t;
  }
  double ParseRate() {
    ++pos_;
    Expect(Token::Type::kOpen, "(");
    const Token* number = Take(Token::Type::kNumber, "float number for rate");
    if (!number) return 0;
    double value = std::strtod(number->image.c_str(), nullptr);
    double unit = 1;
    if (!(value == 0 && Is(Token::Type::kClose))) {
      if (Is(Token::Type::kDivide) || IsIdentifier("per")) {
        ++pos_;
      } else {
        Fail("Unexpected input. Expected /, Identifier(per) got " + TokenText(token()));
        return 0;
      }
      unit = ParseTimeUnit();
    }
    Expect(Token::Type::kClose, ")");
    return value / unit;
  }
  double ParseFunctionDuration() {
    ++pos_;
    Expect(Token::Type::kOpen, "(");
    double d = ParseDuration();
    Expect(Token::Type::kClose, ")");
    return d;
  }
  double ParseDuration() {
    double total = 0;
    do {
      const Token* number = Take(Token::Type::kNumber, "float number for duration");
      if (!number) return 0;
      double value = std::strtod(number->image.c_str(), nullptr);
      if (value == 0 && Is(Token::Type::kClose)) break;
      double unit = ParseTimeUnit();
      total += value * unit;
    } while (error_.empty() && Is(Token::Type::kNumber));
    return total;
  }
  double ParseTimeUnit() {
    const Token* unit = Take(Token::Type::kIdentifier, "unit for duration: sec, min, hour, day");
    if (!unit) return 1;
    const std::string& u = unit->image;
    if (EqualsIgnoreCase(u, "ms")) return 0.001;
    if (EqualsIgnoreCase(u, "s") || StartsWithIgnoreCase(u, "sec")) return 1;
    if (EqualsIgnoreCase(u, "m") || StartsWithIgnoreCase(u, "min")) return 60;
    if (EqualsIgnoreCase(u, "h") || StartsWithIgnoreCase(u, "hour")) return 3600;
    if (EqualsIgnoreCase(u, "d") || StartsWithIgnoreCase(u, "day")) return 86400;
    Fail("Unexpected time unit " + u);
    return 1;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  double last_rate_ = 0;
  std::string error_;
};

// Kotlin's String.toIntOrNull.
std::optional<int32_t> ToIntOrNull(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return std::nullopt;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
    if (v > static_cast<int64_t>(std::numeric_limits<int32_t>::max()) + 1) return std::nullopt;
  }
  v = negative ? -v : v;
  if (v > std::numeric_limits<int32_t>::max() || v < std::numeric_limits<int32_t>::min()) return std::nullopt;
  return static_cast<int32_t>(v);
}

}  // namespace

double OpenModelSchedule::TotalDurationS() const {
  double total = 0;
  for (const OpenModelStep& s : steps) {
    if (s.kind != OpenModelStep::Kind::kRate) total += s.value;
  }
  return total;
}

Result<OpenModelSchedule> ParseOpenModelSchedule(std::string_view text) {
  if (std::optional<int32_t> n = ToIntOrNull(text)) {
    const double rate = *n;
    OpenModelSchedule s;
    s.steps = {{OpenModelStep::Kind::kRate, rate},
               {OpenModelStep::Kind::kEvenArrivals, 1},
               {OpenModelStep::Kind::kRate, rate},
               {OpenModelStep::Kind::kRate, 0},
               {OpenModelStep::Kind::kEvenArrivals, 3600}};
    return s;
  }
  Result<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(text, std::move(tokens).value()).Parse();
}

OpenModelArrivals::OpenModelArrivals(OpenModelSchedule schedule, std::function<double()> next_double)
    : schedule_(std::move(schedule)), next_double_(std::move(next_double)) {}

bool OpenModelArrivals::FindNextArrivalStep() {
  const std::vector<OpenModelStep>& steps = schedule_.steps;
  while (true) {
    ++pos_;
    if (pos_ >= static_cast<int>(steps.size())) return false;
    const OpenModelStep& s = steps[static_cast<size_t>(pos_)];
    if (s.kind == OpenModelStep::Kind::kRate) {
      begin_rate_ = s.value;
      continue;
    }
    step_ = &s;
    break;
  }
  size_t next = static_cast<size_t>(pos_) + 1;
  end_rate_ = next < steps.size() && steps[next].kind == OpenModelStep::Kind::kRate ? steps[next].value : begin_rate_;
  return true;
}

void OpenModelArrivals::Prepare() {
  const double duration = last_duration_;
  n_ = 0;
  random_.clear();
  random_next_ = 0;
  if (step_->kind == OpenModelStep::Kind::kEvenArrivals) {
    mean_rate_ = (begin_rate_ + end_rate_) / 2;
    num_events_ = static_cast<int64_t>(mean_rate_ * duration);  // 3.7 events are 3
    acceleration_ = std::abs(end_rate_ - begin_rate_) < 0.0001 * mean_rate_ ? 0 : (end_rate_ - begin_rate_) / duration;
    return;
  }
  const double min_rate = std::min(begin_rate_, end_rate_);
  const int64_t num = static_cast<int64_t>((begin_rate_ + end_rate_) / 2 * duration);
  const int64_t flat = static_cast<int64_t>(min_rate * duration);
  if (min_rate > 0) {
    for (int64_t i = 0; i < flat; ++i) random_.push_back(next_double_() * duration);
  }
  const int64_t left = num - flat;
  if (begin_rate_ != end_rate_ && left != 0) {
    for (int64_t i = 0; i < left; ++i) {
      double t = std::sqrt(next_double_());
      if (begin_rate_ > end_rate_) t = 1 - t;
      random_.push_back(t * duration);
    }
  }
  std::sort(random_.begin(), random_.end());
}

std::optional<double> OpenModelArrivals::Next() {
  auto has_next = [this] {
    if (!step_) return false;
    if (step_->kind == OpenModelStep::Kind::kEvenArrivals) return n_ < num_events_;
    return random_next_ < random_.size();
  };
  if (pos_ == -1 || !has_next()) {
    do {
      offset_ += last_duration_;
      last_duration_ = 0;
      if (!FindNextArrivalStep()) {
        step_ = nullptr;
        return std::nullopt;
      }
      last_duration_ = step_->value;
      Prepare();
    } while (!has_next());
  }
  if (step_->kind == OpenModelStep::Kind::kRandomArrivals) return offset_ + random_[random_next_++];
  double t;
  if (n_ == 0) {
    t = 0;
  } else if (acceleration_ == 0) {
    t = static_cast<double>(n_) / mean_rate_;
  } else {
    t = (std::sqrt(begin_rate_ * begin_rate_ + 2 * acceleration_ * static_cast<double>(n_)) - begin_rate_) /
        acceleration_;
  }
  ++n_;
  return offset_ + t;
}

}  // namespace barrage
