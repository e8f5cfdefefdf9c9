#include "controller/thresholds.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

// --- parsing: valid expressions ----------------------------------------------------------

struct ValidCase {
  std::string expression;
  std::string label;
  ThresholdMetric metric;
  std::string metric_name;
  ThresholdOp op;
  double target;
};

class ValidThresholdTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidThresholdTest, ParsesIntoLabelMetricOperatorAndTarget) {
  const ValidCase& c = GetParam();
  Result<Threshold> t = ParseThreshold(c.expression);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->expression, c.expression);
  EXPECT_EQ(t->label, c.label);
  EXPECT_EQ(t->metric, c.metric);
  EXPECT_EQ(t->metric_name, c.metric_name);
  EXPECT_EQ(t->op, c.op);
  EXPECT_EQ(t->target, c.target);
}

using M = ThresholdMetric;
using O = ThresholdOp;
INSTANTIATE_TEST_SUITE_P(
    Table, ValidThresholdTest,
    ::testing::Values(ValidCase{"p(95)<500", "", M::kPercentile, "p(95)", O::kLess, 500},
                      ValidCase{"login: p(99)<800", "login", M::kPercentile, "p(99)", O::kLess, 800},
                      ValidCase{"error_rate<0.01", "", M::kErrorRate, "error_rate", O::kLess, 0.01},
                      ValidCase{"throughput>=200", "", M::kThroughput, "throughput", O::kGreaterEqual, 200},
                      ValidCase{"avg <= 250.5", "", M::kAverage, "avg", O::kLessEqual, 250.5},
                      ValidCase{"  med == 3  ", "", M::kMedian, "med", O::kEqual, 3},
                      ValidCase{"min>0", "", M::kMin, "min", O::kGreater, 0},
                      ValidCase{"max!=1e3", "", M::kMax, "max", O::kNotEqual, 1000},
                      ValidCase{"p( 99.9 ) < 5", "", M::kPercentile, "p(99.9)", O::kLess, 5},
                      ValidCase{"p(100)<-1.5", "", M::kPercentile, "p(100)", O::kLess, -1.5},
                      ValidCase{"p(0.5)<.5", "", M::kPercentile, "p(0.5)", O::kLess, 0.5},
                      // The label is everything before the LAST ": ", kept exactly.
                      ValidCase{"GET: /a: p(95)<5", "GET: /a", M::kPercentile, "p(95)", O::kLess, 5},
                      ValidCase{"a:b c: avg<1", "a:b c", M::kAverage, "avg", O::kLess, 1},
                      ValidCase{"login : avg<1", "login ", M::kAverage, "avg", O::kLess, 1},
                      ValidCase{"Ünïcode label: max<9", "Ünïcode label", M::kMax, "max", O::kLess, 9},
                      // Coordinated omission: the latency from the intended start.
                      ValidCase{"p(99,corrected)<500", "", M::kPercentile, "p(99,corrected)", O::kLess, 500},
                      ValidCase{"login: p( 95 , corrected )<=8", "login", M::kPercentile, "p(95,corrected)",
                                O::kLessEqual, 8},
                      ValidCase{"avg(corrected)<250", "", M::kAverage, "avg(corrected)", O::kLess, 250},
                      ValidCase{"max (corrected) < 2000", "", M::kMax, "max(corrected)", O::kLess, 2000},
                      ValidCase{"med(corrected)<1", "", M::kMedian, "med(corrected)", O::kLess, 1},
                      ValidCase{"min(corrected)>=0", "", M::kMin, "min(corrected)", O::kGreaterEqual, 0}));

TEST(ThresholdTest, CorrectedIsMarkedOnlyWhenAsked) {
  Result<Threshold> plain = ParseThreshold("p(99)<5");
  Result<Threshold> corrected = ParseThreshold("p(99,corrected)<5");
  ASSERT_TRUE(plain.ok() && corrected.ok());
  EXPECT_FALSE(plain->corrected);
  EXPECT_TRUE(corrected->corrected);
  EXPECT_EQ(corrected->percent, 99.0f);
}

TEST(ThresholdTest, PercentIsReadAsAJavaFloat) {
  Result<Threshold> t = ParseThreshold("p(99.9)<5");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->percent, 99.9f);
}

// --- parsing: rejected expressions, with the message naming the problem --------------------

struct InvalidCase {
  std::string expression;
  std::string message;
};

class InvalidThresholdTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidThresholdTest, IsRejectedNamingTheExpressionAndTheProblem) {
  Result<Threshold> t = ParseThreshold(GetParam().expression);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidThresholdTest,
    ::testing::Values(
        InvalidCase{"",
                    "threshold '': expected a metric (p(N), med, avg, min, max, error_rate or throughput) at the end"},
        InvalidCase{"p(95)",
                    "threshold 'p(95)': expected an operator (<, <=, >, >=, ==, !=) after p(95), found the end"},
        InvalidCase{"p(95)<", "threshold 'p(95)<': expected a number after '<', found the end"},
        InvalidCase{"p(95)<<500", "threshold 'p(95)<<500': expected a number after '<', found '<500'"},
        InvalidCase{"p(95) = 5",
                    "threshold 'p(95) = 5': expected an operator (<, <=, >, >=, ==, !=) after p(95), found '= 5'"},
        InvalidCase{"p(0)<5", "threshold 'p(0)<5': percentile 0 is out of range (0, 100]"},
        InvalidCase{"p(100.5)<5", "threshold 'p(100.5)<5': percentile 100.5 is out of range (0, 100]"},
        InvalidCase{"p(-5)<5", "threshold 'p(-5)<5': percentile -5 is out of range (0, 100]"},
        InvalidCase{"p95<5", "threshold 'p95<5': unknown metric 'p95' (write percentiles as p(95))"},
        InvalidCase{"p(abc)<5", "threshold 'p(abc)<5': expected a percentile number in p(...), as in p(95)"},
        InvalidCase{"p 95<5", "threshold 'p 95<5': expected '(' after 'p', as in p(95)"},
        InvalidCase{"p(95<5", "threshold 'p(95<5': expected ')' to close p(95"},
        InvalidCase{"latency<5",
                    "threshold 'latency<5': unknown metric 'latency' (expected p(N), med, avg, min, max, error_rate or "
                    "throughput)"},
        InvalidCase{
            "p(95)<500ms",
            "threshold 'p(95)<500ms': unexpected 'ms' after the value 500 (values are plain numbers; times are in ms)"},
        InvalidCase{
            "login:p(95)<5",
            "threshold 'login:p(95)<5': a label is separated by ': ' (colon and space), as in 'login: p(95)<500'"},
        InvalidCase{": p(95)<5", "threshold ': p(95)<5': empty label before ': '"},
        InvalidCase{"p(95)<inf", "threshold 'p(95)<inf': expected a number after '<', found 'inf'"},
        InvalidCase{"p(95)<1e999", "threshold 'p(95)<1e999': expected a number after '<', found '1e999'"},
        InvalidCase{
            "p(95) < 5 ms",
            "threshold 'p(95) < 5 ms': unexpected 'ms' after the value 5 (values are plain numbers; times are in ms)"},
        InvalidCase{"p(95)<+5", "threshold 'p(95)<+5': expected a number after '<', found '+5'"},
        InvalidCase{"p(99,elapsed)<5",
                    "threshold 'p(99,elapsed)<5': expected 'corrected' in p(99, ...), found 'elapsed' (as in "
                    "p(99,corrected)<500 or max(corrected)<2000)"},
        InvalidCase{"p(99,)<5",
                    "threshold 'p(99,)<5': expected 'corrected' in p(99, ...), found ')<5' (as in "
                    "p(99,corrected)<500 or max(corrected)<2000)"},
        InvalidCase{"p(99,corrected<5", "threshold 'p(99,corrected<5': expected ')' to close p(99"},
        InvalidCase{"avg(correct)<5",
                    "threshold 'avg(correct)<5': expected 'corrected' in avg(...), found 'correct' (as in "
                    "p(99,corrected)<500 or max(corrected)<2000)"},
        InvalidCase{"max(corrected<5", "threshold 'max(corrected<5': expected ')' to close max(corrected"},
        InvalidCase{"error_rate(corrected)<0.1",
                    "threshold 'error_rate(corrected)<0.1': '(corrected)' applies to the latency metrics "
                    "(p(N,corrected), med, avg, min, max), not error_rate"},
        InvalidCase{"throughput(corrected)>1",
                    "threshold 'throughput(corrected)>1': '(corrected)' applies to the latency metrics "
                    "(p(N,corrected), med, avg, min, max), not throughput"}));

// --- evaluation against hand-computed figures -----------------------------------------------

Sample S(const std::string& label, int64_t start_ms, int64_t elapsed_ms, bool ok = true) {
  Sample s;
  s.label = label;
  s.timestamp_ms = start_ms;
  s.elapsed_us = elapsed_ms * 1000;
  s.success = ok;
  return s;
}

