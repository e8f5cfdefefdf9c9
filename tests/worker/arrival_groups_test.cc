// Dynamic thread groups (issue 12): the bzm Concurrency, Arrivals and Free-Form Arrivals
// Thread Groups' schedules as pure functions (exact values from the plugins' formulas), then
// compiled plans run by the engine with Dummy Samplers.
#include "worker/arrival_groups.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "tests/fixture/dns_responder.h"
#include "tests/worker/engine_test_plan.h"
#include "worker/config_elements.h"
#include "worker/user_reclaim.h"

namespace barrage {
namespace {

using engine_test::Bool;
using engine_test::El;
using engine_test::Str;

std::vector<double> Offsets(ArrivalClock clock, size_t max = 1000) {
  std::vector<double> out;
  while (out.size() < max) {
    std::optional<double> t = clock.Next();
    if (!t) break;
    out.push_back(*t);
  }
  return out;
}

void ExpectOffsets(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "arrival " << i;
}

TEST(PlannedConcurrencyTest, StepsRoundLikeJava) {
  // The corpus' CTG.02: TargetLevel 3, RampUp 100, Steps 2, Hold empty (0): steps of 1.5
  // users every 50 s, Math.round'ed.
  DynamicShape s{3, 100, 0, 2};
  EXPECT_EQ(PlannedConcurrency(s, 0), 2);
  EXPECT_EQ(PlannedConcurrency(s, 49.999), 2);
  EXPECT_EQ(PlannedConcurrency(s, 50), 3);
  EXPECT_EQ(PlannedConcurrency(s, 99.9), 3);
  EXPECT_EQ(PlannedConcurrency(s, 100), -1);  // ramp-up + hold passed
}

TEST(PlannedConcurrencyTest, LinearRampThenHold) {
  DynamicShape s{10, 10, 5, 0};
  EXPECT_EQ(PlannedConcurrency(s, 0), 0);
  EXPECT_EQ(PlannedConcurrency(s, 2.5), 3);  // round(2.5)
  EXPECT_EQ(PlannedConcurrency(s, 2.4), 2);
  EXPECT_EQ(PlannedConcurrency(s, 10), 10);
  EXPECT_EQ(PlannedConcurrency(s, 14.99), 10);
  EXPECT_EQ(PlannedConcurrency(s, 15), -1);
}

TEST(PlannedConcurrencyTest, NoRampUp) {
  DynamicShape s{4, 0, 1, 0};
  EXPECT_EQ(PlannedConcurrency(s, 0), 4);
  EXPECT_EQ(PlannedConcurrency(s, 0.999), 4);
  EXPECT_EQ(PlannedConcurrency(s, 1), -1);
}

TEST(ArrivalClockTest, ConstantRate) {
  // 20 arrivals per second held 1 s: every 50 ms from 0, the 21st would be at 1 s.
  DynamicShape s{20, 0, 1, 0};
  std::vector<double> want;
  for (int i = 0; i < 20; ++i) want.push_back(50.0 * i);
  ExpectOffsets(Offsets(ArrivalClock([s](double t, int64_t n) { return ArrivalsRate(s, t, n); })), want);
}

TEST(ArrivalClockTest, StepsAndTheStepAtTheEndOfTheRamp) {
  // 4/s in 2 steps over 2 s, held 1 s: 2/s, then 4/s; at exactly 2 s the plugin's step
  // formula still applies (offset > rampUp is false) and gives a third step, 6/s.
  DynamicShape s{4, 2, 1, 2};
  ExpectOffsets(Offsets(ArrivalClock([s](double t, int64_t n) { return ArrivalsRate(s, t, n); })),
                {0, 500, 1000, 1250, 1500, 1750, 2000, 2000 + 1000.0 / 6, 2000 + 1000.0 / 6 + 250,
                 2000 + 1000.0 / 6 + 500, 2000 + 1000.0 / 6 + 750});
}

TEST(ArrivalClockTest, LinearRampStartsAfterTheRamp) {
  // The plugin's linear ramp: slope * sqrt(2 * arrivals / slope) is 0 before the first
  // arrival, so the rolling time moves 200 ms on until the ramp-up is over (offset > 1 s).
  DynamicShape s{10, 1, 1, 0};
  EXPECT_EQ(ArrivalsRate(s, 0.5, 0), 0);
  EXPECT_NEAR(ArrivalsRate(s, 0.5, 5), 10, 1e-9);  // sqrt(2 * 5 / 10) * 10
  ExpectOffsets(Offsets(ArrivalClock([s](double t, int64_t n) { return ArrivalsRate(s, t, n); })),
                {1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900});
}

TEST(ArrivalClockTest, MinutesAreFactoredBeforehand) {
  // TargetLevel 120 per minute = 2/s.
  DynamicShape s{120 / 60.0, 0, 2, 0};
  ExpectOffsets(Offsets(ArrivalClock([s](double t, int64_t n) { return ArrivalsRate(s, t, n); })),
                {0, 500, 1000, 1500});
}

TEST(FreeFormRateTest, RowsInterpolateAndAddUpInAnInt) {
  std::vector<FreeFormRow> rows{{0, 10, 2}, {5, 5, 1.5}};
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 0), 0);
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 1), 5);
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 2), 10);
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 2.5), 5);
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 3), 5);
  // 2 + 1.5 is kept as 3 (int offset += double): the schedule ends at 3 s, not 3.5 s.
  EXPECT_DOUBLE_EQ(FreeFormRate(rows, 3.2), -1);
}

