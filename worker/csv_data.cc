#include "worker/csv_data.h"
#include "common/java_lang.h"
#include "common/utf8.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

namespace barrage {
namespace {

std::string Describe(const CsvDataSet& node) {
  std::string d =
      (node.kind == ElementKind::kRandomCsvDataSet ? "Random CSV Data Set '" : "CSV Data Set '") + node.name + "'";
  if (node.line > 0) d += " (line " + std::to_string(node.line) + ")";
  return d;
}

// ---------------------------------------------------------------------------------------
// Encodings.

enum class Encoding { kUtf8, kLatin1, kAscii, kCp1252, kUtf16, kUtf16Le, kUtf16Be };

std::optional<Encoding> EncodingNamed(std::string_view name) {
  std::string n(JavaTrim(name));
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Alias {
    std::string_view name;
    Encoding enc;
  };
  static constexpr Alias kAliases[] = {
      {"", Encoding::kUtf8},
      {"utf-8", Encoding::kUtf8},
      {"utf8", Encoding::kUtf8},
      {"unicode-1-1-utf-8", Encoding::kUtf8},
      {"iso-8859-1", Encoding::kLatin1},
      {"iso8859-1", Encoding::kLatin1},
      {"iso8859_1", Encoding::kLatin1},
      {"iso_8859_1", Encoding::kLatin1},
      {"iso_8859-1", Encoding::kLatin1},
      {"8859_1", Encoding::kLatin1},
      {"latin1", Encoding::kLatin1},
      {"l1", Encoding::kLatin1},
      {"iso-latin-1", Encoding::kLatin1},
      {"cp819", Encoding::kLatin1},
      {"ibm819", Encoding::kLatin1},
      {"819", Encoding::kLatin1},
      {"us-ascii", Encoding::kAscii},
      {"ascii", Encoding::kAscii},
      {"ascii7", Encoding::kAscii},
      {"646", Encoding::kAscii},
      {"iso646-us", Encoding::kAscii},
      {"cp367", Encoding::kAscii},
      {"windows-1252", Encoding::kCp1252},
      {"cp1252", Encoding::kCp1252},
      {"utf-16", Encoding::kUtf16},
      {"utf16", Encoding::kUtf16},
      {"utf_16", Encoding::kUtf16},
      {"unicode", Encoding::kUtf16},
      {"utf-16le", Encoding::kUtf16Le},
      {"utf_16le", Encoding::kUtf16Le},
      {"x-utf-16le", Encoding::kUtf16Le},
      {"unicodelittleunmarked", Encoding::kUtf16Le},
      {"utf-16be", Encoding::kUtf16Be},
      {"utf_16be", Encoding::kUtf16Be},
      {"x-utf-16be", Encoding::kUtf16Be},
      {"unicodebigunmarked", Encoding::kUtf16Be},
  };
  for (const Alias& a : kAliases) {
    if (a.name == n) return a.enc;
  }
  return std::nullopt;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

Status InvalidBytes(std::string_view file, std::string_view encoding, size_t offset) {
  return Status::ParseError(std::string(file) + ": not valid " + std::string(encoding) + " at byte " +
                            std::to_string(offset) + "; set the CSV Data Set's file encoding to the file's own");
}

Result<std::string> DecodeUtf16(std::string_view bytes, bool little_endian, std::string_view file, size_t base) {
  if (bytes.size() % 2 != 0) return InvalidBytes(file, "UTF-16", base + bytes.size() - 1);
  std::string out;
  out.reserve(bytes.size());
  auto unit = [&](size_t i) -> uint32_t {
    auto lo = static_cast<unsigned char>(bytes[little_endian ? i : i + 1]);
    auto hi = static_cast<unsigned char>(bytes[little_endian ? i + 1 : i]);
    return (uint32_t{hi} << 8) | lo;
  };
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 3 >= bytes.size()) return InvalidBytes(file, "UTF-16", base + i);
      uint32_t low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) return InvalidBytes(file, "UTF-16", base + i);
      AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), &out);
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return InvalidBytes(file, "UTF-16", base + i);
    } else {
      AppendUtf8(u, &out);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading.

// BufferedReader.readLine over in-memory text: the line up to \n, \r or \r\n (consumed),
// nullopt at the end of the text.
std::optional<std::string_view> RawLine(std::string_view text, size_t* pos) {
  size_t p = *pos;
  if (p >= text.size()) return std::nullopt;
  size_t e = p;
  while (e < text.size() && text[e] != '\n' && text[e] != '\r') ++e;
  std::string_view line = text.substr(p, e - p);
  if (e < text.size()) {
    if (text[e] == '\r' && e + 1 < text.size() && text[e + 1] == '\n') ++e;
    ++e;
  }
  *pos = e;
  return line;
}

// The first character of a (UTF-8) delimiter: what JMeter's delim.charAt(0) selects.
std::string_view FirstChar(std::string_view delimiter) {
  if (delimiter.empty()) return delimiter;
  size_t n = Utf8SequenceLength(delimiter, 0);
  return delimiter.substr(0, n == 0 ? 1 : n);
}

// JOrphanUtils.split(names, ",") (truncating): empty entries dropped; then trimmed.
std::vector<std::string> SplitVariableNames(std::string_view names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= names.size()) {
    size_t comma = names.find(',', start);
    std::string_view part =
        names.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!part.empty()) out.emplace_back(JavaTrim(part));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

enum class ShareKind { kAll, kGroup, kThread, kCustom };

// The sharing of one element for one user. The compiler maps display names ("All
// threads", "Alle Threads", ...) to modes and any other text to kAll; JMeter treats that
// other text as a key of its own (after evaluating it). Display names all hold a space, so
// text without one that is not a resource key is a custom key.
std::pair<ShareKind, std::string> ShareOf(const CsvDataSet& node, ThreadContext& ctx) {
  if (node.share_mode == CsvDataSet::ShareMode::kGroup) return {ShareKind::kGroup, ""};
  if (node.share_mode == CsvDataSet::ShareMode::kThread) return {ShareKind::kThread, ""};
  std::string_view text = JavaTrim(node.share_mode_text);
  if (text.empty() || text == "shareMode.all" || text.find(' ') != std::string_view::npos) {
    return {ShareKind::kAll, ""};
  }
  std::string key = text.find("${") != std::string_view::npos ? EvaluateText(text, ctx) : std::string(text);
  if (key == "shareMode.all") return {ShareKind::kAll, ""};
  if (key == "shareMode.group") return {ShareKind::kGroup, ""};
  if (key == "shareMode.thread") return {ShareKind::kThread, ""};
  return {ShareKind::kCustom, std::move(key)};
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Pure pieces.

Result<std::string> DecodeCsvText(std::string_view bytes, std::string_view encoding, std::string_view file) {
  std::optional<Encoding> enc = EncodingNamed(encoding);
  if (!enc) {
    return Status::InvalidArgument(std::string(file) + ": unknown file encoding '" + std::string(encoding) + "'");
  }
  size_t base = 0;
  // JMeter 5.6 reads through commons-io's BOMInputStream, which drops a UTF-8 mark whatever
  // the encoding; newer versions pick UTF-16 from its mark when no encoding is named.
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    base = 3;
  } else if (JavaTrim(encoding).empty() && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    enc = Encoding::kUtf16;
  }
  std::string_view body = bytes.substr(base);
  std::string out;
  switch (*enc) {
    case Encoding::kUtf8:
      for (size_t i = 0; i < body.size();) {
        size_t n = Utf8SequenceLength(body, i);
        if (n == 0) return InvalidBytes(file, "UTF-8", base + i);
        i += n;
      }
      return std::string(body);
    case Encoding::kAscii:
      for (size_t i = 0; i < body.size(); ++i) {
        if (static_cast<unsigned char>(body[i]) >= 0x80) return InvalidBytes(file, "US-ASCII", base + i);
      }
      return std::string(body);
    case Encoding::kLatin1:
    case Encoding::kCp1252:
      out.reserve(body.size() + body.size() / 8);
      for (size_t i = 0; i < body.size(); ++i) {
        auto c = static_cast<unsigned char>(body[i]);
        uint32_t cp = c;
        if (*enc == Encoding::kCp1252 && c >= 0x80 && c <= 0x9F) {
          cp = Windows1252ToUnicode(c);
          // The five bytes windows-1252 leaves undefined map to themselves: invalid here.
          if (cp == c) return InvalidBytes(file, "windows-1252", base + i);
        }
        AppendUtf8(cp, &out);
      }
      return out;
    case Encoding::kUtf16:
    case Encoding::kUtf16Le:
    case Encoding::kUtf16Be: {
      bool little = *enc == Encoding::kUtf16Le;
      if (body.substr(0, 2) == "\xFF\xFE" && *enc != Encoding::kUtf16Be) {
        little = true;
        body.remove_prefix(2);
        base += 2;
      } else if (body.substr(0, 2) == "\xFE\xFF" && *enc != Encoding::kUtf16Le) {
        little = false;
        body.remove_prefix(2);
        base += 2;
      }
      return DecodeUtf16(body, little, file, base);
    }
  }
  return Status::Internal("unreachable");
}

std::vector<std::string> SplitCsvLine(std::string_view line, std::string_view delimiter) {
  std::vector<std::string> out;
  if (delimiter.empty()) {
    if (!line.empty()) out.emplace_back(line);
    return out;
  }
  size_t start = 0;
  size_t spot = 0;
  bool found_last = false;  // the last search found a delimiter ending the line
  while (start < line.size()) {
    spot = line.find(delimiter, start);
    if (spot == std::string_view::npos) break;
    out.emplace_back(line.substr(start, spot - start));
    start = spot + delimiter.size();
    found_last = start == line.size();
  }
  if (start < line.size()) {
    out.emplace_back(line.substr(start));
  } else if (found_last) {
    out.emplace_back();
  }
  return out;
}

CsvRecord ReadQuotedCsvRecord(std::string_view text, size_t* pos, std::string_view delimiter) {
  enum class State { kInitial, kPlain, kQuoted, kEmbeddedQuote };
  CsvRecord rec;
  State state = State::kInitial;
  std::string field;
  bool push = false;
  bool ended_by_line_break = false;
  size_t p = *pos;
  const size_t n = text.size();
  auto fail = [&](std::string message) {
    *pos = p;
    rec.fields.clear();
    rec.error = std::move(message);
    return rec;
  };
  while (p < n) {
    push = false;
    const char c = text[p];
    const bool eol = c == '\n' || c == '\r';
    const bool delim = !eol && !delimiter.empty() && text.compare(p, delimiter.size(), delimiter) == 0;
    size_t advance = 1;
    switch (state) {
      case State::kInitial:
        if (c == '"') {
          state = State::kQuoted;
        } else if (delim || eol) {
          push = true;
          if (delim) advance = delimiter.size();
        } else {
          field += c;
          state = State::kPlain;
        }
        break;
      case State::kPlain:
        if (c == '"') {
          field += c;
          p += 1;
          return fail("Cannot have quote-char in plain field:[" + field + "]");
        } else if (delim || eol) {
          push = true;
          if (delim) advance = delimiter.size();
          state = State::kInitial;
        } else {
          field += c;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state = State::kEmbeddedQuote;
        } else {
          field += c;
        }
        break;
      case State::kEmbeddedQuote:
        if (c == '"') {
          field += '"';
          state = State::kQuoted;
        } else if (delim || eol) {
          push = true;
          if (delim) advance = delimiter.size();
          state = State::kInitial;
        } else {
          field += '"';
          size_t len = Utf8SequenceLength(text, p);
          p += len == 0 ? 1 : len;  // the whole character, as a Java reader consumes it
          return fail("Cannot have single quote-char in quoted field:[" + field + "]");
        }
        break;
    }
    p += advance;
    if (push) {
      if (c == '\r' && p < n && text[p] == '\n') ++p;
      rec.fields.push_back(std::move(field));
      field.clear();
    }
    if (eol && state != State::kQuoted) {
      ended_by_line_break = true;
      break;
    }
  }
  if (!ended_by_line_break) {
    if (state == State::kQuoted) {
      return fail("Missing trailing quote-char in quoted field:[\"" + field + "]");
    }
    if (!field.empty() || push || state == State::kEmbeddedQuote) rec.fields.push_back(std::move(field));
  }
  *pos = p;
  return rec;
}

Result<std::vector<std::string>> SplitCsvHeader(std::string_view line, std::string_view delimiter) {
  size_t pos = 0;
  CsvRecord rec = ReadQuotedCsvRecord(line, &pos, FirstChar(delimiter));
  if (!rec.error.empty()) return Status::ParseError(rec.error);
  for (std::string& name : rec.fields) name = std::string(JavaTrim(name));
  return std::move(rec.fields);
}

CsvSplitOptions CsvSplitOptions::For(const CsvDataSet& node) {
  CsvSplitOptions o;
  o.encoding = node.file_encoding;
  o.delimiter = node.delimiter.empty() ? "," : node.delimiter;
  o.quoted_data = node.quoted_data;
  o.has_header = node.variable_names.empty() || node.ignore_first_line;
  return o;
}

Result<CsvShare> SplitCsvData(std::string_view file_bytes, const CsvSplitOptions& options, int workers, int index) {
  if (workers < 1 || index < 0 || index >= workers) {
    return Status::InvalidArgument("split-data: worker " + std::to_string(index) + " of " + std::to_string(workers) +
                                   " is out of range");
  }
  std::optional<Encoding> enc = EncodingNamed(options.encoding);
  if (!enc) {
    return Status::InvalidArgument("split-data: unknown file encoding '" + options.encoding + "'");
  }
  std::string_view bom;
  if (file_bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    bom = file_bytes.substr(0, 3);
  } else if (*enc == Encoding::kUtf8 && JavaTrim(options.encoding).empty() &&
             (file_bytes.substr(0, 2) == "\xFF\xFE" || file_bytes.substr(0, 2) == "\xFE\xFF")) {
    enc = Encoding::kUtf16;
  }
  if (*enc == Encoding::kUtf16 || *enc == Encoding::kUtf16Le || *enc == Encoding::kUtf16Be) {
    return Status::Unsupported("split-data: UTF-16 files cannot be split; convert the file to UTF-8");
  }
  // Line breaks and quotes are the same bytes in every remaining encoding; the delimiter
  // (which only matters for quoted data) is matched in the file's own encoding.
  std::string delim(FirstChar(options.delimiter.empty() ? "," : options.delimiter));
  if (*enc != Encoding::kUtf8 && delim.size() > 1) {
    size_t n = Utf8SequenceLength(delim, 0);
    uint32_t cp = 0;
    if (n == 2)
      cp = ((static_cast<unsigned char>(delim[0]) & 0x1Fu) << 6) | (static_cast<unsigned char>(delim[1]) & 0x3Fu);
    if (n == 3)
      cp = ((static_cast<unsigned char>(delim[0]) & 0x0Fu) << 12) |
           ((static_cast<unsigned char>(delim[1]) & 0x3Fu) << 6) | (static_cast<unsigned char>(delim[2]) & 0x3Fu);
    int byte = -1;
    if (*enc == Encoding::kLatin1 && cp >= 0x80 && cp <= 0xFF) byte = static_cast<int>(cp);
    if (*enc == Encoding::kCp1252) {
      if (cp >= 0xA0 && cp <= 0xFF) byte = static_cast<int>(cp);
      for (unsigned char b = 0x80; b <= 0x9F; ++b) {
        uint32_t u = Windows1252ToUnicode(b);
        if (u != b && u == cp) byte = b;
      }
    }
    if (byte < 0) {
      return Status::InvalidArgument("split-data: the delimiter cannot be written in " + options.encoding);
    }
    delim.assign(1, static_cast<char>(byte));
  }

  std::string_view body = file_bytes.substr(bom.size());
  size_t pos = 0;
  std::string_view header;
  if (options.has_header) {
    RawLine(body, &pos);
    header = body.substr(0, pos);
  }
  std::vector<std::pair<size_t, size_t>> records;
  while (pos < body.size()) {
    size_t start = pos;
    if (options.quoted_data) {
      ReadQuotedCsvRecord(body, &pos, delim);
    } else {
      RawLine(body, &pos);
    }
    records.emplace_back(start, pos);
  }
  const size_t n = records.size();
  const size_t w = static_cast<size_t>(workers);
  const size_t i = static_cast<size_t>(index);
  const size_t base = n / w, extra = n % w;
  const size_t first = i * base + std::min(i, extra);
  const size_t count = base + (i < extra ? 1 : 0);

  CsvShare share;
  share.total_rows = n;
  share.rows = count;
  share.data.append(bom);
  share.data.append(header);
  if (count > 0) {
    share.data.append(body.substr(records[first].first, records[first + count - 1].second - records[first].first));
  }
  return share;
}

// ---------------------------------------------------------------------------------------
// Run time.

// A reader's position in a file: FileServer's FileEntry with its BufferedReader.
struct CsvUserState::Reader {
  std::shared_ptr<const std::string> text;
  size_t pos = 0;
  bool open = false;
  std::optional<std::string> header;  // read when the reader was reserved with a header

  // Random CSV Data Set (RandomCSVReader): where each data record starts, listed at first
  // use; handed out from next_record on, in order or, with randomOrder, each time a random
  // one of the records not yet handed out this round (swapped into place).
  std::vector<size_t> records;
  bool listed = false;
  size_t next_record = 0;
  std::mt19937_64 rng;

  // FileServer.readLine: on first use opens without skipping (a header was read when the
  // reader was reserved); at the end, when recycling, reopens and skips the first line.
  std::optional<std::string_view> ReadLine(bool recycle, bool skip_first) {
    if (!open) {
      open = true;
      pos = 0;
    }
    std::optional<std::string_view> line = RawLine(*text, &pos);
    if (!line && recycle) {
      pos = 0;
      if (skip_first) RawLine(*text, &pos);
      line = RawLine(*text, &pos);
    }
    return line;
  }

  // FileServer.getParsedLine: opening skips the first line when asked; when recycling, an
  // exhausted reader starts again before reading.
  CsvRecord ReadParsed(bool recycle, bool skip_first, std::string_view delimiter) {
    if (!open) {
      open = true;
      pos = 0;
      if (skip_first) RawLine(*text, &pos);
    } else if (recycle && pos >= text->size()) {
      pos = 0;
      if (skip_first) RawLine(*text, &pos);
    }
    return ReadQuotedCsvRecord(*text, &pos, delimiter);
  }
};

struct CsvUserState::Binding {
  Reader* reader = nullptr;
  std::mutex* mu = nullptr;  // null for the user's own readers
  std::vector<std::string> names;
  std::string delimiter;       // whole, for unquoted lines
  std::string delimiter_char;  // first character, for quoted data
  bool skip_first = false;     // first line holds names, or ignoreFirstLine
  std::string filename;        // as written (trimmed), for messages
};

CsvUserState::CsvUserState() = default;
CsvUserState::~CsvUserState() = default;

struct CsvRegistry::SharedReader {
  std::mutex mu;
  CsvUserState::Reader reader;
};

CsvRegistry::CsvRegistry(const RunContext& run)
    : base_dir_(run.base_dir),
      eof_value_(run.properties.Get("csvdataset.eofstring").value_or("<EOF>")),
      next_seed_(std::random_device{}()) {}

CsvRegistry::~CsvRegistry() = default;

Result<std::shared_ptr<const std::string>> CsvRegistry::Load(const std::string& name, const std::string& encoding) {
  std::string path = name;
  if (!std::filesystem::path(name).is_absolute()) {
    std::string in_base = (std::filesystem::path(base_dir_.empty() ? "." : base_dir_) / name).string();
    // JMeter looks in the working directory first; a worker's working directory is not the
    // user's, so the plan's folder comes first and the working directory is the fallback.
    if (Exists(in_base) || !Exists(name)) path = in_base;
  }
  std::string key = path;
  key += '\n';
  key += JavaTrim(encoding);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(key);
    if (it != files_.end()) return it->second;
  }
  Result<std::string> bytes = ReadRegularFile(path, max_file_bytes_, "CSV data held in memory");
  if (!bytes.ok()) return bytes.status();
  Result<std::string> text = DecodeCsvText(*bytes, encoding, path);
  if (!text.ok()) return text.status();
  auto shared = std::make_shared<const std::string>(std::move(text).value());
  std::lock_guard<std::mutex> lock(mu_);
  // Another user may have loaded the same file meanwhile; keep the first copy.
  return files_.emplace(std::move(key), std::move(shared)).first->second;
}

