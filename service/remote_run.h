// `barrage run PLAN --server URL` (issue 13): the run of a local plan on a `barrage serve`,
// as one pipeline step. The client side of the service's API (docs/service.md):
//
//   1. the plan is prepared as a local run prepares it (controller/run_command.h PrepareRun:
//      thresholds, the plan's parse and compile, -J; the same messages, exit 2) and its data
//      files found as a cluster run finds them (controller/cluster_data.h CollectDataFiles);
//   2. POST projects/{p}/plans: the plan (field `plan`) and each data file (field `data`,
//      named by its path relative to the plan's folder; a file outside it: exit 2);
//   3. POST projects/{p}/runs with that version and the run options (RemoteRunBody);
//   4. GET runs/{id}/events: each `output` line goes to `out` as it comes (the summariser's
//      `summary +/=` lines, the report and the threshold lines the run's own `barrage run`
//      prints), `queued` to `err`; a dropped stream is opened again (bounded, with backoff)
//      and the lines already printed are not printed twice;
//   5. at `end`: GET runs/{id}/verdict, and with -l FILE GET runs/{id}/jtl into FILE.
//
// Exit codes, as a local run's: 0 the run passed, 99 a threshold failed, 1 anything else
// (partial, aborted, errored; the service unreachable, TLS refused, a 4xx/5xx other than
// 400), 2 a usage or plan error (and a 400 from the service about the request).
//
// SIGINT/SIGTERM (controller/run_signals.h): before the run is created the command ends at
// once (130/143, nothing started); after, the first asks the service to stop the run (POST
// runs/{id}/stop, once) and the command keeps streaming until `end`; the second stops
// waiting (exit 1; the run goes on stopping on the service).
//
// Threads: RunOnServer runs on the caller's thread (one more watches the signals); it calls
// curl_global_init, so call it before other threads use libcurl.
#ifndef BARRAGE_SERVICE_REMOTE_RUN_H_
#define BARRAGE_SERVICE_REMOTE_RUN_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "controller/run_command.h"

namespace barrage {

struct RemoteRunOptions {
  std::string server;     // --server: "https://bastion:8470" (the API is under /api/v1)
  std::string token;      // --token; "" = the environment's BARRAGE_TOKEN (none: no token sent)
  std::string server_ca;  // --server-ca: a PEM CA bundle for the service's certificate
  bool queue = true;      // --no-queue: false
  // What the run takes from `barrage run`'s options: plan_path, project, properties (-J),
  // duration_s, thresholds and thresholds_file, jtl_path (-l: downloaded after the end),
  // cluster.workers, cluster.worker_names, cluster.share. The rest is not used.
  RunOptions run;
  // Consecutive failed attempts to open the events stream again before giving up, and the
  // wait before the first (doubled each time, at most 8 s).
  int max_reconnects = 8;
  std::chrono::milliseconds reconnect_backoff{250};
};

// `barrage run`'s options that cannot apply to a run on a service (the service decides its
// store, its summary interval, ...), spelled as the command line spells them: the command
// refuses them with --server ("barrage: --db cannot be used with --server", exit 2).
inline constexpr std::string_view kLocalOnlyRunOptions[] = {"--db",
                                                            "-D",
                                                            "-q",
                                                            "--queued-run",
                                                            "--stop-timeout",
                                                            "--threads",
                                                            "--summary-interval",
                                                            "--skip-unsupported",
                                                            "--quiet",
                                                            "--abort-on-fail",
                                                            "--connect-to",
                                                            "--bind",
                                                            "--config",
                                                            "--insecure",
                                                            "--allow-insecure-key-permissions",
                                                            "--worker-timeout",
                                                            "--min-workers",
                                                            "--influx",
                                                            "--influx-token",
                                                            "--split-data",
                                                            "--heartbeat-ms",
                                                            "--metrics-listen",
                                                            "--metrics-linger"};

// The body of POST projects/{p}/runs for version `version` of plan `plan` (run_request.h):
// "plan", "version", and only the options given: "properties" (-J name=value; the last of a
// name wins), "duration", "thresholds" (each threshold's expression, as the service parses
// them: the file's entries first, as CollectThresholds orders them), "workers",
// "worker_names", "share", "queue": false.
nlohmann::json RemoteRunBody(const RemoteRunOptions& options, const std::string& plan, int64_t version,
                             const std::vector<std::string>& thresholds);

// The name a data file is uploaded as: `name` as the plan writes it, relative to the plan's
// folder and normalized ("./data/u.csv" -> "data/u.csv"). InvalidArgument naming the file
// when it is absolute or outside the folder (the service puts data files next to the plan).
Result<std::string> DataFileUploadName(const std::string& name);

// The command's exit code for a run that ended with `status`: passed 0, failed 99, else 1.
int ExitCodeOfRunStatus(std::string_view status);

// Server-Sent Events as they arrive in pieces: complete events out, the rest kept.
// Lines end with "\n" or "\r\n"; "event:" names the event (default "message"), "data:"
// lines are joined with "\n", a comment (":...") is skipped, an empty line ends the event;
// an event without data is dropped. Not thread-safe.
class SseParser {
 public:
  struct Event {
    std::string name;
    std::string data;
    bool operator==(const Event&) const = default;
  };
  std::vector<Event> Feed(std::string_view bytes);

 private:
  void Line(std::string_view line, std::vector<Event>* events);
  std::string pending_;  // a line not complete yet
  std::string name_;
  std::string data_;
  bool has_data_ = false;
};

// The events streams' output lines, each printed once however often the stream is opened
// again (a new stream sends the run's output from its first line): NewStream() at each
// stream's start, then Add() for each line it sends; Add() says whether to print the line.
// Not thread-safe.
class OutputLineFilter {
 public:
  void NewStream() { seen_ = 0; }
  bool Add() {
    if (seen_++ < printed_) return false;
    ++printed_;
    return true;
  }

 private:
  size_t printed_ = 0;  // lines printed so far
  size_t seen_ = 0;     // lines of this stream so far
};

// Runs `options.run.plan_path` on the service (see above); the summary lines go to `out`,
// the command's own messages to `err`. Returns the exit code.
int RunOnServer(const RemoteRunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace barrage

#endif  // BARRAGE_SERVICE_REMOTE_RUN_H_
