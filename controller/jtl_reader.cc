#include "controller/jtl_reader.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "common/hash_tree.h"

namespace barrage {
namespace {

// Columns in the order JMeter writes and reads them (CSVSaveService.headerLabelMethods).
enum class Column {
  kTimeStamp, kElapsed, kLabel, kResponseCode, kResponseMessage, kThreadName, kDataType,
  kSuccess, kFailureMessage, kBytes, kSentBytes, kGrpThreads, kAllThreads, kUrl, kFilename,
  kLatency, kEncoding, kSampleCount, kErrorCount, kHostname, kIdleTime, kConnect,
  kVariable,  // a quoted sample_variables column: skipped
};

constexpr std::array<std::string_view, 22> kColumnNames = {
    "timeStamp", "elapsed", "label", "responseCode", "responseMessage", "threadName",
    "dataType", "success", "failureMessage", "bytes", "sentBytes", "grpThreads", "allThreads",
    "URL", "Filename", "Latency", "Encoding", "SampleCount", "ErrorCount", "Hostname",
    "IdleTime", "Connect"};

const std::vector<Column> kJMeter213Defaults = {
    Column::kTimeStamp, Column::kElapsed, Column::kLabel, Column::kResponseCode,
    Column::kResponseMessage, Column::kThreadName, Column::kDataType, Column::kSuccess,
    Column::kBytes, Column::kGrpThreads, Column::kAllThreads, Column::kLatency};

const std::vector<Column> kJMeter5Defaults = {
    Column::kTimeStamp, Column::kElapsed, Column::kLabel, Column::kResponseCode,
    Column::kResponseMessage, Column::kThreadName, Column::kDataType, Column::kSuccess,
    Column::kFailureMessage, Column::kBytes, Column::kSentBytes, Column::kGrpThreads,
    Column::kAllThreads, Column::kUrl, Column::kLatency, Column::kIdleTime, Column::kConnect};

bool IsVariableName(std::string_view name) {
  return name.size() > 2 && name.front() == '"' && name.back() == '"';
}

// The header's columns when `line` split on `delim` is a valid JMeter header: known names
// in JMeter's order, variable names last (CSVSaveService.splitHeader).
std::optional<std::vector<Column>> SplitHeader(std::string_view line, char delim) {
  std::vector<Column> columns;
  int previous = -1;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delim, start);
    std::string_view name = line.substr(start, end == std::string_view::npos ? end : end - start);
    if (IsVariableName(name)) {
      previous = static_cast<int>(kColumnNames.size());
      columns.push_back(Column::kVariable);
    } else {
      int index = -1;
      for (size_t i = 0; i < kColumnNames.size(); ++i) {
        if (kColumnNames[i] == name) index = static_cast<int>(i);
      }
      if (index <= previous) return std::nullopt;  // unknown, or out of order
      previous = index;
      columns.push_back(static_cast<Column>(index));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return columns;
}

// Reads records from a file the way CSVSaveService.csvReadFile does.
class RecordReader {
 public:
  RecordReader(std::FILE* file, char delim, int64_t first_line)
      : file_(file), delim_(delim), line_(first_line) {}

  // Next record into `fields`; false at end of file. `line` is the record's first line.
  Result<bool> Next(std::vector<std::string>* fields, int64_t* line) {
    fields->clear();
    std::string field;
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
          } else if (delim_or_eol) {
            push = true;
          } else {
            field.push_back(static_cast<char>(ch));
            state = State::kPlain;
          }
          break;
        case State::kPlain:
          if (ch == '"') {
            return Error("quote character inside an unquoted field");
          } else if (delim_or_eol) {
            push = true;
            state = State::kInitial;
          } else {
            field.push_back(static_cast<char>(ch));
          }
          break;
        case State::kQuoted:
          if (ch == '"') {
            state = State::kEmbeddedQuote;
          } else {
            field.push_back(static_cast<char>(ch));
          }
          break;
        case State::kEmbeddedQuote:
          if (ch == '"') {
            field.push_back('"');
            state = State::kQuoted;
          } else if (delim_or_eol) {
            push = true;
            state = State::kInitial;
          } else {
            return Error("single quote character inside a quoted field");
          }
          break;
      }
      if (push) {
        fields->push_back(std::move(field));
        field.clear();
        if (ch == '\n' || ch == '\r') {  // end of record: CRLF counts as one line end
          if (ch == '\r' && Peek() == '\n') Get();
          ++line_;
          return true;
        }
      } else if (ch == '\n' || (ch == '\r' && Peek() != '\n')) {
        ++line_;  // a line break inside a quoted field
      }
    }
    if (std::ferror(file_)) return Error(std::string("read failed: ") + std::strerror(errno));
    if (state == State::kQuoted) return Error("missing closing quote");
    if (!any) return false;
    fields->push_back(std::move(field));
    return true;
  }

 private:
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
  Status Error(const std::string& what) const {
    return Status::ParseError(std::to_string(line_) + ": " + what);
  }

  static constexpr size_t kBufferSize = 1 << 20;
  std::FILE* file_;
  char delim_;
  std::unique_ptr<char[]> buffer_{new char[kBufferSize]};
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t line_;
};

