#include "worker/json_path_internal.h"

#include <algorithm>
#include <cmath>

#include "common/java_lang.h"

namespace barrage {

// =======================================================================================
// Writing values as json-smart and Java do.

namespace json_path_internal {

// json-smart's JSONStyle.NO_COMPRESS string escaping (Escape4Web): also `/`, and
// U+007F-U+009F and U+2000-U+20FF as \uXXXX.
void EscapeJsonSmart(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    int32_t cp = NextCodePoint(s, &i);
    switch (cp) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      case '/': *out += "\\/"; continue;
      default: break;
    }
    if ((cp >= 0 && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x2000 && cp <= 0x20FF)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(cp));
      *out += buf;
    } else {
      out->append(s.substr(start, i - start));
    }
  }
}

// The order in which a java.util.HashMap built from `members` (new JSONObject(map) /
// new HashMap(map), Java 17) iterates its keys.
std::vector<size_t> JavaHashMapOrder(const JsonValue::Object& members) {
  size_t n = members.size();
  std::vector<size_t> order(n);
  if (n == 0) return order;
  float ft = static_cast<float>(n) / 0.75f + 1.0f;
  int64_t t = ft < static_cast<float>(1 << 30) ? static_cast<int64_t>(ft) : (1 << 30);
  uint32_t capacity = 1;
  while (capacity < t) capacity <<= 1;
  std::vector<uint32_t> bucket(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t h = static_cast<uint32_t>(JavaHashCode(members[i].first));
    bucket[i] = (h ^ (h >> 16)) & (capacity - 1);
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bucket[a] < bucket[b]; });
  return order;
}

void WriteJsonSmart(const JsonValue& v, bool hash_order, std::string* out);

void WriteMembers(const JsonValue::Object& members, bool hash_order, std::string* out) {
  out->push_back('{');
  auto write = [&](const JsonValue::Member& m, bool first) {
    if (!first) out->push_back(',');
    out->push_back('"');
    EscapeJsonSmart(m.first, out);
    *out += "\":";
    WriteJsonSmart(m.second, false, out);
  };
  if (hash_order) {
    bool first = true;
    for (size_t i : JavaHashMapOrder(members)) {
      write(members[i], first);
      first = false;
    }
  } else {
    for (size_t i = 0; i < members.size(); ++i) write(members[i], i == 0);
  }
  out->push_back('}');
}

void WriteElements(std::span<const JsonValue* const> elements, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out->push_back(',');
    WriteJsonSmart(*elements[i], false, out);
  }
  out->push_back(']');
}

// json-smart's toJSONString; `hash_order`: the value is an object copied into a HashMap.
void WriteJsonSmart(const JsonValue& v, bool hash_order, std::string* out) {
  switch (v.type()) {
    case Type::kNull: *out += "null"; return;
    case Type::kBoolean: *out += v.boolean() ? "true" : "false"; return;
    case Type::kInteger: *out += std::to_string(v.integer()); return;
    case Type::kBigInteger:
    case Type::kBigDecimal: *out += v.text(); return;
    case Type::kDouble: *out += std::isinf(v.number()) ? "null" : JavaDoubleToString(v.number()); return;
    case Type::kString:
      out->push_back('"');
      EscapeJsonSmart(v.text(), out);
      out->push_back('"');
      return;
    case Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.elements().size(); ++i) {
        if (i > 0) out->push_back(',');
        WriteJsonSmart(v.elements()[i], false, out);
      }
      out->push_back(']');
      return;
    case Type::kObject: WriteMembers(v.members(), hash_order, out); return;
  }
}

void WriteJavaString(const JsonValue& v, std::string* out) {
  switch (v.type()) {
    case Type::kString: *out += v.text(); return;
    case Type::kDouble: *out += JavaDoubleToString(v.number()); return;
    case Type::kArray: WriteJsonSmart(v, false, out); return;
    case Type::kObject:  // AbstractMap.toString
      out->push_back('{');
      for (size_t i = 0; i < v.members().size(); ++i) {
        if (i > 0) *out += ", ";
        *out += v.members()[i].first;
        out->push_back('=');
        WriteJavaString(v.members()[i].second, out);
      }
      out->push_back('}');
      return;
    default: WriteJsonSmart(v, false, out); return;
  }
}

}  // namespace json_path_internal

using namespace json_path_internal;  // NOLINT: JSONPath's own internals

std::string JavaString(const JsonValue& value) {
  std::string out;
  WriteJavaString(value, &out);
  return out;
}

std::optional<std::string> ExtractorString(const JsonValue& value) {
  if (value.is_null()) return std::nullopt;
  if (value.is_object()) {
    std::string out;
    WriteJsonSmart(value, true, &out);
    return out;
  }
  return JavaString(value);
}

std::string AssertionString(const JsonValue& value) {
  if (value.type() == Type::kDouble) return DecimalFormatString(value.number());
  if (value.is_null()) return "null";
  return *ExtractorString(value);
}

std::string AssertionString(std::span<const JsonValue* const> values) {
  std::string out;
  WriteElements(values, &out);
  return out;
}

bool JavaEquals(const JsonValue& a, const JsonValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNull: return true;
    case Type::kBoolean: return a.boolean() == b.boolean();
    case Type::kInteger: return a.integer() == b.integer();
    case Type::kBigInteger:
    case Type::kBigDecimal:
    case Type::kString: return a.text() == b.text();
    case Type::kDouble: {  // Double.equals compares bits
      double x = a.number(), y = b.number();
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case Type::kArray: {
      if (a.elements().size() != b.elements().size()) return false;
      for (size_t i = 0; i < a.elements().size(); ++i) {
        if (!JavaEquals(a.elements()[i], b.elements()[i])) return false;
      }
      return true;
    }
    case Type::kObject: {
      if (a.members().size() != b.members().size()) return false;
      for (const JsonValue::Member& m : a.members()) {
        const JsonValue* other = b.Find(m.first);
        if (other == nullptr || !JavaEquals(m.second, *other)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace barrage
