// The engine's own HTTP/1.1 path (Http1Connection through HttpTransfer) against scripted raw
// servers on 127.0.0.1: it must send the very bytes libcurl sends and record the same Sample
// fields, and handle connection reuse, closes, retries, malformed responses and timeouts.
#include "worker/http1_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/fixture/dns_responder.h"
#include "tests/fixture/fixture_server.h"
#include "tests/worker/transfer_test_util.h"
#include "worker/event_loop.h"
#include "worker/host_cache.h"
#include "worker/http_transfer.h"
#include "worker/source_address.h"

namespace barrage {
namespace {

// What the scripted server does with one request.
struct Step {
  std::string reply;         // bytes sent back (may be partial or malformed)
  bool close_after = false;  // close the connection after the reply
};

// Accepts connections on 127.0.0.1 one at a time; each request read (head plus a
// Content-Length body) takes the next step. Records every request's bytes. Stopped and
// joined by the destructor.
class ScriptedServer {
 public:
  // `replace_port`: "PORT" in replies becomes the server's port.
  explicit ScriptedServer(std::vector<Step> steps, int backlog = 16, bool replace_port = false)
      : steps_(std::move(steps)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, backlog), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (replace_port) {
      for (Step& step : steps_) {
        for (size_t at; (at = step.reply.find("PORT")) != std::string::npos;)
          step.reply.replace(at, 4, std::to_string(port_));
      }
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int connections() const { return connections_; }
  // The address each connection came from.
  std::vector<std::string> peers() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

 private:
  bool WaitReadable(int fd) {
    for (int i = 0; i < 100 && !stop_; ++i) {  // at most 10 s
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) return true;
    }
    return false;
  }
  void Serve() {
    size_t next = 0;
    while (!stop_) {
      if (!WaitReadable(listen_fd_)) continue;
      sockaddr_in peer{};
      socklen_t peer_len = sizeof peer;
      int fd = accept(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len);
      if (fd < 0) continue;
      ++connections_;
      {
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        std::lock_guard<std::mutex> lock(mu_);
        peers_.push_back(text);
      }
      std::string in;
      bool open = true;
      while (open && !stop_) {
        size_t head_end;
        while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
          char buf[4096];
          if (!WaitReadable(fd)) {
            open = false;
            break;
          }
          ssize_t n = read(fd, buf, sizeof buf);
          if (n <= 0) {
            open = false;
            break;
          }
          in.append(buf, static_cast<size_t>(n));
        }
        if (!open) break;
        size_t length = 0;
        if (size_t cl = in.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
          length = std::stoul(in.substr(cl + 16));
        }
        while (in.size() < head_end + 4 + length) {
          char buf[4096];
          if (!WaitReadable(fd)) {
            open = false;
            break;
          }
          ssize_t n = read(fd, buf, sizeof buf);
          if (n <= 0) {
            open = false;
            break;
          }
          in.append(buf, static_cast<size_t>(n));
        }
        if (!open) break;
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(in.substr(0, head_end + 4 + length));
        }
        in.erase(0, head_end + 4 + length);
        if (next >= steps_.size()) break;
        const Step& step = steps_[next++];
        if (!step.reply.empty()) {
          ssize_t w = write(fd, step.reply.data(), step.reply.size());
          (void)w;
        }
        if (step.close_after) break;
      }
      close(fd);
    }
  }

  std::vector<Step> steps_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<std::string> peers_;
  std::thread thread_;
};

using transfer_test::Done;
using transfer_test::kOk;

class Http1ConnectionTest : public ::testing::Test {
 protected:
  // Runs one request to completion (bounded: 10 s) and returns what the sampler records.
  SampleResult Run(HttpTransfer& t, const HttpRequest& r) { return transfer_test::RunTransfer(loop_, t, r); }
  static HttpRequest Get(const std::string& url) { return transfer_test::GetRequest(url); }

  EventLoop loop_;
};

// The same requests through libcurl and through the fast path: identical bytes on the wire
// and identical Sample fields (timings aside).
TEST_F(Http1ConnectionTest, SendsWhatLibcurlSendsAndRecordsTheSameFields) {
  std::vector<HttpRequest> requests;
  requests.push_back(Get("/a?x=1&y=%20"));
  HttpRequest head = Get("/head");
  head.method = "HEAD";
  requests.push_back(head);
  HttpRequest form = Get("/form");
  form.method = "POST";
  form.body = "q=a+b";
  form.has_body = true;
  form.content_type = "application/x-www-form-urlencoded";
  form.headers = {"X-One: 1", "X-Blank: ", "User-Agent: barrage-test"};
  requests.push_back(form);
  HttpRequest raw = Get("/raw");
  raw.method = "PUT";
  raw.body = "{\"k\":1}";
  raw.has_body = true;
  raw.headers = {"Content-Type: application/json"};
  requests.push_back(raw);
  HttpRequest empty_post = Get("/empty");
  empty_post.method = "POST";
  requests.push_back(empty_post);
  HttpRequest bare_put = Get("/bare");
  bare_put.method = "PUT";
  requests.push_back(bare_put);
  HttpRequest del = Get("/del");
  del.method = "DELETE";
  del.keep_alive = false;
  requests.push_back(del);
  HttpRequest big = Get("/big");
  big.method = "POST";
  big.has_body = true;
  big.body = std::string(200'000, 'b');
  requests.push_back(big);

  for (const HttpRequest& base : requests) {
    std::vector<std::string> wire[2];
    size_t wire_size[2] = {0, 0};
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      ScriptedServer server({{kOk}});
      HttpRequest r = base;
      r.url = server.url(base.url);
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1) << base.url;
      wire[fast] = server.requests();
      if (!wire[fast].empty()) wire_size[fast] = wire[fast][0].size();
      // Each run has its own server: compare with the port taken out.
      std::string port = ":" + std::to_string(server.port());
      for (std::string& w : wire[fast]) w.replace(w.find(port), port.size(), ":PORT");
      results[fast].sample.url.replace(0, r.url.size() - base.url.size(), "");
    }
    ASSERT_EQ(wire[0].size(), 1u) << base.url;
    ASSERT_EQ(wire[1].size(), 1u) << base.url;
    EXPECT_EQ(wire[1][0], wire[0][0]) << base.method << " " << base.url;
    const Sample& c = results[0].sample;
    const Sample& f = results[1].sample;
    EXPECT_EQ(f.response_code, c.response_code) << base.url;
    EXPECT_EQ(f.response_message, c.response_message) << base.url;
    EXPECT_EQ(f.success, c.success) << base.url;
    EXPECT_EQ(f.bytes, c.bytes) << base.url;
    // sentBytes is what went on the wire. libcurl leaves out a body it sends apart from the
    // headers (over 64 KiB), so it agrees only for smaller bodies.
    EXPECT_EQ(f.sent_bytes, static_cast<int64_t>(wire_size[1])) << base.url;
    if (base.body.size() < 65536) {
      EXPECT_EQ(c.sent_bytes, f.sent_bytes) << base.url;
    }
    EXPECT_EQ(f.url, c.url) << base.url;
    EXPECT_EQ(f.data_type, c.data_type) << base.url;
    EXPECT_EQ(results[1].response_headers, results[0].response_headers) << base.url;
    EXPECT_EQ(results[1].body, results[0].body) << base.url;
    EXPECT_EQ(results[1].content_type, results[0].content_type) << base.url;
    EXPECT_EQ(results[1].request_headers, results[0].request_headers) << base.url;
    EXPECT_GT(f.connect_us, 0) << base.url;
    EXPECT_GE(f.latency_us, f.connect_us) << base.url;
    EXPECT_GE(f.elapsed_us, f.latency_us) << base.url;
  }
}