TEST(FreeFormRateTest, ClockIncludesTheRowsEnd) {
  // 2/s for 1 s: arrivals at 0 and 500 ms, and at 1 s too (timeProgress <= offset).
  std::vector<FreeFormRow> rows{{2, 2, 1}};
  ExpectOffsets(Offsets(ArrivalClock([rows](double t, int64_t) { return FreeFormRate(rows, t); })), {0, 500, 1000});
}

// ---- Compiled plans ----

const char kConcurrency[] = "com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup";
const char kArrivals[] = "com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup";
const char kFreeForm[] = "com.blazemeter.jmeter.threads.arrivals.FreeFormArrivalsThreadGroup";

std::string Dummy(const std::string& name, int ms) {
  return El("kg.apc.jmeter.samplers.DummySampler", name,
            "<boolProp name=\"SUCCESFULL\">true</boolProp><boolProp name=\"WAITING\">true</boolProp>" +
                Str("RESPONSE_TIME", std::to_string(ms)) + Str("RESPONSE_CODE", "200"));
}
std::string Arrivals(const std::string& props, const std::string& children) {
  return El(kArrivals, "atg",
            "<elementProp name=\"ThreadGroup.main_controller\" "
            "elementType=\"com.blazemeter.jmeter.control.VirtualUserController\"/>" +
                props,
            children);
}

std::vector<std::string> Messages(const CompiledPlan& c, Problem::Severity severity) {
  std::vector<std::string> out;
  for (const Problem& p : c.plan.problems) {
    if (p.severity == severity) out.push_back(p.message);
  }
  return out;
}

CompiledPlan Compile(const std::string& body) {
  Result<HashTree> tree = ParseJmx(engine_test::PlanXml(body), "t.jmx");
  EXPECT_TRUE(tree.ok());
  return CompilePlan(std::move(tree).value());
}

