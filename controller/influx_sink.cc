#include "controller/influx_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <unordered_map>

#include "common/java_lang.h"
#include "controller/backend_metrics.h"
#include "worker/regex.h"

namespace barrage {
namespace {

constexpr std::string_view kHttpSender = "org.apache.jmeter.visualizers.backend.influxdb.HttpMetricsSender";
constexpr int64_t kCloseWaitMs = 5000;  // JMeter's HttpMetricsSender waits 5 s for its last request
constexpr int64_t kLatenessMs = 1000;   // an interval is written 1 s after its end

struct ErrorCount {
  std::string code;     // ErrorMetric.getResponseCode(): "0" for none
  std::string message;  // getResponseMessage(): "None" for none
  int64_t count = 0;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// One label's (or the whole run's) figures in one interval.
struct Counts {
  int64_t successes = 0;
  int64_t failures = 0;
  int64_t hits = 0;
  int64_t sent_bytes = 0;
  int64_t received_bytes = 0;
  std::vector<ErrorCount> errors;  // first seen first
  StatsWindow ok, ko, all;         // backend_metrics_window_mode=timed only
};

// One label's windows across intervals (fixed mode: ok, ko, all; both modes: pct).
struct LabelWindows {
  StatsWindow ok, ko, all, pct;
};

struct Interval {
  std::map<std::string, Counts> labels;
  Counts total;
  bool sent = false;
  bool dirty = false;  // sent, then a late sample came
};

void AppendField(std::string* out, std::string_view name, double v) {
  out->push_back(',');
  out->append(name);
  out->push_back('=');
  AppendJavaDouble(v, out);
}

int32_t JavaIntOf(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  if (d <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(d);
}

bool ParsePositive(std::string_view text, int64_t* out) {
  std::optional<int64_t> v = JavaParseLong(JavaTrim(text));
  if (!v || *v <= 0) return false;
  *out = *v;
  return true;
}

}  // namespace

// ---- Formats ----

std::string InfluxTagValue(std::string_view s) {
  std::string out;
  for (char c : JavaTrim(s)) {
    switch (c) {
      case ' ': out += "\\ "; break;
      case ',': out += "\\,"; break;
      case '=': out += "\\="; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string InfluxFieldText(std::string_view s) {
  std::string out;
  for (char c : JavaTrim(s)) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::pair<std::string, double>> InfluxPercentileFields(std::string_view percentiles) {
  // JMeter keeps them in a HashMap<String, Float>(parts) keyed by their "0.##" text: its
  // iteration order is the order of the fields.
  size_t parts = 0;
  std::vector<PercentileArg> args = ParsePercentiles(percentiles, &parts);
  std::vector<std::string> keys;
  for (const PercentileArg& a : args) keys.push_back(InfluxTagValue(a.formatted));
  std::vector<std::pair<std::string, double>> out;
  for (size_t i : JavaHashMapOrder(keys, parts)) {
    out.emplace_back(JavaFloatToString(args[i].value), static_cast<double>(args[i].value));
  }
  return out;
}

// ---- Options ----

Status CheckInfluxUrl(std::string_view url) {
  CURLU* u = curl_url();
  if (!u) return Status::Internal("out of memory");
  std::string text(url);
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, text.c_str(), 0);
  std::string scheme, host;
  if (rc == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
      scheme = part;
      curl_free(part);
    }
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
      host = part;
      curl_free(part);
    }
  }
  curl_url_cleanup(u);
  if (rc != CURLUE_OK || (scheme != "http" && scheme != "https") || host.empty()) {
    return Status::InvalidArgument("'" + text +
                                   "' is not an InfluxDB write URL (http://HOST:PORT/write?db=NAME, or https://)");
  }
  return Status::Ok();
}

Status ApplyInfluxProperties(const Properties& properties, InfluxOptions* options) {
  auto positive = [&](std::string_view name, int64_t* out) -> Status {
    std::optional<std::string> v = properties.Get(name);
    if (!v) return Status::Ok();
    if (!ParsePositive(*v, out)) {
      return Status::InvalidArgument("property " + std::string(name) + "=" + *v + ": expected a positive whole number");
    }
    return Status::Ok();
  };
  int64_t interval_s = options->send_interval_ms / 1000;
  if (Status s = positive("backend_influxdb.send_interval", &interval_s); !s.ok()) return s;
  options->send_interval_ms = interval_s * 1000;
  int64_t window = options->window, large = options->large_window;
  if (Status s = positive("backend_metrics_window", &window); !s.ok()) return s;
  if (Status s = positive("backend_metrics_large_window", &large); !s.ok()) return s;
  options->window = static_cast<int>(std::min<int64_t>(window, 1'000'000));
  options->large_window = static_cast<int>(std::min<int64_t>(large, 1'000'000));
  if (std::optional<std::string> mode = properties.Get("backend_metrics_window_mode")) {
    std::string m(JavaTrim(*mode));
    if (EqualsIgnoreCase(m, "fixed")) {
      options->timed_window = false;
    } else if (EqualsIgnoreCase(m, "timed")) {
      options->timed_window = true;
    } else {
      return Status::InvalidArgument("property backend_metrics_window_mode=" + *mode + ": expected fixed or timed");
    }
  }
  if (Status s = positive("backend_influxdb.connection_timeout", &options->connect_timeout_ms); !s.ok()) return s;
  return positive("backend_influxdb.socket_timeout", &options->request_timeout_ms);
}

Result<InfluxOptions> InfluxOptionsFromArguments(const std::vector<std::pair<std::string, std::string>>& arguments) {
  InfluxOptions o;
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [n, v] : arguments) {
      if (n == name) return v;
    }
    return std::nullopt;
  };
  std::string sender = get("influxdbMetricsSender").value_or(std::string(kHttpSender));
  if (std::string(JavaTrim(sender)) != kHttpSender) {
    return Status::Unsupported("influxdbMetricsSender " + sender +
                               " is not supported (barrage sends over HTTP: " + std::string(kHttpSender) + ")");
  }
  o.url = std::string(JavaTrim(get("influxdbUrl").value_or("")));
  if (Status s = CheckInfluxUrl(o.url); !s.ok()) return Status::InvalidArgument("influxdbUrl " + s.message());
  o.token = std::string(JavaTrim(get("influxdbToken").value_or("")));
  o.application = get("application").value_or("");
  o.measurement = get("measurement").value_or("jmeter");
  o.summary_only = EqualsIgnoreCase(JavaTrim(get("summaryOnly").value_or("false")), "true");
  o.samplers_regex = get("samplersRegex").value_or("");
  o.percentiles = get("percentiles").value_or("");
  o.test_title = get("testTitle").value_or("Test");
  o.event_tags = get("eventTags").value_or("");
  static const char* const kKnown[] = {"influxdbMetricsSender", "influxdbUrl", "application",
                                       "measurement",           "summaryOnly", "samplersRegex",
                                       "percentiles",           "testTitle",   "eventTags"};
  for (const auto& [name, value] : arguments) {
    std::string_view n = JavaTrim(name);
    if (n.substr(0, 4) != "TAG_" || JavaIsBlank(value)) continue;
    if (std::find(std::begin(kKnown), std::end(kKnown), n) != std::end(kKnown)) continue;
    o.user_tags.emplace_back(std::string(n.substr(4)), std::string(JavaTrim(value)));
  }
  return o;
}

// ---- The aggregation ----

struct InfluxMetrics::State {
  explicit State(const InfluxOptions& o)
      : options(o),
        pct_fields(InfluxPercentileFields(o.percentiles)),
        interval_ms(std::max<int64_t>(o.send_interval_ms, 1)) {
    for (const auto& [name, value] : o.user_tags) user_tag += "," + InfluxTagValue(name) + "=" + InfluxTagValue(value);
    application = InfluxTagValue(o.application);
    measurement = InfluxTagValue(o.measurement);
    users.cap = static_cast<size_t>(std::max(o.window, 1));
  }
  InfluxOptions options;
  std::vector<std::pair<std::string, double>> pct_fields;
  int64_t interval_ms;
  std::string user_tag, application, measurement;
  std::map<int64_t, Interval> intervals;
  int64_t forgotten_before = std::numeric_limits<int64_t>::min();  // intervals before it are gone
  std::map<std::string, LabelWindows> windows;
  LabelWindows total_windows;
  StatsWindow users;
  std::unordered_map<std::string, bool> wanted;  // samplersRegex's answer per label

