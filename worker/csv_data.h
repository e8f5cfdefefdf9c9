// CSV Data Set Config at run time: JMeter's CSVDataSet over its FileServer, with each file
// read into memory once per run.
//
// Semantics are JMeter 5.6's (CSVDataSet.iterationStart, FileServer, CSVSaveService):
// - Sharing. Readers are keyed like FileServer aliases: the file name as written (trimmed)
//   for "all threads", name@group for "current thread group", name@user for "current
//   thread", name@key for any other share mode text (a custom key: every user of that file
//   with the same key shares one reader). Every CSV Data Set element with the same key
//   reads from the same position, whatever its other options.
// - Lines. Without quotedData a record is one line (ended by \n, \r or \r\n) split on the
//   whole delimiter string (JOrphanUtils.split): "a," gives "a" and "", and an empty line
//   gives no values at all, so it counts as end of file for that iteration (the next
//   iteration reads on). With quotedData the first character of the delimiter separates
//   fields, fields may be quoted with ", "" is a quote, and quoted fields may hold
//   delimiters and line breaks; a quote inside an unquoted field or a lone quote in a
//   quoted field is an error that, as in JMeter, counts as end of file for that iteration
//   and resumes reading just after the offending character.
// - Names. variableNames split on ",", empty entries dropped, each trimmed; when empty the
//   file's first line holds the names (split quote-aware on the first delimiter character,
//   trimmed) and is skipped like ignoreFirstLine. Values go to names pairwise: a short line
//   leaves the remaining variables as they were; extra values are ignored.
// - End of file. recycle: start again after the header. Else stopThread: the virtual user
//   must stop (CsvOutcome::kStopThread). Else every variable is set to the property
//   csvdataset.eofstring ("<EOF>" by default), on every later iteration too.
// - Files: relative names resolve against RunContext::base_dir (then the working
//   directory); encodings UTF-8 (default), ISO-8859-1, US-ASCII, windows-1252, UTF-16,
//   UTF-16LE, UTF-16BE (Java's names and aliases, any case). A UTF-8 byte order mark is
//   dropped; without an encoding a UTF-16 byte order mark selects UTF-16.
//
// Threading: CsvRegistry is shared by all event-loop threads and thread-safe. A shared
// reader hands out records under its own mutex (a few hundred nanoseconds: the text is in
// memory); "current thread" readers live in the user's CsvUserState and take no lock.
// Files are read in Prepare before the run; only a file whose name depends on a virtual
// user's variables is read at that user's first iteration, on its event-loop thread.
#ifndef BARRAGE_WORKER_CSV_DATA_H_
#define BARRAGE_WORKER_CSV_DATA_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/functions.h"
#include "common/input_file.h"
#include "common/plan.h"
#include "common/status.h"

namespace barrage {

// Files larger than this are refused: CSV data is held in memory for the whole run. Files
// are read with ReadRegularFile (common/input_file.h): a FIFO or a device is refused.
inline constexpr uint64_t kMaxCsvFileBytes = kMaxDataFileBytes;  // 1 GiB

// ---------------------------------------------------------------------------------------
// Pure pieces, exposed for tests and for the controller's --split-data.

// Decodes a whole file to UTF-8 (see the encodings above). Errors: an unknown encoding
// name (InvalidArgument), bytes that are not valid in the encoding (ParseError, with the
// byte offset); `file` names the file in messages.
Result<std::string> DecodeCsvText(std::string_view bytes, std::string_view encoding, std::string_view file);

// JOrphanUtils.split(line, delimiter, false): fields between occurrences of the whole
// delimiter; a trailing delimiter gives a trailing empty field; "" gives no fields.
std::vector<std::string> SplitCsvLine(std::string_view line, std::string_view delimiter);

// One record read with CSVSaveService.csvReadFile rules from `text` at *pos; *pos moves
// past the record and its line break (or just past the offending character on error).
// `delimiter` is one character (UTF-8). No fields and no error means end of text.
struct CsvRecord {
  std::vector<std::string> fields;
  std::string error;  // JMeter's message, e.g. "Cannot have quote-char in plain field:[ab\"]"
};
CsvRecord ReadQuotedCsvRecord(std::string_view text, size_t* pos, std::string_view delimiter);

// The header line split as CSVSaveService.csvSplitString does (quote-aware on the first
// character of `delimiter`), each name trimmed; ParseError on a misplaced quote.
Result<std::vector<std::string>> SplitCsvHeader(std::string_view line, std::string_view delimiter);

// --split-data: worker `index` (0-based) of `workers` gets a contiguous, disjoint block of
// the data records (sizes differ by at most one, the first blocks get the extra records),
// in the file's own bytes and encoding, after the header line when the file has one and
// after the byte order mark when it has one. Records are lines, or quote-aware records
// when quoted_data. UTF-16 files are refused (Unsupported).
struct CsvSplitOptions {
  std::string encoding;  // as the CSV Data Set names it ("" = UTF-8)
  std::string delimiter = ",";
  bool quoted_data = false;
  bool has_header = false;  // variableNames empty, or ignoreFirstLine
  static CsvSplitOptions For(const CsvDataSet& node);
};
struct CsvShare {
  std::string data;       // the worker's file
  size_t rows = 0;        // data records in it
  size_t total_rows = 0;  // data records in the whole file
};
Result<CsvShare> SplitCsvData(std::string_view file_bytes, const CsvSplitOptions& options, int workers, int index);

// ---------------------------------------------------------------------------------------
// Run time.

enum class CsvOutcome {
  kOk,          // variables set (to values, or to the EOF value)
  kStopThread,  // end of file with stopThread: stop this virtual user (JMeterStopThreadException)
  kFailed,      // the element cannot be read for this user (file or header unusable): as in
                // JMeter, where the exception ends the thread, the user should stop
};

struct CsvResult {
  CsvOutcome outcome = CsvOutcome::kOk;
  // kStopThread / kFailed: why, naming the element and file. kOk: usually empty; set when a
  // quoted record was malformed and was treated as end of file (JMeter logs it as an error).
  std::string message;
};

class CsvRegistry;

// One virtual user's view of the CSV Data Sets: which reader each element uses, and the
// user's own readers for "current thread" sharing. Owned by the virtual user; not
// thread-safe; must not outlive the CsvRegistry it was used with.
class CsvUserState {
 public:
  CsvUserState();
  ~CsvUserState();
  CsvUserState(const CsvUserState&) = delete;
  CsvUserState& operator=(const CsvUserState&) = delete;

