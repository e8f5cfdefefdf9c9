#include "common/include_controller.h"

#include <algorithm>
#include <utility>

#include "common/jmx_parser.h"
#include "common/plan_compiler.h"

namespace barrage {
namespace {

constexpr int kMaxIncludeDepth = 16;

bool IsClass(const TestElement& e, std::string_view testclass) { return ClassifyElement(e).testclass == testclass; }

class Expander {
 public:
  Expander(const IncludeReader& read, IncludeExpansion* out) : read_(read), out_(out) {}

  void Walk(std::vector<TestElement>& elements, int depth) {
    for (TestElement& e : elements) {
      if (!e.enabled) continue;
      if (IsClass(e, "IncludeController")) {
        Include(e, depth);
      } else {
        Walk(e.children, depth);
      }
    }
  }

 private:
  void Include(TestElement& e, int depth) {
    std::string path(TrimAscii(e.GetString("IncludeController.includepath")));
    std::string who = "Include Controller '" + e.testname + "'";
    if (path.empty()) return;  // JMeter includes nothing
    if (depth >= kMaxIncludeDepth || std::count(stack_.begin(), stack_.end(), path) > 0) {
      Error(who + ": " + path + " includes itself (directly or through other files)", e.line);
      return;
    }
    Result<std::string> bytes = read_(path);
    if (!bytes.ok()) {
      Error(who + ": cannot read the included plan " + path + ": " + bytes.status().message(), e.line);
      return;
    }
    if (std::find(out_->files.begin(), out_->files.end(), path) == out_->files.end()) out_->files.push_back(path);
    Result<HashTree> included = ParseJmx(*bytes, path);
    if (!included.ok()) {
      Error(who + ": the included file is not a plan: " + included.status().message(), e.line);
      return;
    }
    std::vector<TestElement>* branch = ProperBranch(included->roots);
    if (!branch) {
      out_->problems.push_back(
          {Problem::Severity::kWarning, who + ": " + path + " has no Test Fragment: nothing is included", e.line});
      return;
    }
    stack_.push_back(path);
    Walk(*branch, depth + 1);
    stack_.pop_back();
    e.children = std::move(*branch);
  }

  // IncludeController.getProperBranch: through the Test Plan to its first Test Fragment
  // (enabled or not: the GUI saves fragments disabled).
  static std::vector<TestElement>* ProperBranch(std::vector<TestElement>& elements) {
    for (TestElement& e : elements) {
      if (IsClass(e, "TestPlan")) return ProperBranch(e.children);
      if (IsClass(e, "TestFragmentController")) return &e.children;
    }
    return nullptr;
  }

  void Error(std::string message, int line) {
    out_->problems.push_back({Problem::Severity::kError, std::move(message), line});
  }

  const IncludeReader& read_;
  IncludeExpansion* out_;
  std::vector<std::string> stack_;
};

}  // namespace

IncludeExpansion ExpandIncludeControllers(HashTree& tree, const IncludeReader& read) {
  IncludeExpansion out;
  Expander(read, &out).Walk(tree.roots, 0);
  return out;
}

}  // namespace barrage
