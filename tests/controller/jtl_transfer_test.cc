// `barrage import` / `barrage export` as library calls against a real store file.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "controller/jtl_export.h"
#include "controller/jtl_import.h"
#include "controller/jtl_writer.h"
#include "controller/results_store.h"
#include "tests/controller/scoped_time_zone.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

const std::string kReference = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference";
const std::string kJMeter213 = std::string(BARRAGE_TEST_DATA_DIR) + "/jmeter213";

// A JMeter 5.x default JTL exercising every quoting rule: delimiter, quote, CR, LF, a null
// URL, empty fields, a failure message, non-ASCII text and rows not in timeStamp order.
std::string SeventeenColumnJtl() {
  return std::string(JtlHeader()) + "\n" +
         "1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,118,3,5,http://127.0.0.1:8080/hello.txt,72,0,1\n"
         "1795705931600,1204,\"login, step \"\"2\"\"\",503,\"Service\r\nUnavailable\",tg 1-1,text,false,"
         "Test failed: text expected to contain /perf-anchor/,512,240,3,5,"
         "\"http://127.0.0.1:8080/login?a=1,b=2\",1100,0,12\n"
         "1795705932700,0,Transaction – ünïcode,200,\"Number of samples in transaction : 2, number of failing "
         "samples : 0\",tg 1-3,,true,,1662,236,3,5,null,0,15,0\n"
         "1795705932701,9,\"multi\nline\",Non HTTP response code: java.net.ConnectException,"
         "Non HTTP response message: Connection refused,tg 1-3,text,false,,1783,0,2,4,"
         "http://127.0.0.1:9/x,0,0,9\n";
}

struct Imported {
  int64_t id = 0;
  std::string exported;
};

class JtlTransferTest : public ::testing::Test {
 protected:
  Result<ResultsStore> OpenStore() {
    ResultsStore::Options options;
    options.project = "default";
    return ResultsStore::Open(dir_.File("results.db"), options);
  }

  // Imports `jtl_text` and exports the new run again.
  Imported RoundTrip(const std::string& jtl_text, const std::string& plan = "") {
    Imported r;
    const std::string in = dir_.File("in.jtl");
    WriteWholeFile(in, jtl_text);
    Result<ResultsStore> store = OpenStore();
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return r;
    ImportOptions options;
    options.jtl_path = in;
    options.plan_path = plan;
    Result<ImportSummary> summary = ImportJtl(*store, options);
    EXPECT_TRUE(summary.ok()) << summary.status().message();
    if (!summary.ok()) return r;
    r.id = summary->execution_id;
    const std::string out = dir_.File("out.jtl");
    Result<uint64_t> rows = ExportJtl(*store, r.id, out);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    EXPECT_TRUE(store->Close().ok());
    r.exported = ReadWholeFile(out);
    return r;
  }

  TempDir dir_;
};

TEST_F(JtlTransferTest, ImportThenExportGivesBackTheSameSeventeenColumnsByteForByte) {
  const std::string jtl = SeventeenColumnJtl();
  Imported r = RoundTrip(jtl);
  EXPECT_EQ(r.exported, jtl);
}

TEST_F(JtlTransferTest, JMeter213FileComesBackWithTheFiveMissingColumnsAtTheirDefaults) {
  const std::string path = kReference + "/reference.jtl";
  if (!std::ifstream(path)) GTEST_SKIP() << "shared reference not found: " << path;
  const std::string original = ReadWholeFile(path);
  // 12 columns (no quoting in this file): timeStamp,elapsed,label,responseCode,
  // responseMessage,threadName,dataType,success,bytes,grpThreads,allThreads,Latency.
  std::string expected = std::string(JtlHeader()) + "\n";
  std::istringstream lines(original);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) f.push_back(field);
    ASSERT_EQ(f.size(), 12u) << line;
    expected += f[0] + "," + f[1] + "," + f[2] + "," + f[3] + "," + f[4] + "," + f[5] + "," + f[6] + "," + f[7] + ",," +
                f[8] + ",0," + f[9] + "," + f[10] + ",null," + f[11] + ",0,0\n";
  }
  Imported r = RoundTrip(original);
  EXPECT_EQ(r.exported, expected);
}

