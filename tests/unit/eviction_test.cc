// Eviction: policy names, the LRU clock and the LFU counter (on a controlled clock), victim
// sampling per policy and filter, the Evictor across shards and databases, OBJECT IDLETIME/FREQ,
// and jemalloc's memory figures.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/memory.h"
#include "storage/eviction.h"
#include "storage/keyspace.h"
#include "tests/unit/command_runner.h"

using namespace strata;
using namespace strata::storage;

namespace {

constexpr int64_t kBaseMs = 1700000000000;  // a realistic wall clock

// Every test leaves the eviction globals as it found them (other tests read OBJECT IDLETIME).
struct EvictionGlobals {
  EvictionGlobals() { SetAccessClock(kBaseMs); }
  ~EvictionGlobals() {
    SetAccessClock(0);
    SetLfuMode(false);
    SetLfuParams(10, 1);
  }
};

void SetClockSeconds(int64_t s) { SetAccessClock(kBaseMs + s * 1000); }

// A new key: Shard::Put gives it a fresh access value for the current mode (InitAccess).
Entry* PutKey(Db& db, const std::string& key, int64_t expire_ms = kNoExpire,
              const std::string& value = "v") {
  KeyRef k = db.Ref(key);
  ShardLock lock(k);
  Entry* e = Entry::NewString(key, value, expire_ms);
  k.shard->Put(e, k.hash);
  return e;
}

Entry* Lookup(Db& db, const std::string& key) {
  KeyRef k = db.Ref(key);
  return k.shard->dict().Find(key, k.hash);
}

}  // namespace

TEST_CASE("eviction: policy names parse case-insensitively and print back") {
  const char* names[] = {"noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
                         "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"};
  std::set<EvictionPolicy> seen;
  for (const char* n : names) {
    EvictionPolicy p = EvictionPolicy::kNoEviction;
    REQUIRE(ParseEvictionPolicy(n, &p));
    CHECK(std::string(EvictionPolicyName(p)) == n);
    seen.insert(p);
  }
  CHECK(seen.size() == 8);
  EvictionPolicy p = EvictionPolicy::kNoEviction;
  CHECK(ParseEvictionPolicy("ALLKEYS-LFU", &p));
  CHECK(p == EvictionPolicy::kAllKeysLfu);
  CHECK(ParseEvictionPolicy("Volatile-TTL", &p));
  CHECK(p == EvictionPolicy::kVolatileTtl);
  for (const char* bad : {"", "lru", "allkeys", "allkeys-lru ", "allkeys-lrux", "volatile"}) {
    p = EvictionPolicy::kAllKeysLru;
    CHECK_FALSE(ParseEvictionPolicy(bad, &p));
    CHECK(p == EvictionPolicy::kAllKeysLru);
  }
  CHECK(IsLfuPolicy(EvictionPolicy::kVolatileLfu));
  CHECK_FALSE(IsLfuPolicy(EvictionPolicy::kAllKeysLru));
  CHECK(IsVolatilePolicy(EvictionPolicy::kVolatileTtl));
  CHECK_FALSE(IsVolatilePolicy(EvictionPolicy::kAllKeysRandom));
}

TEST_CASE("eviction: LRU clock, idle seconds and 16-bit wrap") {
  EvictionGlobals g;
  Entry* e = Entry::NewString("k", "v", kNoExpire);
  SetClockSeconds(0);
  InitAccess(e, false);
  CHECK(IdleSeconds(*e) == 0);
  SetClockSeconds(42);
  CHECK(IdleSeconds(*e) == 42);
  TouchEntry(e, false);
  CHECK(IdleSeconds(*e) == 0);
  // Across the clock's wrap (65536 s): still the difference.
  SetAccessClock(int64_t{65530} * 1000);
  TouchEntry(e, false);
  SetAccessClock(int64_t{65540} * 1000);
  CHECK(IdleSeconds(*e) == 10);
  // Milliseconds within the same second do not change the clock.
  SetAccessClock(int64_t{65540} * 1000 + 999);
  CHECK(IdleSeconds(*e) == 10);
  Entry::Free(e);
}

