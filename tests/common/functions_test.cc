#include "common/functions.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "common/template.h"

namespace barrage {
namespace {

class FunctionsTest : public testing::Test {
 protected:
  FunctionsTest() {
    ctx.run = &run;
    ctx.thread_num = 3;
    other.run = &run;
    other.thread_num = 4;
  }

  // Evaluates `text` as a plan value (parsed once, like the compiler does).
  std::string Eval(const std::string& text) { return Evaluate(Value::Of(text), ctx); }
  std::string EvalAs(ThreadContext& user, const std::string& text) { return Evaluate(Value::Of(text), user); }
  std::string Var(std::string_view name) const {
    const std::string* v = ctx.vars.Get(name);
    return v ? *v : "<unset>";
  }
  std::string Prop(std::string_view name) const {
    std::optional<std::string> v = run.properties.Get(name);
    return v ? *v : "<unset>";
  }
  // A file under a fresh directory; returns its full path.
  std::string WriteFile(const std::string& name, const std::string& contents) {
    std::string path = Dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  std::string Dir() {
    if (dir_.empty()) {
      std::string tmpl = testing::TempDir() + "/functions_test_XXXXXX";
      dir_ = mkdtemp(tmpl.data());
    }
    return dir_;
  }

  RunContext run;
  ThreadContext ctx;
  ThreadContext other;

 private:
  std::string dir_;
};

std::string LocalNow(const char* strftime_format) {
  time_t now = time(nullptr);
  struct tm tm {};
  localtime_r(&now, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), strftime_format, &tm);
  return buf;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------
// Evaluation of templates

TEST_F(FunctionsTest, LiteralValueIsItsText) {
  EXPECT_EQ(Eval("plain text, no references"), "plain text, no references");
  EXPECT_EQ(Eval(""), "");
}

TEST_F(FunctionsTest, VariableIsReplacedByItsValue) {
  ctx.vars.Put("id", "42");
  EXPECT_EQ(Eval("/users/${id}/orders"), "/users/42/orders");
}

TEST_F(FunctionsTest, UnsetVariableStaysAsWritten) { EXPECT_EQ(Eval("/users/${id}/orders"), "/users/${id}/orders"); }

TEST_F(FunctionsTest, VariableSetToEmptyIsEmpty) {
  ctx.vars.Put("id", "");
  EXPECT_EQ(Eval("[${id}]"), "[]");
}

TEST_F(FunctionsTest, EscapedDollarIsLiteral) {
  ctx.vars.Put("x", "1");
  EXPECT_EQ(Eval("\\${x} and ${x}"), "${x} and 1");
}

TEST_F(FunctionsTest, EscapedCommaIsPartOfTheArgument) { EXPECT_EQ(Eval("${__urlencode(a\\,b)}"), "a%2Cb"); }

TEST_F(FunctionsTest, NestedCallsAreEvaluatedInnermostFirst) {
  ctx.vars.Put("N", "1");
  ctx.vars.Put("A1", "first");
  EXPECT_EQ(Eval("${__V(A${N})}"), "first");
  EXPECT_EQ(Eval("${__intSum(${__Random(5,5)},${__intSum(1,2)})}"), "8");
}

TEST_F(FunctionsTest, FunctionInsideText) { EXPECT_EQ(Eval("user-${__threadNum}-x"), "user-3-x"); }

TEST_F(FunctionsTest, UnknownFunctionStaysAsWritten) {
  EXPECT_EQ(Eval("a${__nosuch(p,q\\,r)}b"), "a${__nosuch(p,q,r)}b");
}

TEST_F(FunctionsTest, UnknownFunctionWithoutArgumentsStaysAsWritten) { EXPECT_EQ(Eval("${__nosuch}"), "${__nosuch}"); }

TEST_F(FunctionsTest, UnknownFunctionEndsAtTheFirstClosingBraceAsInJMeter) {
  // Checked with JMeter 2.13: the reference "${__nosuch(p,${x}" is left as written and
  // what follows is ordinary text, so the counter after it runs.
  ctx.vars.Put("x", "1");
  EXPECT_EQ(Eval("a${__nosuch(p,${x},${__counter(FALSE,c)})}b"), "a${__nosuch(p,${x},1)}b");
  EXPECT_EQ(Var("c"), "1");
}

TEST_F(FunctionsTest, UnknownFunctionNamesAVariableWithParentheses) {
  ctx.vars.Put("total(eur)", "12");
  EXPECT_EQ(Eval("${total(eur)}"), "12");
}

TEST_F(FunctionsTest, UnsupportedScriptEngineStaysAsWritten) {
  EXPECT_EQ(Eval("${__BeanShell(1+1)}"), "${__BeanShell(1+1)}");
}

TEST_F(FunctionsTest, WrongArgumentCountStaysAsWritten) {
  EXPECT_EQ(Eval("${__Random(1)}"), "${__Random(1)}");
  EXPECT_EQ(Eval("${__UUID(x)}"), "${__UUID(x)}");
  EXPECT_EQ(Eval("${__timeShift(yyyy,,P1D)}"), "${__timeShift(yyyy,,P1D)}");
}

TEST_F(FunctionsTest, EvaluateTemplateDirectly) {
  ctx.vars.Put("a", "x");
  EXPECT_EQ(Evaluate(ParseTemplate("${a}${a}"), ctx), "xx");
}

TEST_F(FunctionsTest, EvaluateTextParsesAtRunTime) {
  ctx.vars.Put("column", "name");
  EXPECT_EQ(EvaluateText("select ${column} from t", ctx), "select name from t");
  EXPECT_EQ(EvaluateText("no references", ctx), "no references");
}

TEST_F(FunctionsTest, EvaluateTextAppliesEscapes) { EXPECT_EQ(EvaluateText("a\\,b \\${x}", ctx), "a,b ${x}"); }

TEST_F(FunctionsTest, ContextWithoutRunStillEvaluates) {
  ThreadContext detached;
  EXPECT_EQ(Evaluate(Value::Of("${__P(nope,d)}"), detached), "d");
}

// ---------------------------------------------------------------------------------------
// __P, __property, __setProperty

TEST_F(FunctionsTest, PReturnsTheTrimmedProperty) {
  run.properties.Set("group1.threads", " 7 ");
  EXPECT_EQ(Eval("${__P(group1.threads)}"), "7");
}

TEST_F(FunctionsTest, PDefaultsToOne) { EXPECT_EQ(Eval("${__P(group1.loops)}"), "1"); }

TEST_F(FunctionsTest, PWithDefault) {
  EXPECT_EQ(Eval("${__P(hostname,www.dummy.org)}"), "www.dummy.org");
  EXPECT_EQ(Eval("${__P(hostname, spaced )}"), "spaced");
  EXPECT_EQ(Eval("${__P(hostname,)}"), "");
}

TEST_F(FunctionsTest, PropertyReturnsTheProperty) {
  run.properties.Set("user.dir", "/home/u");
  EXPECT_EQ(Eval("${__property(user.dir)}"), "/home/u");
}

TEST_F(FunctionsTest, PropertyDefaultsToItsName) { EXPECT_EQ(Eval("${__property(abcd)}"), "abcd"); }

TEST_F(FunctionsTest, PropertyWithDefaultAndVariable) {
  EXPECT_EQ(Eval("${__property(abcd,ABCD,atod)}"), "atod");
  EXPECT_EQ(Var("ABCD"), "atod");
}

TEST_F(FunctionsTest, PropertyWithEmptyVariableNameDoesNotStore) {
  EXPECT_EQ(Eval("${__property(abcd,,atod)}"), "atod");
  EXPECT_EQ(ctx.vars.size(), 0u);
}

TEST_F(FunctionsTest, SetPropertyReturnsEmptyAndSets) {
  EXPECT_EQ(Eval("[${__setProperty(token,abc)}]"), "[]");
  EXPECT_EQ(Prop("token"), "abc");
}

TEST_F(FunctionsTest, SetPropertyCanReturnTheOriginalValue) {
  run.properties.Set("token", "old");
  EXPECT_EQ(Eval("${__setProperty(token,new,TRUE)}"), "old");
  EXPECT_EQ(Prop("token"), "new");
}

TEST_F(FunctionsTest, SetPropertyReturnsNullTextWhenThereWasNoValue) {
  EXPECT_EQ(Eval("${__setProperty(fresh,v,true)}"), "null");
}

TEST_F(FunctionsTest, SetPropertyIsSeenByOtherUsers) {
  Eval("${__setProperty(shared,${__threadNum})}");
  EXPECT_EQ(EvalAs(other, "${__P(shared)}"), "3");
}

// ---------------------------------------------------------------------------------------
// __Random, __RandomString, __UUID

TEST_F(FunctionsTest, RandomIsWithinInclusiveBounds) {
  std::set<std::string> seen;
  for (int i = 0; i < 300; ++i) seen.insert(Eval("${__Random(1,3)}"));
  EXPECT_EQ(seen, (std::set<std::string>{"1", "2", "3"}));
}

TEST_F(FunctionsTest, RandomWithEqualBounds) { EXPECT_EQ(Eval("${__Random(-5,-5)}"), "-5"); }

TEST_F(FunctionsTest, RandomTrimsBoundsAndStoresInTrimmedVariable) {
  std::string r = Eval("${__Random( 10 , 10 , MYVAR )}");
  EXPECT_EQ(r, "10");
  EXPECT_EQ(Var("MYVAR"), "10");
}

TEST_F(FunctionsTest, RandomWithInvalidBoundsStaysAsWritten) {
  EXPECT_EQ(Eval("${__Random(a,3)}"), "${__Random(a,3)}");
  EXPECT_EQ(Eval("${__Random(5,1)}"), "${__Random(5,1)}");
  EXPECT_EQ(Eval("${__Random(1,99999999999999999999)}"), "${__Random(1,99999999999999999999)}");
}

TEST_F(FunctionsTest, RandomStringUsesOnlyTheGivenCharacters) {
  std::string s = Eval("${__RandomString(50,abc)}");
  EXPECT_EQ(s.size(), 50u);
  EXPECT_EQ(s.find_first_not_of("abc"), std::string::npos);
}

TEST_F(FunctionsTest, RandomStringPicksWholeUtf8Characters) {
  std::string s = Eval("${__RandomString(20,\xC3\xA9\xE2\x82\xAC)}");  // é and €
  size_t i = 0, count = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "\xC3\xA9") == 0) {
      i += 2;
    } else {
      ASSERT_EQ(s.compare(i, 3, "\xE2\x82\xAC"), 0) << "at byte " << i;
      i += 3;
    }
    ++count;
  }
  EXPECT_EQ(count, 20u);
}

