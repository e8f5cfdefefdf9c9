#include "controller/cluster_coordinator.h"

#include <algorithm>
#include <utility>

#include "common/digest.h"
#include "common/protocol.h"

namespace barrage {
namespace {

constexpr uint64_t kLoggedDropsPerPeer = 5;
constexpr int64_t kMaxRoundTripUs = 10'000'000;

std::string Seconds(int64_t us) {
  int64_t tenths = (us + 50'000) / 100'000;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + " s";
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string KeyFingerprint(const std::string& key) {
  return key.empty() ? "no key" : "key " + key.substr(0, 8) + "...";
}

const char* WorkerPhaseName(WorkerPhase phase) {
  switch (phase) {
    case WorkerPhase::kRegistered: return "registered";
    case WorkerPhase::kLoading: return "loading";
    case WorkerPhase::kReady: return "ready";
    case WorkerPhase::kRunning: return "running";
    case WorkerPhase::kFinished: return "finished";
    case WorkerPhase::kLost: return "lost";
    case WorkerPhase::kRejected: return "rejected";
  }
  return "?";
}

uint64_t ClusterWorker::samples_lost() const {
  if (!finished) return invalid_samples;
  // Dropped and invalid samples are among those produced and not received: counted once.
  uint64_t missing = finished->samples > samples_received ? finished->samples - samples_received : 0;
  return std::max(missing, invalid_samples + finished->dropped);
}

ClusterCoordinator::ClusterCoordinator(CoordinatorOptions options, ClusterPlan plan, ClusterTransport* transport,
                                       CoordinatorListener* listener, ClusterTime now)
    : options_(std::move(options)),
      plan_(std::move(plan)),
      transport_(transport),
      listener_(listener),
      registration_deadline_us_(now.steady_us + options_.registration_timeout_us) {
  if (!options_.worker_names.empty()) options_.expected_workers = static_cast<int>(options_.worker_names.size());
  if (options_.expected_workers < 1) options_.expected_workers = 1;
  for (const auto& [name, key] : options_.bound_names) {
    name_keys_[name] = key;
    key_names_[key].insert(name);
  }
  if (options_.adopted.empty()) return;
  options_.expected_workers = static_cast<int>(options_.adopted.size());
  options_.worker_names.clear();
  for (const CoordinatorOptions::Adopted& a : options_.adopted) {
    ClusterWorker w;
    w.peer = a.peer;
    w.name = a.name;
    w.host = a.host;
    w.version = a.version;
    w.public_key = a.public_key;
    w.cores = a.cores;
    w.worker_id = next_worker_id_++;
    w.joined_at_ms = now.wall_us / 1000;
    w.last_heard_steady_us = now.steady_us;
    w.last_sent_heartbeat_us = now.steady_us;
    name_keys_.emplace(w.name, w.public_key);
    Log("worker " + w.name + " (" + (w.host.empty() ? "?" : w.host) + ") joins the run from the pool");
    workers_[a.peer] = std::move(w);
  }
  BeginLoading(now);
}

ClusterWorker* ClusterCoordinator::Find(const std::string& peer) {
  auto it = workers_.find(peer);
  return it == workers_.end() ? nullptr : &it->second;
}

ClusterWorker* ClusterCoordinator::FindParticipant(const std::string& name) {
  for (auto& [peer, w] : workers_) {
    if (w.participant() && w.name == name) return &w;
  }
  return nullptr;
}

std::vector<const ClusterWorker*> ClusterCoordinator::workers() const {
  std::vector<const ClusterWorker*> out;
  for (const auto& [peer, w] : workers_) out.push_back(&w);
  std::stable_sort(out.begin(), out.end(), [](const ClusterWorker* a, const ClusterWorker* b) {
    if (a->participant() != b->participant()) return a->participant();
    return a->worker_id < b->worker_id;
  });
  return out;
}

std::vector<std::string> ClusterCoordinator::MissingWorkers() const {
  std::vector<std::string> missing;
  int registered = 0;
  std::set<std::string> names;
  for (const auto& [peer, w] : workers_) {
    if (!w.participant()) continue;
    ++registered;
    names.insert(w.name);
  }
  if (!options_.worker_names.empty()) {
    for (const std::string& n : options_.worker_names) {
      if (!names.count(n)) missing.push_back(n);
    }
  } else if (registered < options_.expected_workers) {
    missing.push_back(std::to_string(options_.expected_workers - registered) + " more worker(s)");
  }
  return missing;
}

void ClusterCoordinator::Drop(const InboundMessage& m, ClusterWorker* w, const std::string& why) {
  uint64_t n = w ? ++w->dropped_messages : ++unknown_peer_drops_[m.peer];
  if (n <= kLoggedDropsPerPeer) {
    Log("dropped a message from '" + PeerLabel(m.peer) + "': " + why +
        (n == kLoggedDropsPerPeer ? " (further drops from this peer are not logged)" : ""));
  }
}

void ClusterCoordinator::Send(ClusterWorker& w, const std::string& bytes) {
  if (!transport_->Send(w.peer, bytes)) {
    if (++w.dropped_messages <= kLoggedDropsPerPeer)
      Log("worker " + w.name + " is not connected; a message was not sent");
  }
}

bool ClusterCoordinator::Owes(const ClusterWorker& w) const {
  switch (w.phase) {
    case WorkerPhase::kRegistered:
    case WorkerPhase::kLoading:
    case WorkerPhase::kReady:
    case WorkerPhase::kRunning: return true;
    default: return false;
  }
}

void ClusterCoordinator::OnMessage(const InboundMessage& m, ClusterTime now) {
  if (phase_ == Phase::kDone) return;
  ClusterWorker* w = Find(m.peer);
  const proto::Envelope* e = VerifyEnvelope(m.bytes.data(), m.bytes.size());
  if (e == nullptr) {
    Drop(m, w, "not a valid protocol message (" + std::to_string(m.bytes.size()) + " bytes)");
    return;
  }
  proto::Body type = e->body_type();
  if (type == proto::Body::Hello) {
    OnHello(m, *e, now);
    return;
  }
  if (w == nullptr || !w->participant()) {
    Drop(m, w, BodyName(type) + " from a worker that has not registered");
    return;
  }
  if (m.public_key != w->public_key) {
    Drop(m, w, BodyName(type) + " signed with another key than the one '" + w->name + "' registered with");
    return;
  }
  w->last_heard_steady_us = now.steady_us;
  if (e->protocol() != kProtocolVersion) {
    Drop(m, w, BodyName(type) + " in protocol version " + std::to_string(e->protocol()));
    return;
  }
  if (type == proto::Body::Heartbeat) {
    Result<const proto::Heartbeat*> hb = BodyOf<proto::Heartbeat>(*e);
    if (!hb.ok()) {
      Drop(m, w, hb.status().message());
      return;
    }
    OnHeartbeat(*w, **hb, now);
    return;
  }
  if (RunIdOf(*e) != options_.run_id) {
    Drop(m, w, BodyName(type) + " for another run ('" + std::string(RunIdOf(*e)) + "')");
    return;
  }
  // Batches alone do not take a lost worker back: a restarted one resends its spool.
  bool live = phase_ == Phase::kRunning || phase_ == Phase::kStopping;
  if (w->phase == WorkerPhase::kLost && live && type == proto::Body::Finished) {
    Log("worker " + w->name + " is back");
    w->phase = WorkerPhase::kRunning;
    w->left_at_ms.reset();
    w->reason.clear();
  }
  switch (type) {
    case proto::Body::Ready: {
      Result<const proto::Ready*> r = BodyOf<proto::Ready>(*e);
      if (!r.ok()) {
        Drop(m, w, r.status().message());
        return;
      }
      OnReady(*w, **r, now);
      return;
    }
    case proto::Body::SampleBatch: {
      Result<const proto::SampleBatch*> b = BodyOf<proto::SampleBatch>(*e);
      if (!b.ok()) {
        Drop(m, w, b.status().message());
        return;
      }
      OnSampleBatch(*w, **b, now);
      return;
    }
    case proto::Body::Finished: {
      Result<const proto::Finished*> f = BodyOf<proto::Finished>(*e);
      if (!f.ok()) {
        Drop(m, w, f.status().message());
        return;
      }
      OnFinished(*w, **f, now);
      return;
    }
    default: Drop(m, w, "unexpected " + BodyName(type));
  }
}

void ClusterCoordinator::Reject(const InboundMessage& m, const std::string& name, const std::string& host,
                                const std::string& reason, ClusterTime now, bool permanent, const std::string& detail) {
  transport_->Send(m.peer, EncodeReject(options_.run_id, {reason, permanent}));
  ClusterWorker* existing = Find(m.peer);
  if (existing && existing->phase == WorkerPhase::kRejected && existing->reason == reason) return;
  if (existing && existing->participant()) {
    // Someone else under a participant's name: the participant keeps its record.
    Log("rejected a Hello as '" + existing->name + "': " + reason + (detail.empty() ? "" : " " + detail));
    return;
  }
  ClusterWorker w;
  if (existing) w.worker_id = existing->worker_id;
  if (w.worker_id == 0) w.worker_id = next_rejected_id_++;
  w.peer = m.peer;
  w.name = name.empty() ? PeerLabel(m.peer) : name;
  const std::string label = w.name;
  w.host = host;
  w.phase = WorkerPhase::kRejected;
  w.reason = reason;
  w.joined_at_ms = now.wall_us / 1000;
  w.left_at_ms = now.wall_us / 1000;
  workers_[m.peer] = std::move(w);
  Log("rejected worker '" + label + "'" + (host.empty() ? "" : " (" + host + ")") + ": " + reason +
      (detail.empty() ? "" : " " + detail));
}

void ClusterCoordinator::OnHello(const InboundMessage& m, const proto::Envelope& e, ClusterTime now) {
  Result<const proto::Hello*> body = BodyOf<proto::Hello>(e);
  Result<HelloMessage> decoded = body.ok() ? DecodeHello(**body) : Result<HelloMessage>(body.status());
  if (!decoded.ok()) {
    Reject(m, "", "", "malformed Hello: " + decoded.status().message(), now, /*permanent=*/true);
    return;
  }
  const HelloMessage& hello = *decoded;
  if (hello.min_protocol > kProtocolVersion || hello.max_protocol < kProtocolVersion) {
    Reject(m, hello.name, hello.host,
           "protocol version mismatch: the worker speaks " + std::to_string(hello.min_protocol) + ".." +
               std::to_string(hello.max_protocol) + ", this controller speaks " + std::to_string(kProtocolVersion),
           now, /*permanent=*/true);
    return;
  }
  if (hello.name.empty()) {
    Reject(m, "", hello.host, "the worker has no name", now, /*permanent=*/true);
    return;
  }
  // The name belongs to one key (see the header); nothing else is touched when it is not
  // this one.
  auto bound = name_keys_.find(hello.name);
  if (bound != name_keys_.end() && bound->second != m.public_key) {
    Reject(m, hello.name, hello.host, "the name '" + hello.name + "' belongs to another key", now,
           /*permanent=*/false,
           "(" + KeyFingerprint(m.public_key) + ", the name is bound to " + KeyFingerprint(bound->second) + ")");
    return;
  }
  auto key_names = key_names_.find(m.public_key);
  if (key_names != key_names_.end() && !key_names->second.count(hello.name)) {
    Reject(m, hello.name, hello.host,
           "this worker's key is bound to the name(s) " +
               Join(std::vector<std::string>(key_names->second.begin(), key_names->second.end())),
           now, /*permanent=*/false, "(" + KeyFingerprint(m.public_key) + ")");
    return;
  }
  WelcomeMessage welcome;
  welcome.protocol = kProtocolVersion;
  welcome.heartbeat_ms = static_cast<uint32_t>(options_.heartbeat_interval_us / 1000);
  ClusterWorker* w = Find(m.peer);
  if (w && w->participant() && w->name != hello.name) {
    Reject(m, hello.name, hello.host, "this connection registered as '" + w->name + "'", now);
    return;
  }
  if (ClusterWorker* named = FindParticipant(hello.name)) {
    if (named->peer != m.peer) {
      // The worker on a new connection (it reconnected or restarted) once the old one is
      // gone; before that, a second process under the same name and key is refused.
      bool gone = named->phase == WorkerPhase::kLost ||
                  now.steady_us - named->last_heard_steady_us > 2 * options_.heartbeat_interval_us;
      if (!gone) gone = !SendHeartbeat(*named, now);  // fails once the old connection is closed
      if (!gone) {
        Reject(m, hello.name, hello.host, "worker '" + hello.name + "' is connected already (another connection)", now);
        return;
      }
      ClusterWorker moved = std::move(*named);
      workers_.erase(moved.peer);
      moved.peer = m.peer;
      named = &(workers_[m.peer] = std::move(moved));
      Log("worker " + named->name + " is on a new connection (reconnected or restarted)");
    } else {
      Log("worker " + named->name + " said hello again (reconnected)");
    }
    // Same id. One that restarted mid-run shows itself by heartbeating Idle.
    named->last_heard_steady_us = now.steady_us;
    welcome.worker_id = static_cast<uint32_t>(named->worker_id);
    Send(*named, EncodeWelcome(options_.run_id, welcome));
    return;
  }
  if (phase_ != Phase::kRegistering) {
    std::vector<std::string> names;
    for (const ClusterWorker* p : workers()) {
      if (p->participant()) names.push_back(p->name);
    }
    Reject(m, hello.name, hello.host, "a run is in progress with workers " + Join(names), now);
    return;
  }
  int32_t id = 0;
  if (!options_.worker_names.empty()) {
    auto it = std::find(options_.worker_names.begin(), options_.worker_names.end(), hello.name);
    if (it == options_.worker_names.end()) {
      Reject(m, hello.name, hello.host,
             "unknown worker name '" + hello.name + "'; this run expects " + Join(options_.worker_names), now);
      return;
    }
    id = static_cast<int32_t>(it - options_.worker_names.begin()) + 1;
  }
  int participants = 0;
  for (const auto& [peer, p] : workers_) {
    if (!p.participant()) continue;
    ++participants;
    if (p.name == hello.name) {
      Reject(m, hello.name, hello.host, "a worker named '" + hello.name + "' is already registered", now);
      return;
    }
  }
  if (participants >= options_.expected_workers) {
    Reject(m, hello.name, hello.host,
           "the run already has its " + std::to_string(options_.expected_workers) + " worker(s)", now);
    return;
  }
  if (id == 0) id = next_worker_id_++;
  ClusterWorker fresh;
  fresh.peer = m.peer;
  fresh.name = hello.name;
  fresh.host = hello.host;
  fresh.version = hello.software_version;
  fresh.public_key = m.public_key;
  fresh.cores = hello.cores;
  fresh.worker_id = id;
  fresh.joined_at_ms = now.wall_us / 1000;
  fresh.last_heard_steady_us = now.steady_us;
  fresh.last_sent_heartbeat_us = now.steady_us;
  ClusterWorker& added = workers_[m.peer] = std::move(fresh);
  name_keys_.emplace(added.name, added.public_key);
  welcome.worker_id = static_cast<uint32_t>(id);
  Send(added, EncodeWelcome(options_.run_id, welcome));
  Log("worker " + added.name + " registered from " + (added.host.empty() ? "?" : added.host) + " (" +
      std::to_string(added.cores) + " cores, " + (added.version.empty() ? "version ?" : added.version) + ")");
  if (participants + 1 == options_.expected_workers) BeginLoading(now);
}

void ClusterCoordinator::BeginLoading(ClusterTime now) {
  phase_ = Phase::kLoading;
  loading_since_us_ = now.steady_us;
  std::vector<ClusterWorker*> ps;
  for (auto& [peer, w] : workers_) {
    if (w.participant()) ps.push_back(&w);
  }
  std::sort(ps.begin(), ps.end(),
            [](const ClusterWorker* a, const ClusterWorker* b) { return a->worker_id < b->worker_id; });
  const int n = static_cast<int>(ps.size());
  // Per file: the bytes each worker gets (one copy, or n shares) and their digests.
  struct Prepared {
    std::vector<std::string> contents;
    std::vector<std::string> digests;
  };
  std::vector<Prepared> prepared;
  uint64_t total_bytes = plan_.plan_bytes.size();
  for (const ClusterDataFile& f : plan_.files) {
    Prepared p;
    if (f.split) {
      p.contents = SplitCsvRows(f.content, n, f.keep_header, f.quoted_data);
    } else {
      p.contents.push_back(f.content);
    }
    for (const std::string& c : p.contents) p.digests.push_back(Sha256Hex(c));
    total_bytes += f.content.size();
    prepared.push_back(std::move(p));
  }
  Log("sending the plan (" + std::to_string(total_bytes) + " bytes with " + std::to_string(plan_.files.size()) +
      " data file(s)) to " + std::to_string(n) + " worker(s)");
  for (int i = 0; i < n; ++i) {
    ClusterWorker& w = *ps[static_cast<size_t>(i)];
    w.index = static_cast<uint32_t>(i);
    w.phase = WorkerPhase::kLoading;
    LoadPlanMessage m;
    m.plan_name = plan_.plan_name;
    m.plan = plan_.plan_bytes;
    m.properties = plan_.properties;
    m.properties.emplace_back("worker.index", std::to_string(i));
    m.properties.emplace_back("worker.count", std::to_string(n));
    m.share = plan_.share;
    m.worker_index = static_cast<uint32_t>(i);
    m.worker_count = static_cast<uint32_t>(n);
    m.stop_timeout_ms = options_.graceful_stop_timeout_us / 1000;
    m.connect_to = plan_.connect_to;
    for (size_t f = 0; f < plan_.files.size(); ++f) {
      const ClusterDataFile& file = plan_.files[f];
      size_t k = file.split ? static_cast<size_t>(i) : 0;
      DataFileChunk chunk;
      chunk.path = file.plan_path;
      chunk.sha256 = prepared[f].digests[k];
      chunk.mode = file.split ? proto::DataMode::Split : proto::DataMode::Copy;
      chunk.total_size = prepared[f].contents[k].size();
      chunk.chunk = prepared[f].contents[k];
      m.files.push_back(std::move(chunk));
    }
    for (const std::string& bytes : EncodeLoadPlan(options_.run_id, m, options_.chunk_bytes)) Send(w, bytes);
  }
}

void ClusterCoordinator::OnReady(ClusterWorker& w, const proto::Ready& r, ClusterTime now) {
  if (w.phase != WorkerPhase::kLoading) {
    if (++w.dropped_messages <= kLoggedDropsPerPeer)
      Log("ignored Ready from worker " + w.name + " (" + WorkerPhaseName(w.phase) + ")");
    return;
  }
  ReadyMessage ready = DecodeReady(r);
  if (!ready.files_ok) {
    Fail("worker " + w.name + " cannot run the plan: " + (ready.message.empty() ? "no reason given" : ready.message),
         now);
    return;
  }
  w.phase = WorkerPhase::kReady;
  MaybeStart(now);
}

void ClusterCoordinator::MaybeStart(ClusterTime now) {
  if (phase_ != Phase::kLoading) return;
  int ready = 0;
  int64_t worst_rtt = 0;
  for (auto& [peer, w] : workers_) {
    if (w.phase == WorkerPhase::kLoading || w.phase == WorkerPhase::kRegistered) return;
    if (w.phase == WorkerPhase::kReady) {
      ++ready;
      worst_rtt = std::max(worst_rtt, w.best_round_trip_us);
    }
  }
  int needed = options_.min_workers > 0 ? options_.min_workers : options_.expected_workers;
  if (ready == 0 || ready < needed) {
    Fail("only " + std::to_string(ready) + " worker(s) are ready; the run needs " + std::to_string(needed), now);
    return;
  }
  int64_t start_at = now.wall_us + std::max(options_.start_margin_us, 4 * worst_rtt);
  start_at_us_ = start_at;
  started_steady_us_ = now.steady_us + (start_at - now.wall_us);
  for (auto& [peer, w] : workers_) {
    if (w.phase != WorkerPhase::kReady) continue;
    w.phase = WorkerPhase::kRunning;
    Send(w, EncodeStart(options_.run_id, {start_at}));
  }
  phase_ = Phase::kRunning;
  listener_->OnStarted(start_at);
}

void ClusterCoordinator::OnSampleBatch(ClusterWorker& w, const proto::SampleBatch& b, ClusterTime now) {
  if (phase_ != Phase::kRunning && phase_ != Phase::kStopping) {
    if (++w.dropped_messages <= kLoggedDropsPerPeer)
      Log("ignored a sample batch from worker " + w.name + " before the start");
    return;
  }
  SampleBatchHeader header = DecodeSampleBatchHeader(b);
  if (!w.seqs.insert(header.seq).second) {
    ++w.duplicate_batches;
    Send(w, EncodeBatchAck(options_.run_id, {header.seq}));
    return;
  }
  std::vector<Sample> samples;
  Status decoded = DecodeSampleBatch(b, &samples);
  if (!decoded.ok()) {
    // Acknowledged all the same: resending the same bytes cannot help. Counted as lost.
    uint64_t n = b.samples() ? b.samples()->size() : 0;
    w.invalid_samples += n;
    Log("worker " + w.name + ": batch " + std::to_string(header.seq) + " with " + std::to_string(n) +
        " sample(s) is invalid and was not stored: " + decoded.message());
    Send(w, EncodeBatchAck(options_.run_id, {header.seq}));
    return;
  }
  w.samples_received += samples.size();
  ++w.batches_received;
  Status stored = listener_->OnSamples(w, std::move(samples));
  if (!stored.ok()) {
    Fail(stored.message(), now);
    return;
  }
  Send(w, EncodeBatchAck(options_.run_id, {header.seq}));
}

void ClusterCoordinator::OnFinished(ClusterWorker& w, const proto::Finished& f, ClusterTime now) {
  if (w.phase == WorkerPhase::kFinished) return;
  if (w.phase != WorkerPhase::kRunning && w.phase != WorkerPhase::kReady) {
    if (++w.dropped_messages <= kLoggedDropsPerPeer)
      Log("ignored Finished from worker " + w.name + " (" + WorkerPhaseName(w.phase) + ")");
    return;
  }
  w.finished = DecodeFinished(f);
  w.late_arrivals = std::max(w.late_arrivals, w.finished->late_arrivals);
  w.phase = WorkerPhase::kFinished;
  w.left_at_ms = now.wall_us / 1000;
  std::string line = "worker " + w.name + " finished: " + std::to_string(w.finished->samples) + " samples, " +
                     std::to_string(w.samples_received) + " received";
  if (w.samples_lost() > 0) line += ", " + std::to_string(w.samples_lost()) + " LOST";
  Log(line);
  MaybeFinish(now);
}

void ClusterCoordinator::OnHeartbeat(ClusterWorker& w, const proto::Heartbeat& hb, ClusterTime now) {
  HeartbeatMessage h = DecodeHeartbeat(hb);
  w.peer_sent_at_us = h.sent_at_us;
  w.peer_received_at_us = now.wall_us;
  w.active_vus = h.active_vus;
  w.cpu_percent = h.cpu_percent;
  w.late_arrivals = std::max(w.late_arrivals, h.late_arrivals);
  if (h.echo_us != 0) {
    int64_t rtt = RoundTripUs(h.echo_us, now.wall_us);
    // A round trip over 10 s is no clock sample (a hostile echo could push the Start out).
    if (rtt >= 0 && rtt <= kMaxRoundTripUs && (!w.clock_offset_us || rtt < w.best_round_trip_us)) {
      w.clock_offset_us = -ClockOffsetUs(h.echo_us, h.sent_at_us, now.wall_us);
      w.best_round_trip_us = rtt;
    }
  }
  if (w.phase == WorkerPhase::kLost && h.state != proto::WorkerState::Idle &&
      (phase_ == Phase::kRunning || phase_ == Phase::kStopping)) {
    Log("worker " + w.name + " is back");
    w.phase = WorkerPhase::kRunning;
    w.left_at_ms.reset();
    w.reason.clear();
  }
  if (h.state == proto::WorkerState::Idle && w.phase == WorkerPhase::kRunning) {
    MarkLost(w, "it reports idle before finishing the run (restarted?)", now);
  }
}

void ClusterCoordinator::MarkLost(ClusterWorker& w, const std::string& reason, ClusterTime now) {
  if (w.phase == WorkerPhase::kLost || w.phase == WorkerPhase::kFinished || !w.participant()) return;
  w.phase = WorkerPhase::kLost;
  w.reason = reason;
  w.left_at_ms = now.wall_us / 1000;
  Log("worker " + w.name + " lost: " + reason + "; " + std::to_string(w.samples_received) +
      " of its samples were received and are kept");
  if (phase_ == Phase::kLoading) MaybeStart(now);
  MaybeFinish(now);
}

void ClusterCoordinator::SendStop(proto::StopMode mode, const std::string& reason, ClusterTime now) {
  stop_sent_us_ = now.steady_us;
  stop_mode_ = mode;
  if (phase_ == Phase::kRunning) phase_ = Phase::kStopping;
  for (auto& [peer, w] : workers_) {
    if (w.phase == WorkerPhase::kReady || w.phase == WorkerPhase::kRunning || w.phase == WorkerPhase::kLoading) {
      Send(w, EncodeStop(options_.run_id, {mode, reason}));
    }
  }
}

void ClusterCoordinator::RequestStop(bool now_mode, const std::string& reason, ClusterTime now) {
  if (phase_ == Phase::kDone) return;
  interrupted_ = true;
  if (phase_ == Phase::kRegistering || phase_ == Phase::kLoading) {
    SendStop(proto::StopMode::Now, reason, now);
    phase_ = Phase::kDone;
    outcome_ = {ExecutionStatus::kAborted, 1, "stopped before the run started (" + reason + ")"};
    return;
  }
  SendStop(now_mode ? proto::StopMode::Now : proto::StopMode::Graceful, reason, now);
}

void ClusterCoordinator::Fail(const std::string& message, ClusterTime now) {
  if (phase_ == Phase::kDone) return;
  Log(message);
  if (phase_ == Phase::kRegistering || phase_ == Phase::kLoading) {
    SendStop(proto::StopMode::Now, message, now);
    phase_ = Phase::kDone;
    outcome_ = {ExecutionStatus::kErrored, 1, message};
    return;
  }
  if (failure_.empty()) failure_ = message;
  SendStop(proto::StopMode::Now, message, now);
  MaybeFinish(now);
}

void ClusterCoordinator::MaybeFinish(ClusterTime now) {
  (void)now;
  if (phase_ != Phase::kRunning && phase_ != Phase::kStopping) return;
  int finished = 0, lost = 0;
  uint64_t samples_lost = 0;
  for (const auto& [peer, w] : workers_) {
    if (!w.participant()) continue;
    if (Owes(w)) return;
    if (w.phase == WorkerPhase::kFinished) ++finished;
    if (w.phase == WorkerPhase::kLost) ++lost;
    samples_lost += w.samples_lost();
  }
  phase_ = Phase::kDone;
  if (!failure_.empty()) {
    outcome_ = {ExecutionStatus::kErrored, 1, failure_};
  } else if (lost > 0 || samples_lost > 0) {
    bool enough = options_.min_workers > 0 && finished >= options_.min_workers && samples_lost == 0;
    std::string msg = std::to_string(lost) + " worker(s) lost";
    if (samples_lost > 0) msg += ", " + std::to_string(samples_lost) + " sample(s) lost";
    if (enough) msg += "; --min-workers " + std::to_string(options_.min_workers) + " met";
    outcome_ = {ExecutionStatus::kPartial, enough ? 0 : 1, msg};
  } else if (interrupted_) {
    outcome_ = {ExecutionStatus::kAborted, 0, "stopped by the operator"};
  } else {
    outcome_ = {ExecutionStatus::kPassed, 0, ""};
  }
}

bool ClusterCoordinator::SendHeartbeat(ClusterWorker& w, ClusterTime now) {
  HeartbeatMessage hb;
  hb.state = phase_ == Phase::kRegistering ? proto::WorkerState::Idle
             : phase_ == Phase::kLoading   ? proto::WorkerState::Loading
             : phase_ == Phase::kRunning   ? proto::WorkerState::Running
                                           : proto::WorkerState::Stopping;
  hb.sent_at_us = now.wall_us;
  hb.echo_us = w.peer_received_at_us ? EchoUs(w.peer_sent_at_us, w.peer_received_at_us, now.wall_us) : 0;
  w.last_sent_heartbeat_us = now.steady_us;
  return transport_->Send(w.peer, EncodeHeartbeat(options_.run_id, hb));
}

void ClusterCoordinator::DiscountStall(int64_t stalled_us, ClusterTime now) {
  Log("the controller did not run for " + Seconds(stalled_us) + ": not counted as the workers' silence");
  // Only what was judged before the stall moves; messages read since are fresh.
  const int64_t stall_began = now.steady_us - stalled_us;
  for (auto& [peer, w] : workers_) {
    if (w.last_heard_steady_us <= stall_began) w.last_heard_steady_us += stalled_us;
  }
  if (phase_ == Phase::kLoading) loading_since_us_ += stalled_us;
  if (stop_sent_us_) *stop_sent_us_ += stalled_us;
}

void ClusterCoordinator::OnTick(ClusterTime now) {
  if (phase_ == Phase::kDone) return;
  if (last_tick_steady_us_ &&
      now.steady_us - *last_tick_steady_us_ > std::max(kStallUs, options_.heartbeat_interval_us)) {
    DiscountStall(now.steady_us - *last_tick_steady_us_, now);
  }
  last_tick_steady_us_ = now.steady_us;
  const int64_t silence_limit = options_.lost_after_heartbeats * options_.heartbeat_interval_us;
  std::vector<std::string> silent_before_run;
  for (auto& [peer, w] : workers_) {
    if (!w.participant() || w.phase == WorkerPhase::kLost) continue;
    if (now.steady_us - w.last_sent_heartbeat_us >= options_.heartbeat_interval_us && !SendHeartbeat(w, now) &&
        ++w.dropped_messages <= kLoggedDropsPerPeer) {
      Log("worker " + w.name + " is not connected; a message was not sent");
    }
    if (w.phase == WorkerPhase::kFinished) continue;
    if (now.steady_us - w.last_heard_steady_us > silence_limit) {
      if (phase_ == Phase::kRegistering) {
        silent_before_run.push_back(peer);
      } else {
        MarkLost(w, "silent for " + Seconds(now.steady_us - w.last_heard_steady_us), now);
        if (phase_ == Phase::kDone) return;
      }
    }
  }
  for (const std::string& peer : silent_before_run) {
    Log("worker " + workers_[peer].name + " went silent before the run started; waiting for it again");
    workers_.erase(peer);
  }
  switch (phase_) {
    case Phase::kRegistering:
      if (now.steady_us >= registration_deadline_us_) {
        int registered = 0;
        for (const auto& [peer, w] : workers_) registered += w.participant() ? 1 : 0;
        int needed = options_.min_workers > 0 ? options_.min_workers : options_.expected_workers;
        std::string missing = Join(MissingWorkers());
        if (registered > 0 && registered >= needed) {
          Log("starting with " + std::to_string(registered) + " worker(s); missing: " + missing);
          BeginLoading(now);
        } else {
          Fail("timed out after " + Seconds(options_.registration_timeout_us) +
                   " waiting for workers; missing: " + missing + " (" + std::to_string(registered) + " registered)",
               now);
        }
      }
      break;
    case Phase::kLoading:
      if (now.steady_us - loading_since_us_ >= options_.ready_timeout_us) {
        for (auto& [peer, w] : workers_) {
          if (w.phase == WorkerPhase::kLoading)
            MarkLost(w, "no Ready within " + Seconds(options_.ready_timeout_us), now);
          if (phase_ != Phase::kLoading) break;
        }
      }
      break;
    case Phase::kRunning:
      if (options_.max_duration_us > 0 && now.steady_us - started_steady_us_ >= options_.max_duration_us) {
        Log("duration reached: stopping the workers");
        SendStop(proto::StopMode::Graceful, "duration reached", now);
      }
      break;
    case Phase::kStopping:
      if (stop_sent_us_) {
        int64_t waited = now.steady_us - *stop_sent_us_;
        if (stop_mode_ == proto::StopMode::Graceful && waited >= options_.graceful_stop_timeout_us) {
          Log("workers still running " + Seconds(waited) + " after a graceful stop: stopping them now");
          SendStop(proto::StopMode::Now, "graceful stop took too long", now);
        } else if (stop_mode_ == proto::StopMode::Now && waited >= options_.stop_now_timeout_us) {
          for (auto& [peer, w] : workers_) {
            if (Owes(w)) MarkLost(w, "did not finish " + Seconds(waited) + " after Stop(now)", now);
            if (phase_ == Phase::kDone) break;
          }
        }
      }
      break;
    case Phase::kDone: break;
  }
  MaybeFinish(now);
}

}  // namespace barrage
