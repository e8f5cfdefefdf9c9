#include "worker/json_path_evaluator.h"

#include <algorithm>
#include <cmath>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// PredicatePathToken.accept: an InvalidPathException while testing rejects the item.
bool Evaluator::Accept(const Token& t, const JsonValue* item, bool* accepted) {
  bool ok = Apply(*t.filter, item, accepted);
  if (!ok && (err_.kind == ErrKind::kInvalidPath || err_.kind == ErrKind::kPathNotFound)) {
    err_ = {};
    *accepted = false;
    return true;
  }
  return ok;
}

bool Evaluator::Apply(const FilterExpr& e, const JsonValue* item, bool* out) {
  switch (e.kind) {
    case FilterExpr::Kind::kOr:
      for (const auto& op : e.operands) {
        if (!Apply(*op, item, out)) return false;
        if (*out) return true;
      }
      *out = false;
      return true;
    case FilterExpr::Kind::kAnd:
      for (const auto& op : e.operands) {
        if (!Apply(*op, item, out)) return false;
        if (!*out) return true;
      }
      *out = true;
      return true;
    case FilterExpr::Kind::kNot:
      if (!Apply(*e.operands[0], item, out)) return false;
      *out = !*out;
      return true;
    case FilterExpr::Kind::kRelational: {
      FilterValue left, right;
      if (!Resolve(e.left, item, &left) || !Resolve(e.right, item, &right)) return false;
      return Compare(e.op, left, right, out);
    }
  }
  return true;
}

// A compiled value node, with paths evaluated (PathNode.evaluate).
bool Evaluator::Resolve(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
  switch (spec.kind) {
    case ValueSpec::Kind::kString:
      out->kind = FilterValue::Kind::kString;
      out->str = spec.str;
      return true;
    case ValueSpec::Kind::kNumber:
      out->kind = FilterValue::Kind::kNumber;
      out->number = spec.number;
      return true;
    case ValueSpec::Kind::kBoolean:
      out->kind = FilterValue::Kind::kBoolean;
      out->boolean = spec.boolean;
      return true;
    case ValueSpec::Kind::kNull: out->kind = FilterValue::Kind::kNull; return true;
    case ValueSpec::Kind::kJson:
      out->kind = FilterValue::Kind::kJson;
      out->json = spec.json.get();
      out->literal = &spec.json_text;
      out->json_error = spec.json ? nullptr : &spec.json_error;
      return true;
    case ValueSpec::Kind::kPattern:
      out->kind = FilterValue::Kind::kPattern;
      out->regex = spec.regex.get();
      return true;
    case ValueSpec::Kind::kPath: return ResolvePath(spec, item, out);
  }
  return true;
}

bool Evaluator::ResolvePath(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
  const CompiledPath& p = *spec.path;
  if (spec.exists_check) {
    // Evaluated on the item even for `$` paths, with REQUIRE_PROPERTIES.
    Evaluator sub(p, root_, true, owned_);
    PathValue pv;
    out->kind = FilterValue::Kind::kBoolean;
    if (sub.Run(item) && sub.GetValue(&pv)) {
      out->boolean = true;
      return true;
    }
    if (sub.err().kind == ErrKind::kPathNotFound) {
      out->boolean = false;
      return true;
    }
    err_ = std::move(sub.err());
    return false;
  }
  PathValue pv;
  auto cached = root_cache_.find(&p);
  if (p.root_path && cached != root_cache_.end()) {
    pv = cached->second;
  } else {
    Evaluator sub(p, root_, false, owned_);
    if (!sub.Run(p.root_path ? root_ : item) || !sub.GetValue(&pv)) {
      if (sub.err().kind == ErrKind::kPathNotFound) {
        out->kind = FilterValue::Kind::kUndefined;
        return true;
      }
      err_ = std::move(sub.err());
      return false;
    }
    if (p.root_path) root_cache_[&p] = pv;
  }
  if (!pv.definite) {
    JsonValue::Array copy;
    for (const JsonValue* v : pv.values) copy.push_back(*v);
    out->kind = FilterValue::Kind::kJson;
    out->holder = std::make_shared<const JsonValue>(JsonValue::MakeArray(std::move(copy)));
    out->json = out->holder.get();
    return true;
  }
  return ToNode(pv.values[0], out);
}