TEST_F(FunctionsTest, RandomStringStoresInVariable) {
  std::string s = Eval("${__RandomString(6,x, MYVAR)}");
  EXPECT_EQ(s, "xxxxxx");
  EXPECT_EQ(Var("MYVAR"), "xxxxxx");
}

TEST_F(FunctionsTest, RandomStringWithoutCharactersGivesValidUtf8WithoutControls) {
  std::string s = Eval("${__RandomString(100)}");
  size_t i = 0, count = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    ASSERT_GE(b, 0x20) << "control or continuation byte at " << i;
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : 3;
    ASSERT_FALSE(b == 0xED && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) << "surrogate at " << i;
    i += n;
    ++count;
  }
  EXPECT_EQ(count, 100u);
}

TEST_F(FunctionsTest, RandomStringWithInvalidLengthStaysAsWritten) {
  EXPECT_EQ(Eval("${__RandomString(-1,ab)}"), "${__RandomString(-1,ab)}");
  EXPECT_EQ(Eval("${__RandomString( 5,ab)}"), "${__RandomString( 5,ab)}");  // not trimmed
}

TEST_F(FunctionsTest, UuidIsRandomVersion4) {
  std::string u = Eval("${__UUID()}");
  ASSERT_EQ(u.size(), 36u);
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(u[i], '-');
    } else {
      EXPECT_NE(std::string("0123456789abcdef").find(u[i]), std::string::npos) << u;
    }
  }
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
  EXPECT_NE(Eval("${__UUID}"), u);
}

// ---------------------------------------------------------------------------------------
// __threadNum, __counter

TEST_F(FunctionsTest, ThreadNumIsTheUsersNumber) {
  EXPECT_EQ(Eval("${__threadNum}"), "3");
  EXPECT_EQ(EvalAs(other, "${__threadNum()}"), "4");
}

TEST_F(FunctionsTest, PerUserCounterCountsPerUserFromOne) {
  Value v = Value::Of("${__counter(TRUE)}");
  EXPECT_EQ(Evaluate(v, ctx), "1");
  EXPECT_EQ(Evaluate(v, ctx), "2");
  EXPECT_EQ(Evaluate(v, other), "1");
  EXPECT_EQ(Evaluate(v, ctx), "3");
}

TEST_F(FunctionsTest, EachCounterOccurrenceIsItsOwnCounter) {
  Value a = Value::Of("${__counter(true)}");
  Value b = Value::Of("${__counter(true)}");
  EXPECT_EQ(Evaluate(a, ctx), "1");
  EXPECT_EQ(Evaluate(a, ctx), "2");
  EXPECT_EQ(Evaluate(b, ctx), "1");
  Value both = Value::Of("${__counter(FALSE)}-${__counter(FALSE)}");
  EXPECT_EQ(Evaluate(both, ctx), "1-1");
}

TEST_F(FunctionsTest, GlobalCounterIsSharedByAllUsers) {
  Value v = Value::Of("${__counter(FALSE)}");
  EXPECT_EQ(Evaluate(v, ctx), "1");
  EXPECT_EQ(Evaluate(v, other), "2");
  EXPECT_EQ(Evaluate(v, ctx), "3");
}

TEST_F(FunctionsTest, CounterOtherThanTrueIsGlobal) {
  Value v = Value::Of("${__counter(yes)}");
  EXPECT_EQ(Evaluate(v, ctx), "1");
  EXPECT_EQ(Evaluate(v, other), "2");
}

TEST_F(FunctionsTest, CounterStoresInVariable) {
  EXPECT_EQ(Eval("${__counter(TRUE, n )}"), "1");
  EXPECT_EQ(Var("n"), "1");
}

// ---------------------------------------------------------------------------------------
// __time

