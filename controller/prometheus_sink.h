// A run's live metrics (controller/live_metrics.h) in a MetricsRegistry, for Prometheus to
// scrape (issue 15 item 2): `barrage run --metrics-listen` and `barrage serve`'s GET /metrics.
//
// Every series of a run carries run="<execution id>" and project="<project>"; several runs
// (the service's) feed one registry side by side. The families (names as scraped; the
// README's "Live metrics: Prometheus" has the table):
//   barrage_run_info{run,project,plan}                 gauge, 1
//   barrage_run_state{run,project,barrage_run_state}   stateset: running, passed, failed,
//                                                      aborted, errored, partial
//   barrage_requests_total{run,project,label}          counter: samples recorded, by sampler
//                                                      label (Transaction Controller samples
//                                                      included, as the store holds them)
//   barrage_errors_total{run,project,label,code}       counter: failed samples by response code
//   barrage_elapsed_seconds{run,project,label}         histogram of JMeter's elapsed (start to
//                                                      end of the response), kElapsedBounds
//   barrage_users_active{run,project}                  gauge (0 once the run has ended)
//   barrage_users_started_total / _finished_total      counters
//   barrage_late_arrivals_total{run,project}           counter: arrivals dropped at a
//                                                      ConcurrencyLimit
//   barrage_samples_recorded_total{run,project}        counter: the controller's ingest
//   barrage_ingest_rate{run,project}                   gauge: samples/s recorded between the
//                                                      last two ticks
//   barrage_worker_state{run,project,worker,barrage_worker_state}   stateset of a cluster
//                                                      run's workers (WorkerPhaseName)
//   barrage_worker_users_active{run,project,worker}    gauge
//   barrage_worker_samples_received_total{...worker}   counter
//   barrage_worker_late_arrivals_total{...worker}      counter
//
// Cost: OnSamples sums the batch by label outside any lock (a hash lookup per sample), then
// takes the registry's lock once to add the sums; OnTick takes it once. Never blocks on I/O:
// rendering happens on the scraper's thread (controller/metrics_endpoint.h).
//
// Threads: the sink's methods come from the run's recording thread (live_metrics.h); the
// registry may be rendered from any thread meanwhile.
#ifndef BARRAGE_CONTROLLER_PROMETHEUS_SINK_H_
#define BARRAGE_CONTROLLER_PROMETHEUS_SINK_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/live_metrics.h"
#include "controller/metrics_registry.h"

namespace barrage {

// barrage_elapsed_seconds' upper bounds, in seconds: the 1-2.5-5 series from 1 ms (a request
// to a neighbour on the LAN or loopback) to 10 s, then 30 s and 60 s (the usual client and
// proxy timeouts, where a stalled target's samples pile up). 15 buckets plus +Inf keep the
// series per label affordable while a percentile between two bounds is off by at most a
// factor of 2.5 below 10 s, 3 above (Prometheus' histogram_quantile interpolates linearly inside
// the bucket).
// Elapsed is compared in exact microseconds: a 1 ms sample is in le="0.001".
inline constexpr std::array<double, 15> kElapsedBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,      2.5,   5,    10,    30,   60};

class PrometheusSink : public LiveMetricsSink {
 public:
  // Adds the families to `registry` (or finds them there); `registry` outlives the sink.
  explicit PrometheusSink(MetricsRegistry* registry);

  void OnRunStart(const LiveRunInfo& run) override;
  void OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) override;
  void OnTick(const LiveTick& tick) override;
  void OnRunEnd(int64_t end_ms, ExecutionStatus status) override;

  // True once OnRunEnd has updated the registry (any thread).
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  int64_t execution_id() const { return run_id_; }
  // Drops every series of this run from the registry (the service, some time after the run).
  void RemoveSeries();

 private:
  void SetState(MetricsRegistry::Update& u, std::string_view state);
  MetricsRegistry* registry_;
  const MetricFamily* run_info_;
  const MetricFamily* run_state_;
  const MetricFamily* requests_;
  const MetricFamily* errors_;
  const MetricFamily* elapsed_;
  const MetricFamily* users_active_;
  const MetricFamily* users_started_;
  const MetricFamily* users_finished_;
  const MetricFamily* late_arrivals_;
  const MetricFamily* recorded_;
  const MetricFamily* ingest_rate_;
  const MetricFamily* worker_state_;
  const MetricFamily* worker_users_;
  const MetricFamily* worker_samples_;
  const MetricFamily* worker_late_;
  std::vector<double> bounds_;
  int64_t run_id_ = 0;
  std::string run_;      // the run label's value
  std::string project_;  // the project label's value
  uint64_t recorded_count_ = 0;
  int64_t last_tick_ms_ = 0;
  uint64_t last_tick_recorded_ = 0;
  std::atomic<bool> ended_{false};
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_PROMETHEUS_SINK_H_