TEST_CASE("eviction: LFU counter grows logarithmically and decays") {
  EvictionGlobals g;
  SetClockSeconds(0);
  Entry* e = Entry::NewString("k", "v", kNoExpire);
  InitAccess(e, true);
  CHECK(LfuCounter(*e) == kLfuInitVal);
  // Up to the initial value plus one, every access counts (probability 1).
  TouchEntry(e, true);
  CHECK(LfuCounter(*e) == kLfuInitVal + 1);

  SUBCASE("log factor 10: about 18 after 1000 hits, about 142 after 100000 (redis.conf's table)") {
    // Bounds well outside a simulation's spread (1000 hits: 12..28 in 20000 runs).
    SetLfuParams(10, 1);
    for (int i = 0; i < 1000; ++i) TouchEntry(e, true);
    CHECK(LfuCounter(*e) >= 10);
    CHECK(LfuCounter(*e) <= 32);
    for (int i = 0; i < 99000; ++i) TouchEntry(e, true);
    CHECK(LfuCounter(*e) >= 110);
    CHECK(LfuCounter(*e) <= 185);
  }
  SUBCASE("log factor 0: every hit counts, saturating at 255") {
    SetLfuParams(0, 1);
    for (int i = 0; i < 10; ++i) TouchEntry(e, true);
    CHECK(LfuCounter(*e) == kLfuInitVal + 11);
    for (int i = 0; i < 1000; ++i) TouchEntry(e, true);
    CHECK(LfuCounter(*e) == 255);
  }
  SUBCASE("decay: one per lfu-decay-time minutes since the last access") {
    SetLfuParams(0, 1);
    for (int i = 0; i < 14; ++i) TouchEntry(e, true);  // 6 + 14 = 20
    REQUIRE(LfuCounter(*e) == 20);
    SetClockSeconds(3 * 60 + 30);  // 3.5 minutes later
    CHECK(LfuCounter(*e) == 17);
    SetLfuParams(0, 2);
    CHECK(LfuCounter(*e) == 19);
    SetLfuParams(0, 0);  // never decay
    CHECK(LfuCounter(*e) == 20);
    SetLfuParams(0, 1);
    TouchEntry(e, true);  // stores the decayed value plus one, and now as the decrement time
    CHECK(LfuCounter(*e) == 18);
    SetClockSeconds(3 * 60 + 30 + 60 * 100);  // 100 minutes: decays to zero, not below
    CHECK(LfuCounter(*e) == 0);
  }
  Entry::Free(e);
}

