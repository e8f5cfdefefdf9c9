#include "common/wire.h"
#include "common/digest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tests/common/malformed_frames.h"
#include "tests/common/sample_expect.h"

namespace barrage {
namespace {

const proto::Envelope* Verified(const std::string& frame) { return VerifyEnvelope(frame.data(), frame.size()); }

TEST(WireTest, HelloRoundTrip) {
  HelloMessage m{"lg-01", "host-a", 8, 1, 3, "0.1.0"};
  std::string frame = EncodeHello("", m);
  const proto::Envelope* e = Verified(frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->protocol(), kProtocolVersion);
  EXPECT_EQ(RunIdOf(*e), "");
  ASSERT_EQ(e->body_type(), proto::Body::Hello);
  Result<HelloMessage> d = DecodeHello(*e->body_as_Hello());
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->name, "lg-01");
  EXPECT_EQ(d->host, "host-a");
  EXPECT_EQ(d->cores, 8);
  EXPECT_EQ(d->min_protocol, 1);
  EXPECT_EQ(d->max_protocol, 3);
  EXPECT_EQ(d->software_version, "0.1.0");
}

// BodyOf<T> for every member of the Body union: the body when it is there, an error naming
// the message when the envelope has the type but no body (which the verifier accepts) or
// another type. Never a null pointer.
template <typename T>
void ExpectBodyOfChecks(const std::string& real_frame) {
  constexpr proto::Body kType = proto::BodyTraits<T>::enum_value;
  const std::string name = BodyName(kType);
  SCOPED_TRACE(name);
  const proto::Envelope* real = Verified(real_frame);
  ASSERT_NE(real, nullptr);
  Result<const T*> body = BodyOf<T>(*real);
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_NE(*body, nullptr);

  const std::string bodyless = test::BodylessFrame(kType, "r");
  const proto::Envelope* e = Verified(bodyless);
  ASSERT_NE(e, nullptr);  // the verifier lets it through
  ASSERT_EQ(e->body_type(), kType);
  Result<const T*> absent = BodyOf<T>(*e);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().message(), name + " without a body");

  const std::string cut = test::WithBodyCutByOneByte(real_frame);
  ASSERT_FALSE(cut.empty());
  Result<const T*> cut_body = BodyOf<T>(*Verified(cut));
  ASSERT_FALSE(cut_body.ok());
  EXPECT_EQ(cut_body.status().message(), name + " without a body");

  const std::string other =
      kType == proto::Body::Hello ? EncodeBatchAck("r", {1}) : EncodeHello("", HelloMessage{"w", "", 1, 1, 1, ""});
  Result<const T*> wrong = BodyOf<T>(*Verified(other));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "expected " + name + ", got " + (kType == proto::Body::Hello ? "BatchAck" : "Hello"));

  const std::string none = test::BodylessFrame(proto::Body::NONE, "r");
  Result<const T*> nothing = BodyOf<T>(*Verified(none));
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.status().message(), "expected " + name + ", got unknown(0)");
}

TEST(WireTest, BodyOfChecksTheTypeAndThePresenceOfEveryBody) {
  LoadPlanMessage plan;
  plan.plan = "<jmeterTestPlan/>";
  ExpectBodyOfChecks<proto::Hello>(EncodeHello("", HelloMessage{"w", "", 1, 1, 1, ""}));
  ExpectBodyOfChecks<proto::Welcome>(EncodeWelcome("r", {1, 1, 1000}));
  ExpectBodyOfChecks<proto::Reject>(EncodeReject("r", {"no", true}));
  ExpectBodyOfChecks<proto::Heartbeat>(EncodeHeartbeat("r", {}));
  ExpectBodyOfChecks<proto::LoadPlan>(EncodeLoadPlanMessage("r", plan));
  ExpectBodyOfChecks<proto::Ready>(EncodeReady("r", {true, ""}));
  ExpectBodyOfChecks<proto::Start>(EncodeStart("r", {1}));
  ExpectBodyOfChecks<proto::SampleBatch>(EncodeSampleBatch("r", 1, 1, {Sample{}}));
  ExpectBodyOfChecks<proto::BatchAck>(EncodeBatchAck("r", {1}));
  ExpectBodyOfChecks<proto::Stop>(EncodeStop("r", {}));
  ExpectBodyOfChecks<proto::Finished>(EncodeFinished("r", {}));
  // Every member of the union is listed above.
  EXPECT_EQ(static_cast<int>(proto::Body::MAX), 11);
}

