#include "controller/aggregate_report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "controller/decimal_format.h"
#include "controller/jtl_reader.h"

namespace barrage {
namespace {

const std::string kReference = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Sample At(const std::string& label, int64_t start_ms, int64_t elapsed_ms, bool ok = true, int64_t bytes = 0,
          int64_t sent = 0) {
  Sample s;
  s.label = label;
  s.timestamp_ms = start_ms;
  s.elapsed_us = elapsed_ms * 1000;
  s.success = ok;
  s.bytes = bytes;
  s.sent_bytes = sent;
  return s;
}

// The Aggregate Report JMeter's own code computed for each reference JTL, reproduced byte
// for byte.
class JMeterReferenceTest : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(JMeterReferenceTest, MatchesJMeterSaveTableDataByteForByte) {
  const std::string jtl = kReference + "/" + GetParam().first;
  const std::string csv = kReference + "/" + GetParam().second;
  if (!std::ifstream(jtl) || !std::ifstream(csv)) GTEST_SKIP() << "shared reference not found: " << kReference;
  AggregateReport report;
  Status st = ReadJtl(jtl, [&](Sample&& s) { report.Add(s); });
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(AggregateReportCsv(report.Rows(), AggregateCsvFlavor::kJMeter213), ReadFile(csv));
}

INSTANTIATE_TEST_SUITE_P(References, JMeterReferenceTest,
                         ::testing::Values(std::pair{"reference.jtl", "aggregate-report.csv"},
                                           std::pair{"reference-with-header.jtl", "aggregate-report-with-header.csv"},
                                           std::pair{"percentile-edges.jtl", "percentile-edges.aggregate-report.csv"}));

TEST(AggregateReportTest, RowsFollowFirstSeenOrderThenTotal) {
  AggregateReport r;
  r.Add(At("b", 0, 1));
  r.Add(At("a", 0, 1));
  r.Add(At("b", 0, 1));
  std::vector<AggregateRow> rows = r.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].label, "b");
  EXPECT_EQ(rows[1].label, "a");
  EXPECT_EQ(rows[2].label, "TOTAL");
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[2].count, 3u);
}

TEST(AggregateReportTest, AverageIsTruncated) {
  AggregateReport r;
  r.Add(At("x", 0, 1));
  r.Add(At("x", 0, 2));
  EXPECT_EQ(r.Rows()[0].average, 1);  // 1.5 -> 1
}

TEST(AggregateReportTest, MicrosecondsTruncateToMilliseconds) {
  AggregateReport r;
  Sample s = At("x", 1000, 0);
  s.elapsed_us = 1999;
  r.Add(s);
  EXPECT_EQ(r.Rows()[0].max, 1);
}

TEST(AggregateReportTest, TotalThroughputSpansAllRowsAndIsNotTheSum) {
  AggregateReport r;
  r.Add(At("a", 0, 1000));     // a: 1 sample over 1 s
  r.Add(At("b", 1000, 1000));  // b: 1 sample over 1 s
  std::vector<AggregateRow> rows = r.Rows();
  EXPECT_DOUBLE_EQ(rows[0].throughput, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].throughput, 1.0);
  EXPECT_DOUBLE_EQ(rows[2].throughput, 1.0);  // 2 samples over 2 s
}

TEST(AggregateReportTest, KilobytesAre1024BytesPerSecondOfSpan) {
  AggregateReport r;
  r.Add(At("a", 0, 500, true, 2048, 512));
  r.Add(At("a", 500, 500, true, 2048, 512));
  const AggregateRow row = r.Rows()[0];
  EXPECT_DOUBLE_EQ(row.received_kb_per_s, 4.0);
  EXPECT_DOUBLE_EQ(row.sent_kb_per_s, 1.0);
}

TEST(AggregateReportTest, ZeroSpanGivesInfiniteThroughputAndZeroKilobytes) {
  AggregateReport r;
  r.Add(At("z", 5000, 0, false, 100));
  const std::string csv = AggregateReportCsv(r.Rows(), AggregateCsvFlavor::kJMeter213, false);
  EXPECT_EQ(csv,
            "z,1,0,0,0,0,0,0,0,100.00%,\xE2\x88\x9E,.0\n"
            "TOTAL,1,0,0,0,0,0,0,0,100.00%,\xE2\x88\x9E,.0\n");
}

TEST(AggregateReportTest, EmptyReportIsAZeroTotalRow) {
  AggregateReport r;
  EXPECT_EQ(AggregateReportCsv(r.Rows(), AggregateCsvFlavor::kJMeter5, false),
            "TOTAL,0,0,0,0,0,0,0,0,0.000%,.00000,0.00,0.00\n");
}

