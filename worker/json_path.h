// JSONPath as JMeter evaluates it: Jayway JsonPath 2.x (what the JSON Extractor and the
// JSON Path Assertion call) over json-smart's permissive parser (Jayway's default JSON
// provider), with JMeter's ways of turning values into text.
//
// Documents (ParseJson) are parsed as json-smart 2.x does in MODE_PERMISSIVE, which is much
// more lenient than RFC 8259: single-quoted and unquoted strings ("abc", `{a: b}`), data
// after the first value (ignored), useless commas, leading zeros, NaN; control characters
// inside escaped strings are dropped; nesting deeper than 400 fails. A body that is not
// JSON at all (plain text, HTML) usually parses as one unquoted string. Numbers keep
// json-smart's Java types because they decide how values print: integers in int/long range
// (kInteger), longer ones (kBigInteger), decimals of up to 18 characters as double
// (kDouble), longer ones as BigDecimal (kBigDecimal, as BigDecimal.toString writes it).
//
// Paths (JsonPath::Compile) follow Jayway's PathCompiler: `$`, `.name`, `['name']`,
// `['a','b']`, `[n]`, `[-n]`, `[i,j]`, `[start:end]` (a third `:step` part is ignored, as
// Jayway ignores it), `[*]`, `.*`, `..` deep scan, filters `[?(...)]` with `@`/`$` paths,
// `== != < <= > >= === !== =~ /re/flags`, `in nin subsetof anyof noneof contains size
// empty`, `&& || !`, parentheses, and the functions length() size() min() max() avg()
// sum() stddev() first() last() index(n) (also with path or number arguments, and
// `$..x.fn()` meaning `$.fn($..x)`), plus keys(), concat() and append(). Errors carry
// Jayway's exception messages word for word (for instance "No results for path: $['x']",
// "Path must not end with a '.' or '..'"), since JMeter shows them as assertion failures.
//
// A path is *definite* when it can only ever designate one value: no `..`, `*`, filter,
// slice or index list (a leaf `['a','b']` merges into one object, so it is definite too).
// Read() returns that one value for a definite path and fails with "No results for path"
// when it is missing; an indefinite path returns the list of everything it found, possibly
// empty. The extractor and the assertion build on that difference (json_processors.h).
//
// Numbers print as Java 17 prints them (the usual runtime of JMeter 5.6): Double.toString
// with FloatingDecimal's digits, which are not always the shortest (1e23 prints
// 9.999999999999999E22; Java 19 and later would print 1.0E23). Keys of an object printed on
// its own come in java.util.HashMap order (Java 17 table sizing), as JMeter's
// `new JSONObject(map)` copy has them.
//
// Known differences from Jayway: Jayway mutates some compiled paths while evaluating them
// (functions over paths containing `[*]`, the `..[n].x` workaround) and reuses them from
// its cache, so in JMeter later evaluations of such a path can differ from the first;
// Barrage always behaves like the first evaluation. Regular expressions in filters run on
// PCRE2 (UTF-8, code points) instead of java.util.regex (UTF-16 units). keys() yields its
// java.util.Set's text ("[a, b]") as a string, which only differs from Jayway when that set
// ends up inside a list (Jayway writes it as a JSON array there). Message positions count
// UTF-16 units, as Java does.
//
// Threading: a compiled JsonPath and a JsonValue are immutable after construction and may
// be read from any number of threads at once; evaluation keeps all its state on the caller's
// stack. CompileJsonPathCached keeps one cache per thread (see there).
#ifndef BARRAGE_WORKER_JSON_PATH_H_
#define BARRAGE_WORKER_JSON_PATH_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace barrage {

// A value as json-smart builds it. Objects keep insertion order (json-smart's ordered
// mapper); a repeated key keeps its first position and takes the last value (Map.put).
class JsonValue {
 public:
  enum class Type : uint8_t {
    kNull,
    kBoolean,
    kInteger,
    kBigInteger,
    kDouble,
    kBigDecimal,
    kString,
    kArray,
    kObject,
  };
  using Array = std::vector<JsonValue>;
  using Member = std::pair<std::string, JsonValue>;
  using Object = std::vector<Member>;

  JsonValue() = default;  // null
  static JsonValue Boolean(bool b);
  static JsonValue Integer(int64_t i);
  static JsonValue Double(double d);
  static JsonValue BigInteger(std::string digits);  // canonical decimal text
  static JsonValue BigDecimal(std::string text);    // BigDecimal.toString ("1.50", "2E+3")
  static JsonValue String(std::string s);
  static JsonValue MakeArray(Array elements = {});
  static JsonValue MakeObject(Object members = {});

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_number() const;
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  bool boolean() const { return std::get<bool>(v_); }
  int64_t integer() const { return std::get<int64_t>(v_); }
  double number() const;            // any numeric type as a double (Number.doubleValue())
  const std::string& text() const;  // kString, kBigInteger, kBigDecimal
  const Array& elements() const { return std::get<Array>(v_); }
  Array& elements() { return std::get<Array>(v_); }
  const Object& members() const { return std::get<ObjectBox>(v_).members; }
  Object& members() { return std::get<ObjectBox>(v_).members; }

