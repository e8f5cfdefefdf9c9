#include "controller/graphite_sink.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <set>

#include "common/java_lang.h"
#include "controller/backend_metrics.h"
#include "worker/regex.h"

namespace barrage {
namespace {

constexpr std::string_view kTextSender = "org.apache.jmeter.visualizers.backend.graphite.TextGraphiteMetricsSender";
constexpr std::string_view kPickleSender = "org.apache.jmeter.visualizers.backend.graphite.PickleGraphiteMetricsSender";
constexpr int64_t kCloseWaitMs = 5000;
constexpr int64_t kLatenessMs = 1000;
constexpr size_t kRetainedIntervals = 120;

bool IsTrue(std::string_view v) {
  std::string_view t = JavaTrim(v);
  return t.size() == 4 && (t[0] == 't' || t[0] == 'T') && (t[1] == 'r' || t[1] == 'R') &&
         (t[2] == 'u' || t[2] == 'U') && (t[3] == 'e' || t[3] == 'E');
}

struct Counts {
  int64_t successes = 0, failures = 0, hits = 0, sent_bytes = 0, received_bytes = 0;
};
struct Windows {
  StatsWindow ok, ko, all, pct;
};
struct Interval {
  std::map<std::string, Counts> labels;  // by sanitised context
  Counts total;
  bool sent = false, dirty = false;
};

// One group of percentile metrics ("ok.pct", "ko.pct", "a.pct"), in JMeter's HashMap order.
std::vector<std::pair<std::string, double>> PercentileNames(std::string_view prefix, std::string_view percentiles) {
  size_t parts = 0;
  std::vector<PercentileArg> args = ParsePercentiles(percentiles, &parts);
  std::vector<std::string> keys;
  for (const PercentileArg& a : args) keys.push_back(std::string(prefix) + GraphiteSanitize(a.formatted));
  std::vector<std::pair<std::string, double>> out;
  for (size_t i : JavaHashMapOrder(keys, parts)) out.emplace_back(keys[i], static_cast<double>(args[i].value));
  return out;
}

int32_t JavaInt(double d) {
  if (std::isnan(d)) return 0;
  return static_cast<int32_t>(std::clamp(d, -2147483648.0, 2147483647.0));
}

}  // namespace

std::string GraphiteSanitize(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == ' ' || c == '\\') c = '-';
    if (c == '.') c = '_';
  }
  return out;
}

Result<GraphiteOptions> GraphiteOptionsFromArguments(
    const std::vector<std::pair<std::string, std::string>>& arguments) {
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [n, v] : arguments) {
      if (n == name) return v;
    }
    return std::nullopt;
  };
  GraphiteOptions o;
  std::string sender(JavaTrim(get("graphiteMetricsSender").value_or(std::string(kTextSender))));
  if (sender == kPickleSender) {
    return Status::Unsupported("graphiteMetricsSender " + sender + " (the pickle protocol) is not supported: use " +
                               std::string(kTextSender));
  }
  if (sender != kTextSender) return Status::Unsupported("graphiteMetricsSender " + sender + " is not supported");
  o.host = std::string(JavaTrim(get("graphiteHost").value_or("")));
  if (o.host.empty()) return Status::InvalidArgument("graphiteHost is empty");
  if (std::optional<std::string> port = get("graphitePort")) {
    std::optional<int32_t> p = JavaParseInt(JavaTrim(*port));
    if (!p || *p <= 0 || *p > 65535) return Status::InvalidArgument("graphitePort " + *port + " is not a port");
    o.port = *p;
  }
  o.prefix = get("rootMetricsPrefix").value_or("jmeter.");
  o.summary_only = IsTrue(get("summaryOnly").value_or("true"));
  o.samplers_list = get("samplersList").value_or("");
  o.use_regexp = IsTrue(get("useRegexpForSamplersList").value_or("false"));
  o.percentiles = get("percentiles").value_or("");
  return o;
}

