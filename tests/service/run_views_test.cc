#include "service/run_views.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/compare.h"
#include "controller/jtl_export.h"
#include "controller/report_command.h"
#include "tests/common/fake_clock.h"
#include "tests/controller/temp_dir.h"

namespace barrage {
namespace {

using json = nlohmann::json;

// 2026-11-26T18:00:00Z, the first sample's start.
constexpr int64_t kT = 1795716000000;

Sample MakeSample(const std::string& label, int64_t at_ms, int64_t elapsed_ms, bool success = true) {
  Sample s;
  s.timestamp_ms = at_ms;
  s.elapsed_us = elapsed_ms * 1000;
  s.latency_us = elapsed_ms * 500;
  s.bytes = 1000;
  s.sent_bytes = 100;
  s.grp_threads = 2;
  s.all_threads = 2;
  s.success = success;
  s.label = label;
  s.response_code = success ? "200" : "500";
  s.response_message = success ? "OK" : "Internal Server Error";
  s.thread_name = "Users 1-1";
  s.data_type = "text";
  s.url = "http://shop.local/" + label;
  return s;
}

// search: 4 samples of 100 ms over [kT, kT + 1000); 4 per second.
std::vector<Sample> SearchSamples() {
  return {MakeSample("search", kT, 100), MakeSample("search", kT + 300, 100), MakeSample("search", kT + 600, 100),
          MakeSample("search", kT + 900, 100)};
}

// login: 100, 300 (failed), 300, 300 ms over [kT, kT + 2000); 2 per second.
std::vector<Sample> LoginSamples() {
  return {MakeSample("login", kT, 100), MakeSample("login", kT + 500, 300, /*success=*/false),
          MakeSample("login", kT + 1000, 300), MakeSample("login", kT + 1700, 300)};
}

class RunViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("results.db");
    Result<ResultsStore> store = ResultsStore::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_.emplace(std::move(store).value());
    Result<TokenStore> tokens = TokenStore::Open(db_, /*must_exist=*/true, clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status().message();
    tokens_.emplace(std::move(tokens).value());
    limiter_.emplace(AuthLimiter::Options{}, clock_);
    context_.auth.tokens = &*tokens_;
    context_.auth.limiter = &*limiter_;
    context_.auth.clock = &clock_;
    context_.db_path = db_;
    context_.public_url = "https://bastion:8470";
    context_.clock = &clock_;
    context_.event_interval = std::chrono::milliseconds(1);
    AddRunViewRoutes(&router_, &context_);
    viewer_ = Token("shop", "dash", TokenRole::kViewer);
    tester_ = Token("shop", "ci", TokenRole::kTester);
    other_admin_ = Token("other", "root", TokenRole::kAdmin);
  }

  std::string Token(const std::string& project, const std::string& name, TokenRole role) {
    Result<NewToken> t = tokens_->Create(project, name, role, "alice");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? t->token : "";
  }

  ExecutionInfo Info(const std::string& project) const {
    ExecutionInfo info;
    info.plan_path = "/plans/checkout.jmx";
    info.plan_name = "Checkout";
    info.plan_jmx = "<jmeterTestPlan/>";
    info.started_at_ms = kT - 1000;
    info.project = project;
    info.properties_json = R"({"users":"10"})";
    info.triggered_by = "ci";
    return info;
  }

  // A run of `project` with both labels' samples, finished as `status` at kT + 2500.
  int64_t RecordRun(const std::string& project, ExecutionStatus status = ExecutionStatus::kPassed) {
    Result<int64_t> id = store_->BeginExecution(Info(project));
    EXPECT_TRUE(id.ok()) << id.status().message();
    EXPECT_TRUE(store_->Append(SearchSamples()).ok());
    EXPECT_TRUE(store_->Append(LoginSamples()).ok());
    EXPECT_TRUE(store_->Finish(status, kT + 2500).ok());
    return id.ok() ? *id : 0;
  }

  ApiResponse Get(const std::string& path, const std::string& token,
                  std::multimap<std::string, std::string> query = {}) {
    ApiRequest r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    r.remote_addr = "10.0.0.9";
    if (!token.empty()) r.headers.emplace("authorization", "Bearer " + token);
    return router_.Handle(r);
  }

  // The whole body of a streamed response.
  static std::string Drain(const ApiResponse& r) {
    std::string body;
    r.stream([&](std::string_view piece) {
      body.append(piece);
      return true;
    });
    return body;
  }

