// Access clocks, LRU/LFU bookkeeping, victim sampling and the eviction driver (eviction.h).
// The ideas are Redis's (evict.c: approximated LRU by sampling, the logarithmic LFU counter with
// decay); the sampling here works per shard, several shards per eviction.
#include "storage/eviction.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/random.h"
#include "common/memory.h"
#include "storage/keyspace.h"

namespace strata::storage {

namespace internal {
std::atomic<uint32_t> g_clock_s{0};
std::atomic<bool> g_lfu_mode{false};
}  // namespace internal

namespace {

std::atomic<int> g_lfu_log_factor{10};
std::atomic<int> g_lfu_decay_minutes{1};

// splitmix64 from a caller's seed: one sequence per sampling call (the seed is Random64()).
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};


inline uint32_t ClockSeconds() { return internal::g_clock_s.load(std::memory_order_relaxed); }
inline uint8_t ClockMinutes8() { return static_cast<uint8_t>(ClockSeconds() / 60); }

// The counter with one decrement per decay period elapsed since the last access.
inline uint8_t DecayedCounter(uint16_t access, uint8_t now_min) {
  uint8_t counter = access & 0xff;
  int decay = g_lfu_decay_minutes.load(std::memory_order_relaxed);
  if (decay <= 0) return counter;
  uint8_t elapsed = static_cast<uint8_t>(now_min - (access >> 8));  // wraps mod 256 minutes
  unsigned periods = elapsed / static_cast<unsigned>(decay);
  return periods >= counter ? 0 : static_cast<uint8_t>(counter - periods);
}

// Redis's logarithmic increment: probability 1 / ((counter - init) * factor + 1), compared in
// integers: r / 2^32 < 1 / d  <=>  r * d < 2^32.
inline uint8_t LogIncrement(uint8_t counter) {
  if (counter == 255) return counter;
  uint64_t base = counter > kLfuInitVal ? counter - kLfuInitVal : 0;
  int factor = g_lfu_log_factor.load(std::memory_order_relaxed);
  uint64_t d = base * static_cast<uint64_t>(factor < 0 ? 0 : factor) + 1;
  if (d == 1) return counter + 1;
  if (d > 0xffffffffULL) return counter;  // below 2^-32: never, in practice
  uint64_t r = Random64() >> 32;
  return r * d < (1ULL << 32) ? counter + 1 : counter;
}

inline uint16_t LruIdle(uint16_t access, uint16_t now) {
  return static_cast<uint16_t>(now - access);  // wraps mod 2^16 seconds
}

struct PolicyName {
  EvictionPolicy policy;
  const char* name;
};
constexpr PolicyName kPolicyNames[] = {
    {EvictionPolicy::kNoEviction, "noeviction"},
    {EvictionPolicy::kAllKeysLru, "allkeys-lru"},
    {EvictionPolicy::kAllKeysLfu, "allkeys-lfu"},
    {EvictionPolicy::kAllKeysRandom, "allkeys-random"},
    {EvictionPolicy::kVolatileLru, "volatile-lru"},
    {EvictionPolicy::kVolatileLfu, "volatile-lfu"},
    {EvictionPolicy::kVolatileRandom, "volatile-random"},
    {EvictionPolicy::kVolatileTtl, "volatile-ttl"},
};

bool EqualsNoCase(std::string_view a, const char* b) {
  size_t i = 0;
  for (; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (y == '\0') return false;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != y) return false;
  }
  return b[i] == '\0';
}

}  // namespace

// ---- policies ----

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out) {
  for (const PolicyName& p : kPolicyNames) {
    if (EqualsNoCase(name, p.name)) {
      *out = p.policy;
      return true;
    }
  }
  return false;
}

const char* EvictionPolicyName(EvictionPolicy p) {
  for (const PolicyName& n : kPolicyNames)
    if (n.policy == p) return n.name;
  return "noeviction";
}

