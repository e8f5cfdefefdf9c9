// Issue 14 items 2-3 with the real binaries: systemd notifications of barrage-worker and
// `barrage serve` on a fake NOTIFY_SOCKET, `--check-config` of both, and SIGHUP reloading
// serve's allowed worker keys.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/common/fake_notify_socket.h"
#include "tests/controller/temp_dir.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::ChildProcess;
using test::FakeNotifySocket;
using test::ProcessResult;
using test::RunProcess;
using test::SpawnOptions;

constexpr milliseconds kTimeout(30000);

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Pumps `serve` until it prints where workers dial; returns that endpoint ("" if never).
std::string WaitForEndpoint(ChildProcess& serve) {
  const std::regex dial("workers dial (tcp://127\\.0\\.0\\.1:[0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  std::smatch m;
  while (true) {
    const std::string out = serve.out();
    if (std::regex_search(out, m, dial)) return m[1];
    if (!serve.running() || std::chrono::steady_clock::now() > deadline) return "";
    serve.Pump(milliseconds(100));
  }
}

// Pumps `p` until `text` appears in its stdout (stderr when `err`); false at the deadline.
bool WaitForOutput(ChildProcess& p, const std::string& text, bool err = false) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while ((err ? p.err() : p.out()).find(text) == std::string::npos) {
    if (!p.running() || std::chrono::steady_clock::now() > deadline) return false;
    p.Pump(milliseconds(50));
  }
  return true;
}

// The notifications other than WATCHDOG=1 until (and with) `last`, counting the keep-alives.
std::vector<std::string> StatesUntil(FakeNotifySocket& socket, const std::string& last, int* watchdogs = nullptr) {
  std::vector<std::string> states;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<std::string> d = socket.Next(milliseconds(100));
    if (!d) continue;
    if (*d == "WATCHDOG=1") {
      if (watchdogs) ++*watchdogs;
      continue;
    }
    states.push_back(*d);
    if (*d == last) break;
  }
  return states;
}

// Every notification within `window`.
std::vector<std::string> NotificationsFor(FakeNotifySocket& socket, milliseconds window) {
  std::vector<std::string> got;
  const auto end = std::chrono::steady_clock::now() + window;
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (std::optional<std::string> d = socket.Next(left)) got.push_back(*d);
  }
  return got;
}

class OpsCliTest : public ::testing::Test {
 protected:
  std::vector<std::string> Serve() const {
    return {BARRAGE_BINARY,      "serve",     "--db", dir_.File("barrage.db"), "--listen", "127.0.0.1:0", "--bind",
            "tcp://127.0.0.1:*", "--insecure"};
  }
  TempDir dir_;
};

