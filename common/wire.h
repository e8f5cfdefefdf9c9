// Encoding and decoding of the cluster messages (schemas/protocol.fbs), the clock-offset
// arithmetic both peers share, the thread share of `--share total` and CurveZMQ key files
// (SHA-256 of data files: common/digest.h). Used by the controller (ROUTER) and the worker (DEALER).
//
// Encoding: EncodeX(run_id, message) returns one finished Envelope buffer (file identifier
// "BRG1", protocol = kProtocolVersion unless a test passes another) ready to be sent as one
// ZeroMQ frame. Decoding: the caller first verifies the received bytes with VerifyEnvelope
// (common/protocol.h), then reaches the body only through BodyOf<proto::X>(envelope), which
// checks the body's type and presence; DecodeX then copies the body into the plain struct,
// rejecting what the verifier cannot see (string indices out of range, missing required
// fields). A Status error message names the message and the field.
//
// LoadPlan chunking contract: a plan travels as one or more LoadPlan messages with the same
// run_id. Every message repeats plan_name, plan, properties, share, worker_index/count and
// the complete list of files (path, sha256, mode, total_size); each file's bytes arrive in
// order, `chunk` holding bytes [chunk_offset, chunk_offset + chunk.size()) of the file (an
// empty chunk when none of that file is in this message). The receiver has the plan when
// every file has received total_size bytes; it then checks each sha256 and answers Ready.
// EncodeLoadPlan produces such a sequence.
//
// All functions are thread-safe (no shared state).
#ifndef BARRAGE_COMMON_WIRE_H_
#define BARRAGE_COMMON_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/protocol.h"
#include "common/sample.h"
#include "common/status.h"
#include "common/stop_timeout.h"

