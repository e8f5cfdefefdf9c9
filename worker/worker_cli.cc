#include "worker/worker_cli.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "common/exit_codes.h"
#include "common/wire.h"
#include "worker/daemon.h"
#include "worker/worker_config.h"

namespace barrage {

int RunWorkerCli(int argc, char** argv) {
  CLI::App app{"barrage-worker: load generator daemon for a barrage controller"};
  app.set_version_flag("--version", std::string("barrage-worker ") + BARRAGE_VERSION);
  std::string config_path, controller, name, work_dir, keygen_path;
  double controller_timeout = 0;
  int threads = -1;
  bool insecure = false;
  bool allow_insecure_key_permissions = false;
  int heartbeat_ms = 0, batch_samples = 0, batch_flush_ms = 0;
  app.add_option("--config", config_path, "worker.toml (see config/worker.toml)");
  app.add_option("--controller", controller, "controller endpoint, e.g. tcp://bastion:5570");
  app.add_option("--name", name, "stable worker name (default: the host name)");
  app.add_option("--work-dir", work_dir, "plans, data files and the batch spool");
  app.add_option("--controller-timeout", controller_timeout, "seconds of controller silence after which the load stops")
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "event-loop threads (0: one per core)")->check(CLI::NonNegativeNumber);
  app.add_flag("--insecure", insecure, "plain TCP without CurveZMQ (the controller must agree)");
  int64_t max_vus = 0;
  double max_rps = 0;
  double max_duration = 0;
  app.add_option("--max-vus", max_vus, "most virtual users at once in any run (max_vus)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--max-rps", max_rps, "most HTTP requests per second in any run (max_rps)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-duration", max_duration, "seconds after which any run stops gracefully (max_duration)")
      ->check(CLI::Range(1.0, kMaxControllerTimeoutS));
  bool exit_after_run = false;
  app.add_flag("--exit-after-run", exit_after_run,
               "exit (code 0) once the first run has ended and its results are delivered, or was refused "
               "(exit_after_run)");
  std::vector<std::string> allowed_targets;
  app.add_option("--allowed-target", allowed_targets,
                 "a host this worker may send load to (repeatable; adds to allowed_targets): NAME, *.DOMAIN, "
                 "ADDRESS or CIDR, with an optional :PORT or :PORT-PORT");
  app.add_flag("--allow-insecure-key-permissions", allow_insecure_key_permissions,
               "accept a key file that group or others may read (with a warning) instead of refusing it");
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "read and check the settings (worker.toml, flags, key files), print FILE: OK or the error, exit 0 "
               "or 2 without dialing the controller");
  app.add_option("--keygen", keygen_path, "write a new CURVE key pair to FILE (mode 0600), print its public key, exit");
  // Protocol timings, for tests.
  app.add_option("--heartbeat-ms", heartbeat_ms)->group("")->check(CLI::Range(10, 60000));
  app.add_option("--batch-samples", batch_samples)->group("")->check(CLI::Range(1, 1000000));
  app.add_option("--batch-flush-ms", batch_flush_ms)->group("")->check(CLI::Range(1, 60000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (!keygen_path.empty()) {
    Result<CurveKeyPair> keys = GenerateCurveKeyPair();
    if (!keys.ok()) {
      std::cerr << "barrage-worker: " << keys.status().message() << "\n";
      return kExitRuntimeFailure;
    }
    Status s = WriteCurveKeyFile(keygen_path, *keys);
    if (!s.ok()) {
      std::cerr << "barrage-worker: " << s.message() << "\n";
      return kExitRuntimeFailure;
    }
    std::cout << keys->public_key << "\n";
    return kExitOk;
  }

  WorkerConfig config;
  std::string source = "command line";
  if (!config_path.empty()) {
    Status s = LoadWorkerConfigFile(config_path, &config);
    if (!s.ok()) {
      std::cerr << "barrage-worker: " << s.message() << "\n";
      return kExitUsage;
    }
    source = config_path;
  }
  if (!controller.empty()) config.controller = controller;
  if (!name.empty()) config.name = name;
  if (!work_dir.empty()) config.work_dir = work_dir;
  if (controller_timeout > 0) config.controller_timeout_s = controller_timeout;
  if (threads >= 0) config.threads = threads;
  if (insecure) config.insecure = true;
  if (max_vus > 0) config.max_vus = max_vus;
  if (max_rps > 0) config.max_rps = max_rps;
  if (max_duration > 0) config.max_duration_s = max_duration;
  if (exit_after_run) config.exit_after_run = true;
  config.allowed_targets.insert(config.allowed_targets.end(), allowed_targets.begin(), allowed_targets.end());
  if (allow_insecure_key_permissions) config.allow_insecure_key_permissions = true;
  if (heartbeat_ms > 0) config.heartbeat_ms = heartbeat_ms;
  if (batch_samples > 0) config.batch_samples = batch_samples;
  if (batch_flush_ms > 0) config.batch_flush_ms = batch_flush_ms;
  if (Status s = ValidateWorkerConfig(config, source); !s.ok()) {
    std::cerr << "barrage-worker: " << s.message() << "\n";
    return kExitUsage;
  }
  if (check_config) {
    std::vector<std::string> warnings;
    Status s = CheckWorkerKeyFiles(config, source, &warnings);
    for (const std::string& w : warnings) std::cerr << "barrage-worker: WARNING: " << w << "\n";
    if (!s.ok()) {
      std::cerr << "barrage-worker: " << s.message() << "\n";
      return kExitUsage;
    }
    std::cout << source << ": OK\n";
    return kExitOk;
  }

  // One line per event on stderr (the journal under systemd); stdout stays for --keygen.
  spdlog::set_default_logger(spdlog::stderr_color_mt("barrage-worker"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  // SIGTERM/SIGINT arrive through a signalfd polled by the control loop; blocked before
  // any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "barrage-worker: signalfd failed\n";
    return kExitRuntimeFailure;
  }
  WorkerDaemon daemon(config);
  int code = daemon.Run(signal_fd);
  ::close(signal_fd);
  return code;
}

}  // namespace barrage