TEST(WireTest, HelloWithAnotherEnvelopeProtocolKeepsIt) {
  std::string frame = EncodeHello("", HelloMessage{"w", "", 1, 7, 7, ""}, 7);
  const proto::Envelope* e = Verified(frame);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->protocol(), 7);
}

TEST(WireTest, HelloWithoutNameIsRejected) {
  std::string frame = EncodeHello("", HelloMessage{});
  Result<HelloMessage> d = DecodeHello(*Verified(frame)->body_as_Hello());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "Hello: name is empty");
}

TEST(WireTest, WelcomeRejectHeartbeatRoundTrip) {
  {
    const proto::Envelope* e = nullptr;
    std::string f = EncodeWelcome("", WelcomeMessage{42, 1, 500});
    ASSERT_NE(e = Verified(f), nullptr);
    WelcomeMessage w = DecodeWelcome(*e->body_as_Welcome());
    EXPECT_EQ(w.worker_id, 42u);
    EXPECT_EQ(w.protocol, 1);
    EXPECT_EQ(w.heartbeat_ms, 500u);
  }
  {
    std::string f = EncodeReject("", RejectMessage{"unknown worker name 'x'", true});
    const proto::Envelope* e = Verified(f);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(DecodeReject(*e->body_as_Reject()).reason, "unknown worker name 'x'");
    EXPECT_TRUE(DecodeReject(*e->body_as_Reject()).permanent);
    std::string later = EncodeReject("", RejectMessage{"the run already has its 2 worker(s)"});
    EXPECT_FALSE(DecodeReject(*Verified(later)->body_as_Reject()).permanent);
  }
  {
    HeartbeatMessage h{proto::WorkerState::Running, 250, 37.5f, 1700000000123456, 1700000000000001, 12};
    std::string f = EncodeHeartbeat("run-9", h);
    const proto::Envelope* e = Verified(f);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(RunIdOf(*e), "run-9");
    HeartbeatMessage d = DecodeHeartbeat(*e->body_as_Heartbeat());
    EXPECT_EQ(d.state, proto::WorkerState::Running);
    EXPECT_EQ(d.active_vus, 250u);
    EXPECT_EQ(d.cpu_percent, 37.5f);
    EXPECT_EQ(d.sent_at_us, 1700000000123456);
    EXPECT_EQ(d.echo_us, 1700000000000001);
    EXPECT_EQ(d.late_arrivals, 12u);
    // An older worker's heartbeat has none: 0.
    EXPECT_EQ(DecodeHeartbeat(*Verified(EncodeHeartbeat("r", {}))->body_as_Heartbeat()).late_arrivals, 0u);
  }
}

TEST(WireTest, ReadyStartAckStopFinishedRoundTrip) {
  {
    std::string f = EncodeReady("r", ReadyMessage{false, "users.csv: sha256 mismatch"});
    ReadyMessage d = DecodeReady(*Verified(f)->body_as_Ready());
    EXPECT_FALSE(d.files_ok);
    EXPECT_EQ(d.message, "users.csv: sha256 mismatch");
  }
  {
    std::string f = EncodeStart("r", StartMessage{1700000001000000});
    EXPECT_EQ(DecodeStart(*Verified(f)->body_as_Start()).start_at_us, 1700000001000000);
  }
  {
    std::string f = EncodeBatchAck("r", BatchAckMessage{1234567890123ull});
    EXPECT_EQ(DecodeBatchAck(*Verified(f)->body_as_BatchAck()).seq, 1234567890123ull);
  }
  {
    std::string f = EncodeStop("r", StopMessage{proto::StopMode::Now, "Ctrl-C"});
    StopMessage d = DecodeStop(*Verified(f)->body_as_Stop());
    EXPECT_EQ(d.mode, proto::StopMode::Now);
    EXPECT_EQ(d.reason, "Ctrl-C");
  }
  {
    std::string f = EncodeFinished("r", FinishedMessage{1000, 3, 7, 0});
    FinishedMessage d = DecodeFinished(*Verified(f)->body_as_Finished());
    EXPECT_EQ(d.samples, 1000u);
    EXPECT_EQ(d.batches, 3u);
    EXPECT_EQ(d.errors, 7u);
    EXPECT_EQ(d.dropped, 0u);
    EXPECT_EQ(d.script_host_json, "");  // absent: no script host ran (or an older worker)
    EXPECT_EQ(d.late_arrivals, 0u);
  }
  {
    FinishedMessage m{5, 1, 0, 0};
    m.late_arrivals = 9;
    EXPECT_EQ(DecodeFinished(*Verified(EncodeFinished("r", m))->body_as_Finished()).late_arrivals, 9u);
  }
  {
    FinishedMessage m{5, 1, 0, 0};
    m.script_host_json = R"({"version":"Java 17.0.13"})";
    FinishedMessage d = DecodeFinished(*Verified(EncodeFinished("r", m))->body_as_Finished());
    EXPECT_EQ(d.samples, 5u);
    EXPECT_EQ(d.script_host_json, R"({"version":"Java 17.0.13"})");
  }
}