namespace barrage {

// ---- Message bodies as plain values ----

struct HelloMessage {
  std::string name;  // stable worker name
  std::string host;
  uint16_t cores = 0;
  uint16_t min_protocol = kProtocolVersion;
  uint16_t max_protocol = kProtocolVersion;
  std::string software_version;
};

struct WelcomeMessage {
  uint32_t worker_id = 0;
  uint16_t protocol = kProtocolVersion;
  uint32_t heartbeat_ms = 1000;
};

struct RejectMessage {
  std::string reason;
  bool permanent = false;  // the worker exits (code 2) instead of trying again later
};

struct HeartbeatMessage {
  proto::WorkerState state = proto::WorkerState::Idle;
  uint32_t active_vus = 0;
  float cpu_percent = 0;
  int64_t sent_at_us = 0;      // sender's wall clock (epoch us)
  int64_t echo_us = 0;         // EchoUs(): the peer's last sent_at_us plus how long we held it;
                               // 0 when nothing was received yet
  uint64_t late_arrivals = 0;  // arrivals dropped so far (EngineCounters; absent from older workers: 0)
};

struct DataFileChunk {
  std::string path;    // as the plan refers to it (absolute or relative to the .jmx)
  std::string sha256;  // lower-case hex of the whole file (this worker's share for split)
  proto::DataMode mode = proto::DataMode::Copy;
  uint64_t total_size = 0;
  uint64_t chunk_offset = 0;
  std::string chunk;  // bytes [chunk_offset, chunk_offset + chunk.size())
};

struct LoadPlanMessage {
  std::string plan_name;  // the .jmx file name, for logs and ${__TestPlanName}
  std::string plan;       // the .jmx bytes, unchanged
  std::vector<DataFileChunk> files;
  std::vector<std::pair<std::string, std::string>> properties;  // incl. worker.index/count
  proto::ShareMode share = proto::ShareMode::PerWorker;
  uint32_t worker_index = 0;
  uint32_t worker_count = 1;
  // The graceful stop's bound (EngineOptions::graceful_stop_timeout_ms); a LoadPlan
  // without it decodes to the default.
  int64_t stop_timeout_ms = kDefaultGracefulStopTimeoutMs;
  std::vector<std::string> connect_to;  // --connect-to rules (common/connect_to.h syntax)
};

struct ReadyMessage {
  bool files_ok = false;
  std::string message;  // why not, when !files_ok
};

struct StartMessage {
  int64_t start_at_us = 0;  // controller clock
};

struct BatchAckMessage {
  uint64_t seq = 0;
};

struct StopMessage {
  proto::StopMode mode = proto::StopMode::Graceful;
  std::string reason;
};

struct FinishedMessage {
  uint64_t samples = 0;  // samples produced by the engine in this run
  uint64_t batches = 0;  // batches sent (first transmissions)
  uint64_t errors = 0;   // failed samples
  uint64_t dropped = 0;  // samples the worker could not keep (must be 0)
  // The script host the run used, one JSON object (ScriptHostFactsJson, worker/script_runtime.h);
  // "" when the plan had no script element (or the worker predates issue 11).
  std::string script_host_json = {};
  uint64_t late_arrivals = 0;  // arrivals its dynamic thread groups dropped (issue 12)
};

struct SampleBatchHeader {
  uint32_t worker_id = 0;
  uint64_t seq = 0;
};

// ---- Encoding (each returns a whole Envelope buffer) ----

std::string EncodeHello(std::string_view run_id, const HelloMessage& m, uint16_t protocol = kProtocolVersion);
std::string EncodeWelcome(std::string_view run_id, const WelcomeMessage& m);
std::string EncodeReject(std::string_view run_id, const RejectMessage& m);
std::string EncodeHeartbeat(std::string_view run_id, const HeartbeatMessage& m);
// One message exactly as given (no chunking); see EncodeLoadPlan for whole files.
std::string EncodeLoadPlanMessage(std::string_view run_id, const LoadPlanMessage& m);
std::string EncodeReady(std::string_view run_id, const ReadyMessage& m);
std::string EncodeStart(std::string_view run_id, const StartMessage& m);
std::string EncodeBatchAck(std::string_view run_id, const BatchAckMessage& m);
std::string EncodeStop(std::string_view run_id, const StopMessage& m);
std::string EncodeFinished(std::string_view run_id, const FinishedMessage& m);
// Strings (label, codes, messages, thread names, URLs, data types) are interned in the
// batch's string table; Transaction Controller samples are listed in transaction_samples;
// schedule lags go in schedule_lag_us only when a sample has one (a compatible addition:
// older peers ignore it, and a batch without it decodes with every lag 0).
std::string EncodeSampleBatch(std::string_view run_id, uint32_t worker_id, uint64_t seq,
                              const std::vector<Sample>& samples);

// Largest chunk of file bytes per LoadPlan message (kMaxMessageBytes leaves room for the
// plan and headers).
inline constexpr size_t kLoadPlanChunkBytes = 8u << 20;

// Splits `m` (whose files carry their whole content in `chunk`, chunk_offset 0) into the
// LoadPlan sequence described at the top of this file, each message at most
// `chunk_bytes` of file data. At least one message (a plan without files is one message).
std::vector<std::string> EncodeLoadPlan(std::string_view run_id, const LoadPlanMessage& m,
                                        size_t chunk_bytes = kLoadPlanChunkBytes);

// ---- Decoding (after VerifyEnvelope, through BodyOf) ----

std::string_view RunIdOf(const proto::Envelope& e);
// "Hello", "SampleBatch", ... or "unknown(<n>)" for logs.
std::string BodyName(proto::Body type);

// The one way to a received message's body: the body of `e` as table T (proto::Hello,
// proto::SampleBatch, ...), never null; an error when `e` carries another body type ("expected
// Welcome, got Hello") or none at all ("Welcome without a body": the FlatBuffers verifier
// accepts a union type whose body is absent). Code that handles received bytes never calls
// Envelope::body()/body_as_X() itself.
template <typename T>
Result<const T*> BodyOf(const proto::Envelope& e) {
  constexpr proto::Body kType = proto::BodyTraits<T>::enum_value;
  static_assert(kType != proto::Body::NONE, "BodyOf<T>: T is not a member of the Body union");
  if (e.body_type() != kType) {
    return Status::InvalidArgument("expected " + BodyName(kType) + ", got " + BodyName(e.body_type()));
  }
  const T* body = e.template body_as<T>();
  if (body == nullptr) return Status::InvalidArgument(BodyName(kType) + " without a body");
  return body;
}

// ZeroMQ may hand a received frame over at any address (its zero-copy receive buffer);
// FlatBuffers reads need 8-byte alignment. Returns `data` when it is aligned, else a copy
// of the `size` bytes in `storage` (which must outlive the use of the result).
const void* AlignedFrame(const void* data, size_t size, std::vector<uint64_t>* storage);

// Each DecodeX takes a body BodyOf returned.
Result<HelloMessage> DecodeHello(const proto::Hello& m);
WelcomeMessage DecodeWelcome(const proto::Welcome& m);
RejectMessage DecodeReject(const proto::Reject& m);
HeartbeatMessage DecodeHeartbeat(const proto::Heartbeat& m);
// Rejects files without a path, chunks past total_size and sha256 that are not 64 hex chars.
Result<LoadPlanMessage> DecodeLoadPlan(const proto::LoadPlan& m);
ReadyMessage DecodeReady(const proto::Ready& m);
StartMessage DecodeStart(const proto::Start& m);
BatchAckMessage DecodeBatchAck(const proto::BatchAck& m);
StopMessage DecodeStop(const proto::Stop& m);
FinishedMessage DecodeFinished(const proto::Finished& m);
SampleBatchHeader DecodeSampleBatchHeader(const proto::SampleBatch& m);
// Appends the batch's samples to `out`. On error (a string index or transaction index out
// of range, a missing or misaligned samples vector, schedule lags not one per sample) `out`
// is left as it was and nothing is appended.
Status DecodeSampleBatch(const proto::SampleBatch& m, std::vector<Sample>* out);

// ---- Clock offset (NTP-style, from heartbeats) ----
//
// Each side stamps sent_at_us with its wall clock, remembers the peer's last sent_at_us and
// when it arrived, and echoes it back adjusted by how long it held it. The receiver of an
// echo then estimates its own clock minus the peer's, independent of the network delay
// when the delay is symmetric.
//
// echo_us for an outgoing heartbeat; 0 when no heartbeat was received yet.
int64_t EchoUs(int64_t peer_sent_at_us, int64_t received_at_us, int64_t now_us);
// Local clock minus peer clock, from a received heartbeat with echo_us != 0 (our own
// earlier sent_at_us adjusted by the peer's hold time), its sent_at_us, and our receive time.
// Saturates at +/-INT64_MAX (never INT64_MIN), so its negation is always defined.
int64_t ClockOffsetUs(int64_t echo_us, int64_t peer_sent_at_us, int64_t received_at_us);
// Round-trip time of the same exchange (for choosing the best of several estimates).
int64_t RoundTripUs(int64_t echo_us, int64_t received_at_us);

// ---- Thread share for --share total ----
//
// Threads of a group with `total` threads run by worker `index` of `count` (largest
// remainder: every worker gets total / count, the first total % count workers one more).
int ThreadShare(int total, uint32_t index, uint32_t count);

// ---- CurveZMQ keys ----

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; empty in a public-only key file
};

