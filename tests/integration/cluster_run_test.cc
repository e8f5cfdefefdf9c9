// Cluster mode end to end: the real `barrage` controller and `barrage-worker` daemons on
// loopback, loading a FixtureServer in this process. Every case checks the exit code, the
// run's status in the store, and the samples in the store against the requests the target
// served. Protocol timings are shortened (heartbeats every 200 ms, so a worker is lost
// after 0.8 s of silence) to keep each case to a few seconds.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "common/protocol.h"
#include "common/sample.h"
#include "common/wire.h"
#include "controller/results_store.h"
#include "tests/common/malformed_frames.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"
#include "tests/integration/record_checks.h"
#include "tests/worker/tls_test_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;
using test::JtlRows;
using test::ProcessResult;
using test::SmallTmpfs;

constexpr milliseconds kRunLimit{30'000};  // bounds a hang; healthy cases take a few seconds
constexpr char kHeartbeatMs[] = "200";

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
// A Test Plan whose one Thread Group "Users" runs `threads` x `loops` GETs of `path` on
// 127.0.0.1:`port`.
std::string Plan(int port, int threads, int loops, const std::string& path) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
            El("HTTPSamplerProxy", "Get",
               Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)) +
                   Str("HTTPSampler.path", path))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

struct StoredRun {
  ExecutionStatus status = ExecutionStatus::kRunning;
  int64_t samples = -1;
  std::map<std::string, int64_t> samples_by_prefix;  // thread-name prefix before '-'
  std::vector<ExecutionWorkerRecord> workers;
};

StoredRun ReadRun(const std::string& db) {
  StoredRun run;
  Result<ResultsStore> store = ResultsStore::Open(db);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().message();
    return run;
  }
  Result<std::vector<ExecutionRecord>> executions = store->ListExecutions();
  if (!executions.ok() || executions->size() != 1) {
    ADD_FAILURE() << "expected one execution in " << db;
    return run;
  }
  int64_t id = executions->front().id;
  run.status = executions->front().status;
  if (Result<int64_t> n = store->CountSamples(id); n.ok()) run.samples = *n;
  Status read = store->ForEachSample(
      id, [&](const Sample& s) { ++run.samples_by_prefix[s.thread_name.substr(0, s.thread_name.find('-'))]; });
  EXPECT_TRUE(read.ok()) << read.message();
  if (Result<std::vector<ExecutionWorkerRecord>> w = store->ExecutionWorkers(id); w.ok()) run.workers = *w;
  EXPECT_TRUE(store->Close().ok());
  return run;
}

class ClusterRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-cluster-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    // Children first (killed by PID in their destructors), then the target.
    workers_.clear();
    controller_.reset();
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string Write(const std::string& name, const std::string& content) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // Starts `barrage run PLAN ARGS...` and waits for its "waiting for ... on ENDPOINT" line.
  // Plain TCP unless `args` brings a --config with keys.
  void StartController(const std::string& plan, std::vector<std::string> args, bool insecure = true) {
    std::vector<std::string> argv = {BARRAGE_BINARY,
                                     "run",
                                     plan,
                                     "--bind",
                                     "tcp://127.0.0.1:*",
                                     "--db",
                                     db_,
                                     "--heartbeat-ms",
                                     controller_heartbeat_ms_,
                                     "--summary-interval",
                                     "1"};
    if (insecure) argv.push_back("--insecure");
    argv.insert(argv.end(), args.begin(), args.end());
    controller_ = std::make_unique<ChildProcess>(argv);
    WaitForEndpoint();
  }

  // Reads the endpoint the controller bound from its first line ("... on tcp://...").
  void WaitForEndpoint() {
    ASSERT_TRUE(controller_->running());
    std::smatch m;
    static const std::regex kEndpoint(" on (tcp://[0-9.]+:[0-9]+)");
    ASSERT_TRUE(PumpUntil([&] { return std::regex_search(controller_->out(), m, kEndpoint); }, milliseconds(10'000)))
        << controller_->out() << controller_->err();
    endpoint_ = m[1];
  }

  // Plain TCP unless `config` names a worker.toml (with keys). `env`: NAME=VALUE for the worker.
  ChildProcess& StartWorker(const std::string& name, const std::string& config = "",
                            const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {BARRAGE_WORKER_BINARY,
                                     "--controller",
                                     endpoint_,
                                     "--name",
                                     name,
                                     "--work-dir",
                                     (dir_ / ("work-" + name)).string(),
                                     "--threads",
                                     "1",
                                     "--heartbeat-ms",
                                     kHeartbeatMs,
                                     "--controller-timeout",
                                     worker_controller_timeout_s_};
    if (config.empty()) {
      argv.push_back("--insecure");
    } else {
      argv.insert(argv.end(), {"--config", config});
    }
    test::SpawnOptions options;
    options.env = env;
    workers_[name] = std::make_unique<ChildProcess>(argv, options);
    EXPECT_TRUE(workers_[name]->running());
    return *workers_[name];
  }

  // Pumps every child's output until `condition` holds or `limit` passes.
  bool PumpUntil(const std::function<bool()>& condition, milliseconds limit) {
    const steady_clock::time_point deadline = steady_clock::now() + limit;
    while (!condition()) {
      if (steady_clock::now() >= deadline) return false;
      if (controller_) controller_->Pump(milliseconds(10));
      for (auto& [name, w] : workers_) w->Pump(milliseconds(0));
    }
    return true;
  }

  // Waits for the controller to exit (pumping the workers meanwhile).
  ProcessResult WaitController() {
    PumpUntil([&] { return !controller_->running(); }, kRunLimit);
    return controller_->Wait(milliseconds(1000));
  }

  std::string AllWorkerLogs() const {
    std::string all;
    for (const auto& [name, w] : workers_) all += "--- " + name + "\n" + w->err();
    return all;
  }

  fs::path dir_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::string db_;
  std::string endpoint_;
  std::string controller_heartbeat_ms_ = kHeartbeatMs;
  std::string worker_controller_timeout_s_ = "2";
  std::unique_ptr<ChildProcess> controller_;
  std::map<std::string, std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(ClusterRunTest, ThreeWorkersRunThePlanAndEverySampleIsStoredOnce) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 5, "/hello.txt"));
  StartController(plan, {"--workers", "3"});
  for (const char* name : {"w1", "w2", "w3"}) StartWorker(name);
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.out.find("barrage: run 1 passed: 30 samples from 3 worker(s)"), std::string::npos) << r.out;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples, 30);
  EXPECT_EQ(server_->requests("/hello.txt"), 30u);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 10}, {"w2", 10}, {"w3", 10}}));
  ASSERT_EQ(run.workers.size(), 3u);
  for (const ExecutionWorkerRecord& w : run.workers) {
    SCOPED_TRACE(w.name);
    EXPECT_EQ(w.state, "finished");
    EXPECT_EQ(w.samples_received, 10u);
    EXPECT_EQ(w.samples_lost, 0u);
  }
}

// Thresholds are judged on the samples of every worker together, as in local mode.
TEST_F(ClusterRunTest, ThresholdsAreEvaluatedOnTheMergedSamplesAndAFailureExits99) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 5, "/hello.txt"));
  StartController(plan, {"--workers", "2", "--threshold", "error_rate<0.5", "--threshold", "min>60000"});
  for (const char* name : {"w1", "w2"}) StartWorker(name);
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 99) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.out.find("barrage: threshold 'error_rate<0.5' passed: error_rate of all samples is 0\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("barrage: threshold 'min>60000' failed: min of all samples is "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("barrage: run 1 failed: 20 samples from 2 worker(s)"), std::string::npos) << r.out;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kFailed);
  EXPECT_EQ(run.samples, 20);
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<std::vector<ThresholdRecord>> stored = store->ThresholdResults(1);
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].expression, "error_rate<0.5");
  EXPECT_TRUE((*stored)[0].passed);
  EXPECT_EQ((*stored)[0].observed, 0.0);
  EXPECT_EQ((*stored)[1].expression, "min>60000");
  EXPECT_FALSE((*stored)[1].passed);
  EXPECT_TRUE(store->Close().ok());
}

