#include "worker/json_path_internal.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// ---------------------------------------------------------------------------------------
// Compiling (PathCompiler, FilterCompiler, CharacterIndex).

std::optional<RelOp> RelOpFromString(std::string_view s) {
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, RelOp> kOps[] = {
      {">=", RelOp::kGte}, {"<=", RelOp::kLte}, {"==", RelOp::kEq}, {"===", RelOp::kTsEq},
      {"!=", RelOp::kNe}, {"!==", RelOp::kTsNe}, {"<", RelOp::kLt}, {">", RelOp::kGt},
      {"=~", RelOp::kRegex}, {"NIN", RelOp::kNin}, {"IN", RelOp::kIn},
      {"CONTAINS", RelOp::kContains}, {"ALL", RelOp::kAll}, {"SIZE", RelOp::kSize},
      {"EXISTS", RelOp::kExists}, {"TYPE", RelOp::kType}, {"MATCHES", RelOp::kMatches},
      {"EMPTY", RelOp::kEmpty}, {"SUBSETOF", RelOp::kSubsetOf}, {"ANYOF", RelOp::kAnyOf},
      {"NONEOF", RelOp::kNoneOf},
  };
  for (const auto& [text, op] : kOps) {
    if (upper == text) return op;
  }
  return std::nullopt;
}

// Utils.unescape (string literals and bracket properties).
bool JaywayUnescape(std::string_view s, std::string* out, CompileState* st) {
  out->clear();
  Utf16Builder w(out);
  bool had_slash = false, in_unicode = false;
  std::string unicode;
  for (char ch : s) {
    if (in_unicode) {
      unicode.push_back(ch);
      if (unicode.size() == 4) {
        int32_t value = 0;
        auto [ptr, ec] = std::from_chars(unicode.data() + (unicode[0] == '+' ? 1 : 0),
                                         unicode.data() + unicode.size(), value, 16);
        if (ec != std::errc() || ptr != unicode.data() + unicode.size()) {
          return st->Other("com.jayway.jsonpath.JsonPathException: Unable to parse unicode value: " +
                           unicode);
        }
        w.Unit(static_cast<uint32_t>(value) & 0xFFFF);
        unicode.clear();
        in_unicode = false;
        had_slash = false;
      }
      continue;
    }
    if (had_slash) {
      had_slash = false;
      switch (ch) {
        case '\\': w.Byte('\\'); break;
        case '\'': w.Byte('\''); break;
        case '"': w.Byte('"'); break;
        case 'r': w.Byte('\r'); break;
        case 'f': w.Byte('\f'); break;
        case 't': w.Byte('\t'); break;
        case 'n': w.Byte('\n'); break;
        case 'b': w.Byte('\b'); break;
        case 'u': in_unicode = true; break;
        default: w.Byte(ch); break;
      }
      continue;
    }
    if (ch == '\\') {
      had_slash = true;
      continue;
    }
    w.Byte(ch);
  }
  if (had_slash) w.Byte('\\');
  w.Flush();
  return true;
}

class CharIndex {
 public:
  CharIndex(std::string s, CompileState* st)
      : s_(std::move(s)), end_(static_cast<int>(s_.size()) - 1), st_(st) {}

  const std::string& str() const { return s_; }
  int length() const { return end_ + 1; }
  int position() const { return pos_; }
  void setPosition(int p) { pos_ = p; }
  void incrementPosition(int n) { pos_ += n; }
  void decrementEndPosition(int n) { end_ -= n; }

  // String.charAt: indexes the whole string, beyond the logical end too.
  char charAt(int i) const {
    if (i < 0 || i >= static_cast<int>(s_.size())) {
      st_->Other("java.lang.StringIndexOutOfBoundsException: String index out of range: " +
                 std::to_string(i));
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
      st_->Other("java.lang.StringIndexOutOfBoundsException: begin " + std::to_string(begin) +
                 ", end " + std::to_string(end) + ", length " + std::to_string(s_.size()));
      return "";
    }
    return s_.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
  }

