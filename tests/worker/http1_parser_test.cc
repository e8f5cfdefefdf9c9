// The fast path's HTTP/1.x response parser: framing, interim responses, keep-alive decisions
// and malformed input, with every response also fed split at each byte boundary.
#include "worker/http1_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage {
namespace {

struct Parsed {
  Http1ResponseParser::State state;
  int status = 0;
  std::string reason, content_type, headers, body, error;
  int64_t header_bytes = 0, body_bytes = 0;
  bool keep_alive = false;
  size_t used = 0;
};

Parsed Snapshot(const Http1ResponseParser& p, const std::string& body, size_t used) {
  return {p.state(),
          p.status(),
          std::string(p.reason()),
          std::string(p.content_type()),
          p.headers(),
          body,
          p.error(),
          p.header_bytes(),
          p.body_bytes(),
          p.keep_alive(),
          used};
}

// Feeds `pieces` in order (stopping at the end of the response), then the end of the
// stream when `eof`.
Parsed Parse(const std::vector<std::string>& pieces, bool head = false, bool eof = false) {
  Http1ResponseParser p;
  std::string body;
  p.Reset(head, &body);
  size_t used = 0;
  for (const std::string& piece : pieces) {
    if (p.state() == Http1ResponseParser::State::kDone || p.state() == Http1ResponseParser::State::kError) break;
    used += p.Feed(piece.data(), piece.size());
  }
  if (eof) p.FeedEof();
  return Snapshot(p, body, used);
}

// The response parsed whole, split in two at every byte boundary, and byte by byte: the
// results must be the same.
Parsed ParseEverySplit(const std::string& response, bool head = false, bool eof = false) {
  Parsed whole = Parse({response}, head, eof);
  for (size_t cut = 1; cut < response.size(); ++cut) {
    Parsed split = Parse({response.substr(0, cut), response.substr(cut)}, head, eof);
    EXPECT_EQ(split.state, whole.state) << "cut at " << cut;
    EXPECT_EQ(split.status, whole.status) << "cut at " << cut;
    EXPECT_EQ(split.reason, whole.reason) << "cut at " << cut;
    EXPECT_EQ(split.headers, whole.headers) << "cut at " << cut;
    EXPECT_EQ(split.body, whole.body) << "cut at " << cut;
    EXPECT_EQ(split.header_bytes, whole.header_bytes) << "cut at " << cut;
    EXPECT_EQ(split.keep_alive, whole.keep_alive) << "cut at " << cut;
    EXPECT_EQ(split.used, whole.used) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : response) bytes.emplace_back(1, c);
  Parsed one_by_one = Parse(bytes, head, eof);
  EXPECT_EQ(one_by_one.state, whole.state);
  EXPECT_EQ(one_by_one.body, whole.body);
  EXPECT_EQ(one_by_one.headers, whole.headers);
  EXPECT_EQ(one_by_one.used, whole.used);
  return whole;
}

using State = Http1ResponseParser::State;

TEST(Http1ParserTest, ContentLengthResponse) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nServer: t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\n";
  Parsed r = ParseEverySplit(head + "hello");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.headers, head);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header_bytes, static_cast<int64_t>(head.size()));
  EXPECT_EQ(r.body_bytes, 5);
  EXPECT_TRUE(r.keep_alive);
}

TEST(Http1ParserTest, ChunkedBodyIsDecodedWithExtensionsAndTrailers) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  Parsed r = ParseEverySplit(head + "5;name=v\r\nhello\r\n1A\r\n" + std::string(26, 'x') + "\r\n0\r\nX-T: 1\r\n\r\n");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "hello" + std::string(26, 'x'));
  EXPECT_EQ(r.body_bytes, 31);
  EXPECT_EQ(r.header_bytes, static_cast<int64_t>(head.size()));  // framing and trailers not counted
  EXPECT_TRUE(r.keep_alive);
}

TEST(Http1ParserTest, ChunkedWinsOverContentLength) {
  Parsed r = ParseEverySplit(
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "ab");
}

TEST(Http1ParserTest, InterimResponsesAreSkippedButCounted) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final_head = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n";
  Parsed r = ParseEverySplit(interim + final_head + "ok");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.reason, "Created");
  EXPECT_EQ(r.headers, final_head);
  EXPECT_EQ(r.header_bytes, static_cast<int64_t>(interim.size() + final_head.size()));
  EXPECT_EQ(r.body, "ok");
}