TEST_F(OpsCliTest, WorkerNotifiesRegistrationStateKeepAlivesAndStopping) {
  ChildProcess serve(Serve());
  const std::string endpoint = WaitForEndpoint(serve);
  ASSERT_FALSE(endpoint.empty()) << serve.out() << serve.err();
  FakeNotifySocket notify;
  SpawnOptions env;
  env.env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=400000"};
  ChildProcess worker({BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", "lg-01", "--insecure", "--work-dir",
                       dir_.File("work"), "--heartbeat-ms", "200"},
                      env);
  EXPECT_EQ(StatesUntil(notify, "READY=1"),
            (std::vector<std::string>{"STATUS=registering with " + endpoint, "STATUS=idle", "READY=1"}))
      << worker.err();
  // WATCHDOG_USEC=400000: a keep-alive every 200 ms, and nothing else while idle.
  std::vector<std::string> second = NotificationsFor(notify, milliseconds(1000));
  EXPECT_GE(second.size(), 2u);
  EXPECT_EQ(second, std::vector<std::string>(second.size(), "WATCHDOG=1"));
  // The controller goes away: the worker says so and keeps waiting.
  ASSERT_TRUE(serve.Signal(SIGKILL));
  EXPECT_EQ(StatesUntil(notify, "STATUS=lost controller"), std::vector<std::string>{"STATUS=lost controller"});
  ASSERT_TRUE(worker.Signal(SIGTERM));
  EXPECT_EQ(StatesUntil(notify, "STOPPING=1"), std::vector<std::string>{"STOPPING=1"});
  ProcessResult r = worker.Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(OpsCliTest, WorkerStatusFollowsARun) {
  // One user, one request to a closed port after a 1.5 s Constant Timer: a run long enough to
  // be seen running.
  WriteFile(dir_.File("plan.jmx"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n"
            "<hashTree>\n<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n"
            "<ThreadGroup testclass=\"ThreadGroup\" testname=\"Users\" enabled=\"true\">\n"
            "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp>\n"
            "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n"
            "<stringProp name=\"LoopController.loops\">1</stringProp>\n</elementProp>\n</ThreadGroup>\n<hashTree>\n"
            "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"Get\" enabled=\"true\">\n"
            "<stringProp name=\"HTTPSampler.domain\">127.0.0.1</stringProp>\n"
            "<stringProp name=\"HTTPSampler.port\">9</stringProp>\n</HTTPSamplerProxy>\n<hashTree>\n"
            "<ConstantTimer testclass=\"ConstantTimer\" testname=\"Wait\" enabled=\"true\">\n"
            "<stringProp name=\"ConstantTimer.delay\">1500</stringProp>\n</ConstantTimer>\n<hashTree/>\n"
            "</hashTree>\n</hashTree>\n</hashTree>\n</hashTree>\n</jmeterTestPlan>\n");
  ChildProcess run({BARRAGE_BINARY, "run", dir_.File("plan.jmx"), "--workers", "1", "--insecure", "--bind",
                    "tcp://127.0.0.1:*", "--db", dir_.File("barrage.db")});
  const std::regex on(" on (tcp://[0-9.]+:[0-9]+)");
  std::smatch m;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  std::string out;
  while (!std::regex_search(out = run.out(), m, on) && run.running() && std::chrono::steady_clock::now() < deadline) {
    run.Pump(milliseconds(50));
  }
  ASSERT_TRUE(std::regex_search(out, m, on)) << run.out() << run.err();
  const std::string endpoint = m[1];
  FakeNotifySocket notify;
  SpawnOptions env;
  env.env = {"NOTIFY_SOCKET=" + notify.path()};
  ChildProcess worker({BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", "lg-01", "--insecure", "--work-dir",
                       dir_.File("work"), "--heartbeat-ms", "200"},
                      env);
  std::vector<std::string> states = StatesUntil(notify, "READY=1");
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "READY=1") << worker.err();
  // Then the run, and idle again: loading and ready may pass between two turns of the loop.
  std::vector<std::string> during = StatesUntil(notify, "STATUS=idle");
  ASSERT_FALSE(during.empty());
  EXPECT_EQ(during.back(), "STATUS=idle") << worker.err();
  const std::regex running("STATUS=running run .+");
  EXPECT_EQ(
      std::count_if(during.begin(), during.end(), [&](const std::string& d) { return std::regex_match(d, running); }),
      1)
      << ::testing::PrintToString(during);
  const std::regex allowed("STATUS=(loading run|ready for run|running run|stopping run) .+|STATUS=idle");
  for (const std::string& d : during) EXPECT_TRUE(std::regex_match(d, allowed)) << d;
  ProcessResult r = run.Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(worker.Signal(SIGTERM));
  EXPECT_EQ(worker.Wait(kTimeout).exit_code, 0);
}

TEST_F(OpsCliTest, ServeNotifiesReadyOnceListeningStatusKeepAlivesAndStopping) {
  FakeNotifySocket notify;
  SpawnOptions env;
  env.env = {"NOTIFY_SOCKET=" + notify.path(), "WATCHDOG_USEC=400000"};
  ChildProcess serve(Serve(), env);
  EXPECT_EQ(StatesUntil(notify, "READY=1"), (std::vector<std::string>{"STATUS=0 workers, 0 runs running", "READY=1"}));
  // Listening by then: the addresses are printed before READY=1.
  serve.Pump(milliseconds(0));
  EXPECT_NE(serve.out().find("barrage: serving the API on http://127.0.0.1:"), std::string::npos) << serve.out();
  const std::string endpoint = WaitForEndpoint(serve);
  ASSERT_FALSE(endpoint.empty());
  std::vector<std::string> second = NotificationsFor(notify, milliseconds(1000));
  EXPECT_GE(second.size(), 2u);
  EXPECT_EQ(second, std::vector<std::string>(second.size(), "WATCHDOG=1"));
  // A worker joins the pool.
  ChildProcess worker({BARRAGE_WORKER_BINARY, "--controller", endpoint, "--name", "lg-01", "--insecure", "--work-dir",
                       dir_.File("work"), "--heartbeat-ms", "200"});
  EXPECT_EQ(StatesUntil(notify, "STATUS=1 workers, 0 runs running"),
            std::vector<std::string>{"STATUS=1 workers, 0 runs running"});
  ASSERT_TRUE(serve.Signal(SIGTERM));
  std::vector<std::string> end = StatesUntil(notify, "STOPPING=1");
  ASSERT_FALSE(end.empty());
  EXPECT_EQ(end.back(), "STOPPING=1");
  ProcessResult r = serve.Wait(kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// Keys for the secure cases: the controller's pair, and workers' pairs with their public keys.
class OpsKeysTest : public OpsCliTest {
 protected:
  void SetUp() override {
    controller_public_ = test::Keygen({BARRAGE_BINARY, "keygen", "-o", dir_.File("controller.key")});
    fs::create_directories(dir_.File("workers.d"));
    for (const char* name : {"a", "b"}) {
      public_[name] = test::Keygen({BARRAGE_WORKER_BINARY, "--keygen", dir_.File(std::string(name) + ".key")});
    }
    WriteFile(dir_.File("workers.d/a.pub"), "public_key = \"" + public_["a"] + "\"\n");
    WriteFile(dir_.File("controller.toml"),
              "db = \"barrage.db\"\n"
              "[cluster]\n"
              "bind = \"tcp://127.0.0.1:*\"\n"
              "[security]\n"
              "secret_key_file = \"controller.key\"\n"
              "allowed_workers_dir = \"workers.d\"\n"
              "[server]\n"
              "listen = \"127.0.0.1:0\"\n");
  }
  // A worker config for key `name` dialing `endpoint`.
  std::string WorkerConfig(const std::string& name, const std::string& endpoint) {
    const std::string path = dir_.File(name + ".toml");
    WriteFile(path, "controller = \"" + endpoint + "\"\nname = \"" + name + "\"\nwork_dir = \"" +
                        dir_.File("work-" + name) + "\"\n[security]\nsecret_key_file = \"" + dir_.File(name + ".key") +
                        "\"\ncontroller_public_key = \"" + controller_public_ + "\"\n");
    return path;
  }
  std::string controller_public_;
  std::map<std::string, std::string> public_;
};

TEST_F(OpsKeysTest, SighupReloadsTheAllowedWorkerKeys) {
  ChildProcess serve({BARRAGE_BINARY, "serve", "--config", dir_.File("controller.toml")});
  const std::string endpoint = WaitForEndpoint(serve);
  ASSERT_FALSE(endpoint.empty()) << serve.out() << serve.err();
  // b is not allowed: its handshake is refused, for good.
  ProcessResult b = RunProcess({BARRAGE_WORKER_BINARY, "--config", WorkerConfig("b", endpoint)}, kTimeout);
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("refused this worker's CURVE key"), std::string::npos) << b.err;
  // a is.
  ChildProcess a({BARRAGE_WORKER_BINARY, "--config", WorkerConfig("a", endpoint)});
  // Regression: the folder's files were taken for Z85 keys when their path had 40 characters,
  // as this one has ("/tmp/barrage-test-XXXXXX/workers.d/a.pub").
  ASSERT_TRUE(WaitForOutput(a, "registered with the controller", true)) << a.err();

  // Rotation: b's key in, a's out, then SIGHUP.
  WriteFile(dir_.File("workers.d/b.pub"), "public_key = \"" + public_["b"] + "\"\n");
  fs::remove(dir_.File("workers.d/a.pub"));
  ASSERT_TRUE(serve.Signal(SIGHUP));
  ASSERT_TRUE(WaitForOutput(serve, "barrage: SIGHUP: reloaded the allowed worker keys from " +
                                       dir_.File("controller.toml") + ": 1 key(s), 1 added, 1 removed\n"))
      << serve.out();
  ChildProcess b2({BARRAGE_WORKER_BINARY, "--config", WorkerConfig("b", endpoint)});
  EXPECT_TRUE(WaitForOutput(b2, "registered with the controller", true)) << b2.err();
  // a's connection stays; a new connection with a's key is refused.
  ProcessResult a2 =
      RunProcess({BARRAGE_WORKER_BINARY, "--config", WorkerConfig("a", endpoint), "--name", "a2"}, kTimeout);
  EXPECT_EQ(a2.exit_code, 2) << a2.err;
  EXPECT_NE(a2.err.find("refused this worker's CURVE key"), std::string::npos) << a2.err;
  EXPECT_TRUE(a.running());

  // A reload that fails keeps the keys in use.
  WriteFile(dir_.File("workers.d/broken.pub"), "public_key = \"not a key\"\n");
  ASSERT_TRUE(serve.Signal(SIGHUP));
  EXPECT_TRUE(WaitForOutput(serve, ": keeping the 1 allowed worker key(s) in use\n")) << serve.out();
  ASSERT_TRUE(serve.Signal(SIGTERM));
  EXPECT_EQ(serve.Wait(kTimeout).exit_code, 0);
}

TEST_F(OpsKeysTest, CheckConfigSaysOkWithoutDialing) {
  // Nothing listens on port 9: --check-config must not care.
  ProcessResult w = RunProcess(
      {BARRAGE_WORKER_BINARY, "--check-config", "--config", WorkerConfig("a", "tcp://127.0.0.1:9")}, kTimeout);
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(w.out, dir_.File("a.toml") + ": OK\n");
  EXPECT_EQ(w.err, "");
  ProcessResult s =
      RunProcess({BARRAGE_BINARY, "serve", "--check-config", "--config", dir_.File("controller.toml")}, kTimeout);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, dir_.File("controller.toml") + ": OK\n");
  EXPECT_EQ(s.err, "");
  EXPECT_FALSE(fs::exists(dir_.File("barrage.db")));  // no store opened
}

TEST_F(OpsKeysTest, CheckConfigRefusesAnOpenWorkerKeyNamingTheFile) {
  const std::string config = WorkerConfig("a", "tcp://127.0.0.1:9");
  fs::permissions(dir_.File("a.key"), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  ProcessResult w = RunProcess({BARRAGE_WORKER_BINARY, "--check-config", "--config", config}, kTimeout);
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_EQ(w.out, "");
  const std::string key = dir_.File("a.key");
  EXPECT_EQ(w.err, "barrage-worker: " + key + ": UNPROTECTED SECRET KEY FILE: permissions 0640 are too open: group " +
                       "or others may access the secret key (chmod 600 " + key +
                       "); --allow-insecure-key-permissions (allow_insecure_key_permissions = true) accepts it with a "
                       "warning\n");
}

TEST_F(OpsKeysTest, CheckConfigNamesFileLineAndKey) {
  WriteFile(dir_.File("typo.toml"), "controller = \"tcp://127.0.0.1:9\"\n\ncontroler_timeout = 5\n");
  ProcessResult w = RunProcess({BARRAGE_WORKER_BINARY, "--check-config", "--config", dir_.File("typo.toml")}, kTimeout);
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_EQ(w.err, "barrage-worker: " + dir_.File("typo.toml") + ":3: key controler_timeout: unknown key\n");
  WriteFile(dir_.File("controller.toml"), "[server]\nlisten = \"127.0.0.1:0\"\nmax_local_runs = \"two\"\n");
  ProcessResult s =
      RunProcess({BARRAGE_BINARY, "serve", "--check-config", "--config", dir_.File("controller.toml")}, kTimeout);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.out, "");
  EXPECT_NE(s.err.find("barrage: " + dir_.File("controller.toml") + ":3: key server.max_local_runs: "),
            std::string::npos)
      << s.err;
  // A typo in [security] or at the top level is an error too, not a silent default.
  WriteFile(dir_.File("controller.toml"), "[security]\ninsecure = true\nallowed_worker = []\n");
  s = RunProcess({BARRAGE_BINARY, "serve", "--check-config", "--config", dir_.File("controller.toml")}, kTimeout);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.err, "barrage: " + dir_.File("controller.toml") +
                       ":3: key security.allowed_worker: unknown key (security takes secret_key_file, allowed_workers, "
                       "allowed_workers_dir, insecure, allow_insecure_key_permissions)\n");
  WriteFile(dir_.File("controller.toml"), "dbb = \"x.db\"\n[security]\ninsecure = true\n");
  s = RunProcess({BARRAGE_BINARY, "serve", "--check-config", "--config", dir_.File("controller.toml")}, kTimeout);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.err, "barrage: " + dir_.File("controller.toml") +
                       ":1: key dbb: unknown key (the file takes db, project, [cluster], [security], [server])\n");
}

}  // namespace
}  // namespace barrage