  int indexOfMatchingCloseChar(int start, char open, char close, bool skip_strings,
                               bool skip_regex) const {
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
            st_->Fail(std::string("Could not find matching close quote for ") + quote +
                      " when parsing : " + s_);
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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::shared_ptr<CompiledPath> CompileRaw(std::string text, PathError* err);
std::shared_ptr<CompiledPath> CompileStatic(std::string_view text, PathError* err);

class FilterCompiler {
 public:
  FilterCompiler(std::string criteria, CompileState* st) : f_(std::move(criteria), st), st_(st) {}

  std::shared_ptr<const FilterExpr> Compile() {
    const std::string whole = f_.str();
    f_.trim();
    if (!f_.currentCharIs('[') || !f_.lastCharIs(']')) {
      st_->Fail("Filter must start with '[' and end with ']'. " + whole);
      return nullptr;
    }
    f_.incrementPosition(1);
    f_.decrementEndPosition(1);
    f_.trim();
    if (!f_.currentCharIs('?')) {
      st_->Fail("Filter must start with '[?' and end with ']'. " + whole);
      return nullptr;
    }
    f_.incrementPosition(1);
    f_.trim();
    if (!f_.currentCharIs('(') || !f_.lastCharIs(')')) {
      st_->Fail("Filter must start with '[?(' and end with ')]'. " + whole);
      return nullptr;
    }
    if (st_->failed()) return nullptr;
    std::shared_ptr<const FilterExpr> result = ReadLogicalOr();
    if (!st_->failed()) {
      f_.skipBlanks();
      if (f_.inBounds()) {
        st_->Fail("Expected end of filter expression instead of: " +
                  f_.subSequence(f_.position(), f_.length()));
      }
    }
    if (st_->err.kind == ErrKind::kOther) {
      // FilterCompiler.compile's catch-all; reading the current character may fail again.
      int pos = f_.position();
      if (pos >= 0 && pos < static_cast<int>(whole.size())) {
        st_->err = {ErrKind::kInvalidPath, "Failed to parse filter: " + whole +
                                               ", error on position: " + std::to_string(pos) +
                                               ", char: " + whole[static_cast<size_t>(pos)]};
      } else {
        st_->err = {ErrKind::kOther,
                    "java.lang.StringIndexOutOfBoundsException: String index out of range: " +
                        std::to_string(pos)};
      }
    }
    return st_->failed() ? nullptr : result;
  }

 private:
  static bool IsRelationalOperatorChar(char c) {
    return c == '<' || c == '>' || c == '=' || c == '~' || c == '!';
  }

  std::shared_ptr<const FilterExpr> ReadLogicalOr() {
    return ReadLogicalChain(FilterExpr::Kind::kOr, "||", &FilterCompiler::ReadLogicalAnd);
  }

  std::shared_ptr<const FilterExpr> ReadLogicalAnd() {
    return ReadLogicalChain(FilterExpr::Kind::kAnd, "&&", &FilterCompiler::ReadLogicalAndOperand);
  }

  // operand (op operand)*: a single operand stands for itself, more become one `kind` node.
  std::shared_ptr<const FilterExpr> ReadLogicalChain(
      FilterExpr::Kind kind, const char* op,
      std::shared_ptr<const FilterExpr> (FilterCompiler::*read_operand)()) {
    std::vector<std::shared_ptr<const FilterExpr>> ops;
    ops.push_back((this->*read_operand)());
    while (!st_->failed()) {
      int savepoint = f_.position();
      if (f_.hasSignificantSubSequence(op)) {
        ops.push_back((this->*read_operand)());
      } else {
        f_.setPosition(savepoint);
        break;
      }
    }
    if (st_->failed()) return nullptr;
    if (ops.size() == 1) return ops[0];
    auto e = std::make_shared<FilterExpr>();
    e->kind = kind;
    e->operands = std::move(ops);
    return e;
  }

  std::shared_ptr<const FilterExpr> ReadLogicalAndOperand() {
    int savepoint = f_.skipBlanks().position();
    if (f_.skipBlanks().currentCharIs('!')) {
      f_.readSignificantChar('!');
      char c = f_.skipBlanks().currentChar();
      if (st_->failed()) return nullptr;
      if (c == '$' || c == '@') {
        f_.setPosition(savepoint);
      } else {
        std::shared_ptr<const FilterExpr> op = ReadLogicalAndOperand();
        if (st_->failed()) return nullptr;
        auto e = std::make_shared<FilterExpr>();
        e->kind = FilterExpr::Kind::kNot;
        e->operands.push_back(std::move(op));
        return e;
      }
    }
    if (f_.skipBlanks().currentCharIs('(')) {
      f_.readSignificantChar('(');
      std::shared_ptr<const FilterExpr> op = ReadLogicalOr();
      if (st_->failed()) return nullptr;
      f_.readSignificantChar(')');
      return st_->failed() ? nullptr : op;
    }
    if (st_->failed()) return nullptr;
    return ReadExpression();
  }

  std::shared_ptr<const FilterExpr> ReadExpression() {
    auto e = std::make_shared<FilterExpr>();
    if (!ReadValueNode(&e->left)) return nullptr;
    int savepoint = f_.position();
    std::optional<RelOp> op = ReadRelationalOperator();
    if (op && ReadValueNode(&e->right)) {
      e->op = *op;
      return e;
    }
    if (st_->err.kind != ErrKind::kInvalidPath) return nullptr;
    st_->err = {};
    f_.setPosition(savepoint);
    if (e->left.kind != ValueSpec::Kind::kPath) {
      st_->Fail("Expected path node");
      return nullptr;
    }
    e->left.exists_check = true;
    e->right = ValueSpec();
    e->right.kind = ValueSpec::Kind::kBoolean;
    e->right.boolean = e->left.should_exist;
    e->op = RelOp::kExists;
    return e;
  }

  std::optional<RelOp> ReadRelationalOperator() {
    int begin = f_.skipBlanks().position();
    if (IsRelationalOperatorChar(f_.currentChar())) {
      while (f_.inBounds() && IsRelationalOperatorChar(f_.currentChar())) f_.incrementPosition(1);
    } else {
      while (f_.inBounds() && f_.currentChar() != ' ' && !st_->failed()) f_.incrementPosition(1);
    }
    std::string text = f_.subSequence(begin, f_.position());
    if (st_->failed()) return std::nullopt;
    std::optional<RelOp> op = RelOpFromString(text);
    if (!op) st_->Fail("Filter operator " + text + " is not supported!");
    return op;
  }

  bool ReadValueNode(ValueSpec* out) {
    char c = f_.skipBlanks().currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '$':
      case '@':
        return ReadPath(out);
      case '!': {
        f_.incrementPosition(1);
        char next = f_.skipBlanks().currentChar();
        if (st_->failed()) return false;
        if (next == '$' || next == '@') return ReadPath(out);
        return st_->Fail("Unexpected character: !");
      }
      default:
        return ReadLiteral(out);
    }
  }

  bool ReadLiteral(ValueSpec* out) {
    char c = f_.skipBlanks().currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '\'': return ReadStringLiteral('\'', out);
      case '"': return ReadStringLiteral('"', out);
      case 't': case 'f': return ReadBooleanLiteral(out);
      case 'n': return ReadNullLiteral(out);
      case '{': case '[': return ReadJsonLiteral(out);
      case '/': return ReadPattern(out);
      default: return ReadNumberLiteral(out);
    }
  }

