// JSONPath as JMeter runs it (Jayway JsonPath 2.x over json-smart). Expected values were
// produced by Jayway JsonPath 2.10.0 and json-smart 2.6.0 on Java 17.
#include "worker/json_path.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace barrage {
namespace {

constexpr std::string_view kStore =
    R"({"store":{"book":[)"
    R"({"category":"reference","author":"Nigel Rees","title":"Sayings of the Century","price":8.95},)"
    R"({"category":"fiction","author":"Evelyn Waugh","title":"Sword of Honour","price":12.99},)"
    R"({"category":"fiction","author":"Herman Melville","title":"Moby Dick","isbn":"0-553-21311-3","price":8.99},)"
    R"({"category":"fiction","author":"J. R. R. Tolkien","title":"The Lord of the Rings","isbn":"0-395-19395-8","price":22.99}],)"
    R"("bicycle":{"color":"red","price":19.95}},"expensive":10})";

JsonValue Parse(std::string_view text) {
  Result<JsonValue> parsed = ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? std::move(parsed).value() : JsonValue();
}

std::string ParseError(std::string_view text) {
  Result<JsonValue> parsed = ParseJson(text);
  return parsed.ok() ? "parsed" : parsed.status().message();
}

// What the JSON Extractor reads: the values found in list mode, as it stores them, joined
// by " | " ("<null>" for a JSON null); failures as "not found: ..." or "error: ...".
std::string Extract(std::string_view doc, std::string_view path) {
  Result<std::shared_ptr<const JsonPath>> compiled = JsonPath::Compile(path);
  if (!compiled.ok()) return "error: " + compiled.status().message();
  JsonValue document = Parse(doc);
  Result<JsonPathResult> found = (*compiled)->Read(document, true);
  if (!found.ok()) {
    return (found.status().code() == Status::Code::kNotFound ? "not found: " : "error: ") + found.status().message();
  }
  std::string out;
  for (size_t i = 0; i < found->values.size(); ++i) {
    std::optional<std::string> s = ExtractorString(*found->values[i]);
    out += (i > 0 ? " | " : "") + (s ? *s : "<null>");
  }
  return out;
}

// JsonPath.read with default options, as the JSON Path Assertion prints the result.
std::string Read(std::string_view doc, std::string_view path) {
  Result<std::shared_ptr<const JsonPath>> compiled = JsonPath::Compile(path);
  if (!compiled.ok()) return "error: " + compiled.status().message();
  JsonValue document = Parse(doc);
  Result<JsonPathResult> found = (*compiled)->Read(document, false);
  if (!found.ok()) {
    return (found.status().code() == Status::Code::kNotFound ? "not found: " : "error: ") + found.status().message();
  }
  return found->definite ? AssertionString(*found->values[0]) : AssertionString(found->values);
}

std::string CompileError(std::string_view path) {
  Result<std::shared_ptr<const JsonPath>> compiled = JsonPath::Compile(path);
  return compiled.ok() ? "compiled" : compiled.status().message();
}

// ---------------------------------------------------------------------------------------
// Parsing as json-smart's permissive mode does.

TEST(JsonParseTest, ObjectsKeepTheirMembersInDocumentOrder) {
  JsonValue v = Parse(R"({"zeta":1,"alpha":2,"mid":3})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "zeta");
  EXPECT_EQ(v.members()[1].first, "alpha");
  EXPECT_EQ(v.members()[2].first, "mid");
}

TEST(JsonParseTest, RepeatedKeyKeepsItsFirstPlaceAndTakesTheLastValue) {
  JsonValue v = Parse(R"({"b":1,"a":2,"b":3})");
  ASSERT_EQ(v.members().size(), 2u);
  EXPECT_EQ(v.members()[0].first, "b");
  EXPECT_EQ(v.members()[0].second.integer(), 3);
  EXPECT_EQ(v.members()[1].first, "a");
}

TEST(JsonParseTest, IntegersUpToLongRangeAreIntegers) {
  EXPECT_EQ(Parse("2147483648").type(), JsonValue::Type::kInteger);
  EXPECT_EQ(Parse("9223372036854775807").integer(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Parse("-9223372036854775808").integer(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(Parse("000123").integer(), 123);
  EXPECT_EQ(Parse("-").integer(), 0);  // json-smart reads a lone minus as 0
}

TEST(JsonParseTest, IntegersBeyondLongRangeAreBigIntegers) {
  JsonValue v = Parse("9223372036854775808");
  EXPECT_EQ(v.type(), JsonValue::Type::kBigInteger);
  EXPECT_EQ(v.text(), "9223372036854775808");
  EXPECT_EQ(Parse("-9223372036854775809").text(), "-9223372036854775809");
  EXPECT_EQ(Parse("000000000000000000000000012").text(), "12");
}

TEST(JsonParseTest, DecimalsOfUpTo18CharactersAreDoubles) {
  JsonValue v = Parse("9.99");
  EXPECT_EQ(v.type(), JsonValue::Type::kDouble);
  EXPECT_EQ(v.number(), 9.99);
  EXPECT_EQ(Parse("1e400").number(), std::numeric_limits<double>::infinity());
}

TEST(JsonParseTest, LongerDecimalsAreBigDecimalsPrintedAsJavaDoes) {
  JsonValue v = Parse("0.1234567890123456789");
  EXPECT_EQ(v.type(), JsonValue::Type::kBigDecimal);
  EXPECT_EQ(v.text(), "0.1234567890123456789");
  EXPECT_EQ(Parse("1.2345678901234567890E+5").text(), "123456.78901234567890");
}

TEST(JsonParseTest, AcceptsWhatJsonSmartAccepts) {
  EXPECT_EQ(Extract("{a:1,b:x}", "$"), R"({"a":1,"b":"x"})");
  EXPECT_EQ(Extract("['a','b']", "$"), R"(["a","b"])");
  EXPECT_EQ(Extract("[1,,2]", "$"), "[1,2]");
  EXPECT_EQ(Extract(R"({,"a":1,})", "$"), R"({"a":1})");
  EXPECT_EQ(Extract(R"({"a":01})", "$"), R"({"a":1})");
  EXPECT_EQ(Extract(R"({"a":-.5})", "$"), R"({"a":-0.5})");
  EXPECT_EQ(Extract(R"({"a":tru})", "$"), R"({"a":"tru"})");
}

TEST(JsonParseTest, DataAfterTheFirstValueIsIgnored) {
  EXPECT_EQ(Extract(R"({"a":1} trailing)", "$"), R"({"a":1})");
  EXPECT_EQ(Extract(R"({"a":1}{"b":2})", "$"), R"({"a":1})");
}

TEST(JsonParseTest, NumberFollowedByTextIsText) {
  EXPECT_EQ(Extract(R"({"a": 12 34})", "$.a"), "12 34");
  EXPECT_EQ(Extract(R"({"a": 12abc})", "$.a"), "12abc");
  EXPECT_EQ(Extract(R"({"a":1.5e})", "$.a"), "1.5e");
  EXPECT_EQ(Extract(R"({"a":1 "b":2})", "$"), R"({"a":"1 \"b\":2"})");
}

TEST(JsonParseTest, TextThatIsNotJsonIsOneString) {
  EXPECT_EQ(Parse("hello world").text(), "hello world");
  EXPECT_EQ(Parse("<html><body>x</body></html>").text(), "<html><body>x</body></html>");
  EXPECT_EQ(Parse("nul").text(), "nul");
  EXPECT_EQ(Parse("  \n").text(), "");
  EXPECT_EQ(Parse("").text(), "");
  EXPECT_TRUE(Parse("  true  ").boolean());
}

TEST(JsonParseTest, StringEscapes) {
  EXPECT_EQ(Parse(R"("x\u0041y")").text(), "xAy");
  EXPECT_EQ(Parse(R"("\uD83D\uDE00")").text(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(Parse(R"("\x41")").text(), "A");
  EXPECT_EQ(Parse(R"("\q")").text(), "");  // an unknown escape vanishes
  EXPECT_EQ(Parse(R"('it\'s')").text(), "it's");
}

TEST(JsonParseTest, ControlCharactersAreKeptOnlyInStringsWithoutEscapes) {
  EXPECT_EQ(Parse("\"x\ty\"").text(), "x\ty");
  EXPECT_EQ(Parse("\"x\ty\\n\"").text(), "xy\n");
}

TEST(JsonParseTest, ErrorsCarryJsonSmartMessages) {
  const char* kPrefix = "net.minidev.json.parser.ParseException: ";
  EXPECT_EQ(ParseError(R"({"a":)"), std::string(kPrefix) + "Unexpected End Of File position 4: EOF");
  EXPECT_EQ(ParseError(R"({"a")"), std::string(kPrefix) + "Unexpected End Of File position 3: null");
  EXPECT_EQ(ParseError(R"({"a":1)"), std::string(kPrefix) + "Unexpected End Of File position 5: null");
  EXPECT_EQ(ParseError("[1,2"), std::string(kPrefix) + "Unexpected End Of File position 3: EOF");
  EXPECT_EQ(ParseError(R"("abc)"), std::string(kPrefix) + "Unexpected End Of File position 4: null");
  EXPECT_EQ(ParseError("{"), std::string(kPrefix) + "Unexpected End Of File position 0: null");
  EXPECT_EQ(ParseError("}"), std::string(kPrefix) + "Unexpected character (}) at position 0.");
  EXPECT_EQ(ParseError(R"({"a" 1})"), std::string(kPrefix) + "Unexpected character (1) at position 4.");
  EXPECT_EQ(ParseError(R"({"a":[})"), std::string(kPrefix) + "Unexpected character (}) at position 6.");
  EXPECT_EQ(ParseError("1e+"), std::string(kPrefix) + "Unexpected token 1e+ at position 3.");
  EXPECT_EQ(ParseError(R"({"a":"\uZZZZ"})"),
            std::string(kPrefix) + "Unexpected unicode escape sequence Z at position 8.");
}

TEST(JsonParseTest, ErrorPositionsCountUtf16Units) {
  EXPECT_EQ(ParseError("{\"\xE2\x82\xAC\":\"ab"),
            "net.minidev.json.parser.ParseException: Unexpected End Of File position 8: null");
}

TEST(JsonParseTest, NestingDeeperThan400Fails) {
  EXPECT_EQ(ParseError(std::string(401, '[') + std::string(401, ']')),
            "net.minidev.json.parser.ParseException: Malicious payload, having non natural "
            "depths, parsing stoped on [ at position 400.");
  EXPECT_EQ(ParseError(std::string(400, '[') + std::string(400, ']')), "parsed");
}

// ---------------------------------------------------------------------------------------
// Values as JMeter prints them.

TEST(JsonPrintTest, DoublesPrintAsJava17DoubleToString) {
  auto s = [](double d) { return JavaString(JsonValue::Double(d)); };
  EXPECT_EQ(s(9.99), "9.99");
  EXPECT_EQ(s(1.0), "1.0");
  EXPECT_EQ(s(100.0), "100.0");
  EXPECT_EQ(s(0.001), "0.001");
  EXPECT_EQ(s(0.0001), "1.0E-4");
  EXPECT_EQ(s(9999999.0), "9999999.0");
  EXPECT_EQ(s(1e7), "1.0E7");
  EXPECT_EQ(s(1e20), "1.0E20");
  EXPECT_EQ(s(-0.0), "-0.0");
  EXPECT_EQ(s(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(s(std::numeric_limits<double>::denorm_min()), "4.9E-324");
}

TEST(JsonPrintTest, DoublesKeepJava17sExtraDigits) {
  auto s = [](double d) { return JavaString(JsonValue::Double(d)); };
  EXPECT_EQ(s(47346897073356128.0), "4.7346897073356128E16");
  EXPECT_EQ(s(1e23), "9.999999999999999E22");
}

TEST(JsonPrintTest, ExtractorStringOfScalars) {
  EXPECT_EQ(*ExtractorString(Parse(R"("a \"b\"")")), "a \"b\"");
  EXPECT_EQ(*ExtractorString(Parse("true")), "true");
  EXPECT_EQ(*ExtractorString(Parse("12345678901234567890123")), "12345678901234567890123");
  EXPECT_EQ(*ExtractorString(Parse("1e5")), "100000.0");
  EXPECT_FALSE(ExtractorString(JsonValue()).has_value());
}

TEST(JsonPrintTest, JsonIsWrittenAsJsonSmartWritesIt) {
  EXPECT_EQ(Extract(R"({"a":1,"b":[1,2.5,"x"],"c":{"url":"http://x/y","z":null}})", "$"),
            R"({"a":1,"b":[1,2.5,"x"],"c":{"url":"http:\/\/x\/y","z":null}})");
  EXPECT_EQ(Extract(R"({"e":"€","c":"\u0001","q":"a\"b","bs":"a\\b","sp":"\u2028","c1":"\u0085"})", "$"),
            R"({"q":"a\"b","bs":"a\\b","c":"\u0001","e":"\u20AC","sp":"\u2028","c1":"\u0085"})");
  EXPECT_EQ(Extract(R"([{"a":1.0,"b":1e20,"c":1e400}])", "$"), R"([{"a":1.0,"b":1.0E20,"c":null}])");
}

TEST(JsonPrintTest, OutermostObjectListsKeysInJavaHashMapOrder) {
  EXPECT_EQ(Extract(R"({"id":0,"name":1,"price":2})", "$"), R"({"name":1,"id":0,"price":2})");
  EXPECT_EQ(Extract(R"({"userId":0,"id":1,"title":2,"completed":3})", "$"),
            R"({"id":1,"completed":3,"title":2,"userId":0})");
  EXPECT_EQ(Extract(R"({"zeta":0,"alpha":1,"mid":2,"x":3,"y":4,"z":5,"aa":6,"bb":7,"cc":8,)"
                    R"("dd":9,"ee":10,"ff":11,"gg":12})",
                    "$"),
            R"({"zeta":0,"aa":6,"bb":7,"cc":8,"dd":9,"ee":10,"ff":11,"gg":12,"mid":2,"alpha":1,)"
            R"("x":3,"y":4,"z":5})");
  EXPECT_EQ(Extract("{\"\xC3\xA9\":0,\"\xC3\xBC\":1,\"\xE2\x82\xAC\":2,\"\xC3\xB1\":3}", "$"),
            "{\"\xC3\xA9\":0,\"\xC3\xB1\":3,\"\xC3\xBC\":1,\"\\u20AC\":2}");
}

TEST(JsonPrintTest, NestedObjectsKeepDocumentOrder) {
  EXPECT_EQ(Extract(R"({"outer":{"userId":0,"id":1,"title":2,"completed":3}})", "$"),
            R"({"outer":{"userId":0,"id":1,"title":2,"completed":3}})");
  EXPECT_EQ(Extract(R"([{"userId":0,"id":1}])", "$"), R"([{"userId":0,"id":1}])");
}

TEST(JsonPrintTest, AssertionStringFormatsDoublesWithDecimalFormat) {
  EXPECT_EQ(AssertionString(JsonValue::Double(1e20)), "100000000000000000000.0");
  EXPECT_EQ(AssertionString(JsonValue::Double(2.0)), "2.0");
  EXPECT_EQ(AssertionString(JsonValue::Double(1e-5)), "0.00001");
  EXPECT_EQ(AssertionString(JsonValue()), "null");
  // Inside arrays doubles are json-smart's (Double.toString).
  EXPECT_EQ(AssertionString(Parse("[1.0,1e20]")), "[1.0,1.0E20]");
}

TEST(JsonPrintTest, JavaStringOfAnObjectIsJavaMapText) {
  EXPECT_EQ(JavaString(Parse(R"({"a":1,"b":[1,2.5,"x"],"c":{"url":"http://x/y","z":null}})")),
            R"({a=1, b=[1,2.5,"x"], c={url=http://x/y, z=null}})");
}

TEST(JsonPrintTest, JavaEqualsComparesJavaTypesAndValues) {
  EXPECT_TRUE(JavaEquals(Parse("5"), Parse("5")));
  EXPECT_FALSE(JavaEquals(Parse("5"), Parse("5.0")));
  EXPECT_TRUE(JavaEquals(Parse(R"({"a":1,"b":[1,"x"]})"), Parse(R"({"b":[1,"x"],"a":1})")));
  EXPECT_FALSE(JavaEquals(Parse("[1,2]"), Parse("[2,1]")));
  EXPECT_TRUE(JavaEquals(Parse("x"), Parse(R"("x")")));
  EXPECT_FALSE(JavaEquals(Parse("0.0"), Parse("-0.0")));
}

// ---------------------------------------------------------------------------------------
// Compiling paths.

TEST(JsonPathCompileTest, DefinitePathsDesignateOneValue) {
  for (const char* p :
       {"$", "$.a", "$['a']", "$.a[0]", "$.a[-1]", "$['a','b']", "$.a.length()", "$..a.length()", "abc", "@.a"}) {
    SCOPED_TRACE(p);
    EXPECT_TRUE((*JsonPath::Compile(p))->definite());
  }
  for (const char* p :
       {"$..a", "$.*", "$[*]", "$[1,2]", "$[1:2]", "$[:2]", "$[?(@.a)]", "$['a','b'].c", "$[*].a.length()"}) {
    SCOPED_TRACE(p);
    EXPECT_FALSE((*JsonPath::Compile(p))->definite());
  }
}

TEST(JsonPathCompileTest, ToStringIsJaywaysNormalizedForm) {
  auto s = [](const char* p) { return (*JsonPath::Compile(p))->ToString(); };
  EXPECT_EQ(s("$.store.book[0].title"), "$['store']['book'][0]['title']");
  EXPECT_EQ(s("$..a[0]"), "$..['a'][0]");
  EXPECT_EQ(s(R"($["a"].b)"), R"($["a"]['b'])");
  EXPECT_EQ(s("$['a','b']"), "$['a','b']");
  EXPECT_EQ(s("$[*].a"), "$[*]['a']");
  EXPECT_EQ(s("$..*"), "$..[*]");
  EXPECT_EQ(s("$[?(@.a =~ /x/i && @.b > 1 || !@.c)]"), "$[?]");
  EXPECT_EQ(s("$.a.length()"), "$['a'].length()");
  EXPECT_EQ(s("$..a.length()"), "$.length()");
  EXPECT_EQ(s("abc"), "$['abc']");
  EXPECT_EQ(s("$.a  "), "$['a']");
}

TEST(JsonPathCompileTest, SliceStepIsIgnoredAsJaywayIgnoresIt) {
  EXPECT_EQ((*JsonPath::Compile("$[1:2:3]"))->ToString(), "$[1:2]");
  EXPECT_EQ(Extract("[0,1,2,3,4,5]", "$[0:4:2]"), "0 | 1 | 2 | 3");
}

TEST(JsonPathCompileTest, LastCharacterAfterACompleteTokenIsIgnored) {
  EXPECT_EQ((*JsonPath::Compile("$.a["))->ToString(), "$['a']");
  EXPECT_EQ((*JsonPath::Compile("$[0]x"))->ToString(), "$[0]");
}

TEST(JsonPathCompileTest, ErrorsCarryJaywaysMessages) {
  EXPECT_EQ(CompileError("$."), "Path must not end with a '.' or '..'");
  EXPECT_EQ(CompileError("$.a b"),
            "Use bracket notion ['my prop'] if your property contains blank characters. position: 2");
  EXPECT_EQ(CompileError("$[x]"), "Could not parse token starting at position 1. Expected ?, ', 0-9, * ");
  EXPECT_EQ(CompileError("$.a['b"), "Property has not been closed - missing closing '");
  EXPECT_EQ(CompileError("$[?(@.a == abc)]"),
            "Failed to parse filter: [?(@.a == abc)], error on position: 10, char: a");
  EXPECT_EQ(CompileError("$[?(@.a ~= 1)]"), "Expected character: )");
  EXPECT_EQ(CompileError("$["), "java.lang.StringIndexOutOfBoundsException: String index out of range: 2");
  EXPECT_EQ(CompileError("$a"), "Illegal character at position 1 expected '.' or '['");
  EXPECT_EQ(CompileError("$[1,,2]"), "Failed to parse token in ArrayIndexOperation: ");
  EXPECT_EQ(CompileError("$[?]"), "Not enough predicates supplied for filter [?] at position 1");
  EXPECT_EQ(CompileError(""), "json can not be null or empty");
  // A path not starting with `$` or `@` gets "$." in front, blanks included.
  EXPECT_EQ(CompileError("  $.a"), "Could not parse token starting at position 2");
}

// ---------------------------------------------------------------------------------------
// Evaluating paths (the Goessner bookstore).

TEST(JsonPathReadTest, PropertiesByDotAndBracket) {
  EXPECT_EQ(Extract(kStore, "$.store.bicycle.color"), "red");
  EXPECT_EQ(Extract(kStore, "$['store']['book'][0]['author']"), "Nigel Rees");
  EXPECT_EQ(Extract(kStore, R"($["store"]["book"][0]["title"])"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "store.book[0].title"), "Sayings of the Century");
}

TEST(JsonPathReadTest, ArrayIndexes) {
  EXPECT_EQ(Extract(kStore, "$.store.book[-1].title"), "The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$.store.book[1,2].title"), "Sword of Honour | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$.store.book[0 , 1].title"), "Sayings of the Century | Sword of Honour");
  EXPECT_EQ(Extract(kStore, "$.store.book[10].title"),
            "not found: No results for path: $['store']['book'][10]['title']");
}

TEST(JsonPathReadTest, Slices) {
  EXPECT_EQ(Extract(kStore, "$.store.book[:2].title"), "Sayings of the Century | Sword of Honour");
  EXPECT_EQ(Extract(kStore, "$.store.book[1:].title"), "Sword of Honour | Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$.store.book[-2:].title"), "Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$.store.book[-3:-1].title"), "Sword of Honour | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$.store.book[:-1].title"), "Sayings of the Century | Sword of Honour | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$.store.book[1:-1].title"), "");  // Jayway: from >= to
}

TEST(JsonPathReadTest, Wildcards) {
  EXPECT_EQ(Extract(kStore, "$.store.book[*].author"),
            "Nigel Rees | Evelyn Waugh | Herman Melville | J. R. R. Tolkien");
  EXPECT_EQ(Read(R"({"a":1,"b":[2],"c":{"d":3}})", "$.*"), R"([1,[2],{"d":3}])");
}

TEST(JsonPathReadTest, DeepScan) {
  EXPECT_EQ(Extract(kStore, "$..author"), "Nigel Rees | Evelyn Waugh | Herman Melville | J. R. R. Tolkien");
  EXPECT_EQ(Extract(kStore, "$.store..price"), "8.95 | 12.99 | 8.99 | 22.99 | 19.95");
  EXPECT_EQ(Read(kStore, "$..book[2].title"), R"(["Moby Dick"])");
  EXPECT_EQ(Read(kStore, "$..book[-1:].title"), R"(["The Lord of the Rings"])");
  EXPECT_EQ(Read(kStore, "$..missing"), "[]");
}

TEST(JsonPathReadTest, ScannedArrayIndexKeepsOnlyThatIndex) {
  EXPECT_EQ(Extract(kStore, "$..[0].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$..[*].title"), "");  // Jayway's workaround drops these
}

TEST(JsonPathReadTest, LeafPropertyListMergesIntoOneObject) {
  EXPECT_EQ(Extract(kStore, "$.store.book[0]['title','price']"), R"({"title":"Sayings of the Century","price":8.95})");
  EXPECT_EQ(Extract(kStore, "$.store.book[0]['title','nope']"), R"({"title":"Sayings of the Century"})");
  EXPECT_EQ(Extract(kStore, "$.store.book[0]['nope1','nope2']"), "{}");
}

TEST(JsonPathReadTest, FiltersCompareNumbers) {
  EXPECT_EQ(Extract(kStore, "$..book[?(@.price < 10)].title"), "Sayings of the Century | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.price <= 8.99)].title"), "Sayings of the Century | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.price > 10)].title"), "Sword of Honour | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.price >= 12.99)].title"), "Sword of Honour | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price == 8.95)].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price > $.expensive)].title"), "Sword of Honour | The Lord of the Rings");
}

TEST(JsonPathReadTest, FiltersEqualityBetweenNumbersAndStrings) {
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price == '8.95')].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price === '8.95')].title"), "");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price === 8.95)].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price > '10')].title"), "");
  EXPECT_EQ(Extract(R"({"a":[{"id":1,"v":"x"},{"id":2,"v":"y"}]})", "$.a[?(@.id=='2')].v"), "y");
}

