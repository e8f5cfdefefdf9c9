// Writes the seed corpora of cluster_coordinator_fuzz and worker_daemon_fuzz: real frames
// from the encoders (common/wire.h), alone and in the sequences a run goes through, plus
// every message type without its body, in the input format of tests/fuzz/fuzz_frames.h.
//
//   wire_fuzz_seeds COORDINATOR_DIR WORKER_DIR                 # the seeds (build-time)
//   wire_fuzz_seeds --regressions COORDINATOR_DIR WORKER_DIR   # the issue-16 crash inputs
//
// The regressions are checked in (tests/fuzz/regressions_*); the seeds are generated into
// the build directory so they always match the encoders.
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/wire.h"
#include "tests/common/malformed_frames.h"
#include "tests/fuzz/fuzz_frames.h"

namespace {

using namespace barrage;

constexpr char kRun[] = "7-fuzz";       // cluster_coordinator_fuzz's run id
constexpr char kWorkerRun[] = "run-f";  // worker_daemon_fuzz's plan
constexpr int64_t kWall = 1'700'000'000'000'000;

const proto::Body kBodies[] = {proto::Body::Hello,     proto::Body::Welcome,     proto::Body::Reject,
                               proto::Body::Heartbeat, proto::Body::LoadPlan,    proto::Body::Ready,
                               proto::Body::Start,     proto::Body::SampleBatch, proto::Body::BatchAck,
                               proto::Body::Stop,      proto::Body::Finished};

struct Seed {
  std::string name;
  uint8_t control = 0;
  std::vector<std::pair<uint8_t, std::string>> records;  // selector, frame
};

bool WriteSeeds(const std::string& dir, const std::vector<Seed>& seeds) {
  for (const Seed& s : seeds) {
    std::string bytes(1, static_cast<char>(s.control));
    for (const auto& [selector, frame] : s.records) bytes += fuzz::RecordBytes(selector, frame);
    const std::string path = dir + "/" + s.name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) {
      std::fprintf(stderr, "wire_fuzz_seeds: %s: cannot write\n", path.c_str());
      return false;
    }
  }
  return true;
}

Sample MakeSample(const std::string& label, bool success) {
  Sample s;
  s.timestamp_ms = kWall / 1000;
  s.elapsed_us = 1500;
  s.latency_us = 700;
  s.bytes = 120;
  s.label = label;
  s.response_code = success ? "200" : "500";
  s.response_message = success ? "OK" : "Internal Server Error";
  s.thread_name = "a-Users 1-1";
  s.url = "http://127.0.0.1:1/" + label;
  s.success = success;
  s.transaction = label == "tx";
  return s;
}

// Peers of cluster_coordinator_fuzz: selector bits 0-1 (a, b, stranger, a with another key),
// bits 2-7 the time before the frame in 100 ms steps.
constexpr uint8_t kA = 0, kB = 1, kStranger = 2, kAOtherKey = 3;
constexpr uint8_t Later(uint8_t peer, int tenths) { return static_cast<uint8_t>(peer | (tenths << 2)); }

std::string Hello(const std::string& name) {
  return EncodeHello("", HelloMessage{name, name + ".local", 4, kProtocolVersion, kProtocolVersion, "0.1.0"});
}

std::vector<Seed> CoordinatorSeeds() {
  const std::string hb = EncodeHeartbeat(kRun, {proto::WorkerState::Running, 2, 12.5f, kWall, kWall - 300});
  const std::string batch = EncodeSampleBatch(kRun, 1, 1, {MakeSample("home", true), MakeSample("tx", false)});
  const std::string finished = EncodeFinished(kRun, {2, 1, 1, 0});
  std::vector<Seed> seeds;
  seeds.push_back({"whole_run",
                   0,
                   {{kA, Hello("a")},
                    {kB, Hello("b")},
                    {Later(kA, 1), EncodeReady(kRun, {true, ""})},
                    {kB, EncodeReady(kRun, {true, ""})},
                    {Later(kA, 10), hb},
                    {kA, batch},
                    {kB, EncodeSampleBatch(kRun, 2, 1, {MakeSample("home", true)})},
                    {kA, batch},
                    {Later(kB, 5), EncodeFinished(kRun, {1, 1, 0, 0})},
                    {kA, finished}}});
  seeds.push_back({"ready_false", 1, {{kA, EncodeReady(kRun, {false, "users.csv: sha256 mismatch"})}}});
  seeds.push_back({"stranger_and_other_key",
                   2,
                   {{kStranger, Hello("c")}, {kAOtherKey, Hello("a")}, {kAOtherKey, batch}, {kStranger, batch}}});
  seeds.push_back({"old_protocol", 0, {{kStranger, EncodeHello("", HelloMessage{"c", "", 1, 2, 3, ""}, 2)}}});
  seeds.push_back({"silent_then_back", 2, {{Later(kA, 63), hb}, {Later(kA, 63), batch}, {kA, finished}}});
  for (int phase = 0; phase < 4; ++phase) {
    const std::string p = "phase" + std::to_string(phase) + "_";
    seeds.push_back({p + "hello", static_cast<uint8_t>(phase), {{kA, Hello("a")}}});
    seeds.push_back({p + "heartbeat", static_cast<uint8_t>(phase), {{kA, hb}}});
    seeds.push_back({p + "ready", static_cast<uint8_t>(phase), {{kA, EncodeReady(kRun, {true, ""})}}});
    seeds.push_back({p + "batch", static_cast<uint8_t>(phase), {{kA, batch}}});
    seeds.push_back({p + "finished", static_cast<uint8_t>(phase), {{kA, finished}}});
    Seed bodyless{p + "bodyless", static_cast<uint8_t>(phase), {}};
    for (proto::Body type : kBodies) bodyless.records.emplace_back(kA, test::BodylessFrame(type, kRun));
    seeds.push_back(bodyless);
  }
  return seeds;
}