Status CsvRegistry::Prepare(const CsvDataSet& node, ThreadContext& ctx) {
  std::string filename(JavaTrim(Evaluate(node.filename, ctx)));
  // No file name: JMeter does not refuse the plan; every read fails at run time (Next).
  if (filename.empty() && node.kind == ElementKind::kCsvDataSet) return Status::Ok();
  if (filename.empty()) return Status::InvalidArgument(Describe(node) + ": no file name");
  if (filename.find("${") != std::string::npos) return Status::Ok();  // resolved per user
  if (!EncodingNamed(node.file_encoding)) {
    return Status::InvalidArgument(Describe(node) + ": " + filename + ": unknown file encoding '" + node.file_encoding +
                                   "'");
  }
  Result<std::shared_ptr<const std::string>> text = Load(filename, node.file_encoding);
  if (!text.ok()) {
    Status s = text.status();
    std::string message = Describe(node) + ": " + s.message();
    switch (s.code()) {
      case Status::Code::kParseError: return Status::ParseError(message);
      case Status::Code::kInvalidArgument: return Status::InvalidArgument(message);
      case Status::Code::kNotFound: return Status::NotFound(message);
      default: return Status::IoError(message);
    }
  }
  const bool names_from_file = Evaluate(node.variable_names, ctx).empty();
  if (names_from_file || node.ignore_first_line) {
    size_t pos = 0;
    std::optional<std::string_view> first = RawLine(**text, &pos);
    if (!first) {
      return Status::InvalidArgument(
          Describe(node) + ": " + filename + " is empty; " +
          (names_from_file ? "its first line should hold the variable names" : "ignoreFirstLine expects a first line"));
    }
    if (names_from_file) {
      std::string delimiter = node.delimiter.empty() ? "," : node.delimiter;
      Result<std::vector<std::string>> names = SplitCsvHeader(*first, delimiter);
      if (!names.ok()) {
        return Status::ParseError(Describe(node) + ": " + filename +
                                  ": cannot split the header line: " + names.status().message());
      }
    }
  }
  return Status::Ok();
}

