#include "worker/daemon.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <zmq.hpp>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/connect_to.h"
#include "common/digest.h"
#include "common/functions.h"
#include "common/host.h"
#include "common/include_controller.h"
#include "common/input_file.h"
#include "common/jmx_parser.h"
#include "common/plan_compiler.h"
#include "common/protocol.h"
#include "common/systemd_notify.h"
#include "common/wire.h"
#include "worker/batch_spool.h"
#include "worker/engine.h"
#include "worker/script_runtime.h"
#include "worker/target_policy.h"

namespace barrage {
namespace {

// The configuration's allow-list (ValidateWorkerConfig has checked its patterns).
TargetPolicy AllowedTargets(const WorkerConfig& config) {
  Result<TargetPolicy> policy = TargetPolicy::Parse(config.allowed_targets, "allowed_targets");
  return policy.ok() ? std::move(policy).value() : TargetPolicy();
}

// A turn of the main loop longer than this means the process was suspended.
constexpr int64_t kSuspendedGapUs = 1'000'000;

namespace fs = std::filesystem;

// A file-system-safe rendering of a name received from the network.
std::string SafeName(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

// Cuts the engine's samples into SampleBatch frames: when a batch reaches `batch_samples`
// (on the engine's collector thread) or, through FlushIfDue, when its oldest sample is old
// enough (on the control thread). Thread names get the worker's prefix, as JMeter's
// distributed prefix does ("<worker>-<group> <g>-<n>").
class BatchingSink : public SampleSink {
 public:
  struct Encoded {
    uint64_t seq = 0;
    uint64_t samples = 0;
    std::string frame;
  };

  BatchingSink(std::string run_id, std::string thread_prefix, size_t batch_samples, int wake_fd)
      : run_id_(std::move(run_id)),
        prefix_(std::move(thread_prefix)),
        batch_samples_(std::max<size_t>(1, batch_samples)),
        wake_fd_(wake_fd) {}

  void set_worker_id(uint32_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    worker_id_ = id;
  }

  void OnSamples(std::vector<Sample>& batch) override {
    bool cut = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) pending_since_us_ = MonotonicMicros();
      for (Sample& s : batch) {
        if (!s.success) ++errors_;
        s.thread_name.insert(0, prefix_);
        pending_.push_back(std::move(s));
        if (pending_.size() >= batch_samples_) {
          CutLocked();
          cut = true;
        }
      }
      samples_ += batch.size();
    }
    if (cut) Wake();
  }

  // Control thread: cuts the pending samples when the oldest waited `max_age_us` (0: now).
  void FlushIfDue(int64_t now_mono_us, int64_t max_age_us) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pending_.empty() && now_mono_us - pending_since_us_ >= max_age_us) CutLocked();
  }

  std::deque<Encoded> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::deque<Encoded> out;
    out.swap(ready_);
    return out;
  }

  bool empty() {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.empty() && ready_.empty();
  }
  uint64_t samples() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_;
  }
  uint64_t errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  uint64_t batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return next_seq_ - 1;
  }

 private:
  void CutLocked() {
    Encoded e;
    e.seq = next_seq_++;
    e.samples = pending_.size();
    e.frame = EncodeSampleBatch(run_id_, worker_id_, e.seq, pending_);
    pending_.clear();
    ready_.push_back(std::move(e));
    pending_since_us_ = MonotonicMicros();
  }
  void Wake() {
    uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof(one)) < 0) {
      // The counter is saturated only if nobody reads it: the control thread polls anyway.
    }
  }

  const std::string run_id_;
  const std::string prefix_;
  const size_t batch_samples_;
  const int wake_fd_;
  std::mutex mu_;
  uint32_t worker_id_ = 0;
  std::vector<Sample> pending_;
  int64_t pending_since_us_ = 0;
  std::deque<Encoded> ready_;
  uint64_t next_seq_ = 1;
  uint64_t samples_ = 0;
  uint64_t errors_ = 0;
};

std::string NormalKey(const std::string& path) { return fs::path(path).lexically_normal().string(); }

// One run: its files while they arrive, then the compiled plan and the engine.
struct ActiveRun {
  std::string id;
  fs::path dir;
  fs::path plan_dir;
  bool failed = false;     // Ready(false) sent: Start is refused
  bool loaded = false;     // Ready(true) sent
  LoadPlanMessage header;  // plan, properties, file list (no chunks)
  struct File {
    std::string path;
    std::string sha256;
    uint64_t total = 0;
    uint64_t received = 0;
    fs::path local;
    std::ofstream out;
  };
  std::vector<File> files;

  std::unique_ptr<CompiledPlan> compiled;
  std::unique_ptr<RunContext> context;
  std::unique_ptr<BatchingSink> sink;
  std::unique_ptr<Engine> engine;
  // The engine is prepared on its own thread: a script plan starts the JVM and compiles its
  // scripts there (seconds), and the control loop heartbeats meanwhile. The thread fills
  // `prepared` only; the loop moves it into the fields above once prepare_done is set.
  struct Prepared {
    std::unique_ptr<CompiledPlan> compiled;
    std::unique_ptr<RunContext> context;
    std::unique_ptr<BatchingSink> sink;
    std::unique_ptr<Engine> engine;
    Status status;
  };
  Prepared prepared;
  std::thread prepare_thread;
  std::atomic<bool> prepare_done{false};
  bool preparing = false;          // prepare_thread runs or waits to be joined
  bool stopped_preparing = false;  // Stop came while preparing: no Ready, stopped before start
  std::thread engine_thread;
  std::atomic<bool> engine_done{false};
  std::optional<int64_t> start_at_mono_us;
  bool started = false;
  bool joined = false;  // engine thread joined (or never started)
  bool stop_requested = false;
  std::optional<int64_t> hard_stop_at_mono_us;
  bool finished_sent = false;
  uint64_t dropped = 0;

  ~ActiveRun() {
    if (prepare_thread.joinable()) prepare_thread.join();
    if (engine_thread.joinable()) {
      engine->Stop(true);
      engine_thread.join();
    }
  }
  bool running() const { return started && !joined; }
};

}  // namespace

class WorkerDaemon::Impl {
 public:
  explicit Impl(WorkerConfig config)
      : config_(std::move(config)),
        name_(config_.name.empty() ? HostName("worker") : config_.name),
        spool_root_(config_.spool_dir.empty() ? (fs::path(config_.work_dir) / "spool").string() : config_.spool_dir),
        allowed_targets_(AllowedTargets(config_)) {}

  int Run(int signal_fd);
  bool HandleFrameForTesting(std::string_view frame);

 private:
  // Socket.
  void Connect();
  bool Send(const std::string& frame);
  void SendHello();
  void SendHeartbeat(int64_t now_mono);
  void SendReady(const std::string& run_id, bool ok, const std::string& message);
  void PollMonitor();

  // Received frames.
  void HandleFrame(zmq::message_t& msg);
  void HandleBytes(const void* data, size_t size);
  void HandleWelcome(const proto::Envelope& e);
  void HandleReject(const proto::Envelope& e);
  void HandleHeartbeat(const proto::Envelope& e);
  void HandleLoadPlan(const proto::Envelope& e);
  void HandleStart(const proto::Envelope& e);
  void HandleStop(const proto::Envelope& e);
  void HandleBatchAck(const proto::Envelope& e);
  void Dropped(const std::string& why);

