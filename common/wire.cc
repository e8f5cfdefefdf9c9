#include "common/wire.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <unordered_map>

#include <toml++/toml.h>

#include "common/input_file.h"
#include "common/toml_file.h"

namespace barrage {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

std::string Finish(FlatBufferBuilder& fbb, std::string_view run_id, uint16_t protocol, proto::Body type,
                   Offset<void> body) {
  auto run = fbb.CreateString(run_id.data(), run_id.size());
  proto::EnvelopeBuilder env(fbb);
  env.add_protocol(protocol);
  env.add_run_id(run);
  env.add_body_type(type);
  env.add_body(body);
  proto::FinishEnvelopeBuffer(fbb, env.Finish());
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

Offset<flatbuffers::String> Str(FlatBufferBuilder& fbb, std::string_view s) {
  return fbb.CreateString(s.data(), s.size());
}

std::string Copy(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->data(), s->size());
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Interns strings of one batch; index 0 is always "".
class StringTable {
 public:
  StringTable() { Intern(""); }
  uint32_t Intern(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(&it->first);
    return it->second;
  }
  const std::vector<const std::string*>& strings() const { return strings_; }

 private:
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<const std::string*> strings_;
};

}  // namespace

std::string EncodeHello(std::string_view run_id, const HelloMessage& m, uint16_t protocol) {
  FlatBufferBuilder fbb(256);
  auto name = Str(fbb, m.name);
  auto host = Str(fbb, m.host);
  auto version = Str(fbb, m.software_version);
  auto body = proto::CreateHello(fbb, name, host, m.cores, m.min_protocol, m.max_protocol, version);
  return Finish(fbb, run_id, protocol, proto::Body::Hello, body.Union());
}

std::string EncodeWelcome(std::string_view run_id, const WelcomeMessage& m) {
  FlatBufferBuilder fbb(128);
  auto body = proto::CreateWelcome(fbb, m.worker_id, m.protocol, m.heartbeat_ms);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Welcome, body.Union());
}

std::string EncodeReject(std::string_view run_id, const RejectMessage& m) {
  FlatBufferBuilder fbb(256);
  auto body = proto::CreateReject(fbb, Str(fbb, m.reason), m.permanent);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Reject, body.Union());
}

std::string EncodeHeartbeat(std::string_view run_id, const HeartbeatMessage& m) {
  FlatBufferBuilder fbb(128);
  auto body =
      proto::CreateHeartbeat(fbb, m.state, m.active_vus, m.cpu_percent, m.sent_at_us, m.echo_us, m.late_arrivals);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Heartbeat, body.Union());
}

std::string EncodeLoadPlanMessage(std::string_view run_id, const LoadPlanMessage& m) {
  size_t size = 1024 + m.plan.size();
  for (const auto& f : m.files) size += f.chunk.size() + f.path.size() + 128;
  FlatBufferBuilder fbb(size);
  std::vector<Offset<proto::DataFile>> files;
  files.reserve(m.files.size());
  for (const auto& f : m.files) {
    auto path = Str(fbb, f.path);
    auto sha = Str(fbb, f.sha256);
    auto chunk = fbb.CreateVector(reinterpret_cast<const uint8_t*>(f.chunk.data()), f.chunk.size());
    files.push_back(proto::CreateDataFile(fbb, path, sha, f.mode, f.total_size, f.chunk_offset, chunk));
  }
  std::vector<Offset<proto::Property>> props;
  props.reserve(m.properties.size());
  for (const auto& [k, v] : m.properties) {
    auto key = Str(fbb, k);
    auto value = Str(fbb, v);
    props.push_back(proto::CreateProperty(fbb, key, value));
  }
  auto name = Str(fbb, m.plan_name);
  auto plan = fbb.CreateVector(reinterpret_cast<const uint8_t*>(m.plan.data()), m.plan.size());
  auto files_vec = fbb.CreateVector(files);
  auto props_vec = fbb.CreateVector(props);
  std::vector<Offset<flatbuffers::String>> rules;
  rules.reserve(m.connect_to.size());
  for (const std::string& r : m.connect_to) rules.push_back(Str(fbb, r));
  auto rules_vec = fbb.CreateVector(rules);
  auto body = proto::CreateLoadPlan(fbb, name, plan, files_vec, props_vec, m.share, m.worker_index, m.worker_count,
                                    m.stop_timeout_ms, rules_vec);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::LoadPlan, body.Union());
}

