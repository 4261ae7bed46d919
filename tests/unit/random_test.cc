// Fair random picks: every user of a random element (Dict::RandomEntry, SetObject::RandomMember,
// SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER, RANDOMKEY, the random eviction policies) checked
// with a chi-square test over many draws. Each bound is one a uniform sampler exceeds with
// probability below 1e-9, so a failure here means a biased sampler, not bad luck.
// STRATA_TEST_VERBOSE=1 prints every statistic.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/dict.h"
#include "storage/eviction.h"
#include "storage/keyspace.h"
#include "storage/set_object.h"
#include "tests/unit/command_runner.h"

using namespace strata;
using namespace strata::storage;
using strata::testing::CommandRunner;
using strata::testing::ParseBulkArray;

namespace {

// A tally of picks over a known population (every member starts at 0, so a member never
// picked counts against the sampler too).
class Histogram {
 public:
  explicit Histogram(const std::vector<std::string>& population) {
    for (const std::string& m : population) counts_[m] = 0;
  }
  // False for a pick outside the population.
  bool Add(const std::string& m) {
    auto it = counts_.find(m);
    if (it == counts_.end()) return false;
    ++it->second;
    ++total_;
    return true;
  }
  uint64_t total() const { return total_; }

  // Pearson's statistic against equal expected counts; k - 1 degrees of freedom.
  double ChiSquare() const {
    double expected = static_cast<double>(total_) / static_cast<double>(counts_.size());
    double x2 = 0;
    for (const auto& kv : counts_) {
      double d = static_cast<double>(kv.second) - expected;
      x2 += d * d / expected;
    }
    return x2;
  }

  // The Wilson-Hilferty approximation of the chi-square quantile at z = 6 standard deviations.
  // scipy.stats.chi2.sf(bound, df) is below 1e-9 for every df from 9 to 10^4 (2.8e-10 at 9,
  // 9.8e-10 at 10^4), so a uniform sampler passes each check but once in 10^9 runs.
  double Bound() const {
    double df = static_cast<double>(counts_.size() - 1);
    double h = 2.0 / (9.0 * df);
    double c = 1.0 - h + 6.0 * std::sqrt(h);
    return df * c * c * c;
  }

  // Draws without repetition (count > 1 picks of distinct members per call) make the counts
  // less spread than multinomial ones, so the same bound is conservative for them.
  void Check(const std::string& what) const {
    double x2 = ChiSquare(), bound = Bound();
    INFO(what << ": chi-square " << x2 << " over " << counts_.size() << " members and "
              << total_ << " picks; bound " << bound);
    CHECK(x2 < bound);
    if (const char* v = std::getenv("STRATA_TEST_VERBOSE"); v != nullptr && v[0] == '1')
      std::printf("chi-square %-40s %9.1f (bound %.1f)\n", what.c_str(), x2, bound);
  }

 private:
  std::map<std::string, uint64_t> counts_;
  uint64_t total_ = 0;
};

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

// The bulk string of a one-bulk reply ("$3\r\nfoo\r\n"); "(nil)" for a null.
std::string OneBulk(const std::string& reply) {
  if (reply.rfind("$-1", 0) == 0) return "(nil)";
  size_t nl = reply.find("\r\n");
  REQUIRE(reply[0] == '$');
  REQUIRE(nl != std::string::npos);
  return reply.substr(nl + 2, reply.size() - nl - 4);
}

std::vector<std::string> Array(const std::string& reply) {
  std::vector<std::string> v;
  REQUIRE(ParseBulkArray(reply, &v));
  return v;
}

void FillDict(Dict& d, const std::vector<std::string>& keys) {
  for (const std::string& k : keys) d.Insert(Entry::NewString(k, "v", kNoExpire), HashKey(k));
}

// Keys whose hash falls in bucket 0 of a table of `buckets` buckets (and so of any smaller
// power of two): one long chain whatever the table grows to up to that size.
std::vector<std::string> CollidingKeys(size_t n, size_t buckets) {
  std::vector<std::string> v;
  for (uint64_t i = 0; v.size() < n; ++i) {
    std::string k = "c" + std::to_string(i);
    if ((HashKey(k) & (buckets - 1)) == 0) v.push_back(k);
  }
  return v;
}

Histogram DrawDict(const Dict& d, const std::vector<std::string>& population, uint64_t draws,
                   uint64_t seed) {
  Histogram h(population);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < draws; ++i) {
    Entry* e = d.RandomEntry(rng());
    REQUIRE(e != nullptr);
    REQUIRE(h.Add(std::string(e->key())));
  }
  return h;
}

}  // namespace