// A fresh key pair (libzmq's zmq_curve_keypair; needs libzmq built with CURVE).
Result<CurveKeyPair> GenerateCurveKeyPair();
// True for a 40-character Z85 string that decodes to 32 bytes.
bool IsValidCurveKey(std::string_view z85);
// What LoadCurveKeyFile does with a file that holds a secret key and that group or others
// may access (any of the mode bits 077, as ssh checks a private key): refuse it, or accept
// it with a warning (--allow-insecure-key-permissions / allow_insecure_key_permissions).
enum class KeyFilePermissions { kRefuseOpen, kWarnIfOpen };

// Reads a TOML key file: `public_key = "..."` and, unless public-only, `secret_key = "..."`.
// Errors name the file, the line when known, and the key ("worker.key:2: key secret_key:
// not a 40-character Z85 key"); a secret key whose public key differs from public_key is an
// error. A file with a secret key whose mode is open to group or others is an error naming
// the file and its mode ("worker.key: UNPROTECTED SECRET KEY FILE: permissions 0644 ...")
// under kRefuseOpen; under kWarnIfOpen the keys load and `warning` (when not null) receives
// that text, else it is left empty.
Result<CurveKeyPair> LoadCurveKeyFile(const std::string& path,
                                      KeyFilePermissions permissions = KeyFilePermissions::kRefuseOpen,
                                      std::string* warning = nullptr);
// Writes `keys` as a TOML key file with mode 0600 (secret_key omitted when empty). Refuses
// to overwrite an existing file (the error names it).
Status WriteCurveKeyFile(const std::string& path, const CurveKeyPair& keys);

}  // namespace barrage

#endif  // BARRAGE_COMMON_WIRE_H_