  bool ReadNullLiteral(ValueSpec* out) {
    if (f_.currentChar() == 'n' && f_.inBounds(f_.position() + 3) &&
        f_.subSequence(f_.position(), f_.position() + 4) == "null") {
      f_.incrementPosition(4);
      out->kind = ValueSpec::Kind::kNull;
      return true;
    }
    return st_->Fail("Expected <null> value");
  }

  bool ReadJsonLiteral(ValueSpec* out) {
    int begin = f_.position();
    char open = f_.currentChar();
    char close = open == '[' ? ']' : '}';
    int closing = f_.indexOfMatchingCloseChar(f_.position(), open, close, true, false);
    if (st_->failed()) return false;
    if (closing == -1) return st_->Fail("String not closed. Expected ' in " + f_.str());
    f_.setPosition(closing + 1);
    out->kind = ValueSpec::Kind::kJson;
    out->json_text = f_.subSequence(begin, f_.position());
    Result<JsonValue> parsed = ParseJson(out->json_text);
    if (parsed.ok()) {
      out->json = std::make_shared<const JsonValue>(std::move(parsed).value());
    } else {
      out->json_error = parsed.status().message();  // IllegalArgumentException(ParseException)
    }
    return !st_->failed();
  }

  bool ReadPattern(ValueSpec* out) {
    int begin = f_.position();
    int closing = f_.nextIndexOfUnescaped('/');
    if (closing == -1) return st_->Fail("Pattern not closed. Expected / in " + f_.str());
    if (f_.inBounds(closing + 1)) {
      int end_flags = closing + 1;
      while (f_.inBounds(end_flags) &&
             std::string_view("dixmsuU").find(f_.charAt(end_flags)) != std::string_view::npos) {
        ++end_flags;
      }
      closing = end_flags - 1;
    }
    f_.setPosition(closing + 1);
    std::string literal = f_.subSequence(begin, f_.position());
    if (st_->failed()) return false;
    size_t first = literal.find('/'), last = literal.rfind('/');
    std::string pattern = literal.substr(first + 1, last - first - 1);
    std::string flags = literal.substr(last + 1);
    std::string error;
    out->kind = ValueSpec::Kind::kPattern;
    out->regex = FilterRegex::Compile(pattern, flags, &error);
    if (out->regex == nullptr) {
      return st_->Other("java.util.regex.PatternSyntaxException: " + error);
    }
    return true;
  }

