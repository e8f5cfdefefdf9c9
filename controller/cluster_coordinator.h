// The controller's side of a cluster run (DESIGN §5, issue 5): a state machine fed with the
// messages workers send and with the passing of time, talking back through a
// ClusterTransport. It owns no socket, thread or clock, so tests drive it message by
// message with a fake transport and invented times.
//
// Phases: registering (Hello -> Welcome | Reject) until the expected workers are there, or
// at the registration deadline with at least min_workers (or, with adopted workers, none)
// -> loading (LoadPlan to each, in
// chunks) until every worker answered Ready -> running (Start at now + margin, in the
// controller's wall clock; SampleBatch -> store + BatchAck) until every worker sent
// Finished or was lost -> done. A stop request (Ctrl-C, --duration) sends Stop(graceful);
// when workers have not finished `graceful_stop_timeout` later, Stop(now); when they still
// have not, `stop_now_timeout` later, they are marked lost. Every run ends in `done`.
//
// Liveness: any message from a worker counts; a worker silent for lost_after_heartbeats x
// heartbeat_interval (or heartbeating `Idle` while it owes the run its Finished: it
// restarted) is marked lost; the run goes on without it and ends `partial`. A lost worker
// that speaks again is taken back. Batches are stored once per (worker, seq) and always
// acknowledged (a resent one is counted as a duplicate); batches of a lost worker are
// stored without taking it back (a restarted worker resends what it had spooled).
// The controller's own stalls (a SIGSTOP, a paused VM, a long ingest turn: two ticks more
// than kStallUs and a heartbeat interval apart) do not count as the workers' silence.
//
// Names and keys: a worker name is bound to one CurveZMQ key for the whole run: the key
// the configuration gives it (bound_names), else the first key that registered it. A Hello
// claiming a bound name with another key is rejected (and logged with both keys' short
// fingerprints), and never disturbs the worker that owns the name. The owner's Hello from
// a new connection (it reconnected or restarted) moves the worker to that connection once
// the old one is closed, lost or silent for two heartbeats; until then it is refused for
// now. Without keys (--insecure) every name is bound to "no key": names are not
// authenticated. Messages from a connection with another key than its worker's are
// dropped. Garbage, wrong-run and out-of-place messages are logged (the first few per
// peer) and dropped.
//
// Clock offsets: each heartbeat echoes the peer's last sent_at (common/wire.h EchoUs);
// the estimate with the smallest round trip is kept per worker (worker minus controller).
//
// Not thread-safe: one thread (the run loop) calls every method.
#ifndef BARRAGE_CONTROLLER_CLUSTER_COORDINATOR_H_
#define BARRAGE_CONTROLLER_CLUSTER_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "common/stop_timeout.h"
#include "common/wire.h"
#include "controller/cluster_data.h"
#include "controller/cluster_transport.h"
#include "controller/results_store.h"

