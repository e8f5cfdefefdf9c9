// Switch, Random Order and Critical Section Controllers at run time (issue 10), built into
// a virtual user's controller tree by BuildControllerTree (controllers.cc). Same threading
// as every ControllerRt: one instance per user, used from that user's event loop only.
#ifndef BARRAGE_WORKER_MORE_CONTROLLERS_H_
#define BARRAGE_WORKER_MORE_CONTROLLERS_H_

#include <memory>

#include "common/plan.h"
#include "worker/controllers.h"

namespace barrage {

// The run-time controller for a kSwitchController, kRandomOrderController or
// kCriticalSectionController node; nullptr for any other kind.
std::unique_ptr<ControllerRt> MakeMoreController(const Node& node);

// JMeter's SwitchController selection (2.13 and 5.x alike) among `names` (the children
// still in the controller): a whole number in range is that index, out of range or ""
// is 0; otherwise the child whose name equals `value`, else the last child named
// "default" (any case), else none (returns names.size(): nothing runs).
size_t SwitchSelection(const std::string& value, const std::vector<std::string>& names);

}  // namespace barrage

#endif  // BARRAGE_WORKER_MORE_CONTROLLERS_H_
