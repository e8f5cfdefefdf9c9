// The web UI of `barrage serve` in a real browser (issue 13 item 7): the real service on
// loopback, a tester token made with `barrage token create`, a plan uploaded and a run started
// through the API against the in-process fixture target; then headless Chromium, driven by
// chromedriver over W3C WebDriver, opens the runs list and the live run page, sees the live
// chart gain points while the run goes on, and after its end the final status and the report
// drawn inside its sandboxed frame. Skips when chromium or chromedriver is not installed.

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fixture/fixture_server.h"
#include "tests/integration/jmx_xml.h"
#include "tests/integration/process_util.h"
#include "tests/integration/serve_fixture.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ChildProcess;
using test::ProcessResult;
using test::RunProcess;

constexpr std::chrono::seconds kBrowserTimeout{60};

std::string FindExecutable(const char* env, std::initializer_list<const char*> paths) {
  if (const char* v = std::getenv(env); v && *v) return v;
  for (const char* path : paths) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

using test::El;
using test::Str;

// 2 users x ${__P(loops)} loops of GET /delay/100 on 127.0.0.1:${__P(port)}: about 10 samples
// per user and second, so the run lasts loops / 10 seconds and stops by itself.
std::string SlowPlan() {
  const std::string http = El("HTTPSamplerProxy", "slow",
                              Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", "${__P(port)}") +
                                  Str("HTTPSampler.path", "/delay/100") + Str("HTTPSampler.method", "GET"));
  const std::string group = El("ThreadGroup", "users",
                               Str("ThreadGroup.num_threads", "2") + Str("ThreadGroup.ramp_time", "0") +
                                   "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">" +
                                   Str("LoopController.loops", "${__P(loops)}") + "</elementProp>",
                               http);
  return "<jmeterTestPlan version=\"1.2\"><hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"Slow\"/>\n"
         "<hashTree>\n" +
         group + "</hashTree></hashTree></jmeterTestPlan>\n";
}

// A loopback port nobody listens on now (chromedriver wants one on its command line).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// chromedriver on a loopback port and one browser session over W3C WebDriver. The session is
// deleted (the browser quits) and chromedriver stopped by PID when this goes away, also when a
// test fails half-way.
class Browser {
 public:
  Browser(const std::string& chromedriver, const std::string& chromium, const fs::path& profile) {
    const int port = FreePort();
    if (port == 0) {
      ADD_FAILURE() << "no free loopback port for chromedriver";
      return;
    }
    driver_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{chromedriver, "--port=" + std::to_string(port), "--allowed-ips=127.0.0.1"});
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    client_->set_read_timeout(kBrowserTimeout);
    const auto deadline = std::chrono::steady_clock::now() + kBrowserTimeout;
    while (true) {
      httplib::Result status = client_->Get("/status");
      if (status && status->status == 200 && nlohmann::json::parse(status->body)["value"]["ready"] == true) break;
      if (!driver_->running() || std::chrono::steady_clock::now() >= deadline) {
        ADD_FAILURE() << "chromedriver did not get ready: " << driver_->out() << driver_->err();
        return;
      }
      driver_->Pump(std::chrono::milliseconds(50));
    }
    const nlohmann::json options = {
        {"binary", chromium},
        {"args",
         {"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
          "--window-size=1280,1000", "--user-data-dir=" + profile.string()}}};
    std::optional<nlohmann::json> session =
        Call("POST", "/session", {{"capabilities", {{"alwaysMatch", {{"goog:chromeOptions", options}}}}}});
    if (session && (*session)["value"].contains("sessionId")) {
      session_ = (*session)["value"]["sessionId"].get<std::string>();
    } else {
      ADD_FAILURE() << "no WebDriver session: " << (session ? session->dump() : "no answer") << driver_->err();
    }
  }

  ~Browser() {
    if (!session_.empty()) (void)Call("DELETE", "/session/" + session_, nullptr);
    if (driver_ && driver_->running()) {
      driver_->Signal(SIGTERM);
      (void)driver_->Wait(std::chrono::seconds(10));  // then killed by PID
    }
  }

  bool ok() const { return !session_.empty(); }

  void Open(const std::string& url) {
    std::optional<nlohmann::json> r = Call("POST", Path("/url"), {{"url", url}});
    EXPECT_TRUE(r && (*r)["value"].is_null()) << (r ? r->dump() : "no answer");
  }

  // The value `script` (a function body) returns in the current frame; null on a WebDriver error.
  nlohmann::json Eval(const std::string& script) {
    std::optional<nlohmann::json> r =
        Call("POST", Path("/execute/sync"), {{"script", script}, {"args", nlohmann::json::array()}});
    if (!r) return nullptr;
    if ((*r)["value"].is_object() && (*r)["value"].contains("error")) {
      ADD_FAILURE() << "script failed: " << r->dump();
      return nullptr;
    }
    return (*r)["value"];
  }

  // Evaluates `script` until `done(value)` or the deadline; the last value.
  nlohmann::json PollUntil(const std::string& script, const std::function<bool(const nlohmann::json&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kBrowserTimeout;
    nlohmann::json v = Eval(script);
    while (!done(v) && std::chrono::steady_clock::now() < deadline) {
      if (pump_) pump_();
      driver_->Pump(std::chrono::milliseconds(0));  // chromedriver's and the browser's output
      v = Eval(script);
    }
    return v;
  }

  // Into the frame element `css` (until Parent()); false when there is none.
  bool EnterFrame(const std::string& css) {
    std::optional<nlohmann::json> found = Call("POST", Path("/element"), {{"using", "css selector"}, {"value", css}});
    if (!found || !(*found)["value"].contains(kElementKey)) return false;
    std::optional<nlohmann::json> r = Call("POST", Path("/frame"), {{"id", (*found)["value"]}});
    return r && (*r)["value"].is_null();
  }
  void Parent() { (void)Call("POST", Path("/frame/parent"), nlohmann::json::object()); }

  // Called between two polls (the test pumps its processes' output there).
  void OnPoll(std::function<void()> pump) { pump_ = std::move(pump); }

 private:
  static constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

  std::string Path(const std::string& tail) const { return "/session/" + session_ + tail; }

  std::optional<nlohmann::json> Call(const std::string& method, const std::string& path, const nlohmann::json& body) {
    if (!client_) return std::nullopt;
    httplib::Result r = method == "DELETE" ? client_->Delete(path)
                                           : client_->Post(path, body.dump(), "application/json; charset=utf-8");
    if (!r) return std::nullopt;
    nlohmann::json doc = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return std::nullopt;
    return doc;
  }

  std::unique_ptr<ChildProcess> driver_;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
  std::function<void()> pump_;
};

class WebUiTest : public test::ServeFixture {
 protected:
  std::string Base() const { return url_ + "/"; }
};

TEST_F(WebUiTest, TheServiceServesThePageAndItsAssetsWithTheirPolicy) {
  StartService();
  httplib::Result page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(page->body.find("<script src=\"ui/app.js\""), std::string::npos);
  httplib::Result js = client_->Get("/ui/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  httplib::Result missing = client_->Get("/ui/missing.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "{\"error\":\"no such file: /ui/missing.js\"}\n");
}

TEST_F(WebUiTest, ChromiumShowsTheRunsListAndTheLiveChartOfARunUntilItsReport) {
  const std::string chromium = FindExecutable("BARRAGE_CHROMIUM", {"/usr/bin/chromium", "/usr/bin/chromium-browser"});
  const std::string chromedriver = FindExecutable("BARRAGE_CHROMEDRIVER", {"/usr/bin/chromedriver"});
  if (chromium.empty() || chromedriver.empty()) {
    GTEST_SKIP() << "chromium or chromedriver is not installed (scripts/setup.sh installs Debian's `chromium` and "
                    "`chromium-driver`); the web UI was not tested in a browser";
  }
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  httplib::MultipartFormDataItems items = {{"plan", SlowPlan(), "slow.jmx", "application/xml"}};
  httplib::Result up = client_->Post("/api/v1/projects/shop/plans", Auth(tester), items);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  // 2 users x 150 loops of 100 ms: about 15 s, time for the browser to start and see it run.
  const nlohmann::json body = {{"plan", "slow.jmx"}, {"properties", {{"port", target_->port()}, {"loops", 150}}}};
  httplib::Result started = client_->Post("/api/v1/projects/shop/runs", Auth(tester), body.dump(), "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  const int64_t id = nlohmann::json::parse(started->body)["id"].get<int64_t>();

  Browser browser(chromedriver, chromium, dir_ / "profile");
  ASSERT_TRUE(browser.ok());
  browser.OnPoll([this] { serve_->Pump(std::chrono::milliseconds(100)); });

  // 1. The runs list, signed in through the fragment: the run's row with its status.
  browser.Open(Base() + "#token=" + PercentEncode(tester) + "&project=shop");
  const std::string row = "const r = document.querySelector('#runs-body tr[data-run-id=\"" + std::to_string(id) +
                          "\"]'); return r ? r.getAttribute('data-status') : null;";
  nlohmann::json listed = browser.PollUntil(row, [](const nlohmann::json& v) { return v.is_string(); });
  EXPECT_EQ(listed, "running") << serve_->out() << serve_->err();
  // The token went from the address bar into this tab's sessionStorage.
  EXPECT_EQ(browser.Eval("return location.hash;"), "#/projects/shop/runs");
  EXPECT_EQ(browser.Eval("return sessionStorage.getItem('barrage.token');"), tester);
  EXPECT_EQ(browser.Eval("return document.cookie;"), "");

  // 2. The live run page: the chart gains points while the run goes on.
  browser.Open(Base() + "#/runs/" + std::to_string(id));
  const std::string live =
      "const p = document.getElementById('run-page'); const c = document.getElementById('live-chart');"
      "return p && c ? {status: p.getAttribute('data-status'), points: Number(c.getAttribute('data-points'))} : null;";
  nlohmann::json first = browser.PollUntil(live, [](const nlohmann::json& v) {
    return v.is_object() && (v["points"].get<int>() >= 1 || v["status"] != "running");
  });
  ASSERT_TRUE(first.is_object()) << first.dump();
  ASSERT_EQ(first["status"], "running") << "the run ended before the page showed a point";
  const int points = first["points"].get<int>();
  ASSERT_GE(points, 1);
  nlohmann::json second = browser.PollUntil(
      live, [points](const nlohmann::json& v) { return v["points"].get<int>() > points || v["status"] != "running"; });
  EXPECT_GT(second["points"].get<int>(), points) << second.dump();
  EXPECT_EQ(second["status"], "running") << "the chart did not update while the run went on";

  // After the end: the run's final status, as the API says, and its report drawn in the frame.
  nlohmann::json final_status =
      browser.PollUntil("return document.getElementById('run-page').getAttribute('data-status');",
                        [](const nlohmann::json& v) { return v != "running" && v != ""; });
  httplib::Result run = client_->Get("/api/v1/runs/" + std::to_string(id), Auth(tester));
  ASSERT_TRUE(run);
  const nlohmann::json api_run = nlohmann::json::parse(run->body);
  EXPECT_EQ(api_run["status"], "passed") << run->body;
  EXPECT_EQ(final_status, api_run["status"]);
  EXPECT_EQ(api_run["samples"], 300);
  nlohmann::json frame = browser.PollUntil(
      "const f = document.getElementById('report-frame'); return f ? f.getAttribute('sandbox') : null;",
      [](const nlohmann::json& v) { return v.is_string(); });
  EXPECT_EQ(frame, "allow-scripts");
  // The report's own inline script ran inside the sandboxed frame (it inherits the page's CSP).
  ASSERT_TRUE(browser.EnterFrame("#report-frame"));
  nlohmann::json drawn =
      browser.PollUntil("return document.body ? document.body.getAttribute('data-charts-drawn') : null;",
                        [](const nlohmann::json& v) { return v.is_string(); });
  EXPECT_EQ(drawn, "5") << "the report's charts (no errors: no errors chart)";
  // Opaque origin: the report cannot read the page's storage.
  EXPECT_EQ(browser.Eval("try { return String(window.parent.sessionStorage.length); } catch (e) { return 'blocked'; }"),
            "blocked");
  browser.Parent();
  nlohmann::json verdict = browser.PollUntil(
      "const v = document.getElementById('verdict'); return v && v.textContent ? v.textContent : null;",
      [](const nlohmann::json& v) { return v.is_string(); });
  EXPECT_EQ(verdict, "Passed (passed)No thresholds.");
}

// The Stop button: a viewer's click shows the service's refusal (403) and changes nothing; a
// tester's stops the run, which ends `aborted`, and the page shows it.
TEST_F(WebUiTest, TheStopButtonShowsAViewersRefusalAndStopsTheRunForATester) {
  const std::string chromium = FindExecutable("BARRAGE_CHROMIUM", {"/usr/bin/chromium", "/usr/bin/chromium-browser"});
  const std::string chromedriver = FindExecutable("BARRAGE_CHROMEDRIVER", {"/usr/bin/chromedriver"});
  if (chromium.empty() || chromedriver.empty()) {
    GTEST_SKIP() << "chromium or chromedriver is not installed (scripts/setup.sh installs Debian's `chromium` and "
                    "`chromium-driver`); the web UI was not tested in a browser";
  }
  StartService();
  const std::string tester = Token("shop", "tester", "ci");
  const std::string viewer = Token("shop", "viewer", "dash");
  httplib::MultipartFormDataItems items = {{"plan", SlowPlan(), "slow.jmx", "application/xml"}};
  httplib::Result up = client_->Post("/api/v1/projects/shop/plans", Auth(tester), items);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  // About 60 s unless stopped.
  const nlohmann::json body = {{"plan", "slow.jmx"}, {"properties", {{"port", target_->port()}, {"loops", 600}}}};
  httplib::Result started = client_->Post("/api/v1/projects/shop/runs", Auth(tester), body.dump(), "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 201) << started->body;
  const std::string id = std::to_string(nlohmann::json::parse(started->body)["id"].get<int64_t>());

  Browser browser(chromedriver, chromium, dir_ / "profile");
  ASSERT_TRUE(browser.ok());
  browser.OnPoll([this] { serve_->Pump(std::chrono::milliseconds(100)); });
  const std::string click =
      "const b = document.getElementById('stop-button');"
      "if (!b || b.disabled || document.getElementById('run-page').getAttribute('data-status') !== 'running') "
      "return false; b.click(); return true;";
  const std::string said =
      "const m = document.getElementById('run-message'); return m && m.textContent ? m.textContent : null;";

  browser.Open(Base() + "#token=" + PercentEncode(viewer) + "&project=shop&next=/runs/" + id);
  EXPECT_EQ(browser.PollUntil(click, [](const nlohmann::json& v) { return v == true; }), true);
  EXPECT_EQ(browser.PollUntil(said, [](const nlohmann::json& v) { return v.is_string(); }),
            "token 'dash' has role viewer; to stop runs a token needs role tester or admin");
  httplib::Result still = client_->Get("/api/v1/runs/" + id, Auth(tester));
  ASSERT_TRUE(still);
  EXPECT_EQ(nlohmann::json::parse(still->body)["status"], "running");

  // A link with the tester's token, followed in the same tab (only the fragment changes).
  browser.Open(Base() + "#token=" + PercentEncode(tester) + "&project=shop&next=/runs/" + id);
  EXPECT_EQ(browser.Eval("return sessionStorage.getItem('barrage.token');"), tester);
  EXPECT_EQ(browser.PollUntil(click, [](const nlohmann::json& v) { return v == true; }), true);
  EXPECT_EQ(browser.PollUntil(said, [](const nlohmann::json& v) { return v.is_string(); }), "Stop requested.");
  nlohmann::json final_status =
      browser.PollUntil("return document.getElementById('run-page').getAttribute('data-status');",
                        [](const nlohmann::json& v) { return v.is_string() && v != "running" && v != ""; });
  EXPECT_EQ(final_status, "aborted");
  httplib::Result run = client_->Get("/api/v1/runs/" + id, Auth(tester));
  ASSERT_TRUE(run);
  EXPECT_EQ(nlohmann::json::parse(run->body)["status"], "aborted") << run->body;
}

}  // namespace
}  // namespace barrage
