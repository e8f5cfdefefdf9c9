// Starting the real binaries from integration tests: a child process with stdin from
// /dev/null, stdout and stderr collected through pipes, default signal dispositions and an
// empty signal mask (as a shell would start it, whatever the test process ignores or
// blocks), and a deadline after which it is killed by PID.
//
// Failures of the machinery itself (pipe, spawn, poll) are reported with ADD_FAILURE().
// Not thread-safe: one thread owns a ChildProcess.
#ifndef BARRAGE_TESTS_INTEGRATION_PROCESS_UTIL_H_
#define BARRAGE_TESTS_INTEGRATION_PROCESS_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace barrage::test {

struct ProcessResult {
  bool timed_out = false;
  int exit_code = -1;   // -1 when the process did not exit normally
  int term_signal = 0;  // the signal that ended it, if one did
  std::string out;
  std::string err;
};

struct SpawnOptions {
  std::string cwd;                    // "" = the test's working directory
  std::vector<std::string> env = {};  // NAME=VALUE: set (or replaced) in the test's environment
};

// A started process. The destructor kills it (SIGKILL, by PID) if it is still running and
// reaps it, so a test that fails half-way leaves nothing behind.
class ChildProcess {
 public:
  // Starts `args` (args[0] is the executable's path). On failure running() is false.
  explicit ChildProcess(const std::vector<std::string>& args, const SpawnOptions& options = {});
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // True until the process has been seen to exit.
  bool running() const { return pid_ > 0 && !exited_; }

  // Sends `signal` to the process by PID. False (and no signal) once it has exited.
  bool Signal(int signal);

  // Waits up to `max_wait` for output or exit, appends whatever output is available to
  // out()/err(), and returns running(). Output is read only here and in Wait(): a child
  // that writes more than a pipe holds (64 KiB) blocks until the test pumps.
  bool Pump(std::chrono::milliseconds max_wait);

  // Pumps until the process has exited and closed its output, or `timeout` has passed
  // (then it is killed: timed_out). Reaps it and returns the exit status and all output.
  ProcessResult Wait(std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void CloseFds();

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  bool reaped_ = false;
  std::string out_;
  std::string err_;
};

// Starts `args`, collects stdout and stderr until it exits, and kills it (by PID) if it is
// still running after `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                         const SpawnOptions& options = {});

// Runs a key generator (`barrage keygen -o FILE`, `barrage-worker --keygen FILE`) and returns
// the public key it prints (40 Z85 characters); a test failure when it does not.
std::string Keygen(const std::vector<std::string>& argv);

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_INTEGRATION_PROCESS_UTIL_H_
