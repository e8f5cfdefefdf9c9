#include "worker/extractors.h"
#include "common/java_lang.h"
#include "common/utf8.h"

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "worker/regex.h"
#include "worker/sample_fields.h"

namespace barrage {

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The inputs one extractor reads. Views point into the samples, into the copies kept here,
// or into a copied variable, all alive as long as this object.
class Inputs {
 public:
  // `field` is the element's useHeaders property; the order of the tests is JMeter's.
  void AddField(const SampleResult& result, std::string_view field) {
    std::string& scratch = owned_.emplace_back();
    if (EqualsNoCase(field, "URL")) {
      views_.push_back(result.sample.url);
    } else if (EqualsNoCase(field, "true")) {
      views_.push_back(JMeterResponseHeaders(result, &scratch));
    } else if (EqualsNoCase(field, "request_headers")) {
      views_.push_back(JMeterRequestHeaders(result, &scratch));
    } else if (EqualsNoCase(field, "code")) {
      views_.push_back(result.sample.response_code);
    } else if (EqualsNoCase(field, "message")) {
      views_.push_back(result.sample.response_message);
    } else if (EqualsNoCase(field, "unescaped")) {
      if (result.body.find('&') == std::string::npos) {
        views_.push_back(result.body);
      } else {
        scratch = UnescapeHtml(result.body);
        views_.push_back(scratch);
      }
    } else {
      views_.push_back(result.body);  // "false", "", "as_document" and anything else
    }
  }
  void AddCopy(std::string text) {
    owned_.push_back(std::move(text));
    views_.push_back(owned_.back());
  }
  // Must be called before adding: views into owned_ stay valid only without reallocation.
  void Reserve(size_t n) {
    owned_.reserve(n);
    views_.reserve(n);
  }
  const std::vector<std::string_view>& views() const { return views_; }

 private:
  std::vector<std::string> owned_;
  std::vector<std::string_view> views_;
};

// Fills `inputs` from the element's scope: the variable's value (none when unset) or the
// field of each sample in scope.
void GatherInputs(const SampleResult& result, SampleScope scope, const Value& scope_variable, std::string_view field,
                  ThreadContext& ctx, Inputs* inputs) {
  if (scope == SampleScope::kVariable) {
    // Copied: the extractor may overwrite this very variable while its matches are used.
    const std::string* value = ctx.vars.Get(Evaluate(scope_variable, ctx));
    inputs->Reserve(1);
    if (value != nullptr) inputs->AddCopy(*value);
    return;
  }
  if (scope == SampleScope::kParent) {
    inputs->Reserve(1);
    inputs->AddField(result, field);
    return;
  }
  std::vector<const SampleResult*> samples;
  CollectScopedSamples(result, scope, &samples);
  inputs->Reserve(samples.size());
  for (const SampleResult* sample : samples) inputs->AddField(*sample, field);
}

size_t RandomIndex(size_t size, ThreadContext& ctx) {
  return std::uniform_int_distribution<size_t>(0, size - 1)(ctx.rng);
}

// Removes `ref_matchNr` and returns the count it held (0 when unset or not a number).
int32_t TakePreviousCount(Variables& vars, const std::string& ref) {
  const std::string name = ref + "_matchNr";
  const std::string* previous = vars.Get(name);
  if (previous == nullptr) return 0;
  int32_t count = JavaParseInt(*previous).value_or(0);
  vars.Remove(name);
  return count;
}

// ---------------------------------------------------------------------------------------
// Regular Expression Extractor.

// A template piece: literal text, or a group number (kLiteral when text).
struct TemplatePiece {
  static constexpr int64_t kLiteral = -1;
  int64_t group = kLiteral;
  std::string_view text;
};

// RegexExtractor.initTemplate: "$n$" references (n decimal digits) between literal text.
std::vector<TemplatePiece> ParseExtractorTemplate(std::string_view raw) {
  std::vector<TemplatePiece> pieces;
  size_t literal_start = 0;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw[i] != '$') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    int64_t group = 0;
    while (j < raw.size() && raw[j] >= '0' && raw[j] <= '9') {
      // A number Java's Integer.valueOf rejects can name no group.
      group = std::min<int64_t>(group * 10 + (raw[j] - '0'), std::numeric_limits<int32_t>::max());
      ++j;
    }
    if (j == i + 1 || j == raw.size() || raw[j] != '$') {
      ++i;
      continue;
    }
    if (i > literal_start) pieces.push_back({TemplatePiece::kLiteral, raw.substr(literal_start, i - literal_start)});
    pieces.push_back({group, {}});
    i = j + 1;
    literal_start = i;
  }
  if (literal_start < raw.size()) pieces.push_back({TemplatePiece::kLiteral, raw.substr(literal_start)});
  return pieces;
}

