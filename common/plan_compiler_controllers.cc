// Switch, Random Order and Critical Section Controllers and the Result Status Action
// Handler: their properties, read into plan nodes (see element_compiler.h).
#include <string>

#include "common/element_compiler.h"

namespace barrage {

std::unique_ptr<Node> MakeControllerElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kSwitchController: {
      auto n = std::make_unique<SwitchController>(kind);
      n->value = V(e, "SwitchController.value");
      return n;
    }
    case ElementKind::kCriticalSectionController: {
      auto n = std::make_unique<CriticalSectionController>(kind);
      n->lock_name = V(e, "CriticalSectionController.lockName");
      if (n->lock_name.empty()) {
        log.Warning(DescribeElement(e) + ": empty lock name, its children run without a lock", e.line);
      }
      return n;
    }
    case ElementKind::kResultAction: {
      auto n = std::make_unique<ResultAction>(kind);
      std::optional<int64_t> action = e.GetInt("OnError.action", 0);
      if (!action || *action < 0 || *action > 6) {
        log.Error(DescribeElement(e) + ": unknown OnError.action '" + e.GetString("OnError.action", "") + "'", e.line);
      } else {
        n->action = static_cast<ResultAction::Action>(*action);
      }
      return n;
    }
    default: return std::make_unique<Node>(kind);  // Random Order: no properties
  }
}

}  // namespace barrage