// Redirects followed on the fast path (relative Location), and handed to libcurl half-way
// (a Location naming "localhost", which the fast path leaves to libcurl): the same fields
// as libcurl following the whole chain.
TEST_F(Http1ConnectionTest, FollowedRedirectsRecordWhatLibcurlRecords) {
  for (const std::string& second_hop : {std::string("/final"), std::string("http://localhost:PORT/final")}) {
    SampleResult results[2];
    std::vector<std::string> wire[2];
    int connections[2] = {0, 0};
    for (int fast = 0; fast < 2; ++fast) {
      // The port is only known once the server runs: it fills in the PORT placeholder.
      ScriptedServer server(
          {{"HTTP/1.1 302 Found\r\nLocation: /hop\r\nContent-Length: 3\r\n\r\nabc"},
           // Another host: its connection is the server's next one.
           {"HTTP/1.1 301 Moved Permanently\r\nLocation: " + second_hop + "\r\nContent-Length: 0\r\n\r\n",
            /*close_after=*/second_hop[0] != '/'},
           {kOk}},
          16, /*replace_port=*/true);
      HttpRequest r = Get(server.url("/start"));
      r.follow_redirects = true;
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      wire[fast] = server.requests();
      connections[fast] = server.connections();
      std::string port_text = std::to_string(server.port());
      for (std::string& w : wire[fast]) {
        for (size_t at; (at = w.find(port_text)) != std::string::npos;) w.replace(at, port_text.size(), "PORT");
      }
      results[fast].sample.url.replace(results[fast].sample.url.find(port_text), port_text.size(), "PORT");
    }
    const Sample& c = results[0].sample;
    const Sample& f = results[1].sample;
    EXPECT_EQ(wire[1], wire[0]) << second_hop;
    EXPECT_EQ(connections[1], connections[0]) << second_hop;
    EXPECT_EQ(f.response_code, "200") << second_hop;
    EXPECT_EQ(f.response_code, c.response_code) << second_hop;
    EXPECT_EQ(f.url, c.url) << second_hop;
    EXPECT_EQ(f.bytes, c.bytes) << second_hop;
    EXPECT_EQ(f.sent_bytes, c.sent_bytes) << second_hop;
    EXPECT_EQ(results[1].response_headers, results[0].response_headers) << second_hop;
    EXPECT_EQ(results[1].body, "hello") << second_hop;
    EXPECT_GT(f.connect_us, 0) << second_hop;
    EXPECT_GE(f.elapsed_us, f.latency_us) << second_hop;
  }
}

TEST_F(Http1ConnectionTest, TooManyRedirectsFailLikeLibcurl) {
  std::vector<Step> loop(21, Step{"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"});
  SampleResult results[2];
  for (int fast = 0; fast < 2; ++fast) {
    ScriptedServer server(loop);
    HttpRequest r = Get(server.url("/again"));
    r.follow_redirects = true;
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    results[fast] = Run(t, r);
    EXPECT_EQ(server.requests().size(), 21u);
  }
  EXPECT_EQ(results[1].sample.response_code, "Non HTTP response code: java.io.IOException");
  EXPECT_EQ(results[1].sample.response_code, results[0].sample.response_code);
  EXPECT_EQ(results[1].sample.response_message, results[0].sample.response_message);
}

