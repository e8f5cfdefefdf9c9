#include "worker/xml_processors.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/css_selector.h"
#include "common/digest.h"
#include "common/java_lang.h"
#include "common/xml_document.h"
#include "worker/sample_fields.h"

namespace barrage {

namespace {

XmlParseOptions ParseOptions(const XmlParsing& p) {
  XmlParseOptions o;
  o.tolerant = p.tolerant;
  o.namespaces = p.namespaces;
  o.validate = p.validate;
  o.whitespace = p.whitespace;
  return o;
}

// XPathUtil.putValuesForXPathInList: the values of one document's matches. False when the
// expression does not evaluate.
bool CollectValues(const XmlDocument& doc, const XPathExtractor& x, const std::string& xpath, int match_number,
                   ThreadContext& ctx, std::vector<std::optional<std::string>>* out) {
  Result<XPathValue> value = doc.Evaluate(xpath, x.namespaces);
  if (!value.ok()) return false;
  if (value->type != XPathValue::Type::kNodeSet) {
    out->push_back(value->type == XPathValue::Type::kBoolean ? (value->boolean ? "true" : "false") : value->text);
    return true;
  }
  const std::vector<_xmlNode*>& nodes = value->nodes;
  int wanted = match_number;
  if (match_number == 0 && !nodes.empty()) {
    std::uniform_int_distribution<int> pick(1, static_cast<int>(nodes.size()));
    wanted = pick(ctx.rng);
  }
  bool xpath2 = x.kind == ElementKind::kXPath2Extractor;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (wanted >= 0 && static_cast<size_t>(wanted) != i + 1) continue;
    const _xmlNode* node = nodes[i];
    if (x.fragment && (node->type == XML_ELEMENT_NODE || xpath2)) {
      out->push_back(XmlDocument::Serialize(node));
    } else if (xpath2) {
      out->push_back(XmlDocument::StringValue(node));
    } else {
      out->push_back(XmlDocument::ExtractorValue(node));
    }
  }
  return true;
}

}  // namespace

void RunXPathExtractor(const XPathExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  std::string name = Evaluate(extractor.reference_name, ctx);
  vars.Put(name, Evaluate(extractor.default_value, ctx));
  const std::string match_nr = name + "_matchNr";
  int previous = 0;
  if (const std::string* old = vars.Get(match_nr)) previous = JavaParseInt(*old).value_or(0);
  vars.Remove(match_nr);

  std::string xpath = Evaluate(extractor.xpath, ctx);
  std::string match_text = Evaluate(extractor.match_number, ctx);
  int match_number = JavaIsBlank(match_text) ? -1 : JavaParseInt(JavaTrim(match_text)).value_or(-1);
  XmlParseOptions options = ParseOptions(extractor.parsing);

  std::vector<std::optional<std::string>> matches;
  auto read = [&](const std::string& text) {
    Result<std::unique_ptr<XmlDocument>> doc = XmlDocument::Parse(text, options);
    if (!doc.ok()) return false;                                                 // SAXException / TidyException
    return CollectValues(**doc, extractor, xpath, match_number, ctx, &matches);  // TransformerException
  };
  if (extractor.scope == SampleScope::kVariable) {
    const std::string* input = vars.Get(Evaluate(extractor.scope_variable, ctx));
    if (input != nullptr && !input->empty() && !read(*input)) return;
  } else {
    std::vector<const SampleResult*> samples;
    CollectScopedSamples(result, extractor.scope, &samples);
    for (const SampleResult* s : samples) {
      if (!read(s->body)) return;
    }
  }

  const size_t count = matches.size();
  vars.Put(match_nr, std::to_string(count));
  if (count > 0 && matches[0]) vars.Put(name, *matches[0]);
  for (size_t i = 0; i < count; ++i) {
    if (matches[i]) vars.Put(name + "_" + std::to_string(i + 1), *matches[i]);
  }
  vars.Remove(name + "_" + std::to_string(count + 1));
  for (int i = static_cast<int>(count) + 2; i <= previous; ++i) vars.Remove(name + "_" + std::to_string(i));
}

