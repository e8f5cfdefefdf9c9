#include "worker/json_path_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

std::string Render(const Trace* t) {
  if (t == nullptr) return "";
  std::string s = Render(t->parent);
  switch (t->kind) {
    case Trace::Kind::kText: s += t->text; break;
    case Trace::Kind::kProperty: s += "['" + std::string(t->text) + "']"; break;
    case Trace::Kind::kIndex: s += "[" + std::to_string(t->index) + "]"; break;
  }
  return s;
}

bool NodeEquals(const FilterValue& a, const FilterValue& b) {
  using K = FilterValue::Kind;
  switch (a.kind) {
    case K::kString:
      if (b.kind == K::kString) return a.str == b.str;
      if (b.kind == K::kNumber) return a.str == BigDecimalString(b.number);
      return false;
    case K::kNumber:
      if (b.kind == K::kNumber) return CompareBigDec(a.number, b.number) == 0;
      if (b.kind == K::kString) {
        std::optional<BigDec> n = ParseBigDecimal(b.str);
        return n && CompareBigDec(a.number, *n) == 0;
      }
      return false;
    case K::kBoolean: return b.kind == K::kBoolean && a.boolean == b.boolean;
    case K::kNull: return b.kind == K::kNull;
    case K::kJson:
      if (b.kind != K::kJson) return false;
      if (a.literal != nullptr || b.literal != nullptr) {
        return a.literal != nullptr && b.literal != nullptr && *a.literal == *b.literal;
      }
      return a.json != nullptr && b.json != nullptr && JavaEquals(*a.json, *b.json);
    case K::kValueList:
      if (b.kind != K::kValueList || a.list.size() != b.list.size()) return false;
      for (size_t i = 0; i < a.list.size(); ++i) {
        if (!NodeEquals(a.list[i], b.list[i])) return false;
      }
      return true;
    case K::kPattern:
    case K::kUndefined:
    case K::kUnevaluatedPath: return &a == &b;
  }
  return false;
}

int32_t NumberIntValue(const JsonValue& v) {
  switch (v.type()) {
    case Type::kInteger: return static_cast<int32_t>(static_cast<uint32_t>(v.integer()));
    case Type::kDouble: {
      double d = v.number();
      if (std::isnan(d)) return 0;
      if (d >= 2147483647.0) return std::numeric_limits<int32_t>::max();
      if (d <= -2147483648.0) return std::numeric_limits<int32_t>::min();
      return static_cast<int32_t>(d);
    }
    default: {
      std::optional<BigDec> b = ParseBigDecimal(v.text());
      return b ? BigDecIntValue(*b) : 0;
    }
  }
}

// Evaluates the path on `model`; false when a Java exception would have been thrown.
bool Evaluator::Run(const JsonValue* model) {
  if (root_->is_null()) return Fail(ErrKind::kOther, "root can not be null");
  Trace none;
  return Eval(0, none, model);
}

// `definite`: what Jayway's memoized isDefinite() answers (see length()).
bool Evaluator::GetValue(bool definite, PathValue* out) {
  out->definite = definite;
  if (definite) {
    if (results_.empty()) return Fail(ErrKind::kPathNotFound, "No results for path: " + path_.text);
    out->values = {results_.back()};
  } else {
    out->values = results_;
  }
  return true;
}

bool Evaluator::Fail(ErrKind kind, std::string message) {
  err_ = {kind, std::move(message)};
  return false;
}

const JsonValue* Evaluator::Own(JsonValue v) {
  owned_->push_back(std::move(v));
  return &owned_->back();
}

bool Evaluator::Eval(size_t i, const Trace& cur, const JsonValue* model) {
  const Token& t = path_.tokens[i];
  switch (t.kind) {
    case Token::Kind::kRoot: {
      if (t.leaf) {
        Add(model);
        return true;
      }
      Trace root{nullptr, Trace::Kind::kText, t.fragment, 0};
      return Eval(i + 1, root, model);
    }
    case Token::Kind::kProperty: return EvalProperty(i, cur, model);
    case Token::Kind::kIndex: {
      bool skip = false;
      if (!CheckArrayModel(i, cur, model, &skip)) return false;
      if (skip) return true;
      for (int32_t index : t.indexes) {
        if (!HandleArrayIndex(i, index, cur, *model)) return false;
      }
      return true;
    }
    case Token::Kind::kSlice: return EvalSlice(i, cur, model);
    case Token::Kind::kWildcard: return EvalWildcard(i, cur, model);
    case Token::Kind::kScan: return Walk(i + 1, cur, model);
    case Token::Kind::kPredicate: return EvalPredicate(i, cur, model);
    case Token::Kind::kFunction: return EvalFunction(i, cur, model);
  }
  return true;
}

