// The Synchronizing Timers' barriers (JMeter's SyncTimer on a CyclicBarrier): one per timer
// element, shared by every virtual user of the engine that runs it (in a cluster, by the
// users of one worker, as JMeter's are per JVM in distributed mode). Users arriving wait
// until `parties` have arrived; then all go on together and the barrier starts again. A
// wait that times out (or a waiting user that stops) breaks the barrier: every user waiting
// there goes on at once and the count starts from zero (CyclicBarrier's broken barrier,
// which SyncTimer resets).
//
// Nothing blocks: a user that has to wait is told later, through OnBarrierReleased, that it
// may go on. Thread-safe: users on every event loop call it. OnBarrierReleased is called
// from the thread that released the barrier (any loop), with the table's mutex held: it
// must not call back into the table (it only hands the user to its loop).
#ifndef BARRAGE_WORKER_SYNC_BARRIER_H_
#define BARRAGE_WORKER_SYNC_BARRIER_H_

#include <mutex>
#include <unordered_map>
#include <vector>

namespace barrage {

class BarrierWaiter {
 public:
  // The barrier this waiter waited at let it go (after Arrive returned false). Any thread;
  // must not call the SyncBarriers back.
  virtual void OnBarrierReleased() = 0;

 protected:
  ~BarrierWaiter() = default;
};

class SyncBarriers {
 public:
  // Fixes the number of parties of `timer`'s barrier unless it has one already (a group
  // size of 0 takes the thread group's size from the first user that starts).
  void Setup(const void* timer, int parties);
  // `who` arrives at `timer`'s barrier, made with `parties` unless Setup made it. True:
  // `who` goes on now (it completed the group, which is released). False: it waits for
  // OnBarrierReleased.
  bool Arrive(const void* timer, int parties, BarrierWaiter* who);
  // `who`'s wait at `timer` timed out: the barrier breaks (the others waiting are released).
  // True when `who` was still waiting; false when it was released already (OnBarrierReleased
  // was called or is being called).
  bool Expire(const void* timer, BarrierWaiter* who);
  // `who` stops: it leaves any barrier it waits at, which breaks.
  void Abandon(BarrierWaiter* who);
  // Users waiting at `timer`; for tests.
  size_t waiting(const void* timer);

 private:
  struct Barrier {
    int parties = 0;  // 0: not set up yet
    std::vector<BarrierWaiter*> waiting;
  };
  // Releases everyone waiting at `b` (needs mu_).
  static void ReleaseAll(Barrier& b);

  std::mutex mu_;
  std::unordered_map<const void*, Barrier> barriers_;  // guarded by mu_
};

}  // namespace barrage

#endif  // BARRAGE_WORKER_SYNC_BARRIER_H_