TEST_F(FunctionsTest, TimeWithoutFormatIsEpochMillis) {
  int64_t before = NowMillis();
  int64_t t = std::stoll(Eval("${__time()}"));
  int64_t after = NowMillis();
  EXPECT_GE(t, before);
  EXPECT_LE(t, after);
}

TEST_F(FunctionsTest, TimeDividedGivesEpochSeconds) {
  int64_t before = NowMillis() / 1000;
  int64_t t = std::stoll(Eval("${__time(/1000)}"));
  EXPECT_GE(t, before);
  EXPECT_LE(t, NowMillis() / 1000);
}

TEST_F(FunctionsTest, TimeFormatsLocalTime) {
  std::string before = LocalNow("%Y-%m-%d %H");
  std::string t = Eval("${__time(yyyy-MM-dd HH)}");
  std::string after = LocalNow("%Y-%m-%d %H");
  EXPECT_TRUE(t == before || t == after) << t;
}

TEST_F(FunctionsTest, TimeQuotedTextInFormat) {
  std::string year = LocalNow("%Y");
  std::string t = Eval("${__time('year' yyyy\\, 'ok')}");
  EXPECT_TRUE(t == "year " + year + ", ok" || t == "year " + LocalNow("%Y") + ", ok") << t;
}

TEST_F(FunctionsTest, TimeAliases) {
  EXPECT_EQ(Eval("${__time(YMD)}"), LocalNow("%Y%m%d"));
  EXPECT_EQ(Eval("${__time(USER1)}"), "");
}

TEST_F(FunctionsTest, TimeAliasesFollowProperties) {
  run.properties.Set("time.YMD", "yyyy");
  EXPECT_EQ(Eval("${__time(YMD)}"), LocalNow("%Y"));
}

TEST_F(FunctionsTest, TimeStoresInVariable) {
  std::string t = Eval("${__time(yyyy, when )}");
  EXPECT_EQ(Var("when"), t);
}

TEST_F(FunctionsTest, TimeWithInvalidFormatStaysAsWritten) {
  EXPECT_EQ(Eval("${__time(yyyy-bb)}"), "${__time(yyyy-bb)}");
}

// ---------------------------------------------------------------------------------------
// __timeShift

TEST_F(FunctionsTest, TimeShiftOfEpochMillis) {
  EXPECT_EQ(Eval("${__timeShift(,10000,PT10S,,)}"), "20000");
  EXPECT_EQ(Eval("${__timeShift(,10000,-P1D,,)}"), "-86390000");
}

TEST_F(FunctionsTest, TimeShiftOfFormattedDate) {
  EXPECT_EQ(Eval("${__timeShift(dd/MM/yyyy,21/01/2018,P2D,,)}"), "23/01/2018");
  EXPECT_EQ(Eval("${__timeShift(yyyy-MM-dd'T'HH:mm:ssXXX,2018-01-21T10:00:00Z,P1DT2H3M4S,,)}"), "2018-01-22T12:03:04Z");
}

TEST_F(FunctionsTest, TimeShiftOfNow) {
  int64_t before = NowMillis();
  int64_t t = std::stoll(Eval("${__timeShift(,,PT10S,,)}"));
  EXPECT_GE(t, before + 10000);
  EXPECT_LE(t, NowMillis() + 10000);
}

TEST_F(FunctionsTest, TimeShiftWithFourArgumentsStoresInTheFourth) {
  EXPECT_EQ(Eval("${__timeShift(,1000,PT1S,shifted)}"), "2000");
  EXPECT_EQ(Var("shifted"), "2000");
}

TEST_F(FunctionsTest, TimeShiftWithFiveArgumentsStoresInTheFifth) {
  EXPECT_EQ(Eval("${__timeShift(,1000,PT1S,en_US, shifted )}"), "2000");
  EXPECT_EQ(Var("shifted"), "2000");
  EXPECT_EQ(Var("en_US"), "<unset>");
}

TEST_F(FunctionsTest, TimeShiftOfUnparseableDateShiftsNow) {
  std::string year = LocalNow("%Y");
  std::string t = Eval("${__timeShift(yyyy,not a year,,,)}");
  EXPECT_TRUE(t == year || t == LocalNow("%Y")) << t;
}

TEST_F(FunctionsTest, TimeShiftWithInvalidDurationDoesNotShift) {
  EXPECT_EQ(Eval("${__timeShift(,5000,P1M,,)}"), "5000");
}

TEST_F(FunctionsTest, TimeShiftWithInvalidFormatIsEmpty) {
  EXPECT_EQ(Eval("[${__timeShift(yyyy-bb,,P1D,,v)}]"), "[]");
  EXPECT_EQ(Var("v"), "<unset>");
}

// ---------------------------------------------------------------------------------------
// __intSum, __longSum

TEST_F(FunctionsTest, IntSumStoresInNonNumericLastArgument) {
  EXPECT_EQ(Eval("${__intSum(2,5,MYVAR)}"), "7");
  EXPECT_EQ(Var("MYVAR"), "7");
}

TEST_F(FunctionsTest, IntSumNumericLastArgumentIsAdded) {
  EXPECT_EQ(Eval("${__intSum(2,5,7)}"), "14");
  EXPECT_EQ(ctx.vars.size(), 0u);
}

TEST_F(FunctionsTest, IntSumOfVariable) {
  ctx.vars.Put("MYVAR", "8");
  EXPECT_EQ(Eval("${__intSum(1,2,5,${MYVAR})}"), "16");
}

TEST_F(FunctionsTest, IntSumWrapsLikeJavaInt) { EXPECT_EQ(Eval("${__intSum(2147483647,1)}"), "-2147483648"); }

TEST_F(FunctionsTest, IntSumOutOfRangeLastArgumentIsAVariableName) {
  EXPECT_EQ(Eval("${__intSum(1,2,3000000000)}"), "3");
  EXPECT_EQ(Var("3000000000"), "3");
}

TEST_F(FunctionsTest, IntSumWithInvalidNumberStaysAsWritten) {
  EXPECT_EQ(Eval("${__intSum(a,2,v)}"), "${__intSum(a,2,v)}");
  EXPECT_EQ(Eval("${__intSum(1, 2,v)}"), "${__intSum(1, 2,v)}");  // only the last is trimmed
}

TEST_F(FunctionsTest, LongSumHandlesLongs) {
  EXPECT_EQ(Eval("${__longSum(3000000000,3000000000, total )}"), "6000000000");
  EXPECT_EQ(Var("total"), "6000000000");
  EXPECT_EQ(Eval("${__longSum(9223372036854775807,1)}"), "-9223372036854775808");
}

// ---------------------------------------------------------------------------------------
// __urlencode, __urldecode

TEST_F(FunctionsTest, UrlEncodeAsJavaUrlEncoder) {
  EXPECT_EQ(Eval("${__urlencode(Word \"school\" is \"\xC3\xA9"
                 "cole\" in french ~!*'()-._)}"),
            "Word+%22school%22+is+%22%C3%A9cole%22+in+french+%7E%21*%27%28%29-._");
}

TEST_F(FunctionsTest, UrlDecodeAsJavaUrlDecoder) {
  EXPECT_EQ(Eval("${__urldecode(Word+%22school%22+is+%22%C3%A9cole%22+in+french)}"),
            "Word \"school\" is \"\xC3\xA9"
            "cole\" in french");
}

