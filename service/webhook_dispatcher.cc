#include "service/webhook_dispatcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <utility>

#include "service/service_info.h"

namespace barrage {
namespace {

constexpr size_t kMaxErrorBodyBytes = 200;  // of a failed response's body, in the log

struct Response {
  std::string head_of_body;  // the first kMaxErrorBodyBytes
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  const size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, r->head_of_body.size());
  r->head_of_body.append(data, std::min(room, size * n));
  return size * n;
}

int OnProgress(void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(abort)->load() ? 1 : 0;
}

// Printable ASCII of a response body for the log: line breaks and tabs become spaces,
// other bytes '?', trailing spaces go.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = (c == '\n' || c == '\r' || c == '\t') ? ' ' : '?';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
  void Add(const std::string& line) { list = curl_slist_append(list, line.c_str()); }
};

}  // namespace

WebhookDispatcher::WebhookDispatcher(WebhookStore* store, WebhookDispatcherOptions options)
    : store_(store), options_(std::move(options)), clock_(options_.clock ? *options_.clock : SystemClock()) {
  if (options_.user_agent.empty()) options_.user_agent = "barrage/" + std::string(ServiceVersion());
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (!options_.random) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    options_.random = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  }
  // Reference-counted; here, before the thread, because its first call is not thread-safe
  // in every libcurl build.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  thread_ = std::thread([this] { Run(); });
}

WebhookDispatcher::~WebhookDispatcher() {
  Stop();
  curl_global_cleanup();
}

Result<int> WebhookDispatcher::RunCompleted(const RunCompletion& run) {
  Result<std::vector<Webhook>> hooks = store_->Subscribers(run.project, kRunFinishedEvent);
  if (!hooks.ok()) return hooks.status();
  const std::string body = WebhookBody(run);
  int queued = 0;
  for (const Webhook& hook : *hooks) queued += Enqueue(hook, run.run_id, kRunFinishedEvent, body) ? 1 : 0;
  return queued;
}

bool WebhookDispatcher::Enqueue(const Webhook& hook, int64_t run_id, std::string_view event, std::string body) {
  Job job;
  job.hook = hook;
  job.run_id = run_id;
  job.event = std::string(event);
  job.signature = SignatureHeader(body, hook.secret);
  job.body = std::move(body);
  job.delivery = NewDeliveryId();
  job.due_us = clock_.MonotonicMicros();
  std::string refused;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refused = "dropped: the webhook dispatcher is stopped";
      ++stats_.dropped;
    } else if (queue_.size() >= options_.queue_capacity) {
      refused = "dropped: the delivery queue is full (" + std::to_string(options_.queue_capacity) + " pending)";
      ++stats_.dropped;
    } else {
      job.sequence = next_sequence_++;
      queue_.push_back(std::move(job));
    }
  }
  if (!refused.empty()) {
    LogUnsent(job, refused);
    return false;
  }
  wake_.notify_all();
  return true;
}

DeliveryAttempt WebhookDispatcher::SendOnce(const Webhook& hook, int64_t run_id, std::string_view event,
                                            std::string body) {
  Job job;
  job.hook = hook;
  job.run_id = run_id;
  job.event = std::string(event);
  job.signature = SignatureHeader(body, hook.secret);
  job.body = std::move(body);
  job.delivery = NewDeliveryId();
  DeliveryAttempt row;
  row.webhook_id = hook.id;
  row.run_id = run_id;
  row.delivery = job.delivery;
  row.attempt = 1;
  row.at_ms = clock_.WallMillis();
  const int64_t start_us = clock_.MonotonicMicros();
  const Outcome outcome = Post(job);
  row.duration_ms = (clock_.MonotonicMicros() - start_us) / 1000;
  row.http_status = outcome.http_status;
  row.error = outcome.error;
  row.delivered = outcome.delivered;
  Record(row, nullptr);
  return row;
}

bool WebhookDispatcher::WaitUntilIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return (queue_.empty() && !in_flight_) || exited_; });
}

void WebhookDispatcher::Stop() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    wake_.notify_all();
    if (!idle_.wait_for(lock, options_.stop_timeout, [&] { return exited_; })) abort_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

WebhookDispatcherStats WebhookDispatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::chrono::microseconds WebhookDispatcher::Backoff(int failed_attempt) {
  const int64_t first_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.first_backoff).count();
  const int64_t max_us = std::chrono::duration_cast<std::chrono::microseconds>(options_.max_backoff).count();
  int64_t wait_us = first_us;
  for (int i = 1; i < failed_attempt && wait_us < max_us; ++i) wait_us *= 2;
  wait_us = std::min(wait_us, max_us);
  const double factor = 1.0 - options_.jitter + 2.0 * options_.jitter * options_.random();
  return std::chrono::microseconds(std::llround(static_cast<double>(wait_us) * factor));
}

