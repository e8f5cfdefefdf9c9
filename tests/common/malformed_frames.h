// Frames that pass the FlatBuffers verifier but carry no body: what crashed the controller
// and the worker (issue 16 item 1). Shared by the unit tests, the integration tests and the
// fuzz seed generator.
#ifndef BARRAGE_TESTS_COMMON_MALFORMED_FRAMES_H_
#define BARRAGE_TESTS_COMMON_MALFORMED_FRAMES_H_

#include <string>
#include <string_view>

#include "common/protocol.h"

namespace barrage::test {

// An Envelope whose body_type is `type` and whose body is absent.
inline std::string BodylessFrame(proto::Body type, std::string_view run_id = "") {
  flatbuffers::FlatBufferBuilder fbb;
  auto run = fbb.CreateString(run_id.data(), run_id.size());
  proto::EnvelopeBuilder env(fbb);
  env.add_protocol(kProtocolVersion);
  env.add_run_id(run);
  env.add_body_type(type);
  proto::FinishEnvelopeBuffer(fbb, env.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// `frame` (a valid Envelope) with the one byte set to 0 that leaves it verifiable, of the
// same body type, but without its body (the vtable entry of the body field); "" when no
// single byte does that.
inline std::string WithBodyCutByOneByte(const std::string& frame) {
  const proto::Envelope* original = VerifyEnvelope(frame.data(), frame.size());
  if (original == nullptr) return "";
  for (size_t i = 0; i < frame.size(); ++i) {
    if (frame[i] == 0) continue;
    std::string changed = frame;
    changed[i] = 0;
    const proto::Envelope* e = VerifyEnvelope(changed.data(), changed.size());
    if (e != nullptr && e->body_type() == original->body_type() && e->body() == nullptr) return changed;
  }
  return "";
}

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_COMMON_MALFORMED_FRAMES_H_
