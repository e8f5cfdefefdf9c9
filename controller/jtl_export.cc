#include "controller/jtl_export.h"

#include <iostream>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/exit_codes.h"
#include "common/output_file.h"
#include "controller/jtl_writer.h"
#include "controller/runs_command.h"

namespace barrage {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

Result<uint64_t> StreamJtl(const ResultsStore& store, int64_t execution_id, bool intended_start,
                           const std::function<Status(std::string_view)>& write) {
  const std::vector<JtlColumn> columns = intended_start ? WithIntendedStart(DefaultJtlColumns()) : DefaultJtlColumns();
  std::string buffer(JtlHeader(columns));
  buffer.push_back('\n');
  uint64_t rows = 0;
  Status write_error;
  Status read = store.ForEachSample(execution_id, [&](const Sample& s) {
    // The store cannot be told to stop: after a write error the rest is skipped.
    if (!write_error.ok()) return;
    AppendJtlRow(s, columns, &buffer);
    ++rows;
    if (buffer.size() >= kBufferBytes) {
      write_error = write(buffer);
      buffer.clear();
    }
  });
  if (write_error.ok()) write_error = write(buffer);
  if (!read.ok()) return read;
  if (!write_error.ok()) return write_error;
  return rows;
}

Result<uint64_t> ExportJtl(ResultsStore& store, int64_t execution_id, const std::string& out_path,
                           bool intended_start) {
  Result<ExecutionRecord> execution = store.GetExecution(execution_id);
  if (!execution.ok()) return execution.status();
  // A file is written whole or not at all: rows go to a temporary file renamed over
  // out_path at the end (common/output_file.h).
  const bool to_stdout = out_path == "-";
  std::optional<AtomicFileWriter> file;
  if (!to_stdout) {
    Result<AtomicFileWriter> created = AtomicFileWriter::Create(out_path);
    if (!created.ok()) return created.status();
    file.emplace(std::move(created).value());
  }
  Result<uint64_t> rows = StreamJtl(store, execution_id, intended_start, [&](std::string_view bytes) -> Status {
    if (file) return file->Write(bytes);
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return std::cout ? Status::Ok() : Status::IoError("cannot write the JTL to standard output");
  });
  if (!rows.ok()) return rows.status();
  if (to_stdout && !std::cout.flush()) return Status::IoError("cannot write the JTL to standard output");
  if (file) {
    if (Status st = file->Commit(); !st.ok()) return st;
  }
  const std::string where = to_stdout ? "standard output" : out_path;
  if (Status st = store.Audit("exported", execution_id, where + " (" + std::to_string(*rows) + " samples)"); !st.ok()) {
    return st;
  }
  return rows;
}

int RunExport(const ExportOptions& options) {
  if (options.out_path != "-") {
    if (Status s = RefuseOverwrite(options.out_path, "the JTL", ResultsStoreFiles(options.db_path)); !s.ok()) {
      std::cerr << "barrage: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  int exit_code = kExitOk;
  std::optional<ResultsStore> store = OpenStoreForReading(options.db_path, options.project, &exit_code);
  if (!store) return exit_code;
  std::optional<int64_t> run = ResolveRunOrSay(*store, options.run, &exit_code);
  if (!run) return exit_code;
  if (options.out_path != "-") {
    Result<ExecutionRecord> execution = store->GetExecution(*run);
    Status refused =
        execution.ok() ? RefuseOverwrite(options.out_path, "the JTL", RunSourceFiles(*execution)) : execution.status();
    if (!refused.ok()) {
      std::cerr << "barrage: " << refused.message() << "\n";
      return execution.ok() ? kExitUsage : kExitRuntimeFailure;
    }
  }
  Result<uint64_t> rows = ExportJtl(*store, *run, options.out_path, options.intended_start);
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
