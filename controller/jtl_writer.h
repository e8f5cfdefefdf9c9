// JTL export: the CSV results file JMeter 5.x writes with its default settings, so JMeter's
// listeners, its HTML report generator (`jmeter -g`) and other JTL tools read ours.
//
// Columns (JMeter 5.x defaults: SampleSaveConfiguration with print_field_names, url,
// sent_bytes, assertion_results_failure_message, thread_counts, idle_time, connect_time on;
// order from CSVSaveService.printableFieldNamesToString):
//   timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,
//   failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect
//
// Times: timeStamp is epoch ms at sample start (sampleresult.timestamp.start=true).
// elapsed, Latency, IdleTime and Connect are whole milliseconds: our microseconds divided by
// 1000 and truncated. JMeter itself measures in whole ms (its clock reads truncate to the
// ms), so truncation is the mapping that gives the numbers JMeter would have written; it
// never rounds a 0.6 ms response up to 1.
//
// Coordinated omission (not JMeter's): with the property barrage.jtl.intended_start=true a
// run's JTLs get one more column at the end, intendedStart = timeStamp - the sample's
// schedule lag in whole ms (the start its schedule intended; = timeStamp without one).
// Without the property the files are JMeter's, byte for byte.
//
// Quoting as CSVSaveService.quoteDelimiters: a text field is enclosed in double quotes only
// when it contains the delimiter, a double quote, CR or LF; embedded quotes are doubled.
// A sample without a URL writes `null`, as JMeter does (String.valueOf of a null URL, e.g.
// for Transaction Controller samples). Lines end with "\n" (JMeter's line.separator on
// Linux).
//
// Writes are buffered. Rows reach the file when the buffer fills (1 MB), when Write() or
// FlushIfDue() finds the last flush `flush_interval` ago, on Flush() and on Close(): a
// process killed with -9 loses at most the rows of the last flush_interval before the
// owner's last Write()/FlushIfDue() call, so an owner that calls FlushIfDue() at least
// every (1 s - flush_interval) keeps every row older than a second on disk. Not
// thread-safe: one thread owns a JtlWriter. Every error message names the file.
#ifndef BARRAGE_CONTROLLER_JTL_WRITER_H_
#define BARRAGE_CONTROLLER_JTL_WRITER_H_

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/jtl_columns.h"
#include "common/sample.h"
#include "common/status.h"

namespace barrage {

// The header row, without line end.
std::string_view JtlHeader();

// Appends `field` to `out`, quoted if it contains `delimiter`, '"', CR or LF.
void AppendCsvField(std::string_view field, char delimiter, std::string* out);

// Appends one JTL row for `sample`, with its "\n".
void AppendJtlRow(const Sample& sample, std::string* out);

// A listener whose saveConfig selects fewer or other columns than the defaults (issue 10)
// gets these (common/jtl_columns.h; never Encoding or Hostname). Filename is written empty
// (barrage saves no response files), SampleCount 1 and ErrorCount 0 or 1 (barrage records
// one sample per row).
std::string JtlHeader(const std::vector<JtlColumn>& columns);
void AppendJtlRow(const Sample& sample, const std::vector<JtlColumn>& columns, std::string* out);

class JtlWriter {
 public:
  enum class Mode {
    kTruncate,  // start a new file with the header row
    kAppend,    // JMeter's behaviour for an existing results file: add rows at its end, and
                // write the header only if the file is new or empty
  };

  struct Options {
    std::chrono::milliseconds flush_interval{500};
    std::vector<JtlColumn> columns = DefaultJtlColumns();
    bool header = true;  // write the header row into a new or empty file
    // The clock flush_interval is measured on (its monotonic one); a test fakes it. Not
    // owned; outlives the writer.
    const Clock* clock = &SystemClock();
  };

  // Opens (creates) `path`.
  static Result<JtlWriter> Open(const std::string& path, Mode mode, Options options);
  static Result<JtlWriter> Open(const std::string& path, Mode mode = Mode::kTruncate) {
    return Open(path, mode, Options{});
  }

  JtlWriter(JtlWriter&&) noexcept;
  JtlWriter& operator=(JtlWriter&&) noexcept;
  ~JtlWriter();  // closes; an error at that point is lost, so call Close() to see it

  Status Write(const Sample& sample);
  Status Write(const std::vector<Sample>& samples);
  // Hands buffered rows to the operating system.
  Status Flush();
  // Flush() when the last flush (or the open) was flush_interval ago or longer.
  Status FlushIfDue();
  // Flushes and closes the file. Further writes fail.
  Status Close();

  const std::string& path() const { return path_; }
  uint64_t rows_written() const { return rows_; }

 private:
  JtlWriter(std::string path, std::FILE* file, Options options);
  void AppendRow(const Sample& sample);

  std::string path_;
  std::FILE* file_ = nullptr;
  Options options_;
  bool default_columns_ = true;
  int64_t last_flush_us_ = 0;  // options_.clock->MonotonicMicros() of the last flush
  std::string buffer_;
  uint64_t rows_ = 0;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_JTL_WRITER_H_
