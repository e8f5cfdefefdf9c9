// Response, Duration and Size Assertions, and the assertion side of the dispatcher
// (scopes, recording on the sample). Expected messages are JMeter's, most of them checked
// against JMeter 2.13 (see the report of the change that added this file).
#include "worker/assertions.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "worker/processors.h"
#include "worker/sample_fields.h"

namespace barrage {
namespace {

constexpr int kMatch = ResponseAssertion::kMatch;
constexpr int kContains = ResponseAssertion::kContains;
constexpr int kNot = ResponseAssertion::kNot;
constexpr int kEquals = ResponseAssertion::kEquals;
constexpr int kSubstring = ResponseAssertion::kSubstring;
constexpr int kOr = ResponseAssertion::kOr;

std::unique_ptr<ResponseAssertion> Response(int type, std::vector<std::string> patterns,
                                            std::string field = "Assertion.response_data") {
  auto a = std::make_unique<ResponseAssertion>(ElementKind::kResponseAssertion);
  a->name = "Response Assertion";
  a->test_type = type;
  a->test_field = std::move(field);
  for (std::string& p : patterns) a->test_strings.push_back(Value::Of(std::move(p)));
  return a;
}

std::unique_ptr<DurationAssertion> Duration(std::string ms) {
  auto a = std::make_unique<DurationAssertion>(ElementKind::kDurationAssertion);
  a->name = "Duration Assertion";
  a->duration_ms = Value::Of(std::move(ms));
  return a;
}

std::unique_ptr<SizeAssertion> Size(std::string size, int op,
                                    std::string field = "SizeAssertion.response_network_size") {
  auto a = std::make_unique<SizeAssertion>(ElementKind::kSizeAssertion);
  a->name = "Size Assertion";
  a->size = Value::Of(std::move(size));
  a->op = op;
  a->test_field = std::move(field);
  return a;
}

SampleResult Body(std::string body) {
  SampleResult r;
  r.body = std::move(body);
  r.sample.response_code = "200";
  r.sample.response_message = "OK";
  return r;
}

SampleResult Http() {
  SampleResult r;
  r.method = "GET";
  r.sample.url = "http://127.0.0.1:8080/hello.txt?x=1";
  r.sample.response_code = "200";
  r.sample.response_message = "OK";
  r.response_headers = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";
  r.request_headers = "Host: 127.0.0.1:8080\nUser-Agent: Barrage\nCookie: sid=abc; theme=dark";
  r.body = "hello";
  r.sample.bytes = 64 + 5;  // header block as sent (with the blank line) + body
  return r;
}

class AssertionsTest : public ::testing::Test {
 protected:
  AssertionsTest() { ctx_.run = &run_; }
  AssertionResult Check(const ResponseAssertion& a, SampleResult r) { return RunResponseAssertion(a, r, ctx_); }

  RunContext run_;
  ThreadContext ctx_;
};

// ---------------------------------------------------------------------------------------
// Response Assertion: test types.

TEST_F(AssertionsTest, ContainsPassesWhenBodyContainsPattern) {
  AssertionResult r = Check(*Response(kContains, {"perf-anchor"}), Body("a perf-anchor file"));
  EXPECT_FALSE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "");
  EXPECT_EQ(r.name, "Response Assertion");
}

TEST_F(AssertionsTest, ContainsFailureMessageIsJMeters) {
  // The failure message recorded by real JMeter in shared/jmeter-reference.
  AssertionResult r = Check(*Response(kContains, {"NOT-IN-BODY"}), Body("a perf-anchor file"));
  EXPECT_TRUE(r.failure);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.message, "Test failed: text expected to contain /NOT-IN-BODY/");
}

TEST_F(AssertionsTest, ContainsIsARegularExpressionSearch) {
  EXPECT_FALSE(Check(*Response(kContains, {"perf.*anchor"}), Body("x perf-anchor y")).failure);
  EXPECT_TRUE(Check(*Response(kContains, {"^anchor"}), Body("x anchor")).failure);
}

