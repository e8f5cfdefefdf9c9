#include "service/run_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "controller/cluster_run.h"
#include "controller/prometheus_sink.h"
#include "controller/results_store.h"
#include "controller/run_command.h"
#include "service/plan_store.h"
#include "service/service_metrics.h"

namespace barrage {
namespace {

constexpr auto kLoopInterval = std::chrono::milliseconds(100);
constexpr int64_t kChildStopWaitMs = 15'000;

ClusterTime NowCluster() { return {MonotonicMicros(), WallMicros()}; }

// The last non-empty line of a child's output, for the run's message.
std::string LastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// Starts `argv` with stdout and stderr appended to `log_path`, stdin /dev/null, in `cwd`;
// SIGTERM when the calling thread ends. The child's pid, or -1 with *error set.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path, const std::string& cwd,
            std::string* error) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log < 0) {
    *error = log_path + ": " + std::strerror(errno);
    return -1;
  }
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null >= 0) dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    execv(args[0], args.data());
    static const char kFailed[] = "barrage serve: cannot start the run's process\n";
    ssize_t ignored = write(2, kFailed, sizeof kFailed - 1);
    (void)ignored;
    _exit(127);
  }
  const int saved = errno;
  close(log);
  if (null >= 0) close(null);
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(saved);
    return -1;
  }
  return pid;
}

}  // namespace

struct RunManager::Impl {
  // What a cluster run's session points to, kept until the session is gone.
  struct ClusterHold {
    RunOptions options;
    ClusterSettings settings;
    std::unique_ptr<PreparedRun> prepared;
    std::unique_ptr<PrometheusSink> metrics;  // before the recording: it outlives it
    std::unique_ptr<RunRecording> recording;
    std::ofstream log;
  };
  struct Queued {
    int64_t id = 0;
    std::string project;
    RunRequest request;
    DefinitionRecord definition;
    std::string who;
  };
  struct LocalRun {
    std::string project;
    pid_t pid = 0;
    std::string log_path;
    int64_t stop_requested_ms = 0;  // 0 = not asked to stop
  };

  RunManagerOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Queued> queue;
  std::map<int64_t, LocalRun> local;
  std::map<int64_t, std::unique_ptr<ClusterHold>> cluster;
  // Ended cluster runs' metrics, oldest first: their series stay scrapeable a while.
  std::deque<std::unique_ptr<PrometheusSink>> ended_metrics;
  // Posted by the host's thread, which must never wait for `mu`: the manager's thread holds
  // `mu` while it waits for the host (StartRun).
  std::mutex ended_mu;
  std::vector<int64_t> cluster_ended;
  std::vector<int64_t> ended;  // queued runs stopped: `finished` to call
  uint64_t dispatches = 0;     // passes of the loop (Submit waits for the one after its run came)
  bool accepting = true;
  bool stopping = false;
  std::thread thread;

  std::mutex stores_mu;
  std::map<std::string, std::unique_ptr<ResultsStore>> stores;  // one handle per project

  Result<ResultsStore*> Store(const std::string& project) {
    std::lock_guard<std::mutex> lock(stores_mu);
    auto it = stores.find(project);
    if (it != stores.end()) return it->second.get();
    ResultsStore::Options o;
    o.project = project;
    o.must_exist = true;
    Result<ResultsStore> store = ResultsStore::Open(options.db_path, o);
    if (!store.ok()) return store.status();
    auto handle = std::make_unique<ResultsStore>(std::move(store).value());
    ResultsStore* raw = handle.get();
    stores.emplace(project, std::move(handle));
    return raw;
  }

  // Keeps the ended run's series for later scrapes; drops the oldest beyond
  // kRetainedEndedRuns. Manager thread, under mu.
  void RetireMetrics(int64_t id) {
    auto it = cluster.find(id);
    if (it == cluster.end() || !it->second->metrics) return;
    ended_metrics.push_back(std::move(it->second->metrics));
    while (ended_metrics.size() > kRetainedEndedRuns) {
      ended_metrics.front()->RemoveSeries();
      ended_metrics.pop_front();
    }
  }