  // Runs.
  void BeginRun(const std::string& run_id);
  void FailRun(const std::string& message);
  void FinishLoading();
  // On the prepare thread: reads the run's header and files, writes only `out`.
  Status PrepareEngine(const ActiveRun& r, ActiveRun::Prepared& out);
  void TakePrepared();
  void StartEngine();
  void Tick(int64_t now_mono);
  void SendBatches(BatchSpool& spool, uint64_t* cursor);
  bool SendFinished();
  proto::WorkerState State() const;

  // Unacknowledged batches of other runs than the active one (see BatchSpool).
  void LoadKeptSpools();
  void KeepSpool(const std::string& why);
  void AckKept(const std::string& run_id, uint64_t seq);
  // Batches kept for the run the controller runs (or, before it said, for any run) wait.
  bool DeliveringKept() const;

  WorkerConfig config_;
  std::string name_;
  zmq::context_t ctx_{1};
  std::unique_ptr<zmq::socket_t> dealer_;
  std::unique_ptr<zmq::socket_t> monitor_;
  int monitor_count_ = 0;
  int wake_fd_ = -1;
  int exit_code_ = -1;

  bool registered_ = false;
  uint32_t worker_id_ = 0;
  int heartbeat_ms_ = 1000;
  int64_t last_heard_mono_ = 0;  // last valid frame from the controller
  int64_t next_hello_mono_ = 0;
  int64_t next_heartbeat_mono_ = 0;
  int64_t last_auth_log_mono_ = -1;
  // libzmq does not reconnect after a protocol error (e.g. a frame over ZMQ_MAXMSGSIZE): a
  // connection still down after a while gets a new socket (the controller moves this
  // worker to the new connection on its Hello).
  std::optional<int64_t> disconnected_since_mono_;
  int64_t new_socket_backoff_us_ = 0;
  // Clock offset (worker minus controller) from the controller's heartbeats.
  int64_t peer_sent_at_us_ = 0;
  int64_t peer_received_at_us_ = 0;
  std::deque<std::pair<int64_t, int64_t>> offsets_;  // (rtt, offset), newest last
  int64_t offset_us_ = 0;
  int64_t last_cpu_ns_ = 0;
  int64_t last_cpu_mono_ = 0;
  float cpu_percent_ = 0;

  std::unique_ptr<ActiveRun> run_;
  const std::string spool_root_;        // one folder per run: <spool_root_>/<run>/<seq>.batch
  const TargetPolicy allowed_targets_;  // the engines' allow-list of load targets
  std::unique_ptr<BatchSpool> spool_;   // the active run's (set with run_)
  // Other runs' unacknowledged batches, by run id: a previous process's (found at start),
  // or the active run's once its controller is gone. Resent when a controller runs that
  // run, kept on disk otherwise.
  std::map<std::string, std::unique_ptr<BatchSpool>> kept_;
  std::string controller_run_;  // the run the controller named in its Welcome
  uint64_t kept_cursor_ = 0;    // next seq of kept_[controller_run_] to (re)send
  CurveKeyPair keys_;           // this worker's (CURVE)
  std::string controller_key_;  // pinned controller public key (Z85)
  uint64_t send_cursor_ = 0;    // next seq to (re)send
  // exit_after_run: when to leave (monotonic us; 0 = not yet), once the run's end is sent.
  int64_t leave_at_mono_ = 0;
  void LeaveAfterRun();
  int64_t last_progress_mono_ = 0;  // last ack, or when the spool stopped being empty
  uint64_t dropped_frames_ = 0;
};

void WorkerDaemon::Impl::Connect() {
  if (dealer_) {
    monitor_->close();
    dealer_->close();
  }
  dealer_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  // No routing id: the controller's ROUTER gives each connection its own, so nobody can
  // claim this worker's route; the name travels in Hello, bound to this worker's key.
  dealer_->set(zmq::sockopt::linger, 0);
  dealer_->set(zmq::sockopt::immediate, 1);  // queue only to a live connection
  dealer_->set(zmq::sockopt::reconnect_ivl, 100);
  dealer_->set(zmq::sockopt::reconnect_ivl_max, 5000);
  // ZMTP pings detect a connection that died without a FIN (host gone, partition).
  dealer_->set(zmq::sockopt::heartbeat_ivl, std::max(100, config_.heartbeat_ms));
  dealer_->set(zmq::sockopt::heartbeat_timeout, 3 * std::max(100, config_.heartbeat_ms));
  dealer_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxMessageBytes));
  // Few frames in flight: unacknowledged batches wait in the bounded BatchSpool, not in an
  // unbounded ZeroMQ queue (a full queue makes Send return false; the next tick retries).
  dealer_->set(zmq::sockopt::sndhwm, 128);
  dealer_->set(zmq::sockopt::rcvhwm, 1000);
  if (!config_.insecure) {
    dealer_->set(zmq::sockopt::curve_serverkey, controller_key_);
    dealer_->set(zmq::sockopt::curve_publickey, keys_.public_key);
    dealer_->set(zmq::sockopt::curve_secretkey, keys_.secret_key);
  }
  std::string endpoint = "inproc://barrage-worker-monitor-" + std::to_string(++monitor_count_);
  zmq_socket_monitor(dealer_->handle(), endpoint.c_str(),
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
  monitor_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
  monitor_->set(zmq::sockopt::linger, 0);
  monitor_->connect(endpoint);
  dealer_->connect(config_.controller);
  registered_ = false;
  next_hello_mono_ = 0;
}

bool WorkerDaemon::Impl::Send(const std::string& frame) {
  if (!dealer_) return false;  // HandleFrameForTesting: no socket
  try {
    auto sent = dealer_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
    return sent.has_value();
  } catch (const zmq::error_t& e) {
    spdlog::warn("send failed: {}", e.what());
    return false;
  }
}

void WorkerDaemon::Impl::SendHello() {
  HelloMessage h;
  h.name = name_;
  h.host = HostName("worker");
  h.cores = static_cast<uint16_t>(std::min(65535u, std::max(1u, std::thread::hardware_concurrency())));
  h.software_version = BARRAGE_VERSION;
  Send(EncodeHello("", h));
}

proto::WorkerState WorkerDaemon::Impl::State() const {
  // Still delivering a run's kept batches is not idle: a controller would take the worker
  // for restarted and could end that run before they arrive.
  const proto::WorkerState idle = DeliveringKept() ? proto::WorkerState::Stopping : proto::WorkerState::Idle;
  if (!run_ || run_->failed) return idle;
  if (!run_->loaded) return proto::WorkerState::Loading;
  if (!run_->started) return proto::WorkerState::Ready;
  if (run_->running()) {
    return run_->stop_requested ? proto::WorkerState::Stopping : proto::WorkerState::Running;
  }
  return run_->finished_sent ? idle : proto::WorkerState::Stopping;
}