  size_t WindowCap() const { return static_cast<size_t>(options.timed_window ? options.large_window : options.window); }

  LabelWindows& WindowsOf(const std::string* label) {
    LabelWindows* w = &total_windows;
    if (label) {
      auto it = windows.find(*label);
      if (it == windows.end()) it = windows.emplace(*label, LabelWindows{}).first;
      w = &it->second;
    }
    if (w->pct.cap == 0) {
      w->pct.cap = static_cast<size_t>(std::max(options.window, 1));
      w->ok.cap = w->ko.cap = w->all.cap = std::max<size_t>(WindowCap(), 1);
    }
    return *w;
  }

  bool Wanted(const std::string& label) {
    if (options.summary_only) return false;
    auto it = wanted.find(label);
    if (it != wanted.end()) return it->second;
    bool yes = true;
    if (!options.samplers_regex.empty()) {
      std::string error;
      const CompiledRegex* re = CompileRegex(options.samplers_regex, RegexMode::kSearch, &error);
      yes = re && RegexTest(*re, label);
    }
    wanted.emplace(label, yes);
    return yes;
  }

  void AddTo(Counts& c, LabelWindows& w, const Sample& s, double time, bool cumulated) {
    if (s.success) {
      ++c.successes;
    } else {
      ++c.failures;
      std::string code, message;
      if (!s.failure_message.empty()) {
        code = "Assertion failed";
        message = s.failure_message;
      } else {
        code = s.response_code;
        message = s.response_message;
      }
      code = code.empty() ? "0" : std::string(JavaTrim(code));
      message = message.empty() ? "None" : std::string(JavaTrim(message));
      auto it = std::find_if(c.errors.begin(), c.errors.end(), [&](const ErrorCount& e) {
        return EqualsIgnoreCase(e.code, code) && EqualsIgnoreCase(e.message, message);
      });
      if (it == c.errors.end()) {
        c.errors.push_back({code, message, 1});
      } else {
        ++it->count;
      }
    }
    StatsWindow& all = options.timed_window ? c.all : w.all;
    StatsWindow& ok = options.timed_window ? c.ok : w.ok;
    StatsWindow& ko = options.timed_window ? c.ko : w.ko;
    if (options.timed_window) c.all.cap = c.ok.cap = c.ko.cap = WindowCap();
    all.Add(time);
    w.pct.Add(time);
    (s.success ? ok : ko).Add(time);
    // A Transaction Controller's own sample (no parent sample generated) adds no hits nor
    // bytes to the whole run's figures: its children did.
    if (cumulated && s.transaction) return;
    ++c.hits;
    c.sent_bytes += s.sent_bytes;
    c.received_bytes += s.bytes;
  }

