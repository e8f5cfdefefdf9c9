// `barrage serve` under polling (issue 13): "the API handles 200 concurrent clients polling
// run status while a run streams samples, with ingest unaffected". In one process:
//
//   1. alone: a ResultsStore ingests N samples as fast as producers can append them
//      (store_ingest_bench's measure: first Append() to Finish() returned);
//   2. polled: the same into a new file while `clients` threads poll GET /api/v1/runs/{id}
//      over real HTTP (cpp-httplib's client, one connection per request, as a curl loop
//      does) against HttpServer + the router on loopback, each with a bearer token, and
//      `event_clients` more hold GET /api/v1/runs/{id}/events open.
//
// Prints samples/s both ways and their ratio, requests/s served during the polled ingest,
// the poll latency (p50, p99, max) and the summary events received.
//
//   api_poll_bench [--samples N] [--clients C] [--event-clients E] [--poll-ms MS]
//                  [--server-threads T] [--cache-ms MS] [--producers P] [--batch B] [--dir PATH]
//
// --poll-ms: each client's pause between its requests (0: back to back). --cache-ms: the
// run cache's ttl (RunViewContext::run_cache_ttl; 250 as in barrage serve, 0 = off).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "controller/results_store.h"
#include "service/auth_limiter.h"
#include "service/http_server.h"
#include "service/run_views.h"
#include "service/tokens.h"

namespace {

using barrage::Sample;
using Clock = std::chrono::steady_clock;

struct Args {
  int64_t samples = 3'000'000;
  int clients = 200;
  int event_clients = 8;
  int poll_ms = 100;
  int server_threads = 16;
  int cache_ms = 250;  // RunViewContext::run_cache_ttl, as barrage serve sets it
  int producers = 2;
  int batch = 1000;
  std::string dir = "/tmp/barrage-api-poll-bench";
};

Sample MakeSample(int64_t i) {
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
  const int label = static_cast<int>(i % 20);
  s.label = "GET /api/items/" + std::to_string(label);
  s.response_code = s.success ? "200" : "500";
  s.response_message = s.success ? "OK" : "Internal Server Error";
  s.thread_name = "Thread Group 1-" + std::to_string(i % 100 + 1);
  s.data_type = "text";
  if (!s.success) s.failure_message = "Test failed: code expected to equal /200/";
  s.url = "https://shop.example.com:8443/api/items/" + std::to_string(label) + "?page=1";
  return s;
}

// CPU seconds used by the whole process so far (all threads).
double ProcessCpuSeconds() { return static_cast<double>(barrage::ProcessCpuNanos()) / 1e9; }

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "api_poll_bench: %s\n", what.c_str());
  std::exit(1);
}

