#include "service/webhooks.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <utility>

#include "common/clock.h"
#include "common/digest.h"
#include "controller/report_command.h"
#include "controller/sql_connection.h"
#include "controller/store_schema.h"

namespace barrage {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxSecretBytes = 1024;

// "2026-01-01T00:00:00.000Z".
std::string Rfc3339Millis(int64_t epoch_ms) {
  const int64_t ms = ((epoch_ms % 1000) + 1000) % 1000;
  std::time_t t = static_cast<std::time_t>((epoch_ms - ms) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

Result<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("secret: the random generator failed");
  }
  return bytes;
}

// libcurl's URL parser (the one the request will use): http or https, and a host.
bool IsHttpUrlWithHost(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return false;
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  char* scheme = nullptr;
  char* host = nullptr;
  ok = ok && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
       curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  ok = ok && (std::string_view(scheme) == "http" || std::string_view(scheme) == "https") && host[0] != '\0';
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return ok;
}

// JSON text of a number that may be NaN or infinite (no samples): null then.
ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

// "12,345".
std::string GroupThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// "0 %" without errors, "< 0.1 %" for fewer than one in two thousand, else one decimal.
std::string ErrorPercent(int64_t errors, double rate) {
  if (errors == 0 || !(rate > 0)) return "0 %";
  const double percent = rate * 100;
  if (percent < 0.05) return "< 0.1 %";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", percent);
  return buf;
}

// Slack's mrkdwn reserves &, < and >.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

Webhook ReadWebhook(const SqlRow& q) {
  Webhook h;
  h.id = q.Int(0);
  h.project = q.Text(1);
  h.name = q.Text(2);
  h.url = q.Text(3);
  h.secret = q.Text(4);
  h.events.clear();
  const nlohmann::json events = nlohmann::json::parse(q.Text(5), nullptr, false);
  if (events.is_array()) {
    for (const auto& e : events) {
      if (e.is_string()) h.events.push_back(e.get<std::string>());
    }
  }
  h.enabled = q.Bool(6);
  h.created_by = q.Text(7);
  h.created_at_ms = q.Int(8);
  return h;
}

constexpr const char* kSelectWebhook =
    "SELECT w.id, p.name, w.name, w.url, w.secret, w.events, w.enabled, w.created_by, w.created_at"
    " FROM webhook w JOIN project p ON p.id = w.project_id";

Status WebhookNotFound(int64_t id, std::string_view project) {
  return Status::NotFound("webhook " + std::to_string(id) + " not found in project " + std::string(project));
}

}  // namespace

Result<Webhook> WebhookFromJson(const nlohmann::json& body, std::string_view project) {
  if (!body.is_object()) return Status::InvalidArgument("body: must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "name" && key != "url" && key != "secret" && key != "events" && key != "enabled") {
      return Status::InvalidArgument(key + ": unknown field (known: name, url, secret, events, enabled)");
    }
  }
  Webhook hook;
  hook.project = std::string(project);
  auto string_field = [&](const char* key, bool required, size_t max, std::string* out) -> Status {
    auto it = body.find(key);
    if (it == body.end()) {
      return required ? Status::InvalidArgument(std::string(key) + ": required") : Status::Ok();
    }
    if (!it->is_string()) return Status::InvalidArgument(std::string(key) + ": must be a string");
    *out = it->get<std::string>();
    if (out->size() > max) {
      return Status::InvalidArgument(std::string(key) + ": at most " + std::to_string(max) + " bytes, got " +
                                     std::to_string(out->size()));
    }
    return Status::Ok();
  };
  if (Status st = string_field("name", true, kMaxNameBytes, &hook.name); !st.ok()) return st;
  if (hook.name.empty()) return Status::InvalidArgument("name: must not be empty");
  if (Status st = string_field("url", true, kMaxUrlBytes, &hook.url); !st.ok()) return st;
  if (!IsHttpUrlWithHost(hook.url)) {
    return Status::InvalidArgument("url: must be an http:// or https:// URL with a host, got '" + hook.url + "'");
  }
  if (body.contains("secret")) {
    if (Status st = string_field("secret", false, kMaxSecretBytes, &hook.secret); !st.ok()) return st;
    if (hook.secret.size() < kMinWebhookSecretBytes) {
      return Status::InvalidArgument("secret: must be at least " + std::to_string(kMinWebhookSecretBytes) +
                                     " bytes, got " + std::to_string(hook.secret.size()));
    }
  } else {
    Result<std::string> bytes = RandomBytes(32);
    if (!bytes.ok()) return bytes.status();
    hook.secret = LowerHex(*bytes);
  }
  if (auto it = body.find("events"); it != body.end()) {
    if (!it->is_array() || it->empty()) {
      return Status::InvalidArgument("events: must be a non-empty array of event names (known: run.finished)");
    }
    hook.events.clear();
    for (const auto& e : *it) {
      if (!e.is_string() || e.get<std::string>() != kRunFinishedEvent) {
        return Status::InvalidArgument("events: unknown event " + e.dump() + " (known: run.finished)");
      }
      if (std::find(hook.events.begin(), hook.events.end(), e.get<std::string>()) == hook.events.end()) {
        hook.events.push_back(e.get<std::string>());
      }
    }
  }
  if (auto it = body.find("enabled"); it != body.end()) {
    if (!it->is_boolean()) return Status::InvalidArgument("enabled: must be true or false");
    hook.enabled = it->get<bool>();
  }
  return hook;
}

