#include "controller/jtl_reader.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/hash_tree.h"
#include "common/input_file.h"
#include "common/java_lang.h"
#include "common/java_time_format.h"
#include "common/jtl_columns.h"

namespace barrage {
namespace {

// A header field: one of JMeter's columns, or nothing (a quoted sample_variables column or a
// name JMeter does not write: skipped).
using HeaderColumn = std::optional<JtlColumn>;

struct Header {
  std::vector<HeaderColumn> columns;
  int known = 0;  // how many of JMeter's names it has
};

// `line` split on `delim` as a header: JMeter's names by name, anything else skipped.
Header SplitHeader(std::string_view line, char delim) {
  Header h;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delim, start);
    std::string_view name = line.substr(start, end == std::string_view::npos ? end : end - start);
    HeaderColumn column;
    JtlColumn known;
    if (JtlColumnNamed(name, &known)) {
      column = known;
      ++h.known;
    }
    h.columns.push_back(column);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return h;
}

bool LooksLikeHeader(std::string_view line, const Header& h) {
  if (line.empty() || (line[0] >= '0' && line[0] <= '9')) return false;
  return h.known >= 2 || (h.known == 1 && h.columns.size() == 1);
}

// A field's text for a one-line error message: in single quotes, control characters as
// \n, \r, \t or \xNN, cut after 60 bytes.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 60;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out.push_back(JavaForHexDigit(c >> 4));
      out.push_back(JavaForHexDigit(c & 15));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += text.size() > kMax ? "'..." : "'";
  return out;
}

// Reads timeStamp fields: epoch ms or a Java date pattern, decided once per file.
class TimestampReader {
 public:
  static Result<TimestampReader> Make(const std::string& format) {
    TimestampReader r;
    if (format.empty()) return r;
    if (format == "ms") {
      r.mode_ = Mode::kMillis;
      return r;
    }
    Result<DateTimePattern> p = DateTimePattern::Compile(format);
    if (!p.ok()) {
      return Status::InvalidArgument("timestamp format '" + format + "': " + p.status().message());
    }
    r.mode_ = Mode::kPattern;
    r.SetPattern(std::move(p).value(), format);
    return r;
  }

  // The instant in epoch ms, or an error message (without file and line).
  Result<int64_t> Read(std::string_view text) {
    if (mode_ == Mode::kDetect) Detect(text);
    if (mode_ == Mode::kMillis) {
      std::optional<int64_t> v = ParseInt64(text);
      if (!v) return Status::ParseError("timeStamp is not a whole number: " + Quote(text));
      return *v;
    }
    if (mode_ == Mode::kPattern) {
      std::optional<int64_t> v = ReadDate(text);
      if (v) return *v;
      return Status::ParseError("timeStamp " + Quote(text) + " does not match the date format '" + pattern_text_ + "'");
    }
    return Status::ParseError("timeStamp " + Quote(text) +
                              " is neither epoch milliseconds nor a date in a known format "
                              "(give its format with --timestamp-format)");
  }

 private:
  enum class Mode { kDetect, kMillis, kPattern, kUnknown };

  void Detect(std::string_view text) {
    if (!text.empty() && text.find_first_not_of("-0123456789") == std::string_view::npos) {
      mode_ = Mode::kMillis;
      return;
    }
    mode_ = Mode::kUnknown;
    for (std::string_view format : kCommonJtlTimestampFormats) {
      Result<DateTimePattern> p = DateTimePattern::Compile(format);
      if (!p.ok()) continue;
      SetPattern(std::move(p).value(), format);
      if (ParseWithFraction(text, 0)) {
        mode_ = Mode::kPattern;
        return;
      }
    }
    pattern_.reset();
  }

