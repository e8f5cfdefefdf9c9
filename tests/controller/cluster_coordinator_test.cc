// ClusterCoordinator driven message by message through a fake transport, with invented
// times: registration, plan distribution, two-phase start, ingest with dedup, liveness,
// stops, and every way a run ends.

#include "controller/cluster_coordinator.h"
#include "common/digest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/protocol.h"
#include "common/wire.h"
#include "tests/common/malformed_frames.h"
#include "tests/controller/fake_cluster_transport.h"

namespace barrage {
namespace {

constexpr char kRun[] = "7-abc";
constexpr int64_t kSecond = 1'000'000;

using test::FakeTransport;
using test::Sent;

class FakeListener : public CoordinatorListener {
 public:
  Status OnSamples(const ClusterWorker& worker, std::vector<Sample>&& samples) override {
    for (Sample& s : samples) stored.emplace_back(worker.worker_id, std::move(s));
    return fail_store;
  }
  void OnLog(const std::string& line) override { logs.push_back(line); }
  void OnStarted(int64_t start_at_us) override { started_at = start_at_us; }

  bool Logged(const std::string& text) const {
    for (const std::string& l : logs) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::vector<std::pair<int32_t, Sample>> stored;
  std::vector<std::string> logs;
  int64_t started_at = 0;
  Status fail_store;
};

Sample MakeSample(const std::string& label) {
  Sample s;
  s.timestamp_ms = 1'700'000'000'000;
  s.elapsed_us = 1500;
  s.label = label;
  s.response_code = "200";
  s.response_message = "OK";
  s.thread_name = "w Users 1-1";
  return s;
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.run_id = kRun;
    options_.expected_workers = 2;
    options_.registration_timeout_us = 30 * kSecond;
    plan_.plan_name = "p.jmx";
    plan_.plan_bytes = "<jmeterTestPlan/>";
    plan_.properties = {{"users", "5"}};
  }

  void Create() { coordinator_ = std::make_unique<ClusterCoordinator>(options_, plan_, &transport_, &listener_, now_); }

  void Advance(int64_t us) {
    now_.steady_us += us;
    now_.wall_us += us;
  }

  void Deliver(const std::string& peer, std::string bytes) {
    coordinator_->OnMessage({peer, std::move(bytes), ""}, now_);
  }

  void Hello(const std::string& name, uint16_t min_protocol = kProtocolVersion,
             uint16_t max_protocol = kProtocolVersion) {
    HelloMessage h;
    h.name = name;
    h.host = name + ".local";
    h.cores = 4;
    h.min_protocol = min_protocol;
    h.max_protocol = max_protocol;
    h.software_version = "0.1.0";
    Deliver(name, EncodeHello("", h));
  }

  // A Hello for worker `name` from connection `peer` signed with `key`.
  void HelloFrom(const std::string& peer, const std::string& name, const std::string& key) {
    HelloMessage h;
    h.name = name;
    h.host = peer + ".local";
    coordinator_->OnMessage({peer, EncodeHello("", h), key}, now_);
  }

