#include "common/hash_tree.h"

#include <strings.h>
#include <charconv>
#include <cstdlib>

#include "common/java_lang.h"

namespace barrage {

std::string_view PropertyTypeName(PropertyType type) {
  switch (type) {
    case PropertyType::kString: return "stringProp";
    case PropertyType::kBool: return "boolProp";
    case PropertyType::kInt: return "intProp";
    case PropertyType::kLong: return "longProp";
    case PropertyType::kFloat: return "floatProp";
    case PropertyType::kDouble: return "doubleProp";
    case PropertyType::kElement: return "elementProp";
    case PropertyType::kCollection: return "collectionProp";
    case PropertyType::kMap: return "mapProp";
    case PropertyType::kObject: return "objProp";
    case PropertyType::kOther: return "other";
  }
  return "other";
}

namespace {

const Property* FindIn(const std::vector<Property>& props, std::string_view name) {
  for (const Property& p : props) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string_view FindAttribute(const Attributes& attrs, std::string_view key) {
  for (const auto& [k, v] : attrs) {
    if (k == key) return v;
  }
  return {};
}

std::string GetStringIn(const std::vector<Property>& props, std::string_view name, std::string_view def) {
  const Property* p = FindIn(props, name);
  return p ? p->value : std::string(def);
}

bool GetBoolIn(const std::vector<Property>& props, std::string_view name, bool def) {
  const Property* p = FindIn(props, name);
  if (!p) return def;
  std::string_view v = TrimAscii(p->value);
  return v.size() == 4 && strncasecmp(v.data(), "true", 4) == 0;
}

}  // namespace

std::string Property::GetString(std::string_view member, std::string_view def) const {
  return GetStringIn(items, member, def);
}

bool Property::GetBool(std::string_view member, bool def) const { return GetBoolIn(items, member, def); }

const Property* Property::Find(std::string_view member) const { return FindIn(items, member); }

std::string_view Property::Attribute(std::string_view key) const { return FindAttribute(attributes, key); }

const Property* TestElement::Find(std::string_view name) const { return FindIn(properties, name); }

std::string TestElement::GetString(std::string_view name, std::string_view def) const {
  return GetStringIn(properties, name, def);
}

bool TestElement::GetBool(std::string_view name, bool def) const { return GetBoolIn(properties, name, def); }

std::optional<int64_t> TestElement::GetInt(std::string_view name, int64_t def) const {
  const Property* p = Find(name);
  if (!p || TrimAscii(p->value).empty()) return def;
  return ParseInt64(p->value);
}

const TestElement* HashTree::test_plan() const {
  for (const TestElement& e : roots) {
    if (e.testclass == "TestPlan") return &e;
  }
  return nullptr;
}

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt64(std::string_view s) { return JavaParseLong(TrimAscii(s)); }

std::optional<double> ParseDouble(std::string_view s) {
  s = TrimAscii(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace barrage