// PathNode.evaluate's conversion of a result.
bool Evaluator::ToNode(const JsonValue* v, FilterValue* out) {
  switch (v->type()) {
    case Type::kNull: out->kind = FilterValue::Kind::kNull; return true;
    case Type::kBoolean:
      out->kind = FilterValue::Kind::kBoolean;
      out->boolean = v->boolean();
      return true;
    case Type::kString:
      out->kind = FilterValue::Kind::kString;
      out->str = v->text();
      return true;
    case Type::kArray:
    case Type::kObject:
      out->kind = FilterValue::Kind::kJson;
      out->json = v;
      return true;
    default: {
      std::string text = JavaString(*v);
      std::optional<BigDec> n = ParseBigDecimal(text);
      if (!n) {
        return Fail(ErrKind::kOther, "Character " + text.substr(0, 1) +
                                         " is neither a decimal digit number, decimal point, "
                                         "nor \"e\" notation exponential mark.");
      }
      out->kind = FilterValue::Kind::kNumber;
      out->number = *n;
      return true;
    }
  }
}

// ValueNode.toValueNode for an element of a JSON array used as a value list.
bool Evaluator::ElementNode(const JsonValue& v, FilterValue* out) {
  switch (v.type()) {
    case Type::kArray:
    case Type::kObject: return Fail(ErrKind::kJsonPath, "Could not determine value type");
    case Type::kString: {
      std::string_view trimmed = JavaTrim(v.text());
      if (!trimmed.empty() && (trimmed[0] == '@' || trimmed[0] == '$')) {
        PathError ignored;
        if (CompileStatic(trimmed, &ignored) != nullptr) {
          out->kind = FilterValue::Kind::kUnevaluatedPath;
          return true;
        }
      }
      if (trimmed.size() > 1 &&
          ((trimmed.front() == '[' && trimmed.back() == ']') || (trimmed.front() == '{' && trimmed.back() == '}'))) {
        if (ParseJson(trimmed).ok()) {
          out->kind = FilterValue::Kind::kJson;
          out->literal = &v.text();
          return true;
        }
      }
      out->kind = FilterValue::Kind::kString;
      std::string s = v.text();
      if (JavaStringLength(s) > 1) {
        if ((s.front() == '\'' && s.back() == '\'') || (s.front() == '"' && s.back() == '"')) {
          s = s.substr(1, s.size() - 2);
        }
        CompileState st;
        if (!JaywayUnescape(s, &out->str, &st)) {
          return Fail(ErrKind::kJsonPath, st.err.message.substr(st.err.message.find(": ") + 2));
        }
      } else {
        out->str = s;
      }
      return true;
    }
    default: return ToNode(&v, out);
  }
}

// The parsed value of a JSON node (JsonNode.parse); literals that did not parse fail.
bool Evaluator::Parsed(const FilterValue& n, const JsonValue** out) {
  if (n.json == nullptr) {
    return Fail(ErrKind::kOther, n.json_error != nullptr ? *n.json_error : "");
  }
  *out = n.json;
  return true;
}

// JsonNode.asValueListNode(ctx); `*is_list` false for UNDEFINED (not an array).
bool Evaluator::AsValueList(const FilterValue& n, bool* is_list, std::vector<FilterValue>* out) {
  const JsonValue* v = nullptr;
  if (!Parsed(n, &v)) return false;
  *is_list = v->is_array();
  if (!*is_list) return true;
  out->resize(v->elements().size());
  for (size_t k = 0; k < v->elements().size(); ++k) {
    if (!ElementNode(v->elements()[k], &(*out)[k])) return false;
  }
  return true;
}

