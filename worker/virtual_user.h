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

#include "worker/controllers.h"
#include "worker/engine_internal.h"
#include "worker/http_transfer.h"
#include "worker/timers.h"

namespace barrage {

class VirtualUser final : public VuServices, public TransferHandler, public TimerHandler {
 public:
  VirtualUser(RunState* run, GroupRuntime* group, LoopWorker* worker, int thread_num);
  ~VirtualUser() override;

  // Schedules the user's start (MonotonicMicros clock).
  void Start(int64_t at_us);
  // Engine stop: graceful ends at the next step; now also aborts a request in flight,
  // which is recorded as an error sample.
  void Interrupt(bool now);
  bool finished() const { return state_ == State::kFinished; }

  // VuServices
  ThreadContext& context() override { return ctx_; }
  void OnSamplerChosen(ControllerRt* owner) override { owner_ = owner; }
  bool last_sample_ok() const override { return last_sample_ok_; }
  int64_t now_ms() const override;
  void OnIterationStart(const Node& controller) override;
  void OnTransactionDone(TransactionRt& tx, SampleResult result) override;
  bool EvaluateCondition(const Value& condition, bool script) override;

  // TransferHandler / TimerHandler
  void OnTransferDone(CURL* easy, CURLcode result) override;
  void OnTimer(int64_t now_us, uint64_t token) override;

 private:
  // kSampling: a Dummy Sampler waits its response time (issue 10).
  enum class State { kCreated, kWaitingStart, kReady, kDelaying, kInFlight, kSampling, kFinished };

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
  void StartNextThreadLoop();
  void WaitUntil(int64_t at_us);
  int64_t ScheduledEndMs() const;
  void RunIterationConfig(const Node& element);

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
  uint64_t wait_token_ = 0;
  bool last_sample_ok_ = true;
  bool stop_after_sample_ = false;
  int empty_passes_ = 0;
  int64_t response_timeout_us_ = 0;
  int64_t abort_at_us_ = 0;     // the request in flight is aborted then (0: never)
  int64_t dummy_start_ms_ = 0;  // the Dummy Sampler's start: wall clock and monotonic
  int64_t dummy_start_us_ = 0;
  TimerState timer_state_;
  CsvUserState csv_state_;
  ConfigUserState config_state_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_VIRTUAL_USER_H_
