#include "worker/batch_spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace barrage {
namespace {

class BatchSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("barrage-spool-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  size_t FilesOnDisk() const {
    if (!std::filesystem::exists(dir_)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_),
                                             std::filesystem::directory_iterator()));
  }
  std::filesystem::path dir_;
};

TEST_F(BatchSpoolTest, KeepsInMemoryUnderTheLimitAndForgetsOnAck) {
  BatchSpool spool(dir_.string(), 100);
  ASSERT_TRUE(spool.Add(1, 10, std::string(40, 'a')).ok());
  ASSERT_TRUE(spool.Add(2, 20, std::string(40, 'b')).ok());
  EXPECT_EQ(spool.batches(), 2u);
  EXPECT_EQ(spool.samples(), 30u);
  EXPECT_EQ(spool.memory_bytes(), 80u);
  EXPECT_EQ(spool.spilled(), 0u);
  EXPECT_EQ(FilesOnDisk(), 0u);
  EXPECT_TRUE(spool.Ack(1));
  EXPECT_FALSE(spool.Ack(1));  // a duplicate ack
  EXPECT_EQ(spool.samples(), 20u);
  EXPECT_EQ(*spool.Frame(2), std::string(40, 'b'));
}

TEST_F(BatchSpoolTest, SpillsPastTheLimitAndReadsBack) {
  BatchSpool spool(dir_.string(), 50);
  ASSERT_TRUE(spool.Add(1, 1, std::string(40, 'a')).ok());
  ASSERT_TRUE(spool.Add(2, 1, std::string(40, 'b')).ok());  // 80 > 50: to disk
  ASSERT_TRUE(spool.Add(3, 1, std::string(5, 'c')).ok());   // 45 <= 50: memory
  EXPECT_EQ(spool.spilled(), 1u);
  EXPECT_EQ(spool.memory_bytes(), 45u);
  EXPECT_EQ(FilesOnDisk(), 1u);
  EXPECT_EQ(*spool.Frame(2), std::string(40, 'b'));
  EXPECT_TRUE(spool.Ack(2));
  EXPECT_EQ(FilesOnDisk(), 0u);
}

TEST_F(BatchSpoolTest, NextAtOrAfterWalksInSeqOrder) {
  BatchSpool spool(dir_.string(), 0);  // everything on disk
  for (uint64_t seq : {5, 3, 9}) ASSERT_TRUE(spool.Add(seq, 1, "x" + std::to_string(seq)).ok());
  EXPECT_EQ(spool.NextAtOrAfter(0), 3u);
  EXPECT_EQ(spool.NextAtOrAfter(4), 5u);
  EXPECT_EQ(spool.NextAtOrAfter(6), 9u);
  EXPECT_FALSE(spool.NextAtOrAfter(10).has_value());
  EXPECT_EQ(*spool.Frame(9), "x9");
  EXPECT_EQ(spool.Clear(), 3u);
  EXPECT_EQ(FilesOnDisk(), 0u);
}

TEST_F(BatchSpoolTest, DiskFailureKeepsFramesInMemoryUpToTheCapThenReportsTheLoss) {
  // The spool "directory" is a regular file: every spill fails.
  std::ofstream(dir_.string()) << "not a directory";
  BatchSpool spool((dir_ / "spool").string(), 10, /*memory_cap_bytes=*/50);
  ASSERT_TRUE(spool.Add(1, 3, std::string(30, 'a')).ok());  // spill fails: kept in memory
  Status lost = spool.Add(2, 4, std::string(30, 'b'));       // 60 > cap: lost
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.message().rfind((dir_ / "spool" / "2.batch").string() + ": cannot spill a sample batch: ", 0), 0u)
      << lost.message();
  EXPECT_EQ(spool.batches(), 1u);
  EXPECT_EQ(spool.samples(), 3u);
  EXPECT_EQ(*spool.Frame(1), std::string(30, 'a'));
}

}  // namespace
}  // namespace barrage
