// HTTP/2 end to end (issue 12 item 4): HTTP Request samplers with barrage.http2 and the
// BlazeMeter HTTP/2 Sampler plugin's elements against a real nginx on loopback (h2 over TLS with
// a self-signed certificate, h2c with prior knowledge). Skipped only when nginx is absent.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/worker/engine_test_plan.h"
#include "tests/worker/nginx_test_util.h"
#include "worker/http2_mode.h"

namespace barrage {
namespace {

using engine_test::El;
using engine_test::EngineRunFixture;
using engine_test::Group;
using engine_test::Of;
using engine_test::Str;
using nginx_test::LocalNginx;

// /ok answers "hello h2\n" (9 bytes) with an x-protocol header naming the protocol nginx
// served; /missing answers 404 "missing\n" (8 bytes).
constexpr char kLocations[] =
    "    location = /ok { add_header x-protocol $server_protocol; return 200 \"hello h2\\n\"; }\n"
    "    location = /missing { return 404 \"missing\\n\"; }\n";

// What nginx sends for /ok over HTTP/2, as the sample's header text has it (the date header
// always has 29 characters): "HTTP/2.0 200 OK\r\n" 17, "server: nginx\r\n" 15,
// "date: <29>\r\n" 37, "content-type: text/plain\r\n" 26, "content-length: 9\r\n" 19,
// "x-protocol: HTTP/2.0\r\n" 22, "\r\n" 2.
constexpr int64_t kOkHeaderBytes = 17 + 15 + 37 + 26 + 19 + 22 + 2;
constexpr int64_t kOkBodyBytes = 9;

std::string HttpGet(const std::string& name, const std::string& protocol, int port, const std::string& path) {
  return El("HTTPSamplerProxy", name,
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)) +
                Str("HTTPSampler.protocol", protocol) + Str("HTTPSampler.path", path) +
                Str("HTTPSampler.method", "GET"));
}

// The plugin's 1.x sampler with its own property names (HTTP2Request.java).
std::string Http2Request(const std::string& name, const std::string& protocol, int port, const std::string& path) {
  return El("com.blazemeter.jmeter.http2.sampler.HTTP2Request", name,
            Str("HTTP2Request.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port)) +
                Str("HTTP2Request.protocol", protocol) + Str("HTTP2Request.path", path) +
                Str("HTTP2Sampler.method", "GET") + engine_test::Bool("HTTP2Request.sync_request", true));
}

class Http2RunTest : public EngineRunFixture {
 protected:
  void SetUp() override {
    if (!nginx_test::NginxAvailable()) GTEST_SKIP() << "nginx is not installed (" << nginx_test::NginxBinary() << ")";
    nginx_ = std::make_unique<LocalNginx>(kLocations);
    ASSERT_TRUE(nginx_->ready()) << nginx_->StartupOutput();
  }

  // The access log's protocols and distinct connections once it has `lines` lines.
  void ReadLog(size_t lines) {
    log_ = nginx_->AccessLog(lines);
    protocols_.clear();
    connections_.clear();
    for (const auto& w : log_) {
      ASSERT_EQ(w.size(), 4u);
      protocols_.insert(w[1]);
      connections_.insert(w[0]);
    }
  }

  std::unique_ptr<LocalNginx> nginx_;
  std::vector<std::vector<std::string>> log_;
  std::set<std::string> protocols_;
  std::set<std::string> connections_;
};

TEST_F(Http2RunTest, OptInSendsHttpsRequestsOverHttp2AndRecordsJettysReasonPhrase) {
  run_.properties.Set("barrage.http2", "true");
  std::vector<Sample> samples = Run(Group("G", 1, 3, HttpGet("ok", "https", nginx_->tls_port(), "/ok")), 1);
  std::vector<const Sample*> ok = Of(samples, "ok");
  ASSERT_EQ(ok.size(), 3u);
  for (const Sample* s : ok) {
    EXPECT_EQ(s->response_code, "200");
    EXPECT_EQ(s->response_message, "OK");  // HTTP/2 has no reason phrase: Jetty's table's
    EXPECT_TRUE(s->success);
    EXPECT_EQ(s->bytes, kOkHeaderBytes + kOkBodyBytes);
    EXPECT_GT(s->sent_bytes, 0);
    EXPECT_GE(s->latency_us, 1);
  }
  EXPECT_GT(ok[0]->connect_us, 0);  // the first request sets the connection up (TCP + TLS)
  EXPECT_EQ(ok[1]->connect_us, 0);  // the others reuse it
  ReadLog(3);
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
  EXPECT_EQ(connections_.size(), 1u);
}

TEST_F(Http2RunTest, WithoutTheOptInHttpsStaysHttp11) {
  std::vector<Sample> samples = Run(Group("G", 1, 1, HttpGet("ok", "https", nginx_->tls_port(), "/ok")), 1);
  std::vector<const Sample*> ok = Of(samples, "ok");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->response_code, "200");
  EXPECT_EQ(ok[0]->response_message, "OK");
  // HTTP/1.1 headers: the status line as sent, "Connection: keep-alive\r\n" (24) more.
  EXPECT_EQ(ok[0]->bytes, kOkHeaderBytes + 24 + kOkBodyBytes);
  ReadLog(1);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/1.1"});
}