TEST_F(AssertionsTest, MatchRequiresTheWholeFieldToMatch) {
  EXPECT_FALSE(Check(*Response(kMatch, {"Hello.*"}), Body("Hello world")).failure);
  AssertionResult r = Check(*Response(kMatch, {"Hello"}), Body("Hello world"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Test failed: text expected to match /Hello/");
}

TEST_F(AssertionsTest, MatchTakesTheFirstAlternativeLikeOro) {
  // ORO's matches() does not backtrack into a longer alternative (checked on JMeter 2.13).
  EXPECT_TRUE(Check(*Response(kMatch, {"a|ab"}), Body("ab")).failure);
  EXPECT_FALSE(Check(*Response(kMatch, {"ab|a"}), Body("ab")).failure);
}

TEST_F(AssertionsTest, ContainsDollarAcceptsAFinalNewlineLikePerl) {
  EXPECT_FALSE(Check(*Response(kContains, {"man$"}), Body("the man\n")).failure);
}

TEST_F(AssertionsTest, MatchMustEndAtTheVeryEnd) {
  // JMeter 2.13: "the man$" does not match "the man\n" (the match ends before the newline).
  EXPECT_TRUE(Check(*Response(kMatch, {"the man$"}), Body("the man\n")).failure);
  EXPECT_FALSE(Check(*Response(kMatch, {"the man\\n"}), Body("the man\n")).failure);
}

TEST_F(AssertionsTest, SubstringIsLiteralText) {
  EXPECT_FALSE(Check(*Response(kSubstring, {"a.c("}), Body("xa.c(x")).failure);
  AssertionResult r = Check(*Response(kSubstring, {"a.c("}), Body("abc("));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Test failed: text expected to contain /a.c(/");
}

TEST_F(AssertionsTest, EqualsPassesOnIdenticalText) {
  EXPECT_FALSE(Check(*Response(kEquals, {"Hello"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, EqualsMessageShowsTheDifferingMiddle) {
  AssertionResult r =
      Check(*Response(kEquals, {"Hello brave old world, said the man"}), Body("Hello brave new world, said the man"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : Hello brave [[[new]]] world, said the man\n\n"
            "****** comparison: Hello brave [[[old]]] world, said the man\n\n/");
}

TEST_F(AssertionsTest, EqualsMessagePadsAShorterComparison) {
  AssertionResult r = Check(*Response(kEquals, {"Hello"}), Body("Hello brave new world, said the man"));
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : Hello[[[ brave new world, said the man]]]\n\n"
            "****** comparison: Hello[[[                              ]]]\n\n/");
}

TEST_F(AssertionsTest, EqualsMessagePadsAShorterResponse) {
  AssertionResult r = Check(*Response(kEquals, {"Hello brave new world, said the man and more"}),
                            Body("Hello brave new world, said the man"));
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : Hello brave new world, said the man[[[         ]]]\n\n"
            "****** comparison: Hello brave new world, said the man[[[ and more]]]\n\n/");
}

TEST_F(AssertionsTest, NotEqualsMessageOnEqualText) {
  AssertionResult r = Check(*Response(kEquals | kNot, {"same text"}), Body("same text"));
  EXPECT_EQ(r.message,
            "Test failed: text expected not to equal /\n\n"
            "****** received  : same text[[[]]]\n\n"
            "****** comparison: same text[[[]]]\n\n/");
}

TEST_F(AssertionsTest, EqualsMessageTruncatesSectionsToAHundredCharacters) {
  std::string a(150, 'A'), b(150, 'B'), a100(100, 'A'), b100(100, 'B');
  AssertionResult r = Check(*Response(kEquals, {a + "Y" + b}), Body(a + "X" + b));
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : ..." +
                a100 + "[[[X]]]" + b100 +
                "...\n\n"
                "****** comparison: ..." +
                a100 + "[[[Y]]]" + b100 + "...\n\n/");
}

TEST_F(AssertionsTest, EqualsMessageTruncatesALongDelta) {
  std::string a(150, 'A'), b(150, 'B'), a100(100, 'A'), b99(99, 'B');
  AssertionResult r = Check(*Response(kEquals, {a}), Body(a + "X" + b));
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : ..." +
                a100 + "[[[X" + b99 +
                "...]]]\n\n"
                "****** comparison: ..." +
                a100 + "[[[" + std::string(103, ' ') + "]]]\n\n/");
}

TEST_F(AssertionsTest, EqualsMessageNeverSplitsAMultiByteCharacter) {
  AssertionResult r = Check(*Response(kEquals, {"caf\xC3\xA8"}), Body("caf\xC3\xA9"));
  EXPECT_EQ(r.message,
            "Test failed: text expected to equal /\n\n"
            "****** received  : caf[[[\xC3\xA9]]]\n\n"
            "****** comparison: caf[[[\xC3\xA8]]]\n\n/");
}

TEST_F(AssertionsTest, NotContainsFailsWhenFound) {
  AssertionResult r = Check(*Response(kContains | kNot, {"Hel+o"}), Body("Hello"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Test failed: text expected not to contain /Hel+o/");
  EXPECT_FALSE(Check(*Response(kContains | kNot, {"xyz"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, NotMatchFailsWhenTheWholeFieldMatches) {
  AssertionResult r = Check(*Response(kMatch | kNot, {"H.*"}), Body("Hello"));
  EXPECT_EQ(r.message, "Test failed: text expected not to match /H.*/");
  EXPECT_FALSE(Check(*Response(kMatch | kNot, {"H"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, NotSubstringFailsWhenFound) {
  AssertionResult r = Check(*Response(kSubstring | kNot, {"ell"}), Body("Hello"));
  EXPECT_EQ(r.message, "Test failed: text expected not to contain /ell/");
}

TEST_F(AssertionsTest, EveryPatternMustPassAndTheFirstFailureIsReported) {
  AssertionResult r = Check(*Response(kContains, {"Hello", "nope", "also"}), Body("Hello"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Test failed: text expected to contain /nope/");
}

TEST_F(AssertionsTest, OrPassesWhenOnePatternPasses) {
  EXPECT_FALSE(Check(*Response(kContains | kOr, {"nope", "Hello"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, OrFailureListsEveryPatternEachFollowedByATab) {
  // The verb switch sees the OR bit too, so JMeter says "something using".
  AssertionResult r = Check(*Response(kContains | kOr, {"a", "b"}), Body("Hello"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message,
            "Test failed: text expected something using /a/\t"
            "Test failed: text expected something using /b/\t");
}

TEST_F(AssertionsTest, OrWithNotPassesWhenOnePatternIsAbsent) {
  EXPECT_FALSE(Check(*Response(kContains | kNot | kOr, {"Hello", "xyz"}), Body("Hello")).failure);
  EXPECT_TRUE(Check(*Response(kContains | kNot | kOr, {"Hello", "ell"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, OrWithEqualsKeepsTheDiff) {
  AssertionResult r = Check(*Response(kEquals | kOr, {"Hellx"}), Body("Hello"));
  EXPECT_EQ(r.message,
            "Test failed: text expected something using /\n\n"
            "****** received  : Hell[[[o]]]\n\n"
            "****** comparison: Hell[[[x]]]\n\n/\t");
}

TEST_F(AssertionsTest, NoPatternsPasses) { EXPECT_FALSE(Check(*Response(kContains, {}), Body("Hello")).failure); }

TEST_F(AssertionsTest, NoPatternsWithOrFailsWithATab) {
  AssertionResult r = Check(*Response(kContains | kOr, {}), Body("Hello"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "\t");
}

TEST_F(AssertionsTest, EmptyFieldFailsWithResponseWasNull) {
  AssertionResult r = Check(*Response(kContains, {"x"}), Body(""));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Response was null");
}

TEST_F(AssertionsTest, EmptyFieldPassesANotTest) {
  EXPECT_FALSE(Check(*Response(kContains | kNot, {"x"}), Body("")).failure);
}

TEST_F(AssertionsTest, PatternsAreEvaluatedPerVirtualUser) {
  ctx_.vars.Put("expected", "Hello");
  EXPECT_FALSE(Check(*Response(kEquals, {"${expected}"}), Body("Hello")).failure);
}

TEST_F(AssertionsTest, CustomMessageReplacesTheFailureText) {
  auto a = Response(kContains, {"nope"});
  a->custom_message = Value::Of("body lacks ${what}");
  ctx_.vars.Put("what", "nope");
  AssertionResult r = Check(*a, Body("Hello"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "body lacks nope");
}

TEST_F(AssertionsTest, CustomMessageReplacesTheOrFailureText) {
  auto a = Response(kContains | kOr, {"a", "b"});
  a->custom_message = Value::Of("neither");
  EXPECT_EQ(Check(*a, Body("Hello")).message, "neither");
}

// ---------------------------------------------------------------------------------------
// Response Assertion: fields.

TEST_F(AssertionsTest, ResponseCodeField) {
  EXPECT_FALSE(Check(*Response(kEquals, {"200"}, "Assertion.response_code"), Http()).failure);
  AssertionResult r = Check(*Response(kContains, {"404"}, "Assertion.response_code"), Http());
  EXPECT_EQ(r.message, "Test failed: code expected to contain /404/");
}

TEST_F(AssertionsTest, ResponseMessageField) {
  AssertionResult r = Check(*Response(kContains, {"Not Found"}, "Assertion.response_message"), Http());
  EXPECT_EQ(r.message, "Test failed: message expected to contain /Not Found/");
}

TEST_F(AssertionsTest, ResponseHeadersFieldReadsJMetersLineFeedForm) {
  EXPECT_FALSE(Check(*Response(kEquals, {"HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 5\n"},
                               "Assertion.response_headers"),
                     Http())
                   .failure);
  AssertionResult r = Check(*Response(kContains, {"gzip"}, "Assertion.response_headers"), Http());
  EXPECT_EQ(r.message, "Test failed: headers expected to contain /gzip/");
}

TEST_F(AssertionsTest, RequestHeadersFieldLeavesOutTheCookieHeader) {
  EXPECT_FALSE(
      Check(*Response(kEquals, {"Host: 127.0.0.1:8080\nUser-Agent: Barrage\n"}, "Assertion.request_headers"), Http())
          .failure);
  AssertionResult r = Check(*Response(kContains, {"sid"}, "Assertion.request_headers"), Http());
  EXPECT_EQ(r.message, "Test failed: request headers expected to contain /sid/");
}

TEST_F(AssertionsTest, RequestDataFieldIsJMetersSamplerData) {
  EXPECT_FALSE(Check(*Response(kEquals,
                               {"GET http://127.0.0.1:8080/hello.txt?x=1\n\nGET data:\n\n\n"
                                "Cookie Data:\nsid=abc; theme=dark\n"},
                               "Assertion.request_data"),
                     Http())
                   .failure);
  AssertionResult r = Check(*Response(kContains, {"POST"}, "Assertion.request_data"), Http());
  EXPECT_EQ(r.message, "Test failed: request data expected to contain /POST/");
}

TEST_F(AssertionsTest, RequestDataOfARequestWithoutCookies) {
  SampleResult head = Http();
  head.method = "HEAD";
  head.request_headers = "Host: h";
  EXPECT_FALSE(Check(*Response(kEquals, {"HEAD http://127.0.0.1:8080/hello.txt?x=1\n\n[no cookies]\n"},
                               "Assertion.request_data"),
                     head)
                   .failure);
}

TEST_F(AssertionsTest, UrlField) {
  EXPECT_FALSE(Check(*Response(kContains, {"hello\\.txt"}, "Assertion.sample_label"), Http()).failure);
  AssertionResult r = Check(*Response(kContains, {"/other"}, "Assertion.sample_label"), Http());
  EXPECT_EQ(r.message, "Test failed: URL expected to contain //other/");
}

TEST_F(AssertionsTest, UnknownFieldReadsTheUrl) {
  AssertionResult r = Check(*Response(kContains, {"nope"}, "Assertion.something_new"), Http());
  EXPECT_EQ(r.message, "Test failed: URL expected to contain /nope/");
}

TEST_F(AssertionsTest, DocumentFieldReadsTheBody) {
  AssertionResult r = Check(*Response(kContains, {"nope"}, "Assertion.response_data_as_document"), Http());
  EXPECT_EQ(r.message, "Test failed: document expected to contain /nope/");
  EXPECT_FALSE(Check(*Response(kContains, {"hel"}, "Assertion.response_data_as_document"), Http()).failure);
}

TEST_F(AssertionsTest, NonHttpSampleHasNoUrl) {
  AssertionResult r = Check(*Response(kContains, {"x"}, "Assertion.sample_label"), Body("x"));
  EXPECT_EQ(r.message, "Response was null");
}

TEST_F(AssertionsTest, VariableScopeChecksTheVariable) {
  auto a = Response(kContains, {"x"});
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("myVar");
  ctx_.vars.Put("myVar", "abc");
  AssertionResult r = Check(*a, Body("x"));
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Test failed: variable(myVar) expected to contain /x/");
}

TEST_F(AssertionsTest, VariableScopeWithAnUnsetVariableIsNull) {
  auto a = Response(kContains, {"x"});
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("unset");
  EXPECT_EQ(Check(*a, Body("x")).message, "Response was null");
}

// ---------------------------------------------------------------------------------------
// Response Assertion: invalid patterns (messages from JMeter 2.13's ORO).

struct BadPattern {
  const char* pattern;
  const char* reason;
};

class BadPatternTest : public AssertionsTest, public ::testing::WithParamInterface<BadPattern> {};

TEST_P(BadPatternTest, IsAnErrorWithOrosMessage) {
  AssertionResult r = Check(*Response(kContains, {GetParam().pattern}), Body("abc"));
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.message, std::string("Bad test configuration org.apache.oro.text.MalformedCachePatternException: "
                                   "Invalid expression: ") +
                           GetParam().pattern + "\n" + GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(Oro, BadPatternTest,
                         ::testing::Values(BadPattern{"(a", "Unmatched parentheses."},
                                           BadPattern{"a)", "Unmatched parentheses."},
                                           BadPattern{"[a", "Unmatched [] in expression."},
                                           BadPattern{"*a", "?+* follows nothing in expression"},
                                           BadPattern{"a|*", "?+* follows nothing in expression"},
                                           BadPattern{"a**", "Nested repetitions *?+ in expression"},
                                           BadPattern{"a{1,2}{3}", "Nested repetitions *?+ in expression"},
                                           BadPattern{"a{3,2}b", "Invalid interval {3,2}"},
                                           BadPattern{"[z-a]", "Invalid [] range in expression."},
                                           BadPattern{"\\", "Trailing \\ in expression."},
                                           BadPattern{"(?z)", "Sequence (?z...) not recognized"}));

TEST_F(AssertionsTest, BadPatternInMatchModeIsAnError) {
  AssertionResult r = Check(*Response(kMatch, {"(a"}), Body("abc"));
  EXPECT_TRUE(r.error);
}

TEST_F(AssertionsTest, EqualsAndSubstringNeverCompileThePattern) {
  EXPECT_FALSE(Check(*Response(kEquals, {"(a"}), Body("(a")).error);
  EXPECT_FALSE(Check(*Response(kSubstring, {"(a"}), Body("x(a")).error);
}

// ---------------------------------------------------------------------------------------
// Recording on the sample, Ignore Status and scopes (RunAssertion).

TEST_F(AssertionsTest, FailedAssertionMarksTheSampleFailed) {
  SampleResult r = Body("Hello");
  AssertionResult out = RunAssertion(*Response(kContains, {"nope"}), r, ctx_);
  EXPECT_TRUE(out.failure);
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message, "Test failed: text expected to contain /nope/");
}

TEST_F(AssertionsTest, PassingAssertionKeepsAnHttpErrorFailed) {
  SampleResult r = Http();
  r.sample.response_code = "404";
  r.sample.success = false;  // the engine fails codes outside 200-399 before assertions
  RunAssertion(*Response(kEquals, {"404"}, "Assertion.response_code"), r, ctx_);
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message, "");
}

TEST_F(AssertionsTest, IgnoreStatusMakesAnHttpErrorSuccessful) {
  SampleResult r = Http();
  r.sample.response_code = "404";
  r.sample.success = false;
  auto a = Response(kEquals, {"404"}, "Assertion.response_code");
  a->assume_success = true;
  RunAssertion(*a, r, ctx_);
  EXPECT_TRUE(r.sample.success);
}

TEST_F(AssertionsTest, IgnoreStatusStillFailsOnItsOwnTest) {
  SampleResult r = Http();
  r.sample.response_code = "404";
  r.sample.success = false;
  auto a = Response(kEquals, {"200"}, "Assertion.response_code");
  a->assume_success = true;
  RunAssertion(*a, r, ctx_);
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message,
            "Test failed: code expected to equal /\n\n****** received  : [[[404]]]\n\n"
            "****** comparison: [[[200]]]\n\n/");
}

TEST_F(AssertionsTest, TheFirstFailureMessageIsKept) {
  SampleResult r = Body("Hello");
  RunAssertion(*Response(kContains, {"first"}), r, ctx_);
  RunAssertion(*Response(kContains, {"second"}), r, ctx_);
  EXPECT_EQ(r.sample.failure_message, "Test failed: text expected to contain /first/");
}

TEST_F(AssertionsTest, IgnoreStatusInALaterAssertionClearsAnEarlierFailure) {
  // JMeter sets the sample successful before judging; the first message stays recorded.
  SampleResult r = Body("Hello");
  RunAssertion(*Response(kContains, {"first"}), r, ctx_);
  auto a = Response(kContains, {"Hello"});
  a->assume_success = true;
  RunAssertion(*a, r, ctx_);
  EXPECT_TRUE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message, "Test failed: text expected to contain /first/");
}

SampleResult WithChildren(std::string parent, std::vector<std::string> children) {
  SampleResult r = Body(std::move(parent));
  for (std::string& c : children) r.sub_results.push_back(Body(std::move(c)));
  return r;
}

TEST_F(AssertionsTest, ParentScopeIgnoresSubSamples) {
  SampleResult r = WithChildren("Hello", {"nope"});
  RunAssertion(*Response(kContains, {"Hello"}), r, ctx_);
  EXPECT_TRUE(r.sample.success);
  EXPECT_TRUE(r.sub_results[0].sample.success);
}

TEST_F(AssertionsTest, ChildrenScopeJudgesEachSubSampleAndFailsTheParent) {
  SampleResult r = WithChildren("parent has no match", {"Hello", "nope"});
  auto a = Response(kContains, {"Hello"});
  a->scope = SampleScope::kChildren;
  AssertionResult out = RunAssertion(*a, r, ctx_);
  EXPECT_TRUE(r.sub_results[0].sample.success);
  EXPECT_FALSE(r.sub_results[1].sample.success);
  EXPECT_EQ(r.sub_results[1].sample.failure_message, "Test failed: text expected to contain /Hello/");
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message, "One or more sub-samples failed");
  EXPECT_TRUE(out.failure);
  EXPECT_EQ(out.message, "One or more sub-samples failed");
  EXPECT_EQ(out.name, "Response Assertion");
}

TEST_F(AssertionsTest, ChildrenScopePassesWhenEverySubSamplePasses) {
  SampleResult r = WithChildren("parent has no match", {"Hello", "Hello again"});
  auto a = Response(kContains, {"Hello"});
  a->scope = SampleScope::kChildren;
  AssertionResult out = RunAssertion(*a, r, ctx_);
  EXPECT_FALSE(out.failure);
  EXPECT_TRUE(r.sample.success);
}

TEST_F(AssertionsTest, AllScopeReportsTheParentsOwnFailureFirst) {
  SampleResult r = WithChildren("parent has no match", {"nope"});
  auto a = Response(kContains, {"Hello"});
  a->scope = SampleScope::kAll;
  AssertionResult out = RunAssertion(*a, r, ctx_);
  EXPECT_EQ(out.message, "Test failed: text expected to contain /Hello/");
  EXPECT_EQ(r.sample.failure_message, "Test failed: text expected to contain /Hello/");
  EXPECT_FALSE(r.sub_results[0].sample.success);
}

TEST_F(AssertionsTest, AllScopeFailsAPassingParentForAFailingChild) {
  SampleResult r = WithChildren("Hello", {"nope"});
  auto a = Response(kContains, {"Hello"});
  a->scope = SampleScope::kAll;
  AssertionResult out = RunAssertion(*a, r, ctx_);
  EXPECT_EQ(out.message, "One or more sub-samples failed");
  EXPECT_FALSE(r.sample.success);
}

TEST_F(AssertionsTest, ChildrenScopeReachesFourLevelsDown) {
  // parent > 1 > 2 > 3 > 4 > 5: levels 1-4 are judged, level 5 is not.
  SampleResult r = Body("Hello");
  SampleResult* level = &r;
  for (int i = 1; i <= 5; ++i) {
    level->sub_results.push_back(Body(i == 5 ? "nope" : "Hello"));
    level = &level->sub_results[0];
  }
  auto a = Response(kContains, {"Hello"});
  a->scope = SampleScope::kChildren;
  EXPECT_FALSE(RunAssertion(*a, r, ctx_).failure);
  EXPECT_TRUE(r.sample.success);

  SampleResult* fourth = &r.sub_results[0].sub_results[0].sub_results[0].sub_results[0];
  fourth->body = "nope";
  EXPECT_TRUE(RunAssertion(*a, r, ctx_).failure);
  EXPECT_FALSE(fourth->sample.success);
  EXPECT_FALSE(r.sub_results[0].sample.success);  // each level above fails in turn
}

TEST_F(AssertionsTest, IgnoreStatusAppliesToEachJudgedSubSample) {
  SampleResult r = WithChildren("x", {"Hello"});
  r.sub_results[0].sample.success = false;
  auto a = Response(kContains, {"Hello"});
  a->assume_success = true;
  a->scope = SampleScope::kChildren;
  RunAssertion(*a, r, ctx_);
  EXPECT_TRUE(r.sub_results[0].sample.success);
  EXPECT_TRUE(r.sample.success);
}

// ---------------------------------------------------------------------------------------
// Duration Assertion.

SampleResult Took(int64_t us) {
  SampleResult r = Body("x");
  r.sample.elapsed_us = us;
  return r;
}

TEST_F(AssertionsTest, DurationWithinTheLimitPasses) {
  EXPECT_FALSE(RunDurationAssertion(*Duration("1000"), Took(1'000'999), ctx_).failure);
}

TEST_F(AssertionsTest, DurationOverTheLimitFailsWithGroupedNumbers) {
  AssertionResult r = RunDurationAssertion(*Duration("1000"), Took(1'101'000), ctx_);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message,
            "The operation lasted too long: It took 1,101 milliseconds, but should not have "
            "lasted longer than 1,000 milliseconds.");
}

TEST_F(AssertionsTest, DurationSmallNumbersAreNotGrouped) {
  AssertionResult r = RunDurationAssertion(*Duration("5"), Took(12'000), ctx_);
  EXPECT_EQ(r.message,
            "The operation lasted too long: It took 12 milliseconds, but should not have lasted "
            "longer than 5 milliseconds.");
}

TEST_F(AssertionsTest, DurationZeroEmptyOrNotANumberNeverFails) {
  EXPECT_FALSE(RunDurationAssertion(*Duration("0"), Took(5'000'000), ctx_).failure);
  EXPECT_FALSE(RunDurationAssertion(*Duration(""), Took(5'000'000), ctx_).failure);
  EXPECT_FALSE(RunDurationAssertion(*Duration("abc"), Took(5'000'000), ctx_).failure);
}

TEST_F(AssertionsTest, DurationIsTrimmedAndEvaluated) {
  ctx_.vars.Put("limit", " 10 ");
  EXPECT_TRUE(RunDurationAssertion(*Duration("${limit}"), Took(11'000), ctx_).failure);
}

TEST_F(AssertionsTest, DurationChildrenScopeJudgesSubSamples) {
  SampleResult r = Took(5'000'000);
  r.sub_results.push_back(Took(2'000'000));
  auto a = Duration("1000");
  a->scope = SampleScope::kChildren;
  AssertionResult out = RunAssertion(*a, r, ctx_);
  EXPECT_EQ(r.sub_results[0].sample.failure_message,
            "The operation lasted too long: It took 2,000 milliseconds, but should not have "
            "lasted longer than 1,000 milliseconds.");
  EXPECT_EQ(out.message, "One or more sub-samples failed");
}

// ---------------------------------------------------------------------------------------
// Size Assertion.

SampleResult Sized() {
  SampleResult r = Body(std::string(1500, 'y'));
  r.sample.bytes = 1500;
  return r;
}

TEST_F(AssertionsTest, SizeEqualFailureMessage) {
  AssertionResult r = RunSizeAssertion(*Size("1000", 1), Sized(), ctx_);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "The result was the wrong size: It was 1,500 bytes, but should have been equal to 1,000 bytes.");
}

TEST_F(AssertionsTest, SizeNotEqualFailureMessage) {
  EXPECT_EQ(RunSizeAssertion(*Size("1500", 2), Sized(), ctx_).message,
            "The result was the wrong size: It was 1,500 bytes, but should have not been equal to 1,500 bytes.");
}

TEST_F(AssertionsTest, SizeGreaterThanFailureMessage) {
  EXPECT_EQ(RunSizeAssertion(*Size("2000", 3), Sized(), ctx_).message,
            "The result was the wrong size: It was 1,500 bytes, but should have been greater than 2,000 bytes.");
}

TEST_F(AssertionsTest, SizeLessThanFailureMessage) {
  EXPECT_EQ(RunSizeAssertion(*Size("1000", 4), Sized(), ctx_).message,
            "The result was the wrong size: It was 1,500 bytes, but should have been less than 1,000 bytes.");
}

TEST_F(AssertionsTest, SizeGreaterOrEqualFailureMessage) {
  EXPECT_EQ(RunSizeAssertion(*Size("2000", 5), Sized(), ctx_).message,
            "The result was the wrong size: It was 1,500 bytes, but should have been greater or equal to 2,000 bytes.");
}

TEST_F(AssertionsTest, SizeLessOrEqualFailureMessage) {
  EXPECT_EQ(
      RunSizeAssertion(*Size("1000", 6), Sized(), ctx_).message,
      "The result was the wrong size: It was 1,500 bytes, but should have been less than or equal to 1,000 bytes.");
}

TEST_F(AssertionsTest, SizeOperatorsPassOnTheirBoundaries) {
  EXPECT_FALSE(RunSizeAssertion(*Size("1500", 1), Sized(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("1499", 2), Sized(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("1499", 3), Sized(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("1501", 4), Sized(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("1500", 5), Sized(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("1500", 6), Sized(), ctx_).failure);
}

TEST_F(AssertionsTest, SizeUnknownOperatorAlwaysFails) {
  EXPECT_EQ(RunSizeAssertion(*Size("1", 7), Sized(), ctx_).message,
            "The result was the wrong size: It was 1,500 bytes, but should have ERROR - invalid condition 1 bytes.");
}

TEST_F(AssertionsTest, SizeThatIsNotANumberIsAnError) {
  AssertionResult r = RunSizeAssertion(*Size("abc", 1), Sized(), ctx_);
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.failure);
  EXPECT_EQ(r.name, "Assertion failed! See log file.");
  EXPECT_EQ(r.message, "java.lang.NumberFormatException: For input string: \"abc\"");
}

TEST_F(AssertionsTest, SizeWithSpacesIsNotANumber) {
  EXPECT_EQ(RunSizeAssertion(*Size(" 5", 1), Sized(), ctx_).message,
            "java.lang.NumberFormatException: For input string: \" 5\"");
}

TEST_F(AssertionsTest, SizeOfTheFullResponseIsHeadersPlusBody) {
  // Http(): 64 header bytes on the wire + 5 body bytes.
  EXPECT_FALSE(RunSizeAssertion(*Size("69", 1), Http(), ctx_).failure);
}

TEST_F(AssertionsTest, SizeOfTheHeadersCountsCrLfAndTheBlankLine) {
  EXPECT_FALSE(RunSizeAssertion(*Size("64", 1, "SizeAssertion.response_headers"), Http(), ctx_).failure);
  SampleResult no_blank_line = Http();
  no_blank_line.response_headers = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n";
  EXPECT_FALSE(RunSizeAssertion(*Size("64", 1, "SizeAssertion.response_headers"), no_blank_line, ctx_).failure);
}

TEST_F(AssertionsTest, SizeOfTheBodyIsTheReceivedBodyBytes) {
  EXPECT_FALSE(RunSizeAssertion(*Size("5", 1, "SizeAssertion.response_data"), Http(), ctx_).failure);
  SampleResult gzipped = Http();
  gzipped.sample.bytes = 64 + 3;  // 3 compressed bytes on the wire, 5 after decoding
  EXPECT_FALSE(RunSizeAssertion(*Size("3", 1, "SizeAssertion.response_data"), gzipped, ctx_).failure);
}

TEST_F(AssertionsTest, SizeOfANonHttpSampleIsItsBody) {
  SampleResult r = Body("12345");
  EXPECT_FALSE(RunSizeAssertion(*Size("5", 1), r, ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("0", 1, "SizeAssertion.response_headers"), r, ctx_).failure);
}

TEST_F(AssertionsTest, SizeOfTheResponseCodeAndMessage) {
  EXPECT_FALSE(RunSizeAssertion(*Size("3", 1, "SizeAssertion.response_code"), Http(), ctx_).failure);
  EXPECT_FALSE(RunSizeAssertion(*Size("2", 1, "SizeAssertion.response_message"), Http(), ctx_).failure);
}

TEST_F(AssertionsTest, SizeOfAVariable) {
  auto a = Size("10", 4);
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("n");
  ctx_.vars.Put("n", "12345");
  EXPECT_EQ(RunSizeAssertion(*a, Sized(), ctx_).message,
            "The result was the wrong size: It was 12,345 bytes, but should have been less than 10 bytes.");
}

TEST_F(AssertionsTest, SizeOfAVariableThatIsNotANumberFails) {
  auto a = Size("10", 4);
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("n");
  ctx_.vars.Put("n", "abc");
  AssertionResult r = RunSizeAssertion(*a, Sized(), ctx_);
  EXPECT_TRUE(r.failure);
  EXPECT_EQ(r.message, "Error parsing variable name: n value: abc");
}

TEST_F(AssertionsTest, SizeOfAnUnsetVariableFails) {
  auto a = Size("10", 4);
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("unset");
  EXPECT_EQ(RunSizeAssertion(*a, Sized(), ctx_).message, "Error parsing variable name: unset value: null");
}

TEST_F(AssertionsTest, SizeNegativeNumbersAreGroupedAfterTheSign) {
  auto a = Size("0", 3);
  a->scope = SampleScope::kVariable;
  a->scope_variable = Value::Of("n");
  ctx_.vars.Put("n", "-1234567");
  EXPECT_EQ(RunSizeAssertion(*a, Sized(), ctx_).message,
            "The result was the wrong size: It was -1,234,567 bytes, but should have been greater than 0 bytes.");
}

TEST_F(AssertionsTest, SizeErrorMarksTheSampleFailed) {
  SampleResult r = Sized();
  RunAssertion(*Size("abc", 1), r, ctx_);
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.failure_message, "java.lang.NumberFormatException: For input string: \"abc\"");
}

// ---------------------------------------------------------------------------------------
// Shared pieces.

TEST_F(AssertionsTest, UnknownAssertionKindPasses) {
  SampleResult r = Body("x");
  Node other(ElementKind::kConstantTimer);
  other.name = "not an assertion";
  AssertionResult out = RunAssertion(other, r, ctx_);
  EXPECT_FALSE(out.failure);
  EXPECT_TRUE(r.sample.success);
}

TEST(ProcessorsTest, ScopedSamplesFollowJMetersOrder) {
  // parent > a > (a1 > a1x), b > b1
  SampleResult parent;
  parent.body = "parent";
  SampleResult a, a1, a1x, b, b1;
  a.body = "a";
  a1.body = "a1";
  a1x.body = "a1x";
  b.body = "b";
  b1.body = "b1";
  a1.sub_results.push_back(a1x);
  a.sub_results.push_back(a1);
  b.sub_results.push_back(b1);
  parent.sub_results = {a, b};
  std::vector<const SampleResult*> out;
  CollectScopedSamples(parent, SampleScope::kAll, &out);
  std::vector<std::string> bodies;
  for (const SampleResult* s : out) bodies.push_back(s->body);
  EXPECT_EQ(bodies, (std::vector<std::string>{"parent", "a", "b", "a1", "a1x", "b1"}));
}

TEST(ProcessorsTest, ScopedSamplesReachFiveLevelsDown) {
  SampleResult root;
  SampleResult* level = &root;
  for (int i = 1; i <= 6; ++i) {
    level->sub_results.emplace_back();
    level = &level->sub_results[0];
  }
  std::vector<const SampleResult*> out;
  CollectScopedSamples(root, SampleScope::kChildren, &out);
  EXPECT_EQ(out.size(), 5u);
}

TEST(ProcessorsTest, VariableScopeCollectsNoSamples) {
  SampleResult root;
  std::vector<const SampleResult*> out;
  CollectScopedSamples(root, SampleScope::kVariable, &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace barrage