TEST(ArrivalGroupsCompileTest, ReadsTheProperties) {
  CompiledPlan c = Compile(Arrivals(Str("TargetLevel", "20") + Str("RampUp", "1.5") + Str("Steps", "3") +
                                        Str("Hold", "${h}") + Str("Iterations", "7") + Str("ConcurrencyLimit", "4") +
                                        Str("Unit", "M") + Str("LogFilename", "a.log"),
                                    Dummy("d", 0)));
  ASSERT_TRUE(c.plan.runnable());
  ASSERT_EQ(c.plan.thread_groups().size(), 1u);
  const auto& g = static_cast<const DynamicThreadGroup&>(*c.plan.thread_groups()[0]);
  EXPECT_EQ(g.kind, ElementKind::kArrivalsThreadGroup);
  EXPECT_EQ(KindName(g.kind), std::string("bzm_arrivals_thread_group"));
  EXPECT_EQ(g.target_level.text, "20");
  EXPECT_EQ(g.ramp_up.text, "1.5");
  EXPECT_EQ(g.steps.text, "3");
  EXPECT_EQ(g.hold.text, "${h}");
  EXPECT_EQ(g.iterations.text, "7");
  EXPECT_EQ(g.concurrency_limit.text, "4");
  EXPECT_TRUE(g.minutes);
  EXPECT_EQ(g.group_number, 1);
  EXPECT_EQ(Messages(c, Problem::Severity::kWarning),
            std::vector<std::string>{"com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup 'atg': LogFilename is "
                                     "ignored (Barrage writes no arrivals log)"});
}

TEST(ArrivalGroupsCompileTest, BadNumbersAreErrors) {
  CompiledPlan c = Compile(Arrivals(Str("TargetLevel", "x") + Str("RampUp", "1s"), Dummy("d", 0)));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(
      Messages(c, Problem::Severity::kError),
      (std::vector<std::string>{
          "com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup 'atg': TargetLevel 'x' is not a whole number",
          "com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup 'atg': RampUp '1s' is not a number"}));
}

TEST(ArrivalGroupsCompileTest, FreeFormSchedule) {
  CompiledPlan c = Compile(El(kFreeForm, "ff",
                              "<collectionProp name=\"Schedule\"><collectionProp name=\"1\">" + Str("0", "1") +
                                  Str("1", "5") + Str("2", "10") + "</collectionProp></collectionProp>",
                              Dummy("d", 0)));
  ASSERT_TRUE(c.plan.runnable());
  const auto& g = static_cast<const DynamicThreadGroup&>(*c.plan.thread_groups()[0]);
  ASSERT_EQ(g.schedule.size(), 1u);
  EXPECT_EQ(g.schedule[0].start.text, "1");
  EXPECT_EQ(g.schedule[0].end.text, "5");
  EXPECT_EQ(g.schedule[0].duration.text, "10");
}

TEST(ArrivalGroupsCompileTest, CorpusPlanGroupsCompile) {
  Result<HashTree> tree =
      ParseJmxFile(std::string(BARRAGE_SHARED_DIR) + "/jmx-corpus/Blazemeter__taurus__threadgroups.jmx");
  if (!tree.ok()) GTEST_SKIP() << "corpus not here: " << tree.status().message();
  CompiledPlan c = CompilePlan(std::move(tree).value());
  std::vector<ElementKind> kinds;
  for (const ThreadGroup* g : c.plan.thread_groups()) kinds.push_back(g->kind);
  EXPECT_EQ(kinds, (std::vector<ElementKind>{ElementKind::kThreadGroup, ElementKind::kConcurrencyThreadGroup,
                                             ElementKind::kSteppingThreadGroup, ElementKind::kUltimateThreadGroup,
                                             ElementKind::kArrivalsThreadGroup}));
}

class ArrivalGroupsRunTest : public engine_test::EngineRunFixture {};

std::map<std::string, int> PerThread(const std::vector<Sample>& samples) {
  std::map<std::string, int> n;
  for (const Sample& s : samples) ++n[s.thread_name];
  return n;
}

TEST_F(ArrivalGroupsRunTest, TwentyArrivalsASecondForOneSecond) {
  // Instant samples: one user per loop serves every arrival (parked between them).
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "20") + Str("RampUp", "0") + Str("Hold", "1"), Dummy("d", 0)), 2);
  EXPECT_EQ(samples.size(), 20u);
  EXPECT_EQ(PerThread(samples).size(), 2u);
  EXPECT_EQ(counters_.late_arrivals, 0);
  EXPECT_EQ(counters_.started_threads, 2);
  EXPECT_EQ(counters_.finished_threads, 2);
}

