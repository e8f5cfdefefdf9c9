// The random generator every virtual user (ThreadContext::rng) draws from: xoshiro256**
// (Blackman and Vigna, 2018), 32 bytes of state where std::mt19937_64 holds 2.5 KB — at
// 100,000 users per worker that was a quarter of each user's memory. A
// UniformRandomBitGenerator, so the <random> distributions take it. Not thread-safe: one
// per user.
#ifndef BARRAGE_COMMON_USER_RNG_H_
#define BARRAGE_COMMON_USER_RNG_H_

#include <cstdint>
#include <limits>

namespace barrage {

class UserRng {
 public:
  using result_type = uint64_t;

  // The same seed gives the same sequence.
  explicit UserRng(uint64_t seed) { this->seed(seed); }
  void seed(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix64(seed);
  }
  // Seeded from the process's entropy (read once) and a process-wide counter: users get
  // distinct sequences without a system call each.
  static UserRng FromEntropy();

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // Advances `state` and returns the next splitmix64 output (the seeding Vigna recommends).
  static uint64_t SplitMix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

}  // namespace barrage

#endif  // BARRAGE_COMMON_USER_RNG_H_
