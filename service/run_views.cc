#include "service/run_views.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "controller/compare.h"
#include "controller/jtl_export.h"
#include "controller/report_command.h"
#include "service/service_info.h"
#include "service/token_api.h"

namespace barrage {
namespace {

constexpr int64_t kDefaultListLimit = 50;
constexpr int64_t kMaxListLimit = 1000;

// Idle read-only handles on the store, lent one per request.
class ReadHandles : public std::enable_shared_from_this<ReadHandles> {
 public:
  ReadHandles(std::string path, size_t keep) : path_(std::move(path)), keep_(keep) {}

  // A handle for this caller alone; it goes back to the pool when the last copy is dropped.
  Result<std::shared_ptr<const ResultsStore>> Borrow() {
    std::optional<ResultsStore> store;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        store.emplace(std::move(idle_.back()));
        idle_.pop_back();
      }
    }
    if (!store) {
      Result<ResultsStore> opened = OpenReadOnly(path_, "default");
      if (!opened.ok()) return opened.status();
      store.emplace(std::move(opened).value());
    }
    std::shared_ptr<ReadHandles> self = shared_from_this();
    return std::shared_ptr<const ResultsStore>(new ResultsStore(std::move(*store)),
                                               [self](ResultsStore* s) { self->GiveBack(s); });
  }

  static Result<ResultsStore> OpenReadOnly(const std::string& path, const std::string& project) {
    ResultsStore::Options options;
    options.read_only = true;
    options.project = project;
    return ResultsStore::Open(path, options);
  }

  const std::string& path() const { return path_; }

 private:
  void GiveBack(ResultsStore* store) {
    std::unique_ptr<ResultsStore> owned(store);
    std::lock_guard lock(mu_);
    if (idle_.size() < keep_) idle_.push_back(std::move(*owned));
  }

  const std::string path_;
  const size_t keep_;
  std::mutex mu_;
  std::vector<ResultsStore> idle_;
};

// GET /runs/{id}'s reads (the run and its errors) kept for RunViewContext::run_cache_ttl, so
// that many clients polling one run cost the store one read per ttl.
class RunCache {
 public:
  struct Entry {
    int64_t read_at_us = 0;  // monotonic
    ExecutionRecord run;
    uint64_t errors = 0;
  };

  std::optional<Entry> Find(int64_t id, int64_t now_us, int64_t ttl_us) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || now_us - it->second.read_at_us >= ttl_us) return std::nullopt;
    return it->second;
  }

  void Put(int64_t id, Entry entry) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();  // a crude bound: entries live one ttl anyway
    entries_[id] = std::move(entry);
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::mutex mu_;
  std::map<int64_t, Entry> entries_;
};

struct Views {
  const RunViewContext* context;
  std::shared_ptr<ReadHandles> handles;
  std::shared_ptr<RunCache> runs;
};

ApiResponse StoreError(const Status& status) { return ApiResponse::Error(500, status.message()); }

std::string NotFoundMessage(std::string_view id) { return "run " + std::string(id) + " not found"; }

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

// The answer to a request about a run that cannot be shown (unknown, a bad id, the store
// failed): 401 without a valid token (as every route), else `refusal`.
ApiResponse RefuseMissingRun(const Views& v, const ApiRequest& req, Action action, ApiResponse refusal) {
  std::optional<Principal> who;
  if (std::optional<ApiResponse> refused = IdentifyRequest(v.context->auth, req, &who)) return *refused;
  if (!who) return FromReply(RefusalReply(Authorize(who, "", action)));
  return refusal;
}

struct FoundRun {
  std::shared_ptr<const ResultsStore> store;
  ExecutionRecord run;
};