std::string GenerateResult(const std::vector<TemplatePiece>& pieces, const RegexMatches& matches, size_t index) {
  std::string out;
  for (const TemplatePiece& piece : pieces) {
    if (piece.group == TemplatePiece::kLiteral) {
      out += piece.text;
    } else if (auto group = matches.Group(index, static_cast<size_t>(piece.group))) {
      out += *group;
    } else {
      out += "null";  // Java appends a null group as "null"
    }
  }
  return out;
}

// RegexExtractor.saveGroups: base_g0..base_gK, base_g = K, stale higher groups removed.
// A group that did not take part is left unset (JMeter stores null, which reads as unset).
void SaveGroups(Variables& vars, const std::string& base, const RegexMatches& matches, size_t index) {
  std::string name = base + "_g";
  const size_t prefix = name.size();
  int64_t previous = 0;
  if (const std::string* value = vars.Get(name)) previous = JavaParseInt(*value).value_or(0);
  const size_t groups = matches.group_count();
  for (size_t g = 0; g < groups; ++g) {
    name.resize(prefix);
    name += std::to_string(g);
    if (auto value = matches.Group(index, g)) {
      vars.Put(name, std::string(*value));
    } else {
      vars.Remove(name);
    }
  }
  name.resize(prefix);
  vars.Put(name, std::to_string(groups - 1));
  for (int64_t g = static_cast<int64_t>(groups); g <= previous; ++g) {
    name.resize(prefix);
    name += std::to_string(g);
    vars.Remove(name);
  }
}

// RegexExtractor.removeGroups: base_g and base_g0..base_gK for the K it holds.
void RemoveGroups(Variables& vars, const std::string& base) {
  std::string name = base + "_g";
  const size_t prefix = name.size();
  int32_t groups = 0;
  if (const std::string* value = vars.Get(name)) groups = JavaParseInt(*value).value_or(0);
  vars.Remove(name);
  for (int32_t g = 0; g <= groups; ++g) {
    name.resize(prefix);
    name += std::to_string(g);
    vars.Remove(name);
  }
}

// ---------------------------------------------------------------------------------------
// Boundary Extractor.

