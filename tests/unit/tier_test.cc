// The shard half of the backing tier (storage/tier.h): dirty marking by epoch, the key index,
// read-through installs, eviction of clean keys only, and checkpoint capture (including the
// copy-on-write capture a writer triggers by locking a pending shard).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "storage/codec.h"
#include "storage/keyspace.h"
#include "storage/tier.h"

using namespace strata::storage;

namespace {
struct Tiered {
  Keyspace ks{2, 4};
  TierShared shared;
  Tiered() { ks.EnableTier(&shared); }
  // Key literals only: the KeyRef views the key's bytes.
  KeyRef Ref(std::string_view k, size_t db = 0) { return ks.db(db).Ref(k); }
  // A write the way the dispatcher does it: change, then mark under the same lock.
  void Set(const std::string& k, const std::string& v, size_t db = 0) {
    KeyRef r = Ref(k, db);
    ShardLock lock(r);
    r.shard->Put(Entry::NewString(k, v, kNoExpire), r.hash);
    r.shard->MarkWritten(r.key, r.hash);
  }
  void Del(const std::string& k, size_t db = 0) {
    KeyRef r = Ref(k, db);
    ShardLock lock(r);
    r.shard->Erase(r.key, r.hash, 0);
    r.shard->MarkWritten(r.key, r.hash);
  }
  // The checkpointer's instant for every shard (what Tiering::Instant does under all locks).
  void Instant(uint64_t lsn) {
    shared.capture_lsn = lsn;
    shared.capture_ms = 0;
    for (size_t d = 0; d < ks.num_dbs(); ++d)
      for (size_t i = 0; i < ks.num_shards(); ++i) {
        ShardTier& t = *ks.db(d).shard(i).tier;
        t.capture_keys.swap(t.dirty);
        t.capture_pending = !t.capture_keys.empty();
      }
    shared.epoch.store(shared.epoch.load() + 1);
  }
  // Locks every shard once (capturing the pending ones) and gathers the rows and deletions.
  void Collect(std::vector<strata::StoredRow>* rows, std::vector<std::string>* deletes) {
    for (size_t d = 0; d < ks.num_dbs(); ++d)
      for (size_t i = 0; i < ks.num_shards(); ++i) {
        Shard* s = &ks.db(d).shard(i);
        ShardLock lock(s);
        for (auto& r : s->tier->rows) rows->push_back(std::move(r));
        for (auto& k : s->tier->deletes) deletes->push_back(std::move(k));
        s->tier->rows.clear();
        s->tier->deletes.clear();
      }
  }
  const Entry* Peek(const std::string& k, size_t db = 0) {
    KeyRef r = Ref(k, db);
    return r.shard->dict().Find(r.key, r.hash);
  }
};
}  // namespace

TEST_CASE("tier: a key is listed dirty once per epoch, and again after the instant") {
  Tiered t;
  t.Set("a", "1");
  t.Set("a", "2");
  t.Set("a", "3");
  KeyRef r = t.Ref("a");
  CHECK(r.shard->tier->dirty.size() == 1);
  CHECK(t.Peek("a")->epoch() == 1);
  t.Instant(10);
  t.Set("a", "4");
  CHECK(r.shard->tier->dirty.size() == 1);  // new epoch: listed again
  CHECK(t.Peek("a")->epoch() == 2);
}

TEST_CASE("tier: capture encodes the value as of the instant, even if a writer changes it later") {
  Tiered t;
  t.Set("k", "old");
  t.Set("gone", "x");
  t.Instant(7);
  t.Del("gone");  // locking its shard captured it first (copy-on-write)
  t.Set("k", "new");
  std::vector<strata::StoredRow> rows;
  std::vector<std::string> deletes;
  t.Collect(&rows, &deletes);
  REQUIRE(rows.size() == 2);
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.key < b.key; });
  CHECK(rows[0].key == "gone");
  CHECK(rows[0].value == "x");
  CHECK(rows[1].key == "k");
  CHECK(rows[1].value == "old");  // not "new": the instant's value
  CHECK(rows[1].lsn == 7);
  CHECK(deletes.empty());
  // The next pass has the later changes: k's new value and gone's deletion.
  t.Instant(9);
  rows.clear();
  t.Collect(&rows, &deletes);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].value == "new");
  CHECK(deletes == std::vector<std::string>{"gone"});
}

TEST_CASE("tier: only entries of a committed epoch are clean") {
  Tiered t;
  t.Set("k", "v");
  const Entry* e = t.Peek("k");
  ShardTier& st = *t.Ref("k").shard->tier;
  CHECK_FALSE(st.Clean(e->epoch()));
  t.Instant(1);
  CHECK_FALSE(st.Clean(e->epoch()));  // captured, not committed
  t.shared.committed.store(1);
  CHECK(st.Clean(e->epoch()));
  t.Set("k", "v2");
  CHECK_FALSE(st.Clean(t.Peek("k")->epoch()));
  // A fresh entry that no write marked is never clean.
  Entry* fresh = Entry::NewString("x", "y", kNoExpire);
  CHECK_FALSE(st.Clean(fresh->epoch()));
  Entry::Free(fresh);
}

