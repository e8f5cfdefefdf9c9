#include "common/protocol.h"

namespace barrage {

const proto::Envelope* VerifyEnvelope(const void* data, size_t size) {
  if (data == nullptr || size < 8 || size > kMaxMessageBytes) return nullptr;
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (!proto::EnvelopeBufferHasIdentifier(bytes)) return nullptr;
  flatbuffers::Verifier verifier(bytes, size, /*max_depth=*/16, /*max_tables=*/1u << 20);
  if (!proto::VerifyEnvelopeBuffer(verifier)) return nullptr;
  return proto::GetEnvelope(bytes);
}

}  // namespace barrage