namespace barrage {

// Now, twice: steady for timeouts, wall (epoch us) for what goes on the wire.
struct ClusterTime {
  int64_t steady_us = 0;
  int64_t wall_us = 0;
};

struct CoordinatorOptions {
  std::string run_id;
  int expected_workers = 1;               // --workers N (or the number of names)
  std::vector<std::string> worker_names;  // --worker-names: exactly these; empty = any name
  int min_workers = 0;                    // 0 = all expected workers
  int64_t registration_timeout_us = 60'000'000;
  int64_t heartbeat_interval_us = 1'000'000;
  int lost_after_heartbeats = 4;
  int64_t ready_timeout_us = 60'000'000;  // LoadPlan -> Ready
  int64_t start_margin_us = 500'000;      // Start at now + max(margin, 4 x worst round trip)
  int64_t max_duration_us = 0;            // --duration: Stop(graceful) after this long; 0 = none
  // Stop(graceful) -> Stop(now): the same bound as a local run's (--stop-timeout).
  int64_t graceful_stop_timeout_us = kDefaultGracefulStopTimeoutMs * 1000;
  int64_t stop_now_timeout_us = 5'000'000;  // Stop(now) -> the worker is marked lost
  size_t chunk_bytes = kLoadPlanChunkBytes;
  // Worker name -> the Z85 key it must register with (controller.toml allowed_workers
  // entries with a name). Such a key registers under its bound name(s) only.
  std::map<std::string, std::string> bound_names;
  // Workers registered already (`barrage serve`'s pool, service/worker_pool.h): the run
  // starts with exactly these (worker ids 1..N in this order, names bound to their keys) and
  // loads the plan at once, without a registration phase; expected_workers and
  // worker_names are then ignored.
  struct Adopted {
    std::string peer;
    std::string name;
    std::string host;
    std::string version;
    std::string public_key;
    int cores = 0;
  };
  std::vector<Adopted> adopted;
};

// Two OnTick calls further apart than this, and than a heartbeat interval, mean the
// controller did not run in between.
inline constexpr int64_t kStallUs = 500'000;

// What every worker runs.
struct ClusterPlan {
  std::string plan_name;  // the .jmx file name
  std::string plan_bytes;
  std::vector<ClusterDataFile> files;
  std::vector<std::pair<std::string, std::string>> properties;  // -J / -q
  proto::ShareMode share = proto::ShareMode::PerWorker;
  std::vector<std::string> connect_to;  // --connect-to rules, as FormatConnectToRule writes them
};

enum class WorkerPhase { kRegistered, kLoading, kReady, kRunning, kFinished, kLost, kRejected };
const char* WorkerPhaseName(WorkerPhase phase);

// A CurveZMQ key for log lines: "key rq9>Zx1a..." (its first 8 characters), "no key" for "".
std::string KeyFingerprint(const std::string& z85_key);

struct ClusterWorker {
  std::string peer;  // routing id
  std::string name;
  std::string host;
  std::string version;
  std::string public_key;  // CurveZMQ key it registered with ("" when insecure)
  int cores = 0;
  int32_t worker_id = 0;  // store id: 1..N for participants
  uint32_t index = 0;     // worker.index (0-based among participants)
  WorkerPhase phase = WorkerPhase::kRegistered;
  std::string reason;  // why rejected or lost
  int64_t joined_at_ms = 0;
  std::optional<int64_t> left_at_ms;
  int64_t last_heard_steady_us = 0;
  int64_t last_sent_heartbeat_us = 0;
  // Last heartbeat received: the peer's stamp and our wall-clock receive time (for echo).
  int64_t peer_sent_at_us = 0;
  int64_t peer_received_at_us = 0;
  std::optional<int64_t> clock_offset_us;  // worker minus controller
  int64_t best_round_trip_us = 0;
  uint32_t active_vus = 0;
  float cpu_percent = 0;
  uint64_t late_arrivals = 0;  // arrivals its dynamic thread groups dropped (heartbeats, Finished)
  std::set<uint64_t> seqs;     // stored batches
  uint64_t samples_received = 0;
  uint64_t batches_received = 0;
  uint64_t duplicate_batches = 0;
  uint64_t invalid_samples = 0;  // in batches that failed to decode
  std::optional<FinishedMessage> finished;
  uint64_t dropped_messages = 0;

  bool participant() const { return phase != WorkerPhase::kRejected; }
  // Samples the worker produced that did not reach the store.
  uint64_t samples_lost() const;
};

// Where the run's effects go. Called from the coordinator's thread.
class CoordinatorListener {
 public:
  virtual ~CoordinatorListener() = default;
  // Samples of one new batch. An error stops the run (errored).
  virtual Status OnSamples(const ClusterWorker& worker, std::vector<Sample>&& samples) = 0;
  // A log line for the operator ("worker a registered (host, 8 cores)").
  virtual void OnLog(const std::string& line) = 0;
  // The run started (Start sent; load begins at start_at_us, controller wall clock).
  virtual void OnStarted(int64_t start_at_us) { (void)start_at_us; }
};

struct CoordinatorOutcome {
  ExecutionStatus status = ExecutionStatus::kRunning;
  int exit_code = 0;
  std::string message;  // one line for the operator when not passed
};

class ClusterCoordinator {
 public:
  ClusterCoordinator(CoordinatorOptions options, ClusterPlan plan, ClusterTransport* transport,
                     CoordinatorListener* listener, ClusterTime now);

