// The InfluxDB Backend Listener (issue 15): what JMeter 5.x's InfluxdbBackendListenerClient
// with its HttpMetricsSender writes, from the controller's merged stream
// (controller/live_metrics.h), for a plan's Backend Listener or `barrage run --influx URL`.
//
// Points (line protocol, timestamps in ns, multiples of a millisecond as JMeter's):
//   <measurement>,application=A,transaction=LABEL,statut=all|ok|ko[,USER_TAGS]
//       count=N,avg=..,min=..,max=..,hit=N,sb=N,rb=N,pct90.0=..    (a status with count 0: none)
//   <measurement>,application=A,transaction=LABEL,responseCode=C,responseMessage=M[,..] count=N
//   <measurement>,application=A,transaction=all,statut=all[,..]
//       count=N,countError=N,avg=..,min=..,max=..,hit=N,sb=N,rb=N,pct..=..
//   <measurement>,application=A,transaction=internal[,..] minAT=N,maxAT=N,meanAT=N,startedT=N,endedT=N
//   events,application=A,title=ApacheJMeter[,..][,tags=EVENT_TAGS] text="TITLE started|ended"
// Field names, their order, the percentiles' order (Java's HashMap of the percentile keys),
// number formats (Java's Double.toString), escaping (tag values: ' ', ',', '=' and newline
// backslash-escaped after a trim; the text field: '"') and JMeter's statistics are JMeter's:
// count/countError/hit/sb/rb are the interval's; avg/min/max/percentiles of ok and ko come
// from sliding windows of the last backend_metrics_window (100) samples per label
// (backend_metrics_window_mode=timed: the interval's samples, at most
// backend_metrics_large_window), the `all` status's percentiles from the last-100 window
// always; the `all` transaction's avg/min/max are its successful samples' (as JMeter's).
// Per-label points only for labels samplersRegex finds (Java-style find), none with
// summaryOnly. Error points: code "Assertion failed" and the assertion's message when one
// failed, "0"/"None" for an empty code/message.
//
// What differs from JMeter, on purpose: points are every backend_influxdb.send_interval
// seconds as JMeter's, but the default is 1 s (JMeter's 5), and samples are counted in the
// interval of their start time (JMeter's timeStamp), the point's timestamp being the
// interval's start: a run's per-second counts in InfluxDB equal its JTL's. An interval is
// written once its end is 1 s past; a sample arriving later (a slow response) rewrites the
// points of its interval (same series and time: InfluxDB keeps the new values), for
// intervals up to kInfluxRetainedIntervals back; older ones are counted as late and not sent.
// `internal` is written once per interval with the users of the last tick (startedT/endedT
// are 0 in a cluster run: workers report active users only).
//
// Threads: InfluxMetrics is not thread-safe (the sink's caller thread only). InfluxSink does
// its work on the recording's thread and hands lines to a LiveSender (controller/live_sender.h)
// whose thread posts them; at OnRunEnd it writes the last points and the end event and waits
// at most 5 s for them, then prints
//   barrage: influxdb URL: N points sent, M dropped
// (and a warning line when points were dropped or InfluxDB never answered) to `err`.
// InfluxDB's failures never change the run's status or exit code.
#ifndef BARRAGE_CONTROLLER_INFLUX_SINK_H_
#define BARRAGE_CONTROLLER_INFLUX_SINK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "common/variables.h"
#include "controller/backend_metrics.h"
#include "controller/live_metrics.h"
#include "controller/live_sender.h"

