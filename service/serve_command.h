// `barrage serve`: the long-running controller on the bastion (issue 13; docs/service.md).
// Opens (or creates) the results store — which marks the runs of a controller that died
// `aborted` — binds the workers' socket (service/cluster_host.h: workers join its pool)
// and the HTTP API, prints both addresses and serves until SIGTERM or SIGINT. SIGHUP
// reloads the allowed worker keys (ReloadAllowedWorkers below). Returns the exit code: 0 after a signal,
// 2 for a bad configuration (the message names the file, line and key), 1 when the store or the address cannot be
// opened.
#ifndef BARRAGE_SERVICE_SERVE_COMMAND_H_
#define BARRAGE_SERVICE_SERVE_COMMAND_H_

#include "service/service_config.h"

namespace barrage {

int RunServe(const ServeOptions& options);

// `barrage serve --check-config`: reads and checks what RunServe would (controller.toml's
// db, [server], [cluster] and [security], the flags, the key files with their modes, the
// TLS files' presence, the listen address) without opening the store or a socket. Prints
// "FILE: OK" ("command line: OK" without --config) to stdout and returns 0, or prints the
// error (naming the file, line and key) to stderr and returns 2.
int RunServeCheckConfig(const ServeOptions& options);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVE_COMMAND_H_