std::vector<std::string> EncodeLoadPlan(std::string_view run_id, const LoadPlanMessage& m, size_t chunk_bytes) {
  if (chunk_bytes == 0) chunk_bytes = 1;
  LoadPlanMessage part = m;
  std::vector<size_t> sent(m.files.size(), 0);
  for (size_t i = 0; i < m.files.size(); ++i) part.files[i].total_size = m.files[i].chunk.size();
  std::vector<std::string> out;
  bool done = false;
  while (!done) {
    size_t budget = chunk_bytes;
    done = true;
    for (size_t i = 0; i < m.files.size(); ++i) {
      const std::string& content = m.files[i].chunk;
      size_t n = std::min(budget, content.size() - sent[i]);
      part.files[i].chunk_offset = sent[i];
      part.files[i].chunk.assign(content, sent[i], n);
      sent[i] += n;
      budget -= n;
      if (sent[i] < content.size()) done = false;
    }
    out.push_back(EncodeLoadPlanMessage(run_id, part));
  }
  return out;
}

std::string EncodeReady(std::string_view run_id, const ReadyMessage& m) {
  FlatBufferBuilder fbb(256);
  auto body = proto::CreateReady(fbb, m.files_ok, Str(fbb, m.message));
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Ready, body.Union());
}

std::string EncodeStart(std::string_view run_id, const StartMessage& m) {
  FlatBufferBuilder fbb(128);
  auto body = proto::CreateStart(fbb, m.start_at_us);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Start, body.Union());
}

std::string EncodeBatchAck(std::string_view run_id, const BatchAckMessage& m) {
  FlatBufferBuilder fbb(128);
  auto body = proto::CreateBatchAck(fbb, m.seq);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::BatchAck, body.Union());
}

std::string EncodeStop(std::string_view run_id, const StopMessage& m) {
  FlatBufferBuilder fbb(256);
  auto body = proto::CreateStop(fbb, m.mode, Str(fbb, m.reason));
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Stop, body.Union());
}

std::string EncodeFinished(std::string_view run_id, const FinishedMessage& m) {
  FlatBufferBuilder fbb(128);
  auto script_host = m.script_host_json.empty() ? 0 : fbb.CreateString(m.script_host_json);
  auto body = proto::CreateFinished(fbb, m.samples, m.batches, m.errors, m.dropped, script_host, m.late_arrivals);
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::Finished, body.Union());
}