Status ApplyGraphiteProperties(const Properties& properties, GraphiteOptions* options) {
  for (const char* name : {"backend_graphite.send_interval", "backend_metrics_window"}) {
    std::optional<std::string> v = properties.Get(name);
    if (!v) continue;
    std::optional<int64_t> n = JavaParseLong(JavaTrim(*v));
    if (!n || *n <= 0 || *n > 1'000'000) {
      return Status::InvalidArgument("property " + std::string(name) + "=" + *v + ": expected a positive whole number");
    }
    if (std::string_view(name) == "backend_metrics_window") {
      options->window = static_cast<int>(*n);
    } else {
      options->send_interval_ms = *n * 1000;
    }
  }
  return Status::Ok();
}

struct GraphiteMetrics::State {
  explicit State(const GraphiteOptions& o)
      : options(o),
        interval_ms(std::max<int64_t>(o.send_interval_ms, 1)),
        ok_pcts(PercentileNames("ok.pct", o.percentiles)),
        ko_pcts(PercentileNames("ko.pct", o.percentiles)),
        all_pcts(PercentileNames("a.pct", o.percentiles)) {
    users.cap = static_cast<size_t>(std::max(o.window, 1));
    std::vector<std::string> names = JavaSplit(o.samplers_list, ';');
    listed.insert(names.begin(), names.end());
  }
  GraphiteOptions options;
  int64_t interval_ms;
  std::vector<std::pair<std::string, double>> ok_pcts, ko_pcts, all_pcts;
  std::set<std::string> listed;
  std::map<int64_t, Interval> intervals;
  int64_t forgotten_before = std::numeric_limits<int64_t>::min();
  std::map<std::string, Windows> windows;  // by context, "all" for the whole run
  StatsWindow users;
  std::map<std::string, bool> wanted;

  Windows& WindowsOf(const std::string& context) {
    auto it = windows.find(context);
    if (it == windows.end()) {
      it = windows.emplace(context, Windows{}).first;
      const auto cap = static_cast<size_t>(std::max(options.window, 1));
      it->second.ok.cap = it->second.ko.cap = it->second.all.cap = it->second.pct.cap = cap;
    }
    return it->second;
  }

  bool Wanted(const std::string& label) {
    if (options.summary_only) return false;
    auto it = wanted.find(label);
    if (it != wanted.end()) return it->second;
    bool yes = false;
    if (options.use_regexp) {
      std::string error;
      const CompiledRegex* re = CompileRegex(options.samplers_list, RegexMode::kFullMatch, &error);
      yes = re && RegexTest(*re, label);
    } else {
      yes = listed.count(label) > 0;
    }
    wanted.emplace(label, yes);
    return yes;
  }

  static void AddTo(Counts& c, Windows& w, const Sample& s, double time) {
    (s.success ? c.successes : c.failures) += 1;
    w.all.Add(time);
    w.pct.Add(time);
    (s.success ? w.ok : w.ko).Add(time);
    ++c.hits;
    c.sent_bytes += s.sent_bytes;
    c.received_bytes += s.bytes;
  }

  void Line(std::vector<std::string>* out, const std::string& context, std::string_view metric,
            const std::string& value, int64_t ts_s) const {
    out->push_back(options.prefix + context + "." + std::string(metric) + " " + value + " " + std::to_string(ts_s));
  }

