#include "controller/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

#include "controller/inspect.h"

namespace barrage {

int RunCli(int argc, char** argv) {
  CLI::App app{"barrage: distributed load testing for JMeter .jmx plans"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("barrage ") + BARRAGE_VERSION);

  std::string plan_path;
  bool json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "Show what a plan contains and whether Barrage can run it");
  inspect->add_option("PLAN", plan_path, "the .jmx file")->required();
  inspect->add_flag("--json", json, "print one JSON object instead of text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (inspect->parsed()) return RunInspect(plan_path, json);
  return kExitUsage;
}

}  // namespace barrage
