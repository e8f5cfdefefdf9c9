#include "worker/user_reclaim.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "worker/virtual_user.h"

namespace barrage {

void ReclaimEndedUsers(LoopWorker* w) {
  const size_t ended = w->ended.size();
  if (ended < kReclaimBatch || ended < w->users.size() - ended) return;
  std::vector<const TimerHandler*> handlers;
  std::vector<const VirtualUser*> objects;
  std::unordered_set<const VirtualUser*> freed;
  std::vector<VirtualUser*> kept;
  for (VirtualUser* u : w->ended) {
    const size_t h = handlers.size();
    const size_t o = objects.size();
    if (!u->CollectReclaimable(&handlers, &objects)) {  // not expected (see the header): kept
      handlers.resize(h);
      objects.resize(o);
      kept.push_back(u);
      continue;
    }
    freed.insert(u);
  }
  w->ended.swap(kept);
  if (freed.empty()) return;

  const std::unordered_set<const TimerHandler*> gone(handlers.begin(), handlers.end());
  w->loop.DropTimers([&gone](const TimerHandler* h) { return gone.count(h) != 0; });
  {
    std::lock_guard<std::mutex> lock(w->mu);
    if (!w->granted.empty()) {
      const std::unordered_set<const VirtualUser*> named(objects.begin(), objects.end());
      std::erase_if(w->granted, [&named](const VirtualUser* u) { return named.count(u) != 0; });
    }
  }
  // Destroying a user abandons what it may still hold in the run's registries (nothing, as
  // it finished) and closes its libcurl handle.
  std::erase_if(w->users, [&freed](const std::unique_ptr<VirtualUser>& u) { return freed.count(u.get()) != 0; });
  w->freed_users.store(w->freed_users.load(std::memory_order_relaxed) + static_cast<int64_t>(freed.size()),
                       std::memory_order_relaxed);
}

}  // namespace barrage
