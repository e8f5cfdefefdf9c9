// HTTP URL Re-writing Modifier: finding the session id and adding it to the request.
#include "worker/url_rewriting.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace barrage {
namespace {

// Nodes are not copyable: each test keeps its modifiers in a pool.
const UrlRewritingModifier& Modifier(bool path_extension = false, bool no_equals = false, bool no_questionmark = false,
                                     bool encode = false) {
  static std::vector<std::unique_ptr<UrlRewritingModifier>> pool;
  auto m = std::make_unique<UrlRewritingModifier>(ElementKind::kUrlRewritingModifier);
  m->path_extension = path_extension;
  m->path_extension_no_equals = no_equals;
  m->path_extension_no_questionmark = no_questionmark;
  m->encode = encode;
  pool.push_back(std::move(m));
  return *pool.back();
}

TEST(FindSessionIdTest, ParameterInALink) {
  EXPECT_EQ(FindSessionId(Modifier(), "sid", "<a href=\"/a?x=1&sid=AB12\">"), "AB12");
  EXPECT_EQ(FindSessionId(Modifier(), "sid", "<a href='/a;sid=Z9;x'>"), "Z9");
  EXPECT_EQ(FindSessionId(Modifier(), "sid", "<a href=\"/a?mysid=no\">"), "");
}

TEST(FindSessionIdTest, HiddenInputEitherAttributeOrder) {
  EXPECT_EQ(FindSessionId(Modifier(), "sid", "<input type=\"hidden\" name=\"sid\" value=\"v1\">"), "v1");
  EXPECT_EQ(FindSessionId(Modifier(), "sid", "<input type=\"hidden\" VALUE='v2' Name='sid'>"), "v2");
}

TEST(FindSessionIdTest, NameIsLiteralNotARegex) { EXPECT_EQ(FindSessionId(Modifier(), "a.b", "?axb=1&a.b=2"), "2"); }

TEST(FindSessionIdTest, PathExtensionVariants) {
  std::string body = "<a href=\"/shop;jsessionid=AB?x=1\"> <a href=\"/c;jsessionidCD\">";
  EXPECT_EQ(FindSessionId(Modifier(true), "jsessionid", body), "AB?x=1");
  EXPECT_EQ(FindSessionId(Modifier(true, false, true), "jsessionid", body), "AB");
  EXPECT_EQ(FindSessionId(Modifier(true, true, true), "jsessionid", body), "=AB");
}

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

TEST(RewriteRequestTest, ParameterReplacesTheSamplersAndGoesLast) {
  HttpRequest r = Get("http://h/a?sid=old&x=1");
  RewriteRequest(Modifier(), "sid", "N 1", &r);
  EXPECT_EQ(r.url, "http://h/a?x=1&sid=N 1");
  r = Get("http://h/a");
  RewriteRequest(Modifier(false, false, false, true), "sid", "N 1", &r);
  EXPECT_EQ(r.url, "http://h/a?sid=N+1");
}

TEST(RewriteRequestTest, FormBodyOfAPost) {
  HttpRequest r = Get("http://h/a?q=1");
  r.method = "POST";
  r.has_body = true;
  r.content_type = "application/x-www-form-urlencoded";
  r.body = "user=u&sid=old";
  RewriteRequest(Modifier(), "sid", "S", &r);
  EXPECT_EQ(r.body, "user=u&sid=S");
  EXPECT_EQ(r.url, "http://h/a?q=1");
}

TEST(RewriteRequestTest, PathExtensionReplacesAnOldOne) {
  HttpRequest r = Get("http://h/shop;jsessionid=old?x=1");
  RewriteRequest(Modifier(true), "jsessionid", "NEW", &r);
  EXPECT_EQ(r.url, "http://h/shop;jsessionid=NEW?x=1");
  r = Get("http://h/shop");
  RewriteRequest(Modifier(true, true), "jsessionid", "NEW", &r);
  EXPECT_EQ(r.url, "http://h/shop;jsessionidNEW");
}

}  // namespace
}  // namespace barrage