TEST_CASE("random: Dict::RandomEntry is uniform") {
  SUBCASE("a full table (1000 keys, 1024 buckets)") {
    Dict d;
    std::vector<std::string> keys = Names("k", 1000);
    FillDict(d, keys);
    REQUIRE(d.bucket_count() == 1024);
    DrawDict(d, keys, 100000, 1).Check("full table");
  }
  SUBCASE("a sparse table (deleted down to just above the shrink threshold)") {
    Dict d;
    std::vector<std::string> keys = Names("k", 4096);
    FillDict(d, keys);
    REQUIRE(d.bucket_count() == 4096);
    std::vector<std::string> kept(keys.begin(), keys.begin() + 520);
    for (size_t i = 520; i < keys.size(); ++i)
      Entry::Free(d.Unlink(keys[i], HashKey(keys[i])));
    REQUIRE(d.bucket_count() == 4096);  // 520 > 4096 / 8: not shrunk
    DrawDict(d, kept, 520 * 400, 2).Check("sparse table");
  }
  SUBCASE("a long chain grown by inserts (Redis's 'dict containing long chain')") {
    Dict d;
    std::vector<std::string> keys = Names("k", 980);
    FillDict(d, keys);
    std::vector<std::string> chain = CollidingKeys(20, 1024);
    FillDict(d, chain);  // after the last resize: only Insert sees the chain grow
    REQUIRE(d.bucket_count() == 1024);
    keys.insert(keys.end(), chain.begin(), chain.end());
    DrawDict(d, keys, 100000, 3).Check("long chain by inserts");
  }
  SUBCASE("a long chain rebuilt by a resize") {
    Dict d;
    std::vector<std::string> keys = CollidingKeys(20, 1024);
    FillDict(d, keys);  // grows through 4..32 buckets: each resize rebuilds the chain
    std::vector<std::string> rest = Names("k", 980);
    FillDict(d, rest);
    REQUIRE(d.bucket_count() == 1024);
    keys.insert(keys.end(), rest.begin(), rest.end());
    DrawDict(d, keys, 100000, 4).Check("long chain by resize");
  }
  SUBCASE("a chain longer than the slot's count goes (a hash flood)") {
    Dict d;
    std::vector<std::string> keys = CollidingKeys(300, 1024);
    FillDict(d, keys);
    std::vector<std::string> rest = Names("k", 700);
    FillDict(d, rest);
    REQUIRE(d.bucket_count() == 1024);
    CHECK(d.chain_bound() >= 300);
    std::vector<std::string> all = keys;
    all.insert(all.end(), rest.begin(), rest.end());
    DrawDict(d, all, 50000, 6).Check("flooded chain");
    // Shorter, still past the slot's count (99 removals: an odd number), then short enough for
    // the count to be exact again.
    for (size_t i = 0; i < 99; ++i) Entry::Free(d.Unlink(keys[i], HashKey(keys[i])));
    all.erase(all.begin(), all.begin() + 99);
    DrawDict(d, all, 50000, 7).Check("flooded chain, shortened");
    for (size_t i = 99; i < 290; ++i) Entry::Free(d.Unlink(keys[i], HashKey(keys[i])));
    all.erase(all.begin(), all.begin() + 191);
    REQUIRE(all.size() == 710);
    DrawDict(d, all, 50000, 8).Check("flooded chain, short again");
  }
  SUBCASE("after random inserts, unlinks and replaces (the slots' counts stay right)") {
    Dict d;
    std::vector<std::string> pool = Names("k", 3000);
    std::vector<bool> present(pool.size(), false);
    std::mt19937_64 rng(10);
    for (int step = 0; step < 200000; ++step) {
      size_t i = rng() % pool.size();
      const std::string& k = pool[i];
      uint64_t h = HashKey(k);
      if (!present[i]) {
        d.Insert(Entry::NewString(k, "v", kNoExpire), h);
      } else if (rng() % 2 == 0) {
        Entry::Free(d.Unlink(k, h));
      } else {
        Entry* old_e = d.Find(k, h);
        REQUIRE(old_e != nullptr);
        d.Replace(old_e, Entry::NewString(k, "w", kNoExpire), h);
        Entry::Free(old_e);
        continue;
      }
      present[i] = !present[i];
    }
    std::vector<std::string> keys;
    for (size_t i = 0; i < pool.size(); ++i) {
      CHECK((d.Find(pool[i], HashKey(pool[i])) != nullptr) == present[i]);
      if (present[i]) keys.push_back(pool[i]);
    }
    REQUIRE(d.size() == keys.size());
    DrawDict(d, keys, 100 * keys.size(), 9).Check("after churn");
  }
  SUBCASE("a table in the middle of a resize (entries in both tables)") {
    for (bool grow : {true, false}) {
      CAPTURE(grow);
      Dict d;
      std::vector<std::string> keys = Names("k", grow ? 1025 : 4096);
      FillDict(d, keys);  // growing: 1,025 keys in 1,024 buckets start the resize to 2,048
      if (!grow) {        // shrinking: 4,096 buckets, deleted down to 500 keys
        for (size_t i = 500; i < keys.size(); ++i)
          Entry::Free(d.Unlink(keys[i], HashKey(keys[i])));
        keys.resize(500);
      }
      d.Rehash(grow ? 100 : 20);
      REQUIRE(d.rehashing());
      DrawDict(d, keys, 200 * keys.size(), grow ? 12 : 13).Check("mid-resize");
    }
  }
  SUBCASE("a small table") {
    Dict d;
    std::vector<std::string> keys = Names("k", 10);
    FillDict(d, keys);
    DrawDict(d, keys, 20000, 5).Check("small table");
  }
  SUBCASE("the empty table") {
    Dict d;
    CHECK(d.RandomEntry(42) == nullptr);
  }
}

