// `barrage export RUN -o out.jtl`: an execution's samples as a JTL CSV with JMeter's default
// 17 columns and header (controller/jtl_writer.h), in the order they were stored, so that
// JMeter's listeners, `jmeter -g` and other JTL tools read it. Streams: memory does not grow
// with the run. A JTL imported with `barrage import` comes back with the same 17 columns.
// --intended-start adds barrage's intendedStart column (coordinated omission, jtl_writer.h).
#ifndef BARRAGE_CONTROLLER_JTL_EXPORT_H_
#define BARRAGE_CONTROLLER_JTL_EXPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "controller/results_store.h"

namespace barrage {

struct ExportOptions {
  std::string run = "last";            // RUN: an id, "last" or "last-passed"
  std::string out_path;                // -o; "-" = standard output
  std::string db_path = "barrage.db";  // --db
  std::string project = "default";     // --project
  bool intended_start = false;         // --intended-start
};

// The JTL of `execution_id` (header, then its committed samples in stored order) handed to
// `write` in pieces of about 1 MiB, the bytes ExportJtl writes. Once `write` fails, the rest
// is not formatted (the store's scan still runs to its end) and that error is returned.
// Returns the number of rows. Writes nothing to the store (no audit entry).
Result<uint64_t> StreamJtl(const ResultsStore& store, int64_t execution_id, bool intended_start,
                           const std::function<Status(std::string_view)>& write);

// Writes the committed samples of `execution_id` to `out_path` ("-" = standard output) and
// records an audit_log 'exported' entry. A file is replaced only once it is complete (a
// temporary file renamed over it, common/output_file.h): after an error the previous file
// is intact. Returns the number of rows written. Errors name the file.
Result<uint64_t> ExportJtl(ResultsStore& store, int64_t execution_id, const std::string& out_path,
                           bool intended_start = false);

// The command: 0 written, 1 runtime failure (store, disk), 2 usage error (unknown run, or
// -o naming the results store or one of its -wal/-shm/-journal files: refused before the
// store is opened).
int RunExport(const ExportOptions& options);

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_JTL_EXPORT_H_