ordered_json WebhookToJson(const Webhook& hook) {
  ordered_json j;
  j["id"] = hook.id;
  j["project"] = hook.project;
  j["name"] = hook.name;
  j["url"] = hook.url;
  j["events"] = hook.events;
  j["enabled"] = hook.enabled;
  j["created_by"] = hook.created_by;
  j["created_at"] = Rfc3339Millis(hook.created_at_ms);
  return j;
}

ordered_json WebhookCreatedJson(const Webhook& hook) {
  ordered_json j = WebhookToJson(hook);
  j["secret"] = hook.secret;
  return j;
}

Result<RunCompletion> LoadRunCompletion(const ResultsStore& store, int64_t run_id, std::string report_url) {
  Result<ExecutionRecord> run = store.GetExecution(run_id);
  if (!run.ok()) return run.status();
  Result<std::vector<ThresholdRecord>> thresholds = store.ThresholdResults(run_id);
  if (!thresholds.ok()) return thresholds.status();
  Result<AggregateReport> report = LoadAggregateReport(store, run_id);
  if (!report.ok()) return report.status();
  RunCompletion c;
  c.run_id = run_id;
  c.project = run->project;
  // A definition is named after the plan file (ResultsStore::BeginExecution).
  c.plan = std::filesystem::path(run->plan_path).filename().string();
  if (c.plan.empty()) c.plan = run->plan_name;
  c.plan_version = run->definition_version;
  c.status = std::string(ExecutionStatusName(run->status));
  c.passed = run->status == ExecutionStatus::kPassed;
  for (const ThresholdRecord& t : *thresholds) {
    c.thresholds.push_back({t.expression, t.observed, t.passed});
    c.passed = c.passed && t.passed;
  }
  const AggregateRow total = report->Rows().back();
  c.totals.samples = static_cast<int64_t>(total.count);
  c.totals.errors = static_cast<int64_t>(report->total().errors);
  c.totals.error_rate = total.error_fraction;
  c.totals.throughput = total.throughput;
  c.totals.p95_ms = static_cast<double>(total.line2);  // the default lines: 90, 95, 99
  c.totals.p99_ms = static_cast<double>(total.line3);
  c.started_at_ms = run->started_at_ms;
  c.ended_at_ms = run->ended_at_ms.value_or(0);
  c.totals.duration_s = run->ended_at_ms ? static_cast<double>(*run->ended_at_ms - run->started_at_ms) / 1000 : 0;
  c.report_url = std::move(report_url);
  return c;
}

std::string WebhookText(const RunCompletion& run) {
  std::string text = "barrage run " + std::to_string(run.run_id) + " (" + SlackEscape(run.project) + "/" +
                     SlackEscape(run.plan) + " v" + std::to_string(run.plan_version) + "): " + SlackEscape(run.status) +
                     ", " + GroupThousands(run.totals.samples) + " samples, " +
                     ErrorPercent(run.totals.errors, run.totals.error_rate) + " errors";
  size_t failed = 0;
  for (const ThresholdVerdict& t : run.thresholds) failed += t.passed ? 0 : 1;
  if (failed > 0) {
    text += ", " + std::to_string(failed) + " of " + std::to_string(run.thresholds.size()) + " thresholds failed";
  }
  if (std::isfinite(run.totals.p95_ms)) text += ", p95 " + std::to_string(std::llround(run.totals.p95_ms)) + " ms";
  if (!run.report_url.empty()) text += " <" + run.report_url + "|report>";
  return text;
}

