// Text, encoding, logging and context functions (functions.h lists them all; JMeter's
// semantics noted per function). The table that dispatches to them is in functions.cc.
#include <netdb.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/digest.h"
#include "common/functions_internal.h"
#include "common/host.h"
#include "common/java_lang.h"
#include "common/java_time_format.h"
#include "common/script_internal.h"
#include "common/utf8.h"

namespace barrage::function_impl {
namespace {

// ---- HTML and XML entities (Apache Commons Text's StringEscapeUtils, which JMeter uses)

struct Entity {
  std::string_view name;
  uint32_t codepoint;
};

// HTML 4.01's 252 named character references: escapeHtml4's BASIC, ISO8859_1 and
// HTML40_EXTENDED tables (&lang; and &rang; are HTML 4's U+2329/U+232A; no &apos;).
constexpr Entity kHtml4Entities[] = {
    {"quot", 34},     {"amp", 38},       {"lt", 60},       {"gt", 62},       {"nbsp", 160},    {"iexcl", 161},
    {"cent", 162},    {"pound", 163},    {"curren", 164},  {"yen", 165},     {"brvbar", 166},  {"sect", 167},
    {"uml", 168},     {"copy", 169},     {"ordf", 170},    {"laquo", 171},   {"not", 172},     {"shy", 173},
    {"reg", 174},     {"macr", 175},     {"deg", 176},     {"plusmn", 177},  {"sup2", 178},    {"sup3", 179},
    {"acute", 180},   {"micro", 181},    {"para", 182},    {"middot", 183},  {"cedil", 184},   {"sup1", 185},
    {"ordm", 186},    {"raquo", 187},    {"frac14", 188},  {"frac12", 189},  {"frac34", 190},  {"iquest", 191},
    {"Agrave", 192},  {"Aacute", 193},   {"Acirc", 194},   {"Atilde", 195},  {"Auml", 196},    {"Aring", 197},
    {"AElig", 198},   {"Ccedil", 199},   {"Egrave", 200},  {"Eacute", 201},  {"Ecirc", 202},   {"Euml", 203},
    {"Igrave", 204},  {"Iacute", 205},   {"Icirc", 206},   {"Iuml", 207},    {"ETH", 208},     {"Ntilde", 209},
    {"Ograve", 210},  {"Oacute", 211},   {"Ocirc", 212},   {"Otilde", 213},  {"Ouml", 214},    {"times", 215},
    {"Oslash", 216},  {"Ugrave", 217},   {"Uacute", 218},  {"Ucirc", 219},   {"Uuml", 220},    {"Yacute", 221},
    {"THORN", 222},   {"szlig", 223},    {"agrave", 224},  {"aacute", 225},  {"acirc", 226},   {"atilde", 227},
    {"auml", 228},    {"aring", 229},    {"aelig", 230},   {"ccedil", 231},  {"egrave", 232},  {"eacute", 233},
    {"ecirc", 234},   {"euml", 235},     {"igrave", 236},  {"iacute", 237},  {"icirc", 238},   {"iuml", 239},
    {"eth", 240},     {"ntilde", 241},   {"ograve", 242},  {"oacute", 243},  {"ocirc", 244},   {"otilde", 245},
    {"ouml", 246},    {"divide", 247},   {"oslash", 248},  {"ugrave", 249},  {"uacute", 250},  {"ucirc", 251},
    {"uuml", 252},    {"yacute", 253},   {"thorn", 254},   {"yuml", 255},    {"OElig", 338},   {"oelig", 339},
    {"Scaron", 352},  {"scaron", 353},   {"Yuml", 376},    {"fnof", 402},    {"circ", 710},    {"tilde", 732},
    {"Alpha", 913},   {"Beta", 914},     {"Gamma", 915},   {"Delta", 916},   {"Epsilon", 917}, {"Zeta", 918},
    {"Eta", 919},     {"Theta", 920},    {"Iota", 921},    {"Kappa", 922},   {"Lambda", 923},  {"Mu", 924},
    {"Nu", 925},      {"Xi", 926},       {"Omicron", 927}, {"Pi", 928},      {"Rho", 929},     {"Sigma", 931},
    {"Tau", 932},     {"Upsilon", 933},  {"Phi", 934},     {"Chi", 935},     {"Psi", 936},     {"Omega", 937},
    {"alpha", 945},   {"beta", 946},     {"gamma", 947},   {"delta", 948},   {"epsilon", 949}, {"zeta", 950},
    {"eta", 951},     {"theta", 952},    {"iota", 953},    {"kappa", 954},   {"lambda", 955},  {"mu", 956},
    {"nu", 957},      {"xi", 958},       {"omicron", 959}, {"pi", 960},      {"rho", 961},     {"sigmaf", 962},
    {"sigma", 963},   {"tau", 964},      {"upsilon", 965}, {"phi", 966},     {"chi", 967},     {"psi", 968},
    {"omega", 969},   {"thetasym", 977}, {"upsih", 978},   {"piv", 982},     {"ensp", 8194},   {"emsp", 8195},
    {"thinsp", 8201}, {"zwnj", 8204},    {"zwj", 8205},    {"lrm", 8206},    {"rlm", 8207},    {"ndash", 8211},
    {"mdash", 8212},  {"lsquo", 8216},   {"rsquo", 8217},  {"sbquo", 8218},  {"ldquo", 8220},  {"rdquo", 8221},
    {"bdquo", 8222},  {"dagger", 8224},  {"Dagger", 8225}, {"bull", 8226},   {"hellip", 8230}, {"permil", 8240},
    {"prime", 8242},  {"Prime", 8243},   {"lsaquo", 8249}, {"rsaquo", 8250}, {"oline", 8254},  {"frasl", 8260},
    {"euro", 8364},   {"image", 8465},   {"weierp", 8472}, {"real", 8476},   {"trade", 8482},  {"alefsym", 8501},
    {"larr", 8592},   {"uarr", 8593},    {"rarr", 8594},   {"darr", 8595},   {"harr", 8596},   {"crarr", 8629},
    {"lArr", 8656},   {"uArr", 8657},    {"rArr", 8658},   {"dArr", 8659},   {"hArr", 8660},   {"forall", 8704},
    {"part", 8706},   {"exist", 8707},   {"empty", 8709},  {"nabla", 8711},  {"isin", 8712},   {"notin", 8713},
    {"ni", 8715},     {"prod", 8719},    {"sum", 8721},    {"minus", 8722},  {"lowast", 8727}, {"radic", 8730},
    {"prop", 8733},   {"infin", 8734},   {"ang", 8736},    {"and", 8743},    {"or", 8744},     {"cap", 8745},
    {"cup", 8746},    {"int", 8747},     {"there4", 8756}, {"sim", 8764},    {"cong", 8773},   {"asymp", 8776},
    {"ne", 8800},     {"equiv", 8801},   {"le", 8804},     {"ge", 8805},     {"sub", 8834},    {"sup", 8835},
    {"nsub", 8836},   {"sube", 8838},    {"supe", 8839},   {"oplus", 8853},  {"otimes", 8855}, {"perp", 8869},
    {"sdot", 8901},   {"lceil", 8968},   {"rceil", 8969},  {"lfloor", 8970}, {"rfloor", 8971}, {"lang", 9001},
    {"rang", 9002},   {"loz", 9674},     {"spades", 9824}, {"clubs", 9827},  {"hearts", 9829}, {"diams", 9830},
};

const std::unordered_map<uint32_t, std::string_view>& EntityByCodepoint() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<uint32_t, std::string_view>();
    for (const Entity& e : kHtml4Entities) m->emplace(e.codepoint, e.name);
    return m;
  }();
  return *map;
}

