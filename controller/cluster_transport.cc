#include "controller/cluster_transport.h"

#include <zmq.hpp>

#include <iostream>
#include <mutex>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/digest.h"
#include "common/protocol.h"

namespace barrage {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr char kZapDomain[] = "barrage";

std::string Z85Of(const void* key32) {
  char z85[41] = {};
  zmq_z85_encode(z85, static_cast<const uint8_t*>(key32), 32);
  return z85;
}

}  // namespace

std::string PeerLabel(std::string_view routing_id) {
  bool printable = !routing_id.empty();
  for (char c : routing_id) printable = printable && c >= 0x21 && c <= 0x7e;
  if (printable) return std::string(routing_id);
  return "0x" + LowerHex(routing_id);
}

struct ZmqRouterTransport::Impl {
  ZmqTransportOptions options;
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t zap;  // REP on kZapEndpoint when secure
  std::string endpoint;
  uint64_t malformed = 0;
  uint64_t denied = 0;
  std::mutex keys_mu;  // guards options.allowed_keys (SetAllowedKeys from other threads)

  void Log(const std::string& line) {
    if (options.log) {
      options.log(line);
    } else {
      std::cerr << "barrage: " << line << "\n";
    }
  }

  // Answers one ZAP request (RFC 27): admits a CURVE client whose key is allowed.
  void HandleZap() {
    std::vector<zmq::message_t> frames;
    while (true) {
      zmq::message_t part;
      if (!zap.recv(part, zmq::recv_flags::dontwait)) break;
      bool more = part.more();
      frames.push_back(std::move(part));
      if (!more) break;
    }
    if (frames.empty()) return;
    std::string version = frames.size() > 0 ? frames[0].to_string() : "";
    std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    std::string address = frames.size() > 3 ? frames[3].to_string() : "";
    std::string mechanism = frames.size() > 5 ? frames[5].to_string() : "";
    std::string key;
    if (mechanism == "CURVE" && frames.size() > 6 && frames[6].size() == 32) key = Z85Of(frames[6].data());
    bool allowed = false;
    if (version == "1.0" && !key.empty()) {
      std::lock_guard<std::mutex> lock(keys_mu);
      allowed = options.allowed_keys.count(key) > 0;
    }
    if (!allowed) {
      ++denied;
      Log("refused a worker at " + (address.empty() ? std::string("?") : address) + ": public key " +
          (key.empty() ? std::string("(none)") : key) + " is not in the allowlist ([security] allowed_workers)");
    }
    std::vector<std::string> reply = {
        "1.0", request_id, allowed ? "200" : "400", allowed ? "OK" : "public key not allowed", allowed ? key : "", ""};
    for (size_t i = 0; i < reply.size(); ++i) {
      zap.send(zmq::buffer(reply[i]), i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  // Reads one routed message if one is waiting. True when `out` was filled.
  bool TryReceive(InboundMessage* out) {
    zmq::message_t id;
    if (!router.recv(id, zmq::recv_flags::dontwait)) return false;
    std::vector<zmq::message_t> parts;
    bool more = id.more();
    while (more) {
      zmq::message_t part;
      if (!router.recv(part, zmq::recv_flags::none)) break;
      more = part.more();
      parts.push_back(std::move(part));
    }
    if (parts.size() != 1) {
      ++malformed;
      if (malformed <= 20) {
        Log("dropped a message from '" + PeerLabel(id.to_string()) + "' with " + std::to_string(parts.size()) +
            " payload frames (expected 1)");
      }
      return false;
    }
    out->peer = id.to_string();
    out->bytes = parts[0].to_string();
    out->public_key.clear();
    if (!options.insecure) {
      try {
        out->public_key = parts[0].gets("User-Id");
      } catch (const zmq::error_t&) {
      }
    }
    return true;
  }
};

Result<std::unique_ptr<ZmqRouterTransport>> ZmqRouterTransport::Open(const ZmqTransportOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    zmq::socket_t& r = impl->router;
    r.set(zmq::sockopt::linger, 0);
    r.set(zmq::sockopt::router_mandatory, 1);
    // A connection claiming a routing id in use is ignored, never handed the route.
    r.set(zmq::sockopt::router_handover, 0);
    r.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(2 * kMaxMessageBytes));
    r.set(zmq::sockopt::sndhwm, 100000);
    r.set(zmq::sockopt::rcvhwm, 100000);
    if (!options.insecure) {
      if (!zmq_has("curve")) return Status::Unsupported("this libzmq has no CURVE support; use --insecure");
      if (options.secret_key.size() != 40) {
        return Status::InvalidArgument("the controller's secret key must be a 40-character Z85 key");
      }
      impl->zap = zmq::socket_t(impl->context, zmq::socket_type::rep);
      impl->zap.set(zmq::sockopt::linger, 0);
      impl->zap.bind(kZapEndpoint);
      r.set(zmq::sockopt::curve_server, true);
      // Z85 keys are passed with their terminating NUL (41 bytes).
      if (zmq_setsockopt(r.handle(), ZMQ_CURVE_SECRETKEY, options.secret_key.c_str(), options.secret_key.size() + 1) !=
          0) {
        return Status::InvalidArgument("the controller's secret key is not a valid Z85 key");
      }
      r.set(zmq::sockopt::zap_domain, kZapDomain);
    }
    r.bind(options.bind);
    impl->endpoint = r.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::IoError("cannot listen on " + options.bind + ": " + e.what());
  }
  return std::unique_ptr<ZmqRouterTransport>(new ZmqRouterTransport(std::move(impl)));
}

ZmqRouterTransport::ZmqRouterTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZmqRouterTransport::~ZmqRouterTransport() = default;

const std::string& ZmqRouterTransport::endpoint() const { return impl_->endpoint; }
uint64_t ZmqRouterTransport::malformed_frames() const { return impl_->malformed; }
uint64_t ZmqRouterTransport::denied_keys() const { return impl_->denied; }

void ZmqRouterTransport::SetAllowedKeys(std::set<std::string> keys) {
  std::lock_guard<std::mutex> lock(impl_->keys_mu);
  impl_->options.allowed_keys = std::move(keys);
}

bool ZmqRouterTransport::Send(const std::string& peer, std::string_view bytes) {
  try {
    // Takes in pending connection events (ZMQ_EVENTS processes the socket's commands), so a
    // connection that closed is known closed here (router_mandatory: EHOSTUNREACH).
    (void)impl_->router.get(zmq::sockopt::events);
    if (!impl_->router.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
    return impl_->router.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;  // EHOSTUNREACH: the peer is not connected (router_mandatory)
  }
}

bool ZmqRouterTransport::Receive(std::chrono::milliseconds timeout, InboundMessage* out) {
  const int64_t deadline_us = MonotonicMicros() + timeout.count() * 1000;
  while (true) {
    if (impl_->TryReceive(out)) return true;
    std::vector<zmq::pollitem_t> items = {{static_cast<void*>(impl_->router), 0, ZMQ_POLLIN, 0}};
    if (impl_->zap) items.push_back({static_cast<void*>(impl_->zap), 0, ZMQ_POLLIN, 0});
    const auto left = std::chrono::milliseconds(std::max<int64_t>(0, (deadline_us - MonotonicMicros() + 999) / 1000));
    try {
      zmq::poll(items, left);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) impl_->Log(std::string("poll failed: ") + e.what());
    }
    if (items.size() > 1 && (items[1].revents & ZMQ_POLLIN)) impl_->HandleZap();
    if (items[0].revents & ZMQ_POLLIN) continue;
    if (MonotonicMicros() >= deadline_us) return impl_->TryReceive(out);
  }
}

}  // namespace barrage
