// Writing the files Barrage produces (report -o, export -o, run -l, the results store)
// without destroying anything:
//
// - RefuseOverwrite: an output path that is one of the command's inputs (the results
//   store and its -wal/-shm/-journal files, the plan, a property, thresholds or data file,
//   the JTL being imported) is refused before anything is opened. "The same file" is the
//   same inode (st_dev and st_ino: hard links, symbolic links, ./x and x) or, for a file
//   that does not exist yet, the same path once symbolic links are resolved.
// - AtomicFileWriter: a whole output file is written to a temporary file beside it and
//   renamed over it at the end, so an interrupted or failed write leaves the previous file
//   (or none), never a truncated one.
//
// `run -l` appends to its JTL as JMeter does and so is not written through
// AtomicFileWriter; it is checked with RefuseOverwrite. Thread-compatible.
#ifndef BARRAGE_COMMON_OUTPUT_FILE_H_
#define BARRAGE_COMMON_OUTPUT_FILE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace barrage {

// True when `a` and `b` name the same file (see above). Never throws.
bool SameFile(const std::string& a, const std::string& b);

// A file a command reads or keeps, with what it is: {"d.db", "the results store"}.
struct ProtectedFile {
  std::string path;
  std::string what;
};

// The results store at `db_path` and the files SQLite keeps beside it.
std::vector<ProtectedFile> ResultsStoreFiles(const std::string& db_path);

// InvalidArgument when `output` is one of `inputs`, naming both:
// "cannot write the report to d.db: it is the results store (d.db)".
// `output_what` says what would be written ("the report", "the JTL").
Status RefuseOverwrite(const std::string& output, std::string_view output_what,
                       const std::vector<ProtectedFile>& inputs);

// Writes `path` as a whole or not at all. The temporary file is created (mode 0666 less
// the umask, or the mode of the file it replaces) in `path`'s directory, so the rename
// is atomic; a symbolic link at `path` is followed and its target replaced. Destroyed
// without a successful Commit(), the temporary file is removed and `path` is untouched.
// When `path` exists and is not a regular file (a FIFO, a terminal, /dev/null), or is under
// /dev or /proc (/dev/stdout may be a file the shell opened), there is nothing to replace:
// it is opened for appending and written directly. A directory is an error.
// Error messages name `path`.
class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> Create(const std::string& path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // The file the bytes go to before Commit(): for writers that open a path themselves
  // (JtlWriter). They must have closed it before Commit().
  const std::string& write_path() const { return write_path_; }
  const std::string& path() const { return path_; }

  Status Write(std::string_view bytes);
  // Syncs the data to disk and renames the temporary file over `path`.
  Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string write_path, int fd, bool direct)
      : path_(std::move(path)), write_path_(std::move(write_path)), fd_(fd), direct_(direct) {}
  void Discard();

  std::string path_;        // as given
  std::string write_path_;  // the temporary file, or path_ when written directly
  std::string target_;      // what the rename replaces: path_ with symbolic links resolved
  int fd_ = -1;
  bool direct_ = false;
  bool done_ = false;
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_OUTPUT_FILE_H_