const std::unordered_map<std::string_view, uint32_t>& EntityByName() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string_view, uint32_t>();
    for (const Entity& e : kHtml4Entities) m->emplace(e.name, e.codepoint);
    return m;
  }();
  return *map;
}

bool IsHexChar(char c) { return JavaHexDigit(c) >= 0; }

// NumericEntityUnescaper with its default option (the ';' is required): "&#65;", "&#x41;".
// Returns the bytes consumed, 0 when `s` at `i` is not such a reference.
size_t UnescapeNumericEntity(std::string_view s, size_t i, std::string* out) {
  if (i + 2 >= s.size() || s[i] != '&' || s[i + 1] != '#') return 0;
  size_t start = i + 2;
  bool hex = s[start] == 'x' || s[start] == 'X';
  if (hex && ++start == s.size()) return 0;
  size_t end = start;
  while (end < s.size() && IsHexChar(s[end])) ++end;  // hex letters too, even in decimal
  if (end == s.size() || s[end] != ';') return 0;
  std::optional<int32_t> value;
  std::string_view digits = s.substr(start, end - start);
  if (hex) {
    // Integer.parseInt(digits, 16)
    uint64_t v = 0;
    for (char c : digits) {
      v = v * 16 + static_cast<uint64_t>(JavaHexDigit(c));
      if (v > 0x7FFFFFFF) return 0;
    }
    if (!digits.empty()) value = static_cast<int32_t>(v);
  } else {
    value = JavaParseInt(digits);
  }
  if (!value || *value < 0 || *value > 0x10FFFF) return 0;  // Character.toChars rejects beyond
  if (*value > 0xFFFF) {
    AppendUtf8(static_cast<uint32_t>(*value), out);
  } else {
    AppendUtf16({static_cast<uint16_t>(*value)}, out);  // a lone surrogate is written as '?'
  }
  return end + 1 - i;
}

}  // namespace

