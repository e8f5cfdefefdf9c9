#include "common/jmx_parser.h"

#include <tinyxml2.h>

#include <strings.h>
#include <cctype>
#include <cstring>
#include <sstream>

#include "common/input_file.h"
#include "common/utf8.h"

namespace barrage {
namespace {

using tinyxml2::XMLElement;

std::string Text(const XMLElement* e) {
  const char* t = e ? e->GetText() : nullptr;
  return t ? std::string(t) : std::string();
}

Attributes AttributesOf(const XMLElement* e) {
  Attributes attrs;
  for (const tinyxml2::XMLAttribute* a = e->FirstAttribute(); a; a = a->Next()) {
    attrs.emplace_back(a->Name(), a->Value());
  }
  return attrs;
}

std::string AttributeOr(const XMLElement* e, const char* key, const char* def = "") {
  const char* v = e->Attribute(key);
  return v ? v : def;
}

bool IsScalarTag(std::string_view tag, PropertyType* type) {
  struct Entry {
    std::string_view tag;
    PropertyType type;
  };
  static constexpr Entry kScalars[] = {
      {"stringProp", PropertyType::kString},    {"boolProp", PropertyType::kBool},
      {"intProp", PropertyType::kInt},          {"IntProperty", PropertyType::kInt},
      {"longProp", PropertyType::kLong},        {"LongProperty", PropertyType::kLong},
      {"floatProp", PropertyType::kFloat},      {"FloatProperty", PropertyType::kFloat},
      {"doubleProp", PropertyType::kDouble},    {"DoubleProperty", PropertyType::kDouble},
      {"BooleanProperty", PropertyType::kBool}, {"StringProperty", PropertyType::kString},
  };
  for (const Entry& entry : kScalars) {
    if (entry.tag == tag) {
      *type = entry.type;
      return true;
    }
  }
  return false;
}

Property ParseProperty(const XMLElement* x);

// Children of an element that are properties (everything but nested hashTrees).
void ParseMembers(const XMLElement* x, std::vector<Property>* out) {
  for (const XMLElement* c = x->FirstChildElement(); c; c = c->NextSiblingElement()) {
    out->push_back(ParseProperty(c));
  }
}

// An XStream-serialised value (objProp's <value>): each child element becomes a kOther
// property named by its tag, recursively, so nothing is lost.
Property ParseVerbatim(const XMLElement* x) {
  Property p;
  p.type = PropertyType::kOther;
  p.name = x->Name();
  p.element_type = x->Name();
  p.attributes = AttributesOf(x);
  p.line = x->GetLineNum();
  if (x->FirstChildElement()) {
    ParseMembers(x, &p.items);
    for (Property& item : p.items) {
      if (item.type == PropertyType::kOther && item.name.empty()) item.name = item.element_type;
    }
  } else {
    p.value = Text(x);
  }
  return p;
}

Property ParseProperty(const XMLElement* x) {
  Property p;
  p.line = x->GetLineNum();
  p.attributes = AttributesOf(x);
  p.name = AttributeOr(x, "name");
  std::string_view tag = x->Name();
  if (IsScalarTag(tag, &p.type)) {
    // <doubleProp><name>..</name><value>..</value><savedValue>..</savedValue></doubleProp>
    const XMLElement* name_child = x->FirstChildElement("name");
    const XMLElement* value_child = x->FirstChildElement("value");
    if (name_child || value_child) {
      if (name_child) p.name = Text(name_child);
      p.value = Text(value_child);
      p.saved_value = Text(x->FirstChildElement("savedValue"));
    } else {
      p.value = Text(x);
    }
  } else if (tag == "elementProp") {
    p.type = PropertyType::kElement;
    p.element_type = AttributeOr(x, "elementType");
    ParseMembers(x, &p.items);
  } else if (tag == "collectionProp") {
    p.type = PropertyType::kCollection;
    ParseMembers(x, &p.items);
  } else if (tag == "mapProp") {
    p.type = PropertyType::kMap;
    ParseMembers(x, &p.items);
  } else if (tag == "objProp") {
    p.type = PropertyType::kObject;
    if (const XMLElement* n = x->FirstChildElement("name")) p.name = Text(n);
    if (const XMLElement* v = x->FirstChildElement("value")) {
      p.element_type = AttributeOr(v, "class");
      if (v->FirstChildElement()) {
        ParseMembers(v, &p.items);
      } else {
        p.value = Text(v);
      }
    }
  } else {
    p = ParseVerbatim(x);
    p.name = AttributeOr(x, "name", x->Name());
  }
  return p;
}

bool IsDisabled(const XMLElement* x) {
  const char* enabled = x->Attribute("enabled");
  return enabled && strcasecmp(enabled, "false") == 0;
}

TestElement ParseElement(const XMLElement* x) {
  TestElement e;
  e.tag = x->Name();
  e.attributes = AttributesOf(x);
  e.testclass = AttributeOr(x, "testclass", x->Name());
  e.guiclass = AttributeOr(x, "guiclass");
  e.testname = AttributeOr(x, "testname");
  e.enabled = !IsDisabled(x);
  e.line = x->GetLineNum();
  ParseMembers(x, &e.properties);
  return e;
}

// Reads the (element, hashTree) pairs of one <hashTree>.
void ParseHashTree(const XMLElement* tree, std::vector<TestElement>* out) {
  for (const XMLElement* x = tree->FirstChildElement(); x; x = x->NextSiblingElement()) {
    if (std::strcmp(x->Name(), "hashTree") == 0) {
      // A hashTree belongs to the element before it; a stray one (no element before it)
      // is kept as the children of nothing, i.e. ignored.
      if (!out->empty() && x->PreviousSiblingElement() &&
          std::strcmp(x->PreviousSiblingElement()->Name(), "hashTree") != 0) {
        ParseHashTree(x, &out->back().children);
      }
      continue;
    }
    out->push_back(ParseElement(x));
  }
}

std::string Where(std::string_view path, int line) {
  std::ostringstream s;
  s << path << ":" << line << ": ";
  return s.str();
}

// The encoding named by an XML declaration at the start, lower-cased ("" when none).
std::string DeclaredEncoding(std::string_view xml) {
  if (xml.rfind("<?xml", 0) != 0) return {};
  std::string_view decl = xml.substr(0, xml.find("?>"));
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  size_t quote = decl.find_first_of("\"'", at);
  if (quote == std::string_view::npos) return {};
  size_t end = decl.find(decl[quote], quote + 1);
  if (end == std::string_view::npos) return {};
  std::string enc(decl.substr(quote + 1, end - quote - 1));
  for (char& ch : enc) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return enc;
}

// ISO-8859-1 / windows-1252 text as UTF-8 (tinyxml2 reads UTF-8 only).
std::string SingleByteToUtf8(std::string_view in, bool windows1252) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (unsigned char b : in) AppendUtf8(windows1252 ? Windows1252ToUnicode(b) : b, &out);
  return out;
}

}  // namespace