  void OnMessage(const InboundMessage& message, ClusterTime now);
  // Timers: registration deadline, heartbeats, liveness, Start, stop escalation. Call at
  // least every 100 ms.
  void OnTick(ClusterTime now);
  // Ctrl-C: graceful first, `now` on the second; the run ends `aborted`.
  void RequestStop(bool now, const std::string& reason, ClusterTime when);

  bool done() const { return phase_ == Phase::kDone; }
  bool started() const { return start_at_us_.has_value(); }
  std::optional<int64_t> start_at_us() const { return start_at_us_; }
  // Valid once done().
  const CoordinatorOutcome& outcome() const { return outcome_; }
  // Participants first (by worker_id), then rejected peers.
  std::vector<const ClusterWorker*> workers() const;
  // Names the run waits for that have not registered (for messages).
  std::vector<std::string> MissingWorkers() const;

 private:
  enum class Phase { kRegistering, kLoading, kRunning, kStopping, kDone };

  ClusterWorker* Find(const std::string& peer);
  ClusterWorker* FindParticipant(const std::string& name);
  void Drop(const InboundMessage& m, ClusterWorker* w, const std::string& why);
  void OnHello(const InboundMessage& m, const proto::Envelope& e, ClusterTime now);
  void OnHeartbeat(ClusterWorker& w, const proto::Heartbeat& hb, ClusterTime now);
  void OnReady(ClusterWorker& w, const proto::Ready& r, ClusterTime now);
  void OnSampleBatch(ClusterWorker& w, const proto::SampleBatch& b, ClusterTime now);
  void OnFinished(ClusterWorker& w, const proto::Finished& f, ClusterTime now);
  // `permanent`: the worker can never be admitted (other protocol, malformed Hello, no
  // name), so it exits instead of saying Hello again; run-specific refusals are not.
  // `detail` goes to the log line only.
  void Reject(const InboundMessage& m, const std::string& name, const std::string& host, const std::string& reason,
              ClusterTime now, bool permanent = false, const std::string& detail = "");
  // False when the worker's connection is closed.
  bool SendHeartbeat(ClusterWorker& w, ClusterTime now);
  // Shifts the liveness clocks by a stall of the controller's own (see kStallUs).
  void DiscountStall(int64_t stalled_us, ClusterTime now);
  void BeginLoading(ClusterTime now);
  void MaybeStart(ClusterTime now);
  void SendStop(proto::StopMode mode, const std::string& reason, ClusterTime now);
  void MarkLost(ClusterWorker& w, const std::string& reason, ClusterTime now);
  void MaybeFinish(ClusterTime now);
  void Fail(const std::string& message, ClusterTime now);
  void Send(ClusterWorker& w, const std::string& bytes);
  void Log(const std::string& line) { listener_->OnLog(line); }
  bool Owes(const ClusterWorker& w) const;  // still expected to send Finished

  CoordinatorOptions options_;
  ClusterPlan plan_;
  ClusterTransport* transport_;
  CoordinatorListener* listener_;
  Phase phase_ = Phase::kRegistering;
  int64_t registration_deadline_us_;
  int64_t loading_since_us_ = 0;
  std::optional<int64_t> start_at_us_;
  int64_t started_steady_us_ = 0;
  std::optional<int64_t> stop_sent_us_;
  proto::StopMode stop_mode_ = proto::StopMode::Graceful;
  bool interrupted_ = false;
  std::string failure_;                                     // set when the run errored
  std::map<std::string, ClusterWorker> workers_;            // by peer
  std::map<std::string, std::string> name_keys_;            // name -> the key it is bound to
  std::map<std::string, std::set<std::string>> key_names_;  // configured key -> its names
  std::optional<int64_t> last_tick_steady_us_;
  int32_t next_worker_id_ = 1;
  int32_t next_rejected_id_ = 1001;
  std::map<std::string, uint64_t> unknown_peer_drops_;
  CoordinatorOutcome outcome_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_COORDINATOR_H_
