#include "worker/json_path.h"

#include <locale.h>
#include <stdlib.h>

#include <functional>
#include <unordered_map>

#include "worker/json_path_internal.h"

namespace barrage {

// =======================================================================================
// JsonValue

JsonValue JsonValue::Boolean(bool b) {
  JsonValue v;
  v.v_ = b;
  return v;
}
JsonValue JsonValue::Integer(int64_t i) {
  JsonValue v;
  v.v_ = i;
  return v;
}
JsonValue JsonValue::Double(double d) {
  JsonValue v;
  v.v_ = d;
  return v;
}
JsonValue JsonValue::BigInteger(std::string digits) {
  JsonValue v;
  v.v_ = BigIntegerText{std::move(digits)};
  return v;
}
JsonValue JsonValue::BigDecimal(std::string text) {
  JsonValue v;
  v.v_ = BigDecimalText{std::move(text)};
  return v;
}
JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.v_ = std::move(s);
  return v;
}
JsonValue JsonValue::MakeArray(Array elements) {
  JsonValue v;
  v.v_ = std::move(elements);
  return v;
}
JsonValue JsonValue::MakeObject(Object members) {
  JsonValue v;
  v.v_ = ObjectBox{std::move(members)};
  return v;
}

bool JsonValue::is_number() const {
  Type t = type();
  return t == Type::kInteger || t == Type::kBigInteger || t == Type::kDouble || t == Type::kBigDecimal;
}

const std::string& JsonValue::text() const {
  switch (type()) {
    case Type::kBigInteger: return std::get<BigIntegerText>(v_).text;
    case Type::kBigDecimal: return std::get<BigDecimalText>(v_).text;
    default: return std::get<std::string>(v_);
  }
}

namespace json_path_internal {

// strtod in the "C" locale, whatever the process locale is.
double StrToDouble(const std::string& s) {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return strtod_l(s.c_str(), nullptr, c_locale);
}

}  // namespace json_path_internal

using namespace json_path_internal;  // NOLINT: this file's own internals

double JsonValue::number() const {
  switch (type()) {
    case Type::kInteger: return static_cast<double>(integer());
    case Type::kDouble: return std::get<double>(v_);
    case Type::kBigInteger:
    case Type::kBigDecimal: return StrToDouble(text());
    default: return 0;
  }
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const Member& m : members()) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

void JsonValue::Put(std::string key, JsonValue value) {
  Object& object = members();
  for (Member& m : object) {
    if (m.first == key) {
      m.second = std::move(value);
      return;
    }
  }
  object.emplace_back(std::move(key), std::move(value));
}

namespace json_path_internal {

const JsonValue kNullValue;

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

Status ToStatus(const PathError& e) {
  switch (e.kind) {
    case ErrKind::kPathNotFound: return Status::NotFound(e.message);
    case ErrKind::kInvalidPath: return Status::InvalidArgument(e.message);
    default: return Status::Internal(e.message);
  }
}

}  // namespace json_path_internal

// =======================================================================================
// JsonPath

JsonPath::JsonPath(std::unique_ptr<CompiledPath> path) : path_(std::move(path)) {}
JsonPath::~JsonPath() = default;

Result<std::shared_ptr<const JsonPath>> JsonPath::Compile(std::string_view expression) {
  if (expression.empty()) return Status::InvalidArgument("json can not be null or empty");
  PathError err;
  std::shared_ptr<CompiledPath> compiled = CompileStatic(expression, &err);
  if (err) return ToStatus(err);
  return std::shared_ptr<const JsonPath>(new JsonPath(std::make_unique<CompiledPath>(*compiled)));
}

bool JsonPath::definite() const { return path_->definite; }
bool JsonPath::function_path() const { return path_->function_path; }
std::string JsonPath::ToString() const { return path_->text; }

Result<std::shared_ptr<const JsonPath>> CompileJsonPathCached(std::string_view expression) {
  struct Entry {
    std::shared_ptr<const JsonPath> path;
    Status status;
  };
  thread_local std::unordered_map<std::string, Entry, TransparentHash, std::equal_to<>> cache;
  auto it = cache.find(expression);
  if (it == cache.end()) {
    if (cache.size() >= kJsonPathCacheSize) cache.clear();
    Result<std::shared_ptr<const JsonPath>> compiled = JsonPath::Compile(expression);
    Entry e;
    if (compiled.ok())
      e.path = std::move(compiled).value();
    else
      e.status = compiled.status();
    it = cache.emplace(std::string(expression), std::move(e)).first;
  }
  if (it->second.path == nullptr) return it->second.status;
  return it->second.path;
}

}  // namespace barrage