TEST(Http1ParserTest, HeadResponseHasNoBodyDespiteContentLength) {
  Parsed r = ParseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", /*head=*/true);
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body_bytes, 0);
  EXPECT_TRUE(r.keep_alive);
}

TEST(Http1ParserTest, NoContentAndNotModifiedHaveNoBody) {
  EXPECT_EQ(ParseEverySplit("HTTP/1.1 204 No Content\r\n\r\n").state, State::kDone);
  Parsed r = ParseEverySplit("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body_bytes, 0);
}

TEST(Http1ParserTest, BodyWithoutLengthEndsWithTheConnection) {
  Parsed open = Parse({"HTTP/1.1 200 OK\r\n\r\nabc"});
  EXPECT_EQ(open.state, State::kBody);
  Parsed r = ParseEverySplit("HTTP/1.1 200 OK\r\n\r\nabc", false, /*eof=*/true);
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "abc");
  EXPECT_FALSE(r.keep_alive);
}

TEST(Http1ParserTest, ConnectionCloseAndHttp10DecideReuse) {
  EXPECT_FALSE(Parse({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  EXPECT_FALSE(Parse({"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  EXPECT_TRUE(Parse({"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  EXPECT_TRUE(Parse({"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
}

TEST(Http1ParserTest, BareLineFeedsAreAccepted) {
  Parsed r = ParseEverySplit("HTTP/1.1 404 Not Found\nContent-Length: 1\n\nx");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.reason, "Not Found");
  EXPECT_EQ(r.body, "x");
}

TEST(Http1ParserTest, StatusLineWithoutReason) {
  Parsed r = ParseEverySplit("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "");
}

TEST(Http1ParserTest, BytesAfterTheResponseAreNotConsumed) {
  Parsed r = Parse({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"});
  EXPECT_EQ(r.state, State::kDone);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.used, std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").size());
}

TEST(Http1ParserTest, NotHttpIsAnErrorAsSoonAsFiveBytesArrive) {
  Parsed r = Parse({"SSH-2"});
  EXPECT_EQ(r.state, State::kError);
  EXPECT_EQ(r.error, "invalid status line (not an HTTP/1.x response)");
}

TEST(Http1ParserTest, MalformedStatusLinesAreErrors) {
  for (const char* bad : {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
                          "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1\r\n\r\n"}) {
    Parsed r = Parse({bad});
    EXPECT_EQ(r.state, State::kError) << bad;
    EXPECT_FALSE(r.keep_alive) << bad;
  }
}

TEST(Http1ParserTest, BadFramingIsAnError) {
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n"}).error, "invalid Content-Length header");
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}).error,
            "conflicting Content-Length headers");
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}).error, "invalid chunk size line");
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"}).error,
            "chunk data not followed by CRLF");
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"}).error,
            "chunk size too large");
}

TEST(Http1ParserTest, HeaderBlockLargerThanTheLimitIsAnError) {
  std::string huge = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(Http1ResponseParser::kMaxHeaderBytes, 'a') + "\r\n\r\n";
  Parsed r = Parse({huge});
  EXPECT_EQ(r.state, State::kError);
  EXPECT_EQ(r.error, "response header block larger than 102400 bytes");
}

TEST(Http1ParserTest, EndOfStreamBeforeTheEndIsAnError) {
  Parsed nothing = Parse({}, false, /*eof=*/true);
  EXPECT_EQ(nothing.state, State::kError);
  EXPECT_EQ(nothing.error, "connection closed without a response");
  Parsed cut = Parse({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, false, /*eof=*/true);
  EXPECT_EQ(cut.state, State::kError);
  EXPECT_EQ(cut.error, "connection closed before the response was complete");
  EXPECT_EQ(Parse({"HTTP/1.1 200 OK\r\nConte"}, false, true).state, State::kError);
}

TEST(Http1ParserTest, CountsBodyWithoutKeepingIt) {
  Http1ResponseParser p;
  p.Reset(false, nullptr);
  std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  p.Feed(response.data(), response.size());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.body_bytes(), 3);
}

TEST(Http1ParserTest, ResetReusesTheParserForTheNextResponse) {
  Http1ResponseParser p;
  std::string body;
  p.Reset(false, &body);
  std::string first = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1\r\n\r\nx";
  p.Feed(first.data(), first.size());
  ASSERT_TRUE(p.done());
  body.clear();
  p.Reset(false, &body);
  std::string second = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny";
  p.Feed(second.data(), second.size());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(body, "y");
  EXPECT_EQ(p.header_bytes(), static_cast<int64_t>(second.size() - 1));
}

}  // namespace
}  // namespace barrage
