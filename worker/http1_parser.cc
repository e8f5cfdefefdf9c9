#include "worker/http1_parser.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "common/java_lang.h"

namespace barrage {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// [begin, end) of `s` without surrounding spaces, tabs and a trailing CR.
void Trim(const std::string& s, size_t* begin, size_t* end) {
  while (*end > *begin && (IsSpace(s[*end - 1]) || s[*end - 1] == '\r')) --*end;
  while (*begin < *end && IsSpace(s[*begin])) ++*begin;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Calls f(token) for each comma-separated, trimmed token of `value`.
template <typename F>
void ForEachToken(std::string_view value, F&& f) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view t = value.substr(0, comma);
    while (!t.empty() && IsSpace(t.front())) t.remove_prefix(1);
    while (!t.empty() && IsSpace(t.back())) t.remove_suffix(1);
    if (!t.empty()) f(t);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

void Http1ResponseParser::Reset(bool head_request, std::string* body, ContentDecoder* decoder) {
  state_ = State::kHead;
  head_request_ = head_request;
  body_ = body;
  decoder_ = decoder;
  decoding_ = false;
  decode_failed_ = false;
  content_encoding_begin_ = content_encoding_end_ = 0;
  headers_.clear();
  line_start_ = 0;
  received_any_ = false;
  status_ = 0;
  minor_version_ = 1;
  reason_begin_ = reason_end_ = 0;
  content_type_begin_ = content_type_end_ = 0;
  header_bytes_ = 0;
  body_bytes_ = 0;
  keep_alive_ = true;
  connection_close_ = false;
  connection_keep_alive_ = false;
  chunked_ = false;
  content_length_ = -1;
  body_mode_ = Body::kNone;
  remaining_ = 0;
  chunk_ = Chunk::kSize;
  chunk_line_.clear();
  error_.clear();
}

std::string_view Http1ResponseParser::reason() const {
  return std::string_view(headers_).substr(reason_begin_, reason_end_ - reason_begin_);
}

std::string_view Http1ResponseParser::content_type() const {
  return std::string_view(headers_).substr(content_type_begin_, content_type_end_ - content_type_begin_);
}

void Http1ResponseParser::Fail(std::string message) {
  state_ = State::kError;
  keep_alive_ = false;
  error_ = std::move(message);
}

size_t Http1ResponseParser::Feed(const char* data, size_t len) {
  size_t used = 0;
  if (len > 0) received_any_ = true;
  while (used < len && (state_ == State::kHead || state_ == State::kBody)) {
    size_t n = state_ == State::kHead ? FeedHead(data + used, len - used) : FeedBody(data + used, len - used);
    used += n;
    if (n == 0 && state_ != State::kDone && state_ != State::kError) break;  // cannot happen
  }
  return used;
}

size_t Http1ResponseParser::FeedHead(const char* data, size_t len) {
  size_t used = 0;
  while (used < len) {
    const char* start = data + used;
    const void* nl = std::memchr(start, '\n', len - used);
    size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) + 1 : len - used;
    if (headers_.size() + take > kMaxHeaderBytes) {
      Fail("response header block larger than " + std::to_string(kMaxHeaderBytes) + " bytes");
      return used;
    }
    headers_.append(start, take);
    used += take;
    if (line_start_ == 0 && headers_.size() >= 5 && headers_.compare(0, 5, "HTTP/") != 0) {
      Fail("invalid status line (not an HTTP/1.x response)");
      return used;
    }
    if (!nl) return used;
    size_t end = headers_.size() - 1;  // the '\n'
    if (end > line_start_ && headers_[end - 1] == '\r') --end;
    if (line_start_ == 0) {
      if (!ParseStatusLine()) return used;
    } else if (end == line_start_) {
      HeadComplete();
      return used;
    } else if (!ParseHeaderLine(line_start_, end)) {
      return used;
    }
    line_start_ = headers_.size();
  }
  return used;
}

bool Http1ResponseParser::ParseStatusLine() {
  // HTTP/1.x SP 3DIGIT [SP reason] CRLF
  const std::string& h = headers_;
  size_t eol = h.size() - 1;
  if (eol > 0 && h[eol - 1] == '\r') --eol;
  if (eol < 12 || h.compare(0, 7, "HTTP/1.") != 0 || (h[7] != '0' && h[7] != '1') || h[8] != ' ') {
    Fail("invalid status line (not an HTTP/1.x response)");
    return false;
  }
  minor_version_ = h[7] - '0';
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (h[i] < '0' || h[i] > '9') {
      Fail("invalid status code in the status line");
      return false;
    }
    code = code * 10 + (h[i] - '0');
  }
  if (code < 100 || (eol > 12 && h[12] != ' ')) {
    Fail("invalid status code in the status line");
    return false;
  }
  status_ = code;
  reason_begin_ = eol > 12 ? 13 : 12;
  reason_end_ = eol;
  return true;
}

