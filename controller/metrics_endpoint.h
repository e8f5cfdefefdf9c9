// `barrage run --metrics-listen ADDR`: an HTTP endpoint that serves a MetricsRegistry at
// GET /metrics (every other path or method: 404) on a thread of its own, for Prometheus to
// scrape while the run goes (controller/prometheus_sink.h fills the registry).
//
// The format follows the scraper's Accept header (controller/metrics_registry.h): OpenMetrics
// 1.0 when it asks for application/openmetrics-text (Prometheus does), else the 0.0.4 text.
//
// The last scrape: a scraper polls, so the run's final counts would be lost if the endpoint
// closed with the run. WaitForScrapeAfter blocks until a scrape that began after a mark taken
// at the run's end has been answered in full (so it saw every update made before the mark), or
// until `linger` has passed, whichever comes first; `barrage run` calls it after the run's end with
// --metrics-linger (default 15 s, Prometheus' default scrape interval; 0: no wait).
//
// Errors: Listen returns InvalidArgument for an address that is not ADDRESS:PORT (the caller
// exits 2), IoError when it cannot be bound (in use, not an address of this machine; exit 1);
// both name the flag. Threads: Listen, WaitForScrapeAfter and the destructor on one
// thread; scrapes are answered on the endpoint's own threads.
#ifndef BARRAGE_CONTROLLER_METRICS_ENDPOINT_H_
#define BARRAGE_CONTROLLER_METRICS_ENDPOINT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "controller/metrics_registry.h"
#include "controller/prometheus_sink.h"
#include "controller/run_signals.h"

namespace barrage {

class MetricsEndpoint {
 public:
  // Binds `listen` ("127.0.0.1:9270", "[::1]:0", "0.0.0.0:9270") and starts serving
  // `registry` (which outlives the endpoint). `flag` names the setting in errors.
  static Result<std::unique_ptr<MetricsEndpoint>> Listen(const std::string& listen, const MetricsRegistry* registry,
                                                         const std::string& flag = "--metrics-listen");
  // Stops serving and joins the threads.
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const;
  // "http://127.0.0.1:9270/metrics", "http://[::1]:41234/metrics"
  std::string url() const;
  // Scrapes answered so far.
  uint64_t scrapes() const;
  // Scrapes begun so far: a mark for WaitForScrapeAfter.
  uint64_t ScrapesBegun() const;
  // True when a scrape begun after `mark` (ScrapesBegun) has been answered in full, at once or
  // within `linger`; false after `linger`, or at once after StopWaiting().
  bool WaitForScrapeAfter(uint64_t mark, std::chrono::milliseconds linger);
  // Ends a wait in progress and every later one (any thread, e.g. a signal's handler).
  void StopWaiting();

 private:
  struct Impl;
  explicit MetricsEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `barrage run --metrics-listen ADDR [--metrics-linger SECONDS]`: a registry, the run's
// PrometheusSink and the endpoint, for one run. Start prints "barrage: metrics at URL" to
// `out`. The destructor, when the sink has seen the run's end, prints "barrage: metrics:
// waiting up to N s for a last scrape of URL" to `out` and waits (WaitForScrapeAfter), then
// stops the endpoint; SIGINT/SIGTERM meanwhile (through `signals`, armed again for the wait)
// end the wait at once.
class RunMetricsExport {
 public:
  // Errors as MetricsEndpoint::Listen. `signals` outlives the export.
  static Result<std::unique_ptr<RunMetricsExport>> Start(const std::string& listen, int64_t linger_s, std::ostream& out,
                                                         RunSignals* signals);
  ~RunMetricsExport();
  RunMetricsExport(const RunMetricsExport&) = delete;
  RunMetricsExport& operator=(const RunMetricsExport&) = delete;

  LiveMetricsSink* sink() { return &sink_; }
  const MetricsEndpoint& endpoint() const { return *endpoint_; }

 private:
  RunMetricsExport(int64_t linger_s, std::ostream& out, RunSignals* signals);
  int64_t linger_s_;
  std::ostream& out_;
  RunSignals* signals_;
  MetricsRegistry registry_;
  PrometheusSink sink_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_METRICS_ENDPOINT_H_
