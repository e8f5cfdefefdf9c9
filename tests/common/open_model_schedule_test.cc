// JMeter 5.5's Open Model Thread Group schedule: the parser (steps, and JMeter's exact error
// messages) and the arrival times (EvenArrivalsRamp, PoissonArrivalsRamp with an injected
// generator).
#include "common/open_model_schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace barrage {
namespace {

using K = OpenModelStep::Kind;

std::vector<OpenModelStep> Steps(const std::string& text) {
  Result<OpenModelSchedule> s = ParseOpenModelSchedule(text);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? s->steps : std::vector<OpenModelStep>{};
}

std::string Error(const std::string& text) {
  Result<OpenModelSchedule> s = ParseOpenModelSchedule(text);
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.status().message();
}

TEST(OpenModelScheduleTest, RatesAndArrivals) {
  EXPECT_EQ(Steps("rate(1/min) random_arrivals(2 min) rate(2/sec)"),
            (std::vector<OpenModelStep>{{K::kRate, 1.0 / 60}, {K::kRandomArrivals, 120}, {K::kRate, 2}}));
  EXPECT_EQ(Steps("RATE(10 per hour) Even_Arrivals(1 h 30 m 500 ms)"),
            (std::vector<OpenModelStep>{{K::kRate, 10.0 / 3600}, {K::kEvenArrivals, 5400.5}}));
  EXPECT_EQ(Steps("rate(.5/s) even_arrivals(0) rate(2/days)"),
            (std::vector<OpenModelStep>{{K::kRate, 0.5}, {K::kEvenArrivals, 0}, {K::kRate, 2.0 / 86400}}));
}

TEST(OpenModelScheduleTest, CommentsAndPause) {
  // pause(T) after rate(10/sec): the rate drops to 0 for T, then comes back.
  EXPECT_EQ(Steps("rate(0) /* warm */ even_arrivals(10s) rate(10 per sec) // the rest\n pause(1 min 30 sec)"),
            (std::vector<OpenModelStep>{{K::kRate, 0},
                                        {K::kEvenArrivals, 10},
                                        {K::kRate, 10},
                                        {K::kRate, 10},
                                        {K::kRate, 0},
                                        {K::kEvenArrivals, 90},
                                        {K::kRate, 0},
                                        {K::kRate, 10}}));
  // Without a rate before, pause is arrivals at rate 0.
  EXPECT_EQ(Steps("pause(2 s)"), (std::vector<OpenModelStep>{{K::kEvenArrivals, 2}, {K::kRate, 0}}));
}

TEST(OpenModelScheduleTest, WholeNumberIsValidationMode) {
  EXPECT_EQ(Steps("5"),
            (std::vector<OpenModelStep>{
                {K::kRate, 5}, {K::kEvenArrivals, 1}, {K::kRate, 5}, {K::kRate, 0}, {K::kEvenArrivals, 3600}}));
}

TEST(OpenModelScheduleTest, ErrorsAreJMetersMessages) {
  EXPECT_EQ(Error("rate(5)"), "Unexpected input. Expected /, Identifier(per) got ) at position 6: ')' in 'rate(5)'");
  // JMeter moves past the unit before it complains: the position is the next token's.
  EXPECT_EQ(Error("rate(5/week)"), "Unexpected time unit week at position 11: ')' in 'rate(5/week)'");
  EXPECT_EQ(Error("rate(x/sec)"),
            "Unexpected input. Expected float number for rate got Identifier(x) at position 6: '/sec)' in "
            "'rate(x/sec)'");
  EXPECT_EQ(Error("ramp(5)"),
            "Unexpected input (expecting rate, random_arrivals, even_arrivals, or pause) at position 0: 'ramp(5)' in "
            "'ramp(5)'");
  // Past the last token the position is 0.
  EXPECT_EQ(Error("rate(1/sec) even_arrivals("),
            "Unexpected input. Expected float number for duration got null at position 0: 'rate(1/sec) even_arr' in "
            "'rate(1/sec) even_arrivals('");
  EXPECT_EQ(Error("rate(1/sec) & even"), "Unexpected input at position 12: '& even' in 'rate(1/sec) & even'");
  // A /* comment ends on its line; otherwise its / is a token and * is unexpected.
  EXPECT_EQ(Error("/* a\n*/ rate(1/s)"), "Unexpected input at position 1: '* a\n*/ rate(1/s)' in '/* a\n*/ rate(1/s)'");
}

std::vector<double> Arrivals(const std::string& text, std::vector<double> randoms = {}) {
  Result<OpenModelSchedule> s = ParseOpenModelSchedule(text);
  EXPECT_TRUE(s.ok()) << s.status().message();
  size_t next = 0;
  OpenModelArrivals gen(s.ok() ? *s : OpenModelSchedule{}, [&randoms, &next] { return randoms.at(next++); });
  std::vector<double> out;
  while (std::optional<double> t = gen.Next()) {
    out.push_back(*t);
    if (out.size() > 10000) break;
  }
  return out;
}

void ExpectTimes(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9) << "arrival " << i;
}

TEST(OpenModelArrivalsTest, EvenConstantAndRamp) {
  ExpectTimes(Arrivals("rate(2/sec) even_arrivals(2 sec) rate(2/sec)"), {0, 0.5, 1.0, 1.5});
  // 0 -> 2/s over 4 s: the n-th arrival when t^2 / 4 = n.
  ExpectTimes(Arrivals("rate(0) even_arrivals(4 sec) rate(2/sec)"), {0, 2, std::sqrt(8.0), std::sqrt(12.0)});
  // 2.5 arrivals are 2.
  ExpectTimes(Arrivals("rate(1/sec) even_arrivals(2.5 sec)"), {0, 1});
}

TEST(OpenModelArrivalsTest, StepsFollowEachOther) {
  // 2 arrivals in [0, 2), none in the pause [2, 3), one at the start of [3, 4).
  ExpectTimes(Arrivals("rate(1/sec) even_arrivals(2 sec) pause(1 sec) even_arrivals(1 sec)"), {0, 1, 3});
}

TEST(OpenModelArrivalsTest, RandomArrivalsAreDrawnThenSorted) {
  // Constant 3/s for 1 s: three uniform draws, sorted.
  ExpectTimes(Arrivals("rate(3/sec) random_arrivals(1 sec) rate(3/sec)", {0.5, 0.25, 0.75}), {0.25, 0.5, 0.75});
  // 0 -> 2/s over 2 s: 2 arrivals at sqrt(u) * 2 (increasing load), sorted.
  ExpectTimes(Arrivals("rate(0) random_arrivals(2 sec) rate(2/sec)", {0.64, 0.25}), {1.0, 1.6});
  // 2/s -> 0 over 2 s: 2 arrivals at (1 - sqrt(u)) * 2.
  ExpectTimes(Arrivals("rate(2/sec) random_arrivals(2 sec) rate(0)", {0.64, 0.25}), {0.4, 1.0});
}

}  // namespace
}  // namespace barrage
