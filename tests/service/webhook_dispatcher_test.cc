#include "service/webhook_dispatcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "controller/results_store.h"
#include "service/service_info.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using namespace std::chrono_literals;

// A webhook receiver on 127.0.0.1: records each request and answers with the next scripted
// status (200 once the script is used up). Stopped and joined at scope end, also on failure.
class Receiver {
 public:
  struct Request {
    std::string path;
    std::string body;
    httplib::Headers headers;
    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };

  explicit Receiver(std::deque<int> statuses = {}) : statuses_(std::move(statuses)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      int status = 200;
      {
        std::unique_lock lock(mu_);
        requests_.push_back({req.path, req.body, req.headers});
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
        entered_.notify_all();
        // Holds the answer while the test says so (bounded: the test releases it).
        released_.wait_for(lock, 30s, [&] { return !hold_; });
      }
      res.status = status;
      if (status == 302) res.set_header("Location", "/elsewhere");
      res.set_content(status >= 500 ? "boom\n" : "ok", "text/plain");
    };
    server_.Post("/hook", handle);
    server_.Post("/elsewhere", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("receiver: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    Release();
    server_.stop();
    thread_.join();
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Answers wait until Release().
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    released_.notify_all();
  }
  bool WaitForRequests(size_t n) {
    std::unique_lock lock(mu_);
    return entered_.wait_for(lock, 30s, [&] { return requests_.size() >= n; });
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable entered_;
  std::condition_variable released_;
  std::vector<Request> requests_;
  std::deque<int> statuses_;
  bool hold_ = false;
};

// A port on 127.0.0.1 that refuses connections: bound, never listening, for the test's life.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot bind 127.0.0.1:0");
    }
    port_ = ntohs(a.sin_port);
  }
  ~DeadPort() { close(fd_); }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

RunCompletion SampleRun() {
  RunCompletion r;
  r.run_id = 42;
  r.project = "shop";
  r.plan = "checkout.jmx";
  r.plan_version = 3;
  r.status = "passed";
  r.passed = true;
  r.thresholds = {{"p(95)<500", 120, true}};
  r.totals = {12345, 12, 0.001, 205.75, 120, 180.5, 60};
  r.started_at_ms = 1'767'225'600'000;
  r.ended_at_ms = 1'767'225'660'000;
  r.report_url = "https://barrage.example.com/runs/42/report";
  return r;
}

class WebhookDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ResultsStore> results = ResultsStore::Open(dir_.File("results.db"));
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_TRUE(results->Close().ok());
    Result<std::unique_ptr<WebhookStore>> store = WebhookStore::Open(dir_.File("results.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    options_.clock = &clock_;
    options_.jitter = 0;
    // Waiting between attempts moves the fake clock; the waits are recorded.
    options_.sleep = [this](std::chrono::microseconds d) {
      std::lock_guard lock(mu_);
      sleeps_.push_back(d);
      clock_.Advance(d);
    };
  }

  Webhook AddHook(const std::string& url, const std::string& name = "ci", const std::string& project = "shop") {
    Webhook h;
    h.project = project;
    h.name = name;
    h.url = url;
    h.secret = "secret-of-" + name + "-0123456789";
    h.created_by = "admin";
    Result<Webhook> created = store_->Create(h);
    EXPECT_TRUE(created.ok()) << created.status().message();
    return created.ok() ? *created : h;
  }

  std::vector<DeliveryAttempt> Log(int64_t webhook_id) {
    Result<std::vector<DeliveryAttempt>> rows = store_->Deliveries("shop", webhook_id, 100);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<DeliveryAttempt> oldest_first(rows->rbegin(), rows->rend());
    return oldest_first;
  }

  std::vector<std::chrono::microseconds> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

  TempDir dir_;
  std::unique_ptr<WebhookStore> store_;
  FakeClock clock_;
  WebhookDispatcherOptions options_;
  std::mutex mu_;
  std::vector<std::chrono::microseconds> sleeps_;
};