  // Lets `us` pass with a tick every 100 ms, as the run loop does.
  void Elapse(int64_t us) {
    for (int64_t left = us; left > 0; left -= 100'000) {
      Advance(std::min<int64_t>(left, 100'000));
      coordinator_->OnTick(now_);
    }
  }

  std::string RejectReason(const std::string& peer, size_t i = 0) const {
    auto r = transport_.To(peer, proto::Body::Reject);
    return i < r.size() ? DecodeReject(*r[i]->env().body_as_Reject()).reason : "(no Reject)";
  }

  void Ready(const std::string& name, bool ok = true, const std::string& message = "") {
    Deliver(name, EncodeReady(kRun, {ok, message}));
  }

  void Batch(const std::string& name, uint64_t seq, int samples) {
    std::vector<Sample> batch(static_cast<size_t>(samples), MakeSample("home"));
    Deliver(name, EncodeSampleBatch(kRun, 1, seq, batch));
  }

  void Finished(const std::string& name, uint64_t samples, uint64_t batches) {
    Deliver(name, EncodeFinished(kRun, {samples, batches, 0, 0}));
  }

  // Both workers registered, loaded and started.
  void StartTwo() {
    Create();
    Hello("a");
    Hello("b");
    Ready("a");
    Ready("b");
  }

  const ClusterWorker& Worker(const std::string& name) const {
    for (const ClusterWorker* w : coordinator_->workers()) {
      if (w->name == name) return *w;
    }
    throw std::runtime_error("no worker " + name);
  }

  CoordinatorOptions options_;
  ClusterPlan plan_;
  FakeTransport transport_;
  FakeListener listener_;
  ClusterTime now_{1'000 * kSecond, 1'700'000'000 * kSecond};
  std::unique_ptr<ClusterCoordinator> coordinator_;
};

TEST_F(CoordinatorTest, WelcomesRegisteringWorkersWithConsecutiveIds) {
  Create();
  Hello("a");
  Hello("b");
  auto wa = transport_.To("a", proto::Body::Welcome);
  auto wb = transport_.To("b", proto::Body::Welcome);
  ASSERT_EQ(wa.size(), 1u);
  ASSERT_EQ(wb.size(), 1u);
  EXPECT_EQ(DecodeWelcome(*wa[0]->env().body_as_Welcome()).worker_id, 1u);
  EXPECT_EQ(DecodeWelcome(*wb[0]->env().body_as_Welcome()).worker_id, 2u);
  EXPECT_EQ(DecodeWelcome(*wb[0]->env().body_as_Welcome()).protocol, kProtocolVersion);
}

TEST_F(CoordinatorTest, SendsThePlanWithWorkerIndexAndCountOnceAllRegistered) {
  Create();
  Hello("a");
  EXPECT_TRUE(transport_.To("a", proto::Body::LoadPlan).empty());
  Hello("b");
  auto lb = transport_.To("b", proto::Body::LoadPlan);
  ASSERT_EQ(lb.size(), 1u);
  Result<LoadPlanMessage> m = DecodeLoadPlan(*lb[0]->env().body_as_LoadPlan());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->plan, "<jmeterTestPlan/>");
  EXPECT_EQ(m->plan_name, "p.jmx");
  EXPECT_EQ(m->worker_index, 1u);
  EXPECT_EQ(m->worker_count, 2u);
  EXPECT_EQ(m->stop_timeout_ms, kDefaultGracefulStopTimeoutMs);  // the coordinator's bound
  std::vector<std::pair<std::string, std::string>> expected = {
      {"users", "5"}, {"worker.index", "1"}, {"worker.count", "2"}};
  EXPECT_EQ(m->properties, expected);
  EXPECT_EQ(RunIdOf(lb[0]->env()), kRun);
}

// `barrage serve`: workers of the pool are registered already; the run loads the plan to
// them at once, numbers them in the given order and runs as usual.
TEST_F(CoordinatorTest, AdoptedWorkersGetThePlanAtOnceWithoutRegistering) {
  options_.adopted = {{"b", "b", "b.local", "0.1.0", "", 8}, {"a", "a", "a.local", "0.1.0", "", 4}};
  options_.expected_workers = 5;  // ignored: the adopted workers are the run's
  Create();
  EXPECT_TRUE(transport_.To("a", proto::Body::Welcome).empty());
  auto lb = transport_.To("b", proto::Body::LoadPlan);
  auto la = transport_.To("a", proto::Body::LoadPlan);
  ASSERT_EQ(lb.size(), 1u);
  ASSERT_EQ(la.size(), 1u);
  EXPECT_EQ(DecodeLoadPlan(*lb[0]->env().body_as_LoadPlan())->worker_index, 0u);
  EXPECT_EQ(DecodeLoadPlan(*la[0]->env().body_as_LoadPlan())->worker_index, 1u);
  EXPECT_EQ(DecodeLoadPlan(*la[0]->env().body_as_LoadPlan())->worker_count, 2u);
  EXPECT_EQ(Worker("b").worker_id, 1);
  EXPECT_EQ(Worker("a").worker_id, 2);
  EXPECT_EQ(Worker("a").cores, 4);
  EXPECT_TRUE(listener_.Logged("worker b (b.local) joins the run from the pool"));
  Ready("a");
  Ready("b");
  Elapse(kSecond);
  ASSERT_TRUE(coordinator_->started());
  Batch("a", 1, 3);
  Finished("a", 3, 1);
  Finished("b", 0, 0);
  EXPECT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPassed);
  EXPECT_EQ(listener_.stored.size(), 3u);
  EXPECT_EQ(listener_.stored[0].first, 2);  // worker a's store id
}

// A stranger cannot join a run of adopted workers, and an adopted worker's name stays bound
// to the key it came with.
TEST_F(CoordinatorTest, AnAdoptedRunTakesNoOtherWorker) {
  options_.adopted = {{"pa", "a", "a.local", "0.1.0", "KEY-A-0123456789", 4}};
  Create();
  HelloFrom("px", "x", "KEY-X-0123456789");
  EXPECT_EQ(RejectReason("px"), "a run is in progress with workers a");
  HelloFrom("py", "a", "KEY-Y-0123456789");
  EXPECT_EQ(RejectReason("py"), "the name 'a' belongs to another key");
}

TEST_F(CoordinatorTest, CopiesDataFilesWholeAndSplitsSplitOnes) {
  ClusterDataFile copy;
  copy.plan_path = "hosts.csv";
  copy.content = "h1\nh2\n";
  ClusterDataFile split;
  split.plan_path = "users.csv";
  split.split = true;
  split.keep_header = true;
  split.content = "name\nu1\nu2\nu3\n";
  plan_.files = {copy, split};
  Create();
  Hello("a");
  Hello("b");
  Result<LoadPlanMessage> a = DecodeLoadPlan(*transport_.To("a", proto::Body::LoadPlan)[0]->env().body_as_LoadPlan());
  Result<LoadPlanMessage> b = DecodeLoadPlan(*transport_.To("b", proto::Body::LoadPlan)[0]->env().body_as_LoadPlan());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->files.size(), 2u);
  EXPECT_EQ(a->files[0].chunk, "h1\nh2\n");
  EXPECT_EQ(b->files[0].chunk, "h1\nh2\n");
  EXPECT_EQ(a->files[0].sha256, Sha256Hex("h1\nh2\n"));
  EXPECT_EQ(a->files[0].mode, proto::DataMode::Copy);
  EXPECT_EQ(a->files[1].chunk, "name\nu1\nu2\n");
  EXPECT_EQ(b->files[1].chunk, "name\nu3\n");
  EXPECT_EQ(b->files[1].sha256, Sha256Hex("name\nu3\n"));
  EXPECT_EQ(b->files[1].mode, proto::DataMode::Split);
  EXPECT_EQ(b->files[1].path, "users.csv");
}

TEST_F(CoordinatorTest, LargeFilesTravelInChunksThatReassembleToTheFile) {
  ClusterDataFile big;
  big.plan_path = "big.csv";
  big.content = "0123456789abcdefghij";  // 20 bytes, chunks of 8
  plan_.files = {big};
  options_.expected_workers = 1;
  options_.chunk_bytes = 8;
  Create();
  Hello("a");
  auto parts = transport_.To("a", proto::Body::LoadPlan);
  ASSERT_EQ(parts.size(), 3u);
  std::string assembled;
  for (const Sent* p : parts) {
    Result<LoadPlanMessage> m = DecodeLoadPlan(*p->env().body_as_LoadPlan());
    ASSERT_TRUE(m.ok()) << m.status().message();
    ASSERT_EQ(m->files.size(), 1u);
    EXPECT_EQ(m->files[0].total_size, 20u);
    EXPECT_EQ(m->files[0].chunk_offset, assembled.size());
    EXPECT_EQ(m->files[0].sha256, Sha256Hex(big.content));
    assembled += m->files[0].chunk;
  }
  EXPECT_EQ(assembled, big.content);
}

TEST_F(CoordinatorTest, RejectsAnUnknownNameNamingTheExpectedOnes) {
  options_.worker_names = {"a", "b"};
  Create();
  Hello("c");
  auto r = transport_.To("c", proto::Body::Reject);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(DecodeReject(*r[0]->env().body_as_Reject()).reason, "unknown worker name 'c'; this run expects a, b");
  // Only this run does not want it: a worker daemon keeps waiting for the next run.
  EXPECT_FALSE(DecodeReject(*r[0]->env().body_as_Reject()).permanent);
  EXPECT_EQ(Worker("c").phase, WorkerPhase::kRejected);
  EXPECT_TRUE(listener_.Logged("rejected worker 'c' (c.local): unknown worker name 'c'"));
}

TEST_F(CoordinatorTest, RejectsAnotherProtocolVersion) {
  Create();
  Hello("a", kProtocolVersion + 1, kProtocolVersion + 2);
  auto r = transport_.To("a", proto::Body::Reject);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(DecodeReject(*r[0]->env().body_as_Reject()).reason,
            "protocol version mismatch: the worker speaks " + std::to_string(kProtocolVersion + 1) + ".." +
                std::to_string(kProtocolVersion + 2) + ", this controller speaks " + std::to_string(kProtocolVersion));
  // Regression: sent as temporary, so the worker said Hello every 10 s forever instead of exiting.
  EXPECT_TRUE(DecodeReject(*r[0]->env().body_as_Reject()).permanent);
}

TEST_F(CoordinatorTest, RejectsWorkersBeyondTheExpectedCount) {
  options_.expected_workers = 1;
  Create();
  Hello("a");
  Hello("b");
  auto r = transport_.To("b", proto::Body::Reject);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(DecodeReject(*r[0]->env().body_as_Reject()).reason, "a run is in progress with workers a");
}

TEST_F(CoordinatorTest, StartsEveryoneAtOneTimeAfterAllAreReady) {
  Create();
  Hello("a");
  Hello("b");
  Ready("a");
  EXPECT_TRUE(transport_.To("a", proto::Body::Start).empty());
  Ready("b");
  auto sa = transport_.To("a", proto::Body::Start);
  auto sb = transport_.To("b", proto::Body::Start);
  ASSERT_EQ(sa.size(), 1u);
  ASSERT_EQ(sb.size(), 1u);
  int64_t at = DecodeStart(*sa[0]->env().body_as_Start()).start_at_us;
  EXPECT_EQ(at, now_.wall_us + options_.start_margin_us);
  EXPECT_EQ(DecodeStart(*sb[0]->env().body_as_Start()).start_at_us, at);
  EXPECT_EQ(listener_.started_at, at);
}

TEST_F(CoordinatorTest, AWorkerThatCannotLoadThePlanFailsTheRun) {
  Create();
  Hello("a");
  Hello("b");
  Ready("a", false, "users.csv: sha256 mismatch");
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kErrored);
  EXPECT_EQ(coordinator_->outcome().exit_code, 1);
  EXPECT_EQ(coordinator_->outcome().message, "worker a cannot run the plan: users.csv: sha256 mismatch");
  EXPECT_EQ(transport_.To("b", proto::Body::Stop).size(), 1u);
}