// Run `text` (a {id} or query value) looked up, then `action` authorized in its project:
// nullopt with *found set, or the response to send.
std::optional<ApiResponse> FindRun(const Views& v, const ApiRequest& req, std::string_view name, std::string_view text,
                                   Action action, FoundRun* found) {
  std::optional<int64_t> id = ParseId(text);
  if (!id) {
    return RefuseMissingRun(v, req, action,
                            ApiResponse::Error(400, std::string(name) + " '" + std::string(text) +
                                                        "': expected a run id (a positive integer)"));
  }
  Result<std::shared_ptr<const ResultsStore>> store = v.handles->Borrow();
  if (!store.ok()) return RefuseMissingRun(v, req, action, StoreError(store.status()));
  Result<ExecutionRecord> run = (*store)->GetExecution(*id);
  if (!run.ok()) {
    if (run.status().code() != Status::Code::kNotFound) {
      return RefuseMissingRun(v, req, action, StoreError(run.status()));
    }
    return RefuseMissingRun(v, req, action, ApiResponse::Error(404, NotFoundMessage(text)));
  }
  std::optional<Principal> who;
  if (std::optional<ApiResponse> refused = RefuseUnlessAllowed(v.context->auth, req, run->project, action, &who)) {
    return refused;
  }
  found->store = std::move(store).value();
  found->run = std::move(run).value();
  return std::nullopt;
}

std::optional<int> QueuePosition(const std::function<std::optional<int>(int64_t)>& queue_position,
                                 const ExecutionRecord& run) {
  if (!queue_position || ExecutionStatusName(run.status) != "queued") return std::nullopt;
  return queue_position(run.id);
}

nlohmann::json NumberOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json ThresholdJson(const ThresholdRecord& t) {
  return {{"expression", t.expression}, {"observed", NumberOrNull(t.observed)},
          {"passed", t.passed},         {"label", t.label.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.label)},
          {"metric", t.metric},         {"op", t.op},
          {"target", t.target}};
}

// One row of a summary event.
nlohmann::json SummaryRow(const AggregateRow& r, uint64_t errors) {
  return {{"label", r.label}, {"samples", r.count},
          {"errors", errors}, {"average", r.average},
          {"p90", r.line1},   {"p95", r.line2},
          {"p99", r.line3},   {"min", r.min},
          {"max", r.max},     {"throughput", NumberOrNull(r.throughput)}};
}

std::string Event(std::string_view name, const nlohmann::json& data) {
  return "event: " + std::string(name) +
         "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

// The summary event of a running run: TOTAL and each label from the rollups.
Result<std::string> SummaryEvent(const ResultsStore& store, const ExecutionRecord& run, int64_t now_ms) {
  Result<AggregateReport> report = LoadAggregateReport(store, run.id);
  if (!report.ok()) return report.status();
  std::vector<AggregateRow> rows = report->Rows();
  nlohmann::json labels = nlohmann::json::array();
  nlohmann::json total = SummaryRow(AggregateRow{"TOTAL"}, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + 1 == rows.size()) {
      total = SummaryRow(rows[i], report->total().errors);
    } else {
      const AggregateStats* stats = report->Find(rows[i].label);
      labels.push_back(SummaryRow(rows[i], stats ? stats->errors : 0));
    }
  }
  const double elapsed_s = static_cast<double>(now_ms - run.started_at_ms) / 1000.0;
  return Event("summary", {{"id", run.id},
                           {"status", ExecutionStatusName(run.status)},
                           {"elapsed_s", elapsed_s},
                           {"total", std::move(total)},
                           {"labels", std::move(labels)}});
}

