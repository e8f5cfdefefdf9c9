// The generic, lossless model of a .jmx file: JMeter's HashTree of TestElements.
//
// A .jmx is `<jmeterTestPlan><hashTree>` followed by pairs of (element, hashTree of its
// children). Every element keeps its tag, attributes, typed properties and source line, so
// the plan compiler (plan_compiler.h) and tools can read anything the file holds. Nothing
// here interprets JMeter semantics beyond typed property access with JMeter's defaults.
//
// Values are immutable after parsing; a HashTree is safe to read from several threads.
#ifndef BARRAGE_COMMON_HASH_TREE_H_
#define BARRAGE_COMMON_HASH_TREE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace barrage {

enum class PropertyType {
  kString,      // <stringProp>
  kBool,        // <boolProp>
  kInt,         // <intProp>, <IntProperty>
  kLong,        // <longProp>, <LongProperty>
  kFloat,       // <floatProp>, <FloatProperty>
  kDouble,      // <doubleProp>, <DoubleProperty>
  kElement,     // <elementProp>: a nested TestElement (Arguments, Argument, Header, ...)
  kCollection,  // <collectionProp>: a list of properties
  kMap,         // <mapProp>: a list of named properties
  kObject,      // <objProp>: an XStream-serialised object (saveConfig, ...)
  kOther,       // any other child tag, kept verbatim (tag in element_type)
};

// Returns the XML tag name JMeter writes for a property type ("stringProp", ...).
std::string_view PropertyTypeName(PropertyType type);

using Attributes = std::vector<std::pair<std::string, std::string>>;

struct Property {
  PropertyType type = PropertyType::kString;
  std::string name;             // from the name attribute, or a <name> child
  std::string value;            // scalar text exactly as written (entities decoded)
  std::string saved_value;      // <savedValue> of float/double properties
  std::string element_type;     // elementProp@elementType; objProp <value class>; kOther: its tag
  Attributes attributes;        // every attribute as written, in order
  std::vector<Property> items;  // members of elementProp/collectionProp/mapProp/objProp
  int line = 0;

  // Finds a member by name (elementProp/mapProp/objProp); nullptr when absent.
  const Property* Find(std::string_view member) const;
  // Attribute value, or "" when absent.
  std::string_view Attribute(std::string_view key) const;
  // Typed reads of members, with the same rules as TestElement's.
  std::string GetString(std::string_view member, std::string_view def = "") const;
  bool GetBool(std::string_view member, bool def) const;
};

// One element of the plan: a sampler, controller, config element, ... as written.
struct TestElement {
  std::string tag;        // XML tag: a saveservice alias or a fully-qualified class name
  std::string testclass;  // @testclass, or the tag when absent
  std::string guiclass;
  std::string testname;
  bool enabled = true;  // @enabled; a missing attribute means enabled (JMeter 5.6)
  int line = 0;
  Attributes attributes;  // every attribute as written, in order
  std::vector<Property> properties;
  std::vector<TestElement> children;  // the elements of the following <hashTree>

  // Property lookup by name; nullptr when absent.
  const Property* Find(std::string_view name) const;

  // Typed reads with JMeter's leniency: a property may be stored as any scalar type
  // (numbers as stringProp, booleans as stringProp, ...). A missing property gives the
  // default, as JMeter 5.6 omits properties equal to their default.
  std::string GetString(std::string_view name, std::string_view def = "") const;
  // Boolean.parseBoolean semantics: "true" in any case is true, anything else false.
  bool GetBool(std::string_view name, bool def) const;
  // Missing or empty gives def; text that is not a number gives std::nullopt.
  std::optional<int64_t> GetInt(std::string_view name, int64_t def) const;
};

// A parsed .jmx file.
struct HashTree {
  std::string path;                // file it came from (for messages); may be empty
  Attributes root_attributes;      // of <jmeterTestPlan>: version, properties, jmeter
  std::vector<TestElement> roots;  // normally TestPlan, sometimes WorkBench beside it

  // The TestPlan root, or nullptr.
  const TestElement* test_plan() const;
};

// Trims ASCII whitespace from both ends.
std::string_view TrimAscii(std::string_view s);
// Long.parseLong of the text without surrounding ASCII whitespace (common/java_lang.h).
std::optional<int64_t> ParseInt64(std::string_view s);
// Parses a decimal floating-point number (surrounding whitespace allowed).
std::optional<double> ParseDouble(std::string_view s);

}  // namespace barrage

#endif  // BARRAGE_COMMON_HASH_TREE_H_