// __escapeHtml(text): StringEscapeUtils.escapeHtml4: " & < > and every HTML 4 character
// with a name become their named reference; nothing else changes.
bool FnEscapeHtml(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::string_view s = a[0];
  const auto& names = EntityByCodepoint();
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    uint32_t cp = script_internal::DecodeUtf8(s, i, &len);
    auto it = (cp < 0x80 && cp != '"' && cp != '&' && cp != '<' && cp != '>') ? names.end() : names.find(cp);
    if (it != names.end()) {
      out->push_back('&');
      out->append(it->second);
      out->push_back(';');
    } else {
      out->append(s.substr(i, len));
    }
    i += len;
  }
  return true;
}

// __unescapeHtml(text): StringEscapeUtils.unescapeHtml4: HTML 4's named references (with
// their ';') and numeric references "&#N;" / "&#xH;"; anything else stays.
bool FnUnescapeHtml(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::string_view s = a[0];
  const auto& by_name = EntityByName();
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out->push_back(s[i++]);
      continue;
    }
    if (size_t n = UnescapeNumericEntity(s, i, out); n > 0) {
      i += n;
      continue;
    }
    size_t semicolon = s.find(';', i + 1);
    if (semicolon != std::string_view::npos && semicolon - i - 1 <= 8) {  // the longest name: "thetasym"
      auto it = by_name.find(s.substr(i + 1, semicolon - i - 1));
      if (it != by_name.end()) {
        AppendUtf8(it->second, out);
        i = semicolon + 1;
        continue;
      }
    }
    out->push_back(s[i++]);
  }
  return true;
}

// __escapeXml(text): StringEscapeUtils.escapeXml10: " & < > ' as entities; the controls
// XML 1.0 forbids (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF) removed;
// U+007F-U+0084 and U+0086-U+009F as "&#N;".
bool FnEscapeXml(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::string_view s = a[0];
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    uint32_t cp = script_internal::DecodeUtf8(s, i, &len);
    switch (cp) {
      case '"': out->append("&quot;"); break;
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '\'': out->append("&apos;"); break;
      default:
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF) {
          break;  // removed
        }
        if ((cp >= 0x7F && cp <= 0x84) || (cp >= 0x86 && cp <= 0x9F)) {
          out->append("&#" + std::to_string(cp) + ";");
        } else {
          out->append(s.substr(i, len));
        }
    }
    i += len;
  }
  return true;
}

