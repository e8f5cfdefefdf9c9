// A stand-in for systemd's notification socket in tests: a unix datagram socket bound in a
// temporary folder, whose path goes into NOTIFY_SOCKET; each datagram received is one
// notification ("READY=1", "STATUS=idle", ...). Not thread-safe: one test thread reads it.
#ifndef BARRAGE_TESTS_COMMON_FAKE_NOTIFY_SOCKET_H_
#define BARRAGE_TESTS_COMMON_FAKE_NOTIFY_SOCKET_H_

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace barrage::test {

class FakeNotifySocket {
 public:
  FakeNotifySocket() {
    std::string pattern = (std::filesystem::temp_directory_path() / "barrage-notify-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    path_ = dir_ + "/notify";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind " + path_);
    }
  }
  ~FakeNotifySocket() {
    ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FakeNotifySocket(const FakeNotifySocket&) = delete;
  FakeNotifySocket& operator=(const FakeNotifySocket&) = delete;

  const std::string& path() const { return path_; }

  // The next datagram, waiting up to `timeout`; nullopt when none came.
  std::optional<std::string> Next(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace barrage::test

#endif  // BARRAGE_TESTS_COMMON_FAKE_NOTIFY_SOCKET_H_
