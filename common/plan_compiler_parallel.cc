// Compiles the bzm Parallel Controller (com.blazemeter.jmeter.controller.ParallelSampler).
// Its runnable children are attached by the plan compiler like a controller's.
#include <memory>
#include <optional>

#include "common/element_compiler.h"

namespace barrage {

std::unique_ptr<Node> MakeParallelElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  auto n = std::make_unique<ParallelSampler>(kind);
  n->generate_parent = e.GetBool("PARENT_SAMPLE", false);
  if (e.GetBool("LIMIT_MAX_THREAD_NUMBER", false)) {
    // getPropertyAsInt(MAX_THREAD_NUMBER, 6); a fixed pool of fewer than one thread cannot
    // be made (JMeter fails when the user starts).
    std::optional<int64_t> max = e.GetInt("MAX_THREAD_NUMBER", 6);
    if (!max || *max < 1 || *max > 1000000) {
      log.Error(DescribeElement(e) + ": MAX_THREAD_NUMBER must be a whole number of at least 1 (is '" +
                    e.GetString("MAX_THREAD_NUMBER", "") + "')",
                e.line);
    } else {
      n->max_branches = static_cast<int>(*max);
    }
  }
  return n;
}

}  // namespace barrage
