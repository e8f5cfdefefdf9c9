#include "controller/jtl_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "controller/jtl_writer.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

const std::string kReference = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference";

bool SameSample(const Sample& a, const Sample& b) {
  return a.timestamp_ms == b.timestamp_ms && a.elapsed_us == b.elapsed_us && a.latency_us == b.latency_us &&
         a.connect_us == b.connect_us && a.idle_us == b.idle_us && a.bytes == b.bytes &&
         a.sent_bytes == b.sent_bytes && a.grp_threads == b.grp_threads && a.all_threads == b.all_threads &&
         a.success == b.success && a.label == b.label && a.response_code == b.response_code &&
         a.response_message == b.response_message && a.thread_name == b.thread_name &&
         a.data_type == b.data_type && a.failure_message == b.failure_message && a.url == b.url;
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
  WriteWholeFile(data, "\xEF\xBB\xBF" "1795705931651,73,hello,200,OK,tg 1-2,text,true,331,3,3,73\n");
  Result<std::vector<Sample>> out = ReadJtlFile(data);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].timestamp_ms, 1795705931651);
  const std::string header = dir.File("bom-header.jtl");
  WriteWholeFile(header, "\xEF\xBB\xBF" "timeStamp,elapsed\n1000,5\n");
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

}  // namespace
}  // namespace barrage
