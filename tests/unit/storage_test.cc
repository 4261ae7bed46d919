// Dict, Shard and LockSet: the keyspace data structures without any command on top.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/keyspace.h"
#include "storage/lazyfree.h"
#include "storage/set_object.h"

using namespace strata::storage;

namespace {
Entry* Str(const std::string& k, const std::string& v, int64_t exp = kNoExpire) {
  return Entry::NewString(k, v, exp);
}
}  // namespace

TEST_CASE("entry keeps key, value and expiry in one block") {
  Entry* e = Str("key", "value", 1234);
  CHECK(e->key() == "key");
  CHECK(e->str() == "value");
  CHECK(e->type() == ObjType::kString);
  CHECK(e->expire_ms() == 1234);
  CHECK(e->IsExpired(1234));
  CHECK_FALSE(e->IsExpired(1233));
  CHECK(e->str_capacity() >= 5);
  Entry* c = Entry::CloneWithKey(e, "other");
  CHECK(c->key() == "other");
  CHECK(c->str() == "value");
  CHECK(c->expire_ms() == 1234);
  Entry::Free(e);
  Entry::Free(c);
}

TEST_CASE("entry stores binary keys and values") {
  std::string k("a\0b\r\n", 5), v("\0\0\xff", 3);
  Entry* e = Str(k, v);
  CHECK(e->key() == k);
  CHECK(e->str() == v);
  Entry::Free(e);
}

TEST_CASE("dict insert, find, unlink across growth and shrink") {
  Dict d;
  for (int i = 0; i < 5000; ++i) {
    std::string k = "k" + std::to_string(i);
    d.Insert(Str(k, "v"), HashKey(k));
  }
  CHECK(d.size() == 5000);
  CHECK(d.bucket_count() >= 4096);
  for (int i = 0; i < 5000; ++i) {
    std::string k = "k" + std::to_string(i);
    REQUIRE(d.Find(k, HashKey(k)) != nullptr);
  }
  CHECK(d.Find("nope", HashKey("nope")) == nullptr);
  for (int i = 0; i < 4990; ++i) {
    std::string k = "k" + std::to_string(i);
    Entry::Free(d.Unlink(k, HashKey(k)));
  }
  CHECK(d.size() == 10);
  // The shrink began with the deletions; idle steps (the cron's) finish it, and the next one.
  for (int i = 0; i < 100; ++i) d.Rehash(100);
  CHECK_FALSE(d.rehashing());
  CHECK(d.bucket_count() <= 64);  // shrank
  for (int i = 4990; i < 5000; ++i) {
    std::string k = "k" + std::to_string(i);
    CHECK(d.Find(k, HashKey(k)) != nullptr);
  }
}

TEST_CASE("dict scan visits every key present for the whole scan, across resizes") {
  Dict d;
  std::set<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    std::string k = "s" + std::to_string(i);
    stable.insert(k);
    d.Insert(Str(k, "v"), HashKey(k));
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0, added = 0;
  do {
    cursor = d.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table while scanning (early steps only, so the scan can finish): several
    // rehashes happen mid-iteration.
    for (int j = 0; j < 40 && step < 100; ++j, ++added) {
      std::string k = "n" + std::to_string(added);
      d.Insert(Str(k, "v"), HashKey(k));
    }
    ++step;
  } while (cursor != 0 && step < 100000);
  CHECK(cursor == 0);
  for (const std::string& k : stable) CHECK(seen.count(k) == 1);
}