bool Http1ResponseParser::ParseHeaderLine(size_t begin, size_t end) {
  std::string_view line(headers_.data() + begin, end - begin);
  if (IsSpace(line.front())) return true;  // obsolete line folding: a continuation, ignored
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return true;  // not a header: ignored
  std::string_view name = line.substr(0, colon);
  size_t vb = begin + colon + 1, ve = end;
  Trim(headers_, &vb, &ve);
  std::string_view value(headers_.data() + vb, ve - vb);
  if (EqualsNoCase(name, "Content-Length")) {
    if (value.empty() || value.size() > 18) {
      Fail("invalid Content-Length header");
      return false;
    }
    int64_t n = 0;
    for (char c : value) {
      if (c < '0' || c > '9') {
        Fail("invalid Content-Length header");
        return false;
      }
      n = n * 10 + (c - '0');
    }
    if (content_length_ >= 0 && content_length_ != n) {
      Fail("conflicting Content-Length headers");
      return false;
    }
    content_length_ = n;
  } else if (EqualsNoCase(name, "Transfer-Encoding")) {
    bool last_chunked = false;
    ForEachToken(value, [&](std::string_view t) { last_chunked = EqualsNoCase(t, "chunked"); });
    chunked_ = last_chunked;
    if (!last_chunked) content_length_ = -2;  // another coding last: delimited by the close
  } else if (EqualsNoCase(name, "Connection")) {
    ForEachToken(value, [&](std::string_view t) {
      if (EqualsNoCase(t, "close")) connection_close_ = true;
      if (EqualsNoCase(t, "keep-alive")) connection_keep_alive_ = true;
    });
  } else if (EqualsNoCase(name, "Content-Type")) {
    content_type_begin_ = vb;
    content_type_end_ = ve;
  } else if (EqualsNoCase(name, "Content-Encoding")) {
    content_encoding_begin_ = vb;
    content_encoding_end_ = ve;
  }
  return true;
}

void Http1ResponseParser::HeadComplete() {
  header_bytes_ += static_cast<int64_t>(headers_.size());
  if (status_ < 200) {
    if (status_ == 101) {
      Fail("unexpected 101 Switching Protocols");
      return;
    }
    // Interim response (100 Continue, 103 Early Hints): the final one follows.
    headers_.clear();
    line_start_ = 0;
    connection_close_ = connection_keep_alive_ = chunked_ = false;
    content_length_ = -1;
    content_type_begin_ = content_type_end_ = 0;
    content_encoding_begin_ = content_encoding_end_ = 0;
    return;
  }
  keep_alive_ = minor_version_ == 1 ? !connection_close_ : connection_keep_alive_ && !connection_close_;
  if (head_request_ || status_ == 204 || status_ == 304) {
    body_mode_ = Body::kNone;
  } else if (chunked_) {
    body_mode_ = Body::kChunked;
    chunk_ = Chunk::kSize;
  } else if (content_length_ >= 0) {
    body_mode_ = content_length_ > 0 ? Body::kLength : Body::kNone;
    remaining_ = content_length_;
  } else {
    body_mode_ = Body::kUntilClose;
    keep_alive_ = false;
  }
  state_ = body_mode_ == Body::kNone ? State::kDone : State::kBody;
  if (state_ == State::kBody && decoder_ != nullptr && body_ != nullptr) {
    std::string_view coding(headers_.data() + content_encoding_begin_, content_encoding_end_ - content_encoding_begin_);
    if (!decoder_->Begin(coding)) {
      decode_failed_ = true;
      Fail(decoder_->error());
      return;
    }
    decoding_ = decoder_->active();
  }
}

