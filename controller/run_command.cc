#include "controller/run_command.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "common/clock.h"
#include "common/connect_to.h"
#include "common/exit_codes.h"
#include "common/functions.h"
#include "common/host.h"
#include "common/output_file.h"
#include "common/plan_compiler.h"
#include "controller/cluster_run.h"
#include "controller/execution_info.h"
#include "controller/graphite_sink.h"
#include "controller/influx_sink.h"
#include "controller/metrics_endpoint.h"
#include "controller/run_recording.h"
#include "controller/run_signals.h"
#include "controller/thresholds.h"
#include "worker/engine.h"
#include "worker/script_host.h"
#include "worker/script_runtime.h"

namespace barrage {
namespace {

// A local run's infrastructure info (the script host, when one ran, joins it at the end).
constexpr char kLocalInfra[] = R"({"mode":"local"})";

// --db and -l must not name a file the run reads, nor -l the store: the JTL is appended
// to and the store written, which would destroy them. Data files named by a template are
// known only at run time and are not checked.
Status RefuseOverwritingInputs(const RunOptions& options, const Plan& plan, const std::string& base_dir,
                               const std::vector<ListenerFile>& listener_files) {
  std::vector<ProtectedFile> inputs = {{options.plan_path, "the plan"},
                                       {options.thresholds_file, "the thresholds file"}};
  for (const std::string& file : options.property_files) inputs.push_back({file, "a property file"});
  for (const std::string& file : options.cluster.split_data) inputs.push_back({file, "a data file of the plan"});
  for (const DataFile& df : plan.data_files) {
    std::string name(TrimAscii(df.filename));
    if (name.empty() || name.find("${") != std::string::npos) continue;
    // Looked up in the plan's folder, then in the working directory (worker/csv_data.h).
    inputs.push_back({name, "a data file of the plan"});
    if (std::filesystem::path(name).is_relative()) {
      inputs.push_back({(std::filesystem::path(base_dir) / name).string(), "a data file of the plan"});
    }
  }
  if (Status s = RefuseOverwrite(options.db_path, "the results store", inputs); !s.ok()) return s;
  for (ProtectedFile& f : ResultsStoreFiles(options.db_path)) inputs.push_back(std::move(f));
  // A listener's file may be the -l JTL (JMeter writes both into it) but no input.
  for (const ListenerFile& f : listener_files) {
    if (Status s = RefuseOverwrite(f.path, "the file of " + f.listener, inputs); !s.ok()) return s;
  }
  if (options.jtl_path.empty()) return Status::Ok();
  return RefuseOverwrite(options.jtl_path, "the JTL", inputs);
}

// The plan's Backend Listeners and --influx as sinks; false with the message written.
bool MakeLiveSinks(const RunOptions& options, const Plan& plan, const LoadedPlan& loaded, RunContext& run,
                   std::ostream& err, std::vector<std::unique_ptr<LiveMetricsSink>>* out) {
  ThreadContext ctx;
  ctx.run = &run;
  for (const BackendListenerSpec& b : plan.backend_listeners) {
    std::vector<std::pair<std::string, std::string>> args;
    for (const BackendListenerSpec::Argument& a : b.arguments) args.emplace_back(a.name, Evaluate(a.value, ctx));
    const std::string where = options.plan_path + ":" + std::to_string(b.line) + ": BackendListener '" + b.name + "'";
    if (b.client == BackendListenerSpec::Client::kGraphite) {
      Result<GraphiteOptions> g = GraphiteOptionsFromArguments(args);
      if (!g.ok()) {
        err << "barrage: " << where << ": " << g.status().message() << "\n";
        return false;
      }
      if (Status s = ApplyGraphiteProperties(run.properties, &*g); !s.ok()) {
        err << "barrage: " << where << ": " << s.message() << "\n";
        return false;
      }
      g->thread_prefix = b.thread_prefix;
      g->queue_lines = static_cast<size_t>(std::max<int64_t>(b.queue_size, 100));
      out->push_back(std::make_unique<GraphiteSink>(std::move(g).value(), err));
      continue;
    }
    Result<InfluxOptions> o = InfluxOptionsFromArguments(args);
    if (!o.ok()) {
      err << "barrage: " << where << ": " << o.status().message() << "\n";
      return false;
    }
    if (Status s = ApplyInfluxProperties(run.properties, &*o); !s.ok()) {
      err << "barrage: " << where << ": " << s.message() << "\n";
      return false;
    }
    o->thread_prefix = b.thread_prefix;
    o->queue_points = static_cast<size_t>(std::max<int64_t>(b.queue_size, 100));
    out->push_back(std::make_unique<InfluxSink>(std::move(o).value(), err));
  }
  if (options.influx_url.empty()) return true;
  // JMeter's default arguments, the plan's name for application and testTitle.
  std::string name = plan.root ? std::string(TrimAscii(plan.root->name)) : "";
  if (name.empty()) name = std::filesystem::path(loaded.file_name).stem().string();
  InfluxOptions o;
  o.url = options.influx_url;
  o.token = options.influx_token;
  o.application = name;
  o.test_title = name;
  o.percentiles = "90;95;99";
  if (Status s = ApplyInfluxProperties(run.properties, &o); !s.ok()) {
    err << "barrage: --influx: " << s.message() << "\n";
    return false;
  }
  out->push_back(std::make_unique<InfluxSink>(std::move(o), err));
  return true;
}

void PrintStopOutcome(const EngineCounters& counters, int64_t stop_timeout_s) {
  if (counters.graceful_stop_timed_out) {
    std::cerr << "barrage: the graceful stop took longer than " << stop_timeout_s << " s: stopped now\n";
  }
  if (counters.aborted > 0) {
    std::cerr << "barrage: " << counters.aborted << " request(s) in flight aborted, recorded as errors\n";
  }
}

}  // namespace

std::string GracefulStopMessage(int64_t stop_timeout_s) {
  return "stopping gracefully (Ctrl-C again to stop now; requests still in flight after " +
         std::to_string(stop_timeout_s) + " s are aborted)";
}

std::unique_ptr<PreparedRun> PrepareRun(const RunOptions& options, const PlanFileReader& read_plan, std::ostream& err,
                                        int* exit_code) {
  *exit_code = kExitUsage;
  auto prepared = std::make_unique<PreparedRun>();
  // Thresholds are checked before anything else: a bad expression is a usage error.
  Result<std::vector<Threshold>> thresholds = CollectThresholds(options.thresholds, options.thresholds_file);
  if (!thresholds.ok()) {
    err << "barrage: " << thresholds.status().message() << "\n";
    return nullptr;
  }
  if (options.abort_on_fail && thresholds->empty()) {
    err << "barrage: --abort-on-fail needs --threshold or --thresholds\n";
    return nullptr;
  }
  prepared->thresholds = std::move(thresholds).value();
  if (!options.influx_url.empty()) {
    if (Status s = CheckInfluxUrl(options.influx_url); !s.ok()) {
      err << "barrage: --influx: " << s.message() << "\n";
      return nullptr;
    }
  }

  // The only time a run reads its plan file: the cluster run ships these bytes and the store
  // keeps them.
  Result<LoadedPlan> loaded = LoadPlan(options.plan_path, read_plan);
  if (!loaded.ok()) {
    err << "barrage: " << loaded.status().message() << "\n";
    return nullptr;
  }
  prepared->loaded = std::move(loaded).value();
  const Plan& plan = prepared->loaded.compiled.plan;
  if (plan.has_errors() || (!plan.unsupported.empty() && !options.skip_unsupported)) {
    for (const std::string& line : PlanProblemLines(prepared->loaded.compiled, options.plan_path)) err << line << "\n";
    err << "barrage: " << options.plan_path << ": the plan cannot run"
        << (plan.has_errors() ? "" : " (pass --skip-unsupported to run without the unsupported elements)") << "\n";
    return nullptr;
  }
  if (!plan.unsupported.empty()) {
    err << "barrage: skipping " << plan.unsupported.size() << " unsupported element(s)\n";
  }

  RunContext& run = prepared->run;
  run.test_plan_file = prepared->loaded.file_name;
  run.base_dir = prepared->loaded.base_dir;
  run.machine_name = HostName("localhost");
  // JMeter's properties have the JVM's system properties (-D) as defaults: files and -J
  // override them.
  for (const std::string& kv : options.system_properties) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "barrage: -D" << kv << ": expected name=value\n";
      return nullptr;
    }
    run.properties.Set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const std::string& file : options.property_files) {
    Status s = run.properties.LoadFile(file);
    if (!s.ok()) {
      err << "barrage: " << s.message() << "\n";
      return nullptr;
    }
  }
  for (const std::string& kv : options.properties) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "barrage: -J" << kv << ": expected name=value\n";
      return nullptr;
    }
    run.properties.Set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  Result<std::vector<ConnectToRule>> connect_to = ParseConnectToRules(options.connect_to);
  if (!connect_to.ok()) {
    err << "barrage: " << connect_to.status().message() << "\n";
    return nullptr;
  }
  run.connect_to = std::move(connect_to).value();
  prepared->listener_files = ResolveListenerFiles(plan, run, run.base_dir);
  if (Status s = RefuseOverwritingInputs(options, plan, run.base_dir, prepared->listener_files); !s.ok()) {
    err << "barrage: " << s.message() << "\n";
    return nullptr;
  }
  if (!MakeLiveSinks(options, plan, prepared->loaded, run, err, &prepared->live_sinks)) return nullptr;
  *exit_code = kExitOk;
  return prepared;
}