TEST(JsonPathReadTest, FiltersCompareStrings) {
  EXPECT_EQ(Extract(kStore, "$..book[?(@.category == 'fiction')].title"),
            "Sword of Honour | Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, R"($..book[?(@.category == "fiction")].title)"),
            "Sword of Honour | Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.category != 'fiction')].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.author > 'J')].author"), "Nigel Rees | J. R. R. Tolkien");
}

TEST(JsonPathReadTest, FiltersWithLogicalOperators) {
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.category=='fiction' && @.price<10)].title"), "Moby Dick");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.price < 9 || @.price > 20)].title"),
            "Sayings of the Century | Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$..book[?(!(@.price < 10))].title"), "Sword of Honour | The Lord of the Rings");
}

TEST(JsonPathReadTest, FiltersOnExistence) {
  EXPECT_EQ(Extract(kStore, "$..book[?(@.isbn)].title"), "Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$..book[?(!@.isbn)].title"), "Sayings of the Century | Sword of Honour");
  // A missing value is not null, and so differs from it.
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.nothing == null)].title"), "");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.nothing != null)].title"),
            "Sayings of the Century | Sword of Honour | Moby Dick | The Lord of the Rings");
}

TEST(JsonPathReadTest, FiltersWithRegex) {
  EXPECT_EQ(Extract(kStore, "$..book[?(@.author =~ /.*REES/i)].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$..book[?(@.author =~ /Rees/)].title"), "");  // whole value
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.title =~ /^S.*/)].title"), "Sayings of the Century | Sword of Honour");
}

