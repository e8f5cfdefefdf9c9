#include "controller/run_signals.h"

#include <pthread.h>
#include <unistd.h>

#include <string>

namespace barrage {

RunSignals::RunSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_mask_);
  watcher_ = std::thread([this] { Watch(); });
}

RunSignals::~RunSignals() {
  // The watcher waits without a timeout: a SIGTERM sent to its own thread wakes it, and it
  // leaves on seeing exit_ (a run's end never waits for a polling period).
  exit_ = true;
  pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

RunSignals::Armed RunSignals::Arm(std::function<void(int)> on_signal) {
  SetHandler(std::move(on_signal));
  return Armed(this);
}

void RunSignals::SetHandler(std::function<void(int)> on_signal) {
  std::lock_guard<std::mutex> lock(mu_);
  on_signal_ = std::move(on_signal);
}

void RunSignals::Watch() {
  while (true) {
    int sig = sigwaitinfo(&set_, nullptr);
    if (exit_.load()) return;
    if (sig < 0) continue;  // EINTR
    std::lock_guard<std::mutex> lock(mu_);
    if (!on_signal_) {
      // Held under the lock: Arm() cannot slip in between the check and the exit.
      std::string line = std::string("\nbarrage: interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                         " before the run started\n";
      ssize_t n = write(STDERR_FILENO, line.data(), line.size());
      (void)n;
      _exit(128 + sig);
    }
    on_signal_(++presses_);
  }
}

}  // namespace barrage