TEST_CASE("random: SetObject::RandomMember is uniform in both encodings") {
  std::mt19937_64 rng(11);
  char buf[SetObject::kIntBufSize];
  for (bool ints : {true, false}) {
    CAPTURE(ints);
    SetObject s;
    std::vector<std::string> members;
    for (int i = 0; i < 500; ++i) members.push_back(ints ? std::to_string(i * 7) : "m" + std::to_string(i));
    for (const std::string& m : members) s.Add(m);
    REQUIRE(s.is_intset() == ints);
    Histogram h(members);
    for (int i = 0; i < 50000; ++i) REQUIRE(h.Add(std::string(s.RandomMember(rng(), buf))));
    h.Check(ints ? "RandomMember (500, intset)" : "RandomMember (500, hashtable)");
  }
}

TEST_CASE("random: SRANDMEMBER and SPOP pick uniformly") {
  CommandRunner r;
  // 10 members: Redis's histogram test; 300: a bigger table with longer chains.
  for (int n : {10, 300}) {
    for (bool ints : {true, false}) {
      CAPTURE(n);
      CAPTURE(ints);
      r.Run({"DEL", "s"});
      std::vector<std::string> members;
      for (int i = 0; i < n; ++i) members.push_back(ints ? std::to_string(i) : "m" + std::to_string(i));
      std::vector<std::string> sadd = {"SADD", "s"};
      sadd.insert(sadd.end(), members.begin(), members.end());
      r.Run(sadd);
      const std::string encoding = ints ? "intset" : "hashtable";
      REQUIRE(OneBulk(r.Run({"OBJECT", "ENCODING", "s"})) == encoding);
      const std::string of = " (" + std::to_string(n) + ", " + encoding + ")";
      const uint64_t picks = 200ull * n;
      {
        Histogram h(members);  // negative count: independent picks
        for (const std::string& m : Array(r.Run({"SRANDMEMBER", "s", "-" + std::to_string(picks)})))
          REQUIRE(h.Add(m));
        h.Check("SRANDMEMBER -count" + of);
      }
      {
        Histogram h(members);  // no count
        for (uint64_t i = 0; i < picks / 4; ++i) REQUIRE(h.Add(OneBulk(r.Run({"SRANDMEMBER", "s"}))));
        h.Check("SRANDMEMBER" + of);
      }
      // Positive counts: Redis's paths (few distinct picks, most of the set).
      for (int count : {2, n * 3 / 4}) {
        CAPTURE(count);
        Histogram h(members);
        while (h.total() < picks)
          for (const std::string& m : Array(r.Run({"SRANDMEMBER", "s", std::to_string(count)})))
            REQUIRE(h.Add(m));
        h.Check("SRANDMEMBER " + std::to_string(count) + of);
      }
      {
        Histogram h(members);  // SPOP, the member put back each time
        for (uint64_t i = 0; i < picks / 4; ++i) {
          std::string m = OneBulk(r.Run({"SPOP", "s"}));
          REQUIRE(h.Add(m));
          r.Run({"SADD", "s", m});
        }
        h.Check("SPOP" + of);
      }
      // SPOP count: pick-and-remove (few) and pick-the-survivors (most) paths.
      for (int count : {2, n * 9 / 10}) {
        CAPTURE(count);
        Histogram h(members);
        while (h.total() < picks) {
          std::vector<std::string> popped = Array(r.Run({"SPOP", "s", std::to_string(count)}));
          REQUIRE(popped.size() == static_cast<size_t>(count));
          std::vector<std::string> back = {"SADD", "s"};
          for (const std::string& m : popped) {
            REQUIRE(h.Add(m));
            back.push_back(m);
          }
          r.Run(back);
        }
        h.Check("SPOP " + std::to_string(count) + of);
      }
    }
  }
}

