#include "worker/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <unordered_map>

namespace barrage {

class CompiledRegex {
 public:
  pcre2_code* code = nullptr;
  pcre2_match_data* match_data = nullptr;
  RegexMode mode = RegexMode::kSearch;
  size_t groups = 1;
  std::string error;  // set when the pattern did not compile

  ~CompiledRegex() {
    pcre2_match_data_free(match_data);
    pcre2_code_free(code);
  }
};

namespace {

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One thread's compiled patterns, plus a JIT stack large enough for patterns such as
// `(.|\n)*` over big bodies (the default is 32 KiB on the machine stack).
struct ThreadCache {
  std::unordered_map<std::string, std::unique_ptr<CompiledRegex>, KeyHash, std::equal_to<>> by_mode[2];
  pcre2_jit_stack* jit_stack = nullptr;
  pcre2_match_context* match_context = nullptr;

  ThreadCache() {
    match_context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
    if (match_context != nullptr && jit_stack != nullptr) {
      pcre2_jit_stack_assign(match_context, nullptr, jit_stack);
    }
  }
  ~ThreadCache() {
    for (auto& m : by_mode) m.clear();
    pcre2_match_context_free(match_context);
    pcre2_jit_stack_free(jit_stack);
  }
};

ThreadCache& Cache() {
  thread_local ThreadCache cache;
  return cache;
}

// The start of the quantifier PCRE2 complained about (it points at its last character).
size_t QuantifierStart(std::string_view pattern, size_t offset) {
  if (offset < pattern.size() && pattern[offset] == '}') {
    size_t open = pattern.rfind('{', offset);
    if (open != std::string_view::npos) return open;
  }
  return offset;
}

// ORO's Perl5Compiler wording for the errors plans actually contain.
std::string DescribeError(int code, size_t offset, std::string_view pattern) {
  switch (code) {
    case PCRE2_ERROR_MISSING_CLOSING_PARENTHESIS:
    case PCRE2_ERROR_UNMATCHED_CLOSING_PARENTHESIS: return "Unmatched parentheses.";
    case PCRE2_ERROR_MISSING_SQUARE_BRACKET: return "Unmatched [] in expression.";
    case PCRE2_ERROR_CLASS_RANGE_ORDER: return "Invalid [] range in expression.";
    case PCRE2_ERROR_END_BACKSLASH: return "Trailing \\ in expression.";
    case PCRE2_ERROR_QUANTIFIER_OUT_OF_ORDER: {
      size_t open = pattern.rfind('{', offset);
      size_t close = pattern.find('}', offset);
      if (open != std::string_view::npos && close != std::string_view::npos) {
        return "Invalid interval " + std::string(pattern.substr(open, close - open + 1));
      }
      break;
    }
    case PCRE2_ERROR_QUANTIFIER_INVALID: {
      size_t start = QuantifierStart(pattern, offset);
      if (start > 0 && std::string_view("*+?}").find(pattern[start - 1]) != std::string_view::npos) {
        return "Nested repetitions *?+ in expression";
      }
      return "?+* follows nothing in expression";
    }
    case 111:  // unrecognized character after (? or (?-
      if (offset < pattern.size()) {
        return std::string("Sequence (?") + pattern[offset] + "...) not recognized";
      }
      break;
    default: break;
  }
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "invalid pattern";
  return reinterpret_cast<const char*>(buffer);
}

std::unique_ptr<CompiledRegex> Compile(std::string_view pattern, RegexMode mode) {
  auto re = std::make_unique<CompiledRegex>();
  re->mode = mode;
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  uint32_t options = mode == RegexMode::kFullMatch ? PCRE2_ANCHORED : 0;
  re->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error_code,
                           &error_offset, nullptr);
  if (re->code == nullptr) {
    re->error = DescribeError(error_code, error_offset, pattern);
    return re;
  }
  pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);  // the interpreter runs when JIT cannot
  uint32_t captures = 0;
  pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &captures);
  re->groups = size_t{captures} + 1;
  re->match_data = pcre2_match_data_create_from_pattern(re->code, nullptr);
  return re;
}

// One pcre2_match; retries without JIT when the JIT stack is too small. Returns
// pcre2_match's result (> 0 on a match).
int Match(const CompiledRegex& re, std::string_view subject, size_t start, uint32_t options) {
  ThreadCache& cache = Cache();
  int rc = pcre2_match(re.code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start, options,
                       re.match_data, cache.match_context);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    rc = pcre2_match(re.code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), start,
                     options | PCRE2_NO_JIT, re.match_data, cache.match_context);
  }
  return rc;
}

}  // namespace

const CompiledRegex* CompileRegex(std::string_view pattern, RegexMode mode, std::string* error) {
  auto& map = Cache().by_mode[mode == RegexMode::kFullMatch ? 1 : 0];
  auto it = map.find(pattern);
  if (it == map.end()) {
    if (map.size() >= kRegexCacheSize) map.clear();
    it = map.emplace(std::string(pattern), Compile(pattern, mode)).first;
  }
  const CompiledRegex& re = *it->second;
  if (re.code == nullptr) {
    if (error != nullptr) *error = re.error;
    return nullptr;
  }
  return &re;
}

bool RegexTest(const CompiledRegex& re, std::string_view subject) {
  if (Match(re, subject, 0, 0) <= 0) return false;
  if (re.mode == RegexMode::kSearch) return true;
  // ORO does not backtrack into a longer alternative: `a|ab` does not match "ab".
  return pcre2_get_ovector_pointer(re.match_data)[1] == subject.size();
}

size_t RegexGroupCount(const CompiledRegex& re) { return re.groups; }

RegexMatches::RegexMatches(const CompiledRegex& re) : re_(&re), groups_(re.groups) {}

size_t RegexMatches::Collect(std::string_view subject, size_t limit) {
  size_t start = 0;
  uint32_t options = 0;
  while (limit == 0 || subjects_.size() < limit) {
    int rc = Match(*re_, subject, start, options);
    if (rc <= 0) break;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(re_->match_data);
    subjects_.push_back(subject);
    for (size_t g = 0; g < groups_; ++g) {
      bool set = g < static_cast<size_t>(rc) && ovector[2 * g] != PCRE2_UNSET;
      offsets_.push_back(set ? ovector[2 * g] : PCRE2_UNSET);
      offsets_.push_back(set ? ovector[2 * g + 1] : PCRE2_UNSET);
    }
    // The next search starts where this match ended; a match reported as ending before it
    // starts (\K in a lookahead) that does not move forward ends the loop.
    size_t next = std::max<size_t>(ovector[0], ovector[1]);
    if (options != 0 && next <= start) break;
    start = next;
    options = PCRE2_NOTEMPTY_ATSTART;
  }
  return subjects_.size();
}

std::optional<std::string_view> RegexMatches::Group(size_t index, size_t group) const {
  if (index >= subjects_.size() || group >= groups_) return std::nullopt;
  size_t begin = offsets_[(index * groups_ + group) * 2];
  size_t end = offsets_[(index * groups_ + group) * 2 + 1];
  if (begin == PCRE2_UNSET || end < begin) return std::nullopt;
  return subjects_[index].substr(begin, end - begin);
}

}  // namespace barrage
