#include "worker/sync_barrier.h"

#include <algorithm>

namespace barrage {

// Waiters are told under mu_: a waiter that is being destroyed (and abandons its wait)
// waits for the call to end, so it is never told after it is gone.
void SyncBarriers::ReleaseAll(Barrier& b) {
  std::vector<BarrierWaiter*> released;
  released.swap(b.waiting);
  for (BarrierWaiter* w : released) w->OnBarrierReleased();
}

void SyncBarriers::Setup(const void* timer, int parties) {
  std::lock_guard<std::mutex> guard(mu_);
  Barrier& b = barriers_[timer];
  if (b.parties == 0) b.parties = parties;
}

bool SyncBarriers::Arrive(const void* timer, int parties, BarrierWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  Barrier& b = barriers_[timer];
  if (b.parties == 0) b.parties = parties;
  if (static_cast<int>(b.waiting.size()) + 1 >= b.parties) {
    ReleaseAll(b);  // `who` trips the barrier; the next generation starts empty
    return true;
  }
  b.waiting.push_back(who);
  return false;
}

bool SyncBarriers::Expire(const void* timer, BarrierWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = barriers_.find(timer);
  if (it == barriers_.end()) return false;
  Barrier& b = it->second;
  auto self = std::find(b.waiting.begin(), b.waiting.end(), who);
  if (self == b.waiting.end()) return false;
  b.waiting.erase(self);
  ReleaseAll(b);
  return true;
}

void SyncBarriers::Abandon(BarrierWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  for (auto& [timer, b] : barriers_) {
    auto self = std::find(b.waiting.begin(), b.waiting.end(), who);
    if (self == b.waiting.end()) continue;
    b.waiting.erase(self);
    ReleaseAll(b);
  }
}

size_t SyncBarriers::waiting(const void* timer) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = barriers_.find(timer);
  return it == barriers_.end() ? 0 : it->second.waiting.size();
}

}  // namespace barrage
