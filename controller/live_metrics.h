// Live metrics out of a run (issue 15): what RunRecording hands, as the run goes, to the
// sinks that publish it elsewhere (InfluxDB/Graphite Backend Listeners, the Prometheus
// endpoint). The stream is the controller's merged one: a local run's engine batches, or
// in a cluster run every worker's batches as the coordinator accepts them (a resent batch
// the store already holds is not passed again), so a sink sees each sample once, whichever
// worker ran it.
//
// Sequence, per run: OnRunStart once (after the execution is begun), then OnSamples and
// OnTick interleaved, then OnRunEnd once (after the last sample, before the records close).
//
// Threads: every call comes from the one thread that feeds the run's RunRecording (the
// engine's collector thread in a local run, the cluster run loop's thread); calls never
// overlap. A sink must not block that thread: it aggregates in memory and hands I/O to a
// thread of its own, with a bounded queue (a slow or dead destination never slows the
// load, nor the records: what it cannot send it counts as dropped and reports).
#ifndef BARRAGE_CONTROLLER_LIVE_METRICS_H_
#define BARRAGE_CONTROLLER_LIVE_METRICS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/sample.h"
#include "controller/results_store.h"
#include "controller/summariser.h"

namespace barrage {

struct LiveRunInfo {
  int64_t execution_id = 0;
  std::string plan_path;
  std::string plan_name;  // the TestPlan's name
  std::string project;
  int64_t started_at_ms = 0;  // epoch ms
};

// One worker of a cluster run as the coordinator sees it at a tick.
struct LiveWorker {
  int32_t worker_id = 0;  // the store's id, 1..N
  std::string name;
  std::string phase;  // WorkerPhaseName: registered, loading, ready, running, finished, lost, rejected
  int64_t active_users = 0;
  uint64_t samples_received = 0;
  uint64_t late_arrivals = 0;
};

// About once a second (local runs: the engine's tick; cluster runs: the run loop's).
struct LiveTick {
  int64_t now_ms = 0;               // epoch ms
  ThreadCounts threads;             // active/started/finished users (all workers summed) and late arrivals
  uint64_t recorded = 0;            // samples the run has recorded so far
  std::vector<LiveWorker> workers;  // empty in a local run
};

// Where a batch came from: the worker's store id (0 in a local run) and the prefix its
// thread names carry: "<worker name>-" in a cluster run (worker/daemon.cc names threads as
// JMeter's distributed mode does), "" in a local run.
struct BatchOrigin {
  BatchOrigin(int32_t worker, std::string_view prefix = {}) : worker_id(worker), thread_prefix(prefix) {}  // NOLINT
  int32_t worker_id;
  std::string_view thread_prefix;
};

// Whether a sample of thread `thread_name`, from `origin`, belongs to the thread group whose
// threads are named "<group_prefix>..." (a listener scoped to that group: Plan's
// thread_prefix, "<group name> "); "" = every thread.
inline bool InThreadGroup(std::string_view thread_name, const BatchOrigin& origin, std::string_view group_prefix) {
  if (group_prefix.empty()) return true;
  return thread_name.size() >= origin.thread_prefix.size() + group_prefix.size() &&
         thread_name.substr(0, origin.thread_prefix.size()) == origin.thread_prefix &&
         thread_name.substr(origin.thread_prefix.size(), group_prefix.size()) == group_prefix;
}

class LiveMetricsSink {
 public:
  virtual ~LiveMetricsSink() = default;
  virtual void OnRunStart(const LiveRunInfo& run) = 0;
  // `batch` is the run's batch before the records take it.
  virtual void OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) = 0;
  virtual void OnTick(const LiveTick& tick) = 0;
  // The run's end: its status as stored, after every sample was passed.
  virtual void OnRunEnd(int64_t end_ms, ExecutionStatus status) = 0;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_LIVE_METRICS_H_