void WorkerDaemon::Impl::SendHeartbeat(int64_t now_mono) {
  int64_t cpu = ProcessCpuNanos();
  if (last_cpu_mono_ > 0 && now_mono > last_cpu_mono_) {
    double cores = std::max(1u, std::thread::hardware_concurrency());
    cpu_percent_ = static_cast<float>(static_cast<double>(cpu - last_cpu_ns_) / 10.0 /
                                      static_cast<double>(now_mono - last_cpu_mono_) / cores);
  }
  last_cpu_ns_ = cpu;
  last_cpu_mono_ = now_mono;
  HeartbeatMessage h;
  h.state = State();
  h.active_vus = run_ && run_->running() ? static_cast<uint32_t>(std::max(0, run_->engine->active_threads())) : 0;
  h.cpu_percent = cpu_percent_;
  if (run_ && run_->engine) h.late_arrivals = static_cast<uint64_t>(run_->engine->counters().late_arrivals);
  const int64_t now = WallMicros();
  h.sent_at_us = now;
  h.echo_us = EchoUs(peer_sent_at_us_, peer_received_at_us_, now);
  std::string run_id = run_ && !run_->finished_sent ? run_->id : "";
  if (run_id.empty() && DeliveringKept()) run_id = controller_run_.empty() ? kept_.begin()->first : controller_run_;
  Send(EncodeHeartbeat(run_id, h));
}

void WorkerDaemon::Impl::SendReady(const std::string& run_id, bool ok, const std::string& message) {
  Send(EncodeReady(run_id, ReadyMessage{ok, message}));
}

void WorkerDaemon::Impl::Dropped(const std::string& why) {
  // A flood of bad frames must not flood the journal: the first 20, then every 1000th.
  ++dropped_frames_;
  if (dropped_frames_ <= 20 || dropped_frames_ % 1000 == 0) {
    spdlog::warn("dropped a frame from the controller: {} ({} dropped so far)", why, dropped_frames_);
  }
}

void WorkerDaemon::Impl::PollMonitor() {
  while (true) {
    zmq::message_t event;
    if (!monitor_->recv(event, zmq::recv_flags::dontwait)) return;
    zmq::message_t address;
    if (event.more()) (void)monitor_->recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), 2);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
    const int64_t now = MonotonicMicros();
    const bool log = last_auth_log_mono_ < 0 || now - last_auth_log_mono_ > 30'000'000;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      spdlog::error(
          "the controller at {} refused this worker's CURVE key (ZAP status {}); add "
          "its public key to the controller's allowed workers",
          config_.controller, value);
      if (value == 400) exit_code_ = kWorkerExitRejected;
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
      if (log) {
        last_auth_log_mono_ = now;
        spdlog::error("handshake with the controller at {} failed ({}): {}", config_.controller, value,
                      config_.insecure ? "does the controller require CURVE (this worker runs --insecure)?"
                                       : "wrong controller_public_key, or the controller runs --insecure?");
      }
    } else if (id == ZMQ_EVENT_DISCONNECTED) {
      // The controller may have restarted: register again (Hello until Welcome), which also
      // resends every unacknowledged batch.
      spdlog::info("disconnected from the controller at {}: registering again", config_.controller);
      registered_ = false;
      next_hello_mono_ = 0;
      if (!disconnected_since_mono_) disconnected_since_mono_ = now;
    } else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      disconnected_since_mono_.reset();
      new_socket_backoff_us_ = 0;
    }
  }
}

void WorkerDaemon::Impl::HandleFrame(zmq::message_t& msg) {
  if (msg.more()) {
    // The controller sends one frame per message; drain and drop the rest of this one.
    zmq::message_t rest;
    size_t parts = 1;
    while (msg.more() && dealer_->recv(rest, zmq::recv_flags::dontwait)) {
      ++parts;
      if (!rest.more()) break;
    }
    Dropped("a message of " + std::to_string(parts) + " frames");
    return;
  }
  HandleBytes(msg.data(), msg.size());
}

void WorkerDaemon::Impl::HandleBytes(const void* data, size_t size) {
  if (size > kMaxMessageBytes) {
    Dropped("a frame of " + std::to_string(size) + " bytes (limit " + std::to_string(kMaxMessageBytes) + ")");
    return;
  }
  std::vector<uint64_t> aligned;
  const proto::Envelope* e = VerifyEnvelope(AlignedFrame(data, size, &aligned), size);
  if (e == nullptr) {
    Dropped("an invalid frame of " + std::to_string(size) + " bytes");
    return;
  }
  last_heard_mono_ = MonotonicMicros();
  disconnected_since_mono_.reset();
  if (e->protocol() != kProtocolVersion) {
    if (e->body_type() == proto::Body::Reject) {
      HandleReject(*e);
      return;
    }
    Dropped(BodyName(e->body_type()) + " with protocol " + std::to_string(e->protocol()) + " (this worker speaks " +
            std::to_string(kProtocolVersion) + ")");
    return;
  }
  switch (e->body_type()) {
    case proto::Body::Welcome: HandleWelcome(*e); break;
    case proto::Body::Reject: HandleReject(*e); break;
    case proto::Body::Heartbeat: HandleHeartbeat(*e); break;
    case proto::Body::LoadPlan: HandleLoadPlan(*e); break;
    case proto::Body::Start: HandleStart(*e); break;
    case proto::Body::Stop: HandleStop(*e); break;
    case proto::Body::BatchAck: HandleBatchAck(*e); break;
    default: Dropped("unexpected " + BodyName(e->body_type()));
  }
}

void WorkerDaemon::Impl::HandleWelcome(const proto::Envelope& e) {
  Result<const proto::Welcome*> body = BodyOf<proto::Welcome>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  WelcomeMessage w = DecodeWelcome(**body);
  if (w.protocol != kProtocolVersion) {
    spdlog::error("the controller chose protocol {}, this worker speaks {} only", w.protocol, kProtocolVersion);
    exit_code_ = kWorkerExitRejected;
    return;
  }
  const bool again = registered_;
  registered_ = true;
  worker_id_ = w.worker_id;
  if (w.heartbeat_ms >= 50 && w.heartbeat_ms <= 60000) heartbeat_ms_ = static_cast<int>(w.heartbeat_ms);
  if (!again) {
    spdlog::info("registered with the controller at {} as {} (worker id {})", config_.controller, name_, worker_id_);
  }
  if (again) return;  // a second Welcome (to a repeated Hello) changes nothing
  const std::string_view controller_run = RunIdOf(e);
  controller_run_ = std::string(controller_run);
  kept_cursor_ = 0;
  for (const auto& [run_id, kept] : kept_) {
    if (run_id == controller_run_) {
      spdlog::info("run {}: resending {} batch(es) ({} samples) kept in {}", run_id, kept->batches(), kept->samples(),
                   kept->dir());
    } else {
      spdlog::warn("run {}: {} unacknowledged batch(es) ({} samples) stay in {}: the controller runs {}, not {}",
                   run_id, kept->batches(), kept->samples(), kept->dir(),
                   controller_run_.empty() ? "?" : controller_run_, run_id);
    }
  }
  if (run_ && !controller_run.empty() && controller_run != run_->id && !run_->running()) {
    // A controller for another run: this worker's last run is over for good.
    KeepSpool("the controller now runs " + controller_run_);
    return;
  }
  // Everything unacknowledged goes again, in order; a lost Ready or Finished too.
  send_cursor_ = 0;
  if (spool_ && spool_->batches() > 0) {
    spdlog::info("resending {} unacknowledged batch(es) ({} samples)", spool_->batches(), spool_->samples());
  }
  if (run_ && run_->loaded && !run_->started) SendReady(run_->id, true, "");
  if (run_ && run_->finished_sent) SendFinished();
}

