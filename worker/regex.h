// Perl5 regular expressions the way JMeter's Response Assertion and Regular Expression
// Extractor run them (Jakarta ORO, JMeter's default `jmeter.regex.engine`), on PCRE2.
//
// Syntax: PCRE2's, which accepts every ORO Perl5 pattern with the same meaning; it also
// accepts a few later Perl constructs ORO rejects (lookbehind, named groups, possessive
// quantifiers). Subjects and patterns are bytes (UTF-8 passes through unchanged; `.`
// matches one byte, not one character).
//
// Compilation: each event-loop thread keeps its own cache of compiled patterns (JIT when
// available) with their match data, keyed by pattern text and mode. A pattern is compiled
// once per thread and never locked afterwards: plan nodes are shared by every event-loop
// thread, PCRE2 match data must not be, and patterns can be `${...}` templates whose text
// is only known at run time, so one per-thread cache serves literal and dynamic patterns
// alike. Invalid patterns are cached too (with their error). The cache holds at most
// kRegexCacheSize patterns per thread and starts over when full, like ORO's
// PatternCacheLRU (1000).
//
// Threading: a CompiledRegex is valid until the next CompileRegex call on the same thread
// (which may evict it); use it at once and never hand it to another thread.
#ifndef BARRAGE_WORKER_REGEX_H_
#define BARRAGE_WORKER_REGEX_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage {

inline constexpr size_t kRegexCacheSize = 1000;

class CompiledRegex;

enum class RegexMode {
  kSearch,     // find the pattern anywhere (ORO's contains())
  kFullMatch,  // ORO's matches(): the first match found from the start must end at the end
};

// The compiled pattern from this thread's cache, or nullptr with `*error` set to ORO's
// description of the problem ("Unmatched parentheses.", ...; PCRE2's wording where ORO's
// is not known).
const CompiledRegex* CompileRegex(std::string_view pattern, RegexMode mode, std::string* error);

// Whether `subject` satisfies the pattern in the mode it was compiled for.
bool RegexTest(const CompiledRegex& re, std::string_view subject);

// Number of groups a match has, group 0 included (ORO's MatchResult.groups()).
size_t RegexGroupCount(const CompiledRegex& re);

// Successive matches of a pattern in one or more subjects, as ORO's contains() loop over a
// PatternMatcherInput finds them: each search starts where the previous match ended and
// may not produce an empty match there. Offsets are kept, not copies.
class RegexMatches {
 public:
  explicit RegexMatches(const CompiledRegex& re);

  // Appends the matches in `subject` (which must outlive this object) until `limit`
  // matches are held in total (0 = no limit). Returns the number held.
  size_t Collect(std::string_view subject, size_t limit = 0);

  size_t size() const { return subjects_.size(); }
  // Group `group` of match `index` (0-based), nullopt when the group did not take part in
  // the match or does not exist (ORO's group() returning null).
  std::optional<std::string_view> Group(size_t index, size_t group) const;
  size_t group_count() const { return groups_; }

 private:
  const CompiledRegex* re_;
  size_t groups_;
  std::vector<std::string_view> subjects_;  // per match
  std::vector<size_t> offsets_;             // per match: groups_ * (begin, end)
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_REGEX_H_
