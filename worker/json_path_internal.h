// Internals of JSONPath (worker/json_path.h is the contract), shared by the files that
// implement it:
//   json_path.cc                  JsonValue, JsonPath::Compile, the per-thread path cache
//   json_path_text.cc             strings as Java sees them (UTF-16), Java's number types
//   json_smart_parser.cc          ParseJson: json-smart's permissive parser
//   json_path_writer.cc           values printed as json-smart and Java print them
//   json_path_compiler.cc         Jayway's PathCompiler    } sharing CharacterIndex
//   json_path_filter_compiler.cc  Jayway's FilterCompiler  } (json_path_compiler.h)
//   json_path_evaluator.cc        Jayway's evaluation of a compiled path (JsonPath::Read),
//   json_path_filters.cc          its filters
//   json_path_functions.cc        and its functions (the Evaluator: json_path_evaluator.h)
// Included only by those files.
#ifndef BARRAGE_WORKER_JSON_PATH_INTERNAL_H_
#define BARRAGE_WORKER_JSON_PATH_INTERNAL_H_

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/utf8.h"
#include "worker/json_path.h"

namespace barrage {
namespace json_path_internal {

using Type = JsonValue::Type;

extern const JsonValue kNullValue;

// strtod in the "C" locale, whatever the process locale is.
double StrToDouble(const std::string& s);

// ---------------------------------------------------------------------------------------
// Text helpers: UTF-8 / UTF-16, as Java sees strings (json_path_text.cc).

// Decodes the code point at s[*i] and advances; a malformed byte decodes as itself
// (returned negated so callers can copy it through unchanged).
int32_t NextCodePoint(std::string_view s, size_t* i);

// java.lang.String.hashCode().
int32_t JavaHashCode(std::string_view s);

// Builds UTF-8 from UTF-16 code units (escapes such as \uD83D\uDE00), pairing surrogates;
// a lone surrogate becomes U+FFFD.
class Utf16Builder {
 public:
  explicit Utf16Builder(std::string* out) : out_(out) {}
  ~Utf16Builder() { Flush(); }
  void Unit(uint32_t u) {
    if (u >= 0xD800 && u <= 0xDBFF) {
      Flush();
      high_ = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      if (high_ != 0) {
        AppendUtf8(static_cast<uint32_t>(0x10000 + ((high_ - 0xD800) << 10) + (u - 0xDC00)), out_);
        high_ = 0;
      } else {
        AppendUtf8(0xFFFD, out_);
      }
    } else {
      Flush();
      AppendUtf8(static_cast<uint32_t>(u), out_);
    }
  }
  void Byte(char c) {
    Flush();
    out_->push_back(c);
  }
  void Flush() {
    if (high_ != 0) AppendUtf8(0xFFFD, out_);
    high_ = 0;
  }

 private:
  std::string* out_;
  uint32_t high_ = 0;
};

// ---------------------------------------------------------------------------------------
// Java number types (json_path_text.cc).

// new DecimalFormat("#.#") with 1 to 340 fraction digits (JSONPathAssertion), English
// symbols: plain notation, no grouping.
std::string DecimalFormatString(double d);

// java.math.BigDecimal: sign, unscaled digits (no leading zeros, "0" for zero) and scale.
struct BigDec {
  bool negative = false;
  std::string digits = "0";
  int64_t scale = 0;
};

// new BigDecimal(String); nullopt on NumberFormatException.
std::optional<BigDec> ParseBigDecimal(std::string_view s);
// BigDecimal.toString().
std::string BigDecimalString(const BigDec& b);
// BigDecimal.compareTo.
int CompareBigDec(const BigDec& a, const BigDec& b);
// BigDecimal.intValue(): the integer part, low 32 bits.
int32_t BigDecIntValue(const BigDec& b);

bool IsIntRange(int64_t v);

// The Java class json-smart gives a value, as Jayway's messages name it.
const char* JavaClassName(const JsonValue* v);

// ---------------------------------------------------------------------------------------
// Compiled paths: Jayway's path tokens, filters and functions.

// Jayway's exceptions, as far as callers tell them apart.
enum class ErrKind {
  kNone,
  kPathNotFound,      // PathNotFoundException
  kInvalidPath,       // InvalidPathException (other than PathNotFoundException)
  kJsonPath,          // other JsonPathException (functions, InvalidJsonException)
  kIndexOutOfBounds,  // java.lang.IndexOutOfBoundsException
  kOther,             // any other Java exception; message is its toString()
};

struct PathError {
  ErrKind kind = ErrKind::kNone;
  std::string message;
  explicit operator bool() const { return kind != ErrKind::kNone; }
};

// java.util.regex as filters use it (`=~ /re/flags`, whole-value match), on PCRE2.
class FilterRegex {
 public:
  FilterRegex() = default;
  FilterRegex(const FilterRegex&) = delete;
  FilterRegex& operator=(const FilterRegex&) = delete;
  ~FilterRegex() { pcre2_code_free(code_); }