TEST_F(FunctionsTest, UrlDecodeReplacesMalformedUtf8) {
  EXPECT_EQ(Eval("${__urldecode(%C3%28)}"), "\xEF\xBF\xBD(");
  EXPECT_EQ(Eval("${__urldecode(%E2%82)}"), "\xEF\xBF\xBD");
  EXPECT_EQ(Eval("${__urldecode(%C0%AF)}"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Eval("${__urldecode(%ED%A0%80)}"), "\xEF\xBF\xBD");
  EXPECT_EQ(Eval("${__urldecode(%F0%9F%98%80)}"), "\xF0\x9F\x98\x80");
}

TEST_F(FunctionsTest, UrlDecodeWithBrokenEscapeStaysAsWritten) {
  EXPECT_EQ(Eval("${__urldecode(a%2)}"), "${__urldecode(a%2)}");
  EXPECT_EQ(Eval("${__urldecode(a%zz)}"), "${__urldecode(a%zz)}");
}

// ---------------------------------------------------------------------------------------
// __V, __evalVar

TEST_F(FunctionsTest, VReturnsTheVariable) {
  ctx.vars.Put("A2", "two");
  EXPECT_EQ(Eval("${__V(A2)}"), "two");
}

TEST_F(FunctionsTest, VOfMissingVariableIsItsNameOrTheDefault) {
  EXPECT_EQ(Eval("${__V(A9)}"), "A9");
  EXPECT_EQ(Eval("${__V(A9,none)}"), "none");
  EXPECT_EQ(Eval("[${__V(A9,)}]"), "[]");
}

TEST_F(FunctionsTest, EvalVarEvaluatesTheVariablesValue) {
  ctx.vars.Put("query", "select ${column} from ${table} where n=${__intSum(1,1)}");
  ctx.vars.Put("column", "name");
  ctx.vars.Put("table", "customers");
  EXPECT_EQ(Eval("${__evalVar(query)}"), "select name from customers where n=2");
}

TEST_F(FunctionsTest, EvalVarOfMissingVariableIsEmpty) { EXPECT_EQ(Eval("[${__evalVar(nope)}]"), "[]"); }

TEST_F(FunctionsTest, EvalVarThatReferencesItselfStops) {
  ctx.vars.Put("loop", "x${__evalVar(loop)}");
  EXPECT_EQ(Eval("${__evalVar(loop)}"), std::string(16, 'x'));
}

// ---------------------------------------------------------------------------------------
// __split

TEST_F(FunctionsTest, SplitAsTheManualShows) {
  ctx.vars.Put("VAR", "a||c|");
  ctx.vars.Put("VAR_5", "stale");
  EXPECT_EQ(Eval("${__split(${VAR},VAR,|)}"), "a||c|");
  EXPECT_EQ(Var("VAR_n"), "4");
  EXPECT_EQ(Var("VAR_1"), "a");
  EXPECT_EQ(Var("VAR_2"), "?");
  EXPECT_EQ(Var("VAR_3"), "c");
  EXPECT_EQ(Var("VAR_4"), "?");
  EXPECT_EQ(Var("VAR_5"), "<unset>");
  EXPECT_EQ(Var("VAR"), "a||c|");
}

TEST_F(FunctionsTest, SplitDefaultsToComma) {
  EXPECT_EQ(Eval("${__split(x\\,y, P )}"), "x,y");
  EXPECT_EQ(Var("P_n"), "2");
  EXPECT_EQ(Var("P_1"), "x");
  EXPECT_EQ(Var("P_2"), "y");
}

TEST_F(FunctionsTest, SplitDropsLeadingDelimiters) {
  Eval("${__split(||a,P,|)}");
  EXPECT_EQ(Var("P_n"), "2");
  EXPECT_EQ(Var("P_1"), "?");
  EXPECT_EQ(Var("P_2"), "a");
}

TEST_F(FunctionsTest, SplitDelimiterIsASetOfCharacters) {
  Eval("${__split(a;b:c,P,:;)}");
  EXPECT_EQ(Var("P_n"), "3");
  EXPECT_EQ(Var("P_3"), "c");
}

TEST_F(FunctionsTest, SplitOfEmptyStringHasNoParts) {
  ctx.vars.Put("P_1", "stale");
  EXPECT_EQ(Eval("[${__split(,P,|)}]"), "[]");
  EXPECT_EQ(Var("P_n"), "0");
  EXPECT_EQ(Var("P_1"), "<unset>");
}

// ---------------------------------------------------------------------------------------
// __char

TEST_F(FunctionsTest, CharDecimalHexAndOctal) {
  EXPECT_EQ(Eval("${__char(13,10)}"), "\r\n");
  EXPECT_EQ(Eval("${__char(0xD,0xA)}"), "\r\n");
  EXPECT_EQ(Eval("${__char(015,012)}"), "\r\n");
  EXPECT_EQ(Eval("${__char(#41, 66 )}"), "AB");
}

TEST_F(FunctionsTest, CharIsUtf8) {
  EXPECT_EQ(Eval("${__char(165)}"), "\xC2\xA5");
  EXPECT_EQ(Eval("${__char(0xD83D,0xDE00)}"), "\xF0\x9F\x98\x80");
}

TEST_F(FunctionsTest, CharSkipsInvalidNumbers) { EXPECT_EQ(Eval("${__char(65,x,08,66)}"), "AB"); }

TEST_F(FunctionsTest, CharTruncatesToSixteenBits) {
  EXPECT_EQ(Eval("${__char(65601)}"), "A");  // 0x10041
}

// ---------------------------------------------------------------------------------------
// __StringFromFile, __FileToString

// JMeter keeps one StringFromFile per reference in the plan: a compiled value is evaluated
// again and again, so these tests parse each call once.
TEST_F(FunctionsTest, StringFromFileReadsNextLineAndWraps) {
  std::string path = WriteFile("lines.txt", "one\r\ntwo\nthree");
  Value call = Value::Of("${__StringFromFile(" + path + ",L)}");
  EXPECT_EQ(Evaluate(call, ctx), "one");
  EXPECT_EQ(Evaluate(call, ctx), "two");
  EXPECT_EQ(Evaluate(call, ctx), "three");
  EXPECT_EQ(Evaluate(call, ctx), "one");
  EXPECT_EQ(Var("L"), "one");
}

TEST_F(FunctionsTest, StringFromFileIsSharedByUsers) {
  std::string path = WriteFile("shared.txt", "a\nb\nc\n");
  Value call = Value::Of("${__StringFromFile(" + path + ")}");
  EXPECT_EQ(Evaluate(call, ctx), "a");
  EXPECT_EQ(Evaluate(call, other), "b");
  EXPECT_EQ(Evaluate(call, ctx), "c");
}

TEST_F(FunctionsTest, EachStringFromFileReferenceReadsTheFileOnItsOwn) {
  std::string path = WriteFile("two_refs.txt", "a\nb\n");
  Value first = Value::Of("${__StringFromFile(" + path + ")}");
  Value second = Value::Of("${__StringFromFile(" + path + ")}");
  EXPECT_EQ(Evaluate(first, ctx), "a");
  EXPECT_EQ(Evaluate(second, ctx), "a");
  EXPECT_EQ(Evaluate(first, ctx), "b");
}

// Start and end numbers: the name is a DecimalFormat pattern formatted with 1, 2, ...; after
// the last file the function gives **ERR** and ends the user's thread.
TEST_F(FunctionsTest, StringFromFileSequenceReadsEachFileThenStopsTheThread) {
  WriteFile("seq1.txt", "a\nb\n");
  WriteFile("seq2.txt", "c\n");
  run.base_dir = Dir();
  Value call = Value::Of("${__StringFromFile(seq#'.txt',v,1,2)}");
  EXPECT_EQ(Evaluate(call, ctx), "a");
  EXPECT_EQ(Evaluate(call, ctx), "b");
  EXPECT_EQ(Evaluate(call, other), "c");
  EXPECT_FALSE(ctx.stop_thread);
  EXPECT_FALSE(other.stop_thread);
  EXPECT_EQ(Evaluate(call, ctx), "**ERR**");
  EXPECT_TRUE(ctx.stop_thread);
  EXPECT_EQ(Var("v"), "**ERR**");
}

TEST_F(FunctionsTest, StringFromFileSequenceStartsAtItsStartWithZeroPaddedNames) {
  WriteFile("data007.txt", "seven\n");
  WriteFile("data008.txt", "eight\n");
  run.base_dir = Dir();
  Value call = Value::Of("${__StringFromFile(data000'.txt',,7,)}");  // no end: never stops
  EXPECT_EQ(Evaluate(call, ctx), "seven");
  EXPECT_EQ(Evaluate(call, ctx), "eight");
  EXPECT_EQ(Evaluate(call, ctx), "**ERR**");  // data009.txt is missing: no line, no stop
  EXPECT_FALSE(ctx.stop_thread);
}

TEST_F(FunctionsTest, StringFromFileWithOnlyAnEndRereadsTheSameFileThatManyTimes) {
  WriteFile("once.txt", "x\n");
  run.base_dir = Dir();
  Value call = Value::Of("${__StringFromFile(once.txt,,,2)}");
  EXPECT_EQ(Evaluate(call, ctx), "x");
  EXPECT_EQ(Evaluate(call, ctx), "x");
  EXPECT_FALSE(ctx.stop_thread);
  EXPECT_EQ(Evaluate(call, ctx), "**ERR**");
  EXPECT_TRUE(ctx.stop_thread);
}

TEST_F(FunctionsTest, StringFromFileSequenceWithAMissingFirstFileStopsAtOnce) {
  run.base_dir = Dir();
  EXPECT_EQ(Eval("${__StringFromFile(missing#'.txt',,1,3)}"), "**ERR**");
  EXPECT_TRUE(ctx.stop_thread);
}

TEST_F(FunctionsTest, StringFromFileStoresInStringFromFileUnderscoreByDefault) {
  std::string path = WriteFile("default.txt", "x\n");
  Eval("${__StringFromFile(" + path + ")}");
  EXPECT_EQ(Var("StringFromFile_"), "x");
}

TEST_F(FunctionsTest, StringFromFileWithEmptyVariableNameDoesNotStore) {
  std::string path = WriteFile("nostore.txt", "x\n");
  Eval("${__StringFromFile(" + path + ",)}");
  EXPECT_EQ(ctx.vars.size(), 0u);
}

TEST_F(FunctionsTest, StringFromFileResolvesRelativeNamesAgainstThePlanFolder) {
  WriteFile("relative.txt", "found\n");
  run.base_dir = Dir();
  EXPECT_EQ(Eval("${__StringFromFile(relative.txt)}"), "found");
}

TEST_F(FunctionsTest, StringFromFileOfMissingFileIsErr) {
  EXPECT_EQ(Eval("${__StringFromFile(/nonexistent/file.txt,L)}"), "**ERR**");
  EXPECT_EQ(Var("L"), "**ERR**");
}

TEST_F(FunctionsTest, StringFromFileOfEmptyFileIsErr) {
  std::string path = WriteFile("empty.txt", "");
  EXPECT_EQ(Eval("${__StringFromFile(" + path + ")}"), "**ERR**");
}

TEST_F(FunctionsTest, FileToStringReadsTheWholeFile) {
  std::string path = WriteFile("whole.json", "{\"a\": 1}\n");
  EXPECT_EQ(Eval("${__FileToString(" + path + ",,body)}"), "{\"a\": 1}\n");
  EXPECT_EQ(Var("body"), "{\"a\": 1}\n");
}

TEST_F(FunctionsTest, FileToStringResolvesRelativeNames) {
  WriteFile("rel.txt", "rel");
  run.base_dir = Dir() + "/";
  EXPECT_EQ(Eval("${__FileToString(rel.txt)}"), "rel");
}

TEST_F(FunctionsTest, FileToStringConvertsLatin1) {
  std::string path = WriteFile("latin1.txt", "caf\xE9");
  EXPECT_EQ(Eval("${__FileToString(" + path + ",ISO-8859-1)}"), "caf\xC3\xA9");
}

TEST_F(FunctionsTest, FileToStringOfMissingFileIsErr) {
  EXPECT_EQ(Eval("${__FileToString(/nonexistent/file.txt,,v)}"), "**ERR**");
  EXPECT_EQ(Var("v"), "**ERR**");
}

TEST_F(FunctionsTest, FileFunctionsGiveErrForADeviceOrAFifoWithoutBlocking) {
  const std::string fifo = Dir() + "/pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {std::string("/dev/zero"), fifo, Dir()}) {
    EXPECT_EQ(Eval("${__FileToString(" + path + ")}"), "**ERR**") << path;
    EXPECT_EQ(Eval("${__StringFromFile(" + path + ")}"), "**ERR**") << path;
  }
}

