// File functions beyond functions.cc's __StringFromFile and __FileToString: __CSVRead
// (JMeter's CSVRead, FileWrapper and FileRowColContainer) and __StringToFile.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/functions_internal.h"
#include "common/input_file.h"
#include "common/utf8.h"

namespace barrage {

struct RunContext::CsvReadFile {
  std::mutex mu;
  std::vector<std::vector<std::string>> rows;
  int next_row = 0;
};

namespace {

// FileRowColContainer.splitLine: StringTokenizer(line, delimiter, true). Every character of
// the delimiter string splits, and a token equal to the whole delimiter string is a
// delimiter (so a one-character delimiter behaves as expected): ",a,,b," is "", "a", "",
// "b", "".
std::vector<std::string> SplitCsvReadLine(std::string_view line, std::string_view delimiter) {
  std::vector<std::string> fields;
  bool last_was_delimiter = true;
  for (size_t i = 0; i < line.size();) {
    std::string_view token;
    if (delimiter.find(line[i]) != std::string_view::npos) {
      token = line.substr(i, 1);
    } else {
      size_t end = i;
      while (end < line.size() && delimiter.find(line[end]) == std::string_view::npos) ++end;
      token = line.substr(i, end - i);
    }
    i += token.size();
    if (token == delimiter) {
      if (last_was_delimiter) fields.emplace_back();
      last_was_delimiter = true;
    } else {
      last_was_delimiter = false;
      fields.emplace_back(token);
    }
  }
  if (last_was_delimiter) fields.emplace_back();
  return fields;
}

}  // namespace

std::shared_ptr<RunContext::CsvReadFile> RunContext::OpenCsvReadFile(const std::string& alias,
                                                                     const std::string& path) {
  {
    std::lock_guard lock(mu_);
    auto it = csv_read_files_.find(alias);
    if (it != csv_read_files_.end()) return it->second;
  }
  Result<std::string> text = ReadRegularFile(path, kMaxDataFileBytes, "a __CSVRead file");
  if (!text.ok()) {
    spdlog::warn("__CSVRead: {}", text.status().message());
    return nullptr;
  }
  auto file = std::make_shared<CsvReadFile>();
  std::string delimiter = properties.Get("csvread.delimiter").value_or(",");
  // BufferedReader.readLine up to the first empty line (the rest may be comments).
  std::string_view d = *text;
  for (size_t pos = 0; pos < d.size();) {
    size_t end = d.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = d.size();
    if (end == pos) break;
    file->rows.push_back(SplitCsvReadLine(d.substr(pos, end - pos), delimiter));
    pos = end;
    if (pos < d.size()) pos += (d[pos] == '\r' && pos + 1 < d.size() && d[pos + 1] == '\n') ? 2 : 1;
  }
  std::lock_guard lock(mu_);
  auto [it, inserted] = csv_read_files_.emplace(alias, std::move(file));
  if (inserted && csv_read_default_.empty()) csv_read_default_ = path;
  return it->second;
}

std::string RunContext::DefaultCsvReadFile() {
  std::lock_guard lock(mu_);
  return csv_read_files_.size() == 1 ? csv_read_default_ : "";
}

int RunContext::NextCsvReadRow(CsvReadFile& file) {
  std::lock_guard lock(file.mu);
  int row = file.next_row;
  if (++file.next_row >= static_cast<int>(file.rows.size())) file.next_row = 0;
  return row;
}

std::optional<std::string> RunContext::CsvReadColumn(const CsvReadFile& file, int row, int64_t col) {
  // Rows are never changed after loading: no lock needed.
  if (row < 0 || row >= static_cast<int>(file.rows.size())) return std::nullopt;
  const std::vector<std::string>& fields = file.rows[static_cast<size_t>(row)];
  if (col < 0 || col >= static_cast<int64_t>(fields.size())) return std::nullopt;
  return fields[static_cast<size_t>(col)];
}

namespace function_impl {

namespace {

// FileWrapper.checkDefault: an empty name means the one file open, if exactly one is.
std::string CheckDefault(RunContext& run, std::string_view file) {
  if (!file.empty()) return std::string(file);
  std::string fallback = run.DefaultCsvReadFile();
  if (fallback.empty()) spdlog::error("__CSVRead: cannot determine default file name");
  return fallback;
}

// FileWrapper.open: this user's cursor on `alias`, opening `file` under it when new.
CsvReadCursor* OpenFor(ThreadContext& ctx, const std::string& file, const std::string& alias) {
  auto it = ctx.csv_read.find(alias);
  if (it != ctx.csv_read.end()) return &it->second;
  RunContext& run = Run(ctx);
  std::shared_ptr<RunContext::CsvReadFile> opened = run.OpenCsvReadFile(alias, ResolvePath(run, file));
  if (!opened) return nullptr;
  CsvReadCursor& cursor = ctx.csv_read[alias];
  cursor.file = std::move(opened);
  return &cursor;
}

}  // namespace

// __CSVRead(file, column): column N (from 0) of this user's current row of the file; the
// first read of a row takes the file's next row (one sequence shared by all users,
// wrapping round). __CSVRead(file, next) (or next()) ends this user's row and returns "";
// __CSVRead(file, *alias) opens the file under an alias (then __CSVRead(*alias, N)). A
// column out of range, a column that is not a number, or a file that cannot be read gives
// "".
bool FnCsvRead(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string file(a[0]);
  std::string_view column = a[1];
  RunContext& run = Run(ctx);
  if (!column.empty() && column[0] == '*') {
    std::string path = CheckDefault(run, file);
    if (!path.empty()) OpenFor(ctx, path, std::string(column));
    return true;
  }
  if (column == "next()" || column == "next") {
    auto it = ctx.csv_read.find(CheckDefault(run, file));
    if (it != ctx.csv_read.end()) it->second.row = -1;
    return true;
  }
  std::optional<int32_t> col = JavaParseInt(column);  // Integer.parseInt, before any read
  if (!col) {
    spdlog::warn("{} - can't parse column number: {}", ctx.thread_name, column);
    return true;
  }
  CsvReadCursor* cursor = nullptr;
  if (auto it = ctx.csv_read.find(file); it != ctx.csv_read.end()) {
    cursor = &it->second;
  } else if (file.empty() || file[0] != '*') {  // an alias cannot open a file
    std::string path = CheckDefault(run, file);
    if (!path.empty()) cursor = OpenFor(ctx, path, path);
  }
  if (cursor == nullptr) return true;
  if (cursor->row < 0) cursor->row = RunContext::NextCsvReadRow(*cursor->file);
  std::optional<std::string> value = RunContext::CsvReadColumn(*cursor->file, cursor->row, *col);
  if (value) out->append(*value);
  return true;
}

namespace {

// The text in `charset` (UTF-8, ISO-8859-1 or US-ASCII, Java's names and aliases; a
// character the charset lacks becomes '?'); nullopt for another charset.
std::optional<std::string> Encode(std::string_view utf8, std::string_view charset) {
  std::string name;
  for (char c : charset) name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  if (name.empty() || name == "UTF-8" || name == "UTF8") return std::string(utf8);
  uint32_t limit = 0;
  if (name == "ISO-8859-1" || name == "ISO8859_1" || name == "LATIN1" || name == "ISO_8859_1") limit = 0xFF;
  if (name == "US-ASCII" || name == "ASCII") limit = 0x7F;
  if (limit == 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(utf8[i])), utf8.size() - i);
    uint32_t cp = static_cast<unsigned char>(utf8[i]);
    if (len == 2) cp = ((cp & 0x1F) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F);
    if (len > 2) cp = 0x10000;  // beyond both charsets
    out.push_back(cp <= limit ? static_cast<char>(cp) : '?');
    i += len;
  }
  return out;
}

}  // namespace

