// libFuzzer target for the controller's whole message handling: arbitrary frames from
// arbitrary peers (registered workers with their keys, a worker's name with another key, a
// stranger) fed into a ClusterCoordinator on a fake transport, with time passing between
// them, starting in any phase. Input format: tests/fuzz/fuzz_frames.h; `control` % 4 picks
// the phase (registering, loading, running, stopping), a record's selector bits 0-1 the
// peer and bits 2-7 the time that passes before it (x 100 ms, then OnTick).
//
// Besides crashes, sanitizer reports, leaks and hangs, it checks two contracts: every frame
// the coordinator sends verifies, and every run ends (done) once stopped and time passes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.h"
#include "common/wire.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_transport.h"
#include "tests/fuzz/fuzz_frames.h"

namespace {

using namespace barrage;

constexpr char kRun[] = "7-fuzz";
constexpr int64_t kSecond = 1'000'000;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "cluster_coordinator_fuzz: contract violated: %s\n", what);
  std::abort();
}

class CheckingTransport : public ClusterTransport {
 public:
  bool Send(const std::string& peer, std::string_view bytes) override {
    if (VerifyEnvelope(bytes.data(), bytes.size()) == nullptr) Fail("the coordinator sent an invalid frame");
    return peer != "stranger";  // one peer is gone again when answered
  }
  bool Receive(std::chrono::milliseconds, InboundMessage*) override { return false; }
};

class NullListener : public CoordinatorListener {
 public:
  Status OnSamples(const ClusterWorker&, std::vector<Sample>&&) override { return Status::Ok(); }
  void OnLog(const std::string&) override {}
};

struct Peer {
  const char* id;
  const char* key;
};
constexpr Peer kPeers[4] = {{"a", "KEY-A"}, {"b", "KEY-B"}, {"stranger", "KEY-S"}, {"a", "KEY-X"}};

void Deliver(ClusterCoordinator& c, const Peer& p, std::string bytes, ClusterTime now) {
  c.OnMessage({p.id, std::move(bytes), p.key}, now);
}

std::string RealHello(const std::string& name) {
  return EncodeHello("", HelloMessage{name, name + ".local", 4, kProtocolVersion, kProtocolVersion, "0.1.0"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Input in = fuzz::ParseInput(data, size);
  CoordinatorOptions options;
  options.run_id = kRun;
  options.expected_workers = 2;
  options.registration_timeout_us = 30 * kSecond;
  options.heartbeat_interval_us = kSecond;
  options.ready_timeout_us = 20 * kSecond;
  options.graceful_stop_timeout_us = 10 * kSecond;
  options.stop_now_timeout_us = 5 * kSecond;
  options.chunk_bytes = 16;  // the plan travels in several LoadPlan chunks
  ClusterPlan plan;
  plan.plan_name = "p.jmx";
  plan.plan_bytes = "<jmeterTestPlan/>";
  plan.properties = {{"users", "5"}};
  ClusterDataFile hosts;
  hosts.plan_path = "hosts.csv";
  hosts.content = "h1\nh2\n";
  ClusterDataFile users;
  users.plan_path = "users.csv";
  users.split = true;
  users.keep_header = true;
  users.content = "name\nu1\nu2\nu3\n";
  plan.files = {hosts, users};

  CheckingTransport transport;
  NullListener listener;
  ClusterTime now{1'000 * kSecond, 1'700'000'000 * kSecond};
  ClusterCoordinator c(options, plan, &transport, &listener, now);
  const int phase = in.control % 4;
  if (phase >= 1) {
    Deliver(c, kPeers[0], RealHello("a"), now);
    Deliver(c, kPeers[1], RealHello("b"), now);
  }
  if (phase >= 2) {
    Deliver(c, kPeers[0], EncodeReady(kRun, {true, ""}), now);
    Deliver(c, kPeers[1], EncodeReady(kRun, {true, ""}), now);
  }
  if (phase >= 3) c.RequestStop(false, "fuzz", now);

  for (const fuzz::Record& r : in.records) {
    const int64_t advance = static_cast<int64_t>(r.selector >> 2) * 100'000;
    if (advance > 0) {
      now.steady_us += advance;
      now.wall_us += advance;
      c.OnTick(now);
    }
    Deliver(c, kPeers[r.selector & 3], std::string(r.frame), now);
  }

  // Every run ends: stop it and let time pass (stop escalation, liveness, timeouts).
  c.RequestStop(false, "fuzz: end of input", now);
  for (int s = 0; s < 120 && !c.done(); ++s) {
    now.steady_us += kSecond;
    now.wall_us += kSecond;
    c.OnTick(now);
    if (s == 60) c.RequestStop(true, "fuzz: end of input", now);
  }
  if (!c.done()) Fail("the run did not end 120 s after a stop request");
  c.workers();
  c.MissingWorkers();
  return 0;
}