std::vector<Seed> WorkerSeeds() {
  LoadPlanMessage other;
  other.plan_name = "other.jmx";
  other.plan = "<jmeterTestPlan version=\"1.2\"><hashTree/></jmeterTestPlan>\n";
  other.properties = {{"worker.index", "1"}, {"worker.count", "2"}};
  other.share = proto::ShareMode::Total;
  other.worker_index = 1;
  other.worker_count = 2;
  other.files.push_back({"/data/split.csv", Sha256Hex("x\n"), proto::DataMode::Split, 0, 0, "x\n"});
  const std::string welcome = EncodeWelcome("", WelcomeMessage{7, kProtocolVersion, 1000});
  const std::string hb = EncodeHeartbeat("", {proto::WorkerState::Idle, 0, 0, kWall, kWall - 300});
  std::vector<Seed> seeds;
  seeds.push_back({"welcome", 0, {{0, welcome}, {0, welcome}}});
  seeds.push_back({"welcome_other_run", 2, {{0, EncodeWelcome("9-other", WelcomeMessage{3, 1, 200})}}});
  seeds.push_back({"reject_for_now", 0, {{0, EncodeReject("", {"the run already has its 2 worker(s)", false})}}});
  seeds.push_back({"reject_for_good", 1, {{0, EncodeReject("", {"unknown worker name 'w1'", true})}}});
  seeds.push_back({"heartbeat", 1, {{0, hb}, {0, hb}}});
  Seed load{"load_other_plan", 1, {}};
  for (const std::string& f : EncodeLoadPlan("run-o", other, 3)) load.records.emplace_back(0, f);
  seeds.push_back(load);
  seeds.push_back({"start_stop_ack",
                   2,
                   {{0, EncodeStart(kWorkerRun, {kWall})},
                    {0, EncodeStop(kWorkerRun, {proto::StopMode::Graceful, "x"})},
                    {0, EncodeBatchAck(kWorkerRun, {1})},
                    {0, EncodeStop(kWorkerRun, {proto::StopMode::Now, ""})}}});
  seeds.push_back({"stop_before_start", 2, {{0, EncodeStop(kWorkerRun, {proto::StopMode::Now, "operator"})}}});
  for (int state = 0; state < 3; ++state) {
    Seed bodyless{"state" + std::to_string(state) + "_bodyless", static_cast<uint8_t>(state), {}};
    for (proto::Body type : kBodies) bodyless.records.emplace_back(0, test::BodylessFrame(type, kWorkerRun));
    seeds.push_back(bodyless);
  }
  return seeds;
}

// The crashes of issue 16 item 1, as found with the real binaries.
std::vector<Seed> CoordinatorRegressions() {
  return {{"hello_with_one_byte_changed", 0, {{kStranger, test::WithBodyCutByOneByte(Hello("c"))}}},
          {"hello_without_body_from_a_registered_name", 1, {{kA, test::BodylessFrame(proto::Body::Hello)}}},
          {"running_messages_without_body",
           2,
           {{kA, test::BodylessFrame(proto::Body::Heartbeat, kRun)},
            {kA, test::BodylessFrame(proto::Body::Ready, kRun)},
            {kA, test::BodylessFrame(proto::Body::SampleBatch, kRun)},
            {kA, test::BodylessFrame(proto::Body::Finished, kRun)}}}};
}

std::vector<Seed> WorkerRegressions() {
  return {{"welcome_without_body", 0, {{0, test::BodylessFrame(proto::Body::Welcome)}}},
          {"welcome_with_one_byte_changed",
           0,
           {{0, test::WithBodyCutByOneByte(EncodeWelcome("", WelcomeMessage{7, kProtocolVersion, 1000}))}}},
          {"reject_without_body", 0, {{0, test::BodylessFrame(proto::Body::Reject)}}},
          {"loaded_messages_without_body",
           2,
           {{0, test::BodylessFrame(proto::Body::Heartbeat)},
            {0, test::BodylessFrame(proto::Body::LoadPlan, "run-x")},
            {0, test::BodylessFrame(proto::Body::Start, kWorkerRun)},
            {0, test::BodylessFrame(proto::Body::BatchAck, kWorkerRun)},
            {0, test::BodylessFrame(proto::Body::Stop, kWorkerRun)}}}};
}

}  // namespace

int main(int argc, char** argv) {
  const bool regressions = argc == 4 && std::string_view(argv[1]) == "--regressions";
  if (argc != 3 && !regressions) {
    std::fprintf(stderr, "usage: %s [--regressions] COORDINATOR_DIR WORKER_DIR\n", argv[0]);
    return 2;
  }
  const std::string coordinator_dir = argv[argc - 2];
  const std::string worker_dir = argv[argc - 1];
  bool ok = regressions
                ? WriteSeeds(coordinator_dir, CoordinatorRegressions()) && WriteSeeds(worker_dir, WorkerRegressions())
                : WriteSeeds(coordinator_dir, CoordinatorSeeds()) && WriteSeeds(worker_dir, WorkerSeeds());
  return ok ? 0 : 1;
}
