// Results-store ingest benchmark: how many samples per second the store's writer stores in
// a SQLite file or, with --db postgresql://..., a PostgreSQL database, from Append() of the
// first batch until Finish() returns (everything committed).
//
//   store_ingest_bench [--samples N] [--producers P] [--batch B] [--labels L]
//                      [--pregenerate] [--db PATH]
//
// Producers build batches like the controller's ingest does (one Sample per row, strings
// copied), or with --pregenerate all batches exist before the clock starts so only the
// store is measured. A SQLite database is deleted first and kept afterwards for inspection;
// in a PostgreSQL database each run adds an execution (the server's CPU is not in the
// process CPU figures).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "controller/results_store.h"

namespace {

using barrage::Sample;

struct Args {
  int64_t samples = 5'000'000;
  int producers = 2;
  int batch = 1000;
  int labels = 20;
  bool pregenerate = false;
  std::string db = "/tmp/barrage-store-ingest-bench.db";
};

Sample MakeSample(int64_t i, int labels) {
  Sample s;
  s.timestamp_ms = 1795705931000 + i / 10;
  s.elapsed_us = 1000 + (i * 7919) % 250'000;
  s.latency_us = s.elapsed_us - 300;
  s.connect_us = i % 50 == 0 ? 850 : 0;
  s.bytes = 331 + i % 1000;
  s.sent_bytes = 118;
  s.grp_threads = 100;
  s.all_threads = 200;
  s.success = i % 20 != 0;
  const int label = static_cast<int>(i % labels);
  s.label = "GET /api/items/" + std::to_string(label);
  s.response_code = s.success ? "200" : "500";
  s.response_message = s.success ? "OK" : "Internal Server Error";
  s.thread_name = "Thread Group 1-" + std::to_string(i % 100 + 1);
  s.data_type = "text";
  if (!s.success) s.failure_message = "Test failed: code expected to equal /200/";
  s.url = "https://shop.example.com:8443/api/items/" + std::to_string(label) + "?page=1";
  return s;
}

std::vector<Sample> MakeBatch(int64_t first, int n, int labels) {
  std::vector<Sample> batch;
  batch.reserve(n);
  for (int i = 0; i < n; ++i) batch.push_back(MakeSample(first + i, labels));
  return batch;
}

// CPU seconds used by the whole process so far (all threads, user + system).
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// Seconds the process's live threads spent runnable but waiting for a CPU
// (/proc/<pid>/task/*/schedstat, second field): what a busy machine costs the wall clock.
double RunQueueWaitSeconds() {
  double total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    if (std::FILE* f = std::fopen((task.path() / "schedstat").c_str(), "r")) {
      unsigned long long run_ns = 0, wait_ns = 0;
      if (std::fscanf(f, "%llu %llu", &run_ns, &wait_ns) == 2) total += static_cast<double>(wait_ns) / 1e9;
      std::fclose(f);
    }
  }
  return total;
}

// CPU seconds (schedstat's first field) of each live thread, by thread id.
std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> cpu;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    if (std::FILE* f = std::fopen((task.path() / "schedstat").c_str(), "r")) {
      unsigned long long run_ns = 0;
      if (std::fscanf(f, "%llu", &run_ns) == 1)
        cpu[task.path().filename().string()] = static_cast<double>(run_ns) / 1e9;
      std::fclose(f);
    }
  }
  return cpu;
}