TEST_F(ArrivalGroupsRunTest, ConcurrencyLimitDropsArrivals) {
  // 10 arrivals a second for 1 s (every 100 ms), one user at most, 250 ms samples: arrivals
  // at 0, 300, 600 and 900 ms run (each 50 ms clear of the sample before); the 6 others
  // are dropped and counted.
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "10") + Str("RampUp", "0") + Str("Hold", "1") + Str("ConcurrencyLimit", "1"),
                   Dummy("d", 250)),
          1);
  EXPECT_EQ(samples.size(), 4u);
  EXPECT_EQ(counters_.late_arrivals, 6);
  EXPECT_EQ(PerThread(samples).size(), 1u);
}

// The worker's max_vus (issue 14) holds a group without a ConcurrencyLimit under it, as a
// ConcurrencyLimit would: the same run as above, the same arrivals dropped.
TEST_F(ArrivalGroupsRunTest, TheWorkersMaxVusHoldsADynamicGroupUnderIt) {
  max_vus_ = 1;
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "10") + Str("RampUp", "0") + Str("Hold", "1"), Dummy("d", 250)), 1);
  EXPECT_EQ(samples.size(), 4u);
  EXPECT_EQ(counters_.late_arrivals, 6);
  EXPECT_EQ(PerThread(samples).size(), 1u);
}

TEST_F(ArrivalGroupsRunTest, SamplesRecordHowLateTheyStartedAfterTheirArrival) {
  // A 100 ms Constant Timer before each sample: every sample starts at least 100 ms after
  // its arrival (VirtualUser::NoteIntendedStart).
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "10") + Str("Hold", "1"),
                   El("kg.apc.jmeter.samplers.DummySampler", "d",
                      "<boolProp name=\"SUCCESFULL\">true</boolProp>" + Str("RESPONSE_TIME", "0"),
                      El("ConstantTimer", "wait", Str("ConstantTimer.delay", "100")))),
          1);
  ASSERT_EQ(samples.size(), 10u);
  for (const Sample& s : samples) {
    EXPECT_GE(s.schedule_lag_us, 100'000) << s.thread_name;
    EXPECT_LT(s.schedule_lag_us, 5'000'000) << s.thread_name;
  }
}

TEST_F(ArrivalGroupsRunTest, IterationsLimitMakesNewUsers) {
  // Each user serves 2 arrivals, then a new one takes over.
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "10") + Str("Hold", "1") + Str("Iterations", "2"), Dummy("d", 0)), 1);
  EXPECT_EQ(samples.size(), 10u);
  std::map<std::string, int> per_thread = PerThread(samples);
  EXPECT_EQ(per_thread.size(), 5u);
  for (const auto& [name, n] : per_thread) EXPECT_EQ(n, 2) << name;
  EXPECT_EQ(per_thread.begin()->first, "atg 1-1");
}

TEST_F(ArrivalGroupsRunTest, FreeFormRows) {
  // 3 per second for 1 s: arrivals at 0, 333.3, 666.7 and 1000 ms (the row's end is in).
  std::vector<Sample> samples = Run(El(kFreeForm, "ff",
                                       "<collectionProp name=\"Schedule\"><collectionProp name=\"1\">" + Str("0", "3") +
                                           Str("1", "3") + Str("2", "1") + "</collectionProp></collectionProp>",
                                       Dummy("d", 0)),
                                    1);
  EXPECT_EQ(samples.size(), 4u);
}

TEST_F(ArrivalGroupsRunTest, StopEndsAWaitingSchedule) {
  // One arrival a minute, held an hour: the run's 300 ms limit ends it, idle user included.
  std::vector<Sample> samples =
      Run(Arrivals(Str("TargetLevel", "1") + Str("Unit", "M") + Str("Hold", "60"), Dummy("d", 0)), 2, 300);
  EXPECT_EQ(samples.size(), 1u);
  EXPECT_LT(ran_ms_, 5000);
  EXPECT_EQ(counters_.finished_threads, counters_.started_threads);
}

