#include "worker/json_path_internal.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// ---------------------------------------------------------------------------------------
// Evaluation.

// The path so far (Jayway's currentPath), rendered only when a message needs it.
struct Trace {
  enum class Kind { kText, kProperty, kIndex };
  const Trace* parent = nullptr;
  Kind kind = Kind::kText;
  std::string_view text;
  int64_t index = 0;
};

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

// EvaluationContext.getValue(): the one value of a definite path, or all that an indefinite
// path found.
struct PathValue {
  bool definite = false;
  std::vector<const JsonValue*> values;
};

// A filter value after evaluation (Jayway's ValueNode subclasses).
struct FilterValue {
  enum class Kind {
    kString, kNumber, kBoolean, kNull, kJson, kPattern, kUndefined, kValueList, kUnevaluatedPath,
  };
  Kind kind = Kind::kUndefined;
  std::string str;
  BigDec number;
  bool boolean = false;
  // kJson: `json` is the parsed value; `literal` marks a node written in the filter (Jayway
  // keeps its text, which makes its equals() compare texts).
  const JsonValue* json = nullptr;
  const std::string* literal = nullptr;
  const std::string* json_error = nullptr;
  std::shared_ptr<const JsonValue> holder;
  const FilterRegex* regex = nullptr;
  std::vector<FilterValue> list;
};

// Java's ValueNode.equals (left.equals(right)).
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
    case K::kUnevaluatedPath:
      return &a == &b;
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

class Evaluator {
 public:
  Evaluator(const CompiledPath& path, const JsonValue* root, bool require_properties,
            std::deque<JsonValue>* owned)
      : path_(path), root_(root), require_(require_properties), owned_(owned),
        upstream_(path.tokens.size(), -1) {}

  // Evaluates the path on `model`; false when a Java exception would have been thrown.
  bool Run(const JsonValue* model) {
    if (root_->is_null()) return Fail(ErrKind::kOther, "root can not be null");
    Trace none;
    return Eval(0, none, model);
  }

  // getValue() after Run().
  bool GetValue(PathValue* out) { return GetValue(path_.definite, out); }
  // `definite`: what Jayway's memoized isDefinite() answers (see length()).
  bool GetValue(bool definite, PathValue* out) {
    out->definite = definite;
    if (definite) {
      if (results_.empty()) return Fail(ErrKind::kPathNotFound, "No results for path: " + path_.text);
      out->values = {results_.back()};
    } else {
      out->values = results_;
    }
    return true;
  }

  const std::vector<const JsonValue*>& results() const { return results_; }
  PathError& err() { return err_; }

 private:
  bool Fail(ErrKind kind, std::string message) {
    err_ = {kind, std::move(message)};
    return false;
  }
  void Add(const JsonValue* v) { results_.push_back(v); }
  const JsonValue* Own(JsonValue v) {
    owned_->push_back(std::move(v));
    return &owned_->back();
  }

