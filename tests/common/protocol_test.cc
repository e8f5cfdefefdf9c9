#include "common/protocol.h"

#include <gtest/gtest.h>

#include <vector>

namespace barrage {
namespace {

std::vector<uint8_t> HelloEnvelope() {
  flatbuffers::FlatBufferBuilder b;
  auto name = b.CreateString("w1");
  auto hello = proto::CreateHello(b, name, 0, 2, kProtocolVersion, kProtocolVersion);
  auto env = proto::CreateEnvelope(b, kProtocolVersion, b.CreateString("run-1"), proto::Body::Hello, hello.Union());
  proto::FinishEnvelopeBuffer(b, env);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

TEST(ProtocolTest, VerifiesAndReadsAWellFormedEnvelope) {
  std::vector<uint8_t> buf = HelloEnvelope();
  const proto::Envelope* env = VerifyEnvelope(buf.data(), buf.size());
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->protocol(), kProtocolVersion);
  EXPECT_EQ(env->run_id()->str(), "run-1");
  ASSERT_EQ(env->body_type(), proto::Body::Hello);
  EXPECT_EQ(env->body_as_Hello()->name()->str(), "w1");
  EXPECT_EQ(env->body_as_Hello()->cores(), 2);
}

TEST(ProtocolTest, RejectsTruncatedGarbageAndForeignBuffers) {
  std::vector<uint8_t> buf = HelloEnvelope();
  EXPECT_EQ(VerifyEnvelope(buf.data(), buf.size() / 2), nullptr);
  EXPECT_EQ(VerifyEnvelope(nullptr, 0), nullptr);
  std::vector<uint8_t> garbage(256, 0xAB);
  EXPECT_EQ(VerifyEnvelope(garbage.data(), garbage.size()), nullptr);
  std::vector<uint8_t> wrong_id = buf;
  wrong_id[4] = 'X';  // file_identifier lives at bytes 4..7
  EXPECT_EQ(VerifyEnvelope(wrong_id.data(), wrong_id.size()), nullptr);
}

TEST(ProtocolTest, RejectsOversizedMessages) {
  std::vector<uint8_t> buf = HelloEnvelope();
  EXPECT_EQ(VerifyEnvelope(buf.data(), kMaxMessageBytes + 1), nullptr);
}

}  // namespace
}  // namespace barrage
