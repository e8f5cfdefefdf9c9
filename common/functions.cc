#include "common/functions.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cmath>
#include <vector>

#include "common/clock.h"
#include "common/functions_internal.h"
#include "common/host.h"
#include "common/input_file.h"
#include "common/java_decimal_format.h"
#include "common/java_lang.h"
#include "common/java_time_format.h"
#include "common/utf8.h"

namespace barrage {

// ---------------------------------------------------------------------------------------
// RunContext

struct RunContext::LineReader {
  std::mutex mu;
  bool first_time = true;
  bool open = false;
  std::string data;  // the file as last opened
  size_t pos = 0;
  // StringFromFile's sequence: kUnused or a number (Integer.parseInt of the parameter).
  static constexpr int64_t kUnused = -2;
  int64_t start = kUnused, current = kUnused, end = kUnused;
};

namespace {

// A file read at run time must be a regular file too: a FIFO or /dev/zero gives **ERR**
// instead of blocking or filling memory.
bool ReadWholeFile(const std::string& path, std::string* out) {
  Result<std::string> read = ReadRegularFile(path, kMaxDataFileBytes, "a data file");
  if (!read.ok()) return false;
  *out = std::move(read).value();
  return true;
}

}  // namespace

int64_t RunContext::NextGlobalCounter(const void* occurrence) {
  std::lock_guard lock(mu_);
  return ++global_counters_[occurrence];
}

std::optional<std::string> RunContext::NextLineOf(const void* occurrence, const std::vector<std::string>& args,
                                                  bool* end_of_sequence) {
  std::shared_ptr<LineReader> reader;
  {
    std::lock_guard lock(mu_);
    std::shared_ptr<LineReader>& slot = readers_[occurrence];
    if (!slot) slot = std::make_shared<LineReader>();
    reader = slot;
  }
  LineReader& r = *reader;
  std::lock_guard lock(r.mu);
  // StringFromFile.openFile: the sequence numbers are read at each (re)open.
  auto open_file = [&] {
    r.open = false;
    std::string name = args[0];
    const int64_t unused = LineReader::kUnused;
    if (args.size() >= 3) r.start = JavaParseInt(args[2]).value_or(unused);
    if (r.current == unused) r.current = r.start == unused ? 1 : r.start;
    if (args.size() >= 4) r.end = JavaParseInt(args[3]).value_or(unused);
    if (args.size() >= 3) {
      if (r.end != unused && r.current > r.end) return;  // no more files
      if (r.start != unused) {
        Result<JavaDecimalFormat> format = JavaDecimalFormat::Parse(name);
        if (format.ok()) name = format->Format(r.current);
      }
      ++r.current;
    }
    r.open = ReadWholeFile(ResolvePath(*this, name), &r.data);
    r.pos = 0;
  };
  if (r.first_time) {
    open_file();
    r.first_time = false;
  }
  if (!r.open) {
    *end_of_sequence = r.end != LineReader::kUnused;
    return std::nullopt;
  }
  if (r.pos >= r.data.size()) {  // end of file: the next one (or the same again)
    open_file();
    if (!r.open) {
      *end_of_sequence = r.end != LineReader::kUnused;
      return std::nullopt;
    }
    if (r.data.empty()) return std::nullopt;
  }
  // BufferedReader.readLine: a line ends at "\n", "\r" or "\r\n".
  const std::string& d = r.data;
  size_t start = r.pos;
  size_t end = d.find_first_of("\r\n", start);
  if (end == std::string::npos) end = d.size();
  size_t next = end;
  if (next < d.size()) {
    next += (d[next] == '\r' && next + 1 < d.size() && d[next + 1] == '\n') ? 2 : 1;
  }
  r.pos = next;
  return d.substr(start, end - start);
}

std::optional<std::string> RunContext::FileContents(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(path);
    if (it != files_.end()) return *it->second;
  }
  // Read without the lock (counters and line readers share it); the first copy cached wins.
  auto contents = std::make_shared<std::string>();
  if (!ReadWholeFile(path, contents.get())) return std::nullopt;
  std::lock_guard lock(mu_);
  return *files_.emplace(path, std::move(contents)).first->second;
}

// ---------------------------------------------------------------------------------------
// Evaluation

namespace function_impl {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Long.decode: sign, then 0x/0X/# hex, leading 0 octal, or decimal.
bool DecodeJavaLong(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    ++i;
  }
  int radix = 10;
  if (s.substr(i, 2) == "0x" || s.substr(i, 2) == "0X") {
    radix = 16;
    i += 2;
  } else if (s.substr(i, 1) == "#") {
    radix = 16;
    i += 1;
  } else if (s.substr(i, 1) == "0" && s.size() > i + 1) {
    radix = 8;
    i += 1;
  }
  if (i >= s.size() || s[i] == '-' || s[i] == '+') return false;
  uint64_t v = 0;
  uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d = JavaHexDigit(c);
    if (d < 0 || d >= radix) return false;
    if (v > (limit - static_cast<uint64_t>(d)) / static_cast<uint64_t>(radix)) return false;
    v = v * static_cast<uint64_t>(radix) + static_cast<uint64_t>(d);
  }
  *out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// Appends UTF-16 code units as UTF-8, pairing surrogates; a lone surrogate becomes '?'
