#include "worker/html_modifiers.h"

#include <curl/curl.h>
#include <libxml/tree.h>
#include <strings.h>

#include <memory>
#include <optional>
#include <utility>

#include "common/hash_tree.h"
#include "common/xml_document.h"
#include "worker/http_request.h"
#include "worker/regex.h"

namespace barrage {

namespace {

Value Literal(std::string text) { return Value{std::move(text), nullptr}; }

bool NameIs(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && n->name != nullptr &&
         strcasecmp(reinterpret_cast<const char*>(n->name), name) == 0;
}

// DOM getNamedItem(name).getNodeValue(); nullopt when the attribute is absent.
std::optional<std::string> Attribute(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->name == nullptr || strcasecmp(reinterpret_cast<const char*>(a->name), name) != 0) continue;
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    std::string out = v != nullptr ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
  }
  return std::nullopt;
}

// getElementsByTagName: every element named `tag` under `n`, in document order.
void ElementsByTag(const xmlNode* n, const char* tag, std::vector<const xmlNode*>* out) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (NameIs(c, tag)) out->push_back(c);
    if (c->type == XML_ELEMENT_NODE) ElementsByTag(c, tag, out);
  }
}

// The parts of `href` resolved against `base` (java.net.URL(context, spec)); false when it
// does not resolve.
struct UrlParts {
  std::string protocol, host, path, query;
};
bool ResolveUrl(std::string_view base, std::string_view href, UrlParts* out) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (u == nullptr) return false;
  std::string b(base), h(href);
  const unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE;
  if (!b.empty() && curl_url_set(u.get(), CURLUPART_URL, b.c_str(), flags) != CURLUE_OK) return false;
  if (curl_url_set(u.get(), CURLUPART_URL, h.c_str(), flags) != CURLUE_OK) return false;
  auto part = [&](CURLUPart which, std::string* into) {
    char* text = nullptr;
    if (curl_url_get(u.get(), which, &text, 0) == CURLUE_OK && text != nullptr) into->assign(text);
    curl_free(text);
  };
  part(CURLUPART_SCHEME, &out->protocol);
  part(CURLUPART_HOST, &out->host);
  part(CURLUPART_PATH, &out->path);
  part(CURLUPART_QUERY, &out->query);
  return true;
}

// The URL a relative link resolves against: the page URL with the <base href> applied.
std::string LinkContext(std::string_view page_url, const std::string& base) {
  if (base.empty()) return std::string(page_url);
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  const unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE;
  std::string page(page_url);
  if (u == nullptr || curl_url_set(u.get(), CURLUPART_URL, page.c_str(), flags) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, base.c_str(), flags) != CURLUE_OK) {
    return page;
  }
  char* text = nullptr;
  std::string out = page;
  if (curl_url_get(u.get(), CURLUPART_URL, &text, 0) == CURLUE_OK && text != nullptr) out = text;
  curl_free(text);
  return out;
}

// HTTPSamplerBase.parseArguments(query): name=value pairs as written (addNonEncodedArgument).
std::vector<Argument> QueryArguments(std::string_view query) {
  std::vector<Argument> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    Argument a;
    a.name = Literal(std::string(pair.substr(0, eq)));
    if (eq != std::string_view::npos) a.value = Literal(std::string(pair.substr(eq + 1)));
    a.use_equals = eq != std::string_view::npos;
    a.metadata = a.use_equals ? "=" : "";
    if (!a.name.empty()) out.push_back(std::move(a));
  }
  return out;
}

std::optional<HtmlLink> LinkFromUrl(std::string_view context, std::string_view href, bool form) {
  UrlParts parts;
  if (!ResolveUrl(context, href, &parts)) return std::nullopt;
  HtmlLink link;
  link.form = form;
  link.protocol = std::move(parts.protocol);
  link.host = std::move(parts.host);
  link.path = std::move(parts.path);
  link.arguments = QueryArguments(parts.query);
  return link;
}

// HTTPSamplerBase.addEncodedArgument(name, value): the text URL-decoded (UTF-8), marked
// "encode" unless encoding gives the text back.
void AddEncodedArgument(const std::string& name, const std::string& value, HtmlLink* form) {
  Result<std::string> n = JavaUrlDecode(name, "UTF-8");
  Result<std::string> v = JavaUrlDecode(value, "UTF-8");
  Argument a;
  a.name = Literal(n.ok() ? *n : name);
  a.value = Literal(v.ok() ? *v : value);
  a.always_encode = UrlEncode(a.name.text) != a.name.text || UrlEncode(a.value.text) != a.value.text;
  form->arguments.push_back(std::move(a));
}