TEST_F(WebhookDispatcherTest, PostsTheSignedBodyWithItsHeaders) {
  Receiver receiver;
  const Webhook hook = AddHook(receiver.Url());
  WebhookDispatcher dispatcher(store_.get(), options_);
  Result<int> queued = dispatcher.RunCompleted(SampleRun());
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(*queued, 1);
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));

  const std::vector<Receiver::Request> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/hook");
  EXPECT_EQ(got[0].body, WebhookBody(SampleRun()));
  // The receiver's check: HMAC-SHA256 of the bytes received, with the webhook's secret.
  EXPECT_EQ(got[0].Header("X-Barrage-Signature"), SignatureHeader(got[0].body, "secret-of-ci-0123456789"));
  EXPECT_EQ(got[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(got[0].Header("User-Agent"), "barrage/" + std::string(ServiceVersion()));
  EXPECT_EQ(got[0].Header("X-Barrage-Event"), "run.finished");
  const std::string delivery = got[0].Header("X-Barrage-Delivery");
  EXPECT_TRUE(
      std::regex_match(delivery, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << delivery;

  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].run_id, 42);
  EXPECT_EQ(log[0].delivery, delivery);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[0].at_ms, clock_.WallMillis());  // the fake clock never moved
  EXPECT_EQ(log[0].http_status, 200);
  EXPECT_EQ(log[0].error, "");
  EXPECT_EQ(log[0].duration_ms, 0);
  EXPECT_TRUE(log[0].delivered);
  EXPECT_TRUE(sleeps().empty());
  EXPECT_EQ(dispatcher.stats().delivered, 1);
}

TEST_F(WebhookDispatcherTest, A500ThenA200IsTwoAttemptsOneSecondApart) {
  Receiver receiver({500, 200});
  const Webhook hook = AddHook(receiver.Url());
  const int64_t start_ms = clock_.WallMillis();
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_EQ(*dispatcher.RunCompleted(SampleRun()), 1);
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));

  const std::vector<Receiver::Request> got = receiver.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, got[0].body);
  EXPECT_EQ(got[1].Header("X-Barrage-Delivery"), got[0].Header("X-Barrage-Delivery"));  // one delivery
  EXPECT_EQ(got[1].Header("X-Barrage-Signature"), got[0].Header("X-Barrage-Signature"));

  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[0].http_status, 500);
  EXPECT_EQ(log[0].error, "HTTP 500: boom");
  EXPECT_FALSE(log[0].delivered);
  EXPECT_EQ(log[0].at_ms, start_ms);
  EXPECT_EQ(log[1].attempt, 2);
  EXPECT_EQ(log[1].http_status, 200);
  EXPECT_TRUE(log[1].delivered);
  EXPECT_EQ(log[1].at_ms, start_ms + 1000);
  EXPECT_EQ(sleeps(), std::vector<std::chrono::microseconds>{1s});
  EXPECT_EQ(dispatcher.stats().delivered, 1);
  EXPECT_EQ(dispatcher.stats().failed, 0);
}

TEST_F(WebhookDispatcherTest, ADeadPortGetsEveryAttemptWithExponentialBackoff) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_EQ(*dispatcher.RunCompleted(SampleRun()), 1);
  ASSERT_TRUE(dispatcher.WaitUntilIdle(60s));

  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(log[i].attempt, i + 1);
    EXPECT_EQ(log[i].http_status, 0);
    EXPECT_FALSE(log[i].delivered);
    EXPECT_EQ(log[i].error.rfind("Failed to connect to 127.0.0.1 port " + std::to_string(dead.port()), 0), 0u)
        << log[i].error;
    EXPECT_EQ(log[i].delivery, log[0].delivery);
  }
  EXPECT_EQ(sleeps(), (std::vector<std::chrono::microseconds>{1s, 2s, 4s, 8s, 16s}));
  EXPECT_EQ(log[5].at_ms - log[0].at_ms, 31'000);
  EXPECT_EQ(dispatcher.stats().failed, 1);
  EXPECT_EQ(dispatcher.stats().delivered, 0);
}

TEST_F(WebhookDispatcherTest, AttemptsAndBackoffAreConfigurable) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  options_.max_attempts = 3;
  options_.first_backoff = 250ms;
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 7, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(dispatcher.WaitUntilIdle(60s));
  EXPECT_EQ(Log(hook.id).size(), 3u);
  EXPECT_EQ(sleeps(), (std::vector<std::chrono::microseconds>{250ms, 500ms}));
}