// login: 10, 20, 30, 40, 100 ms starting at 1000..1400 (the 100 ms one failed), last end 1500.
// home: 5, 6 ms at 2000, 2001 (last end 2007).
AggregateReport Data() {
  AggregateReport r;
  r.Add(S("login", 1000, 10));
  r.Add(S("login", 1100, 20));
  r.Add(S("home", 2000, 5));
  r.Add(S("login", 1200, 30));
  r.Add(S("login", 1300, 40));
  r.Add(S("home", 2001, 6));
  r.Add(S("login", 1400, 100, false));
  return r;
}

double Observed(const std::string& expression) {
  Result<Threshold> t = ParseThreshold(expression);
  EXPECT_TRUE(t.ok()) << t.status().message();
  std::vector<ThresholdResult> r = EvaluateThresholds({*t}, Data());
  EXPECT_TRUE(r[0].has_samples);
  return r[0].observed;
}

TEST(ThresholdEvalTest, PercentilesUseTheAggregateReportsJavaFloatNearestRank) {
  // N = 5: round(5 * 0.9f) = round(4.4999998) = 4 -> the 4th value, as the 90% Line.
  EXPECT_EQ(Observed("login: p(90)<1"), 40);
  EXPECT_EQ(Observed("login: p(95)<1"), 100);  // round(4.75) = 5
  EXPECT_EQ(Observed("login: p(20)<1"), 10);   // round(1.0000000149) = 1
  EXPECT_EQ(Observed("login: p(50)<1"), 30);   // round(2.5) = 3
  EXPECT_EQ(Observed("login: p(100)<1"), 100);
  // All 7: 5 6 10 20 30 40 100.
  EXPECT_EQ(Observed("p(95)<1"), 100);  // round(6.65) = 7
  EXPECT_EQ(Observed("p(50)<1"), 20);   // round(3.5) = 4
  EXPECT_EQ(Observed("p(30)<1"), 6);    // round(2.1) = 2
}

TEST(ThresholdEvalTest, PercentilesEqualTheReportsLines) {
  AggregateReport data = Data();
  std::vector<AggregateRow> rows = data.Rows();
  ASSERT_EQ(rows[0].label, "login");
  EXPECT_EQ(Observed("login: p(90)<1"), rows[0].line1);
  EXPECT_EQ(Observed("login: p(95)<1"), rows[0].line2);
  EXPECT_EQ(Observed("login: p(99)<1"), rows[0].line3);
  EXPECT_EQ(Observed("login: med<1"), rows[0].median);
  EXPECT_EQ(Observed("p(99)<1"), rows[2].line3);
}

TEST(ThresholdEvalTest, MedMinMaxAvgErrorRateAndThroughput) {
  EXPECT_EQ(Observed("login: med<1"), 30);
  EXPECT_EQ(Observed("login: min<1"), 10);
  EXPECT_EQ(Observed("login: max<1"), 100);
  EXPECT_EQ(Observed("login: avg<1"), 40);
  EXPECT_EQ(Observed("avg<1"), 211.0 / 7);  // the exact mean, not truncated to 30
  EXPECT_EQ(Observed("home: avg<1"), 5.5);
  EXPECT_EQ(Observed("login: error_rate<1"), 0.2);
  EXPECT_EQ(Observed("error_rate<1"), 1.0 / 7);
  EXPECT_EQ(Observed("login: throughput<1"), 5.0 / 500 * 1000);  // span 1000..1500
  EXPECT_EQ(Observed("throughput<1"), 7.0 / 1007 * 1000);        // span 1000..2007
}

// login as Data(), the 20 ms sample started 500 ms late and the 100 ms one 2 ms late; home on time.
AggregateReport LateData() {
  AggregateReport r;
  r.Add(S("login", 1000, 10));
  Sample late = S("login", 1100, 20);
  late.schedule_lag_us = 500'999;  // 500 ms: lags count in whole ms, as in the JTL
  r.Add(late);
  r.Add(S("home", 2000, 5));
  r.Add(S("login", 1200, 30));
  r.Add(S("login", 1300, 40));
  r.Add(S("home", 2001, 6));
  Sample failed = S("login", 1400, 100, false);
  failed.schedule_lag_us = 2000;
  r.Add(failed);
  return r;
}

double ObservedLate(const std::string& expression) {
  Result<Threshold> t = ParseThreshold(expression);
  EXPECT_TRUE(t.ok()) << t.status().message();
  std::vector<ThresholdResult> r = EvaluateThresholds({*t}, LateData());
  EXPECT_TRUE(r[0].has_samples);
  return r[0].observed;
}