// __unescape(text): StringEscapeUtils.unescapeJava: \b \t \n \f \r \" \' \\, octal \0-\377,
// \uXXXX (any number of u's, an optional '+'); a backslash before anything else is dropped.
// A \u without four hex digits throws in JMeter: the call stays as written.
bool FnUnescape(const TemplatePart&, const Args& a, ThreadContext&, std::string* out) {
  std::string_view s = a[0];
  std::string value;
  std::vector<uint16_t> units;
  auto flush = [&] {
    AppendUtf16(units, &value);
    units.clear();
  };
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '\\') {
      flush();
      value.push_back(s[i++]);
      continue;
    }
    if (i + 1 >= s.size()) {  // a trailing backslash: "\\" -> ""
      ++i;
      continue;
    }
    char c = s[i + 1];
    if (c >= '0' && c <= '7') {  // OctalUnescaper: 1-3 digits, 3 only when the first is 0-3
      size_t end = i + 2;
      while (end < s.size() && end < i + 4 && s[end] >= '0' && s[end] <= '7') ++end;
      if (end == i + 4 && s[i + 1] > '3') --end;
      int v = 0;
      for (size_t k = i + 1; k < end; ++k) v = v * 8 + (s[k] - '0');
      flush();
      AppendUtf8(static_cast<uint32_t>(v), &value);
      i = end;
      continue;
    }
    if (c == 'u') {  // UnicodeUnescaper
      size_t j = i + 1;
      while (j < s.size() && s[j] == 'u') ++j;
      if (j < s.size() && s[j] == '+') ++j;
      if (j + 4 > s.size()) return false;
      uint32_t unit = 0;
      for (size_t k = j; k < j + 4; ++k) {
        int d = JavaHexDigit(s[k]);
        if (d < 0) return false;
        unit = unit * 16 + static_cast<uint32_t>(d);
      }
      units.push_back(static_cast<uint16_t>(unit));  // surrogate pairs are joined by flush()
      i = j + 4;
      continue;
    }
    flush();
    switch (c) {
      case 'b': value.push_back('\b'); break;
      case 't': value.push_back('\t'); break;
      case 'n': value.push_back('\n'); break;
      case 'f': value.push_back('\f'); break;
      case 'r': value.push_back('\r'); break;
      case '"':
      case '\'':
      case '\\': value.push_back(c); break;
      default:  // the backslash alone is dropped; the character is read again as text
        ++i;
        continue;
    }
    i += 2;
  }
  flush();
  out->append(value);
  return true;
}

// __escapeOroRegexpChars(text[, var]): ORO's Perl5Compiler.quotemeta: a backslash before
// every character that is not a letter, digit or '_' (non-ASCII characters count as letters).
bool FnEscapeOroRegexpChars(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string value;
  for (char c : a[0]) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                static_cast<unsigned char>(c) >= 0x80;
    if (!word) value.push_back('\\');
    value.push_back(c);
  }
  StoreIn(ctx, a.Trimmed(1), value);
  out->append(value);
  return true;
}

// __changeCase(text[, mode[, var]]): mode UPPER (the default, also when empty), LOWER or
// CAPITALIZE, case-insensitive; an unknown mode gives the text unchanged. Letters outside
// what script_internal::ChangeCase maps leave the call as written.
bool FnChangeCase(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view s = a[0];
  std::string_view mode = a.size() > 1 && !a[1].empty() ? a[1] : "UPPER";
  std::string value;
  if (EqualsIgnoreCase(mode, "UPPER") || EqualsIgnoreCase(mode, "LOWER")) {
    std::optional<std::string> changed = script_internal::ChangeCase(s, EqualsIgnoreCase(mode, "UPPER"));
    if (!changed) return false;
    value = std::move(*changed);
  } else if (EqualsIgnoreCase(mode, "CAPITALIZE")) {
    size_t len = s.empty() ? 0 : std::min(Utf8SequenceLength(static_cast<unsigned char>(s[0])), s.size());
    std::optional<std::string> first = script_internal::ChangeCase(s.substr(0, len), true);
    if (!first) return false;
    value = *first;
    value.append(s.substr(len));
  } else {
    spdlog::error("__changeCase: unknown mode {}, returning {} unchanged", mode, s);
    value = std::string(s);
  }
  StoreIn(ctx, a.Trimmed(2), value);
  out->append(value);
  return true;
}

// __isVarDefined(name): "true" when the variable is set (the name as given, not trimmed).
bool FnIsVarDefined(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  out->append(ctx.vars.Get(a[0]) != nullptr ? "true" : "false");
  return true;
}

// __isPropDefined(name): "true" when the property is set.
bool FnIsPropDefined(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  out->append(Run(ctx).properties.Get(a[0]).has_value() ? "true" : "false");
  return true;
}