std::string EncodeSampleBatch(std::string_view run_id, uint32_t worker_id, uint64_t seq,
                              const std::vector<Sample>& samples) {
  StringTable table;
  std::vector<proto::Sample> packed;
  std::vector<uint32_t> transactions;
  bool lagged = false;
  packed.reserve(samples.size());
  for (const Sample& s : samples) {
    if (s.transaction) transactions.push_back(static_cast<uint32_t>(packed.size()));
    lagged |= s.schedule_lag_us != 0;
    packed.emplace_back(s.timestamp_ms, s.elapsed_us, s.latency_us, s.connect_us, s.idle_us, s.bytes, s.sent_bytes,
                        table.Intern(s.label), table.Intern(s.response_code), table.Intern(s.response_message),
                        table.Intern(s.thread_name), table.Intern(s.failure_message), table.Intern(s.url),
                        table.Intern(s.data_type), static_cast<uint32_t>(s.grp_threads),
                        static_cast<uint32_t>(s.all_threads), s.success);
  }
  size_t size = 256 + packed.size() * sizeof(proto::Sample);
  for (const std::string* s : table.strings()) size += s->size() + 8;
  FlatBufferBuilder fbb(size);
  std::vector<Offset<flatbuffers::String>> strings;
  strings.reserve(table.strings().size());
  for (const std::string* s : table.strings()) strings.push_back(Str(fbb, *s));
  auto strings_vec = fbb.CreateVector(strings);
  auto samples_vec = fbb.CreateVectorOfStructs(packed);
  Offset<flatbuffers::Vector<uint32_t>> tx_vec;
  if (!transactions.empty()) tx_vec = fbb.CreateVector(transactions);
  // Only a batch with a late sample carries the lags: batches of unscheduled runs stay as
  // they were, and older controllers ignore the field.
  Offset<flatbuffers::Vector<int64_t>> lag_vec;
  if (lagged) {
    std::vector<int64_t> lags;
    lags.reserve(samples.size());
    for (const Sample& s : samples) lags.push_back(s.schedule_lag_us);
    lag_vec = fbb.CreateVector(lags);
  }
  proto::SampleBatchBuilder b(fbb);
  b.add_seq(seq);
  b.add_worker_id(worker_id);
  b.add_strings(strings_vec);
  b.add_samples(samples_vec);
  if (!transactions.empty()) b.add_transaction_samples(tx_vec);
  if (lagged) b.add_schedule_lag_us(lag_vec);
  auto body = b.Finish();
  return Finish(fbb, run_id, kProtocolVersion, proto::Body::SampleBatch, body.Union());
}

const void* AlignedFrame(const void* data, size_t size, std::vector<uint64_t>* storage) {
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) == 0) return data;
  storage->assign((size + sizeof(uint64_t) - 1) / sizeof(uint64_t), 0);
  if (size > 0) std::memcpy(storage->data(), data, size);
  return storage->data();
}

std::string_view RunIdOf(const proto::Envelope& e) {
  const auto* r = e.run_id();
  return r == nullptr ? std::string_view() : std::string_view(r->data(), r->size());
}

std::string BodyName(proto::Body type) {
  auto n = static_cast<unsigned>(type);
  if (type == proto::Body::NONE || n > static_cast<unsigned>(proto::Body::MAX)) {
    return "unknown(" + std::to_string(n) + ")";
  }
  return proto::EnumNameBody(type);
}

Result<HelloMessage> DecodeHello(const proto::Hello& m) {
  HelloMessage out;
  out.name = Copy(m.name());
  if (out.name.empty()) return Status::InvalidArgument("Hello: name is empty");
  out.host = Copy(m.host());
  out.cores = m.cores();
  out.min_protocol = m.min_protocol();
  out.max_protocol = m.max_protocol();
  out.software_version = Copy(m.software_version());
  return out;
}

WelcomeMessage DecodeWelcome(const proto::Welcome& m) {
  return WelcomeMessage{m.worker_id(), m.protocol(), m.heartbeat_ms()};
}

RejectMessage DecodeReject(const proto::Reject& m) { return RejectMessage{Copy(m.reason()), m.permanent()}; }

HeartbeatMessage DecodeHeartbeat(const proto::Heartbeat& m) {
  return HeartbeatMessage{m.state(), m.active_vus(), m.cpu_percent(), m.sent_at_us(), m.echo_us(), m.late_arrivals()};
}