  void EndQueued(const std::string& project, int64_t id, ExecutionStatus status, const std::string& reason) {
    Result<ResultsStore*> store = Store(project);
    Status st = store.ok() ? (*store)->EndQueuedExecution(id, status, WallMillis(), reason) : store.status();
    options.log("run " + std::to_string(id) + " " + std::string(ExecutionStatusName(status)) + ": " + reason +
                (st.ok() ? "" : " (not recorded: " + st.message() + ")"));
  }

  // Whether a new run asking for `request` would start now (before it is recorded): nothing
  // of its kind waits before it and what it needs is free. Under mu.
  Status CanStartNow(const RunRequest& request) const {
    for (const Queued& q : queue) {
      if (q.request.cluster() == request.cluster()) {
        return Status::Unsupported(std::string("run ") + std::to_string(q.id) + " waits before it for " +
                                   (request.cluster() ? "workers" : "a local run slot"));
      }
    }
    return IsFree(request);
  }

  // Whether what `request` needs is free now: a local run slot, or its workers idle. Under mu.
  Status IsFree(const RunRequest& request) const {
    if (!request.cluster()) {
      if (static_cast<int>(local.size()) >= options.max_local_runs) {
        return Status::Unsupported(std::to_string(local.size()) + " local run(s) running, the most at once (" +
                                   std::to_string(options.max_local_runs) + ")");
      }
      return Status::Ok();
    }
    std::map<std::string, PoolState> states;
    for (const PooledWorker& w : options.host->Workers()) states[w.name] = w.state;
    if (!request.worker_names.empty()) {
      for (const std::string& name : request.worker_names) {
        auto it = states.find(name);
        if (it == states.end()) return Status::Unsupported("worker_names: no worker '" + name + "' in the pool");
        if (it->second != PoolState::kIdle)
          return Status::Unsupported("worker_names: worker '" + name + "' is not idle");
      }
      return Status::Ok();
    }
    int idle = 0;
    for (const auto& [name, state] : states) idle += state == PoolState::kIdle ? 1 : 0;
    if (idle < request.workers) {
      return Status::Unsupported("workers: " + std::to_string(request.workers) + " requested, " + std::to_string(idle) +
                                 " idle");
    }
    return Status::Ok();
  }

  RunOptions OptionsFor(const Queued& q, const std::string& plan_path) const {
    RunOptions o;
    o.plan_path = plan_path;
    o.db_path = options.db_path;
    o.project = q.project;
    o.duration_s = q.request.duration_s;
    o.thresholds = q.request.thresholds;
    o.queued_run = q.id;
    o.summary_interval_s = 5;
    for (const auto& [k, v] : q.request.properties) o.properties.push_back(k + "=" + v);
    o.cluster.workers = q.request.workers;
    o.cluster.worker_names = q.request.worker_names;
    o.cluster.share = q.request.share;
    return o;
  }

  // The run's folder; "" with the run ended `errored` when it cannot be made.
  std::string Folder(const Queued& q) {
    Result<ResultsStore*> store = Store(q.project);
    Result<std::string> jmx = store.ok() ? (*store)->DefinitionJmx(q.definition.id) : store.status();
    Result<std::string> plan =
        jmx.ok() ? MakeRunFolder(options.data_dir, q.id, q.definition, *jmx) : Result<std::string>(jmx.status());
    if (!plan.ok()) {
      EndQueued(q.project, q.id, ExecutionStatus::kErrored, plan.status().message());
      return "";
    }
    return *plan;
  }

  // Starts a queued local run: true when it left the queue (started or failed).
  bool StartLocal(const Queued& q) {
    const std::string plan = Folder(q);
    if (plan.empty()) return true;
    const std::string folder = std::filesystem::path(plan).parent_path().string();
    RunOptions o = OptionsFor(q, plan);
    std::vector<std::string> argv = {options.barrage_binary,
                                     "run",
                                     plan,
                                     "--db",
                                     o.db_path,
                                     "--project",
                                     o.project,
                                     "--queued-run",
                                     std::to_string(q.id),
                                     "--summary-interval",
                                     std::to_string(o.summary_interval_s)};
    if (o.duration_s > 0) argv.insert(argv.end(), {"--duration", std::to_string(o.duration_s)});
    for (const std::string& kv : o.properties) argv.insert(argv.end(), {"-J", kv});
    for (const std::string& t : o.thresholds) argv.insert(argv.end(), {"--threshold", t});
    const std::string log_path = folder + "/output.log";
    std::string error;
    const pid_t pid = Spawn(argv, log_path, folder, &error);
    if (pid < 0) {
      EndQueued(q.project, q.id, ExecutionStatus::kErrored, error);
      return true;
    }
    local[q.id] = LocalRun{q.project, pid, log_path, 0};
    options.log("run " + std::to_string(q.id) + " started: local, " + q.definition.name + " v" +
                std::to_string(q.definition.version) + " (pid " + std::to_string(pid) + ")");
    return true;
  }