// The whole lines `path` has past *offset (at most kMaxOutputRead bytes of them; a longer
// line is cut there), *offset moved past them; none when the file cannot be read (not there
// yet).
constexpr std::streamoff kMaxOutputRead = 1 << 20;
std::vector<std::string> ReadNewLines(const std::string& path, std::streamoff* offset) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return lines;
  const std::streamoff size = in.tellg();
  if (size <= *offset || !in.seekg(*offset)) return lines;
  std::string text(static_cast<size_t>(std::min(size - *offset, kMaxOutputRead)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (start == 0 && text.size() == static_cast<size_t>(kMaxOutputRead)) {  // a longer line: cut
    lines.push_back(std::move(text));
    start = static_cast<size_t>(kMaxOutputRead);
  }
  *offset += static_cast<std::streamoff>(start);
  return lines;
}

// The output event of run `id`'s new lines ("" when there are none).
std::string OutputEvent(const RunViewContext& c, int64_t id, std::streamoff* offset) {
  if (!c.output_log_path) return "";
  const std::string path = c.output_log_path(id);
  std::string out;
  while (true) {
    const std::streamoff before = *offset;
    std::vector<std::string> lines = ReadNewLines(path, offset);
    if (!lines.empty()) out += Event("output", {{"id", id}, {"lines", std::move(lines)}});
    if (*offset - before < kMaxOutputRead / 2) return out;  // a full read may have left more
  }
}

// The event stream of run `id`: queued (on each change), summary (each interval while
// running), output (new lines), then end with the RunJson, until the run ends or the client
// is gone.
void StreamEvents(const Views& v, int64_t id, const std::function<bool(std::string_view)>& write) {
  const RunViewContext* c = v.context;
  std::optional<int> last_position;
  bool queued_said = false;
  std::streamoff output_offset = 0;
  while (true) {
    std::string out;
    bool done = false;
    {
      Result<std::shared_ptr<const ResultsStore>> store = v.handles->Borrow();
      Result<ExecutionRecord> run = store.ok() ? (*store)->GetExecution(id) : Result<ExecutionRecord>(store.status());
      if (!run.ok()) {
        const std::string message = run.status().code() == Status::Code::kNotFound
                                        ? NotFoundMessage(std::to_string(id))
                                        : std::string(run.status().message());
        (void)write(Event("error", {{"error", message}}));
        return;
      }
      const std::string_view status = ExecutionStatusName(run->status);
      if (status == "queued") {
        std::optional<int> position = QueuePosition(c->queue_position, *run);
        if (!queued_said || position != last_position) {
          out = Event("queued",
                      {{"id", id}, {"queue_position", position ? nlohmann::json(*position) : nlohmann::json()}});
          queued_said = true;
          last_position = position;
        } else {
          out = ":\n\n";  // a comment: finds a client that is gone while nothing changes
        }
      } else if (status == "running") {
        Result<std::string> summary = SummaryEvent(**store, *run, c->clock->WallMillis());
        if (!summary.ok()) {
          (void)write(Event("error", {{"error", summary.status().message()}}));
          return;
        }
        out = std::move(summary).value();
      } else if (c->run_active && c->run_active(id)) {
        out = ":\n\n";  // ended in the store; its runner is still writing its last lines
      } else {
        Result<uint64_t> errors = (*store)->CountErrors(id);
        if (!errors.ok()) {
          (void)write(Event("error", {{"error", errors.status().message()}}));
          return;
        }
        out = Event("end", RunJson(*run, *errors, std::nullopt, c->public_url));
        done = true;
      }
    }  // the handle goes back before the wait
    // Read after the status: the lines before `end` are all the runner wrote.
    out = OutputEvent(*c, id, &output_offset) + out;
    if (!write(out) || done) return;
    std::this_thread::sleep_for(c->event_interval);
  }
}

ApiResponse GetRun(const Views& v, const ApiRequest& req) {
  const int64_t ttl_us = std::chrono::duration_cast<std::chrono::microseconds>(v.context->run_cache_ttl).count();
  const int64_t now_us = v.context->clock->MonotonicMicros();
  const std::optional<int64_t> id = ParseId(req.params.at("id"));
  std::optional<RunCache::Entry> cached = id && ttl_us > 0 ? v.runs->Find(*id, now_us, ttl_us) : std::nullopt;
  if (cached) {
    std::optional<Principal> who;
    if (std::optional<ApiResponse> refused =
            RefuseUnlessAllowed(v.context->auth, req, cached->run.project, Action::kReadRuns, &who)) {
      return *refused;
    }
  } else {
    FoundRun f;
    if (std::optional<ApiResponse> refused = FindRun(v, req, "id", req.params.at("id"), Action::kReadRuns, &f)) {
      return *refused;
    }
    Result<uint64_t> errors = f.store->CountErrors(f.run.id);
    if (!errors.ok()) return StoreError(errors.status());
    cached = RunCache::Entry{now_us, std::move(f.run), *errors};
    if (ttl_us > 0) v.runs->Put(cached->run.id, *cached);
  }
  return ApiResponse::Json(RunJson(cached->run, cached->errors, QueuePosition(v.context->queue_position, cached->run),
                                   v.context->public_url));
}

ApiResponse GetVerdict(const Views& v, const ApiRequest& req) {
  FoundRun f;
  if (std::optional<ApiResponse> refused = FindRun(v, req, "id", req.params.at("id"), Action::kReadRuns, &f)) {
    return *refused;
  }
  const std::string_view status = ExecutionStatusName(f.run.status);
  if (status == "queued" || status == "running") {
    return ApiResponse::Error(409,
                              "run " + std::to_string(f.run.id) + " is " + std::string(status) + ": no verdict yet");
  }
  Result<std::vector<ThresholdRecord>> thresholds = f.store->ThresholdResults(f.run.id);
  if (!thresholds.ok()) return StoreError(thresholds.status());
  nlohmann::json list = nlohmann::json::array();
  for (const ThresholdRecord& t : *thresholds) list.push_back(ThresholdJson(t));
  return ApiResponse::Json(
      {{"passed", f.run.status == ExecutionStatus::kPassed}, {"status", status}, {"thresholds", std::move(list)}});
}

ApiResponse GetReport(const Views& v, const ApiRequest& req) {
  FoundRun f;
  if (std::optional<ApiResponse> refused = FindRun(v, req, "id", req.params.at("id"), Action::kReadReports, &f)) {
    return *refused;
  }
  static constexpr std::pair<std::string_view, std::string_view> kFormats[] = {
      {"json", "application/json"},
      {"csv", "text/csv; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"junit", "application/xml"},
  };
  const std::string format = req.Query("format").value_or("json");
  std::string_view content_type;
  for (const auto& [name, type] : kFormats) {
    if (format == name) content_type = type;
  }
  if (content_type.empty()) {
    return ApiResponse::Error(400, "format '" + format + "': expected json, csv, html or junit");
  }
  Result<AggregateReport> report = LoadAggregateReport(*f.store, f.run.id);
  if (!report.ok()) return StoreError(report.status());
  Result<std::vector<ThresholdRecord>> thresholds = f.store->ThresholdResults(f.run.id);
  if (!thresholds.ok()) return StoreError(thresholds.status());
  Result<std::string> text = FormatReport(*f.store, f.run, *report, *thresholds, format);
  if (!text.ok()) return StoreError(text.status());
  ApiResponse r;
  r.content_type = std::string(content_type);
  r.body = std::move(text).value();
  return r;
}

ApiResponse GetJtl(const Views& v, const ApiRequest& req) {
  FoundRun f;
  if (std::optional<ApiResponse> refused = FindRun(v, req, "id", req.params.at("id"), Action::kReadReports, &f)) {
    return *refused;
  }
  ApiResponse r;
  r.content_type = "text/csv";
  r.headers.emplace("Content-Disposition", "attachment; filename=\"run-" + std::to_string(f.run.id) + ".jtl\"");
  r.stream = [store = f.store, id = f.run.id](const std::function<bool(std::string_view)>& write) {
    // A store error after the first bytes cannot change the status: the body ends early.
    (void)StreamJtl(*store, id, /*intended_start=*/false, [&](std::string_view bytes) {
      return write(bytes) ? Status::Ok() : Status::IoError("the client is gone");
    });
  };
  return r;
}

ApiResponse GetEvents(const Views& v, const ApiRequest& req) {
  FoundRun f;
  if (std::optional<ApiResponse> refused = FindRun(v, req, "id", req.params.at("id"), Action::kReadRuns, &f)) {
    return *refused;
  }
  ApiResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace("Cache-Control", "no-cache");
  r.stream = [v, id = f.run.id](const std::function<bool(std::string_view)>& write) { StreamEvents(v, id, write); };
  return r;
}

// The names ParseExecutionStatus knows, for the error naming a bad ?status=.
std::string StatusNames() {
  std::string names;
  for (std::string_view s : {"queued", "running", "passed", "failed", "partial", "aborted", "errored"}) {
    if (ParseExecutionStatus(s)) names += (names.empty() ? "" : ", ") + std::string(s);
  }
  return names;
}

ApiResponse ListRuns(const Views& v, const ApiRequest& req) {
  const std::string& project = req.params.at("project");
  std::optional<Principal> who;
  if (std::optional<ApiResponse> refused =
          RefuseUnlessAllowed(v.context->auth, req, project, Action::kReadRuns, &who)) {
    return *refused;
  }
  int64_t limit = kDefaultListLimit;
  if (std::optional<std::string> text = req.Query("limit")) {
    std::optional<int64_t> n = ParseId(*text);
    if (!n || *n > kMaxListLimit) {
      return ApiResponse::Error(
          400, "limit '" + *text + "': expected an integer from 1 to " + std::to_string(kMaxListLimit));
    }
    limit = *n;
  }
  std::optional<ExecutionStatus> status;
  if (std::optional<std::string> text = req.Query("status")) {
    status = ParseExecutionStatus(*text);
    if (!status) return ApiResponse::Error(400, "status '" + *text + "': expected one of " + StatusNames());
  }
  Result<ResultsStore> store = ReadHandles::OpenReadOnly(v.handles->path(), project);
  if (!store.ok()) return StoreError(store.status());
  Result<std::vector<ExecutionRecord>> all = store->ListExecutions();
  if (!all.ok()) return StoreError(all.status());
  nlohmann::json list = nlohmann::json::array();
  for (auto it = all->rbegin(); it != all->rend() && static_cast<int64_t>(list.size()) < limit; ++it) {
    if (status && it->status != *status) continue;
    Result<uint64_t> errors = store->CountErrors(it->id);
    if (!errors.ok()) return StoreError(errors.status());
    list.push_back(RunJson(*it, *errors, QueuePosition(v.context->queue_position, *it), v.context->public_url));
  }
  return ApiResponse::Json(list);
}

ApiResponse Compare(const Views& v, const ApiRequest& req) {
  // One authentication for both runs; each is authorized in its own project.
  std::optional<Principal> who;
  if (std::optional<ApiResponse> refused = IdentifyRequest(v.context->auth, req, &who)) return *refused;
  if (!who) return FromReply(RefusalReply(Authorize(who, "", Action::kReadReports)));
  double tolerance = 0.1;
  if (std::optional<std::string> text = req.Query("tolerance")) {
    Result<double> parsed = ParseTolerance(*text);
    if (!parsed.ok()) return ApiResponse::Error(400, "tolerance: " + std::string(parsed.status().message()));
    tolerance = *parsed;
  }
  Result<std::shared_ptr<const ResultsStore>> store = v.handles->Borrow();
  if (!store.ok()) return StoreError(store.status());
  int64_t ids[2] = {0, 0};
  const char* names[2] = {"base", "run"};
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> text = req.Query(names[i]);
    if (!text) return ApiResponse::Error(400, std::string(names[i]) + ": required (a run id)");
    std::optional<int64_t> id = ParseId(*text);
    if (!id) {
      return ApiResponse::Error(400,
                                std::string(names[i]) + " '" + *text + "': expected a run id (a positive integer)");
    }
    Result<ExecutionRecord> run = (*store)->GetExecution(*id);
    if (!run.ok()) {
      if (run.status().code() != Status::Code::kNotFound) return StoreError(run.status());
      return ApiResponse::Error(404, NotFoundMessage(*text));
    }
    AccessDecision decision = Authorize(who, run->project, Action::kReadReports);
    if (!decision.allowed()) return FromReply(RefusalReply(decision));
    ids[i] = *id;
  }
  Result<AggregateReport> base = LoadAggregateReport(**store, ids[0]);
  if (!base.ok()) return StoreError(base.status());
  Result<AggregateReport> run = LoadAggregateReport(**store, ids[1]);
  if (!run.ok()) return StoreError(run.status());
  Comparison c = CompareReports(*base, *run, tolerance);
  c.baseline_id = ids[0];
  c.run_id = ids[1];
  ApiResponse r;
  r.body = ComparisonJson(c);
  return r;
}

}  // namespace

