// Counter and Random Variable. Expected strings for java.util.Random were produced by
// Java 17 with the same seeds (DecimalFormat: tests/common/java_decimal_format_test.cc).
#include "worker/config_elements.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace barrage {
namespace {

// ---------------------------------------------------------------------------------------
// java.util.Random.

std::vector<int32_t> Draw(int64_t seed, int32_t bound, int n = 8) {
  JavaRandom r(seed);
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) out.push_back(r.NextInt(bound));
  return out;
}

TEST(JavaRandomTest, SeededSequencesMatchJava) {
  using V = std::vector<int32_t>;
  EXPECT_EQ(Draw(42, 10), (V{0, 3, 8, 4, 0, 5, 5, 8}));
  EXPECT_EQ(Draw(42, 16), (V{11, 0, 10, 0, 4, 15, 4, 11}));  // power of two
  EXPECT_EQ(Draw(42, 1000), (V{130, 763, 248, 884, 970, 525, 505, 918}));
  EXPECT_EQ(Draw(42, INT32_MAX),
            (V{1562431130, 117392763, 1467211248, 102948884, 662969970, 2023087525, 595021505, 1519796918}));
  EXPECT_EQ(Draw(0, 10), (V{0, 8, 9, 7, 5, 3, 1, 1}));
  EXPECT_EQ(Draw(-7, 3), (V{1, 0, 1, 0, 0, 2, 0, 0}));
  EXPECT_EQ(Draw(123456789012345, 16), (V{10, 8, 13, 9, 14, 13, 1, 14}));
  EXPECT_EQ(Draw(42, 1), (V{0, 0, 0, 0, 0, 0, 0, 0}));
}

// ---------------------------------------------------------------------------------------
// Counter.

class ConfigElementsTest : public ::testing::Test {
 protected:
  struct User {
    ThreadContext ctx;
    ConfigUserState state;
  };
  User& NewUser() {
    users_.push_back(std::make_unique<User>());
    users_.back()->ctx.run = &run_;
    return *users_.back();
  }
  static std::string Var(User& u, const std::string& name) {
    const std::string* v = u.ctx.vars.Get(name);
    return v ? *v : "-";
  }

  std::unique_ptr<Counter> MakeCounter(const std::string& start, const std::string& end, const std::string& incr,
                                       bool per_user, const std::string& format = "") {
    auto c = std::make_unique<Counter>(ElementKind::kCounter);
    c->start = Value::Of(start);
    c->end = Value::Of(end);
    c->increment = Value::Of(incr);
    c->variable = Value::Of("c");
    c->format = Value::Of(format);
    c->per_user = per_user;
    return c;
  }
  // One iteration of `counter` for `u` in thread-group iteration `tg`; returns ${c}.
  std::string Count(const CounterRegistry& reg, const Counter& counter, User& u, int64_t tg = 1) {
    reg.IterationStart(counter, u.ctx, u.state, tg);
    return Var(u, "c");
  }

  std::unique_ptr<RandomVariable> MakeRandom(const std::string& min, const std::string& max, const std::string& seed,
                                             bool per_thread, const std::string& format = "") {
    auto r = std::make_unique<RandomVariable>(ElementKind::kRandomVariable);
    r->variable = Value::Of("r");
    r->minimum = Value::Of(min);
    r->maximum = Value::Of(max);
    r->seed = Value::Of(seed);
    r->output_format = Value::Of(format);
    r->per_thread = per_thread;
    return r;
  }
  std::string Roll(const RandomVariableRegistry& reg, const RandomVariable& rv, User& u) {
    reg.IterationStart(rv, u.ctx, u.state);
    return Var(u, "r");
  }

  RunContext run_;
  std::vector<std::unique_ptr<User>> users_;
};

TEST_F(ConfigElementsTest, GlobalCounterIsSharedAndWrapsToStartPastEnd) {
  auto c = MakeCounter("1", "3", "1", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& a = NewUser();
  User& b = NewUser();
  EXPECT_EQ(Count(reg, *c, a), "1");
  EXPECT_EQ(Count(reg, *c, b), "2");
  EXPECT_EQ(Count(reg, *c, a), "3");
  EXPECT_EQ(Count(reg, *c, b), "1");
  EXPECT_EQ(Count(reg, *c, a), "2");
}

TEST_F(ConfigElementsTest, GlobalCounterWithStepsSkipsPastEnd) {
  auto c = MakeCounter("0", "10", "4", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u), "0");
  EXPECT_EQ(Count(reg, *c, u), "4");
  EXPECT_EQ(Count(reg, *c, u), "8");
  EXPECT_EQ(Count(reg, *c, u), "0");  // 12 > 10
}

TEST_F(ConfigElementsTest, EmptyEndMeansNoLimitAndEmptyValuesAreZero) {
  auto c = MakeCounter("", "", "", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u), "0");
  EXPECT_EQ(Count(reg, *c, u), "0");  // increment "" = 0
  auto up = MakeCounter("9223372036854775806", "", "1", false);
  reg.Add(*up);
  EXPECT_EQ(Count(reg, *up, u), "9223372036854775806");
  EXPECT_EQ(Count(reg, *up, u), "9223372036854775807");
}