Result<LoadPlanMessage> DecodeLoadPlan(const proto::LoadPlan& m) {
  LoadPlanMessage out;
  out.plan_name = Copy(m.plan_name());
  if (m.plan() == nullptr || m.plan()->size() == 0) {
    return Status::InvalidArgument("LoadPlan: plan is empty");
  }
  out.plan.assign(reinterpret_cast<const char*>(m.plan()->data()), m.plan()->size());
  if (m.files() != nullptr) {
    for (flatbuffers::uoffset_t i = 0; i < m.files()->size(); ++i) {
      const proto::DataFile* f = m.files()->Get(i);
      DataFileChunk c;
      c.path = Copy(f->path());
      std::string where = "LoadPlan: file " + std::to_string(i);
      if (c.path.empty()) return Status::InvalidArgument(where + ": path is empty");
      where = "LoadPlan: file " + c.path;
      c.sha256 = Copy(f->sha256());
      if (!IsLowerHex64(c.sha256)) {
        return Status::InvalidArgument(where + ": sha256 is not 64 lower-case hex digits");
      }
      c.mode = f->mode();
      if (c.mode != proto::DataMode::Copy && c.mode != proto::DataMode::Split) {
        return Status::InvalidArgument(where + ": unknown mode " + std::to_string(static_cast<int>(c.mode)));
      }
      c.total_size = f->total_size();
      c.chunk_offset = f->chunk_offset();
      if (f->chunk() != nullptr) {
        c.chunk.assign(reinterpret_cast<const char*>(f->chunk()->data()), f->chunk()->size());
      }
      if (c.chunk_offset > c.total_size || c.chunk.size() > c.total_size - c.chunk_offset) {
        return Status::InvalidArgument(where + ": chunk past total_size");
      }
      out.files.push_back(std::move(c));
    }
  }
  if (m.properties() != nullptr) {
    for (const proto::Property* p : *m.properties()) {
      std::string key = Copy(p->name());
      if (key.empty()) return Status::InvalidArgument("LoadPlan: property with an empty name");
      out.properties.emplace_back(std::move(key), Copy(p->value()));
    }
  }
  out.share = m.share();
  if (out.share != proto::ShareMode::PerWorker && out.share != proto::ShareMode::Total) {
    return Status::InvalidArgument("LoadPlan: unknown share mode " + std::to_string(static_cast<int>(out.share)));
  }
  out.worker_index = m.worker_index();
  out.worker_count = m.worker_count();
  if (out.worker_count == 0 || out.worker_index >= out.worker_count) {
    return Status::InvalidArgument("LoadPlan: worker_index " + std::to_string(out.worker_index) +
                                   " not below worker_count " + std::to_string(out.worker_count));
  }
  out.stop_timeout_ms = m.stop_timeout_ms() >= 0 ? m.stop_timeout_ms() : kDefaultGracefulStopTimeoutMs;
  if (m.connect_to() != nullptr) {
    for (const flatbuffers::String* r : *m.connect_to()) out.connect_to.push_back(Copy(r));
  }
  return out;
}

ReadyMessage DecodeReady(const proto::Ready& m) { return ReadyMessage{m.files_ok(), Copy(m.message())}; }

StartMessage DecodeStart(const proto::Start& m) { return StartMessage{m.start_at_us()}; }

BatchAckMessage DecodeBatchAck(const proto::BatchAck& m) { return BatchAckMessage{m.seq()}; }

StopMessage DecodeStop(const proto::Stop& m) { return StopMessage{m.mode(), Copy(m.reason())}; }

FinishedMessage DecodeFinished(const proto::Finished& m) {
  return FinishedMessage{
      m.samples(),      m.batches(), m.errors(), m.dropped(), m.script_host() ? m.script_host()->str() : std::string(),
      m.late_arrivals()};
}

SampleBatchHeader DecodeSampleBatchHeader(const proto::SampleBatch& m) {
  return SampleBatchHeader{m.worker_id(), m.seq()};
}