TEST_F(WebhookDispatcherTest, TheBackoffIsCappedAndJittered) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  options_.max_attempts = 5;
  options_.max_backoff = 3s;
  options_.jitter = 0.2;
  std::deque<double> randoms = {0.0, 0.5, 0.75, 0.999999};
  options_.random = [&randoms] {
    const double r = randoms.front();
    randoms.pop_front();
    return r;
  };
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 7, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(dispatcher.WaitUntilIdle(60s));
  // 1 s × 0.8, 2 s × 1.0, min(4 s, 3 s) × 1.1, 3 s × 1.1999996 (to the nearest microsecond).
  EXPECT_EQ(sleeps(), (std::vector<std::chrono::microseconds>{800ms, 2s, 3300ms, 3'599'999us}));
}

TEST_F(WebhookDispatcherTest, ARedirectIsAFailureAndIsNotFollowed) {
  Receiver receiver({302});
  const Webhook hook = AddHook(receiver.Url());
  options_.max_attempts = 1;
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 7, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));
  ASSERT_EQ(receiver.requests().size(), 1u);  // nothing went to /elsewhere
  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].http_status, 302);
  EXPECT_EQ(log[0].error, "HTTP 302 (redirects are not followed): ok");
  EXPECT_EQ(dispatcher.stats().failed, 1);
}

TEST_F(WebhookDispatcherTest, EachSubscriberGetsItsOwnDeliveryAndSignature) {
  Receiver receiver;
  const Webhook a = AddHook(receiver.Url(), "a");
  const Webhook b = AddHook(receiver.Url(), "b");
  Webhook off;
  off.project = "shop";
  off.name = "off";
  off.url = receiver.Url();
  off.secret = "0123456789abcdef";
  off.enabled = false;
  ASSERT_TRUE(store_->Create(off).ok());
  AddHook(receiver.Url(), "other", "billing");
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_EQ(*dispatcher.RunCompleted(SampleRun()), 2);
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));
  const std::vector<Receiver::Request> got = receiver.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].Header("X-Barrage-Signature"), SignatureHeader(WebhookBody(SampleRun()), a.secret));
  EXPECT_EQ(got[1].Header("X-Barrage-Signature"), SignatureHeader(WebhookBody(SampleRun()), b.secret));
  EXPECT_NE(got[0].Header("X-Barrage-Delivery"), got[1].Header("X-Barrage-Delivery"));
  EXPECT_EQ(Log(a.id).size(), 1u);
  EXPECT_EQ(Log(b.id).size(), 1u);
}

// The sleep hook that holds the dispatcher between attempts until the test lets it go.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool open = false;
  void Pass() {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait_for(lock, 30s, [&] { return open; });
  }
  int Entered() {
    std::lock_guard lock(mu);
    return entered;
  }
  bool WaitEntered() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 30s, [&] { return entered > 0; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST_F(WebhookDispatcherTest, AFullQueueDropsTheDeliveryAndLogsIt) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  Gate gate;
  options_.queue_capacity = 1;
  options_.max_attempts = 2;
  options_.sleep = [&](std::chrono::microseconds d) {
    gate.Pass();
    clock_.Advance(d);
  };
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(gate.WaitEntered());  // run 1 failed once and waits for its retry: the queue is full
  EXPECT_FALSE(dispatcher.Enqueue(hook, 2, kRunFinishedEvent, "{}"));
  gate.Open();
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));
  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].run_id, 1);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[1].run_id, 2);
  EXPECT_EQ(log[1].attempt, 0);
  EXPECT_EQ(log[1].error, "dropped: the delivery queue is full (1 pending)");
  EXPECT_FALSE(log[1].delivered);
  EXPECT_EQ(log[2].run_id, 1);
  EXPECT_EQ(log[2].attempt, 2);
  EXPECT_EQ(dispatcher.stats().dropped, 1);
  EXPECT_EQ(dispatcher.stats().failed, 1);
}

TEST_F(WebhookDispatcherTest, StopLogsWhatIsStillPendingAsAbandoned) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  Gate gate;
  options_.sleep = [&](std::chrono::microseconds) { gate.Pass(); };
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(gate.WaitEntered());
  std::thread stopper([&] { dispatcher.Stop(); });
  gate.Open();  // the clock does not move: the retry never falls due before the stop
  stopper.join();
  EXPECT_FALSE(dispatcher.Enqueue(hook, 2, kRunFinishedEvent, "{}"));
  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[1].run_id, 1);
  EXPECT_EQ(log[1].attempt, 0);
  EXPECT_EQ(log[1].delivery, log[0].delivery);
  EXPECT_EQ(log[1].error, "abandoned: the service stopped after 1 of 6 attempts");
  EXPECT_EQ(log[2].run_id, 2);
  EXPECT_EQ(log[2].error, "dropped: the webhook dispatcher is stopped");
  EXPECT_EQ(dispatcher.stats().abandoned, 1);
  EXPECT_EQ(dispatcher.stats().dropped, 1);
}