LoadPlanMessage SamplePlan() {
  LoadPlanMessage m;
  m.plan_name = "checkout.jmx";
  m.plan = "<jmeterTestPlan/>";
  m.files.push_back({"users.csv", Sha256Hex("a,b\n1,2\n"), proto::DataMode::Split, 0, 0, "a,b\n1,2\n"});
  m.files.push_back({"/data/ids.txt", Sha256Hex("123456789"), proto::DataMode::Copy, 0, 0, "123456789"});
  m.properties = {{"worker.index", "1"}, {"worker.count", "3"}, {"host", "127.0.0.1"}};
  m.share = proto::ShareMode::Total;
  m.worker_index = 1;
  m.worker_count = 3;
  m.stop_timeout_ms = 2'500;
  m.connect_to = {"example.invalid:80:127.0.0.1:8080", "::[::1]:"};
  for (auto& f : m.files) f.total_size = f.chunk.size();
  return m;
}

TEST(WireTest, LoadPlanInOneMessageRoundTrip) {
  LoadPlanMessage m = SamplePlan();
  std::vector<std::string> frames = EncodeLoadPlan("run-1", m);
  ASSERT_EQ(frames.size(), 1u);
  const proto::Envelope* e = Verified(frames[0]);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->body_type(), proto::Body::LoadPlan);
  Result<LoadPlanMessage> d = DecodeLoadPlan(*e->body_as_LoadPlan());
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->plan_name, "checkout.jmx");
  EXPECT_EQ(d->plan, "<jmeterTestPlan/>");
  ASSERT_EQ(d->files.size(), 2u);
  EXPECT_EQ(d->files[0].path, "users.csv");
  EXPECT_EQ(d->files[0].sha256, Sha256Hex("a,b\n1,2\n"));
  EXPECT_EQ(d->files[0].mode, proto::DataMode::Split);
  EXPECT_EQ(d->files[0].total_size, 8u);
  EXPECT_EQ(d->files[0].chunk_offset, 0u);
  EXPECT_EQ(d->files[0].chunk, "a,b\n1,2\n");
  EXPECT_EQ(d->files[1].path, "/data/ids.txt");
  EXPECT_EQ(d->files[1].mode, proto::DataMode::Copy);
  EXPECT_EQ(d->files[1].chunk, "123456789");
  EXPECT_EQ(d->properties, m.properties);
  EXPECT_EQ(d->share, proto::ShareMode::Total);
  EXPECT_EQ(d->worker_index, 1u);
  EXPECT_EQ(d->worker_count, 3u);
  EXPECT_EQ(d->stop_timeout_ms, 2'500);
  EXPECT_EQ(d->connect_to, m.connect_to);
}

// A LoadPlan from a controller that predates stop_timeout_ms: the worker's default bound.
TEST(WireTest, LoadPlanWithoutStopTimeoutDecodesToTheDefault) {
  flatbuffers::FlatBufferBuilder fbb;
  auto plan = fbb.CreateVector(reinterpret_cast<const uint8_t*>("<jmeterTestPlan/>"), 17);
  auto body = proto::CreateLoadPlan(fbb, 0, plan, 0, 0, proto::ShareMode::PerWorker, 0, 1);
  auto run = fbb.CreateString("run-1");
  proto::FinishEnvelopeBuffer(fbb,
                              proto::CreateEnvelope(fbb, kProtocolVersion, run, proto::Body::LoadPlan, body.Union()));
  std::string frame(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  const proto::Envelope* e = Verified(frame);
  ASSERT_NE(e, nullptr);
  Result<LoadPlanMessage> d = DecodeLoadPlan(*e->body_as_LoadPlan());
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->stop_timeout_ms, kDefaultGracefulStopTimeoutMs);
  EXPECT_TRUE(d->connect_to.empty());
}

