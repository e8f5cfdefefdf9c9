// Webhooks of `barrage serve` (issue 13 item 4): what a webhook is, its JSON in the API, the
// payload POSTed when a run completes, its signature, and the store of webhooks and of their
// delivery attempts. Delivery itself (HTTP, retries) is service/webhook_dispatcher.h.
//
// Errors are Status values whose message names the field ("url: ..."), ready for the API's
// {"error": ...}: InvalidArgument -> 400, NotFound -> 404, IoError -> 500.
#ifndef BARRAGE_SERVICE_WEBHOOKS_H_
#define BARRAGE_SERVICE_WEBHOOKS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "controller/results_store.h"
#include "controller/sql_connection.h"

namespace barrage {

// The one event there is: a run reached its final status (passed, failed, partial, aborted,
// errored).
inline constexpr std::string_view kRunFinishedEvent = "run.finished";

// A secret shorter than this is refused; a generated one has 32 random bytes (64 hex digits).
inline constexpr size_t kMinWebhookSecretBytes = 16;

struct Webhook {
  int64_t id = 0;       // the store's id; 0 before Create
  std::string project;  // the project's name
  std::string name;     // unique within the project
  std::string url;      // http:// or https:// with a host
  std::string secret;   // HMAC key of the signature; never leaves the service after creation
  std::vector<std::string> events = {std::string(kRunFinishedEvent)};
  bool enabled = true;
  std::string created_by;  // the token's name (or OS user) that created it
  int64_t created_at_ms = 0;
};

// A POST .../webhooks body: {"name": str, "url": str, "secret": str?, "events": [str]?,
// "enabled": bool?}. Without "secret" one is generated (OpenSSL RAND_bytes); the caller shows
// it once, in the creation's response (WebhookCreatedJson). Unknown fields are refused.
// created_by and created_at_ms are left for the caller. Errors name the field, e.g.
//   url: must be an http:// or https:// URL with a host, got 'ftp://x'
//   secret: must be at least 16 bytes, got 5
Result<Webhook> WebhookFromJson(const nlohmann::json& body, std::string_view project);

// {"id", "project", "name", "url", "events", "enabled", "created_by", "created_at"} (created_at
// RFC 3339 UTC with milliseconds). Never the secret.
nlohmann::ordered_json WebhookToJson(const Webhook& hook);
// WebhookToJson plus "secret": the creation's response, the only time the secret is shown.
nlohmann::ordered_json WebhookCreatedJson(const Webhook& hook);

// What the payload says about a completed run. The service fills it from the store.
struct ThresholdVerdict {
  std::string expression;  // as written, e.g. "p(95)<500"
  double observed = 0;     // NaN or infinite when there were no samples: null in JSON
  bool passed = false;
};

struct RunTotals {
  int64_t samples = 0;
  int64_t errors = 0;
  double error_rate = 0;  // errors / samples, a fraction (0.001 = 0.1 %)
  double throughput = 0;  // samples per second
  double p95_ms = 0;
  double p99_ms = 0;
  double duration_s = 0;
};

struct RunCompletion {
  int64_t run_id = 0;
  std::string project;
  std::string plan;  // the plan's (test definition's) name
  int64_t plan_version = 0;
  std::string status;   // passed, failed, partial, aborted, errored
  bool passed = false;  // the verdict: every threshold passed and the run did not fail
  std::vector<ThresholdVerdict> thresholds;
  RunTotals totals;
  int64_t started_at_ms = 0;  // epoch ms
  int64_t ended_at_ms = 0;
  std::string report_url;  // "" when the service has no public URL: then no link
};

// The completion of a finished execution as the store has it: its facts (project, the plan's
// definition name = the plan file's name, and version), its status, the threshold results
// stored for it, and totals over its rollups as `barrage report` computes them
// (LoadAggregateReport's TOTAL row: JMeter's 95% and 99% Lines). passed = status "passed" and
// no failed threshold. `report_url` is the caller's (the service knows its own address).
Result<RunCompletion> LoadRunCompletion(const ResultsStore& store, int64_t run_id, std::string report_url);

// The JSON payload, compact, fields always in this order (so equal runs give equal bytes):
//   {"event":"run.finished","run_id":42,"project":"shop","plan":"checkout.jmx","plan_version":3,
//    "status":"passed","verdict":{"passed":true,"thresholds":[{"expression":"p(95)<500",
//    "observed":120,"passed":true}]},"totals":{"samples":12345,"errors":12,"error_rate":0.00097,
//    "throughput":205.75,"p95_ms":120,"p99_ms":180,"duration_s":60},
//    "started_at":"2026-01-01T00:00:00.000Z","ended_at":"2026-01-01T00:01:00.000Z",
//    "report_url":"https://...","text":"<WebhookText>"}
std::string WebhookBody(const RunCompletion& run);

// One line for Slack (the payload's "text"; Slack's mrkdwn, &<> escaped in names):
//   barrage run 42 (shop/checkout.jmx v3): passed, 12,345 samples, 0.1 % errors, p95 120 ms <URL|report>
// A failed threshold adds ", 1 of 3 thresholds failed" after the errors; no report URL, no link.
std::string WebhookText(const RunCompletion& run);

// The event of a test delivery (POST .../webhooks/{id}/test), whatever the webhook's events.
inline constexpr std::string_view kPingEvent = "ping";

// The payload of a test delivery, compact, fields in this order:
//   {"event":"ping","project":"shop","webhook_id":7,"webhook":"slack",
//    "sent_at":"2026-01-01T00:00:00.000Z","text":"barrage: test delivery to webhook slack of project shop"}
// (names escaped in `text` as in WebhookText).
std::string WebhookPingBody(const Webhook& hook, int64_t now_ms);

// "sha256=" + lowercase hex HMAC-SHA256 of `body` keyed with `secret`: the
// X-Barrage-Signature header.
std::string SignatureHeader(std::string_view body, std::string_view secret);

// A fresh random id for X-Barrage-Delivery: a UUID version 4 ("8-4-4-4-12" lowercase hex).
std::string NewDeliveryId();

// The most rows one Deliveries() call returns (the API's ?limit=; its default is the
// caller's, e.g. 50).
inline constexpr int kMaxDeliveriesLimit = 1000;

// One row of the delivery log.
struct DeliveryAttempt {
  int64_t id = 0;  // the store's id (newest = largest)
  int64_t webhook_id = 0;
  int64_t run_id = 0;
  std::string delivery;  // X-Barrage-Delivery, the same on every attempt of one delivery
  int attempt = 0;       // 1..; 0 = no request was made (queue full, abandoned at shutdown)
  int64_t at_ms = 0;     // when the attempt started (epoch ms)
  int http_status = 0;   // 0 = no response (connection refused, timeout, ...)
  std::string error;     // "" when delivered
  int64_t duration_ms = 0;
  bool delivered = false;
};

// {"id", "webhook_id", "run_id", "delivery", "attempt", "at", "http_status", "error",
// "duration_ms", "delivered"}: one entry of GET .../webhooks/{id}/deliveries.
nlohmann::ordered_json DeliveryAttemptToJson(const DeliveryAttempt& attempt);

// Webhooks and their delivery log in the results store (tables webhook and webhook_delivery,
// controller/store_schema.cc; controller/postgres_schema.h on PostgreSQL), on a connection of
// its own (controller/sql_connection.h).
//
// Threads: every method may be called from any thread (the API's handlers and the
// dispatcher's thread); calls are serialised by an internal mutex.
class WebhookStore {
 public:
  // Opens an existing results store at its current schema version. The store's own opener
  // (ResultsStore::Open) creates and migrates the file, so `barrage serve` opens that first;
  // here an older file is refused rather than migrated half-way. `path` is a SQLite file or a
  // postgresql:// URL. Errors name it (a URL without its password).
  static Result<std::unique_ptr<WebhookStore>> Open(const std::string& path);
  ~WebhookStore();
  WebhookStore(const WebhookStore&) = delete;
  WebhookStore& operator=(const WebhookStore&) = delete;

