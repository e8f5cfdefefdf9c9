// The Critical Section Controllers' locks: one reentrant lock per name for every virtual
// user of an engine (JMeter's static CriticalSectionController lock map). Nothing blocks:
// a user that cannot have a lock is queued and told later, through OnLockGranted, that it
// holds it; waiting users are served in the order they asked.
//
// Thread-safe: users on every event loop call it. OnLockGranted is called from the thread
// that released the lock (any loop), with the table's mutex held: it must not call back
// into the table (it only hands the user to its loop).
#ifndef BARRAGE_WORKER_NAMED_LOCKS_H_
#define BARRAGE_WORKER_NAMED_LOCKS_H_

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace barrage {

class LockWaiter {
 public:
  // `name` is now held by this waiter (after Acquire returned false). Any thread; must not
  // call the NamedLocks back.
  virtual void OnLockGranted(const std::string& name) = 0;

 protected:
  ~LockWaiter() = default;
};

class NamedLocks {
 public:
  // True: `who` holds `name` now (free, or held by `who` already: one more hold). False:
  // `who` is queued; OnLockGranted(name) follows when the lock is its.
  bool Acquire(const std::string& name, LockWaiter* who);
  // Gives up one hold of `name` by `who`; the last one passes the lock to the first waiter.
  // Nothing when `who` does not hold it.
  void Release(const std::string& name, LockWaiter* who);
  // `who` stops: every hold it has is given up and it leaves every queue.
  void Abandon(LockWaiter* who);
  // Who holds `name` (nullptr: free); for tests.
  LockWaiter* holder(const std::string& name);

 private:
  struct Lock {
    LockWaiter* owner = nullptr;
    int holds = 0;
    std::deque<LockWaiter*> waiting;
  };
  // Passes a freed lock on; returns the new owner to notify (nullptr: none). Needs mu_.
  LockWaiter* HandOver(Lock& lock);

  std::mutex mu_;
  std::unordered_map<std::string, Lock> locks_;  // guarded by mu_
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_NAMED_LOCKS_H_
