// A virtual user: JMeter's JMeterThread as a state machine on an event loop. It walks its
// thread group's controllers, runs pre-processors and timers, sends requests through its
// own HttpTransfer, then post-processors and assertions, and emits the sample.
//
// Lives on one LoopWorker's thread; never touched from another thread after Start.
#ifndef BARRAGE_WORKER_VIRTUAL_USER_H_
#define BARRAGE_WORKER_VIRTUAL_USER_H_

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "worker/compare_assertion.h"
#include "worker/controllers.h"
#include "worker/engine_internal.h"
#include "worker/fifo_queues.h"
#include "worker/http_managers.h"
#include "worker/http_transfer.h"
#include "worker/named_locks.h"
#include "worker/parallel_sampler.h"
#include "worker/script_host.h"
#include "worker/sync_barrier.h"
#include "worker/timers.h"

namespace barrage {

class VirtualUser final : public VuServices,
                          public TransferHandler,
                          public TimerHandler,
                          public LockWaiter,
                          public FifoWaiter,
                          public BarrierWaiter,
                          public DnsWaiter,
                          public ScriptCallback {
 public:
  VirtualUser(RunState* run, GroupRuntime* group, LoopWorker* worker, int thread_num);
  // A branch of the Parallel Controller `parallel` run by `parent`: it runs `child` once
  // each time BeginBranch is called, sharing the parent's variables (parallel_sampler.h).
  VirtualUser(VirtualUser* parent, const ParallelSampler& parallel, const Node& child);
  ~VirtualUser() override;

  // Schedules the user's start (MonotonicMicros clock). `end_wall_ms` > 0: the user's own
  // scheduled end (WallMillis clock), instead of its thread group's (Ultimate and Stepping
  // Thread Groups: JMeterThread.setEndTime).
  void Start(int64_t at_us, int64_t end_wall_ms = 0);
  // A schedule (an arrival, a throughput timer's slot) meant the user's next sample to start
  // at `intended_wall_us` (WallMicros clock): that sample records how late it started, and the
  // user's samples after it carry the same lag until the next call (Sample::schedule_lag_us).
  void NoteIntendedStart(int64_t intended_wall_us) { pending_intended_us_ = intended_wall_us; }
  // A dynamic thread group's user (worker/arrival_groups.h): `driver` decides what the user
  // does after each iteration (set before Start).
  void set_driver(LoopGroupDriver* driver) { driver_ = driver; }
  // A user its driver parked (LoopGroupDriver::AfterIteration::kPark) runs one more iteration
  // now, meant to start at `intended_wall_us` (an arrival).
  void ResumeForArrival(int64_t intended_wall_us);
  // Iterations of the thread group the user ended.
  int iterations_done() const;
  // Engine stop: graceful ends at the next step; now also aborts a request in flight,
  // which is recorded as an error sample.
  void Interrupt(bool now);
  bool finished() const { return state_ == State::kFinished; }
  // A finished dynamic-group user about to be freed (worker/user_reclaim.h): appends the
  // timer handlers the user and its Parallel Controller branches may have queued, and the
  // objects (the user, its branches) a loop's `granted` list may name. False (and nothing to
  // free) when the user or a branch it started has not finished.
  bool CollectReclaimable(std::vector<const TimerHandler*>* handlers, std::vector<const VirtualUser*>* objects) const;
  // Loop thread: the wait on other users is over (after OnLockGranted, OnFifoValue or
  // OnBarrierReleased): go on.
  void ResumeAfterWait();

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

  // LockWaiter, FifoWaiter, BarrierWaiter (any thread): hand the user back to its loop
  // (LoopWorker::granted).
  void OnLockGranted(const std::string& name) override;
  void OnFifoValue(std::string value) override;
  void OnBarrierReleased() override;

  // TransferHandler / TimerHandler
  void OnTransferDone(CURL* easy, CURLcode result) override;
  void OnTimer(int64_t now_us, uint64_t token) override;
  // DnsWaiter: the custom DNS servers answered (or not); the request goes on.
  void OnResolved(uint64_t token, bool ok, const std::string& result) override;
  // ScriptCallback (a script host thread): the user's script ended; back to its loop.
  void OnScriptDone(ScriptCall* call) override;
  // The call the user waits for in kScripting (a quick script its loop runs).
  ScriptCall* script_call() { return &script_->call; }

 private:
  // kSampling: a Dummy Sampler waits its response time (issue 10). kParallel: a Parallel
  // Controller's branches run (parallel_sampler.h).
  // kWaitingFifo: a Fifo Pop waits for a value; kWaitingSync: at a Synchronizing Timer.
  // kResolving: a DNS Cache Manager's custom servers look the request's host up.
  // kScripting: one of the user's scripts runs on the script host (issue 11).
  enum class State {
    kCreated,
    kWaitingStart,
    kReady,
    kDelaying,
    kResolving,
    kInFlight,
    kWaitingLock,
    kSampling,
    kParallel,
    kWaitingFifo,
    kWaitingSync,
    kScripting,
    kIdle,  // parked by its dynamic thread group's driver between arrivals
    kFinished
  };
  // Which element's script the user waits for (kScripting).
  enum class ScriptStep { kPreProcessor, kTimer, kSampler, kPostProcessor, kAssertion, kListener };
  // A user's script state, allocated at its first script (most users of most plans have none).
  struct UserScripts {
    ScriptCall call;
    ScriptStep step = ScriptStep::kPreProcessor;
    const Node* element = nullptr;
    // The sample being completed while a script runs (the loop's buffer serves other users
    // meanwhile), or a script sampler's; in use between the script's start and the record.
    SampleResult result;
    bool result_in_use = false;
    SampleResult previous;  // `prev` for pre-processors, timers and samplers
    bool has_previous = false;
    bool restart_next_loop = false;  // ctx.setRestartNextLoop(true): after this sample
    // An HTTP Request as pre-processor scripts changed it, for the current sample only (JMeter
    // restores a sampler's properties after each sample).
    std::unique_ptr<HttpSampler> http;
    HttpSamplerView view;
    HttpSamplerView view_sent;  // `view` as the script got it
    // Headers scripts added to or removed from a Header Manager (sampler.getHeaderManager():
    // the innermost in scope), for the rest of the user's run as in JMeter: every request in
    // that manager's scope sends them.
    struct HeaderEdits {
      std::vector<std::pair<std::string, std::string>> added;
      std::vector<std::string> removed;  // names
    };
    std::unordered_map<const Node*, HeaderEdits> header_edits;
  };

  void Begin();
  void Step();
  bool ShouldStop() const;
  void Finish();
  void ExecuteSampler();
  // The HTTP request in the loop's buffer: managers applied, then sent (state kInFlight).
  void SendHttpRequest();
  // Records a request that was not sent; `failure` is "<exception class>|<message>".
  void RecordUnsentRequest(std::string url, const std::string& failure);
  void StartLookup(const DnsCacheManager* dns, const std::string& host);
  // The user ends while its DNS Cache Manager looks a host up (kResolving): the resolver
  // forgets it.
  void CancelLookup();
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
  // The current sampler's pre-processors, then its timers, from where they stopped; false
  // when the user waits for another (a Fifo Pop, a Synchronizing Timer).
  bool RunPreProcessors();
  bool RunTimers();
  // Fifo Pop / Synchronizing Timer: true when the user goes on at once.
  bool PopFifo(const FifoPop& pop);
  bool ArriveAtBarrier(const SyncTimer& timer);
  // A wait on other users ends at `timeout_us` from now (0: never) or at the thread
  // group's scheduled end, the earlier; arms the user's timer for it.
  void ArmWaitTimeout(int64_t timeout_us);
  void OnWaitTimedOut();
  // Any thread: queues the user on its loop's `granted` list (ResumeAfterWait follows).
  void HandBackToLoop();
  // The in-flight request's deadlines (response timeout, scheduled end + stop timeout) share
  // one timer per user: ArmWatchdog queues it unless an earlier one is pending; OnWatchdog
  // aborts the request when a deadline passed and re-arms for the next one.
  void ArmWatchdog(int64_t at_us);
  void OnWatchdog(int64_t now_us);
  int64_t ScheduledEndMs() const;
  void RunIterationConfig(const Node& element);
  void RewriteUrl(const UrlRewritingModifier& m, HttpRequest* request);
  // The name samples carry: the user's, or a branch's "<user> - <parallel> - <child>".
  const std::string& thread_name() const { return branch_ ? branch_->thread_name : ctx_.thread_name; }
  // Records a finished sample: to the results, or into the parent sample of the Parallel
  // Controller this user is a branch of.
  void Emit(SampleResult& result);

  // Parallel Controller (parallel_sampler.cc).
  void StartParallel(const ParallelSampler& parallel);
  void StartPendingBranches();
  void CompleteParallel();
  // Branch side: starts one run of the branch; and its end, reported to the parent.
  void BeginBranch();
  void FinishBranch();
  // Parent side: a branch ended; a branch's sample (true when the parent sample keeps it).
  void OnBranchDone();
  bool CollectBranchSample(const SampleResult& result);
  // The sampler as its HTML Link Parsers and HTML Parameter Masks rewrite it; null when it
  // has none in scope (issue 10, html_modifiers.h).
  std::unique_ptr<HttpSampler> ModifiedSampler(const HttpSampler& s);
  // The sampler with the defaults merged into its fields (what HTML modifiers and scripts
  // change), evaluated or as written (ResolvedHttpFields).
  std::unique_ptr<HttpSampler> ResolvedCopy(const HttpSampler& s, bool evaluate);
  // `sampler` of an HTTP Request for a pre-processor's script, and what it changed.
  void PrepareHttpSamplerView();
  void ApplyHttpSamplerView();
  // Headers scripts added to or removed from the Header Managers in `sampler`'s scope.
  void ApplyScriptHeaders(const Sampler& sampler, HttpRequest* req);
  // Runs one assertion on `result` and records its outcome (Compare Assertions keep state).
  void Assert(const Node& assertion, SampleResult& result);
  // Scripts (script_steps.cc): starts `element`'s script on the host; false when the user
  // waits for it (kScripting; ContinueAfterScript follows), true when it already ended
  // (`inline_call`: run on this thread). `completing`: the sample post-processors and
  // assertions see.
  bool RunScript(const Node& element, ScriptStep step, SampleResult* completing, bool inline_call = false);
  void ContinueAfterScript();
  // The outcome of the script that ended, applied as its element does in JMeter.
  void ApplyScriptOutcome();
  void StartScriptSample();
  void CompleteScriptSample();
  // The sample CompleteSample works on: the user's own while a script holds it.
  SampleResult& CompletingResult();
  // COOKIE_ variables of the cookies the request just finished stored (worker/cookie_settings.h).
  void SaveCookieVariables();

  RunState* run_;
  GroupRuntime* group_;
  LoopWorker* worker_;
  LoopGroupDriver* driver_ = nullptr;  // a dynamic thread group's; null: a plain group's user
  ThreadContext own_ctx_;              // a branch's stays unused: it shares its parent's
  ThreadContext& ctx_;
  HttpTransfer http_;
  std::vector<std::unique_ptr<ControllerRt>> controllers_;
  LoopRt* main_ = nullptr;
  std::unordered_map<const Node*, TransactionRt*> transactions_;
  ControllerRt* owner_ = nullptr;       // controller that returned the current sampler
  const Sampler* current_ = nullptr;    // sampler being processed
  const std::string* label_ = nullptr;  // its label: its name, or evaluated_label_
  std::string evaluated_label_;
  bool delayed_ = false;                   // timers of current_ already waited for
  bool rate_slot_ = false;                 // current_ has its slot under the worker's max_rps
  size_t pre_done_ = 0;                    // pre-processors of current_ run so far
  size_t timers_done_ = 0;                 // timers of current_ computed so far, adding up to
  int64_t timer_delay_ms_ = 0;             // this delay
  const FifoPop* fifo_pop_ = nullptr;      // the Fifo Pop waited for (kWaitingFifo)
  std::optional<std::string> fifo_value_;  // its value, set by OnFifoValue (under the queues' lock)
  const SyncTimer* sync_timer_ = nullptr;  // the barrier waited at (kWaitingSync)
  State state_ = State::kCreated;
  uint64_t wait_token_ = 0;                               // of the start/delay timer; stale timers are ignored
  static constexpr uint64_t kWatchdogToken = UINT64_MAX;  // never a wait_token_
  int64_t watchdog_at_us_ = 0;                            // earliest watchdog timer queued (0: none)
  bool last_sample_ok_ = true;
  bool stop_after_sample_ = false;
  int empty_passes_ = 0;
  std::vector<std::string> pending_locks_;  // asked for, to take before the next sampler
  int64_t response_timeout_us_ = 0;
  int64_t abort_at_us_ = 0;            // a request in flight then is aborted (0: never; set once)
  int64_t end_wall_ms_ = 0;            // Start's own end; 0: the group's (ScheduledEndMs)
  int64_t pending_intended_us_ = -1;   // NoteIntendedStart's, until the next sample; -1: none
  int64_t throughput_behind_ms_ = -1;  // a throughput timer's lag behind its slot; -1: none
  int64_t schedule_lag_us_ = 0;        // the lag the user's samples carry
  int64_t dummy_start_ms_ = 0;         // the Dummy Sampler's start: wall clock and monotonic
  int64_t dummy_start_us_ = 0;
  TimerState timer_state_;
  CsvUserState csv_state_;
  ConfigUserState config_state_;
  HttpManagerState managers_;                       // Authorization, Cache and DNS Cache Managers
  const ClientCertificate* client_cert_ = nullptr;  // taken at the first HTTPS request
  // While kResolving: the request waiting for its host's address (allocated at the first
  // lookup: most users never make one).
  std::unique_ptr<HttpRequest> pending_request_;
  const DnsCacheManager* resolving_ = nullptr;
  std::string resolving_host_;
  bool starting_lookup_ = false;
  // URL Re-writing Modifiers: the previous sample's body, and the ids kept ("cache value").
  std::string previous_body_;
  bool has_previous_result_ = false;
  std::unordered_map<const Node*, std::string> saved_session_ids_;
  // Parallel Controller (allocated when used): as a parent, its branches and the run in
  // progress; as a branch, its parent and what it runs.
  std::unique_ptr<ParallelRun> parallel_;
  std::unique_ptr<ParallelBranch> branch_;
  int thread_loop_restarts_ = 0;  // StartNextThreadLoop calls
  // HTML Link Parsers: the previous sample's URL and kind; HTML Parameter Masks' counters.
  std::string previous_url_;
  bool previous_http_ = false;
  std::unordered_map<const Node*, int64_t> param_mask_values_;
  std::unordered_map<const Node*, CompareState> compare_states_;  // Compare Assertions
  // CompleteSample's progress through the sampler's post-processors and assertions (a
  // script among them makes the user wait).
  bool completing_ = false;
  size_t post_done_ = 0;
  size_t assertions_done_ = 0;
  size_t listeners_done_ = 0;
  std::unique_ptr<UserScripts> script_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_VIRTUAL_USER_H_
