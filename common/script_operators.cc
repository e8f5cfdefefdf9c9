#include "common/script_internal.h"

#include <algorithm>
#include <cmath>

#include "common/java_lang.h"
#include "common/utf8.h"

namespace barrage {
namespace script_internal {

// ---- arithmetic

bool ScriptParser::Arithmetic(const Token& op, Operand* a, const Operand& b) {
  using K = Operand::Kind;
  if (js()) {
    if (op.type == Tok::kPlus && (a->is_string() || b.is_string())) return Concat(a, b);
    double x = a->JsNumber(), y = b.JsNumber(), r = 0;
    switch (op.type) {
      case Tok::kPlus: r = x + y; break;
      case Tok::kMinus: r = x - y; break;
      case Tok::kStar: r = x * y; break;
      case Tok::kSlash: r = x / y; break;
      default: r = std::fmod(x, y); break;
    }
    *a = Operand::Num(Number::Double(r));
    return true;
  }
  bool groovy = dialect_ == ScriptDialect::kGroovy;
  if (op.type == Tok::kPlus) {
    // Groovy: String.plus, Number.plus(String) and null.plus(String); JEXL: either a string.
    if (groovy && (a->is_string() || (b.is_string() && a->kind() != K::kBool))) {
      return Concat(a, b);
    }
    if (!groovy && (a->is_string() || b.is_string())) {
      if (a->kind() == K::kNull || b.kind() == K::kNull) {
        return Failed(std::string(OpName(op.type)) + " on null", op.pos);
      }
      if (dialect_ == ScriptDialect::kJexl2 && a->kind() != K::kBool && b.kind() != K::kBool) {
        // JEXL 2 adds first and concatenates when a side is not a number.
        Number x, y, r;
        if (NumericText(*a, &x) && NumericText(b, &y)) {
          if (!NumericOp(op, x, y, &r)) return false;
          *a = Operand::Num(r);
          return true;
        }
      }
      return Concat(a, b);
    }
  }
  if (groovy && op.type == Tok::kStar && a->is_string() && b.kind() == K::kNumber &&
      b.number().type == Number::Type::kInteger) {
    return Repeat(op, a, b.number().unscaled);
  }
  Number x, y;
  if (!ArithmeticOperand(op, *a, &x) || !ArithmeticOperand(op, b, &y)) return false;
  Number r;
  if (!NumericOp(op, x, y, &r)) return false;
  *a = Operand::Num(r);
  return true;
}

bool ScriptParser::Concat(Operand* a, const Operand& b) {
  std::string s;
  a->AppendTo(dialect_, &s);
  b.AppendTo(dialect_, &s);
  *a = Operand::OwnedString(std::move(s));
  return true;
}

// Groovy's String.multiply.
bool ScriptParser::Repeat(const Token& op, Operand* a, Int128 times) {
  constexpr Int128 kMaxLength = 1 << 20;
  if (times < 0) return Failed("a string repeated a negative number of times", op.pos);
  if (times > kMaxLength || times * static_cast<Int128>(a->text().size()) > kMaxLength) {
    return Unsupported("a string repeated beyond 1 MiB", op.pos);
  }
  std::string s;
  for (Int128 i = 0; i < times; ++i) s.append(a->text());
  *a = Operand::OwnedString(std::move(s));
  return true;
}

// A number or a numeric string as JEXL reads it (a '.', 'e' or 'E' makes it a double).
bool ScriptParser::NumericText(const Operand& o, Number* n) {
  if (o.kind() == Operand::Kind::kNumber) {
    *n = o.number();
    return true;
  }
  if (o.kind() != Operand::Kind::kString) return false;
  std::string_view t = o.text();
  if (!ParseNumber(t, n)) return false;
  if (t.find_first_of(".eE") != std::string_view::npos) *n = Number::Double(n->AsDouble());
  return true;
}

// An operand of - * / % (and + without strings) in Groovy or JEXL.
bool ScriptParser::ArithmeticOperand(const Token& op, const Operand& o, Number* n) {
  switch (o.kind()) {
    case Operand::Kind::kNumber: *n = o.number(); return true;
    case Operand::Kind::kNull: return Failed(std::string(OpName(op.type)) + " on null", op.pos);
    case Operand::Kind::kBool:
      if (IsJexl(dialect_)) {  // JEXL reads true as 1
        *n = Number::Integer(o.boolean() ? 1 : 0);
        return true;
      }
      break;
    case Operand::Kind::kString:
      if (IsJexl(dialect_)) {  // JEXL coerces numeric strings
        std::string_view t = o.text();
        bool floating = t.find_first_of(".eE") != std::string_view::npos;
        if (ParseNumber(t, n)) {
          if (floating) *n = Number::Double(n->AsDouble());
          return true;
        }
        return Failed("'" + std::string(t) + "' is not a number", op.pos);
      }
      break;
  }
  return Unsupported(std::string(OpName(op.type)) + " on " + KindName(o.kind()), op.pos);
}

bool ScriptParser::Overflow(const Token& op) {
  return Unsupported(std::string(OpName(op.type)) + " beyond 128-bit precision", op.pos);
}

bool ScriptParser::NumericOp(const Token& op, const Number& x, const Number& y, Number* r) {
  using T = Number::Type;
  if (x.type == T::kDouble || y.type == T::kDouble) {
    double p = x.AsDouble(), q = y.AsDouble();
    switch (op.type) {
      case Tok::kPlus: *r = Number::Double(p + q); break;
      case Tok::kMinus: *r = Number::Double(p - q); break;
      case Tok::kStar: *r = Number::Double(p * q); break;
      case Tok::kSlash: *r = Number::Double(p / q); break;
      default: *r = Number::Double(std::fmod(p, q)); break;
    }
    return true;
  }
  bool decimal = x.type == T::kDecimal || y.type == T::kDecimal;
  // Groovy divides integers as BigDecimals; JEXL truncates.
  if (dialect_ == ScriptDialect::kGroovy && (decimal || op.type == Tok::kSlash)) {
    return DecimalOp(op, x, y, r);
  }
  Int128 p = x.unscaled, q = y.unscaled, v = 0;
  switch (op.type) {
    case Tok::kPlus:
      if (__builtin_add_overflow(p, q, &v)) return Overflow(op);
      break;
    case Tok::kMinus:
      if (__builtin_sub_overflow(p, q, &v)) return Overflow(op);
      break;
    case Tok::kStar:
      if (__builtin_mul_overflow(p, q, &v)) return Overflow(op);
      break;
    default:
      if (q == 0) return Failed("division by zero", op.pos);
      if (q == -1) {  // the one quotient that can overflow
        if (__builtin_sub_overflow(Int128(0), p, &v)) return Overflow(op);
        if (op.type == Tok::kPercent) v = 0;
      } else {
        v = op.type == Tok::kSlash ? p / q : p % q;
      }
      break;
  }
  *r = Number::Integer(v);
  if (dialect_ == ScriptDialect::kGroovy) {
    r->bits = std::max(x.bits, y.bits);
    if (r->bits == 32) r->unscaled = static_cast<int32_t>(v);
    if (r->bits == 64) r->unscaled = static_cast<int64_t>(v);
  }
  return true;
}

// Java's BigDecimal add, subtract, multiply; Groovy's division.
bool ScriptParser::DecimalOp(const Token& op, const Number& x, const Number& y, Number* r) {
  if (op.type == Tok::kPercent) return Unsupported("'%' on a decimal", op.pos);
  if (op.type == Tok::kSlash) return Divide(op, x, y, r);
  int sx = x.type == Number::Type::kDecimal ? x.scale : 0;
  int sy = y.type == Number::Type::kDecimal ? y.scale : 0;
  Int128 v;
  if (op.type == Tok::kStar) {
    if (__builtin_mul_overflow(x.unscaled, y.unscaled, &v)) return Overflow(op);
    *r = Number::Decimal(v, sx + sy);
    return true;
  }
  Int128 p, q;
  int scale;
  if (!Align(x, y, &p, &q, &scale)) return Overflow(op);
  bool overflow = op.type == Tok::kPlus ? __builtin_add_overflow(p, q, &v) : __builtin_sub_overflow(p, q, &v);
  if (overflow) return Overflow(op);
  *r = Number::Decimal(v, scale);
  return true;
}

// Groovy's BigDecimalMath.divideImpl: the exact quotient when it terminates, at the
// smallest scale from (scale x - scale y) up that holds it; otherwise max(precisions) + 10
// significant digits, rounded half up, then at most max(scale x, scale y, 10) decimals.
bool ScriptParser::Divide(const Token& op, const Number& x, const Number& y, Number* r) {
  int sx = x.type == Number::Type::kDecimal ? x.scale : 0;
  int sy = y.type == Number::Type::kDecimal ? y.scale : 0;
  if (y.unscaled == 0) return Failed("division by zero", op.pos);
  int preferred = sx - sy;
  if (x.unscaled == 0) {
    *r = Number::Decimal(0, preferred);
    return true;
  }
  bool negative = (x.unscaled < 0) != (y.unscaled < 0);
  Int128 n = Magnitude(x.unscaled), d = Magnitude(y.unscaled);
  Int128 a = n, b = d;
  while (b != 0) {
    Int128 t = a % b;
    a = b;
    b = t;
  }
  Int128 den = d / a;
  int twos = 0, fives = 0;
  while (den % 2 == 0) den /= 2, ++twos;
  while (den % 5 == 0) den /= 5, ++fives;
  if (den == 1) {
    int k = std::max(twos, fives);
    Int128 factor = Pow10(k) / (d / a), v;
    if (__builtin_mul_overflow(n / a, factor, &v)) return Overflow(op);
    *r = Number::Decimal(negative ? -v : v, preferred + k);
    return true;
  }
  int precision = std::max(Precision(n), Precision(d)) + 10;
  constexpr Int128 kMaxDivisor = Pow10(36);
  if (precision > 36 || d >= kMaxDivisor) return Overflow(op);
  // Long division up to precision + 1 significant digits, then round half up.
  Int128 v = n / d, rem = n % d;
  int significant = v == 0 ? 0 : Precision(v);
  int fraction = 0;
  while (significant < precision + 1) {
    rem *= 10;
    v = v * 10 + rem / d;
    rem %= d;
    ++fraction;
    if (v != 0) ++significant;
  }
  Int128 last = v % 10;
  v /= 10;
  --fraction;
  if (last >= 5) ++v;
  if (Precision(v) > precision) {
    v /= 10;  // 99…9 rounded up to 100…0: drop the extra zero
    --fraction;
  }
  int scale = fraction + sx - sy;
  while (scale > preferred && v % 10 == 0) {
    v /= 10;
    --scale;
  }
  int max_scale = std::max({sx, sy, 10});
  if (scale > max_scale) {
    Int128 divisor = Pow10(scale - max_scale);
    Int128 rest = v % divisor;
    v /= divisor;
    if (rest * 2 >= divisor) ++v;
    scale = max_scale;
  }
  *r = Number::Decimal(negative ? -v : v, scale);
  return true;
}

// ---- postfix: methods and the .length property

bool ScriptParser::ParsePostfix(bool eval, Operand* out) {
  if (!ParsePrimary(eval, out)) return false;
  while (tok_.type == Tok::kDot) {
    if (!Advance()) return false;
    Token method = tok_;
    const MethodSpec* spec = method.type == Tok::kIdent ? FindMethod(method.text) : nullptr;
    if (spec == nullptr) {
      return Unsupported(method.type == Tok::kIdent ? "method '" + std::string(method.text) + "'" : Describe(method),
                         method.pos);
    }
    if (!Advance()) return false;
    std::array<Operand, 2> args;
    int count = 0;
    bool property = spec->name == "length" && tok_.type != Tok::kLParen;  // JavaScript
    if (!property && !ParseArguments(eval, method, &args, &count)) return false;
    if (count < spec->min_args || count > spec->max_args) {
      return Unsupported("method '" + std::string(spec->name) + "' with " + std::to_string(count) + " arguments",
                         method.pos);
    }
    if (eval && !CallMethod(method, out, args, count)) return false;
  }
  return true;
}

// `(a, b)` after a method or function name: at most two arguments.
bool ScriptParser::ParseArguments(bool eval, const Token& name, std::array<Operand, 2>* args, int* count) {
  if (!Expect(Tok::kLParen, "'('")) return false;
  *count = 0;
  if (tok_.type != Tok::kRParen) {
    while (true) {
      if (*count == 2) {
        return Unsupported("'" + std::string(name.text) + "' with more than 2 arguments", tok_.pos);
      }
      if (!ParseTernary(eval, &(*args)[static_cast<size_t>(*count)])) return false;
      ++*count;
      if (tok_.type != Tok::kComma) break;
      if (!Advance()) return false;
    }
  }
  return Expect(Tok::kRParen, "')'");
}

// A method argument's text: Java's methods take strings only (null is an error),
// JavaScript's convert anything.
bool ScriptParser::StringArgument(const Token& method, const Operand& arg, std::string* storage,
                                  std::string_view* text) {
  if (arg.is_string()) {
    *text = arg.text();
    return true;
  }
  if (!js()) {
    return Failed("'" + std::string(method.text) + "' needs a string, not " + KindName(arg.kind()), method.pos);
  }
  arg.AppendTo(dialect_, storage);
  *text = *storage;
  return true;
}

bool ScriptParser::CallMethod(const Token& method, Operand* out, std::array<Operand, 2>& args, int count) {
  std::string_view name = method.text;
  if (out->kind() == Operand::Kind::kNull) {
    return Failed(std::string(name) + " called on null", method.pos);
  }
  if (name == "equals") {
    // Java's equals: same type and same value.
    const Operand& arg = args[0];
    bool same = out->kind() == arg.kind() && (out->kind() == Operand::Kind::kBool     ? out->boolean() == arg.boolean()
                                              : out->kind() == Operand::Kind::kNumber ? Equal(*out, arg)
                                                                                      : out->text() == arg.text());
    *out = Operand::Bool(same);
    return true;
  }
  if (name == "toInteger" && out->kind() == Operand::Kind::kNumber) {
    Number n = out->number();
    if (n.type == Number::Type::kDouble) {
      if (!std::isfinite(n.d) || std::fabs(n.d) > 9.2e18) {
        return Failed("toInteger of a non-finite or huge number", method.pos);
      }
      n = Number::Integer(static_cast<int64_t>(n.d));
    } else if (n.type == Number::Type::kDecimal && n.scale >= 0) {
      n = Number::Integer(n.unscaled / Pow10(n.scale));
    } else if (n.type == Number::Type::kDecimal && !ScaleUp(n.unscaled, -n.scale, &n.unscaled)) {
      return Unsupported("toInteger beyond 128-bit precision", method.pos);
    }
    n.type = Number::Type::kInteger;
    *out = Operand::Num(n);
    return true;
  }
  if (!out->is_string()) {
    return Failed(std::string(name) + " called on " + KindName(out->kind()), method.pos);
  }
  std::string_view s = out->text();
  if (name == "length" || name == "size") {
    *out = Operand::Num(Number::Integer(static_cast<Int128>(JavaStringLength(s))));
  } else if (name == "isEmpty") {
    *out = Operand::Bool(s.empty());
  } else if (name == "trim") {
    *out = Operand::OwnedString(std::string(js() ? JsTrim(s) : JavaTrim(s)));
  } else if (name == "toLowerCase" || name == "toUpperCase") {
    std::optional<std::string> changed = ChangeCase(s, name == "toUpperCase");
    if (!changed) {
      return Unsupported(std::string(name) + " of \"" + std::string(s) + "\"", method.pos);
    }
    *out = Operand::OwnedString(std::move(*changed));
  } else if (name == "toInteger") {
    return JavaParseInt(method, JavaTrim(s), out);
  } else if (name == "substring") {
    return Substring(method, out, args, count);
  } else if (name == "equalsIgnoreCase") {
    if (!args[0].is_string()) {
      *out = Operand::Bool(false);
      return true;
    }
    std::optional<std::string> x = ChangeCase(s, false), y = ChangeCase(args[0].text(), false);
    if (!x || !y) return Unsupported("equalsIgnoreCase of non-Latin letters", method.pos);
    *out = Operand::Bool(*x == *y);
  } else if (name == "replace") {
    return Replace(method, out, args);
  } else {
    std::string storage;
    std::string_view x;
    if (!StringArgument(method, args[0], &storage, &x)) return false;
    if (name == "contains" || name == "includes") {
      *out = Operand::Bool(s.find(x) != std::string_view::npos);
    } else if (name == "startsWith") {
      *out = Operand::Bool(s.substr(0, x.size()) == x);
    } else if (name == "endsWith") {
      *out = Operand::Bool(s.size() >= x.size() && s.substr(s.size() - x.size()) == x);
    } else {  // indexOf
      size_t at = s.find(x);
      Int128 index = at == std::string_view::npos ? -1 : static_cast<Int128>(JavaStringLength(s.substr(0, at)));
      *out = Operand::Num(Number::Integer(index));
    }
  }
  return true;
}

// JavaScript clamps and swaps the bounds; Java wants 0 <= begin <= end <= length.
bool ScriptParser::Substring(const Token& method, Operand* out, const std::array<Operand, 2>& args, int count) {
  std::string_view s = out->text();
  double length = static_cast<double>(JavaStringLength(s));
  double bounds[2] = {0, length};
  for (int i = 0; i < count; ++i) {
    const Operand& arg = args[static_cast<size_t>(i)];
    if (js()) {
      double v = arg.JsNumber();
      bounds[i] = std::isnan(v) ? 0 : std::clamp(std::trunc(v), 0.0, length);
    } else if (arg.kind() == Operand::Kind::kNumber && arg.number().type == Number::Type::kInteger) {
      bounds[i] = static_cast<double>(arg.number().unscaled);
    } else {
      return Failed("substring needs integer arguments", method.pos);
    }
  }
  if (js() && bounds[0] > bounds[1]) std::swap(bounds[0], bounds[1]);
  if (bounds[0] < 0 || bounds[1] > length || bounds[0] > bounds[1]) {
    return Failed("substring index out of range", method.pos);
  }
  std::optional<size_t> begin = ByteOffset(s, static_cast<size_t>(bounds[0]));
  std::optional<size_t> end = ByteOffset(s, static_cast<size_t>(bounds[1]));
  if (!begin || !end) return Unsupported("substring inside a surrogate pair", method.pos);
  *out = Operand::OwnedString(std::string(s.substr(*begin, *end - *begin)));
  return true;
}

// JavaScript replaces the first occurrence (with $$, $&, $` and $' in the replacement);
// Java every occurrence, literally.
bool ScriptParser::Replace(const Token& method, Operand* out, const std::array<Operand, 2>& args) {
  std::string storage[2];
  std::string_view from, to;
  if (!StringArgument(method, args[0], &storage[0], &from) || !StringArgument(method, args[1], &storage[1], &to)) {
    return false;
  }
  std::string_view s = out->text();
  std::string result;
  if (js()) {
    size_t at = s.find(from);
    if (at == std::string_view::npos) {
      *out = Operand::OwnedString(std::string(s));
      return true;
    }
    result.append(s.substr(0, at));
    for (size_t i = 0; i < to.size(); ++i) {
      char next = i + 1 < to.size() ? to[i + 1] : '\0';
      if (to[i] != '$' || (next != '$' && next != '&' && next != '`' && next != '\'')) {
        result.push_back(to[i]);
        continue;
      }
      ++i;
      if (next == '$') result.push_back('$');
      if (next == '&') result.append(from);
      if (next == '`') result.append(s.substr(0, at));
      if (next == '\'') result.append(s.substr(at + from.size()));
    }
    result.append(s.substr(at + from.size()));
  } else if (from.empty()) {
    // Java: the replacement before every character and at the end.
    for (size_t i = 0; i < s.size();) {
      size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
      result.append(to);
      result.append(s.substr(i, len));
      i += len;
    }
    result.append(to);
  } else {
    size_t start = 0;
    for (size_t at; (at = s.find(from, start)) != std::string_view::npos; start = at + from.size()) {
      result.append(s.substr(start, at - start));
      result.append(to);
    }
    result.append(s.substr(start));
  }
  *out = Operand::OwnedString(std::move(result));
  return true;
}

// Java's Integer.parseInt: an optional sign and decimal digits, within 32 bits.
bool ScriptParser::JavaParseInt(const Token& at, std::string_view s, Operand* out) {
  std::optional<int32_t> v = barrage::JavaParseInt(s);
  if (!v) return Failed("'" + std::string(s) + "' is not an integer", at.pos);
  *out = Operand::Num(Number::Integer(*v));
  return true;
}

}  // namespace script_internal
}  // namespace barrage
