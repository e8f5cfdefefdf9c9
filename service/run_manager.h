// The runs of `barrage serve` (issue 13 item 1): accepts a run request for an uploaded plan
// version, records it in the store at once as a `queued` execution (its id is the run's id
// from then on), starts it when what it needs is free, stops it on request, and says where
// a queued run stands.
//
// Local runs (no workers asked for) run as a child process, `barrage run PLAN --db STORE
// --project P --queued-run ID ...` (the service's own executable), in the run's folder
// (service/plan_store.h MakeRunFolder) with its output in `output.log` there; at most
// `max_local_runs` at once. The child records the run itself; if it ends without beginning
// it (the plan cannot run) the run ends `errored` with the child's last line; if it dies
// mid-run the run ends `aborted`. A child gets SIGTERM when the service's manager thread
// dies (PR_SET_PDEATHSIG), so it never outlives a crashed service by more than its stop.
//
// Cluster runs take idle workers of the pool (ClusterHost::StartRun) and are driven on the
// host's thread by a ClusterRunSession, recording through their own RunRecording; their
// progress lines go to `output.log` too.
//
// The queue is first come, first served per kind: a cluster run waits while an earlier
// cluster run waits for workers, a local run while an earlier local run waits for a slot;
// a local run never waits behind a cluster run or the reverse. A request with "queue":
// false that cannot start at once is refused (nothing is recorded).
//
// Stopping: a queued run ends `aborted` at once; a running one stops gracefully (as
// Ctrl-C: users finish their sample; requests in flight after the stop timeout are
// aborted), or at once with `now`. When the service stops, queued runs end `aborted` and
// running ones are stopped now and end `aborted`.
//
// Threads: every public method is thread-safe. One thread of the manager's own starts
// queued runs, reaps children and reports ends; `finished` is called on it.
#ifndef BARRAGE_SERVICE_RUN_MANAGER_H_
#define BARRAGE_SERVICE_RUN_MANAGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "controller/cluster_config.h"
#include "controller/metrics_registry.h"
#include "controller/results_store.h"
#include "service/cluster_host.h"
#include "service/run_request.h"

namespace barrage {

// A project's runs now (RunManager::CountRuns).
struct ProjectRunCounts {
  int queued = 0;
  int running = 0;
};

struct RunManagerOptions {
  std::string db_path;
  std::string data_dir;        // plans' data files and the runs' folders (plan_store.h)
  std::string barrage_binary;  // the `barrage` executable local runs start
  int max_local_runs = 1;
  // The pool; nullptr: local runs only (a cluster request is refused, 400).
  ClusterHost* host = nullptr;
  const ClusterSettings* cluster = nullptr;  // with `host`: the service's [cluster] settings
  std::function<void(const std::string&)> log = [](const std::string&) {};
  // A run ended (any status, also a queued run stopped): its id. On the manager's thread.
  std::function<void(int64_t run_id)> finished = [](int64_t) {};
  // Live metrics of the cluster runs (controller/prometheus_sink.h), kept after a run's end
  // until kRetainedEndedRuns later runs have ended (service/service_metrics.h); nullptr: none.
  MetricsRegistry* metrics = nullptr;
};

struct RunTicket {
  int64_t id = 0;
  bool started = false;                 // running already (else queued)
  std::optional<int> queue_position{};  // 1-based while queued
};

class RunManager {
 public:
  // Opens its store handles lazily; starts its thread.
  explicit RunManager(RunManagerOptions options);
  // Ends queued runs `aborted`, stops running ones now and waits for them (local children:
  // SIGINT twice, SIGKILL after 15 s).
  ~RunManager();
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  // Accepts `request` in `project`, recorded as triggered by `who` ("token:ci").
  // InvalidArgument naming the field (the API's 400: "worker_names: ...", "workers: ...");
  // NotFound for the plan or its version (404); Unsupported when it cannot start at once and
  // request.queue is false (409), naming what is busy; other codes: the store (500).
  Result<RunTicket> Submit(const std::string& project, const RunRequest& request, const std::string& who);

  // Stops run `id` (see the file comment); `who` and why go to the log and the store.
  // NotFound when it is neither queued nor running here.
  Status Stop(int64_t id, bool now, const std::string& who);

  // Ends every queued run `aborted` and starts nothing more. The service calls it before
  // its pool (ClusterHost) goes, then destroys the pool, then the manager.
  void StopAccepting();

  // The project of run `id` (any run of the store); NotFound "run N not found".
  Result<std::string> ProjectOf(int64_t id);
  // The store handle of `project` the manager keeps (reads and plan uploads go through it).
  Result<ResultsStore*> Store(const std::string& project);

  // 1-based position of a queued run; nullopt when it is not queued.
  std::optional<int> QueuePosition(int64_t id) const;
  // True while the run is queued or running here.
  bool Active(int64_t id) const;
  // Runs queued and running here, by project.
  std::map<std::string, ProjectRunCounts> CountRuns() const;

 private:
  std::optional<int> QueuePositionLocked(int64_t id) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_RUN_MANAGER_H_