TEST_F(Http1ConnectionTest, ReusedConnectionHasZeroConnectTime) {
  ScriptedServer server({{kOk}, {kOk}});
  HttpTransfer t;
  SampleResult first = Run(t, Get(server.url("/1")));
  SampleResult second = Run(t, Get(server.url("/2")));
  EXPECT_TRUE(t.used_fast_path());
  EXPECT_GT(first.sample.connect_us, 0);
  EXPECT_EQ(second.sample.connect_us, 0);
  EXPECT_EQ(second.sample.response_code, "200");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(Http1ConnectionTest, ServerClosingAnIdleConnectionMeansANewConnection) {
  ScriptedServer server({{kOk, /*close_after=*/true}, {kOk}});
  HttpTransfer t;
  Run(t, Get(server.url("/1")));
  SampleResult second = Run(t, Get(server.url("/2")));
  EXPECT_EQ(second.sample.response_code, "200");
  EXPECT_GT(second.sample.connect_us, 0);
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(Http1ConnectionTest, RequestLostOnAReusedConnectionIsRetriedOnceOnANewOne) {
  // The server reads the second request and closes without answering (the close racing
  // with the request): like libcurl, the request is sent again on a fresh connection.
  ScriptedServer server({{kOk}, {"", /*close_after=*/true}, {kOk}});
  HttpTransfer t;
  Run(t, Get(server.url("/1")));
  SampleResult second = Run(t, Get(server.url("/2")));
  EXPECT_EQ(second.sample.response_code, "200");
  EXPECT_GT(second.sample.connect_us, 0);
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(Http1ConnectionTest, NoResponseOnANewConnectionIsNoHttpResponseException) {
  ScriptedServer server({{"", /*close_after=*/true}});
  HttpTransfer t;
  SampleResult r = Run(t, Get(server.url("/drop")));
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: org.apache.http.NoHttpResponseException");
  EXPECT_EQ(r.sample.response_message,
            "Non HTTP response message: 127.0.0.1:" + std::to_string(server.port()) + " failed to respond");
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(server.requests().size(), 1u);  // a fresh connection is not retried
}

TEST_F(Http1ConnectionTest, ResponseCutShortIsAConnectionReset) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", /*close_after=*/true}});
  HttpTransfer t;
  SampleResult r = Run(t, Get(server.url("/cut")));
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: java.net.SocketException");
  EXPECT_EQ(r.sample.response_message, "Non HTTP response message: Connection reset");
  EXPECT_GT(r.sample.latency_us, 0);
}

TEST_F(Http1ConnectionTest, MalformedResponseIsAFailedSample) {
  ScriptedServer server({{"garbage that is not HTTP\r\n\r\n", /*close_after=*/true}});
  HttpTransfer t;
  SampleResult r = Run(t, Get(server.url("/bad")));
  EXPECT_FALSE(r.sample.success);
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: org.apache.http.client.ClientProtocolException");
  EXPECT_EQ(
      r.sample.response_message,
      "Non HTTP response message: org.apache.http.ProtocolException: invalid status line (not an HTTP/1.x response)");
}

TEST_F(Http1ConnectionTest, ChunkedInterimAndHttp10Responses) {
  ScriptedServer server(
      {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
       {"HTTP/1.0 404 Not Found\r\nContent-Type: image/png\r\n\r\nxyz", /*close_after=*/true},
       {kOk}});
  HttpTransfer t;
  SampleResult chunked = Run(t, Get(server.url("/c")));
  EXPECT_EQ(chunked.body, "abc");
  EXPECT_EQ(chunked.sample.bytes,
            static_cast<int64_t>(
                std::strlen("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + 3));
  SampleResult old = Run(t, Get(server.url("/o")));
  EXPECT_EQ(old.sample.response_code, "404");
  EXPECT_EQ(old.sample.response_message, "Not Found");
  EXPECT_EQ(old.sample.data_type, "bin");
  EXPECT_EQ(old.body, "xyz");
  EXPECT_FALSE(old.sample.success);
  SampleResult after = Run(t, Get(server.url("/n")));
  EXPECT_GT(after.sample.connect_us, 0);  // HTTP/1.0 without keep-alive: not reused
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(Http1ConnectionTest, ConnectionRefusedIsAConnectException) {
  int port;
  {
    ScriptedServer closed({});
    port = closed.port();
  }
  HttpTransfer t;
  SampleResult r = Run(t, Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_TRUE(t.used_fast_path());
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: java.net.ConnectException");
  EXPECT_EQ(r.sample.response_message, "Non HTTP response message: Connection refused");
  EXPECT_EQ(r.sample.connect_us, 0);
}

TEST_F(Http1ConnectionTest, ConnectTimeoutIsAConnectTimeoutException) {
  // A listener that never accepts, its backlog filled: further SYNs go unanswered.
  ScriptedServer server({}, /*backlog=*/0);
  std::vector<int> fillers;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(server.port()));
  // The scripted server accepts one connection and then waits for its request (10 s); a
  // second one then fills the accept queue (backlog 0: one), and the request under test's
  // SYN goes unanswered. Each step is awaited: had the server's accept come after the
  // request's SYN, the freed slot would take the request, which would then connect.
  auto fill = [&] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(fd);
    return fd;
  };
  fill();
  const int64_t accept_deadline = MonotonicMicros() + 5'000'000;
  while (server.connections() < 1 && MonotonicMicros() < accept_deadline) {
    pollfd none{};
    poll(&none, 0, 5);  // the server thread's accept is observable only through its count
  }
  pollfd queued{fill(), POLLOUT, 0};
  const bool in_queue = poll(&queued, 1, 5000) == 1;  // handshake done: it holds the queue's slot
  if (server.connections() != 1 || !in_queue) {
    for (int fd : fillers) close(fd);
    FAIL() << "could not fill the accept queue: " << server.connections() << " accepted";
  }
  HttpRequest r = Get(server.url("/slow-connect"));
  r.connect_timeout_ms = 200;
  HttpTransfer t;
  int64_t start = MonotonicMicros();
  SampleResult result = Run(t, r);
  for (int fd : fillers) close(fd);
  EXPECT_EQ(result.sample.response_code, "Non HTTP response code: org.apache.http.conn.ConnectTimeoutException");
  EXPECT_EQ(result.sample.response_message, "Non HTTP response message: Connect to 127.0.0.1:" +
                                                std::to_string(server.port()) + " failed: connect timed out");
  EXPECT_GE(MonotonicMicros() - start, 200'000);
}

TEST_F(Http1ConnectionTest, CancelClosesTheConnection) {
  ScriptedServer server({{""}});  // reads the request, never answers
  HttpTransfer t;
  Done done;
  t.Start(Get(server.url("/wait")), true, &loop_, &done);
  int64_t deadline = MonotonicMicros() + 5'000'000;
  loop_.Run([&] { return server.requests().size() == 1 || MonotonicMicros() > deadline; }, nullptr);
  t.set_timed_out_reading();
  t.Cancel(&loop_, CURLE_OPERATION_TIMEDOUT);
  ASSERT_TRUE(done.done);
  SampleResult r;
  t.Finish(done.result, &r);
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: java.net.SocketTimeoutException");
  EXPECT_EQ(r.sample.response_message, "Non HTTP response message: Read timed out");
}

// Against the fixture server: each request through libcurl and through the fast path (each
// on a fresh client) records the same fields.
TEST_F(Http1ConnectionTest, FixtureEndpointsRecordTheSameFieldsOnBothPaths) {
  auto started = fixture::FixtureServer::Start({});
  ASSERT_TRUE(started.ok()) << started.status().message();
  std::unique_ptr<fixture::FixtureServer> server = std::move(started).value();
  struct Case {
    std::string method, path;
    bool follow;
  };
  for (const Case& k : std::vector<Case>{{"GET", "/hello.txt", false},
                                         {"HEAD", "/hello.txt", false},
                                         {"GET", "/bytes/1000000", false},
                                         {"GET", "/text/70000", false},
                                         {"GET", "/status/204", false},
                                         {"DELETE", "/status/503", false},
                                         {"GET", "/redirect/3", true},
                                         {"GET", "/redirect/2", false},
                                         {"GET", "/delay/20", false},
                                         {"POST", "/echo?a=1", false},
                                         {"GET", "/close", false}}) {
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      HttpRequest r = Get(server->base_url() + k.path);
      r.method = k.method;
      r.follow_redirects = k.follow;
      if (k.method == "POST") {
        r.has_body = true;
        r.body = "x=1";
        r.content_type = "application/x-www-form-urlencoded";
      }
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1) << k.path;
    }
    const Sample& c = results[0].sample;
    const Sample& f = results[1].sample;
    EXPECT_EQ(f.response_code, c.response_code) << k.method << " " << k.path;
    EXPECT_EQ(f.response_message, c.response_message) << k.path;
    EXPECT_EQ(f.success, c.success) << k.path;
    EXPECT_EQ(f.url, c.url) << k.path;
    EXPECT_EQ(f.sent_bytes, c.sent_bytes) << k.path;
    EXPECT_EQ(f.data_type, c.data_type) << k.path;
    EXPECT_EQ(results[1].body, results[0].body) << k.path;
    // The headers carry a Date: compare the sizes, which the fixture keeps fixed.
    EXPECT_EQ(f.bytes, c.bytes) << k.path;
    EXPECT_EQ(results[1].response_headers.size(), results[0].response_headers.size()) << k.path;
  }
}

TEST_F(Http1ConnectionTest, FixtureClosingTheConnectionMeansAConnectOnTheNextRequest) {
  auto started = fixture::FixtureServer::Start({});
  ASSERT_TRUE(started.ok()) << started.status().message();
  std::unique_ptr<fixture::FixtureServer> server = std::move(started).value();
  HttpTransfer t;
  SampleResult first = Run(t, Get(server->base_url() + "/close"));
  SampleResult second = Run(t, Get(server->base_url() + "/hello.txt"));
  SampleResult third = Run(t, Get(server->base_url() + "/hello.txt"));
  EXPECT_EQ(first.sample.response_code, "200");
  EXPECT_GT(second.sample.connect_us, 0);
  EXPECT_EQ(third.sample.connect_us, 0);
  EXPECT_EQ(server->connections(), 2u);
}

TEST(FastPathUrlTest, OnlyLiteralAddressesInLibcurlsOwnForm) {
  Http1Target t;
  ASSERT_TRUE(ParseFastPathUrl("http://127.0.0.1:8080/a/b?c=d", &t));
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
  EXPECT_EQ(t.target, "/a/b?c=d");
  ASSERT_TRUE(ParseFastPathUrl("http://[::1]:81/", &t));
  EXPECT_EQ(t.host_header, "[::1]:81");
  ASSERT_TRUE(ParseFastPathUrl("http://10.0.0.1/x", &t));
  EXPECT_EQ(t.host_header, "10.0.0.1");
  EXPECT_EQ(t.address_len, sizeof(sockaddr_in));
  EXPECT_EQ(t.host_name, "");
  for (const char* other :
       {"http://127.0.0.1", "http://127.0.0.1:80/", "https://127.0.0.1:443/", "http://127.0.0.1/a#f",
        "http://127.0.0.1/a/../b", "http://127.0.0.1/./b", "http://u:p@127.0.0.1/", "http://127.0.0.1:99999/",
        "http://127.0.0.1:/", "HTTP://127.0.0.1/", "http://127.1/", "http://Example.com/", "http://a..b/",
        "http://a_b/", "http://host./", "http://.host/", "http://1.2.3.0x4/", "http://[fe80::1%25lo]/"}) {
    EXPECT_FALSE(ParseFastPathUrl(other, &t)) << other;
  }
}

// Host names: the caller resolves `host_name`; the Host header is the URL's authority.
TEST(FastPathUrlTest, LowerCaseNamesAreForTheCallerToResolve) {
  Http1Target t;
  ASSERT_TRUE(ParseFastPathUrl("http://localhost:8080/a", &t));
  EXPECT_EQ(t.address_len, 0u);
  EXPECT_EQ(t.host_name, "localhost");
  EXPECT_EQ(t.port, 8080);
  EXPECT_EQ(t.host_header, "localhost:8080");
  EXPECT_EQ(t.target, "/a");
  ASSERT_TRUE(ParseFastPathUrl("http://shop-1.example.com/", &t));
  EXPECT_EQ(t.host_name, "shop-1.example.com");
  EXPECT_EQ(t.port, 80);
  EXPECT_EQ(t.host_header, "shop-1.example.com");
  // Parsing a literal afterwards forgets the name.
  ASSERT_TRUE(ParseFastPathUrl("http://127.0.0.1:81/", &t));
  EXPECT_EQ(t.host_name, "");
  EXPECT_EQ(t.port, 81);
}

// --connect-to on both paths: a URL naming a host that does not exist reaches the fixture;
// the Host header and the URL stay the plan's.
TEST_F(Http1ConnectionTest, ConnectToSendsANamedHostToTheFixtureOnBothPaths) {
  auto started = fixture::FixtureServer::Start({});
  ASSERT_TRUE(started.ok()) << started.status().message();
  std::unique_ptr<fixture::FixtureServer> server = std::move(started).value();
  ConnectToRoutes routes({ConnectToRule{"example.invalid", 0, "127.0.0.1", server->port()}});
  for (int fast = 0; fast < 2; ++fast) {
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    t.set_connect_to(&routes);
    SampleResult r = Run(t, Get("http://example.invalid/hello.txt"));
    EXPECT_EQ(t.used_fast_path(), fast == 1);
    EXPECT_EQ(r.sample.response_code, "200") << r.body;
    EXPECT_EQ(r.sample.url, "http://example.invalid/hello.txt");
    EXPECT_EQ(r.body, fixture::kHelloBody);
  }
  EXPECT_EQ(server->stats().hosts, (std::map<std::string, uint64_t>{{"example.invalid", 2}}));
}

TEST(FastPathUrlTest, ConnectToRuleGivesTheAddressAndKeepsTheHostHeader) {
  std::vector<ConnectToRule> rules = {ConnectToRule{"example.invalid", 0, "127.0.0.1", 8080},
                                      ConnectToRule{"::1", 81, "", 82},
                                      ConnectToRule{"named.invalid", 0, "localhost", 0}};
  Http1Target t;
  ASSERT_TRUE(ParseFastPathUrl("http://example.invalid/a", &t, &rules));
  EXPECT_EQ(t.host_header, "example.invalid");
  EXPECT_EQ(t.target, "/a");
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&t.address);
  EXPECT_EQ(v4->sin_family, AF_INET);
  EXPECT_EQ(ntohs(v4->sin_port), 8080);
  EXPECT_EQ(ntohl(v4->sin_addr.s_addr), 0x7f000001u);
  ASSERT_TRUE(ParseFastPathUrl("http://[::1]:81/", &t, &rules));
  EXPECT_EQ(t.host_header, "[::1]:81");
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6*>(&t.address)->sin6_port), 82);
  // A name no rule covers, or one a rule sends to another name, is resolved: the name to
  // connect to is the rule's, the Host header the URL's.
  ASSERT_TRUE(ParseFastPathUrl("http://other.invalid/a", &t, &rules));
  EXPECT_EQ(t.host_name, "other.invalid");
  ASSERT_TRUE(ParseFastPathUrl("http://named.invalid:81/a", &t, &rules));
  EXPECT_EQ(t.address_len, 0u);
  EXPECT_EQ(t.host_name, "localhost");
  EXPECT_EQ(t.port, 81);
  EXPECT_EQ(t.host_header, "named.invalid:81");
}

// Host names on the fast path (HostCache): localhost and a name asked of a DNS server: the
// same bytes on the wire and the same Sample fields as libcurl's path.
TEST_F(Http1ConnectionTest, HostNamesSendAndRecordWhatLibcurlDoes) {
  auto dns_started = fixture::DnsResponder::Start({"127.0.0.1", 0, {{"shop.test", {"127.0.0.1"}}}});
  ASSERT_TRUE(dns_started.ok()) << dns_started.status().message();
  std::unique_ptr<fixture::DnsResponder> dns = std::move(dns_started).value();
  struct Case {
    std::string host;
  };
  for (const Case& k : {Case{"localhost"}, Case{"shop.test"}}) {
    std::vector<std::string> wire[2];
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      if (fast == 0 && k.host == "shop.test") {
        results[0].sample.response_code = "skipped";  // libcurl asks the system's DNS
        continue;
      }
      ScriptedServer server({{kOk}, {kOk}});
      std::string port = std::to_string(server.port());
      HttpRequest r = Get("http://" + k.host + ":" + port + "/a?b=1");
      r.headers = {"User-Agent: barrage-test"};
      HostCache hosts(&loop_, "b", {dns->server()});
      HttpTransfer t;
      t.set_host_cache(&hosts);
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1) << k.host;
      SampleResult again = Run(t, r);  // the same connection
      EXPECT_EQ(again.sample.response_code, "200") << k.host;
      EXPECT_EQ(again.sample.connect_us, 0) << k.host;
      EXPECT_EQ(server.connections(), 1) << k.host;
      wire[fast] = server.requests();
      for (std::string& w : wire[fast]) w.replace(w.find(port), port.size(), "PORT");
      results[fast].sample.url.replace(results[fast].sample.url.find(port), port.size(), "PORT");
    }
    const Sample& f = results[1].sample;
    EXPECT_EQ(f.response_code, "200") << k.host << ": " << results[1].body;
    EXPECT_EQ(f.url, "http://" + k.host + ":PORT/a?b=1");
    EXPECT_EQ(results[1].body, "hello");
    ASSERT_EQ(wire[1].size(), 2u) << k.host;
    EXPECT_EQ(wire[1][0], "GET /a?b=1 HTTP/1.1\r\nHost: " + k.host + ":PORT\r\nUser-Agent: barrage-test\r\n\r\n");
    EXPECT_GT(f.connect_us, 0) << k.host;
    if (k.host == "shop.test") {
      EXPECT_EQ(dns->queries(), (std::map<std::string, int>{{"shop.test", 1}}));
      continue;
    }
    const Sample& c = results[0].sample;
    EXPECT_EQ(wire[1], wire[0]) << k.host;
    EXPECT_EQ(f.response_code, c.response_code) << k.host;
    EXPECT_EQ(f.response_message, c.response_message) << k.host;
    EXPECT_EQ(f.bytes, c.bytes) << k.host;
    EXPECT_EQ(f.sent_bytes, c.sent_bytes) << k.host;
    EXPECT_EQ(f.url, c.url) << k.host;
    EXPECT_EQ(results[1].response_headers, results[0].response_headers) << k.host;
    EXPECT_EQ(results[1].request_headers, results[0].request_headers) << k.host;
  }
}