// (what Java's UTF-8 encoder writes for it).
void AppendUtf16(const std::vector<uint16_t>& units, std::string* out) {
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t u = units[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00u), out);
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      out->push_back('?');
    } else {
      AppendUtf8(u, out);
    }
  }
}

// Decodes UTF-8 bytes, replacing malformed input with U+FFFD the way Java's UTF-8 decoder
// does (a truncated sequence is one replacement; an encoded surrogate is one for 3 bytes).
void AppendDecodedUtf8(std::string_view in, std::string* out) {
  auto cont = [&](size_t i) { return i < in.size() && (static_cast<unsigned char>(in[i]) & 0xC0) == 0x80; };
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  size_t i = 0;
  while (i < in.size()) {
    unsigned char b = static_cast<unsigned char>(in[i]);
    size_t len = 0;  // length of a valid sequence
    size_t bad = 1;  // bytes a malformed sequence covers
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      if (cont(i + 1)) len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      unsigned char b2 = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
      if (i + 1 >= in.size()) {
        bad = in.size() - i;
      } else if (!cont(i + 1) || (b == 0xE0 && b2 < 0xA0)) {
        bad = 1;
      } else if (b == 0xED && b2 >= 0xA0) {
        bad = cont(i + 2) ? 3 : 2;
      } else if (i + 2 >= in.size()) {
        bad = in.size() - i;
      } else if (!cont(i + 2)) {
        bad = 2;
      } else {
        len = 3;
      }
    } else if (b >= 0xF0 && b <= 0xF4) {
      unsigned char b2 = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
      if (i + 1 >= in.size()) {
        bad = in.size() - i;
      } else if (!cont(i + 1) || (b == 0xF0 && b2 < 0x90) || (b == 0xF4 && b2 > 0x8F)) {
        bad = 1;
      } else if (i + 2 >= in.size()) {
        bad = in.size() - i;
      } else if (!cont(i + 2)) {
        bad = 2;
      } else if (i + 3 >= in.size()) {
        bad = in.size() - i;
      } else if (!cont(i + 3)) {
        bad = 3;
      } else {
        len = 4;
      }
    }
    if (len > 0) {
      out->append(in.substr(i, len));
      i += len;
    } else {
      out->append(kReplacement);
      i += bad;
    }
  }
}

RunContext& Run(ThreadContext& ctx) {
  if (ctx.run != nullptr) return *ctx.run;
  static RunContext detached;  // for contexts built without a run (tools, tests)
  return detached;
}

void StoreIn(ThreadContext& ctx, std::string_view name, std::string_view value) {
  if (!name.empty()) ctx.vars.Put(name, std::string(value));
}

}  // namespace function_impl

std::string ResolvePath(const RunContext& run, std::string_view path) {
  if (!run.local_copies.empty()) {
    auto it = run.local_copies.find(std::string(JavaTrim(path)));
    if (it != run.local_copies.end()) return it->second;
  }
  if (path.empty() || path[0] == '/' || run.base_dir.empty()) return std::string(path);
  std::string full = run.base_dir;
  if (full.back() != '/') full.push_back('/');
  full.append(path);
  return full;
}

namespace function_impl {

// Appends the call as written (unevaluated), as JMeter shows a function it does not know.
void AppendRaw(const Template& t, std::string* out);

void AppendRawCall(const TemplatePart& call, std::string* out) {
  out->append("${");
  out->append(call.text);
  if (!call.args.empty()) {
    out->push_back('(');
    for (size_t i = 0; i < call.args.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendRaw(call.args[i], out);
    }
    out->push_back(')');
  }
  out->push_back('}');
}

void AppendRaw(const Template& t, std::string* out) {
  for (const TemplatePart& p : t.parts) {
    switch (p.kind) {
      case TemplatePart::Kind::kText: out->append(p.text); break;
      case TemplatePart::Kind::kVariable:
        out->append("${");
        out->append(p.text);
        out->push_back('}');
        break;
      case TemplatePart::Kind::kFunction: AppendRawCall(p, out); break;
    }
  }
}

// A call to a function JMeter does not know. JMeter's parser reads it as a variable whose
// name runs from "${" to the first '}' ("__f(a,${x" in "${__f(a,${x},${y})}"): its value
// when such a variable exists, else that text as written; what follows is read as
// ordinary text, so later references in the arguments are still evaluated.
void AppendUnknownCall(const TemplatePart& call, ThreadContext& ctx, std::string* out) {
  std::string raw;
  AppendRawCall(call, &raw);
  size_t close = raw.find('}');
  std::string_view name(raw.data() + 2, close - 2);
  if (const std::string* v = ctx.vars.Get(name)) {
    out->append(*v);
  } else {
    out->append(raw, 0, close + 1);
  }
  if (close + 1 < raw.size()) {
    EvaluateInto(ParseTemplate(std::string_view(raw).substr(close + 1)), ctx, out);
  }
}

// Compiled patterns, per event-loop thread: no lock, no parsing after the first use.
const Result<DateTimePattern>& CompiledPattern(std::string_view pattern) {
  thread_local std::unordered_map<std::string, Result<DateTimePattern>, StringHash, std::equal_to<>> cache;
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 1000) cache.clear();  // patterns built from variables: stay bounded
  return cache.emplace(std::string(pattern), DateTimePattern::Compile(pattern)).first->second;
}

}  // namespace function_impl

