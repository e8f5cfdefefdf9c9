#include "controller/jtl_reader.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "controller/jtl_writer.h"
#include "tests/controller/scoped_time_zone.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

const std::string kReference = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference";

bool SameSample(const Sample& a, const Sample& b) {
  return a.timestamp_ms == b.timestamp_ms && a.elapsed_us == b.elapsed_us && a.latency_us == b.latency_us &&
         a.connect_us == b.connect_us && a.idle_us == b.idle_us && a.bytes == b.bytes && a.sent_bytes == b.sent_bytes &&
         a.grp_threads == b.grp_threads && a.all_threads == b.all_threads && a.success == b.success &&
         a.label == b.label && a.response_code == b.response_code && a.response_message == b.response_message &&
         a.thread_name == b.thread_name && a.data_type == b.data_type && a.failure_message == b.failure_message &&
         a.url == b.url;
}

TEST(JtlReaderTest, ReadsJMeter213FileWithoutHeader) {
  const std::string path = kReference + "/reference.jtl";
  if (!std::ifstream(path)) GTEST_SKIP() << "shared reference not found: " << path;
  Result<std::vector<Sample>> samples = ReadJtlFile(path);
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  ASSERT_EQ(samples->size(), 500u);
  // 1795705931651,73,hello,200,OK,tg 1-2,text,true,331,3,3,73
  const Sample& s = (*samples)[0];
  EXPECT_EQ(s.timestamp_ms, 1795705931651);
  EXPECT_EQ(s.elapsed_us, 73'000);
  EXPECT_EQ(s.label, "hello");
  EXPECT_EQ(s.response_code, "200");
  EXPECT_EQ(s.response_message, "OK");
  EXPECT_EQ(s.thread_name, "tg 1-2");
  EXPECT_EQ(s.data_type, "text");
  EXPECT_TRUE(s.success);
  EXPECT_EQ(s.bytes, 331);
  EXPECT_EQ(s.grp_threads, 3);
  EXPECT_EQ(s.all_threads, 3);
  EXPECT_EQ(s.latency_us, 73'000);
  int failed = 0;
  for (const Sample& x : *samples) failed += !x.success;
  EXPECT_EQ(failed, 200);
}

TEST(JtlReaderTest, ReadsHeaderWithFailureMessage) {
  const std::string path = kReference + "/reference-with-header.jtl";
  if (!std::ifstream(path)) GTEST_SKIP() << "shared reference not found: " << path;
  Result<std::vector<Sample>> samples = ReadJtlFile(path);
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  ASSERT_EQ(samples->size(), 500u);
  int bad_assert = 0;
  for (const Sample& x : *samples) {
    if (x.label != "hello-bad-assert") continue;
    ++bad_assert;
    EXPECT_FALSE(x.success);
    EXPECT_EQ(x.failure_message, "Test failed: text expected to contain /NOT-IN-BODY/");
  }
  EXPECT_EQ(bad_assert, 100);
}

TEST(JtlReaderTest, ReadsBackWhatTheWriterWrote) {
  TempDir dir;
  const std::string path = dir.File("round.jtl");
  std::vector<Sample> in(3);
  in[0].timestamp_ms = 1700000000000;
  in[0].elapsed_us = 12'000;
  in[0].latency_us = 11'000;
  in[0].connect_us = 3'000;
  in[0].idle_us = 1'000;
  in[0].bytes = 1263;
  in[0].sent_bytes = 140;
  in[0].grp_threads = 2;
  in[0].all_threads = 4;
  in[0].label = "data, \"quoted\"";
  in[0].response_code = "200";
  in[0].response_message = "multi\nline\r\nmessage";
  in[0].thread_name = "tg 1-1";
  in[0].data_type = "text";
  in[0].url = "http://127.0.0.1:8080/data.json";
  in[1] = in[0];
  in[1].success = false;
  in[1].failure_message = "Test failed: code expected to equal /200/";
  in[1].url.clear();  // written as null, read back as ""
  in[2].label = "";
  Result<JtlWriter> w = JtlWriter::Open(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Write(in).ok());
  ASSERT_TRUE(w->Close().ok());
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_TRUE(SameSample(in[i], (*out)[i])) << "row " << i;
}

TEST(JtlReaderTest, AcceptsCrLfLineEndsAndABlankLastLine) {
  TempDir dir;
  const std::string path = dir.File("crlf.jtl");
  WriteWholeFile(path,
                 "timeStamp,elapsed,label,success\r\n"
                 "1000,5,a,true\r\n"
                 "2000,7,b,FALSE\r\n"
                 "\r\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].timestamp_ms, 2000);
  EXPECT_EQ((*out)[1].elapsed_us, 7000);
  EXPECT_EQ((*out)[1].label, "b");
  EXPECT_FALSE((*out)[1].success);
}

TEST(JtlReaderTest, SkipsAByteOrderMarkBeforeDataOrHeader) {
  TempDir dir;
  const std::string data = dir.File("bom-data.jtl");
  WriteWholeFile(data,
                 "\xEF\xBB\xBF"
                 "1795705931651,73,hello,200,OK,tg 1-2,text,true,331,3,3,73\n");
  Result<std::vector<Sample>> out = ReadJtlFile(data);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795705931651);
  const std::string header = dir.File("bom-header.jtl");
  WriteWholeFile(header,
                 "\xEF\xBB\xBF"
                 "timeStamp,elapsed\n1000,5\n");
  out = ReadJtlFile(header);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].elapsed_us, 5000);
}

