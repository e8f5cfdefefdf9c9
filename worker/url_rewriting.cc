#include "worker/url_rewriting.h"

#include <cctype>
#include <optional>

#include "worker/regex.h"

namespace barrage {

namespace {

// Perl5Compiler.quotemeta: every character but [A-Za-z0-9_] escaped.
std::string QuoteMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') out += '\\';
    out += c;
  }
  return out;
}

// The first non-null group of the first match of `pattern` in `text`, "" when none.
std::string FirstGroup(const std::string& pattern, std::string_view text) {
  std::string error;
  const CompiledRegex* re = CompileRegex(pattern, RegexMode::kSearch, &error);
  if (!re) return "";
  RegexMatches matches(*re);
  if (matches.Collect(text, 1) == 0) return "";
  for (size_t g = 1; g < matches.group_count(); ++g) {
    if (std::optional<std::string_view> v = matches.Group(0, g)) return std::string(*v);
  }
  return "";
}

// Removes every name=... pair named `name` from a query or form body and appends `pair`.
std::string ReplaceParameter(std::string_view params, std::string_view name, const std::string& pair) {
  std::string out;
  size_t pos = 0;
  while (pos <= params.size() && !params.empty()) {
    size_t amp = params.find('&', pos);
    if (amp == std::string_view::npos) amp = params.size();
    std::string_view item = params.substr(pos, amp - pos);
    std::string_view key = item.substr(0, item.find('='));
    if (!item.empty() && key != name) {
      if (!out.empty()) out += '&';
      out += item;
    }
    pos = amp + 1;
  }
  if (!out.empty()) out += '&';
  out += pair;
  return out;
}

}  // namespace

std::string FindSessionId(const UrlRewritingModifier& m, std::string_view name, std::string_view body) {
  std::string q = QuoteMeta(name);
  if (m.path_extension) {
    std::string value_chars = m.path_extension_no_questionmark ? "([^\"'<>&\\s;?]*)" : "([^\"'<>&\\s;]*)";
    return FirstGroup(";" + q + (m.path_extension_no_equals ? "" : "=") + value_chars, body);
  }
  return FirstGroup("[;\\?&]" + q + "=([^\"'<>&\\s;\\\\]*)" + "|\\s[Nn][Aa][Mm][Ee]\\s*=\\s*[\"']" + q +
                        "[\"'][^>]*\\s[vV][Aa][Ll][Uu][Ee]\\s*=\\s*[\"']([^\"']*)[\"']" +
                        "|\\s[vV][Aa][Ll][Uu][Ee]\\s*=\\s*[\"']([^\"']*)[\"'][^>]*\\s[Nn][Aa][Mm][Ee]\\s*=\\s*[\"']" +
                        q + "[\"']",
                    body);
}

void RewriteRequest(const UrlRewritingModifier& m, std::string_view name, std::string_view value,
                    HttpRequest* request) {
  std::string& url = request->url;
  size_t scheme = url.find("://");
  size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find_first_of("?#", path_start == std::string::npos ? 0 : path_start);
  if (m.path_extension) {
    if (path_start == std::string::npos) return;
    size_t path_end = query == std::string::npos ? url.size() : query;
    std::string path = url.substr(path_start, path_end - path_start);
    size_t old = path.find(";" + std::string(name));
    if (old != std::string::npos) path.erase(old);
    path += ";" + std::string(name) + (m.path_extension_no_equals ? "" : "=") + std::string(value);
    url.replace(path_start, path_end - path_start, path);
    return;
  }
  std::string pair = UrlEncode(name) + "=" + (m.encode ? UrlEncode(value) : std::string(value));
  if (request->has_body && !request->multipart && request->content_type == "application/x-www-form-urlencoded") {
    request->body = ReplaceParameter(request->body, UrlEncode(name), pair);
    return;
  }
  if (query != std::string::npos && url[query] == '?') {
    size_t fragment = url.find('#', query);
    std::string params =
        url.substr(query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
    url.replace(query + 1, params.size(), ReplaceParameter(params, UrlEncode(name), pair));
  } else {
    size_t at = query == std::string::npos ? url.size() : query;
    url.insert(at, "?" + pair);
  }
}

}  // namespace barrage
