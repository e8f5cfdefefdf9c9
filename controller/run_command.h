// `barrage run`: runs a plan in-process (local mode) and records its samples.
//
// Results: the SQLite store (--db), a JTL CSV with JMeter's default columns (-l), a live
// summariser line every interval (JMeter's `summary +` / `summary =`), and the Aggregate
// Report at the end.
//
// Stopping (local and cluster mode alike): SIGINT/SIGTERM, --duration, --abort-on-fail or
// the plan's own "stop test" stop gracefully: users finish their current sample. Requests
// still in flight --stop-timeout seconds later (default 5) are aborted and recorded as
// error samples, and the run stops. A second signal stops now: requests in flight are
// aborted and recorded at once. Samples recorded until then are kept (JTL and store). A
// signal before the run began ends the command at once (exit 128 + signal number; see
// controller/run_signals.h).
#ifndef BARRAGE_CONTROLLER_RUN_COMMAND_H_
#define BARRAGE_CONTROLLER_RUN_COMMAND_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "common/stop_timeout.h"
#include "controller/cluster_config.h"
#include "controller/loaded_plan.h"
#include "controller/run_recording.h"
#include "controller/thresholds.h"

namespace barrage {

struct RunOptions {
  std::string plan_path;
  std::vector<std::string> properties;                            // "name=value" (-J, -G)
  std::vector<std::string> system_properties;                     // "name=value" (-D): under files and -J
  std::vector<std::string> property_files;                        // -q
  std::string jtl_path;                                           // -l; "" = none
  std::string db_path = "barrage.db";                             // --db
  std::string project = "default";                                // --project
  int64_t duration_s = 0;                                         // --duration: stop after S seconds (0 = plan decides)
  int64_t stop_timeout_s = kDefaultGracefulStopTimeoutMs / 1000;  // --stop-timeout: graceful stop bound
  int event_loops = 0;                                            // --threads: 0 = one per core
  int64_t summary_interval_s = 5;                                 // --summary-interval
  bool skip_unsupported = false;                                  // run without the elements Barrage cannot run
  bool quiet = false;                                             // no live summary
  std::vector<std::string> thresholds;                            // --threshold (controller/thresholds.h)
  std::string thresholds_file;                                    // --thresholds: a TOML file of them
  bool abort_on_fail = false;                                     // --abort-on-fail: check every summary interval
  std::vector<std::string> connect_to;                            // --connect-to (common/connect_to.h)
  ClusterOptions cluster;  // --workers/--worker-names: run on barrage-worker daemons
  // --queued-run N (`barrage serve` starts its local runs so): begin the store's queued
  // execution N (ResultsStore::QueueExecution) instead of a new one. 0 = a new execution.
  int64_t queued_run = 0;
  // --metrics-listen ADDR: serve the run's live metrics at http://ADDR/metrics for Prometheus
  // (controller/metrics_endpoint.h); --metrics-linger: how long to wait after the run for a
  // last scrape (seconds).
  std::string metrics_listen;
  int64_t metrics_linger_s = 15;
  // --influx URL: live metrics to InfluxDB as JMeter's InfluxDB Backend Listener with its
  // default arguments (controller/influx_sink.h); --influx-token: InfluxDB 2's API token.
  std::string influx_url;
  std::string influx_token;
};

// Thresholds are checked before the plan is loaded (a bad one: exit 2), evaluated on all
// samples at the end (one line each; stored with the run; a failure makes the execution
// `failed` and the exit code 99) and, with abort_on_fail, on the data so far every summary
// interval: the first failure stops the run gracefully.
// Returns the exit code (0 run completed, 1 runtime failure, 2 usage or plan error, 99 a
// threshold failed).
// The plan file is read once, through `read_plan` (a seam for tests), parsed and compiled
// once (controller/loaded_plan.h); a local and a cluster run record through the same
// RunRecording (controller/run_recording.h).
int RunPlan(const RunOptions& options, const PlanFileReader& read_plan = ReadPlanFile);

// What a run has before it records anything: the thresholds parsed, the plan loaded and
// able to run, the properties (-D, -q, -J) and --connect-to applied, the plan's listener
// files resolved and checked against the run's inputs, the live metrics sinks made (a bad
// --influx URL, a Backend Listener's bad argument or a bad backend property: exit 2).
struct PreparedRun {
  LoadedPlan loaded;
  RunContext run;
  std::vector<Threshold> thresholds;
  std::vector<ListenerFile> listener_files;
  // The live metrics sinks: the plan's Backend Listeners (InfluxDB, Graphite) with their
  // arguments evaluated, then --influx's. They must outlive the run's RunRecording.
  std::vector<std::unique_ptr<LiveMetricsSink>> live_sinks;
};
// RunPlan's first steps, for every runner (`barrage run`, `barrage serve`'s cluster runs):
// nullptr with the messages written to `err` and *exit_code set (2) when the run cannot
// start.
std::unique_ptr<PreparedRun> PrepareRun(const RunOptions& options, const PlanFileReader& read_plan, std::ostream& err,
                                        int* exit_code);
// The recording of a prepared run (moves its thresholds and listener files; points at its
// live sinks).
RunRecordingOptions RecordingOptionsFor(const RunOptions& options, PreparedRun& prepared);

// What the first Ctrl-C prints (after "barrage: "), in local and cluster mode.
std::string GracefulStopMessage(int64_t stop_timeout_s);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUN_COMMAND_H_
