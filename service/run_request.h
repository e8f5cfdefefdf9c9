// The body of POST /api/v1/projects/{project}/runs (issue 13), also a schedule's `run`
// (service/schedules.h): which plan version runs where, with what, judged how.
//
//   {"plan": "shop.jmx",            required: the uploaded plan's name
//    "version": 3,                  default: its newest version
//    "properties": {"users": "50"}, JMeter properties (-J); values strings, numbers or booleans
//    "workers": 2,                  cluster run on N idle workers of the pool; 0/absent: local
//    "worker_names": ["lg-01"],     cluster run on exactly these (excludes "workers")
//    "share": "per-worker",         or "total": thread counts divided across the workers
//    "duration": 600,               seconds: stop gracefully then (0/absent: the plan decides)
//    "thresholds": ["p(95)<500"],   as --threshold (controller/thresholds.h)
//    "queue": true}                 false: refuse (409) instead of waiting for busy workers
//
// An unknown field, a wrong type or a bad value is an error naming the field. Thread-safe.
#ifndef BARRAGE_SERVICE_RUN_REQUEST_H_
#define BARRAGE_SERVICE_RUN_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace barrage {

struct RunRequest {
  std::string plan;
  std::optional<int64_t> version;
  std::vector<std::pair<std::string, std::string>> properties;  // in the body's order
  int workers = 0;
  std::vector<std::string> worker_names;
  std::string share = "per-worker";
  int64_t duration_s = 0;
  std::vector<std::string> thresholds;
  bool queue = true;

  bool cluster() const { return workers > 0 || !worker_names.empty(); }
};

Result<RunRequest> RunRequestFromJson(const nlohmann::json& body);
// The request as JSON (every field, defaults included; keys sorted), e.g. for the run's record.
nlohmann::json RunRequestToJson(const RunRequest& request);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_RUN_REQUEST_H_
