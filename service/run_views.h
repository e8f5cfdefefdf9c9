// The read side of `barrage serve`'s runs (issue 13; docs/service.md): a run's facts, its
// verdict, its reports and JTL, its live progress as Server-Sent Events, a project's runs,
// and the comparison of two runs, all from the service's results store.
//
//   GET /api/v1/runs/{id}                      kReadRuns     RunJson
//   GET /api/v1/runs/{id}/verdict              kReadRuns     thresholds as `barrage report` shows them
//   GET /api/v1/runs/{id}/report?format=F      kReadReports  `barrage report RUN --format F`'s bytes
//   GET /api/v1/runs/{id}/jtl                  kReadReports  `barrage export`'s bytes, streamed
//   GET /api/v1/runs/{id}/events               kReadRuns     text/event-stream: queued, summary, output, end
//   GET /api/v1/projects/{project}/runs        kReadRuns     newest first, ?limit=n&status=s
//   GET /api/v1/compare?base=A&run=B           kReadReports  `barrage compare --format json`'s document
//
// Every route passes service/api_auth.h's RefuseUnlessAllowed. A route on a run looks the run
// up first and authorizes the action in the run's project (a token of another project gets
// Authorize's 403); an unknown run is 404 {"error": "run 12 not found"} to any valid token
// (no token: 401).
//
// Reads: every request borrows a read-only ResultsStore handle (Options::read_only: one
// query_only connection, no writer thread, never the write lock) from a pool shared by the
// routes, so readers neither wait for ingest nor slow it; a handle is opened when none is
// idle and at most `idle_read_handles` are kept. A project's list opens one of its own (its
// reads are scoped to the project). GET /runs/{id}, the route dashboards poll, may answer
// from reads up to `run_cache_ttl` old (authorization is still checked on every request).
//
// Events: `queued` on each change of position, `summary` each event_interval while running,
// `output` with the run's new whole lines of output.log (RunViewContext::output_log_path;
// each stream reads the file from its start, so a client that reconnects gets every line
// again; a line without its newline yet waits for it), then, once the run has ended and its
// runner is done writing (RunViewContext::run_active), the last `output` lines and `end`.
//
// Threads: the routes run on any threads at once; the context is read only.
#ifndef BARRAGE_SERVICE_RUN_VIEWS_H_
#define BARRAGE_SERVICE_RUN_VIEWS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "controller/results_store.h"
#include "service/api.h"
#include "service/api_auth.h"

namespace barrage {

struct RunViewContext {
  ApiAuth auth;
  std::string db_path;     // the service's results store (ServerSettings::db_path)
  std::string public_url;  // "https://bastion:8470": the base of report_url
  // The run's place in the queue (1 = next), nullopt when it is not queued. Called only for
  // runs whose status is "queued"; may be called from any thread.
  std::function<std::optional<int>(int64_t)> queue_position{};
  const Clock* clock = nullptr;  // the events' elapsed_s, the run cache's age
  // How often an event stream looks at its run again (summary events while running).
  std::chrono::milliseconds event_interval{1000};
  size_t idle_read_handles = 8;
  // The file holding run `id`'s output lines (the child `barrage run`'s stdout and stderr,
  // a cluster run's progress): data_dir/runs/<id>/output.log. Unset: no `output` events.
  // A file that does not exist (yet) has no lines.
  std::function<std::string(int64_t)> output_log_path{};
  // True while run `id`'s runner may still write to its output (RunManager::Active: a local
  // child writes its report and threshold lines after the store says the run ended): the
  // stream holds `end` back until it is false. Unset: `end` as soon as the store says so.
  std::function<bool(int64_t)> run_active{};
  // GET /runs/{id} answers from the run and error count read at most this long ago (by the
  // clock's monotonic time): N clients polling a run cost one store read per ttl, not N.
  // 0 = read every time. The queue position is asked for on every request.
  std::chrono::milliseconds run_cache_ttl{0};
};

// The API's view of a run (GET /api/v1/runs/{id}, and what POST .../runs answers):
// {"id", "project", "plan" (the definition's name, else plan_name), "version" (definition
// version or null), "status" (ExecutionStatusName), "queue_position" (int while queued,
// else null), "samples", "errors" (failed samples, ResultsStore::CountErrors), "started_at_ms",
// "ended_at_ms" (null while running), "verdict" ("passed"|"failed"|null), "triggered_by",
// "mode" (infra's mode: "local", "cluster", "imported"), "workers" (infra's workers, 0 when
// local), "properties" (object), "dropped_iterations",
// "report_url": "<public_url>/api/v1/runs/<id>/report?format=html"}.
nlohmann::json RunJson(const ExecutionRecord& run, uint64_t errors, std::optional<int> queue_position,
                       std::string_view public_url);

// RunJson of run `id` read from `store` (its errors too) and `queue_position` (may be empty:
// null). NotFound "run ID not found" for an unknown id.
Result<nlohmann::json> LoadRunJson(const ResultsStore& store, int64_t id,
                                   const std::function<std::optional<int>(int64_t)>& queue_position,
                                   std::string_view public_url);

// Adds the routes above. `context` (and what it points to) must outlive the router.
void AddRunViewRoutes(ApiRouter* router, const RunViewContext* context);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_RUN_VIEWS_H_
