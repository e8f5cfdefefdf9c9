#include "controller/jtl_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

Sample HelloSample() {
  Sample s;
  s.timestamp_ms = 1795705931651;
  s.elapsed_us = 73'999;  // 73.999 ms -> 73
  s.latency_us = 72'500;
  s.connect_us = 1'200;
  s.idle_us = 0;
  s.bytes = 331;
  s.sent_bytes = 118;
  s.grp_threads = 3;
  s.all_threads = 5;
  s.success = true;
  s.label = "hello";
  s.response_code = "200";
  s.response_message = "OK";
  s.thread_name = "tg 1-2";
  s.data_type = "text";
  s.url = "http://127.0.0.1:8080/hello.txt";
  return s;
}

std::string Row(const Sample& s) {
  std::string out;
  AppendJtlRow(s, &out);
  return out;
}

std::string Quoted(std::string_view field) {
  std::string out;
  AppendCsvField(field, ',', &out);
  return out;
}

TEST(JtlWriterTest, HeaderIsJMeter5DefaultColumns) {
  EXPECT_EQ(JtlHeader(),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
            "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect");
}

TEST(JtlWriterTest, RowHasSeventeenFieldsWithTruncatedMilliseconds) {
  EXPECT_EQ(Row(HelloSample()),
            "1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,118,3,5,"
            "http://127.0.0.1:8080/hello.txt,72,0,1\n");
}

// Coordinated omission: a late sample's default row is JMeter's, byte for byte; the
// intendedStart column (barrage.jtl.intended_start) holds timeStamp - lag in whole ms.
TEST(JtlWriterTest, ScheduleLagIsWrittenOnlyInTheIntendedStartColumn) {
  Sample late = HelloSample();
  late.schedule_lag_us = 975'600;
  EXPECT_EQ(Row(late), Row(HelloSample()));
  const std::vector<JtlColumn> columns = WithIntendedStart(DefaultJtlColumns());
  EXPECT_EQ(JtlHeader(columns),
            "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
            "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect,intendedStart");
  std::string out;
  AppendJtlRow(late, columns, &out);
  EXPECT_EQ(out,
            "1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,118,3,5,"
            "http://127.0.0.1:8080/hello.txt,72,0,1,1795705930676\n");
  out.clear();
  AppendJtlRow(HelloSample(), {JtlColumn::kTimeStamp, JtlColumn::kIntendedStart}, &out);
  EXPECT_EQ(out, "1795705931651,1795705931651\n");  // no schedule: the start itself
  EXPECT_EQ(WithIntendedStart(columns), columns);   // added once
}

TEST(JtlWriterTest, FailedSampleWritesFalseAndItsFailureMessage) {
  Sample s = HelloSample();
  s.success = false;
  s.failure_message = "Test failed: text expected to contain /NOT-IN-BODY/";
  EXPECT_EQ(Row(s),
            "1795705931651,73,hello,200,OK,tg 1-2,text,false,"
            "Test failed: text expected to contain /NOT-IN-BODY/,331,118,3,5,"
            "http://127.0.0.1:8080/hello.txt,72,0,1\n");
}

TEST(JtlWriterTest, SubMillisecondDurationsTruncateToZero) {
  Sample s = HelloSample();
  s.elapsed_us = 999;
  s.latency_us = 1;
  s.connect_us = -5;  // never negative in the file
  EXPECT_EQ(Row(s),
            "1795705931651,0,hello,200,OK,tg 1-2,text,true,,331,118,3,5,"
            "http://127.0.0.1:8080/hello.txt,0,0,0\n");
}

TEST(JtlWriterTest, MissingUrlIsWrittenAsNullLikeJMeter) {
  Sample s = HelloSample();
  s.url.clear();
  s.data_type.clear();
  EXPECT_EQ(Row(s), "1795705931651,73,hello,200,OK,tg 1-2,,true,,331,118,3,5,null,72,0,1\n");
}

