// Incremental parser of one HTTP/1.x response on a client connection (the engine's own
// keep-alive fast path, worker/http1_connection.h). Bytes are fed as they arrive, split
// anywhere; the parser copies what it must keep (the header block, a partial chunk-size line)
// so the caller's read buffer can be reused right after Feed returns.
//
// It skips interim 1xx responses (counting their bytes as header bytes, as libcurl does),
// frames the body by HEAD / 204 / 304 (none), Transfer-Encoding: chunked, Content-Length,
// or the end of the connection, and decides whether the connection can be reused. Limits:
// a header block (status line, headers, final blank line) of at most kMaxHeaderBytes, a
// chunk-size line of at most kMaxChunkLineBytes. Anything malformed ends the response with
// State::kError and a one-line error(); the parser never reads past `data + len`.
//
// Not thread-safe; one parser per connection, reused (Reset) for every response.
#ifndef BARRAGE_WORKER_HTTP1_PARSER_H_
#define BARRAGE_WORKER_HTTP1_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "worker/content_decoder.h"

namespace barrage {

class Http1ResponseParser {
 public:
  static constexpr size_t kMaxHeaderBytes = 100 * 1024;  // libcurl's CURL_MAX_HTTP_HEADER
  static constexpr size_t kMaxChunkLineBytes = 4096;

  enum class State { kHead, kBody, kDone, kError };

  // Starts a new response. `head_request`: the request was HEAD, so no body follows.
  // `body` receives the (de-chunked) body; nullptr counts its bytes without keeping them.
  // `decoder` (the request accepted gzip/deflate; null: none) decodes a body with a
  // Content-Encoding into `body`; body_bytes() still counts the bytes received, as JMeter
  // 2.13 does (HC4's connection metrics: bytes = headers + the body on the wire).
  void Reset(bool head_request, std::string* body, ContentDecoder* decoder = nullptr);

  // Consumes bytes of the response; returns how many were used. Fewer than `len` only when
  // the response ended (kDone) before them (bytes of a next response the server should not
  // have sent) or on kError.
  size_t Feed(const char* data, size_t len);
  // The server closed the connection: a body delimited by the close is complete (kDone);
  // anything else unfinished becomes kError ("closed before the response was complete").
  void FeedEof();

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  const std::string& error() const { return error_; }
  // The error is the body's Content-Encoding (unknown or corrupt: libcurl's
  // CURLE_BAD_CONTENT_ENCODING), not the HTTP framing.
  bool decode_failed() const { return decode_failed_; }
  // Any byte of a response received (an empty reply is a different failure than a cut one).
  bool received_any() const { return received_any_; }

  // Valid once the head is parsed (state kBody or kDone).
  int status() const { return status_; }
  std::string_view reason() const;        // "OK"; "" when the status line has none
  std::string_view content_type() const;  // value of the last Content-Type header, trimmed
  // The final response's status line and headers as received, blank line included.
  const std::string& headers() const { return headers_; }
  std::string& mutable_headers() { return headers_; }
  // Bytes of every header block received (1xx included), as libcurl's CURLINFO_HEADER_SIZE.
  int64_t header_bytes() const { return header_bytes_; }
  int64_t body_bytes() const { return body_bytes_; }
  // The connection may carry another request after this response (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with "Connection: keep-alive"; the body not delimited
  // by the close).
  bool keep_alive() const { return keep_alive_; }

 private:
  enum class Body { kNone, kLength, kChunked, kUntilClose };
  enum class Chunk { kSize, kData, kDataEnd, kTrailer };

  size_t FeedHead(const char* data, size_t len);
  size_t FeedBody(const char* data, size_t len);
  size_t FeedChunked(const char* data, size_t len);
  bool ParseStatusLine();
  bool ParseHeaderLine(size_t begin, size_t end);
  void HeadComplete();
  void EmitBody(const char* data, size_t len);
  void Fail(std::string message);

  State state_ = State::kHead;
  bool head_request_ = false;
  std::string* body_ = nullptr;
  ContentDecoder* decoder_ = nullptr;
  bool decoding_ = false;  // the body goes through decoder_
  bool decode_failed_ = false;
  size_t content_encoding_begin_ = 0, content_encoding_end_ = 0;
  std::string headers_;
  size_t line_start_ = 0;  // start of the header line being received
  bool received_any_ = false;
  int status_ = 0;
  int minor_version_ = 1;
  size_t reason_begin_ = 0, reason_end_ = 0;
  size_t content_type_begin_ = 0, content_type_end_ = 0;
  int64_t header_bytes_ = 0;
  int64_t body_bytes_ = 0;
  bool keep_alive_ = true;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool chunked_ = false;
  int64_t content_length_ = -1;
  Body body_mode_ = Body::kNone;
  int64_t remaining_ = 0;  // of Content-Length, or of the current chunk
  Chunk chunk_ = Chunk::kSize;
  std::string chunk_line_;  // partial chunk-size or trailer line
  std::string error_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_HTTP1_PARSER_H_