// ---- access tracking ----

void SetAccessClock(int64_t now_ms) {
  internal::g_clock_s.store(static_cast<uint32_t>(now_ms / 1000), std::memory_order_relaxed);
}

void SetLfuMode(bool lfu) { internal::g_lfu_mode.store(lfu, std::memory_order_relaxed); }
bool LfuMode() { return internal::g_lfu_mode.load(std::memory_order_relaxed); }

void SetLfuParams(int log_factor, int decay_minutes) {
  g_lfu_log_factor.store(log_factor < 0 ? 0 : log_factor, std::memory_order_relaxed);
  g_lfu_decay_minutes.store(decay_minutes < 0 ? 0 : decay_minutes, std::memory_order_relaxed);
}

void InitAccess(Entry* e, bool lfu) {
  if (lfu) {
    e->set_access(static_cast<uint16_t>(ClockMinutes8() << 8 | kLfuInitVal));
  } else {
    e->set_access(static_cast<uint16_t>(ClockSeconds()));
  }
}

void internal::TouchLfu(Entry* e) {
  uint8_t now_min = ClockMinutes8();
  uint8_t counter = LogIncrement(DecayedCounter(e->access(), now_min));
  e->set_access(static_cast<uint16_t>(now_min << 8 | counter));
}

uint64_t IdleSeconds(const Entry& e) {
  return LruIdle(e.access(), static_cast<uint16_t>(ClockSeconds()));
}

uint8_t LfuCounter(const Entry& e) { return DecayedCounter(e.access(), ClockMinutes8()); }

// ---- sampling ----

Victim SampleVictim(const Shard& shard, EvictionPolicy p, size_t samples, uint64_t random_seed,
                    const EvictFilter& evictable, size_t max_walk_buckets) {
  Victim best;
  const Dict& dict = shard.dict();
  if (p == EvictionPolicy::kNoEviction || samples == 0 || dict.size() == 0) return best;
  bool vol = IsVolatilePolicy(p);
  if (vol && shard.volatile_keys() == 0) return best;
  bool random_policy = p == EvictionPolicy::kAllKeysRandom || p == EvictionPolicy::kVolatileRandom;
  if (random_policy) samples = 1;  // any qualifying key will do

  Rng rng{random_seed};
  uint16_t now_s = static_cast<uint16_t>(ClockSeconds());
  uint8_t now_min = ClockMinutes8();
  size_t taken = 0;
  // Scores the entry if it qualifies; true if it counted as a sample.
  auto consider = [&](Entry* e) {
    if (vol && !e->HasExpire()) return false;
    if (evictable && !evictable(*e)) return false;
    uint64_t score;
    switch (p) {
      case EvictionPolicy::kAllKeysLru:
      case EvictionPolicy::kVolatileLru: score = LruIdle(e->access(), now_s); break;
      case EvictionPolicy::kAllKeysLfu:
      case EvictionPolicy::kVolatileLfu: score = 255 - DecayedCounter(e->access(), now_min); break;
      case EvictionPolicy::kVolatileTtl: score = ~static_cast<uint64_t>(e->expire_ms()); break;
      default: score = rng.Next(); break;
    }
    if (best.entry == nullptr || score > best.score) best = Victim{e, score};
    return true;
  };

  if (random_policy) {
    // Uniform draws until one qualifies (uniform among the qualifying keys). allkeys-random:
    // one draw, a few more if the filter rejects. volatile-random: about size / volatile_keys
    // draws, so only when at least 1/16 of the shard's keys have a TTL (64 draws then fall
    // short with probability below 2%); rarer TTLs go to the bucket walk below, which favours
    // a TTL key that follows a long run of keys without one.
    size_t max_draws = 4;
    if (vol) max_draws = shard.volatile_keys() * 16 >= dict.size() ? 64 : 0;
    for (size_t draws = 0; draws < max_draws && best.entry == nullptr; ++draws)
      consider(dict.RandomEntry(rng.Next()));
    if (best.entry != nullptr) return best;
  }
  // Walk consecutive buckets from a random one until enough entries qualified, like Redis's
  // dictGetSomeKeys: the bucket array is read sequentially (8 heads per cache line), so this
  // costs about one cache miss per sampled entry, half of what Dict::RandomEntry's draws cost.
  size_t buckets = dict.bucket_count();
  size_t limit = max_walk_buckets < buckets ? max_walk_buckets : buckets;
  uint64_t start = rng.Next();
  size_t i = 0;
  for (; i < limit && taken < samples; ++i) {
    dict.ScanStep(start + i, [&](Entry* e) {
      if (taken < samples && consider(e)) ++taken;
    });
  }
  best.buckets_walked = i;
  return best;
}