TEST(ThresholdEvalTest, CorrectedMetricsAddTheScheduleLag) {
  // login corrected: 10, 520, 30, 40, 102 -> sorted 10 30 40 102 520.
  EXPECT_EQ(ObservedLate("login: p(90,corrected)<1"), 102);  // the 4th value
  EXPECT_EQ(ObservedLate("login: p(95,corrected)<1"), 520);
  EXPECT_EQ(ObservedLate("login: med(corrected)<1"), 40);
  EXPECT_EQ(ObservedLate("login: max(corrected)<1"), 520);
  EXPECT_EQ(ObservedLate("login: min(corrected)<1"), 10);
  EXPECT_EQ(ObservedLate("login: avg(corrected)<1"), 702.0 / 5);
  // The plain metrics are JMeter's elapsed ones.
  EXPECT_EQ(ObservedLate("login: p(95)<1"), 100);
  EXPECT_EQ(ObservedLate("login: max<1"), 100);
  // home had no late sample: its corrected figures are its elapsed ones.
  EXPECT_EQ(ObservedLate("home: max(corrected)<1"), 6);
  // All 7 corrected: 5 6 10 30 40 102 520.
  EXPECT_EQ(ObservedLate("p(99,corrected)<1"), 520);
  EXPECT_EQ(ObservedLate("p(50,corrected)<1"), 30);
}

TEST(ThresholdEvalTest, CorrectedMetricsOfARunWithoutAScheduleAreTheElapsedOnes) {
  EXPECT_EQ(Observed("login: p(95,corrected)<1"), 100);
  EXPECT_EQ(Observed("avg(corrected)<1"), 211.0 / 7);
}

TEST(ThresholdEvalTest, EachOperatorComparesObservedWithTarget) {
  // login p(90) = 40.
  const std::vector<std::pair<std::string, bool>> cases = {
      {"login: p(90)<40", false}, {"login: p(90)<41", true},   {"login: p(90)<=40", true},  {"login: p(90)<=39", false},
      {"login: p(90)>40", false}, {"login: p(90)>39", true},   {"login: p(90)>=40", true},  {"login: p(90)>=41", false},
      {"login: p(90)==40", true}, {"login: p(90)==41", false}, {"login: p(90)!=40", false}, {"login: p(90)!=41", true}};
  for (const auto& [expression, passed] : cases) {
    Result<Threshold> t = ParseThreshold(expression);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(EvaluateThresholds({*t}, Data())[0].passed, passed) << expression;
  }
}

TEST(ThresholdEvalTest, UnknownLabelFailsWithNoSamples) {
  Result<Threshold> t = ParseThreshold("logout: p(95)<500");
  ASSERT_TRUE(t.ok());
  std::vector<ThresholdResult> r = EvaluateThresholds({*t}, Data());
  EXPECT_FALSE(r[0].passed);
  EXPECT_FALSE(r[0].has_samples);
  EXPECT_TRUE(std::isnan(r[0].observed));
  EXPECT_EQ(DescribeThresholdResult(r[0]), "threshold 'logout: p(95)<500' failed: no samples labelled 'logout'");
}

TEST(ThresholdEvalTest, NoSamplesIsStoredAsMinusInfinity) {
  std::vector<ThresholdResult> r = EvaluateThresholds({*ParseThreshold("logout: max<5")}, Data());
  ThresholdRecord rec = ToThresholdRecord(r[0]);
  EXPECT_EQ(rec.observed, -std::numeric_limits<double>::infinity());
  EXPECT_FALSE(rec.passed);
  EXPECT_TRUE(ThresholdHadNoSamples(rec));
  EXPECT_EQ(DescribeThresholdRecord(rec), "threshold 'logout: max<5' failed: no samples labelled 'logout'");
}

TEST(ThresholdEvalTest, EmptyRunFailsEveryThreshold) {
  Result<Threshold> t = ParseThreshold("error_rate<0.01");
  ASSERT_TRUE(t.ok());
  std::vector<ThresholdResult> r = EvaluateThresholds({*t}, AggregateReport{});
  EXPECT_FALSE(r[0].passed);
  EXPECT_EQ(DescribeThresholdResult(r[0]), "threshold 'error_rate<0.01' failed: no samples");
}