nlohmann::json RunJson(const ExecutionRecord& run, uint64_t errors, std::optional<int> queue_position,
                       std::string_view public_url) {
  nlohmann::json infra = nlohmann::json::parse(run.infra_json, nullptr, /*allow_exceptions=*/false);
  std::string mode = "local";
  int64_t workers = 0;
  if (infra.is_object()) {
    if (auto it = infra.find("mode"); it != infra.end() && it->is_string()) mode = it->get<std::string>();
    if (auto it = infra.find("workers"); it != infra.end() && it->is_number_integer()) workers = it->get<int64_t>();
  }
  nlohmann::json properties = nlohmann::json::parse(run.properties_json, nullptr, /*allow_exceptions=*/false);
  if (!properties.is_object()) properties = nlohmann::json::object();
  return {{"id", run.id},
          {"project", run.project},
          {"plan", run.definition_name.empty() ? run.plan_name : run.definition_name},
          {"version", run.definition_version > 0 ? nlohmann::json(run.definition_version) : nlohmann::json()},
          {"status", ExecutionStatusName(run.status)},
          {"queue_position", queue_position ? nlohmann::json(*queue_position) : nlohmann::json()},
          {"samples", run.samples},
          {"errors", errors},
          {"started_at_ms", run.started_at_ms},
          {"ended_at_ms", run.ended_at_ms ? nlohmann::json(*run.ended_at_ms) : nlohmann::json()},
          {"verdict", run.verdict.empty() ? nlohmann::json() : nlohmann::json(run.verdict)},
          {"triggered_by", run.triggered_by},
          {"mode", mode},
          {"workers", workers},
          {"properties", std::move(properties)},
          {"dropped_iterations", run.dropped_iterations},
          {"report_url", std::string(public_url) + std::string(kApiBase) + "/runs/" + std::to_string(run.id) +
                             "/report?format=html"}};
}