// A name that does not resolve: the sample libcurl's path records for
// CURLE_COULDNT_RESOLVE_HOST (MapCurlError), with nothing sent and no time but the total.
TEST_F(Http1ConnectionTest, AnUnknownHostFailsAsOnTheLibcurlPath) {
  HostCache hosts(&loop_, "f");  // /etc/hosts only
  HttpTransfer t;
  t.set_host_cache(&hosts);
  for (int i = 0; i < 2; ++i) {  // the second answer comes from the cache
    SampleResult r = Run(t, Get("http://nonexistent.invalid:8080/x"));
    EXPECT_TRUE(t.used_fast_path());
    EXPECT_EQ(r.sample.response_code, "Non HTTP response code: java.net.UnknownHostException");
    EXPECT_EQ(r.sample.response_message, "Non HTTP response message: nonexistent.invalid: Name or service not known");
    EXPECT_EQ(r.body, "java.net.UnknownHostException: nonexistent.invalid: Name or service not known");
    EXPECT_EQ(r.sample.url, "http://nonexistent.invalid:8080/x");
    EXPECT_FALSE(r.sample.success);
    EXPECT_EQ(r.sample.bytes, 0);
    EXPECT_EQ(r.sample.sent_bytes, 0);
    EXPECT_EQ(r.sample.connect_us, 0);
    EXPECT_EQ(r.sample.latency_us, 0);
    EXPECT_GT(r.sample.elapsed_us, 0);
  }
  EXPECT_EQ(hosts.lookups_started(), 1);
}

// A stop while the name is being looked up ends the request at once (java.net.SocketException
// "Socket closed", as a stop on either path); the lookup's later answer is ignored.
TEST_F(Http1ConnectionTest, AStopDuringTheLookupEndsTheRequest) {
  auto dns_started = fixture::DnsResponder::Start({"127.0.0.1", 0, {{"slow.test", {}, /*silent=*/true}}});
  ASSERT_TRUE(dns_started.ok()) << dns_started.status().message();
  std::unique_ptr<fixture::DnsResponder> dns = std::move(dns_started).value();
  HostCache hosts(&loop_, "b", {dns->server()});
  auto t = std::make_unique<HttpTransfer>();
  t->set_host_cache(&hosts);
  Done done;
  t->Start(Get("http://slow.test:8080/"), true, &loop_, &done);
  EXPECT_FALSE(done.done);
  EXPECT_EQ(t->last_activity_us(), t->start_mono_us());  // no response timeout while resolving
  t->Cancel(&loop_, CURLE_ABORTED_BY_CALLBACK);
  ASSERT_TRUE(done.done);
  SampleResult r;
  t->Finish(done.result, &r);
  EXPECT_EQ(r.sample.response_code, "Non HTTP response code: java.net.SocketException");
  EXPECT_EQ(r.sample.response_message, "Non HTTP response message: Socket closed");
  EXPECT_EQ(r.sample.sent_bytes, 0);
  // A transfer destroyed while another lookup is pending leaves no waiter behind.
  Done second;
  t->Start(Get("http://slow.test:8080/"), true, &loop_, &second);
  t.reset();
  EXPECT_FALSE(second.done);
}