  // Starts a queued cluster run: true when it left the queue (started or failed), false
  // while its workers are busy.
  bool StartCluster(const Queued& q) {
    if (!options.host) {
      EndQueued(q.project, q.id, ExecutionStatus::kErrored, "this service has no worker pool");
      return true;
    }
    if (!IsFree(q.request).ok()) return false;
    const std::string plan = Folder(q);
    if (plan.empty()) return true;
    auto hold = std::make_unique<ClusterHold>();
    hold->options = OptionsFor(q, plan);
    hold->settings = *options.cluster;
    hold->settings.share = q.request.share;
    hold->log.open(std::filesystem::path(plan).parent_path() / "output.log", std::ios::app);
    int exit_code = 0;
    hold->prepared = PrepareRun(hold->options, ReadPlanFile, hold->log, &exit_code);
    if (!hold->prepared) {
      hold->log.flush();
      EndQueued(q.project, q.id, ExecutionStatus::kErrored,
                LastLine((std::filesystem::path(plan).parent_path() / "output.log").string()));
      return true;
    }
    RunRecordingOptions recording_options = RecordingOptionsFor(hold->options, *hold->prepared);
    if (options.metrics) {
      hold->metrics = std::make_unique<PrometheusSink>(options.metrics);
      recording_options.live_sinks.push_back(hold->metrics.get());
    }
    hold->recording = std::make_unique<RunRecording>(std::move(recording_options), hold->log, hold->log);
    ClusterHold* h = hold.get();
    const ClusterSettings* settings = &h->settings;
    auto launch = [h, settings](ClusterTransport* transport, const std::string& endpoint,
                                std::vector<CoordinatorOptions::Adopted> workers,
                                std::string* error) -> std::unique_ptr<ClusterRunSession> {
      ClusterRunSetup setup;
      setup.options = &h->options;
      setup.settings = settings;
      setup.loaded = &h->prepared->loaded;
      setup.run = &h->prepared->run;
      setup.recording = h->recording.get();
      setup.transport = transport;
      setup.endpoint = endpoint;
      setup.adopted = std::move(workers);
      setup.out = &h->log;
      setup.err = &h->log;
      int code = 0;
      std::unique_ptr<ClusterRunSession> session = ClusterRunSession::Prepare(setup, &code);
      if (session && session->Begin(NowCluster(), &code)) return session;
      h->log.flush();
      *error = "the run could not start (exit " + std::to_string(code) + "): see its output.log";
      return nullptr;
    };
    auto on_end = [this](int64_t id, int) {
      std::lock_guard<std::mutex> lock(ended_mu);
      cluster_ended.push_back(id);  // the manager's loop looks every kLoopInterval
    };
    const int count = q.request.worker_names.empty() ? q.request.workers : 0;
    Result<int64_t> started = options.host->StartRun(count, q.request.worker_names, launch, on_end);
    if (!started.ok() && started.status().code() == Status::Code::kUnsupported) return false;
    if (!started.ok()) {
      EndQueued(q.project, q.id, ExecutionStatus::kErrored, started.status().message());
      return true;
    }
    cluster[q.id] = std::move(hold);
    options.log("run " + std::to_string(q.id) + " started: " + std::to_string(q.request.workers) + " worker(s), " +
                q.definition.name + " v" + std::to_string(q.definition.version));
    return true;
  }

