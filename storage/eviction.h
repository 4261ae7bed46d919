// Approximated LRU / LFU / TTL / random eviction, Redis's way: no lists or heaps per key, only
// 16 bits of access data per entry (Entry::access) and a handful of random samples per victim.
//
// Access bits (Entry::access, 16 bits):
//   LRU mode: the access clock in seconds, mod 2^16 (wraps every ~18.2 h, so an idle time reads
//             modulo that, like Redis's 24-bit clock wraps after ~194 days).
//   LFU mode: high byte = minutes clock mod 256 at the last access (the "last decrement time";
//             wraps every 256 min), low byte = Redis's 8-bit logarithmic counter: a new key
//             starts at kLfuInitVal; an access increments it with probability
//             1 / ((counter - kLfuInitVal) * lfu_log_factor + 1) and first subtracts one per
//             lfu_decay_time minutes elapsed since the last access.
// The bits mean one or the other depending on the mode at the time they were written; after a
// policy switch they take a while to adjust, as in Redis.
//
// Clocks: SetAccessClock() (the server's cron, ~every 100 ms) stores the time in seconds into a
// global atomic; touching an entry reads it with one relaxed load. The LFU parameters and the
// mode are globals too (set by CONFIG), read relaxed.
// Thread: the globals may be read and set from any thread. Functions taking an Entry or a
// Shard require the caller to hold that shard's lock, except Evictor, which locks itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "storage/entry.h"

namespace strata::storage {

class Shard;
class Keyspace;

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl
};