namespace {

using function_impl::AppendDecodedUtf8;
using function_impl::AppendRawCall;
using function_impl::AppendUnknownCall;
using function_impl::AppendUtf16;
using function_impl::Args;
using function_impl::CompiledPattern;
using function_impl::DecodeJavaLong;
using function_impl::EqualsIgnoreCase;
using function_impl::FunctionImpl;
using function_impl::Run;
using function_impl::StoreIn;

// ---- properties

bool FnP(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::optional<std::string> v = Run(ctx).properties.Get(a[0]);
  out->append(JavaTrim(v ? std::string_view(*v) : a.size() > 1 ? a[1] : "1"));
  return true;
}

bool FnProperty(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::optional<std::string> v = Run(ctx).properties.Get(a[0]);
  std::string_view value = JavaTrim(v ? std::string_view(*v) : a.size() > 2 ? a[2] : a[0]);
  if (a.size() > 1) StoreIn(ctx, a[1], value);  // the name is not trimmed here
  out->append(value);
  return true;
}

bool FnSetProperty(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  bool return_original = a.size() > 2 && EqualsIgnoreCase(a[2], "true");
  Properties& props = Run(ctx).properties;
  std::optional<std::string> original;
  if (return_original) original = props.Get(a[0]);
  props.Set(a[0], std::string(a[1]));
  // Properties.setProperty returns null for a new key, which JMeter appends as "null".
  if (return_original) out->append(original ? *original : "null");
  return true;
}

// __tstFeedback(tstName, startConcurrency[, maxConcurrency[, spare]]) (jmeter-plugins
// TSTFeedback): the concurrency a Throughput Shaping Timer needs, from the properties the
// timer publishes each second (<tst>_rps, _cntSent, _cntDelayed; worker/timers.h) and the
// function's own <tst>_concurrency. It clears <tst>_rps, so a second call within one timer
// second changes nothing.
bool FnTstFeedback(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  Properties& props = Run(ctx).properties;
  const std::string tst(a[0]);
  const std::string concurrency_name = tst + "_concurrency";
  if (!props.Get(concurrency_name)) props.Set(concurrency_name, std::string(a[1]));  // justStarted
  int64_t limit = INT32_MAX;
  if (a.size() > 2) limit = JavaParseInt(a[2]).value_or(INT32_MAX);
  double spare = 0.1;
  if (a.size() > 3) spare = ParseDouble(a[3]).value_or(1);  // the plugin's fallback is 1
  auto int_prop = [&](const std::string& name, int32_t def) {
    std::optional<std::string> v = props.Get(name);
    return v ? JavaParseInt(*v).value_or(def) : def;
  };
  const int32_t con = int_prop(concurrency_name, 1);
  const int32_t delayed = int_prop(tst + "_cntDelayed", 0);
  const int32_t sent = int_prop(tst + "_cntSent", 0);
  std::optional<std::string> rps_text = props.Get(tst + "_rps");
  const float rps = static_cast<float>(rps_text ? ParseDouble(*rps_text).value_or(0) : 0);
  int64_t needed = con;
  if (rps <= 0) {
    // no change
  } else if (delayed > 0) {  // TSTFeedback.decreaseNeeded
    if (spare >= 1) {
      needed = static_cast<int64_t>(static_cast<double>(needed) - (delayed - spare));
      if (con > spare) needed = static_cast<int64_t>(std::max(spare, static_cast<double>(needed)));
    } else if (delayed > std::ceil(con * spare)) {
      needed = static_cast<int64_t>(con * (1 - spare));
    }
  } else if (static_cast<float>(sent) < rps) {
    needed = static_cast<int64_t>(std::ceil(static_cast<float>(con) * (2 - static_cast<float>(sent) / rps)));
  }
  if (needed <= 0) needed = 1;
  if (needed > limit) needed = limit;
  props.Set(concurrency_name, std::to_string(needed));
  props.Set(tst + "_rps", "0");
  out->append(std::to_string(needed));
  return true;
}

// ---- random values and counters

bool FnRandom(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::optional<int64_t> min = JavaParseLong(a.Trimmed(0)), max = JavaParseLong(a.Trimmed(1));
  if (!min || !max || *min > *max) return false;
  std::uniform_int_distribution<int64_t> dist(*min, *max);
  std::string value = std::to_string(dist(ctx.rng));
  StoreIn(ctx, a.Trimmed(2), value);
  out->append(value);
  return true;
}

bool FnRandomString(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::optional<int32_t> parsed_length = JavaParseInt(a[0]);
  if (!parsed_length || *parsed_length < 0) return false;
  const int64_t length = *parsed_length;
  std::string_view chars = a.Trimmed(1);
  std::string value;
  if (chars.empty()) {
    // Any character: code points of the Basic Multilingual Plane, without controls and
    // surrogates.
    std::uniform_int_distribution<uint32_t> dist(0x20, 0xFFFD - 0x800);
    for (int64_t i = 0; i < length; ++i) {
      uint32_t cp = dist(ctx.rng);
      if (cp >= 0xD800) cp += 0x800;
      AppendUtf8(cp, &value);
    }
  } else {
    value.reserve(static_cast<size_t>(length));
    bool ascii = std::all_of(chars.begin(), chars.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
      std::uniform_int_distribution<size_t> dist(0, chars.size() - 1);
      for (int64_t i = 0; i < length; ++i) value.push_back(chars[dist(ctx.rng)]);
    } else {
      // Pick among whole characters (UTF-8 sequences), as Java picks among chars.
      std::vector<std::string_view> set;
      for (size_t i = 0; i < chars.size();) {
        size_t n = std::min(Utf8SequenceLength(static_cast<unsigned char>(chars[i])), chars.size() - i);
        set.push_back(chars.substr(i, n));
        i += n;
      }
      std::uniform_int_distribution<size_t> dist(0, set.size() - 1);
      for (int64_t i = 0; i < length; ++i) value.append(set[dist(ctx.rng)]);
    }
  }
  StoreIn(ctx, a.Trimmed(2), value);
  out->append(value);
  return true;
}

bool FnUuid(const TemplatePart&, const Args&, ThreadContext& ctx, std::string* out) {
  uint64_t hi = ctx.rng(), lo = ctx.rng();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // IETF variant
  char buf[36];
  int n = 0;
  auto put = [&](uint64_t v, int from_nibble, int to_nibble) {
    for (int i = from_nibble; i < to_nibble; ++i) buf[n++] = JavaForHexDigit((v >> (60 - 4 * i)) & 0xF);
  };
  put(hi, 0, 8);
  buf[n++] = '-';
  put(hi, 8, 12);
  buf[n++] = '-';
  put(hi, 12, 16);
  buf[n++] = '-';
  put(lo, 0, 4);
  buf[n++] = '-';
  put(lo, 4, 16);
  out->append(buf, sizeof(buf));
  return true;
}

bool FnThreadNum(const TemplatePart&, const Args&, ThreadContext& ctx, std::string* out) {
  out->append(std::to_string(ctx.thread_num));
  return true;
}

bool FnCounter(const TemplatePart& call, const Args& a, ThreadContext& ctx, std::string* out) {
  bool per_user = EqualsIgnoreCase(a[0], "true");  // Boolean.parseBoolean
  int64_t n = per_user ? ++ctx.user_counters[&call] : Run(ctx).NextGlobalCounter(&call);
  std::string value = std::to_string(n);
  StoreIn(ctx, a.Trimmed(1), value);
  out->append(value);
  return true;
}

// ---- time

bool FnTime(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view format = a.size() > 0 ? a[0] : "";
  std::string value;
  if (format.empty()) {
    value = std::to_string(WallMillis());
  } else {
    std::string alias;
    struct Alias {
      std::string_view name, property, fallback;
    };
    static constexpr Alias kAliases[] = {{"YMD", "time.YMD", "yyyyMMdd"},
                                         {"HMS", "time.HMS", "HHmmss"},
                                         {"YMDHMS", "time.YMDHMS", "yyyyMMdd-HHmmss"},
                                         {"USER1", "time.USER1", ""},
                                         {"USER2", "time.USER2", ""}};
    for (const Alias& al : kAliases) {
      if (format == al.name) {
        std::optional<std::string> configured = Run(ctx).properties.Get(al.property);
        alias = configured ? std::move(*configured) : std::string(al.fallback);
        format = alias;
        break;
      }
    }
    bool divisor = format.size() > 1 && format[0] == '/' &&
                   std::all_of(format.begin() + 1, format.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (divisor) {
      std::optional<int64_t> div = JavaParseLong(format.substr(1));
      if (!div || *div == 0) return false;
      value = std::to_string(WallMillis() / *div);
    } else {
      const Result<DateTimePattern>& pattern = CompiledPattern(format);
      if (!pattern.ok()) return false;
      pattern->Format(LocalZonedTime(WallMillis()), &value);
    }
  }
  StoreIn(ctx, a.Trimmed(1), value);
  out->append(value);
  return true;
}

bool FnTimeShift(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view format = a.Trimmed(0);
  std::string_view date = a.Trimmed(1);
  std::string_view shift = a.Trimmed(2);
  // (format, date, shift, variable) or (format, date, shift, locale, variable). Only
  // the English names of months and days are known, whatever the locale.
  std::string_view variable = a.Trimmed(a.size() == 4 ? 3 : 4);

  const DateTimePattern* pattern = nullptr;
  if (!format.empty()) {
    const Result<DateTimePattern>& compiled = CompiledPattern(format);
    if (!compiled.ok()) return true;  // JMeter logs the bad pattern and returns ""
    pattern = &compiled.value();
  }
  int64_t now = WallMillis();
  ZonedTime now_local = LocalZonedTime(now);
  int64_t base_millis = now;
  std::optional<ParsedDateTime> parsed;
  if (!date.empty()) {
    if (pattern != nullptr) {
      parsed = pattern->Parse(date, YearOf(now_local), now_local.offset_seconds);
      if (parsed) base_millis = parsed->epoch_millis;  // else: logged, shifts from now
    } else {
      if (std::optional<int64_t> millis = JavaParseLong(date)) base_millis = *millis;
    }
  }
  int64_t nanos = 0;
  if (!shift.empty()) {
    std::optional<int64_t> d = ParseJavaDuration(shift);
    if (d) nanos = *d;  // else: logged, no shift
  }
  constexpr int64_t kNanosPerMilli = 1000000;
  int64_t shift_millis = nanos / kNanosPerMilli;
  int64_t sub_milli = nanos % kNanosPerMilli;
  if (sub_milli < 0) {
    sub_milli += kNanosPerMilli;
    --shift_millis;
  }
  int64_t millis = base_millis + shift_millis;
  std::string value;
  if (pattern == nullptr) {
    value = std::to_string(millis);
  } else {
    ZonedTime t = parsed ? FixedOffsetTime(millis, parsed->offset_seconds) : LocalZonedTime(millis);
    if (parsed) t.zone_abbreviation = parsed->zone_abbreviation;
    t.nanos += static_cast<int32_t>(sub_milli);
    pattern->Format(t, &value);
  }
  StoreIn(ctx, variable, value);
  out->append(value);
  return true;
}

// ---- arithmetic

bool FnIntSum(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  uint32_t sum = 0;  // Java int arithmetic wraps
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    std::optional<int32_t> v = JavaParseInt(a[i]);
    if (!v) return false;
    sum += static_cast<uint32_t>(*v);
  }
  std::string_view last = a.Trimmed(a.size() - 1);
  std::optional<int32_t> v = JavaParseInt(last);
  bool last_is_number = v.has_value();
  if (last_is_number) sum += static_cast<uint32_t>(*v);
  std::string value = std::to_string(static_cast<int32_t>(sum));
  // JMeter stores even under an empty name here (only __longSum checks it).
  if (!last_is_number) ctx.vars.Put(last, value);
  out->append(value);
  return true;
}

bool FnLongSum(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  uint64_t sum = 0;
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    std::optional<int64_t> v = JavaParseLong(a[i]);
    if (!v) return false;
    sum += static_cast<uint64_t>(*v);
  }
  std::string_view last = a.Trimmed(a.size() - 1);
  std::optional<int64_t> v = JavaParseLong(last);
  bool last_is_number = v.has_value();
  if (last_is_number) sum += static_cast<uint64_t>(*v);
  std::string value = std::to_string(static_cast<int64_t>(sum));
  if (!last_is_number) StoreIn(ctx, last, value);
  out->append(value);
  return true;
}

