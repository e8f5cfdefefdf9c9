// barrage-worker end to end: the real binary against a fake controller in the test process
// (a ZeroMQ ROUTER on tcp://127.0.0.1:*) and the fixture HTTP server as its target.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include <spdlog/spdlog.h>

#include "common/digest.h"
#include "common/protocol.h"
#include "common/wire.h"
#include "tests/common/malformed_frames.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"
#include "worker/daemon.h"
#include "worker/worker_config.h"

namespace barrage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kHeartbeatMs = 100;

// --- plans -----------------------------------------------------------------------------

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>";
}
std::string Bool(const std::string& name, bool v) {
  return "<boolProp name=\"" + name + "\">" + (v ? "true" : "false") + "</boolProp>";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\">" + props + "</" + cls + ">\n<hashTree>\n" +
         children + "</hashTree>\n";
}
std::string Group(int threads, int loops, const std::string& children) {
  return El("ThreadGroup", "tg",
            Str("ThreadGroup.num_threads", std::to_string(threads)) + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>",
            children);
}
std::string Http(const std::string& name, const std::string& path) {
  return El("HTTPSamplerProxy", name, Str("HTTPSampler.path", path));
}
std::string PlanXml(int port, const std::string& body) {
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\"/>\n"
         "<hashTree>\n" +
         El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port))) +
         body + "</hashTree></hashTree></jmeterTestPlan>\n";
}

// --- the fake controller -----------------------------------------------------------------

struct Received {
  std::string identity;
  std::string frame;
  const proto::Envelope* envelope() const { return VerifyEnvelope(frame.data(), frame.size()); }
  proto::Body type() const { return envelope()->body_type(); }
};

class FakeController {
 public:
  FakeController() : router_(ctx_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  }
  const std::string& endpoint() const { return endpoint_; }

