#include "worker/http_request.h"

#include <errno.h>
#include <iconv.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <memory>

#include "common/java_lang.h"
#include "common/utf8.h"
#include "worker/source_address.h"

namespace barrage {
namespace {

bool IsUnreserved(unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '*' || c == '_'; }

void AppendPercent(std::string* out, unsigned char c) {
  out->push_back('%');
  out->push_back(JavaForHexDigit(c >> 4, /*upper=*/true));
  out->push_back(JavaForHexDigit(c & 15, /*upper=*/true));
}

// Methods whose parameters travel in the query string (JMeter 2.13's HTTPSamplerBase.getUrl).
bool ParametersInQuery(std::string_view method) { return method == "GET" || method == "DELETE"; }

// Methods that never send a body (and so never a multipart one).
bool BodylessMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" || method == "DELETE";
}

// Methods HTTPHC4Impl.sendEntityData sends an entity for (PUT, PATCH, DELETE; WebDAV ones).
bool EntityMethod(std::string_view method) {
  return method == "PUT" || method == "PATCH" || method == "DELETE" || method == "PROPFIND" || method == "PROPPATCH" ||
         method == "MKCOL" || method == "COPY" || method == "MOVE" || method == "LOCK" || method == "UNLOCK" ||
         method == "REPORT" || method == "MKCALENDAR" || method == "SEARCH";
}

bool IsBlank(std::string_view s) { return TrimAscii(s).empty(); }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Java's rule for charset names: letters, digits and "-+:_." , starting with a letter or digit.
bool LegalCharsetName(std::string_view name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '+' || c == ':' || c == '_' || c == '.';
  });
}

bool IsUtf8Name(std::string_view charset) {
  auto is = [&](std::string_view name) {
    return charset.size() == name.size() && strncasecmp(charset.data(), name.data(), name.size()) == 0;
  };
  return is("utf-8") || is("utf8");
}

// One iconv converter per (to, from) pair and thread, opened on first use. nullptr when
// iconv does not know the charset.
iconv_t Converter(const std::string& to, const std::string& from) {
  struct Cache {
    std::map<std::pair<std::string, std::string>, iconv_t> converters;
    ~Cache() {
      for (auto& [key, cd] : converters) {
        if (cd != reinterpret_cast<iconv_t>(-1)) iconv_close(cd);
      }
    }
  };
  thread_local Cache cache;
  auto [it, inserted] = cache.converters.try_emplace({to, from}, reinterpret_cast<iconv_t>(-1));
  if (inserted) it->second = iconv_open(to.c_str(), from.c_str());
  if (it->second == reinterpret_cast<iconv_t>(-1)) return nullptr;
  iconv(it->second, nullptr, nullptr, nullptr, nullptr);  // initial shift state
  return it->second;
}