// ---- strings

bool FnUrlEncode(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  for (char ch : a[0]) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == '*' || c == '_') {
      out->push_back(ch);
    } else if (c == ' ') {
      out->push_back('+');
    } else {
      out->push_back('%');
      out->push_back(JavaForHexDigit(c >> 4, /*upper=*/true));
      out->push_back(JavaForHexDigit(c & 0xF, /*upper=*/true));
    }
  }
  return true;
}

bool FnUrlDecode(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::string_view s = a[0];
  std::string decoded;
  std::string bytes;
  decoded.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '+') {
      decoded.push_back(' ');
      ++i;
    } else if (c == '%') {
      // A run of %XX escapes is one byte sequence, decoded as UTF-8.
      bytes.clear();
      while (i < s.size() && s[i] == '%') {
        if (i + 2 >= s.size()) return false;  // incomplete trailing escape
        int h = JavaHexDigit(s[i + 1]), l = JavaHexDigit(s[i + 2]);
        if (h < 0 || l < 0) return false;  // IllegalArgumentException in JMeter
        bytes.push_back(static_cast<char>(h * 16 + l));
        i += 3;
      }
      AppendDecodedUtf8(bytes, &decoded);
    } else {
      decoded.push_back(c);
      ++i;
    }
  }
  out->append(decoded);
  return true;
}