  // Turns the ROUTER into a CURVE server with `secret_key` whose ZAP handler admits only
  // `allowed` (Z85 public keys). Call before the worker connects.
  void EnableCurve(const std::string& secret_key, std::vector<std::string> allowed) {
    allowed_ = std::move(allowed);
    zap_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::rep);
    zap_->set(zmq::sockopt::linger, 0);
    zap_->bind("inproc://zeromq.zap.01");
    curve_secret_ = secret_key;
    Rebind();
  }
  int zap_denials() const { return zap_denials_; }

  // Closes the ROUTER (the worker's connection drops) and binds a new one on the same port.
  void Rebind() {
    router_.close();
    router_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    router_.set(zmq::sockopt::linger, 0);
    if (!curve_secret_.empty()) {
      router_.set(zmq::sockopt::curve_server, 1);
      router_.set(zmq::sockopt::curve_secretkey, curve_secret_);
    }
    for (int i = 0; i < 50; ++i) {
      try {
        router_.bind(endpoint_);
        return;
      } catch (const zmq::error_t&) {
        std::this_thread::sleep_for(20ms);
      }
    }
    ADD_FAILURE() << "cannot re-bind " << endpoint_;
  }

  void Send(const std::string& identity, const std::string& frame) {
    router_.send(zmq::buffer(identity), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(frame), zmq::send_flags::none);
  }
  void SendParts(const std::string& identity, const std::vector<std::string>& parts) {
    router_.send(zmq::buffer(identity), zmq::send_flags::sndmore);
    for (size_t i = 0; i < parts.size(); ++i) {
      router_.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // Receives messages until `want` matches one (returned) or `timeout` passes. While
  // waiting, Hello is answered with Welcome and the worker gets a heartbeat every
  // kHeartbeatMs (unless silent()); BatchAcks are sent for SampleBatches when acking().
  // Every message is also passed to `seen`.
  std::optional<Received> WaitFor(const std::function<bool(const Received&)>& want, std::chrono::milliseconds timeout,
                                  const std::function<void(const Received&)>& seen = {}) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (idle_) idle_();
      if (!silent_ && !worker_.empty() && Clock::now() >= next_heartbeat_) {
        HeartbeatMessage h;
        h.sent_at_us = WallMicros();
        h.echo_us = EchoUs(last_worker_sent_at_, last_worker_received_at_, h.sent_at_us);
        Send(worker_, EncodeHeartbeat("", h));
        next_heartbeat_ = Clock::now() + std::chrono::milliseconds(kHeartbeatMs);
      }
      zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                 {zap_ ? zap_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, zap_ ? 2 : 1, std::chrono::milliseconds(10));
      if (zap_ && (items[1].revents & ZMQ_POLLIN)) AnswerZap();
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      zmq::message_t id, body;
      if (!router_.recv(id, zmq::recv_flags::dontwait)) continue;
      if (!id.more()) continue;
      (void)router_.recv(body, zmq::recv_flags::none);
      Received r{id.to_string(), body.to_string()};
      const proto::Envelope* e = r.envelope();
      if (e == nullptr) {
        ADD_FAILURE() << "the worker sent an invalid frame of " << r.frame.size() << " bytes";
        continue;
      }
      if (e->body_type() == proto::Body::Hello && !silent_) {
        worker_ = r.identity;
        ++hellos_;
        Send(worker_, EncodeWelcome(welcome_run_, WelcomeMessage{7, kProtocolVersion, kHeartbeatMs}));
      }
      if (e->body_type() == proto::Body::Heartbeat) {
        last_worker_sent_at_ = e->body_as_Heartbeat()->sent_at_us();
        last_worker_received_at_ = WallMicros();
      }
      if (e->body_type() == proto::Body::SampleBatch && acking_ && !silent_) {
        Send(r.identity, EncodeBatchAck(std::string(RunIdOf(*e)), BatchAckMessage{e->body_as_SampleBatch()->seq()}));
      }
      if (seen) seen(r);
      if (want(r)) return r;
    }
    return std::nullopt;
  }
  std::optional<Received> WaitForType(proto::Body type, std::chrono::milliseconds timeout,
                                      const std::function<void(const Received&)>& seen = {}) {
    return WaitFor([type](const Received& r) { return r.type() == type; }, timeout, seen);
  }

  // Called on every turn of WaitFor (the test reads the worker's output there, so a
  // chatty worker never blocks on a full pipe).
  void set_idle(std::function<void()> idle) { idle_ = std::move(idle); }
  // ZAP (RFC 27): version, request id, domain, address, identity, mechanism, credentials.
  void AnswerZap() {
    std::vector<zmq::message_t> parts;
    while (true) {
      zmq::message_t part;
      if (!zap_->recv(part, zmq::recv_flags::dontwait)) break;
      bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
    if (parts.size() < 7) return;
    char z85[41] = {};
    bool ok = parts[6].size() == 32 && zmq_z85_encode(z85, parts[6].data<uint8_t>(), 32) != nullptr &&
              std::find(allowed_.begin(), allowed_.end(), std::string(z85)) != allowed_.end();
    if (!ok) ++zap_denials_;
    const std::vector<std::string> reply = {
        "1.0", parts[1].to_string(), ok ? "200" : "400", ok ? "OK" : "unknown key", "", ""};
    for (size_t i = 0; i < reply.size(); ++i) {
      zap_->send(zmq::buffer(reply[i]), i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  void set_silent(bool silent) { silent_ = silent; }
  void set_acking(bool acking) { acking_ = acking; }
  // The run the Welcome names (the run this controller runs); "" = none yet.
  void set_welcome_run(const std::string& run_id) { welcome_run_ = run_id; }
  const std::string& worker() const { return worker_; }
  int hellos() const { return hellos_; }

  static int64_t WallMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::unique_ptr<zmq::socket_t> zap_;
  std::vector<std::string> allowed_;
  std::string curve_secret_;
  int zap_denials_ = 0;
  std::string endpoint_;
  std::string worker_;
  int hellos_ = 0;
  bool silent_ = false;
  bool acking_ = true;
  std::string welcome_run_;
  std::function<void()> idle_;
  Clock::time_point next_heartbeat_ = Clock::now();
  int64_t last_worker_sent_at_ = 0;
  int64_t last_worker_received_at_ = 0;
};

// --- fixture -------------------------------------------------------------------------------

class WorkerDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    work_dir_ =
        std::filesystem::temp_directory_path() / ("barrage-worker-test-" + std::to_string(::getpid()) + "-" +
                                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(work_dir_);
    std::filesystem::create_directories(work_dir_);
  }
  void TearDown() override {
    if (worker_ && worker_->running()) {
      worker_->Signal(SIGKILL);
      worker_->Wait(5s);
    }
    worker_.reset();
    std::filesystem::remove_all(work_dir_);
  }

  void StartWorker(std::vector<std::string> extra = {}, bool insecure = true) {
    std::vector<std::string> args = {BARRAGE_WORKER_BINARY,
                                     "--controller",
                                     controller_.endpoint(),
                                     "--name",
                                     "w1",
                                     "--work-dir",
                                     (work_dir_ / "work").string(),
                                     "--threads",
                                     "2",
                                     "--heartbeat-ms",
                                     std::to_string(kHeartbeatMs),
                                     "--controller-timeout",
                                     "1"};
    if (insecure) args.push_back("--insecure");
    args.insert(args.end(), extra.begin(), extra.end());
    worker_ = std::make_unique<test::ChildProcess>(args);
    ASSERT_TRUE(worker_->running());
    controller_.set_idle([this] { worker_->Pump(0ms); });
  }

  // Reads the worker's log until it shows `text` (at most `limit`).
  bool LogShows(const std::string& text, std::chrono::milliseconds limit = 5s) {
    const auto deadline = Clock::now() + limit;
    while (worker_->err().find(text) == std::string::npos) {
      if (Clock::now() >= deadline) return false;
      worker_->Pump(10ms);
    }
    return true;
  }

  // Waits for Hello (answered with Welcome by the fake controller).
  void Register() {
    auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
    ASSERT_TRUE(hello.has_value()) << worker_->err();
  }

  LoadPlanMessage Plan(const std::string& body) {
    LoadPlanMessage m;
    m.plan_name = "cluster.jmx";
    m.plan = PlanXml(server_->port(), body);
    m.properties = {{"worker.index", "0"}, {"worker.count", "1"}};
    return m;
  }

  // Sends the plan, expects Ready and returns it.
  ReadyMessage Load(const std::string& run_id, const LoadPlanMessage& m, size_t chunk = kLoadPlanChunkBytes) {
    for (const std::string& f : EncodeLoadPlan(run_id, m, chunk)) controller_.Send(controller_.worker(), f);
    auto ready = controller_.WaitForType(proto::Body::Ready, 10s);
    EXPECT_TRUE(ready.has_value()) << worker_->err();
    if (!ready) return {};
    EXPECT_EQ(RunIdOf(*ready->envelope()), run_id);
    return DecodeReady(*ready->envelope()->body_as_Ready());
  }

  struct RunResult {
    std::vector<Sample> samples;
    std::vector<uint64_t> seqs;
    std::optional<FinishedMessage> finished;
  };
  // Collects batches until Finished (or timeout).
  RunResult Collect(std::chrono::milliseconds timeout) {
    RunResult out;
    auto fin = controller_.WaitForType(proto::Body::Finished, timeout, [&](const Received& r) {
      if (r.type() != proto::Body::SampleBatch) return;
      const proto::SampleBatch* b = r.envelope()->body_as_SampleBatch();
      out.seqs.push_back(b->seq());
      EXPECT_TRUE(DecodeSampleBatch(*b, &out.samples).ok());
    });
    if (fin) out.finished = DecodeFinished(*fin->envelope()->body_as_Finished());
    return out;
  }

  FakeController controller_;
  std::unique_ptr<fixture::FixtureServer> server_;
  std::filesystem::path work_dir_;
  std::unique_ptr<test::ChildProcess> worker_;
};

TEST_F(WorkerDaemonTest, RegistersWithItsNameAndHeartbeats) {
  StartWorker();
  auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(hello.has_value()) << worker_->err();
  // The controller's ROUTER names the connection: the worker claims no routing id.
  EXPECT_EQ(hello->identity.size(), 5u);
  EXPECT_EQ(hello->identity[0], '\0');
  Result<HelloMessage> h = DecodeHello(*hello->envelope()->body_as_Hello());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->name, "w1");
  EXPECT_EQ(h->min_protocol, kProtocolVersion);
  EXPECT_EQ(h->max_protocol, kProtocolVersion);
  EXPECT_GE(h->cores, 1);
  std::vector<HeartbeatMessage> beats;
  auto third = controller_.WaitFor(
      [&](const Received& r) {
        if (r.type() != proto::Body::Heartbeat) return false;
        EXPECT_EQ(RunIdOf(*r.envelope()), "");
        beats.push_back(DecodeHeartbeat(*r.envelope()->body_as_Heartbeat()));
        return beats.size() == 3;
      },
      5s);
  ASSERT_TRUE(third.has_value()) << worker_->err();
  for (const HeartbeatMessage& b : beats) {
    EXPECT_EQ(b.state, proto::WorkerState::Idle);
    EXPECT_EQ(b.active_vus, 0u);
  }
  EXPECT_GT(beats[2].sent_at_us, beats[0].sent_at_us);
  // The worker echoes the controller's heartbeats once it has one.
  EXPECT_NE(beats[2].echo_us, 0);
  EXPECT_EQ(controller_.hellos(), 1);
}

TEST_F(WorkerDaemonTest, RejectEndsTheWorkerWithExitCode2) {
  StartWorker();
  controller_.set_silent(true);  // no automatic Welcome
  auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(hello.has_value()) << worker_->err();
  controller_.Send(hello->identity, EncodeReject("", RejectMessage{"unknown worker name 'w1'", true}));
  test::ProcessResult r = worker_->Wait(10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("rejected this worker (w1): unknown worker name 'w1'"), std::string::npos) << r.err;
}

TEST_F(WorkerDaemonTest, TemporaryRejectMakesTheWorkerTryAgainLater) {
  StartWorker();
  controller_.set_silent(true);
  auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(hello.has_value()) << worker_->err();
  controller_.Send(hello->identity, EncodeReject("", RejectMessage{"the run already has its 2 worker(s)", false}));
  const auto rejected_at = Clock::now();
  controller_.set_silent(false);
  Register();  // Hello again, ten heartbeats later
  EXPECT_GE(Clock::now() - rejected_at, std::chrono::milliseconds(9 * kHeartbeatMs));
  EXPECT_TRUE(worker_->running());
  EXPECT_NE(worker_->err().find("rejected this worker (w1) for now: the run already has its 2 worker(s)"),
            std::string::npos)
      << worker_->err();
}

TEST_F(WorkerDaemonTest, RejectWithAnotherProtocolVersionEndsTheWorker) {
  StartWorker();
  controller_.set_silent(true);
  auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(hello.has_value()) << worker_->err();
  // A controller of another protocol version: its envelope says so.
  flatbuffers::FlatBufferBuilder fbb;
  auto reject = proto::CreateReject(fbb, fbb.CreateString("protocol version mismatch"));
  proto::FinishEnvelopeBuffer(
      fbb, proto::CreateEnvelope(fbb, kProtocolVersion + 1, fbb.CreateString(""), proto::Body::Reject, reject.Union()));
  controller_.Send(hello->identity, std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize()));
  test::ProcessResult r = worker_->Wait(10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("rejected this worker (w1): protocol version mismatch"), std::string::npos) << r.err;
}

