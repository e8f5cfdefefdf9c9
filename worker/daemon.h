// The barrage-worker daemon: dials the controller (ZeroMQ DEALER; the controller names the
// connection), registers (Hello with its name -> Welcome | Reject), heartbeats every second (state, active
// virtual users, CPU, clock stamps), and runs one plan at a time:
//   LoadPlan frames -> plan and data files written under <work_dir>/runs/<run>/ (sha256
//   checked, CSV Data Set names remapped to the local copies, properties applied) -> Ready;
//   Start (controller clock, corrected by the offset measured from heartbeats) -> the engine
//   runs; samples leave in SampleBatch frames (on count or on a timer), each kept in a
//   BatchSpool until its BatchAck and resent in seq order after a reconnect;
//   engine done and every batch acknowledged (or Stop) -> Finished -> idle again (with
//   exit_after_run: Run() returns kWorkerExitOk instead, one heartbeat interval after that
//   Finished, or after it refused the run).
// When the controller has been silent past controller_timeout the load stops (graceful
// engine stop) and the worker waits for the next run without restarting. Every received
// frame is verified and size-capped; frames that fail, that belong to another run or that
// the worker does not expect are logged and dropped.
//
// Threading: Run() owns the ZeroMQ context and socket on the calling thread; the engine
// runs on its own threads and hands samples over through a mutex-protected buffer.
#ifndef BARRAGE_WORKER_DAEMON_H_
#define BARRAGE_WORKER_DAEMON_H_

#include <memory>
#include <string_view>

#include "common/exit_codes.h"
#include "worker/worker_config.h"

namespace barrage {

// Exit codes of Run() (common/exit_codes.h).
inline constexpr int kWorkerExitOk = kExitOk;                   // stopped by SIGTERM/SIGINT, exit_after_run
inline constexpr int kWorkerExitRuntime = kExitRuntimeFailure;  // the work dir or the socket failed
inline constexpr int kWorkerExitRejected = kExitUsage;          // the controller rejected this worker

class WorkerDaemon {
 public:
  explicit WorkerDaemon(WorkerConfig config);
  ~WorkerDaemon();
  WorkerDaemon(const WorkerDaemon&) = delete;
  WorkerDaemon& operator=(const WorkerDaemon&) = delete;

  // Runs until a signal arrives on `signal_fd` (a signalfd for SIGTERM/SIGINT, blocked by
  // the caller before any thread starts; -1 for none) or the controller rejects the worker.
  // A running load is stopped gracefully first. Returns an exit code above.
  int Run(int signal_fd);

  // A seam for tests and the fuzzer (tests/fuzz/worker_daemon_fuzz.cc): handles `frame` as
  // if it came from the controller, exactly as Run() does, but without a socket (what the
  // worker would answer is discarded) and without a clock tick (no engine ever starts).
  // Returns false once the worker would exit (a permanent Reject); later frames are ignored.
  // Not to be mixed with Run().
  bool HandleFrameForTesting(std::string_view frame);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_DAEMON_H_