TEST_F(ClusterRunTest, AWorkerKilledMidRunIsLostAndTheRunEndsPartialKeepingItsSamples) {
  // 2 users x 40 x /delay/50: about 2 s of load per worker.
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 40, "/delay/50"));
  StartController(plan, {"--workers", "3"});
  for (const char* name : {"w1", "w2", "w3"}) StartWorker(name);
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 30; }, milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();
  ASSERT_TRUE(workers_["w2"]->Signal(SIGKILL));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: worker w2 lost: silent for"), std::string::npos) << r.out;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPartial);
  EXPECT_EQ(run.samples_by_prefix["w1"], 80);
  EXPECT_EQ(run.samples_by_prefix["w3"], 80);
  ASSERT_EQ(run.workers.size(), 3u);
  auto found = std::find_if(run.workers.begin(), run.workers.end(),
                            [](const ExecutionWorkerRecord& w) { return w.name == "w2"; });
  ASSERT_NE(found, run.workers.end());
  const ExecutionWorkerRecord& w2 = *found;
  EXPECT_EQ(w2.state, "lost");
  // What reached the controller from w2 is kept, once.
  EXPECT_EQ(run.samples_by_prefix["w2"], static_cast<int64_t>(w2.samples_received));
  EXPECT_EQ(run.samples, 160 + static_cast<int64_t>(w2.samples_received));
  EXPECT_LE(run.samples, static_cast<int64_t>(server_->requests("/delay/50")));
}

TEST_F(ClusterRunTest, MinWorkersMetTurnsAPartialRunIntoExitZero) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 30, "/delay/50"));
  StartController(plan, {"--workers", "2", "--min-workers", "1"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 10; }, milliseconds(10'000)));
  ASSERT_TRUE(workers_["w1"]->Signal(SIGKILL));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ReadRun(db_).status, ExecutionStatus::kPartial);
}

TEST_F(ClusterRunTest, CtrlCStopsEveryWorkerGracefullyAndKeepsEverySample) {
  // 2 users x 200 x /delay/50 would take 10 s: the interrupt comes long before.
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 200, "/delay/50"));
  StartController(plan, {"--workers", "2"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 20; }, milliseconds(10'000)));
  const steady_clock::time_point interrupted = steady_clock::now();
  ASSERT_TRUE(controller_->Signal(SIGINT));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_LT(steady_clock::now() - interrupted, milliseconds(5'000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("barrage: stopping gracefully (Ctrl-C again to stop now; requests still in flight after "
                       "5 s are aborted)"),
            std::string::npos)
      << r.err;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kAborted);
  EXPECT_LT(run.samples, 800);
  // A graceful stop lets every request in flight finish and be recorded.
  EXPECT_EQ(run.samples, static_cast<int64_t>(server_->requests("/delay/50")));
  for (const ExecutionWorkerRecord& w : run.workers) EXPECT_EQ(w.state, "finished") << w.name;
  // The workers are idle again, not gone.
  for (auto& [name, w] : workers_) EXPECT_TRUE(w->running()) << name;
}

// Issue 16 item 6 in cluster mode: the store fills its disk mid-run; the run stops
// gracefully with exit 1 and the JTL keeps every sample the worker made.
TEST_F(ClusterRunTest, AFullStoreStopsTheRunWithExit1WhileTheJtlKeepsEverySample) {
  // Room for the empty store (~640 KiB: a 16 KiB page per table and index) and its WAL,
  // not for the run's samples.
  SmallTmpfs small(dir_ / "small", "2m");
  if (!small.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  db_ = (dir_ / "small" / "results.db").string();
  const std::string jtl = (dir_ / "results.jtl").string();
  std::string plan = Write("plan.jmx", Plan(server_->port(), 4, 50000, "/hello.txt"));  // ~25 MB of samples
  StartController(plan, {"--workers", "1", "-l", jtl});
  StartWorker("w1");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.err.find("barrage: the results store " + db_ + " failed (" + db_ + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("database or disk is full): stopping the run; every sample goes on to the JTL " + jtl + "\n"),
            std::string::npos)
      << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("barrage: run 1 errored: ([0-9]+) samples from 1 worker")))
      << r.out;
  const int64_t samples = std::stoll(m[1].str());
  EXPECT_LT(samples, 4 * 50000);  // the run stopped instead of running on
  EXPECT_EQ(JtlRows(jtl), samples);
  EXPECT_EQ(static_cast<int64_t>(server_->requests("/hello.txt")), samples);

  // Off the full filesystem: never `passed` (`errored`, or `aborted` by the next open when
  // not even the status could be written).
  const std::string copy = (dir_ / "copy.db").string();
  fs::copy_file(db_, copy);
  if (fs::exists(db_ + "-wal")) fs::copy_file(db_ + "-wal", copy + "-wal");
  StoredRun run = ReadRun(copy);
  EXPECT_TRUE(run.status == ExecutionStatus::kErrored || run.status == ExecutionStatus::kAborted)
      << ExecutionStatusName(run.status);
  EXPECT_LT(run.samples, samples);
}

// The reverse: the JTL fills its disk; the store keeps every sample.
TEST_F(ClusterRunTest, AFullJtlStopsTheRunWithExit1WhileTheStoreKeepsEverySample) {
  SmallTmpfs small(dir_ / "small", "64k");
  if (!small.mounted()) GTEST_SKIP() << "mounting a small tmpfs needs root";
  const std::string jtl = (dir_ / "small" / "results.jtl").string();
  std::string plan = Write("plan.jmx", Plan(server_->port(), 4, 50000, "/hello.txt"));  // ~30 MB of JTL rows
  StartController(plan, {"--workers", "1", "-l", jtl});
  StartWorker("w1");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.err.find("barrage: the JTL failed (write to " + jtl +
                       " failed: No space left on device): stopping the run; every sample goes on to the results "
                       "store " +
                       db_ + "\n"),
            std::string::npos)
      << r.err;
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kErrored);
  EXPECT_LT(run.samples, 4 * 50000);
  EXPECT_EQ(run.samples, static_cast<int64_t>(server_->requests("/hello.txt")));
  EXPECT_NE(r.out.find("barrage: run 1 errored: " + std::to_string(run.samples) + " samples from 1 worker(s)"),
            std::string::npos)
      << r.out;
}

// The same bound as a local run: --duration, then --stop-timeout for the request in
// flight, which is aborted on the worker and stored as an error sample.
TEST_F(ClusterRunTest, AWorkerAbortsATricklingRequestAtTheStopTimeoutAndItIsStored) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, -1, "/trickle/headers"));
  StartController(plan, {"--workers", "1", "--duration", "1", "--stop-timeout", "1"});
  StartWorker("w1");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/trickle/headers") >= 1; }, milliseconds(10'000)))
      << controller_->err() << AllWorkerLogs();
  const steady_clock::time_point started = steady_clock::now();  // the run began before
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_LT(steady_clock::now() - started, milliseconds(3'000));  // 1 s + 1 s + slack
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples, 1);
  ASSERT_EQ(run.workers.size(), 1u);
  EXPECT_EQ(run.workers[0].state, "finished");
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<Sample> samples;
  ASSERT_TRUE(store->ForEachSample(1, [&](const Sample& s) { samples.push_back(s); }).ok());
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].thread_name, "w1-Users 1-1");
  EXPECT_EQ(samples[0].response_code, "Non HTTP response code: java.net.SocketException");
  EXPECT_EQ(samples[0].response_message, "Non HTTP response message: Socket closed");
  EXPECT_FALSE(samples[0].success);
  EXPECT_GE(samples[0].elapsed_us, 1'900'000);  // 1 s + 1 s from the run's start, a few ms before the request's
  EXPECT_TRUE(store->Close().ok());
}

