// `barrage import` and `barrage export` as a user runs them: the real binary.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "controller/jtl_writer.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kTimeout{60'000};
const std::string kReference = std::string(BARRAGE_SHARED_DIR) + "/jmeter-reference";

test::ProcessResult Barrage(std::vector<std::string> args) {
  args.insert(args.begin(), BARRAGE_BINARY);
  return test::RunProcess(args, kTimeout);
}

const char kJtl[] =
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
    "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    "1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,118,3,5,http://127.0.0.1:8080/hello.txt,72,0,1\n"
    "1795705931600,1204,\"login, \"\"2\"\"\",503,\"Service\nUnavailable\",tg 1-1,text,false,\"boom, big\",512,240,"
    "3,5,null,1100,0,12\n";

TEST(JtlCliTest, ImportPrintsTheRunIdAndExportWritesTheSameFile) {
  TempDir dir;
  const std::string in = dir.File("in.jtl"), out = dir.File("out.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, kJtl);
  test::ProcessResult imported = Barrage({"import", in, "--db", db});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(imported.out, "1\n");
  test::ProcessResult exported = Barrage({"export", "last", "-o", out, "--db", db});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(ReadWholeFile(out), kJtl);
  EXPECT_EQ(exported.err, "barrage: wrote 2 samples of run 1 to " + out + "\n");
}

TEST(JtlCliTest, SecondImportGetsTheNextIdAndExportsByIdToStandardOutput) {
  TempDir dir;
  const std::string in = dir.File("in.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, kJtl);
  ASSERT_EQ(Barrage({"import", in, "--db", db}).out, "1\n");
  WriteWholeFile(in, std::string(JtlHeader()) + "\n1000,5,only,200,OK,t 1-1,text,true,,1,2,1,1,null,4,0,0\n");
  ASSERT_EQ(Barrage({"import", in, "--db", db}).out, "2\n");
  test::ProcessResult first = Barrage({"export", "1", "-o", "-", "--db", db});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, kJtl);
}

TEST(JtlCliTest, ProjectsKeepTheirRunsApart) {
  TempDir dir;
  const std::string in = dir.File("in.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, kJtl);
  ASSERT_EQ(Barrage({"import", in, "--db", db, "--project", "shop"}).exit_code, 0);
  test::ProcessResult other = Barrage({"export", "last", "-o", dir.File("o.jtl"), "--db", db, "--project", "blog"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  test::ProcessResult same = Barrage({"export", "last", "-o", "-", "--db", db, "--project", "shop"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, kJtl);
}

TEST(JtlCliTest, ReferenceJMeterFileImportsWithAllItsRows) {
  const std::string jtl = kReference + "/reference.jtl";
  if (!std::ifstream(jtl)) GTEST_SKIP() << "shared reference not found: " << jtl;
  TempDir dir;
  const std::string db = dir.File("r.db");
  test::ProcessResult imported = Barrage({"import", jtl, "--db", db});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  test::ProcessResult exported =
      Barrage({"export", imported.out.substr(0, imported.out.size() - 1), "-o", "-", "--db", db});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  size_t lines = 0;
  for (char c : exported.out) lines += c == '\n';
  EXPECT_EQ(lines, 501u);  // header + 500 samples
  EXPECT_EQ(exported.out.rfind(std::string(JtlHeader()) + "\n1795705931651,73,hello,200,OK,tg 1-2,text,true,,331,0,3,3,"
                                                          "null,73,0,0\n",
                               0),
            0u);
}

TEST(JtlCliTest, MalformedImportExitsTwoNamingFileAndLine) {
  TempDir dir;
  const std::string in = dir.File("bad.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, "timeStamp,elapsed,label\n1000,5,a\n1001,\"5,b\n");
  test::ProcessResult r = Barrage({"import", in, "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "barrage: " + in + ":3: missing closing quote\n");
}

TEST(JtlCliTest, MissingJtlExitsTwo) {
  TempDir dir;
  test::ProcessResult r = Barrage({"import", dir.File("none.jtl"), "--db", dir.File("r.db")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + dir.File("none.jtl") + ": no such file\n");
}

TEST(JtlCliTest, TimestampFormatOptionReadsDates) {
  TempDir dir;
  const std::string in = dir.File("dates.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, "timeStamp,elapsed,label\n26.11.2026 18:00:00.123 +0000,5,a\n");
  test::ProcessResult imported = Barrage({"import", in, "--db", db, "--timestamp-format", "dd.MM.yyyy HH:mm:ss.SSS Z"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  test::ProcessResult exported = Barrage({"export", "last", "-o", "-", "--db", db});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, std::string(JtlHeader()) + "\n1795716000123,5,a,,,,,true,,0,0,0,0,null,0,0,0\n");
}

TEST(JtlCliTest, ExportOfAnUnknownRunExitsTwo) {
  TempDir dir;
  const std::string in = dir.File("in.jtl"), db = dir.File("r.db");
  WriteWholeFile(in, kJtl);
  ASSERT_EQ(Barrage({"import", in, "--db", db}).out, "1\n");
  test::ProcessResult r = Barrage({"export", "17", "-o", dir.File("o.jtl"), "--db", db});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage: " + db + ": no run 17 in project 'default'\n");
}

}  // namespace
}  // namespace barrage
