#include "worker/batch_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/input_file.h"
#include "common/protocol.h"

namespace barrage {
namespace {

// The seq of a file named <seq>.batch.
std::optional<uint64_t> SeqOfFileName(const std::string& name) {
  constexpr std::string_view kSuffix = ".batch";
  if (name.size() <= kSuffix.size() || name.size() > kSuffix.size() + 19 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  for (size_t i = 0; i + kSuffix.size() < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return seq;
}

}  // namespace

BatchSpool::BatchSpool(std::string dir, uint64_t memory_limit_bytes, uint64_t memory_cap_bytes)
    : dir_(std::move(dir)),
      memory_limit_(memory_limit_bytes),
      memory_cap_(memory_cap_bytes > 0 ? memory_cap_bytes : std::max<uint64_t>(memory_limit_bytes * 4, 64ull << 20)) {}

std::string BatchSpool::PathOf(uint64_t seq) const {
  return (std::filesystem::path(dir_) / (std::to_string(seq) + ".batch")).string();
}

Status BatchSpool::Add(uint64_t seq, uint64_t samples, std::string frame) {
  if (entries_.count(seq) != 0) {
    return Status::Internal("batch spool: seq " + std::to_string(seq) + " added twice");
  }
  Entry e;
  e.samples = samples;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string path = PathOf(seq);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && ::write(fd, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size());
  int err = errno;
  if (fd >= 0 && ::close(fd) != 0 && written) {
    written = false;
    err = errno;
  }
  if (written) {
    e.on_disk = true;
    ++on_disk_;
  } else {
    ::unlink(path.c_str());
    if (memory_bytes_ + frame.size() > memory_cap_) {
      return Status::IoError(path + ": cannot spool a sample batch: " + std::strerror(err));
    }
    memory_only_samples_ += samples;
  }
  if (!e.on_disk || memory_bytes_ + frame.size() <= memory_limit_) {
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
  memory_bytes_ -= it->second.frame.size();
  if (it->second.on_disk) {
    ::unlink(PathOf(seq).c_str());
    --on_disk_;
  } else {
    memory_only_samples_ -= it->second.samples;
  }
  entries_.erase(it);
  return true;
}

Result<std::string> BatchSpool::Frame(uint64_t seq) const {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return Status::NotFound("batch spool: no seq " + std::to_string(seq));
  if (!it->second.frame.empty() || !it->second.on_disk) return it->second.frame;
  return ReadRegularFile(PathOf(seq), kMaxMessageBytes, "a spooled batch");
}

std::optional<uint64_t> BatchSpool::NextAtOrAfter(uint64_t seq) const {
  auto it = entries_.lower_bound(seq);
  if (it == entries_.end()) return std::nullopt;
  return it->first;
}

void BatchSpool::Recover(const std::function<Result<uint64_t>(const std::string& frame)>& samples_of,
                         std::vector<std::string>* problems) {
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
    std::optional<uint64_t> seq = SeqOfFileName(file.path().filename().string());
    if (!seq || entries_.count(*seq) != 0 || !file.is_regular_file()) continue;
    Result<std::string> bytes = ReadRegularFile(file.path().string(), kMaxMessageBytes, "a spooled batch");
    if (!bytes.ok()) {
      problems->push_back(bytes.status().message());
      continue;
    }
    Result<uint64_t> samples = samples_of(*bytes);
    if (!samples.ok()) {
      problems->push_back(file.path().string() + ": " + samples.status().message());
      continue;
    }
    Entry e;
    e.samples = *samples;
    e.on_disk = true;
    ++on_disk_;
    samples_ += *samples;
    entries_.emplace(*seq, std::move(e));
  }
}

}  // namespace barrage
