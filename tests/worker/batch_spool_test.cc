#include "worker/batch_spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace barrage {
namespace {

class BatchSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("barrage-spool-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  size_t FilesOnDisk() const {
    if (!std::filesystem::exists(dir_)) return 0;
    return static_cast<size_t>(
        std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()));
  }
  std::filesystem::path dir_;
};

TEST_F(BatchSpoolTest, WritesEveryBatchAheadKeepsACopyInMemoryUnderTheLimitAndForgetsOnAck) {
  BatchSpool spool(dir_.string(), 100);
  ASSERT_TRUE(spool.Add(1, 10, std::string(40, 'a')).ok());
  ASSERT_TRUE(spool.Add(2, 20, std::string(40, 'b')).ok());
  EXPECT_EQ(spool.batches(), 2u);
  EXPECT_EQ(spool.samples(), 30u);
  EXPECT_EQ(spool.memory_bytes(), 80u);
  EXPECT_EQ(spool.on_disk(), 2u);
  EXPECT_EQ(FilesOnDisk(), 2u);
  EXPECT_TRUE(spool.Ack(1));
  EXPECT_FALSE(spool.Ack(1));  // a duplicate ack
  EXPECT_EQ(spool.samples(), 20u);
  EXPECT_EQ(FilesOnDisk(), 1u);
  EXPECT_EQ(*spool.Frame(2), std::string(40, 'b'));
}

TEST_F(BatchSpoolTest, PastTheMemoryLimitFramesAreReadBackFromDisk) {
  BatchSpool spool(dir_.string(), 50);
  ASSERT_TRUE(spool.Add(1, 1, std::string(40, 'a')).ok());
  ASSERT_TRUE(spool.Add(2, 1, std::string(40, 'b')).ok());  // 80 > 50: disk only
  ASSERT_TRUE(spool.Add(3, 1, std::string(5, 'c')).ok());   // 45 <= 50: memory too
  EXPECT_EQ(spool.memory_bytes(), 45u);
  EXPECT_EQ(FilesOnDisk(), 3u);
  EXPECT_EQ(*spool.Frame(2), std::string(40, 'b'));
  EXPECT_TRUE(spool.Ack(2));
  EXPECT_EQ(FilesOnDisk(), 2u);
}

TEST_F(BatchSpoolTest, NextAtOrAfterWalksInSeqOrder) {
  BatchSpool spool(dir_.string(), 0);  // nothing in memory
  for (uint64_t seq : {5, 3, 9}) ASSERT_TRUE(spool.Add(seq, 1, "x" + std::to_string(seq)).ok());
  EXPECT_EQ(spool.NextAtOrAfter(0), 3u);
  EXPECT_EQ(spool.NextAtOrAfter(4), 5u);
  EXPECT_EQ(spool.NextAtOrAfter(6), 9u);
  EXPECT_FALSE(spool.NextAtOrAfter(10).has_value());
  EXPECT_EQ(*spool.Frame(9), "x9");
}

// Issue 16, item 11: what a process did not get acknowledged survives it; the next one
// takes the files up again and leaves alone what is not a batch.
TEST_F(BatchSpoolTest, UnacknowledgedBatchesOutliveTheSpoolAndAreRecovered) {
  {
    BatchSpool spool(dir_.string(), 1 << 20);
    ASSERT_TRUE(spool.Add(1, 2, "aa").ok());
    ASSERT_TRUE(spool.Add(2, 3, "bbb").ok());
    ASSERT_TRUE(spool.Add(3, 1, "c").ok());
    EXPECT_TRUE(spool.Ack(2));
  }
  std::ofstream(dir_ / "7.batch") << "junk";
  std::ofstream(dir_ / "notes.txt") << "not a batch file name";
  BatchSpool again(dir_.string(), 1 << 20);
  std::vector<std::string> problems;
  again.Recover(
      [](const std::string& frame) -> Result<uint64_t> {
        if (frame == "junk") return Status::InvalidArgument("not a sample batch");
        return static_cast<uint64_t>(frame.size());
      },
      &problems);
  EXPECT_EQ(problems, (std::vector<std::string>{(dir_ / "7.batch").string() + ": not a sample batch"}));
  EXPECT_EQ(again.batches(), 2u);
  EXPECT_EQ(again.samples(), 3u);
  EXPECT_EQ(again.NextAtOrAfter(0), 1u);
  EXPECT_EQ(again.NextAtOrAfter(2), 3u);
  EXPECT_EQ(*again.Frame(1), "aa");
  EXPECT_EQ(*again.Frame(3), "c");
  EXPECT_TRUE(again.Ack(1));
  EXPECT_TRUE(again.Ack(3));
  EXPECT_EQ(FilesOnDisk(), 2u);  // 7.batch and notes.txt, left alone
}

TEST_F(BatchSpoolTest, DiskFailureKeepsFramesInMemoryUpToTheCapThenReportsTheLoss) {
  // The spool "directory" is a regular file: every write fails.
  std::ofstream(dir_.string()) << "not a directory";
  BatchSpool spool((dir_ / "spool").string(), 10, /*memory_cap_bytes=*/50);
  ASSERT_TRUE(spool.Add(1, 3, std::string(30, 'a')).ok());  // not written: kept in memory
  EXPECT_EQ(spool.memory_only_samples(), 3u);
  Status lost = spool.Add(2, 4, std::string(30, 'b'));  // 60 > cap: lost
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.message().rfind((dir_ / "spool" / "2.batch").string() + ": cannot spool a sample batch: ", 0), 0u)
      << lost.message();
  EXPECT_EQ(spool.batches(), 1u);
  EXPECT_EQ(spool.samples(), 3u);
  EXPECT_EQ(*spool.Frame(1), std::string(30, 'a'));
  EXPECT_TRUE(spool.Ack(1));
  EXPECT_EQ(spool.memory_only_samples(), 0u);
}

}  // namespace
}  // namespace barrage