Result<CsvUserState::Binding*> CsvRegistry::Bind(const CsvDataSet& node, ThreadContext& ctx, CsvUserState& user,
                                                 int group_number) {
  auto binding = std::make_unique<CsvUserState::Binding>();
  binding->filename = std::string(JavaTrim(Evaluate(node.filename, ctx)));
  const std::string& filename = binding->filename;
  binding->delimiter = node.delimiter.empty() ? "," : node.delimiter;
  binding->delimiter_char = std::string(FirstChar(binding->delimiter));
  const std::string names_text = Evaluate(node.variable_names, ctx);
  const bool names_from_file = names_text.empty();
  if (filename.empty()) {
    // JMeter's FileServer opens the plan's folder (a FileNotFoundException): without names
    // the header cannot be read and the thread fails; with names, every read is the end of
    // file (Next: reader nullptr).
    if (names_from_file || node.kind != ElementKind::kCsvDataSet) {
      return Status::InvalidArgument(Describe(node) + ": no file name: could not read the header line");
    }
    binding->names = SplitVariableNames(names_text);
    CsvUserState::Binding* raw = binding.get();
    user.bindings_[&node] = std::move(binding);
    return raw;
  }
  // FileServer.reserveFile reads a header line when the reader is created for a data set
  // whose names come from the file, or that ignores its first line.
  const bool reserve_with_header = names_from_file || node.ignore_first_line;

  Result<std::shared_ptr<const std::string>> text = Load(filename, node.file_encoding);
  if (!text.ok()) return Status::IoError(Describe(node) + ": " + text.status().message());

  auto create = [&](CsvUserState::Reader& r) {
    r.text = *text;
    if (reserve_with_header) {
      std::optional<std::string_view> line = r.ReadLine(false, false);
      if (line) r.header = std::string(*line);
    }
  };
  auto [kind, key] = ShareOf(node, ctx);
  // A Random CSV Data Set's list is its own: never shared with another element.
  const bool random_csv = node.kind == ElementKind::kRandomCsvDataSet;
  if (random_csv) {
    kind = kind == ShareKind::kThread ? kind : ShareKind::kCustom;
    key = "random-csv-" + std::to_string(reinterpret_cast<uintptr_t>(&node));
  }
  auto seeded = [&](CsvUserState::Reader& r) {
    if (random_csv) r.rng.seed(next_seed_.fetch_add(1));
  };
  std::optional<std::string> header;
  if (kind == ShareKind::kThread) {
    auto& slot = user.own_readers_[random_csv ? filename + "\n" + key : filename];
    if (!slot) {
      slot = std::make_unique<CsvUserState::Reader>();
      create(*slot);
      seeded(*slot);
    }
    binding->reader = slot.get();
    header = slot->header;
  } else {
    std::string alias = filename;
    if (kind == ShareKind::kGroup) alias += "@group-" + std::to_string(group_number);
    if (kind == ShareKind::kCustom) alias += "@" + key;
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = shared_[alias];
    if (!slot) {
      slot = std::make_unique<SharedReader>();
      create(slot->reader);
      seeded(slot->reader);
    }
    binding->reader = &slot->reader;
    binding->mu = &slot->mu;
    header = slot->reader.header;
  }
  if (reserve_with_header && !header) {
    return Status::InvalidArgument(Describe(node) + ": could not read the header line of " + filename +
                                   " (the file is empty)");
  }
  if (names_from_file) {
    Result<std::vector<std::string>> names = SplitCsvHeader(*header, binding->delimiter);
    if (!names.ok()) {
      return Status::ParseError(Describe(node) + ": could not split the header line of " + filename + ": " +
                                names.status().message());
    }
    binding->names = std::move(names).value();
  } else {
    binding->names = SplitVariableNames(names_text);
  }
  binding->skip_first = names_from_file || node.ignore_first_line;
  CsvUserState::Binding* raw = binding.get();
  user.bindings_[&node] = std::move(binding);
  return raw;
}