// __StringToFile(path, content[, append[, charset]]): writes the content ("\n" written as
// two characters becomes a line break) to the file, appending unless `append` is "false"
// (any case; empty means true), in UTF-8 unless a charset is given. "true" when written;
// "false" for an empty name, a parent folder that is missing or not writable, a path that
// is not a regular file (a FIFO is not waited for), an unknown charset or a write error.
// Relative names resolve against the plan's folder. Writes are serialised.
bool FnStringToFile(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view name = a.Trimmed(0);
  bool append = true;
  if (a.size() > 2 && !a.Trimmed(2).empty()) append = EqualsIgnoreCase(a.Trimmed(2), "true");
  std::string content;
  std::string_view raw = a[1];
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == 'n') {
      content.push_back('\n');
      ++i;
    } else {
      content.push_back(raw[i]);
    }
  }
  std::optional<std::string> bytes = Encode(content, a.size() > 3 ? a[3] : "");
  auto fail = [&](const std::string& why) {
    spdlog::error("__StringToFile: {}", why);
    out->append("false");
    return true;
  };
  if (name.empty()) return fail("the file name is empty");
  if (!bytes) return fail("unsupported charset " + std::string(a[3]));
  std::string path = ResolvePath(Run(ctx), name);
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && access(parent.c_str(), W_OK) != 0) {
    return fail("the parent folder of " + path + " doesn't exist or is not writable");
  }
  static std::mutex mu;
  std::lock_guard lock(mu);
  int flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) return fail(path + ": " + std::strerror(errno));
  struct stat st;
  bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  bool written = regular;
  for (size_t done = 0; written && done < bytes->size();) {
    ssize_t n = write(fd, bytes->data() + done, bytes->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) written = false;
    if (n > 0) done += static_cast<size_t>(n);
  }
  close(fd);
  if (!regular) return fail(path + ": not a regular file");
  if (!written) return fail(path + ": write error");
  out->append("true");
  return true;
}

}  // namespace function_impl
}  // namespace barrage
