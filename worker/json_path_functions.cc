#include "worker/json_path_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/java_lang.h"

namespace barrage {
namespace json_path_internal {

// Parameter.getValue(): a path argument's value (its list when indefinite) or the parsed
// JSON argument.
bool Evaluator::ArgumentValue(const Argument& a, const JsonValue** out) {
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
bool Evaluator::ArgumentNumbers(const std::vector<Argument>& args, std::vector<const JsonValue*>* out) {
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

bool Evaluator::EvalFunction(size_t i, const Trace& cur, const JsonValue* model) {
  const Token& t = path_.tokens[i];
  static const char* const kKnown[] = {"avg",   "stddev", "sum",   "min",    "max",    "length", "size",
                                       "first", "last",   "index", "concat", "append", "keys"};
  if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return t.function == k; }) ==
      std::end(kKnown)) {
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

bool Evaluator::Invoke(const Token& t, const JsonValue* model, const std::vector<Argument>& args,
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
        return Fail(ErrKind::kIndexOutOfBounds,
                    "Index " + std::to_string(target) + " out of bounds for length " + std::to_string(size));
      }
      *result = &model->elements()[static_cast<size_t>(target)];
      return true;
    }
    int64_t real = size + target;
    if (real > 0) {
      *result = &model->elements()[static_cast<size_t>(real)];
      return true;
    }
    return Fail(ErrKind::kJsonPath,
                "Target index:" + std::to_string(target) + " larger than object count:" + std::to_string(size));
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

}  // namespace json_path_internal
}  // namespace barrage
