#include "service/web_ui.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace barrage {
namespace {

ApiRouter Router() {
  ApiRouter router;
  AddWebUiRoutes(&router);
  return router;
}

ApiResponse Call(const std::string& method, const std::string& path) {
  ApiRequest r;
  r.method = method;
  r.path = path;
  return Router().Handle(r);
}

std::string HeaderOf(const ApiResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

std::string SourceFile(const std::string& name) {
  std::ifstream in(std::string(BARRAGE_WEB_UI_DIR) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The nonce of a page: the CSP's 'nonce-...' (and the same in the page's script element).
std::string NonceOf(const ApiResponse& r) {
  std::smatch m;
  const std::string csp = HeaderOf(r, "Content-Security-Policy");
  return std::regex_search(csp, m, std::regex("'nonce-([0-9a-f]+)'")) ? m[1].str() : "";
}

void ExpectSecurityHeaders(const ApiResponse& r) {
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "no-referrer");
  const std::string csp = HeaderOf(r, "Content-Security-Policy");
  EXPECT_EQ(csp.rfind("default-src 'self'; ", 0), 0u) << csp;
  EXPECT_NE(csp.find("; frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;  // no unsafe-inline, no unsafe-eval
}

TEST(WebUiTest, TheRoutesAreTheRootAndTheAssetsOutsideTheApi) {
  EXPECT_EQ(Router().Routes(), (std::vector<std::string>{"GET /", "GET /ui/{file}"}));
}

TEST(WebUiTest, TheEmbeddedFilesAreTheSourceFiles) {
  std::set<std::string> names;
  for (const WebUiFile& f : WebUiFiles()) {
    names.insert(std::string(f.name));
    EXPECT_EQ(f.bytes, SourceFile(std::string(f.name))) << f.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"index.html", "app.js", "app.css"}));
}

TEST(WebUiTest, TheRootIsTheIndexPageWithAFreshNonceInPageAndPolicy) {
  ApiResponse first = Call("GET", "/");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.content_type, "text/html; charset=utf-8");
  ExpectSecurityHeaders(first);
  const std::string nonce = NonceOf(first);
  ASSERT_EQ(nonce.size(), 32u) << HeaderOf(first, "Content-Security-Policy");
  EXPECT_EQ(HeaderOf(first, "Content-Security-Policy"),
            "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self' 'nonce-" + nonce +
                "'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'");
  EXPECT_NE(first.body.find("<script src=\"ui/app.js\" nonce=\"" + nonce + "\" defer></script>"), std::string::npos);
  EXPECT_EQ(first.body.find("BARRAGE_CSP_NONCE"), std::string::npos);
  // The page is the source with the nonce filled in; it has no inline script.
  std::string expected = SourceFile("index.html");
  expected.replace(expected.find("BARRAGE_CSP_NONCE"), 17, nonce);
  EXPECT_EQ(first.body, expected);
  const std::regex script("<script[^>]*>");
  for (auto it = std::sregex_iterator(first.body.begin(), first.body.end(), script); it != std::sregex_iterator();
       ++it) {
    EXPECT_NE(it->str().find(" src=\"ui/"), std::string::npos) << it->str();
  }
  // Each response its own nonce.
  ApiResponse second = Call("GET", "/");
  EXPECT_NE(NonceOf(second), nonce);
  EXPECT_EQ(NonceOf(second).size(), 32u);
}

TEST(WebUiTest, AssetsHaveTheirExactContentTypesAndAPolicyWithoutNonce) {
  ApiResponse js = Call("GET", "/ui/app.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, SourceFile("app.js"));
  ExpectSecurityHeaders(js);
  EXPECT_EQ(NonceOf(js), "");
  ApiResponse css = Call("GET", "/ui/app.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(css.body, SourceFile("app.css"));
  ExpectSecurityHeaders(css);
}

TEST(WebUiTest, AnUnknownFileIsAJson404WithTheSameHeaders) {
  for (const std::string path : {"/ui/nope.js", "/ui/APP.JS", "/ui/app.js.map", "/ui/index.html", "/ui/embed.cmake"}) {
    ApiResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    EXPECT_EQ(r.body, "{\"error\":\"no such file: " + path + "\"}\n");
    ExpectSecurityHeaders(r);
  }
  // Not one segment: no route at all.
  ApiResponse deeper = Call("GET", "/ui/a/app.js");
  EXPECT_EQ(deeper.status, 404);
  EXPECT_EQ(deeper.body, "{\"error\":\"no such resource: /ui/a/app.js\"}\n");
}

TEST(WebUiTest, OtherMethodsAre405WithAllowGet) {
  ApiResponse r = Call("POST", "/");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET");
  EXPECT_EQ(Call("DELETE", "/ui/app.js").status, 405);
}

}  // namespace
}  // namespace barrage
