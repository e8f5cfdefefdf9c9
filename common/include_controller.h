// Include Controllers: JMeter replaces each one, when the plan is loaded, by the elements of
// the .jmx file it names (IncludeController.includepath): the children of the first Test
// Fragment under that file's Test Plan (IncludeController.getProperBranch; a file without
// a Test Fragment includes nothing). Expansion happens on the parsed tree, before
// CompilePlan, which then compiles an Include Controller as a Simple Controller.
//
// The files are read through `read`, given the path as the plan writes it (trimmed): the
// caller resolves it (the controller against the plan's folder, a worker to its shipped
// copy). Included files may include others (depth-limited, no cycles).
#ifndef BARRAGE_COMMON_INCLUDE_CONTROLLER_H_
#define BARRAGE_COMMON_INCLUDE_CONTROLLER_H_

#include <functional>
#include <string>
#include <vector>

#include "common/hash_tree.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

using IncludeReader = std::function<Result<std::string>(const std::string& include_path)>;

struct IncludeExpansion {
  std::vector<std::string> files;  // include paths read, as written, each once, in plan order
  std::vector<Problem> problems;   // a file missing or not a plan (errors), no Test Fragment (warnings)
};

// Grafts the included elements under every enabled Include Controller of `tree`.
IncludeExpansion ExpandIncludeControllers(HashTree& tree, const IncludeReader& read);

}  // namespace barrage

#endif  // BARRAGE_COMMON_INCLUDE_CONTROLLER_H_