// __digest(algorithm, text[, salt[, upper[, var]]]): MessageDigest of the UTF-8 text then
// the salt, as lowercase hex (upper case when `upper` is "true", any case). Java's
// algorithm names, case-insensitive: MD5, SHA-1 (SHA), SHA-224, SHA-256, SHA-384, SHA-512,
// SHA-512/224, SHA-512/256, SHA3-224 ... SHA3-512. An unknown algorithm gives "null" (the
// function returns null, which JMeter appends as "null") and stores nothing.
bool FnDigest(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string name;
  for (char c : a[0]) name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  static const std::unordered_map<std::string_view, std::string_view> kNames = {
      {"MD5", "MD5"},
      {"SHA", "SHA1"},
      {"SHA1", "SHA1"},
      {"SHA-1", "SHA1"},
      {"SHA-224", "SHA224"},
      {"SHA-256", "SHA256"},
      {"SHA-384", "SHA384"},
      {"SHA-512", "SHA512"},
      {"SHA-512/224", "SHA512-224"},
      {"SHA-512/256", "SHA512-256"},
      {"SHA3-224", "SHA3-224"},
      {"SHA3-256", "SHA3-256"},
      {"SHA3-384", "SHA3-384"},
      {"SHA3-512", "SHA3-512"},
  };
  auto it = kNames.find(name);
  const EVP_MD* md = it == kNames.end() ? nullptr : EVP_get_digestbyname(std::string(it->second).c_str());
  if (md == nullptr) {
    spdlog::error("__digest: no such algorithm {}", a[0]);
    out->append("null");
    return true;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX* mdctx = EVP_MD_CTX_new();
  bool ok = mdctx != nullptr && EVP_DigestInit_ex(mdctx, md, nullptr) == 1 &&
            EVP_DigestUpdate(mdctx, a[1].data(), a[1].size()) == 1 &&
            (a.size() < 3 || EVP_DigestUpdate(mdctx, a[2].data(), a[2].size()) == 1) &&
            EVP_DigestFinal_ex(mdctx, digest, &digest_len) == 1;
  EVP_MD_CTX_free(mdctx);
  if (!ok) return false;
  bool upper = a.size() > 3 && EqualsIgnoreCase(a[3], "true");  // Boolean.parseBoolean
  std::string value;
  for (unsigned int i = 0; i < digest_len; ++i) {
    value.push_back(JavaForHexDigit(digest[i] >> 4, upper));
    value.push_back(JavaForHexDigit(digest[i] & 0xF, upper));
  }
  StoreIn(ctx, a.Trimmed(4), value);
  out->append(value);
  return true;
}

namespace {

// A base64 digit's value (commons-codec's table: the standard and the URL-safe alphabets),
// -1 for anything else.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

// __base64Encode(text[, var]) (JMeter Plugins): the UTF-8 bytes in standard base64 with
// padding, no line breaks. The variable name is used as given (not trimmed).
bool FnBase64Encode(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string value = Base64Encode(a[0]);
  if (a.size() > 1) StoreIn(ctx, a[1], value);
  out->append(value);
  return true;
}

// __base64Decode(text[, var]) (JMeter Plugins): commons-codec's lenient decoding (characters
// outside the alphabets are skipped, '=' ends the data, a last partial group gives the
// bytes it completes), the bytes read as UTF-8 (malformed sequences become U+FFFD).
bool FnBase64Decode(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : a[0]) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  std::string value;
  AppendDecodedUtf8(bytes, &value);
  if (a.size() > 1) StoreIn(ctx, a[1], value);
  out->append(value);
  return true;
}

// __env(name[, var[, default]]) (JMeter Plugins): the environment variable, else the
// default (the name itself when no default is given). The variable name is not trimmed.
bool FnEnv(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string name(a[0]);
  const char* env = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): nothing sets it
  std::string value = env != nullptr ? std::string(env) : std::string(a.size() > 2 ? a[2] : a[0]);
  if (a.size() > 1) StoreIn(ctx, a[1], value);
  out->append(value);
  return true;
}