  bool ReadStringLiteral(char end_char, ValueSpec* out) {
    int begin = f_.position();
    int closing = f_.nextIndexOfUnescaped(end_char);
    if (closing == -1) {
      return st_->Fail(std::string("String literal does not have matching quotes. Expected ") +
                       end_char + " in " + f_.str());
    }
    f_.setPosition(closing + 1);
    std::string literal = f_.subSequence(begin, f_.position());
    out->kind = ValueSpec::Kind::kString;
    if (literal.size() > 1) {
      literal = literal.substr(1, literal.size() - 2);  // both ends are end_char
      return JaywayUnescape(literal, &out->str, st_);
    }
    out->str = literal;
    return !st_->failed();
  }

  bool ReadNumberLiteral(ValueSpec* out) {
    int begin = f_.position();
    while (f_.inBounds() && f_.isNumberCharacter(f_.position())) f_.incrementPosition(1);
    std::string literal = f_.subSequence(begin, f_.position());
    if (st_->failed()) return false;
    std::optional<BigDec> number = ParseBigDecimal(literal);
    if (!number) return st_->Other("java.lang.NumberFormatException");
    out->kind = ValueSpec::Kind::kNumber;
    out->number = *number;
    return true;
  }

  bool ReadBooleanLiteral(ValueSpec* out) {
    int begin = f_.position();
    int end = f_.currentChar() == 't' ? f_.position() + 3 : f_.position() + 4;
    if (!f_.inBounds(end)) return st_->Fail("Expected boolean literal");
    std::string text = f_.subSequence(begin, end + 1);
    if (text != "true" && text != "false") return st_->Fail("Expected boolean literal");
    f_.incrementPosition(static_cast<int>(text.size()));
    out->kind = ValueSpec::Kind::kBoolean;
    out->boolean = text == "true";
    return true;
  }

  bool ReadPath(ValueSpec* out) {
    char previous = f_.previousSignificantChar();
    int begin = f_.position();
    f_.incrementPosition(1);
    while (f_.inBounds() && !st_->failed()) {
      if (f_.currentChar() == '[') {
        int closing = f_.indexOfMatchingCloseChar(f_.position(), '[', ']', true, false);
        if (st_->failed()) return false;
        if (closing == -1) return st_->Fail("Square brackets does not match in filter " + f_.str());
        f_.setPosition(closing + 1);
      }
      char c = f_.currentChar();
      bool closing_function = c == ')' && CurrentCharIsClosingFunctionBracket(begin);
      bool closing_logical = c == ')' && !closing_function;
      if (!f_.inBounds() || IsRelationalOperatorChar(c) || c == ' ' || closing_logical) break;
      f_.incrementPosition(1);
    }
    if (st_->failed()) return false;
    std::string text = f_.subSequence(begin, f_.position());
    PathError err;
    out->kind = ValueSpec::Kind::kPath;
    out->path = CompileStatic(text, &err);
    out->should_exist = previous != '!';
    if (err) {
      st_->err = err;
      return false;
    }
    return true;
  }

  bool CurrentCharIsClosingFunctionBracket(int lower_bound) const {
    if (f_.currentChar() != ')') return false;
    int idx = f_.indexOfPreviousSignificantChar();
    if (idx == -1 || f_.charAt(idx) != '(') return false;
    --idx;
    while (f_.inBounds(idx) && idx > lower_bound) {
      if (f_.charAt(idx) == '.') return true;
      --idx;
    }
    return false;
  }

  CharIndex f_;
  CompileState* st_;
};

class PathCompiler {
 public:
  PathCompiler(CharIndex path, CompileState* st) : path_(std::move(path)), st_(st) {}

  std::shared_ptr<CompiledPath> Compile() {
    auto compiled = std::make_shared<CompiledPath>();
    tokens_ = &compiled->tokens;
    ReadContextToken();
    if (st_->failed()) return nullptr;
    compiled->root_path = tokens_->front().root == '$';
    compiled->Finish();
    return InvertScannerFunction(std::move(compiled));
  }

 private:
  static bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool IsPathContext(char c) { return c == '$' || c == '@'; }

  bool Fail(std::string message) { return st_->Fail(std::move(message)); }
  bool Tail() { return path_.currentIsTail() || ReadNextToken(); }

