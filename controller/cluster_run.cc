#include "controller/cluster_run.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/digest.h"
#include "common/exit_codes.h"
#include "common/input_file.h"
#include "controller/aggregate_report.h"
#include "controller/cluster_config.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_data.h"
#include "controller/cluster_transport.h"
#include "controller/execution_info.h"
#include "controller/jtl_writer.h"
#include "controller/results_store.h"
#include "controller/sample_recorder.h"
#include "controller/summariser.h"
#include "controller/thresholds.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

ClusterTime Now() { return {MonotonicMicros(), WallMicros()}; }

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string random;
  for (int i = 0; i < bytes; ++i) random.push_back(static_cast<char>(rd() & 0xff));
  return LowerHex(random);
}

std::string Rate(double per_s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", per_s);
  return buf;
}

// The run's effects: summariser, report and the run's records (the JTL file and the
// store, see SampleRecorder). Called from the run loop's thread.
class ClusterSink : public CoordinatorListener {
 public:
  ClusterSink(ResultsStore* store, JtlWriter* jtl, Summariser* summariser)
      : recorder_(jtl, store), summariser_(summariser) {}

  // A batch is acknowledged once one record holds it; when none can, the coordinator fails
  // the run at once.
  Status OnSamples(const ClusterWorker& worker, std::vector<Sample>&& samples) override {
    for (const Sample& s : samples) {
      if (!s.transaction) summariser_->Add(s);
    }
    report_.Add(samples);
    recorded_ += samples.size();
    if (recorder_.Record(std::move(samples), worker.worker_id)) return Status::Ok();
    return recorder_.store_error().ok() ? recorder_.jtl_error() : recorder_.store_error();
  }

  void OnLog(const std::string& line) override { std::cout << "barrage: " << line << "\n" << std::flush; }

  void OnStarted(int64_t start_at_us) override {
    std::cout << "barrage: starting the load at " << start_at_us / 1000 << " (epoch ms)\n" << std::flush;
  }

  // From the run loop, every turn: flushes the JTL when due, and returns true once (the
  // first time a record has failed) to have the run stopped gracefully.
  bool PollShouldStop() {
    recorder_.Poll();
    if (stopping_ || !recorder_.failed()) return false;
    stopping_ = true;
    return true;
  }

  const AggregateReport& report() const { return report_; }
  uint64_t recorded() const { return recorded_; }
  const SampleRecorder& recorder() const { return recorder_; }

 private:
  SampleRecorder recorder_;
  Summariser* summariser_;
  AggregateReport report_;
  uint64_t recorded_ = 0;
  bool stopping_ = false;
};

}  // namespace