TEST(WireTest, LoadPlanChunksEveryFileInOrderAndRepeatsTheFileList) {
  LoadPlanMessage m = SamplePlan();  // 8 + 9 bytes of files
  std::vector<std::string> frames = EncodeLoadPlan("run-1", m, 5);
  ASSERT_EQ(frames.size(), 4u);  // 5 + 5 + 5 + 2 bytes
  std::vector<std::string> rebuilt(2);
  for (const std::string& f : frames) {
    Result<LoadPlanMessage> d = DecodeLoadPlan(*Verified(f)->body_as_LoadPlan());
    ASSERT_TRUE(d.ok()) << d.status().message();
    ASSERT_EQ(d->files.size(), 2u);
    EXPECT_EQ(d->plan, m.plan);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(d->files[i].total_size, m.files[i].chunk.size());
      EXPECT_EQ(d->files[i].chunk_offset, rebuilt[i].size());
      rebuilt[i] += d->files[i].chunk;
    }
  }
  EXPECT_EQ(rebuilt[0], m.files[0].chunk);
  EXPECT_EQ(rebuilt[1], m.files[1].chunk);
}

TEST(WireTest, LoadPlanWithoutFilesIsOneMessage) {
  LoadPlanMessage m = SamplePlan();
  m.files.clear();
  EXPECT_EQ(EncodeLoadPlan("r", m, 1).size(), 1u);
}

TEST(WireTest, LoadPlanWithBadSha256IsRejected) {
  LoadPlanMessage m = SamplePlan();
  m.files[0].sha256 = "ABC";
  std::string f = EncodeLoadPlanMessage("r", m);
  Result<LoadPlanMessage> d = DecodeLoadPlan(*Verified(f)->body_as_LoadPlan());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "LoadPlan: file users.csv: sha256 is not 64 lower-case hex digits");
}

TEST(WireTest, LoadPlanChunkPastTotalSizeIsRejected) {
  LoadPlanMessage m = SamplePlan();
  m.files[1].total_size = 9;
  m.files[1].chunk_offset = 5;  // 5 + 9 > 9
  std::string f = EncodeLoadPlanMessage("r", m);
  Result<LoadPlanMessage> d = DecodeLoadPlan(*Verified(f)->body_as_LoadPlan());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "LoadPlan: file /data/ids.txt: chunk past total_size");
}

TEST(WireTest, LoadPlanWorkerIndexOutOfRangeIsRejected) {
  LoadPlanMessage m = SamplePlan();
  m.worker_index = 3;
  std::string f = EncodeLoadPlanMessage("r", m);
  Result<LoadPlanMessage> d = DecodeLoadPlan(*Verified(f)->body_as_LoadPlan());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "LoadPlan: worker_index 3 not below worker_count 3");
}

Sample MakeSample(int i) {
  Sample s;
  s.timestamp_ms = 1700000000000 + i;
  s.elapsed_us = 1000 + i;
  s.latency_us = 500 + i;
  s.connect_us = i % 2 ? 0 : 120;
  s.idle_us = 7;
  s.schedule_lag_us = i % 4 == 1 ? 250000 + i : 0;
  s.bytes = 2048 + i;
  s.sent_bytes = 128;
  s.grp_threads = 10;
  s.all_threads = 20;
  s.success = i % 3 != 0;
  s.transaction = i == 2;
  s.label = i % 2 ? "login" : "home";
  s.response_code = s.success ? "200" : "500";
  s.response_message = s.success ? "OK" : "Internal Server Error";
  s.thread_name = "lg-01-Thread Group 1-" + std::to_string(i % 4 + 1);
  s.data_type = "text";
  s.failure_message = s.success ? "" : "Test failed: code expected to be 200";
  s.url = "http://127.0.0.1:8080/" + s.label;
  return s;
}

void ExpectSameSample(const Sample& a, const Sample& b) {
  ExpectSameJtlFields(a, b);
  EXPECT_EQ(a.transaction, b.transaction);  // SampleBatch carries it too
  EXPECT_EQ(a.schedule_lag_us, b.schedule_lag_us);
}