// ---------------------------------------------------------------------------------------
// __machineName, __TestPlanName

TEST_F(FunctionsTest, MachineNameFromRunContext) {
  run.machine_name = "loadgen-7";
  EXPECT_EQ(Eval("${__machineName}"), "loadgen-7");
  EXPECT_EQ(Eval("${__machineName( host )}"), "loadgen-7");
  EXPECT_EQ(Var("host"), "loadgen-7");
}

TEST_F(FunctionsTest, MachineNameDefaultsToHostName) {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  EXPECT_EQ(Eval("${__machineName()}"), buf);
}

TEST_F(FunctionsTest, TestPlanNameIsThePlanFileName) {
  run.test_plan_file = "Demo.jmx";
  EXPECT_EQ(Eval("${__TestPlanName}"), "Demo.jmx");
}

// ---------------------------------------------------------------------------------------
// Script functions

TEST_F(FunctionsTest, ScriptFunctionsEvaluateOneLiners) {
  ctx.vars.Put("x", "abc");
  ctx.vars.Put("count", "3");
  EXPECT_EQ(Eval("${__jexl3(\"${x}\" == \"abc\")}"), "true");
  EXPECT_EQ(Eval("${__jexl2(${count} < 10 && true != false)}"), "true");
  EXPECT_EQ(Eval("${__groovy(vars.get(\"x\") != null)}"), "true");
  EXPECT_EQ(Eval("${__javaScript(!(${count} > 3))}"), "true");
  EXPECT_EQ(Eval("${__groovy(\"${x}\".equals(\"y\"))}"), "false");
  EXPECT_EQ(Eval("${__jexl3('${x}' != '')}"), "true");
}