// `data` compressed by zlib: window_bits 15 + 16 gzip, 15 zlib, -15 raw deflate.
std::string Compress(const std::string& data, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Chunked(const std::string& body, size_t piece) {
  std::string out;
  char size[32];
  for (size_t at = 0; at < body.size(); at += piece) {
    std::string part = body.substr(at, piece);
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out.append(size).append(part).append("\r\n");
  }
  return out + "0\r\n\r\n";
}

// gzip and deflate responses to a request accepting them: the same wire bytes, body
// (decoded) and sizes on both paths; bytes count the body as received (compressed), as
// JMeter 2.13 does (measured: a 53-byte gzip body of 1,100 bytes with 162 header bytes is
// recorded as 215 bytes, the decoded text as the response data).
TEST_F(Http1ConnectionTest, GzipAndDeflateBodiesAreDecodedAsOnTheLibcurlPath) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i % 97) + " of a compressible body\n";
  struct Case {
    std::string name, coding, wire;
    bool chunked;
  };
  std::vector<Case> cases = {
      {"gzip", "gzip", Compress(text, 15 + 16), false},
      {"gzip chunked", "gzip", Compress(text, 15 + 16), true},
      {"x-gzip", "x-gzip", Compress(text, 15 + 16), false},
      {"deflate (zlib)", "deflate", Compress(text, 15), false},
      {"deflate (raw)", "deflate", Compress(text, -15), true},
      {"identity", "identity", text, false},
      {"none", "", text, false},
  };
  for (const Case& k : cases) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
    if (!k.coding.empty()) head += "Content-Encoding: " + k.coding + "\r\n";
    std::string reply = k.chunked ? head + "Transfer-Encoding: chunked\r\n\r\n" + Chunked(k.wire, 1000)
                                  : head + "Content-Length: " + std::to_string(k.wire.size()) + "\r\n\r\n" + k.wire;
    int64_t header_bytes = static_cast<int64_t>(reply.find("\r\n\r\n") + 4);
    SampleResult results[2];
    std::vector<std::string> wire[2];
    for (int fast = 0; fast < 2; ++fast) {
      ScriptedServer server({{reply}});
      HttpRequest r = Get(server.url("/z"));
      r.headers = {"Accept-Encoding: gzip, deflate"};
      r.accept_encoding = "gzip, deflate";
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
      EXPECT_EQ(t.used_fast_path(), fast == 1) << k.name;
      wire[fast] = server.requests();
      std::string port = ":" + std::to_string(server.port());
      for (std::string& w : wire[fast]) w.replace(w.find(port), port.size(), ":PORT");
    }
    EXPECT_EQ(wire[1], wire[0]) << k.name;
    for (int fast = 0; fast < 2; ++fast) {
      const SampleResult& r = results[fast];
      EXPECT_EQ(r.sample.response_code, "200") << k.name << " fast=" << fast << ": " << r.body.substr(0, 200);
      EXPECT_TRUE(r.body == text) << k.name << " fast=" << fast << ": " << r.body.size() << " bytes";
      EXPECT_EQ(r.sample.bytes, header_bytes + static_cast<int64_t>(k.wire.size())) << k.name << " fast=" << fast;
    }
    EXPECT_EQ(results[1].response_headers, results[0].response_headers) << k.name;
    EXPECT_EQ(results[1].sample.sent_bytes, results[0].sample.sent_bytes) << k.name;
  }
}

// A corrupt gzip body or an unknown coding fails the sample alike on both paths (libcurl's
// CURLE_BAD_CONTENT_ENCODING, a java.io.IOException with libcurl's text).
TEST_F(Http1ConnectionTest, CorruptOrUnknownEncodingsFailAsOnTheLibcurlPath) {
  std::string bad = Compress("some text that is long enough to be compressed, some text", 15 + 16);
  bad[12] = static_cast<char>(bad[12] ^ 0x55);
  bad[13] = static_cast<char>(bad[13] ^ 0x55);
  for (const std::string& reply :
       {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(bad.size()) + "\r\n\r\n" + bad,
        std::string("HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\nContent-Length: 3\r\n\r\nabc")}) {
    SampleResult results[2];
    for (int fast = 0; fast < 2; ++fast) {
      ScriptedServer server({{reply}});
      HttpRequest r = Get(server.url("/z"));
      r.headers = {"Accept-Encoding: gzip"};
      r.accept_encoding = "gzip";
      HttpTransfer t;
      t.set_fast_path_enabled(fast == 1);
      results[fast] = Run(t, r);
    }
    EXPECT_EQ(results[0].sample.response_code, "Non HTTP response code: java.io.IOException");
    EXPECT_EQ(results[1].sample.response_code, results[0].sample.response_code);
    EXPECT_EQ(results[1].sample.response_message, results[0].sample.response_message);
    EXPECT_EQ(results[1].body, results[0].body);
  }
}

// HTTPSampler.ipSource: both paths connect from the source address (the server sees
// 127.0.0.2); a request without one reuses that connection (libcurl's rule: the interface is
// compared only when the request names one), one from another source connects anew; an
// address that cannot be bound fails alike (java.net.BindException).
TEST_F(Http1ConnectionTest, SourceAddressIsBoundOnBothPaths) {
  for (int fast = 0; fast < 2; ++fast) {
    // The server serves one connection at a time: it closes the first after the third reply.
    ScriptedServer server({{kOk}, {kOk}, {kOk, /*close_after=*/true}, {kOk}});
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    HttpRequest r = Get(server.url("/"));
    r.source_address = "127.0.0.2";
    SampleResult first = Run(t, r);
    SampleResult second = Run(t, r);
    r.source_address.clear();
    SampleResult third = Run(t, r);
    r.source_address = "127.0.0.3";
    SampleResult fourth = Run(t, r);
    EXPECT_EQ(t.used_fast_path(), fast == 1);
    EXPECT_EQ(first.sample.response_code, "200") << first.body;
    EXPECT_EQ(second.sample.connect_us, 0) << "fast=" << fast;
    EXPECT_EQ(third.sample.connect_us, 0) << "fast=" << fast;
    EXPECT_GT(fourth.sample.connect_us, 0) << "fast=" << fast;
    EXPECT_EQ(fourth.sample.response_code, "200") << fourth.body;
    EXPECT_EQ(server.peers(), (std::vector<std::string>{"127.0.0.2", "127.0.0.3"})) << "fast=" << fast;
  }
  SampleResult failed[2];
  for (int fast = 0; fast < 2; ++fast) {
    ScriptedServer server({{kOk}});
    HttpTransfer t;
    t.set_fast_path_enabled(fast == 1);
    HttpRequest r = Get(server.url("/"));
    r.source_address = "192.0.2.123";  // TEST-NET-1: on no interface of a test machine
    failed[fast] = Run(t, r);
    EXPECT_EQ(server.connections(), 0);
  }
  EXPECT_EQ(failed[0].sample.response_code, "Non HTTP response code: java.net.BindException");
  EXPECT_EQ(failed[0].sample.response_message, "Non HTTP response message: Cannot assign requested address");
  EXPECT_EQ(failed[1].sample.response_code, failed[0].sample.response_code);
  EXPECT_EQ(failed[1].sample.response_message, failed[0].sample.response_message);
  EXPECT_EQ(failed[1].sample.sent_bytes, 0);
}

// A name's further addresses are tried in order when connecting fails (libcurl's order for
// localhost is 127.0.0.1 then ::1): 127.0.0.2 refuses (the server listens on 127.0.0.1 only),
// 127.0.0.1 answers. A DNS Cache Manager's entry (HttpRequest::resolve) stays on libcurl
// (jmeter_compat dns_servers: JMeter keeps a connection per host, the fast path one per user).
TEST_F(Http1ConnectionTest, TheNextAddressIsTriedWhenConnectingFails) {
  ScriptedServer server({{kOk}, {kOk}});
  Http1Target target;
  std::string url = "http://127.0.0.2:" + std::to_string(server.port()) + "/a";
  ASSERT_TRUE(ParseFastPathUrl(url, &target));
  target.more = ParseAddressList("127.0.0.2,127.0.0.1", 0);
  target.more_from = 1;
  Http1Connection c;
  Done done;
  HttpRequest r = Get(url);
  c.Start(r, target, nullptr, &loop_, &done, MonotonicMicros());
  int64_t deadline = MonotonicMicros() + 10'000'000;
  loop_.Run([&] { return done.done || MonotonicMicros() > deadline; }, nullptr);
  ASSERT_TRUE(done.done);
  EXPECT_EQ(done.result, CURLE_OK) << c.error();
  EXPECT_EQ(c.response().status(), 200);
  EXPECT_EQ(server.connections(), 1);
  c.Close();

  HostCache hosts(&loop_, "f");
  HttpTransfer t;
  t.set_host_cache(&hosts);
  HttpRequest managed = Get("http://static.test:" + std::to_string(server.port()) + "/a");
  managed.resolve = "static.test:" + std::to_string(server.port()) + ":127.0.0.1";
  managed.dns_cache_timeout_s = -1;  // as HttpManagerState sets it for a DNS Cache Manager
  SampleResult result = Run(t, managed);
  EXPECT_FALSE(t.used_fast_path());
  EXPECT_EQ(result.sample.response_code, "200") << result.body;
}