TEST(JsonPathReadTest, FiltersWithCollectionOperators) {
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.category in ['reference','poetry'])].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.price in [8.95, 8.99])].title"), "Sayings of the Century | Moby Dick");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.category nin ['fiction'])].title"), "Sayings of the Century");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.title size 9)].title"), "Moby Dick");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.isbn empty false)].title"), "Moby Dick | The Lord of the Rings");
  EXPECT_EQ(Extract(kStore, "$.store.book[?(@.isbn contains '553')].title"), "Moby Dick");
  constexpr std::string_view kTags = R"([{"t":["x","y"]},{"t":["y"]},{"t":"x"}])";
  EXPECT_EQ(Extract(kTags, "$[?('x' in @.t)]"), R"({"t":["x","y"]})");
  EXPECT_EQ(Extract(kTags, "$[?(@.t subsetof ['x','y','z'])]"), R"({"t":["x","y"]} | {"t":["y"]})");
  EXPECT_EQ(Extract(kTags, "$[?(@.t anyof ['x'])]"), R"({"t":["x","y"]})");
  EXPECT_EQ(Extract(kTags, "$[?(@.t noneof ['x'])]"), R"({"t":["y"]})");
  EXPECT_EQ(Extract(kTags, "$[?(@.t == ['y'])]"), R"({"t":["y"]})");
  EXPECT_EQ(Extract(kTags, "$[?(['y'] == @.t)]"), "");  // Jayway compares a literal's text
}