// The value list a side of in/subsetof/anyof/noneof stands for.
bool Evaluator::SideList(const FilterValue& n, bool* defined, std::vector<FilterValue>* out) {
  if (n.kind == FilterValue::Kind::kJson) return AsValueList(n, defined, out);
  if (n.kind == FilterValue::Kind::kValueList) {
    *defined = true;
    *out = n.list;
    return true;
  }
  return Fail(ErrKind::kInvalidPath, "Expected value list node");
}

bool Evaluator::AsBoolean(const FilterValue& n, bool* out) {
  if (n.kind != FilterValue::Kind::kBoolean) return Fail(ErrKind::kInvalidPath, "Expected boolean node");
  *out = n.boolean;
  return true;
}

std::string Evaluator::RegexInput(const FilterValue& n) {
  if (n.kind == FilterValue::Kind::kString) return n.str;
  if (n.kind == FilterValue::Kind::kNumber) return BigDecimalString(n.number);
  if (n.kind == FilterValue::Kind::kBoolean) return n.boolean ? "true" : "false";
  return "";
}

bool Evaluator::Compare(RelOp op, const FilterValue& l, const FilterValue& r, bool* out) {
  using K = FilterValue::Kind;
  switch (op) {
    case RelOp::kExists: {
      if (l.kind != K::kBoolean && r.kind != K::kBoolean) {
        return Fail(ErrKind::kJsonPath, "Failed to evaluate exists expression");
      }
      bool a = false, b = false;
      if (!AsBoolean(l, &a) || !AsBoolean(r, &b)) return false;
      *out = a == b;
      return true;
    }
    case RelOp::kEq:
    case RelOp::kNe: {
      bool equal = false;
      if (l.kind == K::kJson && r.kind == K::kJson) {
        const JsonValue* rv = nullptr;
        if (&l == &r) {
          equal = true;
        } else {
          if (!Parsed(r, &rv)) return false;
          equal = l.literal == nullptr && l.json != nullptr && JavaEquals(*l.json, *rv);
        }
      } else {
        equal = NodeEquals(l, r);
      }
      *out = op == RelOp::kEq ? equal : !equal;
      return true;
    }
    case RelOp::kTsEq:
    case RelOp::kTsNe: {
      bool equal = false;
      if (l.kind == r.kind && !Compare(RelOp::kEq, l, r, &equal)) return false;
      *out = op == RelOp::kTsEq ? equal : !equal;
      return true;
    }
    case RelOp::kLt:
    case RelOp::kLte:
    case RelOp::kGt:
    case RelOp::kGte: {
      int c = 0;
      if (l.kind == K::kNumber && r.kind == K::kNumber) {
        c = CompareBigDec(l.number, r.number);
      } else if (l.kind == K::kString && r.kind == K::kString) {
        c = l.str.compare(r.str);
      } else {
        *out = false;
        return true;
      }
      *out = op == RelOp::kLt ? c < 0 : op == RelOp::kLte ? c <= 0 : op == RelOp::kGt ? c > 0 : c >= 0;
      return true;
    }
    case RelOp::kRegex: {
      bool lp = l.kind == K::kPattern, rp = r.kind == K::kPattern;
      if (lp == rp) {
        *out = false;
        return true;
      }
      const FilterValue& pattern = lp ? l : r;
      const FilterValue& other = lp ? r : l;
      if (other.kind == K::kJson) {
        const JsonValue* v = nullptr;
        if (!Parsed(other, &v)) return false;
        if (v->is_array()) {
          bool is_list = false;
          std::vector<FilterValue> items;
          if (!AsValueList(other, &is_list, &items)) return false;
          *out = false;
          for (const FilterValue& item : items) {
            if (pattern.regex->Matches(RegexInput(item))) *out = true;
          }
          return true;
        }
      }
      *out = pattern.regex->Matches(RegexInput(other));
      return true;
    }
    case RelOp::kSize: {
      if (r.kind != K::kNumber) {
        *out = false;
        return true;
      }
      int64_t expected = BigDecIntValue(r.number);
      if (l.kind == K::kString) {
        *out = static_cast<int64_t>(JavaStringLength(l.str)) == expected;
      } else if (l.kind == K::kJson) {
        const JsonValue* v = nullptr;
        if (!Parsed(l, &v)) return false;
        *out = (v->is_array() ? static_cast<int64_t>(v->elements().size()) : -1) == expected;
      } else {
        *out = false;
      }
      return true;
    }
    case RelOp::kEmpty: {
      bool want = false;
      if (l.kind == K::kString) {
        if (!AsBoolean(r, &want)) return false;
        *out = l.str.empty() == want;
      } else if (l.kind == K::kJson) {
        const JsonValue* v = nullptr;
        if (!Parsed(l, &v)) return false;
        if (v->is_object()) {
          // Jayway casts the map to a Collection.
          return Fail(ErrKind::kOther, l.literal != nullptr
                                           ? "class net.minidev.json.JSONObject cannot be cast to class "
                                             "java.util.Collection (net.minidev.json.JSONObject is in unnamed module "
                                             "of loader 'app'; java.util.Collection is in module java.base of "
                                             "loader 'bootstrap')"
                                           : "class java.util.LinkedHashMap cannot be cast to class "
                                             "java.util.Collection (java.util.LinkedHashMap and "
                                             "java.util.Collection are in module java.base of loader 'bootstrap')");
        }
        bool empty = v->is_array() ? v->elements().empty() : v->type() == Type::kString ? v->text().empty() : true;
        if (!AsBoolean(r, &want)) return false;
        *out = empty == want;
      } else {
        *out = false;
      }
      return true;
    }
    case RelOp::kIn:
    case RelOp::kNin: {
      bool defined = false;
      std::vector<FilterValue> items;
      if (!SideList(r, &defined, &items)) return false;
      bool found = false;
      for (const FilterValue& item : items) {
        if (NodeEquals(l, item)) found = true;
      }
      *out = op == RelOp::kIn ? (defined && found) : !(defined && found);
      return true;
    }
    case RelOp::kContains: {
      if (l.kind == K::kString && r.kind == K::kString) {
        *out = l.str.find(r.str) != std::string::npos;
      } else if (l.kind == K::kJson) {
        bool is_list = false;
        std::vector<FilterValue> items;
        if (!AsValueList(l, &is_list, &items)) return false;
        *out = false;
        for (const FilterValue& item : items) {
          if (NodeEquals(r, item)) *out = true;
        }
      } else {
        *out = false;
      }
      return true;
    }
    case RelOp::kSubsetOf:
    case RelOp::kAnyOf:
    case RelOp::kNoneOf: {
      bool right_defined = false, left_defined = false;
      std::vector<FilterValue> right, left;
      if (!SideList(r, &right_defined, &right)) return false;
      if (!right_defined) {
        *out = false;
        return true;
      }
      if (!SideList(l, &left_defined, &left)) return false;
      if (!left_defined) {
        *out = false;
        return true;
      }
      if (op == RelOp::kSubsetOf) {
        *out = std::all_of(left.begin(), left.end(), [&](const FilterValue& a) {
          return std::any_of(right.begin(), right.end(), [&](const FilterValue& b) { return NodeEquals(a, b); });
        });
      } else {
        bool any = std::any_of(left.begin(), left.end(), [&](const FilterValue& a) {
          return std::any_of(right.begin(), right.end(), [&](const FilterValue& b) { return NodeEquals(a, b); });
        });
        *out = op == RelOp::kAnyOf ? any : !any;
      }
      return true;
    }
    case RelOp::kAll: return Fail(ErrKind::kInvalidPath, "Expected value list node");
    case RelOp::kType: return Fail(ErrKind::kInvalidPath, "Expected class node");
    case RelOp::kMatches: return Fail(ErrKind::kInvalidPath, "Expected predicate node");
  }
  return true;
}

}  // namespace json_path_internal
}  // namespace barrage
