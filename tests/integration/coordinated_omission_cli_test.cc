// Coordinated omission end to end (issue 12 item 2): `barrage run` of a paced plan (one user,
// a Constant Throughput Timer at 40 samples/s) against a target that stalls once for 1 s
// (the fixture's /stall), then `barrage report`, its thresholds, the JTL with the
// intendedStart column and its import. JMeter's elapsed figures hide the stall behind one
// sample; the latency from the intended start shows the sample that queued behind it.
//
// Why exactly one queued sample: JMeter's Constant Throughput Timer restarts its schedule
// from "now" once it is behind (ConstantThroughputTimer.calculateDelay), so only the first
// sample after the stall starts late (by ~975 ms = the stall - one 25 ms interval); the ones
// after it are on their new schedule.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/results_store.h"
#include "tests/fixture/fixture_server.h"
#include "tests/integration/process_util.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;
using test::ProcessResult;
using test::RunProcess;

// The paced run takes ~3.5 s; the limit only bounds a hang.
constexpr std::chrono::seconds kTimeout{60};
constexpr int kSamples = 100;
constexpr int kStallAfter = 40;  // the 41st request stalls
constexpr int kStallMs = 1000;
constexpr int kIntervalMs = 25;  // 2400 samples a minute
// The sample after the stall starts at least stall - interval late (less the ms truncation
// of the clocks): ~975 ms.
constexpr int kMinQueuedLagMs = kStallMs - kIntervalMs - 5;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Str(const std::string& name, const std::string& value) {
  return "<stringProp name=\"" + name + "\">" + value + "</stringProp>\n";
}
std::string El(const std::string& cls, const std::string& name, const std::string& props,
               const std::string& children = "") {
  return "<" + cls + " testclass=\"" + cls + "\" testname=\"" + name + "\" enabled=\"true\">\n" + props + "</" + cls +
         ">\n<hashTree>\n" + children + "</hashTree>\n";
}
// One thread, `loops` loops of GET `path` labelled "paced" on 127.0.0.1:port; with
// `per_minute` > 0 a Constant Throughput Timer (this thread only) paces it.
std::string Plan(int port, int loops, const std::string& path, int per_minute) {
  std::string timer;
  if (per_minute > 0) {
    timer = El("ConstantThroughputTimer", "pace",
               "<intProp name=\"calcMode\">0</intProp>\n<doubleProp><name>throughput</name><value>" +
                   std::to_string(per_minute) + ".0</value><savedValue>0.0</savedValue></doubleProp>\n");
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<jmeterTestPlan version=\"1.2\" properties=\"5.0\">\n<hashTree>\n"
         "<TestPlan testclass=\"TestPlan\" testname=\"T\" enabled=\"true\"/>\n<hashTree>\n" +
         El("ConfigTestElement", "defaults",
            Str("HTTPSampler.domain", "127.0.0.1") + Str("HTTPSampler.port", std::to_string(port))) +
         El("ThreadGroup", "Users",
            Str("ThreadGroup.num_threads", "1") + Str("ThreadGroup.ramp_time", "0") +
                "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\">\n" +
                Str("LoopController.loops", std::to_string(loops)) + "</elementProp>\n",
            El("HTTPSamplerProxy", "paced", Str("HTTPSampler.path", path)) + timer) +
         "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n";
}

class CoordinatedOmissionCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "barrage-co-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    db_ = (dir_ / "results.db").string();
    Result<std::unique_ptr<fixture::FixtureServer>> server = fixture::FixtureServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  ProcessResult Barrage(std::vector<std::string> args) {
    args.insert(args.begin(), BARRAGE_BINARY);
    return RunProcess(args, kTimeout);
  }
  std::string WritePlan(const std::string& name, int loops, const std::string& path, int per_minute) {
    const fs::path plan = dir_ / name;
    std::ofstream(plan) << Plan(server_->port(), loops, path, per_minute);
    return plan.string();
  }
  std::vector<Sample> Samples(const std::string& db, int64_t run) {
    std::vector<Sample> out;
    Result<ResultsStore> store = ResultsStore::Open(db);
    EXPECT_TRUE(store.ok()) << store.status().message();
    if (!store.ok()) return out;
    EXPECT_TRUE(store->ForEachSample(run, [&](const Sample& s) { out.push_back(s); }).ok());
    return out;
  }
  nlohmann::json ReportJson(const std::string& db, const std::string& run) {
    ProcessResult r = Barrage({"report", run, "--db", db, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
  std::string db_;
  std::unique_ptr<fixture::FixtureServer> server_;
};

TEST_F(CoordinatedOmissionCliTest, PacedRunShowsTheStallOnlyInTheCorrectedFigures) {
  const std::string path = "/stall/co/" + std::to_string(kStallAfter) + "/" + std::to_string(kStallMs);
  const std::string plan = WritePlan("paced.jmx", kSamples, path, 60'000 / kIntervalMs);
  const std::string jtl = (dir_ / "paced.jtl").string();
  ProcessResult run = Barrage({"run", plan, "--db", db_, "--quiet", "-l", jtl, "-Jbarrage.jtl.intended_start=true"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The end-of-run output has the corrected table after the Aggregate Report.
  EXPECT_NE(run.out.find("Latency from the intended start (corrected for coordinated omission), ms\n"),
            std::string::npos)
      << run.out;

  // The samples as stored: one stalled, one queued behind it.
  std::vector<Sample> samples = Samples(db_, 1);
  ASSERT_EQ(samples.size(), static_cast<size_t>(kSamples));
  int stalled = -1, queued = -1, late_ms = 0;
  for (int i = 0; i < kSamples; ++i) {
    const Sample& s = samples[static_cast<size_t>(i)];
    if (s.elapsed_us >= kStallMs * 1000) {
      EXPECT_EQ(stalled, -1) << "a second sample took a second: " << i;
      stalled = i;
    }
    if (s.schedule_lag_us >= 900'000) {
      EXPECT_EQ(queued, -1) << "a second sample started 900 ms late: " << i;
      queued = i;
    }
    late_ms += s.schedule_lag_us >= 1000;
  }
  ASSERT_EQ(stalled, kStallAfter);
  ASSERT_EQ(queued, kStallAfter + 1);
  const Sample& behind = samples[static_cast<size_t>(queued)];
  // It was meant to start one interval after the stalled one's slot: its intended start, or
  // its actual start when its own timer call found the schedule behind (ms truncation: +-2).
  const Sample& stall = samples[static_cast<size_t>(stalled)];
  const int64_t intended_ms = behind.timestamp_ms - behind.schedule_lag_us / 1000;
  EXPECT_GE(intended_ms, stall.timestamp_ms - stall.schedule_lag_us / 1000 + kIntervalMs - 2);
  EXPECT_LE(intended_ms, stall.timestamp_ms + kIntervalMs + 2);
  EXPECT_GE(behind.schedule_lag_us, kMinQueuedLagMs * 1000);
  std::cout << "[ info ] samples with a lag of 1 ms or more: " << late_ms << " of " << kSamples << "\n";

  // The report: JMeter's p99 (the 99th of 100 values) misses the stall; the corrected p99 is the
  // queued sample, the corrected max the stalled one.
  nlohmann::json report = ReportJson(db_, "1");
  ASSERT_FALSE(report.is_discarded());
  const nlohmann::json& total = report["total"];
  EXPECT_LT(total["p99"].get<int64_t>(), kStallMs);
  EXPECT_GE(total["max"].get<int64_t>(), kStallMs);
  ASSERT_TRUE(total.contains("corrected")) << total.dump();
  const nlohmann::json& corrected = total["corrected"];
  EXPECT_GE(corrected["p99"].get<int64_t>(), kMinQueuedLagMs);
  EXPECT_GE(corrected["max"].get<int64_t>(), kStallMs);
  EXPECT_EQ(corrected["late_samples"].get<int>(), late_ms);
  EXPECT_EQ(report["labels"][0]["corrected"], corrected);  // one label: its row is the total

  // Thresholds on the corrected latency: exit 99 naming the one that failed.
  ProcessResult th = Barrage({"report", "1", "--db", db_, "--format", "json", "--threshold", "p(99)<1000",
                              "--threshold", "p(99,corrected)<500", "--threshold", "paced: max(corrected)>=1000"});
  EXPECT_EQ(th.exit_code, 99) << th.err;
  EXPECT_EQ(th.err, "barrage: threshold 'p(99,corrected)<500' failed: p(99,corrected) of all samples is " +
                        std::to_string(corrected["p99"].get<int64_t>()) + " ms\n");
  ProcessResult pass = Barrage({"report", "1", "--db", db_, "--threshold", "p(99,corrected)>=900"});
  EXPECT_EQ(pass.exit_code, 0) << pass.err;
  ProcessResult bad = Barrage({"report", "1", "--db", db_, "--threshold", "p(99,elapsed)<5"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "barrage: threshold 'p(99,elapsed)<5': expected 'corrected' in p(99, ...), found 'elapsed' (as in "
            "p(99,corrected)<500 or max(corrected)<2000)\n");

  // The JTL: JMeter's 17 columns, then intendedStart = timeStamp - lag.
  const std::string text = ReadFile(jtl);
  const std::string header =
      "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
      "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect,intendedStart\n";
  ASSERT_EQ(text.substr(0, header.size()), header);
  const std::string intended = std::to_string(behind.timestamp_ms - behind.schedule_lag_us / 1000);
  EXPECT_NE(text.find(std::to_string(behind.timestamp_ms) + ","), std::string::npos);
  EXPECT_NE(text.find("," + intended + "\n"), std::string::npos);

  // Imported back, the run has the same corrected figures.
  const std::string db2 = (dir_ / "imported.db").string();
  ProcessResult imported = Barrage({"import", jtl, "--db", db2});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  nlohmann::json again = ReportJson(db2, "1");
  EXPECT_EQ(again["total"]["corrected"], corrected);
  EXPECT_EQ(again["total"]["p99"], total["p99"]);

  // Exported with --intended-start: the same column; without it JMeter's 17.
  const std::string exported = (dir_ / "exported.jtl").string();
  ASSERT_EQ(Barrage({"export", "1", "--db", db_, "-o", exported, "--intended-start"}).exit_code, 0);
  EXPECT_EQ(ReadFile(exported).substr(0, header.size()), header);
  const std::string plain = (dir_ / "plain.jtl").string();
  ASSERT_EQ(Barrage({"export", "1", "--db", db_, "-o", plain}).exit_code, 0);
  const std::string jmeter_header =
      "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,"
      "sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n";
  EXPECT_EQ(ReadFile(plain).substr(0, jmeter_header.size()), jmeter_header);
  EXPECT_EQ(ReadFile(plain).find("intendedStart"), std::string::npos);
}

// Without a schedule nothing is late: the reports are JMeter's, the JTL has its 17 columns.
TEST_F(CoordinatedOmissionCliTest, UnpacedRunHasNoCorrectedFigures) {
  const std::string plan = WritePlan("plain.jmx", 5, "/hello.txt", 0);
  const std::string jtl = (dir_ / "plain.jtl").string();
  ProcessResult run = Barrage({"run", plan, "--db", db_, "--quiet", "-l", jtl});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("intended start"), std::string::npos) << run.out;
  for (const Sample& s : Samples(db_, 1)) EXPECT_EQ(s.schedule_lag_us, 0);
  nlohmann::json report = ReportJson(db_, "1");
  EXPECT_FALSE(report["total"].contains("corrected"));
  ProcessResult text = Barrage({"report", "1", "--db", db_});
  EXPECT_EQ(text.out.find("intended start"), std::string::npos);
  EXPECT_EQ(ReadFile(jtl).find("intendedStart"), std::string::npos);
  // Corrected thresholds judge the elapsed times then.
  ProcessResult th = Barrage({"report", "1", "--db", db_, "--threshold", "max(corrected)<1000000"});
  EXPECT_EQ(th.exit_code, 0) << th.err;
}

}  // namespace
}  // namespace barrage
