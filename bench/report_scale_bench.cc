// Generates a large run straight into a results store (through the ResultsStore API, as a
// run's ingest writes it: samples plus their metric_bucket rollups), for timing
// `barrage report` on it (bench/report_scale_bench.sh runs both).
//
//   report_scale_bench [--db PATH] [--seconds S] [--rate R] [--labels L]
//
// Defaults: 2000 s (33 min) x 10,000 samples/s over 10 labels = 20 million samples, one
// Append per second of the run. Elapsed times follow a
// deterministic long-tailed spread (most 5..300 ms, 1 % up to 5 s) so the histograms hold
// thousands of distinct values; 1 % of the samples fail. The database is deleted first.
// Prints the run id, the sample count and the ingest rate.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "controller/results_store.h"

namespace {

using barrage::Sample;

struct Args {
  std::string db = "/tmp/barrage-report-scale.db";
  int64_t seconds = 2000;
  int64_t rate = 10'000;
  int labels = 10;
};

// splitmix64: a fixed sequence, so every generated run is the same.
uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t ElapsedUs(uint64_t* state, int label) {
  const uint64_t r = Next(state);
  const int64_t base = 5'000 + static_cast<int64_t>(label) * 3'000;
  if (r % 100 == 0) return base + static_cast<int64_t>(r >> 20) % 5'000'000;  // tail up to 5 s
  // Sum of two uniforms: a hump between base and base + 300 ms.
  return base + static_cast<int64_t>((r >> 8) % 150'000) + static_cast<int64_t>((r >> 32) % 150'000);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    auto value = [&](const char* flag) -> const char* {
      if (std::strcmp(argv[i], flag) != 0 || i + 1 >= argc) return nullptr;
      return argv[++i];
    };
    if (const char* v = value("--db")) {
      a.db = v;
    } else if (const char* v2 = value("--seconds")) {
      a.seconds = std::atoll(v2);
    } else if (const char* v3 = value("--rate")) {
      a.rate = std::atoll(v3);
    } else if (const char* v4 = value("--labels")) {
      a.labels = std::atoi(v4);
    } else {
      std::fprintf(stderr, "usage: report_scale_bench [--db PATH] [--seconds S] [--rate R] [--labels L]\n");
      return 2;
    }
  }
  if (a.seconds <= 0 || a.rate <= 0 || a.labels <= 0) {
    std::fprintf(stderr, "report_scale_bench: --seconds, --rate and --labels must be positive\n");
    return 2;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(a.db + suffix);

  barrage::Result<barrage::ResultsStore> store = barrage::ResultsStore::Open(a.db);
  if (!store.ok()) {
    std::fprintf(stderr, "report_scale_bench: %s\n", store.status().message().c_str());
    return 1;
  }
  const int64_t start_ms = 1795705931000;
  barrage::ExecutionInfo info;
  info.plan_path = "scale.jmx";
  info.plan_name = "report scale benchmark";
  info.started_at_ms = start_ms;
  barrage::Result<int64_t> id = store->BeginExecution(info);
  if (!id.ok()) {
    std::fprintf(stderr, "report_scale_bench: %s\n", id.status().message().c_str());
    return 1;
  }
  std::vector<std::string> labels;
  for (int l = 0; l < a.labels; ++l) labels.push_back("GET /api/items/" + std::to_string(l));

  uint64_t state = 42;
  int64_t total = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t sec = 0; sec < a.seconds; ++sec) {
    std::vector<Sample> batch;
    batch.reserve(static_cast<size_t>(a.rate));
    for (int64_t k = 0; k < a.rate; ++k) {
      Sample s;
      const int label = static_cast<int>((sec * a.rate + k) % a.labels);
      s.timestamp_ms = start_ms + sec * 1000 + k * 1000 / a.rate;
      s.elapsed_us = ElapsedUs(&state, label);
      s.latency_us = s.elapsed_us * 9 / 10;
      s.connect_us = k % 100 == 0 ? 900 : 0;
      s.bytes = 1200 + label;
      s.sent_bytes = 150;
      s.grp_threads = 500;
      s.all_threads = 500;
      s.success = Next(&state) % 100 != 0;
      s.label = labels[static_cast<size_t>(label)];
      s.response_code = s.success ? "200" : "503";
      s.response_message = s.success ? "OK" : "Service Unavailable";
      s.thread_name = "Users 1-" + std::to_string(k % 500 + 1);
      s.data_type = "text";
      batch.push_back(std::move(s));
    }
    total += static_cast<int64_t>(batch.size());
    if (barrage::Status st = store->Append(std::move(batch)); !st.ok()) {
      std::fprintf(stderr, "report_scale_bench: %s\n", st.message().c_str());
      return 1;
    }
  }
  if (barrage::Status st = store->Finish(barrage::ExecutionStatus::kPassed, start_ms + a.seconds * 1000); !st.ok()) {
    std::fprintf(stderr, "report_scale_bench: %s\n", st.message().c_str());
    return 1;
  }
  if (barrage::Status st = store->Close(); !st.ok()) {
    std::fprintf(stderr, "report_scale_bench: %s\n", st.message().c_str());
    return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("run %lld: %lld samples in %.1f s (%.0f samples/s) into %s\n", static_cast<long long>(*id),
              static_cast<long long>(total), s, static_cast<double>(total) / s, a.db.c_str());
  return 0;
}