TEST_F(CoordinatorTest, StoresEachBatchWithTheWorkersIdAndAcksIt) {
  StartTwo();
  Batch("b", 0, 3);
  ASSERT_EQ(listener_.stored.size(), 3u);
  EXPECT_EQ(listener_.stored[0].first, 2);
  EXPECT_EQ(listener_.stored[0].second.label, "home");
  EXPECT_EQ(listener_.stored[0].second.thread_name, "w Users 1-1");
  auto acks = transport_.To("b", proto::Body::BatchAck);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(DecodeBatchAck(*acks[0]->env().body_as_BatchAck()).seq, 0u);
}

TEST_F(CoordinatorTest, AResentBatchIsAckedButStoredOnce) {
  StartTwo();
  Batch("a", 5, 2);
  Batch("a", 5, 2);
  EXPECT_EQ(listener_.stored.size(), 2u);
  EXPECT_EQ(transport_.To("a", proto::Body::BatchAck).size(), 2u);
  EXPECT_EQ(Worker("a").duplicate_batches, 1u);
  EXPECT_EQ(Worker("a").batches_received, 1u);
}

TEST_F(CoordinatorTest, EndsPassedWhenEveryWorkerFinished) {
  StartTwo();
  Batch("a", 0, 2);
  Batch("b", 0, 1);
  Finished("a", 2, 1);
  EXPECT_FALSE(coordinator_->done());
  Finished("b", 1, 1);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPassed);
  EXPECT_EQ(coordinator_->outcome().exit_code, 0);
}