 private:
  friend class CsvRegistry;
  struct Binding;
  struct Reader;
  std::unordered_map<const CsvDataSet*, std::unique_ptr<Binding>> bindings_;
  std::unordered_map<std::string, std::unique_ptr<Reader>> own_readers_;  // by file name
};

// The run's CSV files and shared readers. One per run (per worker in cluster mode).
class CsvRegistry {
 public:
  // Reads base_dir and the csvdataset.eofstring property; `run` must outlive the registry.
  explicit CsvRegistry(const RunContext& run);
  ~CsvRegistry();
  CsvRegistry(const CsvRegistry&) = delete;
  CsvRegistry& operator=(const CsvRegistry&) = delete;

  // Before the run, once per CSV Data Set element, single- or multi-threaded: evaluates the
  // file name with `ctx` (properties, user defined variables), reads and decodes the file,
  // and checks that its header line can be read when one is needed. The error names the
  // element, the file and the cause (not found, unreadable, too large, unknown encoding,
  // invalid bytes, empty file where a header is needed, malformed header). A name that
  // still holds an unresolved ${...} after evaluation is left to run time (Ok).
  Status Prepare(const CsvDataSet& node, ThreadContext& ctx);

  // At the start of each iteration of the controller the element is declared under (for an
  // element directly under a thread group: each thread-group iteration), per virtual user:
  // reads the next record for `ctx` and sets its variables. `group_number` identifies the
  // user's thread group, unique in the run, for "current thread group" sharing (the engine
  // passes its own group index: ThreadGroup::group_number repeats across phases).
  // Thread-safe across users; `user` is the calling user's own state.
  CsvResult Next(const CsvDataSet& node, ThreadContext& ctx, CsvUserState& user, int group_number);

  // Tests only: lower the size limit.
  void set_max_file_bytes(uint64_t limit) { max_file_bytes_ = limit; }
  // Tests only: Random CSV Data Set lists created from now on shuffle with the seeds
  // `seed`, `seed` + 1, ... in the order they are created (by default from std::random_device).
  void set_random_seed(uint64_t seed) { next_seed_ = seed; }

 private:
  struct SharedReader;
  // The decoded text of a file, read once per path and encoding.
  Result<std::shared_ptr<const std::string>> Load(const std::string& name, const std::string& encoding);
  Result<CsvUserState::Binding*> Bind(const CsvDataSet& node, ThreadContext& ctx, CsvUserState& user, int group_number);
  CsvResult NextRandomCsv(const CsvDataSet& node, ThreadContext& ctx, CsvUserState::Binding& b);

  std::string base_dir_;
  std::string eof_value_;
  uint64_t max_file_bytes_ = kMaxCsvFileBytes;
  std::atomic<uint64_t> next_seed_;

  std::mutex mu_;                                                              // guards files_ and shared_
  std::unordered_map<std::string, std::shared_ptr<const std::string>> files_;  // by path+encoding
  std::unordered_map<std::string, std::unique_ptr<SharedReader>> shared_;      // by alias
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_CSV_DATA_H_
