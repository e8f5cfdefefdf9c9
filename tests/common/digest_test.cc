#include "common/digest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

TEST(DigestTest, LowerHexTwoDigitsPerByteMostSignificantFirst) {
  EXPECT_EQ(LowerHex(""), "");
  EXPECT_EQ(LowerHex(std::string("\x00\x01\x0f\x10\x7f\x80\xab\xff", 8)), "00010f107f80abff");
  EXPECT_EQ(LowerHex("AZ"), "415a");
}

TEST(DigestTest, Sha256OfKnownInputs) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(DigestTest, Sha256OfAFileEqualsThatOfItsBytesAcrossReadChunks) {
  TempDir dir;
  const std::string path = dir.File("data.bin");
  std::string bytes;
  for (int i = 0; i < 200'000; ++i) bytes.push_back(static_cast<char>(i * 31 % 251));  // > 3 read chunks
  std::ofstream(path, std::ios::binary) << bytes;
  Result<std::string> sha = Sha256HexOfFile(path);
  ASSERT_TRUE(sha.ok()) << sha.status().message();
  EXPECT_EQ(*sha, Sha256Hex(bytes));

  const std::string empty = dir.File("empty.bin");
  std::ofstream(empty, std::ios::binary).flush();
  Result<std::string> empty_sha = Sha256HexOfFile(empty);
  ASSERT_TRUE(empty_sha.ok()) << empty_sha.status().message();
  EXPECT_EQ(*empty_sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, Sha256OfAMissingFileNamesIt) {
  TempDir dir;
  const std::string path = dir.File("absent.csv");
  Result<std::string> sha = Sha256HexOfFile(path);
  ASSERT_FALSE(sha.ok());
  EXPECT_NE(sha.status().message().find(path), std::string::npos) << sha.status().message();
}

TEST(Base64EncodeTest, PadsAsRfc4648) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
}

}  // namespace
}  // namespace barrage
