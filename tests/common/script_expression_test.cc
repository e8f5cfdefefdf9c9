#include <gtest/gtest.h>

#include "common/functions.h"

namespace barrage {
namespace {

class EvaluateScriptTest : public testing::Test {
 protected:
  EvaluateScriptTest() { ctx.run = &run; }

  // The result, or "<code>: message" when it failed.
  std::string Eval(std::string_view expression, ScriptDialect dialect = ScriptDialect::kJavaScript) {
    Result<std::string> r = EvaluateScriptExpression(expression, ctx, dialect);
    if (r.ok()) return *r;
    return (r.status().code() == Status::Code::kUnsupported ? "unsupported: " : "error: ") + r.status().message();
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

TEST_F(EvaluateScriptTest, SingleAndDoubleQuotesAreTheSameString) { EXPECT_EQ(Eval("'abc' == \"abc\""), "true"); }

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
  EXPECT_EQ(Eval("(('x'))"), "x");
}

// JEXL 2 adds when both sides of '+' read as numbers; JEXL 3 concatenates with a string.
TEST_F(EvaluateScriptTest, JexlTwoAddsNumericStrings) {
  EXPECT_EQ(Eval("'5' + 2", ScriptDialect::kJexl2), "7");
  EXPECT_EQ(Eval("'1.5' + 1", ScriptDialect::kJexl2), "2.5");
  EXPECT_EQ(Eval("'a' + 1", ScriptDialect::kJexl2), "a1");
  EXPECT_EQ(Eval("'5' + 2", ScriptDialect::kJexl), "52");
}

// Rhino prints null as "null" (__javaScript returns it); JMeter's __groovy and __jexl2/3
// return "" for a null value.
TEST_F(EvaluateScriptTest, NullPrintsAsEachFunctionReturnsIt) {
  EXPECT_EQ(Eval("null", ScriptDialect::kJavaScript), "null");
  EXPECT_EQ(Eval("vars.get('missing')", ScriptDialect::kJavaScript), "null");
  EXPECT_EQ(Eval("null", ScriptDialect::kGroovy), "");
  EXPECT_EQ(Eval("vars.get('missing')", ScriptDialect::kGroovy), "");
  EXPECT_EQ(Eval("null", ScriptDialect::kJexl), "");
}

TEST_F(EvaluateScriptTest, TrailingSemicolonAndBlanksAllowed) { EXPECT_EQ(Eval("  1 < 2 ;  "), "true"); }

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
  EXPECT_EQ(Eval("2 ** 3"), "unsupported: unsupported script expression \"2 ** 3\": unexpected '**' at column 3");
  EXPECT_EQ(Eval("i++"), "unsupported: unsupported script expression \"i++\": unknown name 'i' at column 1");
  EXPECT_EQ(Eval("1 += 2"), "unsupported: unsupported script expression \"1 += 2\": unexpected '+=' at column 3");
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
  EXPECT_EQ(Eval("a = 1"), "unsupported: unsupported script expression \"a = 1\": unknown name 'a' at column 1");
  EXPECT_EQ(Eval("1 = 1"), "unsupported: unsupported script expression \"1 = 1\": unexpected '=' at column 3");
  EXPECT_EQ(Eval("1 =+ 1"), "unsupported: unsupported script expression \"1 =+ 1\": unexpected '=+' at column 3");
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
  EXPECT_EQ(Eval("1 <"), "unsupported: unsupported script expression \"1 <\": unexpected end at column 4");
  EXPECT_EQ(Eval("1 < 2)"), "unsupported: unsupported script expression \"1 < 2)\": unexpected ')' at column 6");
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
// Arithmetic

constexpr ScriptDialect kJs = ScriptDialect::kJavaScript;
constexpr ScriptDialect kGroovy = ScriptDialect::kGroovy;
constexpr ScriptDialect kJexl = ScriptDialect::kJexl;

TEST_F(EvaluateScriptTest, JavaScriptNumbersAreDoubles) {
  EXPECT_EQ(Eval("7 / 2", kJs), "3.5");
  EXPECT_EQ(Eval("8 / 2", kJs), "4");
  EXPECT_EQ(Eval("1.5 + 2.5", kJs), "4");
  EXPECT_EQ(Eval("0.1 + 0.2", kJs), "0.30000000000000004");
  EXPECT_EQ(Eval("1 / 3", kJs), "0.3333333333333333");
}

TEST_F(EvaluateScriptTest, JavaScriptPrintsNumbersAsJavaScriptDoes) {
  EXPECT_EQ(Eval("1e21", kJs), "1e+21");
  EXPECT_EQ(Eval("1e20", kJs), "100000000000000000000");
  EXPECT_EQ(Eval("0.000001", kJs), "0.000001");
  EXPECT_EQ(Eval("0.0000001", kJs), "1e-7");
  EXPECT_EQ(Eval("1.25e-7", kJs), "1.25e-7");
  EXPECT_EQ(Eval("1 / 0", kJs), "Infinity");
  EXPECT_EQ(Eval("-1 / 0", kJs), "-Infinity");
  EXPECT_EQ(Eval("0 / 0", kJs), "NaN");
  EXPECT_EQ(Eval("-0", kJs), "0");
  EXPECT_EQ(Eval("9007199254740993", kJs), "9007199254740992");
}

TEST_F(EvaluateScriptTest, JavaScriptPlusConcatenatesWhenEitherSideIsAString) {
  EXPECT_EQ(Eval("'a' + 1", kJs), "a1");
  EXPECT_EQ(Eval("1 + 2 + 'x'", kJs), "3x");
  EXPECT_EQ(Eval("'x' + 1 + 2", kJs), "x12");
  EXPECT_EQ(Eval("'n' + 1.5 + true + null", kJs), "n1.5truenull");
  EXPECT_EQ(Eval("'7' + 1", kJs), "71");
}

TEST_F(EvaluateScriptTest, JavaScriptOtherOperatorsConvertStringsToNumbers) {
  EXPECT_EQ(Eval("'5' * 2", kJs), "10");
  EXPECT_EQ(Eval("'10' - '4'", kJs), "6");
  EXPECT_EQ(Eval("' 8 ' / 2", kJs), "4");
  EXPECT_EQ(Eval("'' * 3", kJs), "0");
  EXPECT_EQ(Eval("'abc' * 2", kJs), "NaN");
  EXPECT_EQ(Eval("true + 1", kJs), "2");
  EXPECT_EQ(Eval("null + 1", kJs), "1");
}

TEST_F(EvaluateScriptTest, JavaScriptRemainderTakesTheDividendsSign) {
  EXPECT_EQ(Eval("7 % 3", kJs), "1");
  EXPECT_EQ(Eval("-7 % 3", kJs), "-1");
  EXPECT_EQ(Eval("5.5 % 2", kJs), "1.5");
}

TEST_F(EvaluateScriptTest, PrecedenceAsInJavaScript) {
  EXPECT_EQ(Eval("2 + 3 * 4", kJs), "14");
  EXPECT_EQ(Eval("(2 + 3) * 4", kJs), "20");
  EXPECT_EQ(Eval("10 - 4 - 3", kJs), "3");
  EXPECT_EQ(Eval("24 / 4 / 3", kJs), "2");
  EXPECT_EQ(Eval("2 * -3", kJs), "-6");
  EXPECT_EQ(Eval("-(2 + 3)", kJs), "-5");
  EXPECT_EQ(Eval("1 + 2 < 4", kJs), "true");
  EXPECT_EQ(Eval("1 + 1 == 2 && 3 * 2 == 6", kJs), "true");
}

TEST_F(EvaluateScriptTest, ArithmeticOnVariables) {
  ctx.vars.Put("count", "7");
  EXPECT_EQ(Eval("vars.get('count') * 2", kJs), "14");
  EXPECT_EQ(Eval("vars.get('count') + 1", kJs), "71");
  EXPECT_EQ(Eval("parseInt(vars.get('count')) + 1", kJs), "8");
  EXPECT_EQ(Eval("vars.get('count').toInteger() + 1", kGroovy), "8");
  EXPECT_EQ(Eval("vars.get('count') + 1", kJexl), "71");
  EXPECT_EQ(Eval("vars.get('count') * 2", kJexl), "14");
}

TEST_F(EvaluateScriptTest, UnresolvedVariablesReplacedByZeroStillParse) {
  // The plan check replaces each unset ${var} with 0 before checking the grammar.
  EXPECT_EQ(Eval("0 % 2 == 1", kJs), "false");
  EXPECT_EQ(Eval("0 % 2 == 1", kGroovy), "false");
  EXPECT_EQ(Eval("0 % 2 == 1", kJexl), "false");
  EXPECT_EQ(Eval("0 / 0 > 1", kJs), "false");
  EXPECT_EQ(Eval("0.length > 1", kJs),
            "error: script expression \"0.length > 1\": length called on a number at column 3");
}

TEST_F(EvaluateScriptTest, GroovyDividesIntegersAsBigDecimals) {
  EXPECT_EQ(Eval("7 / 2", kGroovy), "3.5");
  EXPECT_EQ(Eval("4 / 2", kGroovy), "2");
  EXPECT_EQ(Eval("1 / 8", kGroovy), "0.125");
  EXPECT_EQ(Eval("1 / 3", kGroovy), "0.3333333333");
  EXPECT_EQ(Eval("2 / 3", kGroovy), "0.6666666667");
  EXPECT_EQ(Eval("10 / 3", kGroovy), "3.3333333333");
  EXPECT_EQ(Eval("-7 / 2", kGroovy), "-3.5");
  EXPECT_EQ(Eval("6.0 / 2", kGroovy), "3.0");
  EXPECT_EQ(Eval("1.00 / 3", kGroovy), "0.3333333333");
}

TEST_F(EvaluateScriptTest, GroovyDecimalsKeepTheirScale) {
  EXPECT_EQ(Eval("1.50", kGroovy), "1.50");
  EXPECT_EQ(Eval("1.5 * 2", kGroovy), "3.0");
  EXPECT_EQ(Eval("1.5 + 1", kGroovy), "2.5");
  EXPECT_EQ(Eval("0.1 + 0.2", kGroovy), "0.3");
  EXPECT_EQ(Eval("1.25 - 0.25", kGroovy), "1.00");
  EXPECT_EQ(Eval("2e3", kGroovy), "2E+3");
}

TEST_F(EvaluateScriptTest, GroovyIntegerArithmetic) {
  EXPECT_EQ(Eval("2 + 3 * 4", kGroovy), "14");
  EXPECT_EQ(Eval("-7 % 3", kGroovy), "-1");
}

TEST_F(EvaluateScriptTest, GroovyIntAndLongWrapAsJavaDoes) {
  EXPECT_EQ(Eval("2147483647 + 1", kGroovy), "-2147483648");
  EXPECT_EQ(Eval("2147483648 + 1", kGroovy), "2147483649");
  EXPECT_EQ(Eval("9223372036854775807 + 1", kGroovy), "-9223372036854775808");
  EXPECT_EQ(Eval("9223372036854775808 + 1", kGroovy), "9223372036854775809");
}

TEST_F(EvaluateScriptTest, JexlIntegersDoNotWrap) {
  EXPECT_EQ(Eval("2147483647 + 1", kJexl), "2147483648");
  EXPECT_EQ(Eval("9223372036854775807 + 1", kJexl), "9223372036854775808");
}

TEST_F(EvaluateScriptTest, GroovyPlusConcatenatesWithAString) {
  EXPECT_EQ(Eval("'a' + 1", kGroovy), "a1");
  EXPECT_EQ(Eval("1 + 'a'", kGroovy), "1a");
  EXPECT_EQ(Eval("'x' + 1.50 + null", kGroovy), "x1.50null");
  EXPECT_EQ(Eval("'ab' * 3", kGroovy), "ababab");
}

TEST_F(EvaluateScriptTest, GroovyStringArithmeticIsUnsupported) {
  EXPECT_EQ(Eval("'5' - 2", kGroovy),
            "unsupported: unsupported script expression \"'5' - 2\": '-' on a string at "
            "column 5");
}

TEST_F(EvaluateScriptTest, DivisionByZeroIsAnErrorInGroovyAndJexl) {
  EXPECT_EQ(Eval("1 / 0", kGroovy), "error: script expression \"1 / 0\": division by zero at column 3");
  EXPECT_EQ(Eval("1 % 0", kJexl), "error: script expression \"1 % 0\": division by zero at column 3");
}

TEST_F(EvaluateScriptTest, ArithmeticOnNullIsAnErrorInGroovyAndJexl) {
  EXPECT_EQ(Eval("vars.get('n') + 1", kGroovy),
            "error: script expression \"vars.get('n') + 1\": '+' on null at column 15");
  EXPECT_EQ(Eval("vars.get('n') + 'a'", kJexl),
            "error: script expression \"vars.get('n') + 'a'\": '+' on null at column 15");
}

TEST_F(EvaluateScriptTest, JexlDividesIntegersAsIntegers) {
  EXPECT_EQ(Eval("7 / 2", kJexl), "3");
  EXPECT_EQ(Eval("-7 / 2", kJexl), "-3");
  EXPECT_EQ(Eval("7 % 2", kJexl), "1");
  EXPECT_EQ(Eval("2 + 3 * 4", kJexl), "14");
}

TEST_F(EvaluateScriptTest, JexlDoublesPrintAsJavaDoes) {
  EXPECT_EQ(Eval("7.0 / 2", kJexl), "3.5");
  EXPECT_EQ(Eval("1.5 * 2", kJexl), "3.0");
  EXPECT_EQ(Eval("1.50", kJexl), "1.5");
  EXPECT_EQ(Eval("1e7 + 0", kJexl), "1.0E7");
  EXPECT_EQ(Eval("0.0001 * 1", kJexl), "1.0E-4");
}

// JMeter 5.6 runs on Java 17, whose Double.toString sometimes prints a digit more than the
// shortest form Java 19 prints (1.0E23); JSONPath results print doubles the same way.
TEST_F(EvaluateScriptTest, DoublesPrintAsJava17Does) {
  EXPECT_EQ(Eval("1e23 * 1", kJexl), "9.999999999999999E22");
  EXPECT_EQ(Eval("2e23 * 1", kJexl), "1.9999999999999998E23");
  EXPECT_EQ(Eval("8.41e21 * 1", kJexl), "8.409999999999999E21");
}

TEST_F(EvaluateScriptTest, JexlConvertsNumericStrings) {
  EXPECT_EQ(Eval("'5' * 2", kJexl), "10");
  EXPECT_EQ(Eval("'1.5' * 2", kJexl), "3.0");
  EXPECT_EQ(Eval("'5' + 2", kJexl), "52");
  EXPECT_EQ(Eval("'abc' * 2", kJexl), "error: script expression \"'abc' * 2\": 'abc' is not a number at column 7");
}

// ---------------------------------------------------------------------------------------
// Ternary and logic values

TEST_F(EvaluateScriptTest, TernaryPicksABranch) {
  EXPECT_EQ(Eval("1 < 2 ? 'yes' : 'no'"), "yes");
  EXPECT_EQ(Eval("1 > 2 ? 'yes' : 'no'"), "no");
  EXPECT_EQ(Eval("false ? 1 : true ? 2 : 3"), "2");
  EXPECT_EQ(Eval("(1 > 2 ? 10 : 20) + 1"), "21");
}

TEST_F(EvaluateScriptTest, TernarySkipsTheOtherBranch) {
  EXPECT_EQ(Eval("vars.get('x') == null ? 'none' : vars.get('x').length"), "none");
}

TEST_F(EvaluateScriptTest, IncompleteTernaryIsUnsupported) {
  EXPECT_EQ(Eval("true ? 1"),
            "unsupported: unsupported script expression \"true ? 1\": expected ':' instead of "
            "the end at column 9");
}

TEST_F(EvaluateScriptTest, JavaScriptLogicGivesTheDecidingOperand) {
  EXPECT_EQ(Eval("vars.get('x') || 'fallback'", kJs), "fallback");
  EXPECT_EQ(Eval("'a' && 'b'", kJs), "b");
  EXPECT_EQ(Eval("vars.get('x') || 'fallback'", kGroovy), "true");
}

TEST_F(EvaluateScriptTest, StringFalseIsTrueExceptInJexl) {
  EXPECT_EQ(Eval("!'false'", kJs), "false");
  EXPECT_EQ(Eval("!'false'", kGroovy), "false");
  EXPECT_EQ(Eval("!'false'", kJexl), "true");
  EXPECT_EQ(Eval("!''", kJs), "true");
  EXPECT_EQ(Eval("!0", kJs), "true");
  EXPECT_EQ(Eval("!(0 / 0)", kJs), "true");
}

// ---------------------------------------------------------------------------------------
// String methods

TEST_F(EvaluateScriptTest, CaseChanges) {
  EXPECT_EQ(Eval("'AbC'.toLowerCase()"), "abc");
  EXPECT_EQ(Eval("'AbC'.toUpperCase()"), "ABC");
  EXPECT_EQ(Eval("'\xC3\x89t\xC3\xA9'.toUpperCase()"), "\xC3\x89T\xC3\x89");
  EXPECT_EQ(Eval("'stra\xC3\x9F"
                 "e'.toUpperCase()"),
            "STRASSE");
  EXPECT_EQ(Eval("'\xD0\x9F\xD1\x80\xD0\xB8'.toLowerCase()"), "\xD0\xBF\xD1\x80\xD0\xB8");
}

TEST_F(EvaluateScriptTest, CaseChangeOutsideKnownScriptsIsUnsupported) {
  EXPECT_EQ(Eval("'\xCE\xA3'.toLowerCase()"),
            "unsupported: unsupported script expression \"'\xCE\xA3'.toLowerCase()\": "
            "toLowerCase of \"\xCE\xA3\" at column 6");
}

TEST_F(EvaluateScriptTest, TrimRemovesSurroundingBlanks) {
  EXPECT_EQ(Eval("'  a b \\t'.trim()"), "a b");
  EXPECT_EQ(Eval("'\xC2\xA0"
                 "a\xC2\xA0'.trim()",
                 kJs),
            "a");
  EXPECT_EQ(Eval("'\xC2\xA0"
                 "a'.trim()",
                 kGroovy),
            "\xC2\xA0"
            "a");
}

TEST_F(EvaluateScriptTest, LengthCountsUtf16Units) {
  EXPECT_EQ(Eval("'abc'.length"), "3");
  EXPECT_EQ(Eval("'abc'.length()", kGroovy), "3");
  EXPECT_EQ(Eval("'abc'.size()", kGroovy), "3");
  EXPECT_EQ(Eval("'\xC3\xA9t\xC3\xA9'.length"), "3");
  EXPECT_EQ(Eval("'\xF0\x9F\x98\x80'.length"), "2");
  EXPECT_EQ(Eval("''.isEmpty()"), "true");
  EXPECT_EQ(Eval("'a'.isEmpty()"), "false");
}

TEST_F(EvaluateScriptTest, SearchMethods) {
  ctx.vars.Put("body", "status=OK;id=42");
  EXPECT_EQ(Eval("vars.get('body').contains('OK')", kGroovy), "true");
  EXPECT_EQ(Eval("vars.get('body').includes('KO')", kJs), "false");
  EXPECT_EQ(Eval("vars.get('body').startsWith('status')"), "true");
  EXPECT_EQ(Eval("vars.get('body').endsWith('42')"), "true");
  EXPECT_EQ(Eval("vars.get('body').indexOf('id')"), "10");
  EXPECT_EQ(Eval("vars.get('body').indexOf('x')"), "-1");
  EXPECT_EQ(Eval("'\xC3\xA9x'.indexOf('x')"), "1");
}

TEST_F(EvaluateScriptTest, JavaScriptConvertsSearchArgumentsJavaNeedsStrings) {
  EXPECT_EQ(Eval("'a1'.includes(1)", kJs), "true");
  EXPECT_EQ(Eval("'a1'.contains(1)", kGroovy),
            "error: script expression \"'a1'.contains(1)\": 'contains' needs a string, not a "
            "number at column 6");
}

TEST_F(EvaluateScriptTest, SubstringInJavaScriptClampsAndSwaps) {
  EXPECT_EQ(Eval("'abcdef'.substring(2)", kJs), "cdef");
  EXPECT_EQ(Eval("'abcdef'.substring(1, 3)", kJs), "bc");
  EXPECT_EQ(Eval("'abcdef'.substring(3, 1)", kJs), "bc");
  EXPECT_EQ(Eval("'abcdef'.substring(-2, 99)", kJs), "abcdef");
  EXPECT_EQ(Eval("'h\xC3\xA9llo'.substring(1, 2)", kJs), "\xC3\xA9");
}

TEST_F(EvaluateScriptTest, SubstringInJavaRejectsBadBounds) {
  EXPECT_EQ(Eval("'abcdef'.substring(1, 3)", kGroovy), "bc");
  EXPECT_EQ(Eval("'abcdef'.substring(3, 1)", kGroovy),
            "error: script expression \"'abcdef'.substring(3, 1)\": substring index out of "
            "range at column 10");
}

TEST_F(EvaluateScriptTest, ReplaceFirstInJavaScriptAllInJava) {
  EXPECT_EQ(Eval("'a-b-c'.replace('-', '+')", kJs), "a+b-c");
  EXPECT_EQ(Eval("'a-b-c'.replace('-', '+')", kGroovy), "a+b+c");
  EXPECT_EQ(Eval("'a.b'.replace('.', '$$')", kJs), "a$b");
  EXPECT_EQ(Eval("'a.b'.replace('.', '$$')", kJexl), "a$$b");
  EXPECT_EQ(Eval("'ab'.replace('', '-')", kGroovy), "-a-b-");
}

TEST_F(EvaluateScriptTest, EqualsIgnoreCase) {
  EXPECT_EQ(Eval("'Yes'.equalsIgnoreCase('YES')"), "true");
  EXPECT_EQ(Eval("'Yes'.equalsIgnoreCase('no')"), "false");
  EXPECT_EQ(Eval("'Yes'.equalsIgnoreCase(null)"), "false");
}

TEST_F(EvaluateScriptTest, MethodsChain) { EXPECT_EQ(Eval("' Mixed '.trim().toLowerCase().length"), "5"); }

TEST_F(EvaluateScriptTest, StringMethodOnNullIsAnError) {
  EXPECT_EQ(Eval("vars.get('x').trim()"),
            "error: script expression \"vars.get('x').trim()\": trim called on null at column 15");
}

TEST_F(EvaluateScriptTest, WrongArgumentCountIsUnsupported) {
  EXPECT_EQ(Eval("'a'.trim(1)"),
            "unsupported: unsupported script expression \"'a'.trim(1)\": method 'trim' with 1 "
            "arguments at column 5");
  EXPECT_EQ(Eval("'a'.replace(1, 2, 3)"),
            "unsupported: unsupported script expression \"'a'.replace(1, 2, 3)\": 'replace' "
            "with more than 2 arguments at column 19");
}

// ---------------------------------------------------------------------------------------
// Conversions

TEST_F(EvaluateScriptTest, ParseIntReadsALeadingInteger) {
  EXPECT_EQ(Eval("parseInt('42')"), "42");
  EXPECT_EQ(Eval("parseInt(' 12px')"), "12");
  EXPECT_EQ(Eval("parseInt('-3.9')"), "-3");
  EXPECT_EQ(Eval("parseInt('0x1F')"), "31");
  EXPECT_EQ(Eval("parseInt('px')"), "NaN");
}

TEST_F(EvaluateScriptTest, ParseFloatReadsALeadingNumber) {
  EXPECT_EQ(Eval("parseFloat('3.25kg')"), "3.25");
  EXPECT_EQ(Eval("parseFloat('.5')"), "0.5");
  EXPECT_EQ(Eval("parseFloat('1e3x')"), "1000");
  EXPECT_EQ(Eval("parseFloat('-Infinity')"), "-Infinity");
  EXPECT_EQ(Eval("parseFloat('x1')"), "NaN");
}

TEST_F(EvaluateScriptTest, NumberConvertsTheWholeString) {
  EXPECT_EQ(Eval("Number('12')"), "12");
  EXPECT_EQ(Eval("Number(' 1.5 ')"), "1.5");
  EXPECT_EQ(Eval("Number('')"), "0");
  EXPECT_EQ(Eval("Number('12px')"), "NaN");
  EXPECT_EQ(Eval("Number(true)"), "1");
  EXPECT_EQ(Eval("Number(null)"), "0");
}

TEST_F(EvaluateScriptTest, StringConverts) {
  EXPECT_EQ(Eval("String(12) + 1"), "121");
  EXPECT_EQ(Eval("String(null)"), "null");
  EXPECT_EQ(Eval("String(7 / 2)"), "3.5");
}

TEST_F(EvaluateScriptTest, JavaIntegerParsing) {
  EXPECT_EQ(Eval("Integer.parseInt('42') + 1", kGroovy), "43");
  EXPECT_EQ(Eval("Integer.parseInt('-7')", kGroovy), "-7");
  EXPECT_EQ(Eval("' 42 '.toInteger()", kGroovy), "42");
  EXPECT_EQ(Eval("Integer.parseInt(' 42')", kGroovy),
            "error: script expression \"Integer.parseInt(' 42')\": ' 42' is not an integer at "
            "column 9");
  EXPECT_EQ(Eval("Integer.parseInt('2147483648')", kGroovy),
            "error: script expression \"Integer.parseInt('2147483648')\": '2147483648' is not "
            "an integer at column 9");
}

TEST_F(EvaluateScriptTest, OtherGlobalsAreUnsupported) {
  EXPECT_EQ(Eval("Integer.valueOf('1')"),
            "unsupported: unsupported script expression \"Integer.valueOf('1')\": method "
            "'Integer.valueOf' at column 9");
  EXPECT_EQ(Eval("Math.random() > 0.5"),
            "unsupported: unsupported script expression \"Math.random() > 0.5\": unknown name "
            "'Math' at column 1");
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
