// Content-Encoding on the HTTP/1.1 fast path (issue 12): a gzip or deflate response body is
// inflated with zlib as it arrives, in pieces, so memory stays bounded (zlib's state, ~45 KiB,
// lives only while a response is decoded). As libcurl 7.88's decoders (content_encoding.c),
// which the libcurl path uses: "gzip" and "x-gzip" accept a gzip or zlib stream, "deflate" a
// zlib stream or, failing its header, a raw deflate one; "identity" and "none" pass through;
// bytes after the end of the compressed stream are ignored; a corrupt stream fails with
// libcurl's text ("Error while processing content unencoding: <zlib's message>",
// CURLE_BAD_CONTENT_ENCODING). Several encodings or brotli/zstd are not decoded here: the
// caller keeps such requests on libcurl (AcceptsOnlyGzipOrDeflate).
//
// Not thread-safe; one per connection, reused.
#ifndef BARRAGE_WORKER_CONTENT_DECODER_H_
#define BARRAGE_WORKER_CONTENT_DECODER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace barrage {

// True when an Accept-Encoding value names only codings the fast path decodes (gzip, x-gzip,
// deflate, identity; q-values allowed), so a server honouring it sends nothing else.
bool AcceptsOnlyGzipOrDeflate(std::string_view accept_encoding);

class ContentDecoder {
 public:
  ContentDecoder();
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Starts a body with this Content-Encoding value (trimmed). False when it cannot be
  // decoded (error() says why, as libcurl does).
  bool Begin(std::string_view content_encoding);
  // Whether Begin chose to transform the body (false: identity, pass through).
  bool active() const { return mode_ != Mode::kNone; }
  // Decodes the next `len` body bytes, appending the result to `out`. False on a corrupt
  // stream (error()).
  bool Feed(const char* data, size_t len, std::string* out);
  // Frees zlib's state (also done by Begin and the destructor).
  void End();
  const std::string& error() const { return error_; }

 private:
  enum class Mode { kNone, kGzip, kDeflate, kRawDeflate, kDone };
  struct Stream;
  bool Init(int window_bits);
  bool ZlibError();

  Mode mode_ = Mode::kNone;
  std::unique_ptr<Stream> stream_;
  bool started_ = false;  // zlib state initialised
  bool any_output_ = false;
  std::string error_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_CONTENT_DECODER_H_
