// The routes of schedules and webhooks in the HTTP API of `barrage serve` (issue 13 items 4,
// 5; docs/schedules.md, docs/webhooks.md), over ServiceAutomation's stores. Every route
// passes service/api_auth.h's RefuseUnlessAllowed first (401, 403, 429).
//
//   GET    /api/v1/projects/{p}/schedules                 kReadSchedules    200 [schedule]
//   POST   /api/v1/projects/{p}/schedules                 kManageSchedules  201 schedule
//   GET    /api/v1/projects/{p}/schedules/{id}            kReadSchedules    200 schedule
//   PATCH  /api/v1/projects/{p}/schedules/{id}            kManageSchedules  200 schedule
//   DELETE /api/v1/projects/{p}/schedules/{id}            kManageSchedules  200 schedule (as it was)
//   GET    /api/v1/projects/{p}/schedules/{id}/events     kReadSchedules    200 [event], newest first
//   GET    /api/v1/projects/{p}/webhooks                  kManageWebhooks   200 [webhook]
//   POST   /api/v1/projects/{p}/webhooks                  kManageWebhooks   201 webhook + secret
//   GET    /api/v1/projects/{p}/webhooks/{id}             kManageWebhooks   200 webhook
//   DELETE /api/v1/projects/{p}/webhooks/{id}             kManageWebhooks   200 webhook (as it was)
//   GET    /api/v1/projects/{p}/webhooks/{id}/deliveries  kManageWebhooks   200 [attempt], newest first
//   POST   /api/v1/projects/{p}/webhooks/{id}/test        kManageWebhooks   200 attempt (WebhookPingBody, sent now)
// (schedule = ScheduleToJson, event = ScheduleEventToJson, webhook = WebhookToJson, attempt =
// DeliveryAttemptToJson.) `?limit=n` of events and deliveries: 1 to 1000, default 50.
//
// A schedule's `run` is checked as POST /runs checks its body (RunRequestFromJson) when it is
// created or changed; its errors name `run.<field>`. Errors: 400 a bad body or field, or an
// {id} or limit that is not a number in range (naming it); 404 no such schedule or webhook in
// the project; 409 the name is taken in the project; 500 the store failed; 503 when the
// service runs without automation. Creating, changing and deleting (and a test delivery)
// are audit-logged with the token (schedule_created, schedule_updated, schedule_deleted,
// webhook_created, webhook_deleted, webhook_tested; details: {"id", "name"}).
//
// Threads: the handlers may run on many threads at once (the stores serialise).
#ifndef BARRAGE_SERVICE_AUTOMATION_API_H_
#define BARRAGE_SERVICE_AUTOMATION_API_H_

#include "service/api.h"
#include "service/api_auth.h"
#include "service/automation.h"

namespace barrage {

struct AutomationApiContext {
  ApiAuth auth{};
  // nullptr: the routes exist (the OpenAPI document lists them) and answer 503.
  ServiceAutomation* automation = nullptr;
};

// Adds the routes above. `context` (and what it points to) must outlive the router.
void AddAutomationRoutes(ApiRouter* router, const AutomationApiContext* context);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_AUTOMATION_API_H_