void Http1ResponseParser::EmitBody(const char* data, size_t len) {
  body_bytes_ += static_cast<int64_t>(len);
  if (decoding_) {
    if (!decoder_->Feed(data, len, body_)) {
      decoding_ = false;
      decode_failed_ = true;
      Fail(decoder_->error());
    }
  } else if (body_) {
    body_->append(data, len);
  }
}

size_t Http1ResponseParser::FeedBody(const char* data, size_t len) {
  switch (body_mode_) {
    case Body::kLength: {
      size_t n = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(len)));
      EmitBody(data, n);
      remaining_ -= static_cast<int64_t>(n);
      if (remaining_ == 0 && state_ == State::kBody) state_ = State::kDone;
      return n;
    }
    case Body::kUntilClose: EmitBody(data, len); return len;
    case Body::kChunked: return FeedChunked(data, len);
    case Body::kNone: break;
  }
  state_ = State::kDone;
  return 0;
}

size_t Http1ResponseParser::FeedChunked(const char* data, size_t len) {
  size_t used = 0;
  while (used < len && state_ == State::kBody) {
    if (chunk_ == Chunk::kData) {
      size_t n = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(len - used)));
      EmitBody(data + used, n);
      used += n;
      remaining_ -= static_cast<int64_t>(n);
      if (remaining_ == 0) chunk_ = Chunk::kDataEnd;
      continue;
    }
    // A line: chunk size, the CRLF after a chunk's data, or a trailer line.
    const char* start = data + used;
    const void* nl = std::memchr(start, '\n', len - used);
    size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - start) + 1 : len - used;
    if (chunk_line_.size() + take > kMaxChunkLineBytes) {
      Fail("chunk-size or trailer line longer than " + std::to_string(kMaxChunkLineBytes) + " bytes");
      return used;
    }
    chunk_line_.append(start, take);
    used += take;
    if (!nl) return used;
    std::string_view line(chunk_line_);
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    switch (chunk_) {
      case Chunk::kSize: {
        size_t i = 0;
        while (i < line.size() && IsSpace(line[i])) ++i;
        int64_t size = 0;
        size_t digits = 0;
        for (; i < line.size() && JavaHexDigit(line[i]) >= 0; ++i, ++digits) {
          if (digits == 15) {
            Fail("chunk size too large");
            return used;
          }
          size = size * 16 + JavaHexDigit(line[i]);
        }
        while (i < line.size() && IsSpace(line[i])) ++i;
        if (digits == 0 || (i < line.size() && line[i] != ';')) {
          Fail("invalid chunk size line");
          return used;
        }
        remaining_ = size;
        chunk_ = size > 0 ? Chunk::kData : Chunk::kTrailer;
        break;
      }
      case Chunk::kDataEnd:
        if (!line.empty()) {
          Fail("chunk data not followed by CRLF");
          return used;
        }
        chunk_ = Chunk::kSize;
        break;
      case Chunk::kTrailer:
        if (line.empty()) state_ = State::kDone;
        break;
      case Chunk::kData: break;
    }
    chunk_line_.clear();
  }
  return used;
}

void Http1ResponseParser::FeedEof() {
  if (state_ == State::kBody && body_mode_ == Body::kUntilClose) {
    state_ = State::kDone;
    keep_alive_ = false;
    return;
  }
  if (state_ == State::kHead || state_ == State::kBody) {
    Fail(received_any_ ? "connection closed before the response was complete" : "connection closed without a response");
  }
}

}  // namespace barrage