// ---- Evictor ----

namespace {
constexpr uint64_t kSweepEvery = 128;
// Bucket-walk budgets per EvictOne. Dense cases (allkeys, most keys evictable) walk a few buckets
// per shard and never reach them; they bound the cost when qualifying keys are rare (volatile
// policies with few TTLs, or a filter rejecting most keys).
constexpr size_t kWalkBuckets = 1024;        // first pass: stop visiting shards past this
constexpr size_t kDeepWalkBuckets = 16384;   // second pass (first found nothing), in all
}  // namespace

struct Evictor::Hint {
  std::atomic<uint32_t> keys{0};
  std::atomic<uint32_t> volatile_keys{0};
  void Set(const Shard& s) {
    auto clamp = [](size_t n) { return static_cast<uint32_t>(n > 0xffffffffu ? 0xffffffffu : n); };
    keys.store(clamp(s.size()), std::memory_order_relaxed);
    volatile_keys.store(clamp(s.volatile_keys()), std::memory_order_relaxed);
  }
};

Evictor::Evictor(Keyspace& ks, size_t shards_per_eviction)
    : ks_(ks),
      shards_per_eviction_(shards_per_eviction == 0 ? 1 : shards_per_eviction),
      total_shards_(ks.num_dbs() * ks.num_shards()),
      hints_(new Hint[ks.num_dbs() * ks.num_shards()]) {}

Evictor::~Evictor() = default;

Shard& Evictor::ShardAt(size_t i) const {
  return ks_.db(i / ks_.num_shards()).shard(i % ks_.num_shards());
}

void Evictor::Sweep() {
  for (size_t i = 0; i < total_shards_; ++i) {
    Shard& s = ShardAt(i);
    ShardLock lock(&s);
    hints_[i].Set(s);
  }
}