TEST(WireTest, SampleBatchRoundTripKeepsEveryField) {
  std::vector<Sample> in;
  for (int i = 0; i < 12; ++i) in.push_back(MakeSample(i));
  std::string f = EncodeSampleBatch("run-7", 3, 99, in);
  const proto::Envelope* e = Verified(f);
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->body_type(), proto::Body::SampleBatch);
  EXPECT_EQ(RunIdOf(*e), "run-7");
  SampleBatchHeader h = DecodeSampleBatchHeader(*e->body_as_SampleBatch());
  EXPECT_EQ(h.worker_id, 3u);
  EXPECT_EQ(h.seq, 99u);
  std::vector<Sample> out;
  ASSERT_TRUE(DecodeSampleBatch(*e->body_as_SampleBatch(), &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSameSample(in[i], out[i]);
}

TEST(WireTest, SampleBatchInternsRepeatedStrings) {
  std::vector<Sample> in;
  for (int i = 0; i < 100; ++i) in.push_back(MakeSample(i));
  std::string f = EncodeSampleBatch("r", 1, 1, in);
  const proto::SampleBatch* b = Verified(f)->body_as_SampleBatch();
  // "", 2 labels, 2 codes, 2 messages, 4 thread names, "text", 1 failure message, 2 URLs.
  EXPECT_EQ(b->strings()->size(), 15u);
  EXPECT_EQ(b->strings()->Get(0)->str(), "");
}

TEST(WireTest, EmptySampleBatchDecodesToNothing) {
  std::string f = EncodeSampleBatch("r", 1, 5, {});
  std::vector<Sample> out;
  ASSERT_TRUE(DecodeSampleBatch(*Verified(f)->body_as_SampleBatch(), &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(WireTest, SampleBatchDecodeAppends) {
  std::string f = EncodeSampleBatch("r", 1, 5, {MakeSample(1)});
  std::vector<Sample> out = {MakeSample(0)};
  ASSERT_TRUE(DecodeSampleBatch(*Verified(f)->body_as_SampleBatch(), &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].label, "login");
}

TEST(WireTest, SampleBatchWithoutALateSampleCarriesNoLags) {
  std::vector<Sample> in = {MakeSample(0), MakeSample(2)};
  std::string f = EncodeSampleBatch("r", 1, 1, in);
  EXPECT_EQ(Verified(f)->body_as_SampleBatch()->schedule_lag_us(), nullptr);
  in.push_back(MakeSample(5));  // lag 250005 us
  std::string g = EncodeSampleBatch("r", 1, 2, in);
  const auto* lags = Verified(g)->body_as_SampleBatch()->schedule_lag_us();
  ASSERT_NE(lags, nullptr);
  EXPECT_EQ(std::vector<int64_t>(lags->begin(), lags->end()), (std::vector<int64_t>{0, 0, 250005}));
}

// A batch as an older worker builds it (no schedule_lag_us field) decodes with every lag 0.
TEST(WireTest, SampleBatchOfAnOlderWorkerDecodesWithoutLags) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {fbb.CreateString("")};
  auto strings_vec = fbb.CreateVector(strings);
  std::vector<proto::Sample> samples;
  samples.emplace_back(1, 2000, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 1, 1, true);
  auto samples_vec = fbb.CreateVectorOfStructs(samples);
  auto batch = proto::CreateSampleBatch(fbb, 1, 3, strings_vec, samples_vec);
  proto::FinishEnvelopeBuffer(fbb,
                              proto::CreateEnvelope(fbb, kProtocolVersion, 0, proto::Body::SampleBatch, batch.Union()));
  const proto::Envelope* e = VerifyEnvelope(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_NE(e, nullptr);
  std::vector<Sample> out;
  ASSERT_TRUE(DecodeSampleBatch(*e->body_as_SampleBatch(), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].elapsed_us, 2000);
  EXPECT_EQ(out[0].schedule_lag_us, 0);
}

TEST(WireTest, SampleBatchWithLagsNotOnePerSampleIsRejected) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {fbb.CreateString("")};
  auto strings_vec = fbb.CreateVector(strings);
  std::vector<proto::Sample> samples(2);
  auto samples_vec = fbb.CreateVectorOfStructs(samples);
  std::vector<int64_t> lags = {5};
  auto batch = proto::CreateSampleBatch(fbb, 1, 6, strings_vec, samples_vec, 0, fbb.CreateVector(lags));
  proto::FinishEnvelopeBuffer(fbb,
                              proto::CreateEnvelope(fbb, kProtocolVersion, 0, proto::Body::SampleBatch, batch.Union()));
  const proto::Envelope* e = VerifyEnvelope(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_NE(e, nullptr);
  std::vector<Sample> out;
  Status s = DecodeSampleBatch(*e->body_as_SampleBatch(), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "SampleBatch seq 6: 1 schedule lags for 2 samples");
  EXPECT_TRUE(out.empty());
}

// A verified buffer can still carry a string index past the table.
TEST(WireTest, SampleBatchWithOutOfRangeStringIndexIsRejected) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {fbb.CreateString(""), fbb.CreateString("home")};
  auto strings_vec = fbb.CreateVector(strings);
  std::vector<proto::Sample> samples;
  samples.emplace_back(1, 2, 3, 4, 5, 6, 7, 1, 0, 0, 0, 0, 0, 0, 1, 1, true);
  samples.emplace_back(1, 2, 3, 4, 5, 6, 7, 1, 0, 0, 9, 0, 0, 0, 1, 1, true);  // thread_name 9
  auto samples_vec = fbb.CreateVectorOfStructs(samples);
  auto batch = proto::CreateSampleBatch(fbb, 1, 2, strings_vec, samples_vec);
  auto env =
      proto::CreateEnvelope(fbb, kProtocolVersion, fbb.CreateString("r"), proto::Body::SampleBatch, batch.Union());
  proto::FinishEnvelopeBuffer(fbb, env);
  const proto::Envelope* e = VerifyEnvelope(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_NE(e, nullptr);
  std::vector<Sample> out = {MakeSample(0)};
  Status s = DecodeSampleBatch(*e->body_as_SampleBatch(), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "SampleBatch seq 2: sample 1: string index 9 out of range (table has 2)");
  EXPECT_EQ(out.size(), 1u);  // untouched
}

TEST(WireTest, SampleBatchWithOutOfRangeTransactionIndexIsRejected) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<flatbuffers::String>> strings = {fbb.CreateString("")};
  auto strings_vec = fbb.CreateVector(strings);
  std::vector<proto::Sample> samples(1);
  auto samples_vec = fbb.CreateVectorOfStructs(samples);
  std::vector<uint32_t> tx = {1};
  auto batch = proto::CreateSampleBatch(fbb, 1, 4, strings_vec, samples_vec, fbb.CreateVector(tx));
  proto::FinishEnvelopeBuffer(fbb,
                              proto::CreateEnvelope(fbb, kProtocolVersion, 0, proto::Body::SampleBatch, batch.Union()));
  const proto::Envelope* e = VerifyEnvelope(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_NE(e, nullptr);
  std::vector<Sample> out;
  Status s = DecodeSampleBatch(*e->body_as_SampleBatch(), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "SampleBatch seq 4: transaction sample index 1 out of range (1 samples)");
}

// Cutting a frame short either fails verification or cuts only trailing alignment padding
// (then the frame still decodes to the same samples); it never yields other data.
TEST(WireTest, EveryTruncationOfAFrameIsRejectedOrLosesOnlyPadding) {
  std::vector<Sample> in = {MakeSample(1), MakeSample(2)};
  std::string f = EncodeSampleBatch("run", 1, 1, in);
  size_t accepted = 0;
  for (size_t n = 0; n < f.size(); ++n) {
    std::string cut = f.substr(0, n);
    const proto::Envelope* e = VerifyEnvelope(cut.data(), cut.size());
    if (e == nullptr) continue;
    ++accepted;
    EXPECT_GE(n + 8, f.size()) << "length " << n;
    std::vector<Sample> out;
    ASSERT_TRUE(DecodeSampleBatch(*e->body_as_SampleBatch(), &out).ok());
    ASSERT_EQ(out.size(), 2u);
    ExpectSameSample(out[1], in[1]);
  }
  EXPECT_LT(accepted, 8u);
}

TEST(WireTest, GarbageFailsVerification) {
  std::string garbage(300, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131 + 7) & 0xff);
  EXPECT_EQ(Verified(garbage), nullptr);
  // A valid identifier does not make garbage valid.
  std::string tagged = garbage;
  tagged.replace(4, 4, "BRG1");
  EXPECT_EQ(Verified(tagged), nullptr);
}

TEST(WireTest, OversizedBufferFailsVerification) {
  std::string f = EncodeBatchAck("r", BatchAckMessage{1});
  std::string big = f + std::string(kMaxMessageBytes, '\0');
  EXPECT_EQ(VerifyEnvelope(big.data(), big.size()), nullptr);
}

TEST(WireTest, AlignedFrameCopiesOnlyMisalignedBytes) {
  std::string f = EncodeBatchAck("r", BatchAckMessage{42});
  std::vector<uint64_t> backing((f.size() + 16) / 8 + 1);
  char* aligned = reinterpret_cast<char*>(backing.data());
  std::memcpy(aligned, f.data(), f.size());
  std::vector<uint64_t> storage;
  EXPECT_EQ(AlignedFrame(aligned, f.size(), &storage), aligned);
  EXPECT_TRUE(storage.empty());
  std::memmove(aligned + 1, aligned, f.size());  // now at an odd address
  const void* p = AlignedFrame(aligned + 1, f.size(), &storage);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
  const proto::Envelope* e = VerifyEnvelope(p, f.size());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(DecodeBatchAck(*e->body_as_BatchAck()).seq, 42u);
}

TEST(WireTest, BodyNames) {
  EXPECT_EQ(BodyName(proto::Body::SampleBatch), "SampleBatch");
  EXPECT_EQ(BodyName(proto::Body::NONE), "unknown(0)");
  EXPECT_EQ(BodyName(static_cast<proto::Body>(200)), "unknown(200)");
}

TEST(WireTest, ClockOffsetFromAnEchoedHeartbeat) {
  // Peer clock = local clock - 5 s. Local sends at t=1000, one-way delay 300, peer holds 400.
  const int64_t offset = 5000000, delay = 300, hold = 400;
  const int64_t local_sent = 1000;
  const int64_t peer_received = local_sent - offset + delay;  // peer clock
  const int64_t peer_sent = peer_received + hold;
  const int64_t echo = EchoUs(local_sent, peer_received, peer_sent);
  EXPECT_EQ(echo, local_sent + hold);
  const int64_t local_received = local_sent + delay + hold + delay;
  EXPECT_EQ(ClockOffsetUs(echo, peer_sent, local_received), offset);
  EXPECT_EQ(RoundTripUs(echo, local_received), 2 * delay);
}

TEST(WireTest, EchoIsZeroBeforeAnythingWasReceived) { EXPECT_EQ(EchoUs(0, 0, 12345), 0); }

// A hostile peer's numbers saturate instead of overflowing.
TEST(WireTest, ClockArithmeticSaturates) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(EchoUs(kMax, 0, 1000), kMax);
  EXPECT_EQ(RoundTripUs(kMin, 1000), kMax);
  EXPECT_EQ(ClockOffsetUs(kMax, kMin, kMax), kMax);
  // Not kMin: the coordinator negates it (found by cluster_coordinator_fuzz: UBSan, signed
  // overflow on a hostile heartbeat).
  EXPECT_EQ(ClockOffsetUs(kMin, kMax, kMin), -kMax);
  EXPECT_EQ(ClockOffsetUs(-1, kMax, 0), -kMax);
}

TEST(WireTest, ThreadShareUsesLargestRemainder) {
  EXPECT_EQ(ThreadShare(10, 0, 3), 4);
  EXPECT_EQ(ThreadShare(10, 1, 3), 3);
  EXPECT_EQ(ThreadShare(10, 2, 3), 3);
  EXPECT_EQ(ThreadShare(2, 2, 3), 0);
  EXPECT_EQ(ThreadShare(7, 0, 1), 7);
  int sum = 0;
  for (uint32_t i = 0; i < 7; ++i) sum += ThreadShare(100, i, 7);
  EXPECT_EQ(sum, 100);
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("barrage-wire-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, Sha256OfAFileEqualsSha256OfItsBytes) {
  std::string p = Write("data.csv", "id\n1\n2\n");
  Result<std::string> h = Sha256HexOfFile(p);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, Sha256Hex("id\n1\n2\n"));
  Result<std::string> missing = Sha256HexOfFile((dir_ / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), (dir_ / "nope").string() + ": no such file");
}

TEST_F(KeyFileTest, GeneratedPairWritesAndLoadsBackWithMode0600) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(keys->public_key.size(), 40u);
  EXPECT_TRUE(IsValidCurveKey(keys->public_key));
  EXPECT_TRUE(IsValidCurveKey(keys->secret_key));
  std::string p = (dir_ / "worker.key").string();
  ASSERT_TRUE(WriteCurveKeyFile(p, *keys).ok());
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<CurveKeyPair> loaded = LoadCurveKeyFile(p);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->public_key, keys->public_key);
  EXPECT_EQ(loaded->secret_key, keys->secret_key);
}

