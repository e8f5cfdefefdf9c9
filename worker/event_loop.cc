#include "worker/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace barrage {

namespace {
// epoll_event.data: the wake eventfd is kWakeTag, a curl socket is kCurlTag | fd, and a
// socket added with AddSocket is its SocketHandler* (user-space pointers never have bit 62
// set on the platforms we build for).
constexpr uint64_t kWakeTag = ~uint64_t{0};
constexpr uint64_t kCurlTag = uint64_t{1} << 62;
}  // namespace

EventLoop::EventLoop() {
  // No destructor runs after a throwing constructor: give back what is already set up.
  auto fail = [this](const char* what) {
    const int error = errno;
    Release();
    throw std::runtime_error(std::string("event loop setup failed: ") + what + ": " + std::strerror(error));
  };
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail("epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) fail("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) fail("epoll_ctl");
  multi_ = curl_multi_init();
  if (!multi_) {
    errno = ENOMEM;
    fail("curl_multi_init");
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnCurlSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EventLoop::OnCurlTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // 0 does not mean "unlimited": libcurl then keeps 4 x the transfers in flight, and as
  // transfers end it closes idle keep-alive connections that users will need again (seen as
  // reconnect storms with 10,000 paced users). Keep every idle connection.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 1000000L);
  // HTTP/2 requests (worker/http2_mode.h) share a connection to one origin as streams.
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  read_buffer_.resize(64 * 1024);
}

EventLoop::~EventLoop() { Release(); }

void EventLoop::Release() {
  if (multi_) curl_multi_cleanup(multi_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  multi_ = nullptr;
  wake_fd_ = epoll_fd_ = -1;
}

EventLoop::CurlSocket& EventLoop::CurlSlot(curl_socket_t s) {
  size_t i = static_cast<size_t>(s);
  if (i >= curl_sockets_.size()) curl_sockets_.resize(std::max<size_t>(i + 1, curl_sockets_.size() * 2));
  return curl_sockets_[i];
}

curl_socket_t EventLoop::OnCurlOpenSocket(void* loop, curlsocktype, curl_sockaddr* a) {
  curl_socket_t s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (s >= 0) {
    CurlSocket& slot = static_cast<EventLoop*>(loop)->CurlSlot(s);
    slot = CurlSocket{};
    slot.tracked = true;
  }
  return s < 0 ? CURL_SOCKET_BAD : s;
}

int EventLoop::OnCurlCloseSocket(void* loop, curl_socket_t s) {
  auto* self = static_cast<EventLoop*>(loop);
  if (static_cast<size_t>(s) < self->curl_sockets_.size()) self->curl_sockets_[static_cast<size_t>(s)] = CurlSocket{};
  return close(s);  // also removes it from epoll
}

int EventLoop::OnCurlSocket(CURL*, curl_socket_t s, int what, void* userp, void*) {
  auto* self = static_cast<EventLoop*>(userp);
  CurlSocket& slot = self->CurlSlot(s);
  if (what == CURL_POLL_REMOVE) {
    slot.wanted = false;
    // A connection going idle stays registered (its events are ignored until curl wants
    // it again); only sockets whose close the loop would not see are removed.
    if (!slot.tracked && slot.registered != 0) {
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, s, nullptr);
      slot.registered = 0;
    }
    return 0;
  }
  uint32_t want = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
  slot.wanted = true;
  if (slot.registered == want) return 0;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = kCurlTag | static_cast<uint64_t>(s);
  int op = slot.registered != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(self->epoll_fd_, op, s, &ev) != 0) {
    // The table was out of date (a socket closed behind the loop's back): try the other op.
    epoll_ctl(self->epoll_fd_, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev);
  }
  slot.registered = want;
  return 0;
}