TEST_F(ArrivalGroupsRunTest, ConcurrencyKeepsTheLevelAndReplacesUsers) {
  // 2 users for 1 s, each ending after 2 iterations of 100 ms: about 5 users per slot, each
  // with 2 samples but the last ones (stopped after their iteration once the hold ended).
  std::vector<Sample> samples = Run(
      El(kConcurrency, "ctg",
         Str("TargetLevel", "2") + Str("RampUp", "0") + Str("Hold", "1") + Str("Iterations", "2") + Str("Unit", "S"),
         Dummy("d", 100)),
      2);
  std::map<std::string, int> per_thread = PerThread(samples);
  int short_lived = 0;
  for (const auto& [name, n] : per_thread) {
    EXPECT_LE(n, 2) << name;
    if (n < 2) ++short_lived;
  }
  EXPECT_LE(short_lived, 2);
  EXPECT_GE(per_thread.size(), 8u);
  EXPECT_LE(per_thread.size(), 12u);
  EXPECT_EQ(counters_.finished_threads, counters_.started_threads);
}

std::string OpenModel(const std::string& schedule, const std::string& seed = "0",
                      const std::string& children = Dummy("d", 0)) {
  return El("OpenModelThreadGroup", "om",
            Str("OpenModelThreadGroup.schedule", schedule) + Str("OpenModelThreadGroup.random_seed", seed), children);
}

TEST(ArrivalGroupsCompileTest, OpenModelScheduleErrorsNameTheElement) {
  CompiledPlan c = Compile(OpenModel("rate(5)"));
  EXPECT_FALSE(c.plan.runnable());
  EXPECT_EQ(Messages(c, Problem::Severity::kError),
            std::vector<std::string>{"OpenModelThreadGroup 'om': OpenModelThreadGroup.schedule: Unexpected input. "
                                     "Expected /, Identifier(per) got ) at position 6: ')' in 'rate(5)'"});
  EXPECT_EQ(KindName(ElementKind::kOpenModelThreadGroup), std::string("open_model_thread_group"));
}

TEST_F(ArrivalGroupsRunTest, OpenModelEachArrivalIsANewUser) {
  std::vector<Sample> samples = Run(OpenModel("rate(20/sec) even_arrivals(1 sec) rate(20/sec)"), 2);
  EXPECT_EQ(samples.size(), 20u);
  EXPECT_EQ(PerThread(samples).size(), 20u);
  EXPECT_EQ(counters_.started_threads, 20);
  EXPECT_EQ(counters_.finished_threads, 20);
}

TEST_F(ArrivalGroupsRunTest, OpenModelGroupLastsTillTheScheduleEnds) {
  // Arrivals at 0 and 100 ms, then a 500 ms pause the group waits for.
  std::vector<Sample> samples = Run(OpenModel("rate(10/sec) even_arrivals(200 ms) pause(500 ms)"), 1);
  EXPECT_EQ(samples.size(), 2u);
  EXPECT_GE(ran_ms_, 690);
}

// Dynamic groups free the users that ended (issue 12, worker/user_reclaim.h): a loop holds
// about a batch plus its live users, not one user object per arrival.
constexpr auto kBatch = static_cast<int64_t>(kReclaimBatch);

TEST_F(ArrivalGroupsRunTest, OpenModelFreesTheUsersThatEnded) {
  // 600 arrivals on one loop, a new user each, ending after its instant sample: no user is
  // live for long, so the ended ones are freed whenever a batch of them is reached.
  std::vector<Sample> samples = Run(OpenModel("rate(200/sec) even_arrivals(3 sec) pause(500 ms)"), 1);
  EXPECT_EQ(samples.size(), 600u);
  EXPECT_EQ(PerThread(samples).size(), 600u);
  EXPECT_EQ(counters_.started_threads, 600);
  EXPECT_EQ(counters_.finished_threads, 600);
  EXPECT_GT(counters_.freed_users, 600 - kBatch);  // fewer than a batch left for the run's end
  EXPECT_LE(counters_.peak_user_objects, 2 * kBatch);
}