TEST_CASE("dict scan survives shrinking mid-iteration") {
  Dict d;
  for (int i = 0; i < 4000; ++i) {
    std::string k = "x" + std::to_string(i);
    d.Insert(Str(k, "v"), HashKey(k));
  }
  std::set<std::string> seen;
  uint64_t cursor = d.ScanStep(0, [&](Entry* e) { seen.insert(std::string(e->key())); });
  // Delete all but the "keep" keys, shrinking the table, then finish the scan.
  std::set<std::string> keep;
  for (int i = 0; i < 4000; ++i) {
    std::string k = "x" + std::to_string(i);
    if (i % 100 == 0) {
      keep.insert(k);
      continue;
    }
    Entry::Free(d.Unlink(k, HashKey(k)));
  }
  while (cursor != 0)
    cursor = d.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
  for (const std::string& k : keep) CHECK(seen.count(k) == 1);
}

namespace {
std::string K(int i) { return "r" + std::to_string(i); }
void InsertKey(Dict& d, int i) { d.Insert(Str(K(i), "v"), HashKey(K(i))); }
bool Has(const Dict& d, int i) { return d.Find(K(i), HashKey(K(i))) != nullptr; }
}  // namespace

TEST_CASE("dict resizes incrementally, losing no key at any step") {
  Dict d;
  int n = 0;
  while (n < 2049) InsertKey(d, n++);  // past 2048 buckets: the resize to 4096 began
  REQUIRE(d.rehashing());
  REQUIRE(d.bucket_count() == 2048 + 4096);
  // Each insert moves one bucket: the resize spans many inserts (a whole-table resize would
  // be over at once), and every key is found in either table at every step.
  int inserts_while_rehashing = 0;
  while (d.rehashing()) {
    InsertKey(d, n++);
    ++inserts_while_rehashing;
    if (inserts_while_rehashing % 101 == 0)
      for (int i = 0; i < n; ++i) REQUIRE(Has(d, i));
  }
  CHECK(inserts_while_rehashing > 100);
  CHECK(d.bucket_count() == 4096);
  for (int i = 0; i < n; ++i) REQUIRE(Has(d, i));

  // Unlink and Replace reach both tables mid-resize, and ForEach visits each key once.
  while (n < 4097) InsertKey(d, n++);
  REQUIRE(d.rehashing());
  for (int i = 0; i < n; i += 7) {
    Entry* old_e = d.Find(K(i), HashKey(K(i)));
    REQUIRE(old_e != nullptr);
    d.Replace(old_e, Str(K(i), "new"), HashKey(K(i)));
    Entry::Free(old_e);
  }
  for (int i = 3; i < n; i += 7) Entry::Free(d.Unlink(K(i), HashKey(K(i))));
  std::set<std::string> seen;
  size_t visits = 0;
  d.ForEach([&](Entry* e) {
    seen.insert(std::string(e->key()));
    ++visits;
  });
  CHECK(visits == d.size());
  CHECK(seen.size() == d.size());
  for (int i = 0; i < n; ++i) {
    Entry* e = d.Find(K(i), HashKey(K(i)));
    if (i % 7 == 3) {
      CHECK(e == nullptr);
    } else {
      REQUIRE(e != nullptr);
      CHECK(e->str() == (i % 7 == 0 ? "new" : "v"));
    }
  }
  // Idle steps (the cron's) finish it without any write.
  while (d.Rehash(100)) {
  }
  CHECK(d.bucket_count() == 8192);
  for (int i = 0; i < n; ++i) CHECK(Has(d, i) == (i % 7 != 3));
}

