// The write side of `barrage serve`'s run API (issue 13 item 2): plan uploads and their
// list, starting and stopping runs. Every route authenticates and authorizes through
// service/api_auth.h; mutations are audit-logged with the token's name.
//
//   POST /api/v1/projects/{p}/plans     tester  multipart/form-data: field "plan" (the .jmx,
//        its file name is the plan's name), any number of "data" files (their file names,
//        relative paths allowed, are where the plan finds them) → 201 a new version, 200 the
//        same content again: {"name", "version", "sha256", "created", "created_at_ms",
//        "files": [{"name", "size", "sha256"}]}
//   GET  /api/v1/projects/{p}/plans     tester  [the same objects], by name then version
//   POST /api/v1/projects/{p}/runs      tester  service/run_request.h's body → 201
//        {"id", "status": "queued"|"running", "queue_position"}; 404 unknown plan/version,
//        409 busy with "queue": false
//   POST /api/v1/runs/{id}/stop         tester  optional body {"now": true} → 202
//        {"id", "stopping": true}; 404 not queued or running
//
// Errors are {"error": "..."} naming the field: 400 (bad body or form), 413 (a plan above
// max_plan_bytes), 404, 409, 500 (the store).
#ifndef BARRAGE_SERVICE_RUN_API_H_
#define BARRAGE_SERVICE_RUN_API_H_

#include <cstdint>
#include <string>

#include "service/api.h"
#include "service/api_auth.h"
#include "service/run_manager.h"

namespace barrage {

struct RunApiContext {
  ApiAuth auth;
  RunManager* runs = nullptr;
  std::string db_path;
  std::string data_dir;
  int64_t max_plan_bytes = 16LL << 20;
};

// Adds the routes above. `context` (and what it points to) must outlive the router.
void AddRunRoutes(ApiRouter* router, const RunApiContext* context);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_RUN_API_H_