TEST_F(ArrivalGroupsRunTest, ConcurrencyFreesTheUsersItReplaces) {
  // 2 users at a time for 1 s, each ending after one 1 ms iteration and replaced at once:
  // hundreds of users, 2 of them live at any time.
  std::vector<Sample> samples = Run(
      El(kConcurrency, "ctg",
         Str("TargetLevel", "2") + Str("RampUp", "0") + Str("Hold", "1") + Str("Iterations", "1") + Str("Unit", "S"),
         Dummy("d", 1)),
      1);
  const auto users = static_cast<int64_t>(PerThread(samples).size());
  EXPECT_GE(users, 4 * kBatch);
  EXPECT_EQ(counters_.started_threads, users);
  EXPECT_EQ(counters_.finished_threads, users);
  EXPECT_GT(counters_.freed_users, users - kBatch);
  EXPECT_LE(counters_.peak_user_objects, 2 * kBatch + 2);
}

// A loopback port where nothing listens: bound, not listening, so connections are refused.
class RefusedPort {
 public:
  RefusedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "cannot bind a loopback port: " << strerror(errno);
      return;
    }
    port_ = ntohs(a.sin_port);
  }
  ~RefusedPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string Http(const std::string& name, const std::string& domain, int port) {
  return El(
      "HTTPSamplerProxy", name,
      Str("HTTPSampler.domain", domain) + Str("HTTPSampler.port", std::to_string(port)) + Str("HTTPSampler.path", "/"));
}

TEST_F(ArrivalGroupsRunTest, OpenModelFreesUsersWhoseTimersAreStillQueued) {
  // Each arrival waits a 2 ms Constant Timer, then a Parallel Controller runs two branches:
  // a 5 ms Dummy Sampler and a request refused at once. The request arms its branch's
  // watchdog for the group's scheduled end plus the stop timeout (2.5 s + 5 s), still queued
  // when the user ends: freeing the user takes it out of the loop's timers (under ASan, a
  // timer left behind would be a use after free when it fires; here it would be counted).
  RefusedPort refused;
  const std::string children =
      El("ConstantTimer", "wait", Str("ConstantTimer.delay", "2")) +
      El("com.blazemeter.jmeter.controller.ParallelSampler", "par", Bool("PARENT_SAMPLE", true),
         Dummy("d", 5) + Http("refused", "127.0.0.1", refused.port()));
  std::vector<Sample> samples = Run(OpenModel("rate(100/sec) even_arrivals(2 sec) pause(500 ms)", "0", children), 1);
  ASSERT_EQ(samples.size(), 200u);
  for (const Sample& s : samples) {
    EXPECT_EQ(s.label, "par");
    EXPECT_FALSE(s.success);  // the refused branch
  }
  EXPECT_EQ(counters_.finished_threads, 200);
  EXPECT_GT(counters_.freed_users, 200 - kBatch);
  EXPECT_LE(counters_.peak_user_objects, 2 * kBatch);
  // What is left queued after the run: the watchdogs of the users not freed (one each), not
  // those of the 200.
  EXPECT_EQ(static_cast<int64_t>(pending_timers_), 200 - counters_.freed_users);
}

TEST_F(ArrivalGroupsRunTest, TimersOfFreedUsersNeverFire) {
  // Requests refused at once with a 300 ms response timeout: each arms its user's watchdog
  // 300 ms on, and the user ends before it fires. A static user keeps the loop running 1 s
  // past the last of them, so a watchdog of a freed user left queued would fire on freed
  // memory (which ASan reports).
  RefusedPort refused;
  const std::string request =
      El("HTTPSamplerProxy", "refused",
         Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(refused.port())) +
             Str("HTTPSampler.path", "/") + Str("HTTPSampler.response_timeout", "300"));
  std::vector<Sample> samples = Run(engine_test::Group("keep", 1, 1, engine_test::Dummy("hold", "", "", 2000)) +
                                        OpenModel("rate(200/sec) even_arrivals(1 sec) pause(100 ms)", "0", request),
                                    1);
  EXPECT_EQ(engine_test::Of(samples, "refused").size(), 200u);
  EXPECT_EQ(counters_.finished_threads, 201);
  EXPECT_GT(counters_.freed_users, 200 - kBatch);
  EXPECT_EQ(pending_timers_, 0u);  // the others' watchdogs fired (and did nothing)
}