TEST_F(CoordinatorTest, FinishedWithMoreSamplesThanReceivedCountsTheLoss) {
  StartTwo();
  Batch("a", 0, 2);
  Finished("a", 5, 2);
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(Worker("a").samples_lost(), 3u);
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPartial);
  EXPECT_EQ(coordinator_->outcome().exit_code, 1);
}

// Issue 16, item 11: samples a worker dropped (abandoned batches included) are lost for
// the run, which is then not `passed`.
TEST_F(CoordinatorTest, SamplesAWorkerReportsDroppedAreCountedLostAndTheRunIsPartial) {
  StartTwo();
  Batch("a", 1, 2);
  Deliver("a", EncodeFinished(kRun, {402, 1, 0, 400}));
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  // The 400 dropped are the 400 produced and not received: counted once.
  EXPECT_EQ(Worker("a").samples_lost(), 400u);
  EXPECT_TRUE(listener_.Logged("worker a finished: 402 samples, 2 received, 400 LOST"));
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPartial);
  EXPECT_EQ(coordinator_->outcome().message, "0 worker(s) lost, 400 sample(s) lost");
}

// Issue 12: the arrivals a worker's dynamic thread groups dropped come with its heartbeats
// (so far) and its Finished message (in all); a worker's count never goes back.
TEST_F(CoordinatorTest, LateArrivalsComeWithHeartbeatsAndFinished) {
  StartTwo();
  HeartbeatMessage h{proto::WorkerState::Running, 1, 0, now_.wall_us, 0};
  h.late_arrivals = 3;
  Deliver("a", EncodeHeartbeat("", h));
  EXPECT_EQ(Worker("a").late_arrivals, 3u);
  EXPECT_EQ(Worker("b").late_arrivals, 0u);
  h.late_arrivals = 2;  // an older heartbeat overtaken
  Deliver("a", EncodeHeartbeat("", h));
  EXPECT_EQ(Worker("a").late_arrivals, 3u);
  FinishedMessage f{0, 0, 0, 0};
  f.late_arrivals = 7;
  Deliver("a", EncodeFinished(kRun, f));
  EXPECT_EQ(Worker("a").late_arrivals, 7u);
}

