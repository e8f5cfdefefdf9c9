// The routes of `barrage serve`'s HTTP API (issue 13; docs/service.md), built over the
// service's parts. Every route is in the OpenAPI document (service/openapi/openapi.json,
// served at /api/v1/openapi.json) and every path of the document is a route: a test checks
// both ways.
#ifndef BARRAGE_SERVICE_SERVICE_API_H_
#define BARRAGE_SERVICE_SERVICE_API_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/metrics_registry.h"
#include "service/api.h"
#include "service/api_auth.h"
#include "service/run_api.h"
#include "service/run_views.h"
#include "service/worker_pool.h"

namespace barrage {

struct AutomationApiContext;  // service/automation_api.h

// The OpenAPI 3 document, as built (version filled in).
std::string_view OpenApiDocument();

struct ServiceApiContext {
  std::string public_url;  // "http://127.0.0.1:8470": the document's server
  // Every route but health and the document authenticates the request's bearer token and
  // authorizes its action (service/api_auth.h).
  ApiAuth auth{};
  // The pool now (service/cluster_host.h ClusterHost::Workers).
  std::function<std::vector<PooledWorker>()> workers{};
  // The project of a run a worker is busy in (nullopt: unknown): GET /workers shows the run
  // id only to tokens of that project. Unset: never shown.
  std::function<std::optional<std::string>(int64_t run)> run_project{};
  // Plans and runs (service/run_api.h); unset: those routes are absent.
  const RunApiContext* runs = nullptr;
  // Schedules and webhooks (service/automation_api.h); nullptr: their routes answer 503.
  AutomationApiContext* automation = nullptr;
  // The runs' read side (service/run_views.h); its routes are added only when set.
  const RunViewContext* run_views{};
  // GET /metrics for a token of `project` (service/service_metrics.h); unset: the route answers 404.
  std::function<std::string(MetricsFormat format, const std::string& project)> metrics{};
};

// The router with every route of the API. `context` (and what it points to) must outlive it.
//   GET    /api/v1/health, /api/v1/openapi.json       no token
//   GET    /api/v1/workers                            any valid token: the pool (name, host,
//                                                     cores, version, state, since; a busy
//                                                     worker's run id for its project's tokens)
//   GET    /api/v1/metrics                            any valid token: Prometheus/OpenMetrics text
//                                                     of its project's runs, the pool, run counts
//                                                     (service/service_metrics.h)
//   GET    /api/v1/projects/{p}/tokens                admin: service/token_api.h
//   POST   /api/v1/projects/{p}/tokens                admin
//   DELETE /api/v1/projects/{p}/tokens/{name}         admin
//   GET    /api/v1/projects/{p}/audit?limit=n         admin
//   plans and runs (when context->runs is set)         service/run_api.h
//   /api/v1/projects/{p}/schedules..., /webhooks...   service/automation_api.h
//   GET    /api/v1/runs/{id}..., /projects/{p}/runs, /compare   service/run_views.h
//   GET    /, /ui/{file}                           no token: the web UI, service/web_ui.h
ApiRouter BuildServiceApi(const ServiceApiContext* context);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_SERVICE_API_H_