// HtmlParsingUtils.recurseForm; returns whether a form is still open after `n`.
bool RecurseForm(const xmlNode* n, std::string_view context, std::string select_name, bool in_form,
                 std::vector<std::optional<HtmlLink>>* forms) {
  auto start_form = [&]() -> bool {
    std::optional<std::string> action = Attribute(n, "action");
    if (!action) return false;
    std::optional<HtmlLink> link = LinkFromUrl(context, *action, true);
    if (!link) return false;
    forms->push_back(std::move(link));
    return true;
  };
  if (n->type == XML_ELEMENT_NODE) {
    if (in_form) {
      HtmlLink& form = *forms->back();
      auto attr = [&](const char* name) { return Attribute(n, name).value_or(""); };
      if (NameIs(n, "form")) {
        if (!start_form()) in_form = false;
      } else if (NameIs(n, "input")) {
        AddEncodedArgument(attr("name"), attr("value"), &form);
      } else if (NameIs(n, "textarea")) {
        const xmlNode* first = n->children;
        if (first != nullptr && first->type != XML_ELEMENT_NODE && first->content != nullptr) {
          AddEncodedArgument(attr("name"), reinterpret_cast<const char*>(first->content), &form);
        } else {
          Argument a;
          a.name = Literal(attr("name"));
          form.arguments.push_back(std::move(a));
        }
      } else if (NameIs(n, "select")) {
        select_name = attr("name");
      } else if (NameIs(n, "option")) {
        AddEncodedArgument(select_name, attr("value"), &form);
      }
    } else if (NameIs(n, "form")) {
      in_form = start_form();
    }
  }
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    in_form = RecurseForm(c, context, select_name, in_form, forms);
  }
  return in_form;
}

// ORO's matches(): the whole subject; an invalid pattern matches nothing.
bool FullMatch(std::string_view subject, std::string_view pattern) {
  std::string error;
  const CompiledRegex* re = CompileRegex(pattern, RegexMode::kFullMatch, &error);
  return re != nullptr && RegexTest(*re, subject);
}

bool EqualOrMatches(std::string_view subject, std::string_view pattern) {
  return subject == pattern || FullMatch(subject, pattern);
}

// URLDecoder.decode(newLink.getQueryString()): the link's parameters as "n=v&..." decoded.
std::optional<std::string> DecodedQuery(const HtmlLink& link) {
  std::string query;
  for (const Argument& a : link.arguments) {
    if (a.name.empty()) continue;
    if (!query.empty()) query += '&';
    query += a.always_encode ? UrlEncode(a.name.text) : a.name.text;
    query += a.metadata;
    query += a.always_encode ? UrlEncode(a.value.text) : a.value.text;
  }
  Result<std::string> decoded = JavaUrlDecode(query, "UTF-8");
  if (!decoded.ok()) return std::nullopt;
  return std::move(decoded).value();
}

template <typename T>
T TakeRandom(std::vector<T>& from, UserRng& rng) {
  std::uniform_int_distribution<size_t> pick(0, from.size() - 1);
  return from[pick(rng)];
}

}  // namespace

std::vector<HtmlLink> FindHtmlLinks(std::string_view html, std::string_view page_url) {
  size_t lt = html.find('<');
  std::unique_ptr<XmlDocument> doc = XmlDocument::ParseHtml(html.substr(lt == std::string_view::npos ? 0 : lt));
  const xmlNode* root = reinterpret_cast<const xmlNode*>(doc->document_node());
  std::vector<HtmlLink> out;

  std::vector<const xmlNode*> bases;
  ElementsByTag(root, "base", &bases);
  std::string context = LinkContext(page_url, bases.empty() ? "" : Attribute(bases[0], "href").value_or(""));
  auto add_links = [&](const char* tag, const char* attribute, bool skip_javascript) {
    std::vector<const xmlNode*> nodes;
    ElementsByTag(root, tag, &nodes);
    for (const xmlNode* n : nodes) {
      std::optional<std::string> href = Attribute(n, attribute);
      if (!href || (skip_javascript && href->rfind("javascript:", 0) == 0)) continue;
      if (std::optional<HtmlLink> link = LinkFromUrl(context, *href, false)) out.push_back(std::move(*link));
    }
  };
  add_links("a", "href", true);
  // Forms resolve against the page URL itself (JMeter passes result.getURL()).
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    std::vector<std::optional<HtmlLink>> forms;
    RecurseForm(c, page_url, "", false, &forms);
    for (auto& f : forms) out.push_back(std::move(*f));
  }
  add_links("frame", "src", false);
  return out;
}

