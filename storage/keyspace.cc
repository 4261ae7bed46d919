// Shards, databases and the keyspace: the only code that inserts into or removes from a Dict,
// so the per-shard bookkeeping (volatile key count, expired-key stats) stays in one place.
#include "storage/keyspace.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "storage/eviction.h"
#include "storage/tier.h"

namespace strata::storage {

// ---- locking ----

bool CapturePending(const Shard* s) { return s->tier->capture_pending; }

void LockSet::AddDb(Db& db) {
  for (size_t i = 0; i < db.num_shards(); ++i) shards_.push_back(&db.shard(i));
}

void LockSet::AddAll(Keyspace& ks) {
  for (size_t d = 0; d < ks.num_dbs(); ++d) AddDb(ks.db(d));
}

void LockSet::SortUnique() {
  std::sort(shards_.begin(), shards_.end(),
            [](const Shard* a, const Shard* b) { return a->id < b->id; });
  shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
}

void LockSet::InsertSorted(Shard* s) {
  auto it = std::lower_bound(shards_.begin(), shards_.end(), s,
                             [](const Shard* a, const Shard* b) { return a->id < b->id; });
  shards_.insert(it, s);
}

bool LockSet::LockUnlessBusySlow(uint8_t* why) {
  if (shards_.size() > 1) SortUnique();
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard* s = shards_[i];
    if (TryLockShard(s)) continue;
    for (;;) {  // contended: wait in slices, looking at the holder's busy mark between them
      const uint8_t b = s->busy.load(std::memory_order_acquire);
      if (b != Shard::kNotBusy) {
        while (i > 0) UnlockShard(shards_[--i]);
        *why = b;
        return false;
      }
      if (s->mu.try_lock_for(std::chrono::milliseconds(10))) {
        AfterLockShard(s);
        break;
      }
    }
  }
  locked_ = true;
  return true;
}

bool LockSet::TryAdd(Shard* s) {
  if (!TryLockShard(s)) return false;
  InsertSorted(s);
  return true;
}

bool LockSet::TryAddFor(Shard* s, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!TryLockShard(s)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  InsertSorted(s);
  return true;
}

bool LockSet::HoldsSorted(const Shard* s) const {
  auto it = std::lower_bound(shards_.begin(), shards_.end(), s,
                             [](const Shard* a, const Shard* b) { return a->id < b->id; });
  return it != shards_.end() && *it == s;
}

// ---- Shard ----

void Shard::Unaccount(const Entry* e) {
  if (e->HasExpire()) --volatile_keys_;
}

Entry* Shard::Find(std::string_view key, uint64_t hash, int64_t now_ms, Lookup how) {
  Entry* e = dict_.Find(key, hash);
  if (e == nullptr) return nullptr;
  if (!e->IsExpired(now_ms)) {
    if (how == Lookup::kTouch) TouchEntry(e);  // LRU clock / LFU counter: eviction, IDLETIME
    return e;
  }
  dict_.Unlink(key, hash);
  Unaccount(e);
  ++stats_.expired_keys;
  Drop(e, LazyFree::kExpire);
  if (tier != nullptr) OnDeleted(key, hash);
  return nullptr;
}

void Shard::Put(Entry* e, uint64_t hash) {
  Entry* old = dict_.Find(e->key(), hash);
  if (old != nullptr) {
    Replace(old, e, hash);
    return;
  }
  InitAccess(e);
  dict_.Insert(e, hash);
  if (e->HasExpire()) ++volatile_keys_;
  // A write that replaced a key only in the backend without reading it (a blind SET): the key
  // is in memory now.
  if (tier != nullptr && tier->evicted > 0 && tier->index.contains(hash)) --tier->evicted;
}

void Shard::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
  // An overwritten key starts a fresh LRU idle time but keeps its LFU frequency (as Redis).
  if (internal::g_lfu_mode.load(std::memory_order_relaxed))
    new_e->set_access(old_e->access());
  else
    TouchEntry(new_e, false);
  // Same key: still dirty (or clean) in the same checkpoint epoch, so a key rewritten many
  // times between two checkpoints is listed once (Shard::MarkWritten).
  new_e->set_epoch(old_e->epoch());
  dict_.Replace(old_e, new_e, hash);
  Unaccount(old_e);
  if (new_e->HasExpire()) ++volatile_keys_;
  Drop(old_e, LazyFree::kServerDel);  // an overwritten value (SET over a big set)
}