TEST_F(ConfigElementsTest, EndThatIsNotANumberIsZero) {
  // getPropertyAsLong("abc") = 0 and only "" means Long.MAX_VALUE: every value is start.
  auto c = MakeCounter("1", "abc", "1", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u), "1");
  EXPECT_EQ(Count(reg, *c, u), "1");
}

TEST_F(ConfigElementsTest, NumbersAreTrimmedAsJMeterPropertiesAre) {
  auto c = MakeCounter(" 5 ", " 7", "2 ", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u), "5");
  EXPECT_EQ(Count(reg, *c, u), "7");
  EXPECT_EQ(Count(reg, *c, u), "5");
}

TEST_F(ConfigElementsTest, NegativeIncrementCountsDown) {
  auto c = MakeCounter("10", "", "-5", false);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u), "10");
  EXPECT_EQ(Count(reg, *c, u), "5");
  EXPECT_EQ(Count(reg, *c, u), "0");
  EXPECT_EQ(Count(reg, *c, u), "-5");
}

TEST_F(ConfigElementsTest, CounterFormats) {
  auto padded = MakeCounter("1", "", "1", false, "000");
  auto grouped = MakeCounter("999", "", "1", true, "#,##0");
  auto invalid = MakeCounter("7", "", "1", false, "0#");
  CounterRegistry reg;
  reg.Add(*padded);
  reg.Add(*grouped);
  reg.Add(*invalid);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *padded, u), "001");
  EXPECT_EQ(Count(reg, *padded, u), "002");
  EXPECT_EQ(Count(reg, *grouped, u), "999");
  EXPECT_EQ(Count(reg, *grouped, u), "1,000");
  EXPECT_EQ(Count(reg, *invalid, u), "7");
}

TEST_F(ConfigElementsTest, PerUserCountersAreIndependent) {
  auto c = MakeCounter("1", "", "1", true);
  CounterRegistry reg;
  reg.Add(*c);
  User& a = NewUser();
  User& b = NewUser();
  EXPECT_EQ(Count(reg, *c, a), "1");
  EXPECT_EQ(Count(reg, *c, a), "2");
  EXPECT_EQ(Count(reg, *c, b), "1");
  EXPECT_EQ(Count(reg, *c, a), "3");
  EXPECT_EQ(Count(reg, *c, b), "2");
}

TEST_F(ConfigElementsTest, PerUserCounterWrapsAfterEnd) {
  auto c = MakeCounter("1", "3", "1", true);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(Count(reg, *c, u));
  EXPECT_EQ(got, (std::vector<std::string>{"1", "2", "3", "1", "2"}));
}

TEST_F(ConfigElementsTest, PerUserCounterResetsOnEachThreadGroupIteration) {
  auto c = MakeCounter("1", "", "1", true);
  c->reset_on_thread_group_iteration = true;
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  // A counter inside a Loop Controller: three loops per thread-group iteration.
  EXPECT_EQ(Count(reg, *c, u, 1), "1");
  EXPECT_EQ(Count(reg, *c, u, 1), "2");
  EXPECT_EQ(Count(reg, *c, u, 1), "3");
  EXPECT_EQ(Count(reg, *c, u, 2), "1");
  EXPECT_EQ(Count(reg, *c, u, 2), "2");
  EXPECT_EQ(Count(reg, *c, u, 3), "1");
}

TEST_F(ConfigElementsTest, WithoutResetPerUserCounterKeepsCountingAcrossIterations) {
  auto c = MakeCounter("1", "", "1", true);
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *c, u, 1), "1");
  EXPECT_EQ(Count(reg, *c, u, 2), "2");
  EXPECT_EQ(Count(reg, *c, u, 3), "3");
}

TEST_F(ConfigElementsTest, CounterValuesAreEvaluatedForTheUser) {
  auto c = MakeCounter("${first}", "", "${step}", true);
  c->variable = Value::Of("${name}");
  CounterRegistry reg;
  reg.Add(*c);
  User& u = NewUser();
  u.ctx.vars.Put("first", "100");
  u.ctx.vars.Put("step", "10");
  u.ctx.vars.Put("name", "n");
  reg.IterationStart(*c, u.ctx, u.state, 1);
  reg.IterationStart(*c, u.ctx, u.state, 1);
  EXPECT_EQ(Var(u, "n"), "110");
}

TEST_F(ConfigElementsTest, GlobalCounterGivesDistinctValuesUnderConcurrency) {
  constexpr int kThreads = 8, kPerThread = 2000;
  auto c = MakeCounter("1", "", "1", false);
  CounterRegistry reg;
  reg.Add(*c);
  std::vector<std::vector<int64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadContext ctx;
      ctx.run = &run_;
      ConfigUserState state;
      for (int i = 0; i < kPerThread; ++i) {
        reg.IterationStart(*c, ctx, state, 1);
        seen[t].push_back(std::stoll(*ctx.vars.Get("c")));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int64_t> all;
  for (const auto& s : seen) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int64_t>(i) + 1);
}

