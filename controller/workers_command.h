// `barrage workers [--listen 5s]`: binds the controller's endpoint for a while and lists the
// workers that say Hello (name, host, cores, version, protocol range), one line each as
// they come, then a count. Nothing is answered, so the workers keep waiting for a real
// controller run and are not disturbed. `barrage keygen -o FILE`: writes a new CurveZMQ
// key pair (mode 0600) and prints its public key (one line, Z85) for the workers to pin.
#ifndef BARRAGE_CONTROLLER_WORKERS_COMMAND_H_
#define BARRAGE_CONTROLLER_WORKERS_COMMAND_H_

#include <cstdint>
#include <string>

#include "controller/cluster_config.h"

namespace barrage {

struct WorkersOptions {
  ClusterOptions cluster;     // --bind, --config, --insecure
  std::string listen = "5s";  // --listen: "5s", "500ms", "2m" or plain seconds
};

// Exit code: 0 (also when no worker came), 2 bad options, 1 cannot listen.
int RunWorkers(const WorkersOptions& options);

int RunKeygen(const std::string& path);

// "5s", "250ms", "2m", "3" (seconds) -> milliseconds; nullopt-like -1 when invalid.
int64_t ParseDurationMs(const std::string& text);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_WORKERS_COMMAND_H_