TEST_F(KeyFileTest, WriteRefusesToOverwrite) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok());
  std::string p = Write("exists.key", "x");
  Status s = WriteCurveKeyFile(p, *keys);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), p + ": cannot create: File exists (remove it first)");
}

TEST_F(KeyFileTest, PublicOnlyFileLoads) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok());
  std::string p = (dir_ / "controller.pub").string();
  ASSERT_TRUE(WriteCurveKeyFile(p, CurveKeyPair{keys->public_key, ""}).ok());
  Result<CurveKeyPair> loaded = LoadCurveKeyFile(p);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->public_key, keys->public_key);
  EXPECT_EQ(loaded->secret_key, "");
}

TEST_F(KeyFileTest, MissingPublicKeyNamesFileAndKey) {
  std::string p = Write("a.key", "# nothing\n");
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p + ": key public_key: missing");
}

TEST_F(KeyFileTest, MalformedKeyNamesFileLineAndKey) {
  std::string p = Write("b.key", "public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\nsecret_key = \"short\"\n");
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p + ":2: key secret_key: not a 40-character Z85 key");
}

TEST_F(KeyFileTest, NonStringKeyIsAnError) {
  std::string p = Write("c.key", "public_key = 12\n");
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p + ":1: key public_key: not a 40-character Z85 key");
}