RunRecordingOptions RecordingOptionsFor(const RunOptions& options, PreparedRun& prepared) {
  std::vector<LiveMetricsSink*> sinks;
  for (const auto& sink : prepared.live_sinks) sinks.push_back(sink.get());
  return {.db_path = options.db_path,
          .project = options.project,
          .jtl_path = options.jtl_path,
          .jtl_columns = JtlColumnsFor(prepared.run, DefaultJtlColumns()),
          .listener_files = std::move(prepared.listener_files),
          .summary_interval_s = options.summary_interval_s,
          .quiet = options.quiet,
          .thresholds = std::move(prepared.thresholds),
          .abort_on_fail = options.abort_on_fail,
          .live_sinks = std::move(sinks)};
}

int RunPlan(const RunOptions& options, const PlanFileReader& read_plan) {
  // SIGINT/SIGTERM are handled from here on: until the run is armed below, a signal ends
  // the command at once, whatever step it is blocked in.
  RunSignals signals;
  int exit_code = kExitOk;
  std::unique_ptr<PreparedRun> prepared = PrepareRun(options, read_plan, std::cerr, &exit_code);
  if (!prepared) return exit_code;
  const LoadedPlan* loaded = &prepared->loaded;
  const Plan& plan = loaded->compiled.plan;
  RunContext& run = prepared->run;
  // Before the recording: the endpoint waits for a last scrape when the run is over.
  std::unique_ptr<RunMetricsExport> metrics;
  RunRecordingOptions recording_options = RecordingOptionsFor(options, *prepared);
  if (!options.metrics_listen.empty()) {
    Result<std::unique_ptr<RunMetricsExport>> started =
        RunMetricsExport::Start(options.metrics_listen, options.metrics_linger_s, std::cout, &signals);
    if (!started.ok()) {
      std::cerr << "barrage: " << started.status().message() << "\n";
      return started.status().code() == Status::Code::kInvalidArgument ? kExitUsage : kExitRuntimeFailure;
    }
    metrics = std::move(*started);
    recording_options.live_sinks.push_back(metrics->sink());
  }
  RunRecording recording(std::move(recording_options), std::cout, std::cerr);
  if (options.cluster.enabled()) return RunClusterPlan(options, *loaded, run, &signals, &recording);

  // The plan's data files are checked before anything is recorded: a plan error leaves
  // no execution behind and no JTL.
  EngineRecordingSink sink(&recording);
  EngineOptions eo;
  eo.event_loops = options.event_loops;
  eo.max_duration_ms = options.duration_s * 1000;
  eo.graceful_stop_timeout_ms = options.stop_timeout_s * 1000;
  Engine engine(plan, &run, eo, &sink);
  Status engine_ready = engine.Prepare();
  if (!engine_ready.ok()) {
    std::cerr << "barrage: " << options.plan_path << ": " << engine_ready.message() << "\n";
    return kExitUsage;
  }
  sink.SetStop([&engine](bool now) { engine.Stop(now); });
  sink.SetLateArrivals([&engine] { return engine.counters().late_arrivals; });

  if (Status s = recording.Open(); !s.ok()) {
    std::cerr << "barrage: " << s.message() << "\n";
    return kExitRuntimeFailure;
  }
  // From here a signal stops the run instead of ending the process: the execution about to
  // be begun is always finished. A signal before engine.Run() means nothing starts.
  std::atomic<bool> interrupted{false};
  RunSignals::Armed armed = signals.Arm([&](int presses) {
    interrupted = true;
    if (presses == 1) {
      std::cerr << "\nbarrage: " << GracefulStopMessage(options.stop_timeout_s) << "\n";
      engine.Stop(false);
    } else {
      std::cerr << "barrage: stopping now\n";
      engine.Stop(true);
    }
  });
  ExecutionInfo info =
      MakeExecutionInfo(*loaded, WallMillis(), options.project, run.properties.Snapshot(), kLocalInfra);
  info.queued_id = options.queued_run;
  Result<int64_t> execution = recording.Begin(info);
  if (!execution.ok()) {
    std::cerr << "barrage: " << execution.status().message() << "\n";
    return kExitRuntimeFailure;
  }

  std::cout << "barrage: run " << *execution << " of " << options.plan_path << " started\n" << std::flush;
  Status ran = engine.Run();

  EngineCounters counters = engine.counters();
  PrintStopOutcome(counters, options.stop_timeout_s);
  RunEnd end;
  end.status = interrupted ? ExecutionStatus::kAborted : ExecutionStatus::kPassed;
  end.exit_code = kExitOk;
  if (!ran.ok()) {
    std::cerr << "barrage: " << ran.message() << "\n";
    end.status = ExecutionStatus::kErrored;
    end.exit_code = kExitRuntimeFailure;
  }
  end.threads = {0, counters.started_threads, counters.finished_threads, counters.late_arrivals};
  if (counters.late_arrivals > 0) {
    std::cerr << "barrage: " << counters.late_arrivals
              << " arrival(s) dropped: their thread group was at its ConcurrencyLimit\n";
  }
  if (ScriptHost* host = engine.script_host()) {
    // The script host's versions and heap at the end join the run's infrastructure info.
    const std::string infra = WithScriptHostInfo(kLocalInfra, ScriptHostFactsOf(*host, run.properties));
    end.before_thresholds = [infra](ResultsStore& store, int64_t execution_id, int64_t,
                                    const std::function<void(const Status&)>& fail) {
      if (Status s = store.SetExecutionInfra(execution_id, infra); !s.ok()) fail(s);
    };
  }
  end.totals = std::to_string(counters.samples) + " samples, " + std::to_string(counters.errors) + " errors";
  return recording.End(std::move(end));
}

}  // namespace barrage