TEST(JsonPathReadTest, MissingDefinitePathIsNotFound) {
  EXPECT_EQ(Extract(kStore, "$.missing"), "not found: No results for path: $['missing']");
  EXPECT_EQ(Extract(kStore, "$.missing.x"), "not found: Missing property in path $['missing']");
}

TEST(JsonPathReadTest, PropertyOfSomethingElseThanAnObjectIsNotFound) {
  EXPECT_EQ(Extract(kStore, "$.expensive.x"),
            "not found: Expected to find an object with property ['x'] in path $['expensive'] but "
            "found 'java.lang.Integer'. This is not a json object according to the JsonProvider: "
            "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.");
  EXPECT_EQ(Extract("hello", "$.a"),
            "not found: Expected to find an object with property ['a'] in path $ but found "
            "'java.lang.String'. This is not a json object according to the JsonProvider: "
            "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.");
}

TEST(JsonPathReadTest, IndexOfSomethingElseThanAnArrayIsNotFound) {
  EXPECT_EQ(Extract(kStore, "$.store.bicycle[0]"),
            "not found: Filter: [0] can only be applied to arrays. Current context is: {color=red, price=19.95}");
  EXPECT_EQ(Extract(R"({"a":null})", "$.a[0]"), "not found: The path $['a'] is null");
}

