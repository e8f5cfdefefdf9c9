#include "common/input_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(ReadRegularFileTest, ReadsTheWholeFile) {
  TempDir dir;
  WriteWholeFile(dir.File("a.jmx"), std::string("x\0y", 3));
  Result<std::string> r = ReadRegularFile(dir.File("a.jmx"), kMaxPlanBytes, "a plan");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, std::string("x\0y", 3));
}

TEST(ReadRegularFileTest, MissingFileIsNotFoundNamingIt) {
  Result<std::string> r = ReadRegularFile("/nonexistent/plan.jmx", kMaxPlanBytes, "a plan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/plan.jmx: no such file");
}

TEST(ReadRegularFileTest, DirectoryIsRefused) {
  TempDir dir;
  Result<std::string> r = ReadRegularFile(dir.File(""), kMaxPlanBytes, "a plan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), dir.File("") + ": not a regular file (a directory)");
}

TEST(ReadRegularFileTest, DevZeroIsRefusedWithoutReading) {
  Result<std::string> r = ReadRegularFile("/dev/zero", kMaxPlanBytes, "a plan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/dev/zero: not a regular file (a character device)");
}

TEST(ReadRegularFileTest, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.File("plan.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> r = ReadRegularFile(fifo, kMaxPlanBytes, "a plan");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), fifo + ": not a regular file (a FIFO)");
}

TEST(ReadRegularFileTest, FileOverTheLimitIsRefusedBeforeReading) {
  TempDir dir;
  const std::string big = dir.File("big.jmx");
  WriteWholeFile(big, "");
  // Sparse: 64 MiB + 1 byte without writing them.
  std::filesystem::resize_file(big, kMaxPlanBytes + 1);
  Result<std::string> r = ReadRegularFile(big, kMaxPlanBytes, "a plan");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), big + ": 67108865 bytes, more than the 67108864-byte limit for a plan");
}

TEST(ReadRegularFileTest, FileAtTheLimitIsRead) {
  TempDir dir;
  WriteWholeFile(dir.File("ten"), "0123456789");
  Result<std::string> r = ReadRegularFile(dir.File("ten"), 10, "a test file");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "0123456789");
  Result<std::string> over = ReadRegularFile(dir.File("ten"), 9, "a test file");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), dir.File("ten") + ": 10 bytes, more than the 9-byte limit for a test file");
}

TEST(ReadRegularFileTest, SymbolicLinkToARegularFileIsRead) {
  TempDir dir;
  WriteWholeFile(dir.File("real"), "abc");
  std::filesystem::create_symlink(dir.File("real"), dir.File("link"));
  Result<std::string> r = ReadRegularFile(dir.File("link"), 10, "a test file");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "abc");
}

TEST(ReadRegularFileTest, UnreadableFileNamesTheReason) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  TempDir dir;
  WriteWholeFile(dir.File("secret"), "abc");
  ASSERT_EQ(chmod(dir.File("secret").c_str(), 0), 0);
  Result<std::string> r = ReadRegularFile(dir.File("secret"), 10, "a test file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIoError);
  EXPECT_EQ(r.status().message(), dir.File("secret") + ": cannot open: Permission denied");
}

TEST(OpenRegularFileTest, StreamsARegularFile) {
  TempDir dir;
  WriteWholeFile(dir.File("a.jtl"), "line\n");
  Result<UniqueFile> f = OpenRegularFile(dir.File("a.jtl"), kNoSizeLimit, "a JTL");
  ASSERT_TRUE(f.ok()) << f.status().message();
  char buf[16] = {};
  EXPECT_EQ(std::fread(buf, 1, sizeof buf, f->get()), 5u);
  EXPECT_EQ(std::string(buf), "line\n");
}

TEST(OpenRegularFileTest, RefusesWhatReadRegularFileRefuses) {
  TempDir dir;
  const std::string fifo = dir.File("x.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {std::string("/dev/zero"), fifo, dir.File("")}) {
    Result<UniqueFile> f = OpenRegularFile(path, kNoSizeLimit, "a JTL");
    ASSERT_FALSE(f.ok()) << path;
    EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument) << path;
    EXPECT_NE(f.status().message().find(": not a regular file ("), std::string::npos) << f.status().message();
  }
}

}  // namespace
}  // namespace barrage