TEST_F(CoordinatorTest, ASilentWorkerIsLostAndTheRunEndsPartial) {
  StartTwo();
  Batch("a", 0, 4);
  for (int i = 0; i < 5; ++i) {
    Advance(kSecond);
    Deliver("b", EncodeHeartbeat("", {proto::WorkerState::Running, 1, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLost);
  EXPECT_TRUE(listener_.Logged("worker a lost: silent for 5 s; 4 of its samples were received and are kept"));
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPartial);
  EXPECT_EQ(coordinator_->outcome().exit_code, 1);
  EXPECT_EQ(listener_.stored.size(), 4u);
}

TEST_F(CoordinatorTest, MinWorkersMetMakesAPartialRunExitZero) {
  options_.min_workers = 1;
  StartTwo();
  for (int i = 0; i < 5; ++i) {
    Advance(kSecond);
    Deliver("b", EncodeHeartbeat("", {proto::WorkerState::Running, 1, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPartial);
  EXPECT_EQ(coordinator_->outcome().exit_code, 0);
}

TEST_F(CoordinatorTest, AWorkerHeartbeatingIdleMidRunRestartedAndIsLost) {
  StartTwo();
  Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Idle, 0, 0, now_.wall_us, 0}));
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLost);
}

TEST_F(CoordinatorTest, RegistrationTimeoutNamesTheMissingWorkers) {
  options_.worker_names = {"a", "b", "c"};
  Create();
  Hello("b");
  for (int i = 0; i < 31; ++i) {
    Advance(kSecond);
    Deliver("b", EncodeHeartbeat("", {proto::WorkerState::Idle, 0, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kErrored);
  EXPECT_EQ(coordinator_->outcome().exit_code, 1);
  EXPECT_EQ(coordinator_->outcome().message, "timed out after 30 s waiting for workers; missing: a, c (1 registered)");
}

TEST_F(CoordinatorTest, RegistrationTimeoutStartsWithMinWorkers) {
  options_.worker_names = {"a", "b"};
  options_.min_workers = 1;
  Create();
  Hello("a");
  for (int i = 0; i < 31; ++i) {
    Advance(kSecond);
    Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Idle, 0, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  EXPECT_FALSE(coordinator_->done());
  auto lp = transport_.To("a", proto::Body::LoadPlan);
  ASSERT_EQ(lp.size(), 1u);
  EXPECT_EQ(DecodeLoadPlan(*lp[0]->env().body_as_LoadPlan())->worker_count, 1u);
}

TEST_F(CoordinatorTest, GarbageIsDroppedAndTheRunGoesOn) {
  StartTwo();
  Deliver("a", "not a flatbuffer at all");
  Deliver("zz", std::string(3, '\0'));
  std::string truncated = EncodeSampleBatch(kRun, 1, 1, {MakeSample("x")});
  truncated.resize(truncated.size() / 2);
  Deliver("a", truncated);
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': not a valid protocol message (23 bytes)"));
  EXPECT_TRUE(listener_.Logged("dropped a message from 'zz': not a valid protocol message (3 bytes)"));
  EXPECT_TRUE(listener_.stored.empty());
  Batch("a", 1, 1);
  EXPECT_EQ(listener_.stored.size(), 1u);
  EXPECT_FALSE(coordinator_->done());
}

TEST_F(CoordinatorTest, BatchesOfAnotherRunAreNotStored) {
  StartTwo();
  Deliver("a", EncodeSampleBatch("other-run", 1, 0, {MakeSample("x")}));
  EXPECT_TRUE(listener_.stored.empty());
  EXPECT_TRUE(listener_.Logged("SampleBatch for another run ('other-run')"));
}

TEST_F(CoordinatorTest, MessagesFromUnregisteredPeersAreDropped) {
  StartTwo();
  Deliver("stranger", EncodeSampleBatch(kRun, 1, 0, {MakeSample("x")}));
  EXPECT_TRUE(listener_.stored.empty());
  EXPECT_TRUE(listener_.Logged("dropped a message from 'stranger': SampleBatch from a worker that has not registered"));
}

TEST_F(CoordinatorTest, CtrlCStopsGracefullyThenEndsAbortedWithSamplesKept) {
  StartTwo();
  Batch("a", 0, 2);
  coordinator_->RequestStop(false, "stopped by the operator", now_);
  auto stops = transport_.To("a", proto::Body::Stop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(DecodeStop(*stops[0]->env().body_as_Stop()).mode, proto::StopMode::Graceful);
  Batch("a", 1, 1);
  Finished("a", 3, 2);
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kAborted);
  EXPECT_EQ(listener_.stored.size(), 3u);
}

TEST_F(CoordinatorTest, AGracefulStopThatTakesTooLongEscalatesToNowThenLost) {
  StartTwo();
  coordinator_->RequestStop(false, "operator", now_);
  Finished("b", 0, 0);
  for (int i = 0; i < 10; ++i) {
    Advance(kSecond);
    Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Stopping, 1, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  auto stops = transport_.To("a", proto::Body::Stop);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(DecodeStop(*stops[1]->env().body_as_Stop()).mode, proto::StopMode::Now);
  for (int i = 0; i < 5; ++i) {
    Advance(kSecond);
    Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Stopping, 1, 0, now_.wall_us, 0}));
    coordinator_->OnTick(now_);
  }
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLost);
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPartial);
}

TEST_F(CoordinatorTest, DurationStopsTheWorkersGracefully) {
  options_.max_duration_us = 3 * kSecond;
  StartTwo();
  for (int i = 0; i < 3; ++i) {
    Advance(kSecond);
    coordinator_->OnTick(now_);
  }
  EXPECT_TRUE(transport_.To("a", proto::Body::Stop).empty());
  Advance(options_.start_margin_us);
  coordinator_->OnTick(now_);
  auto stops = transport_.To("a", proto::Body::Stop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(DecodeStop(*stops[0]->env().body_as_Stop()).mode, proto::StopMode::Graceful);
}

TEST_F(CoordinatorTest, HeartbeatsEchoTheWorkersStampAndMeasureItsClockOffset) {
  StartTwo();
  // The worker's clock is 5 s ahead; the network takes 1 ms each way; the worker holds
  // our heartbeat 200 ms before answering.
  const int64_t ahead = 5 * kSecond;
  const int64_t delay = 1000;
  Advance(kSecond);
  coordinator_->OnTick(now_);
  auto hbs = transport_.To("a", proto::Body::Heartbeat);
  ASSERT_FALSE(hbs.empty());
  HeartbeatMessage ours = DecodeHeartbeat(*hbs.back()->env().body_as_Heartbeat());
  EXPECT_EQ(ours.sent_at_us, now_.wall_us);
  int64_t worker_received = ours.sent_at_us + delay + ahead;
  int64_t worker_sent = worker_received + 200'000;
  Advance(delay + 200'000 + delay);
  HeartbeatMessage theirs{proto::WorkerState::Running, 3, 0, worker_sent,
                          EchoUs(ours.sent_at_us, worker_received, worker_sent)};
  Deliver("a", EncodeHeartbeat(kRun, theirs));
  ASSERT_TRUE(Worker("a").clock_offset_us.has_value());
  EXPECT_EQ(*Worker("a").clock_offset_us, ahead);
  EXPECT_EQ(Worker("a").best_round_trip_us, 2 * delay);
  // Our next heartbeat echoes theirs, adjusted by how long we held it.
  Advance(kSecond);
  coordinator_->OnTick(now_);
  HeartbeatMessage next =
      DecodeHeartbeat(*transport_.To("a", proto::Body::Heartbeat).back()->env().body_as_Heartbeat());
  EXPECT_EQ(next.echo_us, EchoUs(worker_sent, now_.wall_us - kSecond, now_.wall_us));
}

TEST_F(CoordinatorTest, AStoreFailureStopsTheRunErrored) {
  StartTwo();
  listener_.fail_store = Status::IoError("barrage.db: disk full");
  Batch("a", 0, 1);
  auto stops = transport_.To("b", proto::Body::Stop);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(DecodeStop(*stops[0]->env().body_as_Stop()).mode, proto::StopMode::Now);
  Finished("a", 1, 1);
  Finished("b", 0, 0);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kErrored);
  EXPECT_EQ(coordinator_->outcome().message, "barrage.db: disk full");
}

TEST_F(CoordinatorTest, ANameStaysBoundToTheKeyItRegisteredWith) {
  Create();
  HelloMessage h;
  h.name = "a";
  coordinator_->OnMessage({"a", EncodeHello("", h), "KEY-A"}, now_);
  coordinator_->OnMessage({"a", EncodeHello("", h), "KEY-B"}, now_);
  auto r = transport_.To("a", proto::Body::Reject);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(DecodeReject(*r[0]->env().body_as_Reject()).reason, "the name 'a' belongs to another key");
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRegistered);
  Hello("b");  // insecure peers carry no key; "a" did
  coordinator_->OnMessage({"a", EncodeReady(kRun, {true, ""}), "KEY-B"}, now_);
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLoading);
  EXPECT_TRUE(
      listener_.Logged("dropped a message from 'a': Ready signed with another key than the one 'a' registered with"));
  coordinator_->OnMessage({"a", EncodeReady(kRun, {true, ""}), "KEY-A"}, now_);
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kReady);
}