TEST(JtlWriterTest, QuotesOnlyFieldsWithCommaQuoteOrLineBreak) {
  EXPECT_EQ(Quoted("plain text; with: punctuation"), "plain text; with: punctuation");
  EXPECT_EQ(Quoted(""), "");
  EXPECT_EQ(Quoted("a,b"), "\"a,b\"");
  EXPECT_EQ(Quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Quoted("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(Quoted("cr\r"), "\"cr\r\"");
}

TEST(JtlWriterTest, QuotesTheLabelAndMessagesOfARow) {
  Sample s = HelloSample();
  s.label = "GET /search?q=a,b";
  s.response_code = "Non HTTP response code: java.net.ConnectException";
  s.response_message = "Non HTTP response message: Connection refused, \"port\" 1";
  EXPECT_EQ(Row(s),
            "1795705931651,73,\"GET /search?q=a,b\",Non HTTP response code: java.net.ConnectException,"
            "\"Non HTTP response message: Connection refused, \"\"port\"\" 1\",tg 1-2,text,true,,331,118,"
            "3,5,http://127.0.0.1:8080/hello.txt,72,0,1\n");
}

// Writer options on a clock that moves only when the test says so.
struct TestClock {
  FakeClock clock;
  JtlWriter::Options Options(std::chrono::milliseconds flush_interval = std::chrono::milliseconds(500)) {
    return {.flush_interval = flush_interval, .clock = &clock};
  }
};

TEST(JtlWriterTest, DefaultColumnsAreTheSeventeenOfTheHeader) {
  EXPECT_EQ(JtlHeader(DefaultJtlColumns()), JtlHeader());
  std::string generic;
  AppendJtlRow(HelloSample(), DefaultJtlColumns(), &generic);
  EXPECT_EQ(generic, Row(HelloSample()));
}

TEST(JtlWriterTest, ChosenColumnsWriteJMeterFieldsIncludingCounts) {
  std::vector<JtlColumn> columns;
  for (const char* name : {"timeStamp", "label", "success", "Filename", "SampleCount", "ErrorCount", "Latency"}) {
    JtlColumn c;
    ASSERT_TRUE(JtlColumnNamed(name, &c)) << name;
    columns.push_back(c);
  }
  JtlColumn unknown;
  EXPECT_FALSE(JtlColumnNamed("hostname", &unknown));  // header names are case-sensitive
  EXPECT_EQ(JtlHeader(columns), "timeStamp,label,success,Filename,SampleCount,ErrorCount,Latency");
  Sample failed = HelloSample();
  failed.success = false;
  std::string out;
  AppendJtlRow(HelloSample(), columns, &out);
  AppendJtlRow(failed, columns, &out);
  EXPECT_EQ(out, "1795705931651,hello,true,,1,0,72\n1795705931651,hello,false,,1,1,72\n");
}

TEST(JtlWriterTest, ChosenColumnsWithoutHeaderRow) {
  TempDir dir;
  const std::string path = dir.File("few.csv");
  JtlWriter::Options options;
  options.columns = {JtlColumn::kLabel, JtlColumn::kElapsed};
  options.header = false;
  Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kAppend, options);
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReadWholeFile(path), "hello,73\n");
}

TEST(JtlWriterTest, WritesHeaderThenRowsAndFlushesOnClose) {
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  TestClock clock;
  Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kTruncate, clock.Options());
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  ASSERT_TRUE(w->Write(std::vector<Sample>{HelloSample(), HelloSample()}).ok());
  EXPECT_EQ(ReadWholeFile(path), "");  // still buffered
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(w->rows_written(), 3u);
  const std::string row = Row(HelloSample());
  EXPECT_EQ(ReadWholeFile(path), std::string(JtlHeader()) + "\n" + row + row + row);
}

TEST(JtlWriterTest, WriteFlushesOnceTheFlushIntervalHasPassed) {
  using std::chrono::milliseconds;
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  TestClock clock;
  Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kTruncate, clock.Options(milliseconds(500)));
  ASSERT_TRUE(w.ok()) << w.status().message();
  const std::string header = std::string(JtlHeader()) + "\n";
  const std::string row = Row(HelloSample());
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  clock.clock.Advance(milliseconds(499));
  ASSERT_TRUE(w->Write(std::vector<Sample>{HelloSample()}).ok());
  EXPECT_EQ(ReadWholeFile(path), "");
  clock.clock.Advance(milliseconds(1));  // 500 ms after the open
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  EXPECT_EQ(ReadWholeFile(path), header + row + row + row);
  // The interval restarts at that flush.
  clock.clock.Advance(milliseconds(499));
  ASSERT_TRUE(w->Write(std::vector<Sample>{HelloSample()}).ok());
  EXPECT_EQ(ReadWholeFile(path), header + row + row + row);
  clock.clock.Advance(milliseconds(1));
  ASSERT_TRUE(w->Write(std::vector<Sample>{HelloSample()}).ok());
  EXPECT_EQ(ReadWholeFile(path), header + row + row + row + row + row);
}

