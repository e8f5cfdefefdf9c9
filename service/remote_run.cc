#include "service/remote_run.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "common/exit_codes.h"
#include "controller/cluster_data.h"
#include "controller/run_signals.h"
#include "service/plan_store.h"
#include "service/service_info.h"

namespace barrage {
namespace {

namespace fs = std::filesystem;

// A reply of the service; status 0 when none came (then `error` is libcurl's message).
struct Reply {
  long status = 0;
  std::string body;
  std::string error;
  bool aborted = false;  // stopped by the caller (a second Ctrl-C)
};

struct FormFile {
  std::string field;
  std::string filename;
  const std::string* content;
};

// libcurl's easy interface against the service's API: one handle per request (requests come
// from the command's thread and the signal watcher's), the token and the CA on each.
class ApiClient {
 public:
  ApiClient(std::string api, std::string token, std::string ca_file)
      : api_(std::move(api)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}

  Reply Get(const std::string& path) const { return Perform(path); }

  Reply PostJson(const std::string& path, const nlohmann::json& body) const {
    const std::string text = body.dump();
    return Perform(path,
                   [&text](CURL* c) {
                     curl_easy_setopt(c, CURLOPT_POST, 1L);
                     curl_easy_setopt(c, CURLOPT_POSTFIELDS, text.data());
                     curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(text.size()));
                   },
                   nullptr, nullptr, {"Content-Type: application/json"});
  }

  Reply PostForm(const std::string& path, const std::vector<FormFile>& files) const {
    curl_mime* mime = nullptr;
    Reply r = Perform(path, [&](CURL* c) {
      mime = curl_mime_init(c);
      for (const FormFile& f : files) {
        curl_mimepart* part = curl_mime_addpart(mime);
        curl_mime_name(part, f.field.c_str());
        curl_mime_filename(part, f.filename.c_str());
        curl_mime_data(part, f.content->data(), f.content->size());
        curl_mime_type(part, "application/octet-stream");
      }
      curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    });
    curl_mime_free(mime);
    return r;
  }

  // GET whose 2xx body goes to `on_bytes` as it arrives (false: stop); another status's
  // body is the reply's. `abandon` set stops the transfer (Reply::aborted).
  Reply Stream(const std::string& path, const std::function<bool(std::string_view)>& on_bytes,
               const std::atomic<bool>* abandon) const {
    return Perform(path, nullptr, &on_bytes, abandon);
  }

 private:
  struct Transfer {
    CURL* curl = nullptr;
    Reply* reply = nullptr;
    const std::function<bool(std::string_view)>* on_bytes = nullptr;
    const std::atomic<bool>* abandon = nullptr;
  };

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string_view bytes(data, size * n);
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->on_bytes && status >= 200 && status < 300) return (*t->on_bytes)(bytes) ? bytes.size() : 0;
    t->reply->body.append(bytes);
    return bytes.size();
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    return t->abandon && t->abandon->load() ? 1 : 0;
  }

  Reply Perform(const std::string& path, const std::function<void(CURL*)>& setup = nullptr,
                const std::function<bool(std::string_view)>* on_bytes = nullptr,
                const std::atomic<bool>* abandon = nullptr, const std::vector<std::string>& extra_headers = {}) const {
    Reply reply;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> handle(curl_easy_init(), &curl_easy_cleanup);
    if (!handle) {
      reply.error = "libcurl: cannot create a handle";
      return reply;
    }
    CURL* c = handle.get();
    curl_slist* headers = nullptr;
    if (!token_.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
    for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for uploads
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
    const std::string url = api_ + path;
    const std::string agent = "barrage/" + std::string(ServiceVersion());
    char error[CURL_ERROR_SIZE] = {0};
    Transfer transfer{c, &reply, on_bytes, abandon};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
    if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    // The service writes to an event stream at least every second: 30 s of silence is a
    // connection gone.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    if (setup) setup(c);
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      reply.aborted = true;
      reply.error = "stopped waiting";
    } else if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && on_bytes)) {
      reply.error = error[0] ? error : curl_easy_strerror(rc);
      if (reply.body.empty()) reply.status = 0;  // a reply cut short is no reply
    }
    return reply;
  }

  const std::string api_;
  const std::string token_;
  const std::string ca_file_;
};

// The service's {"error"} text of a refused request, else the start of its body.
std::string ErrorText(const Reply& r) {
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) return body["error"].get<std::string>();
  std::string text = r.body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "no reason given" : text;
}