TEST_F(ConfigElementsTest, RegistryFromPlanFindsCountersEverywhere) {
  Plan plan;
  plan.root = std::make_unique<TestPlanNode>(ElementKind::kTestPlan);
  auto group = std::make_unique<ThreadGroup>(ElementKind::kThreadGroup);
  auto loop = std::make_unique<LoopController>(ElementKind::kLoopController);
  auto counter = MakeCounter("5", "", "1", false);
  const Counter* raw = counter.get();
  loop->elements.push_back(std::move(counter));
  group->children.push_back(std::move(loop));
  plan.root->children.push_back(std::move(group));
  CounterRegistry reg(plan);
  User& u = NewUser();
  EXPECT_EQ(Count(reg, *raw, u), "5");
}

// ---------------------------------------------------------------------------------------
// Random Variable.

TEST_F(ConfigElementsTest, SeededGlobalRandomGivesJavasSequenceAcrossUsers) {
  auto r = MakeRandom("1", "10", "42", false);
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& a = NewUser();
  User& b = NewUser();
  // new Random(42).nextInt(10): 0 3 8 4 ...
  EXPECT_EQ(Roll(reg, *r, a), "1");
  EXPECT_EQ(Roll(reg, *r, b), "4");
  EXPECT_EQ(Roll(reg, *r, a), "9");
  EXPECT_EQ(Roll(reg, *r, b), "5");
}

TEST_F(ConfigElementsTest, SeededPerThreadRandomRepeatsTheSequenceForEachUser) {
  auto r = MakeRandom("0", "999", "42", true);
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& a = NewUser();
  User& b = NewUser();
  EXPECT_EQ(Roll(reg, *r, a), "130");
  EXPECT_EQ(Roll(reg, *r, a), "763");
  EXPECT_EQ(Roll(reg, *r, b), "130");
  EXPECT_EQ(Roll(reg, *r, a), "248");
  EXPECT_EQ(Roll(reg, *r, b), "763");
}

TEST_F(ConfigElementsTest, RandomOutputFormat) {
  auto r = MakeRandom("10", "10", "", false, "000.00");  // JMeter's own test
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& u = NewUser();
  EXPECT_EQ(Roll(reg, *r, u), "010.00");
}

TEST_F(ConfigElementsTest, MaximumBelowMinimumSetsNothing) {
  auto r = MakeRandom("10", "0", "1", false);
  auto no_max = MakeRandom("1", "", "1", true);  // the element's defaults
  RandomVariableRegistry reg;
  reg.Add(*r);
  reg.Add(*no_max);
  User& u = NewUser();
  EXPECT_EQ(Roll(reg, *r, u), "-");
  EXPECT_EQ(Roll(reg, *no_max, u), "-");
}

TEST_F(ConfigElementsTest, RangeWiderThanAnIntIsCutToIntegerMaxValue) {
  auto r = MakeRandom("0", "9223372036854775807", "42", false);
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& u = NewUser();
  EXPECT_EQ(Roll(reg, *r, u), "1562431130");  // new Random(42).nextInt(Integer.MAX_VALUE)
  EXPECT_EQ(Roll(reg, *r, u), "117392763");
}

TEST_F(ConfigElementsTest, SeedThatIsNotALongMeansUnseeded) {
  auto r = MakeRandom("1", "6", "abcd", false);
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& u = NewUser();
  std::set<std::string> values;
  for (int i = 0; i < 600; ++i) values.insert(Roll(reg, *r, u));
  EXPECT_EQ(values, (std::set<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST_F(ConfigElementsTest, UnseededPerThreadRandomFollowsTheUsersGenerator) {
  auto r = MakeRandom("-50", "50", "", true);
  RandomVariableRegistry reg;
  reg.Add(*r);
  User& a = NewUser();
  User& b = NewUser();
  a.ctx.rng.seed(7);
  b.ctx.rng.seed(7);
  for (int i = 0; i < 100; ++i) {
    std::string va = Roll(reg, *r, a);
    EXPECT_EQ(va, Roll(reg, *r, b));
    int64_t v = std::stoll(va);
    EXPECT_GE(v, -50);
    EXPECT_LE(v, 50);
  }
}

TEST_F(ConfigElementsTest, RegistryFromPlanFindsRandomVariables) {
  Plan plan;
  plan.root = std::make_unique<TestPlanNode>(ElementKind::kTestPlan);
  auto random = MakeRandom("3", "3", "", false);
  const RandomVariable* raw = random.get();
  plan.root->elements.push_back(std::move(random));
  RandomVariableRegistry reg(plan);
  User& u = NewUser();
  EXPECT_EQ(Roll(reg, *raw, u), "3");
}

}  // namespace
}  // namespace barrage
