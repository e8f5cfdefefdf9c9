#include "worker/sample_result.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

TEST(SampleResultTest, ResponseHeaderIsCaseInsensitiveAndLastWins) {
  SampleResult r;
  r.response_headers =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain \r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n";
  EXPECT_EQ(r.ResponseHeader("content-type"), "text/plain");
  EXPECT_EQ(r.ResponseHeader("Set-Cookie"), "b=2");
  EXPECT_EQ(r.ResponseHeader("X-Missing"), "");
}

TEST(SampleResultTest, ElapsedMsTruncates) {
  SampleResult r;
  r.sample.elapsed_us = 1999;
  EXPECT_EQ(r.elapsed_ms(), 1);
}

}  // namespace
}  // namespace barrage
