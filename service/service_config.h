// The settings of `barrage serve` (issue 13): controller.toml's top-level `db` and its
// [server] table, merged under the command-line flags. The worker-facing settings
// ([cluster], [security]) are controller/cluster_config.h's, read from the same file.
//
//   db = "barrage.db"                 the results store (relative: against the file's folder)
//   [server]
//   listen = "127.0.0.1:8470"         the HTTP API (ADDRESS:PORT; [v6]:PORT)
//   tls_cert_file = "", tls_key_file = ""   PEM files; both set: HTTPS
//   public_url = ""                   how clients reach the API (report links in webhooks);
//                                     default http(s)://LISTEN
//   data_dir = ""                     uploaded plans and data files; default: the store's
//                                     path + ".files" (required with a postgresql:// db)
//   max_plan_bytes = 16777216         one uploaded .jmx
//   max_upload_bytes = 268435456      one upload request, plan and data files together
//   auth_failures_per_window = 10     refused tokens one client address may send within
//   auth_window_s = 60                the sliding window, then 429 (AuthLimiter::Options,
//                                     service/auth_limiter.h); 1-1000000 and 1-86400
//   max_local_runs = 1                runs without workers at once (each a `barrage run`
//                                     process using every core); 1-64, more wait queued
//
// An unknown key in [server], a wrong type or a bad value is an error naming the file, the
// line and the key. Thread-safe (pure functions).
#ifndef BARRAGE_SERVICE_SERVICE_CONFIG_H_
#define BARRAGE_SERVICE_SERVICE_CONFIG_H_

#include <cstdint>
#include <string>

#include "common/status.h"
#include "controller/cluster_config.h"

namespace barrage {

struct ServeOptions {
  std::string config_path{};  // --config controller.toml ("" = defaults)
  std::string db_path{};      // --db
  std::string listen{};       // --listen
  // The workers' side, as for cluster runs: --bind, --insecure, key permissions and the
  // hidden --heartbeat-ms; its config_path is the one above.
  ClusterOptions cluster{};
};

struct ServerSettings {
  std::string db_path = "barrage.db";
  std::string listen = "127.0.0.1:8470";
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string public_url;
  bool public_url_from_listen = false;  // not configured: made from `listen` (its port may be 0)
  std::string data_dir;
  int64_t max_plan_bytes = 16LL << 20;
  int64_t max_upload_bytes = 256LL << 20;
  int auth_failures_per_window = 10;
  int64_t auth_window_s = 60;
  int max_local_runs = 1;
};

// Reads the file (when given) and applies the flags; fills the defaults that depend on
// other settings (public_url, data_dir).
Result<ServerSettings> ResolveServerSettings(const ServeOptions& options);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVICE_CONFIG_H_
