// libFuzzer target for barrage-worker's whole message handling: arbitrary frames fed to
// WorkerDaemon::HandleFrameForTesting (exactly what Run() does with a received frame, minus
// the socket), starting unregistered, registered, or holding a loaded plan. Input format:
// tests/fuzz/fuzz_frames.h; `control` % 3 picks the start state; selectors are unused.
// No engine ever starts (that takes a clock tick), so a plan a mutation aims elsewhere sends
// nothing. Files go to a temporary work dir, emptied after every input.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <spdlog/spdlog.h>

#include "common/digest.h"
#include "common/wire.h"
#include "tests/fuzz/fuzz_frames.h"
#include "worker/daemon.h"
#include "worker/worker_config.h"

namespace {

namespace fs = std::filesystem;
using namespace barrage;

fs::path g_work_dir;

void RemoveWorkDir() {
  std::error_code ignored;
  fs::remove_all(g_work_dir, ignored);
}

// A plan with one data file, as the controller sends it (in several chunks).
const std::vector<std::string>& LoadPlanFrames() {
  static const std::vector<std::string> frames = [] {
    LoadPlanMessage m;
    m.plan_name = "fuzz.jmx";
    m.plan =
        "<jmeterTestPlan version=\"1.2\"><hashTree><TestPlan testclass=\"TestPlan\" testname=\"T\"/><hashTree>"
        "<ThreadGroup testclass=\"ThreadGroup\" testname=\"tg\"><stringProp name=\"ThreadGroup.num_threads\">1"
        "</stringProp></ThreadGroup><hashTree/></hashTree></hashTree></jmeterTestPlan>\n";
    m.properties = {{"worker.index", "0"}, {"worker.count", "1"}};
    m.files.push_back({"ids.csv", Sha256Hex("id\n1\n2\n"), proto::DataMode::Copy, 0, 0, "id\n1\n2\n"});
    return EncodeLoadPlan("run-f", m, 4);
  }();
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  std::string pattern =
      (fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()) / "barrage-worker-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("worker_daemon_fuzz: mkdtemp");
    std::abort();
  }
  g_work_dir = pattern;
  std::atexit(RemoveWorkDir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::ParseInput(data, size);
  {
    WorkerConfig config;
    config.name = "w1";
    config.insecure = true;
    config.work_dir = g_work_dir.string();
    WorkerDaemon daemon(config);
    const int state = in.control % 3;
    if (state >= 1) daemon.HandleFrameForTesting(EncodeWelcome("", WelcomeMessage{7, kProtocolVersion, 1000}));
    if (state >= 2) {
      for (const std::string& f : LoadPlanFrames()) daemon.HandleFrameForTesting(f);
    }
    for (const fuzz::Record& r : in.records) {
      if (!daemon.HandleFrameForTesting(r.frame)) break;  // a permanent Reject: the worker exits
    }
  }
  std::error_code ignored;
  fs::remove_all(g_work_dir / "runs", ignored);
  fs::remove_all(g_work_dir / "spool", ignored);
  return 0;
}