TEST_F(JtlTransferTest, HeaderFileWithFailureMessagesComesBackInTheSameOrder) {
  const std::string path = kReference + "/reference-with-header.jtl";
  if (!std::ifstream(path)) GTEST_SKIP() << "shared reference not found: " << path;
  const std::string original = ReadWholeFile(path);
  // Exporting what was imported, then importing and exporting that again, changes nothing.
  Imported first = RoundTrip(original);
  ASSERT_FALSE(first.exported.empty());
  Imported second = RoundTrip(first.exported);
  EXPECT_EQ(second.exported, first.exported);
  EXPECT_NE(first.exported.find(",false,Test failed: text expected to contain /NOT-IN-BODY/,331,0,"),
            std::string::npos);
}

// Written by real JMeter 2.13 with 20 columns (tests/data/jmeter213/README.md): failure
// messages span several lines; the expected export was made from it by Python's csv module.
TEST_F(JtlTransferTest, RealJMeterFileWithTwentyColumnsExportsItsSeventeen) {
  Imported r = RoundTrip(ReadWholeFile(kJMeter213 + "/all-columns.jtl"));
  EXPECT_EQ(r.exported, ReadWholeFile(kJMeter213 + "/all-columns.export.jtl"));
}

// Written by real JMeter 2.13 with timestamp_format=yyyy/MM/dd HH:mm:ss.SSS in a UTC JVM.
TEST_F(JtlTransferTest, RealJMeterFileWithDatesExportsEpochMilliseconds) {
  ScopedTimeZone tz("UTC");
  Imported r = RoundTrip(ReadWholeFile(kJMeter213 + "/dates-utc.jtl"));
  EXPECT_EQ(r.exported, ReadWholeFile(kJMeter213 + "/dates-utc.export.jtl"));
}

// Random samples with every character the quoting rules care about: written as a JTL,
// imported and exported, the file comes back byte for byte.
TEST_F(JtlTransferTest, RandomTextRoundTripsByteForByte) {
  const std::vector<std::string> pieces = {",", "\"", "\r", "\n", "\r\n", " ", "a", "ü", "–", "null", "''", ";", "\t"};
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  auto text = [&] {
    std::string t;
    for (size_t n = next() % 6; n > 0; --n) t += pieces[next() % pieces.size()];
    return t;
  };
  std::string jtl = std::string(JtlHeader()) + "\n";
  for (int i = 0; i < 300; ++i) {
    Sample s;
    s.timestamp_ms = 1795705931000 + static_cast<int64_t>(next() % 100000);
    s.elapsed_us = static_cast<int64_t>(next() % 100000) * 1000;
    s.latency_us = static_cast<int64_t>(next() % 1000) * 1000;
    s.connect_us = static_cast<int64_t>(next() % 50) * 1000;
    s.idle_us = static_cast<int64_t>(next() % 5) * 1000;
    s.bytes = static_cast<int64_t>(next() % 100000);
    s.sent_bytes = static_cast<int64_t>(next() % 1000);
    s.grp_threads = static_cast<int32_t>(next() % 100);
    s.all_threads = static_cast<int32_t>(next() % 1000);
    s.success = next() % 4 != 0;
    s.label = "l" + text();  // a label of its own for many rows: many labels
    s.response_code = text();
    s.response_message = text();
    s.thread_name = text();
    s.data_type = next() % 2 ? "text" : "";
    s.failure_message = s.success ? "" : text();
    s.url = next() % 3 ? "http://127.0.0.1/" + text() : "";
    AppendJtlRow(s, &jtl);
  }
  Imported r = RoundTrip(jtl);
  EXPECT_EQ(r.exported, jtl);
}

