// The Graphite Backend Listener (issue 15): what JMeter's GraphiteBackendListenerClient with
// its TextGraphiteMetricsSender writes (Graphite's plaintext protocol over TCP), from the
// controller's merged stream (controller/live_metrics.h).
//
// Lines, "<rootMetricsPrefix><context>.<metric> <value> <epoch seconds>":
//   context = the label with ' ' and '\' made '-' and '.' made '_', "all" for the whole run
//   (labels only without summaryOnly, and those samplersList names: ';'-separated exact
//   labels, or with useRegexpForSamplersList a regex the whole label matches), per interval
//   with samples: ok.count ko.count a.count h.count sb.bytes rb.bytes, then when there are
//   successes ok.min ok.max ok.avg ok.pct<P>..., failures ko.min ko.max ko.avg ko.pct<P>...,
//   then a.min a.max a.avg a.pct<P>... (P as "0.##": 90, 99_9 once sanitised); and
//   "test": test.minAT test.maxAT test.meanAT test.startedT test.endedT every interval.
// Values: Java's Integer/Long/Double.toString; percentile names in JMeter's HashMap order;
// statistics as JMeter's SamplerMetric (controller/influx_sink.h says how), with JMeter's
// defaults: summaryOnly true, rootMetricsPrefix "jmeter.", port 2003.
//
// As the InfluxDB sink: intervals of backend_graphite.send_interval seconds (JMeter's
// default, 1), samples counted in the interval of their start time, stamped with the
// interval's start; a bounded queue (the listener's QUEUE_SIZE lines, oldest dropped), a
// sender thread, reconnect and retry with backoff; at the end
//   barrage: graphite HOST:PORT: N metrics sent, M dropped
// and a warning when some were dropped or the server never accepted a connection. The
// pickle sender (PickleGraphiteMetricsSender) is refused with an error.
//
// Threads: as InfluxSink (all calls on the recording's thread; I/O on the sender's).
#ifndef BARRAGE_CONTROLLER_GRAPHITE_SINK_H_
#define BARRAGE_CONTROLLER_GRAPHITE_SINK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "common/variables.h"
#include "controller/live_metrics.h"
#include "controller/live_sender.h"

namespace barrage {

struct GraphiteOptions {
  std::string host;
  int port = 2003;
  std::string prefix = "jmeter.";
  bool summary_only = true;
  std::string samplers_list;
  bool use_regexp = false;
  std::string percentiles;          // "" = none (JMeter's default when the argument is absent)
  int64_t send_interval_ms = 1000;  // backend_graphite.send_interval (s)
  int window = 100;                 // backend_metrics_window
  size_t queue_lines = 5000;
  std::string thread_prefix;
};

// A Backend Listener's evaluated arguments as JMeter's client reads them; an unknown or
// pickle sender, an empty host or a bad port is an error naming the argument.
Result<GraphiteOptions> GraphiteOptionsFromArguments(const std::vector<std::pair<std::string, std::string>>& arguments);
// backend_graphite.send_interval and backend_metrics_window from the run's properties.
Status ApplyGraphiteProperties(const Properties& properties, GraphiteOptions* options);
// JMeter's AbstractGraphiteMetricsSender.sanitizeString.
std::string GraphiteSanitize(std::string_view s);

// The aggregation and its lines (not thread-safe).
class GraphiteMetrics {
 public:
  explicit GraphiteMetrics(const GraphiteOptions& options);
  ~GraphiteMetrics();
  GraphiteMetrics(const GraphiteMetrics&) = delete;
  GraphiteMetrics& operator=(const GraphiteMetrics&) = delete;
  void Add(const Sample& s, int64_t active_users);
  // The lines of the intervals ended by now_ms (all when `final`), the test context's with each.
  std::vector<std::string> Flush(int64_t now_ms, bool final, int64_t started_users, int64_t finished_users);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

class GraphiteSink : public LiveMetricsSink {
 public:
  // `transport` is for tests; by default a TCP connection to host:port.
  GraphiteSink(GraphiteOptions options, std::ostream& err, LiveSender::Transport transport = {});
  ~GraphiteSink() override;
  void OnRunStart(const LiveRunInfo& run) override;
  void OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) override;
  void OnTick(const LiveTick& tick) override;
  void OnRunEnd(int64_t end_ms, ExecutionStatus status) override;

 private:
  GraphiteOptions options_;
  std::ostream& err_;
  GraphiteMetrics metrics_;
  LiveSender sender_;
  int64_t active_ = 0;
  int64_t started_ = 0;
  int64_t finished_ = 0;
  bool ended_ = false;
};

// The plaintext transport: one TCP connection kept open (made again after a failure),
// connect timeout 1 s, writes bounded by 2 s (JMeter's socket settings).
LiveSender::Transport GraphiteTcpTransport(std::string host, int port);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_GRAPHITE_SINK_H_
