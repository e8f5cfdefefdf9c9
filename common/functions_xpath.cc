// __XPath(file, xpath) (JMeter's XPath function with XPathWrapper and XPathFileContainer):
// see RunContext::NextXPathValue in functions.h.
#include <libxml/tree.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/functions.h"
#include "common/functions_internal.h"
#include "common/xml_document.h"

namespace barrage {

struct RunContext::XPathList {
  std::mutex mu;
  std::vector<std::string> values;  // node values in document order
  size_t next = 0;
};

namespace {

// DOM Node.getNodeValue() as text, "null" when the node has none (JMeter appends Java's null).
std::string NodeValue(const xmlNode* n) {
  switch (n->type) {
    case XML_ATTRIBUTE_NODE: {
      xmlChar* v = xmlNodeListGetString(n->doc, n->children, 1);
      std::string out = v != nullptr ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return out;
    }
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
    case XML_PI_NODE: return n->content != nullptr ? reinterpret_cast<const char*>(n->content) : "";
    default: return "null";
  }
}

// XPathFileContainer.load: the node values, nullopt when the file cannot be read or parsed,
// or the expression does not give a node set (JMeter then tries again at the next call).
std::optional<std::vector<std::string>> LoadXPathValues(RunContext& run, const std::string& path,
                                                        const std::string& xpath) {
  std::optional<std::string> text = run.FileContents(path);
  if (!text) return std::nullopt;
  Result<std::unique_ptr<XmlDocument>> doc = XmlDocument::Parse(*text, XmlParseOptions{});
  if (!doc.ok()) return std::nullopt;
  Result<XPathValue> value = (*doc)->Evaluate(xpath);
  if (!value.ok() || value->type != XPathValue::Type::kNodeSet) return std::nullopt;
  std::vector<std::string> values;
  for (const xmlNode* n : value->nodes) values.push_back(NodeValue(n));
  return values;
}

}  // namespace

std::string RunContext::NextXPathValue(const std::string& path, const std::string& xpath) {
  std::string key = path + '\n' + xpath;
  std::shared_ptr<XPathList> list;
  {
    std::lock_guard lock(mu_);
    auto it = xpath_lists_.find(key);
    if (it != xpath_lists_.end()) list = it->second;
  }
  if (!list) {
    std::optional<std::vector<std::string>> values = LoadXPathValues(*this, path, xpath);
    if (!values) return "";
    auto loaded = std::make_shared<XPathList>();
    loaded->values = std::move(*values);
    std::lock_guard lock(mu_);
    list = xpath_lists_.emplace(key, std::move(loaded)).first->second;  // the first loaded wins
  }
  std::lock_guard lock(list->mu);
  if (list->values.empty()) return "";
  size_t row = list->next;
  list->next = (row + 1) % list->values.size();
  return list->values[row];
}

namespace function_impl {

bool FnXPath(const TemplatePart&, const Args& a, ThreadContext& ctx, std::string* out) {
  RunContext& run = Run(ctx);
  out->append(run.NextXPathValue(ResolvePath(run, a[0]), std::string(a[1])));
  return true;
}

}  // namespace function_impl
}  // namespace barrage
