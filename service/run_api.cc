#include "service/run_api.h"

#include <charconv>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/access.h"
#include "service/plan_store.h"
#include "service/run_request.h"
#include "service/service_info.h"

namespace barrage {
namespace {

// The HTTP status of a failed Status: 400 bad input, 404 missing, 409 busy, 500 the rest.
int HttpStatusOf(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kParseError: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kUnsupported: return 409;
    default: return 500;
  }
}

ApiResponse ErrorOf(const Status& st) { return ApiResponse::Error(HttpStatusOf(st), st.message()); }

nlohmann::json DefinitionJson(const DefinitionRecord& d) {
  nlohmann::json files = nlohmann::json::array();
  for (const DefinitionFile& f : d.files) files.push_back({{"name", f.name}, {"size", f.size}, {"sha256", f.sha256}});
  return {{"name", d.name},
          {"version", d.version},
          {"sha256", d.sha256},
          {"created", d.created},
          {"created_at_ms", d.created_at_ms},
          {"files", files}};
}

std::optional<int64_t> RunId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

void Audit(const RunApiContext& c, const std::string& project, const Principal& who, std::string_view what,
           const nlohmann::json& details, int64_t run = 0) {
  (void)c.auth.tokens->AuditTokenAction(project, who, what, details.dump(), run);
}

ApiResponse UploadPlan(const RunApiContext& c, const ApiRequest& req) {
  const std::string project = req.params.at("project");
  std::optional<Principal> who;
  if (auto refused = RefuseUnlessAllowed(c.auth, req, project, Action::kUploadPlan, &who)) return *refused;
  PlanUpload upload;
  int plans = 0;
  for (const ApiFile& f : req.files) {
    if (f.field == "plan") {
      ++plans;
      upload.name = std::filesystem::path(f.filename).filename().string();
      upload.jmx = f.content;
    } else if (f.field == "data") {
      upload.files.emplace_back(f.filename, f.content);
    } else {
      return ApiResponse::Error(400, "form field '" + f.field + "' is not known: send 'plan' and 'data'");
    }
  }
  if (plans != 1) {
    return ApiResponse::Error(400, "plan: send exactly one .jmx file in the form field 'plan' (multipart/form-data)");
  }
  if (static_cast<int64_t>(upload.jmx.size()) > c.max_plan_bytes) {
    return ApiResponse::Error(413, "plan: " + upload.name + " has " + std::to_string(upload.jmx.size()) +
                                       " bytes, more than max_plan_bytes (" + std::to_string(c.max_plan_bytes) + ")");
  }
  Result<ResultsStore*> store = c.runs->Store(project);
  if (!store.ok()) return ErrorOf(store.status());
  Result<DefinitionRecord> stored = StorePlanUpload(**store, c.data_dir, upload);
  if (!stored.ok()) return ErrorOf(stored.status());
  nlohmann::json body = DefinitionJson(*stored);
  if (stored->created) {
    Audit(c, project, *who, "plan_uploaded", {{"plan", stored->name}, {"version", stored->version}});
  }
  return ApiResponse::Json(body, stored->created ? 201 : 200);
}

ApiResponse ListPlans(const RunApiContext& c, const ApiRequest& req) {
  const std::string project = req.params.at("project");
  std::optional<Principal> who;
  if (auto refused = RefuseUnlessAllowed(c.auth, req, project, Action::kReadPlans, &who)) return *refused;
  Result<ResultsStore*> store = c.runs->Store(project);
  if (!store.ok()) return ErrorOf(store.status());
  Result<std::vector<DefinitionRecord>> all = (*store)->ListDefinitions();
  if (!all.ok()) return ErrorOf(all.status());
  nlohmann::json list = nlohmann::json::array();
  for (const DefinitionRecord& d : *all) list.push_back(DefinitionJson(d));
  return ApiResponse::Json(list);
}

ApiResponse StartRun(const RunApiContext& c, const ApiRequest& req) {
  const std::string project = req.params.at("project");
  std::optional<Principal> who;
  if (auto refused = RefuseUnlessAllowed(c.auth, req, project, Action::kStartRun, &who)) return *refused;
  ApiResponse error;
  std::optional<nlohmann::json> body = ParseJsonBody(req, &error);
  if (!body) return error;
  Result<RunRequest> request = RunRequestFromJson(*body);
  if (!request.ok()) return ErrorOf(request.status());
  Result<RunTicket> ticket = c.runs->Submit(project, *request, "token:" + who->name);
  if (!ticket.ok()) return ErrorOf(ticket.status());
  Audit(c, project, *who, "run_started", RunRequestToJson(*request), ticket->id);
  nlohmann::json out = {{"id", ticket->id}, {"status", ticket->started ? "running" : "queued"}};
  out["queue_position"] = ticket->queue_position ? nlohmann::json(*ticket->queue_position) : nlohmann::json();
  return ApiResponse::Json(out, 201);
}

ApiResponse StopRun(const RunApiContext& c, const ApiRequest& req) {
  std::optional<int64_t> id = RunId(req.params.at("id"));
  if (!id) return ApiResponse::Error(400, "id: '" + req.params.at("id") + "' is not a run id");
  std::optional<Principal> who;
  if (auto refused = IdentifyRequest(c.auth, req, &who)) return *refused;
  Result<std::string> project = c.runs->ProjectOf(*id);
  // Without a valid token: 401 whether or not the run exists.
  if (!project.ok() && who) return ErrorOf(project.status());
  AccessDecision decision = Authorize(who, project.ok() ? *project : "", Action::kStopRun);
  if (!decision.allowed()) return FromReply(RefusalReply(decision));
  bool now = false;
  if (!req.body.empty()) {
    ApiResponse error;
    std::optional<nlohmann::json> body = ParseJsonBody(req, &error);
    if (!body) return error;
    for (const auto& [key, value] : body->items()) {
      if (key != "now") return ApiResponse::Error(400, key + ": unknown field (expected \"now\")");
      if (!value.is_boolean()) return ApiResponse::Error(400, "now: expected true or false");
      now = value.get<bool>();
    }
  }
  if (Status st = c.runs->Stop(*id, now, "token:" + who->name); !st.ok()) return ErrorOf(st);
  Audit(c, *project, *who, "run_stopped", {{"now", now}}, *id);
  return ApiResponse::Json({{"id", *id}, {"stopping", true}}, 202);
}

}  // namespace

void AddRunRoutes(ApiRouter* router, const RunApiContext* context) {
  const std::string base(kApiBase);
  const RunApiContext* c = context;
  router->Add("POST", base + "/projects/{project}/plans", [c](const ApiRequest& r) { return UploadPlan(*c, r); });
  router->Add("GET", base + "/projects/{project}/plans", [c](const ApiRequest& r) { return ListPlans(*c, r); });
  router->Add("POST", base + "/projects/{project}/runs", [c](const ApiRequest& r) { return StartRun(*c, r); });
  router->Add("POST", base + "/runs/{id}/stop", [c](const ApiRequest& r) { return StopRun(*c, r); });
}

}  // namespace barrage