  // Stores `hook` (validated by WebhookFromJson) in its project (created when missing, as
  // runs do) and returns it with its id. InvalidArgument "name: ..." when the project has a
  // webhook of that name.
  Result<Webhook> Create(Webhook hook);
  // The project's webhooks by id (none for an unknown project).
  Result<std::vector<Webhook>> List(std::string_view project);
  // NotFound "webhook ID not found in project P" unless the webhook is in that project.
  Result<Webhook> Get(std::string_view project, int64_t id);
  // Removes the webhook and its delivery log; NotFound as Get.
  Status Delete(std::string_view project, int64_t id);
  // The project's enabled webhooks that subscribe to `event`.
  Result<std::vector<Webhook>> Subscribers(std::string_view project, std::string_view event);

  // Appends one row to the delivery log (its id is ignored). NotFound "webhook ID not found"
  // once the webhook is deleted: the dispatcher then gives the delivery up.
  Status RecordAttempt(const DeliveryAttempt& attempt);
  // The webhook's latest `limit` rows (1..kMaxDeliveriesLimit), newest first. NotFound as
  // Get; InvalidArgument "limit: ..." for another limit.
  Result<std::vector<DeliveryAttempt>> Deliveries(std::string_view project, int64_t webhook_id, int limit);

 private:
  explicit WebhookStore(std::unique_ptr<SqlConnection> db);
  std::mutex mu_;
  std::unique_ptr<SqlConnection> db_;  // guarded by mu_
};

}  // namespace barrage

#endif  // BARRAGE_SERVICE_WEBHOOKS_H_
