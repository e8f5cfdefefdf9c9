#include "controller/run_command.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/functions.h"
#include "common/host.h"
#include "common/jmx_parser.h"
#include "common/output_file.h"
#include "common/plan_compiler.h"
#include "controller/aggregate_report.h"
#include "controller/execution_info.h"
#include "controller/cluster_run.h"
#include "controller/jtl_writer.h"
#include "controller/results_store.h"
#include "controller/sample_recorder.h"
#include "controller/run_signals.h"
#include "controller/summariser.h"
#include "controller/thresholds.h"
#include "worker/engine.h"

namespace barrage {
namespace {

// Fans each batch out to the summariser, the report and the run's records (the JTL file
// and the store, see SampleRecorder). Called from the engine's collector thread only; read
// by the caller after the run.
class RunSink : public SampleSink {
 public:
  RunSink(int64_t interval_s, bool quiet) : interval_s_(interval_s), quiet_(quiet) {}

  // Where samples go; set once before the engine runs. `stop(now)` runs (on the collector
  // thread, once) when a record fails: now = false while the other one still records.
  void Attach(JtlWriter* jtl, ResultsStore* store, int64_t start_ms, std::function<void(bool now)> stop) {
    recorder_.emplace(jtl, store);
    stop_ = std::move(stop);
    summariser_.emplace(start_ms, interval_s_);
  }

  void OnSamples(std::vector<Sample>& batch) override {
    // JMeter's summariser ignores Transaction Controller samples
    // (summariser.ignore_transaction_controller_sample_result=true).
    for (const Sample& s : batch) {
      if (!s.transaction) summariser_->Add(s);
    }
    report_.Add(batch);
    recorded_ += batch.size();
    recorder_->Record(std::move(batch), 0);
    batch.clear();
    StopIfFailed();
  }

  // --abort-on-fail: `on_trip` runs (on the collector thread) when a threshold fails on
  // the data so far.
  void WatchThresholds(std::vector<Threshold> thresholds, std::function<void()> on_trip) {
    watch_.emplace(std::move(thresholds), interval_s_ * 1000);
    on_trip_ = std::move(on_trip);
  }
  const std::vector<ThresholdResult>* tripped() const { return watch_ ? &watch_->tripped_results() : nullptr; }

  void OnTick(int active, int started, int finished) override {
    recorder_->Poll();
    StopIfFailed();
    threads_ = {active, started, finished};
    int64_t now = WallMillis();
    if (watch_) {
      std::vector<ThresholdResult> failed = watch_->Check(report_, now);
      for (const ThresholdResult& r : failed) std::cerr << "barrage: " << DescribeThresholdResult(r) << "\n";
      if (!failed.empty()) {
        std::cerr << "barrage: stopping gracefully (--abort-on-fail)\n";
        on_trip_();
      }
    }
    if (quiet_ || !summariser_->ReportDue(now)) return;
    for (const std::string& line : summariser_->EndInterval(now, threads_)) std::cout << line << "\n";
    std::cout.flush();
  }

  void Finish(int active, int started, int finished) {
    threads_ = {active, started, finished};
    for (const std::string& line : summariser_->Finish(WallMillis(), threads_)) std::cout << line << "\n";
  }

  const AggregateReport& report() const { return report_; }
  // Read after the run (the collector thread has ended).
  const SampleRecorder& recorder() const { return *recorder_; }
  uint64_t recorded() const { return recorded_; }

 private:
  void StopIfFailed() {
    if (stopping_ || !recorder_->failed()) return;
    stopping_ = true;
    stop_(!recorder_->recording());
  }

