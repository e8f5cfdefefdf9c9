#include "worker/worker_cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

namespace barrage {

int RunWorkerCli(int argc, char** argv) {
  CLI::App app{"barrage-worker: load generator daemon for a barrage controller"};
  app.set_version_flag("--version", std::string("barrage-worker ") + BARRAGE_VERSION);
  std::string config_path, controller, name;
  app.add_option("--config", config_path, "worker.toml (see config/worker.toml)");
  app.add_option("--controller", controller, "controller endpoint, e.g. tcp://bastion:5570");
  app.add_option("--name", name, "stable worker name");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // The daemon's control loop (registration, plan distribution, sample streaming) is
  // delivered by the cluster-mode issue; until then the worker refuses to start.
  std::cerr << "barrage-worker: cluster mode is not available in this version; "
               "run plans locally with `barrage run`\n";
  return 1;
}

}  // namespace barrage
