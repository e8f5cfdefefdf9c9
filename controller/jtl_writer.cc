#include "controller/jtl_writer.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace barrage {
namespace {

constexpr size_t kBufferLimit = 1 << 20;

void AppendInt(int64_t v, std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), v);
  out->append(digits, end);
}

// Microseconds to JMeter's whole milliseconds (truncated; negative durations become 0).
int64_t Ms(int64_t us) { return us > 0 ? us / 1000 : 0; }

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

std::string_view JtlHeader() {
  return "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
         "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect";
}

void AppendCsvField(std::string_view field, char delimiter, std::string* out) {
  if (field.find_first_of(std::string_view{"\"\r\n"}) == std::string_view::npos &&
      field.find(delimiter) == std::string_view::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendJtlRow(const Sample& s, std::string* out) {
  constexpr char kDelim = ',';
  AppendInt(s.timestamp_ms, out);
  out->push_back(kDelim);
  AppendInt(Ms(s.elapsed_us), out);
  out->push_back(kDelim);
  AppendCsvField(s.label, kDelim, out);
  out->push_back(kDelim);
  AppendCsvField(s.response_code, kDelim, out);
  out->push_back(kDelim);
  AppendCsvField(s.response_message, kDelim, out);
  out->push_back(kDelim);
  AppendCsvField(s.thread_name, kDelim, out);
  out->push_back(kDelim);
  AppendCsvField(s.data_type, kDelim, out);
  out->push_back(kDelim);
  out->append(s.success ? "true" : "false");
  out->push_back(kDelim);
  AppendCsvField(s.failure_message, kDelim, out);
  out->push_back(kDelim);
  AppendInt(s.bytes, out);
  out->push_back(kDelim);
  AppendInt(s.sent_bytes, out);
  out->push_back(kDelim);
  AppendInt(s.grp_threads, out);
  out->push_back(kDelim);
  AppendInt(s.all_threads, out);
  out->push_back(kDelim);
  AppendCsvField(s.url.empty() ? std::string_view{"null"} : std::string_view{s.url}, kDelim, out);
  out->push_back(kDelim);
  AppendInt(Ms(s.latency_us), out);
  out->push_back(kDelim);
  AppendInt(Ms(s.idle_us), out);
  out->push_back(kDelim);
  AppendInt(Ms(s.connect_us), out);
  out->push_back('\n');
}

namespace {

void AppendColumn(const Sample& s, JtlColumn column, std::string* out) {
  constexpr char kDelim = ',';
  switch (column) {
    case JtlColumn::kTimeStamp: AppendInt(s.timestamp_ms, out); return;
    case JtlColumn::kElapsed: AppendInt(Ms(s.elapsed_us), out); return;
    case JtlColumn::kLabel: AppendCsvField(s.label, kDelim, out); return;
    case JtlColumn::kResponseCode: AppendCsvField(s.response_code, kDelim, out); return;
    case JtlColumn::kResponseMessage: AppendCsvField(s.response_message, kDelim, out); return;
    case JtlColumn::kThreadName: AppendCsvField(s.thread_name, kDelim, out); return;
    case JtlColumn::kDataType: AppendCsvField(s.data_type, kDelim, out); return;
    case JtlColumn::kSuccess: out->append(s.success ? "true" : "false"); return;
    case JtlColumn::kFailureMessage: AppendCsvField(s.failure_message, kDelim, out); return;
    case JtlColumn::kBytes: AppendInt(s.bytes, out); return;
    case JtlColumn::kSentBytes: AppendInt(s.sent_bytes, out); return;
    case JtlColumn::kGrpThreads: AppendInt(s.grp_threads, out); return;
    case JtlColumn::kAllThreads: AppendInt(s.all_threads, out); return;
    case JtlColumn::kUrl:
      AppendCsvField(s.url.empty() ? std::string_view{"null"} : std::string_view{s.url}, kDelim, out);
      return;
    case JtlColumn::kFilename: return;
    case JtlColumn::kLatency: AppendInt(Ms(s.latency_us), out); return;
    case JtlColumn::kSampleCount: out->push_back('1'); return;
    case JtlColumn::kErrorCount: out->push_back(s.success ? '0' : '1'); return;
    case JtlColumn::kIdleTime: AppendInt(Ms(s.idle_us), out); return;
    case JtlColumn::kConnect: AppendInt(Ms(s.connect_us), out); return;
    case JtlColumn::kIntendedStart: AppendInt(s.timestamp_ms - Ms(s.schedule_lag_us), out); return;
    case JtlColumn::kEncoding:
    case JtlColumn::kHostname: return;  // never selected (jtl_columns.h)
  }
}

}  // namespace

std::string JtlHeader(const std::vector<JtlColumn>& columns) {
  std::string out;
  for (JtlColumn c : columns) {
    if (!out.empty()) out.push_back(',');
    out.append(JtlColumnInfoOf(c).name);
  }
  return out;
}

void AppendJtlRow(const Sample& sample, const std::vector<JtlColumn>& columns, std::string* out) {
  bool first = true;
  for (JtlColumn c : columns) {
    if (!first) out->push_back(',');
    first = false;
    AppendColumn(sample, c, out);
  }
  out->push_back('\n');
}

JtlWriter::JtlWriter(std::string path, std::FILE* file, Options options)
    : path_(std::move(path)),
      file_(file),
      options_(std::move(options)),
      default_columns_(options_.columns == DefaultJtlColumns()),
      last_flush_us_(options_.clock->MonotonicMicros()) {
  buffer_.reserve(kBufferLimit + 4096);
}

JtlWriter::JtlWriter(JtlWriter&& other) noexcept
    : path_(std::move(other.path_)),
      file_(std::exchange(other.file_, nullptr)),
      options_(std::move(other.options_)),
      default_columns_(other.default_columns_),
      last_flush_us_(other.last_flush_us_),
      buffer_(std::move(other.buffer_)),
      rows_(other.rows_) {}

JtlWriter& JtlWriter::operator=(JtlWriter&& other) noexcept {
  if (this != &other) {
    (void)Close();  // as in the destructor: a caller who wants the error calls Close() first
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
    options_ = std::move(other.options_);
    default_columns_ = other.default_columns_;
    last_flush_us_ = other.last_flush_us_;
    buffer_ = std::move(other.buffer_);
    rows_ = other.rows_;
  }
  return *this;
}

JtlWriter::~JtlWriter() { (void)Close(); }  // the error is lost (jtl_writer.h)

Result<JtlWriter> JtlWriter::Open(const std::string& path, Mode mode, Options options) {
  std::FILE* file = std::fopen(path.c_str(), mode == Mode::kAppend ? "ab" : "wb");
  if (!file) return Status::IoError("cannot open " + path + " for writing: " + ErrnoText());
  // Our own buffer does the batching; stdio's would only add a copy.
  std::setvbuf(file, nullptr, _IONBF, 0);
  bool needs_header = true;
  if (mode == Mode::kAppend) {
    if (std::fseek(file, 0, SEEK_END) != 0) {
      Status error = Status::IoError("cannot seek in " + path + ": " + ErrnoText());
      std::fclose(file);
      return error;
    }
    needs_header = std::ftell(file) == 0;
  }
  JtlWriter writer(path, file, std::move(options));
  if (needs_header && writer.options_.header) {
    writer.buffer_.append(JtlHeader(writer.options_.columns));
    writer.buffer_.push_back('\n');
  }
  return writer;
}

Status JtlWriter::Write(const Sample& sample) {
  if (!file_) return Status::IoError("write to " + path_ + ": file is closed");
  AppendRow(sample);
  ++rows_;
  return buffer_.size() >= kBufferLimit ? Flush() : FlushIfDue();
}

Status JtlWriter::Write(const std::vector<Sample>& samples) {
  if (!file_) return Status::IoError("write to " + path_ + ": file is closed");
  for (const Sample& s : samples) {
    AppendRow(s);
    ++rows_;
    if (buffer_.size() >= kBufferLimit) {
      if (Status st = Flush(); !st.ok()) return st;
    }
  }
  return FlushIfDue();
}

void JtlWriter::AppendRow(const Sample& sample) {
  if (default_columns_) {
    AppendJtlRow(sample, &buffer_);  // the usual -l file: no per-column dispatch
  } else {
    AppendJtlRow(sample, options_.columns, &buffer_);
  }
}

Status JtlWriter::FlushIfDue() {
  if (!file_) return Status::IoError("write to " + path_ + ": file is closed");
  const int64_t since_us = options_.clock->MonotonicMicros() - last_flush_us_;
  return since_us >= std::chrono::microseconds(options_.flush_interval).count() ? Flush() : Status::Ok();
}

Status JtlWriter::Flush() {
  if (!file_) return Status::IoError("write to " + path_ + ": file is closed");
  last_flush_us_ = options_.clock->MonotonicMicros();
  if (buffer_.empty()) return Status::Ok();
  const size_t written = std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  if (written != buffer_.size()) {
    Status error = Status::IoError("write to " + path_ + " failed: " + ErrnoText());
    buffer_.erase(0, written);
    return error;
  }
  buffer_.clear();
  return Status::Ok();
}

Status JtlWriter::Close() {
  if (!file_) return Status::Ok();
  Status st = Flush();
  if (std::fclose(file_) != 0 && st.ok()) {
    st = Status::IoError("close " + path_ + " failed: " + ErrnoText());
  }
  file_ = nullptr;
  return st;
}

}  // namespace barrage