  void Emit(const std::string& context, const Counts& c, Windows& w, int64_t ts_s, std::vector<std::string>* out) {
    if (c.successes + c.failures <= 0) return;
    Line(out, context, "ok.count", std::to_string(c.successes), ts_s);
    Line(out, context, "ko.count", std::to_string(c.failures), ts_s);
    Line(out, context, "a.count", std::to_string(c.successes + c.failures), ts_s);
    Line(out, context, "h.count", std::to_string(c.hits), ts_s);
    Line(out, context, "sb.bytes", std::to_string(c.sent_bytes), ts_s);
    Line(out, context, "rb.bytes", std::to_string(c.received_bytes), ts_s);
    auto times = [&](std::string_view group, const StatsWindow& win,
                     const std::vector<std::pair<std::string, double>>& pcts, const StatsWindow& pct_window) {
      Line(out, context, std::string(group) + ".min", JavaDoubleToString(win.Min()), ts_s);
      Line(out, context, std::string(group) + ".max", JavaDoubleToString(win.Max()), ts_s);
      Line(out, context, std::string(group) + ".avg", JavaDoubleToString(win.Mean()), ts_s);
      for (const auto& [name, p] : pcts) Line(out, context, name, JavaDoubleToString(pct_window.Percentile(p)), ts_s);
    };
    if (c.successes > 0) times("ok", w.ok, ok_pcts, w.ok);
    if (c.failures > 0) times("ko", w.ko, ko_pcts, w.ko);
    times("a", w.all, all_pcts, w.pct);
  }

  void EmitInterval(Interval& iv, int64_t start, std::vector<std::string>* out) {
    const int64_t ts_s = start / 1000;
    for (const auto& [context, c] : iv.labels) Emit(context, c, WindowsOf(context), ts_s, out);
    Emit("all", iv.total, windows_total(), ts_s, out);
  }
  Windows& windows_total() { return WindowsOf("\x01all"); }  // not a sanitised label's key
};

GraphiteMetrics::GraphiteMetrics(const GraphiteOptions& options) : s_(std::make_unique<State>(options)) {}
GraphiteMetrics::~GraphiteMetrics() = default;

void GraphiteMetrics::Add(const Sample& sample, int64_t active_users) {
  State& s = *s_;
  s.users.Add(static_cast<double>(active_users));
  const int64_t ts = sample.timestamp_ms;
  const int64_t start = ts - ((ts % s.interval_ms) + s.interval_ms) % s.interval_ms;
  if (start < s.forgotten_before) return;
  Interval& iv = s.intervals[start];
  if (iv.sent) iv.dirty = true;
  const double time = static_cast<double>(sample.elapsed_us > 0 ? sample.elapsed_us / 1000 : 0);
  if (s.Wanted(sample.label)) {
    const std::string context = GraphiteSanitize(sample.label);
    State::AddTo(iv.labels[context], s.WindowsOf(context), sample, time);
  }
  State::AddTo(iv.total, s.windows_total(), sample, time);
}

std::vector<std::string> GraphiteMetrics::Flush(int64_t now_ms, bool final, int64_t started_users,
                                                int64_t finished_users) {
  State& s = *s_;
  std::vector<std::string> out;
  for (auto& [start, iv] : s.intervals) {
    if (!iv.sent) {
      if (!final && start + s.interval_ms + kLatenessMs > now_ms) continue;
      s.EmitInterval(iv, start, &out);
      const int64_t ts_s = start / 1000;
      s.Line(&out, "test", "minAT", std::to_string(JavaInt(s.users.Min())), ts_s);
      s.Line(&out, "test", "maxAT", std::to_string(JavaInt(s.users.Max())), ts_s);
      s.Line(&out, "test", "meanAT", std::to_string(JavaInt(s.users.Mean())), ts_s);
      s.Line(&out, "test", "startedT", std::to_string(started_users), ts_s);
      s.Line(&out, "test", "endedT", std::to_string(finished_users), ts_s);
      iv.sent = true;
      iv.dirty = false;
    } else if (iv.dirty) {
      s.EmitInterval(iv, start, &out);
      iv.dirty = false;
    }
  }
  size_t sent = 0;
  for (const auto& [start, iv] : s.intervals) sent += iv.sent ? 1 : 0;
  while (sent > kRetainedIntervals && s.intervals.begin()->second.sent) {
    s.forgotten_before = s.intervals.begin()->first + s.interval_ms;
    s.intervals.erase(s.intervals.begin());
    --sent;
  }
  return out;
}