namespace barrage {

inline constexpr int kInfluxRetainedIntervals = 120;

struct InfluxOptions {
  std::string url;    // influxdbUrl: http(s)://host[:port]/write?db=... (1.x) or /api/v2/write?... (2.x)
  std::string token;  // influxdbToken: "Authorization: Token <token>" (InfluxDB 2); "" none
  std::string application;
  std::string measurement = "jmeter";
  bool summary_only = false;
  std::string samplers_regex;  // "" = every label
  std::string percentiles;     // "90;95;99"
  std::string test_title = "Test";
  std::string event_tags;
  std::vector<std::pair<std::string, std::string>> user_tags;  // TAG_<name> arguments
  int64_t send_interval_ms = 1000;                             // backend_influxdb.send_interval (s), 1 by default
  int window = 100;                                            // backend_metrics_window
  int large_window = 5000;                                     // backend_metrics_large_window
  bool timed_window = false;                                   // backend_metrics_window_mode=timed
  size_t queue_points = 5000;                                  // the sender's bound (the Backend Listener's QUEUE_SIZE)
  int64_t connect_timeout_ms = 1000;                           // backend_influxdb.connection_timeout
  int64_t request_timeout_ms = 3000;                           // backend_influxdb.socket_timeout
  std::string thread_prefix;                                   // only samples of this thread group ("" all)
};

// An http:// or https:// URL with a host: the error names it (the caller adds the flag or
// the listener).
Status CheckInfluxUrl(std::string_view url);

// The JMeter properties the client reads (-J, property files): send interval, windows,
// timeouts. A value that is not a positive number is an error naming the property.
Status ApplyInfluxProperties(const Properties& properties, InfluxOptions* options);

// A Backend Listener's evaluated arguments (name, value) as JMeter's client reads them
// (absent ones as JMeter's setupTest defaults: application "", measurement "jmeter",
// summaryOnly false, samplersRegex "", percentiles "", testTitle "Test", eventTags "").
// influxdbMetricsSender other than HttpMetricsSender (the UDP sender) is refused; so is a
// bad URL.
Result<InfluxOptions> InfluxOptionsFromArguments(const std::vector<std::pair<std::string, std::string>>& arguments);

// JMeter's escaping (AbstractInfluxdbMetricsSender): a tag value, and a string field.
std::string InfluxTagValue(std::string_view s);
std::string InfluxFieldText(std::string_view s);
// The percentile fields of `percentiles` ("90;95;99"), in the order JMeter writes them (its
// HashMap's): name suffix ("90.0") and the percentile. Entries that are not numbers are
// skipped (JMeter logs them).
std::vector<std::pair<std::string, double>> InfluxPercentileFields(std::string_view percentiles);

// The per-interval aggregation and its lines.
class InfluxMetrics {
 public:
  explicit InfluxMetrics(const InfluxOptions& options);
  ~InfluxMetrics();
  InfluxMetrics(const InfluxMetrics&) = delete;
  InfluxMetrics& operator=(const InfluxMetrics&) = delete;

  void Add(const Sample& s, int64_t active_users);
  // The lines of every interval that ended at least 1 s before now_ms (every interval when
  // `final`), and of retained intervals that got late samples since; one `internal` line per
  // newly closed interval (users: active ones per sample's arrival, started/finished given).
  std::vector<std::string> Flush(int64_t now_ms, bool final, int64_t started_users, int64_t finished_users);
  std::string EventLine(bool start, int64_t ts_ms) const;
  uint64_t late_samples() const { return late_samples_; }

 private:
  struct State;
  std::unique_ptr<State> s_;
  uint64_t late_samples_ = 0;
};

class InfluxSink : public LiveMetricsSink {
 public:
  // `transport` is for tests; by default the HTTP POST to options.url (libcurl).
  InfluxSink(InfluxOptions options, std::ostream& err, LiveSender::Transport transport = {});
  ~InfluxSink() override;

  void OnRunStart(const LiveRunInfo& run) override;
  void OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) override;
  void OnTick(const LiveTick& tick) override;
  void OnRunEnd(int64_t end_ms, ExecutionStatus status) override;

  LiveSender::Counters counters() const { return sender_.counters(); }
  const InfluxOptions& options() const { return options_; }

 private:
  InfluxOptions options_;
  std::ostream& err_;
  InfluxMetrics metrics_;
  LiveSender sender_;
  int64_t active_ = 0;
  int64_t started_ = 0;
  int64_t finished_ = 0;
  bool ended_ = false;
};

// The HTTP transport: POSTs the body to `url` (Content-Type text/plain, "Authorization:
// Token T" with a token); 2xx = Ok, 4xx = kInvalidArgument (refused: not retried, 429
// excepted), anything else an error to retry. Connect and request timeouts in ms.
LiveSender::Transport InfluxHttpTransport(std::string url, std::string token, int64_t connect_timeout_ms,
                                          int64_t request_timeout_ms);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_INFLUX_SINK_H_
