// Dict, Shard and LockSet: the keyspace data structures without any command on top.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>

#include "storage/keyspace.h"

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
