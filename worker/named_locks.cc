#include "worker/named_locks.h"

#include <algorithm>

namespace barrage {

bool NamedLocks::Acquire(const std::string& name, LockWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  Lock& lock = locks_[name];
  if (lock.owner == nullptr || lock.owner == who) {
    lock.owner = who;
    ++lock.holds;
    return true;
  }
  lock.waiting.push_back(who);
  return false;
}

LockWaiter* NamedLocks::HandOver(Lock& lock) {
  lock.owner = nullptr;
  lock.holds = 0;
  if (lock.waiting.empty()) return nullptr;
  lock.owner = lock.waiting.front();
  lock.waiting.pop_front();
  lock.holds = 1;
  return lock.owner;
}

// The new owner is told under mu_: a waiter that is being destroyed (and abandons its
// locks) waits for the call to end, so it is never told after it is gone.
void NamedLocks::Release(const std::string& name, LockWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = locks_.find(name);
  if (it == locks_.end() || it->second.owner != who) return;
  if (--it->second.holds > 0) return;
  if (LockWaiter* next = HandOver(it->second)) next->OnLockGranted(name);
}

void NamedLocks::Abandon(LockWaiter* who) {
  std::lock_guard<std::mutex> guard(mu_);
  for (auto& [name, lock] : locks_) {
    lock.waiting.erase(std::remove(lock.waiting.begin(), lock.waiting.end(), who), lock.waiting.end());
    if (lock.owner == who) {
      if (LockWaiter* next = HandOver(lock)) next->OnLockGranted(name);
    }
  }
}

LockWaiter* NamedLocks::holder(const std::string& name) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = locks_.find(name);
  return it == locks_.end() ? nullptr : it->second.owner;
}

}  // namespace barrage