// Issue 16, item 5: another key claiming a registered name is refused and never reaches
// the owner's route: the plan goes to the owner's connection only.
TEST_F(CoordinatorTest, AnotherKeyClaimingARegisteredNameIsRejectedAndTheOwnerKeepsItsMessages) {
  Create();
  HelloFrom("conn-1", "a", "KEY-AAAAAAAAAA");
  HelloFrom("conn-3", "a", "KEY-CCCCCCCCCC");
  EXPECT_EQ(RejectReason("conn-3"), "the name 'a' belongs to another key");
  EXPECT_TRUE(
      listener_.Logged("rejected worker 'a' (conn-3.local): the name 'a' belongs to another key "
                       "(key KEY-CCCC..., the name is bound to key KEY-AAAA...)"));
  HelloFrom("conn-2", "b", "KEY-BBBBBBBBBB");
  ASSERT_EQ(transport_.To("conn-1", proto::Body::LoadPlan).size(), 1u);
  EXPECT_EQ(transport_.To("conn-2", proto::Body::LoadPlan).size(), 1u);
  // Once more during the run: still refused, nothing else sent to it, the owner unmoved.
  coordinator_->OnMessage({"conn-1", EncodeReady(kRun, {true, ""}), "KEY-AAAAAAAAAA"}, now_);
  coordinator_->OnMessage({"conn-2", EncodeReady(kRun, {true, ""}), "KEY-BBBBBBBBBB"}, now_);
  HelloFrom("conn-3", "a", "KEY-CCCCCCCCCC");
  for (const Sent& m : transport_.sent) {
    if (m.peer == "conn-3") {
      EXPECT_EQ(m.type(), proto::Body::Reject);
    }
  }
  EXPECT_EQ(transport_.To("conn-3", proto::Body::Reject).size(), 2u);
  EXPECT_EQ(Worker("a").peer, "conn-1");
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRunning);
  EXPECT_EQ(transport_.To("conn-1", proto::Body::Start).size(), 1u);
}

// The binding outlives the worker's registration: a worker that went silent before the
// run started leaves its name bound to its key.
TEST_F(CoordinatorTest, ANameStaysBoundAfterItsWorkerWentSilentBeforeTheRun) {
  Create();
  HelloFrom("conn-1", "a", "KEY-AAAAAAAAAA");
  Elapse(5 * kSecond);
  EXPECT_TRUE(listener_.Logged("worker a went silent before the run started; waiting for it again"));
  HelloFrom("conn-3", "a", "KEY-CCCCCCCCCC");
  EXPECT_EQ(RejectReason("conn-3"), "the name 'a' belongs to another key");
  HelloFrom("conn-4", "a", "KEY-AAAAAAAAAA");
  EXPECT_EQ(transport_.To("conn-4", proto::Body::Welcome).size(), 1u);
}