TEST_CASE("eviction: PickVictim per policy") {
  EvictionGlobals g;
  Keyspace ks(1, 1);
  Db& db = ks.db(0);
  Shard& shard = db.shard(0);

  SUBCASE("allkeys-lru: the most idle among the samples") {
    for (int i = 0; i < 10; ++i) {
      SetClockSeconds(100 + i);
      PutKey(db, "k" + std::to_string(i));
    }
    SetClockSeconds(200);
    TouchEntry(Lookup(db, "k0"), false);  // k0 was the oldest; now k1 is
    ShardLock lock(&shard);
    Entry* v = PickVictim(shard, EvictionPolicy::kAllKeysLru, 300, 7, nullptr);
    REQUIRE(v != nullptr);
    CHECK(v->key() == "k1");
    CHECK(IdleSeconds(*v) == 99);
  }
  SUBCASE("allkeys-lfu: the lowest counter") {
    SetLfuMode(true);
    SetLfuParams(0, 1);  // every touch counts: counter = 5 + touches
    for (int i = 0; i < 10; ++i) {
      Entry* e = PutKey(db, "k" + std::to_string(i));
      REQUIRE(LfuCounter(*e) == kLfuInitVal);
      for (int t = 0; t < 20 + i; ++t) TouchEntry(e, true);
    }
    Entry* k0 = Lookup(db, "k0");
    for (int t = 0; t < 5; ++t) TouchEntry(k0, true);  // k0 had the fewest; now k1 has
    ShardLock lock(&shard);
    Entry* v = PickVictim(shard, EvictionPolicy::kAllKeysLfu, 300, 11, nullptr);
    REQUIRE(v != nullptr);
    CHECK(v->key() == "k1");
    CHECK(LfuCounter(*v) == 26);
  }
  SUBCASE("allkeys-random: any key") {
    for (int i = 0; i < 10; ++i) PutKey(db, "k" + std::to_string(i));
    ShardLock lock(&shard);
    std::set<std::string> picked;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
      Entry* v = PickVictim(shard, EvictionPolicy::kAllKeysRandom, 5, seed, nullptr);
      REQUIRE(v != nullptr);
      picked.insert(std::string(v->key()));
    }
    CHECK(picked.size() >= 8);
  }
  SUBCASE("volatile-*: keys without a TTL never count") {
    for (int i = 0; i < 20; ++i) PutKey(db, "p" + std::to_string(i));
    {
      ShardLock lock(&shard);
      for (EvictionPolicy p : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
                               EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl})
        CHECK(PickVictim(shard, p, 5, 3, nullptr) == nullptr);
      CHECK(PickVictim(shard, EvictionPolicy::kNoEviction, 5, 3, nullptr) == nullptr);
      CHECK(PickVictim(shard, EvictionPolicy::kAllKeysLru, 5, 3, nullptr) != nullptr);
    }
    SetClockSeconds(50);
    PutKey(db, "t1", kBaseMs + 100000);
    PutKey(db, "t2", kBaseMs + 50000);
    ShardLock lock(&shard);
    for (EvictionPolicy p : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
                             EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
      for (uint64_t seed = 1; seed < 20; ++seed) {
        Entry* v = PickVictim(shard, p, 5, seed, nullptr);
        REQUIRE(v != nullptr);
        CHECK(v->HasExpire());
      }
    }
    // volatile-ttl: the soonest expiry.
    CHECK(PickVictim(shard, EvictionPolicy::kVolatileTtl, 50, 5, nullptr)->key() == "t2");
  }
  SUBCASE("volatile: one TTL key among thousands is still found (bucket walk)") {
    for (int i = 0; i < 3000; ++i) PutKey(db, "p" + std::to_string(i));
    PutKey(db, "ttl", kBaseMs + 1000);
    ShardLock lock(&shard);
    for (uint64_t seed = 1; seed < 10; ++seed) {
      Entry* v = SampleVictim(shard, EvictionPolicy::kVolatileLru, 5, seed, nullptr).entry;
      REQUIRE(v != nullptr);
      CHECK(v->key() == "ttl");
    }
  }
  SUBCASE("volatile-ttl among many: picks the soonest of what it sampled") {
    for (int i = 0; i < 200; ++i) PutKey(db, "t" + std::to_string(i), kBaseMs + 1000 + i);
    ShardLock lock(&shard);
    Entry* v = PickVictim(shard, EvictionPolicy::kVolatileTtl, 1000, 9, nullptr);
    REQUIRE(v != nullptr);
    CHECK(v->expire_ms() <= kBaseMs + 1000 + 20);  // 1000 samples of 200 keys: near the front
  }
  SUBCASE("the evictable filter is honoured") {
    for (int i = 0; i < 50; ++i) {
      SetClockSeconds(i);
      PutKey(db, "k" + std::to_string(i));
    }
    SetClockSeconds(100);
    ShardLock lock(&shard);
    EvictFilter none = [](const Entry&) { return false; };
    for (EvictionPolicy p : {EvictionPolicy::kAllKeysLru, EvictionPolicy::kAllKeysLfu,
                             EvictionPolicy::kAllKeysRandom})
      CHECK(PickVictim(shard, p, 5, 1, none) == nullptr);
    EvictFilter only_k33 = [](const Entry& e) { return e.key() == "k33"; };
    for (uint64_t seed = 1; seed < 10; ++seed) {
      Entry* v = PickVictim(shard, EvictionPolicy::kAllKeysLru, 5, seed, only_k33);
      REQUIRE(v != nullptr);  // draws miss it mostly; the bucket walk finds it
      CHECK(v->key() == "k33");
    }
    // k0 is the most idle, but rejected: the next one wins.
    EvictFilter not_k0 = [](const Entry& e) { return e.key() != "k0"; };
    CHECK(PickVictim(shard, EvictionPolicy::kAllKeysLru, 1000, 5, not_k0)->key() == "k1");
  }
}

