#include "common/xml_document.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <mutex>

namespace barrage {

namespace {

// libxml2's messages end with a newline.
std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void IgnoreStructuredError(void*, xmlErrorPtr) {}

// Keeps the parser's first error (Xerces stops at the first one; libxml2's lastError is the last).
void KeepFirstError(void* ctxt, xmlErrorPtr error) {
  auto* parser = static_cast<xmlParserCtxtPtr>(ctxt);
  auto* first = static_cast<std::string*>(parser->_private);
  if (first != nullptr && first->empty() && error != nullptr && error->level >= XML_ERR_ERROR &&
      error->domain != XML_FROM_NAMESPACE) {
    *first = Trimmed(error->message);
  }
}

// The qualified name "prefix:name" as a plain name (no namespace).
template <typename NodeT>
void Unqualify(NodeT* n) {
  if (n->ns != nullptr && n->ns->prefix != nullptr) {
    std::string qname =
        std::string(reinterpret_cast<const char*>(n->ns->prefix)) + ":" + reinterpret_cast<const char*>(n->name);
    xmlNodeSetName(reinterpret_cast<xmlNodePtr>(n), BAD_CAST qname.c_str());
  }
  n->ns = nullptr;
}

// A DOM that is not namespace aware: nodes have no namespace and a prefixed node is named
// by its qualified name.
void DropNamespaces(xmlNodePtr node) {
  for (xmlNodePtr n = node; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      Unqualify(n);
      for (xmlAttrPtr a = n->properties; a != nullptr; a = a->next) Unqualify(a);
      DropNamespaces(n->children);
    }
  }
}

xmlNodePtr RootOf(xmlDocPtr doc) { return doc != nullptr ? xmlDocGetRootElement(doc) : nullptr; }

}  // namespace

void XmlInit() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

Result<std::unique_ptr<XmlDocument>> XmlDocument::Parse(std::string_view text, const XmlParseOptions& options) {
  XmlInit();
  if (text.empty() && !options.tolerant) return Status::ParseError("Premature end of file.");
  int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  if (options.validate) flags |= XML_PARSE_DTDVALID | XML_PARSE_DTDLOAD;
  if (options.whitespace) flags |= XML_PARSE_NOBLANKS;
  if (options.tolerant) flags |= XML_PARSE_RECOVER;
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (ctxt == nullptr) return Status::Internal("cannot create an XML parser");
  std::string error;
  ctxt->_private = &error;
  ctxt->sax->serror = KeepFirstError;
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, text.data(), static_cast<int>(text.size()), nullptr, nullptr, flags);
  if (error.empty() && ctxt->lastError.code != XML_ERR_OK) error = Trimmed(ctxt->lastError.message);
  bool valid = ctxt->valid != 0;
  bool well_formed = ctxt->wellFormed != 0;
  xmlFreeParserCtxt(ctxt);

  if (options.tolerant && RootOf(doc) == nullptr) {
    if (doc != nullptr) xmlFreeDoc(doc);
    doc = htmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (RootOf(doc) == nullptr) {
      if (doc != nullptr) xmlFreeDoc(doc);
      return Status::ParseError(error.empty() ? "Premature end of file." : error);
    }
  } else if (!options.tolerant && (doc == nullptr || !well_formed || (options.validate && !valid))) {
    if (doc != nullptr) xmlFreeDoc(doc);
    return Status::ParseError(error.empty() ? "Document is not valid" : error);
  }
  if (!options.namespaces) DropNamespaces(RootOf(doc));
  return std::unique_ptr<XmlDocument>(new XmlDocument(doc));
}

std::unique_ptr<XmlDocument> XmlDocument::ParseHtml(std::string_view text) {
  XmlInit();
  htmlDocPtr doc = htmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, "UTF-8",
                                  HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (doc == nullptr) doc = htmlNewDocNoDtD(nullptr, nullptr);
  return std::unique_ptr<XmlDocument>(new XmlDocument(doc));
}

