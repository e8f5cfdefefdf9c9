#include "worker/sample_result.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

TEST(SampleResultTest, ResponseHeaderIsCaseInsensitiveAndLastWins) {
  SampleResult r;
  r.response_headers = "HTTP/1.1 200 OK\r\nContent-Type: text/plain \r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n";
  EXPECT_EQ(r.ResponseHeader("content-type"), "text/plain");
  EXPECT_EQ(r.ResponseHeader("Set-Cookie"), "b=2");
  EXPECT_EQ(r.ResponseHeader("X-Missing"), "");
}

TEST(SampleResultTest, ElapsedMsTruncates) {
  SampleResult r;
  r.sample.elapsed_us = 1999;
  EXPECT_EQ(r.elapsed_ms(), 1);
}

TEST(SampleResultTest, ResetEmptiesEveryFieldAndReleasesOnlyLargeBuffers) {
  SampleResult r;
  r.sample.label = "a";
  r.sample.success = false;
  r.sample.elapsed_us = 5;
  r.method = "POST";
  r.request_headers.assign(100, 'h');
  r.response_headers.assign(SampleResult::kRetainedBytes + 1, 'r');
  r.body.assign(SampleResult::kRetainedBytes, 'b');
  r.content_type = "text/plain";
  r.sub_results.emplace_back();
  const char* small_buffer = r.body.data();
  r.Reset();
  EXPECT_EQ(r.sample.label, "");
  EXPECT_TRUE(r.sample.success);
  EXPECT_EQ(r.sample.elapsed_us, 0);
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.request_headers, "");
  EXPECT_EQ(r.response_headers, "");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.content_type, "");
  EXPECT_TRUE(r.sub_results.empty());
  EXPECT_EQ(r.body.data(), small_buffer);                                  // kept for the next response
  EXPECT_LT(r.response_headers.capacity(), SampleResult::kRetainedBytes);  // released
}

}  // namespace
}  // namespace barrage
