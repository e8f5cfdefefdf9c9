// The Parallel Controller's part of VirtualUser (design: parallel_sampler.h).
#include "worker/parallel_sampler.h"

#include <algorithm>
#include <memory>

#include "common/clock.h"
#include "worker/virtual_user.h"

namespace barrage {

VirtualUser::VirtualUser(VirtualUser* parent, const ParallelSampler& parallel, const Node& child)
    : run_(parent->run_),
      group_(parent->group_),
      worker_(parent->worker_),
      ctx_(parent->ctx_),
      branch_(std::make_unique<ParallelBranch>(ParallelBranch{
          parent, &parallel, &child, parent->thread_name() + " - " + parallel.name + " - " + child.name})) {
  end_wall_ms_ = parent->end_wall_ms_;  // the parent's own scheduled end, if it has one
  if (group_->cookies) http_.EnableCookies(run_->cookie_settings.jar);
  if (run_->connect_to) http_.set_connect_to(run_->connect_to.get());
  http_.set_target_policy(run_->allowed_targets);
  if (worker_) http_.set_host_cache(&worker_->hosts);
}

void VirtualUser::StartParallel(const ParallelSampler& parallel) {
  if (!parallel_) parallel_ = std::make_unique<ParallelRun>();
  ParallelRun& run = *parallel_;
  run.node = &parallel;
  run.branches.clear();
  for (const auto& child : parallel.children) {
    std::unique_ptr<VirtualUser>& branch = run.pool[child.get()];
    if (!branch) branch = std::make_unique<VirtualUser>(this, parallel, *child);
    run.branches.push_back(branch.get());
  }
  run.started = 0;
  run.running = 0;
  run.restart_next_loop = false;
  run.any_sample = false;
  run.last_success = true;
  run.end_wall_us = 0;
  run.result = SampleResult();
  // Whole milliseconds, as the branch samples' timestamps the end is computed from.
  const int64_t start_ms = WallMillis();
  run.start_wall_us = start_ms * 1000;
  Sample& s = run.result.sample;
  s.timestamp_ms = start_ms;
  s.response_code = "200";
  s.response_message = "OK";
  s.success = true;
  state_ = State::kParallel;
  StartPendingBranches();
}

void VirtualUser::StartPendingBranches() {
  ParallelRun& run = *parallel_;
  if (run.starting) return;  // a branch that ended at once: the loop below goes on
  run.starting = true;
  const size_t limit = static_cast<size_t>(run.node->max_branches);
  while (run.started < run.branches.size() && (limit == 0 || run.running < limit)) {
    VirtualUser* branch = run.branches[run.started++];
    ++run.running;
    branch->BeginBranch();
  }
  run.starting = false;
  if (run.running == 0 && run.started == run.branches.size()) {
    WaitUntil(MonotonicMicros());  // OnTimer: CompleteParallel, with no branch on the stack
  }
}

void VirtualUser::OnBranchDone() {
  --parallel_->running;
  StartPendingBranches();
}

bool VirtualUser::CollectBranchSample(const SampleResult& result) {
  ParallelRun& run = *parallel_;
  const Sample& c = result.sample;
  run.end_wall_us = std::max(run.end_wall_us, c.timestamp_ms * 1000 + c.elapsed_us);
  Sample& s = run.result.sample;
  s.bytes += c.bytes;
  s.sent_bytes += c.sent_bytes;
  if (!c.success) s.success = false;
  run.any_sample = true;
  run.last_success = c.success;
  if (!run.node->generate_parent) return false;
  run.result.sub_results.push_back(result);
  return true;
}

void VirtualUser::CompleteParallel() {
  ParallelRun& run = *parallel_;
  state_ = State::kReady;
  const int restarts = thread_loop_restarts_;
  if (run.node->generate_parent) {
    SampleResult& r = worker_->result;  // free: no sample is being completed now
    r = std::move(run.result);
    int64_t end = run.end_wall_us > 0 ? run.end_wall_us : WallMicros();
    r.sample.elapsed_us = std::max<int64_t>(0, end - run.start_wall_us);
    CompleteSample();
  } else {
    current_ = nullptr;  // the plugin returns no sample
    // The branches set the shared JMeterThread.last_sample_ok; the user's follows it.
    if (run.any_sample) last_sample_ok_ = run.last_success;
  }
  run.result = SampleResult();
  run.branches.clear();
  // One "start next thread loop" per sample, whether a branch or this sample's error asked.
  if (run.restart_next_loop && thread_loop_restarts_ == restarts) StartNextThreadLoop();
  Step();
}

void VirtualUser::BeginBranch() {
  controllers_.clear();
  transactions_.clear();
  main_ = BuildBranchTree(*branch_->parallel, *branch_->child, &run_->throughput_controllers, &controllers_);
  for (const auto& c : controllers_) {
    if (c->node().kind == ElementKind::kTransactionController) {
      transactions_[&c->node()] = static_cast<TransactionRt*>(c.get());
    }
  }
  owner_ = nullptr;
  current_ = nullptr;
  delayed_ = false;
  stop_after_sample_ = false;
  empty_passes_ = 0;
  pending_locks_.clear();
  last_sample_ok_ = branch_->parent->last_sample_ok_;
  if (group_->cookies) {  // the user's cookies, as the plugin's shared Cookie Manager has them
    http_.ClearCookies();
    http_.MergeCookiesFrom(branch_->parent->http_);
  }
  state_ = State::kReady;
  Step();
}

void VirtualUser::FinishBranch() {
  // A transaction still open is closed and recorded, as when a user stops.
  for (auto& [node, tx] : transactions_) {
    if (tx->active()) tx->TriggerEndOfLoop(*this);
  }
  pending_locks_.clear();
  run_->locks.Abandon(this);
  // A Fifo Pop or a Synchronizing Timer waiting ends too, as for a user (Finish), so that
  // nothing refers to the branch once it finished (worker/user_reclaim.h).
  run_->fifos.Cancel(this);
  run_->barriers.Abandon(this);
  CancelLookup();
  state_ = State::kFinished;
  ++wait_token_;
  http_.CloseConnection();
  if (group_->cookies) branch_->parent->http_.MergeCookiesFrom(http_);
  branch_->parent->OnBranchDone();
}

}  // namespace barrage
