// A virtual user: JMeter's JMeterThread as a state machine on an event loop. It walks its
// thread group's controllers, runs pre-processors and timers, sends requests through its
// own HttpTransfer, then post-processors and assertions, and emits the sample.
//
// Lives on one LoopWorker's thread; never touched from another thread after Start.
#ifndef BARRAGE_WORKER_VIRTUAL_USER_H_
#define BARRAGE_WORKER_VIRTUAL_USER_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "worker/compare_assertion.h"
#include "worker/controllers.h"
#include "worker/engine_internal.h"
#include "worker/http_managers.h"
#include "worker/http_transfer.h"
#include "worker/named_locks.h"
#include "worker/timers.h"

namespace barrage {

class VirtualUser final : public VuServices, public TransferHandler, public TimerHandler, public LockWaiter {
 public:
  VirtualUser(RunState* run, GroupRuntime* group, LoopWorker* worker, int thread_num);
  ~VirtualUser() override;

  // Schedules the user's start (MonotonicMicros clock).
  void Start(int64_t at_us);
  // Engine stop: graceful ends at the next step; now also aborts a request in flight,
  // which is recorded as an error sample.
  void Interrupt(bool now);
  bool finished() const { return state_ == State::kFinished; }
  // Loop thread: the lock this user waited for is its now (after OnLockGranted): go on.
  void ResumeWithLock();

  // VuServices
  ThreadContext& context() override { return ctx_; }
  void OnSamplerChosen(ControllerRt* owner) override { owner_ = owner; }
  bool last_sample_ok() const override { return last_sample_ok_; }
  int64_t now_ms() const override;
  void OnIterationStart(const Node& controller) override;
  void OnTransactionDone(TransactionRt& tx, SampleResult result) override;
  bool EvaluateCondition(const Value& condition, bool script) override;
  void RequestLock(const std::string& name) override { pending_locks_.push_back(name); }
  void ReleaseLock(const std::string& name) override;

  // LockWaiter (any thread): hands the user back to its loop (LoopWorker::granted).
  void OnLockGranted(const std::string& name) override;

  // TransferHandler / TimerHandler
  void OnTransferDone(CURL* easy, CURLcode result) override;
  void OnTimer(int64_t now_us, uint64_t token) override;

 private:
  // kSampling: a Dummy Sampler waits its response time (issue 10).
  enum class State { kCreated, kWaitingStart, kReady, kDelaying, kInFlight, kWaitingLock, kSampling, kFinished };

  void Begin();
  void Step();
  bool ShouldStop() const;
  void Finish();
  void ExecuteSampler();
  // Dummy Sampler (issue 10): starts it (waits on the loop when asked), then records it.
  void StartDummySample(const DummySampler& d);
  void CompleteDummySample(int64_t elapsed_us);
  // Runs post-processors and assertions on the loop's `result`, records it, then resets it.
  // A sampler's completion runs start to end on the loop thread, so one SampleResult per
  // loop serves all its users (a waiting user holds no result buffers).
  void CompleteSample();
  void RecordSample(SampleResult& result, const Sampler* sampler);
  void SetUserParameters(const UserParameters& up);
  void ApplyFlowControl(const TestAction& action);
  // After a failed sample: the thread group's action and its Result Status Action Handlers'.
  void ApplySampleErrorActions(const Sampler& sampler);
  void StartNextIterationOfCurrentLoop();
  void BreakCurrentLoop();
  // Takes the locks the controllers asked for (RequestLock), in order; false when the
  // user has to wait for one (state kWaitingLock).
  bool TakePendingLocks();
  void StartNextThreadLoop();
  void WaitUntil(int64_t at_us);
  // The in-flight request's deadlines (response timeout, scheduled end + stop timeout) share
  // one timer per user: ArmWatchdog queues it unless an earlier one is pending; OnWatchdog
  // aborts the request when a deadline passed and re-arms for the next one.
  void ArmWatchdog(int64_t at_us);
  void OnWatchdog(int64_t now_us);
  int64_t ScheduledEndMs() const;
  void RunIterationConfig(const Node& element);
  void RewriteUrl(const UrlRewritingModifier& m, HttpRequest* request);
  // The sampler as its HTML Link Parsers and HTML Parameter Masks rewrite it; null when it
  // has none in scope (issue 10, html_modifiers.h).
  std::unique_ptr<HttpSampler> ModifiedSampler(const HttpSampler& s);
  // Runs one assertion on `result` and records its outcome (Compare Assertions keep state).
  void Assert(const Node& assertion, SampleResult& result);

  RunState* run_;
  GroupRuntime* group_;
  LoopWorker* worker_;
  ThreadContext ctx_;
  HttpTransfer http_;
  std::vector<std::unique_ptr<ControllerRt>> controllers_;
  LoopRt* main_ = nullptr;
  std::unordered_map<const Node*, TransactionRt*> transactions_;
  ControllerRt* owner_ = nullptr;     // controller that returned the current sampler
  const Sampler* current_ = nullptr;  // sampler being processed
  bool delayed_ = false;              // timers of current_ already waited for
  State state_ = State::kCreated;
  uint64_t wait_token_ = 0;                               // of the start/delay timer; stale timers are ignored
  static constexpr uint64_t kWatchdogToken = UINT64_MAX;  // never a wait_token_
  int64_t watchdog_at_us_ = 0;                            // earliest watchdog timer queued (0: none)
  bool last_sample_ok_ = true;
  bool stop_after_sample_ = false;
  int empty_passes_ = 0;
  std::vector<std::string> pending_locks_;  // asked for, to take before the next sampler
  int64_t response_timeout_us_ = 0;
  int64_t abort_at_us_ = 0;     // a request in flight then is aborted (0: never; set once)
  int64_t dummy_start_ms_ = 0;  // the Dummy Sampler's start: wall clock and monotonic
  int64_t dummy_start_us_ = 0;
  TimerState timer_state_;
  CsvUserState csv_state_;
  ConfigUserState config_state_;
  HttpManagerState managers_;  // Authorization, Cache and DNS Cache Managers
  // URL Re-writing Modifiers: the previous sample's body, and the ids kept ("cache value").
  std::string previous_body_;
  bool has_previous_result_ = false;
  std::unordered_map<const Node*, std::string> saved_session_ids_;
  // HTML Link Parsers: the previous sample's URL and kind; HTML Parameter Masks' counters.
  std::string previous_url_;
  bool previous_http_ = false;
  std::unordered_map<const Node*, int64_t> param_mask_values_;
  std::unordered_map<const Node*, CompareState> compare_states_;  // Compare Assertions
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_VIRTUAL_USER_H_