bool AnchorMatches(const HtmlLink& link, const HttpFields& pattern) {
  std::optional<std::string> query = DecodedQuery(link);
  if (!query) return false;
  std::string protocol = pattern.protocol.text.empty() ? "http" : pattern.protocol.text;
  if (!EqualOrMatches(link.protocol, protocol)) return false;
  if (!pattern.domain.empty() && !EqualOrMatches(link.host, pattern.domain.text)) return false;
  if (link.path != pattern.path.text && !FullMatch(link.path, "[/]*" + pattern.path.text)) return false;
  for (const Argument& a : pattern.arguments) {
    const std::string& name = a.name.text;
    if (query->find(name + "=") != std::string::npos) continue;
    std::string error;
    const CompiledRegex* re = CompileRegex(name, RegexMode::kSearch, &error);
    if (re == nullptr || !RegexTest(*re, *query)) return false;
  }
  return true;
}

bool ApplyLinkParser(std::string_view html, std::string_view page_url, UserRng& rng, HttpFields* fields) {
  std::vector<HtmlLink> matches;
  for (HtmlLink& link : FindHtmlLinks(html, page_url)) {
    if (AnchorMatches(link, *fields)) matches.push_back(std::move(link));
  }
  if (matches.empty()) return false;
  std::uniform_int_distribution<size_t> pick(0, matches.size() - 1);
  HtmlLink& chosen = matches[pick(rng)];
  fields->domain = Literal(chosen.host);
  fields->path = Literal(chosen.path);
  fields->protocol = Literal(chosen.protocol);
  if (!chosen.form) {
    fields->arguments = std::move(chosen.arguments);
    return true;
  }
  // modifyArgument: each parameter takes one matching form field, used once.
  std::vector<Argument>& left = chosen.arguments;
  for (Argument& a : fields->arguments) {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < left.size(); ++i) {
      if (EqualOrMatches(left[i].name.text, a.name.text) && EqualOrMatches(left[i].value.text, a.value.text)) {
        candidates.push_back(i);
      }
    }
    if (candidates.empty()) continue;
    size_t i = TakeRandom(candidates, rng);
    a.name = left[i].name;
    a.value = left[i].value;
    left.erase(left.begin() + static_cast<std::ptrdiff_t>(i));
  }
  return true;
}

HttpFields ResolvedHttpFields(const HttpSampler& s, ThreadContext& ctx, bool evaluate) {
  HttpFields out = s.http;
  auto merge = [&](Value HttpFields::*field) {
    const Value* v = &(s.http.*field);
    for (const Node* c : s.scope.configs) {
      if (!v->empty()) break;
      if (c->kind == ElementKind::kConfigElement) v = &(c->As<ConfigElement>().http.*field);
    }
    out.*field = evaluate ? Literal(Evaluate(*v, ctx)) : *v;
  };
  for (Value HttpFields::*field : {&HttpFields::protocol, &HttpFields::domain, &HttpFields::port, &HttpFields::path,
                                   &HttpFields::method, &HttpFields::content_encoding, &HttpFields::connect_timeout,
                                   &HttpFields::response_timeout, &HttpFields::embedded_url_re}) {
    merge(field);
  }
  if (!s.http.post_body_raw) {
    for (const Node* c : s.scope.configs) {
      if (c->kind != ElementKind::kConfigElement) continue;
      for (const Argument& a : c->As<ConfigElement>().http.arguments) out.arguments.push_back(a);
    }
  }
  if (!evaluate) return out;
  for (Argument& a : out.arguments) {
    a.name = Literal(Evaluate(a.name, ctx));
    a.value = Literal(Evaluate(a.value, ctx));
  }
  for (FileArgument& f : out.files) {
    f.path = Literal(Evaluate(f.path, ctx));
    f.param_name = Literal(Evaluate(f.param_name, ctx));
    f.mime_type = Literal(Evaluate(f.mime_type, ctx));
  }
  return out;
}

bool ApplyParamMask(const ParamModifier& m, ThreadContext& ctx, int64_t* value, HttpFields* fields) {
  std::string name = Evaluate(m.field_name, ctx);
  for (Argument& a : fields->arguments) {
    if (a.name.text != name || a.value.text != "*") continue;
    auto number = [&](const Value& v) { return ParseInt64(Evaluate(v, ctx)).value_or(0); };
    a.value = Literal(Evaluate(m.prefix, ctx) + std::to_string(*value) + Evaluate(m.suffix, ctx));
    *value += number(m.increment);
    if (*value > number(m.upper_bound)) *value = number(m.lower_bound);
    return true;
  }
  return false;
}

}  // namespace barrage