  json RunOne() const {
    return json::parse(R"({"id": 1, "project": "shop", "plan": "checkout.jmx", "version": 1, "status": "passed",
      "queue_position": null, "samples": 8, "errors": 1, "started_at_ms": 1795715999000,
      "ended_at_ms": 1795716002500, "verdict": null, "triggered_by": "ci", "mode": "local", "workers": 0,
      "properties": {"users": "10"}, "dropped_iterations": 0,
      "report_url": "https://bastion:8470/api/v1/runs/1/report?format=html"})");
  }

  TempDir dir_;
  std::string db_;
  FakeClock clock_;
  std::optional<ResultsStore> store_;
  std::optional<TokenStore> tokens_;
  std::optional<AuthLimiter> limiter_;
  RunViewContext context_;
  ApiRouter router_;
  std::string viewer_, tester_, other_admin_;
};

// --- GET /runs/{id} ---------------------------------------------------------------------

TEST_F(RunViewsTest, ARunIsItsFactsForAViewerOfItsProject) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse r = Get("/api/v1/runs/1", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body), RunOne());
}

TEST_F(RunViewsTest, AClusterRunSaysItsModeWorkersAndVerdict) {
  ExecutionInfo info = Info("shop");
  info.infra_json = R"({"mode":"cluster","workers":3,"expected":3})";
  info.plan_jmx.clear();  // no definition: the plan's name, no version
  ASSERT_TRUE(store_->BeginExecution(info).ok());
  ASSERT_TRUE(store_->Append(LoginSamples(), 2).ok());
  ASSERT_TRUE(store_->Finish(ExecutionStatus::kFailed, kT + 2500).ok());
  ASSERT_TRUE(store_->RecordThresholdResults(1, {{"login: p(95)<200", "login", "p(95)", "<", 200, 300, false}}).ok());
  ASSERT_TRUE(store_->SetExecutionDroppedIterations(1, 7).ok());
  ApiResponse r = Get("/api/v1/runs/1", tester_);
  ASSERT_EQ(r.status, 200) << r.body;
  json expected = RunOne();
  expected["plan"] = "Checkout";
  expected["version"] = nullptr;
  expected["status"] = "failed";
  expected["samples"] = 4;
  expected["verdict"] = "failed";
  expected["mode"] = "cluster";
  expected["workers"] = 3;
  expected["dropped_iterations"] = 7;
  EXPECT_EQ(json::parse(r.body), expected);
}

TEST_F(RunViewsTest, LoadRunJsonIsWhatTheRouteAnswers) {
  ASSERT_EQ(RecordRun("shop"), 1);
  Result<json> run = LoadRunJson(*store_, 1, nullptr, "https://bastion:8470");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(*run, RunOne());
  Result<json> missing = LoadRunJson(*store_, 9, nullptr, "https://bastion:8470");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "run 9 not found");
}

TEST_F(RunViewsTest, ARunningRunHasNoEndYet) {
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  ASSERT_TRUE(store_->Append(LoginSamples()).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ApiResponse r = Get("/api/v1/runs/1", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["status"], "running");
  EXPECT_EQ(body["ended_at_ms"], nullptr);
  EXPECT_EQ(body["samples"], 4);
  EXPECT_EQ(body["errors"], 1);
}

TEST_F(RunViewsTest, NoTokenIs401AnotherProjectsTokenIs403) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse none = Get("/api/v1/runs/1", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.count("WWW-Authenticate"), 1u);
  ApiResponse other = Get("/api/v1/runs/1", other_admin_);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(json::parse(other.body),
            json::parse(R"({"error": "token 'root' belongs to project 'other', not 'shop'"})"));
}

TEST_F(RunViewsTest, AnUnknownRunIs404ToAValidTokenAnd401WithoutOne) {
  ApiResponse r = Get("/api/v1/runs/12", viewer_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "{\"error\":\"run 12 not found\"}\n");
  EXPECT_EQ(Get("/api/v1/runs/12", "").status, 401);
  ApiResponse bad = Get("/api/v1/runs/abc", viewer_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "{\"error\":\"id 'abc': expected a run id (a positive integer)\"}\n");
}

