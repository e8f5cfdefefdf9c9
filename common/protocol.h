// Wire-protocol helpers over the FlatBuffers schema in schemas/protocol.fbs.
//
// Every buffer received from the network goes through VerifyEnvelope before any field is
// read; a buffer that fails verification is never touched again. Thread-safe.
#ifndef BARRAGE_COMMON_PROTOCOL_H_
#define BARRAGE_COMMON_PROTOCOL_H_

#include <cstddef>
#include <cstdint>

#include "schemas/protocol_generated.h"

namespace barrage {

// Bumped on any change that older peers cannot read; Hello carries the range a worker
// speaks and the controller rejects a worker without a common version.
inline constexpr uint16_t kProtocolVersion = 1;
// Largest message either side accepts (a LoadPlan chunk plus headroom).
inline constexpr size_t kMaxMessageBytes = 16u << 20;

// The verified envelope in `data`, or nullptr when the bytes are not a valid Envelope
// (wrong identifier, out-of-bounds offsets, too deep, too large).
const proto::Envelope* VerifyEnvelope(const void* data, size_t size);

}  // namespace barrage

#endif  // BARRAGE_COMMON_PROTOCOL_H_