  // `$..x.fn()` becomes `$.fn($..x)` (CompiledPath.invertScannerFunctionRelationship).
  static std::shared_ptr<CompiledPath> InvertScannerFunction(std::shared_ptr<CompiledPath> p) {
    if (!p->function_path || p->tokens.size() < 2 || p->tokens[1].kind != Token::Kind::kScan) {
      return p;
    }
    size_t f = 1;
    while (p->tokens[f].kind != Token::Kind::kFunction) ++f;
    auto param_path = std::make_shared<CompiledPath>();
    param_path->tokens.assign(p->tokens.begin(), p->tokens.begin() + static_cast<std::ptrdiff_t>(f));
    param_path->root_path = true;
    param_path->Finish();
    auto inverted = std::make_shared<CompiledPath>();
    inverted->root_path = p->root_path;
    Token root;
    root.kind = Token::Kind::kRoot;
    root.root = '$';
    inverted->tokens.push_back(root);
    inverted->tokens.insert(inverted->tokens.end(),
                            p->tokens.begin() + static_cast<std::ptrdiff_t>(f), p->tokens.end());
    FunctionParam param;
    param.kind = FunctionParam::Kind::kPath;
    param.path = param_path;
    param.path_with_wildcard = WithWildcard(*param_path);
    inverted->tokens[1].params = {param};
    inverted->Finish();
    return inverted;
  }

 public:
  // The path length() evaluates for a path argument: the argument with `[*]` appended.
  static std::shared_ptr<const CompiledPath> WithWildcard(const CompiledPath& p) {
    auto w = std::make_shared<CompiledPath>(p);
    if (w->tokens.size() > 1) {
      Token wildcard;
      wildcard.kind = Token::Kind::kWildcard;
      w->tokens.push_back(wildcard);
    }
    w->Finish();
    // Jayway links the wildcard in without moving the root's tail pointer.
    w->tail_prev_fragment = p.tail_prev_fragment;
    return w;
  }

 private:
  void ReadContextToken() {
    while (path_.inBounds() && IsWhitespace(path_.currentChar())) path_.incrementPosition(1);
    if (!IsPathContext(path_.currentChar())) {
      Fail("Path must start with '$' or '@'");
      return;
    }
    Token root;
    root.kind = Token::Kind::kRoot;
    root.root = path_.currentChar();
    tokens_->push_back(root);
    if (path_.currentIsTail()) return;
    path_.incrementPosition(1);
    if (path_.currentChar() != '.' && path_.currentChar() != '[') {
      Fail("Illegal character at position " + std::to_string(path_.position()) +
           " expected '.' or '['");
      return;
    }
    ReadNextToken();
  }

  bool ReadNextToken() {
    if (st_->failed()) return false;
    char c = path_.currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '[':
        if (ReadBracketPropertyToken() || st_->failed()) return !st_->failed();
        if (ReadArrayToken() || st_->failed()) return !st_->failed();
        if (ReadWildCardToken() || st_->failed()) return !st_->failed();
        if (ReadFilterToken() || st_->failed()) return !st_->failed();
        if (ReadPlaceholderToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()) + ". Expected ?, ', 0-9, * ");
      case '.':
        if (ReadDotToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
      case '*':
        if (ReadWildCardToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
      default:
        if (ReadPropertyOrFunctionToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " +
                    std::to_string(path_.position()));
    }
  }

  bool ReadDotToken() {
    if (path_.currentCharIs('.') && path_.nextCharIs('.')) {
      Token scan;
      scan.kind = Token::Kind::kScan;
      tokens_->push_back(scan);
      path_.incrementPosition(2);
    } else if (!path_.hasMoreCharacters()) {
      return Fail("Path must not end with a '.");
    } else {
      path_.incrementPosition(1);
    }
    if (path_.currentCharIs('.')) {
      return Fail("Character '.' on position " + std::to_string(path_.position()) +
                  " is not valid.");
    }
    return ReadNextToken();
  }