bool FnV(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  const std::string* v = ctx.vars.Get(a[0]);
  out->append(v ? std::string_view(*v) : a.size() > 1 ? a[1] : a[0]);
  return true;
}

bool FnEvalVar(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  thread_local int depth = 0;
  const std::string* v = ctx.vars.Get(a[0]);
  if (v == nullptr) return true;  // JMeter evaluates a null value to ""
  if (depth >= 16) return true;   // a variable that evaluates itself: stop, don't overflow
  ++depth;
  std::string text = *v;  // evaluating may change the variable
  out->append(EvaluateText(text, ctx));
  --depth;
  return true;
}

bool FnSplit(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view s = a[0];
  std::string_view prefix = a.Trimmed(1);
  std::string_view delimiters = a.size() > 2 && !a[2].empty() ? a[2] : ",";
  // JOrphanUtils.split(s, delimiters, "?"): every character of `delimiters` delimits; an
  // empty field between two delimiters or after a trailing one is "?", a leading delimiter
  // is dropped.
  auto is_delimiter = [&](std::string_view ch) {
    for (size_t i = 0; i < delimiters.size();) {
      size_t n = Utf8SequenceLength(static_cast<unsigned char>(delimiters[i]));
      if (delimiters.substr(i, n) == ch) return true;
      i += n;
    }
    return false;
  };
  std::string name(prefix);
  name.push_back('_');
  const size_t base = name.size();
  int count = 0;
  auto put = [&](std::string_view value) {
    ++count;
    name.resize(base);
    name.append(std::to_string(count));
    ctx.vars.Put(name, std::string(value));
  };
  bool last_was_delimiter = false;
  size_t token_start = std::string_view::npos;
  for (size_t i = 0; i <= s.size();) {
    size_t n = i < s.size() ? Utf8SequenceLength(static_cast<unsigned char>(s[i])) : 0;
    bool delimiter = i < s.size() && is_delimiter(s.substr(i, n));
    if (i == s.size() || delimiter) {
      if (token_start != std::string_view::npos) {
        put(s.substr(token_start, i - token_start));
        token_start = std::string_view::npos;
        last_was_delimiter = false;
      }
      if (i == s.size()) break;
      if (last_was_delimiter) put("?");
      last_was_delimiter = true;
    } else if (token_start == std::string_view::npos) {
      token_start = i;
    }
    i += n;
  }
  if (last_was_delimiter) put("?");
  ctx.vars.Put(prefix, std::string(s));
  name.resize(base);
  name.push_back('n');
  ctx.vars.Put(name, std::to_string(count));
  name.resize(base);
  name.append(std::to_string(count + 1));
  ctx.vars.Remove(name);
  out->append(s);
  return true;
}

