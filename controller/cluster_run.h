// `barrage run PLAN --workers N | --worker-names a,b`: the plan runs on barrage-worker
// daemons instead of in this process. This file is the glue around ClusterCoordinator: the
// ZeroMQ transport, the results store, the JTL, the live summary with per-worker rates,
// Ctrl-C, and the final report. The coordinator holds the protocol logic.
//
// Output: "barrage: run N of PLAN: waiting for K worker(s) on ENDPOINT" first (ENDPOINT
// with the real port when --bind asked for `*`), one line per worker event, JMeter's
// summary lines plus a `workers:` line with each worker's rate, the Aggregate Report and
// "barrage: run N STATUS: ...". Ctrl-C stops gracefully on every worker; requests still in
// flight --stop-timeout later, or at a second Ctrl-C, are aborted and recorded as errors
// (Stop(now)); the run then ends `aborted` with every received sample kept.
#ifndef BARRAGE_CONTROLLER_CLUSTER_RUN_H_
#define BARRAGE_CONTROLLER_CLUSTER_RUN_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "controller/cluster_config.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_transport.h"
#include "controller/loaded_plan.h"
#include "controller/run_command.h"
#include "controller/run_recording.h"
#include "controller/run_signals.h"

namespace barrage {

// Runs the loaded `plan` on the workers options.cluster asks for (they get plan.bytes: the
// file is not read again), with the properties in `run`, recording through `recording`
// (not yet opened: opened here after the transport). `signals` is armed here, before the run's execution is
// begun in the store; each signal then escalates the stop. Returns the exit code (DESIGN §8): 2 for bad
// cluster settings or data files, 1 when workers do not come, are lost (unless
// --min-workers is still met) or the store fails.
int RunClusterPlan(const RunOptions& options, const LoadedPlan& plan, const RunContext& run, RunSignals* signals,
                   RunRecording* recording);

// What a cluster run is made of; everything outlives the session.
struct ClusterRunSetup {
  const RunOptions* options = nullptr;  // the plan path, project, duration, stop timeout, quiet...
  const ClusterSettings* settings = nullptr;
  const LoadedPlan* loaded = nullptr;
  const RunContext* run = nullptr;  // properties, data file folder, --connect-to
  RunRecording* recording = nullptr;
  ClusterTransport* transport = nullptr;
  std::string endpoint{};  // where the workers dial (the run's infrastructure record)
  // Workers registered already (`barrage serve`'s pool): the run takes exactly these.
  std::vector<CoordinatorOptions::Adopted> adopted{};
  std::ostream* out = nullptr;  // the run's progress lines
  std::ostream* err = nullptr;  // its errors
};

// One cluster run, driven by its owner's loop: RunClusterPlan's own, or `barrage serve`'s
// (one ROUTER socket for every run). Prepare reads the data files, builds what the workers
// get and opens the recording; Begin begins the execution in the store and creates the
// coordinator; then the owner feeds it the run's messages and ticks until done() and
// calls End (the store's record, the report, the exit code). One thread calls every method.
class ClusterRunSession {
 public:
  // nullptr with the message on setup.err and *exit_code set (2 for data files, 1 for the
  // store).
  static std::unique_ptr<ClusterRunSession> Prepare(const ClusterRunSetup& setup, int* exit_code);
  ~ClusterRunSession();

  // False with the message on setup.err and *exit_code set when the store refuses.
  bool Begin(ClusterTime now, int* exit_code);
  int64_t execution_id() const;

  void OnMessage(const InboundMessage& message, ClusterTime now);
  // The coordinator's timers, the live summary with per-worker rates, the recording's
  // failures and --abort-on-fail. Call at least every 100 ms.
  void OnTick(ClusterTime now);
  void RequestStop(bool now, const std::string& reason, ClusterTime when);
  bool done() const;
  const ClusterCoordinator& coordinator() const;
  // After done(): records the workers, ends the recording; returns the run's exit code.
  int End();

 private:
  struct State;
  explicit ClusterRunSession(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_RUN_H_