TEST_F(ClusterRunTest, AWorkerWithAnUnknownNameIsRejectedOnBothSides) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  StartController(plan, {"--worker-names", "w1"});
  ChildProcess& intruder = StartWorker("intruder");
  // The worker logs the reason and keeps trying (the controller may change its mind).
  EXPECT_TRUE(PumpUntil(
      [&] { return intruder.err().find("unknown worker name 'intruder'; this run expects w1") != std::string::npos; },
      milliseconds(10'000)))
      << intruder.err();
  StartWorker("w1");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: rejected worker 'intruder'"), std::string::npos) << r.out;
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.samples, 3);
  ASSERT_EQ(run.workers.size(), 2u);
  EXPECT_EQ(run.workers[1].name, "intruder");
  EXPECT_EQ(run.workers[1].state, "rejected");
}

// A peer in this process: a DEALER with a chosen routing id, a CURVE client when given
// its key pair and the controller's public key.
class FakePeer {
 public:
  FakePeer(const std::string& endpoint, const std::string& id, const CurveKeyPair& keys = {},
           const std::string& controller_key = "")
      : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::routing_id, id);
    socket_.set(zmq::sockopt::linger, 0);
    if (!controller_key.empty()) {
      socket_.set(zmq::sockopt::curve_serverkey, controller_key);
      socket_.set(zmq::sockopt::curve_publickey, keys.public_key);
      socket_.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    }
    socket_.connect(endpoint);
  }
  void Send(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }
  void SendParts(const std::vector<std::string>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      socket_.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  // The next message within `limit`, or "" when none came.
  std::string Receive(milliseconds limit) {
    std::vector<zmq::pollitem_t> items = {{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, limit);
    zmq::message_t m;
    if (!(items[0].revents & ZMQ_POLLIN) || !socket_.recv(m, zmq::recv_flags::dontwait)) return "";
    return m.to_string();
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

TEST_F(ClusterRunTest, AnotherProtocolVersionIsRejectedWithTheReason) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  StartController(plan, {"--workers", "1"});
  FakePeer old(endpoint_, "old");
  HelloMessage hello;
  hello.name = "old";
  hello.min_protocol = kProtocolVersion + 1;
  hello.max_protocol = kProtocolVersion + 1;
  old.Send(EncodeHello("", hello, kProtocolVersion + 1));
  std::string reply = old.Receive(milliseconds(5'000));
  const proto::Envelope* e = VerifyEnvelope(reply.data(), reply.size());
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->body_type(), proto::Body::Reject);
  const std::string reason = "protocol version mismatch: the worker speaks " + std::to_string(kProtocolVersion + 1) +
                             ".." + std::to_string(kProtocolVersion + 1) + ", this controller speaks " +
                             std::to_string(kProtocolVersion);
  EXPECT_EQ(DecodeReject(*e->body_as_Reject()).reason, reason);
  StartWorker("w1");
  ProcessResult r = WaitController();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: rejected worker 'old': " + reason), std::string::npos) << r.out;
}

TEST_F(ClusterRunTest, GarbageTruncatedAndOversizedFramesAreDroppedAndTheRunGoesOn) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 10, "/delay/20"));
  StartController(plan, {"--workers", "1"});
  StartWorker("w1");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/20") >= 2; }, milliseconds(10'000)));
  FakePeer evil(endpoint_, "w1-impostor");
  evil.Send("definitely not a flatbuffer");
  std::string batch = EncodeSampleBatch("whatever", 1, 0, {Sample{}});
  evil.Send(batch.substr(0, batch.size() / 2));
  evil.Send(std::string(kMaxMessageBytes + 1, 'x'));
  evil.SendParts({"two", "frames"});
  evil.Send(batch);
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dropped a message from 'w1-impostor': not a valid protocol message (27 bytes)"),
            std::string::npos)
      << r.out;
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples, 20);
  EXPECT_EQ(server_->requests("/delay/20"), 20u);
}

TEST_F(ClusterRunTest, AWorkerPausedThreeSecondsLosesAndDuplicatesNothing) {
  // Default liveness on both sides (the controller loses a worker after four missed 1 s
  // heartbeats, a worker gives its controller 10 s): a 3 s pause is within both.
  // 2 users x 40 x /delay/50: about 2 s of load per worker, plus the pause.
  controller_heartbeat_ms_ = "1000";
  worker_controller_timeout_s_ = "10";
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 40, "/delay/50"));
  StartController(plan, {"--workers", "2"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 10; }, milliseconds(10'000)));
  ASSERT_TRUE(workers_["w1"]->Signal(SIGSTOP));
  const steady_clock::time_point paused = steady_clock::now();
  PumpUntil([&] { return steady_clock::now() - paused >= milliseconds(3'000); }, milliseconds(3'500));
  ASSERT_TRUE(workers_["w1"]->Signal(SIGCONT));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 80}, {"w2", 80}}));
  EXPECT_EQ(server_->requests("/delay/50"), 160u);
  for (const ExecutionWorkerRecord& w : run.workers) {
    EXPECT_EQ(w.samples_received, 80u) << w.name;
    EXPECT_EQ(w.samples_lost, 0u) << w.name;
  }
}

// Time a worker was suspended is not controller silence: resumed after a pause longer than
// its controller_timeout, it reads the frames waiting for it and finishes its share. (Seen
// once during development: the worker judged the controller silent before reading them and
// stopped early; that ordering is a race this test does not force every time.)
TEST_F(ClusterRunTest, APauseLongerThanTheWorkersControllerTimeoutIsNotControllerSilence) {
  controller_heartbeat_ms_ = "1000";
  worker_controller_timeout_s_ = "2";
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 40, "/delay/50"));
  StartController(plan, {"--workers", "1"});
  StartWorker("w1");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 10; }, milliseconds(10'000)));
  ASSERT_TRUE(workers_["w1"]->Signal(SIGSTOP));
  const steady_clock::time_point paused = steady_clock::now();
  PumpUntil([&] { return steady_clock::now() - paused >= milliseconds(3'000); }, milliseconds(3'500));
  ASSERT_TRUE(workers_["w1"]->Signal(SIGCONT));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 80}}));
  EXPECT_EQ(server_->requests("/delay/50"), 80u);
  EXPECT_EQ(AllWorkerLogs().find("stopping the load"), std::string::npos) << AllWorkerLogs();
}

TEST_F(ClusterRunTest, WorkersStopTheLoadWhenTheControllerDiesAndServeTheNextRun) {
  // 2 users x 200 x /delay/50 would take 10 s per worker.
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 200, "/delay/50"));
  StartController(plan, {"--workers", "2"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 10; }, milliseconds(10'000)));
  ASSERT_TRUE(controller_->Signal(SIGKILL));
  const steady_clock::time_point killed = steady_clock::now();
  controller_->Wait(milliseconds(2'000));
  // The workers' controller_timeout is 2 s: the count must stop moving soon after.
  uint64_t last = server_->requests("/delay/50");
  steady_clock::time_point last_change = killed;
  PumpUntil(
      [&] {
        uint64_t now = server_->requests("/delay/50");
        if (now != last) {
          last = now;
          last_change = steady_clock::now();
        }
        return steady_clock::now() - last_change >= milliseconds(1'500);
      },
      milliseconds(8'000));
  EXPECT_LT(last_change - killed, milliseconds(3'000));
  EXPECT_LT(last, 800u);
  for (auto& [name, w] : workers_) EXPECT_TRUE(w->running()) << name;

  // A new controller on the same endpoint: the idle workers register again and run.
  std::string port = endpoint_.substr(endpoint_.rfind(':') + 1);
  db_ = (dir_ / "second.db").string();
  server_->ResetStats();
  std::string short_plan = Write("short.jmx", Plan(server_->port(), 1, 5, "/hello.txt"));
  std::vector<std::string> argv = {BARRAGE_BINARY, "run",  short_plan, "--bind",         "tcp://127.0.0.1:" + port,
                                   "--insecure",   "--db", db_,        "--heartbeat-ms", kHeartbeatMs,
                                   "--workers",    "2"};
  controller_ = std::make_unique<ChildProcess>(argv);
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 5}, {"w2", 5}}));
  EXPECT_EQ(server_->requests("/hello.txt"), 10u);
}

TEST_F(ClusterRunTest, JMeterRemoteHostsSpellingNamesTheWorkers) {
  Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  controller_ =
      std::make_unique<ChildProcess>(std::vector<std::string>{BARRAGE_BINARY, "-n", "-t", "plan.jmx", "-R", "w1,w2",
                                                              "--bind", "tcp://127.0.0.1:*", "--insecure"},
                                     test::SpawnOptions{.cwd = dir_.string()});
  WaitForEndpoint();
  StartWorker("w1");
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  StoredRun run = ReadRun((dir_ / "barrage.db").string());
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 3}, {"w2", 3}}));
}

