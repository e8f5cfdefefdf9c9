#include "controller/jtl_export.h"

#include <iostream>
#include <utility>

#include "controller/cli.h"
#include "controller/jtl_writer.h"
#include "controller/runs_command.h"

namespace barrage {

Result<uint64_t> ExportJtl(ResultsStore& store, int64_t execution_id, const std::string& out_path) {
  Result<ExecutionRecord> execution = store.GetExecution(execution_id);
  if (!execution.ok()) return execution.status();
  Result<JtlWriter> writer = JtlWriter::Open(out_path);
  if (!writer.ok()) return writer.status();
  Status write_error;
  Status read = store.ForEachSample(execution_id, [&](const Sample& s) {
    // The store cannot be told to stop: after a write error the rest is skipped.
    if (write_error.ok()) write_error = writer->Write(s);
  });
  if (Status closed = writer->Close(); write_error.ok()) write_error = std::move(closed);
  if (!read.ok()) return read;
  if (!write_error.ok()) return write_error;
  const uint64_t rows = writer->rows_written();
  if (Status st = store.Audit("exported", execution_id, out_path + " (" + std::to_string(rows) + " samples)");
      !st.ok()) {
    return st;
  }
  return rows;
}

int RunExport(const ExportOptions& options) {
  int exit_code = kExitOk;
  std::optional<ResultsStore> store = OpenStoreForReading(options.db_path, options.project, &exit_code);
  if (!store) return exit_code;
  std::optional<int64_t> run = ResolveRunOrSay(*store, options.run, &exit_code);
  if (!run) return exit_code;
  const std::string path = options.out_path == "-" ? "/dev/stdout" : options.out_path;
  Result<uint64_t> rows = ExportJtl(*store, *run, path);
  Status closed = store->Close();
  if (!rows.ok() || !closed.ok()) {
    std::cerr << "barrage: " << (rows.ok() ? closed : rows.status()).message() << "\n";
    return kExitRuntimeFailure;
  }
  std::cerr << "barrage: wrote " << *rows << " samples of run " << *run << " to "
            << (options.out_path == "-" ? "standard output" : options.out_path) << "\n";
  return kExitOk;
}

}  // namespace barrage
