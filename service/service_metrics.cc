#include "service/service_metrics.h"

#include <array>

namespace barrage {

ServiceMetrics::ServiceMetrics()
    : runs_(registry_.AddGauge("barrage_service_runs", "The project's runs queued and running on this service.",
                               {"project", "state"})),
      workers_(registry_.AddGauge("barrage_service_workers", "The pool's workers by state.", {"state"})),
      worker_state_(registry_.AddStateSet("barrage_service_worker_state", "A pooled worker's state.",
                                          {"worker", "barrage_service_worker_state"})) {}

std::string ServiceMetrics::Scrape(MetricsFormat format, const std::string& project,
                                   const std::vector<PooledWorker>& workers,
                                   const std::map<std::string, ProjectRunCounts>& runs) {
  constexpr std::array<PoolState, 3> kStates = {PoolState::kIdle, PoolState::kBusy, PoolState::kLost};
  std::lock_guard<std::mutex> lock(scrape_mu_);
  {
    MetricsRegistry::Update u(registry_);
    u.Clear(runs_);
    auto it = runs.find(project);
    const ProjectRunCounts counts = it != runs.end() ? it->second : ProjectRunCounts{};
    u.Set(runs_, {project, "queued"}, counts.queued);
    u.Set(runs_, {project, "running"}, counts.running);
    u.Clear(workers_);
    u.Clear(worker_state_);
    for (PoolState s : kStates) u.Set(workers_, {PoolStateName(s)}, 0);
    for (const PooledWorker& w : workers) {
      u.Add(workers_, {PoolStateName(w.state)}, 1);
      for (PoolState s : kStates) u.Set(worker_state_, {w.name, PoolStateName(s)}, w.state == s ? 1 : 0);
    }
  }
  return registry_.Render(format, {.label = "project", .value = project});
}

}  // namespace barrage
