#include "controller/cluster_run.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/connect_to.h"
#include "common/digest.h"
#include "common/exit_codes.h"
#include "common/input_file.h"
#include "controller/cluster_config.h"
#include "controller/cluster_coordinator.h"
#include "controller/cluster_data.h"
#include "controller/cluster_transport.h"
#include "controller/execution_info.h"

namespace barrage {
namespace {

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

// The coordinator's samples and events: the samples go to the run's recording.
class ClusterListener : public CoordinatorListener {
 public:
  ClusterListener(RunRecording* recording, std::ostream* out) : recording_(recording), out_(out) {}

  // A batch is acknowledged once one record holds it; when none can, the coordinator fails
  // the run at once.
  Status OnSamples(const ClusterWorker& worker, std::vector<Sample>&& samples) override {
    // Its thread names carry its prefix, "<name>-" (worker/daemon.cc).
    return recording_->Add(std::move(samples), worker.worker_id, worker.name + "-");
  }

  void OnLog(const std::string& line) override { *out_ << "barrage: " << line << "\n" << std::flush; }

  void OnStarted(int64_t start_at_us) override {
    *out_ << "barrage: starting the load at " << start_at_us / 1000 << " (epoch ms)\n" << std::flush;
  }

 private:
  RunRecording* recording_;
  std::ostream* out_;
};

}  // namespace

struct ClusterRunSession::State {
  ClusterRunSetup setup;
  ClusterPlan cplan;  // until Begin hands it to the coordinator
  int expected = 0;
  std::string infra_json;
  int64_t execution_id = 0;
  std::unique_ptr<ClusterListener> listener;
  std::unique_ptr<ClusterCoordinator> coordinator;
  bool summary_started = false;
  std::map<int32_t, uint64_t> last_counts;
  int64_t last_rates_ms = 0;
  int64_t last_live_tick_ms = 0;  // the live sinks' last tick (once a second)
};

ClusterRunSession::ClusterRunSession(std::unique_ptr<State> state) : s_(std::move(state)) {}
ClusterRunSession::~ClusterRunSession() = default;

std::unique_ptr<ClusterRunSession> ClusterRunSession::Prepare(const ClusterRunSetup& setup, int* exit_code) {
  const RunOptions& options = *setup.options;
  const LoadedPlan& loaded = *setup.loaded;
  const RunContext& run = *setup.run;
  const ClusterSettings& settings = *setup.settings;
  const ClusterOptions& co = options.cluster;
  std::ostream& err = *setup.err;
  const Plan& plan = loaded.compiled.plan;

  std::vector<std::string> skipped;
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(plan, run.base_dir, co.split_data, &skipped);
  if (!files.ok()) {
    err << "barrage: " << files.status().message() << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  // The keystore of client certificates (javax.net.ssl.keyStore, read from the working
  // directory as the JVM does) goes along like a data file; workers read their copy.
  if (std::optional<std::string> keystore = run.properties.Get("javax.net.ssl.keyStore");
      keystore && !keystore->empty()) {
    Result<std::string> text = ReadRegularFile(*keystore, kMaxConfigBytes, "a keystore");
    if (!text.ok()) {
      err << "barrage: keystore (javax.net.ssl.keyStore) " << text.status().message() << "\n";
      *exit_code = kExitUsage;
      return nullptr;
    }
    files->push_back({.plan_path = *keystore, .local_path = *keystore, .content = std::move(text).value()});
  }
  for (const std::string& name : skipped) {
    err << "barrage: data file " << name
        << " is named at run time and is not shipped: every worker needs it at that path\n";
  }

  ClusterPlan cplan;
  cplan.plan_name = loaded.file_name;
  cplan.plan_bytes = loaded.bytes;
  cplan.files = std::move(files).value();
  for (auto& [k, v] : run.properties.Snapshot()) cplan.properties.emplace_back(k, v);
  for (const ConnectToRule& r : run.connect_to) cplan.connect_to.push_back(FormatConnectToRule(r));
  cplan.share = settings.share == "total" ? proto::ShareMode::Total : proto::ShareMode::PerWorker;

  if (Status st = setup.recording->Open(); !st.ok()) {
    err << "barrage: " << st.message() << "\n";
    *exit_code = kExitRuntimeFailure;
    return nullptr;
  }
  auto state = std::make_unique<State>();
  state->expected = !setup.adopted.empty()    ? static_cast<int>(setup.adopted.size())
                    : co.worker_names.empty() ? co.workers
                                              : static_cast<int>(co.worker_names.size());
  nlohmann::json infra = {{"mode", "cluster"},
                          {"workers", state->expected},
                          {"share", settings.share},
                          {"bind", setup.endpoint},
                          {"secure", !settings.insecure}};
  if (!co.worker_names.empty()) infra["worker_names"] = co.worker_names;
  if (!setup.adopted.empty()) {
    std::vector<std::string> names;
    for (const CoordinatorOptions::Adopted& a : setup.adopted) names.push_back(a.name);
    infra["worker_names"] = names;
  }
  if (!co.split_data.empty()) infra["split_data"] = co.split_data;
  state->infra_json = infra.dump();
  state->setup = setup;
  state->cplan = std::move(cplan);
  return std::unique_ptr<ClusterRunSession>(new ClusterRunSession(std::move(state)));
}

bool ClusterRunSession::Begin(ClusterTime now, int* exit_code) {
  State& st = *s_;
  const ClusterRunSetup& setup = st.setup;
  const RunOptions& options = *setup.options;
  const ClusterSettings& settings = *setup.settings;
  const ClusterOptions& co = options.cluster;
  std::ostream& out = *setup.out;
  ExecutionInfo info =
      MakeExecutionInfo(*setup.loaded, WallMillis(), options.project, setup.run->properties.Snapshot(), st.infra_json);
  info.queued_id = options.queued_run;
  Result<int64_t> execution = setup.recording->Begin(info);
  if (!execution.ok()) {
    *setup.err << "barrage: " << execution.status().message() << "\n";
    *exit_code = kExitRuntimeFailure;
    return false;
  }
  st.execution_id = *execution;

  CoordinatorOptions opts;
  opts.run_id = std::to_string(*execution) + "-" + RandomHex(6);
  opts.expected_workers = st.expected;
  opts.worker_names = co.worker_names;
  opts.min_workers = settings.min_workers;
  opts.registration_timeout_us = settings.wait_for_workers_s * 1'000'000;
  opts.heartbeat_interval_us = settings.heartbeat_ms * 1000;
  opts.bound_names = settings.bound_names;
  opts.max_duration_us = options.duration_s * 1'000'000;
  opts.graceful_stop_timeout_us = options.stop_timeout_s * 1'000'000;
  opts.adopted = setup.adopted;

  out << "barrage: run " << *execution << " of " << options.plan_path << ": "
      << (setup.adopted.empty() ? "waiting for " : "on ") << st.expected << " worker(s)"
      << (setup.adopted.empty() ? " on " + setup.endpoint + (settings.insecure ? " (insecure: plain TCP)" : "")
                                : std::string(" of the pool"))
      << "\n"
      << std::flush;
  st.listener = std::make_unique<ClusterListener>(setup.recording, setup.out);
  st.coordinator =
      std::make_unique<ClusterCoordinator>(opts, std::move(st.cplan), setup.transport, st.listener.get(), now);
  return true;
}

int64_t ClusterRunSession::execution_id() const { return s_->execution_id; }
bool ClusterRunSession::done() const { return s_->coordinator->done(); }
const ClusterCoordinator& ClusterRunSession::coordinator() const { return *s_->coordinator; }

void ClusterRunSession::OnMessage(const InboundMessage& message, ClusterTime now) {
  s_->coordinator->OnMessage(message, now);
}

void ClusterRunSession::RequestStop(bool now, const std::string& reason, ClusterTime when) {
  s_->coordinator->RequestStop(now, reason, when);
}

namespace {

// The workers' users summed, and each worker's state, for the live metrics sinks.
LiveTick LiveTickOf(const ClusterCoordinator& coordinator, int64_t now_ms) {
  LiveTick tick;
  tick.now_ms = now_ms;
  for (const ClusterWorker* w : coordinator.workers()) {
    if (!w->participant()) continue;
    if (w->phase == WorkerPhase::kRunning) tick.threads.active += w->active_vus;
    tick.threads.late_arrivals += static_cast<int64_t>(w->late_arrivals);
    tick.workers.push_back({.worker_id = w->worker_id,
                            .name = w->name,
                            .phase = WorkerPhaseName(w->phase),
                            .active_users = w->phase == WorkerPhase::kRunning ? w->active_vus : 0,
                            .samples_received = w->samples_received,
                            .late_arrivals = w->late_arrivals});
  }
  return tick;
}

}  // namespace

void ClusterRunSession::OnTick(ClusterTime now) {
  ClusterCoordinator& coordinator = *s_->coordinator;
  RunRecording* recording = s_->setup.recording;
  coordinator.OnTick(now);
  if (coordinator.started() && recording->live() && now.wall_us / 1000 - s_->last_live_tick_ms >= 1000) {
    s_->last_live_tick_ms = now.wall_us / 1000;
    recording->Tick(LiveTickOf(coordinator, s_->last_live_tick_ms));
  }
  if (coordinator.started() && !s_->setup.options->quiet) {
    int64_t now_ms = now.wall_us / 1000;
    if (!s_->summary_started) {
      s_->summary_started = true;
      s_->last_rates_ms = now_ms;
    }
    ThreadCounts threads;
    for (const ClusterWorker* w : coordinator.workers()) {
      if (w->phase == WorkerPhase::kRunning) threads.active += w->active_vus;
      threads.late_arrivals += static_cast<int64_t>(w->late_arrivals);  // summed across workers
    }
    if (recording->PrintSummary(now_ms, threads)) {
      // After the summary lines: each worker's rate since the last ones.
      double secs = static_cast<double>(std::max<int64_t>(now_ms - s_->last_rates_ms, 1)) / 1000.0;
      std::string rates = "workers:";
      for (const ClusterWorker* w : coordinator.workers()) {
        if (!w->participant()) continue;
        uint64_t before = s_->last_counts[w->worker_id];
        rates += " " + w->name + " " +
                 (w->phase == WorkerPhase::kLost ? std::string("LOST")
                                                 : Rate(static_cast<double>(w->samples_received - before) / secs));
        s_->last_counts[w->worker_id] = w->samples_received;
      }
      s_->last_rates_ms = now_ms;
      *s_->setup.out << rates << "\n" << std::flush;
    }
  }
  if (recording->Poll()) {
    coordinator.RequestStop(!recording->recording(), "a record of the run failed", now);
  }
  if (coordinator.started() && recording->CheckThresholds(now.wall_us / 1000)) {
    coordinator.RequestStop(false, "a threshold failed (--abort-on-fail)", now);
  }
}

int ClusterRunSession::End() {
  const ClusterCoordinator& coordinator = *s_->coordinator;
  std::ostream& out = *s_->setup.out;
  std::ostream& err = *s_->setup.err;
  RunRecording* recording = s_->setup.recording;
  const CoordinatorOutcome& outcome = coordinator.outcome();
  RunEnd end;
  end.status = outcome.status;
  end.exit_code = outcome.exit_code;
  end.started = coordinator.started();
  // (A run stopped by --abort-on-fail ends `aborted` here, and then `failed`.)
  end.thresholds_fail_aborted = true;
  end.message = outcome.message;
  const std::string infra_json = s_->infra_json;
  end.before_thresholds = [&](ResultsStore& store, int64_t execution_id, int64_t end_ms,
                              const std::function<void(const Status&)>& fail) {
    std::map<std::string, std::string> script_hosts;  // worker -> its script host (issue 11)
    for (const ClusterWorker* w : coordinator.workers()) {
      ExecutionWorkerRecord r;
      r.worker_id = w->worker_id;
      r.name = w->name;
      r.host = w->host;
      r.joined_at_ms = w->joined_at_ms;
      r.left_at_ms = w->left_at_ms ? w->left_at_ms : std::optional<int64_t>(end_ms);
      r.state = w->phase == WorkerPhase::kFinished   ? "finished"
                : w->phase == WorkerPhase::kRejected ? "rejected"
                : coordinator.started()              ? "lost"
                                                     : WorkerPhaseName(w->phase);
      r.samples_received = w->samples_received;
      r.batches_received = w->batches_received;
      r.samples_lost = w->samples_lost();
      r.duplicate_batches = w->duplicate_batches;
      r.clock_offset_us = w->clock_offset_us.value_or(0);
      if (Status st = store.UpsertExecutionWorker(execution_id, r); !st.ok()) fail(st);
      if (w->finished && !w->finished->script_host_json.empty()) script_hosts[w->name] = w->finished->script_host_json;
      if (w->participant()) {
        out << "barrage: worker " << w->name << " (" << w->host << "): " << r.state << ", " << w->samples_received
            << " samples in " << w->batches_received << " batches";
        if (w->duplicate_batches) out << ", " << w->duplicate_batches << " duplicate batches";
        if (w->samples_lost()) out << ", " << w->samples_lost() << " samples LOST";
        if (w->clock_offset_us) out << ", clock offset " << *w->clock_offset_us << " us";
        if (!w->reason.empty()) out << " (" << w->reason << ")";
        out << "\n";
      }
    }
    if (!script_hosts.empty()) {
      if (Status st = store.SetExecutionInfra(execution_id, WithWorkerScriptHosts(infra_json, script_hosts)); !st.ok())
        fail(st);
    }
  };
  uint64_t lost = 0;
  uint64_t late = 0;  // arrivals dropped by dynamic thread groups, all workers (issue 12)
  for (const ClusterWorker* w : coordinator.workers()) {
    lost += w->samples_lost();
    late += w->late_arrivals;
  }
  end.threads.late_arrivals = static_cast<int64_t>(late);
  if (late > 0) err << "barrage: " << late << " arrival(s) dropped: their thread group was at its ConcurrencyLimit\n";
  end.totals = std::to_string(recording->recorded()) + " samples from " + std::to_string(s_->expected) + " worker(s)" +
               (lost ? ", " + std::to_string(lost) + " lost" : "");
  return recording->End(std::move(end));
}

int RunClusterPlan(const RunOptions& options, const LoadedPlan& loaded, const RunContext& run, RunSignals* signals,
                   RunRecording* recording) {
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
  int exit_code = kExitOk;
  std::unique_ptr<ClusterRunSession> session = ClusterRunSession::Prepare({.options = &options,
                                                                           .settings = &settings,
                                                                           .loaded = &loaded,
                                                                           .run = &run,
                                                                           .recording = recording,
                                                                           .transport = transport->get(),
                                                                           .endpoint = (*transport)->endpoint(),
                                                                           .out = &std::cout,
                                                                           .err = &std::cerr},
                                                                          &exit_code);
  if (!session) return exit_code;
  // From here a signal stops the run (the loop below escalates) instead of ending the process.
  std::atomic<int> presses{0};
  RunSignals::Armed armed = signals->Arm([&presses](int n) { presses = n; });
  if (!session->Begin(Now(), &exit_code)) return exit_code;

  int handled_presses = 0;
  InboundMessage message;
  while (!session->done()) {
    // Up to a bounded number of messages, then timers: ingest never starves the heartbeats.
    for (int i = 0; i < 2000 && !session->done(); ++i) {
      if (!(*transport)->Receive(std::chrono::milliseconds(i == 0 ? 50 : 0), &message)) break;
      session->OnMessage(message, Now());
    }
    for (int pressed = presses.load(); handled_presses < pressed;) {
      if (++handled_presses == 1) {
        std::cerr << "\nbarrage: " << GracefulStopMessage(options.stop_timeout_s) << "\n";
        session->RequestStop(false, "stopped by the operator", Now());
      } else {
        std::cerr << "barrage: stopping now\n";
        session->RequestStop(true, "stopped by the operator (now)", Now());
        handled_presses = pressed;
      }
    }
    session->OnTick(Now());
  }
  return session->End();
}

}  // namespace barrage
