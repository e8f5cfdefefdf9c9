// The worker's unacknowledged SampleBatch frames of one run, by sequence number, until the
// controller acknowledges them. Write-ahead: each frame is written to its own file
// (<dir>/<seq>.batch) before it is sent, so a worker killed with -9 or stopped before the
// acknowledgements came loses none of them: the next process finds the files (Recover) and
// resends them. A copy also stays in memory while the frames held there fit the memory
// limit, so resending rarely reads the disk. The files are only written (no fsync): they
// survive the process, not a crash of the machine.
//
// Nothing is dropped silently: when a frame cannot be written, it is kept in memory only
// (counted in memory_only_samples(): those die with the process) up to a hard cap of four
// times the limit and at least 64 MiB; past the cap Add returns the error and the caller
// counts the batch's samples as dropped. Acknowledged batches' files are removed; the
// others are kept, also when the spool is destroyed.
//
// Threading: not thread-safe; the worker's control thread owns it.
#ifndef BARRAGE_WORKER_BATCH_SPOOL_H_
#define BARRAGE_WORKER_BATCH_SPOOL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace barrage {

class BatchSpool {
 public:
  // `dir` is created on the first Add; files in it named <seq>.batch belong to the spool.
  // `memory_cap_bytes` is the hard cap when the disk fails (0: the default above).
  BatchSpool(std::string dir, uint64_t memory_limit_bytes, uint64_t memory_cap_bytes = 0);
  BatchSpool(const BatchSpool&) = delete;
  BatchSpool& operator=(const BatchSpool&) = delete;

  // Keeps `frame` (holding `samples` samples) under `seq`, which must be new.
  Status Add(uint64_t seq, uint64_t samples, std::string frame);
  // Forgets `seq` and removes its file; false when it was not held (a duplicate or unknown
  // ack).
  bool Ack(uint64_t seq);
  // The frame held under `seq` (read back from disk when not in memory).
  Result<std::string> Frame(uint64_t seq) const;
  // The smallest held seq >= `seq`.
  std::optional<uint64_t> NextAtOrAfter(uint64_t seq) const;
  // Holds again the <seq>.batch files in the directory that it does not hold yet (left by
  // a process that ended before their acknowledgements). `samples_of` tells how many
  // samples a file's frame holds, or why it is not a batch: such a file is left alone and
  // named in `problems` ("<path>: <why>").
  void Recover(const std::function<Result<uint64_t>(const std::string& frame)>& samples_of,
               std::vector<std::string>* problems);

  const std::string& dir() const { return dir_; }
  size_t batches() const { return entries_.size(); }
  uint64_t samples() const { return samples_; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  // Batches whose file is written.
  size_t on_disk() const { return on_disk_; }
  // Samples in batches held in memory only (their file could not be written).
  uint64_t memory_only_samples() const { return memory_only_samples_; }

 private:
  struct Entry {
    uint64_t samples = 0;
    std::string frame;  // empty when only on disk
    bool on_disk = false;
  };
  std::string PathOf(uint64_t seq) const;

  std::string dir_;
  uint64_t memory_limit_;
  uint64_t memory_cap_;
  std::map<uint64_t, Entry> entries_;
  uint64_t samples_ = 0;
  uint64_t memory_bytes_ = 0;
  size_t on_disk_ = 0;
  uint64_t memory_only_samples_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_BATCH_SPOOL_H_