TEST_F(ArrivalGroupsRunTest, UsersStoppedWhileWaitingForALockAreFreed) {
  // 400 arrivals a second on two loops, each taking one lock for a 20 ms sample: at most 50
  // a second get it, the others queue in kWaitingLock (locks are handed over across loops,
  // through `granted`). The graceful stop at 600 ms ends the queued users, which are freed
  // with whatever was handed to them meanwhile (ASan checks).
  const std::string cs =
      El("CriticalSectionController", "cs", Str("CriticalSectionController.lockName", "L"), Dummy("d", 20));
  std::vector<Sample> samples = Run(OpenModel("rate(400/sec) even_arrivals(2 sec) pause(1 sec)", "0", cs), 2,
                                    /*max_ms=*/600);
  EXPECT_GE(counters_.started_threads, 200);
  EXPECT_EQ(counters_.finished_threads, counters_.started_threads);
  EXPECT_LE(static_cast<int64_t>(samples.size()), 600 / 20 + 2);  // one holder at a time
  EXPECT_GT(counters_.freed_users, counters_.started_threads - 2 * kBatch);
}

TEST_F(ArrivalGroupsRunTest, UsersStoppedWhileTheirHostIsLookedUpAreFreed) {
  // 80 arrivals in 400 ms whose requests wait for a DNS server that never answers; the
  // run's graceful stop at 500 ms ends them in kResolving and they are freed at once. A
  // static user's 8 s sample keeps the loop running past c-ares' timeouts (2 s, then 4 s),
  // whose callbacks must not reach the freed users (DnsResolver::Cancel; ASan checks).
  fixture::DnsResponderOptions options;
  options.names.push_back({"slow.test", {}, /*silent=*/true});
  auto dns = fixture::DnsResponder::Start(options);
  ASSERT_TRUE(dns.ok()) << dns.status().message();
  const std::string manager =
      El("DNSCacheManager", "dns",
         "<collectionProp name=\"DNSCacheManager.servers\"><stringProp name=\"1\">" + (*dns)->server() +
             "</stringProp></collectionProp><collectionProp name=\"DNSCacheManager.hosts\"/>" +
             Bool("DNSCacheManager.clearEachIteration", false) + Bool("DNSCacheManager.isCustomResolver", true));
  std::vector<Sample> samples = Run(
      engine_test::Group("keep", 1, 1, engine_test::Dummy("hold", "", "", 8000)) +
          OpenModel("rate(200/sec) even_arrivals(400 ms) pause(2 sec)", "0", manager + Http("slow", "slow.test", 80)),
      1, /*max_ms=*/500, /*graceful_ms=*/20000);
  EXPECT_EQ(engine_test::Of(samples, "hold").size(), 1u);
  EXPECT_EQ(counters_.freed_users, 80);
  EXPECT_GE((*dns)->queries()["slow.test"], 80);
  EXPECT_GE(ran_ms_, 8000);
}

TEST(JavaRandomTest, NextDoubleIsJavas) {
  // new java.util.Random(1).nextDouble() three times, and Random(42) once (OpenJDK 17).
  JavaRandom r(1);
  EXPECT_EQ(r.NextDouble(), 0.7308781907032909);
  EXPECT_EQ(r.NextDouble(), 0.41008081149220166);
  EXPECT_EQ(r.NextDouble(), 0.20771484130971707);
  EXPECT_EQ(JavaRandom(42).NextDouble(), 0.7275636800328681);
}

}  // namespace
}  // namespace barrage