// Converts `in` with `cd`; each input unit iconv rejects is replaced by `replacement` and
// skipped (`skip` gives its length).
template <typename Skip>
std::string Convert(iconv_t cd, std::string_view in, std::string_view replacement, Skip skip) {
  std::string out;
  out.reserve(in.size() * 2);
  std::array<char, 256> buffer;
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  while (src_left > 0) {
    char* dst = buffer.data();
    size_t dst_left = buffer.size();
    size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    out.append(buffer.data(), buffer.size() - dst_left);
    if (rc != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ or EINVAL: an input unit the charset cannot take.
    out.append(replacement);
    size_t n = std::min(src_left, skip(static_cast<unsigned char>(*src)));
    src += n;
    src_left -= n;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  char* dst = buffer.data();
  size_t dst_left = buffer.size();
  iconv(cd, nullptr, nullptr, &dst, &dst_left);  // flush a final shift sequence
  out.append(buffer.data(), buffer.size() - dst_left);
  return out;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// The first non-empty evaluated value of a field: the sampler's, then each HTTP Request
// Defaults in scope (innermost first).
template <typename Field>
std::string Merged(const HttpSampler& s, ThreadContext& ctx, Field field) {
  const Value* v = MergedField(s, field);
  return v != nullptr ? Evaluate(*v, ctx) : std::string();
}

// One query parameter (HTTPSamplerBase.getQueryString): the name URL-encoded in UTF-8, the
// value in `charset`; an unknown charset leaves the value out. "" when the name is empty.
std::string QueryArgument(const Argument& a, const std::string& charset, ThreadContext& ctx) {
  std::string name = Evaluate(a.name, ctx);
  std::string out = a.always_encode ? UrlEncode(name) : name;
  if (out.empty()) return out;
  std::string value = Evaluate(a.value, ctx);
  if (value.empty() && !a.use_equals) return out;
  out += '=';
  if (!a.always_encode) {
    out += value;
  } else if (IsUtf8Name(charset)) {
    out += UrlEncode(value);  // the common case, without a copy
  } else if (auto bytes = EncodeText(value, charset)) {
    out += UrlEncode(*bytes);
  }
  return out;
}

Status UnsupportedEncoding(const std::string& charset) {
  return Status::InvalidArgument("java.io.UnsupportedEncodingException|" + charset);
}

// What Charset.forName(charset) throws for a name it cannot use.
Status UnsupportedCharset(const std::string& charset) {
  return Status::InvalidArgument(std::string(LegalCharsetName(charset)
                                                 ? "java.nio.charset.UnsupportedCharsetException|"
                                                 : "java.nio.charset.IllegalCharsetNameException|") +
                                 charset);
}

// The values of the parameters concatenated (HTTPHC4Impl: getSendParameterValuesAsPostBody),
// "encoded" ones URL-encoded in `value_charset`, the text then sent in `body_charset`.
Status ValuesAsBody(const std::vector<const Argument*>& args, const std::string& value_charset,
                    const std::string& body_charset, ThreadContext& ctx, std::string* body) {
  std::string text;
  for (const Argument* a : args) {
    std::string value = Evaluate(a->value, ctx);
    if (!a->always_encode) {
      text += value;
      continue;
    }
    auto bytes = EncodeText(value, value_charset);
    if (!bytes) return UnsupportedEncoding(value_charset);
    text += UrlEncode(*bytes);
  }
  auto bytes = EncodeText(text, body_charset);
  if (!bytes) return UnsupportedCharset(body_charset);
  *body = std::move(*bytes);
  return Status::Ok();
}

// A POST's named parameters as HttpClient's UrlEncodedFormEntity in `charset`, after
// URL-decoding those not marked "encoded" (HTTPHC4Impl.sendPostData).
Status FormBody(const std::vector<const Argument*>& args, const std::string& charset, ThreadContext& ctx,
                std::string* body) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const Argument* a : args) {
    std::string name = Evaluate(a->name, ctx);
    if (IsBlank(name)) continue;
    std::string value = Evaluate(a->value, ctx);
    if (!a->always_encode) {
      Result<std::string> n = JavaUrlDecode(name, charset);
      if (!n.ok()) return n.status();
      Result<std::string> v = JavaUrlDecode(value, charset);
      if (!v.ok()) return v.status();
      name = std::move(n).value();
      value = std::move(v).value();
    }
    pairs.emplace_back(std::move(name), std::move(value));
  }
  std::string out;
  for (const auto& [name, value] : pairs) {
    auto n = EncodeText(name, charset);
    auto v = EncodeText(value, charset);
    if (!n || !v) return UnsupportedCharset(charset);
    if (!out.empty()) out += '&';
    out += UrlEncode(*n);
    out += '=';
    out += UrlEncode(*v);
  }
  if (pairs.empty() && !EncodeText("", charset)) return UnsupportedCharset(charset);
  *body = std::move(out);
  return Status::Ok();
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

std::optional<std::string> EncodeText(std::string_view text, std::string_view charset) {
  if (IsUtf8Name(charset)) return std::string(text);
  if (!LegalCharsetName(charset)) return std::nullopt;
  iconv_t cd = Converter(std::string(charset), "UTF-8");
  if (cd == nullptr) return std::nullopt;
  return Convert(cd, text, "?", [](unsigned char lead) { return Utf8SequenceLength(lead); });
}

std::optional<std::string> DecodeText(std::string_view bytes, std::string_view charset) {
  if (!LegalCharsetName(charset)) return std::nullopt;
  iconv_t cd = Converter("UTF-8", std::string(charset));
  if (cd == nullptr) return std::nullopt;
  return Convert(cd, bytes, "\xEF\xBF\xBD", [](unsigned char) { return size_t{1}; });
}

std::string JavaCharsetName(std::string_view charset) {
  static const std::map<std::string, std::string> kNames = {{"utf-8", "UTF-8"},
                                                            {"utf8", "UTF-8"},
                                                            {"iso-8859-1", "ISO-8859-1"},
                                                            {"iso8859-1", "ISO-8859-1"},
                                                            {"iso8859_1", "ISO-8859-1"},
                                                            {"iso_8859_1", "ISO-8859-1"},
                                                            {"iso_8859-1", "ISO-8859-1"},
                                                            {"8859_1", "ISO-8859-1"},
                                                            {"latin1", "ISO-8859-1"},
                                                            {"l1", "ISO-8859-1"},
                                                            {"iso-latin-1", "ISO-8859-1"},
                                                            {"cp819", "ISO-8859-1"},
                                                            {"us-ascii", "US-ASCII"},
                                                            {"ascii", "US-ASCII"},
                                                            {"iso646-us", "US-ASCII"},
                                                            {"ascii7", "US-ASCII"},
                                                            {"windows-1252", "windows-1252"},
                                                            {"cp1252", "windows-1252"},
                                                            {"windows-1251", "windows-1251"},
                                                            {"cp1251", "windows-1251"},
                                                            {"windows-1250", "windows-1250"},
                                                            {"cp1250", "windows-1250"},
                                                            {"iso-8859-15", "ISO-8859-15"},
                                                            {"latin9", "ISO-8859-15"},
                                                            {"iso8859_15", "ISO-8859-15"},
                                                            {"iso-8859-2", "ISO-8859-2"},
                                                            {"utf-16", "UTF-16"},
                                                            {"utf-16be", "UTF-16BE"},
                                                            {"utf-16le", "UTF-16LE"},
                                                            {"shift_jis", "Shift_JIS"},
                                                            {"sjis", "Shift_JIS"},
                                                            {"euc-jp", "EUC-JP"},
                                                            {"euc-kr", "EUC-KR"},
                                                            {"gbk", "GBK"},
                                                            {"gb2312", "GB2312"},
                                                            {"gb18030", "GB18030"},
                                                            {"big5", "Big5"},
                                                            {"koi8-r", "KOI8-R"}};
  auto it = kNames.find(LowerAscii(charset));
  return it == kNames.end() ? std::string(charset) : it->second;
}

Result<std::string> JavaUrlDecode(std::string_view s, std::string_view charset) {
  if (charset.empty()) {
    return Status::InvalidArgument("java.io.UnsupportedEncodingException|URLDecoder: empty string enc parameter");
  }
  if (!LegalCharsetName(charset) || !EncodeText("", charset)) return UnsupportedEncoding(std::string(charset));
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
      ++i;
    } else if (c != '%') {
      out += c;
      ++i;
    } else {
      // A run of %XX escapes is one byte sequence in `charset`. Each XX is read as
      // Integer.parseInt(XX, 16) reads it (a sign is allowed, a negative value is not).
      std::string bytes;
      while (i + 2 < s.size() && s[i] == '%') {
        std::string_view hex = s.substr(i + 1, 2);
        bool negative = hex[0] == '-';
        size_t first_digit = hex[0] == '-' || hex[0] == '+' ? 1 : 0;
        int value = 0;
        for (size_t k = first_digit; k < hex.size(); ++k) {
          int d = JavaHexDigit(hex[k]);
          if (d < 0) {
            return Status::InvalidArgument(
                "java.lang.IllegalArgumentException|URLDecoder: Illegal hex characters in escape (%) pattern - "
                "Error at index " +
                std::to_string(k) + " in: \"" + std::string(hex) + "\"");
          }
          value = value * 16 + d;
        }
        if (negative && value != 0) {
          return Status::InvalidArgument(
              "java.lang.IllegalArgumentException|URLDecoder: Illegal hex characters in escape (%) pattern - "
              "negative value");
        }
        bytes += static_cast<char>(value);
        i += 3;
      }
      if (i < s.size() && s[i] == '%') {
        return Status::InvalidArgument(
            "java.lang.IllegalArgumentException|URLDecoder: Incomplete trailing escape (%) pattern");
      }
      auto text = DecodeText(bytes, charset);
      if (!text) return UnsupportedEncoding(std::string(charset));
      out += *text;
    }
  }
  return out;
}

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