TEST(AggregateReportTest, JMeter5CsvHasReceivedAndSentColumnsWithMoreDigits) {
  AggregateReport r;
  r.Add(At("hello", 1000, 10, true, 331, 120));
  r.Add(At("hello", 1005, 20, false, 331, 120));
  r.Add(At("hello", 1010, 30, true, 331, 120));
  // span 1000..1040 = 40 ms: 3 / 40 * 1000 = 75/s; 993 B / 0.04 s / 1024 = 24.243 KB/s
  EXPECT_EQ(AggregateReportCsv(r.Rows(), AggregateCsvFlavor::kJMeter5),
            "Label,# Samples,Average,Median,90% Line,95% Line,99% Line,Min,Max,Error %,Throughput,"
            "Received KB/sec,Sent KB/sec\n"
            "hello,3,20,20,30,30,30,10,30,33.333%,75.00000,24.24,8.79\n"
            "TOTAL,3,20,20,30,30,30,10,30,33.333%,75.00000,24.24,8.79\n");
}

TEST(AggregateReportTest, CsvQuotesLabelsWithCommasAndQuotes) {
  AggregateReport r;
  r.Add(At("a,b \"c\"", 0, 1000));
  const std::string csv = AggregateReportCsv(r.Rows(), AggregateCsvFlavor::kJMeter213, false);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "\"a,b \"\"c\"\"\",1,1000,1000,1000,1000,1000,1000,1000,0.00%,1.0,.0");
}

TEST(AggregateReportTest, ConfigurablePercentLinesUseJMeterFloatRule) {
  AggregateReport r(AggregateReport::Lines{.pct1 = 50, .pct2 = 75, .pct3 = 99.9f});
  for (int v = 1; v <= 4; ++v) r.Add(At("x", 0, v));
  const std::string csv = AggregateReportCsv(r.Rows(), AggregateCsvFlavor::kJMeter213, true, r.lines());
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "Label,# Samples,Average,Median,50% Line,75% Line,99.9% Line,Min,Max,Error %,Throughput,KB/sec");
  const AggregateRow row = r.Rows()[0];
  EXPECT_EQ(row.line1, 2);
  EXPECT_EQ(row.line2, 3);
  EXPECT_EQ(row.line3, 4);
}

