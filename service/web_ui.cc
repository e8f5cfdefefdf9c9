#include "service/web_ui.h"

#include <openssl/rand.h>

#include <string>
#include <utility>

#include "common/digest.h"

namespace barrage {
namespace {

// Where index.html names the nonce of its response (the app script's nonce attribute).
constexpr std::string_view kNoncePlaceholder = "BARRAGE_CSP_NONCE";

std::string ContentSecurityPolicy(std::string_view nonce) {
  std::string sources = "'self'";
  if (!nonce.empty()) sources += " 'nonce-" + std::string(nonce) + "'";
  return "default-src 'self'; script-src " + sources + "; style-src " + sources +
         "; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

void AddHeaders(ApiResponse* r, std::string_view nonce) {
  r->headers.emplace("Cache-Control", "no-cache");
  r->headers.emplace("X-Content-Type-Options", "nosniff");
  r->headers.emplace("Referrer-Policy", "no-referrer");
  r->headers.emplace("Content-Security-Policy", ContentSecurityPolicy(nonce));
}

const WebUiFile* Find(std::string_view name) {
  for (const WebUiFile& f : WebUiFiles()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view ContentType(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return type;
  }
  return "application/octet-stream";
}

ApiResponse NotFound(std::string_view path) {
  ApiResponse r = ApiResponse::Error(404, "no such file: " + std::string(path));
  AddHeaders(&r, "");
  return r;
}

ApiResponse Index(const ApiRequest& req) {
  const WebUiFile* index = Find("index.html");
  if (index == nullptr) return NotFound(req.path);
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    return ApiResponse::Error(500, "the random generator failed: no CSP nonce for the page");
  }
  const std::string nonce = LowerHex(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  ApiResponse r;
  r.content_type = std::string(ContentType(index->name));
  r.body = std::string(index->bytes);
  for (size_t at = r.body.find(kNoncePlaceholder); at != std::string::npos;
       at = r.body.find(kNoncePlaceholder, at + nonce.size())) {
    r.body.replace(at, kNoncePlaceholder.size(), nonce);
  }
  AddHeaders(&r, nonce);
  return r;
}

ApiResponse Asset(const ApiRequest& req) {
  const std::string& name = req.params.at("file");
  const WebUiFile* file = name == "index.html" ? nullptr : Find(name);  // the page only with its nonce, at /
  if (file == nullptr) return NotFound(req.path);
  ApiResponse r;
  r.content_type = std::string(ContentType(file->name));
  r.body = std::string(file->bytes);
  AddHeaders(&r, "");
  return r;
}

}  // namespace

void AddWebUiRoutes(ApiRouter* router) {
  router->Add("GET", "/", Index);
  router->Add("GET", "/ui/{file}", Asset);
}

}  // namespace barrage
