// barrage serve's cluster side (service/cluster_host.h) with a real barrage-worker on
// loopback: the worker joins the pool, a run takes it (ClusterRunSession on adopted
// workers), its samples reach the store, and it is idle again for the next run.

#include "service/cluster_host.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "common/clock.h"
#include "controller/loaded_plan.h"
#include "controller/results_store.h"
#include "controller/run_recording.h"
#include "tests/integration/process_util.h"
#include "tests/worker/engine_test_plan.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::ChildProcess;

constexpr milliseconds kLimit{20'000};  // bounds a hang; the healthy case takes a second

class ClusterHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-cluster-host-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    settings_.bind = "tcp://127.0.0.1:*";
    settings_.insecure = true;
    settings_.heartbeat_ms = 200;
    Result<std::unique_ptr<ClusterHost>> host =
        ClusterHost::Open(settings_, [this](const std::string& line) { log_ << line << "\n"; });
    ASSERT_TRUE(host.ok()) << host.status().message();
    host_ = std::move(host).value();
  }
  void TearDown() override {
    host_.reset();
    worker_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void StartWorker(const std::string& name) {
    worker_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        BARRAGE_WORKER_BINARY, "--controller", host_->endpoint(), "--name", name, "--insecure", "--work-dir",
        (dir_ / ("work-" + name)).string(), "--threads", "1", "--heartbeat-ms", "200"});
    ASSERT_TRUE(worker_->running());
  }

  // Waits (pumping the worker's output) until the pool shows `name` in `state`.
  bool WaitFor(const std::string& name, PoolState state) {
    const auto deadline = std::chrono::steady_clock::now() + kLimit;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const PooledWorker& w : host_->Workers()) {
        if (w.name == name && w.state == state) return true;
      }
      if (worker_) worker_->Pump(milliseconds(20));
    }
    return false;
  }

  fs::path dir_;
  ClusterSettings settings_;
  std::ostringstream log_;
  std::unique_ptr<ClusterHost> host_;
  std::unique_ptr<ChildProcess> worker_;
};

TEST_F(ClusterHostTest, AWorkerJoinsThePoolRunsARunAndIsIdleAgain) {
  StartWorker("w1");
  ASSERT_TRUE(WaitFor("w1", PoolState::kIdle)) << log_.str() << worker_->err();
  EXPECT_EQ(host_->Workers().size(), 1u);

  const std::string plan_path = (dir_ / "plan.jmx").string();
  std::ofstream(plan_path) << engine_test::PlanXml(engine_test::Group("Users", 2, 5, engine_test::Dummy("d", "m")));
  Result<LoadedPlan> loaded = LoadPlan(plan_path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  RunOptions options;
  options.plan_path = plan_path;
  options.db_path = (dir_ / "results.db").string();
  options.quiet = true;
  RunContext run;
  run.base_dir = loaded->base_dir;
  std::ostringstream out, err;
  RunRecordingOptions ro;
  ro.db_path = options.db_path;
  ro.quiet = true;
  RunRecording recording(ro, out, err);

  // Prepares and begins the run's session on the workers the host gives it, recording into `rec`.
  auto launch_with = [&](RunRecording* rec) {
    return [&, rec](ClusterTransport* transport, const std::string& endpoint,
                    std::vector<CoordinatorOptions::Adopted> workers,
                    std::string* error) -> std::unique_ptr<ClusterRunSession> {
      int code = 0;
      std::unique_ptr<ClusterRunSession> session = ClusterRunSession::Prepare({.options = &options,
                                                                               .settings = &settings_,
                                                                               .loaded = &*loaded,
                                                                               .run = &run,
                                                                               .recording = rec,
                                                                               .transport = transport,
                                                                               .endpoint = endpoint,
                                                                               .adopted = std::move(workers),
                                                                               .out = &out,
                                                                               .err = &err},
                                                                              &code);
      if (!session || !session->Begin({MonotonicMicros(), WallMicros()}, &code)) {
        *error = err.str();
        return nullptr;
      }
      return session;
    };
  };
  auto launch = launch_with(&recording);
  std::promise<std::pair<int64_t, int>> ended;
  Result<int64_t> id = host_->StartRun(1, {}, launch, [&](int64_t execution, int code) {
    ended.set_value({execution, code});
  });
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, 1);
  EXPECT_EQ(host_->Workers()[0].state, PoolState::kBusy);
  EXPECT_EQ(host_->Workers()[0].run, 1);

  // One worker is in the pool and busy: a run that asks for it waits for nothing, it fails.
  Result<int64_t> second = host_->StartRun(1, {}, launch, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "1 worker(s) requested, 0 idle (w1 busy in run 1)");

  std::future<std::pair<int64_t, int>> done = ended.get_future();
  while (done.wait_for(milliseconds(20)) != std::future_status::ready) worker_->Pump(milliseconds(0));
  EXPECT_EQ(done.get(), std::make_pair(int64_t{1}, 0)) << out.str() << err.str();
  ASSERT_TRUE(WaitFor("w1", PoolState::kIdle)) << log_.str();
  EXPECT_EQ(host_->running(), 0);

  Result<ResultsStore> store = ResultsStore::Open(options.db_path, {.must_exist = true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<ExecutionRecord> record = store->GetExecution(1);
  ASSERT_TRUE(record.ok()) << record.status().message();
  EXPECT_EQ(record->status, ExecutionStatus::kPassed);
  EXPECT_EQ(record->samples, 10u);
  EXPECT_NE(out.str().find("barrage: run 1 of " + plan_path + ": on 1 worker(s) of the pool\n"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("barrage: worker w1 ("), std::string::npos) << out.str();

  // The same worker takes the next run without registering again.
  RunRecording recording2(ro, out, err);
  std::promise<std::pair<int64_t, int>> ended2;
  Result<int64_t> id2 = host_->StartRun(0, {"w1"}, launch_with(&recording2), [&](int64_t execution, int code) {
    ended2.set_value({execution, code});
  });
  ASSERT_TRUE(id2.ok()) << id2.status().message();
  std::future<std::pair<int64_t, int>> done2 = ended2.get_future();
  while (done2.wait_for(milliseconds(20)) != std::future_status::ready) worker_->Pump(milliseconds(0));
  EXPECT_EQ(done2.get(), std::make_pair(int64_t{2}, 0)) << out.str() << err.str();
  Result<ExecutionRecord> record2 = store->GetExecution(2);
  ASSERT_TRUE(record2.ok()) << record2.status().message();
  EXPECT_EQ(record2->status, ExecutionStatus::kPassed);
  EXPECT_EQ(record2->samples, 10u);
}

TEST_F(ClusterHostTest, StoppingARunThatIsNotThereIsNotFound) {
  Status st = host_->StopRun(42, false, "test");
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_EQ(st.message(), "run 42 is not running");
}

}  // namespace
}  // namespace barrage
