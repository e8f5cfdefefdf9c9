// File functions beyond functions.cc's __StringFromFile and __FileToString: __CSVRead
// (JMeter's CSVRead, FileWrapper and FileRowColContainer).
#include <spdlog/spdlog.h>

#include "common/functions_internal.h"
#include "common/input_file.h"

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

}  // namespace function_impl
}  // namespace barrage
