// Random numbers for picks that need no cryptographic strength: SRANDMEMBER, SPOP, HRANDFIELD,
// ZRANDMEMBER, RANDOMKEY, the skiplist's levels, eviction samples, the seed of a script's
// math.random. splitmix64 over a per-thread state seeded once from std::random_device: each
// thread draws from its own generator, so a draw takes no lock and no shared cache line.
#pragma once

#include <cstdint>

namespace strata {

uint64_t Random64();
// Uniform enough below n (n > 0): the modulo bias is n / 2^64, nothing at the sizes used here.
inline uint64_t RandomBelow(uint64_t n) { return Random64() % n; }

}  // namespace strata
