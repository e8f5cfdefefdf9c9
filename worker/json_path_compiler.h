// Internals of JSONPath's compiler (worker/json_path.h is the contract): Jayway's
// CharacterIndex, shared by the path compiler (json_path_compiler.cc) and the filter
// compiler (json_path_filter_compiler.cc). Included only by those files.
#ifndef BARRAGE_WORKER_JSON_PATH_COMPILER_H_
#define BARRAGE_WORKER_JSON_PATH_COMPILER_H_

#include <memory>
#include <string>
#include <utility>

#include "worker/json_path_internal.h"

namespace barrage {
namespace json_path_internal {

// Jayway's CharacterIndex: a cursor over a path or filter text with its own end position.
class CharIndex {
 public:
  CharIndex(std::string s, CompileState* st) : s_(std::move(s)), end_(static_cast<int>(s_.size()) - 1), st_(st) {}

  const std::string& str() const { return s_; }
  int length() const { return end_ + 1; }
  int position() const { return pos_; }
  void setPosition(int p) { pos_ = p; }
  void incrementPosition(int n) { pos_ += n; }
  void decrementEndPosition(int n) { end_ -= n; }

  // String.charAt: indexes the whole string, beyond the logical end too.
  char charAt(int i) const {
    if (i < 0 || i >= static_cast<int>(s_.size())) {
      st_->Other("java.lang.StringIndexOutOfBoundsException: String index out of range: " + std::to_string(i));
      return '\0';
    }
    return s_[static_cast<size_t>(i)];
  }
  char currentChar() const { return charAt(pos_); }
  bool currentCharIs(char c) const { return charAt(pos_) == c; }
  bool lastCharIs(char c) const { return charAt(end_) == c; }
  bool nextCharIs(char c) const { return inBounds(pos_ + 1) && charAt(pos_ + 1) == c; }
  bool inBounds(int i) const { return i >= 0 && i <= end_; }
  bool inBounds() const { return inBounds(pos_); }
  bool isOutOfBounds(int i) const { return !inBounds(i); }
  bool currentIsTail() const { return pos_ >= end_; }
  bool hasMoreCharacters() const { return inBounds(pos_ + 1); }

  std::string subSequence(int begin, int end) const {
    if (begin < 0 || end > static_cast<int>(s_.size()) || begin > end) {
      st_->Other("java.lang.StringIndexOutOfBoundsException: begin " + std::to_string(begin) + ", end " +
                 std::to_string(end) + ", length " + std::to_string(s_.size()));
      return "";
    }
    return s_.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
  }

  int indexOfMatchingCloseChar(int start, char open, char close, bool skip_strings, bool skip_regex) const {
    if (charAt(start) != open) {
      st_->Fail(std::string("Expected ") + open + " but found " + charAt(start));
      return -1;
    }
    int opened = 1;
    int r = start + 1;
    while (inBounds(r) && !st_->failed()) {
      if (skip_strings) {
        char quote = charAt(r);
        if (quote == '\'' || quote == '"') {
          r = nextIndexOfUnescaped(r, quote);
          if (r == -1) {
            st_->Fail(std::string("Could not find matching close quote for ") + quote + " when parsing : " + s_);
            return -1;
          }
          ++r;
        }
      }
      if (skip_regex && charAt(r) == '/') {
        r = nextIndexOfUnescaped(r, '/');
        if (r == -1) {
          st_->Fail("Could not find matching close for / when parsing regex in : " + s_);
          return -1;
        }
        ++r;
      }
      if (charAt(r) == open) ++opened;
      if (charAt(r) == close) {
        if (--opened == 0) return r;
      }
      ++r;
    }
    return -1;
  }
  int indexOfClosingBracket(int start, bool skip_strings, bool skip_regex) const {
    return indexOfMatchingCloseChar(start, '(', ')', skip_strings, skip_regex);
  }
  int indexOfNextSignificantChar(char c) const { return indexOfNextSignificantChar(pos_, c); }
  int indexOfNextSignificantChar(int start, char c) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return charAt(r) == c ? r : -1;
  }
  int nextIndexOf(int start, char c) const {
    for (int r = start; !isOutOfBounds(r); ++r) {
      if (charAt(r) == c) return r;
    }
    return -1;
  }
  int nextIndexOfUnescaped(char c) const { return nextIndexOfUnescaped(pos_, c); }
  int nextIndexOfUnescaped(int start, char c) const {
    bool in_escape = false;
    for (int r = start + 1; !isOutOfBounds(r); ++r) {
      if (in_escape) {
        in_escape = false;
      } else if (charAt(r) == '\\') {
        in_escape = true;
      } else if (charAt(r) == c) {
        return r;
      }
    }
    return -1;
  }
  bool nextSignificantCharIs(int start, char c) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return !isOutOfBounds(r) && charAt(r) == c;
  }
  bool nextSignificantCharIs(char c) const { return nextSignificantCharIs(pos_, c); }
  char nextSignificantChar() const { return nextSignificantChar(pos_); }
  char nextSignificantChar(int start) const {
    int r = start + 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') ++r;
    return isOutOfBounds(r) ? ' ' : charAt(r);
  }
  bool readSignificantChar(char c) {
    if (skipBlanks().currentChar() != c) {
      return st_->Fail(std::string("Expected character: ") + c);
    }
    incrementPosition(1);
    return true;
  }
  bool hasSignificantSubSequence(std::string_view s) {
    skipBlanks();
    int n = static_cast<int>(s.size());
    if (!inBounds(pos_ + n - 1)) return false;
    if (subSequence(pos_, pos_ + n) != s) return false;
    incrementPosition(n);
    return true;
  }
  char previousSignificantChar() const {
    int r = pos_ - 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') --r;
    return isOutOfBounds(r) ? ' ' : charAt(r);
  }
  int indexOfPreviousSignificantChar() const {
    int r = pos_ - 1;
    while (!isOutOfBounds(r) && charAt(r) == ' ') --r;
    return isOutOfBounds(r) ? -1 : r;
  }
  bool isNumberCharacter(int i) const {
    char c = charAt(i);
    return (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'E' || c == 'e';
  }
  CharIndex& skipBlanks() {
    while (inBounds() && pos_ < end_ && currentChar() == ' ') incrementPosition(1);
    return *this;
  }
  void trim() {
    skipBlanks();
    while (inBounds() && pos_ < end_ && lastCharIs(' ')) decrementEndPosition(1);
  }

 private:
  std::string s_;
  int pos_ = 0;
  int end_;
  CompileState* st_;
};

// new PathCompiler(path).compile(): function arguments.
std::shared_ptr<CompiledPath> CompileRaw(std::string text, PathError* err);

// new FilterCompiler(criteria).compile() for `[?(...)]`; nullptr with st->err set on error.
std::shared_ptr<const FilterExpr> CompileFilter(std::string criteria, CompileState* st);

}  // namespace json_path_internal
}  // namespace barrage

#endif  // BARRAGE_WORKER_JSON_PATH_COMPILER_H_