  bool ReadPropertyOrFunctionToken() {
    if (path_.currentCharIs('[') || path_.currentCharIs('*') || path_.currentCharIs('.') ||
        path_.currentCharIs(' ')) {
      return false;
    }
    int start = path_.position();
    int read = start;
    int end = 0;
    bool is_function = false;
    while (path_.inBounds(read)) {
      char c = path_.charAt(read);
      if (c == ' ') {
        return Fail("Use bracket notion ['my prop'] if your property contains blank characters. "
                    "position: " + std::to_string(path_.position()));
      }
      if (c == '.' || c == '[') {
        end = read;
        break;
      }
      if (c == '(') {
        is_function = true;
        end = read;
        break;
      }
      ++read;
    }
    if (end == 0) end = path_.length();
    std::vector<FunctionParam> params;
    if (is_function) {
      int count = 1;
      for (int i = read + 1; i < path_.length(); ++i) {
        if (path_.charAt(i) == ')') --count;
        else if (path_.charAt(i) == '(') ++count;
        if (count == 0) break;
      }
      if (count != 0) {
        return Fail("Arguments to function: '" + path_.subSequence(start, end) +
                    "' are not closed properly.");
      }
      if (path_.inBounds(read + 1)) {
        if (path_.charAt(read + 1) != ')') {
          path_.setPosition(end + 1);
          if (!ParseFunctionParameters(path_.subSequence(start, end), &params)) return false;
        } else {
          path_.setPosition(read + 1);
        }
      } else {
        path_.setPosition(read);
      }
    } else {
      path_.setPosition(end);
    }
    std::string property = path_.subSequence(start, end);
    if (st_->failed()) return false;
    Token t;
    if (is_function) {
      t.kind = Token::Kind::kFunction;
      t.function = property;
      t.function_has_args = !params.empty();
      t.params = std::move(params);
    } else {
      t.kind = Token::Kind::kProperty;
      t.properties = {property};
      t.delimiter = '\'';
    }
    tokens_->push_back(std::move(t));
    return Tail();
  }

  bool ParseFunctionParameters(const std::string& function_name, std::vector<FunctionParam>* out) {
    enum class ParamType { kNone, kJson, kPath };
    ParamType type = ParamType::kNone;
    int group_paren = 1, group_bracket = 0, group_brace = 0, group_quote = 0;
    bool end_of_stream = false;
    char prior = 0;
    std::string parameter;
    while (path_.inBounds() && !end_of_stream && !st_->failed()) {
      char c = path_.currentChar();
      path_.incrementPosition(1);
      if (type == ParamType::kNone) {
        if (IsWhitespace(c)) continue;
        if (c == '{' || IsDigit(c) || c == '"' || c == '-') type = ParamType::kJson;
        else if (IsPathContext(c)) type = ParamType::kPath;
      }
      bool close_or_comma = false;
      switch (c) {
        case '"':
          if (prior != '\\' && group_quote > 0) --group_quote;
          else ++group_quote;
          break;
        case '(': ++group_paren; break;
        case '{': ++group_brace; break;
        case '[': ++group_bracket; break;
        case '}':
          if (group_brace == 0) {
            return Fail("Unexpected close brace '}' at character position: " +
                        std::to_string(path_.position()));
          }
          --group_brace;
          break;
        case ']':
          if (group_bracket == 0) {
            return Fail("Unexpected close bracket ']' at character position: " +
                        std::to_string(path_.position()));
          }
          --group_bracket;
          break;
        case ')':
          --group_paren;
          if (group_paren < 0 || prior == '(') parameter.push_back(c);
          close_or_comma = true;
          break;
        case ',':
          close_or_comma = true;
          break;
        default:
          break;
      }
      if (close_or_comma && group_quote == 0 && group_brace == 0 && group_bracket == 0 &&
          ((group_paren == 0 && c == ')') || group_paren == 1)) {
        end_of_stream = group_paren == 0;
        if (type != ParamType::kNone) {
          FunctionParam param;
          if (type == ParamType::kJson) {
            param.kind = FunctionParam::Kind::kJson;
            param.json = parameter;
          } else {
            PathError err;
            param.kind = FunctionParam::Kind::kPath;
            param.path = CompileRaw(parameter, &err);
            if (err) {
              st_->err = err;
              return false;
            }
            param.path_with_wildcard = WithWildcard(*param.path);
          }
          out->push_back(std::move(param));
          parameter.clear();
          type = ParamType::kNone;
        }
      }
      if (type != ParamType::kNone &&
          !(c == ',' && group_brace == 0 && group_bracket == 0 && group_paren == 1)) {
        parameter.push_back(c);
      }
      prior = c;
    }
    if (st_->failed()) return false;
    if (group_brace != 0 || group_paren != 0 || group_bracket != 0) {
      return Fail("Arguments to function: '" + function_name + "' are not closed properly.");
    }
    return true;
  }

  bool ReadPlaceholderToken() {
    if (!path_.currentCharIs('[')) return false;
    int question = path_.indexOfNextSignificantChar('?');
    if (question == -1) return false;
    char next = path_.nextSignificantChar(question);
    if (next != ']' && next != ',') return false;
    int begin = path_.position() + 1;
    int end = path_.nextIndexOf(begin, ']');
    if (end == -1) return false;
    // `[?]` placeholders take predicates given through Jayway's API; a plan has none.
    return Fail("Not enough predicates supplied for filter [" + path_.subSequence(begin, end) +
                "] at position " + std::to_string(path_.position()));
  }

