// What a run keeps and prints of itself, the same for a local run and a cluster run (and
// for anything else that runs a plan): the JTL (-l) and the results store, JMeter's
// summary lines, the Aggregate Report, the thresholds and the run's end.
//
// Sequence, one RunRecording per run:
//   Open()            opens the JTL (append) and the store, marks interrupted executions
//                     `aborted`; an error names the file (the caller exits 1)
//   Begin(info)       begins the execution; the summariser's clock starts at info.started_at_ms
//   Add / Poll / ...  while the run goes
//   End(end)          the end of the run: status, thresholds stored, Finish, Close, the
//                     Aggregate Report, the threshold verdicts and the last line; returns
//                     the exit code (DESIGN §8)
// A RunRecording that is destroyed after Begin without End leaves the execution `running`
// (the next command to open the store marks it `aborted`): every caller calls End.
//
// Ownership: owns its JTL writer and its own store handle (several RunRecordings may live
// in one process, each with its own store); no globals. Output goes to the two streams
// given (the command's stdout and stderr), never to std::cout/std::cerr directly.
//
// Threads: not thread-safe. Open, Begin and End run on the run's thread; Add, Poll,
// CheckThresholds and PrintSummary run on the thread that receives samples: the engine's
// collector thread in a local run (through EngineRecordingSink, while Engine::Run blocks the
// run's thread), the run loop's thread in a cluster run. They never overlap.
//
// Errors: a failure of the JTL or the store while samples arrive is printed at once and
// reported by Poll (see controller/sample_recorder.h); the owner stops the run and End
// records the execution `errored` and returns 1. Errors at End are printed once each.
#ifndef BARRAGE_CONTROLLER_RUN_RECORDING_H_
#define BARRAGE_CONTROLLER_RUN_RECORDING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/sample.h"
#include "common/status.h"
#include "controller/aggregate_report.h"
#include "controller/jtl_writer.h"
#include "controller/live_metrics.h"
#include "controller/results_store.h"
#include "controller/sample_recorder.h"
#include "controller/summariser.h"
#include "controller/thresholds.h"
#include "worker/engine.h"

namespace barrage {

// A plan's listener with a file (issue 10, common/plan.h ResultFileListener), resolved for
// this run: written as JMeter's non-GUI mode writes it. Appended to, as JMeter does (the
// header only into a new or empty file). Several listeners may name the same file: it is
// opened once and each writes its own samples to it (a sample twice when both take it, as
// in JMeter).
struct ListenerFile {
  std::string path;         // the listener's filename, evaluated, relative to the plan's folder
  std::string listener;     // "ResultCollector 'name'" for messages
  bool error_only = false;  // JMeter: both flags set = every sample
  bool success_only = false;
  std::string thread_prefix;  // only samples whose thread name starts with it ("" all)
  std::vector<JtlColumn> columns;
  bool header = true;
};

// The plan's listener files for a run: filenames evaluated with `run`'s properties and
// made relative to `base_dir`; with the property barrage.jtl.intended_start=true each
// gets the intendedStart column (JtlColumnsFor).

std::vector<ListenerFile> ResolveListenerFiles(const Plan& plan, RunContext& run, const std::string& base_dir);
// `columns`, plus intendedStart when `run`'s property barrage.jtl.intended_start is true.
std::vector<JtlColumn> JtlColumnsFor(const RunContext& run, std::vector<JtlColumn> columns);

// Whether a listener with these flags takes a sample (JMeter's ResultCollector.isSampleWanted).
bool ListenerWantsSample(bool success, bool error_only, bool success_only);

struct RunRecordingOptions {
  std::string db_path;
  std::string project = "default";
  std::string jtl_path;  // "" = no JTL
  // Its columns: JMeter's defaults, plus intendedStart with barrage.jtl.intended_start.
  std::vector<JtlColumn> jtl_columns = DefaultJtlColumns();
  // The plan's listeners with a file. A failure of one is printed once and that file gets
  // no more rows; the run goes on (JMeter logs it and goes on).
  std::vector<ListenerFile> listener_files;
  int64_t summary_interval_s = 30;
  bool quiet = false;  // no summary lines while the run goes (the final ones still print)
  // Checked on all samples at the end; with abort_on_fail also on the data so far, every
  // summary interval (CheckThresholds).
  std::vector<Threshold> thresholds;
  bool abort_on_fail = false;
  // Live metrics out (controller/live_metrics.h), in this order; not owned, they must
  // outlive the recording.
  std::vector<LiveMetricsSink*> live_sinks{};
};

// How the run ended, as its runner saw it; End turns it into the stored status, the output
// and the exit code.
struct RunEnd {
  ExecutionStatus status = ExecutionStatus::kPassed;  // the runner's verdict before the records
  int exit_code = 0;                                  // the runner's exit code before thresholds
  // False when the load never started (a cluster whose workers did not come): no summary
  // line, no thresholds, no Aggregate Report.
  bool started = true;
  ThreadCounts threads;  // for the summariser's last line
  // A failed threshold turns `passed` into `failed`; with this also `aborted` (a cluster run
  // stopped by --abort-on-fail or Ctrl-C ends `aborted` before its thresholds are counted).
  bool thresholds_fail_aborted = false;
  // Run after the records are closed for samples and before the thresholds: the runner's own
  // rows and lines (a cluster run's execution_worker rows and per-worker lines). `fail`
  // reports an error (printed once; the run ends `errored`, exit 1).
  std::function<void(ResultsStore& store, int64_t execution_id, int64_t end_ms,
                     const std::function<void(const Status&)>& fail)>
      before_thresholds;
  // Printed to stderr ("barrage: MESSAGE") after the store is closed, unless the run passed.
  std::string message;
  // The last line's counts: "barrage: run N STATUS: <totals>, JTL F, store F".
  std::string totals;
};

class RunRecording {
 public:
  RunRecording(RunRecordingOptions options, std::ostream& out, std::ostream& err);
  RunRecording(const RunRecording&) = delete;
  RunRecording& operator=(const RunRecording&) = delete;