void WorkerDaemon::Impl::HandleReject(const proto::Envelope& e) {
  Result<const proto::Reject*> body = BodyOf<proto::Reject>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  RejectMessage r = DecodeReject(**body);
  const std::string reason = r.reason.empty() ? "no reason given" : r.reason;
  // Another protocol version can never work; the controller says when nothing else will.
  if (r.permanent || e.protocol() != kProtocolVersion) {
    spdlog::error("the controller at {} rejected this worker ({}): {}", config_.controller, name_, reason);
    exit_code_ = kWorkerExitRejected;
    return;
  }
  const int64_t retry_us = 10LL * heartbeat_ms_ * 1000;
  spdlog::warn("the controller at {} rejected this worker ({}) for now: {}; trying again in {} s", config_.controller,
               name_, reason, static_cast<double>(retry_us) / 1e6);
  registered_ = false;
  next_hello_mono_ = MonotonicMicros() + retry_us;
}

void WorkerDaemon::Impl::HandleHeartbeat(const proto::Envelope& e) {
  Result<const proto::Heartbeat*> body = BodyOf<proto::Heartbeat>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  HeartbeatMessage h = DecodeHeartbeat(**body);
  const int64_t now = WallMicros();
  // Clocks more than a year apart are not clocks: ignore the stamps.
  constexpr int64_t kYearUs = 366LL * 24 * 3600 * 1000000;
  if (h.sent_at_us <= 0 || h.sent_at_us > now + kYearUs || h.sent_at_us < now - kYearUs) return;
  peer_sent_at_us_ = h.sent_at_us;
  peer_received_at_us_ = now;
  if (h.echo_us == 0) return;
  const int64_t rtt = RoundTripUs(h.echo_us, now);
  if (rtt < 0 || rtt > 10'000'000) return;
  offsets_.emplace_back(rtt, ClockOffsetUs(h.echo_us, h.sent_at_us, now));
  if (offsets_.size() > 8) offsets_.pop_front();
  offset_us_ = std::min_element(offsets_.begin(), offsets_.end())->second;
}

void WorkerDaemon::Impl::BeginRun(const std::string& run_id) {
  if (run_ && run_->prepare_thread.joinable()) run_->prepare_thread.join();  // it reads the run's files
  if (run_) {
    KeepSpool("run " + run_id + " begins");
    std::error_code ec;
    fs::remove_all(run_->dir, ec);
    if (spool_ && spool_->batches() == 0) fs::remove(spool_->dir(), ec);  // only when empty
  }
  spool_ =
      std::make_unique<BatchSpool>((fs::path(spool_root_) / SafeName(run_id)).string(), config_.spool_memory_bytes);
  run_ = std::make_unique<ActiveRun>();
  run_->id = run_id;
  run_->dir = fs::path(config_.work_dir) / "runs" / SafeName(run_id);
  run_->plan_dir = run_->dir / "plan";
  send_cursor_ = 0;
  std::error_code ec;
  fs::remove_all(run_->dir, ec);
  fs::create_directories(run_->plan_dir, ec);
  if (ec) FailRun(run_->plan_dir.string() + ": cannot create: " + ec.message());
}

void WorkerDaemon::Impl::FailRun(const std::string& message) {
  spdlog::error("run {}: {}", run_->id, message);
  run_->failed = true;
  run_->files.clear();
  SendReady(run_->id, false, message);
  LeaveAfterRun();
}

void WorkerDaemon::Impl::LeaveAfterRun() {
  if (!config_.exit_after_run || leave_at_mono_ != 0) return;
  // One heartbeat interval for the last frame to reach the wire; Run() closes the socket
  // with a linger so that nothing queued is discarded.
  leave_at_mono_ = MonotonicMicros() + int64_t{config_.heartbeat_ms} * 1000;
  spdlog::info("run {}: ended; exiting (exit_after_run)", run_->id);
}

void WorkerDaemon::Impl::HandleLoadPlan(const proto::Envelope& e) {
  const std::string run_id(RunIdOf(e));
  if (run_id.empty()) {
    Dropped("LoadPlan without a run id");
    return;
  }
  if (run_ && run_->id == run_id && run_->preparing) return;  // its Ready follows the preparation
  if (run_ && run_->id == run_id && (run_->failed || run_->loaded)) {
    if (run_->loaded && !run_->started) SendReady(run_id, true, "");
    return;  // a repeat of a plan already answered
  }
  if (run_ && run_->id != run_id && run_->running()) {
    spdlog::warn("LoadPlan for run {} refused: run {} is still running", run_id, run_->id);
    SendReady(run_id, false, "worker " + name_ + " is still running run " + run_->id);
    return;
  }
  Result<const proto::LoadPlan*> body = BodyOf<proto::LoadPlan>(e);
  Result<LoadPlanMessage> m = body.ok() ? DecodeLoadPlan(**body) : Result<LoadPlanMessage>(body.status());
  const bool first = !run_ || run_->id != run_id;
  if (first) BeginRun(run_id);
  if (run_->failed) return;
  if (!m.ok()) {
    FailRun(m.status().message());
    return;
  }
  ActiveRun& r = *run_;
  if (first) {
    spdlog::info("run {}: loading plan {} ({} bytes, {} data file(s), worker {} of {})", run_id, m->plan_name,
                 m->plan.size(), m->files.size(), m->worker_index + 1, m->worker_count);
    r.header = *m;
    for (auto& f : r.header.files) f.chunk.clear();
    std::unordered_map<std::string, bool> used;
    for (size_t i = 0; i < m->files.size(); ++i) {
      const DataFileChunk& src = m->files[i];
      ActiveRun::File f;
      f.path = src.path;
      f.sha256 = src.sha256;
      f.total = src.total_size;
      fs::path norm = fs::path(src.path).lexically_normal();
      if (norm.is_absolute()) {
        f.local = r.dir / "abs" / norm.relative_path();
      } else if (!norm.empty() && *norm.begin() != "..") {
        f.local = r.plan_dir / norm;
      }
      if (f.local.empty() || used[f.local.string()] || f.local.filename().empty()) {
        f.local = r.dir / "other" / (std::to_string(i) + "-" + SafeName(fs::path(src.path).filename().string()));
      }
      used[f.local.string()] = true;
      std::error_code ec;
      fs::create_directories(f.local.parent_path(), ec);
      f.out.open(f.local, std::ios::binary | std::ios::trunc);
      if (ec || !f.out) {
        FailRun(src.path + ": cannot create " + f.local.string());
        return;
      }
      r.files.push_back(std::move(f));
    }
  } else if (m->files.size() != r.files.size()) {
    FailRun("LoadPlan: a later chunk lists " + std::to_string(m->files.size()) + " files, the first listed " +
            std::to_string(r.files.size()));
    return;
  }
  for (size_t i = 0; i < m->files.size(); ++i) {
    const DataFileChunk& c = m->files[i];
    ActiveRun::File& f = r.files[i];
    if (c.path != f.path || c.total_size != f.total) {
      FailRun("LoadPlan: file " + std::to_string(i) + " changed between chunks (" + c.path + ")");
      return;
    }
    if (c.chunk.empty()) continue;
    if (c.chunk_offset != f.received) {
      FailRun(c.path + ": chunk at offset " + std::to_string(c.chunk_offset) + ", expected " +
              std::to_string(f.received));
      return;
    }
    f.out.write(c.chunk.data(), static_cast<std::streamsize>(c.chunk.size()));
    if (!f.out) {
      FailRun(c.path + ": cannot write " + f.local.string());
      return;
    }
    f.received += c.chunk.size();
  }
  for (const ActiveRun::File& f : r.files) {
    if (f.received < f.total) return;  // more chunks to come
  }
  FinishLoading();
}

