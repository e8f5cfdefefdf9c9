// Switch Controller selection and the Critical Section Controllers' named locks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "worker/more_controllers.h"
#include "worker/named_locks.h"

namespace barrage {
namespace {

const std::vector<std::string> kChildren = {"first", "second", "default", "Default"};

TEST(SwitchSelectionTest, IndexInRangeSelectsThatChild) { EXPECT_EQ(SwitchSelection("2", kChildren), 2u); }

TEST(SwitchSelectionTest, SignedIndexIsANumber) { EXPECT_EQ(SwitchSelection("+1", kChildren), 1u); }

TEST(SwitchSelectionTest, IndexOutOfRangeSelectsTheFirst) {
  EXPECT_EQ(SwitchSelection("4", kChildren), 0u);
  EXPECT_EQ(SwitchSelection("-1", kChildren), 0u);
  EXPECT_EQ(SwitchSelection("99999999999", kChildren), 3u);  // beyond int: a name; the last "default"
}

TEST(SwitchSelectionTest, EmptySelectsTheFirst) { EXPECT_EQ(SwitchSelection("", kChildren), 0u); }

TEST(SwitchSelectionTest, NameSelectsTheChildOfThatName) { EXPECT_EQ(SwitchSelection("second", kChildren), 1u); }

TEST(SwitchSelectionTest, NamesAreCaseSensitive) {
  EXPECT_EQ(SwitchSelection("SECOND", {"first", "second"}), 2u);  // none
}

TEST(SwitchSelectionTest, UnknownNameSelectsTheLastChildNamedDefault) {
  EXPECT_EQ(SwitchSelection("third", kChildren), 3u);
}

TEST(SwitchSelectionTest, UnknownNameWithoutDefaultSelectsNothing) {
  EXPECT_EQ(SwitchSelection("third", {"first", "second"}), 2u);
}

TEST(SwitchSelectionTest, NumberWithSpacesIsAName) { EXPECT_EQ(SwitchSelection(" 1", {"a", " 1"}), 1u); }

struct Waiter final : LockWaiter {
  virtual ~Waiter() = default;
  std::vector<std::string> granted;
  void OnLockGranted(const std::string& name) override { granted.push_back(name); }
};

TEST(NamedLocksTest, FreeLockIsTakenAtOnce) {
  NamedLocks locks;
  Waiter a;
  EXPECT_TRUE(locks.Acquire("l", &a));
  EXPECT_EQ(locks.holder("l"), &a);
}

TEST(NamedLocksTest, HolderTakesItAgain) {
  NamedLocks locks;
  Waiter a, b;
  EXPECT_TRUE(locks.Acquire("l", &a));
  EXPECT_TRUE(locks.Acquire("l", &a));
  EXPECT_FALSE(locks.Acquire("l", &b));
  locks.Release("l", &a);
  EXPECT_EQ(locks.holder("l"), &a);  // one hold left
  EXPECT_TRUE(b.granted.empty());
  locks.Release("l", &a);
  EXPECT_EQ(locks.holder("l"), &b);
  EXPECT_EQ(b.granted, std::vector<std::string>{"l"});
}

TEST(NamedLocksTest, WaitersGetTheLockInOrder) {
  NamedLocks locks;
  Waiter a, b, c;
  ASSERT_TRUE(locks.Acquire("l", &a));
  EXPECT_FALSE(locks.Acquire("l", &b));
  EXPECT_FALSE(locks.Acquire("l", &c));
  locks.Release("l", &a);
  EXPECT_EQ(locks.holder("l"), &b);
  EXPECT_TRUE(c.granted.empty());
  locks.Release("l", &b);
  EXPECT_EQ(locks.holder("l"), &c);
  locks.Release("l", &c);
  EXPECT_EQ(locks.holder("l"), nullptr);
}

TEST(NamedLocksTest, NamesAreIndependent) {
  NamedLocks locks;
  Waiter a, b;
  EXPECT_TRUE(locks.Acquire("one", &a));
  EXPECT_TRUE(locks.Acquire("two", &b));
}

TEST(NamedLocksTest, ReleaseByANonHolderDoesNothing) {
  NamedLocks locks;
  Waiter a, b;
  ASSERT_TRUE(locks.Acquire("l", &a));
  locks.Release("l", &b);
  EXPECT_EQ(locks.holder("l"), &a);
}

TEST(NamedLocksTest, AbandonPassesHeldLocksOnAndLeavesQueues) {
  NamedLocks locks;
  Waiter a, b, c;
  ASSERT_TRUE(locks.Acquire("l", &a));
  ASSERT_TRUE(locks.Acquire("m", &b));
  EXPECT_FALSE(locks.Acquire("l", &b));
  EXPECT_FALSE(locks.Acquire("m", &c));
  EXPECT_FALSE(locks.Acquire("l", &c));
  locks.Abandon(&b);  // holds m, waits for l
  EXPECT_EQ(locks.holder("m"), &c);
  EXPECT_EQ(c.granted, std::vector<std::string>{"m"});
  locks.Release("l", &a);
  EXPECT_EQ(locks.holder("l"), &c);  // b left the queue
}

}  // namespace
}  // namespace barrage
