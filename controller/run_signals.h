// SIGINT and SIGTERM for `barrage run`, from the command's first step to its last.
//
// The constructor blocks both signals in the calling thread (threads started later inherit
// the mask: the store's writer, the engine's loops) and starts one watcher thread that
// consumes them. Until Arm(), a signal ends the process at once, whatever the main thread
// is blocked in (a FIFO as the plan, a data file that never ends): it writes
// "barrage: interrupted by SIGINT|SIGTERM before the run started" to stderr and exits with
// 128 + the signal number (130, 143), as a shell reports a command a signal ended. Nothing
// has been recorded by then: Arm() comes before the run's execution is begun in the store.
// After Arm(), each signal calls `on_signal(n)` on the watcher thread, n = 1, 2, ..., until
// the Armed guard Arm() returned is destroyed; signals are ignored from then on (the command
// is only finishing its records). The destructor stops the watcher and restores the mask.
//
// Threading: construct, Arm and destroy from one thread; `on_signal` must be safe to call
// concurrently with that thread.
#ifndef BARRAGE_CONTROLLER_RUN_SIGNALS_H_
#define BARRAGE_CONTROLLER_RUN_SIGNALS_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace barrage {

class RunSignals {
 public:
  RunSignals();
  ~RunSignals();
  RunSignals(const RunSignals&) = delete;
  RunSignals& operator=(const RunSignals&) = delete;

  // Declared after whatever `on_signal` uses, so that it is disarmed before those go.
  class [[nodiscard]] Armed {
   public:
    explicit Armed(RunSignals* signals) : signals_(signals) {}
    ~Armed() {
      signals_->SetHandler([](int) {});
    }
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    RunSignals* signals_;
  };

  Armed Arm(std::function<void(int presses)> on_signal);

 private:
  void SetHandler(std::function<void(int)> on_signal);
  void Watch();

  sigset_t set_;
  sigset_t previous_mask_;
  std::mutex mu_;  // guards on_signal_ against a signal's exit
  std::function<void(int)> on_signal_;
  int presses_ = 0;  // watcher thread only
  std::atomic<bool> exit_{false};
  std::thread watcher_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUN_SIGNALS_H_
