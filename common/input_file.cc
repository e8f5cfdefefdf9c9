#include "common/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace barrage {
namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a file";
}

std::string LimitText(uint64_t max_bytes, std::string_view what) {
  return "more than the " + std::to_string(max_bytes) + "-byte limit for " + std::string(what);
}

// An open descriptor on a regular file of at most max_bytes, in blocking mode; closed by
// the caller.
Result<int> OpenChecked(const std::string& path, uint64_t max_bytes, std::string_view what) {
  // O_NONBLOCK: opening a FIFO without a writer would block; the fstat below refuses it.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open: " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IoError(path + ": cannot open: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file (" + KindOf(st.st_mode) + ")");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) + " bytes, " + LimitText(max_bytes, what));
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    int err = errno;
    ::close(fd);
    return Status::IoError(path + ": cannot open: " + std::strerror(err));
  }
  return fd;
}

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes, std::string_view what) {
  Result<int> opened = OpenChecked(path, max_bytes, what);
  if (!opened.ok()) return opened.status();
  const int fd = *opened;
  struct stat st;
  std::string data;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::IoError(path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    if (static_cast<uint64_t>(n) > max_bytes - data.size()) {  // it grew while read
      ::close(fd);
      return Status::InvalidArgument(path + ": " + LimitText(max_bytes, what));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Result<UniqueFile> OpenRegularFile(const std::string& path, uint64_t max_bytes, std::string_view what) {
  Result<int> opened = OpenChecked(path, max_bytes, what);
  if (!opened.ok()) return opened.status();
  std::FILE* file = ::fdopen(*opened, "rb");
  if (file == nullptr) {
    int err = errno;
    ::close(*opened);
    return Status::IoError(path + ": cannot open: " + std::strerror(err));
  }
  return UniqueFile(file);
}

Status CheckRegularFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IoError(path + ": cannot open: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + ": not a regular file (" + KindOf(st.st_mode) + ")");
  }
  return Status::Ok();
}

}  // namespace barrage