  void SetPattern(DateTimePattern pattern, std::string_view text) {
    pattern_ = std::move(pattern);
    pattern_text_ = std::string(text);
    // The first run of 'S' outside quotes: the fraction of a second.
    fraction_digits_ = 0;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\'') {
        quoted = !quoted;
      } else if (!quoted && text[i] == 'S') {
        while (i < text.size() && text[i] == 'S') {
          ++fraction_digits_;
          ++i;
        }
        break;
      }
    }
  }

  // DateTimePattern::Parse reads the pattern as JMeter's __timeShift does, which rejects a
  // fraction of a second; a JTL's SimpleDateFormat dates have one. So the fraction's digits
  // (the only run of exactly that many digits; if several, the one that formats back to
  // the text) are parsed as zeros and added here. Returns the instant as parsed with
  // `default_offset` and whether the text gave the offset.
  std::optional<ParsedDateTime> ParseWithFraction(std::string_view text, int32_t default_offset) {
    if (fraction_digits_ == 0) return pattern_->Parse(text, default_year_, default_offset);
    const size_t k = fraction_digits_;
    std::vector<size_t> candidates;
    for (size_t i = 0; i < text.size();) {
      if (text[i] < '0' || text[i] > '9') {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      if (j - i == k) candidates.push_back(i);
      i = j;
    }
    std::optional<ParsedDateTime> found;
    std::string zeroed(text);
    for (size_t at : candidates) {
      int64_t fraction = 0;
      for (size_t d = 0; d < k; ++d) {
        fraction = fraction * 10 + (text[at + d] - '0');
        zeroed[at + d] = '0';
      }
      std::optional<ParsedDateTime> p = pattern_->Parse(zeroed, default_year_, default_offset);
      for (size_t d = 0; d < k; ++d) zeroed[at + d] = text[at + d];
      if (!p) continue;
      for (size_t d = k; d < 3; ++d) fraction *= 10;
      for (size_t d = 3; d < k; ++d) fraction /= 10;
      p->epoch_millis += fraction;
      if (candidates.size() == 1) return p;
      if (pattern_->Format(FixedOffsetTime(p->epoch_millis, p->offset_seconds)) == text) return p;
      if (!found) found = p;
    }
    return found;
  }

  std::optional<int64_t> ReadDate(std::string_view text) {
    std::optional<ParsedDateTime> utc = ParseWithFraction(text, 0);
    if (!utc) return std::nullopt;
    if (!zone_known_) {
      // A text that names its zone or offset reads the same whatever default offset is
      // given; one that does not is local time, as SimpleDateFormat wrote it.
      std::optional<ParsedDateTime> shifted = ParseWithFraction(text, 3600);
      local_ = !shifted || shifted->epoch_millis != utc->epoch_millis;
      zone_known_ = true;
    }
    if (!local_) return utc->epoch_millis;
    // Wall-clock time to an instant: the offset at the guess, corrected once at a DST edge.
    const int64_t wall = utc->epoch_millis;
    const int32_t first = LocalZonedTime(wall).offset_seconds;
    int64_t t = wall - int64_t{first} * 1000;
    const int32_t second = LocalZonedTime(t).offset_seconds;
    if (second != first) t = wall - int64_t{second} * 1000;
    return t;
  }

  Mode mode_ = Mode::kDetect;
  std::optional<DateTimePattern> pattern_;
  std::string pattern_text_;
  size_t fraction_digits_ = 0;
  bool zone_known_ = false;
  bool local_ = true;
  int64_t default_year_ = YearOf(LocalZonedTime(WallMillis()));
};

// Reads records from a file the way CSVSaveService.csvReadFile does.
class RecordReader {
 public:
  RecordReader(std::FILE* file, char delim, int64_t first_line) : file_(file), delim_(delim), line_(first_line) {}