// Prints why `what` failed; the exit code (2 for the service's 400, else 1).
int Failed(const Reply& r, const std::string& what, const std::string& server, std::ostream& err) {
  if (r.status == 0) {
    err << "barrage: " << what << ": " << server << ": " << r.error << "\n";
    return kExitRuntimeFailure;
  }
  const std::string reason = ErrorText(r) + " (HTTP " + std::to_string(r.status) + ")";
  if (r.status == 401 || r.status == 403) {
    err << "barrage: token refused: " << reason << "\n";
    return kExitRuntimeFailure;
  }
  err << "barrage: " << what << ": " << reason << "\n";
  return r.status == 400 ? kExitUsage : kExitRuntimeFailure;
}

std::optional<nlohmann::json> JsonOf(const Reply& r) {
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

std::string Escaped(const std::string& segment) {
  std::unique_ptr<char, decltype(&curl_free)> e(
      curl_easy_escape(nullptr, segment.c_str(), static_cast<int>(segment.size())), &curl_free);
  return e ? std::string(e.get()) : segment;
}

// Messages of the command's two threads (its own and the signal watcher's), whole lines.
class Messages {
 public:
  explicit Messages(std::ostream& err) : err_(err) {}
  void Say(const std::string& line) {
    std::lock_guard lock(mu_);
    err_ << "barrage: " << line << "\n" << std::flush;
  }

 private:
  std::mutex mu_;
  std::ostream& err_;
};

}  // namespace

nlohmann::json RemoteRunBody(const RemoteRunOptions& options, const std::string& plan, int64_t version,
                             const std::vector<std::string>& thresholds) {
  nlohmann::json body = {{"plan", plan}, {"version", version}};
  const RunOptions& run = options.run;
  if (!run.properties.empty()) {
    nlohmann::json properties = nlohmann::json::object();
    for (const std::string& kv : run.properties) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) continue;  // PrepareRun refuses them first
      properties[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    body["properties"] = std::move(properties);
  }
  if (run.duration_s > 0) body["duration"] = run.duration_s;
  if (!thresholds.empty()) body["thresholds"] = thresholds;
  if (run.cluster.workers > 0) body["workers"] = run.cluster.workers;
  if (!run.cluster.worker_names.empty()) body["worker_names"] = run.cluster.worker_names;
  if (!run.cluster.share.empty()) body["share"] = run.cluster.share;
  if (!options.queue) body["queue"] = false;
  return body;
}

Result<std::string> DataFileUploadName(const std::string& name) {
  const fs::path path(name);
  const fs::path normal = path.lexically_normal();
  const std::string outside = "data file '" + name +
                              "' is outside the plan's folder: the service puts a plan's data files next to it, "
                              "so name it by a path inside the plan's folder";
  if (path.is_absolute() || normal.empty() || *normal.begin() == "..") return Status::InvalidArgument(outside);
  const std::string upload = normal.generic_string();
  if (Status s = CheckUploadName("data", upload); !s.ok()) return Status::InvalidArgument(outside);
  return upload;
}

int ExitCodeOfRunStatus(std::string_view status) {
  if (status == "passed") return kExitOk;
  if (status == "failed") return kExitThresholdFailed;
  return kExitRuntimeFailure;
}

std::vector<SseParser::Event> SseParser::Feed(std::string_view bytes) {
  std::vector<Event> events;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl = pending_.find('\n', start); nl != std::string::npos; nl = pending_.find('\n', start)) {
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Line(line, &events);
    start = nl + 1;
  }
  pending_.erase(0, start);
  return events;
}

void SseParser::Line(std::string_view line, std::vector<Event>* events) {
  if (line.empty()) {
    if (has_data_) events->push_back({name_.empty() ? "message" : name_, data_});
    name_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    name_ = std::string(value);
  } else if (field == "data") {
    if (has_data_) data_ += "\n";
    data_ += value;
    has_data_ = true;
  }
}

