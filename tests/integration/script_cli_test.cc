// Issue 11 with the real `barrage` binary: a plan without script elements never starts a JVM
// (libjvm.so is never mapped into the process while it runs), the same plan with a JSR223
// element does, and such a run records its script host in the run's infrastructure info.
// The plans sample nothing over the network (Debug Sampler, JSR223 Sampler).

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::ChildProcess;
using test::ProcessResult;

constexpr milliseconds kTimeout{60'000};

// One user, one loop: a Debug Sampler after a 1.5 s Constant Timer (so the run lasts long
// enough to be watched), and `extra` (script elements) beside it.
std::string Plan(const std::string& extra) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\"><hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\"/><hashTree>\n"
         "<ThreadGroup testclass=\"ThreadGroup\" testname=\"Users\">"
         "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp>"
         "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
         "<stringProp name=\"LoopController.loops\">1</stringProp></elementProp></ThreadGroup><hashTree>\n"
         "<DebugSampler testclass=\"DebugSampler\" testname=\"Debug\"/><hashTree>\n"
         "<ConstantTimer testclass=\"ConstantTimer\" testname=\"Wait\">"
         "<stringProp name=\"ConstantTimer.delay\">1500</stringProp></ConstantTimer><hashTree/>\n"
         "</hashTree>\n" +
         extra + "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
}

const char kScriptSampler[] =
    "<JSR223Sampler testclass=\"JSR223Sampler\" testname=\"Script\">"
    "<stringProp name=\"scriptLanguage\">groovy</stringProp>"
    "<stringProp name=\"script\">SampleResult.setResponseCode('299')</stringProp></JSR223Sampler><hashTree/>\n";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ScriptCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-script-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  struct Watched {
    ProcessResult result;
    bool jvm_mapped = false;  // libjvm.so seen in /proc/PID/maps at any poll
    int polls = 0;            // polls that read the maps of the running process
  };

  // Runs `barrage run PLAN` and reads its memory map every 10 ms until it exits.
  Watched RunWatchingForJvm(const std::string& plan_xml, const std::vector<std::string>& args = {}) {
    const std::string plan = (dir_ / "plan.jmx").string();
    std::ofstream(plan, std::ios::binary) << plan_xml;
    std::vector<std::string> argv = {BARRAGE_BINARY, "run", plan, "--db", db_};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess child(argv);
    Watched w;
    const std::string maps = "/proc/" + std::to_string(child.pid()) + "/maps";
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (child.Pump(milliseconds(10)) && std::chrono::steady_clock::now() < deadline) {
      const std::string m = ReadFile(maps);
      if (m.empty()) continue;  // exited between the pump and the read
      ++w.polls;
      w.jvm_mapped = w.jvm_mapped || m.find("/libjvm.so") != std::string::npos;
    }
    w.result = child.Wait(milliseconds(5000));
    return w;
  }

  nlohmann::json StoredInfra() {
    Result<ResultsStore> store = ResultsStore::Open(db_);
    if (!store.ok()) {
      ADD_FAILURE() << store.status().message();
      return nullptr;
    }
    Result<ExecutionRecord> run = store->GetExecution(1);
    EXPECT_TRUE(run.ok()) << run.status().message();
    nlohmann::json infra = run.ok() ? nlohmann::json::parse(run->infra_json, nullptr, false) : nlohmann::json();
    EXPECT_TRUE(store->Close().ok());
    return infra;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ScriptCliTest, APlanWithoutScriptsNeverMapsTheJvm) {
  Watched w = RunWatchingForJvm(Plan(""));
  ASSERT_FALSE(w.result.timed_out);
  EXPECT_EQ(w.result.exit_code, 0) << w.result.out << w.result.err;
  EXPECT_GE(w.polls, 50) << "the 1.5 s run was watched " << w.polls << " times";
  EXPECT_FALSE(w.jvm_mapped);
  EXPECT_EQ(StoredInfra(), nlohmann::json({{"mode", "local"}}));
}

TEST_F(ScriptCliTest, TheSamePlanWithAJsr223SamplerStartsTheJvmAndRecordsItsHost) {
  Watched w = RunWatchingForJvm(Plan(kScriptSampler), {"-J", "barrage.script.max_heap_mb=96"});
  ASSERT_FALSE(w.result.timed_out);
  EXPECT_EQ(w.result.exit_code, 0) << w.result.out << w.result.err;
  EXPECT_TRUE(w.jvm_mapped);
  nlohmann::json infra = StoredInfra();
  ASSERT_TRUE(infra.is_object()) << infra;
  EXPECT_EQ(infra["mode"], "local");
  const nlohmann::json& host = infra["script_host"];
  ASSERT_TRUE(host.is_object()) << infra;
  EXPECT_EQ(host["max_heap_mb"], "96");
  // -Xmx96m: the serial collector's cap is the heap less one survivor space (a few MiB).
  EXPECT_LE(host["heap_max_bytes"].get<int64_t>(), 96ll << 20) << host;
  EXPECT_GE(host["heap_max_bytes"].get<int64_t>(), 80ll << 20) << host;
  EXPECT_GT(host["heap_used_bytes"].get<int64_t>(), 0) << host;
  EXPECT_LE(host["heap_used_bytes"].get<int64_t>(), host["heap_max_bytes"].get<int64_t>()) << host;
  const std::string version = host["version"].get<std::string>();
  EXPECT_EQ(version.rfind("Java 17.", 0), 0u) << version;
  EXPECT_NE(version.find("; Groovy 2.4."), std::string::npos) << version;
}

// BARRAGE_JAVA_HOME=none: this machine has no Java as far as barrage is concerned.
TEST_F(ScriptCliTest, WithoutJavaInspectSaysWhatToInstallAndRunRefusesTheScriptPlan) {
  const std::string plan = (dir_ / "plan.jmx").string();
  std::ofstream(plan, std::ios::binary) << Plan(kScriptSampler);
  test::SpawnOptions no_java;
  no_java.env = {"BARRAGE_JAVA_HOME=none"};
  ProcessResult inspect = test::RunProcess({BARRAGE_BINARY, "inspect", plan}, kTimeout, no_java);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("\nScripts (1):\n  Script  [JSR223Sampler] groovy, inline  (line 8): not runnable here, "
                             "install a Java 17 runtime (Debian package openjdk-17-jre-headless)\n"),
            std::string::npos)
      << inspect.out;
  EXPECT_NE(inspect.out.find("\nVerdict: runnable, but NOT on this machine (script interpreters missing above)\n"),
            std::string::npos)
      << inspect.out;

  ProcessResult run = test::RunProcess({BARRAGE_BINARY, "run", plan, "--db", db_}, kTimeout, no_java);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_EQ(run.err, "barrage: " + plan +
                         ": the plan has script elements (JSR223Sampler 'Script', line 8): groovy scripts need a "
                         "Java 17 runtime (Debian package openjdk-17-jre-headless)\n");

  // This machine has them all (the other cases run the JVM).
  ProcessResult here = test::RunProcess({BARRAGE_BINARY, "inspect", plan}, kTimeout);
  EXPECT_NE(here.out.find("  Script  [JSR223Sampler] groovy, inline  (line 8): runs here\n"), std::string::npos)
      << here.out;
  EXPECT_NE(here.out.find("\nVerdict: runnable\n"), std::string::npos) << here.out;
}

}  // namespace
}  // namespace barrage