TEST_CASE("tier: the key index drives read-through and never resurrects a deleted key") {
  Tiered t;
  t.Set("k", "v");
  t.Instant(1);
  std::vector<strata::StoredRow> rows;
  std::vector<std::string> deletes;
  t.Collect(&rows, &deletes);
  t.shared.committed.store(1);
  KeyRef r = t.Ref("k");
  {
    ShardLock lock(r);
    CHECK(r.shard->tier->index.contains(r.hash));  // the checkpoint wrote it
    CHECK_FALSE(r.shard->NeedsLoad(r.key, r.hash, 0));  // in memory
    r.shard->Evict(r.shard->dict().Find(r.key, r.hash));
    CHECK(r.shard->NeedsLoad(r.key, r.hash, 0));  // evicted: only in the backend
    CHECK(r.shard->tier->evicted == 1);
  }
  CHECK(t.ks.db(0).Size() == 1);  // DBSIZE counts it
  // A lookup misses it (the dispatcher asks NeedsLoad first); it is only in the backend.
  {
    ShardLock lock(r);
    CHECK(r.shard->Find(r.key, r.hash, 0) == nullptr);
    CHECK(r.shard->OnlyInBackend(r.key, r.hash));
  }
  // The read-through installs it, clean.
  {
    ShardLock lock(r);
    CHECK(r.shard->InstallLoaded(Entry::NewString("k", "v", kNoExpire), r.hash));
    CHECK(r.shard->dict().Find(r.key, r.hash)->epoch() == 0);
    CHECK(r.shard->tier->evicted == 0);
    // A second answer for the same key (two readers raced) is dropped.
    CHECK_FALSE(r.shard->InstallLoaded(Entry::NewString("k", "stale", kNoExpire), r.hash));
    CHECK(r.shard->dict().Find(r.key, r.hash)->str() == "v");
  }
  // Deleting it in memory removes it from the index at once: a late read-through result for
  // it must not bring the old row back.
  t.Del("k");
  {
    ShardLock lock(r);
    CHECK_FALSE(r.shard->tier->index.contains(r.hash));
    CHECK_FALSE(r.shard->NeedsLoad(r.key, r.hash, 0));
    CHECK_FALSE(r.shard->InstallLoaded(Entry::NewString("k", "old row", kNoExpire), r.hash));
    CHECK(r.shard->dict().Find(r.key, r.hash) == nullptr);
  }
}

TEST_CASE("tier: an expired key is dirty (its row is deleted) and leaves the index") {
  Tiered t;
  KeyRef r = t.Ref("e");
  {
    ShardLock lock(r);
    r.shard->Put(Entry::NewString("e", "v", 100), r.hash);
    r.shard->MarkWritten(r.key, r.hash);
    r.shard->tier->index.insert(r.hash);
    r.shard->tier->dirty.clear();
    CHECK(r.shard->Find(r.key, r.hash, 200) == nullptr);  // lazily expired
    CHECK_FALSE(r.shard->tier->index.contains(r.hash));
    CHECK(r.shard->tier->dirty == std::vector<std::string>{"e"});
  }
}

TEST_CASE("tier: FLUSHDB clears the index and flags the database for the checkpoint") {
  Tiered t;
  t.Set("a", "1", 1);
  t.Set("b", "2", 0);
  t.ks.db(1).Flush();
  for (size_t i = 0; i < t.ks.num_shards(); ++i) {
    ShardTier& st = *t.ks.db(1).shard(i).tier;
    CHECK(st.flushed);
    CHECK(st.index.empty());
    CHECK(st.dirty.empty());
    CHECK_FALSE(t.ks.db(0).shard(i).tier->flushed);
  }
}

TEST_CASE("tier: captured collections decode back to the same value") {
  Tiered t;
  KeyRef r = t.Ref("l");
  std::string encoded;
  {
    ShardLock lock(r);
    r.shard->Put(Entry::NewString("l", std::string("a\0b", 3), 12345), r.hash);
    r.shard->MarkWritten(r.key, r.hash);
  }
  t.Instant(3);
  std::vector<strata::StoredRow> rows;
  std::vector<std::string> deletes;
  t.Collect(&rows, &deletes);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].expire_ms == 12345);
  CHECK(rows[0].type == static_cast<uint8_t>(ObjType::kString));
  std::string err;
  Entry* e = DecodeEntry(rows[0].key, ObjType::kString, rows[0].value, rows[0].expire_ms, &err);
  REQUIRE(e != nullptr);
  CHECK(e->str() == std::string("a\0b", 3));
  Entry::Free(e);
}
