#include "worker/json_path_compiler.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// ---------------------------------------------------------------------------------------
// Compiling (PathCompiler).

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
        auto [ptr, ec] =
            std::from_chars(unicode.data() + (unicode[0] == '+' ? 1 : 0), unicode.data() + unicode.size(), value, 16);
        if (ec != std::errc() || ptr != unicode.data() + unicode.size()) {
          return st->Other("com.jayway.jsonpath.JsonPathException: Unable to parse unicode value: " + unicode);
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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

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
    inverted->tokens.insert(inverted->tokens.end(), p->tokens.begin() + static_cast<std::ptrdiff_t>(f),
                            p->tokens.end());
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
      Fail("Illegal character at position " + std::to_string(path_.position()) + " expected '.' or '['");
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
        return Fail("Could not parse token starting at position " + std::to_string(path_.position()) +
                    ". Expected ?, ', 0-9, * ");
      case '.':
        if (ReadDotToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " + std::to_string(path_.position()));
      case '*':
        if (ReadWildCardToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " + std::to_string(path_.position()));
      default:
        if (ReadPropertyOrFunctionToken() || st_->failed()) return !st_->failed();
        return Fail("Could not parse token starting at position " + std::to_string(path_.position()));
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
      return Fail("Character '.' on position " + std::to_string(path_.position()) + " is not valid.");
    }
    return ReadNextToken();
  }

  bool ReadPropertyOrFunctionToken() {
    if (path_.currentCharIs('[') || path_.currentCharIs('*') || path_.currentCharIs('.') || path_.currentCharIs(' ')) {
      return false;
    }
    int start = path_.position();
    int read = start;
    int end = 0;
    bool is_function = false;
    while (path_.inBounds(read)) {
      char c = path_.charAt(read);
      if (c == ' ') {
        return Fail(
            "Use bracket notion ['my prop'] if your property contains blank characters. "
            "position: " +
            std::to_string(path_.position()));
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
        if (path_.charAt(i) == ')')
          --count;
        else if (path_.charAt(i) == '(')
          ++count;
        if (count == 0) break;
      }
      if (count != 0) {
        return Fail("Arguments to function: '" + path_.subSequence(start, end) + "' are not closed properly.");
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
        if (c == '{' || IsDigit(c) || c == '"' || c == '-')
          type = ParamType::kJson;
        else if (IsPathContext(c))
          type = ParamType::kPath;
      }
      bool close_or_comma = false;
      switch (c) {
        case '"':
          if (prior != '\\' && group_quote > 0)
            --group_quote;
          else
            ++group_quote;
          break;
        case '(': ++group_paren; break;
        case '{': ++group_brace; break;
        case '[': ++group_bracket; break;
        case '}':
          if (group_brace == 0) {
            return Fail("Unexpected close brace '}' at character position: " + std::to_string(path_.position()));
          }
          --group_brace;
          break;
        case ']':
          if (group_bracket == 0) {
            return Fail("Unexpected close bracket ']' at character position: " + std::to_string(path_.position()));
          }
          --group_bracket;
          break;
        case ')':
          --group_paren;
          if (group_paren < 0 || prior == '(') parameter.push_back(c);
          close_or_comma = true;
          break;
        case ',': close_or_comma = true; break;
        default: break;
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
      if (type != ParamType::kNone && !(c == ',' && group_brace == 0 && group_bracket == 0 && group_paren == 1)) {
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
    return Fail("Not enough predicates supplied for filter [" + path_.subSequence(begin, end) + "] at position " +
                std::to_string(path_.position()));
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
    std::shared_ptr<const FilterExpr> filter = CompileFilter(criteria, st_);
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
        return Fail("Expected wildcard token to end with ']' on position " + std::to_string(wildcard + 1));
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
    if (t->from && !t->to)
      t->slice = Token::Slice::kFrom;
    else if (t->from)
      t->slice = Token::Slice::kBetween;
    else if (t->to)
      t->slice = Token::Slice::kTo;
    else
      return Fail("Failed to parse SliceOperation: " + op);
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
            return Fail(
                "Property must be separated by comma or Property must be terminated "
                "close square bracket at index " +
                std::to_string(read));
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