TEST_CASE("dict scan during resizes returns every key present for the whole scan") {
  // The scan's steps interleave with rehash steps, so most of its buckets are visited with two
  // tables: the smaller one's bucket and the larger one's expansions of it (growing, then
  // shrinking).
  for (bool grow : {true, false}) {
    CAPTURE(grow);
    Dict d;
    int n = grow ? 1025 : 8192;  // growing: the resize to 2048 begins at once
    for (int i = 0; i < n; ++i) InsertKey(d, i);
    std::set<std::string> stable;
    std::vector<int> doomed;  // shrinking: deleted while the scan runs
    for (int i = 0; i < n; ++i) {
      if (i % 9 == 0) {
        stable.insert(K(i));
      } else if (!grow && i % 90 == 1) {
        doomed.push_back(i);
      } else if (!grow) {  // down to a sparse table (1,001 of 8,192): the shrink begins
        Entry::Free(d.Unlink(K(i), HashKey(K(i))));
      }
    }
    if (grow) stable.clear();
    for (int i = 0; grow && i < n; ++i) stable.insert(K(i));
    REQUIRE(d.rehashing());
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int steps = 0, rehashing_steps = 0;
    do {
      rehashing_steps += d.rehashing();
      cursor = d.ScanStep(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
      if (grow && steps < 1000) InsertKey(d, n++);  // growth continues, moving buckets
      if (!grow && !doomed.empty()) {  // each Unlink moves a bucket too
        Entry::Free(d.Unlink(K(doomed.back()), HashKey(K(doomed.back()))));
        doomed.pop_back();
      }
      ++steps;
    } while (cursor != 0 && steps < 1000000);
    REQUIRE(cursor == 0);
    CHECK(rehashing_steps > 10);
    for (const std::string& k : stable) CHECK(seen.count(k) == 1);
  }
}

TEST_CASE("shard lazy expiry and volatile accounting") {
  Shard s;
  uint64_t h1 = HashKey("a"), h2 = HashKey("b");
  s.Put(Str("a", "1", 100), h1);
  s.Put(Str("b", "2"), h2);
  CHECK(s.volatile_keys() == 1);
  CHECK(s.Find("a", h1, 99) != nullptr);
  CHECK(s.Find("a", h1, 100) == nullptr);  // expired: deleted on access
  CHECK(s.size() == 1);
  CHECK(s.volatile_keys() == 0);
  CHECK(s.stats().expired_keys == 1);
  Entry* b = s.Find("b", h2, 0);
  s.SetExpire(b, 50);
  CHECK(s.volatile_keys() == 1);
  s.Put(Str("b", "3"), h2);  // overwrite drops the TTL
  CHECK(s.volatile_keys() == 0);
  CHECK(s.Find("b", h2, 1000)->str() == "3");
  CHECK(s.Erase("b", h2, 1000));
  CHECK_FALSE(s.Erase("b", h2, 1000));
}

TEST_CASE("active expiry step reclaims expired keys without access") {
  Shard s;
  for (int i = 0; i < 1000; ++i) {
    std::string k = "t" + std::to_string(i);
    s.Put(Str(k, "v", i < 600 ? 10 : kNoExpire), HashKey(k));
  }
  CHECK(s.volatile_keys() == 600);
  size_t expired = 0;
  for (int round = 0; round < 200 && s.volatile_keys() > 0; ++round)
    expired += s.ExpireStep(11, 20, 1024).second;
  CHECK(expired == 600);
  CHECK(s.size() == 400);
  CHECK(s.volatile_keys() == 0);
}

TEST_CASE("take and replace keep the table consistent") {
  Shard s;
  uint64_t h = HashKey("k");
  s.Put(Str("k", "v", 500), h);
  Entry* e = s.Take("k", h, 0);
  REQUIRE(e != nullptr);
  CHECK(s.size() == 0);
  CHECK(s.volatile_keys() == 0);
  s.Put(e, h);
  Entry* bigger = Str("k", std::string(1000, 'x'));
  s.Replace(s.Find("k", h, 0), bigger, h);
  CHECK(s.Find("k", h, 0)->str().size() == 1000);
  CHECK(s.volatile_keys() == 0);
}

TEST_CASE("lock set takes each shard once in order, from many threads without deadlock") {
  Keyspace ks(2, 16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        LockSet lock;
        // Keys in reverse and repeated order: the lock must sort and dedupe.
        for (int j = 5; j >= 0; --j) {
          std::string k = "key" + std::to_string((i * 7 + j * (t + 1)) % 50);
          lock.Add(ks.db(j % 2).Ref(k).shard);
          lock.Add(ks.db(j % 2).Ref(k).shard);
        }
        lock.Lock();
        CHECK(lock.Holds(ks.db(1).Ref("key0").shard) ==
              (std::find(lock.shards().begin(), lock.shards().end(),
                         ks.db(1).Ref("key0").shard) != lock.shards().end()));
      }
    });
  }
  for (auto& th : threads) th.join();
  // Every lock was released: each can be taken again.
  for (size_t i = 0; i < 16; ++i) {
    CHECK(ks.db(0).shard(i).mu.try_lock());
    ks.db(0).shard(i).mu.unlock();
  }
}

