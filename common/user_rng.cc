#include "common/user_rng.h"

#include <atomic>
#include <random>

namespace barrage {

UserRng UserRng::FromEntropy() {
  static const uint64_t process_seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  static std::atomic<uint64_t> next{0};
  // Each user's seed is a distinct point of the process's splitmix64 stream (the constructor
  // mixes it): consecutive counters give unrelated sequences.
  return UserRng(process_seed + next.fetch_add(1, std::memory_order_relaxed) * 0x9e3779b97f4a7c15ULL);
}

}  // namespace barrage