void RunHtmlExtractor(const HtmlExtractor& extractor, const SampleResult& result, ThreadContext& ctx) {
  Variables& vars = ctx.vars;
  std::string name = Evaluate(extractor.reference_name, ctx);
  std::string expression = Evaluate(extractor.expression, ctx);
  std::string attribute = Evaluate(extractor.attribute, ctx);
  std::string default_value = Evaluate(extractor.default_value, ctx);
  // getPropertyAsInt: empty or not a number reads 0.
  int match_number = JavaParseInt(JavaTrim(Evaluate(extractor.match_number, ctx))).value_or(0);
  if (!default_value.empty() || extractor.default_empty_value) vars.Put(name, default_value);

  Result<CssSelector> selector = CssSelector::Parse(expression);
  if (!selector.ok()) return;  // JSoup's Selector.SelectorParseException, logged by JMeter
  std::vector<std::string> matches;
  auto extract = [&](const std::string& html) {
    std::unique_ptr<XmlDocument> doc = XmlDocument::ParseHtml(html);
    for (const _xmlNode* element : selector->Select(doc->document_node())) {
      if (match_number > 0 && matches.size() == static_cast<size_t>(match_number)) break;
      matches.push_back(JavaIsBlank(attribute) ? JsoupText(element) : JsoupAttr(element, attribute));
    }
  };
  if (extractor.scope == SampleScope::kVariable) {
    const std::string* input = vars.Get(Evaluate(extractor.scope_variable, ctx));
    if (input != nullptr && !input->empty()) extract(*input);
  } else {
    std::vector<const SampleResult*> samples;
    CollectScopedSamples(result, extractor.scope, &samples);
    for (const SampleResult* s : samples) {
      extract(s->body);
      if (match_number > 0 && matches.size() == static_cast<size_t>(match_number)) break;
    }
  }

  int previous = 0;
  if (const std::string* old = vars.Get(name + "_matchNr")) {
    previous = JavaParseInt(*old).value_or(0);
    vars.Remove(name + "_matchNr");
  }
  size_t kept = 0;
  if (match_number >= 0) {
    // getCorrectMatch: the n-th, or one at random for 0; nothing past the end.
    if (!matches.empty() && static_cast<size_t>(match_number) <= matches.size()) {
      size_t index = static_cast<size_t>(match_number) - 1;
      if (match_number == 0) index = std::uniform_int_distribution<size_t>(0, matches.size() - 1)(ctx.rng);
      vars.Put(name, matches[index]);
    }
  } else {
    kept = matches.size();
    vars.Put(name + "_matchNr", std::to_string(kept));
    for (size_t i = 0; i < kept; ++i) vars.Put(name + "_" + std::to_string(i + 1), matches[i]);
  }
  for (int i = static_cast<int>(kept) + 1; i <= previous; ++i) vars.Remove(name + "_" + std::to_string(i));
}

AssertionResult RunXPathAssertion(const XPathAssertion& assertion, const SampleResult& result, ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  std::string from_variable;
  const std::string* data = &result.body;
  if (assertion.scope == SampleScope::kVariable) {
    const std::string* v = ctx.vars.Get(Evaluate(assertion.scope_variable, ctx));
    if (v != nullptr) from_variable = *v;
    data = &from_variable;
  }
  if (data->empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }
  Result<std::unique_ptr<XmlDocument>> doc = XmlDocument::Parse(*data, ParseOptions(assertion.parsing));
  if (!doc.ok()) {
    outcome.error = true;
    outcome.message = assertion.parsing.tolerant ? doc.status().message() : "SAXException: " + doc.status().message();
    return outcome;
  }
  if (!(*doc)->has_root()) {
    outcome.error = true;
    outcome.message = "Document is null, probably not parsable";
    return outcome;
  }
  std::string xpath = Evaluate(assertion.xpath, ctx);
  Result<XPathValue> value = (*doc)->Evaluate(xpath);
  if (!value.ok()) {
    outcome.error = true;
    outcome.message = "TransformerException: " + value.status().message() + " for:" + xpath;
    return outcome;
  }
  const bool negate = assertion.negate;
  switch (value->type) {
    case XPathValue::Type::kNodeSet:
      if (value->nodes.empty()) {
        outcome.failure = !negate;
        outcome.message = "No Nodes Matched " + xpath;
      } else {
        outcome.failure = negate;
        if (negate) outcome.message = "Specified XPath was found... Turn off negate if this is not desired";
      }
      break;
    case XPathValue::Type::kBoolean:
      if (!value->boolean) {
        outcome.failure = !negate;
        outcome.message = "No Nodes Matched " + xpath;
      }
      break;
    default:
      outcome.failure = true;
      outcome.message = "Cannot understand: " + xpath;
      break;
  }
  return outcome;
}

AssertionResult RunMd5HexAssertion(const Md5HexAssertion& assertion, const SampleResult& result, ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  std::string expected = Evaluate(assertion.md5_hex, ctx);
  if (result.body.empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
  } else if (expected.empty()) {
    outcome.failure = true;
    outcome.message = "MD5Hex to test against is empty";
  } else {
    std::string md5 = Md5Hex(result.body);
    std::string lower = expected;  // String.equalsIgnoreCase (md5 is lower-case ASCII)
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (md5 != lower) {
      outcome.failure = true;
      outcome.message = "Error asserting MD5 sum : got " + md5 + " but should have been " + expected;
    }
  }
  return outcome;
}

AssertionResult RunXmlAssertion(const Node& assertion, const SampleResult& result) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  if (result.body.empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }
  Result<std::unique_ptr<XmlDocument>> doc = XmlDocument::Parse(result.body, XmlParseOptions{});
  if (!doc.ok()) {
    outcome.failure = true;
    outcome.message = doc.status().message();
  }
  return outcome;
}