  std::string Timestamp(int64_t ms) const { return std::to_string(ms) + "000000"; }

  void StatusLine(const std::string& transaction, int64_t count, const Counts& c, std::string_view status,
                  const StatsWindow& times, const StatsWindow& pct_window, int64_t start,
                  std::vector<std::string>* out) const {
    if (count <= 0) return;
    std::string line = measurement + ",application=" + application + ",transaction=" + transaction +
                       ",statut=" + std::string(status) + user_tag + " count=" + std::to_string(count);
    double mean = times.Mean(), min = times.Min(), max = times.Max();
    if (!std::isnan(mean)) AppendField(&line, "avg", mean);
    if (!std::isnan(min)) AppendField(&line, "min", min);
    if (!std::isnan(max)) AppendField(&line, "max", max);
    line += ",hit=" + std::to_string(c.hits) + ",sb=" + std::to_string(c.sent_bytes) +
            ",rb=" + std::to_string(c.received_bytes);
    for (const auto& [name, p] : pct_fields) AppendField(&line, "pct" + name, pct_window.Percentile(p));
    line += " " + Timestamp(start);
    out->push_back(std::move(line));
  }

  void Emit(int64_t start, const Interval& iv, std::vector<std::string>* out) {
    for (const auto& [label, c] : iv.labels) {
      const LabelWindows& w = WindowsOf(&label);
      const bool timed = options.timed_window;
      const std::string transaction = InfluxTagValue(label);
      StatusLine(transaction, c.successes + c.failures, c, "all", timed ? c.all : w.all, w.pct, start, out);
      StatusLine(transaction, c.successes, c, "ok", timed ? c.ok : w.ok, timed ? c.ok : w.ok, start, out);
      StatusLine(transaction, c.failures, c, "ko", timed ? c.ko : w.ko, timed ? c.ko : w.ko, start, out);
      for (const ErrorCount& e : c.errors) {
        if (e.count <= 0) continue;
        out->push_back(measurement + ",application=" + application + ",transaction=" + transaction +
                       ",responseCode=" + InfluxTagValue(e.code) + ",responseMessage=" + InfluxTagValue(e.message) +
                       user_tag + " count=" + std::to_string(e.count) + " " + Timestamp(start));
      }
    }
    const Counts& t = iv.total;
    const int64_t total = t.successes + t.failures;
    if (total <= 0) return;
    const StatsWindow& ok = options.timed_window ? t.ok : total_windows.ok;
    std::string line = measurement + ",application=" + application + ",transaction=all,statut=all" + user_tag +
                       " count=" + std::to_string(total) + ",countError=" + std::to_string(t.failures);
    double mean = ok.Mean(), min = ok.Min(), max = ok.Max();
    if (!std::isnan(mean)) AppendField(&line, "avg", mean);
    if (!std::isnan(min)) AppendField(&line, "min", min);
    if (!std::isnan(max)) AppendField(&line, "max", max);
    line += ",hit=" + std::to_string(t.hits) + ",sb=" + std::to_string(t.sent_bytes) +
            ",rb=" + std::to_string(t.received_bytes);
    for (const auto& [name, p] : pct_fields) AppendField(&line, "pct" + name, total_windows.pct.Percentile(p));
    line += " " + Timestamp(start);
    out->push_back(std::move(line));
  }

