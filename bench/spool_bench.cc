// The worker's write-ahead batch spool: what writing every SampleBatch to its file before
// sending it (and removing the file on its acknowledgement) costs, per sample, next to
// encoding the batch. 500 batches of 2,000 realistic samples into the folder given as the
// first argument (default: a folder under the system's temp directory).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/sample.h"
#include "common/wire.h"
#include "worker/batch_spool.h"

int main(int argc, char** argv) {
  using barrage::Sample;
  constexpr int kBatches = 500;
  constexpr size_t kPerBatch = 2000;
  std::vector<Sample> samples(kPerBatch);
  for (size_t i = 0; i < kPerBatch; ++i) {
    Sample& s = samples[i];
    s.timestamp_ms = 1'700'000'000'000 + static_cast<int64_t>(i);
    s.elapsed_us = 1234;
    s.label = "GET /api/items";
    s.response_code = "200";
    s.response_message = "OK";
    s.thread_name = "w1-Users 1-" + std::to_string(i % 50);
    s.url = "http://127.0.0.1:8080/api/items?id=" + std::to_string(i);
    s.success = true;
    s.bytes = 1024;
  }
  const std::string dir =
      argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "barrage-spool-bench").string();
  std::filesystem::remove_all(dir);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> frames;
  for (int b = 0; b < kBatches; ++b) frames.push_back(barrage::EncodeSampleBatch("run", 1, b + 1, samples));
  auto t1 = std::chrono::steady_clock::now();
  {
    barrage::BatchSpool spool(dir, 64ull << 20);
    for (int b = 0; b < kBatches; ++b) {
      if (!spool.Add(static_cast<uint64_t>(b + 1), kPerBatch, frames[static_cast<size_t>(b)]).ok()) return 1;
      spool.Ack(static_cast<uint64_t>(b + 1));
    }
  }
  auto t2 = std::chrono::steady_clock::now();
  std::filesystem::remove_all(dir);
  const double encode = std::chrono::duration<double>(t1 - t0).count();
  const double spool = std::chrono::duration<double>(t2 - t1).count();
  const double n = static_cast<double>(kBatches) * static_cast<double>(kPerBatch);
  std::printf(
      "batch of %zu samples = %zu bytes; encoding %.0f ns/sample; write-ahead (write + unlink) %.0f ns/sample "
      "= %.0f us/batch = %.0f%% of encoding\n",
      kPerBatch, frames[0].size(), encode * 1e9 / n, spool * 1e9 / n, spool * 1e6 / kBatches, 100 * spool / encode);
  return 0;
}