TEST_CASE("random: HRANDFIELD picks uniformly") {
  CommandRunner r;
  for (int n : {10, 300}) {  // listpack, hashtable
    CAPTURE(n);
    r.Run({"DEL", "h"});
    std::vector<std::string> fields = Names("f", n);
    std::vector<std::string> hset = {"HSET", "h"};
    for (const std::string& f : fields) {
      hset.push_back(f);
      hset.push_back("v");
    }
    r.Run(hset);
    const std::string encoding = n == 10 ? "listpack" : "hashtable";
    REQUIRE(OneBulk(r.Run({"OBJECT", "ENCODING", "h"})) == encoding);
    const std::string of = " (" + std::to_string(n) + ", " + encoding + ")";
    const uint64_t picks = 200ull * n;
    {
      Histogram h(fields);
      for (const std::string& f : Array(r.Run({"HRANDFIELD", "h", "-" + std::to_string(picks)})))
        REQUIRE(h.Add(f));
      h.Check("HRANDFIELD -count" + of);
    }
    {
      Histogram h(fields);
      for (uint64_t i = 0; i < picks / 4; ++i) REQUIRE(h.Add(OneBulk(r.Run({"HRANDFIELD", "h"}))));
      h.Check("HRANDFIELD" + of);
    }
    for (int count : {2, n * 3 / 4}) {
      CAPTURE(count);
      Histogram h(fields);
      while (h.total() < picks)
        for (const std::string& f : Array(r.Run({"HRANDFIELD", "h", std::to_string(count)})))
          REQUIRE(h.Add(f));
      h.Check("HRANDFIELD " + std::to_string(count) + of);
    }
  }
}

TEST_CASE("random: ZRANDMEMBER picks uniformly") {
  CommandRunner r;
  for (int n : {10, 300}) {  // listpack, skiplist
    CAPTURE(n);
    r.Run({"DEL", "z"});
    std::vector<std::string> members = Names("m", n);
    std::vector<std::string> zadd = {"ZADD", "z"};
    for (int i = 0; i < n; ++i) {
      zadd.push_back(std::to_string(i));
      zadd.push_back(members[i]);
    }
    r.Run(zadd);
    const std::string encoding = n == 10 ? "listpack" : "skiplist";
    REQUIRE(OneBulk(r.Run({"OBJECT", "ENCODING", "z"})) == encoding);
    const std::string of = " (" + std::to_string(n) + ", " + encoding + ")";
    const uint64_t picks = 200ull * n;
    {
      Histogram h(members);
      for (const std::string& m : Array(r.Run({"ZRANDMEMBER", "z", "-" + std::to_string(picks)})))
        REQUIRE(h.Add(m));
      h.Check("ZRANDMEMBER -count" + of);
    }
    {
      Histogram h(members);
      for (uint64_t i = 0; i < picks / 4; ++i) REQUIRE(h.Add(OneBulk(r.Run({"ZRANDMEMBER", "z"}))));
      h.Check("ZRANDMEMBER" + of);
    }
    for (int count : {2, n * 3 / 4}) {
      CAPTURE(count);
      Histogram h(members);
      while (h.total() < picks)
        for (const std::string& m : Array(r.Run({"ZRANDMEMBER", "z", std::to_string(count)})))
          REQUIRE(h.Add(m));
      h.Check("ZRANDMEMBER " + std::to_string(count) + of);
    }
  }
}

TEST_CASE("random: RANDOMKEY is uniform across shards") {
  CommandRunner r;  // 16 shards
  std::vector<std::string> keys = Names("key", 500);
  for (const std::string& k : keys) r.Run({"SET", k, "v"});
  Histogram h(keys);
  for (int i = 0; i < 100000; ++i) REQUIRE(h.Add(OneBulk(r.Run({"RANDOMKEY"}))));
  h.Check("RANDOMKEY");
}