TEST_F(KeyFileTest, MismatchedPairIsAnError) {
  Result<CurveKeyPair> a = GenerateCurveKeyPair();
  Result<CurveKeyPair> b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  std::string p = Write("d.key", "public_key = \"" + a->public_key + "\"\nsecret_key = \"" + b->secret_key + "\"\n");
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p + ": key public_key: does not match secret_key");
}

TEST_F(KeyFileTest, TomlSyntaxErrorNamesFileAndLine) {
  std::string p = Write("e.key", "public_key = \"abc\n");
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(p + ":1: ", 0), 0u) << r.status().message();
}

TEST_F(KeyFileTest, UnreadableFileIsAnError) {
  std::string p = (dir_ / "missing.key").string();
  Result<CurveKeyPair> r = LoadCurveKeyFile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(p, 0), 0u) << r.status().message();
}

// Issue 16 item 9: a secret key file that group or others may access is refused (as ssh
// refuses an unprotected private key), or, when allowed, accepted with a warning.
TEST_F(KeyFileTest, ASecretKeyFileOpenToGroupOrOthersIsRefusedNamingFileAndMode) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok());
  const std::string p = (dir_ / "worker.key").string();
  ASSERT_TRUE(WriteCurveKeyFile(p, *keys).ok());
  for (mode_t mode : {0644, 0640, 0604, 0660, 0606, 0610}) {
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
    const std::string open = p + ": UNPROTECTED SECRET KEY FILE: permissions " + octal +
                             " are too open: group or others may access the secret key (chmod 600 " + p + ")";
    Result<CurveKeyPair> refused = LoadCurveKeyFile(p);
    ASSERT_FALSE(refused.ok()) << octal;
    EXPECT_EQ(refused.status().message(),
              open +
                  "; --allow-insecure-key-permissions (allow_insecure_key_permissions = true) accepts it "
                  "with a warning");
    std::string warning = "stale";
    Result<CurveKeyPair> warned = LoadCurveKeyFile(p, KeyFilePermissions::kWarnIfOpen, &warning);
    ASSERT_TRUE(warned.ok()) << warned.status().message();
    EXPECT_EQ(warned->secret_key, keys->secret_key);
    EXPECT_EQ(warning, open);
  }
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
    std::string warning = "stale";
    Result<CurveKeyPair> loaded = LoadCurveKeyFile(p, KeyFilePermissions::kWarnIfOpen, &warning);
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(warning, "");
    EXPECT_TRUE(LoadCurveKeyFile(p).ok()) << mode;
  }
}

TEST_F(KeyFileTest, APublicOnlyKeyFileMayBeReadableByAll) {
  Result<CurveKeyPair> keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok());
  const std::string p = (dir_ / "controller.pub").string();
  ASSERT_TRUE(WriteCurveKeyFile(p, CurveKeyPair{keys->public_key, ""}).ok());
  ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
  std::string warning = "stale";
  Result<CurveKeyPair> loaded = LoadCurveKeyFile(p, KeyFilePermissions::kRefuseOpen, &warning);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->public_key, keys->public_key);
  EXPECT_EQ(warning, "");
}

}  // namespace
}  // namespace barrage