namespace {

// LogFunction.logDetails: OUT and ERR print "Log: <thread> : <text>" (or "Log: <thread>
// <comment><text>") to stdout/stderr; a level name (trimmed, any case) logs
// "<thread> <separator> <text>" at that level, DEBUG when unknown. The throwable's message
// follows as "java.lang.Throwable: <message>".
void LogDetails(ThreadContext& ctx, std::string_view text, std::string_view level,
                std::optional<std::string_view> throwable, std::string_view comment) {
  std::string prio;
  for (char c : JavaTrim(level)) prio.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  const std::string& thread = ctx.thread_name;
  std::string trace = throwable ? "java.lang.Throwable: " + std::string(*throwable) : "";
  if (prio == "OUT" || prio == "ERR") {
    std::string line = "Log: " + thread;
    if (!comment.empty()) {
      line += ' ';
      line += comment;
    } else {
      line += " : ";
    }
    line += text;
    line += trace.empty() ? "\n" : " " + trace + "\n";
    static std::mutex mu;  // one line at a time, as LogFunction is synchronized
    std::lock_guard lock(mu);
    std::FILE* stream = prio == "OUT" ? stdout : stderr;
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fflush(stream);
    return;
  }
  spdlog::level::level_enum lvl = spdlog::level::debug;
  if (prio == "ERROR") lvl = spdlog::level::err;
  if (prio == "WARN") lvl = spdlog::level::warn;
  if (prio == "INFO") lvl = spdlog::level::info;
  if (prio == "TRACE") lvl = spdlog::level::trace;
  std::string_view separator = comment.empty() ? std::string_view(" : ") : comment;
  if (trace.empty()) {
    spdlog::log(lvl, "{} {} {}", thread, separator, text);
  } else {
    spdlog::log(lvl, "{} {} {}\n{}", thread, separator, text, trace);
  }
}

}  // namespace

// __log(text[, level[, throwable[, comment]]]): logs and returns the text. The level
// defaults to INFO (also when empty); an empty throwable text means none.
bool FnLog(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view level = a.size() > 1 && !a[1].empty() ? a[1] : "INFO";
  std::optional<std::string_view> throwable;
  if (a.size() > 2 && !a[2].empty()) throwable = a[2];
  LogDetails(ctx, a[0], level, throwable, a.size() > 3 ? a[3] : "");
  out->append(a[0]);
  return true;
}

// __logn(text[, level[, throwable]]): logs and returns "". A given throwable argument is
// always attached, even when empty.
bool FnLogn(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string*) {
  std::string_view level = a.size() > 1 && !a[1].empty() ? a[1] : "INFO";
  std::optional<std::string_view> throwable;
  if (a.size() > 2) throwable = a[2];
  LogDetails(ctx, a[0], level, throwable, "");
  return true;
}

// __machineIP([var]): the address the host name resolves to (JMeterUtils.getLocalHostIP).
bool FnMachineIp(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  const std::string& ip = Run(ctx).MachineIp();
  StoreIn(ctx, a.Trimmed(0), ip);
  out->append(ip);
  return true;
}

// __samplerName([var]): the name of the sampler being run, "" outside one.
bool FnSamplerName(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view name = ctx.sampler_name != nullptr ? std::string_view(*ctx.sampler_name) : "";
  StoreIn(ctx, a.Trimmed(0), name);
  out->append(name);
  return true;
}

// __threadGroupName(): the user's thread group, "" outside one.
bool FnThreadGroupName(const TemplatePart&, const Args&, ThreadContext& ctx, std::string* out) {
  out->append(ctx.group_name);
  return true;
}

// __eval(text): the text evaluated again as a template.
bool FnEval(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  thread_local int depth = 0;
  if (depth >= 16) return true;  // a value that evaluates itself: stop, don't overflow
  ++depth;
  std::string text(a[0]);
  out->append(EvaluateText(text, ctx));
  --depth;
  return true;
}

// __RandomFromMultipleVars(names[, var]): one value picked at random among the variables
// named (separated by '|'); a name with name_matchNr > 0 contributes name_1..name_N, else
// its own value when not empty. "" when there is none.
bool FnRandomFromMultipleVars(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view names = a.Trimmed(0);
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= names.size()) {
    size_t bar = names.find('|', start);
    if (bar == std::string_view::npos) bar = names.size();
    std::string name(names.substr(start, bar - start));
    start = bar + 1;
    if (name.empty()) continue;
    const std::string* count = ctx.vars.Get(name + "_matchNr");
    int32_t n = 0;
    if (count != nullptr && !count->empty()) {
      std::optional<int32_t> parsed = JavaParseInt(*count);
      if (!parsed) return false;  // NumberFormatException in JMeter
      n = *parsed;
    }
    if (n > 0) {
      for (int32_t i = 1; i <= n; ++i) {
        const std::string* v = ctx.vars.Get(name + "_" + std::to_string(i));
        values.push_back(v != nullptr ? *v : "null");
      }
    } else if (const std::string* v = ctx.vars.Get(name); v != nullptr && !v->empty()) {
      values.push_back(*v);
    }
  }
  std::string value;
  if (!values.empty()) {
    std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
    value = values[pick(ctx.rng)];
  }
  StoreIn(ctx, a.Trimmed(1), value);
  out->append(value);
  return true;
}