TEST(ThresholdEvalTest, DescribesEachResultOnOneLine) {
  std::vector<Threshold> ts;
  for (const char* e : {"login: p(99)<80", "error_rate<0.5", "throughput>=10", "avg<30"})
    ts.push_back(*ParseThreshold(e));
  std::vector<ThresholdResult> r = EvaluateThresholds(ts, Data());
  EXPECT_EQ(DescribeThresholdResult(r[0]), "threshold 'login: p(99)<80' failed: p(99) of 'login' is 100 ms");
  EXPECT_EQ(DescribeThresholdResult(r[1]),
            "threshold 'error_rate<0.5' passed: error_rate of all samples is 0.14285714285714285");
  EXPECT_EQ(DescribeThresholdResult(r[2]),
            "threshold 'throughput>=10' failed: throughput of all samples is 6.951340615690168/s");
  EXPECT_EQ(DescribeThresholdResult(r[3]), "threshold 'avg<30' failed: avg of all samples is 30.142857142857142 ms");
  EXPECT_TRUE(AnyFailed(r));
}

TEST(ThresholdEvalTest, RecordCarriesTheStoredFields) {
  std::vector<ThresholdResult> r = EvaluateThresholds({*ParseThreshold("login: p(95)<500")}, Data());
  ThresholdRecord rec = ToThresholdRecord(r[0]);
  EXPECT_EQ(rec.expression, "login: p(95)<500");
  EXPECT_EQ(rec.label, "login");
  EXPECT_EQ(rec.metric, "p(95)");
  EXPECT_EQ(rec.op, "<");
  EXPECT_EQ(rec.target, 500);
  EXPECT_EQ(rec.observed, 100);
  EXPECT_TRUE(rec.passed);
}

// --- abort-on-fail watch ---------------------------------------------------------------------

TEST(ThresholdWatchTest, ChecksOncePerIntervalAndTripsOnce) {
  ThresholdWatch watch({*ParseThreshold("max<50")}, 5000);
  AggregateReport data;
  data.Add(S("a", 0, 10));
  EXPECT_TRUE(watch.Check(data, 1000).empty());  // starts the clock
  data.Add(S("a", 0, 60));
  EXPECT_TRUE(watch.Check(data, 5999).empty());  // interval not over yet
  EXPECT_FALSE(watch.tripped());
  std::vector<ThresholdResult> failed = watch.Check(data, 6000);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].observed, 60);
  EXPECT_TRUE(watch.tripped());
  EXPECT_TRUE(watch.Check(data, 20000).empty());  // trips only once
}

TEST(ThresholdWatchTest, NoSamplesYetDoesNotTrip) {
  ThresholdWatch watch({*ParseThreshold("login: max<50"), *ParseThreshold("p(95)<50")}, 1000);
  AggregateReport data;
  watch.Check(data, 0);
  EXPECT_TRUE(watch.Check(data, 1000).empty());  // nothing at all yet
  data.Add(S("home", 0, 10));
  EXPECT_TRUE(watch.Check(data, 2000).empty());  // no login samples yet; p(95) passes
  EXPECT_FALSE(watch.tripped());
}

TEST(ThresholdWatchTest, ThresholdThatTrippedStaysFailedAtTheEnd) {
  std::vector<Threshold> ts = {*ParseThreshold("max<50"), *ParseThreshold("min<5")};
  ThresholdWatch watch(ts, 1000);
  AggregateReport data;
  data.Add(S("a", 0, 60));
  watch.Check(data, 0);
  ASSERT_EQ(watch.Check(data, 1000).size(), 2u);
  AggregateReport later;  // e.g. other data where both pass
  later.Add(S("a", 0, 1));
  std::vector<ThresholdResult> final_results = WithTripped(EvaluateThresholds(ts, later), watch.tripped_results());
  EXPECT_FALSE(final_results[0].passed);
  EXPECT_EQ(final_results[0].observed, 60);
  EXPECT_FALSE(final_results[1].passed);
  EXPECT_EQ(final_results[1].observed, 60);
}

// --- TOML files -----------------------------------------------------------------------------

TEST(ThresholdFileTest, LoadsTheExampleFile) {
  Result<std::vector<Threshold>> ts =
      LoadThresholdsFile(std::string(BARRAGE_TEST_DATA_DIR) + "/../../config/thresholds.example.toml");
  ASSERT_TRUE(ts.ok()) << ts.status().message();
  ASSERT_EQ(ts->size(), 4u);
  EXPECT_EQ((*ts)[0].expression, "p(95)<500");
  EXPECT_EQ((*ts)[1].expression, "login: p(99)<800");
  EXPECT_EQ((*ts)[1].label, "login");
  EXPECT_EQ((*ts)[2].expression, "error_rate<0.01");
  EXPECT_EQ((*ts)[3].expression, "throughput>=200");
}