namespace {

bool UnsafeInUrl(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' ||
         c == '|' || c == '}';
}

bool NeedsSanitizing(std::string_view url) {
  return std::any_of(url.begin(), url.end(), [](char c) { return UnsafeInUrl(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string SanitizeUrl(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  for (unsigned char c : url) {
    if (UnsafeInUrl(c)) {
      AppendPercent(&out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Result<HttpRequest> BuildHttpRequest(const HttpSampler& s, ThreadContext& ctx) {
  return BuildHttpRequest(s, ctx, nullptr);
}

Result<HttpRequest> BuildHttpRequest(const HttpSampler& s, ThreadContext& ctx, std::string* failed_url) {
  HttpRequest r;
  Status built = BuildHttpRequest(s, ctx, &r, failed_url);
  if (!built.ok()) return built;
  return r;
}

Status BuildHttpRequest(const HttpSampler& s, ThreadContext& ctx, HttpRequest* out, std::string* failed_url) {
  HttpRequest& r = *out;
  // Every field is set again below; strings and the header list keep their buffers.
  r.body.clear();
  r.has_body = false;
  r.content_type.clear();
  r.multipart = false;
  r.parts.clear();
  r.accept_encoding.clear();
  r.http_auth = 0;
  r.resolve.clear();
  r.dns_cache_timeout_s = 60;
  r.client_cert = nullptr;
  switch (s.http2_plugin) {
    case HttpSampler::Http2Plugin::kNone:
      r.http2 = Http2Mode::kOff;
      r.http2_record = Http2Record::kReasonPhrase;
      break;
    case HttpSampler::Http2Plugin::kHttp2Request:
      r.http2 = Http2Mode::kTlsAndCleartext;
      r.http2_record = Http2Record::kStatusLineMessage;
      break;
    case HttpSampler::Http2Plugin::kHttp2Sampler:
      r.http2 = s.http2_cleartext ? Http2Mode::kTlsAndCleartext : Http2Mode::kTls;
      r.http2_record = Http2Record::kReasonPhrase;
      break;
  }
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
  std::string& url = r.url;
  url.clear();
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0 || path.rfind("HTTP://", 0) == 0 ||
      path.rfind("HTTPS://", 0) == 0) {
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
    url.append(protocol).append("://").append(domain);
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

  // The request charset (HTTPSampler.contentEncoding); "" = none.
  std::string charset(
      TrimAscii(Merged(s, ctx, [](const HttpFields& f) -> const Value& { return f.content_encoding; })));
  // HTTPSamplerBase.getSendParameterValuesAsPostBody: a raw body, or no parameter has a name
  // (asked only for methods with a body).
  auto values_as_body = [&] {
    return s.http.post_body_raw ||
           std::none_of(args.begin(), args.end(), [&](const Argument* a) { return !Evaluate(a->name, ctx).empty(); });
  };
  bool has_files = !s.http.files.empty();
  if ((s.http.do_multipart_post || has_files) && !BodylessMethod(r.method) && !s.http.post_body_raw) {
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
  } else if (ParametersInQuery(r.method)) {
    std::string query;
    for (const Argument* a : args) {
      std::string encoded = QueryArgument(*a, charset.empty() ? "UTF-8" : charset, ctx);
      if (encoded.empty()) continue;  // JMeter skips parameters without a name
      if (!query.empty()) query += '&';
      query += encoded;
    }
    if (!query.empty()) url += (url.find('?') == std::string::npos ? '?' : '&') + query;
  }
  if (NeedsSanitizing(url)) url = SanitizeUrl(url);
  auto fail = [&](Status status) -> Status {
    if (failed_url) *failed_url = r.url;  // JMeter records the URL of a sample failing here
    return status;
  };
  if (!r.multipart && r.method == "POST") {
    // HTTPHC4Impl.sendPostData: the body is always set, with this Content-Type unless a
    // Header Manager sends one.
    Status built = values_as_body() ? ValuesAsBody(args, charset.empty() ? "UTF-8" : charset,
                                                   charset.empty() ? "ISO-8859-1" : charset, ctx, &r.body)
                                    : FormBody(args, charset.empty() ? "UTF-8" : charset, ctx, &r.body);
    if (!built.ok()) return fail(built);
    r.has_body = true;
    r.content_type = "application/x-www-form-urlencoded";
  } else if (!r.multipart && EntityMethod(r.method)) {
    // HTTPHC4Impl.sendEntityData: only parameter values become a body (an HttpClient
    // StringEntity, which brings its own Content-Type); named parameters send none.
    r.has_body = true;
    if (values_as_body()) {
      std::string body_charset = charset.empty() ? "ISO-8859-1" : charset;
      Status built = ValuesAsBody(args, body_charset, body_charset, ctx, &r.body);
      if (!built.ok()) return fail(built);
      r.content_type = "text/plain; charset=" + JavaCharsetName(body_charset);
    }
  }

  // Headers: inner managers win per name; within one manager every row is sent. The first
  // `count` entries of r.headers are this request's (the rest are buffers of an earlier one).
  size_t count = 0;
  for (const Node* c : s.scope.configs) {
    if (c->kind != ElementKind::kHeaderManager) continue;
    size_t inherited = count;
    for (const Header& h : c->As<HeaderManager>().headers) {
      std::string name = Evaluate(h.name, ctx);
      if (name.empty()) continue;
      bool overridden = std::any_of(r.headers.begin(), r.headers.begin() + static_cast<long>(inherited),
                                    [&](const std::string& have) { return HeaderNameIs(have, name); });
      if (overridden) continue;
      if (count == r.headers.size()) r.headers.emplace_back();
      std::string& line = r.headers[count++];
      line.assign(name).append(": ");
      size_t value_at = line.size();
      if (h.value.parsed) {
        EvaluateInto(*h.value.parsed, ctx, &line);
      } else {
        line.append(h.value.text);
      }
      std::string_view value = std::string_view(line).substr(value_at);
      if (strcasecmp(name.c_str(), "Accept-Encoding") == 0) r.accept_encoding.assign(value);
      if (strcasecmp(name.c_str(), "Content-Type") == 0) r.content_type.clear();
    }
  }
  r.headers.resize(count);

  const HttpFields& f = s.http;
  r.follow_redirects = f.follow_redirects || f.auto_redirects;
  r.keep_alive = f.use_keepalive;
  r.connect_timeout_ms =
      TimeoutMs(Merged(s, ctx, [](const HttpFields& h) -> const Value& { return h.connect_timeout; }));
  r.response_timeout_ms =
      TimeoutMs(Merged(s, ctx, [](const HttpFields& h) -> const Value& { return h.response_timeout; }));
  // The source address (HTTPAbstractImpl.getIpSourceAddress, asked before anything is sent);
  // its type is the sampler's.
  r.source_address.clear();
  std::string ip_source = Merged(s, ctx, [](const HttpFields& h) -> const Value& { return h.ip_source; });
  if (!ip_source.empty()) {
    Result<std::string> source = ResolveSourceAddress(ip_source, s.http.ip_source_type);
    if (!source.ok()) {
      if (failed_url) *failed_url = r.url;
      return Status::InvalidArgument("java.net.UnknownHostException|" + source.status().message());
    }
    r.source_address = std::move(*source);
  }
  return Status::Ok();
}

}  // namespace barrage
