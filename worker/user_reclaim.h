// Frees the users of dynamic thread groups that ended (issue 12), so that an event loop
// holds about as many VirtualUser objects as it has live users, not one per arrival.
//
// Concurrency, Arrivals, Free-Form Arrivals and Open Model Thread Groups create users as they
// go (worker/arrival_groups.h); an Open Model group makes one per arrival. A dynamic group's
// user that finished (VirtualUser::Finish) is listed in LoopWorker::ended and stays in
// LoopWorker::users (so the stop's Interrupt pass and the run's end see it as before) until
// ReclaimEndedUsers, which the loop calls after each pass of events, frees it. Users of
// static thread groups are not concerned: they stay until the run ends.
//
// Why freeing is safe: once a user and the Parallel Controller branches it started have
// finished, these are the only things that can still refer to them, and each is handled:
// - timers: the loop's heap holds handler pointers, and timers cannot be cancelled one by
//   one (their handlers ignore stale tokens). The timers of the user, of its branches and of
//   each one's fast-path connection (wait and start timers, the watchdog, which may be due
//   only at the group's scheduled end, a connect timeout) are removed from the heap
//   (EventLoop::DropTimers) before the objects go; a finished user queues no new timer.
// - the loop's `granted` list: a lock, a Fifo value or a barrier release handed over from
//   another thread before the user's end. Such entries are removed under the loop's lock.
//   None is added later: NamedLocks, FifoQueues and SyncBarriers call a waiter under their
//   own lock, and Finish (FinishBranch for a branch) abandons / cancels under it.
// - a DNS Cache Manager lookup in flight (a stop during kResolving): Finish cancels it
//   (DnsResolver::Cancel).
// - transfers: a user does not finish in kInFlight (a stop aborts the request; the user ends
//   after its completion), so no libcurl or fast-path transfer points at it; its connection
//   is closed (out of epoll), and the epoll batch that may still name it was dispatched
//   before the loop calls ReclaimEndedUsers. A fast-path host lookup is cancelled with its
//   request (HttpTransfer::Cancel).
// - scripts: a user waiting for the script host (kScripting, also a quick script queued on
//   the loop) does not finish before the host called back through `granted`.
// - its driver: OnUserFinished took it out of the driver's idle pool.
//
// Batches: the ended users are freed once they are at least kReclaimBatch and at least as
// many as the loop's users still live. A batch costs O(live users + queued timers), so
// O(1) per freed user amortised, and a loop holds at most about twice its peak of live users
// plus kReclaimBatch user objects.
#ifndef BARRAGE_WORKER_USER_RECLAIM_H_
#define BARRAGE_WORKER_USER_RECLAIM_H_

#include <cstddef>

#include "worker/engine_internal.h"

namespace barrage {

inline constexpr size_t kReclaimBatch = 64;

// Loop thread, between passes of events (after `granted` was drained): frees w->ended's users
// when a batch is due (see above); counts them in w->freed_users.
void ReclaimEndedUsers(LoopWorker* w);

}  // namespace barrage

#endif  // BARRAGE_WORKER_USER_RECLAIM_H_