  // The member's value, nullptr when the key is absent (a JSON null is a value).
  const JsonValue* Find(std::string_view key) const;
  // Map.put: replaces the value of an existing key in place, else appends.
  void Put(std::string key, JsonValue value);

 private:
  struct BigIntegerText {
    std::string text;
  };
  struct BigDecimalText {
    std::string text;
  };
  struct ObjectBox {
    Object members;
  };
  // Alternative order matches Type.
  std::variant<std::monostate, bool, int64_t, BigIntegerText, double, BigDecimalText, std::string, Array, ObjectBox> v_;
};

// Parses a document as json-smart's JSONParser(MODE_PERMISSIVE) with the ordered mapper
// does. A failure is a kParseError Status whose message is Jayway's InvalidJsonException
// text, e.g. "net.minidev.json.parser.ParseException: Unexpected End Of File position 7:
// null". Parsing "" gives an empty string, as json-smart does (callers check for empty
// input first, as Jayway does).
Result<JsonValue> ParseJson(std::string_view text);

// ---------------------------------------------------------------------------------------
// Values as JMeter prints them.

// Java's toString(): strings unquoted, Integer/Long/BigInteger in decimal, doubles as
// Double.toString ("9.99", "1.0", "1.0E20"), BigDecimal.toString, true/false, "null",
// arrays as json-smart JSON, objects as java.util.Map ("{a=1, b=x}").
std::string JavaString(const JsonValue& value);

// What the JSON Extractor stores (JSONManager.stringifyJSONObject): objects and arrays as
// json-smart's compact JSON (`/` written `\/`, keys of the outermost object in Java
// HashMap order as `new JSONObject(map)` has them), everything else as JavaString; nullopt
// for null (the extractor's default value takes its place).
std::optional<std::string> ExtractorString(const JsonValue& value);

// What the JSON Path Assertion compares and prints (JSONPathAssertion.objectToString):
// like ExtractorString, but doubles through DecimalFormat("#.#") with up to 340 decimals
// ("2.0", "100000000000000000000.0", "0.00001") and null as "null".
std::string AssertionString(const JsonValue& value);
// The same for a list of results (a JSONArray): "[1,\"a\",{\"b\":2}]".
std::string AssertionString(std::span<const JsonValue* const> values);

// Java's Objects.equals between json-smart values: same Java type and value (Integer 1 is
// not Double 1.0), lists element by element, maps as sets of entries (order ignored).
bool JavaEquals(const JsonValue& a, const JsonValue& b);

// ---------------------------------------------------------------------------------------
// Paths.

class CompiledPath;

// What Read() found. Values point into the document or into `owned` (values the evaluation
// made: merged properties, function results); moving a JsonPathResult keeps them valid,
// destroying it or the document invalidates them.
struct JsonPathResult {
  bool definite = false;                 // a single value (Jayway returns it unwrapped)
  std::vector<const JsonValue*> values;  // definite: exactly one; else what was found
  std::deque<JsonValue> owned;
};

class JsonPath {
 public:
  // Jayway's JsonPath.compile. A malformed path is a kInvalidArgument Status carrying
  // InvalidPathException's message.
  static Result<std::shared_ptr<const JsonPath>> Compile(std::string_view expression);

  ~JsonPath();
  JsonPath(const JsonPath&) = delete;
  JsonPath& operator=(const JsonPath&) = delete;

  bool definite() const;
  // The path ends with a function (length(), sum(), ...).
  bool function_path() const;
  // Jayway's normalized form, as its messages print paths: `$['store']['book'][0]`,
  // `$..['price']`, `$[?]`, `$['a'].length()`.
  std::string ToString() const;

  // JsonPath.read(document, configuration) with Jayway's default options, or with
  // ALWAYS_RETURN_LIST when `always_return_list` (the JSON Extractor's configuration; a
  // function path is then an error, as in Jayway). A failure is the Java exception's
  // message under a code naming its kind: kNotFound for PathNotFoundException (a definite
  // path without result, a property of a non-object), kInvalidArgument for other
  // InvalidPathExceptions (a filter applied to a scalar, an unknown function), kInternal
  // for anything else (function errors, a null document: "root can not be null").
  Result<JsonPathResult> Read(const JsonValue& document, bool always_return_list) const;

 private:
  explicit JsonPath(std::unique_ptr<CompiledPath> path);
  std::unique_ptr<CompiledPath> path_;
};

// JsonPath::Compile through a cache private to the calling thread: the same plan node runs
// on every event-loop thread at once and expressions may be `${...}` templates known only
// at run time, so a per-thread map (no lock, no contention, like worker/regex.h) serves
// literal and dynamic paths alike. Failures are cached too. The cache starts over when it
// holds kJsonPathCacheSize paths, so per-iteration dynamic paths cannot grow it without
// bound. The returned path stays valid for as long as the caller holds it.
inline constexpr size_t kJsonPathCacheSize = 256;
Result<std::shared_ptr<const JsonPath>> CompileJsonPathCached(std::string_view expression);

}  // namespace barrage

#endif  // BARRAGE_WORKER_JSON_PATH_H_
