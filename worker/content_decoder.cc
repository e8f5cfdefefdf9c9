#include "worker/content_decoder.h"

#include <strings.h>
#include <zlib.h>

namespace barrage {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool Is(std::string_view token, std::string_view name) {
  return token.size() == name.size() && strncasecmp(token.data(), name.data(), name.size()) == 0;
}

}  // namespace

bool AcceptsOnlyGzipOrDeflate(std::string_view accept_encoding) {
  bool any = false;
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view token = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    token = Trim(token.substr(0, token.find(';')));
    if (token.empty()) continue;
    if (!Is(token, "gzip") && !Is(token, "x-gzip") && !Is(token, "deflate") && !Is(token, "identity")) return false;
    any = true;
  }
  return any;
}

struct ContentDecoder::Stream {
  z_stream z{};
};

ContentDecoder::ContentDecoder() = default;
ContentDecoder::~ContentDecoder() { End(); }

void ContentDecoder::End() {
  if (started_) inflateEnd(&stream_->z);
  started_ = false;
}

bool ContentDecoder::Init(int window_bits) {
  End();
  if (!stream_) stream_ = std::make_unique<Stream>();
  stream_->z = z_stream{};
  if (inflateInit2(&stream_->z, window_bits) != Z_OK) {
    error_ = "Error while processing content unencoding: Unknown failure within decompression software.";
    return false;
  }
  started_ = true;
  return true;
}

bool ContentDecoder::Begin(std::string_view content_encoding) {
  End();
  error_.clear();
  any_output_ = false;
  std::string_view coding = Trim(content_encoding);
  if (coding.empty() || Is(coding, "identity") || Is(coding, "none")) {
    mode_ = Mode::kNone;
    return true;
  }
  if (Is(coding, "gzip") || Is(coding, "x-gzip")) {
    mode_ = Mode::kGzip;
    return Init(MAX_WBITS + 32);  // gzip or zlib header, detected (libcurl's gzip_init)
  }
  if (Is(coding, "deflate")) {
    mode_ = Mode::kDeflate;
    return Init(MAX_WBITS);
  }
  mode_ = Mode::kNone;
  error_ = "Unrecognized content encoding type. libcurl understands deflate, gzip, br, zstd content encodings.";
  return false;
}

bool ContentDecoder::ZlibError() {
  const char* msg = stream_->z.msg;
  error_ = std::string("Error while processing content unencoding: ") +
           (msg ? msg : "Unknown failure within decompression software.");
  End();
  return false;
}

bool ContentDecoder::Feed(const char* data, size_t len, std::string* out) {
  if (mode_ == Mode::kNone) {
    out->append(data, len);
    return true;
  }
  if (mode_ == Mode::kDone || len == 0) return true;  // bytes after the stream's end: ignored
  z_stream& z = stream_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z.avail_in = static_cast<uInt>(len);
  char buf[16384];
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    size_t produced = sizeof buf - z.avail_out;
    if (produced > 0) {
      out->append(buf, produced);
      any_output_ = true;
    }
    if (rc == Z_STREAM_END) {
      mode_ = Mode::kDone;
      End();
      return true;
    }
    if (rc == Z_DATA_ERROR && mode_ == Mode::kDeflate && !any_output_) {
      // libcurl: "some servers seem to not generate zlib headers": a raw deflate stream.
      if (!Init(-MAX_WBITS)) return false;
      mode_ = Mode::kRawDeflate;
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      z.avail_in = static_cast<uInt>(len);
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return ZlibError();
    if (z.avail_in == 0 && z.avail_out != 0) return true;
    if (rc == Z_BUF_ERROR && z.avail_out != 0) return true;
  }
}

}  // namespace barrage