bool FnChar(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::vector<uint16_t> units;
  units.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t v;
    if (DecodeJavaLong(a.Trimmed(i), &v)) units.push_back(static_cast<uint16_t>(v));  // (char)
    // else: JMeter logs a warning and skips the argument
  }
  AppendUtf16(units, out);
  return true;
}

// ---- files and environment

bool FnStringFromFile(const TemplatePart& call, const Args& a, ThreadContext& ctx, std::string* out) {
  std::vector<std::string> args;
  for (size_t i = 0; i < a.size(); ++i) args.emplace_back(a[i]);
  bool end_of_sequence = false;
  std::optional<std::string> line = Run(ctx).NextLineOf(&call, args, &end_of_sequence);
  // After a sequence's last file JMeter throws JMeterStopThreadException: the user stops.
  if (end_of_sequence) ctx.stop_thread = true;
  std::string value = line ? std::move(*line) : "**ERR**";
  StoreIn(ctx, a.size() > 1 ? a.Trimmed(1) : std::string_view("StringFromFile_"), value);
  out->append(value);
  return true;
}

bool FnFileToString(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  RunContext& run = Run(ctx);
  std::optional<std::string> contents = run.FileContents(ResolvePath(run, a[0]));
  std::string value;
  if (!contents) {
    value = "**ERR**";
  } else {
    std::string_view encoding = a.Trimmed(1);
    if (EqualsIgnoreCase(encoding, "ISO-8859-1") || EqualsIgnoreCase(encoding, "ISO8859_1") ||
        EqualsIgnoreCase(encoding, "latin1")) {
      for (char c : *contents) AppendUtf8(static_cast<unsigned char>(c), &value);
    } else {
      value = std::move(*contents);  // UTF-8 (the platform default) and ASCII as they are
    }
  }
  StoreIn(ctx, a.Trimmed(2), value);
  out->append(value);
  return true;
}

bool FnMachineName(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string name = Run(ctx).machine_name;
  if (name.empty()) name = HostName("");
  StoreIn(ctx, a.Trimmed(0), name);
  out->append(name);
  return true;
}

// jmeter-plugins' __fifoPut(queue, value): returns the value.
bool FnFifoPut(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  FifoAccess* fifos = Run(ctx).fifos;
  if (fifos == nullptr) return false;
  fifos->Put(std::string(a[0]), std::string(a[1]));
  out->append(a[1]);
  return true;
}

// __fifoSize(queue[, var]) and __fifoGet(queue[, var]): the count, the first value ("" when
// empty), left in the queue.
bool FnFifoSize(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  FifoAccess* fifos = Run(ctx).fifos;
  if (fifos == nullptr) return false;
  std::string size = std::to_string(fifos->size(std::string(a[0])));
  StoreIn(ctx, a.Trimmed(1), size);
  out->append(size);
  return true;
}

bool FnFifoGet(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  FifoAccess* fifos = Run(ctx).fifos;
  if (fifos == nullptr) return false;
  std::string value = fifos->Front(std::string(a[0])).value_or("");
  StoreIn(ctx, a.Trimmed(1), value);
  out->append(value);
  return true;
}

bool FnTestPlanName(const TemplatePart&, const Args&, ThreadContext& ctx, std::string* out) {
  const std::string& name = Run(ctx).test_plan_file;
  out->append(name.empty() ? "Save Test plan before calling __TestPlanName function" : name);
  return true;
}

// ---- script functions

bool FnScript(const TemplatePart& call, const Args& a, ThreadContext& ctx, std::string* out) {
  Result<std::string> r = RunScriptFunction(call.text, a[0], ctx, &call);
  if (r.ok()) {
    StoreIn(ctx, a.Trimmed(1), *r);
    out->append(*r);
  } else if (r.status().code() == Status::Code::kUnsupported) {
    AppendRawCall(call, out);  // not something Barrage can run: leave it as written
  }
  // Any other failure (null.equals(...), a script that throws) is a script error: JMeter's
  // result is "" and the variable is not set.
  return true;
}