TEST_CASE("eviction: Evictor frees keys across shards and databases until a target") {
  EvictionGlobals g;
  Keyspace ks(3, 8);  // database 1 stays empty
  const std::string value(200, 'x');
  std::set<std::string> old_keys;
  SetClockSeconds(0);
  for (int i = 0; i < 1000; ++i) {
    std::string k = "old" + std::to_string(i);
    PutKey(ks.db(i % 2 == 0 ? 0 : 2), k, kNoExpire, value);
    old_keys.insert(k);
  }
  SetClockSeconds(500);
  for (int i = 0; i < 1000; ++i)
    PutKey(ks.db(i % 2 == 0 ? 0 : 2), "new" + std::to_string(i), kNoExpire, value);
  auto total = [&] { return ks.db(0).Size() + ks.db(1).Size() + ks.db(2).Size(); };
  REQUIRE(total() == 2000);

  Evictor ev(ks);
  CHECK(ev.EvictOne(EvictionPolicy::kNoEviction, 5, nullptr, nullptr) == 0);
  CHECK(ev.EvictOne(EvictionPolicy::kVolatileLru, 5, nullptr, nullptr) == 0);  // no TTLs
  EvictFilter none = [](const Entry&) { return false; };
  CHECK(ev.EvictOne(EvictionPolicy::kAllKeysLru, 5, none, nullptr) == 0);
  CHECK(total() == 2000);

  std::vector<std::string> evicted;
  std::set<size_t> dbs, shard_ids;
  EvictedFn on_evict = [&](Shard& s, std::string_view key) {
    CHECK(s.dict().Find(key, HashKey(key)) == nullptr);  // already gone, lock still held
    evicted.emplace_back(key);
    dbs.insert(s.id / ks.num_shards());
    shard_ids.insert(s.id);
  };
  size_t target = 500 * 200;  // at least 500 keys' values
  size_t keys = 0;
  size_t freed = ev.EvictBytes(target, 100000, EvictionPolicy::kAllKeysLru, 5, nullptr,
                               on_evict, &keys);
  CHECK(freed >= target);
  CHECK(keys == evicted.size());
  CHECK(keys >= 350);  // each key is one 256-byte block (a 200-byte value, key, header)
  CHECK(keys <= 500);
  CHECK(total() == 2000 - keys);
  CHECK(ev.evicted_keys() == keys);
  CHECK(dbs == std::set<size_t>{0, 2});
  CHECK(shard_ids.size() == 16);
  // Approximated LRU with 4 shards x 5 samples: the idle half goes first.
  size_t old_hits = 0;
  for (const std::string& k : evicted) old_hits += old_keys.count(k);
  CHECK(old_hits >= keys * 95 / 100);
  // Bytes are jemalloc's net deallocation: at least the value, about one 256-byte block.
  CHECK(freed / keys >= 200);
  CHECK(freed / keys < 400);

  SUBCASE("max_keys bounds one call") {
    size_t n = 0;
    ev.EvictBytes(SIZE_MAX, 7, EvictionPolicy::kAllKeysRandom, 5, nullptr, nullptr, &n);
    CHECK(n == 7);
  }
  SUBCASE("until nothing is left") {
    size_t n = 0;
    ev.EvictBytes(SIZE_MAX, SIZE_MAX, EvictionPolicy::kAllKeysLfu, 5, nullptr, nullptr, &n);
    CHECK(n == 2000 - keys);
    CHECK(total() == 0);
    CHECK(ev.EvictOne(EvictionPolicy::kAllKeysLru, 5, nullptr, nullptr) == 0);
  }
  SUBCASE("volatile-ttl evicts only keys with a TTL, soonest first") {
    PutKey(ks.db(1), "late", kBaseMs + 900000);
    PutKey(ks.db(0), "soon", kBaseMs + 1000);
    std::vector<std::string> order;
    EvictedFn record = [&](Shard&, std::string_view key) { order.emplace_back(key); };
    size_t n = 0;
    ev.EvictBytes(SIZE_MAX, SIZE_MAX, EvictionPolicy::kVolatileTtl, 5, nullptr, record, &n);
    CHECK(order == std::vector<std::string>{"soon", "late"});
  }
}

