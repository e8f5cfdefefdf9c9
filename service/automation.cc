#include "service/automation.h"

#include <algorithm>
#include <utility>

namespace barrage {

std::string ScheduleTrigger(const Schedule& schedule) { return "schedule:" + schedule.name; }

Result<std::unique_ptr<ServiceAutomation>> ServiceAutomation::Open(const std::string& db_path, std::string public_url,
                                                                   RunHooks hooks,
                                                                   std::function<void(const std::string&)> log,
                                                                   const Clock& clock, Options options) {
  Result<ScheduleStore> schedules = ScheduleStore::Open(db_path);
  if (!schedules.ok()) return schedules.status();
  Result<std::unique_ptr<WebhookStore>> webhooks = WebhookStore::Open(db_path);
  if (!webhooks.ok()) return webhooks.status();
  ResultsStore::Options results_options;
  results_options.must_exist = true;
  Result<ResultsStore> results = ResultsStore::Open(db_path, results_options);
  if (!results.ok()) return results.status();
  return std::unique_ptr<ServiceAutomation>(new ServiceAutomation(
      std::move(schedules).value(), std::move(webhooks).value(), std::move(results).value(), db_path,
      std::move(public_url), std::move(hooks), std::move(log), clock, std::move(options)));
}

ServiceAutomation::ServiceAutomation(ScheduleStore schedules, std::unique_ptr<WebhookStore> webhooks,
                                     ResultsStore results, std::string db_path, std::string public_url, RunHooks hooks,
                                     std::function<void(const std::string&)> log, const Clock& clock, Options options)
    : schedules_(std::move(schedules)),
      webhooks_(std::move(webhooks)),
      results_(std::move(results)),
      db_path_(std::move(db_path)),
      public_url_(std::move(public_url)),
      hooks_(std::move(hooks)),
      log_(std::move(log)),
      clock_(clock),
      options_(std::move(options)),
      scheduler_(&schedules_, Scheduler::Callbacks{
                                  [this](const Schedule& s) -> Result<int64_t> {
                                    if (!hooks_.submit_run) return Status::Unsupported("runs are not wired yet");
                                    return hooks_.submit_run(s.project, s.run, ScheduleTrigger(s));
                                  },
                                  [this](int64_t run_id) { return hooks_.run_active && hooks_.run_active(run_id); },
                                  [this](const std::string& project, const std::string& line) { Audit(project, line); },
                              }) {
  WebhookDispatcherOptions dispatcher_options = options_.dispatcher;
  if (dispatcher_options.clock == nullptr) dispatcher_options.clock = &clock_;
  dispatcher_ = std::make_unique<WebhookDispatcher>(webhooks_.get(), std::move(dispatcher_options));
  thread_ = std::thread([this] { Run(); });
}

ServiceAutomation::~ServiceAutomation() { Stop(); }

void ServiceAutomation::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  dispatcher_->Stop();
}

void ServiceAutomation::OnRunFinished(int64_t run_id) {
  {
    std::lock_guard lock(mu_);
    finished_.push_back(run_id);
  }
  wake_.notify_all();
}

bool ServiceAutomation::WaitUntilIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock lock(mu_);
    if (!done_.wait_until(lock, deadline, [&] { return (finished_.empty() && !busy_) || stopping_; })) return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return dispatcher_->WaitUntilIdle(std::max(left, std::chrono::milliseconds(0)));
}

void ServiceAutomation::Run() {
  std::unique_lock lock(mu_);
  auto next_tick = std::chrono::steady_clock::now();  // the first tick at once: missed slots
  while (true) {
    // Finished runs first (a few reads each), then the tick when it is due.
    while (!finished_.empty()) {
      const int64_t run_id = finished_.front();
      finished_.pop_front();
      busy_ = true;
      lock.unlock();
      Complete(run_id);
      lock.lock();
      busy_ = false;
    }
    done_.notify_all();
    if (stopping_) return;
    if (std::chrono::steady_clock::now() >= next_tick) {
      lock.unlock();
      // A store that keeps failing is logged once, not every second, and so is its recovery.
      const Status st = scheduler_.Tick(clock_.WallMillis());
      if (st.message() != tick_error_ && log_) {
        log_(st.ok() ? "schedules: the store answers again" : "schedules: " + st.message());
      }
      tick_error_ = st.message();
      lock.lock();
      next_tick = std::chrono::steady_clock::now() + options_.tick_interval;
      continue;  // runs may have finished meanwhile
    }
    wake_.wait_until(lock, next_tick, [&] { return stopping_ || !finished_.empty(); });
  }
}

void ServiceAutomation::Complete(int64_t run_id) {
  const std::string report_url = public_url_ + "/api/v1/runs/" + std::to_string(run_id) + "/report?format=html";
  Result<RunCompletion> run = LoadRunCompletion(results_, run_id, report_url);
  if (!run.ok()) {
    if (log_) log_("webhooks: run " + std::to_string(run_id) + ": " + run.status().message());
    return;
  }
  if (Result<int> queued = dispatcher_->RunCompleted(*run); !queued.ok() && log_) {
    log_("webhooks: run " + std::to_string(run_id) + ": " + queued.status().message());
  }
}

void ServiceAutomation::Audit(const std::string& project, const std::string& line) {
  // The results store writes the project's audit line as the OS user; schedule events are
  // rare (at most one per schedule and minute), so a connection per line is cheap enough.
  ResultsStore::Options options;
  options.project = project;
  options.must_exist = true;
  Result<ResultsStore> store = ResultsStore::Open(db_path_, options);
  Status st = store.ok() ? store->Audit("schedule", 0, line) : store.status();
  if (st.ok()) st = store->Close();
  if (!st.ok() && log_) log_("audit log: " + st.message());
  if (log_) log_(project + ": " + line);
}

}  // namespace barrage
