// Issue 10, inter-user waits: jp@gc Fifo Put/Pop and the Synchronizing Timer (see
// element_compiler.h). Their run-time side: worker/fifo_queues.h, worker/sync_barrier.h.
#include <memory>
#include <string>

#include "common/element_compiler.h"

namespace barrage {

namespace {

// A TestBean's int/long property: absent is `def`; anything but a whole number is reported.
int64_t ReadWholeNumber(const TestElement& e, std::string_view name, CompileLog& log) {
  std::optional<int64_t> v = e.GetInt(name, 0);
  if (!v) {
    log.Error(DescribeElement(e) + ": " + std::string(name) + " '" + e.GetString(name) + "' is not a whole number",
              e.line);
    return 0;
  }
  return *v;
}

}  // namespace

std::unique_ptr<Node> MakeSyncElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kFifoPut: {
      auto n = std::make_unique<FifoPut>(kind);
      n->queue = V(e, "FifoName");
      n->value = V(e, "Value");
      return n;
    }
    case ElementKind::kFifoPop: {
      auto n = std::make_unique<FifoPop>(kind);
      n->queue = V(e, "FifoName");
      n->variable = V(e, "Variable");
      // The plugin's constructor sets the property kg.apc.jmeter.functions.FifoTimeout
      // (default: for ever); a Timeout written in the plan replaces it.
      n->timeout = e.Find("Timeout") ? V(e, "Timeout") : Value::Of("${__P(kg.apc.jmeter.functions.FifoTimeout,)}");
      CheckWholeNumber(n->timeout, e, "Timeout", true, log);
      return n;
    }
    case ElementKind::kSyncTimer: {
      auto n = std::make_unique<SyncTimer>(kind);
      n->group_size = ReadWholeNumber(e, "groupSize", log);
      n->timeout_ms = ReadWholeNumber(e, "timeoutInMs", log);
      // JMeter: new CyclicBarrier(negative) fails at test start; a negative timeout at the
      // first delay() (IllegalArgumentException).
      if (n->group_size < 0) {
        log.Error(DescribeElement(e) + ": groupSize " + std::to_string(n->group_size) + " is negative", e.line);
      }
      if (n->timeout_ms < 0) {
        log.Error(DescribeElement(e) + ": timeoutInMs " + std::to_string(n->timeout_ms) + " is negative", e.line);
      }
      return n;
    }
    default: return nullptr;
  }
}

}  // namespace barrage
