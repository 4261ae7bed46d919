// Shards, databases and the keyspace: the only code that inserts into or removes from a Dict,
// so the per-shard bookkeeping (volatile key count, expired-key stats) stays in one place.
#include "storage/keyspace.h"

#include <algorithm>

namespace strata::storage {

// ---- locking hooks ----

thread_local const HeldShards* tl_held_shards = nullptr;
thread_local ReleaseHook* tl_release_hook = nullptr;

thread_local KeyHashMemo tl_key_hash;
thread_local AcquireHook* tl_acquire_hook = nullptr;

bool HeldShards::Holds(const Shard* s) const {
  return all || s == one || std::binary_search(shards.begin(), shards.end(), s);
}

void LockShard(Shard* s) {
  if (tl_held_shards != nullptr && tl_held_shards->Holds(s)) return;
  s->mu.lock();
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
  if (e == nullptr || !e->IsExpired(now_ms)) return e;
  dict_.Unlink(key, hash);
  Unaccount(e);
  ++stats_.expired_keys;
  Entry::Free(e);
  return nullptr;
}

void Shard::Put(Entry* e, uint64_t hash) {
  Entry* old = dict_.Find(e->key(), hash);
  if (old != nullptr) {
    Replace(old, e, hash);
    return;
  }
  dict_.Insert(e, hash);
  if (e->HasExpire()) ++volatile_keys_;
}

void Shard::Replace(Entry* old_e, Entry* new_e, uint64_t hash) {
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
  return live;
}

Entry* Shard::Take(std::string_view key, uint64_t hash, int64_t now_ms) {
  if (Find(key, hash, now_ms) == nullptr) return nullptr;
  Entry* e = dict_.Unlink(key, hash);
  Unaccount(e);
  return e;
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
    dict_.Unlink(key, HashKey(key));
    Unaccount(e);
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
