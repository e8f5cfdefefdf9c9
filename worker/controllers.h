// Logic controllers at run time: one instance per controller per virtual user, walking the
// compiled plan the way JMeter's controllers do (GenericController.next() and friends), so
// the order of requests per thread is JMeter's.
//
// Not thread-safe: each virtual user owns its controller tree and uses it from its event
// loop only. The plan nodes they point to are shared and read-only.
#ifndef BARRAGE_WORKER_CONTROLLERS_H_
#define BARRAGE_WORKER_CONTROLLERS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/functions.h"
#include "common/plan.h"
#include "worker/sample_result.h"

namespace barrage {

class ControllerRt;
class TransactionRt;

// What controllers need from the virtual user that owns them.
class VuServices {
 public:
  virtual ~VuServices() = default;
  virtual ThreadContext& context() = 0;
  // The controller that just returned a sampler from its own children.
  virtual void OnSamplerChosen(ControllerRt* owner) = 0;
  // JMeterThread.LAST_SAMPLE_OK.
  virtual bool last_sample_ok() const = 0;
  virtual int64_t now_ms() const = 0;
  // A controller starts an iteration: run the LoopIterationListeners declared under it
  // (CSV Data Set, Counter, Random Variable, per-iteration User Parameters).
  virtual void OnIterationStart(const Node& controller) = 0;
  // A non-parent Transaction Controller finished: record its sample.
  virtual void OnTransactionDone(TransactionRt& tx, SampleResult result) = 0;
  // Evaluates a controller condition (If: expression or script; While: text).
  virtual bool EvaluateCondition(const Value& condition, bool script) = 0;
  // Critical Section: the user's next sampler runs only once it holds the lock `name`
  // (one per name in the engine, reentrant); until then the user waits, parked.
  virtual void RequestLock(const std::string& name) = 0;
  // Gives up a lock RequestLock asked for (or the request, when not granted yet).
  virtual void ReleaseLock(const std::string& name) = 0;
};

struct Item {
  const Sampler* sampler = nullptr;  // exactly one of the two is set
  ControllerRt* controller = nullptr;
};

class ControllerRt {
 public:
  explicit ControllerRt(const Node& node) : node_(node) {}
  virtual ~ControllerRt() = default;

  // The next sampler to run, or nullptr when this controller's pass is over.
  virtual const Sampler* Next(VuServices& vu);
  virtual bool IsDone() const { return done_; }
  // Ends this controller's pass now, resetting it (JMeter triggerEndOfLoop), used on the
  // way up when a flow-control action skips the rest of a loop.
  virtual void TriggerEndOfLoop(VuServices& vu);
  // Loop-type controllers (Loop, While, ForEach, the thread group): go on with the next
  // iteration ("start next iteration of current loop"); others: TriggerEndOfLoop.
  virtual void StartNextLoop(VuServices& vu) { TriggerEndOfLoop(vu); }
  // Loop-type controllers: leave the loop ("break current loop").
  virtual void BreakLoop() { TriggerEndOfLoopNoVu(); }
  virtual bool is_iterating() const { return false; }
  // Called by the parent when the parent starts an iteration (JMeter LoopIterationListener
  // registered on the nearest enclosing controller); Throughput/Once Only use it.
  virtual void OnParentIterationStart(VuServices&) {}
  virtual bool listens_to_parent_iterations() const { return false; }
  // The thread group starts a new iteration (Once Only resets when users are not kept).
  virtual void OnThreadGroupIteration() {}

  const Node& node() const { return node_; }
  ControllerRt* parent() const { return parent_; }
  std::vector<Item>& items() { return items_; }
  void set_parent(ControllerRt* p) { parent_ = p; }

 protected:
  const Sampler* NextGeneric(VuServices& vu);
  virtual const Sampler* NextIsASampler(const Sampler* s, VuServices& vu);
  virtual const Sampler* NextIsAController(ControllerRt* c, VuServices& vu);
  virtual const Sampler* NextIsNull(VuServices& vu);
  virtual void CurrentReturnedNull(ControllerRt* c);
  virtual void ReInitialize();
  void FireIterationStart(VuServices& vu);
  void TriggerEndOfLoopNoVu() { ReInitialize(); }
  void RemoveCurrent();

