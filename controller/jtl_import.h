// `barrage import results.jtl [--plan plan.jmx]`: loads a JTL written by JMeter (any of the
// forms controller/jtl_reader.h reads) into a new execution, so JMeter's runs can be
// reported and compared like Barrage's own.
//
// The file is read twice, streaming: a first pass checks every row and finds the first
// sample start and the last sample end (start + elapsed), so a malformed file leaves no
// execution behind; the second pass stores the samples in file order (worker 0). The
// execution is `passed`, started/ended at those two instants, with infrastructure
// {"mode":"imported","jtl":PATH}, the plan's definition when --plan is given, and an
// audit_log 'imported' entry. A file without samples is an error.
#ifndef BARRAGE_CONTROLLER_JTL_IMPORT_H_
#define BARRAGE_CONTROLLER_JTL_IMPORT_H_

#include <cstdint>
#include <string>

#include "common/status.h"
#include "controller/loaded_plan.h"
#include "controller/results_store.h"

namespace barrage {

struct ImportOptions {
  std::string jtl_path;
  std::string plan_path;               // --plan; "" = none
  std::string db_path = "barrage.db";  // --db
  std::string project = "default";     // --project
  std::string timestamp_format;        // --timestamp-format; "" = detect (JtlReadOptions)
};

struct ImportSummary {
  int64_t execution_id = 0;
  uint64_t samples = 0;
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;
};

// Imports into `store`, whose project must be options.project. Errors name the file (and
// line); ParseError / InvalidArgument / NotFound are the input's fault, others the store's.
// `plan`: options.plan_path already loaded (RunImport loads it before it opens the store);
// null = loaded here when plan_path is set. Either way the file is read once.
Result<ImportSummary> ImportJtl(ResultsStore& store, const ImportOptions& options, const LoadedPlan* plan = nullptr);

// The command: prints the new execution's id on standard output. 0 imported, 1 runtime
// failure (store, disk), 2 bad input (unreadable or malformed JTL or plan, not a regular
// file, or --db naming the JTL or the plan); the JTL and the plan are checked before the
// store is opened.
int RunImport(const ImportOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_JTL_IMPORT_H_
