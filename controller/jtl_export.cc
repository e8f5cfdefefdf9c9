#include "controller/jtl_export.h"

#include <iostream>
#include <utility>

#include "controller/cli.h"
#include "controller/jtl_writer.h"

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
  ResultsStore::Options store_options;
  store_options.project = options.project;
  store_options.must_exist = true;
  Result<ResultsStore> store = ResultsStore::Open(options.db_path, store_options);
  if (!store.ok()) {
    std::cerr << "barrage: " << store.status().message() << "\n";
    return kExitRuntimeFailure;
  }
  if (Result<int> marked = store->MarkInterruptedExecutions(); marked.ok() && *marked > 0) {
    std::cerr << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
  }
  Result<int64_t> run = store->ResolveRun(options.run);
  if (!run.ok()) {
    std::cerr << "barrage: " << run.status().message() << "\n";
    return kExitUsage;
  }
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
