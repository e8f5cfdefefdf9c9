// Cost of one NextFireMs (service/cron.h) per expression, chaining fires from 2026-01-01 in
// Europe/Berlin: what the Scheduler pays per due schedule per tick, and per missed slot it
// counts after downtime.
//   build/bin/cron_bench [fires per expression, default 100000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "service/cron.h"

int main(int argc, char** argv) {
  using barrage::FormatUtcIso8601;
  const int fires = argc > 1 ? std::atoi(argv[1]) : 100'000;
  auto zone = barrage::LoadTimeZone("Europe/Berlin");
  if (!zone.ok()) {
    std::fprintf(stderr, "%s\n", zone.status().message().c_str());
    return 1;
  }
  for (const char* text : {"* * * * *", "*/15 9-17 * * mon-fri", "0 2 * * *", "30 2 * * *", "0 12 29 2 *"}) {
    auto cron = barrage::ParseCron(text);
    if (!cron.ok()) return 1;
    int64_t t = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < fires; ++i) {
      std::optional<int64_t> next = barrage::NextFireMs(*cron, *zone, t);
      if (!next) return 1;
      t = *next;
    }
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / fires;
    std::printf("%-24s %7.2f us per NextFireMs (%d chained fires, the last %s)\n", text, us, fires,
                FormatUtcIso8601(t).c_str());
  }
  return 0;
}
