// Test helper: field-by-field comparison of two samples, so a failure names the field.
#ifndef BARRAGE_TESTS_COMMON_SAMPLE_EXPECT_H_
#define BARRAGE_TESTS_COMMON_SAMPLE_EXPECT_H_

#include <gtest/gtest.h>

#include "common/sample.h"

namespace barrage {

// Every JTL field of `a` equals that of `b` (not `transaction`, which no JTL column holds).
inline void ExpectSameJtlFields(const Sample& a, const Sample& b) {
  EXPECT_EQ(a.timestamp_ms, b.timestamp_ms);
  EXPECT_EQ(a.elapsed_us, b.elapsed_us);
  EXPECT_EQ(a.latency_us, b.latency_us);
  EXPECT_EQ(a.connect_us, b.connect_us);
  EXPECT_EQ(a.idle_us, b.idle_us);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.sent_bytes, b.sent_bytes);
  EXPECT_EQ(a.grp_threads, b.grp_threads);
  EXPECT_EQ(a.all_threads, b.all_threads);
  EXPECT_EQ(a.success, b.success);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.response_code, b.response_code);
  EXPECT_EQ(a.response_message, b.response_message);
  EXPECT_EQ(a.thread_name, b.thread_name);
  EXPECT_EQ(a.data_type, b.data_type);
  EXPECT_EQ(a.failure_message, b.failure_message);
  EXPECT_EQ(a.url, b.url);
}

}  // namespace barrage

#endif  // BARRAGE_TESTS_COMMON_SAMPLE_EXPECT_H_
