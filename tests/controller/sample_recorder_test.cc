#include "controller/sample_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

std::vector<Sample> Batch(int n) {
  Sample s;
  s.label = "home";
  s.timestamp_ms = 1795705931000;
  s.response_code = "200";
  s.success = true;
  return std::vector<Sample>(n, s);
}

// A JTL that flushes every row, so a write error shows at once.
Result<JtlWriter> OpenJtl(const std::string& path) {
  return JtlWriter::Open(path, JtlWriter::Mode::kTruncate, {.flush_interval = std::chrono::milliseconds(0)});
}

ExecutionInfo Info() { return {.plan_path = "/plans/shop.jmx", .plan_name = "Shop", .started_at_ms = 1795705930953}; }

TEST(SampleRecorderTest, BothRecordsReceiveEveryBatch) {
  TempDir dir;
  Result<JtlWriter> jtl = OpenJtl(dir.File("r.jtl"));
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(jtl.ok() && store.ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  SampleRecorder recorder(&*jtl, &*store);
  EXPECT_TRUE(recorder.Record(Batch(3), 0));
  EXPECT_TRUE(recorder.Record(Batch(2), 0));
  recorder.Poll();
  EXPECT_FALSE(recorder.failed());
  EXPECT_TRUE(recorder.recording());
  EXPECT_EQ(jtl->rows_written(), 5u);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(*store->CountSamples(1), 5);
}

TEST(SampleRecorderTest, AFailedJtlLeavesTheStoreRecordingEveryBatch) {
  if (!std::ifstream("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  TempDir dir;
  Result<JtlWriter> jtl = OpenJtl("/dev/full");
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(jtl.ok() && store.ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  SampleRecorder recorder(&*jtl, &*store);
  EXPECT_TRUE(recorder.Record(Batch(3), 0));
  EXPECT_TRUE(recorder.failed());
  EXPECT_TRUE(recorder.recording());
  EXPECT_EQ(recorder.jtl_error().message(), "write to /dev/full failed: No space left on device");
  EXPECT_TRUE(recorder.store_error().ok());
  EXPECT_TRUE(recorder.Record(Batch(4), 0));
  EXPECT_EQ(jtl->rows_written(), 3u);  // no more writes to the failed JTL
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(*store->CountSamples(1), 7);
}

TEST(SampleRecorderTest, AFailedStoreLeavesTheJtlRecordingEveryBatch) {
  TempDir dir;
  Result<JtlWriter> jtl = OpenJtl(dir.File("r.jtl"));
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(jtl.ok() && store.ok());
  ASSERT_TRUE(store->BeginExecution(Info()).ok());
  SampleRecorder recorder(&*jtl, &*store);
  EXPECT_TRUE(recorder.Record(Batch(3), 0));
  ASSERT_TRUE(store->Close().ok());  // from now on the store refuses every batch
  EXPECT_TRUE(recorder.Record(Batch(4), 0));
  EXPECT_TRUE(recorder.failed());
  EXPECT_TRUE(recorder.recording());
  EXPECT_EQ(recorder.store_error().message(), dir.File("r.db") + ": results store is closed");
  EXPECT_TRUE(recorder.Record(Batch(5), 0));
  EXPECT_EQ(jtl->rows_written(), 12u);
}

TEST(SampleRecorderTest, WithoutAJtlAFailedStoreLeavesNothingRecording) {
  TempDir dir;
  Result<ResultsStore> store = ResultsStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok());
  SampleRecorder recorder(nullptr, &*store);
  EXPECT_FALSE(recorder.Record(Batch(1), 0));  // no execution running: refused
  EXPECT_TRUE(recorder.failed());
  EXPECT_FALSE(recorder.recording());
  EXPECT_EQ(recorder.store_error().message(), dir.File("r.db") + ": no execution is running");
}

}  // namespace
}  // namespace barrage