TEST_F(WebhookDispatcherTest, StopAbortsARequestThatOutlivesTheBound) {
  Receiver receiver;
  receiver.Hold();
  const Webhook hook = AddHook(receiver.Url());
  options_.stop_timeout = 100ms;
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(receiver.WaitForRequests(1));  // in flight, unanswered
  const auto start = std::chrono::steady_clock::now();
  dispatcher.Stop();
  // libcurl's progress callback runs at least once a second while a transfer waits.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  receiver.Release();
  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].attempt, 1);
  EXPECT_EQ(log[0].error, "aborted: the service stopped");
  EXPECT_FALSE(log[0].delivered);
  EXPECT_EQ(log[1].attempt, 0);
  EXPECT_EQ(log[1].error, "abandoned: the service stopped after 1 of 6 attempts");
}

TEST_F(WebhookDispatcherTest, ADeletedWebhookGetsNoFurtherRetries) {
  DeadPort dead;
  const Webhook hook = AddHook(dead.Url());
  Gate gate;
  options_.sleep = [&](std::chrono::microseconds d) {
    gate.Pass();
    clock_.Advance(d);
  };
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(hook, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(gate.WaitEntered());
  ASSERT_TRUE(store_->Delete("shop", hook.id).ok());
  gate.Open();
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));
  // The second attempt finds the webhook gone when it logs itself, and is the last.
  EXPECT_EQ(gate.Entered(), 1);
  EXPECT_EQ(dispatcher.stats().abandoned, 1);
  EXPECT_EQ(dispatcher.stats().failed, 0);
}

// The default wait (no sleep hook) on the system clock: a retry falls due in real time.
TEST_F(WebhookDispatcherTest, WithoutHooksTheRetryWaitsOnTheSystemClock) {
  Receiver receiver({503, 200});
  const Webhook hook = AddHook(receiver.Url());
  options_.clock = nullptr;
  options_.sleep = nullptr;
  options_.first_backoff = 20ms;
  WebhookDispatcher dispatcher(store_.get(), options_);
  const int64_t start_us = MonotonicMicros();
  ASSERT_TRUE(dispatcher.Enqueue(hook, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(dispatcher.WaitUntilIdle(30s));
  EXPECT_GE(MonotonicMicros() - start_us, 20'000);
  const std::vector<DeliveryAttempt> log = Log(hook.id);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].http_status, 503);
  EXPECT_TRUE(log[1].delivered);
}

// A delivery waiting an hour for its retry does not hold up a new one: Enqueue wakes the
// thread, which takes whatever falls due first.
TEST_F(WebhookDispatcherTest, ANewDeliveryIsNotHeldUpByOneWaitingForItsRetry) {
  DeadPort dead;
  Receiver receiver;
  const Webhook slow = AddHook(dead.Url(), "dead");
  const Webhook fine = AddHook(receiver.Url(), "fine");
  options_.clock = nullptr;
  options_.sleep = nullptr;
  options_.first_backoff = std::chrono::hours(1);
  WebhookDispatcher dispatcher(store_.get(), options_);
  ASSERT_TRUE(dispatcher.Enqueue(slow, 1, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(dispatcher.Enqueue(fine, 2, kRunFinishedEvent, "{}"));
  ASSERT_TRUE(receiver.WaitForRequests(1));
  dispatcher.Stop();
  EXPECT_EQ(dispatcher.stats().delivered, 1);
  EXPECT_EQ(dispatcher.stats().abandoned, 1);
  const std::vector<DeliveryAttempt> log = Log(slow.id);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].error, "abandoned: the service stopped after 1 of 6 attempts");
  ASSERT_EQ(Log(fine.id).size(), 1u);
  EXPECT_TRUE(Log(fine.id)[0].delivered);
}

}  // namespace
}  // namespace barrage