bool Shard::Erase(std::string_view key, uint64_t hash, int64_t now_ms, LazyFree::Reason why) {
  Entry* e = dict_.Unlink(key, hash);
  if (e == nullptr) return false;
  Unaccount(e);
  bool live = !e->IsExpired(now_ms);
  if (!live) ++stats_.expired_keys;
  Drop(e, live ? why : LazyFree::kExpire);
  if (tier != nullptr) OnDeleted(key, hash);
  return live;
}

Entry* Shard::Take(std::string_view key, uint64_t hash, int64_t now_ms) {
  if (Find(key, hash, now_ms) == nullptr) return nullptr;
  Entry* e = dict_.Unlink(key, hash);
  Unaccount(e);
  if (tier != nullptr) OnDeleted(key, hash);
  return e;
}

// ---- backing tier ----

void Shard::OnDeleted(std::string_view key, uint64_t hash) {
  tier->index.erase(hash);
  tier->dirty.emplace_back(key);  // the checkpoint deletes its row
}

void Shard::MarkDirty(std::string_view key, uint64_t hash) {
  uint32_t epoch = tier->shared->epoch.load(std::memory_order_relaxed);
  Entry* e = dict_.Find(key, hash);
  if (e != nullptr) {
    if (e->epoch() == epoch) return;  // already listed in this epoch
    e->set_epoch(epoch);
  } else {
    tier->index.erase(hash);
  }
  tier->dirty.emplace_back(key);
}

bool Shard::NeedsLoad(std::string_view key, uint64_t hash, int64_t now_ms) {
  // Only a key the index lists can be in the backend; an expired entry in memory is deleted
  // here (and leaves the index), so its stale row is never read back.
  if (tier == nullptr || !tier->index.contains(hash)) return false;
  return Find(key, hash, now_ms, Lookup::kNoTouch) == nullptr && tier->index.contains(hash);
}

uint64_t Shard::BackendOnly() const { return tier != nullptr ? tier->evicted : 0; }

bool Shard::OnlyInBackend(std::string_view key, uint64_t hash) const {
  return tier != nullptr && tier->index.contains(hash) && dict_.Find(key, hash) == nullptr;
}

bool Shard::Clean(const Entry* e) const { return tier != nullptr && tier->Clean(e->epoch()); }

bool Shard::InstallLoaded(Entry* e, uint64_t hash) {
  std::string_view key = e->key();
  if (tier == nullptr || !tier->index.contains(hash) || dict_.Find(key, hash) != nullptr) {
    Entry::Free(e);
    return false;
  }
  e->set_epoch(0);  // clean: the backend has it
  InitAccess(e);
  dict_.Insert(e, hash);
  if (e->HasExpire()) ++volatile_keys_;
  if (tier->evicted > 0) --tier->evicted;
  return true;
}

void Shard::ForgetLoaded(uint64_t hash) {
  if (tier == nullptr) return;
  if (tier->index.erase(hash) > 0 && tier->evicted > 0) --tier->evicted;
}

void Shard::Evict(Entry* e) {
  std::string_view key = e->key();
  uint64_t hash = HashKey(key);
  dict_.Unlink(key, hash);
  Unaccount(e);
  if (tier != nullptr) {
    tier->index.insert(hash);  // already there for a clean key; a read brings it back
    ++tier->evicted;
  }
  Drop(e, LazyFree::kEviction);
}

void Shard::SetExpire(Entry* e, int64_t expire_ms) {
  if (e->HasExpire()) --volatile_keys_;
  e->set_expire_ms(expire_ms);
  if (e->HasExpire()) ++volatile_keys_;
}