void WebhookDispatcher::Record(const DeliveryAttempt& row, bool* webhook_gone) {
  Status st = store_->RecordAttempt(row);
  if (st.ok()) return;
  if (st.code() == Status::Code::kNotFound) {
    if (webhook_gone) *webhook_gone = true;
    return;
  }
  std::lock_guard lock(mu_);
  ++stats_.store_errors;
}

void WebhookDispatcher::LogUnsent(const Job& job, const std::string& why) {
  DeliveryAttempt row;
  row.webhook_id = job.hook.id;
  row.run_id = job.run_id;
  row.delivery = job.delivery;
  row.attempt = 0;
  row.at_ms = clock_.WallMillis();
  row.error = why;
  Record(row, nullptr);
}

void WebhookDispatcher::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      idle_.notify_all();
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    auto next = std::min_element(queue_.begin(), queue_.end(), [](const Job& a, const Job& b) {
      return a.due_us != b.due_us ? a.due_us < b.due_us : a.sequence < b.sequence;
    });
    const int64_t now_us = clock_.MonotonicMicros();
    if (next->due_us > now_us) {
      const std::chrono::microseconds wait(next->due_us - now_us);
      if (options_.sleep) {
        lock.unlock();
        options_.sleep(wait);
        lock.lock();
      } else {
        wake_.wait_for(lock, wait);  // Enqueue or Stop wake it early; then it looks again
      }
      continue;
    }
    Job job = std::move(*next);
    queue_.erase(next);
    in_flight_ = true;
    lock.unlock();

    DeliveryAttempt row;
    row.webhook_id = job.hook.id;
    row.run_id = job.run_id;
    row.delivery = job.delivery;
    row.attempt = ++job.attempts;
    row.at_ms = clock_.WallMillis();
    const int64_t start_us = clock_.MonotonicMicros();
    Outcome outcome = Post(job);
    const int64_t end_us = clock_.MonotonicMicros();
    row.duration_ms = (end_us - start_us) / 1000;
    row.http_status = outcome.http_status;
    row.error = outcome.error;
    row.delivered = outcome.delivered;
    bool gone = false;
    Record(row, &gone);

    lock.lock();
    in_flight_ = false;
    if (outcome.delivered) {
      ++stats_.delivered;
    } else if (gone) {
      ++stats_.abandoned;  // deleted meanwhile: nobody wants it any more
    } else if (job.attempts >= options_.max_attempts) {
      ++stats_.failed;
    } else {
      job.due_us = end_us + Backoff(job.attempts).count();
      queue_.push_back(std::move(job));
    }
    idle_.notify_all();
  }
  // Stopping: what is still queued gets no further attempt, and the log says so.
  std::vector<Job> pending = std::move(queue_);
  queue_.clear();
  stats_.abandoned += static_cast<int64_t>(pending.size());
  lock.unlock();
  for (const Job& job : pending) {
    LogUnsent(job, "abandoned: the service stopped after " + std::to_string(job.attempts) + " of " +
                       std::to_string(options_.max_attempts) + " attempts");
  }
  lock.lock();
  exited_ = true;
  idle_.notify_all();
}

WebhookDispatcher::Outcome WebhookDispatcher::Post(const Job& job) {
  Outcome out;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    out.error = "libcurl: cannot create a handle";
    return out;
  }
  CURL* c = curl.get();
  CurlSlist headers;
  headers.Add("Content-Type: application/json");
  headers.Add("X-Barrage-Event: " + job.event);
  headers.Add("X-Barrage-Delivery: " + job.delivery);
  headers.Add("X-Barrage-Signature: " + job.signature);
  headers.Add("Expect:");  // no 100-continue round trip for bodies over 1 KiB
  Response response;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, job.hook.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, job.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(job.body.size()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &abort_);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.http_status = static_cast<int>(status);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    out.error = "aborted: the service stopped";
  } else if (rc != CURLE_OK) {
    out.error = error[0] ? error : curl_easy_strerror(rc);
  } else if (status >= 200 && status < 300) {
    out.delivered = true;
  } else {
    out.error = "HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) out.error += " (redirects are not followed)";
    if (!response.head_of_body.empty()) out.error += ": " + Printable(response.head_of_body);
  }
  return out;
}

}  // namespace barrage