// controller.toml binds names to keys: only that key registers as the name, and that key
// only under its name(s).
TEST_F(CoordinatorTest, ANameBoundInTheConfigAdmitsOnlyItsKeyAndTheKeyOnlyItsName) {
  options_.bound_names = {{"a", "KEY-AAAAAAAAAA"}};
  Create();
  HelloFrom("conn-3", "a", "KEY-CCCCCCCCCC");
  EXPECT_EQ(RejectReason("conn-3"), "the name 'a' belongs to another key");
  HelloFrom("conn-1", "b", "KEY-AAAAAAAAAA");
  EXPECT_EQ(RejectReason("conn-1"), "this worker's key is bound to the name(s) a");
  HelloFrom("conn-2", "a", "KEY-AAAAAAAAAA");
  EXPECT_EQ(transport_.To("conn-2", proto::Body::Welcome).size(), 1u);
  HelloFrom("conn-5", "b", "KEY-BBBBBBBBBB");
  EXPECT_EQ(transport_.To("conn-5", proto::Body::Welcome).size(), 1u);
}

// The owner on a new connection (reconnected, restarted) moves there once its old
// connection is closed; while the old one is open and heard, a second one is refused.
TEST_F(CoordinatorTest, TheOwnersNewConnectionReplacesTheOldOneOnlyOnceThatIsClosed) {
  StartTwo();
  HelloFrom("a-2", "a", "");
  EXPECT_EQ(RejectReason("a-2"), "worker 'a' is connected already (another connection)");
  EXPECT_EQ(Worker("a").peer, "a");
  transport_.disconnected.insert("a");
  HelloFrom("a-2", "a", "");
  auto welcome = transport_.To("a-2", proto::Body::Welcome);
  ASSERT_EQ(welcome.size(), 1u);
  EXPECT_EQ(DecodeWelcome(*welcome[0]->env().body_as_Welcome()).worker_id, 1u);
  EXPECT_TRUE(listener_.Logged("worker a is on a new connection (reconnected or restarted)"));
  Deliver("a-2", EncodeSampleBatch(kRun, 1, 0, {MakeSample("home")}));
  EXPECT_EQ(transport_.To("a-2", proto::Body::BatchAck).size(), 1u);
  ASSERT_EQ(listener_.stored.size(), 1u);
  EXPECT_EQ(listener_.stored[0].first, 1);
  Deliver("a", EncodeFinished(kRun, {1, 1, 0, 0}));  // the old connection no longer speaks for a
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRunning);
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': Finished from a worker that has not registered"));
}

// A restarted worker (it heartbeats Idle) is lost, but what it resends from its spool is
// stored, and its batches do not take it back.
TEST_F(CoordinatorTest, BatchesFromALostWorkerAreStoredWithoutTakingItBack) {
  StartTwo();
  Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Idle, 0, 0, now_.wall_us, 0}));
  ASSERT_EQ(Worker("a").phase, WorkerPhase::kLost);
  Batch("a", 3, 2);
  EXPECT_EQ(listener_.stored.size(), 2u);
  EXPECT_EQ(transport_.To("a", proto::Body::BatchAck).size(), 1u);
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLost);
}

// Issue 16, item 8: the controller's own stall (no tick for 5 s) is not the workers'
// silence; a worker silent for its whole liveness window after the stall still is lost.
TEST_F(CoordinatorTest, AStallOfTheControllerIsNotCountedAsTheWorkersSilence) {
  StartTwo();
  Elapse(kSecond);
  Deliver("a", EncodeHeartbeat("", {proto::WorkerState::Running, 1, 0, now_.wall_us, 0}));
  Deliver("b", EncodeHeartbeat("", {proto::WorkerState::Running, 1, 0, now_.wall_us, 0}));
  Elapse(100'000);
  Advance(5 * kSecond);                                                                     // stopped: no tick
  Deliver("b", EncodeHeartbeat("", {proto::WorkerState::Running, 1, 0, now_.wall_us, 0}));  // read first
  coordinator_->OnTick(now_);
  EXPECT_TRUE(listener_.Logged("the controller did not run for 5 s: not counted as the workers' silence"));
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRunning);
  EXPECT_EQ(Worker("b").phase, WorkerPhase::kRunning);
  // a's silence counts again from the resume: lost after 4 more heartbeat intervals.
  Elapse(3'900'000);
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRunning);
  Elapse(300'000);
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kLost);
  EXPECT_TRUE(listener_.Logged("worker a lost: silent for 4.1 s"));
  EXPECT_EQ(Worker("b").phase, WorkerPhase::kLost);
  EXPECT_TRUE(listener_.Logged("worker b lost: silent for 4.1 s"));
}

TEST_F(CoordinatorTest, CtrlCWhileWaitingForWorkersEndsAbortedAtOnce) {
  Create();
  Hello("a");
  coordinator_->RequestStop(false, "stopped by the operator", now_);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kAborted);
  EXPECT_EQ(coordinator_->outcome().exit_code, 1);
}