TEST_F(Http2RunTest, OptInLeavesPlainHttpOnHttp11UnlessH2cIsAsked) {
  run_.properties.Set("barrage.http2", "true");
  std::vector<Sample> samples = Run(Group("G", 1, 1, HttpGet("ok", "http", nginx_->http_port(), "/ok")), 1);
  ASSERT_EQ(Of(samples, "ok").size(), 1u);
  EXPECT_EQ(Of(samples, "ok")[0]->response_code, "200");
  ReadLog(1);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/1.1"});
}

TEST_F(Http2RunTest, H2cOptInSpeaksHttp2WithPriorKnowledge) {
  run_.properties.Set("barrage.http2", "true");
  run_.properties.Set("barrage.http2.h2c", "true");
  std::vector<Sample> samples = Run(Group("G", 1, 2, HttpGet("ok", "http", nginx_->h2c_port(), "/ok")), 1);
  std::vector<const Sample*> ok = Of(samples, "ok");
  ASSERT_EQ(ok.size(), 2u);
  for (const Sample* s : ok) {
    EXPECT_EQ(s->response_code, "200");
    EXPECT_EQ(s->response_message, "OK");
    EXPECT_EQ(s->bytes, kOkHeaderBytes + kOkBodyBytes);
  }
  ReadLog(2);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
  // libcurl < 8.0.0 cannot reuse an h2c prior-knowledge connection: one per request then.
  EXPECT_EQ(connections_.size(), CurlReusesPriorKnowledgeConnections() ? 1u : 2u);
}

TEST_F(Http2RunTest, UsersOfOneLoopMultiplexOnOneConnection) {
  run_.properties.Set("barrage.http2", "true");
  constexpr int kUsers = 8, kLoops = 5;
  std::vector<Sample> samples = Run(Group("G", kUsers, kLoops, HttpGet("ok", "https", nginx_->tls_port(), "/ok")), 1);
  std::vector<const Sample*> ok = Of(samples, "ok");
  ASSERT_EQ(ok.size(), static_cast<size_t>(kUsers * kLoops));
  for (const Sample* s : ok) {
    EXPECT_EQ(s->response_code, "200");
    EXPECT_EQ(s->bytes, kOkHeaderBytes + kOkBodyBytes);
  }
  ReadLog(kUsers * kLoops);
  ASSERT_EQ(log_.size(), static_cast<size_t>(kUsers * kLoops));
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
  // The 8 users started together; the requests that found the connection still being set up
  // waited for it (CURLOPT_PIPEWAIT) and became streams on it.
  EXPECT_EQ(connections_.size(), 1u);
}