struct FunctionSpec {
  std::string_view name;
  int min_args;
  int max_args;  // -1: unbounded
  FunctionImpl impl;
};

constexpr FunctionSpec kFunctions[] = {
    {"__P", 1, 2, FnP},
    {"__property", 1, 3, FnProperty},
    {"__setProperty", 2, 3, FnSetProperty},
    {"__tstFeedback", 2, 4, FnTstFeedback},
    {"__Random", 2, 3, FnRandom},
    {"__RandomString", 1, 3, FnRandomString},
    {"__threadNum", 0, 0, FnThreadNum},
    {"__counter", 1, 2, FnCounter},
    {"__time", 0, 2, FnTime},
    {"__timeShift", 4, 5, FnTimeShift},
    {"__UUID", 0, 0, FnUuid},
    {"__intSum", 2, -1, FnIntSum},
    {"__longSum", 2, -1, FnLongSum},
    {"__urlencode", 1, 1, FnUrlEncode},
    {"__urldecode", 1, 1, FnUrlDecode},
    {"__V", 1, 2, FnV},
    {"__evalVar", 1, 1, FnEvalVar},
    {"__split", 2, 3, FnSplit},
    {"__char", 1, -1, FnChar},
    {"__StringFromFile", 1, 4, FnStringFromFile},
    {"__FileToString", 1, 3, FnFileToString},
    {"__machineName", 0, 1, FnMachineName},
    {"__TestPlanName", 0, 0, FnTestPlanName},
    {"__RandomDate", 3, 5, function_impl::FnRandomDate},
    {"__RandomFromMultipleVars", 1, 2, function_impl::FnRandomFromMultipleVars},
    {"__dateTimeConvert", 3, 4, function_impl::FnDateTimeConvert},
    {"__escapeHtml", 1, 1, function_impl::FnEscapeHtml},
    {"__unescapeHtml", 1, 1, function_impl::FnUnescapeHtml},
    {"__escapeXml", 1, 1, function_impl::FnEscapeXml},
    {"__unescape", 1, 1, function_impl::FnUnescape},
    {"__escapeOroRegexpChars", 1, 2, function_impl::FnEscapeOroRegexpChars},
    {"__changeCase", 1, 3, function_impl::FnChangeCase},
    {"__isVarDefined", 1, 1, function_impl::FnIsVarDefined},
    {"__isPropDefined", 1, 1, function_impl::FnIsPropDefined},
    {"__digest", 2, 5, function_impl::FnDigest},
    {"__base64Encode", 1, 2, function_impl::FnBase64Encode},
    {"__base64Decode", 1, 2, function_impl::FnBase64Decode},
    {"__env", 1, 3, function_impl::FnEnv},
    {"__log", 1, 4, function_impl::FnLog},
    {"__logn", 1, 3, function_impl::FnLogn},
    {"__machineIP", 0, 1, function_impl::FnMachineIp},
    {"__samplerName", 0, 1, function_impl::FnSamplerName},
    {"__threadGroupName", 0, 0, function_impl::FnThreadGroupName},
    {"__eval", 1, 1, function_impl::FnEval},
    {"__CSVRead", 2, 2, function_impl::FnCsvRead},
    {"__StringToFile", 2, 4, function_impl::FnStringToFile},
    {"__XPath", 2, 2, function_impl::FnXPath},
    {"__jexl2", 1, 2, FnScript},
    {"__jexl3", 1, 2, FnScript},
    {"__groovy", 1, 2, FnScript},
    {"__javaScript", 1, 2, FnScript},
    {"__BeanShell", 1, 2, FnScript},
    // jp@gc Inter-Thread Communication (issue 10).
    {"__fifoPut", 2, -1, FnFifoPut},
    {"__fifoSize", 1, -1, FnFifoSize},
    {"__fifoGet", 1, -1, FnFifoGet},
};

const FunctionSpec* FindFunction(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const FunctionSpec*>();
    for (const FunctionSpec& f : kFunctions) m->emplace(f.name, &f);
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? nullptr : it->second;
}

bool ArityOk(const FunctionSpec& f, size_t n) {
  return static_cast<int>(n) >= f.min_args && (f.max_args < 0 || static_cast<int>(n) <= f.max_args);
}

}  // namespace

void EvaluateInto(const Template& t, ThreadContext& ctx, std::string* out) {
  for (const TemplatePart& p : t.parts) {
    switch (p.kind) {
      case TemplatePart::Kind::kText: out->append(p.text); break;
      case TemplatePart::Kind::kVariable: {
        const std::string* v = ctx.vars.Get(p.text);
        if (v != nullptr) {
          out->append(*v);
        } else {
          out->append("${");
          out->append(p.text);
          out->push_back('}');
        }
        break;
      }
      case TemplatePart::Kind::kFunction: {
        const FunctionSpec* f = FindFunction(p.text);
        if (f == nullptr) {
          AppendUnknownCall(p, ctx, out);
          break;
        }
        if (!ArityOk(*f, p.args.size())) {
          AppendRawCall(p, out);  // JMeter refuses the plan; see CheckFunctionCalls
          break;
        }
        Args args(p.args, ctx);
        if (!f->impl(p, args, ctx, out)) AppendRawCall(p, out);
        break;
      }
    }
  }
}

