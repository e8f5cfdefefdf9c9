#include "worker/compare_assertion.h"

#include <cstdlib>
#include <optional>

#include "worker/regex.h"

namespace barrage {

std::string SubstituteAll(std::string_view text, std::string_view pattern, std::string_view replacement) {
  std::string error;
  const CompiledRegex* re = CompileRegex(pattern, RegexMode::kSearch, &error);
  if (re == nullptr) return std::string(text);
  RegexMatches matches(*re);
  matches.Collect(text);
  std::string out;
  size_t at = 0;
  for (size_t i = 0; i < matches.size(); ++i) {
    std::optional<std::string_view> m = matches.Group(i, 0);
    if (!m) continue;
    size_t begin = static_cast<size_t>(m->data() - text.data());
    out.append(text.substr(at, begin - at)).append(replacement);
    at = begin + m->size();
  }
  out.append(text.substr(at));
  return out;
}

AssertionResult RunCompareAssertion(const CompareAssertion& a, const SampleResult& result, ThreadContext& ctx,
                                    CompareState* state) {
  AssertionResult out;
  out.name = a.name;
  const int64_t time_ms = result.sample.elapsed_us / 1000;
  if (a.compare_content) {
    std::string content = result.body;
    for (const CompareAssertion::Skip& skip : a.strings_to_skip) {
      content = SubstituteAll(content, Evaluate(skip.regex, ctx), Evaluate(skip.substitute, ctx));
    }
    if (state->count > 0 && content != state->last_content) state->content_differs = true;
    state->last_content = std::move(content);
  }
  if (a.compare_time >= 0) {
    if (state->count > 0 && std::llabs(state->last_time_ms - time_ms) > a.compare_time) state->time_differs = true;
    state->last_time_ms = time_ms;
  }
  ++state->count;
  if (a.compare_content && state->content_differs) {
    out.failure = true;
    out.message = "Responses differ in content";
  }
  if (a.compare_time >= 0 && state->time_differs) {
    out.failure = true;
    out.message = "Responses differ in response time by more than " + std::to_string(a.compare_time) + " ms";
  }
  return out;
}

const Node* CompareIterationOwner(const Node& assertion) {
  const Node* p = assertion.parent;
  if (p != nullptr && p->category() == Category::kSampler) p = p->parent;
  if (p != nullptr && p->kind == ElementKind::kTestPlan) return nullptr;
  return p;
}

}  // namespace barrage