TEST_CASE("random: the random eviction policies are uniform over keys") {
  // Two databases of very different sizes (their shards hold ~60 and ~2 keys): a uniform pick
  // over keys must not favour the keys of the small one. Each evicted key is put back.
  Keyspace ks(2, 16);
  std::vector<std::string> keys;
  auto put = [&](size_t db, const std::string& key, bool ttl) {
    KeyRef k = ks.db(db).Ref(key);
    ShardLock lock(k);
    k.shard->Put(Entry::NewString(key, "v", ttl ? int64_t{1} << 50 : kNoExpire), k.hash);
  };
  for (bool volatile_policy : {false, true}) {
    CAPTURE(volatile_policy);
    ks.db(0).Flush();
    ks.db(1).Flush();
    std::vector<std::string> population;
    std::map<std::string, size_t> db_of;
    for (int i = 0; i < 1000; ++i) {
      std::string k = "a" + std::to_string(i);
      bool ttl = !volatile_policy || i % 4 == 0;  // volatile: a quarter of the keys qualify
      put(0, k, ttl);
      if (ttl) population.push_back(k), db_of[k] = 0;
    }
    for (int i = 0; i < 40; ++i) {
      std::string k = "b" + std::to_string(i);
      put(1, k, true);
      population.push_back(k), db_of[k] = 1;
    }
    Evictor ev(ks);
    EvictionPolicy p = volatile_policy ? EvictionPolicy::kVolatileRandom : EvictionPolicy::kAllKeysRandom;
    Histogram h(population);
    std::string victim;
    EvictedFn on_evict = [&](Shard&, std::string_view key) { victim.assign(key); };
    for (size_t i = 0; i < 100 * population.size(); ++i) {
      victim.clear();
      REQUIRE(ev.EvictOne(p, 5, nullptr, on_evict) > 0);
      REQUIRE(h.Add(victim));
      put(db_of[victim], victim, true);
    }
    h.Check(volatile_policy ? "volatile-random" : "allkeys-random");
  }
}

// The cost of one Dict::RandomEntry draw; skipped by default (no timed assertions), run it with
//   build/unit_tests -tc="random: bench*" --no-skip
TEST_CASE("random: bench Dict::RandomEntry" * doctest::skip()) {
  for (size_t n : {size_t{1} << 16, size_t{1} << 20}) {
    Dict d;
    std::vector<std::string> keys = Names("key:", static_cast<int>(n));
    FillDict(d, keys);
    // Full (load 1), half full (load just over 1/2, right after a doubling), and sparse (just
    // above the shrink threshold of 1/8).
    struct Shape {
      const char* name;
      size_t keep;
    };
    for (Shape s : {Shape{"load 1", n}, Shape{"load 1/2", n / 2 + 1}, Shape{"load 1/8", n / 8 + 1}}) {
      for (size_t i = d.size(); i > s.keep; --i)
        Entry::Free(d.Unlink(keys[i - 1], HashKey(keys[i - 1])));
      REQUIRE(d.size() == s.keep);
      std::mt19937_64 rng(9);
      const int draws = 2000000;
      uintptr_t sink = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < draws; ++i) sink += reinterpret_cast<uintptr_t>(d.RandomEntry(rng()));
      auto t1 = std::chrono::steady_clock::now();
      double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / draws;
      std::printf("RandomEntry: %zu keys in %zu buckets (%s), chain bound %zu: %.1f ns per draw "
                  "(%zu)\n", d.size(), d.bucket_count(), s.name, d.chain_bound(), ns,
                  static_cast<size_t>(sink % 7));
    }
  }
}

// What the per-bucket chain lengths cost the writers: one Unlink and one Insert of the same key
// (hash computed once) on a full table. Skipped by default, like the bench above.
TEST_CASE("random: bench Dict churn (Unlink + Insert)" * doctest::skip()) {
  for (size_t n : {size_t{1} << 16, size_t{1} << 20}) {
    Dict d;
    std::vector<std::string> keys = Names("key:", static_cast<int>(n));
    std::vector<uint64_t> hashes;
    for (const std::string& k : keys) hashes.push_back(HashKey(k));
    FillDict(d, keys);
    std::mt19937_64 rng(3);
    std::vector<uint32_t> order(2000000);
    for (uint32_t& o : order) o = static_cast<uint32_t>(rng() % n);
    auto t0 = std::chrono::steady_clock::now();
    for (uint32_t o : order) d.Insert(d.Unlink(keys[o], hashes[o]), hashes[o]);
    auto t1 = std::chrono::steady_clock::now();
    double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / order.size();
    std::printf("churn: %zu keys: %.1f ns per Unlink + Insert\n", d.size(), ns);
  }
}
