// The workers of `barrage serve` between runs (issue 13): a state machine fed with the
// messages no run claims and with the passing of time, talking back through a
// ClusterTransport (the service's one ROUTER socket). Like ClusterCoordinator it owns no
// socket, thread or clock, so tests drive it message by message.
//
// A worker registers as in a cluster run (Hello -> Welcome, here with an empty run id and
// worker id 0) and stays: idle, busy in a run (Reserve ... Release), or lost. The pool
// heartbeats idle workers (echoing their stamps, as the coordinator does); one silent for
// lost_after_heartbeats x heartbeat_interval is lost, and idle again as soon as it speaks.
// While a worker is busy its messages belong to its run's coordinator: the service routes
// them there (RunOf) and the pool does not heartbeat it.
//
// Names and keys, as a cluster run binds them but for the service's life: a name belongs to
// the key the configuration gives it (bound_names), else to the first key that registered
// it; a Hello claiming it with another key is rejected (not permanently) and changes
// nothing. The owner's Hello from a new connection (it reconnected or restarted) moves the
// worker there once the old connection is silent for two heartbeats or closed; until then
// it is refused for now. Without keys (--insecure) every name is bound to "no key".
// Protocol mismatches and malformed Hellos (a nameless one too) are rejected permanently.
// Garbage and messages from unknown connections are dropped (the first few logged).
//
// Not thread-safe: the service's cluster thread calls every method.
#ifndef BARRAGE_SERVICE_WORKER_POOL_H_
#define BARRAGE_SERVICE_WORKER_POOL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_transport.h"

namespace barrage {

struct WorkerPoolOptions {
  int64_t heartbeat_interval_us = 1'000'000;
  int lost_after_heartbeats = 4;
  // Worker name -> the Z85 key it must register with (controller.toml allowed_workers
  // entries with a name).
  std::map<std::string, std::string> bound_names;
};

enum class PoolState { kIdle, kBusy, kLost };
const char* PoolStateName(PoolState state);

struct PooledWorker {
  std::string peer;  // routing id of its current connection
  std::string name;
  std::string host;
  std::string version;
  std::string public_key;  // "" when insecure
  int cores = 0;
  PoolState state = PoolState::kIdle;
  int64_t run = 0;  // the run it is busy in (kBusy)
  int64_t joined_at_ms = 0;
  int64_t state_since_ms = 0;
  int64_t last_heard_steady_us = 0;
  int64_t last_sent_heartbeat_us = 0;
  int64_t peer_sent_at_us = 0;  // its last heartbeat's stamp and our wall-clock receive time
  int64_t peer_received_at_us = 0;
};

class WorkerPool {
 public:
  WorkerPool(WorkerPoolOptions options, ClusterTransport* transport, std::function<void(const std::string&)> log);

  // A message that no run claimed.
  void OnMessage(const InboundMessage& message, ClusterTime now);
  // Heartbeats to idle workers, liveness. Call at least every 100 ms.
  void OnTick(ClusterTime now);

  // The run a message from `peer` belongs to, when its worker is busy; for a Hello from a
  // new connection, the run of the worker with that name (so the run takes it back).
  std::optional<int64_t> RunOf(const InboundMessage& message) const;

  // Takes idle workers for `run`: these names when given (each must be idle), else `count`
  // of them (by name). Fails, taking none, naming what is missing: "2 workers requested, 1
  // idle (lg-02 busy in run 7, lg-03 lost)".
  Result<std::vector<PooledWorker>> Reserve(int64_t run, int count, const std::vector<std::string>& names,
                                            ClusterTime now);
  // The run's workers now belong to run `to` (its execution id, known once it began).
  void Rekey(int64_t from, int64_t to);
  // Gives the run's workers back: idle, except the names in `lost`. `peers` are the
  // connections the run last knew them on (a worker may have reconnected during the run).
  void Release(int64_t run, const std::map<std::string, std::string>& peers, const std::vector<std::string>& lost,
               ClusterTime now);

  // Idle workers now.
  int idle() const;
  // Every worker the pool knows, by name.
  std::vector<PooledWorker> List() const;

 private:
  PooledWorker* ByName(const std::string& name);
  PooledWorker* ByPeer(const std::string& peer);
  void OnHello(const InboundMessage& m, const proto::Envelope& e, ClusterTime now);
  void Reject(const InboundMessage& m, const std::string& who, const std::string& reason, bool permanent);
  void Drop(const InboundMessage& m, const std::string& why);
  bool SendHeartbeat(PooledWorker& w, ClusterTime now);
  void SetState(PooledWorker& w, PoolState state, ClusterTime now);

  WorkerPoolOptions options_;
  ClusterTransport* transport_;
  std::function<void(const std::string&)> log_;
  std::map<std::string, PooledWorker> workers_;                // by name
  std::map<std::string, std::string> name_keys_;               // name -> the key it is bound to
  std::map<std::string, std::vector<std::string>> key_names_;  // configured key -> its names
  std::map<std::string, int> drops_logged_;                    // per peer, to log only the first few
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_WORKER_POOL_H_