void EventLoop::OnCurlSocketEvent(curl_socket_t s, uint32_t events) {
  CurlSocket& slot = CurlSlot(s);
  if (!slot.wanted) {
    // An idle connection became readable (the server closed it) or writable: stop
    // listening; curl finds the connection dead when it next checks it.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, s, nullptr);
    slot.registered = 0;
    return;
  }
  int flags = 0;
  if (events & EPOLLIN) flags |= CURL_CSELECT_IN;
  if (events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
  int still_running = 0;
  curl_multi_socket_action(multi_, s, flags, &still_running);
}

bool EventLoop::AddSocket(int fd, uint32_t events, SocketHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::RemoveSocket(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

int EventLoop::OnCurlTimer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<EventLoop*>(userp);
  self->curl_deadline_us_ = timeout_ms < 0 ? -1 : MonotonicMicros() + timeout_ms * 1000;
  return 0;
}

void EventLoop::StartTransfer(CURL* easy, TransferHandler* handler) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, handler);
  ++running_;
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    --running_;
    handler->OnTransferDone(easy, CURLE_FAILED_INIT);
  }
}

void EventLoop::CancelTransfer(CURL* easy, CURLcode result) {
  void* p = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
  curl_multi_remove_handle(multi_, easy);
  --running_;
  static_cast<TransferHandler*>(p)->OnTransferDone(easy, result);
}

void EventLoop::AddTimer(int64_t at_us, TimerHandler* handler, uint64_t token) {
  timers_.push_back({at_us, timer_seq_++, handler, token});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<Timer>());
}

size_t EventLoop::DropTimers(const std::function<bool(const TimerHandler*)>& gone) {
  auto kept = std::remove_if(timers_.begin(), timers_.end(), [&](const Timer& t) { return gone(t.handler); });
  const size_t dropped = static_cast<size_t>(timers_.end() - kept);
  if (dropped == 0) return 0;
  timers_.erase(kept, timers_.end());
  // (at_us, seq) orders every pair, so the timers left fire in the same order as before.
  std::make_heap(timers_.begin(), timers_.end(), std::greater<Timer>());
  return dropped;
}

void EventLoop::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
}

void EventLoop::CheckCompleted() {
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &pending)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode result = msg->data.result;
    void* p = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
    curl_multi_remove_handle(multi_, easy);
    --running_;
    static_cast<TransferHandler*>(p)->OnTransferDone(easy, result);
  }
}

void EventLoop::RunDueTimers(int64_t now_us) {
  while (!timers_.empty() && timers_.front().at_us <= now_us) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<Timer>());
    Timer t = timers_.back();
    timers_.pop_back();
    t.handler->OnTimer(now_us, t.token);
  }
}

void EventLoop::Run(const std::function<bool()>& should_exit, const std::function<void()>& after_events) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  int still_running = 0;
  while (!should_exit()) {
    int64_t now = MonotonicMicros();
    int64_t next = -1;
    if (!timers_.empty()) next = timers_.front().at_us;
    if (curl_deadline_us_ >= 0 && (next < 0 || curl_deadline_us_ < next)) next = curl_deadline_us_;
    int timeout_ms = 100;  // bounded, so stop flags are seen promptly even without Wake()
    if (next >= 0) {
      int64_t wait_us = next - now;
      timeout_ms = wait_us <= 0 ? 0 : static_cast<int>(std::min<int64_t>((wait_us + 999) / 1000, 100));
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeTag) {
        uint64_t v;
        ssize_t r = read(wake_fd_, &v, sizeof v);
        (void)r;
        continue;
      }
      uint64_t tag = events[i].data.u64;
      if (tag & kCurlTag) {
        OnCurlSocketEvent(static_cast<curl_socket_t>(tag & ~kCurlTag), events[i].events);
      } else {
        static_cast<SocketHandler*>(events[i].data.ptr)->OnSocketEvent(events[i].events);
      }
    }
    now = MonotonicMicros();
    if (curl_deadline_us_ >= 0 && curl_deadline_us_ <= now) {
      curl_deadline_us_ = -1;
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still_running);
    }
    CheckCompleted();
    RunDueTimers(now);
    // Transfers started by timer handlers need curl to look at them.
    CheckCompleted();
    if (after_events) after_events();
  }
}

}  // namespace barrage