// Appends args.samples samples from args.producers threads, then finishes the run: the
// seconds from the first Append() to Finish() returning.
double Ingest(barrage::ResultsStore& store, const Args& args) {
  const int64_t batches = (args.samples + args.batch - 1) / args.batch;
  const auto start = Clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < args.producers; ++p) {
    producers.emplace_back([&, p] {
      for (int64_t b = p; b < batches; b += args.producers) {
        const int64_t first = b * args.batch;
        const int n = static_cast<int>(std::min<int64_t>(args.batch, args.samples - first));
        std::vector<Sample> batch;
        batch.reserve(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) batch.push_back(MakeSample(first + i));
        if (barrage::Status st = store.Append(std::move(batch)); !st.ok()) Fail(st.message());
      }
    });
  }
  for (auto& t : producers) t.join();
  if (barrage::Status st = store.Finish(barrage::ExecutionStatus::kPassed, barrage::WallMillis()); !st.ok()) {
    Fail(st.message());
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

barrage::ResultsStore OpenFresh(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  barrage::Result<barrage::ResultsStore> store = barrage::ResultsStore::Open(path);
  if (!store.ok()) Fail(store.status().message());
  return std::move(store).value();
}

bool Flag(int argc, char** argv, int& i, const char* name, std::string* value) {
  if (std::strcmp(argv[i], name) != 0) return false;
  if (i + 1 >= argc) Fail(std::string(name) + " needs a value");
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
    } else if (Flag(argc, argv, i, "--clients", &v)) {
      args.clients = std::stoi(v);
    } else if (Flag(argc, argv, i, "--event-clients", &v)) {
      args.event_clients = std::stoi(v);
    } else if (Flag(argc, argv, i, "--poll-ms", &v)) {
      args.poll_ms = std::stoi(v);
    } else if (Flag(argc, argv, i, "--server-threads", &v)) {
      args.server_threads = std::stoi(v);
    } else if (Flag(argc, argv, i, "--cache-ms", &v)) {
      args.cache_ms = std::stoi(v);
    } else if (Flag(argc, argv, i, "--producers", &v)) {
      args.producers = std::stoi(v);
    } else if (Flag(argc, argv, i, "--batch", &v)) {
      args.batch = std::stoi(v);
    } else if (Flag(argc, argv, i, "--dir", &v)) {
      args.dir = v;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--samples N] [--clients C] [--event-clients E] [--poll-ms MS] [--server-threads T] "
                   "[--cache-ms MS] [--producers P] [--batch B] [--dir PATH]\n",
                   argv[0]);
      return 2;
    }
  }
  std::filesystem::create_directories(args.dir);

  // 1. Alone.
  double alone_s = 0;
  double alone_cpu = 0;
  {
    barrage::ResultsStore store = OpenFresh(args.dir + "/alone.db");
    if (!store.BeginExecution({.plan_path = "bench.jmx", .plan_name = "bench"}).ok()) Fail("begin");
    const double cpu0 = ProcessCpuSeconds();
    alone_s = Ingest(store, args);
    alone_cpu = ProcessCpuSeconds() - cpu0;
    if (barrage::Status st = store.Close(); !st.ok()) Fail(st.message());
  }

  // 2. Polled.
  const std::string db = args.dir + "/polled.db";
  barrage::ResultsStore store = OpenFresh(db);
  barrage::Result<barrage::TokenStore> tokens = barrage::TokenStore::Open(db, /*must_exist=*/true);
  if (!tokens.ok()) Fail(tokens.status().message());
  barrage::Result<barrage::NewToken> token =
      tokens->Create("default", "dashboard", barrage::TokenRole::kViewer, "bench");
  if (!token.ok()) Fail(token.status().message());
  barrage::AuthLimiter limiter(barrage::AuthLimiter::Options{}, barrage::SystemClock());
  barrage::RunViewContext views;
  views.auth = {&*tokens, &limiter, &barrage::SystemClock()};
  views.db_path = db;
  views.public_url = "http://127.0.0.1";
  views.clock = &barrage::SystemClock();
  views.idle_read_handles = static_cast<size_t>(args.server_threads);
  views.run_cache_ttl = std::chrono::milliseconds(args.cache_ms);
  barrage::ApiRouter routes;
  barrage::AddRunViewRoutes(&routes, &views);
  // The server-side time of each poll (routing, token, cache or store), apart from the
  // clients' own time and the connection's on the 2 cores they share with the server.
  std::mutex handled_mu;
  std::vector<double> handled_ms;
  barrage::ApiRouter router;
  router.Add("GET", "/api/v1/runs/{id}", [&](const barrage::ApiRequest& req) {
    const auto t0 = Clock::now();
    barrage::ApiResponse r = routes.Handle(req);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::lock_guard lock(handled_mu);
    handled_ms.push_back(ms);
    return r;
  });
  router.Add("GET", "/api/v1/runs/{id}/events", [&](const barrage::ApiRequest& req) { return routes.Handle(req); });
  barrage::HttpServerOptions http;
  http.port = 0;
  http.threads = args.server_threads + args.event_clients;  // each event stream holds a thread
  barrage::Result<std::unique_ptr<barrage::HttpServer>> server = barrage::HttpServer::Bind(http, &router);
  if (!server.ok()) Fail(server.status().message());
  (*server)->Start();
  const int port = (*server)->port();

  barrage::Result<int64_t> run = store.BeginExecution({.plan_path = "bench.jmx", .plan_name = "bench"});
  if (!run.ok()) Fail(run.status().message());
  const std::string path = "/api/v1/runs/" + std::to_string(*run);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token->token}};

  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> summaries{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<double> latencies_ms;  // polls that started while the ingest was measured
  std::vector<std::thread> clients;
  for (int c = 0; c < args.clients; ++c) {
    clients.emplace_back([&] {
      std::vector<double> mine;
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      while (!stop) {
        const bool counted = measuring;
        const auto t0 = Clock::now();
        httplib::Result r = client.Get(path.c_str(), auth);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r || r->status != 200) {
          if (failures++ == 0) {
            std::lock_guard lock(mu);
            first_failure = r ? "HTTP " + std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
          }
        } else if (counted && measuring) {
          mine.push_back(ms);
        }
        if (args.poll_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(args.poll_ms));
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (int c = 0; c < args.event_clients; ++c) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      std::string pending;
      client.Get((path + "/events").c_str(), auth, [&](const char* data, size_t n) {
        pending.append(data, n);
        for (size_t at; (at = pending.find("\n\n")) != std::string::npos; pending.erase(0, at + 2)) {
          if (pending.rfind("event: summary", 0) == 0) ++summaries;
        }
        return !stop.load();
      });
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // every client connected and polling
  measuring = true;
  const double cpu0 = ProcessCpuSeconds();
  const double polled_s = Ingest(store, args);
  const double polled_cpu = ProcessCpuSeconds() - cpu0;
  measuring = false;
  stop = true;
  for (auto& t : clients) t.join();
  (*server)->Stop();
  if (barrage::Status st = store.Close(); !st.ok()) Fail(st.message());

  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::sort(handled_ms.begin(), handled_ms.end());
  auto pct_of = [](const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0.0;
    return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
  };
  auto pct = [&](double p) { return pct_of(latencies_ms, p); };
  const double n = static_cast<double>(args.samples);
  std::printf(
      "samples=%lld producers=%d batch=%d clients=%d event_clients=%d poll_ms=%d server_threads=%d cache_ms=%d\n",
      static_cast<long long>(args.samples), args.producers, args.batch, args.clients, args.event_clients, args.poll_ms,
      args.server_threads, args.cache_ms);
  std::printf("ingest alone:  %.3f s, %.0f samples/s, process CPU %.2f s\n", alone_s, n / alone_s, alone_cpu);
  std::printf("ingest polled: %.3f s, %.0f samples/s (%.1f%% of alone), process CPU %.2f s\n", polled_s, n / polled_s,
              100 * alone_s / polled_s, polled_cpu);
  std::printf(
      "polls during ingest: %zu (%.0f requests/s), latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
      "failed requests %lld; summary events %lld\n",
      latencies_ms.size(), static_cast<double>(latencies_ms.size()) / polled_s, pct(0.5), pct(0.99),
      latencies_ms.empty() ? 0.0 : latencies_ms.back(), static_cast<long long>(failures.load()),
      static_cast<long long>(summaries.load()));
  // Clients and server share the process: the CPU beyond the ingest's own, per poll, is what
  // a poll costs both ends together (TCP connect, HTTP, token, read or cache).
  std::printf("CPU beyond ingest: %.2f s = %.0f us per poll (client + server)\n", polled_cpu - alone_cpu,
              latencies_ms.empty() ? 0.0 : (polled_cpu - alone_cpu) * 1e6 / static_cast<double>(latencies_ms.size()));
  std::printf("server-side handling of all %zu polls: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", handled_ms.size(),
              pct_of(handled_ms, 0.5), pct_of(handled_ms, 0.99), handled_ms.empty() ? 0.0 : handled_ms.back());
  if (failures > 0) std::printf("first failure: %s\n", first_failure.c_str());
  return failures == 0 ? 0 : 1;
}