  bool Eval(size_t i, const Trace& cur, const JsonValue* model) {
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

  bool EvalProperty(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    if (!model->is_object()) {
      if (!t.upstream_definite) return true;
      return Fail(ErrKind::kPathNotFound,
                  "Expected to find an object with property " + t.fragment + " in path " +
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
  bool HandleProperty(size_t i, const Trace& cur, std::string_view property, const JsonValue* v) {
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

  bool MergeProperties(size_t i, const Trace& cur, const JsonValue& model) {
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

  bool HandleArrayIndex(size_t i, int64_t index, const Trace& cur, const JsonValue& model) {
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

  bool CheckArrayModel(size_t i, const Trace& cur, const JsonValue* model, bool* skip) {
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
      return Fail(ErrKind::kPathNotFound, "Filter: " + path_.FragmentsFrom(i) +
                                              " can only be applied to arrays. Current context is: " +
                                              JavaString(*model));
    }
    return true;
  }

  bool EvalSlice(size_t i, const Trace& cur, const JsonValue* model) {
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

  bool EvalWildcard(size_t i, const Trace& cur, const JsonValue* model) {
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
  bool ScanMatches(size_t pt, const JsonValue* model, bool* matches) {
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
      case Token::Kind::kSlice:
        *matches = model->is_array();
        return true;
      case Token::Kind::kWildcard:
        *matches = true;
        return true;
      case Token::Kind::kPredicate:
        return Accept(t, model, matches);
      default:
        *matches = false;
        return true;
    }
  }

  bool Walk(size_t pt, const Trace& cur, const JsonValue* model) {
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

  bool EvalPredicate(size_t i, const Trace& cur, const JsonValue* model) {
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
      return Fail(ErrKind::kInvalidPath, "Filter: " + path_.FragmentsFrom(i) +
                                             " can not be applied to primitives. Current context is: " +
                                             JavaString(*model));
    }
    return true;
  }

  // PredicatePathToken.accept: an InvalidPathException while testing rejects the item.
  bool Accept(const Token& t, const JsonValue* item, bool* accepted) {
    bool ok = Apply(*t.filter, item, accepted);
    if (!ok && (err_.kind == ErrKind::kInvalidPath || err_.kind == ErrKind::kPathNotFound)) {
      err_ = {};
      *accepted = false;
      return true;
    }
    return ok;
  }

  bool Apply(const FilterExpr& e, const JsonValue* item, bool* out) {
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
  bool Resolve(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
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
      case ValueSpec::Kind::kNull:
        out->kind = FilterValue::Kind::kNull;
        return true;
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
      case ValueSpec::Kind::kPath:
        return ResolvePath(spec, item, out);
    }
    return true;
  }

  bool ResolvePath(const ValueSpec& spec, const JsonValue* item, FilterValue* out) {
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
  bool ToNode(const JsonValue* v, FilterValue* out) {
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
          return Fail(ErrKind::kOther, "Character " +
                                           text.substr(0, 1) +
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
  bool ElementNode(const JsonValue& v, FilterValue* out) {
    switch (v.type()) {
      case Type::kArray:
      case Type::kObject:
        return Fail(ErrKind::kJsonPath, "Could not determine value type");
      case Type::kString: {
        std::string_view trimmed = JavaTrim(v.text());
        if (!trimmed.empty() && (trimmed[0] == '@' || trimmed[0] == '$')) {
          PathError ignored;
          if (CompileStatic(trimmed, &ignored) != nullptr) {
            out->kind = FilterValue::Kind::kUnevaluatedPath;
            return true;
          }
        }
        if (trimmed.size() > 1 && ((trimmed.front() == '[' && trimmed.back() == ']') ||
                                   (trimmed.front() == '{' && trimmed.back() == '}'))) {
          if (ParseJson(trimmed).ok()) {
            out->kind = FilterValue::Kind::kJson;
            out->literal = &v.text();
            return true;
          }
        }
        out->kind = FilterValue::Kind::kString;
        std::string s = v.text();
        if (Utf16Length(s, s.size()) > 1) {
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
      default:
        return ToNode(&v, out);
    }
  }

  // The parsed value of a JSON node (JsonNode.parse); literals that did not parse fail.
  bool Parsed(const FilterValue& n, const JsonValue** out) {
    if (n.json == nullptr) {
      return Fail(ErrKind::kOther, n.json_error != nullptr ? *n.json_error : "");
    }
    *out = n.json;
    return true;
  }

  // JsonNode.asValueListNode(ctx); `*is_list` false for UNDEFINED (not an array).
  bool AsValueList(const FilterValue& n, bool* is_list, std::vector<FilterValue>* out) {
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
  bool SideList(const FilterValue& n, bool* defined, std::vector<FilterValue>* out) {
    if (n.kind == FilterValue::Kind::kJson) return AsValueList(n, defined, out);
    if (n.kind == FilterValue::Kind::kValueList) {
      *defined = true;
      *out = n.list;
      return true;
    }
    return Fail(ErrKind::kInvalidPath, "Expected value list node");
  }

  bool AsBoolean(const FilterValue& n, bool* out) {
    if (n.kind != FilterValue::Kind::kBoolean) return Fail(ErrKind::kInvalidPath, "Expected boolean node");
    *out = n.boolean;
    return true;
  }

  static std::string RegexInput(const FilterValue& n) {
    if (n.kind == FilterValue::Kind::kString) return n.str;
    if (n.kind == FilterValue::Kind::kNumber) return BigDecimalString(n.number);
    if (n.kind == FilterValue::Kind::kBoolean) return n.boolean ? "true" : "false";
    return "";
  }

  bool Compare(RelOp op, const FilterValue& l, const FilterValue& r, bool* out) {
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
          *out = Utf16Length(l.str, l.str.size()) == expected;
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
            return Fail(ErrKind::kOther,
                        l.literal != nullptr
                            ? "class net.minidev.json.JSONObject cannot be cast to class "
                              "java.util.Collection (net.minidev.json.JSONObject is in unnamed module "
                              "of loader 'app'; java.util.Collection is in module java.base of "
                              "loader 'bootstrap')"
                            : "class java.util.LinkedHashMap cannot be cast to class "
                              "java.util.Collection (java.util.LinkedHashMap and "
                              "java.util.Collection are in module java.base of loader 'bootstrap')");
          }
          bool empty = v->is_array()                  ? v->elements().empty()
                       : v->type() == Type::kString ? v->text().empty()
                                                    : true;
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
      case RelOp::kAll:
        return Fail(ErrKind::kInvalidPath, "Expected value list node");
      case RelOp::kType:
        return Fail(ErrKind::kInvalidPath, "Expected class node");
      case RelOp::kMatches:
        return Fail(ErrKind::kInvalidPath, "Expected predicate node");
    }
    return true;
  }

  // ---- functions ----

  // A function argument's value (PathLateBindingValue / JsonLateBindingValue).
  struct Argument {
    bool is_json = false;
    PathValue path_value;
    std::string json;
  };

  // Parameter.getValue(): a path argument's value (its list when indefinite) or the parsed
  // JSON argument.
  bool ArgumentValue(const Argument& a, const JsonValue** out) {
    if (a.is_json) {
      Result<JsonValue> parsed = ParseJson(a.json);
      if (!parsed.ok()) return Fail(ErrKind::kJsonPath, parsed.status().message());
      *out = Own(std::move(parsed).value());
    } else if (a.path_value.definite) {
      *out = a.path_value.values[0];
    } else {
      JsonValue::Array list;
      for (const JsonValue* v : a.path_value.values) list.push_back(*v);
      *out = Own(JsonValue::MakeArray(std::move(list)));
    }
    return true;
  }

  // Parameter.toList(Number.class, ...): the numbers of the arguments.
  bool ArgumentNumbers(const std::vector<Argument>& args, std::vector<const JsonValue*>* out) {
    auto consume = [&](const JsonValue* v) {
      if (v->is_array()) {
        for (const JsonValue& e : v->elements()) {
          if (e.is_number()) out->push_back(&e);
        }
      } else if (v->is_number()) {
        out->push_back(v);
      }
    };
    for (const Argument& a : args) {
      if (a.is_json) {
        Result<JsonValue> parsed = ParseJson(a.json);
        if (!parsed.ok()) return Fail(ErrKind::kJsonPath, parsed.status().message());
        consume(Own(std::move(parsed).value()));
      } else if (a.path_value.definite) {
        consume(a.path_value.values[0]);
      } else {
        for (const JsonValue* v : a.path_value.values) {
          if (v->is_number()) out->push_back(v);
        }
      }
    }
    return true;
  }

  bool EvalFunction(size_t i, const Trace& cur, const JsonValue* model) {
    const Token& t = path_.tokens[i];
    static const char* const kKnown[] = {"avg", "stddev", "sum", "min", "max", "length", "size",
                                         "first", "last", "index", "concat", "append", "keys"};
    if (std::find_if(std::begin(kKnown), std::end(kKnown),
                     [&](const char* k) { return t.function == k; }) == std::end(kKnown)) {
      return Fail(ErrKind::kInvalidPath, "Function with name: " + t.function + " does not exist.");
    }
    std::vector<Argument> args;
    for (const FunctionParam& p : t.params) {
      Argument a;
      if (p.kind == FunctionParam::Kind::kJson) {
        a.is_json = true;
        a.json = p.json;
      } else {
        Evaluator sub(*p.path, root_, false, owned_);
        if (!sub.Run(root_) || !sub.GetValue(&a.path_value)) {
          err_ = std::move(sub.err());
          return false;
        }
      }
      args.push_back(std::move(a));
    }
    const JsonValue* result = nullptr;
    if (!Invoke(t, model, args, &result)) return false;
    Add(result);
    if (t.leaf) return true;
    return Eval(i + 1, cur, result);
  }

  bool Invoke(const Token& t, const JsonValue* model, const std::vector<Argument>& args,
              const JsonValue** result) {
    const std::string& name = t.function;
    if (name == "length" || name == "size") {
      if (!t.params.empty()) {
        const FunctionParam& p0 = t.params[0];
        if (p0.kind != FunctionParam::Kind::kPath) {
          return Fail(ErrKind::kOther,
                      "Cannot invoke \"com.jayway.jsonpath.internal.Path.isFunctionPath()\" because the "
                      "return value of \"com.jayway.jsonpath.internal.function.Parameter.getPath()\" is null");
        }
        const CompiledPath& lp = p0.path->function_path ? *p0.path : *p0.path_with_wildcard;
        // Jayway appends `[*]` to the argument after having evaluated it once, so the path
        // keeps the definiteness it had without the wildcard: a definite argument yields
        // the last child, not the list of children.
        Evaluator sub(lp, model, false, owned_);
        PathValue inner;
        if (!sub.Run(model) || !sub.GetValue(p0.path->definite, &inner)) {
          err_ = std::move(sub.err());
          return false;
        }
        if (!inner.definite) {
          *result = Own(JsonValue::Integer(static_cast<int64_t>(inner.values.size())));
          return true;
        }
        if (inner.values[0]->is_array()) {
          *result = Own(JsonValue::Integer(static_cast<int64_t>(inner.values[0]->elements().size())));
          return true;
        }
      }
      if (model->is_array()) {
        *result = Own(JsonValue::Integer(static_cast<int64_t>(model->elements().size())));
      } else if (model->is_object()) {
        *result = Own(JsonValue::Integer(static_cast<int64_t>(model->members().size())));
      } else {
        *result = &kNullValue;
      }
      return true;
    }
    if (name == "keys") {
      // A java.util.Set: neither a list nor a map to Jayway, printed as "[a, b]".
      if (!model->is_object()) {
        *result = &kNullValue;
        return true;
      }
      std::string text = "[";
      for (size_t k = 0; k < model->members().size(); ++k) {
        text += (k > 0 ? ", " : "") + model->members()[k].first;
      }
      *result = Own(JsonValue::String(text + "]"));
      return true;
    }
    if (name == "concat") {
      std::string text;
      if (model->is_array()) {
        for (const JsonValue& e : model->elements()) {
          if (e.type() == Type::kString) text += e.text();
        }
      }
      // Parameter.toList(String.class, ...): strings as they are, other values' toString().
      auto consume = [&](const JsonValue* v) {
        if (!v->is_null()) text += JavaString(*v);
      };
      for (const Argument& a : args) {
        const JsonValue* v = nullptr;
        if (!ArgumentValue(a, &v)) return false;
        if (v->is_array()) {
          for (const JsonValue& e : v->elements()) consume(&e);
        } else {
          consume(v);
        }
      }
      *result = Own(JsonValue::String(std::move(text)));
      return true;
    }
    if (name == "append") {
      if (!model->is_array() || args.empty()) {
        *result = model;
        return true;
      }
      JsonValue appended = *model;
      for (const Argument& a : args) {
        const JsonValue* v = nullptr;
        if (!ArgumentValue(a, &v)) return false;
        appended.elements().push_back(*v);
      }
      *result = Own(std::move(appended));
      return true;
    }
    if (name == "first" || name == "last" || name == "index") {
      if (!model->is_array()) {
        return Fail(ErrKind::kJsonPath, "Aggregation function attempted to calculate value using empty array");
      }
      int64_t target = name == "first" ? 0 : -1;
      if (name == "index") {
        std::vector<const JsonValue*> numbers;
        if (!ArgumentNumbers(args, &numbers)) return false;
        if (numbers.empty()) {
          return Fail(ErrKind::kIndexOutOfBounds, "Index 0 out of bounds for length 0");
        }
        target = NumberIntValue(*numbers[0]);
      }
      int64_t size = static_cast<int64_t>(model->elements().size());
      if (target >= 0) {
        if (target >= size) {
          return Fail(ErrKind::kIndexOutOfBounds, "Index " +
                                                      std::to_string(target) + " out of bounds for length " +
                                                      std::to_string(size));
        }
        *result = &model->elements()[static_cast<size_t>(target)];
        return true;
      }
      int64_t real = size + target;
      if (real > 0) {
        *result = &model->elements()[static_cast<size_t>(real)];
        return true;
      }
      return Fail(ErrKind::kJsonPath, "Target index:" + std::to_string(target) +
                                          " larger than object count:" + std::to_string(size));
    }
    // avg, stddev, sum, min, max over Numbers (all arithmetic in double, as Jayway).
    std::vector<double> values;
    if (model->is_array()) {
      for (const JsonValue& e : model->elements()) {
        if (e.is_number()) values.push_back(e.number());
      }
    }
    std::vector<const JsonValue*> numbers;
    if (!ArgumentNumbers(args, &numbers)) return false;
    for (const JsonValue* n : numbers) values.push_back(n->number());
    if (values.empty()) {
      return Fail(ErrKind::kJsonPath, "Aggregation function attempted to calculate value using empty array");
    }
    double v = 0;
    if (name == "sum" || name == "avg") {
      for (double x : values) v += x;
      if (name == "avg") v /= static_cast<double>(values.size());
    } else if (name == "min") {
      v = std::numeric_limits<double>::max();
      for (double x : values) v = v > x ? x : v;
    } else if (name == "max") {
      v = std::numeric_limits<double>::denorm_min();  // Double.MIN_VALUE, as Jayway starts
      for (double x : values) v = v < x ? x : v;
    } else {  // stddev
      double sum = 0, sum_sq = 0, count = static_cast<double>(values.size());
      for (double x : values) {
        sum += x;
        sum_sq += x * x;
      }
      v = std::sqrt(sum_sq / count - sum * sum / count / count);
    }
    *result = Own(JsonValue::Double(v));
    return true;
  }

  const CompiledPath& path_;
  const JsonValue* root_;
  bool require_;
  std::deque<JsonValue>* owned_;
  std::vector<int> upstream_;
  std::vector<const JsonValue*> results_;
  std::unordered_map<const CompiledPath*, PathValue> root_cache_;
  PathError err_;
};

}  // namespace json_path_internal

using namespace json_path_internal;  // NOLINT: JSONPath's own internals

Result<JsonPathResult> JsonPath::Read(const JsonValue& document, bool always_return_list) const {
  if (path_->function_path && always_return_list) {
    return Status::Internal(
        "Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!");
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
