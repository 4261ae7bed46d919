// The per-thread splitmix64 generator behind Random64 (common/random.h).
#include "common/random.h"

#include <random>

namespace strata {

uint64_t Random64() {
  // The one thread-local: a generator's state (per thread by design, not per command).
  thread_local uint64_t state =
      (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace strata
