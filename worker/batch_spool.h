// The worker's unacknowledged SampleBatch frames, by sequence number, until the
// controller acknowledges them: in memory up to a byte limit, then one file per batch in a
// spool directory. Batches are resent from here, in sequence order, after a reconnect.
//
// Nothing is dropped silently: when a frame can be kept neither on disk nor (past the
// memory limit, up to a hard cap of four times the limit and at least 64 MiB) in memory,
// Add returns the error and the caller counts the batch's samples as dropped.
//
// Threading: not thread-safe; the worker's control thread owns it.
#ifndef BARRAGE_WORKER_BATCH_SPOOL_H_
#define BARRAGE_WORKER_BATCH_SPOOL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace barrage {

class BatchSpool {
 public:
  // `dir` is created on the first spill; files in it named <seq>.batch belong to the spool.
  // `memory_cap_bytes` is the hard cap when the disk fails (0: the default above).
  BatchSpool(std::string dir, uint64_t memory_limit_bytes, uint64_t memory_cap_bytes = 0);
  ~BatchSpool();  // removes the files it wrote
  BatchSpool(const BatchSpool&) = delete;
  BatchSpool& operator=(const BatchSpool&) = delete;

  // Keeps `frame` (holding `samples` samples) under `seq`, which must be new.
  Status Add(uint64_t seq, uint64_t samples, std::string frame);
  // Forgets `seq`; false when it was not held (a duplicate or unknown ack).
  bool Ack(uint64_t seq);
  // The frame held under `seq` (read back from disk when spilled).
  Result<std::string> Frame(uint64_t seq) const;
  // The smallest held seq >= `seq`.
  std::optional<uint64_t> NextAtOrAfter(uint64_t seq) const;
  // Forgets everything (a run abandoned for a new one); returns the samples it held.
  uint64_t Clear();

  size_t batches() const { return entries_.size(); }
  uint64_t samples() const { return samples_; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  size_t spilled() const { return spilled_; }

 private:
  struct Entry {
    uint64_t samples = 0;
    std::string frame;   // empty when on disk
    bool on_disk = false;
  };
  std::string PathOf(uint64_t seq) const;

  std::string dir_;
  uint64_t memory_limit_;
  uint64_t memory_cap_;
  std::map<uint64_t, Entry> entries_;
  uint64_t samples_ = 0;
  uint64_t memory_bytes_ = 0;
  size_t spilled_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_BATCH_SPOOL_H_