TEST_F(JtlTransferTest, ImportedRunIsPassedAndSpansItsSamples) {
  Imported r = RoundTrip(SeventeenColumnJtl());
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  Result<ExecutionRecord> e = store->GetExecution(r.id);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->status, ExecutionStatus::kPassed);
  EXPECT_EQ(e->started_at_ms, 1795705931600);       // the earliest start (second row)
  EXPECT_EQ(e->ended_at_ms, 1795705931600 + 1204);  // the latest end: second row's start + elapsed
  EXPECT_EQ(e->plan_name, "in.jtl");
  EXPECT_EQ(e->samples, 4u);
  EXPECT_EQ(e->infra_json, R"({"jtl":")" + dir_.File("in.jtl") + R"(","mode":"imported"})");
}

TEST_F(JtlTransferTest, ImportWritesAnImportedAuditEntry) {
  Imported r = RoundTrip(SeventeenColumnJtl());
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  Result<std::vector<AuditRecord>> audit = store->AuditLog(r.id);
  ASSERT_TRUE(audit.ok()) << audit.status().message();
  int imported = 0, exported = 0;
  for (const AuditRecord& a : *audit) {
    if (a.what == "imported") {
      ++imported;
      EXPECT_EQ(a.details, dir_.File("in.jtl") + " (4 samples)");
    }
    exported += a.what == "exported";
  }
  EXPECT_EQ(imported, 1);
  EXPECT_EQ(exported, 1);
}

TEST_F(JtlTransferTest, ImportWithPlanStoresItsDefinition) {
  const std::string plan = kReference + "/plan-jtl-reference.jmx";
  if (!std::ifstream(plan)) GTEST_SKIP() << "shared reference not found: " << plan;
  Imported r = RoundTrip(SeventeenColumnJtl(), plan);
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  Result<ExecutionRecord> e = store->GetExecution(r.id);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->plan_path, plan);
  EXPECT_EQ(e->definition_version, 1);
  EXPECT_EQ(e->plan_sha256.size(), 64u);
}

TEST_F(JtlTransferTest, MalformedFileNamesItsLineAndLeavesNoRun) {
  const std::string in = dir_.File("bad.jtl");
  WriteWholeFile(in, "timeStamp,elapsed,label\n1000,5,a\n1001,5,b\n1002,slow,c\n");
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  ImportOptions options;
  options.jtl_path = in;
  Result<ImportSummary> summary = ImportJtl(*store, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().message(), in + ":4: elapsed is not a whole number: 'slow'");
  Result<std::vector<ExecutionRecord>> runs = store->ListExecutions();
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->empty());
}

TEST_F(JtlTransferTest, FileWithoutSamplesIsAnError) {
  const std::string in = dir_.File("empty.jtl");
  WriteWholeFile(in, std::string(JtlHeader()) + "\n");
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  ImportOptions options;
  options.jtl_path = in;
  Result<ImportSummary> summary = ImportJtl(*store, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().message(), in + ": no samples to import");
}

TEST_F(JtlTransferTest, UnreadablePlanIsAnInputError) {
  const std::string in = dir_.File("in.jtl");
  WriteWholeFile(in, SeventeenColumnJtl());
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  ImportOptions options;
  options.jtl_path = in;
  options.plan_path = dir_.File("nope.jmx");
  Result<ImportSummary> summary = ImportJtl(*store, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kNotFound);
  EXPECT_NE(summary.status().message().find(dir_.File("nope.jmx")), std::string::npos);
}

TEST_F(JtlTransferTest, ExportToAnUnwritablePathNamesIt) {
  Imported r = RoundTrip(SeventeenColumnJtl());
  Result<ResultsStore> store = OpenStore();
  ASSERT_TRUE(store.ok());
  Result<uint64_t> rows = ExportJtl(*store, r.id, dir_.File("no/such/dir/out.jtl"));
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find(dir_.File("no/such/dir/out.jtl")), std::string::npos);
}

}  // namespace
}  // namespace barrage