Status DecodeSampleBatch(const proto::SampleBatch& m, std::vector<Sample>* out) {
  const auto* samples = m.samples();
  if (samples == nullptr) return Status::InvalidArgument("SampleBatch: no samples vector");
  // The verifier checks the alignment of a vector's length, not of its 8-byte structs.
  if (reinterpret_cast<uintptr_t>(samples->Data()) % alignof(proto::Sample) != 0) {
    return Status::InvalidArgument("SampleBatch seq " + std::to_string(m.seq()) + ": samples vector is misaligned");
  }
  const auto* strings = m.strings();
  const uint32_t n_strings = strings == nullptr ? 0 : strings->size();
  const uint32_t n = samples->size();
  // Validate everything before touching `out`.
  for (uint32_t i = 0; i < n; ++i) {
    const proto::Sample* s = samples->Get(i);
    for (uint32_t idx : {s->label(), s->response_code(), s->response_message(), s->thread_name(), s->failure_message(),
                         s->url(), s->data_type()}) {
      if (idx >= n_strings) {
        return Status::InvalidArgument("SampleBatch seq " + std::to_string(m.seq()) + ": sample " + std::to_string(i) +
                                       ": string index " + std::to_string(idx) + " out of range (table has " +
                                       std::to_string(n_strings) + ")");
      }
    }
  }
  if (const auto* tx = m.transaction_samples()) {
    for (uint32_t idx : *tx) {
      if (idx >= n) {
        return Status::InvalidArgument("SampleBatch seq " + std::to_string(m.seq()) + ": transaction sample index " +
                                       std::to_string(idx) + " out of range (" + std::to_string(n) + " samples)");
      }
    }
  }
  const auto* lags = m.schedule_lag_us();
  if (lags != nullptr && lags->size() != n) {
    return Status::InvalidArgument("SampleBatch seq " + std::to_string(m.seq()) + ": " + std::to_string(lags->size()) +
                                   " schedule lags for " + std::to_string(n) + " samples");
  }
  std::vector<std::string> table;
  table.reserve(n_strings);
  for (uint32_t i = 0; i < n_strings; ++i) table.push_back(Copy(strings->Get(i)));
  const size_t base = out->size();
  out->reserve(base + n);
  for (uint32_t i = 0; i < n; ++i) {
    const proto::Sample* p = samples->Get(i);
    Sample& s = out->emplace_back();
    s.timestamp_ms = p->timestamp_ms();
    s.elapsed_us = p->elapsed_us();
    s.latency_us = p->latency_us();
    s.connect_us = p->connect_us();
    s.idle_us = p->idle_us();
    if (lags != nullptr) s.schedule_lag_us = lags->Get(i);
    s.bytes = p->bytes();
    s.sent_bytes = p->sent_bytes();
    s.grp_threads = static_cast<int32_t>(p->grp_threads());
    s.all_threads = static_cast<int32_t>(p->all_threads());
    s.success = p->success();
    s.label = table[p->label()];
    s.response_code = table[p->response_code()];
    s.response_message = table[p->response_message()];
    s.thread_name = table[p->thread_name()];
    s.failure_message = table[p->failure_message()];
    s.url = table[p->url()];
    s.data_type = table[p->data_type()];
  }
  if (const auto* tx = m.transaction_samples()) {
    for (uint32_t idx : *tx) (*out)[base + idx].transaction = true;
  }
  return Status::Ok();
}

namespace {
// Peers send arbitrary numbers: the clock arithmetic saturates instead of overflowing.
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxI64 : kMinI64;
  return r;
}
int64_t SatSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMaxI64 : kMinI64;
  return r;
}
}  // namespace

int64_t EchoUs(int64_t peer_sent_at_us, int64_t received_at_us, int64_t now_us) {
  if (peer_sent_at_us == 0) return 0;
  return SatAdd(peer_sent_at_us, std::max<int64_t>(0, SatSub(now_us, received_at_us)));
}

int64_t ClockOffsetUs(int64_t echo_us, int64_t peer_sent_at_us, int64_t received_at_us) {
  // echo_us = t1 + hold, received = t1 + hold + 2d (local clock), peer_sent = t1 + d + hold -
  // offset (peer clock): offset = (echo + received) / 2 - peer_sent.
  // Symmetric saturation: the negation (peer minus local) is always defined.
  return std::max(-kMaxI64, SatSub(std::midpoint(echo_us, received_at_us), peer_sent_at_us));
}