// BoundaryExtractor.extract(left, right, matchNumber, input), appending to `out`.
void ExtractBetween(std::string_view left, std::string_view right, int32_t match_number, std::string_view input,
                    std::vector<std::string_view>* out) {
  if (JavaIsBlank(input)) return;
  if (left.empty() && right.empty()) {
    out->push_back(input);
    return;
  }
  if (left.empty()) {
    size_t end = input.find(right);
    if (end != std::string_view::npos) {
      out->push_back(input.substr(0, end));
      return;
    }
  }
  if (right.empty()) {
    size_t begin = input.find(left);
    if (begin != std::string_view::npos) {
      out->push_back(input.substr(begin + left.size()));
      return;
    }
  }
  const bool collect_all = match_number <= 0;
  int32_t found = 0;
  // Like JMeter, the next left boundary is searched right after this one, so matches may
  // overlap ("<a><a>x</a>" gives "<a>x" and "x").
  for (size_t start = input.find(left); start != std::string_view::npos;
       start = input.find(left, start + left.size())) {
    size_t end = input.find(right, start + left.size());
    if (end == std::string_view::npos) break;
    ++found;
    std::string_view match = input.substr(start + left.size(), end - start - left.size());
    if (collect_all) {
      out->push_back(match);
    } else if (found == match_number) {
      out->push_back(match);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------
// HTML entities.

struct NamedReference {
  std::string_view name;
  uint32_t codepoint;
};

// HTML 4's named character references plus &apos; and HTML5's upper-case aliases (HTML5
// values: &lang; and &rang; are U+27E8/U+27E9).
constexpr NamedReference kNamedReferences[] = {
    {"quot", 34},      {"amp", 38},      {"apos", 39},      {"lt", 60},       {"gt", 62},       {"QUOT", 34},
    {"AMP", 38},       {"LT", 60},       {"GT", 62},        {"COPY", 169},    {"REG", 174},     {"nbsp", 160},
    {"iexcl", 161},    {"cent", 162},    {"pound", 163},    {"curren", 164},  {"yen", 165},     {"brvbar", 166},
    {"sect", 167},     {"uml", 168},     {"copy", 169},     {"ordf", 170},    {"laquo", 171},   {"not", 172},
    {"shy", 173},      {"reg", 174},     {"macr", 175},     {"deg", 176},     {"plusmn", 177},  {"sup2", 178},
    {"sup3", 179},     {"acute", 180},   {"micro", 181},    {"para", 182},    {"middot", 183},  {"cedil", 184},
    {"sup1", 185},     {"ordm", 186},    {"raquo", 187},    {"frac14", 188},  {"frac12", 189},  {"frac34", 190},
    {"iquest", 191},   {"Agrave", 192},  {"Aacute", 193},   {"Acirc", 194},   {"Atilde", 195},  {"Auml", 196},
    {"Aring", 197},    {"AElig", 198},   {"Ccedil", 199},   {"Egrave", 200},  {"Eacute", 201},  {"Ecirc", 202},
    {"Euml", 203},     {"Igrave", 204},  {"Iacute", 205},   {"Icirc", 206},   {"Iuml", 207},    {"ETH", 208},
    {"Ntilde", 209},   {"Ograve", 210},  {"Oacute", 211},   {"Ocirc", 212},   {"Otilde", 213},  {"Ouml", 214},
    {"times", 215},    {"Oslash", 216},  {"Ugrave", 217},   {"Uacute", 218},  {"Ucirc", 219},   {"Uuml", 220},
    {"Yacute", 221},   {"THORN", 222},   {"szlig", 223},    {"agrave", 224},  {"aacute", 225},  {"acirc", 226},
    {"atilde", 227},   {"auml", 228},    {"aring", 229},    {"aelig", 230},   {"ccedil", 231},  {"egrave", 232},
    {"eacute", 233},   {"ecirc", 234},   {"euml", 235},     {"igrave", 236},  {"iacute", 237},  {"icirc", 238},
    {"iuml", 239},     {"eth", 240},     {"ntilde", 241},   {"ograve", 242},  {"oacute", 243},  {"ocirc", 244},
    {"otilde", 245},   {"ouml", 246},    {"divide", 247},   {"oslash", 248},  {"ugrave", 249},  {"uacute", 250},
    {"ucirc", 251},    {"uuml", 252},    {"yacute", 253},   {"thorn", 254},   {"yuml", 255},    {"OElig", 338},
    {"oelig", 339},    {"Scaron", 352},  {"scaron", 353},   {"Yuml", 376},    {"fnof", 402},    {"circ", 710},
    {"tilde", 732},    {"Alpha", 913},   {"Beta", 914},     {"Gamma", 915},   {"Delta", 916},   {"Epsilon", 917},
    {"Zeta", 918},     {"Eta", 919},     {"Theta", 920},    {"Iota", 921},    {"Kappa", 922},   {"Lambda", 923},
    {"Mu", 924},       {"Nu", 925},      {"Xi", 926},       {"Omicron", 927}, {"Pi", 928},      {"Rho", 929},
    {"Sigma", 931},    {"Tau", 932},     {"Upsilon", 933},  {"Phi", 934},     {"Chi", 935},     {"Psi", 936},
    {"Omega", 937},    {"alpha", 945},   {"beta", 946},     {"gamma", 947},   {"delta", 948},   {"epsilon", 949},
    {"zeta", 950},     {"eta", 951},     {"theta", 952},    {"iota", 953},    {"kappa", 954},   {"lambda", 955},
    {"mu", 956},       {"nu", 957},      {"xi", 958},       {"omicron", 959}, {"pi", 960},      {"rho", 961},
    {"sigmaf", 962},   {"sigma", 963},   {"tau", 964},      {"upsilon", 965}, {"phi", 966},     {"chi", 967},
    {"psi", 968},      {"omega", 969},   {"thetasym", 977}, {"upsih", 978},   {"piv", 982},     {"ensp", 8194},
    {"emsp", 8195},    {"thinsp", 8201}, {"zwnj", 8204},    {"zwj", 8205},    {"lrm", 8206},    {"rlm", 8207},
    {"ndash", 8211},   {"mdash", 8212},  {"lsquo", 8216},   {"rsquo", 8217},  {"sbquo", 8218},  {"ldquo", 8220},
    {"rdquo", 8221},   {"bdquo", 8222},  {"dagger", 8224},  {"Dagger", 8225}, {"bull", 8226},   {"hellip", 8230},
    {"permil", 8240},  {"prime", 8242},  {"Prime", 8243},   {"lsaquo", 8249}, {"rsaquo", 8250}, {"oline", 8254},
    {"frasl", 8260},   {"euro", 8364},   {"image", 8465},   {"weierp", 8472}, {"real", 8476},   {"trade", 8482},
    {"alefsym", 8501}, {"larr", 8592},   {"uarr", 8593},    {"rarr", 8594},   {"darr", 8595},   {"harr", 8596},
    {"crarr", 8629},   {"lArr", 8656},   {"uArr", 8657},    {"rArr", 8658},   {"dArr", 8659},   {"hArr", 8660},
    {"forall", 8704},  {"part", 8706},   {"exist", 8707},   {"empty", 8709},  {"nabla", 8711},  {"isin", 8712},
    {"notin", 8713},   {"ni", 8715},     {"prod", 8719},    {"sum", 8721},    {"minus", 8722},  {"lowast", 8727},
    {"radic", 8730},   {"prop", 8733},   {"infin", 8734},   {"ang", 8736},    {"and", 8743},    {"or", 8744},
    {"cap", 8745},     {"cup", 8746},    {"int", 8747},     {"there4", 8756}, {"sim", 8764},    {"cong", 8773},
    {"asymp", 8776},   {"ne", 8800},     {"equiv", 8801},   {"le", 8804},     {"ge", 8805},     {"sub", 8834},
    {"sup", 8835},     {"nsub", 8836},   {"sube", 8838},    {"supe", 8839},   {"oplus", 8853},  {"otimes", 8855},
    {"perp", 8869},    {"sdot", 8901},   {"lceil", 8968},   {"rceil", 8969},  {"lfloor", 8970}, {"rfloor", 8971},
    {"lang", 10216},   {"rang", 10217},  {"loz", 9674},     {"spades", 9824}, {"clubs", 9827},  {"hearts", 9829},
    {"diams", 9830},
};

// The references HTML5 also accepts without ';' (the Latin-1 ones and the markup ones).
bool IsLegacyReference(const NamedReference& ref) {
  return (ref.codepoint >= 160 && ref.codepoint <= 255) || ref.codepoint == 34 || ref.codepoint == 38 ||
         ref.codepoint == 60 || ref.codepoint == 62;
}

const std::unordered_map<std::string_view, const NamedReference*>& NamedReferences() {
  static const auto* map = [] {
    auto* m = new std::unordered_map<std::string_view, const NamedReference*>();
    for (const NamedReference& ref : kNamedReferences) m->emplace(ref.name, &ref);
    return m;
  }();
  return *map;
}

// unbescape's fix-ups for numeric references (Windows-1252 in 128-159, invalid values).
uint32_t TranslateIllFormedCodepoint(uint32_t codepoint) {
  if (codepoint == 0) return 0xFFFD;
  if (codepoint >= 0x80 && codepoint <= 0x9F) return Windows1252ToUnicode(static_cast<unsigned char>(codepoint));
  if ((codepoint >= 0xD800 && codepoint <= 0xDFFF) || codepoint > 0x10FFFF) return 0xFFFD;
  return codepoint;
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Parses digits in `radix`; 0xFFFD on overflow, as unbescape does.
uint32_t ParseReferenceNumber(std::string_view digits, uint32_t radix) {
  uint64_t value = 0;
  for (char c : digits) {
    const auto d = static_cast<uint32_t>(JavaHexDigit(c));
    value = value * radix + d;
    if (value > 0x7FFFFFFF) return 0xFFFD;
  }
  return static_cast<uint32_t>(value);
}

}  // namespace

std::string UnescapeHtml(std::string_view text) {
  if (text.find('&') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '&' || i + 1 >= text.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    const char c1 = text[i + 1];
    if (c1 == '#') {
      const bool hex = i + 3 < text.size() && (text[i + 2] == 'x' || text[i + 2] == 'X');
      size_t digits_start = i + (hex ? 3 : 2);
      size_t end = digits_start;
      while (end < text.size() && (hex ? JavaHexDigit(text[end]) >= 0 : IsAsciiDigit(text[end]))) ++end;
      if (end == digits_start) {
        out.push_back(c);
        ++i;
        continue;
      }
      uint32_t cp = ParseReferenceNumber(text.substr(digits_start, end - digits_start), hex ? 16 : 10);
      if (end < text.size() && text[end] == ';') ++end;
      AppendUtf8(TranslateIllFormedCodepoint(cp), &out);
      i = end;
      continue;
    }
    size_t end = i + 1;
    while (end < text.size() && IsAsciiAlnum(text[end])) ++end;
    if (end == i + 1) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::string_view name = text.substr(i + 1, end - i - 1);
    const bool semicolon = end < text.size() && text[end] == ';';
    const auto& refs = NamedReferences();
    auto exact = refs.find(name);
    if (exact != refs.end() && (semicolon || IsLegacyReference(*exact->second))) {
      AppendUtf8(exact->second->codepoint, &out);
      i = semicolon ? end + 1 : end;
      continue;
    }
    // The longest legacy reference the name starts with ("&notit;" is "¬it;").
    const NamedReference* partial = nullptr;
    for (size_t length = name.size() - 1; length > 0 && partial == nullptr; --length) {
      auto it = refs.find(name.substr(0, length));
      if (it != refs.end() && IsLegacyReference(*it->second)) partial = it->second;
    }
    if (partial == nullptr) {
      out.push_back(c);
      ++i;
      continue;
    }
    AppendUtf8(partial->codepoint, &out);
    i += 1 + partial->name.size();
  }
  return out;
}

void RunRegexExtractor(const RegexExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  // Evaluated in JMeter's order: template, reference name, match number, default, regex.
  const std::string template_text = Evaluate(extractor.template_, ctx);
  const std::vector<TemplatePiece> pieces = ParseExtractorTemplate(template_text);
  const std::string ref = Evaluate(extractor.reference_name, ctx);
  const int32_t match_number = PropertyAsInt(Evaluate(extractor.match_number, ctx));
  std::string default_value = Evaluate(extractor.default_value, ctx);
  if (!default_value.empty() || extractor.default_empty_value) vars.Put(ref, std::move(default_value));

  const std::string regex = Evaluate(extractor.regex, ctx);
  Inputs inputs;
  GatherInputs(result, extractor.scope, extractor.scope_variable, extractor.use_field, ctx, &inputs);
  // Nothing is evaluated from here on while `re` is in use (see worker/regex.h).
  const CompiledRegex* re = CompileRegex(regex, RegexMode::kSearch, nullptr);
  if (re == nullptr) return;  // JMeter only logs "Error in pattern"; the default stays
  RegexMatches matches(*re);
  const size_t limit = match_number > 0 ? static_cast<size_t>(match_number) : 0;
  for (std::string_view input : inputs.views()) {
    if (matches.Collect(input, limit) == limit && limit > 0) break;
  }

  const int32_t previous_count = TakePreviousCount(vars, ref);
  size_t match_count = 0;
  if (match_number >= 0) {
    const size_t n = matches.size();
    if (n > 0 && static_cast<size_t>(match_number) <= n) {
      const size_t index = match_number == 0 ? RandomIndex(n, ctx) : static_cast<size_t>(match_number) - 1;
      vars.Put(ref, GenerateResult(pieces, matches, index));
      SaveGroups(vars, ref, matches, index);
    } else {
      RemoveGroups(vars, ref);  // `ref` keeps the default (or its previous value)
    }
  } else {
    RemoveGroups(vars, ref);
    match_count = matches.size();
    vars.Put(ref + "_matchNr", std::to_string(match_count));
    for (size_t i = 0; i < match_count; ++i) {
      const std::string name = ref + "_" + std::to_string(i + 1);
      vars.Put(name, GenerateResult(pieces, matches, i));
      SaveGroups(vars, name, matches, i);
    }
  }
  for (int64_t i = static_cast<int64_t>(match_count) + 1; i <= previous_count; ++i) {
    const std::string name = ref + "_" + std::to_string(i);
    vars.Remove(name);
    RemoveGroups(vars, name);
  }
}

void RunBoundaryExtractor(const BoundaryExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  const std::string ref = Evaluate(extractor.reference_name, ctx);
  if (ref.empty()) return;  // JMeter throws "One of the mandatory properties is missing"
  std::string default_value = Evaluate(extractor.default_value, ctx);
  if (!JavaIsBlank(default_value) || extractor.default_empty_value) vars.Put(ref, std::move(default_value));
  const int32_t match_number = PropertyAsInt(Evaluate(extractor.match_number, ctx));
  const int32_t previous_count = TakePreviousCount(vars, ref);

  const std::string left = Evaluate(extractor.left_boundary, ctx);
  const std::string right = Evaluate(extractor.right_boundary, ctx);
  Inputs inputs;
  GatherInputs(result, extractor.scope, extractor.scope_variable, extractor.use_field, ctx, &inputs);
  std::vector<std::string_view> matches;
  if (extractor.scope == SampleScope::kVariable) {
    for (std::string_view input : inputs.views()) ExtractBetween(left, right, match_number, input, &matches);
  } else {
    // All matches of every sample, then the n-th of them.
    for (std::string_view input : inputs.views()) ExtractBetween(left, right, -1, input, &matches);
    if (match_number > 0) {
      if (static_cast<size_t>(match_number) <= matches.size()) {
        std::string_view nth = matches[static_cast<size_t>(match_number) - 1];
        matches.assign(1, nth);
      } else {
        matches.clear();
      }
    }
  }

  size_t match_count = 0;
  if (match_number == 0 && !matches.empty()) {
    vars.Put(ref, std::string(matches[RandomIndex(matches.size(), ctx)]));
  } else if (match_number > 0 && matches.size() == 1) {
    vars.Put(ref, std::string(matches[0]));
  } else if (match_number < 0) {
    match_count = matches.size();
    vars.Put(ref + "_matchNr", std::to_string(match_count));
    for (size_t i = 0; i < match_count; ++i) {
      vars.Put(ref + "_" + std::to_string(i + 1), std::string(matches[i]));
    }
  }
  for (int64_t i = static_cast<int64_t>(match_count) + 1; i <= previous_count; ++i) {
    vars.Remove(ref + "_" + std::to_string(i));
  }
}

}  // namespace barrage