TEST_F(ClusterRunTest, WorkersCommandListsTheWorkersThatConnect) {
  controller_ = std::make_unique<ChildProcess>(std::vector<std::string>{BARRAGE_BINARY, "workers", "--listen", "1500ms",
                                                                        "--bind", "tcp://127.0.0.1:*", "--insecure"});
  WaitForEndpoint();
  StartWorker("w1");
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::regex line("(^|\\n)w1\\t[^\\t]+\\t[0-9]+ cores\\t0\\.1\\.0\\tprotocol 1\\.\\.1\\n");
  EXPECT_TRUE(std::regex_search(r.out, line)) << r.out;
  EXPECT_NE(r.out.find("\nw2\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("barrage: 2 worker(s)\n"), std::string::npos) << r.out;
  // Nobody answered them: they wait for a real run.
  for (auto& [name, w] : workers_) EXPECT_TRUE(w->running()) << name;
}

TEST_F(ClusterRunTest, SplitDataGivesEachWorkerItsOwnRowsAndWorkerIndexIsAProperty) {
  // One user x 2 loops per worker; the CSV (names from its header) is split 2 + 2.
  Write("users.csv", "id\n101\n102\n103\n104\n");
  std::string csv = El("CSVDataSet", "users",
                       Str("filename", "users.csv") + Str("variableNames", "") + Str("delimiter", ",") +
                           Str("shareMode", "shareMode.all"));
  std::string http =
      El("HTTPSamplerProxy", "Get",
         Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(server_->port())) +
             Str("HTTPSampler.path", "/item?id=${id}&w=${__P(worker.index)}"));
  std::string plan = Write("plan.jmx",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
                           "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
                               csv +
                               El("ThreadGroup", "Users",
                                  Str("ThreadGroup.num_threads", "1") + Str("ThreadGroup.ramp_time", "0") +
                                      "<elementProp name=\"ThreadGroup.main_controller\" "
                                      "elementType=\"LoopController\">\n" +
                                      Str("LoopController.loops", "2") + "</elementProp>\n",
                                  http) +
                               "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n");
  StartController(plan, {"--worker-names", "w1,w2", "--split-data", "users.csv"});
  StartWorker("w1");
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  std::map<std::string, std::vector<std::string>> queries;  // worker -> query strings in order
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  Status read = store->ForEachSample(1, [&](const Sample& s) {
    queries[s.thread_name.substr(0, s.thread_name.find('-'))].push_back(s.url.substr(s.url.find('?') + 1));
  });
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(store->Close().ok());
  EXPECT_EQ(queries, (std::map<std::string, std::vector<std::string>>{{"w1", {"id=101&w=0", "id=102&w=0"}},
                                                                      {"w2", {"id=103&w=1", "id=104&w=1"}}}));
}

// The keystore (-D javax.net.ssl.keyStore) goes to the workers with the plan: they present
// its key though the file is gone once the controller has read it.
TEST_F(ClusterRunTest, KeystoreIsShippedToTheWorkers) {
  tls_test::ClientCertServer tls;
  std::string keystore =
      Write("users.pem", tls_test::Pem({tls_test::MakeIdentity("a", "user-a"), tls_test::MakeIdentity("b", "user-b")}));
  std::string http = El("HTTPSamplerProxy", "Get",
                        Str("HTTPSampler.protocol", "https") + Str("HTTPSampler.domain", "127.0.0.1") +
                            Str("HTTPSampler.port", std::to_string(tls.port())) + Str("HTTPSampler.path", "/"));
  std::string plan = Write("plan.jmx",
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
                           "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
                               El("KeystoreConfig", "Keystore",
                                  Str("clientCertAliasVarName", "") + Str("startIndex", "0") + Str("endIndex", "1")) +
                               El("ThreadGroup", "Users",
                                  Str("ThreadGroup.num_threads", "2") + Str("ThreadGroup.ramp_time", "0") +
                                      "<elementProp name=\"ThreadGroup.main_controller\" "
                                      "elementType=\"LoopController\">\n" +
                                      Str("LoopController.loops", "1") + "</elementProp>\n",
                                  http) +
                               "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n");
  StartController(plan, {"--worker-names", "w1,w2", "-D", "javax.net.ssl.keyStore=" + keystore});
  fs::remove(keystore);
  StartWorker("w1");
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  std::map<std::string, std::vector<std::string>> seen;  // worker -> the CNs the server saw
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  Status read = store->ForEachSample(1, [&](const Sample& s) {
    seen[s.thread_name.substr(0, s.thread_name.find('-'))].push_back(s.response_code + " " + s.response_message);
  });
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(store->Close().ok());
  for (auto& [worker, v] : seen) std::sort(v.begin(), v.end());
  // Each worker has its own round robin, as each JMeter server has its own SSLManager.
  EXPECT_EQ(seen, (std::map<std::string, std::vector<std::string>>{{"w1", {"200 user-a", "200 user-b"}},
                                                                   {"w2", {"200 user-a", "200 user-b"}}}));
}

// A Test Plan whose Thread Group "Users" runs `threads` users once through a JSR223 Sampler
// "Script" reading its Groovy from `script_file`.
std::string ScriptPlan(int threads, const std::string& script_file) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", "1") + "</elementProp>\n",
            El("JSR223Sampler", "Script",
               Str("scriptLanguage", "groovy") + Str("filename", script_file) + Str("cacheKey", "true"))) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

// Issue 11: a script file ships to the workers like a data file; each worker's users run the
// shipped copy (the original is deleted once the controller has read it). The workers start
// their JVM while loading, which takes longer than the 0.8 s after which a silent worker is
// lost: they keep heartbeating meanwhile (the engine is prepared off the control loop).
TEST_F(ClusterRunTest, AScriptPlanRunsOnTwoWorkersWithItsShippedScriptFile) {
  std::string script = Write("sample.groovy",
                             "SampleResult.setResponseCode('299')\n"
                             "SampleResult.setResponseMessage('shipped ' + ctx.getThreadNum())\n");
  std::string plan = Write("plan.jmx", ScriptPlan(2, script));
  StartController(plan, {"--worker-names", "w1,w2"});
  fs::remove(script);
  StartWorker("w1");
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  std::map<std::string, std::vector<std::string>> seen;  // worker -> its samples' code and message
  Result<ResultsStore> store = ResultsStore::Open(db_);
  ASSERT_TRUE(store.ok());
  Status read = store->ForEachSample(1, [&](const Sample& s) {
    seen[s.thread_name.substr(0, s.thread_name.find('-'))].push_back(s.label + " " + s.response_code + " " +
                                                                     s.response_message);
  });
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(store->Close().ok());
  for (auto& [worker, v] : seen) std::sort(v.begin(), v.end());
  EXPECT_EQ(seen, (std::map<std::string, std::vector<std::string>>{
                      {"w1", {"Script 299 shipped 0", "Script 299 shipped 1"}},
                      {"w2", {"Script 299 shipped 0", "Script 299 shipped 1"}}}));
  // Each worker's script host is in the run's infrastructure info.
  Result<ResultsStore> reopened = ResultsStore::Open(db_);
  ASSERT_TRUE(reopened.ok());
  Result<ExecutionRecord> run = reopened->GetExecution(1);
  ASSERT_TRUE(run.ok()) << run.status().message();
  nlohmann::json infra = nlohmann::json::parse(run->infra_json, nullptr, false);
  EXPECT_TRUE(reopened->Close().ok());
  ASSERT_TRUE(infra.is_object()) << run->infra_json;
  EXPECT_EQ(infra["mode"], "cluster");
  for (const char* worker : {"w1", "w2"}) {
    const nlohmann::json& host = infra["script_hosts"][worker];
    ASSERT_TRUE(host.is_object()) << run->infra_json;
    EXPECT_EQ(host["version"].get<std::string>().rfind("Java 17.", 0), 0u) << host;
    EXPECT_EQ(host["max_heap_mb"], nullptr) << host;  // the default cap, 512 MiB
    EXPECT_GT(host["heap_max_bytes"].get<int64_t>(), 400ll << 20) << host;
    EXPECT_GT(host["heap_used_bytes"].get<int64_t>(), 0) << host;
  }
}