TEST(JtlReaderTest, DetectsATabDelimiterFromTheHeader) {
  TempDir dir;
  const std::string path = dir.File("tab.jtl");
  WriteWholeFile(path, "timeStamp\telapsed\tlabel\n1000\t5\tx,y\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].label, "x,y");
}

TEST(JtlReaderTest, SkipsVariableColumnsAfterTheKnownOnes) {
  TempDir dir;
  const std::string path = dir.File("vars.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label,\"SESSION_ID\"\n1000,5,a,xyz\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].label, "a");
}

TEST(JtlReaderTest, HeaderlessFileWithUnknownFieldCountIsAnErrorNamingFileAndLine) {
  TempDir dir;
  const std::string path = dir.File("odd.jtl");
  WriteWholeFile(path, "1000,5,a,200\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find(path + ":1:"), std::string::npos) << out.status().message();
}

TEST(JtlReaderTest, BadNumberNamesFileLineAndColumn) {
  TempDir dir;
  const std::string path = dir.File("bad.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label\n1000,5,a\n2000,fast,b\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path + ":3: elapsed is not a whole number: 'fast'");
}

TEST(JtlReaderTest, NegativeDurationsSizesAndCountsNameFileLineAndColumn) {
  TempDir dir;
  const std::string path = dir.File("negative.jtl");
  const std::string header = "timeStamp,elapsed,Latency,Connect,IdleTime,bytes,sentBytes,grpThreads,allThreads\n";
  const std::string good = "1000,5,4,3,0,100,50,1,1\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"1000,-5,4,3,0,100,50,1,1", "elapsed is negative: '-5'"},
      {"1000,5,-4,3,0,100,50,1,1", "Latency is negative: '-4'"},
      {"1000,5,4,-3,0,100,50,1,1", "Connect is negative: '-3'"},
      {"1000,5,4,3,-1,100,50,1,1", "IdleTime is negative: '-1'"},
      {"1000,5,4,3,0,-100,50,1,1", "bytes is negative: '-100'"},
      {"1000,5,4,3,0,100,-50,1,1", "sentBytes is negative: '-50'"},
      {"1000,5,4,3,0,100,50,-1,1", "grpThreads is negative: '-1'"},
      {"1000,5,4,3,0,100,50,1,-1", "allThreads is negative: '-1'"},
      {"1000,9223372036854776,4,3,0,100,50,1,1", "elapsed is out of range: '9223372036854776'"},
  };
  for (const auto& [row, message] : cases) {
    WriteWholeFile(path, header + good + row + "\n");
    Result<std::vector<Sample>> out = ReadJtlFile(path);
    ASSERT_FALSE(out.ok()) << row;
    EXPECT_EQ(out.status().message(), path + ":3: " + message);
  }
}

TEST(JtlReaderTest, SuccessIsTrueOrFalseInAnyCaseAndNothingElse) {
  TempDir dir;
  const std::string path = dir.File("success.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,success\n1000,5,true\n1001,5,FALSE\n1002,5,True\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_TRUE((*out)[0].success);
  EXPECT_FALSE((*out)[1].success);
  EXPECT_TRUE((*out)[2].success);
  for (std::string bad : {"maybe", "", "1", "yes"}) {
    WriteWholeFile(path, "timeStamp,elapsed,success\n1000,5,true\n1001,5," + bad + "\n");
    Result<std::vector<Sample>> r = ReadJtlFile(path);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), path + ":3: success is neither true nor false: '" + bad + "'");
  }
}

TEST(JtlReaderTest, ShortRowIsAnError) {
  TempDir dir;
  const std::string path = dir.File("short.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label\n1000,5\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path + ":2: expected 3 fields, found 2");
}

TEST(JtlReaderTest, UnterminatedQuoteIsAnError) {
  TempDir dir;
  const std::string path = dir.File("quote.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label\n1000,5,\"open\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find(path), std::string::npos);
  EXPECT_NE(out.status().message().find("missing closing quote"), std::string::npos) << out.status().message();
}

TEST(JtlReaderTest, MissingFileNamesIt) {
  Result<std::vector<Sample>> out = ReadJtlFile("/nonexistent/results.jtl");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("/nonexistent/results.jtl"), std::string::npos);
}

TEST(JtlReaderTest, EmptyFileHasNoSamples) {
  TempDir dir;
  const std::string path = dir.File("empty.jtl");
  WriteWholeFile(path, "");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

Result<std::vector<Sample>> ReadText(const TempDir& dir, const std::string& text, const JtlReadOptions& options = {}) {
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, text);
  return ReadJtlFile(path, options);
}

TEST(JtlReaderTest, XmlResultsFileIsRejectedByName) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testResults version=\"1.2\">\n</testResults>\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path +
                                        ":1: an XML results file (jmeter.save.saveservice.output_format=xml); only "
                                        "CSV JTLs can be read");
}

TEST(JtlReaderTest, TakesColumnsByHeaderNameInAnyOrder) {
  TempDir dir;
  Result<std::vector<Sample>> out =
      ReadText(dir, "label,success,elapsed,Connect,timeStamp,responseCode\nlogin,false,12,3,1000,503\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  const Sample& s = (*out)[0];
  EXPECT_EQ(s.label, "login");
  EXPECT_FALSE(s.success);
  EXPECT_EQ(s.elapsed_us, 12'000);
  EXPECT_EQ(s.connect_us, 3'000);
  EXPECT_EQ(s.timestamp_ms, 1000);
  EXPECT_EQ(s.response_code, "503");
}

TEST(JtlReaderTest, IntendedStartGivesTheScheduleLag) {
  TempDir dir;
  Result<std::vector<Sample>> out =
      ReadText(dir, "timeStamp,elapsed,label,intendedStart\n1000,5,a,25\n2000,6,a,2000\n3000,7,b,\"2999\"\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].schedule_lag_us, 975'000);
  EXPECT_EQ((*out)[1].schedule_lag_us, 0);
  EXPECT_EQ((*out)[2].schedule_lag_us, 1'000);
}

TEST(JtlReaderTest, WithoutIntendedStartEveryLagIsZero) {
  TempDir dir;
  Result<std::vector<Sample>> out = ReadText(dir, "timeStamp,elapsed,label\n1000,5,a\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].schedule_lag_us, 0);
}

TEST(JtlReaderTest, BadIntendedStartNamesFileLineAndColumn) {
  TempDir dir;
  Result<std::vector<Sample>> after = ReadText(dir, "timeStamp,elapsed,intendedStart\n1000,5,900\n1000,5,1001\n");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().message(), dir.File("in.jtl") + ":3: intendedStart 1001 is after timeStamp 1000");
  Result<std::vector<Sample>> text = ReadText(dir, "timeStamp,elapsed,intendedStart\n1000,5,soon\n");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), dir.File("in.jtl") + ":2: intendedStart is not a whole number: 'soon'");
}

TEST(JtlReaderTest, SkipsColumnsJMeterDoesNotWrite) {
  TempDir dir;
  Result<std::vector<Sample>> out =
      ReadText(dir, "timeStamp,myTag,elapsed,label,Hostname,other\n1000,x,5,a,host1,\"y,z\"\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1000);
  EXPECT_EQ((*out)[0].elapsed_us, 5'000);
  EXPECT_EQ((*out)[0].label, "a");
}

TEST(JtlReaderTest, MissingColumnsKeepTheSampleDefaults) {
  TempDir dir;
  Result<std::vector<Sample>> out = ReadText(dir, "timeStamp,elapsed\n1000,5\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  const Sample& s = (*out)[0];
  EXPECT_TRUE(s.success);
  EXPECT_EQ(s.label, "");
  EXPECT_EQ(s.latency_us, 0);
  EXPECT_EQ(s.bytes, 0);
  EXPECT_EQ(s.url, "");
}

TEST(JtlReaderTest, HeaderWithoutTimeStampIsAnErrorOnLineOne) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "elapsed,label\n5,a\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path + ":1: the header has no timeStamp column");
}

TEST(JtlReaderTest, RepeatedHeaderColumnIsAnError) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label,elapsed\n1000,5,a,6\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path + ":1: column elapsed appears twice in the header");
}

TEST(JtlReaderTest, HeaderlessRowWithLabelNamedLikeAColumnIsData) {
  TempDir dir;
  Result<std::vector<Sample>> out = ReadText(dir, "1000,5,label,200,OK,tg 1-1,text,true,331,1,1,4\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].label, "label");
  EXPECT_EQ((*out)[0].latency_us, 4'000);
}

TEST(JtlReaderTest, ReadsJMeterSlashDateFormatAsLocalTime) {
  ScopedTimeZone tz("Europe/Berlin");
  TempDir dir;
  Result<std::vector<Sample>> out = ReadText(dir,
                                             "timeStamp,elapsed,label\n"
                                             "2026/11/26 19:00:00.123,5,winter\n"
                                             "2026/07/01 12:00:00.000,6,summer\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795716000123);  // 18:00:00.123 UTC (CET, +01:00)
  EXPECT_EQ((*out)[1].timestamp_ms, 1782900000000);  // 10:00:00 UTC (CEST, +02:00)
}

TEST(JtlReaderTest, ReadsDatesWithoutHeaderToo) {
  ScopedTimeZone tz("UTC");
  TempDir dir;
  Result<std::vector<Sample>> out = ReadText(dir, "2026/11/26 18:00:00,73,hello,200,OK,tg 1-2,text,true,331,3,3,73\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795716000000);
  EXPECT_EQ((*out)[0].label, "hello");
}

TEST(JtlReaderTest, ReadsIsoDatesWithTheirOwnOffset) {
  ScopedTimeZone tz("America/New_York");
  TempDir dir;
  Result<std::vector<Sample>> out =
      ReadText(dir, "timeStamp,elapsed\n2026-11-26T19:00:00.123+01:00,5\n2026-11-26T18:00:00.123Z,5\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795716000123);
  EXPECT_EQ((*out)[1].timestamp_ms, 1795716000123);
}

TEST(JtlReaderTest, UsesTheGivenTimestampFormat) {
  ScopedTimeZone tz("UTC");
  TempDir dir;
  JtlReadOptions options;
  options.timestamp_format = "dd.MM.yyyy HH:mm:ss.SSS";
  Result<std::vector<Sample>> out = ReadText(dir, "timeStamp,elapsed\n26.11.2026 17:00:00.500,5\n", options);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795712400500);
}

TEST(JtlReaderTest, RowNotMatchingTheDetectedDateFormatNamesItsLine) {
  ScopedTimeZone tz("UTC");
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "timeStamp,elapsed\n2026/11/26 18:00:00.000,5\n1795716000000,5\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            path + ":3: timeStamp '1795716000000' does not match the date format 'yyyy/MM/dd HH:mm:ss.SSS'");
}

TEST(JtlReaderTest, UnknownTimestampTextAsksForTheFormat) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "timeStamp,elapsed\nyesterday,5\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path +
                                        ":2: timeStamp 'yesterday' is neither epoch milliseconds nor a date in a "
                                        "known format (give its format with --timestamp-format)");
}

TEST(JtlReaderTest, InvalidTimestampFormatIsRejectedBeforeReading) {
  TempDir dir;
  JtlReadOptions options;
  options.timestamp_format = "yyyy-MM-dd bb";
  Result<std::vector<Sample>> out = ReadText(dir, "timeStamp,elapsed\n1000,5\n", options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(out.status().message().rfind("timestamp format 'yyyy-MM-dd bb': ", 0), 0u) << out.status().message();
}

TEST(JtlReaderTest, LineNumbersCountLineBreaksInsideQuotedFields) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "timeStamp,elapsed,label\n1000,5,\"two\nlines\"\n1001,5,\"a \"\"b\"\", c\"\n1002,x,d\n");
  Result<std::vector<Sample>> out = ReadJtlFile(path);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), path + ":5: elapsed is not a whole number: 'x'");
}

TEST(JtlReaderTest, CallbackErrorStopsReadingAndIsReturned) {
  TempDir dir;
  const std::string path = dir.File("in.jtl");
  WriteWholeFile(path, "timeStamp,elapsed\n1000,5\n1001,5\n1002,5\n");
  int calls = 0;
  Status st = ReadJtl(path, JtlReadOptions{}, [&](Sample&&, int64_t line) {
    ++calls;
    return line == 3 ? Status::IoError("store full") : Status::Ok();
  });
  EXPECT_EQ(st.message(), "store full");
  EXPECT_EQ(calls, 2);
}

// Hostile input: mutations of a valid file never crash the reader, and every error is one
// "path:LINE: message" with LINE >= 1.
TEST(JtlReaderTest, MutatedFilesEitherReadOrFailNamingALine) {
  // Many small files: in memory (/dev/shm) when there is one, as disk writes dominate.
  TempDir dir;
  const std::string path = access("/dev/shm", W_OK) == 0
                               ? "/dev/shm/barrage-jtl-mutated-" + std::to_string(getpid()) + ".jtl"
                               : dir.File("m.jtl");
  struct Remove {
    std::string path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{path};
  const std::string base = std::string(JtlHeader()) +
                           "\n1795705931651,73,\"a,\"\"b\"\"\",200,OK,tg 1-2,text,true,,331,118,3,5,null,72,0,1\n"
                           "1795705931652,7,\"x\ny\",500,\"E\r\nF\",tg 1-1,,false,boom,1,2,3,4,http://h/,5,6,7\n";
  const std::string alphabet = ",\"\r\n0a-:/ \xEF\xBB\xBF\xFF";
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  for (int round = 0; round < 1000; ++round) {
    std::string text = base;
    const size_t edits = 1 + next() % 4;
    for (size_t e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = next() % text.size();
      switch (next() % 3) {
        case 0: text[at] = alphabet[next() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + next() % 8); break;
        default: text.insert(at, 1, alphabet[next() % alphabet.size()]); break;
      }
    }
    WriteWholeFile(path, text);
    Result<std::vector<Sample>> out = ReadJtlFile(path);
    if (out.ok()) continue;
    const std::string& m = out.status().message();
    ASSERT_EQ(m.rfind(path + ":", 0), 0u) << m;
    const std::string rest = m.substr(path.size() + 1);
    ASSERT_FALSE(rest.empty() || rest[0] < '1' || rest[0] > '9') << m;
    ASSERT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}

}  // namespace
}  // namespace barrage
