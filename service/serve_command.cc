#include "service/serve_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/host.h"
#include "common/systemd_notify.h"
#include "controller/pg_util.h"
#include "controller/results_store.h"
#include "controller/run_signals.h"
#include "service/auth_limiter.h"
#include "service/automation.h"
#include "service/automation_api.h"
#include "service/cluster_host.h"
#include "service/http_server.h"
#include "service/run_api.h"
#include "service/run_manager.h"
#include "service/run_request.h"
#include "service/run_views.h"
#include "service/service_api.h"
#include "service/service_info.h"
#include "service/service_metrics.h"
#include "service/tokens.h"

namespace barrage {
namespace {

// The running executable (local runs start it as `barrage run`).
std::string SelfExecutable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("barrage") : self.string();
}

// SIGHUP: reads controller.toml again and hands the new worker key allowlist to the cluster
// host; on an error the keys in use stay. One line on stdout either way.
void ReloadAllowedWorkers(const ClusterOptions& options, const ClusterSettings& started_with, ClusterHost* host,
                          std::set<std::string>* in_use) {
  if (started_with.insecure) {
    std::cout << "barrage: SIGHUP: insecure (plain TCP): there are no worker keys to reload\n" << std::flush;
    return;
  }
  Result<ClusterSettings> reread = ResolveClusterSettings(options);
  if (!reread.ok()) {
    std::cout << "barrage: SIGHUP: " << reread.status().message() << ": keeping the " << in_use->size()
              << " allowed worker key(s) in use\n"
              << std::flush;
    return;
  }
  for (const std::string& warning : reread->warnings) std::cerr << "barrage: WARNING: " << warning << "\n";
  size_t added = 0, removed = 0;
  for (const std::string& k : reread->allowed_keys) added += in_use->count(k) == 0 ? 1 : 0;
  for (const std::string& k : *in_use) removed += reread->allowed_keys.count(k) == 0 ? 1 : 0;
  *in_use = reread->allowed_keys;
  host->SetAllowedKeys(*in_use);
  std::cout << "barrage: SIGHUP: reloaded the allowed worker keys from "
            << (options.config_path.empty() ? std::string("the command line") : options.config_path) << ": "
            << in_use->size() << " key(s), " << added << " added, " << removed << " removed\n"
            << std::flush;
}

}  // namespace

int RunServeCheckConfig(const ServeOptions& options) {
  const std::string source = options.config_path.empty() ? std::string("command line") : options.config_path;
  auto fail = [](const std::string& message) {
    std::cerr << "barrage: " << message << "\n";
    return kExitUsage;
  };
  Result<ServerSettings> settings = ResolveServerSettings(options);
  if (!settings.ok()) return fail(settings.status().message());
  std::string host;
  int port = 0;
  if (Status st = ParseListenAddress(settings->listen, &host, &port); !st.ok()) return fail(st.message());
  const std::vector<std::pair<std::string, std::string>> tls_files = {{"server.tls_cert_file", settings->tls_cert_file},
                                                                      {"server.tls_key_file", settings->tls_key_file}};
  for (const auto& [key, file] : tls_files) {
    if (!file.empty() && !std::ifstream(file).good()) return fail(source + ": key " + key + ": cannot read " + file);
  }
  ClusterOptions cluster_options = options.cluster;
  cluster_options.config_path = options.config_path;
  Result<ClusterSettings> cluster = ResolveClusterSettings(cluster_options);
  if (!cluster.ok()) return fail(cluster.status().message());
  for (const std::string& warning : cluster->warnings) std::cerr << "barrage: WARNING: " << warning << "\n";
  std::cout << source << ": OK\n";
  return kExitOk;
}

