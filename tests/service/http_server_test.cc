#include "service/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/host.h"
#include "tests/worker/tls_test_util.h"

namespace barrage {
namespace {

ApiRouter TestRouter() {
  ApiRouter router;
  router.Add("GET", "/api/v1/hello/{name}", [](const ApiRequest& r) {
    return ApiResponse::Json({{"hello", r.params.at("name")},
                              {"q", r.Query("q").value_or("")},
                              {"agent", r.Header("user-agent")},
                              {"from", r.remote_addr}});
  });
  router.Add("POST", "/api/v1/upload", [](const ApiRequest& r) {
    nlohmann::json parts = nlohmann::json::array();
    for (const ApiFile& f : r.files) parts.push_back({f.field, f.filename, f.content});
    return ApiResponse::Json({{"parts", parts}, {"body", r.body}}, 201);
  });
  router.Add("GET", "/api/v1/events", [](const ApiRequest&) {
    ApiResponse r;
    r.content_type = "text/event-stream";
    r.stream = [](const std::function<bool(std::string_view)>& write) {
      for (int i = 1; i <= 3; ++i) {
        if (!write("data: " + std::to_string(i) + "\n\n")) return;
      }
    };
    return r;
  });
  return router;
}

TEST(HttpServerTest, RequestsReachTheRouterWithPathQueryHeadersAndAddress) {
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind({.host = "127.0.0.1", .port = 0}, &router);
  ASSERT_TRUE(server.ok()) << server.status().message();
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result r = client.Get("/api/v1/hello/w%C3%B6rld?q=a%20b", {{"User-Agent", "test/1"}});
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r->body),
            nlohmann::json::parse(R"({"hello":"wörld","q":"a b","agent":"test/1","from":"127.0.0.1"})"));
  r = client.Get("/api/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "{\"error\":\"no such resource: /api/v1/nothing\"}\n");
  (*server)->Stop();
}

TEST(HttpServerTest, MultipartPartsArriveAsFiles) {
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind({.host = "127.0.0.1", .port = 0}, &router);
  ASSERT_TRUE(server.ok()) << server.status().message();
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::MultipartFormDataItems items = {{"plan", "<jmeterTestPlan/>", "shop.jmx", "application/xml"},
                                           {"data", "a,b\n", "users.csv", "text/csv"}};
  httplib::Result r = client.Post("/api/v1/upload", items);
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 201);
  nlohmann::json doc = nlohmann::json::parse(r->body);
  EXPECT_EQ(doc["body"], "");
  ASSERT_EQ(doc["parts"].size(), 2u);
  // A multimap by field name: "data" sorts before "plan".
  EXPECT_EQ(doc["parts"][0], nlohmann::json::parse(R"(["data","users.csv","a,b\n"])"));
  EXPECT_EQ(doc["parts"][1], nlohmann::json::parse(R"(["plan","shop.jmx","<jmeterTestPlan/>"])"));
  (*server)->Stop();
}

TEST(HttpServerTest, ABodyAboveTheLimitIs413WithTheErrorBody) {
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Bind({.host = "127.0.0.1", .port = 0, .max_body_bytes = 1000}, &router);
  ASSERT_TRUE(server.ok()) << server.status().message();
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result r = client.Post("/api/v1/upload", std::string(2000, 'x'), "application/octet-stream");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "{\"error\":\"the request body is larger than the server's limit\"}\n");
  (*server)->Stop();
}

TEST(HttpServerTest, AStreamedResponseArrivesWhole) {
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind({.host = "127.0.0.1", .port = 0}, &router);
  ASSERT_TRUE(server.ok()) << server.status().message();
  (*server)->Start();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result r = client.Get("/api/v1/events");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  EXPECT_EQ(r->body, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
  (*server)->Stop();
}

TEST(HttpServerTest, ServesHttpsWithTheConfiguredCertificate) {
  const std::string pem =
      (std::filesystem::temp_directory_path() / ("barrage-http-server-" + std::to_string(getpid()) + ".pem")).string();
  std::ofstream(pem) << tls_test::Pem({tls_test::MakeIdentity("server", "127.0.0.1")});
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> server =
      HttpServer::Bind({.host = "127.0.0.1", .port = 0, .tls_cert_file = pem, .tls_key_file = pem}, &router);
  std::filesystem::remove(pem);
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_TRUE((*server)->tls());
  (*server)->Start();
  httplib::SSLClient client("127.0.0.1", (*server)->port());
  client.enable_server_certificate_verification(false);
  httplib::Result r = client.Get("/api/v1/hello/tls");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["hello"], "tls");
  (*server)->Stop();
}

TEST(HttpServerTest, AnUnusableCertificateOrAddressIsAnErrorNamingIt) {
  ApiRouter router = TestRouter();
  Result<std::unique_ptr<HttpServer>> bad_tls = HttpServer::Bind(
      {.host = "127.0.0.1", .port = 0, .tls_cert_file = "/nonexistent/c.pem", .tls_key_file = "/nonexistent/k.pem"},
      &router);
  ASSERT_FALSE(bad_tls.ok());
  EXPECT_EQ(bad_tls.status().message(),
            "server: cannot use tls_cert_file /nonexistent/c.pem with tls_key_file /nonexistent/k.pem (unreadable, not "
            "PEM, or the key does not match)");
  Result<std::unique_ptr<HttpServer>> first = HttpServer::Bind({.host = "127.0.0.1", .port = 0}, &router);
  ASSERT_TRUE(first.ok());
  Result<std::unique_ptr<HttpServer>> second =
      HttpServer::Bind({.host = "127.0.0.1", .port = (*first)->port()}, &router);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "server: cannot listen on 127.0.0.1:" + std::to_string((*first)->port()) +
                                           " (in use, or not an address of this host)");
}

// httplib's stop() is a no-op until its accept loop runs: Start() waits for it, so a Stop()
// at once returns (it hung before).
TEST(HttpServerTest, StopRightAfterStartReturns) {
  ApiRouter router = TestRouter();
  for (int i = 0; i < 20; ++i) {
    Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind({.host = "127.0.0.1", .port = 0}, &router);
    ASSERT_TRUE(server.ok()) << server.status().message();
    (*server)->Start();
    (*server)->Stop();
  }
}

TEST(ParseListenAddressTest, AddressesAndPorts) {
  std::string host;
  int port = -1;
  ASSERT_TRUE(ParseListenAddress("127.0.0.1:8470", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8470);
  ASSERT_TRUE(ParseListenAddress("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_EQ(ParseListenAddress("::1", &host, &port).message(),
            "listen \"::1\": an IPv6 address goes in brackets (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
  EXPECT_EQ(ParseListenAddress("127.0.0.1:http", &host, &port).message(),
            "listen \"127.0.0.1:http\": the port is not a number (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
  EXPECT_EQ(ParseListenAddress("[::1:80", &host, &port).message(),
            "listen \"[::1:80\": an IPv6 address goes in brackets (expected ADDRESS:PORT, e.g. 127.0.0.1:8470)");
}

}  // namespace
}  // namespace barrage
