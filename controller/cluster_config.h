// Cluster-mode settings of the controller: the command-line flags (ClusterOptions) merged
// over controller.toml (config/controller.toml documents every key):
//
//   [cluster]  bind = "tcp://0.0.0.0:5570", wait_for_workers = 60 (s), share = "per-worker"|"total",
//              min_workers = N
//   [security] secret_key_file = "controller.key" (a key file, see common/wire.h),
//              allowed_workers = ["<Z85 public key>" or "<public key file>",
//                                 { name = "lg-01", key = "<key or key file>" }, ...],
//              allowed_workers_dir = "workers.d" (every regular file in it is a public key file),
//              insecure = false,
//              allow_insecure_key_permissions = false (a key file holding a secret key that group
//              or others may access is refused unless this or the flag is set; then warned about)
//
// Relative paths in the file resolve against the file's folder. Flags win over the file.
// Errors name the file and the key. Thread-safe (pure functions).
#ifndef BARRAGE_CONTROLLER_CLUSTER_CONFIG_H_
#define BARRAGE_CONTROLLER_CLUSTER_CONFIG_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace barrage {

// The flags of `barrage run` / `barrage workers` for cluster mode ("unset" = empty/0/false).
struct ClusterOptions {
  int workers = 0;                              // --workers N
  std::vector<std::string> worker_names;        // --worker-names a,b / -R a,b
  std::string bind;                             // --bind
  std::string config_path;                      // --config controller.toml
  bool insecure = false;                        // --insecure
  int64_t worker_timeout_s = 0;                 // --worker-timeout (registration wait)
  int min_workers = 0;                          // --min-workers
  std::string share;                            // --share per-worker|total
  std::vector<std::string> split_data;          // --split-data FILE (repeatable)
  int64_t heartbeat_ms = 0;                     // --heartbeat-ms (hidden; tests)
  bool allow_insecure_key_permissions = false;  // --allow-insecure-key-permissions

  bool enabled() const { return workers > 0 || !worker_names.empty(); }
};

// The effective settings after merging.
struct ClusterSettings {
  std::string bind = "tcp://0.0.0.0:5570";
  int64_t wait_for_workers_s = 60;
  std::string share = "per-worker";
  int min_workers = 0;
  bool insecure = false;
  std::string secret_key;              // Z85
  std::string public_key;              // Z85 (printed for workers to pin)
  std::set<std::string> allowed_keys;  // Z85
  // Worker name -> the Z85 key it must register with (entries with a name).
  std::map<std::string, std::string> bound_names;
  int64_t heartbeat_ms = 1000;
  // One line each, for the operator: key files accepted although group or others may
  // access them (allow_insecure_key_permissions).
  std::vector<std::string> warnings;
};

// Reads `options.config_path` (when set) and applies the flags over it. A secure setup
// needs a secret key and at least one allowed worker key; --insecure / insecure = true
// needs neither.
Result<ClusterSettings> ResolveClusterSettings(const ClusterOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_CLUSTER_CONFIG_H_
