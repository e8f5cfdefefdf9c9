// Digests and hex: the one home for SHA-256 (of bytes and of a file, streamed) and for
// rendering bytes as lowercase hex. The hex digits are common/java_lang.h's
// JavaForHexDigit, so every hex string Barrage writes uses the same table.
//
// Threads: pure functions; safe from any thread.
#ifndef BARRAGE_COMMON_DIGEST_H_
#define BARRAGE_COMMON_DIGEST_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

// Two lowercase hex digits per byte, most significant nibble first ("\x01\xab" -> "01ab").
// Standard base64 (RFC 4648) with padding and no line breaks, as
// java.util.Base64.getEncoder() writes it.
std::string Base64Encode(std::string_view bytes);

std::string LowerHex(std::string_view bytes);

// MD5 of `bytes` as 32 lowercase hex digits (MD5Hex Assertion).
std::string Md5Hex(std::string_view bytes);

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);
// Of a whole file (a regular file, any size), streamed; the error names the file.
Result<std::string> Sha256HexOfFile(const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_COMMON_DIGEST_H_