TEST(JtlWriterTest, FlushIfDueWritesBufferedRowsWithoutAnotherWrite) {
  using std::chrono::milliseconds;
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  TestClock clock;
  Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kTruncate, clock.Options(milliseconds(500)));
  ASSERT_TRUE(w.ok()) << w.status().message();
  const std::string header = std::string(JtlHeader()) + "\n";
  const std::string row = Row(HelloSample());
  clock.clock.Advance(milliseconds(100));
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  clock.clock.Advance(milliseconds(399));
  ASSERT_TRUE(w->FlushIfDue().ok());
  EXPECT_EQ(ReadWholeFile(path), "");
  clock.clock.Advance(milliseconds(1));
  ASSERT_TRUE(w->FlushIfDue().ok());
  EXPECT_EQ(ReadWholeFile(path), header + row);
  clock.clock.Advance(milliseconds(10'000));  // idle: nothing new to write
  ASSERT_TRUE(w->FlushIfDue().ok());
  EXPECT_EQ(ReadWholeFile(path), header + row);
  EXPECT_EQ(w->rows_written(), 1u);
}

TEST(JtlWriterTest, FlushIfDueAfterCloseFailsNamingTheFile) {
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  Result<JtlWriter> w = JtlWriter::Open(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Close().ok());
  Status st = w->FlushIfDue();
  EXPECT_EQ(st.message(), "write to " + path + ": file is closed");
}

TEST(JtlWriterTest, TruncateReplacesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  WriteWholeFile(path, "old content\n");
  Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kTruncate);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_EQ(ReadWholeFile(path), std::string(JtlHeader()) + "\n");
}

TEST(JtlWriterTest, AppendAddsRowsWithoutASecondHeader) {
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  for (int run = 0; run < 2; ++run) {
    Result<JtlWriter> w = JtlWriter::Open(path, JtlWriter::Mode::kAppend);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->Write(HelloSample()).ok());
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string row = Row(HelloSample());
  EXPECT_EQ(ReadWholeFile(path), std::string(JtlHeader()) + "\n" + row + row);
}

TEST(JtlWriterTest, LargeOutputIsWrittenCompletely) {
  TempDir dir;
  const std::string path = dir.File("big.jtl");
  Result<JtlWriter> w = JtlWriter::Open(path);
  ASSERT_TRUE(w.ok());
  const int kRows = 30'000;  // several buffer flushes
  for (int i = 0; i < kRows; ++i) ASSERT_TRUE(w->Write(HelloSample()).ok());
  ASSERT_TRUE(w->Close().ok());
  const std::string row = Row(HelloSample());
  EXPECT_EQ(ReadWholeFile(path).size(), JtlHeader().size() + 1 + row.size() * kRows);
}

TEST(JtlWriterTest, OpenErrorNamesTheFile) {
  TempDir dir;
  const std::string path = dir.File("missing-dir/results.jtl");
  Result<JtlWriter> w = JtlWriter::Open(path);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find(path), std::string::npos) << w.status().message();
}

TEST(JtlWriterTest, WriteAfterCloseFailsNamingTheFile) {
  TempDir dir;
  const std::string path = dir.File("results.jtl");
  Result<JtlWriter> w = JtlWriter::Open(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Close().ok());
  Status st = w->Write(HelloSample());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path), std::string::npos);
}

TEST(JtlWriterTest, FullDiskErrorNamesTheFile) {
  if (!std::ifstream("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  Result<JtlWriter> w = JtlWriter::Open("/dev/full");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write(HelloSample()).ok());
  Status st = w->Close();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/dev/full"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace barrage
