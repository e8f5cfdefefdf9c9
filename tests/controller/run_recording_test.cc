#include "controller/run_recording.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "controller/run_command.h"
#include "tests/controller/raw_sql.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using test::RawScalar;

Sample At(int64_t timestamp_ms, bool success) {
  Sample s;
  s.timestamp_ms = timestamp_ms;
  s.elapsed_us = 10'000;
  s.success = success;
  s.label = "login";
  s.response_code = success ? "200" : "500";
  s.thread_name = "Users 1-1";
  return s;
}

// Four samples of `login`, one failed: error_rate 0.25.
std::vector<Sample> Batch(int64_t start_ms) {
  return {At(start_ms, true), At(start_ms + 1, true), At(start_ms + 2, false), At(start_ms + 3, true)};
}

bool EndsWith(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

class RunRecordingTest : public ::testing::Test {
 protected:
  RunRecordingOptions Options(const std::vector<std::string>& thresholds, bool abort_on_fail = false) {
    RunRecordingOptions o;
    o.db_path = dir_.File("runs.db");
    o.summary_interval_s = 5;
    o.quiet = true;
    for (const std::string& t : thresholds) o.thresholds.push_back(*ParseThreshold(t));
    o.abort_on_fail = abort_on_fail;
    return o;
  }
  // Open + Begin; the execution's id.
  int64_t Start(RunRecording& recording) {
    EXPECT_TRUE(recording.Open().ok());
    ExecutionInfo info;
    info.plan_path = "/plans/shop.jmx";
    info.plan_name = "Shop";
    info.started_at_ms = start_ms_;
    Result<int64_t> id = recording.Begin(info);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : 0;
  }
  std::string Status(int64_t id) {
    return RawScalar(dir_.File("runs.db"), "SELECT status FROM execution WHERE id = " + std::to_string(id));
  }

  TempDir dir_;
  const int64_t start_ms_ = WallMillis();
  std::ostringstream out_, err_;
};

TEST_F(RunRecordingTest, APassingRunStoresItsSamplesAndVerdictsAndExitsZero) {
  RunRecording recording(Options({"error_rate<0.5"}), out_, err_);
  int64_t id = Start(recording);
  EXPECT_EQ(id, 1);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
  EXPECT_FALSE(recording.Poll());
  EXPECT_EQ(recording.recorded(), 4u);
  RunEnd end;
  end.totals = "4 samples, 1 errors";
  EXPECT_EQ(recording.End(std::move(end)), kExitOk);
  EXPECT_EQ(Status(id), "passed");
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT count(*) FROM sample"), "4");
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT count(*) FROM threshold_result WHERE passed = 1"), "1");
  EXPECT_TRUE(EndsWith(out_.str(),
                       "barrage: threshold 'error_rate<0.5' passed: error_rate of all samples is 0.25\n"
                       "barrage: run 1 passed: 4 samples, 1 errors, store " +
                           dir_.File("runs.db") + "\n"))
      << out_.str();
  EXPECT_NE(out_.str().find("summary =      4"), std::string::npos) << out_.str();  // the last summary line
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunRecordingTest, AFailedThresholdMakesThePassedRunFailedAndExits99) {
  RunRecording recording(Options({"error_rate<0.1"}), out_, err_);
  int64_t id = Start(recording);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
  RunEnd end;
  end.totals = "4 samples, 1 errors";
  EXPECT_EQ(recording.End(std::move(end)), kExitThresholdFailed);
  EXPECT_EQ(Status(id), "failed");
  EXPECT_EQ(err_.str(), "barrage: threshold 'error_rate<0.1' failed: error_rate of all samples is 0.25\n");
  EXPECT_TRUE(EndsWith(out_.str(), "barrage: run 1 failed: 4 samples, 1 errors, store " + dir_.File("runs.db") + "\n"));
}

TEST_F(RunRecordingTest, AnAbortedRunStaysAbortedUnlessItsRunnerCountsThresholdsOverIt) {
  for (bool over : {false, true}) {
    RunRecording recording(Options({"error_rate<0.1"}), out_, err_);
    int64_t id = Start(recording);
    EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
    RunEnd end;
    end.status = ExecutionStatus::kAborted;
    end.thresholds_fail_aborted = over;
    EXPECT_EQ(recording.End(std::move(end)), kExitThresholdFailed);
    EXPECT_EQ(Status(id), over ? "failed" : "aborted");
  }
}

TEST_F(RunRecordingTest, ARunThatNeverStartedHasNoSummaryNoVerdictsNoReportButItsRunnersRows) {
  RunRecording recording(Options({"error_rate<0.1"}), out_, err_);
  int64_t id = Start(recording);
  RunEnd end;
  end.status = ExecutionStatus::kErrored;
  end.exit_code = kExitRuntimeFailure;
  end.started = false;
  end.message = "no worker came";
  int64_t seen_id = 0;
  end.before_thresholds = [&](ResultsStore&, int64_t execution_id, int64_t end_ms,
                              const std::function<void(const barrage::Status&)>&) {
    seen_id = execution_id;
    EXPECT_GE(end_ms, start_ms_);
    out_ << "barrage: worker w1: lost\n";
  };
  end.totals = "0 samples from 1 worker(s)";
  EXPECT_EQ(recording.End(std::move(end)), kExitRuntimeFailure);
  EXPECT_EQ(seen_id, id);
  EXPECT_EQ(Status(id), "errored");
  EXPECT_EQ(out_.str(), "barrage: worker w1: lost\nbarrage: run 1 errored: 0 samples from 1 worker(s), store " +
                            dir_.File("runs.db") + "\n");
  EXPECT_EQ(err_.str(), "barrage: no worker came\n");
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT count(*) FROM threshold_result"), "0");
}

TEST_F(RunRecordingTest, AFailureReportedByTheRunnerEndsTheRunErroredWithExit1) {
  RunRecording recording(Options({}), out_, err_);
  int64_t id = Start(recording);
  RunEnd end;
  end.before_thresholds = [](ResultsStore&, int64_t, int64_t, const std::function<void(const barrage::Status&)>& fail) {
    fail(barrage::Status::IoError("workers.db: disk full"));
    fail(barrage::Status::IoError("workers.db: disk full"));  // printed once
  };
  end.totals = "0 samples";
  EXPECT_EQ(recording.End(std::move(end)), kExitRuntimeFailure);
  EXPECT_EQ(Status(id), "errored");
  EXPECT_EQ(err_.str(), "barrage: workers.db: disk full\n");
}

TEST_F(RunRecordingTest, AbortOnFailTripsOnTheDataSoFarAndTheTrippedValueIsTheVerdict) {
  RunRecording recording(Options({"error_rate<0.1"}, /*abort_on_fail=*/true), out_, err_);
  int64_t id = Start(recording);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
  EXPECT_FALSE(recording.CheckThresholds(start_ms_));  // the first check starts the interval
  EXPECT_FALSE(recording.CheckThresholds(start_ms_ + 4'999));
  EXPECT_TRUE(recording.CheckThresholds(start_ms_ + 5'000));
  EXPECT_EQ(err_.str(),
            "barrage: threshold 'error_rate<0.1' failed: error_rate of all samples is 0.25\n"
            "barrage: stopping gracefully (--abort-on-fail)\n");
  RunEnd end;
  end.totals = "4 samples, 1 errors";
  EXPECT_EQ(recording.End(std::move(end)), kExitThresholdFailed);
  EXPECT_EQ(Status(id), "failed");
}

TEST_F(RunRecordingTest, WithoutAbortOnFailThresholdsAreCheckedOnlyAtTheEnd) {
  RunRecording recording(Options({"error_rate<0.1"}), out_, err_);
  Start(recording);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
  EXPECT_FALSE(recording.CheckThresholds(start_ms_));
  EXPECT_FALSE(recording.CheckThresholds(start_ms_ + 5'000));
  EXPECT_EQ(err_.str(), "");
  EXPECT_EQ(recording.End({}), kExitThresholdFailed);
}

// Several runs in one process (the service): each recording has its own store and output.
// Writes down every call a live metrics sink gets.
class CallLog : public LiveMetricsSink {
 public:
  void OnRunStart(const LiveRunInfo& run) override {
    calls.push_back("start " + std::to_string(run.execution_id) + " " + run.plan_name + " " + run.project);
  }
  void OnSamples(const std::vector<Sample>& batch, const BatchOrigin& origin) override {
    calls.push_back("samples " + std::to_string(batch.size()) + " from " + std::to_string(origin.worker_id) + " '" +
                    std::string(origin.thread_prefix) + "'");
  }
  void OnTick(const LiveTick& tick) override {
    calls.push_back("tick active " + std::to_string(tick.threads.active) + " recorded " +
                    std::to_string(tick.recorded));
  }
  void OnRunEnd(int64_t, ExecutionStatus status) override {
    calls.push_back("end " + std::string(ExecutionStatusName(status)));
  }
  std::vector<std::string> calls;
};

TEST_F(RunRecordingTest, LiveSinksSeeTheStartEveryBatchTheTicksAndTheStoredStatusInOrder) {
  CallLog first, second;
  RunRecordingOptions options = Options({"error_rate<0.1"});
  options.live_sinks = {&first, &second};
  RunRecording recording(options, out_, err_);
  ASSERT_EQ(Start(recording), 1);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 2, "w2-").ok());
  LiveTick tick;
  tick.threads.active = 3;
  recording.Tick(tick);
  EXPECT_TRUE(recording.Add(Batch(start_ms_ + 1000), 1).ok());
  EXPECT_EQ(recording.End(RunEnd{}), kExitThresholdFailed);
  const std::vector<std::string> expected = {"start 1 Shop default", "samples 4 from 2 'w2-'",
                                             "tick active 3 recorded 4", "samples 4 from 1 ''", "end failed"};
  EXPECT_EQ(first.calls, expected);
  EXPECT_EQ(second.calls, expected);
}

TEST(InThreadGroupTest, AGroupsListenerTakesItsThreadsAfterACloudWorkersPrefix) {
  EXPECT_TRUE(InThreadGroup("Users 1-1", 0, "Users "));
  EXPECT_FALSE(InThreadGroup("Admins 1-1", 0, "Users "));
  EXPECT_TRUE(InThreadGroup("w-1-Users 1-1", BatchOrigin(1, "w-1-"), "Users "));
  EXPECT_FALSE(InThreadGroup("w-1-Admins 1-1", BatchOrigin(1, "w-1-"), "Users "));
  EXPECT_FALSE(InThreadGroup("Users 1-1", BatchOrigin(1, "w-1-"), "Users "));
  EXPECT_TRUE(InThreadGroup("w-1-Admins 1-1", BatchOrigin(1, "w-1-"), ""));
}

// A listener file scoped to a thread group gets that group's samples from every worker of a
// cluster run, whose thread names start with the worker's name.
TEST_F(RunRecordingTest, AThreadGroupsListenerFileTakesThatGroupsSamplesFromClusterWorkers) {
  RunRecordingOptions options = Options({});
  ListenerFile users;
  users.path = dir_.File("users.csv");
  users.listener = "ResultCollector 'users'";
  users.thread_prefix = "Users ";
  users.columns = DefaultJtlColumns();
  options.listener_files = {users};
  RunRecording recording(options, out_, err_);
  Start(recording);
  std::vector<Sample> batch = Batch(start_ms_);
  batch[1].thread_name = "Admins 1-1";
  for (Sample& s : batch) s.thread_name = "w1-" + s.thread_name;
  EXPECT_TRUE(recording.Add(std::move(batch), 1, "w1-").ok());
  EXPECT_EQ(recording.End(RunEnd{}), kExitOk);
  std::ifstream in(dir_.File("users.csv"));
  std::vector<std::string> threads;
  for (std::string line; std::getline(in, line);) {
    if (line.find("w1-") != std::string::npos) threads.push_back(line.substr(line.find("w1-"), 13));
  }
  EXPECT_EQ(threads, (std::vector<std::string>{"w1-Users 1-1,", "w1-Users 1-1,", "w1-Users 1-1,"}));
}

TEST_F(RunRecordingTest, TwoRecordingsInOneProcessKeepTheirOwnStoresAndOutput) {
  RunRecordingOptions a = Options({});
  RunRecordingOptions b = Options({});
  b.db_path = dir_.File("other.db");
  std::ostringstream out_b, err_b;
  RunRecording first(a, out_, err_);
  RunRecording second(b, out_b, err_b);
  Start(first);
  ASSERT_TRUE(second.Open().ok());
  ASSERT_TRUE(second.Begin({.plan_path = "/plans/cart.jmx", .started_at_ms = start_ms_}).ok());
  EXPECT_TRUE(first.Add(Batch(start_ms_), 0).ok());
  EXPECT_TRUE(second.Add({At(start_ms_, true)}, 0).ok());
  RunEnd end_a, end_b;
  end_a.totals = "4 samples";
  end_b.totals = "1 samples";
  EXPECT_EQ(first.End(std::move(end_a)), kExitOk);
  EXPECT_EQ(second.End(std::move(end_b)), kExitOk);
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT count(*) FROM sample"), "4");
  EXPECT_EQ(RawScalar(dir_.File("other.db"), "SELECT count(*) FROM sample"), "1");
  EXPECT_TRUE(EndsWith(out_b.str(), "barrage: run 1 passed: 1 samples, store " + dir_.File("other.db") + "\n"));
}

// --- the plan file is read once per run ---------------------------------------------------

// A plan that exists only in the counting reader: any other open of the file fails the run.
class RunPlanReadsOnceTest : public ::testing::Test {
 protected:
  RunOptions Options() {
    RunOptions o;
    o.plan_path = dir_.File("in-memory-only/shop.jmx");
    o.db_path = dir_.File("runs.db");
    o.quiet = true;
    o.event_loops = 1;
    return o;
  }
  PlanFileReader Reader() {
    return [this](const std::string& path) -> Result<std::string> {
      ++reads_;
      EXPECT_EQ(path, dir_.File("in-memory-only/shop.jmx"));
      return jmx_;
    };
  }
  // The stored definition is the bytes the reader served, with the compiled plan's metadata.
  void ExpectDefinitionStored() {
    EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT jmx FROM test_definition"), jmx_);
    EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT name || '|' || kind FROM definition_sampler"), "dbg|debug");
    EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT name || '|' || threads FROM definition_thread_group"), "Users|1");
  }

  TempDir dir_;
  int reads_ = 0;
  const std::string jmx_ =
      "<jmeterTestPlan version=\"1.2\"><hashTree>\n"
      "<TestPlan testclass=\"TestPlan\" testname=\"Shop\"/><hashTree>\n"
      "<ThreadGroup testclass=\"ThreadGroup\" testname=\"Users\">"
      "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp>"
      "<stringProp name=\"ThreadGroup.ramp_time\">0</stringProp>"
      "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">"
      "<stringProp name=\"LoopController.loops\">2</stringProp></elementProp>"
      "</ThreadGroup><hashTree>\n"
      "<DebugSampler testclass=\"DebugSampler\" testname=\"dbg\"/><hashTree/>\n"
      "</hashTree></hashTree></hashTree></jmeterTestPlan>\n";
};

TEST_F(RunPlanReadsOnceTest, ALocalRun) {
  EXPECT_EQ(RunPlan(Options(), Reader()), kExitOk);
  EXPECT_EQ(reads_, 1);
  ExpectDefinitionStored();
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT status || '|' || (SELECT count(*) FROM sample) FROM execution"),
            "passed|2");
}

// Up to the execution's begin and the coordinator's start (no worker comes: the run ends
// after --worker-timeout with exit 1); the coordinator holds the loaded bytes.
TEST_F(RunPlanReadsOnceTest, AClusterRun) {
  RunOptions o = Options();
  o.cluster.workers = 1;
  o.cluster.bind = "tcp://127.0.0.1:*";
  o.cluster.insecure = true;
  o.cluster.worker_timeout_s = 1;
  EXPECT_EQ(RunPlan(o, Reader()), kExitRuntimeFailure);
  EXPECT_EQ(reads_, 1);
  ExpectDefinitionStored();
  EXPECT_EQ(RawScalar(dir_.File("runs.db"), "SELECT status || '|' || json_extract(infra, '$.mode') FROM execution"),
            "errored|cluster");
}

TEST(ListenerWantsSampleTest, ErrorOnlySuccessOnlyAndBothAsJMeter) {
  EXPECT_TRUE(ListenerWantsSample(true, false, false));
  EXPECT_TRUE(ListenerWantsSample(false, false, false));
  EXPECT_FALSE(ListenerWantsSample(true, true, false));
  EXPECT_TRUE(ListenerWantsSample(false, true, false));
  EXPECT_TRUE(ListenerWantsSample(true, false, true));
  EXPECT_FALSE(ListenerWantsSample(false, false, true));
  EXPECT_TRUE(ListenerWantsSample(true, true, true));  // both flags: every sample
  EXPECT_TRUE(ListenerWantsSample(false, true, true));
}

TEST(ResolveListenerFilesTest, FilenameIsEvaluatedWithPropertiesAndMadeRelativeToThePlan) {
  Plan plan;
  ResultFileListener r;
  r.name = "writer";
  r.filename = Value::Of("out/${__P(name,x)}.jtl");
  r.columns = {JtlColumn::kTimeStamp, JtlColumn::kLabel};
  r.field_names = false;
  r.error_only = true;
  plan.result_files.push_back(r);
  r.filename = Value::Of("/abs/${__P(missing,default)}.csv");
  plan.result_files.push_back(r);
  RunContext run;
  run.properties.Set("name", "run7");
  std::vector<ListenerFile> files = ResolveListenerFiles(plan, run, "/plans/shop");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "/plans/shop/out/run7.jtl");
  EXPECT_EQ(files[0].listener, "ResultCollector 'writer'");
  EXPECT_EQ(files[0].columns, (std::vector<JtlColumn>{JtlColumn::kTimeStamp, JtlColumn::kLabel}));
  EXPECT_FALSE(files[0].header);
  EXPECT_TRUE(files[0].error_only);
  EXPECT_EQ(files[1].path, "/abs/default.csv");
}

TEST_F(RunRecordingTest, ListenerFilesGetTheirFilteredSamplesAndAreAppendedTo) {
  const std::string errors = dir_.File("errors.jtl");
  const std::string mine = dir_.File("mine.jtl");
  {
    std::ofstream existing(mine);
    existing << "label,success\nold,true\n";
  }
  RunRecordingOptions o = Options({});
  ListenerFile error_file;
  error_file.path = errors;
  error_file.listener = "ResultCollector 'errors'";
  error_file.error_only = true;
  error_file.columns = {JtlColumn::kLabel, JtlColumn::kResponseCode};
  o.listener_files.push_back(error_file);
  ListenerFile other_group;
  other_group.path = mine;
  other_group.listener = "ResultCollector 'mine'";
  other_group.thread_prefix = "Other 1-";
  other_group.columns = {JtlColumn::kLabel, JtlColumn::kSuccess};
  o.listener_files.push_back(other_group);
  RunRecording recording(o, out_, err_);
  Start(recording);
  std::vector<Sample> batch = Batch(start_ms_);
  batch[3].thread_name = "Other 1-1";
  batch[3].label = "other";
  EXPECT_TRUE(recording.Add(std::move(batch), 0).ok());
  recording.End(RunEnd{});
  EXPECT_EQ(ReadWholeFile(errors), "label,responseCode\nlogin,500\n");
  EXPECT_EQ(ReadWholeFile(mine), "label,success\nold,true\nother,true\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(RunRecordingTest, AListenerFileInNewFoldersIsCreatedAsJMeterDoes) {
  RunRecordingOptions o = Options({});
  ListenerFile nested;
  nested.path = dir_.File("a/b/x.jtl");
  nested.listener = "ResultCollector 'w'";
  nested.columns = {JtlColumn::kLabel};
  o.listener_files.push_back(nested);
  RunRecording recording(o, out_, err_);
  Start(recording);
  EXPECT_TRUE(recording.Add(Batch(start_ms_), 0).ok());
  recording.End(RunEnd{});
  EXPECT_EQ(ReadWholeFile(dir_.File("a/b/x.jtl")), "label\nlogin\nlogin\nlogin\nlogin\n");
}

TEST_F(RunRecordingTest, AListenerFileThatCannotBeOpenedNamesTheListener) {
  { std::ofstream(dir_.File("plain")) << "x"; }
  RunRecordingOptions o = Options({});
  ListenerFile unwritable;
  unwritable.path = dir_.File("plain/x.jtl");
  unwritable.listener = "ResultCollector 'w'";
  unwritable.columns = DefaultJtlColumns();
  o.listener_files.push_back(unwritable);
  RunRecording recording(o, out_, err_);
  barrage::Status s = recording.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("ResultCollector 'w': cannot open " + dir_.File("plain/x.jtl"), 0), 0u) << s.message();
}

}  // namespace
}  // namespace barrage
