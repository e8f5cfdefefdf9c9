#include "common/digest.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "common/input_file.h"
#include "common/java_lang.h"

namespace barrage {

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string LowerHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(JavaForHexDigit(c >> 4));
    out.push_back(JavaForHexDigit(c & 0xF));
  }
  return out;
}

namespace {

using Sha256Digest = std::array<unsigned char, 32>;

std::string HexOf(const Sha256Digest& digest) {
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace

std::string Md5Hex(std::string_view bytes) {
  std::array<unsigned char, 16> digest{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_md5(), nullptr);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256Digest digest{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return HexOf(digest);
}

Result<std::string> Sha256HexOfFile(const std::string& path) {
  Result<UniqueFile> in = OpenRegularFile(path, kNoSizeLimit, "a data file");
  if (!in.ok()) return in.status();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("sha256: cannot initialise the digest");
  }
  std::vector<char> buf(1 << 16);
  while (size_t got = std::fread(buf.data(), 1, buf.size(), in->get())) {
    EVP_DigestUpdate(ctx.get(), buf.data(), got);
  }
  if (std::ferror(in->get())) return Status::IoError(path + ": cannot read: " + std::strerror(errno));
  Sha256Digest digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &len);
  return HexOf(digest);
}

}  // namespace barrage
