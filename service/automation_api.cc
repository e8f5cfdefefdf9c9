#include "service/automation_api.h"

#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/run_request.h"
#include "service/schedules.h"
#include "service/service_info.h"
#include "service/webhooks.h"

namespace barrage {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;

// A store's error as the answer: InvalidArgument 400 (or `invalid_status`: 409 where the body
// was checked already and only a name in use is left), NotFound 404, else 500.
ApiResponse StoreError(const Status& st, int invalid_status = 400) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument: return ApiResponse::Error(invalid_status, st.message());
    case Status::Code::kNotFound: return ApiResponse::Error(404, st.message());
    default: return ApiResponse::Error(500, st.message());
  }
}

ApiResponse Ordered(const ordered_json& doc, int status = 200) { return FromReply({status, doc.dump()}); }

// A positive integer, the whole text.
std::optional<int64_t> ParsePositive(std::string_view text) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

// The route's {id}, or the 400 naming it.
std::optional<int64_t> PathId(const ApiRequest& req, ApiResponse* error) {
  const std::string& text = req.params.at("id");
  std::optional<int64_t> id = ParsePositive(text);
  if (!id) *error = ApiResponse::Error(400, "id: '" + text + "' is not a positive integer");
  return id;
}

// ?limit=: kDefaultLimit when absent, else 1..kMaxLimit or the 400 naming it.
std::optional<int> Limit(const ApiRequest& req, ApiResponse* error) {
  const std::optional<std::string> text = req.Query("limit");
  if (!text) return kDefaultLimit;
  const std::optional<int64_t> n = ParsePositive(*text);
  if (!n || *n > kMaxLimit) {
    *error = ApiResponse::Error(400, "limit: '" + *text + "' is not an integer from 1 to " + std::to_string(kMaxLimit));
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

// A schedule's run checked as POST /runs checks its body: "run.<field>: ...".
Status CheckRunBody(const json& run) {
  Result<RunRequest> request = RunRequestFromJson(run);
  if (request.ok()) return Status::Ok();
  return Status::InvalidArgument("run." + request.status().message());
}

std::string Details(int64_t id, const std::string& name) { return json{{"id", id}, {"name", name}}.dump(); }

struct Call {
  ServiceAutomation& automation;
  const Principal& who;
  const std::string& project;
};
using Handler = std::function<ApiResponse(const ApiRequest&, const Call&)>;

// The route: 503 without automation, then the gate, then `handler`.
ApiHandler Guarded(const AutomationApiContext* c, Action action, Handler handler) {
  return [c, action, handler = std::move(handler)](const ApiRequest& req) -> ApiResponse {
    if (c->automation == nullptr) return ApiResponse::Error(503, "schedules and webhooks are not enabled here");
    const std::string& project = req.params.at("project");
    std::optional<Principal> who;
    if (std::optional<ApiResponse> refused = RefuseUnlessAllowed(c->auth, req, project, action, &who)) {
      return *refused;
    }
    return handler(req, Call{*c->automation, *who, project});
  };
}

// Audit-logs what the token did; a failure to log fails the request (500) after the change.
std::optional<ApiResponse> AuditOrError(const AutomationApiContext* c, const Call& call, std::string_view what,
                                        const std::string& details) {
  Status st = c->auth.tokens->AuditTokenAction(call.project, call.who, what, details);
  if (st.ok()) return std::nullopt;
  return ApiResponse::Error(500, "audit log: " + st.message());
}

void AddScheduleRoutes(ApiRouter* router, const AutomationApiContext* c, const std::string& base) {
  router->Add("GET", base, Guarded(c, Action::kReadSchedules, [](const ApiRequest&, const Call& call) {
                Result<std::vector<Schedule>> list = call.automation.schedules().List(call.project);
                if (!list.ok()) return StoreError(list.status());
                json all = json::array();
                for (const Schedule& s : *list) all.push_back(ScheduleToJson(s));
                return ApiResponse::Json(all);
              }));
  router->Add("POST", base, Guarded(c, Action::kManageSchedules, [c](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<json> body = ParseJsonBody(req, &error);
                if (!body) return error;
                Result<Schedule> schedule = ScheduleFromJson(*body, call.project);
                if (!schedule.ok()) return ApiResponse::Error(400, schedule.status().message());
                if (Status st = CheckRunBody(schedule->run); !st.ok()) return ApiResponse::Error(400, st.message());
                schedule->created_by = call.who.name;
                Result<Schedule> created =
                    call.automation.schedules().Create(*schedule, call.automation.clock().WallMillis());
                if (!created.ok()) return StoreError(created.status(), 409);
                if (auto e = AuditOrError(c, call, "schedule_created", Details(created->id, created->name))) return *e;
                return ApiResponse::Json(ScheduleToJson(*created), 201);
              }));
  router->Add("GET", base + "/{id}", Guarded(c, Action::kReadSchedules, [](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                Result<Schedule> s = call.automation.schedules().Get(call.project, *id);
                if (!s.ok()) return StoreError(s.status());
                return ApiResponse::Json(ScheduleToJson(*s));
              }));
  router->Add(
      "PATCH", base + "/{id}", Guarded(c, Action::kManageSchedules, [c](const ApiRequest& req, const Call& call) {
        ApiResponse error;
        std::optional<int64_t> id = PathId(req, &error);
        if (!id) return error;
        std::optional<json> body = ParseJsonBody(req, &error);
        if (!body) return error;
        Result<ScheduleUpdate> update = ScheduleUpdateFromJson(*body);
        if (!update.ok()) return ApiResponse::Error(400, update.status().message());
        if (update->run) {
          if (Status st = CheckRunBody(*update->run); !st.ok()) return ApiResponse::Error(400, st.message());
        }
        Result<Schedule> updated =
            call.automation.schedules().Update(call.project, *id, *update, call.automation.clock().WallMillis());
        if (!updated.ok()) return StoreError(updated.status(), 409);
        if (auto e = AuditOrError(c, call, "schedule_updated", Details(updated->id, updated->name))) return *e;
        return ApiResponse::Json(ScheduleToJson(*updated));
      }));
  router->Add("DELETE", base + "/{id}",
              Guarded(c, Action::kManageSchedules, [c](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                Result<Schedule> s = call.automation.schedules().Get(call.project, *id);
                if (!s.ok()) return StoreError(s.status());
                if (Status st = call.automation.schedules().Delete(call.project, *id); !st.ok()) return StoreError(st);
                if (auto e = AuditOrError(c, call, "schedule_deleted", Details(s->id, s->name))) return *e;
                return ApiResponse::Json(ScheduleToJson(*s));
              }));
  router->Add(
      "GET", base + "/{id}/events", Guarded(c, Action::kReadSchedules, [](const ApiRequest& req, const Call& call) {
        ApiResponse error;
        std::optional<int64_t> id = PathId(req, &error);
        if (!id) return error;
        std::optional<int> limit = Limit(req, &error);
        if (!limit) return error;
        Result<std::vector<ScheduleEvent>> events = call.automation.schedules().Events(call.project, *id, *limit);
        if (!events.ok()) return StoreError(events.status());
        json all = json::array();
        for (const ScheduleEvent& e : *events) all.push_back(ScheduleEventToJson(e));
        return ApiResponse::Json(all);
      }));
}

void AddWebhookRoutes(ApiRouter* router, const AutomationApiContext* c, const std::string& base) {
  const Action manage = Action::kManageWebhooks;
  router->Add("GET", base, Guarded(c, manage, [](const ApiRequest&, const Call& call) {
                Result<std::vector<Webhook>> list = call.automation.webhooks().List(call.project);
                if (!list.ok()) return StoreError(list.status());
                ordered_json all = ordered_json::array();
                for (const Webhook& w : *list) all.push_back(WebhookToJson(w));
                return Ordered(all);
              }));
  router->Add("POST", base, Guarded(c, manage, [c](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<json> body = ParseJsonBody(req, &error);
                if (!body) return error;
                Result<Webhook> hook = WebhookFromJson(*body, call.project);
                if (!hook.ok()) return ApiResponse::Error(400, hook.status().message());
                hook->created_by = call.who.name;
                hook->created_at_ms = call.automation.clock().WallMillis();
                Result<Webhook> created = call.automation.webhooks().Create(*hook);
                if (!created.ok()) return StoreError(created.status(), 409);
                if (auto e = AuditOrError(c, call, "webhook_created", Details(created->id, created->name))) return *e;
                return Ordered(WebhookCreatedJson(*created), 201);
              }));
  router->Add("GET", base + "/{id}", Guarded(c, manage, [](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                Result<Webhook> hook = call.automation.webhooks().Get(call.project, *id);
                if (!hook.ok()) return StoreError(hook.status());
                return Ordered(WebhookToJson(*hook));
              }));
  router->Add("DELETE", base + "/{id}", Guarded(c, manage, [c](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                Result<Webhook> hook = call.automation.webhooks().Get(call.project, *id);
                if (!hook.ok()) return StoreError(hook.status());
                if (Status st = call.automation.webhooks().Delete(call.project, *id); !st.ok()) return StoreError(st);
                if (auto e = AuditOrError(c, call, "webhook_deleted", Details(hook->id, hook->name))) return *e;
                return Ordered(WebhookToJson(*hook));
              }));
  router->Add("GET", base + "/{id}/deliveries", Guarded(c, manage, [](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                std::optional<int> limit = Limit(req, &error);
                if (!limit) return error;
                Result<std::vector<DeliveryAttempt>> log =
                    call.automation.webhooks().Deliveries(call.project, *id, *limit);
                if (!log.ok()) return StoreError(log.status());
                ordered_json all = ordered_json::array();
                for (const DeliveryAttempt& a : *log) all.push_back(DeliveryAttemptToJson(a));
                return Ordered(all);
              }));
  router->Add("POST", base + "/{id}/test", Guarded(c, manage, [c](const ApiRequest& req, const Call& call) {
                ApiResponse error;
                std::optional<int64_t> id = PathId(req, &error);
                if (!id) return error;
                Result<Webhook> hook = call.automation.webhooks().Get(call.project, *id);
                if (!hook.ok()) return StoreError(hook.status());
                DeliveryAttempt sent = call.automation.dispatcher().SendOnce(
                    *hook, 0, kPingEvent, WebhookPingBody(*hook, call.automation.clock().WallMillis()));
                // The log's row, with its id (other deliveries may have come meanwhile).
                Result<std::vector<DeliveryAttempt>> log =
                    call.automation.webhooks().Deliveries(call.project, *id, kMaxLimit);
                if (log.ok()) {
                  for (const DeliveryAttempt& a : *log) {
                    if (a.delivery == sent.delivery) sent.id = a.id;
                  }
                }
                if (auto e = AuditOrError(c, call, "webhook_tested", Details(hook->id, hook->name))) return *e;
                return Ordered(DeliveryAttemptToJson(sent));
              }));
}

}  // namespace

void AddAutomationRoutes(ApiRouter* router, const AutomationApiContext* context) {
  const std::string projects = std::string(kApiBase) + "/projects/{project}";
  AddScheduleRoutes(router, context, projects + "/schedules");
  AddWebhookRoutes(router, context, projects + "/webhooks");
}

}  // namespace barrage