bool Flag(int argc, char** argv, int& i, const char* name, std::string* value) {
  if (std::strcmp(argv[i], name) != 0) return false;
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s needs a value\n", name);
    std::exit(2);
  }
  *value = argv[++i];
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (Flag(argc, argv, i, "--samples", &v)) {
      args.samples = std::stoll(v);
    } else if (Flag(argc, argv, i, "--producers", &v)) {
      args.producers = std::stoi(v);
    } else if (Flag(argc, argv, i, "--batch", &v)) {
      args.batch = std::stoi(v);
    } else if (Flag(argc, argv, i, "--labels", &v)) {
      args.labels = std::stoi(v);
    } else if (Flag(argc, argv, i, "--db", &v)) {
      args.db = v;
    } else if (std::strcmp(argv[i], "--pregenerate") == 0) {
      args.pregenerate = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--samples N] [--producers P] [--batch B] [--labels L] [--pregenerate] [--db PATH|URL]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!barrage::IsPostgresUrl(args.db)) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(args.db + suffix);
  }

  const int64_t batches = (args.samples + args.batch - 1) / args.batch;
  std::vector<std::vector<Sample>> ready;
  if (args.pregenerate) {
    ready.reserve(batches);
    for (int64_t b = 0; b < batches; ++b) {
      const int n = static_cast<int>(std::min<int64_t>(args.batch, args.samples - b * args.batch));
      ready.push_back(MakeBatch(b * args.batch, n, args.labels));
    }
  }

  barrage::Result<barrage::ResultsStore> store = barrage::ResultsStore::Open(args.db);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  barrage::Result<int64_t> id = store->BeginExecution({.plan_path = "bench.jmx", .plan_name = "bench"});
  if (!id.ok()) {
    std::fprintf(stderr, "%s\n", id.status().message().c_str());
    return 1;
  }

  const double cpu_start = ProcessCpuSeconds();
  const std::map<std::string, double> threads_start = ThreadCpuSeconds();
  const double wait_start = RunQueueWaitSeconds();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < args.producers; ++p) {
    producers.emplace_back([&, p] {
      for (int64_t b = p; b < batches; b += args.producers) {
        const int n = static_cast<int>(std::min<int64_t>(args.batch, args.samples - b * args.batch));
        std::vector<Sample> batch = args.pregenerate ? std::move(ready[b]) : MakeBatch(b * args.batch, n, args.labels);
        if (barrage::Status st = store->Append(std::move(batch)); !st.ok()) {
          std::fprintf(stderr, "%s\n", st.message().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& t : producers) t.join();
  const auto appended = std::chrono::steady_clock::now();
  if (barrage::Status st = store->Finish(barrage::ExecutionStatus::kPassed, 0); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  const auto finished = std::chrono::steady_clock::now();
  const double cpu = ProcessCpuSeconds() - cpu_start;
  const double waited = RunQueueWaitSeconds() - wait_start;  // the writer thread is still alive
  // The busiest thread alive from start to end is the store's writer, which ingest waits for.
  double writer_cpu = 0;
  for (const auto& [tid, end] : ThreadCpuSeconds()) {
    if (auto it = threads_start.find(tid); it != threads_start.end())
      writer_cpu = std::max(writer_cpu, end - it->second);
  }
  barrage::Result<int64_t> count = store->CountSamples(*id);
  const int64_t stored = count.ok() ? *count : -1;
  if (barrage::Status st = store->Close(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }

  const double seconds = std::chrono::duration<double>(finished - start).count();
  const double append_s = std::chrono::duration<double>(appended - start).count();
  std::error_code ec;
  const uintmax_t size = barrage::IsPostgresUrl(args.db) ? 0 : std::filesystem::file_size(args.db, ec);  // 0: a server
  std::printf("samples=%lld stored=%lld producers=%d batch=%d labels=%d pregenerate=%s\n",
              static_cast<long long>(args.samples), static_cast<long long>(stored), args.producers, args.batch,
              args.labels, args.pregenerate ? "yes" : "no");
  std::printf("appended in %.3f s, all committed in %.3f s: %.0f samples/s; file %.1f MB (%.1f bytes/sample)\n",
              append_s, seconds, static_cast<double>(args.samples) / seconds, static_cast<double>(size) / 1e6,
              static_cast<double>(size) / static_cast<double>(args.samples));
  // On a shared machine the wall-clock rate depends on what else runs; CPU time does not.
  std::printf("cpu %.3f s (%.0f%% of one core), %.3f s runnable but waiting for a CPU: %.0f samples per CPU-second\n",
              cpu, 100 * cpu / seconds, waited, static_cast<double>(args.samples) / cpu);
  std::printf("writer thread %.3f s CPU = %.3f us/sample: %.0f samples per writer CPU-second\n", writer_cpu,
              writer_cpu * 1e6 / static_cast<double>(args.samples), static_cast<double>(args.samples) / writer_cpu);
  return stored == args.samples ? 0 : 1;
}