// Issue 11: a worker without Java (BARRAGE_JAVA_HOME=none hides it) answers a script plan's
// load with what to install, and the controller's start fails naming that worker.
TEST_F(ClusterRunTest, AWorkerWithoutJavaFailsAScriptPlansStartNamingItAndThePackage) {
  std::string script = Write("sample.groovy", "SampleResult.setResponseCode('299')\n");
  std::string plan = Write("plan.jmx", ScriptPlan(1, script));
  StartController(plan, {"--worker-names", "w1,w2"});
  StartWorker("w1");
  StartWorker("w2", "", {"BARRAGE_JAVA_HOME=none"});
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.err.find("barrage: worker w2 cannot run the plan: plan.jmx: the plan has script elements (JSR223Sampler "
                       "'Script', line 14): groovy scripts need a Java 17 runtime (Debian package "
                       "openjdk-17-jre-headless)\n"),
            std::string::npos)
      << r.out << r.err << AllWorkerLogs();
  EXPECT_EQ(ReadRun(db_).samples, 0);
}

// Worker safety (issue 14): a worker whose allowed_targets do not hold the plan's host
// refuses the plan before any request; the controller names the worker, the host and the
// plan's line, and the run fails with nothing sent. A worker that allows it runs the plan.
// An ephemeral worker (a Kubernetes Job's pod): it serves one run, delivers everything, exits 0;
// and it also leaves after a run it refused.
TEST_F(ClusterRunTest, AWorkerWithExitAfterRunExitsZeroOnceItsRunIsDeliveredOrRefused) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 5, "/hello.txt"));
  std::string once = Write("once.toml", "exit_after_run = true\n[security]\ninsecure = true\n");
  StartController(plan, {"--workers", "2"});
  ChildProcess& w1 = StartWorker("w1", once);
  ChildProcess& w2 = StartWorker("w2");  // serves run after run
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.out.find("barrage: run 1 passed: 20 samples from 2 worker(s)"), std::string::npos) << r.out;
  ProcessResult left = w1.Wait(milliseconds(10'000));
  ASSERT_FALSE(left.timed_out) << AllWorkerLogs();
  EXPECT_EQ(left.exit_code, 0) << left.err;
  EXPECT_TRUE(std::regex_search(left.err, std::regex("run 1-[0-9a-f]+: ended; exiting \\(exit_after_run\\)")))
      << left.err;
  EXPECT_TRUE(w2.running());
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.samples, 20);
  ASSERT_EQ(run.workers.size(), 2u);
  for (const ExecutionWorkerRecord& w : run.workers) EXPECT_EQ(w.state, "finished") << w.name;

  workers_.clear();
  std::string refusing =
      Write("refusing.toml", "exit_after_run = true\nallowed_targets = [\"127.0.0.2\"]\n[security]\ninsecure = true\n");
  StartController(plan, {"--workers", "1"});
  ChildProcess& w3 = StartWorker("w3", refusing);
  r = WaitController();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  left = w3.Wait(milliseconds(10'000));
  ASSERT_FALSE(left.timed_out) << AllWorkerLogs();
  EXPECT_EQ(left.exit_code, 0) << left.err;
  EXPECT_TRUE(std::regex_search(left.err, std::regex("run 2-[0-9a-f]+: ended; exiting \\(exit_after_run\\)")))
      << left.err;
}

TEST_F(ClusterRunTest, AWorkerRefusesAPlanWhoseHostIsNotInItsAllowedTargets) {
  const std::string plan_text = Plan(server_->port(), 1, 4, "/hello.txt");
  std::string plan = Write("plan.jmx", plan_text);
  std::string strict = Write("strict.toml", "allowed_targets = [\"127.0.0.2\"]\n[security]\ninsecure = true\n");
  StartController(plan, {"--workers", "1"});
  StartWorker("w1", strict);
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err << AllWorkerLogs();
  const size_t at = plan_text.find("<HTTPSamplerProxy");
  const int line =
      1 + static_cast<int>(std::count(plan_text.begin(), plan_text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  EXPECT_NE(r.err.find("barrage: worker w1 cannot run the plan: plan.jmx: HTTP Request 'Get' (line " +
                       std::to_string(line) + "): host 127.0.0.1:" + std::to_string(server_->port()) +
                       " is not in this worker's allowed_targets (127.0.0.2)\n"),
            std::string::npos)
      << r.err << AllWorkerLogs();
  EXPECT_EQ(server_->requests(), 0u);
  EXPECT_EQ(ReadRun(db_).samples, 0);

  workers_.clear();
  std::string allowing =
      Write("allowing.toml", "allowed_targets = [\"127.0.0.2\", \"127.0.0.1:" + std::to_string(server_->port()) +
                                 "\"]\n[security]\ninsecure = true\n");
  StartController(plan, {"--workers", "1"});
  StartWorker("w1", allowing);
  r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  EXPECT_EQ(server_->requests("/hello.txt"), 4u);
}

TEST_F(ClusterRunTest, CurveAdmitsAllowedWorkersAndRefusesOtherKeys) {
  std::string controller_key = test::Keygen({BARRAGE_BINARY, "keygen", "-o", (dir_ / "controller.key").string()});
  test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", (dir_ / "w1.key").string()});
  std::string stranger_key = test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", (dir_ / "stranger.key").string()});
  // The allowlist names w1's key file (relative to the config's folder).
  std::string config =
      Write("controller.toml", "[security]\nsecret_key_file = \"controller.key\"\nallowed_workers = [\"w1.key\"]\n");
  for (const char* name : {"w1", "stranger"}) {
    Write(std::string(name) + ".toml", "[security]\nsecret_key_file = \"" +
                                           (dir_ / (std::string(name) + ".key")).string() +
                                           "\"\ncontroller_public_key = \"" + controller_key + "\"\n");
  }
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 4, "/hello.txt"));
  StartController(plan, {"--workers", "1", "--config", config}, /*insecure=*/false);
  StartWorker("stranger", (dir_ / "stranger.toml").string());
  ASSERT_TRUE(PumpUntil([&] { return controller_->out().find("is not in the allowlist") != std::string::npos; },
                        milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();
  EXPECT_NE(controller_->out().find("public key " + stranger_key + " is not in the allowlist"), std::string::npos)
      << controller_->out();
  // ... and the worker says so too.
  EXPECT_TRUE(PumpUntil(
      [&] { return workers_["stranger"]->err().find("refused this worker's CURVE key") != std::string::npos; },
      milliseconds(5'000)))
      << workers_["stranger"]->err();
  StartWorker("w1", (dir_ / "w1.toml").string());
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 4}}));
  EXPECT_EQ(server_->requests("/hello.txt"), 4u);
}

// Issue 16, item 5: a peer with another allowed key claiming a registered worker's name
// (and its old routing id, the name) is rejected, before and during the run, and never
// receives that worker's messages; the worker is not disturbed.
TEST_F(ClusterRunTest, APeerClaimingARegisteredNameWithAnotherKeyIsRejectedAndDisturbsNothing) {
  std::string controller_key = test::Keygen({BARRAGE_BINARY, "keygen", "-o", (dir_ / "controller.key").string()});
  for (const char* name : {"w1", "w2", "intruder"}) {
    test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", (dir_ / (std::string(name) + ".key")).string()});
    Write(std::string(name) + ".toml", "[security]\nsecret_key_file = \"" +
                                           (dir_ / (std::string(name) + ".key")).string() +
                                           "\"\ncontroller_public_key = \"" + controller_key + "\"\n");
  }
  std::string config = Write("controller.toml",
                             "[security]\nsecret_key_file = \"controller.key\"\n"
                             "allowed_workers = [\"w1.key\", \"w2.key\", \"intruder.key\"]\n");
  Result<CurveKeyPair> intruder_keys = LoadCurveKeyFile((dir_ / "intruder.key").string());
  ASSERT_TRUE(intruder_keys.ok()) << intruder_keys.status().message();
  // 2 users x 20 x /delay/50: about 1 s of load per worker.
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 20, "/delay/50"));
  StartController(plan, {"--workers", "2", "--config", config}, /*insecure=*/false);
  StartWorker("w1", (dir_ / "w1.toml").string());
  ASSERT_TRUE(PumpUntil([&] { return controller_->out().find("worker w1 registered") != std::string::npos; },
                        milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();

  FakePeer intruder(endpoint_, "w1", *intruder_keys, controller_key);
  std::vector<proto::Body> received;
  std::vector<std::string> reasons;
  auto drain = [&] {
    for (std::string m = intruder.Receive(milliseconds(0)); !m.empty(); m = intruder.Receive(milliseconds(0))) {
      const proto::Envelope* e = VerifyEnvelope(m.data(), m.size());
      ASSERT_NE(e, nullptr);
      received.push_back(e->body_type());
      if (e->body_type() == proto::Body::Reject) reasons.push_back(DecodeReject(*e->body_as_Reject()).reason);
    }
  };
  HelloMessage hello;
  hello.name = "w1";
  hello.host = "elsewhere";
  hello.software_version = "0.1.0";
  intruder.Send(EncodeHello("", hello));
  ASSERT_TRUE(PumpUntil(
      [&] {
        drain();
        return reasons.size() == 1;
      },
      milliseconds(5'000)))
      << controller_->out();
  StartWorker("w2", (dir_ / "w2.toml").string());
  ASSERT_TRUE(PumpUntil(
      [&] {
        drain();
        return server_->requests("/delay/50") >= 10;
      },
      milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();
  intruder.Send(EncodeHello("", hello));  // again, while the run is under way
  PumpUntil(
      [&] {
        drain();
        return !controller_->running();
      },
      kRunLimit);
  ProcessResult r = controller_->Wait(milliseconds(1000));
  drain();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  const std::string reason = "the name 'w1' belongs to another key";
  EXPECT_EQ(reasons, (std::vector<std::string>{reason, reason}));
  EXPECT_EQ(received, (std::vector<proto::Body>{proto::Body::Reject, proto::Body::Reject}));
  const std::string fingerprints = "(key " + intruder_keys->public_key.substr(0, 8) + "..., the name is bound to key " +
                                   LoadCurveKeyFile((dir_ / "w1.key").string())->public_key.substr(0, 8) + "...)";
  EXPECT_NE(r.out.find("barrage: rejected worker 'w1' (elsewhere): " + reason + " " + fingerprints), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("lost"), std::string::npos) << r.out;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 40}, {"w2", 40}}));
  EXPECT_EQ(server_->requests("/delay/50"), 80u);
  ASSERT_EQ(run.workers.size(), 3u);
  EXPECT_EQ(run.workers[0].name, "w1");
  EXPECT_EQ(run.workers[0].state, "finished");
  EXPECT_EQ(run.workers[1].name, "w2");
  EXPECT_EQ(run.workers[1].state, "finished");
  EXPECT_EQ(run.workers[2].name, "w1");
  EXPECT_EQ(run.workers[2].host, "elsewhere");
  EXPECT_EQ(run.workers[2].state, "rejected");
}

// Issue 16, item 8: the controller paused (SIGSTOP) longer than a worker's liveness window
// does not blame its workers: on resume it reads what they sent meanwhile and the run
// passes with every sample.
TEST_F(ClusterRunTest, AControllerPausedFiveSecondsLosesNoWorkerAndNoSample) {
  // Default liveness: a worker is lost after four missed 1 s heartbeats; a worker gives
  // its controller 10 s. 2 users x 60 x /delay/50: about 3 s of load per worker.
  controller_heartbeat_ms_ = "1000";
  worker_controller_timeout_s_ = "10";
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 60, "/delay/50"));
  StartController(plan, {"--workers", "2"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 10; }, milliseconds(10'000)));
  ASSERT_TRUE(controller_->Signal(SIGSTOP));
  const steady_clock::time_point paused = steady_clock::now();
  PumpUntil([&] { return steady_clock::now() - paused >= milliseconds(5'000); }, milliseconds(5'500));
  ASSERT_TRUE(controller_->Signal(SIGCONT));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  EXPECT_EQ(r.out.find("lost"), std::string::npos) << r.out;
  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPassed);
  EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 120}, {"w2", 120}}));
  EXPECT_EQ(server_->requests("/delay/50"), 240u);
  for (const ExecutionWorkerRecord& w : run.workers) {
    EXPECT_EQ(w.state, "finished") << w.name;
    EXPECT_EQ(w.samples_lost, 0u) << w.name;
  }
}