  // Starts what can start, first come first served per kind. Manager thread, under mu.
  void Dispatch() {
    bool local_blocked = false, cluster_blocked = false;
    for (auto it = queue.begin(); it != queue.end();) {
      const bool is_cluster = it->request.cluster();
      bool& blocked = is_cluster ? cluster_blocked : local_blocked;
      bool left = false;
      if (!blocked) {
        if (is_cluster) {
          left = StartCluster(*it);
        } else if (static_cast<int>(local.size()) < options.max_local_runs) {
          left = StartLocal(*it);
        }
      }
      if (left) {
        it = queue.erase(it);
        cv.notify_all();
      } else {
        blocked = true;
        ++it;
      }
    }
  }

  // After a local run's process ended: its record, if the child could not keep it.
  void Reaped(int64_t id, const LocalRun& run, int status) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    Result<ResultsStore*> store = Store(run.project);
    if (store.ok()) {
      Result<ExecutionRecord> record = (*store)->GetExecution(id);
      if (record.ok() && record->status == ExecutionStatus::kQueued) {
        EndQueued(run.project, id, ExecutionStatus::kErrored,
                  "barrage run exited with " + std::to_string(code) + ": " + LastLine(run.log_path));
      } else if (record.ok() && record->status == ExecutionStatus::kRunning) {
        (void)(*store)->MarkInterruptedExecutions();  // its controller (the child) is gone
      }
    }
    options.log("run " + std::to_string(id) + " ended (barrage run exited with " + std::to_string(code) + ")");
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait_for(lock, kLoopInterval);
      std::vector<int64_t> done;
      for (auto it = local.begin(); it != local.end();) {
        int status = 0;
        if (waitpid(it->second.pid, &status, WNOHANG) == it->second.pid) {
          Reaped(it->first, it->second, status);
          done.push_back(it->first);
          it = local.erase(it);
        } else {
          if (it->second.stop_requested_ms && WallMillis() - it->second.stop_requested_ms > kChildStopWaitMs) {
            kill(it->second.pid, SIGKILL);
          }
          ++it;
        }
      }
      std::vector<int64_t> cluster_done;
      {
        std::lock_guard<std::mutex> ended_lock(ended_mu);
        cluster_done.swap(cluster_ended);
      }
      for (int64_t id : cluster_done) {
        RetireMetrics(id);
        cluster.erase(id);
        done.push_back(id);
      }
      for (int64_t id : ended) done.push_back(id);
      ended.clear();
      if (accepting) Dispatch();
      ++dispatches;
      cv.notify_all();  // Submit waits for a pass
      lock.unlock();
      for (int64_t id : done) options.finished(id);
      lock.lock();
      if (stopping && local.empty()) break;
    }
  }

  void StopLocal(LocalRun& run, bool now) {
    if (run.stop_requested_ms == 0) run.stop_requested_ms = WallMillis();
    kill(run.pid, SIGINT);  // barrage run: the first signal stops gracefully, the second now
    if (now) kill(run.pid, SIGTERM);
  }

  void EndQueue(const std::string& why) {
    for (const Queued& q : queue) EndQueued(q.project, q.id, ExecutionStatus::kAborted, why);
    queue.clear();
  }
};

RunManager::RunManager(RunManagerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  Impl* raw = impl_.get();
  impl_->thread = std::thread([raw] { raw->Loop(); });
}

RunManager::~RunManager() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->accepting = false;
    impl_->stopping = true;
    impl_->EndQueue("the service stopped");
    for (auto& [id, run] : impl_->local) impl_->StopLocal(run, /*now=*/true);
    impl_->cv.notify_all();
  }
  impl_->thread.join();
}

void RunManager::StopAccepting() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->accepting = false;
  impl_->EndQueue("the service stopped");
  impl_->cv.notify_all();
}