Result<HashTree> ParseJmx(std::string_view xml, std::string_view path) {
  // tinyxml2 handles a BOM itself, but only at offset 0 of a NUL-free buffer; strip it here
  // so the line numbers and the empty-file check see the real content.
  if (xml.size() >= 3 && std::memcmp(xml.data(), "\xEF\xBB\xBF", 3) == 0) xml.remove_prefix(3);
  if (xml.find('\0') != std::string_view::npos) {
    size_t nul = xml.find('\0');
    int line = 1;
    for (size_t i = 0; i < nul; ++i) line += xml[i] == '\n';
    return Status::ParseError(Where(path, line) + "invalid XML: NUL byte (binary data?)");
  }
  if (TrimAscii(xml).empty()) return Status::ParseError(Where(path, 1) + "empty file");
  std::string transcoded;
  std::string encoding = DeclaredEncoding(xml);
  if (encoding == "iso-8859-1" || encoding == "latin1" || encoding == "iso8859-1" || encoding == "windows-1252" ||
      encoding == "cp1252") {
    transcoded = SingleByteToUtf8(xml, encoding == "windows-1252" || encoding == "cp1252");
    xml = transcoded;
  }

  tinyxml2::XMLDocument doc(/*processEntities=*/true, tinyxml2::PRESERVE_WHITESPACE);
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
    // tinyxml2 says "Error=NAME ErrorID=N (0xN) Line number=N[: detail]", where the detail
    // quotes the document (it may hold newlines or binary): keep it short and on one line.
    std::string raw = doc.ErrorStr() ? doc.ErrorStr() : "";
    std::string detail;
    if (size_t ln = raw.find("Line number="); ln != std::string::npos) {
      if (size_t colon = raw.find(": ", ln); colon != std::string::npos) detail = raw.substr(colon + 2);
    }
    for (char& ch : detail) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
    }
    if (detail.size() > 120) detail = detail.substr(0, 120) + "...";
    std::string msg = std::string("invalid XML: ") + doc.ErrorName();
    if (!TrimAscii(detail).empty()) msg += ": " + std::string(TrimAscii(detail));
    return Status::ParseError(Where(path, doc.ErrorLineNum() > 0 ? doc.ErrorLineNum() : 1) + msg);
  }
  const XMLElement* root = doc.RootElement();
  if (!root) return Status::ParseError(Where(path, 1) + "no root element");
  if (std::strcmp(root->Name(), "jmeterTestPlan") != 0) {
    return Status::ParseError(Where(path, root->GetLineNum()) + "not a JMeter test plan: root element is <" +
                              root->Name() + ">, expected <jmeterTestPlan>");
  }
  const XMLElement* top = root->FirstChildElement("hashTree");
  if (!top) {
    return Status::ParseError(Where(path, root->GetLineNum()) +
                              "not a JMeter test plan: <jmeterTestPlan> has no <hashTree>");
  }
  HashTree tree;
  tree.path = std::string(path);
  tree.root_attributes = AttributesOf(root);
  ParseHashTree(top, &tree.roots);
  if (!tree.test_plan()) {
    return Status::ParseError(Where(path, top->GetLineNum()) +
                              "not a JMeter test plan: no TestPlan element under the root hashTree");
  }
  return tree;
}

Result<HashTree> ParseJmxFile(const std::string& path) {
  Result<std::string> text = ReadRegularFile(path, kMaxPlanBytes, "a plan");
  if (!text.ok()) return text.status();
  return ParseJmx(*text, path);
}

}  // namespace barrage