void WorkerDaemon::Impl::FinishLoading() {
  ActiveRun& r = *run_;
  for (ActiveRun::File& f : r.files) {
    f.out.close();
    if (!f.out) {
      FailRun(f.path + ": cannot write " + f.local.string());
      return;
    }
    Result<std::string> sha = Sha256HexOfFile(f.local.string());
    if (!sha.ok()) {
      FailRun(sha.status().message());
      return;
    }
    if (*sha != f.sha256) {
      FailRun(f.path + ": sha256 mismatch (received " + *sha + ", expected " + f.sha256 + ")");
      return;
    }
  }
  r.preparing = true;
  ActiveRun* rp = &r;
  const int wake = wake_fd_;
  r.prepare_thread = std::thread([this, rp, wake] {
    rp->prepared.status = PrepareEngine(*rp, rp->prepared);
    rp->prepare_done.store(true, std::memory_order_release);
    uint64_t one = 1;
    if (::write(wake, &one, sizeof(one)) < 0) {
      // The control loop polls every few milliseconds anyway.
    }
  });
}

void WorkerDaemon::Impl::TakePrepared() {
  ActiveRun& r = *run_;
  r.prepare_thread.join();
  r.preparing = false;
  if (r.stopped_preparing) return;  // stopped before start: Finished follows, no Ready
  if (!r.prepared.status.ok()) {
    FailRun(r.prepared.status.message());
    return;
  }
  r.compiled = std::move(r.prepared.compiled);
  r.context = std::move(r.prepared.context);
  r.sink = std::move(r.prepared.sink);
  r.engine = std::move(r.prepared.engine);
  r.loaded = true;
  spdlog::info("run {}: plan {} ready ({} data file(s) verified)", r.id, r.header.plan_name, r.files.size());
  SendReady(r.id, true, "");
}

Status WorkerDaemon::Impl::PrepareEngine(const ActiveRun& r, ActiveRun::Prepared& out) {
  const std::string plan_name = r.header.plan_name.empty() ? "plan.jmx" : r.header.plan_name;
  const fs::path plan_path = r.plan_dir / SafeName(fs::path(plan_name).filename().string());
  {
    std::ofstream file(plan_path, std::ios::binary | std::ios::trunc);
    file.write(r.header.plan.data(), static_cast<std::streamsize>(r.header.plan.size()));
    if (!file) return Status::IoError(plan_path.string() + ": cannot write");
  }
  Result<HashTree> tree = ParseJmx(r.header.plan, plan_name);
  if (!tree.ok()) return tree.status();
  std::unordered_map<std::string, std::string> local;  // shipped files: name as written -> local copy
  for (const ActiveRun::File& f : r.files) local[NormalKey(f.path)] = fs::absolute(f.local).string();
  // Include Controllers read the shipped copies of their files.
  IncludeExpansion included = ExpandIncludeControllers(*tree, [&](const std::string& include_path) {
    auto it = local.find(NormalKey(include_path));
    if (it == local.end()) return Result<std::string>(Status::NotFound(include_path + ": not shipped with the plan"));
    return ReadRegularFile(it->second, kMaxPlanBytes, "an included plan");
  });
  out.compiled = std::make_unique<CompiledPlan>(CompilePlan(std::move(tree).value()));
  Plan& plan = out.compiled->plan;
  plan.problems.insert(plan.problems.end(), included.problems.begin(), included.problems.end());
  plan.included_files = std::move(included.files);
  if (plan.has_errors() || !plan.root) {
    for (const Problem& p : plan.problems) {
      if (p.severity == Problem::Severity::kError) {
        return Status::InvalidArgument(plan_name + ":" + std::to_string(p.line) + ": " + p.message);
      }
    }
    return Status::InvalidArgument(plan_name + ": the plan has no Test Plan");
  }
  out.context = std::make_unique<RunContext>();
  for (const auto& [k, v] : r.header.properties) out.context->properties.Set(k, v);
  out.context->test_plan_file = fs::path(plan_name).filename().string();
  out.context->base_dir = r.plan_dir.string();
  out.context->machine_name = HostName("worker");
  Result<std::vector<ConnectToRule>> connect_to = ParseConnectToRules(r.header.connect_to);
  if (!connect_to.ok()) return Status::InvalidArgument(plan_name + ": " + connect_to.status().message());
  out.context->connect_to = std::move(connect_to).value();

  // CSV Data Sets whose file name (evaluated with the properties, as at test start) is a
  // shipped file read the local copy.
  for (const ActiveRun::File& f : r.files) {
    out.context->local_copies[f.path] = fs::absolute(f.local).string();  // for file functions
  }
  ThreadContext boot;
  boot.run = out.context.get();
  boot.thread_name = "main";
  for (CsvDataSet* csv : CsvDataSetsUnder(*plan.root)) {
    std::string name = Evaluate(csv->filename, boot);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
    auto it = local.find(NormalKey(name));
    if (it != local.end()) csv->filename = Value::Of(it->second);
  }

  out.sink = std::make_unique<BatchingSink>(r.id, name_ + "-", static_cast<size_t>(config_.batch_samples), wake_fd_);
  EngineOptions options;
  options.event_loops = config_.threads;
  options.graceful_stop_timeout_ms = r.header.stop_timeout_ms;
  options.allowed_targets = &allowed_targets_;
  options.max_vus = config_.max_vus;
  options.max_rps = config_.max_rps;
  options.max_duration_ms = static_cast<int64_t>(std::llround(config_.max_duration_s * 1000));
  if (r.header.share == proto::ShareMode::Total) {
    options.share_index = r.header.worker_index;
    options.share_count = r.header.worker_count;
  }
  out.engine = std::make_unique<Engine>(plan, out.context.get(), options, out.sink.get());
  Status prepared = out.engine->Prepare();
  if (!prepared.ok()) return Status::InvalidArgument(plan_name + ": " + prepared.message());
  return Status::Ok();
}

