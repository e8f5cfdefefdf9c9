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

#include "common/functions.h"
#include "common/plan.h"
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

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_RUN_H_