  // Next record into `fields` (resized to its field count; the strings' storage is reused
  // from call to call); false at end of file. `line` is the record's first line.
  Result<bool> Next(std::vector<std::string>* fields, int64_t* line) {
    size_t count = 0;
    auto next_slot = [&]() -> std::string* {
      if (count == fields->size()) fields->emplace_back();
      std::string* slot = &(*fields)[count];
      slot->clear();
      return slot;
    };
    std::string* field = next_slot();
    const auto plain_stop = [this](char c) { return c == delim_ || c == '"' || c == '\n' || c == '\r'; };
    const auto quoted_stop = [](char c) { return c == '"' || c == '\n' || c == '\r'; };
    enum class State { kInitial, kPlain, kQuoted, kEmbeddedQuote } state = State::kInitial;
    *line = line_;
    int ch;
    bool any = false;
    while ((ch = Get()) != EOF) {
      any = true;
      const bool delim_or_eol = ch == delim_ || ch == '\n' || ch == '\r';
      bool push = false;
      switch (state) {
        case State::kInitial:
          if (ch == '"') {
            state = State::kQuoted;
            AppendRun(field, quoted_stop);
          } else if (delim_or_eol) {
            push = true;
          } else {
            field->push_back(static_cast<char>(ch));
            state = State::kPlain;
            AppendRun(field, plain_stop);
          }
          break;
        case State::kPlain:
          if (ch == '"') {
            return Error("quote character inside an unquoted field");
          } else if (delim_or_eol) {
            push = true;
            state = State::kInitial;
          } else {
            field->push_back(static_cast<char>(ch));
            AppendRun(field, plain_stop);
          }
          break;
        case State::kQuoted:
          if (ch == '"') {
            state = State::kEmbeddedQuote;
          } else {
            field->push_back(static_cast<char>(ch));
            AppendRun(field, quoted_stop);
          }
          break;
        case State::kEmbeddedQuote:
          if (ch == '"') {
            field->push_back('"');
            state = State::kQuoted;
            AppendRun(field, quoted_stop);
          } else if (delim_or_eol) {
            push = true;
            state = State::kInitial;
          } else {
            return Error("single quote character inside a quoted field");
          }
          break;
      }
      if (push) {
        ++count;
        if (ch == '\n' || ch == '\r') {  // end of record: CRLF counts as one line end
          if (ch == '\r' && Peek() == '\n') Get();
          ++line_;
          fields->resize(count);
          return true;
        }
        field = next_slot();
      } else if (ch == '\n' || (ch == '\r' && Peek() != '\n')) {
        ++line_;  // a line break inside a quoted field
      }
    }
    if (std::ferror(file_)) return Error(std::string("read failed: ") + std::strerror(errno));
    if (state == State::kQuoted) {  // named by the line its record starts on
      return Status::ParseError(std::to_string(*line) + ": missing closing quote");
    }
    if (!any) {
      fields->clear();
      return false;
    }
    fields->resize(count + 1);
    return true;
  }

 private:
  // Appends the bytes already buffered up to the first one `stop` flags: the common case of
  // a field without special characters in one step instead of one Get() per byte.
  template <typename Stop>
  void AppendRun(std::string* field, const Stop& stop) {
    size_t i = pos_;
    while (i < end_ && !stop(buffer_[i])) ++i;
    field->append(buffer_.get() + pos_, i - pos_);
    pos_ = i;
  }

