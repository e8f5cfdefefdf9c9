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

namespace barrage {

struct RunOptions {
  std::string plan_path;
  std::vector<std::string> properties;      // "name=value" (-J, -G)
  std::vector<std::string> property_files;  // -q
  std::string jtl_path;                     // -l; "" = none
  std::string db_path = "barrage.db";       // --db
  int64_t duration_s = 0;                   // --duration: stop after S seconds (0 = plan decides)
  int event_loops = 0;                      // --threads: 0 = one per core
  int64_t summary_interval_s = 5;           // --summary-interval
  bool skip_unsupported = false;            // run without the elements Barrage cannot run
  bool quiet = false;                       // no live summary
};

// Returns the exit code (0 run completed, 1 runtime failure, 2 usage or plan error).
int RunPlan(const RunOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUN_COMMAND_H_