void WorkerDaemon::Impl::HandleStart(const proto::Envelope& e) {
  const std::string run_id(RunIdOf(e));
  if (!run_ || run_->id != run_id) {
    Dropped("Start for run '" + run_id + "', which this worker has not loaded");
    return;
  }
  if (!run_->loaded || run_->started || run_->start_at_mono_us) {
    if (!run_->loaded) Dropped("Start for run " + run_id + " before its plan was ready");
    return;
  }
  Result<const proto::Start*> body = BodyOf<proto::Start>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  StartMessage s = DecodeStart(**body);
  // In the worker's clock; at most ten minutes ahead (a hostile value cannot overflow).
  const int64_t now = WallMicros();
  int64_t delay = 0;
  if (__builtin_add_overflow(s.start_at_us, offset_us_, &delay) || __builtin_sub_overflow(delay, now, &delay)) {
    delay = s.start_at_us > 0 ? 600'000'000 : 0;
  }
  delay = std::clamp<int64_t>(delay, 0, 600'000'000);
  run_->start_at_mono_us = MonotonicMicros() + delay;
  spdlog::info("run {}: starting in {} ms (clock offset {} us)", run_id, delay / 1000, offset_us_);
}

void WorkerDaemon::Impl::StartEngine() {
  ActiveRun& r = *run_;
  r.started = true;
  r.sink->set_worker_id(worker_id_);
  ActiveRun* rp = &r;
  const int wake = wake_fd_;
  r.engine_thread = std::thread([rp, wake] {
    Status s = rp->engine->Run();
    if (!s.ok()) spdlog::error("run {}: engine failed: {}", rp->id, s.message());
    rp->engine_done.store(true, std::memory_order_release);
    uint64_t one = 1;
    if (::write(wake, &one, sizeof(one)) < 0) {
      // The control loop polls every few milliseconds anyway.
    }
  });
  spdlog::info("run {}: load started", r.id);
}

void WorkerDaemon::Impl::HandleStop(const proto::Envelope& e) {
  const std::string run_id(RunIdOf(e));
  if (!run_ || run_->id != run_id) {
    Dropped("Stop for run '" + run_id + "', which is not this worker's run");
    return;
  }
  Result<const proto::Stop*> body = BodyOf<proto::Stop>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  StopMessage s = DecodeStop(**body);
  const bool now = s.mode == proto::StopMode::Now;
  ActiveRun& r = *run_;
  if (r.running()) {
    if (!r.stop_requested || now) {
      spdlog::info("run {}: stop ({}) requested by the controller{}{}", r.id, now ? "now" : "graceful",
                   s.reason.empty() ? "" : ": ", s.reason);
    }
    r.stop_requested = true;
    r.engine->Stop(now);
  } else if (!r.started) {
    spdlog::info("run {}: stopped by the controller before it started", r.id);
    r.stopped_preparing = r.preparing;
    r.start_at_mono_us.reset();
    r.started = true;
    r.joined = true;  // Finished (with zero counts) follows
  } else if (r.finished_sent) {
    SendFinished();
  }
}

void WorkerDaemon::Impl::HandleBatchAck(const proto::Envelope& e) {
  const std::string run_id(RunIdOf(e));
  if ((!run_ || run_->id != run_id) && kept_.count(run_id) == 0) {
    Dropped("BatchAck for run '" + run_id + "', which is not this worker's run");
    return;
  }
  Result<const proto::BatchAck*> body = BodyOf<proto::BatchAck>(e);
  if (!body.ok()) {
    Dropped(body.status().message());
    return;
  }
  BatchAckMessage a = DecodeBatchAck(**body);
  if (!run_ || run_->id != run_id) {
    AckKept(run_id, a.seq);
  } else if (spool_->Ack(a.seq)) {
    last_progress_mono_ = MonotonicMicros();
  }
}

bool WorkerDaemon::Impl::SendFinished() {
  ActiveRun& r = *run_;
  FinishedMessage f;
  if (r.sink) {
    f.samples = r.sink->samples();
    f.batches = r.sink->batches();
    f.errors = r.sink->errors();
  }
  f.dropped = r.dropped;
  if (r.engine) f.late_arrivals = static_cast<uint64_t>(r.engine->counters().late_arrivals);
  if (r.engine && r.engine->script_host()) {
    f.script_host_json = ScriptHostFactsJson(ScriptHostFactsOf(*r.engine->script_host(), r.context->properties));
  }
  return Send(EncodeFinished(r.id, f));
}

void WorkerDaemon::Impl::SendBatches(BatchSpool& spool, uint64_t* cursor) {
  // Bounded per tick so received frames (acks, Stop) are not starved.
  for (int n = 0; n < 256; ++n) {
    std::optional<uint64_t> seq = spool.NextAtOrAfter(*cursor);
    if (!seq) return;
    Result<std::string> frame = spool.Frame(*seq);
    if (!frame.ok()) {
      // Unreadable: it can never be delivered; its samples are dropped, and said so.
      const uint64_t before = spool.samples();
      spool.Ack(*seq);
      if (&spool == spool_.get() && run_) run_->dropped += before - spool.samples();
      spdlog::error("{}: {} sample(s) dropped", frame.status().message(), before - spool.samples());
      *cursor = *seq + 1;
      continue;
    }
    if (!Send(*frame)) return;  // not connected or queue full: later
    *cursor = *seq + 1;
  }
}

void WorkerDaemon::Impl::LoadKeptSpools() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(spool_root_, ec)) {
    if (!entry.is_directory()) continue;
    auto spool = std::make_unique<BatchSpool>(entry.path().string(), config_.spool_memory_bytes);
    std::string run_id;
    std::vector<std::string> problems;
    spool->Recover(
        [&run_id](const std::string& frame) -> Result<uint64_t> {
          std::vector<uint64_t> aligned;
          const proto::Envelope* e = VerifyEnvelope(AlignedFrame(frame.data(), frame.size(), &aligned), frame.size());
          if (e == nullptr) return Status::InvalidArgument("not a sample batch");
          Result<const proto::SampleBatch*> body = BodyOf<proto::SampleBatch>(*e);
          if (!body.ok() || (*body)->samples() == nullptr) return Status::InvalidArgument("not a sample batch");
          const proto::SampleBatch* b = *body;
          if (run_id.empty()) run_id = std::string(RunIdOf(*e));
          if (RunIdOf(*e) != run_id) return Status::InvalidArgument("a batch of run " + std::string(RunIdOf(*e)));
          return static_cast<uint64_t>(b->samples()->size());
        },
        &problems);
    for (const std::string& p : problems) spdlog::warn("spool: {} (left alone)", p);
    if (spool->batches() == 0) {
      fs::remove(entry.path(), ec);  // only when empty
      continue;
    }
    spdlog::warn(
        "run {}: found {} unacknowledged batch(es) ({} samples) of a previous process in {}: they are "
        "resent if the controller still runs {}, and kept otherwise",
        run_id, spool->batches(), spool->samples(), spool->dir(), run_id);
    kept_[run_id] = std::move(spool);
  }
}