bool Evaluator::EvalProperty(size_t i, const Trace& cur, const JsonValue* model) {
  const Token& t = path_.tokens[i];
  if (!model->is_object()) {
    if (!t.upstream_definite) return true;
    return Fail(ErrKind::kPathNotFound, "Expected to find an object with property " + t.fragment + " in path " +
                                            Render(&cur) + " but found '" + JavaClassName(model) +
                                            "'. This is not a json object according to the JsonProvider: "
                                            "'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.");
  }
  if (t.properties.size() == 1) {
    const JsonValue* v = model->Find(t.properties[0]);
    return HandleProperty(i, cur, t.properties[0], v);
  }
  if (t.leaf) return MergeProperties(i, cur, *model);
  for (const std::string& property : t.properties) {
    if (!HandleProperty(i, cur, property, model->Find(property))) return false;
  }
  return true;
}

// PathToken.handleObjectProperty for one property; `v` is nullptr when it is absent.
bool Evaluator::HandleProperty(size_t i, const Trace& cur, std::string_view property, const JsonValue* v) {
  const Token& t = path_.tokens[i];
  Trace eval{&cur, Trace::Kind::kProperty, property, 0};
  if (v == nullptr) {
    if (t.leaf) {
      if (!require_) return true;
      return Fail(ErrKind::kPathNotFound, "No results for path: " + Render(&eval));
    }
    if (!(t.upstream_definite && t.token_definite) && !require_) return true;
    return Fail(ErrKind::kPathNotFound, "Missing property in path " + Render(&eval));
  }
  if (t.leaf) {
    // Jayway's workaround for `$..[n].x`: a leaf reached through a scanned array keeps
    // only the index the path names.
    int upstream = upstream_[i];
    if (upstream == -1 || path_.tail_prev_fragment == "[" + std::to_string(upstream) + "]") {
      Add(v);
    }
    return true;
  }
  return Eval(i + 1, eval, v);
}

bool Evaluator::MergeProperties(size_t i, const Trace& cur, const JsonValue& model) {
  const Token& t = path_.tokens[i];
  JsonValue merged = JsonValue::MakeObject();
  for (const std::string& property : t.properties) {
    const JsonValue* v = model.Find(property);
    if (v != nullptr) {
      merged.Put(property, *v);
    } else if (require_) {
      std::string names;
      for (size_t k = 0; k < t.properties.size(); ++k) {
        names += (k > 0 ? ", '" : "'") + t.properties[k] + "'";
      }
      return Fail(ErrKind::kPathNotFound, "Missing property in path " + Render(&cur) + "[" + names + "]");
    }
  }
  Add(Own(std::move(merged)));
  return true;
}

bool Evaluator::HandleArrayIndex(size_t i, int64_t index, const Trace& cur, const JsonValue& model) {
  const Token& t = path_.tokens[i];
  Trace eval{&cur, Trace::Kind::kIndex, {}, index};
  int64_t length = static_cast<int64_t>(model.elements().size());
  int64_t effective = index < 0 ? length + index : index;
  if (effective < 0 || effective >= length) return true;  // IndexOutOfBounds: skipped
  const JsonValue* v = &model.elements()[static_cast<size_t>(effective)];
  if (t.leaf) {
    Add(v);
    return true;
  }
  if (Eval(i + 1, eval, v)) return true;
  if (err_.kind == ErrKind::kIndexOutOfBounds) {  // Jayway's catch covers the rest too
    err_ = {};
    return true;
  }
  return false;
}

bool Evaluator::CheckArrayModel(size_t i, const Trace& cur, const JsonValue* model, bool* skip) {
  const Token& t = path_.tokens[i];
  *skip = false;
  if (model->is_null()) {
    if (!t.upstream_definite) {
      *skip = true;
      return true;
    }
    return Fail(ErrKind::kPathNotFound, "The path " + Render(&cur) + " is null");
  }
  if (!model->is_array()) {
    if (!t.upstream_definite) {
      *skip = true;
      return true;
    }
    return Fail(ErrKind::kPathNotFound,
                "Filter: " + path_.FragmentsFrom(i) +
                    " can only be applied to arrays. Current context is: " + JavaString(*model));
  }
  return true;
}

bool Evaluator::EvalSlice(size_t i, const Trace& cur, const JsonValue* model) {
  const Token& t = path_.tokens[i];
  bool skip = false;
  if (!CheckArrayModel(i, cur, model, &skip)) return false;
  if (skip) return true;
  int64_t length = static_cast<int64_t>(model->elements().size());
  int64_t from = 0, to = 0;
  switch (t.slice) {
    case Token::Slice::kFrom:
      from = *t.from < 0 ? length + *t.from : *t.from;
      from = std::max<int64_t>(0, from);
      if (length == 0 || from >= length) return true;
      to = length;
      break;
    case Token::Slice::kBetween:
      from = *t.from;
      to = std::min<int64_t>(length, *t.to);
      if (from >= to || length == 0) return true;
      break;
    case Token::Slice::kTo:
      if (length == 0) return true;
      to = *t.to < 0 ? length + *t.to : *t.to;
      to = std::min(length, to);
      break;
  }
  for (int64_t k = from; k < to; ++k) {
    if (!HandleArrayIndex(i, k, cur, *model)) return false;
  }
  return true;
}

