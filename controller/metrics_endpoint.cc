#include "controller/metrics_endpoint.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "common/host.h"

namespace barrage {
namespace {

// The scrape a thread of the endpoint is answering: its handler and httplib's logger (called
// once the response is written) run on the same thread for one request.
thread_local uint64_t current_scrape = 0;

}  // namespace

struct MetricsEndpoint::Impl {
  httplib::Server server;
  const MetricsRegistry* registry = nullptr;
  std::string host;
  int port = 0;
  std::thread thread;
  std::mutex mu;
  std::condition_variable answered_cv;
  uint64_t begun = 0;          // scrapes begun (guarded by mu)
  uint64_t last_answered = 0;  // the highest begun-index answered in full (guarded by mu)
  uint64_t answered = 0;       // scrapes answered (guarded by mu)
  bool stop_waiting = false;   // guarded by mu
};

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Listen(const std::string& listen,
                                                                 const MetricsRegistry* registry,
                                                                 const std::string& flag) {
  auto impl = std::make_unique<Impl>();
  impl->registry = registry;
  if (Status s = ParseListenAddress(listen, &impl->host, &impl->port); !s.ok()) {
    return Status::InvalidArgument(flag + ": " + s.message());
  }
  httplib::Server& s = impl->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // SO_REUSEADDR only (httplib's default adds SO_REUSEPORT, with which a second process would
  // share the port without an error).
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_read_timeout(10, 0);
  Impl* self = impl.get();
  s.Get("/metrics", [self](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(self->mu);
      current_scrape = ++self->begun;
    }
    const MetricsFormat format = NegotiateMetricsFormat(req.get_header_value("Accept"));
    res.set_content(self->registry->Render(format), MetricsContentType(format));
  });
  s.set_logger([self](const httplib::Request& req, const httplib::Response& res) {
    if (req.path != "/metrics" || res.status != 200 || current_scrape == 0) return;
    {
      std::lock_guard<std::mutex> lock(self->mu);
      self->last_answered = std::max(self->last_answered, current_scrape);
      ++self->answered;
    }
    current_scrape = 0;
    self->answered_cv.notify_all();
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found: only GET /metrics is served\n", "text/plain");
    (void)req;
  });
  const std::string where = (impl->host.find(':') != std::string::npos ? "[" + impl->host + "]" : impl->host) + ":" +
                            std::to_string(impl->port);
  if (impl->port == 0) {
    impl->port = s.bind_to_any_port(impl->host);
    if (impl->port < 0) impl->port = 0;
  } else if (!s.bind_to_port(impl->host, impl->port)) {
    impl->port = 0;
  }
  if (impl->port == 0) {
    return Status::IoError(flag + ": cannot listen on " + where +
                           " (the port is in use, or the address is not one of this machine's)");
  }
  impl->thread = std::thread([self] { self->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs: wait for it, so that the destructor always
  // ends it (the socket listens already, so no scrape is refused meanwhile).
  for (int i = 0; i < 5000 && !self->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(impl)));
}

MetricsEndpoint::~MetricsEndpoint() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsEndpoint::port() const { return impl_->port; }

std::string MetricsEndpoint::url() const {
  const std::string& h = impl_->host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port) +
         "/metrics";
}

uint64_t MetricsEndpoint::scrapes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->answered;
}

uint64_t MetricsEndpoint::ScrapesBegun() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->begun;
}

bool MetricsEndpoint::WaitForScrapeAfter(uint64_t mark, std::chrono::milliseconds linger) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->answered_cv.wait_for(lock, linger, [&] {
    return impl_->stop_waiting || impl_->last_answered > mark;
  }) && impl_->last_answered > mark;
}

void MetricsEndpoint::StopWaiting() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop_waiting = true;
  }
  impl_->answered_cv.notify_all();
}

RunMetricsExport::RunMetricsExport(int64_t linger_s, std::ostream& out, RunSignals* signals)
    : linger_s_(linger_s), out_(out), signals_(signals), sink_(&registry_) {}

Result<std::unique_ptr<RunMetricsExport>> RunMetricsExport::Start(const std::string& listen, int64_t linger_s,
                                                                  std::ostream& out, RunSignals* signals) {
  std::unique_ptr<RunMetricsExport> e(new RunMetricsExport(linger_s, out, signals));
  Result<std::unique_ptr<MetricsEndpoint>> endpoint = MetricsEndpoint::Listen(listen, &e->registry_);
  if (!endpoint.ok()) return endpoint.status();
  e->endpoint_ = std::move(*endpoint);
  out << "barrage: metrics at " << e->endpoint_->url() << "\n" << std::flush;
  return e;
}

RunMetricsExport::~RunMetricsExport() {
  if (!sink_.ended() || linger_s_ <= 0) return;
  // The mark and the signals before the line: a scrape or a signal sent on seeing it counts.
  const uint64_t mark = endpoint_->ScrapesBegun();
  MetricsEndpoint* endpoint = endpoint_.get();
  RunSignals::Armed armed = signals_->Arm([endpoint](int) { endpoint->StopWaiting(); });
  out_ << "barrage: metrics: waiting up to " << linger_s_ << " s for a last scrape of " << endpoint_->url() << "\n"
       << std::flush;
  (void)endpoint_->WaitForScrapeAfter(mark, std::chrono::seconds(linger_s_));
}

}  // namespace barrage
