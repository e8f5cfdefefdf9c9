#include "service/worker_pool.h"

#include <algorithm>
#include <utility>

#include "common/protocol.h"
#include "common/wire.h"

namespace barrage {
namespace {

// Log lines about one connection's dropped messages: the first few, then none.
constexpr int kDropsLogged = 3;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

const char* PoolStateName(PoolState state) {
  switch (state) {
    case PoolState::kIdle: return "idle";
    case PoolState::kBusy: return "busy";
    case PoolState::kLost: return "lost";
  }
  return "?";
}

WorkerPool::WorkerPool(WorkerPoolOptions options, ClusterTransport* transport,
                       std::function<void(const std::string&)> log)
    : options_(std::move(options)), transport_(transport), log_(std::move(log)) {
  for (const auto& [name, key] : options_.bound_names) {
    name_keys_[name] = key;
    key_names_[key].push_back(name);
  }
}

PooledWorker* WorkerPool::ByName(const std::string& name) {
  auto it = workers_.find(name);
  return it == workers_.end() ? nullptr : &it->second;
}

PooledWorker* WorkerPool::ByPeer(const std::string& peer) {
  for (auto& [name, w] : workers_) {
    if (w.peer == peer) return &w;
  }
  return nullptr;
}

void WorkerPool::SetState(PooledWorker& w, PoolState state, ClusterTime now) {
  w.state = state;
  w.state_since_ms = now.wall_us / 1000;
}

void WorkerPool::Drop(const InboundMessage& m, const std::string& why) {
  if (++drops_logged_[m.peer] <= kDropsLogged) log_("dropped a message from " + PeerLabel(m.peer) + ": " + why);
}

void WorkerPool::Reject(const InboundMessage& m, const std::string& who, const std::string& reason, bool permanent) {
  transport_->Send(m.peer, EncodeReject("", {reason, permanent}));
  log_("rejected worker '" + who + "': " + reason);
}

bool WorkerPool::SendHeartbeat(PooledWorker& w, ClusterTime now) {
  HeartbeatMessage hb;
  hb.state = proto::WorkerState::Idle;
  hb.sent_at_us = now.wall_us;
  hb.echo_us = w.peer_received_at_us ? EchoUs(w.peer_sent_at_us, w.peer_received_at_us, now.wall_us) : 0;
  w.last_sent_heartbeat_us = now.steady_us;
  return transport_->Send(w.peer, EncodeHeartbeat("", hb));
}

void WorkerPool::OnMessage(const InboundMessage& m, ClusterTime now) {
  const proto::Envelope* e = VerifyEnvelope(m.bytes.data(), m.bytes.size());
  if (e == nullptr) {
    Drop(m, "not a valid protocol message (" + std::to_string(m.bytes.size()) + " bytes)");
    return;
  }
  if (e->body_type() == proto::Body::Hello) {
    OnHello(m, *e, now);
    return;
  }
  PooledWorker* w = ByPeer(m.peer);
  if (w == nullptr) {
    Drop(m, BodyName(e->body_type()) + " from a connection that has not registered");
    return;
  }
  if (m.public_key != w->public_key) {
    Drop(m, BodyName(e->body_type()) + " signed with another key than the one '" + w->name + "' registered with");
    return;
  }
  w->last_heard_steady_us = now.steady_us;
  if (w->state == PoolState::kLost) {
    SetState(*w, PoolState::kIdle, now);
    log_("worker " + w->name + " is back (idle)");
  }
  if (e->body_type() != proto::Body::Heartbeat) {
    // A Ready, batch or Finished of a run that is over (the run's coordinator took what it
    // could); the worker keeps unacknowledged batches in its spool.
    Drop(m, BodyName(e->body_type()) + " from '" + w->name + "' for run '" + std::string(RunIdOf(*e)) +
                "', which is not running here");
    return;
  }
  Result<const proto::Heartbeat*> hb = BodyOf<proto::Heartbeat>(*e);
  if (!hb.ok()) {
    Drop(m, hb.status().message());
    return;
  }
  HeartbeatMessage h = DecodeHeartbeat(**hb);
  w->peer_sent_at_us = h.sent_at_us;
  w->peer_received_at_us = now.wall_us;
}

void WorkerPool::OnHello(const InboundMessage& m, const proto::Envelope& e, ClusterTime now) {
  Result<const proto::Hello*> body = BodyOf<proto::Hello>(e);
  Result<HelloMessage> decoded = body.ok() ? DecodeHello(**body) : Result<HelloMessage>(body.status());
  if (!decoded.ok()) {
    Reject(m, PeerLabel(m.peer), "malformed Hello: " + decoded.status().message(), /*permanent=*/true);
    return;
  }
  const HelloMessage& hello = *decoded;
  if (hello.min_protocol > kProtocolVersion || hello.max_protocol < kProtocolVersion) {
    Reject(m, hello.name,
           "protocol version mismatch: the worker speaks " + std::to_string(hello.min_protocol) + ".." +
               std::to_string(hello.max_protocol) + ", this controller speaks " + std::to_string(kProtocolVersion),
           /*permanent=*/true);
    return;
  }
  auto bound = name_keys_.find(hello.name);
  if (bound != name_keys_.end() && bound->second != m.public_key) {
    Reject(m, hello.name,
           "the name '" + hello.name + "' belongs to another key (" + KeyFingerprint(m.public_key) +
               ", the name is bound to " + KeyFingerprint(bound->second) + ")",
           /*permanent=*/false);
    return;
  }
  auto key_names = key_names_.find(m.public_key);
  if (key_names != key_names_.end() &&
      std::find(key_names->second.begin(), key_names->second.end(), hello.name) == key_names->second.end()) {
    Reject(m, hello.name, "this worker's key is bound to the name(s) " + Join(key_names->second),
           /*permanent=*/false);
    return;
  }
  if (PooledWorker* other = ByPeer(m.peer); other != nullptr && other->name != hello.name) {
    Reject(m, hello.name, "this connection registered as '" + other->name + "'", /*permanent=*/false);
    return;
  }
  WelcomeMessage welcome;
  welcome.protocol = kProtocolVersion;
  welcome.heartbeat_ms = static_cast<uint32_t>(options_.heartbeat_interval_us / 1000);
  welcome.worker_id = 0;
  if (PooledWorker* w = ByName(hello.name)) {
    if (w->peer != m.peer) {
      // Its new connection, once the old one is gone; a second process under the same name
      // and key is refused meanwhile.
      bool gone =
          w->state == PoolState::kLost || now.steady_us - w->last_heard_steady_us > 2 * options_.heartbeat_interval_us;
      if (!gone && w->state != PoolState::kBusy) gone = !SendHeartbeat(*w, now);
      if (!gone) {
        Reject(m, hello.name, "worker '" + hello.name + "' is connected already (another connection)",
               /*permanent=*/false);
        return;
      }
      w->peer = m.peer;
      log_("worker " + w->name + " is on a new connection (reconnected or restarted)");
    }
    w->host = hello.host;
    w->version = hello.software_version;
    w->cores = hello.cores;
    w->last_heard_steady_us = now.steady_us;
    if (w->state == PoolState::kLost) SetState(*w, PoolState::kIdle, now);
    transport_->Send(w->peer, EncodeWelcome("", welcome));
    return;
  }
  PooledWorker fresh;
  fresh.peer = m.peer;
  fresh.name = hello.name;
  fresh.host = hello.host;
  fresh.version = hello.software_version;
  fresh.public_key = m.public_key;
  fresh.cores = hello.cores;
  fresh.joined_at_ms = now.wall_us / 1000;
  fresh.state_since_ms = fresh.joined_at_ms;
  fresh.last_heard_steady_us = now.steady_us;
  fresh.last_sent_heartbeat_us = now.steady_us;
  PooledWorker& added = workers_[hello.name] = std::move(fresh);
  name_keys_.emplace(added.name, added.public_key);
  transport_->Send(added.peer, EncodeWelcome("", welcome));
  log_("worker " + added.name + " joined the pool from " + (added.host.empty() ? "?" : added.host) + " (" +
       std::to_string(added.cores) + " cores, " + (added.version.empty() ? "version ?" : added.version) + ")");
}

void WorkerPool::OnTick(ClusterTime now) {
  const int64_t lost_after = options_.lost_after_heartbeats * options_.heartbeat_interval_us;
  for (auto& [name, w] : workers_) {
    if (w.state != PoolState::kIdle) continue;
    if (now.steady_us - w.last_heard_steady_us > lost_after) {
      SetState(w, PoolState::kLost, now);
      log_("worker " + w.name + " lost: silent for " +
           std::to_string((now.steady_us - w.last_heard_steady_us) / 1'000'000) + " s");
      continue;
    }
    if (now.steady_us - w.last_sent_heartbeat_us >= options_.heartbeat_interval_us) SendHeartbeat(w, now);
  }
}

std::optional<int64_t> WorkerPool::RunOf(const InboundMessage& m) const {
  for (const auto& [name, w] : workers_) {
    if (w.peer == m.peer) {
      if (w.state == PoolState::kBusy) return w.run;
      return std::nullopt;
    }
  }
  // A Hello from a new connection under a busy worker's name goes to its run.
  const proto::Envelope* e = VerifyEnvelope(m.bytes.data(), m.bytes.size());
  if (e == nullptr || e->body_type() != proto::Body::Hello) return std::nullopt;
  Result<const proto::Hello*> body = BodyOf<proto::Hello>(*e);
  if (!body.ok() || (*body)->name() == nullptr) return std::nullopt;
  auto it = workers_.find((*body)->name()->str());
  if (it != workers_.end() && it->second.state == PoolState::kBusy) return it->second.run;
  return std::nullopt;
}

Result<std::vector<PooledWorker>> WorkerPool::Reserve(int64_t run, int count, const std::vector<std::string>& names,
                                                      ClusterTime now) {
  std::vector<PooledWorker*> chosen;
  std::vector<std::string> unavailable;
  auto why = [](const PooledWorker& w) {
    return w.name + (w.state == PoolState::kBusy ? " busy in run " + std::to_string(w.run) : std::string(" lost"));
  };
  if (!names.empty()) {
    for (const std::string& name : names) {
      PooledWorker* w = ByName(name);
      if (w == nullptr) {
        unavailable.push_back(name + " not connected");
      } else if (w->state != PoolState::kIdle) {
        unavailable.push_back(why(*w));
      } else {
        chosen.push_back(w);
      }
    }
    if (!unavailable.empty()) {
      return Status::Unsupported("workers " + Join(names) + " requested: " + Join(unavailable));
    }
  } else {
    for (auto& [name, w] : workers_) {
      if (w.state == PoolState::kIdle && static_cast<int>(chosen.size()) < count) {
        chosen.push_back(&w);
      } else if (w.state != PoolState::kIdle) {
        unavailable.push_back(why(w));
      }
    }
    if (static_cast<int>(chosen.size()) < count) {
      return Status::Unsupported(std::to_string(count) + " worker(s) requested, " + std::to_string(idle()) + " idle" +
                                 (unavailable.empty() ? "" : " (" + Join(unavailable) + ")"));
    }
  }
  std::vector<PooledWorker> out;
  for (PooledWorker* w : chosen) {
    SetState(*w, PoolState::kBusy, now);
    w->run = run;
    out.push_back(*w);
  }
  return out;
}

void WorkerPool::Rekey(int64_t from, int64_t to) {
  for (auto& [name, w] : workers_) {
    if (w.state == PoolState::kBusy && w.run == from) w.run = to;
  }
}

void WorkerPool::Release(int64_t run, const std::map<std::string, std::string>& peers,
                         const std::vector<std::string>& lost, ClusterTime now) {
  for (auto& [name, w] : workers_) {
    if (w.state != PoolState::kBusy || w.run != run) continue;
    if (auto p = peers.find(name); p != peers.end()) w.peer = p->second;
    w.run = 0;
    const bool was_lost = std::find(lost.begin(), lost.end(), name) != lost.end();
    SetState(w, was_lost ? PoolState::kLost : PoolState::kIdle, now);
    // Its liveness starts over: the run's coordinator heard it last.
    w.last_heard_steady_us = now.steady_us;
    w.last_sent_heartbeat_us = 0;
  }
}

int WorkerPool::idle() const {
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(),
                                        [](const auto& kv) { return kv.second.state == PoolState::kIdle; }));
}

std::vector<PooledWorker> WorkerPool::List() const {
  std::vector<PooledWorker> out;
  for (const auto& [name, w] : workers_) out.push_back(w);
  return out;
}

}  // namespace barrage