namespace {

struct SchemaDeleter {
  void operator()(xmlSchema* s) const { xmlSchemaFree(s); }
};

// The parsed schema of `path`, once per thread (an error message instead when it fails).
std::shared_ptr<xmlSchema> LoadSchema(const std::string& path, std::string* error) {
  thread_local std::map<std::string, std::pair<std::shared_ptr<xmlSchema>, std::string>> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    XmlInit();
    std::shared_ptr<xmlSchema> schema;
    std::string message;
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path.c_str());
    if (parser != nullptr) {
      xmlSchemaSetParserStructuredErrors(
          parser,
          [](void* out, xmlErrorPtr e) {
            auto* m = static_cast<std::string*>(out);
            if (m->empty() && e != nullptr && e->message != nullptr) *m = e->message;
          },
          &message);
      schema.reset(xmlSchemaParse(parser), SchemaDeleter());
      xmlSchemaFreeParserCtxt(parser);
    }
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (schema == nullptr && message.empty()) message = "cannot read the schema";
    it = cache.emplace(path, std::make_pair(schema, path + ": " + message)).first;
  }
  if (it->second.first == nullptr) *error = it->second.second;
  return it->second.first;
}

std::string ResolveAgainstPlan(const ThreadContext& ctx, const std::string& path) {
  if (path.empty() || path[0] == '/' || ctx.run == nullptr || ctx.run->base_dir.empty()) return path;
  std::string full = ctx.run->base_dir;
  if (full.back() != '/') full.push_back('/');
  return full + path;
}

}  // namespace

AssertionResult RunXmlSchemaAssertion(const XmlSchemaAssertion& assertion, const SampleResult& result,
                                      ThreadContext& ctx) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  if (result.body.empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }
  std::string file = Evaluate(assertion.xsd_filename, ctx);
  if (file.empty()) {
    outcome.failure = true;
    outcome.message = "FileName is required";
    return outcome;
  }
  std::string error;
  std::shared_ptr<xmlSchema> schema = LoadSchema(ResolveAgainstPlan(ctx, file), &error);
  if (schema == nullptr) {
    outcome.error = true;
    outcome.message = error;
    return outcome;
  }
  XmlParseOptions options;
  options.namespaces = true;
  Result<std::unique_ptr<XmlDocument>> doc = XmlDocument::Parse(result.body, options);
  if (!doc.ok()) {
    outcome.failure = true;
    outcome.message = "fatal: " + doc.status().message();
    return outcome;
  }
  std::string message;
  xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema.get());
  xmlSchemaSetValidStructuredErrors(
      valid,
      [](void* out, xmlErrorPtr e) {
        auto* m = static_cast<std::string*>(out);
        if (m->empty() && e != nullptr && e->message != nullptr) *m = e->message;
      },
      &message);
  int rc = xmlSchemaValidateDoc(valid, const_cast<xmlDoc*>(reinterpret_cast<const xmlDoc*>((*doc)->document_node())));
  xmlSchemaFreeValidCtxt(valid);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (rc != 0) {
    outcome.failure = true;
    outcome.message = "error: " + (message.empty() ? std::string("the document is not valid") : message);
  }
  return outcome;
}

namespace {

struct HtmlCounts {
  int64_t errors = 0;
  int64_t warnings = 0;
};

void CountHtmlError(void* ctx, const char*, ...) {
  ++static_cast<HtmlCounts*>(static_cast<htmlParserCtxtPtr>(ctx)->_private)->errors;
}
void CountHtmlWarning(void* ctx, const char*, ...) {
  ++static_cast<HtmlCounts*>(static_cast<htmlParserCtxtPtr>(ctx)->_private)->warnings;
}

}  // namespace

AssertionResult RunHtmlAssertion(const HtmlAssertion& assertion, const SampleResult& result) {
  AssertionResult outcome;
  outcome.name = assertion.name;
  if (result.body.empty()) {
    outcome.failure = true;
    outcome.message = "Response was null";
    return outcome;
  }
  XmlInit();
  HtmlCounts counts;
  htmlParserCtxtPtr ctxt = htmlCreateMemoryParserCtxt(result.body.data(), static_cast<int>(result.body.size()));
  if (ctxt == nullptr) {
    outcome.failure = true;
    outcome.message = "cannot create an HTML parser";
    return outcome;
  }
  htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET);
  ctxt->_private = &counts;
  ctxt->vctxt.error = nullptr;
  ctxt->sax->error = CountHtmlError;
  ctxt->sax->fatalError = CountHtmlError;
  ctxt->sax->warning = CountHtmlWarning;
  ctxt->sax->serror = nullptr;
  htmlParseDocument(ctxt);
  if (ctxt->myDoc != nullptr) xmlFreeDoc(ctxt->myDoc);
  htmlFreeParserCtxt(ctxt);
  if (counts.errors > assertion.error_threshold ||
      (!assertion.errors_only && counts.warnings > assertion.warning_threshold)) {
    outcome.failure = true;
    outcome.message = "Tidy Parser errors:   " + std::to_string(counts.errors) + " (allowed " +
                      std::to_string(assertion.error_threshold) +
                      ") Tidy Parser warnings: " + std::to_string(counts.warnings) + " (allowed " +
                      std::to_string(assertion.warning_threshold) + ")";
  }
  return outcome;
}

}  // namespace barrage