TEST(SourceAddressTest, AsJMetersGetIpSourceAddress) {
  EXPECT_EQ(*ResolveSourceAddress("", 0), "");
  EXPECT_EQ(*ResolveSourceAddress("  ", 1), "");
  EXPECT_EQ(*ResolveSourceAddress(" 127.0.0.2 ", 0), "127.0.0.2");
  EXPECT_EQ(*ResolveSourceAddress("[::1]", 0), "::1");
  EXPECT_EQ(*ResolveSourceAddress("localhost", 0), "127.0.0.1");
  EXPECT_EQ(ResolveSourceAddress("shop.test", 0).status().message(),
            "shop.test: a source host name is not resolved by Barrage (give an address or an interface)");
  EXPECT_EQ(*ResolveSourceAddress("lo", 1), "127.0.0.1");  // IPv4 first
  EXPECT_EQ(*ResolveSourceAddress("lo", 2), "127.0.0.1");
  EXPECT_EQ(ResolveSourceAddress("no-such-if9", 2).status().message(), "Cannot find interface no-such-if9");
}

TEST(FastPathUrlTest, AcceptEncodingOfGzipAndDeflateOnly) {
  EXPECT_TRUE(AcceptsOnlyGzipOrDeflate("gzip"));
  EXPECT_TRUE(AcceptsOnlyGzipOrDeflate("gzip, deflate"));
  EXPECT_TRUE(AcceptsOnlyGzipOrDeflate("deflate;q=0.5 , x-gzip, identity"));
  EXPECT_FALSE(AcceptsOnlyGzipOrDeflate("gzip, deflate, br"));
  EXPECT_FALSE(AcceptsOnlyGzipOrDeflate("*"));
  EXPECT_FALSE(AcceptsOnlyGzipOrDeflate(" , "));
}

TEST(FastPathUrlTest, RequestsNeedingLibcurlAreNotSupported) {
  HttpRequest r;
  r.method = "GET";
  r.follow_redirects = false;
  EXPECT_TRUE(FastPathSupports(r));
  r.headers = {"Host: other"};
  EXPECT_FALSE(FastPathSupports(r));
  r.headers = {"Accept: */*"};
  EXPECT_TRUE(FastPathSupports(r));
  r.accept_encoding = "gzip";
  EXPECT_TRUE(FastPathSupports(r));
  r.accept_encoding = "gzip, br";
  EXPECT_FALSE(FastPathSupports(r));
  r.accept_encoding.clear();
  r.multipart = true;
  EXPECT_FALSE(FastPathSupports(r));
}

// Cookies: the fast path's CookieJar (EnableCookies(true)) against libcurl's cookie engine
// (EnableCookies(false), every request through libcurl), for the same scripted replies.
struct CookieRequest {
  CookieRequest(std::string u, bool f = false, std::function<void(HttpTransfer&)> b = nullptr,
                std::vector<std::string> h = {})
      : url(std::move(u)), follow(f), before(std::move(b)), headers(std::move(h)) {}
  std::string url;
  bool follow = false;
  std::function<void(HttpTransfer&)> before;  // e.g. a Cookie Manager's cookies or clearing
  std::vector<std::string> headers;           // a "TE" header keeps the request off the fast path
};

// A request the fast path refuses (FastPathSupports: a TE header), so libcurl makes it.
CookieRequest OnLibcurl(std::string url, bool follow = false) {
  return CookieRequest(std::move(url), follow, nullptr, {"TE: trailers"});
}

struct CookieRun {
  std::vector<std::string> cookie_headers;  // each request's Cookie header as the server saw it ("" = none)
  std::vector<std::string> wire;
  std::vector<std::string> stored;  // CookieLines(), sorted, expiry times of Max-Age cookies masked
  std::vector<SampleResult> results;
  std::vector<bool> fast;
  std::vector<std::string> saved;  // each request's stored_cookies(), "name=value" joined by " "
};

std::string CookieHeaderOf(const std::string& request) {
  size_t at = request.find("\r\nCookie: ");
  if (at == std::string::npos) return "";
  at += 10;
  return request.substr(at, request.find("\r\n", at) - at);
}

class CookieJarPathTest : public Http1ConnectionTest {
 protected:
  // Runs `requests` through one user on the libcurl engine (jar == false) or the jar; every
  // host name connects to the scripted server.
  CookieRun RunCookies(bool jar, const std::vector<std::string>& replies, const std::vector<CookieRequest>& requests,
                       HttpTransfer* transfer = nullptr) {
    std::vector<Step> steps;
    // Each reply closes its connection: libcurl keeps one per host, the fast path one per user,
    // and the server serves one connection at a time.
    for (const std::string& reply : replies) steps.push_back({reply, /*close_after=*/true});
    ScriptedServer server(steps);
    ConnectToRoutes routes({ConnectToRule{"", 0, "127.0.0.1", server.port()}});
    HttpTransfer own;
    HttpTransfer& t = transfer ? *transfer : own;
    t.set_fast_path_enabled(jar);
    t.EnableCookies(jar);
    t.set_connect_to(&routes);
    t.set_record_stored_cookies(true);
    CookieRun run;
    for (const CookieRequest& cr : requests) {
      if (cr.before) cr.before(t);
      HttpRequest r = Get(cr.url);
      r.follow_redirects = cr.follow;
      r.headers = cr.headers;
      run.results.push_back(Run(t, r));
      run.fast.push_back(t.used_fast_path());
      std::string saved;
      for (const StoredCookie& c : t.stored_cookies()) saved += (saved.empty() ? "" : " ") + c.first + "=" + c.second;
      run.saved.push_back(saved);
    }
    t.set_connect_to(nullptr);
    run.wire = server.requests();
    for (const std::string& w : run.wire) run.cookie_headers.push_back(CookieHeaderOf(w));
    int64_t now_s = WallMillis() / 1000;
    for (std::string line : t.CookieLines()) {
      // domain, tailmatch, path, secure, expires, name, value: an expiry within a day of now
      // comes from Max-Age (the two runs may be a second apart).
      std::vector<std::string> f;
      for (size_t pos = 0;;) {
        size_t tab = line.find('\t', pos);
        f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
        if (tab == std::string::npos) break;
        pos = tab + 1;
      }
      if (f.size() == 7) {
        int64_t expires = std::stoll(f[4]);
        if (expires > now_s - 10 && expires < now_s + 86400) f[4] = "max-age";
        line = f[0] + "|" + f[1] + "|" + f[2] + "|" + f[3] + "|" + f[4] + "|" + f[5] + "|" + f[6];
      }
      run.stored.push_back(line);
    }
    std::sort(run.stored.begin(), run.stored.end());
    return run;
  }

  // Both paths: identical wire bytes, samples and stored cookies; returns the jar's run.
  CookieRun Compare(const std::vector<std::string>& replies, const std::vector<CookieRequest>& requests) {
    CookieRun curl = RunCookies(false, replies, requests);
    CookieRun jar = RunCookies(true, replies, requests);
    EXPECT_EQ(jar.wire.size(), curl.wire.size());
    for (size_t i = 0; i < jar.wire.size() && i < curl.wire.size(); ++i) EXPECT_EQ(jar.wire[i], curl.wire[i]) << i;
    EXPECT_EQ(jar.stored, curl.stored);
    EXPECT_EQ(jar.saved, curl.saved);  // the cookies each request stored (COOKIE_ variables)
    EXPECT_EQ(jar.results.size(), curl.results.size());
    for (size_t i = 0; i < jar.results.size() && i < curl.results.size(); ++i) {
      EXPECT_EQ(jar.fast[i], requests[i].headers.empty()) << i;
      EXPECT_EQ(curl.fast[i], false) << i;
      EXPECT_EQ(jar.results[i].sample.response_code, curl.results[i].sample.response_code) << i;
      EXPECT_EQ(jar.results[i].sample.url, curl.results[i].sample.url) << i;
      EXPECT_EQ(jar.results[i].sample.bytes, curl.results[i].sample.bytes) << i;
      EXPECT_EQ(jar.results[i].sample.sent_bytes, curl.results[i].sample.sent_bytes) << i;
      EXPECT_EQ(jar.results[i].response_headers, curl.results[i].response_headers) << i;
      EXPECT_EQ(jar.results[i].request_headers, curl.results[i].request_headers) << i;
    }
    return jar;
  }

