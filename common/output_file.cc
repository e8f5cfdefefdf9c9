#include "common/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

namespace barrage {
namespace {

namespace fs = std::filesystem;

std::string ErrnoText(int err) { return std::strerror(err); }

// `path` with the symbolic links of its existing part resolved, or `path` as given.
std::string Resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? path : p.string();
}

std::string RandomSuffix() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(kChars[rd() % (sizeof kChars - 1)]);
  return s;
}

}  // namespace

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  return Resolved(a) == Resolved(b);
}

std::vector<ProtectedFile> ResultsStoreFiles(const std::string& db_path) {
  return {{db_path, "the results store"},
          {db_path + "-wal", "the results store's write-ahead log"},
          {db_path + "-shm", "the results store's shared-memory file"},
          {db_path + "-journal", "the results store's journal"}};
}

Status RefuseOverwrite(const std::string& output, std::string_view output_what,
                       const std::vector<ProtectedFile>& inputs) {
  for (const ProtectedFile& f : inputs) {
    if (f.path.empty() || !SameFile(output, f.path)) continue;
    return Status::InvalidArgument("cannot write " + std::string(output_what) + " to " + output + ": it is " + f.what +
                                   " (" + f.path + ")");
  }
  return Status::Ok();
}

Result<AtomicFileWriter> AtomicFileWriter::Create(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("no output file name");
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  const bool special = path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0;
  if ((exists && !S_ISREG(st.st_mode)) || special) {
    if (exists && S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory");
    // O_APPEND: /dev/stdout may be a file the shell opened with >>.
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Status::IoError("cannot open " + path + " for writing: " + ErrnoText(errno));
    return AtomicFileWriter(path, path, fd, /*direct=*/true);
  }
  const bool replaces = exists;
  const fs::path target = Resolved(path);
  const std::string prefix = (target.parent_path() / ("." + target.filename().string() + ".")).string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp = prefix + RandomSuffix() + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return Status::IoError("cannot create a file beside " + path + ": " + ErrnoText(errno));
    }
    if (replaces && ::fchmod(fd, st.st_mode & 07777) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return Status::IoError("cannot write " + path + ": " + ErrnoText(err));
    }
    AtomicFileWriter w(path, std::move(temp), fd, /*direct=*/false);
    w.target_ = target.string();
    return w;
  }
  return Status::IoError("cannot create a file beside " + path + ": no free temporary name");
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      write_path_(std::move(other.write_path_)),
      target_(std::move(other.target_)),
      fd_(std::exchange(other.fd_, -1)),
      direct_(other.direct_),
      done_(std::exchange(other.done_, true)) {}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    write_path_ = std::move(other.write_path_);
    target_ = std::move(other.target_);
    fd_ = std::exchange(other.fd_, -1);
    direct_ = other.direct_;
    done_ = std::exchange(other.done_, true);
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { Discard(); }

void AtomicFileWriter::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!done_ && !direct_) ::unlink(write_path_.c_str());
  done_ = true;
}

Status AtomicFileWriter::Write(std::string_view bytes) {
  if (fd_ < 0) return Status::IoError("cannot write " + path_ + ": already closed");
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("cannot write " + path_ + ": " + ErrnoText(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (done_ || fd_ < 0) return Status::IoError("cannot write " + path_ + ": already closed");
  if (direct_) {
    int rc = ::close(std::exchange(fd_, -1));
    done_ = true;
    return rc == 0 ? Status::Ok() : Status::IoError("cannot write " + path_ + ": " + ErrnoText(errno));
  }
  Status st;
  if (::fsync(fd_) != 0) st = Status::IoError("cannot write " + path_ + ": " + ErrnoText(errno));
  if (::close(std::exchange(fd_, -1)) != 0 && st.ok()) {
    st = Status::IoError("cannot write " + path_ + ": " + ErrnoText(errno));
  }
  if (st.ok() && ::rename(write_path_.c_str(), target_.c_str()) != 0) {
    st = Status::IoError("cannot write " + path_ + ": " + ErrnoText(errno));
  }
  if (!st.ok()) {
    Discard();
    return st;
  }
  done_ = true;
  return Status::Ok();
}

}  // namespace barrage
