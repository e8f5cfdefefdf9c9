#include "controller/prometheus_sink.h"

#include <map>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace barrage {
namespace {

constexpr std::array<std::string_view, 6> kRunStates = {"running", "passed", "failed", "aborted", "errored", "partial"};
constexpr std::array<std::string_view, 7> kWorkerPhases = {"registered", "loading", "ready",   "running",
                                                           "finished",   "lost",    "rejected"};

// One label's share of a batch.
struct LabelSums {
  uint64_t count = 0;
  std::vector<uint64_t> buckets;
  double elapsed_s = 0;
  std::map<std::string, uint64_t> errors;  // by response code
};

}  // namespace

PrometheusSink::PrometheusSink(MetricsRegistry* registry)
    : registry_(registry),
      run_info_(registry->AddGauge("barrage_run_info", "A run of a plan (1 while its series are kept).",
                                   {"run", "project", "plan"})),
      run_state_(registry->AddStateSet("barrage_run_state", "The run's status: running, then as stored at its end.",
                                       {"run", "project", "barrage_run_state"})),
      requests_(
          registry->AddCounter("barrage_requests", "Samples recorded, by sampler label.", {"run", "project", "label"})),
      errors_(registry->AddCounter("barrage_errors", "Failed samples, by sampler label and response code.",
                                   {"run", "project", "label", "code"})),
      elapsed_(registry->AddHistogram(
          "barrage_elapsed_seconds", "Samples' elapsed time (start to end of the response), by sampler label.",
          {"run", "project", "label"}, std::vector<double>(kElapsedBounds.begin(), kElapsedBounds.end()), "seconds")),
      users_active_(registry->AddGauge("barrage_users_active", "Virtual users running.", {"run", "project"})),
      users_started_(registry->AddCounter("barrage_users_started", "Virtual users started.", {"run", "project"})),
      users_finished_(registry->AddCounter("barrage_users_finished", "Virtual users finished.", {"run", "project"})),
      late_arrivals_(registry->AddCounter("barrage_late_arrivals",
                                          "Arrivals dropped because their thread group was at its ConcurrencyLimit.",
                                          {"run", "project"})),
      recorded_(registry->AddCounter("barrage_samples_recorded", "Samples the controller recorded (all workers).",
                                     {"run", "project"})),
      ingest_rate_(registry->AddGauge("barrage_ingest_rate",
                                      "Samples per second the controller recorded between its last two ticks.",
                                      {"run", "project"})),
      worker_state_(registry->AddStateSet("barrage_worker_state", "A cluster run's worker's phase.",
                                          {"run", "project", "worker", "barrage_worker_state"})),
      worker_users_(registry->AddGauge("barrage_worker_users_active", "Virtual users running on a worker.",
                                       {"run", "project", "worker"})),
      worker_samples_(registry->AddCounter("barrage_worker_samples_received",
                                           "Samples the controller received from a worker.",
                                           {"run", "project", "worker"})),
      worker_late_(registry->AddCounter("barrage_worker_late_arrivals", "A worker's dropped arrivals.",
                                        {"run", "project", "worker"})),
      bounds_(kElapsedBounds.begin(), kElapsedBounds.end()) {}

void PrometheusSink::SetState(MetricsRegistry::Update& u, std::string_view state) {
  for (std::string_view s : kRunStates) u.Set(run_state_, {run_, project_, std::string(s)}, s == state ? 1 : 0);
}

void PrometheusSink::OnRunStart(const LiveRunInfo& run) {
  run_id_ = run.execution_id;
  run_ = std::to_string(run.execution_id);
  project_ = run.project;
  last_tick_ms_ = run.started_at_ms;
  MetricsRegistry::Update u(*registry_);
  u.Set(run_info_, {run_, project_, run.plan_name}, 1);
  SetState(u, "running");
  u.Set(users_active_, {run_, project_}, 0);
  u.Set(late_arrivals_, {run_, project_}, 0);
  u.Set(recorded_, {run_, project_}, 0);
}

void PrometheusSink::OnSamples(const std::vector<Sample>& batch, const BatchOrigin&) {
  std::unordered_map<std::string_view, LabelSums> sums;
  for (const Sample& s : batch) {
    LabelSums& l = sums[s.label];
    if (l.buckets.empty()) l.buckets.assign(bounds_.size() + 1, 0);
    ++l.count;
    const double elapsed_s = static_cast<double>(s.elapsed_us) / 1e6;
    ++l.buckets[HistogramBucket(bounds_, elapsed_s)];
    l.elapsed_s += elapsed_s;
    if (!s.success) ++l.errors[s.response_code];
  }
  recorded_count_ += batch.size();
  MetricsRegistry::Update u(*registry_);
  for (const auto& [label, l] : sums) {
    MetricsRegistry::LabelValues labels = {run_, project_, std::string(label)};
    u.Add(requests_, labels, static_cast<double>(l.count));
    u.Observe(elapsed_, labels, l.buckets, l.elapsed_s);
    for (const auto& [code, n] : l.errors) {
      u.Add(errors_, {run_, project_, std::string(label), code}, static_cast<double>(n));
    }
  }
  u.Set(recorded_, {run_, project_}, static_cast<double>(recorded_count_));
}

void PrometheusSink::OnTick(const LiveTick& tick) {
  const int64_t dt_ms = tick.now_ms - last_tick_ms_;
  const double rate =
      dt_ms > 0 ? static_cast<double>(tick.recorded - last_tick_recorded_) * 1000.0 / static_cast<double>(dt_ms) : 0;
  last_tick_ms_ = tick.now_ms;
  last_tick_recorded_ = tick.recorded;
  MetricsRegistry::Update u(*registry_);
  const MetricsRegistry::LabelValues run = {run_, project_};
  u.Set(users_active_, run, static_cast<double>(tick.threads.active));
  u.Set(users_started_, run, static_cast<double>(tick.threads.started));
  u.Set(users_finished_, run, static_cast<double>(tick.threads.finished));
  u.Set(late_arrivals_, run, static_cast<double>(tick.threads.late_arrivals));
  u.Set(ingest_rate_, run, rate);
  for (const LiveWorker& w : tick.workers) {
    for (std::string_view phase : kWorkerPhases) {
      u.Set(worker_state_, {run_, project_, w.name, std::string(phase)}, phase == w.phase ? 1 : 0);
    }
    const MetricsRegistry::LabelValues worker = {run_, project_, w.name};
    u.Set(worker_users_, worker, static_cast<double>(w.active_users));
    u.Set(worker_samples_, worker, static_cast<double>(w.samples_received));
    u.Set(worker_late_, worker, static_cast<double>(w.late_arrivals));
  }
}

void PrometheusSink::OnRunEnd(int64_t, ExecutionStatus status) {
  {
    MetricsRegistry::Update u(*registry_);
    SetState(u, ExecutionStatusName(status));
    u.Set(users_active_, {run_, project_}, 0);
    u.Set(ingest_rate_, {run_, project_}, 0);
  }
  ended_.store(true, std::memory_order_release);
}

void PrometheusSink::RemoveSeries() {
  MetricsRegistry::Update u(*registry_);
  for (const MetricFamily* f :
       {run_info_, run_state_, requests_, errors_, elapsed_, users_active_, users_started_, users_finished_,
        late_arrivals_, recorded_, ingest_rate_, worker_state_, worker_users_, worker_samples_, worker_late_}) {
    u.RemoveWhere(f, 0, run_);
  }
}

}  // namespace barrage
