#include "service/service_api.h"

#include <nlohmann/json.hpp>

#include <optional>

#include "service/automation_api.h"
#include "service/service_info.h"
#include "service/token_api.h"
#include "service/web_ui.h"

namespace barrage {
namespace {

// `run`: the run a busy worker is in when the caller may see it (its own project's), else null.
nlohmann::json WorkerJson(const PooledWorker& w, std::optional<int64_t> run) {
  return {{"name", w.name},
          {"host", w.host},
          {"cores", w.cores},
          {"version", w.version},
          {"state", PoolStateName(w.state)},
          {"run", run ? nlohmann::json(*run) : nlohmann::json(nullptr)},
          {"joined_at_ms", w.joined_at_ms},
          {"state_since_ms", w.state_since_ms}};
}

}  // namespace

ApiRouter BuildServiceApi(const ServiceApiContext* context) {
  ApiRouter router;
  const std::string base(kApiBase);
  const ServiceApiContext* c = context;
  router.Add("GET", base + "/health", [](const ApiRequest&) {
    return ApiResponse::Json({{"status", "ok"}, {"version", std::string(ServiceVersion())}});
  });
  router.Add("GET", base + "/openapi.json", [c](const ApiRequest&) {
    nlohmann::json doc = nlohmann::json::parse(OpenApiDocument());
    doc["servers"] = nlohmann::json::array({{{"url", c->public_url}}});
    return ApiResponse::Json(doc);
  });
  router.Add("GET", base + "/workers", [c](const ApiRequest& req) {
    std::optional<Principal> who;
    if (std::optional<ApiResponse> refused = RefuseUnlessAllowed(c->auth, req, "", Action::kReadWorkers, &who)) {
      return *refused;
    }
    nlohmann::json list = nlohmann::json::array();
    for (const PooledWorker& w : c->workers()) {
      std::optional<int64_t> run;
      if (w.state == PoolState::kBusy && w.run > 0 && c->run_project) {
        std::optional<std::string> project = c->run_project(w.run);
        if (project && who && *project == who->project) run = w.run;
      }
      list.push_back(WorkerJson(w, run));
    }
    return ApiResponse::Json(list);
  });
  // Any valid token; its project's runs only (kReadRuns in its own project).
  router.Add("GET", base + "/metrics", [c](const ApiRequest& req) {
    std::optional<Principal> who;
    if (std::optional<ApiResponse> refused = IdentifyRequest(c->auth, req, &who)) return *refused;
    const std::string project = who ? who->project : "";
    AccessDecision decision = Authorize(who, project, Action::kReadRuns);
    if (!decision.allowed()) return FromReply(RefusalReply(decision));
    if (!c->metrics) return ApiResponse::Error(404, "this service exposes no metrics");
    const MetricsFormat format = NegotiateMetricsFormat(req.Header("accept"));
    ApiResponse r;
    r.content_type = MetricsContentType(format);
    r.body = c->metrics(format, project);
    return r;
  });
  // Token management and the audit log: the handlers authorize (admin) themselves.
  auto who = [c](const ApiRequest& req, std::optional<Principal>* principal) {
    return IdentifyRequest(c->auth, req, principal);
  };
  router.Add("GET", base + "/projects/{project}/tokens", [c, who](const ApiRequest& req) {
    std::optional<Principal> p;
    if (std::optional<ApiResponse> refused = who(req, &p)) return *refused;
    return FromReply(ListTokensViaApi(*c->auth.tokens, p, req.params.at("project")));
  });
  router.Add("POST", base + "/projects/{project}/tokens", [c, who](const ApiRequest& req) {
    std::optional<Principal> p;
    if (std::optional<ApiResponse> refused = who(req, &p)) return *refused;
    return FromReply(CreateTokenViaApi(*c->auth.tokens, p, req.params.at("project"), req.body));
  });
  router.Add("DELETE", base + "/projects/{project}/tokens/{name}", [c, who](const ApiRequest& req) {
    std::optional<Principal> p;
    if (std::optional<ApiResponse> refused = who(req, &p)) return *refused;
    return FromReply(RevokeTokenViaApi(*c->auth.tokens, p, req.params.at("project"), req.params.at("name")));
  });
  router.Add("GET", base + "/projects/{project}/audit", [c, who](const ApiRequest& req) {
    std::optional<Principal> p;
    if (std::optional<ApiResponse> refused = who(req, &p)) return *refused;
    return FromReply(ListAuditViaApi(*c->auth.tokens, p, req.params.at("project"), req.Query("limit").value_or("")));
  });
  if (c->runs) AddRunRoutes(&router, c->runs);
  static const AutomationApiContext kNoAutomation{};
  AddAutomationRoutes(&router, c->automation != nullptr ? c->automation : &kNoAutomation);
  if (c->run_views) AddRunViewRoutes(&router, c->run_views);
  AddWebUiRoutes(&router);  // GET / and /ui/{file}: outside /api/v1 (service/web_ui.h)
  return router;
}

}  // namespace barrage