size_t Evictor::EvictOne(EvictionPolicy p, size_t samples, const EvictFilter& evictable,
                         const EvictedFn& on_evict) {
  if (p == EvictionPolicy::kNoEviction || total_shards_ == 0) return 0;
  bool vol = IsVolatilePolicy(p);
  if (calls_.fetch_add(1, std::memory_order_relaxed) % kSweepEvery == 0) Sweep();

  thread_local std::vector<uint32_t> candidates;
  thread_local std::string best_key;
  auto gather = [&] {
    candidates.clear();
    for (size_t i = 0; i < total_shards_; ++i) {
      const Hint& h = hints_[i];
      if ((vol ? h.volatile_keys : h.keys).load(std::memory_order_relaxed) > 0)
        candidates.push_back(static_cast<uint32_t>(i));
    }
  };
  bool random_policy = p == EvictionPolicy::kAllKeysRandom || p == EvictionPolicy::kVolatileRandom;
  bool have = false;
  size_t best_shard = 0, walked = 0;
  uint64_t best_score = 0, best_hash = 0;
  // Samples one shard; keeps its candidate (by key: the entry may go once the lock is released)
  // if it beats the best so far.
  auto sample = [&](size_t idx, size_t max_walk) {
    Shard& s = ShardAt(idx);
    ShardLock lock(&s);
    hints_[idx].Set(s);
    Victim c = SampleVictim(s, p, samples, Random64(), evictable, max_walk);
    walked += c.buckets_walked;
    if (c.entry == nullptr || (have && c.score <= best_score)) return;
    have = true;
    best_shard = idx;
    best_score = c.score;
    best_key.assign(c.entry->key());
    best_hash = HashKey(best_key);
  };

  // Normally one round over a few random shards. When that finds nothing: one deep round over
  // every shard the refreshed hints call non-empty. When the victim vanished between the
  // sampling and the relock (another thread deleted or evicted it): sample again, a few times.
  bool deep_done = false;
  for (int attempt = 0; attempt < 8; ++attempt) {
    have = false;
    walked = 0;
    gather();
    if (candidates.empty()) {
      Sweep();
      gather();
    }
    size_t visits = std::min(random_policy ? 1 : shards_per_eviction_, candidates.size());
    if (random_policy && !candidates.empty()) {
      // One shard, chosen with probability proportional to its (hinted) number of qualifying
      // keys, so that with a uniform pick inside it every key is equally likely, whichever
      // database or shard it is in.
      auto weight = [&](uint32_t idx) -> uint64_t {
        return (vol ? hints_[idx].volatile_keys : hints_[idx].keys).load(std::memory_order_relaxed);
      };
      uint64_t total = 0;
      for (uint32_t idx : candidates) total += weight(idx);
      uint64_t r = total > 0 ? Random64() % total : 0;
      size_t j = 0;
      while (j + 1 < candidates.size() && r >= weight(candidates[j])) r -= weight(candidates[j++]);
      std::swap(candidates[0], candidates[j]);
    }
    for (size_t v = 0; v < visits; ++v) {
      if (have && walked >= kWalkBuckets) break;  // rare candidates: settle for what we have
      if (!random_policy) {  // partial Fisher-Yates: a distinct random shard per visit
        size_t j = v + Random64() % (candidates.size() - v);
        std::swap(candidates[v], candidates[j]);
      }
      sample(candidates[v], kWalkBuckets);
    }
    if (!have) {
      if (deep_done) return 0;
      deep_done = true;
      Sweep();
      gather();
      if (candidates.empty()) return 0;
      size_t per_shard = std::max(kWalkBuckets, kDeepWalkBuckets / candidates.size());
      for (uint32_t idx : candidates) sample(idx, per_shard);
      if (!have) return 0;
    }

    Shard& s = ShardAt(best_shard);
    ShardLock lock(&s);
    Entry* e = s.dict().Find(best_key, best_hash);
    if (e == nullptr || (vol && !e->HasExpire()) || (evictable && !evictable(*e))) {
      hints_[best_shard].Set(s);
      continue;
    }
    bool counters = ThreadCountersAvailable();
    int64_t freed = counters ? 0 : static_cast<int64_t>(malloc_usable_size(e));
    int64_t before = ThreadNetAllocated();
    s.Evict(e);
    if (counters) freed = before - ThreadNetAllocated();
    hints_[best_shard].Set(s);
    AdjustUsedMemoryEstimate(-freed);
    evicted_keys_.fetch_add(1, std::memory_order_relaxed);
    if (on_evict) on_evict(s, best_key);
    return freed > 0 ? static_cast<size_t>(freed) : 1;
  }
  return 0;
}

size_t Evictor::EvictBytes(size_t bytes, size_t max_keys, EvictionPolicy p, size_t samples,
                           const EvictFilter& evictable, const EvictedFn& on_evict,
                           size_t* keys) {
  size_t freed = 0, n = 0;
  while (freed < bytes && n < max_keys) {
    size_t f = EvictOne(p, samples, evictable, on_evict);
    if (f == 0) break;
    freed += f;
    ++n;
  }
  if (keys != nullptr) *keys = n;
  return freed;
}

}  // namespace strata::storage
