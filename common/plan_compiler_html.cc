// Issue 10: HTML Link Parser, HTML Parameter Mask and Compare Assertion (see
// element_compiler.h). Property names as JMeter saves them (ParamModifier.mask holding a
// ParamMask's ParamModifier.* members; the Compare Assertion's TestBean properties).
#include <memory>
#include <optional>

#include "common/element_compiler.h"

namespace barrage {

std::unique_ptr<Node> MakeHtmlModifierElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kAnchorModifier: return std::make_unique<Node>(kind);
    case ElementKind::kParamModifier: {
      auto n = std::make_unique<ParamModifier>(kind);
      const Property* mask = e.Find("ParamModifier.mask");
      if (mask == nullptr) {
        log.Error(DescribeElement(e) + ": no ParamModifier.mask", e.line);
        return n;
      }
      n->field_name = V(*mask, "ParamModifier.field_name");
      n->prefix = V(*mask, "ParamModifier.prefix");
      n->suffix = V(*mask, "ParamModifier.suffix");
      n->lower_bound = V(*mask, "ParamModifier.lower_bound", "0");
      n->upper_bound = V(*mask, "ParamModifier.upper_bound", "0");
      n->increment = V(*mask, "ParamModifier.increment", "0");
      return n;
    }
    case ElementKind::kCompareAssertion: {
      auto n = std::make_unique<CompareAssertion>(kind);
      n->compare_content = e.GetBool("compareContent", true);
      std::optional<int64_t> time = e.GetInt("compareTime", -1);
      if (!time)
        log.Error(DescribeElement(e) + ": compareTime '" + e.GetString("compareTime") + "' is not a number", e.line);
      n->compare_time = time.value_or(-1);
      for (const Property* skip : ElementItems(e.Find("stringsToSkip"))) {
        n->strings_to_skip.push_back({V(*skip, "regex"), V(*skip, "substitute")});
      }
      return n;
    }
    default: return nullptr;
  }
}

}  // namespace barrage