  std::string InternalLine(int64_t start, int64_t started, int64_t finished) const {
    return measurement + ",application=" + application + ",transaction=internal" + user_tag +
           " minAT=" + std::to_string(JavaIntOf(users.Min())) + ",maxAT=" + std::to_string(JavaIntOf(users.Max())) +
           ",meanAT=" + std::to_string(JavaIntOf(users.Mean())) + ",startedT=" + std::to_string(started) +
           ",endedT=" + std::to_string(finished) + " " + Timestamp(start);
  }
};

InfluxMetrics::InfluxMetrics(const InfluxOptions& options) : s_(std::make_unique<State>(options)) {}
InfluxMetrics::~InfluxMetrics() = default;

void InfluxMetrics::Add(const Sample& sample, int64_t active_users) {
  State& s = *s_;
  s.users.Add(static_cast<double>(active_users));
  int64_t ts = sample.timestamp_ms;
  int64_t start = ts - ((ts % s.interval_ms) + s.interval_ms) % s.interval_ms;
  if (start < s.forgotten_before) {
    ++late_samples_;
    return;
  }
  Interval& iv = s.intervals[start];
  if (iv.sent) iv.dirty = true;
  const double time = static_cast<double>(sample.elapsed_us > 0 ? sample.elapsed_us / 1000 : 0);
  if (s.Wanted(sample.label)) {
    auto it = iv.labels.find(sample.label);
    if (it == iv.labels.end()) it = iv.labels.emplace(sample.label, Counts{}).first;
    s.AddTo(it->second, s.WindowsOf(&sample.label), sample, time, false);
  }
  s.AddTo(iv.total, s.WindowsOf(nullptr), sample, time, true);
}

std::vector<std::string> InfluxMetrics::Flush(int64_t now_ms, bool final, int64_t started_users,
                                              int64_t finished_users) {
  State& s = *s_;
  std::vector<std::string> out;
  for (auto& [start, iv] : s.intervals) {
    if (!iv.sent) {
      if (!final && start + s.interval_ms + kLatenessMs > now_ms) continue;
      s.Emit(start, iv, &out);
      out.push_back(s.InternalLine(start, started_users, finished_users));
      iv.sent = true;
      iv.dirty = false;
    } else if (iv.dirty) {
      s.Emit(start, iv, &out);
      iv.dirty = false;
    }
  }
  // Sent intervals are kept a while for late samples, then forgotten.
  size_t sent = 0;
  for (const auto& [start, iv] : s.intervals) sent += iv.sent ? 1 : 0;
  while (sent > static_cast<size_t>(kInfluxRetainedIntervals) && s.intervals.begin()->second.sent) {
    s.forgotten_before = s.intervals.begin()->first + s.interval_ms;
    s.intervals.erase(s.intervals.begin());
    --sent;
  }
  return out;
}

std::string InfluxMetrics::EventLine(bool start, int64_t ts_ms) const {
  const State& s = *s_;
  std::string tags = InfluxTagValue(s.options.event_tags);
  return "events,application=" + s.application + ",title=ApacheJMeter" + s.user_tag +
         (tags.empty() ? "" : ",tags=" + tags) + " text=\"" +
         InfluxFieldText(s.options.test_title + (start ? " started" : " ended")) + "\" " + s.Timestamp(ts_ms);
}

// ---- HTTP ----

namespace {

size_t KeepBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() < 512) body->append(data, std::min<size_t>(size * n, 512 - body->size()));
  return size * n;
}

struct CurlHandle {
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  ~CurlHandle() {
    if (headers) curl_slist_free_all(headers);
    if (curl) curl_easy_cleanup(curl);
  }
};

}  // namespace