TEST_F(Http2RunTest, Http2RequestElementRecordsSamplesAsThePluginDoes) {
  std::vector<Sample> samples = Run(Group("G", 1, 1,
                                          Http2Request("ok", "https", nginx_->tls_port(), "/ok") +
                                              Http2Request("missing", "https", nginx_->tls_port(), "/missing")),
                                    1);
  std::vector<const Sample*> ok = Of(samples, "ok");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0]->response_code, "200");
  // HTTP2StreamHandler.onHeaders: the message is the status line Jetty prints.
  EXPECT_EQ(ok[0]->response_message, "HTTP/2.0 200 OK");
  EXPECT_TRUE(ok[0]->success);
  // The plugin's header size is the header fields' text without the status line.
  EXPECT_EQ(ok[0]->bytes, kOkHeaderBytes - 17 + kOkBodyBytes);
  EXPECT_EQ(ok[0]->sent_bytes, 0);  // the plugin never sets sentBytes
  EXPECT_GT(ok[0]->connect_us, 0);
  std::vector<const Sample*> missing = Of(samples, "missing");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0]->response_code, "404");
  EXPECT_EQ(missing[0]->response_message, "HTTP/2.0 404 Not Found");
  EXPECT_FALSE(missing[0]->success);
  // server 15, date 37, content-type 26, "content-length: 8\r\n" 19, "\r\n" 2; body 8.
  EXPECT_EQ(missing[0]->bytes, 15 + 37 + 26 + 19 + 2 + 8);
  EXPECT_EQ(missing[0]->connect_us, 0);  // the same connection as the first
  ReadLog(2);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
  EXPECT_EQ(connections_.size(), 1u);
}

TEST_F(Http2RunTest, Http2RequestElementUsesH2cWithPriorKnowledgeForHttp) {
  std::vector<Sample> samples = Run(Group("G", 1, 1, Http2Request("ok", "http", nginx_->h2c_port(), "/ok")), 1);
  ASSERT_EQ(Of(samples, "ok").size(), 1u);
  EXPECT_EQ(Of(samples, "ok")[0]->response_message, "HTTP/2.0 200 OK");
  ReadLog(1);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
}

TEST_F(Http2RunTest, Http2SamplerElementForcesHttp2WithTheHttpRequestsProperties) {
  std::vector<Sample> samples = Run(
      Group("G", 1, 1,
            El("com.blazemeter.jmeter.http2.sampler.HTTP2Sampler", "ok",
               Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(nginx_->tls_port())) +
                   Str("HTTPSampler.protocol", "https") + Str("HTTPSampler.path", "/ok") +
                   Str("HTTPSampler.method", "GET"))),
      1);
  ASSERT_EQ(Of(samples, "ok").size(), 1u);
  EXPECT_EQ(Of(samples, "ok")[0]->response_code, "200");
  EXPECT_EQ(Of(samples, "ok")[0]->response_message, "OK");  // HTTP2JettyClient: the reason phrase
  EXPECT_EQ(Of(samples, "ok")[0]->bytes, kOkHeaderBytes + kOkBodyBytes);
  ReadLog(1);
  EXPECT_EQ(protocols_, std::set<std::string>{"HTTP/2.0"});
}

TEST(Http2PropertiesTest, ABadValueStopsTheRunBeforeItStarts) {
  Result<HashTree> tree = ParseJmx(engine_test::PlanXml(Group("G", 1, 1, HttpGet("ok", "https", 1, "/ok"))), "t.jmx");
  ASSERT_TRUE(tree.ok());
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  RunContext run;
  run.properties.Set("barrage.http2", "on");
  engine_test::CollectSink sink;
  Engine engine(compiled.plan, &run, EngineOptions{}, &sink);
  Status prepared = engine.Prepare();
  EXPECT_EQ(prepared.message(), "property barrage.http2: 'on' is not true or false");
}

}  // namespace
}  // namespace barrage