int RunClusterPlan(const RunOptions& options, const Plan& plan, const RunContext& run, RunSignals* signals) {
  const ClusterOptions& co = options.cluster;
  Result<ClusterSettings> settings_r = ResolveClusterSettings(co);
  if (!settings_r.ok()) {
    std::cerr << "barrage: " << settings_r.status().message() << "\n";
    return kExitUsage;
  }
  const ClusterSettings& settings = *settings_r;
  for (const std::string& warning : settings.warnings) std::cerr << "barrage: WARNING: " << warning << "\n";
  if (co.min_workers > 0 && co.min_workers > std::max<int>(co.workers, static_cast<int>(co.worker_names.size()))) {
    std::cerr << "barrage: --min-workers " << co.min_workers << " is more than the workers the run asks for\n";
    return kExitUsage;
  }

  Result<std::string> plan_bytes = ReadRegularFile(options.plan_path, kMaxPlanBytes, "a plan");
  if (!plan_bytes.ok()) {
    std::cerr << "barrage: " << plan_bytes.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<std::string> skipped;
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(plan, run.base_dir, co.split_data, &skipped);
  if (!files.ok()) {
    std::cerr << "barrage: " << files.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& name : skipped) {
    std::cerr << "barrage: data file " << name
              << " is named at run time and is not shipped: every worker needs it at that path\n";
  }

  ClusterPlan cplan;
  cplan.plan_name = fs::path(options.plan_path).filename().string();
  cplan.plan_bytes = std::move(plan_bytes).value();
  cplan.files = std::move(files).value();
  for (auto& [k, v] : run.properties.Snapshot()) cplan.properties.emplace_back(k, v);
  cplan.share = settings.share == "total" ? proto::ShareMode::Total : proto::ShareMode::PerWorker;

  std::optional<JtlWriter> jtl;
  if (!options.jtl_path.empty()) {
    Result<JtlWriter> w = JtlWriter::Open(options.jtl_path, JtlWriter::Mode::kAppend);
    if (!w.ok()) {
      std::cerr << "barrage: " << w.status().message() << "\n";
      return kExitRuntimeFailure;
    }
    jtl.emplace(std::move(w).value());
  }

  ZmqTransportOptions to;
  to.bind = settings.bind;
  to.insecure = settings.insecure;
  to.secret_key = settings.secret_key;
  to.allowed_keys = settings.allowed_keys;
  to.log = [](const std::string& line) { std::cout << "barrage: " << line << "\n" << std::flush; };
  Result<std::unique_ptr<ZmqRouterTransport>> transport = ZmqRouterTransport::Open(to);
  if (!transport.ok()) {
    std::cerr << "barrage: " << transport.status().message() << "\n";
    return kExitRuntimeFailure;
  }

  // Already checked by RunPlan (a bad threshold is a usage error before anything runs).
  Result<std::vector<Threshold>> thresholds = CollectThresholds(options.thresholds, options.thresholds_file);
  if (!thresholds.ok()) {
    std::cerr << "barrage: " << thresholds.status().message() << "\n";
    return kExitUsage;
  }
  std::optional<ThresholdWatch> watch;
  if (options.abort_on_fail) watch.emplace(*thresholds, options.summary_interval_s * 1000);

  Result<ResultsStore> store_r = ResultsStore::Open(options.db_path, {.project = options.project});
  if (!store_r.ok()) {
    std::cerr << "barrage: " << store_r.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  ResultsStore store = std::move(store_r).value();
  if (Result<int> marked = store.MarkInterruptedExecutions(); marked.ok() && *marked > 0) {
    std::cerr << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
  }
  int expected = co.worker_names.empty() ? co.workers : static_cast<int>(co.worker_names.size());
  nlohmann::json infra = {{"mode", "cluster"},
                          {"workers", expected},
                          {"share", settings.share},
                          {"bind", (*transport)->endpoint()},
                          {"secure", !settings.insecure}};
  if (!co.worker_names.empty()) infra["worker_names"] = co.worker_names;
  if (!co.split_data.empty()) infra["split_data"] = co.split_data;
  Result<ExecutionInfo> info_r = MakeExecutionInfo(options.plan_path, plan.root ? plan.root->name : "", WallMillis(),
                                                   options.project, run.properties.Snapshot(), infra.dump());
  if (!info_r.ok()) {
    std::cerr << "barrage: " << info_r.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  const ExecutionInfo& info = *info_r;
  // From here a signal stops the run (the loop below escalates) instead of ending the process.
  std::atomic<int> presses{0};
  RunSignals::Armed armed = signals->Arm([&presses](int n) { presses = n; });
  Result<int64_t> execution = store.BeginExecution(info);
  if (!execution.ok()) {
    std::cerr << "barrage: " << execution.status().message() << "\n";
    return kExitRuntimeFailure;
  }

  CoordinatorOptions opts;
  opts.run_id = std::to_string(*execution) + "-" + RandomHex(6);
  opts.expected_workers = expected;
  opts.worker_names = co.worker_names;
  opts.min_workers = settings.min_workers;
  opts.registration_timeout_us = settings.wait_for_workers_s * 1'000'000;
  opts.heartbeat_interval_us = settings.heartbeat_ms * 1000;
  opts.bound_names = settings.bound_names;
  opts.max_duration_us = options.duration_s * 1'000'000;
  opts.graceful_stop_timeout_us = options.stop_timeout_s * 1'000'000;

  std::optional<Summariser> summariser;
  summariser.emplace(info.started_at_ms, options.summary_interval_s);
  ClusterSink sink(&store, jtl ? &*jtl : nullptr, &*summariser);
  ClusterTime t0 = Now();
  ClusterCoordinator coordinator(opts, std::move(cplan), transport->get(), &sink, t0);

  std::cout << "barrage: run " << *execution << " of " << options.plan_path << ": waiting for " << expected
            << " worker(s) on " << (*transport)->endpoint() << (settings.insecure ? " (insecure: plain TCP)" : "")
            << "\n"
            << std::flush;

  bool summary_started = false;
  int handled_presses = 0;
  std::map<int32_t, uint64_t> last_counts;
  int64_t last_rates_ms = 0;
  InboundMessage message;
  while (!coordinator.done()) {
    // Up to a bounded number of messages, then timers: ingest never starves the heartbeats.
    for (int i = 0; i < 2000 && !coordinator.done(); ++i) {
      if (!(*transport)->Receive(std::chrono::milliseconds(i == 0 ? 50 : 0), &message)) break;
      coordinator.OnMessage(message, Now());
    }
    for (int pressed = presses.load(); handled_presses < pressed;) {
      if (++handled_presses == 1) {
        std::cerr << "\nbarrage: " << GracefulStopMessage(options.stop_timeout_s) << "\n";
        coordinator.RequestStop(false, "stopped by the operator", Now());
      } else {
        std::cerr << "barrage: stopping now\n";
        coordinator.RequestStop(true, "stopped by the operator (now)", Now());
        handled_presses = pressed;
      }
    }
    ClusterTime now = Now();
    coordinator.OnTick(now);
    if (coordinator.started() && !options.quiet) {
      int64_t now_ms = now.wall_us / 1000;
      if (!summary_started) {
        summary_started = true;
        last_rates_ms = now_ms;
      }
      if (summariser->ReportDue(now_ms)) {
        ThreadCounts threads;
        for (const ClusterWorker* w : coordinator.workers()) {
          if (w->phase == WorkerPhase::kRunning) threads.active += w->active_vus;
        }
        std::vector<std::string> lines = summariser->EndInterval(now_ms, threads);
        for (const std::string& line : lines) std::cout << line << "\n";
        if (!lines.empty()) {
          double secs = static_cast<double>(std::max<int64_t>(now_ms - last_rates_ms, 1)) / 1000.0;
          std::string rates = "workers:";
          for (const ClusterWorker* w : coordinator.workers()) {
            if (!w->participant()) continue;
            uint64_t before = last_counts[w->worker_id];
            rates += " " + w->name + " " +
                     (w->phase == WorkerPhase::kLost ? std::string("LOST")
                                                     : Rate(static_cast<double>(w->samples_received - before) / secs));
            last_counts[w->worker_id] = w->samples_received;
          }
          last_rates_ms = now_ms;
          std::cout << rates << "\n";
        }
        std::cout << std::flush;
      }
    }
    if (sink.PollShouldStop()) {
      coordinator.RequestStop(!sink.recorder().recording(), "a record of the run failed", now);
    }
    if (watch && coordinator.started()) {
      std::vector<ThresholdResult> failed = watch->Check(sink.report(), now.wall_us / 1000);
      for (const ThresholdResult& r : failed) std::cerr << "barrage: " << DescribeThresholdResult(r) << "\n";
      if (!failed.empty()) {
        std::cerr << "barrage: stopping gracefully (--abort-on-fail)\n";
        coordinator.RequestStop(false, "a threshold failed (--abort-on-fail)", now);
      }
    }
  }

  const CoordinatorOutcome& outcome = coordinator.outcome();
  int64_t end_ms = WallMillis();
  if (coordinator.started()) {
    for (const std::string& line : summariser->Finish(end_ms, {})) std::cout << line << "\n";
  }
  int exit_code = outcome.exit_code;
  ExecutionStatus status = outcome.status;
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
  uint64_t lost_samples = 0;
  for (const ClusterWorker* w : coordinator.workers()) {
    ExecutionWorkerRecord r;
    r.worker_id = w->worker_id;
    r.name = w->name;
    r.host = w->host;
    r.joined_at_ms = w->joined_at_ms;
    r.left_at_ms = w->left_at_ms ? w->left_at_ms : std::optional<int64_t>(end_ms);
    r.state = w->phase == WorkerPhase::kFinished ? "finished"
              : w->phase == WorkerPhase::kRejected ? "rejected"
              : coordinator.started()              ? "lost"
                                                   : WorkerPhaseName(w->phase);
    r.samples_received = w->samples_received;
    r.batches_received = w->batches_received;
    r.samples_lost = w->samples_lost();
    r.duplicate_batches = w->duplicate_batches;
    r.clock_offset_us = w->clock_offset_us.value_or(0);
    lost_samples += w->samples_lost();
    if (Status s = store.UpsertExecutionWorker(*execution, r); !s.ok()) fail(s);
    if (w->participant()) {
      std::cout << "barrage: worker " << w->name << " (" << w->host << "): " << r.state << ", "
                << w->samples_received << " samples in " << w->batches_received << " batches";
      if (w->duplicate_batches) std::cout << ", " << w->duplicate_batches << " duplicate batches";
      if (w->samples_lost()) std::cout << ", " << w->samples_lost() << " samples LOST";
      if (w->clock_offset_us) std::cout << ", clock offset " << *w->clock_offset_us << " us";
      if (!w->reason.empty()) std::cout << " (" << w->reason << ")";
      std::cout << "\n";
    }
  }
  // Thresholds on all samples (the sink's report holds every one received).
  // (A run stopped by --abort-on-fail ends `aborted` here, and then `failed`.)
  std::vector<ThresholdResult> verdicts;
  if (coordinator.started()) {
    verdicts = FinalThresholdResults(*thresholds, sink.report(), watch ? &watch->tripped_results() : nullptr);
  }
  if (AnyFailed(verdicts) && (status == ExecutionStatus::kPassed || status == ExecutionStatus::kAborted)) {
    status = ExecutionStatus::kFailed;
  }
  // Stored before the status, so that a failure to store them cannot follow a recorded
  // `passed`. After a store failure Finish records `errored` if the file can still be
  // written; if not, the next command to open it marks the run `aborted`.
  if (Status s = StoreThresholdResults(store, *execution, verdicts); !s.ok()) fail(s);
  if (Status s = store.Finish(status, end_ms); !s.ok()) fail(s);
  if (Status s = store.Close(); !s.ok()) fail(s);
  if (!outcome.message.empty() && status != ExecutionStatus::kPassed) {
    std::cerr << "barrage: " << outcome.message << "\n";
  }
  if (coordinator.started()) std::cout << "\n" << AggregateReportText(sink.report().Rows()) << std::flush;
  PrintThresholdResults(verdicts);
  if (exit_code == kExitOk && AnyFailed(verdicts)) exit_code = kExitThresholdFailed;
  std::cout << "barrage: run " << *execution << " " << ExecutionStatusName(status) << ": " << sink.recorded()
            << " samples from " << expected << " worker(s)"
            << (lost_samples ? ", " + std::to_string(lost_samples) + " lost" : "")
            << (options.jtl_path.empty() ? "" : ", JTL " + options.jtl_path) << ", store " << options.db_path << "\n";
  return exit_code;
}

}  // namespace barrage