  const Node& node_;
  ControllerRt* parent_ = nullptr;
  std::vector<Item> items_;  // JMeter's subControllersAndSamplers (done ones get removed)
  size_t current_ = 0;
  bool first_ = true;
  bool done_ = false;
  int iter_count_ = 0;
};

// A Loop Controller, and the thread group's main loop (loops from the thread group).
class LoopRt : public ControllerRt {
 public:
  LoopRt(const Node& node, const Value& loops, bool continue_forever)
      : ControllerRt(node), loops_(loops), continue_forever_(continue_forever) {}
  const Sampler* Next(VuServices& vu) override;
  void TriggerEndOfLoop(VuServices& vu) override;
  void StartNextLoop(VuServices& vu) override;
  void BreakLoop() override;
  bool is_iterating() const override { return true; }
  int loop_count() const { return loop_count_; }
  // Thread group: iteration number (1-based) of the pass now running.
  int iteration() const { return loop_count_ + 1; }
  // A dynamic thread group's user (worker/arrival_groups.h): the loop ended its passes; one
  // more pass runs, counted on (loop_count goes on).
  void Rearm() {
    done_ = false;
    ++extra_loops_;
  }

 protected:
  const Sampler* NextIsNull(VuServices& vu) override;
  void ReInitialize() override;
  bool EndOfLoop(VuServices& vu);

  const Value& loops_;
  bool continue_forever_;
  int loop_count_ = 0;
  int extra_loops_ = 0;  // Rearm calls
  bool break_loop_ = false;
};

// The counters of Throughput Controllers with "Per User" off. JMeter 2.13 clones a
// controller per thread but shares one execution count and one iteration count per
// controller element between all the threads that run it, for the whole test (reset by
// testStarted), and updates them under a lock. One per run; thread-safe (event loops call
// it concurrently).
class SharedThroughputCounters {
 public:
  // One iteration of `controller` starts: counts it and decides, atomically with that
  // count, whether the controller runs this time (JMeter's iterationStart + decide): by
  // total, while executions < `limit`; by percent, while (100 * executions + 50) /
  // (iteration + 1) < `limit` (iteration 0-based). A run counts one execution.
  bool StartIteration(const ThroughputController* controller, double limit);

 private:
  struct Counts {
    int64_t executions = 0;
    int64_t iteration = -1;
  };
  std::mutex mu_;
  std::unordered_map<const ThroughputController*, Counts> counts_;  // guarded by mu_
};

// Builds a virtual user's controller tree for one thread group. `out` owns every
// controller; the returned root is the thread group's main loop. `shared` (run-wide, not
// owned, outlives the tree) holds the counters of shared Throughput Controllers.
LoopRt* BuildControllerTree(const ThreadGroup& group, SharedThroughputCounters* shared,
                            std::vector<std::unique_ptr<ControllerRt>>* out);

// Builds the controller tree of one Parallel Controller branch: a loop of one iteration
// (its node: `parallel`) holding `child`, a sampler or a controller subtree of `parallel`.
LoopRt* BuildBranchTree(const Node& parallel, const Node& child, SharedThroughputCounters* shared,
                        std::vector<std::unique_ptr<ControllerRt>>* out);

// Transaction Controller at run time (both modes). The virtual user reports every sample
// recorded inside it through OnChildSample.
class TransactionRt : public ControllerRt {
 public:
  explicit TransactionRt(const TransactionController& node) : ControllerRt(node), tc_(node) {}
  const Sampler* Next(VuServices& vu) override;
  void OnChildSample(const SampleResult& child);
  bool generate_parent() const { return tc_.generate_parent_sample; }
  bool active() const { return active_; }
  void TriggerEndOfLoop(VuServices& vu) override;

 private:
  void Begin(VuServices& vu);
  void End(VuServices& vu, bool cut_short);

  const TransactionController& tc_;
  bool active_ = false;
  SampleResult result_;
  int64_t start_ms_ = 0;
  int64_t prev_end_ms_ = 0;
  int64_t last_child_end_ms_ = 0;    // parent mode: the latest end of a child
  int64_t children_elapsed_us_ = 0;  // parent mode: the children's elapsed times added up
  int64_t pause_ms_ = 0;
  int calls_ = 0;
  int failing_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_CONTROLLERS_H_
