// One sample as JMeter records it (a JTL row), produced by the engine and consumed by the
// results store, the live summary and reports. Durations are microseconds inside Barrage;
// milliseconds appear only where JMeter-facing output is written.
#ifndef BARRAGE_COMMON_SAMPLE_H_
#define BARRAGE_COMMON_SAMPLE_H_

#include <cstdint>
#include <string>

namespace barrage {

struct Sample {
  int64_t timestamp_ms = 0;  // epoch ms at sample start (JMeter's timeStamp)
  int64_t elapsed_us = 0;    // start to end of the response (JMeter's elapsed)
  int64_t latency_us = 0;    // start to first response byte (JMeter's Latency)
  int64_t connect_us = 0;    // TCP (+TLS) connect; 0 on a reused connection
  int64_t idle_us = 0;       // time inside the sample not spent sampling (transactions)
  // How late the sample started against the start its schedule intended (an arrival, a
  // throughput timer's slot), carried by the user's later samples until the next scheduled
  // start; 0 without a schedule. elapsed_us + schedule_lag_us is the latency corrected for
  // coordinated omission (wrk2's latency from the intended start).
  int64_t schedule_lag_us = 0;
  int64_t bytes = 0;        // received: headers + body
  int64_t sent_bytes = 0;   // sent: request line + headers + body
  int32_t grp_threads = 0;  // active threads in this sample's thread group
  int32_t all_threads = 0;  // active threads in the whole test
  bool success = true;
  bool transaction = false;  // a Transaction Controller's own sample (not a JTL column;
                             // JMeter's summariser leaves these out)
  std::string label;
  std::string response_code;     // "200", or "Non HTTP response code: java.net...."
  std::string response_message;  // HTTP reason phrase or "Non HTTP response message: ..."
  std::string thread_name;       // "<group> <g>-<n>"
  std::string data_type;         // "text", "bin" or ""
  std::string failure_message;   // first failing assertion's message, "" when none
  std::string url;
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_SAMPLE_H_