  int64_t interval_s_;
  std::optional<SampleRecorder> recorder_;
  std::function<void(bool)> stop_;
  bool stopping_ = false;
  std::optional<Summariser> summariser_;
  std::optional<ThresholdWatch> watch_;
  std::function<void()> on_trip_;
  AggregateReport report_;
  ThreadCounts threads_;
  bool quiet_;
  uint64_t recorded_ = 0;
};

void PrintPlanProblems(const CompiledPlan& compiled, const std::string& path) {
  for (const UnsupportedElement& u : compiled.plan.unsupported) {
    std::cerr << path << ":" << u.line << ": unsupported: " << u.testclass << " '" << u.name << "'\n";
  }
  for (const Problem& p : compiled.plan.problems) {
    if (p.severity == Problem::Severity::kInfo) continue;
    std::cerr << path << ":" << p.line << ": " << SeverityName(p.severity) << ": " << p.message << "\n";
  }
}

// --db and -l must not name a file the run reads, nor -l the store: the JTL is appended
// to and the store written, which would destroy them. Data files named by a template are
// known only at run time and are not checked.
Status RefuseOverwritingInputs(const RunOptions& options, const Plan& plan, const std::string& base_dir) {
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
  if (options.jtl_path.empty()) return Status::Ok();
  for (ProtectedFile& f : ResultsStoreFiles(options.db_path)) inputs.push_back(std::move(f));
  return RefuseOverwrite(options.jtl_path, "the JTL", inputs);
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

int RunPlan(const RunOptions& options) {
  // SIGINT/SIGTERM are handled from here on: until the run is armed below, a signal ends
  // the command at once, whatever step it is blocked in.
  RunSignals signals;

  // Thresholds are checked before anything else: a bad expression is a usage error.
  Result<std::vector<Threshold>> thresholds = CollectThresholds(options.thresholds, options.thresholds_file);
  if (!thresholds.ok()) {
    std::cerr << "barrage: " << thresholds.status().message() << "\n";
    return kExitUsage;
  }
  if (options.abort_on_fail && thresholds->empty()) {
    std::cerr << "barrage: --abort-on-fail needs --threshold or --thresholds\n";
    return kExitUsage;
  }

  Result<HashTree> tree = ParseJmxFile(options.plan_path);
  if (!tree.ok()) {
    std::cerr << "barrage: " << tree.status().message() << "\n";
    return kExitUsage;
  }
  CompiledPlan compiled = CompilePlan(std::move(tree).value());
  const Plan& plan = compiled.plan;
  if (plan.has_errors() || (!plan.unsupported.empty() && !options.skip_unsupported)) {
    PrintPlanProblems(compiled, options.plan_path);
    std::cerr << "barrage: " << options.plan_path << ": the plan cannot run"
              << (plan.has_errors() ? "" : " (pass --skip-unsupported to run without the unsupported elements)")
              << "\n";
    return kExitUsage;
  }
  if (!plan.unsupported.empty()) {
    std::cerr << "barrage: skipping " << plan.unsupported.size() << " unsupported element(s)\n";
  }

  RunContext run;
  std::filesystem::path plan_fs(options.plan_path);
  run.test_plan_file = plan_fs.filename().string();
  run.base_dir = plan_fs.has_parent_path() ? plan_fs.parent_path().string() : ".";
  run.machine_name = HostName("localhost");
  for (const std::string& file : options.property_files) {
    Status s = run.properties.LoadFile(file);
    if (!s.ok()) {
      std::cerr << "barrage: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  for (const std::string& kv : options.properties) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "barrage: -J" << kv << ": expected name=value\n";
      return kExitUsage;
    }
    run.properties.Set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (Status s = RefuseOverwritingInputs(options, plan, run.base_dir); !s.ok()) {
    std::cerr << "barrage: " << s.message() << "\n";
    return kExitUsage;
  }

  if (options.cluster.enabled()) return RunClusterPlan(options, plan, run, &signals);

  // The plan's data files are checked before anything is recorded: a plan error leaves
  // no execution behind and no JTL.
  RunSink sink(options.summary_interval_s, options.quiet);
  EngineOptions eo;
  eo.event_loops = options.event_loops;
  eo.max_duration_ms = options.duration_s * 1000;
  eo.graceful_stop_timeout_ms = options.stop_timeout_s * 1000;
  Engine engine(plan, &run, eo, &sink);
  Status prepared = engine.Prepare();
  if (!prepared.ok()) {
    std::cerr << "barrage: " << options.plan_path << ": " << prepared.message() << "\n";
    return kExitUsage;
  }
  if (options.abort_on_fail) sink.WatchThresholds(*thresholds, [&engine] { engine.Stop(false); });

  std::optional<JtlWriter> jtl;
  if (!options.jtl_path.empty()) {
    Result<JtlWriter> w = JtlWriter::Open(options.jtl_path, JtlWriter::Mode::kAppend);
    if (!w.ok()) {
      std::cerr << "barrage: " << w.status().message() << "\n";
      return kExitRuntimeFailure;
    }
    jtl.emplace(std::move(w).value());
  }
  Result<ResultsStore> store_r = ResultsStore::Open(options.db_path, {.project = options.project});
  if (!store_r.ok()) {
    std::cerr << "barrage: " << store_r.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  ResultsStore store = std::move(store_r).value();
  if (Result<int> marked = store.MarkInterruptedExecutions(); marked.ok() && *marked > 0) {
    std::cerr << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
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
  int64_t start_ms = WallMillis();
  Result<ExecutionInfo> info = MakeExecutionInfo(options.plan_path, plan.root->name, start_ms, options.project,
                                                 run.properties.Snapshot(), R"({"mode":"local"})");
  if (!info.ok()) {
    std::cerr << "barrage: " << info.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  Result<int64_t> execution = store.BeginExecution(*info);
  if (!execution.ok()) {
    std::cerr << "barrage: " << execution.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  sink.Attach(jtl ? &*jtl : nullptr, &store, start_ms, [&engine](bool now) { engine.Stop(now); });

  std::cout << "barrage: run " << *execution << " of " << options.plan_path << " started\n" << std::flush;
  Status ran = engine.Run();

  EngineCounters counters = engine.counters();
  PrintStopOutcome(counters, options.stop_timeout_s);
  sink.Finish(0, counters.started_threads, counters.finished_threads);
  int64_t end_ms = WallMillis();

  int exit_code = kExitOk;
  ExecutionStatus status = interrupted ? ExecutionStatus::kAborted : ExecutionStatus::kPassed;
  if (!ran.ok()) {
    std::cerr << "barrage: " << ran.message() << "\n";
    status = ExecutionStatus::kErrored;
    exit_code = kExitRuntimeFailure;
  }
  const SampleRecorder& recorder = sink.recorder();
  RunErrors errors(recorder);
  auto fail = [&](const Status& s) {
    errors.Print(s);
    status = ExecutionStatus::kErrored;
    exit_code = kExitRuntimeFailure;
  };
  if (jtl) {
    if (Status s = jtl->Close(); !s.ok()) fail(s);
  }
  if (recorder.failed()) {
    status = ExecutionStatus::kErrored;
    exit_code = kExitRuntimeFailure;
  }
  // Thresholds on all samples (in local mode the sink's report holds every one). Stored
  // before the status, so that a failure to store them cannot follow a recorded `passed`.
  const std::vector<ThresholdResult> verdicts = FinalThresholdResults(*thresholds, sink.report(), sink.tripped());
  if (AnyFailed(verdicts) && status == ExecutionStatus::kPassed) status = ExecutionStatus::kFailed;
  if (Status s = StoreThresholdResults(store, *execution, verdicts); !s.ok()) fail(s);
  // After a store failure this records `errored` if the file can still be written; if not,
  // the run stays `running` in the file and the next command to open it marks it `aborted`.
  if (Status s = store.Finish(status, end_ms); !s.ok()) fail(s);
  if (Status s = store.Close(); !s.ok()) fail(s);
  std::cout << "\n" << AggregateReportText(sink.report().Rows()) << std::flush;
  PrintThresholdResults(verdicts);
  if (exit_code == kExitOk && AnyFailed(verdicts)) exit_code = kExitThresholdFailed;
  std::cout << "barrage: run " << *execution << " " << ExecutionStatusName(status) << ": "
            << counters.samples << " samples, " << counters.errors << " errors"
            << (options.jtl_path.empty() ? "" : ", JTL " + options.jtl_path) << ", store "
            << options.db_path << "\n";
  return exit_code;
}

}  // namespace barrage