Status CheckCalls(const Template& t) {
  for (const TemplatePart& p : t.parts) {
    if (p.kind != TemplatePart::Kind::kFunction) continue;
    for (const Template& arg : p.args) {
      Status s = CheckCalls(arg);
      if (!s.ok()) return s;
    }
    const FunctionSpec* f = FindFunction(p.text);
    if (f == nullptr || ArityOk(*f, p.args.size())) continue;
    std::string expected =
        f->min_args == f->max_args ? ". Expected: " + std::to_string(f->min_args) + "."
        : f->max_args < 0          ? ". Expected: >= " + std::to_string(f->min_args) + "."
                          : ". Expected: >= " + std::to_string(f->min_args) + " and <= " + std::to_string(f->max_args);
    return Status::InvalidArgument(std::string(p.text) + " called with wrong number of parameters. Actual: " +
                                   std::to_string(p.args.size()) + expected);
  }
  return Status::Ok();
}

std::string Evaluate(const Template& t, ThreadContext& ctx) {
  // At most one allocation in the common case: none when the result fits the string's own
  // buffer (a host, a port, an id), else the literal text plus room for the values.
  size_t literal = 0;
  for (const TemplatePart& p : t.parts) literal += p.text.size();
  std::string out;
  if (literal >= out.capacity()) out.reserve(literal + 16 * t.parts.size());
  EvaluateInto(t, ctx, &out);
  return out;
}

std::string Evaluate(const Value& v, ThreadContext& ctx) {
  if (!v.parsed) return v.text;
  return Evaluate(*v.parsed, ctx);
}

std::string EvaluateText(std::string_view text, ThreadContext& ctx) {
  // JMeter compiles any text it evaluates this way, so escapes apply even without `${`.
  if (text.find("${") == std::string_view::npos && text.find('\\') == std::string_view::npos) {
    return std::string(text);
  }
  return Evaluate(ParseTemplate(text), ctx);
}

Status CheckFunctionCalls(const Template& t) { return CheckCalls(t); }

void CollectFunctionFiles(const Template& t, std::vector<FunctionFile>* files) {
  for (const TemplatePart& p : t.parts) {
    if (p.kind != TemplatePart::Kind::kFunction) continue;
    for (const Template& arg : p.args) CollectFunctionFiles(arg, files);
    bool reads_file =
        p.text == "__CSVRead" || p.text == "__StringFromFile" || p.text == "__FileToString" || p.text == "__XPath";
    if (!reads_file || p.args.empty() || !p.args[0].is_literal()) continue;
    std::string name = p.args[0].parts.empty() ? "" : std::string(JavaTrim(p.args[0].parts[0].text));
    if (name.empty() || name[0] == '*') continue;
    auto literal_int = [&](size_t i) -> std::optional<int32_t> {
      if (p.args.size() <= i || !p.args[i].is_literal() || p.args[i].parts.empty()) return std::nullopt;
      return JavaParseInt(p.args[i].parts[0].text);
    };
    if (p.text == "__StringFromFile" && literal_int(2)) {
      // A file sequence: its files, when the numbers are literal and at most 1,000 files.
      std::optional<int32_t> first = literal_int(2), last = literal_int(3);
      Result<JavaDecimalFormat> format = JavaDecimalFormat::Parse(name);
      if (!last || !format.ok() || *last < *first || int64_t{*last} - *first >= 1000) continue;
      for (int64_t n = *first; n <= *last; ++n) files->push_back({p.text, format->Format(n)});
      continue;
    }
    files->push_back({p.text, std::move(name)});
  }
}

bool IsSupportedFunction(std::string_view name) { return !IsScriptFunction(name) && FindFunction(name) != nullptr; }

Result<std::string> RunScriptFunction(std::string_view function, std::string_view script, ThreadContext& ctx,
                                      const void* occurrence) {
  if (function != "__BeanShell") {
    ScriptDialect dialect = function == "__javaScript" ? ScriptDialect::kJavaScript
                            : function == "__groovy"   ? ScriptDialect::kGroovy
                            : function == "__jexl2"    ? ScriptDialect::kJexl2
                                                       : ScriptDialect::kJexl;
    Result<std::string> fast = EvaluateScriptExpression(script, ctx, dialect);
    if (fast.ok() || fast.status().code() != Status::Code::kUnsupported) return fast;
  }
  ScriptFunctions* host = ctx.run == nullptr ? nullptr : ctx.run->scripts;
  if (host == nullptr) {
    return Status::Unsupported(std::string(function) + ": the script host is not running for this plan");
  }
  return host->Run(function, std::string(script), ctx, occurrence);
}

Result<std::string> EvaluateScript(std::string_view expression, ThreadContext& ctx) {
  return RunScriptFunction("__javaScript", expression, ctx);
}

bool IsTrue(std::string_view evaluated) { return EqualsIgnoreCase(JavaTrim(evaluated), "true"); }

}  // namespace barrage
