// A ClusterTransport for tests: what is sent is kept (peer and bytes, decodable), nothing
// is received, and a peer in `disconnected` cannot be sent to (Send returns false).
#ifndef BARRAGE_TESTS_CONTROLLER_FAKE_CLUSTER_TRANSPORT_H_
#define BARRAGE_TESTS_CONTROLLER_FAKE_CLUSTER_TRANSPORT_H_

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire.h"
#include "controller/cluster_transport.h"

namespace barrage::test {

struct Sent {
  std::string peer;
  std::string bytes;
  proto::Body type() const { return VerifyEnvelope(bytes.data(), bytes.size())->body_type(); }
  const proto::Envelope& env() const { return *VerifyEnvelope(bytes.data(), bytes.size()); }
};

class FakeTransport : public ClusterTransport {
 public:
  bool Send(const std::string& peer, std::string_view bytes) override {
    if (disconnected.count(peer)) return false;
    sent.push_back({peer, std::string(bytes)});
    return true;
  }
  bool Receive(std::chrono::milliseconds, InboundMessage*) override { return false; }

  // Messages of `type` sent to `peer`, in order.
  std::vector<const Sent*> To(const std::string& peer, proto::Body type) const {
    std::vector<const Sent*> out;
    for (const Sent& s : sent) {
      if (s.peer == peer && s.type() == type) out.push_back(&s);
    }
    return out;
  }

  std::vector<Sent> sent;
  std::set<std::string> disconnected;
};

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_CONTROLLER_FAKE_CLUSTER_TRANSPORT_H_