// Samples in the SampleBatch files under `dir` (a worker's spool folder for one run).
uint64_t SpooledSamples(const fs::path& dir) {
  uint64_t samples = 0;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    std::ifstream in(file.path(), std::ios::binary);
    std::string frame((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<uint64_t> aligned;
    const proto::Envelope* e = VerifyEnvelope(AlignedFrame(frame.data(), frame.size(), &aligned), frame.size());
    if (e != nullptr && e->body_as_SampleBatch() != nullptr && e->body_as_SampleBatch()->samples() != nullptr) {
      samples += e->body_as_SampleBatch()->samples()->size();
    }
  }
  return samples;
}

// Issue 16, item 11: a worker killed with -9 before the controller acknowledged its
// batches (the controller is paused) resends them once restarted on the same work
// directory: the controller stores every sample, once. The worker itself restarted, so
// the run is partial.
TEST_F(ClusterRunTest, AWorkerKilledBeforeItsBatchesWereAcknowledgedResendsThemWhenRestarted) {
  worker_controller_timeout_s_ = "30";  // the workers wait out the controller's pause
  // 2 users x 20 x /delay/50: about 1 s of load per worker.
  std::string plan = Write("plan.jmx", Plan(server_->port(), 2, 20, "/delay/50"));
  StartController(plan, {"--workers", "2"});
  StartWorker("w1");
  StartWorker("w2");
  ASSERT_TRUE(PumpUntil([&] { return server_->requests("/delay/50") >= 4; }, milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();
  ASSERT_TRUE(controller_->Signal(SIGSTOP));
  std::smatch run;
  static const std::regex kRun("run ([0-9]+-[0-9a-f]+): load started");
  ASSERT_TRUE(std::regex_search(workers_["w1"]->err(), run, kRun)) << AllWorkerLogs();
  const fs::path spool = dir_ / "work-w1" / "spool" / run[1].str();
  // Every sample of w1 is in its spool, unacknowledged: kill it.
  ASSERT_TRUE(PumpUntil([&] { return SpooledSamples(spool) == 40; }, milliseconds(10'000)))
      << SpooledSamples(spool) << AllWorkerLogs();
  ASSERT_TRUE(workers_["w1"]->Signal(SIGKILL));
  workers_["w1"]->Wait(milliseconds(5'000));
  StartWorker("w1");
  ASSERT_TRUE(controller_->Signal(SIGCONT));
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.out.find("barrage: worker w1 lost: it reports idle before finishing the run (restarted?)"),
            std::string::npos)
      << r.out;
  StoredRun stored = ReadRun(db_);
  EXPECT_EQ(stored.status, ExecutionStatus::kPartial);
  EXPECT_EQ(stored.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 40}, {"w2", 40}}));
  EXPECT_EQ(server_->requests("/delay/50"), 80u);
  EXPECT_FALSE(fs::exists(spool));
}

TEST_F(ClusterRunTest, WorkersThatNeverComeTimeOutNamingTheMissingOnes) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 1, "/hello.txt"));
  StartController(plan, {"--worker-names", "w1,w2", "--worker-timeout", "1"});
  StartWorker("w2");
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("barrage: timed out after 1 s waiting for workers; missing: w1 (1 registered)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(ReadRun(db_).status, ExecutionStatus::kErrored);
  EXPECT_EQ(server_->requests(), 0u);
}

// --- malformed frames from a peer the controller admits (issue 16 item 1) ----------------

// The Hello of the issue: one byte changed, so that the body is gone but the frame still
// verifies. It used to crash the controller (segfault in DecodeHello).
std::string HelloWithOneByteChanged() {
  return test::WithBodyCutByOneByte(
      EncodeHello("", HelloMessage{"evil", "evil.local", 4, kProtocolVersion, kProtocolVersion, "0.1.0"}));
}

class MalformedFrameTest : public ClusterRunTest {
 protected:
  // A secure controller setup: its key pair, w1's (allowed) and the peer's (also allowed:
  // the attacker holds an admitted key). Returns the controller's config file.
  std::string SecureSetup() {
    controller_key_ = test::Keygen({BARRAGE_BINARY, "keygen", "-o", (dir_ / "controller.key").string()});
    test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", (dir_ / "w1.key").string()});
    Result<CurveKeyPair> peer = GenerateCurveKeyPair();
    EXPECT_TRUE(peer.ok());
    peer_keys_ = *peer;
    Write("peer.pub", "public_key = \"" + peer_keys_.public_key + "\"\n");
    Write("w1.toml", "[security]\nsecret_key_file = \"" + (dir_ / "w1.key").string() +
                         "\"\ncontroller_public_key = \"" + controller_key_ + "\"\n");
    return Write("controller.toml",
                 "[security]\nsecret_key_file = \"controller.key\"\n"
                 "allowed_workers = [\"w1.key\", \"peer.pub\"]\n");
  }

  // Sends the changed Hello as `peer` and expects the permanent Reject naming why.
  void SendChangedHelloExpectingReject(FakePeer& peer) {
    peer.Send(HelloWithOneByteChanged());
    std::string reply = peer.Receive(milliseconds(5'000));
    const proto::Envelope* e = VerifyEnvelope(reply.data(), reply.size());
    ASSERT_NE(e, nullptr) << controller_->out() << controller_->err();
    Result<const proto::Reject*> reject = BodyOf<proto::Reject>(*e);
    ASSERT_TRUE(reject.ok()) << reject.status().message();
    EXPECT_EQ(DecodeReject(**reject).reason, "malformed Hello: Hello without a body");
    EXPECT_TRUE(DecodeReject(**reject).permanent);
  }

  // The run then goes on with a real worker and passes.
  void ExpectTheRunPasses(const std::string& worker_config) {
    StartWorker("w1", worker_config);
    ProcessResult r = WaitController();
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
    EXPECT_NE(r.out.find("barrage: rejected worker 'evil-peer': malformed Hello: Hello without a body"),
              std::string::npos)
        << r.out;
    StoredRun run = ReadRun(db_);
    EXPECT_EQ(run.status, ExecutionStatus::kPassed);
    EXPECT_EQ(run.samples_by_prefix, (std::map<std::string, int64_t>{{"w1", 3}}));
    EXPECT_EQ(server_->requests("/hello.txt"), 3u);
  }

  std::string controller_key_;
  CurveKeyPair peer_keys_;
};

TEST_F(MalformedFrameTest, AKeyedPeersHelloWithOneByteChangedIsRejectedAndTheRunPasses) {
  std::string config = SecureSetup();
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  StartController(plan, {"--workers", "1", "--config", config}, /*insecure=*/false);
  FakePeer evil(endpoint_, "evil-peer", peer_keys_, controller_key_);
  SendChangedHelloExpectingReject(evil);
  // Every other message type without its body, from the same admitted peer.
  for (proto::Body type :
       {proto::Body::Heartbeat, proto::Body::Ready, proto::Body::SampleBatch, proto::Body::Finished}) {
    evil.Send(test::BodylessFrame(type));
  }
  ExpectTheRunPasses((dir_ / "w1.toml").string());
}

TEST_F(MalformedFrameTest, AnInsecureControllerRejectsAHelloWithOneByteChangedAndTheRunPasses) {
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  StartController(plan, {"--workers", "1"});
  FakePeer evil(endpoint_, "evil-peer");
  SendChangedHelloExpectingReject(evil);
  ExpectTheRunPasses("");
}

TEST_F(MalformedFrameTest, WorkersCommandDropsAHelloWithOneByteChangedAndListsTheRealWorker) {
  std::string config = SecureSetup();
  controller_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      BARRAGE_BINARY, "workers", "--listen", "1500ms", "--bind", "tcp://127.0.0.1:*", "--config", config});
  WaitForEndpoint();
  FakePeer evil(endpoint_, "evil-peer", peer_keys_, controller_key_);
  evil.Send(HelloWithOneByteChanged());
  evil.Send(test::BodylessFrame(proto::Body::Hello));
  StartWorker("w1", (dir_ / "w1.toml").string());
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\nw1\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("barrage: 1 worker(s)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err,
            "barrage: dropped a message from 'evil-peer': Hello without a body\n"
            "barrage: dropped a message from 'evil-peer': Hello without a body\n");
}

// --- secret key files open to group or others (issue 16 item 9) ----------------------------

TEST_F(MalformedFrameTest, AControllerKeyFileReadableByOthersIsRefusedUnlessAllowed) {
  std::string config = SecureSetup();
  const std::string key = (dir_ / "controller.key").string();
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  std::string plan = Write("plan.jmx", Plan(server_->port(), 1, 3, "/hello.txt"));
  const std::string open = key +
                           ": UNPROTECTED SECRET KEY FILE: permissions 0644 are too open: group or others "
                           "may access the secret key (chmod 600 " +
                           key + ")";
  for (const char* command : {"run", "workers"}) {
    std::vector<std::string> argv = {BARRAGE_BINARY, command};
    if (std::string(command) == "run") argv.insert(argv.end(), {plan, "--workers", "1", "--db", db_});
    argv.insert(argv.end(), {"--bind", "tcp://127.0.0.1:*", "--config", config});
    ProcessResult refused = test::RunProcess(argv, milliseconds(10'000));
    EXPECT_EQ(refused.exit_code, 2) << command << refused.out << refused.err;
    EXPECT_NE(refused.err.find("barrage: " + config + ":2: key security.secret_key_file: " + open +
                               "; --allow-insecure-key-permissions"),
              std::string::npos)
        << command << refused.err;
  }
  EXPECT_EQ(server_->requests(), 0u);
  // Allowed: a loud warning, then the run works.
  StartController(plan, {"--workers", "1", "--config", config, "--allow-insecure-key-permissions"},
                  /*insecure=*/false);
  StartWorker("w1", (dir_ / "w1.toml").string());
  ProcessResult r = WaitController();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << AllWorkerLogs();
  EXPECT_NE(r.err.find("barrage: WARNING: " + open + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(server_->requests("/hello.txt"), 3u);
}

TEST_F(MalformedFrameTest, AWorkerKeyFileReadableByOthersIsRefusedUnlessAllowed) {
  SecureSetup();
  const std::string key = (dir_ / "w1.key").string();
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  const std::vector<std::string> argv = {
      BARRAGE_WORKER_BINARY,       "--controller", "tcp://127.0.0.1:1",        "--name", "w1", "--work-dir",
      (dir_ / "work-w1").string(), "--config",     (dir_ / "w1.toml").string()};
  ProcessResult refused = test::RunProcess(argv, milliseconds(10'000));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  const std::string open = key +
                           ": UNPROTECTED SECRET KEY FILE: permissions 0640 are too open: group or others "
                           "may access the secret key (chmod 600 " +
                           key + ")";
  EXPECT_NE(refused.err.find(open + "; --allow-insecure-key-permissions"), std::string::npos) << refused.err;
  // Allowed: it warns and runs until SIGTERM.
  std::vector<std::string> allowed = argv;
  allowed.push_back("--allow-insecure-key-permissions");
  ChildProcess worker(allowed);
  const steady_clock::time_point deadline = steady_clock::now() + milliseconds(10'000);
  while (worker.err().find("dialing") == std::string::npos && steady_clock::now() < deadline) {
    worker.Pump(milliseconds(10));
  }
  ASSERT_NE(worker.err().find("dialing"), std::string::npos) << worker.err();
  EXPECT_NE(worker.err().find("WARNING: " + open), std::string::npos) << worker.err();
  worker.Signal(SIGTERM);
  ProcessResult r = worker.Wait(milliseconds(10'000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// --- workers in network namespaces (root only) ------------------------------------------

constexpr char kIp[] = "/usr/sbin/ip";
constexpr char kNsFixturePort[] = "18080";

// Each worker in its own network namespace, joined to the controller's by a veth pair
// (10.251.K.1 on the host side, 10.251.K.2 inside), with its own fixture on the
// namespace's 127.0.0.1:18080, so the plan's target is local to every worker and a link
// can be cut under one of them.
class ClusterNetnsTest : public ClusterRunTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    prefix_ = "brg" + std::to_string(getpid() % 100000);
    ProcessResult probe = test::RunProcess({kIp, "netns", "add", prefix_ + "-probe"}, milliseconds(10'000));
    if (probe.exit_code != 0) GTEST_SKIP() << "cannot create network namespaces here: " << probe.err;
    test::RunProcess({kIp, "netns", "del", prefix_ + "-probe"}, milliseconds(10'000));
    ClusterRunTest::SetUp();
  }
  void TearDown() override {
    workers_.clear();
    fixtures_.clear();
    for (const std::string& ns : namespaces_) test::RunProcess({kIp, "netns", "del", ns}, milliseconds(10'000));
    ClusterRunTest::TearDown();
  }

  void Ip(std::vector<std::string> args) {
    args.insert(args.begin(), kIp);
    ProcessResult r = test::RunProcess(args, milliseconds(10'000));
    ASSERT_EQ(r.exit_code, 0) << args[1] << " " << args[2] << ": " << r.err;
  }
  std::string Ns(int k) const { return prefix_ + "-" + std::to_string(k); }
  std::string HostLink(int k) const { return prefix_ + "h" + std::to_string(k); }

  // Namespace k with its link and its fixture.
  void AddNamespace(int k) {
    const std::string ns = Ns(k), host = HostLink(k), peer = prefix_ + "p" + std::to_string(k);
    const std::string net = "10.251." + std::to_string(k) + ".";
    Ip({"netns", "add", ns});
    namespaces_.push_back(ns);
    Ip({"link", "add", host, "type", "veth", "peer", "name", peer});
    Ip({"link", "set", peer, "netns", ns});
    Ip({"addr", "add", net + "1/30", "dev", host});
    Ip({"link", "set", host, "up"});
    Ip({"netns", "exec", ns, kIp, "addr", "add", net + "2/30", "dev", peer});
    Ip({"netns", "exec", ns, kIp, "link", "set", peer, "up"});
    Ip({"netns", "exec", ns, kIp, "link", "set", "lo", "up"});
    auto fixture = std::make_unique<ChildProcess>(
        std::vector<std::string>{kIp, "netns", "exec", ns, BARRAGE_FIXTURE_BINARY, "--port", kNsFixturePort});
    ChildProcess& f = *fixture;
    fixtures_.push_back(std::move(fixture));
    const steady_clock::time_point deadline = steady_clock::now() + milliseconds(10'000);
    while (f.out().find("listening on") == std::string::npos && steady_clock::now() < deadline) {
      f.Pump(milliseconds(10));
    }
    ASSERT_NE(f.out().find("listening on"), std::string::npos) << f.err();
  }

  // barrage-worker `name` inside namespace k, dialing the controller over the veth link.
  void StartNsWorker(const std::string& name, int k) {
    const std::string port = endpoint_.substr(endpoint_.rfind(':') + 1);
    workers_[name] = std::make_unique<ChildProcess>(
        std::vector<std::string>{kIp, "netns", "exec", Ns(k), BARRAGE_WORKER_BINARY, "--controller",
                                 "tcp://10.251." + std::to_string(k) + ".1:" + port, "--name", name, "--insecure",
                                 "--work-dir", (dir_ / ("work-" + name)).string(), "--threads", "1", "--heartbeat-ms",
                                 kHeartbeatMs, "--controller-timeout", "2"});
  }

  // Requests namespace k's fixture has served (its /__stats, read from inside).
  int64_t ServedIn(int k) {
    ProcessResult r = test::RunProcess(
        {kIp, "netns", "exec", Ns(k), "curl", "-s", std::string("http://127.0.0.1:") + kNsFixturePort + "/__stats"},
        milliseconds(10'000));
    std::smatch m;
    static const std::regex kTotal("\"total\":([0-9]+)");
    if (!std::regex_search(r.out, m, kTotal)) {
      ADD_FAILURE() << "no total in " << r.out << r.err;
      return -1;
    }
    return std::stoll(m[1]);
  }

  std::string prefix_;
  std::vector<std::string> namespaces_;
  std::vector<std::unique_ptr<ChildProcess>> fixtures_;
};

TEST_F(ClusterNetnsTest, ACutLinkLosesItsWorkerWhichStopsItsLoadAndTheRunEndsPartial) {
  ASSERT_NO_FATAL_FAILURE(AddNamespace(1));
  ASSERT_NO_FATAL_FAILURE(AddNamespace(2));
  // 2 users x 60 x /delay/50: about 3 s per worker.
  std::string plan = Write("plan.jmx", Plan(std::stoi(kNsFixturePort), 2, 60, "/delay/50"));
  std::vector<std::string> argv = {BARRAGE_BINARY,
                                   "run",
                                   plan,
                                   "--bind",
                                   "tcp://0.0.0.0:*",
                                   "--insecure",
                                   "--db",
                                   db_,
                                   "--heartbeat-ms",
                                   kHeartbeatMs,
                                   "--summary-interval",
                                   "1",
                                   "--workers",
                                   "2"};
  controller_ = std::make_unique<ChildProcess>(argv);
  WaitForEndpoint();
  StartNsWorker("n1", 1);
  StartNsWorker("n2", 2);
  ASSERT_TRUE(
      PumpUntil([&] { return controller_->out().find("workers: ") != std::string::npos; }, milliseconds(10'000)))
      << controller_->out() << AllWorkerLogs();
  Ip({"link", "set", HostLink(2), "down"});
  ProcessResult r = WaitController();
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("barrage: worker n2 lost: silent for"), std::string::npos) << r.out;

  StoredRun run = ReadRun(db_);
  EXPECT_EQ(run.status, ExecutionStatus::kPartial);
  EXPECT_EQ(run.samples_by_prefix["n1"], 120);
  EXPECT_EQ(ServedIn(1), 120);
  // Cut off from its controller past controller_timeout, n2 has stopped its load.
  int64_t served = ServedIn(2);
  const steady_clock::time_point read = steady_clock::now();
  PumpUntil([&] { return steady_clock::now() - read >= milliseconds(1'000); }, milliseconds(1'500));
  EXPECT_EQ(ServedIn(2), served);
  EXPECT_LT(served, 120);
  EXPECT_LE(run.samples_by_prefix["n2"], served);
}

}  // namespace
}  // namespace barrage
