// Shards, databases and the keyspace: the only code that inserts into or removes from a Dict,
// so the per-shard bookkeeping (volatile key count, expired-key stats) stays in one place.
#include "storage/keyspace.h"

#include <algorithm>

#include "storage/eviction.h"
#include "storage/tier.h"

namespace strata::storage {

// ---- locking hooks ----

thread_local const HeldShards* tl_held_shards = nullptr;
thread_local ReleaseHook* tl_release_hook = nullptr;

thread_local KeyHashMemo tl_key_hash;
thread_local bool tl_no_touch = false;
thread_local AcquireHook* tl_acquire_hook = nullptr;

bool HeldShards::Holds(const Shard* s) const {
  return all || s == one || std::binary_search(shards.begin(), shards.end(), s);
}

void LockShard(Shard* s) {
  if (tl_held_shards != nullptr && tl_held_shards->Holds(s)) return;
  s->mu.lock();
  // A checkpoint's instant passed and this shard is not captured yet: capture it before this
  // thread can change it (copy-on-write at shard granularity, storage/tier.h).
  if (s->tier != nullptr && s->tier->capture_pending) CaptureShard(s);
  if (tl_acquire_hook != nullptr) tl_acquire_hook->OnAcquire(s);
}

void UnlockShard(Shard* s) {
  if (tl_release_hook != nullptr) tl_release_hook->OnRelease(s);
  if (tl_held_shards != nullptr && tl_held_shards->Holds(s)) return;
  s->mu.unlock();
}

// ---- Shard ----

void Shard::Unaccount(const Entry* e) {
  if (e->HasExpire()) --volatile_keys_;
}

Entry* Shard::Find(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = dict_.Find(key, hash);
  if (e == nullptr) {
    if (tier != nullptr) OnMiss(key, hash);
    return nullptr;
  }
  if (!e->IsExpired(now_ms)) {
    if (!tl_no_touch) TouchEntry(e);  // LRU clock / LFU counter: eviction, OBJECT IDLETIME
    return e;
  }
  dict_.Unlink(key, hash);
  Unaccount(e);
  ++stats_.expired_keys;
  Entry::Free(e);
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
  Entry::Free(old_e);
}

bool Shard::Erase(std::string_view key, uint64_t hash, int64_t now_ms) {
  Entry* e = dict_.Unlink(key, hash);
  if (e == nullptr) return false;
  Unaccount(e);
  bool live = !e->IsExpired(now_ms);
  if (!live) ++stats_.expired_keys;
  Entry::Free(e);
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

thread_local TierMisses tl_tier_misses;

void Shard::OnMiss(std::string_view key, uint64_t hash) {
  TierMisses& m = tl_tier_misses;
  if (m.collect && tier->index.contains(hash)) m.list.push_back({this, hash, std::string(key)});
}

void Shard::OnDeleted(std::string_view key, uint64_t hash) {
  tier->index.erase(hash);
  tier->dirty.emplace_back(key);  // the checkpoint deletes its row
}

void Shard::MarkWritten(std::string_view key, uint64_t hash) {
  if (tier == nullptr) return;
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
  if (tier == nullptr) return false;
  bool collect = tl_tier_misses.collect;
  tl_tier_misses.collect = false;  // this is the check itself, not a handler's lookup
  bool absent = Find(key, hash, now_ms) == nullptr;
  tl_tier_misses.collect = collect;
  return absent && tier->index.contains(hash);
}

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
  Entry::Free(e);
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
    Entry::Free(e);
    ++expired;
  }
  stats_.expired_keys += expired;
  return {seen, expired};
}

void Shard::Clear() {
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
  const KeyHashMemo& m = tl_key_hash;
  uint64_t h = key.data() == m.data && m.data != nullptr && key.size() == m.size ? m.hash : HashKey(key);
  size_t idx = ShardIndex(h);
  return KeyRef{key, h, shards_[idx].get(), idx};
}

size_t Db::Size() {
  size_t n = 0;
  for (auto& s : shards_) {
    ShardLock lock(s.get());
    n += s->size();
    if (s->tier != nullptr) n += s->tier->evicted;  // keys only in the backend
  }
  return n;
}

size_t Db::VolatileSize() {
  size_t n = 0;
  for (auto& s : shards_) {
    ShardLock lock(s.get());
    n += s->volatile_keys();
  }
  return n;
}

void Db::Flush() {
  // Take every lock first (ascending), so no reader sees half a flush.
  for (auto& s : shards_) LockShard(s.get());
  for (auto& s : shards_) s->Clear();
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) UnlockShard(it->get());
}

// ---- Keyspace ----

Keyspace::Keyspace(size_t num_dbs, size_t num_shards) : num_shards_(num_shards) {
  dbs_.reserve(num_dbs);
  for (size_t i = 0; i < num_dbs; ++i) {
    dbs_.push_back(std::make_unique<Db>(num_shards));
    for (size_t j = 0; j < num_shards; ++j) dbs_[i]->shard(j).id = i * num_shards + j;
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

void Keyspace::FlushAll() {
  for (auto& db : dbs_) db->Flush();
}

uint64_t Keyspace::ExpiredKeys() {
  uint64_t n = 0;
  for (auto& db : dbs_)
    for (size_t i = 0; i < db->num_shards(); ++i) {
      Shard& s = db->shard(i);
      ShardLock lock(&s);
      n += s.stats().expired_keys;
    }
  return n;
}

// ---- MultiShardLock ----

void MultiShardLock::LockAll() {
  std::sort(wanted_.begin(), wanted_.end(), [](const Want& a, const Want& b) {
    return a.db != b.db ? a.db < b.db : a.index < b.index;
  });
  for (const Want& w : wanted_) {
    if (!locked_.empty() && locked_.back() == w.shard) continue;
    LockShard(w.shard);
    locked_.push_back(w.shard);
  }
}

MultiShardLock::~MultiShardLock() {
  for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) UnlockShard(*it);
}

}  // namespace strata::storage