  // nullptr with `*error` set when the pattern does not compile.
  static std::shared_ptr<const FilterRegex> Compile(const std::string& pattern, std::string_view flags,
                                                    std::string* error) {
    uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    bool unix_lines = false;
    for (char f : flags) {
      switch (f) {
        case 'i': options |= PCRE2_CASELESS; break;
        case 'm': options |= PCRE2_MULTILINE; break;
        case 's': options |= PCRE2_DOTALL; break;
        case 'x': options |= PCRE2_EXTENDED; break;
        case 'U': options |= PCRE2_UCP; break;
        case 'd': unix_lines = true; break;
        default: break;  // 'u': PCRE2 folds case by Unicode rules in UTF mode anyway
      }
    }
    pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
    // Java's line terminators unless UNIX_LINES.
    pcre2_set_newline(cc, unix_lines ? PCRE2_NEWLINE_LF : PCRE2_NEWLINE_ANY);
    int code = 0;
    PCRE2_SIZE offset = 0;
    auto re = std::make_shared<FilterRegex>();
    re->code_ =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &code, &offset, cc);
    pcre2_compile_context_free(cc);
    if (re->code_ == nullptr) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(code, buf, sizeof(buf));
      *error = reinterpret_cast<char*>(buf);
      return nullptr;
    }
    return re;
  }

  // Matcher.matches(): the whole subject.
  bool Matches(std::string_view subject) const {
    struct MatchData {
      pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
      ~MatchData() { pcre2_match_data_free(data); }
    };
    thread_local MatchData md;
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                         PCRE2_ANCHORED | PCRE2_ENDANCHORED, md.data, nullptr);
    return rc >= 0;
  }

 private:
  pcre2_code* code_ = nullptr;
};

enum class RelOp {
  kGte,
  kLte,
  kEq,
  kTsEq,
  kNe,
  kTsNe,
  kLt,
  kGt,
  kRegex,
  kNin,
  kIn,
  kContains,
  kAll,
  kSize,
  kExists,
  kType,
  kMatches,
  kEmpty,
  kSubsetOf,
  kAnyOf,
  kNoneOf,
};

struct FilterExpr;

// A value node of a filter as compiled (Jayway's ValueNode before evaluation).
struct ValueSpec {
  enum class Kind { kPath, kString, kNumber, kBoolean, kNull, kJson, kPattern };
  Kind kind = Kind::kNull;
  std::shared_ptr<const CompiledPath> path;  // kPath
  bool exists_check = false;
  bool should_exist = true;
  std::string str;                        // kString (unescaped)
  BigDec number;                          // kNumber
  bool boolean = false;                   // kBoolean
  std::string json_text;                  // kJson, as written
  std::shared_ptr<const JsonValue> json;  // kJson, parsed (null when it did not parse)
  std::string json_error;
  std::shared_ptr<const FilterRegex> regex;  // kPattern
};

struct FilterExpr {
  enum class Kind { kAnd, kOr, kNot, kRelational };
  Kind kind = Kind::kRelational;
  std::vector<std::shared_ptr<const FilterExpr>> operands;  // kAnd, kOr, kNot
  ValueSpec left, right;                                    // kRelational
  RelOp op = RelOp::kEq;
};

struct FunctionParam {
  enum class Kind { kPath, kJson };
  Kind kind = Kind::kPath;
  std::shared_ptr<const CompiledPath> path;                // kPath
  std::shared_ptr<const CompiledPath> path_with_wildcard;  // kPath: what length() reads
  std::string json;                                        // kJson, as written
};