int RunServe(const ServeOptions& options) {
  // systemd (Type=notify): READY=1 once listening, STATUS= lines, watchdog keep-alives from
  // the wait loop below, STOPPING=1 on SIGTERM/SIGINT. Read before any thread starts.
  SystemdNotifier notifier = SystemdNotifier::FromEnvironment();
  // SIGHUP (key rotation) arrives on a signalfd the wait loop polls; blocked before any
  // thread starts so that every thread inherits the mask.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);
  const int hup_fd = signalfd(-1, &hup, SFD_NONBLOCK | SFD_CLOEXEC);
  if (hup_fd < 0) {
    std::cerr << "barrage: signalfd failed\n";
    return kExitRuntimeFailure;
  }
  struct CloseFd {
    int fd;
    ~CloseFd() { ::close(fd); }
  } close_hup{hup_fd};
  // Signals are watched (blocked in every thread) before any thread starts.
  RunSignals signals;
  Result<ServerSettings> settings = ResolveServerSettings(options);
  if (!settings.ok()) {
    std::cerr << "barrage: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  {
    // Creates or migrates the schema, and marks the runs of a controller that is gone.
    Result<ResultsStore> store = ResultsStore::Open(settings->db_path);
    if (!store.ok()) {
      std::cerr << "barrage: " << store.status().message() << "\n";
      return kExitRuntimeFailure;
    }
    Result<int> marked = store->MarkInterruptedExecutions();
    if (marked.ok() && *marked > 0) {
      std::cout << "barrage: marked " << *marked << " interrupted run(s) aborted\n";
    }
  }
  ClusterOptions cluster_options = options.cluster;
  cluster_options.config_path = options.config_path;
  Result<ClusterSettings> cluster = ResolveClusterSettings(cluster_options);
  if (!cluster.ok()) {
    std::cerr << "barrage: " << cluster.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : cluster->warnings) std::cerr << "barrage: WARNING: " << warning << "\n";
  Result<std::unique_ptr<ClusterHost>> cluster_host = ClusterHost::Open(*cluster, [](const std::string& line) {
    std::cout << "barrage: " << line << "\n" << std::flush;
  });
  if (!cluster_host.ok()) {
    std::cerr << "barrage: " << cluster_host.status().message() << "\n";
    return kExitRuntimeFailure;
  }

  HttpServerOptions http;
  if (Status st = ParseListenAddress(settings->listen, &http.host, &http.port); !st.ok()) {
    std::cerr << "barrage: " << st.message() << "\n";
    return kExitUsage;
  }
  http.tls_cert_file = settings->tls_cert_file;
  http.tls_key_file = settings->tls_key_file;
  http.max_body_bytes = static_cast<size_t>(settings->max_upload_bytes);
  // Bound first: with port 0 the links the service hands out (public_url) need the port the
  // system chose. The router is filled in below, before the server serves anything.
  ApiRouter router;
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind(http, &router);
  if (!server.ok()) {
    std::cerr << "barrage: " << server.status().message() << "\n";
    return server.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitRuntimeFailure;
  }
  const std::string api_host = http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host;
  if (settings->public_url_from_listen) {
    settings->public_url =
        std::string((*server)->tls() ? "https://" : "http://") + api_host + ":" + std::to_string((*server)->port());
  }

  Result<TokenStore> tokens = TokenStore::Open(settings->db_path, /*must_exist=*/true);
  if (!tokens.ok()) {
    std::cerr << "barrage: " << tokens.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  AuthLimiter::Options limits;
  limits.max_failures = settings->auth_failures_per_window;
  limits.window = std::chrono::seconds(settings->auth_window_s);
  AuthLimiter limiter(limits, SystemClock());
  ServiceApiContext context;
  context.public_url = settings->public_url;
  context.auth.tokens = &*tokens;
  context.auth.limiter = &limiter;
  context.auth.clock = &SystemClock();
  ClusterHost* host = cluster_host->get();
  context.workers = [host] { return host->Workers(); };
  auto print = [](const std::string& line) { std::cout << "barrage: " << line << "\n" << std::flush; };
  // Runs end on the manager's thread; the automation (created after it: its hooks start
  // runs) hears of each end for the webhooks.
  std::atomic<ServiceAutomation*> automation_for_ends{nullptr};
  // Declared before the run manager, so destroyed after it on every return: the manager's
  // thread may still report an end while it stops.
  std::unique_ptr<ServiceAutomation> automation;
  RunManagerOptions run_options;
  // Absolute: a local run's process works in its run's folder.
  run_options.db_path =
      IsPostgresUrl(settings->db_path) ? settings->db_path : std::filesystem::absolute(settings->db_path).string();
  run_options.data_dir = std::filesystem::absolute(settings->data_dir).string();
  run_options.barrage_binary = SelfExecutable();
  run_options.host = host;
  run_options.max_local_runs = settings->max_local_runs;
  run_options.cluster = &*cluster;
  run_options.log = print;
  run_options.finished = [&automation_for_ends](int64_t id) {
    if (ServiceAutomation* a = automation_for_ends.load()) a->OnRunFinished(id);
  };
  ServiceMetrics metrics;  // before the run manager: its runs' sinks feed it
  run_options.metrics = metrics.registry();
  auto runs = std::make_unique<RunManager>(run_options);
  RunApiContext run_api;
  run_api.auth = context.auth;
  run_api.runs = runs.get();
  run_api.db_path = run_options.db_path;
  run_api.data_dir = run_options.data_dir;
  run_api.max_plan_bytes = settings->max_plan_bytes;
  context.runs = &run_api;

  RunHooks run_hooks;
  RunManager* manager = runs.get();
  run_hooks.submit_run = [manager](const std::string& project, const nlohmann::json& run_body,
                                   const std::string& triggered_by) -> Result<int64_t> {
    Result<RunRequest> request = RunRequestFromJson(run_body);
    if (!request.ok()) return Status::InvalidArgument("run." + request.status().message());
    Result<RunTicket> ticket = manager->Submit(project, *request, triggered_by);
    if (!ticket.ok()) return ticket.status();
    return ticket->id;
  };
  run_hooks.run_active = [manager](int64_t id) { return manager->Active(id); };
  Result<std::unique_ptr<ServiceAutomation>> opened =
      ServiceAutomation::Open(settings->db_path, settings->public_url, std::move(run_hooks), print, SystemClock());
  if (!opened.ok()) {
    std::cerr << "barrage: " << opened.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  automation = std::move(opened).value();
  automation_for_ends = automation.get();
  AutomationApiContext automation_context;
  automation_context.auth = context.auth;
  automation_context.automation = automation.get();
  context.automation = &automation_context;
  RunViewContext run_views;
  run_views.auth = context.auth;
  run_views.db_path = settings->db_path;
  run_views.public_url = settings->public_url;
  run_views.queue_position = [manager](int64_t id) { return manager->QueuePosition(id); };
  run_views.clock = &SystemClock();
  run_views.idle_read_handles = static_cast<size_t>(http.threads);
  run_views.run_cache_ttl = std::chrono::milliseconds(250);
  run_views.output_log_path = [data_dir = run_options.data_dir](int64_t id) {
    return (std::filesystem::path(data_dir) / "runs" / std::to_string(id) / "output.log").string();
  };
  run_views.run_active = [manager](int64_t id) { return manager->Active(id); };
  context.run_views = &run_views;
  context.run_project = [manager](int64_t id) -> std::optional<std::string> {
    Result<std::string> project = manager->ProjectOf(id);
    return project.ok() ? std::optional<std::string>(*project) : std::nullopt;
  };
  context.metrics = [&metrics, host, manager](MetricsFormat format, const std::string& project) {
    return metrics.Scrape(format, project, host->Workers(), manager->CountRuns());
  };
  router = BuildServiceApi(&context);
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  RunSignals::Armed armed = signals.Arm([&](int) {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  });
  (*server)->Start();
  std::cout << "barrage: serving the API on " << ((*server)->tls() ? "https://" : "http://") << api_host << ":"
            << (*server)->port() << kApiBase << " (barrage " << ServiceVersion() << ", store "
            << (IsPostgresUrl(settings->db_path) ? RedactPostgresUrl(settings->db_path) : settings->db_path) << ")\n"
            << "barrage: workers dial " << (*cluster_host)->endpoint()
            << (cluster->insecure ? " (insecure: plain TCP)" : "") << "\n"
            << std::flush;
  std::set<std::string> allowed_keys = cluster->allowed_keys;
  // Local runs are not counted: the cluster host knows the runs on workers.
  auto status_line = [&] {
    return std::to_string(host->Workers().size()) + " workers, " + std::to_string(host->running()) + " runs running";
  };
  notifier.Status(status_line());
  notifier.Ready();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stop) break;
    }
    // 100 ms: how long a stop waits at most; the watchdog's interval is seconds.
    pollfd p{hup_fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0 && (p.revents & POLLIN)) {
      signalfd_siginfo info{};
      while (::read(hup_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      }
      ReloadAllowedWorkers(cluster_options, *cluster, host, &allowed_keys);
    }
    notifier.Status(status_line());
    notifier.WatchdogTick(MonotonicMicros());
  }
  notifier.Stopping();
  std::cout << "barrage: stopping\n" << std::flush;
  (*server)->Stop();
  automation->Stop();     // no more fires; deliveries in flight get their stop timeout
  runs->StopAccepting();  // queued runs end `aborted`
  cluster_host->reset();  // stops the cluster runs in progress (their workers stop their load)
  runs.reset();           // stops the local runs in progress
  return kExitOk;
}

}  // namespace barrage