  // Opens the JTL and the store; prints "barrage: marked N interrupted run(s) as aborted".
  Status Open();
  // Begins the execution; its id. Requires Open.
  Result<int64_t> Begin(const ExecutionInfo& info);

  // One batch from worker `worker_id` (0 in a local run) whose thread names start with
  // `thread_prefix` (a cluster worker's "<name>-"; live_metrics.h BatchOrigin): summariser,
  // report, then the JTL and the store (moved out). Ok once one record holds it, else the
  // records' error.
  Status Add(std::vector<Sample>&& batch, int32_t worker_id, std::string_view thread_prefix = {});
  // About once a second: flushes the JTL when due, picks up a store failure. True once,
  // the first time a record has failed: the caller stops the run, at once when
  // !recording() (nothing records any more), gracefully otherwise.
  bool Poll();
  // The same without the flush (right after Add).
  bool TakeFailure();
  bool recording() const { return recorder_ && recorder_->recording(); }
  // With abort_on_fail: the thresholds that fail on the data so far are printed, with
  // "stopping gracefully (--abort-on-fail)"; true when one did (the caller stops the run).
  // False without abort_on_fail.
  bool CheckThresholds(int64_t now_ms);
  // The summary lines when an interval is due (and not quiet); true when lines were printed.
  bool PrintSummary(int64_t now_ms, const ThreadCounts& threads);

  // About once a second, for the live sinks (tick.recorded is filled in here); a no-op
  // without live sinks (live() tells whether building a tick is worth it).
  void Tick(LiveTick tick);
  bool live() const { return !options_.live_sinks.empty(); }

  // The end of the run (see RunEnd); the exit code. Requires Begin.
  int End(RunEnd end);

  int64_t execution_id() const { return execution_; }
  uint64_t recorded() const { return recorded_; }
  const AggregateReport& report() const { return report_; }

 private:
  RunRecordingOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  std::optional<JtlWriter> jtl_;
  struct OpenListenerFile {
    const ListenerFile* listener;
    JtlWriter* writer;  // into listener_writers_
  };
  void WriteListenerFiles(const std::vector<Sample>& batch, const BatchOrigin& origin);
  void KeepListenerError(JtlWriter& writer, Status s);
  std::vector<std::unique_ptr<JtlWriter>> listener_writers_;
  std::vector<Status> listener_errors_;  // parallel to listener_writers_
  std::vector<OpenListenerFile> listeners_;
  std::optional<ResultsStore> store_;
  std::optional<SampleRecorder> recorder_;
  std::optional<Summariser> summariser_;
  std::optional<ThresholdWatch> watch_;
  AggregateReport report_;
  int64_t execution_ = 0;
  uint64_t recorded_ = 0;
  bool stopping_ = false;
};

// A local run's SampleSink: the engine's collector thread feeds the recording. `stop(now)`
// stops the engine (when a record fails: now = nothing records any more; when a threshold
// trips with --abort-on-fail: now = false).
class EngineRecordingSink : public SampleSink {
 public:
  explicit EngineRecordingSink(RunRecording* recording) : recording_(recording) {}
  // Set before Engine::Run.
  void SetStop(std::function<void(bool now)> stop) { stop_ = std::move(stop); }
  // Set before Engine::Run: the engine's late arrivals so far (EngineCounters), for the
  // live summary.
  void SetLateArrivals(std::function<int64_t()> late) { late_ = std::move(late); }

  void OnSamples(std::vector<Sample>& batch) override;
  void OnTick(int active, int started, int finished) override;

 private:
  void StopIfFailed();
  RunRecording* recording_;
  std::function<void(bool)> stop_;
  std::function<int64_t()> late_;
};

}  // namespace barrage

#endif  // BARRAGE_CONTROLLER_RUN_RECORDING_H_