std::pair<size_t, size_t> Shard::ExpireStep(int64_t now_ms, size_t want_volatile,
                                            size_t max_buckets) {
  size_t seen = 0, expired = 0;
  if (volatile_keys_ == 0) return {0, 0};
  // Collect first: the scan callback must not modify the table.
  std::vector<Entry*> dead;
  uint64_t cursor = expire_cursor_;
  for (size_t i = 0; i < max_buckets && seen < want_volatile; ++i) {
    cursor = dict_.ScanStep(cursor, [&](Entry* e) {
      if (!e->HasExpire()) return;
      ++seen;
      if (e->IsExpired(now_ms)) dead.push_back(e);
    });
    if (cursor == 0) break;  // wrapped around: a full sweep is done
  }
  expire_cursor_ = cursor;
  for (Entry* e : dead) {
    std::string_view key = e->key();
    uint64_t hash = HashKey(key);
    dict_.Unlink(key, hash);
    Unaccount(e);
    if (tier != nullptr) OnDeleted(key, hash);  // before the key's bytes are freed
    Drop(e, LazyFree::kExpire);
    ++expired;
  }
  stats_.expired_keys += expired;
  return {seen, expired};
}

void Shard::Clear(bool async) {
  if (async && lazyfree != nullptr) {
    auto old = std::make_unique<Dict>();
    old->Swap(dict_);
    lazyfree->FreeTable(std::move(old));
  }
  dict_.Clear();
  volatile_keys_ = 0;
  expire_cursor_ = 0;
  if (tier != nullptr) {  // FLUSHDB/FLUSHALL: the checkpoint empties the database's rows
    tier->index.clear();
    tier->dirty.clear();
    tier->evicted = 0;
    tier->flushed = true;
  }
}

// ---- Db ----

Db::Db(size_t num_shards) {
  shards_.reserve(num_shards);
  for (size_t i = 0; i < num_shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

KeyRef Db::Ref(std::string_view key) {
  uint64_t h = HashKey(key);
  size_t idx = ShardIndex(h);
  return KeyRef{key, h, shards_[idx].get(), idx};
}

size_t Db::Size(const LockSet* held) {
  size_t n = 0;
  for (auto& s : shards_) {
    ShardLock lock(s.get(), held);
    n += s->size() + s->BackendOnly();
  }
  return n;
}

size_t Db::VolatileSize(const LockSet* held) {
  size_t n = 0;
  for (auto& s : shards_) {
    ShardLock lock(s.get(), held);
    n += s->volatile_keys();
  }
  return n;
}

uint64_t Db::BackendOnly(const LockSet* held) {
  uint64_t n = 0;
  for (auto& s : shards_) {
    ShardLock lock(s.get(), held);
    n += s->BackendOnly();
  }
  return n;
}

void Db::Flush(const LockSet* held, bool async) {
  // Take every lock first (ascending), so no reader sees half a flush.
  LockSet all;
  for (auto& s : shards_)
    if (held == nullptr || !held->Holds(s.get())) all.Add(s.get());
  all.Lock();
  for (auto& s : shards_) s->Clear(async);
}

// ---- Keyspace ----

Keyspace::Keyspace(size_t num_dbs, size_t num_shards) : num_shards_(num_shards) {
  dbs_.reserve(num_dbs);
  for (size_t i = 0; i < num_dbs; ++i) {
    dbs_.push_back(std::make_unique<Db>(num_shards));
    for (size_t j = 0; j < num_shards; ++j) {
      dbs_[i]->shard(j).id = i * num_shards + j;
      dbs_[i]->shard(j).lazyfree = &lazyfree_;
    }
  }
}

Keyspace::~Keyspace() = default;

void Keyspace::EnableTier(TierShared* shared) {
  for (size_t d = 0; d < dbs_.size(); ++d) {
    for (size_t i = 0; i < num_shards_; ++i) {
      auto t = std::make_unique<ShardTier>();
      t->shared = shared;
      t->db = static_cast<uint32_t>(d);
      dbs_[d]->shard(i).tier = t.get();
      tiers_.push_back(std::move(t));
    }
  }
}

void Keyspace::FlushAll(const LockSet* held, bool async) {
  for (auto& db : dbs_) db->Flush(held, async);
}

uint64_t Keyspace::ExpiredKeys(const LockSet* held) {
  uint64_t n = 0;
  for (auto& db : dbs_)
    for (size_t i = 0; i < db->num_shards(); ++i) {
      Shard& s = db->shard(i);
      ShardLock lock(&s, held);
      n += s.stats().expired_keys;
    }
  return n;
}

}  // namespace strata::storage
