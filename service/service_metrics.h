// GET /api/v1/metrics of `barrage serve` (issue 15 item 2): Prometheus' view of the service,
// in the format the scraper asks for (controller/metrics_registry.h).
//
// What a scrape holds, for a token of project P (any role: viewer, tester and admin alike, as
// tokens are per project; no token sees another project's runs):
//   - the per-run series of P's cluster runs (controller/prometheus_sink.h: requests, errors,
//     elapsed histogram, users, workers' phases, ingest), while they run and for the last
//     kRetainedEndedRuns ended runs of the service (so the final counts get scraped);
//     local runs run as a child `barrage run` and have no per-run series here;
//   - barrage_service_runs{project="P",state="queued"|"running"}: P's runs waiting and going;
//   - the shared worker pool (every token may read it, as GET /workers):
//     barrage_service_worker_state{worker,barrage_service_worker_state} stateset of idle,
//     busy, lost; barrage_service_workers{state} gauge of counts; no run ids.
//
// Threads: thread-safe (the registry's lock); runs' sinks update it from their threads.
#ifndef BARRAGE_SERVICE_SERVICE_METRICS_H_
#define BARRAGE_SERVICE_SERVICE_METRICS_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/metrics_registry.h"
#include "service/run_manager.h"
#include "service/worker_pool.h"

namespace barrage {

// How many ended cluster runs keep their series (RunManager retires the oldest beyond it).
inline constexpr size_t kRetainedEndedRuns = 10;

class ServiceMetrics {
 public:
  ServiceMetrics();
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // The registry the runs' PrometheusSinks feed (RunManagerOptions::metrics).
  MetricsRegistry* registry() { return &registry_; }

  // The exposition for a token of `project`, with the pool and run counts as they are now.
  std::string Scrape(MetricsFormat format, const std::string& project, const std::vector<PooledWorker>& workers,
                     const std::map<std::string, ProjectRunCounts>& runs);

 private:
  std::mutex scrape_mu_;  // a scrape's update and render, one scrape at a time
  MetricsRegistry registry_;
  const MetricFamily* runs_;
  const MetricFamily* workers_;
  const MetricFamily* worker_state_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVICE_METRICS_H_
