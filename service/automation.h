// What `barrage serve` does on its own (issue 13 items 4, 5): it fires the projects' schedules
// (service/schedules.h) and sends their webhooks when runs finish (service/webhooks.h,
// service/webhook_dispatcher.h). ServiceAutomation owns the stores, the Scheduler and the
// WebhookDispatcher; the run manager is reached only through RunHooks.
//
// One thread of its own ticks the Scheduler about once a second with the injected clock's
// wall time (a first tick at start reports the slots missed while the service was down, as
// Scheduler::Tick does) and turns finished runs into webhook deliveries. The dispatcher has
// its own thread for the network. Every fire, skip and miss is a line of the project's audit
// log (who: the OS user running the service; what: "schedule") and of `log`.
//
// Threads: every public method may be called from any thread. Destruction stops both threads
// promptly (a condition variable, not a sleep): a request in flight gets the dispatcher's
// stop_timeout, deliveries still waiting are logged as abandoned.
#ifndef BARRAGE_SERVICE_AUTOMATION_H_
#define BARRAGE_SERVICE_AUTOMATION_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "controller/results_store.h"
#include "service/schedules.h"
#include "service/webhook_dispatcher.h"
#include "service/webhooks.h"

namespace barrage {

// The run manager as automation sees it (its owner provides it). Both are called on the
// automation's thread, one call at a time.
struct RunHooks {
  // Starts (or queues) a run in `project` from a POST /runs body; its id. Errors:
  // InvalidArgument naming the field (bad body), NotFound (no such plan), Unsupported (no
  // workers and queue:false).
  std::function<Result<int64_t>(const std::string& project, const nlohmann::json& run_body,
                                const std::string& triggered_by)>
      submit_run;
  std::function<bool(int64_t run_id)> run_active;  // queued or running
};

// How a scheduled run is triggered (RunHooks::submit_run's triggered_by, the run's record):
// "schedule:NAME".
std::string ScheduleTrigger(const Schedule& schedule);

class ServiceAutomation {
 public:
  struct Options {
    std::chrono::milliseconds tick_interval{1000};  // between two ticks of the Scheduler
    // Delivery options; their clock defaults to Open's.
    WebhookDispatcherOptions dispatcher{};
  };

  // Opens the schedules' and webhooks' stores in the results store at `db_path` (which must
  // exist with its schema: ResultsStore::Open creates it) and starts the thread (first tick
  // at once) and the dispatcher. `public_url` ("https://host:8470", no trailing slash) makes
  // the report links of the payloads. `log` gets one line per scheduler event and per
  // problem (a tick's store error, once until it changes; a run whose completion cannot be
  // read), on the automation's thread. `clock` must outlive the object. Errors name the
  // path.
  static Result<std::unique_ptr<ServiceAutomation>> Open(const std::string& db_path, std::string public_url,
                                                         RunHooks hooks, std::function<void(const std::string&)> log,
                                                         const Clock& clock, Options options);
  static Result<std::unique_ptr<ServiceAutomation>> Open(const std::string& db_path, std::string public_url,
                                                         RunHooks hooks, std::function<void(const std::string&)> log,
                                                         const Clock& clock) {
    return Open(db_path, std::move(public_url), std::move(hooks), std::move(log), clock, Options{});
  }

  ~ServiceAutomation();  // Stop()
  ServiceAutomation(const ServiceAutomation&) = delete;
  ServiceAutomation& operator=(const ServiceAutomation&) = delete;

  // A run reached its final status: its completion (LoadRunCompletion, report URL
  // `<public_url>/api/v1/runs/ID/report?format=html`) goes to the project's webhooks. Returns
  // at once: the store is read on the automation's thread, the network is the dispatcher's.
  void OnRunFinished(int64_t run_id);

  // Waits until every run passed to OnRunFinished so far is queued for delivery and the
  // dispatcher is idle (true), or `timeout` passes (false).
  bool WaitUntilIdle(std::chrono::milliseconds timeout);

  // Ends the thread and the dispatcher (see the file comment). Idempotent.
  void Stop();

  // For the API's routes; both are thread-safe.
  ScheduleStore& schedules() { return schedules_; }
  WebhookStore& webhooks() { return *webhooks_; }
  WebhookDispatcher& dispatcher() { return *dispatcher_; }
  const Clock& clock() const { return clock_; }

 private:
  ServiceAutomation(ScheduleStore schedules, std::unique_ptr<WebhookStore> webhooks, ResultsStore results,
                    std::string db_path, std::string public_url, RunHooks hooks,
                    std::function<void(const std::string&)> log, const Clock& clock, Options options);
  void Run();
  // Reads run `run_id`'s completion and queues its deliveries.
  void Complete(int64_t run_id);
  // One audit_log line of `project` (who: the OS user).
  void Audit(const std::string& project, const std::string& line);

  ScheduleStore schedules_;
  std::unique_ptr<WebhookStore> webhooks_;
  ResultsStore results_;  // the completions' reads
  const std::string db_path_;
  const std::string public_url_;
  const RunHooks hooks_;
  const std::function<void(const std::string&)> log_;
  const Clock& clock_;
  const Options options_;
  Scheduler scheduler_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;

  std::mutex mu_;
  std::condition_variable wake_;  // the thread: a finished run, or Stop()
  std::condition_variable done_;  // WaitUntilIdle: the finished runs are queued
  std::deque<int64_t> finished_;  // runs whose completion is not read yet
  std::string tick_error_;        // the last tick's error ("" ok); the thread's own
  bool busy_ = false;             // the thread is completing a run
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_AUTOMATION_H_
