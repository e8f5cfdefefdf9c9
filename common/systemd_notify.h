// systemd's service notification protocol (sd_notify(3)) for `barrage serve` and
// barrage-worker under `Type=notify` units: READY=1, STATUS=..., WATCHDOG=1, STOPPING=1.
//
// A self-contained implementation of the protocol rather than libsystemd's sd_notify: it is
// one AF_UNIX datagram of "KEY=VALUE\n..." text sent to $NOTIFY_SOCKET (a path, or an
// abstract socket written "@name"), a stable interface systemd documents; the wrapper needs
// nothing else of libsystemd (no fd passing, no credentials), and so the binaries and
// packages gain no build or run-time dependency, and tests can bind the socket themselves.
//
// FromEnvironment() reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once and removes them
// from the environment (sd_notify's unset_environment), so the processes this one starts
// (`barrage serve`'s local runs) do not talk to the service manager in its name. Call it
// before other threads start (it changes the environment). Without NOTIFY_SOCKET every call
// is a no-op returning false.
//
// Thread-safety: none; one thread owns a notifier (the daemon's main loop).
// Errors: a datagram that cannot be sent is dropped (false); the service manager's absence
// must not stop the program.
#ifndef BARRAGE_COMMON_SYSTEMD_NOTIFY_H_
#define BARRAGE_COMMON_SYSTEMD_NOTIFY_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace barrage {

class SystemdNotifier {
 public:
  // Disabled: no socket, no watchdog.
  SystemdNotifier() = default;
  // `socket_path`: $NOTIFY_SOCKET's value ("" = disabled); `watchdog_usec`: $WATCHDOG_USEC
  // (0 = no watchdog).
  SystemdNotifier(std::string socket_path, int64_t watchdog_usec);
  ~SystemdNotifier();
  SystemdNotifier(SystemdNotifier&& other) noexcept;
  SystemdNotifier& operator=(SystemdNotifier&& other) noexcept;
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // From $NOTIFY_SOCKET and $WATCHDOG_USEC (ignored when $WATCHDOG_PID names another
  // process, as sd_watchdog_enabled(3) does); unsets the three.
  static SystemdNotifier FromEnvironment();

  bool enabled() const { return !socket_path_.empty(); }
  // Half of WATCHDOG_USEC (systemd's advice): how often Watchdog keep-alives go; 0 without
  // a watchdog.
  int64_t watchdog_interval_us() const { return watchdog_usec_ / 2; }

  // Sends `state` as one datagram ("READY=1", "STATUS=idle", several lines joined by "\n").
  bool Notify(std::string_view state);
  // READY=1, once: later calls send nothing.
  bool Ready();
  // STATUS=`status` when it differs from the last one sent.
  bool Status(const std::string& status);
  // WATCHDOG=1 when the watchdog is on and `now_mono_us` (a monotonic clock, microseconds)
  // is at least watchdog_interval_us() past the last keep-alive (the first one is due at
  // once).
  bool WatchdogTick(int64_t now_mono_us);
  // STOPPING=1, once.
  bool Stopping();

 private:
  std::string socket_path_;
  int64_t watchdog_usec_ = 0;
  int fd_ = -1;
  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  bool status_sent_ = false;
  std::string status_;
  int64_t last_watchdog_us_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_SYSTEMD_NOTIFY_H_