TEST(AggregateReportTest, TextTableAlignsColumnsWithGuiFormats) {
  AggregateReport r;
  r.Add(At("hello", 0, 10, true, 1024, 512));
  r.Add(At("hello", 0, 30, false, 1024, 512));
  // One sample in 120 s is 0.5/min, shown as 30.0/hour (RateRenderer converts twice below 1).
  r.Add(At("slow", 0, 120'000));
  EXPECT_EQ(AggregateReportText(r.Rows()),
            "Label  # Samples  Average  Median  90% Line  95% Line  99% Line     Min     Max  Error %  "
            "Throughput  Received KB/sec  Sent KB/sec\n"
            "hello          2       20      10        30        30        30      10      30   50.00%  "
            "  66.7/sec            66.67        33.33\n"
            "slow           1   120000  120000    120000    120000    120000  120000  120000    0.00%  "
            " 30.0/hour             0.00         0.00\n"
            "TOTAL          3    40013      30    120000    120000    120000      10  120000   33.33%  "
            "   1.5/min             0.02         0.01\n");
}

// --- coordinated omission: the latency from the intended start ---

Sample Late(const std::string& label, int64_t start_ms, int64_t elapsed_ms, int64_t lag_us) {
  Sample s = At(label, start_ms, elapsed_ms);
  s.schedule_lag_us = lag_us;
  return s;
}

TEST(AggregateReportTest, WithoutALateSampleThereAreNoCorrectedFigures) {
  AggregateReport r;
  r.Add(At("a", 0, 10));
  r.Add(Late("a", 10, 20, 999));  // under 1 ms: on time, as the JTL's whole ms say
  EXPECT_FALSE(r.HasCorrected());
  EXPECT_EQ(r.total().late, 0u);
  EXPECT_EQ(r.total().corrected_ms.count(), 0u);  // not kept
  EXPECT_TRUE(r.total().Corrected() == r.total().elapsed_ms);
}

TEST(AggregateReportTest, CorrectedRowsAddTheLagInWholeMilliseconds) {
  AggregateReport r;
  r.Add(At("a", 0, 10));
  r.Add(At("a", 50, 12));
  r.Add(Late("a", 1100, 15, 975'600));  // 975 ms late: 990 ms from the intended start
  r.Add(At("b", 1200, 4));
  r.Add(Late("a", 1150, 11, 1'500));  // 1 ms late
  ASSERT_TRUE(r.HasCorrected());
  std::vector<CorrectedRow> rows = r.CorrectedRows();
  ASSERT_EQ(rows.size(), 3u);
  // a: 10 12 990 12 -> sorted 10 12 12 990; elapsed stays 10 11 12 15.
  EXPECT_EQ(rows[0].label, "a");
  EXPECT_EQ(rows[0].count, 4u);
  EXPECT_EQ(rows[0].late, 2u);
  EXPECT_EQ(rows[0].average, 256);  // 1024 / 4
  EXPECT_EQ(rows[0].line1, 990);    // round(4 * 0.9f) = 4
  EXPECT_EQ(rows[0].line2, 990);
  EXPECT_EQ(rows[0].line3, 990);
  EXPECT_EQ(rows[0].max, 990);
  EXPECT_EQ(r.Rows()[0].max, 15);
  EXPECT_EQ(rows[1].label, "b");  // on time: its elapsed figures
  EXPECT_EQ(rows[1].late, 0u);
  EXPECT_EQ(rows[1].max, 4);
  EXPECT_EQ(rows[2].label, "TOTAL");
  EXPECT_EQ(rows[2].count, 5u);
  EXPECT_EQ(rows[2].late, 2u);
  EXPECT_EQ(rows[2].line2, 990);  // round(5 * 0.95f) = 5
  EXPECT_EQ(rows[2].line1, 12);   // 4 10 12 12 990: round(5 * 0.9f) = round(4.4999998) = 4
}

TEST(AggregateReportTest, MergedCorrectedStatsEqualAddingEverySample) {
  std::vector<Sample> samples = {At("a", 0, 10), At("a", 5, 30), Late("a", 9, 7, 40'000), At("a", 11, 3),
                                 Late("a", 20, 1, 2'000)};
  AggregateStats whole;
  for (const Sample& s : samples) whole.Add(s);
  // Every split: on-time part first, late part first, both late.
  for (size_t cut = 0; cut <= samples.size(); ++cut) {
    AggregateStats left, right;
    for (size_t i = 0; i < samples.size(); ++i) (i < cut ? left : right).Add(samples[i]);
    AggregateStats merged;
    merged.Merge(left);
    merged.Merge(right);
    SCOPED_TRACE(cut);
    EXPECT_EQ(merged.late, 2u);
    EXPECT_TRUE(merged.Corrected() == whole.Corrected());
    EXPECT_TRUE(merged.elapsed_ms == whole.elapsed_ms);
  }
  EXPECT_EQ(whole.Corrected().max(), 47);
  EXPECT_EQ(whole.Corrected().sum(), 10 + 30 + 47 + 3 + 3);
}

TEST(AggregateReportTest, CorrectedTextTable) {
  AggregateReport r;
  r.Add(At("hello", 0, 30));
  r.Add(Late("hello", 100, 20, 980'000));
  EXPECT_EQ(CorrectedReportText(r.CorrectedRows()),
            "Latency from the intended start (corrected for coordinated omission), ms\n"
            "Label  # Samples  Late  Average  90% Line  95% Line  99% Line   Max\n"
            "hello          2     1      515      1000      1000      1000  1000\n"
            "TOTAL          2     1      515      1000      1000      1000  1000\n");
}

TEST(DecimalFormatTest, FollowsJavaDecimalFormatPatterns) {
  EXPECT_EQ(FormatDecimal(0.5, {.fraction_digits = 1, .integer_zero = false}), ".5");
  EXPECT_EQ(FormatDecimal(0.0, {.fraction_digits = 1, .integer_zero = false}), ".0");
  EXPECT_EQ(FormatDecimal(741.84, {.fraction_digits = 1, .integer_zero = false}), "741.8");
  EXPECT_EQ(FormatDecimal(0.5, {.fraction_digits = 1}), "0.5");
  EXPECT_EQ(FormatDecimal(0.4, {.fraction_digits = 2, .percent = true}), "40.00%");
  EXPECT_EQ(FormatDecimal(1.0 / 3, {.fraction_digits = 3, .percent = true}), "33.333%");
}

TEST(DecimalFormatTest, RoundsHalfEvenOnTheExactBinaryValue) {
  EXPECT_EQ(FormatDecimal(0.125, {.fraction_digits = 2}), "0.12");  // exact tie: to even
  EXPECT_EQ(FormatDecimal(0.375, {.fraction_digits = 2}), "0.38");
  EXPECT_EQ(FormatDecimal(2.675, {.fraction_digits = 2}), "2.67");  // 2.67499999... in binary
  EXPECT_EQ(FormatDecimal(0.25, {.fraction_digits = 1, .integer_zero = false}), ".2");
}

}  // namespace
}  // namespace barrage
