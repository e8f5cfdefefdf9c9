#include "worker/batch_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace barrage {

BatchSpool::BatchSpool(std::string dir, uint64_t memory_limit_bytes, uint64_t memory_cap_bytes)
    : dir_(std::move(dir)),
      memory_limit_(memory_limit_bytes),
      memory_cap_(memory_cap_bytes > 0 ? memory_cap_bytes
                                       : std::max<uint64_t>(memory_limit_bytes * 4, 64ull << 20)) {}

BatchSpool::~BatchSpool() { Clear(); }

std::string BatchSpool::PathOf(uint64_t seq) const {
  return (std::filesystem::path(dir_) / (std::to_string(seq) + ".batch")).string();
}

Status BatchSpool::Add(uint64_t seq, uint64_t samples, std::string frame) {
  if (entries_.count(seq) != 0) {
    return Status::Internal("batch spool: seq " + std::to_string(seq) + " added twice");
  }
  Entry e;
  e.samples = samples;
  Status disk_error;
  if (memory_bytes_ + frame.size() > memory_limit_) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const std::string path = PathOf(seq);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool written = fd >= 0 &&
                   ::write(fd, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size());
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (written) {
      e.on_disk = true;
      ++spilled_;
    } else {
      ::unlink(path.c_str());
      disk_error = Status::IoError(path + ": cannot spill a sample batch: " + std::strerror(err));
    }
  }
  if (!e.on_disk) {
    if (!disk_error.ok() && memory_bytes_ + frame.size() > memory_cap_) return disk_error;
    memory_bytes_ += frame.size();
    e.frame = std::move(frame);
  }
  samples_ += samples;
  entries_.emplace(seq, std::move(e));
  return Status::Ok();
}

bool BatchSpool::Ack(uint64_t seq) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return false;
  samples_ -= it->second.samples;
  if (it->second.on_disk) {
    ::unlink(PathOf(seq).c_str());
  } else {
    memory_bytes_ -= it->second.frame.size();
  }
  entries_.erase(it);
  return true;
}

Result<std::string> BatchSpool::Frame(uint64_t seq) const {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return Status::NotFound("batch spool: no seq " + std::to_string(seq));
  if (!it->second.on_disk) return it->second.frame;
  const std::string path = PathOf(seq);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::IoError(path + ": cannot read a spilled batch");
  return bytes;
}

std::optional<uint64_t> BatchSpool::NextAtOrAfter(uint64_t seq) const {
  auto it = entries_.lower_bound(seq);
  if (it == entries_.end()) return std::nullopt;
  return it->first;
}

uint64_t BatchSpool::Clear() {
  uint64_t samples = samples_;
  for (const auto& [seq, e] : entries_) {
    if (e.on_disk) ::unlink(PathOf(seq).c_str());
  }
  entries_.clear();
  samples_ = 0;
  memory_bytes_ = 0;
  return samples;
}

}  // namespace barrage
