// Reading the files Barrage is given: plans, property files, TOML files (thresholds,
// controller/worker configuration, keys), data files and JTLs to import. Every input goes
// through here, so none of them can block the process or fill its memory:
//
// - The file is opened with O_NONBLOCK (a FIFO neither blocks the open nor the read) and
//   the *opened* descriptor is checked with fstat: anything but a regular file (directory,
//   FIFO, socket, /dev/zero and other devices) is refused before a byte is read.
// - ReadRegularFile refuses a file larger than its limit before reading it, and stops
//   reading when a file grows past the limit while it is read.
//
// Limits (documented in README.md "Reliability"):
//   plan (.jmx)                                   64 MiB   kMaxPlanBytes
//   property, thresholds, configuration, key file 16 MiB   kMaxConfigBytes
//   data files held in memory (CSV Data Set,
//   __FileToString, __StringFromFile, shipped
//   to workers)                                     1 GiB  kMaxDataFileBytes
//   JTL to import (streamed)                       no limit: OpenRegularFile
//
// Errors are one line naming the file, and say which check failed:
//   "PATH: no such file", "PATH: cannot open: <strerror>",
//   "PATH: not a regular file (a directory)",
//   "PATH: N bytes, more than the L-byte limit for a plan", "PATH: cannot read: <strerror>".
// Codes: NotFound for a missing file, InvalidArgument for a file of the wrong kind or size,
// IoError for the rest. Thread-safe.
#ifndef BARRAGE_COMMON_INPUT_FILE_H_
#define BARRAGE_COMMON_INPUT_FILE_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace barrage {

inline constexpr uint64_t kMaxPlanBytes = uint64_t{64} << 20;
inline constexpr uint64_t kMaxConfigBytes = uint64_t{16} << 20;
inline constexpr uint64_t kMaxDataFileBytes = uint64_t{1} << 30;
inline constexpr uint64_t kNoSizeLimit = UINT64_MAX;

// The whole of `path`, a regular file of at most `max_bytes`. `what` names the kind of
// file in the size error, e.g. "a plan" ("... more than the 67108864-byte limit for a plan").
Result<std::string> ReadRegularFile(const std::string& path, uint64_t max_bytes, std::string_view what);

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;

// `path` opened for reading ("rb", blocking reads) after the same checks, for readers that
// stream. The size is checked once, at open.
Result<UniqueFile> OpenRegularFile(const std::string& path, uint64_t max_bytes, std::string_view what);

// The same kind check without opening the file (stat, following links): for a file that
// SQLite has open in this process. Closing any descriptor of a file drops every POSIX lock
// the process holds on it, and without its shared lock another process that closes its own
// connection last deletes the WAL under this one's open connections (their later commits
// are lost). "PATH: no such file" (NotFound), "PATH: not a regular file (a directory)".
Status CheckRegularFile(const std::string& path);

}  // namespace barrage

#endif  // BARRAGE_COMMON_INPUT_FILE_H_
