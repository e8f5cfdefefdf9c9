// `barrage run`: runs a plan in-process (local mode) and records its samples.
//
// Results: the SQLite store (--db), a JTL CSV with JMeter's default columns (-l), a live
// summariser line every interval (JMeter's `summary +` / `summary =`), and the Aggregate
// Report at the end. Ctrl-C (SIGINT/SIGTERM) stops gracefully; a second one stops now;
// samples recorded until then are kept.
#ifndef BARRAGE_CONTROLLER_RUN_COMMAND_H_
#define BARRAGE_CONTROLLER_RUN_COMMAND_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "controller/cluster_config.h"

namespace barrage {

struct RunOptions {
  std::string plan_path;
  std::vector<std::string> properties;      // "name=value" (-J, -G)
  std::vector<std::string> property_files;  // -q
  std::string jtl_path;                     // -l; "" = none
  std::string db_path = "barrage.db";       // --db
  std::string project = "default";          // --project
  int64_t duration_s = 0;                   // --duration: stop after S seconds (0 = plan decides)
  int event_loops = 0;                      // --threads: 0 = one per core
  int64_t summary_interval_s = 5;           // --summary-interval
  bool skip_unsupported = false;            // run without the elements Barrage cannot run
  bool quiet = false;                       // no live summary
  std::vector<std::string> thresholds;      // --threshold (controller/thresholds.h)
  std::string thresholds_file;              // --thresholds: a TOML file of them
  bool abort_on_fail = false;               // --abort-on-fail: check every summary interval
  ClusterOptions cluster;                   // --workers/--worker-names: run on barrage-worker daemons
};

// Thresholds are checked before the plan is loaded (a bad one: exit 2), evaluated on all
// samples at the end (one line each; stored with the run; a failure makes the execution
// `failed` and the exit code 99) and, with abort_on_fail, on the data so far every summary
// interval: the first failure stops the run gracefully.
// Returns the exit code (0 run completed, 1 runtime failure, 2 usage or plan error, 99 a
// threshold failed).
int RunPlan(const RunOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUN_COMMAND_H_