std::string WebhookBody(const RunCompletion& run) {
  ordered_json j;
  j["event"] = kRunFinishedEvent;
  j["run_id"] = run.run_id;
  j["project"] = run.project;
  j["plan"] = run.plan;
  j["plan_version"] = run.plan_version;
  j["status"] = run.status;
  ordered_json thresholds = ordered_json::array();
  for (const ThresholdVerdict& t : run.thresholds) {
    ordered_json e;
    e["expression"] = t.expression;
    e["observed"] = Number(t.observed);
    e["passed"] = t.passed;
    thresholds.push_back(std::move(e));
  }
  j["verdict"]["passed"] = run.passed;
  j["verdict"]["thresholds"] = std::move(thresholds);
  ordered_json& totals = j["totals"];
  totals["samples"] = run.totals.samples;
  totals["errors"] = run.totals.errors;
  totals["error_rate"] = Number(run.totals.error_rate);
  totals["throughput"] = Number(run.totals.throughput);
  totals["p95_ms"] = Number(run.totals.p95_ms);
  totals["p99_ms"] = Number(run.totals.p99_ms);
  totals["duration_s"] = Number(run.totals.duration_s);
  j["started_at"] = Rfc3339Millis(run.started_at_ms);
  j["ended_at"] = Rfc3339Millis(run.ended_at_ms);
  j["report_url"] = run.report_url;
  j["text"] = WebhookText(run);
  // Names are the user's bytes: invalid UTF-8 is replaced (U+FFFD) rather than throwing.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string WebhookPingBody(const Webhook& hook, int64_t now_ms) {
  ordered_json j;
  j["event"] = kPingEvent;
  j["project"] = hook.project;
  j["webhook_id"] = hook.id;
  j["webhook"] = hook.name;
  j["sent_at"] = Rfc3339Millis(now_ms);
  j["text"] =
      "barrage: test delivery to webhook " + SlackEscape(hook.name) + " of project " + SlackEscape(hook.project);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string SignatureHeader(std::string_view body, std::string_view secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  return "sha256=" + LowerHex(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string NewDeliveryId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // Uniqueness, not secrecy, is what the id needs: the clock and a counter give it too.
    static std::atomic<uint64_t> counter{0};
    const uint64_t hi = static_cast<uint64_t>(MonotonicMicros()), lo = ++counter;
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(hi >> (8 * i));
    for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>(lo >> (8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = LowerHex(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

ordered_json DeliveryAttemptToJson(const DeliveryAttempt& a) {
  ordered_json j;
  j["id"] = a.id;
  j["webhook_id"] = a.webhook_id;
  j["run_id"] = a.run_id;
  j["delivery"] = a.delivery;
  j["attempt"] = a.attempt;
  j["at"] = Rfc3339Millis(a.at_ms);
  j["http_status"] = a.http_status;
  j["error"] = a.error;
  j["duration_ms"] = a.duration_ms;
  j["delivered"] = a.delivered;
  return j;
}

Result<std::unique_ptr<WebhookStore>> WebhookStore::Open(const std::string& path) {
  std::error_code ec;
  if (!IsPostgresUrl(path) && !std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": no results store (barrage serve creates it first)");
  }
  Result<std::unique_ptr<SqlConnection>> db = SqlConnection::Open(path);
  if (!db.ok()) return db.status();
  Result<int> version = (*db)->SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version != kStoreSchemaVersion) {
    return Status::InvalidArgument((*db)->name() + ": results store has schema version " + std::to_string(*version) +
                                   ", webhooks need version " + std::to_string(kStoreSchemaVersion) +
                                   " (opening it as the results store first migrates it)");
  }
  return std::unique_ptr<WebhookStore>(new WebhookStore(std::move(db).value()));
}

WebhookStore::WebhookStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
WebhookStore::~WebhookStore() = default;

Result<Webhook> WebhookStore::Create(Webhook hook) {
  std::lock_guard lock(mu_);
  Status st = db_->Transaction([&]() -> Status {
    Result<int64_t> n = db_->Exec("INSERT INTO project(name, created_at) VALUES ($1, $2) ON CONFLICT(name) DO NOTHING",
                                  SqlParams().Text(hook.project).Int(hook.created_at_ms));
    if (!n.ok()) return n.status();
    bool duplicate = false;
    Status s =
        db_->Query("SELECT 1 FROM webhook w JOIN project p ON p.id = w.project_id WHERE p.name = $1 AND w.name = $2",
                   SqlParams().Text(hook.project).Text(hook.name), [&](const SqlRow&) { duplicate = true; });
    if (!s.ok()) return s;
    if (duplicate) {
      return Status::InvalidArgument("name: project " + hook.project + " already has a webhook named '" + hook.name +
                                     "'");
    }
    return db_->Query(
        "INSERT INTO webhook(project_id, name, url, secret, events, enabled, created_by, created_at)"
        " VALUES ((SELECT id FROM project WHERE name = $1), $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        SqlParams()
            .Text(hook.project)
            .Text(hook.name)
            .Text(hook.url)
            .Text(hook.secret)
            .Text(nlohmann::json(hook.events).dump())
            .Bool(hook.enabled)
            .Text(hook.created_by)
            .Int(hook.created_at_ms),
        [&](const SqlRow& q) { hook.id = q.Int(0); });
  });
  if (!st.ok()) return st;
  return hook;
}

Result<std::vector<Webhook>> WebhookStore::List(std::string_view project) {
  std::lock_guard lock(mu_);
  std::vector<Webhook> hooks;
  Status st = db_->Query(std::string(kSelectWebhook) + " WHERE p.name = $1 ORDER BY w.id", SqlParams().Text(project),
                         [&](const SqlRow& q) { hooks.push_back(ReadWebhook(q)); });
  if (!st.ok()) return st;
  return hooks;
}

Result<Webhook> WebhookStore::Get(std::string_view project, int64_t id) {
  std::lock_guard lock(mu_);
  std::optional<Webhook> hook;
  Status st = db_->Query(std::string(kSelectWebhook) + " WHERE p.name = $1 AND w.id = $2",
                         SqlParams().Text(project).Int(id), [&](const SqlRow& q) { hook = ReadWebhook(q); });
  if (!st.ok()) return st;
  if (!hook) return WebhookNotFound(id, project);
  return *hook;
}

Status WebhookStore::Delete(std::string_view project, int64_t id) {
  if (Result<Webhook> hook = Get(project, id); !hook.ok()) return hook.status();
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    Result<int64_t> n = db_->Exec("DELETE FROM webhook_delivery WHERE webhook_id = $1", SqlParams().Int(id));
    if (n.ok()) n = db_->Exec("DELETE FROM webhook WHERE id = $1", SqlParams().Int(id));
    return n.ok() ? Status::Ok() : n.status();
  });
}

Result<std::vector<Webhook>> WebhookStore::Subscribers(std::string_view project, std::string_view event) {
  Result<std::vector<Webhook>> all = List(project);
  if (!all.ok()) return all.status();
  std::vector<Webhook> out;
  for (Webhook& h : *all) {
    if (h.enabled && std::find(h.events.begin(), h.events.end(), event) != h.events.end()) out.push_back(std::move(h));
  }
  return out;
}

Status WebhookStore::RecordAttempt(const DeliveryAttempt& a) {
  std::lock_guard lock(mu_);
  Result<int64_t> n = db_->Exec(
      "INSERT INTO webhook_delivery(webhook_id, execution_id, delivery, attempt, at, http_status, error,"
      " duration_ms, delivered) SELECT id, $1, $2, $3, $4, $5, $6, $7, $8 FROM webhook WHERE id = $9",
      SqlParams()
          .Int(a.run_id)
          .Text(a.delivery)
          .Int(a.attempt)
          .Int(a.at_ms)
          .Int(a.http_status)
          .Text(a.error)
          .Int(a.duration_ms)
          .Bool(a.delivered)
          .Int(a.webhook_id));
  if (!n.ok()) return n.status();
  if (*n == 0) return Status::NotFound("webhook " + std::to_string(a.webhook_id) + " not found");
  return Status::Ok();
}

Result<std::vector<DeliveryAttempt>> WebhookStore::Deliveries(std::string_view project, int64_t webhook_id, int limit) {
  if (limit < 1 || limit > kMaxDeliveriesLimit) {
    return Status::InvalidArgument("limit: must be 1 to " + std::to_string(kMaxDeliveriesLimit) + ", got " +
                                   std::to_string(limit));
  }
  if (Result<Webhook> hook = Get(project, webhook_id); !hook.ok()) return hook.status();
  std::lock_guard lock(mu_);
  std::vector<DeliveryAttempt> rows;
  Status st = db_->Query(
      "SELECT id, webhook_id, execution_id, delivery, attempt, at, http_status, error, duration_ms, delivered"
      " FROM webhook_delivery WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
      SqlParams().Int(webhook_id).Int(limit), [&](const SqlRow& q) {
        DeliveryAttempt a;
        a.id = q.Int(0);
        a.webhook_id = q.Int(1);
        a.run_id = q.Int(2);
        a.delivery = q.Text(3);
        a.attempt = static_cast<int>(q.Int(4));
        a.at_ms = q.Int(5);
        a.http_status = static_cast<int>(q.Int(6));
        a.error = q.Text(7);
        a.duration_ms = q.Int(8);
        a.delivered = q.Bool(9);
        rows.push_back(std::move(a));
      });
  if (!st.ok()) return st;
  return rows;
}

}  // namespace barrage