int RunOnServer(const RemoteRunOptions& options, std::ostream& out, std::ostream& err) {
  std::string server = options.server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
    err << "barrage: --server '" << options.server << "': expected http://HOST:PORT or https://HOST:PORT\n";
    return kExitUsage;
  }
  std::string token = options.token;
  if (token.empty()) {
    if (const char* env = std::getenv("BARRAGE_TOKEN")) token = env;
  }
  // From the first step, as a local run: a signal before the run exists ends the command.
  RunSignals signals;
  int exit_code = kExitOk;
  std::unique_ptr<PreparedRun> prepared = PrepareRun(options.run, ReadPlanFile, err, &exit_code);
  if (!prepared) return exit_code;
  const LoadedPlan& loaded = prepared->loaded;
  std::vector<std::string> skipped;
  Result<std::vector<ClusterDataFile>> files = CollectDataFiles(loaded.compiled.plan, loaded.base_dir, {}, &skipped);
  if (!files.ok()) {
    err << "barrage: " << files.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& name : skipped) {
    err << "barrage: data file '" << name << "' is named at run time: not uploaded (the service must have it)\n";
  }
  std::vector<FormFile> form = {{"plan", loaded.file_name, &loaded.bytes}};
  std::set<std::string> uploaded;
  for (const ClusterDataFile& f : *files) {
    Result<std::string> name = DataFileUploadName(f.plan_path);
    if (!name.ok()) {
      err << "barrage: " << loaded.path << ": " << name.status().message() << "\n";
      return kExitUsage;
    }
    if (uploaded.insert(*name).second) form.push_back({"data", *name, &f.content});
  }
  std::vector<std::string> thresholds;
  for (const Threshold& t : prepared->thresholds) thresholds.push_back(t.expression);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  struct CurlGlobal {
    ~CurlGlobal() { curl_global_cleanup(); }
  } curl_global;
  const ApiClient api(server + "/api/v1", token, options.server_ca);
  const std::string project = options.run.project;

  Reply up = api.PostForm("/projects/" + Escaped(project) + "/plans", form);
  std::optional<nlohmann::json> version = JsonOf(up);
  if (up.status != 200 && up.status != 201) return Failed(up, "uploading " + loaded.path, server, err);
  if (!version || !(*version)["version"].is_number_integer()) {
    err << "barrage: uploading " << loaded.path << ": the service's reply has no version: " << up.body << "\n";
    return kExitRuntimeFailure;
  }
  const std::string plan_name =
      (*version)["name"].is_string() ? (*version)["name"].get<std::string>() : loaded.file_name;
  const int64_t plan_version = (*version)["version"].get<int64_t>();
  Messages messages(err);
  messages.Say("plan " + plan_name + " version " + std::to_string(plan_version) + " in project " + project + " (" +
               (up.status == 201 ? "new" : "as uploaded before") + ", " + std::to_string(form.size() - 1) +
               " data file(s))");

  // From here a signal stops the run instead of ending the command.
  std::atomic<int64_t> run_id{0};
  std::atomic<bool> stop_wanted{false};
  std::atomic<bool> stop_sent{false};
  std::atomic<bool> abandon{false};
  auto send_stop = [&] {
    const int64_t id = run_id.load();
    if (id == 0 || stop_sent.exchange(true)) return;
    messages.Say("stopping run " + std::to_string(id) + " on the service (Ctrl-C again to stop waiting)");
    Reply r = api.PostJson("/runs/" + std::to_string(id) + "/stop", nlohmann::json::object());
    if (r.status != 202) {
      messages.Say("stopping run " + std::to_string(id) + ": " +
                   (r.status == 0 ? r.error : ErrorText(r) + " (HTTP " + std::to_string(r.status) + ")"));
    }
  };
  RunSignals::Armed armed = signals.Arm([&](int presses) {
    if (presses == 1) {
      stop_wanted = true;
      send_stop();
    } else {
      messages.Say("no longer waiting for the run (it goes on stopping on the service)");
      abandon = true;
    }
  });

  Reply started = api.PostJson("/projects/" + Escaped(project) + "/runs",
                               RemoteRunBody(options, plan_name, plan_version, thresholds));
  std::optional<nlohmann::json> ticket = JsonOf(started);
  if (started.status != 201) return Failed(started, "starting the run", server, err);
  if (!ticket || !(*ticket)["id"].is_number_integer()) {
    err << "barrage: starting the run: the service's reply has no run id: " << started.body << "\n";
    return kExitRuntimeFailure;
  }
  const int64_t id = (*ticket)["id"].get<int64_t>();
  const std::string run_path = "/runs/" + std::to_string(id);
  std::optional<int64_t> said_position;  // the queue position last printed
  if ((*ticket)["status"] == "queued" && (*ticket)["queue_position"].is_number_integer()) {
    said_position = (*ticket)["queue_position"].get<int64_t>();
    messages.Say("run " + std::to_string(id) + " on " + server + " (queued, position " +
                 std::to_string((*ticket)["queue_position"].get<int64_t>()) + ")");
  } else {
    messages.Say("run " + std::to_string(id) + " on " + server + " (" +
                 ((*ticket)["status"].is_string() ? (*ticket)["status"].get<std::string>() : "started") + ")");
  }
  run_id = id;
  if (stop_wanted) send_stop();  // Ctrl-C while the run was being created

  // The events until `end`, the stream opened again when it drops.
  OutputLineFilter lines;
  std::optional<nlohmann::json> end;
  std::string stream_error;
  int failures = 0;
  std::chrono::milliseconds backoff = options.reconnect_backoff;
  while (!end && !abandon) {
    SseParser parser;
    lines.NewStream();
    bool got_event = false;
    Reply r = api.Stream(
        run_path + "/events",
        [&](std::string_view bytes) {
          for (SseParser::Event& e : parser.Feed(bytes)) {
            got_event = true;
            nlohmann::json data = nlohmann::json::parse(e.data, nullptr, /*allow_exceptions=*/false);
            if (e.name == "output" && data.is_object() && data["lines"].is_array()) {
              for (const nlohmann::json& line : data["lines"]) {
                if (line.is_string() && lines.Add()) out << line.get<std::string>() << "\n" << std::flush;
              }
            } else if (e.name == "queued" && data.is_object() && data["queue_position"].is_number_integer()) {
              // (no position: a local run between the queue and its process beginning it)
              const int64_t position = data["queue_position"].get<int64_t>();
              if (position != said_position) {
                said_position = position;
                messages.Say("run " + std::to_string(id) + " queued, position " + std::to_string(position));
              }
            } else if (e.name == "end" && data.is_object()) {
              end = std::move(data);
              return false;
            } else if (e.name == "error") {
              stream_error = data.is_object() && data["error"].is_string() ? data["error"].get<std::string>() : e.data;
            }
          }
          return true;
        },
        &abandon);
    if (end || abandon) break;
    if (r.status != 0 && (r.status < 200 || r.status >= 300))
      return Failed(r, "following run " + std::to_string(id), server, err);
    if (!stream_error.empty()) {
      err << "barrage: following run " << id << ": the service says: " << stream_error << "\n";
      return kExitRuntimeFailure;
    }
    failures = got_event ? 1 : failures + 1;
    if (failures > options.max_reconnects) {
      err << "barrage: following run " << id << ": " << (r.error.empty() ? "the stream ended" : r.error) << " ("
          << options.max_reconnects << " attempts to reconnect)\n";
      return kExitRuntimeFailure;
    }
    messages.Say("the events stream of run " + std::to_string(id) + " dropped (" +
                 (r.error.empty() ? std::string("closed") : r.error) + "): reconnecting");
    if (got_event) backoff = options.reconnect_backoff;
    const auto wake = std::chrono::steady_clock::now() + backoff;
    while (!abandon && std::chrono::steady_clock::now() < wake)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(8000));
  }
  if (abandon) return kExitRuntimeFailure;

  std::string status = (*end)["status"].is_string() ? (*end)["status"].get<std::string>() : "";
  Reply verdict = api.Get(run_path + "/verdict");
  if (verdict.status != 200) return Failed(verdict, "reading run " + std::to_string(id) + "'s verdict", server, err);
  if (std::optional<nlohmann::json> v = JsonOf(verdict); v && (*v)["status"].is_string()) {
    status = (*v)["status"].get<std::string>();
  }
  exit_code = ExitCodeOfRunStatus(status);

  if (!options.run.jtl_path.empty()) {
    std::ofstream jtl(options.run.jtl_path, std::ios::binary | std::ios::trunc);
    if (!jtl) {
      err << "barrage: -l " << options.run.jtl_path << ": cannot be written\n";
      return kExitRuntimeFailure;
    }
    Reply r = api.Stream(
        run_path + "/jtl",
        [&jtl](std::string_view bytes) {
          jtl.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
          return static_cast<bool>(jtl);
        },
        nullptr);
    jtl.close();
    if (r.status != 200) return Failed(r, "downloading run " + std::to_string(id) + "'s JTL", server, err);
    if (!r.error.empty() || !jtl) {
      err << "barrage: -l " << options.run.jtl_path << ": " << (r.error.empty() ? "write failed" : r.error) << "\n";
      return kExitRuntimeFailure;
    }
  }
  std::string report = (*end)["report_url"].is_string() ? (*end)["report_url"].get<std::string>() : "";
  messages.Say("run " + std::to_string(id) + " on " + server + " " + (status.empty() ? "ended" : status) +
               (report.empty() ? "" : "; report " + report));
  return exit_code;
}

}  // namespace barrage
