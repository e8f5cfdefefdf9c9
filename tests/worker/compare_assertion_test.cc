// Compare Assertion (issue 10): responses compared within one iteration, strings to skip,
// response times, JMeter's messages.
#include "worker/compare_assertion.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace barrage {
namespace {

std::unique_ptr<CompareAssertion> Assertion(bool content, int64_t time,
                                            std::vector<std::pair<std::string, std::string>> skip = {}) {
  auto a = std::make_unique<CompareAssertion>(ElementKind::kCompareAssertion);
  a->name = "cmp";
  a->compare_content = content;
  a->compare_time = time;
  for (auto& [regex, sub] : skip) a->strings_to_skip.push_back({Value::Of(regex), Value::Of(sub)});
  return a;
}

SampleResult Response(std::string body, int64_t elapsed_ms = 0) {
  SampleResult r;
  r.body = std::move(body);
  r.sample.elapsed_us = elapsed_ms * 1000;
  return r;
}

// The failure message of each response in turn ("" = passed).
std::vector<std::string> Judge(const CompareAssertion& a, const std::vector<SampleResult>& responses) {
  ThreadContext ctx;
  CompareState state;
  std::vector<std::string> out;
  for (const SampleResult& r : responses) {
    AssertionResult result = RunCompareAssertion(a, r, ctx, &state);
    EXPECT_EQ(result.name, "cmp");
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.failure, !result.message.empty());
    out.push_back(result.message);
  }
  return out;
}

TEST(CompareAssertionTest, FirstResponsePassesThenEachMustEqualThePrevious) {
  auto a = Assertion(true, -1);
  EXPECT_EQ(Judge(*a, {Response("x"), Response("x"), Response("y"), Response("y")}),
            (std::vector<std::string>{"", "", "Responses differ in content", "Responses differ in content"}));
}

TEST(CompareAssertionTest, StringsToSkipAreReplacedLiterallyBeforeComparing) {
  auto a = Assertion(true, -1, {{"id=[0-9]+", "id=$1"}, {"t[0-9]", ""}});
  EXPECT_EQ(Judge(*a, {Response("id=12 t1 end"), Response("id=7 t2 end")}), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(SubstituteAll("a1b22c", "[0-9]+", "$0#"), "a$0#b$0#c");
  EXPECT_EQ(SubstituteAll("abc", "(", "x"), "abc");  // an invalid regex changes nothing
}

TEST(CompareAssertionTest, TimesOfConsecutiveResponsesWithinTheLimit) {
  auto a = Assertion(false, 100);
  EXPECT_EQ(
      Judge(*a, {Response("a", 10), Response("b", 110), Response("c", 210), Response("d", 311), Response("e", 311)}),
      (std::vector<std::string>{"", "", "", "Responses differ in response time by more than 100 ms",
                                "Responses differ in response time by more than 100 ms"}));
}

TEST(CompareAssertionTest, TimeMessageWinsWhenBothDiffer) {
  auto a = Assertion(true, 0);
  EXPECT_EQ(Judge(*a, {Response("a", 1), Response("b", 2)}),
            (std::vector<std::string>{"", "Responses differ in response time by more than 0 ms"}));
}

TEST(CompareAssertionTest, NothingComparedPasses) {
  auto a = Assertion(false, -1);
  EXPECT_EQ(Judge(*a, {Response("a", 1), Response("b", 900)}), (std::vector<std::string>{"", ""}));
}

TEST(CompareAssertionTest, IterationOwnerIsTheEnclosingController) {
  TestPlanNode plan(ElementKind::kTestPlan);
  ThreadGroup group(ElementKind::kThreadGroup);
  group.parent = &plan;
  LoopController loop(ElementKind::kLoopController);
  loop.parent = &group;
  HttpSampler sampler(ElementKind::kHttpSampler);
  sampler.parent = &loop;
  CompareAssertion under_sampler(ElementKind::kCompareAssertion), under_group(ElementKind::kCompareAssertion),
      under_plan(ElementKind::kCompareAssertion);
  under_sampler.parent = &sampler;
  under_group.parent = &group;
  under_plan.parent = &plan;
  EXPECT_EQ(CompareIterationOwner(under_sampler), &loop);
  EXPECT_EQ(CompareIterationOwner(under_group), &group);
  EXPECT_EQ(CompareIterationOwner(under_plan), nullptr);
}

}  // namespace
}  // namespace barrage
