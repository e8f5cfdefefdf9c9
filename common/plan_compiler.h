// Compiles a HashTree (hash_tree.h) into a Plan (plan.h): typed nodes, JMeter's scoping
// resolved, Module Controllers expanded, and everything Barrage cannot run listed.
//
// Never fails: problems are collected in Plan::problems (with source lines) and unknown
// elements in Plan::unsupported; the caller decides whether to run (Plan::runnable()).
// Disabled elements (enabled="false") are dropped with their whole subtree; WorkBench and
// its contents, listeners and non-test elements are recognised and ignored.
#ifndef BARRAGE_COMMON_PLAN_COMPILER_H_
#define BARRAGE_COMMON_PLAN_COMPILER_H_

#include <string>
#include <vector>

#include "common/hash_tree.h"
#include "common/plan.h"

namespace barrage {

// What an element of a .jmx is to Barrage.
enum class Role {
  kTestPlan,
  kThreadGroup,
  kSampler,
  kController,
  kConfig,
  kTimer,
  kPreProcessor,
  kPostProcessor,
  kAssertion,
  kListener,
  kNonTest,
  kUnknown,
};
const char* RoleName(Role role);

struct ElementClass {
  Role role = Role::kUnknown;
  bool supported = false;                     // Barrage runs it, or ignores it (below)
  bool ignored = false;                       // never changes the load: a listener, a GUI-only element...
  ElementKind kind = ElementKind::kTestPlan;  // valid when supported and not ignored
  std::string testclass;                      // normalised: "org.apache.jmeter.x.Y" becomes "Y"
  const char* reason = "";                    // why it is ignored or unsupported
  const char* alternative = "";               // unsupported: the nearest element Barrage runs ("" none)
};

// Classifies an element by its testclass (and guiclass for plugin samplers).
ElementClass ClassifyElement(const TestElement& element);

// The classification tables, for `barrage elements` and the README: every testclass
// Barrage runs (detail = the kind's name), ignores or knows it cannot run (detail = the
// reason), in table order. Plugin classes not in the tables are classified by name.
struct ElementTableRow {
  enum class Status { kSupported, kIgnored, kUnsupported };
  std::string testclass;
  Role role = Role::kUnknown;
  Status status = Status::kSupported;
  std::string detail;
  std::string alternative;
};
std::vector<ElementTableRow> ElementTable();

// One enabled element of the TestPlan tree, as listed by `inspect` (each element once,
// even when Module Controllers reach it several times).
struct ListedElement {
  ElementClass cls;
  const TestElement* source = nullptr;
};

// The plan and, for tools, every enabled element in document order.
struct CompiledPlan {
  Plan plan;
  std::vector<ListedElement> listing;
  std::vector<std::string> variables;  // names referenced as ${name}, sorted
  std::vector<std::string> functions;  // functions called (${__name(...)}), sorted
};

// Takes ownership of the tree; nodes of the result point into result.plan.tree.
CompiledPlan CompilePlan(HashTree tree);

}  // namespace barrage

#endif  // BARRAGE_COMMON_PLAN_COMPILER_H_
