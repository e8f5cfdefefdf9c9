// worker/http2_mode.h: the run's HTTP/2 properties, libcurl's version per URL, and how an
// HTTP/2 response is recorded.
#include "worker/http2_mode.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include "worker/sample_result.h"

namespace barrage {
namespace {

TEST(Http2ModeTest, OffWithoutTheProperties) {
  Properties p;
  EXPECT_EQ(*Http2ModeFromProperties(p), Http2Mode::kOff);
}

TEST(Http2ModeTest, PropertiesChooseTheMode) {
  Properties p;
  p.Set("barrage.http2", " TRUE ");
  EXPECT_EQ(*Http2ModeFromProperties(p), Http2Mode::kTls);
  p.Set("barrage.http2.h2c", "true");
  EXPECT_EQ(*Http2ModeFromProperties(p), Http2Mode::kTlsAndCleartext);
  p.Set("barrage.http2", "false");
  p.Set("barrage.http2.h2c", "false");
  EXPECT_EQ(*Http2ModeFromProperties(p), Http2Mode::kOff);
}

TEST(Http2ModeTest, OtherValuesAreErrorsNamingTheProperty) {
  Properties p;
  p.Set("barrage.http2", "yes");
  Result<Http2Mode> m = Http2ModeFromProperties(p);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "property barrage.http2: 'yes' is not true or false");
  p.Set("barrage.http2", "false");
  p.Set("barrage.http2.h2c", "true");
  m = Http2ModeFromProperties(p);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "property barrage.http2.h2c=true needs barrage.http2=true");
}

TEST(Http2ModeTest, CurlVersionPerModeAndScheme) {
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kOff, "https://h/"), CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kTls, "https://h/"), CURL_HTTP_VERSION_2TLS);
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kTls, "HTTPS://h/"), CURL_HTTP_VERSION_2TLS);
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kTls, "http://h/"), CURL_HTTP_VERSION_1_1);
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kTlsAndCleartext, "http://h/"), CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  EXPECT_EQ(CurlHttpVersion(Http2Mode::kTlsAndCleartext, "https://h/"), CURL_HTTP_VERSION_2TLS);
  EXPECT_FALSE(MayUseHttp2(Http2Mode::kTls, "http://h/"));
  EXPECT_TRUE(MayUseHttp2(Http2Mode::kTls, "https://h/"));
  EXPECT_EQ(StrongerHttp2Mode(Http2Mode::kTls, Http2Mode::kOff), Http2Mode::kTls);
  EXPECT_EQ(StrongerHttp2Mode(Http2Mode::kTls, Http2Mode::kTlsAndCleartext), Http2Mode::kTlsAndCleartext);
}

TEST(Http2ModeTest, JettyReasonPhrases) {
  EXPECT_EQ(JettyReasonPhrase(200), "OK");
  EXPECT_EQ(JettyReasonPhrase(302), "Found");
  EXPECT_EQ(JettyReasonPhrase(404), "Not Found");
  EXPECT_EQ(JettyReasonPhrase(500), "Server Error");  // Jetty's wording, not "Internal Server Error"
  EXPECT_EQ(JettyReasonPhrase(599), "");
}

// libcurl's record of "HTTP/2 200" with one header and a 5-byte body.
SampleResult CurlRecord(const char* status_line) {
  SampleResult r;
  r.response_headers = std::string(status_line) + "\r\ncontent-type: text/plain\r\n\r\n";
  r.sample.bytes = static_cast<int64_t>(r.response_headers.size()) + 5;
  r.sample.sent_bytes = 40;
  r.sample.response_message = "";
  return r;
}

TEST(Http2ModeTest, ReasonPhraseRecord) {
  SampleResult r = CurlRecord("HTTP/2 200 ");
  RecordHttp2Response(Http2Record::kReasonPhrase, 200, &r);
  EXPECT_EQ(r.sample.response_message, "OK");
  EXPECT_EQ(r.response_headers, "HTTP/2.0 200 OK\r\ncontent-type: text/plain\r\n\r\n");
  EXPECT_EQ(r.sample.bytes, static_cast<int64_t>(r.response_headers.size()) + 5);
  EXPECT_EQ(r.sample.sent_bytes, 40);
}

TEST(Http2ModeTest, UnknownCodeIsItsOwnReason) {
  SampleResult r = CurlRecord("HTTP/2 599 ");
  RecordHttp2Response(Http2Record::kReasonPhrase, 599, &r);
  EXPECT_EQ(r.sample.response_message, "599");
  EXPECT_EQ(r.response_headers, "HTTP/2.0 599 599\r\ncontent-type: text/plain\r\n\r\n");
}

TEST(Http2ModeTest, StatusLineMessageRecord) {
  SampleResult r = CurlRecord("HTTP/2 404 ");
  RecordHttp2Response(Http2Record::kStatusLineMessage, 404, &r);
  EXPECT_EQ(r.sample.response_message, "HTTP/2.0 404 Not Found");
  EXPECT_EQ(r.response_headers, "HTTP/2.0 404 Not Found\r\ncontent-type: text/plain\r\n\r\n");
  // The header fields' text ("content-type: text/plain\r\n\r\n", 28) and the body.
  EXPECT_EQ(r.sample.bytes, 28 + 5);
  EXPECT_EQ(r.sample.sent_bytes, 0);
}

}  // namespace
}  // namespace barrage
