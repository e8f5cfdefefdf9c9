#include "worker/virtual_user.h"

#include <strings.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/functions.h"
#include "worker/compare_assertion.h"
#include "worker/html_modifiers.h"
#include "worker/http_managers.h"
#include "worker/http_request.h"
#include "worker/processors.h"
#include "worker/url_rewriting.h"

namespace barrage {

namespace {

constexpr char kLastSampleOk[] = "JMeterThread.last_sample_ok";

bool NeedsBody(const Sampler& s) {
  if (!s.scope.post_processors.empty()) return true;
  return std::any_of(s.scope.assertions.begin(), s.scope.assertions.end(),
                     [](const Node* a) { return a->kind != ElementKind::kDurationAssertion; });
}

std::string CookieLine(const Cookie& c, ThreadContext& ctx) {
  std::string line = "Set-Cookie: " + c.name + "=" + Evaluate(c.value, ctx);
  std::string domain = Evaluate(c.domain, ctx);
  std::string path = Evaluate(c.path, ctx);
  if (!domain.empty()) line += "; domain=" + domain;
  line += "; path=" + (path.empty() ? std::string("/") : path);
  if (c.secure) line += "; secure";
  return line;
}

// Visits every scoped element under `node` and its controllers (not into samplers, but
// into Parallel Controllers, whose elements are in scope of their children).
template <typename F>
void ForEachScopedElement(const Node& node, F&& f) {
  for (const auto& e : node.elements) f(*e);
  for (const auto& c : node.children) {
    if (c->category() == Category::kController || c->kind == ElementKind::kParallelSampler) {
      ForEachScopedElement(*c, f);
    }
  }
}

}  // namespace

VirtualUser::VirtualUser(RunState* run, GroupRuntime* group, LoopWorker* worker, int thread_num)
    : run_(run), group_(group), worker_(worker), ctx_(own_ctx_) {
  const ThreadGroup& tg = *group->group;
  ctx_.run = run->run;
  ctx_.thread_num = thread_num;
  ctx_.group_name = tg.name;
  ctx_.thread_name = tg.name + " " + std::to_string(tg.group_number) + "-" + std::to_string(thread_num);
  main_ = BuildControllerTree(tg, &run->throughput_controllers, &controllers_);
  for (const auto& c : controllers_) {
    if (c->node().kind == ElementKind::kTransactionController) {
      transactions_[&c->node()] = static_cast<TransactionRt*>(c.get());
    }
  }
  if (group->cookies) {
    http_.EnableCookies(run->cookie_settings.jar);
    http_.set_record_stored_cookies(run->cookie_settings.save_cookies);
  }
  if (run->connect_to) http_.set_connect_to(run->connect_to.get());
  http_.set_target_policy(run->allowed_targets);
  if (worker_) http_.set_host_cache(&worker_->hosts);
  http_.set_http2_default(run->http2);
}

VirtualUser::~VirtualUser() {
  run_->locks.Abandon(this);
  run_->fifos.Cancel(this);
  run_->barriers.Abandon(this);
}

int64_t VirtualUser::now_ms() const { return WallMillis(); }

void VirtualUser::WaitUntil(int64_t at_us) { worker_->loop.AddTimer(at_us, this, ++wait_token_); }

void VirtualUser::Start(int64_t at_us, int64_t end_wall_ms) {
  end_wall_ms_ = end_wall_ms;
  state_ = State::kWaitingStart;
  WaitUntil(at_us);
}

void VirtualUser::ResumeForArrival(int64_t intended_wall_us) {
  if (state_ != State::kIdle) return;
  NoteIntendedStart(intended_wall_us);
  group_->active.fetch_add(1, std::memory_order_relaxed);
  run_->all_active.fetch_add(1, std::memory_order_relaxed);
  main_->Rearm();
  state_ = State::kReady;
  Step();
}

int VirtualUser::iterations_done() const { return main_->loop_count(); }

void VirtualUser::Begin() {
  ctx_.vars = run_->initial_vars;
  ctx_.vars.Put(kLastSampleOk, "true");  // JMeterThread.initRun
  group_->active.fetch_add(1, std::memory_order_relaxed);
  run_->all_active.fetch_add(1, std::memory_order_relaxed);
  run_->started.fetch_add(1, std::memory_order_relaxed);
  // Cookies the plan's Cookie Managers define.
  ForEachScopedElement(*group_->group, [&](const Node& e) {
    if (e.kind != ElementKind::kCookieManager) return;
    for (const Cookie& c : e.As<CookieManager>().cookies) http_.AddCookie(CookieLine(c, ctx_));
  });
  for (const auto& e : run_->plan->root->elements) {
    if (e->kind != ElementKind::kCookieManager) continue;
    for (const Cookie& c : e->As<CookieManager>().cookies) http_.AddCookie(CookieLine(c, ctx_));
  }
  state_ = State::kReady;
  Step();
}

int64_t VirtualUser::ScheduledEndMs() const { return end_wall_ms_ > 0 ? end_wall_ms_ : group_->end_wall_ms; }

bool VirtualUser::ShouldStop() const {
  if (stop_after_sample_ || ctx_.stop_thread || run_->stopping()) return true;
  int64_t end = ScheduledEndMs();
  return end > 0 && WallMillis() >= end;
}

void VirtualUser::Finish() {
  if (state_ == State::kFinished) return;
  if (branch_) {
    FinishBranch();
    return;
  }
  bool began = state_ != State::kCreated && state_ != State::kWaitingStart;
  const bool parked = state_ == State::kIdle;  // not counted active while parked
  if (began) {
    // A transaction still open when the user stops is closed and recorded, as JMeter does.
    for (auto& [node, tx] : transactions_) {
      if (tx->active()) tx->TriggerEndOfLoop(*this);
    }
    if (!parked) {
      group_->active.fetch_sub(1, std::memory_order_relaxed);
      run_->all_active.fetch_sub(1, std::memory_order_relaxed);
    }
    run_->finished.fetch_add(1, std::memory_order_relaxed);
  }
  // Critical sections end with the user (JMeter's threadFinished).
  pending_locks_.clear();
  run_->locks.Abandon(this);
  // A Fifo Pop or a Synchronizing Timer waiting ends too (a value handed over is lost).
  run_->fifos.Cancel(this);
  run_->barriers.Abandon(this);
  CancelLookup();
  state_ = State::kFinished;
  ++wait_token_;
  http_.CloseConnection();
  if (driver_) {
    driver_->OnUserFinished(this, parked);
    worker_->ended.push_back(this);  // freed by ReclaimEndedUsers (worker/user_reclaim.h)
  }
  if (group_->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) run_->NotifyGroupEnded();
}

void VirtualUser::CancelLookup() {
  if (state_ != State::kResolving) return;
  auto it = worker_->resolvers.find(resolving_);
  if (it != worker_->resolvers.end()) it->second->Cancel(this);
}

bool VirtualUser::CollectReclaimable(std::vector<const TimerHandler*>* handlers,
                                     std::vector<const VirtualUser*>* objects) const {
  if (state_ != State::kFinished) return false;
  handlers->push_back(this);
  handlers->push_back(http_.timer_handler());
  objects->push_back(this);
  if (!parallel_) return true;
  for (const auto& [node, branch] : parallel_->pool) {
    // A branch never started is kCreated: nothing of it is queued anywhere.
    if (branch->state_ != State::kCreated && !branch->CollectReclaimable(handlers, objects)) return false;
  }
  return true;
}

void VirtualUser::Interrupt(bool now) {
  switch (state_) {
    case State::kCreated:
    case State::kWaitingStart:
    case State::kDelaying:
    case State::kResolving:
    case State::kWaitingLock:
    case State::kWaitingFifo:
    case State::kWaitingSync:
    case State::kIdle: Finish(); break;
    case State::kScripting:
      // The script host ends running scripts at a stop now (the engine asks it); the user
      // then records what it has and stops.
      if (now) stop_after_sample_ = true;
      break;
    case State::kSampling:
      // The Dummy Sampler is Interruptible: its wait ends, the sample is recorded.
      if (now) {
        stop_after_sample_ = true;
        ++wait_token_;
        state_ = State::kReady;
        CompleteDummySample(MonotonicMicros() - dummy_start_us_);
        Step();
      }
      break;
    case State::kParallel:
      // The branches stop as users do; the parallel sample then completes.
      if (now) stop_after_sample_ = true;
      for (size_t i = 0; i < parallel_->started; ++i) parallel_->branches[i]->Interrupt(now);
      break;
    case State::kInFlight:
      if (now) {
        // The request is aborted and recorded (HttpTransfer::Finish maps the code to what
        // JMeter records for an interrupted request); then the user stops.
        stop_after_sample_ = true;
        run_->aborted.fetch_add(1, std::memory_order_relaxed);
        http_.Cancel(&worker_->loop, CURLE_ABORTED_BY_CALLBACK);
      }
      break;
    default: break;
  }
}

void VirtualUser::OnTimer(int64_t now_us, uint64_t token) {
  if (token == kWatchdogToken) {
    OnWatchdog(now_us);
    return;
  }
  if (token != wait_token_) return;
  switch (state_) {
    case State::kWaitingStart: Begin(); return;
    case State::kDelaying:
      state_ = State::kReady;
      delayed_ = true;
      Step();
      return;
    case State::kSampling:
      state_ = State::kReady;
      CompleteDummySample(now_us - dummy_start_us_);
      Step();
      return;
    case State::kParallel: CompleteParallel(); return;
    case State::kWaitingFifo:
    case State::kWaitingSync: OnWaitTimedOut(); return;
    default: return;
  }
}

void VirtualUser::ArmWatchdog(int64_t at_us) {
  // An earlier watchdog still pending fires first and re-arms for the request then in
  // flight, so a user keeps one or two timers queued however many requests it sends.
  if (watchdog_at_us_ != 0 && watchdog_at_us_ <= at_us) return;
  worker_->loop.AddTimer(at_us, this, kWatchdogToken);
  watchdog_at_us_ = at_us;
}

void VirtualUser::OnWatchdog(int64_t now_us) {
  if (now_us >= watchdog_at_us_) watchdog_at_us_ = 0;  // the earliest pending one fired
  if (state_ != State::kInFlight) return;
  if (abort_at_us_ > 0 && now_us >= abort_at_us_) {
    // The thread group's scheduled end plus the stop timeout: aborted like a stop-now.
    run_->aborted.fetch_add(1, std::memory_order_relaxed);
    http_.Cancel(&worker_->loop, CURLE_ABORTED_BY_CALLBACK);
    return;
  }
  int64_t next = abort_at_us_;
  if (response_timeout_us_ > 0) {
    // Response timeout: JMeter's is the longest wait between bytes.
    int64_t last = http_.last_activity_us();
    if (now_us - last >= response_timeout_us_) {
      http_.set_timed_out_reading();
      http_.Cancel(&worker_->loop, CURLE_OPERATION_TIMEDOUT);
      return;
    }
    if (next <= 0 || last + response_timeout_us_ < next) next = last + response_timeout_us_;
  }
  if (next > 0) ArmWatchdog(next);
}

void VirtualUser::Step() {
  // Samplers that end at once (a Dummy Sampler without its wait, a Debug Sampler...) let a
  // user sample on without returning to its loop: after kSamplesPerTurn of them the user
  // yields, so the loop's other users, its samples' hand-over and stop requests are served.
  constexpr int kSamplesPerTurn = 32;
  int samples_this_turn = 0;
  while (state_ == State::kReady) {
    if (ShouldStop()) {
      Finish();
      return;
    }
    if (!current_) {
      if (++samples_this_turn > kSamplesPerTurn && !branch_) {
        state_ = State::kDelaying;
        WaitUntil(MonotonicMicros());
        return;
      }
      const Sampler* s = main_->Next(*this);
      if (!s) {
        if (main_->IsDone()) {
          // A dynamic thread group's user: its driver says whether it goes on, waits for an
          // arrival or ends (the plugins' VirtualUserController.nextIsNull).
          LoopGroupDriver::AfterIteration next =
              driver_ && !branch_ ? driver_->OnIterationEnd(this) : LoopGroupDriver::AfterIteration::kFinish;
          if (next == LoopGroupDriver::AfterIteration::kContinue) {
            main_->Rearm();
            if (++empty_passes_ >= 1000) {  // iterations without a sampler: yield now and then
              empty_passes_ = 0;
              state_ = State::kDelaying;
              WaitUntil(MonotonicMicros() + 1000);
              return;
            }
            continue;
          }
          if (next == LoopGroupDriver::AfterIteration::kPark) {
            state_ = State::kIdle;
            group_->active.fetch_sub(1, std::memory_order_relaxed);
            run_->all_active.fetch_sub(1, std::memory_order_relaxed);
            return;
          }
          Finish();
          return;
        }
        // A pass that produced nothing (all children skipped). JMeter spins here; yield to
        // the event loop now and then so other users and stop requests are served.
        if (++empty_passes_ >= 1000) {
          empty_passes_ = 0;
          state_ = State::kDelaying;
          WaitUntil(MonotonicMicros() + 1000);
          return;
        }
        continue;
      }
      empty_passes_ = 0;
      current_ = s;
      ctx_.iteration = main_ ? main_->iteration() : 0;  // script functions' vars.getIteration()
      if (script_) script_->http.reset();               // what scripts changed in the previous sampler is gone
      ctx_.sampler_name = &s->name;                     // __samplerName, from its pre-processors on
      delayed_ = false;
      rate_slot_ = false;
      pre_done_ = 0;
      timers_done_ = 0;
      timer_delay_ms_ = 0;
      throughput_behind_ms_ = -1;
    }
    if (!pending_locks_.empty() && !TakePendingLocks()) return;
    if (!delayed_) {
      // JMeter's order: pre-processors, then timers; either may wait for other users.
      if (!RunPreProcessors() || !RunTimers()) return;
      int64_t now = WallMillis();
      int64_t delay = timer_delay_ms_;
      // A throughput timer's slot: the sampler was meant to start after the timers' delay,
      // less how far behind its schedule the timer found the user.
      if (throughput_behind_ms_ >= 0) NoteIntendedStart(WallMicros() + (delay - throughput_behind_ms_) * 1000);
      int64_t end = ScheduledEndMs();
      if (end > 0 && now + delay > end) delay = std::max<int64_t>(0, end - now);
      delayed_ = true;
      if (delay > 0) {
        state_ = State::kDelaying;
        WaitUntil(MonotonicMicros() + delay * 1000);
        return;
      }
      if (ShouldStop()) {
        Finish();
        return;
      }
    }
    // The worker's max_rps: an HTTP request takes the loop's next free slot, waiting for it.
    if (run_->request_interval_us > 0 && !rate_slot_ && current_->kind == ElementKind::kHttpSampler) {
      rate_slot_ = true;
      const int64_t now_us = MonotonicMicros();
      const int64_t slot = std::max(now_us, worker_->next_request_us);
      worker_->next_request_us = slot + run_->request_interval_us;
      if (slot > now_us) {
        state_ = State::kDelaying;
        WaitUntil(slot);
        return;
      }
    }
    ExecuteSampler();
  }
}

void VirtualUser::ExecuteSampler() {
  const Sampler* s = current_;
  ctx_.sampler_name = &s->name;  // a branch shares the context: set it again
  // JMeter reads a sampler's name when it samples: a ${...} in it is evaluated then, after
  // the pre-processors and timers.
  label_ = &s->name;
  if (s->label.parsed) {
    evaluated_label_.clear();
    EvaluateInto(*s->label.parsed, ctx_, &evaluated_label_);
    label_ = &evaluated_label_;
  }
  switch (s->kind) {
    case ElementKind::kHttpSampler: {
      const bool label_failed = ctx_.stop_thread;  // its name's ${...} ended the thread
      std::string failed_url;
      HttpRequest& req = worker_->request;
      std::unique_ptr<HttpSampler> modified = ModifiedSampler(s->As<HttpSampler>());
      Status built = BuildHttpRequest(modified ? *modified : s->As<HttpSampler>(), ctx_, &req, &failed_url);
      if (script_) ApplyScriptHeaders(*s, &req);
      if (built.ok() && run_->keystore && strncasecmp(req.url.c_str(), "https:", 6) == 0) {
        // The key this user presents (worker/client_keystore.h). JMeter's key manager throws
        // IllegalArgumentException in the handshake when the alias variable names no key; the
        // JDK's handshake reports it as an SSLException with its message (JMeter 2.13 on
        // JDK 17, jmeter_compat plan keystore_alias).
        if (client_cert_ == nullptr) {
          Result<const ClientCertificate*> chosen = run_->keystore->Choose(ctx_);
          if (chosen.ok()) {
            client_cert_ = *chosen;
          } else {
            built = Status::InvalidArgument("javax.net.ssl.SSLException|" + chosen.status().message());
            failed_url = req.url;
          }
        }
        req.client_cert = client_cert_;
      }
      if (ctx_.stop_thread) {
        // JMeter's HTTP sampler catches the JMeterStopThreadException a function throws
        // while it reads its properties: a failed sample (without a label when the name
        // threw), and the thread goes on (checked with JMeter 2.13).
        ctx_.stop_thread = false;
        if (label_failed) {
          evaluated_label_.clear();
          label_ = &evaluated_label_;
        }
        RecordUnsentRequest("", "org.apache.jorphan.util.JMeterStopThreadException|End of sequence");
        return;
      }
      if (!built.ok()) {
        RecordUnsentRequest(std::move(failed_url), built.message());
        return;
      }
      for (const Node* pre : s->scope.pre_processors) {
        if (pre->kind == ElementKind::kUrlRewritingModifier && has_previous_result_) {
          RewriteUrl(pre->As<UrlRewritingModifier>(), &req);
        }
      }
      // A DNS Cache Manager with custom servers looks the host up first, on the loop.
      if (HttpManagers m = ManagersInScope(*s); m.dns) {
        if (std::optional<std::string> host = managers_.HostToResolve(m, req)) {
          StartLookup(m.dns, *host);
          return;
        }
      }
      SendHttpRequest();
      return;
    }
    case ElementKind::kDebugSampler: {
      const DebugSampler& d = s->As<DebugSampler>();
      SampleResult& r = worker_->result;
      r.sample.timestamp_ms = WallMillis();
      int64_t start = MonotonicMicros();
      // JMeter's DebugSampler: each section, sorted by name, then an empty line.
      if (d.jmeter_variables) {
        r.body += "JMeterVariables:\n";
        for (const auto& [k, v] : ctx_.vars.Sorted()) r.body += k + "=" + v + "\n";
        r.body += "\n";
      }
      if (d.jmeter_properties) {
        r.body += "JMeterProperties:\n";
        for (const auto& [k, v] : ctx_.run->properties.Snapshot()) r.body += k + "=" + v + "\n";
        r.body += "\n";
      }
      r.sample.elapsed_us = MonotonicMicros() - start;
      r.sample.response_code = "200";
      r.sample.response_message = "OK";
      r.sample.data_type = "text";
      r.sample.bytes = static_cast<int64_t>(r.body.size());
      r.sample.success = true;
      CompleteSample();
      return;
    }
    case ElementKind::kDummySampler: StartDummySample(s->As<DummySampler>()); return;
    case ElementKind::kScriptSampler: StartScriptSample(); return;
    case ElementKind::kParallelSampler: StartParallel(s->As<ParallelSampler>()); return;
    case ElementKind::kTestAction: {
      current_ = nullptr;
      ApplyFlowControl(s->As<TestAction>());
      return;
    }
    default: current_ = nullptr; return;
  }
}

namespace {

// Integer.valueOf as the Dummy Sampler reads its times: anything but an int is 0.
int64_t DummyMillis(const std::string& text) {
  std::optional<int64_t> v = ParseInt64(text);
  return v && *v >= INT32_MIN && *v <= INT32_MAX ? *v : 0;
}

// new java.net.URL(text) succeeds: a protocol Java knows, then ':'.
bool JavaUrlParses(std::string_view text) {
  for (std::string_view p : {"http:", "https:", "ftp:", "file:", "jar:", "mailto:"}) {
    if (text.size() >= p.size() && strncasecmp(text.data(), p.data(), p.size()) == 0) return true;
  }
  return false;
}

}  // namespace

void VirtualUser::SendHttpRequest() {
  const Sampler* s = current_;
  HttpRequest& req = worker_->request;
  // A fresh copy in the Cache Manager: not sent, and no sample (RETURN_NO_SAMPLE).
  if (HttpManagers m = ManagersInScope(*s); m.any() && !managers_.BeforeRequest(m, ctx_, &req, WallMillis())) {
    current_ = nullptr;
    return;
  }
  state_ = State::kInFlight;
  response_timeout_us_ = req.response_timeout_ms * 1000;
  // A scheduled thread group bounds its requests as a graceful stop does: those still in
  // flight the stop timeout after its end are aborted. The group's end is fixed, so the
  // deadline is converted to the monotonic clock once (each conversion differs by the
  // clocks' sub-millisecond phase).
  int64_t end_ms = ScheduledEndMs();
  if (abort_at_us_ == 0 && end_ms > 0 && run_->graceful_stop_timeout_ms >= 0) {
    abort_at_us_ = MonotonicMicros() + (end_ms + run_->graceful_stop_timeout_ms - WallMillis()) * 1000;
  }
  http_.Start(req, NeedsBody(*s) || run_->any_url_rewriting || run_->any_link_parser, &worker_->loop, this);
  if (state_ == State::kInFlight) {
    int64_t first = abort_at_us_;
    int64_t reading = response_timeout_us_ > 0 ? http_.start_mono_us() + response_timeout_us_ : 0;
    if (reading > 0 && (first <= 0 || reading < first)) first = reading;
    if (first > 0) ArmWatchdog(first);
  }
}

void VirtualUser::RecordUnsentRequest(std::string url, const std::string& failure) {
  // `failure` is "<exception class>|<message>", as JMeter records a request it could not send.
  SampleResult& r = worker_->result;
  r.sample.url = std::move(url);
  size_t bar = failure.find('|');
  std::string exception = failure.substr(0, bar);
  std::string message = bar == std::string::npos ? failure : failure.substr(bar + 1);
  r.sample.timestamp_ms = WallMillis();
  r.sample.response_code = "Non HTTP response code: " + exception;
  r.sample.response_message = "Non HTTP response message: " + message;
  r.sample.success = false;
  r.sample.data_type = "text";
  r.body = exception + ": " + message;
  CompleteSample();
}

void VirtualUser::StartLookup(const DnsCacheManager* dns, const std::string& host) {
  std::unique_ptr<DnsResolver>& resolver = worker_->resolvers[dns];
  if (!resolver) {
    std::string error;
    resolver = DnsResolver::Create(&worker_->loop, dns->servers, &error);
    if (!resolver) {
      RecordUnsentRequest(worker_->request.url, "java.net.UnknownHostException|" + host + ": " + error);
      return;
    }
  }
  // The loop's request buffer serves other users meanwhile: this one keeps its own copy.
  if (!pending_request_) pending_request_ = std::make_unique<HttpRequest>();
  *pending_request_ = worker_->request;
  resolving_ = dns;
  resolving_host_ = host;
  state_ = State::kResolving;
  starting_lookup_ = true;  // an answer given at once goes on in the caller's Step loop
  resolver->Resolve(host, this, ++wait_token_);
  starting_lookup_ = false;
}

void VirtualUser::OnResolved(uint64_t token, bool ok, const std::string& result) {
  if (token != wait_token_ || state_ != State::kResolving) return;
  state_ = State::kReady;
  if (!ok) {
    // JMeter's custom resolver's exception, which names the host only (not why: `result`);
    // nothing is cached, the next request asks again.
    RecordUnsentRequest(pending_request_->url,
                        "java.net.UnknownHostException|Failed to resolve host name: " + resolving_host_);
  } else {
    managers_.SaveResolution(resolving_, resolving_host_, result);
    std::swap(worker_->request, *pending_request_);
    SendHttpRequest();
  }
  if (state_ == State::kReady && !starting_lookup_) Step();
}

void VirtualUser::StartDummySample(const DummySampler& d) {
  dummy_start_ms_ = WallMillis();
  dummy_start_us_ = MonotonicMicros();
  const int64_t ms = DummyMillis(Evaluate(d.response_time, ctx_));
  if (d.waiting && ms > 0) {
    // Waits on the event loop (JMeter sleeps the thread); OnTimer records the sample.
    state_ = State::kSampling;
    WaitUntil(dummy_start_us_ + ms * 1000);
    return;
  }
  // Not waiting: JMeter's SampleResult(now, responseTime).
  CompleteDummySample(d.waiting ? MonotonicMicros() - dummy_start_us_ : std::max<int64_t>(ms, 0) * 1000);
}

void VirtualUser::CompleteDummySample(int64_t elapsed_us) {
  const DummySampler& d = current_->As<DummySampler>();
  SampleResult& r = worker_->result;
  Sample& s = r.sample;
  s.timestamp_ms = dummy_start_ms_;
  s.elapsed_us = elapsed_us;
  s.response_code = Evaluate(d.response_code, ctx_);
  s.response_message = Evaluate(d.response_message, ctx_);
  s.success = d.successful;
  s.data_type = "text";
  r.body = Evaluate(d.response_data, ctx_);
  s.bytes = static_cast<int64_t>(r.body.size());
  std::string url = Evaluate(d.url, ctx_);
  if (JavaUrlParses(url)) s.url = std::move(url);
  s.latency_us = std::max<int64_t>(DummyMillis(Evaluate(d.latency, ctx_)), 0) * 1000;
  s.connect_us = std::max<int64_t>(DummyMillis(Evaluate(d.connect, ctx_)), 0) * 1000;
  CompleteSample();
}

void VirtualUser::OnTransferDone(CURL*, CURLcode code) {
  if (state_ != State::kInFlight) return;
  http_.Finish(code, &worker_->result);
  SaveCookieVariables();
  if (HttpManagers m = ManagersInScope(*current_); m.cache) managers_.AfterResponse(m, worker_->result, WallMillis());
  state_ = State::kReady;
  CompleteSample();
  Step();
}

void VirtualUser::SaveCookieVariables() {
  // JMeter's CookieManager.add with CookieManager.save.cookies=true: each cookie stored from a
  // response (while sampling, so before the sampler's post-processors) puts prefix + name =
  // value; an empty value puts none while CookieManager.delete_null_cookies holds (JMeter
  // drops such a cookie). Nothing removes them: not a deletion, not clearing the cookies.
  const CookieSettings& settings = run_->cookie_settings;
  for (const StoredCookie& c : http_.stored_cookies()) {
    if (c.second.empty() && settings.delete_null_cookies) continue;
    ctx_.vars.Put(settings.variable_prefix + c.first, c.second);
  }
}

SampleResult& VirtualUser::CompletingResult() {
  return script_ && script_->result_in_use ? script_->result : worker_->result;
}

void VirtualUser::CompleteSample() {
  SampleResult& result = CompletingResult();
  ctx_.previous_result = &result;  // script functions' prev while its processors run
  const Sampler* sampler = current_;
  Sample& s = result.sample;
  if (!completing_) {
    completing_ = true;
    post_done_ = 0;
    assertions_done_ = 0;
    listeners_done_ = 0;
    ctx_.sampler_name = &sampler->name;
    s.label = *label_;
    s.thread_name = thread_name();
    s.grp_threads = group_->active.load(std::memory_order_relaxed);
    s.all_threads = run_->all_active.load(std::memory_order_relaxed);
  }
  const std::vector<const Node*>& posts = sampler->scope.post_processors;
  while (post_done_ < posts.size()) {
    const Node* post = posts[post_done_++];
    if (post->kind == ElementKind::kFifoPut) {  // needs the engine's queues
      const FifoPut& put = post->As<FifoPut>();
      run_->fifos.Put(Evaluate(put.queue, ctx_), Evaluate(put.value, ctx_));
      continue;
    }
    if (post->kind == ElementKind::kScriptPostProcessor) {
      if (!RunScript(*post, ScriptStep::kPostProcessor, &result)) return;  // CompleteSample again after it
      continue;
    }
    RunPostProcessor(*post, result, ctx_);
  }
  // Each assertion records its outcome on the sample (success, first failure message).
  const std::vector<const Node*>& assertions = sampler->scope.assertions;
  while (assertions_done_ < assertions.size()) {
    const Node* a = assertions[assertions_done_++];
    if (a->kind == ElementKind::kScriptAssertion) {
      if (!RunScript(*a, ScriptStep::kAssertion, &result)) return;
      continue;
    }
    Assert(*a, result);
  }
  // Script listeners hear the finished sample (JMeter notifies the sampler's listeners), but
  // inside a parent-mode transaction not those that hear the transaction's own sample
  // (JMeterThread.getSampleListeners).
  const std::vector<const Node*>& listeners = sampler->scope.listeners;
  const std::vector<const Node*>* tx_listeners = nullptr;
  for (ControllerRt* c = owner_; c && !listeners.empty(); c = c->parent()) {
    if (c->node().kind != ElementKind::kTransactionController) continue;
    auto* tx = static_cast<TransactionRt*>(c);
    if (!tx->generate_parent() || !tx->active()) continue;
    tx_listeners = &tx->node().As<TransactionController>().listeners;  // the innermost
    break;
  }
  while (listeners_done_ < listeners.size()) {
    const Node* l = listeners[listeners_done_++];
    if (tx_listeners && std::find(tx_listeners->begin(), tx_listeners->end(), l) != tx_listeners->end()) continue;
    if (!RunScript(*l, ScriptStep::kListener, &result)) return;
  }
  completing_ = false;
  SampleResult& done = CompletingResult();  // a script may have moved it
  last_sample_ok_ = done.sample.success;
  ctx_.vars.Put(kLastSampleOk, done.sample.success ? "true" : "false");
  bool ok = done.sample.success;
  if (run_->any_url_rewriting || run_->any_link_parser) {  // JMeter's previous result
    previous_body_ = done.body;
    has_previous_result_ = true;
    previous_http_ = sampler->kind == ElementKind::kHttpSampler;
    previous_url_ = done.sample.url;
  }
  ctx_.previous_result = nullptr;
  if ((run_->scripts && run_->scripts->reads_previous_sample()) ||
      run_->plan->script_functions_read_previous) {  // `prev` of the user's later scripts and functions
    if (!script_) script_ = std::make_unique<UserScripts>();
    script_->previous = done;
    script_->has_previous = true;
    ctx_.previous_result = &script_->previous;
  }
  RecordSample(done, sampler);
  done.Reset();
  if (script_) script_->result_in_use = false;
  current_ = nullptr;
  const int restarts = thread_loop_restarts_;
  if (!ok) ApplySampleErrorActions(*sampler);
  if (script_ && script_->restart_next_loop) {
    script_->restart_next_loop = false;
    if (thread_loop_restarts_ == restarts) StartNextThreadLoop();
  }
}

void VirtualUser::ApplySampleErrorActions(const Sampler& sampler) {
  // JMeterThread: the result's flags (set by Result Status Action Handlers) and the thread
  // group's action add up; each applies once.
  using A = ResultAction::Action;
  bool act[7] = {};
  switch (group_->group->on_sample_error) {
    case ThreadGroup::OnSampleError::kContinue: break;
    case ThreadGroup::OnSampleError::kStartNextLoop: act[static_cast<int>(A::kStartNextThreadLoop)] = true; break;
    case ThreadGroup::OnSampleError::kStopThread: act[static_cast<int>(A::kStopThread)] = true; break;
    case ThreadGroup::OnSampleError::kStopTest: act[static_cast<int>(A::kStopTest)] = true; break;
    case ThreadGroup::OnSampleError::kStopTestNow: act[static_cast<int>(A::kStopTestNow)] = true; break;
  }
  for (const Node* post : sampler.scope.post_processors) {
    if (post->kind == ElementKind::kResultAction) act[static_cast<int>(post->As<ResultAction>().action)] = true;
  }
  if (act[static_cast<int>(A::kStopTestNow)]) run_->RequestStop(true);
  if (act[static_cast<int>(A::kStopTest)]) run_->RequestStop(false);
  if (act[static_cast<int>(A::kStopThread)]) stop_after_sample_ = true;
  if (act[static_cast<int>(A::kStartNextThreadLoop)]) {
    StartNextThreadLoop();
  } else if (act[static_cast<int>(A::kStartNextIterationOfCurrentLoop)]) {
    StartNextIterationOfCurrentLoop();
  } else if (act[static_cast<int>(A::kBreakCurrentLoop)]) {
    BreakCurrentLoop();
  }
}

bool VirtualUser::TakePendingLocks() {
  while (!pending_locks_.empty()) {
    std::string name = std::move(pending_locks_.front());
    pending_locks_.erase(pending_locks_.begin());
    if (!run_->locks.Acquire(name, this)) {
      state_ = State::kWaitingLock;  // OnLockGranted brings the user back
      return false;
    }
  }
  return true;
}

void VirtualUser::ReleaseLock(const std::string& name) {
  for (auto it = pending_locks_.rbegin(); it != pending_locks_.rend(); ++it) {
    if (*it == name) {  // asked for and not taken yet: no sampler ran in the section
      pending_locks_.erase(std::next(it).base());
      return;
    }
  }
  run_->locks.Release(name, this);
}

void VirtualUser::OnLockGranted(const std::string&) { HandBackToLoop(); }

void VirtualUser::HandBackToLoop() {
  bool already_told;
  {
    std::lock_guard<std::mutex> lock(worker_->mu);
    worker_->granted.push_back(this);
    already_told = worker_->has_granted.exchange(true, std::memory_order_acq_rel);
  }
  // The loop takes the whole list when it sees the flag: one wake serves every user queued
  // before it looks (a wake per script call cost a write on the loop's eventfd).
  if (!already_told) worker_->loop.Wake();
}

void VirtualUser::OnFifoValue(std::string value) {
  fifo_value_ = std::move(value);
  HandBackToLoop();
}

void VirtualUser::OnBarrierReleased() { HandBackToLoop(); }

void VirtualUser::ResumeAfterWait() {
  switch (state_) {
    case State::kWaitingLock: break;
    case State::kWaitingFifo:
      ++wait_token_;  // its timeout is void
      if (fifo_value_) ctx_.vars.Put(Evaluate(fifo_pop_->variable, ctx_), std::move(*fifo_value_));
      fifo_value_.reset();
      break;
    case State::kWaitingSync: ++wait_token_; break;
    case State::kScripting:
      state_ = State::kReady;
      ContinueAfterScript();
      return;
    default: return;
  }
  state_ = State::kReady;
  Step();
}

bool VirtualUser::RunPreProcessors() {
  const std::vector<const Node*>& pres = current_->scope.pre_processors;
  while (pre_done_ < pres.size()) {
    const Node* pre = pres[pre_done_++];
    if (pre->kind == ElementKind::kUserParameters && !pre->As<UserParameters>().per_iteration) {
      SetUserParameters(pre->As<UserParameters>());
    } else if (pre->kind == ElementKind::kFifoPop && !PopFifo(pre->As<FifoPop>())) {
      return false;
    } else if (pre->kind == ElementKind::kScriptPreProcessor && !RunScript(*pre, ScriptStep::kPreProcessor, nullptr)) {
      return false;
    }
  }
  return true;
}

bool VirtualUser::RunTimers() {
  const std::vector<const Node*>& timers = current_->scope.timers;
  ActiveThreadCounts counts{group_->active.load(std::memory_order_relaxed),
                            run_->all_active.load(std::memory_order_relaxed)};
  while (timers_done_ < timers.size()) {
    const Node* t = timers[timers_done_++];
    if (t->kind == ElementKind::kSyncTimer) {
      // SyncTimer.delay() waits at the barrier, then adds nothing.
      if (!ArriveAtBarrier(t->As<SyncTimer>())) return false;
      continue;
    }
    if (t->kind == ElementKind::kScriptTimer) {
      if (!RunScript(*t, ScriptStep::kTimer, nullptr)) return false;
      continue;
    }
    const int64_t now = WallMillis();
    int64_t intended_ms = -1;
    timer_delay_ms_ +=
        TimerDelayMs(*t, ctx_, timer_state_, run_->throughput, now, counts, group_, ScheduledEndMs(), &intended_ms);
    if (intended_ms >= 0) throughput_behind_ms_ = std::max<int64_t>(0, now - intended_ms);
    if (timer_state_.intended_wall_us >= 0) {  // a rate timer's slot (issue 12)
      NoteIntendedStart(timer_state_.intended_wall_us);
      timer_state_.intended_wall_us = -1;
    }
  }
  return true;
}

bool VirtualUser::PopFifo(const FifoPop& pop) {
  std::string queue = Evaluate(pop.queue, ctx_);
  std::string timeout_text = Evaluate(pop.timeout, ctx_);
  // FifoPopPreProcessor: empty waits for ever; else Long.parseLong seconds (poll(timeout,
  // SECONDS): 0 or less does not wait).
  int64_t timeout_s = INT64_MAX;
  if (!timeout_text.empty()) {
    std::optional<int64_t> parsed = ParseInt64(timeout_text);
    if (!parsed) {
      // JMeter's NumberFormatException ends the thread.
      spdlog::error("{}: {} '{}': Timeout '{}' is not a whole number of seconds; the user stops", ctx_.thread_name,
                    "jp@gc Inter-Thread Communication PreProcessor", pop.name, timeout_text);
      Finish();
      return false;
    }
    timeout_s = *parsed;
  }
  std::optional<std::string> value = run_->fifos.Pop(queue, timeout_s > 0 ? this : nullptr);
  if (value) {
    ctx_.vars.Put(Evaluate(pop.variable, ctx_), std::move(*value));
    return true;
  }
  if (timeout_s <= 0) {
    ctx_.vars.Remove(Evaluate(pop.variable, ctx_));  // poll's null: the variable is unset
    return true;
  }
  fifo_pop_ = &pop;
  state_ = State::kWaitingFifo;  // OnFifoValue, the timeout or the stop brings the user back
  constexpr int64_t kForeverS = INT64_MAX / 1000000 / 2;
  ArmWaitTimeout(timeout_s >= kForeverS ? 0 : timeout_s * 1000000);
  return false;
}

bool VirtualUser::ArriveAtBarrier(const SyncTimer& timer) {
  // groupSize 0: the thread group's users (on this engine).
  int parties =
      timer.group_size > 0 ? static_cast<int>(std::min<int64_t>(timer.group_size, INT_MAX)) : group_->num_threads;
  if (run_->barriers.Arrive(&timer, parties, this)) return true;
  sync_timer_ = &timer;
  state_ = State::kWaitingSync;  // OnBarrierReleased, the timeout or the stop brings the user back
  ArmWaitTimeout(timer.timeout_ms * 1000);
  return false;
}

void VirtualUser::ArmWaitTimeout(int64_t timeout_us) {
  int64_t now_us = MonotonicMicros();
  int64_t at_us = timeout_us > 0 ? now_us + timeout_us : 0;
  // A scheduled thread group's end also ends the wait (JMeter 5's TimerService caps the
  // SyncTimer's wait there); the user then stops.
  if (int64_t end_ms = ScheduledEndMs(); end_ms > 0) {
    int64_t end_us = now_us + std::max<int64_t>(0, end_ms + 1 - WallMillis()) * 1000;  // +1: past it
    if (at_us == 0 || end_us < at_us) at_us = end_us;
  }
  if (at_us > 0) WaitUntil(at_us);
}

void VirtualUser::OnWaitTimedOut() {
  if (state_ == State::kWaitingFifo) {
    // Already handed a value: ResumeAfterWait follows with it.
    if (!run_->fifos.Cancel(this)) return;
    ctx_.vars.Remove(Evaluate(fifo_pop_->variable, ctx_));
  } else {
    // SyncTimer: the TimeoutException breaks the barrier; everyone waiting goes on.
    if (!run_->barriers.Expire(sync_timer_, this)) return;
    spdlog::warn("{}: Synchronizing Timer '{}' timed out waiting for users after {} ms", ctx_.thread_name,
                 sync_timer_->name, sync_timer_->timeout_ms);
  }
  state_ = State::kReady;
  Step();
}

void VirtualUser::RecordSample(SampleResult& result, const Sampler*) {
  bool inside_parent_tx = false;
  for (ControllerRt* c = owner_; c; c = c->parent()) {
    if (c->node().kind != ElementKind::kTransactionController) continue;
    auto* tx = static_cast<TransactionRt*>(c);
    tx->OnChildSample(result);
    if (tx->generate_parent() && tx->active()) inside_parent_tx = true;
  }
  if (inside_parent_tx) return;
  Emit(result);
}

void VirtualUser::Emit(SampleResult& result) {
  if (pending_intended_us_ >= 0) {
    schedule_lag_us_ = std::max<int64_t>(0, result.sample.timestamp_ms * 1000 - pending_intended_us_);
    pending_intended_us_ = -1;
  }
  result.sample.schedule_lag_us = schedule_lag_us_;
  if (branch_ && branch_->parent->CollectBranchSample(result)) return;
  worker_->Emit(std::move(result.sample), WallMicros());
}

void VirtualUser::OnTransactionDone(TransactionRt& tx, SampleResult result) {
  Sample& s = result.sample;
  // The thread name comes from the children only: an empty transaction has none (JMeter).
  s.grp_threads = group_->active.load(std::memory_order_relaxed);
  s.all_threads = run_->all_active.load(std::memory_order_relaxed);
  if (tx.generate_parent()) {
    // JMeterThread checks a parent sample with the assertions in the controller's scope.
    for (const Node* a : tx.node().As<TransactionController>().assertions) Assert(*a, result);
    last_sample_ok_ = s.success;
    ctx_.vars.Put(kLastSampleOk, s.success ? "true" : "false");
  }
  // Nested in a parent-mode transaction: becomes part of that parent's sample.
  for (ControllerRt* c = tx.parent(); c; c = c->parent()) {
    if (c->node().kind != ElementKind::kTransactionController) continue;
    auto* outer = static_cast<TransactionRt*>(c);
    if (outer->generate_parent() && outer->active()) {
      outer->OnChildSample(result);
      return;
    }
  }
  // JMeterThread / TransactionController notify the controller's sample listeners (inside its
  // end, as its assertions: on the loop).
  for (const Node* l : tx.node().As<TransactionController>().listeners) {
    RunScript(*l, ScriptStep::kListener, &result, /*inline_call=*/true);
  }
  Emit(result);
}

bool VirtualUser::EvaluateCondition(const Value& condition, bool script) {
  std::string text = Evaluate(condition, ctx_);
  if (!script) return IsTrue(TrimAscii(text));
  Result<std::string> r = EvaluateScript(text, ctx_);
  return r.ok() && IsTrue(*r);
}

void VirtualUser::SetUserParameters(const UserParameters& up) {
  if (up.thread_values.empty()) return;
  // JMeter indexes by its 0-based thread number.
  const std::vector<Value>& values =
      up.thread_values[static_cast<size_t>(ctx_.thread_num - 1) % up.thread_values.size()];
  for (size_t i = 0; i < up.names.size() && i < values.size(); ++i) {
    ctx_.vars.Put(up.names[i], Evaluate(values[i], ctx_));
  }
}

void VirtualUser::RewriteUrl(const UrlRewritingModifier& m, HttpRequest* request) {
  std::string name = Evaluate(m.argument_name, ctx_);
  std::string value = FindSessionId(m, name, previous_body_);
  if (m.cache_value) {
    std::string& saved = saved_session_ids_[&m];
    if (value.empty()) {
      value = saved;
    } else {
      saved = value;
    }
  }
  RewriteRequest(m, name, value, request);
}

std::unique_ptr<HttpSampler> VirtualUser::ResolvedCopy(const HttpSampler& s, bool evaluate) {
  // JMeter's sampler after configureSampler: the defaults are merged into its fields.
  auto out = std::make_unique<HttpSampler>(s.kind);
  out->name = s.name;
  out->line = s.line;
  out->source = s.source;
  out->testclass = s.testclass;
  out->http = ResolvedHttpFields(s, ctx_, evaluate);
  out->scope = s.scope;
  auto& configs = out->scope.configs;
  configs.erase(std::remove_if(configs.begin(), configs.end(),
                               [](const Node* c) { return c->kind == ElementKind::kConfigElement; }),
                configs.end());
  return out;
}

std::unique_ptr<HttpSampler> VirtualUser::ModifiedSampler(const HttpSampler& s) {
  // What pre-processor scripts changed in `sampler` (this sample only).
  std::unique_ptr<HttpSampler> out = script_ ? std::move(script_->http) : nullptr;
  for (const Node* pre : s.scope.pre_processors) {
    if (pre->kind != ElementKind::kAnchorModifier && pre->kind != ElementKind::kParamModifier) continue;
    if (!out) out = ResolvedCopy(s, /*evaluate=*/true);
    if (pre->kind == ElementKind::kAnchorModifier) {
      if (has_previous_result_ && previous_http_) ApplyLinkParser(previous_body_, previous_url_, ctx_.rng, &out->http);
    } else {
      ApplyParamMask(pre->As<ParamModifier>(), ctx_, &param_mask_values_[pre], &out->http);
    }
  }
  return out;
}

void VirtualUser::Assert(const Node& assertion, SampleResult& result) {
  if (assertion.kind == ElementKind::kScriptAssertion) {  // a transaction's: inside its end
    RunScript(assertion, ScriptStep::kAssertion, &result, /*inline_call=*/true);
    return;
  }
  if (assertion.kind != ElementKind::kCompareAssertion) {
    RunAssertion(assertion, result, ctx_);
    return;
  }
  RecordAssertionResult(
      RunCompareAssertion(assertion.As<CompareAssertion>(), result, ctx_, &compare_states_[&assertion]), result);
}

void VirtualUser::OnIterationStart(const Node& controller) {
  // A branch's wrapper loop: the plugin registers no iteration listener on it.
  if (branch_ && &controller == branch_->parallel) return;
  for (auto& [assertion, state] : compare_states_) {
    const Node* owner = CompareIterationOwner(*assertion);
    if (owner == &controller || (owner == nullptr && &controller == group_->group)) state = CompareState{};
  }
  if (&controller == group_->group) {
    for (auto& c : controllers_) c->OnThreadGroupIteration();
    managers_.OnThreadGroupIteration();
    if (run_->keystore && run_->keystore->per_iteration()) client_cert_ = nullptr;
    bool clear = !group_->group->same_user_on_next_iteration;
    ForEachScopedElement(*group_->group, [&](const Node& e) {
      if (e.kind == ElementKind::kCookieManager && e.As<CookieManager>().clear_each_iteration) clear = true;
    });
    for (const auto& e : run_->plan->root->elements) {
      if (e->kind == ElementKind::kCookieManager && e->As<CookieManager>().clear_each_iteration) clear = true;
    }
    if (clear && group_->cookies && main_->loop_count() > 0) http_.ClearCookies();
  }
  // LoopIterationListeners hear in reverse registration order (JMeter adds them first).
  // Config elements directly under the Test Plan belong to every thread group (JMeter
  // appends them to each group's tree), so they hear each group's iterations, first.
  auto fire = [this](const Node& owner) {
    for (auto it = owner.elements.rbegin(); it != owner.elements.rend(); ++it) {
      const Node& e = **it;
      if (e.kind == ElementKind::kUserParameters && e.As<UserParameters>().per_iteration) {
        SetUserParameters(e.As<UserParameters>());
      }
      RunIterationConfig(e);
    }
  };
  if (&controller == group_->group) fire(*run_->plan->root);
  fire(controller);
}

void VirtualUser::RunIterationConfig(const Node& element) {
  switch (element.kind) {
    case ElementKind::kCsvDataSet:
    case ElementKind::kRandomCsvDataSet: {
      // "Current thread group" sharing needs an identity unique in the run.
      CsvResult r = run_->csv->Next(element.As<CsvDataSet>(), ctx_, csv_state_, group_->index);
      if (!r.message.empty()) spdlog::error("{}: {}", ctx_.thread_name, r.message);
      // End of file with "stop thread", or an unreadable file: the user stops before any
      // sampler of this iteration runs (JMeter's JMeterStopThreadException).
      if (r.outcome != CsvOutcome::kOk) stop_after_sample_ = true;
      return;
    }
    case ElementKind::kCounter:
      run_->counters->IterationStart(element.As<Counter>(), ctx_, config_state_, main_->iteration());
      return;
    case ElementKind::kRandomVariable:
      run_->randoms->IterationStart(element.As<RandomVariable>(), ctx_, config_state_);
      return;
    default: return;
  }
}

void VirtualUser::StartNextThreadLoop() {
  ++thread_loop_restarts_;
  for (ControllerRt* c = owner_; c && c != main_; c = c->parent()) c->TriggerEndOfLoop(*this);
  main_->StartNextLoop(*this);
  // A branch's loop ends, and the user goes on with its next iteration after the parallel
  // sample (the plugin's wrapper loop sets the parent's "restart next loop").
  if (branch_) branch_->parent->parallel_->restart_next_loop = true;
}

void VirtualUser::ApplyFlowControl(const TestAction& action) {
  using A = TestAction::Action;
  switch (action.action) {
    case A::kPause: {
      int64_t ms = ParseInt64(Evaluate(action.duration_ms, ctx_)).value_or(0);
      if (ms > 0) {
        state_ = State::kDelaying;
        delayed_ = true;
        WaitUntil(MonotonicMicros() + ms * 1000);
      }
      return;
    }
    case A::kStopThread:
      if (action.target == TestAction::Target::kAllThreads) {
        run_->RequestStop(false);
      } else {
        stop_after_sample_ = true;
      }
      return;
    case A::kStopTestNow: run_->RequestStop(true); return;
    case A::kRestartNextLoop: StartNextThreadLoop(); return;
    case A::kStartNextIterationOfCurrentLoop: StartNextIterationOfCurrentLoop(); return;
    case A::kBreakCurrentLoop: BreakCurrentLoop(); return;
  }
}

void VirtualUser::StartNextIterationOfCurrentLoop() {
  for (ControllerRt* c = owner_; c; c = c->parent()) {
    if (c->is_iterating()) {
      c->StartNextLoop(*this);
      return;
    }
    c->TriggerEndOfLoop(*this);
  }
}

void VirtualUser::BreakCurrentLoop() {
  for (ControllerRt* c = owner_; c; c = c->parent()) {
    if (c->is_iterating()) {
      c->BreakLoop();
      return;
    }
    c->TriggerEndOfLoop(*this);
  }
}

}  // namespace barrage