  static std::string SetCookies(const std::vector<std::string>& cookies, const std::string& status = "200 OK",
                                const std::string& more = "") {
    std::string reply = "HTTP/1.1 " + status + "\r\n";
    for (const std::string& c : cookies) reply += "Set-Cookie: " + c + "\r\n";
    return reply + more + "Connection: close\r\nContent-Length: 0\r\n\r\n";
  }
};

TEST_F(CookieJarPathTest, DomainPathExpiryAndSecureAsLibcurl) {
  CookieRun run =
      Compare({SetCookies({"a=1", "b=2; Path=/", "c=3; Domain=.example.com; Path=/app/deep",
                           "d=4; Max-Age=3600; Path=/", "e=5; Expires=Wed, 09 Jun 2100 10:18:14 GMT; Path=/",
                           "f=6; Expires=Sat, 09 Jun 2001 10:18:14 GMT; Path=/", "s=7; Secure; Path=/",
                           "x=8; Domain=other.com", "longer=9; path=/app", "q=10; Path=/app/deep/"}),
               SetCookies({}), SetCookies({}), SetCookies({}), SetCookies({})},
              {{"http://www.example.com/app/login?next=/x"},
               {"http://www.example.com/app/deep/page"},
               {"http://sub.example.com/app/deep"},
               {"http://www.example.com/"},
               {"http://example.com/application"}});
  EXPECT_EQ(run.cookie_headers, (std::vector<std::string>{
                                    "",
                                    "q=10; c=3; a=1; longer=9; e=5; d=4; b=2",
                                    "c=3",  // q is www.example.com's only
                                    "e=5; d=4; b=2",
                                    "",
                                }));
}

TEST_F(CookieJarPathTest, OddAttributesAsLibcurl) {
  CookieRun run =
      Compare({SetCookies({"m1=1; Max-Age=abc; Path=/", "m2=2; Max-Age=-5; Path=/", "m3=3; Max-Age=\"60\"; Path=/",
                           "m4=4; Max-Age=60; Expires=Sat, 09 Jun 2001 10:18:14 GMT; Path=/",
                           "ex=5; Expires=not a date; Path=/", "__Secure-s=6; Path=/", "__Host-h=7; Path=/",
                           "ip=8; Domain=127.0.0.1; Path=/", "q=9; Path=\"/x/\"", "  spaced  =  10  ; Path=/",
                           "noeq; Path=/", "=empty; z=1; Path=/", "http=11; HttpOnly; Path=/", "v=; Path=/"}),
               SetCookies({})},
              {{"http://www.example.com/x/y"}, {"http://www.example.com/x/y"}});
  EXPECT_EQ(run.cookie_headers[0], "");
  CookieRun psl = Compare(
      {SetCookies({"uk=1; Domain=co.uk; Path=/", "site=2; Domain=example.co.uk; Path=/", "com=3; Domain=com; Path=/"}),
       SetCookies({})},
      {{"http://www.example.co.uk/"}, {"http://shop.example.co.uk/"}});
  EXPECT_EQ(psl.cookie_headers, (std::vector<std::string>{"", "site=2"}));  // public suffixes dropped
  // Rejected: m1 and m2 (expired), __Secure-s and __Host-h (not Secure), ip (an IP domain on
  // a named host), noeq (no '=' first); "=empty" is skipped and z is the cookie.
  EXPECT_EQ(run.cookie_headers[1], "q=9; spaced=10; http=11; ex=5; m4=4; m3=3; v=; z=1");
}

TEST_F(CookieJarPathTest, LimitsAsLibcurl) {
  // 60 Set-Cookie headers in one response, 200-byte values: libcurl's limits on cookies taken
  // from one response and on the Cookie header's count and length decide what is sent.
  std::vector<std::string> many;
  for (int i = 0; i < 60; ++i) many.push_back("c" + std::to_string(i) + "=" + std::string(200, 'v') + "; Path=/");
  CookieRun run =
      Compare({SetCookies(many), SetCookies({})}, {{"http://www.example.com/"}, {"http://www.example.com/"}});
  EXPECT_EQ(run.stored.size(), 50u);
  // The newest first, c49 down to c11: 39 cookies of 204 bytes and their "; " (8032 bytes);
  // one more would pass 8190.
  EXPECT_EQ(run.cookie_headers[1].size(), 8032u);
  EXPECT_EQ(std::count(run.cookie_headers[1].begin(), run.cookie_headers[1].end(), ';'), 38);
  EXPECT_EQ(run.cookie_headers[1].substr(0, 4), "c49=");
}

TEST_F(CookieJarPathTest, OverwriteAndDeletionAsLibcurl) {
  CookieRun run = Compare({SetCookies({"a=1; Path=/", "b=2; Path=/", "c=3; Path=/"}),
                           SetCookies({"a=changed; Path=/", "b=; Max-Age=0; Path=/",
                                       "c=gone; Expires=Thu, 01 Jan 1970 "
                                       "00:00:01 GMT; Path=/",
                                       "d=4; Path=/"}),
                           SetCookies({}), SetCookies({"A=upper; Path=/"}), SetCookies({})},
                          {{"http://www.example.com/"},
                           {"http://www.example.com/"},
                           {"http://www.example.com/"},
                           {"http://www.example.com/"},
                           {"http://www.example.com/"}});
  EXPECT_EQ(run.cookie_headers,
            (std::vector<std::string>{"", "c=3; b=2; a=1", "d=4; a=changed", "d=4; a=changed", "d=4; A=upper"}));
  // Deletions (b's Max-Age=0, c's past date) store nothing to save.
  EXPECT_EQ(run.saved, (std::vector<std::string>{"a=1 b=2 c=3", "a=changed d=4", "", "A=upper", ""}));
  EXPECT_EQ(run.stored, (std::vector<std::string>{"www.example.com|FALSE|/|FALSE|0|A|upper",
                                                  "www.example.com|FALSE|/|FALSE|0|d|4"}));
}

TEST_F(CookieJarPathTest, RedirectChainSetsCookiesOnEachHop) {
  CookieRun run =
      Compare({SetCookies({"r1=a"}, "302 Found", "Location: /in/hop\r\n"),
               SetCookies({"r2=b; Path=/"}, "301 Moved Permanently", "Location: http://127.0.0.1/in/final\r\n"),
               SetCookies({"r1=c", "local=1; Secure"}), SetCookies({})},
              {{"http://127.0.0.1/start", true}, {"http://127.0.0.1/in/next"}});
  EXPECT_EQ(run.cookie_headers, (std::vector<std::string>{"", "r1=a", "r2=b; r1=a", "local=1; r1=c; r2=b; r1=a"}));
}

TEST(CookieJarTest, SyncFromListingKeepsCreationOrderAndDropsExpired) {
  CookieJar jar;
  for (const char* c : {"a=1; Path=/", "b=2; Path=/", "c=3; Path=/"}) {
    ASSERT_TRUE(jar.AddFromHeader(c, "www.example.com", "/", false, 1000));
  }
  // libcurl's listing in its hash order: B replaced b (the same cookie, kept in place), c was
  // deleted (expired, not yet dropped), d is new.
  jar.SyncFromListing({"www.example.com\tFALSE\t/\tFALSE\t0\td\t4", "www.example.com\tFALSE\t/\tFALSE\t0\tB\t20",
                       "www.example.com\tFALSE\t/\tFALSE\t0\ta\t1", "www.example.com\tFALSE\t/\tFALSE\t1\tc\t3"},
                      1000);
  EXPECT_EQ(jar.NetscapeLines(), (std::vector<std::string>{"www.example.com\tFALSE\t/\tFALSE\t0\ta\t1",
                                                           "www.example.com\tFALSE\t/\tFALSE\t0\tB\t20",
                                                           "www.example.com\tFALSE\t/\tFALSE\t0\td\t4"}));
  EXPECT_EQ(jar.HeaderFor("www.example.com", "/", false, 1000), "d=4; B=20; a=1");
  jar.SyncFromListing({}, 1000);
  EXPECT_EQ(jar.HeaderFor("www.example.com", "/", false, 1000), "");
}