// Redis's names ("allkeys-lru", ...), case-insensitive. False (out untouched) if unknown.
bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out);
const char* EvictionPolicyName(EvictionPolicy p);  // lower case, as CONFIG GET shows it
inline bool IsLfuPolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool IsVolatilePolicy(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

// ---- access tracking ----

constexpr uint8_t kLfuInitVal = 5;

// The access clock: now_ms is wall-clock milliseconds; kept at seconds resolution.
void SetAccessClock(int64_t now_ms);
// Under an LFU policy (OBJECT FREQ works, OBJECT IDLETIME refuses, touches count frequency).
void SetLfuMode(bool lfu);
bool LfuMode();
// lfu-log-factor (>= 0) and lfu-decay-time in minutes (0: never decay).
void SetLfuParams(int log_factor, int decay_minutes);

namespace internal {
extern std::atomic<uint32_t> g_clock_s;  // the access clock, seconds (low 32 bits)
extern std::atomic<bool> g_lfu_mode;
void TouchLfu(Entry* e);
}  // namespace internal

// The access value a new entry starts with (LRU: now; LFU: now and kLfuInitVal).
void InitAccess(Entry* e, bool lfu);
inline void InitAccess(Entry* e) { InitAccess(e, internal::g_lfu_mode.load(std::memory_order_relaxed)); }

// After a successful lookup. LRU: a relaxed load, a compare and (when the second changed) a
// 16-bit store. LFU: decay, one pseudo-random draw and a store (out of line).
inline void TouchEntry(Entry* e, bool lfu) {
  if (lfu) return internal::TouchLfu(e);
  uint16_t now = static_cast<uint16_t>(internal::g_clock_s.load(std::memory_order_relaxed));
  if (e->access() != now) e->set_access(now);
}
inline void TouchEntry(Entry* e) { TouchEntry(e, internal::g_lfu_mode.load(std::memory_order_relaxed)); }

// Seconds since the last access, reading the bits as an LRU clock (OBJECT IDLETIME).
uint64_t IdleSeconds(const Entry& e);
// The LFU counter with the decay up to now applied (OBJECT FREQ); does not store it.
uint8_t LfuCounter(const Entry& e);

// ---- picking victims ----

// Whether an entry may be evicted (e.g. with a backing tier: only clean entries). Empty: all.
using EvictFilter = std::function<bool(const Entry&)>;
// Told about each eviction, with the shard still locked and the entry already gone. The
// database is shard.id / Keyspace::num_shards().
using EvictedFn = std::function<void(Shard& shard, std::string_view key)>;

// A candidate and how good a victim it is: higher is better (LRU: idle seconds; LFU:
// 255 - counter; TTL: earlier expiry; random: a random number).
struct Victim {
  Entry* entry = nullptr;
  uint64_t score = 0;
  size_t buckets_walked = 0;  // what the sampling cost
};

// Samples the shard for the policy's best victim: walks consecutive buckets from a random one
// (like Redis's dictGetSomeKeys; sequential reads of the bucket array, about one cache miss per
// sampled entry) until `samples` entries qualified or max_walk_buckets buckets were walked.
// volatile-*: only keys with a TTL qualify, so rare ones cost a longer walk. Entries
// `evictable` rejects do not qualify. Random policies: uniform Dict::RandomEntry draws until one
// qualifies (allkeys-random: a few; volatile-random: up to 64, and only when at least 1/16 of
// the keys have a TTL, else the walk). entry == nullptr if nothing qualified.
Victim SampleVictim(const Shard& shard, EvictionPolicy p, size_t samples, uint64_t random_seed,
                    const EvictFilter& evictable, size_t max_walk_buckets = 4096);
inline Entry* PickVictim(Shard& shard, EvictionPolicy p, size_t samples, uint64_t random_seed,
                         const EvictFilter& evictable) {
  return SampleVictim(shard, p, samples, random_seed, evictable).entry;
}

// The eviction driver. Approximately global like Redis's pool across databases: each EvictOne
// samples up to shards_per_eviction random non-empty shards of all databases (the random
// policies: one, chosen in proportion to its hinted number of qualifying keys, so every key is
// about equally likely), one lock at a time, remembers the best candidate's key, then relocks
// that shard, checks the key is still there and still evictable, and evicts it (Shard::Evict:
// with a backing tier the backend keeps it). When keys qualify rarely it stops visiting shards once
// it has a candidate and walked 1024 buckets, and, having found none, tries every non-empty
// shard within 16384 buckets in all (a call that finds nothing: ~0.75 ms at 1M keys).
// Which shards are non-empty is a hint array refreshed as shards are visited and by a sweep
// over every shard every 128 calls (or when the hints find nothing), so a shard that just
// became non-empty is noticed within that many calls.
// Costs (1M keys, 16 shards, one thread): ~2.9 us per eviction for LRU/LFU with 4 shards x 5
// samples (~1.5 us with 2 shards), ~0.7 us for allkeys-random: mostly cache misses on the
// sampled entries. volatile-* with TTLs on 0.15% of keys: ~100 us (no expires index to draw
// from, so the walk reads ~1000 buckets).
// Locking: call with no shard locks held (the dispatcher evicts before it locks a command's
// shards): it takes one shard lock at a time. Thread: any number of threads may call EvictOne at once.
class Evictor {
 public:
  explicit Evictor(Keyspace& ks, size_t shards_per_eviction = 4);
  ~Evictor();
  Evictor(const Evictor&) = delete;
  Evictor& operator=(const Evictor&) = delete;

  // Evicts one key. Returns the bytes that freed (at least 1 when a key went), 0 when nothing
  // evictable was found (or policy is kNoEviction). Bytes: this thread's jemalloc net
  // deallocation across Shard::Evict (entry block, collection object, any table shrink), so
  // exact; malloc_usable_size of the entry block where those counters are unavailable. Also
  // subtracts that from the used-memory estimate (common/memory.h).
  size_t EvictOne(EvictionPolicy p, size_t samples, const EvictFilter& evictable,
                  const EvictedFn& on_evict);
  // EvictOne until `bytes` were freed, `max_keys` keys went, or nothing is evictable. Returns
  // the bytes freed; *keys (optional) the number of keys evicted.
  size_t EvictBytes(size_t bytes, size_t max_keys, EvictionPolicy p, size_t samples,
                    const EvictFilter& evictable, const EvictedFn& on_evict,
                    size_t* keys = nullptr);

  uint64_t evicted_keys() const { return evicted_keys_.load(std::memory_order_relaxed); }

 private:
  struct Hint;
  Shard& ShardAt(size_t i) const;
  void Sweep();

  Keyspace& ks_;
  size_t shards_per_eviction_;
  size_t total_shards_;
  std::unique_ptr<Hint[]> hints_;
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> evicted_keys_{0};
};

}  // namespace strata::storage