TEST_CASE("eviction: OBJECT IDLETIME and OBJECT FREQ follow the mode and do not touch") {
  EvictionGlobals g;
  testing::CommandRunner r;
  SetClockSeconds(0);
  REQUIRE(r.Run({"SET", "k", "v"}) == "+OK\r\n");
  SetClockSeconds(25);
  CHECK(r.Run({"OBJECT", "IDLETIME", "k"}) == ":25\r\n");
  CHECK(r.Run({"OBJECT", "IDLETIME", "k"}) == ":25\r\n");  // OBJECT is not an access
  CHECK(r.Run({"OBJECT", "IDLETIME", "nokey"}) == "$-1\r\n");
  CHECK(r.Run({"OBJECT", "FREQ", "k"}).rfind("-ERR An LFU maxmemory policy is not selected", 0) ==
        0);
  CHECK(r.Run({"GET", "k"}) == "$1\r\nv\r\n");  // an access
  CHECK(r.Run({"OBJECT", "IDLETIME", "k"}) == ":0\r\n");

  SetLfuMode(true);
  SetLfuParams(0, 1);  // every access counts
  REQUIRE(r.Run({"SET", "f", "v"}) == "+OK\r\n");
  CHECK(r.Run({"OBJECT", "FREQ", "f"}) == ":5\r\n");
  CHECK(r.Run({"OBJECT", "FREQ", "f"}) == ":5\r\n");
  r.Run({"GET", "f"});
  r.Run({"GET", "f"});
  CHECK(r.Run({"OBJECT", "FREQ", "f"}) == ":7\r\n");
  CHECK(r.Run({"OBJECT", "FREQ", "nokey"}) == "$-1\r\n");
  CHECK(r.Run({"OBJECT", "IDLETIME", "f"}) ==
        "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.\r\n");
  CHECK(r.Run({"OBJECT", "IDLETIME", "nokey"}) == "$-1\r\n");  // the key is checked first
}

TEST_CASE("eviction: jemalloc memory figures") {
  MemoryStats s0 = ReadMemoryStats();
  CHECK(s0.allocated > 0);
  CHECK(RssBytes() > 0);
  if (!ThreadCountersAvailable()) {
    // AddressSanitizer serves malloc: used memory is its allocator's count.
    CHECK(AllocatorVersion() == "asan");
    MESSAGE("malloc is not jemalloc's here (a sanitizer build): jemalloc's figures skipped");
    return;
  }
  CHECK(s0.active >= s0.allocated);
  CHECK(s0.resident >= s0.active);
  CHECK(s0.mapped >= s0.active);
  CHECK(AllocatorVersion().rfind("jemalloc-5.", 0) == 0);

  const size_t kBig = 10 << 20;
  size_t before = RefreshUsedMemory();
  int64_t net_before = ThreadNetAllocated();
  char* p = static_cast<char*>(std::malloc(kBig));
  REQUIRE(p != nullptr);
  std::memset(p, 1, kBig);
  size_t during = UsedMemory();
  // Not exact: blocks other tests freed sit in thread caches, counted as allocated, until a
  // flush (which an allocation may trigger).
  CHECK(during + (1 << 20) >= before + kBig);
  CHECK(UsedMemoryEstimate() == during);
  CHECK(ThreadNetAllocated() - net_before >= int64_t(kBig));
  std::free(p);
  size_t after = RefreshUsedMemory();
  CHECK(after + kBig / 2 < during);

  // Many small blocks: counted too.
  std::vector<void*> blocks;
  for (int i = 0; i < 10 * 1024; ++i) blocks.push_back(std::malloc(1024));
  size_t small = RefreshUsedMemory();
  CHECK(small >= after + 9 * (1 << 20));
  for (void* b : blocks) std::free(b);
  CHECK(RefreshUsedMemory() + 8 * (1 << 20) < small);  // thread caches keep a little

  size_t exact = RefreshUsedMemory();
  AdjustUsedMemoryEstimate(-1000);
  CHECK(UsedMemoryEstimate() == exact - 1000);
  AdjustUsedMemoryEstimate(-int64_t(exact) * 2);
  CHECK(UsedMemoryEstimate() == 0);  // clamped, not wrapped
}

TEST_CASE("eviction: Evictor from several threads while another writes") {
  EvictionGlobals g;
  Keyspace ks(2, 8);
  for (int i = 0; i < 20000; ++i) PutKey(ks.db(i % 2), "k" + std::to_string(i));
  Evictor ev(ks);
  std::atomic<size_t> evicted{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) PutKey(ks.db(1), "w" + std::to_string(i % 1000));
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      size_t n = 0;
      ev.EvictBytes(SIZE_MAX, 5000, EvictionPolicy::kAllKeysLru, 5, nullptr, nullptr, &n);
      evicted += n;
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  writer.join();
  // At least 20000 keys were there to take: no call gave up early, none was counted twice.
  CHECK(evicted.load() == 20000);
  CHECK(ev.evicted_keys() == 20000);
}