TEST(CookieJarTest, AddFromResponseReportsTheCookiesItStores) {
  CookieJar jar;
  std::vector<StoredCookie> stored;
  jar.AddFromResponse(
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie:  b = ; Path=/\r\nSet-Cookie: c=3; Max-Age=0\r\n"
      "Set-Cookie: d=4; Domain=other.org\r\nSet-Cookie: noeq\r\nset-cookie: a=2; Path=/\r\n\r\n",
      "www.example.com", "/", false, 1000, &stored);
  // c is a deletion, d's domain and noeq are rejected; a replaced is reported again.
  EXPECT_EQ(stored, (std::vector<StoredCookie>{{"a", "1"}, {"b", ""}, {"a", "2"}}));
  std::string name, value;
  EXPECT_TRUE(SetCookieNameValue(" =x; k = v w ; Path=/", &name, &value));
  EXPECT_EQ(name + "|" + value, "k|v w");
  EXPECT_FALSE(SetCookieNameValue("noeq; a=1", &name, &value));
  EXPECT_FALSE(SetCookieNameValue(" ; ", &name, &value));
}

// A request on the libcurl path (with the jar: PushJarToCurl before, SyncJarFromCurl at each
// Set-Cookie and after) keeps libcurl's creation order, which decides the Cookie header's
// order among cookies of equal path, domain and name lengths: a cookie deleted and set again
// is the newest, one replaced keeps its place.
TEST_F(CookieJarPathTest, LibcurlPathCookiesThenFastPathAsLibcurl) {
  CookieRun run =
      Compare({SetCookies({"a=1; Path=/", "b=2; Path=/", "c=3; Path=/", "dom=4; Domain=example.com; Path=/"}),
               SetCookies({}), SetCookies({"a=; Max-Age=0; Path=/", "a=5; Path=/", "e=6; Path=/", "b=7; Path=/"}),
               SetCookies({}), SetCookies({})},
              {OnLibcurl("http://www.example.com/app/"),
               {"http://www.example.com/"},
               OnLibcurl("http://www.example.com/"),
               {"http://www.example.com/"},
               {"http://shop.example.com/"}});
  EXPECT_EQ(run.cookie_headers, (std::vector<std::string>{"", "c=3; b=2; a=1; dom=4", "c=3; b=2; a=1; dom=4",
                                                          "e=6; a=5; c=3; b=7; dom=4", "dom=4"}));
  EXPECT_EQ(run.saved, (std::vector<std::string>{"a=1 b=2 c=3 dom=4", "", "a=5 e=6 b=7", "", ""}));
}

TEST_F(CookieJarPathTest, FastPathCookiesThenLibcurlPathAsLibcurl) {
  CookieRun run = Compare(
      {SetCookies({"a=1; Path=/", "b=2; Path=/"}, "302 Found", "Location: /next\r\n"), SetCookies({"c=3; Path=/"}),
       SetCookies({"b=; Max-Age=0; Path=/", "b=8; Path=/", "d=4; Path=/", "a=9; Path=/"}), SetCookies({}),
       SetCookies({}), SetCookies({})},
      {{"http://www.example.com/start", true},
       OnLibcurl("http://www.example.com/"),
       {"http://www.example.com/"},
       OnLibcurl("http://www.example.com/"),
       {"http://www.example.com/"}});
  EXPECT_EQ(run.cookie_headers, (std::vector<std::string>{"", "b=2; a=1", "c=3; b=2; a=1", "d=4; b=8; c=3; a=9",
                                                          "d=4; b=8; c=3; a=9", "d=4; b=8; c=3; a=9"}));
}

TEST_F(CookieJarPathTest, LibcurlRedirectChainAsLibcurl) {
  // libcurl follows the chain itself (FOLLOWLOCATION); every hop's cookies reach the jar in
  // the order they were set, across hosts.
  CookieRun run =
      Compare({SetCookies({"a=1; Path=/", "k=2; Path=/"}, "302 Found", "Location: /in/hop\r\n"),
               SetCookies({"a=; Max-Age=0; Path=/", "b=3; Path=/", "a=4; Path=/", "x=6; Domain=example.com; Path=/"},
                          "301 Moved Permanently", "Location: http://www.example.com/final\r\n"),
               SetCookies({"w=5; Path=/", "v=7; Path=/"}), SetCookies({}), SetCookies({}), SetCookies({})},
              {OnLibcurl("http://127.0.0.1/start", true),
               {"http://127.0.0.1/x"},
               {"http://www.example.com/final"},
               OnLibcurl("http://www.example.com/final")});
  // x: Domain=example.com from 127.0.0.1 is rejected.
  EXPECT_EQ(run.cookie_headers,
            (std::vector<std::string>{"", "k=2; a=1", "", "a=4; b=3; k=2", "v=7; w=5", "v=7; w=5"}));
  EXPECT_EQ(run.saved, (std::vector<std::string>{"a=1 k=2 b=3 a=4 w=5 v=7", "", "", ""}));
}

TEST_F(CookieJarPathTest, CookieManagerCookiesAndClearingAsLibcurl) {
  // As VirtualUser adds a Cookie Manager's cookies (CookieLine) and clears them each iteration.
  auto plan_cookies = [](HttpTransfer& t) {
    t.AddCookie("Set-Cookie: user=1; domain=www.example.com; path=/");
    t.AddCookie("Set-Cookie: nodomain=2; path=/");  // libcurl 7.88 keeps none without a domain
    t.AddCookie("Set-Cookie: deep=3; domain=.example.com; path=/a; secure");
  };
  CookieRun run = Compare({SetCookies({"server=4"}), SetCookies({}), SetCookies({}), SetCookies({})},
                          {{"http://www.example.com/a/b", false, plan_cookies},
                           {"http://www.example.com/a/b"},
                           {"http://other.org/a", false, [](HttpTransfer& t) { t.ClearCookies(); }},
                           {"http://other.org/a", false, plan_cookies}});
  EXPECT_EQ(run.cookie_headers, (std::vector<std::string>{"user=1", "server=4; user=1", "", ""}));
}

TEST_F(CookieJarPathTest, ParallelBranchesMergeCookiesAsLibcurl) {
  // A Parallel Controller branch starts from its user's cookies and gives its own back.
  for (bool jar : {false, true}) {
    HttpTransfer user;
    CookieRun first = RunCookies(jar, {SetCookies({"u=1; Path=/"})}, {{"http://www.example.com/"}}, &user);
    HttpTransfer branch;
    branch.EnableCookies(jar);
    branch.MergeCookiesFrom(user);
    CookieRun second = RunCookies(jar, {SetCookies({"b=2; Path=/"}), SetCookies({})},
                                  {{"http://www.example.com/"}, {"http://www.example.com/"}}, &branch);
    user.MergeCookiesFrom(branch);
    CookieRun third = RunCookies(jar, {SetCookies({})}, {{"http://www.example.com/"}}, &user);
    EXPECT_EQ(second.cookie_headers, (std::vector<std::string>{"u=1", "b=2; u=1"})) << jar;
    EXPECT_EQ(third.cookie_headers, (std::vector<std::string>{"b=2; u=1"})) << jar;
  }
}

TEST_F(CookieJarPathTest, RequestsOnTheLibcurlPathShareTheJar) {
  // A request the fast path cannot make (a TE header) goes through libcurl with the jar's cookies.
  std::vector<Step> steps = {{SetCookies({"a=1; Path=/"})}, {SetCookies({"b=2; Path=/"})}, {SetCookies({})}};
  ScriptedServer server(steps);
  HttpTransfer t;
  t.EnableCookies(true);
  Run(t, Get(server.url("/")));
  EXPECT_TRUE(t.used_fast_path());
  HttpRequest special = Get(server.url("/"));
  special.headers = {"TE: trailers"};
  Run(t, special);
  EXPECT_FALSE(t.used_fast_path());
  Run(t, Get(server.url("/")));
  EXPECT_TRUE(t.used_fast_path());
  std::vector<std::string> wire = server.requests();
  ASSERT_EQ(wire.size(), 3u);
  EXPECT_EQ(CookieHeaderOf(wire[1]), "a=1");
  EXPECT_EQ(CookieHeaderOf(wire[2]), "b=2; a=1");
}

}  // namespace
}  // namespace barrage