void WorkerDaemon::Impl::KeepSpool(const std::string& why) {
  if (!run_ || !spool_ || spool_->batches() == 0) return;
  // Counted as dropped for the run (its Finished and the log say so); what is on disk stays.
  const uint64_t samples = spool_->samples();
  const uint64_t memory_only = spool_->memory_only_samples();
  run_->dropped += samples;
  spdlog::warn("run {}: {} unacknowledged sample(s) dropped ({}): {} kept in {}{}", run_->id, samples, why,
               samples - memory_only, spool_->dir(),
               memory_only ? ", " + std::to_string(memory_only) + " were in memory only and are lost" : "");
  const std::string dir = spool_->dir();
  kept_[run_->id] = std::move(spool_);
  spool_ = std::make_unique<BatchSpool>(dir, config_.spool_memory_bytes);  // the run keeps a (now empty) spool
}

void WorkerDaemon::Impl::AckKept(const std::string& run_id, uint64_t seq) {
  auto it = kept_.find(run_id);
  if (it == kept_.end() || !it->second->Ack(seq)) return;
  last_progress_mono_ = MonotonicMicros();
  if (it->second->batches() > 0) return;
  spdlog::info("run {}: every kept batch is delivered", run_id);
  std::error_code ec;
  fs::remove(it->second->dir(), ec);
  kept_.erase(it);
}

bool WorkerDaemon::Impl::DeliveringKept() const {
  if (controller_run_.empty()) return !kept_.empty();
  return kept_.count(controller_run_) > 0;
}

