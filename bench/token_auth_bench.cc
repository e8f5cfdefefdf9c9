// What authenticating an API request costs `barrage serve` (issue 13 item 3): calls per second
// of TokenStore::Authenticate on a store holding many tokens, from several threads, and the
// time of three kinds of refused token (the constant-time claim of service/tokens.h): one
// that shares all but its last character with a real token, a random one, a revoked one.
//
//   token_auth_bench [tokens=1000] [calls_per_thread=20000] [threads=1,2,4]
// Prints one line per measurement. The store is a temporary file, removed at the end.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "service/tokens.h"

namespace {

using barrage::MonotonicMicros;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int tokens = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int calls = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::vector<int> thread_counts = {1, 2, 4};
  if (argc > 3) {
    thread_counts.clear();
    for (std::string s = argv[3]; !s.empty();) {
      const size_t comma = s.find(',');
      thread_counts.push_back(std::atoi(s.substr(0, comma).c_str()));
      s = comma == std::string::npos ? "" : s.substr(comma + 1);
    }
  }
  std::string dir = (std::filesystem::temp_directory_path() / "token-bench-XXXXXX").string();
  if (!mkdtemp(dir.data())) return 1;
  const std::string db = dir + "/results.db";
  int rc = 0;
  {
    barrage::Result<barrage::TokenStore> store = barrage::TokenStore::Open(db, false);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().message().c_str());
      return 1;
    }
    std::vector<std::string> valid;
    for (int i = 0; i < tokens; ++i) {
      barrage::Result<barrage::NewToken> t =
          store->Create("p" + std::to_string(i % 10), "t" + std::to_string(i), barrage::TokenRole::kTester, "bench");
      if (!t.ok()) return 1;
      valid.push_back(t->token);
    }
    barrage::Result<barrage::NewToken> gone = store->Create("p0", "gone", barrage::TokenRole::kTester, "bench");
    if (!gone.ok() || !store->Revoke("p0", "gone", "bench").ok()) return 1;
    const int64_t now = barrage::WallMillis();
    for (const std::string& t : valid) (void)store->Authenticate(t, now);  // last_used written once

    for (int threads : thread_counts) {
      std::vector<std::thread> pool;
      std::vector<int> ok(static_cast<size_t>(threads), 0);
      const int64_t start = MonotonicMicros();
      const int64_t cpu_start = barrage::ProcessCpuNanos();
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          for (int i = 0; i < calls; ++i) {
            barrage::Result<std::optional<barrage::Principal>> p =
                store->Authenticate(valid[static_cast<size_t>(i * 7 + t) % valid.size()], now);
            if (p.ok() && *p) ++ok[static_cast<size_t>(t)];
          }
        });
      }
      for (std::thread& th : pool) th.join();
      const double secs = static_cast<double>(MonotonicMicros() - start) / 1e6;
      const double cpu_us = static_cast<double>(barrage::ProcessCpuNanos() - cpu_start) / 1e3;
      int total = 0;
      for (int n : ok) total += n;
      std::printf(
          "valid tokens: threads=%d calls=%d accepted=%d  %.0f calls/s (wall)  %.2f us CPU/call (all threads)\n",
          threads, threads * calls, total, threads * calls / secs, cpu_us / (threads * calls));
      if (total != threads * calls) rc = 1;
    }

    // Refused tokens, interleaved so that machine noise hits the three kinds alike.
    std::string near = valid[0];
    near.back() = near.back() == 'A' ? 'B' : 'A';
    const std::string random = "brg_" + std::string(43, 'Q');
    const std::string* kinds[] = {&near, &random, &gone->token};
    const char* names[] = {"differs in the last character", "random", "revoked"};
    std::vector<double> us[3];
    const int64_t refused_cpu_start = barrage::ProcessCpuNanos();
    for (int i = 0; i < calls; ++i) {
      for (int k = 0; k < 3; ++k) {
        const int64_t t0 = MonotonicMicros();
        barrage::Result<std::optional<barrage::Principal>> p = store->Authenticate(*kinds[k], now);
        us[k].push_back(static_cast<double>(MonotonicMicros() - t0));
        if (!p.ok() || *p) rc = 1;
      }
    }
    std::printf("refused tokens: %.2f us CPU/call (the three kinds together)\n",
                static_cast<double>(barrage::ProcessCpuNanos() - refused_cpu_start) / 1e3 / (3.0 * calls));
    for (int k = 0; k < 3; ++k) {
      std::printf(
          "refused (%s): median %.1f us, p99 %.1f us over %d calls\n", names[k], Median(us[k]),
          [&] {
            std::vector<double> v = us[k];
            std::sort(v.begin(), v.end());
            return v[v.size() * 99 / 100];
          }(),
          calls);
    }
  }
  std::filesystem::remove_all(dir);
  return rc;
}
