#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/token_command.h"
#include "common/exit_codes.h"
#include "controller/compare.h"
#include "controller/elements_command.h"
#include "controller/inspect.h"
#include "controller/jtl_export.h"
#include "controller/jtl_import.h"
#include "controller/report_command.h"
#include "controller/run_command.h"
#include "controller/runs_command.h"
#include "controller/workers_command.h"
#include "service/remote_run.h"
#include "service/serve_command.h"

namespace barrage {
namespace {

// JMeter's non-GUI spelling (`jmeter -n -t plan.jmx -l out.jtl -Jx=y -q f`) as `run`.
// Returns false (with a message) for JMeter options Barrage does not take.
bool TranslateJMeterArgs(const std::vector<std::string>& in, std::vector<std::string>* out) {
  std::string plan;
  std::vector<std::string> rest;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    // JMeter takes `-tplan.jmx` and `-t plan.jmx`; long options (`--testfile plan.jmx`)
    // always take the next argument.
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (a.rfind("--", 0) != 0 && a.size() > 2) return a.substr(2);
      if (i + 1 < in.size()) return in[++i];
      std::cerr << "barrage: " << (a.rfind("--", 0) == 0 ? a.c_str() : flag) << " needs a value\n";
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
    } else if (a.rfind("-R", 0) == 0 || a == "--remotestart") {
      // Remote hosts: Barrage's workers are named, so JMeter's host list names the workers.
      auto v = value("-R");
      if (!v) return false;
      rest.push_back("--worker-names");
      rest.push_back(*v);
    } else if (a == "--config" || a == "--bind" || a == "--insecure" || a == "--connect-to") {
      // Barrage's cluster settings, which JMeter's spelling has no words for.
      rest.push_back(a);
      if (a != "--insecure") {
        if (i + 1 >= in.size()) {
          std::cerr << "barrage: " << a << " needs a value\n";
          return false;
        }
        rest.push_back(in[++i]);
      }
    } else if (a.rfind("-D", 0) == 0 || a == "--systemproperty") {
      auto v = value("-D");
      if (!v) return false;
      rest.push_back("-D");
      rest.push_back(*v);
    } else if (a.rfind("-j", 0) == 0 || a.rfind("-L", 0) == 0) {
      if (a.size() == 2) ++i;  // JMeter log file / log level: not used
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
  if (!args.empty() &&
      (args[0] == "-n" || args[0] == "--nongui" || args[0] == "--testfile" || args[0].rfind("-t", 0) == 0)) {
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

  bool markdown = false;
  CLI::App* elements =
      app.add_subcommand("elements", "List the elements Barrage runs, ignores and cannot run (from its own tables)");
  elements->add_flag("--markdown", markdown, "print the Markdown table the README holds");

  RunOptions ro;
  CLI::App* run = app.add_subcommand("run", "Run a plan on this machine and record its samples");
  run->add_option("PLAN", ro.plan_path, "the .jmx file")->required();
  // One value per flag (repeat the flag), so `run -J a=b plan.jmx` keeps the plan.
  run->add_option("-J,--property", ro.properties, "set a JMeter property: -J name=value (repeatable)")
      ->allow_extra_args(false);
  run->add_option("-D,--system-property", ro.system_properties,
                  "set a Java system property: -D name=value (repeatable; javax.net.ssl.keyStore...)")
      ->allow_extra_args(false);
  run->add_option("-q,--property-file", ro.property_files, "load JMeter properties from a file (repeatable)")
      ->allow_extra_args(false);
  run->add_option("-l,--jtl", ro.jtl_path, "also write samples to this JTL CSV (JMeter's default columns)");
  run->add_option("--db", ro.db_path, "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  run->add_option("--project", ro.project, "project the run is recorded in (default: default)");
  run->add_option("--queued-run", ro.queued_run, "begin this queued run of the store (barrage serve uses it)")
      ->check(CLI::PositiveNumber);
  run->add_option("--duration", ro.duration_s, "stop gracefully after this many seconds")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--stop-timeout", ro.stop_timeout_s,
                  "abort the requests still in flight this many seconds after a graceful stop (default 5)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--threads", ro.event_loops, "event-loop threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--summary-interval", ro.summary_interval_s, "seconds between summary lines (default 5)")
      ->check(CLI::PositiveNumber);
  run->add_flag("--skip-unsupported", ro.skip_unsupported, "run without the elements Barrage cannot run");
  run->add_flag("--quiet", ro.quiet, "no live summary lines");
  run->add_option("--threshold", ro.thresholds,
                  "pass/fail criterion, e.g. 'p(95)<500', 'login: p(99)<800', 'error_rate<0.01' (repeatable; "
                  "a failure gives exit code 99)")
      ->allow_extra_args(false);
  run->add_option("--thresholds", ro.thresholds_file, "TOML file of thresholds (config/thresholds.example.toml)");
  run->add_flag("--abort-on-fail", ro.abort_on_fail,
                "check the thresholds every summary interval; stop when one fails");
  run->add_option("--connect-to", ro.connect_to,
                  "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT: requests to HOST:PORT connect there instead; URL, "
                  "Host header, cookies and TLS SNI stay the plan's (curl's option; empty = any; repeatable)")
      ->allow_extra_args(false);
  run->add_option("--metrics-listen", ro.metrics_listen,
                  "serve the run's live metrics for Prometheus at http://ADDR/metrics (ADDR: 127.0.0.1:9270, "
                  "[::1]:0, 0.0.0.0:9270)");
  run->add_option("--metrics-linger", ro.metrics_linger_s,
                  "after the run, wait up to this many seconds for a last scrape of --metrics-listen (default 15)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--influx", ro.influx_url,
                  "send live metrics to InfluxDB as JMeter's InfluxDB Backend Listener does "
                  "(http://HOST:8086/write?db=jmeter; points every second)");
  run->add_option("--influx-token", ro.influx_token, "InfluxDB 2's API token for --influx (Authorization: Token)");
  // Cluster mode (controller/cluster_run.h).
  ClusterOptions& cl = ro.cluster;
  run->add_option("--workers", cl.workers, "run on N barrage-worker daemons (any names)")->check(CLI::PositiveNumber);
  run->add_option("--worker-names,-R", cl.worker_names, "run on these workers (comma-separated names; JMeter's -R)")
      ->delimiter(',')
      ->allow_extra_args(false);
  run->add_option("--bind", cl.bind, "controller endpoint the workers dial (default tcp://0.0.0.0:5570)");
  run->add_option("--config", cl.config_path, "controller.toml: keys, worker allowlist, bind (see config/)");
  run->add_flag("--insecure", cl.insecure, "plain TCP without CurveZMQ authentication");
  run->add_flag("--allow-insecure-key-permissions", cl.allow_insecure_key_permissions,
                "accept key files that group or others may read (with a warning) instead of refusing them");
  run->add_option("--worker-timeout", cl.worker_timeout_s, "seconds to wait for the workers (default 60)")
      ->check(CLI::PositiveNumber);
  run->add_option("--min-workers", cl.min_workers, "the run succeeds while at least N workers finish")
      ->check(CLI::PositiveNumber);
  run->add_option("--share", cl.share, "thread counts per-worker (JMeter, default) or total (divided)")
      ->check(CLI::IsMember({"per-worker", "total"}));
  run->add_option("--split-data", cl.split_data, "give each worker a disjoint share of this CSV's rows (repeatable)")
      ->allow_extra_args(false);
  run->add_option("--heartbeat-ms", cl.heartbeat_ms, "heartbeat interval (tests)")->group("");
  // On a `barrage serve` (service/remote_run.h).
  RemoteRunOptions remote;
  run->add_option("--server", remote.server,
                  "run on this barrage serve (http(s)://HOST:PORT): upload the plan and its data files, print the "
                  "run's summary lines, exit with its code");
  run->add_option("--token", remote.token, "the service's API token (better: the environment's BARRAGE_TOKEN)");
  run->add_option("--server-ca", remote.server_ca, "CA bundle (PEM) that signed the service's certificate");
  bool no_queue = false;
  run->add_flag("--no-queue", no_queue, "refuse the run on the service instead of waiting while what it needs is busy");

  WorkersOptions wo;
  CLI::App* workers = app.add_subcommand("workers", "List the workers that connect to this controller, then exit");
  workers->add_option("--listen", wo.listen, "how long to listen (default 5s)");
  workers->add_option("--bind", wo.cluster.bind, "controller endpoint (default tcp://0.0.0.0:5570)");
  workers->add_option("--config", wo.cluster.config_path, "controller.toml");
  workers->add_flag("--insecure", wo.cluster.insecure, "plain TCP without CurveZMQ authentication");
  workers->add_flag("--allow-insecure-key-permissions", wo.cluster.allow_insecure_key_permissions,
                    "accept key files that group or others may read (with a warning) instead of refusing them");

  std::string keygen_path;
  CLI::App* keygen = app.add_subcommand("keygen", "Write a new CurveZMQ key pair for the controller");
  keygen->add_option("-o,--output", keygen_path, "the key file to create (mode 0600)")->required();

  ExportOptions eo;
  CLI::App* jtl_export =
      app.add_subcommand("export", "Write a run's samples as a JTL CSV (JMeter's 17 default columns)");
  jtl_export->add_option("RUN", eo.run, "run id, last or last-passed")->required();
  jtl_export->add_option("-o,--output", eo.out_path, "the JTL file to write (- = standard output)")->required();
  jtl_export->add_option("--db", eo.db_path,
                         "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  jtl_export->add_option("--project", eo.project, "project the run belongs to (default: default)");
  jtl_export->add_flag("--intended-start", eo.intended_start,
                       "add barrage's intendedStart column (the start the sample's schedule intended, epoch ms)");

  ImportOptions io;
  CLI::App* jtl_import = app.add_subcommand("import", "Load a JTL written by JMeter as a new run; prints its id");
  jtl_import->add_option("JTL", io.jtl_path, "the JTL CSV file")->required();
  jtl_import->add_option("--plan", io.plan_path, "the .jmx that produced it (stored as the run's definition)");
  jtl_import->add_option("--timestamp-format", io.timestamp_format,
                         "timeStamp format: ms or a Java date pattern such as 'yyyy/MM/dd HH:mm:ss.SSS' "
                         "(default: detected)");
  jtl_import->add_option("--db", io.db_path,
                         "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  jtl_import->add_option("--project", io.project, "project to import into (default: default)");

  ReportOptions rpo;
  bool report_ms = false;
  CLI::App* report = app.add_subcommand("report", "Print or write a run's Aggregate Report; evaluate thresholds on it");
  report->add_option("RUN", rpo.run, "run id, last or last-passed")->required();
  report->add_option("--db", rpo.db_path, "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  report->add_option("--project", rpo.project, "project the run belongs to (default: default)");
  report->add_option("--format", rpo.format, "text (default), csv (JMeter 5's Save Table Data), json, junit or html")
      ->check(CLI::IsMember({"text", "csv", "json", "junit", "html"}));
  report->add_option("-o,--output", rpo.output_path, "write to this file (default: standard output)");
  CLI::Option* ms_flag = report->add_flag("--ms", report_ms, "times in milliseconds (default, as JMeter)");
  report
      ->add_flag("--us", rpo.microseconds,
                 "times in microseconds: computed from the raw samples (a full scan), not the per-second rollups")
      ->excludes(ms_flag);
  report->add_option("--threshold", rpo.thresholds, "evaluate this threshold and store the result (repeatable)")
      ->allow_extra_args(false);
  report->add_option("--thresholds", rpo.thresholds_file, "TOML file of thresholds to evaluate");

  CompareOptions cmo;
  std::string compare_first, compare_second;
  CLI::App* compare = app.add_subcommand("compare", "Compare a run with a baseline run; exit 99 on a regression");
  compare->add_option("BASELINE", compare_first, "the baseline run: an id, last or last-passed");
  compare->add_option("RUN", compare_second, "the run to judge (default last)");
  compare->add_option("--baseline", cmo.baseline,
                      "the baseline run (e.g. last-passed: the newest passed run before RUN)");
  compare->add_option("--tolerance", cmo.tolerance, "allowed latency increase / throughput decrease (default 10%)");
  compare->add_option("--format", cmo.format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  compare->add_option("--db", cmo.db_path, "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  compare->add_option("--project", cmo.project, "project the runs belong to (default: default)");

  RunsOptions rso;
  CLI::App* runs = app.add_subcommand("runs", "List the recorded runs of a project, newest first");
  runs->add_option("--db", rso.db_path, "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  runs->add_option("--project", rso.project, "project whose runs to list (default: default)");
  runs->add_flag("--json", rso.json, "print a JSON array instead of a table");

  RunsOptions dso;
  std::string delete_run;
  CLI::App* del = app.add_subcommand("delete", "Delete a run and its samples from the store (audit-logged)");
  del->add_option("RUN", delete_run, "run id, last or last-passed")->required();
  del->add_option("--db", dso.db_path, "results store: a SQLite file or a postgresql:// URL (default: barrage.db)");
  del->add_option("--project", dso.project, "project the run belongs to (default: default)");

  ServeOptions so;
  CLI::App* serve =
      app.add_subcommand("serve", "Run as a service: the HTTP API for CI and people, until SIGTERM (docs/service.md)");
  serve->add_option("--config", so.config_path, "controller.toml ([server] listen, TLS, limits; db)");
  serve->add_option("--db", so.db_path, "SQLite results store (default: the config's db, else barrage.db)");
  serve->add_option("--listen", so.listen, "ADDRESS:PORT of the HTTP API (default 127.0.0.1:8470; port 0: any)");
  serve->add_option("--bind", so.cluster.bind, "endpoint the workers dial (default tcp://0.0.0.0:5570)");
  serve->add_flag("--insecure", so.cluster.insecure, "workers on plain TCP without CurveZMQ authentication");
  serve->add_flag("--allow-insecure-key-permissions", so.cluster.allow_insecure_key_permissions,
                  "accept key files that group or others may read (with a warning) instead of refusing them");
  serve->add_option("--heartbeat-ms", so.cluster.heartbeat_ms, "heartbeat interval (tests)")->group("");
  bool serve_check_config = false;
  serve->add_flag("--check-config", serve_check_config,
                  "read and check the settings (controller.toml, flags, key files), print FILE: OK or the error, "
                  "exit 0 or 2 without opening the store or listening");

  TokenCommand token;
  AddTokenCommand(app, &token);

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
  if (elements->parsed()) return RunElements(markdown);
  if (run->parsed() && !remote.server.empty()) {
    for (std::string_view name : kLocalOnlyRunOptions) {
      if (run->count(std::string(name)) > 0) {
        std::cerr << "barrage: " << name << " cannot be used with --server\n";
        return kExitUsage;
      }
    }
  } else if (run->parsed() &&
             (run->count("--token") > 0 || run->count("--server-ca") > 0 || run->count("--no-queue") > 0)) {
    std::cerr << "barrage: --token, --server-ca and --no-queue need --server\n";
    return kExitUsage;
  }
  if (run->parsed() && !ro.cluster.enabled() &&
      (!ro.cluster.split_data.empty() || ro.cluster.min_workers > 0 || !ro.cluster.share.empty() ||
       !ro.cluster.bind.empty() || ro.cluster.worker_timeout_s > 0)) {
    std::cerr << "barrage: --bind, --share, --split-data, --min-workers and --worker-timeout need --workers or "
                 "--worker-names\n";
    return kExitUsage;
  }
  if (run->parsed() && !remote.server.empty()) {
    remote.run = ro;
    remote.queue = !no_queue;
    return RunOnServer(remote, std::cout, std::cerr);
  }
  if (run->parsed()) return RunPlan(ro);
  if (runs->parsed()) return RunRuns(rso);
  if (del->parsed()) return RunDelete(dso, delete_run);
  if (report->parsed()) return RunReport(rpo);
  if (compare->parsed()) {
    // `compare BASELINE RUN`, or `compare --baseline REF [RUN]`.
    if (!compare_second.empty() && cmo.baseline.empty()) {
      cmo.baseline = compare_first;
      cmo.run = compare_second;
    } else if (compare_second.empty() && !cmo.baseline.empty()) {
      if (!compare_first.empty()) cmo.run = compare_first;
    } else {
      std::cerr << "barrage: compare needs BASELINE RUN, or --baseline REF [RUN]\n";
      return kExitUsage;
    }
    return RunCompare(cmo);
  }
  if (workers->parsed()) return RunWorkers(wo);
  if (keygen->parsed()) return RunKeygen(keygen_path);
  if (jtl_export->parsed()) return RunExport(eo);
  if (jtl_import->parsed()) return RunImport(io);
  if (serve->parsed()) return serve_check_config ? RunServeCheckConfig(so) : RunServe(so);
  if (token.token->parsed()) return RunTokenCommand(token);
  return kExitUsage;
}

}  // namespace barrage