struct Token {
  enum class Kind { kRoot, kProperty, kIndex, kSlice, kWildcard, kScan, kPredicate, kFunction };
  enum class Slice { kFrom, kTo, kBetween };
  Kind kind = Kind::kRoot;
  char root = '$';
  std::vector<std::string> properties;
  char delimiter = '\'';
  std::vector<int32_t> indexes;
  Slice slice = Slice::kFrom;
  std::optional<int32_t> from, to;
  std::shared_ptr<const FilterExpr> filter;
  std::string function;
  std::vector<FunctionParam> params;
  bool function_has_args = false;  // as written (fixes its fragment)
  // Derived by CompiledPath::Finish().
  bool leaf = false;
  bool token_definite = true;
  bool upstream_definite = true;
  std::string fragment;
};

}  // namespace json_path_internal

class CompiledPath {
 public:
  std::vector<json_path_internal::Token> tokens;  // tokens[0] is the root ($ or @)
  bool root_path = true;                          // starts with `$`
  bool definite = true;
  bool function_path = false;
  std::string tail_prev_fragment;
  std::string text;

  void Finish() {
    using json_path_internal::Token;
    bool upstream = true;
    definite = true;
    for (size_t i = 0; i < tokens.size(); ++i) {
      Token& t = tokens[i];
      t.leaf = i + 1 == tokens.size();
      t.upstream_definite = upstream;
      switch (t.kind) {
        case Token::Kind::kRoot:
          t.token_definite = true;
          t.fragment = std::string(1, t.root);
          break;
        case Token::Kind::kProperty: {
          t.token_definite = t.properties.size() == 1 || t.leaf;
          t.fragment = "[";
          for (size_t k = 0; k < t.properties.size(); ++k) {
            if (k > 0) t.fragment += ",";
            t.fragment += t.delimiter + t.properties[k] + t.delimiter;
          }
          t.fragment += "]";
          break;
        }
        case Token::Kind::kIndex: {
          t.token_definite = t.indexes.size() == 1;
          t.fragment = "[";
          for (size_t k = 0; k < t.indexes.size(); ++k) {
            if (k > 0) t.fragment += ",";
            t.fragment += std::to_string(t.indexes[k]);
          }
          t.fragment += "]";
          break;
        }
        case Token::Kind::kSlice:
          t.token_definite = false;
          t.fragment = "[" + (t.from ? std::to_string(*t.from) : "") + ":" + (t.to ? std::to_string(*t.to) : "") + "]";
          break;
        case Token::Kind::kWildcard:
          t.token_definite = false;
          t.fragment = "[*]";
          break;
        case Token::Kind::kScan:
          t.token_definite = false;
          t.fragment = "..";
          break;
        case Token::Kind::kPredicate:
          t.token_definite = false;
          t.fragment = "[?]";
          break;
        case Token::Kind::kFunction:
          t.token_definite = true;
          t.fragment = "." + t.function + (t.function_has_args ? "(...)" : "()");
          break;
      }
      upstream = upstream && t.token_definite;
      definite = definite && t.token_definite;
    }
    function_path = tokens.back().kind == Token::Kind::kFunction;
    tail_prev_fragment = tokens.size() >= 2 ? tokens[tokens.size() - 2].fragment : "";
    text = FragmentsFrom(0);
  }

  // PathToken.toString() of token i: its fragment and those after it.
  std::string FragmentsFrom(size_t i) const {
    std::string s;
    for (; i < tokens.size(); ++i) s += tokens[i].fragment;
    return s;
  }
};

namespace json_path_internal {

// ---------------------------------------------------------------------------------------
// Compiling (json_path_compiler.cc).

// Errors while compiling: the first one wins, as the Java exception would have ended
// compilation there.
struct CompileState {
  PathError err;
  bool failed() const { return static_cast<bool>(err); }
  bool Fail(std::string message) {
    if (!err) err = {ErrKind::kInvalidPath, std::move(message)};
    return false;
  }
  bool Other(std::string message) {
    if (!err) err = {ErrKind::kOther, std::move(message)};
    return false;
  }
};

// Utils.unescape (string literals and bracket properties).
bool JaywayUnescape(std::string_view s, std::string* out, CompileState* st);

// PathCompiler.compile(String): trims, prefixes "$." when the path starts with neither `$`
// nor `@`, refuses a trailing dot.
std::shared_ptr<CompiledPath> CompileStatic(std::string_view text, PathError* err);

// The Status a Jayway exception becomes (json_path.h: JsonPath::Read).
Status ToStatus(const PathError& e);

}  // namespace json_path_internal
}  // namespace barrage

#endif  // BARRAGE_WORKER_JSON_PATH_INTERNAL_H_
