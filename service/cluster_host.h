// The cluster side of `barrage serve` (issue 13): one ZeroMQ ROUTER socket for the service's
// life, the worker pool (service/worker_pool.h) and the cluster runs in progress
// (controller/cluster_run.h ClusterRunSession), all on one thread of its own, as ZeroMQ
// wants. Every message goes to the run its worker is busy in, else to the pool.
//
// Other threads (the HTTP API's) talk to it through the thread-safe methods below, which
// post work to that thread and, where they return something, wait for it. None may be
// called once the destructor has begun (the service stops its API first).
//
// A run's Prepare and Begin (reading its data files, beginning the execution in the store)
// run on the host's thread: while they do, the other runs' messages wait.
#ifndef BARRAGE_SERVICE_CLUSTER_HOST_H_
#define BARRAGE_SERVICE_CLUSTER_HOST_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/cluster_config.h"
#include "controller/cluster_run.h"
#include "service/worker_pool.h"

namespace barrage {

class ClusterHost {
 public:
  // Makes a run's session for the workers it got (on the host's thread, with its transport):
  // a prepared and begun session, or nullptr with the reason in *error.
  using Launch = std::function<std::unique_ptr<ClusterRunSession>(
      ClusterTransport* transport, const std::string& endpoint, std::vector<CoordinatorOptions::Adopted> workers,
      std::string* error)>;
  // Called on the host's thread once the run ended (after ClusterRunSession::End and the
  // session's destruction: what the session pointed to may be freed from here on).
  using Ended = std::function<void(int64_t execution_id, int exit_code)>;

  // Binds the socket (CurveZMQ unless settings.insecure) and starts the thread. Errors name
  // the endpoint.
  static Result<std::unique_ptr<ClusterHost>> Open(const ClusterSettings& settings,
                                                   std::function<void(const std::string&)> log);
  // Stops every run now (Stop(now) to its workers; each ends `aborted`), then the thread.
  ~ClusterHost();

  // The bound endpoint (the port the system chose for `*`).
  const std::string& endpoint() const;
  // The pool now, by name.
  std::vector<PooledWorker> Workers() const;
  // Takes `count` idle workers (or these names) and starts a run on them with `launch`.
  // Returns its execution id; Unsupported naming what is missing when the workers are not
  // idle now (the run may wait and try again), Internal with what `launch` said when it
  // could not make the run.
  Result<int64_t> StartRun(int count, const std::vector<std::string>& names, Launch launch, Ended ended);
  // A graceful stop (`now`: abort requests in flight). NotFound when no such run runs here.
  Status StopRun(int64_t execution_id, bool now, const std::string& reason);
  // Runs in progress.
  int running() const;
  // Replaces the workers' key allowlist (SIGHUP key rotation): a key added is admitted at
  // its next handshake, a key removed is refused at its next one; connections already
  // admitted (and their workers) stay. Bound names ({ name, key } entries) keep the values
  // read at start. Thread-safe.
  void SetAllowedKeys(std::set<std::string> keys);

 private:
  struct Impl;
  explicit ClusterHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_CLUSTER_HOST_H_