CsvResult CsvRegistry::Next(const CsvDataSet& node, ThreadContext& ctx, CsvUserState& user, int group_number) {
  CsvUserState::Binding* b;
  auto it = user.bindings_.find(&node);
  if (it != user.bindings_.end()) {
    b = it->second.get();
  } else {
    Result<CsvUserState::Binding*> bound = Bind(node, ctx, user, group_number);
    if (!bound.ok()) return {CsvOutcome::kFailed, bound.status().message()};
    b = *bound;
  }

  if (node.kind == ElementKind::kRandomCsvDataSet) return NextRandomCsv(node, ctx, *b);

  CsvResult result;
  std::vector<std::string> values;
  if (b->reader == nullptr) {
    result.message = Describe(node) + ": no file name: read as the end of file";
  } else {
    std::unique_lock<std::mutex> lock;
    if (b->mu != nullptr) lock = std::unique_lock<std::mutex>(*b->mu);
    if (node.quoted_data) {
      CsvRecord rec = b->reader->ReadParsed(node.recycle, b->skip_first, b->delimiter_char);
      values = std::move(rec.fields);
      if (!rec.error.empty()) result.message = Describe(node) + ": " + b->filename + ": " + rec.error;
    } else {
      std::optional<std::string_view> line = b->reader->ReadLine(node.recycle, b->skip_first);
      lock = {};  // the text is immutable: split outside the lock
      if (line) values = SplitCsvLine(*line, b->delimiter);
    }
  }
  const size_t n = std::min(values.size(), b->names.size());
  for (size_t i = 0; i < n; ++i) ctx.vars.Put(b->names[i], std::move(values[i]));
  if (values.empty()) {
    if (node.stop_thread) {
      result.outcome = CsvOutcome::kStopThread;
      std::string why = "End of file:" + b->filename + " detected for CSV DataSet:" + node.name +
                        " configured with stopThread:true, recycle:" + (node.recycle ? "true" : "false");
      result.message = result.message.empty() ? why : result.message + "; " + why;
      return result;
    }
    for (const std::string& name : b->names) ctx.vars.Put(name, eof_value_);
  }
  return result;
}

