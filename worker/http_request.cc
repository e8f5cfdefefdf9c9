#include "worker/http_request.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

namespace barrage {
namespace {

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '-' || c == '*' || c == '_';
}

const char kHex[] = "0123456789ABCDEF";

void AppendPercent(std::string* out, unsigned char c) {
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// Methods whose parameters travel in the query string (JMeter's HTTPSamplerBase).
bool ParametersInQuery(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "DELETE";
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// The first non-empty evaluated value of a field: the sampler's, then each HTTP Request
// Defaults in scope (innermost first).
template <typename Field>
std::string Merged(const HttpSampler& s, ThreadContext& ctx, Field field) {
  const Value& own = field(s.http);
  if (!own.empty()) return Evaluate(own, ctx);
  for (const Node* c : s.scope.configs) {
    if (c->kind != ElementKind::kConfigElement) continue;
    const Value& v = field(c->As<ConfigElement>().http);
    if (!v.empty()) return Evaluate(v, ctx);
  }
  return {};
}

std::string EncodeArgument(const Argument& a, ThreadContext& ctx) {
  std::string name = Evaluate(a.name, ctx);
  std::string value = Evaluate(a.value, ctx);
  std::string out = a.always_encode ? UrlEncode(name) : name;
  if (value.empty() && !a.use_equals) return out;
  out += '=';
  out += a.always_encode ? UrlEncode(value) : value;
  return out;
}

int64_t TimeoutMs(const std::string& text) {
  auto v = ParseInt64(text);
  return v && *v > 0 ? *v : 0;
}

bool HeaderNameIs(std::string_view header, std::string_view name) {
  return header.size() > name.size() && header[name.size()] == ':' &&
         strncasecmp(header.data(), name.data(), name.size()) == 0;
}

}  // namespace

std::string UrlEncode(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      AppendPercent(&out, c);
    }
  }
  return out;
}

std::string SanitizeUrl(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      AppendPercent(&out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Result<HttpRequest> BuildHttpRequest(const HttpSampler& s, ThreadContext& ctx) {
  HttpRequest r;
  r.method = Upper(Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.method; }));
  if (r.method.empty()) r.method = "GET";

  // Parameters: the sampler's own, then those of each defaults element in scope.
  std::vector<const Argument*> args;
  for (const Argument& a : s.http.arguments) args.push_back(&a);
  if (!s.http.post_body_raw) {
    for (const Node* c : s.scope.configs) {
      if (c->kind != ElementKind::kConfigElement) continue;
      for (const Argument& a : c->As<ConfigElement>().http.arguments) args.push_back(&a);
    }
  }

  std::string path = Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.path; });
  std::string url;
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0 ||
      path.rfind("HTTP://", 0) == 0 || path.rfind("HTTPS://", 0) == 0) {
    url = path;
  } else {
    std::string protocol = Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.protocol; });
    std::string domain = Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.domain; });
    std::string port = Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.port; });
    if (protocol.empty()) protocol = "http";
    for (char& ch : protocol) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (domain.empty()) {
      return Status::InvalidArgument("java.net.MalformedURLException|Host may not be blank");
    }
    url = protocol + "://" + domain;
    std::string_view p = TrimAscii(port);
    if (!p.empty()) {
      auto n = ParseInt64(p);
      if (!n || *n < 0 || *n > 65535) {
        return Status::InvalidArgument("java.lang.NumberFormatException|For input string: \"" + port + "\"");
      }
      bool is_default = *n == 0 || (protocol == "http" && *n == 80) || (protocol == "https" && *n == 443);
      if (!is_default) url += ":" + std::to_string(*n);
    }
    if (path.empty() || path[0] != '/') url += '/';
    url += path;
  }

  bool has_files = !s.http.files.empty();
  if ((s.http.do_multipart_post || has_files) && !ParametersInQuery(r.method) && !s.http.post_body_raw) {
    // "Use multipart/form-data": every parameter a form field, every file a file part.
    r.multipart = true;
    r.has_body = true;
    for (const Argument* a : args) {
      std::string name = Evaluate(a->name, ctx);
      if (name.empty() && a->value.empty()) continue;
      r.parts.push_back({name, Evaluate(a->value, ctx), "", ""});
    }
    for (const FileArgument& f : s.http.files) {
      std::string file = Evaluate(f.path, ctx);
      if (file.empty()) continue;
      if (file[0] != '/' && ctx.run && !ctx.run->base_dir.empty()) file = ctx.run->base_dir + "/" + file;
      r.parts.push_back({Evaluate(f.param_name, ctx), "", file, Evaluate(f.mime_type, ctx)});
    }
  } else if (s.http.post_body_raw) {
    for (const Argument* a : args) r.body += Evaluate(a->value, ctx);
    r.has_body = !args.empty();
  } else if (!args.empty()) {
    std::string encoded;
    for (const Argument* a : args) {
      std::string name = Evaluate(a->name, ctx);
      if (name.empty() && a->value.empty()) continue;  // JMeter skips empty rows
      if (!encoded.empty()) encoded += '&';
      encoded += EncodeArgument(*a, ctx);
    }
    if (ParametersInQuery(r.method)) {
      if (!encoded.empty()) url += (url.find('?') == std::string::npos ? '?' : '&') + encoded;
    } else {
      r.body = std::move(encoded);
      r.has_body = true;
      r.content_type = "application/x-www-form-urlencoded";
    }
  }
  r.url = SanitizeUrl(url);

  // Headers: inner managers win per name; within one manager every row is sent.
  for (const Node* c : s.scope.configs) {
    if (c->kind != ElementKind::kHeaderManager) continue;
    size_t inherited = r.headers.size();
    for (const Header& h : c->As<HeaderManager>().headers) {
      std::string name = Evaluate(h.name, ctx);
      if (name.empty()) continue;
      bool overridden = std::any_of(r.headers.begin(), r.headers.begin() + static_cast<long>(inherited),
                                    [&](const std::string& have) { return HeaderNameIs(have, name); });
      if (overridden) continue;
      std::string value = Evaluate(h.value, ctx);
      if (strcasecmp(name.c_str(), "Accept-Encoding") == 0) r.accept_encoding = value;
      if (strcasecmp(name.c_str(), "Content-Type") == 0) r.content_type.clear();
      r.headers.push_back(name + ": " + value);
    }
  }

  const HttpFields& f = s.http;
  r.follow_redirects = f.follow_redirects || f.auto_redirects;
  r.keep_alive = f.use_keepalive;
  r.connect_timeout_ms = TimeoutMs(Merged(s, ctx, [](const HttpFields& h) -> const Value& { return h.connect_timeout; }));
  r.response_timeout_ms = TimeoutMs(Merged(s, ctx, [](const HttpFields& h) -> const Value& { return h.response_timeout; }));
  return r;
}

}  // namespace barrage