TEST_F(FunctionsTest, ScriptFunctionStoresInVariable) {
  EXPECT_EQ(Eval("${__jexl3(1 < 2, ok )}"), "true");
  EXPECT_EQ(Var("ok"), "true");
}

TEST_F(FunctionsTest, UnsupportedScriptStaysAsWritten) {
  ctx.vars.Put("x", "1");
  EXPECT_EQ(Eval("${__groovy(${x} ** 2,v)}"), "${__groovy(${x} ** 2,v)}");
  EXPECT_EQ(Var("v"), "<unset>");
  EXPECT_EQ(Eval("${__groovy(${x} + 1,w)}"), "2");  // arithmetic is evaluated
  EXPECT_FALSE(IsTrue(Eval("${__jexl3(vars.get('a').size() > 0)}")));
}

TEST_F(FunctionsTest, ScriptErrorIsEmpty) {
  EXPECT_EQ(Eval("[${__jexl3(vars.get('nope').equals('x'))}]"), "[]");
  EXPECT_EQ(Eval("[${__jexl3(${nope} < 10)}]"), "[]");
}

// ---------------------------------------------------------------------------------------
// CheckFunctionCalls

TEST(CheckFunctionCallsTest, AcceptsCorrectCallsAndUnknownFunctions) {
  EXPECT_TRUE(CheckFunctionCalls(ParseTemplate("${__Random(1,2)}${__nosuch(1,2,3,4)}${x}")).ok());
}

TEST(CheckFunctionCallsTest, NamesTheCallWithABadArgumentCount) {
  Status s = CheckFunctionCalls(ParseTemplate("${__Random(1)}"));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "__Random called with wrong number of parameters. Actual: 1. Expected: >= 2 and <= 3");
}

TEST(CheckFunctionCallsTest, ExactAndMinimumCountsAreWordedAsJMeterDoes) {
  EXPECT_EQ(CheckFunctionCalls(ParseTemplate("${__urlencode(a,b)}")).message(),
            "__urlencode called with wrong number of parameters. Actual: 2. Expected: 1.");
  EXPECT_EQ(CheckFunctionCalls(ParseTemplate("${__intSum(1)}")).message(),
            "__intSum called with wrong number of parameters. Actual: 1. Expected: >= 2.");
}

TEST(CheckFunctionCallsTest, FindsNestedCalls) {
  Status s = CheckFunctionCalls(ParseTemplate("x${__V(a${__threadNum(1)})}"));
  EXPECT_EQ(s.message(), "__threadNum called with wrong number of parameters. Actual: 1. Expected: 0.");
}

// ---------------------------------------------------------------------------------------
// RunContext thread-safety

TEST(RunContextTest, GlobalCounterGivesEveryValueOnceAcrossThreads) {
  RunContext run;
  int occurrence = 0;
  constexpr int kThreads = 8, kPerThread = 2000;
  std::vector<std::vector<int64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(run.NextGlobalCounter(&occurrence));
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  std::set<int64_t> expected;
  for (int64_t i = 1; i <= kThreads * kPerThread; ++i) expected.insert(i);
  EXPECT_EQ(all, expected);
}

TEST(RunContextTest, GlobalCountersOfDifferentOccurrencesAreIndependent) {
  RunContext run;
  int a = 0, b = 0;
  EXPECT_EQ(run.NextGlobalCounter(&a), 1);
  EXPECT_EQ(run.NextGlobalCounter(&a), 2);
  EXPECT_EQ(run.NextGlobalCounter(&b), 1);
}

TEST(RunContextTest, NextLineGivesEachLineOncePerPassAcrossThreads) {
  std::string path = testing::TempDir() + "/run_context_lines.txt";
  {
    std::ofstream out(path);
    for (int i = 0; i < 100; ++i) out << "line" << i << "\n";
  }
  RunContext run;
  const int occurrence = 0;                      // one function call in the plan
  constexpr int kThreads = 4, kPerThread = 150;  // 600 reads = 6 passes
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      bool end = false;
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(*run.NextLineOf(&occurrence, {path}, &end));
    });
  }
  for (auto& th : threads) th.join();
  std::map<std::string, int> counts;
  for (const auto& g : got) {
    for (const auto& line : g) ++counts[line];
  }
  ASSERT_EQ(counts.size(), 100u);
  for (const auto& [line, n] : counts) EXPECT_EQ(n, 6) << line;
}

TEST(RunContextTest, FileContentsAreCachedAfterFirstRead) {
  std::string path = testing::TempDir() + "/run_context_cached.txt";
  std::ofstream(path) << "v1";
  RunContext run;
  EXPECT_EQ(run.FileContents(path), "v1");
  std::ofstream(path) << "v2";
  EXPECT_EQ(run.FileContents(path), "v1");
  EXPECT_FALSE(run.FileContents("/nonexistent/x").has_value());
}

// ---------------------------------------------------------------------------------------
// Issue 10: text and encoding functions

TEST_F(FunctionsTest, EscapeHtmlNamesMarkupAndHtml4Characters) {
  EXPECT_EQ(Eval(R"(${__escapeHtml(<a href="x">Café & © ' €</a>)})"),
            "&lt;a href=&quot;x&quot;&gt;Caf&eacute; &amp; &copy; ' &euro;&lt;/a&gt;");
}

TEST_F(FunctionsTest, EscapeHtmlLeavesCharactersWithoutNameAlone) {
  EXPECT_EQ(Eval("${__escapeHtml(日本 ☃)}"), "日本 ☃");
}

TEST_F(FunctionsTest, UnescapeHtmlDecodesNamedAndNumericReferences) {
  EXPECT_EQ(Eval("${__unescapeHtml(&lt;p&gt;&eacute;&#65;&#x42;&#X43;&#x1F600;&lang;)}"), "<p>éABC😀\u2329");
}

TEST_F(FunctionsTest, UnescapeHtmlNeedsTheSemicolonAndKnowsNoApos) {
  EXPECT_EQ(Eval("${__unescapeHtml(&amp &#65 &apos; &#12a; &nosuch; &)}"), "&amp &#65 &apos; &#12a; &nosuch; &");
}

TEST_F(FunctionsTest, EscapeXmlEscapesFiveCharactersAndDropsInvalidControls) {
  EXPECT_EQ(Eval(R"(${__escapeXml("bread" & 'butter')})"), "&quot;bread&quot; &amp; &apos;butter&apos;");
  EXPECT_EQ(Eval("${__escapeXml(a\x01\tb\x7F\xC2\x85\xC2\x86)}"), "a\tb&#127;\xC2\x85&#134;");
}

TEST_F(FunctionsTest, UnescapeReadsJavaEscapes) {
  // \t \n, \u0041 (and \uu0042), octal \101 and \0, \\ and a backslash before another letter
  // dropped.
  EXPECT_EQ(Eval(R"(${__unescape(a\tb\n\u0041\uu0042\101\\\q\0)})"), std::string("a\tb\nABA\\q") + '\0');
}

TEST_F(FunctionsTest, UnescapeJoinsSurrogatePairs) { EXPECT_EQ(Eval(R"(${__unescape(\uD83D\uDE00)})"), "😀"); }

TEST_F(FunctionsTest, UnescapeWithShortUnicodeEscapeStaysAsWritten) {
  EXPECT_EQ(Eval(R"(${__unescape(\u12)})"), R"(${__unescape(\u12)})");
}