  bool ReadFilterToken() {
    if (!path_.currentCharIs('[') && !path_.nextSignificantCharIs('?')) return false;
    int open_statement = path_.position();
    int question = path_.indexOfNextSignificantChar('?');
    if (question == -1) return false;
    int open_bracket = path_.indexOfNextSignificantChar(question, '(');
    if (open_bracket == -1) return false;
    int close_bracket = path_.indexOfClosingBracket(open_bracket, true, true);
    if (close_bracket == -1) return false;
    if (!path_.nextSignificantCharIs(close_bracket, ']')) return false;
    int close_statement = path_.indexOfNextSignificantChar(close_bracket, ']');
    std::string criteria = path_.subSequence(open_statement, close_statement + 1);
    if (st_->failed()) return false;
    std::shared_ptr<const FilterExpr> filter = FilterCompiler(criteria, st_).Compile();
    if (st_->failed()) return false;
    Token t;
    t.kind = Token::Kind::kPredicate;
    t.filter = std::move(filter);
    tokens_->push_back(std::move(t));
    path_.setPosition(close_statement + 1);
    return Tail();
  }

  bool ReadWildCardToken() {
    bool in_bracket = path_.currentCharIs('[');
    if (in_bracket && !path_.nextSignificantCharIs('*')) return false;
    if (!path_.currentCharIs('*') && path_.isOutOfBounds(path_.position() + 1)) return false;
    if (in_bracket) {
      int wildcard = path_.indexOfNextSignificantChar('*');
      if (!path_.nextSignificantCharIs(wildcard, ']')) {
        return Fail("Expected wildcard token to end with ']' on position " +
                    std::to_string(wildcard + 1));
      }
      path_.setPosition(path_.indexOfNextSignificantChar(wildcard, ']') + 1);
    } else {
      path_.incrementPosition(1);
    }
    Token t;
    t.kind = Token::Kind::kWildcard;
    tokens_->push_back(t);
    return Tail();
  }

  bool ReadArrayToken() {
    if (!path_.currentCharIs('[')) return false;
    char next = path_.nextSignificantChar();
    if (!IsDigit(next) && next != '-' && next != ':') return false;
    int begin = path_.position() + 1;
    int end = path_.nextIndexOf(begin, ']');
    if (end == -1) return false;
    std::string expression(JavaTrim(path_.subSequence(begin, end)));
    if (st_->failed() || expression == "*") return false;
    for (char c : expression) {
      if (!IsDigit(c) && c != ',' && c != '-' && c != ':' && c != ' ') return false;
    }
    Token t;
    if (expression.find(':') != std::string::npos) {
      if (!ParseSlice(expression, &t)) return false;
    } else if (!ParseIndexes(expression, &t)) {
      return false;
    }
    tokens_->push_back(std::move(t));
    path_.setPosition(end + 1);
    return Tail();
  }

  // ArraySliceOperation.parse: `from:to`; a third part (a step) is ignored.
  bool ParseSlice(const std::string& op, Token* t) {
    for (char c : op) {
      if (!IsDigit(c) && c != '-' && c != ':') return Fail("Failed to parse SliceOperation: " + op);
    }
    std::vector<std::string> parts = JavaSplit(op, ':');
    auto read = [&](size_t i, std::optional<int32_t>* v) {
      if (parts.size() <= i || parts[i].empty()) return true;
      *v = JavaParseInt(parts[i]);
      if (!*v) {
        return st_->Other("java.lang.NumberFormatException: For input string: \"" + parts[i] + "\"");
      }
      return true;
    };
    if (!read(0, &t->from) || !read(1, &t->to)) return false;
    t->kind = Token::Kind::kSlice;
    if (t->from && !t->to) t->slice = Token::Slice::kFrom;
    else if (t->from) t->slice = Token::Slice::kBetween;
    else if (t->to) t->slice = Token::Slice::kTo;
    else return Fail("Failed to parse SliceOperation: " + op);
    return true;
  }

