#include "worker/json_path_compiler.h"

#include <algorithm>
#include <cctype>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

std::optional<RelOp> RelOpFromString(std::string_view s) {
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::pair<const char*, RelOp> kOps[] = {
      {">=", RelOp::kGte},
      {"<=", RelOp::kLte},
      {"==", RelOp::kEq},
      {"===", RelOp::kTsEq},
      {"!=", RelOp::kNe},
      {"!==", RelOp::kTsNe},
      {"<", RelOp::kLt},
      {">", RelOp::kGt},
      {"=~", RelOp::kRegex},
      {"NIN", RelOp::kNin},
      {"IN", RelOp::kIn},
      {"CONTAINS", RelOp::kContains},
      {"ALL", RelOp::kAll},
      {"SIZE", RelOp::kSize},
      {"EXISTS", RelOp::kExists},
      {"TYPE", RelOp::kType},
      {"MATCHES", RelOp::kMatches},
      {"EMPTY", RelOp::kEmpty},
      {"SUBSETOF", RelOp::kSubsetOf},
      {"ANYOF", RelOp::kAnyOf},
      {"NONEOF", RelOp::kNoneOf},
  };
  for (const auto& [text, op] : kOps) {
    if (upper == text) return op;
  }
  return std::nullopt;
}

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
        st_->Fail("Expected end of filter expression instead of: " + f_.subSequence(f_.position(), f_.length()));
      }
    }
    if (st_->err.kind == ErrKind::kOther) {
      // FilterCompiler.compile's catch-all; reading the current character may fail again.
      int pos = f_.position();
      if (pos >= 0 && pos < static_cast<int>(whole.size())) {
        st_->err = {ErrKind::kInvalidPath, "Failed to parse filter: " + whole + ", error on position: " +
                                               std::to_string(pos) + ", char: " + whole[static_cast<size_t>(pos)]};
      } else {
        st_->err = {ErrKind::kOther,
                    "java.lang.StringIndexOutOfBoundsException: String index out of range: " + std::to_string(pos)};
      }
    }
    return st_->failed() ? nullptr : result;
  }

 private:
  static bool IsRelationalOperatorChar(char c) { return c == '<' || c == '>' || c == '=' || c == '~' || c == '!'; }

  std::shared_ptr<const FilterExpr> ReadLogicalOr() {
    return ReadLogicalChain(FilterExpr::Kind::kOr, "||", &FilterCompiler::ReadLogicalAnd);
  }

  std::shared_ptr<const FilterExpr> ReadLogicalAnd() {
    return ReadLogicalChain(FilterExpr::Kind::kAnd, "&&", &FilterCompiler::ReadLogicalAndOperand);
  }

  // operand (op operand)*: a single operand stands for itself, more become one `kind` node.
  std::shared_ptr<const FilterExpr> ReadLogicalChain(
      FilterExpr::Kind kind, const char* op, std::shared_ptr<const FilterExpr> (FilterCompiler::*read_operand)()) {
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
      case '@': return ReadPath(out);
      case '!': {
        f_.incrementPosition(1);
        char next = f_.skipBlanks().currentChar();
        if (st_->failed()) return false;
        if (next == '$' || next == '@') return ReadPath(out);
        return st_->Fail("Unexpected character: !");
      }
      default: return ReadLiteral(out);
    }
  }

  bool ReadLiteral(ValueSpec* out) {
    char c = f_.skipBlanks().currentChar();
    if (st_->failed()) return false;
    switch (c) {
      case '\'': return ReadStringLiteral('\'', out);
      case '"': return ReadStringLiteral('"', out);
      case 't':
      case 'f': return ReadBooleanLiteral(out);
      case 'n': return ReadNullLiteral(out);
      case '{':
      case '[': return ReadJsonLiteral(out);
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
      return st_->Fail(std::string("String literal does not have matching quotes. Expected ") + end_char + " in " +
                       f_.str());
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

std::shared_ptr<const FilterExpr> CompileFilter(std::string criteria, CompileState* st) {
  return FilterCompiler(std::move(criteria), st).Compile();
}

}  // namespace json_path_internal
}  // namespace barrage
