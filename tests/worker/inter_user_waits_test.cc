// The jp@gc Fifo queues and the Synchronizing Timers' barriers (issue 10): who waits, who
// is told, in which order.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "worker/fifo_queues.h"
#include "worker/sync_barrier.h"

namespace barrage {
namespace {

struct FakeFifoWaiter final : FifoWaiter {
  std::vector<std::string> got;
  void OnFifoValue(std::string value) override { got.push_back(std::move(value)); }
};

TEST(FifoQueuesTest, ValuesComeOutInTheOrderTheyWentIn) {
  FifoQueues q;
  q.Put("Q", "a");
  q.Put("Q", "b");
  EXPECT_EQ(q.size("Q"), 2u);
  EXPECT_EQ(q.TryPop("Q"), std::optional<std::string>("a"));
  EXPECT_EQ(q.TryPop("Q"), std::optional<std::string>("b"));
  EXPECT_EQ(q.size("Q"), 0u);
}

TEST(FifoQueuesTest, EmptyValuesAreValues) {
  FifoQueues q;
  q.Put("Q", "");
  EXPECT_EQ(q.TryPop("Q"), std::optional<std::string>(""));
}

TEST(FifoQueuesTest, TryPopOnAnEmptyQueueGivesNothingAndDoesNotWait) {
  FifoQueues q;
  EXPECT_EQ(q.TryPop("Q"), std::nullopt);
  EXPECT_EQ(q.waiting("Q"), 0u);
}

TEST(FifoQueuesTest, QueuesAreIndependent) {
  FifoQueues q;
  q.Put("A", "1");
  EXPECT_EQ(q.TryPop("B"), std::nullopt);
  EXPECT_EQ(q.size("A"), 1u);
}

TEST(FifoQueuesTest, PutHandsTheValueToTheFirstWaiter) {
  FifoQueues q;
  FakeFifoWaiter first, second;
  EXPECT_EQ(q.Pop("Q", &first), std::nullopt);
  EXPECT_EQ(q.Pop("Q", &second), std::nullopt);
  EXPECT_EQ(q.waiting("Q"), 2u);
  q.Put("Q", "x");
  EXPECT_EQ(first.got, std::vector<std::string>{"x"});
  EXPECT_TRUE(second.got.empty());
  q.Put("Q", "y");
  EXPECT_EQ(second.got, std::vector<std::string>{"y"});
  EXPECT_EQ(q.size("Q"), 0u);  // handed over, never queued
  EXPECT_EQ(q.waiting("Q"), 0u);
}

TEST(FifoQueuesTest, CancelEndsTheWait) {
  FifoQueues q;
  FakeFifoWaiter w;
  EXPECT_EQ(q.Pop("Q", &w), std::nullopt);
  EXPECT_TRUE(q.Cancel(&w));
  q.Put("Q", "x");
  EXPECT_TRUE(w.got.empty());
  EXPECT_EQ(q.size("Q"), 1u);
}

TEST(FifoQueuesTest, CancelAfterTheValueWasHandedOverSaysSo) {
  FifoQueues q;
  FakeFifoWaiter w;
  EXPECT_EQ(q.Pop("Q", &w), std::nullopt);
  q.Put("Q", "x");
  EXPECT_FALSE(q.Cancel(&w));
  EXPECT_EQ(w.got, std::vector<std::string>{"x"});
}

struct FakeBarrierWaiter final : BarrierWaiter {
  int released = 0;
  void OnBarrierReleased() override { ++released; }
};

const int kTimer = 0;  // its address names a timer

TEST(SyncBarriersTest, UsersWaitUntilTheGroupIsComplete) {
  SyncBarriers b;
  FakeBarrierWaiter a, c, last;
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &a));
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &c));
  EXPECT_EQ(a.released, 0);
  EXPECT_TRUE(b.Arrive(&kTimer, 3, &last));  // the third goes on at once
  EXPECT_EQ(a.released, 1);
  EXPECT_EQ(c.released, 1);
  EXPECT_EQ(last.released, 0);
  EXPECT_EQ(b.waiting(&kTimer), 0u);
}

TEST(SyncBarriersTest, TheBarrierStartsAgainAfterEachGroup) {
  SyncBarriers b;
  FakeBarrierWaiter a, c;
  EXPECT_FALSE(b.Arrive(&kTimer, 2, &a));
  EXPECT_TRUE(b.Arrive(&kTimer, 2, &c));
  EXPECT_FALSE(b.Arrive(&kTimer, 2, &c));
  EXPECT_EQ(b.waiting(&kTimer), 1u);
  EXPECT_TRUE(b.Arrive(&kTimer, 2, &a));
  EXPECT_EQ(c.released, 1);
}

TEST(SyncBarriersTest, AGroupOfOneNeverWaits) {
  SyncBarriers b;
  FakeBarrierWaiter a;
  EXPECT_TRUE(b.Arrive(&kTimer, 1, &a));
  EXPECT_TRUE(b.Arrive(&kTimer, 1, &a));
}

TEST(SyncBarriersTest, EachTimerHasItsOwnBarrier) {
  SyncBarriers b;
  const int other = 0;
  FakeBarrierWaiter a, c;
  EXPECT_FALSE(b.Arrive(&kTimer, 2, &a));
  EXPECT_FALSE(b.Arrive(&other, 2, &c));
  EXPECT_EQ(b.waiting(&kTimer), 1u);
  EXPECT_EQ(b.waiting(&other), 1u);
}

TEST(SyncBarriersTest, SetupFixesTheGroupSizeFirst) {
  SyncBarriers b;
  FakeBarrierWaiter a, c;
  b.Setup(&kTimer, 3);
  b.Setup(&kTimer, 2);  // too late: the first one counts
  EXPECT_FALSE(b.Arrive(&kTimer, 1, &a));
  EXPECT_FALSE(b.Arrive(&kTimer, 1, &c));
  EXPECT_EQ(b.waiting(&kTimer), 2u);
}

TEST(SyncBarriersTest, ATimedOutWaitReleasesEveryoneWaiting) {
  SyncBarriers b;
  FakeBarrierWaiter a, c, late;
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &a));
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &c));
  EXPECT_TRUE(b.Expire(&kTimer, &a));
  EXPECT_EQ(a.released, 0);  // it goes on by itself
  EXPECT_EQ(c.released, 1);
  EXPECT_FALSE(b.Expire(&kTimer, &c));  // its own timeout comes too late
  // The count starts from zero again.
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &late));
  EXPECT_EQ(b.waiting(&kTimer), 1u);
}

TEST(SyncBarriersTest, AUserThatStopsBreaksTheBarrier) {
  SyncBarriers b;
  FakeBarrierWaiter a, c;
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &a));
  EXPECT_FALSE(b.Arrive(&kTimer, 3, &c));
  b.Abandon(&a);
  EXPECT_EQ(a.released, 0);
  EXPECT_EQ(c.released, 1);
  EXPECT_EQ(b.waiting(&kTimer), 0u);
}

}  // namespace
}  // namespace barrage
