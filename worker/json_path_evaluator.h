// Internals of JSONPath's evaluation (worker/json_path.h is the contract): the Evaluator,
// Jayway's path walk, split over json_path_evaluator.cc (paths, JsonPath::Read),
// json_path_filters.cc ([?(...)] filters) and json_path_functions.cc (length(), sum(), ...).
// Included only by those files.
#ifndef BARRAGE_WORKER_JSON_PATH_EVALUATOR_H_
#define BARRAGE_WORKER_JSON_PATH_EVALUATOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "worker/json_path_internal.h"

namespace barrage {
namespace json_path_internal {

// The path so far (Jayway's currentPath), rendered only when a message needs it.
struct Trace {
  enum class Kind { kText, kProperty, kIndex };
  const Trace* parent = nullptr;
  Kind kind = Kind::kText;
  std::string_view text;
  int64_t index = 0;
};

// Jayway's path string of `t` ("$['a'][0]").
std::string Render(const Trace* t);

// EvaluationContext.getValue(): the one value of a definite path, or all that an indefinite
// path found.
struct PathValue {
  bool definite = false;
  std::vector<const JsonValue*> values;
};

// A filter value after evaluation (Jayway's ValueNode subclasses).
struct FilterValue {
  enum class Kind {
    kString,
    kNumber,
    kBoolean,
    kNull,
    kJson,
    kPattern,
    kUndefined,
    kValueList,
    kUnevaluatedPath,
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
bool NodeEquals(const FilterValue& a, const FilterValue& b);

// Number.intValue() of a json-smart number.
int32_t NumberIntValue(const JsonValue& v);

class Evaluator {
 public:
  Evaluator(const CompiledPath& path, const JsonValue* root, bool require_properties, std::deque<JsonValue>* owned)
      : path_(path), root_(root), require_(require_properties), owned_(owned), upstream_(path.tokens.size(), -1) {}

  bool Run(const JsonValue* model);

  // getValue() after Run().
  bool GetValue(PathValue* out) { return GetValue(path_.definite, out); }
  bool GetValue(bool definite, PathValue* out);

  const std::vector<const JsonValue*>& results() const { return results_; }
  PathError& err() { return err_; }

 private:
  bool Fail(ErrKind kind, std::string message);
  void Add(const JsonValue* v) { results_.push_back(v); }
  const JsonValue* Own(JsonValue v);

  // ---- paths (json_path_evaluator.cc)

  bool Eval(size_t i, const Trace& cur, const JsonValue* model);
  bool EvalProperty(size_t i, const Trace& cur, const JsonValue* model);
  bool HandleProperty(size_t i, const Trace& cur, std::string_view property, const JsonValue* v);
  bool MergeProperties(size_t i, const Trace& cur, const JsonValue& model);
  bool HandleArrayIndex(size_t i, int64_t index, const Trace& cur, const JsonValue& model);
  bool CheckArrayModel(size_t i, const Trace& cur, const JsonValue* model, bool* skip);
  bool EvalSlice(size_t i, const Trace& cur, const JsonValue* model);
  bool EvalWildcard(size_t i, const Trace& cur, const JsonValue* model);
  bool ScanMatches(size_t pt, const JsonValue* model, bool* matches);
  bool Walk(size_t pt, const Trace& cur, const JsonValue* model);
  bool EvalPredicate(size_t i, const Trace& cur, const JsonValue* model);

  // ---- filters (json_path_filters.cc)

  bool Accept(const Token& t, const JsonValue* item, bool* accepted);
  bool Apply(const FilterExpr& e, const JsonValue* item, bool* out);
  bool Resolve(const ValueSpec& spec, const JsonValue* item, FilterValue* out);
  bool ResolvePath(const ValueSpec& spec, const JsonValue* item, FilterValue* out);
  bool ToNode(const JsonValue* v, FilterValue* out);
  bool ElementNode(const JsonValue& v, FilterValue* out);
  bool Parsed(const FilterValue& n, const JsonValue** out);
  bool AsValueList(const FilterValue& n, bool* is_list, std::vector<FilterValue>* out);
  bool SideList(const FilterValue& n, bool* defined, std::vector<FilterValue>* out);
  bool AsBoolean(const FilterValue& n, bool* out);
  static std::string RegexInput(const FilterValue& n);
  bool Compare(RelOp op, const FilterValue& l, const FilterValue& r, bool* out);

  // ---- functions (json_path_functions.cc)

  // A function argument's value (PathLateBindingValue / JsonLateBindingValue).
  struct Argument {
    bool is_json = false;
    PathValue path_value;
    std::string json;
  };
  bool ArgumentValue(const Argument& a, const JsonValue** out);
  bool ArgumentNumbers(const std::vector<Argument>& args, std::vector<const JsonValue*>* out);
  bool EvalFunction(size_t i, const Trace& cur, const JsonValue* model);
  bool Invoke(const Token& t, const JsonValue* model, const std::vector<Argument>& args, const JsonValue** result);

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
}  // namespace barrage

#endif  // BARRAGE_WORKER_JSON_PATH_EVALUATOR_H_
