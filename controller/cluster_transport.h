// The controller's end of the cluster channel: one ZeroMQ ROUTER socket that workers'
// DEALERs connect to, behind a small interface the coordinator is written against so tests
// can drive it with a fake.
//
// Routing ids name connections, not workers: workers set none, so the ROUTER gives every
// connection its own, and a peer that claims a routing id already in use is ignored
// (ZMQ_ROUTER_HANDOVER is off), so no peer can take over another's route. Which worker a
// connection speaks for is the coordinator's business (Hello, bound to the CurveZMQ key).
//
// Security (DESIGN §5): with a secret key the socket is a CurveZMQ server and a ZAP handler
// on inproc://zeromq.zap.01 admits only workers whose public keys are in the allowlist;
// a denied key is logged with its address (the worker sees its handshake fail). Without a
// key (`--insecure`) the socket speaks plain TCP and admits everyone.
//
// Frames a peer sends that are not [routing id, one payload frame] are logged and dropped;
// payloads above 2 x kMaxMessageBytes make libzmq drop the connection (the peer may
// reconnect). Everything else, valid or not, reaches Receive(): decoding is the caller's.
//
// Thread-safety: one thread owns a transport (ZeroMQ sockets are single-threaded): the ZAP
// handler runs inside Receive(), on the same zmq::poll as the ROUTER. SetAllowedKeys may be
// called from any thread.
#ifndef BARRAGE_CONTROLLER_CLUSTER_TRANSPORT_H_
#define BARRAGE_CONTROLLER_CLUSTER_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

struct InboundMessage {
  std::string peer;        // the sender's routing id
  std::string bytes;       // one payload frame, unverified
  std::string public_key;  // the peer's CurveZMQ key (Z85) when secure, else ""
};

// A routing id for log lines: as is when printable, else hex ("0x0041a7c3d2").
std::string PeerLabel(std::string_view routing_id);

class ClusterTransport {
 public:
  virtual ~ClusterTransport() = default;
  // Queues `bytes` for `peer`. False (and nothing sent) when no such peer is connected, as
  // far as the socket knows once it has taken in the connection events pending so far.
  virtual bool Send(const std::string& peer, std::string_view bytes) = 0;
  // Waits up to `timeout` for one message. False when none arrived in time.
  virtual bool Receive(std::chrono::milliseconds timeout, InboundMessage* out) = 0;
};

struct ZmqTransportOptions {
  std::string bind = "tcp://0.0.0.0:5570";
  bool insecure = false;
  std::string secret_key;              // Z85; required unless insecure
  std::set<std::string> allowed_keys;  // Z85 public keys of the admitted workers
  // Where log lines go ("barrage: ..." lines); default std::cerr.
  std::function<void(const std::string&)> log;
};

class ZmqRouterTransport : public ClusterTransport {
 public:
  // Binds the socket. Errors name the endpoint (address in use, bad endpoint, no CURVE).
  static Result<std::unique_ptr<ZmqRouterTransport>> Open(const ZmqTransportOptions& options);
  ~ZmqRouterTransport() override;

  // The bound endpoint, with the port the system chose for `*` or 0.
  const std::string& endpoint() const;

  bool Send(const std::string& peer, std::string_view bytes) override;
  bool Receive(std::chrono::milliseconds timeout, InboundMessage* out) override;

  // Replaces the allowlist the ZAP handler checks (key rotation: `barrage serve` on SIGHUP).
  // Thread-safe. Applies to handshakes from now on: connections already admitted stay.
  void SetAllowedKeys(std::set<std::string> keys);

  // Messages dropped because of their framing, and keys the ZAP handler denied.
  uint64_t malformed_frames() const;
  uint64_t denied_keys() const;

 private:
  struct Impl;
  explicit ZmqRouterTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_TRANSPORT_H_