bool Evaluator::EvalWildcard(size_t i, const Trace& cur, const JsonValue* model) {
  if (model->is_object()) {
    for (const JsonValue::Member& m : model->members()) {
      if (!HandleProperty(i, cur, m.first, &m.second)) return false;
    }
  } else if (model->is_array()) {
    for (size_t k = 0; k < model->elements().size(); ++k) {
      if (HandleArrayIndex(i, static_cast<int64_t>(k), cur, *model)) continue;
      if (err_.kind == ErrKind::kPathNotFound && !require_) {
        err_ = {};
        continue;
      }
      return false;
    }
  }
  return true;
}

// ScanPathToken: whether the token after `..` applies at `model`.
bool Evaluator::ScanMatches(size_t pt, const JsonValue* model, bool* matches) {
  const Token& t = path_.tokens[pt];
  switch (t.kind) {
    case Token::Kind::kProperty:
      *matches = model->is_object();
      if (*matches && t.token_definite) {
        for (const std::string& p : t.properties) {
          if (model->Find(p) == nullptr) *matches = false;
        }
      }
      return true;
    case Token::Kind::kIndex:
    case Token::Kind::kSlice: *matches = model->is_array(); return true;
    case Token::Kind::kWildcard: *matches = true; return true;
    case Token::Kind::kPredicate: return Accept(t, model, matches);
    default: *matches = false; return true;
  }
}

bool Evaluator::Walk(size_t pt, const Trace& cur, const JsonValue* model) {
  if (pt >= path_.tokens.size()) {
    return Fail(ErrKind::kOther, "Current path token is a leaf");
  }
  bool matches = false;
  if (model->is_object()) {
    if (!ScanMatches(pt, model, &matches)) return false;
    if (matches && !Eval(pt, cur, model)) return false;
    for (const JsonValue::Member& m : model->members()) {
      Trace eval{&cur, Trace::Kind::kProperty, m.first, 0};
      if (!Walk(pt, eval, &m.second)) return false;
    }
  } else if (model->is_array()) {
    if (!ScanMatches(pt, model, &matches)) return false;
    const JsonValue::Array& elements = model->elements();
    if (matches) {
      if (path_.tokens[pt].leaf) {
        if (!Eval(pt, cur, model)) return false;
      } else {
        for (size_t k = 0; k < elements.size(); ++k) {
          Trace eval{&cur, Trace::Kind::kIndex, {}, static_cast<int64_t>(k)};
          upstream_[pt + 1] = static_cast<int>(k);
          if (!Eval(pt + 1, eval, &elements[k])) return false;
        }
      }
    }
    for (size_t k = 0; k < elements.size(); ++k) {
      Trace eval{&cur, Trace::Kind::kIndex, {}, static_cast<int64_t>(k)};
      if (!Walk(pt, eval, &elements[k])) return false;
    }
  }
  return true;
}

bool Evaluator::EvalPredicate(size_t i, const Trace& cur, const JsonValue* model) {
  const Token& t = path_.tokens[i];
  if (model->is_object()) {
    bool accepted = false;
    if (!Accept(t, model, &accepted)) return false;
    if (!accepted) return true;
    if (t.leaf) {
      Add(model);
      return true;
    }
    return Eval(i + 1, cur, model);
  }
  if (model->is_array()) {
    const JsonValue::Array& elements = model->elements();
    for (size_t k = 0; k < elements.size(); ++k) {
      bool accepted = false;
      if (!Accept(t, &elements[k], &accepted)) return false;
      if (accepted && !HandleArrayIndex(i, static_cast<int64_t>(k), cur, *model)) return false;
    }
    return true;
  }
  if (t.upstream_definite) {
    return Fail(ErrKind::kInvalidPath,
                "Filter: " + path_.FragmentsFrom(i) +
                    " can not be applied to primitives. Current context is: " + JavaString(*model));
  }
  return true;
}

}  // namespace json_path_internal

using namespace json_path_internal;  // NOLINT: JSONPath's own internals

Result<JsonPathResult> JsonPath::Read(const JsonValue& document, bool always_return_list) const {
  if (path_->function_path && always_return_list) {
    return Status::Internal("Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!");
  }
  JsonPathResult result;
  Evaluator ev(*path_, &document, false, &result.owned);
  PathValue value;
  if (!ev.Run(&document) || !ev.GetValue(&value)) return ToStatus(ev.err());
  result.definite = value.definite;
  result.values = std::move(value.values);
  return result;
}

}  // namespace barrage
