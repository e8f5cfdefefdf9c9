// What a cluster run ships to its workers besides the plan: the data files the plan's CSV
// Data Sets read, found through the compiled plan's listing (Plan::data_files) and resolved
// as JMeter resolves them (a relative name against the plan's folder).
//
// Each file is copied whole to every worker, or split (`--split-data FILE`): worker i of n
// gets the i-th of n disjoint, contiguous row shares (sizes differ by at most one row); the
// header line stays at the top of every share when the CSV Data Set reads its variable
// names from it (empty Variable Names) or skips it (Ignore first line). With Allow quoted
// data, a quoted field may span lines and still counts as one row.
//
// Pure functions over bytes and files; thread-safe.
#ifndef BARRAGE_CONTROLLER_CLUSTER_DATA_H_
#define BARRAGE_CONTROLLER_CLUSTER_DATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/plan.h"
#include "common/status.h"

namespace barrage {

struct ClusterDataFile {
  std::string plan_path;   // the name as the plan writes it (what workers remap)
  std::string local_path;  // where the controller read it
  bool split = false;
  bool keep_header = false;  // split shares start with the file's first row
  bool quoted_data = false;  // rows may contain quoted line breaks
  std::string content;       // the whole file
};

// Finds and reads every data file `plan` references. `base_dir` is the plan's folder.
// `split_files` are the --split-data arguments: each must name one of the plan's files
// (compared as written in the plan, or after resolving both against the current
// directory), else an error naming it. File names computed at run time (containing `${`)
// are listed in `skipped` and not shipped: workers must have them at that path. The files
// of Include Controllers (Plan::included_files) are shipped too, never split.
Result<std::vector<ClusterDataFile>> CollectDataFiles(const Plan& plan, const std::string& base_dir,
                                                      const std::vector<std::string>& split_files,
                                                      std::vector<std::string>* skipped);

// The rows of `content` in n disjoint contiguous shares (see above); share i for worker i.
std::vector<std::string> SplitCsvRows(std::string_view content, int n, bool keep_header, bool quoted_data);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_DATA_H_