TEST(ThresholdFileTest, LabelKeyMayHoldColonsAndSpaces) {
  TempDir dir;
  WriteWholeFile(dir.File("t.toml"), "[[threshold]]\nlabel = \"GET: /a b\"\nexpr = \"avg<5\"\n");
  Result<std::vector<Threshold>> ts = LoadThresholdsFile(dir.File("t.toml"));
  ASSERT_TRUE(ts.ok()) << ts.status().message();
  EXPECT_EQ((*ts)[0].label, "GET: /a b");
  EXPECT_EQ((*ts)[0].expression, "GET: /a b: avg<5");
}

TEST(ThresholdFileTest, EmptyFileHasNoThresholds) {
  TempDir dir;
  WriteWholeFile(dir.File("t.toml"), "# nothing\n");
  Result<std::vector<Threshold>> ts = LoadThresholdsFile(dir.File("t.toml"));
  ASSERT_TRUE(ts.ok());
  EXPECT_TRUE(ts->empty());
}

struct BadFileCase {
  std::string text;
  std::string message;  // after "<path>:"
};

class BadThresholdFileTest : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(BadThresholdFileTest, IsRejectedNamingFileAndLine) {
  TempDir dir;
  const std::string path = dir.File("t.toml");
  WriteWholeFile(path, GetParam().text);
  Result<std::vector<Threshold>> ts = LoadThresholdsFile(path);
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().message(), path + ":" + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadThresholdFileTest,
    ::testing::Values(BadFileCase{"[[threshold]]\nexpr = \"p(95)<500\"\n\n[[threshold]]\nexpr = \"p(95)<<1\"\n",
                                  "5: threshold 'p(95)<<1': expected a number after '<', found '<1'"},
                      BadFileCase{"[[threshold]]\nexpression = \"p(95)<500\"\n",
                                  "2: unknown key 'expression' in [[threshold]] (expected expr and optionally label)"},
                      BadFileCase{"[[threshold]]\nlabel = \"x\"\n", "1: [[threshold]] without 'expr'"},
                      BadFileCase{"[[threshold]]\nexpr = 5\n", "2: 'expr' must be a string"},
                      BadFileCase{"[[threshold]]\nlabel = \"x\"\nexpr = \"y: avg<1\"\n",
                                  "3: threshold 'y: avg<1': the label is given twice (in 'label' and before ': ')"},
                      BadFileCase{"[[threshold]]\nlabel = \"\"\nexpr = \"avg<1\"\n",
                                  "2: 'label' is empty (leave it out for all samples)"},
                      BadFileCase{"thresholds = [\"p(95)<1\"]\n",
                                  "1: unknown key 'thresholds' (thresholds are [[threshold]] tables)"},
                      BadFileCase{"threshold = \"p(95)<1\"\n",
                                  "1: 'threshold' must be an array of tables ([[threshold]])"}));

TEST(ThresholdFileTest, SyntaxErrorNamesFileAndLine) {
  TempDir dir;
  const std::string path = dir.File("t.toml");
  WriteWholeFile(path, "[[threshold]]\nexpr = \"p(95)<1\n");
  Result<std::vector<Threshold>> ts = LoadThresholdsFile(path);
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().message().rfind(path + ":2: ", 0), 0u) << ts.status().message();
}

TEST(ThresholdFileTest, MissingFileIsNamed) {
  Result<std::vector<Threshold>> ts = LoadThresholdsFile("/nonexistent/t.toml");
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().message().rfind("/nonexistent/t.toml: ", 0), 0u) << ts.status().message();
}

TEST(ThresholdFileTest, CollectPutsTheFileFirstThenTheFlags) {
  TempDir dir;
  WriteWholeFile(dir.File("t.toml"), "[[threshold]]\nexpr = \"max<1\"\n");
  Result<std::vector<Threshold>> ts = CollectThresholds({"min<2", "avg<3"}, dir.File("t.toml"));
  ASSERT_TRUE(ts.ok());
  ASSERT_EQ(ts->size(), 3u);
  EXPECT_EQ((*ts)[0].expression, "max<1");
  EXPECT_EQ((*ts)[1].expression, "min<2");
  EXPECT_EQ((*ts)[2].expression, "avg<3");
}

}  // namespace
}  // namespace barrage