TEST_F(FunctionsTest, EscapeOroRegexpCharsQuotesNonWordCharacters) {
  EXPECT_EQ(Eval("${__escapeOroRegexpChars([a-z]+?_1.é, v)}"), R"(\[a\-z\]\+\?_1\.é)");
  EXPECT_EQ(Var("v"), R"(\[a\-z\]\+\?_1\.é)");
}

TEST_F(FunctionsTest, ChangeCaseDefaultsToUpper) {
  EXPECT_EQ(Eval("${__changeCase(ab-cD é)}"), "AB-CD É");
  EXPECT_EQ(Eval("${__changeCase(ab,)}"), "AB");
}

TEST_F(FunctionsTest, ChangeCaseModesAreCaseInsensitiveAndStore) {
  EXPECT_EQ(Eval("${__changeCase(AbC,lower, v)}"), "abc");
  EXPECT_EQ(Var("v"), "abc");
  EXPECT_EQ(Eval("${__changeCase(abc def,CAPITALIZE)}"), "Abc def");
}

TEST_F(FunctionsTest, ChangeCaseWithUnknownModeReturnsTextUnchanged) {
  EXPECT_EQ(Eval("${__changeCase(aB,title)}"), "aB");
}

TEST_F(FunctionsTest, IsVarDefinedAndIsPropDefined) {
  ctx.vars.Put("set", "");
  run.properties.Set("p", "1");
  EXPECT_EQ(Eval("${__isVarDefined(set)} ${__isVarDefined(unset)}"), "true false");
  EXPECT_EQ(Eval("${__isPropDefined(p)} ${__isPropDefined(q)}"), "true false");
}

