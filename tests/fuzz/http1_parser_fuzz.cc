// libFuzzer target for the engine's HTTP/1.x response parser (worker/http1_parser.h): any
// bytes, fed in pieces of a size the first input byte picks, must end in a clean state
// (done, error or waiting) with consistent counts, never a crash or a read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "worker/http1_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using barrage::Http1ResponseParser;
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const bool head = control & 1;
  const bool keep_body = control & 2;
  const size_t piece = static_cast<size_t>(control >> 2) + 1;
  const char* in = reinterpret_cast<const char*>(data + 1);
  const size_t n = size - 1;

  Http1ResponseParser p;
  std::string body;
  p.Reset(head, keep_body ? &body : nullptr);
  auto open = [&] {
    return p.state() == Http1ResponseParser::State::kHead || p.state() == Http1ResponseParser::State::kBody;
  };
  for (size_t off = 0; off < n && open();) {
    size_t len = n - off < piece ? n - off : piece;
    size_t used = p.Feed(in + off, len);
    if (used > len) std::abort();
    if (used < len && open()) std::abort();  // stops early only when the response ended
    off += len;
  }
  if (open()) p.FeedEof();
  if (open()) std::abort();  // the end of the stream always decides
  if (p.headers().size() > Http1ResponseParser::kMaxHeaderBytes) std::abort();
  if (keep_body && p.body_bytes() != static_cast<int64_t>(body.size())) std::abort();
  if (p.state() == Http1ResponseParser::State::kError && p.error().empty()) std::abort();
  if (p.done() && (p.status() < 200 || p.status() > 999)) std::abort();
  return 0;
}
