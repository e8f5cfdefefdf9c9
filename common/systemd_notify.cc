#include "common/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace barrage {

SystemdNotifier::SystemdNotifier(std::string socket_path, int64_t watchdog_usec)
    : socket_path_(std::move(socket_path)), watchdog_usec_(watchdog_usec > 0 ? watchdog_usec : 0) {
  // sd_notify accepts absolute paths and abstract names only.
  if (!socket_path_.empty() && socket_path_[0] != '/' && socket_path_[0] != '@') socket_path_.clear();
  if (socket_path_.size() >= sizeof(sockaddr_un::sun_path)) socket_path_.clear();
  if (socket_path_.empty()) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) socket_path_.clear();
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept { *this = std::move(other); }

SystemdNotifier& SystemdNotifier::operator=(SystemdNotifier&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  socket_path_ = std::move(other.socket_path_);
  watchdog_usec_ = other.watchdog_usec_;
  fd_ = std::exchange(other.fd_, -1);
  ready_sent_ = other.ready_sent_;
  stopping_sent_ = other.stopping_sent_;
  status_sent_ = other.status_sent_;
  status_ = std::move(other.status_);
  last_watchdog_us_ = other.last_watchdog_us_;
  other.socket_path_.clear();
  return *this;
}

SystemdNotifier SystemdNotifier::FromEnvironment() {
  std::string path;
  if (const char* p = std::getenv("NOTIFY_SOCKET")) path = p;
  int64_t watchdog = 0;
  if (const char* w = std::getenv("WATCHDOG_USEC")) {
    char* end = nullptr;
    long long v = std::strtoll(w, &end, 10);
    if (end != w && *end == '\0' && v > 0) watchdog = v;
  }
  if (const char* pid = std::getenv("WATCHDOG_PID")) {
    char* end = nullptr;
    long long v = std::strtoll(pid, &end, 10);
    if (end == pid || *end != '\0' || v != static_cast<long long>(::getpid())) watchdog = 0;
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return SystemdNotifier(std::move(path), watchdog);
}

bool SystemdNotifier::Notify(std::string_view state) {
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  if (socket_path_[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  ssize_t sent = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr),
                          socket_path_[0] == '@' ? len : static_cast<socklen_t>(sizeof(addr)));
  return sent == static_cast<ssize_t>(state.size());
}

bool SystemdNotifier::Ready() {
  if (ready_sent_ || !enabled()) return false;
  ready_sent_ = true;
  return Notify("READY=1");
}

bool SystemdNotifier::Status(const std::string& status) {
  if (!enabled() || (status_sent_ && status == status_)) return false;
  status_sent_ = true;
  status_ = status;
  return Notify("STATUS=" + status);
}

bool SystemdNotifier::WatchdogTick(int64_t now_mono_us) {
  if (!enabled() || watchdog_usec_ == 0) return false;
  if (last_watchdog_us_ != 0 && now_mono_us - last_watchdog_us_ < watchdog_interval_us()) return false;
  last_watchdog_us_ = now_mono_us;
  return Notify("WATCHDOG=1");
}

bool SystemdNotifier::Stopping() {
  if (stopping_sent_ || !enabled()) return false;
  stopping_sent_ = true;
  return Notify("STOPPING=1");
}

}  // namespace barrage
