#include "controller/run_recording.h"

#include <filesystem>
#include <utility>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/functions.h"

namespace barrage {

std::vector<ListenerFile> ResolveListenerFiles(const Plan& plan, RunContext& run, const std::string& base_dir) {
  std::vector<ListenerFile> out;
  ThreadContext ctx;
  ctx.run = &run;
  for (const ResultFileListener& r : plan.result_files) {
    ListenerFile f;
    std::filesystem::path path(std::string(TrimAscii(Evaluate(r.filename, ctx))));
    if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
    f.path = path.lexically_normal().string();
    f.listener = "ResultCollector '" + r.name + "'";
    f.error_only = r.error_only;
    f.success_only = r.success_only;
    f.thread_prefix = r.thread_prefix;
    f.columns = JtlColumnsFor(run, r.columns);
    f.header = r.field_names;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<JtlColumn> JtlColumnsFor(const RunContext& run, std::vector<JtlColumn> columns) {
  std::optional<std::string> wanted = run.properties.Get(kJtlIntendedStartProperty);
  if (wanted && JtlIntendedStartWanted(*wanted)) return WithIntendedStart(std::move(columns));
  return columns;
}

bool ListenerWantsSample(bool success, bool error_only, bool success_only) {
  return (!error_only && !success_only) || (success && success_only) || (!success && error_only);
}

RunRecording::RunRecording(RunRecordingOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

Status RunRecording::Open() {
  if (!options_.jtl_path.empty()) {
    Result<JtlWriter> w =
        JtlWriter::Open(options_.jtl_path, JtlWriter::Mode::kAppend, {.columns = options_.jtl_columns});
    if (!w.ok()) return w.status();
    jtl_.emplace(std::move(w).value());
  }
  for (const ListenerFile& f : options_.listener_files) {
    JtlWriter* writer = nullptr;
    for (const auto& open : listener_writers_) {
      if (open->path() == f.path) writer = open.get();
    }
    if (!writer) {
      // JMeter creates the file's missing folders (ResultCollector.getFileWriter); an error
      // surfaces when the file is opened.
      std::error_code ignored;
      std::filesystem::create_directories(std::filesystem::path(f.path).parent_path(), ignored);
      Result<JtlWriter> w =
          JtlWriter::Open(f.path, JtlWriter::Mode::kAppend, {.columns = f.columns, .header = f.header});
      if (!w.ok()) return Status::IoError(f.listener + ": " + w.status().message());
      listener_writers_.push_back(std::make_unique<JtlWriter>(std::move(w).value()));
      listener_errors_.emplace_back();
      writer = listener_writers_.back().get();
    }
    listeners_.push_back({&f, writer});
  }
  Result<ResultsStore> store = ResultsStore::Open(options_.db_path, {.project = options_.project});
  if (!store.ok()) return store.status();
  store_.emplace(std::move(store).value());
  if (Result<int> marked = store_->MarkInterruptedExecutions(); marked.ok() && *marked > 0) {
    err_ << "barrage: marked " << *marked << " interrupted run(s) as aborted\n";
  }
  return Status::Ok();
}

Result<int64_t> RunRecording::Begin(const ExecutionInfo& info) {
  Result<int64_t> execution = store_->BeginExecution(info);
  if (!execution.ok()) return execution.status();
  execution_ = *execution;
  recorder_.emplace(jtl_ ? &*jtl_ : nullptr, &*store_, err_);
  summariser_.emplace(info.started_at_ms, options_.summary_interval_s);
  if (options_.abort_on_fail) watch_.emplace(options_.thresholds, options_.summary_interval_s * 1000);
  LiveRunInfo live{.execution_id = execution_,
                   .plan_path = info.plan_path,
                   .plan_name = info.plan_name,
                   .project = info.project,
                   .started_at_ms = info.started_at_ms};
  for (LiveMetricsSink* sink : options_.live_sinks) sink->OnRunStart(live);
  return execution_;
}

Status RunRecording::Add(std::vector<Sample>&& batch, int32_t worker_id, std::string_view thread_prefix) {
  const BatchOrigin origin(worker_id, thread_prefix);
  // JMeter's summariser ignores Transaction Controller samples
  // (summariser.ignore_transaction_controller_sample_result=true).
  for (const Sample& s : batch) {
    if (!s.transaction) summariser_->Add(s);
  }
  report_.Add(batch);
  recorded_ += batch.size();
  for (LiveMetricsSink* sink : options_.live_sinks) sink->OnSamples(batch, origin);
  if (!listeners_.empty()) WriteListenerFiles(batch, origin);
  if (recorder_->Record(std::move(batch), worker_id)) return Status::Ok();
  return recorder_->store_error().ok() ? recorder_->jtl_error() : recorder_->store_error();
}

void RunRecording::WriteListenerFiles(const std::vector<Sample>& batch, const BatchOrigin& origin) {
  for (const OpenListenerFile& l : listeners_) {
    const ListenerFile& f = *l.listener;
    for (const Sample& s : batch) {
      if (!ListenerWantsSample(s.success, f.error_only, f.success_only)) continue;
      if (!InThreadGroup(s.thread_name, origin, f.thread_prefix)) continue;
      KeepListenerError(*l.writer, l.writer->Write(s));
    }
  }
}

void RunRecording::KeepListenerError(JtlWriter& writer, Status s) {
  if (s.ok()) return;
  for (size_t i = 0; i < listener_writers_.size(); ++i) {
    if (listener_writers_[i].get() != &writer || !listener_errors_[i].ok()) continue;
    listener_errors_[i] = s;
    err_ << "barrage: a listener's file failed (" << s.message() << "): it gets no more samples\n" << std::flush;
    (void)writer.Close();  // further writes fail at once, quietly (the error is kept)
  }
}

bool RunRecording::TakeFailure() {
  if (stopping_ || !recorder_->failed()) return false;
  stopping_ = true;
  return true;
}

bool RunRecording::Poll() {
  recorder_->Poll();
  for (size_t i = 0; i < listener_writers_.size(); ++i) {
    if (listener_errors_[i].ok()) KeepListenerError(*listener_writers_[i], listener_writers_[i]->FlushIfDue());
  }
  return TakeFailure();
}

bool RunRecording::CheckThresholds(int64_t now_ms) {
  if (!watch_) return false;
  std::vector<ThresholdResult> failed = watch_->Check(report_, now_ms);
  for (const ThresholdResult& r : failed) err_ << "barrage: " << DescribeThresholdResult(r) << "\n";
  if (failed.empty()) return false;
  err_ << "barrage: stopping gracefully (--abort-on-fail)\n";
  return true;
}

bool RunRecording::PrintSummary(int64_t now_ms, const ThreadCounts& threads) {
  if (options_.quiet || !summariser_->ReportDue(now_ms)) return false;
  std::vector<std::string> lines = summariser_->EndInterval(now_ms, threads);
  for (const std::string& line : lines) out_ << line << "\n";
  out_.flush();
  return !lines.empty();
}

void RunRecording::Tick(LiveTick tick) {
  if (options_.live_sinks.empty()) return;
  tick.recorded = recorded_;
  for (LiveMetricsSink* sink : options_.live_sinks) sink->OnTick(tick);
}

int RunRecording::End(RunEnd end) {
  const int64_t end_ms = WallMillis();
  if (end.started) {
    for (const std::string& line : summariser_->Finish(end_ms, end.threads)) out_ << line << "\n";
  }
  ExecutionStatus status = end.status;
  int exit_code = end.exit_code;
  RunErrors errors(*recorder_, err_);
  auto fail = [&](const Status& s) {
    errors.Print(s);
    status = ExecutionStatus::kErrored;
    exit_code = kExitRuntimeFailure;
  };
  if (jtl_) {
    if (Status s = jtl_->Close(); !s.ok()) fail(s);
  }
  for (size_t i = 0; i < listener_writers_.size(); ++i) {
    if (listener_errors_[i].ok()) KeepListenerError(*listener_writers_[i], listener_writers_[i]->Close());
  }
  if (recorder_->failed()) {
    status = ExecutionStatus::kErrored;
    exit_code = kExitRuntimeFailure;
  }
  if (end.before_thresholds) end.before_thresholds(*store_, execution_, end_ms, fail);
  if (end.threads.late_arrivals > 0) {
    if (Status s = store_->SetExecutionDroppedIterations(execution_, end.threads.late_arrivals); !s.ok()) fail(s);
  }
  // Thresholds on all samples (the report holds every one received).
  std::vector<ThresholdResult> verdicts;
  if (end.started) {
    verdicts = FinalThresholdResults(options_.thresholds, report_, watch_ ? &watch_->tripped_results() : nullptr);
  }
  if (AnyFailed(verdicts) &&
      (status == ExecutionStatus::kPassed || (end.thresholds_fail_aborted && status == ExecutionStatus::kAborted))) {
    status = ExecutionStatus::kFailed;
  }
  // Stored before the status, so that a failure to store them cannot follow a recorded
  // `passed`. After a store failure Finish records `errored` if the file can still be
  // written; if not, the run stays `running` in the file and the next command to open it
  // marks it `aborted`.
  for (LiveMetricsSink* sink : options_.live_sinks) sink->OnRunEnd(end_ms, status);
  if (Status s = StoreThresholdResults(*store_, execution_, verdicts); !s.ok()) fail(s);
  if (Status s = store_->Finish(status, end_ms); !s.ok()) fail(s);
  if (Status s = store_->Close(); !s.ok()) fail(s);
  if (!end.message.empty() && status != ExecutionStatus::kPassed) err_ << "barrage: " << end.message << "\n";
  if (end.started) {
    out_ << "\n" << AggregateReportText(report_.Rows());
    // A run whose samples started late against a schedule: the latency from the intended start.
    if (report_.HasCorrected()) out_ << "\n" << CorrectedReportText(report_.CorrectedRows());
    out_ << std::flush;
  }
  PrintThresholdResults(verdicts, out_, err_);
  if (exit_code == kExitOk && AnyFailed(verdicts)) exit_code = kExitThresholdFailed;
  out_ << "barrage: run " << execution_ << " " << ExecutionStatusName(status) << ": " << end.totals
       << (options_.jtl_path.empty() ? "" : ", JTL " + options_.jtl_path) << ", store " << store_->path() << "\n"
       << std::flush;
  return exit_code;
}

void EngineRecordingSink::OnSamples(std::vector<Sample>& batch) {
  // A failed record is picked up below (the engine's sink has no error to return).
  (void)recording_->Add(std::move(batch), 0);
  batch.clear();
  if (recording_->TakeFailure()) stop_(!recording_->recording());
}

void EngineRecordingSink::OnTick(int active, int started, int finished) {
  if (recording_->Poll()) stop_(!recording_->recording());
  const int64_t now = WallMillis();
  if (recording_->CheckThresholds(now)) stop_(false);
  const ThreadCounts threads{active, started, finished, late_ ? late_() : 0};
  recording_->PrintSummary(now, threads);
  if (recording_->live()) {
    LiveTick tick;
    tick.now_ms = now;
    tick.threads = threads;
    recording_->Tick(std::move(tick));
  }
}

}  // namespace barrage
