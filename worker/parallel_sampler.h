// The bzm Parallel Controller (com.blazemeter.jmeter.controller.ParallelSampler) at run time.
//
// JMeter's plugin is a sampler: when a thread reaches it, each direct child (a sampler or a
// controller subtree) becomes a new JMeterThread running that child once (a loop of one
// iteration), on a thread pool (fixed at MAX_THREAD_NUMBER threads with "Limit max thread
// number", else unbounded); the sampler returns when every branch is done. The branches
// read and write the user's own variables. Each child sampler keeps the timers, pre- and
// post-processors and assertions of its scope in the plan. With "Generate parent sample"
// the branches' samples become sub-results of one parent sample (label: the controller's
// name; 200 "OK"; failed when a branch sample failed; bytes added up; elapsed from the
// start to the latest branch sample's end), checked by the assertions in the controller's
// scope, and only the parent is recorded. Without it the branch samples are recorded as
// they end and the controller records nothing.
//
// Design (event-driven, no thread per branch): a branch is a VirtualUser of its own that
// runs on the same event loop as its parent, built once per child node and reused (timers
// it queued may outlive one run). It shares its parent's ThreadContext (so the variables),
// owns its controller tree (BuildBranchTree), HttpTransfer, timers and locks, and names its
// samples "<user's thread name> - <controller> - <child>". The parent sits in
// State::kParallel; ParallelRun starts branches up to the limit and the next pending one
// whenever one ends. When the last ends, the parent completes from a zero-delay timer, so
// that no branch is still on the call stack when the parent goes on. A branch that starts
// the next thread loop ends itself and makes the parent start its next iteration after
// the parallel sample; stopping the user or the test stops the branches.
//
// The VirtualUser members that implement this are in parallel_sampler.cc.
#ifndef BARRAGE_WORKER_PARALLEL_SAMPLER_H_
#define BARRAGE_WORKER_PARALLEL_SAMPLER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

class VirtualUser;

// A user's Parallel Controller state: its branches, and the sample in progress. Used
// only where VirtualUser is a complete type.
struct ParallelRun {
  // One branch per child node, made on first use and kept for the user's life (timers
  // a branch queued may still fire after its run).
  std::unordered_map<const Node*, std::unique_ptr<VirtualUser>> pool;
  // The sample in progress.
  const ParallelSampler* node = nullptr;
  std::vector<VirtualUser*> branches;  // one per child, in plan order
  size_t started = 0;                  // branches[0, started) were started
  size_t running = 0;                  // started and not ended
  bool starting = false;               // StartPendingBranches is on the stack
  bool restart_next_loop = false;      // a branch started the next thread loop
  bool any_sample = false;             // a branch recorded a sample; the last one's outcome:
  bool last_success = true;            // JMeterThread.last_sample_ok after the sample
  int64_t start_wall_us = 0;
  int64_t end_wall_us = 0;  // latest end of a branch sample (0: none yet)
  SampleResult result;      // the parent sample being built
};

// What a branch runs, and for whom.
struct ParallelBranch {
  VirtualUser* parent = nullptr;
  const ParallelSampler* parallel = nullptr;
  const Node* child = nullptr;
  std::string thread_name;  // "<parent's thread name> - <controller> - <child>"
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_PARALLEL_SAMPLER_H_
