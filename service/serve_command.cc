#include "service/serve_command.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/exit_codes.h"
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
#include "service/tokens.h"

namespace barrage {
namespace {

// The running executable (local runs start it as `barrage run`).
std::string SelfExecutable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("barrage") : self.string();
}

}  // namespace

int RunServe(const ServeOptions& options) {
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
  run_options.db_path = std::filesystem::absolute(settings->db_path).string();
  run_options.data_dir = std::filesystem::absolute(settings->data_dir).string();
  run_options.barrage_binary = SelfExecutable();
  run_options.host = host;
  run_options.max_local_runs = settings->max_local_runs;
  run_options.cluster = &*cluster;
  run_options.log = print;
  run_options.finished = [&automation_for_ends](int64_t id) {
    if (ServiceAutomation* a = automation_for_ends.load()) a->OnRunFinished(id);
  };
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
            << (*server)->port() << kApiBase << " (barrage " << ServiceVersion() << ", store " << settings->db_path
            << ")\n"
            << "barrage: workers dial " << (*cluster_host)->endpoint()
            << (cluster->insecure ? " (insecure: plain TCP)" : "") << "\n"
            << std::flush;
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stop; });
  }
  std::cout << "barrage: stopping\n" << std::flush;
  (*server)->Stop();
  automation->Stop();     // no more fires; deliveries in flight get their stop timeout
  runs->StopAccepting();  // queued runs end `aborted`
  cluster_host->reset();  // stops the cluster runs in progress (their workers stop their load)
  runs.reset();           // stops the local runs in progress
  return kExitOk;
}

}  // namespace barrage