LiveSender::Transport InfluxHttpTransport(std::string url, std::string token, int64_t connect_timeout_ms,
                                          int64_t request_timeout_ms) {
  auto handle = std::make_shared<CurlHandle>();
  handle->headers = curl_slist_append(handle->headers, "Content-Type: text/plain; charset=utf-8");
  if (!token.empty()) handle->headers = curl_slist_append(handle->headers, ("Authorization: Token " + token).c_str());
  return [handle, url, connect_timeout_ms, request_timeout_ms](const std::string& body, int64_t timeout_ms) -> Status {
    CURL* c = handle->curl;
    if (!c) return Status::Internal("libcurl could not start");
    std::string response;
    int64_t limit = timeout_ms > 0 ? std::min(timeout_ms, request_timeout_ms) : request_timeout_ms;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, handle->headers);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(connect_timeout_ms, limit)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(limit, 1)));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "barrage");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, KeepBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) return Status::IoError(curl_easy_strerror(rc));
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) return Status::Ok();
    while (!response.empty() && (response.back() == '\n' || response.back() == '\r')) response.pop_back();
    std::string message = "HTTP " + std::to_string(code) + (response.empty() ? "" : ": " + response);
    if (code >= 400 && code < 500 && code != 429) return Status::InvalidArgument(message);
    return Status::IoError(message);
  };
}

// ---- The sink ----

InfluxSink::InfluxSink(InfluxOptions options, std::ostream& err, LiveSender::Transport transport)
    : options_(std::move(options)),
      err_(err),
      metrics_(options_),
      sender_(transport ? std::move(transport)
                        : InfluxHttpTransport(options_.url, options_.token, options_.connect_timeout_ms,
                                              options_.request_timeout_ms),
              LiveSenderOptions{.capacity = options_.queue_points, .batch_max = 5000}) {}

InfluxSink::~InfluxSink() { sender_.Close(0); }

void InfluxSink::OnRunStart(const LiveRunInfo& run) { sender_.Send({metrics_.EventLine(true, run.started_at_ms)}); }

void InfluxSink::OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) {
  for (const Sample& s : batch) {
    if (!InThreadGroup(s.thread_name, origin, options_.thread_prefix)) continue;
    metrics_.Add(s, active_);
  }
}

void InfluxSink::OnTick(const LiveTick& tick) {
  active_ = tick.threads.active;
  started_ = tick.threads.started;
  finished_ = tick.threads.finished;
  std::vector<std::string> lines = metrics_.Flush(tick.now_ms, false, started_, finished_);
  if (!lines.empty()) sender_.Send(std::move(lines));
}

void InfluxSink::OnRunEnd(int64_t end_ms, ExecutionStatus) {
  if (ended_) return;
  ended_ = true;
  std::vector<std::string> lines = metrics_.Flush(end_ms, true, started_, finished_);
  lines.push_back(metrics_.EventLine(false, end_ms));
  sender_.Send(std::move(lines));
  sender_.Close(kCloseWaitMs);
  LiveSender::Counters c = sender_.counters();
  err_ << "barrage: influxdb " << options_.url << ": " << c.sent << " points sent, " << c.dropped << " dropped\n";
  if (!c.answered) {
    err_ << "barrage: warning: influxdb " << options_.url << " never answered"
         << (c.last_error.empty() ? "" : " (" + c.last_error + ")") << "\n";
  } else if (c.dropped > 0) {
    err_ << "barrage: warning: influxdb " << options_.url << ": " << c.dropped << " point(s) dropped"
         << (c.last_error.empty() ? "" : " (last error: " + c.last_error + ")") << "\n";
  }
  if (metrics_.late_samples() > 0) {
    err_ << "barrage: warning: influxdb " << options_.url << ": " << metrics_.late_samples()
         << " sample(s) arrived too late for their interval's points\n";
  }
  err_ << std::flush;
}

}  // namespace barrage