// RandomCSVDataSetConfig.iterationStart: the next record of the element's list; at the end
// of the list, rewindOnTheEndOfList starts a new round, else the user stops
// (JMeterStopThreadException), as does every user of a shared list after it.
CsvResult CsvRegistry::NextRandomCsv(const CsvDataSet& node, ThreadContext& ctx, CsvUserState::Binding& b) {
  CsvUserState::Reader& r = *b.reader;
  std::optional<size_t> start;
  {
    std::unique_lock<std::mutex> lock;
    if (b.mu != nullptr) lock = std::unique_lock<std::mutex>(*b.mu);
    if (!r.listed) {
      r.listed = true;
      size_t pos = 0;
      for (bool first = true; pos < r.text->size(); first = false) {
        size_t record = pos;
        (void)ReadQuotedCsvRecord(*r.text, &pos, b.delimiter_char);  // errors show when read
        if (!(first && b.skip_first)) r.records.push_back(record);
      }
    }
    if (r.next_record >= r.records.size() && node.recycle) r.next_record = 0;
    if (r.next_record < r.records.size()) {
      if (node.random_order) {
        size_t pick = r.next_record + static_cast<size_t>(r.rng() % (r.records.size() - r.next_record));
        std::swap(r.records[r.next_record], r.records[pick]);
      }
      start = r.records[r.next_record++];
    }
  }
  CsvResult result;
  if (!start) {
    result.outcome = CsvOutcome::kStopThread;
    result.message = Describe(node) + ": " + b.filename + ": All records in the CSV file have been passed.";
    return result;
  }
  size_t pos = *start;
  CsvRecord rec = ReadQuotedCsvRecord(*r.text, &pos, b.delimiter_char);
  if (!rec.error.empty()) result.message = Describe(node) + ": " + b.filename + ": " + rec.error;
  const size_t n = std::min(rec.fields.size(), b.names.size());
  for (size_t i = 0; i < n; ++i) ctx.vars.Put(b.names[i], std::move(rec.fields[i]));
  return result;
}

}  // namespace barrage