TEST_F(RunViewsTest, PollsWithinTheCacheTtlShareOneRead) {
  context_.run_cache_ttl = std::chrono::milliseconds(1000);
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  ASSERT_TRUE(store_->Append(LoginSamples()).ok());
  ASSERT_TRUE(store_->Flush().ok());
  auto samples = [&] { return json::parse(Get("/api/v1/runs/1", viewer_).body)["samples"]; };
  EXPECT_EQ(samples(), 4);
  ASSERT_TRUE(store_->Append(SearchSamples()).ok());
  ASSERT_TRUE(store_->Flush().ok());
  clock_.Advance(std::chrono::milliseconds(999));
  EXPECT_EQ(samples(), 4);                                     // read 999 ms ago
  EXPECT_EQ(Get("/api/v1/runs/1", other_admin_).status, 403);  // still authorized per request
  EXPECT_EQ(Get("/api/v1/runs/1", "").status, 401);
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(samples(), 8);
}

// --- GET /runs/{id}/verdict -------------------------------------------------------------------

TEST_F(RunViewsTest, TheVerdictIsTheStoredThresholdsAndTheStatus) {
  ASSERT_EQ(RecordRun("shop", ExecutionStatus::kFailed), 1);
  ASSERT_TRUE(store_
                  ->RecordThresholdResults(1, {{"login: p(95)<500", "login", "p(95)", "<", 500, 300, true},
                                               {"error_rate<0.1", "", "error_rate", "<", 0.1, 0.125, false}})
                  .ok());
  ApiResponse r = Get("/api/v1/runs/1/verdict", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"j({"passed": false, "status": "failed", "thresholds": [
      {"expression": "login: p(95)<500", "observed": 300, "passed": true, "label": "login", "metric": "p(95)",
       "op": "<", "target": 500},
      {"expression": "error_rate<0.1", "observed": 0.125, "passed": false, "label": null, "metric": "error_rate",
       "op": "<", "target": 0.1}]})j"));
}

TEST_F(RunViewsTest, APassedRunWithoutThresholdsPasses) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse r = Get("/api/v1/runs/1/verdict", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"passed": true, "status": "passed", "thresholds": []})"));
}

TEST_F(RunViewsTest, ARunningRunHasNoVerdictYet) {
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  ApiResponse r = Get("/api/v1/runs/1/verdict", viewer_);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "{\"error\":\"run 1 is running: no verdict yet\"}\n");
}

// --- GET /runs/{id}/report --------------------------------------------------------------------

TEST_F(RunViewsTest, EachReportFormatIsTheBytesBarrageReportWrites) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ASSERT_TRUE(store_->RecordThresholdResults(1, {{"login: p(95)<500", "login", "p(95)", "<", 500, 300, true}}).ok());
  const std::pair<std::string, std::string> formats[] = {{"json", "application/json"},
                                                         {"csv", "text/csv; charset=utf-8"},
                                                         {"html", "text/html; charset=utf-8"},
                                                         {"junit", "application/xml"}};
  for (const auto& [format, content_type] : formats) {
    ReportOptions o;
    o.run = "1";
    o.db_path = db_;
    o.project = "shop";
    o.format = format;
    o.output_path = dir_.File("report." + format);
    ASSERT_EQ(RunReport(o), 0) << format;
    ApiResponse r = Get("/api/v1/runs/1/report", viewer_, {{"format", format}});
    ASSERT_EQ(r.status, 200) << format << ": " << r.body;
    EXPECT_EQ(r.content_type, content_type);
    EXPECT_EQ(r.body, ReadWholeFile(o.output_path)) << format;
  }
  ApiResponse plain = Get("/api/v1/runs/1/report", viewer_);
  EXPECT_EQ(plain.body, ReadWholeFile(dir_.File("report.json")));  // json by default
}

TEST_F(RunViewsTest, AnUnknownReportFormatIs400NamingFormat) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse r = Get("/api/v1/runs/1/report", viewer_, {{"format", "pdf"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "{\"error\":\"format 'pdf': expected json, csv, html or junit\"}\n");
  EXPECT_EQ(Get("/api/v1/runs/1/report", other_admin_).status, 403);
}

// --- GET /runs/{id}/jtl -----------------------------------------------------------------------

TEST_F(RunViewsTest, TheJtlIsWhatExportWritesAsAnAttachment) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ASSERT_TRUE(ExportJtl(*store_, 1, dir_.File("run.jtl")).ok());
  ApiResponse r = Get("/api/v1/runs/1/jtl", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.content_type, "text/csv");
  ASSERT_EQ(r.headers.count("Content-Disposition"), 1u);
  EXPECT_EQ(r.headers.find("Content-Disposition")->second, "attachment; filename=\"run-1.jtl\"");
  const std::string jtl = Drain(r);
  EXPECT_EQ(jtl, ReadWholeFile(dir_.File("run.jtl")));
  EXPECT_EQ(std::count(jtl.begin(), jtl.end(), '\n'), 9);  // header + 8 samples
  EXPECT_EQ(Get("/api/v1/runs/1/jtl", "").status, 401);
}

