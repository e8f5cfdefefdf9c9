// What one sampler execution produced: the recorded Sample plus the response content that
// post-processors and assertions read. Owned by one virtual user; never shared.
#ifndef BARRAGE_WORKER_SAMPLE_RESULT_H_
#define BARRAGE_WORKER_SAMPLE_RESULT_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/sample.h"

namespace barrage {

struct SampleResult {
  Sample sample;
  std::string method;                     // HTTP method sent ("" for non-HTTP samplers)
  std::string request_headers;            // as sent, one "Name: value" per line joined by "\n"
  std::string response_headers;           // status line and headers as received, CRLF-separated
                                          // ("HTTP/1.1 200 OK\r\nContent-Type: ...\r\n")
  std::string body;                       // response body, content-encoding (gzip) already removed
  std::string content_type;               // Content-Type header value, "" when absent
  std::vector<SampleResult> sub_results;  // followed redirects; a transaction's children

  // Empties the result for the user's next sampler: every field as default-constructed, while
  // buffers of up to kRetainedBytes keep their memory for the next response (larger ones are
  // released, so a waiting user holds little).
  void Reset();
  static constexpr size_t kRetainedBytes = 4096;

  // JMeter's sample time in ms (elapsed / 1000, truncated).
  int64_t elapsed_ms() const { return sample.elapsed_us / 1000; }
  // Value of a response header (case-insensitive name), "" when absent; the last one wins.
  std::string_view ResponseHeader(std::string_view name) const;
};

// The outcome of one assertion (JMeter's AssertionResult).
struct AssertionResult {
  std::string name;      // the assertion's test name
  bool failure = false;  // the response did not satisfy the assertion
  bool error = false;    // the assertion could not be evaluated (bad regex, bad JSON, ...)
  std::string message;   // JMeter's failure message wording
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_SAMPLE_RESULT_H_
