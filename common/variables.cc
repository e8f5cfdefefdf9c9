#include "common/variables.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/input_file.h"
#include "common/java_lang.h"
#include "common/utf8.h"

namespace barrage {

// ---------------------------------------------------------------------------------------
// Variables

const std::string* Variables::Get(std::string_view name) const {
  auto it = map_.find(name);
  return it == map_.end() ? nullptr : &it->second;
}

void Variables::Put(std::string_view name, std::string value) {
  auto it = map_.find(name);
  if (it != map_.end()) {
    it->second = std::move(value);
  } else {
    map_.emplace(std::string(name), std::move(value));
  }
}

void Variables::Remove(std::string_view name) {
  auto it = map_.find(name);
  if (it != map_.end()) map_.erase(it);
}

std::map<std::string, std::string> Variables::Sorted() const {
  return std::map<std::string, std::string>(map_.begin(), map_.end());
}

// ---------------------------------------------------------------------------------------
// Properties

std::optional<std::string> Properties::Get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(name);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void Properties::Remove(std::string_view name) {
  std::unique_lock lock(mu_);
  if (auto it = map_.find(name); it != map_.end()) map_.erase(it);
}

void Properties::Set(std::string_view name, std::string value) {
  std::unique_lock lock(mu_);
  auto it = map_.find(name);
  if (it != map_.end()) {
    it->second = std::move(value);
  } else {
    map_.emplace(std::string(name), std::move(value));
  }
}

std::map<std::string, std::string> Properties::Snapshot() const {
  std::shared_lock lock(mu_);
  return std::map<std::string, std::string>(map_.begin(), map_.end());
}

namespace {

bool IsPropertiesSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// One logical line of a .properties file (continuations joined, as java.util.Properties'
// LineReader builds it), with where each physical line starts in it for error messages.
struct LogicalLine {
  std::string text;
  std::vector<std::pair<size_t, int>> starts;  // (offset in text, physical line number)

  int LineAt(size_t offset) const {
    int line = starts.front().second;
    for (const auto& [at, n] : starts) {
      if (at <= offset) line = n;
    }
    return line;
  }
};

// Splits `data` into logical lines the way java.util.Properties.LineReader does: leading
// blanks skipped, blank and comment (# !) lines dropped, a line ending in an odd number of
// backslashes continues on the next one (whose leading blanks are skipped).
std::vector<LogicalLine> ReadLogicalLines(std::string_view data) {
  std::vector<LogicalLine> lines;
  size_t pos = 0;
  int line_no = 0;
  LogicalLine current;
  bool continuing = false;
  while (pos < data.size()) {
    // One physical line: [pos, end).
    size_t end = pos;
    while (end < data.size() && data[end] != '\n' && data[end] != '\r') ++end;
    ++line_no;
    std::string_view physical = data.substr(pos, end - pos);
    // Next line start: "\r\n" counts as one terminator.
    pos = end;
    if (pos < data.size()) {
      if (data[pos] == '\r' && pos + 1 < data.size() && data[pos + 1] == '\n') ++pos;
      ++pos;
    }
    size_t i = 0;
    while (i < physical.size() && IsPropertiesSpace(physical[i])) ++i;
    std::string_view content = physical.substr(i);
    if (!continuing) {
      if (content.empty()) continue;
      if (content[0] == '#' || content[0] == '!') continue;
      current = LogicalLine();
    } else if (content.empty()) {
      // An empty continuation line ends the logical line.
      lines.push_back(std::move(current));
      continuing = false;
      continue;
    }
    current.starts.emplace_back(current.text.size(), line_no);
    current.text.append(content);
    size_t backslashes = 0;
    while (backslashes < content.size() && content[content.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 1) {
      current.text.pop_back();
      continuing = true;
    } else {
      lines.push_back(std::move(current));
      continuing = false;
    }
  }
  if (continuing) lines.push_back(std::move(current));
  return lines;
}

// java.util.Properties.loadConvert: resolves \t \n \r \f \uXXXX and drops the backslash
// before any other character. Returns the offset of a malformed \u escape, or npos.
size_t Unescape(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  uint32_t pending_high = 0;  // a high surrogate waiting for its low half
  auto flush_high = [&] {
    if (pending_high != 0) out->push_back('?');
    pending_high = 0;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 >= in.size()) {
      flush_high();
      out->push_back(c);
      continue;
    }
    char e = in[++i];
    if (e == 'u') {
      if (i + 4 >= in.size()) return i - 1;
      uint32_t cp = 0;
      for (size_t k = 1; k <= 4; ++k) {
        int h = JavaHexDigit(in[i + k]);
        if (h < 0) return i - 1;
        cp = cp * 16 + static_cast<uint32_t>(h);
      }
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        flush_high();
        pending_high = cp;
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        if (pending_high != 0) {
          AppendUtf8(0x10000 + ((pending_high - 0xD800) << 10) + (cp - 0xDC00), out);
          pending_high = 0;
        } else {
          out->push_back('?');
        }
      } else {
        flush_high();
        AppendUtf8(cp, out);
      }
      continue;
    }
    flush_high();
    switch (e) {
      case 't': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 'f': out->push_back('\f'); break;
      default: out->push_back(e); break;
    }
  }
  flush_high();
  return std::string_view::npos;
}

}  // namespace

Status Properties::LoadFile(const std::string& path) {
  Result<std::string> read = ReadRegularFile(path, kMaxConfigBytes, "a property file");
  if (!read.ok()) return read.status();
  std::string data = std::move(read).value();

  std::vector<std::pair<std::string, std::string>> parsed;
  for (const LogicalLine& line : ReadLogicalLines(data)) {
    std::string_view text = line.text;
    // The key ends at the first unescaped '=', ':' or blank.
    size_t key_end = 0;
    size_t value_start = text.size();
    bool has_separator = false;
    bool escaped = false;
    for (; key_end < text.size(); ++key_end) {
      char c = text[key_end];
      if (!escaped && (c == '=' || c == ':')) {
        value_start = key_end + 1;
        has_separator = true;
        break;
      }
      if (!escaped && IsPropertiesSpace(c)) {
        value_start = key_end + 1;
        break;
      }
      escaped = c == '\\' ? !escaped : false;
    }
    // Blanks, then at most one '=' or ':' (when the key ended on a blank), then blanks.
    while (value_start < text.size()) {
      char c = text[value_start];
      if (!IsPropertiesSpace(c)) {
        if (!has_separator && (c == '=' || c == ':')) {
          has_separator = true;
        } else {
          break;
        }
      }
      ++value_start;
    }
    std::string key, value;
    size_t bad = Unescape(text.substr(0, key_end), &key);
    if (bad == std::string_view::npos) {
      bad = Unescape(text.substr(value_start), &value);
      if (bad != std::string_view::npos) bad += value_start;
    }
    if (bad != std::string_view::npos) {
      std::string_view escape = text.substr(bad, 6);
      return Status::ParseError(path + ":" + std::to_string(line.LineAt(bad)) + ": malformed \\uXXXX escape \"" +
                                std::string(escape) + "\"");
    }
    parsed.emplace_back(std::move(key), std::move(value));
  }
  // All or nothing: a file with an error changes no property.
  std::unique_lock lock(mu_);
  for (auto& [key, value] : parsed) map_.insert_or_assign(std::move(key), std::move(value));
  return Status::Ok();
}

}  // namespace barrage
