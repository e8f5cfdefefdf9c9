#include "common/user_rng.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace barrage {
namespace {

// xoshiro256** seeded by splitmix64, as its authors publish them: the first outputs for seed
// 7, computed by an independent (Python) implementation of both algorithms.
TEST(UserRngTest, FollowsXoshiro256StarStarSeededBySplitMix64) {
  UserRng rng(7);
  EXPECT_EQ(rng(), 0xb358faf74ef9765aULL);
  EXPECT_EQ(rng(), 0x475c3d964f482cd2ULL);
  EXPECT_EQ(rng(), 0xd6f1d349952c7996ULL);
  rng.seed(7);
  EXPECT_EQ(rng(), 0xb358faf74ef9765aULL);
}

TEST(UserRngTest, UsersGetDistinctSequencesAndTheDistributionsTakeIt) {
  std::set<uint64_t> firsts;
  for (int i = 0; i < 1000; ++i) firsts.insert(UserRng::FromEntropy()());
  EXPECT_EQ(firsts.size(), 1000u);
  UserRng rng(1);
  std::uniform_int_distribution<int> die(1, 6);
  int counts[7] = {};
  for (int i = 0; i < 6000; ++i) ++counts[die(rng)];
  for (int face = 1; face <= 6; ++face) {
    EXPECT_GT(counts[face], 800) << face;
    EXPECT_LT(counts[face], 1200) << face;
  }
}

}  // namespace
}  // namespace barrage
