#include <gtest/gtest.h>

#include "common/functions.h"

namespace barrage {
namespace {

class EvaluateScriptTest : public testing::Test {
 protected:
  EvaluateScriptTest() { ctx.run = &run; }

  // The result, or "<code>: message" when it failed.
  std::string Eval(std::string_view expression,
                   ScriptDialect dialect = ScriptDialect::kJavaScript) {
    Result<std::string> r = EvaluateScript(expression, ctx, dialect);
    if (r.ok()) return *r;
    return (r.status().code() == Status::Code::kUnsupported ? "unsupported: " : "error: ") +
           r.status().message();
  }

  RunContext run;
  ThreadContext ctx;
};

TEST_F(EvaluateScriptTest, StringEquality) {
  EXPECT_EQ(Eval("\"abc\" == \"abc\""), "true");
  EXPECT_EQ(Eval("\"abc\" == \"abd\""), "false");
  EXPECT_EQ(Eval("'abc' != 'abc'"), "false");
  EXPECT_EQ(Eval("'x' != ''"), "true");
}

TEST_F(EvaluateScriptTest, SingleAndDoubleQuotesAreTheSameString) {
  EXPECT_EQ(Eval("'abc' == \"abc\""), "true");
}

TEST_F(EvaluateScriptTest, EscapesInStringLiterals) {
  EXPECT_EQ(Eval(R"("a\"b" == 'a"b')"), "true");
  EXPECT_EQ(Eval(R"('it\'s' == "it's")"), "true");
  EXPECT_EQ(Eval(R"("a\\b")"), "a\\b");
}

TEST_F(EvaluateScriptTest, NumericComparisons) {
  EXPECT_EQ(Eval("5 < 10"), "true");
  EXPECT_EQ(Eval("10 <= 10"), "true");
  EXPECT_EQ(Eval("10 > 10"), "false");
  EXPECT_EQ(Eval("11 >= 10.5"), "true");
  EXPECT_EQ(Eval("3 == 3.0"), "true");
  EXPECT_EQ(Eval("-1 < 0"), "true");
  EXPECT_EQ(Eval("2e3 == 2000"), "true");
}

TEST_F(EvaluateScriptTest, LargeIntegersCompareExactly) {
  EXPECT_EQ(Eval("9007199254740993 == 9007199254740992"), "false");
  EXPECT_EQ(Eval("9223372036854775807 > 9223372036854775806"), "true");
}

TEST_F(EvaluateScriptTest, NumberAgainstNumericStringComparesNumbers) {
  EXPECT_EQ(Eval("\"5\" < 10"), "true");
  EXPECT_EQ(Eval("'10' == 10.0"), "true");
  EXPECT_EQ(Eval("'abc' == 5"), "false");
  EXPECT_EQ(Eval("'abc' < 5"), "false");
}

TEST_F(EvaluateScriptTest, TwoStringsCompareAsStrings) {
  EXPECT_EQ(Eval("'10' < '9'"), "true");
  EXPECT_EQ(Eval("'10' == '10.0'"), "false");
  EXPECT_EQ(Eval("'b' > 'a'"), "true");
}

TEST_F(EvaluateScriptTest, BooleansAndLogic) {
  EXPECT_EQ(Eval("true && false"), "false");
  EXPECT_EQ(Eval("true || false"), "true");
  EXPECT_EQ(Eval("!false"), "true");
  EXPECT_EQ(Eval("!(5 > 3)"), "false");
  EXPECT_EQ(Eval("true != false"), "true");
  EXPECT_EQ(Eval("'true' == true"), "true");
}

TEST_F(EvaluateScriptTest, AndBindsTighterThanOr) {
  EXPECT_EQ(Eval("true || false && false"), "true");
  EXPECT_EQ(Eval("(true || false) && false"), "false");
}

TEST_F(EvaluateScriptTest, ComparisonBindsTighterThanLogic) {
  EXPECT_EQ(Eval("1 < 2 && 3 < 4"), "true");
  EXPECT_EQ(Eval("1 < 2 == true"), "true");
}

TEST_F(EvaluateScriptTest, SubstitutedVariablesAsJMeterWritesThem) {
  // What If Controller conditions look like once ${...} was replaced.
  EXPECT_EQ(Eval("\"abc\" == \"abc\" && 7 < 10 && true != false"), "true");
}

TEST_F(EvaluateScriptTest, VarsGet) {
  ctx.vars.Put("token", "t0k");
  EXPECT_EQ(Eval("vars.get(\"token\") != null"), "true");
  EXPECT_EQ(Eval("vars.get('token') == 't0k'"), "true");
  EXPECT_EQ(Eval("vars.get(\"missing\") == null"), "true");
  EXPECT_EQ(Eval("vars.get(\"token\")"), "t0k");
}

TEST_F(EvaluateScriptTest, VarsGetOfNumericValueComparesNumerically) {
  ctx.vars.Put("count", "7");
  EXPECT_EQ(Eval("vars.get(\"count\") < 10"), "true");
}

TEST_F(EvaluateScriptTest, PropsGetAndGetProperty) {
  run.properties.Set("env", "prod");
  EXPECT_EQ(Eval("props.get('env') == 'prod'"), "true");
  EXPECT_EQ(Eval("props.get('nope') == null"), "true");
  EXPECT_EQ(Eval("props.getProperty('nope', 'dflt')"), "dflt");
  EXPECT_EQ(Eval("props.getProperty('env', 'dflt')"), "prod");
}

TEST_F(EvaluateScriptTest, EqualsMethod) {
  ctx.vars.Put("r", "y");
  EXPECT_EQ(Eval("\"y\".equals(\"y\")"), "true");
  EXPECT_EQ(Eval("'y'.equals('n')"), "false");
  EXPECT_EQ(Eval("vars.get('r').equals('y')"), "true");
  EXPECT_EQ(Eval("!'y'.equals('n')"), "true");
  EXPECT_EQ(Eval("'5'.equals(5)"), "false");  // String.equals(Integer)
}

TEST_F(EvaluateScriptTest, ShortCircuitSkipsNullEquals) {
  EXPECT_EQ(Eval("vars.get('x') != null && vars.get('x').equals('y')"), "false");
  EXPECT_EQ(Eval("vars.get('x') == null || vars.get('x').equals('y')"), "true");
}

TEST_F(EvaluateScriptTest, EqualsOnNullIsAnError) {
  EXPECT_EQ(Eval("vars.get('x').equals('y')"),
            "error: script expression \"vars.get('x').equals('y')\": equals called on null "
            "at column 15");
}

TEST_F(EvaluateScriptTest, LoneOperandIsTheResult) {
  EXPECT_EQ(Eval("'hello'"), "hello");
  EXPECT_EQ(Eval("12"), "12");
  EXPECT_EQ(Eval("1.50"), "1.5");
  EXPECT_EQ(Eval("-3"), "-3");
  EXPECT_EQ(Eval("true"), "true");
  EXPECT_EQ(Eval("null"), "");
  EXPECT_EQ(Eval("(('x'))"), "x");
}

TEST_F(EvaluateScriptTest, TrailingSemicolonAndBlanksAllowed) {
  EXPECT_EQ(Eval("  1 < 2 ;  "), "true");
}

TEST_F(EvaluateScriptTest, NullEqualsOnlyNull) {
  EXPECT_EQ(Eval("null == null"), "true");
  EXPECT_EQ(Eval("null == ''"), "false");
  EXPECT_EQ(Eval("null < 1"), "false");
}

TEST_F(EvaluateScriptTest, UnknownNameIsUnsupported) {
  EXPECT_EQ(Eval("abc == 5"),
            "unsupported: unsupported script expression \"abc == 5\": unknown name 'abc' at "
            "column 1");
}

TEST_F(EvaluateScriptTest, OtherOperatorsAreUnsupported) {
  EXPECT_EQ(Eval("2 ** 3"),
            "unsupported: unsupported script expression \"2 ** 3\": unexpected '**' at column 3");
  EXPECT_EQ(Eval("i++"),
            "unsupported: unsupported script expression \"i++\": unknown name 'i' at column 1");
  EXPECT_EQ(Eval("1 += 2"),
            "unsupported: unsupported script expression \"1 += 2\": unexpected '+=' at column 3");
  EXPECT_EQ(Eval("vars.get('a') ?: 'b'", ScriptDialect::kGroovy),
            "unsupported: unsupported script expression \"vars.get('a') ?: 'b'\": unexpected "
            "'?:' at column 15");
}

TEST_F(EvaluateScriptTest, OtherMethodsAreUnsupported) {
  EXPECT_EQ(Eval("'a,b'.split(',')"),
            "unsupported: unsupported script expression \"'a,b'.split(',')\": method "
            "'split' at column 7");
  EXPECT_EQ(Eval("vars.put('a', 'b')"),
            "unsupported: unsupported script expression \"vars.put('a', 'b')\": method "
            "'vars.put' at column 6");
}

TEST_F(EvaluateScriptTest, AssignmentIsUnsupported) {
  EXPECT_EQ(Eval("a = 1"),
            "unsupported: unsupported script expression \"a = 1\": unknown name 'a' at column 1");
  EXPECT_EQ(Eval("1 = 1"),
            "unsupported: unsupported script expression \"1 = 1\": unexpected '=' at column 3");
  EXPECT_EQ(Eval("1 =+ 1"),
            "unsupported: unsupported script expression \"1 =+ 1\": unexpected '=+' at column 3");
}

TEST_F(EvaluateScriptTest, StrictEqualityDoesNotConvert) {
  EXPECT_EQ(Eval("'abc' === \"abc\""), "true");
  EXPECT_EQ(Eval("'10' === 10"), "false");
  EXPECT_EQ(Eval("'10' == 10"), "true");
  EXPECT_EQ(Eval("10 === 10.0"), "true");
  EXPECT_EQ(Eval("'true' !== true"), "true");
  EXPECT_EQ(Eval("null === null"), "true");
}

TEST_F(EvaluateScriptTest, UnbalancedOrIncompleteIsUnsupported) {
  EXPECT_EQ(Eval("(1 < 2"),
            "unsupported: unsupported script expression \"(1 < 2\": expected ')' instead of "
            "the end at column 7");
  EXPECT_EQ(Eval("1 <"),
            "unsupported: unsupported script expression \"1 <\": unexpected end at column 4");
  EXPECT_EQ(Eval("1 < 2)"),
            "unsupported: unsupported script expression \"1 < 2)\": unexpected ')' at column 6");
  EXPECT_EQ(Eval("'abc"),
            "unsupported: unsupported script expression \"'abc\": unterminated string at "
            "column 1");
  EXPECT_EQ(Eval(""),
            "unsupported: unsupported script expression \"\": empty expression at "
            "column 1");
}

TEST_F(EvaluateScriptTest, UnexpectedCharacterIsNamedWhole) {
  EXPECT_EQ(Eval("'a' \xC3\xA9 'b'"),
            "unsupported: unsupported script expression \"'a' \xC3\xA9 'b'\": unexpected "
            "'\xC3\xA9' at column 5");
}

TEST_F(EvaluateScriptTest, MalformedNumberIsUnsupported) {
  EXPECT_EQ(Eval("10L > 1"),
            "unsupported: unsupported script expression \"10L > 1\": malformed number '10L' "
            "at column 1");
}

TEST_F(EvaluateScriptTest, UnresolvedVariableReferenceIsAnError) {
  // `${count} < 10` where count was never set: JMeter leaves the reference in the text.
  EXPECT_EQ(Eval("${count} < 10"),
            "error: script expression \"${count} < 10\": variable reference ${count} is not "
            "set at column 1");
}

TEST_F(EvaluateScriptTest, ErrorsInSkippedBranchesStillReported) {
  EXPECT_EQ(Eval("true || abc"),
            "unsupported: unsupported script expression \"true || abc\": unknown name 'abc' "
            "at column 9");
}

// ---------------------------------------------------------------------------------------
// IsTrue

TEST(IsTrueTest, TrueIgnoringCaseAndSurroundingBlanks) {
  EXPECT_TRUE(IsTrue("true"));
  EXPECT_TRUE(IsTrue("TRUE"));
  EXPECT_TRUE(IsTrue(" True\n"));
}

TEST(IsTrueTest, EverythingElseIsFalse) {
  EXPECT_FALSE(IsTrue("false"));
  EXPECT_FALSE(IsTrue(""));
  EXPECT_FALSE(IsTrue("1"));
  EXPECT_FALSE(IsTrue("yes"));
  EXPECT_FALSE(IsTrue("${__jexl3(x)}"));
  EXPECT_FALSE(IsTrue("truee"));
}

}  // namespace
}  // namespace barrage
