#include "controller/cli.h"

#include <CLI/CLI.hpp>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "controller/inspect.h"
#include "controller/run_command.h"

namespace barrage {
namespace {

// JMeter's non-GUI spelling (`jmeter -n -t plan.jmx -l out.jtl -Jx=y -q f`) as `run`.
// Returns false (with a message) for JMeter options Barrage does not take.
bool TranslateJMeterArgs(const std::vector<std::string>& in, std::vector<std::string>* out) {
  std::string plan;
  std::vector<std::string> rest;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (a.size() > 2) return a.substr(2);
      if (i + 1 < in.size()) return in[++i];
      std::cerr << "barrage: " << flag << " needs a value\n";
      return std::nullopt;
    };
    if (a == "-n" || a == "--nongui") continue;
    if (a.rfind("-t", 0) == 0 || a == "--testfile") {
      auto v = value("-t");
      if (!v) return false;
      plan = *v;
    } else if (a.rfind("-l", 0) == 0 || a == "--logfile") {
      auto v = value("-l");
      if (!v) return false;
      rest.push_back("-l");
      rest.push_back(*v);
    } else if (a.rfind("-J", 0) == 0 || a.rfind("-G", 0) == 0) {
      auto v = value("-J");
      if (!v) return false;
      rest.push_back("-J");
      rest.push_back(*v);
    } else if (a.rfind("-q", 0) == 0 || a == "--addprop") {
      auto v = value("-q");
      if (!v) return false;
      rest.push_back("-q");
      rest.push_back(*v);
    } else if (a.rfind("-j", 0) == 0 || a.rfind("-L", 0) == 0 || a.rfind("-D", 0) == 0) {
      if (a.size() == 2) ++i;  // JMeter log file / log level / system property: not used
    } else {
      std::cerr << "barrage: JMeter option " << a << " is not supported (see `barrage run --help`)\n";
      return false;
    }
  }
  if (plan.empty()) {
    std::cerr << "barrage: -n needs -t PLAN.jmx\n";
    return false;
  }
  out->push_back("run");
  out->push_back(plan);
  out->insert(out->end(), rest.begin(), rest.end());
  return true;
}

}  // namespace

int RunCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-n" || args[0].rfind("-t", 0) == 0)) {
    std::vector<std::string> translated;
    if (!TranslateJMeterArgs(args, &translated)) return kExitUsage;
    args = translated;
  }

  CLI::App app{"barrage: distributed load testing for JMeter .jmx plans"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("barrage ") + BARRAGE_VERSION);

  std::string inspect_plan;
  bool json = false;
  CLI::App* inspect = app.add_subcommand("inspect", "Show what a plan contains and whether Barrage can run it");
  inspect->add_option("PLAN", inspect_plan, "the .jmx file")->required();
  inspect->add_flag("--json", json, "print one JSON object instead of text");

  RunOptions ro;
  CLI::App* run = app.add_subcommand("run", "Run a plan on this machine and record its samples");
  run->add_option("PLAN", ro.plan_path, "the .jmx file")->required();
  // One value per flag (repeat the flag), so `run -J a=b plan.jmx` keeps the plan.
  run->add_option("-J,--property", ro.properties, "set a JMeter property: -J name=value (repeatable)")
      ->allow_extra_args(false);
  run->add_option("-q,--property-file", ro.property_files, "load JMeter properties from a file (repeatable)")
      ->allow_extra_args(false);
  run->add_option("-l,--jtl", ro.jtl_path, "also write samples to this JTL CSV (JMeter's default columns)");
  run->add_option("--db", ro.db_path, "SQLite results store (default: barrage.db)");
  run->add_option("--duration", ro.duration_s, "stop gracefully after this many seconds")->check(CLI::NonNegativeNumber);
  run->add_option("--threads", ro.event_loops, "event-loop threads (default: one per core)")->check(CLI::NonNegativeNumber);
  run->add_option("--summary-interval", ro.summary_interval_s, "seconds between summary lines (default 5)")
      ->check(CLI::PositiveNumber);
  run->add_flag("--skip-unsupported", ro.skip_unsupported, "run without the elements Barrage cannot run");
  run->add_flag("--quiet", ro.quiet, "no live summary lines");

  std::vector<const char*> cargv;
  cargv.push_back(argv[0]);
  for (const std::string& a : args) cargv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargv.size()), const_cast<char**>(cargv.data()));
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (inspect->parsed()) return RunInspect(inspect_plan, json);
  if (run->parsed()) return RunPlan(ro);
  return kExitUsage;
}

}  // namespace barrage
