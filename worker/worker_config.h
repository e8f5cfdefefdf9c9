// barrage-worker settings: worker.toml (config/worker.toml documents every key), then the
// command-line flags that override it.
//
// Errors name the file and the key (and the line when known), e.g.
// "worker.toml:7: key controller_timeout: expected a number of seconds > 0". Unknown keys
// are errors too (a typo must not silently fall back to a default).
#ifndef BARRAGE_WORKER_WORKER_CONFIG_H_
#define BARRAGE_WORKER_WORKER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace barrage {

inline constexpr double kMaxControllerTimeoutS = 366.0 * 24 * 3600;

struct WorkerConfig {
  std::string controller;                     // ZeroMQ endpoint, e.g. tcp://bastion:5570
  std::string name;                           // stable worker name; "" = the host name
  std::string work_dir = "/var/lib/barrage";  // plans, data files, spool
  double controller_timeout_s = 10;           // stop the load after this much silence
  int threads = 0;                            // event loops; 0 = one per core
  // Security (CurveZMQ). Plain TCP only with insecure = true.
  bool insecure = false;
  std::string secret_key_file;        // this worker's key pair (TOML key file)
  std::string controller_public_key;  // Z85 key, or a key file holding public_key
  // A key file with a secret key that group or others may access: refused unless this is
  // set (--allow-insecure-key-permissions), then warned about.
  bool allow_insecure_key_permissions = false;
  // Unacknowledged sample batches: memory first, then files in spool_dir.
  uint64_t spool_memory_bytes = 64ull << 20;
  std::string spool_dir;  // "" = <work_dir>/spool
  // Worker safety (issue 14): the hosts this worker may send load to (worker/target_policy.h
  // patterns; empty = any host), as read. LoadWorkerConfigFile checks them; `--allowed-target`
  // adds to them.
  std::vector<std::string> allowed_targets;
  // Caps on every run (0: none): virtual users at once (EngineOptions::max_vus), HTTP
  // requests per second across the thread groups (max_rps), and the run's length in seconds
  // (max_duration: then the load stops gracefully, as at the plan's own end).
  int64_t max_vus = 0;
  double max_rps = 0;
  double max_duration_s = 0;
  // Exit (code 0) once the first run this worker takes has ended and its results are
  // delivered (every batch acknowledged, Finished sent), or once it refused that run: an
  // ephemeral worker (a Kubernetes Job's pod) that serves one test.
  bool exit_after_run = false;

  // Not in the file (protocol timings; tests shorten them through flags).
  int heartbeat_ms = 1000;
  int batch_samples = 2000;  // a batch is sent when it holds this many samples
  int batch_flush_ms = 200;  // ... or when its oldest sample is this old
};

// Reads `path` into `config`, overwriting the fields the file sets.
Status LoadWorkerConfigFile(const std::string& path, WorkerConfig* config);

// Checks a complete configuration (after flags): controller endpoint, keys unless
// insecure. `source` names where the settings came from for messages ("worker.toml" or
// "command line").
Status ValidateWorkerConfig(const WorkerConfig& config, const std::string& source);

// `barrage-worker --check-config`: what Run() reads before it dials, checked without
// dialing: the key file (present, a key pair, mode 0600 unless
// allow_insecure_key_permissions, whose warning goes to `warnings`) and
// controller_public_key (a Z85 key or a public key file). Nothing when insecure. Errors
// name the key file, or `source` and the key.
Status CheckWorkerKeyFiles(const WorkerConfig& config, const std::string& source, std::vector<std::string>* warnings);

}  // namespace barrage

#endif  // BARRAGE_WORKER_WORKER_CONFIG_H_