void WorkerDaemon::Impl::Tick(int64_t now) {
  PollMonitor();
  const int64_t hb_us = static_cast<int64_t>(heartbeat_ms_) * 1000;
  // Registration and liveness. libzmq reconnects the socket itself (with backoff) and
  // ZMTP heartbeats close a dead connection; a controller silent past three heartbeats gets
  // Hello again until it answers (a restarted controller learns the worker that way).
  if (!registered_ && now >= next_hello_mono_) {
    SendHello();
    next_hello_mono_ = now + hb_us;
  }
  if (disconnected_since_mono_) {
    const int64_t wait = std::max<int64_t>(new_socket_backoff_us_, std::max<int64_t>(500'000, 5 * hb_us));
    if (now - *disconnected_since_mono_ > wait) {
      spdlog::warn("no connection to the controller at {} for {:.1f} s: opening a new socket", config_.controller,
                   static_cast<double>(now - *disconnected_since_mono_) / 1e6);
      new_socket_backoff_us_ = std::min<int64_t>(std::max<int64_t>(wait * 2, 1), 30'000'000);
      Connect();
      disconnected_since_mono_ = now;
    }
  }
  if (registered_ && now - last_heard_mono_ > 3 * hb_us) {
    spdlog::warn("the controller has been silent for {:.1f} s: registering again",
                 static_cast<double>(now - last_heard_mono_) / 1e6);
    registered_ = false;
    next_hello_mono_ = now;
  }
  if (now >= next_heartbeat_mono_) {
    SendHeartbeat(now);
    next_heartbeat_mono_ = now + hb_us;
  }
  if (registered_ && !controller_run_.empty()) {
    if (auto kept = kept_.find(controller_run_); kept != kept_.end()) {
      if (now - last_progress_mono_ > 10'000'000 && kept_cursor_ > 0) {
        last_progress_mono_ = now;
        kept_cursor_ = 0;
      }
      SendBatches(*kept->second, &kept_cursor_);
    }
  }
  if (!run_) return;
  ActiveRun& r = *run_;
  if (r.preparing) {
    if (!r.prepare_done.load(std::memory_order_acquire)) return;
    TakePrepared();
  }
  if (r.start_at_mono_us && now >= *r.start_at_mono_us) {
    r.start_at_mono_us.reset();
    StartEngine();
  }
  const int64_t timeout_us = static_cast<int64_t>(config_.controller_timeout_s * 1e6);
  if (r.running()) {
    if (!r.stop_requested && now - last_heard_mono_ > timeout_us) {
      spdlog::warn("run {}: the controller has been silent for {:.1f} s (timeout {} s): stopping the load", r.id,
                   static_cast<double>(now - last_heard_mono_) / 1e6, config_.controller_timeout_s);
      r.stop_requested = true;
      r.engine->Stop(false);
      r.hard_stop_at_mono_us = now + 5'000'000;
    }
    if (r.hard_stop_at_mono_us && now >= *r.hard_stop_at_mono_us) {
      r.hard_stop_at_mono_us.reset();
      spdlog::warn("run {}: graceful stop takes too long: stopping now", r.id);
      r.engine->Stop(true);
    }
    if (r.engine_done.load(std::memory_order_acquire)) {
      r.engine_thread.join();
      r.joined = true;
      EngineCounters c = r.engine->counters();
      spdlog::info("run {}: load ended ({} samples, {} errors)", r.id, c.samples, c.errors);
    }
  }
  if (r.sink) {
    r.sink->FlushIfDue(now, r.joined ? 0 : static_cast<int64_t>(config_.batch_flush_ms) * 1000);
    for (BatchingSink::Encoded& b : r.sink->Take()) {
      if (spool_->batches() == 0) last_progress_mono_ = now;
      Status s = spool_->Add(b.seq, b.samples, std::move(b.frame));
      if (!s.ok()) {
        r.dropped += b.samples;
        spdlog::error("run {}: batch {} ({} samples) lost: {}", r.id, b.seq, b.samples, s.message());
      }
    }
  }
  if (registered_) {
    // No acknowledgement for a while although batches wait: send them all again (the
    // controller stores each seq once).
    if (spool_->batches() > 0 && now - last_progress_mono_ > 10'000'000 && send_cursor_ > 0) {
      last_progress_mono_ = now;
      send_cursor_ = 0;
      kept_cursor_ = 0;
    }
    SendBatches(*spool_, &send_cursor_);
  }
  if (r.started && r.joined && !r.finished_sent && spool_->batches() == 0 && (!r.sink || r.sink->empty()) &&
      registered_) {
    if (SendFinished()) {
      r.finished_sent = true;
      spdlog::info("run {}: finished ({} samples, {} batches, {} dropped); idle", r.id, r.sink ? r.sink->samples() : 0,
                   r.sink ? r.sink->batches() : 0, r.dropped);
      LeaveAfterRun();
    }
  }
}

int WorkerDaemon::Impl::Run(int signal_fd) {
  // systemd (Type=notify): READY=1 once registered, STATUS= lines, watchdog keep-alives from
  // this loop, STOPPING=1 on a signal.
  SystemdNotifier notifier = SystemdNotifier::FromEnvironment();
  std::error_code ec;
  fs::create_directories(config_.work_dir, ec);
  if (ec) {
    spdlog::error("work dir {}: cannot create: {}", config_.work_dir, ec.message());
    return kWorkerExitRuntime;
  }
  fs::remove_all(fs::path(config_.work_dir) / "runs", ec);
  LoadKeptSpools();
  if (config_.max_vus > 0 || config_.max_rps > 0 || config_.max_duration_s > 0) {
    spdlog::info("every run capped at: max_vus {}, max_rps {}, max_duration {} s (0: none)", config_.max_vus,
                 config_.max_rps, config_.max_duration_s);
  }
  if (allowed_targets_.restricted()) {
    spdlog::info("load only to allowed_targets: {}", allowed_targets_.Describe());
  } else {
    spdlog::warn("allowed_targets is not set: this worker sends load to any host a plan names");
  }
  if (!config_.insecure) {
    const KeyFilePermissions permissions =
        config_.allow_insecure_key_permissions ? KeyFilePermissions::kWarnIfOpen : KeyFilePermissions::kRefuseOpen;
    std::string warning;
    Result<CurveKeyPair> keys = LoadCurveKeyFile(config_.secret_key_file, permissions, &warning);
    if (!warning.empty()) spdlog::warn("WARNING: {}", warning);
    if (!keys.ok() || keys->secret_key.empty()) {
      spdlog::error("{}", keys.ok() ? config_.secret_key_file + ": key secret_key: missing" : keys.status().message());
      return kWorkerExitRejected;
    }
    keys_ = *keys;
    if (IsValidCurveKey(config_.controller_public_key)) {
      controller_key_ = config_.controller_public_key;
    } else {
      Result<CurveKeyPair> pub = LoadCurveKeyFile(config_.controller_public_key, permissions, &warning);
      if (!warning.empty()) spdlog::warn("WARNING: {}", warning);
      if (!pub.ok()) {
        spdlog::error("security.controller_public_key: neither a Z85 key nor a key file: {}", pub.status().message());
        return kWorkerExitRejected;
      }
      controller_key_ = pub->public_key;
    }
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    spdlog::error("eventfd: {}", std::strerror(errno));
    return kWorkerExitRuntime;
  }
  try {
    Connect();
  } catch (const zmq::error_t& e) {
    spdlog::error("controller endpoint {}: {}", config_.controller, e.what());
    ::close(wake_fd_);
    return kWorkerExitRejected;
  }
  heartbeat_ms_ = config_.heartbeat_ms;
  spdlog::info("barrage-worker {} ({}) dialing {}{}", name_, BARRAGE_VERSION, config_.controller,
               config_.insecure ? " (insecure: plain TCP)" : " (CURVE)");
  last_heard_mono_ = MonotonicMicros();
  bool ever_registered = false;
  auto status_line = [&]() -> std::string {
    if (!registered_) return ever_registered ? "lost controller" : "registering with " + config_.controller;
    switch (State()) {
      case proto::WorkerState::Loading: return "loading run " + run_->id;
      case proto::WorkerState::Ready: return "ready for run " + run_->id;
      case proto::WorkerState::Running: return "running run " + run_->id;
      case proto::WorkerState::Stopping: return run_ ? "stopping run " + run_->id : "delivering kept batches";
      default: return "idle";
    }
  };
  notifier.Status(status_line());
  bool shutting_down = false;
  int64_t shutdown_deadline = 0;
  int code = kWorkerExitOk;
  int64_t loop_mono = MonotonicMicros();  // end of the previous Tick
  while (true) {
    int64_t now = MonotonicMicros();
    long timeout_ms = 20;
    if (run_ && run_->start_at_mono_us) {
      timeout_ms = std::clamp<long>(static_cast<long>((*run_->start_at_mono_us - now) / 1000), 0, 20);
    }
    zmq::pollitem_t items[] = {
        {dealer_->handle(), 0, ZMQ_POLLIN, 0},
        {monitor_->handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, wake_fd_, ZMQ_POLLIN, 0},
        {nullptr, signal_fd, ZMQ_POLLIN, 0},
    };
    const size_t n_items = signal_fd >= 0 ? 4 : 3;
    zmq::poll(items, n_items, std::chrono::milliseconds(timeout_ms));
    if (items[2].revents & ZMQ_POLLIN) {
      uint64_t count = 0;
      if (::read(wake_fd_, &count, sizeof(count)) < 0) {
        // EAGAIN: already drained.
      }
    }
    if (n_items == 4 && (items[3].revents & ZMQ_POLLIN)) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof(info)) > 0 && !shutting_down) {
        spdlog::info("signal {}: shutting down", info.ssi_signo);
        notifier.Stopping();
        shutting_down = true;
        shutdown_deadline = MonotonicMicros() + 10'000'000;
        if (run_ && run_->running()) {
          run_->stop_requested = true;
          run_->engine->Stop(false);
        }
      }
    }
    if (items[0].revents & ZMQ_POLLIN) {
      for (int i = 0; i < 1000 && exit_code_ < 0; ++i) {
        zmq::message_t msg;
        if (!dealer_->recv(msg, zmq::recv_flags::dontwait)) break;
        HandleFrame(msg);
      }
    }
    if (exit_code_ >= 0) {
      code = exit_code_;
      break;
    }
    now = MonotonicMicros();
    // One turn of this loop takes ~20 ms; a much longer one means this process did not run
    // (SIGSTOP, a paused VM). That is not the controller's silence: its frames wait unread
    // in the socket; judging before reading them could stop a healthy run.
    if (const int64_t gap = now - loop_mono; gap > kSuspendedGapUs) {
      spdlog::warn("this process did not run for {:.1f} s: not counted as controller silence",
                   static_cast<double>(gap) / 1e6);
      last_heard_mono_ += gap;
    }
    Tick(now);
    loop_mono = MonotonicMicros();
    if (!shutting_down) {
      notifier.Status(status_line());
      if (registered_ && !ever_registered) {
        ever_registered = true;
        notifier.Ready();
      }
    }
    notifier.WatchdogTick(loop_mono);
    if (exit_code_ >= 0) {
      code = exit_code_;
      break;
    }
    if (leave_at_mono_ != 0 && now >= leave_at_mono_ && !shutting_down) {
      notifier.Stopping();
      dealer_->set(zmq::sockopt::linger, 2000);
      code = kWorkerExitOk;
      break;
    }
    if (shutting_down) {
      bool drained = !run_ || !run_->started || (run_->joined && (run_->finished_sent || !registered_));
      if (drained || now >= shutdown_deadline) break;
    }
  }
  if (spool_ && spool_->batches() > 0 && run_) {
    spdlog::warn(
        "run {}: {} unacknowledged batch(es) ({} samples) stay in {}: resent at the next start if the "
        "controller still runs {}",
        run_->id, spool_->batches(), spool_->samples(), spool_->dir(), run_->id);
  }
  run_.reset();  // stops and joins a running engine
  monitor_->close();
  dealer_->close();
  ::close(wake_fd_);
  return code;
}

bool WorkerDaemon::Impl::HandleFrameForTesting(std::string_view frame) {
  if (exit_code_ >= 0) return false;
  HandleBytes(frame.data(), frame.size());
  return exit_code_ < 0;
}

WorkerDaemon::WorkerDaemon(WorkerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
WorkerDaemon::~WorkerDaemon() = default;
int WorkerDaemon::Run(int signal_fd) { return impl_->Run(signal_fd); }
bool WorkerDaemon::HandleFrameForTesting(std::string_view frame) { return impl_->HandleFrameForTesting(frame); }

}  // namespace barrage