TEST_CASE("db flush and size") {
  Db db(16);
  for (int i = 0; i < 100; ++i) {
    std::string key = "k" + std::to_string(i);
    KeyRef k = db.Ref(key);
    std::lock_guard<std::timed_mutex> lock(k.shard->mu);
    k.shard->Put(Str(key, "v", i % 2 ? 99999 : kNoExpire), k.hash);
  }
  CHECK(db.Size() == 100);
  CHECK(db.VolatileSize() == 50);
  db.Flush();
  CHECK(db.Size() == 0);
}

TEST_CASE("lazyfree: big values go to the freeing thread, small ones are freed at once") {
  LazyFree lf;
  auto big_set = [](const std::string& key, int n) {
    auto* s = new SetObject();
    for (int i = 0; i < n; ++i) s->Add("m" + std::to_string(i));
    return Entry::NewObject(key, ObjType::kSet, s, kNoExpire);
  };
  lf.set_lazy(LazyFree::kUserDel, false);
  lf.Free(big_set("a", 1000), LazyFree::kUserDel);  // not lazy for this reason: freed here
  lf.Free(big_set("b", 10), LazyFree::kUnlink);     // small: freed here
  lf.Free(Str("c", "v"), LazyFree::kUnlink);
  CHECK(lf.freed() == 0);
  CHECK(lf.pending() == 0);
  lf.Free(big_set("d", 1000), LazyFree::kUnlink);  // UNLINK of a big one: always lazy
  lf.set_lazy(LazyFree::kUserDel, true);
  lf.Free(big_set("e", 1000), LazyFree::kUserDel);
  lf.Drain();
  CHECK(lf.freed() == 2);
  CHECK(lf.pending() == 0);
  // A whole table (FLUSHALL ASYNC) counts its entries.
  auto table = std::make_unique<Dict>();
  for (int i = 0; i < 500; ++i) {
    std::string k = "t" + std::to_string(i);
    table->Insert(Str(k, "v"), HashKey(k));
  }
  lf.FreeTable(std::move(table));
  lf.Drain();
  CHECK(lf.freed() == 502);
  // What is queued when it is destroyed is freed too (AddressSanitizer reports a leak if not).
  auto lf2 = std::make_unique<LazyFree>();
  for (int i = 0; i < 20; ++i) lf2->Free(big_set("x" + std::to_string(i), 200), LazyFree::kUnlink);
  lf2.reset();
}

TEST_CASE("shard: an async clear empties the table at once and frees it on the thread") {
  LazyFree lf;
  Shard s;
  s.lazyfree = &lf;
  for (int i = 0; i < 1000; ++i) {
    std::string k = "k" + std::to_string(i);
    s.Put(Str(k, "v", i % 2 == 0 ? 1000 : kNoExpire), HashKey(k));
  }
  CHECK(s.volatile_keys() == 500);
  s.Clear(/*async=*/true);
  CHECK(s.size() == 0);
  CHECK(s.volatile_keys() == 0);
  CHECK(s.Find("k1", HashKey("k1"), 0) == nullptr);
  s.Put(Str("after", "v"), HashKey("after"));  // the shard keeps working meanwhile
  lf.Drain();
  CHECK(lf.freed() == 1000);
  CHECK(s.size() == 1);
}