int64_t RoundTripUs(int64_t echo_us, int64_t received_at_us) { return SatSub(received_at_us, echo_us); }

int ThreadShare(int total, uint32_t index, uint32_t count) {
  if (count == 0 || total <= 0) return total;
  const int n = static_cast<int>(count);
  return total / n + (static_cast<int>(index) < total % n ? 1 : 0);
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[41] = {}, sec[41] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Unsupported(std::string("cannot generate a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{std::string(pub, 40), std::string(sec, 40)};
}

bool IsValidCurveKey(std::string_view z85) {
  if (z85.size() != 40) return false;
  std::string copy(z85);
  uint8_t raw[32];
  return zmq_z85_decode(raw, copy.c_str()) != nullptr;
}

Result<CurveKeyPair> LoadCurveKeyFile(const std::string& path, KeyFilePermissions permissions, std::string* warning) {
  if (warning != nullptr) warning->clear();
  Result<toml::table> parsed = ParseTomlFile(path, "a key file");
  if (!parsed.ok()) return parsed.status();
  toml::table doc = std::move(parsed).value();
  CurveKeyPair keys;
  for (const char* key : {"public_key", "secret_key"}) {
    const toml::node* node = doc.get(key);
    if (node == nullptr) continue;
    const auto* value = node->as_string();
    std::string line = std::to_string(node->source().begin.line);
    if (value == nullptr || !IsValidCurveKey(value->get())) {
      return Status::InvalidArgument(path + ":" + line + ": key " + key + ": not a 40-character Z85 key");
    }
    (std::string_view(key) == "public_key" ? keys.public_key : keys.secret_key) = value->get();
  }
  if (keys.public_key.empty()) {
    return Status::InvalidArgument(path + ": key public_key: missing");
  }
  if (!keys.secret_key.empty()) {
    char derived[41] = {};
    if (zmq_curve_public(derived, keys.secret_key.c_str()) != 0) {
      return Status::Unsupported(path + ": key secret_key: cannot derive its public key: " + zmq_strerror(zmq_errno()));
    }
    if (keys.public_key != std::string_view(derived, 40)) {
      return Status::InvalidArgument(path + ": key public_key: does not match secret_key");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::IoError(path + ": cannot stat: " + std::strerror(errno));
    }
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
      const std::string open = path + ": UNPROTECTED SECRET KEY FILE: permissions " + mode +
                               " are too open: group or others may access the secret key (chmod 600 " + path + ")";
      if (permissions == KeyFilePermissions::kRefuseOpen) {
        return Status::InvalidArgument(open +
                                       "; --allow-insecure-key-permissions (allow_insecure_key_permissions "
                                       "= true) accepts it with a warning");
      }
      if (warning != nullptr) *warning = open;
    }
  }
  return keys;
}

Status WriteCurveKeyFile(const std::string& path, const CurveKeyPair& keys) {
  if (!IsValidCurveKey(keys.public_key)) {
    return Status::InvalidArgument(path + ": key public_key: not a 40-character Z85 key");
  }
  if (!keys.secret_key.empty() && !IsValidCurveKey(keys.secret_key)) {
    return Status::InvalidArgument(path + ": key secret_key: not a 40-character Z85 key");
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IoError(path + ": cannot create: " + std::strerror(errno) +
                           (errno == EEXIST ? " (remove it first)" : ""));
  }
  std::string text = "# Barrage CurveZMQ key (Z85).";
  text += keys.secret_key.empty() ? " Public key only.\n" : " Keep secret_key private.\n";
  text += "public_key = \"" + keys.public_key + "\"\n";
  if (!keys.secret_key.empty()) text += "secret_key = \"" + keys.secret_key + "\"\n";
  Status status;
  if (::fchmod(fd, 0600) != 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd) != 0) {
    status = Status::IoError(path + ": cannot write: " + std::strerror(errno));
  }
  ::close(fd);
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

}  // namespace barrage