// Issue 16 item 1: a message with a body type but no body (the verifier accepts it) used to
// be dereferenced. In every phase, from a registered worker or anyone, each is dropped and
// logged (a Hello is rejected as malformed), and the run goes on to pass.
TEST_F(CoordinatorTest, MessagesWithoutABodyAreDroppedInEveryPhaseAndTheRunPasses) {
  // The first five drops per peer are logged: the ones a worker sends come first.
  const proto::Body kTypes[] = {proto::Body::Heartbeat, proto::Body::Ready,    proto::Body::SampleBatch,
                                proto::Body::Finished,  proto::Body::Hello,    proto::Body::Welcome,
                                proto::Body::Reject,    proto::Body::LoadPlan, proto::Body::Start,
                                proto::Body::BatchAck,  proto::Body::Stop};
  auto deliver_all = [&] {
    for (proto::Body type : kTypes) {
      if (type != proto::Body::Hello) Deliver("a", test::BodylessFrame(type, kRun));
      Deliver("stranger", test::BodylessFrame(type, kRun));
    }
  };
  Create();
  Hello("a");
  deliver_all();  // registering
  Hello("b");
  deliver_all();  // loading
  Ready("a");
  Ready("b");
  deliver_all();  // running
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': Heartbeat without a body"));
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': Ready without a body"));
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': SampleBatch without a body"));
  EXPECT_TRUE(listener_.Logged("dropped a message from 'a': Finished without a body"));
  EXPECT_TRUE(listener_.Logged("rejected worker 'stranger': malformed Hello: Hello without a body"));
  auto rejects = transport_.To("stranger", proto::Body::Reject);
  ASSERT_FALSE(rejects.empty());
  EXPECT_TRUE(DecodeReject(*rejects[0]->env().body_as_Reject()).permanent);
  EXPECT_EQ(Worker("a").dropped_messages, 30u);  // 10 types (all but Hello) x 3 phases
  EXPECT_EQ(Worker("a").phase, WorkerPhase::kRunning);
  Batch("a", 0, 2);
  Batch("b", 0, 1);
  Finished("a", 2, 1);
  Finished("b", 1, 1);
  ASSERT_TRUE(coordinator_->done());
  EXPECT_EQ(coordinator_->outcome().status, ExecutionStatus::kPassed);
  EXPECT_EQ(listener_.stored.size(), 3u);
}

// Every single-byte change of every message a worker sends, delivered in the phase where
// the original is expected: never a crash, and a worker whose Hello was cut keeps out.
TEST_F(CoordinatorTest, EverySingleByteChangeOfAWorkersMessagesIsHandled) {
  HelloMessage hello{"c", "c.local", 4, kProtocolVersion, kProtocolVersion, "0.1.0"};
  const std::vector<std::string> originals = {
      EncodeHello("", hello),
      EncodeHeartbeat(kRun, {proto::WorkerState::Running, 3, 12.5f, now_.wall_us, now_.wall_us - 10}),
      EncodeReady(kRun, {false, "users.csv: sha256 mismatch"}),
      EncodeSampleBatch(kRun, 1, 7, {MakeSample("home"), MakeSample("login")}), EncodeFinished(kRun, {2, 1, 0, 0})};
  size_t delivered = 0;
  for (const std::string& original : originals) {
    for (size_t i = 0; i < original.size(); ++i) {
      const auto b = static_cast<uint8_t>(original[i]);
      for (uint8_t v : {uint8_t{0}, uint8_t{0xff}, static_cast<uint8_t>(b ^ 1), static_cast<uint8_t>(b ^ 0x80)}) {
        if (v == b) continue;
        std::string changed = original;
        changed[i] = static_cast<char>(v);
        transport_.sent.clear();
        listener_.logs.clear();
        Create();
        Hello("a");
        Hello("b");
        if (original.find("sha256") == std::string::npos) {  // all but Ready: running
          Ready("a");
          Ready("b");
        }
        Deliver("a", changed);
        ++delivered;
      }
    }
  }
  EXPECT_GT(delivered, 1000u);
  // The byte the crashing Hello had changed.
  transport_.sent.clear();
  listener_.logs.clear();
  Create();
  Deliver("c", test::WithBodyCutByOneByte(EncodeHello("", hello)));
  EXPECT_TRUE(listener_.Logged("rejected worker 'c': malformed Hello: Hello without a body"));
  EXPECT_EQ(transport_.To("c", proto::Body::Welcome).size(), 0u);
}

// A heartbeat whose echo makes the round trip absurd (here 2^60 us) is no clock sample: it
// cannot push the Start decades out (or overflow 4 x the round trip).
TEST_F(CoordinatorTest, AnAbsurdRoundTripDoesNotMoveTheStart) {
  Create();
  Hello("a");
  Hello("b");
  const int64_t echo = now_.wall_us - (int64_t{1} << 60);
  Deliver("a", EncodeHeartbeat(kRun, {proto::WorkerState::Loading, 0, 0, now_.wall_us, echo}));
  EXPECT_FALSE(Worker("a").clock_offset_us.has_value());
  Ready("a");
  Ready("b");
  auto starts = transport_.To("a", proto::Body::Start);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(DecodeStart(*starts[0]->env().body_as_Start()).start_at_us, now_.wall_us + options_.start_margin_us);
}

}  // namespace
}  // namespace barrage