  int Get() {
    if (pos_ == end_ && !Fill()) return EOF;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int Peek() {
    if (pos_ == end_ && !Fill()) return EOF;
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  bool Fill() {
    pos_ = 0;
    end_ = std::fread(buffer_.get(), 1, kBufferSize, file_);
    return end_ > 0;
  }
  Status Error(const std::string& what) const { return Status::ParseError(std::to_string(line_) + ": " + what); }

  static constexpr size_t kBufferSize = 1 << 20;
  std::FILE* file_;
  char delim_;
  std::unique_ptr<char[]> buffer_{new char[kBufferSize]};
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t line_;
};

bool EqualsIgnoringAsciiCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((text[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// "true" or "false" in any case (Boolean.valueOf's "true"; JMeter writes these two).
std::optional<bool> ParseSuccess(std::string_view text) {
  if (EqualsIgnoringAsciiCase(text, "true")) return true;
  if (EqualsIgnoringAsciiCase(text, "false")) return false;
  return std::nullopt;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

const std::vector<std::string_view> kCommonJtlTimestampFormats = {
    "yyyy/MM/dd HH:mm:ss.SSS",    "yyyy/MM/dd HH:mm:ss",       "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss",        "yyyy-MM-dd HH:mm:ss,SSS",   "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ssXXX",
    "yyyy-MM-dd'T'HH:mm:ssZ",     "yyyy-MM-dd'T'HH:mm:ss",
};

Status ReadJtl(const std::string& path, const JtlReadOptions& options,
               const std::function<Status(Sample&&, int64_t line)>& on_sample) {
  Result<TimestampReader> timestamps = TimestampReader::Make(options.timestamp_format);
  if (!timestamps.ok()) return timestamps.status();
  Result<UniqueFile> opened = OpenRegularFile(path, kNoSizeLimit, "a JTL");
  if (!opened.ok()) return opened.status();
  UniqueFile file = std::move(opened).value();

  // The first line decides: a header (with ',' or the delimiter it shows), or data.
  std::string first;
  int terminator;
  while ((terminator = std::fgetc(file.get())) != EOF && terminator != '\n' && terminator != '\r') {
    first.push_back(static_cast<char>(terminator));
  }
  const bool bom = first.size() >= 3 && first.compare(0, 3, "\xEF\xBB\xBF") == 0;
  if (bom) first.erase(0, 3);  // a UTF-8 byte order mark some editors add
  if (first.rfind("<?xml", 0) == 0 || first.rfind("<testResults", 0) == 0) {
    return Status::ParseError(path +
                              ":1: an XML results file (jmeter.save.saveservice.output_format=xml); "
                              "only CSV JTLs can be read");
  }
  char delim = ',';
  Header header = SplitHeader(first, delim);
  bool has_header = LooksLikeHeader(first, header);
  if (!has_header) {
    // CSVSaveService.extractDelimiter: the first non-word character after the first name.
    size_t i = 0;
    while (i < first.size() && IsWordChar(first[i])) ++i;
    if (i > 0 && i < first.size() && first[i] != ',') {
      Header other = SplitHeader(first, first[i]);
      if (LooksLikeHeader(first, other)) {
        header = std::move(other);
        has_header = true;
        delim = first[i];
      }
    }
  }
  std::vector<HeaderColumn> columns;
  if (has_header) {
    columns = std::move(header.columns);
    std::vector<bool> seen(AllJtlColumns().size());
    for (HeaderColumn c : columns) {
      if (!c) continue;
      const size_t index = static_cast<size_t>(*c);
      if (seen[index]) {
        return Status::ParseError(path + ":1: column " + std::string(JtlColumnInfoOf(*c).name) +
                                  " appears twice in the header");
      }
      seen[index] = true;
    }
    for (JtlColumn required : {JtlColumn::kTimeStamp, JtlColumn::kElapsed}) {
      if (!seen[static_cast<size_t>(required)]) {
        return Status::ParseError(path + ":1: the header has no " + std::string(JtlColumnInfoOf(required).name) +
                                  " column");
      }
    }
    if (terminator == '\r') {  // CRLF: skip the LF too
      const int ch = std::fgetc(file.get());
      if (ch != '\n' && ch != EOF) std::ungetc(ch, file.get());
    }
  } else if (std::fseek(file.get(), bom ? 3 : 0, SEEK_SET) != 0) {
    return Status::IoError("cannot seek in " + path + ": " + std::strerror(errno));
  }

  RecordReader reader(file.get(), delim, has_header ? 2 : 1);
  std::vector<std::string> fields;
  int64_t line = 0;
  auto error = [&](const std::string& what) {
    return Status::ParseError(path + ":" + std::to_string(line) + ": " + what);
  };
  while (true) {
    Result<bool> more = reader.Next(&fields, &line);
    if (!more.ok()) return Status::ParseError(path + ":" + more.status().message());
    if (!*more) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (columns.empty()) {
      if (fields.size() == JMeter213JtlColumns().size()) {
        columns.assign(JMeter213JtlColumns().begin(), JMeter213JtlColumns().end());
      } else if (fields.size() == DefaultJtlColumns().size()) {
        columns.assign(DefaultJtlColumns().begin(), DefaultJtlColumns().end());
      } else {
        return error("no header row, and " + std::to_string(fields.size()) +
                     " fields match neither JMeter 2.13's default columns (12) nor 5.x's (17)");
      }
    }
    if (fields.size() < columns.size()) {
      return error("expected " + std::to_string(columns.size()) + " fields, found " + std::to_string(fields.size()));
    }
    Sample s;
    std::optional<int64_t> intended_ms;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!columns[i]) continue;  // skipped
      std::string& text = fields[i];
      // Every numeric column but timeStamp is a duration, a size or a count: never negative.
      auto number = [&](std::string_view name) -> Result<int64_t> {
        std::optional<int64_t> v = ParseInt64(text);
        if (!v) return error(std::string(name) + " is not a whole number: " + Quote(text));
        if (*v < 0) return error(std::string(name) + " is negative: " + Quote(text));
        return *v;
      };
      auto assign = [&](std::string_view name, int64_t* out, int64_t scale) -> Status {
        Result<int64_t> v = number(name);
        if (!v.ok()) return v.status();
        if (*v > INT64_MAX / scale) return error(std::string(name) + " is out of range: " + Quote(text));
        *out = *v * scale;
        return Status::Ok();
      };
      auto assign32 = [&](std::string_view name, int32_t* out) -> Status {
        Result<int64_t> v = number(name);
        if (!v.ok()) return v.status();
        if (*v > INT32_MAX) {
          return error(std::string(name) + " is out of range: " + Quote(text));
        }
        *out = static_cast<int32_t>(*v);
        return Status::Ok();
      };
      Status st;
      switch (*columns[i]) {
        case JtlColumn::kTimeStamp: {
          Result<int64_t> t = timestamps->Read(text);
          if (!t.ok()) return error(t.status().message());
          s.timestamp_ms = *t;
          break;
        }
        case JtlColumn::kElapsed: st = assign("elapsed", &s.elapsed_us, 1000); break;
        case JtlColumn::kLabel: s.label = std::move(text); break;
        case JtlColumn::kResponseCode: s.response_code = std::move(text); break;
        case JtlColumn::kResponseMessage: s.response_message = std::move(text); break;
        case JtlColumn::kThreadName: s.thread_name = std::move(text); break;
        case JtlColumn::kDataType: s.data_type = std::move(text); break;
        case JtlColumn::kSuccess: {
          // JMeter reads it with Boolean.valueOf (anything but "true" is false) and writes
          // only "true" and "false"; any other text is a damaged file, not a failed sample.
          std::optional<bool> success = ParseSuccess(text);
          if (!success) return error("success is neither true nor false: " + Quote(text));
          s.success = *success;
          break;
        }
        case JtlColumn::kFailureMessage: s.failure_message = std::move(text); break;
        case JtlColumn::kBytes: st = assign("bytes", &s.bytes, 1); break;
        case JtlColumn::kSentBytes: st = assign("sentBytes", &s.sent_bytes, 1); break;
        case JtlColumn::kGrpThreads: st = assign32("grpThreads", &s.grp_threads); break;
        case JtlColumn::kAllThreads: st = assign32("allThreads", &s.all_threads); break;
        case JtlColumn::kUrl: s.url = text == "null" ? std::string() : std::move(text); break;
        case JtlColumn::kLatency: st = assign("Latency", &s.latency_us, 1000); break;
        case JtlColumn::kIdleTime: st = assign("IdleTime", &s.idle_us, 1000); break;
        case JtlColumn::kConnect: st = assign("Connect", &s.connect_us, 1000); break;
        case JtlColumn::kIntendedStart: {
          std::optional<int64_t> v = ParseInt64(text);
          if (!v) return error("intendedStart is not a whole number: " + Quote(text));
          intended_ms = *v;
          break;
        }
        case JtlColumn::kFilename:
        case JtlColumn::kEncoding:
        case JtlColumn::kSampleCount:
        case JtlColumn::kErrorCount:
        case JtlColumn::kHostname: break;
      }
      if (!st.ok()) return st;
    }
    if (intended_ms) {
      // The lag behind the intended start (barrage's intendedStart column, jtl_writer.h).
      if (*intended_ms > s.timestamp_ms) {
        return error("intendedStart " + std::to_string(*intended_ms) + " is after timeStamp " +
                     std::to_string(s.timestamp_ms));
      }
      if (s.timestamp_ms - *intended_ms > INT64_MAX / 1000) {
        return error("intendedStart is out of range: " + std::to_string(*intended_ms));
      }
      s.schedule_lag_us = (s.timestamp_ms - *intended_ms) * 1000;
    }
    if (Status st = on_sample(std::move(s), line); !st.ok()) return st;
  }
  return Status::Ok();
}

Status ReadJtl(const std::string& path, const std::function<void(Sample&&)>& on_sample) {
  return ReadJtl(path, JtlReadOptions{}, [&](Sample&& s, int64_t) {
    on_sample(std::move(s));
    return Status::Ok();
  });
}

Result<std::vector<Sample>> ReadJtlFile(const std::string& path, const JtlReadOptions& options) {
  std::vector<Sample> samples;
  Status st = ReadJtl(path, options, [&](Sample&& s, int64_t) {
    samples.push_back(std::move(s));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return samples;
}

}  // namespace barrage