Result<RunTicket> RunManager::Submit(const std::string& project, const RunRequest& request, const std::string& who) {
  if (request.cluster() && !impl_->options.host) {
    return Status::InvalidArgument("workers: this service has no worker pool");
  }
  Result<ResultsStore*> store = impl_->Store(project);
  if (!store.ok()) return store.status();
  Result<DefinitionRecord> definition = (*store)->GetDefinition(request.plan, request.version);
  if (!definition.ok()) return definition.status();
  std::unique_lock<std::mutex> lock(impl_->mu);
  if (!impl_->accepting) return Status::Unsupported("the service is stopping");
  if (!request.queue) {
    if (Status st = impl_->CanStartNow(request); !st.ok())
      return Status::Unsupported(st.message() + " (\"queue\": false)");
  }
  ExecutionInfo info;
  info.plan_path = definition->name;
  info.project = project;
  info.started_at_ms = WallMillis();
  nlohmann::json properties = nlohmann::json::object();
  for (const auto& [k, v] : request.properties) properties[k] = v;
  info.properties_json = properties.dump();
  info.infra_json =
      request.cluster()
          ? nlohmann::json{{"mode", "cluster"},
                           {"workers", request.worker_names.empty() ? request.workers
                                                                    : static_cast<int>(request.worker_names.size())}}
                .dump()
          : R"({"mode":"local"})";
  info.triggered_by = who;
  Result<int64_t> id = (*store)->QueueExecution(info, definition->id);
  if (!id.ok()) return id.status();
  impl_->queue.push_back({*id, project, request, *definition, who});
  impl_->options.log("run " + std::to_string(*id) + " queued by " + who + ": " + definition->name + " v" +
                     std::to_string(definition->version) + " in project " + project);
  impl_->cv.notify_all();
  // The manager's thread starts it (a child must be its child: see Spawn); a run that can
  // start now has left the queue once it has looked.
  const uint64_t pass = impl_->dispatches;
  impl_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->dispatches > pass; });
  RunTicket ticket;
  ticket.id = *id;
  ticket.queue_position = QueuePositionLocked(*id);
  ticket.started = !ticket.queue_position.has_value();
  return ticket;
}

std::optional<int> RunManager::QueuePositionLocked(int64_t id) const {
  int position = 0;
  for (const Impl::Queued& q : impl_->queue) {
    ++position;
    if (q.id == id) return position;
  }
  return std::nullopt;
}

Result<ResultsStore*> RunManager::Store(const std::string& project) { return impl_->Store(project); }

Result<std::string> RunManager::ProjectOf(int64_t id) {
  Result<ResultsStore*> store = impl_->Store("default");
  if (!store.ok()) return store.status();
  Result<ExecutionRecord> record = (*store)->GetExecution(id);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("run " + std::to_string(id) + " not found");
    }
    return record.status();
  }
  return record->project;
}

std::optional<int> RunManager::QueuePosition(int64_t id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return QueuePositionLocked(id);
}

std::map<std::string, ProjectRunCounts> RunManager::CountRuns() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::map<std::string, ProjectRunCounts> counts;
  for (const auto& q : impl_->queue) ++counts[q.project].queued;
  for (const auto& [id, run] : impl_->local) ++counts[run.project].running;
  for (const auto& [id, hold] : impl_->cluster) ++counts[hold->options.project].running;
  return counts;
}

bool RunManager::Active(int64_t id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return QueuePositionLocked(id).has_value() || impl_->local.count(id) || impl_->cluster.count(id);
}

Status RunManager::Stop(int64_t id, bool now, const std::string& who) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  for (auto it = impl_->queue.begin(); it != impl_->queue.end(); ++it) {
    if (it->id != id) continue;
    impl_->EndQueued(it->project, id, ExecutionStatus::kAborted, "stopped while queued by " + who);
    impl_->queue.erase(it);
    impl_->ended.push_back(id);
    impl_->cv.notify_all();
    return Status::Ok();
  }
  if (auto it = impl_->local.find(id); it != impl_->local.end()) {
    impl_->options.log("run " + std::to_string(id) + ": stop" + (now ? " now" : "") + " asked by " + who);
    impl_->StopLocal(it->second, now);
    return Status::Ok();
  }
  if (impl_->cluster.count(id) && impl_->options.host) {
    impl_->options.log("run " + std::to_string(id) + ": stop" + (now ? " now" : "") + " asked by " + who);
    lock.unlock();  // the host's thread may be posting this run's end
    return impl_->options.host->StopRun(id, now, "stopped by " + who);
  }
  return Status::NotFound("run " + std::to_string(id) + " is not queued or running");
}

}  // namespace barrage
