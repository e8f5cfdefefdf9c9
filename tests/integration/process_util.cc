#include "tests/integration/process_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <string_view>

extern char** environ;

namespace barrage::test {

using std::chrono::steady_clock;

ChildProcess::ChildProcess(const std::vector<std::string>& args, const SpawnOptions& options) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    close(out_pipe[0]);
    close(out_pipe[1]);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());

  // The test process may ignore SIGPIPE (httplib's server does) or block signals; the
  // child starts as a shell would start it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // This process's environment, with options.env's NAME=VALUE entries replacing their names.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const std::string& o : options.env) replaced = replaced || std::string_view(o).substr(0, name.size()) == name;
    if (!replaced) envp.push_back(*e);
  }
  for (const std::string& o : options.env) envp.push_back(const_cast<char*>(o.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int spawn_error = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawn_error != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    ADD_FAILURE() << "posix_spawn " << args[0] << ": " << std::strerror(spawn_error);
    return;
  }
  pid_ = pid;
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  // The pidfd becomes readable when the child exits, so one poll() waits for output, exit
  // and the deadline together. (The raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C".)
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) ADD_FAILURE() << "pidfd_open: " << std::strerror(errno);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);  // harmless for a child that exited and awaits reaping
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFds();
}

void ChildProcess::CloseFds() {
  for (int* fd : {&out_fd_, &err_fd_, &pidfd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

bool ChildProcess::Signal(int signal) {
  if (!running()) return false;
  return kill(pid_, signal) == 0;
}

bool ChildProcess::Pump(std::chrono::milliseconds max_wait) {
  if (pid_ <= 0) return false;
  pollfd fds[3] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}, {exited_ ? -1 : pidfd_, POLLIN, 0}};
  if (fds[0].fd < 0 && fds[1].fd < 0 && fds[2].fd < 0) return running();
  int ready = poll(fds, 3, static_cast<int>(std::clamp<int64_t>(max_wait.count(), 0, INT_MAX)));
  if (ready < 0) {
    if (errno != EINTR) {
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      kill(pid_, SIGKILL);  // the exit ends any wait on it
    }
    return running();
  }
  int* owned[2] = {&out_fd_, &err_fd_};
  std::string* sinks[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    char buf[65536];
    ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      close(fds[i].fd);
      *owned[i] = -1;
    }
  }
  if (fds[2].fd >= 0 && fds[2].revents != 0) exited_ = true;
  return running();
}

ProcessResult ChildProcess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (pid_ <= 0 || reaped_) return result;
  const steady_clock::time_point deadline = steady_clock::now() + timeout;
  while (out_fd_ >= 0 || err_fd_ >= 0 || !exited_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(pid_, SIGKILL);
      break;
    }
    if (pidfd_ < 0 && !exited_) {  // no way to see the exit: wait for the pipes alone
      if (out_fd_ < 0 && err_fd_ < 0) break;
    }
    Pump(left);
  }
  CloseFds();
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exited_ = true;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.out = std::move(out_);
  result.err = std::move(err_);
  out_.clear();
  err_.clear();
  return result;
}

ProcessResult RunProcess(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                         const SpawnOptions& options) {
  ChildProcess child(args, options);
  return child.Wait(timeout);
}

std::string Keygen(const std::vector<std::string>& argv) {
  ProcessResult r = RunProcess(argv, std::chrono::milliseconds(10'000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string key = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(key.size(), 40u) << r.out;
  return key;
}

}  // namespace barrage::test