TEST_F(WorkerDaemonTest, Sha256MismatchAnswersReadyFalseNamingTheFile) {
  StartWorker();
  Register();
  LoadPlanMessage m = Plan(Group(1, 1, Http("a", "/hello.txt")));
  m.files.push_back({"users.csv", Sha256Hex("other bytes"), proto::DataMode::Copy, 0, 0, "id\n1\n"});
  ReadyMessage ready = Load("run-sha", m);
  EXPECT_FALSE(ready.files_ok);
  EXPECT_EQ(ready.message, "users.csv: sha256 mismatch (received " + Sha256Hex("id\n1\n") + ", expected " +
                               Sha256Hex("other bytes") + ")");
}

TEST_F(WorkerDaemonTest, PlanErrorAnswersReadyFalse) {
  StartWorker();
  Register();
  LoadPlanMessage m = Plan("");
  m.plan = "<jmeterTestPlan><hashTree>";  // truncated XML
  ReadyMessage ready = Load("run-bad", m);
  EXPECT_FALSE(ready.files_ok);
  EXPECT_EQ(ready.message.rfind("cluster.jmx", 0), 0u) << ready.message;
}

// allowed_targets (issue 14): a plan whose HTTP Request names a host outside the list is
// refused before any request, the host and the plan's line in the answer the controller prints.
TEST_F(WorkerDaemonTest, APlanOutsideAllowedTargetsAnswersReadyFalseNamingTheHostAndLine) {
  StartWorker({"--allowed-target", "127.0.0.2", "--allowed-target", "*.staging.example.com:443"});
  Register();
  LoadPlanMessage m = Plan(Group(1, 1, Http("home", "/hello.txt")));
  ReadyMessage ready = Load("run-refused", m);
  EXPECT_FALSE(ready.files_ok);
  const size_t at = m.plan.find("<HTTPSamplerProxy");
  const int line =
      1 + static_cast<int>(std::count(m.plan.begin(), m.plan.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  EXPECT_EQ(ready.message, "cluster.jmx: HTTP Request 'home' (line " + std::to_string(line) +
                               "): host 127.0.0.1:" + std::to_string(server_->port()) +
                               " is not in this worker's allowed_targets (127.0.0.2, *.staging.example.com:443)");
  EXPECT_EQ(server_->requests(), 0u);
}

// A short plan with a CSV data file shipped in several chunks: every request the target
// served arrives as exactly one sample, thread names carry the worker's prefix.
TEST_F(WorkerDaemonTest, ShortPlanDeliversOneSamplePerRequestServed) {
  StartWorker({"--batch-samples", "7"});
  Register();
  std::string csv_text = "id\n";
  for (int i = 1; i <= 40; ++i) csv_text += std::to_string(i) + "\n";
  std::string csv = El("CSVDataSet", "ids",
                       Str("filename", "data/ids.csv") + Str("delimiter", ",") + Bool("recycle", true) +
                           Bool("stopThread", false) + Str("shareMode", "shareMode.all"));
  LoadPlanMessage m = Plan(Group(3, 10, csv + Http("item", "/item?id=${id}")));
  m.files.push_back({"data/ids.csv", Sha256Hex(csv_text), proto::DataMode::Copy, 0, 0, csv_text});
  ReadyMessage ready = Load("run-1", m, /*chunk=*/16);
  ASSERT_TRUE(ready.files_ok) << ready.message << "\n" << worker_->err();
  controller_.Send(controller_.worker(), EncodeStart("run-1", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(server_->requests("/item"), 30u);
  EXPECT_EQ(server_->requests(), 30u);
  ASSERT_EQ(run.samples.size(), 30u);
  EXPECT_EQ(run.finished->samples, 30u);
  EXPECT_EQ(run.finished->errors, 0u);
  EXPECT_EQ(run.finished->dropped, 0u);
  EXPECT_EQ(run.finished->batches, run.seqs.size());
  EXPECT_GE(run.seqs.size(), 5u);  // 30 samples in batches of at most 7
  for (size_t i = 0; i < run.seqs.size(); ++i) EXPECT_EQ(run.seqs[i], i + 1);
  for (const Sample& s : run.samples) {
    EXPECT_EQ(s.thread_name.rfind("w1-tg 1-", 0), 0u) << s.thread_name;
    EXPECT_EQ(s.response_code, "200");
    EXPECT_EQ(s.label, "item");
  }
}

// A data file the plan names by an absolute path that does not exist on the worker host is
// read from the worker's copy.
TEST_F(WorkerDaemonTest, AbsoluteDataFilePathReadsTheShippedCopy) {
  StartWorker();
  Register();
  const std::string absent = "/nonexistent-barrage-dir/ids.csv";
  ASSERT_FALSE(std::filesystem::exists(absent));
  std::string csv = El("CSVDataSet", "ids",
                       Str("filename", absent) + Str("delimiter", ",") + Str("variableNames", "id") +
                           Bool("recycle", false) + Bool("stopThread", true) + Str("shareMode", "shareMode.all"));
  LoadPlanMessage m = Plan(Group(1, -1, csv + Http("item", "/item?id=${id}")));
  m.files.push_back({absent, Sha256Hex("7\n8\n9\n"), proto::DataMode::Copy, 0, 0, "7\n8\n9\n"});
  ReadyMessage ready = Load("run-abs", m);
  ASSERT_TRUE(ready.files_ok) << ready.message;
  controller_.Send(controller_.worker(), EncodeStart("run-abs", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  ASSERT_EQ(run.samples.size(), 3u);
  EXPECT_EQ(run.samples[0].url, server_->base_url() + "/item?id=7");
  EXPECT_EQ(run.samples[2].url, server_->base_url() + "/item?id=9");
}

// Start carries the controller's clock; the load begins then, not when Start arrives.
TEST_F(WorkerDaemonTest, LoadBeginsAtTheStartTime) {
  StartWorker();
  Register();
  ASSERT_TRUE(Load("run-t", Plan(Group(1, 1, Http("a", "/hello.txt")))).files_ok);
  const int64_t start_at_us = FakeController::WallMicros() + 400'000;
  controller_.Send(controller_.worker(), EncodeStart("run-t", StartMessage{start_at_us}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  ASSERT_EQ(run.samples.size(), 1u);
  // Same host, same clock: the measured offset is ~0 (well under the 20 ms allowed here).
  EXPECT_GE(run.samples[0].timestamp_ms, start_at_us / 1000 - 20);
  EXPECT_LT(run.samples[0].timestamp_ms, start_at_us / 1000 + 300);
}

// A script plan's engine is prepared off the control loop (the JVM starts, scripts compile,
// far longer than a frame takes): a Stop that comes meanwhile ends the run before it
// started, with Finished, and the script run that follows is served (issue 11).
TEST_F(WorkerDaemonTest, StopWhileAScriptPlanIsPreparedEndsItAndTheNextRunIsServed) {
  StartWorker();
  Register();
  const std::string script = El("JSR223Sampler", "Script",
                                Str("scriptLanguage", "groovy") + Str("script", "SampleResult.setResponseCode('299')"));
  const LoadPlanMessage plan = Plan(Group(1, 1, script));
  for (const std::string& f : EncodeLoadPlan("run-p", plan)) controller_.Send(controller_.worker(), f);
  controller_.Send(controller_.worker(), EncodeStop("run-p", StopMessage{proto::StopMode::Graceful, ""}));
  auto fin = controller_.WaitForType(proto::Body::Finished, 20s);
  ASSERT_TRUE(fin.has_value()) << worker_->err();
  EXPECT_EQ(RunIdOf(*fin->envelope()), "run-p");
  EXPECT_EQ(DecodeFinished(*fin->envelope()->body_as_Finished()).samples, 0u);
  EXPECT_TRUE(LogShows("run run-p: stopped by the controller before it started")) << worker_->err();
  // The prepared engine was dropped, never announced (the JVM's start outlasts the two frames).
  EXPECT_EQ(worker_->err().find("run run-p: plan cluster.jmx ready"), std::string::npos) << worker_->err();

  ASSERT_TRUE(Load("run-q", plan).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-q", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  ASSERT_EQ(run.samples.size(), 1u);
  EXPECT_EQ(run.samples[0].response_code, "299");
  // The worker's script host is in its Finished.
  EXPECT_NE(run.finished->script_host_json.find("\"version\":\"Java 17."), std::string::npos)
      << run.finished->script_host_json;
}

TEST_F(WorkerDaemonTest, ShareTotalRunsThisWorkersShareOfTheThreads) {
  StartWorker();
  Register();
  LoadPlanMessage m = Plan(Group(5, 2, Http("a", "/hello.txt")));
  m.share = proto::ShareMode::Total;
  m.worker_index = 1;
  m.worker_count = 3;  // 5 threads over 3 workers: 2, 2, 1 -> worker 1 runs 2
  ASSERT_TRUE(Load("run-share", m).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-share", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.samples.size(), 4u);
  EXPECT_EQ(server_->requests("/hello.txt"), 4u);
}

// Batches the controller never acknowledged (spilled to disk: memory limit 0) are sent
// again, in seq order, when the controller comes back on a new socket.
TEST_F(WorkerDaemonTest, UnackedBatchesAreResentInOrderAfterReconnect) {
  std::ofstream(work_dir_ / "worker.toml") << "[spool]\nmemory_limit_mb = 0\n";
  StartWorker({"--config", (work_dir_ / "worker.toml").string(), "--batch-samples", "4"});
  Register();
  controller_.set_acking(false);
  ASSERT_TRUE(Load("run-2", Plan(Group(2, 9, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-2", StartMessage{FakeController::WallMicros()}));
  // All 18 samples arrive once, unacknowledged.
  std::vector<uint64_t> first;
  size_t first_samples = 0;
  auto all = controller_.WaitFor(
      [&](const Received& r) {
        if (r.type() != proto::Body::SampleBatch) return false;
        first.push_back(r.envelope()->body_as_SampleBatch()->seq());
        first_samples += r.envelope()->body_as_SampleBatch()->samples()->size();
        return first_samples == 18;
      },
      20s);
  ASSERT_TRUE(all.has_value()) << worker_->err();
  // The controller goes away and comes back: the worker re-registers and resends.
  controller_.Rebind();
  controller_.set_acking(true);
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(controller_.hellos(), 2);
  EXPECT_EQ(run.seqs, first);  // every batch again, in seq order
  EXPECT_TRUE(std::is_sorted(run.seqs.begin(), run.seqs.end()));
  EXPECT_EQ(run.samples.size(), 18u);
  EXPECT_EQ(server_->requests("/hello.txt"), 18u);
  EXPECT_EQ(run.finished->samples, 18u);
  EXPECT_EQ(run.finished->dropped, 0u);
}

// Issue 16, item 11: batches still unacknowledged when the controller starts another run
// can never reach their run: the worker counts them as dropped (log and Finished alike)
// and keeps their files.
TEST_F(WorkerDaemonTest, BatchesLeftUnacknowledgedForAnotherRunAreCountedAsDroppedAndKept) {
  StartWorker({"--batch-samples", "4"});
  Register();
  controller_.set_acking(false);
  ASSERT_TRUE(Load("run-7", Plan(Group(2, 9, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-7", StartMessage{FakeController::WallMicros()}));
  size_t samples = 0, batches = 0;
  ASSERT_TRUE(controller_.WaitFor(
      [&](const Received& r) {
        if (r.type() != proto::Body::SampleBatch) return false;
        ++batches;
        return (samples += r.envelope()->body_as_SampleBatch()->samples()->size()) == 18;
      },
      20s))
      << worker_->err();
  // Another run's controller on the same endpoint: run-7 is over for good.
  controller_.set_welcome_run("run-8");
  controller_.set_acking(true);
  controller_.Rebind();
  auto fin = controller_.WaitForType(proto::Body::Finished, 20s);
  ASSERT_TRUE(fin.has_value()) << worker_->err();
  EXPECT_EQ(RunIdOf(*fin->envelope()), "run-7");
  FinishedMessage f = DecodeFinished(*fin->envelope()->body_as_Finished());
  EXPECT_EQ(f.samples, 18u);
  EXPECT_EQ(f.dropped, 18u);
  const std::filesystem::path kept = work_dir_ / "work" / "spool" / "run-7";
  EXPECT_TRUE(LogShows("run run-7: 18 unacknowledged sample(s) dropped (the controller now runs run-8): 18 kept in " +
                       kept.string()))
      << worker_->err();
  EXPECT_TRUE(LogShows("run run-7: finished (18 samples, " + std::to_string(batches) + " batches, 18 dropped); idle"))
      << worker_->err();
  EXPECT_EQ(static_cast<size_t>(
                std::distance(std::filesystem::directory_iterator(kept), std::filesystem::directory_iterator())),
            batches);
  // A run whose every batch was acknowledged leaves no spool folder once the next begins;
  // the kept one stays.
  ASSERT_TRUE(Load("run-8", Plan(Group(1, 2, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-8", StartMessage{FakeController::WallMicros()}));
  RunResult run8 = Collect(20s);
  ASSERT_TRUE(run8.finished.has_value()) << worker_->err();
  EXPECT_EQ(run8.finished->dropped, 0u);
  EXPECT_TRUE(std::filesystem::exists(work_dir_ / "work" / "spool" / "run-8"));
  ASSERT_TRUE(Load("run-10", Plan(Group(1, 1, Http("a", "/hello.txt")))).files_ok);
  EXPECT_FALSE(std::filesystem::exists(work_dir_ / "work" / "spool" / "run-8"));
  EXPECT_TRUE(std::filesystem::exists(kept));
}

// Issue 16, item 11: a worker killed with -9 before its batches were acknowledged finds
// them at its next start and resends them to the controller still running that run,
// reporting itself busy (not idle) until they are acknowledged.
TEST_F(WorkerDaemonTest, BatchesOfAWorkerKilledBeforeTheirAckAreResentByItsNextProcess) {
  const std::vector<std::string> args = {"--batch-samples", "4"};
  StartWorker(args);
  Register();
  controller_.set_acking(false);
  controller_.set_welcome_run("run-9");
  ASSERT_TRUE(Load("run-9", Plan(Group(2, 9, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-9", StartMessage{FakeController::WallMicros()}));
  std::vector<uint64_t> first;
  size_t samples = 0;
  ASSERT_TRUE(controller_.WaitFor(
      [&](const Received& r) {
        if (r.type() != proto::Body::SampleBatch) return false;
        first.push_back(r.envelope()->body_as_SampleBatch()->seq());
        return (samples += r.envelope()->body_as_SampleBatch()->samples()->size()) == 18;
      },
      20s))
      << worker_->err();
  ASSERT_TRUE(worker_->Signal(SIGKILL));
  worker_->Wait(5s);

  controller_.set_acking(true);
  StartWorker(args);
  std::vector<uint64_t> resent;
  std::vector<Sample> received;
  bool busy_while_resending = false;
  auto idle = controller_.WaitFor(
      [&](const Received& r) {
        if (r.type() == proto::Body::SampleBatch) {
          resent.push_back(r.envelope()->body_as_SampleBatch()->seq());
          EXPECT_TRUE(DecodeSampleBatch(*r.envelope()->body_as_SampleBatch(), &received).ok());
        }
        if (r.type() != proto::Body::Heartbeat) return false;
        HeartbeatMessage h = DecodeHeartbeat(*r.envelope()->body_as_Heartbeat());
        if (received.size() < 18) {
          busy_while_resending =
              busy_while_resending || (h.state == proto::WorkerState::Stopping && RunIdOf(*r.envelope()) == "run-9");
          return false;
        }
        return h.state == proto::WorkerState::Idle;
      },
      20s);
  ASSERT_TRUE(idle.has_value()) << worker_->err();
  EXPECT_EQ(resent, first);
  EXPECT_EQ(received.size(), 18u);
  EXPECT_TRUE(busy_while_resending);
  EXPECT_TRUE(LogShows("run run-9: found " + std::to_string(first.size()) +
                       " unacknowledged batch(es) (18 samples) of a previous process"))
      << worker_->err();
  EXPECT_TRUE(LogShows("run run-9: every kept batch is delivered")) << worker_->err();
  EXPECT_FALSE(std::filesystem::exists(work_dir_ / "work" / "spool" / "run-9"));
}

// The controller goes silent mid-run: the worker stops its load within its timeout (1 s
// here) and later takes the next run without restarting.
TEST_F(WorkerDaemonTest, LoadStopsAfterControllerSilenceAndTheNextRunIsAccepted) {
  StartWorker();
  Register();
  std::string timer = El("ConstantTimer", "think", Str("ConstantTimer.delay", "10"));
  ASSERT_TRUE(Load("run-3", Plan(Group(2, -1, Http("a", "/hello.txt") + timer))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-3", StartMessage{FakeController::WallMicros()}));
  // Load flows while the controller talks.
  auto flowing = controller_.WaitFor([&](const Received&) { return server_->requests() >= 20; }, 10s);
  ASSERT_TRUE(flowing.has_value()) << worker_->err();
  controller_.set_silent(true);
  const auto silent_since = Clock::now();
  // Requests stop growing: no change over 500 ms, within 6 s.
  uint64_t last = server_->requests();
  auto last_change = Clock::now();
  while (Clock::now() - silent_since < 6s && Clock::now() - last_change < 500ms) {
    controller_.WaitFor([](const Received&) { return false; }, 50ms);
    uint64_t now = server_->requests();
    if (now != last) {
      last = now;
      last_change = Clock::now();
    }
  }
  const auto stopped_after = std::chrono::duration_cast<std::chrono::milliseconds>(last_change - silent_since);
  EXPECT_LT(stopped_after, 2500ms) << "load still growing " << stopped_after.count() << " ms after silence";
  EXPECT_TRUE(worker_->running());
  // The controller is back: the worker re-registers and loads the next run.
  controller_.set_silent(false);
  Register();
  ASSERT_TRUE(Load("run-4", Plan(Group(1, 2, Http("b", "/hello.txt")))).files_ok) << worker_->err();
  const uint64_t before = server_->requests();
  controller_.Send(controller_.worker(), EncodeStart("run-4", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(server_->requests() - before, 2u);
  EXPECT_EQ(std::count_if(run.samples.begin(), run.samples.end(), [](const Sample& s) { return s.label == "b"; }), 2);
  worker_->Pump(0ms);
  EXPECT_NE(worker_->err().find("stopping the load"), std::string::npos) << worker_->err();
}

// A slow run never fills a batch (2,000 samples): its samples still leave on the timer
// (--batch-flush-ms), while the run goes on.
TEST_F(WorkerDaemonTest, SamplesLeaveOnTheTimerWhenBatchesStayBelowTheCount) {
  StartWorker({"--batch-flush-ms", "200"});
  Register();
  std::string timer = El("ConstantTimer", "think", Str("ConstantTimer.delay", "100"));
  ASSERT_TRUE(Load("run-slow", Plan(Group(1, -1, Http("a", "/hello.txt") + timer))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-slow", StartMessage{FakeController::WallMicros()}));
  const auto started = Clock::now();
  auto batch = controller_.WaitForType(proto::Body::SampleBatch, 5s);
  ASSERT_TRUE(batch.has_value()) << worker_->err();
  const auto waited = Clock::now() - started;
  EXPECT_LT(waited, 1500ms);  // flush timer 200 ms + the engine's 100 ms collector + slack
  const uint32_t n = batch->envelope()->body_as_SampleBatch()->samples()->size();
  EXPECT_GE(n, 1u);
  EXPECT_LT(n, 20u);
  controller_.Send(controller_.worker(), EncodeStop("run-slow", StopMessage{proto::StopMode::Graceful, ""}));
  RunResult run = Collect(10s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.finished->samples, server_->requests());
}

// max_duration (issue 14): an endless run ends by itself, gracefully, with every request the
// target served delivered; max_rps spaces its requests (a 100/s ceiling).
TEST_F(WorkerDaemonTest, MaxDurationEndsAnEndlessRunAndMaxRpsSpacesItsRequests) {
  StartWorker({"--max-duration", "1", "--max-rps", "100"});
  Register();
  ASSERT_TRUE(Load("run-capped", Plan(Group(2, -1, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-capped", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.finished->samples, server_->requests());
  EXPECT_EQ(run.samples.size(), server_->requests());
  // 1 s at 100 requests a second at most: each of the worker's 2 event loops has slots 20 ms
  // apart from its first request's, the last at most at the 1000 ms the run may last
  // (0, 20, ..., 1000: 51 each).
  EXPECT_GE(run.samples.size(), 1u);
  EXPECT_LE(run.samples.size(), 102u);
  EXPECT_NE(worker_->err().find("every run capped at: max_vus 0, max_rps 100, max_duration 1 s (0: none)"),
            std::string::npos)
      << worker_->err();
}

TEST_F(WorkerDaemonTest, StopNowEndsAnEndlessRunWithFinished) {
  StartWorker();
  Register();
  std::string timer = El("ConstantTimer", "think", Str("ConstantTimer.delay", "10"));
  ASSERT_TRUE(Load("run-5", Plan(Group(2, -1, Http("a", "/hello.txt") + timer))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-5", StartMessage{FakeController::WallMicros()}));
  auto flowing = controller_.WaitFor([&](const Received&) { return server_->requests() >= 10; }, 10s);
  ASSERT_TRUE(flowing.has_value()) << worker_->err();
  controller_.Send(controller_.worker(), EncodeStop("run-5", StopMessage{proto::StopMode::Now, "test"}));
  RunResult run = Collect(10s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  // Stop(now) aborts the requests in flight and records them as errors: every request
  // served has its sample; a request aborted before the server read it (at most one per
  // thread) has a sample too.
  const uint64_t served = server_->requests();
  EXPECT_GE(run.finished->samples, served);
  EXPECT_LE(run.finished->samples, served + 2);
}

TEST_F(WorkerDaemonTest, GarbageFramesAreLoggedAndIgnored) {
  StartWorker();
  Register();
  controller_.Send(controller_.worker(), std::string(100, '\x5a'));  // garbage
  std::string hb = EncodeHeartbeat("", HeartbeatMessage{});
  controller_.Send(controller_.worker(), hb.substr(0, hb.size() / 2));                        // truncated
  controller_.SendParts(controller_.worker(), {hb, hb});                                      // two frames
  controller_.Send(controller_.worker(), EncodeBatchAck("no-such-run", BatchAckMessage{1}));  // another run
  controller_.Send(controller_.worker(), EncodeStart("no-such-run", StartMessage{1}));
  controller_.Send(controller_.worker(), EncodeHello("", HelloMessage{"x", "", 1, 1, 1, ""}));  // unexpected type
  // Oversized: libzmq's ZMQ_MAXMSGSIZE drops the connection; the worker reconnects and
  // registers again.
  controller_.Send(controller_.worker(), std::string(kMaxMessageBytes + 1, 'x'));
  auto again = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(again.has_value()) << worker_->err();
  // Still serving: a plan loads and runs.
  ASSERT_TRUE(Load("run-6", Plan(Group(1, 3, Http("a", "/hello.txt")))).files_ok) << worker_->err();
  controller_.Send(controller_.worker(), EncodeStart("run-6", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.samples.size(), 3u);
  worker_->Pump(0ms);
  const std::string& err = worker_->err();
  EXPECT_NE(err.find("dropped a frame from the controller: an invalid frame of 100 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("a message of 2 frames"), std::string::npos) << err;
  EXPECT_NE(err.find("BatchAck for run 'no-such-run'"), std::string::npos) << err;
  EXPECT_NE(err.find("Start for run 'no-such-run'"), std::string::npos) << err;
  EXPECT_NE(err.find("unexpected Hello"), std::string::npos) << err;
  EXPECT_TRUE(worker_->running());
}

// Mutated copies of valid frames (bit flips, truncations, splices) of every type the worker
// must survive: each is dropped or handled, the worker stays up and still runs a plan.
// (Welcome and Reject are left out: a valid one with another protocol or permanent = true
// ends the worker by design; LoadPlan too: a mutated plan could aim at another host.)
TEST_F(WorkerDaemonTest, MutatedFramesNeverBringTheWorkerDown) {
  StartWorker();
  Register();
  std::vector<std::string> seeds = {
      EncodeHeartbeat("run-f", HeartbeatMessage{proto::WorkerState::Running, 3, 1.5f, 1700000000000000, 1}),
      EncodeStart("run-f", StartMessage{1700000000000000}),
      EncodeStop("run-f", StopMessage{proto::StopMode::Graceful, "x"}),
      EncodeBatchAck("run-f", BatchAckMessage{3}),
      EncodeReady("run-f", ReadyMessage{true, "ok"}),
      EncodeFinished("run-f", FinishedMessage{1, 2, 3, 4}),
      EncodeHello("", HelloMessage{"w", "h", 1, 1, 1, "v"}),
      EncodeSampleBatch("run-f", 1, 1, {Sample{}}),
  };
  std::mt19937 rng(20261126);
  for (int i = 0; i < 3000; ++i) {
    std::string f = seeds[rng() % seeds.size()];
    switch (rng() % 4) {
      case 0:  // flip bits
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
          f[rng() % f.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:  // truncate
        f.resize(rng() % f.size());
        break;
      case 2:  // overwrite a 4-byte word (offsets, lengths)
        for (int k = 0; k < 4 && f.size() >= 4; ++k)
          f[(rng() % (f.size() - 3)) + static_cast<size_t>(k)] = static_cast<char>(rng());
        break;
      default:  // splice two frames
        f = f.substr(0, rng() % f.size()) + seeds[rng() % seeds.size()];
    }
    controller_.Send(controller_.worker(), f);
    if (i % 500 == 0) controller_.WaitFor([](const Received&) { return false; }, 10ms);
  }
  ASSERT_TRUE(Load("run-after", Plan(Group(1, 2, Http("a", "/hello.txt")))).files_ok) << worker_->err();
  controller_.Send(controller_.worker(), EncodeStart("run-after", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.samples.size(), 2u);
  EXPECT_TRUE(worker_->running());
}

// CURVE: the worker pins the controller's public key (here given as a key file) and
// authenticates with its own pair; the controller's ZAP handler admits it.
TEST_F(WorkerDaemonTest, CurveWorkerWithAnAllowedKeyRegisters) {
  Result<CurveKeyPair> controller_keys = GenerateCurveKeyPair();
  Result<CurveKeyPair> worker_keys = GenerateCurveKeyPair();
  ASSERT_TRUE(controller_keys.ok() && worker_keys.ok());
  const std::string worker_key = (work_dir_ / "worker.key").string();
  const std::string controller_pub = (work_dir_ / "controller.pub").string();
  ASSERT_TRUE(WriteCurveKeyFile(worker_key, *worker_keys).ok());
  ASSERT_TRUE(WriteCurveKeyFile(controller_pub, {controller_keys->public_key, ""}).ok());
  std::ofstream(work_dir_ / "worker.toml") << "[security]\nsecret_key_file = \"" << worker_key
                                           << "\"\ncontroller_public_key = \"" << controller_pub << "\"\n";
  controller_.EnableCurve(controller_keys->secret_key, {worker_keys->public_key});
  StartWorker({"--config", (work_dir_ / "worker.toml").string()}, /*insecure=*/false);
  Register();
  ASSERT_TRUE(Load("run-c", Plan(Group(1, 2, Http("a", "/hello.txt")))).files_ok);
  controller_.Send(controller_.worker(), EncodeStart("run-c", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.samples.size(), 2u);
  EXPECT_EQ(controller_.zap_denials(), 0);
}

TEST_F(WorkerDaemonTest, CurveKeyRefusedByTheControllerEndsTheWorkerWithExitCode2) {
  Result<CurveKeyPair> controller_keys = GenerateCurveKeyPair();
  Result<CurveKeyPair> worker_keys = GenerateCurveKeyPair();
  ASSERT_TRUE(controller_keys.ok() && worker_keys.ok());
  const std::string worker_key = (work_dir_ / "worker.key").string();
  ASSERT_TRUE(WriteCurveKeyFile(worker_key, *worker_keys).ok());
  std::ofstream(work_dir_ / "worker.toml") << "[security]\nsecret_key_file = \"" << worker_key
                                           << "\"\ncontroller_public_key = \"" << controller_keys->public_key << "\"\n";
  controller_.EnableCurve(controller_keys->secret_key, {/* nobody */});
  StartWorker({"--config", (work_dir_ / "worker.toml").string()}, /*insecure=*/false);
  const auto deadline = Clock::now() + 10s;
  while (worker_->running() && Clock::now() < deadline) {
    // No frame ever passes the handshake.
    EXPECT_FALSE(controller_.WaitFor([](const Received&) { return true; }, 50ms).has_value());
  }
  test::ProcessResult r = worker_->Wait(10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refused this worker's CURVE key (ZAP status 400)"), std::string::npos) << r.err;
  EXPECT_GE(controller_.zap_denials(), 1);
}

TEST_F(WorkerDaemonTest, SigtermExitsCleanly) {
  StartWorker();
  Register();
  worker_->Signal(SIGTERM);
  test::ProcessResult r = worker_->Wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// --- configuration errors (no controller needed) ---------------------------------------

TEST_F(WorkerDaemonTest, ConfigErrorNamesFileAndKeyAndExits2) {
  std::string path = (work_dir_ / "bad.toml").string();
  std::ofstream(path) << "controller = \"tcp://127.0.0.1:1\"\ncontroller_timeout = \"ten\"\n";
  test::ProcessResult r = test::RunProcess({BARRAGE_WORKER_BINARY, "--config", path}, 10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage-worker: " + path + ":2: key controller_timeout: expected a number of seconds > 0\n");
}

TEST_F(WorkerDaemonTest, BadAllowedTargetsNameFileLineAndPattern) {
  std::string path = (work_dir_ / "targets.toml").string();
  std::ofstream(path) << "controller = \"tcp://127.0.0.1:1\"\n"
                         "allowed_targets = [\"127.0.0.2\", \"10.0.0.0/40\"]\n[security]\ninsecure = true\n";
  test::ProcessResult r = test::RunProcess({BARRAGE_WORKER_BINARY, "--config", path}, 10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage-worker: " + path +
                       ":2: key allowed_targets[2] \"10.0.0.0/40\": the prefix length must "
                       "be 0 to 32\n");
  std::ofstream(path) << "controller = \"tcp://127.0.0.1:1\"\nallowed_targets = \"127.0.0.2\"\n";
  r = test::RunProcess({BARRAGE_WORKER_BINARY, "--config", path}, 10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "barrage-worker: " + path +
                       ":2: key allowed_targets: expected a list of host patterns, e.g. [\"127.0.0.2\", "
                       "\"*.staging.example.com:443\"]\n");
  r = test::RunProcess({BARRAGE_WORKER_BINARY, "--controller", "tcp://127.0.0.1:1", "--insecure", "--work-dir",
                        (work_dir_ / "w").string(), "--allowed-target", "api.example.com:99999"},
                       10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "barrage-worker: command line: key allowed_targets[1] \"api.example.com:99999\": the port must be 1 "
            "to 65535 or a range like 8000-8099\n");
}

TEST_F(WorkerDaemonTest, BadCapsNameFileLineAndKey) {
  std::string path = (work_dir_ / "caps.toml").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"max_vus = 0", "expected a whole number of users >= 1"},
      {"max_vus = 2.5", "expected a whole number of users from 1 to 10000000"},
      {"max_rps = \"fast\"", "expected a number of requests per second > 0"},
      {"max_duration = 0.5", "expected a number of seconds >= 1"},
      {"exit_after_run = 1", "expected true or false"}};
  for (const auto& [line, what] : cases) {
    std::ofstream(path) << "controller = \"tcp://127.0.0.1:1\"\n" << line << "\n";
    test::ProcessResult r = test::RunProcess({BARRAGE_WORKER_BINARY, "--config", path}, 10s);
    EXPECT_EQ(r.exit_code, 2) << line;
    const std::string key = line.substr(0, line.find(' '));
    EXPECT_EQ(r.err, "barrage-worker: " + path + ":2: key " + key + ": " + what + "\n");
  }
}

TEST_F(WorkerDaemonTest, ShippedWorkerTomlIsValid) {
  WorkerConfig config;
  Status s = LoadWorkerConfigFile(std::string(BARRAGE_TEST_DATA_DIR) + "/../../config/worker.toml", &config);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(config.controller, "tcp://bastion.example:5570");
  EXPECT_EQ(config.controller_timeout_s, 10);
  EXPECT_EQ(config.work_dir, "/var/lib/barrage");
  EXPECT_EQ(config.spool_memory_bytes, 64ull << 20);
  EXPECT_FALSE(config.insecure);
  EXPECT_FALSE(config.exit_after_run);
  EXPECT_EQ(config.allowed_targets, (std::vector<std::string>{"*.staging.example.com:443", "10.20.0.0/16"}));
}

TEST_F(WorkerDaemonTest, MissingKeysWithoutInsecureExits2) {
  test::ProcessResult r = test::RunProcess(
      {BARRAGE_WORKER_BINARY, "--controller", "tcp://127.0.0.1:1", "--work-dir", (work_dir_ / "w").string()}, 10s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("key security.secret_key_file: missing"), std::string::npos) << r.err;
}

TEST_F(WorkerDaemonTest, KeygenWritesAKeyFileAndPrintsThePublicKey) {
  std::string path = (work_dir_ / "w.key").string();
  test::ProcessResult r = test::RunProcess({BARRAGE_WORKER_BINARY, "--keygen", path}, 10s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<CurveKeyPair> keys = LoadCurveKeyFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(r.out, keys->public_key + "\n");
  test::ProcessResult again = test::RunProcess({BARRAGE_WORKER_BINARY, "--keygen", path}, 10s);
  EXPECT_EQ(again.exit_code, 1);
}

// Issue 16 item 1: a Welcome without a body (it passes the FlatBuffers verifier) crashed the
// worker. It, and every other controller message without a body, is dropped and logged;
// the worker registers with the next real Welcome, runs a plan and exits 0 on SIGTERM.
TEST_F(WorkerDaemonTest, MessagesWithoutABodyAreDroppedAndTheWorkerStillServes) {
  StartWorker();
  controller_.set_silent(true);  // the test answers the first Hello itself
  auto hello = controller_.WaitForType(proto::Body::Hello, 10s);
  ASSERT_TRUE(hello.has_value()) << worker_->err();
  controller_.Send(hello->identity, test::BodylessFrame(proto::Body::Welcome));
  controller_.Send(hello->identity,
                   test::WithBodyCutByOneByte(EncodeWelcome("", WelcomeMessage{7, kProtocolVersion, 100})));
  for (proto::Body type :
       {proto::Body::Reject, proto::Body::Heartbeat, proto::Body::Start, proto::Body::Stop, proto::Body::BatchAck}) {
    controller_.Send(hello->identity, test::BodylessFrame(type, "run-b"));
  }
  controller_.Send(hello->identity, test::BodylessFrame(proto::Body::LoadPlan, "run-b"));
  // A LoadPlan without a body is answered like any plan the worker cannot load.
  auto refused = controller_.WaitForType(proto::Body::Ready, 10s);
  ASSERT_TRUE(refused.has_value()) << worker_->err();
  ReadyMessage not_ready = DecodeReady(*refused->envelope()->body_as_Ready());
  EXPECT_FALSE(not_ready.files_ok);
  EXPECT_EQ(not_ready.message, "LoadPlan without a body");
  controller_.set_silent(false);
  Register();
  ASSERT_TRUE(Load("run-after", Plan(Group(1, 2, Http("a", "/hello.txt")))).files_ok) << worker_->err();
  controller_.Send(controller_.worker(), EncodeStart("run-after", StartMessage{FakeController::WallMicros()}));
  RunResult run = Collect(20s);
  ASSERT_TRUE(run.finished.has_value()) << worker_->err();
  EXPECT_EQ(run.samples.size(), 2u);
  worker_->Signal(SIGTERM);
  test::ProcessResult r = worker_->Wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* dropped : {"Welcome without a body (1 dropped so far)", "Welcome without a body (2 dropped so far)",
                              "Reject without a body", "Heartbeat without a body", "Start for run 'run-b'",
                              "Stop for run 'run-b'", "BatchAck for run 'run-b'"}) {
    EXPECT_NE(r.err.find(std::string("dropped a frame from the controller: ") + dropped), std::string::npos)
        << dropped << "\n"
        << r.err;
  }
  EXPECT_NE(r.err.find("run run-b: LoadPlan without a body"), std::string::npos) << r.err;
}

// Every single-byte change of every message a controller sends, fed to the daemon's frame
// handling (WorkerDaemon::HandleFrameForTesting) in the state where the original is
// expected: handled or dropped, never a crash; only a permanent Reject (or a Welcome or
// Reject of another protocol) ends the worker.
TEST_F(WorkerDaemonTest, EverySingleByteChangeOfAControllersMessagesIsHandled) {
  spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);
  const std::string run_id = "run-m";
  LoadPlanMessage plan = Plan(Group(1, 1, Http("a", "/hello.txt")));
  plan.files.push_back({"ids.csv", Sha256Hex("id\n1\n"), proto::DataMode::Copy, 0, 0, "id\n1\n"});
  const std::string load = EncodeLoadPlan(run_id, plan).at(0);
  const std::string welcome = EncodeWelcome("", WelcomeMessage{7, kProtocolVersion, 100});
  struct Case {
    std::string frame;
    bool loaded_first;  // the daemon holds the plan of run_id first
  };
  const std::vector<Case> cases = {
      {welcome, false},
      {EncodeReject("", RejectMessage{"the run already has its 2 worker(s)", false}), false},
      {EncodeHeartbeat("", HeartbeatMessage{proto::WorkerState::Idle, 0, 0, FakeController::WallMicros(), 0}), false},
      {load, false},
      {EncodeStart(run_id, StartMessage{FakeController::WallMicros()}), true},
      {EncodeStop(run_id, StopMessage{proto::StopMode::Now, "operator"}), true},
      {EncodeBatchAck(run_id, BatchAckMessage{1}), true}};
  size_t handled = 0;
  for (const Case& c : cases) {
    for (size_t i = 0; i < c.frame.size(); ++i) {
      const auto b = static_cast<uint8_t>(c.frame[i]);
      for (uint8_t v : {uint8_t{0}, uint8_t{0xff}, static_cast<uint8_t>(b ^ 1)}) {
        if (v == b) continue;
        std::string changed = c.frame;
        changed[i] = static_cast<char>(v);
        WorkerConfig config;
        config.name = "w1";
        config.insecure = true;
        config.work_dir = (work_dir_ / "seam").string();
        WorkerDaemon daemon(config);
        ASSERT_TRUE(daemon.HandleFrameForTesting(welcome));
        if (c.loaded_first) {
          ASSERT_TRUE(daemon.HandleFrameForTesting(load));
        }
        daemon.HandleFrameForTesting(changed);
        ++handled;
      }
    }
  }
  spdlog::set_level(level);
  EXPECT_GT(handled, 2000u);
  // A body-less Welcome or Reject keeps the worker up.
  WorkerConfig config;
  config.name = "w1";
  config.insecure = true;
  config.work_dir = (work_dir_ / "seam").string();
  WorkerDaemon daemon(config);
  EXPECT_TRUE(daemon.HandleFrameForTesting(test::WithBodyCutByOneByte(welcome)));
  EXPECT_TRUE(daemon.HandleFrameForTesting(test::BodylessFrame(proto::Body::Reject)));
  EXPECT_FALSE(daemon.HandleFrameForTesting(EncodeReject("", RejectMessage{"unknown worker name 'w1'", true})));
}

}  // namespace
}  // namespace barrage
