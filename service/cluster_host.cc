#include "service/cluster_host.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "common/clock.h"

namespace barrage {
namespace {

ClusterTime Now() { return {MonotonicMicros(), WallMicros()}; }

// How long the host waits, when it is destroyed, for runs stopped `now` to end.
constexpr int64_t kShutdownWaitUs = 10'000'000;

}  // namespace

struct ClusterHost::Impl {
  struct Run {
    std::unique_ptr<ClusterRunSession> session;
    Ended ended;
  };

  std::unique_ptr<ZmqRouterTransport> transport;
  std::unique_ptr<WorkerPool> pool;
  std::function<void(const std::string&)> log;
  std::map<int64_t, Run> runs;  // by execution id; host thread only
  int64_t next_key = -1;        // pool keys of runs still launching: negative, never an execution id

  std::mutex mu;  // guards tasks, snapshot, running_count
  std::deque<std::function<void()>> tasks;
  std::vector<PooledWorker> snapshot;
  int running_count = 0;
  std::atomic<bool> stopping{false};
  std::thread thread;

  // Runs `fn` on the host's thread and waits for its result.
  template <typename T>
  T Call(std::function<T()> fn) {
    auto task = std::make_shared<std::packaged_task<T()>>(std::move(fn));
    std::future<T> result = task->get_future();
    {
      std::lock_guard<std::mutex> lock(mu);
      tasks.push_back([task] { (*task)(); });
    }
    return result.get();
  }

  void RunTasks() {
    std::deque<std::function<void()>> now;
    {
      std::lock_guard<std::mutex> lock(mu);
      now.swap(tasks);
    }
    for (auto& task : now) task();
  }

  void Route(const InboundMessage& m, ClusterTime now) {
    if (std::optional<int64_t> run = pool->RunOf(m)) {
      auto it = runs.find(*run);
      if (it != runs.end()) {
        it->second.session->OnMessage(m, now);
        return;
      }
    }
    pool->OnMessage(m, now);
  }

  // Ends the runs that are done: their record, their callback, their workers back.
  void Reap(ClusterTime now) {
    for (auto it = runs.begin(); it != runs.end();) {
      ClusterRunSession& session = *it->second.session;
      if (!session.done()) {
        ++it;
        continue;
      }
      std::map<std::string, std::string> peers;
      std::vector<std::string> lost;
      for (const ClusterWorker* w : session.coordinator().workers()) {
        if (!w->participant()) continue;
        peers[w->name] = w->peer;
        if (w->phase == WorkerPhase::kLost) lost.push_back(w->name);
      }
      const int code = session.End();
      const int64_t id = it->first;
      pool->Release(id, peers, lost, now);
      // The session is gone before its owner hears of the end: what it pointed to may go then.
      Ended ended = std::move(it->second.ended);
      it = runs.erase(it);
      if (ended) ended(id, code);
    }
  }

  void Publish() {
    std::vector<PooledWorker> list = pool->List();
    std::lock_guard<std::mutex> lock(mu);
    snapshot = std::move(list);
    running_count = static_cast<int>(runs.size());
  }

  void Loop() {
    InboundMessage message;
    std::optional<int64_t> shutdown_at;
    while (true) {
      for (int i = 0; i < 2000; ++i) {
        if (!transport->Receive(std::chrono::milliseconds(i == 0 ? 20 : 0), &message)) break;
        Route(message, Now());
      }
      RunTasks();
      const ClusterTime now = Now();
      pool->OnTick(now);
      for (auto& [id, run] : runs) run.session->OnTick(now);
      Reap(now);
      Publish();
      if (stopping) {
        if (!shutdown_at) {
          shutdown_at = now.steady_us;
          for (auto& [id, run] : runs) run.session->RequestStop(true, "the service is stopping", now);
        }
        if (runs.empty() || now.steady_us - *shutdown_at > kShutdownWaitUs) break;
      }
    }
    // Runs whose workers never answered the stop end as the coordinator judged them.
    for (auto& [id, run] : runs) {
      if (run.session->done()) run.session->End();
    }
    RunTasks();  // callers waiting on a task get their answer
  }
};

Result<std::unique_ptr<ClusterHost>> ClusterHost::Open(const ClusterSettings& settings,
                                                       std::function<void(const std::string&)> log) {
  auto impl = std::make_unique<Impl>();
  impl->log = std::move(log);
  ZmqTransportOptions to;
  to.bind = settings.bind;
  to.insecure = settings.insecure;
  to.secret_key = settings.secret_key;
  to.allowed_keys = settings.allowed_keys;
  to.log = impl->log;
  Result<std::unique_ptr<ZmqRouterTransport>> transport = ZmqRouterTransport::Open(to);
  if (!transport.ok()) return transport.status();
  impl->transport = std::move(transport).value();
  WorkerPoolOptions po;
  po.heartbeat_interval_us = settings.heartbeat_ms * 1000;
  po.bound_names = settings.bound_names;
  impl->pool = std::make_unique<WorkerPool>(po, impl->transport.get(), impl->log);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<ClusterHost>(new ClusterHost(std::move(impl)));
}

ClusterHost::ClusterHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClusterHost::~ClusterHost() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& ClusterHost::endpoint() const { return impl_->transport->endpoint(); }

std::vector<PooledWorker> ClusterHost::Workers() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->snapshot;
}

void ClusterHost::SetAllowedKeys(std::set<std::string> keys) { impl_->transport->SetAllowedKeys(std::move(keys)); }

int ClusterHost::running() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->running_count;
}

Result<int64_t> ClusterHost::StartRun(int count, const std::vector<std::string>& names, Launch launch, Ended ended) {
  if (impl_->stopping) return Status::Unsupported("the service is stopping");
  Impl* h = impl_.get();
  return h->Call<Result<int64_t>>([h, count, &names, &launch, &ended]() -> Result<int64_t> {
    const int64_t key = h->next_key--;
    const ClusterTime now = Now();
    Result<std::vector<PooledWorker>> got = h->pool->Reserve(key, count, names, now);
    if (!got.ok()) return got.status();
    std::vector<CoordinatorOptions::Adopted> adopted;
    for (const PooledWorker& w : *got) adopted.push_back({w.peer, w.name, w.host, w.version, w.public_key, w.cores});
    std::string error;
    std::unique_ptr<ClusterRunSession> session = launch(h->transport.get(), h->transport->endpoint(), adopted, &error);
    if (!session) {
      h->pool->Release(key, {}, {}, now);
      return Status::Internal(error);
    }
    const int64_t id = session->execution_id();
    h->pool->Rekey(key, id);
    h->runs[id] = {std::move(session), std::move(ended)};
    h->Publish();
    return id;
  });
}

Status ClusterHost::StopRun(int64_t execution_id, bool now, const std::string& reason) {
  Impl* h = impl_.get();
  return h->Call<Status>([h, execution_id, now, &reason]() -> Status {
    auto it = h->runs.find(execution_id);
    if (it == h->runs.end()) return Status::NotFound("run " + std::to_string(execution_id) + " is not running");
    it->second.session->RequestStop(now, reason, Now());
    return Status::Ok();
  });
}

}  // namespace barrage
