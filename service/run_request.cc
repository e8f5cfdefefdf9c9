#include "service/run_request.h"

#include <set>

#include "controller/thresholds.h"

namespace barrage {
namespace {

Status Bad(const std::string& field, const std::string& what) { return Status::InvalidArgument(field + ": " + what); }

}  // namespace

Result<RunRequest> RunRequestFromJson(const nlohmann::json& body) {
  if (!body.is_object()) return Status::InvalidArgument("the run request must be a JSON object");
  static const std::set<std::string> kFields = {"plan",  "version",  "properties", "workers", "worker_names",
                                                "share", "duration", "thresholds", "queue"};
  for (const auto& [key, value] : body.items()) {
    if (!kFields.count(key)) {
      return Bad(key,
                 "unknown field (a run takes plan, version, properties, workers, worker_names, share, duration, "
                 "thresholds, queue)");
    }
  }
  RunRequest r;
  const auto plan = body.find("plan");
  if (plan == body.end() || !plan->is_string() || plan->get<std::string>().empty()) {
    return Bad("plan", "required: the name of an uploaded plan");
  }
  r.plan = plan->get<std::string>();
  if (auto v = body.find("version"); v != body.end() && !v->is_null()) {
    if (!v->is_number_integer() || v->get<int64_t>() < 1)
      return Bad("version", "expected a version number (1, 2, ...)");
    r.version = v->get<int64_t>();
  }
  if (auto p = body.find("properties"); p != body.end() && !p->is_null()) {
    if (!p->is_object()) return Bad("properties", "expected an object of name: value");
    for (const auto& [name, value] : p->items()) {
      if (name.empty()) return Bad("properties", "a property without a name");
      if (value.is_string()) {
        r.properties.emplace_back(name, value.get<std::string>());
      } else if (value.is_number() || value.is_boolean()) {
        r.properties.emplace_back(name, value.dump());
      } else {
        return Bad("properties." + name, "expected a string, a number or a boolean");
      }
    }
  }
  if (auto w = body.find("workers"); w != body.end() && !w->is_null()) {
    if (!w->is_number_integer() || w->get<int64_t>() < 0 || w->get<int64_t>() > 10'000) {
      return Bad("workers", "expected a number of workers (0: a local run)");
    }
    r.workers = w->get<int>();
  }
  if (auto n = body.find("worker_names"); n != body.end() && !n->is_null()) {
    if (!n->is_array()) return Bad("worker_names", "expected a list of worker names");
    std::set<std::string> seen;
    for (const auto& name : *n) {
      if (!name.is_string() || name.get<std::string>().empty()) return Bad("worker_names", "expected names (strings)");
      if (!seen.insert(name.get<std::string>()).second) {
        return Bad("worker_names", "'" + name.get<std::string>() + "' is named twice");
      }
      r.worker_names.push_back(name.get<std::string>());
    }
    if (r.workers > 0 && !r.worker_names.empty()) return Bad("workers", "give workers or worker_names, not both");
  }
  if (auto s = body.find("share"); s != body.end() && !s->is_null()) {
    if (!s->is_string() || (s->get<std::string>() != "per-worker" && s->get<std::string>() != "total")) {
      return Bad("share", "expected \"per-worker\" or \"total\"");
    }
    r.share = s->get<std::string>();
  }
  if (auto d = body.find("duration"); d != body.end() && !d->is_null()) {
    if (!d->is_number_integer() || d->get<int64_t>() < 0)
      return Bad("duration", "expected seconds (0: the plan decides)");
    r.duration_s = d->get<int64_t>();
  }
  if (auto t = body.find("thresholds"); t != body.end() && !t->is_null()) {
    if (!t->is_array()) return Bad("thresholds", "expected a list of expressions such as \"p(95)<500\"");
    for (size_t i = 0; i < t->size(); ++i) {
      const auto& e = (*t)[i];
      const std::string field = "thresholds[" + std::to_string(i) + "]";
      if (!e.is_string()) return Bad(field, "expected an expression such as \"p(95)<500\"");
      if (Result<Threshold> parsed = ParseThreshold(e.get<std::string>()); !parsed.ok()) {
        return Bad(field, parsed.status().message());
      }
      r.thresholds.push_back(e.get<std::string>());
    }
  }
  if (auto q = body.find("queue"); q != body.end() && !q->is_null()) {
    if (!q->is_boolean()) return Bad("queue", "expected true or false");
    r.queue = q->get<bool>();
  }
  return r;
}

nlohmann::json RunRequestToJson(const RunRequest& r) {
  nlohmann::json props = nlohmann::json::object();
  for (const auto& [k, v] : r.properties) props[k] = v;
  return {{"plan", r.plan},
          {"version", r.version ? nlohmann::json(*r.version) : nlohmann::json(nullptr)},
          {"properties", props},
          {"workers", r.workers},
          {"worker_names", r.worker_names},
          {"share", r.share},
          {"duration", r.duration_s},
          {"thresholds", r.thresholds},
          {"queue", r.queue}};
}

}  // namespace barrage
