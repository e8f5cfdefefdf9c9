#include "service/serve_command.h"

#include <condition_variable>
#include <iostream>
#include <mutex>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "controller/results_store.h"
#include "controller/run_signals.h"
#include "service/auth_limiter.h"
#include "service/cluster_host.h"
#include "service/http_server.h"
#include "service/run_views.h"
#include "service/service_api.h"
#include "service/service_info.h"
#include "service/tokens.h"

namespace barrage {

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

  Result<TokenStore> tokens = TokenStore::Open(settings->db_path, /*must_exist=*/true);
  if (!tokens.ok()) {
    std::cerr << "barrage: " << tokens.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  AuthLimiter limiter(AuthLimiter::Options{}, SystemClock());
  ServiceApiContext context;
  context.public_url = settings->public_url;
  context.auth.tokens = &*tokens;
  context.auth.limiter = &limiter;
  context.auth.clock = &SystemClock();
  ClusterHost* host = cluster_host->get();
  context.workers = [host] { return host->Workers(); };
  RunViewContext run_views;
  run_views.auth = context.auth;
  run_views.db_path = settings->db_path;
  run_views.public_url = settings->public_url;
  run_views.queue_position = [](int64_t) { return std::optional<int>(); };  // no queue yet
  run_views.clock = &SystemClock();
  run_views.idle_read_handles = static_cast<size_t>(http.threads);
  run_views.run_cache_ttl = std::chrono::milliseconds(250);
  context.run_views = &run_views;
  ApiRouter router = BuildServiceApi(&context);
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Bind(http, &router);
  if (!server.ok()) {
    std::cerr << "barrage: " << server.status().message() << "\n";
    return server.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitRuntimeFailure;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  RunSignals::Armed armed = signals.Arm([&](int) {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  });
  (*server)->Start();
  const std::string api_host = http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host;
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
  cluster_host->reset();  // stops the runs in progress (their workers stop their load)
  return kExitOk;
}

}  // namespace barrage