// __dateTimeConvert(date, source format, target format[, var]): the date parsed with the
// source pattern (epoch milliseconds when it is empty) and printed with the target one,
// both in the system's time zone. "" (nothing stored) when a pattern or the date is invalid.
bool FnDateTimeConvert(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view date = a[0];
  std::string_view source = a[1];
  const Result<DateTimePattern>& target = CompiledPattern(a[2]);
  if (!target.ok()) return true;
  int64_t millis = 0;
  if (source.empty()) {
    std::optional<int64_t> parsed = JavaParseLong(date);
    if (!parsed) return true;
    millis = *parsed;
  } else {
    const Result<DateTimePattern>& pattern = CompiledPattern(source);
    if (!pattern.ok()) return true;
    ZonedTime now = LocalZonedTime(WallMillis());
    std::optional<ParsedDateTime> parsed = pattern->Parse(date, YearOf(now), now.offset_seconds);
    if (!parsed) return true;
    millis = parsed->epoch_millis;
  }
  std::string value;
  target->Format(LocalZonedTime(millis), &value);
  StoreIn(ctx, a.Trimmed(3), value);
  out->append(value);
  return true;
}

// __RandomDate(format, start, end[, locale[, var]]): a day picked at random in [start, end)
// (start defaults to today), formatted with the pattern (default yyyy-MM-dd). A start or
// end that does not parse counts as 1970-01-01 (JMeter logs it); "" when end < start, and
// when end == start (JMeter's random draw throws). Only English names, whatever the locale.
bool FnRandomDate(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  std::string_view format = a.Trimmed(0);
  const Result<DateTimePattern>& pattern = CompiledPattern(format.empty() ? "yyyy-MM-dd" : format);
  if (!pattern.ok()) return true;
  constexpr int64_t kMillisPerDay = 86400000;
  auto floor_day = [](int64_t millis) { return millis / kMillisPerDay - (millis % kMillisPerDay < 0 ? 1 : 0); };
  ZonedTime now = LocalZonedTime(WallMillis());
  int64_t year = YearOf(now);
  auto epoch_day = [&](std::string_view text) -> int64_t {
    std::optional<ParsedDateTime> parsed = pattern->Parse(text, year, 0);
    return parsed ? floor_day(parsed->epoch_millis) : 0;
  };
  std::string_view start_text = a.Trimmed(1);
  int64_t start =
      start_text.empty() ? floor_day(now.epoch_millis() + int64_t{now.offset_seconds} * 1000) : epoch_day(start_text);
  int64_t end = epoch_day(a.Trimmed(2));
  if (end <= start) return true;
  std::uniform_int_distribution<int64_t> pick(start, end - 1);
  std::string value;
  pattern->Format(FixedOffsetTime(pick(ctx.rng) * kMillisPerDay, 0), &value);
  StoreIn(ctx, a.Trimmed(4), value);
  out->append(value);
  return true;
}

}  // namespace barrage::function_impl

namespace barrage {

const std::string& RunContext::MachineIp() {
  // InetAddress.getLocalHost().getHostAddress(): the host name resolved (through
  // /etc/hosts first), an IPv4 address preferred; 127.0.0.1 when it does not resolve.
  // Resolved once per run, on first use.
  std::call_once(machine_ip_once_, [this] {
    std::string host = machine_name.empty() ? HostName("localhost") : machine_name;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    machine_ip_ = "127.0.0.1";
    if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return;
    const addrinfo* pick = found;
    for (const addrinfo* p = found; p != nullptr; p = p->ai_next) {
      if (p->ai_family == AF_INET) {
        pick = p;
        break;
      }
    }
    char text[NI_MAXHOST];
    if (getnameinfo(pick->ai_addr, pick->ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST) == 0) {
      machine_ip_ = text;
    }
    freeaddrinfo(found);
  });
  return machine_ip_;
}

}  // namespace barrage