Result<nlohmann::json> LoadRunJson(const ResultsStore& store, int64_t id,
                                   const std::function<std::optional<int>(int64_t)>& queue_position,
                                   std::string_view public_url) {
  Result<ExecutionRecord> run = store.GetExecution(id);
  if (!run.ok()) {
    if (run.status().code() == Status::Code::kNotFound) return Status::NotFound(NotFoundMessage(std::to_string(id)));
    return run.status();
  }
  Result<uint64_t> errors = store.CountErrors(id);
  if (!errors.ok()) return errors.status();
  return RunJson(*run, *errors, QueuePosition(queue_position, *run), public_url);
}

void AddRunViewRoutes(ApiRouter* router, const RunViewContext* context) {
  const Views v{context, std::make_shared<ReadHandles>(context->db_path, context->idle_read_handles),
                std::make_shared<RunCache>()};
  const std::string base(kApiBase);
  router->Add("GET", base + "/runs/{id}", [v](const ApiRequest& req) { return GetRun(v, req); });
  router->Add("GET", base + "/runs/{id}/verdict", [v](const ApiRequest& req) { return GetVerdict(v, req); });
  router->Add("GET", base + "/runs/{id}/report", [v](const ApiRequest& req) { return GetReport(v, req); });
  router->Add("GET", base + "/runs/{id}/jtl", [v](const ApiRequest& req) { return GetJtl(v, req); });
  router->Add("GET", base + "/runs/{id}/events", [v](const ApiRequest& req) { return GetEvents(v, req); });
  router->Add("GET", base + "/projects/{project}/runs", [v](const ApiRequest& req) { return ListRuns(v, req); });
  router->Add("GET", base + "/compare", [v](const ApiRequest& req) { return Compare(v, req); });
}

}  // namespace barrage
