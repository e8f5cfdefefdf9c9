// Compiles the XML and HTML elements (issue 10): XPath Extractor, XPath2 Extractor, XPath
// Assertion, CSS Selector Extractor. Property names as JMeter saves them (XPathExtractor.*,
// XPathExtractor2.*, XPath.*, HtmlExtractor.*).
#include <libxml/xpath.h>

#include <memory>
#include <string>
#include <utility>

#include "common/css_selector.h"
#include "common/element_compiler.h"
#include "common/java_lang.h"

namespace barrage {

namespace {

XmlParsing ReadParsing(const TestElement& e, const std::string& prefix) {
  XmlParsing p;
  p.tolerant = e.GetBool(prefix + "tolerant", false);
  p.namespaces = e.GetBool(prefix + "namespace", false);
  p.validate = e.GetBool(prefix + "validate", false);
  p.whitespace = e.GetBool(prefix + "whitespace", false);
  p.quiet = e.GetBool(prefix + "quiet", true);
  p.report_errors = e.GetBool(prefix + "report_errors", false);
  p.show_warnings = e.GetBool(prefix + "show_warnings", false);
  p.download_dtds = e.GetBool(prefix + "download_dtds", false);
  return p;
}

// XPath2Extractor's namespace list: one "prefix=uri" per line.
std::vector<std::pair<std::string, std::string>> ReadNamespaces(const std::string& text, const TestElement& e,
                                                                CompileLog& log) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line(JavaTrim(std::string_view(text).substr(start, end - start)));
    start = end + 1;
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      log.Error(DescribeElement(e) + ": namespace '" + line + "' is not prefix=uri", e.line);
      continue;
    }
    out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

// True when `xpath` compiles as XPath 1.0 (libxml2).
bool IsXPath1(const std::string& xpath) {
  xmlXPathContextPtr ctx = xmlXPathNewContext(nullptr);
  if (ctx == nullptr) return true;
  ctx->error = [](void*, xmlErrorPtr) {};
  xmlXPathCompExprPtr compiled = xmlXPathCtxtCompile(ctx, BAD_CAST xpath.c_str());
  xmlXPathFreeContext(ctx);
  if (compiled == nullptr) return false;
  xmlXPathFreeCompExpr(compiled);
  return true;
}

}  // namespace

std::unique_ptr<Node> MakeXmlElement(ElementKind kind, const TestElement& e, CompileLog& log) {
  switch (kind) {
    case ElementKind::kXPathExtractor: {
      auto n = std::make_unique<XPathExtractor>(kind);
      n->reference_name = V(e, "XPathExtractor.refname");
      n->xpath = V(e, "XPathExtractor.xpathQuery");
      n->default_value = V(e, "XPathExtractor.default");
      n->match_number = V(e, "XPathExtractor.matchNumber", "-1");
      CheckWholeNumber(n->match_number, e, "XPathExtractor.matchNumber", true, log);
      n->fragment = e.GetBool("XPathExtractor.fragment", false);
      n->parsing = ReadParsing(e, "XPathExtractor.");
      n->scope = ReadScope(e);
      n->scope_variable = V(e, "Scope.variable");
      return n;
    }
    case ElementKind::kXPath2Extractor: {
      auto n = std::make_unique<XPathExtractor>(kind);
      n->reference_name = V(e, "XPathExtractor2.refname");
      n->xpath = V(e, "XPathExtractor2.xpathQuery");
      n->default_value = V(e, "XPathExtractor2.default");
      n->match_number = V(e, "XPathExtractor2.matchNumber", "-1");
      CheckWholeNumber(n->match_number, e, "XPathExtractor2.matchNumber", true, log);
      n->fragment = e.GetBool("XPathExtractor2.fragment", false);
      n->parsing.namespaces = true;  // Saxon's documents are namespace aware
      n->namespaces = ReadNamespaces(e.GetString("XPathExtractor2.namespaces", ""), e, log);
      n->scope = ReadScope(e);
      n->scope_variable = V(e, "Scope.variable");
      if (!n->xpath.empty() && !n->xpath.dynamic() && !IsXPath1(n->xpath.text)) {
        log.Error(DescribeElement(e) + ": the expression '" + n->xpath.text +
                      "' is XPath 2.0 or later; Barrage runs XPath 1.0 expressions only",
                  e.line);
      }
      return n;
    }
    case ElementKind::kXPathAssertion: {
      auto n = std::make_unique<XPathAssertion>(kind);
      n->xpath = V(e, "XPath.xpath", "/");
      n->negate = e.GetBool("XPath.negate", false);
      n->parsing = ReadParsing(e, "XPath.");
      n->scope = ReadScope(e, "Assertion.scope");
      n->scope_variable = V(e, "Scope.variable");
      return n;
    }
    case ElementKind::kHtmlExtractor: {
      auto n = std::make_unique<HtmlExtractor>(kind);
      n->reference_name = V(e, "HtmlExtractor.refname");
      n->expression = V(e, "HtmlExtractor.expr");
      n->attribute = V(e, "HtmlExtractor.attribute");
      n->default_value = V(e, "HtmlExtractor.default");
      n->default_empty_value = e.GetBool("HtmlExtractor.default_empty_value", false);
      n->match_number = V(e, "HtmlExtractor.match_number");
      CheckWholeNumber(n->match_number, e, "HtmlExtractor.match_number", true, log);
      n->implementation = e.GetString("HtmlExtractor.extractor_impl", "");
      n->scope = ReadScope(e);
      n->scope_variable = V(e, "Scope.variable");
      if (!n->expression.dynamic() && JavaIsBlank(n->expression.text)) {
        // JMeter 2.13 runs it (checked): each extraction fails (a warning in its log) and
        // the variable keeps the default value; so does worker/xml_processors.cc.
        log.Warning(DescribeElement(e) + ": the CSS selector is empty: every extraction fails and " +
                        "the variable gets the default value (as in JMeter)",
                    e.line);
      } else if (!n->expression.dynamic()) {
        Result<CssSelector> selector = CssSelector::Parse(n->expression.text);
        if (!selector.ok()) log.Error(DescribeElement(e) + ": " + selector.status().message(), e.line);
      }
      return n;
    }
    case ElementKind::kMd5HexAssertion: {
      auto n = std::make_unique<Md5HexAssertion>(kind);
      n->md5_hex = V(e, "MD5HexAssertion.size");
      return n;
    }
    case ElementKind::kXmlAssertion: return std::make_unique<Node>(kind);
    case ElementKind::kXmlSchemaAssertion: {
      auto n = std::make_unique<XmlSchemaAssertion>(kind);
      n->xsd_filename = V(e, "xmlschema_assertion_filename");
      return n;
    }
    case ElementKind::kHtmlAssertion: {
      auto n = std::make_unique<HtmlAssertion>(kind);
      n->error_threshold = e.GetInt("html_assertion_error_threshold", 0).value_or(0);
      n->warning_threshold = e.GetInt("html_assertion_warning_threshold", 0).value_or(0);
      n->doctype = e.GetString("html_assertion_doctype", "omit");
      n->format = static_cast<int>(e.GetInt("html_assertion_format", 0).value_or(0));
      n->errors_only = e.GetBool("html_assertion_errorsonly", false);
      n->filename = V(e, "html_assertion_filename");
      if (!n->filename.empty()) {
        log.Warning(DescribeElement(e) + ": the parser report is not written to '" + n->filename.text + "'", e.line);
      }
      return n;
    }
    default: return nullptr;
  }
}

}  // namespace barrage
