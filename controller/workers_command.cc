#include "controller/workers_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/protocol.h"
#include "common/wire.h"
#include "controller/cluster_transport.h"

namespace barrage {
namespace {

constexpr int kLoggedDropsPerPeer = 5;

}  // namespace

int64_t ParseDurationMs(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return -1;
  int64_t n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit.empty() || unit == "s") return n * 1000;
  if (unit == "ms") return n;
  if (unit == "m") return n * 60'000;
  return -1;
}

int RunWorkers(const WorkersOptions& options) {
  int64_t listen_ms = ParseDurationMs(options.listen);
  if (listen_ms < 0) {
    std::cerr << "barrage: --listen " << options.listen << ": expected a duration such as 5s or 500ms\n";
    return kExitUsage;
  }
  Result<ClusterSettings> settings = ResolveClusterSettings(options.cluster);
  if (!settings.ok()) {
    std::cerr << "barrage: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : settings->warnings) std::cerr << "barrage: WARNING: " << warning << "\n";
  ZmqTransportOptions to;
  to.bind = settings->bind;
  to.insecure = settings->insecure;
  to.secret_key = settings->secret_key;
  to.allowed_keys = settings->allowed_keys;
  Result<std::unique_ptr<ZmqRouterTransport>> transport = ZmqRouterTransport::Open(to);
  if (!transport.ok()) {
    std::cerr << "barrage: " << transport.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  std::cout << "barrage: listening on " << (*transport)->endpoint() << " for " << options.listen << "\n" << std::flush;
  std::set<std::string> seen;
  std::map<std::string, int> dropped;  // per peer, to bound the log
  const int64_t deadline_us = MonotonicMicros() + int64_t{listen_ms} * 1000;
  InboundMessage m;
  while (true) {
    const int64_t left_ms = (deadline_us - MonotonicMicros()) / 1000;
    if (left_ms <= 0) break;
    if (!(*transport)->Receive(std::chrono::milliseconds(left_ms), &m)) continue;
    if (seen.count(m.peer)) continue;
    const proto::Envelope* e = VerifyEnvelope(m.bytes.data(), m.bytes.size());
    Result<const proto::Hello*> body =
        e == nullptr
            ? Status::InvalidArgument("not a valid protocol message (" + std::to_string(m.bytes.size()) + " bytes)")
            : BodyOf<proto::Hello>(*e);
    Result<HelloMessage> hello = body.ok() ? DecodeHello(**body) : Result<HelloMessage>(body.status());
    if (!hello.ok()) {
      if (++dropped[m.peer] <= kLoggedDropsPerPeer) {
        std::cerr << "barrage: dropped a message from '" << m.peer << "': " << hello.status().message() << "\n";
      }
      continue;
    }
    seen.insert(m.peer);
    std::cout << hello->name << "\t" << (hello->host.empty() ? "?" : hello->host) << "\t" << hello->cores << " cores\t"
              << (hello->software_version.empty() ? "?" : hello->software_version) << "\tprotocol "
              << hello->min_protocol << ".." << hello->max_protocol
              << (hello->min_protocol > kProtocolVersion || hello->max_protocol < kProtocolVersion ? " (INCOMPATIBLE)"
                                                                                                   : "")
              << "\n"
              << std::flush;
  }
  std::cout << "barrage: " << seen.size() << " worker(s)\n";
  return kExitOk;
}

int RunKeygen(const std::string& path) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  if (!keys.ok()) {
    std::cerr << "barrage: " << keys.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  if (Status s = WriteCurveKeyFile(path, *keys); !s.ok()) {
    std::cerr << "barrage: " << s.message() << "\n";
    return kExitRuntimeFailure;
  }
  std::cout << keys->public_key << "\n";
  return kExitOk;
}

}  // namespace barrage