// ---- TCP ----

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Socket {
  int fd = -1;
  ~Socket() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Status Connect(const std::string& host, int port, int64_t timeout_ms, Socket* sock) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return Status::IoError(std::string("cannot resolve ") + host + ": " + gai_strerror(rc));
  Status last = Status::IoError("no address for " + host);
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = Status::IoError(std::string("connect: ") + std::strerror(errno));
      ::close(fd);
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, static_cast<int>(timeout_ms)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
        err != 0) {
      last = Status::IoError(std::string("connect: ") + (err ? std::strerror(err) : "timed out"));
      ::close(fd);
      continue;
    }
    sock->fd = fd;
    freeaddrinfo(res);
    return Status::Ok();
  }
  freeaddrinfo(res);
  return last;
}

}  // namespace

LiveSender::Transport GraphiteTcpTransport(std::string host, int port) {
  auto sock = std::make_shared<Socket>();
  return [sock, host, port](const std::string& body, int64_t timeout_ms) -> Status {
    const int64_t limit = timeout_ms > 0 ? std::min<int64_t>(timeout_ms, 2000) : 2000;
    const int64_t deadline = NowMs() + limit;
    if (sock->fd < 0) {
      if (Status s = Connect(host, port, std::min<int64_t>(limit, 1000), sock.get()); !s.ok()) return s;
    }
    size_t done = 0;
    while (done < body.size()) {
      ssize_t n = ::send(sock->fd, body.data() + done, body.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd p{sock->fd, POLLOUT, 0};
        const int64_t left = deadline - NowMs();
        if (left > 0 && ::poll(&p, 1, static_cast<int>(left)) >= 0) continue;
      }
      const std::string why = n < 0 ? std::strerror(errno) : "timed out";
      sock->Close();
      // What was written of the batch stays written: Graphite keeps a metric's last value
      // per timestamp, so sending the batch again is harmless.
      return Status::IoError("send: " + why);
    }
    return Status::Ok();
  };
}

// ---- The sink ----

GraphiteSink::GraphiteSink(GraphiteOptions options, std::ostream& err, LiveSender::Transport transport)
    : options_(std::move(options)),
      err_(err),
      metrics_(options_),
      sender_(transport ? std::move(transport) : GraphiteTcpTransport(options_.host, options_.port),
              LiveSenderOptions{.capacity = options_.queue_lines, .batch_max = 5000}) {}

GraphiteSink::~GraphiteSink() { sender_.Close(0); }

void GraphiteSink::OnRunStart(const LiveRunInfo&) {}

void GraphiteSink::OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) {
  for (const Sample& s : batch) {
    if (!InThreadGroup(s.thread_name, origin, options_.thread_prefix)) continue;
    metrics_.Add(s, active_);
  }
}

void GraphiteSink::OnTick(const LiveTick& tick) {
  active_ = tick.threads.active;
  started_ = tick.threads.started;
  finished_ = tick.threads.finished;
  std::vector<std::string> lines = metrics_.Flush(tick.now_ms, false, started_, finished_);
  if (!lines.empty()) sender_.Send(std::move(lines));
}

void GraphiteSink::OnRunEnd(int64_t end_ms, ExecutionStatus) {
  if (ended_) return;
  ended_ = true;
  sender_.Send(metrics_.Flush(end_ms, true, started_, finished_));
  sender_.Close(kCloseWaitMs);
  LiveSender::Counters c = sender_.counters();
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  err_ << "barrage: graphite " << where << ": " << c.sent << " metrics sent, " << c.dropped << " dropped\n";
  if (c.batches == 0 && c.dropped > 0) {
    err_ << "barrage: warning: graphite " << where << " never accepted the metrics"
         << (c.last_error.empty() ? "" : " (" + c.last_error + ")") << "\n";
  } else if (c.dropped > 0) {
    err_ << "barrage: warning: graphite " << where << ": " << c.dropped << " metric(s) dropped"
         << (c.last_error.empty() ? "" : " (last error: " + c.last_error + ")") << "\n";
  }
  err_ << std::flush;
}

}  // namespace barrage