TEST(JsonPathReadTest, FilterOnAScalarIsAnInvalidPath) {
  Result<JsonPathResult> r = (*JsonPath::Compile("$.expensive[?(@.x)]"))->Read(Parse(kStore), true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Filter: [?] can not be applied to primitives. Current context is: 10");
}

TEST(JsonPathReadTest, NullDocumentIsRejected) { EXPECT_EQ(Extract("null", "$"), "error: root can not be null"); }

TEST(JsonPathReadTest, DefinitePathToNullFindsNull) {
  EXPECT_EQ(Extract(R"({"context": null})", "$.context"), "<null>");
  EXPECT_EQ(Extract(R"([{"context": null}, {"context": ""}])", "$[*].context"), "<null> | ");
}

// ---------------------------------------------------------------------------------------
// Functions.

TEST(JsonPathFunctionTest, LengthAndSize) {
  EXPECT_EQ(Read(kStore, "$.store.book.length()"), "4");
  EXPECT_EQ(Read(kStore, "$.store.book.size()"), "4");
  EXPECT_EQ(Read(kStore, "$.store.length()"), "2");
  EXPECT_EQ(Read(kStore, "$.expensive.length()"), "null");
  EXPECT_EQ(Read(kStore, "$.store.book[?(@.price > 10)].length()"), "[4,5]");
}

TEST(JsonPathFunctionTest, ScanBeforeAFunctionBecomesItsArgument) {
  EXPECT_EQ(Read(kStore, "$..book.length()"), "4");
  EXPECT_EQ(Read(kStore, "$..price.sum()"), "73.87");
  EXPECT_EQ(Read(kStore, "$..book.title.length()"), "0");
}

TEST(JsonPathFunctionTest, Aggregations) {
  EXPECT_EQ(Read(kStore, "$..price.avg()"), "14.774000000000001");
  EXPECT_EQ(Read(kStore, "$..price.min()"), "8.95");
  EXPECT_EQ(Read(kStore, "$..price.max()"), "22.99");
  EXPECT_EQ(Read(kStore, "$..price.stddev()"), "5.741949494727375");
  EXPECT_EQ(Read(kStore, "$.sum($..price, 10)"), "83.87");
  EXPECT_EQ(Read(R"({"a":[1,"2",3.5,null,true,12345678901234567890]})", "$.a.sum()"), "12345678901234567000.0");
}

TEST(JsonPathFunctionTest, MaxOfNegativeNumbersIsDoubleMinValue) {
  // Jayway starts max() at Double.MIN_VALUE, the smallest positive double.
  EXPECT_EQ(Extract("[-5,-3]", "$[*]"), "-5 | -3");
  Result<JsonPathResult> r = (*JsonPath::Compile("$.max()"))->Read(Parse("[-5,-3]"), false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(JavaString(*r->values[0]), "4.9E-324");
}

TEST(JsonPathFunctionTest, AggregationWithoutNumbersFails) {
  EXPECT_EQ(Read(kStore, "$.store.book.sum()"),
            "error: Aggregation function attempted to calculate value using empty array");
  EXPECT_EQ(Read(kStore, "$.store.book[*].price.sum()"),
            "error: Aggregation function attempted to calculate value using empty array");
}

TEST(JsonPathFunctionTest, FirstLastIndex) {
  EXPECT_EQ(Read(R"({"a":[1,2,3]})", "$.a.first()"), "1");
  EXPECT_EQ(Read(R"({"a":[1,2,3]})", "$.a.last()"), "3");
  EXPECT_EQ(Read(R"({"a":[1,2,3]})", "$.a.index(1)"), "2");
  EXPECT_EQ(Read(R"({"a":[1,2,3]})", "$.a.index(9)"), "error: Index 9 out of bounds for length 3");
  EXPECT_EQ(Read(R"({"a":[5]})", "$.a.last()"), "error: Target index:-1 larger than object count:1");
}

TEST(JsonPathFunctionTest, KeysAndConcat) {
  EXPECT_EQ(Read(R"({"b":1,"a":2})", "$.keys()"), "[b, a]");
  EXPECT_EQ(Read(R"({"a":["x",1,"y"]})", "$.a.concat()"), "xy");
  EXPECT_EQ(Read(R"({"a":["x","y"]})", "$.a.concat(\"-\", 1)"), "xy-1");
}

TEST(JsonPathFunctionTest, UnknownFunctionIsAnInvalidPath) {
  EXPECT_EQ(Read(kStore, "$.store.book.nosuchfn()"), "error: Function with name: nosuchfn does not exist.");
}

TEST(JsonPathFunctionTest, FunctionInAFilter) {
  EXPECT_EQ(Extract(R"([{"t":[1,2,3]},{"t":[1]}])", "$[?(@.t.length() > 2)]"), R"({"t":[1,2,3]})");
}

TEST(JsonPathFunctionTest, ListModeRefusesFunctions) {
  EXPECT_EQ(Extract(kStore, "$.store.book.length()"),
            "error: Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!");
}

// ---------------------------------------------------------------------------------------
// The per-thread cache.

TEST(JsonPathCacheTest, SameExpressionGivesTheSameCompiledPath) {
  Result<std::shared_ptr<const JsonPath>> a = CompileJsonPathCached("$.cache.test");
  Result<std::shared_ptr<const JsonPath>> b = CompileJsonPathCached("$.cache.test");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
}

TEST(JsonPathCacheTest, FailuresAreCachedToo) {
  Result<std::shared_ptr<const JsonPath>> a = CompileJsonPathCached("$.");
  Result<std::shared_ptr<const JsonPath>> b = CompileJsonPathCached("$.");
  ASSERT_FALSE(a.ok());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "Path must not end with a '.' or '..'");
}

TEST(JsonPathCacheTest, OnePathAndDocumentServeSeveralThreadsAtOnce) {
  std::shared_ptr<const JsonPath> path = *JsonPath::Compile("$..book[?(@.price > 10)].title");
  const JsonValue document = Parse(kStore);
  std::vector<std::thread> threads;
  std::vector<std::string> seen(8);
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Result<JsonPathResult> r = path->Read(document, true);
        seen[t] = r.ok() ? *ExtractorString(*r->values.back()) : r.status().message();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& s : seen) EXPECT_EQ(s, "The Lord of the Rings");
}

}  // namespace
}  // namespace barrage