// --- GET /runs/{id}/events --------------------------------------------------------------------

// The events a stream wrote, collected on the stream's thread.
class EventLog {
 public:
  bool Write(std::string_view piece) {
    std::lock_guard lock(mu_);
    text_.append(piece);
    cv_.notify_all();
    return !gone_;
  }
  // Waits until the text has an event "event: NAME\ndata: DATA\n\n" with DATA matching `want`;
  // returns its data.
  std::optional<json> WaitFor(const std::string& name, const std::function<bool(const json&)>& want) {
    std::unique_lock lock(mu_);
    std::optional<json> found;
    cv_.wait_for(lock, std::chrono::seconds(30), [&] {
      found = Find(name, want);
      return found.has_value();
    });
    return found;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    gone_ = true;
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  std::optional<json> Find(const std::string& name, const std::function<bool(const json&)>& want) const {
    const std::string head = "event: " + name + "\ndata: ";
    for (size_t at = text_.find(head); at != std::string::npos; at = text_.find(head, at + 1)) {
      const size_t end = text_.find("\n\n", at);
      if (end == std::string::npos) break;
      json data = json::parse(text_.substr(at + head.size(), end - at - head.size()));
      if (want(data)) return data;
    }
    return std::nullopt;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool gone_ = false;
};

TEST_F(RunViewsTest, EventsSummarizeARunningRunThenEndWithTheRun) {
  ExecutionInfo info = Info("shop");
  info.started_at_ms = clock_.WallMillis() - 3000;
  ASSERT_TRUE(store_->BeginExecution(info).ok());
  ApiResponse r = Get("/api/v1/runs/1/events", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream");
  ASSERT_TRUE(r.stream);
  EventLog log;
  std::thread stream([&] { r.stream([&](std::string_view piece) { return log.Write(piece); }); });

  ASSERT_TRUE(log.WaitFor("summary", [](const json& d) { return d["total"]["samples"] == 0; }));
  ASSERT_TRUE(store_->Append(SearchSamples()).ok());
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_TRUE(log.WaitFor("summary", [](const json& d) { return d["total"]["samples"] == 4; }));
  ASSERT_TRUE(store_->Append(LoginSamples()).ok());
  ASSERT_TRUE(store_->Flush().ok());
  std::optional<json> summary = log.WaitFor("summary", [](const json& d) { return d["total"]["samples"] == 8; });
  ASSERT_TRUE(summary);
  EXPECT_EQ(*summary, json::parse(R"({"id": 1, "status": "running", "elapsed_s": 3.0,
      "total": {"label": "TOTAL", "samples": 8, "errors": 1, "average": 175, "p90": 300, "p95": 300, "p99": 300,
                "min": 100, "max": 300, "throughput": 4.0},
      "labels": [
        {"label": "search", "samples": 4, "errors": 0, "average": 100, "p90": 100, "p95": 100, "p99": 100,
         "min": 100, "max": 100, "throughput": 4.0},
        {"label": "login", "samples": 4, "errors": 1, "average": 250, "p90": 300, "p95": 300, "p99": 300,
         "min": 100, "max": 300, "throughput": 2.0}]})"));

  ASSERT_TRUE(store_->Finish(ExecutionStatus::kPassed, kT + 2500).ok());
  std::optional<json> end = log.WaitFor("end", [](const json&) { return true; });
  stream.join();  // the stream ends by itself after the end event
  ASSERT_TRUE(end);
  json expected = RunOne();
  expected["started_at_ms"] = info.started_at_ms;
  EXPECT_EQ(*end, expected);
  const std::string text = log.text();
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
  EXPECT_EQ(text.rfind("event: end"), text.rfind("event: "));  // the last event
}

TEST_F(RunViewsTest, AnEventStreamStopsWhenTheClientIsGone) {
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  ApiResponse r = Get("/api/v1/runs/1/events", viewer_);
  ASSERT_TRUE(r.stream);
  EventLog log;
  log.Leave();
  r.stream([&](std::string_view piece) { return log.Write(piece); });  // returns: no second write
  EXPECT_EQ(log.text().find("event: summary"), 0u);
  EXPECT_EQ(log.text().find("event: ", 1), std::string::npos);
}

TEST_F(RunViewsTest, AFinishedRunsEventsAreOneEndEvent) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse r = Get("/api/v1/runs/1/events", viewer_);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(Drain(r), "event: end\ndata: " + RunOne().dump() + "\n\n");
  EXPECT_EQ(Get("/api/v1/runs/1/events", other_admin_).status, 403);
}

// Every `output` event's lines, in order.
std::vector<std::string> OutputLines(const std::string& text) {
  std::vector<std::string> lines;
  const std::string head = "event: output\ndata: ";
  for (size_t at = text.find(head); at != std::string::npos; at = text.find(head, at + 1)) {
    const size_t end = text.find("\n\n", at);
    json data = json::parse(text.substr(at + head.size(), end - at - head.size()));
    EXPECT_EQ(data["id"], 1);
    for (const json& line : data["lines"]) lines.push_back(line.get<std::string>());
  }
  return lines;
}

TEST_F(RunViewsTest, OutputEventsCarryEachWholeLineOnceAndTheLastLinesBeforeEnd) {
  const std::string log_path = dir_.File("output.log");
  std::atomic<bool> active{true};
  context_.output_log_path = [&](int64_t id) { return id == 1 ? log_path : ""; };
  context_.run_active = [&](int64_t id) { return id == 1 && active.load(); };
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  auto append = [&](const std::string& text) {
    std::ofstream out(log_path, std::ios::app | std::ios::binary);
    out << text;
  };
  ApiResponse r = Get("/api/v1/runs/1/events", viewer_);
  ASSERT_TRUE(r.stream);
  EventLog log;
  std::thread stream([&] { r.stream([&](std::string_view piece) { return log.Write(piece); }); });
  // No file yet: summaries only.
  ASSERT_TRUE(log.WaitFor("summary", [](const json&) { return true; }));
  append("summary +      4 in 00:00:01 =    4.0/s\nsummary =      4 in 00:00:01 =    4.0/s\nsumm");
  ASSERT_TRUE(log.WaitFor("output", [](const json& d) { return d["lines"].size() == 2; }));
  append("ary +      4 in 00:00:01 =    4.0/s\n");
  ASSERT_TRUE(log.WaitFor("output", [](const json& d) { return d["lines"].size() == 1; }));
  // Ended in the store, the runner still writing: no end yet.
  ASSERT_TRUE(store_->Finish(ExecutionStatus::kPassed, kT + 2500).ok());
  append("threshold 'p(95)<500' passed: p(95) of all samples is 100 ms\n");
  ASSERT_TRUE(
      log.WaitFor("output", [](const json& d) { return d["lines"][0].get<std::string>().rfind("threshold", 0) == 0; }));
  EXPECT_EQ(log.text().find("event: end"), std::string::npos);
  append("barrage: run 1 passed\n");
  active = false;
  stream.join();
  const std::string text = log.text();
  EXPECT_EQ(OutputLines(text),
            (std::vector<std::string>{
                "summary +      4 in 00:00:01 =    4.0/s", "summary =      4 in 00:00:01 =    4.0/s",
                "summary +      4 in 00:00:01 =    4.0/s",
                "threshold 'p(95)<500' passed: p(95) of all samples is 100 ms", "barrage: run 1 passed"}));
  EXPECT_LT(text.rfind("event: output"), text.rfind("event: end"));
  EXPECT_EQ(text.rfind("event: end"), text.rfind("event: "));
}

TEST_F(RunViewsTest, AStreamOfAFinishedRunSendsItsWholeOutputThenEnd) {
  const std::string log_path = dir_.File("output.log");
  context_.output_log_path = [&](int64_t) { return log_path; };
  {
    std::ofstream out(log_path, std::ios::binary);
    out << "summary =      8 in 00:00:02 =    4.0/s\nno newline yet";
  }
  ASSERT_EQ(RecordRun("shop"), 1);
  ApiResponse r = Get("/api/v1/runs/1/events", viewer_);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(Drain(r),
            "event: output\ndata: {\"id\":1,\"lines\":[\"summary =      8 in 00:00:02 =    4.0/s\"]}\n\n"
            "event: end\ndata: " +
                RunOne().dump() + "\n\n");
}

// --- GET /projects/{project}/runs -------------------------------------------------------------

TEST_F(RunViewsTest, AProjectsRunsAreNewestFirstFilteredAndLimited) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ASSERT_EQ(RecordRun("other"), 2);
  ASSERT_EQ(RecordRun("shop", ExecutionStatus::kFailed), 3);
  auto ids = [](const ApiResponse& r) {
    std::vector<int64_t> out;
    for (const json& run : json::parse(r.body)) out.push_back(run["id"]);
    return out;
  };
  ApiResponse all = Get("/api/v1/projects/shop/runs", viewer_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(ids(all), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(json::parse(all.body)[1], RunOne());
  EXPECT_EQ(ids(Get("/api/v1/projects/shop/runs", viewer_, {{"limit", "1"}})), (std::vector<int64_t>{3}));
  EXPECT_EQ(ids(Get("/api/v1/projects/shop/runs", viewer_, {{"status", "passed"}})), (std::vector<int64_t>{1}));
  EXPECT_EQ(ids(Get("/api/v1/projects/other/runs", other_admin_)), (std::vector<int64_t>{2}));
  EXPECT_EQ(Get("/api/v1/projects/other/runs", viewer_).status, 403);
  EXPECT_EQ(Get("/api/v1/projects/shop/runs", "").status, 401);
}

TEST_F(RunViewsTest, ABadLimitOrStatusIs400NamingIt) {
  for (const char* limit : {"0", "1001", "ten", "-1"}) {
    ApiResponse r = Get("/api/v1/projects/shop/runs", viewer_, {{"limit", limit}});
    EXPECT_EQ(r.status, 400) << limit;
    EXPECT_EQ(json::parse(r.body)["error"], "limit '" + std::string(limit) + "': expected an integer from 1 to 1000");
  }
  ApiResponse r = Get("/api/v1/projects/shop/runs", viewer_, {{"status", "done"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"].get<std::string>().rfind("status 'done': expected one of ", 0), 0u);
}

// --- GET /compare -----------------------------------------------------------------------------

TEST_F(RunViewsTest, CompareIsWhatBarrageCompareFormatJsonPrints) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ASSERT_TRUE(store_->BeginExecution(Info("shop")).ok());
  ASSERT_TRUE(store_->Append(SearchSamples()).ok());
  std::vector<Sample> slower = LoginSamples();
  for (Sample& s : slower) s.elapsed_us *= 2;
  ASSERT_TRUE(store_->Append(std::move(slower)).ok());
  ASSERT_TRUE(store_->Finish(ExecutionStatus::kPassed, kT + 3000).ok());
  CompareOptions o;
  o.baseline = "1";
  o.run = "2";
  o.tolerance = "5%";
  o.db_path = db_;
  o.project = "shop";
  o.format = "json";
  testing::internal::CaptureStdout();
  EXPECT_EQ(RunCompare(o), 99);  // login got slower
  const std::string printed = testing::internal::GetCapturedStdout();
  ApiResponse r = Get("/api/v1/compare", viewer_, {{"base", "1"}, {"run", "2"}, {"tolerance", "5%"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, printed);
}

TEST_F(RunViewsTest, CompareNeedsBothRunsInTheTokensProject) {
  ASSERT_EQ(RecordRun("shop"), 1);
  ASSERT_EQ(RecordRun("other"), 2);
  EXPECT_EQ(Get("/api/v1/compare", viewer_, {{"base", "1"}, {"run", "1"}}).status, 200);
  ApiResponse mixed = Get("/api/v1/compare", viewer_, {{"base", "1"}, {"run", "2"}});
  EXPECT_EQ(mixed.status, 403);
  EXPECT_EQ(json::parse(mixed.body)["error"], "token 'dash' belongs to project 'shop', not 'other'");
  ApiResponse missing = Get("/api/v1/compare", viewer_, {{"run", "1"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(json::parse(missing.body)["error"], "base: required (a run id)");
  EXPECT_EQ(Get("/api/v1/compare", viewer_, {{"base", "1"}, {"run", "9"}}).status, 404);
  ApiResponse tolerance = Get("/api/v1/compare", viewer_, {{"base", "1"}, {"run", "1"}, {"tolerance", "-5%"}});
  EXPECT_EQ(tolerance.status, 400);
  EXPECT_EQ(json::parse(tolerance.body)["error"].get<std::string>().rfind("tolerance: ", 0), 0u);
  EXPECT_EQ(Get("/api/v1/compare", "", {{"base", "1"}, {"run", "1"}}).status, 401);
}

}  // namespace
}  // namespace barrage