bool IsTrue(std::string_view text) {  // Java's Boolean.valueOf
  if (text.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((text[i] | 0x20) != "true"[i]) return false;
  }
  return true;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Status ReadJtl(const std::string& path, const std::function<void(Sample&&)>& on_sample) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));

  // The first line decides: a header (with ',' or the delimiter it shows), or data.
  std::string first;
  int terminator;
  while ((terminator = std::fgetc(file.get())) != EOF && terminator != '\n' && terminator != '\r') {
    first.push_back(static_cast<char>(terminator));
  }
  const bool bom = first.size() >= 3 && first.compare(0, 3, "\xEF\xBB\xBF") == 0;
  if (bom) first.erase(0, 3);  // a UTF-8 byte order mark some editors add
  char delim = ',';
  std::optional<std::vector<Column>> header = SplitHeader(first, delim);
  if (!header) {
    // CSVSaveService.extractDelimiter: the first non-word character after the first name.
    size_t i = 0;
    while (i < first.size() && IsWordChar(first[i])) ++i;
    if (i > 0 && i < first.size()) {
      header = SplitHeader(first, first[i]);
      if (header) delim = first[i];
    }
  }
  std::vector<Column> columns;
  if (header) {
    columns = std::move(*header);
    if (terminator == '\r') {  // CRLF: skip the LF too
      const int ch = std::fgetc(file.get());
      if (ch != '\n' && ch != EOF) std::ungetc(ch, file.get());
    }
  } else if (std::fseek(file.get(), bom ? 3 : 0, SEEK_SET) != 0) {
    return Status::IoError("cannot seek in " + path + ": " + std::strerror(errno));
  }

  RecordReader reader(file.get(), delim, header ? 2 : 1);
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
      if (fields.size() == kJMeter213Defaults.size()) {
        columns = kJMeter213Defaults;
      } else if (fields.size() == kJMeter5Defaults.size()) {
        columns = kJMeter5Defaults;
      } else {
        return error("no header row, and " + std::to_string(fields.size()) +
                     " fields match neither JMeter 2.13's default columns (12) nor 5.x's (17)");
      }
    }
    if (fields.size() < columns.size()) {
      return error("expected " + std::to_string(columns.size()) + " fields, found " +
                   std::to_string(fields.size()));
    }
    Sample s;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string& text = fields[i];
      auto number = [&](std::string_view name) -> Result<int64_t> {
        std::optional<int64_t> v = ParseInt64(text);
        if (!v) return error(std::string(name) + " is not a whole number: '" + text + "'");
        return *v;
      };
      auto assign = [&](std::string_view name, int64_t* out, int64_t scale) -> Status {
        Result<int64_t> v = number(name);
        if (!v.ok()) return v.status();
        *out = *v * scale;
        return Status::Ok();
      };
      Status st;
      switch (columns[i]) {
        case Column::kTimeStamp: st = assign("timeStamp", &s.timestamp_ms, 1); break;
        case Column::kElapsed: st = assign("elapsed", &s.elapsed_us, 1000); break;
        case Column::kLabel: s.label = std::move(text); break;
        case Column::kResponseCode: s.response_code = std::move(text); break;
        case Column::kResponseMessage: s.response_message = std::move(text); break;
        case Column::kThreadName: s.thread_name = std::move(text); break;
        case Column::kDataType: s.data_type = std::move(text); break;
        case Column::kSuccess: s.success = IsTrue(text); break;
        case Column::kFailureMessage: s.failure_message = std::move(text); break;
        case Column::kBytes: st = assign("bytes", &s.bytes, 1); break;
        case Column::kSentBytes: st = assign("sentBytes", &s.sent_bytes, 1); break;
        case Column::kGrpThreads:
        case Column::kAllThreads: {
          Result<int64_t> v = number(columns[i] == Column::kGrpThreads ? "grpThreads" : "allThreads");
          if (!v.ok()) return v.status();
          (columns[i] == Column::kGrpThreads ? s.grp_threads : s.all_threads) = static_cast<int32_t>(*v);
          break;
        }
        case Column::kUrl: s.url = text == "null" ? std::string() : std::move(text); break;
        case Column::kLatency: st = assign("Latency", &s.latency_us, 1000); break;
        case Column::kIdleTime: st = assign("IdleTime", &s.idle_us, 1000); break;
        case Column::kConnect: st = assign("Connect", &s.connect_us, 1000); break;
        case Column::kFilename:
        case Column::kEncoding:
        case Column::kSampleCount:
        case Column::kErrorCount:
        case Column::kHostname:
        case Column::kVariable:
          break;
      }
      if (!st.ok()) return st;
    }
    on_sample(std::move(s));
  }
  return Status::Ok();
}

Result<std::vector<Sample>> ReadJtlFile(const std::string& path) {
  std::vector<Sample> samples;
  Status st = ReadJtl(path, [&](Sample&& s) { samples.push_back(std::move(s)); });
  if (!st.ok()) return st;
  return samples;
}

}  // namespace barrage