XmlDocument::~XmlDocument() { xmlFreeDoc(doc_); }

const _xmlNode* XmlDocument::document_node() const { return reinterpret_cast<const xmlNode*>(doc_); }

bool XmlDocument::has_root() const { return RootOf(doc_) != nullptr; }

Result<XPathValue> XmlDocument::Evaluate(
    std::string_view xpath, const std::vector<std::pair<std::string, std::string>>& extra_namespaces) const {
  std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(xmlXPathNewContext(doc_), xmlXPathFreeContext);
  if (ctx == nullptr) return Status::Internal("cannot create an XPath context");
  ctx->error = IgnoreStructuredError;
  if (xmlNodePtr root = RootOf(doc_)) {
    for (xmlNsPtr ns = root->nsDef; ns != nullptr; ns = ns->next) {
      if (ns->prefix != nullptr) xmlXPathRegisterNs(ctx.get(), ns->prefix, ns->href);
    }
  }
  for (const auto& [prefix, uri] : extra_namespaces) {
    xmlXPathRegisterNs(ctx.get(), BAD_CAST prefix.c_str(), BAD_CAST uri.c_str());
  }
  std::string expression(xpath);
  std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> obj(
      xmlXPathEvalExpression(BAD_CAST expression.c_str(), ctx.get()), xmlXPathFreeObject);
  if (obj == nullptr) {
    std::string message = Trimmed(ctx->lastError.message);
    return Status::InvalidArgument(message.empty() ? "Invalid expression" : message);
  }
  XPathValue value;
  switch (obj->type) {
    case XPATH_NODESET:
      value.type = XPathValue::Type::kNodeSet;
      if (obj->nodesetval != nullptr) {
        for (int i = 0; i < obj->nodesetval->nodeNr; ++i) value.nodes.push_back(obj->nodesetval->nodeTab[i]);
      }
      break;
    case XPATH_BOOLEAN:
      value.type = XPathValue::Type::kBoolean;
      value.boolean = obj->boolval != 0;
      break;
    case XPATH_NUMBER: {
      value.type = XPathValue::Type::kNumber;
      xmlChar* s = xmlXPathCastNumberToString(obj->floatval);
      value.text = reinterpret_cast<const char*>(s);
      xmlFree(s);
      break;
    }
    case XPATH_STRING:
      value.type = XPathValue::Type::kString;
      value.text = obj->stringval != nullptr ? reinterpret_cast<const char*>(obj->stringval) : "";
      break;
    default: return Status::Unsupported("unsupported XPath result type");
  }
  return value;
}

std::optional<std::string> XmlDocument::ExtractorValue(const _xmlNode* node) {
  switch (node->type) {
    case XML_ELEMENT_NODE: {
      const xmlNode* first = node->children;
      if (first == nullptr || first->type == XML_ELEMENT_NODE) return std::nullopt;
      return ExtractorValue(first);
    }
    case XML_ATTRIBUTE_NODE:
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
    case XML_PI_NODE: return StringValue(node);
    case XML_NAMESPACE_DECL: {
      const auto* ns = reinterpret_cast<const xmlNs*>(node);
      return ns->href != nullptr ? reinterpret_cast<const char*>(ns->href) : "";
    }
    default: return std::nullopt;
  }
}

std::string XmlDocument::Serialize(const _xmlNode* node) {
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buffer(xmlBufferCreate(), xmlBufferFree);
  xmlNodeDump(buffer.get(), node->doc, const_cast<xmlNodePtr>(node), 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                     static_cast<size_t>(xmlBufferLength(buffer.get())));
}

std::string XmlDocument::StringValue(const _xmlNode* node) {
  if (node->type == XML_NAMESPACE_DECL) {
    const auto* ns = reinterpret_cast<const xmlNs*>(node);
    return ns->href != nullptr ? reinterpret_cast<const char*>(ns->href) : "";
  }
  xmlChar* s = xmlNodeGetContent(node);
  std::string out = s != nullptr ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  return out;
}

}  // namespace barrage