TEST_F(FunctionsTest, DigestHashesTextThenSalt) {
  EXPECT_EQ(Eval("${__digest(SHA-256,hello)}"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(Eval("${__digest(md5,hello)}"), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(Eval("${__digest(SHA-1,hello,salt,true, v )}"), "14FBD3F9600ECFC2A3D43E4C07A98A875C7910A2");
  EXPECT_EQ(Var("v"), "14FBD3F9600ECFC2A3D43E4C07A98A875C7910A2");
  EXPECT_EQ(Eval("${__digest(SHA3-256,abc)}"), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
}

TEST_F(FunctionsTest, DigestWithUnknownAlgorithmGivesNull) {
  EXPECT_EQ(Eval("${__digest(SHA-999,hello,,,v)}"), "null");
  EXPECT_EQ(Var("v"), "<unset>");
}

TEST_F(FunctionsTest, Base64EncodeAndDecode) {
  EXPECT_EQ(Eval("${__base64Encode(Hello\\, World!,v)}"), "SGVsbG8sIFdvcmxkIQ==");
  EXPECT_EQ(Var("v"), "SGVsbG8sIFdvcmxkIQ==");
  EXPECT_EQ(Eval("${__base64Encode(é)}"), "w6k=");
  EXPECT_EQ(Eval("${__base64Decode(SGVsbG8sIFdvcmxkIQ==)}"), "Hello, World!");
}

TEST_F(FunctionsTest, Base64DecodeIsLenient) {
  // Characters outside the alphabet are skipped, '=' ends the data, URL-safe digits count.
  EXPECT_EQ(Eval("${__base64Decode(SGVs bG8)}"), "Hello");
  EXPECT_EQ(Eval("${__base64Decode(YQ==YWJj)}"), "a");
  EXPECT_EQ(Eval("${__base64Decode(-_8)}"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // bytes FB FF: not UTF-8
}

TEST_F(FunctionsTest, EnvReadsEnvironmentWithDefault) {
  setenv("BARRAGE_FN_TEST_VAR", "from-env", 1);
  EXPECT_EQ(Eval("${__env(BARRAGE_FN_TEST_VAR,v)}"), "from-env");
  EXPECT_EQ(Var("v"), "from-env");
  EXPECT_EQ(Eval("${__env(BARRAGE_FN_UNSET_VAR)}"), "BARRAGE_FN_UNSET_VAR");
  EXPECT_EQ(Eval("${__env(BARRAGE_FN_UNSET_VAR,,fallback)}"), "fallback");
}

TEST_F(FunctionsTest, EvalEvaluatesTheTextAgain) {
  ctx.vars.Put("inner", "42");
  ctx.vars.Put("outer", "v=${inner}");
  EXPECT_EQ(Eval("${__eval(${outer})}"), "v=42");
}

TEST_F(FunctionsTest, LogReturnsTextAndLognReturnsNothing) {
  ctx.thread_name = "TG 1-1";
  EXPECT_EQ(Eval("[${__log(message,WARN)}]"), "[message]");
  EXPECT_EQ(Eval("[${__logn(message)}]"), "[]");
}

TEST_F(FunctionsTest, LogOutPrintsJMeterLineToStdout) {
  ctx.thread_name = "TG 1-1";
  testing::internal::CaptureStdout();
  Eval("${__log(hello,out)}${__log(bye,OUT,,c:)}");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "Log: TG 1-1 : hello\nLog: TG 1-1 c:bye\n");
}

TEST_F(FunctionsTest, LogThrowableFollowsTheText) {
  ctx.thread_name = "TG 1-1";
  testing::internal::CaptureStderr();
  Eval("${__log(a,ERR,)}${__log(b,err,boom)}${__logn(c,ERR,)}");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "Log: TG 1-1 : a\nLog: TG 1-1 : b java.lang.Throwable: boom\nLog: TG 1-1 : c java.lang.Throwable: \n");
}

// ---- context

TEST_F(FunctionsTest, SamplerNameAndThreadGroupName) {
  std::string name = "Login page";
  ctx.sampler_name = &name;
  ctx.group_name = "Users";
  EXPECT_EQ(Eval("${__samplerName(v)}/${__threadGroupName()}"), "Login page/Users");
  EXPECT_EQ(Var("v"), "Login page");
  ctx.sampler_name = nullptr;
  EXPECT_EQ(Eval("[${__samplerName}]"), "[]");
}

TEST_F(FunctionsTest, MachineIpIsAnAddress) {
  std::string ip = Eval("${__machineIP(v)}");
  in_addr v4;
  in6_addr v6;
  EXPECT_TRUE(inet_pton(AF_INET, ip.c_str(), &v4) == 1 || inet_pton(AF_INET6, ip.c_str(), &v6) == 1) << ip;
  EXPECT_EQ(Var("v"), ip);
}

TEST_F(FunctionsTest, RandomFromMultipleVarsPicksAmongMatchesAndValues) {
  ctx.vars.Put("m_matchNr", "2");
  ctx.vars.Put("m_1", "x");
  ctx.vars.Put("m_2", "y");
  ctx.vars.Put("single", "z");
  ctx.vars.Put("empty", "");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(Eval("${__RandomFromMultipleVars(m|single|empty|unset, v)}"));
  EXPECT_EQ(seen, (std::set<std::string>{"x", "y", "z"}));
  EXPECT_TRUE(seen.count(Var("v")));
  EXPECT_EQ(Eval("[${__RandomFromMultipleVars(unset|empty)}]"), "[]");
}

// ---- dates

TEST_F(FunctionsTest, DateTimeConvertReformats) {
  EXPECT_EQ(Eval("${__dateTimeConvert(2017-01-02,yyyy-MM-dd,dd/MM/yyyy, v)}"), "02/01/2017");
  EXPECT_EQ(Var("v"), "02/01/2017");
  // Epoch milliseconds when the source format is empty (noon UTC: the same day in any zone).
  EXPECT_EQ(Eval("${__dateTimeConvert(1526558400000,,dd/MM/yyyy)}"), "17/05/2018");
}

TEST_F(FunctionsTest, DateTimeConvertGivesEmptyOnBadInput) {
  EXPECT_EQ(Eval("[${__dateTimeConvert(nope,yyyy-MM-dd,dd/MM/yyyy,v)}]"), "[]");
  EXPECT_EQ(Eval("[${__dateTimeConvert(12x,,dd/MM/yyyy)}]"), "[]");
  EXPECT_EQ(Eval("[${__dateTimeConvert(2017-01-02,yyyy-MM-dd,bbb)}]"), "[]");
  EXPECT_EQ(Var("v"), "<unset>");
}

TEST_F(FunctionsTest, RandomDateIsWithinStartInclusiveEndExclusive) {
  std::set<std::string> seen;
  for (int i = 0; i < 300; ++i) seen.insert(Eval("${__RandomDate(yyyy-MM-dd,2024-02-27,2024-03-02,,v)}"));
  EXPECT_EQ(seen, (std::set<std::string>{"2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"}));
  EXPECT_TRUE(seen.count(Var("v")));
}

TEST_F(FunctionsTest, RandomDateDefaultsFormatAndGivesEmptyWhenEndIsNotAfterStart) {
  EXPECT_EQ(Eval("${__RandomDate(,2024-01-01,2024-01-02)}"), "2024-01-01");
  EXPECT_EQ(Eval("[${__RandomDate(yyyy-MM-dd,2024-01-02,2024-01-01)}]"), "[]");
}

// ---- __CSVRead

TEST_F(FunctionsTest, CsvReadReadsColumnsOfTheCurrentRowUntilNext) {
  std::string path = WriteFile("data.csv", "a,b\nc,,d\n\nafter the empty line\n");
  std::string f = "${__CSVRead(" + path + ",";
  EXPECT_EQ(Eval(f + "0)}" + f + "1)}"), "ab");
  EXPECT_EQ(Eval(f + "next)}"), "");
  EXPECT_EQ(Eval(f + "0)}|" + f + "1)}|" + f + "2)}|" + f + "3)}"), "c||d|");
  Eval(f + "next())}");
  EXPECT_EQ(Eval(f + "1)}"), "b");  // wrapped round: the empty line ends the data
}

TEST_F(FunctionsTest, CsvReadRowsAreSharedByUsersEachKeepingItsRow) {
  std::string path = WriteFile("data.csv", "1\n2\n3\n");
  std::string col = "${__CSVRead(" + path + ",0)}";
  std::string next = "${__CSVRead(" + path + ",next)}";
  EXPECT_EQ(EvalAs(ctx, col), "1");
  EXPECT_EQ(EvalAs(other, col), "2");
  EXPECT_EQ(EvalAs(ctx, col), "1");
  EXPECT_EQ(EvalAs(ctx, next + col), "3");
}

TEST_F(FunctionsTest, CsvReadAliasOpensTheFileAgain) {
  std::string path = WriteFile("data.csv", "1\n2\n");
  EXPECT_EQ(Eval("${__CSVRead(" + path + ",*A)}${__CSVRead(" + path + ",*B)}"), "");
  EXPECT_EQ(Eval("${__CSVRead(*A,0)}${__CSVRead(*B,0)}"), "11");
}

TEST_F(FunctionsTest, CsvReadResolvesAgainstPlanFolderAndUsesDelimiterProperty) {
  WriteFile("semi.csv", "x;y\n");
  run.base_dir = Dir();
  run.properties.Set("csvread.delimiter", ";");
  EXPECT_EQ(Eval("${__CSVRead(semi.csv,1)}"), "y");
}

TEST_F(FunctionsTest, CsvReadGivesEmptyForBadColumnOrMissingFile) {
  std::string path = WriteFile("data.csv", "a\n");
  EXPECT_EQ(Eval("[${__CSVRead(" + path + ",x)}${__CSVRead(" + path + ",5)}${__CSVRead(" + path + ",-1)}]"), "[]");
  EXPECT_EQ(Eval("[${__CSVRead(" + Dir() + "/missing.csv,0)}]"), "[]");
}

// ---- __StringToFile

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(FunctionsTest, StringToFileAppendsByDefaultAndTurnsBackslashNIntoLineBreaks) {
  run.base_dir = Dir();
  EXPECT_EQ(Eval(R"(${__StringToFile(out.txt,a\nb)})"), "true");
  EXPECT_EQ(Eval(R"(${__StringToFile( out.txt ,c,)})"), "true");
  EXPECT_EQ(ReadAll(Dir() + "/out.txt"), "a\nbc");
}

TEST_F(FunctionsTest, StringToFileOverwritesWhenAppendIsFalse) {
  run.base_dir = Dir();
  Eval("${__StringToFile(out.txt,old)}");
  EXPECT_EQ(Eval("${__StringToFile(out.txt,new,FALSE)}"), "true");
  EXPECT_EQ(ReadAll(Dir() + "/out.txt"), "new");
}

TEST_F(FunctionsTest, StringToFileEncodesInTheGivenCharset) {
  run.base_dir = Dir();
  EXPECT_EQ(Eval("${__StringToFile(latin.txt,é€,false,ISO-8859-1)}"), "true");
  EXPECT_EQ(ReadAll(Dir() + "/latin.txt"), "\xE9?");
  EXPECT_EQ(Eval("${__StringToFile(latin.txt,x,false,EBCDIC-XYZ)}"), "false");
}

TEST_F(FunctionsTest, StringToFileFailsForEmptyNameMissingFolderOrFifo) {
  run.base_dir = Dir();
  EXPECT_EQ(Eval("${__StringToFile( ,x)}"), "false");
  EXPECT_EQ(Eval("${__StringToFile(no/such/dir/f.txt,x)}"), "false");
  ASSERT_EQ(mkfifo((Dir() + "/fifo").c_str(), 0600), 0);
  EXPECT_EQ(Eval("${__StringToFile(fifo,x)}"), "false");  // no reader: not waited for
}

TEST(FunctionTable, NewFunctionsAreSupported) {
  for (const char* name : {"__log",
                           "__logn",
                           "__env",
                           "__machineIP",
                           "__escapeHtml",
                           "__unescapeHtml",
                           "__escapeXml",
                           "__changeCase",
                           "__isVarDefined",
                           "__isPropDefined",
                           "__digest",
                           "__base64Encode",
                           "__base64Decode",
                           "__dateTimeConvert",
                           "__RandomDate",
                           "__RandomFromMultipleVars",
                           "__CSVRead",
                           "__samplerName",
                           "__threadGroupName",
                           "__eval",
                           "__unescape",
                           "__escapeOroRegexpChars",
                           "__StringToFile"}) {
    EXPECT_TRUE(IsSupportedFunction(name)) << name;
  }
}

}  // namespace
}  // namespace barrage