  // ArrayIndexOperation.parse: `i`, `i,j,...`.
  bool ParseIndexes(const std::string& op, Token* t) {
    for (char c : op) {
      if (!IsDigit(c) && c != ',' && c != ' ' && c != '-') {
        return Fail("Failed to parse ArrayIndexOperation: " + op);
      }
    }
    // Split on "\s*,\s*", keeping empty parts.
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t comma = op.find(',', start);
      std::string part = op.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      size_t b = part.find_first_not_of(' ');
      size_t e = part.find_last_not_of(' ');
      bool first = parts.empty(), last = comma == std::string::npos;
      // Only the spaces next to a comma belong to the separator.
      if (!first) part = b == std::string::npos ? "" : part.substr(b);
      if (!last) {
        e = part.find_last_not_of(' ');
        part = e == std::string::npos ? "" : part.substr(0, e + 1);
      }
      parts.push_back(part);
      if (last) break;
      start = comma + 1;
    }
    t->kind = Token::Kind::kIndex;
    for (const std::string& p : parts) {
      std::optional<int32_t> v = JavaParseInt(p);
      if (!v) return Fail("Failed to parse token in ArrayIndexOperation: " + p);
      t->indexes.push_back(*v);
    }
    return true;
  }

  bool ReadBracketPropertyToken() {
    if (!path_.currentCharIs('[')) return false;
    char delimiter = path_.nextSignificantChar();
    if (delimiter != '\'' && delimiter != '"') return false;
    std::vector<std::string> properties;
    int start = path_.position() + 1;
    int read = start;
    int end = 0;
    bool in_property = false, in_escape = false, last_was_comma = false;
    while (path_.inBounds(read) && !st_->failed()) {
      char c = path_.charAt(read);
      if (in_escape) {
        in_escape = false;
      } else if (c == '\\') {
        in_escape = true;
      } else if (c == ']' && !in_property) {
        if (last_was_comma) return Fail("Found empty property at index " + std::to_string(read));
        break;
      } else if (c == delimiter) {
        if (in_property) {
          char next = path_.nextSignificantChar(read);
          if (next != ']' && next != ',') {
            return Fail("Property must be separated by comma or Property must be terminated "
                        "close square bracket at index " + std::to_string(read));
          }
          end = read;
          std::string property;
          if (!JaywayUnescape(path_.subSequence(start, end), &property, st_)) return false;
          properties.push_back(std::move(property));
          in_property = false;
        } else {
          start = read + 1;
          in_property = true;
          last_was_comma = false;
        }
      } else if (c == ',' && !in_property) {
        if (last_was_comma) return Fail("Found empty property at index " + std::to_string(read));
        last_was_comma = true;
      }
      ++read;
    }
    if (st_->failed()) return false;
    if (in_property) {
      return Fail(std::string("Property has not been closed - missing closing ") + delimiter);
    }
    int end_bracket = path_.indexOfNextSignificantChar(end, ']');
    if (st_->failed()) return false;
    if (end_bracket == -1) return Fail("Property has not been closed - missing closing ]");
    path_.setPosition(end_bracket + 1);
    if (properties.empty()) return Fail("Empty properties");
    Token t;
    t.kind = Token::Kind::kProperty;
    t.properties = std::move(properties);
    t.delimiter = delimiter;
    tokens_->push_back(std::move(t));
    return Tail();
  }

  CharIndex path_;
  CompileState* st_;
  std::vector<Token>* tokens_ = nullptr;
};

// A Java exception caught by PathCompiler.compile is rethrown as InvalidPathException
// carrying its toString().
void WrapAsInvalidPath(PathError* err) {
  if (err->kind == ErrKind::kOther) err->kind = ErrKind::kInvalidPath;
}

// new PathCompiler(path).compile(): function arguments.
std::shared_ptr<CompiledPath> CompileRaw(std::string text, PathError* err) {
  CompileState st;
  std::shared_ptr<CompiledPath> p = PathCompiler(CharIndex(std::move(text), &st), &st).Compile();
  *err = st.err;
  return st.failed() ? nullptr : p;
}

// PathCompiler.compile(String): trims, prefixes "$." when the path starts with neither `$`
// nor `@`, refuses a trailing dot.
std::shared_ptr<CompiledPath> CompileStatic(std::string_view text, PathError* err) {
  CompileState st;
  std::shared_ptr<CompiledPath> p;
  CharIndex ci{std::string(text), &st};
  ci.trim();
  char first = ci.charAt(0);
  if (!st.failed()) {
    if (first != '$' && first != '@') {
      ci = CharIndex("$." + std::string(text), &st);
      ci.trim();
    }
    if (ci.lastCharIs('.')) {
      st.Fail("Path must not end with a '.' or '..'");
    } else if (!st.failed()) {
      p = PathCompiler(std::move(ci), &st).Compile();
    }
  }
  *err = st.err;
  WrapAsInvalidPath(err);
  return *err ? nullptr : p;
}

}  // namespace json_path_internal
}  // namespace barrage
